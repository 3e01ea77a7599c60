"""The yardstick of bench_answers: a minimal bolt app on waitress that acks, then answers.

What a team would write from bolt's README: `/errcode` acked, then one `respond()` to the
response_url. Served like `errcode serve --http` (waitress, same thread count). Run as
`python -m bench.bolt_baseline` with PORT, SLACK_SIGNING_SECRET and SLACK_API_URL set.
"""

from __future__ import annotations

import os

from slack_bolt import Ack, App, Respond
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from waitress import serve

app = App(signing_secret=os.environ["SLACK_SIGNING_SECRET"], token_verification_enabled=False,
          client=WebClient(token="xoxb-baseline", base_url=os.environ["SLACK_API_URL"]))


@app.command("/errcode")
def answer(ack: Ack, command: dict, respond: Respond) -> None:
    ack()
    respond(response_type="ephemeral", text=f"You asked about: {command['text'][:200]}")


if __name__ == "__main__":
    serve(SlackRequestHandler(app), host="127.0.0.1", port=int(os.environ["PORT"]),
          threads=int(os.environ.get("THREADS", "16")), _quiet=True)
