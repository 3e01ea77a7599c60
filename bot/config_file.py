"""The shape of errcode.yml, as msgspec structs checked by the one validation layer.

Apart from `bot.config` so that a run without errcode.yml (`errcode lookup` on a
laptop) imports neither msgspec nor YAML; `bot.config` loads this only to read a file.
"""

from __future__ import annotations

from typing import Annotated, Any

from msgspec import Meta
from msgspec import field as shape_field

from bot.config import LISTENER_THREADS
from bot.health.targets import HealthSection
from bot.validation import Shape

__all__ = ["Channel", "ChannelFile", "ConfigFile", "EscalationFile", "SlackFile"]

Text = Annotated[str, Meta(pattern=r"\S", extra={"what": "a non-empty string"})]


class ChannelFile(Shape, kw_only=True, frozen=True):
    product: Text


Channel = Text | ChannelFile  # `C0123ABCD: mazevault` or `C0123ABCD: {product: mazevault}`


class SlackFile(Shape, kw_only=True, frozen=True):
    listener_threads: Annotated[int, Meta(ge=1, le=256)] = LISTENER_THREADS
    api_url: Text | None = None


class EscalationFile(Shape, kw_only=True, frozen=True):
    channel: Text | None = None


class ConfigFile(Shape, kw_only=True, frozen=True):
    """The keys of errcode.yml."""

    catalog_dir: Text | None = None
    storage_url: Text | None = None
    storage_path: Text | None = None
    default_product: Text | None = None
    # Values are checked one by one (msgspec names no key in a mapping's values).
    channels: Annotated[dict[str, Any], Meta(
        extra={"what": "a mapping of channel ids to {product: NAME}"})] = shape_field(
        default_factory=dict)
    health: HealthSection | None = None
    escalation: EscalationFile | None = None
    slack: SlackFile | None = None
    log_level: Text | None = None
    redact_patterns: Annotated[tuple[Text, ...], Meta(
        extra={"what": "a list of regular expressions"})] = ()
