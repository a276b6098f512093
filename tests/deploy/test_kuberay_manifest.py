"""infra/kuberay/raycluster.yaml: the Ray cluster for KubeRay without Helm."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy import k8s_checks
from tests.support.helm_render import manifests, render_chart

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "infra" / "kuberay" / "raycluster.yaml"


@pytest.fixture(scope="module")
def cluster() -> dict[str, Any]:
    documents = [d for d in yaml.safe_load_all(MANIFEST.read_text()) if d is not None]
    assert len(documents) == 1
    document: dict[str, Any] = documents[0]
    return document


def test_it_is_a_valid_raycluster(cluster) -> None:
    assert cluster["apiVersion"] == "ray.io/v1" and cluster["kind"] == "RayCluster"
    k8s_checks.validate(cluster)


def test_token_authentication_from_one_secret(cluster) -> None:
    secret = cluster["spec"]["authOptions"]["secretName"]
    assert cluster["spec"]["authOptions"]["mode"] == "token"
    # The command in the file's header creates exactly that Secret, with KubeRay's key.
    assert f"kubectl create secret generic {secret} --from-literal=auth_token=" in (
        MANIFEST.read_text()
    )
    for role, _, container in k8s_checks.containers(cluster):
        env = {e["name"]: e for e in container["env"]}
        assert env["RAY_AUTH_MODE"]["value"] == "token", role
        assert env["RAY_AUTH_TOKEN"]["valueFrom"]["secretKeyRef"] == {
            "name": secret,
            "key": "auth_token",
        }
        assert all("value" in e or "valueFrom" in e for e in container["env"])
        for name in k8s_checks.env_names(container):
            if name.startswith("SANDBOX_"):
                assert name in k8s_checks.setting_names(), name
        assert env["SANDBOX_ENVIRONMENT"]["value"] == "production"
        assert env["SANDBOX_RUNTIME_BACKEND"]["value"] == "bwrap"


def test_ports_and_the_address_the_api_joins(cluster) -> None:
    head = cluster["spec"]["headGroupSpec"]
    (container,) = head["template"]["spec"]["containers"]
    port = k8s_checks.port(container, "gcs-server")
    assert head["rayStartParams"]["port"] == str(port)
    assert k8s_checks.port(container, "dashboard") == 8265
    assert k8s_checks.port(container, "client") == 10001
    address = f"SANDBOX_RAY_ADDRESS={cluster['metadata']['name']}-head-svc:{port}"
    assert address in MANIFEST.read_text()
    assert head["rayStartParams"]["num-cpus"] == "0"
    k8s_checks.check_ray_ports(cluster)


def test_workers_run_bwrap_with_no_capability(cluster) -> None:
    roles = []
    for role, spec, container in k8s_checks.containers(cluster):
        roles.append(role)
        if role == "ray-worker":
            k8s_checks.check_bwrap_context(spec, container)
        else:
            k8s_checks.check_restricted_context(spec, container)
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        volumes = {v["name"]: v for v in spec["volumes"]}
        local = {"/var/lib/sandbox", "/tmp", "/dev/shm"}
        shared = {"/var/lib/sandbox/audit-anchor", "/etc/sandbox/keys"}
        assert set(mounts) == (local | shared if role == "ray-worker" else local)
        assert "emptyDir" in volumes[mounts["/var/lib/sandbox"]]
        assert volumes[mounts["/dev/shm"]]["emptyDir"]["medium"] == "Memory"
        assert container["resources"]["requests"] == container["resources"]["limits"]
    assert roles == ["ray-head", "ray-worker"]


def test_the_same_cluster_as_the_chart_renders(cluster) -> None:
    rendered = [
        d
        for d in manifests(render_chart(ROOT / "infra" / "helm" / "sandbox"))
        if d["kind"] == "RayCluster"
    ]
    (chart_cluster,) = rendered
    assert chart_cluster["metadata"]["name"] == cluster["metadata"]["name"]
    assert chart_cluster["spec"]["rayVersion"] == cluster["spec"]["rayVersion"]
    assert chart_cluster["spec"]["authOptions"] == cluster["spec"]["authOptions"]
    mine = list(k8s_checks.containers(cluster))
    theirs = list(k8s_checks.containers(chart_cluster))
    assert [role for role, _, _ in mine] == [role for role, _, _ in theirs]
    for (role, spec, container), (_, chart_spec, chart_container) in zip(mine, theirs, strict=True):
        for key in ("image", "ports", "resources", "securityContext", "volumeMounts"):
            assert container[key] == chart_container[key], (role, key)
        assert spec["securityContext"] == chart_spec["securityContext"], role
        assert spec.get("hostUsers") == chart_spec.get("hostUsers"), role
        assert spec["volumes"] == chart_spec["volumes"], role


def test_the_ray_version_is_the_locked_one(cluster) -> None:
    locked = [
        line.split("==")[1]
        for line in (ROOT / "requirements.lock").read_text().splitlines()
        if line.lower().startswith("ray==") or line.lower().startswith("ray[")
    ]
    assert locked == [cluster["spec"]["rayVersion"]]


def test_workers_anchor_audit_entries_where_the_api_does(cluster) -> None:
    """A job's runner records audit entries and checkpoints them: the workers must write the
    API's checkpoint file (on its shared volume), signed with the API's key (its Secret)."""
    api = {
        "SANDBOX_AUDIT_ANCHOR_PATH": ("pvc", "sandbox-var", "audit-anchor/checkpoints.jsonl"),
        "SANDBOX_AUDIT_KEY_PATH": ("secret", "sandbox-keys", "audit-signing.key"),
    }
    chart = [
        d
        for d in manifests(render_chart(ROOT / "infra" / "helm" / "sandbox"))
        if d["kind"] == "ConfigMap"
    ]
    paths = chart[0]["data"]
    for role, spec, container in k8s_checks.containers(cluster):
        if role != "ray-worker":
            continue
        for setting, place in api.items():
            assert k8s_checks.storage_of(spec, container, paths[setting]) == place, setting
