"""Settings, read from ``SANDBOX_*`` environment variables when (and only when) asked.

Nothing reads configuration at import time: the app factory, the CLI and the tests each
build a :class:`Settings` and pass it down.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_VAR_DIR = Path("var")
DATA_DIR = Path(__file__).resolve().parent / "data"
SHIPPED_CALENDAR_PATH = DATA_DIR / "calendar-cn-2026.yaml"
"""An operator calendar file as shipped (China 2026): the format to copy for an override."""
DEFAULT_AGREEMENT_PATH = DATA_DIR / "grant-agreement.md"
"""The shipped data use agreement users accept before a grant becomes active."""


DEFAULT_ALGORITHMS_DIR = Path(__file__).resolve().parent.parent / "algorithms"
"""The vetted models shipped with the platform (``algorithms/`` at the repository root)."""

SECRET_FIELDS = ("s3_secret_access_key", "s3_session_token", "encryption_key")
"""Settings that are masked in dumps and logs (:meth:`Settings.worker_json` reveals them)."""


class Settings(BaseSettings):
    """Platform configuration; every field maps to ``SANDBOX_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="SANDBOX_", extra="ignore")

    var_dir: Path = DEFAULT_VAR_DIR
    """Working directory for the embedded defaults (SQLite file, data, staging)."""

    database_url: str = ""
    """SQLAlchemy URL; empty means a SQLite file ``<var_dir>/sandbox.db``."""

    data_uri: str = ""
    """Where dataset versions live: a local path or any pyarrow filesystem URI (``s3://``).
    Empty means ``<var_dir>/data``."""

    s3_endpoint_url: str = ""
    """S3-compatible endpoint of an ``s3://`` data root (``http://minio.internal:9000``);
    empty means AWS itself."""

    s3_region: str = ""
    """Region of the data root's bucket; empty lets pyarrow find it."""

    s3_access_key_id: str = ""
    """Access key of the data root. With it the platform opens the store with exactly these
    credentials and passes them to its Ray tasks in their arguments (never through the
    sandbox, a job record or a log); without it each process uses the AWS default chain
    (environment, profile, instance role) of its own host."""

    s3_secret_access_key: SecretStr = SecretStr("")
    """Secret of :attr:`s3_access_key_id` (masked in every dump but :meth:`worker_json`)."""

    s3_session_token: SecretStr = SecretStr("")
    """Session token of temporary credentials, if any."""

    encrypt_at_rest: bool = False
    """Write every version of a conditional dataset, and every derived copy under the data
    root, as encrypted Parquet (:mod:`sandbox.storage.encryption`)."""

    encryption_key_path: Path | None = None
    """The local master key of the embedded key client. Empty means
    ``<var_dir>/secrets/data-encryption.key``, created (mode 0600) on the first start."""

    encryption_key: SecretStr = SecretStr("")
    """The local key document itself, in place of the file (from a secret store); the
    platform sends it to its Ray tasks this way."""

    kms_client: str = ""
    """The operator's key-management client, ``package.module:factory`` (a callable taking
    pyarrow's ``KmsConnectionConfig``, returning its ``KmsClient``); empty: the local key."""

    kms_master_key_id: str = ""
    """The master key in the operator's KMS that wraps the files' keys."""

    kms_instance_id: str = ""
    """The operator's KMS instance, passed to its client."""

    kms_instance_url: str = ""
    """The operator's KMS address, passed to its client."""

    import_roots: list[str] = Field(default_factory=list)
    """Server-side directories (or URI prefixes) providers may bulk-load from.
    Empty means ``<var_dir>/import`` only."""

    max_upload_bytes: int = 8 * 1024**3
    """Largest accepted upload; larger ones are refused while they stream."""

    upload_expiry_seconds: int = Field(default=24 * 3600, gt=0)
    """How long a staged upload waits to be registered. Older ones are removed, bytes and
    record, at the next staging operation; naming one then answers ``410 upload_expired``."""

    upload_idle_timeout_seconds: float = Field(default=60.0, gt=0)
    """An upload whose body sends no byte for this long is cut with ``408``, nothing
    staged: a client that stops sending must not hold a connection and a file open."""

    full_check_max_bytes: int = Field(default=512 * 1024**2, ge=0)
    """Versions up to this size are hashed in full (SHA-256) before a download or a quality
    report is served; larger ones get the cheap check (size, footer, row count) up front,
    and a download of one is hashed while it streams, its last chunk withheld unless the
    hash matches (see :mod:`sandbox.storage.integrity`)."""

    ray_address: str = ""
    """Ray cluster to join; empty starts a private local Ray when compute is first needed
    (never one that ``RAY_ADDRESS`` or a ``ray start`` on the host points at)."""

    ray_auth_token: SecretStr = SecretStr("")
    """Ray token authentication for joining ``ray_address`` (the token the cluster was
    started with, ``RAY_AUTH_MODE=token``); empty leaves Ray's own environment in charge."""

    ray_auth_token_path: Path | None = None
    """A file holding that token, in place of ``ray_auth_token`` (a mounted secret)."""

    calendar_path: Path | None = None
    """The operator's working-day calendar file (YAML or JSON: weekends, public holidays,
    make-up working days), overriding the published arrangements for the range it covers;
    none by default. See :mod:`sandbox.holiday_sources`."""

    agreement_path: Path = DEFAULT_AGREEMENT_PATH
    """The data use agreement text (Markdown with a ``version`` front matter) that a user
    accepts to activate a grant."""

    runtime_backend: str = ""
    """Isolation backend of jobs: ``docker``, ``bwrap`` or ``subprocess`` (development only);
    empty picks the strongest available on this machine. The job record names the one used."""

    environment: Literal["development", "production"] = "development"
    """Where this process runs. ``production`` refuses to start on the ``subprocess``
    backend, named or picked as the strongest available (it isolates nothing), unless
    :attr:`allow_subprocess_backend` says otherwise (:mod:`sandbox.runtime.backends.choice`)."""

    allow_subprocess_backend: bool = False
    """Lets a ``production`` process run jobs on the ``subprocess`` backend after all: an
    explicit, visible decision, never a default."""

    algorithms_dir: Path = DEFAULT_ALGORITHMS_DIR
    """Directory of the vetted algorithm models a job may name instead of sending source."""

    mock_rows: int = Field(default=1000, ge=1, le=100_000)
    """Rows of a dataset's mock table: what a dry run reads in place of its rows
    (:mod:`sandbox.catalog.mock`), on the server and downloaded for a local run."""

    engine_task_rows: int = Field(default=1_000_000, ge=1)
    """Rows one of the query engine's trusted tasks is given. A job whose datasets hold no
    more answers its DP calls in its own process; a larger one runs them in Ray tasks, its
    contribution-bounded copy cut into fragments of about 1.5 times this many rows, and a DP
    model fit over more than one fragment sums its statistics in those tasks (PCA, linear
    regression, naive Bayes, k-means), reading back only the sums."""

    jax_cache_dir: Path | None = None
    """Where DP synthetic data (MST's ``mbi`` estimation, on JAX) keeps its compiled programs
    between processes, so only the first process ever compiles them. Empty means
    ``<var_dir>/jax-cache``; see :attr:`jax_cache`."""

    jax_cache: bool = True
    """Whether that persistent compilation cache is used (off: each process compiles)."""

    log_format: Literal["json", "text"] = "json"
    """How the server (and a job's runner on its Ray worker) writes its log: one JSON object a
    line (``time``, ``level``, ``logger``, ``message``, ``request_id``, ``job_id``, ...), or
    ``text``, one readable line each (:mod:`sandbox.observability.logs`)."""

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    """The least severe log records written (``INFO`` includes one line per HTTP request)."""

    metrics_token: SecretStr = SecretStr("")
    """The operator's bearer token for ``/metrics`` from another host (a Prometheus server).
    Empty: ``/metrics`` answers loopback callers only (not through a proxy)."""

    job_cpus: float = 0.25
    """CPUs a job's Ray task requests. A job mostly waits on its sandbox and the broker, so
    several share a core; the query engine's own tasks request whole CPUs."""

    ray_workers_ahead: int = Field(default=-1, ge=-1, le=16)
    """Ray workers the dispatcher starts, with the platform opened, when it joins Ray: -1 as
    many as jobs can run at once (CPUs / ``job_cpus``, at most 16), 0 none (each starts
    with its first job, as a test server's do)."""

    warm_sandboxes: int = Field(default=1, ge=0, le=8)
    """Sandboxes each job-running process keeps started ahead of demand, per kind it last
    ran (backend, limits, profile), each used by one job only (:mod:`sandbox.runtime.warm`);
    0 starts every sandbox when its job arrives."""

    job_lease_seconds: float = Field(default=30.0, gt=0)
    """How long an API process's claim on a job holds without renewal. Once it is past
    (the process died), another process re-queues the job if it never started, or fails it
    (:mod:`sandbox.jobs.leases`). Longer: a dead process's jobs wait longer; shorter: a
    process stalled for that long loses its jobs."""

    job_heartbeat_seconds: float = Field(default=10.0, gt=0)
    """How often each API process renews the leases of its jobs and sweeps for expired ones;
    less than a third of ``job_lease_seconds``, so that a late beat or two loses nothing."""

    audit_key_path: Path | None = None
    """The Ed25519 key that signs the audit chain's checkpoints; the database never holds it.
    Empty means ``<var_dir>/secrets/audit-signing.key``, created on first start. In
    production mount it from the secret store."""

    verification_key_path: Path | None = None
    """The secret key of the verification services' keyed hashes (their per-version
    indexes and the per-record quota's fingerprints, :mod:`sandbox.verification.keys`);
    the database never holds it. Empty means ``<var_dir>/secrets/verification.key``, created
    on first use. Every API process of one platform must read the same key."""

    audit_anchor_path: Path | None = None
    """The append-only file of signed audit checkpoints. Empty means
    ``<var_dir>/audit-anchor/checkpoints.jsonl``. In production put it where the database
    administrator cannot write (another volume, append-only, or a retention-locked store)."""

    rate_limit_user_per_second: float = Field(default=50.0, ge=0)
    """Requests one signed-in user (bearer token or session) may make per second, on
    average, through one API process (:mod:`sandbox.quotas.buckets`); 0 turns the limit off.
    Health, readiness and metrics are never limited."""

    rate_limit_user_burst: int = Field(default=200, ge=1)
    """Requests one user may make at once before the per-second rate applies."""

    rate_limit_address_per_second: float = Field(default=20.0, ge=0)
    """Requests per second from one client address without valid credentials (public pages,
    failed sign-ins, bad tokens); 0 turns the limit off. Behind a proxy every client shares
    the proxy's address."""

    rate_limit_address_burst: int = Field(default=100, ge=1)
    """Requests one client address without credentials may make at once."""

    rate_limit_processes: int = Field(default=1, ge=1)
    """API processes serving the same users behind one load balancer. Each process keeps its
    buckets in memory and enforces its share: rate and burst divided by this number (at least
    one request of burst), so N processes together allow about the configured rate."""

    audit_retention_days: int = Field(default=5 * 365 + 1, ge=0)
    """Days audit entries are kept in the live chain before they may be archived and
    pruned (Chengdu art. 23 keeps exchange logs 5 years; the default is 5 years and a leap
    day). Archives themselves are never deleted by the platform."""

    job_log_retention_days: int = Field(default=5 * 365 + 1, ge=0)
    """Days a finished job keeps its log, errors and raw result before ``sandbox db
    prune-job-logs`` empties them (:mod:`sandbox.jobs.retention`; Chengdu art. 23)."""

    audit_archive_dir: Path | None = None
    """Where ``sandbox audit archive`` writes archive files (JSON lines with the chain's
    anchors). Empty means ``<var_dir>/audit-archive``."""

    @model_validator(mode="after")
    def _heartbeat_within_lease(self) -> Settings:
        if self.job_heartbeat_seconds * 3 > self.job_lease_seconds:
            raise ValueError(
                f"job_heartbeat_seconds ({self.job_heartbeat_seconds}) must be at most a third "
                f"of job_lease_seconds ({self.job_lease_seconds})"
            )
        return self

    session_idle_seconds: int = Field(default=30 * 60, gt=0)
    """A console sign-in session unused for this long ends; each request renews it."""

    session_absolute_seconds: int = Field(default=12 * 3600, gt=0)
    """A sign-in session ends this long after the sign-in, however active it is."""

    sign_in_lockout_failures: int = Field(default=5, ge=1)
    """Consecutive failed sign-ins that lock an account for :attr:`sign_in_lockout_seconds`."""

    sign_in_lockout_seconds: int = Field(default=15 * 60, gt=0)
    """How long a locked account refuses every sign-in, the right password included."""

    password_min_length: int = Field(default=12, ge=8, le=128)
    """Shortest password an account may set (and never equal to its login)."""

    # Notifications (sandbox.notifications): e-mail is off until smtp_host is set.
    smtp_host: str = ""
    """The mail server e-mail notifications go through; empty: e-mail off (inbox only)."""

    smtp_port: int = Field(default=587, ge=1, le=65535)
    """Its port (587 for STARTTLS, 465 for SSL, 25 for plain relay)."""

    smtp_security: Literal["starttls", "ssl", "none"] = "starttls"
    """How the connection is protected: STARTTLS, SSL from the start, or none (a local relay)."""

    smtp_from: str = ""
    """The sender address of notification e-mails (required when smtp_host is set)."""

    smtp_user: str = ""
    """Login at the mail server; empty: no login."""

    smtp_password: SecretStr = SecretStr("")
    """Password of :attr:`smtp_user` (a secret: masked in every dump)."""

    smtp_ca_file: Path | None = None
    """A CA bundle the mail server's certificate is checked against (a private CA, common on
    government networks); empty: the system's trusted CAs. The certificate is always checked."""

    smtp_timeout_seconds: float = Field(default=10.0, gt=0)
    """How long one connection to the mail server may take."""

    smtp_retry_seconds: float = Field(default=30.0, gt=0)
    """Wait before retrying a failed e-mail; doubled after each failure (at most an hour)."""

    smtp_max_attempts: int = Field(default=8, ge=1)
    """Attempts before an e-mail is given up as failed."""

    email_expiry_hours: float = Field(default=72.0, gt=0)
    """An e-mail not sent within this long (e-mail off, or the server down) is dropped."""

    notification_poll_seconds: float = Field(default=5.0, gt=0)
    """How often the server's delivery loop looks for queued e-mail."""

    deadline_notice_working_days: int = Field(default=2, ge=0, le=30)
    """Notify assignees this many working days before a deadline (0: only when passed)."""

    deadline_sweep_seconds: float = Field(default=3600.0, gt=0)
    """How often the server sweeps deadlines for approaching and passed notices."""

    public_url: str = ""
    """The platform's public address, linked from e-mails (``https://data.example.cn``)."""

    @model_validator(mode="after")
    def _smtp_has_sender(self) -> Settings:
        if self.smtp_host and "@" not in self.smtp_from:
            raise ValueError("smtp_from must be an e-mail address when smtp_host is set")
        return self

    def worker_json(self) -> str:
        """The settings as JSON for the platform's own Ray tasks, secrets included.

        A worker on another node has none of the server's environment, so the data root's
        credentials travel in the task's arguments (Ray's internal object store), the one
        place besides the server that needs them. Every other dump masks them.
        """
        data = self.model_dump(mode="json")
        for name in SECRET_FIELDS:
            data[name] = getattr(self, name).get_secret_value()
        return json.dumps(data)

    def resolved_encryption_key_path(self) -> Path:
        """The local data encryption key's path with the default filled in."""
        path = self.encryption_key_path or self.var_dir / "secrets" / "data-encryption.key"
        return path.resolve()

    def resolved_jax_cache_dir(self) -> Path | None:
        """The JAX compilation cache's directory with the default filled in (``None``: off)."""
        if not self.jax_cache:
            return None
        return (self.jax_cache_dir or self.var_dir / "jax-cache").resolve()

    def resolved_audit_key_path(self) -> Path:
        """The signing key's path with the default filled in."""
        return (self.audit_key_path or self.var_dir / "secrets" / "audit-signing.key").resolve()

    def resolved_verification_key_path(self) -> Path:
        """The verification key's path with the default filled in."""
        path = self.verification_key_path or self.var_dir / "secrets" / "verification.key"
        return path.resolve()

    def resolved_audit_archive_dir(self) -> Path:
        """The directory of audit archive files."""
        return (self.audit_archive_dir or self.var_dir / "audit-archive").resolve()

    def resolved_audit_anchor_path(self) -> Path:
        """The checkpoint file's path with the default filled in."""
        path = self.audit_anchor_path or self.var_dir / "audit-anchor" / "checkpoints.jsonl"
        return path.resolve()

    def resolved_database_url(self) -> str:
        """The database URL with the SQLite default filled in."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'sandbox.db').resolve()}"

    def resolved_data_uri(self) -> str:
        """The data root with the local default filled in (absolute for local paths)."""
        if self.data_uri:
            if "://" in self.data_uri:
                return self.data_uri
            return str(Path(self.data_uri).resolve())
        return str((self.var_dir / "data").resolve())

    def staging_dir(self) -> Path:
        """Local directory where uploads are spooled before they are registered."""
        return (self.var_dir / "staging").resolve()

    def resolved_import_roots(self) -> list[str]:
        """Allowed bulk-load roots, with the default filled in."""
        if self.import_roots:
            return [r if "://" in r else str(Path(r).resolve()) for r in self.import_roots]
        return [str((self.var_dir / "import").resolve())]
