"""Tag free-text answers with themes from a bilingual codebook, and count them.

Campaign responses (the same text pasted by many people) are counted once as a
campaign, so an organised response is seen at its real weight: one view,
shown with its size in free_text_campaigns.
"""
from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import yaml
from pandas.api.extensions import ExtensionArray

from survey_app.definition import Survey

from .dedupe import campaign_key
from .safetext import SPACE_CLASS, WORD_CLASS, is_safe, safe_mask

CODEBOOK_PATH = Path(__file__).resolve().parent / "themes.yaml"
UNTAGGED = "untagged"
UNTAGGED_LABELS = ("Untagged (no theme in the codebook)", "Heb thema (dim thema yn y llyfr codau)")
ALL = "all"
EXAMPLES_PER_THEME = 3

# Initial-consonant mutations: radical -> soft, nasal and aspirate forms.
# Digraphs come first so that "ll" and "rh" are not read as "l" or "r".
MUTATIONS = {
    "ll": ["l"], "rh": ["r"],
    "p": ["b", "mh", "ph"], "t": ["d", "nh", "th"], "c": ["g", "ngh", "ch"],
    "b": ["f", "m"], "d": ["dd", "n"], "g": ["", "ng"], "m": ["f"],
}
UNMUTATED_DIGRAPHS = ("ch", "ph", "th", "dd", "ff", "ng")
VOWELS = "aeiouwyâêîôûŵŷ"
MIN_MUTATED_LENGTH = 5   # shorter mutated forms are other words' beginnings ("gang" -> "ang" in "angen")


@dataclass(frozen=True)
class Theme:
    id: str
    label_en: str
    label_cy: str
    pattern: re.Pattern
    # RE2 pattern of each keyword's first word in all its forms: a superset of `pattern`'s matches,
    # cheap to run over every answer, so the exact pattern only runs on the few candidates.
    prefilter: str
    # `pattern` for RE2, exact on text made only of ASCII and the characters of etl/safetext.py (None
    # when a keyword has a character outside them): such text needs no Python regex at all.
    plain_pattern: str | None = None


def mutations(word: str) -> set[str]:
    """The word and its Welsh initial mutations (and h- before a vowel, as after 'ei' her, 'ein' our)."""
    word = word.lower()
    forms = {word}
    if word.startswith(UNMUTATED_DIGRAPHS):
        return forms
    if word[:1] in VOWELS:
        return forms | ({"h" + word} if len(word) + 1 >= MIN_MUTATED_LENGTH else set())
    for radical, mutated in MUTATIONS.items():
        if word.startswith(radical):
            rest = word[len(radical):]
            return forms | {m + rest for m in mutated if len(m + rest) >= MIN_MUTATED_LENGTH}
    return forms


def _word_forms(keyword: str, welsh: bool) -> list[list[str]]:
    words = keyword.rstrip("*").lower().split()
    return [sorted(mutations(w), key=len, reverse=True) if welsh else [w] for w in words]


def keyword_regex(keyword: str, welsh: bool) -> str:
    """Whole words, flexible spacing, a trailing * for any ending; every Welsh word in each of its mutations."""
    wildcard = keyword.endswith("*")
    body = r"\s+".join("(?:" + "|".join(re.escape(f) for f in word) + ")" for word in _word_forms(keyword, welsh))
    return r"(?<!\w)" + body + (r"\w*" if wildcard else r"(?!\w)")


def plain_keyword_regex(keyword: str, welsh: bool) -> str:
    """keyword_regex for RE2 on safe text: no look-around, so the word boundaries are matched as characters.

    Only whether an answer matches is asked, never where, so consuming the character before and after
    the keyword (or the start and end of the text) finds the same answers; a trailing \\w* changes nothing.
    """
    body = f"[{SPACE_CLASS}]+".join("(?i:" + "|".join(re.escape(f) for f in word) + ")"
                                    for word in _word_forms(keyword, welsh))
    return body if keyword.endswith("*") else body + f"(?:[^{WORD_CLASS}]|$)"


