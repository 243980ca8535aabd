"""The self-contained HTML report (inline CSS and images), in English and in Welsh."""
from __future__ import annotations

import base64
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
from jinja2 import Environment, FileSystemLoader, select_autoescape

from survey_app.definition import Survey

from .crosstab import ALL
from .profile import DIMENSIONS
from .suppression import SuppressionRule, masked, primary, secondary
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
        # Every theme is listed, those nobody mentioned with 0; a question nobody wrote in says so instead.
        written = (rows["answers"].astype(object) != 0).any()
        sections.append({"label": label, "rows": [{"label": _label(r, language), "answers": _figure(r["answers"])}
                                                  for _, r in rows.iterrows()] if written else []})
    return sections


def _examples(examples: pd.DataFrame, language: str) -> list[dict]:
    themes = []
    for theme_id, rows in examples.groupby("theme_id", sort=False):
        if theme_id == UNTAGGED and rows.empty:
            continue
        themes.append({"label": _label(rows.iloc[0], language),
                       "quotes": [{"language": r["language"], "text": r["text"]} for _, r in rows.iterrows()]})
    return themes


# The report lists the largest campaigns; every one is in the workbook's free_text_campaigns sheet.
# Without a limit, a large consultation's report (and its PDF) grows with every small campaign.
CAMPAIGNS_LISTED = 25


def _largest_campaigns(campaigns: pd.DataFrame) -> pd.DataFrame:
    """The CAMPAIGNS_LISTED largest campaigns, largest first (ties in the table's own order)."""
    sizes = pd.to_numeric(campaigns["campaign_size"], errors="coerce").fillna(0)
    return campaigns.loc[sizes.sort_values(ascending=False, kind="stable").index[:CAMPAIGNS_LISTED]]


def _records(frame: pd.DataFrame) -> list[dict]:
    """frame.to_dict("records"), built column by column (values as Python objects, as to_dict gives them)."""
    columns = list(frame.columns)
    return [dict(zip(columns, row)) for row in zip(*(frame[c].tolist() for c in columns))]


def duplicate_summary(groups: pd.DataFrame) -> pd.DataFrame:
    """Per rule: how many groups, how many responses involved, how many removed."""
    summary = groups.groupby("rule", sort=False).agg(groups=("group_id", "nunique"), members=("response_id", "nunique"),
                                                      removed=("removed", "sum"))
    return summary.reset_index()


CAMPAIGN_RULE = "campaign"
DUPLICATE_COUNTS = ["groups", "members", "removed"]


def suppress_duplicates(summary: pd.DataFrame, rule: SuppressionRule, removed_total: int) -> pd.DataFrame:
    """duplicate_summary as the report shows it: counts from 1 to threshold-1 hidden, and their complements.

    A hidden figure must not be worked out from the others: every group keeps one response, so for a
    rule that removes copies the responses involved are its groups plus those removed; and the removed
    column adds up to the duplicate copies removed (removed_total), which the report's response counts show.
    """
    summary = summary.reset_index(drop=True)
    n = len(summary)
    values = np.concatenate([summary[c].to_numpy(float) for c in DUPLICATE_COUNTS] + [[float(removed_total)]])
    groups, members, removed = (np.arange(n) + n * i for i in range(len(DUPLICATE_COUNTS)))
    total = 3 * n
    is_total = np.zeros(len(values), dtype=bool)
    is_total[members] = is_total[total] = True
    equations = [np.array([groups[i], removed[i], members[i]]) for i in range(n)
                 if summary.loc[i, "rule"] != CAMPAIGN_RULE]
    equations.append(np.append(removed, total))
    shown_total = np.zeros(len(values), dtype=bool)
    shown_total[total] = True  # the total is published in full: only the rules' figures may be hidden
    hidden = secondary(values, primary(values, rule) & ~shown_total, equations, is_total)
    published = summary.copy()
    for i, column in enumerate(DUPLICATE_COUNTS):
        published[column] = masked(summary[column], hidden[i * n:(i + 1) * n], rule.marker)
    return published


class _CountCells(HTMLParser):
    """The text of every number cell in the report's tables that is a count: any cell but a percent or an
    interval (class "pct") and the response counts, which are shown in full so that they add up (class
    "accounting")."""

    def __init__(self):
        super().__init__()
        self.cells: list[str] = []
        self._tables: list[bool] = []
        self._text: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if tag == "table":
            self._tables.append("accounting" in classes)
        elif tag == "td" and self._tables and not any(self._tables) and "pct" not in classes:
            self._text = []

    def handle_endtag(self, tag):
        if tag == "table" and self._tables:
            self._tables.pop()
        elif tag == "td" and self._text is not None:
            self.cells.append("".join(self._text).strip())
            self._text = None

    def handle_data(self, data):
        if self._text is not None:
            self._text.append(data)


def small_counts_in_report(html: str, rule: SuppressionRule) -> int:
    """How many counts from 1 to threshold-1 the report's tables show (the check wants 0)."""
    parser = _CountCells()
    parser.feed(html)
    parser.close()
    numbers = pd.to_numeric(pd.Series(parser.cells, dtype=object).str.replace(",", "", regex=False),
                            errors="coerce")
    return int(((numbers > 0) & (numbers < rule.threshold)).sum())


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
        duplicates=[{"rule": w["rules"].get(r["rule"], r["rule"]),
                     **{column: _figure(r[column]) for column in DUPLICATE_COUNTS}}
                    for _, r in suppress_duplicates(duplicates, rule, counts["duplicates_removed"]).iterrows()],
        campaigns=[{**row, "campaign_size": _figure(row["campaign_size"])}
                   for row in _records(_largest_campaigns(published["free_text_campaigns"]))],
        campaigns_not_listed=max(len(published["free_text_campaigns"]) - CAMPAIGNS_LISTED, 0),
        method=method,
    )
