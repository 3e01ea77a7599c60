"""How people say what the documents say: support English folded into catalog words.

A customer writes "we get throttled after ~100 calls", "it asks for a second factor",
"only fails outside business hours"; the documents say "rate limit", "MFA", "time
window". Meaning search (bot.triage.textindex) matches words, so a sentence gains the
documents' words for the phrases it uses. Only the query side is expanded: catalog
phrases keep their size and weight, and an expansion can add evidence, never remove it.

The table is general vocabulary of authentication, HTTP services and secret stores, not
the wording of any one case; it is shared by every catalog (a team's own product gains
it too when its documents use these words).
"""

from __future__ import annotations

import re
from functools import lru_cache

from bot.triage.textindex import terms

# (what people write, the documents' words it adds). Patterns are matched on the
# lowercased sentence, on word boundaries.
_FOLDS: tuple[tuple[str, str], ...] = (
    # Signing in *again* is a session that ended: tried before plain "sign in" (the first
    # fold that matches at a place wins).
    (r"(?:log(?:ged|ging|s)?|sign(?:ed|ing|s)?|kick(?:ed|s)?|bump(?:ed|s)?)"
     r"(?: (?:us|me|them|him|her|everyone|people|users))? out"
     r"|(?:log|sign)(?:ged|ing)? (?:in|on) again|log(?:ged)? back in|re-?authenticat\w*"
     r"|no longer valid|not valid any ?more|too much time|inactiv\w+|idle (?:time|session)",
     "session expired"),
    (r"(?:log(?:ged|ging|s)?|sign(?:ed|ing|s)?)[ -]?(?:in(?:to)?|on(?:to)?)|re-?login", "login"),
    (r"can(?:no|')t (?:even )?(?:parse|be parsed)|unparse?able|garbled|truncated|cut off"
     r"|corrupt\w*",
     "malformed"),
    (r"(?:is ?n[o']t|not) in the (?:right|expected|correct|shape|format)\w*"
     r"|wrong (?:shape|format)|(?:shape|format) it expects", "invalid format"),
    (r"mandatory|(?:is|are) ?n[o']t there|not present|left out|omitted", "missing required"),
    (r"anti-?forgery|xsrf|forgery", "csrf"),
    (r"role (?:\w+ )?(?:does(?: not|n't)|did(?: not|n't)) (?:include|allow|have|cover)"
     r"|(?:viewer|read-?only|reader|auditor) role", "missing permission rbac role"),
    (r"\w+:(?:read|write|admin|delete|list)|read-?only (?:token|key|scope)",
     "insufficient scope"),
    (r"diverg\w*|split[- ]brain|(?:different|conflicting) values", "multi-dc sync conflict"),
    # Two sites are where sync happens; a conflict only when the paste says so.
    (r"(?:two|both|other) (?:sites|sides|regions|datacenters|data centers|dcs)"
     r"|wan link|cross-?(?:site|region|dc)", "multi-dc sync"),
    (r"second factor|two[- ]factor|2fa|multi[- ]factor|totp|otp|one[- ]time (?:code|password)"
     r"|authenticator(?: app)?|step[- ]up", "mfa"),
    (r"throttl\w*|too many (?:requests|calls)|rate[- ]?limit\w*|slow(?:ing)? (?:it )?down"
     r"|come back (?:later|in \d+)", "rate limit"),
    (r"(?:business|working|office|opening) hours|after[- ]hours|outside (?:of )?(?:the )?hours"
     r"|only (?:during|in) the day", "outside time window"),
    (r"already (?:exists?|there|taken|in use|present)|exists already|name (?:is )?taken",
     "already exists"),
    (r"(?:in the )?meantime|someone else (?:changed|edited|modified|updated|saved|wrote)"
     r"|(?:at|around) the same time|simultaneous\w*|concurrent\w*|race condition|overwr\w+"
     r"|changed (?:underneath|under)", "concurrent modification"),
    (r"re-?creat\w*|creat\w* (?:it |them |the secret |the path )?(?:again|back)"
     r"|(?:soft|recently)[- ]deleted|undelet\w*|restore\w* (?:a |the )?deleted",
     "soft-deleted retention"),
    (r"not (?:allowed|permitted|authori[sz]ed)|no (?:permission|access|rights)"
     r"|lack(?:s|ing)? (?:the )?(?:permission|rights|access|privilege)\w*"
     r"|insufficient (?:rights|privileges|permissions)",
     "permission denied"),
    (r"time[sd]? ?out|timing out|took too long|takes forever|never (?:answers|responds)"
     r"|(?:did(?: not|n't)|does(?: not|n't)|not) respond\w*|hang(?:s|ing)?",
     "timeout didn't respond in time"),
    (r"(?:is|was|went|goes|are|were) down|outage|offline|unreachable|not reachable"
     r"|(?:recover\w*|clear(?:s|ed)?|come(?:s)? back|went away) (?:on (?:its|their) own"
     r"|by (?:it|them)sel(?:f|ves))|then recover(?:s|ed)?|blip\w*|flap\w*|transient\w*"
     r"|intermittent\w*|sporadic\w*",
     "unavailable"),
    (r"white ?list\w*|allow ?list\w*|firewall|vpn|egress|source ip|nat gateway"
     r"|(?:our|my|their|the) (?:office |public |new )?ip"
     r"|(?:source|client|home|his|her|my|our|their) (?:ip )?address(?:es)?", "ip allowlist"),
    (r"pagination|next page|page token|paginat\w*", "pagination cursor"),
    (r"interval|ttl|lifetime|(?:retention|rotation) period|\d+ ?(?:days|months|weeks|hours)",
     "duration"),
    (r"wildcard|globs?|globbing|\*\*", "glob pattern"),
    (r"(?:cert(?:ificate)?|ca) chain (?:is )?(?:incomplete|missing)|missing intermediates?",
     "incomplete certificate chain"),
    (r"self[- ]signed|unknown (?:authority|ca|issuer)|untrusted (?:cert\w*|ca|issuer)",
     "certificate signed by unknown authority"),
    (r"(?:key|cert\w*) (?:does(?: not|n't)|did(?: not|n't)) match|wrong (?:private )?key",
     "private key does not match certificate"),
    (r"(?:our|current|paid|enterprise|pro|basic|free|starter|higher|premium|business|trial)"
     r" (?:plan|tier|edition|subscription|licen[cs]e)|licen[cs]ed?|upgrade (?:our |the )?plan"
     r"|enterprise[- ]only|enterprise (?:feature|module|edition)|talk to sales"
     r"|(?:subscription|plan|licen[cs]e) (?:level|(?:does ?n[o']t|does not) (?:include|cover))",
     "license tier"),
    (r"feature flag\w*|(?:turned|switched|gated) off|not (?:enabled|turned on|switched on)"
     r"|never (?:enabled|(?:turned|switched) on)|(?:did ?n[o']t|did not) (?:enable|(?:turn|switch)"
     r"(?: \w+){0,2} on)", "feature disabled"),
    (r"still (?:attached|bound|referenced|in use|used|assigned)|(?:attached|bound) to",
     "in use active bindings"),
    (r"hard (?:limit|cap)|(?:monthly|tenant|account) (?:limit|cap|allowance)|out of quota"
     r"|ceiling|maximum (?:number|count|amount)|max (?:number|count)", "quota exceeded"),
    (r"offboard\w*|(?:killed|ended|terminated|invalidated) (?:all )?(?:of )?(?:his |her |their |"
     r"the |its )?sessions?|deactivated (?:the |his |her |their )?(?:account|user)",
     "revoked"),
    (r"weekdays?|(?:on|at|during) (?:the )?weekends|weekend (?:jobs?|runs?|batch\w*)"
     r"|(?:schedule|time[- ]of[- ]day)[- ]?(?:based )?(?:restriction|rule|limit)\w*"
     r"|(?:mon|tue|wed|thu|fri|sat|sun)\w* ?[-\u2013] ?(?:mon|tue|wed|thu|fri|sat|sun)\w*"
     r"|(?<![0-9:])[0-2]?[0-9]:[0-5][0-9] ?(?:[-\u2013]|to) ?[0-2]?[0-9]:[0-5][0-9](?![0-9:])"
     r"|between [0-2]?[0-9](?::[0-5][0-9]| ?[ap]m) and [0-2]?[0-9](?::[0-5][0-9]| ?[ap]m)"
     r"(?![0-9:])",
     "outside time window"),
    (r"kms|hsm|key management", "kms"),
    (r"(?:ca?n'?t|cannot|could ?n[o']t|unable to|fails? to) verify (?:the )?signature"
     r"|signature (?:verification )?(?:failed|invalid|mismatch|doesn't match)"
     r"|(?:different|another|wrong|other) (?:identity provider|idp|issuer)"
     r"|(?:new|different|rotated|another|wrong) (?:signing key|key ?pair|signer)|token signer",
     "invalid token signature"),
    (r"still (?:hold|have|has|holding|having|own)s? (?:\w+ ){0,2}(?:leases|credentials|creds)",
     "active leases in use"),
    (r"(?:went|gone|goes|is|was|got|become|became) stale|stale (?:token|jwt|credentials?)"
     r"|(?:token|jwt|credentials?) aged out|exp (?:claim )?(?:is )?(?:already )?in the past",
     "token expired"),
)

