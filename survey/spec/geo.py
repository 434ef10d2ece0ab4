"""Distance from each unit to a border line (a study's ``border.line`` in ``study.yaml``).

A border line is data: a CSV with the vertices of one or more sections of the line, in order
along each section::

    section,seq,lat,lon,place

The bundled study's line (``responses/china_border.csv``) is the Russia–China land border:

* ``east`` — from the Russia–China–Mongolia junction in Zabaykalsky Krai along the Argun,
  the Amur and the Ussuri, across Lake Khanka and over land to the Tumen river (the junction
  with North Korea);
* ``west`` — the short section in the Altai Republic between the junctions with Kazakhstan
  and Mongolia.

Source of the vertices: the points that the polygons of Russia and China share in Natural
Earth *Admin 0 – Countries* at 1:110 million (public domain; the copy shipped as
``naturalearth_lowres`` with geopandas 0.14). At that scale the line is generalised: it
follows the rivers to within a few tens of kilometres, which matters only for units right
at the border (their distance is small either way) and not at all for the thousands of
kilometres that separate European Russia from China.

Distances are great-circle distances on a sphere of radius 6371.0088 km (the IUGG mean
Earth radius) from a point to the nearest point of the polyline; each segment between two
vertices is a great-circle arc.

>>> from survey.spec.paths import project_root
>>> from survey.spec.units import load_units
>>> border = load_border(project_root() / "responses" / "china_border.csv")
>>> sorted(border["section"].unique())
['east', 'west']
>>> round(haversine_km(55.7558, 37.6173, 59.9386, 30.3141))     # Moscow – St Petersburg
634
>>> units = load_units()
>>> km = distance_to_border(units["lat"], units["lon"], border)
>>> int(km["blagoveshchensk"]) < 30, int(km["moscow"]) > 3000      # Moscow: nearest is the Altai section
(True, True)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from survey.base.textfile import read_csv_frame
from survey.errors import ConfigError, InputError

EARTH_RADIUS_KM = 6371.0088
BORDER_COLUMNS = ["section", "seq", "lat", "lon", "place"]
MAX_BORDER_BYTES = 20 * 1024 * 1024
# Distance bands (km to the border line): value -> (lower bound, Russian label).
DISTANCE_BANDS = [
    ("0-500", 0.0, "до 500 км"),
    ("500-1500", 500.0, "500–1500 км"),
    ("1500-3000", 1500.0, "1500–3000 км"),
    ("3000+", 3000.0, "3000 км и более"),
]


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


def load_border(path: str | Path) -> pd.DataFrame:
    """Read the vertices of a border line, ordered by section and seq.

    Columns: ``section`` (str), ``seq`` (int), ``lat``, ``lon`` (float, degrees), ``place``.
    """
    path = Path(path)
    try:
        frame = read_csv_frame(path, MAX_BORDER_BYTES, "файл линии границы больше 20 МБ — проверьте, тот ли это файл.")
    except InputError as exc:
        raise ConfigError(f"линия границы: {exc.message}") from None
    missing = [c for c in BORDER_COLUMNS if c not in frame.columns]
    if missing:
        raise ConfigError(f"{path}: нет столбцов {', '.join(missing)}. Нужны: {','.join(BORDER_COLUMNS)}.")
    try:
        frame["seq"] = frame["seq"].astype(int)
        frame["lat"] = frame["lat"].str.replace(",", ".", regex=False).astype(float)  # Russian Excel: «48,5»
        frame["lon"] = frame["lon"].str.replace(",", ".", regex=False).astype(float)
    except ValueError as exc:
        raise ConfigError(f"{path}: seq, lat и lon должны быть числами ({exc}).") from None
    bad = frame[(frame["lat"].abs() > 90) | (frame["lon"].abs() > 180)]
    if len(bad):
        raise ConfigError(
            f"{path}: строка {int(bad.index[0]) + frame.attrs['first_row']}: координаты вне допустимых пределов."
        )
    sizes = frame.groupby("section").size()
    if frame.empty or (sizes < 2).any():
        raise ConfigError(f"{path}: в каждом участке границы (section) нужно не меньше двух точек.")
    frame = frame.sort_values(["section", "seq"], kind="stable").reset_index(drop=True)
    frame.attrs["path"] = str(path)
    return frame[BORDER_COLUMNS]


def _unit_vectors(lat, lon) -> np.ndarray:
    lat = np.radians(np.asarray(lat, dtype=float))
    lon = np.radians(np.asarray(lon, dtype=float))
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=-1)


def haversine_km(lat1, lon1, lat2, lon2):
    """Great-circle distance in km (haversine formula); works elementwise on arrays.

    >>> round(float(haversine_km(0, 0, 0, 1)), 3)         # one degree of the equator
    111.195
    """
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(np.asarray(lon2, dtype=float) - np.asarray(lon1, dtype=float))
    h = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def _angle(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Angle between unit vectors (numerically stable atan2 form)."""
    return np.arctan2(np.linalg.norm(np.cross(u, v), axis=-1), np.sum(u * v, axis=-1))


def distance_to_border(lat, lon, border: pd.DataFrame) -> pd.Series:
    """Distance in km from each point to the nearest point of the border polyline.

    ``lat``/``lon`` are Series (their index is kept) or arrays. For every segment A–B
    (a great-circle arc) the nearest point is the foot of the perpendicular from the point
    when it falls inside the arc, otherwise the nearer end.
    """
    index = lat.index if isinstance(lat, pd.Series) else None
    p = _unit_vectors(lat, lon)  # (n, 3)
    best = np.full(len(p), np.inf)
    for _, section in border.groupby("section", sort=True):
        v = _unit_vectors(section["lat"], section["lon"])  # (m, 3)
        a, b = v[:-1], v[1:]  # segments (m-1, 3)
        normal = np.cross(a, b)
        norm = np.linalg.norm(normal, axis=-1)
        ends = np.minimum(_angle(p[:, None, :], a[None]), _angle(p[:, None, :], b[None]))  # (n, m-1)
        ok = norm > 0
        n = np.zeros_like(normal)
        n[ok] = normal[ok] / norm[ok, None]
        s = p @ n.T  # sin of the cross-track angle
        foot = p[:, None, :] - s[..., None] * n[None]  # projection on the arc's plane
        inside = (
            (np.einsum("ijk,jk->ij", np.cross(a[None], foot), n) >= 0)
            & (np.einsum("ijk,jk->ij", np.cross(foot, b[None]), n) >= 0)
            & ok[None]
        )
        cross = np.abs(np.arcsin(np.clip(s, -1.0, 1.0)))
        angle = np.where(inside, np.minimum(cross, ends), ends)
        best = np.minimum(best, angle.min(axis=1))
    km = best * EARTH_RADIUS_KM
    return pd.Series(km, index=index, name="border_distance_km")


def unit_distances(units: pd.DataFrame, border: pd.DataFrame) -> pd.Series:
    """``border_distance_km`` of every unit of the gazetteer (index ``unit_id``)."""
    return distance_to_border(units["lat"], units["lon"], border)
