"""The column-wise bulk insert stores exactly what the record-by-record import stores."""
import sqlite3

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


def test_a_frame_is_stored_exactly_as_the_same_records_are(tmp_path):
    frame = synthetic.response_frame(synthetic.generate(SURVEY, 400, seed=5).rows, SURVEY)
    frame.loc[0, "one_change"] = ""  # a blank answer is stored as NULL
    by_record = storage.connect(tmp_path / "records.db")
    by_frame = storage.connect(tmp_path / "frame.db")
    for db in (by_record, by_frame):
        storage.migrate(db, [SURVEY])
    storage.insert_responses(by_record, SURVEY, as_records(frame))
    # Batches smaller than the frame: rows and personal data must line up across transactions.
    assert storage.insert_response_frame(by_frame, SURVEY, frame, batch_size=150) == 400

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
