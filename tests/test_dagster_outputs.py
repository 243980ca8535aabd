"""Materialise the analysis and the review outputs in-process and open what the review team would open."""
import base64
import html as markup
import re
import sqlite3

import pandas as pd
import pytest
from dagster import AssetKey, DagsterInstance
from openpyxl import load_workbook
from pypdf import PdfReader

from dagster_project import build_definitions, defs
from dagster_project.outputs import ReviewOutputsResource
from dagster_project.resources import LlaisResource
from etl import pdf, synthetic
from etl.publish import PUBLISHED
from etl.suppression import SuppressionRule
from etl.wording import words
from etl.workbook import read_sheets
from tests.etl_fixtures import SURVEY

COUNT = 1200
OUTPUT_ASSETS = {"crosstab_group", "crosstab_area", "crosstab_language", "respondent_profile", "free_text_themes",
                 "theme_examples", "free_text_campaigns", "review_workbook", "review_report"}


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("outputs")
    survey_db, analysis_db, exports = folder / "responses.db", folder / "analysis.db", folder / "exports"
    synthetic.write(survey_db, SURVEY, COUNT, seed=11)
    job = build_definitions(LlaisResource(survey_database=str(survey_db), analysis_database=str(analysis_db)),
                            ReviewOutputsResource(exports_dir=str(exports))).resolve_job_def("refresh_all")
    result = job.execute_in_process(instance=DagsterInstance.ephemeral(), raise_on_error=False)
    return analysis_db, exports / SURVEY.slug, result


def table(path, name):
    with sqlite3.connect(path) as conn:
        return pd.read_sql(f'select * from "{name}"', conn)


def test_definitions_hold_the_output_assets_and_jobs():
    assert OUTPUT_ASSETS <= {a.key.path[-1] for a in defs.resolve_all_asset_specs()}
    assert defs.resolve_schedule_def("daily_refresh").job_name == "refresh_all"
    defs.resolve_job_def("review_outputs")


