"""Review-team outputs: crosstabs, themes, the Excel workbook, charts and the report (thin over etl/)."""
# No "from __future__ import annotations": Dagster inspects the context type hints at definition time.

import base64
import os
from pathlib import Path

import pandas as pd
from dagster import (AssetCheckResult, AssetCheckSpec, AssetExecutionContext, AssetOut, ConfigurableResource,
                     MaterializeResult, MetadataValue, Output, asset, asset_check, multi_asset, multi_asset_check)

from etl import aggregate, pdf
from etl.charts import QuestionCharts
from etl.crosstab import crosstab, languages
from etl.erasure import (analysis_tables_with_references, erased_in_files, erased_in_tables, read_erased_references,
                         stored_response_ids, vanished_ids_in_frames, vanished_ids_in_tables)
from etl.labels import welsh_label
from etl.profile import respondent_profile as profile_table
from etl.publish import CROSSTABS, PUBLISHED, Labels, publish, small_counts_left
from etl.report import duplicate_summary, render_report, report_name, small_counts_in_report
from etl.suppression import DEFAULT_MARKER, DEFAULT_THRESHOLD, SuppressionRule
from etl.themes import CODEBOOK_PATH, load_codebook, theme_tables
from etl.wording import LANGUAGES
from etl.workbook import WORKBOOK_NAME, read_sheets, sheets_not_matching, write_csvs, write_workbook

from .assets import FOR_PROFILE, FOR_SUMMARIES, selected_tables, tables_in_one_step
from .resources import LlaisResource

GROUP = "review"
TABLE_INPUTS = ["respondent_profile", *CROSSTABS, "free_text_themes", "theme_examples", "free_text_campaigns"]
# The analysis tables the published (suppressed) tables are made from.
PUBLISHED_INPUTS = [*TABLE_INPUTS, "question_summary"]


class ReviewOutputsResource(ConfigurableResource):
    """Where exports go and the disclosure rule; defaults come from the environment (see from_env)."""

    exports_dir: str = ""          # empty: an exports/ folder beside the analysis database
    suppression_threshold: int = DEFAULT_THRESHOLD
    suppression_marker: str = DEFAULT_MARKER
    codebook: str = str(CODEBOOK_PATH)

    @classmethod
    def from_env(cls) -> "ReviewOutputsResource":
        return cls(exports_dir=os.environ.get("EXPORTS_DIR", ""),
                   suppression_threshold=int(os.environ.get("SUPPRESSION_THRESHOLD", DEFAULT_THRESHOLD)),
                   suppression_marker=os.environ.get("SUPPRESSION_MARKER", DEFAULT_MARKER),
                   codebook=os.environ.get("THEME_CODEBOOK", str(CODEBOOK_PATH)))

    def rule(self) -> SuppressionRule:
        return SuppressionRule(self.suppression_threshold, self.suppression_marker)

    def folder(self, llais: LlaisResource) -> Path:
        """One folder per consultation, so several surveys can share a deployment."""
        root = Path(self.exports_dir) if self.exports_dir else Path(llais.analysis_database).parent / "exports"
        return root / llais.survey_slug

    def chart_path(self, llais: LlaisResource, language: str, question_id: str) -> Path:
        return self.folder(llais) / "charts" / language / f"{question_id}.png"


@tables_in_one_step(GROUP, FOR_SUMMARIES, {
    "crosstab_group": "Every closed question by respondent group: count, base, column percent and 95% Wilson "
                      "interval (unsuppressed).",
    "crosstab_area": "Every closed question by local authority, with 95% Wilson intervals (unsuppressed).",
    "crosstab_language": "Every closed question by response language, with 95% Wilson intervals (unsuppressed).",
})
def crosstabs(context: AssetExecutionContext, responses_deduplicated: pd.DataFrame, llais: LlaisResource):
    survey, welsh = llais.survey(), llais.welsh()
    breakdowns = {
        "crosstab_group": ("respondent_group", aggregate.group_categories(survey), "respondent_group"),
        "crosstab_area": ("area", aggregate.area_categories(survey), "local_authority"),
        "crosstab_language": ("language", languages(responses_deduplicated), "language"),
    }
    yield from selected_tables(context, {
        name: lambda breakdown=breakdown: crosstab(responses_deduplicated, survey, welsh, *breakdown)
        for name, breakdown in breakdowns.items()})


@asset(group_name=GROUP, kinds={"pandas", "sqlite"}, ins=FOR_PROFILE)
def respondent_profile(responses_deduplicated: pd.DataFrame, llais: LlaisResource) -> pd.DataFrame:
    """Who responded: respondents by group, local authority, language and channel (unsuppressed)."""
    return profile_table(responses_deduplicated, llais.survey(), llais.welsh())


