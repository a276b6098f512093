"""Registering a dataset, and adding a version to one, from the provider's pages.

The file goes first, through the staged upload API (``POST /v1/uploads``, from
``static/upload.js`` with the session cookie and its CSRF token, a ``<progress>`` showing how
far it got); the form then posts the metadata with the ``upload_id`` it was given, and the
page calls the same domain functions as ``POST /v1/datasets`` and
``POST /v1/datasets/{name}/versions`` (:func:`sandbox.datasets.registry.register_dataset`,
:func:`~sandbox.datasets.registry.add_version`). Without JavaScript a provider may still
name a server-side file under an import root, as the API's ``source.path``.

A refused registration changes nothing (the registry's transactions roll back and the
ingested copy is deleted; the staged upload stays, so the form comes back holding it): the
form returns with the domain's message beside the field it concerns. A registered dataset
(and each new version) waits for the authority's publication review: the provider's pages
show it at once, the public catalog once it is passed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import yaml
from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from api.console.auth import Viewer
from api.console.oversight_forms import read_form
from api.console.pages.provider_data import ProviderViewer, owned_entry
from api.console.rendering import render
from api.console.routing import console_router
from api.deps import PlatformDep
from api.errors import status_for
from sandbox.catalog.dictionary import Classification, ColumnType, DataDictionary
from sandbox.catalog.grades import Grade, parse_grade
from sandbox.catalog.model import OpenAttribute, SourceFormat, UpdateFrequency
from sandbox.catalog.parsing import parse_format, parse_metadata
from sandbox.datasets import registry
from sandbox.errors import Conflict, InvalidRequest, InvalidUpload, NotFound, StorageFull
from sandbox.platform import Platform

router = console_router()

METADATA_FIELDS = (
    "name",
    "title",
    "description",
    "open_attribute",
    "open_conditions",
    "data_format",
    "data_type",
    "update_frequency",
    "contact",
    "legal_basis",
    "privacy_unit",
    "dictionary",
)
"""The fields of ``POST /v1/datasets`` besides its source and format."""
REGISTRATION_FIELDS = (*METADATA_FIELDS, "grade")
"""The registration's fields besides its source: the metadata and the proposed grade."""
SOURCE_FIELDS = ("format", "upload_id", "upload_name", "source_path")
VERSION_FIELDS = ("note", *SOURCE_FIELDS)

REFUSED = (InvalidRequest, NotFound, Conflict, StorageFull)
"""The errors a registration is refused with beside the form (nothing changed)."""

_FIELD_WORDS = (
    ("dataset name", "name"),
    ("title", "title"),
    ("contact", "contact"),
    ("grade", "grade"),
    ("legal basis", "legal_basis"),
    ("legal_basis", "legal_basis"),
    ("privacy unit", "privacy_unit"),
    ("open_attribute", "open_attribute"),
    ("update_frequency", "update_frequency"),
    ("format", "format"),
    ("data source", "file"),
    ("upload", "file"),
)
"""Which field a domain message is about, by the words it names it with."""


@dataclass
class RegistrationForm:
    """The posted values, and the problem with the field it concerns."""

    values: dict[str, str]
    problem: str | None = None
    problem_field: str | None = None
    choices: dict[str, list[str]] = field(default_factory=dict)


def _choices() -> dict[str, list[str]]:
    return {
        "open_attribute": [str(a) for a in OpenAttribute],
        "update_frequency": [str(f) for f in UpdateFrequency],
        "format": [str(f) for f in SourceFormat],
        "column_type": [str(c) for c in ColumnType],
        "classification": [str(c) for c in Classification],
        "grade": [str(g) for g in Grade],
    }


def _blank(names: tuple[str, ...]) -> dict[str, str]:
    values = dict.fromkeys(names, "")
    if "update_frequency" in values:
        values.update(update_frequency="irregular", data_format="parquet", data_type="table")
    return values


def _field_of(error: Exception, fallback: str | None = None) -> str | None:
    """The form field a refusal concerns (the message is shown in the summary either way)."""
    if isinstance(error, InvalidUpload | NotFound):
        return "file"
    if isinstance(error, Conflict):
        return "name"
    message = str(error).lower()
    for words, name in _FIELD_WORDS:
        if words in message:
            return name
    return fallback


def parse_dictionary(text: str) -> DataDictionary:
    """The data dictionary typed as a JSON or YAML list of columns (as the API's body holds
    it), refused with what is wrong.
    """
    if not text.strip():
        raise InvalidRequest("the data dictionary is empty: list the file's columns")
    try:
        loaded = json.loads(text) if text.lstrip().startswith("[") else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise InvalidRequest(
            f"the data dictionary is not valid JSON: {exc.msg} at line {exc.lineno}"
        ) from None
    except yaml.YAMLError:
        raise InvalidRequest("the data dictionary is not valid YAML") from None
    return DataDictionary.from_list(loaded)


