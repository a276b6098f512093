"""The dominance rules of a sum's or mean's cells (both blocking).

- ``dominance_nk``: the ``n`` largest contributors holding more than ``k`` percent of the
  cell's total (of absolute contributions, per privacy unit) fails;
- ``dominance_p``: what the total holds beyond the two largest contributions being less
  than ``p`` percent of the largest fails: the second largest contributor could estimate
  the largest too closely.

The cells that pass each rule are summarised in one line per output.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sandbox.disclosure.labels import many
from sandbox.disclosure.model import CheckLine, Rule

NK = Rule.DOMINANCE_NK
P = Rule.DOMINANCE_P


def shares_of(
    top: tuple[float, ...], total: float | None, contributors: int, n: int
) -> tuple[float | None, float | None]:
    """The top-n share of the total and the p% ratio, in percent (``None``: no total)."""
    if total is None or total <= 0 or not top:
        return None, None
    top_n = sum(top[:n])
    if n > len(top) and contributors > len(top):
        top_n += (n - len(top)) * top[-1]  # an upper bound: the rest are no larger
    share = min(100.0, 100.0 * top_n / total)
    top1 = top[0]
    top2 = top[1] if len(top) > 1 else 0.0
    remainder = max(0.0, total - top1 - top2)
    ratio = 100.0 * remainder / top1 if top1 > 0 else None
    return share, ratio


def shown(value: float) -> float:
    """A percentage as a report shows it."""
    return round(value, 2)


@dataclass
class DominanceNK:
    """The n,k rule applied to the cells of one output."""

    n: int
    k: int
    passing: list[float] = field(default_factory=list)

    def cell(self, where: str, share: float) -> CheckLine | None:
        """The line of a failing cell (``None``: it passes and counts in the summary)."""
        if share > self.k:
            return CheckLine(
                NK,
                where,
                shown(share),
                False,
                True,
                f"the {self.n} largest contributors hold {shown(share)}% of the "
                f"cell; the policy allows at most {self.k}%",
            )
        self.passing.append(share)
        return None

    def summary(self, where: str) -> CheckLine | None:
        """One line for the passing cells of the output (``None``: none passed)."""
        if not self.passing:
            return None
        return CheckLine(
            NK,
            where,
            shown(max(self.passing)),
            True,
            True,
            f"{many(len(self.passing), 'cell')}: the {self.n} largest "
            f"contributors hold at most {self.k}%",
        )


@dataclass
class DominanceP:
    """The p% rule applied to the cells of one output."""

    p: int
    passing: list[float] = field(default_factory=list)

    def cell(self, where: str, ratio: float) -> CheckLine | None:
        """The line of a failing cell (``None``: it passes and counts in the summary)."""
        if ratio < self.p:
            return CheckLine(
                P,
                where,
                shown(ratio),
                False,
                True,
                "beyond the two largest contributions the cell holds "
                f"{shown(ratio)}% of the largest; the policy asks at least "
                f"{self.p}%",
            )
        self.passing.append(ratio)
        return None

    def summary(self, where: str) -> CheckLine | None:
        """One line for the passing cells of the output (``None``: none passed)."""
        if not self.passing:
            return None
        return CheckLine(
            P,
            where,
            shown(min(self.passing)),
            True,
            True,
            f"{many(len(self.passing), 'cell')}: beyond the two largest "
            f"contributions at least {self.p}% of the largest",
        )
