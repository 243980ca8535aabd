"""Markdown previews of tables for the Dagster UI."""
from __future__ import annotations

import pandas as pd

PREVIEW_ROWS = 10
PREVIEW_COLUMNS = 12
CELL_CHARS = 60


def _cell(value) -> str:
    if value is None or (not isinstance(value, (list, tuple)) and pd.isna(value)):
        return ""
    text = str(value).replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= CELL_CHARS else text[: CELL_CHARS - 1] + "…"


def markdown_preview(frame: pd.DataFrame) -> str:
    """The first rows and columns as a Markdown table, saying how much is left out."""
    columns = list(frame.columns[:PREVIEW_COLUMNS])
    head = frame.head(PREVIEW_ROWS)
    lines = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    for row in head[columns].itertuples(index=False):
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    hidden = len(frame.columns) - len(columns)
    note = f"\n\n{len(head)} of {len(frame)} rows" + (f"; {hidden} more columns not shown" if hidden else "")
    return "\n".join(lines) + note
