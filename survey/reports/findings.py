"""Key figures and findings: Russian sentences stated from the numbers of the analysis tables."""

from __future__ import annotations

import pandas as pd

from survey.analysis.run import AnalysisTables
from survey.base.missing import is_blank
from survey.reports.context import (
    ALPHA,
    SCALE_TESTS,
    ReportContext,
    cell,
    group_by_label,
    interview_dates,
    interview_modes,
    unit_rows,
)
from survey.reports.format import (
    fmt_date,
    fmt_int,
    fmt_interval,
    fmt_num,
    fmt_p,
    fmt_pct,
    fmt_ratio,
    genitive,
    plural,
    quoted,
)
from survey.reports.model import Column, Table


def key_figures(ctx: ReportContext) -> Table:
    frame, m = ctx.frame, ctx.manifest
    units = unit_rows(frame)
    rows = [
        {
            "label": "Экспертов (принятых анкет)",
            "value": len(frame),
            "note": f"прочитано анкет: {fmt_int(m.get('respondents_in', len(frame)))}, "
            f"отклонено при проверке: {fmt_int(m.get('respondents_rejected', 0))}",
        },
        {
            "label": "Городов и регионов (единиц)",
            "value": int(frame["unit_id"].nunique()),
            "note": "у нескольких единиц больше одного эксперта",
        },
    ]
    if "kind" in frame.columns:
        for kind, label in (("city", "из них городов"), ("region", "из них регионов")):
            rows.append({"label": label, "value": int((units["kind"] == kind).sum()), "note": ""})
    if "border_status" in frame.columns:
        for status, label in (("border", "приграничных"), ("non_border", "неприграничных")):
            rows.append(
                {
                    "label": f"Единиц {label}",
                    "value": int((units["border_status"] == status).sum()),
                    "note": "субъект РФ граничит с Китаем" if status == "border" else "",
                }
            )
            rows.append(
                {
                    "label": f"Экспертов из {label} единиц",
                    "value": int((frame["border_status"] == status).sum()),
                    "note": "",
                }
            )
    dates = interview_dates(frame)
    if dates is not None:
        rows.append(
            {
                "label": "Период опроса",
                "value": f"{fmt_date(dates.min())} — {fmt_date(dates.max())}",
                "note": "даты интервью",
            }
        )
    modes = interview_modes(ctx)
    if modes:
        rows.append({"label": "Способ опроса", "value": modes, "note": "число экспертов"})
    rows.append({"label": "Категорий проблем в кодовой книге", "value": len(ctx.categories), "note": ""})
    return Table(
        "Ключевые показатели",
        [
            Column("label", "Показатель", "text", 38),
            Column("value", "Значение", "auto", 24, wrap=True),
            Column("note", "Пояснение", "text", 44, wrap=True),
        ],
        rows,
    )


def findings(ctx: ReportContext, t: AnalysisTables) -> list[str]:
    frame = ctx.frame
    n_experts = len(frame)
    n_units = int(frame["unit_id"].nunique())
    out = []
    units = unit_rows(frame)
    verb = "участвовал" if n_experts % 10 == 1 and n_experts % 100 != 11 else "участвовали"
    sentence = (
        f"В опросе {verb} {plural(n_experts, 'эксперт', 'эксперта', 'экспертов')} — представители "
        f"{genitive(n_units, 'города или региона', 'городов и регионов')}"
    )
    if "kind" in frame.columns:
        sentence += (
            f" (городов — {fmt_int((units['kind'] == 'city').sum())}, "
            f"регионов — {fmt_int((units['kind'] == 'region').sum())})"
        )
    out.append(sentence + ".")
    if "border_status" in frame.columns:
        nb = int((units["border_status"] == "border").sum())
        eb = int((frame["border_status"] == "border").sum())
        out.append(
            f"Приграничных единиц (субъект РФ граничит с Китаем) — {fmt_int(nb)} из {fmt_int(n_units)}, "
            f"в них {plural(eb, 'эксперт', 'эксперта', 'экспертов')}; неприграничных — "
            f"{fmt_int(n_units - nb)}, в них {plural(n_experts - eb, 'эксперт', 'эксперта', 'экспертов')}."
        )
    out.append(_top_problems(ctx))
    out.extend(_difference_findings(ctx))
    out.extend(_overall_findings(ctx, t.overall_test))
    out.extend(_scale_findings(ctx, t.scale_summary, t.scale_tests))
    out.append(_published_finding(t.published_check))
    return [s for s in out if s]


