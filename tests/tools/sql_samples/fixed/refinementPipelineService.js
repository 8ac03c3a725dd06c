// The fixed pipeline: the Prisma model for the data, raw SQL only on tables that exist.
const { prisma } = require('./db');

async function getApprovedImagesForItem(reviewProductId) {
  const images = await prisma.imageReviewProductImage.findMany({
    where: { reviewProductId, isApproved: true },
    orderBy: { position: 'asc' },
  });
  return images.map((image) => image.imageUrl);
}

async function sessionsOfWorkflow(workflowId) {
  return prisma.$queryRaw`
    SELECT s.id, count(p.id) AS products
    FROM "ImageReviewSession" s
    LEFT JOIN "ImageReviewProduct" p ON p."sessionId" = s.id
    WHERE s."workflowId" = ${workflowId}
    GROUP BY s.id
  `;
}

module.exports = { getApprovedImagesForItem, sessionsOfWorkflow };
