"""What every schema module shares: the strict request base, the response base that reads
domain objects by attribute, and enum fields that name the allowed values (integers come
bounded from :mod:`api.types`).

Responses are built from the domain's value objects (never ORM rows) with
``Model.model_validate(obj)``: each field is read from the attribute of the same name, or from
the one its ``validation_alias`` names where the domain calls it otherwise. Where a field is
derived (a phrase for people, a flag computed from another attribute), a field validator of
the schema says how, next to the field.
"""

from __future__ import annotations

import enum
from typing import Annotated, Any, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    ValidationError,
)
from pydantic_core import CoreSchema, PydanticCustomError, core_schema


class Strict(BaseModel):
    """Request bodies refuse unknown fields, so a typo is an error and not a silent no-op."""

    model_config = ConfigDict(extra="forbid")


class FromDomain(BaseModel):
    """A response schema read from a domain object's attributes (``model_validate(obj)``).

    Every field is in every response body, so the OpenAPI document lists them all as
    required, those with a default too.
    """

    model_config = ConfigDict(
        from_attributes=True, json_schema_serialization_defaults_required=True
    )


def no_default(field_schema: dict[str, Any]) -> None:
    """``json_schema_extra`` of a response field whose default only stands until a validator
    sets it: clients always get the set value, so the document shows no default.
    """
    field_schema.pop("default", None)


class Health(BaseModel):
    """Liveness answer."""

    status: str


class Readiness(BaseModel):
    """Readiness answer: each part's state, and which parts are not ready."""

    status: str = Field(description="`ready` or `not ready`")
    parts: dict[str, str] = Field(
        description="database, storage, compute (Ray) and sandbox: `ready`, `unavailable`, "
        "or for compute `on demand` (a local Ray started by the first job: ready)"
    )
    not_ready: list[str] = Field(description="the parts that are unavailable")


# ---- enum fields of request bodies ---------------------------------------------------------

SHOWN_CHARS = 64
"""How much of a refused value an error message repeats."""


def allowed_values(kind: type[enum.StrEnum]) -> str:
    """The values of a domain enum as the refusals list them: ``dp, raw``."""
    return ", ".join(member.value for member in kind)


def not_one_of(label: str, value: object, kind: type[enum.StrEnum]) -> PydanticCustomError:
    """The refusal of a value outside ``kind``, worded as the domain's own parsers word it
    (:func:`sandbox._parse.parse_enum`): the label, the value (its first characters) and
    every allowed value.
    """
    shown = repr(value)
    if len(shown) > SHOWN_CHARS:
        shown = shown[:SHOWN_CHARS] + "..."
    return PydanticCustomError(
        "enum",
        "{label}{value} is not one of: {allowed}",
        {"label": f"{label} " if label else "", "value": shown, "allowed": allowed_values(kind)},
    )


class NamesChoices:
    """``Annotated`` marker for a domain enum in a request body: validated and documented as
    the enum (the OpenAPI document lists its values), refused with every allowed value.

    Pydantic's own refusal (``Input should be 'dp' or 'raw'``) would do, but the domain's
    wording (``'weird' is not one of: dp, raw``) is what clients and tests read everywhere
    else. The field's location comes first in the error; ``label`` names the value where
    the location alone would not (an item of a list: ``job kind 'sql' is not one of: ...``).
    """

    def __init__(self, label: str = "") -> None:
        self.label = label

    def __get_pydantic_core_schema__(
        self, source: type[enum.StrEnum], handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        def validate(value: Any, inner: core_schema.ValidatorFunctionWrapHandler) -> Any:
            try:
                return inner(value)
            except ValidationError:
                raise not_one_of(self.label, value, source) from None

        return core_schema.no_info_wrap_validator_function(validate, handler(source))


_E = TypeVar("_E", bound=enum.StrEnum)

Choice = Annotated[_E, NamesChoices()]
"""A domain enum a client sends as its string value: ``kind: Choice[JobKind]``."""
