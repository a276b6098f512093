"""The CLI's old group names, kept hidden so that existing scripts keep working.

The groups were renamed to match the API's resources (``api/routers/``): ``admin`` became
``organisations create`` and ``users create``; ``reports`` became ``usage-reports`` and
``enforcement``; ``products`` became ``data-products``. The old names run the very same
commands under their old spellings, and ``sandbox --help`` no longer lists them.
"""

from __future__ import annotations

import typer

from sandbox.cli import enforcement, organisations, usage_reports, users

admin = typer.Typer(
    help="Old name of `sandbox organisations create` and `sandbox users create`.",
    no_args_is_help=True,
)
admin.command("create-org")(organisations.create_org)
admin.command("create-user")(users.create_user)

reports = typer.Typer(
    help="Old name of `sandbox usage-reports` and `sandbox enforcement`.", no_args_is_help=True
)
reports.command("file")(usage_reports.file_report)
reports.command("list")(usage_reports.list_reports)
reports.command()(usage_reports.due)
reports.command()(enforcement.rectify)
reports.command()(enforcement.terminate)
