"""The self-contained HTML report (inline CSS and images), in English and in Welsh."""
from __future__ import annotations

import base64
from pathlib import Path

import pandas as pd
from jinja2 import Environment, FileSystemLoader, select_autoescape

from survey_app.definition import Survey

from .crosstab import ALL
from .profile import DIMENSIONS
from .suppression import SuppressionRule
from .themes import UNTAGGED
from .wording import LANGUAGES, words

TEMPLATES = Path(__file__).resolve().parent / "templates"
# The response counts in the order they add up: those received, less each kind set aside, are those analysed;
# campaign responses are some of those analysed.
ACCOUNTING = ["responses_received", "quarantined", "excluded_at_intake", "duplicates_removed", "responses_analysed",
              "campaign_responses"]
ANALYSED = "responses_analysed"


def report_name(language: str) -> str:
    return f"review_report.{language}.html"


def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                       trim_blocks=True, lstrip_blocks=True)


def _label(row, language: str) -> str:
    welsh = row.get("label_cy")
    return welsh if language == "cy" and isinstance(welsh, str) and welsh else row["label_en"]


def _figure(value) -> str:
    """Numbers as the reader expects them; the suppression marker as it is."""
    if isinstance(value, str):
        return value
    if value is None or pd.isna(value):
        return ""
    return f"{value:,.1f}" if isinstance(value, float) and not float(value).is_integer() else f"{value:,.0f}"


def _profile(published: pd.DataFrame, language: str) -> list[dict]:
    w = words(language)
    return [{"title": w[f"dimension_{d}"],
             "rows": [{"label": _label(r, language), "respondents": _figure(r["respondents"]),
                       "percent": _figure(r["percent"])} for _, r in published[published["dimension"] == d].iterrows()]}
            for d in DIMENSIONS]


def _questions(crosstab: pd.DataFrame, survey: Survey, charts: dict[str, bytes], language: str) -> list[dict]:
    overall = crosstab[crosstab["respondent_group"] == ALL]
    sections = []
    for q in survey.questions:
        rows = overall[overall["question_id"] == q.id]
        if rows.empty or q.id not in charts:
            continue
        question = rows.iloc[0]
        label = question["question_cy"] if language == "cy" and isinstance(question["question_cy"], str) \
            else question["question_en"]
        sections.append({
            "id": q.id, "label": label, "chart": base64.b64encode(charts[q.id]).decode("ascii"),
            "base": _figure(question["base"]),
            "rows": [{"label": _label(r, language), "count": _figure(r["count"]), "percent": _figure(r["percent"]),
                      "ci": _ci(r)} for _, r in rows.iterrows()],
        })
    return sections


def _ci(row) -> str:
    low, high = row["ci_low"], row["ci_high"]
    if isinstance(low, str) or isinstance(high, str):
        return low if isinstance(low, str) else high
    return "" if pd.isna(low) else f"{low:.1f}–{high:.1f}"


def _themes(published: pd.DataFrame, survey: Survey, welsh: dict[str, str], language: str) -> list[dict]:
    totals = published[published["respondent_group"] == ALL]
    sections = []
    for q in survey.questions:
        rows = totals[totals["question_id"] == q.id]
        if rows.empty:
            continue
        label = welsh.get(q.label, q.label) if language == "cy" else q.label
        sections.append({"label": label, "rows": [{"label": _label(r, language), "answers": _figure(r["answers"])}
                                                  for _, r in rows.iterrows()]})
    return sections


def _examples(examples: pd.DataFrame, language: str) -> list[dict]:
    themes = []
    for theme_id, rows in examples.groupby("theme_id", sort=False):
        if theme_id == UNTAGGED and rows.empty:
            continue
        themes.append({"label": _label(rows.iloc[0], language),
                       "quotes": [{"language": r["language"], "text": r["text"]} for _, r in rows.iterrows()]})
    return themes


def _records(frame: pd.DataFrame) -> list[dict]:
    """frame.to_dict("records"), built column by column (values as Python objects, as to_dict gives them)."""
    columns = list(frame.columns)
    return [dict(zip(columns, row)) for row in zip(*(frame[c].tolist() for c in columns))]


def duplicate_summary(groups: pd.DataFrame) -> pd.DataFrame:
    """Per rule: how many groups, how many responses involved, how many removed."""
    summary = groups.groupby("rule", sort=False).agg(groups=("group_id", "nunique"), members=("response_id", "nunique"),
                                                      removed=("removed", "sum"))
    return summary.reset_index()


def render_report(language: str, *, survey: Survey, welsh: dict[str, str], published: dict[str, pd.DataFrame],
                  charts: dict[str, bytes], counts: dict[str, int], duplicates: pd.DataFrame,
                  rule: SuppressionRule) -> str:
    """The whole report as one HTML string; charts are the PNGs for this language, keyed by question id."""
    w = words(language)
    other = next(lang for lang in LANGUAGES if lang != language)
    method = [p.format(rule=rule.describe(language)) for p in w["method_notes"]]
    return _environment().get_template("report.html").render(
        lang=language, w=w, other_lang=other, other_file=report_name(other),
        survey_title=welsh.get(survey.title, survey.title) if language == "cy" else survey.title,
        survey_slug=survey.slug,
        counts=[{"label": w[key], "value": f"{counts[key]:,}", "total": key == ANALYSED} for key in ACCOUNTING],
        profile=_profile(published["respondent_profile"], language),
        questions=_questions(published["crosstab_group"], survey, charts, language),
        themes=_themes(published["free_text_themes"], survey, welsh, language),
        examples=_examples(published["theme_examples"], language),
        duplicates=[{"rule": w["rules"].get(r["rule"], r["rule"]), "groups": r["groups"], "members": r["members"],
                     "removed": r["removed"]} for _, r in duplicates.iterrows()],
        campaigns=_records(published["free_text_campaigns"]),
        method=method,
    )
