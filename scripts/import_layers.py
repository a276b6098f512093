"""Report imports that run back up the layers of DESIGN.md.

Each package of ``sandbox`` sits on one layer; a module may import from its own package and from
packages on lower layers only. The script reads imports with :mod:`ast` (nothing is imported or
run), prints every edge that points up or sideways into a package of the same layer, and exits
with 1 when there is one, so ``make check`` keeps the floor plan.

Run: ``python scripts/import_layers.py`` (``--graph`` also prints every package edge).
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Lowest first. A package may import only packages of a strictly lower layer (and itself).
LAYERS: list[list[str]] = [
    ["sandbox.errors"],
    ["sandbox._parse", "sandbox.config", "sandbox.workdays", "sandbox.clock"],
    # The request id, log format and metrics every layer above counts and logs through.
    ["sandbox.observability"],
    # Pure rules and the isolated runtime: no storage, no platform.
    ["sandbox.policies", "sandbox.runtime", "sandbox.store", "sandbox.client"],
    # Where the working-day calendar's holidays come from (published, statutory, operator).
    ["sandbox.holiday_sources"],
    # Accounts' value types sit under the trail that names them; the services that write
    # accounts sit above it, beside the catalog's value types.
    ["sandbox.disclosure", "sandbox.identity.model"],
    ["sandbox.audit"],
    ["sandbox.identity", "sandbox.catalog"],
    # The inbox and e-mail outbox sit beside storage, below every workflow that notifies.
    ["sandbox.storage", "sandbox.ledger", "sandbox.policy_store", "sandbox.notifications"],
    ["sandbox.access"],
    ["sandbox.platform"],
    # Orchestrations over the platform.
    ["sandbox.datasets", "sandbox.engine"],
    # Verification services read a version's file through sandbox.datasets' integrity
    # checks, as jobs do; neither imports the other.
    ["sandbox.jobs", "sandbox.verification"],
    ["sandbox.review"],
    ["sandbox.oversight"],
    ["sandbox.cli", "sandbox.demo"],
    ["api", "algorithms", "benchmarks"],
]
RANK = {package: rank for rank, layer in enumerate(LAYERS) for package in layer}
SOURCES = ["sandbox", "api", "algorithms", "benchmarks"]


def package_of(module: str) -> str | None:
    """The layered package a dotted module name belongs to (``None``: not ours)."""
    parts = module.split(".")
    for length in range(len(parts), 2, -1):
        if ".".join(parts[:length]) in RANK:
            return ".".join(parts[:length])
    if parts[0] != "sandbox":
        return parts[0] if parts[0] in RANK else None
    if len(parts) == 1:
        return "sandbox"
    return ".".join(parts[:2])


def module_name(path: Path) -> str:
    """The dotted name of a source file."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> Iterator[tuple[int, str]]:
    """Every module ``path`` imports, with its line, relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    here = module_name(path).split(".")
    if path.name != "__init__.py":
        here = here[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target == "sandbox":
                # ``from sandbox import audit`` imports the package ``sandbox.audit``.
                for alias in node.names:
                    yield node.lineno, f"sandbox.{alias.name}"
            else:
                yield node.lineno, target


def upward_edges(show_graph: bool) -> list[str]:
    """Lines describing every import that breaks the layering."""
    problems: list[str] = []
    graph: dict[str, set[str]] = {}
    for source in SOURCES:
        for path in sorted((ROOT / source).rglob("*.py")):
            inside = path.relative_to(ROOT).parts
            if "migrations" in inside or any(part.startswith(".") for part in inside):
                continue  # generated migrations; virtualenvs of benchmark peers
            importer = package_of(module_name(path))
            if importer is None:
                continue
            for line, target in imports_of(path):
                imported = package_of(target)
                if imported is None or imported == importer or imported == "sandbox":
                    continue
                graph.setdefault(importer, set()).add(imported)
                if imported not in RANK or importer not in RANK:
                    problems.append(f"{path.relative_to(ROOT)}:{line}: {target} has no layer")
                elif RANK[imported] >= RANK[importer]:
                    problems.append(
                        f"{path.relative_to(ROOT)}:{line}: {importer} imports {target} "
                        f"(layer {RANK[imported]} >= {RANK[importer]})"
                    )
    if show_graph:
        for importer in sorted(graph):
            print(f"{importer} -> {', '.join(sorted(graph[importer]))}")
    return problems


def main() -> int:
    """Print the upward edges; 1 when there is any."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graph", action="store_true", help="also print every package edge")
    problems = upward_edges(parser.parse_args().graph)
    for problem in problems:
        print(problem)
    print(f"upward edges: {len(problems)}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
