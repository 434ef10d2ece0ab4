"""The defect corpus (tests/data/bad, made by make_corpus.py): every broken file gets a
Russian message naming the file and the place, the documented exit code, no traceback, and
the count rule rows read = accepted + rejected with every rejected row listed."""

from __future__ import annotations

import shutil

import pytest

from survey.inputs.validate import validate

from .conftest import ROOT
from .helpers import survey

BAD = ROOT / "tests" / "data" / "bad"

# file → (exit code of `survey validate`, text of the message, place named, (read, accepted, rejected))
CASES = {
    # cannot be read at all: exit 2, nothing counted
    "not-a-spreadsheet-renamed.xlsx": (2, "не является книгой Excel", "not-a-spreadsheet-renamed.xlsx", None),
    "corrupt-zip.xlsx": (2, "файл повреждён", "corrupt-zip.xlsx", None),
    "legacy-excel-97.xls": (2, "старом формате Excel 97–2003", "legacy-excel-97.xls", None),
    "empty-file.csv": (2, "файл пуст", "empty-file.csv", None),
    "empty-file.xlsx": (2, "файл пуст", "empty-file.xlsx", None),
    "no-data-sheet.xlsx": (
        2,
        "ни на одном листе («Заметки») не найдена строка заголовков",
        "no-data-sheet.xlsx",
        None,
    ),
    "null-bytes.csv": (2, "не текстовый файл CSV", "null-bytes.csv", None),
    "unclosed-quote.csv": (
        2,
        "кавычка, открытая в этой строке, не закрыта",
        "unclosed-quote.csv, строка 2",
        None,
    ),
    "unquoted-comma-in-answer.csv": (
        1,
        "разделитель «,» без кавычек, и часть текста попала бы в чужие столбцы",
        "unquoted-comma-in-answer.csv, строка 3",
        (3, 2, 1),
    ),
    "billion-laughs.xlsx": (2, "сущности/DTD", "billion-laughs.xlsx", None),
    "zip-bomb.xlsx": (2, "после распаковки он занимает слишком много места", "zip-bomb.xlsx", None),
    # columns
    "renamed-column.xlsx": (
        1,
        "Возможно, это столбец «Проблемы и трудности» (q3_problems)",
        "лист «Ответы», строка 1, столбец K («Проблемы»)",
        (3, 0, 3),
    ),
    "missing-required-column.xlsx": (1, "в файле нет столбца «q4_covid»", "лист «Ответы»", (3, 0, 3)),
    "extra-columns.xlsx": (
        0,
        "столбец «Примечание интервьюера» не относится к анкете",
        "строка 1, столбец P («Примечание интервьюера»)",
        (3, 3, 0),
    ),
    "duplicate-column-headers.xlsx": (0, "встречается дважды", "строка 1, столбец P", (3, 3, 0)),
    "header-not-in-first-row.xlsx": (0, "Ошибок не найдено", "", (3, 3, 0)),
    "data-on-second-sheet.xlsx": (0, "Ошибок не найдено", "", (3, 3, 0)),
    "header-only-no-data.xlsx": (
        1,
        "в файле нет ни одной анкеты",
        "header-only-no-data.xlsx, лист «Ответы»",
        (0, 0, 0),
    ),
    # what Excel does to cells
    "merged-cells.xlsx": (
        0,
        "объединены: значение «Тверь» отнесено ко всем строкам 4–5",
        "ячейка B4:B5",
        (4, 4, 0),
    ),
    "formula-cells-with-cached-values.xlsx": (0, "прочитан её результат «12»", "ячейка H3", (3, 3, 0)),
    "formula-cells-without-cached-values.xlsx": (
        1,
        "формула «=2022-2010» без сохранённого результата",
        "ячейка H3",
        (3, 2, 1),
    ),
    "excel-error-value.xlsx": (1, "ошибка Excel «#N/A»", "строка 2, столбец I («q1_state»)", (3, 2, 1)),
    "numbers-stored-as-text.xlsx": (0, "Ошибок не найдено", "", (3, 3, 0)),
    "dates-as-text-in-several-formats.xlsx": (0, "Ошибок не найдено", "", (3, 3, 0)),
    "date-as-unreadable-text.xlsx": (
        1,
        "«весной 2021» — не дата",
        "строка 3, столбец G («interview_date»)",
        (3, 2, 1),
    ),
    "hidden-rows.xlsx": (0, "строка 3 скрыта в Excel; она прочитана", "лист «Ответы», строка 3", (3, 3, 0)),
    "blank-rows.xlsx": (0, "пустая строка пропущена", "лист «Ответы», строка 3", (3, 3, 0)),
    "scale-as-decimal.xlsx": (1, "оценка «3.5» — не целое число", "строка 4, столбец I («q1_state»)", (3, 2, 1)),
    "negative-number.xlsx": (1, "число -5 вне допустимого диапазона", "строка 3, столбец H", (3, 2, 1)),
    "boolean-cells-in-multiple-choice.xlsx": (0, "Ошибок не найдено", "", (3, 3, 0)),
    # values
    "duplicate-ids-within-file.xlsx": (
        1,
        "код эксперта «B01» уже встречался (duplicate-ids-within-file.xlsx, лист «Ответы», строка 2)",
        "строка 4, столбец A",
        (3, 2, 1),
    ),
    "duplicate-ids-across-files": (
        1,
        "код эксперта «B02» уже встречался (a.xlsx, лист «Ответы», строка 3)",
        "b.csv, строка 2, столбец A",
        (3, 2, 1),
    ),
    "unknown-unit.xlsx": (1, "«Чита» нет в справочнике", "строка 2, столбец B («unit_id»)", (3, 2, 1)),
    "option-out-of-range.xlsx": (
        1,
        "значение «7» не входит в список",
        "строка 3, столбец L («q4_covid»)",
        (3, 2, 1),
    ),
    "free-text-in-dropdown-cell.xlsx": (
        1,
        "«по видеосвязи» не входит в список",
        "строка 4, столбец F",
        (3, 2, 1),
    ),
    "unknown-option-in-list.xlsx": (
        1,
        "варианты «космос» не входят в список",
        "строка 2, столбец J",
        (3, 2, 1),
    ),
    "answer-200000-characters.csv": (
        1,
        "ответ слишком длинный (200099 символов; предел 20000)",
        "строка 3, столбец K («q3_problems»)",
        (3, 2, 1),
    ),
    "emoji-and-control-characters.csv": (
        0,
        "удалены невидимые управляющие символы",
        "строка 2, столбец K",
        (3, 3, 0),
    ),
    "emoji-in-answer.xlsx": (0, "Ошибок не найдено", "", (3, 3, 0)),
    "html-and-script-in-answer.xlsx": (0, "Ошибок не найдено", "", (3, 3, 0)),
    "answers-starting-with-formula-characters.csv": (0, "Ошибок не найдено", "", (5, 5, 0)),
    "answers-starting-with-formula-characters.xlsx": (0, "Ошибок не найдено", "", (5, 5, 0)),
    # encodings and separators
    "cp1251.csv": (0, "прочитан в кодировке Windows-1251", "cp1251.csv", (3, 3, 0)),
    "utf16-with-bom.csv": (0, "Ошибок не найдено", "", (3, 3, 0)),
    "utf8-with-bom.csv": (0, "Ошибок не найдено", "", (3, 3, 0)),
    "semicolon-separated.csv": (0, "Ошибок не найдено", "", (3, 3, 0)),
    "tab-separated.tsv": (0, "Ошибок не найдено", "", (3, 3, 0)),
    # issue 16: nothing lost, nothing changed silently, no hang
    "stray-cell-at-AH1048576.xlsx": (1, "строки 5–1048575 пусты", "строка 1048576", (4, 3, 1)),
    "formatted-empty-cell-at-AH1048576.xlsx": (0, "Ошибок не найдено", "", (3, 3, 0)),
    "value-in-column-XFD.xlsx": (0, "за пределами 1000 столбцов", "ячейка XFD1", (3, 3, 0)),
    "second-data-sheet.xlsx": (0, "Ошибок не найдено", "", (3, 3, 0)),
    "data-sheet-without-header.xlsx": (0, "лист «Черновик» не прочитан", "лист «Черновик»", (3, 3, 0)),
    "homoglyph-duplicate-ids.xlsx": (
        1,
        "в одном латинская «B», в другом кириллическая «В»",
        "строка 3, столбец A",
        (3, 2, 1),
    ),
    "case-and-space-duplicate-ids.xlsx": (1, "регистр букв; пробелы", "строка 3, столбец A", (3, 2, 1)),
    "invisible-character-in-unit.xlsx": (0, "невидимый символ U+200B", "строка 4, столбец B", (3, 3, 0)),
    "latin-letters-in-unit.xlsx": (
        0,
        "латинские буквы «T», «e», «p» в слове «Tвepь»",
        "строка 4, столбец B",
        (3, 3, 0),
    ),
    "misspelled-option-column.xlsx": (
        0,
        "возможно, это столбец «q2_areas_turism» (Q)",
        "misspelled-option-column.xlsx, лист «Ответы»",
        (3, 3, 0),
    ),
    "dates-month-first.csv": (
        0,
        "записаны как месяц/день/год (например, «04/18/2021»)",
        "dates-month-first.csv",
        (3, 3, 0),
    ),
    "digits-separated-by-space.xlsx": (1, "цифры разделены пробелом", "строка 3, столбец H", (3, 2, 1)),
    "utf16-without-bom.csv": (0, "Ошибок не найдено", "", (3, 3, 0)),
    "opendocument-spreadsheet.ods": (2, "таблица OpenDocument (.ods", "opendocument-spreadsheet.ods", None),
    "binary-workbook.xlsb": (2, "двоичная книга Excel (.xlsb)", "binary-workbook.xlsb", None),
    "template-without-meta-sheet.xlsx": (1, "удалён служебный скрытый лист «_meta»", "лист «Анкета»", (1, 0, 1)),
    "template-with-copied-form-sheet.xlsx": (0, "2 листа-анкеты («Анкета», «Анкета (2)»)", "лист «Анкета»", (2, 2, 0)),
    # templates
    "unfilled-template.xlsx": (
        1,
        "шаблон анкеты не заполнен",
        "unfilled-template.xlsx, лист «Анкета»",
        (0, 0, 0),
    ),
    "template-of-another-questionnaire-version.xlsx": (
        1,
        "по анкете версии 0.9, а проверка идёт по анкете версии 1.0",
        "template-of-another-questionnaire-version.xlsx",
        (1, 0, 1),
    ),
}


