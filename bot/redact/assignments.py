"""Values of secret keys, in any syntax: `k=v`, `k: v`, `"k": "v"`, `k := v`, `k => v`,
`$k = 'v'`, `var k string = "v"`, `k "v";`, `k("v")`, `--k v`, `<k>v</k>`, `"v" == k`,
name/value pairs (`{"name": k, "value": v}`) and every value of a Kubernetes Secret.

Keys are found from the words they contain (`pass`, `token`, `key`...), one regex per
word with a literal start so the engine skips through a paste in C; each key is judged
once (bot.redact.keys) and only its value is read. Lines that are a plain `key: value`
(what key spam repeats) are read by one more pass, not key by key. A bare value ends at
white space or a quote, and at `&`/`;` only where the next `key=` follows, so
`AccountKey=..;` and ODBC `PWD={..};` connection strings give up their secrets and
nothing after them.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator

from bot.redact.keys import key_kind
from bot.redact.structured import BLOCK_SCALAR, block_scalar, xml_hit
from bot.redact.values import (
    Hit,
    Tails,
    bare_value_hit,
    lines_with,
    plain_value_hit,
    stand_in,
    value_hit,
)

__all__ = ["Runs", "kv_hit", "scan_compare", "scan_k8s_secret", "scan_keys",
           "scan_name_value"]

# Words inside a key that can hold a secret (on the lowercase copy), when an operator
# follows the key: each hit is widened to its whole key, which `key_kind` then judges.
# One regex per word: a literal prefix lets the engine skip through the text in C.
_HINT_WORDS = ("pass", "pw", "secret", "sess", "sig", "token", "key", "auth", "access", "api_id",
               "api-id", "apiid", "cookie", "cred", "client", "contrase", "contribsys")
# (What follows the key is looked at, not taken: a match is the word and the rest of its
# key, and no hint word can start in what follows it.)
_HINT_RES = tuple(re.compile(
    re.escape(word) + r"[\w.-]{0,127}+(?=(?:\\?[\"'`]\]?)?(?:\[[0-9]{0,6}\])?[ \t]{0,8}"
    r"(?:[:=!?.+(,>\"'`]|str|bytes|\[\]byte))") for word in _HINT_WORDS)


def _by_first_letter(words: tuple[str, ...]) -> str:
    """An alternation of `words` grouped by first letter: one test per letter, not per word."""
    groups: dict[str, list[str]] = {}
    for word in words:
        groups.setdefault(word[0], []).append(re.escape(word[1:]))
    return "|".join(re.escape(c) + "(?:" + "|".join(rest) + ")" for c, rest in groups.items())


_FLAG_HINT_RE = re.compile(  # --password x (not a dash inside a word: _flag_hit skips those)
    r"-(?<![A-Za-z0-9_-]-)-?(?=[a-z])(?=[\w.-]{0,127}?(?:" + _by_first_letter(_HINT_WORDS) + "))")
_KEY_RUN = re.compile(r"[\w.-]{1,128}")
_SPAN = re.Match.span
_KEY_OP = (
    r"(?P<kq>\\?[\"'`])?(?P<key>[^\W\d][\w.-]{0,127})(?(kq)(?P=kq)\]?)"
    r"(?:\[[0-9]{0,6}\])?"
    # a type between key and `=`: `apiKey: String = "x"`, `var token string = "x"`
    r"(?:[ \t]{0,8}:[ \t]{0,8}(?:[A-Z][\w.]{0,40}(?:<[\w., ]{0,40}>)?\??|str|string|bytes|any)"
    r"(?=[ \t]{1,8}=[ \t])|[ \t]{1,8}(?:string|String|str|bytes|\[\]byte)(?=[ \t]{0,8}=[^=>]))?"
    r"[ \t]{0,8}(?P<op>=>|:{1,3}=|[?.+]=|!==?|={1,3}|:(?![:/])|,(?=[ \t]{0,8}[\"'`])"
    r"|(?:\.assign)?\((?=[ \t]{0,8}[\"'])|(?<=[ \t])(?=[\"']))[ \t]{0,8}@?")
_KEY_OP_RE = re.compile(_KEY_OP)
# The same for a key that is a whole run of key characters (128 at most): callers want
# the key to end where the run does, so no shorter key is tried (slow where none matches).
_WHOLE_KEY_OP_RE = re.compile(_KEY_OP.replace(r"[\w.-]{0,127})", r"[\w.-]{0,127}+)", 1))
# A bare value ends at whitespace or a quote; `&`/`;` end it only where the next `key=`
# follows (query strings, connection strings): `password=Tr0ub4dor&3` is one secret.
_BARE_FIRST = r"[^\s\"'`<&\\,;{\[]"
_BARE_NEXT = (r"(?:[^\s\"'`<&\\;]|&(?!(?:amp;)?[A-Za-z_][\w.-]{0,63}=)"
              r"|;(?![ \t]{0,8}[A-Za-z_][\w .-]{0,63}=)|\\(?![nrt\"'\\])|<(?![/!?A-Za-z]))")
_BARE_MAX = 65536  # characters of a bare value
_BARE_SHORT = 32  # a bare value that reaches this length is measured by Runs.bare_end
_VALUE_RE = re.compile(
    r"\"(?P<dq>(?:[^\"\\\n]|\\.){0,65536})\""
    r"|'(?P<sq>[^'\n]{0,65536})'"
    r"|`(?P<bq>[^`\n]{0,65536})`"
    r"|\\\"(?P<eq>[^\"\n]{0,65536}?)\\\""
    r"|\\'(?P<esq>[^'\n]{0,65536}?)\\'"
    r"|(?P<tmpl>\$?\{\{[^{}\n]{0,200}\}\})"  # `${{ secrets.X }}`, `{{ vault_password }}`
    r"|[\"'`](?P<open>[^\"'`\n]{1,65536})"  # a quote never closed: a cut-off paste
    r"|\{(?P<brace>[^{}\n]{1,1024})\}(?=[ \t]{0,8}(?:[;\"'\r\n]|$))"  # ODBC `PWD={a;b}`
    r"|(?P<bare>" + _BARE_FIRST + _BARE_NEXT + f"{{0,{_BARE_SHORT - 1}}})")
_BARE_RUN = re.compile(_BARE_NEXT + f"{{0,{_BARE_MAX - 1}}}")
# The same, read faster where they can be: a bare value or run of none of `& ; \ <` (which
# end it or not depending on what follows) and a double-quoted value under 65,536 characters.
_BARE_PLAIN = r"[^\s\"'`<&\\;]"
_BARE_ENDS = ("&", ";", "\\", "<")  # what _BARE_NEXT reads with a look ahead
_FAST_BARE = re.compile(_BARE_FIRST + _BARE_PLAIN + f"{{0,{_BARE_SHORT - 1}}}+(?![&;\\\\<])")
_FAST_BARE_RUN = re.compile(_BARE_PLAIN + f"{{0,{_BARE_MAX - 1}}}+")
_FAST_QUOTED = {  # the first char -> its branch of _VALUE_RE, without the bound
    "\"": re.compile(r'"(?P<dq>[^"\\\n]*+(?:\\.[^"\\\n]*+)*+)"'),
    "'": re.compile(r"'(?P<sq>[^'\n]*+)'"),
    "`": re.compile(r"`(?P<bq>[^`\n]*+)`"),
}
_FLAG_RE = re.compile(  # a bare value: its first character (Runs.flag_end finds its end)
    r"--?(?P<key>[A-Za-z][\w.-]{1,127})(?:=|[ \t]{1,8})(?:\"(?P<dq>[^\"\n]{0,8192})\""
    r"|'(?P<sq>[^'\n]{0,8192})'|(?P<bare>[^\s\"'`-]))")
_FLAG_MAX = 8192
_FLAG_STOP = re.compile(r"[\s\"'`]")


class Runs:
    """Where bare values end, remembered for one text: keys glued in one run (`k=k=k=`)
    have values that end where the run ends, found once instead of once per key (which
    was quadratic: 40 kB of `key=` took 11 s). Tails holds what lies before those ends."""

    __slots__ = ("_bare", "_flag", "_text", "tails")

    def __init__(self, text: str) -> None:
        self._text = text
        self._bare = self._flag = (1, 0)  # a run [lo, hi): every position in it ends at hi
        self.tails = Tails(text)

    def bare_end(self, start: int) -> int:
        """The end of the bare value whose first character is at `start`."""
        lo, hi = self._bare
        if not lo <= start + 1 <= hi:
            pos = start + 1
            while True:  # chunks of _BARE_MAX - 1: what a character may be looks ahead only
                end = _bare_run_end(self._text, pos)
                pos, whole = end, end - pos < _BARE_MAX - 1
                if whole:
                    break
            lo, hi = self._bare = (start + 1, pos)
        return min(hi, start + _BARE_MAX)

    def flag_end(self, start: int) -> int:
        """The end of a flag's bare value whose first character is at `start`."""
        lo, hi = self._flag
        if not lo <= start + 1 <= hi:
            stop = _FLAG_STOP.search(self._text, start + 1)
            lo, hi = self._flag = (start + 1, stop.start() if stop else len(self._text))
        return min(hi, start + _FLAG_MAX)


