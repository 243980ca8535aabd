"""Redact contact details from free text before it reaches the review team."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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

# Values that need the full treatment: any match of any pattern on ASCII text (one RE2 pass for all),
# and every value that is not ASCII (Python's \w, \d and \s are wider there).
ASCII_CONTACT = f"{ASCII_EMAIL}|{ASCII_PHONE}|{ASCII_FULL_POSTCODE}"
ASCII_EMAIL_OR_PHONE = f"{ASCII_EMAIL}|{ASCII_PHONE}"

EMAIL_MARK = "[email removed]"
PHONE_MARK = "[phone removed]"
POSTCODE_MARK = "[postcode removed]"


def redact(text: pd.Series) -> pd.Series:
    """Emails, then phone numbers, then full postcodes replaced by a mark (text.str.replace for each, in turn).

    Only the values where one of them may be found go through the three replacements: a value in which
    none of the patterns matches is left as it is by all three.
    """
    text = text.astype("string")
    values = _arrow(text)
    rows = _maybe(values, ASCII_CONTACT)
    if not len(rows):
        return text.rename(text.name)
    some = _series(values.take(pa.array(rows)))
    some = replace_regex(some, EMAIL, ASCII_EMAIL, EMAIL_MARK)
    some = replace_regex(some, PHONE, ASCII_PHONE, PHONE_MARK)
    some = replace_regex(some, FULL_POSTCODE, ASCII_FULL_POSTCODE, POSTCODE_MARK)
    values = _put(values, rows, _arrow(some))
    return pd.Series(pd.array(values.cast(pa.string()), dtype="string"), index=text.index, name=text.name)


def contains_contact_details(text: pd.Series) -> pd.Series:
    """True where an email address or phone number is still present (the free_text check)."""
    text = text.astype("string")
    values = _arrow(text)
    found = np.zeros(len(text), dtype=bool)
    rows = _maybe(values, ASCII_EMAIL_OR_PHONE)
    if len(rows):
        some = _series(values.take(pa.array(rows)))
        found[rows] = (contains_regex(some, EMAIL, ASCII_EMAIL) | contains_regex(some, PHONE, ASCII_PHONE)).to_numpy()
    return pd.Series(found, index=text.index, name=text.name)


def _maybe(values: pa.Array, ascii_pattern: str) -> np.ndarray:
    """Rows that are not ASCII, or in which the (ASCII) pattern matches."""
    ascii = pc.fill_null(pc.string_is_ascii(values), True)
    found = pc.fill_null(pc.match_substring_regex(values, ascii_pattern), False)
    return np.flatnonzero(pc.or_(pc.invert(ascii), found).to_numpy(zero_copy_only=False))


def _arrow(text: pd.Series) -> pa.Array:
    values = pa.array(text, type=pa.large_string(), from_pandas=True)
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _series(values: pa.Array) -> pd.Series:
    return pd.Series(pd.array(values.cast(pa.string()), dtype="string"))


def _put(values: pa.Array, rows: np.ndarray, replaced: pa.Array) -> pa.Array:
    """values with the values at rows replaced, in order."""
    index = np.arange(len(values), dtype=np.int64)
    index[rows] = len(values) + np.arange(len(rows))
    return pa.concat_arrays([values, replaced.cast(values.type)]).take(pa.array(index))
