"""Random ids and tokens for rows (jobs, claims, saved queries), cut from a pool of OS
randomness drawn in bulk.

`secrets.token_*` calls os.urandom each time: a system call during which the thread lets
go of the GIL, and under load getting it back waits up to a switch interval (5 ms) while
the CPU workers compute. One such call per stored question sat inside the shared commit
(bot.store.group), holding up every ack in the batch. The pool is the same OS randomness,
one system call per POOL_BYTES; a forked child draws a pool of its own.
"""

from __future__ import annotations

import base64
import os
import threading

__all__ = ["POOL_BYTES", "token_hex", "token_urlsafe"]

POOL_BYTES = 4096


class _Pool:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._bytes = b""
        self._at = 0
        self._pid = 0

    def take(self, n: int) -> bytes:
        with self._lock:
            if self._pid != os.getpid() or self._at + n > len(self._bytes):
                self._bytes, self._at, self._pid = os.urandom(max(POOL_BYTES, n)), 0, \
                    os.getpid()
            chunk = self._bytes[self._at:self._at + n]
            self._at += n
            return chunk


_POOL = _Pool()


def token_urlsafe(nbytes: int) -> str:
    """As secrets.token_urlsafe: `nbytes` random bytes, URL-safe base64, no padding."""
    return base64.urlsafe_b64encode(_POOL.take(nbytes)).rstrip(b"=").decode("ascii")


def token_hex(nbytes: int) -> str:
    """As secrets.token_hex: `nbytes` random bytes as hex."""
    return _POOL.take(nbytes).hex()
