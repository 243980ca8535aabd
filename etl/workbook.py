"""The review team's Excel workbook and CSV files, written from the suppressed tables."""
from __future__ import annotations

import math
import os
import re
import tempfile
from pathlib import Path

import pandas as pd
import xlsxwriter
from openpyxl import load_workbook

from .suppression import SuppressionRule

WORKBOOK_NAME = "review_workbook.xlsx"
HEADER_ROWS = 2          # English headers, then Welsh
MAX_WIDTH = 60

# Column -> (English header, Welsh header).
HEADERS = {
    "survey_id": ("Survey", "Arolwg"),
    "question_id": ("Question id", "Cod y cwestiwn"),
    "question_en": ("Question", "Cwestiwn (Saesneg)"),
    "question_cy": ("Question (Welsh)", "Cwestiwn"),
    "question_type": ("Question type", "Math o gwestiwn"),
    "option_code": ("Answer code", "Cod yr ateb"),
    "label_en": ("Label", "Label (Saesneg)"),
    "label_cy": ("Label (Welsh)", "Label"),
    "respondent_group": ("Respondent group code", "Cod y grŵp ymatebwyr"),
    "respondent_group_label_en": ("Respondent group", "Grŵp ymatebwyr (Saesneg)"),
    "respondent_group_label_cy": ("Respondent group (Welsh)", "Grŵp ymatebwyr"),
    "local_authority": ("Local authority code", "Cod yr awdurdod lleol"),
    "local_authority_label_en": ("Local authority", "Awdurdod lleol (Saesneg)"),
    "local_authority_label_cy": ("Local authority (Welsh)", "Awdurdod lleol"),
    "language": ("Response language code", "Cod iaith yr ymateb"),
    "language_label_en": ("Response language", "Iaith yr ymateb (Saesneg)"),
    "language_label_cy": ("Response language (Welsh)", "Iaith yr ymateb"),
    "count": ("Count", "Nifer"),
    "base": ("Base (answered)", "Sylfaen (wedi ateb)"),
    "percent": ("Percent of base", "Canran o'r sylfaen"),
    "ci_low": ("95% CI lower (%)", "CH 95% isaf (%)"),
    "ci_high": ("95% CI upper (%)", "CH 95% uchaf (%)"),
    "theme_id": ("Theme id", "Cod y thema"),
    "answers": ("Answers (a campaign counts once)", "Atebion (ymgyrch yn cyfrif unwaith)"),
    "campaign_responses": ("Responses behind campaigns", "Ymatebion y tu ôl i ymgyrchoedd"),
    "response_id": ("Response id", "Cod yr ymateb"),
    "is_campaign": ("Campaign text", "Testun ymgyrch"),
    "text": ("Text (contact details removed)", "Testun (manylion cyswllt wedi'u dileu)"),
    "campaign_id": ("Campaign", "Ymgyrch"),
    "campaign_size": ("Responses in campaign", "Ymatebion yn yr ymgyrch"),
    "themes": ("Themes", "Themâu"),
    "dimension": ("Breakdown code", "Cod y dadansoddiad"),
    "dimension_label_en": ("Breakdown", "Dadansoddiad (Saesneg)"),
    "dimension_label_cy": ("Breakdown (Welsh)", "Dadansoddiad"),
    "category": ("Category code", "Cod y categori"),
    "respondents": ("Respondents", "Ymatebwyr"),
}

COLUMN_FOR_HEADER = {english: column for column, (english, _) in HEADERS.items()}

# Table -> (English title, Welsh title), in the workbook's order.
SHEETS = {
    "respondent_profile": ("Who responded", "Pwy ymatebodd"),
    "question_summary": ("Every question, all respondents", "Pob cwestiwn, pob ymatebydd"),
    "crosstab_group": ("Answers by respondent group", "Atebion yn ôl grŵp ymatebwyr"),
    "crosstab_area": ("Answers by local authority", "Atebion yn ôl awdurdod lleol"),
    "crosstab_language": ("Answers by response language", "Atebion yn ôl iaith yr ymateb"),
    "free_text_themes": ("Free-text themes", "Themâu'r atebion testun rhydd"),
    "theme_examples": ("Example quotes by theme", "Dyfyniadau enghreifftiol yn ôl thema"),
    "free_text_campaigns": ("Campaign responses", "Ymatebion ymgyrch"),
}

