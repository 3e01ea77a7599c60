"""An answer's CPU work (triage, then redaction of what it quotes), here or in a child
process that does nothing else.

One Python process computes on one core at a time (the GIL). Under load the server's
acks and its answers took turns on that one core: the acks' tail and the answers per
second both hit it (docs/benchmarks.md, "Answer path under load"). `ComputePool` runs
`prepare` in child processes (new interpreters, never a fork: the server already runs
threads), each holding its own engine built from the parent's catalog. The parent only
pickles the text in and the redacted answer out (~0.2 ms against ~3 ms of work). A child
that dies or hangs costs one question its speed, never its answer: that question is
computed here, and the pool starts again.

The paste crosses a pipe private to the two processes, never a file; what the answer
quotes comes back redacted, as `prepare` leaves it here.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import IO, cast

from bot.catalog.model import Catalog
from bot.redact import Redactor
from bot.triage.engine import Triage, TriageEngine, TriageHints

log = logging.getLogger("errcode.compute")

TIMEOUT_S = 30.0  # a question the child has not answered by then is computed here
MAX_FAILURES = 3  # children failing in a row before the pool answers here for good


@dataclass(frozen=True)
class Prepared:
    """A triaged question, ready to store and show: nothing in it repeats a secret."""

    triage: Triage  # every text it quotes passed through the redactor
    safe: str  # the paste, redacted (what is stored and replayed)
    hidden: tuple[tuple[str, int], ...]  # distinct secrets hidden, per kind


def prepare(engine: TriageEngine, redact_patterns: Sequence[str], text: str,
            hints: TriageHints) -> Prepared:
    """Triage `text`, then redact the paste and every quote with one redactor, so stored
    query and shown answer read the same placeholders."""
    result = engine.triage(text, hints)
    redactor = Redactor(redact_patterns)
    safe = redactor.redact(text)
    return Prepared(result.redacted(redactor.redact, query=safe), safe,
                    tuple(sorted(redactor.kinds.items())))


class ComputePool:
    """`prepare` in `processes` child processes; `prepare` here when they fail.

    Each child is one process behind two pipes; questions are pipelined to it.
    (concurrent.futures' process pool cost the parent ~1 ms of CPU per question in its
    own threads and queues; bare pipes cost ~0.45 ms.)"""

    def __init__(self, catalog: Catalog, redact_patterns: Sequence[str], *,
                 processes: int = 1, timeout_s: float = TIMEOUT_S) -> None:
        self.catalog = catalog
        self.redact_patterns = tuple(redact_patterns)
        self.timeout_s = timeout_s
        self.processes = max(1, processes)
        self._local: TriageEngine | None = None  # built only if a child ever fails
        self._lock = threading.Lock()
        self._failures = 0  # in a row: past MAX_FAILURES the children are given up
        self._closed = False
        self._children = [self._start() for _ in range(self.processes)]

    def _start(self) -> _Child:
        return _Child(self.catalog, self.redact_patterns)

    def warm(self) -> float:
        """Wait until every child can answer: seconds taken. Call before serving, so the
        first questions do not wait for a child to import and index."""
        began = time.perf_counter()
        for child in list(self._children):
            self._ask(child, "")
        return time.perf_counter() - began

    def prepare(self, text: str, hints: TriageHints) -> Prepared:
        if not self._children:  # given up, or closed: answered here
            return prepare(self._engine_here(), self.redact_patterns, text, hints)
        return self._ask(self._pick(), text, hints)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            children, self._children = self._children, []
        for child in children:
            child.stop()

    def _pick(self) -> _Child:
        """The child with the fewest questions waiting."""
        return min(self._children, key=lambda child: child.load)

    def _ask(self, child: _Child, text: str, hints: TriageHints | None = None) -> Prepared:
        hints = hints or TriageHints()
        try:
            answered = child.ask(text, hints, self.timeout_s)
        except (OSError, EOFError, TimeoutError) as err:
            log.error("event=compute_child_failed error=%s action=answered_here",
                      type(err).__name__)
            self._replace(child)
            return prepare(self._engine_here(), self.redact_patterns, text, hints)
        self._failures = 0
        return answered

    def _replace(self, failed: _Child) -> None:
        """A new child in place of `failed` (once, however many callers saw it fail);
        after MAX_FAILURES in a row none: a child that cannot start is not retried on
        every question."""
        failed.stop()
        with self._lock:
            if self._closed or failed not in self._children:
                return
            self._failures += 1
            if self._failures >= MAX_FAILURES:
                self._children.remove(failed)
                log.error("event=compute_child_given_up failures=%d children_left=%d",
                          self._failures, len(self._children))
                return
            try:
                self._children[self._children.index(failed)] = self._start()
            except OSError as err:
                log.error("event=compute_child_not_started error=%s", type(err).__name__)
                self._children.remove(failed)

    def _engine_here(self) -> TriageEngine:
        with self._lock:
            if self._local is None:
                self._local = TriageEngine(self.catalog)
            return self._local


class _Child:
    """One child process and the parent's ends of its pipes (its stdin and stdout).

    A plain `python -c` child, not multiprocessing's: no resource-tracker process beside
    it (~10 MB), no re-run of the parent's `__main__`, and only triage and redaction
    imported."""

    def __init__(self, catalog: Catalog, redact_patterns: tuple[str, ...]) -> None:
        # This very package, wherever it was imported from (a checkout run from another
        # folder too); appended, so it never shadows anything on the usual path.
        package_root = str(Path(__file__).resolve().parents[1])
        code = (f"import sys; sys.path.append({package_root!r}); "
                "from bot.compute import child_main; child_main()")
        self.process = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, close_fds=True)
        pipes = cast("tuple[IO[bytes], IO[bytes]]", (self.process.stdin, self.process.stdout))
        self._send = Connection(os.dup(pipes[0].fileno()), readable=False)
        self._receive = Connection(os.dup(pipes[1].fileno()), writable=False)
        for pipe in pipes:
            pipe.close()
        # Questions are pipelined: the child answers in order, a reader thread hands each
        # answer to its asker, so the child never idles while an asker waits for the GIL.
        self._lock = threading.Lock()  # sends, and the order of `_waiting`
        self._waiting: collections.deque[Future[Prepared]] = collections.deque()
        with contextlib.suppress(OSError):  # a child that died at start: its reader
            self._send.send((catalog, redact_patterns))  # sees the end, the first ask fails
        self._reader = threading.Thread(target=self._read, name="errcode-compute-reader",
                                        daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def load(self) -> int:
        """Questions sent and not yet answered."""
        return len(self._waiting)

    def ask(self, text: str, hints: TriageHints, timeout_s: float) -> Prepared:
        future: Future[Prepared] = Future()
        with self._lock:
            if not self._reader.is_alive():
                raise EOFError("the compute child has stopped")
            self._waiting.append(future)
            self._send.send((text, hints))
        try:
            return future.result(timeout_s)
        except FutureTimeout as err:
            raise TimeoutError(f"no answer in {timeout_s:.0f} s") from err

    def _read(self) -> None:
        """Answers, in the order asked, to their askers; on EOF every asker left is told."""
        try:
            while True:
                ok, value = self._receive.recv()
                future = self._waiting.popleft()
                if ok:
                    future.set_result(value)
                else:  # the child's own error (a bug in triage), raised where it was asked
                    future.set_exception(value)
        except (EOFError, OSError, IndexError):
            pass
        with self._lock:
            while self._waiting:
                self._waiting.popleft().set_exception(EOFError("the compute child stopped"))

    def stop(self) -> None:
        """Kill the child (a hung one would otherwise outlive its pool); the reader then
        sees the end of its pipe and tells whoever still waits."""
        if self.process.poll() is None:
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(1)
        if threading.current_thread() is not self._reader:
            self._reader.join(1)
        for conn in (self._send, self._receive):
            with contextlib.suppress(OSError):
                conn.close()


# ------------------------------------------------------------------- in the child


def child_main() -> None:
    """The child: the catalog first, then questions, from stdin; answers to stdout.
    Ends when the parent closes its end (or dies)."""
    receive = Connection(os.dup(0), writable=False)
    send = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)  # a stray print must never corrupt the answers' stream
    try:
        catalog, redact_patterns = receive.recv()
    except (EOFError, OSError, KeyboardInterrupt):
        return
    engine = TriageEngine(catalog).ready()
    while True:
        try:
            text, hints = receive.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        try:
            reply: tuple[bool, object] = (True, prepare(engine, redact_patterns, text, hints))
        except Exception as err:  # sent back: the parent raises it where it asked
            reply = (False, RuntimeError(f"triage failed in the compute child: {err!r}"))
        try:
            send.send(reply)
        except (OSError, ValueError):
            return
