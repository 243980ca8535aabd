"""Each blocking asset check fails, and says why, when the analysis is left as a real fault would leave it.

The analysis is materialised once on generated data; each test breaks a copy of the analysis database (or
the frames handed downstream) and runs only the check, through Dagster, against that copy.
"""
import shutil
import sqlite3

import pandas as pd
import pytest
from dagster import AssetSelection, DagsterInstance, Definitions, define_asset_job

from dagster_project import build_definitions
from dagster_project import checks as asset_checks
from dagster_project.resources import LlaisResource
from etl import synthetic
from tests.etl_fixtures import SURVEY

COUNT = 200
SUMMARY_TABLES = ["question_summary", "summary_by_group", "summary_by_area"]
BLOCKING_CHECKS = [asset_checks.raw_response_ids_unique, asset_checks.clean_reconciles_with_raw,
                   asset_checks.deduplicated_reconciles_with_clean, asset_checks.every_question_summarised,
                   *[check for check in asset_checks.ASSET_CHECKS
                     if check.check_key.name in {f"{table}_figures_consistent" for table in SUMMARY_TABLES}]]


def resource(folder, survey_db) -> LlaisResource:
    return LlaisResource(survey_database=str(survey_db), analysis_database=str(folder / "analysis.db"))


@pytest.fixture(scope="module")
def materialised(tmp_path_factory):
    folder = tmp_path_factory.mktemp("checks")
    synthetic.write(folder / "responses.db", SURVEY, COUNT, seed=13)
    job = build_definitions(resource(folder, folder / "responses.db")).resolve_job_def("refresh_analysis")
    assert job.execute_in_process(instance=DagsterInstance.ephemeral(), raise_on_error=False).success
    return folder


@pytest.fixture
def analysis(materialised, tmp_path):
    """A copy of the materialised analysis database and the frames handed downstream, to break."""
    with sqlite3.connect(materialised / "analysis.db") as source, sqlite3.connect(tmp_path / "analysis.db") as copy:
        source.backup(copy)
    shutil.copytree(materialised / "analysis_frames", tmp_path / "analysis_frames")
    return tmp_path


