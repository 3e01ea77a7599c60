"""The catalog's JSON Schema: generated from the loader's shapes, shipped, and as strict."""

from __future__ import annotations

import copy
import io
import json
from contextlib import redirect_stdout
from pathlib import Path

import jsonschema
import pytest
import yaml

from bot.catalog.load import DEFAULT_CATALOG_DIR, load_catalog_file
from bot.catalog.shapes import catalog_schema, catalog_schema_text
from bot.cli import main
from bot.errors import CatalogError

SHIPPED = DEFAULT_CATALOG_DIR / "catalog.schema.json"
CATALOG_FILES = sorted(DEFAULT_CATALOG_DIR.glob("*.yml"))


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SHIPPED.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_shipped_schema_is_the_generated_one():
    assert SHIPPED.read_text(encoding="utf-8") == catalog_schema_text(), (
        "catalog/catalog.schema.json is stale: run `errcode catalog schema > "
        "catalog/catalog.schema.json`")


def test_cli_prints_the_schema():
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["catalog", "schema"]) == 0
    assert out.getvalue() == catalog_schema_text()
    assert json.loads(out.getvalue())["title"] == catalog_schema()["title"]


@pytest.mark.parametrize("path", CATALOG_FILES, ids=lambda p: p.name)
def test_every_shipped_catalog_validates_against_the_schema(validator, path: Path):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert [e.message for e in validator.iter_errors(data)] == []


@pytest.mark.parametrize("path", CATALOG_FILES, ids=lambda p: p.name)
def test_every_shipped_catalog_points_editors_at_the_schema(path: Path):
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=catalog.schema.json"


def test_readme_tells_how_editors_use_the_schema():
    readme = (DEFAULT_CATALOG_DIR / "README.md").read_text(encoding="utf-8")
    assert "catalog.schema.json" in readme
    assert "# yaml-language-server: $schema=catalog.schema.json" in readme
    for key in ("health_failures", "deployments", "says", "words"):
        assert f"`{key}`" in readme, key


def _maze() -> dict:
    return yaml.safe_load((DEFAULT_CATALOG_DIR / "mazevault.yml").read_text(encoding="utf-8"))


def _error_entry(data: dict) -> dict:
    return next(e for e in data["entries"] if e.get("kind", "error") == "error")


@pytest.mark.parametrize("change", [
    pytest.param(lambda d: _error_entry(d).pop("http_status"), id="error-without-status"),
    pytest.param(lambda d: _error_entry(d).update(severity="high"), id="unknown-entry-key"),
    pytest.param(lambda d: _error_entry(d)["retry"].update(policy="maybe"), id="bad-policy"),
    pytest.param(lambda d: _error_entry(d).update(resolution=[]), id="no-steps"),
    pytest.param(lambda d: d["product"].update(owner="team"), id="unknown-product-key"),
    pytest.param(lambda d: d["product"]["deployments"].append({"name": "VM"}),
                 id="deployment-without-words"),
    pytest.param(lambda d: d["product"]["health_failures"].append({"reason": ["melted"]}),
                 id="unknown-health-reason"),
])
def test_schema_and_loader_refuse_the_same_mistakes(validator, tmp_path: Path, change):
    data = copy.deepcopy(_maze())
    change(data)
    assert list(validator.iter_errors(data)), "the schema let it through"
    path = tmp_path / "mazevault.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(CatalogError):
        load_catalog_file(path)


def test_an_issue_needs_no_http_status_in_the_schema_either(validator):
    data = _maze()
    issue = next(e for e in data["entries"] if e.get("kind") == "issue")
    issue.pop("http_status", None)
    assert list(validator.iter_errors(data)) == []
