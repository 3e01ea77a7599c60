"""Every log line is redacted, whichever logger wrote it; body-logging libraries stay quiet."""

from __future__ import annotations

import io
import json
import logging

import pytest

from bot.logs import configure_logging
from tests.log_state import logging_restored

TOKEN = "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx"
DSN = "postgres://svc:Hunter2Secret99@db.internal/app"


@pytest.fixture
def log_output():
    with logging_restored():
        yield io.StringIO()


def test_our_log_lines_are_redacted(log_output):
    configure_logging("DEBUG", stream=log_output)
    logging.getLogger("errcode.slack").info("event=post_failed error=%s body=%s",
                                            "invalid_auth", f"token={TOKEN} db={DSN}")
    text = log_output.getvalue()
    assert "event=post_failed" in text and "invalid_auth" in text
    assert TOKEN not in text and "Hunter2Secret99" not in text
    assert "[REDACTED:" in text


def test_tracebacks_are_redacted(log_output):
    configure_logging("INFO", stream=log_output)
    try:
        raise RuntimeError(f"connect failed: {DSN}")
    except RuntimeError:
        logging.getLogger("errcode.serve").exception("event=crash")
    text = log_output.getvalue()
    assert "RuntimeError" in text and "Traceback" in text
    assert "Hunter2Secret99" not in text


def test_libraries_that_log_bodies_stay_at_warning_even_at_debug(log_output):
    configure_logging("DEBUG", stream=log_output)
    logging.getLogger("slack_sdk.web.base_client").debug("Received the following response: "
                                                         "{'ok': True, 'text': 'x'}")
    logging.getLogger("httpcore.http11").debug("receive_response_headers.complete")
    assert log_output.getvalue() == ""
    logging.getLogger("slack_sdk.web.base_client").warning("retrying after %s", TOKEN)
    assert "retrying after [REDACTED:" in log_output.getvalue()


def test_a_broken_format_string_still_logs(log_output):
    configure_logging("INFO", stream=log_output)
    logging.getLogger("errcode").info("value %d", "not a number")
    assert "value %d" in log_output.getvalue()


def test_json_lines_have_stable_keys_and_the_message_pairs(log_output):
    configure_logging("INFO", "json", stream=log_output)
    logging.getLogger("errcode.slack").info("event=triage surface=slash query=q1 secret=%s",
                                            TOKEN)
    line = json.loads(log_output.getvalue())
    assert {"ts", "level", "logger", "msg"} <= line.keys()
    assert line["level"] == "INFO" and line["logger"] == "errcode.slack"
    assert line["event"] == "triage" and line["surface"] == "slash" and line["query"] == "q1"
    assert TOKEN not in log_output.getvalue()
