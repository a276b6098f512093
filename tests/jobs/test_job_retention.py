"""Retention of finished jobs' outputs (:mod:`sandbox.jobs.retention`): past the retention
period a job's log, errors and raw result are emptied, what proves what happened stays, the
pruning is audited, and a job inside the period is untouched."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

from sqlalchemy import select

from sandbox.clock import utc_now
from sandbox.identity.model import Actor
from sandbox.jobs.model import JobState
from sandbox.jobs.retention import PRUNED_NOTE, prune_job_outputs
from sandbox.runtime.executor import RunStatus
from sandbox.store.models import AuditEntryRow, JobRow
from tests.support.jobs import JobBench, ended


def test_old_job_outputs_are_emptied_and_recent_ones_kept(bench: JobBench) -> None:
    source = bench.model("Fails", lambda _run: ended(RunStatus.MODEL_ERROR, "boom at line 3"))
    old = bench.submit("user", ["people"], source, grant="dp")
    recent = bench.submit("user", ["people"], source, grant="dp")
    assert bench.row(old.id).state == JobState.FAILED
    assert bench.row(old.id).errors
    with bench.session() as session:
        row = session.get(JobRow, old.id)
        assert row is not None
        row.finished_at = utc_now() - timedelta(days=40)
    before = bench.row(old.id)
    with bench.session() as session:
        pruned = prune_job_outputs(session, Actor.system(), retention_days=30)
    assert pruned == [old.id]
    after = bench.row(old.id)
    assert after.log == [] and after.errors == [] and after.result is None
    assert PRUNED_NOTE in after.progress
    # The record of what happened stays.
    assert (after.state, after.source_sha256, after.result_sha256, after.releases) == (
        before.state,
        before.source_sha256,
        before.result_sha256,
        before.releases,
    )
    kept = bench.row(recent.id)  # inside the retention period: untouched
    assert kept.errors and PRUNED_NOTE not in kept.progress
    with bench.platform.sessions() as session:
        entry = session.execute(
            select(AuditEntryRow).where(AuditEntryRow.action == "job.outputs.pruned")
        ).scalar_one()
    assert str(old.id) in entry.detail
    # Nothing more to prune: nothing changes, nothing is audited.
    with bench.session() as session:
        assert prune_job_outputs(session, Actor.system(), retention_days=30) == []


def test_the_cli_prunes_under_the_configured_retention(bench: JobBench) -> None:
    source = bench.model("Fails", lambda _run: ended(RunStatus.MODEL_ERROR, "boom"))
    job = bench.submit("user", ["people"], source, grant="dp")
    env = {
        "SANDBOX_VAR_DIR": str(bench.platform.settings.var_dir),
        "SANDBOX_DATABASE_URL": bench.platform.settings.database_url,
        "SANDBOX_JOB_LOG_RETENTION_DAYS": "0",
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        [sys.executable, "-m", "sandbox.cli", "db", "prune-job-logs"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "emptied the outputs of 1 jobs" in done.stderr + done.stdout
    assert bench.row(job.id).errors == []
