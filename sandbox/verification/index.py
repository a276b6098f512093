"""The index a verification answers from: keyed hashes of a dataset version's values.

One index per service and dataset version, built once from the version's file (only the
service's columns are read) and kept in memory: sorted 64-bit keyed hashes
(:func:`sandbox.verification.keys.lookup_hash`) of

- every row's whole tuple of the service's fields (``full``: the ``match`` answer);
- for ``per_field`` services, every row's key value (``key``) and every (key, field) pair
  of the other fields (``pairs``).

Answering is constant in form and in work (Qingdao art. 13's verification reveals one bit
per answer and nothing through its manner): every record of a service is looked up in every
one of its hash arrays with one binary search each, all records at once, whether or not an
earlier lookup matched; no lookup stops early, nothing is read from the data at answer time,
and every answer of a service has the same keys. The values themselves are gone once the
index is built: it holds hashes only, useless without the platform's key.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sandbox.catalog.dictionary import ColumnType
from sandbox.verification.keys import FINGERPRINT_BYTES, LOOKUP_BYTES, KeyedHash
from sandbox.verification.model import Answer, AnswerKind, FieldSpec
from sandbox.verification.normalise import stored_value

CACHED_INDEXES = 16
"""Indexes kept in memory per process (least recently used dropped first)."""

HashArray = npt.NDArray[np.uint64]


@dataclass(frozen=True)
class Probe:
    """What is kept of one submitted record: its hashes, never its values."""

    full: int
    key: int
    pairs: tuple[int, ...]
    record: str
    """The per-record quota's fingerprint (of the key field's value)."""


class Hasher:
    """The keyed hashes of one service: the same for the index and for the probes."""

    def __init__(self, key: bytes, service_id: int, fields: Sequence[FieldSpec]) -> None:
        columns = ",".join(spec.column for spec in fields)
        prefix = f"verification/v1/{service_id}/{columns}"
        self._full = KeyedHash(key, f"{prefix}/full", LOOKUP_BYTES)
        self._key = KeyedHash(key, f"{prefix}/key", LOOKUP_BYTES)
        self._pairs = [
            KeyedHash(key, f"{prefix}/pair/{position}", LOOKUP_BYTES)
            for position in range(len(fields))
        ]
        self._record = KeyedHash(key, f"{prefix}/record", FINGERPRINT_BYTES)

    def full(self, values: Sequence[str]) -> int:
        """The hash of a whole tuple of field values."""
        return self._full.number(values)

    def key(self, value: str) -> int:
        """The hash of a key value."""
        return self._key.number([value])

    def pair(self, position: int, key: str, value: str) -> int:
        """The hash of field ``position``'s value beside a key value."""
        return self._pairs[position].number([key, value])

    def record(self, key: str) -> str:
        """The per-record quota's fingerprint of a key value."""
        return self._record.digest([key]).hex()

    def probe(self, values: Sequence[str], kind: AnswerKind) -> Probe:
        """Every hash one record is looked up by (the same count for every record)."""
        pairs: tuple[int, ...] = ()
        key = 0
        if kind is AnswerKind.PER_FIELD:
            key = self.key(values[0])
            pairs = tuple(
                self.pair(position, values[0], value)
                for position, value in enumerate(values[1:], start=1)
            )
        return Probe(self.full(values), key, pairs, self.record(values[0]))


def _sorted(values: list[int]) -> HashArray:
    """The distinct hashes, sorted (a sort and a neighbour comparison: numpy's hash-based
    ``unique`` is many times slower on large arrays).
    """
    array = np.sort(np.array(values, dtype=np.uint64))
    if array.size < 2:
        return array
    keep = np.empty(array.size, dtype=np.bool_)
    keep[0] = True
    np.not_equal(array[1:], array[:-1], out=keep[1:])
    distinct: HashArray = array[keep]
    return distinct


