"""The local Slack Web API stand-in, driven by the real slack_sdk and slack_bolt clients.

Also pins the inbound payload builders and request signing: a real bolt App verifies the
signatures and routes each payload to the listener Slack's own payload would reach.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from slack_bolt import App
from slack_bolt.request import BoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient

from tests.fakes import slack_payloads as payloads
from tests.fakes.slack_api import BOT_TOKEN, LocalSlackAPI

SECRET = "local-signing-secret"
THREAD = ("C0CHAN", "1714470000.000100")


@pytest.fixture
def api() -> Iterator[LocalSlackAPI]:
    with LocalSlackAPI() as server:
        yield server


# --------------------------------------------------------------------------- Web API basics


def test_base_url_is_what_webclient_appends_method_names_to(api: LocalSlackAPI) -> None:
    assert api.base_url.startswith("http://127.0.0.1:")
    assert api.base_url.endswith("/api/")
    assert api.client().auth_test()["user_id"] == "U0BOT"


def test_post_message_is_recorded_and_answered_like_slack(api: LocalSlackAPI) -> None:
    client = api.client()
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*E1042*"}}]
    first = client.chat_postMessage(channel="C0CHAN", text="triage", blocks=blocks)
    second = client.chat_postMessage(channel="C0CHAN", text="again", thread_ts=first["ts"])

    assert first["ok"] and first["channel"] == "C0CHAN"
    assert first["ts"] == "1714478400.000100"
    assert float(second["ts"]) > float(first["ts"])
    assert first["message"]["bot_id"] == "B0BOT" and first["message"]["blocks"] == blocks
    calls = api.calls_to("chat.postMessage")
    assert [c.params["text"] for c in calls] == ["triage", "again"]
    assert calls[0].params["blocks"] == blocks
    assert calls[1].params["thread_ts"] == first["ts"]
    assert calls[0].headers["authorization"] == f"Bearer {BOT_TOKEN}"


def test_query_form_and_json_arguments_are_merged_into_params(api: LocalSlackAPI) -> None:
    form = httpx.post(f"{api.base_url}chat.postMessage?channel=C1",
                      data={"text": "hi", "blocks": "[]", "token": "xoxb-t"})
    as_json = httpx.post(f"{api.base_url}chat.postMessage", json={"channel": "C2", "text": "yo"},
                         headers={"Authorization": "Bearer xoxb-t"})
    assert form.json()["ok"] and as_json.json()["ok"]
    form_call, json_call = api.calls_to("chat.postMessage")
    assert form_call.params == {"channel": "C1", "text": "hi", "blocks": "[]", "token": "xoxb-t"}
    assert form_call.param_json("blocks") == []
    assert json_call.params == {"channel": "C2", "text": "yo"}
    assert json.loads(json_call.body) == {"channel": "C2", "text": "yo"}


def test_call_without_token_answers_not_authed(api: LocalSlackAPI) -> None:
    with pytest.raises(SlackApiError) as err:
        api.client(token=None).chat_postMessage(channel="C0CHAN", text="hi")
    assert err.value.response["error"] == "not_authed"
    assert api.calls_to("chat.postMessage")  # recorded all the same


def test_call_with_a_non_slack_token_answers_invalid_auth(api: LocalSlackAPI) -> None:
    with pytest.raises(SlackApiError) as err:
        api.client(token="not-a-token").auth_test()
    assert err.value.response["error"] == "invalid_auth"


@pytest.mark.parametrize("method", ["chat.teleport", "chat.update", "users.info"])
def test_methods_the_bot_never_calls_answer_unknown_method_with_http_200(
    api: LocalSlackAPI, method: str
) -> None:
    reply = httpx.post(f"{api.base_url}{method}", data={"channel": "C1", "token": "xoxb-t"})
    assert reply.status_code == 200
    assert reply.json() == {"ok": False, "error": "unknown_method"}
    assert api.calls_to(method)[0].params == {"channel": "C1", "token": "xoxb-t"}


def test_views_open_echoes_the_view_with_a_view_id(api: LocalSlackAPI) -> None:
    view = {"type": "modal", "callback_id": "escalate", "title": {"type": "plain_text",
            "text": "Escalate"}, "blocks": []}
    opened = api.client().views_open(trigger_id="123.456.abc", view=view)
    assert opened["view"]["id"].startswith("V")
    assert opened["view"]["callback_id"] == "escalate"
    updated = api.client().views_update(view_id=opened["view"]["id"], view=view)
    assert updated["view"]["id"] == opened["view"]["id"]


def test_get_permalink_points_into_the_archive(api: LocalSlackAPI) -> None:
    link = api.client().chat_getPermalink(channel="C0CHAN", message_ts="1714478400.000100")
    assert link["permalink"] == "https://example.slack.com/archives/C0CHAN/p1714478400000100"


# --------------------------------------------------------------------------- threads


def test_replies_paginate_with_limit_and_next_cursor(api: LocalSlackAPI) -> None:
    api.add_thread(*THREAD, [{"user": "U1", "text": f"m{i}"} for i in range(5)])
    replies = api.client().conversations_replies(channel=THREAD[0], ts=THREAD[1], limit=2)
    pages = [dict(page.data) for page in replies]  # slack_sdk reuses one response object

    assert [[m["text"] for m in page["messages"]] for page in pages] == [
        ["m0", "m1"], ["m2", "m3"], ["m4"]]
    assert [page["has_more"] for page in pages] == [True, True, False]
    assert pages[-1]["response_metadata"]["next_cursor"] == ""
    assert pages[0]["messages"][0]["ts"] == THREAD[1]
    assert api.calls_to("conversations.replies")[1].params["cursor"]


def test_replies_to_an_unknown_thread_answer_thread_not_found(api: LocalSlackAPI) -> None:
    with pytest.raises(SlackApiError) as err:
        api.client().conversations_replies(channel="C0CHAN", ts="1.000001")
    assert err.value.response["error"] == "thread_not_found"


def test_bot_replies_in_a_registered_thread_show_up_in_replies(api: LocalSlackAPI) -> None:
    api.add_thread(*THREAD, [{"user": "U1", "text": "E1042 again"}])
    api.client().chat_postMessage(channel=THREAD[0], thread_ts=THREAD[1], text="looked it up")
    replies = api.client().conversations_replies(channel=THREAD[0], ts=THREAD[1])
    assert [m["text"] for m in replies["messages"]] == ["E1042 again", "looked it up"]


# --------------------------------------------------------------------------- files


def test_files_upload_v2_round_trip_keeps_content_and_completion(api: LocalSlackAPI) -> None:
    client = api.client()
    done = client.files_upload_v2(content=b"# Packet\nE1042", filename="packet.md",
                                  title="Escalation packet", channel="C0CHAN",
                                  thread_ts=THREAD[1], initial_comment="Packet attached")

    [upload] = api.uploaded_files()
    assert done["file"]["id"] == upload.file_id == api.calls_to("upload")[0].params["file_id"]
    assert upload.content == b"# Packet\nE1042"
    assert (upload.filename, upload.title) == ("packet.md", "Escalation packet")
    assert (upload.channel_id, upload.thread_ts) == ("C0CHAN", THREAD[1])
    assert upload.initial_comment == "Packet attached"
    assert api.uploads[upload.file_id] is upload
    fetched = httpx.get(done["file"]["url_private"],
                        headers={"Authorization": f"Bearer {BOT_TOKEN}"})
    assert fetched.content == b"# Packet\nE1042"


def test_complete_upload_for_a_file_never_uploaded_answers_file_not_found(
    api: LocalSlackAPI,
) -> None:
    client = api.client()
    url = client.files_getUploadURLExternal(filename="a.txt", length=3)
    with pytest.raises(SlackApiError) as err:
        client.files_completeUploadExternal(files=[{"id": url["file_id"]}])
    assert err.value.response["error"] == "file_not_found"
    assert api.uploaded_files() == []


def test_registered_file_is_served_to_the_bot_token_only(api: LocalSlackAPI) -> None:
    api.add_file("F0LOG", "trace.log", b"ERR E1042 at 12:00")
    url = api.file_url("F0LOG")
    assert url.startswith(api.url + "files/F0LOG")

    authed = httpx.get(url, headers={"Authorization": "Bearer xoxb-1"})
    anonymous = httpx.get(url)
    assert authed.content == b"ERR E1042 at 12:00"
    assert anonymous.headers["content-type"].startswith("text/html")  # Slack's sign-in page
    assert b"E1042" not in anonymous.content


# --------------------------------------------------------------------------- faults


def test_fail_next_surfaces_as_slack_api_error_then_recovers(api: LocalSlackAPI) -> None:
    api.fail_next("chat.postMessage", error="not_in_channel")
    client = api.client()
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C0CHAN", text="hi")
    assert err.value.response["error"] == "not_in_channel"
    assert client.chat_postMessage(channel="C0CHAN", text="hi")["ok"]


def test_rate_limit_next_answers_429_with_retry_after(api: LocalSlackAPI) -> None:
    api.rate_limit_next("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as err:
        api.client().chat_postMessage(channel="C0CHAN", text="hi")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "7"
    assert err.value.response["error"] == "ratelimited"


def test_retry_handler_waits_out_rate_limit_then_succeeds(api: LocalSlackAPI) -> None:
    api.rate_limit_next("chat.postMessage", retry_after=1)
    client = api.client(retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)])
    started = time.monotonic()
    reply = client.chat_postMessage(channel="C0CHAN", text="hi")
    assert reply["ok"]
    assert time.monotonic() - started >= 1.0
    assert len(api.calls_to("chat.postMessage")) == 2


def test_response_url_posts_are_recorded_under_their_name(api: LocalSlackAPI) -> None:
    hook = WebhookClient(api.response_url("cmd1"))
    reply = hook.send(text="E1042: retry in 30s", response_type="ephemeral")
    assert reply.status_code == 200
    [call] = api.calls_to("response_url")
    assert call.params == {"text": "E1042: retry in 30s", "response_type": "ephemeral",
                           "_name": "cmd1"}

    api.fail_next("response_url", error="expired_url")
    assert hook.send(text="late").status_code == 404


def test_wait_for_blocks_until_calls_arrive_from_another_thread(api: LocalSlackAPI) -> None:
    client = api.client()
    timer = threading.Timer(0.2, lambda: client.chat_postMessage(channel="C1", text="later"))
    timer.start()
    [call] = api.wait_for("chat.postMessage", timeout=5)
    assert call.params["text"] == "later"


def test_wait_for_times_out_naming_the_calls_that_did_arrive(api: LocalSlackAPI) -> None:
    api.client().auth_test()
    with pytest.raises(AssertionError, match=r"chat\.postMessage.*auth\.test"):
        api.wait_for("chat.postMessage", timeout=0.2)
    api.clear()
    assert api.calls == []


# --------------------------------------------------------------------------- signing


def test_sign_matches_slacks_documented_example() -> None:
    body = ("token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow"
            "&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner"
            "&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2F"
            "commands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
            "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c")
    headers = payloads.sign("8f742231b10e8888abcd99yyyzzz85a5", body, 1531420618)
    assert headers == {
        "X-Slack-Request-Timestamp": "1531420618",
        "X-Slack-Signature": "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
    }


def test_signed_headers_pass_slack_sdk_verifier_and_tampering_fails() -> None:
    req = payloads.slash_command("E1042", response_url="http://127.0.0.1:1/response/r1")
    headers = payloads.signed_headers(SECRET, req, retry_num=1, retry_reason="http_timeout")
    verifier = SignatureVerifier(SECRET)
    assert verifier.is_valid_request(req.body, headers)
    assert verifier.is_valid_request(req.body.encode(), headers)
    assert not verifier.is_valid_request(req.body.replace("E1042", "E1043"), headers)
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert (headers["X-Slack-Retry-Num"], headers["X-Slack-Retry-Reason"]) == ("1", "http_timeout")
    stale = payloads.signed_headers(SECRET, req, timestamp=int(time.time()) - 600)
    assert not verifier.is_valid_request(req.body, stale)


# --------------------------------------------------------------------------- payloads via bolt


@pytest.fixture
def app(api: LocalSlackAPI) -> App:
    return App(signing_secret=SECRET, client=api.client())


def _dispatch(app: App, req: payloads.SlackRequest, **header_args: object) -> int:
    headers = payloads.signed_headers(SECRET, req, **header_args)  # type: ignore[arg-type]
    return app.dispatch(BoltRequest(body=req.body, headers=headers)).status


def test_slash_command_reaches_the_command_listener_and_respond(
    app: App, api: LocalSlackAPI
) -> None:
    @app.command("/errcode")
    def on_command(ack, command, respond) -> None:
        ack()
        respond(f"{command['text']} from {command['user_id']} in {command['channel_id']}")

    req = payloads.slash_command("E1042", response_url=api.response_url("cmd"))
    assert _dispatch(app, req) == 200
    [call] = api.wait_for("response_url")
    assert call.params["text"] == "E1042 from U0USER in C0CHAN"
    assert call.params["_name"] == "cmd"


def test_app_mention_reaches_the_listener_and_say_posts_in_thread(
    app: App, api: LocalSlackAPI
) -> None:
    @app.event("app_mention")
    def on_mention(event, say) -> None:
        say(text=f"seen: {event['text']}", thread_ts=event.get("thread_ts") or event["ts"])

    event = payloads.app_mention_event("E1042 please", thread_ts=THREAD[1])
    assert _dispatch(app, payloads.event_callback(event)) == 200
    [call] = api.wait_for("chat.postMessage")
    assert call.params["text"] == "seen: <@U0BOT> E1042 please"
    assert (call.params["channel"], call.params["thread_ts"]) == THREAD


def test_direct_message_reaches_message_listener_but_own_messages_do_not(
    app: App, api: LocalSlackAPI
) -> None:
    seen: list[str] = []

    @app.event("message")
    def on_message(event, say) -> None:
        seen.append(event["text"])
        say("ok")

    assert _dispatch(app, payloads.event_callback(payloads.bot_message_event("mine"))) == 200
    assert _dispatch(app, payloads.event_callback(payloads.message_im_event("E1042"))) == 200
    [call] = api.wait_for("chat.postMessage")
    assert call.params["channel"] == "D0DM"
    assert seen == ["E1042"]


def test_message_shortcut_button_and_modal_reach_their_listeners(
    app: App, api: LocalSlackAPI
) -> None:
    @app.shortcut("triage_message")
    def on_shortcut(ack, shortcut, respond) -> None:
        ack()
        respond(f"shortcut on {shortcut['message']['text']}")

    @app.action("escalate")
    def on_button(ack, body, action, respond) -> None:
        ack()
        respond(f"{action['value']} in thread {body['container']['thread_ts']}")

    @app.view("escalation_form")
    def on_submit(ack, view) -> None:
        ack()
        values = view["state"]["values"]
        api.client().chat_postMessage(channel="C0CHAN", text=values["summary"]["input"]["value"])

    shortcut = payloads.message_action({"text": "E1042", "user": "U1"},
                                       callback_id="triage_message",
                                       response_url=api.response_url("s"))
    button = payloads.block_actions("escalate", "E1042", thread_ts=THREAD[1],
                                    response_url=api.response_url("b"))
    modal = payloads.view_submission("escalation_form", {"summary": {"input": "db down"}},
                                     private_metadata=json.dumps({"thread": THREAD[1]}))
    assert [_dispatch(app, r) for r in (shortcut, button, modal)] == [200, 200, 200]

    calls = {c.params["_name"]: c.params["text"] for c in api.wait_for("response_url", 2)}
    assert calls == {"s": "shortcut on E1042", "b": f"E1042 in thread {THREAD[1]}"}
    assert api.wait_for("chat.postMessage")[0].params["text"] == "db down"


def test_url_verification_is_answered_with_the_challenge(app: App) -> None:
    req = payloads.url_verification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmd")
    headers = payloads.signed_headers(SECRET, req)
    response = app.dispatch(BoltRequest(body=req.body, headers=headers))
    assert response.status == 200
    assert json.loads(response.body) == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmd"}


def test_badly_signed_request_is_rejected_by_bolt(app: App) -> None:
    req = payloads.slash_command("E1042", response_url="http://127.0.0.1:1/response/r1")
    headers = payloads.signed_headers("wrong-secret", req)
    assert app.dispatch(BoltRequest(body=req.body, headers=headers)).status == 401
