"""Reading filled questionnaire templates (``survey template``) back as raw records.

:func:`read_filled_template` is one of the special readers of :mod:`survey.inputs.readers`:
it returns the answers with the cell of each («Благовещенск_1.xlsx, лист «Анкета», ячейка C12»),
and reports a template of another questionnaire or version, a damaged and an unfilled
template as problems of that file.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl.utils import column_index_from_string

from survey.base.missing import is_blank
from survey.base.text import listed
from survey.errors import Code, Location, Problem, shorten
from survey.inputs.raw import RawRecord, RawTable
from survey.inputs.xlsx import Book, Sheet, col_letter
from survey.spec.questionnaire import Questionnaire
from survey.spec.template_layout import (
    ANSWER_COLUMN,
    FORM_SHEET,
    HEADER_ROW,
    HINT_COLUMN,
    INSTRUCTION_SHEET,
    KEY_COLUMN,
    LISTS_SHEET,
    MARKER,
    MAX_FORM_ROWS,
    META_SHEET,
    MULTIPLE_PROMPT,
    FormRow,
    answer_hint,
    field_fingerprints,
    fingerprint_matches,
    form_rows,
    template_changes,
)


def _meta(sheet: Sheet | None) -> dict[str, str] | None:
    if sheet is None:
        return None
    meta: dict[str, str] = {}
    for number, row in sheet.rows:
        if number > 200:
            break
        if row and row[0] is not None:
            meta[str(row[0])] = "" if len(row) < 2 or row[1] is None else str(row[1])
    return meta if meta.get("marker") == MARKER else None


def _form_keys(sheet: Sheet, key_idx: int, expected: dict[str, FormRow]) -> int:
    """How many answer keys of the form stand in the sheet's key column (or, when a column was
    deleted or inserted, in the column that holds most of them)."""
    own = _key_counts(sheet, expected, key_idx).get(key_idx, 0)
    return own or max(_key_counts(sheet, expected).values(), default=0)  # all columns: the key column holds none


def _key_counts(sheet: Sheet, expected: dict[str, FormRow], only: int | None = None) -> dict[int, int]:
    """Answer keys of the form per column of the sheet (of column ``only`` alone, if given)."""
    counts: dict[int, int] = {}
    for number, row in sheet.rows:
        if number > MAX_FORM_ROWS:
            break
        cells = enumerate(row) if only is None else ([(only, row[only])] if only < len(row) else [])
        for c, value in cells:
            if isinstance(value, str) and value in expected:
                counts[c] = counts.get(c, 0) + 1
    return counts


@dataclass(frozen=True)
class _Layout:
    """Where a form sheet holds its answers, hints and keys (0-based columns)."""

    answer: int
    hint: int | None
    key: int

    @property
    def letter(self) -> str:
        return col_letter(self.answer + 1)


DEFAULT_LAYOUT = _Layout(*(column_index_from_string(c) - 1 for c in (ANSWER_COLUMN, HINT_COLUMN, KEY_COLUMN)))


def _layout(sheet: Sheet, expected: dict[str, FormRow]) -> _Layout | None:
    """The columns of a form sheet: the template's own, or — when a column was deleted or inserted
    in Excel or LibreOffice — found again by the hidden keys (the column holding most of them) and
    the hints of the answer rows; the answer column is left of the hints (left of the keys when the
    hint column itself was deleted). None when the answers cannot be told from the questions' text."""
    counts = _key_counts(sheet, expected)
    if not counts or counts.get(DEFAULT_LAYOUT.key, 0) >= max(counts.values()):
        return DEFAULT_LAYOUT
    key = max(counts, key=lambda c: counts[c])
    hints: dict[int, int] = {}
    labels: dict[int, int] = {}
    for number, row in sheet.rows:
        if number > MAX_FORM_ROWS:
            break
        fr = expected.get(row[key]) if key < len(row) and isinstance(row[key], str) else None
        if fr is None or fr.field is None:
            continue
        hint = answer_hint(fr.field, fr.option, 0)
        for c in range(key):
            if not is_blank(row[c]) and _is_hint(row[c], hint):
                hints[c] = hints.get(c, 0) + 1
            if isinstance(row[c], str) and row[c].strip() == fr.text.strip():
                labels[c] = labels.get(c, 0) + 1
    hint_col = max(hints, key=lambda c: hints[c]) if hints else None
    answer = (hint_col if hint_col is not None else key) - 1
    if answer < 0 or labels.get(answer, 0) > 0:  # the answer column itself deleted: the questions' text is there
        return None
    return _Layout(answer, hint_col, key)


