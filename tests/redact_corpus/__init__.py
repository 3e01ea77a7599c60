"""The redaction corpus: secret formats (formats.yml) and fresh fake values for them.

formats.yml holds data only: for each format, where it comes from (a gitleaks rule, a
detect-secrets plugin or its tests, or an errcode issue), how it appears in a paste (a
template with `{secret}`, and `{name}` for any further secret of the same paste), a spec
for generating a fake value, and the context around it that must survive redaction.

A spec is a list of parts, joined: a string is literal; `[charset, n]` or
`[charset, min, max]` is a random run (`charsets:` in formats.yml names them); a mapping
is a structured value: `{jwt: signed|unsigned|unsigned-dot}`, `{base64: nbytes}`,
`{basic: user}` (base64 of `user:password`) or `{uuid: lower|upper}`.
Random runs of a charset with symbols start and end with a letter or digit, as real
generators do (and as a bare value must, to be told from its punctuation).
"""

from __future__ import annotations

import base64
import json
import random
import string
import uuid
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

FORMATS_PATH = Path(__file__).with_name("formats.yml")
_ALNUM = string.ascii_letters + string.digits


@dataclass(frozen=True)
class Format:
    id: str
    source: str
    template: str
    secrets: dict[str, Any]  # placeholder name -> spec
    keep: tuple[str, ...] = ()


@dataclass(frozen=True)
class Context:
    text: str  # with `{paste}`
    keep: tuple[str, ...] = ()


@dataclass(frozen=True)
class Corpus:
    charsets: dict[str, str]
    contexts: tuple[Context, ...]
    formats: tuple[Format, ...]
    clean: tuple[str, ...] = field(default=())
    coverage: dict[str, Any] = field(default_factory=dict)  # rule ids, plugins, exceptions


@dataclass(frozen=True)
class Sample:
    text: str  # the paste, secrets filled in
    secrets: tuple[str, ...]  # the fake values
    random_runs: tuple[str, ...]  # their random parts (no piece of these may survive)


@cache
def load(path: Path = FORMATS_PATH) -> Corpus:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    charsets = {name: _expand(chars) for name, chars in data["charsets"].items()}
    contexts = tuple(Context(c["text"], tuple(c.get("keep", ()))) for c in data["contexts"])
    formats = []
    for f in data["formats"]:
        secrets = {"secret": f["secret"], **(f.get("more") or {})}
        formats.append(Format(f["id"], f["source"], f["template"], secrets,
                              tuple(f.get("keep", ()))))
    return Corpus(charsets, contexts, tuple(formats), tuple(data.get("clean", ())),
                  data.get("coverage", {}))


def _expand(chars: str) -> str:
    """`a-z` style ranges and literal characters; `\\-` is a literal dash."""
    out: list[str] = []
    i = 0
    while i < len(chars):
        if chars[i] == "\\" and i + 1 < len(chars):
            out.append(chars[i + 1])
            i += 2
        elif i + 2 < len(chars) and chars[i + 1] == "-":
            out.extend(chr(c) for c in range(ord(chars[i]), ord(chars[i + 2]) + 1))
            i += 3
        else:
            out.append(chars[i])
            i += 1
    return "".join(dict.fromkeys(out))


def generate(spec: list[Any], rnd: random.Random, charsets: dict[str, str]
             ) -> tuple[str, list[str]]:
    """A fresh fake value for `spec` and its random parts."""
    value: list[str] = []
    runs: list[str] = []
    for part in spec:
        if isinstance(part, str):
            value.append(part)
        elif isinstance(part, list):
            chars = charsets[part[0]]
            n = part[1] if len(part) == 2 else rnd.randint(part[1], part[2])
            run = _run(chars, n, rnd)
            value.append(run)
            runs.append(run)
        elif isinstance(part, dict):
            made, made_runs = _structured(part, rnd)
            value.append(made)
            runs.extend(made_runs)
        else:
            raise TypeError(f"bad spec part {part!r}")
    return "".join(value), runs


def _run(chars: str, n: int, rnd: random.Random) -> str:
    run = [rnd.choice(chars) for _ in range(n)]
    edge = [c for c in chars if c in _ALNUM]
    if n >= 3 and len(edge) < len(chars):
        run[0], run[-1] = rnd.choice(edge), rnd.choice(edge)
    return "".join(run)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _structured(part: dict[str, Any], rnd: random.Random) -> tuple[str, list[str]]:
    (kind, arg), = part.items()
    if kind == "jwt":
        header = _b64url(json.dumps({"alg": rnd.choice(["HS256", "RS256", "ES256"]),
                                     "typ": "JWT"}).encode())
        if arg != "signed":
            header = _b64url(b'{"alg":"none","typ":"JWT"}')
        claims = {"sub": "".join(rnd.choice(_ALNUM) for _ in range(16)),
                  "iat": rnd.randint(1_600_000_000, 1_900_000_000),
                  "jti": "".join(rnd.choice(_ALNUM) for _ in range(12))}
        payload = _b64url(json.dumps(claims).encode())
        if arg == "signed":
            signature = _b64url(rnd.randbytes(32))
            return f"{header}.{payload}.{signature}", [payload, signature]
        return f"{header}.{payload}" + ("." if arg == "unsigned-dot" else ""), [payload]
    if kind == "base64":
        encoded = base64.b64encode(rnd.randbytes(arg)).decode()
        return encoded, [encoded.rstrip("=")]
    if kind == "basic":
        password = "".join(rnd.choice(_ALNUM) for _ in range(14))
        encoded = base64.b64encode(f"{arg}:{password}".encode()).decode()
        return encoded, [encoded.rstrip("=")]
    if kind == "uuid":
        made = str(uuid.UUID(int=rnd.getrandbits(128), version=4))
        return (made.upper() if arg == "upper" else made), [made.replace("-", "")[:12]]
    raise ValueError(f"unknown structured part {kind!r}")


def sample(fmt: Format, rnd: random.Random, charsets: dict[str, str]) -> Sample:
    text = fmt.template
    secrets: list[str] = []
    runs: list[str] = []
    for name, spec in fmt.secrets.items():
        value, value_runs = generate(spec, rnd, charsets)
        text = text.replace("{" + name + "}", value)
        secrets.append(value)
        runs.extend(value_runs)
    return Sample(text, tuple(secrets), tuple(runs))
