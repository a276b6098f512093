"""``sandbox run --mock model.py --dataset X``: develop a model on your own machine, offline.

Like ``opensafely run`` on dummy data: the model runs here, on the datasets' mock tables
(the rows a dry run on the server reads, generated from the data dictionaries), in the
strongest sandbox of this machine, under the policy of your grant, with the trusted query
engine answering its DP calls; you see its result, log and errors at once, what it would
spend and what the release checks would say (:mod:`sandbox.jobs.local_run`). Nothing is
sent back; nothing is charged.

The mock tables are fetched from the server (``GET /v1/datasets/{name}/mock``, under your
grant) and kept in ``--mock-dir``; ``--offline`` runs on the kept ones without a connection
(their policy and budget are as they were when fetched).
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Annotated, Any

import typer

from sandbox.cli._output import fail, note, out, reported_errors
from sandbox.cli._remote import DEFAULT_URL, TokenOption, UrlOption, remote
from sandbox.cli.jobs import _params, show_dry_run

DEFAULT_MOCK_DIR = Path(".sandbox-mock")
"""Where fetched mock tables are kept, beside the model (one JSON file per dataset)."""

_SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


def _kept(mock_dir: Path, dataset: str) -> Path:
    if not _SAFE_NAME.match(dataset):
        fail(f"{dataset!r} is not a dataset name")
    return mock_dir / f"{dataset}.json"


def _fetch(
    datasets: list[str], grant: str | None, mock_dir: Path, url: str, token: str | None
) -> list[dict[str, Any]]:
    found = []
    with remote(url, token) as client:
        for dataset in datasets:
            path = _kept(mock_dir, dataset)
            data = client.mock_table(dataset, grant=grant)
            mock_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(data), encoding="utf-8")
            note(f"{dataset}: {data['rows']} mock rows under grant {data['grant']}, kept in {path}")
            found.append(data)
    return found


def _read_kept(datasets: list[str], mock_dir: Path) -> list[dict[str, Any]]:
    found = []
    for dataset in datasets:
        path = _kept(mock_dir, dataset)
        if not path.is_file():
            fail(
                f"no mock table of {dataset!r} is kept in {mock_dir}; run once without "
                "--offline to fetch it"
            )
        try:
            found.append(json.loads(path.read_text(encoding="utf-8")))
        except json.JSONDecodeError as exc:
            fail(f"{path} is not a kept mock table: {exc}")
    return found


def run(
    model: Annotated[
        Path, typer.Argument(help="The model's Python file.", exists=True, dir_okay=False)
    ],
    dataset: Annotated[
        list[str],
        typer.Option("--dataset", "-d", help="A dataset the model reads (repeat for several)."),
    ],
    mock: Annotated[
        bool,
        typer.Option("--mock", help="Run on the datasets' mock data here (the only local mode)."),
    ] = False,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="A parameter as name=value (value as JSON, or a word)."),
    ] = None,
    params_json: Annotated[str | None, typer.Option(help="All parameters as JSON.")] = None,
    kind: Annotated[str, typer.Option(help="dp, or raw where your grant allows it.")] = "dp",
    grant: Annotated[str | None, typer.Option(help="The grant to fetch the mocks under.")] = None,
    profile: Annotated[
        str,
        typer.Option(help="restricted (the default) or scientific, where the policy allows it."),
    ] = "restricted",
    mock_dir: Annotated[
        Path, typer.Option(help="Where fetched mock tables are kept.")
    ] = DEFAULT_MOCK_DIR,
    offline: Annotated[
        bool,
        typer.Option(help="Use the mock tables kept in --mock-dir; do not contact the server."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the raw JSON.")] = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Run a model on mock data on this machine: its result, log and errors at once, what
    it would spend, what the release checks would say. Nothing is charged or sent back.
    """
    if not mock:
        fail(
            "sandbox run only runs on mock data here: add --mock (a real job runs on the "
            "server: sandbox jobs submit)"
        )
    source = model.read_text(encoding="utf-8")
    params = _params(param, params_json)
    kept = (
        _read_kept(dataset, mock_dir) if offline else _fetch(dataset, grant, mock_dir, url, token)
    )
    with reported_errors():
        from sandbox.jobs.local_run import LocalMock, run_locally

        done = run_locally(
            [LocalMock.from_json(data) for data in kept], source, params, kind=kind, profile=profile
        )
    result: dict[str, Any] = json.loads(json.dumps(dataclasses.asdict(done), default=str))
    if as_json:
        out.print_json(data=result)
    else:
        show_dry_run(result)
    if result["outcome"] != "ok":
        raise typer.Exit(1)
