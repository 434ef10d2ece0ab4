"""What the section builders share: the run's frame, the study, labels, groups, reliability and
look-ups into the analysis tables.

:class:`ReportContext` is built once by :func:`survey.reports.build.build_report`; the helpers
here read cells of the analysis tables, name the study's groupings and describe the sample (units,
dates, modes). Nothing about one particular study is written here: titles, the units' word, the
border attribute and its labels, the kinds of units come from :class:`~survey.spec.study.Study`;
scale ranges and option labels from the questionnaire.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from survey.analysis.frame import is_unit_attribute, ungrouped
from survey.analysis.stats import ALPHA
from survey.base.missing import is_blank
from survey.reports.format import fmt_int, fmt_num
from survey.reports.model import Column
from survey.spec.study import BORDER_STATUS, Study
from survey.spec.units import KINDS

RELIABLE = 0.8  # κ or α below this: the category is marked in the tables
LOW_MARK = "†"
OVERALL_METHODS = {
    "bonferroni": "Бонферрони: наименьшее p по категориям (χ² Пирсона) × число категорий",
    "rao_scott_2": "сумма χ² с поправкой Рао–Скотта второго порядка (как R MRCV)",
    "bootstrap": "бутстреп экспертов (как R MRCV)",
    "permutation": "перестановки меток групп между экспертами",
    "cluster_permutation": "перестановки меток групп между единицами (эксперты единицы вместе)",
}
OVERALL_FAMILIES = {
    "main": "основное семейство",
    "with_exclusive": "проверка: с исключающими категориями",
}
TEST_NAMES = {
    "rao_scott": "критерий Рао–Скотта (F, поправка второго порядка, единица — кластер)",
    "fisher": "точный критерий Фишера",
    "chi2": "χ² Пирсона",
}
TEST_SHORT = {"rao_scott": "Рао–Скотт", "fisher": "Фишер", "chi2": "χ²"}
SCALE_TESTS = {
    "svy_wilcoxon": "ранговый критерий Уилкоксона с учётом единиц",
    "svy_kruskal_wallis": "критерий Краскела–Уоллиса с учётом единиц",
    "mann_whitney_u": "критерий Манна–Уитни",
    "kruskal_wallis": "критерий Краскела–Уоллиса",
}
MODEL_STATUS = {
    "ok": "оценена",
    "no_variation": "нет вариации",
    "separation": "разделение",
    "not_converged": "не сошлась",
    "failed": "не оценивается",
}
MODEL_METHODS = {
    "cr2": "логит, CR2 (Саттертуэйт)",
    "firth": "логит Фирта",
    "joint_cr2": "совместный тест (CR2)",
}
ONE_GROUP = "сравнение групп невозможно: одна группа"


def cap(text: str) -> str:
    """The text with its first letter capitalised (the rest unchanged)."""
    return text[:1].upper() + text[1:]


def grouping_label(group_by: str, questionnaire, study: Study | None) -> str:
    """The Russian name of a grouping: the study's (``groups``, the border), the distance bands,
    the questionnaire's question, else the column name."""
    if study is not None:
        label = study.grouping_label(group_by)
        if label:
            return label
        if group_by == "distance_band" and study.border is not None:
            return study.border.distance_label
    if questionnaire is not None and group_by in questionnaire:
        return questionnaire.field(group_by).label
    if group_by == "kind":  # the gazetteer's own column of cities and regions
        return "тип единицы"
    return f"признак «{group_by}»"  # a column no file names in Russian: said as a column, not as a word


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
    study: Study
    group_by: str
    reliability: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    unit_notes: list[str] = field(default_factory=list)

    def label(self, cat: str) -> str:
        return self.labels.get(cat, cat)

    def marked(self, cat: str) -> str:
        """The category's label, with «†» when its coding is not reliable enough."""
        return f"{self.label(cat)} {LOW_MARK}" if cat in self.low_reliability else self.label(cat)

    @property
    def low_reliability(self) -> set[str]:
        return {c for c, (k, a) in self.reliability.items() if any(v is not None and v < RELIABLE for v in (k, a))}

    @property
    def coded_question(self) -> str:
        """How the reports name the open question whose codes they show: «вопрос «7. Предложения»»
        (the run's analysed question, ``coding.analysed_question`` of the manifest)."""
        qid = (self.manifest.get("coding") or {}).get("analysed_question")
        fields = {f.id: f for f in getattr(self.questionnaire, "coded_questions", ())}
        field = fields.get(qid) or next(iter(fields.values()), None)
        return f"вопрос «{field.title}»" if field is not None else "открытый вопрос"

    @property
    def group_by_label(self) -> str:
        return grouping_label(self.group_by, self.questionnaire, self.study)

    @property
    def comparable(self) -> bool:
        """Two or more groups: the tables have tests."""
        return len(self.groups) >= 2

    @property
    def border_grouping(self) -> bool:
        return self.group_by == BORDER_STATUS and self.study.border is not None

    @property
    def clustered(self) -> bool:
        return bool(self.tests.attrs.get("clustered"))

    @property
    def units_word(self) -> str:
        return self.study.units_word or "единиц"

    @property
    def n_ungrouped(self) -> int:
        """Respondents with no group of the grouping (a blank cell of the gazetteer, no answer or a
        missing code): in «всего» only."""
        if self.group_by not in self.frame.columns:
            return 0
        return int(ungrouped(self.frame, self.group_by).sum())

    def ungrouped_note(self) -> str:
        """«Без значения группировки … — экспертов 5 …» (empty when every respondent has a group)."""
        n = self.n_ungrouped
        if not n:
            return ""
        if is_unit_attribute(self.frame, self.group_by):
            why = f"у их единиц в справочнике не указано значение группировки ({self.group_by_label})"
        else:
            why = f"нет ответа (или «затрудняюсь ответить») на вопрос группировки ({self.group_by_label})"
        return (
            f"Экспертов без группы — {fmt_int(n)}: {why}; они входят в «всего», но не в группы и не в критерии "
            "сравнения групп."
        )

    @property
    def answered(self) -> int:
        """Experts who answered the coded question: the base of its categories."""
        return int(self.group_info.get("total", {}).get("base", len(self.frame)))

    def group_experts(self, g: str) -> str:
        """«экспертов 12» — or, when some left the coded question unanswered, «экспертов 12, ответили 9»."""
        info = self.group_info.get(g, {})
        size, base = int(info.get("size", info.get("base", 0))), int(info.get("base", 0))
        return f"экспертов {fmt_int(size)}" + (f", ответили {fmt_int(base)}" if size != base else "")

    @property
    def base_phrase(self) -> str:
        """What a category's percentage is of: «все эксперты группы», or those who answered."""
        return "эксперты группы, ответившие на вопрос" if self.unanswered else "все эксперты группы"

    @property
    def unanswered(self) -> int:
        """Experts who left the coded question unanswered (they are outside the categories' base)."""
        return len(self.frame) - self.answered

    def group_label(self, g: str) -> str:
        info = self.group_info.get(g)
        return str(info["label"]) if info else g

    def reliability_note(self) -> str:
        """The note that explains «†» (empty when no category is marked)."""
        low = [c for c in self.categories if c in self.low_reliability]
        if not low:
            return ""
        return (
            f"{LOW_MARK} — согласие автоматического кодирования с эталонным по этой категории ниже "
            f"{fmt_num(RELIABLE, 1)} (κ Коэна или α Криппендорфа): её доли и различия читайте с осторожностью."
        )


