"""Compile-time and in-process checks of the restricted model compiler."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from sandbox.runtime.compiler import VettedModule, compile_model, safe_globals

ALLOWED = ("math", "json")


def _model(body: str) -> str:
    return '"""A model."""\n\n' + textwrap.dedent(body)


def _rejected(body: str, allowed: tuple[str, ...] = ALLOWED) -> str:
    result = compile_model(_model(body), allowed)
    assert not result.ok
    assert result.code is None
    assert all(e.startswith("Line ") for e in result.errors)
    return "\n".join(result.errors)


def _run(body: str, ctx: Any = None, allowed: tuple[str, ...] = ALLOWED) -> Any:
    result = compile_model(_model(body), allowed)
    assert result.ok, result.errors
    assert result.code is not None
    namespace = safe_globals(allowed)
    exec(result.code, namespace)  # noqa: S102 - this is the sandboxed execution under test
    return namespace["run"](ctx)  # type: ignore[operator]


def test_accepts_a_contract_model() -> None:
    source = _model(
        """
        import math
        PARAMS = {"upper": {"type": "number", "default": 2}}

        def run(ctx):
            xs = [math.sqrt(v) for v in range(5)]
            total = 0
            for i, x in enumerate(xs):
                total += x * i
            return {"total": round(total, 3), "n": len(sorted(xs))}
        """
    )
    result = compile_model(source, ALLOWED)
    assert result.ok, result.errors
    assert result.docstring == "A model."
    assert result.params == {"upper": {"type": "number", "default": 2}}


def test_runs_a_contract_model() -> None:
    out = _run(
        """
        import json
        def run(ctx):
            a, b = [1, 2]
            d = {}
            d["k"] = json.loads(json.dumps([a, b]))
            return d
        """
    )
    assert out == {"k": [1, 2]}


def test_cant_omit_run() -> None:
    """It denies a model without a top-level run(ctx)."""
    assert "run(ctx)" in _rejected("x = 1\n")


def test_cant_omit_docstring() -> None:
    """It denies a model without a docstring."""
    result = compile_model("def run(ctx):\n    return 1\n", ALLOWED)
    assert any("docstring" in e for e in result.errors)


def test_cant_use_non_literal_params() -> None:
    """It denies a PARAMS that is not a literal dict."""
    assert "PARAMS" in _rejected("PARAMS = dict(a=1)\ndef run(ctx):\n    return 1\n")


def test_cant_submit_syntax_errors() -> None:
    """It denies a syntax error and names its line."""
    assert "Line 4" in _rejected("def run(ctx):\n  return (\n")


def test_cant_use_underscore_attributes() -> None:
    """It denies attribute names starting with an underscore."""
    errors = _rejected("def run(ctx):\n    return ctx.__class__\n")
    assert "Line 4" in errors and "__class__" in errors


def test_cant_use_underscore_names() -> None:
    """It denies variable names starting with an underscore."""
    assert "_secret" in _rejected("def run(ctx):\n    _secret = 1\n    return _secret\n")


def test_cant_walk_subclasses() -> None:
    """It denies the ``__subclasses__`` walk to reach arbitrary classes."""
    errors = _rejected("def run(ctx):\n    return ().__class__.__bases__[0].__subclasses__()\n")
    assert "__subclasses__" in errors or "__class__" in errors


def test_cant_walk_generator_frames() -> None:
    """It denies ``gi_frame`` / ``f_globals`` walks from a generator."""
    errors = _rejected(
        """
        def run(ctx):
            g = (x for x in [1])
            return g.gi_frame.f_back.f_globals
        """
    )
    assert "gi_frame" in errors


def test_cant_walk_traceback_frames() -> None:
    """It denies ``tb_frame`` walks from a caught exception."""
    errors = _rejected(
        """
        def run(ctx):
            try:
                1 / 0
            except ZeroDivisionError as exc:
                return exc.__traceback__.tb_frame
        """
    )
    assert "tb_frame" in errors or "__traceback__" in errors


def test_cant_use_format_string_attribute_access() -> None:
    """It denies ``"{0.__class__}".format(x)`` at submission."""
    assert '"format"' in _rejected("def run(ctx):\n    return '{0.__class__}'.format(ctx)\n")


def test_cant_use_format_string_attribute_access_at_runtime() -> None:
    """It denies ``str.format`` in the guarded getattr too (defence in depth)."""
    getattr_guard = safe_globals(ALLOWED)["_getattr_"]
    assert callable(getattr_guard)
    with pytest.raises(NotImplementedError):
        getattr_guard("{0.__class__}", "format")
    with pytest.raises(AttributeError):
        getattr_guard(1, "__class__")


def test_cant_use_f_string_attribute_access() -> None:
    """It denies underscore attributes inside f-strings."""
    assert "__class__" in _rejected("def run(ctx):\n    return f'{ctx.__class__}'\n")


def test_cant_import_string_formatter() -> None:
    """It denies ``string.Formatter`` even when a policy lists ``string``."""
    assert compile_model(_model("import string\ndef run(ctx):\n    return 1\n"), ("string",)).ok
    with pytest.raises(ImportError):
        _run(
            """
            import string
            def run(ctx):
                return string.Formatter().get_field("0.__class__", [1], {})
            """,
            allowed=("string",),
        )


def test_cant_reach_builtins_through_json() -> None:
    """It denies ``json.codecs.builtins``: models get a vetted wrapper, not the module."""
    with pytest.raises(AttributeError):
        _run(
            """
            import json
            def run(ctx):
                return json.codecs.builtins
            """
        )


def test_cant_reach_module_of_math_functions() -> None:
    """It denies walking from a vetted function back to its module."""
    errors = _rejected("import math\ndef run(ctx):\n    return math.sqrt.__self__\n")
    assert "__self__" in errors


def test_cant_write_vetted_modules() -> None:
    """It denies rebinding a vetted module's members."""
    with pytest.raises((TypeError, AttributeError)):
        _run("import math\ndef run(ctx):\n    math.sqrt = None\n")
    math_wrapper = safe_globals(("math",))["__builtins__"]
    assert isinstance(math_wrapper, dict)


