"""Follow-up emails become keys that match one inbox however it was typed, and reveal no address."""
import sqlite3

import pandas as pd
import pytest

from etl.read import email_keys
from tests.etl_fixtures import SURVEY


def keys(*addresses, survey="drugs-review"):
    return email_keys(pd.Series(list(addresses), dtype="string"), survey).tolist()


def test_one_inbox_typed_several_ways_is_one_key():
    found = keys("Jo.Jones@Gmail.com", " jojones+llais@googlemail.com ", "jojones@gmail.com")
    assert len(set(found)) == 1


def test_different_inboxes_differ_and_dots_matter_outside_gmail():
    found = keys("jo.jones@example.org", "jojones@example.org", "jo.jones+x@example.org")
    assert found[0] != found[1] and found[0] == found[2]


def test_no_address_or_no_at_sign_gives_no_key():
    assert [pd.isna(k) for k in keys(None, "", "   ", "not an address")] == [True] * 4


def test_keys_hide_the_address_and_differ_between_surveys():
    (key,) = keys("jo@example.org")
    assert "jo" not in key and len(key) == 24
    assert keys("jo@example.org", survey="another-survey") != [key]


def survey_with_a_linked_response(tmp_path):
    """A small survey whose first two responses came through a provider's link."""
    import datetime as dt

    from etl import synthetic
    from survey_app import storage
    from survey_app.links import create_link

    survey_db = tmp_path / "responses.db"
    synthetic.write(survey_db, SURVEY, 60, seed=3)
    link = create_link(storage.connect(survey_db), SURVEY, "Dyfed Drug and Alcohol Service", "poster",
                       dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)).link
    with sqlite3.connect(survey_db) as conn:
        conn.execute("update responses set link_token = ? where id in (1, 2)", [link.token])
    return survey_db


def arrive_late(survey_db) -> None:
    """A response stored after the read began: a copy of response 6 with a reference of its own."""
    with sqlite3.connect(survey_db) as conn:
        others = ", ".join(f'"{row[1]}"' for row in conn.execute("pragma table_info(responses)")
                           if row[1] not in ("id", "reference", "submission_key"))
        conn.execute(f"insert into responses (reference, submission_key, {others}) "
                     f"select 'ZZZZ-ZZZZ', 'late-arrival', {others} from responses where id = 6")


def copy_into_staging(survey_db, analysis_db, up_to: int) -> dict[str, int]:
    from etl.raw_copy import ADDED, copy_rows
    from etl.tables import connect_analysis, create_staging

    conn = connect_analysis(analysis_db)
    with sqlite3.connect(survey_db) as source:
        declared = {row[1]: row[2] for row in source.execute("pragma table_info(responses)")}
    staging = create_staging(conn, "raw_responses", {**declared, **{column: "TEXT" for column in ADDED}})
    conn.close()
    return copy_rows(str(analysis_db), staging, str(survey_db), SURVEY.slug, up_to)


def assert_table_is_frame(table: pd.DataFrame, frame: pd.DataFrame) -> None:
    assert list(table.columns) == list(frame.columns)
    as_text = lambda f: f.astype("string").fillna("<null>").reset_index(drop=True)  # noqa: E731
    pd.testing.assert_frame_equal(as_text(table), as_text(frame), check_dtype=False)


def test_raw_table_is_copied_with_the_keys_and_links_read(tmp_path):
    from etl.raw_copy import read_and_publish

    survey_db = survey_with_a_linked_response(tmp_path)
    frame = read_and_publish(survey_db, tmp_path / "analysis.db", "raw_responses", SURVEY.slug)
    with sqlite3.connect(tmp_path / "analysis.db") as conn:
        table = pd.read_sql("select * from raw_responses", conn)
        left_over = conn.execute("select name from sqlite_master where name like '_staging%'").fetchall()
    assert table["email_key"].notna().sum() > 0 and not left_over
    assert table.set_index("id").loc[[1, 2], "link_organisation"].tolist() == ["Dyfed Drug and Alcohol Service"] * 2
    assert_table_is_frame(table, frame)


def test_responses_stored_after_the_read_began_are_neither_read_nor_copied(tmp_path):
    from etl.raw_copy import fingerprint
    from etl.read import read_responses

    survey_db = survey_with_a_linked_response(tmp_path)
    arrive_late(survey_db)
    frame = read_responses(survey_db, SURVEY.slug, up_to=60)
    copied = copy_into_staging(survey_db, tmp_path / "analysis.db", up_to=60)
    assert "ZZZZ-ZZZZ" not in set(frame["reference"]) and len(frame) == 60
    assert copied == fingerprint(frame["id"])


def test_raw_table_is_written_from_the_frame_when_a_response_read_was_erased_since(tmp_path):
    """The table must match what downstream assets were handed; the next refresh drops the erased response."""
    from etl.raw_copy import publish_copy
    from etl.read import read_responses
    from etl.tables import connect_analysis

    survey_db = survey_with_a_linked_response(tmp_path)
    frame = read_responses(survey_db, SURVEY.slug)
    with sqlite3.connect(survey_db) as conn:
        conn.execute("delete from responses where id = 5")
    copied = copy_into_staging(survey_db, tmp_path / "analysis.db", up_to=60)
    conn = connect_analysis(tmp_path / "analysis.db")
    assert not publish_copy(conn, "raw_responses", SURVEY.slug, frame, copied)
    table = pd.read_sql("select * from raw_responses", conn)
    conn.close()
    assert 5 in set(table["id"])
    assert_table_is_frame(table, frame)


