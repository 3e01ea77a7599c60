"""The configured core every surface holds: settings, catalog, store, health targets, engine.

CLI, Slack and console all hold one `Core`; none of this imports Slack. The store, the
health checks (httpx) and, without a `health:` section, the health settings load only
when used, so `errcode lookup` imports none of them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from bot.catalog.model import Catalog
from bot.config import Settings, check_products
from bot.triage.engine import TriageEngine, TriageHints

if TYPE_CHECKING:
    from bot.compute import ComputePool, Prepared
    from bot.health.checks import HealthReport, MatchRef
    from bot.health.targets import HealthSettings, HealthTarget
    from bot.store import Store


def _no_health() -> HealthSettings:
    from bot.health.targets import HealthSettings

    return HealthSettings()


@dataclass
class Core:
    """Settings, catalog, store and health targets, validated together; the engine and
    host hints built from them once."""

    settings: Settings
    catalog: Catalog
    store: Store | None = None
    # None: no `health:` section; `health` is then an empty HealthSettings, made on first
    # use (so a lookup never imports the health code).
    health_settings: HealthSettings | None = None
    # `errcode serve`: answers computed in child processes (bot.compute); None: here.
    compute: ComputePool | None = None

    @classmethod
    def load(cls, settings: Settings, catalog: Catalog, store: Store | None = None,
             env: Mapping[str, str] | None = None) -> Core:
        """Validate everything that depends on the catalog; ConfigError names the key."""
        check_products(settings, catalog.products)
        if settings.health_raw is None:
            return cls(settings, catalog, store)
        from bot.health.targets import parse_health_config

        health = parse_health_config(settings.health_raw, os.environ if env is None else env,
                                     file=settings.source, products=catalog.products)
        return cls(settings, catalog, store, health)

    @property
    def health(self) -> HealthSettings:
        """The configured health targets, who may run admin checks, the watch."""
        if self.health_settings is None:
            self.health_settings = _no_health()
        return self.health_settings

    @cached_property
    def engine(self) -> TriageEngine:
        return TriageEngine(self.catalog)

    @cached_property
    def hosts(self) -> dict[str, str]:
        """Product -> host of its first health target, to fill `{host}` in commands."""
        out: dict[str, str] = {}
        if self.health_settings is None:
            return out
        for target in self.health.targets:
            out.setdefault(target.product, urlsplit(target.base_url).netloc)
        return out

    @property
    def health_products(self) -> frozenset[str]:
        if self.health_settings is None:
            return frozenset()
        return frozenset(t.product for t in self.health.targets)

    def hints(self, channel: str | None = None, product: str | None = None) -> TriageHints:
        return TriageHints(product=product or self.settings.product_for_channel(channel),
                           hosts=self.hosts)

    def prepare(self, text: str, hints: TriageHints) -> Prepared:
        """A question triaged and redacted, by the compute pool when there is one."""
        if self.compute is not None:
            return self.compute.prepare(text, hints)
        from bot.compute import prepare

        return prepare(self.engine, self.settings.redact_patterns, text, hints)

    def explain(self, product: str, failure: str) -> Sequence[MatchRef]:
        """A health failure explained by the catalog, as triage would explain a paste."""
        from bot.health.checks import MatchRef

        result = self.engine.triage(failure, self.hints(product=product))
        return [MatchRef(f.entry.catalog, f.entry.code) for f in result.confident
                if f.entry.catalog == product][:3]

    def check_health(self, names: Sequence[str] = (), *, product: str | None = None,
                     user: str | None = None, channel: str | None = None) -> HealthReport:
        """Run the named targets (all, or a product's); admin checks only where allowed."""
        from bot.health.checks import admin_allowed, run_health

        targets: tuple[HealthTarget, ...] = self.health.select(names)
        if product:
            targets = tuple(t for t in targets if t.product == product)
        viewer_known = user is not None or channel is not None
        allowed = admin_allowed(self.health, user, channel) if viewer_known else True
        return run_health(targets, self.explain, catalog=self.catalog, include_admin=allowed)

    def is_health_request(self, words: Sequence[str]) -> bool:
        """`health`, or `health` followed only by configured target names."""
        if not words or words[0].lower() != "health":
            return False
        names = {t.name.lower() for t in self.health.targets}
        return all(w.lower() in names for w in words[1:])