def test_the_corpus_has_at_least_40_defects_and_each_is_tested():
    files = {p.name for p in BAD.iterdir()} - {
        "make_corpus.py",
        "units-with-path-characters.csv",
        "federal_districts.csv",
    }
    assert len(files) >= 40
    assert files == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_defect(name, questionnaire, units):
    code, text, place, counts = CASES[name]
    res = survey("validate", BAD / name)
    output = res.out + res.err
    assert res.code == code, output
    assert "Traceback" not in output
    assert text in output, output
    assert place in output, output
    if counts is None:
        assert "Ошибка:" in res.err and str(BAD / name) in res.err
        return
    report = validate(BAD / name, questionnaire, units).report
    read, accepted, rejected = counts
    assert (report.rows_read, report.accepted, len(report.rejected)) == counts
    assert report.rows_read == report.accepted + len(report.rejected)
    for row in report.rejected:
        assert row.reasons and row.location.file  # every rejected row listed with its reason
    if code == 0:
        assert report.valid
    for problem in report.problems:  # Russian, with a place and (for errors) a fix
        assert any("а" <= ch <= "я" for ch in problem.message.lower())
        assert problem.location.file
        if problem.is_error:
            assert problem.fix


@pytest.mark.slow
def test_run_refuses_a_broken_file_and_writes_nothing(tmp_path):
    out = tmp_path / "reports"
    for name in ("corrupt-zip.xlsx", "formula-cells-without-cached-values.xlsx"):
        res = survey("run", "--responses", BAD / name, "--out", out)
        assert res.code in (1, 2) and "Traceback" not in res.err
        assert not out.exists() or not any(p.is_file() for p in out.rglob("*"))


