"""Catalog files -> a validated `Catalog`; broken files are named, never crash the bot.

Each file is read as YAML, checked against its shape (`bot.catalog.shapes`, the same
shape `errcode catalog schema` prints), then against what a shape cannot say (codes
unique, `related` and `health_failures` naming codes of the file, regexes that compile),
and built into the dataclasses of `bot.catalog.model`. A broken file is refused whole,
with a message naming the file, the entry and the key path:

    catalog/mazevault.yml: entries[3] (RATE_LIMITED): retry.policy: must be one of no, ...

A file that loaded cleanly is remembered in a small cache (`bot.catalog.cache`), keyed
by its exact bytes and by the loader's own code: the next process rebuilds it without
importing YAML or msgspec, so `errcode lookup` starts fast. Broken files are never cached.
"""

from __future__ import annotations

from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING

from bot.catalog import cache as file_cache
from bot.catalog.model import (
    Catalog,
    Cause,
    ChecklistItem,
    Command,
    Deployment,
    Entry,
    HealthCheckSpec,
    HealthFailure,
    Product,
    RetryPolicy,
)
from bot.errors import CatalogError

if TYPE_CHECKING:
    from bot.catalog import shapes
    from bot.validation import Invalid, PathPart


def _shipped_catalog_dir() -> Path:
    """The top-level catalog/ folder, shipped inside the package as `bot.catalog.shipped`
    (pyproject maps it), so an installed wheel finds it from any folder: the folder of that
    package's __init__.py, as importlib.resources.files() names it, without importing
    importlib.resources (with zipfile, tempfile, shutil...: ~20M instructions)."""
    spec = find_spec("bot.catalog.shipped")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("No module named 'bot.catalog.shipped': errcode's catalog")
    return Path(spec.origin).parent


DEFAULT_CATALOG_DIR = _shipped_catalog_dir()
_DEFAULT_RETRY = RetryPolicy("no", "Not documented as retryable.", "default")


def load_catalog(directory: Path | str | None = None, *, strict: bool = True,
                 use_cache: bool = True) -> Catalog:
    """Load every `*.yml` in `directory`.

    strict: the first broken file raises CatalogError. Otherwise broken files are
    skipped (refused whole) and listed in `Catalog.problems`, so a bot keeps
    serving the good catalogs. use_cache: reuse (and remember) files loaded before
    with the same bytes; False reads and validates every file afresh.
    """
    directory = Path(directory) if directory is not None else DEFAULT_CATALOG_DIR
    if not directory.is_dir():
        raise CatalogError(str(directory), "is not a directory")
    paths = sorted(directory.glob("*.yml")) + sorted(directory.glob("*.yaml"))
    if not paths:
        raise CatalogError(str(directory), "contains no *.yml catalog files")
    products: dict[str, Product] = {}
    entries: list[Entry] = []
    problems: list[CatalogError] = []
    remembered = file_cache.CatalogCache.open(directory) if use_cache else None
    for path in paths:
        try:
            product, file_entries = _load_file(path, remembered)
            if product.catalog in products:
                raise CatalogError(_display(path),
                                   f"catalog name '{product.catalog}' is used twice")
        except CatalogError as err:
            if strict:
                raise
            problems.append(err)
            continue
        products[product.catalog] = product
        entries.extend(file_entries)
    if remembered is not None:
        remembered.save()
    if not products:
        raise problems[0] if problems else CatalogError(str(directory), "no usable catalog")
    return Catalog(products=products, entries=tuple(entries), problems=tuple(problems))


@cache
def shipped_catalog() -> Catalog:
    """The catalog shipped with errcode, loaded once: for callers given no catalog."""
    return load_catalog(strict=False)


def check_catalog(directory: Path | str | None = None) -> list[CatalogError]:
    """Every problem in a catalog directory (empty list: all good)."""
    try:
        return list(load_catalog(directory, strict=False, use_cache=False).problems)
    except CatalogError as err:
        return [err]


def load_catalog_file(path: Path) -> tuple[Product, list[Entry]]:
    """Parse and validate one catalog file; raise CatalogError naming what is wrong."""
    return _parse(path, _read(path))


def _load_file(path: Path, remembered: file_cache.CatalogCache | None
               ) -> tuple[Product, list[Entry]]:
    """One file, rebuilt from the cache when its bytes are the ones remembered."""
    data = _read(path)
    if remembered is not None and (hit := remembered.get(path.name, data)) is not None:
        return hit
    product, entries = _parse(path, data)
    if remembered is not None:
        remembered.put(path.name, data, product, entries)
    return product, entries


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise CatalogError(_display(path), f"cannot be read: {err}") from err


def _parse(path: Path, data: bytes) -> tuple[Product, list[Entry]]:
    import yaml  # only for a file not in the cache

    from bot.catalog import shapes
    from bot.validation import Invalid, convert, drop_empty

    name = _display(path)
    try:
        # As Path.read_text reads it: UTF-8, universal newlines.
        text = data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
        # libyaml's loader when PyYAML has it (10x faster on big catalogs); same safe subset.
        raw = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except UnicodeDecodeError as err:
        raise CatalogError(name, f"cannot be read: {err}") from err
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise CatalogError(name, f"is not valid YAML{where}") from err
    if not isinstance(raw, dict):
        raise CatalogError(name, "must be a mapping with 'product' and 'entries'")
    raw = drop_empty(raw)
    try:
        shape = convert(raw, shapes.CatalogFile)
        _check(shape)
    except Invalid as err:
        raise _located(name, raw, err) from None
    catalog = path.stem
    product = _product(shape.product, catalog)
    return product, [_entry(e, catalog, product.default_retry) for e in shape.entries]


