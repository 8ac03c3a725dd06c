// Build output: compiled from api/, never scanned.
exports.q = () => db.query(`SELECT * FROM image_review_items WHERE id = $1`);