@pytest.mark.slow
def test_skip_invalid_lists_every_skipped_row(tmp_path):
    res = survey("run", "--responses", BAD / "duplicate-ids-across-files", "--out", tmp_path, "--skip-invalid")
    assert res.code == 0, res.err
    import json

    m = json.loads((tmp_path / "run.json").read_text(encoding="utf-8"))
    assert (m["respondents_in"], m["respondents_accepted"], m["respondents_rejected"]) == (3, 2, 1)
    assert m["rejected"][0]["file"] == "b.csv" and "уже встречался" in m["rejected"][0]["reasons"]
    assert "notes.txt" in res.err  # the unreadable file is reported too


def test_size_limits_are_enforced_with_a_message(tmp_path, monkeypatch, questionnaire, units):
    from survey.errors import InputError
    from survey.inputs import limits

    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 1000)
    with pytest.raises(InputError) as err:
        validate(BAD / "answer-200000-characters.csv", questionnaire, units)
    assert "файл слишком большой" in err.value.message
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 50 * 2**20)
    monkeypatch.setattr(limits, "MAX_ROWS", 2)
    with pytest.raises(InputError) as err:
        validate(BAD / "utf8-with-bom.csv", questionnaire, units)
    assert "больше 2 строк данных" in err.value.message


def test_bombs_are_refused_before_parsing(monkeypatch, questionnaire, units):
    import openpyxl

    from survey.errors import InputError

    def never(*args, **kwargs):
        raise AssertionError("the zip bomb reached the XML parser")

    monkeypatch.setattr(openpyxl, "load_workbook", never)
    with pytest.raises(InputError) as err:
        validate(BAD / "zip-bomb.xlsx", questionnaire, units)
    assert "60 МБ" in err.value.message


