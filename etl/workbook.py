"""The review team's Excel workbook and CSV files, written from the suppressed tables."""
from __future__ import annotations

import datetime as dt
import os
import tempfile
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pandas as pd
import openpyxl
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.compat import safe_string
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.stylesheet import write_stylesheet
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.utils.exceptions import IllegalCharacterError
from openpyxl.writer.theme import theme_xml
from openpyxl.xml.functions import tostring

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

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
OFFICE_TYPE = "application/vnd.openxmlformats-officedocument"
RELS_TYPE = "application/vnd.openxmlformats-package.relationships+xml"
STYLES_TYPE = f"{OFFICE_TYPE}.spreadsheetml.styles+xml"
THEME_TYPE = f"{OFFICE_TYPE}.theme+xml"
STRINGS_TYPE = f"{OFFICE_TYPE}.spreadsheetml.sharedStrings+xml"
CORE_TYPE = "application/vnd.openxmlformats-package.core-properties+xml"
APP_TYPE = f"{OFFICE_TYPE}.extended-properties+xml"
SHEET_TYPE = f"{OFFICE_TYPE}.spreadsheetml.worksheet+xml"
WORKBOOK_TYPE = f"{OFFICE_TYPE}.spreadsheetml.sheet.main+xml"
QUOTES = {'"': "&quot;"}
_LETTERS = [""] + [get_column_letter(i) for i in range(1, 16385)]

BOLD = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")


def header(column: str) -> tuple[str, str]:
    return HEADERS.get(column, (column, column))


def write_workbook(path: Path | str, tables: dict[str, pd.DataFrame], title: str, rule: SuppressionRule) -> Path:
    """Contents sheet, then one sheet per table with English and Welsh header rows frozen at the top.

    The workbook openpyxl would write (same cells, styles, widths, frozen panes, filters and links),
    written out directly: openpyxl builds an object per cell and takes seconds on a large sheet. Text is
    kept in a shared string table, which is also quicker for openpyxl (read_sheets) to read back.
    """
    strings = _SharedStrings()
    styles, style_ids = _stylesheet()
    sheets = [("contents", _contents(tables, title, rule, strings, style_ids))]
    sheets += [(name, _sheet(frame, strings, style_ids)) for name, frame in tables.items()]
    return _save_atomically(Path(path), lambda target: _write_package(target, sheets, strings, styles))


class _SharedStrings:
    def __init__(self):
        self.index: dict[str, int] = {}
        self.count = 0

    def add(self, text: str) -> int:
        self.count += 1
        position = self.index.get(text)
        if position is None:
            position = self.index[text] = len(self.index)
        return position

    def xml(self) -> str:
        items = "".join(f'<si><t xml:space="preserve">{escape(text)}</t></si>' for text in self.index)
        return (f'<sst xmlns="{MAIN_NS}" count="{self.count}" uniqueCount="{len(self.index)}">{items}</sst>')


def _stylesheet() -> tuple[str, dict[str, int]]:
    """styles.xml as openpyxl writes it for the workbook's styles, and each style's index."""
    book = Workbook()
    sheet = book.active
    made = {
        "title": dict(font=Font(bold=True, size=14)),
        "bold": dict(font=BOLD),
        "link": dict(style="Hyperlink"),
        "header": dict(font=BOLD, fill=HEADER_FILL, alignment=Alignment(wrap_text=True, vertical="top")),
    }
    ids = {"plain": 0}
    for column, (name, settings) in enumerate(made.items(), start=1):
        cell = sheet.cell(row=1, column=column)
        for key, value in settings.items():
            setattr(cell, key, value)
        ids[name] = cell.style_id
    return tostring(write_stylesheet(book)).decode("utf-8"), ids


def _contents(tables: dict[str, pd.DataFrame], title: str, rule: SuppressionRule, strings: "_SharedStrings",
              style_ids: dict[str, int]) -> "_SheetXml":
    rows = [
        [(title, "title")],
        [("Contents", "plain"), ("Cynnwys", "plain")],
        [(rule.describe(), "plain")],
        [(f"{rule.marker}: figure hidden to protect confidentiality / ffigur wedi'i guddio er mwyn "
          "cyfrinachedd", "plain")],
        [],
        [(value, "bold") for value in ("Sheet / Taflen", "English", "Cymraeg", "Rows / Rhesi")],
    ]
    links = []
    for name, frame in tables.items():
        english, welsh = SHEETS.get(name, (name, name))
        links.append((f"A{len(rows) + 1}", f"#'{name}'!A1"))
        rows.append([(name, "link"), (english, "plain"), (welsh, "plain"), (len(frame), "plain")])
    body = "".join(_row(number, [_cell(v) for v, _ in row], [style_ids[s] for _, s in row], strings)
                   for number, row in enumerate(rows, start=1) if row)
    return _SheetXml(widths=[24, 40, 44, 14], rows=body, last_row=len(rows), last_column=4, links=links)


