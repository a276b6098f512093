"""The demo's algorithm-model flow, over HTTP like a real user's, step by step.

1. the provider lets its conditional dataset take raw-access jobs (its policy);
2. the researcher gets access (:mod:`sandbox.demo.application_step`): an active grant that
   still covers this run's DP job, or a new application walked to a new grant;
3. the researcher submits a DP job (a vetted model) and a raw-access job (its own source);
   both run in the isolated sandbox on Ray, followed live;
4. the output checks run; the provider's reviewer reads each check report, approves the
   DP result and rejects the raw-access one with a reason;
5. the researcher downloads the released result (CSV); the rejected one stays out of reach.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from sandbox.client import SandboxAPIError, SandboxClient
from sandbox.demo.application_step import obtain_grant
from sandbox.demo.walkthrough import CONDITIONAL, Walkthrough
from sandbox.identity.model import Role

__all__ = ["DP_PARAMS", "RAW_MODEL", "RUN_LOSS", "run_job_flow"]

RAW_MODEL = '''"""Mean income by district from the raw rows, and how many rows were read."""


def run(ctx):
    by_district = ctx.crosstab("city_residents", rows=["district"], value="income",
                               agg="mean")
    people = ctx.table("city_residents")
    ctx.log(f"read {people.num_rows} rows inside the sandbox")
    return {"mean_income_by_district": by_district, "rows_read": people.num_rows}
'''

DP_PARAMS = {
    "dataset": CONDITIONAL,
    "group": "district",
    "column": "income",
    "lower": 0,
    "upper": 200_000,
    "epsilon": 0.5,
}

RUN_LOSS = Fraction(str(DP_PARAMS["epsilon"]))
"""The most one run's DP job charges: its epsilon under pure accounting, and under zCDP no
more than that either (a pure epsilon-DP measurement costs rho = epsilon**2 / 2 <= epsilon
for epsilon <= 2). The raw-access job and the jobs refused during the suspension charge
nothing."""


def _follow(
    console: Console, user: SandboxClient, job: dict[str, Any], label: str
) -> dict[str, Any]:
    seen: list[str] = []

    def show(update: dict[str, Any]) -> None:
        if not seen or seen[-1] != update["state"]:
            seen.append(update["state"])
            console.print(
                f"  {label} job {update['id']}: [cyan]{update['state']}[/] {update['state_reason']}"
            )

    return user.wait_for_job(int(job["id"]), timeout=600, on_update=show)


def _report(console: Console, view: dict[str, Any]) -> None:
    job = view["job"]
    table = Table(
        "rule",
        "where",
        "statistic",
        "result",
        title=f"output checks of job {job['id']} ({job['kind']})",
    )
    for line in view["check_report"].get("lines", [])[:12]:
        verdict = "pass" if line["passed"] else ("BLOCK" if line["blocking"] else "flag")
        table.add_row(str(line["rule"]), str(line["where"]), str(line["statistic"]), verdict)
    console.print(table)


def run_job_flow(walk: Walkthrough, download_dir: Path) -> bool:
    """Run the flow; return whether every step held.

    Raises:
        DemoCannotContinue: The dataset's lifetime budget cannot pay for this run.
    """
    console = walk.console
    console.rule("[bold]Provider: raw-access jobs allowed on the conditional dataset")
    with walk.client(Role.PROVIDER) as provider:
        provider.set_dataset_policy(CONDITIONAL, {"job_limits": {"raw_access_allowed": True}})
        console.print(f"policy of {CONDITIONAL}: raw_access_allowed")
    grant = obtain_grant(walk, RUN_LOSS)
    console.print(
        f"grant {grant['ref']} is {grant['status']}: {', '.join(grant['datasets'])} "
        f"({', '.join(grant['job_kinds'])} jobs) until {grant['period_end']}"
    )
    console.rule("[bold]Researcher: a DP job and a raw-access job, in the sandbox on Ray")
    with walk.client(Role.USER) as user:
        dp = user.submit_job([CONDITIONAL], model="mean_by_group", params=DP_PARAMS)
        console.print(
            f"submitted DP job {dp['id']} (vetted model mean_by_group, backend {dp['backend']})"
        )
        raw = user.submit_job([CONDITIONAL], source=RAW_MODEL, kind="raw")
        console.print(
            f"submitted raw-access job {raw['id']} (own source, backend {raw['backend']})"
        )
        dp = _follow(console, user, dp, "DP")
        raw = _follow(console, user, raw, "raw-access")
        held = {
            label: user.job_log(int(job["id"]))["held"]
            for label, job in (("DP", dp), ("raw-access", raw))
        }
    console.print(
        "job logs before review: "
        + ", ".join(
            f"{label} {'held for review' if is_held else 'shown'}"
            for label, is_held in held.items()
        )
    )
    if dp["state"] != "pending_review" or raw["state"] != "pending_review":
        console.print(f"[red]a job did not reach review[/]: {dp['state']}, {raw['state']}")
        return False
    console.rule("[bold]Reviewer: the airlock")
    with walk.client(Role.REVIEWER) as reviewer:
        queue = reviewer.review_queue()
        console.print(f"{len(queue)} result(s) wait for review")
        for job in (dp, raw):
            _report(console, reviewer.get_review(int(job["id"])))
        approved = reviewer.decide_review(int(dp["id"]), "approve")
        console.print(f"approved job {dp['id']}: {approved['job']['state']}")
        rejected = reviewer.decide_review(
            int(raw["id"]),
            "reject",
            "rows_read is not a platform-verified output; return the crosstab alone",
        )
        console.print(f"rejected job {raw['id']}: {rejected['job']['state_reason']}")
    console.rule("[bold]Researcher: download the released result")
    with walk.client(Role.USER) as user:
        target = download_dir / f"job-{dp['id']}.csv"
        user.download_result(int(dp["id"]), target, format="csv", part="mean")
        console.print(f"downloaded job {dp['id']}'s result to {target}:")
        console.print(target.read_text(encoding="utf-8").strip())
        try:
            user.download_result(int(raw["id"]))
            console.print("[red]the rejected result was downloadable[/]")
            return False
        except SandboxAPIError as refusal:
            console.print(f"the rejected result stays out of reach: {refusal.message}")
    return bool(approved["job"]["state"] == "released")
