"""What every summary report needs, gathered once from a run: :func:`build_report`.

The Excel, PDF and HTML writers (:mod:`survey.reports.excel`, :mod:`survey.reports.pdf`,
:mod:`survey.reports.html`) only lay out a :class:`~survey.reports.model.ReportData`: key
figures and findings (:mod:`survey.reports.findings`), the tables (:mod:`survey.reports.sections`),
coding reliability, the codebook, the methodology (:mod:`survey.reports.methodology`), the
synthetic-data notice, software versions and input hashes. Nothing is recomputed here: every
number comes from the tables of :func:`survey.analysis.run.analyse` (or, for counts of the
sample, from its frame).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from survey.analysis.frame import frame_study, group_values
from survey.analysis.run import Analysis
from survey.base.missing import is_blank
from survey.reports.context import (
    ONE_GROUP,
    ReportContext,
    cap,
    category_order,
    cell,
    group_info,
    grouping_label,
)
from survey.reports.findings import findings, key_figures
from survey.reports.format import fmt_date
from survey.reports.methodology import methodology
from survey.reports.model import ChartGroup, ReportData
from survey.reports.problems import (
    effects_tables,
    key_problems_table,
    mentions_table,
    overall_table,
    problems_tables,
    tests_tables,
    units_tables,
)
from survey.reports.sections import (
    agreement_tables,
    classifier_table,
    closed_tables,
    codebook_table,
    data_note,
    data_table,
    inputs_table,
    model_tables,
    published_table,
    reliability_text,
    scales_table,
    versions_table,
)
from survey.spec.study import Study, load_study


def build_report(
    analysis: Analysis,
    codebook,
    questionnaire,
    manifest: Mapping[str, Any],
    *,
    coded: pd.DataFrame | None = None,
    gold_agreement: pd.DataFrame | None = None,
    classifier: pd.DataFrame | None = None,
    study: Study | None = None,
    unit_notes: Sequence[str] | None = None,
) -> ReportData:
    """Gather a :class:`ReportData` from a run.

    ``analysis``: :class:`survey.analysis.run.Analysis`; ``codebook``, ``questionnaire``: those of the
    run; ``manifest``: the run's manifest (``run.json``: synthetic flag, counts, inputs with
    sha256, versions, options); ``coded``: the long coding frame (evidence); ``gold_agreement``
    and ``classifier``: the coding-reliability tables when there are any (κ and α of the gold
    agreement go beside each category in the problems tables); ``study``: the study's settings
    (default: the analysis frame's, else the bundled study's); ``unit_notes``: what the gazetteer
    lacked for the study's settings (``units.attrs["notes"]``; default: ``manifest["units_file"]["notes"]``).
    Personal columns (expert names) appear only if the analysis frame has them (``with_names``).
    """
    t = analysis.tables
    frame = analysis.frame
    study = study or frame_study(frame) or load_study()
    categories = list(frame.attrs.get("categories") or codebook.ids)
    labels = codebook.labels
    no_problem_ids = {c.id for c in codebook.categories if c.no_problems}
    synthetic = bool(manifest.get("synthetic"))
    options = manifest.get("options") or {}
    with_names = bool(options.get("with_names")) and any(c in frame.columns for c in questionnaire.personal_columns)
    group_by = analysis.group_by
    analysed = (manifest.get("coding") or {}).get("analysed_question")  # the question the tables use
    problems_q = next((f for f in questionnaire.coded_questions if f.id == analysed), None) or (
        questionnaire.coded_questions[0] if questionnaire.coded_questions else None
    )
    if unit_notes is None:
        unit_notes = (manifest.get("units_file") or {}).get("notes") or frame.attrs.get("unit_notes") or []

    detail = t.problems_by_group_detail
    tests = t.problem_tests_detail.set_index("category", drop=False)
    groups = [g for g in dict.fromkeys(detail["group"]) if g != "total"]
    info = group_info(detail, groups)
    sizes = group_values(frame, group_by).value_counts()
    for g, item in info.items():  # experts of the group, answered the coded question or not
        item["size"] = len(frame) if g == "total" else int(sizes.get(g, item["base"]))
    order = category_order(detail, categories, no_problem_ids)

    ctx = ReportContext(
        frame=frame,
        labels=labels,
        categories=order,
        groups=groups,
        group_info=info,
        tests=tests,
        detail=detail,
        questionnaire=questionnaire,
        codebook=codebook,
        manifest=manifest,
        no_problem_ids=no_problem_ids,
        study=study,
        group_by=group_by,
        reliability=_reliability(gold_agreement),
        unit_notes=[str(n) for n in unit_notes],
    )
    problems, problems_compact, design_ci = problems_tables(ctx)
    tests_full, tests_compact = tests_tables(ctx)
    units_full, units_compact, units_any = units_tables(ctx, t.problems_by_group_units)
    closed, closed_compact = closed_tables(ctx, t)
    models, models_compact, models_text = model_tables(ctx, t.models)
    agreement_full, agreement_compact = agreement_tables(ctx, gold_agreement)
    shown = groups if ctx.comparable else ["total"]
    chart_groups = [
        ChartGroup(
            label=f"{info[g]['label']} (n = {info[g]['base']})",
            percent=[cell(detail, c, g, "percent") for c in order],
            low=[cell(detail, c, g, "ci_low") for c in order],
            high=[cell(detail, c, g, "ci_high") for c in order],
        )
        for g in shown
        if g in info
    ]
    started = manifest.get("started_at")
    run_date = fmt_date(dt.datetime.fromisoformat(started)) if started else fmt_date(pd.Timestamp.now())
    version = (manifest.get("versions") or {}).get("survey", "")
    by_label = grouping_label(group_by, questionnaire, study)
    switched_off = []
    if not ctx.comparable:
        switched_off.append(f"{cap(by_label)}: {ONE_GROUP}.")
    if models is None:
        switched_off.append(models_text)
    keywords = ["экспертный опрос", study.short_title, by_label]
    if synthetic:
        keywords.append("синтетические данные")
    return ReportData(
        title=study.title,
        subtitle=study.subtitle,
        short_title=study.short_title,
        synthetic=synthetic,
        notice=study.synthetic_notice if synthetic else None,
        with_names=with_names,
        run_date=run_date,
        software=f"survey {version}".strip(),
        group_by=group_by,
        group_by_label=by_label,
        key_figures=key_figures(ctx),
        key_problems=key_problems_table(ctx),
        findings=findings(ctx, t),
        problems=problems,
        problems_compact=problems_compact,
        design_ci=design_ci,
        mentions=mentions_table(ctx),
        tests=tests_full,
        tests_compact=tests_compact,
        effects=effects_tables(ctx, tests_full.rows if tests_full is not None else None),
        units=units_full,
        units_compact=units_compact,
        units_any=units_any,
        overall=overall_table(ctx, t.overall_test),
        closed=closed,
        closed_compact=closed_compact,
        scales=scales_table(ctx, t.scale_summary, t.scale_tests),
        models=models,
        models_compact=models_compact,
        models_text=models_text,
        reliability_text=reliability_text(ctx, gold_agreement),
        agreement=agreement_full,
        agreement_compact=agreement_compact,
        classifier=classifier_table(ctx, classifier),
        codebook=codebook_table(ctx),
        data=data_table(ctx, coded, problems_q, with_names),
        data_note=data_note(len(analysis.frame)),
        methodology=methodology(ctx, t, problems_q, with_names, models_text),
        published=published_table(t.published_check),
        versions=versions_table(manifest),
        inputs=inputs_table(manifest, study),
        chart_categories=[ctx.marked(c) for c in order],
        chart_groups=chart_groups,
        chart_title=f"Доля экспертов, назвавших проблему: {by_label}, % (95 % ДИ Уилсона)",
        chart_axis="% экспертов группы, назвавших проблему; отрезки — 95 % ДИ Уилсона",
        switched_off=switched_off,
        keywords=[k for k in dict.fromkeys(keywords) if k],
    )


def _reliability(gold: pd.DataFrame | None) -> dict[str, tuple[float | None, float | None]]:
    """κ and α per category of the agreement with the reference coding (None where undefined)."""
    if gold is None or gold.empty:
        return {}

    def num(v) -> float | None:
        return None if is_blank(v) else float(v)

    return {str(r.category): (num(r.kappa), num(r.alpha)) for r in gold.itertuples()}
