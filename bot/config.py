"""errcode.yml + environment -> Settings; every mistake named with its key.

Precedence: command-line flags > environment > errcode.yml > defaults. The file goes
through the one validation layer (`bot.validation`): its shape is
`bot.config_file.ConfigFile` (the `health:` section's is
`bot.health.targets.HealthSection`), loaded only when there is a file, so a run without
one imports neither msgspec nor YAML. The environment (`Environment`) holds only
strings: blank means unset, anything else is taken stripped. Secrets (Slack tokens) come
only from the environment and are held as `Secret`, so printing Settings never leaks
them. The one exception to the precedence: a storage URL (ERRCODE_STORAGE_URL or
storage_url) wins over a storage path from anywhere, and is kept out of Settings' repr
(it may hold a password).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from bot.errors import ConfigError
from bot.records import record

if TYPE_CHECKING:
    from bot.config_file import ConfigFile
    from bot.validation import Secret

DEFAULT_STATE_DIR = Path(os.environ.get("XDG_STATE_HOME", Path.home() / ".local" / "state"))
DEFAULT_STORAGE = DEFAULT_STATE_DIR / "errcode" / "errcode.sqlite3"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{2,}")
_URL = re.compile(r"https?://")
SQLITE_PREFIX = "sqlite:///"
LISTENER_THREADS = 16  # slack.listener_threads when errcode.yml does not say
_SHAPES = ("ChannelFile", "Channel", "ConfigFile", "EscalationFile", "SlackFile")


def __getattr__(name: str) -> object:
    """The shapes of errcode.yml, under their old names (they live in bot.config_file)."""
    if name in _SHAPES:
        from bot import config_file

        return getattr(config_file, name)
    raise AttributeError(f"module 'bot.config' has no attribute {name!r}")


@record
class Environment:
    """The environment variables errcode reads (others are ignored); blank means unset."""

    ERRCODE_CATALOG_DIR: str | None = None
    ERRCODE_STORAGE_URL: str | None = None
    ERRCODE_STORAGE_PATH: str | None = None
    ERRCODE_LOG_LEVEL: str | None = None
    SLACK_BOT_TOKEN: Secret | None = None
    SLACK_SIGNING_SECRET: Secret | None = None
    SLACK_APP_TOKEN: Secret | None = None
    SLACK_API_URL: str | None = None

    @classmethod
    def read(cls, env: Mapping[str, str]) -> Environment:
        """Each variable stripped; the Slack credentials held as `Secret`."""
        values: dict[str, str | Secret] = {}
        for name in cls.__dataclass_fields__:
            value = env.get(name, "").strip()
            if value:
                values[name] = _secret(value) if name in _SECRET_VARIABLES else value
        return cls(**values)  # type: ignore[arg-type]


_SECRET_VARIABLES = frozenset({"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"})


def _secret(value: str) -> Secret:
    from bot.validation import Secret  # with msgspec: only when there is a secret to hold

    return Secret(value)


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
                 listener_threads: int = LISTENER_THREADS) -> None:
        values = (bot_token, signing_secret, app_token)
        self._secrets = {n: _secret(v) if isinstance(v, str) else v
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


@record
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
    environment = Environment.read(env)
    if file is None:  # nothing to shape-check: no msgspec, no YAML
        return _settings(_NoFile(), environment, None, None)
    from bot.config_file import ConfigFile
    from bot.validation import Invalid, convert, dotted

    raw = _read(file)
    try:
        data = convert(raw, ConfigFile)
    except Invalid as err:
        raise ConfigError(dotted(err.path) or "(file)", err.message, name) from None
    health = raw.get("health")
    return _settings(data, environment, health if isinstance(health, Mapping) else None, name)


class _NoFile:
    """The keys of errcode.yml when there is no file: every one at its default."""

    catalog_dir = storage_url = storage_path = default_product = log_level = None
    escalation = slack = None
    channels: Mapping[str, object] = {}
    redact_patterns: tuple[str, ...] = ()


def _read(file: Path) -> dict:
    import yaml

    from bot.validation import drop_empty

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


def _settings(data: ConfigFile | _NoFile, env: Environment,
              health: Mapping[str, object] | None, file: str | None) -> Settings:
    """What a shape cannot say: paths that exist, channel ids, regexes, URLs, levels."""
    base = Path(file).parent if file else Path.cwd()
    catalog_dir = env.ERRCODE_CATALOG_DIR or data.catalog_dir
    catalog_path = _path(catalog_dir, base) if catalog_dir else None
    if catalog_path is not None and not catalog_path.is_dir():
        raise ConfigError("ERRCODE_CATALOG_DIR" if env.ERRCODE_CATALOG_DIR else "catalog_dir",
                          f"{catalog_path} is not a directory", file)
    storage_url, storage = _storage(data, env, base, file)
    channel_products = _channel_products(data.channels, file)
    slack = data.slack
    api_url = env.SLACK_API_URL or (slack.api_url if slack else None)
    if api_url and not _URL.match(api_url):
        raise ConfigError("SLACK_API_URL" if env.SLACK_API_URL else "slack.api_url",
                          f"must be an http(s) URL (got '{api_url}')", file)
    if api_url and not api_url.endswith("/"):
        api_url = f"{api_url}/"
    for i, pattern in enumerate(data.redact_patterns):
        if problem := _regex_problem(pattern):
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
        redact_patterns=tuple(data.redact_patterns),
        log_level=level,
        slack=SlackSettings(bot_token=env.SLACK_BOT_TOKEN,
                            signing_secret=env.SLACK_SIGNING_SECRET,
                            app_token=env.SLACK_APP_TOKEN, api_url=api_url,
                            listener_threads=(slack.listener_threads if slack
                                              else LISTENER_THREADS)),
        health_raw=health,
        source=file,
    )


def _channel_products(channels: Mapping[str, object], file: str | None) -> dict[str, str]:
    """`channels:` -> channel id -> product name; each value shape-checked."""
    if not channels:
        return {}
    from bot.config_file import Channel, ChannelFile
    from bot.validation import Invalid, convert, dotted

    out: dict[str, str] = {}
    for channel, value in channels.items():
        if not _CHANNEL_ID.fullmatch(channel):
            raise ConfigError(f"channels.{channel}", "is not a Slack channel id (like "
                              "C0123ABCD)", file)
        try:
            chosen = convert(value, Channel, path=("channels", channel))
        except Invalid as err:
            raise ConfigError(dotted(err.path), err.message, file) from None
        product = chosen.product if isinstance(chosen, ChannelFile) else str(chosen)
        out[channel] = product.strip()
    return out


def _regex_problem(pattern: str) -> str | None:
    from bot.validation import regex_problem

    return regex_problem(pattern)


def _storage(data: ConfigFile | _NoFile, env: Environment, base: Path,
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
