"""Catalog files -> a validated `Catalog`; broken files are named, never crash the bot."""



from __future__ import annotations

import re
from collections.abc import Iterable
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

from bot.catalog.model import (
    CODE_STYLES,
    ENTRY_KINDS,
    ENVELOPES,
    RETRY_POLICIES,
    RETRY_SOURCES,
    Catalog,
    Cause,
    ChecklistItem,
    Command,
    Entry,
    HealthCheckSpec,
    Product,
    RetryPolicy,
)
from bot.errors import CatalogError

# The top-level catalog/ folder, shipped inside the package as `bot.catalog.shipped`
# (pyproject maps it), so an installed wheel finds it from any folder.
DEFAULT_CATALOG_DIR = Path(str(files("bot.catalog.shipped")))
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_catalog(directory: Path | str | None = None, *, strict: bool = True) -> Catalog:
    """Load every `*.yml` in `directory`.

    strict: the first broken file raises CatalogError. Otherwise broken files are
    skipped (refused whole) and listed in `Catalog.problems`, so a bot keeps
    serving the good catalogs.
    """
    directory = Path(directory) if directory is not None else DEFAULT_CATALOG_DIR
    if not directory.is_dir():
        raise CatalogError(str(directory), "is not a directory")
    files = sorted(directory.glob("*.yml")) + sorted(directory.glob("*.yaml"))
    if not files:
        raise CatalogError(str(directory), "contains no *.yml catalog files")
    products: dict[str, Product] = {}
    entries: list[Entry] = []
    problems: list[CatalogError] = []
    for path in files:
        try:
            product, file_entries = load_catalog_file(path)
        except CatalogError as err:
            if strict:
                raise
            problems.append(err)
            continue
        if product.catalog in products:
            err = CatalogError(_display(path), f"catalog name '{product.catalog}' is used twice")
            if strict:
                raise err
            problems.append(err)
            continue
        products[product.catalog] = product
        entries.extend(file_entries)
    if not products:
        raise problems[0] if problems else CatalogError(str(directory), "no usable catalog")
    return Catalog(products=products, entries=tuple(entries), problems=tuple(problems))


def check_catalog(directory: Path | str | None = None) -> list[CatalogError]:
    """Every problem in a catalog directory (empty list: all good)."""
    try:
        return list(load_catalog(directory, strict=False).problems)
    except CatalogError as err:
        return [err]


def load_catalog_file(path: Path) -> tuple[Product, list[Entry]]:
    """Parse and validate one catalog file; raise CatalogError naming what is wrong."""
    name = _display(path)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except (OSError, UnicodeDecodeError) as err:
        raise CatalogError(name, f"cannot be read: {err}") from err
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise CatalogError(name, f"is not valid YAML{where}") from err
    if not isinstance(raw, dict):
        raise CatalogError(name, "must be a mapping with 'product' and 'entries'")
    _no_unknown_keys(raw, {"product", "entries"}, name, None, "")
    catalog = path.stem
    product = _parse_product(_req(raw, "product", dict, name, None, ""), catalog, name)
    raw_entries = _req(raw, "entries", list, name, None, "")
    entries: list[Entry] = []
    seen: set[str] = set()
    for index, item in enumerate(raw_entries):
        has_code = isinstance(item, dict) and item.get("code")
        label = str(item.get("code")) if has_code else f"#{index + 1}"
        if not isinstance(item, dict):
            raise CatalogError(name, "must be a mapping", entry=label)
        entry = _parse_entry(item, catalog, product, name, label)
        if entry.code in seen:
            raise CatalogError(name, "duplicate code", entry=entry.code, field="code")
        seen.add(entry.code)
        entries.append(entry)
    codes = seen
    for entry in entries:
        for ref in entry.related:
            if ref not in codes:
                raise CatalogError(name, f"'{ref}' is not a code in this file",
                                   entry=entry.code, field="related")
    return product, entries


def _display(path: Path) -> str:
    """`catalog/x.yml` style name: the parent folder and the file."""
    return f"{path.parent.name}/{path.name}"


_PRODUCT_KEYS = {
    "name", "aliases", "code_style", "envelopes", "request_id", "support", "default_retry",
    "default_host", "health_checks", "escalation_checklist", "source",
}
_ENTRY_KEYS = {
    "code", "kind", "title", "meaning", "resolution", "retry", "http_status", "category",
    "aliases", "keywords", "symptoms", "causes", "commands", "related",
}


