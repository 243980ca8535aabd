"""Signs that a page was filled in by a script: a honeypot field and too little time on a page.

Responses that trip them are still stored, with a flag, so the ETL can leave them
out and say how many; a person wrongly caught loses nothing.
"""
from __future__ import annotations

import datetime as dt
from typing import Mapping

from itsdangerous import BadData, URLSafeSerializer

# A name form-filling scripts are drawn to; no question uses it.
HONEYPOT_FIELD = "website"
STAMP_FIELD = "page_shown"


def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt="llais-page-shown")


def page_stamp(secret_key: str, section_id: str, shown_at: dt.datetime) -> str:
    """A signed record of when this page was shown, carried in the form itself
    (no server write just for showing a page)."""
    return _serializer(secret_key).dumps({"section": section_id, "at": shown_at.timestamp()})


def shown_at(secret_key: str, section_id: str, stamp: str | None) -> dt.datetime | None:
    """When the page was shown, or None if the stamp is missing, forged or from another page."""
    try:
        data = _serializer(secret_key).loads(stamp or "")
        if data.get("section") != section_id:
            return None
        return dt.datetime.fromtimestamp(float(data["at"]), dt.timezone.utc)
    except (BadData, AttributeError, KeyError, TypeError, ValueError, OverflowError):
        return None


def page_flags(form: Mapping[str, str], secret_key: str, section_id: str, now: dt.datetime,
               min_seconds: float, first_answer: bool) -> set[str]:
    """Quality flags earned by one POST of a page.

    Timing is judged only on a page's first answer: someone going Back and
    pressing continue on answers already given is quick for good reason.
    """
    flags = set()
    if form.get(HONEYPOT_FIELD):
        flags.add("honeypot")
    if first_answer:
        shown = shown_at(secret_key, section_id, form.get(STAMP_FIELD))
        if shown is None or (now - shown).total_seconds() < min_seconds:
            flags.add("too_fast")
    return flags