def _sheet(frame: pd.DataFrame, strings: "_SharedStrings", style_ids: dict[str, int]) -> "_SheetXml":
    columns = list(frame.columns)
    widths = [min(MAX_WIDTH, max([len(h) for h in header(column)] +
                                 [len(str(v)) for v in frame[column].head(200) if v is not None]) + 2)
              for column in columns]
    parts = [_row(which + 1, [header(c)[which] for c in columns], [style_ids["header"]] * len(columns), strings)
             for which in range(HEADER_ROWS)]
    values = [[_cell(v) for v in frame[c].tolist()] for c in columns]
    plain = [0] * len(columns)
    parts += [_row(number, row, plain, strings) for number, row in enumerate(zip(*values), start=HEADER_ROWS + 1)]
    last = HEADER_ROWS + len(frame)
    return _SheetXml(widths=widths, rows="".join(parts), last_row=last, last_column=len(columns),
                     frozen=HEADER_ROWS,
                     filter=f"A{HEADER_ROWS}:{get_column_letter(len(columns))}{last}" if columns else None)


class _SheetXml:
    def __init__(self, widths, rows, last_row, last_column, frozen=None, filter=None, links=()):
        self.widths, self.rows, self.frozen, self.filter, self.links = widths, rows, frozen, filter, list(links)
        self.dimension = f"A1:{get_column_letter(max(last_column, 1))}{max(last_row, 1)}"

    def xml(self) -> str:
        if self.frozen:
            view = (f'<sheetView workbookViewId="0"><pane ySplit="{self.frozen}" topLeftCell="A{self.frozen + 1}" '
                    'activePane="bottomLeft" state="frozen" /><selection pane="bottomLeft" activeCell="A1" '
                    'sqref="A1" /></sheetView>')
        else:
            view = '<sheetView workbookViewId="0"><selection activeCell="A1" sqref="A1" /></sheetView>'
        cols = "".join(f'<col width="{safe_string(w)}" customWidth="1" min="{i}" max="{i}" />'
                       for i, w in enumerate(self.widths, start=1))
        links = "".join(f'<hyperlink ref="{ref}" r:id="rId{i}" />' for i, (ref, _) in enumerate(self.links, start=1))
        return (f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><sheetPr><outlinePr summaryBelow="1" '
                f'summaryRight="1" /><pageSetUpPr /></sheetPr><dimension ref="{self.dimension}" />'
                f'<sheetViews>{view}</sheetViews><sheetFormatPr baseColWidth="8" defaultRowHeight="15" />'
                + (f"<cols>{cols}</cols>" if cols else "") + f"<sheetData>{self.rows}</sheetData>"
                + (f'<autoFilter ref="{self.filter}" />' if self.filter else "")
                + (f"<hyperlinks>{links}</hyperlinks>" if links else "")
                + '<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5" /></worksheet>')

    def rels(self) -> str | None:
        if not self.links:
            return None
        return f'<Relationships xmlns="{PACKAGE_REL_NS}">' + "".join(
            f'<Relationship Type="{REL_NS}/hyperlink" Target="{escape(target, QUOTES)}" TargetMode="External" '
            f'Id="rId{i}" />' for i, (_, target) in enumerate(self.links, start=1)) + "</Relationships>"


def _row(number: int, values, styles, strings: "_SharedStrings") -> str:
    """One <row>, its cells typed as openpyxl types them (missing values are left out)."""
    cells = []
    for column, (value, style) in enumerate(zip(values, styles), start=1):
        if value is None:
            continue
        reference = f"{_LETTERS[column]}{number}"
        styled = f' s="{style}"' if style else ""
        if isinstance(value, str):
            value = value[:32767]
            if ILLEGAL_CHARACTERS_RE.search(value):
                raise IllegalCharacterError(f"{value} cannot be used in worksheets.")
            cells.append(f'<c r="{reference}"{styled} t="s"><v>{strings.add(value)}</v></c>')
        elif isinstance(value, bool):
            cells.append(f'<c r="{reference}"{styled} t="b"><v>{int(value)}</v></c>')
        elif isinstance(value, (int, float)):
            cells.append(f'<c r="{reference}"{styled} t="n"><v>{safe_string(value)}</v></c>')
        else:
            raise ValueError(f"Cannot convert {value!r} to Excel")
    return f'<row r="{number}">{"".join(cells)}</row>' if cells else ""


