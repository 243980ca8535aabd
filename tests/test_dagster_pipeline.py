"""Materialise every asset in-process on generated data and check the published tables."""
import datetime as dt
import sqlite3

import pandas as pd
import pytest
from dagster import AssetCheckSeverity, DagsterInstance, build_schedule_context

from dagster_project import build_definitions, defs
from dagster_project.resources import LlaisResource
from etl import synthetic
from survey_app.definition import SURVEY_TIMEZONE
from tests.etl_fixtures import SURVEY

COUNT = 1500
TABLES = ["raw_responses", "responses_clean", "quarantined_responses", "responses_deduplicated",
          "duplicate_groups", "question_summary", "summary_by_group", "summary_by_area", "free_text",
          "response_volume", "excluded_responses"]


def run(survey_db, analysis_db):
    job = build_definitions(LlaisResource(survey_database=str(survey_db), analysis_database=str(analysis_db))
                            ).resolve_job_def("refresh_analysis")
    return job.execute_in_process(instance=DagsterInstance.ephemeral(), raise_on_error=False)


def table(path, name):
    with sqlite3.connect(path) as conn:
        return pd.read_sql(f'select * from "{name}"', conn)


def check_results(result):
    return {e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data
            for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"}


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pipeline")
    survey_db, analysis_db = folder / "responses.db", folder / "analysis.db"
    synthetic.write(survey_db, SURVEY, COUNT, seed=7)
    result = run(survey_db, analysis_db)
    return survey_db, analysis_db, result


def test_definitions_load_with_a_stopped_schedule():
    assert set(TABLES) <= {a.key.path[-1] for a in defs.resolve_all_asset_specs()}
    schedule = defs.resolve_schedule_def("daily_refresh")
    assert schedule.default_status.value == "STOPPED"


def six_in_the_morning(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(6), SURVEY_TIMEZONE)


@pytest.mark.parametrize("tick, skipped_because", [
    (six_in_the_morning(SURVEY.opens_at.date() - dt.timedelta(days=1)), "upcoming"),  # the day before it opens
    (six_in_the_morning(SURVEY.opens_at.date()), None),                               # the day it opens
    (six_in_the_morning(SURVEY.closes_at.date() - dt.timedelta(days=1)), None),       # its last day
    (six_in_the_morning(SURVEY.closes_at.date()), "closed"),                          # the morning after it closes
], ids=["before", "first-day", "last-day", "after"])
def test_schedule_refreshes_only_while_the_survey_is_open(tmp_path, tick, skipped_because):
    llais = LlaisResource(survey_database=str(tmp_path / "responses.db"),
                          analysis_database=str(tmp_path / "analysis.db"))
    schedule = build_definitions(llais).resolve_schedule_def("daily_refresh")
    evaluation = schedule.evaluate_tick(build_schedule_context(resources={"llais": llais},
                                                               scheduled_execution_time=tick))
    if skipped_because:
        assert evaluation.run_requests == []
        assert evaluation.skip_message == f"survey '{SURVEY.slug}' is {skipped_because}"
    else:
        assert len(evaluation.run_requests) == 1 and evaluation.skip_message is None


def test_every_asset_materialises_and_every_check_passes(pipeline):
    _, analysis_db, result = pipeline
    assert result.success
    checks = check_results(result)
    assert len(checks) == 9
    assert all(c.passed for c in checks.values()), [n for n, c in checks.items() if not c.passed]
    for name in TABLES:
        assert (table(analysis_db, name)["survey_id"] == SURVEY.slug).all()


def test_each_asset_reports_row_count_and_preview(pipeline):
    _, analysis_db, result = pipeline
    for event in result.get_asset_materialization_events():
        metadata = event.materialization.metadata
        name = event.materialization.asset_key.path[-1]
        assert metadata["dagster/row_count"].value == len(table(analysis_db, name))
        assert "| survey_id |" in metadata["preview"].value or "| id |" in metadata["preview"].value


def test_row_counts_reconcile(pipeline):
    _, analysis_db, _ = pipeline
    raw, clean = table(analysis_db, "raw_responses"), table(analysis_db, "responses_clean")
    dedup, groups = table(analysis_db, "responses_deduplicated"), table(analysis_db, "duplicate_groups")
    assert len(raw) == len(clean) == COUNT
    excluded = table(analysis_db, "excluded_responses")
    assert len(excluded) and set(excluded["reason"]) <= {"honeypot", "too_fast", "honeypot,too_fast"}
    assert len(clean) == len(dedup) + groups.loc[groups["removed"] == 1, "response_id"].nunique() + len(excluded)


def test_published_deduplicated_responses_are_what_downstream_assets_read(pipeline):
    _, analysis_db, _ = pipeline
    published = table(analysis_db, "responses_deduplicated").set_index("id").sort_index()
    handed_on = pd.read_parquet(analysis_db.parent / "analysis_frames" / SURVEY.slug /
                                "responses_deduplicated.parquet").set_index("id").sort_index()
    # Downstream assets are handed the columns they read; the view has every clean column.
    assert set(handed_on.columns) < set(published.columns)
    assert "reference" not in handed_on.columns and "fingerprint" in handed_on.columns
    assert published.index.equals(handed_on.index)
    for column in ["respondent_group", "area", "submitted_at", "campaign_id"]:
        assert published[column].astype("string").equals(handed_on[column].astype("string")), column
    assert published["campaign_size"].fillna(0).astype(int).equals(
        handed_on["campaign_size"].fillna(0).astype(int))


def test_dedup_scores_against_ground_truth(pipeline):
    survey_db, analysis_db, _ = pipeline
    with sqlite3.connect(survey_db) as conn:
        truth = pd.read_sql("select t.*, r.id from synthetic_truth t join responses r using (reference)", conn)
        ids = dict(pd.read_sql("select reference, id from responses", conn).values)
    groups = table(analysis_db, "duplicate_groups")
    removed = groups[groups["removed"] == 1].set_index("response_id")
    exact = truth[truth["kind"] == "exact_resubmission"]
    assert exact["id"].isin(removed.index).all()
    assert (removed.loc[exact["id"], "rule"] == "exact_resubmission").all()
    # A same-person pair is found when exactly one of the two is removed.
    pairs = truth[truth["kind"] == "same_person"]
    one_removed = pairs["id"].isin(removed.index) ^ pairs["duplicate_of"].map(ids).isin(removed.index)
    assert one_removed.mean() >= 0.95
    # Nobody outside an injected duplicate is removed.
    involved = set(exact["id"]) | set(pairs["id"]) | set(pairs["duplicate_of"].map(ids))
    assert set(removed.index) <= involved


def test_campaigns_are_flagged_not_removed(pipeline):
    survey_db, analysis_db, _ = pipeline
    with sqlite3.connect(survey_db) as conn:
        members = pd.read_sql("select r.id from synthetic_truth t join responses r using (reference) "
                              "where t.campaign is not null", conn)["id"]
    dedup = table(analysis_db, "responses_deduplicated").set_index("id")
    found = dedup.loc[dedup.index.intersection(members), "campaign_id"]
    assert found.notna().mean() == 1.0
    assert dedup["campaign_id"].notna().sum() <= len(members) * 1.05


def test_quality_flags_find_injected_speeders_and_straightliners(pipeline):
    survey_db, analysis_db, _ = pipeline
    with sqlite3.connect(survey_db) as conn:
        truth = pd.read_sql("select r.id, t.speeder, t.straightliner from synthetic_truth t "
                            "join responses r using (reference)", conn).set_index("id")
    clean = table(analysis_db, "responses_clean").set_index("id")
    assert clean.loc[truth.index[truth["speeder"] == 1], "flag_speeder"].all()
    assert clean.loc[truth.index[truth["straightliner"] == 1], "flag_straightliner"].all()


def test_summary_and_free_text_tables(pipeline):
    _, analysis_db, _ = pipeline
    summary = table(analysis_db, "question_summary")
    assert set(summary["question_id"]) == {q.id for q in SURVEY.questions}
    assert summary["percent"].dropna().between(0, 100).all()
    free = table(analysis_db, "free_text")
    assert set(free["language"]) == {"cy", "en"}
    assert not free["text"].str.contains("@example.com|07700 900123").any()
    areas = set(table(analysis_db, "summary_by_area")["local_authority"])
    assert {"carmarthenshire", "ceredigion", "pembrokeshire", "powys"} <= areas
    volume = table(analysis_db, "response_volume")
    assert volume["responses"].sum() == len(table(analysis_db, "responses_deduplicated"))


def test_rematerialising_gives_identical_tables(pipeline, tmp_path):
    survey_db, analysis_db, _ = pipeline
    before = {name: table(analysis_db, name) for name in TABLES}
    assert run(survey_db, analysis_db).success
    for name in TABLES:
        pd.testing.assert_frame_equal(table(analysis_db, name), before[name])


def test_missing_survey_database_fails_naming_the_path(tmp_path):
    missing = tmp_path / "nowhere" / "responses.db"
    result = run(missing, tmp_path / "analysis.db")
    assert not result.success
    failures = [e for e in result.all_events if e.is_step_failure]
    assert str(missing) in failures[0].step_failure_data.error.to_string()
    assert not missing.exists()


def test_corrupt_and_old_version_rows_are_reported_not_crashed_on(tmp_path):
    survey_db, analysis_db = tmp_path / "responses.db", tmp_path / "analysis.db"
    synthetic.write(survey_db, SURVEY, 200, seed=3)
    with sqlite3.connect(survey_db) as conn:
        conn.execute("""update responses set concerns = '["cannabis", ' where id = 5""")
        conn.execute("update responses set survey_version = 0 where id = 9")
    result = run(survey_db, analysis_db)
    assert result.success  # the unreadable row is set aside; the rest is analysed
    quarantined = table(analysis_db, "quarantined_responses")
    assert quarantined["response_id"].tolist() == [5]
    check = check_results(result)["no_quarantined_responses"]
    assert not check.passed and check.severity == AssetCheckSeverity.WARN
    assert check.metadata["quarantined_response_ids"].value == [5]
    clean = table(analysis_db, "responses_clean").set_index("id")
    assert 5 not in clean.index
    assert clean.loc[9, "flag_old_version"] == 1
    assert check_results(result)["clean_reconciles_with_raw"].passed


def test_contact_details_left_in_free_text_fail_the_check(tmp_path):
    from dagster_project.checks import no_contact_details_in_free_text
    from etl.tables import connect_analysis, replace_table

    analysis_db = tmp_path / "analysis.db"
    conn = connect_analysis(analysis_db)
    replace_table(conn, "free_text", pd.DataFrame({
        "survey_id": [SURVEY.slug] * 3, "response_id": [1, 2, 3],
        "text": ["more police on foot", "email me at jo@example.org", "ring 07700 900123"]}), SURVEY.slug)
    conn.close()
    llais = LlaisResource(survey_database=str(tmp_path / "responses.db"), analysis_database=str(analysis_db))
    result = no_contact_details_in_free_text(llais=llais)
    assert not result.passed
    assert result.metadata["answers_with_contact_details"].value == 2
    assert result.metadata["response_ids"].value == [2, 3]


def test_a_set_aside_response_that_is_not_a_clean_one_fails_reconciliation(tmp_path):
    from dagster_project.checks import deduplicated_reconciles_with_clean
    from etl.tables import connect_analysis, replace_table

    analysis_db = tmp_path / "analysis.db"
    conn = connect_analysis(analysis_db)
    slug = SURVEY.slug
    replace_table(conn, "responses_clean", pd.DataFrame({"survey_id": [slug] * 4, "id": [1, 2, 3, 4]}), slug)
    replace_table(conn, "duplicate_groups", pd.DataFrame({
        "survey_id": [slug] * 3, "group_id": ["e1", "e1", "e2"], "rule": ["exact_resubmission"] * 3,
        "response_id": [1, 2, 9], "removed": [0, 1, 1]}), slug)
    replace_table(conn, "excluded_responses", pd.DataFrame({"survey_id": [slug], "response_id": [2]}), slug)
    conn.close()
    llais = LlaisResource(survey_database=str(tmp_path / "responses.db"), analysis_database=str(analysis_db))
    result = deduplicated_reconciles_with_clean(llais=llais)
    assert not result.passed
    assert result.metadata["set_aside_but_not_clean"].value == 1   # response 9
    assert result.metadata["removed_and_excluded"].value == 1      # response 2
