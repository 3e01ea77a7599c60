"""The `health:` section of errcode.yml -> frozen HealthSettings; every mistake named by key.

    health:
      targets:
        - name: prod                       # what people type: /errcode health prod
          product: mazevault               # catalog used to explain failures
          base_url: https://vault.example.com
          token_env: MAZEVAULT_ADMIN_TOKEN # admin token comes from the environment
          ca_cert: /etc/errcode/corp-ca.pem
          timeout_s: 5                     # default 5, at most 60
          follow_redirects: true           # same scheme+host+port only; false: never
          checks:                          # default: the product's documented endpoints
            - path: /api/v1/health
            - path: /api/v1/health/system
              auth: admin                  # only this check gets the Bearer token
      admin_access:                        # empty or absent: admin checks for everyone
        users: [U012ABC]
        channels: [C0SUPPORT]
      watch:                               # optional: one replica checks on a schedule
        interval_s: 60                     # default 60, from 5 to 86400
        channel: C0OPSALERT                # where status changes are posted

A target without `checks` gets its product's documented endpoints; its admin-only
endpoints are kept only when `token_env` is set (without a token they could only fail).
The section's shape is `HealthSection` (checked by the one validation layer, also when
errcode.yml is read); what needs the catalog or the disk is checked here after it.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from msgspec import Meta

from bot.catalog.model import HealthCheckSpec, Product
from bot.errors import ConfigError, UnknownTargetError
from bot.validation import Invalid, Secret, Shape, convert, dotted, drop_empty

__all__ = ["DEFAULT_TIMEOUT_S", "DEFAULT_WATCH_INTERVAL_S", "MAX_TIMEOUT_S", "HealthSection",
           "HealthSettings", "HealthTarget", "Secret", "UnknownTargetError", "WatchSettings",
           "parse_health_config"]

DEFAULT_TIMEOUT_S = 5.0
MAX_TIMEOUT_S = 60.0
DEFAULT_WATCH_INTERVAL_S = 60.0

Text = Annotated[str, Meta(pattern=r"\S", extra={"what": "a non-empty string"})]
Name = Annotated[str, Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$",
                           extra={"what": "a name of letters, digits, _ . -"})]
EnvName = Annotated[str, Meta(
    pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
    extra={"what": "an environment variable name (the token itself never goes in the file)"})]
Seconds = Annotated[float, Meta(gt=0, le=MAX_TIMEOUT_S, extra={
    "what": f"a positive number of seconds, at most {MAX_TIMEOUT_S:g}"})]
SlackIds = Annotated[tuple[Text, ...], Meta(extra={"what": "a list of Slack ids"})]
ChannelId = Annotated[str, Meta(pattern=r"^[CG][A-Z0-9]{2,}$",
                                extra={"what": "a Slack channel id (like C0123ABCD)"})]
WatchSeconds = Annotated[float, Meta(ge=5, le=86400, extra={
    "what": "a number of seconds from 5 to 86400"})]


class CheckFile(Shape, kw_only=True, frozen=True):
    path: Text
    auth: Literal["admin"] | None = None


Checks = Annotated[tuple[Text | CheckFile, ...], Meta(
    min_length=1, extra={"what": "a non-empty list of {path, auth}"})]


class TargetFile(Shape, kw_only=True, frozen=True):
    name: Name
    product: Text
    base_url: Text
    token_env: EnvName | None = None
    ca_cert: Text | None = None
    timeout_s: Seconds = DEFAULT_TIMEOUT_S
    follow_redirects: bool = True
    checks: Checks | None = None


class AdminAccessFile(Shape, kw_only=True, frozen=True):
    users: SlackIds = ()
    channels: SlackIds = ()


class WatchFile(Shape, kw_only=True, frozen=True):
    interval_s: WatchSeconds = DEFAULT_WATCH_INTERVAL_S
    channel: ChannelId


class HealthSection(Shape, kw_only=True, frozen=True):
    """The `health:` section of errcode.yml."""

    targets: tuple[TargetFile, ...] = ()
    admin_access: AdminAccessFile | None = None
    watch: WatchFile | None = None


@dataclass(frozen=True)
class HealthTarget:
    """One service people can check by name. The admin token is held as a Secret, out of repr."""

    name: str
    product: str
    base_url: str
    token_env: str | None = None
    ca_cert: str | None = None
    timeout_s: float = DEFAULT_TIMEOUT_S
    checks: tuple[HealthCheckSpec, ...] = ()
    follow_redirects: bool = True
    token: Secret | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class WatchSettings:
    """`health.watch`: run every target's checks each interval; post changes to channel."""

    channel: str
    interval_s: float = DEFAULT_WATCH_INTERVAL_S


@dataclass(frozen=True)
class HealthSettings:
    """Every configured target, who may run admin checks (empty sets: everyone), and the
    scheduled watch (None: not configured)."""

    targets: tuple[HealthTarget, ...] = ()
    admin_users: frozenset[str] = frozenset()
    admin_channels: frozenset[str] = frozenset()
    watch: WatchSettings | None = None

    def select(self, names: Sequence[str] = ()) -> tuple[HealthTarget, ...]:
        """The targets named (case-insensitive), in the order given; all when none named."""
        if not names:
            return self.targets
        by_name = {t.name.lower(): t for t in self.targets}
        unknown = [n for n in names if n.lower() not in by_name]
        if unknown:
            have = ", ".join(t.name for t in self.targets) or "none configured"
            raise UnknownTargetError(
                f"no health target named {', '.join(repr(n) for n in unknown)} (have: {have})")
        chosen: list[HealthTarget] = []
        for n in names:
            if by_name[n.lower()] not in chosen:
                chosen.append(by_name[n.lower()])
        return tuple(chosen)


