"""One builder per report table beyond the coded question (:mod:`survey.reports.problems`): closed
questions, scales, models, coding reliability, codebook, the data sheet, the published check,
versions and inputs.

Each takes the :class:`~survey.reports.context.ReportContext` (and the analysis table it lays
out) and returns :class:`~survey.reports.model.Table` objects; nothing is recomputed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from survey.analysis.frame import group_labels, has_data
from survey.analysis.run import AnalysisTables
from survey.base.files import sha256_file
from survey.base.missing import is_blank
from survey.reports.context import (
    MODEL_METHODS,
    MODEL_STATUS,
    ONE_GROUP,
    SCALE_TESTS,
    TEST_SHORT,
    ReportContext,
    cap,
    cell,
    group_key,
    grouping_label,
    kind_labels,
    percent_cells,
    percent_columns,
    present,
    records,
)
from survey.reports.format import decimal_comma, fmt_int, fmt_num, genitive, plural, quoted
from survey.reports.model import Column, Table
from survey.reports.problems import group_legend
from survey.spec.study import BORDER_STATUS

NO_DATA = "нет данных"


def _option_text(f, option) -> str:
    """«3 — скорее хорошо»; an unlabelled scale point is its number."""
    if f.type == "scale" and option.label != str(option.code) and option.code not in f.missing:
        return f"{option.code} — {option.label}"
    return option.label


def closed_tables(ctx: ReportContext, t: AnalysisTables) -> tuple[Table, Table]:
    """The closed questions: frequencies, % by group with intervals, the multiple-choice options' tests."""
    q = ctx.questionnaire
    freq = t.closed_frequencies
    by_group = t.closed_by_group
    multi = t.closed_multiple_by_group
    mtests = t.closed_multiple_tests if t.closed_multiple_tests is not None else pd.DataFrame()
    groups = ctx.groups if ctx.comparable else []
    by_group_cells = records(by_group, "question", "code", "group") if not by_group.empty else {}
    multi_cells = records(multi, "question", "category", "group") if not multi.empty else {}
    test_cells = records(mtests, "question", "category") if not mtests.empty else {}
    stests = t.single_tests if t.single_tests is not None else pd.DataFrame()
    single_cells = records(stests, "question") if not stests.empty else {}
    rows = []
    no_data: list[str] = []
    partial = 0
    for f in q.questions:
        if f.type in ("single", "scale", "multiple") and not has_data(ctx.frame, f.columns()):
            # nobody has a value: one row saying so, not a table of zeros
            no_data.append(f.title)
            rows.append(
                {"question": f.title, "option": f"{NO_DATA}: ответа нет ни у одного эксперта", "n": None, "pct": None,
                 "valid_pct": None, "missing": True}
            )  # fmt: skip
        elif f.type in ("single", "scale"):
            options = {o.code: o for o in f.answer_options}
            single = single_cells.get((f.id,)) if groups else None
            for r in freq[freq["question"] == f.id].to_dict("records"):
                code = r["code"]
                option = options.get(code) if not is_blank(code) else None
                row: dict[str, Any] = {
                    "question": f.title,
                    "option": _option_text(f, option) if option is not None else r["label"],
                    "n": r["n"],
                    "pct": r["percent"],
                    "valid_pct": r["valid_percent"],
                    "missing": bool(r["missing"]),
                }
                if not r["missing"]:
                    for i, g in enumerate(groups):
                        p = by_group_cells.get((f.id, code, g))
                        if p is not None:
                            key = group_key(i, g)
                            row.update(percent_cells(key, p["n"], p))
                    if single is not None and not is_blank(single.get("p_value")):
                        # one test per question, on its first row: the whole answer × group table
                        row.update(p_primary=single["p_value"], test=TEST_SHORT["rao_scott"])
                        single = None
                rows.append(row)
        elif f.type == "multiple" and multi_cells:
            for o in f.options:
                col = f.option_column(o)
                total = multi_cells.get((f.id, col, "total"))
                if total is None:
                    continue
                base, unknown = int(total["base"]), int(total.get("n_missing") or 0)
                if not base:  # the option's column is in no file: no percentage, no test
                    no_data.append(f"{f.title}: {o.label}")
                    rows.append(
                        {"question": f.title, "option": f"{o.label} — {NO_DATA}", "n": None, "pct": None,
                         "valid_pct": None, "missing": True}
                    )  # fmt: skip
                    continue
                row = {
                    "question": f.title,
                    # the base of the option, where some experts have no value of it
                    "option": f"{o.label} (известно у {base} из {base + unknown})" if unknown else o.label,
                    "n": total["respondents"],
                    "pct": total["percent"],
                    "valid_pct": None,
                    "missing": False,
                }
                partial += bool(unknown)
                for i, g in enumerate(groups):
                    p = multi_cells.get((f.id, col, g))
                    if p is not None:
                        key = group_key(i, g)
                        row.update(percent_cells(key, p["respondents"], p))
                tt = test_cells.get((f.id, col))
                if tt is not None and groups:
                    row["p_primary"] = tt.get("p_primary")
                    row["p_holm"] = tt.get("p_holm")
                    row["test"] = TEST_SHORT.get(tt.get("primary_test") or "", "")
                rows.append(row)
    cols = [
        Column("question", "Вопрос", "text", 22, wrap=True),
        Column("option", "Ответ", "text", 24, wrap=True),
        Column("n", "n", "int", 5.5),
        Column("pct", "% от всех", "pct", 7.5),
        Column("valid_pct", "% по существу", "pct", 7.5),
    ]
    spans: list[tuple[str, int]] = [("", 2), ("Все эксперты", 3)]
    compact = [
        Column("question", "Вопрос", "text", 20, wrap=True, collapse=True),
        Column("option", "Ответ", "text", 30, wrap=True),
        Column(("n", "pct"), "Всего, n (%)", "n_pct", 13),
    ]
    many = len(groups) > 3
    for i, g in enumerate(groups):
        key = group_key(i, g)
        info = ctx.group_info[g]
        cols.extend(percent_columns(key))
        letter = f" ({info['letter']})" if info["letter"] else ""
        spans.append((f"{info['label']}{letter}", 4))
        if many:
            compact.append(Column(f"pct_{key}", f"{info['letter']}, %", "pct", 8))
        else:
            compact.append(
                Column((f"pct_{key}", f"lo_{key}", f"hi_{key}"), f"{info['label']}, % (95 % ДИ)", "pct_ci", 20)
            )
    tested = any(r.get("p_primary") is not None for r in rows)
    if tested:
        cols.extend([Column("p_primary", "p", "p", 9.5), Column("p_holm", "p Холма", "p", 9.5)])
        spans.append(("Сравнение групп", 2))
        compact.append(Column("p_primary", "p", "p", 10))
    note = (
        "Вопросы с одним ответом и шкалы: % от всех экспертов и % по существу — от ответивших по существу (без "
        "ответов вроде "
        "«затрудняюсь ответить»); по группам — % от ответивших по существу в группе. Вопросы с несколькими "
        "ответами: % от всех экспертов (группы), сумма больше 100 %. ДИ — 95 % интервал Уилсона."
    )
    if partial:
        note += (
            " Вариант с пометкой «известно у n из N»: его столбца не было в части файлов ответов, процент, "
            "интервалы и p — от n экспертов, для которых он известен."
        )
    if no_data:
        note += (
            f" {NO_DATA.capitalize()} ({', '.join(quoted(x) for x in no_data)}): значения нет ни у одного эксперта "
            "— столбца нет ни в одном файле ответов или его никто не заполнил; проценты и сравнение групп не "
            "вычисляются."
        )
    if tested:
        kinds = {r.get("test") for r in rows if r.get("test")}
        note += (
            " p — сравнение групп ("
            + ", ".join(sorted(k for k in kinds if k))
            + ", с учётом единиц как кластеров): у вопроса с одним "
            "ответом — всего распределения ответов по существу (в первой строке вопроса), у вопроса с "
            "несколькими ответами — каждого варианта; в книге summary.xlsx также p Холма — с поправкой "
            "на число вариантов вопроса."
        )
    elif not ctx.comparable:
        note += f" {cap(ONE_GROUP)}."
    if ctx.comparable and ctx.ungrouped_note():
        note += f" {ctx.ungrouped_note()}"
    return (
        Table("Закрытые вопросы", cols, rows, note=note, spans=spans if groups else []),
        Table("Закрытые вопросы", compact, rows, note=(group_legend(ctx, ungrouped=False) + note) if many else note),
    )


