"""Escalation packets: thread messages, a health report and a person's answers go in,
a redacted `Packet` (Markdown for people, JSON for tools, a mailto draft) comes out.

`thread_facts` finds facts in people's words (version, deployment, steps, logs);
`draft` triages the thread and lists what is still missing; `packet` assembles and
redacts; `flow` is the two-step sequence every surface runs (reusing earlier answers,
running health, storing versions); `render` lays a packet out.
"""
