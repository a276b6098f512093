"""Whether this run of the demo can reuse a grant, needs a new one, or cannot run at all.

Every run spends privacy budget on its DP job, so a rerun cannot simply pick up the grant
the last run used: that grant's account may no longer cover the job (``make demo`` used to
fail on a later run for exactly that reason). The decision here is taken from what the
provider reads through the API (``GET /v1/budgets/{name}``), never from what the demo
remembers, so it holds after any mix of demo runs and hand-made jobs.

The dataset's lifetime account bounds every grant together: once it cannot cover a run, no
new grant helps, and the demo says how to start over instead of failing half-way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

__all__ = ["LifetimeSpent", "NewGrant", "Reuse", "choose_grant", "remaining_loss"]


@dataclass(frozen=True)
class Reuse:
    """An active grant whose own account still covers this run."""

    grant: Mapping[str, Any]
    remaining: Fraction


@dataclass(frozen=True)
class NewGrant:
    """No active grant covers this run; the dataset's lifetime account still does."""

    reason: str


@dataclass(frozen=True)
class LifetimeSpent:
    """The dataset's lifetime account cannot cover this run: only starting over helps."""

    runs: int
    """About how many runs (of this run's cost) the spent budget paid for."""
    remaining: Fraction

    def message(self) -> str:
        """What the demo prints before it exits non-zero."""
        return (
            f"the demo dataset's lifetime privacy budget is spent after {self.runs} runs: "
            "run `make clean` (removes var/) to start over"
        )


GrantChoice = Reuse | NewGrant | LifetimeSpent


def remaining_loss(account: Mapping[str, Any]) -> Fraction:
    """An account's remaining loss, exactly (the API sends it as decimal text)."""
    return Fraction(str(account["remaining"]["loss"]))


def choose_grant(
    grants: Iterable[Mapping[str, Any]],
    budget: Mapping[str, Any],
    *,
    dataset: str,
    job_kinds: tuple[str, ...],
    need: Fraction,
) -> GrantChoice:
    """Decide how this run gets a grant that pays for ``need`` (the run's DP loss).

    Args:
        grants: The researcher's active grants (``GET /v1/grants?status=active``).
        budget: The dataset's accounts (``GET /v1/budgets/{dataset}``).
        dataset: The dataset the run's jobs read.
        job_kinds: The job kinds the run needs the grant to allow.
        need: The loss the run's DP jobs charge, at most.
    """
    accounts = budget["accounts"]
    lifetime = next((a for a in accounts if a["kind"] == "dataset"), None)
    if lifetime is None:  # opened with the dataset's first grant: nothing spent yet
        return NewGrant(f"no grant has used {dataset} yet")
    lifetime_left = remaining_loss(lifetime)
    if lifetime_left < need:
        spent = Fraction(str(lifetime["spent"]["loss"]))
        return LifetimeSpent(runs=int(spent / need), remaining=lifetime_left)
    left = {a["ref"]: remaining_loss(a) for a in accounts if a["kind"] == "grant"}
    fitting = [
        g for g in grants if dataset in g["datasets"] and set(job_kinds) <= set(g["job_kinds"])
    ]
    # A grant without an account of its own is not counted on: a new grant is the safe side.
    covering = [g for g in fitting if left.get(g["ref"], Fraction(0)) >= need]
    if covering:
        best = max(covering, key=lambda g: left[g["ref"]])
        return Reuse(grant=best, remaining=left[best["ref"]])
    if fitting:
        refs = ", ".join(f"{g['ref']} has {float(left.get(g['ref'], 0)):g} left" for g in fitting)
        return NewGrant(f"no active grant covers epsilon {float(need):g} ({refs})")
    return NewGrant(f"no active grant of the researcher covers {dataset}")
