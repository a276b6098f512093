"""The demo's DP step: the trusted query engine answering on the conditional dataset.

Until jobs arrive (issue #4) nothing reaches the engine over HTTP; the demo calls it the
way the job broker will, in the trusted process, under the dataset's effective policy and
a demo grant's budget in the SQL ledger.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from sandbox import policy_store
from sandbox.demo.setup import DemoAccount
from sandbox.demo.walkthrough import CONDITIONAL
from sandbox.engine import QueryEngine
from sandbox.identity.model import Actor, Role
from sandbox.ledger import SqlLedger
from sandbox.platform import Platform
from sandbox.policies import BudgetExhausted

DEMO_GRANT = "demo-grant"


def run_engine_step(platform: Platform, researcher: DemoAccount, console: Console) -> None:
    """Open the demo grant's budget, release a DP table, show what it cost."""
    console.rule("[bold]Trusted engine: a DP release on the conditional data")
    with platform.sessions() as session:
        policy = policy_store.effective_for_dataset(session, CONDITIONAL)
    assert policy.lifetime_budget is not None and policy.grant_budget is not None
    assert policy.accounting is not None
    ledger = SqlLedger(platform.sessions)
    ledger.open_dataset_account(CONDITIONAL, policy.lifetime_budget, policy.accounting)
    ledger.open_grant_account(DEMO_GRANT, CONDITIONAL, policy.grant_budget, policy.accounting)
    actor = Actor(researcher.user_id, researcher.username, Role.USER)
    engine = QueryEngine(platform, ledger, grant=DEMO_GRANT, policy=policy, actor=actor)
    residents = engine.dataset(CONDITIONAL)
    try:
        release = residents.group_by("district").mean("income", lower=0, upper=200_000,
                                                       epsilon=0.5)
    except BudgetExhausted as refusal:
        console.print(f"[yellow]{refusal.message}[/] (the demo grant's budget is spent; "
                      "remove var/ to start afresh)")
        return
    table = Table("district", "noisy count", "noisy mean income",
                  title="mean income by district, epsilon 0.5 (differentially private)")
    for row in sorted(release.rows(), key=lambda r: str(r["district"])):
        mean = row.get("mean")
        table.add_row(str(row["district"]), f"{row.get('count', 0):,.0f}",
                      "suppressed" if mean is None else f"{mean:,.0f}")
    console.print(table)
    report = release.report
    remaining = ledger.remaining(DEMO_GRANT, CONDITIONAL)
    console.print(f"charged {report.charged.describe(report.accounting)} to {DEMO_GRANT} "
                  f"before computing; {report.suppressed} group(s) suppressed; "
                  f"grant budget left: {remaining.describe(report.accounting)}")
