"""The Slack door: Slack payloads in, Block Kit and Web API calls out.

`app` wires one listener per surface (`listeners/`) into a bolt App; each listener
acks, asks `bot.answers` (or `bot.escalation.flow`) what to say, and posts the
Block Kit of `replies`, `health_blocks` or `escalation_blocks`. `http` serves it
over HTTP with waitress, `run` starts it (`errcode serve`). Nothing here holds
matching, parsing or packet logic, and nothing outside imports it but `cli serve`.
"""
