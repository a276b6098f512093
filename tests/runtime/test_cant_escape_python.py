"""Python-level escapes: what RestrictedPython and the guarded globals must refuse.

Compile-time rejections run once, without a backend. Attacks that compile run through the
full model path in the strongest backend (the worker and its guards are the same in every
backend). Each attack would succeed against a plain Python interpreter.

Advisories covered: RestrictedPython CVE-2023-37271 (generator ``gi_frame`` stack frames),
CVE-2023-41039 (``str.format`` attribute access), CVE-2024-47532 (``string.Formatter`` and
``AttributeError.obj``), CVE-2025-22153 (``try``/``except*`` type confusion).
"""

from __future__ import annotations

import textwrap
import time

import pytest

from sandbox.runtime.backends import Backend
from sandbox.runtime.compiler import compile_model, safe_globals
from tests.runtime.attacks import run_attack

ALLOWED = ("math", "json")


def _rejected(body: str, allowed: tuple[str, ...] = ALLOWED) -> str:
    source = '"""An attack."""\n\n' + textwrap.dedent(body).strip() + "\n"
    result = compile_model(source, allowed)
    assert not result.ok and result.code is None, f"compiled: {body!r}"
    assert result.errors and all(e.startswith("Line ") for e in result.errors), result.errors
    return "\n".join(result.errors)


def _in_run(expression: str) -> str:
    return f"def run(ctx):\n    return {expression}\n"


# --- walks from literals and objects to arbitrary classes ------------------------------------


@pytest.mark.parametrize(
    "expression",
    [
        "().__class__.__bases__[0].__subclasses__()",
        "[].__class__.__mro__[-1].__subclasses__()",
        "(1).__class__.__base__.__subclasses__()",
        "''.__class__.__mro__[1].__subclasses__()",
        "{}.__class__.__subclasses__()",
        "ctx.__class__.__mro__",
        "ctx.__init_subclass__",
        "int.mro()",
        "run.__class__",
    ],
)
def test_cant_walk_to_object_subclasses(expression: str) -> None:
    """It denies the classic ``().__class__.__bases__[0].__subclasses__()`` walks."""
    errors = _rejected(_in_run(expression))
    assert "__" in errors or '"mro"' in errors


@pytest.mark.parametrize(
    "expression",
    [
        "'{0.__class__.__base__.__subclasses__}'.format(ctx)",
        "'{.__class__}'.format(1)",
        "'{f.__globals__}'.format_map({'f': run})",
        "'{0.dataset.__func__.__globals__}'.format(ctx)",
        "str.format('{0.__class__}', ctx)",
        "('{0.__cl' + 'ass__}').format(ctx)",
        "[s.format for s in ['{0.__class__}']]",
        "f'{ctx.__class__}'",
        "f'{ctx!r:{ctx.__class__}}'",
    ],
)
def test_cant_read_attributes_through_format_strings(expression: str) -> None:
    """It denies ``str.format``/``format_map`` attribute access (CVE-2023-41039)."""
    errors = _rejected(_in_run(expression))
    assert '"format' in errors or "__" in errors


@pytest.mark.parametrize(
    "expression",
    [
        "(x for x in [1]).gi_frame.f_back.f_globals",
        "g.gi_code",
        "g.gi_yieldfrom",
        "exc.__traceback__.tb_frame.f_globals",
        "tb.tb_frame",
        "tb.tb_next",
        "frame.f_back",
        "frame.f_builtins",
        "frame.f_locals",
        "frame.f_code",
        "frame.f_trace",
        "run.__code__.co_code",
        "coro.cr_frame",
        "coro.cr_await",
        "coro.cr_code",
        "agen.ag_frame",
        "agen.ag_code",
        "exc.__context__",
        "exc.__cause__",
    ],
)
def test_cant_reach_stack_frames(expression: str) -> None:
    """It denies frame, code and traceback attributes (generator ``gi_frame``: CVE-2023-37271)."""
    errors = _rejected(_in_run(expression))
    assert "restricted name" in errors or "starts with" in errors


@pytest.mark.parametrize(
    "body",
    [
        "def run(ctx):\n    try:\n        pass\n    except* ValueError as group:\n        pass\n",
        "def run(ctx):\n    try:\n        1 / 0\n    except* (ValueError, TypeError):\n"
        "        pass\n",
    ],
)
def test_cant_use_exception_groups(body: str) -> None:
    """It denies ``try``/``except*``, whose type confusion escapes the sandbox (CVE-2025-22153)."""
    assert "TryStar" in _rejected(body)


