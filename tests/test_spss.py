"""SPSS export: written with pyreadstat, read back with labels, missing values, measures, formats and
multiple-response sets intact; PSPP (when installed) reads the sets and prints means with decimals."""

from __future__ import annotations

import datetime as dt
import struct

import pandas as pd
import pyreadstat
import pytest

from survey.coding.coder import Coder, code_responses
from survey.errors import InvalidDataError, OutputError
from survey.exports.mrsets import MRSet, MRSetError
from survey.exports.spss import (
    FILE_LABEL_BYTES,
    VALUE_LABEL_BYTES,
    VARIABLE_LABEL_BYTES,
    comment_block,
    fit_bytes,
    note_lines,
    sav_dataset,
    save_sav,
    syntax_path,
    unit_attributes,
    write_sav,
)
from survey.inputs.validate import validate
from survey.pipeline import export_sav
from survey.spec.codebook import load_codebook
from survey.spec.questionnaire import Field, Option, Questionnaire
from survey.spec.study import Grouping, Study

from .conftest import DATA, ROOT
from .helpers import CATS, survey
from .pspp import mr_table, needs_pspp, run_pspp

SETS = {
    "q2_areas": "2. Сферы сотрудничества",
    "q3_problems": "3. Проблемы и трудности — коды ответов",
    "q5_forms": "5. Эффективные формы",
}


@pytest.fixture(scope="module")
def sav(tmp_path_factory):
    path = tmp_path_factory.mktemp("sav") / "responses.sav"
    result = export_sav(None, path)
    data, meta = pyreadstat.read_sav(path, user_missing=True)
    return result, data, meta


def test_cases_variables_and_anonymity(sav):
    result, data, meta = sav
    assert (result.cases, result.rejected, result.synthetic) == (123, 0, True)
    assert len(data) == 123 and result.variables == len(data.columns)
    assert "expert_name" not in data.columns and "source_file" not in data.columns
    # the unit, then every gazetteer column beyond unit_id and name, in the gazetteer's order, then
    # what the study derives (macro_region_label is the labels of macro_region, not a variable)
    assert data.columns[:15].tolist() == [
        "expert_id",
        "unit_id",
        "unit",
        "kind",
        "federal_subject",
        "federal_district",
        "borders_china",
        "lat",
        "lon",
        "macro_region",
        "border_status",
        "border_distance_km",
        "log10_distance",
        "distance_band",
        "position",
    ]
    assert meta.file_label.startswith("СИНТЕТИЧЕСКИЕ") and len(meta.file_label.encode()) <= FILE_LABEL_BYTES
    assert meta.notes[0].startswith("ДАННЫЕ СИНТЕТИЧЕСКИЕ")


def test_variable_labels_are_the_russian_questions(sav, questionnaire):
    _, _, meta = sav
    labels = meta.column_names_to_labels
    q1 = questionnaire.field("q1_state")
    assert labels["q1_state"] == f"1. {q1.text}"
    assert labels["interview_date"] == "Дата проведения опроса"
    assert labels["q2_areas_education"] == "2. Сферы сотрудничества: образование"
    assert labels["q3_problems_distance"] == "3. Проблемы и трудности — код: Удалённость и транспортная доступность"
    # gazetteer columns: the tool's documented ones labelled, any other by its own name (nothing study-specific)
    assert (labels["kind"], labels["federal_district"], labels["lat"]) == (
        "Тип единицы: город или регион",
        "Федеральный округ",
        "Широта, градусы",
    )
    # the study's own names (study.yaml: border, groups), not the tool's
    assert (labels["borders_china"], labels["border_status"]) == (
        "Граница с Китаем",
        "Приграничные и неприграничные единицы",
    )
    assert all(len(v.encode("utf-8")) <= VARIABLE_LABEL_BYTES for v in labels.values())