def scales_table(ctx: ReportContext, summary: pd.DataFrame, tests: pd.DataFrame) -> Table | None:
    """Scale means, SDs and medians by group, with the rank test (Mann–Whitney or Kruskal–Wallis)."""
    q = ctx.questionnaire
    if summary is None or summary.empty:
        return None
    rows = []
    missing_labels: list[str] = []
    for qid in dict.fromkeys(summary["question"]):
        f = q.field(qid)
        test = tests[tests["question"] == qid] if tests is not None and not tests.empty else pd.DataFrame()
        tr = test.iloc[0] if not test.empty else None
        for o in f.options:
            if o.code in f.missing and o.label not in missing_labels:
                missing_labels.append(o.label)
        if not has_data(ctx.frame, [qid]):
            rows.append({"question": f"{f.title} (шкала {f.min}–{f.max})", "group": f"{NO_DATA}: ответа нет ни у "
                         "одного эксперта", "n_valid": None, "n_missing": None, "mean": None, "sd": None,
                         "median": None, "test": "", "p_value": ""})  # fmt: skip
            continue
        for r in summary[summary["question"] == qid].itertuples():
            if not ctx.comparable and r.group != "total":
                continue
            has_test = tr is not None and r.group == "total" and not is_blank(tr["p_value"])
            rows.append(
                {
                    "question": f"{f.title} (шкала {f.min}–{f.max})",
                    "group": r.group_label,
                    "n_valid": r.n_valid,
                    "n_missing": r.n_missing,
                    "mean": r.mean,
                    "sd": r.sd,
                    "median": r.median,
                    "test": SCALE_TESTS.get(tr["test"], tr["test"]) if has_test and tr is not None else "",
                    "p_value": tr["p_value"] if has_test and tr is not None else "",
                }
            )
    cols = [
        Column("question", "Вопрос", "text", 28, wrap=True, collapse=True),
        Column("group", "Группа", "text", 18, wrap=True),
        Column("n_valid", "Ответили по существу", "int", 11),
        Column("n_missing", "Без оценки", "int", 9),
        Column("mean", "Среднее", "num2", 9),
        Column("sd", "Ст. откл.", "num2", 9),
        Column("median", "Медиана", "num1", 9),
        Column("test", "Критерий", "text", 22, wrap=True),
        Column("p_value", "p", "p", 10),
    ]
    dont_know = ", ".join(quoted(x) for x in missing_labels)
    note = "Средние по точкам шкалы" + (f" без ответов {dont_know} и пустых" if dont_know else " без пустых ответов")
    note += " («без оценки»)."
    if ctx.comparable:
        note += (
            " Сравнение групп: ранговый критерий Уилкоксона (две группы) или Краскела–Уоллиса (больше двух) в "
            "версии для кластерной выборки (единицы — кластеры, как svyranktest в R); p — в строке «всего»."
        )
    else:
        note += f" {cap(ONE_GROUP)}."
    return Table("Оценки по шкалам", cols, rows, note=note)


