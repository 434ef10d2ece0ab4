"""Defects of the hostile review 46 in reading response files and in the study's checks.

Each test fails without its fix.
"""

from __future__ import annotations

import openpyxl
import pytest

from survey.inputs.validate import validate
from survey.spec.codebook import load_codebook
from survey.spec.study import load_study, published_problems

from .conftest import ROOT

SAMPLE = ROOT / "responses" / "sample.xlsx"


def _sample_rows(tmp_path, name, edit):
    """A copy of the bundled sample's first sheet changed by ``edit(ws, header)``."""
    wb = openpyxl.load_workbook(SAMPLE)
    ws = wb.worksheets[0]
    edit(ws, [c.value for c in ws[1]])
    path = tmp_path / name
    wb.save(path)
    return path


def _keep_rows(ws, rows: dict[int, int]) -> None:
    """Move sheet rows (``{from: to}``) and blank every other data row."""
    values = {to: [c.value for c in ws[src]] for src, to in rows.items()}
    for r in range(2, ws.max_row + 1):
        for c in range(1, ws.max_column + 1):
            ws.cell(row=r, column=c).value = None
    for to, row in values.items():
        for c, v in enumerate(row, start=1):
            ws.cell(row=to, column=c).value = v


def test_a_repeated_column_holding_other_answers_rejects_those_rows(tmp_path, questionnaire, units):
    # review 46 #3: the administrator typed the proposals into a second «q7_proposals» column at the
    # end; the first copy was used and the answers lost behind a warning and «Ошибок не найдено»
    def edit(ws, header):
        first = header.index("q7_proposals") + 1
        extra = ws.max_column + 1
        ws.cell(row=1, column=extra).value = "q7_proposals"
        ws.cell(row=3, column=first).value = None
        ws.cell(row=3, column=extra).value = "Нужен штатный переводчик"  # the used copy is empty
        ws.cell(row=4, column=extra).value = ws.cell(row=4, column=first).value  # the same answer twice: fine
        ws.cell(row=5, column=extra).value = "Другой ответ"  # the copies differ

    result = validate(_sample_rows(tmp_path, "dup.xlsx", edit), questionnaire, units)
    errors = [p for p in result.report.problems if p.code == "duplicate-column-value"]
    assert [(p.location.row, p.location.column) for p in errors] == [(3, "AI"), (5, "AI")]
    assert "в столбце AH пусто, в столбце AI «Нужен штатный переводчик»" in errors[0].message
    assert not result.report.valid and len(result.report.rejected) == 2 and result.report.accepted == 121


def test_every_bad_option_cell_of_a_multiple_choice_question_is_named_at_once(tmp_path, questionnaire, units):
    # review 46 #4: only the first bad cell was named; the next appeared after it was fixed
    def edit(ws, header):
        _keep_rows(ws, {2: 2})
        for column, value in (("q2_areas_education", "возможно"), ("q2_areas_culture", "не знаю")):
            ws.cell(row=2, column=header.index(column) + 1).value = value
        ws.cell(row=2, column=header.index("q2_areas_sport") + 1).value = "2"

    result = validate(_sample_rows(tmp_path, "multi.xlsx", edit), questionnaire, units)
    errors = [p for p in result.report.problems if p.is_error]
    assert sorted(p.location.column for p in errors) == ["J", "K", "M"]
    assert all("«Сферы сотрудничества»: вариант" in p.message for p in errors)


def test_a_run_of_blank_rows_is_one_warning(tmp_path, questionnaire, units):
    # review 46 #7: one warning per blank row, 293 lines for a stray row far below the data
    path = _sample_rows(tmp_path, "far.xlsx", lambda ws, header: _keep_rows(ws, {2: 2, 3: 3, 4: 5, 5: 300, 6: 301}))
    result = validate(path, questionnaire, units)
    blank = [p for p in result.report.problems if p.code == "blank-row"]
    assert [p.location.row for p in blank] == [4, 6]
    assert blank[0].message == "пустая строка пропущена."
    assert blank[1].message == "пустые строки 6–299 (294 строки) пропущены."
    assert result.report.blank_rows == 295 and result.report.accepted == 5


@pytest.mark.parametrize(
    ("renamed", "fix"), [("mentalities", "возможно, category:mentalities"), ("culture", "culture, covid")]
)
def test_a_published_figure_of_a_category_the_codebook_lacks_is_named(renamed, fix):
    # review 46 #8: after a rename the check said «нет данных» without saying why
    study = load_study(ROOT / "questionnaires" / "study.yaml")
    ids = load_codebook().ids
    assert published_problems(study, ids) == []
    (problem,) = published_problems(study, [renamed if c == "mentality" else c for c in ids])
    assert problem.location.file == "published.csv" and problem.location.row == 7
    assert "в кодовой книге нет категории «mentality»" in problem.message and fix in problem.fix


