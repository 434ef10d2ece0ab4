"""SPSS export: written with pyreadstat, read back with labels, missing values and measures intact."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyreadstat
import pytest

from survey.coding.coder import Coder, code_responses
from survey.errors import InvalidDataError
from survey.exports.spss import (
    FILE_LABEL_BYTES,
    VALUE_LABEL_BYTES,
    VARIABLE_LABEL_BYTES,
    fit_bytes,
    note_lines,
)
from survey.inputs.validate import validate
from survey.pipeline import export_sav
from survey.spec.codebook import load_codebook

from .conftest import DATA, ROOT
from .helpers import survey


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
    assert data.columns[:8].tolist() == [
        "expert_id",
        "unit_id",
        "unit",
        "unit_kind",
        "borders_china",
        "federal_subject",
        "federal_district",
        "macro_region",
    ]
    assert meta.file_label.startswith("SYNTHETIC") and len(meta.file_label.encode()) <= FILE_LABEL_BYTES
    assert meta.notes[0].startswith("ДАННЫЕ СИНТЕТИЧЕСКИЕ")


def test_variable_labels_are_the_russian_questions(sav, questionnaire):
    _, _, meta = sav
    labels = meta.column_names_to_labels
    q1 = questionnaire.field("q1_state")
    assert labels["q1_state"] == f"1. {q1.text}"
    assert labels["interview_date"] == "Дата проведения опроса"
    assert labels["q2_areas_education"] == "2. Сферы сотрудничества: образование"
    assert labels["q3_problems_distance"] == "3. Проблемы и трудности — код: Удалённость и транспортная доступность"
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
    assert vl["macro_region"] == {1: "Европейская Россия", 2: "Урал", 3: "Сибирь", 4: "Дальний Восток"}
    assert all(len(v.encode("utf-8")) <= VALUE_LABEL_BYTES for labels in vl.values() for v in labels.values())
    for var in ("q1_state", "q4_covid", "q6_prospects"):
        assert meta.missing_ranges[var] == [{"lo": 9.0, "hi": 9.0}]
    assert "interview_mode" not in meta.missing_ranges
    measure = meta.variable_measure
    assert (measure["q1_state"], measure["q6_prospects"]) == ("ordinal", "ordinal")
    assert (measure["interview_mode"], measure["q2_areas_trade"], measure["q3_problems"]) == ("nominal",) * 3
    assert (measure["years_cooperation"], measure["interview_date"]) == ("scale", "scale")
    types = meta.original_variable_types
    assert (types["interview_date"], types["q1_state"], types["unit"]) == ("DATE11", "F1.0", "F2.0")
    assert types["expert_id"].startswith("A")
    assert isinstance(data["interview_date"].iloc[0], dt.date)


def test_values_match_validation_and_coding(sav, questionnaire, units):
    _, data, _ = sav
    valid = validate(ROOT / "responses" / "sample.xlsx", questionnaire, units).data
    assert data["expert_id"].tolist() == valid["expert_id"].tolist()
    assert data["q1_state"].astype(int).tolist() == valid["q1_state"].astype(int).tolist()
    assert (pd.to_datetime(data["interview_date"]) == valid["interview_date"].reset_index(drop=True)).all()
    assert data["unit_id"].tolist() == valid["unit_id"].tolist()
    border_units = set(units.index[units["borders_china"]])
    assert int(data["borders_china"].sum()) == int(valid["unit_id"].isin(border_units).sum())
    cb = load_codebook(questionnaire=questionnaire)
    coded = code_responses(valid, questionnaire, Coder(cb)).set_index("expert_id")
    for cat in cb.ids:
        assert data[f"q3_problems_{cat}"].astype(int).tolist() == coded.loc[data["expert_id"], cat].tolist(), cat
    assert int(data["q3_problems_covid"].sum()) == 123  # every expert names the pandemic
    # without user-missing, «затрудняюсь ответить» (9) reads as system-missing
    plain, _ = pyreadstat.read_sav(sav[0].path, usecols=["q1_state"])
    assert plain["q1_state"].isna().sum() == (data["q1_state"] == 9).sum() > 0


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
    assert not (tmp_path / "bad.sav").exists()
    skipped = export_sav(DATA / "bad-date.csv", tmp_path / "bad.sav", skip_invalid=True)
    assert (skipped.cases, skipped.rejected, skipped.synthetic) == (2, 1, False)


@pytest.mark.slow
def test_cli_export_sav(tmp_path):
    out = survey("export-sav", "-o", tmp_path / "x.sav", "--responses", DATA / "valid.csv")
    assert out.code == 0, out.err
    assert "наблюдений: 3" in out.out
    bad = survey("export-sav", "-o", tmp_path / "x.csv")
    assert bad.code == 2 and "расширение .sav" in bad.err


def test_label_limits_cut_at_character_boundaries():
    text = "Как Вы оцениваете нынешнее состояние сотрудничества " * 6
    cut = fit_bytes(text, VARIABLE_LABEL_BYTES)
    assert len(cut.encode("utf-8")) <= VARIABLE_LABEL_BYTES and cut.endswith("…")
    assert text.startswith(cut[:-1])
    lines = note_lines(text)
    assert all(len(line.encode("utf-8")) <= 80 for line in lines) and " ".join(lines) == text.strip()
