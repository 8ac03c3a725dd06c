// Image review (CommonJS): raw SQL through the app's own helpers, on the tables Prisma created.
const { db, pool } = require('../lib/db');

async function approvedOptions(poId) {
  const rows = await db.query(`
    SELECT img.*
    FROM "ImageReviewProductImage" img
    JOIN "ImageReviewProduct" p ON img."reviewProductId" = p.id
    JOIN "ImageReviewSession" s ON p."sessionId" = s.id
    JOIN "WorkflowExecution" w ON w.id = s."workflowId"
    WHERE w."purchaseOrderId" = $1`, [poId]);
  return rows;
}

async function listSessions(merchantId, status) {
  const params = [merchantId];
  let query = `SELECT s.*, po."poNumber" FROM "ImageReviewSession" s
               JOIN "WorkflowExecution" w ON w.id = s."workflowId"
               LEFT JOIN "PurchaseOrder" po ON w."purchaseOrderId" = po.id WHERE s."merchantId" = $1`;
  if (status) {
    params.push(status);
    query += ` AND s.status = $2`;
  }
  query += ' ORDER BY s."createdAt" DESC';
  const result = await pool.query(query, params);
  return result;
}

async function countSessions(workflowId) {
  // Right: the quoted PascalCase table and column exist.
  return db.query('SELECT count(*) FROM "ImageReviewSession" WHERE "workflowId" = $1', [workflowId]);
}

module.exports = { approvedOptions, listSessions, countSessions };
