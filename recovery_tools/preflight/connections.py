"""The connection budget: what Postgres admits against the app's Prisma pools at the expected instance count."""

from __future__ import annotations

import os

from recovery_tools.preflight.database import Database
from recovery_tools.preflight.report import Check


def prisma_default_pool(cpus: int) -> int:
    """Prisma's default connection_limit: num_physical_cpus * 2 + 1."""
    return cpus * 2 + 1


def check_connections(database: Database, *, instances: int, app_cpus: int | None) -> Check:
    check = Check("postgres.connections", "Postgres admits every instance's Prisma pool")
    max_connections, superuser_reserved, reserved, _version = database.settings()
    available = max_connections - superuser_reserved - (reserved or 0)
    limit_text = database.app_url.prisma.get("connection_limit")
    if limit_text is not None:
        if not limit_text.isdigit() or int(limit_text) < 1:
            check.cannot_tell(f"connection_limit={limit_text!r} in the URL is not a positive whole number")
            check.summary = "connection_limit unreadable"
            return check
        pool, source = int(limit_text), "connection_limit in the database URL"
    else:
        cpus = app_cpus or os.cpu_count() or 1
        pool = prisma_default_pool(cpus)
        source = (f"Prisma's default {cpus}*2+1 with " + ("app_cpus from the config" if app_cpus
                  else f"this machine's {cpus} CPU(s) (set app_cpus in the config for the app's)"))
    demand = pool * instances
    now = database.connections_by_application()
    check.evidence = {"max_connections": max_connections, "superuser_reserved_connections": superuser_reserved,
                      "reserved_connections": reserved, "available": available, "pool_per_instance": pool,
                      "pool_source": source, "expected_instances": instances, "demand": demand,
                      "connections_now": now, "connections_now_total": sum(now.values())}
    if database.app_url.prisma.get("pgbouncer") == "true":
        check.notes.append("pgbouncer=true: the pools open connections to PgBouncer; its own pool size is what "
                           "reaches Postgres")
    check.summary = (f"{instances} instance(s) x pool {pool} = {demand} of {available} connections "
                     f"({max_connections} max less {max_connections - available} reserved); "
                     f"{sum(now.values())} open now")
    if demand > available:
        check.find("connection_limit", f"{instances} instance(s) x {pool} = {demand} connections exceed the "
                                       f"{available} Postgres admits: instances fail with 'too many clients'")
    return check
