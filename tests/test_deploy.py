"""deploy/: the compose file and the Kubernetes example, held to what the app really reads and
serves.

The structure is always checked here (services, health conditions, environment names the
app reads, the mounted errcode.yml loaded by the app's own loader, probes against the
app's own WSGI paths, Secret keys), with nothing but the repo's own dependencies. Docker's
and Kubernetes' own validators are not assumed on the machine: deploy/kubernetes/README.md
says how to run them (`docker compose config`, `kubectl kustomize`, `kubeconform`).
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from bot.catalog.load import load_catalog
from bot.config import load_settings
from bot.core import Core
from bot.metrics import Metrics
from bot.slack.http import OpsHTTP, make_server
from bot.slack.run import check_slack_settings

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
KUBE = DEPLOY / "kubernetes"
COMPOSE = yaml.safe_load((DEPLOY / "compose.yml").read_text())
SERVICES: dict[str, dict] = COMPOSE["services"]
ENV_EXAMPLE = dict(line.split("=", 1) for line in (DEPLOY / ".env.example").read_text()
                   .splitlines() if line.strip() and not line.startswith("#"))
_VAR = re.compile(r"\$\{(\w+)(?::?[?-][^}]*)?\}")


def replicas() -> dict[str, dict]:
    """The errcode services: those that run `errcode serve`."""
    return {name: s for name, s in SERVICES.items()
            if s.get("command", [])[:2] == ["errcode", "serve"]}


def interpolated(value: str, env: dict[str, str]) -> str:
    """`${NAME}`, `${NAME:?message}`, `${NAME:-default}` as compose substitutes them."""
    return _VAR.sub(lambda m: env[m.group(1)], value)


def served(path: str, method: str = "GET") -> int:
    """The status the app's own WSGI front answers for `path`, without Slack signing."""
    status: list[str] = []
    OpsHTTP(Metrics())({"REQUEST_METHOD": method, "PATH_INFO": path},
                       lambda s, headers: status.append(s))
    return int(status[0].split()[0])


def env_names_documented() -> set[str]:
    """The environment variables of README's table (`| `NAME` | meaning |`)."""
    return set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", (ROOT / "README.md").read_text(),
                          re.MULTILINE))


def read_by_the_app(name: str) -> bool:
    return any(f'"{name}"' in p.read_text() or f"{name}:" in p.read_text()
               for p in (ROOT / "bot").rglob("*.py"))


def default_port() -> int:
    default = inspect.signature(make_server).parameters["port"].default
    exposed = [line.split()[1] for line in (ROOT / "Dockerfile").read_text().splitlines()
               if line.startswith("EXPOSE ")]
    assert exposed == [str(default)], (exposed, default)
    return int(default)


def check_errcode_yml(text: str, env: dict[str, str], tmp_path: Path) -> None:
    """errcode.yml as the app reads it: settings, catalog products, health targets, watch."""
    file = tmp_path / "errcode.yml"
    file.write_text(text)
    settings = load_settings(file, env={**env, "ERRCODE_CONFIG": str(file)})
    check_slack_settings(settings, http=True)
    core = Core.load(settings, load_catalog(None), env=env)
    assert core.health.watch is not None, "health.watch is configured"
    assert core.health.targets, "the watch has targets to check"
    assert settings.store_url.startswith("postgresql://")


# --------------------------------------------------------------------------- compose


def test_compose_runs_postgres_and_two_errcode_replicas_built_from_the_dockerfile():
    assert "postgres" in SERVICES
    assert len(replicas()) >= 2
    for name, service in replicas().items():
        build = service["build"]
        assert (DEPLOY / build["context"] / build.get("dockerfile", "Dockerfile")).resolve() == (
            ROOT / "Dockerfile"), name
        assert service["command"] == ["errcode", "serve", "--http"], name


def test_replicas_wait_for_a_healthy_postgres_with_a_healthcheck():
    postgres = SERVICES["postgres"]
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    for name, service in replicas().items():
        assert service["depends_on"]["postgres"] == {"condition": "service_healthy"}, name


