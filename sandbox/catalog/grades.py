"""Security grades of datasets and the policy floor each grade selects.

Classification and grading (分类分级: Wuxi art. 11-12, Lianyungang art. 8, Xi'an art. 9):
every dataset carries a security grade that its provider sets and the authority approves.
The grades are the cities' three levels, 一般 (general), 重要 (important) and 核心 (core).
Each grade selects a policy level, a floor of its own that the dataset's policy may tighten
but never loosen: the higher the grade, the larger the minimum counts, the smaller the
budgets, raw access off, and more reviewers.

The grade levels are part of the authority's floor: the platform ships a level per grade
(:func:`shipped_grade_level`) and the authority may tighten each one
(``PUT /v1/policies/grades/{grade}``), never loosen it. The floor a dataset's policy meets
is the stricter of the authority's floor and its grade's level.

Fail closed: a dataset whose grade the authority has not approved yet is held to the
strictest grade's level, and while a provider's proposal to change an approved grade
waits, the stricter of the two grades holds.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox import audit
from sandbox._parse import parse_enum
from sandbox.catalog import policy_documents
from sandbox.catalog.permissions import OVERSIGHT_ROLES, owns, require_owner
from sandbox.catalog.queries import dataset_row
from sandbox.clock import utc_now
from sandbox.errors import Conflict, InvalidRequest, PermissionDenied
from sandbox.identity.model import Actor, Role
from sandbox.policies import (
    Accounting,
    JobLimits,
    Policy,
    PolicyLevel,
    PolicyViolation,
    PrivacyCost,
    RowCountRules,
    find_loosenings,
    parse_policy,
    platform_defaults,
    to_dict,
)
from sandbox.policies.shipped import combine_levels
from sandbox.store.models import DatasetRow, PolicyDocumentRow, UserRow


class Grade(enum.StrEnum):
    """A dataset's security grade, lowest first (一般 / 重要 / 核心)."""

    GENERAL = "general"
    IMPORTANT = "important"
    CORE = "core"

    @property
    def rank(self) -> int:
        """Higher is stricter."""
        return list(Grade).index(self)

    @property
    def label(self) -> str:
        """The grade's name in the cities' rules."""
        return _LABELS[self]


_LABELS = {Grade.GENERAL: "一般", Grade.IMPORTANT: "重要", Grade.CORE: "核心"}

STRICTEST = Grade.CORE
"""The grade whose level holds while no grade is approved (fail closed)."""

GRADE_REF_PREFIX = "grade:"
"""Policy documents of the floor level stored under ``grade:<grade>`` are the authority's
tightening of that grade's level (the platform floor itself is ``platform``)."""


@dataclass(frozen=True)
class _Shipped:
    min_count: int | None
    budget_share: Fraction
    raw_access: bool | None
    reviewers: int | None


_SHIPPED = {
    Grade.GENERAL: _Shipped(None, Fraction(1), None, None),
    Grade.IMPORTANT: _Shipped(20, Fraction(1, 2), False, None),
    Grade.CORE: _Shipped(50, Fraction(1, 4), False, 2),
}
"""The shipped levels: general adds nothing to the shipped floor; important doubles the
minimum count (20), halves the budgets and forbids raw access; core asks for cells of 50,
a quarter of the budgets, no raw access and two reviewers for every release."""


def parse_grade(value: str) -> Grade:
    """A grade from its name, or :class:`InvalidRequest` naming the allowed ones."""
    return parse_enum(Grade, value, "grade")


def shipped_grade_level(grade: Grade, accounting: Accounting = Accounting.PURE) -> Policy:
    """The level the platform ships for ``grade``, in ``accounting``'s budget units."""
    shipped = _SHIPPED[grade]
    if shipped.budget_share == 1 and shipped.min_count is None:
        return Policy()
    defaults = platform_defaults(accounting)

    def share(cost: PrivacyCost | None) -> PrivacyCost:
        assert cost is not None, "platform defaults are fully set"
        return PrivacyCost(cost.loss * shipped.budget_share, cost.delta * shipped.budget_share)

    return Policy(
        lifetime_budget=share(defaults.lifetime_budget),
        grant_budget=share(defaults.grant_budget),
        per_query_cap=share(defaults.per_query_cap),
        row_count=RowCountRules(
            min_count=shipped.min_count, suppression_threshold=shipped.min_count
        ),
        job_limits=JobLimits(raw_access_allowed=shipped.raw_access),
        reviewers=shipped.reviewers,
    )