def model_tables(ctx: ReportContext, models: pd.DataFrame | None) -> tuple[Table | None, Table | None, str]:
    """The logistic models (full, compact) and one sentence on what they are — or why there are none."""
    terms = list(ctx.study.models)
    if models is None or models.empty or not terms:
        return (
            None,
            None,
            (
                "Логистические модели не оцениваются: в настройках исследования (study.yaml, models) не заданы "
                "признаки единиц для моделей."
            ),
        )
    rows = []
    compact_rows = []
    order = {c: i for i, c in enumerate(ctx.categories)}
    models = models.assign(_o=models["category"].map(order)).sort_values("_o", kind="stable")
    for cat, part in models.groupby("category", sort=False):
        status = part["status"].iloc[0]
        for r in part.itertuples():
            if status != "ok" and r.term != "intercept":
                continue  # a model not fitted: one row with the reason
            joint = r.method == "joint_cr2"
            term = "константа: шансы, когда все признаки равны 0" if r.term == "intercept" else r.term_label
            if status != "ok":
                term = "—"
            rows.append(
                {
                    "label": ctx.marked(cat),
                    "term": term,
                    "method": MODEL_METHODS.get(r.method, r.method) if isinstance(r.method, str) else "",
                    "odds_ratio": present(r.odds_ratio),
                    "ci_low": present(r.ci_low),
                    "ci_high": present(r.ci_high),
                    "statistic": present(r.statistic),
                    "df": present(r.df),
                    "p_value": present(r.p_value),
                    "n": r.n,
                    "events": r.events,
                    "epp": present(r.epp),
                    "n_clusters": r.n_clusters,
                    "status": MODEL_STATUS.get(r.status, r.status),
                    "note": decimal_comma(r.note) if isinstance(r.note, str) else "",
                }
            )
            if status == "ok" and r.term != "intercept":
                compact_rows.append(
                    {
                        "label": ctx.marked(cat),
                        "term": r.term_label,
                        "method": (
                            f"F({_df_text(len(str(r.term).split('+')))}; {fmt_num(r.df, 1)})"
                            if joint
                            else MODEL_METHODS.get(r.method, r.method)
                        ),
                        "odds_ratio": present(r.odds_ratio),
                        "ci_low": present(r.ci_low),
                        "ci_high": present(r.ci_high),
                        "p_value": present(r.p_value),
                        "epp": present(r.epp),
                    }
                )
        if status != "ok":
            compact_rows.append(
                {
                    "label": ctx.marked(cat),
                    "term": decimal_comma(part["note"].iloc[0]),
                    "method": MODEL_STATUS.get(status, status),
                }
            )
    cols = [
        Column("label", "Проблема (категория)", "text", 20, wrap=True),
        Column("term", "Показатель", "text", 26, wrap=True),
        Column("method", "Метод", "text", 12, wrap=True),
        Column("odds_ratio", "ОШ", "ratio", 7.5),
        Column("ci_low", "ДИ от", "ratio", 7.5),
        Column("ci_high", "ДИ до", "ratio", 7.5),
        Column("statistic", "F", "num2", 6),
        Column("df", "df", "num1", 5.5),
        Column("p_value", "p", "p", 9.5),
        Column("events", "Назвали", "int", 7),
        Column("epp", "На параметр", "num1", 7),
        Column("note", "Примечание", "text", 20, wrap=True),
    ]
    compact = [
        Column("label", "Проблема", "text", 26, wrap=True, collapse=True),
        Column("term", "Показатель", "text", 36, wrap=True),
        Column("method", "Метод", "text", 14, wrap=True),
        Column(("odds_ratio", "ci_low", "ci_high"), "ОШ (95 % ДИ)", "ratio_ci", 22),
        Column("p_value", "p", "p", 10),
        Column("epp", "Событий на параметр", "num1", 9),
    ]
    names = "; ".join(t.label for t in terms)
    n_clusters = int(models["n_clusters"].dropna().iloc[0]) if models["n_clusters"].notna().any() else 0
    n_experts = int(models["n"].dropna().iloc[0]) if models["n"].notna().any() else len(ctx.frame)
    text = (
        f"Логистическая регрессия для каждой проблемы: шансы назвать её в зависимости от признаков ({names}); "
        f"экспертов {fmt_int(n_experts)}. "
        f"Эксперты сгруппированы в единицы ({fmt_int(n_clusters)}), поэтому стандартные ошибки — CR2 с поправкой "
        "Саттертуэйта на малое число кластеров (как R clubSandwich); где событий на параметр меньше 10 или оценка "
        "максимального правдоподобия не существует (разделение), — логит Фирта со штрафованным правдоподобием "
        "(интервалы по профилю правдоподобия; кластеры он не учитывает, это указано в примечании). «На параметр» — "
        "событий (более редкого из ответов «назвал» / «не назвал») на один оцениваемый коэффициент. p по обычной "
        "кластерно-устойчивой ошибке (CR1) — в tables/models.csv, для сравнения."
    )
    if ctx.study.joint:
        text += (
            " Признаки, связанные между собой, проверяются и совместно (строка «совместно»: F-критерий Вальда с "
            "ошибками CR2, HTZ): по отдельности их ОШ неустойчивы."
        )
    text += (
        " Константа — шансы назвать проблему, когда все признаки равны нулю (для числового признака это может "
        "быть вне данных)."
    )
    return (
        Table("Логистические модели", cols, rows, note=text),
        Table("Логистические модели", compact, compact_rows, note=text + " Константы — в summary.xlsx."),
        text,
    )


