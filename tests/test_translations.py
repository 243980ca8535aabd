"""The Welsh catalog is complete: every string a person reads has a Welsh translation."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from survey_app.definition import load_surveys, translatable_strings

ROOT = Path(__file__).resolve().parent.parent
WELSH = ROOT / "translations" / "cy" / "LC_MESSAGES" / "messages.po"


@pytest.fixture(scope="module")
def catalog():
    with WELSH.open("rb") as handle:
        return read_po(handle)


def test_welsh_has_six_plural_forms(catalog):
    assert catalog.num_plurals == 6


def test_no_welsh_message_is_missing_or_fuzzy(catalog):
    missing = [m.id for m in catalog if m.id and (
        m.fuzzy or not m.string or (isinstance(m.string, tuple) and not all(m.string)))]
    assert missing == [], f"untranslated or fuzzy Welsh messages: {missing}"


def test_placeholders_survive_translation(catalog):
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog.check()]
    assert problems == []


def test_every_survey_string_is_in_the_catalog(catalog):
    messages = {(m.context, m.id) for m in catalog if m.id}
    for survey in load_surveys().values():
        missing = [message for message in translatable_strings(survey) if message not in messages]
        assert missing == [], f"{survey.slug}: run `make translations` and translate: {missing}"


def test_catalog_is_up_to_date_with_the_code(tmp_path, catalog):
    """Fails when a string was added to a template, form or survey without `make translations`."""
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
                    "-k", "_l", "-k", "lazy_gettext", "-k", "N_", "-o", str(pot), "."],
                   cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as handle:
        extracted = {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in read_po(handle) if m.id}
    in_catalog = {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in catalog if m.id}
    assert sorted(extracted - in_catalog) == [], "new strings: run `make translations` and translate them"



def test_yes_and_no_are_extracted_per_question_for_the_welsh_verb():
    """Welsh answers yes and no with the question's verb (Ydw, Do, Oes), so those options carry a context."""
    from babel.messages.extract import extract
    from survey_app.babel_extract import extract_survey
    survey = next(iter(load_surveys().values()))
    with open(survey.path, "rb") as handle:
        messages = {(text if context is None else (context, text)) for _, text, _, context in extract(extract_survey, handle)}
    assert ("seen_dealing", "Yes") in messages and ("service_capacity", "Mostly") in messages
    assert "A member of the public" in messages  # other options stay shared