def _authority_document(session: Session, grade: Grade) -> PolicyDocumentRow | None:
    return policy_documents.latest(session, PolicyLevel.FLOOR, GRADE_REF_PREFIX + str(grade))


def authority_grade_level(session: Session, grade: Grade) -> Policy:
    """What the authority added to ``grade``'s level (empty until it sets one)."""
    row = _authority_document(session, grade)
    return parse_policy(row.document, PolicyLevel.FLOOR) if row is not None else Policy()


def grade_level(session: Session, grade: Grade, accounting: Accounting) -> Policy:
    """``grade``'s level in force: the shipped one tightened by the authority's, and never
    looser than a lower grade's (a higher grade is always at least as strict).
    """
    levels = []
    for lower in Grade:
        if lower.rank > grade.rank:
            break
        levels += [shipped_grade_level(lower, accounting), authority_grade_level(session, lower)]
    return combine_levels(levels)


@dataclass(frozen=True)
class GradeLevel:
    """A grade with its shipped level, the authority's addition and the level in force."""

    grade: Grade
    shipped: Policy
    authority: Policy
    in_force: Policy
    set_by: str | None
    set_at: datetime | None


def describe_level(
    session: Session, grade: Grade, accounting: Accounting = Accounting.PURE
) -> GradeLevel:
    """``grade``'s level as the policy pages show it."""
    row = _authority_document(session, grade)
    setter = session.get(UserRow, row.set_by) if row is not None and row.set_by else None
    return GradeLevel(
        grade=grade,
        shipped=shipped_grade_level(grade, accounting),
        authority=authority_grade_level(session, grade),
        in_force=grade_level(session, grade, accounting),
        set_by=setter.username if setter else None,
        set_at=row.set_at if row is not None else None,
    )


def set_grade_level(
    session: Session, actor: Actor, grade: Grade, document: str | Mapping[str, Any]
) -> GradeLevel:
    """The authority tightens ``grade``'s level; a document looser than the shipped level
    is refused naming each rule (the grade levels are part of the authority's floor).
    """
    if actor.role is not Role.AUTHORITY:
        raise PermissionDenied("only the authority sets the grade levels of the policy floor")
    policy = parse_policy(document, PolicyLevel.FLOOR)
    if policy.privacy_unit is not None:
        raise InvalidRequest("a grade level cannot name a privacy unit")
    accounting = policy.accounting or Accounting.PURE
    found = find_loosenings(
        shipped_grade_level(grade, accounting), policy, base_name=f"the shipped {grade} level"
    )
    if found:
        raise PolicyViolation(
            found, subject=f"the {grade} grade level", against=f"the shipped {grade} level"
        )
    stored = to_dict(policy)
    session.add(
        PolicyDocumentRow(
            level=str(PolicyLevel.FLOOR),
            ref=GRADE_REF_PREFIX + str(grade),
            document=stored,
            set_by=actor.user_id,
            set_at=utc_now(),
        )
    )
    session.flush()
    audit.record(
        session,
        actor,
        "policy.grade.set",
        object_type="policy",
        object_id=GRADE_REF_PREFIX + str(grade),
        detail={"document": stored},
    )
    return describe_level(session, grade, accounting)


# --- A dataset's grade ------------------------------------------------------------------------


@dataclass(frozen=True)
class DatasetGrade:
    """A dataset's approved grade, the provider's proposal waiting, and the grade in force."""

    dataset: str
    approved: Grade | None
    proposed: Grade | None
    in_force: Grade
    decided_by: str | None
    decided_at: datetime | None


def grade_in_force(row: DatasetRow) -> Grade:
    """The grade whose level holds for ``row`` now (fail closed, see the module doc)."""
    if row.grade is None:
        return STRICTEST
    approved = Grade(row.grade)
    if row.proposed_grade is None:
        return approved
    proposed = Grade(row.proposed_grade)
    return proposed if proposed.rank > approved.rank else approved


def floor_of_grade(
    session: Session, name: str, accounting: Accounting, row: DatasetRow | None = None
) -> Policy:
    """The level of the grade in force for dataset ``name`` (its ``row``, if already read)."""
    found = row if row is not None else dataset_row(session, name)
    return grade_level(session, grade_in_force(found), accounting)


def dataset_grade(session: Session, row: DatasetRow) -> DatasetGrade:
    """The grade facts of a dataset row."""
    decider = session.get(UserRow, row.grade_decided_by) if row.grade_decided_by else None
    return DatasetGrade(
        dataset=row.name,
        approved=Grade(row.grade) if row.grade else None,
        proposed=Grade(row.proposed_grade) if row.proposed_grade else None,
        in_force=grade_in_force(row),
        decided_by=decider.username if decider else None,
        decided_at=row.grade_decided_at,
    )


