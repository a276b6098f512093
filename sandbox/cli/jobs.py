"""``sandbox jobs``: submit an algorithm model, follow it live, read its log, cancel it; try it
first on mock data (``sandbox jobs dry-run``); and ``sandbox jobs algorithms`` lists the
vetted models a job may name.
"""

from __future__ import annotations

import json
import time
import unicodedata
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.live import Live
from rich.table import Table
from rich.text import Text

from sandbox.cli._output import cell, err, fail, note, out, when
from sandbox.cli._remote import DEFAULT_URL, TokenOption, UrlOption, remote
from sandbox.client import SandboxClient

app = typer.Typer(
    help="Jobs: run algorithm models on datasets under your grants.", no_args_is_help=True
)

IdArgument = Annotated[int, typer.Argument(help="The job's id.")]


def _params(values: list[str] | None, params_json: str | None) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if params_json:
        try:
            loaded = json.loads(params_json)
        except json.JSONDecodeError as exc:
            fail(f"--params-json is not JSON: {exc}")
        if not isinstance(loaded, dict):
            fail("--params-json must be a JSON object")
        params.update(loaded)
    for item in values or []:
        name, sep, text = item.partition("=")
        if not sep or not name:
            fail(f"--param {item!r} must look like name=value")
        try:
            params[name] = json.loads(text)
        except json.JSONDecodeError:
            params[name] = text  # a bare word is a string
    return params


def _status_line(job: dict[str, Any], started: float) -> Text:
    progress = job.get("progress") or {}
    line = Text()
    line.append(f"job {job['id']} ", style="bold")
    line.append(str(job["state"]), style="cyan")
    line.append(f"  {time.monotonic() - started:5.1f} s")
    line.append(f"  dp calls: {progress.get('dp_calls', 0)}")
    line.append(f"  backend: {job['backend']}")
    if job.get("state_reason"):
        line.append(f"  ({job['state_reason']})")
    return line


def follow(client: SandboxClient, job_id: int, timeout: float) -> dict[str, Any]:
    """Show the job's state live on stderr until it leaves the running part of its life."""
    started = time.monotonic()
    first = client.get_job(job_id)
    with Live(
        _status_line(first, started), console=err, transient=False, refresh_per_second=8
    ) as live:
        return client.wait_for_job(
            job_id, timeout=timeout, on_update=lambda job: live.update(_status_line(job, started))
        )


def _show(job: dict[str, Any]) -> None:
    grid = Table.grid(padding=(0, 2))
    for key in (
        "id",
        "owner",
        "kind",
        "grant",
        "datasets",
        "model",
        "description",
        "params",
        "backend",
        "state",
        "state_reason",
        "outcome",
        "progress",
        "duration",
    ):
        grid.add_row(key, cell(job.get(key)))
    grid.add_row("submitted", when(job.get("submitted_at")))
    grid.add_row("finished", when(job.get("finished_at")))
    if job.get("held"):
        grid.add_row(
            "held",
            cell(
                "log, errors and result are released with the result, "
                "after the output checks and review"
            ),
        )
    if job.get("log_review"):
        grid.add_row(
            "log review",
            cell(
                job["log_review"]
                + (f": {job['log_review_reason']}" if job.get("log_review_reason") else "")
            ),
        )
    for error in job.get("errors") or []:
        grid.add_row("error", cell(printable(str(error))))  # the model chose this text
    for release in job.get("releases") or []:
        grid.add_row(
            "charged",
            cell(
                f"{release.get('dataset')} v{release.get('version')} "
                f"{release.get('operation')}: {release.get('charged')}"
            ),
        )
    if job.get("result") is not None:
        grid.add_row("result", cell(job["result"]))
    out.print(grid)