def _keywords(entry: dict) -> list[tuple[str, bool]]:
    return [(k, False) for k in entry.get("keywords_en", [])] + [(k, True) for k in entry.get("keywords_cy", [])]


def _first_word_forms(keyword: str, welsh: bool) -> set[str]:
    first = keyword.rstrip("*").lower().split()[0]
    return mutations(first) if welsh else {first}


def load_codebook(path: Path | str = CODEBOOK_PATH) -> list[Theme]:
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    themes = []
    for entry in data["themes"]:
        parts = [keyword_regex(k, welsh=False) for k in entry.get("keywords_en", [])]
        parts += [keyword_regex(k, welsh=True) for k in entry.get("keywords_cy", [])]
        if not parts:
            raise ValueError(f"{path}: theme '{entry['id']}' has no keywords")
        first_words = sorted({form for keyword, welsh in _keywords(entry)
                              for form in _first_word_forms(keyword, welsh)}, key=len, reverse=True)
        plain = None
        if all(is_safe(form) for keyword, welsh in _keywords(entry) for word in _word_forms(keyword, welsh)
               for form in word):
            plain = f"(?:^|[^{WORD_CLASS}])(?:" + "|".join(plain_keyword_regex(k, w) for k, w in _keywords(entry)) + ")"
        themes.append(Theme(entry["id"], entry["label_en"], entry["label_cy"],
                            re.compile("|".join(parts), re.IGNORECASE),
                            "(?i)" + "|".join(re.escape(f) for f in first_words), plain))
    return themes


def _normalised(values: pa.Array) -> pa.Array:
    """NFC, and a typographic apostrophe as a plain one (ASCII text needs neither)."""
    fixed = pd.Series(values.to_pylist(), dtype="string").str.normalize("NFC").str.replace("’", "'", regex=False)
    return pa.array(fixed.to_numpy(dtype=object, na_value=None), type=pa.large_string())


def tag(text: pd.Series, codebook: list[Theme]) -> pd.DataFrame:
    """One boolean column per theme (either language's keywords count: people mix languages).

    Each distinct text is matched once: campaigns and short common answers repeat.
    """
    codes, distinct = pd.factorize(text.array)
    # Taken theme by theme, each theme's column is one contiguous row of the frame's single block.
    return pd.DataFrame(tag_distinct(distinct, codebook)[:, codes].T, columns=[t.id for t in codebook],
                        index=text.index)


def tag_distinct(distinct: ExtensionArray, codebook: list[Theme]) -> np.ndarray:
    """tag() for distinct texts: a themes x (texts + 1) array, whose last column (all False) is a missing text's.

    Text made only of ASCII and the safe letters and symbols (nearly all of it) is matched by the RE2
    form of each theme's pattern; the rest by an RE2 prefilter and then Python's regex on the candidates
    it finds.
    """
    values = _large_strings(pd.Series(distinct))
    ascii = pc.fill_null(pc.string_is_ascii(values), True).to_numpy(zero_copy_only=False)
    rest = np.flatnonzero(~ascii)
    normal = _normalised(values.filter(pa.array(~ascii)))
    safe = safe_mask(normal)
    # ASCII text (most answers) is already normal, and safe: it is matched as it is.
    plain = [(np.flatnonzero(ascii), values.filter(pa.array(ascii))), (rest[safe], normal.filter(pa.array(safe)))]
    unsafe_rows, unsafe = rest[~safe], normal.filter(pa.array(~safe))
    hits = np.zeros((len(codebook), len(values) + 1), dtype=bool)
    for found, theme in zip(hits, codebook):
        for rows, text in plain:
            found[rows] = _plain_matches(text, theme)
        found[unsafe_rows] = _prefiltered(unsafe, theme)
    return hits


