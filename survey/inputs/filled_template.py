"""Reading filled questionnaire templates (``survey template``) back as raw records.

:func:`read_filled_template` is one of the special readers of :mod:`survey.inputs.readers`:
it returns the answers with the cell of each («Благовещенск_1.xlsx, лист «Анкета», ячейка C12»),
and reports a template of another questionnaire or version, a damaged and an unfilled
template as problems of that file.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

from openpyxl.utils import column_index_from_string

from survey.base.missing import is_blank
from survey.errors import Code, Location, Problem
from survey.inputs.files import open_workbook
from survey.inputs.raw import RawRecord, RawTable
from survey.spec.questionnaire import Questionnaire
from survey.spec.template_layout import (
    ANSWER_COLUMN,
    FORM_SHEET,
    KEY_COLUMN,
    MARKER,
    MAX_FORM_ROWS,
    META_SHEET,
    form_rows,
    questionnaire_fingerprint,
)


class _FastBook:
    """The few workbook operations the template reader needs, on python-calamine (a Rust
    reader ~20× faster than openpyxl on small files: 1,000 templates are read in seconds).
    Empty cells are ``None`` as in openpyxl."""

    def __init__(self, book):
        self._book = book
        self.sheetnames = list(book.sheet_names)

    def __getitem__(self, name: str) -> _FastSheet:
        return _FastSheet(self._book.get_sheet_by_name(name))

    def close(self) -> None:
        self._book.close()


class _FastSheet:
    def __init__(self, sheet):
        self._rows = sheet.to_python(skip_empty_area=False)

    def iter_rows(self, max_row: int | None = None, max_col: int | None = None, values_only: bool = True):
        for row in self._rows[:max_row]:
            yield tuple(None if v == "" else v for v in row[:max_col])


def _open_fast(path: Path, data: bytes):
    """python-calamine when installed and able to read the file, else openpyxl."""
    try:
        import python_calamine
    except ImportError:
        return open_workbook(path, data)
    try:
        return _FastBook(python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)))
    except Exception:  # anything calamine cannot read: let openpyxl say what is wrong
        return open_workbook(path, data)


def _meta(wb) -> dict[str, str] | None:
    if META_SHEET not in wb.sheetnames:
        return None
    meta: dict[str, str] = {}
    sheet = wb[META_SHEET]
    if getattr(sheet, "reset_dimensions", None):  # read-only mode: do not trust the stored size
        sheet.reset_dimensions()
    for row in sheet.iter_rows(max_col=2, max_row=200, values_only=True):
        if row and row[0] is not None:
            meta[str(row[0])] = "" if len(row) < 2 or row[1] is None else str(row[1])
    return meta if meta.get("marker") == MARKER else None


def read_filled_template(path: Path, data: bytes, questionnaire: Questionnaire) -> RawTable | None:
    """Read a filled template (an ingest reader); ``None`` when the workbook is not a template.

    One record with a cell for every answer. File-level errors (another questionnaire or
    version, a damaged or unfilled template) are problems of the returned table, which then
    has no record: the file is reported, never silently dropped.
    """
    q = questionnaire
    wb = _open_fast(path, data)
    try:
        meta = _meta(wb)
        if meta is None:
            return None
        table = RawTable(path=path, sha256=hashlib.sha256(data).hexdigest(), kind="template")
        sheet = meta.get("form_sheet") or FORM_SHEET
        table.sheet = sheet
        file_loc = Location(path.name, sheet=sheet)
        problem = _version_problem(meta, q)
        if problem:
            table.problems.append(Problem(Location(path.name), *problem))
            return table
        if sheet not in wb.sheetnames:
            table.problems.append(
                Problem(
                    Location(path.name),
                    Code.TEMPLATE_DAMAGED,
                    f"в шаблоне анкеты нет листа «{sheet}» (лист удалён или переименован).",
                    "Перенесите ответы в новый шаблон (survey template) и пришлите его.",
                )
            )
            return table
        answer_idx = _column_index(meta.get("answer_column") or ANSWER_COLUMN)
        key_idx = _column_index(meta.get("key_column") or KEY_COLUMN)
        expected = {fr.key: fr for fr in form_rows(q) if fr.kind == "answer" and fr.key is not None}
        values: dict[tuple[str, str | None], Any] = {}
        cells: dict[tuple[str, str | None], Location] = {}
        letter = meta.get("answer_column") or ANSWER_COLUMN
        form = wb[sheet]
        if getattr(form, "reset_dimensions", None):
            form.reset_dimensions()
        rows = form.iter_rows(max_row=MAX_FORM_ROWS, max_col=max(answer_idx, key_idx) + 1, values_only=True)
        for r, row in enumerate(rows, start=1):
            key_text = row[key_idx] if key_idx < len(row) else None
            if not isinstance(key_text, str) or key_text not in expected:
                continue
            fr = expected[key_text]
            key = fr.data_key
            if key in values:
                continue
            values[key] = row[answer_idx] if answer_idx < len(row) else None
            cells[key] = Location(path.name, sheet=sheet, row=r, column=letter, header=fr.header, cell=f"{letter}{r}")
        missing = [k for k, fr in expected.items() if fr.data_key not in values]
        if missing:
            table.problems.append(
                Problem(
                    file_loc,
                    Code.TEMPLATE_DAMAGED,
                    f"в шаблоне анкеты нет ячеек для ответов: {', '.join(missing[:5])}"
                    + ("…" if len(missing) > 5 else "")
                    + " (строки удалены или лист изменён).",
                    "Перенесите ответы в новый шаблон (survey template) и пришлите его.",
                )
            )
            return table
        table.columns = set(values)
        prefilled = {k[len("prefill:") :]: v for k, v in meta.items() if k.startswith("prefill:")}
        if all(is_blank(v) or (k[1] is None and prefilled.get(k[0]) == v) for k, v in values.items()):
            table.problems.append(
                Problem(
                    file_loc,
                    Code.TEMPLATE_EMPTY,
                    "шаблон анкеты не заполнен: все ячейки ответов пусты.",
                    "Проверьте, что прислан заполненный файл; если эксперт не отвечал, уберите файл из папки.",
                )
            )
            return table
        table.records.append(RawRecord(values, cells, file_loc))
        return table
    finally:
        wb.close()


def _version_problem(meta: dict[str, str], q: Questionnaire) -> tuple[Code, str, str] | None:
    """(code, message, fix) when the template was made for another questionnaire or version."""
    tid, tver, tfp = (
        meta.get("questionnaire_id", ""),
        meta.get("questionnaire_version", ""),
        meta.get("fingerprint", ""),
    )
    regenerate = "Перенесите ответы в шаблон текущей версии (survey template)"
    if tid != q.id:
        return (
            Code.TEMPLATE_QUESTIONNAIRE,
            f"это шаблон другой анкеты («{tid}», версия {tver}), а проверка идёт по анкете «{q.id}» "
            f"версии {q.version}.",
            f"Проверьте файл с той анкетой (--questionnaire) или {regenerate[0].lower() + regenerate[1:]}.",
        )
    if tver != q.version:
        return (
            Code.TEMPLATE_VERSION,
            f"шаблон составлен по анкете версии {tver}, а проверка идёт по анкете версии {q.version}.",
            f"{regenerate} или проверьте файл анкетой версии {tver} (--questionnaire).",
        )
    if tfp != questionnaire_fingerprint(q):
        return (
            Code.TEMPLATE_VERSION,
            f"шаблон составлен по анкете версии {tver}, но её вопросы или варианты ответа отличаются от "
            f"текущей анкеты версии {q.version} (анкету изменили, не сменив номер версии).",
            f"{regenerate}; при изменении анкеты увеличивайте её version.",
        )
    return None


def _column_index(letter: str) -> int:
    try:
        return column_index_from_string(letter) - 1
    except ValueError:
        return column_index_from_string(ANSWER_COLUMN) - 1
