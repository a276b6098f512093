"""A typed Python client for the sandbox HTTP API (``/v1``), built on httpx.

One method per endpoint, plus conveniences that compose them (upload-then-register,
iterate every page of rows, stream a download to disk). Responses come back as the plain
JSON the server sent, so the client never lags behind a field the API adds.

Files move in fixed-size chunks both ways: an upload is read from disk as it is sent and a
download is written to disk as it arrives, so neither is ever held whole in memory. Every
non-2xx answer raises :class:`SandboxAPIError` carrying the server's ``error`` code and
message; a server that cannot be reached raises :class:`SandboxConnectionError`.

The package has one module per router of ``api/routers/`` (``datasets``, ``jobs``,
``usage_reports``, ...), each a mixin of that resource's methods over the one connection of
``_http``; :class:`SandboxClient` combines them, so every method stays on the client itself.
It is a distribution of its own (``sandbox-client``, in ``client/`` of the repository): it
imports only the standard library, httpx and rich, never the server's modules, and pandas and
pyarrow only when a result is turned into a DataFrame or an Arrow table (the extras). The
server's code reaches it as :mod:`sandbox.client`.

Example::

    with SandboxClient("http://127.0.0.1:8000", token) as client:
        entry = client.register_dataset("census.parquet", metadata, progress=True)
        client.download("bus_stops", "stops.csv", format="csv")
        job = client.submit_job(["census"], model="count_by_group",
                                params={"dataset": "census", "group": "region"})
        client.wait_for_job(job["id"], until=lambda j: j["final"])
        frame = client.result(job).to_pandas()
"""

from __future__ import annotations

from sandbox_client._http import DEFAULT_TIMEOUT, JSON
from sandbox_client._transfer import CHUNK_BYTES, DownloadFormat, DownloadResult, SourceFormat
from sandbox_client.applications import ApplicationsMixin
from sandbox_client.attachments import AttachmentsMixin
from sandbox_client.attribute_changes import AttributeChangesMixin
from sandbox_client.audit import AuditMixin
from sandbox_client.budgets import BudgetsMixin
from sandbox_client.complaints import ComplaintsMixin
from sandbox_client.data_products import DataProductsMixin
from sandbox_client.datasets import DatasetsMixin
from sandbox_client.deadlines import DeadlinesMixin
from sandbox_client.demands import DemandsMixin
from sandbox_client.dry_run import DryRunMixin
from sandbox_client.enforcement import EnforcementMixin
from sandbox_client.errors import SandboxAPIError, SandboxClientError, SandboxConnectionError
from sandbox_client.feedback import FeedbackMixin
from sandbox_client.governance import GovernanceMixin
from sandbox_client.grants import GrantsMixin
from sandbox_client.health import HealthMixin
from sandbox_client.jobs import JobsMixin
from sandbox_client.law_changes import LawChangesMixin
from sandbox_client.notifications import NotificationsMixin
from sandbox_client.objections import ObjectionsMixin
from sandbox_client.opening_plans import OpeningPlansMixin
from sandbox_client.organisations import OrganisationsMixin
from sandbox_client.policies import PoliciesMixin
from sandbox_client.public_reports import PublicReportsMixin
from sandbox_client.results import Figure, MissingExtraError, Result, ResultsMixin, Table
from sandbox_client.reviews import ReviewsMixin
from sandbox_client.sessions import SessionsMixin
from sandbox_client.stats import StatsMixin
from sandbox_client.suspensions import SuspensionsMixin
from sandbox_client.tokens import TokensMixin
from sandbox_client.uploads import UploadsMixin
from sandbox_client.usage_reports import UsageReportsMixin
from sandbox_client.users import UsersMixin
from sandbox_client.verification import VerificationMixin

__all__ = [
    "CHUNK_BYTES",
    "DEFAULT_TIMEOUT",
    "JSON",
    "DownloadFormat",
    "DownloadResult",
    "Figure",
    "MissingExtraError",
    "Result",
    "SandboxAPIError",
    "SandboxClient",
    "SandboxClientError",
    "SandboxConnectionError",
    "SourceFormat",
    "Table",
]


class SandboxClient(
    HealthMixin,
    OrganisationsMixin,
    UsersMixin,
    TokensMixin,
    SessionsMixin,
    DatasetsMixin,
    UploadsMixin,
    AttributeChangesMixin,
    GovernanceMixin,
    AuditMixin,
    ApplicationsMixin,
    AttachmentsMixin,
    GrantsMixin,
    DemandsMixin,
    DeadlinesMixin,
    ComplaintsMixin,
    SuspensionsMixin,
    ObjectionsMixin,
    UsageReportsMixin,
    EnforcementMixin,
    DataProductsMixin,
    FeedbackMixin,
    OpeningPlansMixin,
    LawChangesMixin,
    PublicReportsMixin,
    StatsMixin,
    PoliciesMixin,
    BudgetsMixin,
    JobsMixin,
    DryRunMixin,
    ReviewsMixin,
    ResultsMixin,
    NotificationsMixin,
    VerificationMixin,
):
    """A connection to one sandbox server, authenticated by one bearer token.

    Args:
        base_url: The server's root, e.g. ``http://127.0.0.1:8000`` (``/v1`` is added here).
        token: A sandbox API token (``sbx_...``); ``None`` reaches only ``health()``.
        timeout: Seconds to wait for the server between bytes, or ``None`` for no limit.
        transport: An httpx transport to use instead of the network (for tests).
    """
