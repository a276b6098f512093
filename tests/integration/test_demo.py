"""``make demo`` keeps working: the whole walkthrough on a small residents table, run twice
on the same var dir; and the decisions that let a rerun start from what the last run left.
"""

from __future__ import annotations

import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from sandbox.config import Settings
from sandbox.demo.budget import LifetimeSpent, NewGrant, Reuse, choose_grant
from sandbox.demo.serving import decide_serving, serve_command, stopped_message
from sandbox.identity.model import Actor
from sandbox.identity.passwords import verify_password
from sandbox.ledger import SqlLedger
from sandbox.platform import Platform
from sandbox.policies.budget import PrivacyCost
from sandbox.store.db import transaction
from sandbox.store.models import UserRow
from tests.support.server import free_port

FIRST_RUN = (
    "registered city_residents",
    "data dictionary",
    "quality report",
    "synthetic preview",
    "download by researcher refused",
    "download by provider (its owner) refused",
    "downloaded district_facilities",
    # the regulated workflow
    "the authority records demo-researcher's eligibility",
    "real_name_verified",
    "credit_standing",
    "application 1, as submitted",
    "security_measures",
    "waiting for the authority's form review",
    "5 working days left",
    "Authority: the form review (within 5 working days)",
    "10 working days left",
    "approved by demo-provider, on time",
    "agreement version",
    "grant grant-1: accepted",
    "agreement_sha256",
    # the jobs
    "grant grant-",
    "submitted DP job",
    "submitted raw-access job",
    "pending_review",
    "job logs before review",
    "output checks of job",
    "approved job",
    "rejected job",
    "downloaded job",
    "the rejected result stays out of reach",
    # the oversight
    "complaint 1 (privacy) on city_residents: open; evidence: note-excerpt.txt",
    "city_residents suspended by demo-provider for complaint 1",
    "a new DP job on city_residents is refused",
    "submitted just before: cancelled",
    "objection 1 (error) on version 1",
    "objection 1: answered, rejected by demo-provider",
    "complaint 1: answered, restored",
    "city_residents suspended now: False",
    "Authority: the platform's statistics",
    "deadlines (working days)",
    "audit verify passes",
    "Try next",
)


