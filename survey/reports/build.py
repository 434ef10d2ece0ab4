"""What every summary report needs, gathered once from a run: :func:`build_report`.

The Excel, PDF and HTML writers (:mod:`survey.reports.excel`, :mod:`survey.reports.pdf`,
:mod:`survey.reports.html`) only lay out a :class:`ReportData`: key figures, findings stated
as Russian sentences computed from the analysis tables, the tables themselves (as
:class:`Table`: columns with a *kind* that says how to format a value, and rows of raw
values), coding reliability, the codebook, the methodology, the synthetic-data notice,
software versions and input hashes. Nothing is recomputed here: every number comes from the
tables of :func:`survey.analysis.analyse` (or, for counts of the sample, from its frame).

Numbers are formatted the Russian way (decimal comma, «p < 0,001»):

>>> fmt_num(56.09756, 1), fmt_pct(56.09756), fmt_p(3.1e-06), fmt_p(0.0481), fmt_p_table(3.0859e-06)
('56,1', '56,1\\xa0%', 'p\\xa0<\\xa00,001', 'p\\xa0=\\xa00,048', '3,1·10⁻⁶')
>>> plural(123, "эксперт", "эксперта", "экспертов"), plural(21, "эксперт", "эксперта", "экспертов")
('123 эксперта', '21 эксперт')
"""
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import pandas as pd

NBSP = "\u00a0"
ALPHA = 0.05
TITLE = "Российско-китайское побратимское сотрудничество: экспертный опрос"
SUBTITLE = "Сводка результатов"
SHORT_TITLE = "Экспертный опрос о побратимском сотрудничестве с Китаем"

GROUP_BY_LABELS = {
    "border_status": "приграничные и неприграничные единицы",
    "federal_district": "федеральные округа",
    "federal_subject": "субъекты Российской Федерации",
    "kind": "города и регионы",
    "macro_region": "макрорегионы",
    "macro_region_label": "макрорегионы",
    "distance_band": "расстояние до границы с Китаем",
}
KIND_LABELS = {"city": "город", "region": "регион"}
BORDER_LABELS = {"border": "приграничная", "non_border": "неприграничная"}
OVERALL_METHODS = {
    "bonferroni": "Бонферрони: наименьшее p по категориям × число категорий",
    "permutation": "перестановки меток групп между экспертами",
    "cluster_permutation": "перестановки меток групп между единицами (эксперты одной единицы вместе)",
}
SCALE_TESTS = {"mann_whitney_u": "критерий Манна–Уитни", "kruskal_wallis": "критерий Краскела–Уоллиса"}
MODEL_STATUS = {"ok": "оценена", "no_variation": "нет вариации", "separation": "разделение",
                "not_converged": "не сошлась", "failed": "не оценивается"}
PUBLISHED_FIGURES = {"experts": "экспертов", "units": "городов и регионов", "cities": "городов",
                     "regions": "регионов"}

# ------------------------------------------------------------------ Russian number formatting


def is_missing(value: Any) -> bool:
    """None, NaN, pd.NA or an empty string."""
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value == ""


def fmt_num(value: Any, digits: int = 1, missing: str = "—") -> str:
    """A number with a decimal comma and ``digits`` decimals; thousands with a narrow space."""
    if is_missing(value):
        return missing
    text = f"{float(value):,.{digits}f}"
    return text.replace(",", "\u202f").replace(".", ",")


def fmt_int(value: Any, missing: str = "—") -> str:
    if is_missing(value):
        return missing
    return f"{int(value):,}".replace(",", "\u202f")


def fmt_pct(value: Any, digits: int = 1) -> str:
    """A percentage (0–100) as «56,1 %» (no-break space before %)."""
    return f"{fmt_num(value, digits)}{NBSP}%" if not is_missing(value) else "—"


def fmt_p(p: Any) -> str:
    """A p-value in a sentence: «p < 0,001», «p = 0,048»."""
    if is_missing(p):
        return "p не определено"
    if p < 0.001:
        return f"p{NBSP}<{NBSP}0,001"
    return f"p{NBSP}={NBSP}{fmt_num(p, 3)}"


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def fmt_p_table(p: Any) -> str:
    """A p-value in a table: three decimals, or «3,1·10⁻⁶» below 0,001."""
    if is_missing(p):
        return "—"
    p = float(p)
    if p >= 0.001:
        return fmt_num(p, 3)
    if p == 0:
        return "0"
    mantissa, exponent = f"{p:.1e}".split("e")
    return f"{mantissa.replace('.', ',')}·10{str(int(exponent)).translate(_SUPERSCRIPT)}"


def fmt_ratio(value: Any) -> str:
    """An odds ratio: three decimals below 10, two below 100, else one."""
    if is_missing(value):
        return "—"
    v = float(value)
    return fmt_num(v, 3 if v < 10 else 2 if v < 100 else 1)


def fmt_interval(low: Any, high: Any, fmt=fmt_num, **kw) -> str:
    if is_missing(low) or is_missing(high):
        return "—"
    return f"{fmt(low, **kw)}–{fmt(high, **kw)}"


def fmt_date(value: Any) -> str:
    if is_missing(value):
        return "—"
    return pd.Timestamp(value).strftime("%d.%m.%Y")


def plural(n: int, one: str, few: str, many: str, *, number: bool = True) -> str:
    """«1 эксперт», «2 эксперта», «5 экспертов» (Russian agreement with a numeral)."""
    n = int(n)
    tail10, tail100 = n % 10, n % 100
    word = one if tail10 == 1 and tail100 != 11 else few if 2 <= tail10 <= 4 and not 12 <= tail100 <= 14 else many
    return f"{fmt_int(n)} {word}" if number else word


def genitive(n: int, singular: str, plural_form: str) -> str:
    """After «из»/«представители»: «из 21 эксперта», «из 123 экспертов»."""
    n = int(n)
    word = singular if n % 10 == 1 and n % 100 != 11 else plural_form
    return f"{fmt_int(n)} {word}"


def quoted(text: str) -> str:
    return f"«{text}»"


_DECIMAL_POINT = re.compile(r"(?<=\d)\.(?=\d)")


def decimal_comma(text: Any) -> Any:
    """Decimal points in a Russian note written by the analysis become commas: «4.65» → «4,65»."""
    return _DECIMAL_POINT.sub(",", text) if isinstance(text, str) else text


# ------------------------------------------------------------------ tables


@dataclass(frozen=True)
class Column:
    """One column of a report table.

    ``key``: the row key (a tuple of keys for composite kinds). ``kind`` says how a value is
    written: ``text``, ``int``, ``pct`` (0–100), ``p`` (p-value), ``ratio``, ``num1``/``num2``/
    ``num3`` (decimals), ``km``, ``date``, ``auto`` (as it comes), and for compact tables
    ``n_pct`` (n, %), ``pct_ci`` (%, low, high), ``ratio_ci`` (OR, low, high), ``mean_sd``.
    ``width``: characters in Excel. ``wrap``: wrap long text in Excel. ``collapse``: in PDF
    and HTML, a value equal to the one in the row above is left out (grouped rows).
    """

    key: str | tuple[str, ...]
    heading: str
    kind: str = "text"
    width: float = 12.0
    wrap: bool = False
    collapse: bool = False          # PDF/HTML: leave a value out where it repeats the row above
    rotate: bool = False            # Excel: a vertical heading (narrow 0/1 columns)

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
        if is_missing(v):
            return ""
        if isinstance(v, bool):
            return "да" if v else "нет"
        if isinstance(v, int) or (isinstance(v, float) and float(v).is_integer()):
            return fmt_int(v)
        return fmt_num(v, 2) if isinstance(v, float) else str(v)
    if kind == "text":
        return "" if is_missing(v) else str(v)
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
        return "—" if is_missing(n) else f"{fmt_int(n)} ({fmt_num(p, 1)})"
    if kind == "pct_ci":
        p, low, high = values
        return "—" if is_missing(p) else f"{fmt_num(p, 1)} ({fmt_interval(low, high, digits=1)})"
    if kind == "ratio_ci":
        r, low, high = values
        return "—" if is_missing(r) else f"{fmt_ratio(r)} ({fmt_interval(low, high, fmt_ratio)})"
    if kind == "mean_sd":
        m, sd = values
        return "—" if is_missing(m) else f"{fmt_num(m, 2)} ({fmt_num(sd, 2)})"
    raise ValueError(f"unknown column kind {kind!r}")


# ------------------------------------------------------------------ the report


@dataclass
class ChartGroup:
    """One group of the problems chart: label and, per category, % with its interval."""

    label: str
    percent: list[float]
    low: list[float]
    high: list[float]