def _plain_matches(values: pa.Array, theme: Theme) -> np.ndarray:
    """The theme's matches among safe values: by its RE2 pattern, where it has one."""
    if theme.plain_pattern is None:
        return _prefiltered(values, theme)
    return pc.fill_null(pc.match_substring_regex(values, theme.plain_pattern), False).to_numpy(zero_copy_only=False)


def _prefiltered(values: pa.Array, theme: Theme) -> np.ndarray:
    """The exact pattern in Python's regex, only on the values that the RE2 prefilter finds."""
    hits = pc.fill_null(pc.match_substring_regex(values, theme.prefilter), False).to_numpy(zero_copy_only=False)
    candidates = np.flatnonzero(hits)
    found = pd.Series(values.take(pa.array(candidates)).to_pylist(), dtype="object").str.contains(theme.pattern)
    hits[:] = False
    hits[candidates[found.to_numpy(dtype=bool)]] = True
    return hits


def _large_strings(text: pd.Series) -> pa.Array:
    values = pa.array(text.astype("string"), type=pa.large_string(), from_pandas=True)
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def themed_questions(survey: Survey) -> list[str]:
    """The questions whose answers are themed (see themed_columns), in the survey's order."""
    return [q.id for q in survey.questions if q.type == "textarea" or q.other]


def themed_columns(survey: Survey) -> set[str]:
    """Long answers and 'other, please say' text; short answers such as the nearest town are not opinions."""
    columns = {q.id for q in survey.questions if q.type == "textarea"}
    return columns | {q.other_column for q in survey.questions if q.other}


def mark_campaign_text(members: pd.DataFrame, text: np.ndarray, distinct: ExtensionArray) -> np.ndarray:
    """True for the campaign's own pasted text: the commonest text (after normalising) among its members.

    members: the campaign_id and column of campaign members' answers; text: each answer's position
    among the distinct texts (-1: missing). A campaign member's other answers are their own words and
    are counted like anyone else's. Ties go to the first (column, text key) in sorted order. Each
    distinct text is normalised once.
    """
    marked = np.zeros(len(members), dtype=bool)
    if not len(members):
        return marked
    texts, used = pd.factorize(text)
    # A missing text (-1) has a missing key, so it is in no group.
    keys = _sorted_codes(campaign_key(pd.Series(distinct.take(used, allow_fill=True))))
    codes = [_sorted_codes(members["campaign_id"]), _sorted_codes(members["column"]), keys[texts]]
    counted = (codes[0] >= 0) & (codes[1] >= 0) & (codes[2] >= 0)
    # One integer per (campaign, column, key) in sorted order: the order of groupby's groups.
    group = np.ravel_multi_index(tuple(c[counted] for c in codes), tuple(int(c.max()) + 1 for c in codes))
    groups, inverse = np.unique(group, return_inverse=True)
    sizes = np.bincount(inverse)
    campaign = codes[0][counted][np.unique(inverse, return_index=True)[1]]
    # The largest group of each campaign; among equal sizes, the first in sorted order.
    ranked = np.lexsort((np.arange(len(groups)), -sizes, campaign))
    top = ranked[np.concatenate([[True], campaign[ranked][1:] != campaign[ranked][:-1]])]
    is_top = np.zeros(len(groups), dtype=bool)
    is_top[top] = True
    marked[counted] = is_top[inverse]
    return marked


def _sorted_codes(values: pd.Series) -> np.ndarray:
    """Integer codes that sort as the values do (-1 for missing)."""
    return np.asarray(pd.factorize(values, sort=True)[0], dtype=np.int64)


UNIT_COLUMNS = ["survey_id", "response_id", "question_id", "language", "respondent_group", "campaign_id"]


