"""Compile an algorithm model with RestrictedPython and build the globals it runs with.

RestrictedPython is defence in depth, not the wall (DESIGN.md, trust boundaries): the OS
sandbox around the worker is what holds when this layer has a hole. This module:

* compiles a model's source with :class:`ModelTransformer`, a stricter subclass of
  RestrictedPython's transformer that also rejects imports outside the caller's allow-list,
  dangerous builtins (``exec``, ``eval``, ``open``, ...), ``str.format`` and classes;
* checks the model contract (a top-level ``run(ctx)``, an optional literal ``PARAMS`` dict and a
  docstring) and returns every rejection as data in a :class:`CompileResult`, each naming the
  line;
* builds the globals a model runs with (:func:`safe_globals`): guarded attribute, item,
  iteration and write access, and *vetted wrappers* instead of module objects, because modules
  lead back to the real builtins (``string.Formatter``, ``json.codecs.builtins``).
"""

from __future__ import annotations

import ast
import json
import math
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import CodeType, MappingProxyType
from typing import Any

from RestrictedPython.compile import compile_restricted_exec
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    raise_,
    safe_builtins,
    safer_getattr,
)
from RestrictedPython.transformer import RestrictingNodeTransformer

__all__ = [
    "FORBIDDEN_NAMES",
    "MAX_SOURCE_BYTES",
    "VETTED_MODULES",
    "CompileResult",
    "ModelTransformer",
    "VettedModule",
    "compile_model",
    "safe_globals",
]

MAX_SOURCE_BYTES = 256 * 1024
"""Largest model source accepted, in UTF-8 bytes."""

FORBIDDEN_NAMES = frozenset(
    {
        "breakpoint",
        "compile",
        "delattr",
        "dir",
        "eval",
        "exec",
        "exit",
        "getattr",
        "globals",
        "hasattr",
        "help",
        "input",
        "locals",
        "memoryview",
        "object",
        "open",
        "quit",
        "setattr",
        "super",
        "type",
        "vars",
        "classmethod",
        "staticmethod",
        "property",
        "bytearray",
        "id",
        "issubclass",
        "print",
        "printed",
    }
)
"""Names a model may not mention at all: introspection, I/O, code execution, raw types."""

_FORBIDDEN_ATTRIBUTES = frozenset({"format", "format_map", "mro"})


class VettedModule:
    """A read-only namespace of plain functions and constants, handed to models as a module.

    Models never receive a real module object: ``string.Formatter`` and
    ``json.codecs.builtins`` show that a module's attributes lead back to the real builtins.
    """

    __slots__ = ("_members", "_name")

    def __init__(self, name: str, members: Mapping[str, object]) -> None:
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_members", MappingProxyType(dict(members)))

    def __getattr__(self, attr: str) -> object:
        members: Mapping[str, object] = object.__getattribute__(self, "_members")
        try:
            return members[attr]
        except KeyError:
            raise AttributeError(f"module {self._name!r} has no attribute {attr!r}") from None

    def __setattr__(self, attr: str, value: object) -> None:
        raise AttributeError(f"module {self._name!r} is read-only")

    def __repr__(self) -> str:
        return f"<vetted module {self._name!r}>"


def _json_dumps(value: object) -> str:
    return json.dumps(value, sort_keys=True, allow_nan=False)


def _json_loads(text: str) -> object:
    if not isinstance(text, str):
        raise TypeError("loads() takes a str")
    return json.loads(text)


_MATH_NAMES = (
    "ceil",
    "comb",
    "copysign",
    "cos",
    "erf",
    "exp",
    "fabs",
    "floor",
    "fsum",
    "gcd",
    "hypot",
    "isclose",
    "isfinite",
    "isinf",
    "isnan",
    "log",
    "log10",
    "log1p",
    "log2",
    "pow",
    "prod",
    "sin",
    "sqrt",
    "tan",
    "tanh",
    "trunc",
    "e",
    "inf",
    "nan",
    "pi",
    "tau",
)


def _make_math() -> VettedModule:
    return VettedModule("math", {name: getattr(math, name) for name in _MATH_NAMES})


def _make_json() -> VettedModule:
    return VettedModule("json", {"dumps": _json_dumps, "loads": _json_loads})


VETTED_MODULES: Mapping[str, Callable[[], VettedModule]] = MappingProxyType(
    {"math": _make_math, "json": _make_json}
)
"""Every module a policy may allow, each built fresh per run as a :class:`VettedModule`."""


