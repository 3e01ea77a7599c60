"""A team's own product, defined only in a catalog file, gets what the shipped ones get:
its health failures explained, its names, version and deployment words found in threads,
its health endpoints asked for in an escalation. No code knows the product.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.catalog.load import load_catalog
from bot.catalog.model import Catalog
from bot.config import Settings
from bot.core import Core
from bot.escalation.draft import ThreadMessage, draft_from_thread
from bot.escalation.packet import assemble
from bot.health.checks import MatchRef, run_health
from bot.health.explain import default_failure_refs, failure_text
from bot.health.targets import parse_health_config
from bot.redact import Redactor
from tests.fakes.servers import LocalServer, Reply, closed_port

QUILLSTACK = """\
# yaml-language-server: $schema=catalog.schema.json
product:
  name: Quillstack
  aliases: [quill stack, quill]
  code_style: upper_snake
  envelopes: [code_field]
  health_checks:
    - path: /status
    - path: /status/full
      auth: admin
  health_failures:
    - component: 'kafka|broker'
      says: message broker unreachable
      codes: [BROKER_DOWN]
    - path: search
      says: search index unhealthy
      codes: [INDEX_STALE]
    - reason: [refused, timeout, dns, connect]
      codes: [GATEWAY_UNREACHABLE]
  deployments:
    - name: Nomad
      words: [hashicorp nomad, nomad]
    - name: bare metal
      words: [bare metal]
  escalation_checklist:
    - key: health_output
      label: Output of /status/full
    - key: version
      label: Quillstack version
    - key: deployment
      label: Where it runs (Nomad / bare metal)

entries:
  - code: BROKER_DOWN
    http_status: 503
    title: Message broker down
    meaning: The Kafka broker Quillstack writes to cannot be reached.
    resolution:
      - Check the broker cluster; Quillstack catches up once it is back.
    aliases: [message broker unreachable, kafka broker down]
  - code: INDEX_STALE
    http_status: 500
    title: Search index stale
    meaning: The search index stopped following writes.
    resolution:
      - Rebuild the index with quill reindex.
    aliases: [search index unhealthy]
  - code: GATEWAY_UNREACHABLE
    kind: issue
    title: Gateway unreachable
    meaning: Nothing answers at the gateway's address.
    resolution:
      - Check DNS and the firewall between you and the gateway.
    aliases: [gateway unreachable, cannot reach the gateway]
"""


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    directory: Path = tmp_path_factory.mktemp("own") / "catalog"
    directory.mkdir()
    (directory / "quillstack.yml").write_text(QUILLSTACK, encoding="utf-8")
    return load_catalog(directory)


@pytest.fixture(scope="module")
def core(catalog: Catalog) -> Core:
    return Core(Settings(), catalog)


def test_the_file_alone_makes_a_product(catalog):
    product = catalog.products["quillstack"]
    assert catalog.find_product("quill stack") is product
    assert [d.name for d in product.deployments] == ["Nomad", "bare metal"]
    assert product.health_failures[0].codes == ("BROKER_DOWN",)


def test_its_health_failures_are_explained_from_its_rules(catalog, core):
    target_raw = {"targets": [{"name": "prod", "product": "quill", "base_url": "http://x"}]}
    (target,) = parse_health_config(target_raw, {}, file=None,
                                    products=catalog.products).targets
    assert target.product == "quillstack"
    assert [c.path for c in target.checks] == ["/status"]  # the admin one needs a token

    with LocalServer() as server:
        server.route("/status", Reply.json({"status": "degraded",
                                            "components": {"kafka-broker": "down"}}))
        server.route("/search/health", Reply.text("index behind", status=500))
        t = parse_health_config(
            {"targets": [{"name": "prod", "product": "quillstack", "base_url": server.url,
                          "checks": ["/status", "/search/health"]}]},
            {}, file=None, products=catalog.products).targets[0]
        broker, search = run_health([t], core.explain, catalog=catalog).targets[0].checks

    assert "message broker unreachable: health endpoint reports kafka-broker as down" in (
        failure_text(broker, "quillstack", catalog))
    assert broker.matches[0] == MatchRef("quillstack", "BROKER_DOWN")
    assert "search index unhealthy: health endpoint /search/health check failed" in (
        failure_text(search, "quillstack", catalog))
    assert MatchRef("quillstack", "INDEX_STALE") in search.matches


def test_an_unreachable_target_points_at_its_network_entry(catalog):
    raw = {"targets": [{"name": "prod", "product": "quillstack",
                        "base_url": f"http://127.0.0.1:{closed_port()}", "timeout_s": 2}]}
    target = parse_health_config(raw, {}, file=None, products=catalog.products).targets[0]
    (check,) = run_health([target], catalog=catalog).targets[0].checks
    assert check.status == "unreachable"
    assert default_failure_refs("quillstack", check, catalog) == (
        MatchRef("quillstack", "GATEWAY_UNREACHABLE"),)
    assert check.matches == (MatchRef("quillstack", "GATEWAY_UNREACHABLE"),)


def test_its_version_and_deployment_words_are_found_in_a_thread(core, catalog):
    thread = [
        ThreadMessage("1777000000.000100", "U1", 'Seeing {"code": "BROKER_DOWN"} since noon.'),
        ThreadMessage("1777000060.000100", "U2", "Which deployment is this?"),
        ThreadMessage("1777000120.000100", "U1",
                      "Quill v7.2 here, on HashiCorp Nomad, three clients."),
    ]
    draft = draft_from_thread(thread, core.engine)
    assert draft.product == "quillstack"
    assert draft.facts["version"] == "7.2"  # two parts: found only after the product's name
    assert draft.facts["deployment"] == "Nomad"
    assert draft.sources["deployment"] == "message 3 by U1"
    assert [m.key for m in draft.missing] == []

    packet = assemble(draft, catalog, health=None, answers={}, thread="C1:1.2",
                      author="U_SUPPORT", redactor=Redactor(), messages=thread)
    health_line = next(c for c in packet.checklist if c.key == "health_output")
    assert not health_line.done
    assert health_line.value.endswith("paste the output of /status/full")
    assert packet.environment == {"deployment": "Nomad", "version": "7.2"}
