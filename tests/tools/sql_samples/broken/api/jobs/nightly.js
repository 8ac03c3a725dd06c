// A file that does not parse: the scan lists it as skipped, with the reason.
async function nightly( {
  await db.query(`SELECT * FROM image_review_items`);
}
