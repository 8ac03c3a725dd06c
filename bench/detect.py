"""Speed of `detect-release` on a generated app of the checklist's shape: wall time of the real command."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

# Blocks of each kind of file; a file holds 1 to 6 of them, so files run from ~50 to ~300 lines like real ones.
_SERVICE = """
/**
 * Purchase orders of a merchant in one status, with their line items ({n}).
 */
export async function listOrders{n}(merchantId, status, {{ take = 50, cursor }} = {{}}) {{
  const where = {{ merchantId, ...(status ? {{ status }} : {{}}) }};
  const orders = await prismaOperation((client) => client.purchaseOrder.findMany({{
    where,
    take,
    ...(cursor ? {{ skip: 1, cursor: {{ id: cursor }} }} : {{}}),
    orderBy: {{ createdAt: 'desc' }},
    include: {{ lineItems: true, supplier: true }},
  }}));
  return orders.map((order) => ({{
    id: order.id,
    number: order.poNumber,
    supplier: order.supplier?.name ?? 'unknown',
    total: order.lineItems.reduce((sum, item) => sum + item.quantity * item.unitCost, 0),
    status: order.status,
  }}));
}}

export async function enqueueRefinement{n}(workflowId, orderId, options = {{}}) {{
  const attempts = Math.max(1, Math.min(options.attempts ?? 3, 5));
  const existing = await prismaOperation((client) => client.workflowExecution.findUnique({{
    where: {{ id: workflowId }},
  }}));
  if (!existing) {{
    throw new Error(`workflow ${{workflowId}} not found for order ${{orderId}}`);
  }}
  let stage = existing.currentStage;
  if (stage === 'ai_parsing') {{
    stage = 'data_normalization';
  }}
  await addJob('data-normalization', 'normalize', {{ workflowId, orderId, stage }}, {{ attempts }});
  return {{ workflowId, stage }};
}}
"""
_SERVICE_HEAD = ("import {{ prismaOperation }} from '../lib/db.js';\n"
                 "import {{ addJob }} from '../lib/queueManager.js';\n")
_ROUTE = """
router.get('/orders{n}/:id', async (req, res, next) => {{
  try {{
    const merchantId = req.session?.merchantId;
    if (!merchantId) {{
      res.status(401).json({{ error: 'not signed in' }});
      return;
    }}
    const order = await prismaOperation((client) => client.purchaseOrder.findFirst({{
      where: {{ id: req.params.id, merchantId }},
      include: {{ lineItems: {{ orderBy: {{ position: 'asc' }} }} }},
    }}));
    if (!order) {{
      res.status(404).json({{ error: `no purchase order ${{req.params.id}}` }});
      return;
    }}
    res.json({{ order, lines: order.lineItems.length }});
  }} catch (error) {{
    next(error);
  }}
}});

router.post('/orders{n}/:id/approve', async (req, res, next) => {{
  try {{
    const approved = await prismaOperation((client) => client.purchaseOrder.update({{
      where: {{ id: req.params.id }},
      data: {{ status: 'approved', approvedAt: new Date() }},
    }}));
    res.json({{ id: approved.id, status: approved.status }});
  }} catch (error) {{
    next(error);
  }}
}});
"""
_ROUTE_HEAD = ("import express from 'express';\nimport {{ prismaOperation }} from '../lib/db.js';\n\n"
               "export const router = express.Router();\n")
_COMPONENT = """
type Card{n}Props = {{ title: string; orders: Order[]; onOpen?: (id: string) => void }} & Partial<Theme>;