def answer_units(free_text: pd.DataFrame, survey: Survey, text: np.ndarray, distinct: ExtensionArray) -> pd.DataFrame:
    """The answers to theme: everyone's own text, plus each campaign's text once, with its size.

    text: each answer's position among the distinct texts (-1: missing), carried by the units as
    text_code, so that no answer's text is copied. The rows are chosen and ordered on the id columns
    first, and only the columns the theme tables show are copied, once, in that order.
    """
    themed = free_text["column"].isin(themed_columns(survey)).to_numpy(dtype=bool)
    # The campaign's text is found among all its members' answers: a campaign pasted into a column
    # that is not themed (a long "nearest town") has no text to theme, and its members' themed
    # answers are their own words, not a campaign of one.
    members = np.flatnonzero(free_text["campaign_id"].notna().to_numpy(dtype=bool))
    response_id = free_text["response_id"].to_numpy()
    campaign = np.zeros(len(free_text), dtype=bool)
    campaign[members] = mark_campaign_text(free_text[["campaign_id", "column"]].take(members), text[members],
                                           distinct)
    campaign &= themed
    campaign_size = np.ones(len(free_text), dtype=np.int64)
    keep = themed & ~campaign
    marked = np.flatnonzero(campaign)
    unit_text = text
    if len(marked):
        # One row per campaign: its first response stands for it (group and language included).
        groups = _combined_codes(free_text["campaign_id"].take(marked), free_text["column"].take(marked))
        sizes = np.bincount(groups)
        first = np.lexsort((response_id[marked], groups))
        starts = first[np.concatenate([[True], groups[first][1:] != groups[first][:-1]])]
        keep[marked[starts]] = True
        campaign_size[marked[starts]] = sizes[groups[starts]]
        # ... with the campaign's text as most of its members wrote it, not as its first member did.
        unit_text = text.copy()
        unit_text[marked[starts]] = campaign_representatives(groups, text[marked], distinct)[groups[starts]]
    rows = np.flatnonzero(keep)
    rows = rows[np.lexsort((response_id[rows], _sorted_codes(free_text["question_id"])[rows]))]
    units = free_text[UNIT_COLUMNS].take(rows).reset_index(drop=True)
    units["text_code"] = unit_text[rows]
    units["campaign_size"] = campaign_size[rows]
    units["is_campaign"] = campaign[rows]
    return units


def campaign_representatives(groups: np.ndarray, text: np.ndarray, distinct: ExtensionArray) -> np.ndarray:
    """Per campaign (groups: each member's campaign, from 0), the member's text that stands for it.

    Members paste the same text with changes of case, spacing or punctuation. The one shown is the
    commonest once spacing is evened out (see even_spacing), preferring any not written in capitals
    throughout; among equals, the one listed first. text: each member's position among the distinct texts.
    """
    used, variant = np.unique(text, return_inverse=True)
    variants = pd.Series(distinct.take(used), dtype=object).astype(str)
    form = np.asarray(pd.factorize(even_spacing(variants))[0], dtype=np.int64)[variant]
    shouting = ((variants.str.upper() == variants) & (variants.str.lower() != variants)).to_numpy(dtype=bool)[variant]
    pair = groups.astype(np.int64) * (int(form.max()) + 1) + form
    _, pair_code, pair_size = np.unique(pair, return_inverse=True, return_counts=True)
    order = np.lexsort((np.arange(len(text)), -pair_size[pair_code], shouting, groups))
    first = order[np.concatenate([[True], groups[order][1:] != groups[order][:-1]])]
    chosen = np.empty(int(groups.max()) + 1, dtype=text.dtype)
    chosen[groups[first]] = text[first]
    return chosen


def even_spacing(texts: pd.Series) -> pd.Series:
    """Runs of spaces, tabs and line breaks as one space, and none at either end."""
    return texts.str.replace(r"\s+", " ", regex=True).str.strip()


def _combined_codes(*keys: pd.Series) -> np.ndarray:
    """One integer from 0 per distinct combination of the keys (none of them missing)."""
    codes = [np.asarray(pd.factorize(key)[0], dtype=np.int64) for key in keys]
    return np.unique(np.ravel_multi_index(codes, tuple(int(c.max()) + 1 for c in codes)), return_inverse=True)[1]


@dataclass
class ThemeTables:
    counts: pd.DataFrame      # free_text_themes
    examples: pd.DataFrame    # theme_examples
    campaigns: pd.DataFrame   # free_text_campaigns