def _bare_run_end(text: str, pos: int) -> int:
    """Where `_BARE_RUN.match(text, pos)` ends (both match at least nothing)."""
    fast = _FAST_BARE_RUN.match(text, pos)
    end = fast.end() if fast else pos
    if end - pos < _BARE_MAX - 1 and text[end:end + 1] not in _BARE_ENDS:
        return end
    m = _BARE_RUN.match(text, pos)
    return m.end() if m else pos


def _value_at(text: str, pos: int, runs: Runs) -> tuple[str, int, int] | None:
    """(group, start, end) of the value starting at `pos`."""
    first = text[pos:pos + 1]
    quoted = _FAST_QUOTED.get(first)
    if quoted is not None:  # dq, sq, bq: the first three branches of _VALUE_RE
        fast = quoted.match(text, pos)
        if fast and fast.end(1) - fast.start(1) <= 65536:
            return fast.lastgroup or "", fast.start(1), fast.end(1)
    elif first != "$":  # (`${{ x }}` is tmpl) no branch before bare reads any other
        fast = _FAST_BARE.match(text, pos)
        if fast:
            end = fast.end()
            return "bare", pos, runs.bare_end(pos) if end - pos == _BARE_SHORT else end
    m = _VALUE_RE.match(text, pos)
    if not m or not m.lastgroup:
        return None
    group = m.lastgroup
    if group == "bare" and m.end() - pos == _BARE_SHORT:
        return group, pos, runs.bare_end(pos)  # a long run: maybe shared by glued keys
    return group, m.start(group), m.end(group)


