"""Who responded: deduplicated respondents by group, area, language and channel."""
from __future__ import annotations

import pandas as pd

from survey_app.definition import Survey

from .aggregate import UNKNOWN, area_categories, group_categories
from .labels import welsh_label

ALL = "all"
DIMENSIONS = ["respondent_group", "local_authority", "language", "channel"]
FIXED_LABELS = {
    ALL: ("All respondents", "Pob ymatebydd"),
    UNKNOWN: ("Not known", "Anhysbys"),
    "cy": ("Welsh", "Cymraeg"),
    "en": ("English", "Saesneg"),
    "direct": ("Direct (no tracked link)", "Yn uniongyrchol (dim dolen wedi'i thracio)"),
    "tracked_link": ("Tracked link (channel not recorded)", "Dolen wedi'i thracio (sianel heb ei chofnodi)"),
}


def channel(frame: pd.DataFrame) -> pd.Series:
    """The link's channel where the app records one, else whether a tracked link was used at all."""
    tracked = frame["link_token"].notna().map({True: "tracked_link", False: "direct"})
    return frame["link_channel"].astype("string").fillna(tracked.astype("string"))


def respondent_profile(frame: pd.DataFrame, survey: Survey, welsh: dict[str, str]) -> pd.DataFrame:
    """One row per dimension x category (an 'all' row first), with respondents and percent of all."""
    values = {
        "respondent_group": (frame["respondent_group"], group_categories(survey)),
        "local_authority": (frame["area"], area_categories(survey)),
        "language": (frame["language"], ["cy", "en"]),
        "channel": (channel(frame), ["direct", "tracked_link"]),
    }
    parts = []
    for dimension, (series, categories) in values.items():
        series = series.astype("string").fillna(UNKNOWN)
        counts = series.value_counts()
        order = [ALL] + categories + sorted(set(counts.index) - set(categories) - {UNKNOWN}) + [UNKNOWN]
        counts = pd.concat([pd.Series({ALL: len(frame)}), counts]).reindex(order, fill_value=0)
        parts.append(pd.DataFrame({"dimension": dimension, "category": order,
                                   "respondents": counts.to_numpy(dtype="int64")}))
    table = pd.concat(parts, ignore_index=True)
    labels = _labels(survey, welsh)
    table["label_en"] = [labels.get((d, c), FIXED_LABELS.get(c, (c, c)))[0] for d, c in
                         zip(table["dimension"], table["category"])]
    table["label_cy"] = [labels.get((d, c), FIXED_LABELS.get(c, (c, c)))[1] for d, c in
                         zip(table["dimension"], table["category"])]
    table["percent"] = (100 * table["respondents"] / max(len(frame), 1)).round(2)
    table.insert(0, "survey_id", survey.slug)
    return table[["survey_id", "dimension", "category", "label_en", "label_cy", "respondents", "percent"]]


def _labels(survey: Survey, welsh: dict[str, str]) -> dict[tuple[str, str], tuple[str, str]]:
    labels = {}
    for dimension, question_id in (("respondent_group", "respondent_group"), ("local_authority", "local_authority")):
        question = survey.question(question_id)
        for option in question.options:
            labels[(dimension, option.code)] = (
                option.label, welsh_label(welsh, option.label, question.option_context) or option.label)
    return labels
