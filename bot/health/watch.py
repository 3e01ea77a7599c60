"""The health watch: one replica checks every target on a schedule and says when a status
changes, with the catalog's explanation.

    watch = HealthWatch(core, post).start()    # post(channel, text), e.g. chat.postMessage
    ...
    watch.stop()                                # gives the lease up for another replica

Slack-free: the caller passes `post`, and the text is plain (the Slack layer escapes it
as it escapes pasted text). Exactly one replica runs the checks: the one holding the
store lease `health-watch` (TTL two intervals, renewed each run, checked again before
posting). Replicas without it poll the lease every quarter interval, so when the holder
dies at most one scheduled run is missed; when it stops cleanly, the next poll takes
over. The last announced status per target lives in the store, so a new holder goes on
from there: no repeated alert, no missed change. A target first seen healthy is recorded
silently; first seen in any other state, it is announced.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot import metrics
from bot.health.report import HealthReport, TargetReport
from bot.store.records import StoreError

if TYPE_CHECKING:
    from bot.core import Core
    from bot.store import Store

__all__ = ["WATCH_LEASE", "HealthWatch", "StatusChange", "change_text"]

log = logging.getLogger("errcode.health.watch")

WATCH_LEASE = "health-watch"
MAX_EXPLAINED = 2  # catalog entries named per change
MEANING_CHARS = 160

Post = Callable[[str, str], object]


@dataclass(frozen=True)
class StatusChange:
    """A target's status, announced: `before` is None the first time it is seen."""

    target: str
    product: str
    before: str | None
    after: str
    text: str


class HealthWatch:
    """Runs the configured checks every interval while holding the watch lease."""

    def __init__(self, core: Core, post: Post, *, interval_s: float | None = None,
                 channel: str | None = None, holder: str | None = None,
                 check: Callable[[], HealthReport] | None = None) -> None:
        configured = core.health.watch
        interval = interval_s or (configured.interval_s if configured else None)
        channel = channel or (configured.channel if configured else None)
        if not interval or not channel:
            raise ValueError("health watch: set health.watch (interval_s, channel)")
        if core.store is None:
            raise ValueError("health watch: needs a Store (its lease and last statuses)")
        self.core = core
        self.store: Store = core.store
        self.post = post
        self.channel = channel
        self.interval_s = float(interval)
        self.ttl_s = 2 * self.interval_s
        self.holder = holder or self.store.holder
        self.holding = False
        self._check = check or (lambda: core.check_health(channel=channel))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------

    def start(self) -> HealthWatch:
        """Run in a daemon thread until stop()."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="errcode-health-watch",
                                        daemon=True)
        self._thread.start()
        log.info("event=health_watch_started holder=%s interval_s=%g channel=%s",
                 self.holder, self.interval_s, self.channel)
        return self

    def stop(self, *, release: bool = True, timeout_s: float = 10.0) -> None:
        """Stop the loop; give the lease up unless release=False (as a crash would not)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None
        if release and self.holding:
            # On failure (logged by the store) the lease simply expires.
            with contextlib.suppress(StoreError):
                self.store.release_lease(WATCH_LEASE, self.holder)
        self.holding = False
        metrics.health_watch_leading(False)

    def _loop(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self.run_once()
            except Exception as err:  # the watch must outlive any one bad run
                log.error("event=health_watch_failed error=%s", type(err).__name__)
            pause = self.interval_s if self.holding else self.interval_s / 4
            self._stop.wait(max(0.0, pause - (time.monotonic() - started)))

    # -- one run ------------------------------------------------------------------

    def run_once(self) -> list[StatusChange]:
        """Take or keep the lease; if held, run the checks and announce what changed."""
        if not self._hold(self.store.acquire_lease):
            return []
        report = self._check()
        # The checks may have outlasted the lease: post only if it is still ours.
        if not self._hold(self.store.renew_lease):
            return []
        try:
            last = self.store.health_statuses()
        except StoreError:
            return []
        return [change for target in report.targets
                if (change := self._announce(target, last.get(target.name))) is not None]

    def _hold(self, take: Callable[..., bool]) -> bool:
        try:
            held = take(WATCH_LEASE, self.holder, self.ttl_s)
        except StoreError:
            held = False  # logged by the store; without it we cannot know who runs
        if held != self.holding:
            log.info("event=health_watch_%s holder=%s", "leading" if held else "standing_by",
                     self.holder)
        self.holding = held
        metrics.health_watch_leading(held)
        return held

    def _announce(self, target: TargetReport, before: str | None) -> StatusChange | None:
        metrics.health_status(target.name, target.status)
        if target.status == before or target.status == "skipped":
            return None
        change = None
        if before is not None or target.status != "healthy":
            text = change_text(target, before, self.core)
            try:
                self.post(self.channel, text)
            except Exception as err:  # not recorded, so the next run announces it again
                log.warning("event=health_watch_post_failed target=%s status=%s error=%s",
                            target.name, target.status, type(err).__name__)
                return None
            change = StatusChange(target.name, target.product, before, target.status, text)
            log.info("event=health_status_changed target=%s before=%s after=%s",
                     target.name, before or "-", target.status)
        # On failure (logged by the store) the next run may announce it once more.
        with contextlib.suppress(StoreError):
            self.store.record_health_status(target.name, target.status)
        return change


def change_text(target: TargetReport, before: str | None, core: Core | None = None) -> str:
    """One plain-text line: what the target is now, what it was, which checks, and what
    the catalog says those failures mean."""
    name = f"{target.name} ({target.product})"
    if target.status == "healthy":
        return f"{name} is healthy again (was {before})." if before else f"{name} is healthy."
    was = f" (was {before})" if before else ""
    parts = [f"{name} is {target.status}{was}: {target.cause or 'see errcode health'}."]
    explained = _explanations(target, core)
    if explained:
        parts.append("Catalog: " + "; ".join(explained) + ".")
    return " ".join(parts)


def _explanations(target: TargetReport, core: Core | None) -> list[str]:
    refs = list(dict.fromkeys(m for c in target.checks if c.status not in ("healthy", "skipped")
                              for m in c.matches))[:MAX_EXPLAINED]
    out = []
    for ref in refs:
        entry = core.catalog.entry(ref.catalog, ref.code) if core is not None else None
        if entry is None:
            out.append(ref.code)
            continue
        meaning = " ".join(entry.meaning.split())
        if len(meaning) > MEANING_CHARS:
            meaning = meaning[:MEANING_CHARS - 1].rstrip() + "…"
        out.append(f"{ref.code} ({entry.title}): {meaning.rstrip('.')}")
    return out
