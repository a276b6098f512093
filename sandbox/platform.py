"""The assembled platform: settings, metadata store, data store, staging area, calendar.

Built once by the app factory or the CLI from a :class:`Settings`; the domain services take
the pieces they need from it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from sandbox.access.agreement import Agreement, load_agreement
from sandbox.audit.adoption import anchor_existing_log
from sandbox.audit.anchor import AuditAnchor
from sandbox.audit.sessions import anchor_sessions
from sandbox.config import Settings
from sandbox.holiday_sources import build_calendar
from sandbox.runtime.backends.choice import ensure_safe_backend
from sandbox.storage import encryption
from sandbox.storage.datastore import DataStore
from sandbox.storage.staging import StagingArea
from sandbox.store import make_engine, make_session_factory, upgrade_to_head
from sandbox.store.migrate import ensure_at_head
from sandbox.workdays import WorkCalendar


@dataclass
class Platform:
    """Long-lived handles shared by every request."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    store: DataStore
    staging: StagingArea
    calendar: WorkCalendar
    """The working-day calendar every deadline is counted with."""
    agreement: Agreement
    """The data use agreement in force."""
    audit_anchor: AuditAnchor
    """Where the audit chain's signed checkpoints go (outside the database)."""

    @classmethod
    def open(cls, settings: Settings, *, migrate: bool = True) -> Platform:
        """Connect to the stores named by ``settings``, migrating the schema to head (under
        the migration lock: :mod:`sandbox.store.migrate`).

        With ``migrate=False`` (a Ray worker) the schema is only checked, never changed.

        Raises:
            SchemaOutOfDate: ``migrate=False`` and the schema is not at head.
            ProductionUnsafe: production configuration on the ``subprocess`` backend.
        """
        ensure_safe_backend(settings)  # before anything is opened or created
        settings.var_dir.mkdir(parents=True, exist_ok=True)
        # Configuration files first: a broken one stops the start, not the first request.
        calendar = build_calendar(settings.calendar_path)
        agreement = load_agreement(settings.agreement_path)
        engine = make_engine(settings.resolved_database_url())
        if migrate:
            upgrade_to_head(engine)
        else:
            try:
                ensure_at_head(engine)
            except Exception:
                engine.dispose()
                raise
        anchor = AuditAnchor(
            settings.resolved_audit_key_path(), settings.resolved_audit_anchor_path()
        )
        sessions = make_session_factory(engine)
        anchor_sessions(sessions, anchor)
        anchor_existing_log(sessions, anchor)
        store = DataStore.from_settings(settings)
        if settings.encrypt_at_rest:
            scheme, settings = encryption.scheme_of(settings, store.root)
            encryption.install(scheme)
        return cls(
            settings=settings,
            engine=engine,
            sessions=sessions,
            store=store,
            staging=StagingArea(settings.staging_dir()),
            calendar=calendar,
            agreement=agreement,
            audit_anchor=anchor,
        )

    def close(self) -> None:
        """Release database connections."""
        self.engine.dispose()
