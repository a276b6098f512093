"""A model's metadata and its ``PARAMS`` schema, read from its source without running it.

This is the trusted side's view of a model (DESIGN.md, algorithm model contract): the source is
parsed with :mod:`ast` and never executed here. :func:`inspect_model` returns a
:class:`ModelInfo` (the docstring as description, the parsed ``PARAMS`` schema, whether it has
``run(ctx)``) or raises :class:`~sandbox.runtime.param_spec.ModelSpecError`, each problem
naming its line. The schema's own rules are :mod:`sandbox.runtime.param_spec`'s. Pure: no I/O.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from sandbox.runtime.compiler import MAX_SOURCE_BYTES
from sandbox.runtime.param_spec import ModelSpecError, ParamSpec

__all__ = ["MAX_PARAMS", "ModelInfo", "inspect_model"]

MAX_PARAMS = 64
"""Most parameters one model may declare."""


@dataclass(frozen=True)
class ModelInfo:
    """What the trusted side knows of a model without running it.

    Attributes:
        description: The module docstring, stripped; ``None`` when the model has none.
        params: The ``PARAMS`` schema by parameter name, in declaration order (empty when
            the model declares none: it then accepts no parameters).
        has_run: Whether it defines a top-level ``run(ctx)`` (always true for a model that
            :func:`inspect_model` accepted).
        warnings: Problems that do not refuse the model here, each naming its line (for now:
            no docstring; note that :func:`~sandbox.runtime.compiler.compile_model` does
            refuse a model without one).
    """

    description: str | None
    params: dict[str, ParamSpec] = field(default_factory=dict)
    has_run: bool = True
    warnings: tuple[str, ...] = ()

    @property
    def summary(self) -> str | None:
        """The description's first line (a one-line title), ``None`` without a description."""
        return self.description.splitlines()[0].strip() if self.description else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: the description and the schema."""
        return {
            "description": self.description,
            "summary": self.summary,
            "params": {name: spec.to_dict() for name, spec in self.params.items()},
        }


def _params_stores(tree: ast.Module) -> list[ast.AST]:
    """Every place that binds the name ``PARAMS``, anywhere in the module."""
    found: list[ast.AST] = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Name)
            and node.id == "PARAMS"
            and not isinstance(node.ctx, ast.Load)
        ):
            found.append(node)
        elif isinstance(node, ast.Global | ast.Nonlocal) and "PARAMS" in node.names:
            found.append(node)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == "PARAMS":
            found.append(node)
        elif isinstance(node, ast.alias) and (node.asname or node.name) == "PARAMS":
            found.append(node)
        elif isinstance(node, ast.arg) and node.arg == "PARAMS":
            found.append(node)
        elif isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar) and (
            node.name == "PARAMS"
        ):
            found.append(node)
        elif isinstance(node, ast.MatchMapping) and node.rest == "PARAMS":
            found.append(node)
    return found


def _line(node: ast.AST) -> int:
    return int(getattr(node, "lineno", 1))


def _parse_params(tree: ast.Module, problems: list[str]) -> dict[str, ParamSpec]:
    assignments = [
        stmt
        for stmt in tree.body
        if isinstance(stmt, ast.Assign)
        and len(stmt.targets) == 1
        and isinstance(stmt.targets[0], ast.Name)
        and stmt.targets[0].id == "PARAMS"
    ]
    stores = _params_stores(tree)
    if not stores:
        return {}
    if len(assignments) != 1 or len(stores) != 1:
        allowed = {id(a.targets[0]) for a in assignments[:1]}
        for node in sorted(stores, key=_line):
            if id(node) not in allowed:
                problems.append(
                    f"line {_line(node)}: PARAMS must be bound once, by a single top-level "
                    "assignment PARAMS = {...}"
                )
        if not assignments:
            return {}
    stmt = assignments[0]
    try:
        raw = ast.literal_eval(stmt.value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raw = None
    if not isinstance(raw, dict) or not isinstance(stmt.value, ast.Dict):
        problems.append(f"line {stmt.lineno}: PARAMS must be a literal dict")
        return {}
    if len(raw) > MAX_PARAMS:
        problems.append(f"line {stmt.lineno}: PARAMS declares more than {MAX_PARAMS} parameters")
        return {}
    lines: dict[object, int] = {}
    for key in stmt.value.keys:
        if isinstance(key, ast.Constant):
            if key.value in lines:
                problems.append(f"line {key.lineno}: PARAMS repeats the parameter {key.value!r}")
            lines.setdefault(key.value, key.lineno)
    specs: dict[str, ParamSpec] = {}
    for name, spec in raw.items():
        line = lines.get(name, stmt.lineno)
        try:
            specs[name] = ParamSpec.from_literal(name, spec)
        except ModelSpecError as exc:
            problems.extend(f"line {line}: {p}" for p in exc.problems)
    return specs


def _check_run(tree: ast.Module, problems: list[str]) -> None:
    runs = [
        stmt
        for stmt in tree.body
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and stmt.name == "run"
    ]
    if not runs:
        problems.append("line 1: a model must define a top-level function run(ctx)")
        return
    for extra in runs[1:]:
        problems.append(f"line {extra.lineno}: run is defined more than once")
    fn = runs[0]
    if isinstance(fn, ast.AsyncFunctionDef):
        problems.append(f"line {fn.lineno}: run must be a plain function, not async")
    args = fn.args
    if len(args.args) != 1 or args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs:
        problems.append(f"line {fn.lineno}: run must take exactly one argument, ctx")


def _problem_line(problem: str) -> int:
    number = problem.removeprefix("line ").partition(":")[0]
    return int(number) if number.isdigit() else 0


def inspect_model(source: str) -> ModelInfo:
    """Read a model's description, ``PARAMS`` schema and ``run`` without executing it.

    Args:
        source: The model's Python source.

    Returns:
        The :class:`ModelInfo`.

    Raises:
        ModelSpecError: On a syntax error, a missing or malformed ``run(ctx)``, a ``PARAMS``
            that is not one literal dict bound once at the top level, or a schema that is not
            valid; each problem names its line.
    """
    if not isinstance(source, str):
        raise ModelSpecError(["line 1: the model source must be text"])
    if len(source.encode("utf-8", "surrogatepass")) > MAX_SOURCE_BYTES:
        raise ModelSpecError([f"line 1: the source is larger than {MAX_SOURCE_BYTES} bytes"])
    try:
        tree = ast.parse(source, "<model>", "exec")
    except SyntaxError as exc:
        raise ModelSpecError([f"line {exc.lineno or 1}: syntax error: {exc.msg}"]) from None
    except (ValueError, MemoryError, RecursionError) as exc:  # NUL bytes, absurd nesting
        problem = f"line 1: the source cannot be parsed: {type(exc).__name__}"
        raise ModelSpecError([problem]) from None
    problems: list[str] = []
    _check_run(tree, problems)
    params = _parse_params(tree, problems)
    if problems:
        raise ModelSpecError(sorted(problems, key=_problem_line))
    docstring = ast.get_docstring(tree, clean=True)
    description = docstring.strip() if docstring else None
    warnings = () if description else ("line 1: the model has no docstring describing it",)
    return ModelInfo(description=description, params=params, has_run=True, warnings=warnings)