def kv_hit(text: str, key: str, kind: str, weak: bool, key_start: int, pos: int,
           op: str = "=", runs: Runs | None = None) -> Hit | None:
    """The secret in the value that starts at `pos`, after `key` and its operator."""
    if text.startswith("[REDACTED:", pos) or text.startswith("[REDACTED:", pos + 1):
        return None  # already done (the second pass of `redact`)
    header = key.lower().endswith(_HEADER_KEYS)
    if header and text[pos:pos + 1] not in ("\"", "'", "`", "\\"):
        return None  # a header line (`Cookie: a=b`): scan_headers takes it
    runs = runs or Runs(text)
    found = _value_at(text, pos, runs)
    if not found:
        return None
    group, start, end = found
    if group == "tmpl":
        return None
    if op in (",", "(") or op == " ":
        if group not in ("dq", "sq", "bq"):
            return None
        after = text[end + 1:end + 65].lstrip(" \t")
        if op in (",", " ") and after[:1] in (":", "="):
            return None  # a key, not a value: `"name": "password", "value": ...`
        if op == "(" and after[:1] not in (")", ","):
            return None
    if group == "bare":
        if header:
            return None
        if end - start <= 4 and BLOCK_SCALAR.fullmatch(text, start, end):
            span = block_scalar(text, key_start, end)
            if not span:
                return None
            return value_hit(kind, key, span[0], text[span[0]:span[1]], True, weak)
        return bare_value_hit(kind, key, text, start, end, weak, runs.tails)
    value = text[start:end]
    if group == "brace" and (":" in value or "\"" in value):
        return None  # a nested structure, not ODBC's `{...}` quoting
    return value_hit(kind, key, start, value, True, weak)


