"""The scientific runtime profile: ordinary CPython with the scientific stack, in the same OS
sandbox (bwrap and docker; the subprocess backend refuses it).

The attack suite runs against this profile too (the ``+scientific`` cases of the ``backend``
fixture, ``conftest.py``); these tests show what the profile gives a model: classes and all
syntax, numpy, pandas, scipy, statsmodels, scikit-learn and matplotlib (Agg), a raw-access
job's tables as read-only Arrow tables, errors with the model's line numbers.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from sandbox.runtime.backends import Backend, Limits, SubprocessBackend
from sandbox.runtime.executor import ModelOutcome, RunStatus, run_model
from sandbox.runtime.profiles import RuntimeProfile
from tests.runtime.attacks import FakeBroker, model, printed, run_raw
from tests.runtime.conftest import backend_named

ROOMY = Limits(wall_seconds=120, cpu_seconds=100, memory_bytes=2 * 1024**3)
"""The scientific stack's imports need more address space than the attack suite's default."""


@pytest.fixture(params=["bwrap", "docker"])
def hardened(request: pytest.FixtureRequest) -> Backend:
    from sandbox.runtime.backends import default_registry

    return backend_named(request, default_registry(), request.param)


def _run(backend: Backend, body: str, **kwargs: Any) -> ModelOutcome:
    return run_model(
        backend,
        model(body),
        FakeBroker(),
        limits=ROOMY,
        profile=RuntimeProfile.SCIENTIFIC,
        **kwargs,
    )


def test_models_are_ordinary_python_with_the_scientific_stack(hardened: Backend) -> None:
    outcome = _run(
        hardened,
        """
        import numpy as np
        import pandas as pd
        import scipy.stats
        import statsmodels.api as sm
        import sklearn.linear_model
        import matplotlib
        import matplotlib.pyplot as plt
        import io

        class Summary:
            def __init__(self, values):
                self.values = values

        def run(ctx):
            counts = {"a": 1}
            counts["a"] += 2
            frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": [2.1, 3.9, 6.2, 7.8]})
            fit = sm.OLS(frame["y"], sm.add_constant(frame["x"])).fit()
            figure = plt.figure()
            plt.plot(frame["x"], frame["y"])
            png = io.BytesIO()
            figure.savefig(png, format="png")
            return {"counts": counts, "mean": np.mean(frame["x"]), "range": np.arange(3),
                    "slope": round(float(fit.params["x"]), 2),
                    "p": float(scipy.stats.norm.cdf(0)), "backend": matplotlib.get_backend(),
                    "png": png.getvalue()[:4] == b"\\x89PNG",
                    "summary": Summary([1]).values}
    """,
    )
    assert outcome.status is RunStatus.OK, outcome.errors
    assert outcome.value == {
        "counts": {"a": 3},
        "mean": 2.5,
        "range": [0, 1, 2],
        "slope": 1.94,
        "p": 0.5,
        "backend": "Agg",
        "png": True,
        "summary": [1],
    }


def test_errors_name_the_models_line(hardened: Backend) -> None:
    broken = _run(hardened, "def run(ctx):\n    return (\n")
    assert broken.status is RunStatus.COMPILE_ERROR
    assert broken.errors and broken.errors[0].startswith("Line ")
    failing = _run(hardened, "import numpy\n\ndef run(ctx):\n    return 1 / 0\n")
    assert failing.status is RunStatus.MODEL_ERROR
    assert failing.errors == ["Line 6: ZeroDivisionError: division by zero"]


def test_a_raw_table_is_a_read_only_arrow_table(hardened: Backend) -> None:
    table = pa.table({"age": [30, 40, 50], "region": ["n", "s", "n"]})
    with tempfile.TemporaryDirectory(prefix="sandbox-inputs-") as inputs:
        path = Path(inputs, "people.arrow")
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        os.chmod(inputs, 0o755)
        os.chmod(path, 0o644)
        outcome = _run(
            hardened,
            """
            import pyarrow as pa

            def run(ctx):
                table = ctx.table("people")
                frame = table.to_pandas()
                try:
                    table.column("age").chunks[0].buffers()[1].address  # readable, not writable
                    ctx.table("people").to_pandas().iloc[0, 0] = 99
                    writable = False
                except Exception:
                    writable = True
                return {"arrow": isinstance(table, pa.Table), "rows": table.num_rows,
                        "mean": float(frame["age"].mean()),
                        "by_region": frame.groupby("region")["age"].count().to_dict(),
                        "again": ctx.table("people").column("age").to_pylist(),
                        "raised": writable}
        """,
            inputs=Path(inputs),
            tables={"people": "/inputs/people.arrow"},
        )
    assert outcome.status is RunStatus.OK, outcome.errors
    assert outcome.value == {
        "arrow": True,
        "rows": 3,
        "mean": 40.0,
        "by_region": {"n": 2, "s": 1},
        "again": [30, 40, 50],
        "raised": False,
    }


def test_the_restricted_root_holds_no_scientific_stack(hardened: Backend) -> None:
    outcome = run_raw(
        hardened,
        """
        import importlib.util, json
        print(json.dumps([importlib.util.find_spec(m) is not None
                          for m in ("pyarrow", "numpy", "pandas", "scipy", "matplotlib")]))
    """,
    )
    assert printed(outcome) == [True, False, False, False, False]


def test_the_subprocess_backend_refuses_the_scientific_profile() -> None:
    with pytest.raises(ValueError, match="does not run the scientific profile"):
        run_model(
            SubprocessBackend(),
            model("def run(ctx):\n    return 1\n"),
            FakeBroker(),
            profile=RuntimeProfile.SCIENTIFIC,
        )
