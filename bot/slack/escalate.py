"""Escalation from Slack: read the thread, ask only what is missing, build and post the packet.

Triggers: `@errcode escalate` in a thread, the message shortcut "Escalate this thread",
and the Escalate button on an answer. The packet itself is built by `bot.escalation`;
this module only talks to Slack (replies, files, modal, uploads, posts).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core import Core
from bot.escalation.draft import ThreadMessage, plural
from bot.escalation.flow import EscalationResult, Prepared, finish_escalation, prepare_escalation
from bot.slack.blocks import button, context, cut, escape, section
from bot.slack.replies import api_error_hint

log = logging.getLogger("errcode.escalate")

SHORTCUT_ESCALATE = "escalate_thread"
VIEW_ESCALATE = "escalation_form"
ACTION_COMPLETE = "escalation_complete"
ACTION_AS_IS = "escalation_as_is"
ACTION_EMAIL = "escalation_email_draft"
MAX_MESSAGES = 2_000
MAX_FILE_BYTES = 1_000_000
TEXT_FILETYPES = {"text", "txt", "log", "json", "yaml", "yml", "csv", "markdown", "md", "xml",
                  "javascript", "python", "shell", "sql", "diff", "html", "plain"}
MULTILINE = {"steps_to_reproduce", "logs", "error_messages"}
DOUBLE_CLICK_S = 30.0


@dataclass(frozen=True)
class ThreadRef:
    channel: str
    thread_ts: str

    @property
    def key(self) -> str:
        return f"{self.channel}:{self.thread_ts}"

    @classmethod
    def parse(cls, key: str) -> ThreadRef | None:
        channel, _, ts = key.partition(":")
        return cls(channel, ts) if channel and ts else None


# --------------------------------------------------------------------------- reading


def read_thread(client: WebClient, ref: ThreadRef, bot_user: str | None = None
                ) -> list[ThreadMessage]:
    """Every message of the thread (paginated) with its shared text files; not the bot's own."""
    out: list[ThreadMessage] = []
    cursor: str | None = None
    while len(out) < MAX_MESSAGES:
        page = client.conversations_replies(channel=ref.channel, ts=ref.thread_ts, limit=200,
                                            cursor=cursor)
        for m in list(page.get("messages") or []):
            if m.get("bot_id") and (m.get("user") in (None, bot_user)):
                continue  # our own answers would be counted twice
            files = tuple(f for f in (_file_text(client, f) for f in m.get("files") or []) if f)
            out.append(ThreadMessage(ts=str(m.get("ts", "")), user=m.get("user"),
                                     text=m.get("text") or "", files=files))
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            break
    return out


def _file_text(client: WebClient, f: dict) -> tuple[str, str] | None:
    """A shared snippet or text file's content, fetched only from Slack's own file host."""
    name = f.get("name") or f.get("title") or f.get("id") or "file"
    kind = str(f.get("filetype") or "").lower()
    mimetype = str(f.get("mimetype") or "")
    if kind not in TEXT_FILETYPES and not mimetype.startswith("text/"):
        return None
    if int(f.get("size") or 0) > MAX_FILE_BYTES:
        return (name, f"[file of {f.get('size')} bytes not read: over the 1 MB limit]")
    url = f.get("url_private_download") or f.get("url_private")
    if not url or not _slack_host(url, client.base_url):
        return None
    try:
        resp = httpx.get(url, headers={"Authorization": f"Bearer {client.token}"}, timeout=10,
                         follow_redirects=False)
    except httpx.HTTPError as err:
        log.warning("event=file_read_failed file=%s error=%s", f.get("id"), type(err).__name__)
        return None
    if resp.status_code != 200:
        log.warning("event=file_read_failed file=%s status=%s", f.get("id"), resp.status_code)
        return None
    return (name, resp.content[:MAX_FILE_BYTES].decode("utf-8", errors="replace"))


def _slack_host(url: str, api_url: str) -> bool:
    """Files are fetched from Slack over HTTPS (or the configured API host), never elsewhere."""
    parts, api = urlsplit(url), urlsplit(api_url)
    if (parts.scheme, parts.netloc) == (api.scheme, api.netloc):
        return True
    host = parts.hostname or ""
    return parts.scheme == "https" and (host == "slack.com" or host.endswith(".slack.com"))