# One \b pair around the whole alternation, not one per fold: the same matches (a fold that
# fails its closing \b backtracks into the next), 3-4x faster on long threads.
_PATTERN = re.compile(
    r"\b(?:" + "|".join(f"(?P<f{i}>{p})" for i, (p, _) in enumerate(_FOLDS)) + r")\b")
_ADDED: tuple[tuple[str, ...], ...] = tuple(tuple(terms(words)) for _, words in _FOLDS)


# Ids, hashes and keys: a run of 8+ letters and digits with two digits or more. No fold
# reads one, and a thread's messages differ by them message after message.
_ID = re.compile(r"(?<![a-z0-9])(?=[a-z]*[0-9][a-z]*[0-9])(?=[0-9]*[a-z])[a-z0-9]{8,}(?![a-z0-9])")


def added_terms(sentence: str) -> tuple[tuple[str, str], ...]:
    """(term, words as written) for each documents' term the sentence's phrasing adds.

    Read with each id written as `id0`, and cached: escalation threads repeat the same
    sentences with other request ids (2,417 sentences, 111 without their ids), and the
    cache keeps no id, token or key that a sentence held."""
    low = sentence.lower()
    return _added_terms(_ID.sub("id0", low) if _HAS_DIGIT.search(low) else low)


_HAS_DIGIT = re.compile(r"[0-9]")


@lru_cache(maxsize=4096)
def _added_terms(low: str) -> tuple[tuple[str, str], ...]:
    out: dict[str, str] = {}
    for m in _PATTERN.finditer(low):
        written = m.group(0)
        if "id0" in written:
            continue  # a fold through an id (`3f9a0c21e:read`) reads nothing a person said
        index = int(m.lastgroup[1:]) if m.lastgroup else -1
        for term in _ADDED[index]:
            out.setdefault(term, written)
    return tuple(out.items())


# "log" as in logging in or out ("logged out", "can't log in"), not a log file ("backend
# logs", "the log says"): the documents' "log in" must not meet every pasted log line.
_LOG_IN = re.compile(r"\blog(?:ged|ging|s)?[ -]?(?:in|on|out|back|off|us|me|them|him|her)\b")


def expanded_terms(sentence: str) -> list[str]:
    """`terms(sentence)` plus the documents' terms its phrasing adds (each once)."""
    own = terms(sentence)
    if "log" in own and not _LOG_IN.search(sentence.lower()):
        own = [t for t in own if t != "log"]
    seen = set(own)
    return own + [t for t, _ in added_terms(sentence) if t not in seen]
