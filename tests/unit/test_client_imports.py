"""The client package stays light: it will ship as a distribution of its own, without the server."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import sandbox.client

PACKAGE = Path(sandbox.client.__file__).parent
THIRD_PARTY = {"httpx", "rich"}
OWN = {"sandbox.client", "sandbox.errors"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name}: relative import"
            found.add(node.module or "")
    return found


def test_client_imports_only_the_standard_library_httpx_rich_and_its_errors() -> None:
    modules = sorted(PACKAGE.glob("*.py"))
    assert len(modules) > 10
    for path in modules:
        for name in _imports(path):
            top = name.split(".")[0]
            allowed = (top in sys.stdlib_module_names or top == "__future__"
                       or top in THIRD_PARTY or name in OWN
                       or name.startswith("sandbox.client."))
            assert allowed, f"{path.name} imports {name}"

