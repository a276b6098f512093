"""The Python client and the ``sandbox`` CLI against the real HTTP server under uvicorn.

One server per module (starting it is the slow part); accounts are made with the CLI's
``users create`` on the same database, exactly as an operator would bootstrap them.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from sandbox.client import SandboxAPIError, SandboxClient, SandboxConnectionError
from tests.support.server import free_port, start_server, stop_server

pytestmark = [pytest.mark.server]

REPO = Path(__file__).resolve().parents[2]
CLI_TIMEOUT = 60.0

CONDITIONAL = "census_small"
UNCONDITIONAL = "bus_stops"


# ---- the server and the CLI -----------------------------------------------------------------


@dataclass
class Server:
    url: str
    env: dict[str, str]
    root: Path

    def cli(
        self, *args: str, token: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run ``python -m sandbox.cli`` against this server's database and URL."""
        env = dict(self.env, SANDBOX_URL=self.url)
        if token:
            env["SANDBOX_TOKEN"] = token
        result = subprocess.run(
            [sys.executable, "-m", "sandbox.cli", *args],
            env=env,
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT,
            check=False,
        )
        if check and result.returncode != 0:
            pytest.fail(
                f"sandbox {' '.join(args)} exited {result.returncode}:\n"
                f"{result.stdout}\n{result.stderr}",
                pytrace=False,
            )
        return result


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("server")
    live = start_server(root / "var")
    try:
        yield Server(url=live.url, env=live.env, root=root)
    finally:
        stop_server(live)


@dataclass
class Accounts:
    provider: str
    analyst: str
    auditor: str
    authority: str


@pytest.fixture(scope="module")
def accounts(server: Server) -> Accounts:
    server.cli("organisations", "create", "City Statistics", "--kind", "provider")

    def token_of(*args: str) -> str:
        result = server.cli("users", "create", *args)
        token = result.stdout.strip().splitlines()[-1]
        assert token.startswith("sbx_")
        assert "shown only now" in result.stderr
        return token

    return Accounts(
        provider=token_of("prov", "--role", "provider", "--org", "City Statistics"),
        analyst=token_of("ana", "--role", "user", "--display-name", "Ana Lyst"),
        auditor=token_of("audi", "--role", "auditor", "--days", "7"),
        authority=token_of("auth", "--role", "authority"),
    )


# ---- the data -------------------------------------------------------------------------------