def theme_tables(free_text: pd.DataFrame, survey: Survey, codebook: list[Theme]) -> ThemeTables:
    # Each answer's text as its position among the distinct texts: tagged once each, never copied.
    text, distinct = pd.factorize(free_text["text"].array)
    # RE2 lets go of the GIL, so the distinct texts are tagged on a second core while the units are chosen.
    with ThreadPoolExecutor(max_workers=1) as pool:
        hits = pool.submit(tag_distinct, distinct, codebook)
        units = answer_units(free_text, survey, text, distinct)
        tags = unit_themes(hits.result(), units["text_code"].to_numpy(), codebook)
    return ThemeTables(theme_counts(units, tags, survey, codebook),
                       theme_examples(units, tags, distinct, survey, codebook),
                       campaign_table(units, tags, distinct, survey, codebook))


@dataclass(frozen=True)
class UnitThemes:
    """Each unit's themes, as the combination of themes its text has: a few combinations serve every answer."""
    ids: pd.Index               # the codebook's themes, then UNTAGGED
    combinations: np.ndarray    # combination x theme: True where the combination has the theme
    combination: np.ndarray     # each unit's combination


def unit_themes(hits: np.ndarray, text: np.ndarray, codebook: list[Theme]) -> UnitThemes:
    """The units' themes from tag_distinct's array and each unit's position among the distinct texts (-1: missing)."""
    found = np.vstack([hits, ~hits.any(axis=0)])
    # Each text's themes packed into bytes, so the distinct combinations are found by one flat np.unique.
    packed = np.ascontiguousarray(np.packbits(found, axis=0).T)
    keys, of_text = np.unique(packed.view(f"V{packed.shape[1]}").ravel(), return_inverse=True)
    combinations = np.unpackbits(keys.view(np.uint8).reshape(len(keys), -1), axis=1, count=len(found)).astype(bool)
    return UnitThemes(pd.Index([t.id for t in codebook] + [UNTAGGED]), combinations, of_text.reshape(-1)[text])


def _texts(distinct: ExtensionArray, codes: pd.Series) -> pd.Series:
    """The texts at these positions among the distinct texts (-1: missing), in the distinct texts' dtype."""
    return pd.Series(distinct.take(codes.to_numpy(), allow_fill=True), index=codes.index)


def _labels(codebook: list[Theme]) -> pd.DataFrame:
    rows = [(t.id, t.label_en, t.label_cy) for t in codebook] + [(UNTAGGED, *UNTAGGED_LABELS)]
    return pd.DataFrame(rows, columns=["theme_id", "label_en", "label_cy"])


def theme_counts(units: pd.DataFrame, tags: UnitThemes, survey: Survey, codebook: list[Theme]) -> pd.DataFrame:
    """Answers per question x theme x group x language, with an all/all total row for each question x theme.

    `answers` counts each campaign once; `campaign_responses` is how many
    responses stand behind the campaigns counted in that cell. Every themed question has a total row
    for every theme of the codebook and for untagged answers, zero where none was found, so that what
    nobody mentioned shows too.
    """
    keys = ["question_id", "theme_id", "respondent_group", "language"]
    cells = _tagged_cells(units, tags)
    sums = {"answers": ("answers", "sum"), "campaign_responses": ("campaign_responses", "sum")}
    totals = cells.groupby(keys[:2]).agg(**sums)
    every = pd.MultiIndex.from_product([themed_questions(survey), list(tags.ids)], names=keys[:2])
    totals = totals.reindex(every.append(totals.index).unique(), fill_value=0)
    cells = cells.groupby(keys).agg(**sums)
    totals = totals.reset_index().assign(respondent_group=ALL, language=ALL)
    table = pd.concat([totals, cells.reset_index()], ignore_index=True)[keys + ["answers", "campaign_responses"]]
    table = table.merge(_labels(codebook), on="theme_id", how="left")
    order = _order(survey, codebook)
    table = table.assign(_q=table["question_id"].map(order[0]), _t=table["theme_id"].map(order[1]),
                         _all=table["respondent_group"] != ALL)
    table = table.sort_values(["_q", "_t", "_all", "respondent_group", "language"], ignore_index=True)
    table = table.drop(columns=["_q", "_t", "_all"]).astype({"answers": "int64", "campaign_responses": "int64"})
    table.insert(0, "survey_id", survey.slug)
    return table[["survey_id", "question_id", "theme_id", "label_en", "label_cy", "respondent_group", "language",
                  "answers", "campaign_responses"]]


