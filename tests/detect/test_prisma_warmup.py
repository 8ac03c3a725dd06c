"""prisma-warmup judges what the code does: an awaited helper that reaches $connect() through other functions
guards its calls; a synchronous getter that can hand out a client nobody connected is the hazard; only deployed
code counts."""

from __future__ import annotations

from pathlib import Path

from recovery_tools.detect import prisma_warmup
from recovery_tools.detect.app import AppSource
from tests.detect.test_deployed import write

# The shape of a real app's db module: an async getter that awaits an initializer that awaits $connect() and a
# warm-up query inside a promise it shares; a synchronous getter kept "for backward compatibility".
DB = """import { PrismaClient } from '@prisma/client';
let prisma;
let pending = null;

async function initialize() {
  if (prisma) return prisma;
  pending = (async () => {
    const client = new PrismaClient();
    await client.$connect();
    await client.$queryRaw`SELECT 1`;
    prisma = client;
  })();
  await pending;
  return prisma;
}

export const db = {
  async getClient() {
    return await initialize();
  },
  get client() {
    if (!prisma) {
      prisma = new PrismaClient();
    }
    return prisma;
  },
};
"""
AWAITED = """import { db } from '../lib/db.js';

export async function list(req, res) {
  const prisma = await db.getClient();
  const orders = await prisma.purchaseOrder.findMany();
  await prisma.$transaction(async (tx) => tx.purchaseOrder.update({ where: { id: 1 }, data: {} }));
  res.json(orders);
}

export async function later() {
  let client = null;
  client = await db.getClient();
  return client.merchant.findFirst();
}
"""
GETTER = """import { db } from '../lib/db.js';

export async function count() {
  return db.client.purchaseOrder.count();
}
"""


def judge(root: Path, files: dict[str, str]) -> prisma_warmup.Verdict:
    return prisma_warmup.detect(AppSource.read(write(root, files)))


def test_an_awaited_helper_that_reaches_connect_through_other_functions_guards(tmp_path: Path) -> None:
    verdict = judge(tmp_path, {"api/src/lib/db.js": DB, "api/src/routes/orders.js": AWAITED})
    assert verdict.state == "fixed", verdict
    # findMany, $transaction and the transaction's update after `await db.getClient()`, findFirst on a client
    # assigned from it, the warm-up query inside initialize itself
    assert "all 5 traced database calls wait for the connection (through initialize," in (
        verdict.evidence[0].why)


def test_a_synchronous_getter_that_can_return_an_unconnected_client_is_the_hazard(tmp_path: Path) -> None:
    verdict = judge(tmp_path, {"api/src/lib/db.js": DB, "api/src/routes/orders.js": AWAITED,
                               "api/src/routes/count.js": GETTER})
    assert verdict.state == "broken"
    assert [(e.file, e.line) for e in verdict.evidence] == [("api/src/routes/count.js", 4)]
    getter_line = DB.splitlines().index("  get client() {") + 1
    assert "`db.client` is a synchronous getter" in verdict.evidence[0].why
    assert f"(api/src/lib/db.js:{getter_line})" in verdict.evidence[0].why


def test_after_an_awaited_connection_in_the_same_function_the_getter_is_guarded(tmp_path: Path) -> None:
    warmed = GETTER.replace("  return db.client", "  await db.getClient();\n  return db.client")
    assert judge(tmp_path, {"api/src/lib/db.js": DB, "api/src/routes/count.js": warmed}).state == "fixed"
    # a connection awaited in a branch the call is not in does not count
    branch = GETTER.replace("  return db.client", "  if (req) { await db.getClient(); }\n  return db.client")
    assert judge(tmp_path, {"api/src/routes/count.js": branch}).state == "broken"


def test_a_bare_client_is_the_hazard_unless_its_module_awaits_the_connection_at_load(tmp_path: Path) -> None:
    client = ("import { PrismaClient } from '@prisma/client';\nconst prisma = new PrismaClient();\n"
              "export default prisma;\n")
    route = "import prisma from '../lib/client.js';\nexport const list = () => prisma.user.findMany();\n"
    verdict = judge(tmp_path, {"api/src/lib/client.js": client, "api/src/routes/users.js": route})
    assert verdict.state == "broken"
    assert "a `new PrismaClient()` nobody connected (api/src/lib/client.js:2)" in verdict.evidence[0].why
    connected = client.replace("export default", "await prisma.$connect();\nexport default")
    assert judge(tmp_path, {"api/src/lib/client.js": connected}).state == "fixed"


def test_a_client_only_a_caller_provides_is_not_traced(tmp_path: Path) -> None:
    source = "export async function save(prisma, data) {\n  return prisma.order.create({ data });\n}\n"
    verdict = judge(tmp_path, {"api/save.js": source})
    assert verdict.state == "unknown" and "none traced to a connection" in verdict.evidence[0].why


def test_only_deployed_calls_are_judged(tmp_path: Path) -> None:
    files = {"api/src/lib/db.js": DB, "api/src/routes/orders.js": AWAITED,
             "test-orders.js": GETTER.replace("../lib/db.js", "./api/src/lib/db.js"),   # a root-level script
             "api/_scripts/count.js": GETTER}                                          # `_`: not a function
    assert judge(tmp_path, files).state == "fixed"
