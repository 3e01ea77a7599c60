"""The shape of a catalog file, as msgspec structs: what `load` validates against and what
`errcode catalog schema` prints as JSON Schema (catalog/catalog.schema.json).

Descriptions here are what an editor shows while someone writes a catalog file; keep
them in step with catalog/README.md.
"""

from __future__ import annotations

import json
from typing import Annotated, Literal

from msgspec import Meta

from bot.validation import Shape

Text = Annotated[str, Meta(pattern=r"\S", extra={"what": "non-empty text"})]
Texts = tuple[Text, ...]
Policy = Annotated[
    Literal["no", "rarely", "yes", "once"] | bool,
    Meta(description="Whether retrying can help: no | rarely | yes | once (bare yes/no are "
         "fine).", extra={"what": "one of no, rarely, yes, once"})]
Code = Annotated[str, Meta(
    pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$",
    description="The exact documented spelling; unique in the file.",
    extra={"what": "a code of letters, digits, _ . - (starting with a letter or digit)"})]
HttpStatus = Annotated[int, Meta(ge=100, le=599, extra={"what": "an HTTP status from 100 to 599"})]
Reason = Literal["components", "status", "body", "auth", "forbidden", "not_found", "http_error",
                 "server_error", "redirect", "timeout", "refused", "dns", "tls_unknown_ca",
                 "tls", "connect"]


def _doc(text: str) -> Meta:
    return Meta(description=text)


class Retry(Shape, kw_only=True, frozen=True):
    """Whether an error is worth retrying, and where that judgement comes from."""

    policy: Policy
    note: Annotated[str, _doc("Why, in the document's words.")] = ""
    source: Annotated[Literal["documented", "derived", "default"], _doc(
        "documented (the document says so), derived (implied by it) or default.")] | None = None


class RequestId(Shape, kw_only=True, frozen=True):
    """How the product's request ids look in pastes."""

    pattern: Annotated[Text, _doc("Regular expression for a request id, e.g. req_[A-Za-z0-9]+")
                       ] | None = None
    header: Annotated[Text, _doc("Response header carrying it, e.g. X-Request-ID")] | None = None


class Support(Shape, kw_only=True, frozen=True):
    """Where escalations go."""

    email: Annotated[Text, _doc("The vendor's support address (for the email draft).")
                     ] | None = None
    notes: str = ""


class HealthCheck(Shape, kw_only=True, frozen=True):
    """A documented health endpoint, checked when a target lists no checks of its own."""

    path: Annotated[str, Meta(pattern="^/", description="Path on the target's base URL.",
                              extra={"what": "a path starting with /"})]
    auth: Annotated[Literal["admin"], _doc("admin: only this check gets the admin token.")
                    ] | None = None


class HealthFailure(Shape, kw_only=True, frozen=True):
    """What a failed health check means for this product. Every condition given must hold."""

    component: Annotated[Text, _doc(
        "Regular expression (case-insensitive) on the name of a component that is not "
        "healthy, e.g. data[ _-]?base|postgres")] | None = None
    path: Annotated[Text, _doc("Regular expression (case-insensitive) on the failed check's "
                               "path, e.g. ocsp")] | None = None
    reason: Annotated[tuple[Reason, ...], _doc(
        "Why the check failed, any of: refused, timeout, dns, connect (network); tls, "
        "tls_unknown_ca; auth (401), forbidden (403), not_found, server_error (5xx), "
        "http_error; components, status, body (the answer said unhealthy); redirect.")] = ()
    http_status: Annotated[HttpStatus, _doc("The HTTP status the check got.")] | None = None
    error_code: Annotated[Text, _doc("The code in the health answer's error envelope.")
                          ] | None = None
    admin: Annotated[bool, _doc("true: only admin checks; false: only the others.")
                     ] | None = None
    says: Annotated[Text, _doc(
        "The words the failure is described with for triage, e.g. 'database unhealthy'.")
                    ] | None = None
    codes: Annotated[Texts, _doc(
        "Codes in this file shown for the failure when triage finds nothing confident.")] = ()


class Deployment(Shape, kw_only=True, frozen=True):
    """A deployment type support asks about, and the words people use for it."""

    name: Annotated[Text, _doc("What the escalation packet says, e.g. AKS or on-premise.")]
    words: Annotated[tuple[Text, ...], Meta(
        min_length=1, extra={"what": "a list of words"}, description=(
            "Whole words or phrases found case-insensitively (an all-capitals word such as "
            "AKS only as written); a space or - in a phrase also matches the other or none."))]


