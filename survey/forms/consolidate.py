"""Many response files (filled templates, tables, exports) → one consolidated workbook.

``survey ingest DIR -o consolidated.xlsx`` reads and validates every file of ``DIR`` and
writes one row per accepted expert:

* «Ответы»: the questionnaire's column ids as headers (``expert_id``, ``unit_id``,
  ``q2_areas_education`` …; each header cell has the Russian question as a comment) and
  the source of every row (``source_file``, ``source_sheet``, ``source_row``);
  anonymised (no ``expert_name``) unless ``with_names``;
* «Проблемы»: every problem found (file, sheet, cell, field, message, fix);
* «Отклонены»: the rows left out, with their reasons.

Input with errors is refused (:class:`~survey.errors.InvalidDataError`, nothing written)
unless ``skip_invalid``. The consolidated workbook is itself valid input:
``survey validate consolidated.xlsx`` reads it back to the same answers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from survey.base.missing import is_missing
from survey.base.workbook import XLSX_FONT, save_workbook, xlsx_fixed_properties, xlsx_value
from survey.errors import InputError, InvalidDataError, UsageError
from survey.inputs.anonymise import anonymise, study_not_names
from survey.inputs.readers import CONSOLIDATED_REPORT_SHEETS
from survey.inputs.validate import PROVENANCE, ValidationReport, keep_inputs, validate
from survey.inputs.xlsx import CONSOLIDATED_MARK
from survey.spec.bundle import study_inputs
from survey.spec.questionnaire import Questionnaire
from survey.spec.study import Study, resolve_study

DATA_SHEET = "Ответы"
PROBLEMS_SHEET, REJECTED_SHEET = CONSOLIDATED_REPORT_SHEETS
_SEVERITY = {"error": "ошибка", "warning": "предупреждение"}


@dataclass
class ConsolidateResult:
    """The consolidated file, the validation report, and how many rows it holds."""

    output: Path
    report: ValidationReport
    rows: int


def consolidate(
    path: str | Path,
    output: str | Path,
    *,
    study: str | Path | Study | None = None,
    questionnaire: Questionnaire | str | Path | None = None,
    units: pd.DataFrame | str | Path | None = None,
    encoding: str | None = None,
    skip_invalid: bool = False,
    with_names: bool = False,
) -> ConsolidateResult:
    """Validate the response file(s) at ``path`` and write the consolidated workbook ``output``.

    Raises :class:`InvalidDataError` (exit code 1) when there are errors and not
    ``skip_invalid``, and :class:`InputError` (exit code 2) when no file could be read.
    """
    q, unit_table = study_inputs(study, questionnaire, units)
    output = Path(output)
    if output.suffix.lower() != ".xlsx":
        raise UsageError(f"{output}: сводная таблица сохраняется как книга Excel — укажите имя с расширением .xlsx.")
    result = validate(path, q, unit_table, encoding=encoding)
    keep_inputs(output, path, result)
    report = result.report
    if report.inputs and report.files_unreadable == len(report.inputs):
        raise InputError(f"{path}: ни один файл не удалось прочитать. {report.summary()}", problems=report.problems)
    if not report.valid and not skip_invalid:
        raise InvalidDataError(
            f"Ответы содержат ошибки, сводная таблица не записана. {report.summary()}\n"
            "Исправьте указанные ячейки или запустите с --skip-invalid, чтобы оставить ошибочные анкеты "
            "за пределами таблицы (они будут перечислены на листе «Проблемы»).",
            problems=report.problems,
        )
    data = result.data
    if not with_names:
        given = None if isinstance(questionnaire, Questionnaire) else questionnaire
        st = study if isinstance(study, Study) else resolve_study(study, given)
        data = anonymise(data, q, study_not_names(st, q, unit_table))
    write_consolidated(output, data, report, q)
    return ConsolidateResult(output, report, len(data))


def write_consolidated(path: str | Path, data: pd.DataFrame, report: ValidationReport, q: Questionnaire) -> Path:
    """Write validated ``data`` and ``report`` as the consolidated workbook (atomically)."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    path = Path(path)
    wb = Workbook()
    xlsx_fixed_properties(wb, f"{q.title}: сводная таблица ответов")
    # the marks travel on: synthetic data stay synthetic; the reader knows the report sheets beside the answers
    wb.properties.keywords = " ".join([CONSOLIDATED_MARK, *(["synthetic"] if report.synthetic else [])])
    bold = Font(name=XLSX_FONT, bold=True)
    normal = Font(name=XLSX_FONT)
    labels = _column_labels(q)

    ws = wb.active
    ws.title = DATA_SHEET
    columns = list(data.columns)
    for j, col in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=j)
        xlsx_value(cell, col)
        cell.font = bold
        if col in labels:
            cell.comment = Comment(labels[col], "survey", width=300, height=90)
        ws.column_dimensions[get_column_letter(j)].width = max(10, min(40, len(col) + 2))
    for i, record in enumerate(data.itertuples(index=False), start=2):
        for j, value in enumerate(record, start=1):
            cell = ws.cell(row=i, column=j)
            _write_value(cell, value)
            cell.font = normal
    ws.freeze_panes = "B2"
    if columns:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(1, len(data) + 1)}"

    problems = wb.create_sheet(PROBLEMS_SHEET)
    heads = [
        ("Важность", 16),
        ("Файл", 28),
        ("Лист", 12),
        ("Строка", 8),
        ("Ячейка / столбец", 14),
        ("Поле", 18),
        ("Что не так", 70),
        ("Как исправить", 50),
        ("Значение", 24),
    ]
    _header(problems, heads, bold)
    wrap = Alignment(wrap_text=True, vertical="top")
    for i, p in enumerate(report.problems, start=2):
        loc = p.location
        where = loc.cell or loc.column or ""
        row = [
            _SEVERITY.get(p.severity, p.severity),
            loc.file,
            loc.sheet or "",
            loc.row if loc.row is not None else "",
            where,
            p.field or "",
            p.message,
            p.fix,
            p.as_dict()["value"],
        ]
        for j, value in enumerate(row, start=1):
            cell = problems.cell(row=i, column=j)
            xlsx_value(cell, value)
            cell.font, cell.alignment = normal, wrap

    rejected = wb.create_sheet(REJECTED_SHEET)
    _header(
        rejected,
        [("Файл", 28), ("Лист", 12), ("Строка", 8), ("Код эксперта в файле", 20), ("Причины", 100)],
        bold,
    )
    for i, r in enumerate(report.rejected, start=2):
        row = [
            r.location.file,
            r.location.sheet or "",
            r.location.row if r.location.row is not None else "",
            r.expert_id,
            "; ".join(r.reasons),
        ]
        for j, value in enumerate(row, start=1):
            cell = rejected.cell(row=i, column=j)
            xlsx_value(cell, value)
            cell.font, cell.alignment = normal, wrap
    return save_workbook(wb, path)


