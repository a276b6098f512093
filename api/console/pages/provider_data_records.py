"""The provider's records of a dataset, from its page: a desensitisation step, and a
request to change its open attribute for the authority to decide.

The posted fields are checked by the API's own bodies (``DesensitisationCreate``,
``AttributeChangeCreate``) and handed to the domain calls of
``POST /v1/datasets/{name}/desensitisations`` and ``POST /v1/datasets/{name}/attribute-changes``
(:func:`sandbox.catalog.changes.record_desensitisation`,
:func:`~sandbox.catalog.changes.request_change`): the owning provider only. A refused form
changes nothing and comes back on the dataset page beside the form it concerns.
"""

from __future__ import annotations

from typing import TypeVar

from fastapi import Request, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from api.console.oversight_forms import read_form
from api.console.pages.provider_data import ProviderViewer
from api.console.pages.provider_data_governance import decide
from api.console.routing import console_router
from api.deps import PlatformDep
from api.schemas.attribute_changes import AttributeChangeCreate
from api.schemas.datasets import DesensitisationCreate
from sandbox.catalog import changes
from sandbox.catalog.model import OpenAttribute
from sandbox.catalog.parsing import parse_enum
from sandbox.errors import InvalidRequest

router = console_router()

Body = TypeVar("Body", DesensitisationCreate, AttributeChangeCreate)


def _blank_as_none(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


def _checked(kind: type[Body], fields: dict[str, object]) -> Body:
    """The form as the API's body, or the API's refusal of it naming the field."""
    try:
        return kind.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InvalidRequest(f"{where}: {first['msg']}") from None


@router.post("/console/provider/datasets/{name}/desensitisations")
async def record_desensitisation(
    name: str, request: Request, platform: PlatformDep, viewer: ProviderViewer
) -> Response:
    """Add a desensitisation step to the dataset's record."""
    fields = await read_form(request)

    def change(session: Session) -> object:
        body = _checked(
            DesensitisationCreate,
            {
                "method": fields.get("method", ""),
                "description": fields.get("description", ""),
                "version": _blank_as_none(fields.get("version")),
            },
        )
        return changes.record_desensitisation(
            session,
            viewer.actor,
            name,
            method=body.method,
            description=body.description,
            version=body.version,
        )

    return decide(request, platform, viewer, name, "desensitisation", change, "desensitisation")


@router.post("/console/provider/datasets/{name}/attribute-changes")
async def request_attribute_change(
    name: str, request: Request, platform: PlatformDep, viewer: ProviderViewer
) -> Response:
    """Ask the authority to change the dataset's open attribute."""
    fields = await read_form(request)

    def change(session: Session) -> object:
        body = _checked(
            AttributeChangeCreate,
            {
                "to_attribute": fields.get("to_attribute", ""),
                "legal_basis": fields.get("legal_basis", ""),
                "desensitisation_id": _blank_as_none(fields.get("desensitisation_id")),
                "consent_reference": fields.get("consent_reference", ""),
                "reason": fields.get("reason", ""),
            },
        )
        return changes.request_change(
            session,
            viewer.actor,
            name,
            to_attribute=parse_enum(OpenAttribute, body.to_attribute, "to_attribute"),
            legal_basis=body.legal_basis,
            desensitisation_id=body.desensitisation_id,
            consent_reference=body.consent_reference,
            reason=body.reason,
        )

    return decide(request, platform, viewer, name, "attribute", change, "attribute")