@multi_asset(
    group_name=GROUP,
    outs={
        "free_text_themes": AssetOut(description="Written answers per question x theme x group x language (a "
                                                 "campaign counts once), with all/all totals and untagged answers."),
        "theme_examples": AssetOut(description="A few redacted quotes per theme, in both languages where possible."),
        "free_text_campaigns": AssetOut(description="Each campaign's shared text once, with its size and themes."),
    },
)
def free_text_themes(free_text: pd.DataFrame, llais: LlaisResource, review: ReviewOutputsResource):
    tables = theme_tables(free_text, llais.survey(), load_codebook(review.codebook))
    totals = tables.counts[tables.counts["respondent_group"] == "all"]
    untagged = int(totals.loc[totals["theme_id"] == "untagged", "answers"].sum())
    yield Output(tables.counts, output_name="free_text_themes", metadata={
        "untagged_answers": MetadataValue.int(untagged), "codebook": MetadataValue.path(review.codebook)})
    yield Output(tables.examples, output_name="theme_examples")
    yield Output(tables.campaigns, output_name="free_text_campaigns")


def _published(llais: LlaisResource, review: ReviewOutputsResource) -> dict[str, pd.DataFrame]:
    """The suppressed tables, as the workbook, the CSVs and the report show them."""
    return publish(_load_tables(llais), review.rule(), Labels.of(llais.survey(), llais.welsh()))


@asset(group_name=GROUP, kinds={"excel", "csv"}, deps=PUBLISHED_INPUTS)
def review_workbook(context: AssetExecutionContext, llais: LlaisResource,
                    review: ReviewOutputsResource) -> MaterializeResult:
    """The suppressed tables as one Excel workbook (contents sheet, English and Welsh headers) and a CSV each."""
    published = _published(llais, review)
    folder = review.folder(llais)
    path = write_workbook(folder / WORKBOOK_NAME, published, llais.survey().title, review.rule())
    csvs = write_csvs(folder / "csv", published)
    context.log.info(f"Wrote {path} and {len(csvs)} CSV files")
    return MaterializeResult(metadata={
        "workbook": MetadataValue.path(str(path)), "csv_folder": MetadataValue.path(str(folder / "csv")),
        "sheets": MetadataValue.json({name: len(frame) for name, frame in published.items()}),
        "suppression": MetadataValue.text(review.rule().describe()),
    })


@asset(group_name=GROUP, kinds={"html"}, deps=[*PUBLISHED_INPUTS, "duplicate_groups", "raw_responses",
                                               "quarantined_responses", "responses_deduplicated"])
def review_report(context: AssetExecutionContext, llais: LlaisResource,
                  review: ReviewOutputsResource) -> MaterializeResult:
    """Self-contained HTML reports in English and Welsh, with a PNG chart per closed question in each language."""
    survey, welsh, rule = llais.survey(), llais.welsh(), review.rule()
    published = _published(llais, review)
    names = _group_names(survey, welsh)
    # Each figure is drawn once and relabelled for the other language. A helper process starts on the
    # charts now, while this one reads the counts, then both draw what is left.
    with QuestionCharts(published["crosstab_group"], [q.id for q in survey.questions if q.is_closed],
                        {language: names[language] for language in LANGUAGES}, rule) as drawing:
        # Only the columns the summary reads: all of them are in the duplicate groups' index, so the rows
        # come from it (in the same order) without reading the table.
        groups = _table(llais, "duplicate_groups", columns=["rule", "group_id", "response_id", "removed"])
        counts, duplicates = _counts(llais), duplicate_summary(groups)
        charts_by_language = drawing.result()
    metadata = {}
    paths = []
    for language in LANGUAGES:
        charts = charts_by_language[language]
        for question_id, png in charts.items():
            _write(review.chart_path(llais, language, question_id), png)
            # Every chart is shown in the UI, in both languages (palette PNGs of ~15 KB each keep the event small).
            metadata[f"chart {language} {question_id}"] = MetadataValue.md(
                f"![{question_id}](data:image/png;base64,{base64.b64encode(png).decode()})")
        html = render_report(language, survey=survey, welsh=welsh, published=published, charts=charts,
                             counts=counts, duplicates=duplicates, rule=rule)
        paths.append(_write(review.folder(llais) / report_name(language), html.encode("utf-8")))
    metadata.update(_pdfs(context, paths))
    context.log.info(f"Wrote {', '.join(str(p) for p in paths)}")
    return MaterializeResult(metadata={
        **{f"report {language}": MetadataValue.path(str(p)) for language, p in zip(LANGUAGES, paths)}, **metadata})


