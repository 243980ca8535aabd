"""Which language a page is in: the URL decides, then the browser's preference."""
from __future__ import annotations

from flask import g, has_request_context, request

LANGUAGES = ("cy", "en")
LANGUAGE_NAMES = {"cy": "Cymraeg", "en": "English"}


def best_language() -> str:
    """Welsh only when the browser prefers it; English otherwise."""
    if not has_request_context():
        return "en"
    return request.accept_languages.best_match(["en", "cy"], default="en")


def current_language() -> str:
    lang = g.get("lang") if has_request_context() else None
    return lang if lang in LANGUAGES else best_language()


def babel_locale() -> str:
    """The locale for dates and numbers: British English, not Babel's default US English."""
    return "en_GB" if current_language() == "en" else "cy"


def other_language(lang: str) -> str:
    return "en" if lang == "cy" else "cy"
