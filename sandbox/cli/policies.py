"""``sandbox policies``: read the floor and a dataset's policies; the authority sets the floor,
a provider its dataset's (``api/routers/policies.py``).

Policies are shown as the YAML documents that would set them again (``--json`` for the raw
answer), so what is printed can be edited and given back to ``set-floor`` or ``set-dataset``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.text import Text

from sandbox.cli._output import fail, note, out
from sandbox.cli._remote import DEFAULT_URL, TokenOption, UrlOption, remote

app = typer.Typer(help="Policies: the authority's floor and each dataset's.", no_args_is_help=True)

DocumentArgument = Annotated[
    str,
    typer.Argument(
        metavar="FILE", help="The policy document, YAML or JSON ('-' reads standard input)."
    ),
]


def _read_document(source: str) -> str:
    """The document's text, sent as it is: the server parses it and names any bad field."""
    if source == "-":
        return sys.stdin.read()
    path = Path(source)
    if not path.is_file():
        fail(f"no policy document at {source}")
    return path.read_text(encoding="utf-8")


def _print_level(title: str, level: dict[str, Any]) -> None:
    set_by = (
        f"set by {level['set_by']} at {level['set_at'][:16].replace('T', ' ')}"
        if level.get("set_by")
        else "not set: the platform's own rules apply"
    )
    out.print(Text(f"# {title} ({set_by})"))
    _print_yaml(level["document"])


def _print_yaml(document: dict[str, Any]) -> None:
    out.print(
        Text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True) if document else "{}\n"),
        end="",
    )


@app.command()
def show(
    dataset: Annotated[
        str | None,
        typer.Argument(help="A dataset: its floor, own and effective policy (default: the floor)."),
    ] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the raw JSON.")] = False,
) -> None:
    """The platform floor, or a dataset's floor, own and effective policy (everyone)."""
    with remote(url, token) as client:
        found = client.get_floor() if dataset is None else client.get_dataset_policy(dataset)
    if as_json:
        out.print_json(data=found)
    elif dataset is None:
        _print_level("floor", found)
    else:
        _print_level("floor", found["floor"])
        out.print(Text("---"))
        _print_level(f"dataset policy of {dataset}", found["dataset_policy"])
        out.print(Text("---"))
        out.print(Text(f"# effective policy of {dataset} (what its jobs run under)"))
        _print_yaml(found["effective"])


@app.command("set-floor")
def set_floor(
    document: DocumentArgument, url: UrlOption = DEFAULT_URL, token: TokenOption = None
) -> None:
    """Set the platform floor (authority); it may tighten the shipped floor, never loosen."""
    text = _read_document(document)
    with remote(url, token) as client:
        done = client.set_floor(text)
    note(f"the floor is set by {done['floor']['set_by']}")
    if done["overridden_datasets"]:
        note("it now overrides the looser rules of: " + ", ".join(done["overridden_datasets"]))
    _print_yaml(done["floor"]["document"])


@app.command("set-dataset")
def set_dataset(
    dataset: Annotated[str, typer.Argument(help="The dataset's name.")],
    document: DocumentArgument,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Set a dataset's policy (its provider); refused with every rule looser than the floor."""
    text = _read_document(document)
    with remote(url, token) as client:
        done = client.set_dataset_policy(dataset, text)
    note(f"the policy of {dataset} is set by {done['set_by']}")
    _print_yaml(done["document"])