def test_the_proxy_waits_for_healthy_replicas_and_balances_over_them():
    proxy = SERVICES["proxy"]
    assert proxy["depends_on"] == {name: {"condition": "service_healthy"} for name in replicas()}
    conf = (DEPLOY / "nginx.conf").read_text()
    upstream = re.findall(r"^\s*server (\S+):(\d+)", conf, re.MULTILINE)
    assert {host for host, _ in upstream} == set(replicas())
    assert {int(port) for _, port in upstream} == {default_port()}
    assert "location = /slack/events" in conf


def test_replica_healthchecks_probe_healthz_which_the_app_serves():
    from bot.cli.parser import build_parser

    for name, service in replicas().items():
        test = service["healthcheck"]["test"]
        assert test[0] == "CMD" and test[1:] == ["errcode", "probe"], name
        build_parser().parse_args(test[2:])  # a real subcommand
    probe = (ROOT / "bot" / "cli" / "commands.py").read_text()
    assert "/healthz" in probe
    assert served("/healthz") == 200


def test_replicas_read_only_environment_names_the_app_reads_and_documents():
    documented = env_names_documented()
    for name, service in replicas().items():
        for var in service["environment"]:
            assert var in documented, f"{name}: {var} is not in README's environment table"
            assert read_by_the_app(var), f"{name}: {var} is read nowhere in bot/"


def test_replicas_share_one_postgres_url_and_listen_on_the_default_port():
    postgres = SERVICES["postgres"]["environment"]
    for name, service in replicas().items():
        env = {k: interpolated(str(v), ENV_EXAMPLE) for k, v in service["environment"].items()}
        url = urlsplit(env["ERRCODE_STORAGE_URL"])
        assert url.scheme == "postgresql" and url.hostname == "postgres" and url.port == 5432
        assert url.username == postgres["POSTGRES_USER"], name
        assert url.password == interpolated(postgres["POSTGRES_PASSWORD"], ENV_EXAMPLE)
        assert url.path == "/" + postgres["POSTGRES_DB"], name
        assert int(env["PORT"]) == default_port()
        assert {p.rsplit(":", 1)[1] for p in service["ports"]} == {env["PORT"]}
        assert "SLACK_APP_TOKEN" not in env, "HTTP mode: no Socket Mode token"


def test_tokens_come_from_the_env_file_never_from_compose_itself():
    used = set(_VAR.findall((DEPLOY / "compose.yml").read_text()))
    assert used <= set(ENV_EXAMPLE), used - set(ENV_EXAMPLE)
    for name, service in replicas().items():
        for var in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"):
            assert service["environment"][var].startswith(f"${{{var}"), (name, var)


def test_the_mounted_errcode_yml_configures_the_watch_and_loads(tmp_path):
    for name, service in replicas().items():
        env = {k: interpolated(str(v), ENV_EXAMPLE) for k, v in service["environment"].items()}
        mounts = dict(v.rsplit(":", 1)[0].split(":", 1) for v in service["volumes"])
        source = {target: source for source, target in mounts.items()}[env["ERRCODE_CONFIG"]]
        check_errcode_yml((DEPLOY / source).read_text(), env, tmp_path)
        assert name  # every replica reads the same file


# --------------------------------------------------------------------------- Kubernetes


def kube(kind: str) -> dict[str, Any]:
    found = [doc for path in sorted(KUBE.glob("*.yaml")) if path.name != "kustomization.yaml"
             for doc in yaml.safe_load_all(path.read_text()) if doc and doc["kind"] == kind]
    assert len(found) == 1, (kind, len(found))
    return found[0]


def container() -> dict[str, Any]:
    (only,) = kube("Deployment")["spec"]["template"]["spec"]["containers"]
    return only


