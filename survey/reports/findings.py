"""Key figures and findings: Russian sentences stated from the numbers of the analysis tables.

Every sentence follows the run's numbers: a difference is called significant only when the
primary test (Rao–Scott when experts are clustered in units) is below α after the Holm
correction, and what the unit-level checks say is stated from their own p-values — nothing is
claimed that the corrected numbers contradict. Groups are named by their labels (the study's
settings), so the sentences fit any study and any grouping.
"""

from __future__ import annotations

import pandas as pd

from survey.analysis.run import AnalysisTables
from survey.analysis.stats import ALPHA
from survey.base.missing import is_blank
from survey.reports.context import (
    ONE_GROUP,
    OVERALL_METHODS,
    SCALE_TESTS,
    ReportContext,
    alpha_text,
    cap,
    cell,
    date_field,
    grouping_label,
    interview_dates,
    interview_modes,
    kind_counts,
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
from survey.spec.study import BORDER_STATUS


def experts(n: int) -> str:
    return plural(n, "эксперт", "эксперта", "экспертов")


def units_phrase(ctx: ReportContext, n: int) -> str:
    """«77 <units>» — the study's word for its units after a number (genitive plural, e.g. «городов»);
    where Russian needs the singular (21, 31…) the number follows: «единиц выборки (городов): 21»."""
    word = ctx.units_word
    if n % 10 == 1 and n % 100 != 11:
        return f"единиц выборки ({word}): {fmt_int(n)}"
    return f"{fmt_int(n)} {word}"


def unit_note(units: int, experts: int) -> str:
    """How the experts sit in the units, for the key figures."""
    if units == 1 and experts > 1:
        return "все эксперты из одной единицы: интервалы и критерии с учётом единиц невозможны"
    return "у нескольких единиц больше одного эксперта" if units < experts else "у каждой единицы один эксперт"


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
            "label": "Единиц" if ctx.units_word == "единиц" else f"{cap(ctx.units_word)} (единиц)",
            "value": int(frame["unit_id"].nunique()),
            "note": unit_note(int(frame["unit_id"].nunique()), len(frame)),
        },
    ]
    for word, n in kind_counts(ctx):
        rows.append({"label": f"из них {word}", "value": n, "note": ""})
    border = ctx.study.border
    if border is not None and BORDER_STATUS in frame.columns:
        for status in ("border", "non_border"):
            label = border.groups[status]
            rows.append(
                {
                    "label": f"Единицы: {label}",
                    "value": int((units[BORDER_STATUS] == status).sum()),
                    "note": f"признак: {border.label}" if status == "border" else "",
                }
            )
            rows.append(
                {"label": f"Эксперты: {label}", "value": int((frame[BORDER_STATUS] == status).sum()), "note": ""}
            )
    dates = interview_dates(frame, ctx.questionnaire)
    if dates is not None:
        rows.append(
            {
                "label": "Период опроса",
                "value": f"{fmt_date(dates.min())} — {fmt_date(dates.max())}",
                "note": date_field(ctx.questionnaire).label.lower(),
            }
        )
    modes = interview_modes(ctx)
    if modes:
        rows.append({"label": "Способ опроса", "value": modes, "note": "число экспертов"})
    rows.append({"label": "Группировка таблиц", "value": ctx.group_by_label, "note": _groups_note(ctx)})
    rows.append({"label": "Категорий проблем в кодовой книге", "value": len(ctx.categories), "note": ""})
    return Table(
        "Ключевые показатели",
        [
            Column("label", "Показатель", "text", 34, wrap=True),
            Column("value", "Значение", "auto", 24, wrap=True),
            Column("note", "Пояснение", "text", 44, wrap=True),
        ],
        rows,
    )


def _groups_note(ctx: ReportContext) -> str:
    if not ctx.comparable:
        return cap(ONE_GROUP)
    info = ctx.group_info
    note = "; ".join(
        f"{info[g]['label']} — {experts(info[g].get('size', info[g]['base']))}" for g in ctx.groups if g in info
    )
    return f"{note}. {ctx.ungrouped_note()}" if ctx.ungrouped_note() else note