def test_value_labels_missing_values_and_measures(sav):
    _, data, meta = sav
    vl = meta.variable_value_labels
    assert vl["q1_state"] == {
        1: "очень слабое",
        2: "слабое",
        3: "удовлетворительное",
        4: "хорошее",
        5: "очень хорошее",
        9: "затрудняюсь ответить",
    }
    assert vl["interview_mode"] == {1: "очно", 2: "телефон", 3: "Skype", 4: "письменно"}
    assert vl["q2_areas_trade"] == {0: "не выбрано", 1: "выбрано"}
    assert vl["q3_problems_covid"] == {0: "не названа", 1: "названа"}
    assert len(vl["unit"]) == 77 and vl["borders_china"] == {0: "нет", 1: "да"}
    assert vl["kind"] == {1: "город", 2: "регион"}
    # text categories numbered in alphabetical order of their labels; macro_region_label gives the labels
    assert vl["macro_region"] == {1: "Дальний Восток", 2: "Европейская Россия", 3: "Сибирь", 4: "Урал"}
    assert vl["border_status"] == {1: "приграничная", 2: "неприграничная"}
    assert list(vl["federal_district"].values()) == sorted(vl["federal_district"].values())
    assert all(len(v.encode("utf-8")) <= VALUE_LABEL_BYTES for labels in vl.values() for v in labels.values())
    for var in ("q1_state", "q4_covid", "q6_prospects"):
        assert meta.missing_ranges[var] == [{"lo": 9.0, "hi": 9.0}]
    assert "interview_mode" not in meta.missing_ranges
    measure = meta.variable_measure
    assert (measure["q1_state"], measure["q6_prospects"]) == ("ordinal", "ordinal")
    assert (measure["interview_mode"], measure["q2_areas_trade"], measure["q3_problems"]) == ("nominal",) * 3
    assert (measure["years_cooperation"], measure["interview_date"], measure["lat"]) == ("scale",) * 3
    assert (measure["kind"], measure["borders_china"], measure["macro_region"]) == ("nominal",) * 3
    assert isinstance(data["interview_date"].iloc[0], dt.date)


def test_print_formats_per_measure(sav):
    """Scales and numbers F8.2 (means print with two decimals), codes as wide as the widest code, flags F1.0."""
    _, _, meta = sav
    types = meta.original_variable_types
    assert (types["q1_state"], types["q6_prospects"], types["years_cooperation"]) == ("F8.2",) * 3
    assert (types["interview_mode"], types["q4_covid"], types["kind"], types["macro_region"]) == ("F1.0",) * 4
    assert (types["unit"], types["federal_subject"]) == ("F2.0", "F2.0")  # 77 units, 49 subjects
    assert (types["q2_areas_trade"], types["q3_problems_covid"], types["borders_china"]) == ("F1.0",) * 3
    assert (types["lat"], types["lon"]) == ("F8.4", "F8.4")  # the gazetteer's four decimals
    assert types["interview_date"] == "DATE11" and types["expert_id"].startswith("A")


