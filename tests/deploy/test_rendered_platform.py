"""The Helm chart's API pod, run for real: its rendered environment joins a token-protected
Ray cluster whose head has no CPU (as the chart's RayCluster), opens an S3 data root, passes
the production checks on bwrap, answers ``/v1/ready`` with every part ready, and runs a DP
job on the cluster's worker node inside bubblewrap.

The server runs as its pod would run it: on a read-only file system (bubblewrap's bind
mounts) where only the pod's volumes are writable. What a kubelet would do is done here by
hand, and nothing more: the ConfigMap's data and the
container's ``env`` become the server's environment, each ``secretKeyRef`` is resolved from
the Secrets an operator creates (an optional key that is absent leaves its variable unset),
and each path under a volume mount is moved to a directory of this test. The one other value
that names an object of the cluster, the Ray head service's address, is replaced by the test
cluster's loopback address; every other value is used exactly as rendered.
"""

from __future__ import annotations

import os
import secrets
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
    ref = entry["valueFrom"]["secretKeyRef"]
    found = operator_secrets.get(ref["name"], {}).get(ref["key"])
    assert found is not None or ref.get("optional"), f"the Secret lacks {ref}"
    return found


def api_environment(
    documents: list[dict[str, Any]],
    operator_secrets: dict[str, dict[str, str]],
    mounts: dict[str, Path],
) -> tuple[dict[str, str], set[str]]:
    """The API container's environment, and the variables moved from its mounts."""
    deployment = _kind(documents, "Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    (source,) = container["envFrom"]
    config = _kind(documents, "ConfigMap")
    assert source["configMapRef"]["name"] == config["metadata"]["name"]
    env: dict[str, str] = dict(config["data"])
    for entry in container["env"]:  # env overrides envFrom, as in Kubernetes
        value = _resolve(entry, operator_secrets)
        if value is not None:
            env[entry["name"]] = value
    declared = {m["mountPath"] for m in container["volumeMounts"]}
    assert set(mounts) <= declared
    moved = set()
    for name, value in env.items():
        for mount_path, local in mounts.items():
            if value == mount_path or value.startswith(mount_path + "/"):
                env[name] = str(local) + value[len(mount_path) :]
                moved.add(name)
    return env, moved


def start_read_only(
    var_dir: Path, env: dict[str, str], writable: list[Path], read_only: list[Path]
) -> LiveServer:
    """The server as its pod runs it (``readOnlyRootFilesystem``): the whole file system
    read-only (bubblewrap's bind mounts; the network is the host's), writable only where the
    pod mounts a volume (``writable``: its ``/tmp`` first, then the working directory), and
    ``read_only`` mounted again read-only inside them (the key files' Secret)."""
    port = free_port()
    log_path = var_dir / "server.log"
    tmp, *volumes = writable
    tmp.mkdir(exist_ok=True)
    sandbox = ["bwrap", "--ro-bind", "/", "/", "--dev-bind", "/dev", "/dev", "--proc", "/proc"]
    sandbox += ["--bind", str(tmp), "/tmp"]
    for path in volumes:
        sandbox += ["--bind", str(path), str(path)]
    for path in read_only:
        sandbox += ["--ro-bind", str(path), str(path)]
    sandbox += ["--die-with-parent", "--chdir", str(ROOT), "--"]
    command = [sys.executable, "-m", "uvicorn", "--factory", "api.main:create_app"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter, under bwrap
            sandbox + command, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    server = LiveServer(f"http://127.0.0.1:{port}", var_dir, process, log_path, env)
    SERVER_VAR_DIRS[server.url] = var_dir.resolve()
    return wait_healthy(server)


def test_the_rendered_api_pod_runs_the_platform(
    ray_nodes: RayNodes, s3_server: S3Server, tmp_path: Path
) -> None:
    prefix = f"deploy-{secrets.token_hex(4)}"
    documents = manifests(
        render_chart(
            CHART,
            {
                "settings": {
                    "SANDBOX_DATA_URI": s3_server.data_uri(prefix),
                    "SANDBOX_S3_ENDPOINT_URL": s3_server.endpoint,
                    "SANDBOX_S3_REGION": REGION,
                }
            },
        )
    )
    var_dir = tmp_path / "var"
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
    env, moved = api_environment(
        documents,
        operator_secrets,
        {"/var/lib/sandbox": var_dir, "/etc/sandbox/keys": keys},
    )
    assert moved == {
        "SANDBOX_VAR_DIR",
        "SANDBOX_AUDIT_ANCHOR_PATH",
        "SANDBOX_AUDIT_KEY_PATH",
        "SANDBOX_VERIFICATION_KEY_PATH",
    }
    cluster = _kind(documents, "RayCluster")
    gcs_port = cluster["spec"]["headGroupSpec"]["rayStartParams"]["port"]
    assert env["SANDBOX_RAY_ADDRESS"] == f"{cluster['metadata']['name']}-head-svc:{gcs_port}"
    env["SANDBOX_RAY_ADDRESS"] = ray_nodes.address
    assert env["SANDBOX_ENVIRONMENT"] == "production" and env["SANDBOX_RUNTIME_BACKEND"] == "bwrap"
    # The server's process: the host's environment without Ray's own variables (the pod has
    # none: the server sets them from SANDBOX_RAY_AUTH_TOKEN) and without any SANDBOX_*.
    host = {k: v for k, v in os.environ.items() if not k.startswith(("RAY_", "SANDBOX_", "AWS_"))}
    # As the image sets them: no bytecode written, the home in the working directory.
    image = {"PYTHONDONTWRITEBYTECODE": "1", "HOME": str(var_dir), "RAY_USAGE_STATS_ENABLED": "0"}
    deployment = _kind(documents, "Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    writable = [tmp_path / "tmp", var_dir, database]
    server = start_read_only(var_dir, {**host, **image, **env}, writable, read_only=[keys])
    try:
        # The server joins its cluster just after it starts (compute "on demand" until then);
        # give a loaded machine time to.
        deadline = time.monotonic() + 180
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
        reference = grant(world, "user", ["deploy_cond"])["ref"]
        assert reference
        with world.api("user") as api:
            job = api.submit_job(["deploy_cond"], source=QUICK)
            done = api.wait_for_job(job["id"], timeout=300, until=lambda j: j["state"] in ENDED)
        assert done["state"] in RAN, done  # on the worker node: the head has no CPU
        assert done["backend"] == "bwrap", done
    finally:
        stop_server(server)