def test_every_manifest_names_its_api_version_kind_and_name():
    kinds = {}
    for path in sorted(KUBE.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            assert doc["apiVersion"] and doc["kind"], path.name
            if doc["kind"] != "Kustomization":
                assert doc["metadata"]["name"], path.name
            kinds[doc["kind"]] = doc["apiVersion"]
    assert kinds == {"Deployment": "apps/v1", "Service": "v1", "ConfigMap": "v1",
                     "Secret": "v1", "PodDisruptionBudget": "policy/v1",
                     "Kustomization": "kustomize.config.k8s.io/v1beta1"}


def test_kustomization_applies_everything_but_the_example_secret():
    listed = yaml.safe_load((KUBE / "kustomization.yaml").read_text())["resources"]
    assert all((KUBE / name).is_file() for name in listed)
    assert "secret.example.yaml" not in listed
    assert set(listed) == {p.name for p in KUBE.glob("*.yaml")} - {
        "kustomization.yaml", "secret.example.yaml"}


def test_two_replicas_whose_labels_the_service_and_budget_select():
    deployment = kube("Deployment")
    assert deployment["spec"]["replicas"] == 2
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    selectors = [deployment["spec"]["selector"]["matchLabels"],
                 kube("Service")["spec"]["selector"],
                 kube("PodDisruptionBudget")["spec"]["selector"]["matchLabels"]]
    for selector in selectors:
        assert selector.items() <= labels.items()


def test_the_container_listens_on_the_apps_default_port_and_runs_http_mode():
    c = container()
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    assert ports == {"http": default_port()}
    env = {e["name"]: e.get("value") for e in c["env"]}
    assert env["PORT"] == str(default_port())
    assert c["args"] == ["errcode", "serve", "--http"]
    assert kube("Service")["spec"]["ports"][0]["targetPort"] in ports


def test_probes_hit_paths_the_app_serves_on_its_port():
    c = container()
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    for probe in ("readinessProbe", "livenessProbe"):
        get = c[probe]["httpGet"]
        assert get["path"] == "/healthz", probe
        assert get["port"] in ports, probe
        assert served(get["path"]) == 200, probe
    notes = kube("Deployment")["spec"]["template"]["metadata"]["annotations"]
    assert int(notes["prometheus.io/port"]) == default_port()
    assert served(notes["prometheus.io/path"]) == 200


def test_tokens_come_from_the_secret_by_keys_it_has():
    secret = kube("Secret")
    refs = [e["valueFrom"]["secretKeyRef"] for e in container()["env"] if "valueFrom" in e]
    names = {e["name"] for e in container()["env"] if "valueFrom" in e}
    assert {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "ERRCODE_STORAGE_URL"} <= names
    for ref in refs:
        assert ref["name"] == secret["metadata"]["name"]
        assert ref["key"] in secret["stringData"]
    plain = {e["name"]: e.get("value", "") for e in container()["env"] if "value" in e}
    assert not any(v.startswith(("xox", "postgresql://")) for v in plain.values())


def test_container_environment_names_are_read_and_documented():
    documented = env_names_documented()
    for e in container()["env"]:
        assert e["name"] in documented, e["name"]
        assert read_by_the_app(e["name"]), e["name"]


def test_the_configmap_is_mounted_where_errcode_config_points_and_loads(tmp_path):
    c = container()
    config_map = kube("ConfigMap")
    env = {e["name"]: e["value"] for e in c["env"] if "value" in e}
    (mount,) = c["volumeMounts"]
    volumes = {v["name"]: v for v in kube("Deployment")["spec"]["template"]["spec"]["volumes"]}
    assert volumes[mount["name"]]["configMap"]["name"] == config_map["metadata"]["name"]
    config = Path(env["ERRCODE_CONFIG"])
    assert str(config.parent) == mount["mountPath"]
    text = config_map["data"][config.name]
    secret = kube("Secret")["stringData"]
    check_errcode_yml(text, {**env, "SLACK_BOT_TOKEN": secret["slack-bot-token"],
                             "SLACK_SIGNING_SECRET": secret["slack-signing-secret"],
                             "ERRCODE_STORAGE_URL": secret["storage-url"]}, tmp_path)
    compose_yml = yaml.safe_load((DEPLOY / "errcode.yml").read_text())
    assert yaml.safe_load(text) == compose_yml, "the two examples configure errcode alike"


# --------------------------------------------------------------------------- the docs


def test_the_readme_lists_every_metric_the_app_exposes():
    doc = (ROOT / "README.md").read_text()
    listed = set(re.findall(r"`(errcode_[a-z_]+)", doc))
    exposed = {m.name for m in Metrics().registry.collect()}
    assert exposed <= {re.sub(r"_total$", "", n) for n in listed}, exposed - listed
    for name in listed:
        assert re.sub(r"_(total|count|sum|bucket)$", "", name) in exposed, name
