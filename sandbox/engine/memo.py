"""Memoised exact partial aggregates: one pass over the data for several releases.

An exact aggregate depends only on the data it was computed from (the dataset version, its
privacy unit and contribution bound: the bounded copy) and on the :class:`PartialPlan`
(group keys with their declared values, bins, the derived columns and the filter, value
column, clamp bounds and grid). A
:class:`PartialMemo` keeps recent results in memory, within one
:class:`~sandbox.engine.handle.QueryEngine`, so that for example ``count``, ``sum`` and
``mean`` on the same keys, column and bounds read the data once:

- a plan without a value column (``count``) is answered by any kept result on the same
  data, keys, bins, derived columns and filter: the value column never filters rows, so
  every such result holds the same row count per group (a different filter or derived
  column is a different shape: it is never answered from another's aggregates);
- a plan with a value column is answered by a kept result on the same column, clamp bounds
  and grid step (the *raw units*, see :mod:`sandbox.engine.fixedpoint`) with at least the
  moments asked for; a different centring is applied exactly (``units - d * values``);
  sums of squares are reused only at the same offset.

What is kept is exact and never leaves the trusted process: only noised releases do (the
handle draws fresh noise, and charges the ledger, for every release, memoised or not). The
memo is bounded: at most ``max_entries`` results and ``max_groups`` groups in all, least
recently used first out.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, replace

from sandbox.engine.partials import GroupStats, Partial, PartialPlan

MAX_ENTRIES = 64
MAX_GROUPS = 1_000_000


@dataclass(frozen=True)
class _Entry:
    plan: PartialPlan
    partial: Partial


def _shape(plan: PartialPlan) -> tuple[Hashable, ...]:
    """What decides which rows fall in which group: everything but the value column."""
    return (plan.keys, plan.bins, plan.derived, plan.where)


def _value_key(plan: PartialPlan) -> tuple[Hashable, ...] | None:
    value = plan.value
    if value is None:
        return None
    return (value.column, value.grid.raw_key)


class PartialMemo:
    """Exact partial aggregates of recent plans, per data identity (see the module doc)."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_groups: int = MAX_GROUPS) -> None:
        self.max_entries = max_entries
        self.max_groups = max_groups
        self._entries: OrderedDict[tuple[Hashable, ...], _Entry] = OrderedDict()
        self._groups = 0
        self._lock = threading.Lock()
        self.hits = 0
        """Plans answered from the memo (for tests and benchmarks)."""
        self.misses = 0

    def get(self, data: Hashable, plan: PartialPlan) -> Partial | None:
        """The exact partial of ``plan`` on ``data`` if a kept result gives it, else None."""
        with self._lock:
            for key in reversed(self._entries):
                entry = self._entries[key]
                if key[0] != data or _shape(entry.plan) != _shape(plan):
                    continue
                derived = _derive(entry.plan, entry.partial, plan)
                if derived is not None:
                    self._entries.move_to_end(key)
                    self.hits += 1
                    return derived
            self.misses += 1
            return None

    def put(self, data: Hashable, plan: PartialPlan, partial: Partial) -> None:
        """Keep the exact ``partial`` of ``plan`` on ``data`` (if it fits the bounds)."""
        if len(partial) > self.max_groups:
            return
        key = (data, plan)
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._groups -= len(old.partial)
            self._entries[key] = _Entry(plan, partial)
            self._groups += len(partial)
            while self._entries and (
                len(self._entries) > self.max_entries or self._groups > self.max_groups
            ):
                _, dropped = self._entries.popitem(last=False)
                self._groups -= len(dropped.partial)

    def clear(self) -> None:
        """Forget everything kept."""
        with self._lock:
            self._entries.clear()
            self._groups = 0


def _derive(have: PartialPlan, partial: Partial, want: PartialPlan) -> Partial | None:
    """``want``'s partial from ``have``'s (same data, keys and bins), or None."""
    if want.value is None:
        return {key: GroupStats(rows=stats.rows) for key, stats in partial.items()}
    if have.value is None or _value_key(have) != _value_key(want):
        return None
    got, asked = have.value, want.value
    if got.moments < asked.moments:
        return None
    if asked.candidates is not None and got.candidates != asked.candidates:
        return None
    if asked.moments >= 2 and got.grid.offset != asked.grid.offset:
        return None
    shift = got.grid.offset_units - asked.grid.offset_units
    out: Partial = {}
    for key, stats in partial.items():
        out[key] = replace(
            stats,
            units=stats.units + shift * stats.values if asked.moments >= 1 else 0,
            squares=stats.squares if asked.moments >= 2 else 0,
            codes=dict(stats.codes) if asked.candidates is not None else {},
        )
    return out
