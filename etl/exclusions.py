"""Responses the app flagged at intake (a filled honeypot, a page sent too fast) are left out of the
analysis, and listed with the reason so the review team can say how many and why."""
from __future__ import annotations

import pandas as pd

EXCLUDED_COLUMNS = ["survey_id", "response_id", "reference", "reason"]


def split_intake_flagged(responses: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(responses kept for analysis, one row per excluded response with its reason)."""
    flagged = responses["flag_intake"].fillna(False).astype(bool)
    excluded = responses.loc[flagged]
    reasons = excluded["flag_reasons"].astype("string").str.extract(r"intake: flagged at intake: ([^;]*)")[0]
    table = pd.DataFrame({
        "survey_id": excluded["survey_id"].astype("string"),
        "response_id": excluded["id"].astype("int64"),
        "reference": excluded["reference"].astype("string"),
        "reason": reasons.fillna("flagged at intake").astype("string"),
    }, columns=EXCLUDED_COLUMNS)
    return responses.loc[~flagged].reset_index(drop=True), table.reset_index(drop=True)
