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
from collections.abc import Mapping
from typing import Any

import pandas as pd

from survey.analysis.frame import frame_study
from survey.analysis.run import Analysis
from survey.reports.context import (
    ReportContext,
    category_order,
    cell,
    group_by_label,
    group_info,
)
from survey.reports.findings import findings, key_figures
from survey.reports.format import fmt_date
from survey.reports.methodology import methodology
from survey.reports.model import ChartGroup, ReportData
from survey.reports.sections import (
    agreement_tables,
    classifier_table,
    closed_tables,
    codebook_table,
    data_table,
    inputs_table,
    model_tables,
    overall_table,
    problems_tables,
    published_table,
    reliability_text,
    scales_table,
    units_tables,
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
) -> ReportData:
    """Gather a :class:`ReportData` from a run.

    ``analysis``: :class:`survey.analysis.run.Analysis`; ``codebook``, ``questionnaire``: those of the
    run; ``manifest``: the run's manifest (``run.json``: synthetic flag, counts, inputs with
    sha256, versions, options); ``coded``: the long coding frame (evidence); ``gold_agreement``
    and ``classifier``: the coding-reliability tables when there are any. Personal columns
    (expert names) appear only if the analysis frame has them (``with_names``).
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
    problems_q = questionnaire.coded_questions[0] if questionnaire.coded_questions else None

    detail = t.problems_by_group_detail
    tests = t.problem_tests_detail.set_index("category", drop=False)
    groups = [g for g in dict.fromkeys(detail["group"]) if g != "total"]
    info = group_info(detail, groups)
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
    )
    problems, problems_compact, border_tests = problems_tables(ctx)
    units_full, units_compact = units_tables(ctx, t.problems_by_group_units)
    closed, closed_compact = closed_tables(ctx, t)
    models, models_compact = model_tables(ctx, t.models)
    agreement_full, agreement_compact = agreement_tables(ctx, gold_agreement)
    chart_groups = [
        ChartGroup(
            label=f"{info[g]['label']} (n = {info[g]['base']})",
            percent=[cell(detail, c, g, "percent") for c in order],
            low=[cell(detail, c, g, "ci_low") for c in order],
            high=[cell(detail, c, g, "ci_high") for c in order],
        )
        for g in groups
    ]
    started = manifest.get("started_at")
    run_date = fmt_date(dt.datetime.fromisoformat(started)) if started else fmt_date(pd.Timestamp.now())
    version = (manifest.get("versions") or {}).get("survey", "")
    by_label = group_by_label(group_by, questionnaire)
    return ReportData(
        title=study.title,
        subtitle=study.subtitle,
        synthetic=synthetic,
        notice=study.synthetic_notice if synthetic else None,
        with_names=with_names,
        run_date=run_date,
        software=f"survey {version}".strip(),
        group_by=group_by,
        group_by_label=by_label,
        key_figures=key_figures(ctx),
        findings=findings(ctx, t),
        problems=problems,
        problems_compact=problems_compact,
        border_tests=border_tests,
        units=units_full,
        units_compact=units_compact,
        overall=overall_table(ctx, t.overall_test),
        closed=closed,
        closed_compact=closed_compact,
        scales=scales_table(ctx, t.scale_summary, t.scale_tests),
        models=models,
        models_compact=models_compact,
        reliability_text=reliability_text(ctx, gold_agreement),
        agreement=agreement_full,
        agreement_compact=agreement_compact,
        classifier=classifier_table(ctx, classifier),
        codebook=codebook_table(ctx),
        data=data_table(ctx, coded, problems_q, with_names),
        methodology=methodology(ctx, t, problems_q, with_names),
        published=published_table(t.published_check, labels),
        versions=versions_table(manifest),
        inputs=inputs_table(manifest),
        chart_categories=[labels.get(c, c) for c in order],
        chart_groups=chart_groups,
        chart_title=f"Доля экспертов, назвавших проблему: {by_label}, % (95 % ДИ Уилсона)",
    )


# ------------------------------------------------------------------ codebook, data, methodology
