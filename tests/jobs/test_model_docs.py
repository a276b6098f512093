"""Every example of docs/models.md marked ``<!-- run: dp -->`` or ``<!-- run: raw -->`` runs
as a real job (sandbox, broker, engine, checks) and ends well: the page cannot drift from
the DP handle it documents."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pytest

from tests.support.datafiles import SECRET_MARKER, metadata, parquet_bytes, register
from tests.support.http import ok
from tests.support.server import LiveServer
from tests.support.world import World, build_world, grant

pytestmark = pytest.mark.server

PAGE = Path(__file__).resolve().parents[2] / "docs" / "models.md"
EXAMPLE = re.compile(r"<!-- run: (dp|raw) -->\n```python\n(.*?)```", re.S)
DATASET = "docs_people"
BENEFITS = "docs_benefits"
DISTRICTS = "docs_districts"
"""The join example's second dataset (same privacy unit) and public lookup table."""
NAMES = {'"people"': f'"{DATASET}"', '"benefits"': f'"{BENEFITS}"', '"districts"': f'"{DISTRICTS}"'}


def examples() -> list[tuple[str, str]]:
    found = []
    for kind, source in EXAMPLE.findall(PAGE.read_text(encoding="utf-8")):
        for name, test_name in NAMES.items():
            source = source.replace(name, test_name)
        found.append((kind, source))
    assert len(found) >= 6, "the page lost its runnable examples"
    return found


@pytest.fixture(scope="module")
def world(job_server: LiveServer) -> World:
    made = build_world(job_server, {DATASET: "conditional"}, raw_policy_for=(DATASET,))
    benefits = pa.table(
        {
            "pid": [f"{SECRET_MARKER}{i:05d}" for i in range(0, 60, 2)],
            "scheme": [("pension", "housing")[i % 2] for i in range(30)],
            "amount": [100.0 + 10 * i for i in range(30)],
        }
    )
    districts = pa.table(
        {"district": ["North", "South", "East"], "region": ["Coast", "Coast", "Inland"]}
    )
    with made.client("provider") as provider:
        ok(
            register(
                provider,
                parquet_bytes(benefits),
                metadata(
                    BENEFITS,
                    dictionary=[
                        {"name": "pid", "type": "string", "classification": "identifier"},
                        {
                            "name": "scheme",
                            "type": "string",
                            "classification": "quasi_identifier",
                            "categories": ["pension", "housing"],
                        },
                        {"name": "amount", "type": "float64", "classification": "sensitive"},
                    ],
                ),
            ),
            201,
        )
        ok(
            register(
                provider,
                parquet_bytes(districts),
                metadata(
                    DISTRICTS,
                    "unconditional",
                    privacy_unit=None,
                    dictionary=[
                        {"name": "district", "type": "string", "classification": "public"},
                        {"name": "region", "type": "string", "classification": "public"},
                    ],
                ),
            ),
            201,
        )
    made.grants["docs"] = grant(made, "user", [DATASET], job_kinds=["dp", "raw"])["ref"]
    made.grants["joins"] = grant(made, "user", [DATASET, BENEFITS], title="Join study")["ref"]
    return made


@pytest.mark.parametrize(
    ("kind", "source"), examples(), ids=[f"example-{i}" for i in range(len(examples()))]
)
def test_every_example_of_the_model_page_runs(world: World, kind: str, source: str) -> None:
    joins = f'"{BENEFITS}"' in source
    datasets, ref = ([DATASET, BENEFITS], "joins") if joins else ([DATASET], "docs")
    with world.api("user") as api:
        job = api.submit_job(datasets, source=source, kind=kind, grant=world.grants[ref])
        done = api.wait_for_job(int(job["id"]), timeout=180)
    assert done["outcome"] == "ok" and done["state"] in ("pending_review", "released"), done
    with world.api("reviewer") as reviewer:
        view = reviewer.get_review(int(job["id"]))
    assert view["result"] is not None
