"""Japanese and English from one message catalogue (messages.py): reports, CLI summaries, the console.

`t(lang, key, **values)` formats a message; `reason_text` names an unfilled reason; `detail_text`
renders the solver's English detail of a reason (or a partner's note) in the language asked for,
phrase by phrase. Machine-readable codes (`budget`, `outscored`, rule names) are never translated.
"""

from __future__ import annotations

import locale
import os
import re
from collections.abc import Mapping
from typing import Literal

from enmusubi.service.i18n.messages import DETAIL_PHRASES, MESSAGES

Language = Literal["en", "ja"]
LANGUAGES: tuple[Language, ...] = ("en", "ja")
DEFAULT_LANGUAGE: Language = "en"
_LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE")
_COMPILED = [(re.compile(pattern), replacement) for pattern, replacement in DETAIL_PHRASES]


def language_of(tag: str | None) -> Language | None:
    """`ja_JP.UTF-8`, `ja-JP`, `ja` -> "ja"; `en_US`, `C.UTF-8` -> "en"; None for nothing."""
    if not tag:
        return None
    code = tag.strip().lower()[:2]
    if code == "ja":
        return "ja"
    return "en"


def language_from_accept(header: str | None) -> Language:
    """The browser's choice from Accept-Language (`ja,en-US;q=0.8`): the first of ja/en by quality; English."""
    best: tuple[float, int, Language] | None = None
    for order, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        code = tag.strip().lower()[:2]
        if code in LANGUAGES and quality > 0 and (best is None or (quality, -order) > (best[0], best[1])):
            best = (quality, -order, code)
    return best[2] if best else DEFAULT_LANGUAGE


def detail_phrases_for_javascript() -> list[tuple[str, str]]:
    """DETAIL_PHRASES with replacements in JavaScript's syntax ($1 for \\1), so the console renders reasons
    from the same catalogue."""
    return [(pattern, re.sub(r"\\(\d)", r"$\1", replacement)) for pattern, replacement in DETAIL_PHRASES]


def default_language(environ: Mapping[str, str] | None = None) -> Language:
    """From the locale: the first of LC_ALL, LC_MESSAGES, LANG, LANGUAGE that is set; English otherwise."""
    environ = os.environ if environ is None else environ
    for name in _LOCALE_VARIABLES:
        found = language_of(environ.get(name))
        if found is not None:
            return found
    if environ is os.environ:
        found = language_of(locale.getlocale()[0])
        if found is not None:
            return found
    return DEFAULT_LANGUAGE


def check_language(lang: str) -> Language:
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; choose {' or '.join(LANGUAGES)}")
    return lang


def t(lang: str, key: str, **values: object) -> str:
    """The message `key` in `lang`, formatted with `values` (str.format); English when a text has no translation."""
    texts = MESSAGES[key]
    text = texts.get(lang) or texts["en"]
    return text.format(**values) if values else text


def reason_text(lang: str, code: str) -> str:
    """The words for an unfilled reason code (no_eligible_partner, budget, outscored, not_worth)."""
    return t(lang, f"reason.{code}")


def detail_text(lang: str, detail: str) -> str:
    """The solver's English detail (or partner note) in `lang`: each known phrase replaced by its translation."""
    if lang == "en" or not detail:
        return detail
    text = detail
    for pattern, replacement in _COMPILED:
        text = pattern.sub(replacement, text)
    return text


def catalogue(lang: str) -> dict[str, str]:
    """Every message in `lang` (for the console's JavaScript, which formats `{name}` itself)."""
    return {key: texts.get(lang) or texts["en"] for key, texts in MESSAGES.items()}
