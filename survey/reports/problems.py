"""The tables of the coded (multiple-response) question: shares by group, tests per category,
effect sizes, shares of mentions, the unit-level view and the overall test.

Each builder takes the :class:`~survey.reports.context.ReportContext` (and the analysis table it
lays out) and returns :class:`~survey.reports.model.Table` objects — a full one for the Excel
workbook and, where the PDF and HTML need fewer columns, a compact one. Nothing is recomputed:
the numbers are those of ``tables/problems_by_group_detail.csv``, ``problem_tests_detail.csv``,
``problems_by_group_units.csv`` and ``overall_test.csv``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from survey.base.missing import is_blank
from survey.reports.context import (
    LOW_MARK,
    ONE_GROUP,
    OVERALL_FAMILIES,
    OVERALL_METHODS,
    TEST_NAMES,
    TEST_SHORT,
    ReportContext,
    alpha_text,
    cap,
    group_key,
    grouping_label,
    percent_cells,
    percent_columns,
    present,
    records,
)
from survey.reports.format import decimal_comma, fmt_int, fmt_num, quoted
from survey.reports.model import Column, Table


def letters_legend(ctx: ReportContext) -> str:
    """What the letters mean: the test, the correction and α."""
    if not ctx.comparable:
        return ""
    test = ctx.detail.attrs.get("letters_test") or ("rao_scott" if ctx.clustered else "z")
    how = (
        "попарные критерии Рао–Скотта (единица — кластер)"
        if test == "rao_scott"
        else "попарные z-тесты для двух долей (как в SPSS)"
    )
    return (
        "Буквы групп: «B > A» — доля группы B значимо выше, чем у группы A (в Excel-файле — столбец «выше»): "
        f"{how}, поправка Бонферрони на число пар групп, α = {alpha_text()}; группы с долей 0 % или 100 % "
        "не сравниваются."
    )


def primary_test_text(ctx: ReportContext) -> str:
    """Which test is primary, in a sentence (from the tests' ``primary_test``)."""
    kinds = [k for k in dict.fromkeys(ctx.tests["primary_test"]) if isinstance(k, str) and k]
    if not kinds:
        return ""
    names = ", ".join(TEST_NAMES.get(k, k) for k in kinds)
    why = (
        " — эксперты сгруппированы в единицы (у нескольких единиц больше одного эксперта), поэтому основной "
        "критерий учитывает кластеры; точный критерий Фишера приведён для сравнения"
        if "rao_scott" in kinds
        else ""
    )
    return f"Основной критерий: {names}{why}."


def problems_tables(ctx: ReportContext) -> tuple[Table, Table, Table | None]:
    """Shares of experts by group: full (Wilson intervals, letters, κ, α), compact (PDF/HTML) and the
    design-based (Korn–Graubard) intervals beside them when experts are clustered."""
    detail = ctx.detail
    groups = [*ctx.groups, "total"] if ctx.comparable else ["total"]
    design = "ci_low_design" in detail.columns and detail["ci_low_design"].notna().any()
    with_kappa = bool(ctx.reliability)
    cells = records(detail, "category", "group")
    rows = []
    for cat in ctx.categories:
        row: dict[str, Any] = {"category": cat, "label": ctx.marked(cat)}
        diffs = []
        for i, g in enumerate(groups):
            key = group_key(i, g)
            r = cells.get((cat, g))
            if r is None:
                continue
            row.update(
                {
                    **percent_cells(key, int(r["respondents"]), r),
                    f"dlo_{key}": present(r.get("ci_low_design")),
                    f"dhi_{key}": present(r.get("ci_high_design")),
                    f"higher_{key}": "" if is_blank(r["higher_than"]) else str(r["higher_than"]),
                }
            )
            if g != "total" and row[f"higher_{key}"]:
                diffs.append(f"{ctx.group_info[g]['letter']} > {row[f'higher_{key}']}")
        row["diffs"] = "; ".join(diffs)
        kappa, alpha = ctx.reliability.get(cat, (None, None))
        row.update(kappa=kappa, alpha=alpha)
        if cat in ctx.tests.index:
            t = ctx.tests.loc[cat]
            row.update(p_primary=present(t["p_primary"]), p_holm=present(t["p_holm"]))
        rows.append(row)
    cols = [Column("label", "Проблема (категория)", "text", 28, wrap=True)]
    spans: list[tuple[str, int]] = [("", 1)]
    compact = [Column("label", "Проблема", "text", 30, wrap=True)]
    many = len(ctx.groups) > 3
    for i, g in enumerate(groups):
        key = group_key(i, g)
        info = ctx.group_info.get(g)
        if info is None:
            continue
        letter = f" ({info['letter']})" if info["letter"] and g != "total" else ""
        sub = percent_columns(key)
        if g != "total" and ctx.comparable:
            sub.append(Column(f"higher_{key}", "выше", "text", 5.5))
        cols.extend(sub)
        spans.append((f"{info['label']}{letter}: {ctx.group_experts(g)}", len(sub)))
        if g == "total":
            compact.append(
                Column((f"n_{key}", f"pct_{key}"), f"Всего, n (%), база {fmt_int(info['base'])}", "n_pct", 16)
            )
        elif many:  # many groups: a letter and % (names, bases, intervals: note, workbook)
            compact.append(Column(f"pct_{key}", f"{info['letter']}, %", "pct", 8))
        else:
            compact.append(
                Column(
                    (f"pct_{key}", f"lo_{key}", f"hi_{key}"),
                    f"{info['label']}{letter}, % (95 % ДИ), база {fmt_int(info['base'])}",
                    "pct_ci",
                    22,
                )
            )
    if ctx.comparable:
        compact.append(Column("diffs", "Различия (буквы)", "text", 11))
        compact.append(Column("p_holm", "p Холма", "p", 10))
    if with_kappa:
        cols.extend([Column("kappa", "κ", "num3", 6.5), Column("alpha", "α", "num3", 6.5)])
        spans.append(("Надёжность", 2))
        compact.extend([Column("kappa", "κ", "num3", 7), Column("alpha", "α", "num3", 7)])
    base = (
        f"Группировка: {ctx.group_by_label}. n — число экспертов, назвавших проблему; % — доля "
        f"экспертов группы (база — {ctx.base_phrase}); один эксперт может назвать несколько проблем, "
        "поэтому сумма больше 100 %. ДИ — 95 % доверительный интервал Уилсона (эксперты как независимые "
        "наблюдения)"
    )
    base += (
        "; интервалы с учётом единиц — в таблице «Интервалы по дизайну» (лист «Проблемы» книги summary.xlsx)."
        if design
        else "."
    )
    if not ctx.comparable:
        base += f" {cap(ONE_GROUP)}."
    elif ctx.ungrouped_note():
        base += f" {ctx.ungrouped_note()}"
    legend = letters_legend(ctx)
    reliability = ""
    if with_kappa:
        reliability = (
            " κ (Коэна) и α (Криппендорфа) — согласие автоматического кодирования категории с эталонным (1 — "
            "полное; «—» — не определено: категорию назвали все или никто)."
        )
        if ctx.reliability_note():
            reliability += " " + ctx.reliability_note()
    note = " ".join(x for x in (base, legend) if x) + reliability
    compact_note = note
    if ctx.comparable:
        compact_note += (
            " p Холма — p основного критерия с поправкой Холма на число категорий (таблица «Критерии по категориям»)."
        )
    if many:
        compact_note = group_legend(ctx, ungrouped=False) + compact_note
    return (
        Table("Проблемы по группам", cols, rows, note=note, spans=spans),
        Table("Проблемы по группам", compact, rows, note=compact_note),
        _design_table(ctx, groups, rows) if design else None,
    )


def _design_table(ctx: ReportContext, groups: list[str], rows: list[dict[str, Any]]) -> Table:
    """The shares with their design-based (Korn–Graubard) intervals, the unit as cluster."""
    cols = [Column("label", "Проблема (категория)", "text", 28, wrap=True)]
    spans: list[tuple[str, int]] = [("", 1)]
    for i, g in enumerate(groups):
        key = group_key(i, g)
        info = ctx.group_info.get(g)
        if info is None:
            continue
        cols += [
            Column(f"pct_{key}", "%", "pct", 7.5),
            Column(f"dlo_{key}", "ДИ от", "pct", 7.5),
            Column(f"dhi_{key}", "ДИ до", "pct", 7.5),
        ]
        spans.append((f"{info['label']}: {ctx.group_experts(g)}", 3))
    note = (
        "95 % интервалы Корна–Граубарда по дизайну: эксперты одной единицы не независимы, единица — кластер "
        '(как R svyciprop(method = "beta") пакета survey). Интервал пуст, когда между единицами группы нет '
        "разброса: все они дают долю 0 % или 100 % (или одну и ту же долю). Обычно он шире интервала "
        "Уилсона там, где эксперты одной единицы отвечают похоже "
        "(эффект дизайна больше 1, см. «Критерии»)."
    )
    return Table("Интервалы по дизайну (единица — кластер)", cols, rows, note=note, spans=spans)


def group_legend(ctx: ReportContext, ungrouped: bool = True) -> str:
    """«Группы: A — Дальневосточный (экспертов 33); B — …» for tables that name groups by letter,
    with the respondents that have no group (unless ``ungrouped`` is false: the note says it)."""
    parts = [
        f"{ctx.group_info[g]['letter']} — {ctx.group_info[g]['label']} ({ctx.group_experts(g)})"
        for g in ctx.groups
        if g in ctx.group_info
    ]
    lost = f"{ctx.ungrouped_note()} " if ungrouped and ctx.ungrouped_note() else ""
    return "Группы: " + "; ".join(parts) + ". " + lost + "Интервалы — в summary.xlsx. "


def key_problems_table(ctx: ReportContext) -> Table:
    """The problems among all respondents, with κ and α when a reference coding exists (the summary)."""
    rows = []
    for cat in ctx.categories:
        r = records(ctx.detail, "category", "group").get((cat, "total"))
        if r is None:
            continue
        kappa, alpha = ctx.reliability.get(cat, (None, None))
        rows.append(
            {
                "label": ctx.marked(cat),
                "n": int(r["respondents"]),
                "pct": r["percent"],
                "lo": r["ci_low"],
                "hi": r["ci_high"],
                "kappa": kappa,
                "alpha": alpha,
            }
        )
    n = ctx.answered
    cols = [
        Column("label", "Проблема", "text", 34, wrap=True),
        Column("n", "Назвали", "int", 9),
        Column("pct", "%", "pct", 7.5),
        Column("lo", "95 % ДИ: от", "pct", 7.5),
        Column("hi", "95 % ДИ: до", "pct", 7.5),
    ]
    who = (
        f"Эксперты, ответившие на вопрос ({fmt_int(n)}; без ответа — {fmt_int(ctx.unanswered)})"
        if ctx.unanswered
        else f"Все эксперты ({fmt_int(n)})"
    )
    note = f"{who}; ДИ — интервал Уилсона. Один эксперт может назвать несколько проблем."
    if ctx.reliability:
        cols += [Column("kappa", "κ", "num3", 6.5), Column("alpha", "α", "num3", 6.5)]
        note += " κ (Коэна) и α (Криппендорфа) — согласие автоматического кодирования с эталонным."
        if ctx.reliability_note():
            note += " " + ctx.reliability_note()
    return Table("Названные проблемы", cols, rows, note=note)


def mentions_table(ctx: ReportContext) -> Table:
    """% of mentions by group, with its base, and the version without universal categories."""
    detail = ctx.detail
    groups = [*ctx.groups, "total"] if ctx.comparable else ["total"]
    universal = [c for c in (detail.attrs.get("universal") or []) if c in ctx.categories]
    cells = records(detail, "category", "group")
    rows = []
    cols = [Column("label", "Проблема (категория)", "text", 28, wrap=True)]
    spans: list[tuple[str, int]] = [("", 1)]
    for cat in ctx.categories:
        row: dict[str, Any] = {"label": ctx.marked(cat)}
        for i, g in enumerate(groups):
            r = cells.get((cat, g))
            if r is not None:
                key = group_key(i, g)
                row[f"m_{key}"] = r["percent_of_mentions"]
                row[f"s_{key}"] = present(r.get("percent_of_mentions_specific"))
        rows.append(row)
    bases = []
    specific_cols = []
    for i, g in enumerate(groups):
        key = group_key(i, g)
        part = detail[detail["group"] == g]
        if part.empty:
            continue
        first = part.iloc[0]
        name = "всего" if g == "total" else (ctx.group_info.get(g, {}).get("letter") or str(first["group_label"]))
        cols.append(Column(f"m_{key}", name, "pct", 7.5))
        specific_cols.append(Column(f"s_{key}", name, "pct", 7.5))
        base = f"{name} — {fmt_int(first['mentions_base'])}"
        if universal:
            base += f" (без общих {fmt_int(first['mentions_base_specific'])})"
        bases.append(base)
    spans.append(("% упоминаний", len(cols) - 1))
    if universal:
        cols.extend(specific_cols)
        spans.append(("% упоминаний без общих категорий", len(specific_cols)))
    legend = "; ".join(
        f"{ctx.group_info[g]['letter']} — {ctx.group_label(g)}" for g in groups if g in ctx.group_info and g != "total"
    )
    note = (
        "Доля упоминаний — доля категории среди всех кодов, поставленных экспертам группы; по группе в сумме 100 %. "
        + (f"Группы: {legend}. " if legend else "")
        + f"База — число упоминаний в группе: {'; '.join(bases)}."
    )
    if universal:
        names = ", ".join(quoted(ctx.label(c)) for c in universal)
        note += (
            f" Категории, которые назвали все эксперты ({names}), добавляют каждому одно и то же упоминание; "
            "«без общих категорий» — доля среди упоминаний без них (база в скобках)."
        )
    return Table("Доля упоминаний", cols, rows, note=note, spans=spans)


def tests_tables(ctx: ReportContext) -> tuple[Table | None, Table | None]:
    """Per category: the primary test with its statistic, df and design effect; Holm and BH on it;
    Fisher, mid-p and χ² for comparison (full); the primary test, adjusted p and the effect (compact)."""
    if not ctx.comparable:
        return None, None
    tests = ctx.tests
    two = len(ctx.groups) == 2
    rows = []
    for cat in ctx.categories:
        if cat not in tests.index:
            continue
        t = tests.loc[cat]
        kind = t["primary_test"] if isinstance(t["primary_test"], str) else ""
        statistic = t["rao_scott_f"] if kind == "rao_scott" else t["chi2"] if kind == "chi2" else None
        row = {
            "label": ctx.marked(cat),
            "test": TEST_SHORT.get(kind, kind) if t["testable"] else "не проверяется",
            "statistic": present(statistic),
            "df1": present(t["rao_scott_df1"]) if kind == "rao_scott" else (len(ctx.groups) - 1 if kind else None),
            "df2": present(t["rao_scott_df2"]) if kind == "rao_scott" else None,
            "deff": present(t["deff"]),
            "p_primary": present(t["p_primary"]),
            "p_holm": present(t["p_holm"]),
            "p_bh": present(t["p_bh"]),
            "in_family": ("да" if bool(t["in_family"]) else "нет") if t["testable"] else "",
            "p_fisher": present(t["p_fisher"]),
            "p_mid": present(t["p_mid"]),
            "p_chi2": present(t["p_chi2"]),
            "min_expected": present(t["min_expected"]),
            "note": _short_note(t),
            "stat_text": _stat_text(t, kind),
        }
        if two:
            row.update(_effect_row(t, ctx.clustered))
        rows.append(row)
    cols = [
        Column("label", "Проблема (категория)", "text", 22, wrap=True),
        Column("test", "Критерий", "text", 11, wrap=True),
        Column("statistic", "F / χ²", "num2", 7),
        Column("df1", "df1", "num1", 5),
        Column("df2", "df2", "num1", 5),
        Column("deff", "ЭД", "num2", 6.5),
        Column("p_primary", "p", "p", 9.5),
        Column("p_holm", "p Холма", "p", 9.5),
        Column("p_bh", "p БХ", "p", 9.5),
    ]
    if two:
        cols += [Column("p_fisher", "p Фишера", "p", 9.5), Column("p_mid", "mid-p", "p", 9.5)]
    cols += [
        Column("p_chi2", "p χ²", "p", 9.5),
        Column("min_expected", "Мин. ожид.", "num2", 7),
        Column("note", "Примечание", "text", 22 if two else 40, wrap=True),  # the room Fisher and mid-p leave
    ]
    spans = [("", 1), ("Основной критерий", 8)]
    spans.append(("Для сравнения", len(cols) - 9 - 1))
    spans.append(("", 1))
    family = sum(1 for r in rows if r["in_family"] == "да")
    note = (
        f"Сравнение групп ({ctx.group_by_label}) по каждой проблеме. {primary_test_text(ctx)} p Холма (вероятность "
        "хотя бы одной ложной находки) и p БХ (Бенджамини–Хохберг, доля ложных находок) — p основного критерия с "
        f"поправкой на число категорий в семействе ({fmt_int(family)}): категории, которые называют все или никто, "
        "не проверяются, а исключающие остальные по определению (например, «проблем нет») в поправку не входят. "
        "ЭД — эффект дизайна: во сколько раз дисперсия доли больше, чем при независимых экспертах. Мин. ожид. — "
        "наименьшая ожидаемая частота таблицы (χ² ненадёжен, когда она меньше 5)."
    )
    if two:
        note += (
            " p Фишера — точный критерий Фишера (двусторонний), mid-p — его вариант со средней вероятностью; "
            "оба не учитывают кластеры."
        )
    note += " p χ² — χ² Пирсона без поправки (ненадёжен при ожидаемой частоте меньше 5)."
    full = Table("Критерии по категориям", cols, rows, note=note, spans=spans)
    compact_cols = [
        Column("label", "Проблема", "text", 30, wrap=True),
        Column("stat_text", "Основной критерий", "text", 24),
        Column("p_primary", "p", "p", 10),
        Column("p_holm", "p Холма", "p", 10),
        Column("p_bh", "p БХ", "p", 10),
    ]
    if two:
        compact_cols.append(Column(("rd", "rd_lo", "rd_hi"), "Разность долей, п. п. (95 % ДИ)", "num_ci", 22))
    compact_note = (
        f"{primary_test_text(ctx)} ЭД — эффект дизайна. p Холма и p БХ — с поправкой на число категорий. "
        "Полная таблица (Фишер, mid-p, χ², размеры эффекта) — в summary.xlsx."
    )
    if two:
        a, b = ctx.group_label(ctx.groups[0]), ctx.group_label(ctx.groups[1])
        compact_note += f" Разность долей: {quoted(a)} минус {quoted(b)}, процентные пункты" + (
            ", интервал по дизайну (единица — кластер; при немногих единицах он обрезан до ±100 п. п., а без "
            "разброса между единицами не определён — «—»)."
            if ctx.clustered
            else ", интервал Ньюкомба."
        )
    compact = Table("Критерии по категориям", compact_cols, rows, note=compact_note)
    return full, compact


def _short_note(t) -> str:
    """The per-category note, short (the table's columns carry the numbers): why a category is not
    tested or not adjusted, when χ² is unreliable, when the odds ratio needed the +0,5 correction."""
    parts = []
    if not bool(t["testable"]):
        k, n = int(t["events"]), int(t["n"])
        who = f"называют все {fmt_int(n)}" if k == n else "не называет никто" if k == 0 else "нет различий"
        return f"не проверяется: {who}; в поправки не входит"
    if not bool(t["in_family"]):
        parts.append("исключает остальные по определению: в поправки Холма и БХ не входит")
    if bool(t["low_expected"]):
        parts.append("ожидаемая частота < 5: χ² неточен")
    if bool(t["or_corrected"]):
        parts.append("нулевая клетка: ОШ с поправкой +0,5")
    return "; ".join(parts)


def _stat_text(t, kind: str) -> str:
    """«Рао–Скотт F(1; 76) = 24,37, ЭД 0,91» — the primary test of a category, in words."""
    if kind == "rao_scott" and not is_blank(t["rao_scott_f"]):
        text = f"Рао–Скотт F({_df(t['rao_scott_df1'])}; {_df(t['rao_scott_df2'])}) = {fmt_num(t['rao_scott_f'], 2)}"
        return text + (f", ЭД {fmt_num(t['deff'], 2)}" if not is_blank(t["deff"]) else "")
    if kind == "fisher":
        return "точный критерий Фишера"
    if kind == "chi2" and not is_blank(t["chi2"]):
        return f"χ² = {fmt_num(t['chi2'], 2)}"
    return "не проверяется" if not t["testable"] else ""


def _df(v) -> str:
    v = float(v)
    return str(int(v)) if v.is_integer() else decimal_comma(f"{v:.1f}")


def _effect_row(t, clustered: bool) -> dict[str, Any]:
    def pp(v):
        return None if is_blank(v) else 100.0 * float(v)

    # the design-based (Wald) interval of a difference, as R svycontrast gives it, can pass ±100 p.p.
    # with few units: shown cut to the possible range; with no variance between units it says nothing
    d_lo, d_hi = pp(t["rd_design_low"]), pp(t["rd_design_high"])
    if d_lo is not None and d_hi is not None:
        d_lo, d_hi = (None, None) if d_lo == d_hi else (max(d_lo, -100.0), min(d_hi, 100.0))
    out = {
        "rd_n": pp(t["risk_difference"]),
        "rd_n_lo": pp(t["rd_ci_low"]),
        "rd_n_hi": pp(t["rd_ci_high"]),
        "rd_d": pp(t["rd_design"]),
        "rd_d_lo": d_lo,
        "rd_d_hi": d_hi,
        "rr": present(t["risk_ratio"]),
        "rr_lo": present(t["rr_ci_low"]),
        "rr_hi": present(t["rr_ci_high"]),
        "rr_d": present(t["rr_design"]),
        "rr_d_lo": present(t["rr_design_low"]),
        "rr_d_hi": present(t["rr_design_high"]),
        "or": present(t["odds_ratio"]),
        "or_lo": present(t["or_ci_low"]),
        "or_hi": present(t["or_ci_high"]),
        "orc": present(t["or_conditional"]),
        "orc_lo": present(t["or_conditional_low"]),
        "orc_hi": present(t["or_conditional_high"]),
        "pct_a": present(t["percent_exposed"]),
        "pct_b": present(t["percent_reference"]),
    }
    design = clustered and out["rd_d"] is not None
    out["rd"], out["rd_lo"], out["rd_hi"] = (
        (out["rd_d"], out["rd_d_lo"], out["rd_d_hi"]) if design else (out["rd_n"], out["rd_n_lo"], out["rd_n_hi"])
    )
    return out


def effects_tables(ctx: ReportContext, full_rows: list[dict[str, Any]] | None) -> list[Table]:
    """Two groups: the risk difference and ratio (Newcombe, Katz and design-based), then the odds ratio
    (Woolf) and the conditional odds ratio with its exact interval. No tables with other groupings."""
    if full_rows is None or len(ctx.groups) != 2:
        return []
    a, b = ctx.group_label(ctx.groups[0]), ctx.group_label(ctx.groups[1])
    la, lb = (ctx.group_info.get(g, {}).get("letter") or str(i + 1) for i, g in enumerate(ctx.groups))
    groups = f"{la} — {quoted(a)}, {lb} — {quoted(b)}"

    def triple(key: str, heading: str, kind: str) -> list[Column]:
        return [
            Column(key, heading, kind, 6.5),
            Column(f"{key}_lo", "ДИ от", kind, 6.5),
            Column(f"{key}_hi", "ДИ до", kind, 6.5),
        ]

    rows = full_rows
    head = [
        Column("label", "Проблема (категория)", "text", 24, wrap=True),
        Column("pct_a", f"{la}, %", "pct", 7.5),
        Column("pct_b", f"{lb}, %", "pct", 7.5),
    ]
    design = any(r.get("rd_d") is not None for r in rows)
    cols = head + triple("rd_n", "РД", "num1")
    spans = [("", 1), ("Доли групп", 2), ("Разность долей, п. п. (Ньюкомб)", 3)]
    if design:
        cols += triple("rd_d", "РД", "num1")
        spans.append(("Разность долей по дизайну, п. п.", 3))
    cols += triple("rr", "ОД", "ratio")
    spans.append(("Отношение долей (Кац)", 3))
    if design:
        cols += triple("rr_d", "ОД", "ratio")
        spans.append(("Отношение долей по дизайну", 3))
    note = (
        f"Группы: {groups}; сравнивается первая со второй. РД — разность долей экспертов, назвавших проблему, в "
        "процентных пунктах (95 % интервал Ньюкомба); ОД — отношение долей (95 % интервал Каца)."
    )
    if design:
        note += (
            " «По дизайну» — те же разность и отношение с интервалами, учитывающими, что эксперты сгруппированы в "
            "единицы (линеаризация, t-распределение с числом единиц − 1 степенями свободы)."
        )
    odds = head + triple("or", "ОШ", "ratio") + triple("orc", "ОШ", "ratio")
    odds_note = (
        f"Группы: {groups}. ОШ — отношение шансов назвать проблему в первой группе ко второй (95 % интервал Вулфа; "
        "при нулевой клетке +0,5 ко всем клеткам); условное ОШ — оценка условного максимального правдоподобия с "
        "точным 95 % интервалом (как R fisher.test)."
    )
    return [
        Table("Размеры эффекта: разность и отношение долей", cols, rows, note=note, spans=spans),
        Table(
            "Размеры эффекта: отношения шансов",
            odds,
            rows,
            note=odds_note,
            spans=[("", 1), ("Доли групп", 2), ("Отношение шансов (Вулф)", 3), ("Условное ОШ (точный ДИ)", 3)],
        ),
    ]


def units_tables(ctx: ReportContext, units: pd.DataFrame | None) -> tuple[Table | None, Table | None, Table | None]:
    """The unit-level view: every unit with equal weight (the design-based share and interval) with the
    unit-level tests (full, compact), and the «any expert» share of units, labelled as a check."""
    if units is None or units.empty:
        return None, None, None
    groups = [g for g in dict.fromkeys(units["group"]) if g != "total"] + ["total"]
    if not ctx.comparable:
        groups = ["total"]
    cells = records(units, "category", "group")
    rows = []
    for cat in ctx.categories:
        row: dict[str, Any] = {"label": ctx.marked(cat)}
        for i, g in enumerate(groups):
            r = cells.get((cat, g))
            if r is None:
                continue
            key = group_key(i, g)
            row.update(
                {
                    f"pct_{key}": r["percent_weighted"],
                    f"lo_{key}": r["ci_low_weighted"],
                    f"hi_{key}": r["ci_high_weighted"],
                    f"any_{key}": r["percent_any"],
                    f"nany_{key}": int(r["units_any"]),
                }
            )
        if cat in ctx.tests.index:
            t = ctx.tests.loc[cat]
            row.update(
                p_weighted=present(t["p_rao_scott_weighted"]),
                p_fisher_units=present(t["p_fisher_units"]),
                p_perm_cluster=present(t["p_perm_cluster"]),
            )
        rows.append(row)
    cols = [Column("label", "Проблема (категория)", "text", 28, wrap=True)]
    compact = [Column("label", "Проблема", "text", 30, wrap=True)]
    check_cols = [Column("label", "Проблема (категория)", "text", 28, wrap=True)]
    letters = {g: ctx.group_info[g]["letter"] or g for g in ctx.groups if g in ctx.group_info}
    spans: list[tuple[str, int]] = [("", 1)]
    many = len(groups) > 4
    for i, g in enumerate(groups):
        key = group_key(i, g)
        part = units[units["group"] == g]
        if part.empty:
            continue
        label, base = str(part.iloc[0]["group_label"]), int(part.iloc[0]["units"])
        cols.extend(percent_columns(key, n=False))
        spans.append((f"{label}: единиц {fmt_int(base)}", 3))
        check_cols.append(Column(f"any_{key}", letters.get(g, "всего"), "pct", 7.5))
        if many:
            letter = ctx.group_info.get(g, {}).get("letter") or label
            compact.append(Column(f"pct_{key}", f"{letter}, %" if g != "total" else "всего, %", "pct", 8))
        else:
            compact.append(
                Column(
                    (f"pct_{key}", f"lo_{key}", f"hi_{key}"),
                    f"{label}: % при равном весе единиц (95 % ДИ), единиц {fmt_int(base)}",
                    "pct_ci",
                    22,
                )
            )
    tail = [
        Column("p_weighted", "Рао–Скотт", "p", 9.5),
        Column("p_perm_cluster", "перестановки", "p", 9.5),
        Column("p_fisher_units", "Фишер (проверка)", "p", 9.5),
    ]
    if ctx.comparable and any(r.get("p_weighted") is not None or r.get("p_perm_cluster") is not None for r in rows):
        cols.extend(tail)
        compact.extend(
            [
                Column("p_weighted", "p Рао–Скотта", "p", 9.5),
                Column("p_perm_cluster", "p перестановок", "p", 9.5),
            ]
        )
        spans.append(("Сравнение групп на уровне единиц: p", 3))
    perm = ctx.tests.attrs.get("n_permutations")
    note = (
        "Каждая единица выборки входит с равным весом: ответы её экспертов взвешены 1 / (число экспертов "
        "единицы), так что единица с тремя экспертами весит столько же, сколько единица с одним; интервал — "
        "95 % логит-интервал по дизайну."
    )
    if ctx.comparable:
        note += (
            " p Рао–Скотта — тот же критерий при равном весе единиц; p перестановок — метки групп переставляются "
            "между единицами, все эксперты единицы вместе (размеры групп в экспертах меняются от перестановки "
            f"к перестановке{', ' + fmt_int(perm) + ' перестановок' if perm else ''}); p Фишера по единицам — на "
            "таблице «хотя бы один», только проверка."
        )
    if many:
        compact_note = group_legend(ctx) + note
    else:
        compact_note = note
    title = "Уровень единиц: каждая единица с равным весом"
    legend = "; ".join(f"{letters[g]} — {ctx.group_label(g)}" for g in ctx.groups if g in letters)
    check = Table(
        "Проверка: доля единиц, где проблему назвал хотя бы один эксперт",
        check_cols,
        rows,
        note=(f"Группы: {legend}. " if legend and ctx.comparable else "")
        + "Единица считается назвавшей проблему, если её назвал хотя бы один её эксперт. Эта доля растёт с "
        "числом экспертов единицы (у единицы с тремя экспертами больше шансов «назвать» проблему), поэтому это "
        "только проверка, а не оценка: оценка — таблица с равным весом единиц выше.",
        spans=[("", 1), ("% единиц", len(check_cols) - 1)],
    )
    return (
        Table(title, cols, rows, note=note, spans=spans),
        Table(title, compact, rows, note=compact_note),
        check,
    )


def overall_table(ctx: ReportContext, overall: pd.DataFrame) -> Table | None:
    """The overall test rows, by family and method."""
    if overall is None or overall.empty or not ctx.comparable:
        return None
    several = overall["group_by"].nunique() > 1
    rows = []
    excluded: dict[str, set[str]] = {}
    for r in overall.itertuples():
        method = OVERALL_METHODS.get(r.method, r.method)
        family = OVERALL_FAMILIES.get(r.family, r.family)
        if several:
            method = f"{grouping_label(r.group_by, ctx.questionnaire, ctx.study)}: {method}"
        rows.append(
            {
                "test": f"{family}: {method}",
                "statistic": present(r.statistic),
                # a permutation or bootstrap p has no degrees of freedom (the CSV keeps those of its χ² items)
                "df": None if r.method in ("permutation", "cluster_permutation", "bootstrap") else present(r.df),
                "p_value": present(r.p_value),
                "n": r.n,
                "n_clusters": present(r.n_clusters),
                "items_tested": r.items_tested,
                "n_permutations": present(r.n_permutations),
            }
        )
        excluded.setdefault(r.family, set()).update(
            c for c in str(r.items_excluded or "").split(",") if c and c != "nan"
        )
    cols = [
        Column("test", "Семейство категорий: метод", "text", 40, wrap=True),
        Column("statistic", "Статистика", "num2", 11),
        Column("df", "df", "num1", 6),
        Column("p_value", "p", "p", 10),
        Column("n", "Экспертов", "int", 12),
        Column("n_clusters", "Единиц", "int", 8),
        Column("items_tested", "Категорий в тесте", "int", 10),
        Column("n_permutations", "Повторений", "int", 11),
    ]
    note = (
        f"Различается ли набор называемых проблем между группами ({ctx.group_by_label}). Статистика — сумма χ² "
        "Пирсона по категориям (тест множественной маргинальной независимости; Agresti, Liu 1999; Bilder, Loughin, "
        "Nettleton 2000; Bilder, Loughin 2004): χ² по всей таблице множественных ответов неприменим, так как один "
        "эксперт даёт несколько ответов. p-значение — с поправкой Рао–Скотта второго порядка, бутстрепом, "
        "перестановками между экспертами и между единицами (эксперты сгруппированы в единицы, поэтому "
        "перестановки между единицами — основной вариант, когда группа — признак единицы)."
    )
    main = excluded.get("main")
    if main:
        names = ", ".join(quoted(ctx.label(c)) for c in ctx.categories if c in main)
        note += f" В основное семейство не входят {names} (их называют все или никто, или они исключают остальные)."
    if "with_exclusive" in excluded:
        note += " Строки «проверка» повторяют тест с исключающими категориями."
    return Table("Общий тест различий набора проблем", cols, rows, note=note)


__all__ = [
    "LOW_MARK",
    "effects_tables",
    "key_problems_table",
    "letters_legend",
    "mentions_table",
    "overall_table",
    "primary_test_text",
    "problems_tables",
    "tests_tables",
    "units_tables",
]
