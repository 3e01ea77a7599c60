"""`errcode db check` / `errcode db upgrade` for operators, and migration at serve start:
exit 0 at the latest schema, 1 behind, 2 unreachable; a message, never a traceback, and
never a password."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.store import LATEST, Store


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    monkeypatch.chdir(tmp_path)
    for name in ("ERRCODE_CONFIG", "ERRCODE_STORAGE_PATH", "SLACK_BOT_TOKEN",
                 "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_check_then_upgrade_then_check(env: pytest.MonkeyPatch, store_url: str,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    env.setenv("ERRCODE_STORAGE_URL", store_url)
    assert main(["db", "check"]) == 1
    assert "run `errcode db upgrade`" in capsys.readouterr().out
    assert main(["db", "upgrade"]) == 0
    assert f"from schema version 0 to {LATEST}" in capsys.readouterr().out
    assert main(["db", "check"]) == 0
    assert f"at schema version {LATEST} (the latest)" in capsys.readouterr().out
    assert main(["db", "upgrade"]) == 0
    assert "already at schema version" in capsys.readouterr().out


def test_check_says_behind_for_an_older_schema(env: pytest.MonkeyPatch, store_url: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    env.setenv("ERRCODE_STORAGE_URL", store_url)
    with Store(store_url) as store, store._backend.transaction() as tx:
        tx.execute("UPDATE schema_version SET version = 1")
    assert main(["db", "check"]) == 1
    assert f"at schema version 1, the latest is {LATEST}" in capsys.readouterr().out


def test_unreachable_database_exits_2_without_password_or_traceback(
        env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    env.setenv("ERRCODE_STORAGE_URL", "postgresql://errcode:hunter2-secret@127.0.0.1:1/errcode")
    for command in (["db", "check"], ["db", "upgrade"], ["config", "check"]):
        code = main(command)
        out, err = capsys.readouterr()
        assert "hunter2-secret" not in out + err
        assert "Traceback" not in err
        if command[0] == "db":
            assert code == 2 and "storage unreachable" in err and "***" in err


def test_serve_migrates_before_it_checks_slack(env: pytest.MonkeyPatch, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "fresh" / "errcode.db"
    env.setenv("ERRCODE_STORAGE_URL", f"sqlite:///{db}")
    assert main(["serve", "--http"]) == 2  # no SLACK_BOT_TOKEN: stops after migrating
    assert "SLACK_BOT_TOKEN" in capsys.readouterr().err
    with Store(db, migrate=False) as store:
        assert store.schema_version() == LATEST


def test_serve_with_unreachable_storage_stops_with_a_message(
        env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    env.setenv("ERRCODE_STORAGE_URL", "postgresql://errcode:hunter2-secret@127.0.0.1:1/e")
    assert main(["serve", "--http"]) == 2
    err = capsys.readouterr().err
    assert "cannot connect" in err and "hunter2-secret" not in err and "Traceback" not in err
