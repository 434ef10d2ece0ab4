"""Fillable questionnaire workbooks for administrators, and reading them back.

:func:`write_templates` writes one Excel workbook per expert questionnaire (optionally with
the city or region filled in, or one per unit of the gazetteer). A template has

* «Инструкция»: how to fill it, in Russian;
* «Анкета»: question text (column B) beside its answer cell (column C, yellow), a hint
  (column D); drop-down lists for closed questions, date and number validation with error
  messages on, multiple choice as one «да/нет» row per option; the sheet is protected and
  only the answer cells are unlocked; printed on A4 portrait, one page wide;
* «Списки» (hidden): the drop-down lists (the 77 units do not fit the 255 characters of an
  inline list, so every list is a range here);
* «_meta» (very hidden): the template marker, the questionnaire id and version, a
  fingerprint of its questions and options, and the prefilled values.

Column E of «Анкета» (hidden) holds the data key of each answer row (``q1_state``,
``q2_areas/education``). :func:`read_filled_template` is the ingest reader for such files
(see :data:`survey.inputs.readers.SPECIAL_READERS`): it returns the answers with the cell of each
(«Благовещенск_1.xlsx, лист «Анкета», ячейка C12»), and reports a template of another
questionnaire or version, and an unfilled template, as errors of that file.

>>> from survey.spec.questionnaire import load_questionnaire
>>> rows = form_rows(load_questionnaire())
>>> [(r.cell, r.key) for r in rows if r.key in ("expert_id", "years_cooperation", "q2_areas/education")]
[('C5', 'expert_id'), ('C12', 'years_cooperation'), ('C16', 'q2_areas/education')]
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd

from survey.base.files import OutputDir, safe_filename
from survey.base.text import fold, listed
from survey.base.workbook import XLSX_FONT, a4_page_setup, save_workbook, xlsx_fixed_properties, xlsx_value
from survey.errors import UsageError
from survey.inputs import limits
from survey.spec.bundle import study_inputs
from survey.spec.questionnaire import Field, Questionnaire
from survey.spec.study import Study
from survey.spec.template_layout import (
    ANSWER_COLUMN,
    FILE_PREFIX,
    FIRST_ROW,
    FORM_SHEET,
    FORMAT_VERSION,
    HEADER_ROW,
    INSTRUCTION_SHEET,
    KEY_COLUMN,
    LISTS_SHEET,
    MARKER,
    META_SHEET,
    MULTIPLE_PROMPT,
    NO,
    YES,
    answer_hint,
    date_bounds,
    field_fingerprints,
    form_rows,
    int_bounds,
    questionnaire_fingerprint,
    template_id,
)
from survey.spec.units import UnitResolver

_ANSWER_FILL = "FFF2CC"  # light yellow: "write here"
_SECTION_FILL = "D9E1F2"
_HEADER_FILL = "BDD7EE"
_MUTED = "595959"
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def template_filename(unit_name: str | None = None) -> str:
    """``Анкета_Благовещенск.xlsx`` (or ``Анкета.xlsx``), safe on every OS."""
    return safe_filename(f"{FILE_PREFIX}_{unit_name}" if unit_name else FILE_PREFIX, ".xlsx")


def _choices(f: Field, units: pd.DataFrame) -> list[str]:
    """The drop-down entries of a closed question, as shown to the administrator."""
    if f.options_from == "units":
        return sorted(units["name"], key=fold)
    if f.type == "scale":  # every point min..max, labelled or not, then the missing codes
        return [
            o.label if o.code in f.missing else str(o.code) if o.label == str(o.code) else f"{o.code} — {o.label}"
            for o in f.answer_options
        ]
    return [o.label for o in f.options]


def _excel_serial(date: dt.date) -> int:
    return (date - _EXCEL_EPOCH).days


def _row_height(text: str, chars_per_line: int, minimum: int = 1) -> float:
    lines = max(minimum, sum(max(1, -(-len(part) // chars_per_line)) for part in text.split("\n")))
    return 15.0 * lines + 3


def build_template(
    questionnaire: Questionnaire, units: pd.DataFrame, unit_id: str | None = None, password: str | None = None
):
    """The template as an openpyxl workbook (see the module docstring for its sheets)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
    from openpyxl.utils import get_column_letter, quote_sheetname
    from openpyxl.workbook.protection import WorkbookProtection
    from openpyxl.worksheet.datavalidation import DataValidation

    q = questionnaire
    unit_name = str(units.loc[unit_id, "name"]) if unit_id else None
    wb = Workbook()
    xlsx_fixed_properties(wb, f"{q.title}: анкета" + (f" ({unit_name})" if unit_name else ""))
    wb.properties.subject = template_id(q)
    wb.properties.keywords = MARKER

    normal = Font(name=XLSX_FONT, size=11)
    bold = Font(name=XLSX_FONT, size=11, bold=True)
    title_font = Font(name=XLSX_FONT, size=14, bold=True)
    muted = Font(name=XLSX_FONT, size=9, color=_MUTED)
    wrap_top = Alignment(wrap_text=True, vertical="top")
    thin = Side(style="thin", color="A6A6A6")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    answer_fill = PatternFill("solid", fgColor=_ANSWER_FILL)
    unlocked = Protection(locked=False)

    # ---- instruction sheet (first: what an administrator sees on opening the file)
    info = wb.active
    info.title = INSTRUCTION_SHEET
    _write_instructions(info, q, unit_name, title_font, bold, normal)

    # ---- form sheet
    ws = wb.create_sheet(FORM_SHEET)
    widths = {"A": 4.5, "B": 46, "C": 34, "D": 19, KEY_COLUMN: 24}
    for col, width in widths.items():
        ws.column_dimensions[col].width = width
    ws.column_dimensions[KEY_COLUMN].hidden = True
    ws.merge_cells("A1:D1")
    xlsx_value(ws["A1"], q.title)
    ws["A1"].font, ws["A1"].alignment = title_font, Alignment(wrap_text=True, vertical="center")
    ws.row_dimensions[1].height = 40
    ws.merge_cells("A2:D2")
    subtitle = (
        "Заполняйте только жёлтые ячейки столбца «Ответ»; обязательные вопросы отмечены *. "
        "Порядок заполнения — на листе «Инструкция»."
    )
    if unit_name:
        subtitle = f"{q.field('unit_id').label}: {unit_name}. " + subtitle  # the study's word: «Муниципалитет»
    xlsx_value(ws["A2"], subtitle)
    ws["A2"].font, ws["A2"].alignment = normal, wrap_top
    ws.row_dimensions[2].height = 33
    for col, text in zip("ABCD", ("№", "Вопрос", "Ответ", "Как заполнить")):
        cell = ws[f"{col}{HEADER_ROW}"]
        xlsx_value(cell, text)
        cell.font, cell.border = bold, box
        cell.fill = PatternFill("solid", fgColor=_HEADER_FILL)
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    xlsx_value(ws[f"{KEY_COLUMN}{HEADER_ROW}"], "key")

    # ---- lists sheet (hidden) and the validations that use it
    lists = wb.create_sheet(LISTS_SHEET)
    list_ranges: dict[str, str] = {}
    closed = [f for f in q.fields if f.type in ("single", "scale")]
    list_specs = [(f.id, f.label, _choices(f, units)) for f in closed]
    if any(f.type == "multiple" for f in q.fields):
        list_specs.append(("_yes_no", "да / нет", [YES, NO]))
    for j, (key, label, entries) in enumerate(list_specs, start=1):
        letter = get_column_letter(j)
        xlsx_value(lists.cell(row=1, column=j), label)
        lists.cell(row=1, column=j).font = bold
        for i, entry in enumerate(entries, start=2):
            xlsx_value(lists.cell(row=i, column=j), entry)
        lists.column_dimensions[letter].width = max(12, min(45, max(len(e) for e in entries) + 2))
        list_ranges[key] = f"{quote_sheetname(LISTS_SHEET)}!${letter}$2:${letter}${len(entries) + 1}"
    lists.sheet_state = "hidden"
    _protect_hidden(lists)

    validations: dict[str, Any] = {}

    def validation(key: str, **kw) -> Any:
        if key not in validations:
            # the hint column says what to enter; input pop-ups on every cell would only get in the way
            dv = DataValidation(
                allow_blank=True, showErrorMessage=True, showInputMessage=False, errorStyle="stop", **kw
            )
            ws.add_data_validation(dv)
            validations[key] = dv
        return validations[key]

    def list_validation(key: str, title: str, error: str) -> Any:
        return validation(key, type="list", formula1=list_ranges[key], errorTitle=title[:32], error=error[:255])

    meta_prefill: dict[str, str] = {}
    rows = form_rows(q)
    for fr in rows:
        r = fr.row
        if fr.kind == "section":
            ws.merge_cells(f"A{r}:D{r}")
            xlsx_value(ws[f"A{r}"], fr.text)
            ws[f"A{r}"].font = bold
            ws[f"A{r}"].fill = PatternFill("solid", fgColor=_SECTION_FILL)
            ws.row_dimensions[r].height = 20
            continue
        f = fr.field
        assert f is not None
        number, text_cell, answer, hint = ws[f"A{r}"], ws[f"B{r}"], ws[f"C{r}"], ws[f"D{r}"]
        for c in (number, text_cell, answer, hint):
            c.border = box
            c.alignment = wrap_top
            c.font = normal
        hint.font = muted
        if fr.option is None:
            xlsx_value(number, f"{f.number}." if f.number else "")
            xlsx_value(text_cell, fr.text)
        else:
            xlsx_value(text_cell, f"    {fr.text}")
        if fr.kind == "question":  # a multiple-choice question: the options follow
            text_cell.font = bold if f.section == "question" else normal
            xlsx_value(answer, MULTIPLE_PROMPT)
            answer.font = muted
            ws.row_dimensions[r].height = _row_height(fr.text, 44)
            continue
        if f.section == "question" and fr.option is None:
            text_cell.font = bold
        xlsx_value(hint, answer_hint(f, fr.option, len(units)))
        xlsx_value(ws[f"{KEY_COLUMN}{r}"], fr.key)
        answer.fill = answer_fill
        answer.protection = unlocked
        height = max(_row_height(fr.text, 44), _row_height(answer_hint(f, fr.option, len(units)), 25) * 0.8)
        if fr.option is not None:
            dv = list_validation(
                "_yes_no",
                "Только «да» или «нет»",
                "Выберите «да», если вариант подходит; иначе оставьте пусто или выберите «нет».",
            )
        elif f.type in ("single", "scale"):
            if f.options_from == "units":
                error = (
                    "Выберите значение из списка. Если нужного там нет, сообщите организатору "
                    "опроса — вписывать название вручную нельзя."
                )
            else:
                error = "Выберите вариант из раскрывающегося списка (стрелка справа от ячейки)."
            dv = list_validation(f.id, "Значение не из списка", error)
        elif f.type == "date":
            lo, hi = date_bounds(f)
            dv = validation(
                f.id,
                type="date",
                operator="between",
                formula1=str(_excel_serial(lo)),
                formula2=str(_excel_serial(hi)),
                errorTitle="Неверная дата",
                error=f"Введите дату в формате ДД.ММ.ГГГГ с {lo:%d.%m.%Y} по {hi:%d.%m.%Y}, например {lo:%d.%m.%Y}.",
            )
            answer.number_format = "DD.MM.YYYY"
        elif f.type == "integer":
            low, high = int_bounds(f)
            dv = validation(
                f.id,
                type="whole",
                operator="between",
                formula1=str(low),
                formula2=str(high),
                errorTitle="Нужно целое число",
                error=f"Введите целое число от {low} до {high}.",
            )
            answer.number_format = "0"
        else:  # text
            limit = f.max_length or limits.MAX_ANSWER_CHARS
            dv = validation(
                f"_text_{limit}",
                type="textLength",
                operator="lessThanOrEqual",
                formula1=str(limit),
                errorTitle="Слишком длинный ответ",
                error=f"Не больше {limit} символов.",
            )
            answer.number_format = "@"  # "001" stays text, not the number 1
            if f.section == "question":
                height = max(height, 105.0)  # room for a long open answer
        dv.add(answer.coordinate)
        ws.row_dimensions[r].height = height
        if fr.option is None and f.options_from == "units" and unit_name:
            xlsx_value(answer, unit_name)
            meta_prefill[f.id] = unit_name

    last = rows[-1].row
    note = last + 2
    ws.merge_cells(f"A{note}:D{note}")
    xlsx_value(ws[f"A{note}"], "Спасибо за участие в опросе! Сохраните файл (.xlsx) и отправьте его организатору.")
    ws[f"A{note}"].font = normal
    ws.freeze_panes = f"A{FIRST_ROW}"
    ws.print_area = f"A1:D{note}"
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    a4_page_setup(ws, footer="Стр. &P из &N")
    # protection: only the answer cells (unlocked above) can be changed; rows may be made
    # taller for long answers. No password by default: this prevents accidents, not attacks.
    ws.protection.sheet = True
    ws.protection.formatRows = False
    ws.protection.selectLockedCells = False
    ws.protection.selectUnlockedCells = False

    # ---- meta sheet (very hidden): what the reader checks
    meta = wb.create_sheet(META_SHEET)
    meta_entries: list[tuple[str, Any]] = [
        ("marker", MARKER),
        ("format", FORMAT_VERSION),
        ("template_id", template_id(q)),
        ("questionnaire_id", q.id),
        ("questionnaire_version", q.version),
        ("fingerprint", questionnaire_fingerprint(q)),
        ("fields", field_fingerprints(q)),
        ("form_sheet", FORM_SHEET),
        ("answer_column", ANSWER_COLUMN),
        ("key_column", KEY_COLUMN),
        ("unit_id", unit_id or ""),
    ]
    meta_entries += [(f"prefill:{k}", v) for k, v in meta_prefill.items()]
    for i, (k, v) in enumerate(meta_entries, start=1):
        xlsx_value(meta.cell(row=i, column=1), k)
        xlsx_value(meta.cell(row=i, column=2), v)
    meta.sheet_state = "veryHidden"
    _protect_hidden(meta)
    if password:
        for sheet in (info, ws, lists, meta):
            sheet.protection.password = password
    # Excel: hidden sheets cannot be shown, renamed or deleted while the structure is protected.
    # LibreOffice (7.4) does not read this lock from .xlsx: there the hidden sheets can be shown, but
    # stay protected (read-only; with --password, also not unprotectable) — see README.
    wb.security = WorkbookProtection(lockStructure=True)
    if password:
        wb.security.workbookPassword = password
    info.sheet_view.tabSelected = True
    wb.active = 0
    return wb


