"""The catalog cache: a file loaded before comes back the same without YAML; an edited
file is read again, a broken one is never remembered, a broken cache is ignored."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.catalog.load import DEFAULT_CATALOG_DIR, load_catalog

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("ERRCODE_CACHE_DIR", str(folder))
    monkeypatch.delenv("ERRCODE_NO_CACHE", raising=False)
    return folder


@pytest.fixture
def catalog_dir(tmp_path: Path) -> Path:
    dest = tmp_path / "catalog"
    dest.mkdir()
    for path in DEFAULT_CATALOG_DIR.glob("*.yml"):
        shutil.copy(path, dest / path.name)
    return dest


def test_a_remembered_catalog_equals_the_one_parsed(cache, catalog_dir):
    fresh = load_catalog(catalog_dir, use_cache=False)
    first = load_catalog(catalog_dir)  # parses and remembers
    assert list(cache.glob("catalog-*.marshal"))
    again = load_catalog(catalog_dir)  # rebuilt from the cache
    assert fresh == first == again
    assert [e.key for e in again.entries] == [e.key for e in fresh.entries]


def test_a_remembered_catalog_needs_no_yaml_or_msgspec(cache):
    code = ("import sys; from bot.catalog.load import load_catalog; c = load_catalog(); "
            "print(len(c.entries), 'yaml' in sys.modules, 'msgspec' in sys.modules)")
    env = {"ERRCODE_CACHE_DIR": str(cache), "PATH": "/usr/bin:/bin"}
    cold = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=60)
    warm = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=60)
    count = cold.stdout.split()[0]
    assert cold.stdout.split() == [count, "True", "True"], cold.stderr
    assert warm.stdout.split() == [count, "False", "False"], warm.stderr


def test_an_edited_file_is_read_again(cache, catalog_dir):
    load_catalog(catalog_dir)
    path = catalog_dir / "mazevault.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Rate limit exceeded", "Slow down, please", 1),
                    encoding="utf-8")
    entry = load_catalog(catalog_dir).entry("mazevault", "RATE_LIMITED")
    assert entry is not None and entry.meaning == "Slow down, please"


def test_a_broken_file_is_reported_every_time_and_never_remembered(cache, catalog_dir):
    load_catalog(catalog_dir)
    (catalog_dir / "mazevault.yml").write_text("product: [unclosed\n", encoding="utf-8")
    for _ in range(2):
        catalog = load_catalog(catalog_dir, strict=False)
        assert list(catalog.products) == ["scaivault"]
        assert "not valid YAML" in str(catalog.problems[0])


def test_a_removed_file_is_gone_from_the_catalog(cache, catalog_dir):
    load_catalog(catalog_dir)
    (catalog_dir / "scaivault.yml").unlink()
    assert list(load_catalog(catalog_dir).products) == ["mazevault"]


def test_a_broken_or_unwritable_cache_is_ignored(cache, catalog_dir, monkeypatch):
    fresh = load_catalog(catalog_dir, use_cache=False)
    load_catalog(catalog_dir)
    for file in cache.glob("catalog-*.marshal"):
        file.write_bytes(b"\x00not marshal")
    assert load_catalog(catalog_dir) == fresh
    blocker = cache.parent / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("ERRCODE_CACHE_DIR", str(blocker / "cache"))
    assert load_catalog(catalog_dir) == fresh
    monkeypatch.setenv("ERRCODE_NO_CACHE", "1")
    assert load_catalog(catalog_dir) == fresh