def read_grade(session: Session, actor: Actor, name: str) -> DatasetGrade:
    """A dataset's grade: every account may read it (it explains the rules that hold)."""
    del actor
    return dataset_grade(session, dataset_row(session, name))


def propose_grade(
    session: Session, actor: Actor, name: str, grade: Grade, *, reason: str = ""
) -> DatasetGrade:
    """The provider sets (proposes) its dataset's grade; the authority approves it
    (Wuxi art. 12: the provider grades its data, the authority reviews the catalog).
    Until then the stricter of the approved and the proposed grade holds.
    """
    row = dataset_row(session, name)
    require_owner(actor, row.provider_org_id, "grade this dataset")
    if row.grade == str(grade) and row.proposed_grade is None:
        raise Conflict(f"dataset {name!r} is already graded {grade}")
    row.proposed_grade = str(grade)
    row.updated_at = utc_now()
    session.flush()
    audit.record(
        session,
        actor,
        "dataset.grade.propose",
        object_type="dataset",
        object_id=name,
        detail={"grade": str(grade), "approved": row.grade, "reason": reason[:2000]},
    )
    return dataset_grade(session, row)


def decide_grade(
    session: Session,
    actor: Actor,
    name: str,
    *,
    approve: bool,
    grade: Grade | None = None,
    note: str = "",
) -> DatasetGrade:
    """The authority approves the proposed grade (or sets ``grade`` instead), or rejects
    the proposal, which keeps the approved grade (Wuxi art. 11: the authority reviews the
    graded catalog).
    """
    if actor.role is not Role.AUTHORITY:
        raise PermissionDenied("only the authority approves datasets' grades")
    row = dataset_row(session, name)
    if row.proposed_grade is None and grade is None:
        raise Conflict(f"dataset {name!r} has no grade proposal waiting")
    if not approve and row.proposed_grade is None:
        raise Conflict(f"dataset {name!r} has no grade proposal to reject")
    if not approve and grade is not None:
        raise InvalidRequest("a rejection keeps the approved grade: name no grade")
    if (
        approve
        and not note.strip()
        and grade is not None
        and row.proposed_grade
        not in (
            None,
            str(grade),
        )
    ):
        raise InvalidRequest("a grade other than the provider's proposal needs a note saying why")
    decided = grade or (Grade(row.proposed_grade) if row.proposed_grade else None)
    if approve:
        assert decided is not None
        row.grade = str(decided)
    row.proposed_grade = None
    row.grade_decided_by = actor.user_id
    row.grade_decided_at = utc_now()
    row.updated_at = row.grade_decided_at
    session.flush()
    audit.record(
        session,
        actor,
        "dataset.grade.decide",
        object_type="dataset",
        object_id=name,
        detail={
            "decision": "approved" if approve else "rejected",
            "grade": row.grade,
            "note": note[:2000],
        },
    )
    return dataset_grade(session, row)


def pending_grades(session: Session, actor: Actor) -> list[DatasetGrade]:
    """Datasets whose grade waits for the authority: proposals and ungraded datasets (the
    provider sees its own, oversight every one).
    """
    stmt = select(DatasetRow).where(
        DatasetRow.proposed_grade.is_not(None) | DatasetRow.grade.is_(None)
    )
    if actor.role not in OVERSIGHT_ROLES:
        if actor.role is not Role.PROVIDER or actor.organisation_id is None:
            raise PermissionDenied("the grades waiting are for providers and oversight")
        stmt = stmt.where(DatasetRow.provider_org_id == actor.organisation_id)
    rows = session.execute(stmt.order_by(DatasetRow.name)).scalars()
    return [
        dataset_grade(session, r)
        for r in rows
        if actor.role in OVERSIGHT_ROLES or owns(actor, r.provider_org_id)
    ]


def grade_counts(session: Session) -> dict[str, int]:
    """Datasets by approved grade, with ``ungraded`` and ``proposals`` (statistics)."""
    counts = dict.fromkeys([*(str(g) for g in Grade), "ungraded", "proposals"], 0)
    for grade, proposed in session.execute(select(DatasetRow.grade, DatasetRow.proposed_grade)):
        counts[grade or "ungraded"] += 1
        counts["proposals"] += proposed is not None
    return counts
