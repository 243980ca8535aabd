"""Whatever is posted to any page — arbitrary values, huge inputs, any unicode, NUL bytes,
wrong types — the respondent never gets a 500 and nothing invalid is ever stored."""
from __future__ import annotations

import io
import json
import unicodedata

import pytest
import sqlite_utils
from hypothesis import HealthCheck, event, example, given, settings, strategies as st

from conftest import Respondent, csrf_token
from survey_app.definition import is_outward_code, load_surveys, normalise_outward_code
from survey_app.forms import CONTROL_RE, EMAIL_RE
from test_survey_journey import GROUP_PAGES, answers_for

SURVEY = load_surveys()["drugs-review"]
SECTIONS = [s.id for s in SURVEY.sections]
FIELDS = sorted({q.id for q in SURVEY.questions} | {q.other_column for q in SURVEY.questions if q.other}
                | {"website", "page_shown", "csrf_token", "consent", "_pages", "_flags", "reference"})
CODES = sorted({code for q in SURVEY.questions for code in q.option_codes})

SETTINGS = settings(max_examples=40, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

awkward_text = st.text(alphabet=st.one_of(
    st.sampled_from("ŵŷâêîôûŴŶÂ’‘“”\x00\r\n\t\u200f\u202e"),  # Welsh diacritics, quotes, NUL, RTL marks
    st.sampled_from("😀🏴󠁧󠁢󠁷󠁬󠁳󠁿👍🏽"),  # emoji, including the Welsh flag tag sequence
    st.sampled_from("مرحباשלום"),  # right-to-left scripts
    st.characters(codec="utf-8"),
), max_size=60)
value = st.one_of(
    awkward_text,
    st.sampled_from(CODES),
    st.integers(-10**12, 10**12).map(str),
    st.sampled_from(["", " ", "1e9", "NaN", "-0", "0x1F", "SA31 ", "sy23", "@", "a@b.c", "null", "[]", "{}"]),
    st.tuples(st.sampled_from(["a", "ŵ", "😀"]), st.integers(1, 6000)).map(lambda t: t[0] * t[1]),
)
form_data = st.dictionaries(st.one_of(st.sampled_from(FIELDS), st.text(max_size=12)),
                            st.one_of(value, st.lists(value, max_size=4)), max_size=12)


def walk_to(client, section_id: str, group: str = "public", revisit: bool = False) -> str | None:
    """Answer properly as a member of `group` up to the page `section_id`; its URL, if they see it.

    With `revisit`, answer every page up to the last one first, as someone who then goes Back
    to `section_id` (their answers to later pages, and to pages a changed answer hides, are held).
    """
    respondent = Respondent(client)
    location = respondent.start()
    answers = answers_for(group)
    stop_at = "follow_up" if revisit else section_id
    for _ in SECTIONS:
        if location.endswith(f"/q/{stop_at}"):
            return f"/en/drugs-review/q/{section_id}" if revisit else location
        if "/q/" not in location:
            return None
        current = location.rsplit("/", 1)[-1]
        location = respondent.post(location, answers.get(current, {})).location
    return None


# Valid answers for every page any branch can reach, to finish a survey after an arbitrary page.
VALID_PAGES = {**{section: answers for group in GROUP_PAGES for section, answers in answers_for(group).items()
                  if section != "about_role"},
               "contact": {"email": "someone@example.org"}}


def finish(client, location: str) -> str:
    """From the page at `location`, answer every remaining page validly; the completion URL."""
    respondent = Respondent(client)
    for _ in range(len(SECTIONS) + 1):
        if "/q/" not in location:
            break
        section_id = location.rsplit("/", 1)[-1]
        response = respondent.post(location, VALID_PAGES.get(section_id, {}))
        assert response.status_code == 303, (section_id, response.get_data(as_text=True)[:500])
        location = response.location
    assert location.endswith("/drugs-review/complete"), location
    return location


# --- what counts as valid, written out from the definition and the form rules (survey_app/forms.py) ---

QUESTIONS = {q.id: q for q in SURVEY.questions}
OTHER_COLUMNS = {q.other_column: q for q in SURVEY.questions if q.other}
QUALITY_FLAGS = {"honeypot", "too_fast"}
OTHER_TEXT_MAX = 200


def assert_clean_text(value, max_length: int, where) -> None:
    """What clean_text and the Length validator leave: a string, no control characters (tab and
    newline allowed, no CR), trimmed, NFC, and no longer than allowed."""
    assert isinstance(value, str), (where, value)
    assert value, (where, "an empty string is held as None")
    assert not CONTROL_RE.search(value) and "\r" not in value, (where, value)
    assert value == value.strip() and unicodedata.is_normalized("NFC", value), (where, value)
    assert len(value) <= max_length, (where, len(value))


def assert_valid_answer(q, value, where) -> None:
    """One answer to question `q`, as held in a draft (lists, ints, codes); None is 'not answered'."""
    where = (*where, q.id)
    if value is None:
        return
    if q.type in ("single", "likert"):
        assert isinstance(value, str) and value in q.option_codes, (where, value)
    elif q.type == "multiple":
        assert isinstance(value, list) and all(isinstance(v, str) for v in value), (where, value)
        assert set(value) <= set(q.option_codes), (where, value)
        assert not (set(q.exclusive) & set(value)) or len(set(value)) == 1, (where, value)
    elif q.type == "number":
        assert type(value) is int and q.min <= value <= q.max, (where, value)
    elif q.type == "postcode":
        assert isinstance(value, str) and is_outward_code(value), (where, value)
        assert value == normalise_outward_code(value), (where, value)
    elif q.type == "email":
        assert_clean_text(value, q.max_length, where)
        assert EMAIL_RE.match(value), (where, value)
    else:
        assert_clean_text(value, q.max_length, where)


def chose_other(q, answer) -> bool:
    return "other" in (answer or []) if q.type == "multiple" else answer == "other"


def assert_valid_other_text(q, answer, text, where) -> None:
    if text is None:
        return
    assert chose_other(q, answer), (where, q.other_column, "text kept without 'other' chosen", answer)
    assert_clean_text(text, OTHER_TEXT_MAX, (*where, q.other_column))


def assert_every_held_draft_is_valid(db_path) -> None:
    """Every draft's answers: only known keys, each a valid answer, the bookkeeping well formed."""
    for draft in sqlite_utils.Database(db_path).query("select id, answers, reference from drafts"):
        answers = json.loads(draft["answers"])
        where = ("draft", draft["id"])
        if draft["reference"]:
            assert answers == {}, (where, answers)
        unknown = set(answers) - set(QUESTIONS) - set(OTHER_COLUMNS) - {"_pages", "_flags"}
        assert not unknown, (where, unknown)
        pages = answers.get("_pages", [])
        assert isinstance(pages, list) and set(pages) <= set(SECTIONS), (where, pages)
        flags = answers.get("_flags", [])
        assert isinstance(flags, list) and set(flags) <= QUALITY_FLAGS, (where, flags)
        for key, value in answers.items():
            if key in QUESTIONS:
                assert_valid_answer(QUESTIONS[key], value, where)
            elif key in OTHER_COLUMNS:
                q = OTHER_COLUMNS[key]
                assert_valid_other_text(q, answers.get(q.id), value, where)
        for section_id in pages:  # a page held as done has its required questions answered
            for q in SURVEY.section(section_id).questions:
                if q.required:
                    assert answers.get(q.id) not in (None, "", []), (where, q.id, "required")


def assert_every_stored_response_is_valid(db_path) -> None:
    """Every stored response: valid answers, only to the pages its answers make visible, its
    required questions answered, personal data only in personal_data."""
    db = sqlite_utils.Database(db_path)
    emails = {p["response_id"]: p["email"] for p in db.query("select * from personal_data")}
    columns = set(db["responses"].columns_dict)
    assert not {q.id for q in SURVEY.questions if q.personal} & columns
    for row in db.query("select * from responses"):
        where = ("response", row["reference"])
        assert row["survey_id"] == "drugs-review" and row["survey_version"] == SURVEY.version, where
        assert set(json.loads(row["quality_flags"])) <= QUALITY_FLAGS, (where, row["quality_flags"])
        answers = {}
        for q in SURVEY.questions:
            if q.personal:
                answers[q.id] = emails.get(row["id"])
                continue
            stored = row[q.id]
            answers[q.id] = json.loads(stored) if q.type == "multiple" and stored is not None else stored
            assert_valid_answer(q, answers[q.id], where)
            if q.other:
                assert_valid_other_text(q, answers[q.id], row[q.other_column], where)
        visible = {s.id for s in SURVEY.visible_sections(answers)}
        for section in SURVEY.sections:
            for q in section.questions:
                if section.id not in visible:
                    assert answers[q.id] in (None, []), (where, q.id, "answer to a page not shown")
                    assert not q.other or row[q.other_column] is None, (where, q.other_column)
                elif q.required:
                    assert answers[q.id] not in (None, "", []), (where, q.id, "required")
    for person in db.query("select * from personal_data"):
        assert person["email"] is not None, person
        assert_valid_answer(QUESTIONS["email"], person["email"], ("personal_data", person["response_id"]))


def start_empty(db_path) -> None:
    db = sqlite_utils.Database(db_path)
    with db.conn:
        for table in ("personal_data", "responses", "drafts"):
            db.execute(f"DELETE FROM {table}")
    db.close()


SECTION_FIELDS = {s.id: sorted({q.id for q in s.questions} | {q.other_column for q in s.questions if q.other})
                  for s in SURVEY.sections}


@st.composite
def page_posts(draw):
    """Who answers (group), which page, whether they come Back to it after the rest, and what is
    posted to it: its own fields most often, then any field, then any name."""
    group = draw(st.sampled_from(sorted(GROUP_PAGES)))
    section_id = draw(st.sampled_from(SECTIONS))
    revisit = draw(st.booleans())
    keys = st.one_of(st.sampled_from(SECTION_FIELDS[section_id]), st.sampled_from(FIELDS), st.text(max_size=12))
    data = draw(st.dictionaries(keys, st.one_of(value, st.lists(value, max_size=4)), max_size=12))
    return group, section_id, revisit, data


@settings(SETTINGS, max_examples=30)
@given(post=page_posts())
# Near misses tried every run, whatever hypothesis draws, one rule each: (group, page, Back?, posted).
@example(post=("public", "about_role", False, {"respondent_group": "very_big"}))  # another question's code
@example(post=("public", "local_problem", False, {"dealing_problem": "worse", "problem_change": "not_a_code"}))
@example(post=("public", "concerns", False, {"concerns": ["county_lines", "made_up"]}))
@example(post=("public", "concerns", False, {"concerns": ["none", "violence"]}))  # exclusive with another
# A blank first tick ahead of a made-up code and a contradictory pair (no browser sends it; a script can).
@example(post=("public", "concerns", False, {"concerns": ["", "made_up_code", "none", "violence"]}))
@example(post=("public", "local_problem", False, {"dealing_problem": " "}))  # only a space, as the answer
@example(post=("public", "concerns", False, {"concerns": ["county_lines"], "concerns_other": "a\x00b\x1b "}))
@example(post=("public", "public_experience", False, {"reporting_barriers": ["nothing", "fear_reprisal"]}))
@example(post=("public", "about_you", False, {"years_in_area": "101"}))
@example(post=("public", "about_you", False, {"postcode_district": "SA31 1AA"}))
@example(post=("public", "about_you", False, {"nearest_town": "N" * 81}))
@example(post=("public", "priorities", False, {"one_change": "a" * 2001}))
@example(post=("public", "priorities", False, {"other_comments": " \x07bell\r\nA\u0301 "}))
@example(post=("provider", "provider_experience", False,
               {"provider_sector": "housing", "provider_sector_other": "A night shelter"}))
@example(post=("police", "police_experience", False, {"police_needs": "x\x00" * 800}))
@example(post=("public", "follow_up", False, {"contact_consent": "maybe"}))
@example(post=("public", "follow_up", False, {"contact_consent": "yes"}))
# Back to the first page to change group: the answers to the page no longer shown must not be stored.
@example(post=("public", "about_role", True, {"respondent_group": "police"}))
def test_arbitrary_answers_to_any_page_never_break_it_or_store_rubbish(app, db_path, post):
    group, section_id, revisit, data = post
    start_empty(db_path)  # each example alone: a failure names the post that caused it
    client = app.test_client()
    url = walk_to(client, section_id, group, revisit)
    if url is None:
        url = f"/en/drugs-review/q/{section_id}"  # a page this respondent should not see
    token = csrf_token(client.get("/en/drugs-review/").get_data(as_text=True))
    response = client.post(url, data={**data, "csrf_token": token})
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    event(f"answer to the page: {response.status_code}")
    assert_every_held_draft_is_valid(db_path)
    if response.status_code == 303 and "/q/" in response.location:
        # Accepted: answer the rest validly, so whatever this page kept goes on to be stored.
        finish(client, response.location)
        event("finished and stored")
        assert_every_held_draft_is_valid(db_path)
    assert_every_stored_response_is_valid(db_path)


@SETTINGS
@given(data=form_data, lang=st.sampled_from(["en", "cy"]))
def test_arbitrary_posts_to_the_start_page_never_break_it(app, data, lang):
    client = app.test_client()
    token = csrf_token(client.get(f"/{lang}/drugs-review/").get_data(as_text=True))
    response = client.post(f"/{lang}/drugs-review/", data={**data, "csrf_token": token})
    assert response.status_code in (303, 400, 413, 429)


@pytest.mark.parametrize("body", [
    {"json": {"respondent_group": ["public"], "csrf_token": None}},
    {"data": b"\x00\xff\xfe" * 1000, "content_type": "application/octet-stream"},
    {"data": {"respondent_group": (io.BytesIO(b"public"), "answer.txt")}, "content_type": "multipart/form-data"},
    {"data": "respondent_group=%FF%FE%00&csrf_token=%00", "content_type": "application/x-www-form-urlencoded"},
    {"data": {"respondent_group": "public" * 60_000}},
])
def test_wrong_kinds_of_request_body_are_refused_cleanly(app, db_path, body):
    client = app.test_client()
    url = walk_to(client, "about_role")
    response = client.post(url, **body)
    assert response.status_code in (400, 413)
    assert "<html lang=" in response.get_data(as_text=True)
    assert sqlite_utils.Database(db_path)["responses"].count == 0


def test_a_file_sent_in_place_of_an_answer_is_not_stored(app, db_path):
    client = app.test_client()
    url = walk_to(client, "about_role")
    token = csrf_token(client.get(url).get_data(as_text=True))
    response = client.post(url, data={"csrf_token": token, "respondent_group": (io.BytesIO(b"public"), "a.txt")},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Select an answer" in response.get_data(as_text=True)
