"""The review team's Excel workbook and CSV files, written from the suppressed tables."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

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
    "respondent_group": ("Respondent group", "Grŵp ymatebwyr"),
    "local_authority": ("Local authority", "Awdurdod lleol"),
    "language": ("Response language", "Iaith yr ymateb"),
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
    "dimension": ("Breakdown", "Dadansoddiad"),
    "category": ("Category", "Categori"),
    "respondents": ("Respondents", "Ymatebwyr"),
}

COLUMN_FOR_HEADER = {english: column for column, (english, _) in HEADERS.items()}

# Table -> (English title, Welsh title), in the workbook's order.
SHEETS = {
    "respondent_profile": ("Who responded", "Pwy ymatebodd"),
    "crosstab_group": ("Answers by respondent group", "Atebion yn ôl grŵp ymatebwyr"),
    "crosstab_area": ("Answers by local authority", "Atebion yn ôl awdurdod lleol"),
    "crosstab_language": ("Answers by response language", "Atebion yn ôl iaith yr ymateb"),
    "free_text_themes": ("Free-text themes", "Themâu'r atebion testun rhydd"),
    "theme_examples": ("Example quotes by theme", "Dyfyniadau enghreifftiol yn ôl thema"),
    "free_text_campaigns": ("Campaign responses", "Ymatebion ymgyrch"),
}

BOLD = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")


def header(column: str) -> tuple[str, str]:
    return HEADERS.get(column, (column, column))


def write_workbook(path: Path | str, tables: dict[str, pd.DataFrame], title: str, rule: SuppressionRule) -> Path:
    """Contents sheet, then one sheet per table with English and Welsh header rows frozen at the top."""
    book = Workbook()
    _contents(book.active, tables, title, rule)
    for name, frame in tables.items():
        _sheet(book.create_sheet(name), frame)
    return _save_atomically(Path(path), book.save)


def _contents(sheet, tables: dict[str, pd.DataFrame], title: str, rule: SuppressionRule) -> None:
    sheet.title = "contents"
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(["Contents", "Cynnwys"])
    sheet.append([rule.describe()])
    sheet.append([f"{rule.marker}: figure hidden to protect confidentiality / ffigur wedi'i guddio er mwyn "
                  "cyfrinachedd"])
    sheet.append([])
    sheet.append(["Sheet / Taflen", "English", "Cymraeg", "Rows / Rhesi"])
    for cell in sheet[6]:
        cell.font = BOLD
    for name, frame in tables.items():
        english, welsh = SHEETS.get(name, (name, name))
        sheet.append([name, english, welsh, len(frame)])
        link = sheet.cell(row=sheet.max_row, column=1)
        link.hyperlink = f"#'{name}'!A1"
        link.style = "Hyperlink"
    for column, width in zip("ABCD", (24, 40, 44, 14)):
        sheet.column_dimensions[column].width = width


def _sheet(sheet, frame: pd.DataFrame) -> None:
    columns = list(frame.columns)
    sheet.append([header(c)[0] for c in columns])
    sheet.append([header(c)[1] for c in columns])
    for row in frame.itertuples(index=False):
        sheet.append([_cell(v) for v in row])
    for row in sheet.iter_rows(min_row=1, max_row=HEADER_ROWS):
        for cell in row:
            cell.font = BOLD
            cell.fill = HEADER_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = sheet.cell(row=HEADER_ROWS + 1, column=1)
    if columns:
        sheet.auto_filter.ref = f"A{HEADER_ROWS}:{get_column_letter(len(columns))}{max(sheet.max_row, HEADER_ROWS)}"
    for i, column in enumerate(columns, start=1):
        longest = max([len(h) for h in header(column)] +
                      [len(str(v)) for v in frame[column].head(200) if v is not None])
        sheet.column_dimensions[get_column_letter(i)].width = min(MAX_WIDTH, longest + 2)


def _cell(value):
    """Plain Python values: numbers stay numbers (so Excel can sum them), missing is blank."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


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
