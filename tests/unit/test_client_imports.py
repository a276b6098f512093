"""The client distribution stays light: it ships without the server (``client/``), so it may
import the standard library, httpx, rich and itself, and its extras (pandas, pyarrow) only for
type checking, never at import time; ``sandbox.client`` only re-exports it.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import sandbox_client

import sandbox.client

PACKAGE = Path(sandbox_client.__file__).parent
THIRD_PARTY = {"httpx", "rich"}
EXTRAS = {"pandas", "pyarrow"}


def _type_checking_block(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.If)
        and isinstance(node.test, ast.Name)
        and node.test.id == "TYPE_CHECKING"
    )


def _imports(path: Path) -> tuple[set[str], set[str]]:
    """The modules ``path`` imports at run time, and those it imports for type checking."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    guarded = {
        id(inner)
        for node in ast.walk(tree)
        if _type_checking_block(node)
        for inner in ast.walk(node)
    }
    found: set[str] = set()
    typing_only: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name}: relative import"
            names = [node.module or ""]
        (typing_only if id(node) in guarded else found).update(names)
    return found, typing_only


def test_client_imports_only_the_standard_library_httpx_rich_and_itself() -> None:
    modules = sorted(PACKAGE.glob("*.py"))
    assert len(modules) > 10
    for path in modules:
        at_run_time, for_typing = _imports(path)
        for name in at_run_time:
            top = name.split(".")[0]
            allowed = (
                top in sys.stdlib_module_names
                or top == "__future__"
                or top in THIRD_PARTY
                or top == "sandbox_client"
            )
            assert allowed, f"{path.name} imports {name}"
        for name in for_typing:
            assert name.split(".")[0] in EXTRAS | THIRD_PARTY | {"sandbox_client"}, name


def test_the_server_names_the_same_client() -> None:
    shim = Path(sandbox.client.__file__)
    assert [p.name for p in shim.parent.glob("*.py")] == ["__init__.py"]
    at_run_time, _ = _imports(shim)
    assert at_run_time == {"__future__", "sandbox_client"}
    for name in sandbox.client.__all__:
        assert getattr(sandbox.client, name) is getattr(sandbox_client, name), name
    assert set(sandbox.client.__all__) == set(sandbox_client.__all__)
