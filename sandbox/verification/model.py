"""Value types of the verification services (Qingdao art. 13: data service interfaces "for
query or verification").

A service names its input fields, each mapped to a column of its conditional dataset, and
the kind of answer it gives: ``match`` (does one row hold every field's value) or
``per_field`` (does a row with the key field's value exist, and for each other field, does
such a row hold that value too). The first field is the key: an identifier column, since
a verification asks about one record the caller already knows by its identifier. An
answer is a boolean or a few, never a value.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sandbox._parse import parse_enum
from sandbox.errors import InvalidRequest

MAX_FIELDS = 8
"""Most input fields one service declares."""
MAX_VALUE_CHARS = 256
"""Longest value one input field takes (before normalisation)."""
MAX_NAME_CHARS = 64
MAX_DESCRIPTION_CHARS = 2000
MAX_REASON_CHARS = 1000
MAX_MIN_LENGTH = 64
"""Largest minimum input length a field may declare."""

ALWAYS_WILDCARDS = frozenset("*%?")
"""Characters no input may hold: they read as patterns, and a service matches exactly."""
UNDERSCORE = "_"
"""Refused too where the field declares it (an SQL-style one-character wildcard)."""


class AnswerKind(enum.StrEnum):
    """What a service answers for each record."""

    MATCH = "match"
    """One boolean: a row holds every field's value."""
    PER_FIELD = "per_field"
    """The overall boolean and one per field (see the module docstring)."""


class CasePolicy(enum.StrEnum):
    """How a text field's letter case is compared."""

    SENSITIVE = "sensitive"
    INSENSITIVE = "insensitive"
    """Compared after Unicode case folding."""


class ServiceStatus(enum.StrEnum):
    """Whether a service answers."""

    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class FieldSpec:
    """One input field of a service: its name for callers, the column it is matched
    against, and the normalisation and refusals declared for it.
    """

    name: str
    column: str
    case: CasePolicy = CasePolicy.SENSITIVE
    min_length: int = 1
    """Shortest input accepted, in characters after normalisation (partial inputs refused)."""
    refuse_underscore: bool = False
    """Refuse ``_`` as a wildcard character in this field's inputs."""

    def to_dict(self) -> dict[str, Any]:
        """The stored (and published) form."""
        return {
            "name": self.name,
            "column": self.column,
            "case": str(self.case),
            "min_length": self.min_length,
            "refuse_underscore": self.refuse_underscore,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FieldSpec:
        """Parse one field as a provider declares it, naming what is wrong."""
        if not isinstance(data, Mapping):
            raise InvalidRequest("each field must be an object with a name and a column")
        unknown = sorted(set(data) - {"name", "column", "case", "min_length", "refuse_underscore"})
        if unknown:
            raise InvalidRequest(f"a field holds unknown keys: {', '.join(unknown)}")
        name, column = data.get("name"), data.get("column", data.get("name"))
        if not isinstance(name, str) or not name.strip():
            raise InvalidRequest("every field needs a name")
        if not isinstance(column, str) or not column:
            raise InvalidRequest(f"field {name!r}: column must be a column name")
        min_length = data.get("min_length", 1)
        if type(min_length) is not int or not 1 <= min_length <= MAX_MIN_LENGTH:
            raise InvalidRequest(
                f"field {name!r}: min_length must be a whole number from 1 to {MAX_MIN_LENGTH}"
            )
        refuse = data.get("refuse_underscore", False)
        if type(refuse) is not bool:
            raise InvalidRequest(f"field {name!r}: refuse_underscore must be true or false")
        return cls(
            name=name.strip(),
            column=column,
            case=parse_enum(CasePolicy, data.get("case", "sensitive"), f"field {name!r}: case"),
            min_length=min_length,
            refuse_underscore=refuse,
        )


@dataclass(frozen=True)
class Service:
    """A published or withdrawn verification service, as everyone sees it."""

    id: int
    dataset: str
    name: str
    description: str
    fields: tuple[FieldSpec, ...]
    answer: AnswerKind
    status: ServiceStatus
    created_by: str
    created_at: datetime
    withdrawn_at: datetime | None
    withdrawn_reason: str

    @property
    def key(self) -> FieldSpec:
        """The field that names the record asked about (the first)."""
        return self.fields[0]


@dataclass(frozen=True)
class Answer:
    """The answer about one record: the same shape for every record of one service."""

    record: int
    """The record's position in the request, from 0."""
    match: bool
    fields: Mapping[str, bool] | None
    """Per field (``per_field`` services), in the service's field order; else ``None``."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (one NDJSON line of a batch)."""
        body: dict[str, Any] = {"record": self.record, "match": self.match}
        if self.fields is not None:
            body["fields"] = dict(self.fields)
        return body


@dataclass(frozen=True)
class Quota:
    """What the calling grant has left today, for its holder."""

    day: str
    """The local day the counts belong to (ISO date)."""
    per_grant_per_day: int
    per_record_per_day: int
    used_today: int
    """Records this grant verified today against every service of the dataset."""

    @property
    def remaining(self) -> int:
        """Records the grant may still verify today."""
        return max(0, self.per_grant_per_day - self.used_today)


@dataclass(frozen=True)
class Verification:
    """The answers of one call, in the records' order, and the quota after it."""

    service: int
    dataset: str
    grant: str
    answers: tuple[Answer, ...]
    quota: Quota