@pytest.mark.parametrize(
    "body",
    [
        "async def helper():\n    pass\ndef run(ctx):\n    return helper().cr_frame\n",
        "async def helper(x):\n    await x\ndef run(ctx):\n    return 1\n",
        "async def helper(x):\n    yield 1\ndef run(ctx):\n    return 1\n",
        "def run(ctx):\n    return [x async for x in ctx]\n",
    ],
)
def test_cant_create_coroutines(body: str) -> None:
    """It denies coroutines and async generators (``cr_frame``/``ag_frame`` walks)."""
    assert "not allowed" in _rejected(body) or "SyntaxError" in _rejected(body)


@pytest.mark.parametrize(
    "expression",
    [
        "__builtins__",
        "__builtins__['open']('/etc/passwd')",
        "__import__('os')",
        "__loader__.load_module('os')",
        "__spec__",
        "__build_class__",
        "__name__",
        "__debug__",
    ],
)
def test_cant_name_the_builtins_or_module_dunders(expression: str) -> None:
    """It denies ``__builtins__``, ``__import__`` and every other dunder name."""
    assert "starts with" in _rejected(_in_run(expression))


@pytest.mark.parametrize(
    "expression",
    [
        "type(ctx)",
        "type('X', (), {'f': lambda s: 1})",
        "object",
        "super()",
        "getattr(ctx, '_send')",
        "hasattr(ctx, '_send')",
        "setattr(ctx, 'params', 1)",
        "delattr(ctx, 'params')",
        "vars(ctx)",
        "vars()",
        "globals()",
        "locals()",
        "dir(ctx)",
        "memoryview(b'x')",
        "bytearray(8)",
        "id(ctx)",
        "issubclass(int, int)",
        "classmethod(run)",
        "staticmethod(run)",
        "property(run)",
        "compile('1', 'f', 'eval')",
        "exec('1')",
        "eval('1')",
        "open('/etc/passwd')",
        "input()",
        "help()",
        "breakpoint()",
        "exit()",
        "quit()",
        "print(ctx)",
    ],
)
def test_cant_call_introspection_builtins(expression: str) -> None:
    """It denies ``type`` (three-arg too), ``getattr``, ``vars``, ``globals`` and the like."""
    name = expression.split("(")[0]
    errors = _rejected(_in_run(expression))
    assert f'"{name}"' in errors or "Exec" in errors or "Eval" in errors


@pytest.mark.parametrize(
    "body",
    [
        "_getattr_ = lambda o, n: o\ndef run(ctx):\n    return 1\n",
        "def _getattr_(o, n):\n    return o\ndef run(ctx):\n    return 1\n",
        "import math as _getitem_\ndef run(ctx):\n    return 1\n",
        "from math import sqrt as _write_\ndef run(ctx):\n    return 1\n",
        "def run(ctx):\n    [(_getiter_ := iter)]\n    return 1\n",
        "def run(ctx):\n    for _getattr_ in [1]:\n        pass\n",
        "def run(ctx):\n    return (lambda _getattr_: 1)(2)\n",
        "def run(ctx):\n    global _getattr_\n    del _getattr_\n",
        "def run(ctx):\n    try:\n        pass\n    except Exception as _getattr_:\n        pass\n",
        "def run(ctx):\n    def f(*_a, **_k):\n        pass\n",
        "def run(ctx, _send=None):\n    return 1\n",
    ],
)
def test_cant_rebind_the_guard_hooks(body: str) -> None:
    """It denies rebinding ``_getattr_``/``_write_``/... (or any ``_`` name) to disarm them."""
    assert "starts with" in _rejected(body) or "run must take" in _rejected(body)


@pytest.mark.parametrize(
    "body",
    [
        "def run(ctx):\n    match ctx:\n        case object(__class__=c):\n            return c\n",
        "def run(ctx):\n    try:\n        1 / 0\n    except Exception as e:\n"
        "        match e:\n            case Exception(__traceback__=tb):\n"
        "                return tb\n",
    ],
)
def test_cant_read_attributes_through_match_class_patterns(body: str) -> None:
    """It denies ``match`` (class patterns read attributes with the real ``getattr``)."""
    assert "Match statements are not allowed" in _rejected(body)


@pytest.mark.parametrize(
    "statement",
    [
        "import json.decoder",
        "from json.decoder import scanstring",
        "from json import *",
        "from json import __loader__",
        "import builtins",
        "import gc",
        "import inspect",
        "import types",
        "import posix",
        "from importlib import import_module",
        "from . import worker",
        "from __future__ import annotations",
    ],
)
def test_cant_import_submodules_or_hidden_modules(statement: str) -> None:
    """It denies submodules of allowed modules, star and dunder imports, and other modules."""
    errors = _rejected(f"{statement}\ndef run(ctx):\n    return 1\n")
    assert "not allowed" in errors or "starts with" in errors