def test_values_match_validation_and_coding(sav, questionnaire, units):
    _, data, meta = sav
    valid = validate(ROOT / "responses" / "sample.xlsx", questionnaire, units).data
    assert data["expert_id"].tolist() == valid["expert_id"].tolist()
    assert data["q1_state"].astype(int).tolist() == valid["q1_state"].astype(int).tolist()
    assert (pd.to_datetime(data["interview_date"]) == valid["interview_date"].reset_index(drop=True)).all()
    assert data["unit_id"].tolist() == valid["unit_id"].tolist()
    border_units = set(units.index[units["borders_china"]])
    assert int(data["borders_china"].sum()) == int(valid["unit_id"].isin(border_units).sum())
    # every gazetteer attribute: the label of the case's code is the unit's value in the gazetteer
    unit_of_case = data["unit_id"]
    for column in ("kind", "federal_subject", "federal_district", "border_status"):
        labels = meta.variable_value_labels[column]
        expected = units.loc[unit_of_case, column].tolist()
        got = [labels[int(c)] for c in data[column]]
        if column == "kind":
            expected = [{"city": "город", "region": "регион"}[k] for k in expected]
        if column == "border_status":  # review 48 #3: the study's words for a unit, not the slugs
            expected = [{"border": "приграничная", "non_border": "неприграничная"}[k] for k in expected]
        assert got == expected, column
    # the derived distance bands: labelled as the reports name them, codes in the order of the bands
    bands = meta.variable_value_labels["distance_band"]
    assert bands == {1: "до 500 км", 2: "500–1500 км", 3: "1500–3000 км", 4: "3000 км и более"}
    assert meta.column_names_to_labels["distance_band"] == "Расстояние до границы с Китаем: интервал"
    assert (
        meta.column_names_to_labels["border_status"] == "Приграничные и неприграничные единицы"
    )  # the study's grouping label
    km = units.loc[unit_of_case, "border_distance_km"].to_numpy()
    assert (data.loc[km >= 3000, "distance_band"] == 4).all() and (data.loc[km < 500, "distance_band"] == 1).all()
    labels = meta.variable_value_labels["macro_region"]
    assert [labels[int(c)] for c in data["macro_region"]] == units.loc[unit_of_case, "macro_region_label"].tolist()
    assert data["lat"].tolist() == pytest.approx(units.loc[unit_of_case, "lat"].tolist(), abs=1e-9)
    cb = load_codebook(questionnaire=questionnaire)
    coded = code_responses(valid, questionnaire, Coder(cb)).set_index("expert_id")
    for cat in cb.ids:
        assert data[f"q3_problems_{cat}"].astype(int).tolist() == coded.loc[data["expert_id"], cat].tolist(), cat
    assert int(data["q3_problems_covid"].sum()) == 123  # every expert names the pandemic
    # without user-missing, «затрудняюсь ответить» (9) reads as system-missing
    plain, _ = pyreadstat.read_sav(sav[0].path, usecols=["q1_state"])
    assert plain["q1_state"].isna().sum() == (data["q1_state"] == 9).sum() > 0


def test_multiple_response_sets_read_back(sav, questionnaire):
    _, _, meta = sav
    expected_vars = {
        "q2_areas": [f"q2_areas_{o.name}" for o in questionnaire.field("q2_areas").options],
        "q3_problems": [f"q3_problems_{c}" for c in CATS],
        "q5_forms": [f"q5_forms_{o.name}" for o in questionnaire.field("q5_forms").options],
    }
    assert meta.mr_sets == {
        name: {
            "type": "D",
            "is_dichotomy": True,
            "counted_value": 1,
            "label": SETS[name],
            "variable_list": expected_vars[name],
        }
        for name in SETS
    }
    assert len(expected_vars["q2_areas"]) == 12 and len(expected_vars["q5_forms"]) == 9


def test_syntax_file_beside_the_sav(sav):
    path = sav[0].path
    sps = syntax_path(path)
    assert sps == path.with_name("responses.sps")
    raw = sps.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM, which SPSS needs to read it as UTF-8
    text = raw.decode("utf-8-sig")
    assert text.startswith("* ДАННЫЕ СИНТЕТИЧЕСКИЕ")
    assert "Откройте responses.sav" in text
    for name, label in SETS.items():
        assert f"/MDGROUP NAME=${name}\n    LABEL='{label}'\n" in text
    assert text.count("VALUE=1") == 3 and text.rstrip().endswith(".")
    assert all(len(line) <= 80 for line in text.splitlines())
    # comments end only at their last line: no inner line of a comment ends with a period
    for block in text.split("MRSETS")[0].split("\n* "):
        assert all(not line.endswith(".") for line in block.splitlines()[:-1])