def _top_problems(ctx: ReportContext, top: int = 3) -> str:
    rows = [
        (c, cell(ctx.detail, c, "total", "respondents"), cell(ctx.detail, c, "total", "percent"))
        for c in ctx.categories
        if c not in ctx.no_problem_ids
    ]
    rows = [r for r in rows if r[1]]
    if not rows:
        return "Ни одной проблемы из кодовой книги эксперты не назвали."
    rows.sort(key=lambda r: -r[1])
    cutoff = rows[min(top, len(rows)) - 1][1]
    chosen = [r for r in rows if r[1] >= cutoff]
    n = len(ctx.frame)
    parts = [
        f"{quoted(ctx.label(c))} — {fmt_int(k)} из {genitive(n, 'эксперта', 'экспертов')} ({fmt_pct(p)})"
        if i == 0
        else f"{quoted(ctx.label(c))} — {fmt_int(k)} ({fmt_pct(p)})"
        for i, (c, k, p) in enumerate(chosen)
    ]
    text = "Чаще всего эксперты называют проблемы: " + "; ".join(parts) + "."
    none = [c for c in ctx.no_problem_ids if c in ctx.categories]
    for c in none:
        k = cell(ctx.detail, c, "total", "respondents")
        if k:
            text += (
                f" Об отсутствии проблем (кроме, возможно, пандемии) говорят "
                f"{plural(k, 'эксперт', 'эксперта', 'экспертов')} ({fmt_pct(cell(ctx.detail, c, 'total', 'percent'))})."
            )
    return text


def _difference_findings(ctx: ReportContext) -> list[str]:
    tests = ctx.tests
    if tests.empty or not tests["testable"].any():
        return [
            "Сравнить приграничные и неприграничные единицы нельзя: в данных нет обеих групп "
            "или ни одна категория не различает экспертов."
        ]
    out = []
    significant = tests[tests["testable"] & (tests["p_holm"] < ALPHA)]
    for cat in [c for c in ctx.categories if c in significant.index]:
        r = tests.loc[cat]
        sides = [
            ("неприграничных", r.k_reference, r.n_reference, r.percent_reference),
            ("приграничных", r.k_exposed, r.n_exposed, r.percent_exposed),
        ]
        sides.sort(key=lambda s: -s[3])
        (g1, k1, n1, p1), (g2, k2, n2, p2) = sides
        text = (
            f"Проблему {quoted(ctx.label(cat))} называют {fmt_pct(p1)} экспертов из {g1} единиц "
            f"({fmt_int(k1)} из {fmt_int(n1)}) и {fmt_pct(p2)} — из {g2} ({fmt_int(k2)} из {fmt_int(n2)}); "
            f"отношение шансов (приграничные к неприграничным) {fmt_ratio(r.odds_ratio)} "
            f"[95 % ДИ {fmt_interval(r.or_ci_low, r.or_ci_high, fmt_ratio)}] "
            f"(точный критерий Фишера, {fmt_p(r.p_fisher)}; с поправкой Холма {fmt_p(r.p_holm)})."
        )
        if not is_blank(r.p_fisher_units) or not is_blank(r.p_perm_cluster):
            checks = []
            if not is_blank(r.units_exposed) and not is_blank(r.p_fisher_units):
                checks.append(f"на уровне единиц критерий Фишера {fmt_p(r.p_fisher_units)}")
            if not is_blank(r.p_perm_cluster):
                checks.append(f"кластерный перестановочный тест (единицы целиком) {fmt_p(r.p_perm_cluster)}")
            robust = all(p < ALPHA for p in (r.p_fisher_units, r.p_perm_cluster) if not is_blank(p))
            text += (
                " С учётом того, что у одной единицы бывает несколько экспертов: "
                + "; ".join(checks)
                + (" — различие сохраняется." if robust else " — на этом уровне различие не подтверждается.")
            )
        out.append(text)
    raw_only = tests[tests["testable"] & (tests["p_fisher"] < ALPHA) & ~(tests["p_holm"] < ALPHA)]
    for cat in [c for c in ctx.categories if c in raw_only.index]:
        r = tests.loc[cat]
        out.append(
            f"По проблеме {quoted(ctx.label(cat))} различие значимо только без поправки на число категорий "
            f"({fmt_pct(r.percent_exposed)} в приграничных и {fmt_pct(r.percent_reference)} в неприграничных; "
            f"точный критерий Фишера {fmt_p(r.p_fisher)}, с поправкой Холма {fmt_p(r.p_holm)}): "
            "считать его установленным нельзя."
        )
    rest = [
        c
        for c in ctx.categories
        if c in tests.index
        and bool(tests.loc[c, "testable"])
        and c not in significant.index
        and c not in raw_only.index
    ]
    if rest:
        names = ", ".join(quoted(ctx.label(c)) for c in rest)
        if significant.empty and raw_only.empty:
            out.append(
                "Ни по одной категории различие между приграничными и неприграничными единицами не значимо "
                f"(точный критерий Фишера, уровень 0,05): {names}."
            )
        else:
            out.append(
                f"По остальным категориям различие между приграничными и неприграничными единицами не значимо "
                f"(точный критерий Фишера, p ≥ 0,05): {names}."
            )
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
        out.append(
            f"Проблему {quoted(ctx.label(cat))} {who} в обеих группах: различия между группами нет, "
            "проверять нечего; в поправку на число категорий эта проблема не входит."
        )
    return out


