"""Settings from errcode.yml and the environment: precedence, named mistakes, no leaks."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import pytest

from bot.config import load_settings
from bot.errors import ConfigError
from bot.validation import Secret


def write(tmp_path, text: str):
    path = tmp_path / "errcode.yml"
    path.write_text(text)
    return path


def test_environment_overrides_the_file(tmp_path):
    cfg = write(tmp_path, "storage_path: ./from-file.sqlite3\n")
    settings = load_settings(cfg, env={"ERRCODE_STORAGE_PATH": "/tmp/from-env.sqlite3"})
    assert str(settings.storage_path) == "/tmp/from-env.sqlite3"
    assert load_settings(cfg, env={}).storage_path == tmp_path / "from-file.sqlite3"


def test_channel_default_product(tmp_path):
    cfg = write(tmp_path, "default_product: mazevault\n"
                          "channels:\n  C0ABC123: {product: scaivault}\n")
    settings = load_settings(cfg, env={})
    assert settings.product_for_channel("C0ABC123") == "scaivault"
    assert settings.product_for_channel("C0OTHER99") == "mazevault"


@pytest.mark.parametrize(("text", "key"), [
    ("bogus: 1\n", "bogus"),
    ("slack: {nope: 1}\n", "slack.nope"),
    ("slack: {listener_threads: 999}\n", "slack.listener_threads"),
    ("channels: {general: mazevault}\n", "channels.general"),
    ("redact_patterns: ['(unclosed']\n", "redact_patterns[0]"),
    ("log_level: loud\n", "log_level"),
    ("escalation: {channel: 5, other: 1}\n", "escalation.other"),
    ("catalog_dir: ./no-such-dir\n", "catalog_dir"),
    ("[not, a, mapping]\n", "(file)"),
    ("a: [unclosed\n", "(file)"),
])
def test_mistakes_are_named_by_key(tmp_path, text, key):
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, text), env={})
    assert info.value.key == key
    assert str(info.value).startswith(str(tmp_path / "errcode.yml"))


def test_slack_secrets_come_from_the_environment_and_stay_out_of_repr(tmp_path):
    env = {"SLACK_BOT_TOKEN": "xoxb-1111-secret", "SLACK_SIGNING_SECRET": "sig-secret-value",
           "SLACK_APP_TOKEN": "xapp-1-secret", "SLACK_API_URL": "http://127.0.0.1:9/api"}
    settings = load_settings(write(tmp_path, ""), env=env)
    assert settings.slack.bot_token == "xoxb-1111-secret"
    assert settings.slack.api_url == "http://127.0.0.1:9/api/"
    text = repr(settings)
    for secret in env.values():
        if "secret" in secret:
            assert secret not in text


def test_missing_explicit_config_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.yml", env={})


def test_slack_tokens_are_secrets_that_never_print(tmp_path):
    env = {"SLACK_BOT_TOKEN": "xoxb-2222-hidden", "SLACK_APP_TOKEN": "xapp-1-hidden"}
    slack = load_settings(write(tmp_path, ""), env=env).slack
    secret = slack.secret("bot_token")
    assert isinstance(secret, Secret) and secret.reveal() == "xoxb-2222-hidden"
    assert "hidden" not in repr(secret) + str(secret) + repr(slack) + f"{slack}"
    assert slack.app_token == "xapp-1-hidden"  # what slack_sdk is given
    assert slack.secret("signing_secret") is None and slack.signing_secret is None


@pytest.mark.parametrize(("text", "key", "message"), [
    ("storage_pth: x.db\n", "storage_pth", "unknown key, did you mean 'storage_path'?"),
    ("health: {targets: [{name: prod, prodct: mazevault}]}\n", "health.targets[0].prodct",
     "unknown key, did you mean 'product'?"),
    ("health: {targets: [{name: 'prod east', product: m, base_url: 'https://x'}]}\n",
     "health.targets[0].name", "must be a name of letters, digits, _ . - (got 'prod east')"),
    ("slack: {listener_threads: many}\n", "slack.listener_threads",
     "must be a whole number from 1 to 256 (got 'many')"),
    ("channels: {C0ABC123: {product: ''}}\n", "channels.C0ABC123.product",
     "must not be empty"),
])
def test_messages_say_what_the_value_must_be(tmp_path, text, key, message):
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, text), env={})
    expected = f"{tmp_path / 'errcode.yml'}: {key}: {message}"
    if message.startswith("unknown key"):  # then the known keys follow
        assert str(info.value).startswith(expected + " (known: ")
    else:
        assert str(info.value) == expected


def test_environment_mistakes_name_the_variable(tmp_path):
    cfg = write(tmp_path, "")
    with pytest.raises(ConfigError) as info:
        load_settings(cfg, env={"ERRCODE_LOG_LEVEL": "loud"})
    assert info.value.key == "ERRCODE_LOG_LEVEL"
    with pytest.raises(ConfigError) as info:
        load_settings(cfg, env={"SLACK_API_URL": "slack.local"})
    assert (info.value.key, info.value.detail) == (
        "SLACK_API_URL", "must be an http(s) URL (got 'slack.local')")


ENV = {"ERRCODE_CATALOG_DIR": "", "ERRCODE_STORAGE_PATH": " /tmp/state.sqlite3 ",
       "ERRCODE_LOG_LEVEL": "warning", "SLACK_BOT_TOKEN": " xoxb-1-2-abc ",
       "SLACK_SIGNING_SECRET": "   ", "SLACK_API_URL": "http://127.0.0.1:9/api"}


def test_no_file_reads_like_an_empty_file(tmp_path, monkeypatch):
    """Without errcode.yml nothing is shape-checked, yet the settings are the same."""
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")  # no ./errcode.yml
    empty = write(tmp_path, "")
    for env in ({}, ENV):
        without = load_settings(env=env)
        with_file = load_settings(empty, env=env)
        assert without == replace(with_file, source=None)
    settings = load_settings(env=ENV)
    assert str(settings.storage_path) == "/tmp/state.sqlite3"  # stripped
    assert settings.slack.secret("bot_token") == Secret("xoxb-1-2-abc")
    assert settings.slack.signing_secret is None  # blank means unset
    assert settings.slack.api_url == "http://127.0.0.1:9/api/"
    assert settings.log_level == "WARNING" and settings.slack.listener_threads == 16


def test_no_file_and_no_slack_secret_need_neither_yaml_nor_msgspec(tmp_path):
    code = ("import sys; from bot.config import load_settings; s = load_settings(); "
            "print(s.log_level, 'yaml' in sys.modules, 'msgspec' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=tmp_path, env={"PATH": "/usr/bin:/bin"}, timeout=60)
    assert out.stdout.split() == ["INFO", "False", "False"], out.stderr


def test_the_file_shapes_keep_their_names():
    import bot.config
    from bot.config_file import ConfigFile

    assert bot.config.ConfigFile is ConfigFile  # moved to bot.config_file, still reachable
