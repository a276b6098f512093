"""``min_dof``: a regression with fewer residual degrees of freedom than asked fails.

Blocking: with few degrees of freedom a fit comes close to the rows it was fitted on.
"""

from __future__ import annotations

from sandbox.disclosure.model import CheckLine, Rule

RULE = Rule.MIN_DOF


def min_dof_line(where: str, dof: int, minimum: int) -> CheckLine:
    """The line of one regression's residual degrees of freedom."""
    return CheckLine(
        RULE,
        where,
        dof,
        dof >= minimum,
        True,
        f"{dof} residual degrees of freedom; the policy asks at least {minimum}",
    )