def _display(path: Path) -> str:
    """`catalog/x.yml` style name: the parent folder and the file."""
    return f"{path.parent.name}/{path.name}"


def _located(file: str, raw: object, err: Invalid) -> CatalogError:
    """Invalid (a key path) -> CatalogError naming the entry by index and code."""
    from bot.validation import dotted

    path = err.path
    if len(path) >= 2 and path[0] == "entries" and isinstance(path[1], int):
        code = _code_at(raw, path[1])
        return CatalogError(file, err.message, entry=code, index=path[1],
                            field=dotted(path[2:]) or None)
    return CatalogError(file, err.message, field=dotted(path) or None)


def _code_at(raw: object, index: int) -> str | None:
    try:
        code = raw["entries"][index].get("code")  # type: ignore[index]
    except (KeyError, IndexError, TypeError, AttributeError):
        return None
    return str(code) if code is not None else None


# --------------------------------------------------------------------------- beyond the shape


def _check(data: shapes.CatalogFile) -> None:
    """What the shape cannot say; raises Invalid with the key path."""
    from bot.validation import Invalid

    product = data.product
    if product.request_id and product.request_id.pattern:
        _regex(product.request_id.pattern, ("product", "request_id", "pattern"))
    seen: dict[str, int] = {}
    for i, entry in enumerate(data.entries):
        if entry.kind == "error" and entry.http_status is None:
            raise Invalid(("entries", i, "http_status"), "is required for kind 'error'")
        if entry.code in seen:
            raise Invalid(("entries", i, "code"),
                          f"'{entry.code}' is used twice (also entries[{seen[entry.code]}])")
        seen[entry.code] = i
    for i, entry in enumerate(data.entries):
        for j, ref in enumerate(entry.related):
            if ref not in seen:
                raise Invalid(("entries", i, "related", j), f"'{ref}' is not a code in this file")
    for i, rule in enumerate(product.health_failures):
        where: tuple[PathPart, ...] = ("product", "health_failures", i)
        for key in ("component", "path"):
            if (pattern := getattr(rule, key)) is not None:
                _regex(pattern, (*where, key))
        if not (rule.component or rule.path or rule.reason or rule.http_status
                or rule.error_code or rule.admin is not None):
            raise Invalid(where, "needs a condition: component, path, reason, http_status, "
                          "error_code or admin")
        if not (rule.codes or rule.says):
            raise Invalid(where, "needs codes or says (or both)")
        for j, code in enumerate(rule.codes):
            if code not in seen:
                raise Invalid((*where, "codes", j), f"'{code}' is not a code in this file")


def _regex(pattern: str, where: tuple[PathPart, ...]) -> None:
    from bot.validation import Invalid, regex_problem

    if problem := regex_problem(pattern):
        raise Invalid(where, problem)


# --------------------------------------------------------------------------- building


def _retry(raw: shapes.Retry, default_source: str) -> RetryPolicy:
    policy = raw.policy
    # YAML 1.1 reads bare yes/no as booleans; accept them as the words they were.
    if isinstance(policy, bool):
        policy = "yes" if policy else "no"
    return RetryPolicy(policy=policy, note=raw.note, source=raw.source or default_source)


def _product(raw: shapes.Product, catalog: str) -> Product:
    from bot.catalog import shapes

    rid = raw.request_id or shapes.RequestId()
    support = raw.support or shapes.Support()
    return Product(
        catalog=catalog,
        name=raw.name,
        aliases=_texts(raw.aliases),
        code_style=raw.code_style,
        envelopes=raw.envelopes,
        request_id_pattern=rid.pattern,
        request_id_header=rid.header,
        support_email=support.email,
        support_notes=support.notes,
        default_retry=(_retry(raw.default_retry, "default") if raw.default_retry
                       else _DEFAULT_RETRY),
        default_host=raw.default_host,
        health_checks=tuple(HealthCheckSpec(path=c.path, auth=c.auth)
                            for c in raw.health_checks),
        health_failures=tuple(HealthFailure(
            component=f.component, path=f.path, reasons=f.reason, http_status=f.http_status,
            error_code=f.error_code.strip() if f.error_code else None, admin=f.admin,
            says=f.says.strip() if f.says else None, codes=_texts(f.codes))
            for f in raw.health_failures),
        deployments=tuple(Deployment(name=d.name.strip(), words=_texts(d.words))
                          for d in raw.deployments),
        escalation_checklist=tuple(ChecklistItem(key=c.key, label=c.label)
                                   for c in raw.escalation_checklist),
        source=raw.source,
    )


def _entry(raw: shapes.Entry, catalog: str, default_retry: RetryPolicy) -> Entry:
    return Entry(
        catalog=catalog,
        code=raw.code,
        kind=raw.kind,
        title=raw.title or raw.code,
        meaning=raw.meaning,
        resolution=_texts(raw.resolution),
        retry=_retry(raw.retry, "documented") if raw.retry else default_retry,
        http_status=raw.http_status,
        category=raw.category,
        aliases=_texts(raw.aliases),
        said_as=_texts(raw.said_as),
        keywords=_texts(raw.keywords),
        symptoms=_texts(raw.symptoms),
        causes=tuple(Cause(cause=c.cause, fix=c.fix) for c in raw.causes),
        commands=tuple(Command(label=c.label, run=c.run.rstrip("\n"))
                       for c in raw.commands),
        related=_texts(raw.related),
    )


def _texts(items: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(item.strip() for item in items)

