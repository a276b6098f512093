"""Checks shared by the deployment tests: Kubernetes schemas, the settings, the pods.

Core kinds are validated against Kubernetes' own JSON schemas (kubernetes-validate, strict:
an unknown field is an error). A RayCluster is a custom resource whose schema ships with the
KubeRay operator, not here: its own fields are checked against the fields of KubeRay's
``ray.io/v1`` CRD that the manifests use, and its pod templates, which are plain
``PodTemplateSpec``\\ s, against Kubernetes' schema.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import kubernetes_validate
from pydantic import SecretStr

from sandbox.config import Settings

KUBERNETES_VERSION = "1.33.0"
"""The oldest Kubernetes the chart supports (``kubeVersion``): user namespaces for pods
(``hostUsers: false``) and the ``appArmorProfile`` field."""

PLATFORM_UID = 10001
"""The image's unprivileged user (infra/Dockerfile.api)."""

RAY_SPEC_FIELDS = {
    "rayVersion",
    "authOptions",
    "headGroupSpec",
    "workerGroupSpecs",
    "enableInTreeAutoscaling",
    "autoscalerOptions",
    "headServiceAnnotations",
    "suspend",
}
RAY_HEAD_FIELDS = {"rayStartParams", "template", "serviceType", "headService", "enableIngress"}
RAY_WORKER_FIELDS = {
    "groupName",
    "replicas",
    "minReplicas",
    "maxReplicas",
    "rayStartParams",
    "template",
    "idleTimeoutSeconds",
    "numOfHosts",
    "suspend",
}


def setting_names() -> set[str]:
    """Every ``SANDBOX_*`` variable the server reads."""
    return {f"SANDBOX_{name.upper()}" for name in Settings.model_fields}


def secret_setting_names() -> set[str]:
    """The settings that hold secrets: every ``SecretStr`` field, and the database URL
    (which carries the database password)."""
    secret = {
        f"SANDBOX_{name.upper()}"
        for name, info in Settings.model_fields.items()
        if info.annotation is SecretStr
    }
    return secret | {"SANDBOX_DATABASE_URL"}


DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
LABEL_NAME = re.compile(r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?")
LABEL_PREFIX = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


def check_names(metadata: dict[str, Any], where: str) -> None:
    """What the API server checks and the JSON schemas do not: object names (DNS labels
    here: Services, and the pods KubeRay names after its RayCluster, need them) and label
    keys and values."""
    name = metadata.get("name")
    if name is not None:
        assert DNS_LABEL.fullmatch(name) and len(name) <= 63, f"{where}: bad name {name!r}"
    for key, value in metadata.get("labels", {}).items():
        prefix, _, label = key.rpartition("/")
        assert not prefix or (LABEL_PREFIX.fullmatch(prefix) and len(prefix) <= 253), key
        assert label and LABEL_NAME.fullmatch(label) and len(label) <= 63, f"{where}: {key}"
        assert isinstance(value, str), f"{where}: label {key} must be a string"
        assert LABEL_NAME.fullmatch(value) and len(value) <= 63, f"{where}: {key}={value!r}"


def _metadata(value: Any, where: str) -> None:
    """Every ``metadata`` in ``value``: the object's and its pod templates'."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "metadata" and isinstance(item, dict):
                check_names(item, where)
            else:
                _metadata(item, where)
    elif isinstance(value, list):
        for item in value:
            _metadata(item, where)


def validate(document: dict[str, Any]) -> None:
    """Raise if ``document`` is not a valid object of its kind."""
    _metadata(document, f"{document['kind']} {document['metadata'].get('name')}")
    for _, spec, container in containers(document):
        # The API server refuses an unmasked /proc outside a pod user namespace.
        if container.get("securityContext", {}).get("procMount") == "Unmasked":
            assert spec.get("hostUsers") is False, "`hostUsers` must be false to use `Unmasked`"
    if document["apiVersion"] == "ray.io/v1":
        check_raycluster(document)
        return
    kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def _validate_pod_template(template: dict[str, Any], where: str) -> None:
    wrapper = {
        "apiVersion": "v1",
        "kind": "PodTemplate",
        "metadata": {"name": where},
        "template": template,
    }
    kubernetes_validate.validate(wrapper, KUBERNETES_VERSION, strict=True)


def _string_map(value: Any, where: str) -> None:
    assert isinstance(value, dict), f"{where} must be a map"
    for key, item in value.items():
        assert isinstance(item, str), f"{where}.{key} must be a string, not {item!r}"


def check_raycluster(cluster: dict[str, Any]) -> None:
    """The fields a KubeRay ``ray.io/v1`` RayCluster accepts, with their types, and valid
    pod templates."""
    assert cluster["kind"] == "RayCluster"
    assert cluster["metadata"]["name"]
    spec = cluster["spec"]
    assert set(spec) <= RAY_SPEC_FIELDS, set(spec) - RAY_SPEC_FIELDS
    assert isinstance(spec["rayVersion"], str)
    auth = spec["authOptions"]
    assert auth["mode"] in ("disabled", "token")
    assert set(auth) <= {"mode", "secretName", "enableK8sTokenAuth"}
    head = spec["headGroupSpec"]
    assert set(head) <= RAY_HEAD_FIELDS and "template" in head
    _string_map(head.get("rayStartParams", {}), "headGroupSpec.rayStartParams")
    _validate_pod_template(head["template"], "ray-head")
    names = set()
    for group in spec["workerGroupSpecs"]:
        assert set(group) <= RAY_WORKER_FIELDS, set(group) - RAY_WORKER_FIELDS
        for required in ("groupName", "minReplicas", "maxReplicas", "template"):
            assert required in group, f"a worker group needs {required}"
        for count in ("replicas", "minReplicas", "maxReplicas"):
            assert isinstance(group.get(count, 0), int) and group.get(count, 0) >= 0
        assert group["minReplicas"] <= group.get("replicas", 0) <= group["maxReplicas"]
        _string_map(group.get("rayStartParams", {}), f"{group['groupName']}.rayStartParams")
        _validate_pod_template(group["template"], f"ray-{group['groupName']}")
        names.add(group["groupName"])
    assert len(names) == len(spec["workerGroupSpecs"]), "worker group names must differ"


def pod_specs(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(role, pod spec)`` of each pod a workload document makes."""
    kind = document["kind"]
    if kind in ("Deployment", "Job", "StatefulSet", "DaemonSet"):
        yield kind, document["spec"]["template"]["spec"]
    elif kind == "RayCluster":
        yield "ray-head", document["spec"]["headGroupSpec"]["template"]["spec"]
        for group in document["spec"]["workerGroupSpecs"]:
            yield "ray-worker", group["template"]["spec"]


def containers(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """``(role, pod spec, container)`` of each container a workload document runs."""
    for role, spec in pod_specs(document):
        for container in spec.get("initContainers", []) + spec["containers"]:
            yield role, spec, container


def env_names(container: dict[str, Any]) -> list[str]:
    """The variables a container sets itself (not those from ``envFrom``)."""
    return [entry["name"] for entry in container.get("env", [])]


def check_unprivileged(spec: dict[str, Any], container: dict[str, Any]) -> None:
    """The image's own unprivileged user, no capability, no privilege escalation."""
    pod = spec.get("securityContext", {})
    context = container.get("securityContext", {})
    assert spec.get("automountServiceAccountToken") is False  # no Kubernetes API token
    assert pod.get("runAsNonRoot") is True and pod.get("runAsUser") == PLATFORM_UID
    assert context.get("privileged", False) is False
    assert context.get("allowPrivilegeEscalation") is False
    assert context["capabilities"]["drop"] == ["ALL"]
    assert not context["capabilities"].get("add")


def check_bwrap_context(spec: dict[str, Any], container: dict[str, Any]) -> None:
    """What bubblewrap needs inside a container, and nothing more: a user namespace of the
    pod's own, seccomp and AppArmor unconfined, an unmasked /proc; no capability."""
    check_unprivileged(spec, container)
    assert spec.get("hostUsers") is False
    context = container["securityContext"]
    assert context["seccompProfile"] == {"type": "Unconfined"}
    assert context["appArmorProfile"] == {"type": "Unconfined"}
    assert context["procMount"] == "Unmasked"


def check_bwrap_probe_context(spec: dict[str, Any], container: dict[str, Any]) -> None:
    """What bubblewrap's availability probe needs (namespaces and a bind mount, no /proc):
    seccomp and AppArmor unconfined, no capability, and the host's user mapping (a pod user
    namespace would need idmapped mounts of the API's shared volume)."""
    check_unprivileged(spec, container)
    assert "hostUsers" not in spec
    context = container["securityContext"]
    assert context["seccompProfile"] == {"type": "Unconfined"}
    assert context["appArmorProfile"] == {"type": "Unconfined"}
    assert "procMount" not in context


def check_restricted_context(spec: dict[str, Any], container: dict[str, Any]) -> None:
    """A container that starts no sandbox keeps the runtime's default seccomp profile."""
    check_unprivileged(spec, container)
    context = container["securityContext"]
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}
    assert "procMount" not in context and "appArmorProfile" not in context


def port(container: dict[str, Any], name: str) -> int:
    """The number of the container's port called ``name``."""
    numbers = [p["containerPort"] for p in container.get("ports", []) if p.get("name") == name]
    assert len(numbers) == 1, f"{container['name']} has no single port {name!r}"
    number: int = numbers[0]
    return number


RAY_PORT_PARAMETERS = {
    "gcs-server": "port",
    "dashboard": "dashboard-port",
    "client": "ray-client-server-port",
    "metrics": "metrics-export-port",
}
"""Each Ray container port's name (KubeRay's) and the ``ray start`` option that sets it."""


def check_ray_ports(cluster: dict[str, Any]) -> None:
    """Every port a Ray container declares is the one its ``ray start`` listens on."""
    groups = [cluster["spec"]["headGroupSpec"], *cluster["spec"]["workerGroupSpecs"]]
    for group in groups:
        params = group.get("rayStartParams", {})
        for container in group["template"]["spec"]["containers"]:
            for declared in container.get("ports", []):
                option = RAY_PORT_PARAMETERS[declared["name"]]
                assert params.get(option) == str(declared["containerPort"]), (
                    f"{container['name']}: port {declared['name']} is not --{option}"
                )


def storage_of(spec: dict[str, Any], container: dict[str, Any], path: str) -> tuple[str, str, str]:
    """Where ``path`` lives for ``container``: ``("pvc", claim, path in it)``, ``("secret",
    name, key)``, ``("emptyDir", volume, path in it)``, or ``("image", "", path)``."""
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    best: dict[str, Any] | None = None
    for mount in container.get("volumeMounts", []):
        root = mount["mountPath"].rstrip("/")
        if path == root or path.startswith(root + "/"):
            if best is None or len(root) > len(best["mountPath"].rstrip("/")):
                best = mount
    if best is None:
        return ("image", "", path)
    inner = path[len(best["mountPath"].rstrip("/")) :].lstrip("/")
    inner = "/".join(part for part in (best.get("subPath", ""), inner) if part)
    volume = volumes[best["name"]]
    if "persistentVolumeClaim" in volume:
        return ("pvc", volume["persistentVolumeClaim"]["claimName"], inner)
    if "secret" in volume:
        return ("secret", volume["secret"]["secretName"], inner)
    if "emptyDir" in volume:
        return ("emptyDir", best["name"], inner)
    raise AssertionError(f"unexpected volume {volume}")
