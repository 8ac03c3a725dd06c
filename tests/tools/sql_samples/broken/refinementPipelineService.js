// The refinement pipeline as the broken release shipped it: raw SQL on legacy snake_case tables.
const { prisma } = require('./db');

async function getApprovedImagesForItem(itemId) {
  const rows = await prisma.$queryRaw`
    SELECT o.id, o.image_url
    FROM image_review_options o
    JOIN image_review_items i ON i.id = o.item_id
    WHERE i.id = ${itemId} AND o.is_approved = true
  `;
  return rows.map((row) => row.image_url);
}

async function countSessions(workflowId) {
  // This one is right: the quoted PascalCase table exists.
  return prisma.$queryRawUnsafe('SELECT count(*) FROM "ImageReviewSession" WHERE "workflowId" = $1', workflowId);
}

async function markReviewed(itemId) {
  await prisma.$executeRaw`UPDATE image_review_items SET reviewed = true WHERE id = ${itemId}`;
}

module.exports = { getApprovedImagesForItem, countSessions, markReviewed };
