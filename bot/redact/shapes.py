"""Credentials known by their shape alone, with no key around them: the prefixed
tokens of the gitleaks rules and detect-secrets plugins (xoxb-, ghp_, glpat-, AKIA,
sk_live_, hvs., dapi, SG., npm_, pypi-, sk-ant-, ...), JWTs (signed or not, and
base64-encoded), infix shapes (Azure AD, Terraform Cloud, Mailchimp, Telegram) and
webhook URLs. tests/redact_corpus/formats.yml names the source of each.

All prefixed shapes are one regex, grouped by first character, so the engine tests one
branch per character; adding a shape is adding a row to `_SHAPES`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from bot.redact.values import Hit, lines_matching, lines_with

__all__ = ["scan_shapes"]

# Credentials recognisable without a key: the prefixed formats of the gitleaks rules and the
# detect-secrets plugins (tests/redact_corpus/formats.yml names each). Every entry starts
# with a literal character; `weak` entries must also contain a digit.
_B = r"(?![A-Za-z0-9_-])"  # the token ends here
_AUTHRESS = (r"[A-Za-z0-9]{5,30}\.[A-Za-z0-9]{4,6}\.acc[_-][A-Za-z0-9-]{10,32}"
             r"\.[A-Za-z0-9+/_=-]{30,120}" + _B)
_SHAPES: tuple[tuple[str, str], ...] = (
    # Slack
    (r"xox(?:[abposre]|e\.xox[bp])-[A-Za-z0-9-]{10,1024}", ""),
    (r"xapp-[0-9]-[A-Za-z0-9-]{10,1024}", ""),
    (r"xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16}" + _B, ""),
    # GitHub, GitLab
    (r"gh[pousr]_[A-Za-z0-9_]{30,255}" + _B, ""),
    (r"github_pat_[A-Za-z0-9_]{20,255}" + _B, ""),
    (r"gl(?:pat|dt|ft|soat|rt|cbt|imt|ptt|agent|oas|ffct)-[A-Za-z0-9_-]{20,1024}"
     r"(?:\.[0-9a-z]{9})?" + _B, ""),
    (r"GR1348941[A-Za-z0-9_-]{20,50}" + _B, ""),
    (r"glc_[A-Za-z0-9+/]{32,400}={0,3}(?![A-Za-z0-9+/=_-])", ""),
    (r"glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}" + _B, ""),
    # cloud providers
    (r"A(?:3T[A-Z0-9]|KIA|SIA|BIA|CCA)[A-Z0-9]{16}(?![A-Za-z0-9])", ""),
    (r"ABSK[A-Za-z0-9+/]{100,300}={0,2}(?![A-Za-z0-9+/=])", ""),
    (r"bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t[A-Za-z0-9+/=%_-]{0,4096}", ""),
    (r"AIza[A-Za-z0-9_-]{30,60}" + _B, ""),
    (r"LTAI[A-Za-z0-9]{20}(?![A-Za-z0-9])", ""),
    (r"AQVN[A-Za-z0-9_-]{35,38}" + _B, ""),
    (r"t1\.[A-Za-z0-9_-]{10,200}={0,2}\.[A-Za-z0-9_-]{86}={0,2}" + _B, ""),
    (r"do[opr]_v1_[a-f0-9]{64}" + _B, ""),
    (r"dapi[a-f0-9]{32}(?:-[0-9])?" + _B, ""),
    (r"v1\.0-[a-f0-9]{24}-[a-f0-9]{146}" + _B, ""),
    (r"sha256~[A-Za-z0-9_-]{43}" + _B, ""),
    (r"HRKU-[A-Za-z0-9_-]{20,100}" + _B, ""),
    (r"hv[sb]\.[A-Za-z0-9_-]{20,400}" + _B, ""),
    (r"s\.[A-Za-z0-9]{24}(?![A-Za-z0-9_.-])", "weak"),  # legacy Vault token
    (r"f(?:o1_[A-Za-z0-9_-]{43}|m(?:1[ar]|2)_[A-Za-z0-9+/]{100,8192}={0,3})"
     r"(?![A-Za-z0-9+/=_-])", ""),
    (r"ops_eyJ[A-Za-z0-9+/]{100,8192}={0,3}(?![A-Za-z0-9+/=])", ""),
    (r"A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}"
     r"-[A-Z0-9]{5}(?![A-Za-z0-9])", ""),
    (r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}", ""),
    (r"pat[A-Za-z0-9]{14}\.[a-f0-9]{64}" + _B, ""),  # Airtable personal access token
    # payments, SaaS
    (r"sk_(?:live|test|prod)_[A-Za-z0-9]{8,255}" + _B, ""),
    (r"rk_(?:live|test|prod)_[A-Za-z0-9]{8,255}" + _B, ""),
    (r"whsec_[A-Za-z0-9+/=]{16,255}", ""),
    (r"sq0(?:atp|csp|idp)-[A-Za-z0-9_\\-]{22,60}" + _B, ""),
    (r"EAA[ACM][A-Za-z0-9_-]{22,1024}" + _B, "weak"),
    (r"AC[0-9A-Za-z]{32}(?![A-Za-z0-9])", "weak"),  # Twilio
    (r"SK[0-9A-Za-z]{32}(?![A-Za-z0-9])", "weak"),
    (r"SG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{16,64}" + _B, ""),
    (r"npm_[A-Za-z0-9]{30,255}" + _B, ""),
    (r"pypi-AgE(?:IcHlwaS5vcmc|NdGVzdC5weXBpLm9yZw)[A-Za-z0-9_-]{50,4096}" + _B, ""),
    (r"rubygems_[a-f0-9]{48}" + _B, ""),
    (r"CLOJARS_[A-Za-z0-9]{60}" + _B, ""),
    (r"sk-(?:ant-(?:api|admin|sid|oat)[0-9]{2}-[A-Za-z0-9_-]{20,400}|(?:proj|svcacct|admin)"
     r"-[A-Za-z0-9_-]{20,400}|[A-Za-z0-9_-]{0,200}T3BlbkFJ[A-Za-z0-9_-]{20,200})" + _B, ""),
    (r"sk-[A-Za-z0-9_-]{32,400}" + _B, "weak"),
    (r"pplx-[A-Za-z0-9]{48}" + _B, ""),
    (r"hf_[A-Za-z0-9]{30,40}" + _B, ""),
    (r"api_org_[A-Za-z0-9]{30,40}" + _B, ""),
    (r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}" + _B, ""),
    (r"lin_api_[A-Za-z0-9]{40}" + _B, ""),
    (r"NR(?:AK|II|JS)-[A-Za-z0-9-]{19,40}" + _B, ""),
    (r"ntn_[A-Za-z0-9]{40,50}" + _B, ""),
    (r"API-[A-Z0-9]{26}(?![A-Za-z0-9])", ""),
    (r"pscale_(?:tkn|oauth|pw)_[A-Za-z0-9_=.-]{32,64}" + _B, ""),
    (r"PMAK-[a-fA-F0-9]{24}-[a-fA-F0-9]{34}" + _B, ""),
    (r"pnu_[A-Za-z0-9]{36}" + _B, ""),
    (r"pul-[a-f0-9]{40}" + _B, ""),
    (r"rdme_[a-z0-9]{70}" + _B, ""),
    (r"tk-us-[A-Za-z0-9_-]{48}" + _B, ""),
    (r"sntrys_eyJ[A-Za-z0-9+/=_]{20,1024}" + _B, ""),
    (r"sntryu_[a-f0-9]{64}" + _B, ""),
    (r"sm_(?:aat|pat|sat)_[A-Za-z0-9]{16}" + _B, ""),
    (r"shippo_(?:live|test)_[a-fA-F0-9]{40}" + _B, ""),
    (r"tfp_[A-Za-z0-9_.=-]{59}" + _B, ""),
    (r"AKC[A-Za-z0-9]{10,100}(?![A-Za-z0-9])", "weak"),
    (r"AP[0-9A-F][A-Za-z0-9]{8,100}(?![A-Za-z0-9])", "weak"),
    (r"cmVmd[A-Za-z0-9]{59}(?![A-Za-z0-9])", ""),
    (r"4b1d[A-Za-z0-9]{38}(?![A-Za-z0-9])", ""),
    (r"p8e-[A-Za-z0-9]{32}" + _B, ""),
    (r"ATATT3[A-Za-z0-9_=-]{100,300}" + _B, ""),
    (r"s(?:c|cauth)_" + _AUTHRESS, ""),
    (r"ext_" + _AUTHRESS, ""),
    (r"authress_" + _AUTHRESS, ""),
    (r"dp\.(?:pt|st|ct|sa|scim|audit)\.[A-Za-z0-9]{40,44}" + _B, ""),
    (r"dt0c01\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{64}" + _B, ""),
    (r"duffel_(?:test|live)_[A-Za-z0-9_=-]{43}" + _B, ""),
    (r"EZ[AT]K[A-Za-z0-9]{54}(?![A-Za-z0-9])", ""),
    (r"FLW(?:SECK|PUBK)_TEST-[A-Za-z0-9]{12,32}(?:-X)?" + _B, ""),
    (r"fio-u-[A-Za-z0-9_=-]{64}" + _B, ""),
    (r"ico-[A-Za-z0-9]{32}" + _B, ""),
    (r"s-s4t2(?:ud|af)-[a-f0-9]{64}" + _B, ""),
    (r"sl\.[A-Za-z0-9_=-]{130,150}" + _B, ""),
    (r"sgp_(?:[a-fA-F0-9]{16}_|local_)?[a-fA-F0-9]{40}" + _B, ""),
    (r"pat\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{20}" + _B, ""),  # Harness
    (r"sat\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{20}" + _B, ""),
    ("A" * 22 + r"[A-Za-z0-9%]{80,100}(?![A-Za-z0-9%])", ""),  # Twitter bearer token
    (r"access-(?:sandbox|development|production)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}"
     r"-[0-9a-f]{4}-[0-9a-f]{12}" + _B, ""),
    (r"key-[a-f0-9]{32}" + _B, ""),  # Mailgun
    (r"pubkey-[a-f0-9]{32}" + _B, ""),
    (r"eyJrIjoi[A-Za-z0-9]{70,400}={0,3}(?![A-Za-z0-9=])", ""),  # Grafana API key
    # JWT (header.payload[.signature[...]], unsigned ones too) and base64-encoded JWTs
    (r"eyJ[A-Za-z0-9_-]{4,8192}={0,2}(?:\.[A-Za-z0-9_-]{0,16384}={0,2}){1,4}" + _B, "jwt"),
    (r"ZXlK[A-Za-z0-9+/]{30,16384}={0,2}(?![A-Za-z0-9+/=])", "jwt"),
)


def _shape_regexes() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """One regex for all shapes, grouped by first character (the engine tests one branch
    per character): with a leading non-token character, and for the text's start."""
    groups: dict[str, list[str]] = {}
    for n, (pattern, flag) in enumerate(_SHAPES):
        marker = f"(?P<{flag}{n}>)" if flag else ""
        groups.setdefault(pattern[0], []).append(pattern[1:] + marker)
    trie = "|".join(re.escape(c) + "(?:" + "|".join(rest) + ")" for c, rest in groups.items())
    firsts = "".join(re.escape(c) for c in sorted(groups))
    return re.compile(r"[^A-Za-z0-9_-](?=[" + firsts + "])(?:" + trie + ")"), re.compile(trie)


