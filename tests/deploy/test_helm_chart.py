"""The Helm chart (infra/helm/sandbox), rendered as ``helm template`` would render it.

No ``helm`` binary is installable here, so tests/support/helm_render.py renders the chart's
templates (the Go template subset they use); every document is then parsed with PyYAML and
validated against Kubernetes' schemas, and checked against the platform's settings, ports,
probes, secrets and the sandbox's needs.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
import yaml

from sandbox.config import Settings
from tests.deploy import k8s_checks
from tests.support.helm_render import HelmRenderError, manifests, render_chart

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "infra" / "helm" / "sandbox"

PRODUCTION: dict[str, Any] = {
    "image": {"repository": "registry.city.example/data-office/sandbox", "tag": "1.4.2"},
    "imagePullSecrets": [{"name": "city-registry"}],
    "api": {
        "replicas": 5,
        "port": 8080,
        "service": {"port": 443},
        "podDisruptionBudget": {"minAvailable": 3},
        "nodeSelector": {"node-role/api": "true"},
        "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "api"}],
    },
    "persistence": {"existingClaim": "sandbox-shared"},
    "secrets": {"name": "city-sandbox", "keyFilesSecret": "city-keys"},
    "settings": {
        "SANDBOX_DATA_URI": "s3://city-data/sandbox",
        "SANDBOX_S3_ENDPOINT_URL": "https://objects.city.example",
        "SANDBOX_S3_REGION": "cn-southwest-1",
        "SANDBOX_ENCRYPT_AT_REST": "true",
        "SANDBOX_JOB_LEASE_SECONDS": "45",
        "SANDBOX_JOB_HEARTBEAT_SECONDS": "15",
        "SANDBOX_ENGINE_TASK_ROWS": "2000000",
        "SANDBOX_LOG_LEVEL": "WARNING",
    },
    "ray": {
        "authSecret": "city-ray-token",
        "ports": {"gcs": 6380},
        "workers": {
            "replicas": 8,
            "minReplicas": 4,
            "maxReplicas": 32,
            "nodeSelector": {"node-role/compute": "true"},
        },
    },
}


def _render(overrides: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    return manifests(render_chart(CHART, overrides))


def _one(documents: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    found = [d for d in documents if d["kind"] == kind]
    assert len(found) == 1, f"{len(found)} {kind} documents"
    return found[0]


@pytest.fixture(params=["defaults", "production"])
def chart(request: pytest.FixtureRequest) -> tuple[str, list[dict[str, Any]]]:
    overrides = PRODUCTION if request.param == "production" else None
    return request.param, _render(overrides)


def test_chart_metadata_is_what_helm_lint_requires() -> None:
    meta = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert meta["apiVersion"] == "v2" and meta["name"] == "sandbox"
    assert meta["type"] == "application"
    assert re.fullmatch(r"\d+\.\d+\.\d+", meta["version"])
    assert meta["appVersion"] == yaml.safe_load((CHART / "values.yaml").read_text())["image"]["tag"]
    assert meta["kubeVersion"].startswith(">=1.33")
    assert not list(CHART.glob("templates/*.yml")), "Helm templates end in .yaml or .tpl"
    schema = json.loads((CHART / "values.schema.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert set(schema["properties"]) == set(values)
    jsonschema.validate(values, schema)


def test_every_document_is_a_valid_kubernetes_object(chart) -> None:
    _, documents = chart
    kinds = sorted(d["kind"] for d in documents)
    assert {"ConfigMap", "Deployment", "Job", "RayCluster", "Service"} <= set(kinds)
    for document in documents:
        k8s_checks.validate(document)
        assert document["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "Helm"


def test_one_image_for_the_api_the_migration_and_the_ray_nodes(chart) -> None:
    name, documents = chart
    images = {
        (role, container["image"])
        for document in documents
        for role, _, container in k8s_checks.containers(document)
    }
    assert {role for role, _ in images} == {"Deployment", "Job", "ray-head", "ray-worker"}
    expected = (
        "registry.city.example/data-office/sandbox:1.4.2"
        if name == "production"
        else "registry.example.org/sandbox:0.1.0"
    )
    assert {image for _, image in images} == {expected}


def test_settings_are_real_and_production_on_bwrap(chart, monkeypatch) -> None:
    _, documents = chart
    data = _one(documents, "ConfigMap")["data"]
    names = k8s_checks.setting_names()
    assert set(data) <= names, set(data) - names
    assert data["SANDBOX_ENVIRONMENT"] == "production"
    assert data["SANDBOX_RUNTIME_BACKEND"] == "bwrap"
    assert "SANDBOX_ALLOW_SUBPROCESS_BACKEND" not in data
    for document in documents:
        for _, _, container in k8s_checks.containers(document):
            for variable in k8s_checks.env_names(container):
                if variable.startswith("SANDBOX_"):
                    assert variable in names, f"{container['name']} sets unknown {variable}"
    # The ConfigMap is a configuration the server accepts (types, ranges, the lease rule).
    for variable in list(names):
        monkeypatch.delenv(variable, raising=False)
    for variable, value in data.items():
        monkeypatch.setenv(variable, value)
    settings = Settings()
    assert settings.environment == "production" and settings.runtime_backend == "bwrap"


def test_no_secret_in_the_config_map_and_secrets_come_from_secret_refs(chart) -> None:
    name, documents = chart
    data = _one(documents, "ConfigMap")["data"]
    assert not set(data) & k8s_checks.secret_setting_names()
    api = _one(documents, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    secret_env = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in api["env"]}
    assert all("value" not in e for e in api["env"])
    secret = "city-sandbox" if name == "production" else "sandbox-secrets"
    ray_secret = "city-ray-token" if name == "production" else "sandbox-ray-token"
    assert secret_env["SANDBOX_DATABASE_URL"] == {
        "name": secret,
        "key": "database-url",
        "optional": False,
    }
    assert secret_env["SANDBOX_S3_SECRET_ACCESS_KEY"]["name"] == secret
    assert secret_env["SANDBOX_RAY_AUTH_TOKEN"] == {"name": ray_secret, "key": "auth_token"}
    assert set(secret_env) <= k8s_checks.setting_names()
    # Every secret setting the server reads has its reference.
    assert k8s_checks.secret_setting_names() <= set(secret_env)
    # No Secret object carries values: the chart only refers to the operator's Secrets.
    assert not [d for d in documents if d["kind"] == "Secret"]


@pytest.mark.parametrize("setting", sorted(k8s_checks.secret_setting_names()))
def test_a_secret_among_the_plain_settings_is_refused(setting: str) -> None:
    with pytest.raises(HelmRenderError, match=f"settings.{setting} is a secret"):
        render_chart(CHART, {"settings": {setting: "hunter2"}})


def test_ports_probes_and_the_service_agree(chart) -> None:
    name, documents = chart
    deployment = _one(documents, "Deployment")
    api = deployment["spec"]["template"]["spec"]["containers"][0]
    port = 8080 if name == "production" else 8000
    assert k8s_checks.port(api, "http") == port
    command = api["command"]
    assert command[:2] == ["sandbox", "serve"]
    assert command[command.index("--port") + 1] == str(port)
    assert command[command.index("--host") + 1] == "0.0.0.0"
    assert api["readinessProbe"]["httpGet"] == {"path": "/v1/ready", "port": "http"}
    assert api["livenessProbe"]["httpGet"] == {"path": "/v1/health", "port": "http"}
    assert api["startupProbe"]["httpGet"]["path"] == "/v1/health"
    service = _one(documents, "Service")
    (service_port,) = service["spec"]["ports"]
    assert service_port["targetPort"] == "http"
    assert service_port["port"] == (443 if name == "production" else 80)
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()


def test_readiness_may_be_liveness_instead() -> None:
    documents = _render({"api": {"readinessPath": "/v1/health"}})
    api = _one(documents, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    assert api["readinessProbe"]["httpGet"] == {"path": "/v1/health", "port": "http"}
    with pytest.raises(HelmRenderError, match="is not one of"):
        _render({"api": {"readinessPath": "/healthz"}})


def test_several_api_replicas_share_state_safely(chart) -> None:
    name, documents = chart
    deployment = _one(documents, "Deployment")
    replicas = 5 if name == "production" else 3
    assert deployment["spec"]["replicas"] == replicas
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    data = _one(documents, "ConfigMap")["data"]
    # Each process enforces its share of the request rates.
    assert data["SANDBOX_RATE_LIMIT_PROCESSES"] == str(replicas)
    pod = deployment["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in pod["containers"][0]["volumeMounts"]}
    # One working directory for every replica (uploads staged by one, registered by another).
    assert mounts[data["SANDBOX_VAR_DIR"]] == "var"
    claim = volumes["var"]["persistentVolumeClaim"]["claimName"]
    claims = [d for d in documents if d["kind"] == "PersistentVolumeClaim"]
    if name == "production":
        assert claim == "sandbox-shared" and not claims
    else:
        assert [c["metadata"]["name"] for c in claims] == [claim]
        assert claims[0]["spec"]["accessModes"] == ["ReadWriteMany"]
    # The key files every process must share (the audit signing key, the verification
    # services' hash key) come from one Secret, where their settings point.
    for setting, file in (
        ("SANDBOX_AUDIT_KEY_PATH", "audit-signing.key"),
        ("SANDBOX_VERIFICATION_KEY_PATH", "verification.key"),
    ):
        key_path = Path(data[setting])
        assert key_path.name == file
        assert mounts[str(key_path.parent)] == "keys"
    assert volumes["keys"]["secret"]["secretName"] == (
        "city-keys" if name == "production" else "sandbox-keys"
    )
    key_mount = [m for m in pod["containers"][0]["volumeMounts"] if m["name"] == "keys"]
    assert key_mount[0]["readOnly"] is True
    budget = _one(documents, "PodDisruptionBudget")
    assert budget["spec"]["minAvailable"] == (3 if name == "production" else 1)
    assert budget["spec"]["selector"] == deployment["spec"]["selector"]


def test_the_migration_runs_once_before_the_servers(chart) -> None:
    _, documents = chart
    upgrades = [
        (document, container)
        for document in documents
        for _, _, container in k8s_checks.containers(document)
        if container.get("command") == ["sandbox", "db", "upgrade"]
    ]
    assert len(upgrades) == 1
    job, container = upgrades[0]
    assert job["kind"] == "Job"
    assert job["spec"]["completions"] == 1 and job["spec"]["parallelism"] == 1
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    hooks = job["metadata"]["annotations"]["helm.sh/hook"].split(",")
    assert set(hooks) == {"pre-install", "pre-upgrade"}
    env = {e["name"]: e for e in container["env"]}
    assert env["SANDBOX_DATABASE_URL"]["valueFrom"]["secretKeyRef"]["key"] == "database-url"
    assert env["SANDBOX_ENVIRONMENT"]["value"] == "production"
    # A hook runs before the release's ConfigMap exists: it must not depend on it.
    assert "envFrom" not in container


def test_the_migration_can_be_left_to_the_servers() -> None:
    documents = _render({"migration": {"enabled": False}})
    assert not [d for d in documents if d["kind"] == "Job"]
    documents = _render({"api": {"podDisruptionBudget": {"enabled": False}}})
    assert not [d for d in documents if d["kind"] == "PodDisruptionBudget"]
    # A value removed that a template reads is refused (by the schema, before any template).
    with pytest.raises(HelmRenderError, match="'podDisruptionBudget' is a required property"):
        _render({"api": {"podDisruptionBudget": None}})


def test_the_api_joins_the_ray_cluster_with_its_token(chart) -> None:
    name, documents = chart
    cluster = _one(documents, "RayCluster")
    data = _one(documents, "ConfigMap")["data"]
    host, _, port = data["SANDBOX_RAY_ADDRESS"].partition(":")
    # KubeRay names the head's service <cluster>-head-svc.
    assert host == f"{cluster['metadata']['name']}-head-svc"
    head = cluster["spec"]["headGroupSpec"]
    (head_container,) = head["template"]["spec"]["containers"]
    assert int(port) == k8s_checks.port(head_container, "gcs-server")
    assert head["rayStartParams"]["port"] == port
    assert port == ("6380" if name == "production" else "6379")
    k8s_checks.check_ray_ports(cluster)
    ray_secret = "city-ray-token" if name == "production" else "sandbox-ray-token"
    assert cluster["spec"]["authOptions"] == {"mode": "token", "secretName": ray_secret}
    for role, _, container in k8s_checks.containers(cluster):
        env = {e["name"]: e for e in container["env"]}
        assert env["RAY_AUTH_MODE"]["value"] == "token", role
        assert env["RAY_AUTH_TOKEN"]["valueFrom"]["secretKeyRef"] == {
            "name": ray_secret,
            "key": "auth_token",
        }


def test_workers_get_what_bwrap_needs_and_the_rest_stays_restricted(chart) -> None:
    name, documents = chart
    roles = set()
    for document in documents:
        for role, spec, container in k8s_checks.containers(document):
            roles.add(role)
            if role == "ray-worker":  # jobs run here
                k8s_checks.check_bwrap_context(spec, container)
            elif role == "Deployment" and container["name"] == "api":  # readiness probes bwrap
                k8s_checks.check_bwrap_probe_context(spec, container)
            else:
                k8s_checks.check_restricted_context(spec, container)
            assert container["securityContext"]["readOnlyRootFilesystem"] is True
            writable = {m["mountPath"] for m in container["volumeMounts"]}
            assert "/tmp" in writable
    assert roles == {"Deployment", "Job", "ray-head", "ray-worker"}
    cluster = _one(documents, "RayCluster")
    head = cluster["spec"]["headGroupSpec"]
    assert head["rayStartParams"]["num-cpus"] == "0"  # no job runs on the head
    (workers,) = cluster["spec"]["workerGroupSpecs"]
    assert workers["replicas"] == (8 if name == "production" else 2)
    worker_pod = workers["template"]["spec"]
    volumes = {v["name"]: v for v in worker_pod["volumes"]}
    assert volumes["shm"]["emptyDir"]["medium"] == "Memory"
    mounts = {m["mountPath"]: m["name"] for m in worker_pod["containers"][0]["volumeMounts"]}
    assert mounts["/var/lib/sandbox"] == "var" and mounts["/dev/shm"] == "shm"
    if name == "production":
        assert worker_pod["nodeSelector"] == {"node-role/compute": "true"}
        assert worker_pod["imagePullSecrets"] == [{"name": "city-registry"}]


def test_the_chart_renders_under_another_release_name() -> None:
    documents = manifests(render_chart(CHART, release="city", namespace="data"))
    names = {d["metadata"]["name"] for d in documents}
    assert {"city-sandbox-api", "city-sandbox-settings", "city-sandbox-ray"} <= names
    data = _one(documents, "ConfigMap")["data"]
    assert data["SANDBOX_RAY_ADDRESS"] == "city-sandbox-ray-head-svc:6379"


def _leaves(values: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    if isinstance(values, dict) and values:
        return [leaf for key, item in values.items() for leaf in _leaves(item, (*path, key))]
    return [path]


def test_every_value_is_read_by_a_template() -> None:
    """A value no template reads is a setting that silently does nothing."""
    text = "".join(p.read_text() for p in (CHART / "templates").iterdir())
    used = set(re.findall(r"\.Values\.([A-Za-z0-9_.]+)", text))
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    unread = [
        ".".join(leaf)
        for leaf in _leaves(values)
        if not any(".".join(leaf[:n]) in used for n in range(1, len(leaf) + 1))
    ]
    assert not unread


def test_the_migration_jobs_container_runs_as_rendered(tmp_path: Path) -> None:
    """The Job's command with exactly the Job's environment (its Secret's database URL
    replaced by a SQLite file) migrates, and a second run finds nothing to do."""
    job = _one(_render(), "Job")
    (container,) = job["spec"]["template"]["spec"]["containers"]
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    for entry in container["env"]:
        if "value" in entry:
            env[entry["name"]] = entry["value"]
        else:
            assert entry["name"] == "SANDBOX_DATABASE_URL"
            env[entry["name"]] = f"sqlite:///{tmp_path / 'platform.db'}"
    program, *arguments = container["command"]
    command = [str(Path(sys.executable).parent / program), *arguments]
    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    assert "schema upgraded to revision" in first.stdout + first.stderr
    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr
    assert "nothing to do" in second.stdout + second.stderr


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"api": {"replica": 2}}, "'replica' was unexpected"),
        ({"sandbox": {"runtimeBackend": "subprocess"}}, r"'subprocess' is not one of \["),
        ({"settings": {"DATA_URI": "s3://x"}}, "does not match"),
        ({"settings": {"SANDBOX_VAR_DIR": "/data"}}, "should not be valid"),
        ({"settings": {"SANDBOX_LOG_LEVEL": {"level": "INFO"}}}, "is not of type"),
        ({"api": {"port": 80000}}, "is greater than the maximum"),
        ({"secrets": {"keys": {"SANDBOX_SMTP_USER": {"optional": True}}}}, "'key' is a"),
        ({"ray": {"workers": {"replicas": -1}}}, "less than the minimum"),
        ({"image": {"tag": ""}}, "should be non-empty"),
    ],
)
def test_values_outside_the_schema_are_refused(overrides: dict[str, Any], complaint: str) -> None:
    """Helm checks the values against values.schema.json: a typo is an error, not ignored."""
    with pytest.raises(HelmRenderError, match=complaint):
        render_chart(CHART, overrides)


def _pod_labels(documents: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    """Each pod template's labels, by role."""
    labels = {}
    for document in documents:
        if document["kind"] in ("Deployment", "Job"):
            labels[document["kind"]] = document["spec"]["template"]["metadata"]["labels"]
        elif document["kind"] == "RayCluster":
            spec = document["spec"]
            labels["ray-head"] = spec["headGroupSpec"]["template"]["metadata"]["labels"]
            for group in spec["workerGroupSpecs"]:
                labels["ray-worker"] = group["template"]["metadata"]["labels"]
    return labels


