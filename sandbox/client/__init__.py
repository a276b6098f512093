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
It imports only the standard library, httpx, rich and :mod:`sandbox.errors`, never the
server's modules, so it can ship as a light distribution of its own.

Example::

    with SandboxClient("http://127.0.0.1:8000", token) as client:
        entry = client.register_dataset("census.parquet", metadata, progress=True)
        client.download("bus_stops", "stops.csv", format="csv")
"""

from __future__ import annotations

from sandbox.client._http import DEFAULT_TIMEOUT, JSON
from sandbox.client._transfer import CHUNK_BYTES, DownloadFormat, DownloadResult, SourceFormat
from sandbox.client.applications import ApplicationsMixin
from sandbox.client.attribute_changes import AttributeChangesMixin
from sandbox.client.audit import AuditMixin
from sandbox.client.complaints import ComplaintsMixin
from sandbox.client.data_products import DataProductsMixin
from sandbox.client.datasets import DatasetsMixin
from sandbox.client.deadlines import DeadlinesMixin
from sandbox.client.demands import DemandsMixin
from sandbox.client.enforcement import EnforcementMixin
from sandbox.client.errors import SandboxAPIError, SandboxClientError, SandboxConnectionError
from sandbox.client.grants import GrantsMixin
from sandbox.client.health import HealthMixin
from sandbox.client.jobs import JobsMixin
from sandbox.client.objections import ObjectionsMixin
from sandbox.client.organisations import OrganisationsMixin
from sandbox.client.policies import PoliciesMixin
from sandbox.client.reviews import ReviewsMixin
from sandbox.client.stats import StatsMixin
from sandbox.client.suspensions import SuspensionsMixin
from sandbox.client.tokens import TokensMixin
from sandbox.client.uploads import UploadsMixin
from sandbox.client.usage_reports import UsageReportsMixin
from sandbox.client.users import UsersMixin

__all__ = [
    "CHUNK_BYTES",
    "DEFAULT_TIMEOUT",
    "JSON",
    "DownloadFormat",
    "DownloadResult",
    "SandboxAPIError",
    "SandboxClient",
    "SandboxClientError",
    "SandboxConnectionError",
    "SourceFormat",
]


class SandboxClient(
    HealthMixin,
    OrganisationsMixin,
    UsersMixin,
    TokensMixin,
    DatasetsMixin,
    UploadsMixin,
    AttributeChangesMixin,
    AuditMixin,
    ApplicationsMixin,
    GrantsMixin,
    DemandsMixin,
    DeadlinesMixin,
    ComplaintsMixin,
    SuspensionsMixin,
    ObjectionsMixin,
    UsageReportsMixin,
    EnforcementMixin,
    DataProductsMixin,
    StatsMixin,
    PoliciesMixin,
    JobsMixin,
    ReviewsMixin,
):
    """A connection to one sandbox server, authenticated by one bearer token.

    Args:
        base_url: The server's root, e.g. ``http://127.0.0.1:8000`` (``/v1`` is added here).
        token: A sandbox API token (``sbx_...``); ``None`` reaches only ``health()``.
        timeout: Seconds to wait for the server between bytes, or ``None`` for no limit.
        transport: An httpx transport to use instead of the network (for tests).
    """
