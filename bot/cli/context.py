"""What every subcommand may need (settings, catalog, core), loaded only when first used:
nothing here is imported before a command asks for it."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

    from bot.catalog.model import Catalog
    from bot.config import Settings
    from bot.core import Core
    from bot.triage.engine import TriageEngine, TriageHints

MAX_STDIN_BYTES = 8 * 1024 * 1024


class Context:
    """What every subcommand may need, loaded only when first used. (A plain class, not a
    dataclass: `errcode --version` then imports no dataclass machinery at all.)"""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args

    def __repr__(self) -> str:
        return f"Context(args={self.args!r})"

    @cached_property
    def settings(self) -> Settings:
        from bot.config import load_settings

        return load_settings(self.args.config)

    @cached_property
    def catalog(self) -> Catalog:
        from bot.catalog.load import load_catalog

        directory = getattr(self.args, "catalog", None) or self.settings.catalog_dir
        catalog = load_catalog(directory, strict=False)
        for problem in catalog.problems:
            print(f"errcode: warning: skipped broken catalog file: {problem}", file=sys.stderr)
        return catalog

    @cached_property
    def services(self) -> Core:
        from bot.core import Core

        return Core.load(self.settings, self.catalog)

    @property
    def engine(self) -> TriageEngine:
        return self.services.engine

    def hints(self, product: str | None = None) -> TriageHints:
        return self.services.hints(product=product)


def read_text(parts: Sequence[str]) -> str:
    if list(parts) == ["-"] or not parts:
        data = sys.stdin.buffer.read(MAX_STDIN_BYTES + 1)
        if len(data) > MAX_STDIN_BYTES:
            print(f"errcode: input over {MAX_STDIN_BYTES // (1024 * 1024)} MB: reading only the "
                  "first part", file=sys.stderr)
        return data[:MAX_STDIN_BYTES].decode("utf-8", errors="replace")
    return " ".join(parts)