@pytest.mark.parametrize(
    "expression",
    [
        "\uff45\uff58\uff45\uff43('1')",  # fullwidth "exec": NFKC-normalised by the parser
        "\uff47\uff45\uff54\uff41\uff54\uff54\uff52(ctx, 'x')",  # fullwidth "getattr"
        "'{0}'.\uff46\uff4f\uff52\uff4d\uff41\uff54(ctx)",  # fullwidth "format"
        "g.\uff47\uff49_\uff46\uff52\uff41\uff4d\uff45",  # fullwidth "gi_frame"
    ],
)
def test_cant_hide_names_behind_unicode_lookalikes(expression: str) -> None:
    """It denies names spelled with compatibility characters that Python normalises (NFKC)."""
    errors = _rejected(_in_run(expression))
    assert "not allowed" in errors or "restricted name" in errors or "Exec" in errors


@pytest.mark.parametrize(
    "source",
    [
        '"""d."""\nx = ' + "1+" * 100_000 + "1\ndef run(ctx):\n    return 1\n",
        '"""d."""\nx = ' + "-" * 100_000 + "1\ndef run(ctx):\n    return 1\n",
        '"""d."""\nx = ' + "not " * 50_000 + "1\ndef run(ctx):\n    return 1\n",
        '"""d."""\nx = ' + "[" * 5000 + "]" * 5000 + "\ndef run(ctx):\n    return 1\n",
        '"""d."""\nx = "\x00"\ndef run(ctx):\n    return 1\n',
        '"""d."""\nx = "\ud800"\ndef run(ctx):\n    return 1\n',
        '"""d."""\nbreak\ndef run(ctx):\n    return 1\n',
        '"""d."""\ndef run(ctx):\n    return [x async for x in ctx]\n',
        '"""d."""\ndef run(ctx):\n    def f(a, a):\n        pass\n',
        '"""d."""\ndef run(ctx):\n    return [(yield x) for x in ctx]\n',
        '"""d."""\nPARAMS = {[1]: 2}\ndef run(ctx):\n    return 1\n',
        '"""d."""\nx = 2 ** 10 ** 10 + len("a" * 10 ** 10)\ndef run(ctx):\n    return 1\n',
    ],
)
def test_cant_crash_the_trusted_compiler(source: str) -> None:
    """It denies hostile source a crash of the trusted side: rejections come back as data.

    ``compile_model`` also runs at submission, in the trusted process: deep nesting makes
    the parser raise ``RecursionError``/``MemoryError``, a NUL byte ``ValueError``, a lone
    surrogate ``UnicodeEncodeError``, and the bytecode compiler ``SyntaxError`` for what the
    parser accepts (``break`` outside a loop). Constant folding must not blow up either.
    """
    started = time.monotonic()
    result = compile_model(source, ALLOWED)
    assert time.monotonic() - started < 10
    if result.ok:  # only the constant-folding case compiles (folding is bounded)
        assert "10 ** 10" in source
    else:
        assert all(e.startswith("Line ") for e in result.errors), result.errors


@pytest.mark.parametrize(
    "params",
    [
        '{"a": 1e999}',
        '{"a": -1j}',
        '{"a": {1, 2}}',
        '{"a": b"bytes"}',
        '{"a": (1, 2)}',
        '{1: "a"}',
        '{"a": "\\ud800"}',
        '{"a": 18446744073709551616}',
        "{'a': " * 40 + "1" + "}" * 40,
    ],
)
def test_cant_declare_params_that_are_not_json(params: str) -> None:
    """It denies a ``PARAMS`` schema the trusted side could not store as strict JSON."""
    assert "PARAMS" in _rejected(f"PARAMS = {params}\ndef run(ctx):\n    return 1\n")


# --- defence in depth: the run-time guard ----------------------------------------------------


@pytest.mark.parametrize(
    "name", ["gi_frame", "gi_code", "f_globals", "tb_frame", "__class__", "format", "mro"]
)
def test_cant_read_frame_attributes_through_the_runtime_guard(name: str) -> None:
    """It denies frame walks in ``_getattr_`` too, should a name get past the compiler."""
    guard = safe_globals(ALLOWED)["_getattr_"]
    assert callable(guard)
    generator = (x for x in [1])
    for target in (generator, "{0.__class__}", int):
        with pytest.raises((AttributeError, NotImplementedError)):
            guard(target, name)


# --- run-time attempts through the full model path -------------------------------------------


