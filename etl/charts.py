"""A bar chart per closed question (all respondents, and by group), as PNG, in English or Welsh.

Charts are drawn from the suppressed crosstab: a hidden figure has no bar,
only the marker, so a chart never shows what the table hides.
"""
from __future__ import annotations

import contextlib
import io
import multiprocessing
import re
import sys
import textwrap
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on servers; must precede any pyplot use elsewhere in the process

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from PIL import Image  # noqa: E402

from .cores import available_cores  # noqa: E402
from .crosstab import ALL  # noqa: E402
from .suppression import SuppressionRule  # noqa: E402
from .wording import words  # noqa: E402

DPI = 96
# A chart has a few flat colours and the anti-aliased edges between them: as a palette PNG it is a
# quarter of the size of matplotlib's full-colour one and looks the same, so both languages' charts
# fit in the asset's metadata and each report stays small.
PALETTE_COLOURS = 256
WIDTH_INCHES = 11
LABEL_WIDTH = 34
LEGEND_WIDTH = 30   # characters a line of a group's name in the legend: long Welsh names wrap, not overrun
GROUP_COLOURS = ["#1d70b8", "#f47738", "#00703c", "#912b88", "#505a5f", "#b58840"]
ALL_COLOUR = "#1d70b8"
# The axes titles sit just above the axes. Placed there explicitly, matplotlib does not measure both
# axes' tick labels at every draw to see whether something on top pushes them up (nothing does).
TITLE_Y = 1.0


def _number(value) -> float | None:
    return None if isinstance(value, str) or value is None or pd.isna(value) else float(value)


def question_chart(table: pd.DataFrame, question_id: str, language: str, group_labels: dict[str, str],
                   rule: SuppressionRule) -> bytes:
    """PNG bytes for one question from the suppressed crosstab_group (labels in `language`)."""
    return _Chart(table[table["question_id"] == question_id], language, group_labels, rule).png()


def question_charts(table: pd.DataFrame, question_ids: list[str], group_labels: dict[str, dict[str, str]],
                    rule: SuppressionRule, helper: bool | None = None) -> dict[str, dict[str, bytes]]:
    """question_chart for each question in each language of group_labels: {language: {question_id: PNG}}.

    Each question's figure is drawn once and then relabelled for the next language (the bars, the
    layout and every number are the same); the result is byte for byte question_chart's. With a
    helper process (see QuestionCharts) the questions are drawn on two cores.
    """
    with QuestionCharts(table, question_ids, group_labels, rule, helper) as charts:
        return charts.result()


