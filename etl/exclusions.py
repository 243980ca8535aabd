"""Responses the app flagged at intake (a filled honeypot, a page sent too fast) are left out of the
analysis, and listed with the reason so the review team can say how many and why."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

EXCLUDED_COLUMNS = ["survey_id", "response_id", "reference", "reason"]
# Above this many runs of kept rows per row, slices would cost more than a copy.
_MAX_RUNS_PER_ROW = 1 / 64


def split_intake_flagged(responses: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(responses kept for analysis, one row per excluded response with its reason)."""
    flagged = responses["flag_intake"].fillna(False).astype(bool).to_numpy()
    excluded = responses.iloc[np.flatnonzero(flagged)]
    reasons = excluded["flag_reasons"].astype("string").str.extract(r"intake: flagged at intake: ([^;]*)")[0]
    table = pd.DataFrame({
        "survey_id": excluded["survey_id"].astype("string"),
        "response_id": excluded["id"].astype("int64"),
        "reference": excluded["reference"].astype("string"),
        "reason": reasons.fillna("flagged at intake").astype("string"),
    }, columns=EXCLUDED_COLUMNS)
    return rows_without(responses, flagged), table.reset_index(drop=True)


def rows_without(frame: pd.DataFrame, drop: np.ndarray) -> pd.DataFrame:
    """frame without the rows drop marks, renumbered from 0, like frame[~drop].reset_index(drop=True).

    When few rows go, Arrow-backed text columns are not copied: the kept runs of
    rows become slices (chunks) of the same immutable buffers. Only the narrow
    NumPy columns (ids, codes, flags) are copied, so a million-row table costs tens
    of megabytes here instead of a second table.
    """
    drop = np.asarray(drop, dtype=bool)
    if not drop.any():
        return frame.reset_index(drop=True)
    keep = ~drop
    edges = np.flatnonzero(np.diff(np.concatenate([[0], keep.astype(np.int8), [0]])))
    starts, ends = edges[::2], edges[1::2]
    if len(starts) > max(16, len(frame) * _MAX_RUNS_PER_ROW):
        return frame[keep].reset_index(drop=True)
    positions = np.flatnonzero(keep)
    columns = {}
    for number, (name, column) in enumerate(frame.items()):
        if isinstance(column.dtype, pd.StringDtype) and column.dtype.storage == "pyarrow":
            whole = pa.array(column.array)
            whole = pa.chunked_array([whole]) if isinstance(whole, pa.Array) else whole
            pieces = [chunk for start, end in zip(starts, ends) for chunk in whole.slice(start, end - start).chunks]
            kept = pd.arrays.ArrowStringArray(pa.chunked_array(pieces, type=whole.type), dtype=column.dtype)
            columns[number] = pd.Series(kept, name=name)
        else:
            columns[number] = column.iloc[positions].reset_index(drop=True)
    out = pd.DataFrame(columns, copy=False)
    out.columns = frame.columns
    return out
