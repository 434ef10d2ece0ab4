"""What the section builders share: the run's frame, labels, groups and look-ups into the tables.

:class:`ReportContext` is built once by :func:`survey.reports.build.build_report`; the helpers
here read cells of the analysis tables and describe the sample (units, dates, modes).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from survey.base.missing import is_blank
from survey.reports.format import fmt_int
from survey.spec.study import SYNTHETIC_NOTICE, Study

ALPHA = 0.05
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
MODEL_STATUS = {
    "ok": "оценена",
    "no_variation": "нет вариации",
    "separation": "разделение",
    "not_converged": "не сошлась",
    "failed": "не оценивается",
}
PUBLISHED_FIGURES = {
    "experts": "экспертов",
    "units": "городов и регионов",
    "cities": "городов",
    "regions": "регионов",
}


def synthetic_notice() -> str:
    return SYNTHETIC_NOTICE


def group_by_label(group_by: str, questionnaire) -> str:
    if group_by in GROUP_BY_LABELS:
        return GROUP_BY_LABELS[group_by]
    if group_by in questionnaire:
        return questionnaire.field(group_by).label
    return group_by


@dataclass
class ReportContext:
    frame: pd.DataFrame
    labels: Mapping[str, str]
    categories: list[str]  # report order
    groups: list[str]
    group_info: dict[str, dict[str, Any]]
    tests: pd.DataFrame
    detail: pd.DataFrame
    questionnaire: Any
    codebook: Any
    manifest: Mapping[str, Any]
    no_problem_ids: set[str]
    group_by: str = "border_status"
    study: Study | None = None

    def label(self, cat: str) -> str:
        return self.labels.get(cat, cat)


def group_info(detail: pd.DataFrame, groups: list[str]) -> dict[str, dict[str, Any]]:
    info = {}
    for g in [*groups, "total"]:
        part = detail[detail["group"] == g]
        if part.empty:
            continue
        first = part.iloc[0]
        info[g] = {
            "label": str(first["group_label"]),
            "base": int(first["base"]),
            "letter": str(first["letter"]) if not is_blank(first["letter"]) else "",
        }
    return info


def records(frame: pd.DataFrame, *keys: str) -> dict[tuple, dict[str, Any]]:
    """Rows of ``frame`` as dicts, indexed by the values of ``keys`` (first row wins)."""
    out: dict[tuple, dict[str, Any]] = {}
    for rec in frame.to_dict("records"):
        out.setdefault(tuple(rec[k] for k in keys), {k: (None if v is pd.NA else v) for k, v in rec.items()})
    return out


_INDEX_CACHE: dict[int, tuple[pd.DataFrame, dict]] = {}


def cell(detail: pd.DataFrame, category: str, group: str, column: str):
    cached = _INDEX_CACHE.get(id(detail))
    if cached is None or cached[0] is not detail:
        cached = (detail, records(detail, "category", "group"))
        _INDEX_CACHE.clear()
        _INDEX_CACHE[id(detail)] = cached
    rec = cached[1].get((category, group))
    return math.nan if rec is None else rec[column]


def category_order(detail: pd.DataFrame, categories: list[str], no_problem_ids: set[str]) -> list[str]:
    """Problems by how many experts name them (all experts), «no problems» last; ties: codebook order."""
    total = {c: cell(detail, c, "total", "respondents") for c in categories}
    pos = {c: i for i, c in enumerate(categories)}
    return sorted(categories, key=lambda c: (c in no_problem_ids, -(total[c] or 0), pos[c]))


def unit_rows(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop_duplicates("unit_id")


def interview_dates(frame: pd.DataFrame):
    if "interview_date" not in frame.columns:
        return None
    dates = pd.to_datetime(frame["interview_date"], errors="coerce").dropna()
    return dates if len(dates) else None


def interview_modes(ctx: ReportContext) -> str:
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
