"""Summary tables over the deduplicated responses."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from survey_app.definition import SURVEY_TIMEZONE, Question, Survey

from .answers import option_ticked
from .clean import shown_mask, submitted_times
from .cores import available_cores
from .labels import welsh_label
from .redact import redact_values
from .wording import WORDS

SUMMARY_COLUMNS = ["survey_id", "question_id", "question_type", "option_code", "label_en", "label_cy",
                   "count", "base", "percent"]
ANSWERED_CODE = "answered"
ANSWERED_LABEL, ANSWERED_LABEL_CY = WORDS["en"]["answered"], WORDS["cy"]["answered"]
UNKNOWN = "unknown"


def question_summary(frame: pd.DataFrame, survey: Survey, welsh: dict[str, str]) -> pd.DataFrame:
    """Every option of every closed question (and an 'answered' row for open ones), counted over the base.

    The base is the respondents who were asked the question and answered it, so
    multiple-choice percents are of respondents, not of ticks.
    """
    return summaries(frame, survey, welsh, [None])[0]


def summary_by(frame: pd.DataFrame, survey: Survey, welsh: dict[str, str], column: str,
               categories: list[str], name: str) -> pd.DataFrame:
    """The same figures broken down by one column; missing values form the group 'unknown'."""
    return summaries(frame, survey, welsh, [(column, categories, name)])[0]


def summaries(frame: pd.DataFrame, survey: Survey, welsh: dict[str, str],
              breakdowns: list[tuple[str, list[str], str] | None], types: tuple[str, ...] | None = None
              ) -> list[pd.DataFrame]:
    """question_summary (for None) and summary_by (for column, categories, name) tables in one pass.

    Each question's answers are coded once for all the breakdowns; `types` keeps only those question types.
    """
    keys = []
    for breakdown in breakdowns:
        if breakdown is None:
            keys.append((np.zeros(len(frame), dtype=np.int64), [0]))
        else:
            column, categories, _ = breakdown
            keys.append((breakdown_codes(frame[column], categories), categories + [UNKNOWN]))
    tables = _summarise(frame, survey, welsh, keys, types)
    out = []
    for breakdown, table in zip(breakdowns, tables):
        if breakdown is None:
            out.append(table.drop(columns="breakdown"))
        else:
            name = breakdown[2]
            out.append(table.rename(columns={"breakdown": name})[["survey_id", name] + SUMMARY_COLUMNS[1:]])
    return out


def group_categories(survey: Survey) -> list[str]:
    return list(survey.question("respondent_group").option_codes)


def area_categories(survey: Survey) -> list[str]:
    return [c for c in survey.question("local_authority").option_codes if c != "prefer_not"]


def breakdown_codes(values: pd.Series, categories: list[str]) -> np.ndarray:
    """Each row's position in categories + ['unknown']: a missing value is 'unknown', and a value that is
    none of them -1 (the codes of pd.Categorical(values as text, filled with 'unknown', categories=...)).

    The values are turned into text and compared once per distinct value rather than once per row.
    """
    codes, uniques = pd.factorize(values)
    known = pd.Index(categories + [UNKNOWN]).get_indexer(pd.Index(uniques).astype("string"))
    return np.append(known, len(categories)).astype(np.int64)[codes]


def option_codes(values: pd.Series, options: list[str]) -> np.ndarray:
    """Each row's position among the options, -1 for a missing value or one that is not an option
    (the codes of pd.Categorical(values, categories=options)), matched once per distinct value."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes, uniques = values.cat.codes.to_numpy(), values.cat.categories
    else:
        codes, uniques = pd.factorize(values)
    lookup = np.append(pd.Index(options).get_indexer(uniques), -1).astype(np.int64)
    return lookup[codes]


