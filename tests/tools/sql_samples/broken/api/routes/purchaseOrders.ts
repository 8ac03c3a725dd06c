// Purchase order routes (TypeScript): typed helpers, knex, a function that returns SQL, Prisma.sql.
import { Prisma } from '@prisma/client';
import type { Knex } from 'knex';
import type { PoolClient } from 'pg';

type PoRow = { id: string; po_number: string };

export async function purchaseOrdersOf(client: PoolClient, merchantId: string): Promise<PoRow[]> {
  const { rows } = await client.query<PoRow>(
    `SELECT id, po_number FROM purchase_orders WHERE merchant_id = $1 ORDER BY created_at DESC`,
    [merchantId],
  );
  return rows;
}

export function deleteSession(knex: Knex, id: string) {
  return knex.raw('DELETE FROM image_review_sessions WHERE id = ?', [id]);
}

export function linesSql(): string {
  return `SELECT l.sku, l."unitCost" FROM "POLineItem" l JOIN PurchaseOrder po ON po.id = l."purchaseOrderId"`;
}

export const byStatus = (status: string) =>
  Prisma.sql`SELECT w.id FROM "WorkflowExecution" w WHERE w.status = ${status} AND w."currentStage" = 'review'`;
