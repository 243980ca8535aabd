"""The column-wise bulk insert stores exactly what the record-by-record import stores."""
import sqlite3
import time

import pandas as pd
import pytest

from etl import synthetic
from survey_app import storage
from tests.etl_fixtures import SURVEY


def as_records(frame: pd.DataFrame) -> list[dict]:
    """The frame's rows as import records, a missing answer left out (how insert_responses takes them)."""
    keys = list(frame.columns)
    columns = [frame[c].astype(object).where(frame[c].notna(), None).tolist() for c in keys]
    return [{k: v for k, v in zip(keys, values) if v is not None} for values in zip(*columns)]


def stored(db) -> tuple[list[dict], list[dict]]:
    responses = [{k: v for k, v in row.items() if k != "submission_key"}
                 for row in db.query("select * from responses order by id")]
    return responses, list(db.query("select * from personal_data order by response_id"))


@pytest.fixture
def rebuilds(monkeypatch) -> list[tuple[int, int]]:
    """The row ranges copied with the indexes dropped and recreated, as the loads run."""
    ranges: list[tuple[int, int]] = []
    rebuild = storage._FrameCopy.rebuilding_indexes

    def spy(self, first, last):
        ranges.append((first, last))
        return rebuild(self, first, last)

    monkeypatch.setattr(storage._FrameCopy, "rebuilding_indexes", spy)
    return ranges


@pytest.fixture(params=[1, 3], ids=["one-scratch-file", "three-scratch-files"])
def scratch_parts(request, monkeypatch) -> int:
    """Large frames are written to several scratch files side by side; small ones can be made to."""
    monkeypatch.setattr(storage, "_scratch_parts", lambda rows: request.param)
    return request.param


def test_a_frame_is_stored_exactly_as_the_same_records_are(tmp_path, rebuilds, scratch_parts):
    frame = synthetic.response_frame(synthetic.generate(SURVEY, 400, seed=5).rows, SURVEY)
    frame.loc[0, "one_change"] = ""  # a blank answer is stored as NULL
    by_record = storage.connect(tmp_path / "records.db")
    by_frame = storage.connect(tmp_path / "frame.db")
    for db in (by_record, by_frame):
        storage.migrate(db, [SURVEY])
    storage.insert_responses(by_record, SURVEY, as_records(frame))
    # Into an empty table, all rows at once whatever the batch size, the indexes recreated after.
    assert storage.insert_response_frame(by_frame, SURVEY, frame, batch_size=150) == 400
    assert rebuilds == [(1, 400)]

    responses, personal = stored(by_frame)
    assert (responses, personal) == stored(by_record)
    assert responses[0]["one_change"] is None and len(personal) > 0
    keys = [row["submission_key"] for row in by_frame.query("select submission_key from responses")]
    assert len(set(keys)) == 400


def test_a_frame_with_an_unknown_column_stores_nothing(tmp_path):
    db = storage.connect(tmp_path / "responses.db")
    storage.migrate(db, [SURVEY])
    frame = pd.DataFrame({"reference": ["ABCD-EFGH"], "submitted_at": ["2026-11-02T10:00:00+00:00"],
                          "language": ["en"], "favourite_colour": ["blue"]})
    with pytest.raises(ValueError, match="favourite_colour"):
        storage.insert_response_frame(db, SURVEY, frame)
    assert storage.count_responses(db, SURVEY.slug) == 0


def test_a_frame_repeating_a_stored_reference_is_refused_and_its_batch_kept_out(tmp_path):
    db = storage.connect(tmp_path / "responses.db")
    storage.migrate(db, [SURVEY])
    frame = synthetic.response_frame(synthetic.generate(SURVEY, 50, seed=6).rows, SURVEY)
    storage.insert_response_frame(db, SURVEY, frame)
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        storage.insert_response_frame(db, SURVEY, frame.iloc[[0]])
    assert storage.count_responses(db, SURVEY.slug) == 50


def schema(db) -> list[tuple]:
    return db.execute("select type, name, sql from sqlite_master order by name").fetchall()


def test_batches_into_a_larger_table_store_exactly_what_the_records_do(tmp_path, rebuilds, scratch_parts):
    """A load smaller than the table goes in batches with the indexes in place."""
    first = synthetic.response_frame(synthetic.generate(SURVEY, 300, seed=7).rows, SURVEY)
    second = synthetic.response_frame(synthetic.generate(SURVEY, 120, seed=8).rows, SURVEY)
    second["reference"] = [f"ZZ{i:02d}-{i:04d}" for i in range(len(second))]
    by_record = storage.connect(tmp_path / "records.db")
    by_frame = storage.connect(tmp_path / "frame.db")
    for db in (by_record, by_frame):
        storage.migrate(db, [SURVEY])
        storage.insert_responses(db, SURVEY, as_records(first))
    before = schema(by_frame)
    # Rows and personal data must line up across transactions.
    assert storage.insert_response_frame(by_frame, SURVEY, second, batch_size=50) == 120
    assert rebuilds == []
    storage.insert_responses(by_record, SURVEY, as_records(second))
    assert stored(by_frame) == stored(by_record)
    assert schema(by_frame) == before


