"""The review workbook as openpyxl reads it: values and types, header styles, panes, filters, links."""
import pandas as pd
import pytest
from openpyxl import load_workbook

from etl.suppression import SuppressionRule
from etl.workbook import read_sheets, sheets_not_matching, write_workbook

RULE = SuppressionRule()


@pytest.fixture
def workbook(tmp_path):
    tables = {
        "free_text_themes": pd.DataFrame({
            "question_id": ["one_change", "one_change", "other_comments"], "answers": [12, "[c]", 0],
            "percent": [55.5, None, 100.0], "is_campaign": [True, False, None],
            "text": ["Mwy o heddlu ar y stryd – os gwelwch yn dda", "  spaces & <tags> kept  ", "=1+1"]}),
        "free_text_campaigns": pd.DataFrame({"campaign_id": pd.Series([], dtype=object),
                                             "campaign_size": pd.Series([], dtype="int64")}),
    }
    return write_workbook(tmp_path / "book.xlsx", tables, "Arolwg", RULE), tables


def test_cells_read_back_with_their_types(workbook):
    path, tables = workbook
    sheets = read_sheets(path)
    themes = sheets["free_text_themes"]
    assert list(themes.columns) == list(tables["free_text_themes"].columns)
    assert themes["answers"].tolist() == [12, "[c]", 0]
    assert themes["percent"].tolist()[0] == 55.5 and pd.isna(themes["percent"].tolist()[1])
    assert themes["is_campaign"].tolist() == [True, False, None]
    assert themes["text"].tolist() == ["Mwy o heddlu ar y stryd – os gwelwch yn dda", "  spaces & <tags> kept  ", "=1+1"]
    # An empty table is an empty sheet under its two header rows.
    assert len(sheets["free_text_campaigns"]) == 0


def test_headers_panes_filters_widths_and_contents_links(workbook):
    path, _ = workbook
    book = load_workbook(path)
    assert book.sheetnames == ["contents", "free_text_themes", "free_text_campaigns"]
    sheet = book["free_text_themes"]
    assert [c.value for c in sheet[1]][:2] == ["Question id", "Answers (a campaign counts once)"]
    assert [c.value for c in sheet[2]][:2] == ["Cod y cwestiwn", "Atebion (ymgyrch yn cyfrif unwaith)"]
    assert all(c.font.b and c.fill.fgColor.rgb.endswith("DDE6F0") and c.alignment.wrap_text for c in sheet[1] + sheet[2])
    assert not sheet["A3"].font.b
    assert sheet.freeze_panes == "A3" and sheet.auto_filter.ref == "A2:E5"
    assert sheet.column_dimensions["A"].width == pytest.approx(16, abs=1)
    contents = book["contents"]
    assert contents["A1"].value == "Arolwg" and contents["A1"].font.b and contents["A1"].font.sz == 14
    assert [c.value for c in contents[7]] == ["free_text_themes", "Free-text themes", "Themâu'r atebion testun rhydd", 3]
    assert contents["A7"].hyperlink.location == "'free_text_themes'!A1" and contents["A7"].style == "Hyperlink"


def test_a_control_character_in_an_answer_does_not_stop_the_workbook(tmp_path):
    # Excel cannot hold a raw control character; it is written in Excel's own escaped form.
    path = write_workbook(tmp_path / "bell.xlsx", {"theme_examples": pd.DataFrame({"text": ["bell \x07 rang"]})},
                          "T", RULE)
    assert read_sheets(path)["theme_examples"]["text"].tolist() == ["bell _x0007_ rang"]


def test_a_workbook_read_back_matches_its_tables_value_for_value(workbook):
    path, tables = workbook
    assert sheets_not_matching(read_sheets(path), tables) == {}
    bell = {"theme_examples": pd.DataFrame({"text": ["bell \x07 rang", None], "answers": [float("nan"), 2.0]})}
    assert sheets_not_matching(read_sheets(write_workbook(path.with_name("bell.xlsx"), bell, "T", RULE)), bell) == {}


def test_a_sheet_that_differs_from_its_table_is_named(workbook):
    path, tables = workbook
    sheets = read_sheets(path)
    changed = {**tables, "free_text_themes": tables["free_text_themes"].assign(answers=[12, "[c]", 1])}
    assert sheets_not_matching(sheets, changed) == {
        "free_text_themes": "1 of 3 rows differ, the first at sheet row 5"}
    fewer = {**tables, "free_text_themes": tables["free_text_themes"].iloc[:2]}
    assert sheets_not_matching(sheets, fewer) == {"free_text_themes": "3 rows in the sheet, 2 in the table"}
    assert sheets_not_matching({"free_text_themes": sheets["free_text_themes"]}, tables) == {
        "free_text_campaigns": "no sheet"}
