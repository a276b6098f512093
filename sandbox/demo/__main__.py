"""``python -m sandbox.demo`` (``make demo``): the platform on its embedded defaults.

Starts the HTTP server (SQLite under ``var/``, data under ``var/data``), creates demo
accounts, generates and registers the demo datasets, shows what each role sees through the
Python client, walks the regulated workflow (eligibility, the application, the form and
provider reviews with their working-day deadlines, the agreement), runs a DP and a
raw-access job through the review, then a complaint with a suspension, an objection and the
statistics, and keeps serving so the next steps it prints can be tried.

Every run starts from what the last one left (a grant is reused only while its budget
covers the run). Set ``SANDBOX_DEMO_EXIT=1`` (or run without a terminal) to stop after the
walkthrough, ``SANDBOX_DEMO_SERVE=1`` to keep serving without a terminal, and
``SANDBOX_DEMO_ROWS`` for another size of the residents table (the tests use a small one).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from types import FrameType

from rich.console import Console

from sandbox.config import Settings
from sandbox.demo.application_step import DemoCannotContinue
from sandbox.demo.jobs_step import run_job_flow
from sandbox.demo.logins import describe, ensure_logins
from sandbox.demo.oversight_step import lift_leftover_suspension, run_oversight_flow
from sandbox.demo.serving import DEFAULT_PORT, decide_serving, stopped_message
from sandbox.demo.setup import DemoAccount, ensure_accounts, port_is_free, start_server, stop_server
from sandbox.demo.synthetic import write_city_residents, write_district_facilities
from sandbox.demo.walkthrough import CONDITIONAL, UNCONDITIONAL, Walkthrough
from sandbox.identity.model import Role
from sandbox.platform import Platform


def main() -> int:
    """Run the demo; the exit code says whether every step held."""
    console = Console()
    settings = Settings()
    port = int(os.environ.get("SANDBOX_DEMO_PORT", str(DEFAULT_PORT)))
    if not port_is_free(port):
        console.print(
            f"[red]port {port} is in use[/]: stop what runs there or set SANDBOX_DEMO_PORT"
        )
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
    console.print(
        f"starting the server on {url} (SQLite and data under {settings.var_dir.resolve()})"
    )
    server = start_server(settings, port, demo_dir / "server.log")
    logins = ensure_logins(
        platform,
        {role: account.username for role, account in accounts.items()},
        demo_dir / "logins.env",
    )
    console.print(f"the web console: {url}/console/ (Chinese; English from its header)")
    console.print(describe(logins, f"{url}/console/"), soft_wrap=True, highlight=False)
    signal.signal(signal.SIGTERM, _interrupt)
    env_file = demo_dir / "tokens.env"
    try:
        walk = Walkthrough(url, accounts, console)
        try:
            ok = _walk(walk, residents, facilities, demo_dir)
        except DemoCannotContinue as stop:
            console.print(f"[red]{stop}[/]", soft_wrap=True)
            return 1
        _write_tokens(env_file, url, settings.var_dir, accounts)
        _next_steps(console, url, env_file)
        serving = decide_serving(ok=ok, interactive=sys.stdin.isatty(), env=os.environ)
        if serving.keep:
            _serve(console, server)
        else:
            stop_server(server)
            console.print(
                stopped_message(serving.why_not, settings.var_dir, port, env_file), soft_wrap=True
            )
        return 0 if ok else 1
    finally:
        stop_server(server)
        platform.close()


def _walk(walk: Walkthrough, residents: Path, facilities: Path, demo_dir: Path) -> bool:
    walk.register(residents, facilities)
    lift_leftover_suspension(walk)
    walk.researcher(demo_dir)
    walk.provider_and_oversight()
    flowed = run_job_flow(walk, demo_dir)
    overseen = run_oversight_flow(walk)
    return walk.auditor() and flowed and overseen


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGTERM ends the demo like Ctrl-C, so that the server is stopped with it."""
    raise KeyboardInterrupt


def _serve(console: Console, server: subprocess.Popen[bytes]) -> None:
    console.print(f"[bold]serving; press Ctrl-C (or send SIGTERM to {os.getpid()}) to stop[/]")
    try:
        server.wait()
    except KeyboardInterrupt:
        pass


def _write_tokens(
    env_file: Path, url: str, var_dir: Path, accounts: dict[Role, DemoAccount]
) -> None:
    """The demo's server, tokens and var dir (``sandbox audit`` and ``sandbox serve`` work on
    the var dir's database directly, so they must find the demo's, not a fresh ``./var``).
    """
    env_file.write_text(
        f"export SANDBOX_URL={url}\n"
        f"export SANDBOX_VAR_DIR={var_dir.resolve()}\n"
        + "".join(
            f"export SANDBOX_TOKEN_{role.name}={account.token}\n"
            for role, account in accounts.items()
        )
        + f"export SANDBOX_TOKEN={accounts[Role.USER].token}\n",
        encoding="utf-8",
    )
    env_file.chmod(0o600)


def _next_steps(console: Console, url: str, env_file: Path) -> None:
    console.rule("[bold]Try next")
    console.print(
        f"  source {env_file}        # the demo's server, var dir and tokens for every role\n"
        f"  .venv/bin/sandbox datasets list\n"
        f"  .venv/bin/sandbox datasets show {CONDITIONAL}\n"
        f"  .venv/bin/sandbox datasets preview {CONDITIONAL}\n"
        f"  .venv/bin/sandbox datasets download {CONDITIONAL} out.parquet   # refused\n"
        f"  .venv/bin/sandbox datasets download {UNCONDITIONAL} out.csv --format csv\n"
        f"  .venv/bin/sandbox jobs algorithms\n"
        f"  .venv/bin/sandbox jobs submit {CONDITIONAL} --model count_rows "
        f"-p dataset={CONDITIONAL} -p epsilon=0.1\n"
        f"  SANDBOX_TOKEN=$SANDBOX_TOKEN_REVIEWER .venv/bin/sandbox reviews queue\n"
        f"  .venv/bin/sandbox audit verify     # on this host's database (SANDBOX_VAR_DIR)\n"
        f"  open {url}/v1/docs          # the OpenAPI reference\n"
        f"  open {url}/console/     # the web console: the catalog needs no sign-in\n"
        f"  cat {env_file.parent}/logins.env   # each role's console login\n"
    )


if __name__ == "__main__":
    sys.exit(main())
