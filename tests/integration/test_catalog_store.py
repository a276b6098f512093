"""The catalog services on both metadata stores (SQLite and a real PostgreSQL server).

Also the real HTTP server running on PostgreSQL through ``SANDBOX_DATABASE_URL``.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from sandbox import audit
from sandbox.catalog import changes
from sandbox.catalog.model import OpenAttribute
from sandbox.catalog.parsing import parse_metadata
from sandbox.config import Settings
from sandbox.datasets import reads, registry
from sandbox.errors import AccessRefused, Conflict, InvalidUpload
from sandbox.identity import service
from sandbox.identity.model import Actor, OrganisationKind, Role
from sandbox.platform import Platform
from sandbox.store.db import transaction
from sandbox.store.models import DatasetRow, DatasetVersionRow
from tests.support.datafiles import metadata, parquet_bytes, people_table
from tests.support.factories import pass_review
from tests.support.server import create_accounts, start_server, stop_server


@pytest.fixture
def platform(db_url: str, tmp_path: Path):
    opened = Platform.open(Settings(var_dir=tmp_path / "var", database_url=db_url))
    yield opened
    opened.close()


def make_actors(platform: Platform) -> dict[str, Actor]:
    system = Actor.system()
    with transaction(platform.sessions) as session:
        org = service.create_organisation(
            session, system, name="Health", kind=OrganisationKind.PROVIDER
        )
        provider = service.create_user(
            session, system, username="prov", role=Role.PROVIDER, organisation_id=org.id
        )
        authority = service.create_user(session, system, username="auth", role=Role.AUTHORITY)
        user = service.create_user(session, system, username="res", role=Role.USER)
    return {
        "provider": Actor(provider.id, "prov", Role.PROVIDER, org.id),
        "authority": Actor(authority.id, "auth", Role.AUTHORITY),
        "user": Actor(user.id, "res", Role.USER),
    }


def import_file(platform: Platform, name: str, content: bytes) -> registry.DataSource:
    root = Path(platform.settings.resolved_import_roots()[0])
    root.mkdir(parents=True, exist_ok=True)
    (root / name).write_bytes(content)
    return registry.DataSource(path=str(root / name))


def counts(platform: Platform) -> tuple[int, int]:
    with platform.sessions() as session:
        return (
            session.execute(select(func.count()).select_from(DatasetRow)).scalar_one(),
            session.execute(select(func.count()).select_from(DatasetVersionRow)).scalar_one(),
        )


def test_register_versions_access_and_changes(platform: Platform):
    actors = make_actors(platform)
    source = import_file(platform, "v1.parquet", parquet_bytes(people_table(40)))
    entry = registry.register_dataset(
        platform, actors["provider"], parse_metadata(metadata("people", "unconditional")), source
    )
    assert entry.latest is None and entry.versions[0].row_count == 40  # submitted
    pass_review(platform, "people", authority=actors["authority"])
    second = import_file(platform, "v2.parquet", parquet_bytes(people_table(60)))
    entry = registry.add_version(platform, actors["provider"], "people", second, note="more")
    assert [v.version for v in entry.versions] == [1, 2]
    assert entry.latest is not None and entry.latest.version == 1  # 2 waits for review
    page = reads.query_rows(platform, actors["user"], "people", 1, 0, 5)
    assert (page.version, page.total_rows, page.table.num_rows) == (1, 40, 5)

    with transaction(platform.sessions) as session:
        change = changes.request_change(
            session,
            actors["provider"],
            "people",
            to_attribute=OpenAttribute.CONDITIONAL,
            legal_basis="basis",
        )
    with transaction(platform.sessions) as session:
        changes.decide_change(session, actors["authority"], change.id, approve=True)
    with pytest.raises(AccessRefused):
        reads.plan_download(platform, actors["user"], "people", None, "parquet")
    with platform.sessions() as session:
        assert audit.verify(session).ok


def test_failed_ingest_leaves_no_trace(platform: Platform):
    actors = make_actors(platform)
    before_files = platform.store.list_files()
    bad = import_file(platform, "bad.parquet", b"PAR1 not really PAR1")
    with pytest.raises(InvalidUpload):
        registry.register_dataset(
            platform, actors["provider"], parse_metadata(metadata("broken")), bad
        )
    assert counts(platform) == (0, 0)
    assert platform.store.list_files() == before_files


def test_concurrent_registrations_of_one_name_store_exactly_one(platform: Platform):
    actors = make_actors(platform)
    sources = [
        import_file(platform, f"c{i}.parquet", parquet_bytes(people_table(30))) for i in range(4)
    ]
    outcomes: list[str] = []

    def attempt(source: registry.DataSource) -> None:
        try:
            registry.register_dataset(
                platform, actors["provider"], parse_metadata(metadata("raced")), source
            )
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=attempt, args=(s,)) for s in sources]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict"] * 3 + ["ok"]
    assert counts(platform) == (1, 1)
    assert len(platform.store.list_files()) == 1


@pytest.mark.postgres
@pytest.mark.server
def test_the_server_runs_on_postgresql(postgres_server, tmp_path):
    url = postgres_server.create_database()
    server = start_server(tmp_path / "var", {"SANDBOX_DATABASE_URL": url})
    try:
        platform = Platform.open(Settings(var_dir=tmp_path / "var", database_url=url))
        accounts = create_accounts(platform)
        platform.close()
        with server.client(accounts["provider"].token) as provider:
            staged = provider.post("/v1/uploads", content=parquet_bytes(people_table()))
            created = provider.post(
                "/v1/datasets",
                json={**metadata("pg_people"), "source": {"upload_id": staged.json()["upload_id"]}},
            )
            assert created.status_code == 201, created.text
        with server.client(accounts["auditor"].token) as auditor:
            verify = auditor.get("/v1/audit/verify").json()
            assert verify["ok"] and verify["entries_checked"] > 5
        assert not (tmp_path / "var" / "sandbox.db").exists()  # nothing went to SQLite
    finally:
        stop_server(server)


def test_an_entry_older_than_its_update_frequency_is_stale(platform: Platform):
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from sandbox.catalog.queries import get_entry

    actors = make_actors(platform)
    source = import_file(platform, "s.parquet", parquet_bytes(people_table(10)))
    registry.register_dataset(
        platform, actors["provider"], parse_metadata(metadata("monthly_people")), source
    )
    pass_review(platform, "monthly_people", authority=actors["authority"])
    with platform.sessions() as session:
        assert get_entry(session, "monthly_people").stale is False
    with transaction(platform.sessions) as session:
        session.execute(
            update(DatasetVersionRow).values(created_at=datetime.now(UTC) - timedelta(days=40))
        )
    with platform.sessions() as session:
        assert get_entry(session, "monthly_people").stale is True
