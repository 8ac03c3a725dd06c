"""What each workflow stage does in the database and the image search; every write is idempotent."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from simulator.bugs import connection_hygiene, const_reassignment, image_review_table_mismatch
from simulator.db.client import PrismaClient
from simulator.models import (
    ImageReviewProduct,
    ImageReviewProductImage,
    ImageReviewSession,
    ProductDraft,
    ProductDraftImage,
    PurchaseOrder,
    PurchaseOrderLine,
    Workflow,
    WorkflowStage,
)
from simulator.workflow.context import App
from simulator.workflow.stages import COMPLETES_WORKFLOW, DONE

Data = dict[str, Any]
Body = Callable[[App, PrismaClient, str, Data], Data | None]


def stable_id(*parts: str) -> str:
    """The same id for the same parts: a retried or duplicated stage writes the same rows."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(parts)))


def _now() -> datetime:
    return datetime.now(UTC)


def _lines(session: Session, workflow_id: str) -> list[PurchaseOrderLine]:
    query = (
        select(PurchaseOrderLine)
        .join(Workflow, Workflow.purchaseOrderId == PurchaseOrderLine.purchaseOrderId)
        .where(Workflow.id == workflow_id)
        .order_by(PurchaseOrderLine.lineNumber)
    )
    return list(session.scalars(query))


def parse(app: App, client: PrismaClient, workflow_id: str, data: Data) -> Data | None:
    """Check the PO's lines are there and mark the PO parsed."""

    def check(session: Session) -> int:
        workflow = session.get(Workflow, workflow_id)
        if workflow is None:
            raise LookupError("workflow not found")
        count = session.scalar(
            select(func.count()).select_from(PurchaseOrderLine)
            .where(PurchaseOrderLine.purchaseOrderId == workflow.purchaseOrderId)
        )
        if not count:
            raise ValueError("purchase order has no lines")
        session.execute(update(PurchaseOrder).where(PurchaseOrder.id == workflow.purchaseOrderId)
                        .values(status="parsed"))
        return int(count)

    app.run(client, check)
    return {"workflowId": workflow_id}


def product_drafts(app: App, client: PrismaClient, workflow_id: str, data: Data) -> Data | None:
    """Look the SKUs up in the catalogue (connection-hygiene seam), then one draft per PO line."""
    lines = app.run(client, lambda session: [
        (line.id, line.sku, line.description) for line in _lines(session, workflow_id)
    ])
    lookup = connection_hygiene.catalogue_lookup(app.fixed("connection-hygiene"))
    lookup(client, app.run, [sku for _, sku, _ in lines], app.clock)
    rows = [
        {"id": stable_id(workflow_id, line_id), "workflowId": workflow_id, "purchaseOrderLineId": line_id,
         "sku": sku, "title": description}
        for line_id, sku, description in lines
    ]

    def write(session: Session) -> None:
        if rows:
            session.execute(insert(ProductDraft).values(rows).on_conflict_do_nothing())

    app.run(client, write)
    return {"workflowId": workflow_id}


def image_search(app: App, client: PrismaClient, workflow_id: str, data: Data) -> Data | None:
    """Up to three image URLs per draft from the image search (google-429 seam), passed to the next stage."""
    drafts = app.run(client, lambda session: [
        (draft.id, draft.sku, draft.title) for draft in const_reassignment.load_drafts(session, workflow_id)
    ])
    found = {draft_id: app.search_images(f"{title} {sku}") for draft_id, sku, title in drafts}
    return {"workflowId": workflow_id, "images": found}


def image_attachment(app: App, client: PrismaClient, workflow_id: str, data: Data) -> Data | None:
    """processImageAttachment (const-reassignment seam): the found images become draft images."""
    attach = const_reassignment.process_image_attachment(app.fixed("const-reassignment"))
    found = data.get("images") or {}
    app.run(client, lambda session: attach(session, workflow_id, found))
    return {"workflowId": workflow_id}


def image_review_session(app: App, client: PrismaClient, workflow_id: str, data: Data) -> Data | None:
    """One transaction: the review session, a product per draft, its images (the first approved), each product's
    approved images read back (image-review-table-mismatch seam). Any failure leaves no session."""
    approved_images = image_review_table_mismatch.get_approved_images_for_item(app.fixed("image-review-table-mismatch"))

    def build(session: Session) -> str:
        workflow = session.get(Workflow, workflow_id)
        if workflow is None:
            raise LookupError("workflow not found")
        merchant_id = session.scalar(
            select(PurchaseOrder.merchantId).where(PurchaseOrder.id == workflow.purchaseOrderId)
        )
        session_id = stable_id(workflow_id, "review-session")
        session.execute(insert(ImageReviewSession).values(id=session_id, workflowId=workflow_id, merchantId=merchant_id)
                        .on_conflict_do_nothing())
        product_ids: list[str] = []
        for draft in const_reassignment.load_drafts(session, workflow_id):
            product_id = stable_id(session_id, draft.id)
            product_ids.append(product_id)
            session.execute(insert(ImageReviewProduct).values(
                id=product_id, sessionId=session_id, productDraftId=draft.id, sku=draft.sku).on_conflict_do_nothing())
            images = session.scalars(select(ProductDraftImage).where(ProductDraftImage.productDraftId == draft.id)
                                     .order_by(ProductDraftImage.position)).all()
            if images:
                session.execute(insert(ImageReviewProductImage).values([
                    {"id": stable_id(product_id, str(image.position)), "reviewProductId": product_id,
                     "imageUrl": image.url, "position": image.position, "isApproved": image.position == 0}
                    for image in images
                ]).on_conflict_do_nothing())
        session.flush()
        for product_id in product_ids:
            status = "ready" if approved_images(client, session, product_id) else "needs_images"
            session.execute(update(ImageReviewProduct).where(ImageReviewProduct.id == product_id).values(status=status))
        return session_id

    session_id = app.run(client, build)
    return {"workflowId": workflow_id, "sessionId": session_id}


