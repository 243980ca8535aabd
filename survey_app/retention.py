"""Retention and erasure on the responses database.

Pure storage (no Flask), so operators' commands and any later tool share it.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import sqlite_utils

from .storage import REFERENCE_ALPHABET, immediate_transaction, iso, _write

REFERENCE_RE = re.compile(rf"^[{REFERENCE_ALPHABET}]{{4}}-[{REFERENCE_ALPHABET}]{{4}}$")


@dataclass
class PurgeCounts:
    personal_data: int = 0
    drafts: int = 0
    responses: int = 0


def normalise_reference(text: str) -> str:
    """As read out over the phone: any case, spaces, with or without the hyphen."""
    chars = re.sub(r"[\s-]", "", text).upper()
    return f"{chars[:4]}-{chars[4:]}" if len(chars) == 8 else text.strip().upper()


def is_reference(reference: str) -> bool:
    return bool(REFERENCE_RE.match(reference))


def purge(db: sqlite_utils.Database, survey_id: str, cutoff: dt.datetime,
          include_responses: bool = False) -> PurgeCounts:
    """Delete a survey's personal data and drafts last touched before `cutoff`,
    and with `include_responses` the responses submitted before it, in one transaction."""
    before = iso(cutoff)
    counts = PurgeCounts()

    def delete() -> PurgeCounts:
        with immediate_transaction(db):
            old_responses = "select id from responses where survey_id = ? and submitted_at < ?"
            counts.personal_data = db.execute(
                f"delete from personal_data where survey_id = ? and response_id in ({old_responses})",
                [survey_id, survey_id, before]).rowcount
            counts.drafts = db.execute(
                "delete from drafts where survey_id = ? and coalesce(updated_at, started_at) < ?",
                [survey_id, before]).rowcount
            if include_responses:
                counts.responses = db.execute(
                    "delete from responses where survey_id = ? and submitted_at < ?", [survey_id, before]).rowcount
        return counts

    return _write(db, delete)


def known_surveys(db: sqlite_utils.Database) -> set[str]:
    """Surveys that have anything stored, including ones whose definition has been removed."""
    rows = db.execute("select survey_id from responses union select survey_id from drafts").fetchall()
    return {row[0] for row in rows}


def erase(db: sqlite_utils.Database, reference: str, now: dt.datetime) -> bool:
    """Delete the response with this reference, its personal data and its draft, and
    record the erasure (reference and time only). False when there is no such response."""

    def delete() -> bool:
        with immediate_transaction(db):
            row = db.execute("select id, submission_key from responses where reference = ?", [reference]).fetchone()
            if row is None:
                return False
            response_id, draft_id = row
            db.execute("delete from personal_data where response_id = ?", [response_id])
            db.execute("delete from responses where id = ?", [response_id])
            db.execute("delete from drafts where id = ? or reference = ?", [draft_id, reference])
            db.execute("insert or replace into erasures (reference, erased_at) values (?, ?)",
                       [reference, iso(now)])
            return True

    return _write(db, delete)


def erased_at(db: sqlite_utils.Database, reference: str) -> str | None:
    row = db.execute("select erased_at from erasures where reference = ?", [reference]).fetchone()
    return row[0] if row else None