def _overall_findings(ctx: ReportContext, overall: pd.DataFrame) -> list[str]:
    out = []
    for group_by, part in overall.groupby("group_by", sort=False):
        by = {r.method: r for r in part.itertuples()}
        perm, cluster = by.get("permutation"), by.get("cluster_permutation")
        if perm is None or is_blank(perm.p_value):
            continue
        what = (
            "приграничными и неприграничными единицами"
            if group_by == "border_status"
            else f"группами ({group_by_label(group_by, ctx.questionnaire)})"
        )
        verdict = "различается" if perm.p_value < ALPHA else "значимо не различается"
        text = (
            f"Набор называемых проблем в целом {verdict} между {what} (тест множественной маргинальной "
            f"независимости, перестановки между экспертами: {fmt_p(perm.p_value)})"
        )
        if cluster is not None and not is_blank(cluster.p_value):
            same = (cluster.p_value < ALPHA) == (perm.p_value < ALPHA)
            text += f"; при перестановках между единицами (эксперты одной единицы вместе) {fmt_p(cluster.p_value)}" + (
                " — вывод тот же"
                if same
                else " — на уровне единиц различие не подтверждается"
                if perm.p_value < ALPHA
                else " — на уровне единиц различие значимо"
            )
        out.append(text + ".")
    return out


def _scale_findings(ctx: ReportContext, summary: pd.DataFrame, tests: pd.DataFrame) -> list[str]:
    out = []
    q = ctx.questionnaire
    for r in tests.itertuples():
        f = q.field(r.question)
        part = summary[(summary["question"] == r.question) & (summary["group"] != "total")]
        if part.empty or is_blank(r.p_value):
            continue
        means = ", ".join(
            f"{row.group_label} — {fmt_num(row.mean, 2)}" for row in part.itertuples() if not is_blank(row.mean)
        )
        lo, hi = f.substantive_options[0], f.substantive_options[-1]
        verdict = "различие значимо" if r.p_value < ALPHA else "различие не значимо"
        out.append(
            f"Оценка {quoted(f.label)} (от {lo.code} — {lo.label} до {hi.code} — {hi.label}): средние "
            f"по группам {means} ({SCALE_TESTS.get(r.test, r.test)}, {fmt_p(r.p_value)}: {verdict})."
        )
    return out


def _published_finding(check: pd.DataFrame) -> str:
    if check.empty:
        return ""
    if check["match"].all():
        values = ", ".join(fmt_int(v) for v in check["computed"])
        return (
            "Опубликованные показатели исследования воспроизводятся: все "
            f"{len(check)} совпадают ({values}; см. «Методика»)."
        )
    bad = [r for r in check.itertuples() if not r.match]
    return (
        "С опубликованными показателями исследования совпадают не все: "
        + "; ".join(f"{r.figure}: опубликовано {fmt_int(r.published)}, получено {fmt_int(r.computed)}" for r in bad)
        + " (см. «Методика»)."
    )
