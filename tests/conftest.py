"""Test-wide settings: property tests are derandomized, so a run is repeatable.

Hypothesis draws its examples from a fixed seed by default; a red run fails the same
way on every machine and every rerun. To explore with fresh random examples locally:
`HYPOTHESIS_PROFILE=explore ./dev test tests/test_redact.py`.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("repeatable", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))
