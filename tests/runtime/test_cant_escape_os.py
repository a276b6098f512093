"""OS-level escapes: raw Python in the sandbox, as if RestrictedPython had a hole.

Each test runs a bare Python program in every available backend that claims the guarantee
(``require``), in both runtime profiles' roots; the program reports what it managed as JSON
on its last stdout line. The last tests make the same attacks from a model in the
scientific profile, through the real worker (see the section's comment). Every
attack here works against an unsandboxed Python running as the server's user (root on most
CI machines): files, network, processes, signals, kernel surfaces.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import signal
import socket
import struct
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.runtime.backends import Backend, Limits
from sandbox.runtime.profiles import SCIENTIFIC_ENVIRONMENT
from tests.runtime.attacks import CHANNEL, REPO, printed, run_attack, run_raw, visible
from tests.runtime.conftest import require

CANARY = "CANARY-" + secrets.token_hex(8)
"""A secret planted outside the sandbox, per test session."""


@pytest.fixture
def victim() -> Iterator[subprocess.Popen[bytes]]:
    """A host process (not the runner) holding the canary in its environment."""
    proc = subprocess.Popen(  # noqa: S603 - a fixed argv
        ["sleep", "120"], env={"SANDBOX_CANARY": CANARY}, start_new_session=True
    )
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait()


def _host_pids(victim: subprocess.Popen[bytes]) -> list[int]:
    """The victim's, the runner's and its parent's pids; small ones could also name a
    process inside a new pid namespace (1 is its init), so they are left out."""
    return [pid for pid in (victim.pid, os.getpid(), os.getppid()) if pid > 100]


def test_cant_read_other_processes_environment(
    backend: Backend, victim: subprocess.Popen[bytes]
) -> None:
    """It denies reading ``/proc/<pid>/environ`` of host processes (the runner's secrets)."""
    require(backend, "processes")
    code = f"""
    import json, os
    found = []
    pids = [p for p in os.listdir("/proc") if p.isdigit()] + ["{victim.pid}", "{os.getpid()}"]
    for pid in pids:
        for name in ("environ", "cmdline"):
            try:
                with open(f"/proc/{{pid}}/{{name}}", "rb") as f:
                    found.append(f.read().decode("latin-1"))
            except OSError:
                pass
    print(json.dumps(found))
    """
    outcome = run_raw(backend, code)
    assert printed(outcome) is not None
    assert CANARY.encode() not in outcome.stdout


def test_cant_see_host_processes(backend: Backend, victim: subprocess.Popen[bytes]) -> None:
    """It denies seeing host processes in ``/proc`` (the runner, other jobs, services)."""
    require(backend, "processes")
    code = """
    import json, os
    print(json.dumps([int(p) for p in os.listdir("/proc") if p.isdigit()]))
    """
    pids = printed(run_raw(backend, code))
    assert not set(_host_pids(victim)) & set(pids), pids
    assert len(pids) <= 5, pids


def test_cant_see_host_paths_in_mountinfo(backend: Backend) -> None:
    """It denies mounts of the checkout beyond the runtime package (data dir, tests, ...)."""
    require(backend, "files")
    code = """
    import json
    with open("/proc/self/mountinfo") as f:
        print(json.dumps([line.split()[3:5] for line in f]))
    """
    mounts = printed(run_raw(backend, code))
    allowed = {".venv", "sandbox/__init__.py", "sandbox/runtime"}
    for root, mount_point in mounts:
        for path in (root, mount_point):
            if path == str(REPO) or path.startswith(str(REPO) + "/"):
                assert os.path.relpath(path, REPO) in allowed, (root, mount_point)
            assert "sandbox-job-" not in path and "docker.sock" not in path, path


def test_cant_ptrace_or_read_the_runner_memory(
    backend: Backend, victim: subprocess.Popen[bytes]
) -> None:
    """It denies ``ptrace``, ``process_vm_readv`` and ``/proc/<pid>/mem`` on the runner."""
    require(backend, "processes")
    import ctypes

    secret = ctypes.create_string_buffer(CANARY.encode())
    address = ctypes.addressof(secret)
    code = f"""
    import ctypes, json
    libc = ctypes.CDLL(None, use_errno=True)
    class IOVec(ctypes.Structure):
        _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
    libc.process_vm_readv.restype = ctypes.c_ssize_t
    libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
    out = {{}}
    for pid in ({os.getpid()}, {victim.pid}, 1):
        buf = ctypes.create_string_buffer(64)
        local = IOVec(ctypes.cast(buf, ctypes.c_void_p), 64)
        remote = IOVec({address}, 64)
        n = libc.process_vm_readv(pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
        out[f"readv {{pid}}"] = [n, buf.raw.decode("latin-1")]
        out[f"ptrace {{pid}}"] = libc.ptrace(16, pid, None, None)  # PTRACE_ATTACH
        try:
            with open(f"/proc/{{pid}}/mem", "rb") as f:
                f.seek({address})
                out[f"mem {{pid}}"] = f.read(64).decode("latin-1")
        except (OSError, ValueError) as exc:
            out[f"mem {{pid}}"] = type(exc).__name__
    print(json.dumps(out))
    """
    outcome = run_raw(backend, code)
    result = printed(outcome)
    assert CANARY.encode() not in outcome.stdout
    for key, value in result.items():
        if key.startswith(("readv", "ptrace")):
            assert (value[0] if isinstance(value, list) else value) == -1, (key, value)
    del secret


def test_cant_signal_host_processes(backend: Backend, victim: subprocess.Popen[bytes]) -> None:
    """It denies signalling the runner or other host processes, ``kill(-1, SIGKILL)`` too."""
    require(backend, "processes")
    code = f"""
    import errno, json, os, signal
    out = {{}}
    for pid in {_host_pids(victim)!r}:
        try:
            os.kill(pid, 0)
            out[pid] = "visible"
        except OSError as exc:
            out[pid] = exc.errno
    # Only once no host process is even visible (a safety net for a broken backend):
    if all(v == errno.ESRCH for v in out.values()):
        try:
            os.kill(-1, signal.SIGKILL)
        except OSError:
            pass
        try:
            os.killpg({os.getpgid(victim.pid)}, signal.SIGKILL)
        except OSError as exc:
            out["killpg"] = exc.errno
    print(json.dumps(out))
    """
    outcome = run_raw(backend, code)
    time.sleep(0.1)
    assert victim.poll() is None, "the sandbox killed a host process"
    result = printed(outcome)
    assert all(v == 3 for v in result.values()), result  # ESRCH: not even visible


def test_cant_connect_to_host_unix_sockets(backend: Backend) -> None:
    """It denies host Unix sockets (``/var/run/docker.sock``, a service's socket)."""
    require(backend, "files")
    with tempfile.TemporaryDirectory(prefix="sandbox-sock-") as directory:
        path = os.path.join(directory, "service.sock")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
            server.bind(path)
            server.listen(8)
            os.chmod(directory, 0o777)
            os.chmod(path, 0o777)
            code = f"""
            import json, socket
            out = {{}}
            for path in ({path!r}, "/var/run/docker.sock", "/run/docker.sock",
                         "/run/dbus/system_bus_socket", "/run/systemd/private"):
                try:
                    socket.socket(socket.AF_UNIX).connect(path)
                    out[path] = "CONNECTED"
                except OSError as exc:
                    out[path] = exc.errno
            print(json.dumps(out))
            """
            outcome = run_raw(backend, code)
    assert "CONNECTED" not in printed(outcome).values(), outcome.stdout


def test_cant_connect_to_abstract_unix_sockets(backend: Backend) -> None:
    """It denies the host's abstract Unix sockets (no path: only a network namespace hides them)."""
    require(backend, "network")
    name = "\0sandbox-canary-" + secrets.token_hex(6)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(name)
        server.listen(8)
        code = f"""
        import json, socket
        try:
            socket.socket(socket.AF_UNIX).connect({name!r})
            print(json.dumps("CONNECTED"))
        except OSError as exc:
            print(json.dumps(exc.errno))
        """
        outcome = run_raw(backend, code)
    assert printed(outcome) != "CONNECTED"


def test_cant_share_files_through_dev_shm(backend: Backend) -> None:
    """It denies the host's ``/dev/shm`` (POSIX shared memory) both ways."""
    require(backend, "files")
    token = secrets.token_hex(6)
    planted = Path(f"/dev/shm/sandbox-canary-{token}")
    dropped = Path(f"/dev/shm/sandbox-dropped-{token}")
    planted.write_text(CANARY)
    planted.chmod(0o666)
    try:
        code = f"""
        import json, os
        out = {{}}
        try:
            out["read"] = open({str(planted)!r}).read()
        except OSError as exc:
            out["read"] = exc.errno
        try:
            with open({str(dropped)!r}, "w") as f:
                f.write("dropped")
            out["write"] = "ok"
        except OSError as exc:
            out["write"] = exc.errno
        try:
            out["list"] = os.listdir("/dev/shm")
        except OSError as exc:
            out["list"] = exc.errno
        print(json.dumps(out))
        """
        outcome = run_raw(backend, code)
        assert printed(outcome)
        assert CANARY.encode() not in outcome.stdout
        assert not dropped.exists(), "the sandbox wrote into the host's /dev/shm"
    finally:
        planted.unlink()
        dropped.unlink(missing_ok=True)


def test_cant_gain_root_or_capabilities(backend: Backend) -> None:
    """It denies running as root, ``setuid(0)``/``setgid(0)`` and any capability."""
    require(backend, "processes")  # privileges: a root or capable process escapes the limits
    code = """
    import json, os
    out = {"euid": os.geteuid(), "egid": os.getegid()}
    for name, call in (("setuid", lambda: os.setuid(0)), ("setgid", lambda: os.setgid(0)),
                       ("setgroups", lambda: os.setgroups([0])),
                       ("setresuid", lambda: os.setresuid(0, 0, 0))):
        try:
            call()
            out[name] = "ok"
        except OSError as exc:
            out[name] = exc.errno
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs"):
                out[key] = value.strip()
    print(json.dumps(out))
    """
    result = printed(run_raw(backend, code))
    assert result["euid"] != 0 and result["egid"] != 0, result
    for name in ("setuid", "setgid", "setgroups", "setresuid"):
        assert result[name] in (1, 22), result  # EPERM, or EINVAL: uid 0 is not mapped
    for key in ("CapPrm", "CapEff", "CapAmb"):
        assert int(result[key], 16) == 0, result
    assert result["NoNewPrivs"] == "1", result


def test_cant_mount_filesystems(backend: Backend) -> None:
    """It denies ``mount``, bind mounts, ``umount``, ``chroot`` and ``pivot_root``."""
    require(backend, "processes")
    code = """
    import ctypes, json
    libc = ctypes.CDLL(None, use_errno=True)
    out = {
        "tmpfs": libc.mount(b"none", b"/tmp", b"tmpfs", 0, None),
        "proc": libc.mount(b"proc", b"/tmp", b"proc", 0, None),
        "bind": libc.mount(b"/", b"/tmp", None, 4096, None),  # MS_BIND
        "remount": libc.mount(None, b"/", None, 32 | 1 << 5, None),  # MS_REMOUNT
        "umount": libc.umount2(b"/usr", 2),  # MNT_DETACH
        "chroot": libc.chroot(b"/tmp"),
        "pivot_root": libc.syscall(155, b"/tmp", b"/tmp"),
    }
    print(json.dumps(out))
    """
    result = printed(run_raw(backend, code))
    assert set(result.values()) == {-1}, result


def test_cant_open_raw_or_packet_sockets(backend: Backend) -> None:
    """It denies raw IP and packet sockets (sniffing, spoofing)."""
    require(backend, "network")
    code = """
    import json, socket
    out = {}
    for name, args in (("raw4", (socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)),
                       ("raw6", (socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)),
                       ("rawtcp", (socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)),
                       ("packet", (socket.AF_PACKET, socket.SOCK_RAW, 0x0300))):
        try:
            socket.socket(*args).close()
            out[name] = "OPENED"
        except OSError as exc:
            out[name] = exc.errno
    print(json.dumps(out))
    """
    result = printed(run_raw(backend, code))
    assert "OPENED" not in result.values(), result


def test_cant_resolve_or_reach_external_hosts(backend: Backend) -> None:
    """It denies DNS and connections to the internet (no route out)."""
    require(backend, "network")
    code = """
    import json, socket
    out = {}
    try:
        out["dns"] = [a[4][0] for a in socket.getaddrinfo("example.com", 443)]
    except OSError as exc:
        out["dns"] = "failed"
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.settimeout(1)
            udp.sendto(b"\\x12\\x34\\x01\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00"
                       b"\\x07example\\x03com\\x00\\x00\\x01\\x00\\x01", ("8.8.8.8", 53))
            out["udp"] = len(udp.recv(512))
    except OSError as exc:
        out["udp"] = "failed"
    for host in ("1.1.1.1", "2606:4700:4700::1111"):
        try:
            socket.create_connection((host, 443), timeout=1).close()
            out[host] = "CONNECTED"
        except OSError:
            out[host] = "failed"
    print(json.dumps(out))
    """
    result = printed(run_raw(backend, code))
    assert set(result.values()) == {"failed"}, result


def _host_addresses() -> list[str]:
    """Every IPv4 address of the host's interfaces (loopback included)."""
    addresses = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        for _, name in socket.if_nameindex():
            request = struct.pack("256s", name.encode()[:15])
            try:
                answer = fcntl.ioctl(probe.fileno(), 0x8915, request)  # SIOCGIFADDR
            except OSError:
                continue
            addresses.append(socket.inet_ntoa(answer[20:24]))
    return addresses


def test_cant_reach_the_host_through_its_own_addresses(backend: Backend) -> None:
    """It denies connections to a host service on any of the host's addresses."""
    require(backend, "network")
    addresses = _host_addresses()
    with socket.socket() as server:
        server.bind(("0.0.0.0", 0))  # noqa: S104 - the point: listening everywhere
        server.listen(16)
        port = server.getsockname()[1]
        code = f"""
        import json, socket
        out = {{}}
        for host in {addresses!r} + ["localhost", "host.docker.internal", "172.17.0.1"]:
            try:
                socket.create_connection((host, {port}), timeout=1).close()
                out[host] = "CONNECTED"
            except OSError:
                out[host] = "failed"
        print(json.dumps(out))
        """
        result = printed(run_raw(backend, code))
    assert "CONNECTED" not in result.values(), result


def test_cant_read_the_checkout_or_data_dir(backend: Backend) -> None:
    """It denies the checkout (config, ``var/`` data dir, database, git) to the sandbox."""
    require(backend, "files")
    targets = [
        REPO / "pyproject.toml",
        REPO / "var",
        REPO / "var" / "sandbox.db",
        REPO / "var" / "data",
        REPO / "sandbox" / "config.py",
        REPO / "sandbox" / "data",
        REPO / "api",
        REPO / "tests",
        REPO / ".git" / "config",
    ]
    code = f"""
    import json, os
    out = {{}}
    for path in {[str(t) for t in targets]!r}:
        try:
            out[path] = os.listdir(path) if os.path.isdir(path) else len(open(path, "rb").read())
        except OSError as exc:
            out[path] = "denied"
    print(json.dumps(out))
    """
    result = printed(run_raw(backend, code))
    assert set(result.values()) == {"denied"}, result


def test_cant_use_the_kernel_keyring(backend: Backend) -> None:
    """It denies the kernel keyring (``keyctl``, ``add_key``, ``request_key``, ``/proc/keys``)."""
    require(backend, "processes")
    code = """
    import ctypes, json
    libc = ctypes.CDLL(None, use_errno=True)
    out = {
        "keyctl": libc.syscall(250, 0, -4, 0),  # KEYCTL_GET_KEYRING_ID, user keyring
        "add_key": libc.syscall(248, b"user", b"sandbox", b"data", 4, -2),
        "request_key": libc.syscall(249, b"user", b"host-secret", None, 0),
    }
    try:
        out["proc_keys"] = open("/proc/keys").read()
    except OSError:
        out["proc_keys"] = ""
    print(json.dumps(out))
    """
    result = printed(run_raw(backend, code))
    assert [result["keyctl"], result["add_key"], result["request_key"]] == [-1, -1, -1], result
    assert result["proc_keys"] == "", result


def test_cant_write_kernel_tunables(backend: Backend) -> None:
    """It denies ``core_pattern``, ``sysrq-trigger``, ``uevent_helper`` and cgroup files.

    ``core_pattern`` and ``release_agent`` are classic container escapes: the kernel runs
    the program they name as root on the host. The files are only opened, never written.
    """
    require(backend, "files")
    code = """
    import glob, json, os
    out = {}
    paths = ["/proc/sys/kernel/core_pattern", "/proc/sysrq-trigger", "/proc/sys/vm/drop_caches",
             "/proc/sys/kernel/modprobe", "/sys/kernel/uevent_helper",
             "/sys/fs/cgroup/cgroup.procs", "/sys/fs/cgroup/cgroup.subtree_control"]
    paths += glob.glob("/sys/fs/cgroup/*/release_agent")
    for path in paths:
        try:
            os.close(os.open(path, os.O_WRONLY))
            out[path] = "OPENED"
        except OSError as exc:
            out[path] = exc.errno
    print(json.dumps(out))
    """
    result = printed(run_raw(backend, code))
    assert "OPENED" not in result.values(), result


def test_cant_see_host_network_interfaces(backend: Backend) -> None:
    """It denies the host's interfaces: only a loopback exists inside."""
    require(backend, "network")
    code = """
    import json, os, socket
    names = {name for _, name in socket.if_nameindex()}
    with open("/proc/net/dev") as f:
        names |= {line.split(":")[0].strip() for line in f if ":" in line}
    if os.path.isdir("/sys/class/net"):
        names |= set(os.listdir("/sys/class/net"))
    print(json.dumps(sorted(names)))
    """
    assert set(printed(run_raw(backend, code))) <= {"lo"}


def test_cant_hardlink_host_files_into_scratch(backend: Backend, tmp_path: Path) -> None:
    """It denies hard-linking a host file into the scratch dir and writing through the link."""
    require(backend, "files")
    target = tmp_path / "host-file.txt"
    target.write_text("ORIGINAL")
    target.chmod(0o666)
    tmp_path.chmod(0o777)
    code = f"""
    import json, os, sys
    out = {{}}
    for name, source in (("host", {str(target)!r}), ("python", sys.executable)):
        try:
            os.link(source, "link-" + name)
            with open("link-" + name, "w") as f:
                f.write("PWNED")
            out[name] = "WRITTEN"
        except OSError as exc:
            out[name] = exc.errno
    print(json.dumps(out))
    """
    result = printed(run_raw(backend, code))
    assert target.read_text() == "ORIGINAL"
    assert "WRITTEN" not in result.values(), result


def test_cant_follow_symlinks_out_of_the_sandbox(
    backend: Backend, tmp_path: Path, victim: subprocess.Popen[bytes]
) -> None:
    """It denies host files through symlinks and ``/proc/<pid>/root``/``cwd`` links."""
    require(backend, "files")
    secret = tmp_path / "secret.txt"
    secret.write_text(CANARY)
    secret.chmod(0o644)
    tmp_path.chmod(0o755)
    code = f"""
    import json, os
    out = {{}}
    try:
        os.symlink({str(secret)!r}, "link")
    except OSError:
        pass
    for path in ("link", "/proc/1/root{secret}", "/proc/self/root{secret}",
                 "/proc/{victim.pid}/root{secret}", "/proc/{os.getpid()}/root{secret}",
                 "/proc/1/cwd/../../..{secret}", "/proc/self/cwd/../../..{secret}",
                 "/proc/{victim.pid}/root/etc/shadow"):
        try:
            out[path] = open(path).read()
        except OSError as exc:
            out[path] = exc.errno
    print(json.dumps(out))
    """
    outcome = run_raw(backend, code)
    assert printed(outcome)
    assert CANARY.encode() not in outcome.stdout and b"root:" not in outcome.stdout


def test_cant_open_block_devices_or_kernel_memory(backend: Backend) -> None:
    """It denies the host's disks, ``/dev/mem``, ``/proc/kcore`` and the kernel log."""
    require(backend, "files")
    with open("/proc/partitions") as f:
        disks = ["/dev/" + line.split()[3] for line in f if line.strip()[:1].isdigit()]
    code = f"""
    import json, os
    out = {{}}
    for path in {disks!r} + ["/dev/mem", "/dev/kmem", "/dev/port", "/proc/kcore",
                             "/dev/kmsg", "/proc/kmsg", "/dev/sda", "/dev/nvme0n1"]:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            try:
                out[path] = len(os.read(fd, 16))
            finally:
                os.close(fd)
        except OSError as exc:
            out[path] = "denied"
    print(json.dumps(out))
    """
    result = printed(run_raw(backend, code))
    assert all(v in ("denied", 0) for v in result.values()), result  # masked: reads nothing


def test_cant_bypass_seccomp_with_the_x32_abi(backend: Backend) -> None:
    """It denies denied system calls made through the x32 ABI (bit 30 of the number)."""
    require(backend, "processes")
    code = """
    import ctypes, json, platform
    if platform.machine() != "x86_64":
        print(json.dumps("not x86-64"))
        raise SystemExit(0)
    libc = ctypes.CDLL(None, use_errno=True)
    print("before", flush=True)
    result = libc.syscall(0x40000000 | 272, 0x10000000)  # x32 unshare(CLONE_NEWUSER)
    print(json.dumps([result, ctypes.get_errno()]), flush=True)
    """
    outcome = run_raw(backend, code)
    lines = outcome.stdout.decode().split()
    if lines[-1:] == ['"not x86-64"']:
        pytest.skip("the x32 ABI exists on x86-64 only")
    assert lines[:1] == ["before"], outcome
    killed = outcome.exit_code in (-signal.SIGSYS, 128 + signal.SIGSYS, 159)
    assert killed or printed(outcome)[0] == -1, outcome


def test_cant_fork_with_raw_clone_syscalls(backend: Backend) -> None:
    """It denies new processes through raw ``clone``/``vfork``/``clone3`` system calls."""
    require(backend, "processes")
    code = """
    import ctypes, json, os, platform
    if platform.machine() != "x86_64":
        print(json.dumps({"skip": -1}))
        raise SystemExit(0)
    libc = ctypes.CDLL(None, use_errno=True)
    out = {}
    pid = libc.syscall(56, 17, 0, 0, 0, 0)  # clone(SIGCHLD): a plain fork
    if pid == 0:
        os._exit(0)
    out["clone"] = pid
    args = (ctypes.c_uint64 * 11)(0, 0, 0, 0, 17)  # struct clone_args, exit_signal=SIGCHLD
    pid = libc.syscall(435, ctypes.byref(args), 88)
    if pid == 0:
        os._exit(0)
    out["clone3"] = pid
    print(json.dumps(out))
    """
    result = printed(run_raw(backend, code))
    assert set(result.values()) == {-1}, result


def _has_capability(bit: int) -> bool:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("CapEff:"):
                return bool(int(line.split()[1], 16) >> bit & 1)
    return False


def test_cant_raise_resource_limits(backend: Backend, request: pytest.FixtureRequest) -> None:
    """It denies raising its own hard limits (memory, CPU, files, processes)."""
    require(backend, "memory")
    require(backend, "cpu")
    if backend.name == "subprocess" and _has_capability(24):  # CAP_SYS_RESOURCE
        request.applymarker(
            pytest.mark.xfail(
                strict=True,
                reason="the subprocess backend runs the worker as the server's user; with "
                "CAP_SYS_RESOURCE (root) it can lift its own rlimits, so it cannot claim "
                "'memory'/'cpu' then (backends/local.py)",
            )
        )
    code = """
    import json, resource
    out = {}
    for name in ("RLIMIT_AS", "RLIMIT_CPU", "RLIMIT_NOFILE", "RLIMIT_FSIZE", "RLIMIT_NPROC"):
        which = getattr(resource, name)
        soft, hard = resource.getrlimit(which)
        if hard == resource.RLIM_INFINITY:
            continue
        try:
            resource.setrlimit(which, (hard * 2 + 1, hard * 2 + 1))
            out[name] = "RAISED"
        except (OSError, ValueError):
            out[name] = "refused"
    print(json.dumps(out))
    """
    result = printed(run_raw(backend, code))
    assert {"RLIMIT_AS", "RLIMIT_CPU"} <= result.keys(), result
    assert "RAISED" not in result.values(), result


def test_cant_see_other_jobs_scratch(backend: Backend) -> None:
    """It denies another run's scratch directory (``/tmp/sandbox-job-*`` on the host)."""
    require(backend, "files")
    with tempfile.TemporaryDirectory(prefix="sandbox-job-") as other:
        Path(other, "result.json").write_text(CANARY)
        os.chmod(other, 0o755)
        code = f"""
        import glob, json, os
        out = {{"glob": glob.glob("/tmp/sandbox-job-*/*")}}
        try:
            out["read"] = open({other + "/result.json"!r}).read()
        except OSError as exc:
            out["read"] = exc.errno
        print(json.dumps(out))
        """
        outcome = run_raw(backend, code)
    assert printed(outcome)
    assert CANARY.encode() not in outcome.stdout
    assert other.encode() not in outcome.stdout


def _processes_with(marker: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                if marker.encode() in f.read():
                    found.append(int(entry))
        except OSError:
            continue
    return found


def test_cant_outlive_the_job(backend: Backend) -> None:
    """It denies a program surviving its deadline (ignored signals, threads, new session)."""
    require(backend, "processes")
    require(backend, "wall_time")
    marker = "sandbox-linger-" + secrets.token_hex(6)
    code = f"""
    import os, signal, threading, time
    MARKER = {marker!r}
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGXCPU):
        signal.signal(sig, signal.SIG_IGN)
    try:
        os.setsid()
    except OSError:
        pass
    try:
        if os.fork() == 0:
            os.setsid()
            time.sleep(60)
    except OSError:
        pass
    for _ in range(4):
        threading.Thread(target=time.sleep, args=(60,)).start()
    print("lingering", flush=True)
    time.sleep(60)
    """
    outcome = run_raw(backend, code, Limits(wall_seconds=1.5, cpu_seconds=5))
    assert outcome.timed_out and outcome.duration < 10, outcome
    left: list[int] = []
    for _ in range(30):
        left = _processes_with(marker)
        if not left:
            break
        time.sleep(0.1)
    for pid in left:  # started by this test: clean up before failing
        os.kill(pid, signal.SIGKILL)
    assert left == [], "processes of the job outlived it"


def test_cant_change_the_host_clock_or_hostname(backend: Backend) -> None:
    """It denies ``clock_settime``/``settimeofday``/``sethostname`` (host-wide settings).

    The values written are the current ones, so a failure changes nothing.
    """
    require(backend, "processes")
    hostname = socket.gethostname().encode()
    code = f"""
    import ctypes, json, time
    libc = ctypes.CDLL(None, use_errno=True)
    class Timespec(ctypes.Structure):
        _fields_ = [("sec", ctypes.c_long), ("nsec", ctypes.c_long)]
    class Timeval(ctypes.Structure):
        _fields_ = [("sec", ctypes.c_long), ("usec", ctypes.c_long)]
    now = time.time()
    out = {{
        "clock_settime": libc.clock_settime(0, ctypes.byref(Timespec(int(now), 0))),
        "settimeofday": libc.settimeofday(ctypes.byref(Timeval(int(time.time()), 0)), None),
        "sethostname": libc.sethostname({hostname!r}, {len(hostname)}),
    }}
    print(json.dumps(out))
    """
    result = printed(run_raw(backend, code))
    assert socket.gethostname().encode() == hostname
    assert set(result.values()) == {-1}, result


def test_cant_use_dangerous_syscalls(backend: Backend) -> None:
    """It denies BPF, perf events, ``userfaultfd``, ``io_uring``, new mount API, port I/O.

    Each call gets valid arguments, so it succeeds for an unsandboxed root process.
    """
    require(backend, "processes")
    code = """
    import ctypes, json, os, platform
    if platform.machine() != "x86_64":
        print(json.dumps({}))
        raise SystemExit(0)
    libc = ctypes.CDLL(None, use_errno=True)
    out = {}
    def record(name, result):
        out[name] = result
        if result >= 0:
            os.close(result)
    bpf_attr = (ctypes.c_uint32 * 30)(2, 4, 4, 1)  # BPF_MAP_TYPE_ARRAY, key 4, value 4, 1 entry
    record("bpf", libc.syscall(321, 0, ctypes.byref(bpf_attr), 120))  # BPF_MAP_CREATE
    perf_attr = (ctypes.c_uint32 * 32)(1, 128)  # PERF_TYPE_SOFTWARE, size, CPU clock
    record("perf_event_open", libc.syscall(298, ctypes.byref(perf_attr), 0, -1, -1, 0))
    record("userfaultfd", libc.syscall(323, 0))
    params = (ctypes.c_uint32 * 30)()
    record("io_uring_setup", libc.syscall(425, 1, ctypes.byref(params)))
    record("fsopen", libc.syscall(430, b"tmpfs", 0))
    record("open_tree", libc.syscall(428, -100, b"/", 1))  # OPEN_TREE_CLONE
    out["ioperm"] = libc.syscall(173, 0x80, 1, 1)
    out["iopl"] = libc.syscall(172, 3)
    print(json.dumps(out))
    """
    result = printed(run_raw(backend, code))
    bad = {name: value for name, value in result.items() if value != -1}
    assert bad == {}, result


# --- the same walls, from a scientific model -----------------------------------------------
#
# The attacks above run a bare program; these run a model through the real worker in the
# scientific profile, with what ordinary CPython hands it (ctypes, os.fork, sockets, /proc,
# signals): the channel's pipes are open in its process, its parent is the sandbox's init,
# and nothing at the Python level stands between it and the kernel.


def test_a_scientific_model_cant_reach_host_files_processes_or_secrets(
    scientific: Backend, victim: subprocess.Popen[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    """It denies a scientific model the host's files (``/etc``, the checkout), its processes'
    environments and command lines, and the server's environment."""
    monkeypatch.setenv("SANDBOX_SECRET_KEY", CANARY)
    outcome = run_attack(
        scientific,
        f"""
        import glob, os

        def run(ctx):
            found = {{"env": dict(os.environ)}}
            for path in ["/etc/shadow", "/etc/passwd", "/etc/hostname", "/root/.bashrc",
                         {str(REPO / "pyproject.toml")!r}, {str(REPO / "var")!r}]:
                try:
                    found[path] = open(path).read()[:200] if os.path.isfile(path) else (
                        os.listdir(path))
                except OSError as exc:
                    found[path] = exc.errno
            pids = [p for p in os.listdir("/proc") if p.isdigit()] + ["{victim.pid}"]
            for pid in pids:
                for name in ("environ", "cmdline"):
                    try:
                        with open(f"/proc/{{pid}}/{{name}}", "rb") as f:
                            found[f"{{pid}}/{{name}}"] = f.read().decode("latin-1")
                    except OSError as exc:
                        found[f"{{pid}}/{{name}}"] = exc.errno
            found["pids"] = pids
            return found
        """,
    )
    assert outcome.status == "ok", outcome
    text = visible(outcome)
    assert CANARY not in text and "root:" not in text and "[tool.ruff]" not in text
    assert str(victim.pid) not in outcome.value["pids"][:-1], outcome.value["pids"]
    assert set(outcome.value["env"]) <= {"LC_CTYPE", "PWD", *SCIENTIFIC_ENVIRONMENT}, outcome.value


def test_a_scientific_model_cant_signal_its_parent_or_the_host(
    scientific: Backend, victim: subprocess.Popen[bytes]
) -> None:
    """It denies a scientific model killing its parent, its process group, every process it
    can name (``kill(-1)``) or the victim: the runner reports the run, the host runs on."""
    outcome = run_attack(
        scientific,
        f"""
        import os, signal

        def run(ctx):
            tried = {{}}
            for name, pid in (("parent", os.getppid()), ("victim", {victim.pid}),
                              ("runner", {os.getpid()}), ("init", 1)):
                try:
                    os.kill(pid, 0)
                    tried[name] = "visible"
                except OSError as exc:
                    tried[name] = exc.errno
            ctx.log(repr(tried))
            for target in (os.getppid(), 1):
                try:
                    os.kill(target, signal.SIGKILL)
                except OSError:
                    pass
            try:
                os.killpg(os.getpgid(0), signal.SIGTERM)
            except OSError:
                pass
            os.kill(-1, signal.SIGKILL)
            return tried
        """,
    )
    time.sleep(0.1)
    assert victim.poll() is None, "a scientific model killed a host process"
    # Killing its own sandbox ends the run: a crash reported as the platform's fact.
    assert outcome.status in ("ok", "crashed", "model_error"), outcome
    assert outcome.duration < 8


def test_a_scientific_model_cant_open_the_network(scientific: Backend) -> None:
    """It denies a scientific model DNS, the internet, the host's services and raw sockets."""
    with socket.socket() as server:
        server.bind(("0.0.0.0", 0))  # noqa: S104 - the point: listening everywhere
        server.listen(16)
        port = server.getsockname()[1]
        outcome = run_attack(
            scientific,
            f"""
            import socket

            def run(ctx):
                out = {{}}
                for host in {_host_addresses()!r} + ["1.1.1.1", "localhost"]:
                    try:
                        socket.create_connection((host, {port}), timeout=1).close()
                        out[host] = "CONNECTED"
                    except OSError:
                        out[host] = "failed"
                try:
                    socket.getaddrinfo("example.com", 443)
                    out["dns"] = "CONNECTED"
                except OSError:
                    out["dns"] = "failed"
                try:
                    socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
                    out["raw"] = "CONNECTED"
                except OSError:
                    out["raw"] = "failed"
                return out
            """,
        )
    assert outcome.status == "ok", outcome
    assert "CONNECTED" not in outcome.value.values(), outcome.value


def test_a_scientific_model_cant_use_ctypes_to_leave_the_sandbox(scientific: Backend) -> None:
    """It denies a scientific model's ctypes calls to the kernel: new namespaces, mounts,
    ``ptrace``, a raw ``clone``, ``setuid(0)`` and BPF; it stays unprivileged."""
    outcome = run_attack(
        scientific,
        """
        import ctypes, os, platform

        def run(ctx):
            libc = ctypes.CDLL(None, use_errno=True)
            out = {
                "unshare": libc.unshare(0x10000000),
                "mount": libc.mount(b"none", b"/tmp", b"tmpfs", 0, None),
                "ptrace": libc.ptrace(0, 0, 0, 0),
                "setuid": libc.setuid(0),
                "chroot": libc.chroot(b"/tmp"),
            }
            if platform.machine() == "x86_64":
                out["clone"] = libc.syscall(56, 17, 0, 0, 0, 0)
                if out["clone"] == 0:
                    os._exit(0)
                attr = (ctypes.c_uint32 * 30)(2, 4, 4, 1)
                out["bpf"] = libc.syscall(321, 0, ctypes.byref(attr), 120)
            out["euid"] = os.geteuid()
            return out
        """,
    )
    assert outcome.status == "ok", outcome
    euid = outcome.value.pop("euid")
    assert euid != 0 and set(outcome.value.values()) == {-1}, outcome.value


@pytest.mark.parametrize(
    "ending",
    [
        "os._exit(0)",
        "os.kill(os.getpid(), signal.SIGKILL)",
        "signal.raise_signal(signal.SIGSEGV)",
        "os.close(channel_fds()[1])",
    ],
)
def test_a_scientific_model_cant_end_itself_into_a_result(scientific: Backend, ending: str) -> None:
    """It denies a scientific model ending its worker (exit, a signal, its channel closed)
    anything but a ``crashed`` run with no value: no result is made up for it."""
    outcome = run_attack(
        scientific,
        f"""
        import os, signal

        def run(ctx):
            channel_fds()
            {ending}
            return "unreachable"
        """,
        prelude=CHANNEL,
    )
    assert outcome.status == "crashed" and outcome.value is None, outcome
