"""Where the store lives: a storage URL (or a bare SQLite path) -> Location, and its masked form.

    sqlite:///relative/errcode.sqlite3    (three slashes: relative to the working folder)
    sqlite:////var/lib/errcode/errcode.sqlite3   (four: an absolute path)
    sqlite:///:memory:
    postgresql://errcode:secret@db.internal:5432/errcode?sslmode=require

The SQLite form is SQLAlchemy's and dj-database-url's, so `"sqlite:///" + path` is right
for relative and absolute paths alike. A password is never shown: `shown` masks it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qsl, urlencode, urlsplit

from bot.store.records import StoreError

__all__ = ["Location", "mask_url", "parse_location", "sqlite_url"]

SQLITE_PREFIX = "sqlite:///"
POSTGRES_SCHEMES = ("postgresql", "postgres")
MASK = "***"


@dataclass(frozen=True)
class Location:
    """A parsed storage URL. `target` (a file path, or the full PostgreSQL URL) may hold a
    password and is kept out of repr; `shown` is safe to print and log."""

    dialect: Literal["sqlite", "postgresql"]
    target: str = field(repr=False)
    shown: str

    @property
    def url(self) -> str:
        return sqlite_url(self.target) if self.dialect == "sqlite" else self.target


def sqlite_url(path: str | Path) -> str:
    return SQLITE_PREFIX + str(path)


def parse_location(value: str | Path) -> Location:
    """A Path or a string without a scheme is a SQLite file; otherwise the URL's scheme
    picks the database. Raises StoreError (URL masked) for anything else."""
    if isinstance(value, Path) or "://" not in value:
        path = str(value)
        if not path.strip():
            raise StoreError("(storage)", "empty SQLite path")
        return Location("sqlite", path, path)
    scheme = value.split("://", 1)[0].lower()
    if scheme == "sqlite":
        if not value.startswith(SQLITE_PREFIX) or not value[len(SQLITE_PREFIX):].strip():
            raise StoreError(mask_url(value), "a SQLite URL is sqlite:///PATH (three slashes "
                             "then a relative path, four for an absolute one)")
        path = value[len(SQLITE_PREFIX):]
        return Location("sqlite", path, path)
    if scheme in POSTGRES_SCHEMES:
        parts = urlsplit(value)
        if not parts.path.strip("/"):
            raise StoreError(mask_url(value), "name the database: postgresql://USER@HOST:PORT/DB")
        normal = "postgresql" + value[len(scheme):]
        return Location("postgresql", normal, mask_url(normal))
    raise StoreError(mask_url(value), f"unsupported storage URL scheme '{scheme}' "
                     "(use sqlite:///PATH or postgresql://USER@HOST:PORT/DB)")


def mask_url(url: str) -> str:
    """The URL with any password (in the user part or a `password=` parameter) masked;
    a URL without one comes back as it was given."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return url.split("://", 1)[0] + "://" + MASK
    netloc = parts.netloc
    if password is not None:
        userinfo, _, hostport = netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:{MASK}@{hostport}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(k.lower() == "password" for k, _ in pairs):
            query = urlencode([(k, MASK if k.lower() == "password" else v) for k, v in pairs],
                              safe="*")
    if (netloc, query) == (parts.netloc, parts.query):
        return url  # nothing to mask
    # Not urlunsplit: for a scheme it does not know (sqlite) it drops the empty host's
    # "//", so sqlite:////var/lib/x.db came back as sqlite://var/lib/x.db.
    return (f"{parts.scheme}://{netloc}{parts.path}" + (f"?{query}" if query else "")
            + (f"#{parts.fragment}" if parts.fragment else ""))
