"""errcode.yml + environment -> Settings; every mistake named with its key.

Precedence: command-line flags > environment > errcode.yml > defaults. Both the file
and the environment go through the one validation layer (`bot.validation`): the file's
shape is `ConfigFile` (the `health:` section's is `bot.health.targets.HealthSection`),
the environment's is `Environment`. Secrets (Slack tokens) come only from the
environment and are held as `Secret`, so printing Settings never leaks them. The one
exception to the precedence: a storage URL (ERRCODE_STORAGE_URL or storage_url) wins over
a storage path from anywhere, and is kept out of Settings' repr (it may hold a password).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import yaml
from msgspec import Meta, Struct
from msgspec import field as shape_field

from bot.errors import ConfigError
from bot.health.targets import HealthSection
from bot.validation import Invalid, Secret, Shape, convert, dotted, drop_empty, regex_problem

DEFAULT_STATE_DIR = Path(os.environ.get("XDG_STATE_HOME", Path.home() / ".local" / "state"))
DEFAULT_STORAGE = DEFAULT_STATE_DIR / "errcode" / "errcode.sqlite3"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{2,}")
_URL = re.compile(r"https?://")
SQLITE_PREFIX = "sqlite:///"

Text = Annotated[str, Meta(pattern=r"\S", extra={"what": "a non-empty string"})]


class ChannelFile(Shape, kw_only=True, frozen=True):
    product: Text


Channel = Text | ChannelFile  # `C0123ABCD: mazevault` or `C0123ABCD: {product: mazevault}`


class SlackFile(Shape, kw_only=True, frozen=True):
    listener_threads: Annotated[int, Meta(ge=1, le=256)] = 16
    api_url: Text | None = None


class EscalationFile(Shape, kw_only=True, frozen=True):
    channel: Text | None = None


class ConfigFile(Shape, kw_only=True, frozen=True):
    """The keys of errcode.yml."""

    catalog_dir: Text | None = None
    storage_url: Text | None = None
    storage_path: Text | None = None
    default_product: Text | None = None
    # Values are checked one by one (msgspec names no key in a mapping's values).
    channels: Annotated[dict[str, Any], Meta(
        extra={"what": "a mapping of channel ids to {product: NAME}"})] = shape_field(
        default_factory=dict)
    health: HealthSection | None = None
    escalation: EscalationFile | None = None
    slack: SlackFile | None = None
    log_level: Text | None = None
    redact_patterns: Annotated[tuple[Text, ...], Meta(
        extra={"what": "a list of regular expressions"})] = ()


class Environment(Struct, kw_only=True):
    """The environment variables errcode reads (others are ignored)."""

    ERRCODE_CATALOG_DIR: Text | None = None
    ERRCODE_STORAGE_URL: Text | None = None
    ERRCODE_STORAGE_PATH: Text | None = None
    ERRCODE_LOG_LEVEL: Text | None = None
    SLACK_BOT_TOKEN: Secret | None = None
    SLACK_SIGNING_SECRET: Secret | None = None
    SLACK_APP_TOKEN: Secret | None = None
    SLACK_API_URL: Text | None = None


class SlackSettings:
    """Slack credentials (held as `Secret`: never in repr) and connection settings.

    `bot_token`, `signing_secret` and `app_token` give the value as a plain string because
    slack_sdk needs it so; `secret(name)` gives the `Secret` itself.
    """

    __slots__ = ("_secrets", "api_url", "listener_threads")
    _NAMES = ("bot_token", "signing_secret", "app_token")

    def __init__(self, bot_token: str | Secret | None = None,
                 signing_secret: str | Secret | None = None,
                 app_token: str | Secret | None = None, api_url: str | None = None,
                 listener_threads: int = 16) -> None:
        values = (bot_token, signing_secret, app_token)
        self._secrets = {n: Secret(v) if isinstance(v, str) else v
                         for n, v in zip(self._NAMES, values, strict=True) if v}
        self.api_url = api_url
        self.listener_threads = listener_threads

    def secret(self, name: str) -> Secret | None:
        return self._secrets.get(name)

    @property
    def bot_token(self) -> str | None:
        return self._reveal("bot_token")

    @property
    def signing_secret(self) -> str | None:
        return self._reveal("signing_secret")

    @property
    def app_token(self) -> str | None:
        return self._reveal("app_token")

    def _reveal(self, name: str) -> str | None:
        secret = self._secrets.get(name)
        return secret.reveal() if secret is not None else None

    def __repr__(self) -> str:
        shown = ", ".join(f"{n}={self._secrets.get(n)!r}" for n in self._NAMES)
        return (f"SlackSettings({shown}, api_url={self.api_url!r}, "
                f"listener_threads={self.listener_threads!r})")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SlackSettings) and (
            self._secrets, self.api_url, self.listener_threads) == (
            other._secrets, other.api_url, other.listener_threads)

    def __hash__(self) -> int:
        return hash((tuple(sorted(self._secrets.items())), self.api_url,
                     self.listener_threads))


@dataclass(frozen=True)
class Settings:
    """Everything errcode needs to run, validated."""

    catalog_dir: Path | None = None
    storage_path: Path = DEFAULT_STORAGE
    # sqlite:///PATH or postgresql://...; None: SQLite at storage_path. Out of repr: it may
    # hold a password (`store_url_shown` masks it).
    storage_url: str | None = field(default=None, repr=False)
    default_product: str | None = None
    channel_products: Mapping[str, str] = field(default_factory=dict)
    escalation_channel: str | None = None
    redact_patterns: tuple[str, ...] = ()
    log_level: str = "INFO"
    slack: SlackSettings = field(default_factory=SlackSettings)
    # The `health:` mapping, shape-checked; bot.health.targets builds targets from it
    # once the catalog's products are known.
    health_raw: Mapping[str, object] | None = None
    source: str | None = None  # the config file read, if any

    @property
    def store_url(self) -> str:
        """The store's URL: storage_url, else the SQLite file at storage_path."""
        return self.storage_url or SQLITE_PREFIX + str(self.storage_path)

    @property
    def store_url_shown(self) -> str:
        """store_url with any password masked, for messages and logs."""
        return _mask_url(self.store_url)

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
    name = str(file) if file else None
    raw = _read(file) if file else {}
    try:
        data = convert(raw, ConfigFile)
    except Invalid as err:
        raise ConfigError(dotted(err.path) or "(file)", err.message, name) from None
    known = {k: v for k in Environment.__struct_fields__ if (v := env.get(k, "").strip())}
    try:
        environment = convert(known, Environment)
    except Invalid as err:
        raise ConfigError(dotted(err.path), err.message, name) from None
    health = raw.get("health")
    return _settings(data, environment, health if isinstance(health, Mapping) else None, name)


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
    return drop_empty(data)  # type: ignore[return-value]


