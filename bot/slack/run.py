"""`errcode serve`: start the bot in Socket Mode or HTTP mode, after checking its settings.

Startup refuses to run with a missing, malformed or rejected token, naming the variable;
it never prints a token's value. `ERRCODE_ANSWER_QUEUE` bounds the answers this replica
acked and not yet answered (past it, people are told to try again in a moment; see
bot.slack.workers). Acked questions are kept in the store until answered:
`ERRCODE_JOB_LEASE_S` (default 12) is how long after a replica died its questions wait
before another replica (or this one, restarted) answers them (bot.slack.stored_queue).
`ERRCODE_ANSWER_PROCESSES` (default 1 on a machine of two cores or more, else 0) is how
many child processes triage the questions, so answering never takes the core the acks
run on (bot.compute); 0 answers in this process.
"""

from __future__ import annotations

import gc
import logging
import os
import signal

from slack_sdk.errors import SlackApiError

from bot.catalog.model import Catalog
from bot.compute import ComputePool
from bot.config import Settings
from bot.core import Core
from bot.errors import ConfigError
from bot.health.watch import HealthWatch
from bot.logs import LOG_FORMATS, configure_logging
from bot.slack.app import build_app, web_client
from bot.slack.blocks import escape
from bot.slack.stored_queue import LEASE_S
from bot.slack.workers import ANSWER_QUEUE, ANSWER_THREADS_PER_CHILD, CPU_WORKERS, Workers
from bot.store import open_store

log = logging.getLogger("errcode.serve")


def check_slack_settings(settings: Settings, http: bool) -> None:
    """Raise ConfigError naming the first missing or malformed Slack setting."""
    s = settings.slack
    if not s.bot_token:
        raise ConfigError("SLACK_BOT_TOKEN", "is not set (the bot token, xoxb-...); for a "
                          "local try without Slack run `errcode shell`")
    if not s.bot_token.startswith("xoxb-"):
        raise ConfigError("SLACK_BOT_TOKEN", "does not look like a bot token (xoxb-...)")
    if http and not s.signing_secret:
        raise ConfigError("SLACK_SIGNING_SECRET", "is required in HTTP mode (Basic "
                          "Information > App Credentials > Signing Secret)")
    if not http:
        if not s.app_token:
            raise ConfigError("SLACK_APP_TOKEN", "is not set: Socket Mode needs an app-level "
                              "token (xapp-...); or run `errcode serve --http`")
        if not s.app_token.startswith("xapp-"):
            raise ConfigError("SLACK_APP_TOKEN", "does not look like an app-level token "
                              "(xapp-...)")


