"""A run on mock tables on the researcher's own machine (``sandbox run --mock``), offline.

The mock tables come from the server once (``GET /v1/datasets/{name}/mock``: the rows a dry
run there reads, with the effective policy under the researcher's grant, the job kinds it
allows and what it has left), and may be kept and reused without a connection. The run is
then the server's dry run (:func:`sandbox.jobs.mock_run.run_on_mock`) here: the same checks
of the model, its parameters and its runtime profile, the strongest isolation backend of
this machine (docker, bwrap, or the development subprocess, which refuses raw-access runs
and the scientific profile as on a server), the same limits, the trusted query engine over
the mock tables with noise and row-count rules, a throwaway ledger starting at what the
grant had left when the mock was fetched, and the release checks, report only. Nothing goes
back to the server: nothing is charged, audited or reviewed, and no real row is ever on
this machine.

The engine needs a platform only to ask whether a dataset is suspended; it gets an empty
one of its own in a temporary directory (an SQLite file, no dataset, nothing real), whatever
``SANDBOX_*`` says.
"""

from __future__ import annotations

import base64
import io
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sandbox._parse import parse_enum
from sandbox.access.model import JobKind
from sandbox.catalog.dictionary import DataDictionary
from sandbox.config import Settings
from sandbox.errors import InvalidRequest, PermissionDenied
from sandbox.identity.model import Actor, Role
from sandbox.jobs.limits import combine_limits
from sandbox.jobs.mock_data import MockData, MockQueryEngine, MockTable
from sandbox.jobs.mock_run import DryRun, MockRunRequest, run_on_mock
from sandbox.jobs.submission import choose_backend
from sandbox.ledger import InMemoryLedger
from sandbox.platform import Platform
from sandbox.policies import Policy, parse_policy
from sandbox.policies.budget import PrivacyCost
from sandbox.runtime.backends import BackendRegistry, default_registry
from sandbox.runtime.compiler import MAX_SOURCE_BYTES
from sandbox.runtime.model_info import inspect_model
from sandbox.runtime.param_spec import ModelSpecError
from sandbox.runtime.params import ParamsError, validate_params
from sandbox.runtime.profiles import RuntimeProfile

__all__ = ["LOCAL_RUN_ID", "LocalMock", "run_locally"]

LOCAL_RUN_ID = "local"
"""The id a local run reports (it is recorded nowhere)."""

_LOCAL_ACTOR = Actor(user_id=None, username="local", role=Role.USER)


@dataclass(frozen=True)
class LocalMock:
    """A dataset's mock table as the server handed it out, read back from its JSON."""

    dataset: str
    version: int
    seed: str
    privacy_unit: str | None
    dictionary: DataDictionary
    grant: str
    job_kinds: tuple[JobKind, ...]
    policy: Policy
    grant_remaining: PrivacyCost | None
    table: pa.Table

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LocalMock:
        """Read ``GET /v1/datasets/{name}/mock``'s answer (or a copy kept of it).

        Raises:
            InvalidRequest: A field is missing or malformed, or the table does not have
                the dictionary's schema.
        """
        try:
            dictionary = DataDictionary.from_list(data["dictionary"])
            units = data.get("grant_remaining_units")
            parquet = base64.b64decode(str(data["parquet_base64"]), validate=True)
            table = pq.read_table(io.BytesIO(parquet))
            mock = cls(
                dataset=str(data["dataset"]),
                version=int(data["version"]),
                seed=str(data["seed"]),
                privacy_unit=data.get("privacy_unit"),
                dictionary=dictionary,
                grant=str(data["grant"]),
                job_kinds=tuple(parse_enum(JobKind, k, "job kind") for k in data["job_kinds"]),
                policy=parse_policy(data["policy"], "dataset"),
                grant_remaining=(
                    PrivacyCost.from_units(int(units[0]), int(units[1]))
                    if units is not None
                    else None
                ),
                table=table,
            )
        except (KeyError, TypeError, ValueError, IndexError, pa.ArrowException) as exc:
            raise InvalidRequest(f"not a mock table of the sandbox: {exc}") from None
        if not table.schema.equals(dictionary.arrow_schema()):
            raise InvalidRequest(
                f"the mock table of {mock.dataset!r} does not have its dictionary's schema"
            )
        return mock


