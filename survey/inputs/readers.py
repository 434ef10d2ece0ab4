"""Read response files into raw records that remember where every value came from.

Supported inputs: a consolidated ``.xlsx`` workbook or ``.csv`` file (one row per expert,
UTF-8 with or without BOM, UTF-16 with BOM, or cp1251; comma, semicolon or tab separated),
or a folder of such files. The header row is found among the first rows of the sheet;
headers may be field ids (``q1_state``), short Russian labels (``Состояние
сотрудничества``) or aliases defined in the questionnaire.

Nothing here judges the values: :mod:`survey.inputs.validate` does. Reading fails with
:class:`~survey.errors.InputError` only when a file cannot be read at all.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from survey.base.missing import is_blank
from survey.base.text import fold
from survey.errors import Code, InputError, Location, Problem, shorten
from survey.inputs import limits
from survey.inputs.files import check_zip_limits, decode_text, open_workbook, read_bytes, sniff_format
from survey.inputs.filled_template import read_filled_template
from survey.inputs.raw import IngestResult, Key, RawRecord, RawTable
from survey.spec.questionnaire import Questionnaire

TABLE_SUFFIXES = (".xlsx", ".xlsm", ".csv", ".txt", ".tsv")
_PREFERRED_SHEETS = ("данные", "ответы", "анкеты", "data", "responses", "survey")


# Readers for special workbook kinds (filled templates, ...) register here: each gets the
# path and returns a RawTable, or None when the file is not of its kind.
SPECIAL_READERS: list[Callable[[Path, bytes, Questionnaire], RawTable | None]] = [read_filled_template]


def ingest(path: str | Path, questionnaire: Questionnaire, encoding: str | None = None) -> IngestResult:
    """Read a file or every response file in a folder.

    A single file that cannot be read raises :class:`InputError`; in a folder, such files
    are reported in ``unreadable`` and the others are read.
    """
    path = Path(path)
    if path.is_dir():
        entries = sorted(p for p in path.iterdir() if not p.name.startswith("."))
        files = [p for p in entries if p.is_file() and not _ignored(p)]
        skipped = [
            Problem(
                Location(p.name),
                Code.FILE_SKIPPED,
                (
                    "временный файл Excel пропущен."
                    if p.name.startswith("~$")
                    else "файл пропущен: ответы читаются только из .xlsx, .csv, .tsv и .txt."
                    if p.is_file()
                    else "вложенная папка пропущена."
                ),
                "Если в нём ответы, сохраните его как .xlsx или .csv.",
            )
            for p in entries
            if p not in files
        ]
        if not files:
            raise InputError(f"{path}: в папке нет файлов с ответами (.xlsx или .csv).")
        tables, unreadable, inputs = [], list(skipped), []
        for file in files:
            try:
                table = read_file(file, questionnaire, encoding)
            except InputError as exc:
                message = exc.message.removeprefix(f"{file}, ").removeprefix(f"{file}: ")
                unreadable.append(
                    Problem(
                        Location(file.name),
                        Code.FILE_UNREADABLE,
                        message,
                        "Исправьте файл или уберите его из папки с ответами.",
                    )
                )
                inputs.append({"path": str(file), "sha256": _sha256_or_empty(file)})
                continue
            tables.append(table)
            inputs.append({"path": str(file), "sha256": table.sha256})
        return IngestResult(tables, unreadable, inputs)
    table = read_file(path, questionnaire, encoding)
    return IngestResult([table], [], [{"path": str(path), "sha256": table.sha256}])


def _ignored(p: Path) -> bool:
    """Files of a folder that are not read (they are reported as skipped)."""
    return p.name.startswith("~$") or p.suffix.lower() not in TABLE_SUFFIXES + (".xls", ".ods")


def _sha256_or_empty(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def read_file(path: str | Path, questionnaire: Questionnaire, encoding: str | None = None) -> RawTable:
    """Read one response file (consolidated table or a special workbook kind)."""
    path = Path(path)
    data = read_bytes(path)
    sha = hashlib.sha256(data).hexdigest()
    kind = sniff_format(path, data)
    if kind == "xlsx":
        check_zip_limits(path, data)
        for reader in SPECIAL_READERS:
            table = reader(path, data, questionnaire)
            if table is not None:
                return table
        return _read_xlsx_table(path, data, sha, questionnaire)
    return _read_csv_table(path, data, sha, questionnaire, encoding)


def _read_xlsx_table(path: Path, data: bytes, sha: str, q: Questionnaire) -> RawTable:
    # workbooks up to DETAILED_CHECK_BYTES are opened fully, to see merged cells, hidden rows
    # and formulas; bigger ones are streamed (read-only mode) without those checks
    detailed = len(data) <= limits.DETAILED_CHECK_BYTES
    wb = open_workbook(path, data, read_only=not detailed)
    try:
        best = None
        sheets = sorted(
            wb.worksheets,
            key=lambda ws: (ws.sheet_state != "visible", ws.title.strip().lower() not in _PREFERRED_SHEETS),
        )
        for ws in sheets:
            if getattr(ws, "reset_dimensions", None):
                ws.reset_dimensions()
            head = [list(r) for r in ws.iter_rows(max_row=limits.HEADER_SEARCH_ROWS, values_only=True)]
            found = find_header(head, q)
            if found and (best is None or len(found[1]) > len(best[2])):
                best = (ws, found[0], found[1], head[found[0] - 1])
        if best is None:
            names = ", ".join(f"«{ws.title}»" for ws in wb.worksheets)
            raise InputError(
                f"{path}: ни на одном листе ({names}) не найдена строка заголовков с "
                f"кодом эксперта и городом. В первых {limits.HEADER_SEARCH_ROWS} строках листа "
                "должны быть заголовки столбцов: expert_id, unit_id, q1_state… (см. README)."
            )
        ws, header_row, mapping, header_values = best
        rows: Iterable[tuple[int, list[Any]]] = (
            (i, list(values))
            for i, values in enumerate(ws.iter_rows(min_row=header_row + 1, values_only=True), start=header_row + 1)
        )
        sheet_notes = _SheetNotes(path, data, ws, header_row, mapping) if detailed else None
        if sheet_notes is not None:
            rows = sheet_notes.apply(rows)
        table = _table_from_rows(
            path,
            sha,
            q,
            rows,
            header_row,
            mapping,
            sheet=ws.title,
            letters=True,
            header_values=header_values,
            notes=sheet_notes,
        )
        table.problems.extend(
            _unknown_columns(q, header_values, mapping, Location(path.name, sheet=ws.title), header_row, letters=True)
        )
        table.synthetic = is_synthetic(wb)
        return table
    finally:
        wb.close()


EXCEL_ERRORS = frozenset(
    {
        "#N/A",
        "#DIV/0!",
        "#VALUE!",
        "#REF!",
        "#NAME?",
        "#NUM!",
        "#NULL!",
        "#SPILL!",
        "#CALC!",
        "#GETTING_DATA",
        "#FIELD!",
        "#BLOCKED!",
        "#UNKNOWN!",
    }
)


class _SheetNotes:
    """What a fully opened worksheet shows beyond values: merged cells (their value is
    used for every cell of the range), hidden rows, and formulas (with or without a
    stored result). Problems are attached to the records of the rows they concern."""

    def __init__(self, path: Path, data: bytes, ws, header_row: int, mapping: dict[int, Key]):
        from openpyxl.utils import get_column_letter

        self.by_row: dict[int, list[Problem]] = {}
        self.fill: dict[tuple[int, int], Any] = {}
        base = Location(path.name, sheet=ws.title)
        columns = set(mapping)
        for rng in ws.merged_cells.ranges:
            cols = [c - 1 for c in range(rng.min_col, rng.max_col + 1) if c - 1 in columns]
            if not cols or rng.max_row <= header_row:
                continue
            value = ws.cell(row=rng.min_row, column=rng.min_col).value
            first_row = max(rng.min_row, header_row + 1)
            for r in range(first_row, rng.max_row + 1):
                for c in cols:
                    self.fill[(r, c)] = value
            self._add(
                first_row,
                Problem(
                    base.with_(cell=rng.coord),
                    Code.MERGED_CELLS,
                    f"ячейки {rng.coord} объединены: значение «{shorten(value)}» отнесено ко всем строкам "
                    f"{first_row}–{rng.max_row}.",
                    "Проверьте это; лучше не объединять ячейки с ответами.",
                    value=value,
                ),
            )
        for r, dim in ws.row_dimensions.items():
            if dim.hidden and r > header_row:
                self._add(
                    r,
                    Problem(
                        base.with_(row=r),
                        Code.HIDDEN_ROW,
                        f"строка {r} скрыта в Excel; она прочитана, как и остальные.",
                        "Если строка не нужна, удалите её.",
                    ),
                )
        if _has_formulas(data):
            formulas = open_workbook(path, data, read_only=False, data_only=False)
            try:
                fws = formulas[ws.title]
                for c in columns:
                    for cell in fws.iter_rows(min_row=header_row + 1, min_col=c + 1, max_col=c + 1):
                        cell = cell[0]
                        if cell.data_type != "f":
                            continue
                        cached = ws.cell(row=cell.row, column=cell.column).value
                        where = base.with_(cell=f"{get_column_letter(cell.column)}{cell.row}")
                        if cached is None:
                            self._add(
                                cell.row,
                                Problem(
                                    where,
                                    Code.FORMULA_WITHOUT_VALUE,
                                    f"в ячейке формула «{shorten(cell.value)}» без сохранённого результата.",
                                    "Откройте файл в Excel, чтобы формула пересчиталась, и сохраните его, "
                                    "или замените формулу значением.",
                                    field=mapping[c][0],
                                    value=cell.value,
                                ),
                            )
                        else:
                            self._add(
                                cell.row,
                                Problem(
                                    where,
                                    Code.FORMULA,
                                    f"в ячейке формула «{shorten(cell.value)}»; прочитан её "
                                    f"результат «{shorten(cached)}».",
                                    "Проверьте, что результат верен.",
                                    field=mapping[c][0],
                                    value=cell.value,
                                ),
                            )
            finally:
                formulas.close()

    def _add(self, row: int, problem: Problem) -> None:
        self.by_row.setdefault(row, []).append(problem)

    def apply(self, rows: Iterable[tuple[int, list[Any]]]) -> Iterator[tuple[int, list[Any]]]:
        for number, values in rows:
            for (r, c), value in self.fill.items():
                if r == number:
                    values = values + [None] * (c + 1 - len(values)) if c >= len(values) else values
                    values[c] = value
            yield number, values


def _has_formulas(data: bytes) -> bool:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return any(
            b"<f>" in zf.read(n) or b"<f " in zf.read(n)
            for n in zf.namelist()
            if n.startswith("xl/worksheets/") and n.endswith(".xml")
        )


def _unknown_columns(
    q: Questionnaire,
    header: list[Any] | None,
    mapping: dict[int, Key],
    base: Location,
    header_row: int,
    *,
    letters: bool,
) -> list[Problem]:
    """Warnings for header cells that are not questionnaire columns (they are not read)."""
    import difflib

    from openpyxl.utils import get_column_letter

    out = []
    labels = {f.label: f.id for f in q.fields}
    for idx, name in enumerate(header or []):
        if idx in mapping or is_blank(name):
            continue
        key = fold(str(name))
        near = [lab for lab in labels if len(key) >= 4 and (fold(lab).startswith(key) or key in fold(lab))][
            :1
        ] or difflib.get_close_matches(str(name).strip(), list(labels), n=1, cutoff=0.6)
        fix = (
            f"Возможно, это столбец «{near[0]}» ({labels[near[0]]}): переименуйте заголовок."
            if near
            else "Если в столбце есть ответы анкеты, дайте ему заголовок из анкеты (см. README)."
        )
        out.append(
            Problem(
                base.with_(
                    row=header_row,
                    column=get_column_letter(idx + 1) if letters else str(name),
                    header=str(name),
                ),
                Code.UNKNOWN_COLUMN,
                f"столбец «{shorten(name)}» не относится к анкете и не читается.",
                fix,
                value=name,
            )
        )
    return out


def is_synthetic(wb) -> bool:
    """The workbook's Keywords property marks its data as synthetic."""
    keywords = (getattr(wb.properties, "keywords", None) or "").lower()
    return "synthetic" in keywords or "синтетич" in keywords


