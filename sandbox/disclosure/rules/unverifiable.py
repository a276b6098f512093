"""``unverifiable`` (raw-access jobs): what the platform did not compute needs a human.

Anything a raw-access result holds besides verified outputs (numbers, texts, a dict that is
no verified output, a verified output the model altered) fails without blocking: it forbids
automatic release and is shown to the reviewer. One line per largest part holding no
verified output.
"""

from __future__ import annotations

from sandbox.disclosure.labels import many
from sandbox.disclosure.model import CheckLine, Rule

RULE = Rule.UNVERIFIABLE

NOT_OURS = (
    "marked as a platform output, but not one this job's helpers computed: a reviewer must check it"
)
ALTERED = (
    "a platform output the model altered: it can no longer be verified; a reviewer must check it"
)
UNKNOWN_KIND = "an output of a kind the checks do not know"


def unverifiable_line(where: str, count: int, why: str = "") -> CheckLine:
    """The line of a part holding ``count`` values and keys the platform did not compute."""
    return CheckLine(
        RULE,
        where,
        count,
        False,
        False,
        why or f"{many(count, 'value')} the platform did not compute: a reviewer must check them",
    )
