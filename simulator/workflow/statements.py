"""The workflow stages' SQL, built once with named parameters: SQLAlchemy then reuses each compiled statement, so a
stage job pays for its round trips, not for building and compiling SQL again (most of its CPU before)."""

from __future__ import annotations

from sqlalchemy import BindParameter, Integer, String, bindparam, case, func, literal, select, update
from sqlalchemy.dialects.postgresql import insert

from simulator.models import (
    ImageReviewProduct,
    ImageReviewProductImage,
    ImageReviewSession,
    POLineItem,
    ProductDraft,
    ProductImage,
    PurchaseOrder,
    Upload,
    WorkflowExecution,
    WorkflowStageExecution,
    table,
)
from simulator.workflow.stages import DONE

WORKFLOW = table(WorkflowExecution)
STAGE = table(WorkflowStageExecution)
PO = table(PurchaseOrder)
UPLOAD = table(Upload)
LINE = table(POLineItem)
DRAFT = table(ProductDraft)
DRAFT_IMAGE = table(ProductImage)
REVIEW_SESSION = table(ImageReviewSession)
REVIEW_PRODUCT = table(ImageReviewProduct)
REVIEW_IMAGE = table(ImageReviewProductImage)

_workflow_id = bindparam("workflow_id", type_=String)
_stage = bindparam("stage", type_=String)
_row_id = bindparam("row_id", type_=String)
_status = bindparam("status", type_=String)
_ids: BindParameter[list[str]] = bindparam("ids", expanding=True)

# A stage attempt starts in one statement: the workflow's locking UPDATE as a CTE (only while it is neither failed
# nor finished), and the attempt's row inserted only when it matched. Params: workflow_id, stage, row_id, attempt.
_started = (
    update(WORKFLOW)
    .where(WORKFLOW.c.id == _workflow_id, WORKFLOW.c.status != "failed", WORKFLOW.c.currentStage != DONE)
    .values(status=case((WORKFLOW.c.status == DONE, WORKFLOW.c.status), else_=literal("running")),
            currentStage=_stage, attempts=WORKFLOW.c.attempts + 1, updatedAt=func.now())
    .returning(WORKFLOW.c.id)
    .cte("started")
)
BEGIN_STAGE = (
    insert(STAGE)
    .from_select(["id", "workflowId", "stage", "status", "attempt"],
                 select(_row_id, _started.c.id, _stage, literal("running"), bindparam("attempt", type_=Integer)))
    .returning(STAGE.c.id)
)
# Params: row_id, status, error.
END_STAGE = (
    update(STAGE).where(STAGE.c.id == _row_id)
    .values(status=_status, finishedAt=func.clock_timestamp(), error=bindparam("error", type_=String))
)
COMPLETE_WORKFLOW = update(WORKFLOW).where(WORKFLOW.c.id == _workflow_id).values(status=DONE, updatedAt=func.now())
FAIL_WORKFLOW = (
    update(WORKFLOW).where(WORKFLOW.c.id == _workflow_id, WORKFLOW.c.status != DONE)
    .values(status="failed", updatedAt=func.now())
)
WORKFLOW_REFINED = update(WORKFLOW).where(WORKFLOW.c.id == _workflow_id).values(currentStage=DONE, updatedAt=func.now())

# ai-parsing: the workflow's PO and how many lines it has (no row: no such workflow); then the PO marked parsed.
PO_LINE_COUNT = (
    select(WORKFLOW.c.purchaseOrderId, func.count(LINE.c.id))
    .select_from(WORKFLOW.outerjoin(LINE, LINE.c.purchaseOrderId == WORKFLOW.c.purchaseOrderId))
    .where(WORKFLOW.c.id == _workflow_id)
    .group_by(WORKFLOW.c.purchaseOrderId)
)
_po_id = bindparam("po_id", type_=String)
PO_PARSED = update(PO).where(PO.c.id == _po_id).values(status="parsed")

# database-save: the parsed PO saved and its upload processed. Params: workflow_id.
_po_of_workflow = select(WORKFLOW.c.purchaseOrderId).where(WORKFLOW.c.id == _workflow_id).scalar_subquery()
PO_SAVED = update(PO).where(PO.c.id == _po_of_workflow).values(status="saved").returning(PO.c.id)
UPLOAD_PROCESSED = update(UPLOAD).where(UPLOAD.c.purchaseOrderId == _po_id).values(status="processed")

# product-draft-creation: the PO's lines in order; one draft per line (executemany of rows).
PO_LINES = (
    select(LINE.c.id, LINE.c.sku, LINE.c.description)
    .join(WORKFLOW, WORKFLOW.c.purchaseOrderId == LINE.c.purchaseOrderId)
    .where(WORKFLOW.c.id == _workflow_id)
    .order_by(LINE.c.lineNumber)
)
ADD_DRAFTS = insert(DRAFT).on_conflict_do_nothing()

# image-attachment: the review session, its products and their images
WORKFLOW_MERCHANT = (
    select(PO.c.merchantId).join(WORKFLOW, WORKFLOW.c.purchaseOrderId == PO.c.id).where(WORKFLOW.c.id == _workflow_id)
)
ADD_REVIEW_SESSION = insert(REVIEW_SESSION).on_conflict_do_nothing()
ADD_REVIEW_PRODUCTS = insert(REVIEW_PRODUCT).on_conflict_do_nothing()
DRAFT_IMAGES = (
    select(DRAFT_IMAGE.c.productDraftId, DRAFT_IMAGE.c.url, DRAFT_IMAGE.c.position)
    .where(DRAFT_IMAGE.c.productDraftId.in_(_ids))
    .order_by(DRAFT_IMAGE.c.productDraftId, DRAFT_IMAGE.c.position)
)
ADD_REVIEW_IMAGES = insert(REVIEW_IMAGE).on_conflict_do_nothing()
# Params: ids, status.
REVIEW_PRODUCTS_STATUS = (
    update(REVIEW_PRODUCT).where(REVIEW_PRODUCT.c.id.in_(_ids)).values(status=_status)
)

# shopify-sync: every draft of the workflow synced, the PO too. Params: workflow_id.
DRAFTS_SYNCED = update(DRAFT).where(DRAFT.c.workflowId == _workflow_id).values(status="synced")
PO_SYNCED = update(PO).where(PO.c.id == _po_of_workflow).values(status="synced")
# status-update: the PO completed. Params: workflow_id.
PO_COMPLETED = update(PO).where(PO.c.id == _po_of_workflow).values(status="completed")

# ai-enrichment (background refinement)
REVIEW_PRODUCTS_OF_WORKFLOW = (
    select(REVIEW_PRODUCT.c.id, REVIEW_PRODUCT.c.productDraftId)
    .join(REVIEW_SESSION, REVIEW_SESSION.c.id == REVIEW_PRODUCT.c.sessionId)
    .where(REVIEW_SESSION.c.workflowId == _workflow_id)
    .order_by(REVIEW_PRODUCT.c.sku)
)
# Params: ids, status.
DRAFTS_STATUS = update(DRAFT).where(DRAFT.c.id.in_(_ids)).values(status=_status)