HEADER_COLOUR = "#DDE6F0"


def header(column: str) -> tuple[str, str]:
    return HEADERS.get(column, (column, column))


def write_workbook(path: Path | str, tables: dict[str, pd.DataFrame], title: str, rule: SuppressionRule) -> Path:
    """Contents sheet, then one sheet per table with English and Welsh header rows frozen at the top.

    Written with XlsxWriter, which streams cells to the file: openpyxl built an object per cell
    and took seconds on the larger sheets.
    """
    def save(target: str) -> None:
        # Text stays text: an answer starting with "=" or looking like a link or number is not reinterpreted.
        book = xlsxwriter.Workbook(target, {"strings_to_formulas": False, "strings_to_urls": False,
                                            "strings_to_numbers": False})
        formats = {"title": book.add_format({"bold": True, "font_size": 14}), "bold": book.add_format({"bold": True}),
                   "header": book.add_format({"bold": True, "bg_color": HEADER_COLOUR, "text_wrap": True,
                                              "valign": "top"})}
        _contents(book.add_worksheet("contents"), tables, title, rule, formats)
        for name, frame in tables.items():
            _sheet(book.add_worksheet(name), frame, formats["header"])
        book.close()

    return _save_atomically(Path(path), save)


def _contents(sheet, tables: dict[str, pd.DataFrame], title: str, rule: SuppressionRule, formats: dict) -> None:
    sheet.write_string(0, 0, title, formats["title"])
    sheet.write_row(1, 0, ["Contents", "Cynnwys"])
    sheet.write_string(2, 0, rule.describe())
    sheet.write_string(3, 0, f"{rule.marker}: figure hidden to protect confidentiality / ffigur wedi'i guddio er "
                             "mwyn cyfrinachedd")
    sheet.write_row(5, 0, ["Sheet / Taflen", "English", "Cymraeg", "Rows / Rhesi"], formats["bold"])
    for row, (name, frame) in enumerate(tables.items(), start=6):
        english, welsh = SHEETS.get(name, (name, name))
        sheet.write_url(row, 0, f"internal:'{name}'!A1", string=name)
        sheet.write_row(row, 1, [english, welsh, len(frame)])
    for column, width in enumerate((24, 40, 44, 14)):
        sheet.set_column(column, column, width)


def _sheet(sheet, frame: pd.DataFrame, header_format) -> None:
    columns = list(frame.columns)
    for which in range(HEADER_ROWS):
        sheet.write_row(which, 0, [header(c)[which] for c in columns], header_format)
    for column, name in enumerate(columns):
        values = frame[name].tolist()
        _write_column(sheet, column, values, frame[name].isna().tolist())
        longest = max([len(h) for h in header(name)] + [len(str(v)) for v in values[:200] if v is not None])
        sheet.set_column(column, column, min(MAX_WIDTH, longest + 2))
    sheet.freeze_panes(HEADER_ROWS, 0)
    if columns:
        sheet.autofilter(HEADER_ROWS - 1, 0, max(HEADER_ROWS - 1 + len(frame), HEADER_ROWS - 1), len(columns) - 1)


# Each plain Python type straight to its own write method: Worksheet.write works out the type and then
# checks every string for a formula, a link or a number (all turned off here), per cell, for 150,000 cells.
_WRITERS = {str: "write_string", int: "write_number", float: "write_number", bool: "write_boolean"}