@needs_pspp
def test_pspp_lists_the_sets_and_accepts_the_syntax(sav, tmp_path):
    path = sav[0].path
    table = mr_table(run_pspp(tmp_path, f"GET FILE='{path}'.\nMRSETS /DISPLAY NAME=ALL.\n"))
    assert {name: (t["label"], t["encoding"], t["counted"]) for name, t in table.items()} == {
        f"${name}": (label, "Dichotomies", "1") for name, label in SETS.items()
    }
    _, _, meta = sav
    assert all(table[f"${n}"]["vars"] == meta.mr_sets[n]["variable_list"] for n in SETS)
    # the same file without the records, plus the .sps: PSPP defines the same sets
    plain, plain_meta = pyreadstat.read_sav(path, user_missing=True)
    bare = tmp_path / "bare.sav"
    pyreadstat.write_sav(plain, bare, column_labels=plain_meta.column_names_to_labels)
    assert pyreadstat.read_sav(bare, metadataonly=True)[1].mr_sets == {}
    by_syntax = run_pspp(
        tmp_path,
        f"GET FILE='{bare}'.\nINCLUDE FILE='{syntax_path(path)}'.\nMRSETS /DISPLAY NAME=ALL.\n",
        "syntax.sps",
    )
    assert mr_table(by_syntax) == table


@needs_pspp
def test_pspp_prints_means_with_two_decimals(sav, tmp_path):
    """MEANS prints a mean in the variable's print format: with F1.0 the scale means printed as «3»."""
    path = sav[0].path
    _, data, _ = sav
    out = run_pspp(
        tmp_path,
        f"GET FILE='{path}'.\nDESCRIPTIVES q1_state q6_prospects years_cooperation.\n"
        "MEANS TABLES=q1_state q6_prospects years_cooperation BY kind.\n",
    )
    for var in ("q1_state", "q6_prospects", "years_cooperation"):
        valid = data.loc[data[var] != 9, var] if var != "years_cooperation" else data[var]
        mean = valid.mean()
        assert mean != round(mean), var  # the check needs a mean that is not whole
        assert out.count(f"{mean:.2f}|") == 2, (var, mean)  # DESCRIPTIVES and the MEANS «Total» row
        for kind, code in (("город", 1), ("регион", 2)):
            assert f"{valid[data['kind'] == code].mean():.2f}|" in out, (var, kind)


def test_zsav_is_compressed_with_sets(tmp_path):
    path = tmp_path / "x.zsav"
    export_sav(DATA / "valid.csv", path)
    assert struct.unpack_from("<i", path.read_bytes(), 72)[0] == 2  # ZLIB compression
    data, meta = pyreadstat.read_sav(path)
    assert len(data) == 3 and set(meta.mr_sets) == set(SETS)
    assert syntax_path(path).is_file()


def test_overrides_names_and_invalid_input(tmp_path):
    overrides = tmp_path / "overrides.csv"
    overrides.write_text("expert_id,override:no_problems\nE001,1\n", encoding="utf-8")
    path = tmp_path / "named.sav"
    export_sav(None, path, overrides=overrides, with_names=True)
    data, meta = pyreadstat.read_sav(path)
    assert data.loc[data["expert_id"] == "E001", "q3_problems_no_problems"].item() == 1
    assert meta.column_names_to_labels["expert_name"] == "Фамилия, имя, отчество эксперта"
    assert "source_file" in data.columns
    with pytest.raises(InvalidDataError):
        export_sav(DATA / "bad-date.csv", tmp_path / "bad.sav")
    assert not (tmp_path / "bad.sav").exists() and not (tmp_path / "bad.sps").exists()
    skipped = export_sav(DATA / "bad-date.csv", tmp_path / "bad.sav", skip_invalid=True)
    assert (skipped.cases, skipped.rejected, skipped.synthetic) == (2, 1, False)
    assert "ДАННЫЕ СИНТЕТИЧЕСКИЕ" not in syntax_path(tmp_path / "bad.sav").read_text(encoding="utf-8-sig")


@pytest.mark.slow
def test_cli_export_sav(tmp_path):
    out = survey("export-sav", "-o", tmp_path / "x.sav", "--responses", DATA / "valid.csv")
    assert out.code == 0, out.err
    assert "наблюдений: 3" in out.out and (tmp_path / "x.sps").is_file()
    bad = survey("export-sav", "-o", tmp_path / "x.csv")
    assert bad.code == 2 and "расширение .sav" in bad.err