def _tagged_cells(units: pd.DataFrame, tags: UnitThemes) -> pd.DataFrame:
    """One row per theme x question x group x language with a tagged answer: answers and campaign responses.

    Counted with one bincount over the cells' and theme combinations' integer codes, then summed over
    the combinations that have each theme, rather than a long frame of every answer x theme; each
    cell's keys are copied from one of its answers, so they keep the units' dtypes.
    """
    keys = pd.DataFrame({"question_id": units["question_id"],
                         "respondent_group": units["respondent_group"].fillna("unknown"),
                         "language": units["language"].fillna("unknown")})
    codes = [np.asarray(pd.factorize(keys[column])[0], dtype=np.int64) for column in keys]
    shape = tuple(int(c.max()) + 2 for c in codes) if len(keys) else (1, 1, 1)
    cell = np.ravel_multi_index(tuple(c + 1 for c in codes), shape)
    cells = int(np.prod(shape))
    example = np.zeros(cells, dtype=np.int64)
    example[cell[::-1]] = np.arange(len(cell))[::-1]
    responses = np.where(units["is_campaign"].to_numpy(dtype=bool), units["campaign_size"].to_numpy(dtype=np.int64), 0)
    combined = cell * len(tags.combinations) + tags.combination
    size = cells * len(tags.combinations)
    has = tags.combinations.astype(np.int64)
    all_counts = np.bincount(combined, minlength=size).reshape(cells, -1) @ has
    all_behind = np.bincount(combined, weights=responses, minlength=size).reshape(cells, -1) @ has
    theme, found, answers, campaign_responses = [], [], [], []
    for position in range(len(tags.ids)):
        counts, behind = all_counts[:, position], all_behind[:, position]
        present = np.flatnonzero(counts)
        theme.append(np.full(len(present), position))
        found.append(present)
        answers.append(counts[present])
        campaign_responses.append(behind[present].astype(np.int64))
    found = example[np.concatenate(found)] if found else np.zeros(0, dtype=np.int64)
    table = keys.take(found).reset_index(drop=True)
    table.insert(1, "theme_id", tags.ids.take(np.concatenate(theme) if theme else np.zeros(0, dtype=np.int64)))
    table["answers"] = np.concatenate(answers) if answers else np.zeros(0, dtype=np.int64)
    table["campaign_responses"] = (np.concatenate(campaign_responses) if campaign_responses
                                   else np.zeros(0, dtype=np.int64))
    return table


def _order(survey: Survey, codebook: list[Theme]) -> tuple[dict, dict]:
    questions = {q.id: i for i, q in enumerate(survey.questions)}
    themes = {t.id: i for i, t in enumerate(codebook)} | {UNTAGGED: len(codebook)}
    return questions, themes