def serve(settings: Settings, catalog: Catalog, *, http: bool, host: str = "0.0.0.0",
          port: int | None = None, ops_port: int | None = None) -> int:
    """Run the bot until stopped: HTTP mode when asked (or without an app token), else
    Socket Mode. Settings are checked first, so a bad token stops it with its name."""
    configure_logging(settings.log_level, _log_format(),
                      extra_patterns=settings.redact_patterns)
    http = http or not settings.slack.app_token
    check_slack_settings(settings, http)
    from bot.slack.socket_mode import metrics_port

    ops_port = None if http else metrics_port(ops_port)
    for problem in catalog.problems:
        log.error("event=catalog_file_skipped problem=%r", str(problem))
    core = Core.load(settings, catalog)  # bad health/product config stops here
    _check_token(settings)
    core.store = open_store(settings)
    core.compute = _start_compute(core)
    # With compute children, answer threads mostly wait: on them, on the store's commit,
    # on the GIL the acks hold. wrk at 50 connections, Slack at 100 ms, same runs:
    # 126-133 answers/s with 4 per child, 140-148 with 12, 154-179 with 24.
    cpu_workers = (CPU_WORKERS if core.compute is None
                   else 2 + ANSWER_THREADS_PER_CHILD * core.compute.processes)
    workers = Workers(settings.slack.listener_threads, cpu_workers=cpu_workers,
                      answer_queue=_env_int("ERRCODE_ANSWER_QUEUE", ANSWER_QUEUE),
                      lease_s=_env_int("ERRCODE_JOB_LEASE_S", int(LEASE_S)))
    app = build_app(core, workers)
    watch = _start_health_watch(core, settings)
    # The catalog, its index and the app live as long as the process: kept out of the
    # collector's full passes, which then take ~1 ms under load instead of ~40 ms.
    gc.freeze()
    if http:
        from bot.slack.early_busy import early_busy
        from bot.slack.http import HTTP_THREADS, make_server

        port = port or int(os.environ.get("PORT") or 3000)
        server = make_server(app, host=host, port=port,
                             threads=min(HTTP_THREADS, settings.slack.listener_threads),
                             early=early_busy(core, workers))
        signal.signal(signal.SIGTERM, lambda *_: server.close())
        log.info("event=serving mode=http host=%s port=%s path=/slack/events", host, port)
        try:
            server.run()
        except (KeyboardInterrupt, OSError):
            pass
        finally:
            _stop(watch, workers, core)
        return 0
    from bot.slack.socket_mode import SocketMode, start_ops_listener

    ops = start_ops_listener(host, ops_port)

    socket_mode = SocketMode(app, settings.slack.app_token or "")
    signal.signal(signal.SIGTERM, lambda *_: socket_mode.close())
    log.info("event=serving mode=socket")
    try:
        socket_mode.serve()
    except KeyboardInterrupt:
        pass
    finally:
        socket_mode.close()
        if ops is not None:
            ops.close()
        _stop(watch, workers, core)
    return 0


def _log_format() -> str:
    fmt = os.environ.get("ERRCODE_LOG_FORMAT", "text").strip().lower() or "text"
    if fmt not in LOG_FORMATS:
        raise ConfigError("ERRCODE_LOG_FORMAT", f"must be one of {', '.join(LOG_FORMATS)}, "
                          f"not {fmt!r}")
    return fmt


def _start_health_watch(core: Core, settings: Settings) -> HealthWatch | None:
    """The scheduled health watch, when configured: it posts status changes to its channel
    (only the replica holding the watch lease runs the checks)."""
    if core.health.watch is None:
        return None
    client = web_client(settings.slack.bot_token, settings.slack.api_url)

    def post(channel: str, text: str) -> None:
        client.chat_postMessage(channel=channel, text=escape(text))

    return HealthWatch(core, post).start()


def _start_compute(core: Core) -> ComputePool | None:
    """The child processes that triage questions, started and warm before serving."""
    default = 1 if (os.cpu_count() or 1) > 1 else 0
    processes = _env_int("ERRCODE_ANSWER_PROCESSES", default, minimum=0)
    if processes == 0:
        core.engine.ready()  # the index, built before the first question, not by it
        log.info("event=compute processes=0 where=here")
        return None
    pool = ComputePool(core.catalog, core.settings.redact_patterns, processes=processes)
    log.info("event=compute processes=%d ready_s=%.2f", processes, pool.warm())
    return pool


def _stop(watch: HealthWatch | None, workers: Workers, core: Core) -> None:
    if watch is not None:
        watch.stop()
    workers.close()
    if core.compute is not None:
        core.compute.close()
    if core.store is not None:
        core.store.close()


def _env_int(name: str, default: int, *, minimum: int = 1) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < minimum:
        raise ConfigError(name, f"must be a whole number of {minimum} or more, not {value!r}")
    return int(value)


def _check_token(settings: Settings) -> None:
    """auth.test once: a rejected token stops startup; an unreachable Slack only warns."""
    client = web_client(settings.slack.bot_token, settings.slack.api_url)
    try:
        auth = client.auth_test()
        log.info("event=auth_ok team=%s bot_user=%s", auth.get("team_id"), auth.get("user_id"))
    except SlackApiError as err:
        raise ConfigError("SLACK_BOT_TOKEN", f"Slack rejected the token "
                          f"({err.response.get('error')})") from err
    except Exception as err:  # network: keep serving, Slack may come back
        log.warning("event=auth_unreachable error=%s", type(err).__name__)