def _pdfs(context: AssetExecutionContext, reports: list[Path]) -> dict[str, MetadataValue]:
    """Each HTML report laid out as PDF beside it; where that cannot be done here, no PDF at all
    (an old one could hold a response erased since), and the metadata says why."""
    targets = [report.with_suffix(".pdf") for report in reports]
    reason = pdf.unavailable()
    if reason:
        for target in targets:
            target.unlink(missing_ok=True)
        context.log.warning(f"No PDF reports: {reason}")
        return {"pdf": MetadataValue.text(f"not made: {reason}")}
    pdf.write_pdfs(list(zip(reports, targets)))
    return {f"report {target.suffixes[0].lstrip('.')} pdf": MetadataValue.path(str(target)) for target in targets}


def _group_names(survey, welsh: dict[str, str]) -> dict[str, dict[str, str]]:
    question = survey.question("respondent_group")
    return {"en": {o.code: o.label for o in question.options},
            "cy": {o.code: welsh_label(welsh, o.label, question.option_context) or o.label for o in question.options}}


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f".{path.name}.tmp")
    staging.write_bytes(data)
    staging.replace(path)
    return path


def _table(llais: LlaisResource, name: str, columns: list[str] | None = None) -> pd.DataFrame:
    """One survey's rows of an analysis table (the published tables are the hand-over, like the IO manager's)."""
    selected = ", ".join(f'"{column}"' for column in columns) if columns else "*"
    conn = llais.analysis()
    try:
        return pd.read_sql_query(f'select {selected} from "{name}" where survey_id = ?', conn,
                                 params=[llais.survey_slug])
    finally:
        conn.close()


def _load_tables(llais: LlaisResource) -> dict[str, pd.DataFrame]:
    return {name: _table(llais, name) for name in PUBLISHED_INPUTS}


def _counts(llais: LlaisResource) -> dict[str, int]:
    conn = llais.analysis()
    try:
        def count(sql: str) -> int:
            return int(conn.execute(sql, [llais.survey_slug]).fetchone()[0] or 0)
        # responses_deduplicated is a view that looks up every one of a million clean responses; its two
        # counts come from the small tables and indexes instead, as the blocking check on it
        # (deduplicated_reconciles_with_clean) reconciles them: the kept responses are the clean ones less
        # those removed and those excluded, and campaigns are found among the kept, so each campaign
        # membership that was not removed is one row of the view with a campaign_id.
        # In the report's order: received, less each kind set aside, gives those analysed (as the blocking checks
        # clean_reconciles_with_raw and deduplicated_reconciles_with_clean ensure).
        removed = count("select count(distinct response_id) from duplicate_groups where survey_id = ? and removed = 1")
        excluded = count("select count(*) from excluded_responses where survey_id = ?")
        return {
            "responses_received": count("select count(*) from raw_responses where survey_id = ?"),
            "quarantined": count("select count(distinct response_id) from quarantined_responses where survey_id = ?"),
            "excluded_at_intake": excluded,
            "duplicates_removed": removed,
            "responses_analysed": count("select count(*) from responses_clean where survey_id = ?")
            - removed - excluded,
            "campaign_responses": count("select count(*) from duplicate_groups "
                                        "where survey_id = ? and rule = 'campaign' and removed = 0"),
        }
    finally:
        conn.close()


@multi_asset_check(specs=[
    AssetCheckSpec("no_small_counts_published", asset="review_workbook", blocking=True,
                   description="No count from 1 to threshold-1 is shown in any published sheet or CSV."),
    AssetCheckSpec("workbook_matches_analysis_tables", asset="review_workbook", blocking=True,
                   description="The workbook opens with openpyxl; its sheets are the suppressed analysis tables, "
                               "row for row and value for value, and every question in them is in the survey "
                               "definition."),
])
def review_workbook_checks(llais: LlaisResource, review: ReviewOutputsResource):
    """Both workbook checks in one step, so the workbook is read back (with openpyxl) once, not once per check."""
    folder = review.folder(llais)
    sheets = read_sheets(folder / WORKBOOK_NAME)
    yield _no_small_counts_published(sheets, folder, review)
    yield _workbook_matches_analysis_tables(sheets, llais, review)


def _no_small_counts_published(sheets: dict[str, pd.DataFrame], folder: Path,
                               review: ReviewOutputsResource) -> AssetCheckResult:
    csvs = {name: pd.read_csv(folder / "csv" / f"{name}.csv", dtype=str, keep_default_na=False) for name in PUBLISHED}
    in_sheets, in_csvs = small_counts_left(sheets, review.rule()), small_counts_left(csvs, review.rule())
    return AssetCheckResult(
        asset_key="review_workbook", check_name="no_small_counts_published",
        passed=not any(in_sheets.values()) and not any(in_csvs.values()), metadata={
            "small_counts_in_sheets": MetadataValue.json(in_sheets),
            "small_counts_in_csvs": MetadataValue.json(in_csvs)})


