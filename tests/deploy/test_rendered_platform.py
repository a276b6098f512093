"""The Helm chart's API pod, run for real: its two containers as rendered (the server and its
Ray node sidecar) join a token-protected Ray cluster whose head has no CPU (as the chart's
RayCluster), open an S3 data root, pass the production checks on bwrap, answer ``/v1/ready``
with every part ready, and run a DP job on the cluster's worker node inside bubblewrap.

The pod is one bubblewrap sandbox: a process namespace of its own shared by both containers
(``shareProcessNamespace``), a private ``/tmp`` and ``/dev/shm`` shared by both (the pod's
emptyDir volumes), and a read-only file system everywhere else (``readOnlyRootFilesystem``)
but the pod's other volumes. So the server can reach the cluster only through its own Ray
node, as in the pod, never through the test cluster's nodes on this host.

What a kubelet would do is done by hand, and nothing more: the ConfigMap's data and each
container's ``env`` become its environment (a ``secretKeyRef`` resolved from the Secrets an
operator creates, an optional key that is absent leaving its variable unset; the pod's IP
from the downward API), ``$(VAR)`` in a command is expanded, and each path under a volume
mount is moved to a directory of this test. Two values name the cluster itself and are
replaced by the test's: the Ray head service's address (the test cluster's loopback
address) and the listening host ``0.0.0.0`` (``127.0.0.1``: the pod's network namespace
would be its own, here it is the host's). Everything else is used exactly as rendered.
"""

from __future__ import annotations

import re
import secrets
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.support.helm_render import manifests, render_chart
from tests.support.ray_nodes import RayNodes
from tests.support.s3 import REGION, S3Server
from tests.support.server import (
    SERVER_VAR_DIRS,
    LiveServer,
    free_port,
    stop_server,
    wait_healthy,
)
from tests.support.world import build_world, grant