def _checked(
    mocks: Sequence[LocalMock],
    kind: JobKind,
    profile: RuntimeProfile,
    source: str,
    params: Mapping[str, Any],
) -> MockRunRequest:
    """What the server checks of a job before it runs, from what the mocks carry."""
    if not mocks:
        raise InvalidRequest("a run reads at least one dataset")
    names = [m.dataset for m in mocks]
    if len(set(names)) != len(names):
        raise InvalidRequest("datasets lists a dataset twice")
    grants = sorted({m.grant for m in mocks})
    if len(grants) > 1:
        raise InvalidRequest(
            "one grant must cover every dataset of a run; these mocks come "
            f"under {', '.join(grants)}"
        )
    for mock in mocks:
        if kind not in mock.job_kinds:
            raise PermissionDenied(
                f"grant {mock.grant} does not allow {kind} jobs on dataset {mock.dataset!r}"
            )
    if len(source.encode("utf-8", "replace")) > MAX_SOURCE_BYTES:
        raise InvalidRequest(f"a model's source may hold at most {MAX_SOURCE_BYTES} bytes")
    policies = {m.dataset: m.policy for m in mocks}
    limits = combine_limits(policies.values())
    if kind is JobKind.RAW and not limits["raw_access_allowed"]:
        raise InvalidRequest("the policy of these datasets does not allow raw-access jobs")
    try:
        info = inspect_model(source)
        valid = validate_params(info, params)
    except (ModelSpecError, ParamsError) as exc:
        raise InvalidRequest(str(exc)) from None
    allowed = limits.get("runtime_profiles", [RuntimeProfile.RESTRICTED])
    if profile not in allowed:
        raise InvalidRequest(
            f"the policy of these datasets does not allow the {profile} "
            f"runtime profile (allowed: {', '.join(allowed) or 'none'})"
        )
    return MockRunRequest(
        kind=kind,
        grant=grants[0],
        source=source,
        model_name=None,
        description=info.description or "",
        params=valid,
        limits=limits,
        policies=policies,
        profile=profile,
    )


def _ledger(mocks: Sequence[LocalMock]) -> InMemoryLedger:
    """Accounts of the grant starting at what it had left (see :func:`mock_ledger` of
    :mod:`sandbox.jobs.dry_run`: the lifetime account never refuses first).
    """
    ledger = InMemoryLedger()
    for mock in mocks:
        accounting = mock.policy.accounting
        if mock.grant_remaining is None or accounting is None:
            continue
        ledger.open_dataset_account(mock.dataset, mock.grant_remaining, accounting)
        ledger.open_grant_account(mock.grant, mock.dataset, mock.grant_remaining, accounting)
    return ledger


def _empty_platform(directory: Path) -> Platform:
    return Platform.open(
        Settings(
            var_dir=directory,
            database_url=f"sqlite:///{directory / 'local.db'}",
            data_uri=str(directory / "data"),
            ray_address="",
            runtime_backend="",
        )
    )


def run_locally(
    mocks: Sequence[LocalMock],
    source: str,
    params: Mapping[str, Any] | None = None,
    *,
    kind: str = "dp",
    profile: str = "restricted",
    registry: BackendRegistry | None = None,
) -> DryRun:
    """Run a model on downloaded mock tables here (see the module docstring).

    Raises:
        PermissionDenied: The mocks' grant does not allow the kind.
        InvalidRequest: The mocks, the model, its parameters or this machine's backends
            are unfit (a model that does not compile is an outcome, not a refusal).
    """
    job_kind = parse_enum(JobKind, kind, "kind")
    request = _checked(
        mocks, job_kind, parse_enum(RuntimeProfile, profile, "profile"), source, params or {}
    )
    backend = choose_backend(registry or default_registry(), "", job_kind, request.profile)
    with tempfile.TemporaryDirectory(prefix="sandbox-local-run-") as scratch:
        root = Path(scratch)
        for name in ("platform", "store", "inputs"):
            (root / name).mkdir()
        platform = _empty_platform(root / "platform")
        try:
            mock = MockData.of_tables(
                [
                    MockTable(
                        name=m.dataset,
                        version=m.version,
                        table=m.table,
                        dictionary=m.dictionary,
                        privacy_unit=m.privacy_unit,
                        seed=m.seed,
                    )
                    for m in mocks
                ],
                root / "store",
            )
            ledger = _ledger(mocks)
            engine = MockQueryEngine(
                platform,
                mock,
                ledger,
                grant=request.grant,
                policy=request.policies,
                actor=_LOCAL_ACTOR,
                catalog=False,
            )
            return run_on_mock(
                platform, request, mock, engine, ledger, backend, root / "inputs", LOCAL_RUN_ID
            )
        finally:
            platform.close()
