"""The docker backend against the real engine: its image, its container, its cleanup.

The generic attack tests (``test_os_isolation.py``) and the end-to-end model tests
(``test_executor.py``) run against docker too, through the parametrised ``backend`` fixture;
these cover what only a container has (image reuse, cgroup limits, container removal), plus
the ``inputs`` mount and the process runner's cleanup and parent-death signal.
"""

from __future__ import annotations

import ast
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from sandbox.runtime import image, manifest
from sandbox.runtime.backends import (
    Backend,
    DockerBackend,
    Launch,
    Limits,
    Outcome,
    SubprocessBackend,
    default_registry,
    run_process,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def docker(docker_engine: str) -> DockerBackend:
    backend = default_registry().get("docker")
    assert isinstance(backend, DockerBackend)
    return backend


def _run(
    backend: Backend, code: str, limits: Limits | None = None, inputs: Path | None = None
) -> tuple[Outcome, Launch]:
    limits = limits or Limits(wall_seconds=20)
    argv = [sys.executable, "-I", "-c", textwrap.dedent(code)]
    with tempfile.TemporaryDirectory(prefix="sandbox-test-") as scratch:
        launch = backend.wrap(argv, Path(scratch), limits, inputs=inputs)
        return run_process(launch, limits, Path(scratch)), launch


def _container_name(launch: Launch) -> str:
    return launch.argv[launch.argv.index("--name") + 1]


def _containers(docker_cli: str, name: str) -> str:
    done = subprocess.run(
        [docker_cli, "ps", "--all", "--filter", f"name=^/{name}$", "--format", "{{.Names}}"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return done.stdout.strip()


# --- the image -----------------------------------------------------------------------------


def test_the_image_is_built_once_and_reused(docker: DockerBackend, docker_engine: str) -> None:
    tag = docker.image_tag
    assert re.fullmatch(r"sandbox-runtime:[0-9a-f]{12}", tag)
    started = time.monotonic()
    assert image.ensure_image(docker_engine) == tag  # present: nothing is built again
    assert time.monotonic() - started < 5
    assert image.image_exists(tag, docker_engine)


def test_the_tag_follows_the_content(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    original = manifest.DOCKERFILE
    assert manifest.compute_tag() == manifest.image_tag()
    changed = tmp_path / "Dockerfile.runtime"
    changed.write_bytes(original.read_bytes() + b"# changed\n")
    monkeypatch.setattr(manifest, "DOCKERFILE", changed)
    assert manifest.compute_tag() != manifest.image_tag()
    monkeypatch.setattr(manifest, "DOCKERFILE", original)
    assert manifest.compute_tag() == manifest.image_tag()
    monkeypatch.setattr(manifest, "RUNTIME_DISTRIBUTIONS", ("RestrictedPython",))
    assert manifest.compute_tag() != manifest.image_tag()


def test_the_image_holds_only_the_runtime(docker: DockerBackend) -> None:
    """Nothing of the host checkout, home or system is visible: only the image's own files."""
    code = """
    import os, sys
    print(sorted(os.listdir("/")))
    print(sys.path)
    print(sorted(os.listdir(os.path.dirname(os.__file__) + "/site-packages")))
    print([p for p in ("/work", "/root", "/home", "/usr/bin", "/bin/sh", "/etc/passwd")
           if os.path.exists(p)])
    import sandbox
    print(sandbox.__file__)
    print(sorted(os.listdir(os.path.dirname(sandbox.__file__))))
    """
    outcome, _ = _run(docker, code)
    assert outcome.exit_code == 0, outcome.stderr
    lines = outcome.stdout.decode().splitlines()
    root = set(ast.literal_eval(lines[0]))
    # /etc holds Docker's hosts, hostname and resolv.conf; /sbin its docker-init (--init).
    assert root <= {
        "usr",
        "lib",
        "lib64",
        "tmp",
        "inputs",
        "etc",
        "proc",
        "dev",
        "sys",
        "sbin",
        ".dockerenv",
    }, root
    assert all(p.startswith("/usr/local/lib/") for p in ast.literal_eval(lines[1])), lines[1]
    assert str(REPO) not in outcome.stdout.decode()
    site = set(ast.literal_eval(lines[2]))
    assert {"RestrictedPython", "pyarrow", "sandbox"} <= site
    assert not site & {"fastapi", "sqlalchemy", "ray", "psycopg", "numpy"}, site
    assert ast.literal_eval(lines[3]) == []
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert lines[4] == f"/usr/local/lib/python{version}/site-packages/sandbox/__init__.py"
    assert set(ast.literal_eval(lines[5])) <= {"__init__.py", "__pycache__", "runtime"}


# --- the container -------------------------------------------------------------------------


def test_runs_as_nobody_without_capabilities(docker: DockerBackend) -> None:
    code = """
    import os
    status = dict(l.split(":", 1) for l in open("/proc/self/status").read().splitlines())
    for key in ("Uid", "Gid", "CapEff", "CapPrm", "CapBnd", "NoNewPrivs", "Seccomp"):
        print(key, status[key].split()[0])
    """
    outcome, _ = _run(docker, code)
    assert outcome.exit_code == 0, outcome.stderr
    status = dict(line.split() for line in outcome.stdout.decode().splitlines())
    assert status["Uid"] == "65534" and status["Gid"] == "65534"
    assert int(status["CapEff"], 16) == 0 and int(status["CapPrm"], 16) == 0
    assert int(status["CapBnd"], 16) == 0
    assert status["NoNewPrivs"] == "1" and status["Seccomp"] == "2"


def test_root_is_read_only_and_tmp_is_a_small_noexec_tmpfs(docker: DockerBackend) -> None:
    code = """
    import os
    for path in ("/usr/local/lib/pwned", "/pwned", "/inputs/pwned"):
        try:
            open(path, "w")
            print("WROTE", path)
        except OSError as exc:
            print("denied", exc.errno)
    print(os.getcwd())
    open("/tmp/x.sh", "w").write("#!/usr/local/bin/python3\\n")
    os.chmod("/tmp/x.sh", 0o755)
    print(os.access("/tmp/x.sh", os.X_OK))
    print([l.split()[3] for l in open("/proc/mounts") if l.split()[1] == "/tmp"][0])
    """
    outcome, _ = _run(docker, code)
    assert outcome.exit_code == 0, outcome.stderr
    lines = outcome.stdout.decode().splitlines()
    assert lines[:3] == ["denied 30"] * 3  # EROFS
    assert lines[3] == "/tmp"
    assert lines[4] == "False"  # noexec
    assert {"noexec", "nosuid", "nodev"} <= set(lines[5].split(","))


def test_has_no_network_interface_but_loopback(docker: DockerBackend) -> None:
    code = """
    import socket
    print([l.split(":")[0].strip() for l in open("/proc/net/dev").readlines()[2:]])
    try:
        socket.create_connection(("1.1.1.1", 53), timeout=2)
        print("CONNECTED")
    except OSError as exc:
        print("denied", type(exc).__name__)
    """
    outcome, _ = _run(docker, code)
    lines = outcome.stdout.decode().splitlines()
    assert lines[0] == "['lo']", outcome.stderr
    assert lines[1].startswith("denied")


def test_the_pids_limit_stops_a_thread_bomb(docker: DockerBackend) -> None:
    """Threads count against the pids cgroup, which the seccomp filter leaves open."""
    code = """
    import threading, time
    n = 0
    try:
        for _ in range(200):
            threading.Thread(target=time.sleep, args=(5,), daemon=True).start()
            n += 1
    except RuntimeError:
        print("denied", n)
    for path in ("/sys/fs/cgroup/pids/pids.max", "/sys/fs/cgroup/pids.max"):  # v1, v2
        try:
            print(open(path).read().strip())
        except OSError:
            pass
    """
    outcome, _ = _run(docker, code, Limits(wall_seconds=20, max_processes=16))
    lines = outcome.stdout.decode().split("\n")
    assert lines[0].startswith("denied"), outcome
    assert int(lines[0].split()[1]) < 16
    assert lines[1] == "17"  # the worker's 16 and docker-init


def test_the_memory_cgroup_is_set_without_swap(docker: DockerBackend) -> None:
    code = """
    import os, resource
    def read(path):
        return open(path).read().strip() if os.path.exists(path) else "-"
    if os.path.exists("/sys/fs/cgroup/memory.max"):  # cgroup v2: swap is counted apart
        print(read("/sys/fs/cgroup/memory.max"), read("/sys/fs/cgroup/memory.swap.max"))
    else:  # v1: memsw is memory plus swap
        v1 = "/sys/fs/cgroup/memory/"
        limit = read(v1 + "memory.limit_in_bytes")
        memsw = read(v1 + "memory.memsw.limit_in_bytes")
        print(limit, 0 if memsw in (limit, "-") else memsw)
    print(resource.getrlimit(resource.RLIMIT_AS)[0])
    """
    limits = Limits(wall_seconds=20, memory_bytes=200 << 20)
    outcome, _ = _run(docker, code, limits)
    assert outcome.exit_code == 0, outcome.stderr
    memory, swap, address_space = outcome.stdout.decode().split()
    assert 200 << 20 < int(memory) <= (200 << 20) + (128 << 20)  # worker, its tmpfs, init
    assert swap in ("0", "-")
    assert int(address_space) == 200 << 20


def test_the_wall_time_kill_removes_the_container(
    docker: DockerBackend, docker_engine: str
) -> None:
    outcome, launch = _run(docker, "import time\ntime.sleep(60)", Limits(wall_seconds=2))
    assert outcome.timed_out
    assert outcome.duration < 10
    assert _containers(docker_engine, _container_name(launch)) == ""


def test_a_finished_run_leaves_no_container(docker: DockerBackend, docker_engine: str) -> None:
    outcome, launch = _run(docker, "print('done')")
    assert outcome.stdout == b"done\n"
    assert _containers(docker_engine, _container_name(launch)) == ""


def test_refuses_commands_other_than_python(docker: DockerBackend, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="Python"):
        docker.wrap(["/bin/sh", "-c", "id"], tmp_path, Limits())


def test_an_engine_that_does_not_answer_is_unavailable() -> None:
    started = time.monotonic()
    assert not DockerBackend(host="unix:///nonexistent/docker.sock").is_available()
    assert time.monotonic() - started < 10


# --- inputs (raw-access jobs) --------------------------------------------------------------


def _inputs(tmp_path: Path) -> Path:
    """An inputs directory the sandbox's unprivileged uid can reach (as the runner makes
    one: under the system's temporary directory, world-readable)."""
    del tmp_path
    inputs = Path(tempfile.mkdtemp(prefix="sandbox-test-inputs-"))
    (inputs / "data.txt").write_text("ROWS-42")
    inputs.chmod(0o755)
    (inputs / "data.txt").chmod(0o644)
    return inputs


def test_inputs_are_visible_read_only(backend: Backend, tmp_path: Path) -> None:
    inputs = _inputs(tmp_path)
    code = """
    import os
    print(open("/inputs/data.txt").read())
    for attempt in ("/inputs/data.txt", "/inputs/new.txt"):
        try:
            open(attempt, "a").write("x")
            print("WROTE")
        except OSError as exc:
            print("denied", exc.errno)
    """
    if not backend.allows_raw_access:
        with pytest.raises(ValueError, match="raw-access"):
            _run(backend, code, inputs=inputs)
        return
    outcome, _ = _run(backend, code, inputs=inputs)
    assert outcome.exit_code == 0, outcome.stderr
    lines = outcome.stdout.decode().split("\n")
    assert lines[0] == "ROWS-42"
    assert lines[1] in ("denied 13", "denied 30") and lines[2] in ("denied 13", "denied 30")
    assert (inputs / "data.txt").read_text() == "ROWS-42"
    assert not (inputs / "new.txt").exists()


def test_inputs_the_container_cannot_read_are_refused(
    docker: DockerBackend, tmp_path: Path
) -> None:
    inputs = _inputs(tmp_path)
    inputs.chmod(0o700)
    with pytest.raises(ValueError, match="world-readable"):
        docker.wrap([sys.executable, "-I"], tmp_path, Limits(), inputs=inputs)


# --- the process runner: cleanup and parent death ------------------------------------------


def test_cleanup_runs_after_a_kill_but_not_after_a_clean_exit(tmp_path: Path) -> None:
    calls: list[str] = []
    limits = Limits(wall_seconds=1)
    for code, expected in (("pass", []), ("import time; time.sleep(30)", ["cleaned"])):
        calls.clear()
        launch = Launch([sys.executable, "-I", "-c", code], cleanup=lambda: calls.append("cleaned"))
        run_process(launch, limits, tmp_path)
        assert calls == expected
    marker = tmp_path / "marker"
    launch = Launch(
        [sys.executable, "-I", "-c", "raise SystemExit(1)"],
        cleanup=[sys.executable, "-I", "-c", f"open({str(marker)!r}, 'w')"],
    )
    assert run_process(launch, limits, tmp_path).exit_code == 1
    assert marker.exists()


def test_host_rlimits_can_be_left_to_the_backend(tmp_path: Path) -> None:
    code = "import resource; print(resource.getrlimit(resource.RLIMIT_AS)[0])"
    argv = [sys.executable, "-I", "-c", code]
    limits = Limits(memory_bytes=256 << 20)
    applied = run_process(Launch(argv), limits, tmp_path)
    assert int(applied.stdout) == 256 << 20
    left = run_process(Launch(argv, host_rlimits=False), limits, tmp_path)
    assert int(left.stdout) == resource.getrlimit(resource.RLIMIT_AS)[0]  # the runner's own


_RUNNER = """
import sys
from pathlib import Path
from sandbox.runtime.backends import Limits, SubprocessBackend, default_registry, run_process
name, scratch = sys.argv[1], Path(sys.argv[2])
backend = SubprocessBackend() if name == "subprocess" else default_registry().get(name)
code = "import os, time\\nprint(os.getpid(), flush=True)\\ntime.sleep(60)"
launch = backend.wrap([sys.executable, "-I", "-c", code], scratch, Limits(wall_seconds=2))
print(launch.argv[launch.argv.index("--name") + 1] if "--name" in launch.argv else "-", flush=True)
run_process(launch, Limits(wall_seconds=60), scratch)
"""


def _runner(name: str, tmp_path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _RUNNER, name, str(tmp_path)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _wait_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state == "Z":
            return True
        time.sleep(0.1)
    return False


def test_a_killed_runner_takes_its_sandbox_with_it(tmp_path: Path) -> None:
    runner = _runner("subprocess", tmp_path)
    try:
        assert runner.stdout is not None
        assert runner.stdout.readline().strip() == "-"
        deadline = time.monotonic() + 10
        while not (children := _children(runner.pid)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(children) == 1
        time.sleep(0.3)
        runner.send_signal(signal.SIGKILL)
        runner.wait(timeout=10)
        assert _wait_gone(children[0], 5)
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()
        if runner.stdout is not None:
            runner.stdout.close()


@pytest.mark.slow
def test_a_killed_runners_container_ends_by_its_alarm(
    docker: DockerBackend, docker_engine: str, tmp_path: Path
) -> None:
    """Killing the runner kills its docker client; the container ends by its own alarm."""
    runner = _runner("docker", tmp_path)
    try:
        assert runner.stdout is not None
        name = runner.stdout.readline().strip()
        deadline = time.monotonic() + 20
        while _containers(docker_engine, name) == "" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _containers(docker_engine, name) == name
        runner.send_signal(signal.SIGKILL)
        runner.wait(timeout=10)
        # The alarm is armed when the trampoline starts (wall time 2 s + 10 s of grace),
        # which on a loaded engine can be many seconds after the container is listed;
        # `--rm` then removes it: a minute bounds all of that.
        deadline = time.monotonic() + 60
        while _containers(docker_engine, name) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _containers(docker_engine, name) == ""
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()
        if runner.stdout is not None:
            runner.stdout.close()


def test_subprocess_backend_refuses_inputs(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="raw-access"):
        SubprocessBackend().wrap([sys.executable], tmp_path, Limits(), inputs=tmp_path)


def test_expired_containers_are_reaped(docker: DockerBackend, docker_engine: str) -> None:
    name = f"sandbox-run-reap-test-{os.getpid()}"
    subprocess.run(
        [
            docker_engine,
            "create",
            "--name",
            name,
            "--label",
            f"sandbox.runtime={docker.image_tag}",
            "--label",
            "sandbox.deadline=1",
            "--network",
            "none",
            docker.image_tag,
        ],
        capture_output=True,
        timeout=30,
        check=True,
    )
    assert name in docker.reap_expired()
    assert _containers(docker_engine, name) == ""
