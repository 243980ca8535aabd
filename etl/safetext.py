"""Characters on which Python's re and RE2 (pyarrow.compute) read patterns the same way.

RE2 reads \\w, \\d, \\s and \\b as ASCII only, so etl/text.py sends every value that
is not ASCII through Python's re. Welsh answers are rarely ASCII (â, ŵ, ŷ, typographic
quotes), yet on text made only of ASCII and the characters below, Python's \\w is
exactly WORD_CLASS, \\s exactly SPACE_CLASS, \\d exactly 0-9, and re.IGNORECASE pairs
the same letters as RE2's (?i) (tests/test_etl_outputs_themes.py checks each one).
Patterns without \\b or look-arounds can run in RE2 on such text, with the classes spelt out.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .text import ASCII_SPACE, ASCII_WORD

SAFE_LETTERS = ("ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞ"
                "àáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿ"
                "ŴŵŶŷẀẁẂẃẄẅỲỳ")
SAFE_SYMBOLS = "‘’‚“”„–—…£€«»°·•"
WORD_CLASS = ASCII_WORD + SAFE_LETTERS
SPACE_CLASS = ASCII_SPACE
UNSAFE_CHARACTER = f"[^\\x00-\\x7f{SAFE_LETTERS}{SAFE_SYMBOLS}]"


def is_safe(text: str) -> bool:
    return all(c.isascii() or c in SAFE_LETTERS or c in SAFE_SYMBOLS for c in text)


def safe_mask(values: pa.Array) -> np.ndarray:
    """True where a value holds only ASCII and the safe characters (missing values count as safe)."""
    return ~pc.fill_null(pc.match_substring_regex(values, UNSAFE_CHARACTER), False).to_numpy(zero_copy_only=False)
