"""Encryption at rest of conditional dataset versions (``SANDBOX_ENCRYPT_AT_REST``).

A conditional version, and every derived copy of it (the contribution-bounded copy and its
temporary parts), is Parquet-encrypted with the embedded local key; the bytes on disk hold
no value, and a reader without the key cannot open them. The engine (in-process and in Ray
tasks, which receive the key with their call), raw-job inputs, the quality report and the
integrity checks read it transparently. Unconditional versions stay plain.
"""

from __future__ import annotations

import collections
import io
import stat
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc
import pyarrow.parquet as pq
import pytest

from sandbox.catalog.parsing import parse_metadata
from sandbox.config import Settings
from sandbox.datasets import reads, registry
from sandbox.engine import QueryEngine
from sandbox.engine.compute import LocalTaskPool, RayTaskPool, ensure_ray
from sandbox.identity import service
from sandbox.identity.model import Actor, OrganisationKind, Role
from sandbox.jobs.tables import write_inputs
from sandbox.platform import Platform
from sandbox.storage import encryption
from sandbox.storage.export import is_encrypted, iter_csv_bytes, read_page
from sandbox.storage.integrity import RecordedVersion, full_check
from sandbox.store.db import transaction
from sandbox.store.models import DatasetRow, DatasetVersionRow
from tests.engine.conftest import CENSUS_DICTIONARY, SECRET, census_table
from tests.support.factories import GRANT, make_policy, new_ledger, pass_review


class Encrypted:
    def __init__(self, platform: Platform, table: pa.Table, user: Actor) -> None:
        self.platform = platform
        self.table = table
        self.user = user

    def recorded(self, name: str) -> RecordedVersion:
        with self.platform.sessions() as session:
            row = (
                session.query(DatasetVersionRow)
                .join(DatasetRow, DatasetRow.id == DatasetVersionRow.dataset_id)
                .filter(DatasetRow.name == name)
                .one()
            )
            return RecordedVersion(row.storage_path, row.byte_size, row.row_count, row.sha256)

    def engine(self, pool: object, bound: int) -> QueryEngine:
        return QueryEngine(
            self.platform,
            new_ledger(dataset="secret"),
            grant=GRANT,
            policy=make_policy(bound=bound),
            actor=self.user,
            pool=pool,  # type: ignore[arg-type]
            rows_per_bucket=1_000,
        )


def _metadata(name: str, attribute: str) -> object:
    return parse_metadata(
        {
            "name": name,
            "title": name,
            "description": "test rows",
            "open_attribute": attribute,
            "open_conditions": "research" if attribute == "conditional" else "",
            "update_frequency": "monthly",
            "contact": "data@stats.example",
            "privacy_unit": "pid",
            "dictionary": CENSUS_DICTIONARY,
        }
    )


