"""The shipped catalog's engine, shared by the triage tests (built once, `engine_for`)."""

from __future__ import annotations

import pytest

from bot.triage.engine import TriageEngine, engine_for


@pytest.fixture(scope="module")
def engine() -> TriageEngine:
    return engine_for()