def _demo(cwd: Path, port: int, **env_extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANDBOX_")}
    env.update(SANDBOX_DEMO_ROWS="20000", SANDBOX_DEMO_PORT=str(port), COLUMNS="200", **env_extra)
    result = subprocess.run(
        [sys.executable, "-m", "sandbox.demo"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert "Traceback" not in result.stdout + result.stderr, result.stdout[-3000:]
    return result


ROLES = ("admin", "provider", "user", "reviewer", "authority", "auditor")


def _logins(out: str) -> dict[str, tuple[str, str]]:
    """The console logins the demo printed: role -> (username, password)."""
    lines = out.split("sign in at ", 1)[1].splitlines()[1:]
    found = {}
    for line in lines:
        parts = line.split()
        if len(parts) != 3 or parts[0] not in ROLES:
            break
        found[parts[0]] = (parts[1], parts[2])
    return found


def _passwords_work(var_dir: Path, logins: dict[str, tuple[str, str]]) -> bool:
    """Each printed password signs its account in (through the sign-in service)."""
    platform = Platform.open(
        Settings(
            var_dir=var_dir,
            database_url="",
            data_uri="",
            audit_key_path=None,
            audit_anchor_path=None,
        )
    )
    try:
        with transaction(platform.sessions) as session:
            for username, password in logins.values():
                row = session.query(UserRow).filter_by(username=username).one()
                if not verify_password(row.password_hash, password):
                    return False
        return True
    finally:
        platform.close()


def _spend_all_but(var_dir: Path, grant: str, left: Fraction) -> None:
    """The researcher's own jobs between two demo runs spend the grant down to ``left``."""
    # Everything named, so that no SANDBOX_* variable of the test run points elsewhere.
    platform = Platform.open(
        Settings(
            var_dir=var_dir,
            database_url="",
            data_uri="",
            audit_key_path=None,
            audit_anchor_path=None,
        )
    )
    try:
        ledger = SqlLedger(platform.sessions)
        remaining = ledger.remaining(grant, "city_residents").loss
        ledger.spend(
            grant,
            "city_residents",
            PrivacyCost(remaining - left),
            "the researcher's own jobs since the last demo run",
            Actor.system(),
        )
    finally:
        platform.close()


@pytest.mark.server
@pytest.mark.ray  # the demo starts a local Ray
@pytest.mark.slow
def test_demo_walks_through_every_role_and_runs_again_on_what_it_left(tmp_path):
    port = free_port()
    first = _demo(tmp_path, port, SANDBOX_DEMO_EXIT="1")
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    for expected in FIRST_RUN:
        assert expected in first.stdout, expected
    tokens = (tmp_path / "var" / "demo" / "tokens.env").read_text(encoding="utf-8")
    assert f"export SANDBOX_URL=http://127.0.0.1:{port}\n" in tokens
    assert f"export SANDBOX_VAR_DIR={(tmp_path / 'var').resolve()}\n" in tokens
    assert (
        f"the server has stopped (SANDBOX_DEMO_EXIT=1); run `.venv/bin/sandbox serve "
        f"--port {port}` and `source var/demo/tokens.env` to try these"
    ) in first.stdout

    logins = _logins(first.stdout)
    assert set(logins) == set(ROLES), first.stdout[-3000:]
    assert _passwords_work(tmp_path / "var", logins)
    logins_file = tmp_path / "var" / "demo" / "logins.env"
    assert logins_file.stat().st_mode & 0o077 == 0  # only its owner may read the passwords

    # Before the fix, the second run reused grant-1 whatever was left of it, and its DP job
    # was refused for want of budget.
    _spend_all_but(tmp_path / "var", "grant-1", Fraction(1, 10))
    second = _demo(tmp_path, port)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    out = second.stdout
    assert "city_residents is already registered" in out
    assert "no active grant covers epsilon 0.5 (grant-1 has 0.1 left)" in out
    assert "grant grant-2: accepted" in out
    assert "approved job" in out and "complaint 2: answered, restored" in out
    assert "the server has stopped (no terminal)" in out
    assert "set SANDBOX_DEMO_SERVE=1 to keep it serving without a terminal" in out
    assert _logins(out) == logins  # the same console logins, not reset by a rerun


def _budget(
    lifetime_left: str | None, lifetime_spent: str = "0", **grants_left: str
) -> dict[str, object]:
    accounts: list[dict[str, object]] = []
    if lifetime_left is not None:
        accounts.append(
            {
                "kind": "dataset",
                "ref": "city_residents",
                "spent": {"loss": lifetime_spent},
                "remaining": {"loss": lifetime_left},
            }
        )
    accounts += [
        {
            "kind": "grant",
            "ref": ref.replace("_", "-"),
            "spent": {"loss": "0"},
            "remaining": {"loss": left},
        }
        for ref, left in grants_left.items()
    ]
    return {"dataset": "city_residents", "accounts": accounts}


def _grant(ref: str, kinds: tuple[str, ...] = ("dp", "raw")) -> dict[str, object]:
    return {"ref": ref, "datasets": ["city_residents"], "job_kinds": list(kinds)}


def _choose(
    grants: list[dict[str, object]], budget: dict[str, object]
) -> Reuse | NewGrant | LifetimeSpent:
    return choose_grant(
        grants, budget, dataset="city_residents", job_kinds=("dp", "raw"), need=Fraction(1, 2)
    )


def test_a_grant_is_reused_only_while_its_budget_covers_the_run():
    choice = _choose([_grant("grant-1")], _budget("19", grant_1="1.5"))
    assert isinstance(choice, Reuse)
    assert choice.grant["ref"] == "grant-1" and choice.remaining == Fraction(3, 2)
    exactly = _choose([_grant("grant-1")], _budget("19", grant_1="0.5"))
    assert isinstance(exactly, Reuse)
    best = _choose(
        [_grant("grant-1"), _grant("grant-2")], _budget("15", grant_1="0.6", grant_2="2")
    )
    assert isinstance(best, Reuse) and best.grant["ref"] == "grant-2"


def test_a_spent_or_unfit_grant_means_a_new_application():
    spent = _choose([_grant("grant-1")], _budget("18.1", grant_1="0.1"))
    assert isinstance(spent, NewGrant)
    assert spent.reason == "no active grant covers epsilon 0.5 (grant-1 has 0.1 left)"
    dp_only = _choose([_grant("grant-1", ("dp",))], _budget("19", grant_1="2"))
    assert isinstance(dp_only, NewGrant)
    assert isinstance(_choose([], _budget("19")), NewGrant)
    fresh = _choose([], _budget(None))  # no grant yet: the lifetime account is not open
    assert isinstance(fresh, NewGrant) and "no grant has used city_residents yet" in fresh.reason


def test_a_spent_lifetime_budget_says_how_to_start_over():
    choice = _choose([_grant("grant-1")], _budget("0.4", "19.6", grant_1="2"))
    assert isinstance(choice, LifetimeSpent)
    assert choice.message() == (
        "the demo dataset's lifetime privacy budget is spent after 39 runs: run `make clean` "
        "(removes var/) to start over"
    )


def test_the_demo_serves_on_only_when_someone_can_stop_it():
    assert decide_serving(ok=True, interactive=True, env={}).keep
    assert decide_serving(ok=True, interactive=False, env={"SANDBOX_DEMO_SERVE": "1"}).keep
    assert decide_serving(ok=True, interactive=False, env={}).why_not == "no terminal"
    exit_asked = decide_serving(
        ok=True, interactive=True, env={"SANDBOX_DEMO_EXIT": "1", "SANDBOX_DEMO_SERVE": "1"}
    )
    assert not exit_asked.keep and exit_asked.why_not == "SANDBOX_DEMO_EXIT=1"
    assert decide_serving(ok=False, interactive=True, env={}).why_not == "a step failed"


def test_the_stopped_message_names_the_command_for_the_same_var_dir_and_port(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert serve_command(Path("var"), 8000) == ("`make serve` (or `.venv/bin/sandbox serve`)")
    assert serve_command(Path("var"), 8123) == "`.venv/bin/sandbox serve --port 8123`"
    elsewhere = (tmp_path.parent / "demo-var").resolve()
    assert serve_command(elsewhere, 8000) == (
        f"`SANDBOX_VAR_DIR={elsewhere} make serve` "
        f"(or `SANDBOX_VAR_DIR={elsewhere} .venv/bin/sandbox serve`)"
    )
    assert stopped_message("no terminal", Path("var"), 8000, Path("var/demo/tokens.env")) == (
        "the server has stopped (no terminal); run `make serve` (or `.venv/bin/sandbox serve`) "
        "and `source var/demo/tokens.env` to try these; set SANDBOX_DEMO_SERVE=1 to keep it "
        "serving without a terminal"
    )
