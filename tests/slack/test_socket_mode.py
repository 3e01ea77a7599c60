"""Socket Mode end to end: the real bolt app over real websockets to a local Slack stand-in.

`apps.connections.open` (on the Web API stand-in) hands out a ws:// URL on 127.0.0.1; the
stand-in greets with `hello`, sends envelopes, reads acks by envelope_id, asks for a
refresh (`disconnect`, `refresh_requested`) and drops sockets (tests/fakes/slack_socket.py).
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

from bot.catalog.load import load_catalog
from bot.config import Settings, SlackSettings
from bot.core import Core
from bot.errors import ConfigError
from bot.slack.app import build_app
from bot.slack.socket_mode import SocketMode
from bot.store import Store
from tests.fakes import slack_payloads as payloads
from tests.fakes.slack_api import APP_TOKEN, BOT_TOKEN, LocalSlackAPI
from tests.fakes.slack_socket import LocalSocketMode

SLACK_DEADLINE_S = 3.0  # Slack shows the person an error when an ack takes longer
_CATALOG = load_catalog(None, strict=True)


class SocketBot:
    """errcode in Socket Mode against the stand-ins, serving in a thread."""

    def __init__(self, tmp: Path, api_url: str, app_token: str = APP_TOKEN) -> None:
        settings = Settings(storage_path=tmp / "errcode.db", slack=SlackSettings(
            bot_token=BOT_TOKEN, app_token=app_token, api_url=api_url))
        self.store = Store(settings.storage_path)
        self.socket = SocketMode(build_app(Core.load(settings, _CATALOG, self.store)),
                                 app_token, backoff_s=(0.2, 0.4))
        self.failure: BaseException | None = None
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        try:
            self.socket.serve()
        except BaseException as err:  # read by the test that expects it
            self.failure = err

    def __enter__(self) -> SocketBot:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.socket.close()
        self.thread.join(5)
        self.store.close()


@pytest.fixture
def slack() -> Iterator[tuple[LocalSlackAPI, LocalSocketMode]]:
    with LocalSlackAPI() as api, LocalSocketMode(api) as sockets:
        yield api, sockets


def slash_payload(text: str, response_url: str) -> dict:
    """A slash command as Socket Mode carries it: the form fields as a JSON object."""
    return dict(parse_qsl(payloads.slash_command(text, response_url=response_url).body))


def ask(api: LocalSlackAPI, sockets: LocalSocketMode, text: str, name: str) -> float:
    """Send `/errcode text`; seconds until its ack arrived (the answer goes to `name`)."""
    sent = time.time()
    ack = sockets.wait_ack(sockets.send("slash_commands",
                                        slash_payload(text, api.response_url(name))))
    return ack.at - sent


def answer_to(api: LocalSlackAPI, name: str) -> dict:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for call in api.calls_to("response_url"):
            if call.params.get("_name") == name:
                return call.params
        time.sleep(0.05)
    raise AssertionError(f"no answer posted to response_url {name}")


def test_slash_command_over_socket_mode_is_acked_and_answered(tmp_path, slack):
    api, sockets = slack
    with SocketBot(tmp_path, api.base_url):
        sockets.wait_connected(1)
        assert ask(api, sockets, "RATE_LIMITED", "s1") < SLACK_DEADLINE_S
        assert "RATE_LIMITED" in answer_to(api, "s1")["text"]


def test_mention_over_socket_mode_is_answered_in_its_thread(tmp_path, slack):
    api, sockets = slack
    with SocketBot(tmp_path, api.base_url):
        sockets.wait_connected(1)
        event = payloads.app_mention_event("RATE_LIMITED")
        body = payloads.event_callback(event).body
        sockets.wait_ack(sockets.send("events_api", __import__("json").loads(body),
                                      accepts_response_payload=False))
        posted = api.wait_for("chat.postMessage")[0].params
        assert posted["thread_ts"] == event["ts"] and "RATE_LIMITED" in posted["text"]


def test_after_a_refresh_the_new_socket_is_acked_within_slacks_deadline(tmp_path, slack):
    api, sockets = slack
    with SocketBot(tmp_path, api.base_url):
        first = sockets.wait_connected(1)
        sockets.refresh()  # the old socket stays open for 10 s, as Slack's does
        second = sockets.wait_connected(2)
        assert second.number > first.number
        for i in range(3):
            assert ask(api, sockets, "RATE_LIMITED", f"r{i}") < SLACK_DEADLINE_S
        assert all("RATE_LIMITED" in answer_to(api, f"r{i}")["text"] for i in range(3))


def test_a_dropped_socket_is_replaced_and_served(tmp_path, slack):
    api, sockets = slack
    with SocketBot(tmp_path, api.base_url):
        sockets.wait_connected(1)
        sockets.drop()
        sockets.wait_connected(2, timeout=10)
        assert ask(api, sockets, "RATE_LIMITED", "d1") < SLACK_DEADLINE_S
        assert "RATE_LIMITED" in answer_to(api, "d1")["text"]


def test_a_rejected_app_token_stops_startup_naming_the_variable(tmp_path, slack):
    api, _ = slack
    with SocketBot(tmp_path, api.base_url, app_token="xapp-1-A0APP-1-revoked") as bot:
        bot.thread.join(10)
    assert isinstance(bot.failure, ConfigError)
    assert str(bot.failure) == "SLACK_APP_TOKEN: rejected by Slack: invalid_auth"


def test_errcode_serve_with_a_rejected_app_token_says_so_without_a_traceback(tmp_path, slack):
    api, _ = slack
    env = {**os.environ, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": "xapp-1-bad-token",
           "SLACK_API_URL": api.base_url, "ERRCODE_STORAGE_PATH": str(tmp_path / "e.db")}
    done = subprocess.run([sys.executable, "-m", "bot", "serve"], env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode != 0
    assert "SLACK_APP_TOKEN: rejected by Slack: invalid_auth" in done.stderr
    assert "Traceback" not in done.stderr


def test_unreachable_slack_at_start_is_retried_until_it_answers(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="errcode.socket")
    with socket.socket() as s:  # a port with nothing listening, until Slack "comes back"
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with SocketBot(tmp_path, f"http://127.0.0.1:{port}/api/"):
        deadline = time.monotonic() + 20
        while caplog.text.count("event=slack_unreachable") < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "attempt=1 " in caplog.text and "attempt=2 " in caplog.text
        with LocalSlackAPI(port=port) as api, LocalSocketMode(api) as sockets:
            sockets.wait_connected(1, timeout=20)
            assert ask(api, sockets, "RATE_LIMITED", "u1") < SLACK_DEADLINE_S
            assert "RATE_LIMITED" in answer_to(api, "u1")["text"]
    assert "event=socket_connected" in caplog.text
