"""Redact contact details from free text before it reaches the review team."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .safetext import UNSAFE_CHARACTER, WORD_CLASS
from .text import ASCII_DIGIT, ASCII_SPACE, ASCII_WORD, contains_regex, replace_regex

EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
# UK numbers: +44 or 0044 (written from abroad, "00 44" too), or 0, then 9-10 more digits, allowing spaces,
# dots, hyphens and brackets. The international prefixes come first: read as a leading 0, "0044 7700 900 123"
# would end its ten digits early and leave "123" behind.
PHONE = r"(?:(?:\+|00)\s?44\s?\(?0?\)?|\(?0)(?:[\s.\-()]*\d){9,10}"
# A full postcode (outward + inward code); an outward code alone ("SA31") is left as it is.
FULL_POSTCODE = r"\b[A-Za-z]{1,2}\d[A-Za-z\d]?\s*\d[A-Za-z]{2}\b"

# The same patterns for RE2 on ASCII-only text (see etl/text.py): \w, \d and \s spelt out.
ASCII_EMAIL = rf"[{ASCII_WORD}.+-]+@[{ASCII_WORD}-]+(?:\.[{ASCII_WORD}-]+)+"
ASCII_PHONE = (rf"(?:(?:\+|00)[{ASCII_SPACE}]?44[{ASCII_SPACE}]?\(?0?\)?|\(?0)"
               rf"(?:[{ASCII_SPACE}.\-()]*[{ASCII_DIGIT}]){{9,10}}")
ASCII_FULL_POSTCODE = (rf"\b[A-Za-z]{{1,2}}[{ASCII_DIGIT}][A-Za-z{ASCII_DIGIT}]?[{ASCII_SPACE}]*"
                       rf"[{ASCII_DIGIT}][A-Za-z]{{2}}\b")

# Which values need the full treatment, found by one RE2 pass: on text of ASCII and the safe characters
# of etl/safetext.py (where \w, \d and \s read as in Python) a value in which none of these matches has
# no email, phone number or postcode. The postcode is sought without its \b (RE2's \b is ASCII only),
# which finds more candidates, never fewer. Every other value is a candidate.
SAFE_EMAIL = rf"[{WORD_CLASS}.+-]+@[{WORD_CLASS}-]+(?:\.[{WORD_CLASS}-]+)+"
POSTCODE_CORE = (rf"[A-Za-z]{{1,2}}[{ASCII_DIGIT}][A-Za-z{ASCII_DIGIT}]?[{ASCII_SPACE}]*"
                 rf"[{ASCII_DIGIT}][A-Za-z]{{2}}")
MAY_HOLD_CONTACT = f"{SAFE_EMAIL}|{ASCII_PHONE}|{POSTCODE_CORE}"
MAY_HOLD_EMAIL_OR_PHONE = f"{SAFE_EMAIL}|{ASCII_PHONE}"

EMAIL_MARK = "[email removed]"
PHONE_MARK = "[phone removed]"
POSTCODE_MARK = "[postcode removed]"


def redact(text: pd.Series) -> pd.Series:
    """Emails, then phone numbers, then full postcodes replaced by a mark (text.str.replace for each, in turn).

    Each distinct value is redacted once (campaigns and short answers repeat).
    """
    text = text.astype("string")
    encoded = pc.dictionary_encode(_arrow(text))
    values = redact_values(encoded.dictionary).take(encoded.indices)
    return pd.Series(pd.array(values, dtype="string"), index=text.index, name=text.name)


def redact_values(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """redact() for an Arrow array (or chunked array, kept in its chunks) of strings, value by value.

    Only the values where one of the patterns may be found go through the three replacements: a value
    in which none of them matches is left as it is by all three.
    """
    values = values.cast(pa.large_string())
    maybe = _maybe(values, MAY_HOLD_CONTACT)
    if not maybe.any():
        return values
    # Filtered and replaced chunk by chunk (a take would first copy a chunked array into one).
    maybe = pa.array(maybe)
    some = _series(values.filter(maybe))
    some = replace_regex(some, EMAIL, ASCII_EMAIL, EMAIL_MARK)
    some = replace_regex(some, PHONE, ASCII_PHONE, PHONE_MARK)
    some = replace_regex(some, FULL_POSTCODE, ASCII_FULL_POSTCODE, POSTCODE_MARK)
    return pc.replace_with_mask(values, maybe, _arrow(some))


def contains_contact_details(text: pd.Series) -> pd.Series:
    """True where an email address or phone number is still present (the free_text check)."""
    text = text.astype("string")
    # Factorized as it comes: an Arrow-backed column's chunks are not first copied into one array.
    codes, distinct = pd.factorize(text.array)
    values = _arrow(pd.Series(distinct))
    found = np.zeros(len(values) + 1, dtype=bool)   # the last: a missing value
    rows = np.flatnonzero(_maybe(values, MAY_HOLD_EMAIL_OR_PHONE))
    if len(rows):
        some = _series(values.take(pa.array(rows)))
        found[rows] = (contains_regex(some, EMAIL, ASCII_EMAIL) | contains_regex(some, PHONE, ASCII_PHONE)).to_numpy()
    return pd.Series(found[codes], index=text.index, name=text.name)


def _maybe(values: pa.Array | pa.ChunkedArray, safe_pattern: str) -> np.ndarray:
    """True where a value has a character beyond the safe ones, or the pattern matches: one pass finds both."""
    found = pc.match_substring_regex(values, f"{safe_pattern}|{UNSAFE_CHARACTER}")
    return pc.fill_null(found, False).to_numpy(zero_copy_only=False)


def _arrow(text: pd.Series) -> pa.Array:
    values = pa.array(text, type=pa.large_string(), from_pandas=True)
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _series(values: pa.Array) -> pd.Series:
    return pd.Series(pd.array(values.cast(pa.large_string()), dtype="string"))

