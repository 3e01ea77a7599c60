"""One exception hierarchy for errcode, so callers catch one base class.

    ErrcodeError
     ├── CatalogError   a catalog file is broken (carries file, entry, field)
     └── ConfigError    a setting is wrong (carries key and, when known, file)

The message alone tells a user what to fix and where.
"""

from __future__ import annotations


class ErrcodeError(Exception):
    """Base class of every error errcode raises on purpose."""


class CatalogError(ErrcodeError):
    """A catalog file failed to load or validate; names file, entry and field."""

    def __init__(self, file: str, message: str, entry: str | None = None,
                 field: str | None = None) -> None:
        self.file = file
        self.entry = entry
        self.field = field
        self.detail = message
        where = file
        if entry is not None:
            where += f": entry '{entry}'"
        prefix = f"{field} " if field else ""
        super().__init__(f"{where}: {prefix}{message}")


class ConfigError(ErrcodeError):
    """A setting is missing or invalid; names the key (and the file when there is one)."""

    def __init__(self, key: str, message: str, file: str | None = None) -> None:
        self.key = key
        self.file = file
        self.detail = message
        where = f"{file}: " if file else ""
        super().__init__(f"{where}{key}: {message}")
