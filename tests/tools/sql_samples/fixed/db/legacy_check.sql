-- Run by hand after the fix: how many approved images does each product have?
SELECT p.sku, count(*)
FROM "ImageReviewProductImage" img
JOIN "ImageReviewProduct" p ON p.id = img."reviewProductId"
WHERE img."isApproved"
GROUP BY p.sku;

SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'; /* FROM not_a_table */