def _settings(data: ConfigFile, env: Environment, health: Mapping[str, object] | None,
              file: str | None) -> Settings:
    """What a shape cannot say: paths that exist, channel ids, regexes, URLs, levels."""
    base = Path(file).parent if file else Path.cwd()
    catalog_dir = env.ERRCODE_CATALOG_DIR or data.catalog_dir
    catalog_path = _path(catalog_dir, base) if catalog_dir else None
    if catalog_path is not None and not catalog_path.is_dir():
        raise ConfigError("ERRCODE_CATALOG_DIR" if env.ERRCODE_CATALOG_DIR else "catalog_dir",
                          f"{catalog_path} is not a directory", file)
    storage_url, storage = _storage(data, env, base, file)
    channel_products: dict[str, str] = {}
    for channel, value in data.channels.items():
        if not _CHANNEL_ID.fullmatch(channel):
            raise ConfigError(f"channels.{channel}", "is not a Slack channel id (like "
                              "C0123ABCD)", file)
        try:
            chosen = convert(value, Channel, path=("channels", channel))
        except Invalid as err:
            raise ConfigError(dotted(err.path), err.message, file) from None
        product = chosen.product if isinstance(chosen, ChannelFile) else str(chosen)
        channel_products[channel] = product.strip()
    slack = data.slack or SlackFile()
    api_url = env.SLACK_API_URL or slack.api_url
    if api_url and not _URL.match(api_url):
        raise ConfigError("SLACK_API_URL" if env.SLACK_API_URL else "slack.api_url",
                          f"must be an http(s) URL (got '{api_url}')", file)
    if api_url and not api_url.endswith("/"):
        api_url = f"{api_url}/"
    for i, pattern in enumerate(data.redact_patterns):
        if problem := regex_problem(pattern):
            raise ConfigError(f"redact_patterns[{i}]", problem, file)
    level = (env.ERRCODE_LOG_LEVEL or data.log_level or "INFO").upper()
    if level not in LOG_LEVELS:
        raise ConfigError("ERRCODE_LOG_LEVEL" if env.ERRCODE_LOG_LEVEL else "log_level",
                          f"must be one of {', '.join(LOG_LEVELS)} (got '{level}')", file)
    return Settings(
        catalog_dir=catalog_path,
        storage_path=storage,
        storage_url=storage_url,
        default_product=_stripped(data.default_product),
        channel_products=channel_products,
        escalation_channel=_stripped(data.escalation.channel if data.escalation else None),
        redact_patterns=data.redact_patterns,
        log_level=level,
        slack=SlackSettings(bot_token=env.SLACK_BOT_TOKEN,
                            signing_secret=env.SLACK_SIGNING_SECRET,
                            app_token=env.SLACK_APP_TOKEN, api_url=api_url,
                            listener_threads=slack.listener_threads),
        health_raw=health,
        source=file,
    )


