"""Jobs over HTTP in the scientific runtime profile: pandas on a raw-access table, numpy in a
DP job, each run in the OS sandbox of a real job and named on its record; a profile the
datasets' policies do not allow is refused at submission, and nothing is stored.
"""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.store.models import JobRow
from tests.support.datafiles import SECRET_MARKER
from tests.support.http import ok
from tests.support.server import LiveServer
from tests.support.world import World, build_world, grant

pytestmark = pytest.mark.server

SCIENTIFIC = {"runtime_profiles": ["restricted", "scientific"]}

RAW_PANDAS = '''"""Mean age by district with pandas, from the raw Arrow table."""

import pandas as pd


class Summary:
    def __init__(self, frame):
        self.frame = frame

    def by_district(self):
        return self.frame.groupby("district")["age"].mean().round(1).to_dict()


def run(ctx):
    table = ctx.table("sci_raw")
    frame = table.to_pandas()
    assert isinstance(frame, pd.DataFrame)
    return {"rows": int(len(frame)), "kind": type(table).__name__,
            "mean_age": Summary(frame).by_district()}
'''

DP_NUMPY = '''"""A DP count, then numpy on the noisy answer."""

import numpy as np


def run(ctx):
    total = ctx.dataset("sci_cond").count(epsilon=0.5)
    return {"total": total, "log10": np.log10(max(total, 1.0)), "shape": np.zeros((2, 3)).shape}
'''


@pytest.fixture(scope="module")
def world(job_server: LiveServer) -> World:
    made = build_world(
        job_server,
        {"sci_raw": "conditional", "sci_cond": "conditional", "sci_plain": "conditional"},
    )
    with made.client("provider") as provider:
        ok(
            provider.put(
                "/v1/datasets/sci_raw/policy",
                json={"document": {"job_limits": {"raw_access_allowed": True, **SCIENTIFIC}}},
            )
        )
        ok(
            provider.put(
                "/v1/datasets/sci_cond/policy", json={"document": {"job_limits": SCIENTIFIC}}
            )
        )
    made.grants["raw"] = grant(made, "user", ["sci_raw"], job_kinds=["dp", "raw"])["ref"]
    made.grants["dp"] = grant(made, "user", ["sci_cond", "sci_plain"])["ref"]
    return made


def submit(world: World, body: dict[str, Any]) -> Any:
    with world.client("user") as client:
        return client.post("/v1/jobs", json=body)


def finished(world: World, job_id: int) -> dict[str, Any]:
    with world.api("user") as api:
        done: dict[str, Any] = api.wait_for_job(job_id, timeout=240)
    return done


def stored_result(world: World, job_id: int) -> Any:
    platform = world.server.open_platform()
    try:
        with platform.sessions() as session:
            row = session.get(JobRow, job_id)
            assert row is not None
            return row.profile, row.result
    finally:
        platform.close()


def test_a_raw_job_uses_pandas_on_the_arrow_table(world: World) -> None:
    job = ok(
        submit(
            world,
            {"datasets": ["sci_raw"], "kind": "raw", "source": RAW_PANDAS, "profile": "scientific"},
        ),
        201,
    )
    assert job["profile"] == "scientific"
    done = finished(world, int(job["id"]))
    assert done["state"] == "pending_review" and done["outcome"] == "ok", done
    assert done["profile"] == "scientific" and SECRET_MARKER not in str(done)
    profile, result = stored_result(world, int(job["id"]))
    assert profile == "scientific"
    assert result["rows"] == 60 and result["kind"] == "Table"
    assert set(result["mean_age"]) == {"North", "South", "East"}


def test_a_dp_job_uses_numpy_on_its_noisy_answers(world: World) -> None:
    job = ok(
        submit(world, {"datasets": ["sci_cond"], "source": DP_NUMPY, "profile": "scientific"}), 201
    )
    done = finished(world, int(job["id"]))
    assert done["state"] == "pending_review" and done["outcome"] == "ok", done
    assert done["progress"]["dp_calls"] == 1
    _, result = stored_result(world, int(job["id"]))
    assert set(result) == {"total", "log10", "shape"} and result["shape"] == [2, 3]


def test_a_profile_the_policy_does_not_allow_is_refused(world: World) -> None:
    refused = submit(
        world, {"datasets": ["sci_plain"], "source": DP_NUMPY, "profile": "scientific"}
    )
    assert refused.status_code in (400, 403, 422), refused.text
    assert "scientific runtime profile" in refused.text
    no_numpy = submit(world, {"datasets": ["sci_cond"], "source": DP_NUMPY})
    assert no_numpy.status_code in (400, 422) and "numpy" in no_numpy.text  # restricted
    plain = (
        '"""A count."""\n\n\ndef run(ctx):\n'
        '    return ctx.dataset("sci_plain").count(epsilon=0.5)\n'
    )
    restricted = ok(submit(world, {"datasets": ["sci_plain"], "source": plain}), 201)
    assert restricted["profile"] == "restricted"