def findings(ctx: ReportContext, t: AnalysisTables) -> list[str]:
    frame = ctx.frame
    n_experts = len(frame)
    n_units = int(frame["unit_id"].nunique())
    out = []
    verb = "участвовал" if n_experts % 10 == 1 and n_experts % 100 != 11 else "участвовали"
    sentence = f"В опросе {verb} {experts(n_experts)} — представители {units_phrase(ctx, n_units)}"
    kinds = kind_counts(ctx)
    if kinds:
        sentence += " (" + ", ".join(f"{word} — {fmt_int(n)}" for word, n in kinds) + ")"
    out.append(sentence + ".")
    out.append(_border_sentence(ctx))
    out.append(_top_problems(ctx))
    if ctx.comparable:
        out.extend(_difference_findings(ctx))
        out.extend(_overall_findings(ctx, t.overall_test))
    else:
        out.append(f"Группировка — {ctx.group_by_label}: в данных одна группа, сравнение групп невозможно.")
    out.extend(_scale_findings(ctx, t.scale_summary, t.scale_tests))
    out.append(_published_finding(t.published_check))
    return [s for s in out if s]


def _border_sentence(ctx: ReportContext) -> str:
    border = ctx.study.border
    frame = ctx.frame
    if border is None or BORDER_STATUS not in frame.columns:
        return ""
    units = unit_rows(frame)
    n_units = len(units)
    nb = int((units[BORDER_STATUS] == "border").sum())
    eb = int((frame[BORDER_STATUS] == "border").sum())
    return (
        f"Единиц в группе «{border.groups['border']}» ({border.label}) — {fmt_int(nb)} из {fmt_int(n_units)}, "
        f"в них {experts(eb)}; в группе «{border.groups['non_border']}» — {fmt_int(n_units - nb)}, "
        f"в них {experts(len(frame) - eb)}."
    )


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
    n = ctx.answered
    whom = (
        genitive(n, "ответившего на вопрос эксперта", "ответивших на вопрос экспертов")
        if ctx.unanswered
        else genitive(n, "эксперта", "экспертов")
    )
    parts = [
        f"{quoted(ctx.marked(c))} — {fmt_int(k)} из {whom} ({fmt_pct(p)})"
        if i == 0
        else f"{quoted(ctx.marked(c))} — {fmt_int(k)} ({fmt_pct(p)})"
        for i, (c, k, p) in enumerate(chosen)
    ]
    text = "Чаще всего эксперты называют проблемы: " + "; ".join(parts) + "."
    for c in [c for c in ctx.categories if c in ctx.no_problem_ids]:
        k = cell(ctx.detail, c, "total", "respondents")
        if k:
            text += f" {quoted(ctx.label(c))}: {experts(k)} ({fmt_pct(cell(ctx.detail, c, 'total', 'percent'))})."
    if any(c in ctx.low_reliability for c, _, _ in chosen):
        text += " " + ctx.reliability_note()
    return text


def _test_words(r) -> str:
    """«критерий Рао–Скотта F(1; 76) = 24,37, p < 0,001» — the primary test of a category."""
    kind = r.primary_test
    if kind == "rao_scott":
        df1, df2 = (fmt_num(v, 0) if float(v).is_integer() else fmt_num(v, 1) for v in (r.rao_scott_df1,
                                                                                         r.rao_scott_df2))  # fmt: skip
        return (
            f"критерий Рао–Скотта с учётом единиц F({df1}; {df2}) = {fmt_num(r.rao_scott_f, 2)}, {fmt_p(r.p_primary)}"
        )
    if kind == "fisher":
        return f"точный критерий Фишера, {fmt_p(r.p_primary)}"
    return f"χ² Пирсона = {fmt_num(r.chi2, 2)}, {fmt_p(r.p_primary)}"


def _unit_check(r) -> str:
    """What the unit-level checks say, from their own p-values."""
    checks = []
    if not is_blank(r.p_rao_scott_weighted):
        checks.append(f"при равном весе единиц {fmt_p(r.p_rao_scott_weighted)}")
    if not is_blank(r.p_perm_cluster):
        checks.append(f"перестановки групп между единицами {fmt_p(r.p_perm_cluster)}")
    if not checks:
        return ""
    ps = [p for p in (r.p_rao_scott_weighted, r.p_perm_cluster) if not is_blank(p)]
    if all(p < ALPHA for p in ps):
        verdict = "различие сохраняется"
    elif all(p >= ALPHA for p in ps):
        verdict = "на этом уровне различие не подтверждается"
    else:
        verdict = "проверки расходятся, различие на этом уровне неустойчиво"
    return " На уровне единиц: " + "; ".join(checks) + f" — {verdict}."


