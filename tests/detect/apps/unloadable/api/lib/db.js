// Database access: one PrismaClient per instance, replaced only after the old one is closed.
const { PrismaClient } = require('@prisma/client');

let prisma = null;

function getPrismaClient() {
  if (!prisma) {
    prisma = new PrismaClient({ log: ['error'] });
  }
  return prisma;
}

async function recreatePrismaClient() {
  const previous = prisma;
  prisma = null;
  if (previous) await previous.$disconnect();
  prisma = new PrismaClient({ log: ['error'] });
  return prisma;
}

async function prismaOperation(operation, { retries = 3 } = {}) {
  for (let attempt = 1; ; attempt++) {
    const client = getPrismaClient();
    try {
      await client.$connect();
      return await operation(client);
    } catch (error) {
      if (attempt >= retries || !String(error.message).includes('Engine is not yet connected')) throw error;
      await recreatePrismaClient();
    }
  }
}

// Legacy raw SQL goes through this helper.
async function query(sql, ...params) {
  return prismaOperation((client) => client.$queryRawUnsafe(sql, ...params));
}

module.exports = { prismaOperation, query };