class QuestionCharts:
    """question_charts, begun: a helper process starts drawing at once, from the first question on.

    The caller can get on with other work meanwhile; result() then draws, in this process, from the
    last question back, until the two meet, and collects the helper's charts. Drawing takes ~0.1 s a
    chart (text layout and rasterising in matplotlib), so thirty questions in two languages are
    seconds of work, shared between two cores less the ~1 s the helper takes to import matplotlib and
    pandas. The helper is a fresh interpreter ("spawn", never fork: the caller may have threads and
    open database handles) given the caller's matplotlib settings, so each PNG is byte for byte what
    this process would draw. Without a helper (one core, few questions, or `helper=False`), or if it
    cannot start, every chart is drawn here. Like any spawned process, the helper imports the main
    script again, so it is only started from a script with an `if __name__ == "__main__":` guard
    (see _main_safe_to_import); a script without one would run a second time in the helper.
    """

    def __init__(self, table: pd.DataFrame, question_ids: list[str], group_labels: dict[str, dict[str, str]],
                 rule: SuppressionRule, helper: bool | None = None):
        self.languages, self.group_labels, self.rule = list(group_labels), group_labels, rule
        by_question = dict(tuple(table.groupby("question_id", sort=False)))
        self.question_ids = list(question_ids)
        self.rows = [by_question.get(question_id, table.iloc[:0]) for question_id in self.question_ids]
        if helper is None:
            helper = len(self.rows) >= MIN_QUESTIONS_FOR_HELPER and available_cores() > 1
        helper = helper and bool(self.rows) and _main_safe_to_import()
        context = multiprocessing.get_context("spawn")
        # [the next question from the front (the helper's), one past the next from the back (this process's)]
        self.claims = context.Array("i", [0, len(self.rows)]) if helper else _Claims([0, len(self.rows)])
        self.pool, self.helped = None, None
        if helper:
            params = {key: value for key, value in matplotlib.rcParams.items() if key != "backend"}
            try:
                self.pool = ProcessPoolExecutor(1, mp_context=context, initializer=exec, initargs=(_HELPER_START, {
                    "root": str(_ROOT), "module": __name__, "file": __file__, "claims": self.claims, "params": params}))
                self.helped = self.pool.submit(_draw_from_front, self.rows, self.languages, group_labels, rule)
            except (OSError, BrokenProcessPool):
                self.close()

    def result(self) -> dict[str, dict[str, bytes]]:
        drawn: dict[int, list[bytes]] = {}
        while (index := _claim(self.claims, from_front=False)) is not None:
            drawn[index] = self._draw(index)
        if self.helped is not None and self.claims[0] > 0:  # the helper has taken some: wait for them
            try:
                drawn.update(self.helped.result())
            except BrokenProcessPool:
                pass  # drawn here instead, below
        self.close()  # without waiting for a helper still starting up: it finds nothing left to take
        for index in range(len(self.rows)):
            if index not in drawn:
                drawn[index] = self._draw(index)
        return {language: {question_id: drawn[index][i] for index, question_id in enumerate(self.question_ids)}
                for i, language in enumerate(self.languages)}

    def _draw(self, index: int) -> list[bytes]:
        return _draw(self.rows[index], self.languages, self.group_labels, self.rule)

    def close(self) -> None:
        """Leave nothing more for the helper to take; it stops after the chart it is drawing, if any."""
        with self.claims.get_lock():
            self.claims[1] = self.claims[0]
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = None

    def __enter__(self) -> "QuestionCharts":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


MIN_QUESTIONS_FOR_HELPER = 8  # below this, starting the helper costs more than it saves


def _main_safe_to_import() -> bool:
    """Whether a spawned helper may import the caller's main module, as every spawned process does.

    A script imported again runs all its top-level code a second time, unless its work sits under
    `if __name__ == "__main__":`; for a script without that guard, the charts are all drawn here.
    """
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if path is None or getattr(main, "__spec__", None) is not None:
        return True  # interactive or `-c` (nothing to import), or run by module name (its main block does not run)
    try:
        source = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return re.search(r"""__name__\s*==\s*["']__main__["']""", source) is not None


def _claim(claims, from_front: bool) -> int | None:
    """The next question for one side to draw, or None once the two sides have met."""
    with claims.get_lock():
        if claims[0] >= claims[1]:
            return None
        if from_front:
            claims[0] += 1
            return claims[0] - 1
        claims[1] -= 1
        return claims[1]


class _Claims(list):
    """The same two numbers when no helper shares them."""

    def get_lock(self):
        return contextlib.nullcontext()


# The helper imports this module from where this process did: a folder put on sys.path at run time
# (Dagster adds its working directory while it loads the code) is not on a spawned process's path, and
# an installed copy of the project could be found instead.
_ROOT = Path(__file__).resolve().parents[__name__.count(".")]
_HELPER_START = ("import importlib, sys; sys.path.insert(0, root); "
                 "importlib.import_module(module)._start_helper(claims, params, file)")
_helper_claims = None


def _start_helper(claims, params: dict, file: str) -> None:
    if Path(file).resolve() != Path(__file__).resolve():  # a different copy: charts could differ, so draw none
        raise ImportError(f"the helper found {__file__}, not {file}")
    global _helper_claims
    _helper_claims = claims
    matplotlib.rcParams.update(params)


