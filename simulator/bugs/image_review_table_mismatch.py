"""Bug image-review-table-mismatch: getApprovedImagesForItem (refinementPipelineService.js) ran raw SQL on
legacy snake_case tables that do not exist; the fix reads the Prisma model `ImageReviewProductImage`."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from recovery_tools.detect import image_review_table_mismatch as _detector
from simulator.bugs.bug import Bug
from simulator.db.client import PrismaClient
from simulator.models import ImageReviewProductImage

BUG = Bug(
    id="image-review-table-mismatch",
    seam="getApprovedImagesForItem (refinementPipelineService.js)",
    checklist_item="Deployment / Fixes Included in This Deploy / 2. Image Review Table Mismatch",
    broken="raw SQL on image_review_options / image_review_items (tables that do not exist)",
    fixed="Prisma model ImageReviewProductImage (the PascalCase table that exists)",
    signature="relation-does-not-exist",
)

# The detector of this bug: does an app's source hold its broken or its fixed form (detect-release)?
detect = _detector.detect

# The legacy query, verbatim as the broken service sent it with $queryRawUnsafe. Kept as one plain string
# literal so that `check-table-names --scan` can find the table names it uses.
LEGACY_APPROVED_IMAGES_SQL = (
    "SELECT o.id, o.image_url, o.position FROM image_review_options o "
    "JOIN image_review_items i ON i.id = o.item_id "
    "WHERE i.id = $1 AND o.is_approved = true ORDER BY o.position"
)

ApprovedImages = Callable[[PrismaClient, Session, str], list[str]]

# The fixed query through the Prisma model, built once (SQLAlchemy reuses its compiled form).
_APPROVED_IMAGES = (
    select(ImageReviewProductImage.imageUrl)
    .where(ImageReviewProductImage.reviewProductId == bindparam("review_product_id"),
           ImageReviewProductImage.isApproved)
    .order_by(ImageReviewProductImage.position)
)


def get_approved_images_for_item_broken(client: PrismaClient, session: Session, review_product_id: str) -> list[str]:
    """Raw SQL on the legacy tables: Postgres answers 42P01, the client raises P2010."""
    rows = client.query_raw(LEGACY_APPROVED_IMAGES_SQL, review_product_id)
    return [str(row["image_url"]) for row in rows]


def get_approved_images_for_item_fixed(client: PrismaClient, session: Session, review_product_id: str) -> list[str]:
    """The ORM on ImageReviewProductImage, inside the caller's transaction."""
    return list(session.scalars(_APPROVED_IMAGES, {"review_product_id": review_product_id}))


def get_approved_images_for_item(fixed: bool) -> ApprovedImages:
    """The implementation a release runs."""
    return get_approved_images_for_item_fixed if fixed else get_approved_images_for_item_broken
