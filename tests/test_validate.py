"""Validation rules: each defect file gives a precise message, location and exit code."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from survey.errors import InputError
from survey.inputs.validate import validate

from .conftest import DATA, ROOT
from .helpers import survey


def _problems(name, **kw):
    result = validate(DATA / name, **kw)
    return result, [p for p in result.report.problems if p.is_error]


def test_valid_file_is_accepted_whole(questionnaire, units):
    result, errors = _problems("valid.csv", questionnaire=questionnaire, units=units)
    assert errors == [] and result.report.valid
    data = result.data.set_index("expert_id")
    assert list(data.index) == ["T01", "T02", "T03"]
    assert list(data["unit_id"]) == ["blagoveshchensk", "samara_oblast", "tver"]
    # codes and labels are both accepted and give the same codes
    assert list(data["interview_mode"]) == [1, 2, 4]
    assert list(data["q4_covid"]) == [1, 2, 3]
    assert data.loc["T02", "interview_date"] == dt.datetime(2022, 6, 1)
    assert data.loc["T01", "q2_areas_culture"] == 1 and data.loc["T01", "q2_areas_trade"] == 0
    assert data.loc["T02", "q2_areas_trade"] == 1
    assert data.loc["T03", "q1_state"] == 9  # "затрудняюсь ответить" kept as its code
    assert data.loc["T03", "q5_forms_online"] == 1
    assert list(data["source_row"]) == [2, 3, 4]


@pytest.mark.parametrize(
    "name,row,column,code,text",
    [
        (
            "required-missing.csv",
            3,
            "K",
            "required-missing",
            "нет ответа на обязательный вопрос «Проблемы и трудности»",
        ),
        ("unknown-option.csv", 4, "F", "unknown-option", "«по почте» не входит в список"),
        ("scale-out-of-range.csv", 2, "I", "out-of-range", "оценка 7 вне шкалы 1–5"),
        ("bad-date.csv", 3, "G", "not-a-date", "«31.02.2021» — не дата"),
        ("date-out-of-range.csv", 4, "G", "out-of-range", "дата 01.12.2019 вне периода опроса"),
        ("unknown-unit.csv", 2, "B", "unknown-unit", "Возможно, имелось в виду: Благовещенск"),
        (
            "duplicate-expert-id.csv",
            4,
            "A",
            "duplicate-id",
            "«T01» уже встречался (duplicate-expert-id.csv, строка 2)",
        ),
        ("not-integer.csv", 3, "H", "not-integer", "«много» — не целое число"),
        ("unknown-multiple-option.csv", 4, "M", "unknown-option", "«космос» не входят в список"),
    ],
)
def test_each_rule_names_row_and_column(questionnaire, units, name, row, column, code, text):
    result, errors = _problems(name, questionnaire=questionnaire, units=units)
    assert len(errors) == 1, errors
    problem = errors[0]
    assert (problem.location.file, problem.location.row, problem.location.column) == (name, row, column)
    assert problem.code == code
    assert text in str(problem)
    assert problem.fix  # every error says how to fix it
    report = result.report
    assert report.rows_read == report.accepted + len(report.rejected) == 3
    assert [r.location.row for r in report.rejected] == [row]
    cli = survey("validate", DATA / name)
    assert cli.code == 1
    assert f"{name}, строка {row}, столбец {column}" in cli.err
    assert "Traceback" not in cli.err


def test_missing_column_rejects_every_row_once(questionnaire, units):
    result, errors = _problems("missing-column.csv", questionnaire=questionnaire, units=units)
    assert [e.code for e in errors] == ["missing-column"]
    assert "нет столбца «q3_problems»" in errors[0].message
    assert len(result.report.rejected) == 3 and result.data.empty


def test_blank_row_is_a_warning_not_a_respondent(questionnaire, units):
    result, errors = _problems("blank-row.csv", questionnaire=questionnaire, units=units)
    assert errors == []
    warnings = result.report.warnings
    assert [(w.code, w.location.row) for w in warnings] == [("blank-row", 3)]
    assert result.report.rows_read == 3 and result.report.blank_rows == 1


@pytest.mark.parametrize(
    "name", ["cp1251.csv", "utf8-bom.csv", "utf16.csv", "semicolon-separated.csv", "russian-headers.csv"]
)
def test_encodings_separators_and_russian_headers(questionnaire, units, name):
    result, errors = _problems(name, questionnaire=questionnaire, units=units)
    assert errors == []
    assert list(result.data["position"])[0] == "начальник отдела международных связей"
    assert list(result.data["q3_problems"])[1] == "Далеко лететь, нет прямых рейсов; ковид."


def test_explicit_encoding_wins_and_wrong_one_is_explained(questionnaire, units):
    result = validate(DATA / "cp1251.csv", questionnaire, units, encoding="cp1251")
    assert result.report.valid and result.report.warnings == []
    with pytest.raises(InputError) as err:
        validate(DATA / "cp1251.csv", questionnaire, units, encoding="utf-8")
    assert "не читается в кодировке utf-8" in err.value.message


@pytest.mark.slow
def test_cli_exit_codes_and_no_traceback(tmp_path):
    assert survey("validate", DATA / "valid.csv").code == 0
    assert survey("validate", DATA / "bad-date.csv").code == 1
    missing = survey("validate", tmp_path / "nothing.xlsx")
    assert missing.code == 2 and "файл не найден" in missing.err and "Traceback" not in missing.err
    fake = tmp_path / "anketa.xlsx"
    fake.write_text("это не книга Excel", encoding="utf-8")
    unreadable = survey("validate", fake)
    assert unreadable.code == 2 and "не является книгой Excel" in unreadable.err
    assert "Traceback" not in unreadable.err
    debug = survey("--debug", "validate", fake)
    assert debug.code != 0 and "Traceback" in debug.err


def test_validate_writes_problem_report(tmp_path):
    out = tmp_path / "problems.csv"
    assert survey("validate", DATA / "scale-out-of-range.csv", "--report", out).code == 1
    text = out.read_text(encoding="utf-8")
    assert (
        text.splitlines()[0] == '"severity","file","sheet","row","column","cell","field","code","message","fix","value"'
    )
    assert '"scale-out-of-range.csv","",2,"I","","q1_state","out-of-range"' in text


def test_report_to_a_folder_or_a_non_csv_name_is_a_usage_error(tmp_path):
    folder = survey("validate", DATA / "valid.csv", "--report", tmp_path)
    assert folder.code == 2 and "Traceback" not in folder.err, folder.err
    assert f"Ошибка: {tmp_path}: это папка, а --report ждёт имя файла отчёта" in folder.err
    xlsx = survey("validate", DATA / "valid.csv", "--report", tmp_path / "problems.xlsx")
    assert xlsx.code == 2 and "укажите имя с расширением .csv (например, problems.csv)" in xlsx.err
    assert not (tmp_path / "problems.xlsx").exists()  # no CSV text under an .xlsx name


def test_folder_of_files_reports_unreadable_ones(tmp_path, questionnaire, units):
    (tmp_path / "good.csv").write_bytes((DATA / "valid.csv").read_bytes())
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    result = validate(tmp_path, questionnaire, units)
    assert result.report.accepted == 3
    codes = [(p.location.file.split("/")[-1], p.code) for p in result.report.errors]
    assert codes == [("broken.xlsx", "file-unreadable")]
    assert survey("validate", tmp_path).code == 1


def test_a_scale_labelled_only_at_its_ends_takes_every_point(tmp_path, units):
    import yaml

    from survey.spec.questionnaire import load_questionnaire

    from .conftest import ROOT

    data = yaml.safe_load((ROOT / "questionnaires" / "questionnaire.yaml").read_text(encoding="utf-8"))
    for f in data["questions"]:
        if f["id"] == "q1_state":
            f.update(min=1, max=10, missing=[99])
            f["options"] = [
                {"code": 1, "name": "worst", "label": "хуже некуда"},
                {"code": 10, "name": "best", "label": "лучше некуда"},
                {"code": 99, "name": "dk", "label": "затрудняюсь ответить"},
            ]
    path = tmp_path / "q.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    q = load_questionnaire(path)
    rows = (DATA / "valid.csv").read_text(encoding="utf-8").splitlines()
    header = rows[0].split(",")
    i = header.index("q1_state")
    out = [rows[0]]
    for line, value in zip(rows[1:], ("4", "99", "11")):
        cells = line.split(",")
        cells[i] = value
        out.append(",".join(cells))
    src = tmp_path / "scale.csv"
    src.write_text("\n".join(out) + "\n", encoding="utf-8")
    result = validate(src, q, units)
    assert list(result.data["q1_state"]) == [4, 99]
    assert [(p.code, p.location.row) for p in result.report.errors] == [("out-of-range", 4)]


def test_answers_to_another_questionnaire_get_one_error_with_the_way_out(questionnaire, units):
    """The example study's responses checked against the bundled questionnaire (the user forgot
    --study): one error naming the missing columns and --study, every row rejected with it."""
    result = validate(ROOT / "examples" / "german_partner_cities" / "responses.xlsx", questionnaire, units)
    report = result.report
    (error,) = report.errors
    assert "обязательных столбцов анкеты" in error.message and "--study" in error.fix
    assert report.warnings == [] and report.accepted == 0
    assert len(report.rejected) == report.rows_read > 0
    assert all(r.reasons == [error.message] for r in report.rejected)


def test_excel_sep_line_names_the_separator_and_rows_keep_the_files_line_numbers(questionnaire, units, tmp_path):
    """Excel's «Сохранить как CSV» with a first line «sep=;» (Excel reads it to know the separator):
    the line is not a header, every row is read, and a problem names the row as the file numbers it."""
    text = (DATA / "scale-out-of-range.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    path = tmp_path / "excel.csv"
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows(rows)
    path.write_bytes(("sep=;\r\n" + buffer.getvalue()).encode("cp1251"))
    result = validate(path, questionnaire, units)
    errors = [p for p in result.report.problems if p.is_error]
    assert [(p.code, p.location.row, p.location.column) for p in errors] == [("out-of-range", 3, "I")]
    assert result.report.rows_read == 3 and result.report.accepted == 2
    assert list(result.data["q3_problems"])[0] == "Далеко лететь, нет прямых рейсов; ковид."


def test_a_separator_too_many_before_an_empty_last_cell_is_a_rejected_row(questionnaire, units, tmp_path):
    """Review 48 #2: «…; кроме того, нет денег» unquoted in a «;» file whose last column
    (proposals) is empty: the text moved one column right and funding would be lost, though
    the field pushed past the header is empty. The row is rejected and named; the others read."""
    rows = list(csv.reader(io.StringIO((DATA / "valid.csv").read_text(encoding="utf-8"))))
    problems, proposals = rows[0].index("q3_problems"), rows[0].index("q7_proposals")
    assert proposals == len(rows[0]) - 1
    for row in rows[1:]:
        row[proposals] = ""
    lines = [";".join(f'"{v}"' if ";" in v or "\n" in v else v for v in row) for row in rows]
    split = ["Главное — расстояние", " кроме того, нет денег на поездки."]
    shifted = rows[2][:problems] + split + rows[2][problems + 1 :]
    lines[2] = ";".join(f'"{v}"' if ";" in v or "\n" in v else v for v in shifted)
    path = tmp_path / "shifted.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1251"))
    result = validate(path, questionnaire, units)
    malformed = [p for p in result.report.problems if p.code == "malformed-row"]
    assert [p.location.row for p in malformed] == [3]
    assert f"в строке {len(rows[0]) + 1} полей, а в заголовке {len(rows[0])} столбцов" in malformed[0].message
    assert result.report.rows_read == len(rows) - 1 and result.report.accepted == len(rows) - 2
    assert "нет денег" not in " ".join(result.data["q7_proposals"].dropna())


def test_values_in_a_column_without_a_header_are_said_not_dropped(questionnaire, units, tmp_path):
    """A comment typed in a column with no header, beside the answers (xlsx) or past the header's
    end (a CSV whose every line has one field more): a warning names the column, its first row and
    how many rows hold a value — they were dropped without a word; the values are not quoted (a
    column that lost its header may be the experts' names); the answers are accepted as before."""
    import openpyxl

    wb = openpyxl.load_workbook(ROOT / "responses" / "sample.xlsx")
    ws = wb.worksheets[0]
    ws.delete_rows(7, ws.max_row)
    free = ws.max_column + 2
    ws.cell(3, free).value = "важный комментарий эксперта"
    ws.cell(5, free).value = "ещё один"
    wb.save(tmp_path / "note.xlsx")
    result = validate(tmp_path / "note.xlsx", questionnaire, units)
    said = [p for p in result.report.warnings if "нет заголовка" in p.message]
    assert len(result.data) == 5 and len(said) == 1, [p.message for p in result.report.warnings]
    assert said[0].location.row == 3 and said[0].location.column == ws.cell(3, free).column_letter
    assert "строк: 2, первая — строка 3" in said[0].message and said[0].value is None
    rows = [[c.value for c in r] for r in ws.iter_rows(max_col=ws.max_column - 2)]
    text = io.StringIO()
    writer = csv.writer(text)
    for r in rows:
        cells = ["" if v is None else (v.strftime("%d.%m.%Y") if hasattr(v, "strftime") else v) for v in r]
        writer.writerow([*cells, "комментарий" if r[0] == rows[2][0] else ""])
    (tmp_path / "note.csv").write_text(text.getvalue(), encoding="utf-8")
    result = validate(tmp_path / "note.csv", questionnaire, units)
    said = [p for p in result.report.warnings if "нет заголовка" in p.message]
    assert len(result.data) == 5 and len(said) == 1 and said[0].location.row == 3


def test_a_title_line_above_the_header_of_a_semicolon_file(questionnaire, units, tmp_path):
    """«Опрос 2021» typed alone above the header of Russian Excel's «;» file: the separator is the
    header's, not guessed from the title line, and the answers are read (the header is searched in
    the first rows, as for a comma file)."""
    import openpyxl

    wb = openpyxl.load_workbook(ROOT / "responses" / "sample.xlsx")
    rows = [[c.value for c in r] for r in wb.worksheets[0].iter_rows(max_row=6)]
    text = io.StringIO()
    text.write("Опрос экспертов, 2021\r\n")  # a comma in the title: not the separator
    writer = csv.writer(text, delimiter=";")
    for r in rows:
        writer.writerow(["" if v is None else (v.strftime("%d.%m.%Y") if hasattr(v, "strftime") else v) for v in r])
    (tmp_path / "titled.csv").write_text(text.getvalue(), encoding="utf-8")
    result = validate(tmp_path / "titled.csv", questionnaire, units)
    assert len(result.data) == 5 and result.report.valid, result.report.first_errors(3)


def test_a_name_column_without_its_header_or_typed_twice_is_not_quoted(questionnaire, units, tmp_path):
    """The name column's header deleted, or «expert_name» typed again with another spelling: the
    warnings and the rejected row say where, without the expert's name (the default outputs drop
    names: README «Personal data»)."""
    import openpyxl

    wb = openpyxl.load_workbook(ROOT / "responses" / "sample.xlsx")
    ws = wb.worksheets[0]
    ws.delete_rows(7, ws.max_row)
    name_col = [c.value for c in ws[1]].index("expert_name") + 1
    name = ws.cell(2, name_col).value
    ws.cell(1, name_col).value = None
    wb.save(tmp_path / "no_header.xlsx")
    result = validate(tmp_path / "no_header.xlsx", questionnaire, units)
    text = result.report.to_frame().to_csv()
    assert "нет заголовка" in text and name not in text
    ws.cell(1, name_col).value = "expert_name"
    copy = ws.max_column + 1
    ws.cell(1, copy).value = "expert_name"
    ws.cell(2, copy).value = name.split()[0] + " М. Д."
    wb.save(tmp_path / "twice.xlsx")
    result = validate(tmp_path / "twice.xlsx", questionnaire, units)
    said = result.report.to_frame().to_csv() + result.report.rejected_frame().to_csv()
    assert "копии расходятся" in said and name.split()[0] not in said


def test_a_row_with_a_separator_too_many_gets_one_error_not_a_header_warning_too(questionnaire, units, tmp_path):
    """«нужны гранты; и обмены» unquoted in the last column of a «;» file: the row is rejected for
    its separator, and its pushed-out text is not also called «a column without a header» (whose
    advice, to give the column a header, would be wrong)."""
    rows = list(csv.reader(io.StringIO((DATA / "valid.csv").read_text(encoding="utf-8"))))
    proposals = rows[0].index("q7_proposals")
    assert proposals == len(rows[0]) - 1
    lines = [";".join(f'"{v}"' if ";" in v or "\n" in v else v for v in row) for row in rows]
    lines[2] = (
        ";".join(f'"{v}"' if ";" in v or "\n" in v else v for v in rows[2][:proposals]) + ";нужны гранты; и обмены"
    )
    (tmp_path / "shifted.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1251"))
    result = validate(tmp_path / "shifted.csv", questionnaire, units)
    assert [p.location.row for p in result.report.problems if p.code == "malformed-row"] == [3]
    assert not [p for p in result.report.problems if "нет заголовка" in p.message]
