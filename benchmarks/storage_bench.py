"""Bulk insert of generated responses through survey_app.storage.insert_response_frame
(the generator's path), with the record-by-record insert_responses alongside for comparison.

    python -m benchmarks.storage_bench --count 200000
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from etl import synthetic
from survey_app import storage
from survey_app.definition import load_surveys

from .common import machine, write_json

SURVEY = "drugs-review"
RECORD_BATCH = 10_000
RUNS = 3


def run(count: int, batch_size: int) -> dict:
    survey = load_surveys()[SURVEY]
    generated = synthetic.generate(survey, count, seed=11)
    # Built before the clock starts: the figure is the storage module's, not the generator's.
    frame = synthetic.response_frame(generated.rows, survey)
    # Each run into a fresh database; the median is reported (the first run also pays for the
    # module's lazy imports, and the commit's disk writes vary from run to run).
    runs = [timed_insert(survey, lambda db: storage.insert_response_frame(db, survey, frame, batch_size=batch_size))
            for _ in range(RUNS)]
    written, seconds, stored = sorted(runs, key=lambda run: run[1])[len(runs) // 2]
    # Built after the bulk runs: ten million live Python objects would slow them (the collector walks them).
    records = as_records(frame)
    by_record = timed_insert(
        survey, lambda db: storage.insert_responses(db, survey, records, batch_size=RECORD_BATCH))[1]
    floor = floor_seconds(survey, frame, batch_size)
    in_place = floor_seconds(survey, frame, batch_size, rebuild=False)
    return {"rows": written, "stored": stored, "batch_size": batch_size, "seconds": round(seconds, 3),
            "all_seconds": [round(run[1], 3) for run in runs], "every_run_stored_all": all(r[0] == r[2] for r in runs),
            "rows_per_second": round(written / seconds), "target_rows_per_second": 100_000,
            "insert_responses_rows_per_second": round(written / by_record),
            "floor_rows_per_second": round(written / floor),
            "floor_indexes_in_place_rows_per_second": round(written / in_place), "machine": machine()}


def floor_seconds(survey, frame, batch_size: int, rebuild: bool = True) -> float:
    """SQLite alone: the same rows and personal data, already in tables of the same file (the rows'
    declared as responses is), copied in with no conversion and no scratch file.

    With `rebuild`, as insert_response_frame loads into an empty table: one transaction, the
    indexes on responses dropped before and created again after, and the rows copied whole
    (INSERT ... SELECT *, which SQLite can do without decoding them). Without it, as the old
    bulk path did: batch_size rows a transaction, column by column, every index in place."""
    with tempfile.TemporaryDirectory() as folder:
        db = storage.connect(Path(folder) / "responses.db")
        storage.migrate(db, [survey])
        storage.insert_response_frame(db, survey, frame)
        columns = ", ".join(f'"{c}"' for c in db["responses"].columns_dict)
        sql = db.execute("SELECT sql FROM sqlite_master WHERE name = 'responses'").fetchone()[0]
        db.execute(sql.replace('"responses"', '"responses_source"', 1))
        db.execute("INSERT INTO responses_source SELECT * FROM responses")
        # personal_data refers to responses, and SQLite copies such a table row by row whatever the source.
        db.execute("CREATE TABLE personal_data_source AS SELECT * FROM personal_data")
        db.execute("DELETE FROM personal_data")
        db.execute("DELETE FROM responses")
        indexes = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                             "AND tbl_name = 'responses' AND sql IS NOT NULL").fetchall()
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.execute("PRAGMA cache_size = -262144")  # as the bulk insert sets it
        started = time.perf_counter()
        if rebuild:
            with storage.immediate_transaction(db):
                for name, _ in indexes:
                    db.execute(f'DROP INDEX "{name}"')
                db.execute("INSERT INTO responses SELECT * FROM responses_source")
                db.execute("INSERT INTO personal_data SELECT * FROM personal_data_source")
                for _, sql in indexes:
                    db.execute(sql)
        else:
            for first in range(0, len(frame), batch_size):
                with storage.immediate_transaction(db):
                    db.execute(f"INSERT INTO responses ({columns}) SELECT {columns} FROM responses_source "
                               "WHERE id > ? AND id <= ?", [first, first + batch_size])
                    db.execute("INSERT INTO personal_data SELECT * FROM personal_data_source "
                               "WHERE response_id > ? AND response_id <= ?", [first, first + batch_size])
        seconds = time.perf_counter() - started
        db.close()
    return seconds


def timed_insert(survey, insert) -> tuple[int, float, int]:
    """(rows written, seconds, rows stored) for one insert into a fresh database."""
    with tempfile.TemporaryDirectory() as folder:
        db = storage.connect(Path(folder) / "responses.db")
        storage.migrate(db, [survey])
        started = time.perf_counter()
        written = insert(db)
        seconds = time.perf_counter() - started
        stored = storage.count_responses(db, survey.slug)
        db.close()
    return written, seconds, stored


def as_records(frame) -> list[dict]:
    """The frame's rows as import records, missing answers left out."""
    keys = list(frame.columns)
    columns = [frame[c].astype(object).where(frame[c].notna(), None).tolist() for c in keys]
    return [{k: v for k, v in zip(keys, values) if v is not None} for values in zip(*columns)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.storage_bench")
    parser.add_argument("--count", type=int, default=200_000)
    parser.add_argument("--batch-size", type=int, default=50_000)
    args = parser.parse_args(argv)
    result = run(args.count, args.batch_size)
    print(f"storage: {result['rows']} rows in {result['seconds']} s (median of {result['all_seconds']}) "
          f"= {result['rows_per_second']} rows/s "
          f"(insert_responses: {result['insert_responses_rows_per_second']} rows/s; SQLite's own floor, "
          f"copying the rows from a table of the same file: {result['floor_rows_per_second']} rows/s, "
          f"or {result['floor_indexes_in_place_rows_per_second']} rows/s in batches with the indexes in place)")
    write_json("storage", result)


if __name__ == "__main__":
    main()
