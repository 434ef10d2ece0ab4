"""Templates for administrators: structure, a fill-in round trip, wrong entries, file-level problems.

The filled files are made here, as an administrator makes them: open the template, find
each question by its text, type into the answer cell beside it, save. Each defect file is
named after its defect.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml

from survey.errors import InvalidDataError, UsageError
from survey.forms.consolidate import consolidate
from survey.forms.templates import (
    FORM_SHEET,
    LISTS_SHEET,
    META_SHEET,
    form_rows,
    questionnaire_fingerprint,
    write_templates,
)
from survey.inputs.validate import validate

from .conftest import ROOT
from .helpers import survey

# What an administrator types, by the beginning of the question text in column B.
# Multiple choice: {option label: "да"/"нет"}.
GOOD = {
    "Код эксперта": "E101",
    "Фамилия, имя, отчество": "Петрова Анна Сергеевна",
    "Должность эксперта": "начальник отдела международных связей",
    "Подразделение администрации": "Управление внешних связей",
    "Способ проведения опроса": "телефон",
    "Дата проведения опроса": dt.datetime(2021, 4, 15),
    "Сколько лет": 12,
    "Как Вы оцениваете нынешнее состояние": "4 — хорошее",
    "В каких сферах": {"образование": "да", "культура": "да", "туризм": "нет"},
    "Какие основные проблемы": "Большое расстояние, нет прямых рейсов.\nНе хватает переводчиков.",
    "Как пандемия COVID-19": "сотрудничество было приостановлено",
    "Какие формы и механизмы": {
        "обмен официальными делегациями": "да",
        "видеоконференции и онлайн-встречи": "да",
    },
    "Как Вы оцениваете перспективы": "затрудняюсь ответить",
    "Ваши предложения": "Создать межрегиональный медиацентр; 001 — номер проекта.",
}
EXPECTED = {
    "expert_id": "E101",
    "unit_id": "blagoveshchensk",
    "expert_name": "Петрова Анна Сергеевна",
    "position": "начальник отдела международных связей",
    "organisation": "Управление внешних связей",
    "interview_mode": 2,
    "interview_date": dt.datetime(2021, 4, 15),
    "years_cooperation": 12,
    "q1_state": 4,
    "q3_problems": "Большое расстояние, нет прямых рейсов.\nНе хватает переводчиков.",
    "q4_covid": 1,
    "q6_prospects": 9,
    "q7_proposals": "Создать межрегиональный медиацентр; 001 — номер проекта.",
}
CHOSEN = {"q2_areas": {"education", "culture"}, "q5_forms": {"delegations", "online"}}


def _rows_by_text(ws) -> list[tuple[int, str]]:
    return [(c.row, c.value) for (c,) in ws.iter_rows(min_col=2, max_col=2) if isinstance(c.value, str)]


def fill(template: Path, target: Path, answers: dict) -> Path:
    """Type ``answers`` into a copy of ``template`` like a person would (by question text)."""
    wb = openpyxl.load_workbook(template)
    ws = wb[FORM_SHEET]
    rows = _rows_by_text(ws)
    for question, answer in answers.items():
        start = next(i for i, (_, text) in enumerate(rows) if text.startswith(question))
        if isinstance(answer, dict):
            options = {}
            for row, text in rows[start + 1 :]:
                if not text.startswith("    "):
                    break
                options[text.strip()] = row
            for label, mark in answer.items():
                ws.cell(row=options[label], column=3).value = mark
        else:
            ws.cell(row=rows[start][0], column=3).value = answer
    wb.save(target)
    return target


@pytest.fixture(scope="module")
def templates(tmp_path_factory):
    folder = tmp_path_factory.mktemp("templates")
    blank = write_templates(folder / "Анкета.xlsx")[0]
    blag = write_templates(folder, unit="blagoveshchensk")[0]
    return {"blank": blank, "blagoveshchensk": blag}


def _only_error(path: Path, questionnaire, units):
    result = validate(path, questionnaire, units)
    errors = result.report.errors
    assert len(errors) == 1, [str(e) for e in errors]
    return result, errors[0]


# ---------------------------------------------------------------- structure


def test_template_sheets_validations_and_protection(templates):
    wb = openpyxl.load_workbook(templates["blagoveshchensk"])
    assert [(ws.title, ws.sheet_state) for ws in wb.worksheets] == [
        ("Инструкция", "visible"),
        (FORM_SHEET, "visible"),
        (LISTS_SHEET, "hidden"),
        (META_SHEET, "veryHidden"),
    ]
    assert wb.security.lockStructure
    ws = wb[FORM_SHEET]
    assert ws.protection.sheet and not ws.protection.formatRows and ws.protection.formatCells
    answers = {r.cell for r in form_rows_for(wb) if r.kind == "answer"}
    assert len(answers) == 8 + 5 + 12 + 9  # respondent block, 5 single questions, 12 + 9 options
    for row in ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=5):
        for cell in row:
            assert cell.protection.locked == (cell.coordinate not in answers), cell.coordinate
    assert ws.column_dimensions["E"].hidden
    assert ws["C6"].value == "Благовещенск"  # --unit prefills the unit
    by_cell = {}
    for dv in ws.data_validations.dataValidation:
        assert dv.showErrorMessage and dv.errorStyle == "stop" and dv.error
        for rng in dv.sqref.ranges:
            for (cell,) in ws.iter_rows(
                min_row=rng.min_row, max_row=rng.max_row, min_col=rng.min_col, max_col=rng.max_col
            ):
                by_cell[cell.coordinate] = dv
    assert set(by_cell) == answers  # every answer cell is validated
    assert by_cell["C6"].type == "list" and by_cell["C6"].formula1 == "'Списки'!$A$2:$A$78"
    assert [c.value for c in wb[LISTS_SHEET]["A"][1:4]] == ["Алтайский край", "Амурская область", "Ангарск"]
    assert by_cell["C11"].type == "date" and (by_cell["C11"].formula1, by_cell["C11"].formula2) == (
        "44256",
        "44926",
    )
    assert by_cell["C12"].type == "whole" and (by_cell["C12"].formula1, by_cell["C12"].formula2) == (
        "0",
        "60",
    )
    start, end = by_cell["C14"].formula1.split("!")[1].replace("$", "").split(":")
    assert [row[0].value for row in wb[LISTS_SHEET][start:end]] == [
        "1 — очень слабое",
        "2 — слабое",
        "3 — удовлетворительное",
        "4 — хорошее",
        "5 — очень хорошее",
        "затрудняюсь ответить",
    ]
    assert by_cell["C16"].formula1 == by_cell["C39"].formula1  # one да/нет list for all options
    assert ws["C28"].alignment.wrap_text and ws.row_dimensions[28].height >= 100
    assert ws["C5"].number_format == "@" and ws["C11"].number_format == "DD.MM.YYYY"
    setup = ws.page_setup
    assert (setup.paperSize, setup.orientation, setup.fitToWidth, setup.fitToHeight) == (9, "portrait", 1, 0)
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    meta = dict(wb[META_SHEET].iter_rows(max_col=2, values_only=True))
    assert meta["marker"] == "survey-template" and meta["questionnaire_version"] == "1.0"
    assert meta["unit_id"] == "blagoveshchensk" and meta["prefill:unit_id"] == "Благовещенск"
    assert ws["C5"].font.name == "Calibri"


def form_rows_for(wb):
    from survey.spec.questionnaire import load_questionnaire

    return form_rows(load_questionnaire())


def test_footer_fits_its_margin(templates):
    """The footer sits 0.3″ from the paper's edge inside a 0.8″ bottom margin: LibreOffice's footer area
    (bottom − footer margin) holds its line; before, 0.6″ − 0.5″ clipped it."""
    wb = openpyxl.load_workbook(templates["blank"])
    for name in ("Инструкция", FORM_SHEET):
        m = wb[name].page_margins
        assert (m.top, m.bottom, m.header, m.footer) == (0.6, 0.8, 0.3, 0.3), name
        assert m.bottom - m.footer >= 0.4 and m.top - m.header >= 0.25, name
    assert wb[FORM_SHEET].oddFooter.center.text == "Стр. &P из &N"


@pytest.mark.parametrize("password", [None, "s3cret"])
def test_hidden_sheets_protected_where_the_structure_lock_is_ignored(tmp_path, password):
    """LibreOffice does not read the workbook-structure lock of an .xlsx, so «Списки» and «_meta» can be
    shown there: both are protected sheets (nothing can be changed or selected), with the template's
    password when it has one, and the drop-downs still read their lists from «Списки»."""
    from openpyxl.worksheet.protection import hash_password

    path = write_templates(tmp_path / "t.xlsx", password=password)[0]
    wb = openpyxl.load_workbook(path)
    for name in (LISTS_SHEET, META_SHEET):
        p = wb[name].protection
        assert p.sheet and p.selectLockedCells and p.selectUnlockedCells and p.formatCells, name
        assert p.password == (hash_password(password) if password else None), name
    assert wb.security.lockStructure
    assert wb.security.workbookPassword == (hash_password(password) if password else None)
    assert wb[FORM_SHEET].protection.password == (hash_password(password) if password else None)
    lists = wb[LISTS_SHEET]
    form = wb[FORM_SHEET]
    checked = 0
    for dv in form.data_validations.dataValidation:
        if dv.type != "list":
            continue
        sheet, ref = dv.formula1.split("!")
        assert sheet == f"'{LISTS_SHEET}'"
        start, end = ref.replace("$", "").split(":")
        entries = [row[0].value for row in lists[start:end]]
        assert entries and all(entries), dv.formula1
        header = lists.cell(row=1, column=lists[start].column).value
        assert header, dv.formula1  # each list has its question's name above it
        checked += 1
    assert checked >= 4


def test_blank_template_has_no_unit_and_default_name(templates, tmp_path):
    wb = openpyxl.load_workbook(templates["blank"])
    assert wb[FORM_SHEET]["C6"].value is None
    assert templates["blagoveshchensk"].name == "Анкета_Благовещенск.xlsx"
    out = survey("template", "--unit", "Комсомольск-на-Амуре", "-o", tmp_path)
    assert out.code == 0 and (tmp_path / "Анкета_Комсомольск-на-Амуре.xlsx").is_file()
    unknown = survey("template", "--unit", "Хабаровск", "-o", tmp_path / "x.xlsx")
    assert unknown.code == 2 and "Возможно, имелось в виду: Хабаровский край" in unknown.err
    assert not (tmp_path / "x.xlsx").exists()
    with pytest.raises(UsageError):
        write_templates(tmp_path / "x.csv")


def test_a_template_never_replaces_a_file_unless_told(templates, tmp_path):
    filled = tmp_path / "Анкета_Благовещенск.xlsx"
    filled.write_bytes(b"returned answers")  # a filled questionnaire came back under the template's name
    for args in (["--unit", "Благовещенск", "-o", tmp_path], ["-o", filled], ["--all-units", "-o", tmp_path]):
        res = survey("template", *args)
        assert res.code == 2 and "Traceback" not in res.err, res.err
        assert "Файлы уже есть (1)" in res.err and "Анкета_Благовещенск.xlsx" in res.err and "--overwrite" in res.err
        assert filled.read_bytes() == b"returned answers"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Анкета_Благовещенск.xlsx"]  # nothing else written
    res = survey("template", "--unit", "Благовещенск", "-o", tmp_path, "--overwrite")
    assert res.code == 0 and openpyxl.load_workbook(filled)[FORM_SHEET]["C6"].value == "Благовещенск"


@pytest.mark.slow
def test_all_units_one_readable_file_each(tmp_path, questionnaire, units):
    out = survey("template", "--all-units", "-o", tmp_path / "all")
    assert out.code == 0, out.err
    files = sorted(p.name for p in (tmp_path / "all").iterdir())
    assert len(files) == 77 and "Анкета_Еврейская_автономная_область.xlsx" in files
    assert not [p for p in (tmp_path / "all").iterdir() if p.name.startswith(".")]  # no staging left
    # every one is recognised as an (unfilled) template of its unit
    result = validate(tmp_path / "all", questionnaire, units)
    assert [p.code for p in result.report.errors] == ["template-empty"] * 77
    assert result.report.rows_read == 0


# ---------------------------------------------------------------- round trip


def test_round_trip_gives_exactly_what_was_filled(templates, tmp_path, questionnaire, units):
    path = fill(templates["blagoveshchensk"], tmp_path / "Благовещенск_1.xlsx", GOOD)
    result = validate(path, questionnaire, units)
    assert result.report.problems == []
    assert (result.report.rows_read, result.report.accepted) == (1, 1)
    row = result.data.iloc[0]
    for key, value in EXPECTED.items():
        assert row[key] == value, key
    for fid, chosen in CHOSEN.items():
        f = questionnaire.field(fid)
        assert {o.name for o in f.options if row[f.option_column(o)] == 1} == chosen
        assert all(row[f.option_column(o)] == 0 for o in f.options if o.name not in chosen)
    assert (row["source_file"], row["source_sheet"]) == ("Благовещенск_1.xlsx", FORM_SHEET)


def test_an_edited_meta_layout_is_refused_not_followed(templates, tmp_path, questionnaire, units):
    """LibreOffice lets a user unprotect «_meta»: moving the answer column there must not make the
    reader take the hints for answers."""
    path = fill(templates["blagoveshchensk"], tmp_path / "moved.xlsx", GOOD)
    wb = openpyxl.load_workbook(path)
    meta = wb[META_SHEET]
    for row in meta.iter_rows(max_col=2):
        if row[0].value == "answer_column":
            row[1].value = "D"
    wb.save(path)
    result, error = _only_error(path, questionnaire, units)
    assert error.code == "template-damaged" and "answer_column: «D» вместо «C»" in error.message
    assert (result.report.rows_read, result.report.accepted) == (1, 0)  # a row read and rejected


def test_date_typed_as_text_and_unit_chosen_from_list(templates, tmp_path, questionnaire, units):
    answers = {**GOOD, "Город или регион": "Хабаровский край", "Дата проведения опроса": "15.03.2021"}
    path = fill(templates["blank"], tmp_path / "Хабаровский_край.xlsx", answers)
    result = validate(path, questionnaire, units)
    assert result.report.valid, [str(p) for p in result.report.problems]
    row = result.data.iloc[0]
    assert row["unit_id"] == "khabarovsk_krai" and row["interview_date"] == dt.datetime(2021, 3, 15)


WRONG = [
    # (file named after its defect, change, cell, code, message)
    (
        "years-as-text.xlsx",
        {"Сколько лет": "много"},
        "C12",
        "not-integer",
        "«Стаж сотрудничества, лет»: «много» — не целое число. Укажите число цифрами, например 12.",
    ),
    (
        "scale-out-of-range.xlsx",
        {"Как Вы оцениваете нынешнее состояние": 7},
        "C14",
        "out-of-range",
        "«Состояние сотрудничества»: оценка 7 вне шкалы 1–5. Укажите оценку от 1 до 5 (целое число) или 9 — "
        "затрудняюсь ответить.",
    ),
    (
        "unknown-unit-typed.xlsx",
        {"Город или регион": "Благовещенськ"},
        "C6",
        "unknown-unit",
        "«Город/регион»: «Благовещенськ» нет в справочнике единиц (units.csv). Возможно, имелось в виду: Благовещенск.",
    ),
    (
        "date-as-text.xlsx",
        {"Дата проведения опроса": "весной 2021"},
        "C11",
        "not-a-date",
        "«Дата опроса»: «весной 2021» — не дата. Укажите дату в формате ДД.ММ.ГГГГ, например 15.03.2021.",
    ),
    (
        "date-out-of-range.xlsx",
        {"Дата проведения опроса": dt.datetime(2020, 1, 10)},
        "C11",
        "out-of-range",
        "«Дата опроса»: дата 10.01.2020 вне периода опроса с 01.03.2021 по 31.12.2022.",
    ),
    (
        "required-answer-empty.xlsx",
        {"Какие основные проблемы": None},
        "C28",
        "required-missing",
        "нет ответа на обязательный вопрос «Проблемы и трудности». Заполните ячейку.",
    ),
    (
        "expert-id-empty.xlsx",
        {"Код эксперта": None},
        "C5",
        "required-missing",
        "нет ответа на обязательный вопрос «Код эксперта». Заполните ячейку.",
    ),
    (
        "no-option-chosen.xlsx",
        {"В каких сферах": {"образование": None, "культура": None, "туризм": None}},
        "C16",
        "required-missing",
        "нет ответа на обязательный вопрос «Сферы сотрудничества». Отметьте хотя бы один вариант.",
    ),
    (
        "option-not-yes-no.xlsx",
        {"Какие формы и механизмы": {"обмен официальными делегациями": "возможно"}},
        "C31",
        "not-a-flag",
        "«Эффективные формы»: вариант «обмен официальными делегациями»: «возможно» — ожидается отметка варианта.",
    ),
]


@pytest.mark.parametrize("name,change,cell,code,message", WRONG, ids=[w[0] for w in WRONG])
def test_wrong_entry_is_reported_at_its_cell(
    templates, tmp_path, questionnaire, units, name, change, cell, code, message
):
    base = templates["blank"] if "Город или регион" in change else templates["blagoveshchensk"]
    answers = {**GOOD, "Город или регион": "Благовещенск"} if base == templates["blank"] else dict(GOOD)
    answers.update(change)
    path = fill(base, tmp_path / name, answers)
    result, error = _only_error(path, questionnaire, units)
    assert error.code == code
    assert str(error).startswith(f"{name}, лист «Анкета», ячейка {cell}: {message}"), str(error)
    assert error.location.cell == cell
    report = result.report
    assert report.rows_read == report.accepted + len(report.rejected) == 1 and report.accepted == 0


def test_folder_of_filled_templates_cli_messages_and_exit_codes(templates, tmp_path):
    folder = tmp_path / "filled"
    folder.mkdir()
    fill(templates["blagoveshchensk"], folder / "Благовещенск_1.xlsx", GOOD)
    fill(templates["blagoveshchensk"], folder / "Благовещенск_2.xlsx", {**GOOD, "Код эксперта": "E102"})
    ok = survey("validate", folder)
    assert ok.code == 0, ok.err
    assert "Прочитано строк: 2; принято: 2; отклонено: 0; ошибок: 0" in ok.out
    fill(
        templates["blagoveshchensk"],
        folder / "Благовещенск_3.xlsx",
        {**GOOD, "Код эксперта": "E103", "Сколько лет": "много", "Какие основные проблемы": None},
    )
    bad = survey("validate", folder)
    assert bad.code == 1
    assert (
        "ОШИБКА: Благовещенск_3.xlsx, лист «Анкета», ячейка C12: «Стаж сотрудничества, лет»: «много» — не целое число."
    ) in bad.err
    assert (
        "ОШИБКА: Благовещенск_3.xlsx, лист «Анкета», ячейка C28: нет ответа на обязательный вопрос "
        "«Проблемы и трудности»."
    ) in bad.err
    assert "Прочитано строк: 3; принято: 2; отклонено: 1; ошибок: 2" in bad.out
    assert "Traceback" not in bad.err


def test_sub_folders_are_read_and_files_named_by_their_path(templates, tmp_path, questionnaire, units):
    folder = tmp_path / "filled"
    (folder / "Амурская область").mkdir(parents=True)
    (folder / "Тверская область").mkdir()
    fill(templates["blagoveshchensk"], folder / "Амурская область" / "Анкета.xlsx", GOOD)
    fill(templates["blagoveshchensk"], folder / "Тверская область" / "Анкета.xlsx", {**GOOD, "Код эксперта": "E102"})
    # the same file again, at the top (copied: two fills differ in their saved time when a second passes)
    shutil.copy(folder / "Амурская область" / "Анкета.xlsx", folder / "Анкета.xlsx")
    shutil.make_archive(str(folder / "Хабаровский край"), "zip", folder / "Тверская область")
    (folder / "ссылка").symlink_to(folder / "Тверская область", target_is_directory=True)
    (folder / ".старое").mkdir()
    shutil.copy(folder / "Анкета.xlsx", folder / ".старое" / "Анкета.xlsx")
    report = validate(folder, questionnaire, units).report
    assert (report.rows_read, report.accepted, len(report.rejected)) == (3, 2, 1)
    assert [r.location.file for r in report.rejected] == ["Анкета.xlsx"]
    messages = [(p.code, str(p)) for p in report.problems]
    assert (
        "duplicate-id",
        "Анкета.xlsx, лист «Анкета», ячейка C5: код эксперта «E101» уже встречался (Амурская область/Анкета.xlsx, "
        "лист «Анкета»). Это тот же файл, что Амурская область/Анкета.xlsx (содержимое совпадает): уберите один из "
        "них.",
    ) in messages
    archive = next(m for code, m in messages if code == "archive")
    assert archive.startswith("Хабаровский край.zip: это архив .zip: файлы внутри архивов не читаются")
    assert "Распакуйте архив в папку с ответами" in archive
    skipped = {m.split(":")[0]: m for code, m in messages if code == "file-skipped"}
    assert set(skipped) == {"ссылка", ".старое"}
    assert "ссылка (symlink) на папку пропущена" in skipped["ссылка"]
    assert "сохраните его как .xlsx" not in " ".join(skipped.values())
    assert survey("validate", folder).code == 1  # the archive is an error: its answers are not checked


def _edited(templates, tmp_path, name: str, edit, answers: dict | None = None) -> Path:
    """A filled template changed by ``edit(workbook)`` as a user changes it in Excel."""
    path = fill(templates["blagoveshchensk"], tmp_path / name, answers or GOOD)
    wb = openpyxl.load_workbook(path)
    edit(wb)
    wb.save(path)
    return path


def _copy_q3_row(wb):
    ws = wb[FORM_SHEET]
    ws.insert_rows(29)
    for c in range(1, 6):
        ws.cell(29, c).value = ws.cell(28, c).value
    ws["C29"] = "ВТОРАЯ ЧАСТЬ ОТВЕТА: санкции"


def _typed_outside(wb):
    ws = wb[FORM_SHEET]
    ws["D41"] = "Открыть прямой рейс"  # the hint column beside the answer cell of question 7
    ws["C15"] = "образование и культура"  # the question row of a multiple choice, not an option
    ws["G12"] = "примерно"  # right of the form
    wb.create_sheet("Примечания")["A1"] = "эксперт просил перезвонить"
    wb[FORM_SHEET].sheet_state = "hidden"
    wb.active = 0


def test_text_outside_the_answer_cells_is_reported_not_dropped(templates, tmp_path, questionnaire, units):
    copied = validate(_edited(templates, tmp_path, "copied-row.xlsx", _copy_q3_row), questionnaire, units).report
    [error] = copied.errors
    assert error.code == "template-repeated-row" and error.location.cell == "C29"
    assert "строки 28 и 29" in error.message and "«ВТОРАЯ ЧАСТЬ ОТВЕТА: санкции») не прочитан" in error.message
    assert (copied.accepted, len(copied.rejected)) == (0, 1)  # the answer would be cut: not accepted silently
    answers = {**GOOD, "Ваши предложения": None}
    report = validate(_edited(templates, tmp_path, "outside.xlsx", _typed_outside, answers), questionnaire, units)
    report = report.report
    assert report.valid and report.accepted == 1
    found = {(p.code, p.location.sheet, p.location.cell) for p in report.warnings}
    assert found == {
        ("template-stray-text", "Анкета", "D41"),
        ("template-stray-text", "Анкета", "C15"),
        ("template-stray-text", "Анкета", "G12"),
        ("sheet-not-read", "Примечания", None),
        ("hidden-sheet", "Анкета", None),
    }
    stray = {p.location.cell: str(p) for p in report.warnings if p.code == "template-stray-text"}
    assert stray["D41"].startswith(
        "outside.xlsx, лист «Анкета», ячейка D41: текст «Открыть прямой рейс» стоит вне ячеек ответов и не прочитан: "
        "это столбец подсказки рядом с ячейкой ответа C41 («Предложения»)."
    )


def _formula_and_merge(wb):
    ws = wb[FORM_SHEET]
    ws["C12"] = "=2022-2010"
    ws.merge_cells("C16:C18")


def test_formulas_and_merged_answer_cells_are_reported_as_in_tables(templates, tmp_path, questionnaire, units):
    path = _edited(templates, tmp_path, "fx.xlsx", _formula_and_merge)
    # openpyxl stores no result: Excel (or LibreOffice) would; the stored result is put in by hand
    import zipfile

    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    sheet = next(n for n, b in parts.items() if n.startswith("xl/worksheets/") and b"2022-2010" in b)
    parts[sheet] = parts[sheet].replace(b"<f>2022-2010</f><v />", b"<f>2022-2010</f><v>12</v>")
    with zipfile.ZipFile(path, "w") as zf:
        for n, b in parts.items():
            zf.writestr(n, b)
    result = validate(path, questionnaire, units)
    report = result.report
    assert report.valid, [str(p) for p in report.errors]
    found = {p.code: str(p) for p in report.warnings}
    assert found.keys() == {"formula", "merged-cells"}
    assert found["formula"].startswith(
        "fx.xlsx, лист «Анкета», ячейка C12: «Стаж сотрудничества, лет»: в ячейке формула «=2022-2010»; "
        "прочитан её результат «12»."
    )
    assert (
        "ячейки C16:C18 объединены: значение «да» отнесено к ответам «Сферы сотрудничества: образование», "
        in found["merged-cells"]
    )
    # as Excel shows it: the merged «да» stands for all three options
    row = result.data.iloc[0]
    assert (row["q2_areas_education"], row["q2_areas_culture"], row["q2_areas_tourism"]) == (1, 1, 1)


# ---------------------------------------------------------------- file-level problems


def test_same_expert_in_two_files_names_both(templates, tmp_path, questionnaire, units):
    fill(templates["blagoveshchensk"], tmp_path / "Благовещенск_1.xlsx", GOOD)
    fill(templates["blagoveshchensk"], tmp_path / "Благовещенск_2.xlsx", {**GOOD, "Сколько лет": 11})
    result = validate(tmp_path, questionnaire, units)
    assert [str(e) for e in result.report.errors] == [
        "Благовещенск_2.xlsx, лист «Анкета», ячейка C5: код эксперта «E101» уже встречался "
        "(Благовещенск_1.xlsx, лист «Анкета»). Дайте каждому эксперту уникальный код; если это повтор той же "
        "анкеты, удалите строку."
    ]
    assert (result.report.rows_read, result.report.accepted, len(result.report.rejected)) == (2, 1, 1)


def test_a_month_first_date_with_one_reading_is_read_with_a_warning(templates, tmp_path, questionnaire, units):
    path = fill(templates["blagoveshchensk"], tmp_path / "mdy.xlsx", {**GOOD, "Дата проведения опроса": "5/14/2021"})
    result = validate(path, questionnaire, units)
    assert result.report.valid and result.data["interview_date"].tolist() == [dt.datetime(2021, 5, 14)]
    [warning] = result.report.warnings
    assert warning.code == "date-order" and warning.location.cell == "C11"


def test_the_same_file_twice_is_named_as_such(templates, tmp_path, questionnaire, units):
    fill(templates["blagoveshchensk"], tmp_path / "Благовещенск_1.xlsx", GOOD)
    shutil.copy(tmp_path / "Благовещенск_1.xlsx", tmp_path / "Благовещенск_1 (копия).xlsx")
    [error] = validate(tmp_path, questionnaire, units).report.errors
    assert error.code == "duplicate-id" and error.location.file == "Благовещенск_1.xlsx"
    assert error.fix == "Это тот же файл, что Благовещенск_1 (копия).xlsx (содержимое совпадает): уберите один из них."


def test_unfilled_template_is_an_error_not_a_silent_skip(templates, tmp_path, questionnaire, units):
    shutil.copy(templates["blagoveshchensk"], tmp_path / "unfilled-template.xlsx")  # only the prefilled unit
    result, error = _only_error(tmp_path / "unfilled-template.xlsx", questionnaire, units)
    assert error.code == "template-empty"
    assert str(error).startswith("unfilled-template.xlsx, лист «Анкета»: шаблон анкеты не заполнен")
    assert result.report.rows_read == 0
    assert survey("validate", tmp_path / "unfilled-template.xlsx").code == 1


def test_damaged_template_is_reported(templates, tmp_path, questionnaire, units):
    path = fill(templates["blagoveshchensk"], tmp_path / "rows-deleted.xlsx", GOOD)
    wb = openpyxl.load_workbook(path)
    wb[FORM_SHEET].protection.sheet = False  # someone removed the protection and two rows
    wb[FORM_SHEET].delete_rows(20, 2)
    wb.save(path)
    result, error = _only_error(path, questionnaire, units)
    assert error.code == "template-damaged"
    assert error.message.startswith(
        "в шаблоне анкеты нет ячеек для ответов: вопрос 2, вариант «молодёжные обмены», вопрос 2, вариант «торговля»"
    )
    # refused as a whole, yet a row read and rejected (rows read = accepted + rejected), with its expert code
    report = result.report
    assert (report.rows_read, report.accepted) == (1, 0)
    assert [(r.location.file, r.location.sheet, r.expert_id) for r in report.rejected] == [
        ("rows-deleted.xlsx", "Анкета", "E101")
    ]
    assert report.rejected[0].reasons == [error.message]


def test_a_renamed_form_sheet_is_found_by_its_keys(templates, tmp_path, questionnaire, units):
    def rename(wb):
        wb[FORM_SHEET].title = "Петрова"

    result = validate(_edited(templates, tmp_path, "renamed.xlsx", rename), questionnaire, units)
    report = result.report
    assert report.valid and report.accepted == 1 and result.data["expert_id"].tolist() == ["E101"]
    [warning] = report.warnings
    assert warning.code == "template-renamed" and str(warning).startswith(
        "renamed.xlsx, лист «Петрова»: в шаблоне нет листа «Анкета»: он переименован в «Петрова»; ответы прочитаны"
    )


def _questionnaire_copy(tmp_path: Path, **changes) -> Path:
    data = yaml.safe_load((ROOT / "questionnaires" / "questionnaire.yaml").read_text(encoding="utf-8"))
    data.update({k: v for k, v in changes.items() if k != "options"})
    if "options" in changes:
        data["questions"][3]["options"][0]["label"] = changes["options"]
    path = tmp_path / "questionnaire.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_template_of_another_version_names_both_versions(tmp_path, questionnaire, units):
    old = _questionnaire_copy(tmp_path, version="0.9")
    template = write_templates(tmp_path / "t.xlsx", unit="tver", questionnaire=old)[0]
    path = fill(template, tmp_path / "old-version.xlsx", GOOD)
    result, error = _only_error(path, questionnaire, units)
    assert error.code == "template-version"
    assert str(error) == (
        "old-version.xlsx: шаблон составлен по анкете версии 0.9, а проверка идёт по анкете версии 1.0. "
        "Перенесите ответы в шаблон текущей версии (survey template) или проверьте файл анкетой версии 0.9 "
        "(--questionnaire)."
    )
    assert (result.report.rows_read, result.report.accepted) == (1, 0)
    assert [(r.expert_id, r.reasons) for r in result.report.rejected] == [("E101", [error.message])]
    # the same file checked with its own questionnaire is fine
    from survey.spec.questionnaire import load_questionnaire

    assert validate(path, load_questionnaire(old), units).report.valid


def test_changed_options_without_new_version_are_caught(tmp_path, questionnaire, units):
    changed = _questionnaire_copy(tmp_path, options="работа остановлена")
    from survey.spec.questionnaire import load_questionnaire

    assert questionnaire_fingerprint(load_questionnaire(changed)) != questionnaire_fingerprint(questionnaire)
    template = write_templates(tmp_path / "t.xlsx", unit="tver", questionnaire=changed)[0]
    _, error = _only_error(fill(template, tmp_path / "changed-options.xlsx", GOOD), questionnaire, units)
    assert error.code == "template-version" and "анкету изменили, не сменив номер версии" in error.message


def test_foreign_workbook_is_reported(tmp_path, questionnaire, units, templates):
    wb = openpyxl.Workbook()
    wb.active.title = "Бюджет"
    wb.active.append(["Статья", "Сумма"])
    wb.active.append(["Делегация", 150000])
    wb.save(tmp_path / "foreign-workbook.xlsx")
    fill(templates["blagoveshchensk"], tmp_path / "Благовещенск_1.xlsx", GOOD)
    result = validate(tmp_path, questionnaire, units)
    assert result.report.accepted == 1
    [error] = result.report.errors
    assert error.code == "file-unreadable" and error.location.file.endswith("foreign-workbook.xlsx")
    assert "не найдена строка заголовков" in error.message


# ---------------------------------------------------------------- consolidated table


@pytest.mark.slow
def test_ingest_writes_consolidated_table_that_validates_again(templates, tmp_path, questionnaire, units):
    folder = tmp_path / "filled"
    folder.mkdir()
    fill(templates["blagoveshchensk"], folder / "Благовещенск_1.xlsx", GOOD)
    fill(
        templates["blank"],
        folder / "Тверь_1.xlsx",
        {**GOOD, "Код эксперта": "E201", "Город или регион": "Тверь"},
    )
    fill(
        templates["blagoveshchensk"],
        folder / "years-as-text.xlsx",
        {**GOOD, "Код эксперта": "E301", "Сколько лет": "много"},
    )
    out = tmp_path / "consolidated.xlsx"
    with pytest.raises(InvalidDataError):
        consolidate(folder, out, questionnaire=questionnaire, units=units)
    assert not out.exists()  # refused: nothing written
    refused = survey("ingest", folder, "-o", out)
    assert refused.code == 1 and "years-as-text.xlsx, лист «Анкета», ячейка C12" in refused.err
    cli = survey("ingest", folder, "-o", out, "--skip-invalid")
    assert cli.code == 0, cli.err
    assert "Сводная таблица:" in cli.out and "(анкет: 2)" in cli.out
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Ответы", "Проблемы", "Отклонены"]
    header = [c.value for c in wb["Ответы"][1]]
    assert header[:3] == ["expert_id", "unit_id", "position"]  # anonymised: no expert_name
    assert "expert_name" not in header and "q2_areas_education" in header
    assert wb["Проблемы"]["E2"].value == "C12" and wb["Отклонены"]["D2"].value == "E301"
    again = validate(out, questionnaire, units)
    assert again.report.valid and again.report.accepted == 2
    # its own columns (source_file …) and report sheets are known: read back without a warning
    assert again.report.problems == []
    first = validate(folder / "Благовещенск_1.xlsx", questionnaire, units).data
    columns = [c for c in questionnaire.data_columns() if c != "expert_name"]
    assert again.data[columns].iloc[[0]].reset_index(drop=True).equals(first[columns].reset_index(drop=True))
    named = consolidate(
        folder,
        tmp_path / "named.xlsx",
        questionnaire=questionnaire,
        units=units,
        skip_invalid=True,
        with_names=True,
    )
    assert "Петрова Анна Сергеевна" in [c.value for c in openpyxl.load_workbook(named.output)["Ответы"]["C"]]


def test_own_outputs_in_the_folder_of_responses_are_skipped_not_read_again(templates, tmp_path, questionnaire, units):
    folder = tmp_path / "filled"
    folder.mkdir()
    fill(templates["blagoveshchensk"], folder / "Благовещенск_1.xlsx", GOOD)
    fill(templates["blagoveshchensk"], folder / "Благовещенск_2.xlsx", {**GOOD, "Код эксперта": "E102"})
    consolidate(folder, folder / "сводная.xlsx", questionnaire=questionnaire, units=units)
    assert survey("validate", folder, "--report", folder / "problems.csv").code == 0
    (folder / "reports" / "data").mkdir(parents=True)  # survey run --out inside the folder
    shutil.copy(folder / "problems.csv", folder / "reports" / "data" / "validation.csv")
    (folder / "reports" / "run.json").write_text("{}", encoding="utf-8")
    again = consolidate(folder, folder / "сводная.xlsx", questionnaire=questionnaire, units=units)
    report = again.report
    assert (report.rows_read, report.accepted, again.rows) == (2, 2, 2)  # not every expert a duplicate
    assert report.valid
    skipped = {p.location.file: p.message for p in report.problems if p.code == "own-output"}
    assert skipped.keys() == {"сводная.xlsx", "problems.csv", "reports"}
    consolidated = "это сводная таблица, записанная survey из других файлов ответов (survey ingest"
    assert skipped["сводная.xlsx"].startswith(consolidated)
    assert "иначе её анкеты были бы учтены дважды" in skipped["сводная.xlsx"]
    assert skipped["problems.csv"].startswith("это отчёт о проблемах (survey validate --report")
    assert "результаты survey run" in skipped["reports"]
    # given alone, each is what it is: the consolidated table is responses, the report is not
    assert validate(folder / "сводная.xlsx", questionnaire, units).report.accepted == 2
    alone = survey("validate", folder / "problems.csv")
    assert alone.code == 2 and "это отчёт о проблемах" in alone.err
    # a folder holding consolidated tables alone (one per region) is read whole
    regions = tmp_path / "regions"
    regions.mkdir()
    shutil.copy(folder / "сводная.xlsx", regions / "Амурская.xlsx")
    assert validate(regions, questionnaire, units).report.accepted == 2


@pytest.mark.slow
def test_run_reads_a_folder_of_templates(templates, tmp_path):
    folder = tmp_path / "filled"
    folder.mkdir()
    fill(templates["blagoveshchensk"], folder / "Благовещенск_1.xlsx", GOOD)
    fill(templates["blagoveshchensk"], folder / "Благовещенск_2.xlsx", {**GOOD, "Код эксперта": "E102"})
    result = survey("run", "--responses", folder, "--out", tmp_path / "reports")
    assert result.code == 0, result.err
    assert "Анкет прочитано: 2, принято: 2, отклонено: 0" in result.out
    assert (tmp_path / "reports" / "data" / "responses.sav").is_file()


def test_new_commands_have_help():
    for command in ("template", "ingest", "xlsform", "export-sav"):
        result = survey(command, "--help")
        assert result.code == 0 and "Usage:" in result.out, command


@pytest.mark.parametrize(
    ("edit", "key", "answers"),
    [
        (lambda ws: ws.delete_cols(4), "D", "C"),  # the hint column deleted
        (lambda ws: ws.insert_cols(1), "F", "D"),  # a column inserted before the form
        (lambda ws: ws.delete_cols(1), "D", "B"),  # the first column deleted
    ],
    ids=["hint-deleted", "inserted-at-A", "A-deleted"],
)
def test_a_template_with_a_column_deleted_or_inserted_is_read_by_its_keys(
    templates, tmp_path, questionnaire, units, edit, key, answers
):
    # review 46 #2: one column deleted or inserted in Excel/LibreOffice refused the whole
    # questionnaire («нет ячеек для ответов … 36»); the keys and answers are all still there
    path = fill(templates["blagoveshchensk"], tmp_path / "filled.xlsx", GOOD)
    wb = openpyxl.load_workbook(path)
    edit(wb[FORM_SHEET])
    wb.save(path)
    result = validate(path, questionnaire, units)
    assert result.report.errors == [], [str(e) for e in result.report.errors]
    row = result.data.iloc[0]
    for column, value in EXPECTED.items():
        assert row[column] == value, column
    (shifted,) = [p for p in result.report.problems if p.code == "template-shifted"]
    assert f"стоят в столбце {key} вместо E; ответы прочитаны из столбца {answers} (вместо C)" in shifted.message


def test_a_template_whose_answer_column_was_deleted_is_refused_not_read_from_the_questions(
    templates, tmp_path, questionnaire, units
):
    path = fill(templates["blagoveshchensk"], tmp_path / "filled.xlsx", GOOD)
    wb = openpyxl.load_workbook(path)
    wb[FORM_SHEET].delete_cols(3)
    wb.save(path)
    result = validate(path, questionnaire, units)
    assert result.data.empty and any(p.code == "template-damaged" for p in result.report.errors)


def _extended(tmp_path, required: bool):
    from survey.spec.questionnaire import load_questionnaire

    path = tmp_path / "questionnaire.yaml"
    text = (ROOT / "questionnaires" / "questionnaire.yaml").read_text(encoding="utf-8")
    path.write_text(
        text.rstrip("\n")
        + f"""

  - id: q8_contacts
    number: 8
    short: Частота контактов
    text: Как часто Вы контактируете с китайскими партнёрами?
    type: single
    required: {"true" if required else "false"}
    options:
      - {{code: 1, name: monthly, label: ежемесячно}}
      - {{code: 2, name: yearly, label: раз в год и реже}}
""",
        encoding="utf-8",
    )
    return load_questionnaire(path)


def test_a_template_made_before_optional_questions_were_added_is_read(templates, tmp_path, units):
    # review 46 #9: wave-1 templates were refused as «another version» although only an optional
    # question had been added; a table lacking that column was accepted with a warning
    path = fill(templates["blagoveshchensk"], tmp_path / "filled.xlsx", GOOD)
    q = _extended(tmp_path, required=False)
    result = validate(path, q, units)
    assert result.report.errors == [] and result.report.accepted == 1
    row = result.data.iloc[0]
    assert row["q3_problems"] == EXPECTED["q3_problems"] and pd.isna(row["q8_contacts"])
    (note,) = [p for p in result.report.problems if p.code == "template-version"]
    assert note.severity == "warning" and "добавили необязательные вопросы (q8_contacts)" in note.message
    # a required question added: the template lacks an answer it must have, and is refused
    refused = validate(path, _extended(tmp_path, required=True), units)
    assert refused.report.accepted == 0
    assert any(p.code == "template-version" and p.is_error for p in refused.report.problems)
