"""Row ids and tokens (bot.store.tokens): OS randomness drawn in bulk, never repeated, not
even by a forked child."""

from __future__ import annotations

import os
import re

from bot.store.tokens import POOL_BYTES, token_hex, token_urlsafe


def test_tokens_look_like_the_secrets_modules_and_never_repeat() -> None:
    ids = [token_urlsafe(12) for _ in range(POOL_BYTES)]  # several pools' worth
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{16}", i) for i in ids)
    assert re.fullmatch(r"[0-9a-f]{16}", token_hex(8))


def test_a_forked_child_draws_a_pool_of_its_own() -> None:
    token_hex(8)  # the parent's pool is drawn
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: what it draws next
        os.write(write, token_hex(8).encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    childs = os.read(read, 64).decode()
    os.close(read)
    assert childs != token_hex(8)
