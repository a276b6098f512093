"""A small seccomp-BPF filter for the bwrap backend (x86-64 only, for now).

It denies, with ``EPERM``, every way to create a process (``fork``, ``vfork``, ``clone``
without ``CLONE_THREAD``; ``clone3`` gets ``ENOSYS`` so libc falls back to ``clone``) and the
kernel surfaces a model never needs (``ptrace``, ``mount``, ``unshare``, ``setns``, ``bpf``,
``keyctl``, ``perf_event_open``, ``userfaultfd``, ``io_uring``, module loading, ...). A
process from another architecture ABI is killed. bwrap reads the program from a file
descriptor (``--seccomp FD``).
"""

from __future__ import annotations

import errno
import platform
import struct

__all__ = ["DENIED_SYSCALLS", "filter_program", "supported"]

_AUDIT_ARCH_X86_64 = 0xC000003E
_CLONE_THREAD = 0x00010000

# x86-64 system call numbers.
DENIED_SYSCALLS: dict[str, int] = {
    "fork": 57,
    "vfork": 58,
    "ptrace": 101,
    "personality": 135,
    "pivot_root": 155,
    "chroot": 161,
    "mount": 165,
    "umount2": 166,
    "init_module": 175,
    "kexec_load": 246,
    "add_key": 248,
    "request_key": 249,
    "keyctl": 250,
    "unshare": 272,
    "perf_event_open": 298,
    "setns": 308,
    "finit_module": 313,
    "bpf": 321,
    "userfaultfd": 323,
    "io_uring_setup": 425,
}
_CLONE = 56
_CLONE3 = 435

# Classic BPF opcodes.
_LD_W_ABS = 0x20
_JEQ_K = 0x15
_JSET_K = 0x45
_RET_K = 0x06
_RET_KILL_PROCESS = 0x80000000
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_OFF_NR, _OFF_ARCH, _OFF_ARG0 = 0, 4, 16


def supported() -> bool:
    """Whether this module has a filter for the running architecture."""
    return platform.machine() in ("x86_64", "AMD64")


def _insn(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k)


def filter_program() -> bytes:
    """Return the filter as a ``struct sock_filter`` array, as ``bwrap --seccomp`` reads it.

    Raises:
        RuntimeError: On an architecture without a filter.
    """
    if not supported():
        raise RuntimeError(f"no seccomp filter for {platform.machine()}")
    eperm = _RET_ERRNO | errno.EPERM
    prog = [
        _insn(_LD_W_ABS, 0, 0, _OFF_ARCH),
        _insn(_JEQ_K, 1, 0, _AUDIT_ARCH_X86_64),
        _insn(_RET_K, 0, 0, _RET_KILL_PROCESS),
        _insn(_LD_W_ABS, 0, 0, _OFF_NR),
        # x32 ABI numbers have bit 30 set: not in our table, so kill them explicitly.
        _insn(_JSET_K, 0, 1, 0x40000000),
        _insn(_RET_K, 0, 0, _RET_KILL_PROCESS),
        _insn(_JEQ_K, 0, 1, _CLONE3),
        _insn(_RET_K, 0, 0, _RET_ERRNO | errno.ENOSYS),
    ]
    for number in DENIED_SYSCALLS.values():
        prog += [_insn(_JEQ_K, 0, 1, number), _insn(_RET_K, 0, 0, eperm)]
    prog += [
        _insn(_JEQ_K, 0, 3, _CLONE),
        _insn(_LD_W_ABS, 0, 0, _OFF_ARG0),  # low 32 bits of the flags (little-endian)
        _insn(_JSET_K, 1, 0, _CLONE_THREAD),
        _insn(_RET_K, 0, 0, eperm),
        _insn(_RET_K, 0, 0, _RET_ALLOW),
    ]
    return b"".join(prog)
