"""The deployment files pass their linters and schemas, and agree with each other: the
Dockerfile with hadolint, the Kubernetes manifests with the Kubernetes schemas, the
compose file with the compose specification, the lock file with pyproject.toml. Each
validator is also shown a broken copy, so a validator that checks nothing fails here."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from trackersync.config.example import EXAMPLE_CONFIG
from trackersync.config.loading import check_secrets, load

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
KUBERNETES = sorted((DEPLOY / "kubernetes").glob("*.yaml"))
BIN = Path(sys.executable).parent


def tool(name: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / name), *map(str, args)], capture_output=True, text=True, check=False
    )


def documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def manifest(kind: str) -> dict[str, Any]:
    [found] = [d for p in KUBERNETES for d in documents(p) if d["kind"] == kind]
    return found


# --- linters and schemas ------------------------------------------------------------------


def test_the_dockerfile_passes_hadolint(tmp_path: Path) -> None:
    result = tool("hadolint", ROOT / "Dockerfile")
    assert result.returncode == 0, result.stdout + result.stderr
    broken = tmp_path / "Dockerfile"
    broken.write_text((ROOT / "Dockerfile").read_text().replace("USER 10001", "USER root"))
    assert tool("hadolint", broken).returncode != 0


def test_the_kubernetes_manifests_match_the_schemas(tmp_path: Path) -> None:
    assert {p.name for p in KUBERNETES} >= {"cronjob-sqlite.yaml", "deployment-postgres.yaml"}
    result = tool("kubernetes-validate", "--strict", *KUBERNETES)
    assert result.returncode == 0, result.stdout + result.stderr
    broken = tmp_path / "deployment.yaml"
    text = (DEPLOY / "kubernetes" / "deployment-postgres.yaml").read_text()
    broken.write_text(text.replace("terminationGracePeriodSeconds: 900", "graceSeconds: 900"))
    assert tool("kubernetes-validate", "--strict", broken).returncode != 0


def test_the_compose_file_matches_the_compose_specification(tmp_path: Path) -> None:
    compose = DEPLOY / "docker-compose.yml"
    result = tool("check-jsonschema", "--builtin-schema", "vendor.compose-spec", compose)
    assert result.returncode == 0, result.stdout + result.stderr
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(compose.read_text().replace("condition: service_healthy", "when: healthy"))
    assert tool("check-jsonschema", "--builtin-schema", "vendor.compose-spec", broken).returncode


# --- what the operator relies on ----------------------------------------------------------


def test_the_sqlite_cronjob_never_runs_two_cycles_at_once() -> None:
    cronjob = manifest("CronJob")
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert container["args"] == ["run", "--once"]
    [state] = [m for m in container["volumeMounts"] if m["mountPath"] == "/data"]
    [volume] = [v for v in pod["volumes"] if v["name"] == state["name"]]
    assert volume["persistentVolumeClaim"]["claimName"] == manifest("PersistentVolumeClaim")[
        "metadata"
    ]["name"]


def test_the_postgres_deployment_waits_for_a_cycle_and_reads_secrets_from_a_secret() -> None:
    deployment = manifest("Deployment")
    assert deployment["spec"]["replicas"] > 1
    pod = deployment["spec"]["template"]["spec"]
    assert pod["terminationGracePeriodSeconds"] >= 15 * 60  # one cycle at the 15m pace
    [container] = pod["containers"]
    secret = manifest("Secret")
    for variable in container["env"]:
        reference = variable["valueFrom"]["secretKeyRef"]  # no secret inline
        assert reference["name"] == secret["metadata"]["name"]
        assert reference["key"] in secret["stringData"]
    assert "TRACKERSYNC_STATE" in {v["name"] for v in container["env"]}


def test_the_compose_service_waits_for_a_healthy_postgres_and_for_its_cycle() -> None:
    services = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())["services"]
    app = services["trackersync"]
    assert app["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "healthcheck" in services["postgres"]
    assert app["healthcheck"]["test"][1:3] == ["trackersync", "health"]
    assert app["stop_grace_period"] == "15m" == app["command"][-1]
    assert app["environment"]["TRACKERSYNC_STATE"].startswith("postgresql+psycopg://")


def workload_variables(kind: str) -> dict[str, str]:
    spec = manifest(kind)["spec"]
    if kind == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    [container] = spec["template"]["spec"]["containers"]
    return {v["name"]: "set" for v in container["env"]}


@pytest.mark.parametrize("kind", ["CronJob", "Deployment"])
def test_the_configmap_config_loads_and_its_secrets_are_set_by_the_workload(
    tmp_path: Path, kind: str
) -> None:
    config = tmp_path / "trackersync.yaml"
    config.write_text(manifest("ConfigMap")["data"]["trackersync.yaml"])
    check_secrets(load(config), workload_variables(kind))  # raises ConfigError if not


def test_the_compose_environment_sets_the_secrets_of_the_example_config(tmp_path: Path) -> None:
    config = tmp_path / "trackersync.yaml"
    config.write_text(EXAMPLE_CONFIG)
    services = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())["services"]
    check_secrets(load(config), services["trackersync"]["environment"])


# --- the lock file --------------------------------------------------------------------------


def locked() -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) of every requirement in the lock file."""
    text = (DEPLOY / "requirements.lock").read_text().replace("\\\n", " ")
    pins = {}
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            match = re.match(r"([A-Za-z0-9._-]+)==(\S+)", line)
            assert match, f"not pinned: {line}"
            hashes = re.findall(r"--hash=sha256:([0-9a-f]{64})", line)
            pins[canonicalize_name(match[1])] = (match[2], hashes)
    return pins


def test_the_lock_file_pins_and_hashes_every_dependency_of_pyproject() -> None:
    pins = locked()
    assert all(hashes for _, hashes in pins.values())
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    wanted = [*project["project"]["dependencies"], *project["build-system"]["requires"]]
    for text in wanted:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not in deploy/requirements.lock"
        assert requirement.specifier.contains(pins[name][0]), (text, pins[name][0])
    assert "psycopg-binary" in pins  # the [binary] extra is locked too
