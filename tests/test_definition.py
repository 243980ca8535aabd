"""The survey definition loader: the shipped survey loads, and every kind of mistake is named."""
from __future__ import annotations

import copy
import datetime as dt

import pytest
import yaml

from survey_app.definition import DefinitionError, load_survey, load_surveys, parse_survey

MINIMAL = {
    "slug": "mini", "version": 1, "title": "Mini", "opens": "2026-01-01", "closes": "2026-12-31",
    "scales": {"agree": [{"code": "agree", "label": "Agree"}, {"code": "disagree", "label": "Disagree"}]},
    "sections": [
        {"id": "who", "title": "Who", "questions": [
            {"id": "role", "type": "single", "required": True, "label": "Role?",
             "options": [{"code": "a", "label": "A"}, {"code": "b", "label": "B"}]}]},
        {"id": "only_a", "title": "For A", "show_if": {"question": "role", "any_of": ["a"]}, "questions": [
            {"id": "likes", "type": "multiple", "label": "Likes?", "other": True, "exclusive": ["none"],
             "options": [{"code": "x", "label": "X"}, {"code": "other", "label": "Other"},
                         {"code": "none", "label": "None"}]},
            {"id": "agree_q", "type": "likert", "scale": "agree", "label": "Agree?"},
            {"id": "count", "type": "number", "min": 0, "max": 10, "label": "How many?"},
            {"id": "pc", "type": "postcode", "label": "Postcode"},
            {"id": "note", "type": "textarea", "label": "Note", "max_length": 50},
            {"id": "name", "type": "text", "label": "Name"},
            {"id": "mail", "type": "email", "label": "Email"}]},
    ],
}


def broken(path: str, value) -> dict:
    """A copy of MINIMAL with one value replaced; path like 'sections.1.questions.0.type'."""
    data = copy.deepcopy(MINIMAL)
    *parents, last = path.split(".")
    target = data
    for key in parents:
        target = target[int(key)] if key.isdigit() else target[key]
    if value is DELETE:
        del target[int(last) if last.isdigit() else last]
    else:
        target[int(last) if last.isdigit() else last] = value
    return data


DELETE = object()


def test_shipped_survey_loads_with_every_question_type():
    survey = load_surveys()["drugs-review"]
    types = {q.type for q in survey.questions}
    assert types == {"single", "multiple", "likert", "text", "textarea", "number", "postcode", "email"}
    assert survey.questions[0].id == "respondent_group"
    groups = survey.questions[0].option_codes
    assert groups == ("public", "service_user", "provider", "police", "other")
    # every group has a section of its own beyond the common ones
    for group in ("public", "service_user", "provider", "police"):
        own = [s for s in survey.sections if s.show_if and group in s.show_if.any_of]
        assert own, group
    about = survey.section("about_you")
    for qid in ("age_band", "gender", "welsh_speaker", "local_authority"):
        assert "prefer_not" in about.questions[[q.id for q in about.questions].index(qid)].option_codes
    assert survey.question("email").personal


def test_minimal_definition_parses():
    survey = parse_survey(MINIMAL, "mini.yaml")
    assert [s.id for s in survey.visible_sections({"role": "b"})] == ["who"]
    assert [s.id for s in survey.visible_sections({"role": "a"})] == ["who", "only_a"]
    assert survey.question("agree_q").option_codes == ("agree", "disagree")
    assert "mail" not in survey.answer_columns()
    assert survey.answer_columns()["count"] == "INTEGER"
    assert survey.answer_columns()["likes_other"] == "TEXT"


def test_dates_are_whole_days_in_wales():
    survey = parse_survey(MINIMAL)
    assert survey.status(dt.datetime(2025, 12, 31, 23, 59, tzinfo=dt.timezone.utc)) == "upcoming"
    assert survey.status(dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc)) == "open"
    # 31 December is the last day: open until midnight in Wales
    assert survey.status(dt.datetime(2026, 12, 31, 23, 59, tzinfo=dt.timezone.utc)) == "open"
    assert survey.status(dt.datetime(2027, 1, 1, 0, 0, tzinfo=dt.timezone.utc)) == "closed"


