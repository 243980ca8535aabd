"""Vectorised regular expressions over text columns that give exactly Python's results.

pandas runs a pattern with \\w, \\d, \\s or \\b through Python's re one value at a
time, because RE2 (pyarrow.compute) reads those classes as ASCII only. On a value
that is all ASCII the two agree once the classes are spelt out, so such values go
through RE2 in C, and only the rest (Welsh text with ŵ, â, ...) through Python's re.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# Python's \w, \d and \s restricted to ASCII (\s includes \v and the separators \x1c-\x1f).
ASCII_WORD = "A-Za-z0-9_"
ASCII_DIGIT = "0-9"
ASCII_SPACE = "\\t\\n\\x0b\\x0c\\r \\x1c-\\x1f"


def _arrow(text: pd.Series) -> pa.Array:
    values = pa.array(text.astype("string"), type=pa.large_string(), from_pandas=True)
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _ascii(values: pa.Array) -> np.ndarray:
    """True where a value holds only ASCII characters (missing values count as ASCII)."""
    return pc.fill_null(pc.string_is_ascii(values), True).to_numpy(zero_copy_only=False)


def replace_regex(text: pd.Series, pattern: str, ascii_pattern: str, replacement: str) -> pd.Series:
    """text.str.replace(pattern, replacement, regex=True), with ASCII values done by RE2.

    ascii_pattern must match exactly what pattern matches on ASCII text, and the
    replacement must hold no backslash (the two engines read those differently).
    """
    text = text.astype("string")
    values = _arrow(text)
    ascii = _ascii(values)
    replaced = pc.replace_substring_regex(values, ascii_pattern, replacement)
    out = pd.Series(pd.array(replaced.cast(pa.string()), dtype="string"), index=text.index, name=text.name)
    if not ascii.all():
        out[~ascii] = text[~ascii].str.replace(pattern, replacement, regex=True)
    return out


def contains_regex(text: pd.Series, pattern: str, ascii_pattern: str) -> pd.Series:
    """text.str.contains(pattern, regex=True) as booleans (missing is False), ASCII values by RE2."""
    text = text.astype("string")
    values = _arrow(text)
    ascii = _ascii(values)
    found = pc.fill_null(pc.match_substring_regex(values, ascii_pattern), False).to_numpy(zero_copy_only=False)
    if not ascii.all():
        found[~ascii] = text[~ascii].str.contains(pattern, regex=True).fillna(False).astype(bool).to_numpy()
    return pd.Series(found, index=text.index, name=text.name)


def word_set_key(text: pd.Series) -> pd.Series:
    """Each value's distinct words, sorted and joined by spaces, ignoring case and punctuation.

    A word is a run of \\w characters after NFKC normalisation and case folding
    (for ASCII text: lower-casing), so reordered or re-punctuated copies agree.
    """
    text = text.astype("string")
    values = _arrow(text)
    ascii = _ascii(values)
    keys = pd.Series(pd.NA, index=text.index, dtype="string", name=text.name)
    keys[ascii] = pd.array(_ascii_word_set_keys(values.filter(pa.array(ascii))).cast(pa.string()), dtype="string")
    if not ascii.all():
        words = (text[~ascii].str.normalize("NFKC").str.casefold()
                 .str.replace(r"[^\w\s]", " ", regex=True).str.split())
        keys[~ascii] = words.map(lambda w: " ".join(sorted(set(w))) if isinstance(w, list) else None
                                 ).astype("string")
    return keys


# Byte -> byte: ASCII word characters lower-cased, every other byte a space.
_WORD_BYTES = np.array([ord(chr(b).lower()) if chr(b).isascii() and (chr(b).isalnum() or chr(b) == "_") else ord(" ")
                        for b in range(256)], dtype=np.uint8)


def _ascii_words_spaced(values: pa.LargeStringArray) -> pa.LargeStringArray:
    """ASCII values lower-cased with every non-word character a space, by one table look-up over the bytes."""
    validity, offsets, data = values.buffers()
    spaced = _WORD_BYTES[np.frombuffer(data, dtype=np.uint8)] if data is not None else np.empty(0, np.uint8)
    return pa.LargeStringArray.from_buffers(len(values), offsets, pa.py_buffer(spaced), validity,
                                            values.null_count, values.offset)


def _ascii_word_set_keys(values: pa.Array) -> pa.Array:
    """word_set_key for ASCII values, in Arrow and numpy: every value's words split, de-duplicated and sorted at once."""
    words = pc.ascii_split_whitespace(_ascii_words_spaced(values))
    encoded = pc.dictionary_encode(pc.list_flatten(words))
    vocabulary = encoded.dictionary.take(pc.sort_indices(encoded.dictionary))
    rank = np.empty(len(vocabulary), dtype=np.int64)
    rank[pc.sort_indices(encoded.dictionary).to_numpy()] = np.arange(len(vocabulary))
    # One integer per (value, word) pair, sorted by value then word; a repeated word follows its first copy.
    pairs = np.sort(pc.list_parent_indices(words).to_numpy().astype(np.int64) * len(vocabulary)
                    + rank[encoded.indices.to_numpy(zero_copy_only=False)])
    pairs = pairs[np.concatenate([[True], pairs[1:] != pairs[:-1]])]
    row, word = np.divmod(pairs, len(vocabulary))
    word_list = vocabulary.take(pa.array(word))
    # Splitting leaves "" at the ends; in sorted order it is a value's first word, if it is there.
    empty = pc.equal(word_list, "").to_numpy(zero_copy_only=False)
    row, word_list = row[~empty], word_list.filter(pa.array(~empty))
    offsets = np.concatenate([[0], np.cumsum(np.bincount(row, minlength=len(values)))])
    lists = pa.LargeListArray.from_arrays(pa.array(offsets, type=pa.int64()), word_list)
    joined = pc.binary_join(lists, pa.scalar(" ", pa.large_string()))
    # A missing value has no words; it stays missing rather than becoming "".
    return pc.if_else(pc.is_null(values), pa.scalar(None, pa.large_string()), joined)