@dataclass
class ReportData:
    """Everything the summary writers lay out (see the module docstring)."""

    title: str
    subtitle: str
    synthetic: bool
    notice: str | None                      # the synthetic-data notice, or None for real data
    with_names: bool
    run_date: str                           # dd.mm.yyyy of the run
    software: str                           # "survey 0.1.0"
    group_by: str
    group_by_label: str
    key_figures: Table
    findings: list[str]
    problems: Table                         # full (Excel)
    problems_compact: Table                 # PDF/HTML
    border_tests: Table | None              # PDF/HTML, when grouped by something else than border status
    units: Table | None                     # unit-level sensitivity (full)
    units_compact: Table | None
    overall: Table
    closed: Table
    closed_compact: Table
    scales: Table
    models: Table
    models_compact: Table
    reliability_text: list[str]
    agreement: Table | None
    agreement_compact: Table | None
    classifier: Table | None
    codebook: Table
    data: Table                             # answers with codes (Excel only)
    methodology: list[tuple[str, str]]      # (heading, paragraph)
    published: Table
    versions: Table
    inputs: Table
    chart_categories: list[str]
    chart_groups: list[ChartGroup]
    chart_title: str
    cache: dict[str, Any] = field(default_factory=dict, repr=False)


def build_report(analysis, codebook, questionnaire, manifest: Mapping[str, Any], *,
                 coded: pd.DataFrame | None = None, gold_agreement: pd.DataFrame | None = None,
                 classifier: pd.DataFrame | None = None) -> ReportData:
    """Gather a :class:`ReportData` from a run.

    ``analysis``: :class:`survey.analysis.run.Analysis`; ``codebook``, ``questionnaire``: those of the
    run; ``manifest``: the run's manifest (``run.json``: synthetic flag, counts, inputs with
    sha256, versions, options); ``coded``: the long coding frame (evidence); ``gold_agreement``
    and ``classifier``: the coding-reliability tables when there are any. Personal columns
    (expert names) appear only if the analysis frame has them (``with_names``).
    """
    t = analysis.tables
    frame = analysis.frame
    categories = list(frame.attrs.get("categories") or codebook.ids)
    labels = codebook.labels
    no_problem_ids = {c.id for c in codebook.categories if c.no_problems}
    synthetic = bool(manifest.get("synthetic"))
    options = manifest.get("options") or {}
    with_names = bool(options.get("with_names")) and any(c in frame.columns for c in questionnaire.personal_columns)
    group_by = analysis.group_by
    problems_q = questionnaire.coded_questions[0] if questionnaire.coded_questions else None

    detail = t["problems_by_group_detail.csv"]
    tests = t["problem_tests_detail.csv"].set_index("category", drop=False)
    groups = [g for g in dict.fromkeys(detail["group"]) if g != "total"]
    group_info = _group_info(detail, groups)
    order = _category_order(detail, categories, no_problem_ids)

    ctx = _Context(frame=frame, labels=labels, categories=order, groups=groups, group_info=group_info,
                   tests=tests, detail=detail, questionnaire=questionnaire, codebook=codebook,
                   manifest=manifest, no_problem_ids=no_problem_ids, group_by=group_by)
    problems, problems_compact, border_tests = _problems_tables(ctx)
    units_full, units_compact = _units_tables(ctx, t.get("problems_by_group_units.csv"))
    closed, closed_compact = _closed_tables(ctx, t)
    models, models_compact = _model_tables(ctx, t["models.csv"])
    agreement_full, agreement_compact = _agreement_tables(ctx, gold_agreement)
    chart_groups = [ChartGroup(label=f"{group_info[g]['label']} (n = {group_info[g]['base']})",
                               percent=[_cell(detail, c, g, "percent") for c in order],
                               low=[_cell(detail, c, g, "ci_low") for c in order],
                               high=[_cell(detail, c, g, "ci_high") for c in order])
                    for g in groups]
    started = manifest.get("started_at")
    run_date = fmt_date(dt.datetime.fromisoformat(started)) if started else fmt_date(pd.Timestamp.now())
    version = (manifest.get("versions") or {}).get("survey", "")
    group_by_label = _group_by_label(group_by, questionnaire)
    return ReportData(
        title=TITLE, subtitle=SUBTITLE, synthetic=synthetic,
        notice=_synthetic_notice() if synthetic else None, with_names=with_names,
        run_date=run_date, software=f"survey {version}".strip(), group_by=group_by,
        group_by_label=group_by_label,
        key_figures=_key_figures(ctx), findings=_findings(ctx, t),
        problems=problems, problems_compact=problems_compact, border_tests=border_tests, units=units_full, units_compact=units_compact,
        overall=_overall_table(ctx, t["overall_test.csv"]), closed=closed, closed_compact=closed_compact,
        scales=_scales_table(ctx, t["scale_summary.csv"], t["scale_tests.csv"]), models=models,
        models_compact=models_compact, reliability_text=_reliability_text(ctx, gold_agreement),
        agreement=agreement_full, agreement_compact=agreement_compact,
        classifier=_classifier_table(ctx, classifier), codebook=_codebook_table(ctx),
        data=_data_table(ctx, coded, problems_q, with_names),
        methodology=_methodology(ctx, t, problems_q, with_names),
        published=_published_table(t["published_check.csv"], labels), versions=_versions_table(manifest),
        inputs=_inputs_table(manifest), chart_categories=[labels.get(c, c) for c in order],
        chart_groups=chart_groups,
        chart_title=f"Доля экспертов, назвавших проблему: {group_by_label}, % (95 % ДИ Уилсона)",
    )


def _synthetic_notice() -> str:
    from survey.pipeline import SYNTHETIC_NOTICE

    return SYNTHETIC_NOTICE


def _group_by_label(group_by: str, questionnaire) -> str:
    if group_by in GROUP_BY_LABELS:
        return GROUP_BY_LABELS[group_by]
    if group_by in questionnaire:
        return questionnaire.field(group_by).label
    return group_by


@dataclass
class _Context:
    frame: pd.DataFrame
    labels: Mapping[str, str]
    categories: list[str]                    # report order
    groups: list[str]
    group_info: dict[str, dict[str, Any]]
    tests: pd.DataFrame
    detail: pd.DataFrame
    questionnaire: Any
    codebook: Any
    manifest: Mapping[str, Any]
    no_problem_ids: set[str]
    group_by: str = "border_status"

    def label(self, cat: str) -> str:
        return self.labels.get(cat, cat)


def _group_info(detail: pd.DataFrame, groups: list[str]) -> dict[str, dict[str, Any]]:
    info = {}
    for g in [*groups, "total"]:
        part = detail[detail["group"] == g]
        if part.empty:
            continue
        first = part.iloc[0]
        info[g] = {"label": str(first["group_label"]), "base": int(first["base"]),
                   "letter": str(first["letter"]) if not is_missing(first["letter"]) else ""}
    return info


def _records(frame: pd.DataFrame, *keys: str) -> dict[tuple, dict[str, Any]]:
    """Rows of ``frame`` as dicts, indexed by the values of ``keys`` (first row wins)."""
    out: dict[tuple, dict[str, Any]] = {}
    for rec in frame.to_dict("records"):
        out.setdefault(tuple(rec[k] for k in keys), {k: (None if v is pd.NA else v) for k, v in rec.items()})
    return out


_INDEX_CACHE: dict[int, tuple[pd.DataFrame, dict]] = {}


def _cell(detail: pd.DataFrame, category: str, group: str, column: str):
    cached = _INDEX_CACHE.get(id(detail))
    if cached is None or cached[0] is not detail:
        cached = (detail, _records(detail, "category", "group"))
        _INDEX_CACHE.clear()
        _INDEX_CACHE[id(detail)] = cached
    rec = cached[1].get((category, group))
    return math.nan if rec is None else rec[column]


def _category_order(detail: pd.DataFrame, categories: list[str], no_problem_ids: set[str]) -> list[str]:
    """Problems by how many experts name them (all experts), «no problems» last; ties: codebook order."""
    total = {c: _cell(detail, c, "total", "respondents") for c in categories}
    pos = {c: i for i, c in enumerate(categories)}
    return sorted(categories, key=lambda c: (c in no_problem_ids, -(total[c] or 0), pos[c]))


# ------------------------------------------------------------------ key figures and findings