def _write_column(sheet, column: int, values: list, missing: list[bool]) -> None:
    """Numbers stay numbers (so Excel can sum them); missing values and empty text are blank cells."""
    writers = {kind: getattr(sheet, method) for kind, method in _WRITERS.items()}
    for row, (value, blank) in enumerate(zip(values, missing), start=HEADER_ROWS):
        if blank or value == "":
            continue
        write = writers.get(type(value))
        if write is None:  # a numpy scalar or another type Worksheet.write knows
            value, write = value.item() if hasattr(value, "item") else value, sheet.write
        write(row, column, value)


def write_csvs(folder: Path | str, tables: dict[str, pd.DataFrame]) -> list[Path]:
    """One CSV per table, UTF-8 with a byte-order mark so Excel shows Welsh letters (ŵ, ŷ) correctly."""
    folder = Path(folder)
    paths = []
    for name, frame in tables.items():
        target = folder / f"{name}.csv"
        paths.append(_save_atomically(target, lambda p, f=frame: f.to_csv(p, index=False, encoding="utf-8-sig")))
    return paths


def _save_atomically(path: Path, save) -> Path:
    """Write beside the target and rename, so nobody opens a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, staging = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(handle)
    try:
        save(staging)
        os.chmod(staging, 0o644)  # mkstemp makes the file private; exports are for the whole review team
        os.replace(staging, path)
    except BaseException:
        Path(staging).unlink(missing_ok=True)
        raise
    return path


def read_sheets(path: Path | str) -> dict[str, pd.DataFrame]:
    """Every table sheet back as a frame with the tables' own column names, for checks and tests."""
    book = load_workbook(path, read_only=True)
    try:
        sheets = {}
        for sheet in book.worksheets:
            if sheet.title == "contents":
                continue
            rows = list(sheet.iter_rows(values_only=True))
            columns = [COLUMN_FOR_HEADER.get(h, h) for h in rows[0]]
            sheets[sheet.title] = pd.DataFrame(rows[HEADER_ROWS:], columns=columns)
        return sheets
    finally:
        book.close()


EXCEL_TEXT_LIMIT = 32_767                     # characters in a cell; XlsxWriter cuts longer text there
_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b-\x1f]")


def _as_read_back(value) -> str:
    """A table's value as read_sheets gives it back from the workbook, written out so that the two compare:
    numbers as numbers (1 and 1.0 alike), missing and empty text as nothing, control characters in
    Excel's escaped form and text cut at Excel's limit."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, str):
        return _CONTROL_CHARACTERS.sub(lambda m: f"_x{ord(m.group()):04X}_", value[:EXCEL_TEXT_LIMIT])
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, (bool, int, float)):
        return "" if isinstance(value, float) and math.isnan(value) else repr(float(value))
    return str(value)


def sheets_not_matching(sheets: dict[str, pd.DataFrame], tables: dict[str, pd.DataFrame]) -> dict[str, str]:
    """Per sheet (or table) that is not its table value for value, what differs; empty when all match."""
    found = {}
    for name in sorted(set(sheets) | set(tables)):
        sheet, table = sheets.get(name), tables.get(name)
        if sheet is None or table is None:
            found[name] = "no sheet" if sheet is None else "no such table"
        elif list(sheet.columns) != list(table.columns):
            found[name] = f"columns {list(sheet.columns)} in the sheet, {list(table.columns)} in the table"
        elif len(sheet) != len(table):
            found[name] = f"{len(sheet)} rows in the sheet, {len(table)} in the table"
        else:
            differs = pd.Series(False, index=range(len(table)))
            for column in table.columns:
                shown = [_as_read_back(v) for v in sheet[column].tolist()]
                expected = [_as_read_back(v) for v in table[column].tolist()]
                differs |= pd.Series([a != b for a, b in zip(shown, expected)], dtype=bool)
            if differs.any():
                first = int(differs.idxmax())
                found[name] = (f"{int(differs.sum())} of {len(table)} rows differ, the first at sheet row "
                               f"{first + HEADER_ROWS + 1}")
    return found
