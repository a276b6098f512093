"""The translation catalogue: every key in both languages, every key a page uses defined."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from api.console import i18n, nav
from api.console.i18n import CATALOGUE, Translator, merge, placeholders
from api.console.text import Lang, Text
from sandbox.catalog.model import OpenAttribute, UpdateFrequency
from sandbox.identity.model import Role

CONSOLE = Path(i18n.__file__).parent
# t("key") / t('key') in templates and Python, and keys built from a literal prefix.
_KEY = r"[a-z0-9_]+(?:\.[a-z0-9_]+)+"
_KEY_USE = re.compile(rf"""\bt\(\s*["']({_KEY})["']""")
_KEY_ARG = re.compile(r"""["']((?:nav|catalog|error)\.[a-z0-9_]+(?:\.[a-z0-9_]+)*)["']""")


def _sources() -> list[Path]:
    return [
        *CONSOLE.rglob("*.html"),
        *(p for p in CONSOLE.rglob("*.py") if "messages" not in p.parts),
    ]


def test_every_key_has_both_languages_with_the_same_placeholders() -> None:
    problems = []
    for key, text in CATALOGUE.items():
        for lang in Lang:
            if not text.in_lang(lang).strip():
                problems.append(f"{key}: no {lang.value} text")
        if placeholders(text.zh) != placeholders(text.en):
            problems.append(f"{key}: placeholders differ ({text.zh!r} / {text.en!r})")
    assert not problems, problems


def test_chinese_texts_are_chinese() -> None:
    """A key whose Chinese text was left in English is a missing translation."""
    untranslated = [k for k, t in CATALOGUE.items() if not re.search(r"[\u4e00-\u9fff]", t.zh)]
    assert not untranslated, untranslated


def test_every_key_a_page_uses_is_in_the_catalogue() -> None:
    used: set[str] = set()
    for path in _sources():
        text = path.read_text()
        used |= set(_KEY_USE.findall(text)) | set(_KEY_ARG.findall(text))
    assert used, "no message use found: the pattern is wrong"
    missing = sorted(key for key in used if key not in CATALOGUE)
    assert not missing, missing


def test_keys_built_from_values_exist_for_every_value() -> None:
    """Templates build keys from roles, attributes, frequencies: each value has its label."""
    expected = [f"role.{r}" for r in Role]
    expected += [f"attribute.{a}" for a in OpenAttribute]
    expected += [f"attribute.{a}.explain" for a in OpenAttribute]
    expected += [f"frequency.{f}" for f in UpdateFrequency]
    expected += ["staleness.stale", "staleness.fresh"]
    # the catalog's error summary labels each refused filter by its field
    expected += [f"catalog.{f}" for f in ("search", "attribute", "provider", "frequency")]
    expected += ["catalog.staleness", "catalog.updated_within"]
    assert [k for k in expected if k not in CATALOGUE] == []


def test_every_navigation_link_is_labelled() -> None:
    from api.console import install_console  # noqa: F401  (imports every page module)

    assert all(item.key in CATALOGUE for item in nav._ITEMS.values())


def test_a_key_defined_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="defined twice"):
        merge([{"a.b": Text("甲", "A")}, {"a.b": Text("乙", "B")}])


def test_translator_fills_placeholders_and_names_an_unknown_key() -> None:
    assert Translator(Lang.EN)("catalog.count", count=3) == "Datasets found: 3"
    assert Translator(Lang.ZH)("catalog.count", count=3) == "共 3 个数据集"
    with pytest.raises(KeyError, match="no console message 'nope.key'"):
        Translator(Lang.ZH)("nope.key")
