"""How `errcode lookup` starts and ends quickly, without changing what it does."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli.parser import build_parser, main, plain_lookup

ROOT = Path(__file__).resolve().parents[1]

PLAIN = [["lookup"], ["lookup", "RATE_LIMITED"], ["lookup", "rate", "limited"],
         ["lookup", "-"], ["lookup", ""], ["lookup", "--json"], ["lookup", "--json", "a", "b"],
         ["lookup", "a", "b", "--json"], ["lookup", "a", "-", "b"], ["lookup", "a b", "c=d"]]
FOR_THE_PARSER = [[], ["--version"], ["redact"], ["lookup", "--help"], ["lookup", "-h"],
                  ["lookup", "--js", "a"], ["lookup", "--product", "x", "a"],
                  ["lookup", "--catalog", "d", "a"], ["lookup", "--config", "c", "a"],
                  ["lookup", "a", "--json", "b"], ["lookup", "--json", "a", "--json"],
                  ["lookup", "--json", "--json"], ["lookup", "-1"], ["lookup", "--", "-x"],
                  ["lookup", "-x"], ["lookups", "a"]]


@pytest.mark.parametrize("words", PLAIN)
def test_a_plain_lookup_is_read_as_the_parser_reads_it(words):
    assert plain_lookup(words) == build_parser("lookup").parse_args(words)


@pytest.mark.parametrize("words", FOR_THE_PARSER)
def test_anything_else_is_left_to_the_parser(words):
    assert plain_lookup(words) is None


def test_main_called_in_process_returns_and_restores_the_collector(capsys):
    assert gc.isenabled()
    assert main(["lookup", "RATE_LIMITED"]) == 0
    assert gc.isenabled()
    assert "RATE_LIMITED" in capsys.readouterr().out


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, text=True,
                          capture_output=True, cwd=ROOT, timeout=60)


def test_the_program_flushes_its_answer_and_keeps_its_exit_code():
    """The process ends without tearing the interpreter down: the output is all there
    (into a pipe, so block-buffered) and the exit codes are the usual ones."""
    paste = "\n".join(f"line {i}: mazevault HTTP 429 RATE_LIMITED" for i in range(2000))
    out = run("lookup", "-", stdin=paste)
    assert out.returncode == 0 and out.stdout.startswith("RATE_LIMITED") and not out.stderr
    redacted = run("redact", "-", stdin="password=hunter2\n" * 5000)
    assert redacted.returncode == 0 and redacted.stdout.count("[REDACTED:") == 5000
    assert "5000 places" in redacted.stderr
    assert run("lookup", "lunch at noon?").returncode == 1
    assert run("lookup", stdin="").returncode == 2
    assert run("redact", "--check", "-", stdin="password=hunter2\n").returncode == 1


def test_version_builds_no_command_and_says_the_same():
    from bot import __version__

    for words in (["--version"], ["--version", "lookup", "x"], ["--version", "--bogus"]):
        out = run(*words)
        assert (out.returncode, out.stdout, out.stderr) == (0, f"errcode {__version__}\n", "")
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0


def test_a_closed_pipe_is_reported_as_python_reports_it():
    """`errcode lookup ... | head -c0`: Python's own exit reports the failed flush."""
    proc = subprocess.Popen([sys.executable, "-m", "bot", "lookup", "--json", "-"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=ROOT)
    assert proc.stdout is not None
    proc.stdout.close()
    _, err = proc.communicate(b"RATE_LIMITED " * 1000, timeout=60)
    assert proc.returncode in (0, 120), err
