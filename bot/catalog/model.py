"""Load `catalog/*.yml` into frozen dataclasses and validate them.

The catalog is data reviewed like code: a broken file is refused whole, with a
message naming the file, the entry and the field, so the fix is obvious.
The schema is documented in `catalog/README.md`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.errors import CatalogError

RETRY_POLICIES = ("no", "rarely", "yes", "once")
RETRY_SOURCES = ("documented", "derived", "default")
CODE_STYLES = ("upper_snake", "lower_snake", "any")
ENVELOPES = ("nested_error", "flat_error", "code_field", "json_log")
ENTRY_KINDS = ("error", "issue")
HOST_PLACEHOLDER = "{host}"
# libyaml's loader when PyYAML has it (10x faster on big catalogs); same safe subset.


@dataclass(frozen=True)
class RetryPolicy:
    """Whether an error is worth retrying, and where that judgement comes from."""

    policy: str
    note: str = ""
    source: str = "documented"


@dataclass(frozen=True)
class Command:
    """A diagnostic command, runnable once `{host}` is filled in."""

    label: str
    run: str

    def for_host(self, host: str) -> str:
        return self.run.replace(HOST_PLACEHOLDER, host)


@dataclass(frozen=True)
class Cause:
    cause: str
    fix: str = ""


@dataclass(frozen=True)
class HealthCheckSpec:
    """A documented health endpoint; `auth` is "admin" when it needs the admin token."""

    path: str
    auth: str | None = None


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: str


@dataclass(frozen=True)
class Product:
    """Product-level facts: names, code spelling, envelopes, ids, support and escalation."""

    catalog: str
    name: str
    aliases: tuple[str, ...] = ()
    code_style: str = "any"
    envelopes: tuple[str, ...] = ()
    request_id_pattern: str | None = None
    request_id_header: str | None = None
    support_email: str | None = None
    support_notes: str = ""
    default_retry: RetryPolicy = RetryPolicy("no", "Not documented as retryable.", "default")
    default_host: str = "example.com"
    health_checks: tuple[HealthCheckSpec, ...] = ()
    escalation_checklist: tuple[ChecklistItem, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class Entry:
    """One documented error code or troubleshooting issue."""

    catalog: str
    code: str
    kind: str
    title: str
    meaning: str
    resolution: tuple[str, ...]
    retry: RetryPolicy
    http_status: int | None = None
    category: str = ""
    aliases: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    symptoms: tuple[str, ...] = ()
    causes: tuple[Cause, ...] = ()
    commands: tuple[Command, ...] = ()
    related: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """Globally unique id, `catalog:code`."""
        return f"{self.catalog}:{self.code}"


@dataclass(frozen=True)
class Catalog:
    """Every product and entry errcode knows, across all catalog files."""

    products: Mapping[str, Product]
    entries: tuple[Entry, ...]
    problems: tuple[CatalogError, ...] = field(default=())

    def entry(self, catalog: str, code: str) -> Entry | None:
        for e in self.entries:
            if e.catalog == catalog and e.code == code:
                return e
        return None

    def by_catalog(self, catalog: str) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.catalog == catalog)

    def find_product(self, name: str) -> Product | None:
        """A product by catalog name, display name or alias (case-insensitive)."""
        wanted = _norm_name(name)
        for product in self.products.values():
            names = (product.catalog, product.name, *product.aliases)
            if wanted in {_norm_name(n) for n in names}:
                return product
        return None


def _norm_name(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name.lower())


