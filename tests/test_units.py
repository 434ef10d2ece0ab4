"""The units gazetteer: facts a sociologist will check."""

from __future__ import annotations

import csv
import re

import pandas as pd
import pytest

from survey.errors import ConfigError
from survey.spec.study import Border, Study, UnitTable
from survey.spec.units import UnitResolver, default_grouping, load_units

from .conftest import ROOT

# The lists of the study (STUDY.md), typed here independently of units.csv.
CITIES = """Ангарск, Артём, Астрахань, Балашиха, Бердск, Биробиджан, Благовещенск, Братск,
Великий Новгород, Владимир, Волжский, Вязьма, Дубна, Жуковский, Звенигород, Ижевск, Искитим,
Калининград, Кемерово, Кинель, Комсомольск-на-Амуре, Краснодар, Краснокаменск, Красноярск,
Липецк, Магадан, Магнитогорск, Махачкала, Москва, Мурманск, Находка, Новоалтайск, Омск, Пенза,
Подольск, Рубцовск, Рязань, Самара, Санкт-Петербург, Саратов, Серпухов, Сочи, Ставрополь,
Суздаль, Сургут, Сызрань, Сыктывкар, Тверь, Тольятти, Улан-Удэ, Ульяновск, Уссурийск, Уфа,
Череповец, Элиста, Энгельс, Якутск"""
REGIONS = """Алтайский край, Амурская область, Воронежская область, Еврейская автономная область,
Забайкальский край, Иркутская область, Калужская область, Ленинградская область,
Московская область, Нижегородская область, Новосибирская область, Приморский край,
Республика Тыва, Самарская область, Саратовская область, Сахалинская область,
Свердловская область, Ульяновская область, Хабаровский край, Ярославская область"""
BORDER_SUBJECTS = {
    "Республика Алтай",
    "Забайкальский край",
    "Амурская область",
    "Еврейская автономная область",
    "Хабаровский край",
    "Приморский край",
}


def _names(text):
    return {n.strip() for n in text.replace("\n", " ").split(",")}


# the bundled gazetteer's columns (only unit_id and name are required of any gazetteer)
UNIT_COLUMNS = ["unit_id", "name", "kind", "federal_subject", "federal_district", "borders_china", "lat", "lon"]


def test_columns_are_the_contract():
    with open(ROOT / "responses" / "units.csv", encoding="utf-8") as fh:
        assert next(csv.reader(fh)) == UNIT_COLUMNS


def test_the_77_units_of_the_study(units):
    assert len(units) == 77
    assert set(units.loc[units["kind"] == "city", "name"]) == _names(CITIES)
    assert set(units.loc[units["kind"] == "region", "name"]) == _names(REGIONS)
    assert len(_names(CITIES)) == 57 and len(_names(REGIONS)) == 20


def test_border_status_follows_the_rule(units):
    for uid, row in units.iterrows():
        assert row["borders_china"] == (row["federal_subject"] in BORDER_SUBJECTS), uid
    border = set(units.loc[units["borders_china"], "name"])
    assert border == {
        "Артём",
        "Биробиджан",
        "Благовещенск",
        "Комсомольск-на-Амуре",
        "Краснокаменск",
        "Находка",
        "Уссурийск",
        "Амурская область",
        "Еврейская автономная область",
        "Забайкальский край",
        "Приморский край",
        "Хабаровский край",
    }
    # the classic traps: Buryatia and Tuva border Mongolia, Altai Krai borders Kazakhstan
    for uid in ("ulan_ude", "tuva", "altai_krai", "novoaltaysk", "rubtsovsk", "yakutsk", "magadan"):
        assert not units.loc[uid, "borders_china"]


def test_regions_are_their_own_subject(units):
    regions = units[units["kind"] == "region"]
    assert (regions["name"] == regions["federal_subject"]).all()