def test_a_survey_database_without_responses_fails_naming_it_and_leaves_no_staging_table(tmp_path):
    from etl.raw_copy import read_and_publish
    from etl.read import SurveyDatabaseError

    survey_db = tmp_path / "responses.db"
    with sqlite3.connect(survey_db) as conn:
        conn.execute("create table responses (id integer primary key, survey_id text)")
    with pytest.raises(SurveyDatabaseError, match=str(survey_db.resolve())):
        read_and_publish(survey_db, tmp_path / "analysis.db", "raw_responses", SURVEY.slug)
    with sqlite3.connect(tmp_path / "analysis.db") as conn:
        assert conn.execute("select count(*) from sqlite_master where type = 'table'").fetchone()[0] == 0


def test_answer_codes_read_as_categoricals_clean_to_the_same_responses(tmp_path):
    from etl import synthetic
    from etl.clean import clean_responses
    from etl.read import read_responses

    survey_db = tmp_path / "responses.db"
    synthetic.write(survey_db, SURVEY, 300, seed=5)
    codes = [q.id for q in SURVEY.questions if q.type in ("single", "likert")]
    as_text = read_responses(survey_db, SURVEY.slug)
    as_codes = read_responses(survey_db, SURVEY.slug, categorical=codes)
    assert isinstance(as_codes["respondent_group"].dtype, pd.CategoricalDtype)
    assert as_codes["respondent_group"].astype("string").equals(as_text["respondent_group"].astype("string"))
    assert as_codes.memory_usage(deep=True).sum() < as_text.memory_usage(deep=True).sum()
    pd.testing.assert_frame_equal(clean_responses(as_codes, SURVEY).responses, clean_responses(as_text, SURVEY).responses)


def test_a_table_read_in_parts_side_by_side_is_the_table_read_whole(tmp_path):
    """Large surveys are read in id ranges on several cores; the frame must be the one a single read gives,
    even where a column has no values at all in one range."""
    import sqlite3

    from etl import synthetic
    from etl.read import id_ranges, read_table_arrow

    survey_db = tmp_path / "responses.db"
    synthetic.write(survey_db, SURVEY, 300, seed=9)
    with sqlite3.connect(survey_db) as conn:
        conn.execute("update responses set nearest_town = null where id <= 150")
        assert len(id_ranges(conn, "responses", rows_each=100)) >= 1
        assert id_ranges(conn, "responses", rows_each=10**6) == [(1, 300)]
    sql = "select * from responses where id between ? and ? order by id"
    whole = read_table_arrow(survey_db, sql, [1, 300], categorical=["respondent_group"])
    parts = read_table_arrow(survey_db, sql, categorical=["respondent_group"], parts=[[1, 150], [151, 200], [201, 300]])
    pd.testing.assert_frame_equal(parts, whole)
    assert isinstance(parts["respondent_group"].dtype, pd.CategoricalDtype)


def test_values_that_are_not_utf8_text_are_read_as_the_bytes_stored_and_the_rest_as_usual(tmp_path):
    """A BLOB, or text stored with bytes that are not UTF-8, must not stop the read: its column comes as
    bytes, as stored, for the cleaning to set those rows aside; a BLOB that is UTF-8 is read as text."""
    from etl import synthetic
    from etl.read import read_responses, read_table_arrow

    survey_db = tmp_path / "responses.db"
    synthetic.write(survey_db, SURVEY, 120, seed=4)
    with sqlite3.connect(survey_db) as conn:
        conn.execute("update responses set nearest_town = x'fffe41' where id = 7")              # BLOB, not UTF-8
        conn.execute("update responses set years_in_area = x'ff' where id = 80")                # in a number column
        conn.execute("update responses set one_change = cast(x'4d77c3' as text) where id = 9")  # TEXT, not UTF-8
        conn.execute("update responses set other_comments = cast('Dŵr glân' as blob) where id = 10")
        conn.execute("update responses set years_in_area = 12 where id = 81")
    frame = read_responses(survey_db, SURVEY.slug).set_index("id")
    assert len(frame) == 120
    assert frame.loc[7, "nearest_town"] == b"\xff\xfeA" and frame.loc[9, "one_change"] == b"Mw\xc3"
    assert frame.loc[80, "years_in_area"] == b"\xff" and frame.loc[81, "years_in_area"] == b"12"
    assert frame.loc[10, "other_comments"] == "Dŵr glân" and frame["other_comments"].dtype == "str"
    assert frame["language"].dtype == "str" and frame["reference"].notna().all()

    # Read in parts side by side, a column that is bytes in one part and numbers in another is bytes throughout.
    sql = "select id, years_in_area, nearest_town from responses where id between ? and ? order by id"
    whole = read_table_arrow(survey_db, sql, [1, 120])
    parts = read_table_arrow(survey_db, sql, parts=[[1, 60], [61, 120]])
    pd.testing.assert_frame_equal(parts, whole)
    assert parts.set_index("id").loc[81, "years_in_area"] == b"12"
