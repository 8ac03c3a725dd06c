"""The Redis checks: eviction policy, persistence, memory headroom, server version; INFO and CONFIG GET only."""

from __future__ import annotations

import inspect
from typing import Any

import redis

from recovery_tools.preflight.report import Check
from recovery_tools.urls import redact

# Bull 4 refuses older servers itself (lib/queue.js, MINIMUM_REDIS_VERSION): it reads INFO's redis_version.
BULL4_MIN_REDIS = (2, 8, 18)
MEMORY_FULL_SHARE = 0.9  # used_memory at or above this share of maxmemory is a finding
STRICT_FSYNC = ("always", "everysec")


class RedisUnreachable(Exception):
    """The server does not answer INFO: one line, password redacted."""


def no_client_info() -> dict[str, Any]:
    """The redis-py arguments that turn CLIENT SETINFO off (redis-py 8 renamed them to driver_info)."""
    parameters = inspect.signature(redis.connection.AbstractConnection.__init__).parameters
    return {"driver_info": None} if "driver_info" in parameters else {"lib_name": None, "lib_version": None}


class ReadOnlyRedis:
    """The only commands preflight sends: INFO <section> and CONFIG GET <name> (which a server may refuse)."""

    def __init__(self, url: str) -> None:
        self.url = url
        try:
            # RESP2 without CLIENT SETINFO: no HELLO or SETINFO on connect, nothing but reads reach the server.
            self._client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5,
                                                decode_responses=True, protocol=2, **no_client_info())
        except ValueError as error:
            raise RedisUnreachable(f"bad Redis URL {redact(url)}: {error}") from None

    def info(self, section: str) -> dict[str, Any]:
        try:
            return dict(self._client.info(section))
        except redis.RedisError as error:
            raise RedisUnreachable(f"cannot read INFO {section} from {redact(self.url)}: "
                                   f"{' '.join(str(error).split())}") from None

    def config_get(self, name: str) -> str | None:
        """The setting, or None when CONFIG is disabled, renamed or not allowed to this user."""
        try:
            found = self._client.config_get(name)
        except redis.ResponseError:
            return None
        except redis.RedisError as error:
            raise RedisUnreachable(f"cannot read CONFIG from {redact(self.url)}: {error}") from None
        value = found.get(name)
        return None if value is None else str(value)

    def close(self) -> None:
        self._client.close()


