"""Where listeners send their work once they have acked.

Answers are CPU work under one GIL: a few threads keep up, and fewer threads
competing for the GIL keep acks quick. Health checks and escalations mostly wait on
the network, so they get their own, larger pool and never hold up answers.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from slack_sdk.errors import SlackApiError

log = logging.getLogger("errcode.slack")

QUICK_THREADS = 2


class Workers:
    """Two pools: `quick` for answers, `slow` for work that waits on the network."""

    def __init__(self, slow_threads: int) -> None:
        self.quick = ThreadPoolExecutor(max_workers=min(QUICK_THREADS, slow_threads),
                                        thread_name_prefix="errcode-answer")
        self.slow = ThreadPoolExecutor(max_workers=slow_threads,
                                       thread_name_prefix="errcode-slow")

    def later(self, job: Callable[[], object], *, slow: bool = False) -> None:
        """Run `job` after the ack; a failure is logged with a reference, never raised."""
        (self.slow if slow else self.quick).submit(_guard, job)


def _guard(work: Callable[[], object]) -> object:
    try:
        return work()
    except SlackApiError as err:
        log.warning("event=slack_api_error error=%s", err.response.get("error"))
    except Exception:
        log.exception("event=listener_failed ref=%s", uuid.uuid4().hex[:8])
    return None
