"""bot.compute: answers computed in a real child process read exactly as answers computed
here; a child that dies, hangs or fails on a question never costs that question its
answer, and the pool keeps serving."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.catalog.load import load_catalog
from bot.compute import ComputePool, prepare
from bot.triage.engine import TriageEngine, TriageHints
from tests.slack.test_serve_logging import _serve_env, serve_until_serving

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
SECRET = "hunter2-Very-Secret-Value-9f8e7d"
PASTES = (
    "RATE_LIMITED",
    "HTTP/1.1 429 Too Many Requests\nRetry-After: 30\n"
    '{"error": {"code": "rate_limited", "message": "Too many requests"}}',
    f"login fails with 403 after I set password={SECRET} in the config",
    f'{{"error": "token_revoked", "detail": "postgres://svc:{SECRET}@db:5432/app"}}',
    "scaivault writes return 503 for a minute or two then recover",
    "nothing documented here at all",
)


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(None)


@pytest.fixture
def pool(catalog):
    pool = ComputePool(catalog, (), processes=1, timeout_s=10)
    pool.warm()
    yield pool
    pool.close()


def _child_pid(pool: ComputePool) -> int:
    (child,) = pool._children
    assert child.process.poll() is None  # running
    return child.pid


def test_a_child_answers_as_this_process_would(pool, catalog):
    here = TriageEngine(catalog)
    hints = TriageHints(product="scaivault", now=NOW)  # retry times read the same
    for paste in PASTES:
        there, local = pool.prepare(paste, hints), prepare(here, (), paste, hints)
        assert there.triage.to_dict() == local.triage.to_dict(), paste
        assert (there.safe, there.hidden) == (local.safe, local.hidden)
        assert [f.entry.key for f in there.triage.findings] == [
            f.entry.key for f in local.triage.findings]
    assert pool.prepare("RATE_LIMITED", hints).triage.confident  # a real answer came back


def test_what_comes_back_from_the_child_holds_no_secret(pool):
    got = pool.prepare(PASTES[3], TriageHints())
    shown = json.dumps(got.triage.to_dict()) + repr(got.triage.findings)
    assert SECRET not in shown and SECRET not in got.safe
    assert got.hidden and got.triage.confident


def test_a_killed_child_costs_one_question_its_speed_not_its_answer(pool, caplog):
    first = _child_pid(pool)
    os.kill(first, signal.SIGKILL)
    with caplog.at_level(logging.ERROR, logger="errcode.compute"):
        got = pool.prepare("RATE_LIMITED", TriageHints())
    assert [f.entry.code for f in got.triage.confident][:1] == ["RATE_LIMITED"]
    assert "event=compute_child_failed" in caplog.text
    second = _child_pid(pool)
    assert second != first
    pool.warm()  # the new child answers
    assert pool.prepare("RATE_LIMITED", TriageHints()).triage.confident


def test_a_hung_child_is_replaced_after_the_timeout(catalog, caplog):
    pool = ComputePool(catalog, (), processes=1, timeout_s=0.5)
    try:
        pool.warm()
        hung = _child_pid(pool)
        os.kill(hung, signal.SIGSTOP)
        with caplog.at_level(logging.ERROR, logger="errcode.compute"):
            got = pool.prepare("RATE_LIMITED", TriageHints())
        assert got.triage.confident  # answered here
        assert "error=TimeoutError" in caplog.text
        assert _child_pid(pool) != hung
        with pytest.raises(ProcessLookupError):  # the stopped child was killed and reaped
            os.kill(hung, 0)
    finally:
        pool.close()


def test_a_question_that_fails_in_the_child_raises_here_and_the_child_keeps_serving(pool):
    before = _child_pid(pool)
    with pytest.raises(RuntimeError, match="triage failed in the compute child"):
        pool.prepare(None, TriageHints())  # type: ignore[arg-type]
    assert _child_pid(pool) == before
    assert pool.prepare("RATE_LIMITED", TriageHints()).triage.confident


def test_serve_refuses_a_malformed_process_count_naming_it(tmp_path: Path):
    out = subprocess.run([sys.executable, "-m", "bot", "serve", "--http", "--port", "0"],
                         env=_serve_env(tmp_path, ERRCODE_ANSWER_PROCESSES="two"),
                         cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "ERRCODE_ANSWER_PROCESSES" in out.stderr and "0 or more" in out.stderr


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(k) for k in path.read_text().split()] if path.exists() else []


def _gone(pid: int, within_s: float = 10.0) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        state = Path(f"/proc/{pid}/stat").read_text().split()[2] if Path(
            f"/proc/{pid}/stat").exists() else "X"
        if state in ("Z", "X"):  # exited; its parent (init, here) reaps it
            return True
        time.sleep(0.05)
    return False


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("stop", ["SIGTERM", "SIGKILL"])
def test_serve_starts_its_compute_child_and_never_leaves_it_behind(tmp_path, stop):
    proc, lines = serve_until_serving(tmp_path, ERRCODE_ANSWER_PROCESSES="1")
    try:
        compute = [line for line in lines if line.get("event") == "compute"]
        assert compute and "processes=1" in compute[0]["msg"], lines
        children = _children(proc.pid)
        assert len(children) == 1
        assert b"child_main" in Path(f"/proc/{children[0]}/cmdline").read_bytes()
    finally:
        proc.send_signal(getattr(signal, stop))
        proc.communicate(timeout=30)
    # Stopped, or killed outright: the child sees its stdin close and ends.
    assert _gone(children[0])


def test_children_that_cannot_start_are_given_up_and_answers_come_from_here(
        catalog, monkeypatch, caplog):
    monkeypatch.setenv("PYTHONHOME", "/nonexistent")  # the child's interpreter cannot start
    pool = ComputePool(catalog, (), processes=1, timeout_s=10)
    try:
        with caplog.at_level(logging.ERROR, logger="errcode.compute"):
            answers = [pool.prepare("RATE_LIMITED", TriageHints()) for _ in range(5)]
        assert all(a.triage.confident[0].entry.code == "RATE_LIMITED" for a in answers)
        assert caplog.text.count("event=compute_child_failed") == 3
        assert "event=compute_child_given_up failures=3 children_left=0" in caplog.text
        assert pool._children == []
    finally:
        pool.close()


def test_a_closed_pool_answers_here_and_starts_no_child(catalog):
    pool = ComputePool(catalog, (), processes=1)
    pool.warm()
    pool.close()
    assert pool.prepare("RATE_LIMITED", TriageHints()).triage.confident
    assert pool._children == []
