-- CreateEnum
CREATE TYPE "order_state" AS ENUM ('OPEN', 'shipped');

-- CreateTable
CREATE TABLE "customers" (
    "id" SERIAL NOT NULL,
    "email" VARCHAR(320) NOT NULL,
    "name" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "customers_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Order" (
    "id" BIGINT NOT NULL,
    "customerId" INTEGER NOT NULL,
    "state" "order_state" NOT NULL DEFAULT 'OPEN',
    "total" DECIMAL(65,30) NOT NULL,
    "price" DECIMAL(12,2) NOT NULL,
    "weight" DOUBLE PRECISION,
    "tags" TEXT[],
    "payload" JSONB,
    "receipt" BYTEA,
    "paid" BOOLEAN NOT NULL DEFAULT false,
    "shippedOn" DATE,

    CONSTRAINT "Order_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "LineTag" (
    "orderId" BIGINT NOT NULL,
    "tag" TEXT NOT NULL,

    CONSTRAINT "LineTag_pkey" PRIMARY KEY ("orderId","tag")
);

-- CreateIndex
CREATE UNIQUE INDEX "customers_email_key" ON "customers"("email");

-- CreateIndex
CREATE UNIQUE INDEX "Order_customerId_id_key" ON "Order"("customerId", "id");

-- AddForeignKey
ALTER TABLE "Order" ADD CONSTRAINT "Order_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "customers"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
