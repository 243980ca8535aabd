"""Redact contact details from free text before it reaches the review team."""
from __future__ import annotations

import pandas as pd

EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
# UK numbers: +44 or 0, then 9-10 more digits, allowing spaces, dots, hyphens and brackets.
PHONE = r"(?:\+44\s?\(?0?\)?|\(?0)(?:[\s.\-()]*\d){9,10}"
# A full postcode (outward + inward code); an outward code alone ("SA31") is left as it is.
FULL_POSTCODE = r"\b[A-Za-z]{1,2}\d[A-Za-z\d]?\s*\d[A-Za-z]{2}\b"

EMAIL_MARK = "[email removed]"
PHONE_MARK = "[phone removed]"
POSTCODE_MARK = "[postcode removed]"


def redact(text: pd.Series) -> pd.Series:
    text = text.astype("string")
    text = text.str.replace(EMAIL, EMAIL_MARK, regex=True)
    text = text.str.replace(PHONE, PHONE_MARK, regex=True)
    return text.str.replace(FULL_POSTCODE, POSTCODE_MARK, regex=True)


def contains_contact_details(text: pd.Series) -> pd.Series:
    """True where an email address or phone number is still present (the free_text check)."""
    text = text.astype("string")
    found = text.str.contains(EMAIL, regex=True) | text.str.contains(PHONE, regex=True)
    return found.fillna(False).astype(bool)