def _difference_findings(ctx: ReportContext) -> list[str]:
    tests = ctx.tests
    if tests.empty or not tests["testable"].any():
        return ["Ни одна категория не различает экспертов: проверять нечего (категорию называют все или никто)."]
    out = []
    two = len(ctx.groups) == 2
    family = tests["testable"] & tests["p_holm"].notna()
    significant = tests[family & (tests["p_holm"] < ALPHA)]
    for cat in [c for c in ctx.categories if c in significant.index]:
        r = tests.loc[cat]
        if two:
            sides = [
                (ctx.group_label(str(r.exposed)), r.k_exposed, r.n_exposed, r.percent_exposed),
                (ctx.group_label(str(r.reference)), r.k_reference, r.n_reference, r.percent_reference),
            ]
            sides.sort(key=lambda s: -s[3])
            (g1, k1, n1, p1), (g2, k2, n2, p2) = sides
            text = (
                f"Проблему {quoted(ctx.marked(cat))} называют {fmt_pct(p1)} экспертов группы «{g1}» "
                f"({fmt_int(k1)} из {fmt_int(n1)}) и {fmt_pct(p2)} — группы «{g2}» ({fmt_int(k2)} из {fmt_int(n2)})"
            )
            rd, lo, hi = (
                (r.rd_design, r.rd_design_low, r.rd_design_high)
                if ctx.clustered and not is_blank(r.rd_design)
                else (r.risk_difference, r.rd_ci_low, r.rd_ci_high)
            )
            if not is_blank(rd):
                text += (
                    f"; разность долей «{ctx.group_label(str(r.exposed))}» минус "
                    f"«{ctx.group_label(str(r.reference))}» {fmt_num(100 * rd, 1)} п. п. "
                    f"[95 % ДИ {fmt_interval(100 * lo, 100 * hi, digits=1)}], отношение шансов "
                    f"{fmt_ratio(r.odds_ratio)}"
                )
        else:
            shares = [(ctx.group_label(g), cell(ctx.detail, cat, g, "percent")) for g in ctx.groups]
            shares = [s for s in shares if not is_blank(s[1])]
            low, high = min(shares, key=lambda s: s[1]), max(shares, key=lambda s: s[1])
            text = (
                f"Проблему {quoted(ctx.marked(cat))} эксперты разных групп называют по-разному: от {fmt_pct(low[1])} "
                f"(«{low[0]}») до {fmt_pct(high[1])} («{high[0]}»)"
            )
        text += f" ({_test_words(r)}; с поправкой Холма {fmt_p(r.p_holm)})."
        text += _unit_check(r)
        out.append(text)
    raw_only = tests[family & (tests["p_primary"] < ALPHA) & ~(tests["p_holm"] < ALPHA)]
    for cat in [c for c in ctx.categories if c in raw_only.index]:
        r = tests.loc[cat]
        out.append(
            f"По проблеме {quoted(ctx.marked(cat))} различие значимо только без поправки на число категорий "
            f"({_test_words(r)}; с поправкой Холма {fmt_p(r.p_holm)}): считать его установленным нельзя."
        )
    rest = [
        c
        for c in ctx.categories
        if c in tests.index
        and bool(tests.loc[c, "testable"])
        and c not in significant.index
        and c not in raw_only.index
    ]
    kinds = {str(k) for k in tests.loc[tests["testable"], "primary_test"]}
    test_name = (
        "критерий Рао–Скотта с учётом единиц"
        if kinds == {"rao_scott"}
        else "точный критерий Фишера"
        if kinds == {"fisher"}
        else "основной критерий"
    )
    if rest:
        names = ", ".join(quoted(ctx.marked(c)) for c in rest)
        lead = (
            "Ни по одной категории различие между группами не значимо"
            if significant.empty and raw_only.empty
            else "По остальным категориям различие между группами не значимо"
        )
        out.append(f"{lead} ({test_name}, α = {alpha_text()}): {names}.")
    for cat in [c for c in ctx.categories if c in tests.index and not bool(tests.loc[c, "testable"])]:
        r = tests.loc[cat]
        k, n = int(r.events), int(r.n)
        if k == n and n:
            who = f"называют все {experts(n)}"
        elif k == 0:
            who = "не называет ни один эксперт"
        else:
            who = f"называют {fmt_int(k)} из {genitive(n, 'эксперта', 'экспертов')}"
        out.append(
            f"Проблему {quoted(ctx.marked(cat))} {who}: различий между группами быть не может, категория не "
            "проверяется и в поправку на число категорий не входит."
        )
    return out


