-- Post-deploy sanity query.
SELECT s.id
FROM "ImageReviewSession" s
JOIN "ImageReviewProduct" p ON p."sessionId" = s.id
JOIN "ImageReviewProductImage" i ON i."reviewProductId" = p.id;
