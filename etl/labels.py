"""Welsh labels for the survey's English source text, read from the gettext catalog."""
from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"


# gettext's own separator between a message's context and its text, as in compiled catalogs.
CONTEXT_SEPARATOR = "\x04"


def welsh_catalog(translations_dir: Path | str = TRANSLATIONS_DIR) -> dict[str, str]:
    """English msgid -> Welsh msgstr for every translated message; empty if there is no catalog yet.

    A message with a context is keyed "context\x04msgid"; `welsh_label` looks those up.
    """
    path = Path(translations_dir) / "cy" / "LC_MESSAGES" / "messages.po"
    if not path.is_file():
        return {}
    with path.open("rb") as handle:
        catalog = read_po(handle, locale="cy")
    return {_key(m.context, m.id): m.string for m in catalog
            if isinstance(m.id, str) and m.id and isinstance(m.string, str) and m.string and not m.fuzzy}


def _key(context: str | None, text: str) -> str:
    return f"{context}{CONTEXT_SEPARATOR}{text}" if context else text


def welsh_label(welsh: dict[str, str], text: str, context: str | None = None) -> str | None:
    """The Welsh for a piece of survey text (None if untranslated); an option label may carry a context."""
    return welsh.get(_key(context, text))
