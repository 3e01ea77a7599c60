"""Escalation from Slack: read the thread, ask only what is missing, post the packet.

Triggers: `@errcode escalate` in a thread, the message shortcut "Escalate this thread",
and the Escalate button on an answer (see `listeners/escalation.py`). The packet is
built by `bot.escalation.flow`, as for the CLI and the console; this module only
talks to Slack: the modal, the private prompt, the upload and the announcement.

The lines written here (summary, comments, titles) are redacted once more on their way
out (the packet itself is redacted already). A direct message stays private: its
escalation is announced without any of its text (who, which packet, how many errors)
until the person escalating shares the packet with the button in their closing note
(`share_packet`). Whoever pasted secrets into the thread is told privately how many were
hidden.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import metrics
from bot.answers import hidden_note
from bot.core import Core
from bot.escalation.draft import ThreadMessage
from bot.escalation.flow import EscalationResult, Prepared, finish_escalation, prepare_escalation
from bot.redact import Redactor
from bot.slack.escalation_blocks import (
    PacketShare,
    announcement_blocks,
    dm_notice_blocks,
    dm_notice_text,
    done_view,
    form_view,
    loading_view,
    missing_text,
    private_blocks,
    prompt_blocks,
    shared_packet_text,
)
from bot.slack.posting import api_error_hint
from bot.slack.threads import ThreadRef, read_thread

log = logging.getLogger("errcode.escalate")

DOUBLE_CLICK_S = 30.0
SHARE_ONCE_S = 7 * 24 * 3600.0  # a packet version is shared once (a double click, a retry)


def is_direct_message(channel: str) -> bool:
    """A direct message with the bot (Slack's ids of IM channels start with D)."""
    return channel.startswith("D")


def start(core: Core, client: WebClient, ref: ThreadRef, *, user: str | None,
          trigger_id: str | None, bot_user: str | None) -> None:
    """Read the thread; ask for what is missing (modal, or a prompt with buttons), or finish."""
    metrics.escalation("started")
    view_id = _open_loading(client, trigger_id)
    try:
        messages = read_thread(client, ref, bot_user)
        prepared = prepare_escalation(core, messages, thread_key=ref.key, channel=ref.channel)
        if not prepared.draft.missing:
            finish(core, client, ref, user=user, answers={}, bot_user=bot_user,
                   messages=messages, view_id=view_id, prepared=prepared)
            return
        if view_id:
            client.views_update(view_id=view_id, view=form_view(prepared.draft, ref))
            return
    except Exception as err:  # told to the user and logged, never raised
        _failed(client, ref, user, view_id, err)
        return
    _ephemeral(client, ref, user, "Escalation: the checklist still needs "
               f"{missing_text(prepared.draft)}.", blocks=prompt_blocks(prepared.draft, ref))


def start_in_thread(core: Core, client: WebClient, event: dict, bot_user: str | None) -> bool:
    """`@errcode escalate` inside a thread; False when the mention is not in a thread."""
    thread_ts = event.get("thread_ts")
    if not thread_ts:
        return False
    start(core, client, ThreadRef(event.get("channel", ""), thread_ts),
          user=event.get("user"), trigger_id=None, bot_user=bot_user)
    return True


def finish(core: Core, client: WebClient, ref: ThreadRef, *, user: str | None,
           answers: dict[str, str], bot_user: str | None,
           messages: list[ThreadMessage] | None = None, view_id: str | None = None,
           prepared: Prepared | None = None) -> EscalationResult | None:
    """Build, store and post the packet; one per thread however often it is clicked."""
    store = core.store
    if store is None:
        raise ValueError("escalation needs a Store")
    claim = f"escalate:{ref.key}"
    if not store.claim(claim, ttl_s=DOUBLE_CLICK_S):
        log.info("event=escalation_duplicate thread=%s", ref.key)
        metrics.escalation("duplicate")
        _tell(client, ref, user, view_id, "This thread was just escalated; the packet is in "
              "the thread. Escalate again in a minute to make a new version.")
        return None
    try:
        if messages is None:
            messages = read_thread(client, ref, bot_user)
        permalink = _permalink(client, ref)
        result = finish_escalation(core, messages, thread_key=ref.key,
                                   thread=permalink or ref.key, channel=ref.channel, user=user,
                                   answers=answers, prepared=prepared)
        _upload(client, ref, result, _redactor(core))
    except Exception as err:  # told to the user and logged, never raised
        store.release(claim)
        _failed(client, ref, user, view_id, err)
        return None
    share = _announce(core, client, result, permalink, ref, user)
    if view_id:
        _update(client, view_id, f"Packet {result.record.id} (version {result.record.version})"
                " is in the thread.")
    hidden = _hidden_by_author(core, messages)
    own = hidden.pop(user, {}) if user else {}
    _ephemeral(client, ref, user, result.private_note,
               blocks=private_blocks(result, share=share, own_note=_paster_note(own, result)))
    for author, kinds in hidden.items():
        _ephemeral(client, ref, author, _paster_note(kinds, result))
    log.info("event=escalated thread=%s packet=%s version=%s errors=%d redacted=%d dm=%s",
             ref.key, result.record.id, result.record.version, len(result.packet.errors),
             result.packet.redacted, is_direct_message(ref.channel))
    metrics.escalation("packet")
    return result


def share_packet(core: Core, client: WebClient, value: str, *, user: str | None
                 ) -> str:
    """The Share button of a direct-message escalation: the packet's files go to the
    escalation channel, in the thread of its notice. Returns what to tell the person."""
    channel = core.settings.escalation_channel
    share = PacketShare.parse(value, channel or "")
    store = core.store
    if not channel or share is None or store is None:
        return "This packet can't be shared: no escalation channel is configured."
    record = store.get_packet(share.packet_id, share.version)
    if record is None:
        return f"Packet {share.packet_id} (version {share.version}) is no longer stored."
    if record.author and record.author != user:
        return f"Only <@{record.author}>, who escalated, can share packet {record.id}."
    if not store.claim(f"share:{record.id}:{record.version}", ttl_s=SHARE_ONCE_S):
        return f"Packet {record.id} (version {record.version}) was already shared in <#{channel}>."
    redactor = _redactor(core)
    base = f"{record.id}-v{record.version}"
    try:
        client.files_upload_v2(
            channel=channel, thread_ts=share.notice_ts,
            initial_comment=redactor.redact(shared_packet_text(record.id, record.version,
                                                               record.title, user)),
            file_uploads=[
                {"content": record.markdown, "filename": f"{base}.md",
                 "title": redactor.redact(f"{record.title} (v{record.version})")},
                {"content": record.data_json, "filename": f"{base}.json",
                 "title": f"{base}.json"},
            ])
    except SlackApiError as err:
        store.release(f"share:{record.id}:{record.version}")
        code = str(err.response.get("error", "unknown_error"))
        log.warning("event=packet_share_failed packet=%s channel=%s error=%s", record.id,
                    channel, code)
        return f"Could not share the packet in <#{channel}>. {api_error_hint(code)}"
    log.info("event=packet_shared packet=%s version=%s channel=%s user=%s", record.id,
             record.version, channel, user)
    return f"Packet {record.id} (version {record.version}) is now in <#{channel}>."


def _open_loading(client: WebClient, trigger_id: str | None) -> str | None:
    """Open the modal at once (a trigger expires in 3 s; the thread may be long)."""
    if not trigger_id:
        return None
    try:
        return client.views_open(trigger_id=trigger_id, view=loading_view())["view"]["id"]
    except SlackApiError as err:  # e.g. expired_trigger_id: fall back to a private prompt
        log.warning("event=escalation_modal_failed error=%s", err.response.get("error"))
        return None


def _failed(client: WebClient, ref: ThreadRef, user: str | None, view_id: str | None,
            err: BaseException) -> None:
    """A failed escalation: a clear line in the log, a clear message to the person."""
    metrics.escalation("failed")
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
        client.views_update(view_id=view_id, view=done_view(text))
        return True
    except SlackApiError as err:
        log.warning("event=view_update_failed error=%s", err.response.get("error"))
        return False


def _upload(client: WebClient, ref: ThreadRef, result: EscalationResult,
            redactor: Redactor) -> None:
    """The packet as two files in the thread: Markdown for people, JSON for tools. The
    packet is redacted already (a second pass over its JSON would take `"password": 1`
    for a secret); the lines written here are looked at once more on their way out."""
    rec = result.record
    base = f"{rec.id}-v{rec.version}"
    client.files_upload_v2(
        channel=ref.channel, thread_ts=ref.thread_ts,
        initial_comment=redactor.redact(result.summary),
        file_uploads=[
            {"content": rec.markdown, "filename": f"{base}.md",
             "title": redactor.redact(f"{rec.title} (v{rec.version})")},
            {"content": rec.data_json, "filename": f"{base}.json", "title": f"{base}.json"},
        ])


def _announce(core: Core, client: WebClient, result: EscalationResult,
              permalink: str | None, ref: ThreadRef, user: str | None) -> PacketShare | None:
    """A line in the escalation channel, when one is configured. From a direct message,
    only a notice (who, which packet, how many errors); then the Share offer it returns."""
    channel = core.settings.escalation_channel
    if not channel:
        return None
    private = is_direct_message(ref.channel)
    if private:
        text, blocks = dm_notice_text(result, user), dm_notice_blocks(result, user)
    else:
        summary = _redactor(core).redact(result.summary)
        text, blocks = summary, announcement_blocks(replace(result, summary=summary), permalink)
    try:
        posted = client.chat_postMessage(channel=channel, text=text, unfurl_links=False,
                                         unfurl_media=False, blocks=blocks)
    except SlackApiError as err:
        log.warning("event=escalation_channel_post_failed channel=%s error=%s", channel,
                    err.response.get("error"))
        return PacketShare(result.record.id, result.record.version, channel) if private else None
    if not private:
        return None
    return PacketShare(result.record.id, result.record.version, channel, posted.get("ts"))


def _redactor(core: Core) -> Redactor:
    return Redactor(core.settings.redact_patterns)


def _hidden_by_author(core: Core, messages: list[ThreadMessage]) -> dict[str, dict[str, int]]:
    """Distinct secrets per kind in each person's messages (and their files) of the thread."""
    redactors: dict[str, Redactor] = {}
    for m in messages:
        if not m.user:
            continue
        redactor = redactors.setdefault(m.user, _redactor(core))
        for text in (m.text, *(content for _, content in m.files)):
            redactor.redact(text)
    return {user: r.kinds for user, r in redactors.items() if r.kinds}


def _paster_note(kinds: dict[str, int], result: EscalationResult) -> str:
    return hidden_note(kinds, where=f"in escalation packet {result.record.id}",
                       source="your messages in this thread", posted="those messages")


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