def scan_keys(text: str, low: str) -> Iterator[Hit]:
    """Values of secret keys (`k=v`, `"k": "v"`, `--k v`, `<k>v</k>`...), found from
    the words inside keys: each key is judged once, only its value is scanned."""
    done = 0
    # (start, end) of each hint word and the rest of its key, in text order (no two words
    # start alike, so no two hints start at the same place)
    hints: list[tuple[int, int]] = []
    for regex in _HINT_RES:
        hints += map(_SPAN, regex.finditer(low))
    hints.sort()
    # The plain lines, read along with the hints (each match let go once passed: holding
    # thousands would make the garbage collector go through them again and again).
    lines = _plain_lines(text)
    line, line_end = None, -1
    backwards = ""  # the text reversed, made when first needed: where keys start, in C
    n = len(text)
    runs = Runs(text)
    for ks, ke in hints:
        if ks < done:
            continue
        done = ke
        while line_end < ke:
            line = next(lines, None)
            line_end = n + 1 if line is None else line.end("key")
        # The key of a plain line (all the hints inside it end where it does).
        if line_end == ke and line is not None:
            hit = _plain_hit(line["key"], line.start("v"), line["v"])
            if hit:
                yield hit
            continue
        before = text[ks - 1:ks]
        if before and (before.isalnum() or before in "_.-"):  # the word is inside its key
            backwards = backwards or text[::-1]
            run = _KEY_RUN.match(backwards, n - ks)
            ks -= (run.end() - run.start()) if run else 0
        if ks >= 1 and text[ks - 1] == "\\" and text[ks] in "nrt" and ke - ks > 1:
            ks += 1  # `\nDB_PASSWORD=x` inside a JSON string
        if text[ks] == "-":
            continue  # a flag: below
        hit = xml_hit(text, ks - 1) if ks and text[ks - 1] == "<" else None
        if hit is None:
            while ks < ke and not (text[ks].isalpha() or text[ks] == "_"):
                ks += 1
            hit = _assignment_hit(text, ks, ke, runs) if ks < ke else None
        if hit:
            yield hit
            if hit.end - hit.start > 256:
                done = max(done, hit.end)  # (keys in a short value are judged too)
    done = 0
    for m in _FLAG_HINT_RE.finditer(low):
        if m.start() >= done:
            hit = _flag_hit(text, m.start(), runs)
            if hit:
                yield hit
                done = hit.end


# The commonest assignment, `key=value` / `key: value` with a short value of ASCII letters
# and digits ending its line, read by one match: what _KEY_OP_RE, _VALUE_RE and kv_hit
# would find there (no type, index or quote; a bare value shorter than _BARE_SHORT; not a
# header's key, whose bare value is scan_headers').
_HEADER_KEYS = ("cookie", "cookies", "authorization")
_PLAIN_AFTER_KEY = frozenset(" \t=:")  # what follows the key of a plain assignment
# (Possessive: a shorter key, operator or value could never be followed by what follows it.)
_PLAIN_NOT_HEADER = r"(?<!\.assign)" + "".join(f"(?<!(?i:{word}))" for word in _HEADER_KEYS)
_PLAIN_VALUE = (r"[ \t]{0,8}+(?:=|:)[ \t]{0,8}+(?P<v>[A-Za-z0-9]{1,31}+)"
                r"(?=[ \t]{0,64}+(?:[\r\n]|\Z))")
_PLAIN_ASSIGNMENT = re.compile(r"(?P<key>[^\W\d][\w.-]{0,127}+)" + _PLAIN_NOT_HEADER
                               + _PLAIN_VALUE)
# A whole line that is a plain assignment of an ASCII key (`  db_password_7: S3cr3t7x`), as
# key spam repeats it: all such lines found by one regex pass (the first line by another).
_PLAIN_LINE_BODY = (r"[ \t]*+(?P<key>[A-Za-z_][A-Za-z0-9_.-]{0,127}+)" + _PLAIN_NOT_HEADER
                    + _PLAIN_VALUE)
_PLAIN_LINE = re.compile(r"\n" + _PLAIN_LINE_BODY)  # a literal start: skipped through in C
_PLAIN_FIRST_LINE = re.compile(_PLAIN_LINE_BODY)


def _plain_lines(text: str) -> Iterator[re.Match[str]]:
    """The plain assignment lines of `text`, in text order: for every hint inside such a
    key, what _assignment_hit would find (the key starts the line, so the hint's key is
    all of it), without finding the key's start and reading it again hint by hint."""
    first = _PLAIN_FIRST_LINE.match(text)
    if first:
        yield first
    yield from _PLAIN_LINE.finditer(text)


def _plain_hit(key: str, start: int, value: str) -> Hit | None:
    """The secret of a plain assignment: `key`, its value of ASCII letters and digits."""
    verdict = key_kind(key)
    if verdict is None:
        return None
    kind, weak = verdict
    if kind in ("authorization", "cookie"):
        return value_hit(kind, key, start, value, False, weak)
    return plain_value_hit(kind, start, value, weak)