def find_header(rows: list[list[Any]], q: Questionnaire) -> tuple[int, dict[int, Key]] | None:
    """The first row (1-based) that looks like a header, and its column → key mapping."""
    for number, row in enumerate(rows, start=1):
        mapping: dict[int, Key] = {}
        for idx, cell in enumerate(row[: limits.MAX_COLUMNS]):
            key = q.match_column(cell) if isinstance(cell, str) else None
            if key:
                mapping[idx] = key
        fields = {k[0] for k in mapping.values()}
        if "expert_id" in fields and len(fields) >= 2:
            return number, mapping
    return None


def _table_from_rows(
    path: Path,
    sha: str,
    q: Questionnaire,
    rows: Iterable[tuple[int, list[Any]]],
    header_row: int,
    mapping: dict[int, Key],
    *,
    sheet: str | None,
    letters: bool,
    header_values: list[Any] | None = None,
    encoding: str | None = None,
    notes: _SheetNotes | None = None,
) -> RawTable:
    from openpyxl.utils import get_column_letter

    table = RawTable(path=path, sha256=sha, kind="table", sheet=sheet, encoding=encoding)
    base = Location(str(path.name if path.name else path), sheet=sheet)
    names = {idx: (get_column_letter(idx + 1) if letters else None) for idx in mapping}
    seen: dict[Key, int] = {}
    for idx, key in sorted(mapping.items()):
        if key in seen:
            table.problems.append(
                Problem(
                    base.with_(row=header_row, column=names[idx] or str(idx + 1)),
                    Code.DUPLICATE_COLUMN,
                    f"столбец «{_key_name(q, key)}» встречается дважды; используется первый.",
                    "Удалите лишний столбец.",
                    field=key[0],
                )
            )
            continue
        seen[key] = idx
    table.columns = set(seen)
    header_cells = header_values
    count = 0
    for row_number, values in rows:
        if count >= limits.MAX_ROWS:
            raise InputError(
                f"{path}: в файле больше {limits.MAX_ROWS} строк данных — это больше, чем бывает в "
                "анкетах опроса. Проверьте, что выбран нужный файл, или разделите его."
            )
        rec_values: dict[Key, Any] = {}
        cells: dict[Key, Location] = {}
        for key, idx in seen.items():
            value = values[idx] if idx < len(values) else None
            rec_values[key] = value
            header = header_cells[idx] if header_cells and idx < len(header_cells) else None
            cells[key] = base.with_(
                row=row_number,
                column=names[idx] or _key_name(q, key),
                header=str(header) if header is not None else _key_name(q, key),
            )
        rec = RawRecord(
            rec_values,
            cells,
            base.with_(row=row_number),
            list(notes.by_row.get(row_number, ())) if notes is not None else [],
        )
        if rec.is_blank():
            if any(not is_blank(v) for v in values):
                # only unknown columns are filled: keep it as a record so it is rejected, not lost
                table.records.append(rec)
                count += 1
            else:
                table.blank_rows.append(rec.location)
            continue
        table.records.append(rec)
        count += 1
    # trailing blank rows are formatting, not data: only blank rows between records are reported
    last = (table.records[-1].location.row or 0) if table.records else 0
    table.blank_rows = [loc for loc in table.blank_rows if loc.row is not None and loc.row < last]
    return table