def test_every_output_materialises_and_every_check_passes(outputs):
    _, _, result = outputs
    assert result.success
    checks = {(e.asset_check_evaluation_data.asset_key.path[-1], e.asset_check_evaluation_data.check_name):
              e.asset_check_evaluation_data.passed
              for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"}
    assert {("review_workbook", "no_small_counts_published"), ("review_workbook", "workbook_matches_analysis_tables"),
            ("review_report", "charts_match_questions"), ("review_report", "no_small_counts_published")} <= set(checks)
    assert all(checks.values()), checks


def test_analysis_database_keeps_the_unsuppressed_crosstabs(outputs):
    analysis_db, _, _ = outputs
    area = table(analysis_db, "crosstab_area")
    assert area["count"].between(1, 4).any()
    assert area["ci_low"].dropna().le(area.loc[area["ci_low"].notna(), "percent"]).all()
    language = table(analysis_db, "crosstab_language")
    assert {"all", "cy", "en"} <= set(language["language"])
    assert (language.loc[~language["language"].isin(["all", "cy", "en"]), "base"] == 0).all()


def test_workbook_opens_with_a_contents_sheet_and_suppressed_sheets(outputs):
    analysis_db, folder, _ = outputs
    book = load_workbook(folder / "review_workbook.xlsx", read_only=False)
    assert book.sheetnames == ["contents", *PUBLISHED]
    sheet = book["crosstab_group"]
    assert sheet.freeze_panes == "A3"
    assert (sheet["L1"].value, sheet["L2"].value) == ("Count", "Nifer")
    # Each breakdown code has its English and Welsh name beside it.
    assert [sheet.cell(1, column).value for column in (2, 3, 4)] == [
        "Respondent group code", "Respondent group", "Respondent group (Welsh)"]
    sheets = read_sheets(folder / "review_workbook.xlsx")
    for name in PUBLISHED:
        assert len(sheets[name]) == len(table(analysis_db, name))
    area = sheets["crosstab_area"]
    assert (area["count"] == "[c]").any()
    numbers = pd.to_numeric(area["count"], errors="coerce")
    assert not numbers.between(1, 4).any()


def test_csv_files_match_the_sheets(outputs):
    _, folder, _ = outputs
    csv = pd.read_csv(folder / "csv" / "crosstab_group.csv", encoding="utf-8-sig", dtype=str)
    assert len(csv) == len(read_sheets(folder / "review_workbook.xlsx")["crosstab_group"])
    assert "Pa un o'r rhain sy'n eich disgrifio orau?" in set(csv["question_cy"])


def test_charts_exist_in_both_languages_and_show_in_the_ui(outputs):
    _, folder, result = outputs
    closed = {q.id for q in SURVEY.questions if q.is_closed}
    for language in ("en", "cy"):
        assert {p.stem for p in (folder / "charts" / language).glob("*.png")} == closed
    report = [e for e in result.get_asset_materialization_events()
              if e.materialization.asset_key.path[-1] == "review_report"][0]
    metadata = report.materialization.metadata
    for language in ("en", "cy"):
        for question in closed:
            shown = metadata[f"chart {language} {question}"].value
            prefix = f"![{question}](data:image/png;base64,"
            assert shown.startswith(prefix) and shown.endswith(")")
            png = (folder / "charts" / language / f"{question}.png").read_bytes()
            assert base64.b64decode(shown[len(prefix):-1]) == png
    # Sixty charts inline keep the event to a size the UI and the event log handle easily.
    assert sum(len(value.value) for key, value in metadata.items() if key.startswith("chart ")) < 2_000_000


def test_reports_are_self_contained_and_bilingual(outputs):
    _, folder, _ = outputs
    english = (folder / "review_report.en.html").read_text(encoding="utf-8")
    welsh = (folder / "review_report.cy.html").read_text(encoding="utf-8")
    for html in (english, welsh):
        assert not re.search(r'(src|href)="(https?:)?//', html)
        assert "@media print" in html
        assert html.count("data:image/png;base64,") == len([q for q in SURVEY.questions if q.is_closed])
    assert "Who responded" in english and "Method notes" in english
    assert "Pwy ymatebodd" in welsh and "Nodiadau ar y dull" in welsh
    assert "Exact resubmission" in english and "[c]" in english


def test_each_report_is_also_a_pdf_in_its_language(outputs):
    _, folder, result = outputs
    if pdf.unavailable():
        pytest.skip(f"PDF REPORTS NOT MADE HERE: {pdf.unavailable()}")
    metadata = result.asset_materializations_for_node("review_report")[0].metadata
    for language, title, heading in (("en", "Consultation responses", "Who responded"),
                                     ("cy", "Ymatebion i'r ymgynghoriad", "Pwy ymatebodd")):
        path = folder / f"review_report.{language}.pdf"
        assert metadata[f"report {language} pdf"].value == str(path)
        reader = PdfReader(path)
        text = " ".join(page.extract_text() for page in reader.pages)
        assert len(reader.pages) > 3 and title in " ".join(reader.pages[0].extract_text().split())
        assert heading in text and "[c]" in text


def test_campaigns_listed_with_their_size_and_themes_counted_in_welsh(outputs):
    analysis_db, _, _ = outputs
    campaigns = table(analysis_db, "free_text_campaigns")
    assert len(campaigns) >= 1 and (campaigns["campaign_size"] >= 5).all()
    # Members paste it in capitals or with doubled spaces; it is shown as most wrote it, evenly spaced.
    assert not campaigns["text"].str.contains(r"\s\s").any()
    assert not (campaigns["text"] == campaigns["text"].str.upper()).any()
    themes = table(analysis_db, "free_text_themes")
    welsh = themes[(themes["language"] == "cy") & (themes["theme_id"] != "untagged")]
    assert welsh["answers"].sum() > 0


def test_a_stricter_threshold_in_configuration_reaches_the_workbook(outputs, tmp_path):
    analysis_db, _, _ = outputs
    llais = LlaisResource(survey_database=str(analysis_db.parent / "responses.db"), analysis_database=str(analysis_db))
    review = ReviewOutputsResource(exports_dir=str(tmp_path), suppression_threshold=10, suppression_marker="<10")
    job = build_definitions(llais, review).resolve_job_def("review_outputs")
    result = job.execute_in_process(instance=DagsterInstance.ephemeral(), raise_on_error=False,
                                    op_selection=["review_workbook*"])
    assert result.success
    area = read_sheets(tmp_path / SURVEY.slug / "review_workbook.xlsx")["crosstab_area"]
    numbers = pd.to_numeric(area["count"], errors="coerce")
    assert (area["count"] == "<10").any() and not numbers.between(1, 9).any()
    assert SuppressionRule(10, "<10").describe("cy").startswith("Mae niferoedd o 1 i 9")


def test_one_crosstab_and_one_summary_can_be_refreshed_alone(outputs):
    analysis_db, _, _ = outputs
    before = {name: table(analysis_db, name) for name in ("crosstab_language", "summary_by_area", "crosstab_group")}
    llais = LlaisResource(survey_database=str(analysis_db.parent / "responses.db"), analysis_database=str(analysis_db))
    job = build_definitions(llais, ReviewOutputsResource(exports_dir=str(analysis_db.parent / "exports")))
    result = job.resolve_job_def("refresh_all").execute_in_process(
        instance=DagsterInstance.ephemeral(), raise_on_error=False,
        asset_selection=[AssetKey("crosstab_language"), AssetKey("summary_by_area")])
    assert result.success
    assert {event.asset_key.to_user_string() for event in result.get_asset_materialization_events()} == {
        "crosstab_language", "summary_by_area"}
    for name, frame in before.items():
        pd.testing.assert_frame_equal(table(analysis_db, name), frame)


def test_report_counts_are_the_deduplicated_responses_and_their_campaign_members(outputs):
    from dagster_project.outputs import _counts

    analysis_db, _, _ = outputs
    deduplicated = table(analysis_db, "responses_deduplicated")
    counts = _counts(LlaisResource(survey_database=str(analysis_db.parent / "responses.db"),
                                   analysis_database=str(analysis_db)))
    assert counts["responses_analysed"] == len(deduplicated)
    assert counts["campaign_responses"] == deduplicated["campaign_id"].notna().sum() > 0
    assert counts["responses_received"] == COUNT


def test_the_workbook_checks_read_it_once_and_each_reports_under_its_own_name(outputs, tmp_path, monkeypatch):
    import shutil

    from dagster_project import outputs as module

    analysis_db, folder, _ = outputs
    copy = shutil.copytree(folder, tmp_path / SURVEY.slug)
    csv = copy / "csv" / "crosstab_area.csv"
    area = pd.read_csv(csv, dtype=str, keep_default_na=False)
    area.loc[area.index[0], "count"] = "3"
    area.to_csv(csv, index=False, encoding="utf-8-sig")
    reads = []
    monkeypatch.setattr(module, "read_sheets", lambda path: reads.append(path) or read_sheets(path))
    llais = LlaisResource(survey_database=str(analysis_db.parent / "responses.db"), analysis_database=str(analysis_db))
    results = {r.check_name: r for r in module.review_workbook_checks(
        llais=llais, review=ReviewOutputsResource(exports_dir=str(tmp_path)))}
    assert reads == [copy / "review_workbook.xlsx"]
    assert set(results) == {"no_small_counts_published", "workbook_matches_analysis_tables"}
    assert {r.asset_key.path[-1] for r in results.values()} == {"review_workbook"}
    assert not results["no_small_counts_published"].passed
    assert results["no_small_counts_published"].metadata["small_counts_in_csvs"].value["crosstab_area"] == 1
    assert results["workbook_matches_analysis_tables"].passed


def test_the_report_summarises_duplicates_from_the_columns_it_reads_as_from_the_whole_table(outputs):
    from dagster_project.outputs import _table
    from etl.report import duplicate_summary

    analysis_db, _, _ = outputs
    llais = LlaisResource(survey_database=str(analysis_db.parent / "responses.db"), analysis_database=str(analysis_db))
    narrow = _table(llais, "duplicate_groups", columns=["rule", "group_id", "response_id", "removed"])
    assert list(narrow.columns) == ["rule", "group_id", "response_id", "removed"]
    whole = duplicate_summary(_table(llais, "duplicate_groups"))
    assert len(whole) > 1
    pd.testing.assert_frame_equal(duplicate_summary(narrow), whole)


def accounting(html: str) -> dict[str, int]:
    """The report's table of response counts, label -> figure, as a reader sees it."""
    table = re.search(r'<table class="accounting">(.*?)</table>', html, re.S).group(1)
    return {markup.unescape(label): int(value.replace(",", ""))
            for label, value in re.findall(r'<th scope="row">(.*?)</th><td class="n">([0-9,]+)</td>', table)}


@pytest.mark.parametrize("language", ["en", "cy"])
def test_the_report_accounts_for_every_response_received(outputs, language):
    analysis_db, folder, _ = outputs
    w = words(language)
    shown = accounting((folder / f"review_report.{language}.html").read_text(encoding="utf-8"))
    received, analysed = shown[w["responses_received"]], shown[w["responses_analysed"]]
    set_aside = [shown[w[key]] for key in ("quarantined", "excluded_at_intake", "duplicates_removed")]
    excluded = len(table(analysis_db, "excluded_responses"))
    assert received == COUNT and shown[w["excluded_at_intake"]] == excluded > 0
    assert received == analysed + sum(set_aside)
    assert analysed == len(table(analysis_db, "responses_deduplicated"))
    # The method notes say why responses are excluded on arrival.
    html = (folder / f"review_report.{language}.html").read_text(encoding="utf-8")
    method = markup.unescape(html[html.index('<section id="method">'):])
    assert w["method_notes"][0] in method


def test_the_reports_tables_hide_small_counts_and_the_check_finds_one_left(outputs, tmp_path):
    import shutil

    from dagster_project.outputs import no_small_counts_in_report
    from etl.report import duplicate_summary

    analysis_db, folder, _ = outputs
    # The generated duplicates include rules with fewer than five groups.
    assert duplicate_summary(table(analysis_db, "duplicate_groups"))["groups"].between(1, 4).any()
    english = (folder / "review_report.en.html").read_text(encoding="utf-8")
    duplicates = english[english.index('<section id="duplicates">'):english.index('<section id="method">')]
    cells = re.findall(r'<td class="n">([^<]*)</td>', duplicates)
    numbers = pd.to_numeric(pd.Series(cells).str.replace(",", ""), errors="coerce")
    assert "[c]" in cells and not numbers.between(1, 4).any()

    copy = shutil.copytree(folder, tmp_path / SURVEY.slug)
    welsh = copy / "review_report.cy.html"
    welsh.write_text(welsh.read_text(encoding="utf-8").replace('<td class="n">[c]</td>', '<td class="n">2</td>', 1),
                     encoding="utf-8")
    llais = LlaisResource(survey_database=str(analysis_db.parent / "responses.db"), analysis_database=str(analysis_db))
    result = no_small_counts_in_report(llais=llais, review=ReviewOutputsResource(exports_dir=str(tmp_path)))
    assert not result.passed
    assert result.metadata["small_counts_in_reports"].value == {"review_report.en.html": 0, "review_report.cy.html": 1}


def test_the_workbook_check_fails_when_a_sheet_differs_from_its_suppressed_table(outputs, tmp_path):
    import shutil

    from dagster_project import outputs as module

    analysis_db, folder, _ = outputs
    copy = shutil.copytree(folder, tmp_path / SURVEY.slug)
    book = load_workbook(copy / "review_workbook.xlsx")
    cell = book["crosstab_group"]["L3"]        # the first row's count: the row count stays the same
    cell.value = cell.value + 1
    book.save(copy / "review_workbook.xlsx")
    llais = LlaisResource(survey_database=str(analysis_db.parent / "responses.db"), analysis_database=str(analysis_db))
    results = {r.check_name: r for r in module.review_workbook_checks(
        llais=llais, review=ReviewOutputsResource(exports_dir=str(tmp_path)))}
    matches = results["workbook_matches_analysis_tables"]
    assert not matches.passed
    assert set(matches.metadata["sheets_not_matching_tables"].value) == {"crosstab_group"}


def test_the_chart_check_fails_on_a_stray_or_a_missing_chart(outputs, tmp_path):
    import shutil

    from dagster_project.outputs import charts_match_questions

    analysis_db, folder, _ = outputs
    llais = LlaisResource(survey_database=str(analysis_db.parent / "responses.db"), analysis_database=str(analysis_db))
    review = ReviewOutputsResource(exports_dir=str(tmp_path))
    copy = shutil.copytree(folder, tmp_path / SURVEY.slug)
    assert charts_match_questions(llais=llais, review=review).passed
    shutil.copy(copy / "charts" / "cy" / "concerns.png", copy / "charts" / "cy" / "one_change.png")
    (copy / "charts" / "en" / "gender.png").unlink()
    result = charts_match_questions(llais=llais, review=review)
    assert not result.passed
    assert result.metadata["charts_not_questions"].value == ["one_change"]
    assert result.metadata["questions_without_chart"].value == {"en": ["gender"]}


@pytest.fixture
def printed(request):
    """A browser page showing a report as it prints (skipped, loudly, without Chromium)."""
    from browser_support import require_chromium

    require_chromium()
    page = request.getfixturevalue("browser").new_page()
    page.emulate_media(media="print")
    yield page
    page.close()


@pytest.mark.parametrize("language", ["en", "cy"])
def test_the_printed_report_opens_with_its_contents_and_counts_and_right_aligns_numbers(outputs, printed, language):
    _, folder, _ = outputs
    printed.goto((folder / f"review_report.{language}.html").as_uri())
    layout = printed.evaluate("""() => {
        const style = (selector) => getComputedStyle(document.querySelector(selector));
        return {
            contents: style("nav").display,
            breaks: [...document.querySelectorAll("body > section > h2")].map(h => getComputedStyle(h).breakBefore),
            headers: [...new Set([...document.querySelectorAll("th.n")].map(th => getComputedStyle(th).textAlign))],
            numbers: [...new Set([...document.querySelectorAll("td.n")].map(td => getComputedStyle(td).textAlign))],
        };
    }""")
    # Page 1: the title, the contents and the response counts; each later part starts a page.
    assert layout["contents"] != "none"
    assert layout["breaks"][0] != "page" and set(layout["breaks"][1:]) == {"page"}
    assert layout["headers"] == layout["numbers"] == ["right"]


def test_every_question_is_summarised_in_the_workbook_with_welsh_labels(outputs):
    _, folder, _ = outputs
    sheets = read_sheets(folder / "review_workbook.xlsx")
    summary = sheets["question_summary"]
    assert list(dict.fromkeys(summary["question_id"])) == [q.id for q in SURVEY.questions]
    answered = summary[summary["option_code"] == "answered"]
    assert set(answered["question_id"]) == {q.id for q in SURVEY.questions if not q.is_closed}
    assert (answered["label_cy"] == "Wedi ateb").all() and summary["label_cy"].notna().all()
    # A closed question's figures are crosstab_group's 'all' column, hidden where it hides them.
    group = sheets["crosstab_group"]
    columns = ["question_id", "option_code", "label_cy", "count", "base", "percent"]
    pd.testing.assert_frame_equal(summary.loc[summary["option_code"] != "answered", columns].reset_index(drop=True),
                                  group.loc[group["respondent_group"] == "all", columns].reset_index(drop=True))


def test_the_report_lists_every_theme_and_untagged_answers_under_each_written_question(outputs):
    from etl.themes import UNTAGGED_LABELS, load_codebook, themed_questions

    analysis_db, folder, _ = outputs
    totals = table(analysis_db, "free_text_themes").query("respondent_group == 'all'")
    written = totals.groupby("question_id")["answers"].sum().gt(0)
    assert set(totals["question_id"]) == set(themed_questions(SURVEY)) and written.any()
    for language, untagged in zip(("en", "cy"), UNTAGGED_LABELS):
        html = markup.unescape((folder / f"review_report.{language}.html").read_text(encoding="utf-8"))
        themes = html[html.index('<section id="themes">'):html.index(f'<h3>{words(language)["examples"]}</h3>')]
        assert themes.count(f"<td>{untagged}</td>") == written.sum()
        for theme in load_codebook():
            assert themes.count(f"<td>{theme.label_en if language == 'en' else theme.label_cy}</td>") == written.sum()


def test_breakdown_codes_are_named_in_english_and_welsh_in_every_published_table(outputs):
    _, folder, _ = outputs
    sheets = read_sheets(folder / "review_workbook.xlsx")
    group = sheets["crosstab_group"]
    names = group.drop_duplicates("respondent_group").set_index("respondent_group")
    assert names.loc["service_user", "respondent_group_label_en"] == (
        "Someone who uses or has used drug or alcohol services")
    assert names.loc["service_user", "respondent_group_label_cy"] == (
        "Rhywun sy'n defnyddio neu sydd wedi defnyddio gwasanaethau cyffuriau neu alcohol")
    assert names.loc["all", ["respondent_group_label_en", "respondent_group_label_cy"]].tolist() == [
        "All respondents", "Pob ymatebydd"]
    area = sheets["crosstab_area"].drop_duplicates("local_authority").set_index("local_authority")
    assert area.loc["powys", "local_authority_label_cy"] == "Powys"
    assert area.loc["unknown", "local_authority_label_cy"] == "Anhysbys"
    language = sheets["crosstab_language"].drop_duplicates("language").set_index("language")
    assert language.loc["cy", ["language_label_en", "language_label_cy"]].tolist() == ["Welsh", "Cymraeg"]
    profile = sheets["respondent_profile"].drop_duplicates("dimension").set_index("dimension")
    assert profile.loc["channel", "dimension_label_cy"] == "Yn ôl sianel"
    for name in ("free_text_themes", "theme_examples"):
        for column in ("respondent_group", "language"):
            frame = sheets[name]
            assert frame[f"{column}_label_en"].notna().all() and frame[f"{column}_label_cy"].notna().all()
            named = frame[frame[column] != "all"]
            assert not (named[f"{column}_label_en"] == named[column]).any()