def _selected(selector: dict[str, Any], labels: dict[str, dict[str, str]]) -> set[str]:
    wanted = selector["matchLabels"].items()
    return {role for role, have in labels.items() if wanted <= have.items()}


def test_network_policies_keep_the_ray_nodes_to_the_release(chart) -> None:
    _, documents = chart
    labels = _pod_labels(documents)
    policies = {d["metadata"]["name"]: d["spec"] for d in documents if d["kind"] == "NetworkPolicy"}
    ray, api_policy = policies["sandbox-ray"], policies["sandbox-api"]
    assert _selected(ray["podSelector"], labels) == {"ray-head", "ray-worker"}
    assert ray["policyTypes"] == ["Ingress"]
    (rule,) = ray["ingress"]
    assert "ports" not in rule  # Ray's nodes and driver use ports of their own choosing
    peers = set().union(*(_selected(p["podSelector"], labels) for p in rule["from"]))
    assert peers == {"ray-head", "ray-worker", "Deployment"}  # not the migration Job
    assert _selected(api_policy["podSelector"], labels) == {"Deployment"}
    http, callbacks = api_policy["ingress"]
    deployment = _one(documents, "Deployment")
    api = deployment["spec"]["template"]["spec"]["containers"][0]
    assert http["ports"] == [{"port": "http", "protocol": "TCP"}]
    k8s_checks.port(api, "http")
    assert "from" not in http  # anyone may reach the HTTP port unless apiFrom says
    (peer,) = callbacks["from"]
    assert _selected(peer["podSelector"], labels) == {"ray-head", "ray-worker"}


