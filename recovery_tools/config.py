"""The app's facts the tools need (queue names, key prefix, Prisma schema, queue library), from its config file.

The config lives in the app's repository: `recovery-harness.toml`, or a `[tool.recovery-harness]` table in a
`pyproject.toml`, found in the current folder or the nearest parent that has one (`--config PATH` names it
directly). Relative paths in it are relative to the file. Keys, all optional:

    queues = ["ai-parsing", ...]        # the app's shared queue config (what pause/resume/status act on)
    prefix = "bull"                     # the queue library's key prefix
    prisma_schema = "prisma/schema.prisma"
    library = "bull"                    # "bull" (Bull 4) or "bullmq": used where Redis alone cannot tell

    [vercel]                            # the platform that runs the app's cron (manage-queues pauses it there)
    project = "prj_..."                 # the project's id or name (else .vercel/project.json's projectId)
    team = "team_..."                   # its team, sent as teamId (else .vercel/project.json's orgId)

    [cron]
    switch = true                       # the app's cron handler honours the <prefix>:cron-paused key

Without a file the tools use the app's own facts, which the simulated app mirrors (APP_DEFAULTS).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

CONFIG_FILE = "recovery-harness.toml"
PYPROJECT_TABLE = "recovery-harness"
LIBRARIES = ("bull", "bullmq")

# The app's shared queue config: the queues its own queue tool pauses.
APP_QUEUES: tuple[str, ...] = (
    "ai-parsing",
    "database-save",
    "product-draft-creation",
    "image-attachment",
    "shopify-sync",
    "status-update",
    "data-normalization",
    "merchant-config",
    "ai-enrichment",
    "shopify-payload",
)
APP_PREFIX = "bull"
APP_PRISMA_SCHEMA = Path("prisma/schema.prisma")  # Prisma's own default place in an app's repository


class ConfigError(Exception):
    """The config file cannot be read or holds a bad value: one line naming the file and the key."""


@dataclass(frozen=True)
class ToolConfig:
    """What the tools know of the app; `source` is the file it came from (None: the built-in defaults)."""

    queues: tuple[str, ...] = APP_QUEUES
    prefix: str = APP_PREFIX
    prisma_schema: Path = APP_PRISMA_SCHEMA
    library: str | None = None
    vercel_project: str | None = None
    vercel_team: str | None = None
    cron_switch: bool = False
    source: Path | None = None

    def describe(self) -> str:
        return str(self.source) if self.source else "built-in app defaults"


APP_DEFAULTS = ToolConfig()


def find_config_file(start: Path) -> Path | None:
    """The nearest recovery-harness.toml, or pyproject.toml with our table, from `start` upwards."""
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_FILE
        if candidate.is_file():
            return candidate
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and _pyproject_table(pyproject) is not None:
            return pyproject
    return None


def load_config(path: Path | None = None, *, start: Path | None = None) -> ToolConfig:
    """The config from `path`, else from the nearest config file above `start` (default: cwd), else defaults."""
    if path is None:
        path = find_config_file((start or Path.cwd()).resolve())
        if path is None:
            return APP_DEFAULTS
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist")
    table = _pyproject_table(path) if path.name == "pyproject.toml" else _read_toml(path)
    if table is None:
        raise ConfigError(f"{path} has no [tool.{PYPROJECT_TABLE}] table")
    return _from_table(table, path)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"cannot read config file {path}: {error}") from None


def _pyproject_table(path: Path) -> dict[str, Any] | None:
    table = _read_toml(path).get("tool", {}).get(PYPROJECT_TABLE)
    return table if isinstance(table, dict) else None


def _from_table(table: dict[str, Any], path: Path) -> ToolConfig:
    unknown = sorted(set(table) - {"queues", "prefix", "prisma_schema", "library", "vercel", "cron"})
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {', '.join(unknown)} "
                          "(known: queues, prefix, prisma_schema, library, [vercel], [cron])")
    config = replace(APP_DEFAULTS, source=path)
    if "queues" in table:
        queues = table["queues"]
        if not isinstance(queues, list) or not queues or not all(_queue_name_ok(q) for q in queues):
            raise ConfigError(f"{path}: queues must be a non-empty list of queue names without ':'")
        config = replace(config, queues=tuple(dict.fromkeys(queues)))
    if "prefix" in table:
        if not isinstance(table["prefix"], str) or not table["prefix"]:
            raise ConfigError(f"{path}: prefix must be a non-empty string")
        config = replace(config, prefix=table["prefix"])
    if "prisma_schema" in table:
        if not isinstance(table["prisma_schema"], str):
            raise ConfigError(f"{path}: prisma_schema must be a path")
        config = replace(config, prisma_schema=path.parent / table["prisma_schema"])
    else:
        config = replace(config, prisma_schema=path.parent / APP_PRISMA_SCHEMA)
    if "library" in table:
        if table["library"] not in LIBRARIES:
            raise ConfigError(f"{path}: library must be one of {', '.join(LIBRARIES)}")
        config = replace(config, library=table["library"])
    return _platform(config, table, path)


def _platform(config: ToolConfig, table: dict[str, Any], path: Path) -> ToolConfig:
    """The `[vercel]` and `[cron]` tables."""
    vercel = table.get("vercel", {})
    if not isinstance(vercel, dict) or set(vercel) - {"project", "team"}:
        raise ConfigError(f"{path}: [vercel] takes only project = \"prj_...\" and team = \"team_...\"")
    for key in ("project", "team"):
        if key in vercel and (not isinstance(vercel[key], str) or not vercel[key].strip()):
            raise ConfigError(f"{path}: [vercel] {key} must be a non-empty string")
    if "team" in vercel and "project" not in vercel:
        raise ConfigError(f"{path}: [vercel] team without project")
    cron = table.get("cron", {})
    if not isinstance(cron, dict) or set(cron) - {"switch"} or not isinstance(cron.get("switch", False), bool):
        raise ConfigError(f"{path}: [cron] takes only switch = true|false")
    return replace(config, vercel_project=vercel.get("project"), vercel_team=vercel.get("team"),
                   cron_switch=cron.get("switch", False))


def _queue_name_ok(name: object) -> bool:
    return isinstance(name, str) and bool(name) and ":" not in name