def _df_text(v: int) -> str:
    return str(int(v))


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
        Column("label", "Проблема (категория)", "text", 24, wrap=True),
        Column("n", "Ответов", "int", 9),
        Column("both", "Оба: есть", "int", 7),
        Column("only_a", "Только эталон", "int", 8),
        Column("only_b", "Только авто", "int", 7),
        Column("neither", "Оба: нет", "int", 7),
        Column("agreement", "% совпадений", "pct", 8),
        Column("precision", "Точность", "num3", 8),
        Column("recall", "Полнота", "num3", 8),
        Column("f1", "F1", "num3", 6.5),
        Column("kappa", "κ Коэна", "num3", 7),
        Column("alpha", "α Криппендорфа", "num3", 8),
    ]
    compact = [
        Column("label", "Проблема", "text", 34, wrap=True),
        Column("only_a", "Пропущено", "int", 11),
        Column("only_b", "Лишних", "int", 10),
        Column("agreement", "% совпадений", "pct", 13),
        Column("f1", "F1", "num3", 9),
        Column("kappa", "κ Коэна", "num3", 10),
        Column("alpha", "α Криппендорфа", "num3", 13),
    ]
    notes = [f"{quoted(r['label'])}: {r['note']}" for r in rows if isinstance(r.get("note"), str) and r["note"]]
    note = (
        "Автоматическое кодирование (авто) сравнивается с эталонным (ручным) кодированием тех же ответов. "
        "«Только эталон» («пропущено») — код есть в эталоне, но не поставлен автоматически; «только авто» "
        "(«лишних») — наоборот. Там, где статистика не определена (нет вариации: категорию называют все), стоит "
        "«—», а не 1."
    )
    if notes:
        note += " " + "; ".join(notes) + "."
    return (
        Table("Согласие с эталонным кодированием", cols, rows, note=note),
        Table("Согласие с эталонным кодированием", compact, rows, note=note),
    )


