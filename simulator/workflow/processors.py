"""What each workflow stage does in the database and the image search; every write is idempotent."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import case, func, literal, select, update
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
T = TypeVar("T")


def stable_id(*parts: str) -> str:
    """The same id for the same parts: a retried or duplicated stage writes the same rows."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(parts)))


def _now() -> datetime:
    return datetime.now(UTC)


# The current stage attempt's success bookkeeping (its row marked done, the workflow completed), per executor thread:
# a body hands its last write to finish() so that both commit in one transaction; otherwise run_stage writes it.
_pending = threading.local()


def finish(app: App, client: PrismaClient, operation: Callable[[Session], T]) -> T:
    """A body's last write, committed in one transaction with the stage's success bookkeeping."""
    bookkeeping: Callable[[Session], None] | None = getattr(_pending, "bookkeeping", None)
    if bookkeeping is None:
        return app.run(client, operation)

    def both(session: Session) -> T:
        result = operation(session)
        bookkeeping(session)
        return result

    result = app.run(client, both)
    _pending.bookkeeping = None  # committed: run_stage has nothing left to write
    return result


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

    finish(app, client, check)
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

    finish(app, client, write)
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
    finish(app, client, lambda session: attach(session, workflow_id, found))
    return {"workflowId": workflow_id}


def image_review_session(app: App, client: PrismaClient, workflow_id: str, data: Data) -> Data | None:
    """One transaction: the review session, a product per draft, its images (the first approved), each product's
    approved images read back (image-review-table-mismatch seam). Any failure leaves no session."""
    approved_images = image_review_table_mismatch.get_approved_images_for_item(app.fixed("image-review-table-mismatch"))

    def build(session: Session) -> str:
        merchant_id = session.scalar(
            select(PurchaseOrder.merchantId).join(Workflow, Workflow.purchaseOrderId == PurchaseOrder.id)
            .where(Workflow.id == workflow_id)
        )
        if merchant_id is None:
            raise LookupError("workflow not found")
        session_id = stable_id(workflow_id, "review-session")
        session.execute(insert(ImageReviewSession).values(id=session_id, workflowId=workflow_id, merchantId=merchant_id)
                        .on_conflict_do_nothing())
        drafts = const_reassignment.load_drafts(session, workflow_id)
        product_of = {draft.id: stable_id(session_id, draft.id) for draft in drafts}
        if not drafts:
            return session_id
        # Bulk statements: one insert of the products, one read of every draft's images, one insert of theirs.
        session.execute(insert(ImageReviewProduct).values([
            {"id": product_of[draft.id], "sessionId": session_id, "productDraftId": draft.id, "sku": draft.sku}
            for draft in drafts
        ]).on_conflict_do_nothing())
        images = session.execute(
            select(ProductDraftImage.productDraftId, ProductDraftImage.url, ProductDraftImage.position)
            .where(ProductDraftImage.productDraftId.in_(list(product_of)))
            .order_by(ProductDraftImage.productDraftId, ProductDraftImage.position)
        ).all()
        if images:
            session.execute(insert(ImageReviewProductImage).values([
                {"id": stable_id(product_of[draft_id], str(position)), "reviewProductId": product_of[draft_id],
                 "imageUrl": url, "position": position, "isApproved": position == 0}
                for draft_id, url, position in images
            ]).on_conflict_do_nothing())
        ready = [product_id for product_id in product_of.values() if approved_images(client, session, product_id)]
        waiting = [product_id for product_id in product_of.values() if product_id not in ready]
        for status, ids in (("ready", ready), ("needs_images", waiting)):
            if ids:
                session.execute(update(ImageReviewProduct).where(ImageReviewProduct.id.in_(ids)).values(status=status))
        return session_id

    session_id = finish(app, client, build)
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
        refined = {product.productDraftId for product in products if approved_images(client, session, product.id)}
        waiting = {product.productDraftId for product in products} - refined
        for status, ids in (("refined", refined), ("needs_images", waiting)):
            if ids:
                session.execute(update(ProductDraft).where(ProductDraft.id.in_(sorted(ids))).values(status=status))
        session.execute(update(Workflow).where(Workflow.id == workflow_id)
                        .values(currentStage=DONE, updatedAt=_now()))

    finish(app, client, refine)
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
    # One statement: the locking UPDATE of the workflow as a CTE, and the attempt's row inserted only when it matched.
    started = (
        update(Workflow)
        .where(Workflow.id == workflow_id, Workflow.status != "failed", Workflow.currentStage != DONE)
        .values(status=case((Workflow.status == DONE, Workflow.status), else_=literal("running")),
                currentStage=stage, attempts=Workflow.attempts + 1, updatedAt=_now())
        .returning(Workflow.id)
        .cte("started")
    )
    row = select(literal(row_id), started.c.id, literal(stage), literal("running"), literal(attempt))
    inserted = session.execute(
        insert(WorkflowStage)
        .from_select(["id", "workflowId", "stage", "status", "attempt"], row)
        .returning(WorkflowStage.id)
    ).first()
    return inserted is not None


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

    def bookkeeping(session: Session) -> None:
        _end(session, row_id, "done", None)
        if stage == COMPLETES_WORKFLOW:
            _complete(session, workflow_id)

    try:
        if not app.run(client, lambda session: _begin(session, workflow_id, stage, attempt, row_id)):
            app.logs.info("stage skipped: workflow already finished", **fields)
            return None
        _pending.bookkeeping = bookkeeping
        result = BODIES[stage](app, client, workflow_id, data)
        if _pending.bookkeeping is not None:  # the body's last write did not carry it (image search ends in HTTP)
            app.run(client, bookkeeping)
    except Exception as error:
        message = f"{type(error).__name__}: {error}"
        app.logs.error(f"workflow stage {stage} failed: {message}", final=final, **fields)
        try:
            app.run(client, lambda session: _end(session, row_id, "failed", message))
            if final:
                app.run(client, lambda session: _fail_workflow(session, workflow_id))
        except Exception as unrecorded:  # the stage's own error is the one that matters
            app.logs.warning(f"could not record the failed stage: {type(unrecorded).__name__}", **fields)
        raise
    finally:
        _pending.bookkeeping = None
    app.logs.info(f"stage {stage} done", **fields)
    return result