def _assignment_hit(text: str, ks: int, ke: int, runs: Runs) -> Hit | None:
    key = text[ks:ke]
    if key_kind(key) is None and not key.endswith(".assign"):
        return None  # (what every way below comes to: `secret_type`, `max_tokens`...)
    plain = _PLAIN_ASSIGNMENT.match(text, ks) if text[ke:ke + 1] in _PLAIN_AFTER_KEY else None
    if plain and plain.end("key") == ke and (not ks or text[ks - 1] not in ":\"'`"):
        return _plain_hit(key, plain.start("v"), plain["v"])
    if key_kind(key.removesuffix(".assign")) is None:
        return None
    if (ks >= 2 and text[ks - 1] == ":" and text[ks - 2].isalnum() and text[ke:ke + 1] == ":"
            and text[ke + 1:ke + 2] not in ("\"", "'", " ", "\t", "")):
        return None  # a segment of `arn:aws:secretsmanager:...:secret:name`, not a key
    start = ks
    if ks and text[ks - 1] in "\"'`" and text[ke:ke + 1] in ("\"", "'", "`", "\\"):
        start = ks - 2 if ks >= 2 and text[ks - 2] == "\\" else ks - 1  # a quoted key
    after = text[ke:ke + 1]
    whole = ke - ks <= 128 and not (after and (after.isalnum() or after in "_.-"))
    key_op = _WHOLE_KEY_OP_RE if whole else _KEY_OP_RE
    m = key_op.match(text, start)
    if start < ks and not (m and m.end("key") == ke):
        start = ks  # the quote before the key opens a string, not the key: `-H "X-Api-Key: x"`
        m = key_op.match(text, start)
    if not m or m.end("key") != ke:
        return None
    key = m["key"]
    op = m["op"] or " "
    if op.endswith("("):
        key = key.removesuffix(".assign")
        op = "("
    verdict = key_kind(key)
    if verdict is None:
        return None
    kind, weak = verdict
    if op == "," and not (m["kq"] and text[max(0, start - 64):start].rstrip().endswith("(")):
        return None  # only a call's arguments: `setProperty("API_TOKEN", "x")`
    if op == "(" and (m["kq"] or not key.isalpha()):
        return None  # `secret("x")`, `password("x")`: one word, called
    if op == " " and kind not in ("password", "secret"):
        return None  # `private_key "x";`, `PASSWORD 'x'` (SQL); not `token 'abc' expired`
    return kv_hit(text, key, kind, weak, start, m.end(), op, runs)


def _flag_hit(text: str, ks: int, runs: Runs) -> Hit | None:
    if ks and (text[ks - 1].isalnum() or text[ks - 1] in "_-"):
        return None
    m = _FLAG_RE.match(text, ks)
    if not m:
        return None
    verdict = key_kind(m["key"])
    if verdict is None:
        return None
    group = next(g for g in ("dq", "sq", "bare") if m[g] is not None)
    start = m.start(group)
    if text.startswith("[REDACTED:", start):
        return None
    if group == "bare":
        return bare_value_hit(verdict[0], m["key"], text, start, runs.flag_end(start),
                              verdict[1], runs.tails)
    return value_hit(verdict[0], m["key"], start, m[group], True, verdict[1])


# `{"name": "Cookie", "value": "..."}` (HAR), `- name: DB_PASSWORD` / `value: x` (Kubernetes),
# `<add key="Password" value="x" />` (NuGet, appSettings), Postman environments.
_NAME_VALUE_RES = tuple(re.compile(
    label + r"[\"']?[ \t]{0,8}[:=][ \t]{0,8}(?P<q>[\"']?)(?P<key>[a-z_][\w.-]{0,127}+)(?P=q)"
    r"(?:[ \t]{0,8}[,;]?[ \t]{0,8}|[ \t]{0,8},?[ \t]{0,8}\r?\n[ \t]{0,64}(?:-[ \t]{1,8})?)"
    r"[\"']?value[\"']?[ \t]{0,8}[:=][ \t]{0,8}") for label in ("name", "key"))


def scan_name_value(text: str, low: str) -> Iterator[Hit]:
    """The value of a name/value pair whose name is a secret key."""
    for m in (m for regex in _NAME_VALUE_RES for m in regex.finditer(low)):
        if m.start() and (low[m.start() - 1].isalnum() or low[m.start() - 1] == "_"):
            continue
        key = text[m.start("key"):m.end("key")]
        verdict = key_kind(key)
        if verdict:
            hit = kv_hit(text, key, verdict[0], verdict[1], m.start(), m.end())
            if hit:
                yield hit