def test_label_limits_cut_at_character_boundaries():
    text = "Как Вы оцениваете нынешнее состояние сотрудничества " * 6
    cut = fit_bytes(text, VARIABLE_LABEL_BYTES)
    assert len(cut.encode("utf-8")) <= VARIABLE_LABEL_BYTES and cut.endswith("…")
    assert text.startswith(cut[:-1])
    lines = note_lines(text)
    assert all(len(line.encode("utf-8")) <= 80 for line in lines) and " ".join(lines) == text.strip()
    block = comment_block("Слово т.е. слово " * 12)
    assert block.startswith("* ") and block.endswith(".\n")
    assert all(not line.endswith(".") for line in block.splitlines()[:-1])


# ---------------------------------------------------------------- another study


def _option(code: int, name: str, label: str) -> Option:
    return Option(code, name, label)


OTHER = Questionnaire(
    id="partner-cities-de",
    version="2",
    title="Опрос координаторов побратимских связей",
    fields=(
        Field("expert_id", "Код эксперта", "text", section="respondent", required=True),
        Field("unit_id", "Город", "single", section="respondent", options_from="units", required=True),
        Field(
            "gender",
            "Пол",
            "single",
            section="respondent",
            options=(_option(1, "male", "мужской"), _option(2, "female", "женский")),
        ),
        Field("age", "Возраст, лет", "integer", section="respondent", min=18, max=90),
        Field(
            "q1_trust",
            "Насколько Вы доверяете партнёрам?",
            "scale",
            number=1,
            short="Доверие",
            min=1,
            max=10,
            options=(
                _option(1, "none", "совсем не доверяю"),
                _option(10, "full", "полностью доверяю"),
                _option(99, "dont_know", "затрудняюсь ответить"),
            ),
            missing=(99,),
        ),
        Field(
            "q2_topics",
            "Темы встреч",
            "multiple",
            number=2,
            short="Темы",
            options=(
                _option(1, "culture", "культура"),
                _option(2, "youth", "молодёжь"),
                _option(3, "energy", "энергия"),
            ),
        ),
        Field("q3_only", "Единственный вариант", "multiple", number=3, options=(_option(1, "yes", "да"),)),
        Field("q4_barriers", "Что мешает сотрудничеству?", "text", number=4, short="Препятствия", coded=True),
    ),
)
TRUST = [1, 4, 10, 4, 7, 99, None]  # 99: «затрудняюсь ответить», None: no answer
AGES = [25, 40, 33, 58, 61, 47, 31]


def _gazetteer() -> pd.DataFrame:
    units = pd.DataFrame(
        {
            "unit_id": ["kaliningrad", "pskov", "tula", "vladimir"],
            "name": ["Калининград", "Псков", "Тула", "Владимир"],
            "partner_land": ["Бранденбург", "Нижняя Саксония", "", "Бранденбург"],
            "coastal": [True, False, False, None],  # boolean: 0/1 нет/да
            "population": ["489359", "187504", "467955", "345373"],  # numbers as text
            "okato": ["27401000000", "58401000000", "70401000000", "17401000000"],
            "oktmo": ["05701000", "58701000", "70701000", "17701000"],  # leading zeros: an identifier
            "Земля партнёра": ["BB", "NI", "", "BB"],  # not an SPSS name
            "age": ["1255", "1120", "1146", "1108"],  # clashes with the respondent field «age»
            "size": pd.Categorical(["large", "small", "large", "medium"], ["small", "medium", "large"], ordered=True),
            "region": ["kal", "psk", "tul", "vla"],
            "region_label": [
                "Калининградская область",
                "Псковская область",
                "Тульская область",
                "Владимирская область",
            ],
            "history": ["Очень длинная история сотрудничества. " * 5, "коротко", "", "коротко"],
        }
    ).set_index("unit_id")
    return units