pytestmark = [pytest.mark.server, pytest.mark.bwrap, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "infra" / "helm" / "sandbox"
IMAGE_PATH = f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin"
"""The image's PATH: the platform's programs (``sandbox``, ``ray``), then the system's."""
POD_IP = "127.0.0.1"

QUICK = '''"""One count."""


def run(ctx):
    return ctx.dataset("deploy_cond").count(epsilon=0.1)
'''

RAN = {"succeeded", "pending_review"}
"""States of a job that ran to its end (a DP result may wait for its review)."""
ENDED = RAN | {"failed", "cancelled"}


def _kind(documents: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    (found,) = [d for d in documents if d["kind"] == kind]
    return found


def _resolve(entry: dict[str, Any], operator_secrets: dict[str, dict[str, str]]) -> str | None:
    """An ``env`` entry's value as the kubelet gives it (``None``: left unset)."""
    if "value" in entry:
        value: str = entry["value"]
        return value
    source = entry["valueFrom"]
    if "fieldRef" in source:
        assert source["fieldRef"]["fieldPath"] == "status.podIP", source
        return POD_IP
    ref = source["secretKeyRef"]
    found = operator_secrets.get(ref["name"], {}).get(ref["key"])
    assert found is not None or ref.get("optional"), f"the Secret lacks {ref}"
    return found


def container_environment(
    config: dict[str, Any],
    container: dict[str, Any],
    operator_secrets: dict[str, dict[str, str]],
    mounts: dict[str, Path],
) -> tuple[dict[str, str], set[str]]:
    """A container's environment, and the variables whose paths were moved from its mounts."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        assert source["configMapRef"]["name"] == config["metadata"]["name"]
        env.update(config["data"])
    for entry in container.get("env", []):  # env overrides envFrom, as in Kubernetes
        value = _resolve(entry, operator_secrets)
        if value is not None:
            env[entry["name"]] = value
    declared = {m["mountPath"] for m in container["volumeMounts"]}
    moved = set()
    for name, value in env.items():
        for mount_path, local in mounts.items():
            if value == mount_path or value.startswith(mount_path + "/"):
                assert mount_path in declared, f"{name} is under {mount_path}, not mounted"
                env[name] = str(local) + value[len(mount_path) :]
                moved.add(name)
    return env, moved


def expand(command: list[str], env: dict[str, str]) -> list[str]:
    """``$(VAR)`` replaced by the container's variable, as the kubelet does."""
    return [re.sub(r"\$\((\w+)\)", lambda m: env.get(m.group(1), m.group(0)), a) for a in command]


def start_pod(
    var_dir: Path,
    volumes: list[Path],
    read_only: list[Path],
    sidecar: tuple[dict[str, str], list[str]],
    server: tuple[dict[str, str], list[str]],
    url: str,
) -> LiveServer:
    """The pod: one bubblewrap sandbox with its own process namespace, ``/tmp`` and
    ``/dev/shm``, everything read-only but ``volumes`` (and ``read_only`` mounted again
    read-only inside them); the sidecar started first, then the server."""
    tmp = var_dir.parent / "pod-tmp"
    tmp.mkdir()
    sandbox = ["bwrap", "--unshare-pid", "--die-with-parent", "--ro-bind", "/", "/"]
    sandbox += ["--dev-bind", "/dev", "/dev", "--tmpfs", "/dev/shm", "--proc", "/proc"]
    sandbox += ["--bind", str(tmp), "/tmp"]
    for path in volumes:
        sandbox += ["--bind", str(path), str(path)]
    for path in read_only:
        sandbox += ["--ro-bind", str(path), str(path)]
    sandbox += ["--chdir", "/"]

    def launch(env: dict[str, str], argv: list[str]) -> str:
        assignments = [f"{k}={v}" for k, v in sorted(env.items())]
        return shlex.join(["env", "-i", *assignments, *argv])

    script = f"{launch(*sidecar)} & exec {launch(*server)}"
    log_path = var_dir / "pod.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own programs, under bwrap
            [*sandbox, "--", "/bin/sh", "-c", script],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    live = LiveServer(url, var_dir, process, log_path, server[0])
    SERVER_VAR_DIRS[url] = var_dir.resolve()
    return wait_healthy(live)


def test_the_rendered_api_pod_runs_the_platform(
    ray_nodes: RayNodes, s3_server: S3Server, tmp_path: Path
) -> None:
    prefix = f"deploy-{secrets.token_hex(4)}"
    port = free_port()
    documents = manifests(
        render_chart(
            CHART,
            {
                "api": {"port": port},
                "settings": {
                    "SANDBOX_DATA_URI": s3_server.data_uri(prefix),
                    "SANDBOX_S3_ENDPOINT_URL": s3_server.endpoint,
                    "SANDBOX_S3_REGION": REGION,
                },
            },
        )
    )
    var_dir = tmp_path / "var"  # the shared volume
    keys = var_dir / "secrets"  # the key files' Secret, mounted here
    keys.mkdir(parents=True)
    database = tmp_path / "database"  # stands for the PostgreSQL host
    database.mkdir()
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (keys / "audit-signing.key").write_bytes(pem)
    (keys / "verification.key").write_text(secrets.token_hex(32))
    operator_secrets = {
        "sandbox-secrets": {
            "database-url": f"sqlite:///{database / 'platform.db'}",
            "s3-access-key-id": s3_server.access_key,
            "s3-secret-access-key": s3_server.secret_key,
        },
        "sandbox-ray-token": {"auth_token": ray_nodes.token},
    }
    config = _kind(documents, "ConfigMap")
    cluster = _kind(documents, "RayCluster")
    gcs_port = cluster["spec"]["headGroupSpec"]["rayStartParams"]["port"]
    head_service = f"{cluster['metadata']['name']}-head-svc:{gcs_port}"
    assert config["data"]["SANDBOX_RAY_ADDRESS"] == head_service
    config["data"]["SANDBOX_RAY_ADDRESS"] = ray_nodes.address
    pod = _kind(documents, "Deployment")["spec"]["template"]["spec"]
    assert pod["shareProcessNamespace"] is True
    (sidecar,) = pod["initContainers"]
    (api,) = pod["containers"]
    assert api["securityContext"]["readOnlyRootFilesystem"] is True
    mounts = {"/var/lib/sandbox": var_dir, "/etc/sandbox/keys": keys}
    # The sidecar mounts no volume of the platform's (it reads no SANDBOX_* setting).
    sidecar_env, _ = container_environment(config, sidecar, operator_secrets, {})
    api_env, moved = container_environment(config, api, operator_secrets, mounts)
    assert moved == {
        "SANDBOX_VAR_DIR",
        "SANDBOX_AUDIT_ANCHOR_PATH",
        "SANDBOX_AUDIT_KEY_PATH",
        "SANDBOX_VERIFICATION_KEY_PATH",
    }
    assert api_env["SANDBOX_ENVIRONMENT"] == "production"
    assert api_env["SANDBOX_RUNTIME_BACKEND"] == "bwrap"
    assert "RAY_AUTH_TOKEN" not in api_env  # the server sets it from SANDBOX_RAY_AUTH_TOKEN
    # What the image provides: its PATH, the platform user's home, no bytecode written.
    image = {"PATH": IMAGE_PATH, "PYTHONDONTWRITEBYTECODE": "1", "HOME": str(var_dir)}
    sidecar_command = expand(sidecar["command"], {**image, **sidecar_env})
    server_command = expand(api["command"], {**image, **api_env})
    host = server_command.index("--host") + 1
    assert server_command[host] == "0.0.0.0"
    server_command[host] = "127.0.0.1"
    server = start_pod(
        var_dir,
        volumes=[var_dir, database],
        read_only=[keys],
        sidecar=({**image, **sidecar_env}, sidecar_command),
        server=({**image, **api_env}, server_command),
        url=f"http://127.0.0.1:{port}",
    )
    try:
        # The server joins its cluster through its Ray node once that node is up (compute is
        # "on demand" until then); give a loaded machine time to.
        deadline = time.monotonic() + 240
        ready = httpx.get(f"{server.url}/v1/ready", timeout=60)
        while ready.json()["parts"]["compute"] != "ready" and time.monotonic() < deadline:
            time.sleep(1)
            ready = httpx.get(f"{server.url}/v1/ready", timeout=60)
        assert ready.status_code == 200, ready.text
        assert ready.json()["parts"] == {
            "database": "ready",
            "storage": "ready",
            "compute": "ready",
            "sandbox": "ready",
        }
        world = build_world(server, {"deploy_cond": "conditional"})
        assert grant(world, "user", ["deploy_cond"])["ref"]
        with world.api("user") as client:
            job = client.submit_job(["deploy_cond"], source=QUICK)
            done = client.wait_for_job(job["id"], timeout=300, until=lambda j: j["state"] in ENDED)
        # It ran on the worker node: the head and the API pod's node have no CPU.
        assert done["state"] in RAN, done
        assert done["backend"] == "bwrap", done
    finally:
        stop_server(server)