def read_filled_template(
    path: Path, data: bytes, book: Book, questionnaire: Questionnaire, name: str | None = None
) -> RawTable | None:
    """Read a filled template (an ingest reader); ``None`` when the workbook is not a template.

    One record per form sheet, with a cell for every answer: the form «Анкета» and any copy of it
    in the same workbook («Анкета (2)», a sheet renamed after the expert) — a copy filled in by a
    second expert is a further respondent. File-level errors (another questionnaire or version,
    a damaged or unfilled template) are problems of the returned table, which then has no record:
    the file is reported, never silently dropped. ``name`` is how messages name the file (its path
    in the folder of responses; default: the file's name).
    """
    file = name or path.name
    q = questionnaire
    sheets = {s.title: s for s in book.sheets}
    meta = _meta(sheets.get(META_SHEET))
    expected = {fr.key: fr for fr in form_rows(q) if fr.kind == "answer" and fr.key is not None}
    key_idx = _column_index(KEY_COLUMN)
    if meta is None:
        # a template whose hidden «_meta» sheet was deleted: its form sheet still carries the keys
        forms = [s for s in book.sheets if _form_keys(s, key_idx, expected) >= len(expected) // 2]
        if not forms or any(s.title == META_SHEET for s in book.sheets):
            return None
        table = RawTable(
            path=path, sha256=hashlib.sha256(data).hexdigest(), kind="template", sheet=forms[0].title, file=file
        )
        table.problems.append(
            Problem(
                Location(file, sheet=forms[0].title),
                Code.TEMPLATE_DAMAGED,
                f"это шаблон анкеты, но из книги удалён служебный скрытый лист «{META_SHEET}», по которому "
                "проверяется версия анкеты; ответы не прочитаны.",
                "Перенесите ответы в новый шаблон (survey template) и пришлите его; служебные листы не удаляйте.",
            )
        )
        return _refused(table, forms)
    table = RawTable(path=path, sha256=hashlib.sha256(data).hexdigest(), kind="template", file=file)
    sheet_name = FORM_SHEET
    table.sheet = sheet_name
    file_loc = Location(file, sheet=sheet_name)
    added = _added_optional(meta, q)
    if added:  # a template of the questionnaire before optional questions were added: read, they stay empty
        expected = {k: fr for k, fr in expected.items() if fr.field is None or fr.field.id not in added}
        table.problems.append(
            Problem(
                Location(file),
                Code.TEMPLATE_VERSION,
                f"шаблон составлен по анкете версии {meta.get('questionnaire_version', '')} до того, как в неё "
                f"добавили необязательные вопросы ({listed(added)}); ответы прочитаны, эти вопросы остались "
                "без ответа.",
                "Если ответы на новые вопросы нужны, попросите заполнить шаблон текущей версии (survey template).",
                severity="warning",
            )
        )
    problem = None if added else _version_problem(meta, q)
    if problem:
        table.problems.append(Problem(Location(file), *problem))
        return _refused(table, _form_sheets(book))
    # the layout is the tool's, not the file's: «_meta» only repeats it, and a «_meta» that says
    # otherwise was edited (LibreOffice lets a user unprotect it) — never read answers by it
    layout = {"form_sheet": FORM_SHEET, "answer_column": ANSWER_COLUMN, "key_column": KEY_COLUMN}
    changed = [k for k, v in layout.items() if meta.get(k) not in (None, "", v)]
    if changed:
        table.problems.append(
            Problem(
                Location(file, sheet=META_SHEET),
                Code.TEMPLATE_DAMAGED,
                f"служебный скрытый лист «{META_SHEET}» изменён ("
                + ", ".join(f"{k}: «{meta.get(k)}» вместо «{layout[k]}»" for k in changed)
                + "); ответы не прочитаны.",
                "Перенесите ответы в новый шаблон (survey template) и пришлите его; служебные листы не меняйте.",
            )
        )
        return _refused(table, _form_sheets(book))
    forms = [s for s in book.sheets if s.title != META_SHEET and _form_keys(s, key_idx, expected) >= len(expected) // 2]
    if sheet_name not in sheets:
        if not forms:
            table.problems.append(
                Problem(
                    Location(file),
                    Code.TEMPLATE_DAMAGED,
                    f"в шаблоне анкеты нет листа «{sheet_name}» (лист удалён или переименован), и ни на одном "
                    "листе нет ячеек ответов анкеты.",
                    "Перенесите ответы в новый шаблон (survey template) и пришлите его.",
                )
            )
            return _refused(table, _form_sheets(book))
        # the form sheet renamed (after the expert, say): it is found by the keys of its answer rows
        sheet_name = forms[0].title
        table.sheet = sheet_name
        file_loc = Location(file, sheet=sheet_name)
        table.problems.append(
            Problem(
                file_loc,
                Code.TEMPLATE_RENAMED,
                f"в шаблоне нет листа «{FORM_SHEET}»: он переименован в «{sheet_name}»; ответы прочитаны с этого "
                "листа (он найден по скрытым ключам ответов).",
                f"Проверьте, что это лист анкеты; лучше не переименовывать лист «{FORM_SHEET}».",
            )
        )
    copies = [s for s in forms if s.title != sheet_name]
    filled: list[RawRecord] = []
    empty: list[str] = []
    damaged: list[Sheet] = []
    for sheet in [sheets[sheet_name], *copies]:
        found = _layout(sheet, expected)
        if found is not None and found != DEFAULT_LAYOUT:
            table.problems.append(
                Problem(
                    Location(file, sheet=sheet.title),
                    Code.TEMPLATE_SHIFTED,
                    f"в листе анкеты «{sheet.title}» удалён или вставлен столбец: скрытые ключи ответов стоят в "
                    f"столбце {col_letter(found.key + 1)} вместо {KEY_COLUMN}; ответы прочитаны из столбца "
                    f"{found.letter} (вместо {ANSWER_COLUMN}).",
                    "Проверьте эти ответы в сводке; в шаблоне лучше не удалять и не вставлять столбцы.",
                )
            )
        record, missing = _answers(file, sheet, expected, found or DEFAULT_LAYOUT, meta)
        if missing:
            damaged.append(sheet)
            table.problems.append(
                Problem(
                    Location(file, sheet=sheet.title),
                    Code.TEMPLATE_DAMAGED,
                    f"в шаблоне анкеты нет ячеек для ответов: {listed((_described(expected[k]) for k in missing), 5)} "
                    "(строки удалены или лист изменён); ответы листа не прочитаны.",
                    "Перенесите ответы в новый шаблон (survey template) и пришлите его.",
                )
            )
            continue
        assert record is not None
        table.columns |= set(record.values)
        if _is_empty(record, meta):
            empty.append(sheet.title)
            continue
        filled.append(record)
    if damaged:  # the other form sheets are read
        _refused(table, damaged)
        if not filled:
            return table
    if not filled:
        table.problems.append(
            Problem(
                file_loc,
                Code.TEMPLATE_EMPTY,
                "шаблон анкеты не заполнен: все ячейки ответов пусты.",
                "Проверьте, что прислан заполненный файл; если эксперт не отвечал, уберите файл из папки.",
            )
        )
        return table
    for title in empty:
        table.problems.append(
            Problem(
                Location(file, sheet=title),
                Code.TEMPLATE_SHEET_EMPTY,
                f"лист анкеты «{title}» не заполнен и пропущен; ответы прочитаны с других листов-анкет книги.",
                "Если лист не нужен, удалите его.",
            )
        )
    if copies:
        titles = ", ".join(f"«{title}»" for title in [sheet_name, *[c.title for c in copies]])
        table.problems.append(
            Problem(
                file_loc,
                Code.TEMPLATE_COPIES,
                f"в книге {len(copies) + 1} листа-анкеты ({titles}); "
                f"каждый заполненный прочитан как анкета отдельного эксперта (прочитано: {len(filled)}).",
                "Проверьте, что это разные эксперты; одинаковые коды экспертов будут отмечены как повтор.",
            )
        )
    table.problems.extend(_sheet_notes(file, book, [sheets[sheet_name], *copies]))
    table.records.extend(filled)
    return table


def _sheet_notes(file: str, book: Book, forms: list[Sheet]) -> list[Problem]:
    """A hidden form sheet (read, as a hidden table sheet is) and a sheet of the template's user with
    content (not read): warnings naming the sheet."""
    notes = []
    own = {INSTRUCTION_SHEET, LISTS_SHEET, META_SHEET}
    for sheet in book.sheets:
        where = Location(file, sheet=sheet.title)
        if sheet in forms:
            if not sheet.visible:
                notes.append(
                    Problem(
                        where,
                        Code.HIDDEN_SHEET,
                        f"лист анкеты «{sheet.title}» скрыт в Excel; его ответы прочитаны, как и остальные.",
                        "Проверьте, что эта анкета должна быть учтена; если нет, удалите лист.",
                    )
                )
            continue
        if sheet.title in own:
            continue
        filled = sum(1 for _, values in sheet.rows for v in values if not is_blank(v))
        if filled:
            notes.append(
                Problem(
                    where,
                    Code.SHEET_NOT_READ,
                    f"лист «{sheet.title}» не прочитан: это не лист анкеты, а на нём есть данные (заполненных "
                    f"ячеек: {filled}).",
                    f"Если там ответы, перенесите их в жёлтые ячейки листа «{FORM_SHEET}»; если нет — удалите лист "
                    "или не обращайте внимания.",
                )
            )
    return notes


def _described(fr: FormRow) -> str:
    """An answer row as the form shows it: «вопрос 2, вариант «спорт»», «Код эксперта»."""
    assert fr.field is not None
    f = fr.field
    what = f"вопрос {f.number}" if f.number else f"«{f.label}»"
    return what + (f", вариант «{fr.option.label}»" if fr.option else "")


def _form_sheets(book: Book) -> list[Sheet]:
    """The sheets of a template holding a form (the key of the expert code in the key column)."""
    key_idx = _column_index(KEY_COLUMN)
    return [s for s in book.sheets if s.title != META_SHEET and _expert_code(s, key_idx) is not None]


def _expert_code(sheet: Sheet, key_idx: int) -> tuple[Any] | None:
    """``(the expert code typed in the form)`` — found by its key, so also in a template of another
    version — or ``None`` when the sheet has no expert code row."""
    answer_idx = _column_index(ANSWER_COLUMN)
    for number, row in sheet.rows:
        if number > MAX_FORM_ROWS:
            break
        if key_idx < len(row) and row[key_idx] == "expert_id":
            return (row[answer_idx] if answer_idx < len(row) else None,)
    return None


def _refused(table: RawTable, sheets: list[Sheet]) -> RawTable:
    """Count each form sheet of a template refused as a whole as a row read and rejected (with the
    expert code typed in it), so that rows read = accepted + rejected holds for templates too."""
    key_idx = _column_index(KEY_COLUMN)
    for sheet in sheets:
        code = _expert_code(sheet, key_idx)
        table.refused.append((Location(table.file, sheet=sheet.title), code[0] if code else None))
    if not sheets:
        table.refused.append((Location(table.file), None))
    return table


def _answers(
    file: str,
    sheet: Sheet,
    expected: dict[str, FormRow],
    layout: _Layout,
    meta: dict[str, str],
) -> tuple[RawRecord | None, list[str]]:
    """The record of one form sheet, or the keys of the answers it lacks.

    What the sheet shows beyond the answer cells is noted on the record, never dropped silently:
    a copied answer row (its key repeats), text typed outside the answer cells (an inserted row,
    the hint column, columns right of the form), formulas and merged answer cells.
    """
    values: dict[tuple[str, str | None], Any] = {}
    cells: dict[tuple[str, str | None], Location] = {}
    first_row: dict[tuple[str, str | None], int] = {}
    notes: list[Problem] = []
    answer_idx, hint_idx, key_idx, letter = layout.answer, layout.hint, layout.key, layout.letter
    base = Location(file, sheet=sheet.title)
    answer_rows: dict[int, FormRow] = {}
    for r, row in sheet.rows:
        if r > MAX_FORM_ROWS:
            break
        if r <= HEADER_ROW:  # the title and the header of the form
            continue
        key_text = row[key_idx] if key_idx < len(row) else None
        fr = expected.get(key_text) if isinstance(key_text, str) else None
        if fr is None:  # a row without an answer: the template writes only into A, B (and C of a question)
            for c, value in enumerate(row):
                if c < answer_idx or c == key_idx or is_blank(value) or (c == answer_idx and value == MULTIPLE_PROMPT):
                    continue
                notes.append(
                    _stray(base, r, c, value, f"в строке нет ячейки ответа (ключа анкеты в столбце {KEY_COLUMN})")
                )
            continue
        key = fr.data_key
        value = row[answer_idx] if answer_idx < len(row) else None
        where = Location(file, sheet=sheet.title, row=r, column=letter, header=fr.header, cell=f"{letter}{r}")
        if key in values:  # a copied answer row: its key repeats
            first = first_row[key]
            if is_blank(value) or value == values[key]:
                notes.append(
                    Problem(
                        where,
                        Code.TEMPLATE_REPEATED_ROW,
                        f"«{fr.header}»: строка {r} повторяет строку {first} (тот же ключ «{key_text}» в столбце "
                        f"{KEY_COLUMN}) и пропущена; другого ответа в ней нет.",
                        f"Удалите лишнюю строку {r}.",
                        field=key[0],
                        severity="warning",
                    )
                )
            else:
                notes.append(
                    Problem(
                        where,
                        Code.TEMPLATE_REPEATED_ROW,
                        f"«{fr.header}»: строка ответа повторяется — строки {first} и {r} (строку скопировали); "
                        f"ответ в ячейке {letter}{r} («{shorten(value)}») не прочитан, прочитана только ячейка "
                        f"{letter}{first}.",
                        f"Перенесите весь ответ в ячейку {letter}{first}, удалите строку {r} и пришлите файл снова.",
                        field=key[0],
                        value=value,
                    )
                )
            continue
        values[key] = value
        cells[key] = where
        first_row[key] = r
        answer_rows[r] = fr
        assert fr.field is not None
        hint = row[hint_idx] if hint_idx is not None and hint_idx < len(row) else None
        if hint_idx is not None and not is_blank(hint) and not _is_hint(hint, answer_hint(fr.field, fr.option, 0)):
            notes.append(
                _stray(
                    base, r, hint_idx, hint, f"это столбец подсказки рядом с ячейкой ответа {letter}{r} («{fr.header}»)"
                )
            )
        for c in range(key_idx + 1, len(row)):
            if not is_blank(row[c]):
                notes.append(_stray(base, r, c, row[c], f"ответ на «{fr.header}» читается из ячейки {letter}{r}"))
        formula = sheet.formulas.get((r, answer_idx))
        if formula is not None:
            notes.append(_formula_note(where, fr, formula, value))
    notes.extend(_merged_notes(sheet, base, answer_rows, answer_idx, values))
    missing = [k for k, fr in expected.items() if fr.data_key not in values]
    if missing:
        return None, missing
    return RawRecord(values, cells, Location(file, sheet=sheet.title), notes), []


def _is_hint(text: Any, hint: str) -> bool:
    """The template's hint in the hint column, also as an earlier version of the tool worded it: the same
    beginning (12 characters, numbers aside — the units list counts its entries), which no answer shares."""
    t, h = (re.sub(r"\d+", "#", str(x).strip()) for x in (text, hint))
    return bool(h) and len(os.path.commonprefix([t, h])) >= min(len(h), 12)


def _stray(base: Location, r: int, c: int, value: Any, why: str) -> Problem:
    cell = f"{col_letter(c + 1)}{r}"
    return Problem(
        base.with_(row=r, column=col_letter(c + 1), cell=cell),
        Code.TEMPLATE_STRAY_TEXT,
        f"текст «{shorten(value)}» стоит вне ячеек ответов и не прочитан: {why}.",
        f"Если это ответ, перенесите его в жёлтую ячейку ответа столбца {ANSWER_COLUMN}; если нет — удалите его из "
        f"ячейки {cell}.",
        value=value,
    )


def _formula_note(where: Location, fr: FormRow, formula: tuple[str, bool], value: Any) -> Problem:
    """An answer cell holding a formula: its stored result is read (a warning), or there is none (an error)."""
    assert fr.field is not None
    if not formula[1] or is_blank(value):
        return Problem(
            where,
            Code.FORMULA_WITHOUT_VALUE,
            f"«{fr.header}»: в ячейке формула «{formula[0]}» без сохранённого результата: ответа в ячейке "
            "нет, пока Excel её не пересчитает.",
            "Откройте файл в Excel, чтобы формула пересчиталась, и сохраните его, или замените формулу значением.",
            field=fr.field.id,
            value=formula[0],
        )
    return Problem(
        where,
        Code.FORMULA,
        f"«{fr.header}»: в ячейке формула «{shorten(formula[0])}»; прочитан её результат «{shorten(value)}».",
        "Проверьте, что результат верен; лучше впишите ответ значением.",
        field=fr.field.id,
        value=formula[0],
    )


def _merged_notes(
    sheet: Sheet,
    base: Location,
    answer_rows: dict[int, FormRow],
    answer_idx: int,
    values: dict[tuple[str, str | None], Any],
) -> list[Problem]:
    """Merged ranges holding answer cells: the value shown (that of the top-left cell) is read for every
    answer cell of the range, as Excel shows it, and the range is named in a warning."""
    notes = []
    column = answer_idx + 1
    for min_row, min_col, max_row, max_col in sheet.merged:
        if not min_col <= column <= max_col:
            continue
        inside = [r for r in range(min_row, max_row + 1) if r in answer_rows]
        if not inside:
            continue
        top = dict(sheet.rows).get(min_row, [])
        value = top[min_col - 1] if min_col - 1 < len(top) else None
        if min_col == column:
            for r in inside:
                values[answer_rows[r].data_key] = value
        coord = f"{col_letter(min_col)}{min_row}:{col_letter(max_col)}{max_row}"
        headers = ", ".join(f"«{answer_rows[r].header}»" for r in inside)
        notes.append(
            Problem(
                base.with_(cell=coord),
                Code.MERGED_CELLS,
                f"ячейки {coord} объединены: значение «{shorten(value)}» отнесено к "
                f"{'ответам' if len(inside) > 1 else 'ответу'} {headers}.",
                "Проверьте это; разъедините ячейки и впишите каждый ответ в свою ячейку.",
                value=value,
            )
        )
    return notes


def _is_empty(record: RawRecord, meta: dict[str, str]) -> bool:
    prefilled = {k[len("prefill:") :]: v for k, v in meta.items() if k.startswith("prefill:")}
    return (
        all(is_blank(v) or (k[1] is None and prefilled.get(k[0]) == v) for k, v in record.values.items())
        and not record.notes
    )


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
    if not fingerprint_matches(tfp, q):
        changes = template_changes(meta.get("fields", ""), q)
        return (
            Code.TEMPLATE_VERSION,
            f"шаблон составлен по анкете версии {tver}, но её вопросы или варианты ответа отличаются от "
            f"текущей анкеты версии {q.version} (анкету изменили, не сменив номер версии"
            + (f"; {changes})." if changes else ")."),
            f"{regenerate}; при изменении анкеты увеличивайте её version.",
        )
    return None


def _added_optional(meta: dict[str, str], q: Questionnaire) -> list[str]:
    """The questions of ``q`` a template of the same questionnaire lacks when every difference is
    such an added optional question (its other questions and options unchanged, by the template's
    per-question fingerprints); else none."""
    fields = meta.get("fields", "")
    if meta.get("questionnaire_id", "") != q.id or not fields or fingerprint_matches(meta.get("fingerprint", ""), q):
        return []
    then = dict(item.split(":", 1) for item in fields.split() if ":" in item)
    now = dict(item.split(":", 1) for item in field_fingerprints(q).split())
    added = [k for k in now if k not in then]
    same = all(k in now and now[k] == v for k, v in then.items())
    if not added or not same or any(q.field(k).required for k in added):
        return []
    return added


def _column_index(letter: str) -> int:
    try:
        return column_index_from_string(letter) - 1
    except ValueError:
        return column_index_from_string(ANSWER_COLUMN) - 1
