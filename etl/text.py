"""Vectorised regular expressions over text columns that give exactly Python's results.

pandas runs a pattern with \\w, \\d, \\s or \\b through Python's re one value at a
time, because RE2 (pyarrow.compute) reads those classes as ASCII only. On a value
that is all ASCII the two agree once the classes are spelt out, so such values go
through RE2 in C, and only the rest (Welsh text with ŵ, â, ...) through Python's re.
"""
from __future__ import annotations

import re
import unicodedata

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
        keys[~ascii] = pd.array([None if value is None else _unicode_word_set_key(value)
                                 for value in values.filter(pa.array(~ascii)).to_pylist()], dtype="string")
    return keys


_NOT_WORD = re.compile(r"[^\w\s]")


def _unicode_word_set_key(value: str) -> str:
    """word_set_key of one value, by Python's Unicode rules."""
    return " ".join(sorted(set(_NOT_WORD.sub(" ", unicodedata.normalize("NFKC", value).casefold()).split())))


# How many independent word hashes make a word-set signature; with six, two texts that merely
# share common words almost never agree on all of them.
SIGNATURE_HASHES = 6
_HASH_SEED = 20261128


def shared_word_sets(text: pd.Series, min_count: int) -> pd.Series:
    """word_set_key(text) for the values whose word set at least min_count values share; missing elsewhere.

    Keying every value would split, de-duplicate and sort the words of every value.
    Instead each distinct text gets a signature that depends only on its set of
    words: for each of a few random hashes of the words, the smallest over the
    value's words (a min-hash; repeats and order do not change it). Equal word sets
    always have equal signatures, so only values whose signature at least min_count
    values share can share a key, and only those are keyed exactly; signatures
    shared by chance are told apart there.
    """
    text = text.astype("string")
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    keys = pd.Series(pd.NA, index=text.index, dtype="string", name=text.name)
    present = codes >= 0
    if not present.any():
        return keys
    signature = _word_set_signatures(_arrow(pd.Series(uniques)))
    _, group, size = np.unique(signature[codes[present]], return_inverse=True, return_counts=True)
    candidate = np.flatnonzero(present)[size[group] >= min_count]
    if not len(candidate):
        return keys
    # The exact keys of the candidates' distinct texts, then the keys at least min_count values share.
    distinct, inverse = np.unique(codes[candidate], return_inverse=True)
    exact = word_set_key(pd.Series(uniques.take(distinct)))
    candidate_keys = pd.Series(exact.array.take(inverse.ravel()), index=candidate)
    counts = candidate_keys.map(candidate_keys.value_counts())
    shared = candidate_keys[counts >= min_count]
    keys.iloc[shared.index.to_numpy()] = shared.to_numpy()
    return keys


def _word_set_signatures(values: pa.Array) -> np.ndarray:
    """A 64-bit signature of each value's set of words (as word_set_key reads them; values not missing)."""
    ascii = _ascii(values)
    # ASCII values split at the non-word bytes; the rest are keyed by Python's rules and split at the
    # spaces of their key. Either way each value becomes its list of words (and maybe "").
    ascii_words = pc.ascii_split_whitespace(_ascii_words_spaced(values.filter(pa.array(ascii))))
    other_keys = [_unicode_word_set_key(value) for value in values.filter(pa.array(~ascii)).to_pylist()]
    other_words = pc.split_pattern(pa.array(other_keys, type=pa.large_string()), " ")
    lengths = np.concatenate([pc.list_value_length(ascii_words).to_numpy(zero_copy_only=False),
                              pc.list_value_length(other_words).to_numpy(zero_copy_only=False)]).astype(np.int64)
    encoded = pc.dictionary_encode(pa.concat_arrays([pc.list_flatten(ascii_words), pc.list_flatten(other_words)]))
    word = encoded.indices.to_numpy(zero_copy_only=False)
    blank = pc.equal(encoded.dictionary, "").to_numpy(zero_copy_only=False)
    starts = (np.cumsum(lengths) - lengths)[lengths > 0]
    rng = np.random.default_rng(_HASH_SEED)
    most = np.iinfo(np.uint64).max
    combined = np.zeros(len(lengths), dtype=np.uint64)
    for _ in range(SIGNATURE_HASHES):
        hashes = rng.integers(0, most, size=len(blank), dtype=np.uint64, endpoint=True)
        hashes[blank] = most  # "" is no word: it never lowers the minimum
        smallest = np.full(len(lengths), most, dtype=np.uint64)
        if len(starts):
            smallest[lengths > 0] = np.minimum.reduceat(hashes[word], starts)
        combined = (combined ^ smallest) * np.uint64(0x9E3779B97F4A7C15)
    # Back to the order of values (ASCII ones were taken first).
    signature = np.empty(len(values), dtype=np.uint64)
    signature[np.concatenate([np.flatnonzero(ascii), np.flatnonzero(~ascii)])] = combined
    return signature


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