def _draw_from_front(rows: list[pd.DataFrame], languages: list[str], group_labels: dict[str, dict[str, str]],
                     rule: SuppressionRule) -> dict[int, list[bytes]]:
    """In the helper: questions from the front until it meets the caller, drawing from the back."""
    drawn = {}
    while (index := _claim(_helper_claims, from_front=True)) is not None:
        drawn[index] = _draw(rows[index], languages, group_labels, rule)
    return drawn


def _draw(rows: pd.DataFrame, languages: list[str], group_labels: dict[str, dict[str, str]],
          rule: SuppressionRule) -> list[bytes]:
    """One question's PNG in each language: drawn in the first, then relabelled for each next one."""
    chart, pngs = None, []
    for language in languages:
        if chart is None:
            chart = _Chart(rows, language, group_labels[language], rule)
        else:
            chart.relabel(language, group_labels[language])
        pngs.append(chart.png())
    return pngs


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
        FigureCanvasAgg(figure)
        figure.subplots_adjust(left=0.23, right=0.98, top=1 - 0.75 / height, bottom=1.5 / height, wspace=0.06)
        question = overall[f"question_{language}"].fillna(overall["question_en"]).iloc[0]
        self.title = figure.suptitle(textwrap.fill(str(question), 95), fontsize=11, fontweight="bold")
        left, right = figure.subplots(1, 2, sharey=True)
        positions = np.arange(len(options))[::-1]
        _bars(left, overall, positions, 0.7, ALL_COLOUR, rule)
        base = overall["base"].iloc[0]
        left.set_title(f"{w['all_respondents']} ({w['base']}: {base})", fontsize=10, y=TITLE_Y)
        left.set_yticks(positions, labels, fontsize=8)
        height_each = 0.8 / max(len(groups), 1)
        for i, group in enumerate(groups):
            part = rows[rows["respondent_group"] == group].set_index("option_code").loc[options].reset_index()
            offset = (len(groups) - 1) / 2 * height_each - i * height_each
            _bars(right, part, positions + offset, height_each, GROUP_COLOURS[i % len(GROUP_COLOURS)], rule,
                  label=_legend_label(group_labels.get(group, group)), annotate=len(groups) == 1)
        right.set_title(w["by_group"], fontsize=10, y=TITLE_Y)
        self.legend = None
        if groups:
            # Under the right-hand axes, its right edge on theirs, so it keeps the figure's margin whatever
            # the language: the same names in Welsh are often a third longer.
            self.legend = figure.legend(loc="lower right", bbox_to_anchor=(right.get_position().x1, 0),
                                        ncols=2 if len(groups) > 1 else 1, fontsize=7, frameon=False)
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
        self.left.title.set_text(f"{w['all_respondents']} ({w['base']}: {overall['base'].iloc[0]})")
        self.left.set_yticks(self.positions, labels, fontsize=8)
        self.right.title.set_text(w["by_group"])
        if self.legend is not None:
            for text, group in zip(self.legend.get_texts(), self.groups):
                text.set_text(_legend_label(group_labels.get(group, group)))
        self.left.set_xlabel(w["percent_axis"] + "\n" + w["hidden_note"].format(marker=self.rule.marker), fontsize=8)

    def png(self) -> bytes:
        canvas = self.figure.canvas
        canvas.draw()
        image = Image.frombuffer("RGBA", canvas.get_width_height(physical=True), canvas.buffer_rgba(), "raw", "RGBA",
                                 0, 1).convert("RGB")
        buffer = io.BytesIO()
        image.quantize(PALETTE_COLOURS, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(
            buffer, format="PNG", dpi=(DPI, DPI))
        return buffer.getvalue()


def _legend_label(name: str) -> str:
    return textwrap.fill(name, LEGEND_WIDTH)


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
