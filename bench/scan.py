"""Speed of `check-table-names --scan`: files per second on a generated app-shaped tree, against the tool's start-up."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from recovery_tools.check_table_names.scan import scan_paths

# One block of each kind of file; a file holds several blocks with their own names (real files run to 100-300 lines).
_SERVICE = """
async function list{n}(merchantId, status) {{
  const params = [merchantId];
  let query = `SELECT s.*, po."poNumber" FROM "ImageReviewSession" s
               JOIN "WorkflowExecution" w ON w.id = s."workflowId"
               LEFT JOIN "PurchaseOrder" po ON w."purchaseOrderId" = po.id WHERE s."merchantId" = $1`;
  if (status) {{
    params.push(status);
    query += ` AND s.status = $2`;
  }}
  const rows = await pool.query(query, params);
  return rows.map((row) => ({{ id: row.id, number: row.poNumber, status: row.status ?? 'pending' }}));
}}

async function images{n}(productId, approvedOnly) {{
  return db.query(`
    SELECT i.id, i."imageUrl" FROM "ImageReviewProductImage" i
    ${{approvedOnly ? `JOIN "ImageReviewProduct" p ON p.id = i."reviewProductId" AND p.status = 'approved'` : ''}}
    WHERE i."reviewProductId" = $1 ORDER BY i.position`, [productId]);
}}
"""
_ROUTE = """
export async function route{n}(client: PoolClient, req: Request<{{ id: string }}>): Promise<Row[]> {{
  const {{ rows }} = await client.query<Row>(
    'SELECT id, "poNumber" FROM "PurchaseOrder" WHERE "merchantId" = $1 ORDER BY "createdAt" DESC',
    [req.params.id],
  );
  if (!rows.length) {{
    throw new HttpError(404, `no purchase orders for merchant ${{req.params.id}}`);
  }}
  return rows;
}}
"""
_COMPONENT = """
export function Picker{n}({{ images, onPick }}: Props) {{
  const [picked, setPicked] = useState<string | null>(null);
  const label = picked ? `Update the draft with ${{picked}}` : 'Select from the list';
  return (
    <div className="picker" title="Select images from the review">
      <label htmlFor="picker-{n}">Select from the list below</label>
      <select id="picker-{n}" aria-label={{label}}
              onChange={{(e) => {{ setPicked(e.target.value); onPick(e.target.value); }}}}>
        {{images.map((image) => <option key={{image.id}} value={{image.id}}>{{image.url}}</option>)}}
      </select>
    </div>
  );
}}
"""
_UTIL = """
function format{n}(value, options = {{}}) {{
  const {{ currency = 'USD', digits = 2 }} = options;
  if (value === null || value === undefined) return '';
  const amount = Number(value).toFixed(digits);
  return `${{currency}} ${{amount}}`.replace(/\\B(?=(\\d{{3}})+(?!\\d))/g, ',');
}}
"""
_KINDS = (("api/services", "Service{i}.js", _SERVICE, "const {{ db, pool }} = require('../lib/db');\n"),
          ("api/routes", "route{i}.ts", _ROUTE, "import type {{ PoolClient }} from 'pg';\n"),
          ("web/components", "Picker{i}.tsx", _COMPONENT, "import React, {{ useState }} from 'react';\n"),
          ("lib", "format{i}.mjs", _UTIL, "// formatting helpers\n"))


def write_app(root: Path, files: int, blocks: int = 4) -> None:
    """`files` source files under `root`, a quarter of each kind (services, TS routes, React components, utils)."""
    for index in range(files):
        folder, name, block, head = _KINDS[index % len(_KINDS)]
        target = root / folder / name.format(i=index)
        target.parent.mkdir(parents=True, exist_ok=True)
        body = "".join(block.format(n=f"{index}_{number}") for number in range(blocks))
        target.write_text(head.format() + body, encoding="utf-8")


@dataclass(frozen=True)
class ScanSpeed:
    files: int
    lines: int
    seconds: float
    startup_seconds: float
    references: int

    @property
    def files_per_second(self) -> float:
        return self.files / self.seconds

    @property
    def per_file_vs_startup(self) -> float:
        """One file's share of the scan, as a fraction of one start-up of the tool."""
        return (self.seconds / self.files) / self.startup_seconds


def measure(files: int, rounds: int = 3) -> ScanSpeed:
    """Scan a generated tree in this process (best of `rounds`, parsers warm), and time `check-table-names --help`
    as a subprocess (best of `rounds`)."""
    with tempfile.TemporaryDirectory(prefix="bench-scan-") as folder:
        root = Path(folder)
        write_app(root, files)
        lines = sum(path.read_text(encoding="utf-8").count("\n") for path in root.rglob("*.*"))
        best = float("inf")
        references = 0
        for _ in range(rounds):
            started = time.perf_counter()
            result = scan_paths([root])
            best = min(best, time.perf_counter() - started)
            references = len(result.sites)
            if result.skipped or result.files != files:
                raise RuntimeError(f"bench scan read {result.files} of {files} files, skipped {result.skipped}")
    startup = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "recovery_tools.check_table_names", "--help"], check=True,
                       capture_output=True, timeout=60)
        startup = min(startup, time.perf_counter() - started)
    return ScanSpeed(files, lines, best, startup, references)
