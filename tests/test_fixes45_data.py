"""Defects of the hostile reviews 45a/45b in data handling, exports and reports.

Each test fails without its fix; numbers are recomputed here with pandas and scipy from the
run's own data files, not with the package.
"""

from __future__ import annotations

import csv
import re
import shutil

import pandas as pd
import pytest
from scipy import stats

from survey.pipeline import run

from .conftest import ROOT
from .pspp import needs_pspp, run_pspp

GERMAN = ROOT / "examples" / "german_partner_cities"
BLANKED = ("tula", "kazan", "pskov")  # units whose federal district is emptied


def _copy_study(tmp_path, units_edit=None):
    study = tmp_path / "study"
    shutil.copytree(GERMAN, study)
    if units_edit is not None:
        path = study / "units.csv"
        with path.open(encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        rows = units_edit(rows)
        with path.open("w", encoding="utf-8", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    return study


def _read(out, name):
    return pd.read_csv(out / name, keep_default_na=False, na_values=[""])


# ---------------------------------------------------------------- 45b #3: an empty grouping value


@pytest.fixture(scope="module")
def blank_group_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("blank_group")

    def blank(rows):
        return [dict(r, federal_district="" if r["unit_id"] in BLANKED else r["federal_district"]) for r in rows]

    study = _copy_study(tmp, blank)
    return run(study=study, out=tmp / "out")


@pytest.mark.slow
def test_blank_grouping_value_is_no_group_but_counts_in_the_total(blank_group_run):
    out = blank_group_run.out
    data = _read(out, "data/responses.csv")
    units = pd.read_csv(out.parent / "study" / "units.csv", keep_default_na=False).set_index("unit_id")
    codes = _read(out, "coding/codes_final.csv")
    codes = codes[codes["question"] == "q4_difficulties"] if "question" in codes.columns else codes
    frame = data[["expert_id", "unit_id"]].merge(codes, on="expert_id")
    frame["district"] = frame["unit_id"].map(units["federal_district"])
    lost = frame["district"] == ""
    assert int(lost.sum()) == 5  # Тула 2, Казань 2, Псков 1 (the reviewer's count)
    table = _read(out, "tables/problems_by_group.csv")
    groups = set(table["group"]) - {"total"}
    assert groups == set(frame.loc[~lost, "district"])  # four districts, no nameless group
    grouped = frame[~lost]
    for cat in ("visas", "sanctions", "funding"):
        part = table[table["category"] == cat].set_index("group")
        for g, sub in grouped.groupby("district"):
            assert (part.loc[g, "base"], part.loc[g, "respondents"]) == (len(sub), int(sub[cat].sum()))
        # the total keeps every expert, those without a group too
        assert (part.loc["total", "base"], part.loc["total", "respondents"]) == (36, int(frame[cat].sum()))
    tests = _read(out, "tables/problem_tests_detail.csv").set_index("category")
    assert set(tests["groups"]) == {4}
    for cat in ("visas", "sanctions"):
        crosstab = pd.crosstab(grouped["district"], grouped[cat])
        chi = stats.chi2_contingency(crosstab.to_numpy(), correction=False)
        assert tests.loc[cat, "n"] == 31
        assert tests.loc[cat, "p_chi2"] == pytest.approx(chi.pvalue, rel=1e-9)


@pytest.mark.slow
def test_blank_grouping_value_is_reported(blank_group_run):
    out = blank_group_run.out
    problems = _read(out, "validation.csv")
    warning = problems[problems["code"] == "ungrouped"]
    assert len(warning) == 1
    message = warning["message"].iloc[0]
    assert "экспертов: 5" in message and all(u in message for u in BLANKED)
    assert warning["column"].iloc[0] == "federal_district"
    assert warning["severity"].iloc[0] == "warning"
    assert any(p.code == "ungrouped" for p in blank_group_run.report.problems)  # the run prints it
    import openpyxl

    sheet = openpyxl.load_workbook(out / "summary.xlsx")["Сводка"]
    texts = " ".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value)
    assert "Экспертов без группы — 5" in texts
    html = (out / "summary.html").read_text(encoding="utf-8")
    assert "Экспертов без группы — 5" in html


# ---------------------------------------------------------------- 45a #8: a true/false grouping


def _with_groups(frame, **groups):
    from dataclasses import replace

    from survey.analysis.frame import frame_study
    from survey.spec.study import Grouping

    study = frame_study(frame)
    extra = {col: Grouping(col, "сельские", values) for col, values in groups.items()}
    frame.attrs["study"] = replace(study, groups={**study.groups, **extra})
    return frame


@pytest.mark.parametrize(
    "values",
    [
        {"true": "сельская", "false": "городская"},  # as in the CSV
        {"да": "сельская", "нет": "городская"},  # as the .sav labels them
        {"True": "сельская", "False": "городская"},  # YAML's unquoted true/false keys
    ],
)
def test_true_false_grouping_takes_every_spelling_of_its_labels(values):
    from survey.analysis.frame import group_labels, sample_frame

    frame = _with_groups(sample_frame(), borders_china=values)
    assert frame["borders_china"].dtype == bool
    labels = group_labels(frame, "borders_china")
    assert labels == {"True": "сельская", "False": "городская", "total": "всего"}


def test_true_false_grouping_reads_da_net_without_labels():
    from survey.analysis.frame import group_labels, sample_frame
    from survey.analysis.tables import problems_by_group_detail

    frame = sample_frame()
    assert group_labels(frame, "borders_china") == {"True": "да", "False": "нет", "total": "всего"}
    detail = problems_by_group_detail(frame, ["distance"], "borders_china")
    assert list(detail["group_label"]) == ["да", "нет", "всего"]
    # the counts by hand: experts of border towns naming distance
    flag = frame["borders_china"]
    assert list(detail["base"]) == [int(flag.sum()), int((~flag).sum()), len(frame)]
    named = frame["distance"]
    assert list(detail["respondents"])[:2] == [int(named[flag].sum()), int(named[~flag].sum())]


def test_a_values_key_matching_no_value_is_a_warning(questionnaire, units):
    from survey.analysis.frame import grouping_problems, sample_frame

    frame = _with_groups(sample_frame(), borders_china={"ture": "сельская", "false": "городская"})
    data = frame[["expert_id", "unit_id"]]
    problems = grouping_problems(data, units, questionnaire, "border_status", frame.attrs["study"])
    assert [p.code for p in problems] == ["group-value-unknown"]
    assert "«ture»" in problems[0].message and "«да»" in problems[0].message
    assert problems[0].severity == "warning"
    # every key matched: no warning; a key for an absent value while all values are labelled: none either
    fine = _with_groups(sample_frame(), borders_china={"да": "сельская", "нет": "городская", "maybe": "?"})
    assert grouping_problems(data, units, questionnaire, "border_status", fine.attrs["study"]) == []


# ---------------------------------------------------------------- 45a #4: an answer longer than an SPSS string

LONG = ("Не хватает денег на поездки, визы получать долго. " * 400)[:19990]  # 35 983 bytes in UTF-8


@pytest.fixture(scope="module")
def long_answer_sav(tmp_path_factory):
    import openpyxl

    from survey.pipeline import export_sav

    tmp = tmp_path_factory.mktemp("long_sav")
    study = _copy_study(tmp)
    wb = openpyxl.load_workbook(study / "responses.xlsx")
    ws = wb["Ответы"]
    header = [c.value for c in ws[1]]
    ws.cell(row=2, column=header.index("q5_proposals") + 1, value=LONG)
    expert = ws.cell(row=2, column=header.index("expert_id") + 1).value
    wb.save(study / "responses.xlsx")
    return export_sav(None, tmp / "long.sav", study=study), expert


def test_an_answer_over_32767_bytes_is_cut_at_a_character_with_a_warning(long_answer_sav):
    import pyreadstat

    result, expert = long_answer_sav
    assert len(LONG) <= 20000 < len(LONG.encode("utf-8")) - 15000  # accepted by the tool, too long for SPSS
    df, meta = pyreadstat.read_sav(str(result.path))
    value = df.loc[df["expert_id"] == expert, "q5_proposals"].iloc[0]
    assert len(value.encode("utf-8")) <= 32767 and value.endswith("…")
    assert LONG.startswith(value[:-1].rstrip())  # a prefix, no broken character
    assert len(value) > 16000  # cut at the limit, not to a label's 255 bytes
    assert meta.original_variable_types["q5_proposals"] == "A32767"
    cut = [p for p in result.problems if p.code == "sav-string-cut"]
    assert len(cut) == 1 and expert in cut[0].message and "q5_proposals" in cut[0].message
    assert cut[0].severity == "warning" and cut[0].location.file.endswith("responses.xlsx")


@needs_pspp
def test_pspp_reads_the_cut_answer_whole(long_answer_sav, tmp_path):
    result, expert = long_answer_sav
    # run_pspp fails on any PSPP warning: before, PSPP dropped the long-string record («listed as
    # string of invalid length»), read the answer as 255 bytes and made ~140 junk variables
    out = run_pspp(tmp_path, f"GET FILE='{result.path}'.\nDISPLAY VARIABLES.\n")
    rows = [line.split("|")[1].strip() for line in out.splitlines() if line.startswith("|")]
    names = [r for r in rows if r and r != "Name"]
    assert len(names) == result.variables and "q5_proposals" in names
    out = run_pspp(
        tmp_path,
        f"GET FILE='{result.path}'.\nDISPLAY DICTIONARY /VARIABLES=q5_proposals.\n"
        "COMPUTE n=LENGTH(RTRIM(q5_proposals)).\nLIST expert_id n.\n",
    )
    assert "A32767" in out
    assert re.search(rf"\|{expert} +\| *32767\.00\|", out)


# ---------------------------------------------------------------- 45a #13: messages about a scale value


@pytest.mark.parametrize(
    ("value", "code", "message"),
    [
        ("3.5", "not-integer", "оценка «3.5» — не целое число."),
        ("3,5", "not-integer", "оценка «3,5» — не целое число."),
        (3.5, "not-integer", "оценка «3.5» — не целое число."),
        ("7 (хорошо)", "unknown-option", "значение «7 (хорошо)» — не оценка шкалы."),
        (11, "out-of-range", "оценка 11 вне шкалы 1–10."),
    ],
)
def test_scale_errors_name_every_valid_point(value, code, message):
    from survey.inputs.cells import parse_choice
    from survey.spec.questionnaire import load_questionnaire

    field = load_questionnaire(GERMAN / "questionnaire.yaml").field("q1_satisfaction")  # 1–10, labelled at the ends
    assert [o.code for o in field.options] == [1, 10, 99]
    parsed, issue = parse_choice(value, field)
    assert parsed is None and issue is not None
    assert (str(issue.code), issue.message) == (code, message)
    assert issue.fix.startswith("Укажите оценку от 1 до 10 (целое число) или 99 — затрудняюсь ответить")
    assert "Выберите код" not in issue.fix
    assert parse_choice("7", field) == (7, None)  # an unlabelled point is valid


# ---------------------------------------------------------------- 45a #14: an empty unnamed column of units.csv

RUSSIAN_EXCEL_UNITS = (
    "unit_id;name;kind;district;rural;\r\n"
    "kazan;Казань;city;Приволжский;false;{extra}\r\n"
    "tomsk;Томск;city;Сибирский;false;\r\n"
)


def test_an_empty_unnamed_column_is_dropped(tmp_path, caplog):
    from survey.spec.units import load_units

    path = tmp_path / "units.csv"
    path.write_bytes(RUSSIAN_EXCEL_UNITS.format(extra="").encode("cp1251"))
    units = load_units(path)
    assert list(units.columns) == ["name", "kind", "district", "rural"]
    assert not caplog.records


def test_an_unnamed_column_with_values_is_kept_with_a_warning(tmp_path, caplog):
    from survey.spec.units import load_units

    path = tmp_path / "units.csv"
    path.write_bytes(RUSSIAN_EXCEL_UNITS.format(extra="примечание").encode("cp1251"))
    units = load_units(path)
    assert "Unnamed: 5" in units.columns
    (record,) = [r for r in caplog.records if r.levelname == "WARNING"]
    text = record.getMessage()
    assert "у столбца 6 нет заголовка" in text and "строка 2: «примечание»" in text and str(path) in text


# ---------------------------------------------------------------- 45b #4: long answers on the «Данные» sheet

SANCTIONS = ("Главная проблема — санкции и заморозка официальных контактов. " * 90)[:5000]


@pytest.mark.slow
def test_long_answers_keep_row_heights_valid_and_are_marked_as_shortened(tmp_path):
    import openpyxl

    study = _copy_study(tmp_path)
    wb = openpyxl.load_workbook(study / "responses.xlsx")
    ws = wb["Ответы"]
    header = [c.value for c in ws[1]]
    col = header.index("q4_difficulties") + 1
    long_ids = [ws.cell(row=r, column=header.index("expert_id") + 1).value for r in (2, 3, 4)]
    for r in (2, 3, 4):
        ws.cell(row=r, column=col, value=SANCTIONS)
    wb.save(study / "responses.xlsx")
    out = run(study=study, out=tmp_path / "out").out
    book = openpyxl.load_workbook(out / "summary.xlsx")
    for sheet in book.worksheets:  # Excel's largest row height is 409 pt (the run wrote 1817 before)
        assert all((d.height or 0) <= 409 for d in sheet.row_dimensions.values()), sheet.title
    data = book["Данные"]
    cells = {row[0]: row for row in data.iter_rows(values_only=True) if row[0] in long_ids}
    assert set(cells) == set(long_ids)
    for row in cells.values():
        answer = next(v for v in row if isinstance(v, str) and v.startswith("Главная проблема"))
        assert answer.endswith("(сокращено: ответ полностью — в data/responses.csv)")
        assert SANCTIONS.startswith(answer.split(" […]")[0])
        assert 500 < len(answer) < len(SANCTIONS)
    note = data["A1"].value
    assert all(e in note for e in long_ids) and "data/responses.csv" in note
    # every row fits an A4 landscape page below the repeated headings (a taller one was cut off on paper)
    heading = int(data.print_title_rows.split(":")[0].strip("$"))
    page = (8.27 - data.page_margins.top - data.page_margins.bottom) * 72
    rows = [d.height or 15 for r, d in data.row_dimensions.items() if r > heading]
    assert data.row_dimensions[heading].height + max(rows) <= page
    full = _read(out, "data/responses.csv").set_index("expert_id")
    assert (full.loc[long_ids, "q4_difficulties"] == SANCTIONS).all()  # whole in the data file
    # the other answers are untouched
    short = [
        row for row in data.iter_rows(min_row=3, values_only=True) if row[0] in full.index and row[0] not in long_ids
    ]
    assert short and not any(isinstance(v, str) and "сокращено" in v for row in short for v in row)


# ---------------------------------------------------------------- 45b #5: dense bars lose their value labels


@pytest.mark.parametrize(("n_groups", "labels"), [(2, True), (4, True), (13, False)])
def test_chart_value_labels_only_where_bars_leave_room(n_groups, labels):
    from types import SimpleNamespace

    from survey.reports.charts import problems_figure

    cats = ["Визы", "Санкции", "Язык"]
    groups = [
        SimpleNamespace(label=f"Земля {j}", percent=[50.0, 25.0, 75.0], low=[40.0, 15, 65], high=[60.0, 35, 85])
        for j in range(n_groups)
    ]
    ax = problems_figure(cats, groups).axes[0]
    percents = [t.get_text() for t in ax.texts if t.get_text().endswith("%")]
    assert len(percents) == (n_groups * len(cats) if labels else 0)