def kind_labels(study: Study) -> dict[str, str]:
    """Labels of the units' ``kind`` values (the study's ``groups.kind.values``, else город/регион)."""
    grouping = study.groups.get("kind")
    return {**KINDS, **(grouping.values if grouping is not None else {})}


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


def group_key(i: int, group: str) -> str:
    """The key of the ``i``-th group's columns in a report table (``total`` for all respondents)."""
    return "total" if group == "total" else f"g{i}"


def percent_columns(key: str, *, n: bool = True) -> list[Column]:
    """A group's columns in a full report table: (n,) %, and the ends of its 95 % interval."""
    cols = [Column(f"n_{key}", "n", "int", 5.5)] if n else []
    return cols + [
        Column(f"pct_{key}", "%", "pct", 7.5),
        Column(f"lo_{key}", "ДИ от", "pct", 7.5),
        Column(f"hi_{key}", "ДИ до", "pct", 7.5),
    ]


def percent_cells(key: str, n: Any, cell: Mapping[str, Any]) -> dict[str, Any]:
    """The values of :func:`percent_columns` from a table row with ``percent``, ``ci_low``, ``ci_high``."""
    return {f"n_{key}": n, f"pct_{key}": cell["percent"], f"lo_{key}": cell["ci_low"], f"hi_{key}": cell["ci_high"]}


def present(value: Any) -> Any:
    """A table value, or None where it is missing (``pd.NA``, NaN, blank text)."""
    return None if value is pd.NA or is_blank(value) else value


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
    """Problems by how many respondents name them (all respondents), «no problems» last; ties: codebook order."""
    total = {c: cell(detail, c, "total", "respondents") for c in categories}
    pos = {c: i for i, c in enumerate(categories)}
    return sorted(categories, key=lambda c: (c in no_problem_ids, -(total[c] or 0), pos[c]))


def unit_rows(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop_duplicates("unit_id")


def kind_counts(ctx: ReportContext) -> list[tuple[str, int]]:
    """``[("городов", 57), ("регионов", 20)]``: units of each kind the study names (``wording.unit_kinds``)."""
    units = unit_rows(ctx.frame)
    if "kind" not in units.columns or not ctx.study.unit_kinds:
        return []
    return [(word, int((units["kind"] == kind).sum())) for kind, word in ctx.study.unit_kinds.items()]


def date_field(questionnaire):
    """The respondent block's interview date (``interview_date``, else its first date field)."""
    dates = [f for f in questionnaire.fields if f.type == "date"]
    named = [f for f in dates if f.id == "interview_date"]
    return (named or dates or [None])[0]


def interview_dates(frame: pd.DataFrame, questionnaire=None):
    f = date_field(questionnaire) if questionnaire is not None else None
    column = f.id if f is not None else "interview_date"
    if column not in frame.columns:
        return None
    dates = pd.to_datetime(frame[column], errors="coerce").dropna()
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


def alpha_text() -> str:
    return fmt_num(ALPHA, 2)