def _units(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop_duplicates("unit_id")


def _key_figures(ctx: _Context) -> Table:
    frame, m = ctx.frame, ctx.manifest
    units = _units(frame)
    rows = [
        {"label": "Экспертов (принятых анкет)", "value": len(frame),
         "note": f"прочитано анкет: {fmt_int(m.get('respondents_in', len(frame)))}, "
                 f"отклонено при проверке: {fmt_int(m.get('respondents_rejected', 0))}"},
        {"label": "Городов и регионов (единиц)", "value": int(frame["unit_id"].nunique()),
         "note": "у нескольких единиц больше одного эксперта"},
    ]
    if "kind" in frame.columns:
        for kind, label in (("city", "из них городов"), ("region", "из них регионов")):
            rows.append({"label": label, "value": int((units["kind"] == kind).sum()), "note": ""})
    if "border_status" in frame.columns:
        for status, label in (("border", "приграничных"), ("non_border", "неприграничных")):
            rows.append({"label": f"Единиц {label}", "value": int((units["border_status"] == status).sum()),
                         "note": "субъект РФ граничит с Китаем" if status == "border" else ""})
            rows.append({"label": f"Экспертов из {label} единиц", "value": int((frame["border_status"] == status).sum()),
                         "note": ""})
    dates = _dates(frame)
    if dates is not None:
        rows.append({"label": "Период опроса", "value": f"{fmt_date(dates.min())} — {fmt_date(dates.max())}",
                     "note": "даты интервью"})
    modes = _modes(ctx)
    if modes:
        rows.append({"label": "Способ опроса", "value": modes, "note": "число экспертов"})
    rows.append({"label": "Категорий проблем в кодовой книге", "value": len(ctx.categories), "note": ""})
    return Table("Ключевые показатели",
                 [Column("label", "Показатель", "text", 38), Column("value", "Значение", "auto", 24, wrap=True),
                  Column("note", "Пояснение", "text", 44, wrap=True)], rows)


def _dates(frame: pd.DataFrame):
    if "interview_date" not in frame.columns:
        return None
    dates = pd.to_datetime(frame["interview_date"], errors="coerce").dropna()
    return dates if len(dates) else None


def _modes(ctx: _Context) -> str:
    q = ctx.questionnaire
    if "interview_mode" not in ctx.frame.columns or "interview_mode" not in q:
        return ""
    col = ctx.frame["interview_mode"]
    parts = []
    for o in q.field("interview_mode").options:
        n = int((col == o.code).sum())
        if n:
            parts.append(f"{o.label} — {fmt_int(n)}")
    return ", ".join(parts)


def _findings(ctx: _Context, t: Mapping[str, pd.DataFrame]) -> list[str]:
    frame = ctx.frame
    n_experts = len(frame)
    n_units = int(frame["unit_id"].nunique())
    out = []
    units = _units(frame)
    verb = "участвовал" if n_experts % 10 == 1 and n_experts % 100 != 11 else "участвовали"
    sentence = (f"В опросе {verb} {plural(n_experts, 'эксперт', 'эксперта', 'экспертов')} — представители "
                f"{genitive(n_units, 'города или региона', 'городов и регионов')}")
    if "kind" in frame.columns:
        sentence += (f" (городов — {fmt_int((units['kind'] == 'city').sum())}, "
                     f"регионов — {fmt_int((units['kind'] == 'region').sum())})")
    out.append(sentence + ".")
    if "border_status" in frame.columns:
        nb = int((units["border_status"] == "border").sum())
        eb = int((frame["border_status"] == "border").sum())
        out.append(f"Приграничных единиц (субъект РФ граничит с Китаем) — {fmt_int(nb)} из {fmt_int(n_units)}, "
                   f"в них {plural(eb, 'эксперт', 'эксперта', 'экспертов')}; неприграничных — "
                   f"{fmt_int(n_units - nb)}, в них {plural(n_experts - eb, 'эксперт', 'эксперта', 'экспертов')}.")
    out.append(_top_problems(ctx))
    out.extend(_difference_findings(ctx))
    out.extend(_overall_findings(ctx, t["overall_test.csv"]))
    out.extend(_scale_findings(ctx, t["scale_summary.csv"], t["scale_tests.csv"]))
    out.append(_published_finding(t["published_check.csv"]))
    return [s for s in out if s]


def _top_problems(ctx: _Context, top: int = 3) -> str:
    rows = [(c, _cell(ctx.detail, c, "total", "respondents"), _cell(ctx.detail, c, "total", "percent"))
            for c in ctx.categories if c not in ctx.no_problem_ids]
    rows = [r for r in rows if r[1]]
    if not rows:
        return "Ни одной проблемы из кодовой книги эксперты не назвали."
    rows.sort(key=lambda r: -r[1])
    cutoff = rows[min(top, len(rows)) - 1][1]
    chosen = [r for r in rows if r[1] >= cutoff]
    n = len(ctx.frame)
    parts = [f"{quoted(ctx.label(c))} — {fmt_int(k)} из {genitive(n, 'эксперта', 'экспертов')} ({fmt_pct(p)})"
             if i == 0 else f"{quoted(ctx.label(c))} — {fmt_int(k)} ({fmt_pct(p)})"
             for i, (c, k, p) in enumerate(chosen)]
    text = "Чаще всего эксперты называют проблемы: " + "; ".join(parts) + "."
    none = [c for c in ctx.no_problem_ids if c in ctx.categories]
    for c in none:
        k = _cell(ctx.detail, c, "total", "respondents")
        if k:
            text += (f" Об отсутствии проблем (кроме, возможно, пандемии) говорят "
                     f"{plural(k, 'эксперт', 'эксперта', 'экспертов')} ({fmt_pct(_cell(ctx.detail, c, 'total', 'percent'))}).")
    return text


def _difference_findings(ctx: _Context) -> list[str]:
    tests = ctx.tests
    if tests.empty or not tests["testable"].any():
        return ["Сравнить приграничные и неприграничные единицы нельзя: в данных нет обеих групп "
                "или ни одна категория не различает экспертов."]
    out = []
    significant = tests[tests["testable"] & (tests["p_holm"] < ALPHA)]
    for cat in [c for c in ctx.categories if c in significant.index]:
        r = tests.loc[cat]
        sides = [("неприграничных", r.k_reference, r.n_reference, r.percent_reference),
                 ("приграничных", r.k_exposed, r.n_exposed, r.percent_exposed)]
        sides.sort(key=lambda s: -s[3])
        (g1, k1, n1, p1), (g2, k2, n2, p2) = sides
        text = (f"Проблему {quoted(ctx.label(cat))} называют {fmt_pct(p1)} экспертов из {g1} единиц "
                f"({fmt_int(k1)} из {fmt_int(n1)}) и {fmt_pct(p2)} — из {g2} ({fmt_int(k2)} из {fmt_int(n2)}); "
                f"отношение шансов (приграничные к неприграничным) {fmt_ratio(r.odds_ratio)} "
                f"[95 % ДИ {fmt_interval(r.or_ci_low, r.or_ci_high, fmt_ratio)}] "
                f"(точный критерий Фишера, {fmt_p(r.p_fisher)}; с поправкой Холма {fmt_p(r.p_holm)}).")
        if not is_missing(r.p_fisher_units) or not is_missing(r.p_perm_cluster):
            checks = []
            if not is_missing(r.units_exposed) and not is_missing(r.p_fisher_units):
                checks.append(f"на уровне единиц критерий Фишера {fmt_p(r.p_fisher_units)}")
            if not is_missing(r.p_perm_cluster):
                checks.append(f"кластерный перестановочный тест (единицы целиком) {fmt_p(r.p_perm_cluster)}")
            robust = all(p < ALPHA for p in (r.p_fisher_units, r.p_perm_cluster) if not is_missing(p))
            text += (" С учётом того, что у одной единицы бывает несколько экспертов: " + "; ".join(checks)
                     + (" — различие сохраняется." if robust else " — на этом уровне различие не подтверждается."))
        out.append(text)
    raw_only = tests[tests["testable"] & (tests["p_fisher"] < ALPHA) & ~(tests["p_holm"] < ALPHA)]
    for cat in [c for c in ctx.categories if c in raw_only.index]:
        r = tests.loc[cat]
        out.append(f"По проблеме {quoted(ctx.label(cat))} различие значимо только без поправки на число категорий "
                   f"({fmt_pct(r.percent_exposed)} в приграничных и {fmt_pct(r.percent_reference)} в неприграничных; "
                   f"точный критерий Фишера {fmt_p(r.p_fisher)}, с поправкой Холма {fmt_p(r.p_holm)}): "
                   "считать его установленным нельзя.")
    rest = [c for c in ctx.categories if c in tests.index and bool(tests.loc[c, "testable"])
            and c not in significant.index and c not in raw_only.index]
    if rest:
        names = ", ".join(quoted(ctx.label(c)) for c in rest)
        if significant.empty and raw_only.empty:
            out.append("Ни по одной категории различие между приграничными и неприграничными единицами не значимо "
                       f"(точный критерий Фишера, уровень 0,05): {names}.")
        else:
            out.append(f"По остальным категориям различие между приграничными и неприграничными единицами не значимо "
                       f"(точный критерий Фишера, p ≥ 0,05): {names}.")
    for cat in [c for c in ctx.categories if c in tests.index and not bool(tests.loc[c, "testable"])]:
        r = tests.loc[cat]
        k = int(r.k_exposed + r.k_reference)
        n = int(r.n_exposed + r.n_reference)
        if k == n and n:
            who = f"называют все {plural(n, 'эксперт', 'эксперта', 'экспертов')}"
        elif k == 0:
            who = "не называет ни один эксперт"
        else:
            who = f"называют {fmt_int(k)} из {genitive(n, 'эксперта', 'экспертов')}"
        out.append(f"Проблему {quoted(ctx.label(cat))} {who} в обеих группах: различия между группами нет, "
                   "проверять нечего; в поправку на число категорий эта проблема не входит.")
    return out


def _overall_findings(ctx: _Context, overall: pd.DataFrame) -> list[str]:
    out = []
    for group_by, part in overall.groupby("group_by", sort=False):
        by = {r.method: r for r in part.itertuples()}
        perm, cluster = by.get("permutation"), by.get("cluster_permutation")
        if perm is None or is_missing(perm.p_value):
            continue
        what = "приграничными и неприграничными единицами" if group_by == "border_status" else \
            f"группами ({_group_by_label(group_by, ctx.questionnaire)})"
        verdict = "различается" if perm.p_value < ALPHA else "значимо не различается"
        text = (f"Набор называемых проблем в целом {verdict} между {what} (тест множественной маргинальной "
                f"независимости, перестановки между экспертами: {fmt_p(perm.p_value)})")
        if cluster is not None and not is_missing(cluster.p_value):
            same = (cluster.p_value < ALPHA) == (perm.p_value < ALPHA)
            text += (f"; при перестановках между единицами (эксперты одной единицы вместе) {fmt_p(cluster.p_value)}"
                     + (" — вывод тот же" if same else
                        " — на уровне единиц различие не подтверждается" if perm.p_value < ALPHA else
                        " — на уровне единиц различие значимо"))
        out.append(text + ".")
    return out


def _scale_findings(ctx: _Context, summary: pd.DataFrame, tests: pd.DataFrame) -> list[str]:
    out = []
    q = ctx.questionnaire
    for r in tests.itertuples():
        f = q.field(r.question)
        part = summary[(summary["question"] == r.question) & (summary["group"] != "total")]
        if part.empty or is_missing(r.p_value):
            continue
        means = ", ".join(f"{row.group_label} — {fmt_num(row.mean, 2)}" for row in part.itertuples()
                          if not is_missing(row.mean))
        lo, hi = f.substantive_options[0], f.substantive_options[-1]
        verdict = "различие значимо" if r.p_value < ALPHA else "различие не значимо"
        out.append(f"Оценка {quoted(f.label)} (от {lo.code} — {lo.label} до {hi.code} — {hi.label}): средние "
                   f"по группам {means} ({SCALE_TESTS.get(r.test, r.test)}, {fmt_p(r.p_value)}: {verdict}).")
    return out


def _published_finding(check: pd.DataFrame) -> str:
    if check.empty:
        return ""
    if check["match"].all():
        values = ", ".join(fmt_int(v) for v in check["computed"])
        return ("Опубликованные показатели исследования воспроизводятся: все "
                f"{len(check)} совпадают ({values}; см. «Методика»).")
    bad = [r for r in check.itertuples() if not r.match]
    return ("С опубликованными показателями исследования совпадают не все: "
            + "; ".join(f"{r.figure}: опубликовано {fmt_int(r.published)}, получено {fmt_int(r.computed)}"
                        for r in bad) + " (см. «Методика»).")


# ------------------------------------------------------------------ problems


def _problems_tables(ctx: _Context) -> tuple[Table, Table, Table | None]:
    detail, tests = ctx.detail, ctx.tests
    groups = [*ctx.groups, "total"]
    rows = []
    cells = _records(detail, "category", "group")
    for cat in ctx.categories:
        row: dict[str, Any] = {"category": cat, "label": ctx.label(cat)}
        diffs = []
        for i, g in enumerate(groups):
            key = _gkey(i, g)
            r = cells.get((cat, g))
            if r is None:
                continue
            row.update({f"n_{key}": int(r["respondents"]), f"pct_{key}": r["percent"],
                        f"lo_{key}": r["ci_low"], f"hi_{key}": r["ci_high"],
                        f"higher_{key}": "" if is_missing(r["higher_than"]) else str(r["higher_than"])})
            if g != "total" and row[f"higher_{key}"]:
                diffs.append(f"{ctx.group_info[g]['letter']} > {row[f'higher_{key}']}")
        row["diffs"] = "; ".join(diffs)
        if cat in tests.index:
            r = tests.loc[cat]
            row.update({k: (None if r[k] is pd.NA else r[k]) for k in (
                "odds_ratio", "or_ci_low", "or_ci_high", "p_fisher", "p_chi2", "min_expected", "p_holm", "p_bh",
                "p_fisher_units", "p_perm_cluster")})
            row["note"] = decimal_comma(r["note"])
            row["pct_exposed"], row["pct_reference"] = r["percent_exposed"], r["percent_reference"]
        rows.append(row)
    cols = [Column("label", "Проблема (категория)", "text", 34, wrap=True)]
    spans = [("", 1)]
    compact = [Column("label", "Проблема", "text", 30, wrap=True)]
    for i, g in enumerate(groups):
        key = _gkey(i, g)
        info = ctx.group_info.get(g)
        if info is None:
            continue
        letter = f" ({info['letter']})" if info["letter"] and g != "total" else ""
        sub = [Column(f"n_{key}", "назвали", "int", 9), Column(f"pct_{key}", "%", "pct", 8),
               Column(f"lo_{key}", "ДИ от", "pct", 8), Column(f"hi_{key}", "ДИ до", "pct", 8)]
        if g != "total":
            sub.append(Column(f"higher_{key}", "выше, чем", "text", 9))
        cols.extend(sub)
        spans.append((f"{info['label']}{letter}: экспертов {fmt_int(info['base'])}", len(sub)))
        if g == "total":
            compact.append(Column((f"n_{key}", f"pct_{key}"), f"Всего, n (%), база {fmt_int(info['base'])}",
                                  "n_pct", 16))
        elif len(ctx.groups) > 3:       # many groups: a letter and % (names, bases, intervals: note, workbook)
            compact.append(Column(f"pct_{key}", f"{info['letter']}, %", "pct", 8))
        else:
            compact.append(Column((f"pct_{key}", f"lo_{key}", f"hi_{key}"),
                                  f"{info['label']}{letter}, % (95 % ДИ), база {fmt_int(info['base'])}", "pct_ci", 22))
    if len(ctx.groups) > 1:
        compact.append(Column("diffs", "Различия (z-тест)", "text", 11))
    test_cols = [Column("odds_ratio", "ОШ", "ratio", 9), Column("or_ci_low", "ОШ: ДИ от", "ratio", 9),
                 Column("or_ci_high", "ОШ: ДИ до", "ratio", 9), Column("p_fisher", "p Фишера", "p", 10),
                 Column("p_chi2", "p χ²", "p", 10), Column("min_expected", "мин. ожид. частота", "num2", 10),
                 Column("p_holm", "p Холма", "p", 10), Column("p_bh", "p БХ", "p", 10),
                 Column("p_fisher_units", "p Фишера по единицам", "p", 11),
                 Column("p_perm_cluster", "p перестановок по единицам", "p", 13),
                 Column("note", "Примечание", "text", 44, wrap=True)]
    cols.extend(test_cols)
    spans.append(("Сравнение приграничных и неприграничных (ОШ: приграничные к неприграничным)", len(test_cols)))
    border_cols = [Column(("odds_ratio", "or_ci_low", "or_ci_high"), "ОШ (95 % ДИ)", "ratio_ci", 20),
                   Column("p_fisher", "p Фишера", "p", 11), Column("p_holm", "p Холма", "p", 11)]
    border = None
    if ctx.group_by == "border_status":
        compact.extend(border_cols)
    else:                           # the border comparison gets a table of its own
        border = Table("Сравнение приграничных и неприграничных единиц",
                       [Column("label", "Проблема", "text", 30, wrap=True),
                        Column("pct_exposed", "Приграничные, %", "pct", 12),
                        Column("pct_reference", "Неприграничные, %", "pct", 12), *border_cols], rows,
                       note="ОШ — отношение шансов назвать проблему у экспертов приграничных единиц к неприграничным "
                            "(интервал Вулфа); точный критерий Фишера, p Холма — с поправкой на число категорий.")
    note = (f"Группировка: {_group_by_label(ctx.group_by, ctx.questionnaire)}. «Назвали» — число экспертов, назвавших проблему; % — доля "
            "экспертов группы (база — все эксперты группы); эксперт может назвать несколько проблем, поэтому сумма "
            "больше 100 %. ДИ — 95 % доверительный интервал Уилсона. Буквы: доля группы значимо выше, чем у групп "
            "с указанными буквами (z-тест для двух долей, поправка Бонферрони). ОШ — отношение шансов назвать "
            "проблему у экспертов приграничных единиц к неприграничным (< 1: приграничные называют реже), "
            "интервал Вулфа. p Холма и p БХ — p Фишера с поправкой на число категорий (Холм; Бенджамини–Хохберг); "
            "категория, которую называют все (или никто), в поправку не входит.")
    full = Table("Проблемы по группам", cols, rows, note=note, spans=spans)
    short = Table("Проблемы по группам", compact, rows, note=(_group_legend(ctx) + note) if len(ctx.groups) > 3
                  else note)
    return full, short, border


def _group_legend(ctx: _Context) -> str:
    """«Группы: A — Дальневосточный (экспертов 33); B — …» for tables that name groups by letter."""
    parts = [f"{ctx.group_info[g]['letter']} — {ctx.group_info[g]['label']} (экспертов {fmt_int(ctx.group_info[g]['base'])})"
             for g in ctx.groups if g in ctx.group_info]
    return "Группы: " + "; ".join(parts) + ". Интервалы — в summary.xlsx. "


def _gkey(i: int, g: str) -> str:
    return "total" if g == "total" else f"g{i}"


def _units_tables(ctx: _Context, units: pd.DataFrame | None) -> tuple[Table | None, Table | None]:
    if units is None or units.empty:
        return None, None
    groups = [g for g in dict.fromkeys(units["group"]) if g != "total"] + ["total"]
    cells = _records(units, "category", "group")
    rows = []
    for cat in ctx.categories:
        row: dict[str, Any] = {"label": ctx.label(cat)}
        for i, g in enumerate(groups):
            r = cells.get((cat, g))
            if r is None:
                continue
            key = _gkey(i, g)
            row.update({f"n_{key}": int(r["respondents"]), f"pct_{key}": r["percent"], f"lo_{key}": r["ci_low"],
                        f"hi_{key}": r["ci_high"]})
        if cat in ctx.tests.index:
            r = ctx.tests.loc[cat]
            row["p_fisher_units"] = r["p_fisher_units"]
            row["p_perm_cluster"] = r["p_perm_cluster"]
        rows.append(row)
    cols = [Column("label", "Проблема (категория)", "text", 34, wrap=True)]
    compact = [Column("label", "Проблема", "text", 30, wrap=True)]
    spans = [("", 1)]
    for i, g in enumerate(groups):
        key = _gkey(i, g)
        part = units[units["group"] == g]
        if part.empty:
            continue
        label, base = str(part.iloc[0]["group_label"]), int(part.iloc[0]["base"])
        cols.extend([Column(f"n_{key}", "назвали", "int", 9), Column(f"pct_{key}", "%", "pct", 8),
                     Column(f"lo_{key}", "ДИ от", "pct", 8), Column(f"hi_{key}", "ДИ до", "pct", 8)])
        spans.append((f"{label}: единиц {fmt_int(base)}", 4))
        if len(groups) > 4:
            letter = ctx.group_info.get(g, {}).get("letter") or label
            compact.append(Column(f"pct_{key}", f"{letter}, %" if g != "total" else "всего, %", "pct", 8))
        else:
            compact.append(Column((f"pct_{key}", f"lo_{key}", f"hi_{key}"),
                                  f"{label}, % единиц (95 % ДИ), база {fmt_int(base)}", "pct_ci", 22))
    tail = [Column("p_fisher_units", "p Фишера по единицам", "p", 11),
            Column("p_perm_cluster", "p перестановок по единицам", "p", 13)]
    cols.extend(tail)
    compact.extend(tail)
    spans.append(("Приграничные и неприграничные", 2))
    note = ("Единица (город или регион) считается назвавшей проблему, если её назвал хотя бы один эксперт этой "
            "единицы. p Фишера по единицам — точный критерий на этих данных; p перестановок — метки «приграничная»/"
            "«неприграничная» переставляются между единицами, эксперты одной единицы остаются вместе.")
    return (Table("Проверка на уровне единиц", cols, rows, note=note, spans=spans),
            Table("Проверка на уровне единиц", compact, rows, note=note))


def _overall_table(ctx: _Context, overall: pd.DataFrame) -> Table:
    several = overall["group_by"].nunique() > 1
    rows = []
    excluded = set()
    for r in overall.itertuples():
        method = OVERALL_METHODS.get(r.method, r.method)
        if several:
            method = f"{_group_by_label(r.group_by, ctx.questionnaire)}: {method}"
        rows.append({"group_by": _group_by_label(r.group_by, ctx.questionnaire), "method": method,
                     "statistic": r.statistic, "df": r.df, "p_value": r.p_value, "n": r.n,
                     "n_clusters": None if r.n_clusters is pd.NA else r.n_clusters,
                     "items_tested": r.items_tested,
                     "n_permutations": None if r.n_permutations is pd.NA else r.n_permutations})
        excluded.update(c for c in str(r.items_excluded or "").split(",") if c and c != "nan")
    cols = [Column("method", "Метод", "text", 44, wrap=True), Column("statistic", "Статистика", "num2", 11),
            Column("df", "df", "int", 5), Column("p_value", "p", "p", 10), Column("n", "Экспертов", "int", 10),
            Column("n_clusters", "Единиц", "int", 8), Column("items_tested", "Категорий в тесте", "int", 10),
            Column("n_permutations", "Перестановок", "int", 12)]
    note = ("Различается ли набор называемых проблем между группами"
            + ("" if several else f" ({_group_by_label(overall['group_by'].iloc[0], ctx.questionnaire)})")
            + ". Статистика — сумма χ² Пирсона по категориям (тест множественной маргинальной независимости; "
              "Agresti, Liu 1999; Bilder, Loughin 2004); χ² по всей таблице множественных ответов неприменим, так как "
              "один эксперт даёт несколько ответов.")
    if excluded:
        names = ", ".join(quoted(ctx.label(c)) for c in ctx.categories if c in excluded)
        note += f" Не входят в тест (их называют все эксперты или никто): {names}."
    return Table("Общий тест различий набора проблем", cols, rows, note=note)


# ------------------------------------------------------------------ closed questions


def _closed_tables(ctx: _Context, t: Mapping[str, pd.DataFrame]) -> tuple[Table, Table]:
    q = ctx.questionnaire
    freq = t["closed_frequencies.csv"]
    by_group = t["closed_by_group.csv"]
    multi = t.get("closed_multiple_by_group.csv", pd.DataFrame())
    mtests = t.get("closed_multiple_tests.csv", pd.DataFrame())
    groups = ctx.groups
    by_group_cells = _records(by_group, "question", "code", "group")
    multi_cells = _records(multi, "question", "category", "group") if not multi.empty else {}
    test_cells = _records(mtests, "question", "category") if not mtests.empty else {}
    rows = []
    for f in q.questions:
        if f.type in ("single", "scale"):
            for r in freq[freq["question"] == f.id].to_dict("records"):
                row: dict[str, Any] = {"question": f.title, "option": r["label"], "n": r["n"], "pct": r["percent"],
                                       "valid_pct": r["valid_percent"], "missing": bool(r["missing"]),
                                       "p_fisher": "", "p_holm": ""}
                if not r["missing"]:
                    for i, g in enumerate(groups):
                        p = by_group_cells.get((f.id, r["code"], g))
                        if p is not None:
                            key = _gkey(i, g)
                            row.update({f"n_{key}": p["n"], f"pct_{key}": p["percent"], f"lo_{key}": p["ci_low"],
                                        f"hi_{key}": p["ci_high"]})
                rows.append(row)
        elif f.type == "multiple" and multi_cells:
            for o in f.options:
                col = f.option_column(o)
                total = multi_cells.get((f.id, col, "total"))
                if total is None:
                    continue
                row = {"question": f.title, "option": o.label, "n": total["respondents"], "pct": total["percent"],
                       "valid_pct": None, "missing": False}
                for i, g in enumerate(groups):
                    p = multi_cells.get((f.id, col, g))
                    if p is not None:
                        key = _gkey(i, g)
                        row.update({f"n_{key}": p["respondents"], f"pct_{key}": p["percent"], f"lo_{key}": p["ci_low"],
                                    f"hi_{key}": p["ci_high"]})
                tt = test_cells.get((f.id, col))
                if tt is not None:
                    row["p_fisher"] = tt["p_fisher"]
                    row["p_holm"] = tt["p_holm"]
                rows.append(row)
    cols = [Column("question", "Вопрос", "text", 26, wrap=True), Column("option", "Ответ", "text", 34, wrap=True),
            Column("n", "Всего: n", "int", 9), Column("pct", "Всего: % от всех", "pct", 10),
            Column("valid_pct", "Всего: % ответивших по существу", "pct", 12)]
    compact = [Column("question", "Вопрос", "text", 20, wrap=True, collapse=True),
               Column("option", "Ответ", "text", 30, wrap=True),
               Column(("n", "pct"), "Всего, n (%)", "n_pct", 13)]
    for i, g in enumerate(groups):
        key = _gkey(i, g)
        info = ctx.group_info[g]
        cols.extend([Column(f"n_{key}", f"{info['label']}: n", "int", 9),
                     Column(f"pct_{key}", f"{info['label']}: %", "pct", 9),
                     Column(f"lo_{key}", f"{info['label']}: ДИ от", "pct", 9),
                     Column(f"hi_{key}", f"{info['label']}: ДИ до", "pct", 9)])
        if len(groups) > 3:
            compact.append(Column(f"pct_{key}", f"{info['letter']}, %", "pct", 8))
        else:
            compact.append(Column((f"pct_{key}", f"lo_{key}", f"hi_{key}"), f"{info['label']}, % (95 % ДИ)", "pct_ci", 20))
    cols.extend([Column("p_fisher", "p Фишера (пригр./непригр.)", "p", 12), Column("p_holm", "p Холма", "p", 10)])
    compact.append(Column("p_fisher", "p Фишера", "p", 10))
    note = ("Вопросы с одним ответом и шкалы: % от всех экспертов и % от ответивших по существу (без «затрудняюсь "
            "ответить»); по группам — % от ответивших по существу в группе. Вопросы с несколькими ответами: % от всех "
            "экспертов (группы), сумма больше 100 %; p Фишера — сравнение приграничных и неприграничных, p Холма — "
            "с поправкой на число вариантов вопроса. ДИ — 95 % интервал Уилсона.")
    return (Table("Закрытые вопросы", cols, rows, note=note),
            Table("Закрытые вопросы", compact, rows, note=(_group_legend(ctx) + note) if len(groups) > 3 else note))


def _scales_table(ctx: _Context, summary: pd.DataFrame, tests: pd.DataFrame) -> Table:
    q = ctx.questionnaire
    rows = []
    for qid in dict.fromkeys(summary["question"]):
        f = q.field(qid)
        test = tests[tests["question"] == qid]
        tr = test.iloc[0] if not test.empty else None
        for r in summary[summary["question"] == qid].itertuples():
            rows.append({"question": f.title, "group": r.group_label, "n_valid": r.n_valid, "n_missing": r.n_missing,
                         "mean": r.mean, "sd": r.sd, "median": r.median,
                         "test": SCALE_TESTS.get(tr["test"], tr["test"]) if tr is not None and r.group == "total" else "",
                         "p_value": tr["p_value"] if tr is not None and r.group == "total" else ""})
    cols = [Column("question", "Вопрос (шкала 1–5)", "text", 28, wrap=True, collapse=True),
            Column("group", "Группа", "text", 18),
            Column("n_valid", "Ответили по существу", "int", 11), Column("n_missing", "Затрудн./нет ответа", "int", 11),
            Column("mean", "Среднее", "num2", 9), Column("sd", "Ст. откл.", "num2", 9),
            Column("median", "Медиана", "num1", 9), Column("test", "Критерий", "text", 22, wrap=True),
            Column("p_value", "p", "p", 10)]
    note = ("Шкалы 1–5 без ответов «затрудняюсь ответить» (код 9). Сравнение групп: критерий Манна–Уитни (две группы) "
            "или Краскела–Уоллиса (больше двух); p — в строке «всего».")
    return Table("Оценки по шкалам", cols, rows, note=note)


# ------------------------------------------------------------------ models


def _model_tables(ctx: _Context, models: pd.DataFrame) -> tuple[Table, Table]:
    rows = []
    compact_rows = []
    order = {c: i for i, c in enumerate(ctx.categories)}
    models = models.assign(_o=models["category"].map(order)).sort_values("_o", kind="stable")
    for cat, part in models.groupby("category", sort=False):
        status = part["status"].iloc[0]
        for r in part.itertuples():
            rows.append({"label": ctx.label(cat), "term": r.term_label, "odds_ratio": r.odds_ratio, "ci_low": r.ci_low,
                         "ci_high": r.ci_high, "p_value": r.p_value, "n": r.n, "events": r.events,
                         "n_clusters": r.n_clusters, "status": MODEL_STATUS.get(r.status, r.status),
                         "note": decimal_comma(r.note)})
        if status == "ok":
            for r in part.itertuples():
                if r.term == "intercept":
                    continue
                compact_rows.append({"label": ctx.label(cat), "term": r.term_label, "odds_ratio": r.odds_ratio,
                                     "ci_low": r.ci_low, "ci_high": r.ci_high, "p_value": r.p_value})
        else:
            compact_rows.append({"label": ctx.label(cat), "term": decimal_comma(part["note"].iloc[0]),
                                 "odds_ratio": None, "ci_low": None, "ci_high": None, "p_value": None})
    cols = [Column("label", "Проблема (категория)", "text", 34, wrap=True), Column("term", "Показатель", "text", 38, wrap=True),
            Column("odds_ratio", "ОШ", "ratio", 9), Column("ci_low", "ДИ от", "ratio", 9),
            Column("ci_high", "ДИ до", "ratio", 9), Column("p_value", "p", "p", 10), Column("n", "Экспертов", "int", 9),
            Column("events", "Назвали", "int", 9), Column("n_clusters", "Единиц (кластеров)", "int", 11),
            Column("status", "Модель", "text", 14), Column("note", "Примечание", "text", 50, wrap=True)]
    compact = [Column("label", "Проблема", "text", 28, wrap=True, collapse=True),
               Column("term", "Показатель", "text", 40, wrap=True),
               Column(("odds_ratio", "ci_low", "ci_high"), "ОШ (95 % ДИ)", "ratio_ci", 24),
               Column("p_value", "p", "p", 10)]
    note = ("Логистическая регрессия для каждой проблемы: вероятность назвать её в зависимости от того, приграничная ли "
            "единица, регион ли это (или город) и расстояния до границы с Китаем (ОШ на десятикратное расстояние); "
            "стандартные ошибки устойчивы к кластеризации по единицам. Приграничность и расстояние сильно связаны, "
            "поэтому их отдельные ОШ имеют широкие интервалы: читайте их вместе.")
    return (Table("Логистические модели", cols, rows, note=note),
            Table("Логистические модели", compact, compact_rows, note=note))


# ------------------------------------------------------------------ reliability


def _agreement_tables(ctx: _Context, gold: pd.DataFrame | None) -> tuple[Table | None, Table | None]:
    if gold is None or gold.empty:
        return None, None
    order = {c: i for i, c in enumerate(ctx.categories)}
    rows = []
    for r in sorted(gold.itertuples(), key=lambda r: order.get(r.category, 99)):
        rows.append({"label": ctx.label(r.category), "n": r.n, "both": r.both, "only_a": r.only_a,
                     "only_b": r.only_b, "neither": r.neither, "agreement": r.agreement * 100 if not is_missing(r.agreement) else None,
                     "precision": r.precision, "recall": r.recall, "f1": r.f1, "kappa": r.kappa, "alpha": r.alpha,
                     "note": r.note})
    cols = [Column("label", "Проблема (категория)", "text", 34, wrap=True), Column("n", "Ответов", "int", 9),
            Column("both", "Оба: есть", "int", 9), Column("only_a", "Только эталон", "int", 10),
            Column("only_b", "Только авто", "int", 10), Column("neither", "Оба: нет", "int", 9),
            Column("agreement", "Совпадение, %", "pct", 11), Column("precision", "Точность", "num3", 10),
            Column("recall", "Полнота", "num3", 10), Column("f1", "F1", "num3", 9), Column("kappa", "κ Коэна", "num3", 9),
            Column("alpha", "α Криппендорфа", "num3", 11), Column("note", "Примечание", "text", 40, wrap=True)]
    compact = [Column("label", "Проблема", "text", 34, wrap=True), Column("only_a", "Пропущено", "int", 11),
               Column("only_b", "Лишних", "int", 10), Column("agreement", "Совпадение, %", "pct", 13),
               Column("f1", "F1", "num3", 9), Column("kappa", "κ Коэна", "num3", 10),
               Column("alpha", "α Криппендорфа", "num3", 13)]
    note = ("Автоматическое кодирование (авто) сравнивается с эталонным (ручным) кодированием тех же ответов. "
            "«Пропущено» — код есть в эталоне, но не поставлен автоматически; «лишних» — наоборот. Там, где "
            "статистика не определена (нет вариации: категорию называют все), стоит «—», а не 1.")
    return (Table("Согласие с эталонным кодированием", cols, rows, note=note),
            Table("Согласие с эталонным кодированием", compact, rows, note=note))


def _reliability_text(ctx: _Context, gold: pd.DataFrame | None) -> list[str]:
    coding = ctx.manifest.get("coding") or {}
    out = []
    n = len(ctx.frame)
    if gold is not None and not gold.empty:
        g = gold.dropna(subset=["f1"])
        worst = g.loc[g["f1"].idxmin()] if not g.empty else None
        kap = gold["kappa"].dropna()
        undefined = [ctx.label(c) for c in gold.loc[gold["kappa"].isna(), "category"]]
        text = (f"Автоматическое кодирование ответов на вопрос о проблемах сверено с эталонным кодированием "
                f"({plural(int(gold['n'].max()), 'ответ', 'ответа', 'ответов')}).")
        if worst is not None:
            text += (f" F1 по категориям — от {fmt_num(worst['f1'], 3)} ({quoted(ctx.label(worst['category']))}) "
                     f"до {fmt_num(g['f1'].max(), 3)}")
        if not kap.empty:
            text += f"; κ Коэна — от {fmt_num(kap.min(), 3)} до {fmt_num(kap.max(), 3)}"
        text += "."
        if undefined:
            text += (" Для " + ", ".join(quoted(u) for u in undefined) + " κ и α не определены: нет вариации "
                     "(категорию назвали все или никто).")
        misses = int(gold["only_a"].sum())
        extra = int(gold["only_b"].sum())
        text += (f" Всего автоматически пропущено кодов: {fmt_int(misses)}, поставлено лишних: {fmt_int(extra)} "
                 f"(из {fmt_int(n * len(gold))} решений «есть/нет»).")
        out.append(text)
    else:
        out.append("Эталонного (ручного) кодирования этих ответов нет, поэтому согласие автоматического кодирования "
                   "с ним не измерено. Проверить кодирование можно на листе coding/coding_sheet.xlsx и запустить "
                   "анализ с исправлениями (survey run --overrides).")
    overrides = coding.get("overrides")
    if overrides:
        out.append(f"Социолог проверил кодирование: исправлено кодов — {fmt_int(overrides['codes_overridden'])} "
                   f"в {genitive(overrides['answers_overridden'], 'ответе', 'ответах')}, из них изменили автоматический "
                   f"код — {fmt_int(overrides['codes_changed'])}. Все таблицы построены по итоговым кодам.")
    else:
        out.append("Ручных исправлений кодов в этом запуске нет: таблицы построены по автоматическим кодам.")
    return out


def _classifier_table(ctx: _Context, classifier: pd.DataFrame | None) -> Table | None:
    if classifier is None or classifier.empty:
        return None
    order = {c: i for i, c in enumerate(ctx.categories)}
    rows = [{"label": ctx.label(r.category), "positives": r.positives, "precision": r.precision_cv,
             "recall": r.recall_cv, "f1": r.f1_cv}
            for r in sorted(classifier.itertuples(), key=lambda r: order.get(r.category, 99))]
    cols = [Column("label", "Проблема (категория)", "text", 34, wrap=True), Column("positives", "Ответов с кодом", "int", 11),
            Column("precision", "Точность", "num3", 10), Column("recall", "Полнота", "num3", 10),
            Column("f1", "F1", "num3", 9)]
    notes = sorted({str(r.note) for r in classifier.itertuples() if not is_missing(r.note)})
    note = ("Классификатор (TF-IDF по леммам, логистическая регрессия) только подсказывает социологу, какие коды "
            "проверить, и в анализ не входит. " + "; ".join(notes).capitalize() + ". Прочерк: показатель не "
            "определён (категорию называют все эксперты, или классификатор не предсказал её ни разу).")
    return Table("Подсказки классификатора (кросс-валидация)", cols, rows, note=note)


# ------------------------------------------------------------------ codebook, data, methodology


def _codebook_table(ctx: _Context) -> Table:
    rows = []
    for c in ctx.codebook.categories:
        if c.id not in ctx.categories:
            continue
        rows.append({"id": c.id, "label": c.label, "description": c.description,
                     "n": _cell(ctx.detail, c.id, "total", "respondents"),
                     "pct": _cell(ctx.detail, c.id, "total", "percent")})
    cols = [Column("id", "Код", "text", 13), Column("label", "Категория", "text", 30, wrap=True),
            Column("description", "Что относится к категории", "text", 90, wrap=True),
            Column("n", "Назвали экспертов", "int", 11), Column("pct", "% экспертов", "pct", 11)]
    note = (f"Кодовая книга версии {ctx.codebook.version or '—'}: категории, по которым закодированы ответы на открытый "
            "вопрос о проблемах. Один ответ может получить несколько кодов.")
    return Table("Кодовая книга", cols, rows, note=note)


def _data_table(ctx: _Context, coded: pd.DataFrame | None, problems_q, with_names: bool) -> Table:
    frame = ctx.frame
    q = ctx.questionnaire
    evidence = {}
    if coded is not None and problems_q is not None and not coded.empty:
        part = coded[coded["question"] == problems_q.id]
        evidence = {str(r.expert_id): r for r in part.itertuples()}
    texts = [f for f in q.questions if f.type == "text" and f.id in frame.columns and not f.coded]
    rows = []
    for r in frame.to_dict("records"):
        eid = str(r["expert_id"])
        row = {"expert_id": eid, "unit": r.get("name", r.get("unit_id")),
               "kind": KIND_LABELS.get(r.get("kind"), r.get("kind")), "federal_subject": r.get("federal_subject"),
               "border": BORDER_LABELS.get(r.get("border_status"), r.get("border_status")),
               "answer": r.get(problems_q.id) if problems_q is not None else None}
        if with_names:
            row["names"] = " ".join(str(r[c]) for c in q.personal_columns if c in r and not is_missing(r[c]))
        for c in ctx.codebook.ids:
            if c in r:
                row[f"code_{c}"] = int(r[c])
        e = evidence.get(eid)
        row["evidence"] = _evidence_text(getattr(e, "evidence", None), ctx.labels) if e is not None else None
        row["denied"] = _label_list(getattr(e, "denied", None), ctx.labels) if e is not None else None
        row["confidence"] = _confidence_text(getattr(e, "confidence", None), ctx.labels) if e is not None else None
        for f in texts:
            row[f.id] = r.get(f.id)
        rows.append(row)
    cols = [Column("expert_id", "Код эксперта", "text", 10)]
    if with_names:
        cols.append(Column("names", "ФИО (внутреннее использование)", "text", 26))
    cols += [Column("unit", "Город/регион", "text", 22), Column("kind", "Тип", "text", 8),
             Column("federal_subject", "Субъект РФ", "text", 22), Column("border", "Граница с Китаем", "text", 16),
             Column("answer", problems_q.title if problems_q is not None else "Ответ", "text", 70, wrap=True)]
    cols += [Column(f"code_{c}", ctx.label(c), "int", 6, rotate=True) for c in ctx.codebook.ids if c in frame.columns]
    cols += [Column("evidence", "Основания кодов (слова ответа)", "text", 45, wrap=True),
             Column("denied", "Явно «нет проблемы с…»", "text", 16, wrap=True),
             Column("confidence", "Уверенность кодов", "text", 24, wrap=True)]
    cols += [Column(f.id, f.title, "text", 50, wrap=True) for f in texts]
    note = ("Ответы экспертов с итоговыми кодами (1 — проблема названа) и словами, на которых основан код. "
            + ("Содержит ФИО экспертов: только для внутреннего использования." if with_names else
               "Имена, должности и подразделения экспертов не приводятся: только коды экспертов."))
    return Table("Ответы и коды", cols, rows, note=note)


_EVIDENCE = re.compile(r"(?P<cat>[a-z_][a-z0-9_]*): (?P<words>«[^»]*»)(?: \[\d+:\d+\])?")
CONFIDENCE_LABELS = {"high": "высокая", "medium": "средняя", "low": "низкая"}


def _evidence_text(text: Any, labels: Mapping[str, str]) -> Any:
    """«distance: «расстоянии» [186:196]; …» → «Удалённость…: «расстоянии»; …» (words per category)."""
    if not isinstance(text, str) or not text:
        return text
    found: dict[str, list[str]] = {}
    for m in _EVIDENCE.finditer(text):
        found.setdefault(m["cat"], []).append(m["words"])
    if not found:
        return text
    return "; ".join(f"{labels.get(c, c)}: {', '.join(words)}" for c, words in found.items())


def _label_list(text: Any, labels: Mapping[str, str]) -> Any:
    if not isinstance(text, str) or not text:
        return text
    return ", ".join(labels.get(part.strip(), part.strip()) for part in text.split(",") if part.strip())


def _confidence_text(text: Any, labels: Mapping[str, str]) -> Any:
    if not isinstance(text, str) or not text:
        return text
    parts = []
    for item in text.split(","):
        cat, _, level = item.strip().partition("=")
        parts.append(f"{labels.get(cat, cat)} — {CONFIDENCE_LABELS.get(level, level)}")
    return "; ".join(parts)


def _published_table(check: pd.DataFrame, labels: Mapping[str, str]) -> Table:
    rows = []
    for r in check.itertuples():
        what = PUBLISHED_FIGURES.get(r.figure) or f"экспертов назвали: {labels.get(r.figure, r.figure)}"
        rows.append({"figure": what, "published": r.published, "computed": r.computed,
                     "match": "да" if r.match else "нет"})
    cols = [Column("figure", "Показатель", "text", 50, wrap=True), Column("published", "Опубликовано", "int", 13),
            Column("computed", "В этих данных", "int", 13), Column("match", "Совпадает", "text", 11)]
    return Table("Сверка с опубликованными показателями исследования", cols, rows,
                 note="Число экспертов по категориям — по итоговым кодам этого запуска.")


def _versions_table(manifest: Mapping[str, Any]) -> Table:
    rows = [{"package": k, "version": v} for k, v in (manifest.get("versions") or {}).items()]
    return Table("Версии программ", [Column("package", "Программа", "text", 24), Column("version", "Версия", "text", 16)],
                 rows)


def _inputs_table(manifest: Mapping[str, Any]) -> Table:
    rows = []
    for item in manifest.get("inputs") or []:
        rows.append({"role": "ответы экспертов", "file": Path(item["path"]).name, "sha256": item.get("sha256")})
    for key, role in (("questionnaire", "анкета"), ("units_file", "справочник единиц"), ("codebook", "кодовая книга")):
        item = manifest.get(key)
        if item:
            version = f" (версия {item['version']})" if item.get("version") else ""
            rows.append({"role": role + version, "file": Path(item["path"]).name, "sha256": item.get("sha256")})
    gold = (manifest.get("coding") or {}).get("gold")
    if gold:
        rows.append({"role": "эталонное кодирование", "file": Path(gold).name, "sha256": ""})
    overrides = (manifest.get("options") or {}).get("overrides")
    if overrides:
        rows.append({"role": "исправления кодов", "file": Path(overrides).name, "sha256": ""})
    cols = [Column("role", "Файл", "text", 26), Column("file", "Имя", "text", 26),
            Column("sha256", "SHA-256", "text", 68)]
    return Table("Входные файлы", cols, rows,
                 note="Контрольные суммы SHA-256 позволяют убедиться, что отчёт построен именно по этим файлам.")


def _methodology(ctx: _Context, t: Mapping[str, pd.DataFrame], problems_q, with_names: bool) -> list[tuple[str, str]]:
    frame, m, q = ctx.frame, ctx.manifest, ctx.questionnaire
    out: list[tuple[str, str]] = []
    if m.get("synthetic"):
        out.append(("Синтетические данные", _synthetic_notice()
                    + " Они воспроизводят дизайн и опубликованные показатели исследования; выводы о реальных "
                      "городах и экспертах по ним делать нельзя."))
    units = _units(frame)
    sample = (f"{q.description} " if q.description else "") + (
        f"Принято анкет: {fmt_int(len(frame))} (прочитано {fmt_int(m.get('respondents_in', len(frame)))}, "
        f"отклонено при проверке {fmt_int(m.get('respondents_rejected', 0))}); городов и регионов: "
        f"{fmt_int(frame['unit_id'].nunique())}")
    if "kind" in units.columns:
        sample += (f" (городов — {fmt_int((units['kind'] == 'city').sum())}, регионов — "
                   f"{fmt_int((units['kind'] == 'region').sum())})")
    sample += ". У нескольких единиц больше одного эксперта. Единица анализа — эксперт; проверка на уровне единиц " \
              "приводится отдельно."
    out.append(("Выборка", sample))
    dates = _dates(frame)
    field_text = f"Анкета: {len(q.questions)} вопросов ({', '.join(f.title for f in q.questions)})."
    if dates is not None:
        field_text += f" Интервью проведены с {fmt_date(dates.min())} по {fmt_date(dates.max())}."
    modes = _modes(ctx)
    if modes:
        field_text += f" Способ опроса (число экспертов): {modes}."
    out.append(("Анкета и полевой этап", field_text))
    if "border_status" in frame.columns:
        subjects = sorted(set(units.loc[units["border_status"] == "border", "federal_subject"].dropna()))
        out.append(("Приграничные единицы",
                    "Город или регион считается приграничным, если его субъект Российской Федерации имеет сухопутную "
                    "границу с Китаем (Республика Алтай, Забайкальский край, Амурская область, Еврейская автономная "
                    "область, Хабаровский край, Приморский край; Бурятия и Тыва граничат только с Монголией). "
                    + (f"В выборке это единицы субъектов: {', '.join(subjects)}. " if subjects else "")
                    + "Классификация хранится как данные (справочник единиц, столбец borders_china) вместе с субъектом "
                      "и федеральным округом каждой единицы."))
    if problems_q is not None:
        overrides = (m.get("coding") or {}).get("overrides")
        out.append(("Кодирование ответов о проблемах",
                    f"Ответы на открытый вопрос {quoted(problems_q.title)} закодированы по кодовой книге "
                    f"({plural(len(ctx.categories), 'категория', 'категории', 'категорий')}, см. приложение): "
                    "по леммам слов (pymorphy3) с правилами отрицания в пределах предложения — «нет переводчиков» "
                    "означает проблему, «проблем с финансированием нет» — её отсутствие. Один ответ может получить "
                    "несколько кодов; у каждого кода сохраняются слова ответа, на которых он основан. "
                    + ("Коды проверены социологом, его исправления имеют приоритет." if overrides else
                       "Ручных исправлений в этом запуске нет.")))
    perm = t["problem_tests_detail.csv"].attrs.get("n_permutations") or (m.get("analysis") or {}).get("n_permutations")
    seed = (m.get("analysis") or {}).get("seed")
    out.append(("Проценты и интервалы",
                "Каждая проблема — отдельный признак «назвал / не назвал». Процент — доля экспертов группы, назвавших "
                "проблему (база — все эксперты группы), поэтому сумма по проблемам больше 100 %. Доля упоминаний — "
                "доля проблемы среди всех кодов группы (в Excel-файле). 95 % доверительные интервалы долей — "
                "по Уилсону."))
    out.append(("Сравнение групп",
                "Для каждой проблемы — таблица 2×2 (приграничные / неприграничные × назвал / не назвал): точный "
                "критерий Фишера (двусторонний, основной), χ² Пирсона без поправки на непрерывность (ненадёжен при "
                "ожидаемой частоте меньше 5), отношение шансов с интервалом Вулфа (при нулевой клетке — поправка "
                "Холдейна–Энскомба +0,5). p-значения Фишера скорректированы на число проблем методами Холма "
                "(вероятность хотя бы одной ложной находки) и Бенджамини–Хохберга (доля ложных находок); проблема, "
                "которую называют все эксперты (или никто), не проверяется и в поправку не входит. Буквы групп — "
                "z-тест для двух долей с поправкой Бонферрони (как в SPSS). Уровень значимости — 0,05."))
    out.append(("Несколько экспертов одной единицы",
                "Эксперты одной единицы не вполне независимы. Поэтому для каждой проблемы приводятся точный критерий "
                "Фишера на уровне единиц (единица названа, если проблему назвал хотя бы один её эксперт) и "
                "кластерный перестановочный тест: статус «приграничная» переставляется между единицами, эксперты "
                f"одной единицы остаются вместе ({fmt_int(perm) if perm else '—'} перестановок"
                + (f", начальное число генератора {seed}" if seed else "") + ")."))
    out.append(("Общий тест",
                "Различается ли набор называемых проблем в целом: сумма статистик χ² по проблемам (тест "
                "множественной маргинальной независимости: Agresti, Liu 1999; Bilder, Loughin, Nettleton 2000; "
                "Bilder, Loughin 2004), p-значение по перестановкам меток групп между экспертами и между единицами; "
                "для сравнения — поправка Бонферрони к наименьшему p."))
    out.append(("Шкалы и модели",
                "Оценки по шкалам 1–5 сравниваются критерием Манна–Уитни (две группы) или Краскела–Уоллиса; ответ "
                "«затрудняюсь ответить» исключается. Логистические модели (statsmodels) для каждой проблемы: "
                "приграничность, регион/город и логарифм расстояния до границы с Китаем; стандартные ошибки "
                "устойчивы к кластеризации по единицам. Если модель не оценивается (нет вариации, разделение), "
                "это указано вместо чисел."))
    out.append(("Анонимность",
                "Отчёт содержит имена экспертов: запуск с --with-names, только для внутреннего использования."
                if with_names else
                "Отчёт не содержит имён экспертов: только их коды (например, E001). Имена остаются во входных "
                "файлах и попадают в отчёт только при явном запуске survey run --with-names."))
    out.append(("Воспроизводимость",
                (f"Отчёт построен {fmt_date(dt.datetime.fromisoformat(m['started_at']))} " if m.get("started_at")
                 else "Отчёт построен ")
                + f"программой {('survey ' + (m.get('versions') or {}).get('survey', '')).strip()}. "
                "Те же входные файлы дают те же таблицы; версии программ и контрольные суммы входных файлов "
                "приведены ниже, полный список — в run.json."))
    return out


def table_rows_text(table: Table) -> Iterable[list[str]]:
    """Every row of ``table`` as formatted cell texts (for PDF and HTML)."""
    for row in table.rows:
        yield [table.cell_text(row, c) for c in table.columns]