def run_checks(analysis, materialised, *checks):
    """Run only these checks (no asset) against the copy; their evaluations by name, and whether the run passed."""
    only = define_asset_job("only_checks", selection=AssetSelection.checks(*checks))
    defs = Definitions.merge(build_definitions(resource(analysis, materialised / "responses.db")),
                             Definitions(jobs=[only]))
    result = defs.resolve_job_def("only_checks").execute_in_process(instance=DagsterInstance.ephemeral(),
                                                                     raise_on_error=False)
    evaluations = {e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data
                   for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"}
    assert set(evaluations) == {check.check_key.name for check in checks}
    return evaluations, result.success


def failed(analysis, materialised, check) -> dict:
    """The metadata of the check, which must fail and, being blocking, fail the run."""
    evaluations, success = run_checks(analysis, materialised, check)
    evaluation = evaluations[check.check_key.name]
    assert not evaluation.passed and evaluation.blocking
    assert not success
    return {key: value.value for key, value in evaluation.metadata.items()}


def execute(analysis, sql: str, *params) -> None:
    with sqlite3.connect(analysis / "analysis.db") as conn:
        assert conn.execute(sql, params).rowcount > 0, sql


def summary_check(table: str):
    [check] = [c for c in asset_checks.ASSET_CHECKS if c.check_key.name == f"{table}_figures_consistent"]
    return check


def test_every_blocking_check_passes_on_the_untouched_copy(analysis, materialised):
    evaluations, success = run_checks(analysis, materialised, *BLOCKING_CHECKS)
    assert success and all(e.passed for e in evaluations.values()), evaluations


def test_a_question_left_out_of_the_summary_fails(analysis, materialised):
    question = next(q.id for q in SURVEY.questions if q.type == "likert")
    execute(analysis, "delete from question_summary where question_id = ?", question)
    metadata = failed(analysis, materialised, asset_checks.every_question_summarised)
    assert metadata["missing_questions"] == [question]


@pytest.mark.parametrize("table", SUMMARY_TABLES)
def test_single_choice_counts_not_summing_to_the_base_fail(analysis, materialised, table):
    # One response counted under two options of a single-choice question.
    execute(analysis, f"update {table} set count = count + 1 where rowid = (select min(rowid) from {table} "
                      "where question_type = 'single' and count > 0)")
    metadata = failed(analysis, materialised, summary_check(table))
    assert metadata == {"percents_out_of_range": 0, "single_choice_sums_not_base": 1}


@pytest.mark.parametrize("table", SUMMARY_TABLES)
def test_a_percent_over_100_fails(analysis, materialised, table):
    # A percent of a multiple-choice option taken over the wrong (smaller) base.
    execute(analysis, f"update {table} set percent = 125.0 where rowid = (select min(rowid) from {table} "
                      "where question_type = 'multiple' and percent is not null)")
    metadata = failed(analysis, materialised, summary_check(table))
    assert metadata == {"percents_out_of_range": 1, "single_choice_sums_not_base": 0}


def test_a_response_read_twice_fails_raw_ids_unique(analysis, materialised):
    execute(analysis, "insert into raw_responses select * from raw_responses where id = (select min(id) "
                      "from raw_responses)")
    metadata = failed(analysis, materialised, asset_checks.raw_response_ids_unique)
    assert metadata == {"repeated_ids": 1}


def test_a_response_lost_in_cleaning_fails_reconciliation_with_raw(analysis, materialised):
    execute(analysis, "delete from responses_clean where id = (select max(id) from responses_clean)")
    metadata = failed(analysis, materialised, asset_checks.clean_reconciles_with_raw)
    assert metadata == {"raw": COUNT, "clean": COUNT - 1, "quarantined": 0, "repeated_ids": 0}


def test_a_clean_response_under_another_ones_id_fails_reconciliation_with_raw(analysis, materialised):
    # The counts still add up; only the repeated id shows that one response stands in for another.
    execute(analysis, "update responses_clean set id = (select min(id) from responses_clean) "
                      "where id = (select max(id) from responses_clean)")
    metadata = failed(analysis, materialised, asset_checks.clean_reconciles_with_raw)
    assert metadata == {"raw": COUNT, "clean": COUNT, "quarantined": 0, "repeated_ids": 1}


def handed_on(analysis):
    return analysis / "analysis_frames" / SURVEY.slug / "responses_deduplicated.parquet"


def test_deduplicated_rows_lost_before_the_hand_off_fail_reconciliation(analysis, materialised):
    frame = pd.read_parquet(handed_on(analysis))
    frame.iloc[1:].to_parquet(handed_on(analysis), index=False)
    metadata = failed(analysis, materialised, asset_checks.deduplicated_reconciles_with_clean)
    assert metadata["deduplicated"] == len(frame) - 1
    assert metadata["clean_less_removed_and_excluded"] == len(frame)
    assert metadata["clean"] == COUNT
    assert metadata["handed_on"] == str(handed_on(analysis))


def test_an_excluded_response_still_handed_on_fails_reconciliation(analysis, materialised):
    # The exclusion is recorded, but the response is still in the frame the summaries are built from.
    kept = int(pd.read_parquet(handed_on(analysis), columns=["id"])["id"].iloc[0])
    execute(analysis, "insert into excluded_responses (survey_id, response_id, reason) values (?, ?, 'too_fast')",
            SURVEY.slug, kept)
    metadata = failed(analysis, materialised, asset_checks.deduplicated_reconciles_with_clean)
    assert metadata["clean_less_removed_and_excluded"] == metadata["deduplicated"] - 1
    assert (metadata["set_aside_but_not_clean"], metadata["removed_and_excluded"], metadata["in_two_campaigns"]) \
        == (0, 0, 0)


def test_no_deduplicated_frame_handed_on_fails_reconciliation(analysis, materialised):
    handed_on(analysis).unlink()
    metadata = failed(analysis, materialised, asset_checks.deduplicated_reconciles_with_clean)
    assert metadata["deduplicated"] is None
    assert metadata["handed_on"] == str(handed_on(analysis))
