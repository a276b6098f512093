"""``sandbox datasets``: the catalog on a remote server, for providers and readers."""

from __future__ import annotations

import enum
import json
from pathlib import Path
from typing import Annotated, Any, cast

import typer
from rich.table import Table

from sandbox.cli._output import cell, fail, note, out, when
from sandbox.cli._remote import DEFAULT_URL, TokenOption, UrlOption, remote
from sandbox.client import SourceFormat

app = typer.Typer(help="Browse, register and download datasets.", no_args_is_help=True)


class FileFormat(enum.StrEnum):
    """Formats a data file may be registered from."""

    PARQUET = "parquet"
    CSV = "csv"
    ARROW = "arrow"


class OutputFormat(enum.StrEnum):
    """Formats unconditional data may be downloaded as."""

    PARQUET = "parquet"
    CSV = "csv"


ExistingFile = Annotated[
    Path, typer.Argument(help="The local data file.", exists=True, dir_okay=False, readable=True)
]
FormatOption = Annotated[
    FileFormat | None,
    typer.Option("--format", help="The file's format; detected from its content if omitted."),
]


def _load_metadata(path: Path) -> dict[str, Any]:
    """The registration metadata (name, title, open_attribute, dictionary, ...) from JSON."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        fail(f"cannot read the metadata file {path}: {exc}")
    if not isinstance(data, dict):
        fail(f"the metadata file {path} must hold a JSON object")
    return cast(dict[str, Any], data)


def _source_format(fmt: FileFormat | None) -> SourceFormat | None:
    return None if fmt is None else fmt.value


@app.command("list")
def list_datasets(url: UrlOption = DEFAULT_URL, token: TokenOption = None) -> None:
    """The catalog as you may see it."""
    with remote(url, token) as client:
        entries = client.list_datasets()
    table = Table("name", "title", "provider", "attribute", "versions", "stale")
    for e in entries:
        versions = e.get("versions")
        table.add_row(
            cell(e["name"]),
            cell(e["title"]),
            cell(e["provider_org"]),
            cell(e["open_attribute"]),
            cell("-" if versions is None else len(versions)),
            cell("yes" if e["stale"] else ""),
        )
    out.print(table)


@app.command()
def show(
    name: Annotated[str, typer.Argument(help="The dataset's name.")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the raw JSON.")] = False,
) -> None:
    """One catalog entry with its data dictionary and versions."""
    with remote(url, token) as client:
        entry = client.get_dataset(name)
    if as_json:
        out.print_json(data=entry)
        return
    summary = Table.grid(padding=(0, 2))
    for key in (
        "name",
        "title",
        "description",
        "provider_org",
        "open_attribute",
        "open_conditions",
        "update_frequency",
        "contact",
        "legal_basis",
        "privacy_unit",
        "stale",
        "downloadable",
        "updated_at",
    ):
        summary.add_row(key, cell(entry.get(key)))
    out.print(summary)
    if entry.get("dictionary"):
        columns = Table(
            "column",
            "type",
            "classification",
            "description",
            "categories",
            "lower",
            "upper",
            title="data dictionary",
        )
        for c in entry["dictionary"]:
            columns.add_row(
                *(
                    cell(c.get(k))
                    for k in (
                        "name",
                        "type",
                        "classification",
                        "description",
                        "categories",
                        "lower",
                        "upper",
                    )
                )
            )
        out.print(columns)
    if entry.get("versions"):
        versions = Table(
            "version",
            "rows",
            "bytes",
            "format",
            "created",
            "by",
            "quality",
            "note",
            title="versions",
        )
        for v in entry["versions"]:
            versions.add_row(
                cell(v["version"]),
                cell(v["row_count"]),
                cell(v["byte_size"]),
                cell(v["source_format"]),
                when(v["created_at"]),
                cell(v["created_by"]),
                cell("passed" if v["quality_passed"] else "FAILED"),
                cell(v["note"]),
            )
        out.print(versions)
    if not entry.get("details_visible", True):
        note("details of this dataset are not shown to you: it is not open")


@app.command()
def register(
    file: ExistingFile,
    metadata: Annotated[
        Path,
        typer.Option(
            help="JSON file with the registration metadata and dictionary.",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
    fmt: FormatOption = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Upload FILE and register it as a new dataset (provider)."""
    fields = _load_metadata(metadata)
    with remote(url, token) as client:
        entry = client.register_dataset(file, fields, format=_source_format(fmt), progress=True)
    _report_version(f"registered {entry['name']!r} ({entry['open_attribute']})", entry)


