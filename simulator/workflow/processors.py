"""What each workflow stage does in the database and the image search; every write is idempotent."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Executable
from sqlalchemy.orm import Session

from simulator.bugs import connection_hygiene, const_reassignment, image_review_table_mismatch
from simulator.db.client import PrismaClient
from simulator.workflow import statements as sql
from simulator.workflow.context import App
from simulator.workflow.stages import COMPLETES_WORKFLOW

Data = dict[str, Any]
T = TypeVar("T")


def stable_id(*parts: str) -> str:
    """The same id for the same parts: a retried or duplicated stage writes the same rows."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(parts)))


@dataclass
class StageAttempt:
    """One attempt of a stage job, handed to its body: the app, the client, the workflow, and the attempt's
    success bookkeeping (its row marked done, the workflow completed) still to be written."""

    app: App
    client: PrismaClient
    workflow_id: str
    bookkeeping: Callable[[Session], None] | None = None

    def run(self, operation: Callable[[Session], T]) -> T:
        """One DB operation of the body, in its own transaction."""
        return self.app.run(self.client, operation)

    def finish(self, operation: Callable[[Session], T]) -> T:
        """The body's last write, committed in one transaction with the success bookkeeping."""
        bookkeeping = self.bookkeeping
        if bookkeeping is None:
            return self.run(operation)

        def both(session: Session) -> T:
            result = operation(session)
            bookkeeping(session)
            return result

        result = self.run(both)
        self.bookkeeping = None  # committed: run_stage has nothing left to write
        return result


Body = Callable[[StageAttempt, Data], Data | None]


def ai_parsing(attempt: StageAttempt, data: Data) -> Data | None:
    """processAIParsing: the uploaded PO's lines are there (a PO without lines fails the stage); the PO is parsed."""
    workflow_id = attempt.workflow_id

    def check(session: Session) -> int:
        found = session.execute(sql.PO_LINE_COUNT, {"workflow_id": workflow_id}).first()
        if found is None:
            raise LookupError("workflow not found")
        po_id, count = found
        if not count:
            raise ValueError("purchase order has no lines")
        session.execute(sql.PO_PARSED, {"po_id": po_id})
        return int(count)

    lines = attempt.finish(check)
    return {"workflowId": workflow_id, "lineCount": lines}


def database_save(attempt: StageAttempt, data: Data) -> Data | None:
    """processDatabaseSave: the parsed PO saved and its upload marked processed."""
    workflow_id = attempt.workflow_id

    def save(session: Session) -> None:
        po_id = session.execute(sql.PO_SAVED, {"workflow_id": workflow_id}).scalar()
        if po_id is None:
            raise LookupError("workflow not found")
        session.execute(sql.UPLOAD_PROCESSED, {"po_id": po_id})

    attempt.finish(save)
    return {"workflowId": workflow_id}


def product_draft_creation(attempt: StageAttempt, data: Data) -> Data | None:
    """Look the SKUs up in the catalogue (connection-hygiene seam), then one draft per PO line."""
    app, client, workflow_id = attempt.app, attempt.client, attempt.workflow_id
    lines = attempt.run(lambda session: list(session.execute(sql.PO_LINES, {"workflow_id": workflow_id})))
    lookup = connection_hygiene.catalogue_lookup(app.fixed("connection-hygiene"))
    lookup(client, app.run, [sku for _, sku, _ in lines], app.clock)
    rows = [
        {"id": stable_id(workflow_id, line_id), "workflowId": workflow_id, "purchaseOrderLineId": line_id,
         "sku": sku, "title": description}
        for line_id, sku, description in lines
    ]

    def write(session: Session) -> None:
        if rows:
            session.execute(sql.ADD_DRAFTS, rows)

    attempt.finish(write)
    return {"workflowId": workflow_id}


def _set_status(session: Session, statement: Executable, ids: Collection[str], status: str) -> None:
    if ids:
        session.execute(statement, {"ids": sorted(ids), "status": status})


def image_attachment(attempt: StageAttempt, data: Data) -> Data | None:
    """processImageAttachment: up to three images per draft from the image search (google-429 seam), attached to
    the drafts (const-reassignment seam), then the image review session in one transaction with the attachment:
    a product per draft, its images (the first approved), each product's approved images read back
    (image-review-table-mismatch seam). Any failure leaves no images and no session."""
    app, client, workflow_id = attempt.app, attempt.client, attempt.workflow_id
    drafts = attempt.run(lambda session: const_reassignment.load_drafts(session, workflow_id))
    found = {draft.id: app.search_images(f"{draft.title} {draft.sku}") for draft in drafts}
    attach = const_reassignment.process_image_attachment(app.fixed("const-reassignment"))
    approved_images = image_review_table_mismatch.get_approved_images_for_item(app.fixed("image-review-table-mismatch"))

    def attach_and_review(session: Session) -> str:
        attach(session, workflow_id, found)
        merchant_id = session.execute(sql.WORKFLOW_MERCHANT, {"workflow_id": workflow_id}).scalar()
        if merchant_id is None:
            raise LookupError("workflow not found")
        session_id = stable_id(workflow_id, "review-session")
        review = {"id": session_id, "workflowId": workflow_id, "merchantId": merchant_id}
        session.execute(sql.ADD_REVIEW_SESSION, review)
        drafts = const_reassignment.load_drafts(session, workflow_id)
        product_of = {draft.id: stable_id(session_id, draft.id) for draft in drafts}
        if not drafts:
            return session_id
        # Bulk statements: one insert of the products, one read of every draft's images, one insert of theirs.
        session.execute(sql.ADD_REVIEW_PRODUCTS, [
            {"id": product_of[draft.id], "sessionId": session_id, "productDraftId": draft.id, "sku": draft.sku}
            for draft in drafts
        ])
        images = session.execute(sql.DRAFT_IMAGES, {"ids": list(product_of)}).all()
        if images:
            session.execute(sql.ADD_REVIEW_IMAGES, [
                {"id": stable_id(product_of[draft_id], str(position)), "reviewProductId": product_of[draft_id],
                 "imageUrl": url, "position": position, "isApproved": position == 0}
                for draft_id, url, position in images
            ])
        ready = {product_id for product_id in product_of.values() if approved_images(client, session, product_id)}
        _set_status(session, sql.REVIEW_PRODUCTS_STATUS, ready, "ready")
        _set_status(session, sql.REVIEW_PRODUCTS_STATUS, set(product_of.values()) - ready, "needs_images")
        return session_id

    session_id = attempt.finish(attach_and_review)
    return {"workflowId": workflow_id, "sessionId": session_id}


