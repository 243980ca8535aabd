"""A response stored in a shape the app never writes is quarantined and reported by id, never crashes a
materialisation; and Dagster's own records, which it keeps for good, hold no reference and no answer text."""
import json
import sqlite3

import pandas as pd
import pytest
from dagster import AssetCheckSeverity, DagsterInstance

from dagster_project import build_definitions
from dagster_project.outputs import ReviewOutputsResource
from dagster_project.resources import LlaisResource
from etl import synthetic
from etl.aggregate import free_text_columns
from tests.etl_fixtures import SURVEY

# Each written straight into the survey database, as a faulty import or a hand edit would leave it.
ODD_SHAPES = {
    5: ("update responses set years_in_area = 3.7 where id = 5", "years_in_area", "stored number is not a whole number"),
    6: ("update responses set submitted_at = 'not a date' where id = 6", "submitted_at",
        "stored value is not a date and time"),
    7: ("update responses set nearest_town = x'fffe41' where id = 7", "nearest_town", "stored value is not UTF-8 text"),
    8: ("update responses set years_in_area = x'ff' where id = 8", "years_in_area", "stored value is not UTF-8 text"),
    9: ("update responses set one_change = cast(x'4d77c3' as text) where id = 9", "one_change",
        "stored value is not UTF-8 text"),
    10: ("""update responses set concerns = '["cannabis", ' where id = 10""", "concerns",
         "stored value is not a JSON list of codes"),
}
TEXT_AS_BLOB = 11   # a BLOB that is UTF-8 text is an answer like any other
TABLES = ["raw_responses", "responses_clean", "quarantined_responses", "responses_deduplicated", "duplicate_groups",
          "question_summary", "summary_by_group", "summary_by_area", "free_text", "response_volume",
          "crosstab_group", "respondent_profile", "free_text_themes"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("robustness")
    survey_db = folder / "responses.db"
    synthetic.write(survey_db, SURVEY, 240, seed=11)
    with sqlite3.connect(survey_db) as conn:
        for sql, _, _ in ODD_SHAPES.values():
            conn.execute(sql)
        conn.execute("update responses set other_comments = cast('Mae angen mwy o heddlu ar droed' as blob) "
                     f"where id = {TEXT_AS_BLOB}")
        # a follow-up email with bytes that are not UTF-8: matched as best it can be, never a crash
        conn.execute("update personal_data set email = x'ff40612e6f7267' where response_id = "
                     "(select min(response_id) from personal_data)")
    instance = DagsterInstance.ephemeral()
    job = build_definitions(
        LlaisResource(survey_database=str(survey_db), analysis_database=str(folder / "analysis.db")),
        ReviewOutputsResource(exports_dir=str(folder / "exports"))).resolve_job_def("refresh_all")
    result = job.execute_in_process(instance=instance, raise_on_error=False)
    return folder, instance, result


def table(folder, name):
    with sqlite3.connect(folder / "analysis.db") as conn:
        conn.text_factory = lambda stored: stored.decode("utf-8", "replace")   # raw_responses is copied as stored
        return pd.read_sql(f'select * from "{name}"', conn)


def checks_of(result):
    return {e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data
            for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"}


def test_rows_in_unexpected_shapes_are_quarantined_and_everything_else_is_published(run):
    folder, _, result = run
    assert result.success, [e.step_failure_data.error.message for e in result.all_events if e.is_step_failure]

    quarantined = table(folder, "quarantined_responses")
    assert sorted(quarantined[["response_id", "column", "problem"]].itertuples(index=False, name=None)) == [
        (id, column, problem) for id, (_, column, problem) in sorted(ODD_SHAPES.items())]
    checks = checks_of(result)
    warning = checks.pop("no_quarantined_responses")
    assert not warning.passed and warning.severity == AssetCheckSeverity.WARN
    assert warning.metadata["quarantined_response_ids"].value == sorted(ODD_SHAPES)
    assert all(check.passed for check in checks.values()), [n for n, c in checks.items() if not c.passed]

    raw, clean = table(folder, "raw_responses"), table(folder, "responses_clean").set_index("id")
    assert len(raw) == 240 and set(clean.index) == set(raw["id"]) - set(ODD_SHAPES)
    assert clean.loc[TEXT_AS_BLOB, "other_comments"] == "Mae angen mwy o heddlu ar droed"
    for name in TABLES:
        assert len(table(folder, name)), name
    deduplicated = table(folder, "responses_deduplicated")
    assert table(folder, "response_volume")["responses"].sum() == len(deduplicated)
    exports = folder / "exports" / SURVEY.slug
    assert (exports / "review_report.en.html").is_file() and (exports / "review_workbook.xlsx").is_file()


def stored_strings(instance, run_id) -> list[str]:
    """Every string in every event Dagster stored for the run, as it stored it."""
    strings = []

    def walk(value):
        if isinstance(value, str):
            strings.append(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(key)
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for entry in instance.all_logs(run_id):
        walk(json.loads(entry.to_json()))
    return strings


def test_dagster_keeps_no_reference_or_answer_text_in_its_records(run):
    folder, instance, result = run
    events = instance.all_logs(result.run_id)
    materialised = [e for e in events if e.asset_materialization is not None]
    evaluated = [e for e in events if e.asset_check_evaluation is not None]
    assert len(materialised) >= len(TABLES) and evaluated
    assert any("preview" in e.asset_materialization.metadata for e in materialised)

    with sqlite3.connect(folder / "responses.db") as conn:
        conn.text_factory = lambda stored: stored.decode("utf-8", "replace")   # one_change of response 9
        stored = pd.read_sql("select * from responses", conn)
    identifiers = [*stored["reference"], *stored["fingerprint"].dropna(), *stored["submission_key"]]
    answers = set()
    for column, _ in free_text_columns(SURVEY):
        for text in stored[column].dropna():
            if isinstance(text, str) and len(text.strip()) >= 20:
                answers.add(text.strip()[:20])   # previews cut long cells; the start would be kept
    assert len(answers) > 50

    everything = "\n".join(stored_strings(instance, result.run_id))
    assert [reference for reference in identifiers if reference in everything] == []
    assert [answer for answer in answers if answer in everything] == []
    # What an analyst still sees: the ids of quarantined rows, and previews of codes and counts.
    assert "quarantined_response_ids" in everything and "| respondent_group |" in everything
