"""The real bolt app in HTTP mode on 127.0.0.1, and a local Slack Web API to read its replies.

    with BotServer(tmp_path) as bot:
        bot.send(payloads.slash_command("RATE_LIMITED", response_url=bot.api.response_url()))
        bot.api.wait_for("response_url")

Requests are signed exactly as Slack signs them (`tests.fakes.slack_payloads.signed_headers`);
the app's WebClient points at `LocalSlackAPI`. `restart()` builds a fresh app and server
on the same store, as a redeploy would.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx

from bot.catalog.load import load_catalog
from bot.config import Settings, SlackSettings
from bot.core import Core
from bot.slack.app import build_app
from bot.slack.early_busy import early_busy
from bot.slack.http import make_server
from bot.slack.workers import Workers
from bot.store import Store
from tests.fakes import slack_payloads as payloads
from tests.fakes.slack_api import BOT_TOKEN, LocalSlackAPI

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # the tests' Slack signing secret
_CATALOG = load_catalog(None, strict=True)


class BotServer:
    """errcode serving Slack over real HTTP, with everything it sends recorded."""

    def __init__(self, tmp: Path, *, health: Any = None, escalation_channel: str | None = None,
                 env: dict[str, str] | None = None, workers: dict[str, Any] | None = None,
                 **settings: Any) -> None:
        self.tmp = tmp
        self.api = LocalSlackAPI()
        self._workers_kw = workers or {}  # Workers(...) sizes: answer_queue, cpu_slots...
        self.workers: Workers | None = None
        self._health = health
        self._env = env or {}
        self._settings = dict(settings, escalation_channel=escalation_channel)
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.store: Store | None = None
        self.core: Core | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> BotServer:
        self.api.start()
        self._start_app()
        return self

    def _start_app(self) -> None:
        settings = Settings(
            storage_path=self.tmp / "errcode.db", health_raw=self._health,
            slack=SlackSettings(bot_token=BOT_TOKEN, signing_secret=SECRET,
                                api_url=self.api.base_url, listener_threads=8),
            **self._settings)
        self.store = Store(settings.storage_path)
        self.core = Core.load(settings, _CATALOG, self.store, env=self._env)
        self.workers = Workers(settings.slack.listener_threads, **self._workers_kw)
        app = build_app(self.core, self.workers)
        self._server = make_server(app, host="127.0.0.1", port=0, threads=8,
                                   early=early_busy(self.core, self.workers))
        self._thread = threading.Thread(target=self._run, args=(self._server,), daemon=True)
        self._thread.start()

    @staticmethod
    def _run(server: Any) -> None:
        with contextlib.suppress(OSError):  # closed from another thread mid-select
            server.run()

    def _stop_app(self) -> None:
        if self._server is not None:
            self._server.close()
            self._thread and self._thread.join(5)
            self._server = None
        if self.workers is not None:
            self.workers.close()
            self.workers = None
        if self.store is not None:
            self.store.close()
            self.store = None

    def restart(self) -> None:
        """A redeploy: new app, new server, same database."""
        self._stop_app()
        self._start_app()

    def stop(self) -> None:
        self.api.release()  # answers held at Slack finish before the app goes
        self._stop_app()
        self.api.stop()

    def __enter__(self) -> BotServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ requests
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.effective_port}"

    def send(self, req: payloads.SlackRequest, *, secret: str = SECRET,
             timestamp: int | None = None, retry_num: int | None = None,
             path: str = "/slack/events") -> httpx.Response:
        """POST `req` signed as Slack would sign it (with `secret`, at `timestamp`)."""
        headers = payloads.signed_headers(secret, req, timestamp=timestamp,
                                          retry_num=retry_num,
                                          retry_reason="http_timeout" if retry_num else None)
        return httpx.post(self.url + path, content=req.body.encode(), headers=headers,
                          timeout=10)

    def post_raw(self, body: bytes, headers: dict[str, str],
                 path: str = "/slack/events") -> httpx.Response:
        return httpx.post(self.url + path, content=body, headers=headers, timeout=10)


def with_settings(bot: BotServer, **changes: Any) -> None:
    """Change settings for the next `restart()`."""
    bot._settings.update(changes)


__all__ = ["SECRET", "BotServer", "replace", "with_settings"]
