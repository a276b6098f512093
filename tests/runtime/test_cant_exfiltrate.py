"""Exfiltration through results, logs and errors: an outcome carries only what the model
computed from the broker's answers, cut to size, in text the trusted side can store.

A canary is planted where only the trusted side should see it (its environment, a host file,
the broker's raw rows); no field of any outcome may carry it. Attacks marked *hostile* run
the model as plain Python in the real worker, as if RestrictedPython had a hole.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from sandbox.runtime.backends import Backend, Limits
from sandbox.runtime.executor import MAX_COMPILE_ERRORS, MAX_ERROR_CHARS
from tests.runtime.attacks import (
    CANARY_ROW,
    REPO,
    FakeBroker,
    assert_clean_text,
    run_attack,
    run_hostile,
    visible,
)
from tests.runtime.conftest import is_scientific, require

CANARY = "CANARY-" + secrets.token_hex(8)

ROOMY = Limits(wall_seconds=60, cpu_seconds=30, memory_bytes=2 * 1024**3)
"""Enough address space and time for the scientific stack's imports."""


def test_cant_leak_the_trusted_environment(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It denies (hostile) the runner's environment to results, logs and errors."""
    require(backend, "env")
    monkeypatch.setenv("SANDBOX_SECRET_KEY", CANARY)
    outcome = run_hostile(
        backend,
        monkeypatch,
        """
        import os
        def run(ctx):
            found = [repr(dict(os.environ))]
            for pid in ["self", "1"] + [p for p in os.listdir("/proc") if p.isdigit()]:
                try:
                    with open(f"/proc/{pid}/environ", "rb") as f:
                        found.append(f.read().decode("latin-1"))
                except OSError:
                    pass
            for line in found:
                ctx.log(line[:500])
            raise RuntimeError(" | ".join(found))
        """,
    )
    assert outcome.status == "model_error", outcome
    assert CANARY not in visible(outcome)


def test_cant_leak_host_files(
    backend: Backend, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """It denies (hostile) host files, dataset files and the checkout to the outcome."""
    require(backend, "files")
    planted = tmp_path / "census.arrow"
    planted.write_text(CANARY)
    planted.chmod(0o644)
    tmp_path.chmod(0o755)
    paths = [str(planted), str(REPO / "pyproject.toml"), str(REPO / "var" / "sandbox.db")]
    outcome = run_hostile(
        backend,
        monkeypatch,
        """
        import glob
        def run(ctx):
            found = {}
            candidates = list(ctx.params["paths"])
            for top in ("/inputs", "/tmp", "/data", "/work", "/home", "/root", "/srv", "/var"):
                candidates += glob.glob(top + "/**/*.arrow", recursive=True)
            for path in candidates:
                try:
                    with open(path, "rb") as f:
                        found[path] = f.read(4096).decode("latin-1")
                except OSError as exc:
                    found[path] = str(exc)
            ctx.log(str(found))
            return found
        """,
        params={"paths": paths},
    )
    assert outcome.status == "ok", outcome
    assert CANARY not in visible(outcome)
    assert "[tool.ruff]" not in visible(outcome)


def test_cant_leak_worker_stderr_into_the_outcome(
    walled: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It denies (hostile) the worker's stderr and fd 1 a way into user-visible fields."""
    outcome = run_hostile(
        walled,
        monkeypatch,
        f"""
        import os, sys
        def run(ctx):
            sys.stderr.write({CANARY!r} + "\\n")
            sys.stderr.flush()
            os.write(2, {CANARY!r}.encode())
            os.write(1, {CANARY!r}.encode())
            print({CANARY!r})
            raise ValueError("the model failed")
        """,
    )
    assert outcome.status == "model_error", outcome
    assert len(outcome.errors) == 1
    assert outcome.errors[0].endswith(": ValueError: the model failed"), outcome.errors
    assert CANARY not in visible(outcome)


def test_cant_get_unbounded_error_messages(walled: Backend) -> None:
    """It denies a model error message longer than the cap (it is cut)."""
    outcome = run_attack(walled, 'def run(ctx):\n    raise ValueError("x" * 1_000_000)\n')
    assert outcome.status == "model_error", outcome
    assert len(outcome.errors) == 1 and len(outcome.errors[0]) <= MAX_ERROR_CHARS + 20


@pytest.mark.parametrize(
    "write",
    [
        'raw_message({"op": "error", "kind": "model", "line": 3, "message": "m" * 500_000})',
        'raw_message({"op": "error", "kind": "compile", "errors": ["e" * 400] * 2000})',
        "raw_frame('{\"op\": \"log\", \"' + 'k' * 100_000 + '\": 1, \"' + 'k' * 100_000"
        " + '\": 2}')",
    ],
)
def test_cant_get_unbounded_errors_from_a_hostile_worker(
    walled: Backend, monkeypatch: pytest.MonkeyPatch, write: str
) -> None:
    """It denies (hostile) oversized error frames: the trusted side cuts them too.

    The last one repeats a 100 kB key, so the decoder's own error quotes it.
    """
    outcome = run_hostile(
        walled,
        monkeypatch,
        f"""
        import os
        def run(ctx):
            {write}
            os._exit(1)
        """,
    )
    assert outcome.status in ("model_error", "compile_error", "crashed"), outcome
    assert outcome.errors
    assert len(outcome.errors) <= MAX_COMPILE_ERRORS + 1
    assert all(len(e) <= MAX_ERROR_CHARS for e in outcome.errors), [len(e) for e in outcome.errors]


RESTRICTED_ONLY = "def run(ctx):\n    from json import decoder\n"
"""Refused by RestrictedPython; ordinary Python imports it."""


@pytest.mark.parametrize(
    "body",
    [
        "def run(ctx):\n    return ctx.dataset('census').count(epsilon=ctx)\n",
        "def run(ctx):\n    return ctx.params['missing']\n",
        "import json\ndef run(ctx):\n    return json.loads('{')\n",
        RESTRICTED_ONLY,
        "import numpy\ndef run(ctx):\n    return numpy.arange(3).reshape(5)\n",
        "import pandas\ndef run(ctx):\n    return pandas.DataFrame({'a': [1]})['missing']\n",
        "import scipy.stats\ndef run(ctx):\n    return scipy.stats.norm(scale=-1).rvs(size='x')\n",
    ],
)
def test_cant_learn_worker_internals_from_errors(walled: Backend, body: str) -> None:
    """It denies tracebacks, file paths and internal names in error messages: the error of a
    library deep in the scientific stack is its type and message, at the model's line."""
    scientific = is_scientific(walled)
    if body == RESTRICTED_ONLY and scientific:
        pytest.skip("a restricted-profile refusal: ordinary Python imports json.decoder")
    if "numpy" in body or "pandas" in body or "scipy" in body:
        if not scientific:
            pytest.skip("the scientific stack exists in the scientific profile only")
    outcome = run_attack(walled, body, allowed_imports=("json",), limits=ROOMY)
    assert outcome.status == "model_error", outcome
    text = visible(outcome)
    for internal in ("Traceback", "worker.py", "channel.py", str(REPO), "/usr/", "site-packages"):
        assert internal not in text, text


@pytest.mark.parametrize(
    "body",
    [
        "def run(ctx):\n    ctx.log(chr(0xD800) + 'after')\n    return 1\n",
        "def run(ctx):\n    raise ValueError(chr(0xDFFF))\n",
        "def run(ctx):\n    return [chr(0xD800)]\n",
        "def run(ctx):\n    return {chr(0xDC00): 1}\n",
    ],
)
def test_cant_put_invalid_text_into_the_outcome(walled: Backend, body: str) -> None:
    """It denies lone surrogates in logs, errors and results: storage and HTTP need UTF-8."""
    outcome = run_attack(walled, body)
    assert outcome.status in ("ok", "model_error"), outcome
    assert_clean_text(outcome)


def test_cant_put_invalid_text_into_the_outcome_by_hand(
    walled: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It denies (hostile) a ``\\ud800`` escape written on the channel: a protocol error."""
    outcome = run_hostile(
        walled,
        monkeypatch,
        r"""
        def run(ctx):
            raw_frame('{"op": "log", "line": "\ud800"}')
            return 1
        """,
    )
    assert outcome.status == "crashed", outcome
    assert_clean_text(outcome)


def test_cant_reach_raw_rows(walled: Backend) -> None:
    """It denies a DP job the raw rows: no handle, attribute, table or error carries them."""
    broker = FakeBroker()
    outcome = run_attack(
        walled,
        """
        def run(ctx):
            got = []
            handle = ctx.dataset("census")
            for attempt in (
                lambda: ctx.table("census").rows(),
                lambda: ctx.table("census"),
                lambda: handle.rows(),
                lambda: handle.rows,
                lambda: list(handle),
                lambda: handle.histogram("name", epsilon=1),
                lambda: handle.group_by("name").count(epsilon=1),
                lambda: handle.quantile("income", q=0.5, lower=0, upper=10 ** 9, epsilon=1),
                lambda: handle.mean("name", lower=0, upper=1, epsilon=1),
                lambda: handle.count(epsilon=1, where="name = 'x'"),
            ):
                try:
                    got.append(attempt())
                except Exception as exc:
                    got.append(str(exc))
            ctx.log(str(got))
            raise ValueError(str(got))
        """,
        broker,
    )
    assert outcome.status == "model_error", outcome
    assert CANARY_ROW not in visible(outcome)


def test_cant_reach_raw_rows_from_ordinary_python(scientific: Backend) -> None:
    """It denies a scientific DP model the raw rows with every tool of its process: the
    garbage collector's objects, the channel's pipes read by hand, ``/inputs``, ``/proc``
    and the file system. The rows live in the trusted process only."""
    outcome = run_attack(
        scientific,
        """
        import gc, glob, os, sys

        def run(ctx):
            ctx.dataset("census").count(epsilon=1)
            found = [o for o in gc.get_objects() if isinstance(o, str) and "CANARY" in o]
            for path in glob.glob("/inputs/**", recursive=True) + glob.glob("/tmp/**"):
                try:
                    with open(path, "rb") as f:
                        found.append(f.read(1 << 20).decode("latin-1"))
                except OSError:
                    pass
            for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
                for name in ("environ", "cmdline"):
                    try:
                        with open(f"/proc/{pid}/{name}", "rb") as f:
                            found.append(f.read().decode("latin-1"))
                    except OSError:
                        pass
            for fd in range(3, 64):
                try:
                    os.set_blocking(fd, False)
                    found.append(os.read(fd, 1 << 16).decode("latin-1"))
                except (OSError, ValueError):
                    pass
            ctx.log(repr(found)[:2000])
            return found[:50]
        """,
        prelude="",
    )
    assert outcome.status in ("ok", "crashed"), outcome
    assert CANARY_ROW not in visible(outcome)
