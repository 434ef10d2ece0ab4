"""XLSForm export (checked by converting it with pyxform) and ingest of KoboToolbox/ODK data exports."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest

from survey.forms.xlsform import LANGUAGE
from survey.inputs.validate import validate

from .conftest import DATA
from .helpers import survey

pyxform = pytest.importorskip("pyxform")
from pyxform.xls2xform import convert  # noqa: E402


@pytest.fixture(scope="module")
def form(tmp_path_factory):
    path = tmp_path_factory.mktemp("xlsform") / "form.xlsx"
    assert survey("xlsform", "-o", path).code == 0
    return path


def test_xlsform_sheets_and_columns(form):
    wb = openpyxl.load_workbook(form)
    assert wb.sheetnames == ["survey", "choices", "settings"]
    header = [c.value for c in wb["survey"][1]]
    assert header[:5] == ["type", "name", f"label::{LANGUAGE}", f"hint::{LANGUAGE}", "required"]
    assert "constraint" in header and f"constraint_message::{LANGUAGE}" in header
    rows = {r[1]: r for r in wb["survey"].iter_rows(min_row=2, values_only=True)}
    assert rows["q2_areas"][0] == "select_multiple q2_areas" and rows["q1_state"][0] == "select_one q1_state"
    assert rows["unit_id"][0] == "select_one units" and rows["years_cooperation"][0] == "integer"
    assert rows["interview_date"][0] == "date" and rows["q3_problems"][0] == "text"
    assert rows["q7_proposals"][4] is None and rows["q3_problems"][4] == "yes"
    assert [c.value for c in wb["choices"][1]] == ["list_name", "name", f"label::{LANGUAGE}"]
    choices = list(wb["choices"].iter_rows(min_row=2, values_only=True))
    assert sum(1 for c in choices if c[0] == "units") == 77
    assert ("q1_state", "dont_know", "затрудняюсь ответить") in choices
    settings = dict(zip([c.value for c in wb["settings"][1]], [c.value for c in wb["settings"][2]]))
    assert (settings["form_id"], settings["version"], settings["default_language"]) == (
        "sister-cities-china",
        "1.0",
        LANGUAGE,
    )


def test_pyxform_converts_without_errors_or_warnings(form):
    warnings: list[str] = []
    result = convert(xlsform=str(form), validate=False, warnings=warnings)
    assert warnings == []
    xform = result.xform
    assert '<data id="sister-cities-china" version="1.0">' in xform
    assert '<translation lang="Russian (ru)" default="true()">' in xform
    assert 'nodeset="/data/respondent/years_cooperation" type="int" required="true()"' in xform
    assert "constraint=\". &gt;= date('2021-03-01') and . &lt;= date('2022-12-31')\"" in xform
    assert 'nodeset="/data/questions/q2_areas" type="string" required="true()"' in xform
    assert "<value>затрудняюсь ответить</value>" in xform and "<value>Еврейская автономная область</value>" in xform


def _kobo_rows():
    text = (DATA / "kobo-export.csv").read_text(encoding="utf-8")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


EXPECTED = {
    "K01": {
        "unit_id": "blagoveshchensk",
        "interview_mode": 1,
        "interview_date": dt.datetime(2021, 5, 20),
        "q1_state": 4,
        "q4_covid": 1,
        "q6_prospects": 5,
        "years_cooperation": 15,
        "q2": {"education", "culture", "tourism"},
        "q5": {"delegations", "festivals"},
    },
    "K02": {
        "unit_id": "samara_oblast",
        "interview_mode": 2,
        "interview_date": dt.datetime(2022, 2, 3),
        "q1_state": 9,
        "q4_covid": 3,
        "q6_prospects": 3,
        "years_cooperation": 8,
        "q2": {"trade"},
        "q5": {"online"},
    },
    "K03": {
        "unit_id": "tver",
        "interview_mode": 3,
        "interview_date": dt.datetime(2021, 11, 30),
        "q1_state": 2,
        "q4_covid": 2,
        "q6_prospects": 4,
        "years_cooperation": 6,
        "q2": {"youth", "sport"},
        "q5": {"student_exchange", "forums"},
    },
}


def _check(result, questionnaire):
    assert result.report.valid, [str(p) for p in result.report.problems]
    data = result.data.set_index("expert_id")
    assert list(data.index) == ["K01", "K02", "K03"]
    for eid, want in EXPECTED.items():
        row = data.loc[eid]
        for key, value in want.items():
            if key in ("q2", "q5"):
                f = questionnaire.field("q2_areas" if key == "q2" else "q5_forms")
                assert {o.name for o in f.options if row[f.option_column(o)] == 1} == value, (eid, key)
            else:
                assert row[key] == value, (eid, key)
    assert data.loc["K01", "q3_problems"] == "Далеко от Китая, мало прямых рейсов; пандемия."


def test_kobo_csv_export_with_groups_and_both_select_multiple_forms(questionnaire, units):
    result = validate(DATA / "kobo-export.csv", questionnaire, units)
    _check(result, questionnaire)
    # KoboToolbox's own columns (start, end, _id, _uuid …) are not answers: left out without a warning
    assert result.report.problems == []


@pytest.mark.parametrize("form_kind", ["space-separated", "zero-one-columns"])
def test_kobo_xlsx_export_with_one_select_multiple_form(tmp_path, questionnaire, units, form_kind):
    rows = _kobo_rows()
    header = rows[0]
    multiple = {"questions/q2_areas", "questions/q5_forms"}
    if form_kind == "space-separated":
        keep = [i for i, h in enumerate(header) if h.rsplit("/", 1)[0] not in multiple]
    else:
        keep = [i for i, h in enumerate(header) if h not in multiple]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Экспертный опрос о российско-ки"  # Kobo names the sheet after the form title
    for row in rows:
        ws.append([int(row[i]) if form_kind == "zero-one-columns" and row[i] in ("0", "1") else row[i] for i in keep])
    path = tmp_path / f"kobo-{form_kind}.xlsx"
    wb.save(path)
    _check(validate(path, questionnaire, units), questionnaire)


def test_odk_export_with_hyphen_group_prefix(tmp_path, questionnaire, units):
    rows = _kobo_rows()
    header = [h.replace("respondent/", "respondent-").replace("questions/", "questions-") for h in rows[0]]
    path = tmp_path / "odk-central-export.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *rows[1:]])
    _check(validate(path, questionnaire, units), questionnaire)


def test_kobo_export_with_a_wrong_choice_names_row_and_column(tmp_path, questionnaire, units):
    rows = _kobo_rows()
    col = rows[0].index("questions/q5_forms")
    rows[2][col] = "online webinars"  # "webinars" is not a choice
    path = tmp_path / "kobo-unknown-choice.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, delimiter=";").writerows(rows)
    result = validate(path, questionnaire, units)
    [error] = result.report.errors
    assert (error.location.row, error.location.header) == (3, "questions/q5_forms")
    assert error.message.startswith("«Эффективные формы»: варианты «webinars» не входят в список.")
