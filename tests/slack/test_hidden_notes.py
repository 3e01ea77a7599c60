"""The person who pasted secrets is told privately how many were hidden, and of which kinds;
never the values, and never in what the channel sees."""

from __future__ import annotations

import json
from concurrent.futures import Future

import pytest

from bot.answers import Asked, hidden_kinds, hidden_note, replay, triage_answer
from bot.catalog.load import load_catalog
from bot.config import Settings
from bot.core import Core
from bot.slack.posting import Delivery
from bot.slack.private_notes import tell_paster
from bot.slack.replies import reply_for
from bot.store import Store
from tests.fakes.slack_api import LocalSlackAPI

PASSWORD = "Hunter2Secret99"
AWS_KEY = "AKIAQ3EGRZ7X4MPLW2NB"
PASTE = ('{"error":{"code":"internal_error","message":"db auth failed: '
         f'postgres://svc:{PASSWORD}@db/app","request_id":"req_7Hq2Lm9Xv"}}}}\n'
         f"aws_access_key_id = {AWS_KEY}")


@pytest.fixture
def core():
    with Store(":memory:") as store:
        yield Core.load(Settings(), load_catalog(), store)


def test_the_note_counts_by_kind_and_says_what_to_do():
    note = hidden_note({"password": 1, "token": 1})
    assert note == ("I hid 2 secrets from your paste (1 password, 1 token or API key) in my "
                    "answer; consider deleting your message and rotating them.")
    assert hidden_note({}) == ""
    assert hidden_kinds([("token", 3), ("private_key", 1), ("jwt", 2)]) == (
        "3 tokens or API keys, 2 JWTs, 1 private key")
    private = hidden_note([("password", 1)], posted=None)
    assert "not posted" in private and "deleting" not in private


def test_an_answer_in_a_thread_carries_the_note_for_the_paster_alone(core):
    answer = triage_answer(core, Asked(text=PASTE, channel="C1", user="U1", surface="mention"))
    assert dict(answer.hidden) == {"password": 1, "token": 1}
    reply = reply_for(answer, core.catalog)
    assert reply.private_note.startswith("I hid 2 secrets from your paste")
    seen = json.dumps(reply.blocks) + reply.text
    assert "I hid" not in seen  # the channel does not read it
    for secret in (PASSWORD, AWS_KEY):
        assert secret not in seen + reply.private_note


def test_a_slash_answer_says_it_inside_the_private_answer(core):
    answer = triage_answer(core, Asked(text=PASTE, channel="C1", user="U1", surface="slash",
                                       ephemeral=True))
    reply = reply_for(answer, core.catalog)
    assert reply.private_note == ""
    first = reply.blocks[0]
    assert first["type"] == "context" and "I hid 2 secrets" in json.dumps(first)
    assert "your command was not posted" in json.dumps(first)


def test_a_replayed_answer_has_nothing_to_tell(core):
    first = triage_answer(core, Asked(text=PASTE, channel="C1", user="U1", surface="slash",
                                      ephemeral=True))
    shared = replay(core, first.query_id or "", user="U1", channel="C1", shared=True)
    assert shared is not None and shared.hidden == ()
    assert "I hid" not in json.dumps(reply_for(shared, core.catalog).blocks)


def test_answers_without_secrets_carry_no_note(core):
    answer = triage_answer(core, Asked(text="RATE_LIMITED", channel="C1", user="U1"))
    assert answer.hidden == () and reply_for(answer, core.catalog).private_note == ""


def _delivered(ok: bool) -> Delivery:
    done: Future[bool] = Future()
    done.set_result(ok)
    return Delivery(done)


def test_tell_paster_posts_an_ephemeral_note_after_the_answer(core):
    answer = triage_answer(core, Asked(text=PASTE, channel="C1", user="U1", surface="mention"))
    reply = reply_for(answer, core.catalog)
    with LocalSlackAPI() as api:
        tell_paster(api.client(), reply, "C1", "U_AUTHOR", thread_ts="1.2",
                    after=_delivered(True))
        [note] = api.wait_for("chat.postEphemeral")
        assert (note.params["channel"], note.params["user"], note.params["thread_ts"]) == (
            "C1", "U_AUTHOR", "1.2")
        assert note.params["text"] == reply.private_note


def test_no_note_when_the_answer_was_refused(core):
    answer = triage_answer(core, Asked(text=PASTE, channel="C1", user="U1", surface="mention"))
    reply = reply_for(answer, core.catalog)
    with LocalSlackAPI() as api:
        tell_paster(api.client(), reply, "C1", "U1", after=_delivered(False))
        tell_paster(api.client(), reply_for(triage_answer(core, Asked(text="RATE_LIMITED")),
                                            core.catalog), "C1", "U1")
        assert api.calls_to("chat.postEphemeral") == []