def shopify_sync(attempt: StageAttempt, data: Data) -> Data | None:
    """processShopifySync: the drafts handed to the store (no store here: they and the PO are marked synced)."""
    workflow_id = attempt.workflow_id

    def sync(session: Session) -> None:
        session.execute(sql.DRAFTS_SYNCED, {"workflow_id": workflow_id})
        session.execute(sql.PO_SYNCED, {"workflow_id": workflow_id})

    attempt.finish(sync)
    return {"workflowId": workflow_id}


def status_update(attempt: StageAttempt, data: Data) -> Data | None:
    """processStatusUpdate: the PO completed; with it the workflow is done (its bookkeeping)."""
    workflow_id = attempt.workflow_id
    attempt.finish(lambda session: session.execute(sql.PO_COMPLETED, {"workflow_id": workflow_id}))
    return {"workflowId": workflow_id}


def ai_enrichment(attempt: StageAttempt, data: Data) -> Data | None:
    """Background refinement of a done workflow: drafts refined from their approved images (the refinement
    pipeline's getApprovedImagesForItem: image-review-table-mismatch seam); then currentStage is done."""
    client, workflow_id = attempt.client, attempt.workflow_id
    approved_images = image_review_table_mismatch.get_approved_images_for_item(
        attempt.app.fixed("image-review-table-mismatch"))

    def refine(session: Session) -> None:
        products = session.execute(sql.REVIEW_PRODUCTS_OF_WORKFLOW, {"workflow_id": workflow_id}).all()
        refined = {draft_id for product_id, draft_id in products if approved_images(client, session, product_id)}
        _set_status(session, sql.DRAFTS_STATUS, refined, "refined")
        _set_status(session, sql.DRAFTS_STATUS, {draft_id for _, draft_id in products} - refined, "needs_images")
        session.execute(sql.WORKFLOW_REFINED, {"workflow_id": workflow_id})

    attempt.finish(refine)
    return None


BODIES: dict[str, Body] = {
    "ai-parsing": ai_parsing,
    "database-save": database_save,
    "product-draft-creation": product_draft_creation,
    "image-attachment": image_attachment,
    "shopify-sync": shopify_sync,
    "status-update": status_update,
    "ai-enrichment": ai_enrichment,
}


def run_stage(app: App, stage: str, data: Data, attempt: int, final: bool) -> Data | None:
    """Run one stage job: a "WorkflowStageExecution" row per attempt, the body, errors logged as the app logs them.

    Returns the next stage's job data, or None when the workflow stops here (last stage, or already finished).
    Raises on failure so that the queue retries the job with backoff.
    """
    workflow_id = str(data["workflowId"])
    client = app.clients.acquire()
    row_id = str(uuid.uuid4())
    fields = {"workflowId": workflow_id, "stage": stage, "attempt": attempt}

    def bookkeeping(session: Session) -> None:
        session.execute(sql.END_STAGE, {"row_id": row_id, "status": "done", "error": None})
        if stage == COMPLETES_WORKFLOW:
            session.execute(sql.COMPLETE_WORKFLOW, {"workflow_id": workflow_id})

    def begin(session: Session) -> bool:
        started = {"workflow_id": workflow_id, "stage": stage, "row_id": row_id, "attempt": attempt}
        return session.execute(sql.BEGIN_STAGE, started).first() is not None

    try:
        if not app.run(client, begin):
            app.logs.info("stage skipped: workflow already finished", **fields)
            return None
        context = StageAttempt(app, client, workflow_id, bookkeeping)
        result = BODIES[stage](context, data)
        if context.bookkeeping is not None:  # the body's last write did not carry it
            app.run(client, bookkeeping)
    except Exception as error:
        message = f"{type(error).__name__}: {error}"
        app.logs.error(f"workflow stage {stage} failed: {message}", final=final, **fields)
        try:
            failed = {"row_id": row_id, "status": "failed", "error": message}
            app.run(client, lambda session: session.execute(sql.END_STAGE, failed))
            if final:
                app.run(client, lambda session: session.execute(sql.FAIL_WORKFLOW, {"workflow_id": workflow_id}))
        except Exception as unrecorded:  # the stage's own error is the one that matters
            app.logs.warning(f"could not record the failed stage: {type(unrecorded).__name__}", **fields)
        raise
    app.logs.info(f"stage {stage} done", **fields)
    return result
