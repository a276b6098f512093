"""After the jobs: the oversight of opened data, over HTTP like a real user's.

1. the researcher files a privacy complaint against the conditional dataset, with an
   evidence file; the provider's answer is due within 10 working days;
2. the provider suspends the dataset at once, naming the complaint: a job that was waiting
   is cancelled and a new job is refused;
3. the researcher files an objection (an error in the dictionary); the provider answers it;
4. the provider answers the complaint with ``restore``, which resolves the suspension the
   same way: the dataset is open again;
5. the authority reads the platform's statistics.

:func:`lift_leftover_suspension` runs first thing: a run interrupted while the dataset was
suspended must not leave the next run stuck.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from sandbox.client import SandboxAPIError, SandboxClient
from sandbox.demo.application_step import DemoCannotContinue
from sandbox.demo.jobs_step import DP_PARAMS, RAW_MODEL
from sandbox.demo.show import stages_table
from sandbox.demo.walkthrough import CONDITIONAL, Walkthrough
from sandbox.identity.model import Role

__all__ = ["lift_leftover_suspension", "run_oversight_flow"]

COMPLAINT = (
    "The free-text note column could name residents: a note I saw in a summary "
    "read like a person's own words about their visit."
)
EVIDENCE = b"Excerpt (retyped): 'asked for a follow-up with Dr. ... at the Binhu clinic'\n"
OBJECTION = (
    "The dictionary declares age 0..110, but no resident is older than 104: is the "
    "bound or the data wrong?"
)


def lift_leftover_suspension(walk: Walkthrough) -> None:
    """Restore the dataset if an interrupted run left it suspended.

    Raises:
        DemoCannotContinue: The dataset was withdrawn for good (someone answered ``end``).
    """
    with walk.client(Role.PROVIDER) as provider:
        in_force = [s for s in provider.list_suspensions(CONDITIONAL) if s["in_force"]]
        if not in_force:
            return
        if in_force[0]["withdrawn"]:
            raise DemoCannotContinue(
                f"the demo dataset {CONDITIONAL} was withdrawn for good: "
                "run `make clean` (removes var/) to start over"
            )
        provider.resolve_suspension(
            CONDITIONAL, "restore", "left suspended by an interrupted demo run"
        )
    walk.console.print(f"{CONDITIONAL} was left suspended by an earlier run: restored")


def run_oversight_flow(walk: Walkthrough) -> bool:
    """Run the flow; return whether every step held."""
    complaint = _complaint(walk)
    held = _suspend(walk, int(complaint["id"]))
    _objection(walk)
    return _resolve(walk, int(complaint["id"])) and held and _statistics(walk)


def _complaint(walk: Walkthrough) -> dict[str, Any]:
    walk.console.rule("[bold]Researcher: a privacy complaint, with evidence")
    with walk.client(Role.USER) as user:
        complaint = user.file_complaint(
            CONDITIONAL, "privacy", COMPLAINT, evidence_text="see the attached excerpt"
        )
        user.add_complaint_evidence(int(complaint["id"]), EVIDENCE, "note-excerpt.txt")
        complaint = user.get_complaint(int(complaint["id"]))
    files = ", ".join(
        f"{e['filename']} ({e['byte_size']} bytes, sha256 {e['sha256'][:12]}...)"
        for e in complaint["evidence"]
    )
    walk.console.print(
        f"complaint {complaint['id']} ({complaint['kind']}) on "
        f"{complaint['dataset']}: {complaint['status']}; evidence: {files}"
    )
    walk.console.print(
        stages_table(
            complaint, f"complaint {complaint['id']}: the provider answers within 10 working days"
        )
    )
    return complaint


def _suspend(walk: Walkthrough, complaint_id: int) -> bool:
    console = walk.console
    console.rule("[bold]Provider: the dataset suspended at once")
    with walk.client(Role.USER) as user, walk.client(Role.PROVIDER) as provider:
        waiting = user.submit_job([CONDITIONAL], source=RAW_MODEL, kind="raw")
        suspension = provider.suspend_dataset(
            CONDITIONAL,
            "a complaint says the notes may name residents; checking",
            complaint_id=complaint_id,
        )
        console.print(
            f"{CONDITIONAL} suspended by {suspension['suspended_by']} for complaint "
            f"{suspension['complaint_id']}: {suspension['reason']}"
        )
        stopped = user.wait_for_job(int(waiting["id"]), timeout=120)
        refused = _refused(console, user)
    if stopped["state"] == "pending_review":
        console.print(
            f"raw-access job {stopped['id']} had finished before the suspension: "
            "its result waits, frozen, in review"
        )
    else:
        console.print(
            f"raw-access job {stopped['id']}, submitted just before: "
            f"[cyan]{stopped['state']}[/] {stopped['state_reason']}"
        )
    return refused and stopped["state"] in ("cancelled", "pending_review")


def _refused(console: Console, user: SandboxClient) -> bool:
    try:
        job = user.submit_job([CONDITIONAL], model="mean_by_group", params=DP_PARAMS)
    except SandboxAPIError as refusal:
        console.print(f"a new DP job on {CONDITIONAL} is refused: {refusal.message}")
        return True
    console.print(f"[red]a job was accepted on the suspended dataset[/]: job {job['id']}")
    return False


def _objection(walk: Walkthrough) -> None:
    walk.console.rule("[bold]Researcher: an objection; the provider answers")
    with walk.client(Role.USER) as user, walk.client(Role.PROVIDER) as provider:
        objection = user.file_objection(CONDITIONAL, "error", OBJECTION)
        walk.console.print(
            stages_table(
                objection,
                f"objection {objection['id']} "
                f"({objection['kind']}) on version "
                f"{objection['version_at_filing']}",
            )
        )
        objection = provider.answer_objection(
            int(objection["id"]),
            "rejected",
            "110 is the declared public bound for the DP clamps; no value in the data is "
            "wrong, the oldest resident is 104",
        )
    walk.console.print(
        f"objection {objection['id']}: {objection['status']}, "
        f"{objection['outcome']} by {objection['answered_by']}: "
        f"{objection['answer']}"
    )


def _resolve(walk: Walkthrough, complaint_id: int) -> bool:
    walk.console.rule("[bold]Provider: the complaint answered, the suspension resolved")
    with walk.client(Role.PROVIDER) as provider:
        complaint = provider.answer_complaint(
            complaint_id,
            "restore",
            "the notes are generated phrases naming only clinics, never people; restored",
        )
        latest = provider.list_suspensions(CONDITIONAL)[0]
    walk.console.print(
        stages_table(
            complaint, f"complaint {complaint['id']}: {complaint['status']}, {complaint['outcome']}"
        )
    )
    walk.console.print(
        f"suspension {latest['id']}: resolved '{latest['resolution']}' by "
        f"{latest['resolved_by']}; {CONDITIONAL} suspended now: "
        f"{complaint['dataset_suspended']}"
    )
    return not latest["in_force"] and not complaint["dataset_suspended"]


def _statistics(walk: Walkthrough) -> bool:
    walk.console.rule("[bold]Authority: the platform's statistics")
    with walk.client(Role.AUTHORITY) as authority:
        stats = authority.stats()
    counts = Table("figure", "values", title=f"statistics at {str(stats['at'])[:19]}")
    for name in ("datasets_by_attribute", "applications_by_status", "grants_by_status"):
        counts.add_row(name, ", ".join(f"{k} {v}" for k, v in stats[name].items() if v))
    for name in ("complaints", "objections"):
        counts.add_row(name, ", ".join(f"{k} {v}" for k, v in stats[name].items()))
    counts.add_row("datasets suspended", str(stats["datasets_suspended"]))
    walk.console.print(counts)
    deadlines = Table(
        "case",
        "stage",
        "allowed",
        "met",
        "missed",
        "open",
        "overdue",
        title="deadlines (working days)",
    )
    for line in stats["deadlines"]:
        if line["closed"] or line["open"]:
            deadlines.add_row(
                line["subject"],
                line["stage"],
                str(line["working_days_allowed"]),
                str(line["met"]),
                str(line["missed"]),
                str(line["open"]),
                str(line["open_overdue"]),
            )
    walk.console.print(deadlines)
    for budget in stats["budgets"]:
        walk.console.print(
            f"budget of {budget['dataset']} ({budget['accounting']}): "
            f"{budget['spent_loss']} of {budget['limit_loss']} spent by "
            f"{budget['charges']} charges over {budget['grant_accounts']} grants"
        )
    return True
