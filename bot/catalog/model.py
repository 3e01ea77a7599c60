"""What a catalog says, as frozen dataclasses every feature reads (`@record`: frozen
dataclasses whose methods are shared rather than compiled per class at import).

`bot.catalog.load` builds them from the YAML files (shapes in `bot.catalog.shapes`);
the file format is documented in `catalog/README.md` and `catalog/catalog.schema.json`.
Product knowledge (names, deployment words, what a failed health check means) lives
here as data, so generic code never names a product.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.errors import CatalogError
from bot.records import record
from bot.text import fold

# The allowed words (retry policies, code styles, envelopes, health reasons...) are
# spelled once, as the Literal types of bot.catalog.shapes.
HOST_PLACEHOLDER = "{host}"


@record
class RetryPolicy:
    """Whether an error is worth retrying, and where that judgement comes from."""

    policy: str
    note: str = ""
    source: str = "documented"


@record
class Command:
    """A diagnostic command, runnable once `{host}` is filled in."""

    label: str
    run: str

    def for_host(self, host: str) -> str:
        return self.run.replace(HOST_PLACEHOLDER, host)


@record
class Cause:
    """A documented cause of an error, and how to fix it."""

    cause: str
    fix: str = ""


@record
class HealthCheckSpec:
    """A documented health endpoint; `auth` is "admin" when it needs the admin token."""

    path: str
    auth: str | None = None


@record
class ChecklistItem:
    """One thing an escalation to the vendor must carry: what fills it, and its label."""

    key: str
    label: str


@record
class Deployment:
    """A deployment type support asks about ("AKS") and the words people use for it."""

    name: str
    words: tuple[str, ...]


@record
class HealthFailure:
    """What a failed health check of this product means: a rule matched against the check.

    Every condition given must hold (none given: never matches). `says` is the phrase the
    failure is described with for triage; `codes` are the entries shown when triage finds
    nothing confident.
    """

    component: str | None = None  # regex (case-insensitive) on a component not healthy
    path: str | None = None  # regex (case-insensitive) on the failed check's path
    reasons: tuple[str, ...] = ()  # why it failed: CheckResult.reason, e.g. refused
    http_status: int | None = None
    error_code: str | None = None  # the code in the health response's error envelope
    admin: bool | None = None  # the check needed the admin token
    says: str | None = None
    codes: tuple[str, ...] = ()


@record
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
    health_failures: tuple[HealthFailure, ...] = ()
    deployments: tuple[Deployment, ...] = ()
    escalation_checklist: tuple[ChecklistItem, ...] = ()
    source: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        """Every name people call the product by: catalog name, display name, aliases."""
        return tuple(dict.fromkeys((self.catalog, self.name, *self.aliases)))


@record
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
    said_as: tuple[str, ...] = ()  # in people's words: matched, never shown
    keywords: tuple[str, ...] = ()
    symptoms: tuple[str, ...] = ()
    causes: tuple[Cause, ...] = ()
    commands: tuple[Command, ...] = ()
    related: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """Globally unique id, `catalog:code`."""
        return f"{self.catalog}:{self.code}"


@record
class Catalog:
    """Every product and entry errcode knows, across all catalog files."""

    products: Mapping[str, Product]
    entries: tuple[Entry, ...]
    problems: tuple[CatalogError, ...] = ()

    def entry(self, catalog: str, code: str) -> Entry | None:
        for e in self.entries:
            if e.catalog == catalog and e.code == code:
                return e
        return None

    def by_catalog(self, catalog: str) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.catalog == catalog)

    def find_product(self, name: str) -> Product | None:
        """A product by catalog name, display name or alias (case-insensitive)."""
        wanted = fold(name)
        for product in self.products.values():
            if wanted in {fold(n) for n in product.names}:
                return product
        return None





