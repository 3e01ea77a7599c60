"""What an answer quotes from a paste never repeats a secret the paste carried.

Every surface renders the same `Answer` (Slack as Block Kit, the console as text) and
the CLI prints the same triage, so the paste's message is redacted once, on the way out.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bot.answers import Asked, triage_answer
from bot.catalog.load import load_catalog
from bot.config import Settings
from bot.core import Core
from bot.slack.replies import reply_for
from bot.store import Store
from bot.triage.render import triage_text

SECRET = "Hunter2Secret99"
PASTE = ('{"error":{"code":"internal_error","message":"db auth failed: '
         f'postgres://svc:{SECRET}@db/app","request_id":"req_7Hq2Lm9Xv"}}}}')


@pytest.fixture
def core():
    with Store(":memory:") as store:
        yield Core.load(Settings(), load_catalog(), store)


def test_answer_keeps_the_error_and_drops_the_secret(core):
    answer = triage_answer(core, Asked(text=PASTE, channel="C0CHAN", user="U0USER",
                                       surface="mention"))
    finding = answer.triage.confident[0]
    assert finding.entry.key == "scaivault:internal_error"
    assert finding.mention.message.startswith("db auth failed: postgres://svc:")
    assert finding.mention.request_id == "req_7Hq2Lm9Xv"
    rendered = json.dumps(reply_for(answer, core.catalog).blocks) + triage_text(answer.triage)
    assert "internal_error" in rendered and "req_7Hq2Lm9Xv" in rendered
    assert SECRET not in rendered and SECRET not in answer.triage.query


def test_cli_lookup_prints_no_secret_from_the_paste():
    for extra in ([], ["--json"]):
        out = subprocess.run([sys.executable, "-m", "bot", "lookup", *extra, PASTE],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert "internal_error" in out.stdout and "db auth failed" in out.stdout
        assert SECRET not in out.stdout + out.stderr