@pytest.mark.parametrize("path, value, problem", [
    ("sections.1.questions.0.type", "slider", "question 'likes': unknown type 'slider'"),
    ("sections.1.questions.1.id", "role", "question 'role': duplicate question id"),
    ("sections.1.show_if", {"question": "missing", "any_of": ["a"]}, "refers to question 'missing'"),
    ("sections.1.show_if", {"question": "role", "any_of": ["zzz"]}, "show_if code 'zzz' is not an option"),
    ("sections.0.questions.0.options", [{"code": "a", "label": "A"}, {"code": "a", "label": "Again"}],
     "question 'role': option code 'a' is used twice"),
    ("sections.1.questions.0.exclusive", ["nope"], "exclusive option 'nope' is not one of its options"),
    ("sections.1.questions.2.min", 20, "min 20 is greater than max 10"),
    ("sections.1.questions.2.max", DELETE, "needs whole-number min and max"),
    ("sections.1.questions.1.scale", "nosuch", "likert question needs a scale"),
    ("sections.0.questions.0.options", [], "needs a non-empty list of options"),
    ("sections.0.questions.0.label", DELETE, "needs a label"),
    ("sections.0.questions.0.colour", "red", "unknown key(s): colour"),
    ("sections.0.questions.0.id", "reference", "reserved for the storage layer"),
    ("sections.0.questions.0.id", "Bad Id", "id must start with a letter"),
    ("sections.1.id", "who", "section 'who': section id is used twice"),
    ("slug", "Not A Slug", "slug 'Not A Slug'"),
    ("closes", "2025-01-01", "closes is before opens"),
    ("opens", "next tuesday", "'opens' must be a date"),
    ("version", DELETE, "missing 'version'"),
    ("sections.1.questions.5.max_length", 0, "max_length must be a positive whole number"),
    ("contact", {"email": "not an address"}, "contact email 'not an address' is not an email address"),
    ("contact", {"fax": "01267 000000"}, "unknown contact key(s): fax"),
    ("contact", "call us", "contact must be a mapping"),
])
def test_mistakes_name_the_file_the_question_and_the_problem(path, value, problem):
    with pytest.raises(DefinitionError) as error:
        parse_survey(broken(path, value), "surveys/mini.yaml")
    message = str(error.value)
    assert message.startswith("surveys/mini.yaml:")
    assert problem in message


def test_unquoted_comma_in_an_option_label_is_caught():
    data = yaml.safe_load("""
slug: mini
version: 1
title: Mini
opens: 2026-01-01
closes: 2026-12-31
sections:
  - id: s
    title: S
    questions:
      - id: q
        type: single
        label: Q
        options:
          - {code: fluent, label: Yes, fluently}
""")
    with pytest.raises(DefinitionError, match="quote a label that contains a comma"):
        parse_survey(data, "mini.yaml")


def test_show_if_cannot_point_forward():
    data = copy.deepcopy(MINIMAL)
    data["sections"][0]["show_if"] = {"question": "likes", "any_of": ["x"]}
    with pytest.raises(DefinitionError, match="missing or comes later"):
        parse_survey(data, "mini.yaml")


def test_unreadable_yaml_is_reported_with_the_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("slug: [unclosed\n")
    with pytest.raises(DefinitionError, match=r"bad.yaml: not valid YAML"):
        load_survey(path)


def test_two_files_with_one_slug_are_refused(tmp_path):
    for name in ("one.yaml", "two.yaml"):
        (tmp_path / name).write_text(yaml.safe_dump(MINIMAL))
    with pytest.raises(DefinitionError, match="slug 'mini' is also used by"):
        load_surveys(tmp_path)


def test_loader_does_not_import_flask():
    import subprocess
    import sys

    code = "import sys, survey_app.definition, survey_app.storage; print('flask' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
