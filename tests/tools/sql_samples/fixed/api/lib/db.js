// The app's raw SQL helpers: they wrap Prisma, so the SQL never appears next to $queryRaw.
const { PrismaClient } = require('@prisma/client');

const prisma = new PrismaClient();

const db = {
  query: (sql, params = []) => prisma.$queryRawUnsafe(sql, ...params),
  execute: (sql, params = []) => prisma.$executeRawUnsafe(sql, ...params),
};

module.exports = { prisma, db, pool: db };
