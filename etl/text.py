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


def _unicode_words(value: str) -> list[str]:
    """The words of one value by Python's Unicode rules: runs of \\w after NFKC and case folding."""
    return _NOT_WORD.sub(" ", unicodedata.normalize("NFKC", value).casefold()).split()


def _unicode_word_set_key(value: str) -> str:
    return " ".join(sorted(set(_unicode_words(value))))


def word_set_groups(codes: np.ndarray, distinct: pa.Array, within: np.ndarray, min_count: int) -> np.ndarray:
    """For the values distinct.take(codes) (code -1: missing; distinct holds no missing value), each in
    the part numbered by `within` (e.g. its question), a number shared by exactly the values with its
    word set (its word_set_key) in its part, or -1 where the value is missing or fewer than min_count
    values share both.

    No key text is built. Each distinct text's words are numbered, each (text, word)
    pair kept once, and the text hashed as the sum of a random 64-bit number per
    distinct word and its number of distinct words, so repeats and order do not
    count. Each group of min_count or more values is then checked word by word
    against its first text; should a group fail (only a hash collision could), the
    texts are grouped by word_set_key itself. So the groups are exactly those of
    word_set_key. Codes let a caller name each distinct text once however many
    rows and `within` parts (e.g. questions) it recurs in.
    """
    groups = np.full(len(codes), -1, dtype=np.int64)
    present = codes >= 0
    if not present.any():
        return groups
    order, owner, word, vocabulary = _distinct_words(distinct)
    # From here on distinct texts are numbered in `order` (the order their words were laid out in).
    number = np.empty(len(order), dtype=np.int64)
    number[order] = np.arange(len(order))
    codes = number[codes[present]]
    within = np.asarray(within, dtype=np.int64)[present]
    count = np.bincount(owner, minlength=len(order))
    hashes = _word_hashes(vocabulary)
    total = np.zeros(len(order), dtype=np.uint64)
    if len(word):
        # Sums wrap around (mod 2**64); pairs are ordered by text, so each text's words are one run.
        total[count > 0] = np.add.reduceat(hashes[word], (np.cumsum(count) - count)[count > 0])
    label = pd.factorize(total + count.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15))[0]
    group, common = _common_groups(label[codes], within, min_count)
    # The distinct texts of the common groups: only among those could a collision change a group.
    checked = np.zeros(len(order), dtype=bool)
    checked[codes[common]] = True
    if _collided(label, checked, count, owner, word, vocabulary):
        label = pd.factorize(word_set_key(pd.Series(pd.arrays.ArrowStringArray(
            distinct.cast(pa.large_string()).take(pa.array(order))))))[0]
        group, common = _common_groups(label[codes], within, min_count)
    groups[present] = np.where(common, group, -1)
    return groups


def _common_groups(label: np.ndarray, within: np.ndarray, min_count: int) -> tuple[np.ndarray, np.ndarray]:
    """(a number per value for its (within, label) pair, True where min_count or more values share it)."""
    group = within * (int(label.max(initial=-1)) + 1) + label
    return group, np.bincount(group)[group] >= min_count


def _word_hashes(vocabulary: int) -> np.ndarray:
    """A random 64-bit number for each word number (fixed seed, so runs repeat exactly)."""
    return np.random.default_rng(20261128).integers(0, np.iinfo(np.uint64).max, size=vocabulary,
                                                    dtype=np.uint64, endpoint=True)


