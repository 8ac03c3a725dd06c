// Refinement (ESM): a nested template literal, a concatenation, and a column Prisma never created.
import { db } from '../lib/db.js';

export async function productsOfSession(sessionId, withImages) {
  return db.query(`
    SELECT p.id, p.sku
    FROM "ImageReviewProduct" p
    ${withImages ? `JOIN image_review_options o ON o.product_id = p.id AND o.is_approved` : ''}
    WHERE p."sessionId" = $1`, [sessionId]);
}

export async function markReviewed(itemId) {
  const sql = 'UPDATE image_review_items ' +
    'SET reviewed = true ' +
    'WHERE id = $1';
  await db.execute(sql, [itemId]);
}

export async function setProductStatus(sessionId, status) {
  await db.execute(`UPDATE "ImageReviewProduct" SET status = $1 WHERE session_id = $2`, [status, sessionId]);
}
