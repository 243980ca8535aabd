"""Welsh labels for the survey's English source text, read from the gettext catalog."""
from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"


def welsh_catalog(translations_dir: Path | str = TRANSLATIONS_DIR) -> dict[str, str]:
    """English msgid -> Welsh msgstr for every translated message; empty if there is no catalog yet."""
    path = Path(translations_dir) / "cy" / "LC_MESSAGES" / "messages.po"
    if not path.is_file():
        return {}
    with path.open("rb") as handle:
        catalog = read_po(handle, locale="cy")
    return {m.id: m.string for m in catalog if isinstance(m.id, str) and m.id and isinstance(m.string, str)
            and m.string and not m.fuzzy}