def _distinct_words(values: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Each value's distinct words, as word_set_key reads them (values must not be missing).

    Returns the value positions in the order their words are laid out (ASCII values
    first); then, for every (value, word) pair once, ordered by value, the value's
    place in that order and the word's number; and how many words there are.
    """
    ascii = _ascii(values)
    order = np.concatenate([np.flatnonzero(ascii), np.flatnonzero(~ascii)])
    ascii_words = pc.ascii_split_whitespace(_ascii_words_spaced(values.filter(pa.array(ascii))))
    other_words = _token_words(values.filter(pa.array(~ascii)))
    lengths = np.concatenate([pc.list_value_length(ascii_words).to_numpy(zero_copy_only=False),
                              pc.list_value_length(other_words).to_numpy(zero_copy_only=False)]).astype(np.int64)
    encoded = pc.dictionary_encode(pa.concat_arrays([pc.list_flatten(ascii_words), pc.list_flatten(other_words)]))
    word = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    vocabulary = max(len(encoded.dictionary), 1)
    # One number per (value, word); 32 bits when they fit, which halves the sort below.
    pairs = np.repeat(np.arange(len(order)), lengths) * vocabulary + word
    if len(order) * vocabulary < 2**31:
        pairs = pairs.astype(np.int32)
    # Splitting leaves "" at the ends of some values; it is no word.
    blank = np.flatnonzero(pc.equal(encoded.dictionary, "").to_numpy(zero_copy_only=False))
    if len(blank):
        pairs = pairs[word != blank[0]]
    # Pairs come ordered by value already; a stable (merge) sort only has to order each value's few words.
    pairs = np.sort(pairs, kind="stable")
    first = np.ones(len(pairs), dtype=bool)
    first[1:] = pairs[1:] != pairs[:-1]
    pairs = pairs[first] if len(pairs) else pairs
    return order, pairs // vocabulary, pairs % vocabulary, vocabulary


def _token_words(values: pa.Array) -> pa.Array:
    """The words of values that are not all ASCII (with "" where splitting leaves it), one list per value.

    A value's words are those of its pieces between ASCII whitespace: NFKC, case
    folding and the \\w test never join characters across an ASCII space or control
    character. So each distinct piece is worked out once, and only pieces that are
    not ASCII go through Python's rules (most pieces of Welsh text are ASCII words).
    """
    pieces = pc.ascii_split_whitespace(values)
    encoded = pc.dictionary_encode(pc.list_flatten(pieces))
    distinct = encoded.dictionary
    ascii = _ascii(distinct)
    ascii_lists = pc.ascii_split_whitespace(_ascii_words_spaced(distinct.filter(pa.array(ascii))))
    other_lists = pa.array([_unicode_words(piece) for piece in distinct.filter(pa.array(~ascii)).to_pylist()],
                           type=ascii_lists.type)
    place = np.empty(len(distinct), dtype=np.int64)
    place[np.concatenate([np.flatnonzero(ascii), np.flatnonzero(~ascii)])] = np.arange(len(distinct))
    piece_words = pa.concat_arrays([ascii_lists, other_lists]).take(pa.array(place))
    words = pc.list_flatten(piece_words.take(encoded.indices))
    # Regroup the words of the pieces by value.
    per_piece = pc.list_value_length(piece_words).to_numpy(zero_copy_only=False).astype(np.int64)
    per_value = np.bincount(pc.list_parent_indices(pieces).to_numpy(), weights=per_piece[encoded.indices.to_numpy()],
                            minlength=len(values)).astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(per_value)])
    return pa.ListArray.from_arrays(pa.array(offsets, type=pa.int32()), words)


def _collided(label: np.ndarray, checked: np.ndarray, count: np.ndarray, owner: np.ndarray, word: np.ndarray,
              vocabulary: int) -> bool:
    """Whether the checked texts of one label have different word sets: a text whose number of words
    differs from its label's first checked text's, or that has a word that text lacks."""
    candidates = np.flatnonzero(checked)
    labels, first = np.unique(label[candidates], return_index=True)
    first_of = np.zeros(label.max() + 1, dtype=np.int64)
    first_of[labels] = candidates[first]
    if (count[candidates] != count[first_of[label[candidates]]]).any():
        return True
    is_first = np.zeros(len(label), dtype=bool)
    is_first[candidates[first]] = True
    reference = label[owner[is_first[owner]]] * vocabulary + word[is_first[owner]]
    compared = checked[owner] & ~is_first[owner]
    return not pd.Series(label[owner[compared]] * vocabulary + word[compared]).isin(reference).all()


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
    if len(values) == 0:
        return pa.array([], type=pa.large_string())
    words = pc.ascii_split_whitespace(_ascii_words_spaced(values))
    encoded = pc.dictionary_encode(pc.list_flatten(words))
    vocabulary = encoded.dictionary.take(pc.sort_indices(encoded.dictionary))
    rank = np.empty(len(vocabulary), dtype=np.int64)
    rank[pc.sort_indices(encoded.dictionary).to_numpy()] = np.arange(len(vocabulary))
    # One integer per (value, word) pair, sorted by value then word; a repeated word follows its first copy.
    # They come ordered by value already, so a stable (merge) sort only has to order each value's few words.
    pairs = np.sort(pc.list_parent_indices(words).to_numpy().astype(np.int64) * len(vocabulary)
                    + rank[encoded.indices.to_numpy(zero_copy_only=False)], kind="stable")
    first = np.ones(len(pairs), dtype=bool)
    first[1:] = pairs[1:] != pairs[:-1]
    pairs = pairs[first]
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