def _other_data() -> tuple[pd.DataFrame, pd.DataFrame]:
    data = pd.DataFrame(
        {
            "expert_id": [f"D{i}" for i in range(1, 8)],
            "unit_id": ["kaliningrad", "pskov", "tula", "vladimir", "tula", "pskov", "kaliningrad"],
            "gender": [1, 2, 2, 1, 2, 1, 2],
            "age": AGES,
            "q1_trust": TRUST,
            "q2_topics_culture": [1, 0, 1, 1, 0, 1, 0],
            "q2_topics_youth": [0, 0, 1, 0, 1, 1, 0],
            "q2_topics_energy": [1, 1, 0, 0, 0, 0, 0],
            "q3_only_yes": [1, 0, 0, 1, 0, 0, 1],
            "q4_barriers": ["язык", "визы", "нет", "деньги", "визы", "язык", "нет"],
        }
    )
    codes = pd.DataFrame(
        {"expert_id": data["expert_id"], "language": [1, 0, 0, 0, 0, 1, 0], "visa": [0, 1, 0, 0, 1, 0, 0]}
    )
    return data, codes


@pytest.fixture(scope="module")
def other(tmp_path_factory):
    path = tmp_path_factory.mktemp("other") / "other.sav"
    data, codes = _other_data()
    write_sav(
        path,
        data,
        OTHER,
        _gazetteer(),
        codes=codes,
        code_labels={"language": "Язык", "visa": "Визы"},
        study=Study(
            title="Партнёрство",
            short_title="Партнёрство",
            groups={
                "partner_land": Grouping(
                    "partner_land", "земля-партнёр в Германии", values={"Бранденбург": "Бранденбург (Потсдам)"}
                )
            },
            synthetic_notice="Ответы придуманы для проверки экспорта.",
        ),
        synthetic=True,
    )
    read, meta = pyreadstat.read_sav(path, user_missing=True)
    return path, read, meta


def test_a_scale_labelled_at_its_ends_keeps_every_point(other):
    _, data, meta = other
    assert data["q1_trust"].tolist()[:6] == [1, 4, 10, 4, 7, 99] and pd.isna(data["q1_trust"].iloc[6])
    assert meta.variable_value_labels["q1_trust"] == {
        1: "совсем не доверяю",
        10: "полностью доверяю",
        99: "затрудняюсь ответить",
    }
    assert meta.missing_ranges["q1_trust"] == [{"lo": 99.0, "hi": 99.0}]
    assert meta.original_variable_types["q1_trust"] == "F8.2" and meta.variable_measure["q1_trust"] == "ordinal"
    assert meta.original_variable_types["age"] == "F8.2" and meta.original_variable_types["gender"] == "F1.0"


def test_another_gazetteer_is_exported_generically(other):
    _, data, meta = other
    units = _gazetteer()
    names = meta.column_names
    assert names[:3] == ["expert_id", "unit_id", "unit"]
    assert names[3:13] == [
        "partner_land",
        "coastal",
        "population",
        "okato",
        "oktmo",
        "Земля_партнёра",
        "unit_age",
        "size",
        "region",
        "history",
    ]
    assert "region_label" not in names and "name" not in names
    labels = meta.column_names_to_labels
    assert labels["partner_land"] == "Земля-партнёр в Германии"  # from the study's mapping
    assert (labels["Земля_партнёра"], labels["unit_age"], labels["coastal"]) == ("Земля партнёра", "age", "coastal")
    vl, types = meta.variable_value_labels, meta.original_variable_types
    # text categories: codes in alphabetical order, the texts as labels, blanks missing
    assert vl["partner_land"] == {1: "Бранденбург (Потсдам)", 2: "Нижняя Саксония"}  # the study's value names
    assert data["partner_land"].iloc[[0, 1, 3]].tolist() == [1, 2, 1] and pd.isna(data["partner_land"].iloc[2])
    assert vl["coastal"] == {0: "нет", 1: "да"} and types["coastal"] == "F1.0"
    assert data["coastal"].iloc[:3].tolist() == [1, 0, 0] and pd.isna(data["coastal"].iloc[3])
    # numbers written as text become numbers; identifiers with a leading zero stay categories
    assert data["population"].tolist() == [float(units.loc[u, "population"]) for u in data["unit_id"]]
    assert meta.variable_measure["population"] == "scale" and types["population"] == "F9.2"
    assert meta.variable_measure["okato"] == "scale" and types["okato"] == "F14.2"
    assert meta.variable_measure["oktmo"] == "nominal" and vl["oktmo"][1] == "05701000"
    assert vl["size"] == {1: "small", 2: "medium", 3: "large"}  # an ordered categorical keeps its order
    assert vl["region"][1] == "Владимирская область" and len(vl["region"]) == 4  # labels from region_label
    # a text longer than a value label may be stays a string, whole
    assert types["history"].startswith("A") and data["history"].iloc[0] == units.loc["kaliningrad", "history"].strip()
    for column in ("partner_land", "region"):
        source = units[column if column != "region" else "region_label"]
        got = [vl[column].get(c) if not pd.isna(c) else "" for c in data[column]]
        renamed = {"Бранденбург": "Бранденбург (Потсдам)"}  # the study's name of that value
        assert got == [renamed.get(source[u], source[u]) for u in data["unit_id"]], column


