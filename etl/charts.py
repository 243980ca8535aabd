"""A bar chart per closed question (all respondents, and by group), as PNG, in English or Welsh.

Charts are drawn from the suppressed crosstab: a hidden figure has no bar,
only the marker, so a chart never shows what the table hides.
"""
from __future__ import annotations

import io
import textwrap

import matplotlib

matplotlib.use("Agg")  # no display on servers; must precede any pyplot use elsewhere in the process

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from .crosstab import ALL  # noqa: E402
from .suppression import SuppressionRule  # noqa: E402
from .wording import words  # noqa: E402

DPI = 96
WIDTH_INCHES = 11
LABEL_WIDTH = 34
GROUP_COLOURS = ["#1d70b8", "#f47738", "#00703c", "#912b88", "#505a5f", "#b58840"]
ALL_COLOUR = "#1d70b8"


def _number(value) -> float | None:
    return None if isinstance(value, str) or value is None or pd.isna(value) else float(value)


def question_chart(table: pd.DataFrame, question_id: str, language: str, group_labels: dict[str, str],
                   rule: SuppressionRule) -> bytes:
    """PNG bytes for one question from the suppressed crosstab_group (labels in `language`)."""
    return _Chart(table[table["question_id"] == question_id], language, group_labels, rule).png()


def question_charts(table: pd.DataFrame, question_ids: list[str], group_labels: dict[str, dict[str, str]],
                    rule: SuppressionRule) -> dict[str, dict[str, bytes]]:
    """question_chart for each question in each language of group_labels: {language: {question_id: PNG}}.

    Each question's figure is drawn once and then relabelled for the next language (the bars, the
    layout and every number are the same); the result is byte for byte question_chart's.
    """
    languages = list(group_labels)
    charts: dict[str, dict[str, bytes]] = {language: {} for language in languages}
    by_question = dict(tuple(table.groupby("question_id", sort=False)))
    for question_id in question_ids:
        rows = by_question.get(question_id, table.iloc[:0])
        chart = None
        for language in languages:
            if chart is None:
                chart = _Chart(rows, language, group_labels[language], rule)
            else:
                chart.relabel(language, group_labels[language])
            charts[language][question_id] = chart.png()
    return charts


class _Chart:
    """One question's figure, drawn in one language; its words can then be changed to another."""

    def __init__(self, rows: pd.DataFrame, language: str, group_labels: dict[str, str], rule: SuppressionRule):
        w = words(language)
        self.rule = rule
        label_column = f"label_{language}"
        overall = rows[rows["respondent_group"] == ALL]
        options = overall["option_code"].tolist()
        labels = [textwrap.fill(str(v), LABEL_WIDTH) for v in overall[label_column].fillna(overall["label_en"])]
        groups = [g for g in rows["respondent_group"].unique() if g != ALL and _number(
            rows.loc[rows["respondent_group"] == g, "base"].iloc[0]) not in (None, 0.0)]

        height = 1.8 + 0.42 * len(options) * max(1.0, len(groups) / 3)
        # A fixed layout: constrained layout redraws the figure several times and doubles the cost of a chart.
        figure = Figure(figsize=(WIDTH_INCHES, height), dpi=DPI)
        figure.subplots_adjust(left=0.23, right=0.98, top=1 - 0.75 / height, bottom=1.5 / height, wspace=0.06)
        question = overall[f"question_{language}"].fillna(overall["question_en"]).iloc[0]
        self.title = figure.suptitle(textwrap.fill(str(question), 95), fontsize=11, fontweight="bold")
        left, right = figure.subplots(1, 2, sharey=True)
        positions = np.arange(len(options))[::-1]
        _bars(left, overall, positions, 0.7, ALL_COLOUR, rule)
        base = overall["base"].iloc[0]
        left.set_title(f"{w['all_respondents']} ({w['base']}: {base})", fontsize=10)
        left.set_yticks(positions, labels, fontsize=8)
        height_each = 0.8 / max(len(groups), 1)
        for i, group in enumerate(groups):
            part = rows[rows["respondent_group"] == group].set_index("option_code").loc[options].reset_index()
            offset = (len(groups) - 1) / 2 * height_each - i * height_each
            _bars(right, part, positions + offset, height_each, GROUP_COLOURS[i % len(GROUP_COLOURS)], rule,
                  label=textwrap.fill(group_labels.get(group, group), 32), annotate=len(groups) == 1)
        right.set_title(w["by_group"], fontsize=10)
        self.legend = None
        if groups:
            self.legend = figure.legend(loc="lower right", ncols=2 if len(groups) > 1 else 1, fontsize=7,
                                        frameon=False)
        for axes in (left, right):
            axes.set_xlim(0, 110)
            axes.set_xticks(range(0, 101, 20))
            axes.tick_params(axis="x", labelsize=8)
            axes.spines[["top", "right"]].set_visible(False)
        left.set_xlabel(w["percent_axis"] + "\n" + w["hidden_note"].format(marker=rule.marker), fontsize=8)
        self.figure, self.left, self.right = figure, left, right
        self.overall, self.groups, self.positions = overall, groups, positions

    def relabel(self, language: str, group_labels: dict[str, str]) -> None:
        """Every word on the chart in another language (the bars and numbers stay as they are)."""
        w, overall = words(language), self.overall
        question = overall[f"question_{language}"].fillna(overall["question_en"]).iloc[0]
        self.title.set_text(textwrap.fill(str(question), 95))
        labels = [textwrap.fill(str(v), LABEL_WIDTH) for v in overall[f"label_{language}"].fillna(overall["label_en"])]
        self.left.set_title(f"{w['all_respondents']} ({w['base']}: {overall['base'].iloc[0]})", fontsize=10)
        self.left.set_yticks(self.positions, labels, fontsize=8)
        self.right.set_title(w["by_group"], fontsize=10)
        if self.legend is not None:
            for text, group in zip(self.legend.get_texts(), self.groups):
                text.set_text(textwrap.fill(group_labels.get(group, group), 32))
        self.left.set_xlabel(w["percent_axis"] + "\n" + w["hidden_note"].format(marker=self.rule.marker), fontsize=8)

    def png(self) -> bytes:
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=DPI)
        return buffer.getvalue()


def _bars(axes, rows: pd.DataFrame, positions: np.ndarray, height: float, colour: str,
          rule: SuppressionRule, label: str | None = None, annotate: bool = True) -> None:
    percents = [_number(v) for v in rows["percent"]]
    lows = [_number(v) for v in rows["ci_low"]]
    highs = [_number(v) for v in rows["ci_high"]]
    shown = [p is not None for p in percents]
    values = np.array([p or 0.0 for p in percents])
    errors = np.array([[p - lo if s else 0 for p, lo, s in zip(values, lows, shown)],
                       [hi - p if s else 0 for p, hi, s in zip(values, highs, shown)]])
    axes.barh(positions, values, height=height, color=colour, label=label,
              xerr=errors, error_kw={"elinewidth": 0.7, "capsize": 1.5, "ecolor": "#333333"})
    if not annotate:
        # Many thin bars: value labels would overlap, so only hidden figures are marked.
        for y, visible in zip(positions, shown):
            if not visible:
                axes.text(0.5, y, rule.marker, va="center", fontsize=6)
        return
    ends = values + errors[1]
    for y, value, end, visible in zip(positions, values, ends, shown):
        axes.text(end + 1 if visible else 0.5, y, f"{value:.0f}%" if visible else rule.marker,
                  va="center", fontsize=6 if height < 0.3 else 7)
