"""The data root on a real S3 API server (moto's, on loopback, started by the test setup).

S3 has no directory moves and no renames: versions are written under their final names
and committed by their catalog row, derived copies (contribution-bounded, joined) by a
manifest written last in a per-attempt prefix. Here against a server that enforces its
credentials:

- storage: a registered version lives in the bucket and reads back checked (pages, CSV,
  the whole-file hash); a copy without its manifest is invisible and swept, concurrent
  builders agree on one copy; a wrong key is ``storage unavailable``, naming no secret;
- the engine: bounding in Ray tasks (the S3 filesystem, credentials included, travels in
  the tasks' arguments) and a DP release charged before it is computed;
- one whole job flow through the live server and a ``ray start`` head whose workers have no
  AWS environment at all: register, a DP job (its bounded copy built in the bucket), a raw
  job, reviews, result downloads and a dataset download; and a server whose credentials
  live only in its own environment, whose job fails as ``storage unavailable``.
"""

from __future__ import annotations

import collections
import csv
import io
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest
from pydantic import SecretStr

from sandbox.catalog.parsing import parse_metadata
from sandbox.config import Settings
from sandbox.datasets import registry
from sandbox.engine import QueryEngine
from sandbox.engine.bounding import bounded_version
from sandbox.engine.compute import LocalTaskPool, RayTaskPool, ensure_ray
from sandbox.errors import StorageUnavailable
from sandbox.identity import service
from sandbox.identity.model import Actor, OrganisationKind, Role
from sandbox.jobs.storage_failure import STORAGE_UNAVAILABLE_REASON
from sandbox.ledger import ChargeStatus
from sandbox.platform import Platform
from sandbox.storage import committed, encryption
from sandbox.storage.datastore import DataStore
from sandbox.storage.export import iter_csv_bytes, read_page
from sandbox.storage.integrity import RecordedVersion, full_check
from sandbox.store.db import transaction
from sandbox.store.models import DatasetVersionRow
from tests.engine.conftest import CENSUS_DICTIONARY, SECRET, census_table
from tests.support.datafiles import SECRET_MARKER
from tests.support.factories import GRANT, make_policy, new_ledger, pass_review
from tests.support.http import ok
from tests.support.ray_cluster import RAY_ENV
from tests.support.s3 import S3Server
from tests.support.server import LiveServer, start_server, stop_server
from tests.support.world import World, build_world, grant

pytestmark = pytest.mark.s3


def s3_settings(s3: S3Server, var: Path, prefix: str, **changes: Any) -> Settings:
    values: dict[str, Any] = {
        "var_dir": var,
        "database_url": f"sqlite:///{var / 'sandbox.db'}",
        "data_uri": s3.data_uri(prefix),
        "import_roots": [str(var / "import")],
        "s3_endpoint_url": s3.endpoint,
        "s3_region": "us-east-1",
        "s3_access_key_id": s3.access_key,
        "s3_secret_access_key": SecretStr(s3.secret_key),
        **changes,
    }
    return Settings(**values)