# --------------------------------------------------------------------------- starting


def start(services: Core, client: WebClient, ref: ThreadRef, *, user: str | None,
          trigger_id: str | None, bot_user: str | None) -> None:
    """Read the thread; ask for what is missing (modal, or a prompt with a button), or finish."""
    view_id = _open_loading(client, trigger_id)
    try:
        messages = read_thread(client, ref, bot_user)
        prepared = prepare_escalation(services, messages, thread_key=ref.key,
                                      channel=ref.channel)
        if not prepared.draft.missing:
            finish(services, client, ref, user=user, answers={}, bot_user=bot_user,
                   messages=messages, view_id=view_id, prepared=prepared)
            return
        if view_id:
            client.views_update(view_id=view_id, view=form_view(prepared, ref))
            return
    except Exception as err:  # told to the user and logged, never raised
        _failed(client, ref, user, view_id, err)
        return
    missing = ", ".join(item.label for item in prepared.draft.missing)
    _ephemeral(client, ref, user, f"Escalation: the checklist still needs {missing}.", blocks=[
        section(f":clipboard: *Escalation of this thread*\n{_found_text(prepared)}\n"
                f"Still needed: {escape(missing)}"),
        {"type": "actions", "block_id": "escalation_prompt", "elements": [
            button("Complete escalation", ACTION_COMPLETE, ref.key, "primary"),
            button("Escalate as is", ACTION_AS_IS, ref.key)]}])


def _open_loading(client: WebClient, trigger_id: str | None) -> str | None:
    """Open the modal at once (a trigger expires in 3 s; the thread may be long)."""
    if not trigger_id:
        return None
    try:
        return client.views_open(trigger_id=trigger_id, view=_loading_view())["view"]["id"]
    except SlackApiError as err:  # e.g. expired_trigger_id: fall back to a private prompt
        log.warning("event=escalation_modal_failed error=%s", err.response.get("error"))
        return None


def finish(services: Core, client: WebClient, ref: ThreadRef, *, user: str | None,
           answers: dict[str, str], bot_user: str | None,
           messages: list[ThreadMessage] | None = None, view_id: str | None = None,
           prepared: Prepared | None = None) -> EscalationResult | None:
    """Build, store and post the packet; one per thread however often it is clicked."""
    store = services.store
    assert store is not None
    claim = f"escalate:{ref.key}"
    if not store.claim(claim, ttl_s=DOUBLE_CLICK_S):
        log.info("event=escalation_duplicate thread=%s", ref.key)
        _tell(client, ref, user, view_id, "This thread was just escalated; the packet is in "
              "the thread. Escalate again in a minute to make a new version.")
        return None
    try:
        if messages is None:
            messages = read_thread(client, ref, bot_user)
        permalink = _permalink(client, ref)
        result = finish_escalation(services, messages, thread_key=ref.key,
                                   thread=permalink or ref.key, channel=ref.channel, user=user,
                                   answers=answers, prepared=prepared)
        _upload(client, ref, result)
    except Exception as err:  # told to the user and logged, never raised
        store.release(claim)
        _failed(client, ref, user, view_id, err)
        return None
    _post_to_escalation_channel(services, client, result, permalink)
    if view_id:
        _update(client, view_id, f"Packet {result.record.id} (version {result.record.version})"
                " is in the thread.")
    _ephemeral(client, ref, user, result.private_note, blocks=_private_blocks(result))
    log.info("event=escalated thread=%s packet=%s version=%s errors=%d redacted=%d", ref.key,
             result.record.id, result.record.version, len(result.packet.errors),
             result.packet.redacted)
    return result


def _failed(client: WebClient, ref: ThreadRef, user: str | None, view_id: str | None,
            err: BaseException) -> None:
    """A failed escalation: a clear line in the log, a clear message to the person."""
    if isinstance(err, SlackApiError):
        code = str(err.response.get("error", "unknown_error"))
        log.warning("event=escalation_failed thread=%s error=%s", ref.key, code)
        why = api_error_hint(code)
    else:
        ref_id = uuid.uuid4().hex[:8]
        log.exception("event=escalation_failed thread=%s ref=%s", ref.key, ref_id)
        why = f"Something went wrong on our side (ref `{ref_id}`); the error was logged."
    _tell(client, ref, user, view_id, f"Could not escalate this thread. {why}")


