"""Erasure follows the data: after `responses erase`, the next materialisation holds no trace of the
response anywhere downstream, and a blocking check fails if any erased reference survives."""
import datetime as dt
import shutil
import sqlite3
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
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


def test_check_finds_an_erased_response_where_only_its_id_is_left(materialised, tmp_path):
    """free_text, duplicate_groups and the deduplicated frame name a response by id alone, and the erasure
    record holds only the reference: the check finds the id the survey database no longer holds."""
    from dagster_project.outputs import no_erased_response_downstream

    folder = tmp_path / "copy"
    shutil.copytree(materialised, folder)
    analysis = sqlite3.connect(folder / "analysis.db")
    response_id, reference = analysis.execute(
        "select f.response_id, r.reference from free_text f join raw_responses r on r.id = f.response_id "
        "order by f.response_id limit 1").fetchone()
    # As a run that stopped part way would leave it: every table and frame holding references rebuilt
    # since the erasure, but not those naming responses by id.
    for (name,) in analysis.execute("select name from sqlite_master where type = 'table'").fetchall():
        if "reference" in [row[1] for row in analysis.execute(f'pragma table_info("{name}")')]:
            analysis.execute(f'delete from "{name}" where reference = ?', [reference])
    analysis.commit()
    analysis.close()
    for path in (folder / "analysis_frames").rglob("*.parquet"):
        if "reference" in pq.read_schema(path).names:
            frame = pd.read_parquet(path)
            frame[frame["reference"] != reference].to_parquet(path, index=False)
    db = storage.connect(folder / "responses.db")
    db.execute("delete from erasures")   # only this erasure, whatever the tests before left
    assert retention.erase(db, reference, NOW)

    result = no_erased_response_downstream(
        llais=LlaisResource(survey_database=str(folder / "responses.db"),
                            analysis_database=str(folder / "analysis.db")),
        review=ReviewOutputsResource(exports_dir=str(folder / "exports")))
    assert not result.passed
    assert result.metadata["erased_references_still_present"].value == {}
    left = result.metadata["deleted_response_ids_present"].value
    assert left["free_text"] == [response_id]
    frames = {Path(path).name: ids for path, ids in left.items() if path.endswith(".parquet")}
    assert frames["free_text.parquet"] == [response_id] and frames["responses_deduplicated.parquet"] == [response_id]


def test_check_blocks_when_an_erased_reference_survives(materialised):
    folder = materialised
    db = storage.connect(folder / "responses.db")
    # An erasure recorded but the response left behind, as a botched manual deletion would.
    survivor = db.execute("select reference from responses order by id desc limit 1").fetchone()[0]
    db["erasures"].insert({"reference": survivor, "erased_at": storage.iso(NOW)})
    result, checks = run_everything(folder)
    check = checks["no_erased_response_downstream"]
    assert not check.passed
    present = check.metadata["erased_references_still_present"].value
    assert present["raw_responses"] == 1 and survivor not in str(check.metadata)
    assert not result.success  # blocking: the run is marked failed