@pytest.mark.parametrize(
    "uid,subject,district",
    [
        ("ulan_ude", "Республика Бурятия", "Дальневосточный"),  # moved to the Far East in 2018
        ("krasnokamensk", "Забайкальский край", "Дальневосточный"),
        ("magnitogorsk", "Челябинская область", "Уральский"),
        ("surgut", "Ханты-Мансийский автономный округ — Югра", "Уральский"),
        ("vyazma", "Смоленская область", "Центральный"),
        ("cherepovets", "Вологодская область", "Северо-Западный"),
        ("volzhsky", "Волгоградская область", "Южный"),
        ("elista", "Республика Калмыкия", "Южный"),
        ("makhachkala", "Республика Дагестан", "Северо-Кавказский"),
        ("kinel", "Самарская область", "Приволжский"),
        ("iskitim", "Новосибирская область", "Сибирский"),
        ("tuva", "Республика Тыва", "Сибирский"),
    ],
)
def test_spot_checked_facts(units, uid, subject, district):
    assert units.loc[uid, "federal_subject"] == subject
    assert units.loc[uid, "federal_district"] == district


def test_coordinates_lie_in_russia_and_macro_regions_are_data(units):
    assert units["lat"].between(41, 70).all() and units["lon"].between(19, 180).all()
    assert set(units["macro_region"]) == {"european", "urals", "siberia", "far_east"}
    assert units.loc["kaliningrad", "macro_region"] == "european"
    assert units.loc["khabarovsk_krai", "macro_region"] == "far_east"


def test_unit_ids_are_ascii_slugs(units):
    assert all(uid.isascii() and uid == uid.lower() for uid in units.index)


def test_resolver_accepts_names_and_ids(units):
    r = UnitResolver(units)
    assert r.resolve("Комсомольск-на-Амуре") == "komsomolsk_na_amure"
    assert r.resolve("г. Артем") == "artyom"  # ё/е and "г." forgiven
    assert r.resolve("KHABAROVSK_KRAI") == "khabarovsk_krai"
    assert r.resolve("Чита") is None
    assert r.suggest("Благовещенскъ") == ["Благовещенск"]


def _study(tmp_path, **kw):
    (tmp_path / "districts.csv").write_text(
        "federal_district,macro_region,macro_region_label\nСибирский,siberia,Сибирь\n", encoding="utf-8"
    )
    return Study(
        title="t",
        short_title="t",
        unit_tables=(UnitTable(tmp_path / "districts.csv", "federal_district"),),
        border=Border(column="borders_china"),
        **kw,
    )


