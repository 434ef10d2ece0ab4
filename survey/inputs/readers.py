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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from survey.inputs import limits
from survey.errors import InputError, Location, Problem, shorten
from survey.spec.questionnaire import Questionnaire
from survey.base.text import fold

Key = tuple[str, "str | None"]   # (field id, option name for one multiple-choice column)

TABLE_SUFFIXES = (".xlsx", ".xlsm", ".csv", ".txt", ".tsv")
_PREFERRED_SHEETS = ("данные", "ответы", "анкеты", "data", "responses", "survey")


@dataclass
class RawRecord:
    """One respondent's raw values, keyed by (field id, option name or None)."""

    values: dict[Key, Any]
    cells: dict[Key, Location]
    location: Location            # the row (or the whole template)
    notes: list[Problem] = field(default_factory=list)   # what the reader saw (formulas, merges…)

    def is_blank(self) -> bool:
        return all(_blank(v) for v in self.values.values())


@dataclass
class RawTable:
    """What one file gave: records, plus file-level problems (unknown columns...)."""

    path: Path
    sha256: str
    kind: str                     # "table" (consolidated) or "template" (a filled form)
    records: list[RawRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    columns: set[Key] = field(default_factory=set)   # keys present in the header
    sheet: str | None = None
    encoding: str | None = None
    blank_rows: list[Location] = field(default_factory=list)
    synthetic: bool = False       # the workbook says its data are synthetic (Keywords)


@dataclass
class IngestResult:
    """All files read from a path; unreadable files are listed with their reason."""

    tables: list[RawTable]
    unreadable: list[Problem]
    inputs: list[dict[str, str]]      # [{path, sha256}] of every file looked at

    @property
    def synthetic(self) -> bool:
        """Any input marked as synthetic (workbook property Keywords contains "synthetic")."""
        return any(t.synthetic for t in self.tables)

    @property
    def records(self) -> Iterator[tuple[RawTable, RawRecord]]:
        for table in self.tables:
            for rec in table.records:
                yield table, rec


def _read_filled_template(path: Path, data: bytes, questionnaire: Questionnaire) -> RawTable | None:
    """Filled questionnaire templates (survey template); imported on first use (no import cycle)."""
    from survey.forms.templates import read_filled_template

    return read_filled_template(path, data, questionnaire)


# Readers for special workbook kinds (filled templates, ...) register here: each gets the
# path and returns a RawTable, or None when the file is not of its kind.
SPECIAL_READERS: list[Callable[[Path, bytes, Questionnaire], RawTable | None]] = [_read_filled_template]


def ingest(path: str | Path, questionnaire: Questionnaire, encoding: str | None = None) -> IngestResult:
    """Read a file or every response file in a folder.

    A single file that cannot be read raises :class:`InputError`; in a folder, such files
    are reported in ``unreadable`` and the others are read.
    """
    path = Path(path)
    if path.is_dir():
        entries = sorted(p for p in path.iterdir() if not p.name.startswith("."))
        files = [p for p in entries if p.is_file() and not _ignored(p)]
        skipped = [Problem(Location(p.name), "file-skipped",
                           ("временный файл Excel пропущен." if p.name.startswith("~$") else
                            "файл пропущен: ответы читаются только из .xlsx, .csv, .tsv и .txt."
                            if p.is_file() else "вложенная папка пропущена."),
                           "Если в нём ответы, сохраните его как .xlsx или .csv.", severity="warning")
                   for p in entries if p not in files]
        if not files:
            raise InputError(f"{path}: в папке нет файлов с ответами (.xlsx или .csv).")
        tables, unreadable, inputs = [], list(skipped), []
        for file in files:
            try:
                table = read_file(file, questionnaire, encoding)
            except InputError as exc:
                message = exc.message.removeprefix(f"{file}, ").removeprefix(f"{file}: ")
                unreadable.append(Problem(Location(file.name), "file-unreadable", message,
                                          "Исправьте файл или уберите его из папки с ответами."))
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
    data = _read_bytes(path)
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


def _read_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError(f"{path}: файл не найден. Проверьте путь.") from None
    except OSError as exc:
        raise InputError(f"{path}: файл недоступен ({exc.strerror}).") from None
    if path.is_dir():
        raise InputError(f"{path}: это папка, а не файл.")
    if size > limits.MAX_FILE_BYTES:
        raise InputError(
            f"{path}: файл слишком большой ({size / 2**20:.0f} МБ; предел "
            f"{limits.MAX_FILE_BYTES // 2**20} МБ). Разделите его на несколько файлов."
        )
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: не удаётся прочитать файл ({exc.strerror}).") from None


def sniff_format(path: Path, data: bytes) -> str:
    """``"xlsx"`` or ``"csv"`` from the file's content (not only its name)."""
    if not data.strip():
        raise InputError(f"{path}: файл пуст. Проверьте, что выбран нужный файл и что он сохранён.")
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise InputError(
            f"{path}: файл в старом формате Excel 97–2003 (.xls) или зашифрован паролем. "
            "Откройте его в Excel и сохраните как «Книга Excel (*.xlsx)» без пароля."
        )
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        raise InputError(
            f"{path}: файл назван .xlsx, но не является книгой Excel (возможно, повреждён или "
            "переименован). Откройте его в Excel и сохраните как «Книга Excel (*.xlsx)»."
        )
    if suffix in (".xls", ".ods"):
        raise InputError(f"{path}: формат {suffix} не поддерживается. Сохраните файл как .xlsx или .csv (UTF-8).")
    return "csv"


def check_zip_limits(path: Path, data: bytes) -> None:
    """Refuse zip bombs: check declared uncompressed sizes before anything is parsed."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except zipfile.BadZipFile:
        raise InputError(
            f"{path}: файл повреждён (архив xlsx не читается). Попросите прислать файл заново "
            "или откройте его в Excel и пересохраните."
        ) from None
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if total > limits.MAX_UNCOMPRESSED_BYTES or (
            info.file_size > 10 * 2**20 and ratio > limits.MAX_COMPRESSION_RATIO
        ):
            raise InputError(
                f"{path}: файл отклонён — после распаковки он занимает слишком много места "
                f"(«{info.filename}»: {info.file_size / 2**20:.0f} МБ; предел книги "
                f"{limits.MAX_UNCOMPRESSED_BYTES // 2**20} МБ). Это признак повреждённого или "
                "вредоносного файла; пересохраните данные в новой книге."
            )


def open_workbook(path: Path, data: bytes, read_only: bool = True, data_only: bool = True):
    """Open xlsx bytes with openpyxl (values only); Russian InputError on failure."""
    import openpyxl  # heavy: imported on first use

    try:
        return openpyxl.load_workbook(io.BytesIO(data), read_only=read_only, data_only=data_only)
    except Exception as exc:  # openpyxl raises many kinds on broken files
        chain, cause = [], exc
        while cause is not None and len(chain) < 10:    # openpyxl wraps the parser's error
            chain.append(type(cause).__name__)
            cause = cause.__cause__ or cause.__context__
        kind = chain[-1]
        if any(k in ("DefusedXmlException", "EntitiesForbidden", "DTDForbidden", "ExternalReferenceForbidden",
                     "NotSupportedError") for k in chain):
            raise InputError(
                f"{path}: файл отклонён — он содержит конструкции XML (сущности/DTD), которых не "
                "бывает в книгах Excel и которые используются для атак. Пересохраните данные в новой книге."
            ) from None
        raise InputError(
            f"{path}: не удаётся открыть книгу Excel ({kind}). Откройте файл в Excel, проверьте, "
            "что он не повреждён, и сохраните как «Книга Excel (*.xlsx)»."
        ) from None


def _read_xlsx_table(path: Path, data: bytes, sha: str, q: Questionnaire) -> RawTable:
    # workbooks up to DETAILED_CHECK_BYTES are opened fully, to see merged cells, hidden rows
    # and formulas; bigger ones are streamed (read-only mode) without those checks
    detailed = len(data) <= limits.DETAILED_CHECK_BYTES
    wb = open_workbook(path, data, read_only=not detailed)
    try:
        best = None
        sheets = sorted(wb.worksheets, key=lambda ws: (ws.sheet_state != "visible",
                                                       ws.title.strip().lower() not in _PREFERRED_SHEETS))
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
        rows = (
            (i, list(values))
            for i, values in enumerate(ws.iter_rows(min_row=header_row + 1, values_only=True),
                                       start=header_row + 1)
        )
        sheet_notes = _SheetNotes(path, data, ws, header_row, mapping) if detailed else None
        if sheet_notes is not None:
            rows = sheet_notes.apply(rows)
        table = _table_from_rows(path, sha, q, rows, header_row, mapping, sheet=ws.title, letters=True,
                                 header_values=header_values, notes=sheet_notes)
        table.problems.extend(_unknown_columns(q, header_values, mapping, Location(path.name, sheet=ws.title),
                                               header_row, letters=True))
        table.synthetic = is_synthetic(wb)
        return table
    finally:
        wb.close()


EXCEL_ERRORS = frozenset({"#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!",
                          "#SPILL!", "#CALC!", "#GETTING_DATA", "#FIELD!", "#BLOCKED!", "#UNKNOWN!"})


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
            self._add(first_row, Problem(
                base.with_(cell=rng.coord), "merged-cells",
                f"ячейки {rng.coord} объединены: значение «{shorten(value)}» отнесено ко всем строкам "
                f"{first_row}–{rng.max_row}.",
                "Проверьте это; лучше не объединять ячейки с ответами.", severity="warning", value=value))
        for r, dim in ws.row_dimensions.items():
            if dim.hidden and r > header_row:
                self._add(r, Problem(base.with_(row=r), "hidden-row",
                                     f"строка {r} скрыта в Excel; она прочитана, как и остальные.",
                                     "Если строка не нужна, удалите её.", severity="warning"))
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
                            self._add(cell.row, Problem(
                                where, "formula-without-value",
                                f"в ячейке формула «{shorten(cell.value)}» без сохранённого результата.",
                                "Откройте файл в Excel, чтобы формула пересчиталась, и сохраните его, "
                                "или замените формулу значением.", field=mapping[c][0], value=cell.value))
                        else:
                            self._add(cell.row, Problem(
                                where, "formula", f"в ячейке формула «{shorten(cell.value)}»; прочитан её "
                                f"результат «{shorten(cached)}».", "Проверьте, что результат верен.",
                                field=mapping[c][0], severity="warning", value=cell.value))
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
        return any(b"<f>" in zf.read(n) or b"<f " in zf.read(n)
                   for n in zf.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml"))


def _unknown_columns(q: Questionnaire, header: list[Any] | None, mapping: dict[int, Key], base: Location,
                     header_row: int, *, letters: bool) -> list[Problem]:
    """Warnings for header cells that are not questionnaire columns (they are not read)."""
    import difflib

    from openpyxl.utils import get_column_letter

    out = []
    labels = {f.label: f.id for f in q.fields}
    for idx, name in enumerate(header or []):
        if idx in mapping or _blank(name):
            continue
        key = fold(str(name))
        near = [lab for lab in labels if len(key) >= 4 and (fold(lab).startswith(key) or key in fold(lab))][:1] \
            or difflib.get_close_matches(str(name).strip(), list(labels), n=1, cutoff=0.6)
        fix = (f"Возможно, это столбец «{near[0]}» ({labels[near[0]]}): переименуйте заголовок."
               if near else "Если в столбце есть ответы анкеты, дайте ему заголовок из анкеты (см. README).")
        out.append(Problem(base.with_(row=header_row, column=get_column_letter(idx + 1) if letters else str(name),
                                      header=str(name)),
                           "unknown-column", f"столбец «{shorten(name)}» не относится к анкете и не читается.",
                           fix, severity="warning", value=name))
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


def _table_from_rows(path: Path, sha: str, q: Questionnaire, rows: Iterable[tuple[int, list[Any]]],
                     header_row: int, mapping: dict[int, Key], *, sheet: str | None,
                     letters: bool, header_values: list[Any] | None = None,
                     encoding: str | None = None, notes: "_SheetNotes | None" = None) -> RawTable:
    from openpyxl.utils import get_column_letter

    table = RawTable(path=path, sha256=sha, kind="table", sheet=sheet, encoding=encoding)
    base = Location(str(path.name if path.name else path), sheet=sheet)
    names = {idx: (get_column_letter(idx + 1) if letters else None) for idx in mapping}
    seen: dict[Key, int] = {}
    for idx, key in sorted(mapping.items()):
        if key in seen:
            table.problems.append(Problem(
                base.with_(row=header_row, column=names[idx] or str(idx + 1)), "duplicate-column",
                f"столбец «{_key_name(q, key)}» встречается дважды; используется первый.",
                "Удалите лишний столбец.", field=key[0], severity="warning"))
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
            cells[key] = base.with_(row=row_number, column=names[idx] or _key_name(q, key),
                                    header=str(header) if header is not None else _key_name(q, key))
        rec = RawRecord(rec_values, cells, base.with_(row=row_number),
                        list(notes.by_row.get(row_number, ())) if notes is not None else [])
        if rec.is_blank():
            if any(not _blank(v) for v in values):
                # only unknown columns are filled: keep it as a record so it is rejected, not lost
                table.records.append(rec)
                count += 1
            else:
                table.blank_rows.append(rec.location)
            continue
        table.records.append(rec)
        count += 1
    # trailing blank rows are formatting, not data: only blank rows between records are reported
    last = table.records[-1].location.row if table.records else 0
    table.blank_rows = [loc for loc in table.blank_rows if loc.row < last]
    return table


def _key_name(q: Questionnaire, key: Key) -> str:
    fid, option = key
    return f"{fid}_{option}" if option else fid


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# ---------------------------------------------------------------- CSV


def decode_text(path: Path, data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """Decode a CSV file; returns (text, encoding used).

    Without ``encoding``: a BOM decides (UTF-8, UTF-16); else UTF-8 if the bytes are valid
    UTF-8, else cp1251 (what Russian Excel writes as "CSV (разделители — запятые)").
    """
    if encoding:
        try:
            return data.decode(encoding), encoding
        except LookupError:
            raise InputError(f"Неизвестная кодировка «{encoding}». Примеры: utf-8, cp1251, utf-16.") from None
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{path}: файл не читается в кодировке {encoding} (байт {exc.start}). "
                "Уберите --encoding, чтобы кодировка определилась автоматически, или укажите другую."
            ) from None
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "cp1251"]
    if "utf-16" not in candidates and b"\x00" in data[:4096]:
        raise InputError(
            f"{path}: это не текстовый файл CSV (в нём двоичные данные). "
            "Сохраните таблицу как .xlsx или как «CSV UTF-8»."
        )
    for enc in candidates:
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise InputError(
        f"{path}: не удаётся определить кодировку файла. Сохраните его как «CSV UTF-8» или укажите "
        "кодировку: --encoding cp1251."
    )


def _read_csv_table(path: Path, data: bytes, sha: str, q: Questionnaire, encoding: str | None) -> RawTable:
    text, used = decode_text(path, data, encoding)
    delimiter = _sniff_delimiter(text)
    csv.field_size_limit(limits.MAX_FILE_BYTES)       # a long answer is judged by validation
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
                "сохраните файл снова.") from None
        raise InputError(f"{path}, строка {start}: ошибка формата CSV ({exc}). "
                         "Проверьте кавычки в этой строке: кавычки внутри ответа удваиваются (\"\").") from None
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
    table = _table_from_rows(path, sha, q, rows, header_line, mapping, sheet=None, letters=True,
                             header_values=header_values, encoding=used)
    table.problems.extend(_unknown_columns(q, header_values, mapping, Location(path.name), header_line,
                                           letters=True))
    if used == "cp1251" and not encoding:
        table.problems.append(Problem(
            Location(path.name), "encoding-cp1251",
            "файл прочитан в кодировке Windows-1251 (cp1251).",
            "Если русский текст в отчёте искажён, укажите кодировку явно: --encoding.",
            severity="warning"))
    return table


def _sniff_delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        counts = {d: sample.count(d) for d in ",;\t"}
        return max(counts, key=counts.get)
