"""Asset checks, run against the published tables in the analysis database.

Blocking checks stop downstream assets when a failure would mislead the review team.
"""
from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
from dagster import AssetCheckResult, AssetCheckSeverity, MetadataValue, asset_check

from etl.read import query_frame, read_table_arrow
from etl.redact import contains_contact_details

from .resources import LlaisResource


def _count(llais: LlaisResource, sql: str, *params) -> int:
    conn = llais.analysis()
    try:
        return int(conn.execute(sql, [llais.survey_slug, *params]).fetchone()[0] or 0)
    finally:
        conn.close()


def _duplicated_ids(llais: LlaisResource, table: str) -> int:
    return _count(llais, f"select count(*) - count(distinct id) from {table} where survey_id = ?")


@asset_check(asset="raw_responses", blocking=True, description="Response ids are unique.")
def raw_response_ids_unique(llais: LlaisResource) -> AssetCheckResult:
    repeated = _duplicated_ids(llais, "raw_responses")
    return AssetCheckResult(passed=repeated == 0, metadata={"repeated_ids": repeated})


@asset_check(asset="responses_clean", blocking=True,
             description="Every raw response is either clean or quarantined, and ids are unique.")
def clean_reconciles_with_raw(llais: LlaisResource) -> AssetCheckResult:
    raw = _count(llais, "select count(*) from raw_responses where survey_id = ?")
    clean = _count(llais, "select count(*) from responses_clean where survey_id = ?")
    quarantined = _count(llais, "select count(distinct response_id) from quarantined_responses where survey_id = ?")
    repeated = _duplicated_ids(llais, "responses_clean")
    return AssetCheckResult(passed=raw == clean + quarantined and repeated == 0, metadata={
        "raw": raw, "clean": clean, "quarantined": quarantined, "repeated_ids": repeated})


@asset_check(asset="quarantined_responses", description="No response was set aside as unreadable.")
def no_quarantined_responses(llais: LlaisResource) -> AssetCheckResult:
    # Rows are named by response id, never by the respondent's reference: Dagster keeps check
    # metadata for good, where an erasure cannot reach it (the table itself holds the references).
    conn = llais.analysis()
    try:
        rows = query_frame(conn, "select response_id, \"column\", problem from quarantined_responses "
                                 "where survey_id = ? order by response_id", [llais.survey_slug])
    finally:
        conn.close()
    ids = sorted(set(int(i) for i in rows["response_id"]))
    # A warning, not a block: the other responses are still sound, but the analyst must see these.
    return AssetCheckResult(passed=not ids, severity=AssetCheckSeverity.WARN, metadata={
        "quarantined_response_ids": MetadataValue.json(ids),
        "problems": MetadataValue.md(rows.to_csv(index=False) if ids else "none"),
    })


def _handed_on_rows(llais: LlaisResource, name: str) -> tuple[Path, int | None]:
    """The Parquet copy of an asset that downstream assets load (see AnalysisTableIOManager), and its row
    count from the file's footer, without reading a row; None when there is no such file."""
    path = llais.frames_folder() / f"{name}.parquet"
    return path, (pq.read_metadata(path).num_rows if path.is_file() else None)


@asset_check(asset="responses_deduplicated", blocking=True,
             description="Clean = deduplicated + removed duplicates + excluded at intake, counting the deduplicated "
                         "rows handed to downstream assets, with one row per response: every removed or excluded "
                         "response is a clean one, none is both, none is in two campaigns.")