def test_broken_gazetteer_lists_rows(tmp_path):
    path = tmp_path / "units.csv"
    path.write_text(
        ",".join(UNIT_COLUMNS) + "\na,Город А,city,X,Сибирский,true,50,100\na,Город Б,town,X,Уральский,maybe,500,100\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as err:
        load_units(path, _study(tmp_path))
    msg = err.value.message
    assert "строка 3, столбец unit_id" in msg and "«a» повторяется" in msg
    assert "kind «town»" in msg and "borders_china «maybe»" in msg and "lat «500»" in msg
    assert "federal_district «Уральский» не описан в districts.csv" in msg


def test_a_space_around_a_unit_id_is_named_as_the_problem(tmp_path):
    # review 48 #4: «angarsk » was «нужен латинский идентификатор», though it is one but for the space
    path = tmp_path / "units.csv"
    path.write_text("unit_id;name\nangarsk ;Ангарск\nBad-Id;Город Б\n", encoding="cp1251")
    with pytest.raises(ConfigError) as err:
        load_units(path, _study(tmp_path))
    msg = err.value.message
    assert "строка 2, столбец unit_id" in msg and "«angarsk »: пробел в начале или в конце" in msg
    assert "«Bad-Id» — нужен латинский идентификатор" in msg


def test_only_unit_id_and_name_are_required_and_extra_columns_are_kept(tmp_path):
    path = tmp_path / "units.csv"
    path.write_text("unit_id,name,partner_land,twinned\nkazan,Казань,Бавария,true\ntver,Тверь,Саксония,false\n")
    units = load_units(path)
    assert list(units.columns) == ["name", "partner_land", "twinned"]
    assert units.loc["kazan", "partner_land"] == "Бавария" and units["twinned"].tolist() == [True, False]
    assert default_grouping(units) == "partner_land"
    assert UnitResolver(units).resolve("казань") == "kazan"
    with pytest.raises(ConfigError, match="нет столбцов name"):
        (tmp_path / "bad.csv").write_text("unit_id,title\na,A\n")
        load_units(tmp_path / "bad.csv")


def test_missing_optional_data_switches_features_off_with_a_note(tmp_path):
    path = tmp_path / "units.csv"
    path.write_text("unit_id,name,kind\na,Город А,city\nb,Регион Б,region\n", encoding="utf-8")
    units = load_units(path, _study(tmp_path))
    notes = units.attrs["notes"]
    assert any("нет столбца borders_china" in n for n in notes)
    assert any("нет столбца federal_district" in n for n in notes)
    assert "border_status" not in units.columns and "macro_region" not in units.columns
    # border column but no coordinates: border status, no distances, one line
    path.write_text("unit_id,name,borders_china\na,А,true\nb,Б,false\n", encoding="utf-8")
    study = _study(tmp_path)
    study = Study(**{**study.__dict__, "border": Border("borders_china", line=ROOT / "responses" / "china_border.csv")})
    units = load_units(path, study)
    assert units["border_status"].tolist() == ["border", "non_border"]
    assert "border_distance_km" not in units.columns
    assert any("координаты" in n for n in units.attrs["notes"])


@pytest.mark.parametrize("encoding", ["cp1251", "utf-8-sig", "utf-16"])
def test_a_gazetteer_saved_by_russian_excel_reads_the_same(tmp_path, encoding):
    """«;» between cells, a decimal comma in the coordinates, cp1251/UTF-8 with BOM/UTF-16."""
    original = (ROOT / "responses" / "units.csv").read_text(encoding="utf-8")
    comma = [[re.sub(r"^(\d+)\.(\d+)$", r"\1,\2", c) for c in line.split(",")] for line in original.splitlines()]
    lines = [";".join(cells) for cells in comma]
    path = tmp_path / "units.csv"
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    got, expected = load_units(path), load_units(ROOT / "responses" / "units.csv")
    pd.testing.assert_frame_equal(got, expected, check_like=True)


def test_a_gazetteer_that_is_not_a_regular_file_is_refused_without_blocking(tmp_path):
    """A FIFO given as units.csv would block a plain open(); it is refused at once."""
    import os

    fifo = tmp_path / "units.csv"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match="не обычный файл"):
        load_units(fifo)


def test_a_gazetteer_with_excels_sep_line_reads_the_same(tmp_path):
    """Excel's first line «sep=;» names the separator; it is not the header."""
    original = (ROOT / "responses" / "units.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(original.splitlines()))
    path = tmp_path / "units.csv"
    path.write_text("sep=;\n" + "\n".join(";".join(r) for r in rows) + "\n", encoding="cp1251")
    pd.testing.assert_frame_equal(load_units(path), load_units(ROOT / "responses" / "units.csv"), check_like=True)


def test_a_decimal_comma_is_a_decimal_point_in_every_numeric_column(tmp_path):
    # review 46b #1: only lat/lon were read so; «850,5» in another column became a text, a nominal
    # variable with rank codes in the .sav and a crash of a model term
    from survey.spec.units import load_units

    path = tmp_path / "units.csv"
    path.write_text(
        "unit_id;name;students_avg;staff;note\n"
        "central;Центральный район;850,5;12;1,5 ставки\n"
        "north;Северный район;620;9;\n",
        encoding="utf-8",
    )
    units = load_units(path)
    assert pd.to_numeric(units["students_avg"]).tolist() == [850.5, 620.0]
    assert units.loc["central", "note"] == "1,5 ставки"  # text stays as written
