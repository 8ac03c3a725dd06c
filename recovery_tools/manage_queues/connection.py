"""Opening Redis for the tool: URL checks, a short connect timeout, no retries, loopback detection."""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import urlsplit

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import AuthenticationError, RedisError, ResponseError

from recovery_tools.manage_queues.errors import ToolError
from recovery_tools.urls import redact

SCHEMES = ("redis", "rediss", "unix")
_USERINFO = re.compile(r"//([^/@:]*):([^/@]*)@")
DEFAULT_CONNECT_TIMEOUT = 3.0


def shown(url: str) -> str:
    """The URL safe to print: recovery_tools.urls.redact, which raises on a malformed port, with a fallback."""
    try:
        return redact(url)
    except ValueError:
        return _USERINFO.sub(r"//\1:***@", url)


def check_url(url: str | None) -> str:
    """The URL when it is one redis-py can open; else a ToolError naming what is wrong (password redacted)."""
    if not url:
        raise ToolError("no Redis URL: pass --redis-url or set REDIS_URL")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a non-numeric port
    except ValueError as error:
        raise ToolError(f"bad Redis URL {shown(url)}: {error}") from None
    if parts.scheme not in SCHEMES:
        raise ToolError(f"bad Redis URL {shown(url)}: scheme must be one of redis://, rediss://, unix://")
    if parts.scheme == "unix" and not parts.path:
        raise ToolError(f"bad Redis URL {shown(url)}: unix:// needs a socket path")
    if parts.scheme != "unix" and not parts.hostname:
        raise ToolError(f"bad Redis URL {shown(url)}: no host")
    return url


def is_loopback(url: str) -> bool:
    """True when the URL points at this machine: a Unix socket or a host resolving only to loopback addresses."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return True
    host = parts.hostname or ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    addresses = {info[4][0] for info in infos}
    return bool(addresses) and all(ipaddress.ip_address(str(a).split("%")[0]).is_loopback for a in addresses)


async def connect(url: str, timeout: float = DEFAULT_CONNECT_TIMEOUT) -> aioredis.Redis:
    """A client that has answered PING, or a ToolError within about `timeout` seconds."""
    try:
        client = aioredis.Redis.from_url(
            url,
            decode_responses=True,
            socket_connect_timeout=timeout,
            socket_timeout=max(timeout, 10.0),
            retry=Retry(NoBackoff(), 0),
        )
    except (ValueError, RedisError) as error:
        raise ToolError(f"bad Redis URL {shown(url)}: {error}") from None
    try:
        await client.ping()
    except (AuthenticationError, ResponseError) as error:
        await client.aclose()
        raise ToolError(f"Redis at {shown(url)} refused the connection: {error}") from None
    except (RedisError, OSError) as error:
        await client.aclose()
        raise ToolError(f"cannot reach Redis at {shown(url)}: {_reason(error)}") from None
    return client


def _reason(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]