def test_changed_values_are_what_the_messages_say(questionnaire, units):
    """A misspelled option column gives missing answers, not 0; month-first dates are read month first."""
    data = validate(BAD / "misspelled-option-column.xlsx", questionnaire, units).data
    assert data["q2_areas_tourism"].isna().all() and (data["q2_areas_education"] == 1).all()
    dates = validate(BAD / "dates-month-first.csv", questionnaire, units).data["interview_date"]
    assert [d.date().isoformat() for d in dates] == ["2021-04-18", "2022-03-05", "2022-12-01"]
    copies = validate(BAD / "template-with-copied-form-sheet.xlsx", questionnaire, units).data
    assert list(copies["expert_id"]) == ["T01", "T02"] and list(copies["source_sheet"]) == ["Анкета", "Анкета (2)"]


@pytest.mark.parametrize(
    "name", ["stray-cell-at-AH1048576.xlsx", "formatted-empty-cell-at-AH1048576.xlsx", "value-in-column-XFD.xlsx"]
)
def test_a_stray_cell_far_away_is_read_quickly(name, questionnaire, units):
    import time

    started = time.perf_counter()
    validate(BAD / name, questionnaire, units)
    assert time.perf_counter() - started < 10  # was > 10 minutes and 6 GB; about 0.3 s here


def test_only_regular_files_are_read(tmp_path, questionnaire, units):
    import os

    from survey.errors import InputError

    (tmp_path / "zero.csv").symlink_to("/dev/zero")
    os.mkfifo(tmp_path / "fifo.csv")
    for name, text in (("zero.csv", "это устройство"), ("fifo.csv", "именованный канал (FIFO)")):
        with pytest.raises(InputError) as err:
            validate(tmp_path / name, questionnaire, units)
        assert text in err.value.message
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "good.csv").write_bytes((BAD / "utf8-with-bom.csv").read_bytes())
    (tmp_path / "outside.csv").write_bytes((BAD / "cp1251.csv").read_bytes())
    (folder / "link.csv").symlink_to(tmp_path / "outside.csv")
    (folder / "zero.csv").symlink_to("/dev/zero")
    report = validate(folder, questionnaire, units).report
    assert report.accepted == 3
    messages = {p.location.file: p.message for p in report.problems if p.location.file != "good.csv"}
    assert "вне папки с ответами" in messages["link.csv"] and "не обычный файл" in messages["zero.csv"]


