"""Job leases, in-process on the bench (:mod:`tests.support.jobs`): one process claims a job,
the heartbeat renews it, a sweep takes over only what expired (re-queued if it never ran,
failed with a true reason if it did), a charge checks the job in its own transaction, and
a Ray worker never migrates the schema.

The same code on two live servers sharing PostgreSQL, with one killed mid-job, is in
``tests/jobs/test_two_servers.py``.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select

from sandbox import platform as platform_module
from sandbox.clock import utc_now
from sandbox.config import Settings
from sandbox.errors import Conflict, SchemaOutOfDate
from sandbox.jobs import dispatcher
from sandbox.jobs.leases import (
    REQUEUED,
    charge_guard,
    claim,
    claimable,
    give_up,
    recover_expired,
    renew,
)
from sandbox.jobs.lifecycle import move, platform_actor
from sandbox.jobs.model import JobState, RunOutcome
from sandbox.ledger import SqlLedger
from sandbox.policies.budget import PrivacyCost
from sandbox.store import make_engine
from sandbox.store.models import BudgetChargeRow, JobRow
from tests.support.jobs import JobBench, finished

A, B = "host-a:1:aaaa", "host-b:2:bbbb"


def queued(bench: JobBench, title: str) -> int:
    bench.dispatcher.paused = True
    try:
        return bench.submit("user", ["people"], bench.model(title, lambda r: finished(1))).id
    finally:
        bench.dispatcher.paused = False


def running_under(bench: JobBench, owner: str, title: str) -> int:
    job_id = queued(bench, title)
    assert claim(bench.platform, job_id, owner)
    with bench.session() as session:
        row = session.get(JobRow, job_id)
        assert row is not None
        move(session, row, JobState.RUNNING, platform_actor())
    return job_id


def expire(bench: JobBench, job_id: int, seconds_ago: float = 1.0) -> None:
    with bench.session() as session:
        row = session.get(JobRow, job_id)
        assert row is not None
        row.lease_expires_at = utc_now() - timedelta(seconds=seconds_ago)


def test_one_process_wins_a_claim_and_another_only_once_it_expired(bench: JobBench) -> None:
    job_id = queued(bench, "Claimed")
    assert claim(bench.platform, job_id, A)
    assert not claim(bench.platform, job_id, B)  # A's lease is live
    with bench.platform.sessions() as session:
        assert job_id in claimable(session, A) and job_id not in claimable(session, B)
    assert bench.row(job_id).lease_owner == A
    expire(bench, job_id)
    assert claim(bench.platform, job_id, B)
    assert bench.row(job_id).lease_owner == B


def test_the_heartbeat_renews_and_a_clean_stop_ends_the_leases(bench: JobBench) -> None:
    job_id = running_under(bench, A, "Renewed")
    expire(bench, job_id, seconds_ago=-2)  # two seconds left
    before = bench.row(job_id).lease_expires_at
    assert renew(bench.platform, A) == 1 and renew(bench.platform, B) == 0
    after = bench.row(job_id).lease_expires_at
    assert before is not None and after is not None
    assert after - before > timedelta(seconds=bench.platform.settings.job_lease_seconds - 5)
    assert give_up(bench.platform, A) == 1
    ended = bench.row(job_id).lease_expires_at
    assert ended is not None and ended <= utc_now()


def test_a_sweep_leaves_live_leases_alone(bench: JobBench) -> None:
    running = running_under(bench, A, "Live running")
    waiting = queued(bench, "Live queued")
    assert claim(bench.platform, waiting, A)
    assert recover_expired(bench.platform, B) == {"queued": 0, "failed": 0}
    assert bench.row(running).state == JobState.RUNNING
    assert bench.row(waiting).lease_owner == A


def test_a_sweep_fails_an_expired_running_job_and_requeues_an_unstarted_one(
    bench: JobBench,
) -> None:
    running = running_under(bench, A, "Dead running")
    waiting = queued(bench, "Dead queued")
    assert claim(bench.platform, waiting, A)
    expire(bench, running)
    expire(bench, waiting)
    assert recover_expired(bench.platform, B) == {"queued": 1, "failed": 1}
    failed = bench.row(running)
    assert failed.state == JobState.FAILED and failed.outcome == RunOutcome.INTERRUPTED
    assert failed.state_reason.startswith("the API process running the job stopped")
    assert "its DP charges stay spent" in failed.state_reason
    freed = bench.row(waiting)
    assert freed.state == JobState.QUEUED and freed.lease_owner is None
    assert freed.state_reason == REQUEUED
    assert claim(bench.platform, waiting, B)
    # A second sweep finds nothing more: a job is failed once, never twice.
    assert recover_expired(bench.platform, B) == {"queued": 0, "failed": 0}


def test_a_recent_submission_is_left_to_the_process_queueing_it(bench: JobBench) -> None:
    job_id = queued(bench, "Between transactions")
    with bench.session() as session:
        row = session.get(JobRow, job_id)
        assert row is not None
        row.state = str(JobState.SUBMITTED)  # as if between submit's two transactions
    assert recover_expired(bench.platform, B) == {"queued": 0, "failed": 0}
    with bench.session() as session:
        row = session.get(JobRow, job_id)
        assert row is not None
        row.submitted_at = utc_now() - timedelta(hours=1)
    assert recover_expired(bench.platform, B) == {"queued": 1, "failed": 0}
    assert bench.row(job_id).state == JobState.QUEUED


def test_start_up_on_sqlite_takes_over_every_other_owner_at_once(bench: JobBench) -> None:
    """SQLite is one process: whoever held the lease is gone, live or not."""
    job_id = running_under(bench, A, "Restarted")
    assert dispatcher.recover_jobs(bench.platform, B) == {"queued": 0, "failed": 1}
    row = bench.row(job_id)
    assert row.state == JobState.FAILED
    assert row.state_reason == "the platform restarted while the job was running; start it again"


def charges_of(bench: JobBench, job_id: int) -> int:
    with bench.platform.sessions() as session:
        return int(
            session.execute(
                select(func.count())
                .select_from(BudgetChargeRow)
                .where(BudgetChargeRow.job_id == job_id)
            ).scalar_one()
        )


def test_a_job_failed_by_a_takeover_is_never_charged_after(bench: JobBench) -> None:
    job_id = running_under(bench, A, "Charged")
    ledger = SqlLedger(bench.platform.sessions, guard=charge_guard(job_id, A))
    user, grant = bench.actors["user"], bench.grants["dp"]
    cost = PrivacyCost.of("0.1")
    ledger.spend(grant, "people", cost, "count", user, job=job_id)
    assert charges_of(bench, job_id) == 1
    remaining = ledger.remaining(grant, "people")
    expire(bench, job_id)
    recover_expired(bench.platform, B)
    assert bench.row(job_id).state == JobState.FAILED
    with pytest.raises(Conflict, match="no longer answered"):
        ledger.spend(grant, "people", cost, "count", user, job=job_id)
    with pytest.raises(Conflict):
        ledger.spend_jointly(grant, ["people"], cost, "count", user, job=job_id)
    assert charges_of(bench, job_id) == 1
    assert ledger.remaining(grant, "people") == remaining  # nothing debited


def test_a_job_taken_over_by_another_owner_refuses_the_old_owners_charges(
    bench: JobBench,
) -> None:
    job_id = running_under(bench, A, "Taken over")
    with bench.session() as session:
        row = session.get(JobRow, job_id)
        assert row is not None
        row.lease_owner = B
    ledger = SqlLedger(bench.platform.sessions, guard=charge_guard(job_id, A))
    with pytest.raises(Conflict, match="taken over"):
        ledger.spend(bench.grants["dp"], "people", PrivacyCost.of("0.1"), "c", bench.actors["user"])
    assert charges_of(bench, job_id) == 0


def test_settings_refuse_a_heartbeat_too_slow_for_the_lease(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at most a third"):
        Settings(var_dir=tmp_path, job_lease_seconds=6, job_heartbeat_seconds=3)


# --- Ray workers never migrate -------------------------------------------------------------


def test_a_worker_never_migrates_an_empty_database(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var", ray_address="", runtime_backend="")
    dispatcher._platform_for.cache_clear()
    with pytest.raises(SchemaOutOfDate, match="sandbox db upgrade"):
        dispatcher._platform_for(settings.worker_json())
    engine = make_engine(settings.resolved_database_url())
    try:
        assert inspect(engine).get_table_names() == []  # not even alembic_version
    finally:
        engine.dispose()


def test_a_worker_opens_a_migrated_database_without_migrating(
    bench: JobBench, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_migrations(_engine: object) -> bool:
        raise AssertionError("a Ray worker ran the migrations")

    monkeypatch.setattr(platform_module, "upgrade_to_head", no_migrations)
    dispatcher._platform_for.cache_clear()
    try:
        opened = dispatcher._platform_for(bench.platform.settings.worker_json())
        with opened.sessions() as session:
            assert session.execute(select(func.count()).select_from(JobRow)).scalar_one() >= 0
        opened.close()
    finally:
        dispatcher._platform_for.cache_clear()
