"""The `migrations/` folder beside the schema against `_prisma_migrations`: what is applied, failed, missing.

Prisma stores each migration's checksum as the SHA-256 hex of its migration.sql; it accepts the file with its
line endings turned either way (LF/CRLF), so the comparison does too.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from recovery_tools.preflight.database import Database
from recovery_tools.preflight.report import Check


class MigrationsError(Exception):
    """The migrations folder cannot be read."""


def folder_migrations(folder: Path) -> dict[str, bytes]:
    """Migration name -> its migration.sql bytes (subfolders without one, e.g. stray files, are left out)."""
    try:
        return {entry.name: (entry / "migration.sql").read_bytes()
                for entry in sorted(folder.iterdir()) if (entry / "migration.sql").is_file()}
    except OSError as error:
        raise MigrationsError(f"cannot read migrations folder {folder}: {error.strerror or error}") from None


def checksums(script: bytes) -> set[str]:
    """The checksums Prisma accepts for a script: as written, with LF line endings, and with CRLF."""
    unix = script.replace(b"\r\n", b"\n")
    return {hashlib.sha256(text).hexdigest() for text in (script, unix, unix.replace(b"\n", b"\r\n"))}


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def check_migrations(folder: Path, database: Database) -> Check:
    check = Check("postgres.migrations", "Every migration of the folder is applied, none failed or unknown")
    files = folder_migrations(folder) if folder.is_dir() else None
    rows = database.migrations_table(database.app_url.schema)
    check.evidence = {"folder": str(folder), "folder_exists": files is not None,
                      "table": f"{database.app_url.schema}._prisma_migrations", "table_exists": rows is not None,
                      "in_folder": len(files or {}), "applied": [], "not_applied": [], "failed": [],
                      "missing_from_folder": [], "checksum_differs": [], "rolled_back": []}
    if files is None and rows is None:
        check.summary = "no migrations folder and no _prisma_migrations table: a `prisma db push` database"
        check.notes.append("nothing to apply; the column-by-column check (postgres.schema) is what holds the schema")
        return check
    if files is None:
        check.summary = f"_prisma_migrations has {len(rows or [])} row(s) but {folder} does not exist"
        check.cannot_tell(f"no migrations folder beside the schema ({folder}): pass the --prisma-schema that sits "
                          "beside the app's migrations/")
        return check
    if rows is None:
        check.summary = f"{len(files)} migration(s) in the folder, no _prisma_migrations table"
        for name in files:
            check.evidence["not_applied"].append(name)
            check.find(name, "not applied: the database has no _prisma_migrations table (pushed with `db push`, "
                             "or never migrated; `prisma migrate deploy` refuses a non-empty database, P3005)")
        return check
    _compare(check, files, rows)
    return check


def _compare(check: Check, files: dict[str, bytes], rows: list[dict[str, Any]]) -> None:
    evidence = check.evidence
    by_name: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_name.setdefault(row["migration_name"], []).append(row)
    for name, entries in by_name.items():
        live = [row for row in entries if row["rolled_back_at"] is None]
        failed = [row for row in live if row["finished_at"] is None]
        finished = [row for row in live if row["finished_at"] is not None]
        if not live:
            evidence["rolled_back"].append(name)
        for row in failed:
            evidence["failed"].append({"name": name, "started_at": _when(row["started_at"]),
                                       "applied_steps_count": row["applied_steps_count"]})
            check.find(name, f"started at {_when(row['started_at'])} and never finished, not rolled back "
                             f"({row['applied_steps_count']} step(s) applied): `prisma migrate deploy` stops here "
                             "(P3009) until it is resolved")
        if finished:
            evidence["applied"].append(name)
            if name not in files:
                evidence["missing_from_folder"].append(name)
                check.find(name, "applied to the database but not in the migrations folder")
            elif not any(row["checksum"] in checksums(files[name]) for row in finished):
                evidence["checksum_differs"].append(name)
                check.find(name, f"migration.sql changed since it was applied (checksum {finished[-1]['checksum']} "
                                 f"in the database, {hashlib.sha256(files[name]).hexdigest()} in the folder)")
    for name in files:
        entries = by_name.get(name, [])
        if not any(row["rolled_back_at"] is None for row in entries):
            evidence["not_applied"].append(name)
            check.find(name, "not applied" + (" (rolled back)" if entries else ""))
    applied = len(evidence["applied"])
    check.summary = (f"{applied} of {len(files)} migration(s) applied"
                     + (f"; {len(check.findings)} finding(s)" if check.findings else ""))
