"""Tag free-text answers with themes from a bilingual codebook, and count them.

Campaign responses (the same text pasted by many people) are counted once as a
campaign, so an organised response is seen at its real weight: one view,
shown with its size in free_text_campaigns.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from survey_app.definition import Survey

from .dedupe import campaign_key

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


def keyword_regex(keyword: str, welsh: bool) -> str:
    """Whole words, flexible spacing, a trailing * for any ending; every Welsh word in each of its mutations."""
    wildcard = keyword.endswith("*")
    words = keyword.rstrip("*").lower().split()
    forms = [sorted(mutations(w), key=len, reverse=True) if welsh else [w] for w in words]
    body = r"\s+".join("(?:" + "|".join(re.escape(f) for f in word) + ")" for word in forms)
    return r"(?<!\w)" + body + (r"\w*" if wildcard else r"(?!\w)")


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
        themes.append(Theme(entry["id"], entry["label_en"], entry["label_cy"],
                            re.compile("|".join(parts), re.IGNORECASE),
                            "(?i)" + "|".join(re.escape(f) for f in first_words)))
    return themes


def tag(text: pd.Series, codebook: list[Theme]) -> pd.DataFrame:
    """One boolean column per theme (either language's keywords count: people mix languages).

    Each distinct text is matched once: campaigns and short common answers repeat, and the
    codebook's large alternations are the slowest part of the review outputs.
    """
    codes, uniques = pd.factorize(text.astype("string"))
    normal = pd.Series(uniques, dtype="string").str.normalize("NFC").str.replace("’", "'", regex=False)
    answered = codes >= 0
    columns = {}
    arrow = pa.array(normal.to_numpy(dtype=object, na_value=None), type=pa.large_string())
    for theme in codebook:
        hits = pc.fill_null(pc.match_substring_regex(arrow, theme.prefilter), False).to_numpy(zero_copy_only=False)
        candidates = np.flatnonzero(hits)
        exact = normal.iloc[candidates].str.contains(theme.pattern).fillna(False).to_numpy(dtype=bool)
        hits[:] = False
        hits[candidates[exact]] = True
        column = np.zeros(len(text), dtype=bool)
        column[answered] = hits[codes[answered]]
        columns[theme.id] = column
    return pd.DataFrame(columns, index=text.index)


def themed_columns(survey: Survey) -> set[str]:
    """Long answers and 'other, please say' text; short answers such as the nearest town are not opinions."""
    columns = {q.id for q in survey.questions if q.type == "textarea"}
    return columns | {q.other_column for q in survey.questions if q.other}


def mark_campaign_text(free_text: pd.DataFrame) -> pd.Series:
    """True for the campaign's own pasted text: the commonest text (after normalising) among its members.

    A campaign member's other answers are their own words and are counted like anyone else's.
    """
    members = free_text[free_text["campaign_id"].notna()]
    keys = pd.DataFrame({"campaign_id": members["campaign_id"], "column": members["column"],
                         "key": campaign_key(members["text"])})
    sizes = keys.groupby(["campaign_id", "column", "key"]).size()
    top = sizes.sort_values(ascending=False, kind="stable").reset_index().drop_duplicates("campaign_id")
    top_keys = set(zip(top["campaign_id"], top["column"], top["key"]))
    marked = pd.Series(False, index=free_text.index)
    marked[members.index] = [k in top_keys for k in zip(keys["campaign_id"], keys["column"], keys["key"])]
    return marked


def answer_units(free_text: pd.DataFrame, survey: Survey) -> pd.DataFrame:
    """The answers to theme: everyone's own text, plus each campaign's text once, with its size."""
    answers = free_text[free_text["column"].isin(themed_columns(survey))].copy()
    campaign = mark_campaign_text(answers)
    answers["campaign_size"] = 1
    sizes = answers[campaign].groupby(["campaign_id", "column"])["response_id"].transform("size")
    answers.loc[campaign, "campaign_size"] = sizes
    answers["is_campaign"] = campaign
    # One row per campaign: its first response stands for it (group and language included).
    answers = answers.sort_values("response_id", kind="stable")
    single = answers[~answers["is_campaign"]]
    once = answers[answers["is_campaign"]].drop_duplicates(["campaign_id", "column"])
    return pd.concat([single, once]).sort_values(["question_id", "response_id"], ignore_index=True)


@dataclass
class ThemeTables:
    counts: pd.DataFrame      # free_text_themes
    examples: pd.DataFrame    # theme_examples
    campaigns: pd.DataFrame   # free_text_campaigns


def theme_tables(free_text: pd.DataFrame, survey: Survey, codebook: list[Theme]) -> ThemeTables:
    units = answer_units(free_text, survey)
    tags = tag(units["text"], codebook)
    tags[UNTAGGED] = ~tags.any(axis=1)
    return ThemeTables(theme_counts(units, tags, survey, codebook), theme_examples(units, tags, survey, codebook),
                       campaign_table(units, tags, survey, codebook))


def _labels(codebook: list[Theme]) -> pd.DataFrame:
    rows = [(t.id, t.label_en, t.label_cy) for t in codebook] + [(UNTAGGED, *UNTAGGED_LABELS)]
    return pd.DataFrame(rows, columns=["theme_id", "label_en", "label_cy"])


def theme_counts(units: pd.DataFrame, tags: pd.DataFrame, survey: Survey, codebook: list[Theme]) -> pd.DataFrame:
    """Answers per question x theme x group x language, with an all/all total row for each question x theme.

    `answers` counts each campaign once; `campaign_responses` is how many
    responses stand behind the campaigns counted in that cell.
    """
    long = tags.assign(question_id=units["question_id"], respondent_group=units["respondent_group"].fillna("unknown"),
                       language=units["language"].fillna("unknown"), campaign_size=units["campaign_size"],
                       is_campaign=units["is_campaign"])
    long = long.melt(id_vars=["question_id", "respondent_group", "language", "campaign_size", "is_campaign"],
                     value_vars=list(tags.columns), var_name="theme_id", value_name="tagged")
    long = long[long["tagged"]]
    long["campaign_responses"] = long["campaign_size"].where(long["is_campaign"], 0)
    keys = ["question_id", "theme_id", "respondent_group", "language"]
    cells = long.groupby(keys).agg(answers=("tagged", "size"), campaign_responses=("campaign_responses", "sum"))
    totals = long.groupby(keys[:2]).agg(answers=("tagged", "size"), campaign_responses=("campaign_responses", "sum"))
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


def _order(survey: Survey, codebook: list[Theme]) -> tuple[dict, dict]:
    questions = {q.id: i for i, q in enumerate(survey.questions)}
    themes = {t.id: i for i, t in enumerate(codebook)} | {UNTAGGED: len(codebook)}
    return questions, themes


def theme_examples(units: pd.DataFrame, tags: pd.DataFrame, survey: Survey, codebook: list[Theme],
                   per_theme: int = EXAMPLES_PER_THEME) -> pd.DataFrame:
    """A few redacted quotes per theme, across questions, in both languages where there are any.

    People's own words come before campaign text, then longer answers (more to
    read) before shorter; ties go to the lower response id, so re-runs agree.
    """
    long = tags.assign(_row=range(len(tags))).melt(id_vars="_row", var_name="theme_id", value_name="tagged")
    long = long[long["tagged"]].join(units.reset_index(drop=True), on="_row")
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


def campaign_table(units: pd.DataFrame, tags: pd.DataFrame, survey: Survey, codebook: list[Theme]) -> pd.DataFrame:
    """Each campaign once: the question, how many responses pasted its text, its themes and the text."""
    campaigns = units[units["is_campaign"]]
    labels = {t.id: t.label_en for t in codebook} | {UNTAGGED: UNTAGGED_LABELS[0]}
    themes = tags.loc[campaigns.index].apply(lambda row: "; ".join(labels[t] for t in row.index[row]), axis=1)
    table = pd.DataFrame({
        "survey_id": survey.slug, "campaign_id": campaigns["campaign_id"], "question_id": campaigns["question_id"],
        "language": campaigns["language"], "campaign_size": campaigns["campaign_size"].astype("int64"),
        "themes": themes.astype("string") if len(campaigns) else pd.Series(dtype="string"),
        "text": campaigns["text"],
    })
    return table.sort_values("campaign_id", ignore_index=True)
