"""Policy documents: YAML or JSON text (or a plain mapping) to :class:`Policy` and back.

A document holds any of these fields; unknown fields are refused, and every error names
the offending field by its path::

    accounting: pure                 # or zcdp (budgets are then rho)
    privacy_unit: person_id          # dataset policies only
    contribution_bound: 5
    lifetime_budget: {loss: 10, delta: 1e-6}   # floor and dataset policies only
    grant_budget: {loss: 2}          # or just: grant_budget: 2
    per_query_cap: {loss: 1}
    delta: 1e-7
    row_count: {min_count: 10, rounding: 5, suppression_threshold: 20,
                max_output_cells: 10000, no_row_level_output: true,
                dominance_n: 2, dominance_k: 90, dominance_p: 10, min_dof: 10,
                redact_at_or_below: 0}
    job_limits: {wall_seconds: 600, cpu_seconds: 600, memory_mb: 2048, processes: 64,
                 result_bytes: 10485760, log_bytes: 1048576, raw_access_allowed: false,
                 allowed_imports: [math], runtime_profiles: [restricted, scientific],
                 active_jobs_per_user: 20, active_jobs_per_grant: 5}
    verification: {per_grant_per_day: 1000, per_record_per_day: 5}
    review: {mode: manual, reviewers: 1}
    show_lifetime_to_users: false    # may grant holders read the lifetime budget's remainder

Numbers are read exactly: decimals in text become exact fractions (``0.1`` is one tenth,
not the nearest binary float), NaN and infinities are refused, and a budget given without
a delta leaves its delta to the other levels. YAML aliases and duplicate keys are refused.
:func:`to_dict` writes whole numbers as integers and the others as exact decimal strings,
so ``parse_policy(to_dict(p), level) == p`` for every policy a document can hold.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

import yaml

from sandbox.errors import InvalidRequest
from sandbox.policies.budget import Accounting, PrivacyCost, exact, parse_delta
from sandbox.policies.model import (
    BUDGET_FIELDS,
    JobLimits,
    Policy,
    PolicyLevel,
    ReviewMode,
    RowCountRules,
    VerificationLimits,
)

MAX_DOCUMENT_BYTES = 64 * 1024
"""Largest policy document accepted as text."""

_TOP_FIELDS = (
    "privacy_unit",
    "contribution_bound",
    "accounting",
    "lifetime_budget",
    "grant_budget",
    "per_query_cap",
    "delta",
    "row_count",
    "job_limits",
    "verification",
    "review",
    "show_lifetime_to_users",
)
_ROW_COUNT_FIELDS = tuple(RowCountRules.__dataclass_fields__)
_JOB_LIMIT_FIELDS = tuple(JobLimits.__dataclass_fields__)
_VERIFICATION_FIELDS = tuple(VerificationLimits.__dataclass_fields__)
_REVIEW_FIELDS = ("mode", "reviewers")
_BUDGET_KEYS = ("loss", "delta")

_ONLY_AT: dict[str, tuple[PolicyLevel, ...]] = {
    "privacy_unit": (PolicyLevel.DATASET,),
    "lifetime_budget": (PolicyLevel.FLOOR, PolicyLevel.DATASET),
}
"""Fields that only some levels may set: the dataset names its privacy unit; a grant
cannot move a dataset's lifetime budget."""

_FRACTION_TEXT = re.compile(r"^\s*\d+\s*/\s*[1-9]\d*\s*$")


# --- Text ---------------------------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """Safe YAML without aliases or duplicate keys, reading floats as exact decimals."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise InvalidRequest("policy documents may not use YAML aliases")
        return super().compose_node(parent, index)

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str | int) and key in seen:
                raise InvalidRequest(f"field {key!r} appears twice in the policy document")
            if isinstance(key, str | int):
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _yaml_decimal(loader: yaml.SafeLoader, node: Any) -> Decimal | str:
    text = str(loader.construct_scalar(node)).replace("_", "").lower()
    if text.lstrip("+-") == ".inf":
        return Decimal("-Infinity" if text.startswith("-") else "Infinity")
    if text == ".nan":
        return Decimal("NaN")
    try:
        return Decimal(text)
    except InvalidOperation:
        return str(node.value)  # e.g. sexagesimal; refused later as "must be a number"


_StrictLoader.add_constructor("tag:yaml.org,2002:float", _yaml_decimal)


def _json_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise InvalidRequest(f"field {key!r} appears twice in the policy document")
        result[key] = value
    return result


def _json_constant(name: str) -> Any:
    raise InvalidRequest(f"policy documents may not hold {name}")