@app.command("add-version")
def add_version(
    name: Annotated[str, typer.Argument(help="The dataset's name.")],
    file: ExistingFile,
    fmt: FormatOption = None,
    note_text: Annotated[str, typer.Option("--note", help="What changed.")] = "",
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Upload FILE as the dataset's next version (provider); old versions stay readable."""
    with remote(url, token) as client:
        entry = client.add_version(
            name, file, format=_source_format(fmt), note=note_text, progress=True
        )
    _report_version(f"added a version to {name!r}", entry)


def _report_version(what: str, entry: dict[str, Any]) -> None:
    latest = (entry.get("versions") or [{}])[-1]
    quality = "passed" if latest.get("quality_passed") else "FAILED"
    note(
        f"{what}: version {latest.get('version')}, {latest.get('row_count')} rows, "
        f"quality checks {quality}"
    )
    typer.echo(entry["name"])


@app.command()
def quality(
    name: Annotated[str, typer.Argument(help="The dataset's name.")],
    version: Annotated[int | None, typer.Option(help="Version; the newest if omitted.")] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """A version's quality report (counts only, never a value), as JSON."""
    with remote(url, token) as client:
        report = client.quality(name, version)
    out.print_json(data=report)


@app.command()
def preview(
    name: Annotated[str, typer.Argument(help="The dataset's name.")],
    rows: Annotated[int, typer.Option(help="How many rows (1-100).")] = 10,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Preview rows: synthetic for conditional data, real for unconditional data."""
    with remote(url, token) as client:
        shown = client.preview(name, rows)
    kind = "synthetic rows (not real data)" if shown["synthetic"] else "real rows"
    sample = shown.get("dp_synthetic")
    if sample:
        kind = f"a DP synthetic sample ({sample['mechanism']}, epsilon {sample['epsilon']})"
    table = Table(*shown["columns"], title=cell(f"{name}: {kind}"))  # names are [A-Za-z0-9_]
    for row in shown["rows"]:
        table.add_row(*(cell(row.get(c)) for c in shown["columns"]))
    out.print(table)


@app.command("synthetic-preview")
def synthetic_preview(
    name: Annotated[str, typer.Argument(help="Your conditional dataset's name.")],
    epsilon: Annotated[float, typer.Option(help="Privacy loss (from its lifetime budget).")],
    rows: Annotated[int, typer.Option(help="Rows of the sample (1-10000).")] = 1000,
    column: Annotated[
        list[str] | None, typer.Option(help="A column to synthesize (repeat; default: all).")
    ] = None,
    bins: Annotated[int | None, typer.Option(help="Equal bins per numeric column.")] = None,
    withdraw: Annotated[
        bool, typer.Option("--withdraw", help="Serve the uniform mock again instead.")
    ] = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Replace the uniform mock preview of your conditional dataset with a DP synthetic
    sample (MST), charged to its lifetime budget; or withdraw it with --withdraw.
    """
    with remote(url, token) as client:
        if withdraw:
            result = client.withdraw_synthetic_preview(name)
        else:
            result = client.make_synthetic_preview(
                name, epsilon, rows=rows, columns=column or None, bins=bins
            )
    out.print_json(data=result)


@app.command()
def download(
    name: Annotated[str, typer.Argument(help="The dataset's name.")],
    dest: Annotated[
        Path, typer.Argument(metavar="OUT", help="Where to save the file.", dir_okay=False)
    ],
    fmt: Annotated[OutputFormat, typer.Option("--format", help="File format.")] = (
        OutputFormat.PARQUET
    ),
    version: Annotated[int | None, typer.Option(help="Version; the newest if omitted.")] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Save unconditional data to OUT (conditional data is never downloadable)."""
    with remote(url, token) as client:
        result = client.download(name, dest, format=fmt.value, version=version, progress=True)
    note(f"saved {result.byte_size} bytes of {name!r} version {result.version} to {result.path}")
