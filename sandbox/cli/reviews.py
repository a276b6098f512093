"""``sandbox reviews``: the review queue, a result under review, decisions; and
``sandbox reviews download`` for a released result.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from sandbox.cli._output import cell, note, out, when
from sandbox.cli._remote import DEFAULT_URL, TokenOption, UrlOption, remote
from sandbox.cli.jobs import printable

app = typer.Typer(
    help="Review results (reviewers) and download released ones (their owner).",
    no_args_is_help=True,
)

IdArgument = Annotated[int, typer.Argument(help="The job's id.")]


@app.command("queue")
def review_queue(url: UrlOption = DEFAULT_URL, token: TokenOption = None) -> None:
    """Results waiting for review."""
    with remote(url, token) as client:
        found = client.review_queue()
    table = Table("job", "owner", "kind", "datasets", "model", "reason", "since")
    for j in found:
        table.add_row(
            cell(j["id"]),
            cell(j["owner"]),
            cell(j["kind"]),
            cell(", ".join(j["datasets"])),
            cell(j["model"] or "(source)"),
            cell(j["state_reason"]),
            when(j["updated_at"]),
        )
    out.print(table)


def _report(report: dict[str, Any]) -> Table:
    table = Table("rule", "where", "statistic", "result", "note", title="output checks")
    for line in report.get("lines", []):
        verdict = "pass" if line.get("passed") else ("BLOCK" if line.get("blocking") else "flag")
        table.add_row(
            cell(line.get("rule")),
            cell(line.get("where")),
            cell(line.get("statistic")),
            cell(verdict),
            cell(line.get("note")),
        )
    return table


@app.command()
def show(
    job_id: IdArgument,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    source: Annotated[bool, typer.Option(help="Print the model's source too.")] = False,
) -> None:
    """A result under review: the check report, what would be released, decisions."""
    with remote(url, token) as client:
        view = client.get_review(job_id)
    job = view["job"]
    out.print(
        f"job {job['id']} by {job['owner']} ({job['kind']}) on "
        f"{', '.join(job['datasets'])}: {job['state']} - {job['state_reason']}",
        markup=False,
    )
    if view["frozen"]:
        note(f"frozen: {view['frozen']}")
    if job.get("log_review"):
        note(
            f"log review: {job['log_review']}"
            + (
                f" (decide: sandbox reviews release-log {job_id} / refuse-log {job_id})"
                if view.get("can_decide_log")
                else ""
            )
        )
    for error in job.get("errors") or []:
        out.print(f"error: {printable(str(error))}", markup=False, highlight=False)
    out.print(_report(view["check_report"]))
    out.print(cell(view["release"]))
    for d in view["decisions"]:
        out.print(f"{d['reviewer']}: {d['outcome']} {d['reason']}", markup=False)
    note(
        f"approvals needed: {view['required_approvals']}; earlier releases of this user on "
        f"these datasets: {len(view['earlier_releases'])}"
    )
    if source:
        out.print(view["source"], markup=False, highlight=False)


def _decide(job_id: int, outcome: str, reason: str, url: str, token: str | None) -> None:
    with remote(url, token) as client:
        view = client.decide_review(job_id, outcome, reason)
    note(f"job {job_id}: {view['job']['state']} ({view['job']['state_reason']})")


@app.command()
def approve(
    job_id: IdArgument,
    note_text: Annotated[str, typer.Option("--note", help="An optional note.")] = "",
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Approve a result (released once enough reviewers approved)."""
    _decide(job_id, "approve", note_text, url, token)


@app.command()
def reject(
    job_id: IdArgument,
    reason: Annotated[str, typer.Option(help="Why (shown to the job's owner).")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Reject a result, with the reason."""
    _decide(job_id, "reject", reason, url, token)


@app.command("return")
def return_for_changes(
    job_id: IdArgument,
    reason: Annotated[str, typer.Option(help="What to change (shown to the owner).")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Return a result for changes, with what to change."""
    _decide(job_id, "return", reason, url, token)


@app.command("logs")
def log_queue(url: UrlOption = DEFAULT_URL, token: TokenOption = None) -> None:
    """Held logs their authors asked to have reviewed (``show JOB`` and
    ``sandbox jobs log JOB`` read one).
    """
    with remote(url, token) as client:
        found = client.log_review_queue()
    table = Table("job", "owner", "kind", "datasets", "state", "outcome", "since")
    for j in found:
        table.add_row(
            cell(j["id"]),
            cell(j["owner"]),
            cell(j["kind"]),
            cell(", ".join(j["datasets"])),
            cell(j["state"]),
            cell(j["outcome"]),
            when(j["updated_at"]),
        )
    out.print(table)


def _decide_log(job_id: int, outcome: str, reason: str, url: str, token: str | None) -> None:
    with remote(url, token) as client:
        view = client.decide_log(job_id, outcome, reason)
    note(f"job {job_id}: log {view['job']['log_review']}")


@app.command("release-log")
def release_log(
    job_id: IdArgument, url: UrlOption = DEFAULT_URL, token: TokenOption = None
) -> None:
    """Release a held log and errors to the job's author (who asked for it)."""
    _decide_log(job_id, "release", "", url, token)


@app.command("refuse-log")
def refuse_log(
    job_id: IdArgument,
    reason: Annotated[str, typer.Option(help="Why (shown to the job's owner).")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Refuse to release a held log, with the reason."""
    _decide_log(job_id, "refuse", reason, url, token)


@app.command()
def download(
    job_id: IdArgument,
    dest: Annotated[Path, typer.Argument(help="Where to write it.")],
    fmt: Annotated[str, typer.Option("--format", help="json, csv or parquet.")] = "json",
    part: Annotated[str | None, typer.Option(help="A table inside the result.")] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Download a released result (its owner)."""
    with remote(url, token) as client:
        content = client.download_result(job_id, dest, format=fmt, part=part)
    note(f"wrote {len(content)} bytes to {dest}")
