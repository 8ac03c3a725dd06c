"""Bug const-reassignment: processImageAttachment (workflowOrchestrator.js:1259) queries drafts twice and
reassigns a `const` binding; the fix queries once into `let draftsToProcess`."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Row, bindparam, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from recovery_tools.detect import const_reassignment as _detector
from simulator.bugs.bug import Bug
from simulator.models import ProductDraft, ProductImage, table

BUG = Bug(
    id="const-reassignment",
    seam="processImageAttachment (workflowOrchestrator.js:1259)",
    checklist_item="Deployment / Fixes Included in This Deploy / 1. Const Reassignment Bug",
    broken="queries the drafts twice, then `productDrafts = draftsFromDb` on a const binding",
    fixed="one query into `let draftsToProcess`",
    signature="const-assignment",
)

# The detector of this bug: does an app's source hold its broken or its fixed form (detect-release)?
detect = _detector.detect


class ConstScope:
    """A JavaScript block scope: `const` bindings cannot be assigned again, exactly as V8 enforces."""

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}
        self._const: set[str] = set()

    def const(self, name: str, value: Any) -> Any:
        self._values[name] = value
        self._const.add(name)
        return value

    def let(self, name: str, value: Any) -> Any:
        self._values[name] = value
        return value

    def assign(self, name: str, value: Any) -> Any:
        if name in self._const:
            raise TypeError("Assignment to constant variable.")
        if name not in self._values:
            raise NameError(f"{name} is not defined")  # V8: ReferenceError
        self._values[name] = value
        return value

    def __getitem__(self, name: str) -> Any:
        return self._values[name]


# A draft as the stages read it: id, sku, title (attribute access, like the Prisma objects).
Draft = Row[tuple[str, str, str]]

# Built once: SQLAlchemy reuses the compiled statements.
_DRAFTS = (
    select(ProductDraft.id, ProductDraft.sku, ProductDraft.title)
    .where(ProductDraft.workflowId == bindparam("workflow_id"))
    .order_by(ProductDraft.sku)
)
_ADD_IMAGES = insert(table(ProductImage)).on_conflict_do_nothing()


def load_drafts(session: Session, workflow_id: str) -> list[Draft]:
    """The drafts of one workflow, in PO line order (one SELECT)."""
    return list(session.execute(_DRAFTS, {"workflow_id": workflow_id}))


def attach_images(session: Session, drafts: Sequence[Draft], found: Mapping[str, Sequence[str]]) -> int:
    """Insert each draft's found image URLs; a retried job inserts nothing twice. Returns rows inserted."""
    rows = [
        {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{draft.id}/{position}")), "productDraftId": draft.id,
         "url": url, "position": position}
        for draft in drafts
        for position, url in enumerate(found.get(draft.id, ()))
    ]
    if not rows:
        return 0
    result = session.execute(_ADD_IMAGES, rows)
    return int(getattr(result, "rowcount", 0) or 0)


def process_image_attachment_broken(session: Session, workflow_id: str, found: Mapping[str, Sequence[str]]) -> int:
    """As in production before the fix: a second, duplicate query, then, when there are images to attach,
    the refresh `productDrafts = draftsFromDb` on a const binding, which throws."""
    scope = ConstScope()
    scope.const("productDrafts", load_drafts(session, workflow_id))
    drafts_from_db = load_drafts(session, workflow_id)  # the duplicate query
    if any(found.get(draft.id) for draft in drafts_from_db):
        scope.assign("productDrafts", drafts_from_db)  # workflowOrchestrator.js:1259 -> TypeError
    return attach_images(session, scope["productDrafts"], found)


def process_image_attachment_fixed(session: Session, workflow_id: str, found: Mapping[str, Sequence[str]]) -> int:
    """The fix: `let draftsToProcess = await loadDrafts()` once, then attach."""
    scope = ConstScope()
    drafts_to_process = scope.let("draftsToProcess", load_drafts(session, workflow_id))
    return attach_images(session, drafts_to_process, found)


def process_image_attachment(fixed: bool) -> Callable[[Session, str, Mapping[str, Sequence[str]]], int]:
    """The implementation a release runs."""
    return process_image_attachment_fixed if fixed else process_image_attachment_broken