@dataclass(frozen=True)
class VersionIndex:
    """The sorted hash arrays of one service over one dataset version."""

    kind: AnswerKind
    full: HashArray
    key: HashArray
    pairs: tuple[HashArray, ...]
    rows: int
    """Rows read to build it (for the logs; never shown to callers)."""

    def answers(self, fields: Sequence[FieldSpec], probes: Sequence[Probe]) -> list[Answer]:
        """The answer to every probe, in order (see the module docstring)."""
        full = _contains(self.full, [p.full for p in probes])
        if self.kind is AnswerKind.MATCH:
            return [Answer(i, bool(full[i]), None) for i in range(len(probes))]
        key = _contains(self.key, [p.key for p in probes])
        pairs = [
            _contains(array, [p.pairs[j] for p in probes]) for j, array in enumerate(self.pairs)
        ]
        names = [spec.name for spec in fields]
        found = []
        for i in range(len(probes)):
            per_field = {names[0]: bool(key[i])}
            for j, name in enumerate(names[1:]):
                per_field[name] = bool(pairs[j][i])
            found.append(Answer(i, bool(full[i]), per_field))
        return found


def _contains(array: HashArray, probes: list[int]) -> npt.NDArray[np.bool_]:
    """Whether each probe is in ``array``: one binary search per probe, every time."""
    wanted = np.array(probes, dtype=np.uint64)
    if array.size == 0:
        # Still one search per probe, against a one-element stand-in no probe can match
        # in this result: the work does not tell an empty index apart.
        np.searchsorted(np.zeros(1, dtype=np.uint64), wanted)
        return np.zeros(len(probes), dtype=np.bool_)
    at = np.minimum(np.searchsorted(array, wanted), array.size - 1)
    hits: npt.NDArray[np.bool_] = array[at] == wanted
    return hits


def build_index(
    hasher: Hasher,
    fields: Sequence[FieldSpec],
    kinds: Sequence[ColumnType],
    kind: AnswerKind,
    batches: Iterable[Mapping[str, Sequence[object]]],
) -> VersionIndex:
    """The index of a version whose service columns arrive in ``batches`` (column name to
    values); a row missing a field's value matches nothing through that field.
    """
    full: list[int] = []
    keys: list[int] = []
    pairs: list[list[int]] = [[] for _ in fields[1:]]
    rows = 0
    for batch in batches:
        columns = [
            [stored_value(spec, k, v) for v in batch[spec.column]]
            for spec, k in zip(fields, kinds, strict=True)
        ]
        for values in zip(*columns, strict=True):
            rows += 1
            if all(v is not None for v in values):
                full.append(hasher.full(values))
            if kind is AnswerKind.MATCH or values[0] is None:
                continue
            keys.append(hasher.key(values[0]))
            for j, value in enumerate(values[1:]):
                if value is not None:
                    pairs[j].append(hasher.pair(j + 1, values[0], value))
    return VersionIndex(
        kind=kind,
        full=_sorted(full),
        key=_sorted(keys),
        pairs=tuple(_sorted(p) for p in pairs) if kind is AnswerKind.PER_FIELD else (),
        rows=rows,
    )


class IndexCache:
    """The indexes of the latest versions asked about, built once each per process."""

    def __init__(self, size: int = CACHED_INDEXES) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple[object, ...], VersionIndex] = OrderedDict()

    def get(self, cache_key: tuple[object, ...], build: Callable[[], VersionIndex]) -> VersionIndex:
        """The cached index of ``cache_key``, built by ``build`` if missing (one build at a
        time, so two first calls never read the same file twice).
        """
        with self._lock:
            found = self._entries.get(cache_key)
            if found is not None:
                self._entries.move_to_end(cache_key)
                return found
            made = build()
            self._entries[cache_key] = made
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
            return made

    def clear(self) -> None:
        """Forget every index (tests; a rotated key)."""
        with self._lock:
            self._entries.clear()


INDEXES = IndexCache()
"""The process's index cache."""
