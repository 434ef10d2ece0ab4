"""The gazetteer of sampled units (cities, regions, organisations…) and their attributes.

A gazetteer is a CSV with one row per unit. Only ``unit_id`` (an ASCII slug) and ``name``
are required; every other column is an attribute of the unit, kept as it is and usable as a
grouping (``--group-by``), in the SPSS file and in models. Some columns mean something when
they are there:

* ``kind`` — ``city`` / ``region`` (city names are then also recognised as «г. Самара»);
* ``lat``, ``lon`` — coordinates in degrees (for distances to a border line);
* the study's *border* column (``study.yaml``: ``border.column``) — ``true``/``false``, from
  which ``border_status`` (``border``/``non_border``) is derived, and with a border line and
  coordinates, ``border_distance_km``, ``log10_distance`` and ``distance_band``;
* a column that is the key of a lookup table of the study (``unit_tables``), whose other
  columns become attributes too (the bundled study: ``federal_district`` → ``macro_region``).

What a study's settings ask for but the gazetteer lacks is switched off, with one Russian line
in ``units.attrs["notes"]`` that the reports print — never a crash.

>>> units = load_units()
>>> len(units), int(units["borders_china"].sum())
(77, 12)
>>> units.loc["blagoveshchensk", ["federal_subject", "border_status", "macro_region"]].tolist()
['Амурская область', 'border', 'far_east']
>>> round(float(units.loc["moscow", "border_distance_km"]))
3369
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import numpy as np
import pandas as pd

from survey.base.text import bulleted, fold
from survey.base.textfile import read_csv_frame
from survey.errors import Code, ConfigError, InputError, Location, Problem
from survey.spec.geo import distance_band, load_border, unit_distances
from survey.spec.study import BORDER_STATUS, Study, load_study, study_file

REQUIRED_COLUMNS = ["unit_id", "name"]
KINDS = {"city": "город", "region": "регион"}
TRUE_VALUES = {"true", "1", "да", "yes"}
FALSE_VALUES = {"false", "0", "нет", "no"}
DERIVED_COLUMNS = ("border_status", "border_distance_km", "log10_distance", "distance_band")
_SLUG = re.compile(r"^[a-z][a-z0-9_]*$")


_DECIMAL_COMMA = re.compile(r"^(-?\d+),(\d+)$")
_INTEGER = re.compile(r"^-?\d+$")


def _decimal_commas(values: pd.Series) -> bool:
    """A column of numbers written with a decimal comma: every filled cell a number, some with
    «,» (a list such as «1,2,3» has two commas and is left as text)."""
    filled = [str(v).strip() for v in values if isinstance(v, str) and v.strip()]
    return any(_DECIMAL_COMMA.match(v) for v in filled) and all(
        _DECIMAL_COMMA.match(v) or _INTEGER.match(v) for v in filled
    )


def load_units(path: str | Path | None = None, study: Study | None = None) -> pd.DataFrame:
    """Read and check a gazetteer; index ``unit_id``; the study's derived attributes added.

    Without arguments: the bundled study's gazetteer with its settings. With a ``path`` and no
    ``study``: the plain gazetteer (no lookup tables, no border attributes).
    """
    if path is None:
        study = study if study is not None else load_study()
        path = study_file(study, "units", None)
    path = Path(path)
    frame = _read_csv(path)
    for col in frame.columns:  # Russian Excel writes a decimal comma: «52,5443», «850,5»
        if col not in ("unit_id", "name") and _decimal_commas(frame[col]):
            frame[col] = frame[col].str.strip().str.replace(_DECIMAL_COMMA.pattern, r"\1.\2", regex=True)
    problems: list[Problem] = []

    def bad(row: int | None, column: str | None, message: str) -> None:
        problems.append(Problem(Location(str(path), row=row, column=column), Code.GAZETTEER, message))

    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise ConfigError(
            f"{path}: нет столбцов {', '.join(missing)}. Обязательны unit_id (латинский идентификатор) и name "
            "(название); остальные столбцы — признаки единиц."
        )
    border_column = study.border.column if study is not None and study.border is not None else None
    seen_ids: dict[str, int] = {}
    seen_names: dict[str, int] = {}
    for i, rec in enumerate(frame.to_dict("records")):
        row = i + 2  # header is line 1
        uid = rec["unit_id"]
        if uid != uid.strip() and _SLUG.match(uid.strip()):  # review 48 #4: the id is fine but for a space
            bad(row, "unit_id", f"unit_id «{uid}»: пробел в начале или в конце идентификатора; удалите его.")
        elif not _SLUG.match(uid):
            bad(row, "unit_id", f"unit_id «{uid}» — нужен латинский идентификатор (строчные буквы, цифры, _).")
        if uid in seen_ids:
            bad(row, "unit_id", f"unit_id «{uid}» повторяется (первый раз — строка {seen_ids[uid]}).")
        seen_ids.setdefault(uid, row)
        key = fold(rec["name"])
        if not key:
            bad(row, "name", "нет названия.")
        elif key in seen_names:
            bad(row, "name", f"название «{rec['name']}» повторяется (строка {seen_names[key]}).")
        seen_names.setdefault(key, row)
        if "kind" in rec and rec["kind"] and rec["kind"] not in KINDS and _kind_is_city_region(frame):
            bad(row, "kind", f"kind «{rec['kind']}»: допустимо city или region.")
        if (
            border_column
            and border_column in rec
            and rec[border_column].strip().lower() not in TRUE_VALUES | FALSE_VALUES
        ):
            bad(row, border_column, f"{border_column} «{rec[border_column]}»: допустимо true или false.")
        for col, lim in (("lat", 90), ("lon", 180)):
            if col not in rec or rec[col] == "":
                continue
            try:
                value = float(rec[col])
                if not -lim <= value <= lim:
                    raise ValueError
            except ValueError:
                bad(row, col, f"{col} «{rec[col]}» — не координата в градусах (от {-lim} до {lim}).")
    tables = [] if study is None else [(t, _read_csv(t.path)) for t in study.unit_tables]
    for table, lookup in tables:
        if table.key not in frame.columns:
            continue
        if table.key not in lookup.columns:
            bad(None, table.key, f"в таблице {table.path.name} нет столбца {table.key}.")
            continue
        known = set(lookup[table.key])
        for i, value in enumerate(frame[table.key], start=2):
            if value and value not in known:
                bad(i, table.key, f"{table.key} «{value}» не описан в {table.path.name}.")
    if problems:
        raise ConfigError(
            f"{path}: справочник единиц содержит ошибки ({len(problems)}):\n" + bulleted(problems),
            problems=problems,
        )
    units = frame.copy()
    notes: list[str] = []
    for col in ("lat", "lon"):
        if col in units.columns:
            units[col] = pd.to_numeric(units[col].replace("", np.nan))
    for col in units.columns:
        if col in ("unit_id", "name", "lat", "lon"):
            continue
        values = {str(v).strip().lower() for v in units[col] if str(v).strip()}
        if values and values <= {"true", "false"}:
            units[col] = units[col].str.strip().str.lower().map({"true": True, "false": False})
    for table, lookup in tables:
        if table.key not in units.columns:
            notes.append(f"В справочнике единиц нет столбца {table.key}: признаки из {table.path.name} не добавлены.")
            continue
        extra = lookup.drop_duplicates(table.key).set_index(table.key)
        extra = extra[[c for c in extra.columns if c not in units.columns]]
        units = units.join(extra, on=table.key)
    units = units.set_index("unit_id")
    if study is not None and study.border is not None:
        notes += _add_border(units, study)
    units.attrs["path"] = str(path)
    units.attrs["notes"] = notes
    return units


def _kind_is_city_region(frame: pd.DataFrame) -> bool:
    """``kind`` means city/region only when most of its values are those words."""
    values = [v for v in frame["kind"] if v]
    return bool(values) and sum(v in KINDS for v in values) >= len(values) / 2


def _add_border(units: pd.DataFrame, study: Study) -> list[str]:
    border = study.border
    assert border is not None
    if border.column not in units.columns:
        return [
            f"В справочнике единиц нет столбца {border.column}: сравнение групп «{border.groups['border']}» и "
            f"«{border.groups['non_border']}» не строится."
        ]
    flag = units[border.column].map(lambda v: v if isinstance(v, bool) else str(v).strip().lower() in TRUE_VALUES)
    units[border.column] = flag.astype(bool)
    units[BORDER_STATUS] = flag.map({True: "border", False: "non_border"})
    if border.line is None:
        return []
    if not {"lat", "lon"} <= set(units.columns) or units[["lat", "lon"]].isna().any().any():
        return [f"Не у всех единиц есть координаты (lat, lon): {border.distance_label} не вычисляется."]
    km = unit_distances(units, load_border(border.line))
    units["border_distance_km"] = km
    units["log10_distance"] = np.log10(1.0 + km)
    units["distance_band"] = km.map(distance_band)
    return []


def default_grouping(units: pd.DataFrame) -> str:
    """A grouping when the study names none: the border status, else the first attribute of the
    units with two or more values (not the name or coordinates), else the unit itself."""
    if BORDER_STATUS in units.columns:
        return BORDER_STATUS
    for col in units.columns:
        if col not in ("name", "lat", "lon") and units[col].nunique() >= 2:
            return str(col)
    return "unit_id"


def as_units(units: pd.DataFrame | str | Path | None, study: Study | None = None) -> pd.DataFrame:
    """A loaded gazetteer, a path to load, or ``None`` for the default file."""
    if isinstance(units, pd.DataFrame):
        return units
    return load_units(units, study)


MAX_GAZETTEER_BYTES = 20 * 1024 * 1024


def _read_csv(path: Path) -> pd.DataFrame:
    """A gazetteer or lookup table as Excel saves it: UTF-8 (with or without BOM), UTF-16 or cp1251,
    separated by commas, semicolons (Russian Excel) or tabs."""
    try:
        return read_csv_frame(
            path,
            MAX_GAZETTEER_BYTES,
            f"справочник больше {MAX_GAZETTEER_BYTES // 2**20} МБ — проверьте, тот ли это файл.",
        )
    except InputError as exc:
        raise ConfigError(exc.message) from None


class UnitResolver:
    """Find a unit by its id or its name (case, ё/е and spaces ignored).

    >>> UnitResolver(load_units()).resolve(" благовещенск ")
    'blagoveshchensk'
    """

    def __init__(self, units: pd.DataFrame):
        self.units = units
        self._index: dict[str, str] = {}
        kinds = units["kind"] if "kind" in units.columns else pd.Series("", index=units.index)
        for uid, name in zip(units.index, units["name"]):
            self._index[fold(uid)] = uid
            self._index[fold(name)] = uid
            # "г. Самара", "город Самара", "Самара (город)" are common spellings
            if kinds[uid] == "city":
                for variant in (
                    f"г. {name}",
                    f"г.{name}",
                    f"город {name}",
                    f"{name} (город)",
                    f"городской округ {name}",
                    f"го {name}",
                ):
                    self._index.setdefault(fold(variant), uid)

    def resolve(self, value: object) -> str | None:
        if value is None:
            return None
        return self._index.get(fold(str(value)))

    def suggest(self, value: object, n: int = 3) -> list[str]:
        """Closest unit names, for "did you mean" messages."""
        names = list(self.units["name"])
        return difflib.get_close_matches(str(value).strip(), names, n=n, cutoff=0.6)
