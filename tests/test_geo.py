"""Distance to the Russia–China border: the geometry checked against brute force."""

from __future__ import annotations

import csv
import io
import re

import numpy as np
import pytest

from survey.errors import ConfigError
from survey.spec.geo import EARTH_RADIUS_KM, distance_to_border, haversine_km, load_border, unit_distances

from .conftest import ROOT


@pytest.fixture(scope="module")
def border():
    return load_border(ROOT / "responses" / "china_border.csv")


def densify(border, step_km=0.5):
    """Points every ≤ step_km along each great-circle segment (slerp)."""
    pts = []
    for _, sec in border.groupby("section"):
        lat, lon = np.radians(sec["lat"].to_numpy()), np.radians(sec["lon"].to_numpy())
        v = np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=1)
        for a, b in zip(v[:-1], v[1:]):
            omega = np.arccos(np.clip(a @ b, -1, 1))
            n = max(2, int(omega * EARTH_RADIUS_KM / step_km) + 1)
            t = np.linspace(0, 1, n)[:, None]
            p = (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)
            pts.append(p)
    p = np.vstack(pts)
    return np.degrees(np.arcsin(p[:, 2])), np.degrees(np.arctan2(p[:, 1], p[:, 0]))


def test_border_file(border):
    assert set(border["section"]) == {"east", "west"}
    east = border[border["section"] == "east"]
    # the eastern section runs from the Mongolian junction (~116.7 E) to the Tumen (~130.6 E, ~42.4 N)
    assert east.iloc[0]["lon"] == pytest.approx(116.7, abs=0.2)
    assert east.iloc[-1][["lat", "lon"]].tolist() == pytest.approx([42.4, 130.6], abs=0.2)
    west = border[border["section"] == "west"]
    assert west["lon"].between(87, 88.5).all() and west["lat"].between(49, 49.5).all()


def test_haversine_against_a_known_distance():
    assert float(haversine_km(0, 0, 0, 1)) == pytest.approx(EARTH_RADIUS_KM * np.pi / 180, rel=1e-12)
    assert float(haversine_km(0, 0, 90, 0)) == pytest.approx(EARTH_RADIUS_KM * np.pi / 2, rel=1e-12)


def test_distance_matches_brute_force_for_every_unit(units, border):
    km = unit_distances(units, border)
    lat, lon = densify(border)
    for uid, row in units.iterrows():
        brute = haversine_km(row["lat"], row["lon"], lat, lon).min()
        assert km[uid] <= brute + 1e-6  # the exact foot is never farther
        assert km[uid] == pytest.approx(brute, abs=0.05)


def test_points_on_the_line_are_at_zero(border):
    lat = border["lat"]
    assert distance_to_border(lat, border["lon"], border).max() == pytest.approx(0.0, abs=1e-6)


def test_border_units_are_near_and_the_others_far(units, border):
    km = unit_distances(units, border)
    assert km[units["borders_china"]].max() < 400
    assert km[~units["borders_china"]].min() > 400
    assert km["moscow"] == pytest.approx(3370, abs=60)  # nearest: the Altai section


def test_broken_border_file(tmp_path):
    bad = tmp_path / "border.csv"
    bad.write_text("section,seq,lat,lon,place\neast,1,50,120,\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="не меньше двух точек"):
        load_border(bad)
    bad.write_text("section,seq,lat\neast,1,50\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="нет столбцов"):
        load_border(bad)
    with pytest.raises(ConfigError, match="не найден"):
        load_border(tmp_path / "none.csv")


def test_a_border_line_saved_by_russian_excel_reads_the_same(tmp_path):
    """«sep=;», «;», a decimal comma and cp1251 give the same vertices as the bundled CSV."""
    rows = list(csv.reader((ROOT / "responses" / "china_border.csv").read_text(encoding="utf-8").splitlines()))
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows([[re.sub(r"^(\d+)\.(\d+)$", r"\1,\2", c) for c in r] for r in rows])
    path = tmp_path / "border.csv"
    path.write_bytes(("sep=;\r\n" + buffer.getvalue()).encode("cp1251"))
    got = load_border(path)
    expected = load_border(ROOT / "responses" / "china_border.csv")
    assert got.equals(expected)
