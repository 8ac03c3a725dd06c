// Image refinement: which images of a reviewed item were approved (through the Prisma model).
import { prismaOperation } from '../lib/db';

export async function getApprovedImagesForItem(reviewProductId: string): Promise<string[]> {
  const images = await prismaOperation((client) =>
    client.imageReviewProductImage.findMany({
      where: { reviewProductId, isApproved: true },
      orderBy: { position: 'asc' },
    }));
  return images.map((image: { imageUrl: string }) => image.imageUrl);
}
