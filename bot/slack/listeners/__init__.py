"""Slack listeners, one module per surface: small top-level functions, as in bolt's examples.

Each acks first, then queues the real work (`Runtime.later`), which asks `bot.answers`
(the same calls the console makes) and posts the Block Kit of `bot.slack.replies`.
`bot/slack/app.py` registers them; the payload comes in by bolt's argument names.
"""
