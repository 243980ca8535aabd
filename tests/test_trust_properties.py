"""Whatever is posted to any page — arbitrary values, huge inputs, any unicode, NUL bytes,
wrong types — the respondent never gets a 500 and nothing invalid is ever stored."""
from __future__ import annotations

import io
import json

import pytest
import sqlite_utils
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import Respondent, csrf_token
from survey_app.definition import is_outward_code, load_surveys
from survey_app.forms import CONTROL_RE, EMAIL_RE
from test_survey_journey import answers_for

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


def walk_to(client, section_id: str) -> str | None:
    """Answer properly up to the page `section_id`, as a member of the public; its URL, if they see it."""
    respondent = Respondent(client)
    location = respondent.start()
    answers = answers_for("public")
    for _ in SECTIONS:
        if location.endswith(f"/q/{section_id}"):
            return location
        if "/q/" not in location:
            return None
        current = location.rsplit("/", 1)[-1]
        location = respondent.post(location, answers.get(current, {})).location
    return None


def assert_every_stored_response_is_valid(db_path) -> None:
    db = sqlite_utils.Database(db_path)
    for row in db.query("select * from responses"):
        for q in SURVEY.questions:
            if q.personal or row.get(q.id) is None:
                continue
            stored = row[q.id]
            if q.type in ("single", "likert"):
                assert stored in q.option_codes, (q.id, stored)
            elif q.type == "multiple":
                chosen = json.loads(stored)
                assert set(chosen) <= set(q.option_codes), (q.id, stored)
                assert not (set(q.exclusive) & set(chosen)) or len(chosen) == 1, (q.id, stored)
            elif q.type == "number":
                assert isinstance(stored, int) and q.min <= stored <= q.max, (q.id, stored)
            elif q.type == "postcode":
                assert is_outward_code(stored), (q.id, stored)
            else:
                assert len(stored) <= q.max_length and not CONTROL_RE.search(stored), (q.id, stored)
            if q.other and row.get(q.other_column) is not None:
                assert len(row[q.other_column]) <= 200 and not CONTROL_RE.search(row[q.other_column])
    for person in db.query("select * from personal_data"):
        assert person["email"] is None or EMAIL_RE.match(person["email"]), person


@SETTINGS
@given(section_id=st.sampled_from(SECTIONS), data=form_data)
def test_arbitrary_answers_to_any_page_never_break_it_or_store_rubbish(app, db_path, section_id, data):
    client = app.test_client()
    url = walk_to(client, section_id)
    if url is None:
        url = f"/en/drugs-review/q/{section_id}"  # a page this respondent should not see
    token = csrf_token(client.get("/en/drugs-review/").get_data(as_text=True))
    response = client.post(url, data={**data, "csrf_token": token})
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    if response.status_code == 303 and "/q/" in response.location:
        client.get(response.location)
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