def _storage(data: ConfigFile, env: Environment, base: Path,
             file: str | None) -> tuple[str | None, Path]:
    """(storage_url, SQLite path). A URL, from the environment or the file, wins over a
    path: the image sets ERRCODE_STORAGE_PATH, and a storage_url in errcode.yml must not
    be silently replaced by it. A sqlite:/// URL also sets the path, resolved like
    storage_path (relative to the config file's folder)."""
    if data.storage_url and data.storage_path:
        raise ConfigError("storage_url", "give storage_url or storage_path, not both "
                          "(storage_path is the older spelling of a sqlite:/// URL)", file)
    key = "ERRCODE_STORAGE_URL" if env.ERRCODE_STORAGE_URL else "storage_url"
    url = (env.ERRCODE_STORAGE_URL or data.storage_url or "").strip()
    if not url:
        path = env.ERRCODE_STORAGE_PATH or data.storage_path
        return None, _path(path, base) if path else DEFAULT_STORAGE
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme == "sqlite":
        rest = url[len(SQLITE_PREFIX):] if url.startswith(SQLITE_PREFIX) else ""
        if not rest.strip():
            raise ConfigError(key, "a SQLite URL is sqlite:///PATH: three slashes, then the "
                              "path (a fourth slash starts an absolute one)", file)
        if rest == ":memory:":
            return url, DEFAULT_STORAGE
        file_path = _path(rest, base)
        return SQLITE_PREFIX + str(file_path), file_path
    if scheme in ("postgresql", "postgres"):
        parts = urlsplit(url)
        try:
            _ = parts.port  # raises on a port that is not a number
        except ValueError:
            raise ConfigError(key, f"has an invalid port ({_mask_url(url)})", file) from None
        if not parts.hostname and "host=" not in parts.query:
            raise ConfigError(key, f"names no host ({_mask_url(url)}); expected "
                              "postgresql://USER@HOST:PORT/DB", file)
        if not parts.path.strip("/"):
            raise ConfigError(key, f"names no database ({_mask_url(url)}); expected "
                              "postgresql://USER@HOST:PORT/DB", file)
        return url, DEFAULT_STORAGE
    raise ConfigError(key, f"must be sqlite:///PATH or postgresql://USER@HOST:PORT/DB "
                      f"(got '{_mask_url(url)}')", file)


def _mask_url(url: str) -> str:
    from bot.store.location import mask_url  # no driver: location imports only records

    return mask_url(url)


def _stripped(value: str | None) -> str | None:
    return value.strip() if value is not None else None


def _path(value: str, base: Path) -> Path:
    path = Path(value.strip()).expanduser()
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