@pytest.mark.parametrize("stored_first", [0, 40])
@pytest.mark.parametrize("column", ["reference", "submission_key"])
def test_a_load_repeating_a_key_rebuilding_the_indexes_leaves_everything_as_it_was(tmp_path, rebuilds, scratch_parts,
                                                                                   stored_first, column):
    """A load at least as large as the table drops and recreates the indexes in one transaction:
    a repeated reference or submission key fails the recreated unique index and rolls it all back."""
    db = storage.connect(tmp_path / "responses.db")
    storage.migrate(db, [SURVEY])
    frame = synthetic.response_frame(synthetic.generate(SURVEY, 200, seed=9).rows, SURVEY)
    frame["submission_key"] = [f"key-{i}" for i in range(len(frame))]
    if stored_first:
        storage.insert_response_frame(db, SURVEY, frame.iloc[:stored_first])
        frame = frame.iloc[stored_first:].reset_index(drop=True)
        frame.loc[150, column] = f"{column}-kept"
        db.execute(f"update responses set {column} = '{column}-kept' where id = 1")
    else:
        frame.loc[150, column] = frame.loc[3, column]
    before = (schema(db), stored(db))
    with pytest.raises(sqlite3.IntegrityError, match=f"UNIQUE constraint failed: responses.{column}"):
        storage.insert_response_frame(db, SURVEY, frame, batch_size=40)
    assert rebuilds[-1] == (1, len(frame))
    assert (schema(db), stored(db)) == before
    assert storage.count_responses(db, SURVEY.slug) == stored_first
    # The indexes are back and still refuse a repeat one row at a time.
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        storage.insert_response_frame(db, SURVEY, frame.iloc[[0, 1]].assign(**{column: ["same", "same"]}))


def test_an_empty_frame_stores_nothing(tmp_path):
    db = storage.connect(tmp_path / "responses.db")
    storage.migrate(db, [SURVEY])
    frame = synthetic.response_frame(synthetic.generate(SURVEY, 10, seed=10).rows, SURVEY)
    assert storage.insert_response_frame(db, SURVEY, frame.iloc[:0]) == 0
    assert storage.count_responses(db, SURVEY.slug) == 0


def test_a_frame_missing_a_required_value_stores_nothing(tmp_path):
    db = storage.connect(tmp_path / "responses.db")
    storage.migrate(db, [SURVEY])
    frame = synthetic.response_frame(synthetic.generate(SURVEY, 30, seed=12).rows, SURVEY)
    with pytest.raises(sqlite3.IntegrityError, match="NOT NULL constraint failed: responses.submitted_at"):
        storage.insert_response_frame(db, SURVEY, frame.assign(submitted_at=frame["submitted_at"].where(
            frame.index != 20, None)), batch_size=10)
    with pytest.raises(sqlite3.IntegrityError, match="NOT NULL constraint failed: responses.language"):
        storage.insert_response_frame(db, SURVEY, frame.drop(columns="language"))
    assert storage.count_responses(db, SURVEY.slug) == 0
    assert db.execute("select count(*) from personal_data").fetchone()[0] == 0


def test_a_load_in_one_transaction_gives_its_log_space_back_without_waiting_for_readers(tmp_path):
    path = tmp_path / "responses.db"
    db = storage.connect(path)
    storage.migrate(db, [SURVEY])
    frame = synthetic.response_frame(synthetic.generate(SURVEY, 300, seed=13).rows, SURVEY)
    storage.insert_response_frame(db, SURVEY, frame.iloc[:150])
    assert (tmp_path / "responses.db-wal").stat().st_size == 0

    reader = storage.connect(path)
    reader.execute("BEGIN")
    assert reader.execute("select count(*) from responses").fetchone()[0] == 150  # holds its snapshot
    started = time.perf_counter()
    storage.insert_response_frame(db, SURVEY, frame.iloc[150:])
    assert time.perf_counter() - started < storage.BUSY_TIMEOUT_MS / 1000 / 2
    assert reader.execute("select count(*) from responses").fetchone()[0] == 150
    reader.execute("COMMIT")
    assert storage.count_responses(reader, SURVEY.slug) == 300


def test_while_a_load_rebuilds_the_indexes_others_read_the_old_table_and_cannot_write(tmp_path, monkeypatch):
    """The indexes are dropped and recreated inside the load's write transaction: no other
    connection can write without them, and readers keep the committed table, indexes and all."""
    path = tmp_path / "responses.db"
    db = storage.connect(path)
    storage.migrate(db, [SURVEY])
    indexes = {row[0] for row in db.execute(
        "select name from sqlite_master where type = 'index' and tbl_name = 'responses'")}
    other = storage.connect(path, busy_timeout_ms=0)
    seen = {}
    copy_rows = storage._FrameCopy.rows

    def meanwhile(self, first, last):
        following = copy_rows(self, first, last)
        assert not db.execute("select 1 from sqlite_master where type = 'index' and tbl_name = 'responses'").fetchone()
        with pytest.raises(storage.StorageUnavailable, match="locked"):
            storage.new_draft(other, SURVEY, "en", storage.utcnow())
        seen["indexes"] = {row[0] for row in other.execute(
            "select name from sqlite_master where type = 'index' and tbl_name = 'responses'")}
        seen["count"] = storage.count_responses(other, SURVEY.slug)
        return following

    monkeypatch.setattr(storage._FrameCopy, "rows", meanwhile)
    frame = synthetic.response_frame(synthetic.generate(SURVEY, 100, seed=14).rows, SURVEY)
    assert storage.insert_response_frame(db, SURVEY, frame) == 100
    assert seen == {"indexes": indexes, "count": 0}
    assert storage.count_responses(other, SURVEY.slug) == 100
    storage.new_draft(other, SURVEY, "en", storage.utcnow())
