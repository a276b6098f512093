"""``sandbox verify``: verification services on conditional datasets (Qingdao art. 13).

A provider publishes and withdraws services; a grant holder verifies one record
(``check``), or a CSV/NDJSON file of records streamed to the server (``file``), and sees
match answers only, never a value.
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
    help="Verification services: match answers about records, never values.",
    no_args_is_help=True,
)

GrantOption = Annotated[
    str | None, typer.Option(help="The grant to count the call against (default: any).")
]


def parse_field(text: str) -> dict[str, Any]:
    """``name[=column][,case=insensitive][,min_length=N][,refuse_underscore]`` as a field."""
    head, *options = [part.strip() for part in text.split(",")]
    name, _, column = head.partition("=")
    field: dict[str, Any] = {"name": name.strip(), "column": column.strip() or name.strip()}
    for option in options:
        key, has_value, value = option.partition("=")
        if key == "refuse_underscore" and not has_value:
            field["refuse_underscore"] = True
        elif key == "case" and value in ("sensitive", "insensitive"):
            field["case"] = value
        elif key == "min_length" and value.isdigit():
            field["min_length"] = int(value)
        else:
            fail(
                f"field option {option!r} is not one of: case=sensitive|insensitive, "
                "min_length=N, refuse_underscore"
            )
    return field


def _services(found: list[dict[str, Any]]) -> Table:
    table = Table("id", "name", "answer", "fields", "status", "created", title="services")
    for s in found:
        fields = ", ".join(
            f"{f['name']}={f['column']}" + ("" if f["case"] == "sensitive" else " (any case)")
            for f in s["fields"]
        )
        table.add_row(
            cell(s["id"]),
            cell(s["name"]),
            cell(s["answer"]),
            cell(fields),
            cell(s["status"]),
            when(s["created_at"]),
        )
    return table


def _answers(answers: list[dict[str, Any]]) -> Table:
    table = Table("record", "match", "fields", title="answers")
    for a in answers:
        table.add_row(cell(a["record"]), cell("yes" if a["match"] else "no"), cell(a["fields"]))
    return table


@app.command()
def publish(
    dataset: Annotated[str, typer.Argument(help="Your conditional dataset.")],
    name: Annotated[str, typer.Argument(help="The service's name (lower case).")],
    field: Annotated[
        list[str],
        typer.Option(
            "--field",
            "-f",
            help="name[=column][,case=insensitive][,min_length=N][,refuse_underscore]; "
            "repeat it; the first is the key (an identifier column).",
        ),
    ],
    answer: Annotated[str, typer.Option(help="match or per_field.")] = "match",
    description: Annotated[str, typer.Option(help="What the service confirms.")] = "",
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Publish a verification service on your conditional dataset (a provider); prints its
    id.
    """
    fields = [parse_field(f) for f in field]
    with remote(url, token) as client:
        made = client.publish_verification_service(
            dataset, name, fields, answer=answer, description=description
        )
    note(f"verification service {made['id']} published on {dataset}")
    typer.echo(made["id"])


@app.command()
def services(
    dataset: Annotated[str, typer.Argument(help="The dataset's name.")],
    status: Annotated[str | None, typer.Option(help="published or withdrawn.")] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """A dataset's verification services."""
    with remote(url, token) as client:
        out.print(_services(client.verification_services(dataset, status)))


@app.command()
def withdraw(
    service_id: Annotated[int, typer.Argument(help="The service's id.")],
    reason: Annotated[str, typer.Option(help="Why it is withdrawn.")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Withdraw a service of your dataset (a provider)."""
    with remote(url, token) as client:
        done = client.withdraw_verification_service(service_id, reason)
    note(f"verification service {done['id']} withdrawn")


@app.command()
def check(
    service_id: Annotated[int, typer.Argument(help="The service's id.")],
    value: Annotated[
        list[str],
        typer.Option("--value", "-v", help="field=value; one for each field of the service."),
    ],
    grant: GrantOption = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Verify one record (a grant holder): prints yes or no (and per field)."""
    record: dict[str, str] = {}
    for item in value:
        key, has_value, text = item.partition("=")
        if not has_value or not key.strip():
            fail(f"give each value as field=value, not {item!r}")
        record[key.strip()] = text
    with remote(url, token) as client:
        done = client.verify(service_id, [record], grant=grant)
    out.print(_answers(done["answers"]))
    note(f"{done['quota']['remaining']} records left today under grant {done['grant']}")


@app.command("file")
def verify_file(
    service_id: Annotated[int, typer.Argument(help="The service's id.")],
    path: Annotated[
        Path, typer.Argument(help="A .csv (header row of field names) or .ndjson file.")
    ],
    output: Annotated[
        Path | None, typer.Option(help="Write the answers here as NDJSON instead of a table.")
    ] = None,
    grant: GrantOption = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Verify a file of records, streamed (a grant holder); refused whole if one record is
    bad or the file holds more records than your grant has left today.
    """
    matched = total = 0
    with remote(url, token) as client:
        answers = client.verify_file(service_id, path, grant=grant)
        if output is not None:
            with output.open("w", encoding="utf-8") as sink:
                for a in answers:
                    sink.write(json.dumps(a) + "\n")
                    total, matched = total + 1, matched + bool(a["match"])
        else:
            found = list(answers)
            total, matched = len(found), sum(bool(a["match"]) for a in found)
            out.print(_answers(found))
    note(f"{total} records verified, {matched} matched")


@app.command()
def quota(
    service_id: Annotated[int, typer.Argument(help="The service's id.")],
    grant: GrantOption = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """What your grant may still verify today against the service's dataset."""
    with remote(url, token) as client:
        found = client.verification_quota(service_id, grant)
    out.print(
        f"{found['day']}: {found['used_today']} of {found['per_grant_per_day']} records "
        f"verified, {found['remaining']} left; at most {found['per_record_per_day']} "
        "questions about one record a day"
    )