@pytest.mark.parametrize("module", ["os", "sys", "subprocess", "socket", "importlib", "ctypes"])
def test_cant_import_non_allowed_module(module: str) -> None:
    """It denies importing a module the policy does not allow."""
    errors = _rejected(f"import {module}\ndef run(ctx):\n    return 1\n")
    assert f'"{module}"' in errors and "Line 3" in errors
    errors = _rejected(f"from {module} import path\ndef run(ctx):\n    return 1\n")
    assert f'"{module}"' in errors


def test_cant_import_relatively() -> None:
    """It denies relative imports."""
    assert "not allowed" in _rejected("from . import x\ndef run(ctx):\n    return 1\n")


@pytest.mark.parametrize(
    "call",
    [
        "exec('1')",
        "eval('1')",
        "open('/etc/passwd')",
        "compile('1', 'f', 'exec')",
        "globals()",
        "getattr(ctx, 'x')",
        "type(ctx)",
        "vars(ctx)",
        "breakpoint()",
    ],
)
def test_cant_call_dangerous_builtins(call: str) -> None:
    """It denies ``exec``/``eval``/``open`` and other escape hatches at submission."""
    name = call.split("(")[0]
    assert f'"{name}"' in _rejected(f"def run(ctx):\n    return {call}\n")


def test_cant_define_classes() -> None:
    """It denies class definitions."""
    assert "class" in _rejected("class A:\n    pass\ndef run(ctx):\n    return 1\n")


def test_cant_print() -> None:
    """It denies print: models log through ctx.log."""
    assert "print" in _rejected("def run(ctx):\n    print(1)\n")


def test_cant_use_async() -> None:
    """It denies coroutines (``cr_frame`` walks)."""
    assert "not allowed" in _rejected("async def run(ctx):\n    return 1\n")


def test_cant_submit_huge_source() -> None:
    """It denies sources above the size limit."""
    result = compile_model('"""d."""\n' + "x = 1\n" * 60000, ALLOWED)
    assert not result.ok and "larger" in result.errors[0]


def test_cant_use_getattr_on_classes_at_runtime() -> None:
    """It denies attribute access on class objects (``mro`` walks)."""
    with pytest.raises(AttributeError):
        _run("def run(ctx):\n    return int.bit_length\n")


def test_vetted_module_is_read_only() -> None:
    module = VettedModule("m", {"f": abs})
    assert module.f is abs
    with pytest.raises(AttributeError):
        module.g  # noqa: B018
    with pytest.raises(AttributeError):
        module.f = 1