_SHAPE_RE, _SHAPE_AT_START = _shape_regexes()
_INFIX_SHAPES = (
    # (regex of the distinctive part, what must come right before it, and how far back)
    (re.compile(r"Q~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])"),  # Azure AD client secret
     re.compile(r"(?<![A-Za-z0-9_~.])[A-Za-z0-9_~.]{3}[0-9]"), 4),
    (re.compile(r"\.atlasv1\.[A-Za-z0-9_=-]{60,70}(?![A-Za-z0-9_=-])"),  # Terraform Cloud
     re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{14}"), 14),
    (re.compile(r"_mmk(?![A-Za-z0-9_])"),  # MaxMind license key
     re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{6}_[A-Za-z0-9]{29}"), 36),
    (re.compile(r"-us[0-9]{1,2}(?![A-Za-z0-9_-])"),  # Mailchimp
     re.compile(r"(?<![A-Za-z0-9])[0-9a-z]{32}"), 32),
    (re.compile(r":[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])"),  # Telegram bot token
     re.compile(r"(?:(?<![A-Za-z0-9_-])|(?<=bot))[0-9]{5,16}"), 16),
    (re.compile(r"\|[A-Za-z0-9_-]{27,40}(?![A-Za-z0-9_-])"),  # Facebook app token
     re.compile(r"(?<![A-Za-z0-9])[0-9]{15,16}"), 16),
    (re.compile(r"%7[Cc][A-Za-z0-9_-]{27,40}(?![A-Za-z0-9_-])"),
     re.compile(r"(?<![A-Za-z0-9])[0-9]{15,16}"), 16),
    (re.compile(r"[MNO][A-Za-z0-9_-]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38}"
                r"(?![A-Za-z0-9_-])"), None, 0),  # Discord bot token
)
# Discord's regex starts with a common letter: read only the lines its `.xxxxxx.` is on.
_DISCORD_ANCHOR = re.compile(r"\.[A-Za-z0-9_-]{6}\.")
_WEBHOOK_RE = re.compile(  # every branch starts with `.` or `/`
    r"\.slack\.com/(?<=hooks\.slack\.com/)(?:services|workflows|triggers)/"
    r"(?P<v1>[A-Za-z0-9/_+-]{10,512})"
    r"|\.webhook\.office\.com/webhookb2/(?P<v2>[A-Za-z0-9@/_-]{20,512})"
    r"|/api/webhooks/(?<=discord\.com/api/webhooks/)(?P<v3>[0-9]{5,30}/[A-Za-z0-9_-]{20,256})"
    r"|/api/webhooks/(?<=discordapp\.com/api/webhooks/)(?P<v5>[0-9]{5,30}/[A-Za-z0-9_-]{20,256})"
    r"|\.softlayer\.com/(?<=api\.softlayer\.com/)(?:soap|rest)/v3(?:\.1)?/"
    r"(?P<v4>[A-Za-z0-9]{64})")


_WEBHOOK_NEEDLES = ("slack.com/", "webhook.office.com/", "/api/webhooks/", "softlayer.com/")


def _jwt_span(value: str) -> int | None:
    """Length of the JWT at the start of `value`, or None when it is no JWT."""
    parts = value.split(".")
    if len(parts) < 2 or len(parts[1]) < 2:
        return None
    signed = len(parts) >= 3 and parts[2] != ""
    if not signed and not parts[1].startswith("ey"):
        return None  # an unsigned JWT's payload is JSON too
    if signed and value.endswith("."):
        return len(value) - 1  # the sentence's full stop
    return len(value)


def scan_shapes(text: str, low: str) -> Iterator[Hit]:
    """Every known token shape, JWT and webhook URL secret in `text`."""
    first = _SHAPE_AT_START.match(text)
    matches = ([first] if first else []) + list(_SHAPE_RE.finditer(text))
    for m in matches:
        start = m.start() if m is first else m.start() + 1
        value = text[start:m.end()]
        flag = m.lastgroup or ""
        if flag.startswith("jwt"):
            if value.startswith("eyJ"):
                n = _jwt_span(value)
                if n is None:
                    continue
                value = value[:n]
            yield Hit(start, start + len(value), "jwt", value)
            continue
        if flag.startswith("weak") and (text[start - 1:start] in ("+", "/") or not (
                any(c.isdigit() for c in value) and any(c.isalpha() for c in value[2:]))):
            continue  # (inside a base64 blob, `+AP3x...` is chance)
        yield Hit(start, start + len(value), "token", value)
    for regex, before, width in _INFIX_SHAPES:
        found = (regex.finditer(text) if before is not None else
                 (m for start, end in lines_matching(text, _DISCORD_ANCHOR)
                  for m in regex.finditer(text, start, end)))
        for m in found:
            start = m.start()
            if before is not None:
                b = before.search(text, max(0, start - width), start)
                if not b or b.end() != start:
                    continue
                start = b.start()
            elif start and (text[start - 1].isalnum() or text[start - 1] in "_-"):
                continue
            value = text[start:m.end()]
            if any(c.isdigit() for c in value):
                yield Hit(start, m.end(), "token", value)
    for m in (m for start, end in lines_with(low, _WEBHOOK_NEEDLES)
              for m in _WEBHOOK_RE.finditer(text, start, end)):
        g = m.lastgroup or "v1"
        yield Hit(m.start(g), m.end(g), "token", m[g])
