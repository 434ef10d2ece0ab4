"""Make the defect corpus: response files broken in the ways Excel and people break them.

    python tests/data/bad/make_corpus.py

Every file is named after its defect; `tests/test_defects.py` says what must happen to each.
Binary files are made here, deterministically (fixed zip timestamps), so the corpus can be
regenerated and reviewed. All answers are written for these tests; the names are fake.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent.parent
sys.path.insert(0, str(ROOT))

import openpyxl  # noqa: E402

HEADER = [
    "expert_id",
    "unit_id",
    "expert_name",
    "position",
    "organisation",
    "interview_mode",
    "interview_date",
    "years_cooperation",
    "q1_state",
    "q2_areas",
    "q3_problems",
    "q4_covid",
    "q5_forms",
    "q6_prospects",
    "q7_proposals",
]
ROWS = [
    [
        "B01",
        "Благовещенск",
        "Проверкина Алла Игоревна",
        "начальник отдела международных связей",
        "Администрация города",
        1,
        dt.date(2021, 3, 15),
        25,
        4,
        "1;2;3",
        "Главная трудность — пандемия, границы закрыты.",
        1,
        "1;3",
        5,
        "Возобновить обмен делегациями.",
    ],
    [
        "B02",
        "Самарская область",
        "Тестеров Борис Ильич",
        "председатель комитета",
        None,
        2,
        dt.date(2022, 6, 1),
        12,
        3,
        "1;2;6",
        "Далеко лететь, нет прямых рейсов; ковид.",
        2,
        "1",
        4,
        None,
    ],
    [
        "B03",
        "Тверь",
        "Образцова Вера Олеговна",
        "консультант",
        "Управление туризма",
        4,
        dt.date(2022, 12, 1),
        8,
        9,
        "2",
        "Кроме пандемии, проблем нет.",
        3,
        "6",
        9,
        None,
    ],
]
FIXED = (2021, 3, 1, 0, 0, 0)


def col(name: str) -> int:
    return HEADER.index(name)


def save_xlsx(wb: openpyxl.Workbook, name: str, patch=None) -> Path:
    """Save with fixed timestamps; ``patch(filename, xml_bytes) -> bytes`` may edit parts."""
    wb.properties.created = wb.properties.modified = dt.datetime(2021, 3, 1)
    wb.properties.creator = "survey defect corpus"
    buf = io.BytesIO()
    wb.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    path = HERE / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if patch is not None:
                data = patch(info.filename, data)
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED)
            zi.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(zi, data)
    return path


def table(rows=None, header=None, title: str = "Ответы") -> openpyxl.Workbook:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    ws.append(header or HEADER)
    for r in rows if rows is not None else ROWS:
        ws.append(list(r))
    return wb


def modified(index: int, field: str, value) -> list[list]:
    rows = [list(r) for r in ROWS]
    rows[index][col(field)] = value
    return rows


def write_csv(name: str, rows, header=None, encoding="utf-8", delimiter=",") -> Path:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    w.writerow(header or HEADER)
    for r in rows:
        w.writerow(["" if v is None else (v.strftime("%d.%m.%Y") if isinstance(v, dt.date) else v) for v in r])
    path = HERE / name
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def make() -> None:
    for old in HERE.iterdir():
        if old.name not in ("make_corpus.py", "README.md"):
            shutil.rmtree(old) if old.is_dir() else old.unlink()

    # --- not a readable spreadsheet at all
    (HERE / "not-a-spreadsheet-renamed.xlsx").write_text("Отчёт о поездке в Харбин.\n", encoding="utf-8")
    good = save_xlsx(table(), "_good.xlsx").read_bytes()
    (HERE / "corrupt-zip.xlsx").write_bytes(good[: len(good) // 2])
    (HERE / "_good.xlsx").unlink()
    (HERE / "legacy-excel-97.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    (HERE / "empty-file.csv").write_bytes(b"")
    (HERE / "empty-file.xlsx").write_bytes(b"")
    wb = openpyxl.Workbook()
    wb.active.title = "Заметки"
    wb.active["A1"] = "Список участников уточняется"
    save_xlsx(wb, "no-data-sheet.xlsx")
    (HERE / "null-bytes.csv").write_bytes(b"expert_id,unit_id\x00\x00\x00\x01\x02")
    text = 'expert_id,unit_id,q3_problems\nB01,Тверь,"ответ без закрывающей кавычки\nB02,Тверь,второй ответ\n'
    (HERE / "unclosed-quote.csv").write_text(text, encoding="utf-8")

    # --- columns
    save_xlsx(table(header=[("Проблемы" if h == "q3_problems" else h) for h in HEADER]), "renamed-column.xlsx")
    keep = [h for h in HEADER if h != "q4_covid"]
    save_xlsx(
        table([[v for h, v in zip(HEADER, r) if h != "q4_covid"] for r in ROWS], keep),
        "missing-required-column.xlsx",
    )
    save_xlsx(
        table([r + ["примечание", 42] for r in ROWS], HEADER + ["Примечание интервьюера", "Служебный номер"]),
        "extra-columns.xlsx",
    )
    save_xlsx(table([r + [r[0]] for r in ROWS], HEADER + ["expert_id"]), "duplicate-column-headers.xlsx")
    wb = table(title="Данные")
    ws = wb.active
    ws.insert_rows(1, 2)
    ws["A1"] = "Сводная таблица анкет, 2022 год"
    save_xlsx(wb, "header-not-in-first-row.xlsx")
    wb = openpyxl.Workbook()
    wb.active.title = "Пояснения"
    wb.active["A1"] = "Анкеты — на втором листе"
    ws = wb.create_sheet("Ответы")
    ws.append(HEADER)
    for r in ROWS:
        ws.append(r)
    save_xlsx(wb, "data-on-second-sheet.xlsx")
    save_xlsx(table([]), "header-only-no-data.xlsx")

    # --- Excel cell features
    rows = [list(r) for r in ROWS] + [list(ROWS[2])]
    rows[2][col("expert_id")], rows[3][col("expert_id")] = "B03", "B04"
    rows[3][col("expert_name")] = "Другой Эксперт Иванович"
    wb = table(rows)
    c = col("unit_id") + 1
    wb.active.merge_cells(start_row=4, start_column=c, end_row=5, end_column=c)  # Тверь for B03 and B04
    save_xlsx(wb, "merged-cells.xlsx")
    wb = table(modified(1, "years_cooperation", "=2022-2010"))

    def cached(name: str, data: bytes) -> bytes:
        if name.startswith("xl/worksheets/"):
            return data.replace(b"<f>2022-2010</f><v></v>", b"<f>2022-2010</f><v>12</v>").replace(
                b"<f>2022-2010</f><v />", b"<f>2022-2010</f><v>12</v>"
            )
        return data

    save_xlsx(wb, "formula-cells-with-cached-values.xlsx", patch=cached)
    save_xlsx(table(modified(1, "years_cooperation", "=2022-2010")), "formula-cells-without-cached-values.xlsx")
    save_xlsx(table(modified(0, "q1_state", "=#N/A")), "_tmp.xlsx")
    (HERE / "_tmp.xlsx").unlink()
    save_xlsx(table(modified(0, "q1_state", "#N/A")), "excel-error-value.xlsx")
    rows = [[str(v) if isinstance(v, int) else v for v in r] for r in ROWS]
    save_xlsx(table(rows), "numbers-stored-as-text.xlsx")
    rows = [list(r) for r in ROWS]
    rows[0][col("interview_date")] = "15.03.2021"
    rows[1][col("interview_date")] = "2022-06-01"
    rows[2][col("interview_date")] = "1 декабря 2022 г."
    save_xlsx(table(rows), "dates-as-text-in-several-formats.xlsx")
    save_xlsx(table(modified(1, "interview_date", "весной 2021")), "date-as-unreadable-text.xlsx")
    wb = table()
    wb.active.row_dimensions[3].hidden = True
    save_xlsx(wb, "hidden-rows.xlsx")
    save_xlsx(table([ROWS[0], [None] * len(HEADER), ROWS[1], [None] * len(HEADER), ROWS[2]]), "blank-rows.xlsx")
    save_xlsx(table(modified(2, "q1_state", 3.5)), "scale-as-decimal.xlsx")
    save_xlsx(table(modified(1, "years_cooperation", -5)), "negative-number.xlsx")
    header = [h for h in HEADER if h not in ("q2_areas", "q5_forms")] + [
        "q2_areas_education",
        "q2_areas_culture",
        "q5_forms_delegations",
    ]
    rows = [[v for h, v in zip(HEADER, r) if h not in ("q2_areas", "q5_forms")] + [True, False, True] for r in ROWS]
    save_xlsx(table(rows, header), "boolean-cells-in-multiple-choice.xlsx")

    # --- values
    save_xlsx(table(modified(2, "expert_id", "B01")), "duplicate-ids-within-file.xlsx")
    folder = HERE / "duplicate-ids-across-files"
    folder.mkdir()
    wb = table(ROWS[:2])
    wb.save(folder / "a.xlsx")
    rows = [list(ROWS[2])]
    rows[0][col("expert_id")] = "B02"
    write_csv("duplicate-ids-across-files/b.csv", rows)
    (folder / "notes.txt").write_text("заметки интервьюера", encoding="utf-8")
    save_xlsx(table(modified(0, "unit_id", "Чита")), "unknown-unit.xlsx")
    save_xlsx(table(modified(1, "q4_covid", 7)), "option-out-of-range.xlsx")
    save_xlsx(table(modified(2, "interview_mode", "по видеосвязи")), "free-text-in-dropdown-cell.xlsx")
    save_xlsx(table(modified(0, "q2_areas", "образование; космос")), "unknown-option-in-list.xlsx")
    write_csv("answer-200000-characters.csv", modified(1, "q3_problems", "Трудности с финансированием. " * 6900))
    write_csv(
        "emoji-and-control-characters.csv",
        modified(0, "q3_problems", "Пандемия 😷 и\x07 закрытые\x1b границы 🚫, нет переводчиков\x0b."),
    )
    save_xlsx(table(modified(1, "q3_problems", "Нет переводчиков 🙁 и прямых рейсов ✈️.")), "emoji-in-answer.xlsx")
    save_xlsx(
        table(modified(2, "q3_problems", "<script>alert('x')</script><b>Проблем нет</b>, кроме пандемии.")),
        "html-and-script-in-answer.xlsx",
    )
    formula_like = [
        '=HYPERLINK("http://example.com","пандемия")',
        "+7 (495) нет связи с партнёрами",
        "-2 рейса в неделю, дорого",
        "@SUM(1+1) финансирование",
        "\tязыковой барьер",
    ]
    rows = []
    for i, text in enumerate(formula_like):
        r = list(ROWS[i % 3])
        r[col("expert_id")] = f"F{i + 1:02d}"
        r[col("q3_problems")] = text
        r[col("q7_proposals")] = text
        rows.append(r)
    write_csv("answers-starting-with-formula-characters.csv", rows)
    wb = table(rows)
    for row in wb.active.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
    save_xlsx(wb, "answers-starting-with-formula-characters.xlsx")

    # --- encodings and separators
    write_csv("cp1251.csv", ROWS, encoding="cp1251")
    write_csv("utf16-with-bom.csv", ROWS, encoding="utf-16")
    write_csv("utf8-with-bom.csv", ROWS, encoding="utf-8-sig")
    write_csv("semicolon-separated.csv", ROWS, delimiter=";")
    write_csv("tab-separated.tsv", ROWS, delimiter="\t")

    # --- hostile files
    save_xlsx(table(), "billion-laughs.xlsx", patch=_billion_laughs)
    _zip_bomb(HERE / "zip-bomb.xlsx")

    # --- templates (survey template)
    from survey.forms.templates import write_templates
    from survey.spec.questionnaire import load_questionnaire

    q = load_questionnaire()
    write_templates(HERE / "unfilled-template.xlsx", unit="tver")
    other = HERE / "template-of-another-questionnaire-version.xlsx"
    write_templates(other, unit="tver")
    wb = openpyxl.load_workbook(other)
    meta = wb["_meta"]
    for row in meta.iter_rows():
        for cell in row:
            if cell.value == q.version:
                cell.value = "0.9"
    filled = wb["Анкета"]
    for row in filled.iter_rows():
        for cell in row:
            if cell.value == "Код эксперта":
                filled.cell(row=cell.row, column=3, value="T01")
    wb.save(other)
    (HERE / "units-with-path-characters.csv").write_text(
        "unit_id,name,kind,federal_subject,federal_district,borders_china,lat,lon\n"
        "evil_one,../../Город/..\\Взлом,city,Тверская область,Центральный,false,56.86,35.91\n"
        "evil_two,CON,city,Тверская область,Центральный,false,56.86,35.91\n"
        'evil_three,"Город <с> ""кавычками"" и: двоеточием?",city,Тверская область,Центральный,false,56.86,35.91\n',
        encoding="utf-8",
    )
    shutil.copy(ROOT / "responses" / "federal_districts.csv", HERE / "federal_districts.csv")
    _second_round(q)


def _second_round(q) -> None:
    """Issue 16: data lost or changed silently, and tiny files that hung every command."""
    from openpyxl.styles import Font

    # --- a stray cell far away must not make reading slow or large
    wb = table()
    wb.active["AH1048576"] = "."
    save_xlsx(wb, "stray-cell-at-AH1048576.xlsx")
    wb = table()
    wb.active["AH1048576"].font = Font(bold=True)  # formatted, empty
    save_xlsx(wb, "formatted-empty-cell-at-AH1048576.xlsx")
    wb = table()
    wb.active["XFD1"] = "x"
    save_xlsx(wb, "value-in-column-XFD.xlsx")
    # --- sheets
    wb = table(ROWS[:2])
    ws = wb.create_sheet("Ответы (продолжение)")
    ws.append(HEADER)
    ws.append(list(ROWS[2]))
    save_xlsx(wb, "second-data-sheet.xlsx")
    wb = table()
    ws = wb.create_sheet("Черновик")
    ws.append(["B09", "Тверь", "ответ без заголовков"])
    save_xlsx(wb, "data-sheet-without-header.xlsx")
    # --- identifiers and unit names that look the same
    save_xlsx(table(modified(1, "expert_id", "В01")), "homoglyph-duplicate-ids.xlsx")  # Cyrillic «В»
    save_xlsx(table(modified(1, "expert_id", "b 01")), "case-and-space-duplicate-ids.xlsx")
    save_xlsx(table(modified(2, "unit_id", "Тверь\u200b")), "invisible-character-in-unit.xlsx")
    save_xlsx(table(modified(2, "unit_id", "Tвepь")), "latin-letters-in-unit.xlsx")
    # --- multiple choice as 0/1 columns with a misspelled option column
    header = [h for h in HEADER if h != "q2_areas"] + ["q2_areas_education", "q2_areas_culture", "q2_areas_turism"]
    rows = [[v for h, v in zip(HEADER, r) if h != "q2_areas"] + [1, 0, 1] for r in ROWS]
    save_xlsx(table(rows, header), "misspelled-option-column.xlsx")
    # --- dates month first, numbers with spaces
    rows = [list(r) for r in ROWS]
    rows[0][col("interview_date")] = "04/18/2021"
    rows[1][col("interview_date")] = "03/05/2022"
    rows[2][col("interview_date")] = "12/01/2022"
    write_csv("dates-month-first.csv", rows)
    # --- an answer with commas, written into the CSV by hand without quotes: row 3 has more
    # fields than the header (refused with its row, not shifted into the next columns)
    path = write_csv("unquoted-comma-in-answer.csv", ROWS)
    answer = ROWS[1][col("q3_problems")]
    text = path.read_text(encoding="utf-8").replace(f'"{answer}"', f"{answer}, а также нет переводчиков", 1)
    path.write_text(text, encoding="utf-8")
    save_xlsx(table(modified(1, "years_cooperation", "1 5")), "digits-separated-by-space.xlsx")
    # --- formats
    write_csv("utf16-without-bom.csv", ROWS, encoding="utf-16-le")
    for name, parts in (
        (
            "opendocument-spreadsheet.ods",
            {
                "mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
                "content.xml": b"<office:document-content/>",
            },
        ),
        ("binary-workbook.xlsb", {"[Content_Types].xml": b"<Types/>", "xl/workbook.bin": b"\x00\x01"}),
    ):
        with zipfile.ZipFile(HERE / name, "w") as zf:
            for part, data in parts.items():
                zf.writestr(zipfile.ZipInfo(part, date_time=FIXED), data)
    # --- templates: a deleted _meta sheet; a copied form sheet filled by a second expert
    from survey.forms.templates import write_templates

    path = HERE / "template-without-meta-sheet.xlsx"
    write_templates(path, unit="tver")
    wb = openpyxl.load_workbook(path)
    _fill_form(wb["Анкета"], "T01")
    del wb["_meta"]
    wb.save(path)
    path = HERE / "template-with-copied-form-sheet.xlsx"
    write_templates(path, unit="tver")
    wb = openpyxl.load_workbook(path)
    _fill_form(wb["Анкета"], "T01")
    copy = wb.copy_worksheet(wb["Анкета"])
    copy.title = "Анкета (2)"
    _fill_form(copy, "T02")
    wb.save(path)


def _fill_form(ws, expert: str) -> None:
    """Answer every required question of a template's form sheet (column C, keys in column E)."""
    answers = {
        "expert_id": expert,
        "unit_id": "Тверь",
        "position": "консультант",
        "years_cooperation": 5,
        "interview_mode": 1,
        "interview_date": dt.date(2021, 3, 15),
        "q1_state": 4,
        "q2_areas/education": "да",
        "q3_problems": "Далеко, нет прямых рейсов.",
        "q4_covid": 1,
        "q5_forms/delegations": "да",
        "q6_prospects": 5,
    }
    for row in ws.iter_rows(min_col=5, max_col=5):
        key = row[0].value
        if key in answers:
            ws.cell(row=row[0].row, column=3, value=answers[key])


def _billion_laughs(name: str, data: bytes) -> bytes:
    if name != "xl/workbook.xml":
        return data
    entities = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    doctype = f'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">{entities}]>'.encode()
    if data.startswith(b"<?xml"):
        data = data[data.index(b"?>") + 2 :]
    return doctype + data.replace(b"<sheets>", b"<sheets>&lol9;", 1)


def _zip_bomb(path: Path) -> None:
    """A valid-looking xlsx whose sheet unpacks to 60 MB of blanks (a few KB on disk)."""
    buf = io.BytesIO()
    table().save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</worksheet>", b" " * (60 * 2**20) + b"</worksheet>")
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED)
            zi.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(zi, data, compresslevel=9)


if __name__ == "__main__":
    if sys.argv[1:] == ["--second-round"]:  # only the files of issue 16 (the others stay as committed)
        from survey.spec.questionnaire import load_questionnaire

        _second_round(load_questionnaire())
    else:
        make()
    print("\n".join(sorted(p.name for p in HERE.iterdir() if p.name != "make_corpus.py")))