def test_no_output_is_written_over_the_responses_just_read(tmp_path):
    folder = tmp_path / "answers"
    folder.mkdir()
    shutil.copy(ROOT / "tests" / "data" / "scale-out-of-range.csv", folder / "b.csv")
    shutil.copy(ROOT / "responses" / "sample.xlsx", folder / "a.xlsx")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    for args in (
        ["validate", folder / "b.csv", "--report", folder / "b.csv"],
        ["validate", folder, "--report", folder / "b.csv"],
        ["ingest", folder / "a.xlsx", "-o", folder / "a.xlsx"],
        ["run", "--responses", folder, "--out", folder],
    ):
        res = survey(*args)
        assert res.code == 2 and "Traceback" not in res.err, (args, res.err)
        assert "это файл с ответами, которые только что прочитаны" in res.err or "это папка с ответами" in res.err
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    # a report of the tool's own beside the answers may be written again
    assert survey("validate", folder, "--report", folder / "problems.csv").code == 1
    assert survey("validate", folder, "--report", folder / "problems.csv").code == 1


def test_archives_of_any_kind_are_errors_saying_to_unpack_them(tmp_path):
    import tarfile
    import zipfile

    folder = tmp_path / "answers"
    folder.mkdir()
    shutil.copy(ROOT / "responses" / "sample.xlsx", folder / "a.xlsx")
    with tarfile.open(folder / "more.tar.gz", "w:gz") as tar:
        tar.add(ROOT / "responses" / "sample.xlsx", arcname="b.xlsx")
    res = survey("validate", folder)
    assert res.code == 1 and "more.tar.gz: это архив .gz: файлы внутри архивов не читаются" in res.err
    with zipfile.ZipFile(tmp_path / "sent.zip", "w") as z:
        z.write(ROOT / "responses" / "sample.xlsx", "a.xlsx")
    res = survey("validate", tmp_path / "sent.zip")
    assert res.code == 2 and "это архив .zip, а не книга Excel" in res.err and "Распакуйте архив" in res.err


def test_a_runs_data_table_beside_the_responses_is_not_read_twice(tmp_path, sample_run):
    folder = tmp_path / "answers"
    (folder / "old").mkdir(parents=True)
    shutil.copy(ROOT / "responses" / "sample.xlsx", folder / "sample.xlsx")
    shutil.copy(sample_run.out / "data" / "responses.csv", folder / "old" / "responses.csv")
    report = validate(folder).report
    assert (report.rows_read, report.accepted) == (123, 123)  # not 246 with every expert a duplicate
    [own] = [p for p in report.problems if p.code == "own-output"]
    assert own.location.file == "old/responses.csv" and "source_file" in own.message
    alone = validate(folder / "old" / "responses.csv").report  # given alone, it is read
    assert alone.accepted == 123


def test_a_required_column_with_a_typo_in_its_id_is_named_with_the_column_that_meant_it(tmp_path):
    import pandas as pd

    data = pd.read_excel(ROOT / "responses" / "sample.xlsx", dtype=str, engine="openpyxl")
    data.rename(columns={"q6_prospects": "q6_prospect"}).to_csv(tmp_path / "typo.csv", index=False)
    res = survey("validate", tmp_path / "typo.csv")
    assert res.code == 1
    missing = "в файле нет столбца «q6_prospects» (Перспективы сотрудничества); возможно, это столбец «q6_prospect»"
    assert missing in res.err
    assert "Возможно, это столбец «q6_prospects»: переименуйте заголовок." in res.err
