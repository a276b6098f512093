"""``sandbox governance``: catalog governance over the API (``api/routers/governance.py``):
security grades and their policy levels, the authority's publication review of submitted
versions (Qingdao art. 10, 12: within 2 working days), annual quality assessments and
update reminders (Qingdao art. 14; Wuxi art. 13).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from sandbox.cli._output import cell, fail, note, out, when
from sandbox.cli._remote import DEFAULT_URL, TokenOption, UrlOption, remote

app = typer.Typer(
    help="Catalog governance: grades, publication review, quality assessments, reminders.",
    no_args_is_help=True,
)

StatusOption = Annotated[str, typer.Option(help="submitted, passed, returned or all.")]


def _review_line(review: dict[str, Any]) -> str:
    due = f", due {review['due_on']}" if review.get("due_on") else ""
    reason = f": {review['note']}" if review.get("note") else ""
    return f"{review['dataset']} version {review['version']}: {review['status']}{due}{reason}"


def _assessment_line(found: dict[str, Any]) -> str:
    return (
        f"quality assessment {found['id']} of {found['dataset']} ({found['year']}): "
        f"{found['status']}"
    )


# ---- grades --------------------------------------------------------------------------------


@app.command()
def grades(url: UrlOption = DEFAULT_URL, token: TokenOption = None) -> None:
    """The grades and the policy level each holds in force (as a policy document)."""
    with remote(url, token) as client:
        levels = client.grade_levels()
    table = Table("grade", "label", "level in force", "set by", "at")
    for level in levels:
        table.add_row(
            cell(level["grade"]),
            cell(level["label"]),
            cell(level["in_force"]),
            cell(level["set_by"]),
            when(level["set_at"]),
        )
    out.print(table)


@app.command("set-level")
def set_level(
    grade: Annotated[str, typer.Argument(help="general, important or core.")],
    document: Annotated[Path, typer.Argument(help="A policy document (YAML or JSON) file.")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Tighten a grade's policy level (authority; never looser than the shipped level)."""
    if not document.is_file():
        fail(f"{document} is not a file")
    with remote(url, token) as client:
        level = client.set_grade_level(grade, document.read_text(encoding="utf-8"))
    note(f"grade {level['grade']}: level in force {json.dumps(level['in_force'])}")


