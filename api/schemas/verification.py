"""Request and response schemas of the verification services (Qingdao art. 13)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StrictBool, StrictInt, StrictStr, field_validator

from api.schemas.common import Choice, FromDomain, Strict
from sandbox.verification.calls import MAX_RECORDS_PER_CALL
from sandbox.verification.model import (
    MAX_DESCRIPTION_CHARS,
    MAX_FIELDS,
    MAX_MIN_LENGTH,
    MAX_NAME_CHARS,
    MAX_REASON_CHARS,
    MAX_VALUE_CHARS,
    AnswerKind,
    CasePolicy,
    FieldSpec,
    ServiceStatus,
)

FieldName = Annotated[str, Field(min_length=1, max_length=63)]


class FieldIn(Strict):
    """One input field: its name for callers and the dataset column it is matched against
    (the same name when left out). The first field of a service is its key.
    """

    name: FieldName
    column: FieldName | None = None
    case: Choice[CasePolicy] = CasePolicy.SENSITIVE
    min_length: StrictInt = Field(default=1, ge=1, le=MAX_MIN_LENGTH)
    refuse_underscore: StrictBool = False


class ServiceCreate(Strict):
    """Body of ``POST /v1/datasets/{name}/verification-services`` (the dataset's provider)."""

    name: str = Field(min_length=1, max_length=MAX_NAME_CHARS)
    description: str = Field(default="", max_length=MAX_DESCRIPTION_CHARS)
    fields: list[FieldIn] = Field(min_length=1, max_length=MAX_FIELDS)
    answer: Choice[AnswerKind] = AnswerKind.MATCH


class FieldPublic(FromDomain):
    """One input field of a service."""

    name: str
    column: str
    case: CasePolicy
    min_length: int
    refuse_underscore: bool


class ServicePublic(FromDomain):
    """A verification service: its fields (the first is the key), its answer kind and its
    state.
    """

    id: int
    dataset: str
    name: str
    description: str
    fields: list[FieldPublic]
    answer: AnswerKind
    status: ServiceStatus
    created_by: str
    created_at: datetime
    withdrawn_at: datetime | None
    withdrawn_reason: str


class WithdrawIn(Strict):
    """Body of ``POST /v1/verification-services/{service_id}/withdraw``."""

    reason: str = Field(min_length=1, max_length=MAX_REASON_CHARS)


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
BoundedInt = Annotated[StrictInt, Field(ge=INT64_MIN, le=INT64_MAX)]
"""A whole-number field value: the range of the int64 columns a service may key on."""

FieldValue = StrictStr | BoundedInt | StrictBool


class VerifyIn(Strict):
    """Body of ``POST /v1/verification-services/{service_id}/verify``: up to 100 records,
    each an object of the service's field names to exact values.
    """

    records: list[dict[str, FieldValue]] = Field(min_length=1, max_length=MAX_RECORDS_PER_CALL)
    grant: str | None = Field(
        default=None, max_length=64, description="the grant to count the call against"
    )

    @field_validator("records")
    @classmethod
    def _bounded(cls, records: list[dict[str, FieldValue]]) -> list[dict[str, FieldValue]]:
        for record in records:
            if len(record) > MAX_FIELDS:
                raise ValueError(f"a record holds at most {MAX_FIELDS} fields")
            for value in record.values():
                if isinstance(value, str) and len(value) > MAX_VALUE_CHARS:
                    raise ValueError(f"a value holds at most {MAX_VALUE_CHARS} characters")
        return records


class AnswerPublic(FromDomain):
    """The answer about one record: ``match``, and for ``per_field`` services ``fields``
    (else ``null``); never a value.
    """

    record: int
    match: bool
    fields: dict[str, bool] | None


class QuotaPublic(FromDomain):
    """What the grant may still verify today (the platform calendar's day)."""

    day: str
    per_grant_per_day: int
    per_record_per_day: int
    used_today: int
    remaining: int


class VerificationPublic(FromDomain):
    """The answers of one call, in the records' order, and the grant's quota after it."""

    service: int
    dataset: str
    grant: str
    answers: list[AnswerPublic]
    quota: QuotaPublic


def field_specs(fields: list[FieldIn]) -> list[dict[str, object]]:
    """The fields of a create request as the domain takes them."""
    return [
        FieldSpec.from_dict(
            {
                "name": f.name,
                "column": f.column or f.name,
                "case": str(f.case),
                "min_length": f.min_length,
                "refuse_underscore": f.refuse_underscore,
            }
        ).to_dict()
        for f in fields
    ]
