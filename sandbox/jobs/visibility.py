"""What of a job each reader may see: the platform's facts at once, the model's words later.

A job's *content* is what its model produced: its log lines, its error text and its result.
The platform's own facts (state, the reason for it, the outcome, the limit that stopped the
run, and for a model error the exception's built-in type and its line in the model) are
always shown to whoever may see the job.

The content follows the result across the release boundary (DESIGN.md, trust boundary 4):

- the provider's reviewers of the granting organisation see it at once: they judge it;
- the job's owner sees it once the result is released, or at once for a DP job whose every
  dataset releases DP results automatically (``review.mode: auto_dp``): then nothing in it
  waits for a person;
- oversight (admin, auditor, authority) sees the job's metadata; its content only once it is
  released.

The log and errors may also cross on their own: when the author asked for them to be
reviewed and a reviewer released them (:mod:`sandbox.review.logs`), e.g. for a failed job,
which never reaches the result's review. The result stays governed by its own release.
"""

from __future__ import annotations

import builtins
import re
from typing import Any

from sqlalchemy.orm import Session

from sandbox import policy_store
from sandbox.access.model import JobKind
from sandbox.identity.model import Actor, Role
from sandbox.jobs.model import JobState, LogReview
from sandbox.policies import ReviewMode
from sandbox.store.models import JobRow

__all__ = ["content_held", "model_error_facts", "reviews_automatically"]

_STAFF_ROLES = frozenset({Role.PROVIDER, Role.REVIEWER})


def reviews_automatically(session: Session, row: JobRow) -> bool:
    """Whether every dataset of a DP job releases its DP results without a person."""
    if row.kind != JobKind.DP:
        return False
    policies = policy_store.effective_under_grant(session, row.grant_id, row.datasets)
    return all(policy.review_mode is ReviewMode.AUTO_DP for policy in policies.values())


def content_held(session: Session, actor: Actor, row: JobRow) -> bool:
    """Whether the model's log and errors are withheld from ``actor`` (the result crosses
    only with the job's release: :func:`sandbox.jobs.service.job_of`).

    ``actor`` is someone who may see the job at all (its owner, the granting organisation's
    staff, oversight); see the module docstring for the rule.
    """
    if row.state == JobState.RELEASED or row.log_review == LogReview.RELEASED:
        return False
    if actor.role in _STAFF_ROLES and actor.user_id != row.owner_id:
        return False
    if actor.user_id == row.owner_id:
        return not reviews_automatically(session, row)
    return True


_MODEL_ERROR = re.compile(r"^(?:Line (\d{1,9}): )?([A-Za-z_][A-Za-z0-9_]{0,80}): ")
_RUNTIME_EXCEPTIONS = frozenset({"DPError", "DPArgumentError"})
"""Exceptions the runtime raises into a model (:mod:`sandbox.runtime.worker`)."""
_BUILTIN_EXCEPTIONS = (
    frozenset(
        name
        for name, value in vars(builtins).items()
        if isinstance(value, type) and issubclass(value, BaseException)
    )
    | _RUNTIME_EXCEPTIONS
)


def model_error_facts(errors: list[str], source: str) -> dict[str, Any] | None:
    """The platform's facts of a model error, fit for its author before any review.

    Only what cannot carry data: the exception's type when it is a built-in one (a class the
    model defined could be named after a value), and its line when it is a line of the
    model's source. The message itself stays with the held content.
    """
    if not errors:
        return None
    found = _MODEL_ERROR.match(errors[0])
    if found is None:
        return None
    line_text, name = found.groups()
    facts: dict[str, Any] = {
        "exception": name if name in _BUILTIN_EXCEPTIONS else "a class the model defined"
    }
    if line_text is not None and 1 <= int(line_text) <= len(source.splitlines()):
        facts["line"] = int(line_text)
    return facts
