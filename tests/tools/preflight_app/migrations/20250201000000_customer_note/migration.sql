-- AlterTable
ALTER TABLE "customers" ADD COLUMN     "note" TEXT;