def test_cant_import_real_submodules_through_a_vetted_module(strongest: Backend) -> None:
    """It denies ``from json import decoder``: it must not fall back to ``sys.modules``.

    ``from m import x`` retries ``sys.modules[m.__name__ + ".x"]`` when ``m.x`` is missing; the
    worker has the real ``json.decoder`` loaded, so a vetted module with a ``__name__``
    would hand it over.
    """
    outcome = run_attack(
        strongest,
        """
        def run(ctx):
            got = []
            try:
                from json import decoder
                got.append(repr(decoder))
            except ImportError:
                pass
            try:
                from json import scanner
                got.append(repr(scanner))
            except ImportError:
                pass
            try:
                from json import codecs
                got.append(repr(codecs))
            except ImportError:
                pass
            try:
                from math import sys
                got.append(repr(sys))
            except ImportError:
                pass
            return got
        """,
        allowed_imports=ALLOWED,
    )
    assert outcome.status == "ok", outcome
    assert outcome.value == []


def test_cant_recover_a_real_module_from_attribute_errors(strongest: Backend) -> None:
    """It denies a real module through ``AttributeError.obj`` (CVE-2024-47532)."""
    outcome = run_attack(
        strongest,
        """
        import json, math
        def run(ctx):
            seen = []
            try:
                json.codecs
            except AttributeError as exc:
                seen.append(repr(exc.obj))
                try:
                    exc.obj.codecs.builtins
                except AttributeError as again:
                    seen.append(repr(again.obj))
            try:
                math.sys
            except AttributeError as exc:
                seen.append(repr(exc.obj))
            return seen
        """,
        allowed_imports=ALLOWED,
    )
    assert outcome.status == "ok", outcome
    assert outcome.value == ["<vetted module 'json'>"] * 2 + ["<vetted module 'math'>"]


def test_cant_get_unvetted_modules_even_if_the_policy_lists_them(strongest: Backend) -> None:
    """It denies ``string`` (``string.Formatter().get_field``), ``os``, ``sys`` ... at run time.

    A policy may list a module the runtime has no vetted wrapper for: it compiles, and the
    import must still fail (CVE-2024-47532: ``string.Formatter`` reaches any attribute).
    """
    outcome = run_attack(
        strongest,
        """
        def run(ctx):
            refused = []
            try:
                import string
                return string.Formatter().get_field("0.__class__", [1], {})
            except ImportError:
                refused.append("string")
            try:
                from string import Formatter
                return Formatter
            except ImportError:
                refused.append("Formatter")
            try:
                import os
                return os.environ
            except ImportError:
                refused.append("os")
            try:
                import sys
                return sys.modules
            except ImportError:
                refused.append("sys")
            try:
                import statistics
                return statistics.mean([1])
            except ImportError:
                refused.append("statistics")
            return refused
        """,
        allowed_imports=("string", "os", "sys", "statistics"),
    )
    assert outcome.status == "ok", outcome
    assert outcome.value == ["string", "Formatter", "os", "sys", "statistics"]


def test_cant_pass_hooks_to_vetted_json(strongest: Backend) -> None:
    """It denies ``json.loads(cls=...)``/``json.dumps(default=...)`` hooks (code on import)."""
    outcome = run_attack(
        strongest,
        """
        import json
        def run(ctx):
            refused = 0
            for attempt in (
                lambda: json.loads("{}", cls=dict),
                lambda: json.loads("{}", object_hook=ctx.log),
                lambda: json.dumps(ctx, default=str),
                lambda: json.dumps([1], cls=dict),
                lambda: json.dumps(ctx),
                lambda: json.loads(b"{}"),
            ):
                try:
                    attempt()
                except TypeError:
                    refused += 1
            return refused
        """,
        allowed_imports=ALLOWED,
    )
    assert outcome.status == "ok", outcome
    assert outcome.value == 6


def test_cant_shadow_builtins_seen_by_trusted_code(strongest: Backend) -> None:
    """It denies a model's globals leaking into the worker: ``isinstance = ...`` is local."""
    outcome = run_attack(
        strongest,
        """
        isinstance = lambda value, kind: True
        str = lambda value: "census"
        len = lambda value: 1
        def run(ctx):
            refused = []
            try:
                ctx.dataset(123)
            except TypeError:
                refused.append("dataset")
            try:
                ctx.dataset("census").group_by(7)
            except TypeError:
                refused.append("group_by")
            return refused
        """,
    )
    assert outcome.status == "ok", outcome
    assert outcome.value == ["dataset", "group_by"]


@pytest.mark.parametrize(
    "exception", ["SystemExit(0)", "SystemExit('done')", "KeyboardInterrupt()", "GeneratorExit()"]
)
def test_cant_exit_the_worker_to_dodge_error_reporting(walled: Backend, exception: str) -> None:
    """It denies ``raise SystemExit(0)`` ending the worker: it is the model's error (in the
    scientific profile too, where nothing refuses the statement)."""
    outcome = run_attack(walled, f"def run(ctx):\n    raise {exception}\n")
    assert outcome.status == "model_error", outcome
    assert outcome.errors and outcome.errors[0].startswith("Line 4: ")
