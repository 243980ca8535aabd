"""Markdown previews of tables for the Dagster UI.

Dagster keeps every materialisation's metadata in its run history for good: anyone who can open
the UI reads it, and an erasure cannot reach it. So a preview shows what an analyst checks at a
glance (ids, codes, flags, counts) and never a column that could single out a respondent or that
holds their own words: those are left out, and the note under the table says how many.
"""
from __future__ import annotations

from collections.abc import Collection

import pandas as pd

from survey_app.definition import Survey

PREVIEW_ROWS = 10
PREVIEW_COLUMNS = 12
CELL_CHARS = 60
# Columns, in any table, that identify a respondent or tie a row to them elsewhere (the reference
# they were given, their device, their link, their email's key, their exact times), or hold
# people's own words (free_text, theme_examples, free_text_campaigns). Response ids stay: they are
# the ETL's own row numbers, which mean nothing outside the survey database.
NEVER_SHOWN = frozenset({
    "reference", "submission_key", "fingerprint", "email_key", "link_token", "started_at", "submitted_at",
    "text",
})


def private_columns(survey: Survey) -> set[str]:
    """The survey's own columns that are never shown: free-text answers (with "other, please say"
    text) and personal data."""
    columns = set()
    for q in survey.questions:
        if q.is_free_text or q.personal:
            columns.add(q.id)
        if q.other:
            columns.add(q.other_column)
    return columns


def _cell(value) -> str:
    if value is None or (not isinstance(value, (list, tuple)) and pd.isna(value)):
        return ""
    text = str(value).replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= CELL_CHARS else text[: CELL_CHARS - 1] + "…"


def markdown_preview(frame: pd.DataFrame, private: Collection[str] = ()) -> str:
    """The first rows and columns as a Markdown table, without the columns NEVER_SHOWN or `private`,
    saying how much is left out."""
    hidden = NEVER_SHOWN | set(private)
    shown = [column for column in frame.columns if column not in hidden]
    columns = shown[:PREVIEW_COLUMNS]
    head = frame.head(PREVIEW_ROWS)
    lines = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    for row in head[columns].itertuples(index=False):
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    more = len(shown) - len(columns)
    withheld = len(frame.columns) - len(shown)
    note = f"\n\n{len(head)} of {len(frame)} rows" + (f"; {more} more columns not shown" if more else "")
    if withheld:
        note += f"; {withheld} identifying or free-text column{'' if withheld == 1 else 's'} never shown"
    return "\n".join(lines) + note