def reliability_text(ctx: ReportContext, gold: pd.DataFrame | None) -> list[str]:
    coding = ctx.manifest.get("coding") or {}
    out = []
    if gold is not None and not gold.empty:
        n = int(gold["n"].max())
        g = gold.dropna(subset=["f1"])
        worst = g.loc[g["f1"].idxmin()] if not g.empty else None
        kap = gold["kappa"].dropna()
        undefined = [ctx.label(c) for c in gold.loc[gold["kappa"].isna(), "category"]]
        text = (
            f"Автоматическое кодирование ответов на {ctx.coded_question} сверено с эталонным кодированием "
            f"({plural(n, 'ответ', 'ответа', 'ответов')})."
        )
        unmatched = len(gold.attrs.get("only_in_a", []))
        if unmatched:
            text += (
                f" Строк эталона с экспертами, которых нет среди принятых анкет: {fmt_int(unmatched)}; они не "
                "сравнивались (перечислены в validation.csv)."
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
        Column("label", "Проблема (категория)", "text", 24, wrap=True),
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
        Column("id", "Код", "text", 12),
        Column("label", "Категория", "text", 22, wrap=True),
        Column("description", "Что относится к категории", "text", 70, wrap=True),
        Column("n", "Назвали экспертов", "int", 11),
        Column("pct", "% экспертов", "pct", 11),
    ]
    note = (
        f"Кодовая книга версии {ctx.codebook.version or '—'}: категории, по которым закодированы ответы на "
        f"{ctx.coded_question}. Один ответ может получить несколько кодов."
    )
    return Table("Кодовая книга", cols, rows, note=note)