def test_network_policy_peers_and_switch() -> None:
    ingress = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress"}}}
    monitoring = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "mon"}}}
    documents = _render({"networkPolicy": {"apiFrom": [ingress], "rayFrom": [monitoring]}})
    policies = {d["metadata"]["name"]: d["spec"] for d in documents if d["kind"] == "NetworkPolicy"}
    for document in documents:
        k8s_checks.validate(document)
    assert policies["sandbox-api"]["ingress"][0]["from"] == [ingress]
    assert policies["sandbox-ray"]["ingress"][1] == {"from": [monitoring]}
    documents = _render({"networkPolicy": {"enabled": False}})
    assert not [d for d in documents if d["kind"] == "NetworkPolicy"]


def test_the_install_notes_name_the_release_objects() -> None:
    notes = render_chart(CHART, release="city", namespace="data")["templates/NOTES.txt"]
    assert "service city-sandbox-api, port 80 (3 processes" in notes
    assert "kubectl -n data exec deploy/city-sandbox-api -- sandbox users create admin" in notes
    assert "get raycluster city-sandbox-ray" in notes
    documents = manifests(render_chart(CHART, release="city", namespace="data"))
    names = {d["metadata"]["name"] for d in documents if d["kind"] in ("Deployment", "Service")}
    assert names == {"city-sandbox-api"}