def parse_health_config(raw: object, env: Mapping[str, str], *, file: str | None,
                        products: Mapping[str, Product]) -> HealthSettings:
    """Validate the value of the `health:` key (None: no targets) and build HealthSettings.

    Raises ConfigError naming the key, e.g. `health.targets[0].base_url`.
    """
    if raw is None:
        return HealthSettings()
    try:
        section = convert(drop_empty(raw), HealthSection, path=("health",))
    except Invalid as err:
        raise ConfigError(dotted(err.path), err.message, file) from None
    targets: list[HealthTarget] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(section.targets):
        key = f"health.targets[{i}]"
        target = _target(item, key, env, file, products)
        if target.name.lower() in seen:
            raise ConfigError(f"{key}.name", f"'{target.name}' is already used by "
                              f"health.targets[{seen[target.name.lower()]}]", file)
        seen[target.name.lower()] = i
        targets.append(target)
    access = section.admin_access or AdminAccessFile()
    watch = None
    if section.watch is not None:
        if not targets:
            raise ConfigError("health.watch", "has nothing to watch: list health.targets",
                              file)
        watch = WatchSettings(channel=section.watch.channel,
                              interval_s=float(section.watch.interval_s))
    return HealthSettings(targets=tuple(targets),
                          admin_users=frozenset(u.strip() for u in access.users),
                          admin_channels=frozenset(c.strip() for c in access.channels),
                          watch=watch)


def _target(item: TargetFile, key: str, env: Mapping[str, str], file: str | None,
            products: Mapping[str, Product]) -> HealthTarget:
    """What the shape cannot say: the product exists, the URL, the CA file, the token."""
    product = _find_product(item.product.strip(), products, key, file)
    base_url = _base_url(item.base_url.strip(), f"{key}.base_url", file)
    token_env = item.token_env
    ca_cert = _ca_cert(item.ca_cert.strip() if item.ca_cert else None, f"{key}.ca_cert", file)
    if item.checks is None:
        checks = tuple(c for c in products[product].health_checks
                       if c.auth != "admin" or token_env is not None)
        if not checks:
            raise ConfigError(f"{key}.checks", f"product '{product}' documents no health "
                              "endpoints usable here; list the checks", file)
    else:
        checks = _checks(item.checks, f"{key}.checks", file)
    token: Secret | None = None
    admin_paths = [c.path for c in checks if c.auth == "admin"]
    if admin_paths:
        if token_env is None:
            raise ConfigError(f"{key}.token_env", "is required: check "
                              f"{admin_paths[0]} has auth: admin", file)
        value = env.get(token_env, "")
        if not value.strip():
            raise ConfigError(f"{key}.token_env", f"environment variable {token_env} is not "
                              f"set, needed by check {admin_paths[0]}", file)
        token = Secret(value.strip())
    return HealthTarget(name=item.name, product=product, base_url=base_url, checks=checks,
                        token_env=token_env, ca_cert=ca_cert, timeout_s=float(item.timeout_s),
                        follow_redirects=item.follow_redirects, token=token)


def _find_product(wanted: str, products: Mapping[str, Product], key: str,
                  file: str | None) -> str:
    if wanted in products:
        return wanted
    norm = re.sub(r"[\s_\-]+", "", wanted.lower())
    for catalog, product in products.items():
        if norm in {re.sub(r"[\s_\-]+", "", n.lower()) for n in product.names}:
            return catalog
    have = ", ".join(sorted(products)) or "no catalog loaded"
    raise ConfigError(f"{key}.product", f"'{wanted}' is not a product in the catalog "
                      f"(have: {have})", file)


def _base_url(value: str, key: str, file: str | None) -> str:
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as err:
        raise ConfigError(key, f"must be a valid URL ({err})", file) from err
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(key, f"must be an http(s) URL (got '{value}')", file)
    if parts.username is not None or parts.password is not None:
        raise ConfigError(key, "must not carry credentials; use token_env for the admin "
                          "token", file)
    if parts.query or parts.fragment:
        raise ConfigError(key, f"must not have a query or fragment (got '{value}')", file)
    netloc = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    if port is not None:
        netloc += f":{port}"
    return f"{parts.scheme}://{netloc.lower()}{parts.path.rstrip('/')}"


def _ca_cert(value: str | None, key: str, file: str | None) -> str | None:
    if value is None:
        return None
    path = Path(value).expanduser()
    if not path.is_absolute() and file:
        path = Path(file).resolve().parent / path
    if not path.is_file():
        raise ConfigError(key, f"file '{value}' does not exist", file)
    try:
        ssl.create_default_context(cafile=str(path))
    except (ssl.SSLError, OSError, ValueError) as err:
        raise ConfigError(key, f"'{value}' is not a readable PEM CA certificate ({err})",
                          file) from err
    return str(path)


def _checks(raw: tuple[str | CheckFile, ...], key: str,
            file: str | None) -> tuple[HealthCheckSpec, ...]:
    checks: list[HealthCheckSpec] = []
    for i, item in enumerate(raw):
        ckey = f"{key}[{i}]"
        spec = (HealthCheckSpec(path=item.strip()) if isinstance(item, str)
                else HealthCheckSpec(path=item.path.strip(), auth=item.auth))
        path = spec.path
        # Paths are joined to base_url: anything that could name another host is refused.
        if not path.startswith("/") or path.startswith("//") or "://" in path \
                or any(c.isspace() for c in path):
            raise ConfigError(f"{ckey}.path" if isinstance(item, CheckFile) else ckey,
                              f"must be a path starting with a single / (the host comes from "
                              f"base_url; got '{path}')", file)
        if spec in checks:
            raise ConfigError(f"{ckey}.path", f"'{path}' is listed twice", file)
        checks.append(spec)
    return tuple(checks)
