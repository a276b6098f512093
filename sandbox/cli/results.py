"""``sandbox results``: a released result, downloaded by its job's owner (``GET
/v1/results/{job_id}``, served beside the reviews in ``api/routers/reviews.py``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from sandbox_client.results import figures_of

from sandbox.cli._output import note
from sandbox.cli._remote import DEFAULT_URL, TokenOption, UrlOption, remote

app = typer.Typer(help="Released results: download them (their job's owner).", no_args_is_help=True)


@app.command()
def download(
    job_id: Annotated[int, typer.Argument(metavar="JOB", help="The job's id.")],
    dest: Annotated[Path, typer.Argument(metavar="FILE", help="Where to write it.")],
    fmt: Annotated[str, typer.Option("--format", help="json, csv or parquet.")] = "json",
    part: Annotated[str | None, typer.Option(help="A table of a result holding several.")] = None,
    figures: Annotated[
        Path | None,
        typer.Option(
            help="Where to write the result's figures (PNG, SVG); default: beside FILE.",
            file_okay=False,
        ),
    ] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Download a released result (its job's owner) as JSON, CSV or Parquet; its figures,
    if it holds any, are written as files beside it (or into --figures).
    """
    with remote(url, token) as client:
        content = client.download_result(job_id, dest, format=fmt, part=part)
        note(f"wrote {len(content)} bytes to {dest}")
        if fmt == "json" and part is None:
            found = figures_of(json.loads(content))
        elif figures is not None:
            found = client.result(job_id).figures()
        else:
            found = []
    if found:
        folder = figures if figures is not None else dest.parent
        folder.mkdir(parents=True, exist_ok=True)
        for figure in found:
            written = figure.save(folder / figure.name)
            size = f"{figure.media_type}, {len(figure.data)} bytes"
            note(f"wrote figure {figure.name} ({size}) to {written}")
