"""A log message too long for one line is redacted whole, then cut: the cut never leaves
part of a secret that, alone, no longer looks like one."""

from __future__ import annotations

import io
import logging

import pytest

from bot.logs import configure_logging
from tests.log_state import logging_restored

TOKEN = "ghp_" + "Q7f2Kp9LmX4sT8vW1zR6bN3cY5dE0aH2jU8o"  # a GitHub token: 40 characters


@pytest.fixture
def log_output():
    with logging_restored():
        yield io.StringIO()


def test_a_long_message_is_redacted_before_it_is_cut(log_output):
    configure_logging("INFO", stream=log_output)
    # the cut (at 4,000 characters) falls inside the token, 20 characters in
    message = "x" * (4000 - len("event=long body=") - 21) + " " + TOKEN + " " + "y" * 2000
    logging.getLogger("errcode").info("event=long body=%s", message)
    text = log_output.getvalue()
    assert TOKEN[:14] not in text
    assert "event=long" in text and text.rstrip().endswith("…")
