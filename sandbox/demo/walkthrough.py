"""What each role sees, shown through the Python client against the running server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.csv as pacsv
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from sandbox.client import SandboxAPIError, SandboxClient
from sandbox.demo.setup import DemoAccount
from sandbox.demo.synthetic import city_residents_dictionary, district_facilities_dictionary
from sandbox.identity.model import Role

CONDITIONAL = "city_residents"
UNCONDITIONAL = "district_facilities"


def residents_metadata() -> dict[str, Any]:
    """The provider's registration of the conditional dataset."""
    return {
        "name": CONDITIONAL,
        "title": "City residents: health and income (synthetic)",
        "description": "One row per resident: district, sex, age, income, clinic visits and "
        "a free-text note. Conditional: used only through algorithm models.",
        "open_attribute": "conditional",
        "open_conditions": "Approved application; results released after review.",
        "data_format": "parquet",
        "data_type": "table",
        "update_frequency": "monthly",
        "contact": "data-office@health.city.example",
        "privacy_unit": "person_id",
        "dictionary": city_residents_dictionary(),
    }


def facilities_metadata() -> dict[str, Any]:
    """The provider's registration of the unconditional dataset."""
    return {
        "name": UNCONDITIONAL,
        "title": "Public facilities by district",
        "description": "Counts of clinics, schools and parks per district.",
        "open_attribute": "unconditional",
        "data_format": "csv",
        "update_frequency": "yearly",
        "contact": "data-office@health.city.example",
        "dictionary": district_facilities_dictionary(),
    }


