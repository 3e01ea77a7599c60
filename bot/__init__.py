"""errcode: paste an error, get what it means, when to retry and how to fix it.

The public face of the core, for scripts and other tools; every name loads on first
use, so `errcode lookup` pays only for what it uses. Slack, the CLI and the console
are thin doors over these same calls. One call: `from bot.triage import triage`.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

_EXPORTS = {
    "Triage": "bot.triage.engine",
    "TriageEngine": "bot.triage.engine",
    "TriageHints": "bot.triage.engine",
    "Catalog": "bot.catalog.model",
    "load_catalog": "bot.catalog.load",
    "Redactor": "bot.redact",
    "redact": "bot.redact",
    "HealthReport": "bot.health.checks",
    "run_health": "bot.health.checks",
    "Packet": "bot.escalation.packet",
    "assemble": "bot.escalation.packet",
    "draft_from_thread": "bot.escalation.draft",
    "ErrcodeError": "bot.errors",
    "CatalogError": "bot.errors",
    "ConfigError": "bot.errors",
}
__all__ = [
    "Catalog", "CatalogError", "ConfigError", "ErrcodeError", "HealthReport", "Packet",
    "Redactor", "Triage", "TriageEngine", "TriageHints", "__version__", "assemble",
    "draft_from_thread", "load_catalog", "redact", "run_health",
]

if TYPE_CHECKING:
    from bot.catalog.load import load_catalog
    from bot.catalog.model import Catalog
    from bot.errors import CatalogError, ConfigError, ErrcodeError
    from bot.escalation.draft import draft_from_thread
    from bot.escalation.packet import Packet, assemble
    from bot.health.checks import HealthReport, run_health
    from bot.redact import Redactor, redact
    from bot.triage.engine import Triage, TriageEngine, TriageHints


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'bot' has no attribute {name!r}")
