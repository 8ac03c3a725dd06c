"""Fixed image review queries: quoted PascalCase tables, CTEs, functions and catalog views all resolve."""

from __future__ import annotations

APPROVED = """
    SELECT img."imageUrl"
    FROM "ImageReviewProductImage" img
    JOIN "ImageReviewProduct" p ON p.id = img."reviewProductId"
    WHERE p.id = %s AND img."isApproved"
"""

STATS = (
    "WITH counts AS (SELECT \"workflowId\", count(*) AS n FROM \"ImageReviewSession\" GROUP BY 1) "
    "SELECT extract(epoch FROM now()), c.n FROM counts c, generate_series(1, 3) g "
    "WHERE c.n IS DISTINCT FROM g"
)

TABLES = "SELECT table_name FROM information_schema.tables JOIN pg_class ON relname = table_name"