def _protect_hidden(sheet) -> None:
    """Protect a hidden sheet completely: no cell can be changed or even selected (the drop-downs of
    «Анкета» still read its lists). This holds where the workbook-structure lock does not
    (LibreOffice shows hidden sheets of an .xlsx on request)."""
    sheet.protection.sheet = True
    sheet.protection.selectLockedCells = True  # OOXML: selecting locked cells is not allowed
    sheet.protection.selectUnlockedCells = True
    sheet.protection.formatRows = sheet.protection.formatColumns = sheet.protection.formatCells = True


def _write_instructions(ws, q: Questionnaire, unit_name: str | None, title_font, bold, normal) -> None:
    from openpyxl.styles import Alignment

    multiple = [f for f in q.questions if f.type == "multiple"]
    open_q = [f for f in q.questions if f.type == "text"]
    numbers = lambda fs: " и ".join(str(f.number) for f in fs)  # noqa: E731
    lines: list[tuple[str, Any]] = [
        (q.title, title_font),
        (f"Анкета для: {unit_name}" if unit_name else "Анкета эксперта", bold),
        ("", normal),
        ("Как заполнить анкету", bold),
        (
            "1. Один файл — одна анкета одного эксперта. Если отвечают несколько сотрудников, каждый "
            "заполняет свою копию этого файла.",
            normal,
        ),
        (
            f"2. Перейдите на лист «{FORM_SHEET}». Ответы вписываются только в жёлтые ячейки столбца "
            "«Ответ»; остальные ячейки защищены от случайных изменений. Обязательные вопросы отмечены "
            "звёздочкой *.",
            normal,
        ),
        (
            "3. Где у ячейки появляется стрелка, выберите значение из раскрывающегося списка. Значения "
            "не из списка таблица не примет.",
            normal,
        ),
    ]
    if multiple:
        lines.append(
            (
                f"4. В {'вопросах' if len(multiple) > 1 else 'вопросе'} {numbers(multiple)} можно выбрать "
                "несколько вариантов: у каждого "
                "подходящего варианта выберите «да», остальные оставьте пустыми или выберите «нет».",
                normal,
            )
        )
    dates = [f for f in q.fields if f.type == "date"]
    example = f" (например, {date_bounds(dates[0])[0]:%d.%m.%Y})" if dates else ""
    lines += [
        (f"5. Дату пишите в виде ДД.ММ.ГГГГ{example}, числа — цифрами.", normal),
        (
            f"6. На {'вопросы' if len(open_q) > 1 else 'вопрос'} {numbers(open_q)} отвечайте своими словами, "
            "подробно. Новая строка внутри "
            "ячейки: Alt+Enter в Excel, Ctrl+Enter в LibreOffice. Если текст не помещается, строку "
            "можно сделать выше.",
            normal,
        ),
        (
            f"7. {q.field('expert_id').label} сообщает организатор опроса."
            + (" ФИО нужно только для связи с экспертом и в отчёты не включается." if q.personal_columns else ""),
            normal,
        ),
        (
            "8. Не переименовывайте и не удаляйте листы и не переносите ответы в другой файл: программа "
            "обработки узнаёт анкету по служебным данным этого файла.",
            normal,
        ),
        (
            "9. Сохраните файл в формате «Книга Excel (*.xlsx)» и отправьте организатору опроса. Имя "
            f"файла можно изменить, например: {safe_filename(unit_name or 'Анкета')}_1.xlsx.",
            normal,
        ),
        ("", normal),
        (f"Версия анкеты: {q.version} ({q.id}).", normal),
    ]
    for r, (text, font) in enumerate(lines, start=1):
        cell = ws.cell(row=r, column=1)
        xlsx_value(cell, text)
        cell.font = font
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if len(text) > 75:
            ws.row_dimensions[r].height = _row_height(text, 75)
    ws.row_dimensions[1].height = 40
    ws.column_dimensions["A"].width = 80
    ws.print_area = f"A1:A{len(lines)}"
    a4_page_setup(ws)
    ws.protection.sheet = True


