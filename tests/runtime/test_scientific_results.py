"""A scientific model's tables and figures crossing the real sandbox (bwrap and docker): a
DataFrame, an Arrow table and matplotlib figures arrive on the trusted side as parts; the
helpers that carry counts take pandas input and give a verified DataFrame; the restricted
profile returns its dicts as before.
"""

from __future__ import annotations

import base64
import os
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from sandbox.runtime.backends import Backend, Limits
from sandbox.runtime.executor import ModelOutcome, RunStatus, run_model
from sandbox.runtime.profiles import RuntimeProfile
from tests.runtime.attacks import FakeBroker, model
from tests.runtime.conftest import backend_named

ROOMY = Limits(wall_seconds=120, cpu_seconds=100, memory_bytes=2 * 1024**3)


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
        profile=kwargs.pop("profile", RuntimeProfile.SCIENTIFIC),
        **kwargs,
    )


def test_dataframes_arrow_tables_and_figures_cross_as_parts(hardened: Backend) -> None:
    outcome = _run(
        hardened,
        """
        import matplotlib.pyplot as plt
        import pandas as pd
        import pyarrow as pa

        def run(ctx):
            frame = pd.DataFrame({"district": ["N", "S", "N"], "income": [1.0, 2.0, 4.0]})
            means = frame.groupby("district", as_index=False)["income"].mean()
            fig, ax = plt.subplots(figsize=(3, 2))
            ax.bar(means["district"], means["income"])
            return {"means": means, "arrow": pa.table({"x": [1, 2]}),
                    "png": ctx.figure(fig, name="income.png"),
                    "svg": ctx.figure(fig, name="income.svg"), "bare": fig}
    """,
    )
    assert outcome.status is RunStatus.OK, outcome.errors
    value = outcome.value
    assert value["means"] == {
        "result_part": "table",
        "schema": [
            {"name": "district", "type": "large_string"},
            {"name": "income", "type": "double"},
        ],
        "columns": ["district", "income"],
        "rows": [["N", 2.5], ["S", 2.0]],
    }
    assert value["arrow"]["rows"] == [[1], [2]]
    assert base64.b64decode(value["png"]["base64"]).startswith(b"\x89PNG")
    assert value["svg"]["media_type"] == "image/svg+xml"
    assert b"<svg" in base64.b64decode(value["svg"]["base64"])
    assert value["bare"]["name"] == "bare.png"


def test_an_oversized_figure_is_the_models_error_with_its_line(hardened: Backend) -> None:
    outcome = _run(
        hardened,
        """
        import matplotlib.pyplot as plt

        def run(ctx):
            fig = plt.figure(figsize=(60, 10))
            return ctx.figure(fig, name="wide.png", dpi=100)
    """,
    )
    assert outcome.status is RunStatus.MODEL_ERROR
    assert outcome.errors[0].startswith("Line 7: ValueError: the figure would be 6000 x 1000")


def test_the_helpers_take_pandas_input_and_give_a_verified_frame(hardened: Backend) -> None:
    table = pa.table({"district": ["N", "S", "N"], "income": [1.0, 2.0, 4.0]})
    seen: list[dict[str, Any]] = []

    def helpers(message: dict[str, Any]) -> Any:
        seen.append(message)
        return {
            "sdc_output": "people/1",
            "kind": "crosstab",
            "columns": ["district", "count"],
            "rows": [["N", 2], ["S", 1]],
        }

    with tempfile.TemporaryDirectory(prefix="sandbox-inputs-") as inputs:
        path = Path(inputs, "people.arrow")
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        os.chmod(inputs, 0o755)
        os.chmod(path, 0o644)
        outcome = _run(
            hardened,
            """
            import numpy as np

            def run(ctx):
                people = ctx.table("people")
                frame = people.to_pandas()
                counts = ctx.crosstab(people, rows=frame[["district"]], as_frame=True,
                                      where=[["income", ">", np.float64(0.5)]])
                changed = counts.copy()
                changed.loc[0, "count"] = 99
                try:
                    ctx.crosstab(frame, rows=["district"])
                    refused = False
                except TypeError:
                    refused = True
                return {"counts": counts, "changed": changed, "refused": refused,
                        "total": int(counts["count"].sum())}
        """,
            inputs=Path(inputs),
            tables={"people": "/inputs/people.arrow"},
            helpers=helpers,
        )
    assert outcome.status is RunStatus.OK, outcome.errors
    assert seen[0]["dataset"] == "people"
    assert seen[0]["args"]["rows"] == ["district"]
    assert seen[0]["args"]["where"] == [["income", ">", 0.5]]
    value = outcome.value
    assert value["counts"]["sdc_output"] == "people/1"  # unchanged: still the platform's
    assert value["changed"]["result_part"] == "table"  # changed: a table the model computed
    assert value["refused"] is True and value["total"] == 3


def test_a_restricted_model_returns_its_dicts_as_before(hardened: Backend) -> None:
    outcome = _run(
        hardened,
        """
        def run(ctx):
            return {"n": 3, "by": {"a": [1, 2.5, None]}, "t": (1, "x")}
    """,
        profile=RuntimeProfile.RESTRICTED,
    )
    assert outcome.status is RunStatus.OK, outcome.errors
    assert outcome.value == {"n": 3, "by": {"a": [1, 2.5, None]}, "t": [1, "x"]}
