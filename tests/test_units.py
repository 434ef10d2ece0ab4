"""The units gazetteer: facts a sociologist will check."""

from __future__ import annotations

import csv

import pytest

from survey.errors import ConfigError
from survey.spec.units import UNIT_COLUMNS, UnitResolver, load_units

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


def test_broken_gazetteer_lists_rows(tmp_path):
    path = tmp_path / "units.csv"
    path.write_text(
        ",".join(UNIT_COLUMNS) + "\na,Город А,city,X,Сибирский,true,50,100\na,Город Б,town,X,Сибирский,yes,500,100\n",
        encoding="utf-8",
    )
    (tmp_path / "federal_districts.csv").write_text(
        "federal_district,macro_region,macro_region_label\nСибирский,siberia,Сибирь\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError) as err:
        load_units(path)
    msg = err.value.message
    assert "строка 3, столбец unit_id" in msg and "«a» повторяется" in msg
    assert "kind «town»" in msg and "borders_china «yes»" in msg and "lat «500»" in msg
