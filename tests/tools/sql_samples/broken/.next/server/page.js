// Next.js build output: never scanned.
exports.q = () => db.query("SELECT * FROM purchase_orders");