def _parse_product(raw: dict, catalog: str, file: str) -> Product:
    _no_unknown_keys(raw, _PRODUCT_KEYS, file, None, "product.")
    where = "product."
    style = _opt(raw, "code_style", str, file, None, where) or "any"
    _one_of(style, CODE_STYLES, file, None, "product.code_style")
    envelopes = _str_list(raw, "envelopes", file, None, where)
    for env in envelopes:
        _one_of(env, ENVELOPES, file, None, "product.envelopes")
    rid = _opt(raw, "request_id", dict, file, None, where) or {}
    _no_unknown_keys(rid, {"pattern", "header"}, file, None, "product.request_id.")
    pattern = _opt(rid, "pattern", str, file, None, "product.request_id.")
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as err:
            raise CatalogError(file, f"is not a valid regex: {err}",
                               field="product.request_id.pattern") from err
    support = _opt(raw, "support", dict, file, None, where) or {}
    _no_unknown_keys(support, {"email", "notes"}, file, None, "product.support.")
    default_retry = _parse_retry(
        _opt(raw, "default_retry", dict, file, None, where)
        or {"policy": "no", "note": "Not documented as retryable."},
        file, None, "product.default_retry", default_source="default",
    )
    checks = []
    for i, item in enumerate(_opt(raw, "health_checks", list, file, None, where) or []):
        fld = f"product.health_checks[{i}]"
        if not isinstance(item, dict):
            raise CatalogError(file, "must be a mapping with 'path'", field=fld)
        _no_unknown_keys(item, {"path", "auth"}, file, None, fld + ".")
        path = _req(item, "path", str, file, None, fld + ".")
        if not path.startswith("/"):
            raise CatalogError(file, f"'{path}' must start with /", field=fld + ".path")
        auth = _opt(item, "auth", str, file, None, fld + ".")
        if auth is not None:
            _one_of(auth, ("admin",), file, None, fld + ".auth")
        checks.append(HealthCheckSpec(path=path, auth=auth))
    checklist = []
    for i, item in enumerate(_opt(raw, "escalation_checklist", list, file, None, where) or []):
        fld = f"product.escalation_checklist[{i}]"
        if not isinstance(item, dict):
            raise CatalogError(file, "must be a mapping with 'key' and 'label'", field=fld)
        _no_unknown_keys(item, {"key", "label"}, file, None, fld + ".")
        checklist.append(ChecklistItem(key=_req(item, "key", str, file, None, fld + "."),
                                       label=_req(item, "label", str, file, None, fld + ".")))
    return Product(
        catalog=catalog,
        name=_req(raw, "name", str, file, None, where),
        aliases=tuple(_str_list(raw, "aliases", file, None, where)),
        code_style=style,
        envelopes=tuple(envelopes),
        request_id_pattern=pattern,
        request_id_header=_opt(rid, "header", str, file, None, "product.request_id."),
        support_email=_opt(support, "email", str, file, None, "product.support."),
        support_notes=_opt(support, "notes", str, file, None, "product.support.") or "",
        default_retry=default_retry,
        default_host=_opt(raw, "default_host", str, file, None, where) or "example.com",
        health_checks=tuple(checks),
        escalation_checklist=tuple(checklist),
        source=_opt(raw, "source", str, file, None, where) or "",
    )