def load_text(text: str | bytes) -> object:
    """Parse a document's text: JSON when it starts with ``{``, YAML otherwise."""
    if isinstance(text, bytes):
        if len(text) > MAX_DOCUMENT_BYTES:
            raise InvalidRequest(f"a policy document may hold at most {MAX_DOCUMENT_BYTES} bytes")
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidRequest("a policy document must be UTF-8 text") from None
    if len(text.encode("utf-8")) > MAX_DOCUMENT_BYTES:
        raise InvalidRequest(f"a policy document may hold at most {MAX_DOCUMENT_BYTES} bytes")
    if text.lstrip().startswith("{"):
        try:
            return json.loads(
                text,
                parse_float=Decimal,
                parse_constant=_json_constant,
                object_pairs_hook=_json_pairs,
            )
        except json.JSONDecodeError as exc:
            raise InvalidRequest(
                f"the policy document is not valid JSON: {exc.msg} at line "
                f"{exc.lineno}, column {exc.colno}"
            ) from None
    try:
        return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise InvalidRequest(
            f"the policy document is not valid YAML: {exc.problem}{where}"
        ) from None
    except yaml.YAMLError:
        raise InvalidRequest("the policy document is not valid YAML") from None


# --- Structure ----------------------------------------------------------------------------------