def _source(values: dict[str, str]) -> registry.DataSource:
    upload_id = values.get("upload_id", "").strip() or None
    path = values.get("source_path", "").strip() or None
    return registry.DataSource(upload_id=upload_id, path=path)


def _register(platform: Platform, viewer: Viewer, values: dict[str, str]) -> str:
    """Register from the form's values; the dataset's name, or the refusal."""
    try:
        dictionary = parse_dictionary(values["dictionary"])
    except InvalidRequest as error:
        raise _Refused(error, "dictionary") from error
    data: dict[str, Any] = {name: values[name] for name in METADATA_FIELDS}
    data["dictionary"] = dictionary.to_list()
    data["privacy_unit"] = values["privacy_unit"].strip() or None
    try:
        metadata = parse_metadata(data)
        grade = parse_grade(values["grade"]) if values["grade"] else None
        declared = parse_format(values["format"] or None)
        registry.register_dataset(
            platform, viewer.actor, metadata, _source(values), declared, grade=grade
        )
    except REFUSED as error:
        raise _Refused(error, _field_of(error)) from error
    return metadata.name


class _Refused(Exception):
    """A refusal with the field it concerns, carried to the page."""

    def __init__(self, error: InvalidRequest | NotFound | Conflict | StorageFull, name: str | None):
        super().__init__(error.message)
        self.error = error
        self.field = name


def _form_page(
    request: Request,
    viewer: Viewer,
    template: str,
    form: RegistrationForm,
    extra: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    form.choices = _choices()
    context = {"form": form, **(extra or {})}
    return render(request, template, viewer, context, status_code=status_code)


@router.get("/console/provider/registration")
def register_page(request: Request, platform: PlatformDep, viewer: ProviderViewer) -> HTMLResponse:
    """The registration form: the metadata, the data dictionary and the file."""
    form = RegistrationForm(_blank(REGISTRATION_FIELDS + SOURCE_FIELDS))
    return _form_page(request, viewer, "pages/provider_data_register.html", form)


@router.post("/console/provider/registration")
async def register(request: Request, platform: PlatformDep, viewer: ProviderViewer) -> Response:
    """Register the dataset with its first version (``POST /v1/datasets``)."""
    posted = await read_form(request)
    values = {name: posted.get(name, "") for name in REGISTRATION_FIELDS + SOURCE_FIELDS}
    try:
        name = await run_in_threadpool(_register, platform, viewer, values)
    except _Refused as refused:
        form = RegistrationForm(values, refused.error.message, refused.field)
        return _form_page(
            request,
            viewer,
            "pages/provider_data_register.html",
            form,
            status_code=status_for(refused.error),
        )
    return RedirectResponse(f"/console/provider/datasets/{name}?done=registered", status_code=303)


def _version_extra(platform: Platform, viewer: Viewer, name: str) -> dict[str, Any]:
    with platform.sessions() as session:
        entry = owned_entry(session, viewer.actor, name, "add versions to this dataset")
    return {"entry": entry, "meta": entry.metadata}


@router.get("/console/provider/datasets/{name}/versions/new")
def version_page(
    name: str, request: Request, platform: PlatformDep, viewer: ProviderViewer
) -> HTMLResponse:
    """The form adding a version: the file (checked against the dictionary) and a note."""
    extra = _version_extra(platform, viewer, name)
    form = RegistrationForm(_blank(VERSION_FIELDS))
    return _form_page(request, viewer, "pages/provider_data_version.html", form, extra)


def _add_version(platform: Platform, viewer: Viewer, name: str, values: dict[str, str]) -> None:
    try:
        declared = parse_format(values["format"] or None)
        registry.add_version(
            platform, viewer.actor, name, _source(values), declared, values["note"]
        )
    except REFUSED as error:
        raise _Refused(error, _field_of(error, "file")) from error


@router.post("/console/provider/datasets/{name}/versions/new")
async def add_version(
    name: str, request: Request, platform: PlatformDep, viewer: ProviderViewer
) -> Response:
    """Store the file as the dataset's next version (``POST /v1/datasets/{name}/versions``)."""
    posted = await read_form(request)
    values = {key: posted.get(key, "") for key in VERSION_FIELDS}
    extra = await run_in_threadpool(_version_extra, platform, viewer, name)
    try:
        await run_in_threadpool(_add_version, platform, viewer, name, values)
    except _Refused as refused:
        form = RegistrationForm(values, refused.error.message, refused.field)
        return _form_page(
            request,
            viewer,
            "pages/provider_data_version.html",
            form,
            extra,
            status_code=status_for(refused.error),
        )
    return RedirectResponse(f"/console/provider/datasets/{name}?done=version", status_code=303)