def theme_examples(units: pd.DataFrame, tags: UnitThemes, distinct: ExtensionArray, survey: Survey,
                   codebook: list[Theme], per_theme: int = EXAMPLES_PER_THEME) -> pd.DataFrame:
    """A few redacted quotes per theme, across questions, in both languages where there are any.

    People's own words come before campaign text, then longer answers (more to
    read) before shorter; ties go to the lower response id, so re-runs agree.
    """
    long = _example_candidates(units, tags, distinct, per_theme)
    long = long.join(units.reset_index(drop=True), on="_row")
    long["text"] = _texts(distinct, long["text_code"])
    long["text"] = long["text"].where(~long["is_campaign"].astype(bool), even_spacing(long["text"]))
    long = long.assign(_len=-long["text"].str.len())
    long = long.sort_values(["theme_id", "is_campaign", "_len", "response_id"])
    long["_lang_rank"] = long.groupby(["theme_id", "language"]).cumcount()
    # Alternate languages so a Welsh quote is shown whenever the theme has one.
    long = long.sort_values(["theme_id", "_lang_rank", "language"], kind="stable")
    picked = long.groupby("theme_id").head(per_theme)
    picked = picked.merge(_labels(codebook), on="theme_id", how="left")
    order = _order(survey, codebook)[1]
    picked = picked.assign(_t=picked["theme_id"].map(order)).sort_values(["_t", "_lang_rank", "language"])
    return picked[["survey_id", "theme_id", "label_en", "label_cy", "question_id", "language", "respondent_group",
                   "response_id", "is_campaign", "text"]].reset_index(drop=True)


def _example_candidates(units: pd.DataFrame, tags: UnitThemes, distinct: ExtensionArray,
                        per_theme: int) -> pd.DataFrame:
    """(_row, theme_id, tagged) for the answers that could be picked as a theme's examples, theme by theme.

    Only the first per_theme answers of each theme x language, in the order quotes are chosen, can be
    picked: any later one has per_theme answers of its own language before it. Keeping just those makes
    the sort and join over every tagged answer a sort of a few dozen rows.
    """
    lengths = pd.Series(distinct).str.len().to_numpy(dtype=float, na_value=np.nan)
    length = np.append(lengths, np.nan)[units["text_code"].to_numpy()]
    shorter = np.where(np.isnan(length), np.inf, -length)
    # A stable sort: ties in all three keys stay in the units' order.
    ranked = np.lexsort((units["response_id"].to_numpy(), shorter, units["is_campaign"].to_numpy(dtype=bool)))
    language, _ = pd.factorize(units["language"])
    kept, theme = [], []
    combination = tags.combination[ranked]
    for position in range(len(tags.ids)):
        candidates = ranked[tags.combinations[:, position][combination]]
        first = np.concatenate([np.flatnonzero(language[candidates] == code)[:per_theme]
                                for code in np.unique(language[candidates])] or [np.zeros(0, dtype=np.int64)])
        kept.append(np.sort(candidates[first]))
        theme.append(np.full(len(first), position))
    kept = np.concatenate(kept) if kept else np.zeros(0, dtype=np.int64)
    theme = np.concatenate(theme) if theme else np.zeros(0, dtype=np.int64)
    return pd.DataFrame({"_row": kept, "theme_id": tags.ids.take(theme), "tagged": True},
                        index=np.arange(len(kept)))


def campaign_table(units: pd.DataFrame, tags: UnitThemes, distinct: ExtensionArray, survey: Survey,
                   codebook: list[Theme]) -> pd.DataFrame:
    """Each campaign once: the question, how many responses pasted its text, its themes and the text."""
    campaigns = units[units["is_campaign"]]
    labels = {t.id: t.label_en for t in codebook} | {UNTAGGED: UNTAGGED_LABELS[0]}
    # Each combination of themes is written once.
    names = np.array(["; ".join(labels[t] for t, on in zip(tags.ids, row) if on) for row in tags.combinations],
                     dtype=object)
    themes = pd.Series(names[tags.combination[campaigns.index]], index=campaigns.index, dtype=object)
    table = pd.DataFrame({
        "survey_id": survey.slug, "campaign_id": campaigns["campaign_id"], "question_id": campaigns["question_id"],
        "language": campaigns["language"], "campaign_size": campaigns["campaign_size"].astype("int64"),
        "themes": themes.astype("string") if len(campaigns) else pd.Series(dtype="string"),
        "text": even_spacing(_texts(distinct, campaigns["text_code"])),
    })
    return table.sort_values("campaign_id", ignore_index=True)
