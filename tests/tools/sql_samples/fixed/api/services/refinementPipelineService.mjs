// Refinement (ESM): a nested template literal, a concatenation, and the column Prisma created.
import { db } from '../lib/db.js';

export async function productsOfSession(sessionId, withImages) {
  return db.query(`
    SELECT p.id, p.sku
    FROM "ImageReviewProduct" p
    ${withImages ? `JOIN "ImageReviewProductImage" i ON i."reviewProductId" = p.id AND i."isApproved"` : ''}
    WHERE p."sessionId" = $1`, [sessionId]);
}

export async function markReviewed(productId) {
  const sql = 'UPDATE "ImageReviewProduct" ' +
    "SET status = 'reviewed' " +
    'WHERE id = $1';
  await db.execute(sql, [productId]);
}

export async function setProductStatus(sessionId, status) {
  await db.execute(`UPDATE "ImageReviewProduct" SET status = $1 WHERE "sessionId" = $2`, [status, sessionId]);
}