def _complete(session: Session, workflow_id: str) -> None:
    session.execute(update(Workflow).where(Workflow.id == workflow_id).values(status=DONE, updatedAt=_now()))


def refinement(app: App, client: PrismaClient, workflow_id: str, data: Data) -> Data | None:
    """Background follow-up of a done workflow: drafts refined from their approved images (the same seam)."""
    approved_images = image_review_table_mismatch.get_approved_images_for_item(app.fixed("image-review-table-mismatch"))

    def refine(session: Session) -> None:
        products = session.scalars(
            select(ImageReviewProduct).join(ImageReviewSession)
            .where(ImageReviewSession.workflowId == workflow_id).order_by(ImageReviewProduct.sku)
        ).all()
        for product in products:
            approved = approved_images(client, session, product.id)
            session.execute(update(ProductDraft).where(ProductDraft.id == product.productDraftId)
                            .values(status="refined" if approved else "needs_images"))
        session.execute(update(Workflow).where(Workflow.id == workflow_id)
                        .values(currentStage=DONE, updatedAt=_now()))

    app.run(client, refine)
    return None


BODIES: dict[str, Body] = {
    "parse": parse,
    "product-drafts": product_drafts,
    "image-search": image_search,
    "image-attachment": image_attachment,
    "image-review-session": image_review_session,
    "refinement": refinement,
}


def _begin(session: Session, workflow_id: str, stage: str, attempt: int, row_id: str) -> bool:
    workflow = session.get(Workflow, workflow_id, with_for_update=True)
    if workflow is None or workflow.status == "failed" or workflow.currentStage == DONE:
        return False
    session.add(WorkflowStage(id=row_id, workflowId=workflow_id, stage=stage, status="running", attempt=attempt))
    if workflow.status != DONE:
        workflow.status = "running"
    workflow.currentStage = stage
    workflow.attempts = workflow.attempts + 1
    workflow.updatedAt = _now()
    return True


def _end(session: Session, row_id: str, status: str, error: str | None) -> None:
    session.execute(update(WorkflowStage).where(WorkflowStage.id == row_id)
                    .values(status=status, finishedAt=_now(), error=error))


def _fail_workflow(session: Session, workflow_id: str) -> None:
    session.execute(update(Workflow).where(Workflow.id == workflow_id, Workflow.status != DONE)
                    .values(status="failed", updatedAt=_now()))


def run_stage(app: App, stage: str, data: Data, attempt: int, final: bool) -> Data | None:
    """Run one stage job: a "WorkflowStage" row per attempt, the stage's body, errors logged as the app logs them.

    Returns the next stage's job data, or None when the workflow stops here (last stage, or already finished).
    Raises on failure so that BullMQ retries the job with backoff.
    """
    workflow_id = str(data["workflowId"])
    client = app.clients.acquire()
    row_id = str(uuid.uuid4())
    fields = {"workflowId": workflow_id, "stage": stage, "attempt": attempt}
    try:
        if not app.run(client, lambda session: _begin(session, workflow_id, stage, attempt, row_id)):
            app.logs.info("stage skipped: workflow already finished", **fields)
            return None
        result = BODIES[stage](app, client, workflow_id, data)
        app.run(client, lambda session: _end(session, row_id, "done", None))
        if stage == COMPLETES_WORKFLOW:
            app.run(client, lambda session: _complete(session, workflow_id))
    except Exception as error:
        message = f"{type(error).__name__}: {error}"
        app.logs.error(f"workflow stage {stage} failed: {message}", final=final, **fields)
        try:
            app.run(client, lambda session: _end(session, row_id, "failed", message))
            if final:
                app.run(client, lambda session: _fail_workflow(session, workflow_id))
        except Exception as bookkeeping:  # the stage's own error is the one that matters
            app.logs.warning(f"could not record the failed stage: {type(bookkeeping).__name__}", **fields)
        raise
    app.logs.info(f"stage {stage} done", **fields)
    return result