def _mapping(value: object, path: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        what = "the policy document" if not path else path
        raise InvalidRequest(f"{what} must be a mapping of fields")
    for key in value:
        if not isinstance(key, str):
            where = f" in {path}" if path else ""
            raise InvalidRequest(f"field names{where} must be strings, not {key!r}")
    return value


def _refuse_unknown(fields: Mapping[str, object], known: tuple[str, ...], path: str) -> None:
    for key in fields:
        if key not in known:
            full = f"{path}.{key}" if path else key
            hint = difflib.get_close_matches(key, known, n=1)
            suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise InvalidRequest(
                f"unknown field {full!r}{suggestion}; "
                f"{path or 'a policy'} holds: {', '.join(known)}"
            )


def _fraction_text(value: object) -> object:
    """``"p/q"`` text (as :func:`number_text` writes it) as a fraction; other values as is."""
    if type(value) is str and _FRACTION_TEXT.match(value):
        return Fraction(value.replace(" ", ""))
    return value


def _number(value: object, path: str, *, allow_zero: bool) -> Fraction:
    return exact(_fraction_text(value), path, allow_zero=allow_zero)


def _budget(value: object, path: str) -> tuple[PrivacyCost, bool]:
    """A budget and whether its delta was given."""
    if not isinstance(value, Mapping):
        return PrivacyCost(_number(value, path, allow_zero=False)), False
    fields = _mapping(value, path)
    _refuse_unknown(fields, _BUDGET_KEYS, path)
    if fields.get("loss") is None:
        raise InvalidRequest(f"{path}.loss is required (epsilon, or rho under zcdp)")
    loss = _number(fields["loss"], f"{path}.loss", allow_zero=False)
    if fields.get("delta") is None:
        return PrivacyCost(loss), False
    return PrivacyCost(loss, parse_delta(_fraction_text(fields["delta"]), f"{path}.delta")), True


def _choice(value: object, kind: type[Accounting] | type[ReviewMode], path: str) -> Any:
    allowed = ", ".join(m.value for m in kind)
    if type(value) is not str:
        raise InvalidRequest(f"{path} must be one of: {allowed}")
    try:
        return kind(value.strip().lower())
    except ValueError:
        raise InvalidRequest(f"{path} {value!r} is not one of: {allowed}") from None


def _section(fields: Mapping[str, object], name: str, known: tuple[str, ...]) -> dict[str, Any]:
    value = fields.get(name)
    if value is None:
        return {}
    section = _mapping(value, name)
    _refuse_unknown(section, known, name)
    return {key: item for key, item in section.items() if item is not None}


def parse_policy(source: str | bytes | Mapping[str, object], level: PolicyLevel | str) -> Policy:
    """Parse a policy document of ``level`` (floor, dataset or grant) into a :class:`Policy`.

    Args:
        source: YAML or JSON text, or an already-parsed mapping.
        level: Who wrote it; some fields belong to some levels only.

    Returns:
        The policy, with every field the document leaves out unset.

    Raises:
        InvalidRequest: The document is malformed; the message names the field path.
    """
    try:
        level = PolicyLevel(level)
    except ValueError:
        raise InvalidRequest(
            f"policy level {level!r} is not one of: floor, dataset, grant"
        ) from None
    raw = load_text(source) if isinstance(source, str | bytes) else source
    if raw is None:
        raw = {}
    fields = _mapping(raw, "")
    _refuse_unknown(fields, _TOP_FIELDS, "")
    for name, levels in _ONLY_AT.items():
        if fields.get(name) is not None and level not in levels:
            raise InvalidRequest(
                f"{name} cannot be set in a {level} policy (only in: "
                f"{', '.join(str(x) for x in levels)})"
            )
    kwargs: dict[str, Any] = {}
    unset_deltas: set[str] = set()
    if fields.get("privacy_unit") is not None:
        kwargs["privacy_unit"] = fields["privacy_unit"]
    if fields.get("contribution_bound") is not None:
        kwargs["contribution_bound"] = fields["contribution_bound"]
    if fields.get("accounting") is not None:
        kwargs["accounting"] = _choice(fields["accounting"], Accounting, "accounting")
    for name in BUDGET_FIELDS:
        if fields.get(name) is not None:
            kwargs[name], has_delta = _budget(fields[name], name)
            if not has_delta:
                unset_deltas.add(name)
    if fields.get("delta") is not None:
        kwargs["delta"] = parse_delta(_fraction_text(fields["delta"]), "delta")
    kwargs["row_count"] = RowCountRules(**_section(fields, "row_count", _ROW_COUNT_FIELDS))
    limits = _section(fields, "job_limits", _JOB_LIMIT_FIELDS)
    if "allowed_imports" in limits:
        modules = limits["allowed_imports"]
        if not isinstance(modules, list):
            raise InvalidRequest("job_limits.allowed_imports must be a list of module names")
        limits["allowed_imports"] = tuple(modules)
    if "runtime_profiles" in limits:
        profiles = limits["runtime_profiles"]
        if not isinstance(profiles, list):
            raise InvalidRequest(
                "job_limits.runtime_profiles must be a list of runtime "
                "profiles (restricted, scientific)"
            )
        limits["runtime_profiles"] = tuple(profiles)
    kwargs["job_limits"] = JobLimits(**limits)
    kwargs["verification"] = VerificationLimits(
        **_section(fields, "verification", _VERIFICATION_FIELDS)
    )
    review = _section(fields, "review", _REVIEW_FIELDS)
    if "mode" in review:
        kwargs["review_mode"] = _choice(review["mode"], ReviewMode, "review.mode")
    if "reviewers" in review:
        kwargs["reviewers"] = review["reviewers"]
    if fields.get("show_lifetime_to_users") is not None:
        kwargs["show_lifetime_to_users"] = fields["show_lifetime_to_users"]
    return Policy(**kwargs, unset_budget_deltas=frozenset(unset_deltas))


# --- Writing ------------------------------------------------------------------------------------


def number_text(value: Fraction) -> int | str:
    """An exact fraction as an ``int``, or an exact decimal (or ``p/q``) string."""
    if value.denominator == 1:
        return value.numerator
    denominator, twos, fives = value.denominator, 0, 0
    while denominator % 2 == 0:
        denominator, twos = denominator // 2, twos + 1
    while denominator % 5 == 0:
        denominator, fives = denominator // 5, fives + 1
    if denominator != 1:
        return f"{value.numerator}/{value.denominator}"
    places = max(twos, fives)
    scaled = value.numerator * (10**places // value.denominator)  # exact: den divides 10**p
    digits = str(abs(scaled)).rjust(places + 1, "0")
    sign = "-" if scaled < 0 else ""
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


def _budget_dict(policy: Policy, name: str) -> dict[str, int | str]:
    budget: PrivacyCost = getattr(policy, name)
    result: dict[str, int | str] = {"loss": number_text(budget.loss)}
    if name not in policy.unset_budget_deltas:
        result["delta"] = number_text(budget.delta)
    return result


def to_dict(policy: Policy) -> dict[str, Any]:
    """The policy as a document mapping (JSON- and YAML-ready), holding only set fields."""
    result: dict[str, Any] = {}
    if policy.privacy_unit is not None:
        result["privacy_unit"] = policy.privacy_unit
    if policy.contribution_bound is not None:
        result["contribution_bound"] = policy.contribution_bound
    if policy.accounting is not None:
        result["accounting"] = policy.accounting.value
    for name in BUDGET_FIELDS:
        if getattr(policy, name) is not None:
            result[name] = _budget_dict(policy, name)
    if policy.delta is not None:
        result["delta"] = number_text(policy.delta)
    sections = (
        ("row_count", policy.row_count),
        ("job_limits", policy.job_limits),
        ("verification", policy.verification),
    )
    for name, section in sections:
        values = {
            key: list(value) if isinstance(value, tuple) else value
            for key in section.__dataclass_fields__
            if (value := getattr(section, key)) is not None
        }
        if values:
            result[name] = values
    review: dict[str, Any] = {}
    if policy.review_mode is not None:
        review["mode"] = policy.review_mode.value
    if policy.reviewers is not None:
        review["reviewers"] = policy.reviewers
    if review:
        result["review"] = review
    if policy.show_lifetime_to_users is not None:
        result["show_lifetime_to_users"] = policy.show_lifetime_to_users
    return result


def to_yaml(policy: Policy) -> str:
    """The policy as a YAML document."""
    return yaml.safe_dump(to_dict(policy), sort_keys=False)
