// Image refinement: which images of a reviewed item were approved.
import { query } from '../lib/db';

interface ApprovedImage {
  id: string;
  image_url: string;
  position: number;
}

export async function getApprovedImagesForItem(itemId: string): Promise<string[]> {
  const sql = `
    SELECT o.id, o.image_url, o.position
    FROM image_review_options o
    JOIN image_review_items i ON i.id = o.item_id
    WHERE i.id = $1 AND o.is_approved = true
    ORDER BY o.position`;
  const rows: ApprovedImage[] = await query(sql, itemId);
  return rows.map((row) => row.image_url);
}