def test_answers_pasted_on_a_sheet_without_the_header_row_are_an_error_not_a_note(tmp_path, questionnaire, units):
    # review 46 #6: «continued on sheet 2» without the header was skipped with a warning and
    # «Ошибок не найдено»; those experts were in neither «read» nor «rejected»
    def edit(ws, header):
        moved = [[c.value for c in ws[r]] for r in range(7, 11)]
        _keep_rows(ws, {r: r for r in range(2, 7)})
        more = ws.parent.create_sheet("Продолжение")
        for i, row in enumerate(moved, start=1):
            for c, v in enumerate(row, start=1):
                more.cell(row=i, column=c).value = v
        notes = ws.parent.create_sheet("Заметки")  # a sheet of notes is still only a warning
        notes["A1"], notes["A2"], notes["B3"] = "Анкеты собраны в марте", "Итого 123", "E001 перезвонить"

    result = validate(_sample_rows(tmp_path, "cont.xlsx", edit), questionnaire, units)
    (error,) = [p for p in result.report.problems if p.is_error]
    assert error.location.sheet == "Продолжение" and error.code == "sheet-not-read"
    assert "продолжение ответов без строки заголовков (4 строки с кодами экспертов в столбце A" in error.message
    assert "«Ответы»" in error.fix and not result.report.valid
    (note,) = [p for p in result.report.problems if p.location.sheet == "Заметки"]
    assert note.severity == "warning"


@pytest.mark.parametrize(
    ("low", "high", "shown"),
    [(-0.232, 1.232, (-23.2, 100.0)), (-1.230, 0.896, (-100.0, 89.6)), (0.5, 0.5, (None, None))],
)
def test_a_design_interval_of_a_difference_is_shown_within_the_possible_range(low, high, shown):
    # review 46b #4: «50,0 (−23,2 … 123,2)» and a zero-width «(50,0–50,0)» with five units
    import math

    from survey.reports.problems import _effect_row

    row = dict.fromkeys(
        ["risk_difference", "rd_ci_low", "rd_ci_high", "risk_ratio", "rr_ci_low", "rr_ci_high", "rr_design"]
        + ["rr_design_low", "rr_design_high", "odds_ratio", "or_ci_low", "or_ci_high", "or_conditional"]
        + ["or_conditional_low", "or_conditional_high", "percent_exposed", "percent_reference"],
        math.nan,
    )
    row.update(rd_design=0.5, rd_design_low=low, rd_design_high=high)
    out = _effect_row(row, clustered=True)
    got = tuple(None if v is None else round(v, 1) for v in (out["rd_lo"], out["rd_hi"]))
    assert out["rd"] == 50.0 and got == shown


def test_a_run_on_a_file_without_answers_says_why_and_does_not_advise_skipping(tmp_path):
    # review 46b #9: the run counted one error without naming it and advised --skip-invalid
    from .helpers import survey

    path = _sample_rows(tmp_path, "header.xlsx", lambda ws, header: ws.delete_rows(2, ws.max_row))
    res = survey("run", "--responses", path, "--out", tmp_path / "out")
    assert res.code == 1 and "Traceback" not in res.err
    assert "в файле нет ни одной анкеты: под строкой заголовков нет строк с ответами" in res.err
    assert "--skip-invalid" not in res.err and not (tmp_path / "out").exists()


def test_texts_readers_see_are_russian_and_not_said_twice():
    # review 46b #12: the .sav notice «ДАННЫЕ СИНТЕТИЧЕСКИЕ. Данные синтетические: …», a grouping
    # shown by its raw column id («Kind»)
    from survey.exports.spss import synthetic_note
    from survey.reports.context import grouping_label
    from survey.spec.study import SYNTHETIC_NOTICE

    study = load_study(ROOT / "questionnaires" / "study.yaml")
    note = synthetic_note(study)
    assert note.startswith("ДАННЫЕ СИНТЕТИЧЕСКИЕ") and note.lower().count("данные синтетические") == 1
    assert note.lower().endswith(SYNTHETIC_NOTICE.lower()[len("данные синтетические") :])
    assert grouping_label("kind", None, None) == "тип единицы"
    assert grouping_label("school_type", None, None) == "признак «school_type»"


def test_a_merged_cell_across_questions_is_named_by_its_columns(tmp_path, questionnaire, units):
    # review 48 #6: q6 and q7 merged in one row — the scale value became the proposals, and the
    # warning spoke of «всем строкам 10–10»
    def edit(ws, header):
        q6 = header.index("q6_prospects") + 1
        ws.merge_cells(start_row=10, start_column=q6, end_row=10, end_column=q6 + 1)

    result = validate(_sample_rows(tmp_path, "merged.xlsx", edit), questionnaire, units)
    merged = [p for p in result.report.problems if p.code == "merged-cells"]
    assert len(merged) == 1 and merged[0].location.cell == "AG10:AH10"
    assert "отнесено ко всем столбцам AG, AH (ответ на каждый из этих вопросов) строки 10" in merged[0].message