@app.command()
def grade(
    dataset: Annotated[str, typer.Argument(help="The dataset's name.")],
    propose: Annotated[
        str | None, typer.Option(help="Propose this grade (provider): general, important, core.")
    ] = None,
    reason: Annotated[str, typer.Option(help="Why (with --propose).")] = "",
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """A dataset's grade; with --propose, the provider proposes a new one."""
    with remote(url, token) as client:
        found = (
            client.propose_grade(dataset, propose, reason)
            if propose
            else client.dataset_grade(dataset)
        )
    note(
        f"{found['dataset']}: approved {found['approved'] or '(none)'}, "
        f"proposed {found['proposed'] or '(none)'}, in force {found['in_force']}"
    )


@app.command("decide-grade")
def decide_grade(
    dataset: Annotated[str, typer.Argument(help="The dataset's name.")],
    approve: Annotated[bool, typer.Option("--approve", help="Approve the proposal.")] = False,
    reject: Annotated[bool, typer.Option("--reject", help="Reject the proposal.")] = False,
    grade_: Annotated[
        str | None, typer.Option("--grade", help="Approve this grade instead (with --note).")
    ] = None,
    note_text: Annotated[str, typer.Option("--note", help="Why.")] = "",
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Approve or reject a dataset's proposed grade (authority)."""
    if approve == reject:
        fail("say --approve or --reject")
    with remote(url, token) as client:
        found = client.decide_grade(dataset, approve, grade_, note_text)
    note(f"{found['dataset']}: approved {found['approved'] or '(none)'}")


# ---- publication review --------------------------------------------------------------------


@app.command()
def queue(
    status: StatusOption = "submitted",
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Submitted versions waiting for the authority, the nearest deadline first."""
    with remote(url, token) as client:
        found = client.publication_reviews(status)
    table = Table(
        "dataset", "version", "provider", "status", "submitted", "due", "left", "grade", "note"
    )
    for r in found:
        table.add_row(
            cell(r["dataset"]),
            cell(r["version"]),
            cell(r["provider_org"]),
            cell(r["status"]),
            when(r["submitted_at"]),
            cell(r["due_on"]),
            cell(r["working_days_left"]),
            cell(r["grade"] or r["proposed_grade"]),
            cell(r["note"]),
        )
    out.print(table)


@app.command()
def review(
    dataset: Annotated[str, typer.Argument(help="The dataset's name.")],
    version: Annotated[int, typer.Argument(help="The submitted version.")],
    pass_: Annotated[bool, typer.Option("--pass", help="Pass it: publish.")] = False,
    return_: Annotated[bool, typer.Option("--return", help="Return it (with --reason).")] = False,
    reason: Annotated[str, typer.Option(help="Why it is returned.")] = "",
    grade_: Annotated[
        str | None, typer.Option("--grade", help="The grade a first pass approves.")
    ] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Pass or return a submitted version (authority): exactly one of --pass and --return."""
    if pass_ == return_:
        fail("say --pass or --return")
    with remote(url, token) as client:
        done = client.review_version(
            dataset, version, "pass" if pass_ else "return", reason, grade_
        )
    note(_review_line(done))


@app.command()
def resubmit(
    dataset: Annotated[str, typer.Argument(help="The dataset's name.")],
    version: Annotated[int, typer.Argument(help="The returned version.")],
    note_text: Annotated[str, typer.Option("--note", help="What was put right.")] = "",
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Submit a returned version again (provider)."""
    with remote(url, token) as client:
        done = client.resubmit_version(dataset, version, note_text)
    note(_review_line(done))


# ---- quality duties ------------------------------------------------------------------------


@app.command()
def assess(
    dataset: Annotated[str, typer.Argument(help="The dataset's name.")],
    year: Annotated[int | None, typer.Option(help="The year assessed (default: this one).")] = None,
    request: Annotated[str, typer.Option(help="What the authority asks for.")] = "",
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Open a dataset's annual quality assessment (authority)."""
    with remote(url, token) as client:
        made = client.open_quality_assessment(dataset, year, request)
    note(_assessment_line(made))


@app.command()
def assessments(
    status: Annotated[str | None, typer.Option(help="Only this status.")] = None,
    dataset: Annotated[str | None, typer.Option(help="Only this dataset's.")] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Quality assessments, newest first."""
    with remote(url, token) as client:
        found = client.quality_assessments(status, dataset)
    table = Table("id", "dataset", "year", "status", "opened", "answer version", "conclusion")
    for a in found:
        table.add_row(
            cell(a["id"]),
            cell(a["dataset"]),
            cell(a["year"]),
            cell(a["status"]),
            when(a["opened_at"]),
            cell(a["answer_version"]),
            cell(a["conclusion"]),
        )
    out.print(table)


@app.command()
def answer(
    assessment_id: Annotated[int, typer.Argument(help="The assessment's id.")],
    version: Annotated[
        int | None, typer.Option(help="The version whose report answers (default: newest).")
    ] = None,
    note_text: Annotated[str, typer.Option("--note", help="The provider's note.")] = "",
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Answer an assessment or its rectification with a quality report (provider)."""
    with remote(url, token) as client:
        done = client.answer_quality_assessment(assessment_id, version, note_text)
    note(_assessment_line(done))


@app.command()
def conclude(
    assessment_id: Annotated[int, typer.Argument(help="The assessment's id.")],
    satisfactory: Annotated[bool, typer.Option("--satisfactory", help="Close it.")] = False,
    rectify: Annotated[
        bool, typer.Option("--rectify", help="Order a rectification (with --note).")
    ] = False,
    note_text: Annotated[str, typer.Option("--note", help="What must be rectified.")] = "",
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Conclude an answered assessment (authority): --satisfactory or --rectify."""
    if satisfactory == rectify:
        fail("say --satisfactory or --rectify")
    with remote(url, token) as client:
        done = client.conclude_quality_assessment(
            assessment_id, "satisfactory" if satisfactory else "rectify", note_text
        )
    note(_assessment_line(done))


@app.command()
def remind(
    lead: Annotated[int, typer.Option(help="Working days ahead of a lapse to remind.")] = 5,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Send the update reminders now due (authority, admin)."""
    with remote(url, token) as client:
        sent = client.sweep_update_reminders(lead)
    for r in sent:
        out.print(cell(f"{r['dataset']} version {r['version']}: update due by {r['lapses_on']}"))
    note(f"{len(sent)} reminder(s) sent")
