// Image review (CommonJS): raw SQL through the app's own helpers, on the legacy snake_case tables.
const { db, pool } = require('../lib/db');

async function approvedOptions(poId) {
  const rows = await db.query(`
    SELECT iro.*
    FROM image_review_options iro
    JOIN image_review_items iri ON iro.review_item_id = iri.id
    JOIN image_review_sessions irs ON iri.session_id = irs.id
    WHERE irs.purchase_order_id = $1`, [poId]);
  return rows;
}

async function listSessions(merchantId, status) {
  const params = [merchantId];
  let query = `SELECT irs.*, po.po_number FROM image_review_sessions irs
               LEFT JOIN purchase_orders po ON irs.purchase_order_id = po.id WHERE irs.merchant_id = $1`;
  if (status) {
    params.push(status);
    query += ` AND irs.status = $2`;
  }
  query += ' ORDER BY irs.created_at DESC';
  const result = await pool.query(query, params);
  return result;
}

async function countSessions(workflowId) {
  // Right: the quoted PascalCase table and column exist.
  return db.query('SELECT count(*) FROM "ImageReviewSession" WHERE "workflowId" = $1', [workflowId]);
}

module.exports = { approvedOptions, listSessions, countSessions };
