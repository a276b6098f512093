"""The Helm chart's pods, run for real. The API pod's two containers as rendered (the server
and its Ray node sidecar) join a token-protected Ray cluster whose head has no CPU (as the
chart's RayCluster), open an S3 data root, pass the production checks on bwrap, answer
``/v1/ready`` with every part ready, and run a DP job on the cluster's worker node inside
bubblewrap. Then the RayCluster's worker pod as rendered, the only node with CPUs, runs a job
inside bubblewrap in its own user namespace, and the audit chain verifies with every entry
anchored in the API's checkpoint file.

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

import contextlib
import os
import re
import secrets
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sandbox.audit.chain import verify
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
IMAGE_FILES = (Path(__file__).resolve().parents[2], Path(sys.prefix))
"""What the image holds (the checkout and its virtualenv), mounted again after the pod's own
``/tmp``: a checkout under ``/tmp`` (a CI clone) would otherwise be hidden by it."""

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
    for path in IMAGE_FILES:
        sandbox += ["--ro-bind", str(path), str(path)]
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


def kuberay_worker_command(
    group: dict[str, Any], container: dict[str, Any], head: str
) -> list[str]:
    """The ``ray start`` KubeRay runs in a worker group's Ray container: the head's address,
    the CPUs of the container's limit, then the group's ``rayStartParams`` (a ``"true"`` one
    as a bare flag)."""
    cpus = str(container["resources"]["limits"]["cpu"])
    command = ["ray", "start", "--block", f"--address={head}", f"--num-cpus={cpus}"]
    for option, value in sorted(group["rayStartParams"].items()):
        command.append(f"--{option}" if value == "true" else f"--{option}={value}")
    return command


def start_worker_pod(
    pod_dir: Path,
    env: dict[str, str],
    command: list[str],
    binds: list[tuple[Path, Path, bool]],
) -> subprocess.Popen[bytes]:
    """A Ray worker pod: one bubblewrap sandbox in a user namespace of its own as the
    image's user (``hostUsers: false``, uid 10001), a private ``/tmp`` and ``/dev/shm``,
    everything read-only but ``binds`` (host path, path inside, read-only?) in order. Its
    ``/proc`` is the host's, which is unmasked here, as ``procMount: Unmasked`` gives the pod
    (bubblewrap's own ``--proc`` would make parts of it read-only, and a kernel refuses a
    nested ``/proc`` mount then), so it keeps the host's process namespace too."""
    tmp = pod_dir / "tmp"
    tmp.mkdir(parents=True)
    sandbox = ["bwrap", "--unshare-user", "--uid", "10001", "--gid", "10001"]
    sandbox += ["--die-with-parent", "--ro-bind", "/", "/", "--dev", "/dev"]
    sandbox += ["--tmpfs", "/dev/shm", "--bind", "/proc", "/proc", "--bind", str(tmp), "/tmp"]
    for path in IMAGE_FILES:
        sandbox += ["--ro-bind", str(path), str(path)]
    for source, target, read_only in binds:
        sandbox += ["--ro-bind" if read_only else "--bind", str(source), str(target)]
    sandbox += ["--chdir", "/", "--"]
    assignments = [f"{k}={v}" for k, v in sorted(env.items())]
    with (pod_dir / "worker.log").open("wb") as log:
        return subprocess.Popen(  # noqa: S603 - our own programs, under bwrap
            [*sandbox, "env", "-i", *assignments, *command], stdout=log, stderr=subprocess.STDOUT
        )


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (from ``/proc``: the pod shares the host's)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def stop_worker_pod(process: subprocess.Popen[bytes]) -> None:
    """Stop the pod as the kubelet does: SIGTERM to its processes (Ray's node leaves the
    cluster at once), SIGKILL to those left after 30 s."""
    tree = _descendants(process.pid)
    for pid in tree:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in tree):
        time.sleep(0.5)
    for pid in tree:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.terminate()
    process.wait(timeout=30)


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
        run_on_a_worker_pod(world, documents, operator_secrets, config, ray_nodes, tmp_path)
    finally:
        stop_server(server)


def run_on_a_worker_pod(
    world: Any,
    documents: list[dict[str, Any]],
    operator_secrets: dict[str, dict[str, str]],
    config: dict[str, Any],
    ray_nodes: RayNodes,
    tmp_path: Path,
) -> None:
    """The RayCluster's worker pod as rendered, the cluster's only node with CPUs: a job runs
    in it (bubblewrap inside the pod's user namespace, on its read-only file system), and the
    audit entries its runner records are anchored in the API's checkpoint file, so the whole
    chain verifies against it."""
    cluster = _kind(documents, "RayCluster")
    (group,) = cluster["spec"]["workerGroupSpecs"]
    spec = group["template"]["spec"]
    (container,) = spec["containers"]
    assert spec["hostUsers"] is False and container["securityContext"]["procMount"] == "Unmasked"
    var_dir = tmp_path / "var"
    # The worker's settings come with its tasks (the API's, paths included), so each of its
    # volumes is bound where the API's settings point: its own emptyDir at the working
    # directory, the shared volume's audit-anchor/ and the key files' Secret inside it.
    pod_dir = tmp_path / "worker-pod"
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    assert mounts["/var/lib/sandbox/audit-anchor"]["subPath"] == "audit-anchor"
    assert mounts["/etc/sandbox/keys"]["readOnly"] is True
    (pod_dir / "var").mkdir(parents=True)
    database = tmp_path / "database"  # the PostgreSQL host, which every pod reaches
    binds = [
        (pod_dir / "var", var_dir, False),
        (var_dir / "audit-anchor", var_dir / "audit-anchor", False),
        (var_dir / "secrets", var_dir / "secrets", True),
        (database, database, False),
    ]
    env, _ = container_environment(config, container, operator_secrets, {})
    env = {"PATH": IMAGE_PATH, "PYTHONDONTWRITEBYTECODE": "1", "HOME": str(var_dir), **env}
    command = kuberay_worker_command(group, container, ray_nodes.address)
    # Its ports are the pod's own in Kubernetes; on this host they must not collide.
    command = [
        f"--metrics-export-port={free_port()}" if a.startswith("--metrics-export-port=") else a
        for a in command
    ]
    command.append(f"--node-ip-address={POD_IP}")
    ray_nodes.kill_worker()
    worker = start_worker_pod(pod_dir, env, command, binds)
    try:
        with world.api("user") as client:
            job = client.submit_job(["deploy_cond"], source=QUICK)
            done = client.wait_for_job(job["id"], timeout=420, until=lambda j: j["state"] in ENDED)
        log = (pod_dir / "worker.log").read_text(errors="replace")[-3000:]
        assert done["state"] in RAN, (done["state_reason"], log)
        assert done["backend"] == "bwrap", done
        # The pod's bubblewrap staged its runtime root in the image user's home (its emptyDir).
        assert (pod_dir / "var" / ".cache" / "sandbox-runtime").is_dir()
    finally:
        stop_worker_pod(worker)
        ray_nodes.start_worker()
    platform = world.server.open_platform()
    try:
        with platform.sessions() as session:
            report = verify(session)
    finally:
        platform.close()
    assert report.ok, report.problems
    assert report.checkpoints > 0 and report.anchored_through == report.head_seq
