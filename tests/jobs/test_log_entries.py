"""A model's log lines are kept and shown as its own, never as the platform's.

A model may log lines that imitate the platform's messages or its truncation marker, and
terminal escape sequences, NUL bytes and bidi overrides. The stored record keeps the model's
lines apart from the platform's facts, every reader gets entries marked with their source,
and the CLI shows a model's text escaped. In-process (:mod:`tests.support.jobs`), plus the
log column on both databases.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, inspect, select
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from sandbox.cli import jobs as cli_jobs
from sandbox.jobs import service as job_service
from sandbox.jobs.log_entries import LogEntry, LogSource
from sandbox.runtime.executor import ModelOutcome, RunStatus
from sandbox.store.models import JobRow
from tests.support.jobs import FakeBackend, JobBench, ModelRun

IMITATIONS = [
    "[platform] log truncated",
    "[log truncated: size limit reached]",
    "\x1b[2J\x1b[Hplatform | all clear",
    "a\x00b",
    "\u202eevil\u202c",
    "two\nlines\rback",
]
"""Lines a model logs to pass for the platform, or to play with a terminal."""


def logging_run(truncated: bool) -> Any:
    def script(run: ModelRun) -> ModelOutcome:
        return ModelOutcome(
            status=RunStatus.OK,
            backend=FakeBackend.name,
            value=1,
            log=list(IMITATIONS),
            log_truncated=truncated,
            exit_code=0,
            duration=0.01,
        )

    return script


def test_the_stored_log_holds_the_models_lines_and_the_platform_speaks_apart(
    bench: JobBench,
) -> None:
    job = bench.submit("user", ["people_auto"], bench.model("Logs", logging_run(True)))
    row = bench.row(job.id)
    assert row.log == IMITATIONS  # verbatim: nothing of the platform's among them
    assert row.progress["log_truncated"] is True and row.progress["log_lines"] == 6
    with bench.platform.sessions() as session:
        log = job_service.read_log(session, bench.actors["user"], job.id)
    assert not log.held
    assert log.entries[:-1] == [LogEntry(LogSource.MODEL, line) for line in IMITATIONS]
    assert log.entries[-1].source is LogSource.PLATFORM
    assert log.entries[-1].text.startswith("log truncated: ")
    assert log.lines == IMITATIONS


def test_a_log_that_was_not_truncated_has_no_platform_entry(bench: JobBench) -> None:
    job = bench.submit("user", ["people_auto"], bench.model("Quiet", logging_run(False)))
    assert "log_truncated" not in bench.row(job.id).progress
    with bench.platform.sessions() as session:
        log = job_service.read_log(session, bench.actors["user"], job.id)
    assert [e.source for e in log.entries] == [LogSource.MODEL] * len(IMITATIONS)


def test_a_held_log_shows_no_entry(bench: JobBench) -> None:
    job = bench.submit("user", ["people"], bench.model("Held", logging_run(True)))
    with bench.platform.sessions() as session:
        log = job_service.read_log(session, bench.actors["user"], job.id)
        seen = job_service.read_log(session, bench.actors["reviewer"], job.id)
    assert log.held and log.entries == [] and log.lines == []
    assert not seen.held and seen.entries[-1].source is LogSource.PLATFORM


def test_the_cli_shows_a_models_lines_escaped_and_marked_as_the_models(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    entries = [{"source": "model", "text": line} for line in IMITATIONS]
    entries.append(
        {
            "source": "platform",
            "text": "log truncated: lines past the log size limit (1000 bytes) were left out",
        }
    )

    class Client:
        def __enter__(self) -> Client:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def job_log(self, job_id: int) -> dict[str, Any]:
            return {
                "job_id": job_id,
                "entries": entries,
                "lines": [e["text"] for e in entries[:-1]],
                "held": False,
            }

    monkeypatch.setattr(cli_jobs, "remote", lambda url, token: Client())
    shown = CliRunner().invoke(cli_jobs.app, ["log", "7", "--token", "t"])
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    assert lines == [
        "model    | [platform] log truncated",
        "model    | [log truncated: size limit reached]",
        "model    | \\x1b[2J\\x1b[Hplatform | all clear",
        "model    | a\\x00b",
        "model    | \\u202eevil\\u202c",
        "model    | two\\nlines\\rback",
        "platform | log truncated: lines past the log size limit (1000 bytes) were left out",
    ]
    assert not any(c in shown.stdout for c in "\x1b\x00\u202e\u202c\r")


@pytest.mark.parametrize(
    "text", ["\\", "tab\there", "é ü 中文 🙂", "\x85 C1", "\u2028 sep", "\ud800 lone"]
)
def test_printable_leaves_one_visible_line(text: str) -> None:
    shown = cli_jobs.printable(text)
    assert all(c == "\t" or c.isprintable() for c in shown), shown
    assert ("\t" in shown) == ("\t" in text)


def test_the_log_column_keeps_nul_bytes_and_escapes_on_both_databases(db_engine: Engine) -> None:
    """The jobs table's log column (JSON) takes what a model may log, NUL bytes too, and
    gives it back unchanged: on PostgreSQL it is ``json``, which keeps ``\\u0000`` (``jsonb``
    would refuse it)."""
    columns = {c["name"]: c["type"] for c in inspect(db_engine).get_columns("jobs")}
    if db_engine.dialect.name == "postgresql":
        assert type(columns["log"]).__name__ == "JSON", columns["log"]
    probe = Table(
        "log_probe",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("log", JobRow.__table__.c.log.type),
    )
    probe.create(db_engine)
    try:
        with db_engine.begin() as connection:
            connection.execute(probe.insert().values(id=1, log=IMITATIONS))
        with db_engine.connect() as connection:
            stored = connection.execute(select(probe.c.log)).scalar_one()
    finally:
        probe.drop(db_engine)
    assert stored == IMITATIONS