def _workbook_matches_analysis_tables(sheets: dict[str, pd.DataFrame], llais: LlaisResource,
                                      review: ReviewOutputsResource) -> AssetCheckResult:
    mismatched = sheets_not_matching(sheets, _published(llais, review))
    known = {q.id for q in llais.survey().questions}
    unknown = sorted({str(q) for frame in sheets.values() if "question_id" in frame
                      for q in frame["question_id"].dropna().unique()} - known)
    return AssetCheckResult(
        asset_key="review_workbook", check_name="workbook_matches_analysis_tables",
        passed=not mismatched and not unknown, metadata={
            "sheets": MetadataValue.json(sorted(sheets)), "sheets_not_matching_tables": MetadataValue.json(mismatched),
            "questions_not_in_definition": MetadataValue.json(unknown)})


@asset_check(asset="review_report", blocking=True,
             description="Every chart is a closed question of the definition, each has an English and a Welsh "
                         "chart, and both reports exist (as HTML, and as PDF where PDFs can be made here).")
def charts_match_questions(llais: LlaisResource, review: ReviewOutputsResource) -> AssetCheckResult:
    closed = {q.id for q in llais.survey().questions if q.is_closed}
    found = {language: {p.stem for p in (review.folder(llais) / "charts" / language).glob("*.png")}
             for language in LANGUAGES}
    stray = sorted(set().union(*found.values()) - closed)
    missing = {language: sorted(closed - stems) for language, stems in found.items() if closed - stems}
    names = [report_name(language) for language in LANGUAGES]
    if not pdf.unavailable():
        names += [str(Path(name).with_suffix(".pdf")) for name in names]
    reports = [name for name in names if not (review.folder(llais) / name).is_file()]
    return AssetCheckResult(passed=not stray and not missing and not reports, metadata={
        "charts_not_questions": MetadataValue.json(stray), "questions_without_chart": MetadataValue.json(missing),
        "missing_reports": MetadataValue.json(reports)})


@asset_check(asset="review_report", name="no_small_counts_published", blocking=True,
             description="No count from 1 to threshold-1 is shown in a table of either report (the response "
                         "counts, which must add up, excepted).")
def no_small_counts_in_report(llais: LlaisResource, review: ReviewOutputsResource) -> AssetCheckResult:
    paths = {report_name(language): review.folder(llais) / report_name(language) for language in LANGUAGES}
    missing = sorted(name for name, path in paths.items() if not path.is_file())
    found = {name: small_counts_in_report(path.read_text(encoding="utf-8"), review.rule())
             for name, path in paths.items() if name not in missing}
    return AssetCheckResult(passed=not missing and not any(found.values()), metadata={
        "small_counts_in_reports": MetadataValue.json(found), "missing_reports": MetadataValue.json(missing)})


@asset_check(asset="review_report", blocking=True,
             additional_deps=["raw_responses", "responses_clean", "quarantined_responses", "excluded_responses",
                              "responses_deduplicated", "duplicate_groups", "question_summary", "summary_by_group",
                              "summary_by_area", "free_text", "response_volume", "review_workbook", *TABLE_INPUTS],
             description="No erased response is left in any analysis table, frame or export: no erased "
                         "reference, and no id of a response the survey database no longer holds.")
def no_erased_response_downstream(llais: LlaisResource, review: ReviewOutputsResource) -> AssetCheckResult:
    erased = read_erased_references(llais.survey_database)
    found = erased_in_tables(analysis_tables_with_references(llais.analysis_database), erased)
    frames = [*llais.frames_folder().glob("*.parquet")]
    published = [*review.folder(llais).rglob("*"), *frames]
    found.update(erased_in_files([path for path in published if path.suffix in {".csv", ".xlsx", ".html", ".pdf",
                                                                                 ".parquet"}], erased))
    # Tables and frames naming responses by id alone (free_text, duplicate_groups, ...): any id the
    # survey database no longer holds. Nothing erased, nothing to look for (as above).
    vanished: dict[str, list[int]] = {}
    if erased:
        stored = stored_response_ids(llais.survey_database, llais.survey_slug)
        vanished = vanished_ids_in_tables(llais.analysis_database, llais.survey_slug, stored)
        vanished.update(vanished_ids_in_frames(frames, stored))
    return AssetCheckResult(passed=not found and not vanished, metadata={
        # Where, and how many: never the references themselves, which Dagster would keep for good.
        "erasures_recorded": len(erased),
        "erased_references_still_present": MetadataValue.json({where: len(hits) for where, hits in found.items()}),
        "deleted_response_ids_present": MetadataValue.json({name: ids[:50] for name, ids in vanished.items()})})


OUTPUT_CHECKS = [review_workbook_checks, charts_match_questions, no_small_counts_in_report,
                 no_erased_response_downstream]
