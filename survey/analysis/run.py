"""The analysis step of ``survey run``: every table of ``tables/`` from one analysis frame.

:func:`analyse` builds the analysis frame (responses + final codes + unit attributes), computes
the tables of :mod:`survey.analysis.tables`, :mod:`survey.analysis.stats` and :mod:`survey.analysis.models`, and returns
them with a short summary for ``run.json``. :func:`group_by_columns` lists what ``group_by``
may name.

>>> from survey.analysis.frame import sample_frame
>>> from survey.spec.questionnaire import load_questionnaire
>>> result = analyse_frame(sample_frame(), load_questionnaire(), n_permutations=99)
>>> result.summary["published_check"]["all_match"]
True
>>> int(result.tables.problems_by_group.query("category == 'distance' and group == 'border'")["respondents"].iloc[0])
4
>>> sorted(result.tables.files())[:3]
['closed_by_group.csv', 'closed_frequencies.csv', 'closed_multiple_by_group.csv']
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import pandas as pd

from survey.analysis.frame import (
    analysis_frame,
    check_group_by,
    default_group_by,
    is_unit_attribute,
    mark_missing_codes,
    unit_frame,
)
from survey.analysis.models import category_models
from survey.analysis.stats import (
    DEFAULT_PERMUTATIONS,
    DEFAULT_SEED,
    PROBLEM_TESTS_COLUMNS,
    overall_test,
    problem_tests_detail,
    scale_tests,
    single_choice_tests,
)
from survey.analysis.tables import (
    PROBLEMS_BY_GROUP_COLUMNS,
    closed_by_group,
    closed_frequencies,
    multiple_choice_by_group,
    problems_by_group_detail,
    problems_by_group_units,
    published_check,
    scale_summary,
)
from survey.base.files import OutputDir, write_csv
from survey.base.missing import is_missing
from survey.spec.questionnaire import Questionnaire
from survey.spec.study import Study

log = logging.getLogger("survey")


@dataclass
class AnalysisTables:
    """The tables of an analysis, by name; each is written as ``tables/<name>.csv``.

    Columns are documented by the functions that make them (:mod:`survey.analysis.tables`,
    :mod:`survey.analysis.stats`, :mod:`survey.analysis.models`) and in the README.
    """

    problems_by_group: pd.DataFrame  # the contract table: % of respondents by group
    problems_by_group_detail: pd.DataFrame  # + mentions, letters, labels
    problem_tests: pd.DataFrame  # the contract table: tests per category
    problem_tests_detail: pd.DataFrame  # + counts, unit-level and cluster checks
    overall_test: pd.DataFrame  # does the profile of problems differ between groups
    models: pd.DataFrame  # logistic models per category
    closed_frequencies: pd.DataFrame
    closed_by_group: pd.DataFrame
    closed_multiple_by_group: pd.DataFrame
    scale_summary: pd.DataFrame
    scale_tests: pd.DataFrame
    published_check: pd.DataFrame
    units_problems: pd.DataFrame  # one row per unit
    problems_by_group_units: pd.DataFrame | None = None  # when the grouping is a unit attribute
    closed_multiple_tests: pd.DataFrame | None = None  # when the questionnaire has multiple choice
    single_tests: pd.DataFrame | None = None  # single-choice questions by group (Rao–Scott)

    def files(self) -> dict[str, pd.DataFrame]:
        """``{"problems_by_group.csv": frame, …}`` for every table there is."""
        return {f"{f.name}.csv": getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}


@dataclass
class Analysis:
    """The analysis frame, the named tables and a summary for ``run.json``."""

    frame: pd.DataFrame
    group_by: str
    tables: AnalysisTables
    summary: dict[str, Any] = field(default_factory=dict)

    def write(self, staged: OutputDir) -> list[str]:
        """Write every table with :func:`survey.base.files.write_csv` into ``staged``."""
        written = []
        for name, table in sorted(self.tables.files().items()):
            write_csv(table, staged.path(f"tables/{name}"))
            written.append(f"tables/{name}")
        return written


def group_by_columns(
    data_columns: Sequence[str], units: pd.DataFrame, questionnaire: Questionnaire | None = None
) -> list[str]:
    """Columns ``group_by`` may name: every attribute of the units (the gazetteer's columns and
    what the study derives from them) and the responses' columns, except ``expert_id``, the source
    location (``source_*``) and free-text fields of the questionnaire."""
    unit_cols = [str(c) for c in units.columns]
    text = {f.id for f in questionnaire.fields if f.type == "text"} if questionnaire is not None else set()
    resp = [
        c
        for c in data_columns
        if c != "expert_id" and c not in text and not c.startswith("source_") and c not in unit_cols
    ]
    return unit_cols + resp


def analyse(
    data: pd.DataFrame,
    codes: pd.DataFrame,
    units: pd.DataFrame,
    questionnaire: Questionnaire,
    labels: Mapping[str, str] | None = None,
    *,
    study: Study | None = None,
    group_by: str | None = None,
    categories: Sequence[str] | None = None,
    exclusive: Sequence[str] = (),
    n_permutations: int | None = None,
    seed: int | None = None,
) -> Analysis:
    """All analysis tables of a run. ``data``: accepted responses; ``codes``: final codes;
    ``exclusive``: categories that exclude the others («проблем нет»)."""
    frame = mark_missing_codes(analysis_frame(data, codes, units, categories, study=study), questionnaire)
    group_by = group_by or default_group_by(frame)
    check_group_by(group_by, group_by_columns(data.columns, units, questionnaire))
    return analyse_frame(
        frame,
        questionnaire,
        labels,
        group_by=group_by,
        exclusive=exclusive,
        n_permutations=n_permutations,
        seed=seed,
    )


def analyse_frame(
    frame: pd.DataFrame,
    questionnaire: Questionnaire,
    labels: Mapping[str, str] | None = None,
    *,
    group_by: str | None = None,
    exclusive: Sequence[str] = (),
    n_permutations: int | None = None,
    seed: int | None = None,
) -> Analysis:
    """All analysis tables from an analysis frame (:func:`survey.analysis.frame.analysis_frame`).

    The tables and the tests are by ``group_by`` (default: the study's grouping). Categories in
    ``exclusive`` leave the adjustment family and the overall test (see :mod:`survey.analysis.stats`).
    """
    n_permutations = DEFAULT_PERMUTATIONS if n_permutations is None else n_permutations
    seed = DEFAULT_SEED if seed is None else seed
    group_by = group_by or default_group_by(frame)
    check_group_by(group_by, [c for c in frame.columns if c != "expert_id"])
    categories = list(frame.attrs["categories"])
    labels = dict(labels or {})
    exclusive = [c for c in exclusive if c in categories]

    detail = problems_by_group_detail(frame, categories, group_by, labels=labels, questionnaire=questionnaire)
    unit_level = is_unit_attribute(frame, group_by)
    by_units = None
    if unit_level:
        by_units = problems_by_group_units(frame, categories, group_by, labels=labels, questionnaire=questionnaire)
    else:
        log.info("Группировка %s меняется внутри единиц: таблица по единицам не строится.", group_by)
    units = unit_frame(frame, categories)
    tests = problem_tests_detail(
        frame, categories, group_by, labels=labels, exclusive=exclusive, n_permutations=n_permutations, seed=seed
    )
    overall = overall_test(frame, categories, group_by, exclusive=exclusive, n_permutations=n_permutations, seed=seed)
    multiple_tests = None
    multi = [f for f in questionnaire.questions if f.type == "multiple"]
    if multi:
        parts = []
        for f in multi:
            opt_labels = {f.option_column(o): o.label for o in f.options}
            part = problem_tests_detail(frame, f.columns(), group_by, labels=opt_labels, n_permutations=0)
            part.insert(0, "question", f.id)
            parts.append(part)
        multiple_tests = pd.concat(parts, ignore_index=True)
    unit_cols = ["unit_id", *frame.attrs.get("unit_columns", []), "n_experts", *categories]
    unit_cols = [
        c for c in dict.fromkeys(unit_cols) if c in units.columns and c not in ("lat", "lon", "log10_distance")
    ]

    tables = AnalysisTables(
        problems_by_group=detail[PROBLEMS_BY_GROUP_COLUMNS],
        problems_by_group_detail=detail,
        problem_tests=tests[PROBLEM_TESTS_COLUMNS],
        problem_tests_detail=tests,
        overall_test=overall,
        models=category_models(frame, categories, labels=labels),
        closed_frequencies=closed_frequencies(frame, questionnaire),
        closed_by_group=closed_by_group(frame, questionnaire, group_by),
        closed_multiple_by_group=multiple_choice_by_group(frame, questionnaire, group_by),
        scale_summary=scale_summary(frame, questionnaire, group_by),
        scale_tests=scale_tests(frame, questionnaire, group_by),
        published_check=published_check(frame),
        units_problems=units[unit_cols],
        problems_by_group_units=by_units,
        closed_multiple_tests=multiple_tests,
        single_tests=single_choice_tests(frame, questionnaire, group_by),
    )
    summary = _summary(frame, group_by, unit_level, tables, n_permutations, seed)
    return Analysis(frame=frame, group_by=group_by, tables=tables, summary=summary)


def _num(x, digits: int = 6):
    if is_missing(x):
        return None
    return round(float(x), digits)


def _summary(
    frame: pd.DataFrame, group_by: str, unit_level: bool, t: AnalysisTables, n_permutations: int, seed: int
) -> dict[str, Any]:
    check = t.published_check
    detail = t.problems_by_group_detail
    tests = t.problem_tests_detail
    overall = t.overall_test
    models = t.models
    by_group = {}
    for cat, part in detail.groupby("category", sort=False):
        by_group[cat] = {
            r.group: {"respondents": int(r.respondents), "base": int(r.base), "percent": _num(r.percent, 2)}
            for r in part.itertuples()
        }
    return {
        "group_by": group_by,
        "unit_level_table": unit_level,
        "tables": sorted(f"tables/{name}" for name in t.files()),
        "published_check": {
            "figures": len(check),
            "all_match": bool(check["match"].all()) if len(check) else None,
            "mismatches": {
                r.figure: {"published": int(r.published), "computed": None if pd.isna(r.computed) else int(r.computed)}
                for r in check.itertuples()
                if not r.match
            },
        },
        "problems_by_group": by_group,
        "tests": {
            r.category: {
                "primary_test": r.primary_test or None,
                "p_primary": _num(r.p_primary),
                "odds_ratio": _num(r.odds_ratio),
                "p_fisher": _num(r.p_fisher),
                "p_rao_scott": _num(r.p_rao_scott),
                "deff": _num(r.deff),
                "p_holm": _num(r.p_holm),
                "p_bh": _num(r.p_bh),
                "p_perm_cluster": _num(r.p_perm_cluster),
            }
            for r in tests.itertuples()
        },
        "overall_test": [
            {"group_by": r.group_by, "family": r.family, "method": r.method, "p_value": _num(r.p_value)}
            for r in overall.itertuples()
        ],
        "models": {cat: part["status"].iloc[0] for cat, part in models.groupby("category", sort=False)},
        "clustered": bool(tests.attrs.get("clustered")),
        "n_permutations": n_permutations,
        "seed": seed,
    }
