"""The analysis frame and its groups: what every table and test of :mod:`survey.analysis` starts from.

An *analysis frame* has one row per expert with the accepted answers, the unit's attributes
(``kind``, ``federal_district``, ``border_status``, ``macro_region``, ``border_distance_km``,
``distance_band`` …) and one 0/1 column per coded problem category (:func:`analysis_frame`);
:func:`unit_frame` is its unit-level view. The group helpers put the groups of any column in
table order and give them Russian labels.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

import numpy as np
import pandas as pd

from survey.errors import UsageError
from survey.inputs.validate import validate
from survey.spec.geo import unit_distances
from survey.spec.paths import default_path
from survey.spec.questionnaire import Questionnaire, load_questionnaire
from survey.spec.units import KINDS, load_units

TOTAL = "total"
DEFAULT_GROUP = "border_status"
BORDER_LABELS = {"border": "приграничные", "non_border": "неприграничные"}
TOTAL_LABEL = "всего"


# Distance bands (km to the Russia–China border): value -> (lower bound, Russian label).
DISTANCE_BANDS = [
    ("0-500", 0.0, "до 500 км"),
    ("500-1500", 500.0, "500–1500 км"),
    ("1500-3000", 1500.0, "1500–3000 км"),
    ("3000+", 3000.0, "3000 км и более"),
]
UNIT_ATTRIBUTES = [
    "name",
    "kind",
    "federal_subject",
    "federal_district",
    "borders_china",
    "lat",
    "lon",
    "border_status",
    "macro_region",
    "macro_region_label",
    "border_distance_km",
    "log10_distance",
    "distance_band",
]


def analysis_frame(
    data: pd.DataFrame,
    codes: pd.DataFrame,
    units: pd.DataFrame,
    categories: Sequence[str] | None = None,
    *,
    border: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per expert: responses + unit attributes + 0/1 problem codes.

    ``data``: accepted responses (``expert_id``, ``unit_id``, answers); ``codes``: the final
    codes (``expert_id`` + one 0/1 column per category); ``units``: :func:`survey.spec.units.load_units`.
    Adds ``border_distance_km`` (to the Russia–China border, :mod:`survey.spec.geo`),
    ``log10_distance`` (``log10(1 + km)``) and ``distance_band`` (``0-500``, ``500-1500``,
    ``1500-3000``, ``3000+``). Rows keep the order of ``data``.
    """
    categories = list(categories) if categories is not None else [c for c in codes.columns if c != "expert_id"]
    units = units.copy()
    units["border_distance_km"] = unit_distances(units, border)
    units["log10_distance"] = np.log10(1.0 + units["border_distance_km"])
    units["distance_band"] = units["border_distance_km"].map(distance_band)
    attrs = units[[c for c in UNIT_ATTRIBUTES if c in units.columns]]
    frame = data.drop(columns=[c for c in attrs.columns if c in data.columns])
    frame = frame.merge(attrs, left_on="unit_id", right_index=True, how="left", validate="many_to_one")
    code_part = codes[["expert_id", *categories]].copy()
    code_part["expert_id"] = code_part["expert_id"].astype(str)
    frame["expert_id"] = frame["expert_id"].astype(str)
    frame = frame.merge(code_part, on="expert_id", how="left", validate="one_to_one")
    for cat in categories:
        frame[cat] = frame[cat].fillna(0).astype(int)
    frame.attrs["categories"] = categories
    return frame.reset_index(drop=True)


def distance_band(km: float) -> str:
    """The distance band of a distance in km: ``0-500``, ``500-1500``, ``1500-3000``, ``3000+``.

    >>> distance_band(120.0), distance_band(3369.0)
    ('0-500', '3000+')
    """
    value = DISTANCE_BANDS[0][0]
    for name, lower, _ in DISTANCE_BANDS:
        if km >= lower:
            value = name
    return value


def unit_frame(frame: pd.DataFrame, categories: Sequence[str]) -> pd.DataFrame:
    """One row per unit: the unit's attributes, ``n_experts`` and 0/1 per category.

    A unit has a category when any of its experts mentions it. Columns of the expert frame
    that are constant within every unit (unit attributes, and answers that happen to agree)
    are kept; the others are dropped.
    """
    grouped = frame.groupby("unit_id", sort=True)
    out = grouped[list(categories)].max().astype(int)
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


@lru_cache(maxsize=1)
def _sample_frame() -> pd.DataFrame:
    q = load_questionnaire()
    units = load_units()
    data = validate(default_path("responses"), q, units).data
    codes = pd.read_csv(default_path("gold"), dtype={"expert_id": str})
    public = data.drop(columns=q.personal_columns)
    return analysis_frame(public, codes, units)


def sample_frame() -> pd.DataFrame:
    """The bundled synthetic sample as an analysis frame, coded with its gold coding.

    For examples and tests; the pipeline uses the codes of the run instead.
    """
    frame = _sample_frame().copy()
    frame.attrs = dict(_sample_frame().attrs)
    return frame


def group_order(frame: pd.DataFrame, group_by: str) -> list[str]:
    """The groups of ``group_by`` in table order (as strings); missing values are not a group.

    ``border_status``: border, non_border; ``distance_band``: by distance; numbers: numeric
    order; anything else: sorted text.
    """
    values = frame[group_by].dropna()
    if group_by == "border_status":
        known = [g for g in ("border", "non_border") if (values == g).any()]
        return known + sorted(set(map(str, values)) - set(known))
    if group_by == "distance_band":
        present = set(values.astype(str))
        return [name for name, _, _ in DISTANCE_BANDS if name in present]
    if pd.api.types.is_bool_dtype(values.dtype):
        return [str(v) for v in (True, False) if (values == v).any()]
    if pd.api.types.is_numeric_dtype(values.dtype):
        return [_group_text(v) for v in sorted(values.unique())]
    return sorted(set(map(str, values)))


def _group_text(value) -> str:
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def group_values(frame: pd.DataFrame, group_by: str) -> pd.Series:
    """``group_by`` as text (missing stays missing), aligned with ``frame``."""
    col = frame[group_by]
    return col.map(_group_text, na_action="ignore").astype(object)


def group_labels(frame: pd.DataFrame, group_by: str, questionnaire: Questionnaire | None = None) -> dict[str, str]:
    """Russian labels of the groups (``total`` → «всего»)."""
    labels = {g: g for g in group_order(frame, group_by)}
    if group_by == "border_status":
        labels.update({k: v for k, v in BORDER_LABELS.items() if k in labels})
    elif group_by == "kind":
        labels.update({k: v for k, v in KINDS.items() if k in labels})
    elif group_by == "macro_region" and "macro_region_label" in frame.columns:
        pairs = frame[["macro_region", "macro_region_label"]].dropna().drop_duplicates()
        labels.update(dict(zip(pairs["macro_region"], pairs["macro_region_label"])))
    elif group_by == "distance_band":
        labels.update({name: label for name, _, label in DISTANCE_BANDS if name in labels})
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
