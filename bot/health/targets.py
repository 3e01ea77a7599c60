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

A target without `checks` gets its product's documented endpoints; its admin-only
endpoints are kept only when `token_env` is set (without a token they could only fail).
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from bot.catalog.model import HealthCheckSpec, Product
from bot.errors import ConfigError, ErrcodeError

DEFAULT_TIMEOUT_S = 5.0
MAX_TIMEOUT_S = 60.0
_SECTION_KEYS = {"targets", "admin_access"}
_TARGET_KEYS = {"name", "product", "base_url", "token_env", "ca_cert", "timeout_s",
                "follow_redirects", "checks"}
_CHECK_KEYS = {"path", "auth"}
_ACCESS_KEYS = {"users", "channels"}
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")
_ENV_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Secret:
    """A value that never shows itself in repr/str; `reveal()` is the one way to read it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))


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
class HealthSettings:
    """Every configured target, and who may run admin checks (empty sets: everyone)."""

    targets: tuple[HealthTarget, ...] = ()
    admin_users: frozenset[str] = frozenset()
    admin_channels: frozenset[str] = frozenset()

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


class UnknownTargetError(ErrcodeError, LookupError):
    """A health target was asked for by a name that is not configured."""


def parse_health_config(raw: object, env: Mapping[str, str], *, file: str | None,
                        products: Mapping[str, Product]) -> HealthSettings:
    """Validate the value of the `health:` key (None: no targets) and build HealthSettings.

    Raises ConfigError naming the key, e.g. `health.targets[0].base_url`.
    """
    if raw is None:
        return HealthSettings()
    if not isinstance(raw, Mapping):
        raise ConfigError("health", "must be a mapping with 'targets'", file)
    _no_unknown_keys(raw, _SECTION_KEYS, "health", file)
    raw_targets = raw.get("targets")
    if raw_targets is None:
        raw_targets = []
    if not isinstance(raw_targets, list):
        raise ConfigError("health.targets", "must be a list of targets", file)
    targets: list[HealthTarget] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(raw_targets):
        key = f"health.targets[{i}]"
        target = _parse_target(item, key, env, file, products)
        if target.name.lower() in seen:
            raise ConfigError(f"{key}.name", f"'{target.name}' is already used by "
                              f"health.targets[{seen[target.name.lower()]}]", file)
        seen[target.name.lower()] = i
        targets.append(target)
    users, channels = _parse_access(raw.get("admin_access"), file)
    return HealthSettings(targets=tuple(targets), admin_users=users, admin_channels=channels)


def _parse_target(item: object, key: str, env: Mapping[str, str], file: str | None,
                  products: Mapping[str, Product]) -> HealthTarget:
    if not isinstance(item, Mapping):
        raise ConfigError(key, "must be a mapping with name, product and base_url", file)
    _no_unknown_keys(item, _TARGET_KEYS, key, file)
    name = _req_str(item, "name", key, file)
    if not _NAME_RE.fullmatch(name):
        raise ConfigError(f"{key}.name", f"'{name}' may hold only letters, digits, _ . -", file)
    product = _find_product(_req_str(item, "product", key, file), products, key, file)
    base_url = _parse_base_url(_req_str(item, "base_url", key, file), f"{key}.base_url", file)
    timeout_s = _parse_timeout(item.get("timeout_s"), f"{key}.timeout_s", file)
    follow = item.get("follow_redirects", True)
    if not isinstance(follow, bool):
        raise ConfigError(f"{key}.follow_redirects", "must be true or false", file)
    token_env = _opt_str(item, "token_env", key, file)
    if token_env is not None and not _ENV_RE.fullmatch(token_env):
        raise ConfigError(f"{key}.token_env", f"'{token_env}' is not an environment variable "
                          "name (the token itself never goes in the file)", file)
    ca_cert = _parse_ca_cert(_opt_str(item, "ca_cert", key, file), f"{key}.ca_cert", file)
    if item.get("checks") is None:
        checks = tuple(c for c in products[product].health_checks
                       if c.auth != "admin" or token_env is not None)
        if not checks:
            raise ConfigError(f"{key}.checks", f"product '{product}' documents no health "
                              "endpoints usable here; list the checks", file)
    else:
        checks = _parse_checks(item["checks"], f"{key}.checks", file)
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
    return HealthTarget(name=name, product=product, base_url=base_url, checks=checks,
                        token_env=token_env, ca_cert=ca_cert, timeout_s=timeout_s,
                        follow_redirects=follow, token=token)


def _find_product(wanted: str, products: Mapping[str, Product], key: str,
                  file: str | None) -> str:
    if wanted in products:
        return wanted
    norm = re.sub(r"[\s_\-]+", "", wanted.lower())
    for catalog, product in products.items():
        names = (catalog, product.name, *product.aliases)
        if norm in {re.sub(r"[\s_\-]+", "", n.lower()) for n in names}:
            return catalog
    have = ", ".join(sorted(products)) or "no catalog loaded"
    raise ConfigError(f"{key}.product", f"'{wanted}' is not a product in the catalog "
                      f"(have: {have})", file)


def _parse_base_url(value: str, key: str, file: str | None) -> str:
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as err:
        raise ConfigError(key, f"'{value}' is not a valid URL ({err})", file) from err
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(key, f"'{value}' is not an http(s) URL", file)
    if parts.username is not None or parts.password is not None:
        raise ConfigError(key, "must not carry credentials; use token_env for the admin "
                          "token", file)
    if parts.query or parts.fragment:
        raise ConfigError(key, f"'{value}' must not have a query or fragment", file)
    netloc = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    if port is not None:
        netloc += f":{port}"
    return f"{parts.scheme}://{netloc.lower()}{parts.path.rstrip('/')}"


def _parse_timeout(value: object, key: str, file: str | None) -> float:
    if value is None:
        return DEFAULT_TIMEOUT_S
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ConfigError(key, f"{value!r} is not a positive number of seconds", file)
    if value > MAX_TIMEOUT_S:
        raise ConfigError(key, f"{value!r} is too long (at most {MAX_TIMEOUT_S:g} s)", file)
    return float(value)


def _parse_ca_cert(value: str | None, key: str, file: str | None) -> str | None:
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


def _parse_checks(raw: object, key: str, file: str | None) -> tuple[HealthCheckSpec, ...]:
    if not isinstance(raw, list) or not raw:
        raise ConfigError(key, "must be a non-empty list of {path, auth}", file)
    checks: list[HealthCheckSpec] = []
    for i, item in enumerate(raw):
        ckey = f"{key}[{i}]"
        if isinstance(item, str):
            item = {"path": item}
        if not isinstance(item, Mapping):
            raise ConfigError(ckey, "must be a mapping with 'path'", file)
        _no_unknown_keys(item, _CHECK_KEYS, ckey, file)
        path = _req_str(item, "path", ckey, file)
        # Paths are joined to base_url: anything that could name another host is refused.
        if not path.startswith("/") or path.startswith("//") or "://" in path \
                or any(c.isspace() for c in path):
            raise ConfigError(f"{ckey}.path", f"'{path}' must be a path starting with a "
                              "single / (the host comes from base_url)", file)
        auth = _opt_str(item, "auth", ckey, file)
        if auth is not None and auth != "admin":
            raise ConfigError(f"{ckey}.auth", f"'{auth}' is not one of: admin", file)
        spec = HealthCheckSpec(path=path, auth=auth)
        if spec in checks:
            raise ConfigError(f"{ckey}.path", f"'{path}' is listed twice", file)
        checks.append(spec)
    return tuple(checks)


def _parse_access(raw: object, file: str | None) -> tuple[frozenset[str], frozenset[str]]:
    if raw is None:
        return frozenset(), frozenset()
    key = "health.admin_access"
    if not isinstance(raw, Mapping):
        raise ConfigError(key, "must be a mapping with users and/or channels", file)
    _no_unknown_keys(raw, _ACCESS_KEYS, key, file)
    out: list[frozenset[str]] = []
    for name in ("users", "channels"):
        items = raw.get(name) or []
        if not isinstance(items, list) or not all(isinstance(x, str) and x.strip()
                                                  for x in items):
            raise ConfigError(f"{key}.{name}", "must be a list of Slack ids", file)
        out.append(frozenset(x.strip() for x in items))
    return out[0], out[1]


def _no_unknown_keys(raw: Mapping, known: set[str], key: str, file: str | None) -> None:
    for k in raw:
        if k not in known:
            raise ConfigError(f"{key}.{k}", "unknown key (expected one of "
                              f"{', '.join(sorted(known))})", file)


def _req_str(raw: Mapping, name: str, key: str, file: str | None) -> str:
    value = _opt_str(raw, name, key, file)
    if value is None:
        raise ConfigError(f"{key}.{name}", "is required", file)
    return value


def _opt_str(raw: Mapping, name: str, key: str, file: str | None) -> str | None:
    value = raw.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{key}.{name}", "must be a non-empty string", file)
    return value.strip()
