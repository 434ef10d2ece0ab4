"""One builder per report table: problems, units, overall test, closed questions, scales, models,
coding reliability, codebook, the data sheet, the published check, versions and inputs.

Each takes the :class:`~survey.reports.context.ReportContext` (and the analysis table it lays
out) and returns :class:`~survey.reports.model.Table` objects; nothing is recomputed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from survey.analysis.run import AnalysisTables
from survey.base.missing import is_blank
from survey.reports.context import (
    BORDER_LABELS,
    KIND_LABELS,
    MODEL_STATUS,
    OVERALL_METHODS,
    PUBLISHED_FIGURES,
    SCALE_TESTS,
    ReportContext,
    cell,
    group_by_label,
    records,
)
from survey.reports.format import decimal_comma, fmt_int, fmt_num, genitive, plural, quoted
from survey.reports.model import Column, Table


def problems_tables(ctx: ReportContext) -> tuple[Table, Table, Table | None]:
    detail, tests = ctx.detail, ctx.tests
    groups = [*ctx.groups, "total"]
    rows = []
    cells = records(detail, "category", "group")
    for cat in ctx.categories:
        row: dict[str, Any] = {"category": cat, "label": ctx.label(cat)}
        diffs = []
        for i, g in enumerate(groups):
            key = _gkey(i, g)
            r = cells.get((cat, g))
            if r is None:
                continue
            row.update(
                {
                    f"n_{key}": int(r["respondents"]),
                    f"pct_{key}": r["percent"],
                    f"lo_{key}": r["ci_low"],
                    f"hi_{key}": r["ci_high"],
                    f"higher_{key}": "" if is_blank(r["higher_than"]) else str(r["higher_than"]),
                }
            )
            if g != "total" and row[f"higher_{key}"]:
                diffs.append(f"{ctx.group_info[g]['letter']} > {row[f'higher_{key}']}")
        row["diffs"] = "; ".join(diffs)
        if cat in tests.index:
            r = tests.loc[cat]
            row.update(
                {
                    k: (None if r[k] is pd.NA else r[k])
                    for k in (
                        "odds_ratio",
                        "or_ci_low",
                        "or_ci_high",
                        "p_fisher",
                        "p_chi2",
                        "min_expected",
                        "p_holm",
                        "p_bh",
                        "p_fisher_units",
                        "p_perm_cluster",
                    )
                }
            )
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
        sub = [
            Column(f"n_{key}", "назвали", "int", 9),
            Column(f"pct_{key}", "%", "pct", 8),
            Column(f"lo_{key}", "ДИ от", "pct", 8),
            Column(f"hi_{key}", "ДИ до", "pct", 8),
        ]
        if g != "total":
            sub.append(Column(f"higher_{key}", "выше, чем", "text", 9))
        cols.extend(sub)
        spans.append((f"{info['label']}{letter}: экспертов {fmt_int(info['base'])}", len(sub)))
        if g == "total":
            compact.append(
                Column((f"n_{key}", f"pct_{key}"), f"Всего, n (%), база {fmt_int(info['base'])}", "n_pct", 16)
            )
        elif len(ctx.groups) > 3:  # many groups: a letter and % (names, bases, intervals: note, workbook)
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
    if len(ctx.groups) > 1:
        compact.append(Column("diffs", "Различия (z-тест)", "text", 11))
    test_cols = [
        Column("odds_ratio", "ОШ", "ratio", 9),
        Column("or_ci_low", "ОШ: ДИ от", "ratio", 9),
        Column("or_ci_high", "ОШ: ДИ до", "ratio", 9),
        Column("p_fisher", "p Фишера", "p", 10),
        Column("p_chi2", "p χ²", "p", 10),
        Column("min_expected", "мин. ожид. частота", "num2", 10),
        Column("p_holm", "p Холма", "p", 10),
        Column("p_bh", "p БХ", "p", 10),
        Column("p_fisher_units", "p Фишера по единицам", "p", 11),
        Column("p_perm_cluster", "p перестановок по единицам", "p", 13),
        Column("note", "Примечание", "text", 44, wrap=True),
    ]
    cols.extend(test_cols)
    spans.append(("Сравнение приграничных и неприграничных (ОШ: приграничные к неприграничным)", len(test_cols)))
    border_cols = [
        Column(("odds_ratio", "or_ci_low", "or_ci_high"), "ОШ (95 % ДИ)", "ratio_ci", 20),
        Column("p_fisher", "p Фишера", "p", 11),
        Column("p_holm", "p Холма", "p", 11),
    ]
    border = None
    if ctx.group_by == "border_status":
        compact.extend(border_cols)
    else:  # the border comparison gets a table of its own
        border = Table(
            "Сравнение приграничных и неприграничных единиц",
            [
                Column("label", "Проблема", "text", 30, wrap=True),
                Column("pct_exposed", "Приграничные, %", "pct", 12),
                Column("pct_reference", "Неприграничные, %", "pct", 12),
                *border_cols,
            ],
            rows,
            note="ОШ — отношение шансов назвать проблему у экспертов приграничных единиц к неприграничным "
            "(интервал Вулфа); точный критерий Фишера, p Холма — с поправкой на число категорий.",
        )
    note = (
        f"Группировка: {group_by_label(ctx.group_by, ctx.questionnaire)}. «Назвали» — число экспертов, "
        "назвавших проблему; % — доля "
        "экспертов группы (база — все эксперты группы); эксперт может назвать несколько проблем, поэтому сумма "
        "больше 100 %. ДИ — 95 % доверительный интервал Уилсона. Буквы: доля группы значимо выше, чем у групп "
        "с указанными буквами (z-тест для двух долей, поправка Бонферрони). ОШ — отношение шансов назвать "
        "проблему у экспертов приграничных единиц к неприграничным (< 1: приграничные называют реже), "
        "интервал Вулфа. p Холма и p БХ — p Фишера с поправкой на число категорий (Холм; Бенджамини–Хохберг); "
        "категория, которую называют все (или никто), в поправку не входит."
    )
    full = Table("Проблемы по группам", cols, rows, note=note, spans=spans)
    short = Table(
        "Проблемы по группам",
        compact,
        rows,
        note=(_group_legend(ctx) + note) if len(ctx.groups) > 3 else note,
    )
    return full, short, border


def _group_legend(ctx: ReportContext) -> str:
    """«Группы: A — Дальневосточный (экспертов 33); B — …» for tables that name groups by letter."""
    parts = [
        f"{ctx.group_info[g]['letter']} — {ctx.group_info[g]['label']} (экспертов {fmt_int(ctx.group_info[g]['base'])})"
        for g in ctx.groups
        if g in ctx.group_info
    ]
    return "Группы: " + "; ".join(parts) + ". Интервалы — в summary.xlsx. "


def _gkey(i: int, g: str) -> str:
    return "total" if g == "total" else f"g{i}"


def units_tables(ctx: ReportContext, units: pd.DataFrame | None) -> tuple[Table | None, Table | None]:
    if units is None or units.empty:
        return None, None
    groups = [g for g in dict.fromkeys(units["group"]) if g != "total"] + ["total"]
    cells = records(units, "category", "group")
    rows = []
    for cat in ctx.categories:
        row: dict[str, Any] = {"label": ctx.label(cat)}
        for i, g in enumerate(groups):
            r = cells.get((cat, g))
            if r is None:
                continue
            key = _gkey(i, g)
            row.update(
                {
                    f"n_{key}": int(r["units_any"]),
                    f"pct_{key}": r["percent_weighted"],
                    f"lo_{key}": r["ci_low_weighted"],
                    f"hi_{key}": r["ci_high_weighted"],
                }
            )
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
        label, base = str(part.iloc[0]["group_label"]), int(part.iloc[0]["units"])
        cols.extend(
            [
                Column(f"n_{key}", "назвали", "int", 9),
                Column(f"pct_{key}", "%", "pct", 8),
                Column(f"lo_{key}", "ДИ от", "pct", 8),
                Column(f"hi_{key}", "ДИ до", "pct", 8),
            ]
        )
        spans.append((f"{label}: единиц {fmt_int(base)}", 4))
        if len(groups) > 4:
            letter = ctx.group_info.get(g, {}).get("letter") or label
            compact.append(Column(f"pct_{key}", f"{letter}, %" if g != "total" else "всего, %", "pct", 8))
        else:
            compact.append(
                Column(
                    (f"pct_{key}", f"lo_{key}", f"hi_{key}"),
                    f"{label}, % единиц (95 % ДИ), база {fmt_int(base)}",
                    "pct_ci",
                    22,
                )
            )
    tail = [
        Column("p_fisher_units", "p Фишера по единицам", "p", 11),
        Column("p_perm_cluster", "p перестановок по единицам", "p", 13),
    ]
    cols.extend(tail)
    compact.extend(tail)
    spans.append(("Приграничные и неприграничные", 2))
    note = (
        "Единица (город или регион) считается назвавшей проблему, если её назвал хотя бы один эксперт этой "
        "единицы. p Фишера по единицам — точный критерий на этих данных; p перестановок — метки «приграничная»/"
        "«неприграничная» переставляются между единицами, эксперты одной единицы остаются вместе."
    )
    return (
        Table("Проверка на уровне единиц", cols, rows, note=note, spans=spans),
        Table("Проверка на уровне единиц", compact, rows, note=note),
    )


def overall_table(ctx: ReportContext, overall: pd.DataFrame) -> Table:
    several = overall["group_by"].nunique() > 1
    rows = []
    excluded: set[str] = set()
    for r in overall.itertuples():
        method = OVERALL_METHODS.get(r.method, r.method)
        if several:
            method = f"{group_by_label(r.group_by, ctx.questionnaire)}: {method}"
        rows.append(
            {
                "group_by": group_by_label(r.group_by, ctx.questionnaire),
                "method": method,
                "statistic": r.statistic,
                "df": r.df,
                "p_value": r.p_value,
                "n": r.n,
                "n_clusters": None if r.n_clusters is pd.NA else r.n_clusters,
                "items_tested": r.items_tested,
                "n_permutations": None if r.n_permutations is pd.NA else r.n_permutations,
            }
        )
        excluded.update(c for c in str(r.items_excluded or "").split(",") if c and c != "nan")
    cols = [
        Column("method", "Метод", "text", 44, wrap=True),
        Column("statistic", "Статистика", "num2", 11),
        Column("df", "df", "int", 5),
        Column("p_value", "p", "p", 10),
        Column("n", "Экспертов", "int", 10),
        Column("n_clusters", "Единиц", "int", 8),
        Column("items_tested", "Категорий в тесте", "int", 10),
        Column("n_permutations", "Перестановок", "int", 12),
    ]
    note = (
        "Различается ли набор называемых проблем между группами"
        + ("" if several else f" ({group_by_label(overall['group_by'].iloc[0], ctx.questionnaire)})")
        + ". Статистика — сумма χ² Пирсона по категориям (тест множественной маргинальной независимости; "
        "Agresti, Liu 1999; Bilder, Loughin 2004); χ² по всей таблице множественных ответов неприменим, так как "
        "один эксперт даёт несколько ответов."
    )
    if excluded:
        names = ", ".join(quoted(ctx.label(c)) for c in ctx.categories if c in excluded)
        note += f" Не входят в тест (их называют все эксперты или никто): {names}."
    return Table("Общий тест различий набора проблем", cols, rows, note=note)


def closed_tables(ctx: ReportContext, t: AnalysisTables) -> tuple[Table, Table]:
    q = ctx.questionnaire
    freq = t.closed_frequencies
    by_group = t.closed_by_group
    multi = t.closed_multiple_by_group
    mtests = t.closed_multiple_tests if t.closed_multiple_tests is not None else pd.DataFrame()
    groups = ctx.groups
    by_group_cells = records(by_group, "question", "code", "group")
    multi_cells = records(multi, "question", "category", "group") if not multi.empty else {}
    test_cells = records(mtests, "question", "category") if not mtests.empty else {}
    rows = []
    for f in q.questions:
        if f.type in ("single", "scale"):
            for r in freq[freq["question"] == f.id].to_dict("records"):
                row: dict[str, Any] = {
                    "question": f.title,
                    "option": r["label"],
                    "n": r["n"],
                    "pct": r["percent"],
                    "valid_pct": r["valid_percent"],
                    "missing": bool(r["missing"]),
                    "p_fisher": "",
                    "p_holm": "",
                }
                if not r["missing"]:
                    for i, g in enumerate(groups):
                        p = by_group_cells.get((f.id, r["code"], g))
                        if p is not None:
                            key = _gkey(i, g)
                            row.update(
                                {
                                    f"n_{key}": p["n"],
                                    f"pct_{key}": p["percent"],
                                    f"lo_{key}": p["ci_low"],
                                    f"hi_{key}": p["ci_high"],
                                }
                            )
                rows.append(row)
        elif f.type == "multiple" and multi_cells:
            for o in f.options:
                col = f.option_column(o)
                total = multi_cells.get((f.id, col, "total"))
                if total is None:
                    continue
                row = {
                    "question": f.title,
                    "option": o.label,
                    "n": total["respondents"],
                    "pct": total["percent"],
                    "valid_pct": None,
                    "missing": False,
                }
                for i, g in enumerate(groups):
                    p = multi_cells.get((f.id, col, g))
                    if p is not None:
                        key = _gkey(i, g)
                        row.update(
                            {
                                f"n_{key}": p["respondents"],
                                f"pct_{key}": p["percent"],
                                f"lo_{key}": p["ci_low"],
                                f"hi_{key}": p["ci_high"],
                            }
                        )
                tt = test_cells.get((f.id, col))
                if tt is not None:
                    row["p_fisher"] = tt["p_fisher"]
                    row["p_holm"] = tt["p_holm"]
                rows.append(row)
    cols = [
        Column("question", "Вопрос", "text", 26, wrap=True),
        Column("option", "Ответ", "text", 34, wrap=True),
        Column("n", "Всего: n", "int", 9),
        Column("pct", "Всего: % от всех", "pct", 10),
        Column("valid_pct", "Всего: % ответивших по существу", "pct", 12),
    ]
    compact = [
        Column("question", "Вопрос", "text", 20, wrap=True, collapse=True),
        Column("option", "Ответ", "text", 30, wrap=True),
        Column(("n", "pct"), "Всего, n (%)", "n_pct", 13),
    ]
    for i, g in enumerate(groups):
        key = _gkey(i, g)
        info = ctx.group_info[g]
        cols.extend(
            [
                Column(f"n_{key}", f"{info['label']}: n", "int", 9),
                Column(f"pct_{key}", f"{info['label']}: %", "pct", 9),
                Column(f"lo_{key}", f"{info['label']}: ДИ от", "pct", 9),
                Column(f"hi_{key}", f"{info['label']}: ДИ до", "pct", 9),
            ]
        )
        if len(groups) > 3:
            compact.append(Column(f"pct_{key}", f"{info['letter']}, %", "pct", 8))
        else:
            compact.append(
                Column((f"pct_{key}", f"lo_{key}", f"hi_{key}"), f"{info['label']}, % (95 % ДИ)", "pct_ci", 20)
            )
    cols.extend([Column("p_fisher", "p Фишера (пригр./непригр.)", "p", 12), Column("p_holm", "p Холма", "p", 10)])
    compact.append(Column("p_fisher", "p Фишера", "p", 10))
    note = (
        "Вопросы с одним ответом и шкалы: % от всех экспертов и % от ответивших по существу (без «затрудняюсь "
        "ответить»); по группам — % от ответивших по существу в группе. Вопросы с несколькими ответами: % от всех "
        "экспертов (группы), сумма больше 100 %; p Фишера — сравнение приграничных и неприграничных, p Холма — "
        "с поправкой на число вариантов вопроса. ДИ — 95 % интервал Уилсона."
    )
    return (
        Table("Закрытые вопросы", cols, rows, note=note),
        Table("Закрытые вопросы", compact, rows, note=(_group_legend(ctx) + note) if len(groups) > 3 else note),
    )


def scales_table(ctx: ReportContext, summary: pd.DataFrame, tests: pd.DataFrame) -> Table:
    q = ctx.questionnaire
    rows = []
    for qid in dict.fromkeys(summary["question"]):
        f = q.field(qid)
        test = tests[tests["question"] == qid]
        tr = test.iloc[0] if not test.empty else None
        for r in summary[summary["question"] == qid].itertuples():
            rows.append(
                {
                    "question": f.title,
                    "group": r.group_label,
                    "n_valid": r.n_valid,
                    "n_missing": r.n_missing,
                    "mean": r.mean,
                    "sd": r.sd,
                    "median": r.median,
                    "test": SCALE_TESTS.get(tr["test"], tr["test"]) if tr is not None and r.group == "total" else "",
                    "p_value": tr["p_value"] if tr is not None and r.group == "total" else "",
                }
            )
    cols = [
        Column("question", "Вопрос (шкала 1–5)", "text", 28, wrap=True, collapse=True),
        Column("group", "Группа", "text", 18),
        Column("n_valid", "Ответили по существу", "int", 11),
        Column("n_missing", "Затрудн./нет ответа", "int", 11),
        Column("mean", "Среднее", "num2", 9),
        Column("sd", "Ст. откл.", "num2", 9),
        Column("median", "Медиана", "num1", 9),
        Column("test", "Критерий", "text", 22, wrap=True),
        Column("p_value", "p", "p", 10),
    ]
    note = (
        "Шкалы 1–5 без ответов «затрудняюсь ответить» (код 9). Сравнение групп: критерий Манна–Уитни (две группы) "
        "или Краскела–Уоллиса (больше двух); p — в строке «всего»."
    )
    return Table("Оценки по шкалам", cols, rows, note=note)


def model_tables(ctx: ReportContext, models: pd.DataFrame) -> tuple[Table, Table]:
    rows = []
    compact_rows = []
    order = {c: i for i, c in enumerate(ctx.categories)}
    models = models.assign(_o=models["category"].map(order)).sort_values("_o", kind="stable")
    for cat, part in models.groupby("category", sort=False):
        status = part["status"].iloc[0]
        for r in part.itertuples():
            rows.append(
                {
                    "label": ctx.label(cat),
                    "term": r.term_label,
                    "odds_ratio": r.odds_ratio,
                    "ci_low": r.ci_low,
                    "ci_high": r.ci_high,
                    "p_value": r.p_value,
                    "n": r.n,
                    "events": r.events,
                    "n_clusters": r.n_clusters,
                    "status": MODEL_STATUS.get(r.status, r.status),
                    "note": decimal_comma(r.note),
                }
            )
        if status == "ok":
            for r in part.itertuples():
                if r.term == "intercept":
                    continue
                compact_rows.append(
                    {
                        "label": ctx.label(cat),
                        "term": r.term_label,
                        "odds_ratio": r.odds_ratio,
                        "ci_low": r.ci_low,
                        "ci_high": r.ci_high,
                        "p_value": r.p_value,
                    }
                )
        else:
            compact_rows.append(
                {
                    "label": ctx.label(cat),
                    "term": decimal_comma(part["note"].iloc[0]),
                    "odds_ratio": None,
                    "ci_low": None,
                    "ci_high": None,
                    "p_value": None,
                }
            )
    cols = [
        Column("label", "Проблема (категория)", "text", 34, wrap=True),
        Column("term", "Показатель", "text", 38, wrap=True),
        Column("odds_ratio", "ОШ", "ratio", 9),
        Column("ci_low", "ДИ от", "ratio", 9),
        Column("ci_high", "ДИ до", "ratio", 9),
        Column("p_value", "p", "p", 10),
        Column("n", "Экспертов", "int", 9),
        Column("events", "Назвали", "int", 9),
        Column("n_clusters", "Единиц (кластеров)", "int", 11),
        Column("status", "Модель", "text", 14),
        Column("note", "Примечание", "text", 50, wrap=True),
    ]
    compact = [
        Column("label", "Проблема", "text", 28, wrap=True, collapse=True),
        Column("term", "Показатель", "text", 40, wrap=True),
        Column(("odds_ratio", "ci_low", "ci_high"), "ОШ (95 % ДИ)", "ratio_ci", 24),
        Column("p_value", "p", "p", 10),
    ]
    note = (
        "Логистическая регрессия для каждой проблемы: вероятность назвать её в зависимости от того, приграничная ли "
        "единица, регион ли это (или город) и расстояния до границы с Китаем (ОШ на десятикратное расстояние); "
        "стандартные ошибки устойчивы к кластеризации по единицам. Приграничность и расстояние сильно связаны, "
        "поэтому их отдельные ОШ имеют широкие интервалы: читайте их вместе."
    )
    return (
        Table("Логистические модели", cols, rows, note=note),
        Table("Логистические модели", compact, compact_rows, note=note),
    )


def agreement_tables(ctx: ReportContext, gold: pd.DataFrame | None) -> tuple[Table | None, Table | None]:
    if gold is None or gold.empty:
        return None, None
    order = {c: i for i, c in enumerate(ctx.categories)}
    rows = []
    for r in sorted(gold.itertuples(), key=lambda r: order.get(r.category, 99)):
        rows.append(
            {
                "label": ctx.label(r.category),
                "n": r.n,
                "both": r.both,
                "only_a": r.only_a,
                "only_b": r.only_b,
                "neither": r.neither,
                "agreement": r.agreement * 100 if not is_blank(r.agreement) else None,
                "precision": r.precision,
                "recall": r.recall,
                "f1": r.f1,
                "kappa": r.kappa,
                "alpha": r.alpha,
                "note": r.note,
            }
        )
    cols = [
        Column("label", "Проблема (категория)", "text", 34, wrap=True),
        Column("n", "Ответов", "int", 9),
        Column("both", "Оба: есть", "int", 9),
        Column("only_a", "Только эталон", "int", 10),
        Column("only_b", "Только авто", "int", 10),
        Column("neither", "Оба: нет", "int", 9),
        Column("agreement", "Совпадение, %", "pct", 11),
        Column("precision", "Точность", "num3", 10),
        Column("recall", "Полнота", "num3", 10),
        Column("f1", "F1", "num3", 9),
        Column("kappa", "κ Коэна", "num3", 9),
        Column("alpha", "α Криппендорфа", "num3", 11),
        Column("note", "Примечание", "text", 40, wrap=True),
    ]
    compact = [
        Column("label", "Проблема", "text", 34, wrap=True),
        Column("only_a", "Пропущено", "int", 11),
        Column("only_b", "Лишних", "int", 10),
        Column("agreement", "Совпадение, %", "pct", 13),
        Column("f1", "F1", "num3", 9),
        Column("kappa", "κ Коэна", "num3", 10),
        Column("alpha", "α Криппендорфа", "num3", 13),
    ]
    note = (
        "Автоматическое кодирование (авто) сравнивается с эталонным (ручным) кодированием тех же ответов. "
        "«Пропущено» — код есть в эталоне, но не поставлен автоматически; «лишних» — наоборот. Там, где "
        "статистика не определена (нет вариации: категорию называют все), стоит «—», а не 1."
    )
    return (
        Table("Согласие с эталонным кодированием", cols, rows, note=note),
        Table("Согласие с эталонным кодированием", compact, rows, note=note),
    )


def reliability_text(ctx: ReportContext, gold: pd.DataFrame | None) -> list[str]:
    coding = ctx.manifest.get("coding") or {}
    out = []
    n = len(ctx.frame)
    if gold is not None and not gold.empty:
        g = gold.dropna(subset=["f1"])
        worst = g.loc[g["f1"].idxmin()] if not g.empty else None
        kap = gold["kappa"].dropna()
        undefined = [ctx.label(c) for c in gold.loc[gold["kappa"].isna(), "category"]]
        text = (
            f"Автоматическое кодирование ответов на вопрос о проблемах сверено с эталонным кодированием "
            f"({plural(int(gold['n'].max()), 'ответ', 'ответа', 'ответов')})."
        )
        if worst is not None:
            text += (
                f" F1 по категориям — от {fmt_num(worst['f1'], 3)} ({quoted(ctx.label(worst['category']))}) "
                f"до {fmt_num(g['f1'].max(), 3)}"
            )
        if not kap.empty:
            text += f"; κ Коэна — от {fmt_num(kap.min(), 3)} до {fmt_num(kap.max(), 3)}"
        text += "."
        if undefined:
            text += (
                " Для " + ", ".join(quoted(u) for u in undefined) + " κ и α не определены: нет вариации "
                "(категорию назвали все или никто)."
            )
        misses = int(gold["only_a"].sum())
        extra = int(gold["only_b"].sum())
        text += (
            f" Всего автоматически пропущено кодов: {fmt_int(misses)}, поставлено лишних: {fmt_int(extra)} "
            f"(из {fmt_int(n * len(gold))} решений «есть/нет»)."
        )
        out.append(text)
    else:
        out.append(
            "Эталонного (ручного) кодирования этих ответов нет, поэтому согласие автоматического кодирования "
            "с ним не измерено. Проверить кодирование можно на листе coding/coding_sheet.xlsx и запустить "
            "анализ с исправлениями (survey run --overrides)."
        )
    overrides = coding.get("overrides")
    if overrides:
        out.append(
            f"Социолог проверил кодирование: исправлено кодов — {fmt_int(overrides['codes_overridden'])} "
            f"в {genitive(overrides['answers_overridden'], 'ответе', 'ответах')}, из них изменили автоматический "
            f"код — {fmt_int(overrides['codes_changed'])}. Все таблицы построены по итоговым кодам."
        )
    else:
        out.append("Ручных исправлений кодов в этом запуске нет: таблицы построены по автоматическим кодам.")
    return out


def classifier_table(ctx: ReportContext, classifier: pd.DataFrame | None) -> Table | None:
    if classifier is None or classifier.empty:
        return None
    order = {c: i for i, c in enumerate(ctx.categories)}
    rows = [
        {
            "label": ctx.label(r.category),
            "positives": r.positives,
            "precision": r.precision_cv,
            "recall": r.recall_cv,
            "f1": r.f1_cv,
        }
        for r in sorted(classifier.itertuples(), key=lambda r: order.get(r.category, 99))
    ]
    cols = [
        Column("label", "Проблема (категория)", "text", 34, wrap=True),
        Column("positives", "Ответов с кодом", "int", 11),
        Column("precision", "Точность", "num3", 10),
        Column("recall", "Полнота", "num3", 10),
        Column("f1", "F1", "num3", 9),
    ]
    notes = sorted({str(r.note) for r in classifier.itertuples() if not is_blank(r.note)})
    note = (
        "Классификатор (TF-IDF по леммам, логистическая регрессия) только подсказывает социологу, какие коды "
        "проверить, и в анализ не входит. " + "; ".join(notes).capitalize() + ". Прочерк: показатель не "
        "определён (категорию называют все эксперты, или классификатор не предсказал её ни разу)."
    )
    return Table("Подсказки классификатора (кросс-валидация)", cols, rows, note=note)


def codebook_table(ctx: ReportContext) -> Table:
    rows = []
    for c in ctx.codebook.categories:
        if c.id not in ctx.categories:
            continue
        rows.append(
            {
                "id": c.id,
                "label": c.label,
                "description": c.description,
                "n": cell(ctx.detail, c.id, "total", "respondents"),
                "pct": cell(ctx.detail, c.id, "total", "percent"),
            }
        )
    cols = [
        Column("id", "Код", "text", 13),
        Column("label", "Категория", "text", 30, wrap=True),
        Column("description", "Что относится к категории", "text", 90, wrap=True),
        Column("n", "Назвали экспертов", "int", 11),
        Column("pct", "% экспертов", "pct", 11),
    ]
    note = (
        f"Кодовая книга версии {ctx.codebook.version or '—'}: категории, по которым закодированы ответы на открытый "
        "вопрос о проблемах. Один ответ может получить несколько кодов."
    )
    return Table("Кодовая книга", cols, rows, note=note)


def data_table(ctx: ReportContext, coded: pd.DataFrame | None, problems_q, with_names: bool) -> Table:
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
        row = {
            "expert_id": eid,
            "unit": r.get("name", r.get("unit_id")),
            "kind": KIND_LABELS.get(r.get("kind"), r.get("kind")),
            "federal_subject": r.get("federal_subject"),
            "border": BORDER_LABELS.get(r.get("border_status"), r.get("border_status")),
            "answer": r.get(problems_q.id) if problems_q is not None else None,
        }
        if with_names:
            row["names"] = " ".join(str(r[c]) for c in q.personal_columns if c in r and not is_blank(r[c]))
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
    cols += [
        Column("unit", "Город/регион", "text", 22),
        Column("kind", "Тип", "text", 8),
        Column("federal_subject", "Субъект РФ", "text", 22),
        Column("border", "Граница с Китаем", "text", 16),
        Column("answer", problems_q.title if problems_q is not None else "Ответ", "text", 70, wrap=True),
    ]
    cols += [Column(f"code_{c}", ctx.label(c), "int", 6, rotate=True) for c in ctx.codebook.ids if c in frame.columns]
    cols += [
        Column("evidence", "Основания кодов (слова ответа)", "text", 45, wrap=True),
        Column("denied", "Явно «нет проблемы с…»", "text", 16, wrap=True),
        Column("confidence", "Уверенность кодов", "text", 24, wrap=True),
    ]
    cols += [Column(f.id, f.title, "text", 50, wrap=True) for f in texts]
    note = "Ответы экспертов с итоговыми кодами (1 — проблема названа) и словами, на которых основан код. " + (
        "Содержит ФИО экспертов: только для внутреннего использования."
        if with_names
        else "Имена, должности и подразделения экспертов не приводятся: только коды экспертов."
    )
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


def published_table(check: pd.DataFrame, labels: Mapping[str, str]) -> Table:
    rows = []
    for r in check.itertuples():
        what = PUBLISHED_FIGURES.get(r.figure) or f"экспертов назвали: {labels.get(r.figure, r.figure)}"
        rows.append(
            {
                "figure": what,
                "published": r.published,
                "computed": r.computed,
                "match": "да" if r.match else "нет",
            }
        )
    cols = [
        Column("figure", "Показатель", "text", 50, wrap=True),
        Column("published", "Опубликовано", "int", 13),
        Column("computed", "В этих данных", "int", 13),
        Column("match", "Совпадает", "text", 11),
    ]
    return Table(
        "Сверка с опубликованными показателями исследования",
        cols,
        rows,
        note="Число экспертов по категориям — по итоговым кодам этого запуска.",
    )


def versions_table(manifest: Mapping[str, Any]) -> Table:
    rows = [{"package": k, "version": v} for k, v in (manifest.get("versions") or {}).items()]
    return Table(
        "Версии программ",
        [Column("package", "Программа", "text", 24), Column("version", "Версия", "text", 16)],
        rows,
    )


def inputs_table(manifest: Mapping[str, Any]) -> Table:
    rows = []
    for item in manifest.get("inputs") or []:
        rows.append({"role": "ответы экспертов", "file": Path(item["path"]).name, "sha256": item.get("sha256")})
    for key, role in (
        ("questionnaire", "анкета"),
        ("units_file", "справочник единиц"),
        ("codebook", "кодовая книга"),
    ):
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
    cols = [
        Column("role", "Файл", "text", 26),
        Column("file", "Имя", "text", 26),
        Column("sha256", "SHA-256", "text", 68),
    ]
    return Table(
        "Входные файлы",
        cols,
        rows,
        note="Контрольные суммы SHA-256 позволяют убедиться, что отчёт построен именно по этим файлам.",
    )