def _overall_findings(ctx: ReportContext, overall: pd.DataFrame) -> list[str]:
    """The overall test of the main family: the verdict from the primary method (permutations among
    units when the grouping is a unit attribute, else the Rao–Scott adjustment), the others beside it."""
    out: list[str] = []
    if overall is None or overall.empty:
        return out
    main = overall[overall["family"] == "main"] if "family" in overall.columns else overall
    for group_by, part in main.groupby("group_by", sort=False):
        by = {r.method: r for r in part.itertuples() if not is_blank(r.p_value)}
        order = ["cluster_permutation", "rao_scott_2", "permutation", "bootstrap", "bonferroni"]
        methods = [m for m in order if m in by]
        if not methods:
            continue
        primary = by[methods[0]]
        what = grouping_label(str(group_by), ctx.questionnaire, ctx.study)
        verdict = "различается" if primary.p_value < ALPHA else "значимо не различается"
        text = (
            f"Набор называемых проблем в целом {verdict} между группами ({what}): тест множественной маргинальной "
            f"независимости, {OVERALL_METHODS[methods[0]]}, {fmt_p(primary.p_value)}"
        )
        others = [by[m] for m in methods[1:] if m in ("rao_scott_2", "permutation", "bootstrap")]
        if others:
            text += "; " + "; ".join(f"{_method_short(o.method)} {fmt_p(o.p_value)}" for o in others)
            same = all((o.p_value < ALPHA) == (primary.p_value < ALPHA) for o in others)
            text += " — вывод тот же" if same else " — варианты теста расходятся, вывод неустойчив"
        out.append(text + ".")
    return out


def _method_short(method: str) -> str:
    return {
        "rao_scott_2": "с поправкой Рао–Скотта второго порядка",
        "permutation": "перестановки между экспертами",
        "bootstrap": "бутстреп",
    }.get(method, method)


def _scale_findings(ctx: ReportContext, summary: pd.DataFrame, tests: pd.DataFrame) -> list[str]:
    out: list[str] = []
    if tests is None or tests.empty or not ctx.comparable:
        return out
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
        ends = (
            f"от {lo.code} — {lo.label} до {hi.code} — {hi.label}"
            if lo.label != str(lo.code) and hi.label != str(hi.code)
            else f"от {lo.code} до {hi.code}"
        )
        verdict = "различие значимо" if r.p_value < ALPHA else "различие не значимо"
        out.append(
            f"Оценка {quoted(f.label)} ({ends}): средние по группам {means} "
            f"({SCALE_TESTS.get(r.test, r.test)}, {fmt_p(r.p_value)}: {verdict})."
        )
    return out


def _published_finding(check: pd.DataFrame) -> str:
    if check is None or check.empty:
        return ""
    labels = check.attrs.get("labels") or {}
    if check["match"].all():
        values = ", ".join(fmt_int(v) for v in check["computed"])
        return (
            "Опубликованные показатели исследования воспроизводятся: все "
            f"{len(check)} совпадают ({values}; см. «Методика»)."
        )
    bad = [r for r in check.itertuples() if not r.match]
    return (
        "С опубликованными показателями исследования совпадают не все: "
        + "; ".join(
            f"{labels.get(r.figure, r.figure)}: опубликовано {fmt_int(r.published)}, получено {fmt_int(r.computed)}"
            for r in bad
        )
        + " (см. «Методика»)."
    )
