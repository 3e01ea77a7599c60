"""errcode.yml + environment -> Settings; every mistake named with its key.

Precedence: command-line flags > environment > errcode.yml > defaults. Secrets
(Slack tokens, admin tokens) come only from the environment and are kept out of
`repr`, so printing Settings never leaks them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.errors import ConfigError

DEFAULT_STATE_DIR = Path(os.environ.get("XDG_STATE_HOME", Path.home() / ".local" / "state"))
DEFAULT_STORAGE = DEFAULT_STATE_DIR / "errcode" / "errcode.sqlite3"
_TOP_KEYS = {"catalog_dir", "storage_path", "default_product", "channels", "health",
             "escalation", "slack", "log_level", "redact_patterns"}
_SLACK_KEYS = {"listener_threads", "api_url"}
_ESCALATION_KEYS = {"channel"}
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


@dataclass(frozen=True)
class SlackSettings:
    bot_token: str | None = field(default=None, repr=False)
    signing_secret: str | None = field(default=None, repr=False)
    app_token: str | None = field(default=None, repr=False)
    api_url: str | None = None
    listener_threads: int = 16


@dataclass(frozen=True)
class Settings:
    """Everything errcode needs to run, validated."""

    catalog_dir: Path | None = None
    storage_path: Path = DEFAULT_STORAGE
    default_product: str | None = None
    channel_products: Mapping[str, str] = field(default_factory=dict)
    escalation_channel: str | None = None
    redact_patterns: tuple[str, ...] = ()
    log_level: str = "INFO"
    slack: SlackSettings = field(default_factory=SlackSettings)
    health_raw: Any = None  # validated by bot.health against the catalog's products
    source: str | None = None  # the config file read, if any

    def product_for_channel(self, channel: str | None) -> str | None:
        if channel and channel in self.channel_products:
            return self.channel_products[channel]
        return self.default_product


def load_settings(path: str | Path | None = None,
                  env: Mapping[str, str] | None = None) -> Settings:
    """Read settings from `path` (or ERRCODE_CONFIG, or ./errcode.yml if present) and env."""
    env = os.environ if env is None else env
    explicit = path or env.get("ERRCODE_CONFIG")
    file: Path | None = None
    if explicit:
        file = Path(explicit).expanduser()
        if not file.is_file():
            raise ConfigError("--config", f"{file} does not exist or is not a file")
    elif Path("errcode.yml").is_file():
        file = Path("errcode.yml")
    raw = _read(file) if file else {}
    return _settings(raw, env, str(file) if file else None)


def _read(file: Path) -> dict:
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError("(file)", f"cannot be read: {err}", str(file)) from err
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError("(file)", f"is not valid YAML{where}", str(file)) from err
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError("(file)", "must be a mapping of settings", str(file))
    return data


def _settings(raw: dict, env: Mapping[str, str], file: str | None) -> Settings:
    for key in raw:
        if key not in _TOP_KEYS:
            raise ConfigError(str(key), f"unknown setting (known: {', '.join(sorted(_TOP_KEYS))})",
                              file)
    base = Path(file).parent if file else Path.cwd()
    catalog_dir = env.get("ERRCODE_CATALOG_DIR") or _str(raw, "catalog_dir", file)
    catalog_path = _path(catalog_dir, base) if catalog_dir else None
    if catalog_path is not None and not catalog_path.is_dir():
        raise ConfigError("catalog_dir", f"{catalog_path} is not a directory", file)
    storage = env.get("ERRCODE_STORAGE_PATH") or _str(raw, "storage_path", file)
    channels = raw.get("channels") or {}
    if not isinstance(channels, dict):
        raise ConfigError("channels", "must map channel ids to {product: NAME}", file)
    channel_products: dict[str, str] = {}
    for channel, value in channels.items():
        key = f"channels.{channel}"
        if not re.fullmatch(r"[CGD][A-Z0-9]{2,}", str(channel)):
            raise ConfigError(key, "is not a Slack channel id (like C0123ABCD)", file)
        product = value.get("product") if isinstance(value, dict) else value
        if not isinstance(product, str) or not product:
            raise ConfigError(key, "needs a product name", file)
        channel_products[str(channel)] = product
    slack_raw = _section(raw, "slack", _SLACK_KEYS, file)
    threads = slack_raw.get("listener_threads", 16)
    if not isinstance(threads, int) or isinstance(threads, bool) or not 1 <= threads <= 256:
        raise ConfigError("slack.listener_threads", "must be a whole number from 1 to 256", file)
    api_url = env.get("SLACK_API_URL") or slack_raw.get("api_url")
    if api_url and not re.match(r"https?://", str(api_url)):
        raise ConfigError("SLACK_API_URL" if env.get("SLACK_API_URL") else "slack.api_url",
                          f"'{api_url}' is not an http(s) URL", file)
    if api_url and not str(api_url).endswith("/"):
        api_url = f"{api_url}/"
    esc = _section(raw, "escalation", _ESCALATION_KEYS, file)
    patterns = raw.get("redact_patterns") or []
    if not isinstance(patterns, list):
        raise ConfigError("redact_patterns", "must be a list of regular expressions", file)
    for i, pattern in enumerate(patterns):
        try:
            re.compile(str(pattern))
        except re.error as err:
            raise ConfigError(f"redact_patterns[{i}]", f"is not a valid regex: {err}",
                              file) from err
    level = str(env.get("ERRCODE_LOG_LEVEL") or raw.get("log_level") or "INFO").upper()
    if level not in _LOG_LEVELS:
        raise ConfigError("log_level", f"'{level}' is not one of {', '.join(_LOG_LEVELS)}", file)
    return Settings(
        catalog_dir=catalog_path,
        storage_path=_path(storage, base) if storage else DEFAULT_STORAGE,
        default_product=_str(raw, "default_product", file),
        channel_products=channel_products,
        escalation_channel=_str(esc, "channel", file, "escalation."),
        redact_patterns=tuple(str(p) for p in patterns),
        log_level=level,
        slack=SlackSettings(
            bot_token=env.get("SLACK_BOT_TOKEN") or None,
            signing_secret=env.get("SLACK_SIGNING_SECRET") or None,
            app_token=env.get("SLACK_APP_TOKEN") or None,
            api_url=api_url or None,
            listener_threads=threads,
        ),
        health_raw=raw.get("health"),
        source=file,
    )


def _section(raw: dict, name: str, known: set[str], file: str | None) -> dict:
    """A nested mapping of settings, with unknown keys named."""
    section = raw.get(name) or {}
    if not isinstance(section, dict):
        raise ConfigError(name, "must be a mapping", file)
    for key in section:
        if key not in known:
            raise ConfigError(f"{name}.{key}", f"unknown setting (known: "
                              f"{', '.join(sorted(known))})", file)
    return section


def _str(raw: dict, key: str, file: str | None, prefix: str = "") -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(prefix + key, "must be a non-empty string", file)
    return value.strip()


def _path(value: str, base: Path) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else (base / path).resolve()


def check_products(settings: Settings, products: Mapping[str, object]) -> None:
    """Product names in settings must exist in the loaded catalog."""
    known = ", ".join(sorted(products))
    if settings.default_product and settings.default_product not in products:
        raise ConfigError("default_product",
                          f"'{settings.default_product}' is not a catalog (have: {known})",
                          settings.source)
    for channel, product in settings.channel_products.items():
        if product not in products:
            raise ConfigError(f"channels.{channel}",
                              f"product '{product}' is not a catalog (have: {known})",
                              settings.source)
