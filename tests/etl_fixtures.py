"""Helpers for the ETL tests: the shipped survey and small hand-built raw frames."""
from __future__ import annotations

import json

import pandas as pd

from survey_app.definition import load_surveys

SURVEY = load_surveys()["drugs-review"]


def raw_row(id: int, **answers) -> dict:
    """One raw response as read from the survey database (multiple choice as JSON text)."""
    row = {
        "id": id, "survey_id": SURVEY.slug, "survey_version": SURVEY.version, "reference": f"REF-{id:04d}",
        "submission_key": f"key-{id}", "started_at": "2026-11-02T10:00:00+00:00",
        "submitted_at": f"2026-11-02T10:{id % 60:02d}:00+00:00", "language": "en", "duration_seconds": 600,
        "link_token": None, "fingerprint": f"fp{id}", "quality_flags": "[]", "email_key": None,
        "link_organisation": None, "link_channel": None, "respondent_group": "public",
    }
    for key, value in answers.items():
        row[key] = json.dumps(value) if isinstance(value, list) else value
    return row


def raw_frame(*rows: dict) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows))
    for column in SURVEY.answer_columns():
        if column not in frame:
            frame[column] = None
    return frame


def as_read(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its text columns as Arrow-backed strings, as read_responses returns them."""
    frame = frame.copy()
    for column in frame.columns[frame.dtypes == object]:
        frame[column] = frame[column].astype("str")
    return frame