def _write_package(target: str, sheets: list[tuple[str, "_SheetXml"]], strings: "_SharedStrings", styles: str) -> None:
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    count = len(sheets)
    overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{SHEET_TYPE}" />'
                        for i in range(1, count + 1))
    parts = {
        "[Content_Types].xml": (
            f'<Types xmlns="{CONTENT_TYPES_NS}"><Default Extension="rels" ContentType="{RELS_TYPE}" />'
            '<Default Extension="xml" ContentType="application/xml" />'
            f'<Override PartName="/xl/styles.xml" ContentType="{STYLES_TYPE}" />'
            f'<Override PartName="/xl/theme/theme1.xml" ContentType="{THEME_TYPE}" />'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{STRINGS_TYPE}" />'
            f'<Override PartName="/docProps/core.xml" ContentType="{CORE_TYPE}" />'
            f'<Override PartName="/docProps/app.xml" ContentType="{APP_TYPE}" />{overrides}'
            f'<Override PartName="/xl/workbook.xml" ContentType="{WORKBOOK_TYPE}" /></Types>'),
        "_rels/.rels": (
            f'<Relationships xmlns="{PACKAGE_REL_NS}">'
            f'<Relationship Type="{REL_NS}/officeDocument" Target="xl/workbook.xml" Id="rId1" />'
            f'<Relationship Type="{PACKAGE_REL_NS.rsplit("/", 1)[0]}/metadata/core-properties" '
            'Target="docProps/core.xml" Id="rId2" />'
            f'<Relationship Type="{REL_NS}/extended-properties" Target="docProps/app.xml" Id="rId3" />'
            '</Relationships>'),
        "docProps/app.xml": (
            '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
            f"<Application>Microsoft Excel Compatible / Openpyxl {openpyxl.__version__}</Application>"
            "<AppVersion>3.1</AppVersion></Properties>"),
        "docProps/core.xml": (
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator>openpyxl</dc:creator>'
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{now}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{now}</dcterms:modified></cp:coreProperties>'),
        "xl/workbook.xml": _workbook_xml(sheets),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{PACKAGE_REL_NS}">' + "".join(
                f'<Relationship Type="{REL_NS}/worksheet" Target="/xl/worksheets/sheet{i}.xml" Id="rId{i}" />'
                for i in range(1, count + 1))
            + f'<Relationship Type="{REL_NS}/styles" Target="styles.xml" Id="rId{count + 1}" />'
            + f'<Relationship Type="{REL_NS}/theme" Target="theme/theme1.xml" Id="rId{count + 2}" />'
            + f'<Relationship Type="{REL_NS}/sharedStrings" Target="sharedStrings.xml" Id="rId{count + 3}" />'
            + "</Relationships>"),
        "xl/styles.xml": styles,
        "xl/theme/theme1.xml": theme_xml,
    }
    for i, (_, sheet) in enumerate(sheets, start=1):
        parts[f"xl/worksheets/sheet{i}.xml"] = sheet.xml()
        rels = sheet.rels()
        if rels:
            parts[f"xl/worksheets/_rels/sheet{i}.xml.rels"] = rels
    parts["xl/sharedStrings.xml"] = strings.xml()
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for name, text in parts.items():
            archive.writestr(name, text.encode("utf-8") if isinstance(text, str) else text)


def _workbook_xml(sheets: list[tuple[str, "_SheetXml"]]) -> str:
    listed = "".join(f'<sheet name="{escape(name, QUOTES)}" sheetId="{i}" state="visible" r:id="rId{i}" />'
                     for i, (name, _) in enumerate(sheets, start=1))
    filters = "".join(
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
        f"{escape(_absolute(name, sheet.filter))}</definedName>"
        for i, (name, sheet) in enumerate(sheets) if sheet.filter)
    return (f'<workbook xmlns:r="{REL_NS}" xmlns="{MAIN_NS}"><workbookPr /><workbookProtection /><bookViews>'
            '<workbookView visibility="visible" minimized="0" showHorizontalScroll="1" showVerticalScroll="1" '
            'showSheetTabs="1" tabRatio="600" firstSheet="0" activeTab="0" autoFilterDateGrouping="1" />'
            f"</bookViews><sheets>{listed}</sheets>" + (f"<definedNames>{filters}</definedNames>" if filters else "")
            + '<calcPr calcId="124519" fullCalcOnLoad="1" /></workbook>')


def _absolute(sheet: str, reference: str) -> str:
    """'sheet'!$A$2:$G$24 for A2:G24, as openpyxl names a filter range."""
    def absolute(cell: str) -> str:
        letters = cell.rstrip("0123456789")
        return f"${letters}${cell[len(letters):]}"
    first, last = reference.split(":")
    return f"{quote_sheetname(sheet)}!{absolute(first)}:{absolute(last)}"


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