def _census() -> pa.Table:
    n = 20
    return pa.table(
        {
            "person_id": pa.array(range(1, n + 1), pa.int64()),
            "region": pa.array(["north", "south"] * (n // 2), pa.string()),
            "income": pa.array([1000.0 * i + 0.5 for i in range(n)], pa.float64()),
        }
    )


def _stops() -> pa.Table:
    return pa.table(
        {
            "stop_id": pa.array([10, 11, 12, 13, 14], pa.int64()),
            "name": pa.array(["Main St", "Harbour, east", 'The "Old" Mill', "Park", "Station"]),
            "lat": pa.array([36.06, 36.07, 36.081, 36.1, 36.125], pa.float64()),
            "accessible": pa.array([True, False, True, True, False], pa.bool_()),
        }
    )


CENSUS_META = {
    "name": CONDITIONAL,
    "title": "Census extract",
    "description": "Small census extract for tests.",
    "open_attribute": "conditional",
    "open_conditions": "approved research only",
    "contact": "stats@example.org",
    "privacy_unit": "person_id",
    "dictionary": [
        {"name": "person_id", "type": "int64", "classification": "identifier", "nullable": False},
        {
            "name": "region",
            "type": "string",
            "classification": "quasi_identifier",
            "categories": ["north", "south"],
        },
        {
            "name": "income",
            "type": "float64",
            "classification": "sensitive",
            "lower": 0,
            "upper": 200000,
        },
    ],
}

STOPS_META = {
    "name": UNCONDITIONAL,
    "title": "Bus stops",
    "open_attribute": "unconditional",
    "contact": "transit@example.org",
    "dictionary": [
        {"name": "stop_id", "type": "int64", "classification": "public"},
        {"name": "name", "type": "string", "classification": "public"},
        {"name": "lat", "type": "float64", "classification": "public"},
        {"name": "accessible", "type": "bool", "classification": "public"},
    ],
}

STOPS_CSV_TYPES = {
    "stop_id": pa.int64(),
    "name": pa.string(),
    "lat": pa.float64(),
    "accessible": pa.bool_(),
}


@pytest.fixture(scope="module")
def datasets(
    server: Server, accounts: Accounts, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, object]]:
    """Register one conditional dataset from Parquet and one unconditional one from CSV."""
    src = tmp_path_factory.mktemp("src")
    pq.write_table(_census(), src / "census.parquet")
    pacsv.write_csv(_stops(), src / "stops.csv")
    with SandboxClient(server.url, accounts.provider) as client:
        census = client.register_dataset(src / "census.parquet", CENSUS_META)
        stops = client.register_dataset(src / "stops.csv", STOPS_META, format="csv")
    # the authority passes both before anyone may use them (one by the CLI, one by the client)
    passed = server.cli(
        "governance",
        "review",
        CONDITIONAL,
        "1",
        "--pass",
        "--grade",
        "general",
        token=accounts.authority,
    )
    assert f"{CONDITIONAL} version 1: passed" in passed.stderr
    with SandboxClient(server.url, accounts.authority) as authority:
        authority.review_version(UNCONDITIONAL, 1, "pass", grade="general")
    return {CONDITIONAL: census, UNCONDITIONAL: stops}


@pytest.fixture
def provider(server: Server, accounts: Accounts) -> Iterator[SandboxClient]:
    with SandboxClient(server.url, accounts.provider) as client:
        yield client


@pytest.fixture
def analyst(server: Server, accounts: Accounts) -> Iterator[SandboxClient]:
    with SandboxClient(server.url, accounts.analyst) as client:
        yield client


# ---- accounts -------------------------------------------------------------------------------


def test_cli_tokens_authenticate_their_accounts(server: Server, accounts: Accounts) -> None:
    with SandboxClient(server.url, accounts.provider) as client:
        me = client.me()
        assert (me["username"], me["role"]) == ("prov", "provider")
        assert me["organisation_name"] == "City Statistics"
        assert [o["name"] for o in client.list_organisations()] == ["City Statistics"]
    with SandboxClient(server.url, accounts.analyst) as client:
        assert client.me()["display_name"] == "Ana Lyst"
    with SandboxClient(server.url, None) as client:
        assert client.health() == {"status": "ok"}

    whoami = server.cli("whoami", token=accounts.auditor)
    assert "audi" in whoami.stdout and "auditor" in whoami.stdout


def test_duplicate_user_is_a_one_line_error(server: Server, accounts: Accounts) -> None:
    result = server.cli("users", "create", "ana", "--role", "user", check=False)
    assert result.returncode == 1
    assert "error: a user named 'ana' already exists" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "sbx_" not in result.stdout


def test_bad_tokens_and_roles_are_refused(
    server: Server, accounts: Accounts, analyst: SandboxClient, tmp_path: Path
) -> None:
    with SandboxClient(server.url, "sbx_not-a-real-token") as stranger:
        with pytest.raises(SandboxAPIError) as caught:
            stranger.list_datasets()
    assert (caught.value.status, caught.value.code) == (401, "unauthenticated")

    file = tmp_path / "x.csv"
    file.write_text("a\n1\n")
    with pytest.raises(SandboxAPIError) as refused:
        analyst.upload(file)
    assert (refused.value.status, refused.value.code) == (403, "forbidden")
    assert str(refused.value).startswith("403 forbidden: this needs one of the roles")

    with SandboxClient(f"http://127.0.0.1:{free_port()}", "sbx_x", timeout=2) as nowhere:
        with pytest.raises(SandboxConnectionError):
            nowhere.health()


def test_tokens_create_list_revoke(server: Server, analyst: SandboxClient) -> None:
    created = analyst.create_token(name="laptop", days=5)
    secret, info = created["token"], created["info"]
    assert secret.startswith("sbx_") and info["name"] == "laptop"
    assert "laptop" in [t["name"] for t in analyst.list_tokens()]
    with SandboxClient(server.url, secret) as second:
        assert second.me()["username"] == "ana"
        assert analyst.revoke_token(info["id"])["revoked_at"] is not None
        with pytest.raises(SandboxAPIError) as caught:
            second.me()
    assert caught.value.status == 401


def test_old_group_names_still_run_but_are_hidden(server: Server, accounts: Accounts) -> None:
    """Groups were renamed after the API's resources; scripts using the old names still work."""
    shown = set(re.findall(r"^\W+([a-z-]+)  ", server.cli("--help").stdout, re.MULTILINE))
    assert {
        "organisations",
        "users",
        "usage-reports",
        "enforcement",
        "data-products",
        "deadlines",
    } <= shown
    assert not {"admin", "reports", "products"} & shown

    server.cli("admin", "create-org", "Old Names", "--kind", "other")
    made = server.cli("admin", "create-user", "olga", "--role", "user", "--org", "Old Names")
    assert made.stdout.strip().splitlines()[-1].startswith("sbx_")
    assert "terminate" in server.cli("reports", "--help").stdout
    assert "grant" in server.cli("reports", "due", token=accounts.auditor).stdout
    assert "title" in server.cli("products", "list", token=accounts.analyst).stdout
    assert "overdue on" in server.cli("applications", "overdue", token=accounts.auditor).stdout
    assert "overdue on" in server.cli("deadlines", "overdue", token=accounts.auditor).stdout


# ---- the catalog ----------------------------------------------------------------------------


def test_registration_answers_with_the_entries(datasets: dict[str, dict[str, object]]) -> None:
    census, stops = datasets[CONDITIONAL], datasets[UNCONDITIONAL]
    assert census["open_attribute"] == "conditional" and census["downloadable"] is False
    assert stops["open_attribute"] == "unconditional" and stops["downloadable"] is True
    assert isinstance(census["versions"], list) and census["versions"][0]["row_count"] == 20
    assert isinstance(stops["versions"], list) and stops["versions"][0]["row_count"] == 5


def test_list_show_quality_preview(datasets: object, analyst: SandboxClient) -> None:
    names = {e["name"] for e in analyst.list_datasets()}
    assert {CONDITIONAL, UNCONDITIONAL} <= names

    census = analyst.get_dataset(CONDITIONAL)
    assert census["privacy_unit"] == "person_id"
    assert [c["name"] for c in census["dictionary"]] == ["person_id", "region", "income"]
    assert analyst.list_versions(CONDITIONAL)[0]["version"] == 1

    quality = analyst.quality(CONDITIONAL)
    assert quality["dataset"] == CONDITIONAL and quality["version"] == 1
    assert quality["report"]["passed"] is True

    synthetic = analyst.preview(CONDITIONAL, rows=5)
    assert synthetic["synthetic"] is True and len(synthetic["rows"]) == 5
    real = analyst.preview(UNCONDITIONAL, rows=3)
    assert real["synthetic"] is False
    assert real["rows"] == _stops().slice(0, 3).to_pylist()


def test_rows_pages_of_unconditional_data(datasets: object, analyst: SandboxClient) -> None:
    page = analyst.rows(UNCONDITIONAL, offset=1, limit=2)
    assert page["total_rows"] == 5 and page["rows"] == _stops().slice(1, 2).to_pylist()
    assert list(analyst.iter_rows(UNCONDITIONAL, page_size=2)) == _stops().to_pylist()
    with pytest.raises(SandboxAPIError) as caught:
        analyst.rows(CONDITIONAL)
    assert (caught.value.status, caught.value.code) == (403, "access_refused")


def test_download_unconditional_as_parquet_and_csv(
    datasets: object, analyst: SandboxClient, tmp_path: Path
) -> None:
    parquet = analyst.download(UNCONDITIONAL, tmp_path / "stops.parquet")
    assert parquet.version == 1 and parquet.byte_size == (tmp_path / "stops.parquet").stat().st_size
    assert pq.read_table(parquet.path).to_pylist() == _stops().to_pylist()

    csv = analyst.download(UNCONDITIONAL, tmp_path / "stops.csv", format="csv", version=1)
    opts = pacsv.ConvertOptions(column_types=STOPS_CSV_TYPES)
    assert pacsv.read_csv(csv.path, convert_options=opts).to_pylist() == _stops().to_pylist()


def test_download_of_conditional_data_is_refused(
    datasets: object, analyst: SandboxClient, provider: SandboxClient, tmp_path: Path
) -> None:
    for client in (analyst, provider):
        dest = tmp_path / f"{id(client)}.parquet"
        with pytest.raises(SandboxAPIError) as caught:
            client.download(CONDITIONAL, dest)
        assert (caught.value.status, caught.value.code) == (403, "access_refused")
        assert str(caught.value).startswith(f"403 access_refused: dataset '{CONDITIONAL}'")
        assert list(tmp_path.iterdir()) == []  # no partial file left behind


def test_add_version_and_provider_records(
    datasets: object,
    accounts: Accounts,
    provider: SandboxClient,
    analyst: SandboxClient,
    tmp_path: Path,
) -> None:
    newer = _census().slice(0, 12)
    pq.write_table(newer, tmp_path / "census2.parquet")
    updated = provider.add_version(CONDITIONAL, tmp_path / "census2.parquet", note="fewer")
    assert [v["row_count"] for v in updated["versions"]] == [20, 12]
    assert [v["review_status"] for v in updated["versions"]] == ["passed", "submitted"]
    assert analyst.quality(CONDITIONAL)["version"] == 1  # version 2 waits for review
    with SandboxClient(provider.base_url, accounts.authority) as authority:
        authority.review_version(CONDITIONAL, 2, "pass")
    assert analyst.quality(CONDITIONAL)["version"] == 2

    record = provider.record_desensitisation(CONDITIONAL, "generalisation", "regions only")
    assert record["method"] == "generalisation"
    with pytest.raises(SandboxAPIError) as caught:
        analyst.record_desensitisation(CONDITIONAL, "nothing")
    assert caught.value.status == 403


# ---- the CLI against the server -------------------------------------------------------------


def test_cli_datasets_list_show_and_download(
    server: Server, accounts: Accounts, datasets: object, tmp_path: Path
) -> None:
    listed = server.cli("datasets", "list", token=accounts.analyst)
    assert CONDITIONAL in listed.stdout and UNCONDITIONAL in listed.stdout

    out = tmp_path / "stops.csv"
    server.cli(
        "datasets", "download", UNCONDITIONAL, str(out), "--format", "csv", token=accounts.analyst
    )
    opts = pacsv.ConvertOptions(column_types=STOPS_CSV_TYPES)
    assert pacsv.read_csv(out, convert_options=opts).to_pylist() == _stops().to_pylist()

    refused = server.cli(
        "datasets",
        "download",
        CONDITIONAL,
        str(tmp_path / "c.parquet"),
        token=accounts.analyst,
        check=False,
    )
    assert refused.returncode == 1
    assert refused.stderr.startswith(f"error: dataset '{CONDITIONAL}' is conditional")
    assert "Traceback" not in refused.stderr
    assert not (tmp_path / "c.parquet").exists()


def test_cli_register_from_metadata_file(
    server: Server, accounts: Accounts, tmp_path: Path
) -> None:
    meta = dict(STOPS_META, name="bus_stops_cli", title="Bus stops (CLI)")
    (tmp_path / "meta.json").write_text(json.dumps(meta))
    pq.write_table(_stops(), tmp_path / "stops.parquet")
    result = server.cli(
        "datasets",
        "register",
        str(tmp_path / "stops.parquet"),
        "--metadata",
        str(tmp_path / "meta.json"),
        token=accounts.provider,
    )
    assert result.stdout.strip().splitlines()[-1] == "bus_stops_cli"
    assert "version 1, 5 rows" in result.stderr


# ---- audit ----------------------------------------------------------------------------------


def test_audit_verifies_via_cli_and_client(
    server: Server,
    accounts: Accounts,
    datasets: object,
    analyst: SandboxClient,
    tmp_path: Path,
) -> None:
    with pytest.raises(SandboxAPIError):
        analyst.rows(CONDITIONAL)  # a refusal, which must be in the trail
    cli = server.cli("audit", "verify")
    assert cli.stdout.startswith("OK: ")

    with SandboxClient(server.url, accounts.auditor) as auditor:
        report = auditor.audit_verify()
        assert report["ok"] is True and report["problems"] == []
        page = auditor.audit_page(limit=5)
        assert page["count"] == 5 and page["data"][0]["seq"] == 1
        lines = auditor.audit_export(tmp_path / "audit.jsonl")
    entries = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert len(entries) == lines >= report["entries_checked"]
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
    refusals = [e for e in entries if e["outcome"] == "denied"]
    assert any(e["detail"]["error"] == "access_refused" for e in refusals)


def test_cli_audit_verify_reports_a_tampered_chain(server: Server, tmp_path: Path) -> None:
    private = Server(
        url=server.url, env=dict(server.env, SANDBOX_VAR_DIR=str(tmp_path / "var")), root=tmp_path
    )
    private.cli("organisations", "create", "Tamper Test", "--kind", "other")
    with sqlite3.connect(tmp_path / "var" / "sandbox.db") as db:
        db.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 1")
    result = private.cli("audit", "verify", check=False)
    assert result.returncode == 1
    assert "entry 1: entry content does not match its hash" in result.stdout
    assert "BROKEN" in result.stderr and "Traceback" not in result.stderr

    exported = tmp_path / "audit.jsonl"
    private.cli("audit", "export", str(exported))
    actors = [json.loads(line)["actor"] for line in exported.read_text().splitlines()]
    assert actors[0] == "mallory"


def test_cli_audit_verify_catches_a_truncation_with_the_head_rewritten(
    server: Server,
    tmp_path: Path,
) -> None:
    """The attack of the outside tamper run: drop the last five entries and set the head to
    the new last one in SQL. The chain alone then verifies; the signed checkpoints do not."""
    private = Server(
        url=server.url, env=dict(server.env, SANDBOX_VAR_DIR=str(tmp_path / "var")), root=tmp_path
    )
    for i in range(8):
        private.cli("organisations", "create", f"Truncation Test {i}", "--kind", "other")
    with sqlite3.connect(tmp_path / "var" / "sandbox.db") as db:
        (last,) = db.execute("SELECT max(seq) FROM audit_log").fetchone()
        db.execute("DELETE FROM audit_log WHERE seq > ?", (last - 5,))
        db.execute(
            "UPDATE audit_head SET seq = ?, hash = (SELECT hash FROM audit_log "
            "WHERE seq = ?) WHERE id = 1",
            (last - 5, last - 5),
        )
    result = private.cli("audit", "verify", check=False)
    assert result.returncode == 1, result.stdout
    assert f"entry {last - 4}: 5 anchored entries are missing from the database" in result.stdout
    assert "Traceback" not in result.stderr

    exported = tmp_path / "checkpoints.jsonl"
    private.cli("audit", "checkpoints", str(exported))
    header, *points = [json.loads(line) for line in exported.read_text().splitlines()]
    assert header["algorithm"] == "Ed25519" and "BEGIN PUBLIC KEY" in header["public_key"]
    anchored = {seq for point in points for seq, _digest in point["entries"]}
    assert set(range(1, last + 1)) <= anchored
    assert "PRIVATE KEY" not in exported.read_text()  # the secret half never leaves the host