_COMPARE_RE = re.compile(  # `if ("x" == password)`
    r"(?P<q>[\"'`])(?P<v>[^\"'`\n]{1,1024})(?P=q)[ \t]{0,8}(?:!==?|={2,3})[ \t]{0,8}"
    r"(?P<key>[A-Za-z_][\w.]{0,127})")


_COMPARE_GATES = (re.compile(r"==[ \t]{0,8}[A-Za-z_]"), re.compile(r"!=[ \t]{0,8}[A-Za-z_]"))


def scan_compare(text: str, low: str) -> Iterator[Hit]:
    """`"x" == password`: a literal compared with a secret key."""
    if not any(gate.search(text) for gate in _COMPARE_GATES):
        return
    for m in (m for start, end in lines_with(low, ("==", "!="))
              for m in _COMPARE_RE.finditer(text, start, end)):
        verdict = key_kind(m["key"])
        if verdict:
            hit = value_hit(verdict[0], m["key"], m.start("v"), m["v"], True, verdict[1])
            if hit:
                yield hit


# ------------------------------------------------------ Kubernetes Secret ----
_K8S_KIND = re.compile(r"kind[\"']?[ \t]{0,8}:[ \t]{0,8}[\"']?secret[\"']?(?![\w-])")
_K8S_DATA = re.compile(r"data:[ \t]{0,8}(?:#[^\n]{0,512})?\r?(?:\n|$)")  # on the lowercase copy
_K8S_DATA_KEY = re.compile(r"(?:^|\n)(?P<ind>[ \t]{0,64})(?:string)?$")
_YAML_ITEM = re.compile(r"[ \t]{1,64}(?P<key>[\w.-]{1,253})[ \t]{0,8}:[ \t]{0,8}")
_K8S_JSON_DATA = re.compile(r"\"(?:data|stringdata)\"[ \t]{0,8}:[ \t]{0,8}\{")
_DOC_SEP = re.compile("\n---")
_JSON_PAIR = re.compile(
    r"[ \t\r\n]{0,256}\"(?P<key>[^\"\n]{1,253})\"[ \t]{0,8}:[ \t]{0,8}"
    r"\"(?P<v>(?:[^\"\\\n]|\\.){0,65536})\"[ \t\r\n]{0,256},?")


class _SecretDocs:
    """Whether the YAML document around a position says `kind: Secret`, each document
    searched once (searching it again for every `data:` in it was quadratic)."""

    def __init__(self, low: str) -> None:
        self._low = low
        self._seps = [m.start() for m in _DOC_SEP.finditer(low)]
        self._known: dict[tuple[int, int], bool] = {}

    def holds(self, pos: int) -> bool:
        seps = self._seps
        i = bisect_right(seps, pos - len("\n---"))  # the last separator wholly before `pos`
        start = seps[i - 1] if i else 0
        j = bisect_left(seps, pos)
        end = seps[j] if j < len(seps) else len(self._low)
        known = self._known.get((start, end))
        if known is None:
            known = self._known[start, end] = _K8S_KIND.search(self._low, start, end) is not None
        return known


def scan_k8s_secret(text: str, low: str) -> Iterator[Hit]:
    """Every value under `data:`/`stringData:` of a `kind: Secret` (YAML or JSON)."""
    if not _K8S_KIND.search(low):
        return
    docs = _SecretDocs(low)
    for m in _K8S_DATA.finditer(low):
        key = _K8S_DATA_KEY.search(low, max(0, m.start() - 72), m.start())
        if not key or not docs.holds(m.start()):
            continue
        indent, pos = len(key["ind"]), m.end()
        for _ in range(4096):
            item = _YAML_ITEM.match(text, pos)
            nl = text.find("\n", pos)
            if item and item.start("key") - pos > indent:
                hit = kv_hit(text, item["key"], "secret", False, item.start("key"), item.end())
                if hit:
                    yield hit
                    nl = text.find("\n", hit.end)
            elif text[pos:nl if nl >= 0 else len(text)].strip()[:1] not in ("", "#"):
                break
            if nl < 0:
                break
            pos = nl + 1
    for m in _K8S_JSON_DATA.finditer(low):
        if not docs.holds(m.start()):
            continue
        pos = m.end()
        for _ in range(4096):
            pair = _JSON_PAIR.match(text, pos)
            if not pair:
                break
            if not stand_in(pair["v"]):
                yield Hit(pair.start("v"), pair.end("v"), "secret", pair["v"])
            pos = pair.end()