class ModelTransformer(RestrictingNodeTransformer):
    """RestrictedPython's transformer, stricter for algorithm models.

    Unknown nodes are already rejected by the parent's ``generic_visit``. On top of it this
    rejects imports outside :attr:`allowed_imports`, the names in :data:`FORBIDDEN_NAMES`,
    attribute names in ``_FORBIDDEN_ATTRIBUTES`` (``str.format`` reaches attributes through
    its format string) and class definitions (models need none; classes open ``__init__``-style
    hooks). Use :meth:`with_imports` to get a subclass bound to a policy's allow-list.
    """

    allowed_imports: frozenset[str] = frozenset()

    @classmethod
    def with_imports(cls, allowed: Iterable[str]) -> type[ModelTransformer]:
        """Return a subclass whose import allow-list is ``allowed``.

        Args:
            allowed: Module names the policy lets models import.

        Returns:
            A transformer class RestrictedPython can instantiate.
        """
        return type("BoundModelTransformer", (cls,), {"allowed_imports": frozenset(allowed)})

    def _check_module(self, node: ast.AST, module: str | None) -> None:
        if module is None or module not in self.allowed_imports:
            self.error(node, f'import of "{module}" is not allowed by the policy.')

    def visit_Import(self, node: ast.Import) -> Any:
        """Allow ``import m`` only for modules in the allow-list."""
        for alias in node.names:
            self._check_module(node, alias.name)
        return super().visit_Import(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> Any:
        """Allow ``from m import f`` only for modules in the allow-list, never relative."""
        self._check_module(node, None if node.level else node.module)
        return super().visit_ImportFrom(node)

    def visit_Name(self, node: ast.Name) -> Any:
        """Reject the names of :data:`FORBIDDEN_NAMES`."""
        if node.id in FORBIDDEN_NAMES:
            self.error(node, f'"{node.id}" is not allowed in a model.')
        return super().visit_Name(node)

    def visit_Attribute(self, node: ast.Attribute) -> Any:
        """Reject ``.format``-style attributes on top of the parent's checks."""
        if node.attr in _FORBIDDEN_ATTRIBUTES:
            self.error(node, f'"{node.attr}" is not allowed in a model.')
        return super().visit_Attribute(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> Any:
        """Reject class definitions."""
        self.error(node, "class definitions are not allowed in a model.")
        return node


@dataclass(frozen=True)
class CompileResult:
    """The outcome of compiling a model; rejections are data, never exceptions.

    Attributes:
        code: The compiled module code, or ``None`` when there are errors.
        errors: Human-readable rejections, each starting with ``Line <n>:``.
        warnings: RestrictedPython's warnings.
        docstring: The model's docstring (its description).
        params: The literal ``PARAMS`` schema, empty when absent.
    """

    code: CodeType | None
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    docstring: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the model compiled and meets the contract."""
        return self.code is not None and not self.errors


def _check_contract(tree: ast.Module) -> tuple[list[str], str | None, dict[str, Any]]:
    errors: list[str] = []
    docstring = ast.get_docstring(tree)
    if not docstring:
        errors.append("Line 1: a model must start with a docstring describing it.")
    params: dict[str, Any] = {}
    run_defs = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "run"]
    if not run_defs:
        errors.append("Line 1: a model must define a top-level function run(ctx).")
    for fn in run_defs:
        args = fn.args
        if len(args.args) != 1 or args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs:
            errors.append(f"Line {fn.lineno}: run must take exactly one argument, ctx.")
    for stmt in tree.body:
        if not isinstance(stmt, ast.Assign):
            continue
        if any(isinstance(t, ast.Name) and t.id == "PARAMS" for t in stmt.targets):
            try:
                value = ast.literal_eval(stmt.value)
            except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
                value = None  # TypeError: an unhashable key such as ``{[1]: 2}``
            if not isinstance(value, dict):
                errors.append(f"Line {stmt.lineno}: PARAMS must be a literal dict.")
            elif not _is_json_data(value):
                errors.append(
                    f"Line {stmt.lineno}: PARAMS must be plain JSON data (strings, finite "
                    "numbers, booleans, None, lists and dicts with string keys)."
                )
            else:
                params = value
    return errors, docstring, params


_MAX_PARAMS_DEPTH = 16
_MAX_INT = 2**63 - 1


def _is_json_data(value: object, depth: int = 0) -> bool:
    """Whether ``value`` is data the trusted side can store and send as strict JSON."""
    if depth > _MAX_PARAMS_DEPTH:
        return False
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, str):
        return value.isascii() or _is_utf8_text(value)
    if isinstance(value, int):
        return abs(value) <= _MAX_INT
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(_is_json_data(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(
            isinstance(k, str) and _is_json_data(k) and _is_json_data(v, depth + 1)
            for k, v in value.items()
        )
    return False  # tuples, sets, bytes, complex numbers


def _is_utf8_text(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, e.g. from a "\ud800" escape
        return False
    return True


def compile_model(
    source: str, allowed_imports: Iterable[str], filename: str = "<model>"
) -> CompileResult:
    """Compile a model's source under the restricted policy and check its contract.

    Args:
        source: The model's Python source.
        allowed_imports: Module names the effective policy allows; each must also be in
            :data:`VETTED_MODULES` to be importable at run time.
        filename: The name shown in tracebacks.

    Returns:
        A :class:`CompileResult`; ``errors`` is non-empty when the model is rejected.
    """
    # This runs on the trusted side too (at submission): hostile source must come back as
    # errors, never as an exception (deep nesting makes the parser raise RecursionError or
    # MemoryError, a NUL byte ValueError, a lone surrogate UnicodeEncodeError, and the
    # bytecode compiler raises SyntaxError for what the parser accepts: 'break' outside loop).
    if len(source.encode("utf-8", "surrogatepass")) > MAX_SOURCE_BYTES:
        return CompileResult(None, (f"Line 1: source is larger than {MAX_SOURCE_BYTES} bytes.",))
    if not _is_utf8_text(source):
        return CompileResult(None, ("Line 1: source is not valid UTF-8 text.",))
    try:
        tree = ast.parse(source, filename, "exec")
    except SyntaxError as exc:
        return CompileResult(None, (f"Line {exc.lineno or 1}: SyntaxError: {exc.msg}",))
    except ValueError as exc:
        return CompileResult(None, (f"Line 1: SyntaxError: {exc}",))
    except (RecursionError, MemoryError):
        return CompileResult(None, ("Line 1: source nests too deeply to compile.",))
    try:
        contract_errors, docstring, params = _check_contract(tree)
        policy = ModelTransformer.with_imports(allowed_imports)
        result = compile_restricted_exec(tree, filename=filename, policy=policy)
    except SyntaxError as exc:  # found by the bytecode compiler: 'break' outside loop, ...
        return CompileResult(None, (f"Line {exc.lineno or 1}: SyntaxError: {exc.msg}",))
    except (RecursionError, MemoryError):
        return CompileResult(None, ("Line 1: source nests too deeply to compile.",))
    errors = tuple(result.errors) + tuple(contract_errors)
    return CompileResult(
        code=None if errors else result.code,
        errors=errors,
        warnings=tuple(result.warnings),
        docstring=docstring,
        params=params,
    )


def _guarded_getattr(obj: object, name: str, default: object = raise_) -> object:
    if isinstance(obj, type):
        # Class objects reach ``mro``/``__subclasses__``-style walks; models need none.
        raise AttributeError(f"attribute access on classes is not allowed: {name!r}")
    return safer_getattr(obj, name, default)  # type: ignore[no-untyped-call]


def _guarded_getitem(obj: object, key: object) -> object:
    if isinstance(key, str) and key.startswith("_") and not isinstance(obj, dict):
        raise KeyError(key)
    return obj[key]  # type: ignore[index]


def _guarded_apply(func: Callable[..., object], *args: object, **kwargs: object) -> object:
    return func(*args, **kwargs)


_INPLACE_OPS: Mapping[str, Callable[[Any, Any], Any]] = MappingProxyType(
    {
        "+=": operator.iadd,
        "-=": operator.isub,
        "*=": operator.imul,
        "/=": operator.itruediv,
        "//=": operator.ifloordiv,
        "%=": operator.imod,
        "**=": operator.ipow,
        "<<=": operator.ilshift,
        ">>=": operator.irshift,
        "&=": operator.iand,
        "|=": operator.ior,
        "^=": operator.ixor,
    }
)


def _inplacevar(op: str, target: Any, value: Any) -> Any:
    return _INPLACE_OPS[op](target, value)


# ``_getiter_`` is plain ``iter`` here, so builtins that iterate in C bypass nothing.
_EXTRA_BUILTINS: Mapping[str, object] = MappingProxyType(
    {
        "all": all,
        "any": any,
        "dict": dict,
        "enumerate": enumerate,
        "frozenset": frozenset,
        "list": list,
        "max": max,
        "min": min,
        "set": set,
        "sorted": sorted,
        "sum": sum,
        "tuple": tuple,
        "zip": zip,
        "map": map,
        "filter": filter,
        "reversed": reversed,
    }
)


def safe_globals(
    allowed_imports: Iterable[str], extra: Mapping[str, object] | None = None
) -> dict[str, object]:
    """Build the globals a compiled model is executed with.

    Args:
        allowed_imports: Module names the policy allows; only those with a vetted wrapper in
            :data:`VETTED_MODULES` can actually be imported.
        extra: Further names to expose (none of them may be a module object).

    Returns:
        A fresh globals dict with restricted builtins and RestrictedPython's guard hooks.
    """
    allowed = frozenset(allowed_imports)
    modules = {name: VETTED_MODULES[name]() for name in allowed if name in VETTED_MODULES}

    def guarded_import(
        name: str,
        globals: object = None,  # noqa: A002 - the signature of __import__
        locals: object = None,  # noqa: A002
        fromlist: object = (),
        level: int = 0,
    ) -> VettedModule:
        if level != 0 or name not in modules:
            raise ImportError(f"import of {name!r} is not allowed")
        return modules[name]

    builtins: dict[str, object] = {
        k: v
        for k, v in safe_builtins.items()
        if k not in FORBIDDEN_NAMES and k != "__build_class__"
    }
    builtins.update(_EXTRA_BUILTINS)
    builtins["__import__"] = guarded_import
    namespace: dict[str, object] = {
        "__builtins__": builtins,
        "__name__": "model",
        "_getattr_": _guarded_getattr,
        "_getitem_": _guarded_getitem,
        "_getiter_": iter,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_write_": full_write_guard,
        "_apply_": _guarded_apply,
        "_inplacevar_": _inplacevar,
    }
    for key, value in (extra or {}).items():
        namespace[key] = value
    return namespace