CENSUS_METADATA: dict[str, Any] = {
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


# --- storage ----------------------------------------------------------------------------------


class Registered:
    def __init__(self, platform: Platform, table: pa.Table, user: Actor) -> None:
        self.platform = platform
        self.table = table
        self.user = user

    def recorded(self) -> RecordedVersion:
        with self.platform.sessions() as session:
            row = session.query(DatasetVersionRow).one()
            return RecordedVersion(row.storage_path, row.byte_size, row.row_count, row.sha256)


@pytest.fixture(scope="module")
def census_on_s3(
    s3_server: S3Server, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Registered]:
    """A platform whose data root is in the bucket, with the census registered once."""
    var = tmp_path_factory.mktemp("s3-engine") / "var"
    platform = Platform.open(s3_settings(s3_server, var, f"engine-{uuid.uuid4().hex[:8]}"))
    system = Actor.system()
    with transaction(platform.sessions) as session:
        org = service.create_organisation(
            session, system, name="Stats", kind=OrganisationKind.PROVIDER
        )
        provider = service.create_user(
            session, system, username="prov", role=Role.PROVIDER, organisation_id=org.id
        )
        user = service.create_user(session, system, username="res", role=Role.USER)
    data = census_table(persons=1_200)
    (var / "import").mkdir(parents=True)
    pq.write_table(data, var / "import" / "census.parquet")
    metadata = parse_metadata(CENSUS_METADATA)
    registry.register_dataset(
        platform,
        Actor(provider.id, "prov", Role.PROVIDER, org.id),
        metadata,
        registry.DataSource(path=str(var / "import" / "census.parquet")),
    )
    pass_review(platform, metadata.name)
    yield Registered(platform, data, Actor(user.id, "res", Role.USER))
    platform.close()


def test_the_data_root_is_an_s3_filesystem_in_the_bucket(
    census_on_s3: Registered, s3_server: S3Server
) -> None:
    store = census_on_s3.platform.store
    assert isinstance(store.filesystem, pafs.S3FileSystem)
    assert store.root.startswith(f"{s3_server.bucket}/")
    assert not (census_on_s3.platform.settings.var_dir / "data").exists()


def test_a_version_is_stored_in_the_bucket_and_reads_back_checked(
    census_on_s3: Registered,
) -> None:
    store = census_on_s3.platform.store
    recorded = census_on_s3.recorded()
    assert recorded.path in store.list_files()
    assert full_check(store, recorded) is None
    page = read_page(store, recorded.path, 10, 5)
    assert page.to_pylist() == census_on_s3.table.slice(10, 5).to_pylist()
    text = b"".join(iter_csv_bytes(store, recorded.path)).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == census_on_s3.table.num_rows and rows[0]["pid"].startswith(SECRET)


def test_a_copy_without_its_manifest_is_ignored_then_swept(census_on_s3: Registered) -> None:
    store = census_on_s3.platform.store
    filesystem, key = store.filesystem, f"{store.root}/_scratch/{uuid.uuid4().hex}"
    dead = committed.new_attempt(filesystem, key)
    with filesystem.open_output_stream(f"{key}/{dead}/fragment-00000.parquet") as out:
        out.write(b"half a file")
    assert committed.load(filesystem, key) is None  # no manifest: nobody trusts it
    live = committed.new_attempt(filesystem, key)
    with filesystem.open_output_stream(f"{key}/{live}/a.txt") as out:
        out.write(b"whole")
    committed.commit(filesystem, key, live, {"files": ["a.txt"]})
    found = committed.load(filesystem, key)
    assert found is not None and found.attempt == live and found.document["files"] == ["a.txt"]
    assert committed.sweep(filesystem, key) == 0  # too young: its builder may be at work
    assert committed.sweep(filesystem, key, now=time.time() + committed.STALE_SECONDS + 60) == 1
    left = [p.rsplit("/", 1)[1] for p in store.list_files() if p.startswith(key)]
    assert sorted(left) == ["a.txt", f"manifest-{live}.json"]
    with filesystem.open_input_stream(found.path("a.txt")) as stream:
        assert stream.read() == b"whole"


def test_concurrent_builders_of_one_bounded_copy_agree_on_one(census_on_s3: Registered) -> None:
    store = census_on_s3.platform.store
    recorded = census_on_s3.recorded()
    sha = uuid.uuid4().hex * 2  # a fresh cache key for this test
    results: list[Any] = []

    def build() -> None:
        results.append(
            bounded_version(
                store.filesystem,
                store.root,
                recorded.path,
                sha,
                "pid",
                2,
                recorded.row_count,
                LocalTaskPool(),
                rows_per_bucket=1_000,
                row_groups_per_task=1,
            )
        )

    threads = [threading.Thread(target=build) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 3 and all(r == results[0] for r in results)
    kept = pa.concat_tables(
        pq.read_table(f.path, filesystem=store.filesystem) for f in results[0].fragments
    )
    assert max(collections.Counter(kept["pid"].to_pylist()).values()) <= 2
    assert not [p for p in store.list_files() if "/parts/" in p]  # temporary parts removed


def test_a_wrong_key_is_storage_unavailable_naming_no_secret(
    s3_server: S3Server, tmp_path: Path
) -> None:
    settings = s3_settings(
        s3_server, tmp_path, "wrong", s3_secret_access_key=SecretStr("not-the-secret-xyz")
    )
    with pytest.raises(StorageUnavailable) as raised:
        DataStore.from_settings(settings)
    assert "storage unavailable" in raised.value.message
    assert "not-the-secret-xyz" not in raised.value.message
    assert s3_server.secret_key not in repr(settings) and "xyz" not in settings.model_dump_json()


# --- the engine -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    """The engine's local Ray (shut down after unless another test started it before)."""
    import ray

    started = not ray.is_initialized()
    ensure_ray(None, num_cpus=2)
    yield
    if started:
        ray.shutdown()


def test_bounding_in_ray_tasks_writes_the_copy_in_the_bucket(
    census_on_s3: Registered, local_ray: None
) -> None:
    store = census_on_s3.platform.store
    recorded = census_on_s3.recorded()
    bounded = bounded_version(
        store.filesystem,
        store.root,
        recorded.path,
        recorded.sha256,
        "pid",
        3,
        recorded.row_count,
        RayTaskPool(num_cpus=2),
        rows_per_bucket=1_000,
        row_groups_per_task=1,
    )
    assert bounded.directory is not None and bounded.directory.startswith(store.root)
    assert len({f.path for f in bounded.fragments}) == 4  # 3_600 rows in buckets of 1_000
    kept = pa.concat_tables(
        pq.read_table(f.path, filesystem=store.filesystem) for f in bounded.fragments
    )
    counts = pc.value_counts(kept["pid"]).field("counts").to_pylist()
    assert max(counts) <= 3
    expected: collections.Counter[str] = collections.Counter()
    for pid in census_on_s3.table["pid"].to_pylist():
        expected[pid] = min(expected[pid] + 1, 3)
    assert kept.num_rows == sum(expected.values())


def test_a_dp_release_reads_the_bucket_and_is_charged_first(
    census_on_s3: Registered, local_ray: None
) -> None:
    ledger = new_ledger()
    engine = QueryEngine(
        census_on_s3.platform,
        ledger,
        grant=GRANT,
        policy=make_policy(bound=2),
        actor=census_on_s3.user,
        pool=RayTaskPool(num_cpus=2),
        rows_per_bucket=1_000,
    )
    release = engine.dataset("census").count(epsilon=2)
    persons = census_on_s3.table["pid"].to_pylist()
    truth = sum(min(n, 2) for n in collections.Counter(persons).values())
    assert abs(float(release) - truth) < 40
    [charge] = ledger.charges()
    assert charge.status is ChargeStatus.RELEASED and charge.id == release.report.charge_id
    store = census_on_s3.platform.store
    assert any("/_bounded/" in p and p.endswith(".parquet") for p in store.list_files())


def test_an_encrypted_version_in_the_bucket_shows_no_value_and_still_counts(
    s3_server: S3Server, tmp_path: Path
) -> None:
    settings = s3_settings(s3_server, tmp_path, f"enc-{uuid.uuid4().hex[:8]}", encrypt_at_rest=True)
    platform = Platform.open(settings)
    try:
        system = Actor.system()
        with transaction(platform.sessions) as session:
            org = service.create_organisation(
                session, system, name="Stats", kind=OrganisationKind.PROVIDER
            )
            provider = service.create_user(
                session, system, username="prov", role=Role.PROVIDER, organisation_id=org.id
            )
            user = service.create_user(session, system, username="res", role=Role.USER)
        data = census_table(persons=300)
        (tmp_path / "import").mkdir()
        pq.write_table(data, tmp_path / "import" / "census.parquet")
        registry.register_dataset(
            platform,
            Actor(provider.id, "prov", Role.PROVIDER, org.id),
            parse_metadata(CENSUS_METADATA),
            registry.DataSource(path=str(tmp_path / "import" / "census.parquet")),
        )
        pass_review(platform, CENSUS_METADATA["name"])
        [path] = platform.store.list_files()
        with platform.store.filesystem.open_input_stream(path) as stream:
            assert SECRET.encode() not in stream.read()
        engine = QueryEngine(
            platform,
            new_ledger(),
            grant=GRANT,
            policy=make_policy(bound=2),
            actor=Actor(user.id, "res", Role.USER),
            pool=LocalTaskPool(),
            rows_per_bucket=500,
        )
        handle = engine.dataset("census")
        persons = collections.Counter(data["pid"].to_pylist())
        assert abs(float(handle.count(epsilon=2)) - sum(min(n, 2) for n in persons.values())) < 40
        for fragment in handle.bounded().fragments:
            with platform.store.filesystem.open_input_stream(fragment.path) as stream:
                assert SECRET.encode() not in stream.read()
    finally:
        encryption.uninstall(platform.store.root)
        platform.close()


# --- one whole job flow -------------------------------------------------------------------------

DP_MODEL = '''"""Counts by district."""


def run(ctx):
    people = ctx.dataset("s3_cond")
    return {"by_district": people.group_by("district").count(epsilon=0.5)}
'''

RAW_MODEL = '''"""Counts raw rows."""


def run(ctx):
    table = ctx.table("s3_raw")
    return {"rows": table.num_rows}
'''


@pytest.fixture(scope="module")
def s3_job_server(
    s3_server: S3Server, ray_address: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A live server whose data root is in the bucket, joined to the session's Ray head
    (whose workers have no AWS environment: the credentials come in their settings), with
    encryption at rest on (the key also comes in their settings)."""
    env = {
        "SANDBOX_RAY_ADDRESS": ray_address,
        **RAY_ENV,
        **s3_server.settings_env(f"jobs-{uuid.uuid4().hex[:8]}"),
        "SANDBOX_ENCRYPT_AT_REST": "1",  # conditional versions and their copies encrypted
    }
    server = start_server(tmp_path_factory.mktemp("s3-jobs") / "var", env)
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def world(s3_job_server: LiveServer) -> World:
    made = build_world(
        s3_job_server,
        {"s3_cond": "conditional", "s3_raw": "conditional", "s3_open": "unconditional"},
        raw_policy_for=("s3_raw",),
    )
    made.grants["dp"] = grant(made, "user", ["s3_cond"])["ref"]
    made.grants["raw"] = grant(made, "user", ["s3_raw"], job_kinds=["dp", "raw"])["ref"]
    return made


def settled(world: World, job_id: int, timeout: float = 240) -> dict[str, Any]:
    """The job once it stopped moving, polled on a fresh connection each time: on a loaded
    machine a reused keep-alive connection can be closed by the server as a request arrives.
    """
    deadline = time.monotonic() + timeout
    while True:
        with world.client("user") as user:
            job: dict[str, Any] = ok(user.get(f"/v1/jobs/{job_id}"))
        if job["state"] not in ("submitted", "queued", "running", "checking"):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(1)


def approve_and_download(world: World, job_id: int) -> Any:
    with world.client("reviewer") as reviewer:
        ok(reviewer.post(f"/v1/reviews/{job_id}/decision", json={"outcome": "approve"}))
    with world.client("user") as user:
        return ok(user.get(f"/v1/results/{job_id}"))


def bucket_store(s3: S3Server, server: LiveServer) -> DataStore:
    root = server.env["SANDBOX_DATA_URI"]
    return DataStore.from_settings(s3_settings(s3, server.var_dir / "probe", root.split("/", 3)[3]))


def bucket_files(s3: S3Server, server: LiveServer) -> list[str]:
    return bucket_store(s3, server).list_files()


def test_a_whole_job_flow_runs_on_the_bucket(
    world: World, s3_server: S3Server, s3_job_server: LiveServer
) -> None:
    assert not (s3_job_server.var_dir / "data").exists() or not any(
        (s3_job_server.var_dir / "data").rglob("*.parquet")
    )
    with world.api("user") as api:
        dp = api.submit_job(["s3_cond"], source=DP_MODEL)
        raw = api.submit_job(["s3_raw"], source=RAW_MODEL, kind="raw")
    dp_done = settled(world, int(dp["id"]))
    raw_done = settled(world, int(raw["id"]))
    assert dp_done["state"] == "pending_review", dp_done
    assert raw_done["state"] == "pending_review", raw_done
    files = bucket_files(s3_server, s3_job_server)
    versions = [p for p in files if p.endswith(".parquet") and "/_" not in p]
    assert len(versions) == 3
    assert any("/_bounded/" in p and "manifest-" in p for p in files)  # the DP job's copy
    store = bucket_store(s3_server, s3_job_server)
    for path in versions + [p for p in files if "/_bounded/" in p and p.endswith(".parquet")]:
        with store.filesystem.open_input_stream(path) as stream:
            stored = stream.read()
        plain = "/s3_open/" in path
        assert (SECRET_MARKER.encode() in stored) is plain, path  # encrypted unless public
    released = approve_and_download(world, int(dp["id"]))
    assert {row["district"] for row in released["by_district"]} <= {"North", "South", "East"}
    assert approve_and_download(world, int(raw["id"])) == {"rows": 60}
    with world.client("user") as user:
        parquet = user.get("/v1/datasets/s3_open/download?format=parquet")
        as_csv = user.get("/v1/datasets/s3_open/download?format=csv")
    assert parquet.status_code == 200 and pq.read_table(io.BytesIO(parquet.content)).num_rows == 60
    assert as_csv.status_code == 200 and len(as_csv.text.strip().splitlines()) == 61


def test_workers_without_the_credentials_fail_the_job_as_storage_unavailable(
    s3_server: S3Server, ray_address: str, tmp_path: Path
) -> None:
    """The server has the key only in its own AWS environment: its Ray workers, on nodes
    without it, cannot open the bucket, and the job says so."""
    env = {
        "SANDBOX_RAY_ADDRESS": ray_address,
        **RAY_ENV,
        "SANDBOX_DATA_URI": s3_server.data_uri(f"env-only-{uuid.uuid4().hex[:8]}"),
        "SANDBOX_S3_ENDPOINT_URL": s3_server.endpoint,
        "SANDBOX_S3_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": s3_server.access_key,
        "AWS_SECRET_ACCESS_KEY": s3_server.secret_key,
    }
    server = start_server(tmp_path / "var", env)
    try:
        made = build_world(server, {"s3_envonly": "conditional"})
        grant(made, "user", ["s3_envonly"])
        with made.api("user") as api:
            job = api.submit_job(["s3_envonly"], source=DP_MODEL.replace("s3_cond", "s3_envonly"))
        done = settled(made, int(job["id"]))
        assert done["state"] == "failed", done
        assert done["state_reason"] == STORAGE_UNAVAILABLE_REASON
        assert done["releases"] == []  # nothing was charged
        assert s3_server.secret_key not in str(done)
    finally:
        stop_server(server)