def test_sets_of_another_study(other):
    path, _, meta = other
    assert meta.mr_sets == {
        "q2_topics": {
            "type": "D",
            "is_dichotomy": True,
            "counted_value": 1,
            "label": "2. Темы",
            "variable_list": ["q2_topics_culture", "q2_topics_youth", "q2_topics_energy"],
        },
        "q4_barriers": {
            "type": "D",
            "is_dichotomy": True,
            "counted_value": 1,
            "label": "4. Препятствия — коды ответов",
            "variable_list": ["q4_barriers_language", "q4_barriers_visa"],
        },
    }  # a one-option question is no set
    text = syntax_path(path).read_text(encoding="utf-8-sig")
    assert "$q3_only" not in text
    # the study's own notice, not the bundled study's
    assert "ДАННЫЕ СИНТЕТИЧЕСКИЕ. Ответы придуманы для проверки экспорта." in text and "экспертов" not in text


@needs_pspp
def test_pspp_reads_another_study(other, tmp_path):
    path, data, _ = other
    out = run_pspp(
        tmp_path,
        f"GET FILE='{path}'.\nMRSETS /DISPLAY NAME=ALL.\n"
        "DESCRIPTIVES q1_trust age.\nMEANS TABLES=q1_trust BY gender.\n",
    )
    assert set(mr_table(out)) == {"$q2_topics", "$q4_barriers"}
    # by hand: trust 1, 4, 10, 4, 7 (99 is missing) → 26 / 5 = 5.20; age 295 / 7 = 42.14
    assert "5.20|" in out and "42.14|" in out
    assert "|мужской|2.50|2|" in out  # men: 1, 4 (99 missing) → 2.50 of 2
    assert "|женский|7.00|3|" in out  # women: 4, 10, 7 (one without answer) → 7.00 of 3, a whole mean with decimals


def test_unit_attributes_without_a_study_mapping():
    attrs = {a.column: a for a in unit_attributes(_gazetteer())}
    assert attrs["partner_land"].label == "partner_land" and attrs["partner_land"].kind == "category"
    assert (attrs["coastal"].kind, attrs["population"].kind, attrs["history"].kind) == ("flag", "number", "text")
    assert attrs["age"].name == "age"  # no clash without a questionnaire


def test_errors_are_clean_and_leave_nothing(tmp_path):
    data, codes = _other_data()
    ds = sav_dataset(data, OTHER, _gazetteer(), codes=codes)
    broken = ds.__class__(**{**ds.__dict__, "mr_sets": [MRSet("x", ("q2_topics_culture", "nope"), counted_value=1)]})
    with pytest.raises(MRSetError, match="nope"):
        save_sav(tmp_path / "x.sav", broken)
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    long = ds.__class__(**{**ds.__dict__, "frame": ds.frame.rename(columns={"age": "a" * 70}), "mr_sets": []})
    with pytest.raises(OutputError, match="64 байт"):
        save_sav(tmp_path / "x.sav", long)
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    (tmp_path / "file").write_text("not a folder", encoding="utf-8")
    with pytest.raises(OutputError, match="не удаётся создать файл"):
        save_sav(tmp_path / "file" / "x.sav", ds)