def _parse_entry(raw: dict, catalog: str, product: Product, file: str, label: str) -> Entry:
    _no_unknown_keys(raw, _ENTRY_KEYS, file, label, "")
    code = _req(raw, "code", str, file, label, "")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]*", code):
        raise CatalogError(file, f"'{code}' may hold only letters, digits, _ . -",
                           entry=label, field="code")
    kind = _opt(raw, "kind", str, file, label, "") or "error"
    _one_of(kind, ENTRY_KINDS, file, label, "kind")
    status = raw.get("http_status")
    if status is not None and (not isinstance(status, int) or isinstance(status, bool)
                               or not 100 <= status <= 599):
        raise CatalogError(file, f"{status!r} is not an HTTP status (100-599)",
                           entry=label, field="http_status")
    if kind == "error" and status is None:
        raise CatalogError(file, "is required for kind 'error'", entry=label, field="http_status")
    resolution = _str_list(raw, "resolution", file, label, "")
    if not resolution:
        raise CatalogError(file, "is required (a list of steps)", entry=label, field="resolution")
    retry_raw = _opt(raw, "retry", dict, file, label, "")
    retry = (_parse_retry(retry_raw, file, label, "retry", default_source="documented")
             if retry_raw is not None else product.default_retry)
    causes = []
    for i, item in enumerate(_opt(raw, "causes", list, file, label, "") or []):
        fld = f"causes[{i}]"
        if not isinstance(item, dict):
            raise CatalogError(file, "must be a mapping with 'cause'", entry=label, field=fld)
        _no_unknown_keys(item, {"cause", "fix"}, file, label, fld + ".")
        causes.append(Cause(cause=_req(item, "cause", str, file, label, fld + "."),
                            fix=_opt(item, "fix", str, file, label, fld + ".") or ""))
    commands = []
    for i, item in enumerate(_opt(raw, "commands", list, file, label, "") or []):
        fld = f"commands[{i}]"
        if not isinstance(item, dict):
            raise CatalogError(file, "must be a mapping with 'label' and 'run'",
                               entry=label, field=fld)
        _no_unknown_keys(item, {"label", "run"}, file, label, fld + ".")
        commands.append(Command(label=_req(item, "label", str, file, label, fld + "."),
                                run=_req(item, "run", str, file, label, fld + ".").rstrip("\n")))
    return Entry(
        catalog=catalog,
        code=code,
        kind=kind,
        title=_opt(raw, "title", str, file, label, "") or code,
        meaning=_req(raw, "meaning", str, file, label, ""),
        resolution=tuple(resolution),
        retry=retry,
        http_status=status,
        category=_opt(raw, "category", str, file, label, "") or "",
        aliases=tuple(_str_list(raw, "aliases", file, label, "")),
        keywords=tuple(_str_list(raw, "keywords", file, label, "")),
        symptoms=tuple(_str_list(raw, "symptoms", file, label, "")),
        causes=tuple(causes),
        commands=tuple(commands),
        related=tuple(_str_list(raw, "related", file, label, "")),
    )


def _parse_retry(raw: dict, file: str, entry: str | None, fld: str,
                 default_source: str) -> RetryPolicy:
    _no_unknown_keys(raw, {"policy", "note", "source"}, file, entry, fld + ".")
    policy = raw.get("policy")
    # YAML 1.1 reads bare yes/no as booleans; accept them as the words they were.
    if isinstance(policy, bool):
        policy = "yes" if policy else "no"
    if policy is None:
        raise CatalogError(file, "is required", entry=entry, field=f"{fld}.policy")
    policy = str(policy)
    _one_of(policy, RETRY_POLICIES, file, entry, f"{fld}.policy")
    source = _opt(raw, "source", str, file, entry, fld + ".") or default_source
    _one_of(source, RETRY_SOURCES, file, entry, f"{fld}.source")
    note = _opt(raw, "note", str, file, entry, fld + ".") or ""
    return RetryPolicy(policy=policy, note=note, source=source)


# --------------------------------------------------------------------------- field helpers


def _req(raw: dict, key: str, kind: type, file: str, entry: str | None, prefix: str) -> Any:
    if key not in raw or raw[key] is None:
        raise CatalogError(file, "is required", entry=entry, field=prefix + key)
    return _typed(raw[key], key, kind, file, entry, prefix)


def _opt(raw: dict, key: str, kind: type, file: str, entry: str | None, prefix: str) -> Any:
    if raw.get(key) is None:
        return None
    return _typed(raw[key], key, kind, file, entry, prefix)


def _typed(value: Any, key: str, kind: type, file: str, entry: str | None, prefix: str) -> Any:
    if kind is str and isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, kind):
        names = {str: "a string", dict: "a mapping", list: "a list"}
        raise CatalogError(file, f"must be {names.get(kind, kind.__name__)}",
                           entry=entry, field=prefix + key)
    if kind is str and not value.strip():
        raise CatalogError(file, "must not be empty", entry=entry, field=prefix + key)
    return value


def _str_list(raw: dict, key: str, file: str, entry: str | None, prefix: str) -> list[str]:
    items = _opt(raw, key, list, file, entry, prefix) or []
    out = []
    for i, item in enumerate(items):
        if isinstance(item, (int, float)) and not isinstance(item, bool):
            item = str(item)
        if not isinstance(item, str) or not item.strip():
            raise CatalogError(file, "must be a non-empty string",
                               entry=entry, field=f"{prefix}{key}[{i}]")
        out.append(item.strip())
    return out


def _one_of(value: str, allowed: Iterable[str], file: str, entry: str | None, fld: str) -> None:
    allowed = tuple(allowed)
    if value not in allowed:
        raise CatalogError(file, f"'{value}' is not one of {', '.join(allowed)}",
                           entry=entry, field=fld)


def _no_unknown_keys(raw: dict, known: set[str], file: str, entry: str | None,
                     prefix: str) -> None:
    for key in raw:
        if key not in known:
            raise CatalogError(file, f"unknown key (expected one of {', '.join(sorted(known))})",
                               entry=entry, field=f"{prefix}{key}")