def data_columns(ctx: ReportContext) -> list[tuple[str, str]]:
    """The unit attributes the «Данные» sheet shows: ``(column, heading)`` — the kind of unit, the
    grouping, the border attribute and the federal subject, when the data have them."""
    frame, study = ctx.frame, ctx.study
    wanted: list[tuple[str, str]] = []
    if "kind" in frame.columns:
        wanted.append(("kind", "Тип"))
    if study.border is not None and BORDER_STATUS in frame.columns:
        wanted.append((BORDER_STATUS, cap(study.border.label)))
    if ctx.group_by in frame.columns and ctx.group_by not in ("unit_id", "name", "expert_id"):
        wanted.append((ctx.group_by, cap(ctx.group_by_label)))
    if "federal_subject" in frame.columns:
        wanted.append(("federal_subject", cap(grouping_label("federal_subject", ctx.questionnaire, study))))
    return list({col: (col, heading) for col, heading in reversed(wanted)}.values())[::-1]


def _value_labels(ctx: ReportContext, column: str) -> dict[str, str]:
    if column == "kind":
        return kind_labels(ctx.study)
    if column == BORDER_STATUS and ctx.study.border is not None:
        return dict(ctx.study.border.unit_labels)
    labels = group_labels(ctx.frame, column, ctx.questionnaire)
    labels.pop("total", None)
    return labels


# Beyond this many respondents «Данные» holds no rows (nobody scrolls them, and they cost most of the
# workbook's time and size): the answers are in data/responses.csv and .sav, as the sheet says.
MAX_DATA_SHEET_ROWS = 2000