def _key_name(q: Questionnaire, key: Key) -> str:
    fid, option = key
    return f"{fid}_{option}" if option else fid


# ---------------------------------------------------------------- CSV


def _read_csv_table(path: Path, data: bytes, sha: str, q: Questionnaire, encoding: str | None) -> RawTable:
    text, used = decode_text(path, data, encoding)
    delimiter = _sniff_delimiter(text)
    csv.field_size_limit(limits.MAX_FILE_BYTES)  # a long answer is judged by validation
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records = []
    start = 1
    try:
        for values in reader:
            records.append((start, values))
            start = reader.line_num + 1
    except csv.Error as exc:
        if "end of data" in str(exc):
            raise InputError(
                f"{path}, строка {start}: кавычка, открытая в этой строке, не закрыта до конца файла, "
                "поэтому остальные строки читать нельзя. Закройте кавычку (или удалите лишнюю) и "
                "сохраните файл снова."
            ) from None
        raise InputError(
            f"{path}, строка {start}: ошибка формата CSV ({exc}). "
            'Проверьте кавычки в этой строке: кавычки внутри ответа удваиваются ("").'
        ) from None
    head = [v for _, v in records[: limits.HEADER_SEARCH_ROWS]]
    found = find_header(head, q)
    if found is None:
        raise InputError(
            f"{path}: не найдена строка заголовков с кодом эксперта и городом. В первых "
            f"{limits.HEADER_SEARCH_ROWS} строках должны быть заголовки столбцов: expert_id, "
            "unit_id, q1_state… (см. README). Если текст выглядит искажённым, укажите кодировку: "
            "--encoding cp1251."
        )
    header_index, mapping = found
    header_line, header_values = records[header_index - 1]
    rows = ((line, [v if v != "" else None for v in values]) for line, values in records[header_index:])
    table = _table_from_rows(
        path,
        sha,
        q,
        rows,
        header_line,
        mapping,
        sheet=None,
        letters=True,
        header_values=header_values,
        encoding=used,
    )
    table.problems.extend(_unknown_columns(q, header_values, mapping, Location(path.name), header_line, letters=True))
    if used == "cp1251" and not encoding:
        table.problems.append(
            Problem(
                Location(path.name),
                Code.ENCODING_CP1251,
                "файл прочитан в кодировке Windows-1251 (cp1251).",
                "Если русский текст в отчёте искажён, укажите кодировку явно: --encoding.",
            )
        )
    return table


def _sniff_delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        counts = {d: sample.count(d) for d in ",;\t"}
        return max(counts, key=lambda d: counts[d])