def _tell(client: WebClient, ref: ThreadRef, user: str | None, view_id: str | None,
          text: str) -> None:
    """In the open modal if there is one, else privately in the thread."""
    if not (view_id and _update(client, view_id, text)):
        _ephemeral(client, ref, user, text)


def _update(client: WebClient, view_id: str, text: str) -> bool:
    try:
        client.views_update(view_id=view_id, view=_done_view(text))
        return True
    except SlackApiError as err:
        log.warning("event=view_update_failed error=%s", err.response.get("error"))
        return False


def _upload(client: WebClient, ref: ThreadRef, result: EscalationResult) -> None:
    rec = result.record
    base = f"{rec.id}-v{rec.version}"
    client.files_upload_v2(
        channel=ref.channel, thread_ts=ref.thread_ts, initial_comment=result.summary,
        file_uploads=[
            {"content": rec.markdown, "filename": f"{base}.md", "title": f"{rec.title} (v"
                                                                        f"{rec.version})"},
            {"content": rec.data_json, "filename": f"{base}.json", "title": f"{base}.json"},
        ])


def _post_to_escalation_channel(services: Core, client: WebClient,
                                result: EscalationResult, permalink: str | None) -> None:
    channel = services.settings.escalation_channel
    if not channel:
        return
    link = f" · <{permalink}|thread>" if permalink else ""
    try:
        client.chat_postMessage(channel=channel, text=result.summary, unfurl_links=False,
                                blocks=[section(f":rotating_light: {escape(result.summary)}"
                                                f"{link}")])
    except SlackApiError as err:
        log.warning("event=escalation_channel_post_failed channel=%s error=%s", channel,
                    err.response.get("error"))


def _permalink(client: WebClient, ref: ThreadRef) -> str | None:
    try:
        return client.chat_getPermalink(channel=ref.channel, message_ts=ref.thread_ts).get(
            "permalink")
    except SlackApiError:
        return None


def _ephemeral(client: WebClient, ref: ThreadRef, user: str | None, text: str,
               blocks: list[dict] | None = None) -> None:
    if not user:
        return
    try:
        client.chat_postEphemeral(channel=ref.channel, user=user, thread_ts=ref.thread_ts,
                                  text=text, blocks=blocks)
    except SlackApiError as err:
        log.warning("event=ephemeral_failed error=%s", err.response.get("error"))


def _private_blocks(result: EscalationResult) -> list[dict]:
    blocks = [section(escape(result.private_note))]
    if result.email:
        blocks.append({"type": "actions", "block_id": "escalation_email", "elements": [
            {**button("Open email draft", ACTION_EMAIL, result.record.id),
             "url": result.email[:3000]}]})
    return blocks


# --------------------------------------------------------------------------- the modal


def _loading_view() -> dict:
    return {"type": "modal", "title": {"type": "plain_text", "text": "Escalate"},
            "blocks": [section(":hourglass_flowing_sand: Reading the thread…")]}


def _done_view(text: str) -> dict:
    return {"type": "modal", "title": {"type": "plain_text", "text": "Escalate"},
            "close": {"type": "plain_text", "text": "Close"}, "blocks": [section(escape(text))]}


def _found_text(prepared: object) -> str:
    draft = prepared.draft  # type: ignore[attr-defined]
    found = [plural(len(draft.errors), "error"), plural(len(draft.request_ids), "request id")]
    found += [f"{key.replace('_', ' ')}: {cut(value, 60)}" for key, value in draft.facts.items()
              if key in ("version", "deployment")]
    return escape("Found in the thread: " + ", ".join(found) + ".")


