"""Fixtures of the engine tests: one local Ray per session and a registered census dataset.

Policies and in-memory ledgers come from :mod:`tests.support.factories`.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sandbox.catalog.parsing import parse_metadata
from sandbox.config import Settings
from sandbox.datasets import registry
from sandbox.identity import service
from sandbox.identity.model import Actor, OrganisationKind, Role
from sandbox.platform import Platform
from sandbox.store.db import transaction
from tests.support.factories import pass_review


@pytest.fixture(scope="session")
def ray_session() -> Iterator[None]:
    """A local Ray with 2 CPUs, started once for every engine test that needs it."""
    import ray

    from sandbox.engine.compute import ensure_ray

    ensure_ray(None, num_cpus=2)
    yield
    ray.shutdown()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


# --- A registered dataset ----------------------------------------------------------------------

SECRET = "ZZSECRET"
"""Planted in identifier and rare values: no error message may ever contain it."""

CENSUS_DICTIONARY: list[dict[str, Any]] = [
    {"name": "pid", "type": "string", "classification": "identifier"},
    {
        "name": "district",
        "type": "string",
        "classification": "quasi_identifier",
        "categories": ["North", "South", "East", "West"],
    },
    {"name": "occupation", "type": "string", "classification": "quasi_identifier"},
    {"name": "age", "type": "int64", "classification": "quasi_identifier"},
    {"name": "employed", "type": "bool", "classification": "public"},
    {"name": "income", "type": "float64", "classification": "sensitive"},
    {"name": "diagnosis", "type": "string", "classification": "sensitive"},
]
COMMON_OCCUPATIONS = ("clerk", "farmer", "teacher")


def census_table(persons: int = 2_000, seed: int = 5) -> pa.Table:
    """Persons with 1 to 5 rows each; districts North/South/East only (West is declared but
    empty); a few occupations held by a single person; some null incomes."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for person in range(persons):
        district = ("North", "South", "East")[person % 3]
        rare = person % 400 == 7
        occupation = f"{SECRET}-rare-{person}" if rare else COMMON_OCCUPATIONS[person % 3]
        age = 18 + person % 60
        for visit in range(1 + person % 5):
            rows.append(
                {
                    "pid": f"{SECRET}{person:06d}",
                    "district": district,
                    "occupation": occupation,
                    "age": age,
                    "employed": person % 4 != 0,
                    "income": None
                    if (person + visit) % 53 == 0
                    else round(rng.uniform(10_000, 90_000), 2),
                    "diagnosis": f"{SECRET}-dx-{person % 7}",
                }
            )
    return pa.Table.from_pylist(rows)


@dataclass
class Census:
    platform: Platform
    table: pa.Table
    provider: Actor
    user: Actor


@pytest.fixture(scope="session")
def census(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Census]:
    """A Platform on SQLite under a temp var dir with dataset "census" registered once."""
    var = tmp_path_factory.mktemp("engine") / "var"
    settings = Settings(
        var_dir=var,
        database_url=f"sqlite:///{var / 'sandbox.db'}",
        data_uri=str(var / "data"),
        import_roots=[str(var / "import")],
        ray_address="",
    )
    platform = Platform.open(settings)
    system = Actor.system()
    with transaction(platform.sessions) as session:
        org = service.create_organisation(
            session, system, name="Stats", kind=OrganisationKind.PROVIDER
        )
        provider = service.create_user(
            session, system, username="prov", role=Role.PROVIDER, organisation_id=org.id
        )
        user = service.create_user(session, system, username="res", role=Role.USER)
    provider_actor = Actor(provider.id, "prov", Role.PROVIDER, org.id)
    data = census_table()
    (var / "import").mkdir(parents=True, exist_ok=True)
    pq.write_table(data, var / "import" / "census.parquet")
    metadata = parse_metadata(
        {
            "name": "census",
            "title": "Census",
            "description": "test rows",
            "open_attribute": "conditional",
            "open_conditions": "research",
            "update_frequency": "monthly",
            "contact": "data@stats.example",
            "privacy_unit": "pid",
            "dictionary": CENSUS_DICTIONARY,
        }
    )
    registry.register_dataset(
        platform,
        provider_actor,
        metadata,
        registry.DataSource(path=str(var / "import" / "census.parquet")),
    )
    pass_review(platform, "census")
    yield Census(platform, data, provider_actor, Actor(user.id, "res", Role.USER))
    platform.close()
