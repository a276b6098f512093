"""Validation of a job's parameters against its model's ``PARAMS`` schema, before the run.

:func:`validate_params` checks the parameters of a job against the schema
(:class:`~sandbox.runtime.model_info.ModelInfo`, read by
:func:`~sandbox.runtime.model_info.inspect_model`) and returns them complete (defaults filled
in), or raises :class:`ParamsError` listing every problem, each naming its parameter. Pure: no
I/O.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping

from sandbox.runtime.model_info import ModelInfo
from sandbox.runtime.param_spec import short_repr

__all__ = ["MAX_PROBLEMS", "ParamsError", "validate_params"]

MAX_PROBLEMS = 50
"""Most problems listed in one :class:`ParamsError` (the rest are counted)."""


class ParamsError(ValueError):
    """A job's parameters do not match the model's schema: every problem names its parameter.

    Attributes:
        problems: One message per problem.
    """

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


def validate_params(info: ModelInfo, given: Mapping[str, object]) -> dict[str, object]:
    """Check a job's parameters against the model's schema and fill in the defaults.

    Args:
        info: The model, as :func:`~sandbox.runtime.model_info.inspect_model` read it.
        given: The parameters the job names (decoded JSON).

    Returns:
        Every parameter of the schema, in declaration order: the given value or the default.
        Only plain JSON values (copies, never the caller's objects).

    Raises:
        ParamsError: With every problem, each naming its parameter: unknown, missing, of the
            wrong type, out of range, too long or short, not one of the choices.
    """
    if not isinstance(given, Mapping):
        raise ParamsError(["parameters must be an object of name to value"])
    problems: list[str] = []
    out: dict[str, object] = {}
    for name, spec in info.params.items():
        if name not in given:
            if spec.required:
                problems.append(f"missing required parameter {name!r}")
            else:
                out[name] = copy.deepcopy(spec.default)
            continue
        value, errors = spec.check(given[name])
        problems.extend(f"parameter {name!r} {e}" for e in errors)
        if not errors:
            out[name] = copy.deepcopy(value)
    unknown = [key for key in given if key not in info.params]
    for key in unknown:
        if not isinstance(key, str):
            problems.append(f"parameter names must be strings, not {type(key).__name__}")
        elif info.params:
            problems.append(f"unknown parameter {short_repr(key)}")
        else:
            problems.append(f"unknown parameter {short_repr(key)}: this model takes no parameters")
    if problems:
        if len(problems) > MAX_PROBLEMS:
            extra = len(problems) - MAX_PROBLEMS
            problems = [*problems[:MAX_PROBLEMS], f"and {extra} more problems"]
        raise ParamsError(problems)
    return out