def deduplicated_reconciles_with_clean(llais: LlaisResource) -> AssetCheckResult:
    # The published responses_deduplicated is a view (etl/deduplicated_view.py): clean rows less the removed and
    # excluded, joined to campaign membership. The facts below make its rows add up; each is read from the small
    # tables and indexes, where counting the view would look up every clean response. What the summaries are
    # built from is the frame handed on as Parquet, so that is the count reconciled with clean.
    clean = _count(llais, "select count(*) from responses_clean where survey_id = ?")
    removed = _count(llais, "select count(distinct response_id) from duplicate_groups "
                            "where survey_id = ? and removed = 1")
    excluded = _count(llais, "select count(*) from excluded_responses where survey_id = ?")
    set_aside = ("select response_id from duplicate_groups where survey_id = ?1 and removed = 1 "
                 "union all select response_id from excluded_responses where survey_id = ?1")
    not_clean = _count(llais, f"select count(*) from ({set_aside}) as s where not exists "
                              "(select 1 from responses_clean c where c.survey_id = ?1 and c.id = s.response_id)")
    both = _count(llais, "select count(*) from excluded_responses e where e.survey_id = ?1 and exists (select 1 "
                         "from duplicate_groups d where d.survey_id = ?1 and d.response_id = e.response_id "
                         "and d.removed = 1)")
    in_two_campaigns = _count(llais, "select count(*) - count(distinct response_id) from duplicate_groups "
                                     "where survey_id = ? and rule = 'campaign'")
    path, handed_on = _handed_on_rows(llais, "responses_deduplicated")
    expected = clean - removed - excluded
    return AssetCheckResult(
        passed=handed_on == expected and not (not_clean or both or in_two_campaigns), metadata={
            "clean": clean, "removed": removed, "excluded_at_intake": excluded,
            "clean_less_removed_and_excluded": expected,
            "deduplicated": MetadataValue.null() if handed_on is None else handed_on,
            "handed_on": MetadataValue.path(str(path)),
            "set_aside_but_not_clean": not_clean, "removed_and_excluded": both,
            "in_two_campaigns": in_two_campaigns})


def _summary_check(table: str, breakdown: str | None):
    group_by = f"question_id, {breakdown}" if breakdown else "question_id"

    @asset_check(asset=table, name=f"{table}_figures_consistent", blocking=True,
                 description="Percents lie in 0-100 and single-choice option counts sum to the base.")
    def check(llais: LlaisResource) -> AssetCheckResult:
        out_of_range = _count(llais, f"select count(*) from {table} where survey_id = ? and percent is not null "
                                     "and (percent < 0 or percent > 100)")
        mismatched = _count(llais, f"select count(*) from (select {group_by} from {table} where survey_id = ? "
                                   f"and question_type = 'single' group by {group_by} "
                                   "having sum(count) <> max(base))")
        return AssetCheckResult(passed=out_of_range == 0 and mismatched == 0, metadata={
            "percents_out_of_range": out_of_range, "single_choice_sums_not_base": mismatched})

    return check


@asset_check(asset="question_summary", blocking=True,
             description="Every question in the survey definition appears in question_summary.")
def every_question_summarised(llais: LlaisResource) -> AssetCheckResult:
    conn = llais.analysis()
    try:
        present = {r[0] for r in conn.execute("select distinct question_id from question_summary "
                                              "where survey_id = ?", [llais.survey_slug])}
    finally:
        conn.close()
    missing = [q.id for q in llais.survey().questions if q.id not in present]
    return AssetCheckResult(passed=not missing, metadata={"missing_questions": MetadataValue.json(missing)})


@asset_check(asset="free_text", blocking=True, description="No email address or phone number is left in free_text.")
def no_contact_details_in_free_text(llais: LlaisResource) -> AssetCheckResult:
    # Read through Arrow: over a million answers at 1M responses, several times quicker than row by row.
    # Nothing else has the analysis database open while a check runs.
    text = read_table_arrow(llais.analysis_database, "select response_id, text from free_text where survey_id = ?",
                            [llais.survey_slug])
    leaks = text.loc[contains_contact_details(text["text"]), "response_id"] if len(text) else text["response_id"]
    return AssetCheckResult(passed=leaks.empty, metadata={
        "answers_with_contact_details": len(leaks),
        "response_ids": MetadataValue.json(sorted(int(i) for i in leaks.unique())[:50]),
    })


ASSET_CHECKS = [
    raw_response_ids_unique, clean_reconciles_with_raw, no_quarantined_responses,
    deduplicated_reconciles_with_clean, every_question_summarised, no_contact_details_in_free_text,
    _summary_check("question_summary", None), _summary_check("summary_by_group", "respondent_group"),
    _summary_check("summary_by_area", "local_authority"),
]