@app.command()
def submit(
    datasets: Annotated[list[str], typer.Argument(help="The datasets the job reads.")],
    source: Annotated[
        Path | None,
        typer.Option("--source", help="The model's Python file.", exists=True, dir_okay=False),
    ] = None,
    model: Annotated[str | None, typer.Option(help="A vetted model's name instead.")] = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="A parameter as name=value (value as JSON, or a word)."),
    ] = None,
    params_json: Annotated[str | None, typer.Option(help="All parameters as JSON.")] = None,
    kind: Annotated[str, typer.Option(help="dp, or raw where your grant allows it.")] = "dp",
    grant: Annotated[str | None, typer.Option(help="The grant to run under.")] = None,
    wait: Annotated[bool, typer.Option(help="Follow the job live until it is done.")] = True,
    timeout: Annotated[float, typer.Option(help="Seconds to follow it.")] = 600.0,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Submit a job and (by default) follow it live until it is done or waits for review."""
    text = source.read_text(encoding="utf-8") if source is not None else None
    with remote(url, token) as client:
        job = client.submit_job(
            datasets,
            source=text,
            model=model,
            params=_params(param, params_json),
            kind=kind,
            grant=grant,
        )
        note(f"job {job['id']} submitted ({job['kind']}, backend {job['backend']})")
        if wait:
            job = follow(client, job["id"], timeout)
    _show(job)
    if job["state"] in ("failed", "cancelled"):
        raise typer.Exit(1)


@app.command("dry-run")
def dry_run(
    model: Annotated[
        Path, typer.Argument(help="The model's Python file.", exists=True, dir_okay=False)
    ],
    dataset: Annotated[
        list[str],
        typer.Option("--dataset", "-d", help="A dataset the model reads (repeat for several)."),
    ],
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="A parameter as name=value (value as JSON, or a word)."),
    ] = None,
    params_json: Annotated[str | None, typer.Option(help="All parameters as JSON.")] = None,
    kind: Annotated[str, typer.Option(help="dp, or raw where your grant allows it.")] = "dp",
    grant: Annotated[str | None, typer.Option(help="The grant to run under.")] = None,
    profile: Annotated[
        str | None,
        typer.Option(help="restricted (the default) or scientific, where the policy allows it."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the raw JSON.")] = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Try a model on the datasets' mock data on the server: its result, log and errors at
    once, what it would spend, what the release checks would say. Nothing is charged.
    """
    with remote(url, token) as client:
        run = client.dry_run(
            model, dataset, _params(param, params_json), kind=kind, grant=grant, profile=profile
        )
    if as_json:
        out.print_json(data=run)
    else:
        show_dry_run(run)
    if run["outcome"] != "ok":
        raise typer.Exit(1)


def show_dry_run(run: dict[str, Any]) -> None:
    """A dry run's outcome: its facts, the model's log and errors (escaped), what each
    dataset would be charged, the release checks' verdict, then the result.
    """
    grid = Table.grid(padding=(0, 2))
    mocks = ", ".join(
        f"{name} ({mock.get('rows')} mock rows)" for name, mock in (run.get("mock") or {}).items()
    )
    for key, value in (
        ("dry run", run.get("id")),
        ("kind", run.get("kind")),
        ("grant", run.get("grant")),
        ("datasets", mocks),
        ("backend", run.get("backend")),
        ("profile", run.get("profile")),
        ("outcome", run.get("outcome")),
        ("reason", run.get("reason")),
        ("duration", run.get("duration")),
    ):
        if value not in (None, ""):
            grid.add_row(key, cell(value))
    for error in run.get("errors") or []:
        grid.add_row("error", cell(printable(str(error))))  # the model chose this text
    for refusal in run.get("refusals") or []:
        grid.add_row("refused", cell(f"{refusal.get('call')} ({refusal.get('reason')})"))
    for name, spend in (run.get("spend") or {}).items():
        left = spend.get("grant_remaining")
        grid.add_row(
            "would spend",
            cell(
                f"{name}: {spend.get('text')} in "
                f"{spend.get('calls')} calls" + (f", leaving {left} of the grant" if left else "")
            ),
        )
    checks = run.get("checks")
    if checks is not None:
        failed = sorted(
            {
                str(line.get("rule"))
                for line in checks["report"].get("lines", [])
                if not line.get("passed")
            }
        )
        grid.add_row(
            "checks",
            cell(
                f"a job would be {checks['would_be']}"
                + (f" (not passed: {', '.join(failed)})" if failed else "")
            ),
        )
    grid.add_row("charged", cell("nothing (a dry run on mock data)"))
    out.print(grid)
    for line in run.get("log") or []:
        out.print(log_line({"source": "model", "text": line}), highlight=False)
    if run.get("log_truncated"):
        out.print(
            log_line({"source": "platform", "text": "the log was truncated"}), highlight=False
        )
    if run.get("result") is not None:  # the model chose every string of it
        for line in json.dumps(run["result"], ensure_ascii=False, indent=2).splitlines():
            out.print(Text(printable(line)), highlight=False)


