"""Which language a page is in: the URL decides, then the browser's preference."""
from __future__ import annotations

from flask import g, has_request_context, request
from flask_babel import gettext, pgettext

LANGUAGES = ("cy", "en")
LANGUAGE_NAMES = {"cy": "Cymraeg", "en": "English"}


def best_language() -> str:
    """Welsh only when the browser ranks Welsh above English; English otherwise.

    Compared by primary subtag and quality, so "en-GB,cy;q=0.9" is English: Werkzeug's own
    best_match would prefer the exact "cy" over the regional "en-GB".
    """
    if not has_request_context():
        return "en"
    quality = {"cy": 0.0, "en": 0.0}
    for tag, q in request.accept_languages:
        primary = tag.split("-")[0].split("_")[0].lower()
        if primary in quality:
            quality[primary] = max(quality[primary], q)
    return "cy" if quality["cy"] > quality["en"] else "en"


def _language_in_path() -> str | None:
    """The /cy/ or /en/ prefix, for pages no route matched (a mistyped or truncated link)."""
    first = request.path.lstrip("/").split("/", 1)[0]
    return first if first in LANGUAGES else None


def current_language() -> str:
    if not has_request_context():
        return "en"
    lang = g.get("lang") or _language_in_path()
    return lang if lang in LANGUAGES else best_language()


def babel_locale() -> str:
    """The locale for dates and numbers: British English, not Babel's default US English."""
    return "en_GB" if current_language() == "en" else "cy"


def other_language(lang: str) -> str:
    return "en" if lang == "cy" else "cy"


def survey_text(text: str, context: str | None = None) -> str:
    """Survey text in the page's language; option labels of some questions carry a context."""
    if not text:
        return ""
    return pgettext(context, text) if context else gettext(text)