def write_templates(
    output: str | Path | None = None,
    *,
    unit: str | None = None,
    all_units: bool = False,
    study: str | Path | Study | None = None,
    questionnaire: Questionnaire | str | Path | None = None,
    units: pd.DataFrame | str | Path | None = None,
    password: str | None = None,
    overwrite: bool = False,
) -> list[Path]:
    """Write questionnaire templates; returns the files written.

    * default: one template with the unit as a drop-down, to ``output`` (a file, or a folder —
      any path without a suffix — for ``Анкета.xlsx``; default ``Анкета.xlsx`` in the current
      folder);
    * ``unit`` (id or Russian name): the unit is filled in and named in the default file name;
    * ``all_units``: one prefilled template per unit of the gazetteer into the folder
      ``output`` (``Анкета_Благовещенск.xlsx`` …), written all together or not at all.

    Every file is written atomically. An unknown ``unit`` raises :class:`UsageError`, and so
    does a template file that exists already unless ``overwrite``: filled questionnaires come
    back under the templates' names, and writing the templates again must not erase them.
    """
    q, unit_table = study_inputs(study, questionnaire, units)
    if all_units:
        if unit:
            raise UsageError("Укажите либо --unit, либо --all-units, но не оба сразу.")
        if output is None:
            raise UsageError("Для --all-units укажите папку: -o ПАПКА.")
        folder = Path(output)
        if folder.suffix.lower() == ".xlsx" or folder.is_file():
            raise UsageError(f"{folder}: для --all-units нужна папка, а не файл.")
        names: dict[str, str] = {}
        for name in unit_table["name"]:
            filename = template_filename(name)
            if fold(filename) in names:
                raise UsageError(
                    f"Имена файлов совпадают у «{names[fold(filename)]}» и «{name}»: "
                    "переименуйте одну из единиц в справочнике."
                )
            names[fold(filename)] = name
        _refuse_existing([folder / template_filename(name) for name in unit_table["name"]], overwrite)
        with OutputDir(folder) as staged:
            for uid, name in zip(unit_table.index, unit_table["name"]):
                save_workbook(build_template(q, unit_table, uid, password), staged.path(template_filename(name)))
        return [folder / rel for rel in staged.written]
    unit_id = None
    if unit:
        unit_id = UnitResolver(unit_table).resolve(unit)
        if unit_id is None:
            near = UnitResolver(unit_table).suggest(unit)
            hint = f" Возможно, имелось в виду: {', '.join(near)}." if near else ""
            raise UsageError(f"«{unit}» нет в справочнике единиц (--units).{hint}")
    default_name = template_filename(str(unit_table.loc[unit_id, "name"]) if unit_id else None)
    target = Path(output) if output else Path(default_name)
    if target.is_dir() or not target.suffix:  # a folder (created if need be)
        target = target / default_name
    if target.suffix.lower() != ".xlsx":
        raise UsageError(f"{target}: шаблон сохраняется как книга Excel — укажите имя файла с расширением .xlsx.")
    _refuse_existing([target], overwrite)
    wb = build_template(q, unit_table, unit_id, password)
    save_workbook(wb, target)
    return [target]


def _refuse_existing(targets: list[Path], overwrite: bool) -> None:
    """Stop before writing when a template would replace a file (perhaps a filled one)."""
    existing = [str(t) for t in targets if t.exists()]
    if existing and not overwrite:
        raise UsageError(
            f"Файлы уже есть ({len(existing)}): {listed(existing, 5)}. Шаблоны не записаны, чтобы не затереть "
            "заполненные анкеты. Укажите другую папку или файл (-o) или добавьте --overwrite, если эти файлы "
            "можно заменить."
        )