@app.command("list")
def list_jobs(
    state: Annotated[str | None, typer.Option(help="Only jobs in this state.")] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """The jobs you may see, newest first."""
    with remote(url, token) as client:
        found = client.list_jobs(state)
    table = Table("id", "owner", "kind", "datasets", "model", "state", "submitted")
    for j in found:
        table.add_row(
            cell(j["id"]),
            cell(j["owner"]),
            cell(j["kind"]),
            cell(", ".join(j["datasets"])),
            cell(j["model"] or "(source)"),
            cell(j["state"]),
            when(j["submitted_at"]),
        )
    out.print(table)


@app.command()
def show(
    job_id: IdArgument,
    watch: Annotated[bool, typer.Option(help="Follow it live first.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the raw JSON.")] = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """One job: state, progress, what it was charged, errors (DP jobs)."""
    with remote(url, token) as client:
        job = follow(client, job_id, 600.0) if watch else client.get_job(job_id)
    if as_json:
        out.print_json(data=job)
        return
    _show(job)


@app.command()
def log(job_id: IdArgument, url: UrlOption = DEFAULT_URL, token: TokenOption = None) -> None:
    """A job's log lines."""
    with remote(url, token) as client:
        found = client.job_log(job_id)
    if found["held"]:
        note(
            "this job's log is held: it is released with the result, after the output "
            "checks and review (for a job that ended without one, ask for it: "
            f"sandbox jobs request-log-review {job_id})"
        )
    entries = found.get("entries")
    if entries is None:  # a server from before entries: every line is the model's
        entries = [{"source": "model", "text": line} for line in found["lines"]]
    for entry in entries:
        out.print(log_line(entry), highlight=False)


_LINE_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r"}
_SHOWN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
"""Unicode categories escaped for display: controls (C0, DEL, C1, so ESC and NUL), format
characters (bidi overrides and isolates, zero-width ones), surrogates, line separators."""


def printable(text: str) -> str:
    r"""``text`` with every character that could change how a terminal shows it escaped.

    A model's log line could clear the screen (``\x1b[2J``), move the cursor to overwrite
    an earlier line, reverse the order of what follows (U+202E) or hide a NUL; escaped, it
    is one visible line. Tabs stay; a backslash is doubled, so an escape the model wrote as
    text is told apart from one made here.
    """
    shown = []
    for char in text:
        if char in _LINE_ESCAPES:
            shown.append(_LINE_ESCAPES[char])
        elif char != "\t" and unicodedata.category(char) in _SHOWN_CATEGORIES:
            code = ord(char)
            shown.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            shown.append(char)
    return "".join(shown)


def log_line(entry: dict[str, Any]) -> Text:
    """One log entry as a terminal line, marked with who wrote it: ``model    |`` before
    the model's text (escaped), ``platform |`` before the platform's own entries. A model's
    text cannot begin a line of its own, so it cannot pass for the platform's.
    """
    source = "platform" if entry.get("source") == "platform" else "model"
    line = Text(f"{source:<8} | ", style="bold cyan" if source == "platform" else "dim")
    line.append(printable(str(entry.get("text", ""))), style="bold" if source == "platform" else "")
    return line


@app.command("request-log-review")
def request_log_review(
    job_id: IdArgument, url: UrlOption = DEFAULT_URL, token: TokenOption = None
) -> None:
    """Ask for your job's held log and errors to be reviewed (a job that failed, was
    rejected or cancelled, or waits in review); a reviewer releases or refuses them.
    """
    with remote(url, token) as client:
        job = client.request_log_review(job_id)
    note(f"job {job_id}: log review {job['log_review']}")


@app.command()
def cancel(job_id: IdArgument, url: UrlOption = DEFAULT_URL, token: TokenOption = None) -> None:
    """Cancel a job you submitted."""
    with remote(url, token) as client:
        job = client.cancel_job(job_id)
    note(f"job {job_id}: {job['state']}" + (" (stopping)" if job["state"] == "running" else ""))


@app.command()
def algorithms(url: UrlOption = DEFAULT_URL, token: TokenOption = None) -> None:
    """The vetted algorithm models a job may name (``--model``)."""
    with remote(url, token) as client:
        found = client.list_algorithms()
    table = Table("name", "summary", "parameters")
    for m in found:
        table.add_row(cell(m["name"]), cell(m["summary"]), cell(", ".join(m["params"])))
    out.print(table)
