"""The report model: tables with typed columns, chart data and :class:`ReportData`.

A :class:`Table` has columns with a *kind* that says how a value is written (``pct``, ``p``,
``ratio``…) and rows of raw values; the Excel writer keeps numbers as numbers with a number
format, the PDF and HTML writers use :func:`format_value`. :class:`ReportData` is everything
a summary lays out; :func:`survey.reports.build.build_report` fills it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from survey.base.missing import is_blank
from survey.reports.format import fmt_date, fmt_int, fmt_interval, fmt_num, fmt_p_table, fmt_ratio


@dataclass(frozen=True)
class Column:
    """One column of a report table.

    ``key``: the row key (a tuple of keys for composite kinds). ``kind`` says how a value is
    written: ``text``, ``int``, ``pct`` (0–100), ``p`` (p-value), ``ratio``, ``num1``/``num2``/
    ``num3`` (decimals), ``km``, ``date``, ``auto`` (as it comes), and for compact tables
    ``n_pct`` (n, %), ``pct_ci`` (%, low, high), ``num_ci`` (a number with one decimal, low, high),
    ``ratio_ci`` (OR, low, high), ``mean_sd``.
    ``width``: characters in Excel. ``wrap``: wrap long text in Excel. ``collapse``: in PDF
    and HTML, a value equal to the one in the row above is left out (grouped rows). ``span``:
    in Excel the column covers that many sheet columns (merged cells).
    """

    key: str | tuple[str, ...]
    heading: str
    kind: str = "text"
    width: float = 12.0
    wrap: bool = False
    collapse: bool = False  # PDF/HTML: leave a value out where it repeats the row above
    rotate: bool = False  # Excel: a vertical heading (narrow 0/1 columns)
    span: int = 1  # Excel: sheet columns the column occupies (merged), e.g. a long value on a summary sheet

    @property
    def keys(self) -> tuple[str, ...]:
        return self.key if isinstance(self.key, tuple) else (self.key,)


@dataclass
class Table:
    """A report table: title, columns, rows (dicts of raw values), a note, optional spans.

    ``spans``: a heading row above the column headings, as ``(text, number of columns)``.
    """

    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    note: str = ""
    spans: list[tuple[str, int]] = field(default_factory=list)

    def cell_text(self, row: Mapping[str, Any], column: Column) -> str:
        return format_value(column.kind, [row.get(k) for k in column.keys])


def format_value(kind: str, values: Sequence[Any]) -> str:
    """The text of a table cell of ``kind`` from its raw value(s), Russian formatting."""
    v = values[0] if values else None
    if isinstance(v, str) and (kind in ("text", "auto") or v == ""):
        return v
    if kind == "auto":
        if is_blank(v):
            return ""
        if isinstance(v, bool):
            return "да" if v else "нет"
        if isinstance(v, int) or (isinstance(v, float) and float(v).is_integer()):
            return fmt_int(v)
        return fmt_num(v, 2) if isinstance(v, float) else str(v)
    if kind == "text":
        return "" if is_blank(v) else str(v)
    if kind == "int":
        return fmt_int(v)
    if kind == "pct":
        return fmt_num(v, 1)
    if kind == "p":
        return fmt_p_table(v)
    if kind == "ratio":
        return fmt_ratio(v)
    if kind in ("num1", "num2", "num3"):
        return fmt_num(v, int(kind[-1]))
    if kind == "km":
        return fmt_num(v, 0)
    if kind == "date":
        return fmt_date(v)
    if kind == "n_pct":
        n, p = values
        return "—" if is_blank(n) else f"{fmt_int(n)} ({fmt_num(p, 1)})"
    if kind == "pct_ci":
        p, low, high = values
        return "—" if is_blank(p) else f"{fmt_num(p, 1)} ({fmt_interval(low, high, digits=1)})"
    if kind == "num_ci":
        v, low, high = values
        return "—" if is_blank(v) else f"{fmt_num(v, 1)} ({fmt_interval(low, high, digits=1)})"
    if kind == "ratio_ci":
        r, low, high = values
        return "—" if is_blank(r) else f"{fmt_ratio(r)} ({fmt_interval(low, high, fmt_ratio)})"
    if kind == "mean_sd":
        m, sd = values
        return "—" if is_blank(m) else f"{fmt_num(m, 2)} ({fmt_num(sd, 2)})"
    raise ValueError(f"unknown column kind {kind!r}")


@dataclass
class ChartGroup:
    """One group of the problems chart: label and, per category, % with its interval."""

    label: str
    percent: list[float]
    low: list[float]
    high: list[float]


@dataclass
class ReportData:
    """Everything the summary writers lay out (see the module docstring).

    A table that the run cannot have is ``None`` (no second group: no tests; no models in the
    study: no model table); ``switched_off`` holds the one-line reasons the writers print instead.
    """

    title: str
    subtitle: str
    short_title: str
    synthetic: bool
    notice: str | None  # the synthetic-data notice, or None for real data
    with_names: bool
    run_date: str  # dd.mm.yyyy of the run
    software: str  # "survey 0.1.0"
    group_by: str
    group_by_label: str
    key_figures: Table
    key_problems: Table  # the problems among all respondents (with κ, α when there is a reference coding)
    findings: list[str]
    problems: Table  # shares by group, full (Excel)
    problems_compact: Table  # PDF/HTML
    design_ci: Table | None  # shares with design-based intervals (Excel), when experts are clustered
    mentions: Table  # % of mentions (Excel)
    tests: Table | None  # per category, full (Excel); None with one group
    tests_compact: Table | None
    effects: list[Table]  # two groups: effect sizes (Excel); none with other groupings
    units: Table | None  # unit-level view (full)
    units_compact: Table | None
    units_any: Table | None  # the «any expert» share of units: a check (Excel)
    overall: Table | None
    closed: Table
    closed_compact: Table
    scales: Table | None
    models: Table | None
    models_compact: Table | None
    models_text: str  # what the models are, or why there are none
    reliability_text: list[str]
    agreement: Table | None
    agreement_compact: Table | None
    classifier: Table | None
    codebook: Table
    data: Table | None  # answers with codes (Excel only); None for too many respondents
    data_note: str  # what the «Данные» sheet leaves to data/responses.csv and .sav
    methodology: list[tuple[str, str]]  # (heading, paragraph)
    published: Table | None
    versions: Table
    inputs: Table
    chart_categories: list[str]
    chart_groups: list[ChartGroup]
    chart_title: str
    chart_axis: str
    switched_off: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    cache: dict[str, Any] = field(default_factory=dict, repr=False)


def table_rows_text(table: Table) -> Iterable[list[str]]:
    """Every row of ``table`` as formatted cell texts (for PDF and HTML)."""
    for row in table.rows:
        yield [table.cell_text(row, c) for c in table.columns]
