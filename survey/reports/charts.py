"""Charts of the summary reports (matplotlib), shared by the PDF and the HTML page.

Figures are made with :class:`matplotlib.figure.Figure` and a backend canvas, never with
``pyplot`` (no global state, no GUI backend, and ``import matplotlib.pyplot`` alone costs
about a second and a half). matplotlib is imported on first use. The charts read in
black-and-white print: groups differ by grey level and hatching, not by colour, and the
interval bars are black. Labels are Russian; the font is matplotlib's own DejaVu Sans (it has
Cyrillic), so no system font is needed.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from typing import Any

from survey.base.missing import is_blank

# (fill, hatch) per group, cycled: distinguishable in grey print.
GROUP_STYLES = [
    ("white", "////"),
    ("0.55", ""),
    ("0.85", "...."),
    ("white", "xxx"),
    ("0.35", ""),
    ("white", "\\\\\\\\"),
    ("0.7", "++"),
]
RC: dict[str, Any] = {  # matplotlib rcParams for every chart
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "hatch.linewidth": 0.6,
    "svg.fonttype": "path",
    "svg.hashsalt": "survey",
    "axes.linewidth": 0.6,
}
PNG_DPI = 200


LABEL_PITCH_PT = 8.0  # the least distance between bars that still fits a 6.5-pt value label


def _fmt_percent(value: float) -> str:
    return f"{value:.1f}".replace(".", ",") + "\u00a0%"


def problems_figure(categories: Sequence[str], groups: Sequence, *, xlabel: str | None = None, width_in: float = 7.0):
    """Horizontal bars: per category (top to bottom), one bar per group with its interval.

    ``groups``: objects with ``label``, ``percent``, ``low``, ``high`` (lists aligned with
    ``categories``, percentages 0–100; see :class:`survey.reports.build.ChartGroup`).
    """
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MultipleLocator

    with matplotlib.rc_context(RC):  # type: ignore[arg-type]  # stubs want Literal rc keys
        n_cat, n_groups = len(categories), max(1, len(groups))
        per_category = 0.22 + min(0.17 * n_groups, 0.75)  # inches
        height = 0.9 + n_cat * per_category
        # a value beside each bar only when the bars are at least a line of its text apart (8 pt):
        # with many groups (13 partner Länder) the labels would print on top of each other
        labelled = per_category / n_groups * 72 >= LABEL_PITCH_PT
        fig = Figure(figsize=(width_in, height), layout="constrained")
        ax = fig.add_subplot()
        bar_h = 0.8 / n_groups
        for j, g in enumerate(groups):
            fill, hatch = GROUP_STYLES[j % len(GROUP_STYLES)]
            ys = [i + (j - (n_groups - 1) / 2) * bar_h for i in range(n_cat)]
            values = [_num(v) for v in g.percent]
            lows = [max(0.0, v - _num(lo, v)) for v, lo in zip(values, g.low)]
            highs = [max(0.0, _num(hi, v) - v) for v, hi in zip(values, g.high)]
            ax.barh(
                ys,
                values,
                height=bar_h * 0.92,
                color=fill,
                hatch=hatch or None,
                edgecolor="black",
                linewidth=0.6,
                label=g.label,
                xerr=[lows, highs],
                error_kw={"ecolor": "black", "elinewidth": 0.8, "capsize": 2.0, "capthick": 0.8},
            )
            for y, v, hi in zip(ys, values, g.high) if labelled else ():
                ax.text(_num(hi, v) + 1.2, y, _fmt_percent(v), va="center", ha="left", fontsize=6.5)
        ax.set_yticks(range(n_cat), [textwrap.fill(c, 30) for c in categories])
        ax.invert_yaxis()
        ax.set_xlim(0, 116)
        ax.xaxis.set_major_locator(MultipleLocator(20))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:.0f}\u00a0%" if x <= 100 else ""))
        ax.grid(axis="x", color="0.8", linewidth=0.5, linestyle=":")
        ax.set_axisbelow(True)
        ax.tick_params(axis="y", length=0)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        if xlabel:
            ax.set_xlabel(xlabel)
        if len(groups) > 1 or (groups and groups[0].label):
            fig.legend(loc="outside lower center", ncols=min(len(groups), 3), frameon=False)
    return fig


def _num(value, default: float = 0.0) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return default
    return default if is_blank(v) else v


def figure_image(fig, dpi: int = PNG_DPI):
    """The figure rendered once with Agg, as a greyscale PIL image (the charts have no colour)."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    with matplotlib.rc_context(RC):  # type: ignore[arg-type]  # stubs want Literal rc keys
        fig.set_dpi(dpi)
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        width, height = canvas.get_width_height(physical=True)
        rgba = Image.frombuffer("RGBA", (width, height), bytes(canvas.buffer_rgba()), "raw", "RGBA", 0, 1)
    background = Image.new("RGBA", rgba.size, "white")
    return Image.alpha_composite(background, rgba).convert("L")


def image_png(image) -> bytes:
    """PNG bytes of a PIL image (no timestamps: the same chart gives the same bytes)."""
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=False, compress_level=6)
    return buf.getvalue()


def problems_chart(report):
    """The problems-by-group figure of a :class:`~survey.reports.build.ReportData` (made once)."""
    fig = report.cache.get("problems_figure")
    if fig is None:
        fig = problems_figure(
            report.chart_categories,
            report.chart_groups,
            xlabel=report.chart_axis,
        )
        report.cache["problems_figure"] = fig
    return fig


def problems_chart_image(report):
    """The problems chart as a greyscale PIL image (rendered once per report)."""
    if "problems_image" not in report.cache:
        report.cache["problems_image"] = figure_image(problems_chart(report))
    return report.cache["problems_image"]


def problems_chart_png(report) -> bytes:
    if "problems_png" not in report.cache:
        report.cache["problems_png"] = image_png(problems_chart_image(report))
    return report.cache["problems_png"]
