"""Redact contact details from free text before it reaches the review team."""
from __future__ import annotations

import pandas as pd

from .text import ASCII_DIGIT, ASCII_SPACE, ASCII_WORD, contains_regex, replace_regex

EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
# UK numbers: +44 or 0, then 9-10 more digits, allowing spaces, dots, hyphens and brackets.
PHONE = r"(?:\+44\s?\(?0?\)?|\(?0)(?:[\s.\-()]*\d){9,10}"
# A full postcode (outward + inward code); an outward code alone ("SA31") is left as it is.
FULL_POSTCODE = r"\b[A-Za-z]{1,2}\d[A-Za-z\d]?\s*\d[A-Za-z]{2}\b"

# The same patterns for RE2 on ASCII-only text (see etl/text.py): \w, \d and \s spelt out.
ASCII_EMAIL = rf"[{ASCII_WORD}.+-]+@[{ASCII_WORD}-]+(?:\.[{ASCII_WORD}-]+)+"
ASCII_PHONE = rf"(?:\+44[{ASCII_SPACE}]?\(?0?\)?|\(?0)(?:[{ASCII_SPACE}.\-()]*[{ASCII_DIGIT}]){{9,10}}"
ASCII_FULL_POSTCODE = (rf"\b[A-Za-z]{{1,2}}[{ASCII_DIGIT}][A-Za-z{ASCII_DIGIT}]?[{ASCII_SPACE}]*"
                       rf"[{ASCII_DIGIT}][A-Za-z]{{2}}\b")

EMAIL_MARK = "[email removed]"
PHONE_MARK = "[phone removed]"
POSTCODE_MARK = "[postcode removed]"


def redact(text: pd.Series) -> pd.Series:
    text = replace_regex(text, EMAIL, ASCII_EMAIL, EMAIL_MARK)
    text = replace_regex(text, PHONE, ASCII_PHONE, PHONE_MARK)
    return replace_regex(text, FULL_POSTCODE, ASCII_FULL_POSTCODE, POSTCODE_MARK)


def contains_contact_details(text: pd.Series) -> pd.Series:
    """True where an email address or phone number is still present (the free_text check)."""
    return contains_regex(text, EMAIL, ASCII_EMAIL) | contains_regex(text, PHONE, ASCII_PHONE)
