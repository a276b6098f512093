"""``python -m sandbox.cli``: the same command as the installed ``sandbox`` script."""

from sandbox.cli.main import app

app(prog_name="sandbox")
