"""``python -m sandbox.demo`` (``make demo``): the platform on its embedded defaults.

Starts the HTTP server (SQLite under ``var/``, data under ``var/data``), creates demo
accounts, generates and registers the demo datasets, shows what each role sees through the
Python client, and then keeps serving so the next steps it prints can be tried.
Set ``SANDBOX_DEMO_EXIT=1`` (or run without a terminal) to stop after the walkthrough, and
``SANDBOX_DEMO_ROWS`` for another size of the residents table (the tests use a small one).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from rich.console import Console

from sandbox.config import Settings
from sandbox.demo.jobs_step import run_job_flow
from sandbox.demo.setup import ensure_accounts, port_is_free, start_server, stop_server
from sandbox.demo.synthetic import write_city_residents, write_district_facilities
from sandbox.demo.walkthrough import CONDITIONAL, UNCONDITIONAL, Walkthrough
from sandbox.identity.model import Role
from sandbox.platform import Platform


def main() -> int:
    """Run the demo; the exit code says whether every step held."""
    console = Console()
    settings = Settings()
    port = int(os.environ.get("SANDBOX_DEMO_PORT", "8000"))
    if not port_is_free(port):
        console.print(f"[red]port {port} is in use[/]: stop what runs there or set "
                      "SANDBOX_DEMO_PORT")
        return 1
    demo_dir = settings.var_dir / "demo"
    demo_dir.mkdir(parents=True, exist_ok=True)
    rows = int(os.environ.get("SANDBOX_DEMO_ROWS", "1000000"))
    residents = demo_dir / f"city_residents-{rows}.parquet"
    if not residents.exists():
        with console.status(f"generating {rows:,} synthetic residents (seeded)"):
            write_city_residents(residents, rows=rows)
    facilities = write_district_facilities(demo_dir / "district_facilities.csv")

    platform = Platform.open(settings)
    accounts = ensure_accounts(platform)
    url = f"http://127.0.0.1:{port}"
    console.print(f"starting the server on {url} (SQLite and data under "
                  f"{settings.var_dir.resolve()})")
    server = start_server(settings, port, demo_dir / "server.log")
    try:
        walk = Walkthrough(url, accounts, console)
        walk.register(residents, facilities)
        walk.researcher(demo_dir)
        walk.provider_and_oversight()
        flowed = run_job_flow(walk, demo_dir)
        ok = walk.auditor() and flowed
        env_file = demo_dir / "tokens.env"
        env_file.write_text(
            f"export SANDBOX_URL={url}\n"
            + "".join(f"export SANDBOX_TOKEN_{role.name}={account.token}\n"
                      for role, account in accounts.items())
            + f"export SANDBOX_TOKEN={accounts[Role.USER].token}\n",
            encoding="utf-8",
        )
        env_file.chmod(0o600)
        _next_steps(console, url, env_file)
        if ok and sys.stdin.isatty() and os.environ.get("SANDBOX_DEMO_EXIT") != "1":
            console.print("[bold]serving; press Ctrl-C to stop[/]")
            try:
                server.wait()
            except KeyboardInterrupt:
                pass
        return 0 if ok else 1
    finally:
        stop_server(server)
        platform.close()


def _next_steps(console: Console, url: str, env_file: Path) -> None:
    console.rule("[bold]Try next")
    console.print(
        f"  source {env_file}        # demo tokens for every role\n"
        f"  .venv/bin/sandbox datasets list\n"
        f"  .venv/bin/sandbox datasets show {CONDITIONAL}\n"
        f"  .venv/bin/sandbox datasets preview {CONDITIONAL}\n"
        f"  .venv/bin/sandbox datasets download {CONDITIONAL} out.parquet   # refused\n"
        f"  .venv/bin/sandbox datasets download {UNCONDITIONAL} out.csv --format csv\n"
        f"  .venv/bin/sandbox jobs algorithms\n"
        f"  .venv/bin/sandbox jobs submit {CONDITIONAL} --model count_rows "
        f"-p dataset={CONDITIONAL} -p epsilon=0.1\n"
        f"  SANDBOX_TOKEN=$SANDBOX_TOKEN_REVIEWER .venv/bin/sandbox reviews queue\n"
        f"  .venv/bin/sandbox audit verify\n"
        f"  open {url}/v1/docs          # the OpenAPI reference\n"
    )


if __name__ == "__main__":
    sys.exit(main())
