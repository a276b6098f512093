"""The console's languages and its translation catalogue.

Every label a page shows is a key of :data:`CATALOGUE`, with a Chinese and an English text
(:class:`Text`); a page never writes a label of its own. The catalogue is the union of the
modules of :mod:`api.console.messages`, one per area of the console, so pages added side by
side do not edit one shared file; a key defined twice is an error at import.

Chinese is the default language (the platform serves Chinese cities' portals); a visitor
picks English with ``?lang=en`` or the switch in the header, kept in the ``lang`` cookie.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import Request

from api.console.messages import AREAS
from api.console.text import Lang, Text

DEFAULT_LANG = Lang.ZH
LANG_COOKIE = "lang"
LANG_QUERY = "lang"


def merge(areas: Iterable[Mapping[str, Text]]) -> dict[str, Text]:
    """One catalogue from the areas' message tables, refusing a key defined twice."""
    merged: dict[str, Text] = {}
    for area in areas:
        for key, text in area.items():
            if key in merged:
                raise ValueError(f"the console message {key!r} is defined twice")
            merged[key] = text
    return merged


CATALOGUE: dict[str, Text] = merge(AREAS)
"""Every console message by key."""


def placeholders(template: str) -> set[str]:
    """The ``{name}`` fields of a message, so both languages can be checked to use the same."""
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


class Translator:
    """``t(key, **values)`` for one language; an unknown key is a programming error."""

    def __init__(self, lang: Lang, catalogue: Mapping[str, Text] = CATALOGUE) -> None:
        self.lang = lang
        self._catalogue = catalogue

    def __call__(self, key: str, **values: Any) -> str:
        """The text of ``key`` in this language, its placeholders filled from ``values``."""
        try:
            text = self._catalogue[key].in_lang(self.lang)
        except KeyError:
            raise KeyError(f"no console message {key!r} in the catalogue") from None
        return text.format(**values) if values else text


def parse_lang(value: str | None) -> Lang | None:
    """A language from a query parameter or cookie; anything else is ignored."""
    if value is None:
        return None
    try:
        return Lang(value.strip().lower())
    except ValueError:
        return None


def request_lang(request: Request) -> Lang:
    """The page's language: ``?lang=``, then the ``lang`` cookie, then Chinese."""
    return (
        parse_lang(request.query_params.get(LANG_QUERY))
        or parse_lang(request.cookies.get(LANG_COOKIE))
        or DEFAULT_LANG
    )