@pytest.fixture(scope="module")
def encrypted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Encrypted]:
    var = tmp_path_factory.mktemp("at-rest") / "var"
    settings = Settings(
        var_dir=var,
        database_url=f"sqlite:///{var / 'sandbox.db'}",
        data_uri=str(var / "data"),
        import_roots=[str(var / "import")],
        encrypt_at_rest=True,
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
    data = census_table(persons=1_200)
    (var / "import").mkdir(parents=True)
    pq.write_table(data, var / "import" / "census.parquet")
    actor = Actor(provider.id, "prov", Role.PROVIDER, org.id)
    for name, attribute in (("secret", "conditional"), ("public", "unconditional")):
        registry.register_dataset(
            platform,
            actor,
            _metadata(name, attribute),  # type: ignore[arg-type]
            registry.DataSource(path=str(var / "import" / "census.parquet")),
        )
        pass_review(platform, name)
    yield Encrypted(platform, data, Actor(user.id, "res", Role.USER))
    encryption.uninstall(platform.store.root)
    platform.close()


def test_a_conditional_version_on_disk_shows_no_value(encrypted: Encrypted) -> None:
    secret = Path(encrypted.recorded("secret").path).read_bytes()
    public = Path(encrypted.recorded("public").path).read_bytes()
    assert SECRET.encode() in public  # the same rows, plain: the check can fail
    assert SECRET.encode() not in secret and b"North" not in secret and b"clerk" not in secret
    assert secret[-4:] == b"PARE"  # Parquet's encrypted-footer magic
    with pytest.raises(OSError):
        pq.read_table(encrypted.recorded("secret").path)  # no key, no rows


def test_the_key_file_is_private_and_travels_to_workers_masked_elsewhere(
    encrypted: Encrypted,
) -> None:
    settings = encrypted.platform.settings
    key_file = settings.resolved_encryption_key_path()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = encryption.parse_key(key_file.read_text())[1]
    assert key in settings.worker_json()
    assert key not in settings.model_dump_json() and key not in repr(settings)


def test_checks_pages_csv_and_the_quality_report_read_it_transparently(
    encrypted: Encrypted,
) -> None:
    store = encrypted.platform.store
    recorded = encrypted.recorded("secret")
    assert full_check(store, recorded) is None
    assert (
        read_page(store, recorded.path, 3, 4).to_pylist() == encrypted.table.slice(3, 4).to_pylist()
    )
    text = b"".join(iter_csv_bytes(store, recorded.path)).decode()
    assert text.count("\n") == encrypted.table.num_rows + 1
    with encrypted.platform.sessions() as session:
        row = session.query(DatasetVersionRow).filter_by(storage_path=recorded.path).one()
        assert row.quality["rows"] == encrypted.table.num_rows


def test_a_raw_job_reads_the_rows(encrypted: Encrypted, tmp_path: Path) -> None:
    paths = write_inputs(encrypted.platform, {"secret": 1}, tmp_path)
    assert set(paths) == {"secret"}
    [written] = list(tmp_path.glob("*.arrow"))
    with pa.OSFile(str(written), "rb") as handle:
        table = pyarrow.ipc.open_file(handle).read_all()
    assert table.to_pylist() == encrypted.table.to_pylist()


def _dp_count_and_bounded_files(encrypted: Encrypted, pool: object, bound: int) -> list[Path]:
    engine = encrypted.engine(pool, bound)
    handle = engine.dataset("secret")
    release = handle.count(epsilon=2)
    persons = collections.Counter(encrypted.table["pid"].to_pylist())
    assert abs(float(release) - sum(min(n, bound) for n in persons.values())) < 40
    directory = handle.bounded().directory
    assert directory is not None
    return sorted(Path(directory).glob("*.parquet"))


def test_the_engine_bounds_and_releases_in_process_and_the_copy_is_encrypted(
    encrypted: Encrypted,
) -> None:
    files = _dp_count_and_bounded_files(encrypted, LocalTaskPool(), 2)
    assert len(files) == 4  # 3_600 rows in buckets of 1_000: the parts path ran too
    for path in files:
        assert SECRET.encode() not in path.read_bytes()


def test_engine_tasks_in_ray_get_the_key_with_their_call(encrypted: Encrypted) -> None:
    import ray

    started = not ray.is_initialized()
    ensure_ray(None, num_cpus=2)
    try:
        files = _dp_count_and_bounded_files(encrypted, RayTaskPool(num_cpus=2), 3)
    finally:
        if started:
            ray.shutdown()
    assert files and all(SECRET.encode() not in path.read_bytes() for path in files)


def test_a_version_stored_encrypted_downloads_plain_once_its_dataset_is_opened(
    encrypted: Encrypted,
) -> None:
    platform = encrypted.platform
    assert is_encrypted(platform.store, encrypted.recorded("secret").path)
    assert not is_encrypted(platform.store, encrypted.recorded("public").path)
    with transaction(platform.sessions) as session:  # the provider opened it since
        session.query(DatasetRow).filter_by(name="secret").one().open_attribute = "unconditional"
    try:
        admin = Actor.system()
        plan = reads.plan_download(platform, admin, "secret", None, "parquet")
        assert plan.reencoded
        body = b"".join(reads.download_body(platform, admin, plan))
        assert pq.read_table(io.BytesIO(body)).to_pylist() == encrypted.table.to_pylist()
        public = reads.plan_download(platform, admin, "public", None, "parquet")
        assert not public.reencoded
        stored = b"".join(reads.download_body(platform, admin, public))
        assert stored == Path(encrypted.recorded("public").path).read_bytes()
    finally:
        with transaction(platform.sessions) as session:
            session.query(DatasetRow).filter_by(name="secret").one().open_attribute = "conditional"
