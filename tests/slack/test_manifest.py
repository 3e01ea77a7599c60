"""manifest.yml is a valid Slack manifest and declares exactly what the app registers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from bot.catalog.load import load_catalog
from bot.config import Settings, SlackSettings
from bot.core import Core
from bot.slack.app import build_app, registered_listeners, required_scopes
from bot.store import Store

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT.parent / "shared" / "slack" / "manifest.schema.1.0.0.json"
MANIFEST = yaml.safe_load((ROOT / "manifest.yml").read_text())


@pytest.fixture(scope="module")
def registered():
    settings = Settings(slack=SlackSettings(bot_token="xoxb-x", signing_secret="s"))
    with Store(":memory:") as store:
        app = build_app(Core(settings, load_catalog(), store))
        yield registered_listeners(app)


def test_manifest_is_valid_against_slacks_schema():
    if not SCHEMA.is_file():
        pytest.skip(f"Slack's manifest schema is not at {SCHEMA}")
    jsonschema = pytest.importorskip("jsonschema")
    errors = sorted(jsonschema.Draft7Validator(json.loads(SCHEMA.read_text())).iter_errors(
        MANIFEST), key=str)
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]


def test_commands_match_both_ways(registered):
    declared = {c["command"] for c in MANIFEST["features"]["slash_commands"]}
    assert declared == registered["commands"]


def test_message_shortcuts_match_both_ways(registered):
    declared = {s["callback_id"] for s in MANIFEST["features"]["shortcuts"]
                if s["type"] == "message"}
    assert declared == registered["message_shortcuts"]


def test_bot_events_match_both_ways(registered):
    assert set(MANIFEST["settings"]["event_subscriptions"]["bot_events"]) == registered[
        "bot_events"]


def test_interactivity_is_on_for_buttons_and_shortcuts(registered):
    assert registered["actions"]
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True


def test_scopes_are_exactly_what_the_code_needs(registered):
    assert set(MANIFEST["oauth_config"]["scopes"]["bot"]) == required_scopes(registered)


def test_socket_mode_is_on():
    assert MANIFEST["settings"]["socket_mode_enabled"] is True
