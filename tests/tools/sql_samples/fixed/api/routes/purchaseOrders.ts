// Purchase order routes (TypeScript): typed helpers, knex, a function that returns SQL, Prisma.sql.
import { Prisma } from '@prisma/client';
import type { Knex } from 'knex';
import type { PoolClient } from 'pg';

type PoRow = { id: string; poNumber: string };

export async function purchaseOrdersOf(client: PoolClient, merchantId: string): Promise<PoRow[]> {
  const { rows } = await client.query<PoRow>(
    `SELECT id, "poNumber" FROM "PurchaseOrder" WHERE "merchantId" = $1 ORDER BY "createdAt" DESC`,
    [merchantId],
  );
  return rows;
}

export function deleteSession(knex: Knex, id: string) {
  return knex.raw('DELETE FROM "ImageReviewSession" WHERE id = ?', [id]);
}

export function linesSql(): string {
  return `SELECT l.sku, l."unitCost" FROM "POLineItem" l JOIN "PurchaseOrder" po ON po.id = l."purchaseOrderId"`;
}

export const byStatus = (status: string) =>
  Prisma.sql`SELECT w.id FROM "WorkflowExecution" w WHERE w.status = ${status} AND w."currentStage" = 'review'`;
