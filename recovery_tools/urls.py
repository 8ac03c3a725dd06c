"""URL helpers shared by the backends and the tools: never print a password."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

_USERINFO = re.compile(r"//([^/@:]*):([^/@]*)@")


def redact(url: str) -> str:
    """The URL with any password replaced by ***; safe to print or log."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
    except ValueError:  # e.g. a port that is not a number: fall back to masking the userinfo textually
        return _USERINFO.sub(r"//\1:***@", url)
    userinfo = f"{parts.username or ''}:***"
    return urlunsplit((parts.scheme, f"{userinfo}@{host}", parts.path, parts.query, parts.fragment))


def with_database(url: str, database: str) -> str:
    """The same Postgres URL pointing at another database (keeps host, socket query and credentials)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


def sqlalchemy_url(url: str) -> str:
    """A postgresql:// URL in the form SQLAlchemy needs to pick psycopg 3."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def database_name(url: str) -> str:
    """The database a Postgres URL names (the path, not a socket folder in the query)."""
    return urlsplit(url).path.lstrip("/")
