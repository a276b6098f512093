"""The value types of the console's translations: a language and a label in every one."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Lang(enum.StrEnum):
    """A language the console is written in."""

    ZH = "zh"
    EN = "en"

    @property
    def html_tag(self) -> str:
        """The BCP 47 tag of the page's ``lang`` attribute."""
        return "zh-CN" if self is Lang.ZH else "en"


@dataclass(frozen=True)
class Text:
    """One label in every language; ``{name}`` placeholders are filled at render time."""

    zh: str
    en: str

    def in_lang(self, lang: Lang) -> str:
        """The text in ``lang``."""
        return self.zh if lang is Lang.ZH else self.en
