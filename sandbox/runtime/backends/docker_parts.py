"""The docker backend's fixed parts: the labels its containers carry (and how a listing of
them reads back), and the trampoline that starts the worker inside a container.
"""

from __future__ import annotations

import re

from sandbox.runtime.backends.values import OwnedSandbox

__all__ = [
    "DEADLINE_LABEL",
    "INSTANCE_LABEL",
    "JOB_LABEL",
    "LABEL",
    "WAITING",
    "_TRAMPOLINE",
    "owned_of",
]

LABEL = "sandbox.runtime"
"""Label on every container this backend starts (value: the runtime image's tag)."""

DEADLINE_LABEL = "sandbox.deadline"
"""Label holding the Unix time after which a container is certainly abandoned."""

INSTANCE_LABEL = "sandbox.instance"
"""Label naming the platform instance a job's container runs for (:class:`SandboxOwner`)."""

JOB_LABEL = "sandbox.job"
"""Label holding the id of the job a container runs for, or :data:`WAITING` for a container
started ahead of demand; that one's name gets its job's id (``...-job<id>``) when a run
takes it (:meth:`DockerBackend.assign`), since a container's labels cannot change."""

WAITING = "waiting"
"""The job label of a container started ahead of demand (:mod:`sandbox.runtime.warm`)."""

_ASSIGNED = re.compile(r"-job(\d+)$")

# Runs inside the container as `python -I -S -c _TRAMPOLINE <filter hex|-> <as bytes>
# <alarm seconds> <argv...>`; standard library only, no site-packages.
_TRAMPOLINE = """\
import ctypes, os, resource, signal, sys
_, program, memory, alarm, *argv = sys.argv
if program != "-":
    code = bytes.fromhex(program)
    class Prog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]
    prog = Prog(len(code) // 8, code)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(38, 1, 0, 0, 0) or libc.prctl(22, 2, ctypes.byref(prog), 0, 0):
        sys.stderr.write("sandbox: seccomp failed, errno %d\\n" % ctypes.get_errno())
        os._exit(125)
resource.setrlimit(resource.RLIMIT_AS, (int(memory), int(memory)))
signal.alarm(int(alarm))
os.execve(argv[0], argv, {})
"""


def owned_of(listing: str) -> list[OwnedSandbox]:
    """The sandboxes of a ``docker ps`` listing of ``<name> <job label>`` lines."""
    found = []
    for line in listing.splitlines():
        name, _, job = line.partition(" ")
        if not name:
            continue
        if job == WAITING:
            assigned = _ASSIGNED.search(name)
            if assigned is None:
                found.append(OwnedSandbox(name, None, waiting=True))
            else:
                found.append(OwnedSandbox(name, int(assigned.group(1))))
        else:
            found.append(OwnedSandbox(name, int(job) if job.isdigit() else None))
    return found
