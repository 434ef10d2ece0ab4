"""The analysis frame and its groups: what every table and test of :mod:`survey.analysis` starts from.

An *analysis frame* has one row per respondent with the accepted answers, every attribute of
the respondent's unit (the gazetteer's columns and what the study derives from them, such as
``border_status`` or ``macro_region``) and one 0/1 column per coded category (:func:`analysis_frame`);
:func:`unit_frame` is its unit-level view. The group helpers put the groups of any column in
table order and give them Russian labels.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

import numpy as np
import pandas as pd

from survey.base.text import listed
from survey.errors import Code, Location, Problem, UsageError
from survey.inputs.validate import validate
from survey.spec.geo import DISTANCE_BANDS
from survey.spec.paths import default_path
from survey.spec.questionnaire import Questionnaire, load_questionnaire
from survey.spec.study import BORDER_GROUPS, BORDER_STATUS, Study, load_study
from survey.spec.units import FALSE_VALUES, TRUE_VALUES, load_units

TOTAL = "total"
TOTAL_LABEL = "всего"
# groupings whose values have a natural order (the others are sorted)
_ORDERED = {BORDER_STATUS: list(BORDER_GROUPS), "distance_band": [name for name, _, _ in DISTANCE_BANDS]}
_BANDS = {name: label for name, _, label in DISTANCE_BANDS}


def analysis_frame(
    data: pd.DataFrame,
    codes: pd.DataFrame,
    units: pd.DataFrame,
    categories: Sequence[str] | None = None,
    *,
    study: Study | None = None,
) -> pd.DataFrame:
    """One row per respondent: responses + unit attributes + 0/1 codes of the coded question.

    ``data``: accepted responses (``expert_id``, ``unit_id``, answers); ``codes``: the final
    codes (``expert_id`` + one 0/1 column per category; empty for an expert who left the coded
    question unanswered, see :func:`survey.pipeline.unanswered_as_missing`: such an expert
    leaves the base of every category); ``units``: the gazetteer with the study's
    derived attributes (:func:`survey.spec.units.load_units`). Every column of ``units`` becomes
    a column of the frame. ``frame.attrs`` keeps the categories and the ``study`` (for labels of
    groups). Rows keep the order of ``data``.
    """
    categories = list(categories) if categories is not None else [c for c in codes.columns if c != "expert_id"]
    attrs = units.drop(columns=[c for c in units.columns if c in categories])
    frame = data.drop(columns=[c for c in attrs.columns if c in data.columns])
    frame = frame.merge(attrs, left_on="unit_id", right_index=True, how="left", validate="many_to_one")
    code_part = codes[["expert_id", *categories]].copy()
    code_part["expert_id"] = code_part["expert_id"].astype(str)
    frame["expert_id"] = frame["expert_id"].astype(str)
    frame = frame.merge(code_part, on="expert_id", how="left", validate="one_to_one", indicator="_coded")
    absent = (frame.pop("_coded") == "left_only").to_numpy()  # an expert the codes do not list: nothing named
    for cat in categories:
        values = pd.to_numeric(frame[cat], errors="coerce").mask(absent, 0)
        frame[cat] = values.astype(int) if values.notna().all() else values.astype("Int64")
    frame = frame.reset_index(drop=True)
    frame.attrs["categories"] = categories
    frame.attrs["study"] = study
    frame.attrs["unit_columns"] = list(attrs.columns)
    return frame


def answered(frame: pd.DataFrame, categories: Sequence[str]) -> pd.Series:
    """Respondents with a value of any of ``categories``: not those who left the coded question
    unanswered (their codes are empty), who leave the tests and models of its categories."""
    return frame[list(categories)].notna().any(axis=1)


def flags(frame: pd.DataFrame, item: str) -> tuple[np.ndarray, np.ndarray]:
    """A 0/1 column as ``(values, known)``: ``known`` marks the rows whose value is known.

    A multiple-choice option is unknown where its column was missing from the respondent's file
    (or the question was left unanswered): such a row is neither «yes» nor «no» and must leave the
    base of the option — its count, its percentage, its interval and its tests. ``values`` holds 0
    there, so ``values[known]`` is what the statistics use.
    """
    col = pd.to_numeric(frame[item], errors="coerce")
    known = col.notna().to_numpy()
    return col.fillna(0).astype(int).to_numpy(), known


NO_DATA_NOTE = "нет данных: ни у одного респондента нет ответа на вопрос (нет его столбца в файлах ответов?)"


def has_data(frame: pd.DataFrame, columns: Sequence[str]) -> bool:
    """True when any respondent has a value in any of ``columns`` (a question's data columns).

    A question nobody has a value of — its column was missing from every file, or it was left
    blank by everyone — is reported as «нет данных», not as a table of zeros.
    """
    present = [c for c in columns if c in frame.columns]
    return bool(present) and bool(frame[present].notna().to_numpy().any())


def mark_missing_codes(frame: pd.DataFrame, questionnaire: Questionnaire) -> pd.DataFrame:
    """Record the questionnaire's missing codes per column (``frame.attrs["missing_codes"]``):
    a grouping by such a question leaves them out."""
    frame.attrs["missing_codes"] = {
        f.id: {_group_text(c) for c in f.missing} for f in questionnaire.fields if f.missing and f.id in frame.columns
    }
    return frame


def frame_study(frame: pd.DataFrame) -> Study | None:
    """The study an analysis frame was built for (``None``: no settings)."""
    study = frame.attrs.get("study")
    return study if isinstance(study, Study) else None


def default_group_by(frame: pd.DataFrame) -> str:
    """The grouping of a frame when none is asked for: the study's, else the border status,
    else the first unit attribute with two or more values."""
    study = frame_study(frame)
    if study is not None and study.group_by and study.group_by in frame.columns:
        return study.group_by
    if BORDER_STATUS in frame.columns:
        return BORDER_STATUS
    for col in frame.attrs.get("unit_columns") or []:
        if col not in ("name", "lat", "lon") and frame[col].nunique() >= 2:
            return str(col)
    return "unit_id"


def unit_frame(frame: pd.DataFrame, categories: Sequence[str]) -> pd.DataFrame:
    """One row per unit: the unit's attributes, ``n_experts`` and 0/1 per category.

    A unit has a category when any of its experts mentions it (unknown when no expert of the unit
    has a known value: a multiple-choice option whose column was missing). Columns of the expert frame
    that are constant within every unit (unit attributes, and answers that happen to agree)
    are kept; the others are dropped.
    """
    grouped = frame.groupby("unit_id", sort=True)
    out = grouped[list(categories)].max()  # unknown values are skipped; a unit with none known stays unknown
    out = out.astype({c: int if out[c].notna().all() else "Int64" for c in out.columns})
    out.insert(0, "n_experts", grouped.size())
    candidates = [c for c in frame.columns if c not in categories and c not in ("unit_id", "expert_id")]
    distinct = grouped[candidates].nunique(dropna=False)
    keep = [c for c in candidates if (distinct[c] <= 1).all()]
    first = grouped[keep].first()
    out = first.join(out).reset_index()
    out.attrs["categories"] = list(categories)
    out.attrs["level"] = "unit"
    return out


def _constant_within(frame: pd.DataFrame, column: str, by: str = "unit_id") -> bool:
    return bool((frame.groupby(by, sort=False)[column].nunique(dropna=False) <= 1).all())


def is_unit_attribute(frame: pd.DataFrame, column: str) -> bool:
    """True when ``column`` has one value per unit (so a unit-level table can use it)."""
    return column in frame.columns and _constant_within(frame, column)


def check_group_by(group_by: str, columns: Iterable[str]) -> None:
    """Raise :class:`UsageError` (Russian, listing the columns) when ``group_by`` is not one of ``columns``."""
    columns = list(columns)
    if group_by not in columns:
        raise UsageError(
            f"Нет столбца «{group_by}» для группировки (--group-by). Доступные столбцы: {', '.join(columns)}."
        )


def grouping_problems(
    data: pd.DataFrame,
    units: pd.DataFrame,
    questionnaire: Questionnaire,
    group_by: str,
    study: Study | None = None,
) -> list[Problem]:
    """Warnings about the grouping of a run, before the analysis (for ``validation.csv``):

    * respondents with no group of ``group_by`` (a blank cell of the gazetteer, no answer or a
      missing code): how many, which units or experts, and that they count in «всего» only;
    * keys of ``groups.<column>.values`` (study.yaml) that match no value of their column while
      some value is left without a label (a misspelt key).
    """
    if group_by not in units.columns and group_by not in data.columns:
        return []
    codes = pd.DataFrame({"expert_id": data["expert_id"].astype(str)})
    frame = mark_missing_codes(analysis_frame(data, codes, units, [], study=study), questionnaire)
    problems = []
    lost = ungrouped(frame, group_by).to_numpy()
    if lost.any():
        if group_by in units.columns:
            names = frame.loc[lost, "unit_id"].drop_duplicates()
            problems.append(
                Problem(
                    Location(str(units.attrs.get("path") or "справочник единиц"), column=group_by),
                    Code.UNGROUPED,
                    f"у единиц {listed(names)} не заполнен столбец {group_by} (группировка таблиц): их эксперты "
                    f"(экспертов: {int(lost.sum())}) не входят в таблицы по группам и в критерии сравнения "
                    "групп, но входят в «всего».",
                    f"Заполните {group_by} для этих единиц в справочнике или выберите другую группировку (--group-by).",
                    field=group_by,
                )
            )
        else:
            ids = frame.loc[lost, "expert_id"]
            problems.append(
                Problem(
                    Location("ответы", column=group_by),
                    Code.UNGROUPED,
                    f"у экспертов {listed(ids)} (экспертов: {int(lost.sum())}) нет ответа на {group_by} или ответ "
                    "«затрудняюсь ответить»: они не входят в таблицы по группам (группировка — "
                    f"{group_by}) и в критерии сравнения групп, но входят в «всего».",
                    "Это не ошибка; чтобы сравнивать всех экспертов, выберите другую группировку (--group-by).",
                    field=group_by,
                )
            )
    return problems + _unknown_value_keys(frame, units, study)


def _unknown_value_keys(frame: pd.DataFrame, units: pd.DataFrame, study: Study | None) -> list[Problem]:
    problems: list[Problem] = []
    if study is None:
        return problems
    for column, grouping in study.groups.items():
        if not grouping.values or column not in frame.columns:
            continue
        source = units[column] if column in units.columns else frame[column]
        values = _without_blanks(source).dropna()
        present = list(dict.fromkeys(map(_group_text, values)))
        boolean = _is_boolean(values)
        matched = {value_key_group(k, present, boolean) for k in grouping.values}
        unlabelled = [v for v in present if v not in matched]
        unknown = [k for k in grouping.values if value_key_group(k, present, boolean) is None]
        if unknown and unlabelled:
            shown = [YES_NO_LABELS.get(v, v) for v in unlabelled] if boolean else unlabelled
            problems.append(
                Problem(
                    Location(str(study.path or "study.yaml")),
                    Code.GROUP_VALUE_UNKNOWN,
                    f"groups.{column}.values: {listed(f'«{k}»' for k in unknown)} — нет таких значений столбца "
                    f"{column}; значения {listed(f'«{v}»' for v in shown)} остаются без подписи.",
                    "Напишите ключи так, как значения записаны в справочнике единиц"
                    + (" (для столбца true/false: true/false или да/нет)." if boolean else "."),
                    field=column,
                )
            )
    return problems


@lru_cache(maxsize=1)
def _sample_frame() -> pd.DataFrame:
    study = load_study()
    q = load_questionnaire()
    units = load_units(study=study)
    data = validate(default_path("responses"), q, units).data
    codes = pd.read_csv(default_path("gold"), dtype={"expert_id": str})
    public = data.drop(columns=q.personal_columns)
    return mark_missing_codes(analysis_frame(public, codes, units, study=study), q)


def sample_frame() -> pd.DataFrame:
    """The bundled synthetic sample as an analysis frame, coded with its gold coding.

    For examples and tests; the pipeline uses the codes of the run instead.
    """
    frame = _sample_frame().copy()
    frame.attrs = dict(_sample_frame().attrs)
    return frame


def group_order(frame: pd.DataFrame, group_by: str) -> list[str]:
    """The groups of ``group_by`` in table order (as strings); missing values are not a group.

    ``border_status``: border, non_border; ``distance_band``: by distance; values listed in the
    study's ``groups`` settings: in that order; numbers: numeric order; anything else: sorted text.
    """
    values = _grouping(frame, group_by).dropna()
    study = frame_study(frame)
    preferred = list(_ORDERED.get(group_by, []))
    if study is not None and group_by in study.groups:
        preferred += list(study.groups[group_by].values)
    if preferred:
        present = set(map(str, values))
        known = [g for g in dict.fromkeys(preferred) if g in present]
        if known:
            return known + sorted(present - set(known))
    if _is_boolean(values):
        return [str(v) for v in (True, False) if (values == v).any()]
    if pd.api.types.is_numeric_dtype(values.dtype):
        return [_group_text(v) for v in sorted(values.unique())]
    return sorted(set(map(str, values)))


def _is_boolean(values: pd.Series) -> bool:
    """True for a true/false column (a gazetteer's ``true``/``false``), blanks aside."""
    present = values.dropna()
    return pd.api.types.is_bool_dtype(values.dtype) or (
        len(present) > 0 and all(isinstance(v, (bool, np.bool_)) for v in present)
    )


YES_NO_LABELS = {"True": "да", "False": "нет"}


def value_key_group(key: str, groups: Iterable[str], boolean: bool = False) -> str | None:
    """The group a key of ``groups.<column>.values`` (study.yaml) names, or ``None``.

    Keys match the group's text; for a true/false column also every spelling of the gazetteer
    and of YAML: ``true``/``false``, ``да``/``нет``, ``1``/``0``, ``yes``/``no``.

    >>> value_key_group("да", ["True", "False"], boolean=True), value_key_group("ture", ["True"], boolean=True)
    ('True', None)
    """
    groups = list(groups)
    if key in groups:
        return key
    if boolean:
        word = str(key).strip().casefold()
        flag = "True" if word in TRUE_VALUES else "False" if word in FALSE_VALUES else None
        return flag if flag in groups else None
    return None


def _group_text(value) -> str:
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def group_values(frame: pd.DataFrame, group_by: str) -> pd.Series:
    """``group_by`` as text (missing stays missing), aligned with ``frame``."""
    return _grouping(frame, group_by).map(_group_text, na_action="ignore").astype(object)


def _grouping(frame: pd.DataFrame, group_by: str) -> pd.Series:
    """The column ``group_by`` with blank values (an empty cell of the gazetteer) and the
    questionnaire's missing codes («затрудняюсь ответить», ``frame.attrs["missing_codes"]``) as
    missing: they are no group."""
    col = _without_blanks(frame[group_by])
    missing = frame.attrs.get("missing_codes", {}).get(group_by)
    if not missing:
        return col
    return col.mask(col.map(_group_text, na_action="ignore").isin(missing))


def _without_blanks(col: pd.Series) -> pd.Series:
    """``col`` with empty and all-space texts as missing (the gazetteer is read as text)."""
    blank = col.map(lambda v: isinstance(v, str) and not v.strip()).astype(bool)
    return col.mask(blank) if blank.any() else col


def ungrouped(frame: pd.DataFrame, group_by: str) -> pd.Series:
    """True for the respondents with no group of ``group_by``: their unit (or their own answer)
    has no value, or a missing code. They are left out of the tables by group and the tests and
    counted in the total only."""
    return _grouping(frame, group_by).isna()


def group_labels(frame: pd.DataFrame, group_by: str, questionnaire: Questionnaire | None = None) -> dict[str, str]:
    """Russian labels of the groups (``total`` → «всего»): from the study's settings (border groups,
    ``groups.<column>.values`` or ``values_from``), distance bands, or the questionnaire's options."""
    labels = {g: g for g in group_order(frame, group_by)}
    boolean = _is_boolean(_grouping(frame, group_by))
    if boolean:  # a true/false column of the gazetteer: «да»/«нет», not Python's True/False
        labels.update({k: v for k, v in YES_NO_LABELS.items() if k in labels})
    study = frame_study(frame)
    grouping = study.groups.get(group_by) if study is not None else None
    if group_by == BORDER_STATUS and study is not None and study.border is not None:
        labels.update({k: v for k, v in study.border.groups.items() if k in labels})
    elif grouping is not None and (grouping.values or grouping.values_from):
        for key, text in grouping.values.items():
            group = value_key_group(key, labels, boolean)
            if group is not None:
                labels[group] = text
        if grouping.values_from and grouping.values_from in frame.columns:
            pairs = frame[[group_by, grouping.values_from]].dropna().drop_duplicates()
            labels.update({str(k): str(v) for k, v in zip(pairs[group_by], pairs[grouping.values_from])})
    elif group_by == "distance_band":
        labels.update({name: label for name, label in _BANDS.items() if name in labels})
    elif questionnaire is not None and group_by in questionnaire and questionnaire.field(group_by).options:
        for o in questionnaire.field(group_by).options:
            if str(o.code) in labels:
                labels[str(o.code)] = o.label
    labels[TOTAL] = TOTAL_LABEL
    return labels


def letter(i: int) -> str:
    """A, B, …, Z, AA, AB, … (SPSS-style column keys)."""
    text = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        text = chr(65 + r) + text
    return text
