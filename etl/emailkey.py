"""The key a follow-up email is matched by: salted, so no address reaches the analysis database.

Plain Python with no third-party imports: the process that copies the raw responses
(etl/raw_copy.py) computes the same keys inside SQLite, and starts quickly.
"""
from __future__ import annotations

import hashlib


def normalise_email(address: str | bytes | None) -> str | None:
    """Lower-case, trimmed, with any +tag removed (and Gmail's ignored dots), so one inbox is one key.

    None for no address, or for text with no "@" in it. Addresses are read as bytes, so one stored
    with bytes that are not UTF-8 (a faulty import) is matched as best it can be, not a crash.
    """
    if address is None:
        return None
    if isinstance(address, bytes):
        address = address.decode("utf-8", "replace")
    text = address.strip().lower()
    local, at, domain = text.partition("@")
    if not at:
        return None
    local = local.split("+", 1)[0]
    if domain == "googlemail.com":
        domain = "gmail.com"
    if domain == "gmail.com":
        local = local.replace(".", "")
    return f"{local}@{domain}"


def email_key(address: str | bytes | None, survey_id: str) -> str | None:
    """A salted hash of the normalised address: equal inboxes match, and the address cannot be read back."""
    normalised = normalise_email(address)
    return None if normalised is None else hashlib.sha256(survey_id.encode() + normalised.encode()).hexdigest()[:24]