def _header(ws, heads: list[tuple[str, int]], font) -> None:
    from openpyxl.utils import get_column_letter

    for j, (text, width) in enumerate(heads, start=1):
        cell = ws.cell(row=1, column=j)
        xlsx_value(cell, text)
        cell.font = font
        ws.column_dimensions[get_column_letter(j)].width = width
    ws.freeze_panes = "A2"


def _column_labels(q: Questionnaire) -> dict[str, str]:
    """Russian text of every data column (for header comments)."""
    labels = {
        "source_file": "Файл, из которого прочитана анкета",
        "source_sheet": "Лист файла",
        "source_row": "Строка файла (пусто для шаблона анкеты)",
    }
    for f in q.fields:
        title = f"{f.number}. {f.text}" if f.number else f.text
        if f.type == "multiple":
            for o in f.options:
                labels[f.option_column(o)] = f"{title}\nВариант: {o.label} (1 — выбран, 0 — нет)"
        elif f.options and f.type in ("single", "scale"):
            codes = "; ".join(f"{o.code} — {o.label}" for o in f.options)
            if f.type == "scale":
                codes = f"{f.min}–{f.max}; " + codes
            labels[f.id] = f"{title}\nКоды: {codes}"
        else:
            labels[f.id] = title
    return {k: v for k, v in labels.items() if k in q.data_columns() + PROVENANCE}


def _write_value(cell, value: Any) -> None:
    if is_missing(value):
        cell.value = None
        return
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        value = value.date() if value.time() == dt.time() else value
    if isinstance(value, dt.date):
        cell.value = value
        cell.number_format = "DD.MM.YYYY"
        return
    xlsx_value(cell, value)
