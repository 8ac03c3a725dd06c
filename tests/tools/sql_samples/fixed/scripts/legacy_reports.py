"""Reports that read image_review_items FROM the old tables no more (this docstring is prose, not SQL)."""

from __future__ import annotations

APPROVED = (
    'SELECT img."imageUrl" FROM "ImageReviewProductImage" img '
    'WHERE img."reviewProductId" = %s'
)


def pending_sql(table: str) -> str:
    # select rows from the pending table (a comment, not SQL)
    return f'SELECT count(*) FROM "{table}" WHERE status = %s'


def recent_sql(days: int) -> str:
    return f"""
        WITH recent AS (SELECT * FROM "ImageReviewSession" WHERE "createdAt" > now() - interval '{days} days')
        SELECT r.id FROM recent r
        LEFT JOIN public."ImageReviewProduct" p ON p."sessionId" = r.id
    """


PROSE = "Images come from the review table and go into the draft."
