"""Tests that configure logging (`configure_logging` replaces the root's handlers and
levels the quiet third-party loggers) put everything back afterwards, so the next test
logs as before."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from bot.logs import QUIET_LOGGERS


@contextmanager
def logging_restored() -> Iterator[None]:
    """The root logger's handlers and level, and the quiet loggers' levels, as they were."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    quiet = {name: logging.getLogger(name).level for name in QUIET_LOGGERS}
    try:
        yield
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)
        for name, saved in quiet.items():
            logging.getLogger(name).setLevel(saved)