def data_table(ctx: ReportContext, coded: pd.DataFrame | None, problems_q, with_names: bool) -> Table | None:
    """The answers with their codes, one row per respondent; None above :data:`MAX_DATA_SHEET_ROWS`."""
    frame = ctx.frame
    if len(frame) > MAX_DATA_SHEET_ROWS:
        return None
    q = ctx.questionnaire
    evidence = {}
    if coded is not None and problems_q is not None and not coded.empty:
        part = coded[coded["question"] == problems_q.id]
        evidence = {str(r.expert_id): r for r in part.itertuples()}
    texts = [f for f in q.questions if f.type == "text" and f.id in frame.columns and not f.coded]
    attributes = data_columns(ctx)
    value_labels = {col: _value_labels(ctx, col) for col, _ in attributes}
    rows = []
    for r in frame.to_dict("records"):
        eid = str(r["expert_id"])
        row = {
            "expert_id": eid,
            "unit": r.get("name", r.get("unit_id")),
            "answer": r.get(problems_q.id) if problems_q is not None else None,
        }
        for col, _ in attributes:
            value = r.get(col)
            key = _text_key(value)
            row[f"attr_{col}"] = value_labels[col].get(key, value) if key is not None else None
        if with_names:
            row["names"] = " ".join(str(r[c]) for c in q.personal_columns if c in r and not is_blank(r[c]))
        for c in ctx.codebook.ids:
            if c in r:
                row[f"code_{c}"] = None if is_blank(r[c]) else int(r[c])  # empty: the question left unanswered
        e = evidence.get(eid)
        row["evidence"] = _evidence_text(getattr(e, "evidence", None), ctx.labels) if e is not None else None
        row["denied"] = _label_list(getattr(e, "denied", None), ctx.labels) if e is not None else None
        row["confidence"] = _confidence_text(getattr(e, "confidence", None), ctx.labels) if e is not None else None
        for f in texts:
            row[f.id] = r.get(f.id)
        rows.append(row)
    cols = [Column("expert_id", "Код эксперта", "text", 9)]
    if with_names:
        cols.append(Column("names", "ФИО (внутреннее использование)", "text", 26, wrap=True))
    cols.append(Column("unit", "Единица", "text", 14, wrap=True))
    shown = [(col, heading) for col, heading in attributes if col in (ctx.group_by, BORDER_STATUS)][:1]
    cols += [Column(f"attr_{col}", heading, "text", 9, wrap=True) for col, heading in shown]
    cols.append(Column("answer", problems_q.title if problems_q is not None else "Ответ", "text", 44, wrap=True))
    cols += [Column(f"code_{c}", ctx.label(c), "int", 3.6, rotate=True) for c in ctx.codebook.ids if c in frame.columns]
    cols += [
        Column(f"attr_{col}", heading, "text", 14, wrap=True)
        for col, heading in attributes
        if (col, heading) not in shown
    ]
    cols += [
        Column("evidence", "Основания кодов (слова ответа)", "text", 70, wrap=True),
        Column("denied", "Явно «нет проблемы с…»", "text", 26, wrap=True),
        Column("confidence", "Уверенность кодов", "text", 40, wrap=True),
    ]
    cols += [Column(f.id, f.title, "text", 70, wrap=True) for f in texts]
    note = "Ответы экспертов с итоговыми кодами (1 — проблема названа) и словами, на которых основан код. " + (
        "Содержит ФИО экспертов: только для внутреннего использования."
        if with_names
        else "Имена, должности и подразделения экспертов не приводятся: только коды экспертов."
    )
    return Table("Ответы и коды", cols, rows, note=note)


def _text_key(value: Any) -> str | None:
    """A group value as the analysis writes it (``3.0`` → ``"3"``), or None when blank."""
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


DATA_NOTE = (
    "Лист для чтения ответов. Печатаются код эксперта, единица, её группа, ответ и коды; другие признаки "
    "единицы, основания кодов, «нет проблемы с…», уверенность и другие открытые ответы видны на экране "
    "(столбцы справа), а все данные для анализа — в data/responses.csv и data/responses.sav (SPSS) и в "
    "coding/codes_final.csv."
)


def data_note(n: int) -> str:
    """What the «Данные» sheet says about itself for ``n`` respondents."""
    if n <= MAX_DATA_SHEET_ROWS:
        return DATA_NOTE
    return (
        f"Анкет {fmt_int(n)} — больше, чем удобно читать в книге (лист заполняется до "
        f"{fmt_int(MAX_DATA_SHEET_ROWS)} анкет). Ответы каждого эксперта с итоговыми кодами — в "
        "data/responses.csv и data/responses.sav (SPSS), коды и их основания — в coding/codes_final.csv и "
        "coding/codes_auto.csv; все таблицы этой книги построены по всем анкетам."
    )


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