export function OrdersCard{n}({{ title, orders, onOpen, accent = 'blue' }}: Card{n}Props) {{
  const [expanded, setExpanded] = useState(false);
  const visible = useMemo(() => (expanded ? orders : orders.slice(0, 5)), [expanded, orders]);
  const total = visible.reduce((sum, order) => sum + order.total, 0);
  return (
    <Card className={{`orders-card orders-card--${{accent}}`}}>
      <CardHeader>
        <CardTitle>{{title}}</CardTitle>
        <p className="text-muted">Purchase orders & real-time insights, parsed & synced.</p>
      </CardHeader>
      <CardContent>
        <ul>
          {{visible.map((order) => (
            <li key={{order.id}} onClick={{() => onOpen?.(order.id)}}>
              <span>{{order.number}}</span> <span>{{order.supplier}}</span>
              <Badge variant={{order.status === 'approved' ? 'default' : 'secondary'}}>{{order.status}}</Badge>
            </li>
          ))}}
        </ul>
        <Button onClick={{() => setExpanded(!expanded)}}>{{expanded ? 'Show less' : 'Show all'}}</Button>
        <p>Total: {{total.toFixed(2)}}</p>
      </CardContent>
    </Card>
  );
}}
"""
_COMPONENT_HEAD = ("import {{ useMemo, useState }} from 'react';\n"
                   "import {{ Badge, Button, Card, CardContent, CardHeader, CardTitle }} from '@/components/ui';\n"
                   "import type {{ Order, Theme }} from '@/lib/types';\n")
_UTIL = """
export function formatMoney{n}(value: number | null | undefined, currency = 'USD', digits = 2): string {{
  if (value === null || value === undefined || Number.isNaN(value)) return '';
  const amount = value.toFixed(digits).replace(/\\B(?=(\\d{{3}})+(?!\\d))/g, ',');
  return `${{currency}} ${{amount}}`;
}}

