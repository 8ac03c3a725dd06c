// Database access: one PrismaClient per call (connection-hygiene), prismaOperation waits for the engine.
const { PrismaClient } = require('@prisma/client');

let prisma;

function getPrismaClient() {
  prisma = new PrismaClient({ log: ['error'] });
  return prisma;
}

async function prismaOperation(operation, { retries = 3 } = {}) {
  const client = getPrismaClient();
  for (let attempt = 1; ; attempt++) {
    try {
      await client.$connect();
      return await operation(client);
    } catch (error) {
      if (attempt >= retries || !String(error.message).includes('Engine is not yet connected')) throw error;
    }
  }
}

// Legacy raw SQL goes through this helper.
async function query(sql, ...params) {
  return prismaOperation((client) => client.$queryRawUnsafe(sql, ...params));
}

module.exports = { prismaOperation, query };
