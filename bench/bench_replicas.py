"""The answer path with several replicas (issue 13): one replica on SQLite beside two on
one PostgreSQL database, the same load.

wrk replays one signed `/errcode` at 50 connections for a few seconds; with two replicas
the connections are split between them (two wrk processes at once, as a load balancer
would), and every answer must reach the Slack stand-in exactly once. The stand-in answers
`response_url` after 100 ms. Per setup: acks, ack p99 (the worse replica's), answers/s,
people told "busy", and questions still unanswered after the drain. That each is answered
exactly once is the tests' job (tests/slack/test_replicas.py): these requests are
identical, so a bench cannot tell a second answer from a first.

    ./dev bench replicas        # needs wrk and ERRCODE_TEST_POSTGRES_URL (or a local server)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench.bench_answers import (
    BOT_TOKEN,
    BUSY,
    SECRET,
    _free_port,
    _parse_wrk,
    _stop,
    _wait_until_up,
    _warm_up,
    _wrk_script,
    find_wrk,
)
from tests.fakes.slack_api import LocalSlackAPI

CONNECTIONS = 50
LOAD_S = 4
DELAY_MS = 100
DRAIN_S = 10.0
PG = os.environ.get("ERRCODE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def main() -> None:
    wrk = find_wrk()
    if wrk is None:
        print("wrk is not installed and could not be installed; skipping")
        return
    with LocalSlackAPI(response_delay_s=DELAY_MS / 1000) as api, \
            tempfile.TemporaryDirectory() as tmp:
        rows = [_run(wrk, api, "1 replica, SQLite", [f"sqlite:///{tmp}/one.db"])]
        try:
            rows.append(_with_database(lambda url: _run(wrk, api, "2 replicas, PostgreSQL",
                                                        [url, url])))
        except Exception as exc:  # no server to measure: say so, keep the row we have
            print(f"PostgreSQL at {PG.split('@')[-1]} unreachable ({type(exc).__name__}): "
                  "only the SQLite row is measured")
    print(f"one signed /errcode, {CONNECTIONS} connections for {LOAD_S} s, Slack answering "
          f"after {DELAY_MS} ms")
    print("| setup | acks | told busy | ack p99 ms (worst replica) | answers/s | unanswered "
          f"{DRAIN_S:.0f} s after |")
    print("|---|---|---|---|---|---|")
    for name, acks, busy, p99, rate, owed in rows:
        print(f"| {name} | {acks} | {busy} | {p99:.0f} | {rate:.0f} | {owed} |")


def _run(wrk: str, api: LocalSlackAPI, name: str, urls: list[str]):
    tag = uuid.uuid4().hex[:8]
    servers, ports = [], []
    for url in urls:
        port = _free_port()
        env = {**os.environ, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET,
               "SLACK_API_URL": api.base_url, "ERRCODE_STORAGE_URL": url,
               "ERRCODE_LOG_LEVEL": "WARNING", "PORT": str(port)}
        env.pop("SLACK_APP_TOKEN", None)
        servers.append(subprocess.Popen([sys.executable, "-m", "bot", "serve", "--http"],
                                        env=env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL))
        ports.append(port)
    try:
        for port in ports:
            _wait_until_up(port)
            _warm_up(f"http://127.0.0.1:{port}/slack/events", api, f"{tag}-{port}")
        script = Path(tempfile.mkdtemp()) / "load.lua"
        script.write_text(_wrk_script(api.response_url(tag)))
        per = CONNECTIONS // len(ports)
        start = time.time()
        runs = [subprocess.Popen([wrk, "-t1", f"-c{per}", f"-d{LOAD_S}s", "--timeout", "10s",
                                  "-s", str(script), f"http://127.0.0.1:{port}/slack/events"],
                                 stdout=subprocess.PIPE, text=True) for port in ports]
        results = [_parse_wrk(r.communicate()[0]) for r in runs]
        end = time.time()
        acks = sum(r["requests"] for r in results)
        owed = acks - sum(r["busy"] for r in results)
        deadline = end + DRAIN_S
        while time.time() < deadline:
            posted = [c for c in api.calls_to("response_url") if c.params.get("_name") == tag]
            if len(posted) >= owed:
                break
            time.sleep(0.2)
        posted = [c for c in api.calls_to("response_url") if c.params.get("_name") == tag]
        api.clear()
    finally:
        for server in servers:
            _stop(server)
    busy = sum(r["busy"] for r in results) + sum(c.params.get("text") == BUSY for c in posted)
    answers = [c for c in posted if c.params.get("text") != BUSY]
    span = max((max((c.at for c in answers), default=end) - start), 1e-9)
    return (name, acks, busy, max(r["p99"] for r in results) / 1000, len(answers) / span,
            max(0, owed - len(posted)))


def _with_database(run):
    """A fresh PostgreSQL database for the run, dropped afterwards."""
    import psycopg

    name = f"errcode_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        return run(PG.rsplit("/", 1)[0] + f"/{name}")
    finally:
        with psycopg.connect(PG, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
