"""Follow-up emails become keys that match one inbox however it was typed, and reveal no address."""
import pandas as pd

from etl.read import email_keys


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


def copy_after_changes(tmp_path, erase: bool):
    """Read a small survey (two responses through a provider's link), let a response arrive
    (and one be erased) after the read, then publish the raw table by copying."""
    import datetime as dt
    import sqlite3

    from etl import synthetic
    from etl.read import copy_responses, read_responses
    from etl.tables import connect_analysis, replace_table
    from survey_app import storage
    from survey_app.links import create_link
    from tests.etl_fixtures import SURVEY

    survey_db = tmp_path / "responses.db"
    synthetic.write(survey_db, SURVEY, 60, seed=3)
    link = create_link(storage.connect(survey_db), SURVEY, "Dyfed Drug and Alcohol Service", "poster",
                       dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)).link
    with sqlite3.connect(survey_db) as conn:
        conn.execute("update responses set link_token = ? where id in (1, 2)", [link.token])
    frame = read_responses(survey_db, SURVEY.slug)
    with sqlite3.connect(survey_db) as conn:
        others = ", ".join(f'"{row[1]}"' for row in conn.execute("pragma table_info(responses)")
                           if row[1] not in ("id", "reference", "submission_key"))
        conn.execute(f"insert into responses (reference, submission_key, {others}) "
                     f"select 'ZZZZ-ZZZZ', 'late-arrival', {others} from responses where id = 6")
        if erase:
            conn.execute("delete from responses where id = 5")
    analysis = connect_analysis(tmp_path / "analysis.db")
    copied = []

    def fill(conn, staging):
        copied.append(copy_responses(conn, staging, survey_db, frame))
        return copied[-1]

    replace_table(analysis, "raw_responses", frame, SURVEY.slug, fill=fill)
    table = pd.read_sql("select * from raw_responses", analysis)
    analysis.close()
    return frame, table, copied[0]


def assert_table_is_frame(table: pd.DataFrame, frame: pd.DataFrame) -> None:
    assert list(table.columns) == list(frame.columns)
    as_text = lambda f: f.astype("string").fillna("<null>").reset_index(drop=True)  # noqa: E731
    pd.testing.assert_frame_equal(as_text(table), as_text(frame), check_dtype=False)


def test_raw_table_is_copied_with_the_keys_and_links_read_and_without_late_arrivals(tmp_path):
    frame, table, copied = copy_after_changes(tmp_path, erase=False)
    assert copied
    assert "ZZZZ-ZZZZ" not in set(table["reference"])
    assert table["email_key"].notna().sum() > 0
    assert table.set_index("id").loc[[1, 2], "link_organisation"].tolist() == ["Dyfed Drug and Alcohol Service"] * 2
    assert_table_is_frame(table, frame)


def test_raw_table_is_written_from_the_frame_when_a_response_read_was_erased_since(tmp_path):
    """The table must match what downstream assets were handed; the next refresh drops the erased response."""
    frame, table, copied = copy_after_changes(tmp_path, erase=True)
    assert not copied
    assert_table_is_frame(table, frame)


def test_answer_codes_read_as_categoricals_clean_to_the_same_responses(tmp_path):
    from etl import synthetic
    from etl.clean import clean_responses
    from etl.read import read_responses
    from tests.etl_fixtures import SURVEY

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
    from tests.etl_fixtures import SURVEY

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
