"""The one-match reading of plain `key: value` lines (bot.redact.assignments) agrees with
the general reading around its edges: types, quotes, headers, stand-ins, long values."""

from __future__ import annotations

import pytest

from bot.redact import redact


@pytest.mark.parametrize(("text", "expected"), [
    ("db_password_7: S3cr3t7x\n", "db_password_7: [REDACTED:password#1]\n"),
    ("password: String = Zz9zz9zz\n", "password: String = [REDACTED:password#1]\n"),
    ("Cookie: abc123\n", "Cookie: [REDACTED:cookie#1]\n"),
    ("x:password:abc1\n", "x:password:abc1\n"),
    ("\"password\": abc1\n", "\"password\": [REDACTED:password#1]\n"),
    ("password = None\n", "password = None\n"),
    ("api_key: xxxxxxxx\n", "api_key: xxxxxxxx\n"),
    ("token: abcdefgh\n", "token: [REDACTED:token#1]\n"),
    ("secret.assign=Zz9zz9zz\n", "secret.assign=[REDACTED:secret#1]\n"),
    ("password=hunter2 user=bob\n", "password=[REDACTED:password#1] user=bob\n"),
    ("PWD=abc\n", "PWD=[REDACTED:password#1]\n"),
    ("password:: abc\n", "password:: abc\n"),
    ("_session: Zz9zz9zz\n", "_session: [REDACTED:cookie#1]\n"),
    ("password: " + "A1" * 16 + "\n", "password: [REDACTED:password#1]\n"),
])
def test_plain_assignment_lines(text: str, expected: str) -> None:
    assert redact(text).text == expected


def test_numbered_spam_every_value_goes() -> None:
    text = "".join(f"db_password_{i}: S3cr3t{i}x\n" for i in range(2000))
    result = redact(text)
    assert result.count == 2000
    assert "S3cr3t" not in result.text