def ticked_answers(values: pd.Series, options: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Each row's distinct multiple-choice answer (-1 where missing), and which options each one ticks.

    etl.answers.option_ticked, run once per distinct answer (JSON list text) rather than once per row.
    """
    codes, uniques = pd.factorize(values)
    distinct = pd.Series(uniques, dtype=object)
    ticks = np.zeros((len(distinct), len(options)), dtype=bool)
    for i, code in enumerate(options):
        ticks[:, i] = option_ticked(distinct, code).to_numpy(dtype=bool)
    return codes.astype(np.int64), ticks


def _summarise(frame: pd.DataFrame, survey: Survey, welsh: dict[str, str], keys: list[tuple[np.ndarray, list]],
               types: tuple[str, ...] | None = None) -> list[pd.DataFrame]:
    """The summary rows of every question (of these types), breakdown by breakdown, option by option.

    Each key holds every row's breakdown as a position in its categories (-1: counted in none). Every
    figure is a bincount over integer codes; each table is assembled once at the end.
    """
    questions = [q for q in survey.questions if types is None or q.type in types]
    parts = [[] for _ in keys]
    for q in questions:
        codes = list(q.option_codes) if q.is_closed else [ANSWERED_CODE]
        labels = [q.option_label(c) for c in codes] if q.is_closed else [ANSWERED_LABEL]
        for part, (counts, base) in zip(parts, _counts(frame, survey, q, keys)):
            part.append((q, codes, labels, counts, base))
    return [_table(part, categories, survey, welsh) for part, (_, categories) in zip(parts, keys)]


def _table(parts: list, categories: list, survey: Survey, welsh: dict[str, str]) -> pd.DataFrame:
    size = len(categories)
    breakdown = np.concatenate([np.repeat(np.arange(size), len(codes)) for _, codes, _, _, _ in parts]
                               ) if parts else np.zeros(0, dtype=np.int64)
    label_en = [label for _, _, labels, _, _ in parts for _ in categories for label in labels]
    table = pd.DataFrame({
        "breakdown": pd.array(pd.Index([str(c) for c in categories]).take(breakdown), dtype="string"),
        "question_id": [q.id for q, codes, _, _, _ in parts for _ in range(size * len(codes))],
        "question_type": [q.type for q, codes, _, _, _ in parts for _ in range(size * len(codes))],
        "option_code": [c for _, codes, _, _, _ in parts for _ in categories for c in codes],
        "label_en": label_en,
        "label_cy": pd.Series([welsh_label(welsh, label, q.option_context) if q.is_closed else ANSWERED_LABEL_CY
                               for q, _, labels, _, _ in parts for _ in categories for label in labels], dtype="str"),
        "count": np.concatenate([counts.reshape(-1) for *_, counts, _ in parts] or [[]]).astype(np.int64),
        "base": np.concatenate([np.repeat(base, len(codes)) for _, codes, _, _, base in parts] or [[]]
                               ).astype(np.int64),
    })
    table["percent"] = (100 * table["count"] / table["base"].where(table["base"] > 0)).round(2)
    table.insert(0, "survey_id", survey.slug)
    return table[["survey_id", "breakdown"] + SUMMARY_COLUMNS[1:]]


def _by_key(key: np.ndarray, size: int, mask: np.ndarray | None = None) -> np.ndarray:
    """How many rows (where mask holds) fall in each breakdown."""
    counted = key >= 0 if mask is None else (key >= 0) & mask
    return np.bincount(key[counted], minlength=size)


def _cross(key: np.ndarray, size: int, codes: np.ndarray, options: int) -> np.ndarray:
    """breakdown x code counts of two integer codes (-1 in either: not counted).

    One bincount over (key + 1, code + 1), whose first row and column (the -1s) are dropped.
    """
    cells = np.bincount((key + 1) * (options + 1) + (codes + 1), minlength=(size + 1) * (options + 1))
    return cells.reshape(size + 1, options + 1)[1:, 1:]


def _counts(frame: pd.DataFrame, survey: Survey, q: Question, keys: list[tuple[np.ndarray, list]]
            ) -> list[tuple[np.ndarray, np.ndarray]]:
    """(breakdown x option counts, base per breakdown) for one question, for each key."""
    if q.type in ("single", "likert"):
        # The base is everyone whose answer is one of the options: the row totals.
        codes = option_codes(frame[q.id], list(q.option_codes))
        crossed = [_cross(key, len(c), codes, len(q.option_codes)) for key, c in keys]
        return [(counts, counts.sum(axis=1)) for counts in crossed]
    if q.type == "multiple":
        # Counts by distinct answer, then by option through each answer's ticks; the base is everyone
        # who gave an answer (the row totals by answer).
        answers, ticks = ticked_answers(frame[q.id], list(q.option_codes))
        crossed = [_cross(key, len(c), answers, len(ticks)) for key, c in keys]
        return [(by_answer @ ticks.astype(np.int64), by_answer.sum(axis=1)) for by_answer in crossed]
    answered = (frame["email_key"].notna() if q.personal else frame[q.id].notna()).to_numpy(dtype=bool)
    section = survey.section(q.section_id)
    asked = shown_mask(frame, survey, section.show_if.question, section.show_if.any_of).to_numpy(dtype=bool) \
        if section.show_if else None
    return [(_by_key(key, len(c), answered).reshape(len(c), 1), _by_key(key, len(c), asked)) for key, c in keys]


def free_text_columns(survey: Survey) -> list[tuple[str, str]]:
    """(stored column, question id) for every free-text answer, including 'other, please say' text."""
    columns = []
    for q in survey.questions:
        if q.is_free_text:
            columns.append((q.id, q.id))
        if q.other:
            columns.append((q.other_column, q.id))
    return columns


def free_text(frame: pd.DataFrame, survey: Survey) -> pd.DataFrame:
    """Every free-text answer, one row each, with contact details redacted.

    Each column's answers are taken as they are and redacted in place: one pass of RE2 finds the
    few that may hold contact details (hashing every answer to redact each distinct one once would
    cost more than that pass, as nearly all of them are different), and only those are rewritten.
    Column by column, a column on each core (RE2 lets go of the GIL), so that only those columns'
    answers are ever held twice.
    """
    columns = free_text_columns(survey)
    with ThreadPoolExecutor(max_workers=available_cores()) as pool:
        answers = list(pool.map(_redacted_answers, [frame[column] for column, _ in columns]))
    rows = [answered for answered, _ in answers]
    chunks = [chunk for _, text in answers for chunk in text.chunks]
    counts = [len(r) for r in rows]
    answered = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    names = pa.array([q for _, q in columns] + [c for c, _ in columns], type=pa.string())
    which = np.repeat(np.arange(len(columns)), counts)
    table = pd.DataFrame({
        "response_id": frame["id"].astype("int64").to_numpy()[answered],
        "question_id": pd.array(names.take(pa.array(which)), dtype="str"),
        "column": pd.array(names.take(pa.array(which + len(columns))), dtype="str"),
        "language": _strings_at(frame["language"], answered),
        "respondent_group": _strings_at(frame["respondent_group"], answered),
        "area": _strings_at(frame["area"], answered),
        "campaign_id": frame["campaign_id"].take(answered).array,
        "text": pd.array(pa.chunked_array(chunks, type=pa.large_string()), dtype="string"),
    })
    table.insert(0, "survey_id", survey.slug)
    return table


def _redacted_answers(values: pd.Series) -> tuple[np.ndarray, pa.ChunkedArray]:
    """A text column's answered rows, and their answers with contact details redacted."""
    values = pa.array(values.astype("string"), type=pa.large_string(), from_pandas=True)
    answers = redact_values(pc.drop_null(values))
    return (np.flatnonzero(pc.is_valid(values).to_numpy(zero_copy_only=False)),
            answers if isinstance(answers, pa.ChunkedArray) else pa.chunked_array([answers]))


def _strings_at(values: pd.Series, rows: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """values.take(rows).astype("string"), with a categorical's few categories converted, not every row."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()[rows]
        categories = pa.array(values.cat.categories.astype("string"), type=pa.large_string(), from_pandas=True)
        return pd.array(categories.take(pa.array(codes, mask=codes < 0)), dtype="string")
    return values.take(rows).astype("string").array


def response_volume(frame: pd.DataFrame, survey: Survey) -> pd.DataFrame:
    """Responses per day (survey time zone) by language, link token and the link's organisation."""
    submitted = submitted_times(frame["submitted_at"])   # a time it cannot read was quarantined by the cleaning
    # The local day of each response, written out once per distinct day.
    local = submitted.dt.tz_convert(SURVEY_TIMEZONE).dt.tz_localize(None).dt.normalize()
    day_codes, days = pd.factorize(local)
    written = np.append(np.asarray(pd.DatetimeIndex(days).strftime("%Y-%m-%d"), dtype=object), np.nan)
    keys = pd.DataFrame({
        "day": pd.Series(written[day_codes], index=frame.index).astype("str"),
        "language": frame["language"].astype("string"),
        "link_token": frame["link_token"].astype("string"),
        "organisation": frame["link_organisation"].astype("string"),
    })
    table = keys.groupby(list(keys.columns), dropna=False).size().rename("responses").reset_index()
    table = table.sort_values(["day", "language", "link_token"], na_position="first", ignore_index=True)
    table.insert(0, "survey_id", survey.slug)
    return table
