"""The researcher's notebook (``docs/researcher.ipynb``) runs, cell by cell, in a real Jupyter
kernel against a live server joined to Ray: catalog, metadata and synthetic preview, the
grant, a DP job with a vetted model followed to review; the test approves it as the
provider's reviewer between two cells; the released result comes back as a DataFrame.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from tests.support.http import ok
from tests.support.server import LiveServer
from tests.support.world import World, build_world, grant

pytestmark = pytest.mark.slow

NOTEBOOK = Path(__file__).resolve().parents[2] / "docs" / "researcher.ipynb"
DATASET = "nb_people"


@pytest.fixture(scope="module")
def world(job_server: LiveServer) -> World:
    made = build_world(job_server, {DATASET: "conditional", "nb_open": "unconditional"})
    made.grants["dp"] = grant(made, "user", [DATASET])["ref"]
    return made


def _tags(cell: Any) -> list[str]:
    return list(cell.metadata.get("tags", []))


def _text(cell: Any) -> str:
    """What a code cell printed and showed, as text."""
    parts: list[str] = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type in ("execute_result", "display_data"):
            parts.append(output.data.get("text/plain", ""))
        elif output.output_type == "error":
            parts.append(f"{output.ename}: {output.evalue}")
    return "".join(parts)


def _approve_when_pending(world: World) -> int:
    """As the provider's reviewer: approve the one job of the notebook waiting for review."""
    with world.client("reviewer") as reviewer:
        queue = [j for j in ok(reviewer.get("/v1/reviews")) if DATASET in j["datasets"]]
        assert len(queue) == 1, queue
        job_id = int(queue[0]["id"])
        ok(
            reviewer.post(
                f"/v1/reviews/{job_id}/decision", json={"outcome": "approve", "reason": ""}
            )
        )
    return job_id


def test_the_researcher_notebook_runs_against_the_live_server(world: World, tmp_path: Path) -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"), (
        "the notebook is kept without outputs"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANDBOX_")}
    env.update(
        SANDBOX_URL=world.server.url, SANDBOX_TOKEN=world.tokens["user"], SANDBOX_DATASET=DATASET
    )
    client = NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    shown: dict[str, str] = {}
    approved: int | None = None
    try:
        with client.setup_kernel(env=env):
            for index, cell in enumerate(notebook.cells):
                if cell.cell_type != "code":
                    continue
                client.execute_cell(cell, index)
                for tag in _tags(cell):
                    shown[tag] = _text(cell)
                if "submit" in _tags(cell):
                    approved = _approve_when_pending(world)
    finally:  # what the researcher would have seen, to read when a cell fails
        nbformat.write(notebook, tmp_path / "researcher.executed.ipynb")
    assert approved is not None
    assert f"job {approved}: " in shown["submit"] and "pending_review" in shown["submit"]
    assert f"job {approved} is released" in shown["released"]
    assert "mean of income by district: charged " in shown["released"]
    assert "0.5" in shown["released"].split("charged ")[1]
    frame = shown["result"]
    assert "district" in frame and "mean" in frame
    assert {"North", "South", "East"} & set(frame.split())