def _version(text: str) -> tuple[int, ...]:
    parts = []
    for part in text.split("."):
        digits = "".join(ch for ch in part if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def _text(version: tuple[int, ...]) -> str:
    return ".".join(str(part) for part in version)


def check_redis(url: str) -> list[Check]:
    client = ReadOnlyRedis(url)
    try:
        server = client.info("server")
        memory = client.info("memory")
        persistence = client.info("persistence")
        appendfsync = client.config_get("appendfsync")
        save = client.config_get("save")
    finally:
        client.close()
    return [eviction(memory), persistence_check(persistence, appendfsync, save), memory_check(memory),
            version_check(server)]


def eviction(memory: dict[str, Any]) -> Check:
    check = Check("redis.eviction", "Redis keeps queue keys (maxmemory-policy noeviction)")
    policy = memory.get("maxmemory_policy")
    check.evidence = {"maxmemory_policy": policy}
    if policy is None:
        check.cannot_tell("INFO memory has no maxmemory_policy")
        check.summary = "maxmemory-policy unknown"
    elif policy != "noeviction":
        check.find("maxmemory-policy", f"is {policy}: when memory runs short Redis evicts keys, queue keys "
                                        "included (Bull and BullMQ require noeviction)")
        check.summary = f"maxmemory-policy is {policy}, not noeviction"
    else:
        check.summary = "maxmemory-policy is noeviction"
    return check


def persistence_check(info: dict[str, Any], appendfsync: str | None, save: str | None) -> Check:
    check = Check("redis.persistence", "Redis keeps queue data across a restart (AOF everysec or stricter, or RDB)")
    aof = str(info.get("aof_enabled", "0")) == "1"
    bgsave_status = info.get("rdb_last_bgsave_status")
    check.evidence = {
        "aof_enabled": aof, "appendfsync": appendfsync, "rdb_save": save,
        "rdb_last_bgsave_status": bgsave_status, "aof_last_write_status": info.get("aof_last_write_status"),
        "config_readable": appendfsync is not None,
    }
    rdb = bool(save and save.strip())
    if bgsave_status == "err":
        check.find("rdb_last_bgsave_status", "is err: the last snapshot failed (with stop-writes-on-bgsave-error, "
                                             "Redis refuses writes)")
    if aof and info.get("aof_last_write_status") == "err":
        check.find("aof_last_write_status", "is err: the append-only file cannot be written")
    if aof and appendfsync in STRICT_FSYNC:
        check.summary = f"AOF on, appendfsync {appendfsync}"
    elif aof and appendfsync is None:
        check.summary = "AOF on, appendfsync unknown"
        check.cannot_tell("AOF is on; its fsync policy is not in INFO and CONFIG GET appendfsync was refused")
    elif rdb:
        check.summary = f"RDB snapshots (save {save})" + (", AOF on with appendfsync no" if aof else "")
        check.notes.append("RDB alone loses the writes made since the last snapshot")
    elif aof:  # appendfsync no, and no RDB
        check.summary = "AOF on with appendfsync no, no RDB"
        check.find("appendfsync", "is no: the OS decides when the AOF reaches the disk (use everysec or always)")
    elif save is None:
        check.summary = "AOF off, RDB unknown"
        check.cannot_tell("AOF is off; whether RDB snapshots are configured is not in INFO and CONFIG GET save "
                          "was refused")
    else:
        check.summary = "no persistence: AOF off and no RDB save points"
        check.find("persistence", "AOF is off and no RDB save point is set: a restart of Redis loses every queue")
    return check


def memory_check(memory: dict[str, Any]) -> Check:
    check = Check("redis.memory", "Redis has memory left under maxmemory")
    used = int(memory.get("used_memory", 0))
    limit = int(memory.get("maxmemory", 0))
    check.evidence = {"used_memory": used, "maxmemory": limit,
                      "used_share": round(used / limit, 4) if limit else None}
    if not limit:
        check.summary = f"used {used} bytes, no maxmemory set"
        check.notes.append("no maxmemory: the host's memory is the limit")
    elif used >= limit * MEMORY_FULL_SHARE:
        check.summary = f"used {used} of {limit} bytes ({used / limit:.0%})"
        check.find("used_memory", f"{used} bytes is {used / limit:.0%} of maxmemory {limit}: with noeviction, "
                                  "writes (new jobs) fail once it is full")
    else:
        check.summary = f"used {used} of {limit} bytes ({used / limit:.0%})"
    return check


def version_check(server: dict[str, Any]) -> Check:
    check = Check("redis.version", "The server is recent enough for Bull 4")
    reported = server.get("redis_version")
    name = str(server.get("server_name") or "redis")
    # Valkey reports its own version apart and a fixed Redis-compatible redis_version (7.2.4), which Bull reads.
    own_version = server.get(f"{name}_version") if name != "redis" else reported
    check.evidence = {"server": name, "version": own_version, "redis_version": reported,
                      "bull4_minimum": _text(BULL4_MIN_REDIS)}
    if reported is None:
        check.cannot_tell("INFO server has no redis_version")
        check.summary = f"{name}, version unknown"
        return check
    label = f"{name} {own_version}" + (f" (redis_version {reported})" if name != "redis" else "")
    if _version(str(reported)) < BULL4_MIN_REDIS:
        check.find("redis_version", f"{reported} is older than {_text(BULL4_MIN_REDIS)}, Bull 4's minimum")
    check.summary = f"{label}; Bull 4 needs redis_version >= {_text(BULL4_MIN_REDIS)}"
    return check