def published_table(check: pd.DataFrame | None) -> Table | None:
    """The study's published figures against the run's (``None`` when the study publishes none)."""
    if check is None or check.empty:
        return None
    labels = check.attrs.get("labels") or {}
    rows = []
    for r in check.itertuples():
        rows.append(
            {
                "figure": labels.get(r.figure, r.figure),
                "published": r.published,
                "computed": None if r.computed is pd.NA else r.computed,
                "match": "да" if r.match else "нет",
            }
        )
    cols = [
        Column("figure", "Показатель", "text", 28, wrap=True),
        Column("published", "Опубликовано", "int", 13),
        Column("computed", "В этих данных", "int", 13),
        Column("match", "Совпадает", "text", 11),
    ]
    note = "Число экспертов по категориям — по итоговым кодам этого запуска."
    unknown = check.attrs.get("unknown") or {}
    if unknown:
        note += (
            " Не вычисляются (значение неизвестно части экспертов: нет столбца в файле ответов): "
            + "; ".join(
                f"{labels.get(k, k)} — {plural(v, 'эксперт', 'эксперта', 'экспертов')}" for k, v in unknown.items()
            )
            + "."
        )
    return Table("Сверка с опубликованными показателями исследования", cols, rows, note=note)


def versions_table(manifest: Mapping[str, Any]) -> Table:
    rows = [{"package": k, "version": v} for k, v in (manifest.get("versions") or {}).items()]
    return Table(
        "Версии программ",
        [Column("package", "Программа", "text", 24), Column("version", "Версия", "text", 16)],
        rows,
    )


def _file_hash(path: str | Path | None, given: str | None = None) -> str:
    """The SHA-256 the manifest gives, else the file's own (study files the manifest does not list)."""
    if given:
        return given
    if path is None or not Path(path).is_file():
        return "—"
    return sha256_file(path)


def inputs_table(manifest: Mapping[str, Any], study) -> Table:
    """Every input of the run with its SHA-256: responses, questionnaire, gazetteer and its lookup
    tables, the border line, codebook, study settings, published figures, gold coding, overrides."""
    rows: list[dict[str, Any]] = []

    def add(role: str, path: str | Path | None, sha: str | None = None) -> None:
        if path:
            rows.append({"role": role, "file": Path(path).name, "sha256": _file_hash(path, sha)})

    for item in manifest.get("inputs") or []:
        add("ответы экспертов", item["path"], item.get("sha256"))
    q = manifest.get("questionnaire") or {}
    if q:
        add("анкета" + (f" (версия {q['version']})" if q.get("version") else ""), q.get("path"), q.get("sha256"))
    units = manifest.get("units_file") or {}
    if units:
        add("справочник единиц", units.get("path"), units.get("sha256"))
    if study is not None:
        for table in study.unit_tables:
            add(f"таблица признаков единиц ({table.key})", table.path)
        if study.border is not None and study.border.line is not None:
            add("линия границы (для расстояний)", study.border.line)
        if study.file("not_names") is not None:
            add("слова, которые не являются именами", study.file("not_names"))
    cb = manifest.get("codebook") or {}
    if cb:
        add("кодовая книга" + (f" (версия {cb['version']})" if cb.get("version") else ""), cb.get("path"),
            cb.get("sha256"))  # fmt: skip
    st = manifest.get("study") or {}
    if st.get("path"):
        add("настройки исследования", st["path"], st.get("sha256"))
    published = st.get("published") or {}
    if published.get("path"):
        add("опубликованные показатели", published["path"], published.get("sha256"))
    coding = manifest.get("coding") or {}
    if coding.get("gold"):
        add("эталонное кодирование", coding["gold"], coding.get("gold_sha256"))
    overrides = (manifest.get("options") or {}).get("overrides")
    if overrides:
        add("исправления кодов", overrides, coding.get("overrides_sha256"))
    cols = [
        Column("role", "Файл", "text", 24, wrap=True),
        Column("file", "Имя", "text", 22, wrap=True),
        Column("sha256", "SHA-256", "text", 66),
    ]
    return Table(
        "Входные файлы",
        cols,
        rows,
        note="Контрольные суммы SHA-256 позволяют убедиться, что отчёт построен именно по этим файлам.",
    )