def form_view(prepared: object, ref: ThreadRef) -> dict:
    """A modal asking only for the checklist items the thread did not answer."""
    draft = prepared.draft  # type: ignore[attr-defined]
    blocks: list[dict] = [section(_found_text(prepared)),
                          context("Everything you enter is redacted of secrets before it is "
                                  "stored or posted. All fields are optional.")]
    for item in draft.missing:
        element = {"type": "plain_text_input", "action_id": "value",
                   "multiline": item.key in MULTILINE}
        blocks.append({"type": "input", "block_id": item.key, "optional": True,
                       "label": {"type": "plain_text", "text": cut(item.label, 2000)},
                       "element": element})
    return {"type": "modal", "callback_id": VIEW_ESCALATE,
            "private_metadata": json.dumps({"channel": ref.channel, "thread_ts": ref.thread_ts}),
            "title": {"type": "plain_text", "text": "Escalate"},
            "submit": {"type": "plain_text", "text": "Build packet"},
            "close": {"type": "plain_text", "text": "Cancel"}, "blocks": blocks[:100]}


def answers_from_view(view: dict) -> dict[str, str]:
    values = (view.get("state") or {}).get("values") or {}
    out = {}
    for block_id, actions in values.items():
        value = (actions.get("value") or {}).get("value")
        if isinstance(value, str) and value.strip():
            out[block_id] = value.strip()
    return out


# --------------------------------------------------------------------------- listeners


def register(reg: object, services: Core, later: Callable) -> None:
    """Listeners for every escalation trigger; `reg` records them for the manifest check.

    Each acks, then hands its work to `later` (the app's work pool, errors logged)."""

    @reg.shortcut(SHORTCUT_ESCALATE)  # type: ignore[attr-defined]
    def on_shortcut(ack: Callable, shortcut: dict, client: WebClient, context: dict) -> None:
        ack()
        message = shortcut.get("message") or {}
        ref = ThreadRef((shortcut.get("channel") or {}).get("id", ""),
                        message.get("thread_ts") or message.get("ts", ""))
        later(lambda: start(services, client, ref, user=(shortcut.get("user") or {}).get("id"),
                            trigger_id=shortcut.get("trigger_id"),
                            bot_user=context.get("bot_user_id")))

    def on_prompt_button(ack: Callable, body: dict, action: dict, client: WebClient,
                         context: dict) -> None:
        """The private prompt's buttons: complete the checklist (modal), or escalate as is."""
        ack()
        ref = ThreadRef.parse(action.get("value", ""))
        if ref is None:
            return
        user, bot_user = (body.get("user") or {}).get("id"), context.get("bot_user_id")
        if action.get("action_id") == ACTION_COMPLETE:
            later(lambda: start(services, client, ref, user=user,
                                trigger_id=body.get("trigger_id"), bot_user=bot_user))
        else:
            later(lambda: finish(services, client, ref, user=user, answers={},
                                 bot_user=bot_user))

    reg.action(ACTION_COMPLETE)(on_prompt_button)  # type: ignore[attr-defined]
    reg.action(ACTION_AS_IS)(on_prompt_button)  # type: ignore[attr-defined]

    @reg.action(ACTION_EMAIL)  # type: ignore[attr-defined]
    def on_email(ack: Callable) -> None:
        ack()  # a link button: Slack opens the URL; the click still needs its ack

    @reg.view(VIEW_ESCALATE)  # type: ignore[attr-defined]
    def on_submit(ack: Callable, body: dict, view: dict, client: WebClient,
                  context: dict) -> None:
        ack(response_action="update", view=_done_view(
            "Building the packet: it will be posted in the thread in a few seconds."))
        try:
            meta = json.loads(view.get("private_metadata") or "{}")
            ref = ThreadRef(str(meta["channel"]), str(meta["thread_ts"]))
        except (ValueError, KeyError, TypeError):
            log.warning("event=escalation_form_unreadable")
            return
        user = (body.get("user") or {}).get("id")
        later(lambda: finish(services, client, ref, user=user, answers=answers_from_view(view),
                             bot_user=context.get("bot_user_id")))


def start_from_event(services: Core, client: WebClient, event: dict,
                     bot_user: str | None) -> bool:
    """`@errcode escalate` inside a thread; False when the mention is not in a thread."""
    thread_ts = event.get("thread_ts")
    if not thread_ts:
        return False
    start(services, client, ThreadRef(event.get("channel", ""), thread_ts),
          user=event.get("user"), trigger_id=None, bot_user=bot_user)
    return True