class ChecklistItem(Shape, kw_only=True, frozen=True):
    """One thing an escalation to the vendor must carry."""

    key: Annotated[Text, _doc(
        "What fills it: health_output, error_messages, request_ids, details, logs, "
        "steps_to_reproduce, deployment, version, license_key, contact_email; any other key "
        "is asked for.")]
    label: Annotated[Text, _doc("The words support reads.")]


class Product(Shape, kw_only=True, frozen=True):
    """Product-level facts: names, code spelling, envelopes, ids, support and escalation."""

    name: Annotated[Text, _doc("Display name; also a word that names the product in a paste.")]
    aliases: Annotated[Texts, _doc("Other names people type, e.g. scai vault.")] = ()
    code_style: Annotated[Literal["upper_snake", "lower_snake", "any"], _doc(
        "How codes are spelled.")] = "any"
    envelopes: Annotated[tuple[Literal["nested_error", "flat_error", "code_field", "json_log"],
                               ...], _doc("JSON error shapes the product emits.")] = ()
    request_id: RequestId | None = None
    support: Support | None = None
    default_retry: Annotated[Retry, _doc("For entries with no retry of their own.")
                             ] | None = None
    default_host: Annotated[Text, _doc(
        "What {host} in commands becomes when no health target is configured.")
                            ] = "example.com"
    health_checks: tuple[HealthCheck, ...] = ()
    health_failures: Annotated[tuple[HealthFailure, ...], _doc(
        "What failed health checks mean, in order; first rules' codes are shown first.")] = ()
    deployments: Annotated[tuple[Deployment, ...], _doc(
        "Deployment types found in escalation threads; first listed wins.")] = ()
    escalation_checklist: tuple[ChecklistItem, ...] = ()
    source: Annotated[str, _doc("The document this catalog was written from.")] = ""


class Cause(Shape, kw_only=True, frozen=True):
    cause: Text
    fix: str = ""


class Command(Shape, kw_only=True, frozen=True):
    """A diagnostic command, ready to copy; {host} is filled in."""

    label: Text
    run: Text


class Entry(Shape, kw_only=True, frozen=True):
    """One documented error code (kind error) or troubleshooting topic (kind issue)."""

    code: Code
    kind: Annotated[Literal["error", "issue"], _doc(
        "error (default) or issue (a troubleshooting topic; code = heading slug).")] = "error"
    http_status: Annotated[HttpStatus, _doc("Required for kind error.")] | None = None
    title: Annotated[Text, _doc("Short human title (defaults to the code).")] | None = None
    category: str = ""
    meaning: Annotated[Text, _doc("What it means, in the document's words.")]
    resolution: Annotated[tuple[Text, ...], Meta(
        min_length=1, description="Steps, the document's words first.",
        extra={"what": "a list of steps"})]
    retry: Annotated[Retry, _doc("Defaults to product.default_retry.")] | None = None
    aliases: Annotated[Texts, _doc("Other words people use for this error (not typos).")] = ()
    said_as: Annotated[Texts, _doc(
        "How people describe it in their own words, not the document's: matched, never "
        "shown, and no evidence for an answer on its status alone.")] = ()
    keywords: Texts = ()
    symptoms: Annotated[Texts, _doc("Issues: what the user sees.")] = ()
    causes: Annotated[tuple[Cause, ...], _doc("Issues: possible causes with their fix.")] = ()
    commands: tuple[Command, ...] = ()
    related: Annotated[Texts, _doc("Other codes in this file worth a look.")] = ()


# An error entry needs its HTTP status; JSON Schema says so with if/else.
_ENTRY_RULE = {"if": {"properties": {"kind": {"const": "issue"}}, "required": ["kind"]},
               "else": {"required": ["http_status"]}}


class CatalogFile(Shape, kw_only=True, frozen=True):
    """One catalog file: a product and its documented errors."""

    product: Product
    entries: tuple[Annotated[Entry, Meta(extra_json_schema=_ENTRY_RULE)], ...]


def catalog_schema() -> dict:
    """The JSON Schema of a catalog file (what `errcode catalog schema` prints)."""
    import msgspec.json

    schema = msgspec.json.schema(CatalogFile)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "errcode catalog file", **schema}


def catalog_schema_text() -> str:
    """The schema as shipped in catalog/catalog.schema.json (stable, ends with a newline)."""
    return json.dumps(catalog_schema(), indent=2, ensure_ascii=False) + "\n"