class Walkthrough:
    """Prints each step of the demo as it happens."""

    def __init__(self, url: str, accounts: dict[Role, DemoAccount], console: Console) -> None:
        self.url = url
        self.accounts = accounts
        self.console = console

    def client(self, role: Role) -> SandboxClient:
        """A client holding ``role``'s demo token."""
        return SandboxClient(self.url, self.accounts[role].token, timeout=600)

    def register(self, residents: Path, facilities: Path) -> None:
        """The provider registers both datasets (once; later runs find them), proposing
        their grade; the authority passes each submission, approving the grade, before
        anyone may use it (Qingdao art. 10, 12: within 2 working days).
        """
        self.console.rule("[bold]Provider: register datasets; authority: pass them")
        with self.client(Role.PROVIDER) as provider:
            existing = {d["name"] for d in provider.list_datasets()}
            for path, metadata in (
                (residents, residents_metadata()),
                (facilities, facilities_metadata()),
            ):
                if metadata["name"] in existing:
                    self.console.print(f"{metadata['name']} is already registered")
                    continue
                entry = provider.register_dataset(
                    path, {**metadata, "grade": "general"}, progress=True
                )
                rows = entry["versions"][-1]["row_count"]
                self.console.print(
                    f"registered [bold]{entry['name']}[/] "
                    f"({entry['open_attribute']}, {rows:,} rows): submitted for review"
                )
        with self.client(Role.AUTHORITY) as authority:
            for waiting in authority.publication_reviews("submitted"):
                passed = authority.review_version(waiting["dataset"], waiting["version"], "pass")
                self.console.print(
                    f"the authority passed [bold]{passed['dataset']}[/] version "
                    f"{passed['version']} (due {waiting['due_on']}), grade {passed['grade']}"
                )

    def researcher(self, download_dir: Path) -> None:
        """What a researcher sees: catalog, schema, quality, preview, refusal, download."""
        self.console.rule("[bold]Researcher: the catalog")
        with self.client(Role.USER) as user:
            self._catalog(user.list_datasets())
            entry = user.get_dataset(CONDITIONAL)
            self._schema(entry)
            self._quality(user.quality(CONDITIONAL))
            self._preview(user.preview(CONDITIONAL, rows=5))
            self._refused(user, "researcher")
            target = download_dir / f"{UNCONDITIONAL}.csv"
            result = user.download(UNCONDITIONAL, target, format="csv", progress=True)
            rows = pacsv.read_csv(result.path).num_rows
            self.console.print(
                f"downloaded {UNCONDITIONAL} (unconditional) to {result.path}: "
                f"{rows} rows, {result.byte_size} bytes"
            )

    def provider_and_oversight(self) -> None:
        """Even the provider cannot download conditional data; the admin sees the accounts
        (the authority's and the auditor's parts come with the workflow and at the end).
        """
        self.console.rule("[bold]Provider and admin")
        with self.client(Role.PROVIDER) as provider:
            self._refused(provider, "provider (its owner)")
        with self.client(Role.ADMIN) as admin:
            users = admin.list_users()
            self.console.print(
                "accounts: " + ", ".join(f"{u['username']} ({u['role']})" for u in users)
            )

    def auditor(self) -> bool:
        """The auditor reads the trail and verifies the hash chain."""
        self.console.rule("[bold]Auditor: the audit trail")
        with self.client(Role.AUDITOR) as auditor:
            page = auditor.audit_page(limit=1000)
            table = Table("seq", "actor", "action", "object", "outcome", title="latest entries")
            for entry in page["data"][-8:]:
                table.add_row(
                    str(entry["seq"]),
                    entry["actor"],
                    entry["action"],
                    entry["object_id"],
                    entry["outcome"],
                )
            self.console.print(table)
            report = auditor.audit_verify()
        verdict = "[green]passes" if report["ok"] else "[red]FAILS"
        self.console.print(f"audit verify {verdict}[/]: {report['entries_checked']} entries")
        return bool(report["ok"])

    def _catalog(self, entries: list[dict[str, Any]]) -> None:
        table = Table("name", "open attribute", "provider", "rows", "stale", title="catalog")
        for entry in entries:
            versions = entry.get("versions") or []
            rows = f"{versions[-1]['row_count']:,}" if versions else "-"
            table.add_row(
                entry["name"],
                entry["open_attribute"],
                entry["provider_org"],
                rows,
                "yes" if entry["stale"] else "no",
            )
        self.console.print(table)

    def _schema(self, entry: dict[str, Any]) -> None:
        table = Table(
            "column",
            "type",
            "classification",
            "declared",
            "description",
            title=f"{entry['name']}: data dictionary (privacy unit {entry['privacy_unit']})",
        )
        for column in entry["dictionary"] or []:
            declared = (
                ", ".join(column["categories"])
                if column["categories"]
                else f"{column['lower']}..{column['upper']}"
                if column["lower"] is not None
                else ""
            )
            table.add_row(
                column["name"],
                column["type"],
                column["classification"],
                declared[:40],
                column["description"],
            )
        self.console.print(table)

    def _quality(self, quality: dict[str, Any]) -> None:
        report = quality["report"]
        table = Table(
            "column",
            "nulls",
            "distinct",
            "type errors",
            title=f"quality report, version {quality['version']}: "
            f"{report['rows']:,} rows, {report['duplicate_rows']} duplicate rows",
        )
        for name, stats in report["columns"].items():
            table.add_row(
                name, f"{stats['nulls']:,}", f"{stats['distinct']:,}", str(stats["type_errors"])
            )
        self.console.print(table)

    def _preview(self, preview: dict[str, Any]) -> None:
        table = Table(
            *preview["columns"],
            title="synthetic preview: generated from the dictionary, no real value",
        )
        for row in preview["rows"]:
            table.add_row(*(str(row[c]) for c in preview["columns"]))
        self.console.print(table)

    def _refused(self, client: SandboxClient, who: str) -> None:
        try:
            client.download(CONDITIONAL, Path("/nonexistent/never-written.parquet"))
        except SandboxAPIError as refusal:
            self.console.print(
                Panel(str(refusal), title=f"download by {who} refused", border_style="red")
            )
        else:  # pragma: no cover - would be a privacy bug, so the demo says it loudly
            raise AssertionError("a conditional dataset was downloadable")
