"""`preflight`: read-only checks that a stack (Redis, Postgres, Prisma schema) is safe to recover on."""
