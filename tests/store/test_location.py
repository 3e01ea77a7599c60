"""Storage URLs: parsed, configured (storage_url / ERRCODE_STORAGE_URL), never shown with
their password."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.config import DEFAULT_STORAGE, load_settings
from bot.errors import ConfigError
from bot.store import Store, StoreError, mask_url, parse_location


@pytest.mark.parametrize(("value", "dialect", "target"), [
    ("sqlite:///relative/errcode.db", "sqlite", "relative/errcode.db"),
    ("sqlite:////var/lib/errcode/errcode.db", "sqlite", "/var/lib/errcode/errcode.db"),
    ("sqlite:///:memory:", "sqlite", ":memory:"),
    ("/plain/path.db", "sqlite", "/plain/path.db"),
    (Path("x.db"), "sqlite", "x.db"),
    ("postgresql://errcode@db:5432/errcode", "postgresql", "postgresql://errcode@db:5432/errcode"),
    ("postgres://errcode@db/errcode", "postgresql", "postgresql://errcode@db/errcode"),
])
def test_storage_urls_name_the_database(value: str | Path, dialect: str, target: str) -> None:
    location = parse_location(value)
    assert (location.dialect, location.target) == (dialect, target)


@pytest.mark.parametrize("value", ["mysql://root@db/errcode", "sqlite://x.db",
                                   "postgresql://errcode@db:5432/"])
def test_bad_storage_urls_are_refused(value: str) -> None:
    with pytest.raises(StoreError):
        parse_location(value)


@pytest.mark.parametrize(("url", "shown"), [
    ("postgresql://errcode:s3cret@db:5432/errcode",
     "postgresql://errcode:***@db:5432/errcode"),
    ("postgresql://errcode@db/errcode?password=s3cret&sslmode=require",
     "postgresql://errcode@db/errcode?password=***&sslmode=require"),
    ("postgresql://errcode@db/errcode", "postgresql://errcode@db/errcode"),
])
def test_passwords_are_masked(url: str, shown: str) -> None:
    assert mask_url(url) == shown
    assert "s3cret" not in repr(parse_location(url))


@pytest.mark.parametrize("url", ["sqlite:////var/lib/errcode/errcode.sqlite3",
                                 "sqlite:///relative/errcode.db", "sqlite:///:memory:"])
def test_sqlite_urls_are_shown_as_given(url: str) -> None:
    """`errcode config check` showed sqlite://var/lib/... (a slash lost: another file)."""
    assert mask_url(url) == url
    assert parse_location(url).url == url


def test_config_check_shows_the_sqlite_url_with_all_its_slashes(tmp_path: Path) -> None:
    absolute = tmp_path / "state" / "errcode.sqlite3"
    settings = load_settings(None, env={"ERRCODE_STORAGE_URL": f"sqlite:///{absolute}"})
    assert settings.store_url_shown == f"sqlite:///{absolute}"
    assert settings.store_url_shown.startswith("sqlite:////")
    by_path = load_settings(None, env={"ERRCODE_STORAGE_PATH": str(absolute)})
    assert by_path.store_url_shown == f"sqlite:///{absolute}"


def test_unreachable_server_fails_fast_without_showing_the_password() -> None:
    t0 = time.monotonic()
    with pytest.raises(StoreError) as info:
        Store("postgresql://errcode:hunter2-secret@127.0.0.1:1/errcode", timeout_s=1.0)
    assert time.monotonic() - t0 < 5
    message = str(info.value)
    assert "hunter2-secret" not in message and "***" in message
    assert "cannot connect" in message


# -- configuration ----------------------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "errcode.yml"
    path.write_text(text)
    return path


def test_default_store_is_the_sqlite_file_at_the_default_path() -> None:
    settings = load_settings(None, env={})
    assert settings.storage_url is None
    assert settings.store_url == f"sqlite:///{DEFAULT_STORAGE}"


def test_storage_url_from_the_environment_wins_over_the_file(tmp_path: Path) -> None:
    cfg = write(tmp_path, "storage_url: sqlite:///from-file.db\n")
    env = {"ERRCODE_STORAGE_URL": "postgresql://errcode:pw@db:5432/errcode"}
    settings = load_settings(cfg, env=env)
    assert settings.store_url == "postgresql://errcode:pw@db:5432/errcode"
    assert settings.store_url_shown == "postgresql://errcode:***@db:5432/errcode"
    assert "pw@" not in repr(settings)


def test_relative_sqlite_url_is_relative_to_the_config_file(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, "storage_url: sqlite:///state/e.db\n"), env={})
    assert settings.storage_path == tmp_path / "state" / "e.db"
    assert settings.store_url == f"sqlite:///{tmp_path}/state/e.db"


def test_a_storage_url_wins_over_the_images_storage_path(tmp_path: Path) -> None:
    cfg = write(tmp_path, "storage_url: postgresql://errcode@db/errcode\n")
    settings = load_settings(cfg, env={"ERRCODE_STORAGE_PATH": "/var/lib/errcode/e.db"})
    assert settings.store_url == "postgresql://errcode@db/errcode"


def test_storage_path_still_works(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, "storage_path: ./old.db\n"), env={})
    assert settings.store_url == f"sqlite:///{tmp_path / 'old.db'}"


@pytest.mark.parametrize(("text", "env", "key", "says"), [
    ("storage_url: mysql://root@db/errcode\n", {}, "storage_url", "must be sqlite:///PATH"),
    ("", {"ERRCODE_STORAGE_URL": "postgresql://u:pw@db:5432/"}, "ERRCODE_STORAGE_URL",
     "names no database"),
    ("storage_url: 'postgresql://u@db:notaport/x'\n", {}, "storage_url", "invalid port"),
    ("storage_url: sqlite://x.db\n", {}, "storage_url", "three slashes"),
    ("storage_url: sqlite:///a.db\nstorage_path: b.db\n", {}, "storage_url", "not both"),
])
def test_bad_storage_settings_name_the_key(tmp_path: Path, text: str, env: dict[str, str],
                                           key: str, says: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, text or "log_level: INFO\n"), env=env)
    assert info.value.key == key and says in str(info.value)
    assert "pw@" not in str(info.value)
