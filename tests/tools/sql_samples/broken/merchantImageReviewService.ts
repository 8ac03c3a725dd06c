// Legacy merchant review service (TypeScript): an unquoted PascalCase name folds to lower case.
import { Prisma, PrismaClient } from '@prisma/client';

type Row = { id: string; imageUrl: string };

export async function productImages(prisma: PrismaClient, productId: string): Promise<Row[]> {
  return prisma.$queryRaw<Row[]>`SELECT id, "imageUrl" FROM ImageReviewProductImage WHERE "reviewProductId" = ${productId}`;
}

export async function archive(prisma: PrismaClient, id: string): Promise<number> {
  return prisma.$executeRawUnsafe(
    "INSERT INTO image_review_archive (id) SELECT id FROM \"ImageReviewProduct\" WHERE id = $1",
    id,
  );
}

export const byStatus = (status: string) =>
  Prisma.sql`SELECT p.id FROM "ImageReviewProduct" p JOIN "ImageReviewSession" s ON s.id = p."sessionId" WHERE s.status = ${status}`;
