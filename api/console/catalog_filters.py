"""The catalog page's search and filters: read from the query string, checked, applied.

Each filter is a query parameter the page's form sends (so a filtered catalog is a link
that can be shared): ``q`` (words in the name, title, description or a column's name or
description), ``attribute``, ``provider``, ``frequency``, ``staleness`` (``stale`` or
``fresh``) and ``updated_within`` (days since the newest version). A value that is not
one of the choices, or not a number in range, is reported by field with a message key;
the catalog is then shown unfiltered by that field, never a traceback or a 500.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sandbox.catalog.model import CatalogEntry, OpenAttribute, UpdateFrequency

MAX_QUERY_CHARS = 200
MAX_UPDATED_WITHIN_DAYS = 3650
STALENESS = ("stale", "fresh")


@dataclass(frozen=True)
class FieldProblem:
    """A filter value that was refused: the field, the message key and its values."""

    name: str
    """The query parameter."""
    key: str
    values: dict[str, str | int] = field(default_factory=dict)


@dataclass(frozen=True)
class CatalogQuery:
    """The checked filters (``None``: not filtered by that field)."""

    text: str = ""
    attribute: OpenAttribute | None = None
    provider: str | None = None
    frequency: UpdateFrequency | None = None
    staleness: str | None = None
    updated_within: int | None = None

    @property
    def active(self) -> bool:
        """Whether any filter is set."""
        return self != CatalogQuery()


def parse_query(
    params: Mapping[str, str], known_providers: Iterable[str]
) -> tuple[CatalogQuery, list[FieldProblem]]:
    """The filters of a query string, and the problems of those that could not be used
    (``known_providers``: the providers in the catalog, the provider filter's choices).
    """
    problems: list[FieldProblem] = []

    def choice(name: str, allowed: Iterable[str]) -> str | None:
        value = params.get(name, "").strip()
        if not value:
            return None
        options = list(allowed)
        if value not in options:
            problems.append(FieldProblem(name, "catalog.error.choice", {"value": value[:40]}))
            return None
        return value

    text = params.get("q", "").strip()
    if len(text) > MAX_QUERY_CHARS:
        problems.append(FieldProblem("q", "catalog.error.too_long", {"max": MAX_QUERY_CHARS}))
        text = ""
    attribute = choice("attribute", (a.value for a in OpenAttribute))
    frequency = choice("frequency", (f.value for f in UpdateFrequency))
    staleness = choice("staleness", STALENESS)
    provider = choice("provider", known_providers)
    updated_within = _days(params.get("updated_within", "").strip(), problems)
    query = CatalogQuery(
        text=text,
        attribute=OpenAttribute(attribute) if attribute else None,
        provider=provider,
        frequency=UpdateFrequency(frequency) if frequency else None,
        staleness=staleness,
        updated_within=updated_within,
    )
    return query, problems


def _days(value: str, problems: list[FieldProblem]) -> int | None:
    if not value:
        return None
    if not value.isdecimal() or not 1 <= int(value) <= MAX_UPDATED_WITHIN_DAYS:
        problems.append(
            FieldProblem(
                "updated_within",
                "catalog.error.days",
                {"value": value[:40], "max": MAX_UPDATED_WITHIN_DAYS},
            )
        )
        return None
    return int(value)


def matches(entry: CatalogEntry, query: CatalogQuery, now: datetime) -> bool:
    """Whether ``entry`` passes every filter of ``query``."""
    meta = entry.metadata
    if query.attribute is not None and meta.open_attribute is not query.attribute:
        return False
    if query.frequency is not None and meta.update_frequency is not query.frequency:
        return False
    if query.provider is not None and entry.provider_org != query.provider:
        return False
    if query.staleness is not None and entry.stale != (query.staleness == "stale"):
        return False
    if query.updated_within is not None:
        latest = entry.latest
        if latest is None or now - latest.created_at > timedelta(days=query.updated_within):
            return False
    return not query.text or all(word in _haystack(entry) for word in query.text.casefold().split())


def _haystack(entry: CatalogEntry) -> str:
    meta = entry.metadata
    parts = [meta.name, meta.title, meta.description, entry.provider_org]
    for column in meta.dictionary.columns:
        parts += [column.name, column.description]
    return "\n".join(parts).casefold()


def apply(
    entries: Iterable[CatalogEntry], query: CatalogQuery, now: datetime
) -> list[CatalogEntry]:
    """The entries that pass ``query``, in the catalog's order."""
    return [entry for entry in entries if matches(entry, query, now)]


def providers(entries: Iterable[CatalogEntry]) -> list[str]:
    """The providers' names, for the provider filter's choices."""
    return sorted({entry.provider_org for entry in entries})
