-- Run by hand during the incident: which approved images does the legacy table hold?
SELECT count(*)
FROM "ImageReviewProductImage" img
WHERE img."isApproved";

SELECT * FROM image_review_options; /* FROM not_a_table_in_a_comment */
