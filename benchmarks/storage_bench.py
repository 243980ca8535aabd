"""Bulk insert of generated responses through survey_app.storage.insert_responses.

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


def run(count: int, batch_size: int) -> dict:
    survey = load_surveys()[SURVEY]
    generated = synthetic.generate(survey, count, seed=11)
    # Built before the clock starts: the figure is the storage module's, not the generator's.
    records = list(synthetic.records(generated.rows, survey))
    with tempfile.TemporaryDirectory() as folder:
        db = storage.connect(Path(folder) / "responses.db")
        storage.migrate(db, [survey])
        started = time.perf_counter()
        written = storage.insert_responses(db, survey, records, batch_size=batch_size)
        seconds = time.perf_counter() - started
        stored = storage.count_responses(db, survey.slug)
        db.close()
    return {"rows": written, "stored": stored, "batch_size": batch_size, "seconds": round(seconds, 3),
            "rows_per_second": round(written / seconds), "target_rows_per_second": 100_000,
            "machine": machine()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.storage_bench")
    parser.add_argument("--count", type=int, default=200_000)
    parser.add_argument("--batch-size", type=int, default=10_000)
    args = parser.parse_args(argv)
    result = run(args.count, args.batch_size)
    print(f"storage: {result['rows']} rows in {result['seconds']} s = {result['rows_per_second']} rows/s")
    write_json("storage", result)


if __name__ == "__main__":
    main()