export function groupBy{n}<T, K extends string>(items: readonly T[], key: (item: T) => K): Record<K, T[]> {{
  const groups = {{}} as Record<K, T[]>;
  for (const item of items) {{
    const name = key(item);
    (groups[name] ??= []).push(item);
  }}
  return groups;
}}
"""
_SCRIPT = """
async function check{n}() {{
  const prisma = new PrismaClient();
  const count = await prisma.purchaseOrder.count();
  console.log('purchase orders', count);
  await prisma.$disconnect();
}}
"""
_SCRIPT_HEAD = "import {{ PrismaClient }} from '@prisma/client';\n"
# (folder, file name, block, head, share of the files, fewest and most blocks: ~50 to ~300 lines a file)
_KINDS = (("api/src/services", "ordersService{i}.js", _SERVICE, _SERVICE_HEAD, 3, 1, 6),
          ("api/src/routes", "orders{i}.js", _ROUTE, _ROUTE_HEAD, 2, 2, 7),
          ("src/components", "OrdersCard{i}.tsx", _COMPONENT, _COMPONENT_HEAD, 3, 2, 8),
          ("src/lib", "format{i}.ts", _UTIL, "", 1, 3, 15),
          (".", "test-orders-{i}.js", _SCRIPT, _SCRIPT_HEAD, 1, 6, 30))

_FIXED = {
    "vercel.json": json.dumps({
        "functions": {"api/src/server.js": {"maxDuration": 60}, "api/process-workflows-cron.js": {"maxDuration": 300}},
        "crons": [{"path": "/api/process-workflows-cron", "schedule": "*/5 * * * *"}],
        "rewrites": [{"source": "/api/(.*)", "destination": "/api/src/server.js"}]}, indent=2),
    "package.json": json.dumps({"name": "orders-app", "private": True, "type": "module"}),
    "api/package.json": json.dumps({"name": "orders-api", "private": True, "type": "module"}),
    "api/process-workflows-cron.js": (
        "import { prismaOperation } from './src/lib/db.js';\nimport { addJob } from './src/lib/queueManager.js';\n\n"
        "export default async function handler(req, res) {\n"
        "  const pending = await prismaOperation((client) =>\n"
        "    client.workflowExecution.findMany({ where: { status: 'pending' }, take: 10 }));\n"
        "  for (const run of pending) await addJob('ai-parsing', 'parse', { workflowId: run.id });\n"
        "  res.status(200).json({ enqueued: pending.length });\n}\n"),
    "api/src/lib/db.js": (
        "import { PrismaClient } from '@prisma/client';\n\nlet prisma = null;\n\n"
        "function client() {\n  if (!prisma) prisma = new PrismaClient();\n  return prisma;\n}\n\n"
        "export async function prismaOperation(operation) {\n  const db = client();\n  await db.$connect();\n"
        "  return operation(db);\n}\n"),
    "api/src/lib/queueConfig.js": ("export const QUEUES = ['ai-parsing', 'data-normalization', 'database-save', "
                                   "'image-attachment', 'shopify-sync'];\n"),
    "api/src/lib/queueManager.js": (
        "import Bull from 'bull';\nimport { QUEUES } from './queueConfig.js';\n\nconst queues = new Map();\n\n"
        "export async function addJob(name, type, data, options = {}) {\n"
        "  if (!QUEUES.includes(name)) throw new Error(`unknown queue ${name}`);\n"
        "  if (!queues.has(name)) queues.set(name, new Bull(name, process.env.REDIS_URL));\n"
        "  return queues.get(name).add(type, data, options);\n}\n"),
    "prisma/schema.prisma": ("datasource db {\n  provider = \"postgresql\"\n  url = env(\"DATABASE_URL\")\n}\n\n"
                             "model PurchaseOrder {\n  id String @id\n  poNumber String\n  status String\n}\n"),
}


def write_app(root: Path, files: int) -> int:
    """An app of `files` JS/TS files under `root` (fixed files included); returns its number of lines.

    The API is reachable from its entry points (the server imports every route, each route the services after
    it, the cron one service); the components and libraries are the front end; test-*.js are root scripts.
    """
    written: dict[str, str] = {name: text + "\n" for name, text in _FIXED.items()}
    sources = sum(1 for name in _FIXED if name.endswith(".js")) + 1  # + the server
    cycle = [kind for kind in _KINDS for _ in range(kind[4])]
    services: list[str] = []
    routes: list[str] = []
    for index in range(max(files - sources, 0)):
        folder, name, block, head, _, fewest, most = cycle[index % len(cycle)]
        blocks = fewest + (index * 7) % (most - fewest + 1)
        text = head.format() + "".join(block.format(n=f"{index}_{number}") for number in range(blocks))
        path = f"{folder}/{name.format(i=index)}" if folder != "." else name.format(i=index)
        if block is _SERVICE:
            services.append(path)
        elif block is _ROUTE:
            routes.append(path)
            text = "".join(f"import '../services/{Path(s).name}';\n" for s in services[-3:]) + text
        written[path] = text
    imports = "".join(f"import {{ router as r{n} }} from './routes/{Path(r).name}';\n" for n, r in enumerate(routes))
    uses = "".join(f"app.use('/api', r{n});\n" for n in range(len(routes)))
    written["api/src/server.js"] = (f"import express from 'express';\n{imports}\nconst app = express();\n{uses}"
                                    "export default app;\n")
    if services:
        written["api/process-workflows-cron.js"] = (f"import './src/services/{Path(services[0]).name}';\n"
                                                    + written["api/process-workflows-cron.js"])
    for name, text in written.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return sum(text.count("\n") for name, text in written.items() if not name.endswith((".json", ".prisma")))


@dataclass(frozen=True)
class DetectSpeed:
    files: int
    lines: int
    seconds: float  # best of the rounds
    first_seconds: float  # the first round (files not yet in the page cache, esbuild possibly installed)
    release: str


def measure(files: int, rounds: int = 3) -> DetectSpeed:
    """Run `detect-release APP --json` as a subprocess on a generated app; wall time of each round."""
    with tempfile.TemporaryDirectory(prefix="bench-detect-") as folder:
        root = Path(folder)
        lines = write_app(root, files)
        times: list[float] = []
        release = ""
        for _ in range(rounds):
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "recovery_tools.detect", str(root), "--json"],
                                  capture_output=True, text=True, timeout=600)
            times.append(time.perf_counter() - started)
            if done.returncode not in (0, 1) or not done.stdout.strip():
                last = (done.stderr.strip().splitlines() or ["no output"])[-1]
                raise RuntimeError(f"bench detect-release exited {done.returncode}: {last}")
            release = str(json.loads(done.stdout).get("release", ""))
    return DetectSpeed(files, lines, min(times), times[0], release)
