"""The built wheel installs anywhere: its catalog inside, no test helpers, `errcode` works.

The wheel is built with the Dockerfile's own build command, installed into a fresh
virtual environment, and run from an empty folder with no ERRCODE_* variables, as a new
user (or the image) would run it.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from bot import __version__

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def _wheel_command() -> list[str]:
    """The Dockerfile's `RUN pip wheel ...`, to be run with this interpreter's pip."""
    line = next(x for x in DOCKERFILE.splitlines() if x.startswith("RUN pip wheel"))
    return shlex.split(line.removeprefix("RUN "))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheels")
    cmd = _wheel_command()
    cmd[cmd.index("/wheels")] = str(out)
    subprocess.run([sys.executable, "-m", *cmd], cwd=ROOT, check=True, capture_output=True,
                   timeout=600)
    (built,) = out.glob("errcode-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh venv with the wheel (and its dependencies) installed; returns its bin/."""
    env_dir = tmp_path_factory.mktemp("venv")
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / "bin"
    subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "-q", str(wheel)],
                   check=True, capture_output=True, timeout=600)
    return bin_dir


def _errcode(bin_dir: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ERRCODE_", "PYTHON", "VIRTUAL_ENV"))}
    env["HOME"] = str(cwd)
    return subprocess.run([str(bin_dir / "errcode"), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_wheel_holds_the_catalog_and_every_module(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {f"bot/catalog/shipped/{p.name}" for p in (ROOT / "catalog").glob("*.yml")}
    assert shipped and shipped <= names
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "bot").rglob("*.py")}
    assert modules <= names, f"packages missing from pyproject: {sorted(modules - names)}"


def test_wheel_holds_no_test_helpers(wheel):
    archive = zipfile.ZipFile(wheel)
    names = archive.namelist()
    assert not [n for n in names if n.startswith(("tests/", "bench/")) or "/fakes/" in n]
    for name in (n for n in names if n.endswith(".py")):
        source = archive.read(name).decode()
        assert not re.search(r"^\s*(from|import) tests\b", source, re.M), name


def test_installed_wheel_answers_from_any_folder(installed, tmp_path):
    version = _errcode(installed, tmp_path, "--version")
    assert version.stdout.strip() == f"errcode {__version__}"
    lookup = _errcode(installed, tmp_path, "lookup", "RATE_LIMITED")
    assert lookup.returncode == 0, lookup.stderr
    assert "RATE_LIMITED" in lookup.stdout and "MazeVault" in lookup.stdout
    listing = _errcode(installed, tmp_path, "catalog", "list")
    assert listing.returncode == 0, listing.stderr
    assert "MazeVault" in listing.stdout and "ScaiVault" in listing.stdout
    check = _errcode(installed, tmp_path, "catalog", "check")
    assert check.returncode == 0 and check.stdout.startswith("ok:"), check.stdout
