"""A log message too long for one line is redacted whole, then cut: the cut never leaves
part of a secret that, alone, no longer looks like one."""

from __future__ import annotations

import io
import logging

import pytest

from bot.logs import QUIET_LOGGERS, configure_logging

TOKEN = "ghp_" + "Q7f2Kp9LmX4sT8vW1zR6bN3cY5dE0aH2jU8o"  # a GitHub token: 40 characters


@pytest.fixture
def log_output():
    root = logging.getLogger()
    saved = (list(root.handlers), root.level,
             {n: logging.getLogger(n).level for n in QUIET_LOGGERS})
    buf = io.StringIO()
    yield buf
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved[0]:
        root.addHandler(handler)
    root.setLevel(saved[1])
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)


def test_a_long_message_is_redacted_before_it_is_cut(log_output):
    configure_logging("INFO", stream=log_output)
    # the cut (at 4,000 characters) falls inside the token, 20 characters in
    message = "x" * (4000 - len("event=long body=") - 21) + " " + TOKEN + " " + "y" * 2000
    logging.getLogger("errcode").info("event=long body=%s", message)
    text = log_output.getvalue()
    assert TOKEN[:14] not in text
    assert "event=long" in text and text.rstrip().endswith("…")