@pytest.mark.parametrize(
    "release", ["City", "a-release-name-far-too-long-for-the-names-kubernetes-allows"]
)
def test_names_kubernetes_would_refuse_are_caught(release: str) -> None:
    documents = manifests(render_chart(CHART, release=release))
    with pytest.raises(AssertionError, match="bad name"):
        for document in documents:
            k8s_checks.validate(document)


def test_every_process_that_records_audit_entries_shares_the_anchor_and_its_key(chart) -> None:
    """The API and a job's runner on a Ray worker both append audit entries and checkpoint
    them: into one checkpoint file, signed with one key. A worker with a file of its own
    leaves its entries unanchored in the API's file (a verification problem once later
    entries are anchored: tests/deploy/test_rendered_platform.py runs this) and adopts the
    whole log into its own empty file."""
    name, documents = chart
    data = _one(documents, "ConfigMap")["data"]
    deployment = _one(documents, "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    claim = "sandbox-shared" if name == "production" else "sandbox-var"
    keys = "city-keys" if name == "production" else "sandbox-keys"
    expected = {
        "SANDBOX_AUDIT_ANCHOR_PATH": ("pvc", claim, "audit-anchor/checkpoints.jsonl"),
        "SANDBOX_AUDIT_KEY_PATH": ("secret", keys, "audit-signing.key"),
    }
    places = [(pod, pod["containers"][0])]
    cluster = _one(documents, "RayCluster")
    for role, spec, container in k8s_checks.containers(cluster):
        if role == "ray-worker":
            places.append((spec, container))
    assert len(places) == 2
    for spec, container in places:
        for setting, place in expected.items():
            assert k8s_checks.storage_of(spec, container, data[setting]) == place, setting


def test_each_api_pod_reaches_the_cluster_through_a_ray_node_of_its_own(chart) -> None:
    """A Ray driver connects through a Ray node on its own host (it looks for the raylet
    among its host's processes, then uses the node's sockets and object store): the API pod
    runs one as a native sidecar, without CPUs, sharing processes, /tmp and /dev/shm."""
    name, documents = chart
    deployment = _one(documents, "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    assert pod["shareProcessNamespace"] is True
    (sidecar,) = pod["initContainers"]
    assert sidecar["restartPolicy"] == "Always"  # restarted when its head is lost
    command = sidecar["command"]
    assert command[:3] == ["ray", "start", "--block"]
    assert "--address=$(SANDBOX_RAY_ADDRESS)" in command and "--num-cpus=0" in command
    env = {e["name"]: e for e in sidecar["env"]}
    # $(VAR) expands only variables the container defines: the address from the ConfigMap,
    # the pod's IP from the downward API.
    assert sidecar["envFrom"] == pod["containers"][0]["envFrom"]
    assert env["POD_IP"]["valueFrom"]["fieldRef"]["fieldPath"] == "status.podIP"
    assert "--node-ip-address=$(POD_IP)" in command
    ray_secret = "city-ray-token" if name == "production" else "sandbox-ray-token"
    assert env["RAY_AUTH_MODE"]["value"] == "token"
    assert env["RAY_AUTH_TOKEN"]["valueFrom"]["secretKeyRef"]["name"] == ray_secret
    store = int(next(a for a in command if a.startswith("--object-store-memory=")).split("=")[1])
    volumes = {v["name"]: v for v in pod["volumes"]}
    for path in ("/tmp", "/dev/shm"):
        shared = {
            m["name"]
            for c in (sidecar, pod["containers"][0])
            for m in c["volumeMounts"]
            if m["mountPath"] == path
        }
        assert len(shared) == 1, path  # the same volume in both containers
    assert volumes["shm"]["emptyDir"]["medium"] == "Memory"
    shm_bytes = int(volumes["shm"]["emptyDir"]["sizeLimit"].removesuffix("Gi")) * 1024**3
    assert store < shm_bytes


def test_the_settings_the_chart_sets_are_not_values() -> None:
    """Each setting the ConfigMap sets itself is refused among the values' settings (the
    ConfigMap would hold the key twice)."""
    data = _one(_render(), "ConfigMap")["data"]
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    schema = json.loads((CHART / "values.schema.json").read_text())
    (_, refused) = schema["properties"]["settings"]["propertyNames"]["allOf"]
    assert set(refused["not"]["enum"]) == set(data) - set(values["settings"])
