"""One exception hierarchy for errcode, so callers catch one base class.

    Exception
     └── ErrcodeError                 anything errcode raises on purpose
          ├── CatalogError            a catalog file is broken: file, entry, key path
          ├── ConfigError             a setting is wrong: key path (or variable), file
          ├── UnknownTargetError      a health target asked for by a name not configured
          │                           (also a LookupError)
          └── StoreError              the state store failed (defined in bot.store, beside
                                      the sqlite3 code it wraps)

The message alone tells a user what to fix and where:

    catalog/mazevault.yml: entries[3] (RATE_LIMITED): retry.policy: must be one of ...
    errcode.yml: health.targets[0].base_url: must be an http(s) URL (got 'ftp://x')
"""

from __future__ import annotations

__all__ = ["CatalogError", "ConfigError", "ErrcodeError", "UnknownTargetError"]


class ErrcodeError(Exception):
    """Base class of every error errcode raises on purpose."""


class CatalogError(ErrcodeError):
    """A catalog file failed to load or validate; names file, entry and key path.

    `entry` is the entry's code (None when the entry has none or the mistake is not in
    an entry), `index` its position in `entries`, `field` the key path inside it.
    """

    def __init__(self, file: str, message: str, entry: str | None = None,
                 field: str | None = None, *, index: int | None = None) -> None:
        self.file = file
        self.entry = entry
        self.index = index
        self.field = field
        self.detail = message
        parts = [file]
        if index is not None:
            parts.append(f"entries[{index}]" + (f" ({entry})" if entry else ""))
        elif entry is not None:
            parts.append(f"entry '{entry}'")
        if field:
            parts.append(field)
        super().__init__(": ".join([*parts, message]))


class ConfigError(ErrcodeError):
    """A setting is missing or invalid; names the key (and the file when there is one)."""

    def __init__(self, key: str, message: str, file: str | None = None) -> None:
        self.key = key
        self.file = file
        self.detail = message
        where = f"{file}: " if file else ""
        super().__init__(f"{where}{key}: {message}")


class UnknownTargetError(ErrcodeError, LookupError):
    """A health target was asked for by a name that is not configured."""
