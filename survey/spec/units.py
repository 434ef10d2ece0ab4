"""The gazetteer of sampled units (cities and regions): border status, district, location.

``responses/units.csv`` has one row per unit::

    unit_id,name,kind,federal_subject,federal_district,borders_china,lat,lon

:func:`load_units` reads and checks it and adds the macro-region of each unit from
``responses/federal_districts.csv``, so analyses can group by ``borders_china``,
``federal_district``, ``macro_region``, ``kind`` or ``federal_subject``.

>>> units = load_units()
>>> len(units), int(units["borders_china"].sum())
(77, 12)
>>> units.loc["blagoveshchensk", "federal_subject"]
'Амурская область'
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from survey.base.text import fold
from survey.errors import Code, ConfigError, Location, Problem
from survey.spec.paths import default_path

UNIT_COLUMNS = [
    "unit_id",
    "name",
    "kind",
    "federal_subject",
    "federal_district",
    "borders_china",
    "lat",
    "lon",
]
KINDS = {"city": "город", "region": "регион"}
_SLUG = re.compile(r"^[a-z][a-z0-9_]*$")


def load_units(path: str | Path | None = None, districts: str | Path | None = None) -> pd.DataFrame:
    """Read and check the units gazetteer; index ``unit_id``.

    Columns: ``name, kind, federal_subject, federal_district, borders_china`` (bool),
    ``lat, lon`` (float), ``macro_region`` (``european``/``urals``/``siberia``/``far_east``),
    ``macro_region_label`` and ``border_status`` (``border``/``non_border``).
    """
    path = Path(path) if path else default_path("units")
    frame = _read_csv(path)
    problems: list[Problem] = []

    def bad(row: int | None, column: str | None, message: str) -> None:
        problems.append(Problem(Location(str(path), row=row, column=column), Code.GAZETTEER, message))

    missing = [c for c in UNIT_COLUMNS if c not in frame.columns]
    if missing:
        raise ConfigError(f"{path}: нет столбцов {', '.join(missing)}. Нужны: {','.join(UNIT_COLUMNS)}.")
    dist_path = Path(districts) if districts else path.with_name("federal_districts.csv")
    district_table = _read_csv(dist_path) if dist_path.is_file() else None
    known_districts = (
        dict(
            zip(
                district_table["federal_district"],
                zip(district_table["macro_region"], district_table["macro_region_label"]),
            )
        )
        if district_table is not None
        else {}
    )
    seen_ids: dict[str, int] = {}
    seen_names: dict[str, int] = {}
    for i, rec in enumerate(frame.to_dict("records")):
        row = i + 2  # header is line 1
        uid = rec["unit_id"]
        if not _SLUG.match(uid):
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
        if rec["kind"] not in KINDS:
            bad(row, "kind", f"kind «{rec['kind']}»: допустимо city или region.")
        if rec["borders_china"] not in ("true", "false"):
            bad(row, "borders_china", f"borders_china «{rec['borders_china']}»: допустимо true или false.")
        for col, lim in (("lat", 90), ("lon", 180)):
            try:
                value = float(rec[col])
                if not -lim <= value <= lim:
                    raise ValueError
            except ValueError:
                bad(row, col, f"{col} «{rec[col]}» — не координата в градусах (от {-lim} до {lim}).")
        if known_districts and rec["federal_district"] not in known_districts:
            bad(
                row,
                "federal_district",
                f"федеральный округ «{rec['federal_district']}» не описан в {dist_path.name}.",
            )
    if problems:
        raise ConfigError(
            f"{path}: справочник единиц содержит ошибки ({len(problems)}):\n" + "\n".join(f"  - {p}" for p in problems),
            problems=problems,
        )
    units = frame[UNIT_COLUMNS].copy()
    units["borders_china"] = units["borders_china"] == "true"
    units["lat"] = units["lat"].astype(float)
    units["lon"] = units["lon"].astype(float)
    units["border_status"] = units["borders_china"].map({True: "border", False: "non_border"})
    units["macro_region"] = units["federal_district"].map(lambda d: known_districts.get(d, ("", ""))[0])
    units["macro_region_label"] = units["federal_district"].map(lambda d: known_districts.get(d, ("", ""))[1])
    units.attrs["path"] = str(path)
    return units.set_index("unit_id")


def as_units(units: pd.DataFrame | str | Path | None) -> pd.DataFrame:
    """A loaded gazetteer, a path to load, or ``None`` for the default file."""
    if isinstance(units, pd.DataFrame):
        return units
    return load_units(units)


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"{path}: файл не найден.") from None
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise ConfigError(f"{path}: не удаётся прочитать CSV ({exc}). Сохраните файл как CSV UTF-8.") from None


class UnitResolver:
    """Find a unit by its id or its Russian name (case, ё/е and spaces ignored).

    >>> UnitResolver(load_units()).resolve(" благовещенск ")
    'blagoveshchensk'
    """

    def __init__(self, units: pd.DataFrame):
        self.units = units
        self._index: dict[str, str] = {}
        for uid, name in zip(units.index, units["name"]):
            self._index[fold(uid)] = uid
            self._index[fold(name)] = uid
            # "г. Самара", "город Самара", "Самара (город)" are common spellings
            if units.loc[uid, "kind"] == "city":
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
        import difflib

        names = list(self.units["name"])
        return difflib.get_close_matches(str(value).strip(), names, n=n, cutoff=0.6)
