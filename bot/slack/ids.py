"""Every name Slack routes by: the command, callback ids and action ids.

Block Kit puts them on buttons and modals, `app.py` registers a listener for each, and
tests/slack/test_manifest.py holds manifest.yml to the same names.
"""

from __future__ import annotations

from bot.answers import Action

COMMAND = "/errcode"

# Message shortcuts and the escalation modal.
SHORTCUT_TRIAGE = "triage_message"
SHORTCUT_ESCALATE = "escalate_thread"
VIEW_ESCALATE = "escalation_form"

# Buttons on an answer.
ACTION_SHARE = "share_in_channel"
ACTION_OTHERS = "show_other_matches"
ACTION_HELPFUL = "feedback_helpful"
ACTION_NOT_HELPFUL = "feedback_not_helpful"
ACTION_HEALTH = "run_health_check"
ACTION_ESCALATE = "escalate"

# Buttons of the escalation prompt and of the note that ends an escalation.
ACTION_COMPLETE = "escalation_complete"
ACTION_AS_IS = "escalation_as_is"
ACTION_EMAIL = "escalation_email_draft"
# The note that ends an escalation started in a direct message: share the packet in the
# escalation channel (it is announced there without any of the DM's text until then).
ACTION_SHARE_PACKET = "escalation_share_packet"

ACTION_IDS: dict[Action, str] = {
    Action.SHARE: ACTION_SHARE,
    Action.OTHERS: ACTION_OTHERS,
    Action.HEALTH: ACTION_HEALTH,
    Action.ESCALATE: ACTION_ESCALATE,
    Action.HELPFUL: ACTION_HELPFUL,
    Action.NOT_HELPFUL: ACTION_NOT_HELPFUL,
}
