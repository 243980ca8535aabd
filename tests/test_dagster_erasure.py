"""Erasure follows the data: after `responses erase`, the next materialisation holds no trace of the
response anywhere downstream, and a blocking check fails if any erased reference survives."""
import datetime as dt
import sqlite3

import pandas as pd
import pytest
from dagster import DagsterInstance

from dagster_project import build_definitions
from dagster_project.outputs import ReviewOutputsResource
from dagster_project.resources import LlaisResource
from etl import synthetic
from survey_app import retention, storage
from tests.etl_fixtures import SURVEY

NOW = dt.datetime(2026, 12, 20, tzinfo=dt.timezone.utc)


def run_everything(folder):
    job = build_definitions(
        LlaisResource(survey_database=str(folder / "responses.db"), analysis_database=str(folder / "analysis.db")),
        ReviewOutputsResource(exports_dir=str(folder / "exports"))).resolve_job_def("refresh_all")
    result = job.execute_in_process(instance=DagsterInstance.ephemeral(), raise_on_error=False)
    checks = {e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data
              for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"}
    return result, checks


def everything_published(folder) -> str:
    """All the text a reader could see: every analysis table and every exported file."""
    parts = []
    with sqlite3.connect(folder / "analysis.db") as conn:
        for (name,) in conn.execute("select name from sqlite_master where type = 'table'").fetchall():
            parts.extend(str(row) for row in conn.execute(f'select * from "{name}"'))
    for path in (folder / "exports").rglob("*"):
        if path.suffix in {".csv", ".html"}:
            parts.append(path.read_text(encoding="utf-8-sig"))
    return "\n".join(parts)


@pytest.fixture(scope="module")
def materialised(tmp_path_factory):
    folder = tmp_path_factory.mktemp("erasure")
    synthetic.write(folder / "responses.db", SURVEY, 300, seed=5)
    result, _ = run_everything(folder)
    assert result.success
    return folder


def test_an_erased_response_leaves_every_table_and_export(materialised):
    folder = materialised
    db = storage.connect(folder / "responses.db")
    reference = db.execute("select reference from responses order by id limit 1").fetchone()[0]
    assert reference in everything_published(folder)

    assert retention.erase(db, reference, NOW)
    result, checks = run_everything(folder)

    assert result.success
    assert checks["no_erased_response_downstream"].passed
    assert reference not in everything_published(folder)
    frames = [pd.read_parquet(path) for path in (folder / "analysis_frames").rglob("*.parquet")]
    with_references = [frame for frame in frames if "reference" in frame]
    assert with_references and all(reference not in set(frame["reference"]) for frame in with_references)


def test_check_blocks_when_an_erased_reference_survives(materialised):
    folder = materialised
    db = storage.connect(folder / "responses.db")
    # An erasure recorded but the response left behind, as a botched manual deletion would.
    survivor = db.execute("select reference from responses order by id desc limit 1").fetchone()[0]
    db["erasures"].insert({"reference": survivor, "erased_at": storage.iso(NOW)})
    result, checks = run_everything(folder)
    check = checks["no_erased_response_downstream"]
    assert not check.passed
    assert survivor in str(check.metadata["still_present"].value)
    assert not result.success  # blocking: the run is marked failed
