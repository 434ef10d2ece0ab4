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
import re
import stat
from collections.abc import Callable, Iterable, Iterator
from itertools import chain
from pathlib import Path
from typing import Any

from survey.base.missing import is_blank
from survey.base.text import fold, listed, plural_word
from survey.base.textfile import csv_layout, decode_text, shifted_row, usual_width, width_message
from survey.errors import Code, InputError, Location, Problem, shorten
from survey.inputs import limits
from survey.inputs.files import check_zip_limits, read_bytes, sniff_format
from survey.inputs.filled_template import read_filled_template
from survey.inputs.names import MASK
from survey.inputs.raw import IngestResult, Key, RawRecord, RawTable, RowCells
from survey.inputs.xlsx import CONSOLIDATED_MARK, Book, Sheet, col_letter, read_book
from survey.spec.questionnaire import Questionnaire

TABLE_SUFFIXES = (".xlsx", ".xlsm", ".csv", ".txt", ".tsv")
_PREFERRED_SHEETS = ("данные", "ответы", "анкеты", "data", "responses", "survey")


# Readers for special workbook kinds (filled templates, ...) register here: each gets the
# path, the bytes, the workbook read by :func:`survey.inputs.xlsx.read_book` and the name messages
# give the file (:func:`shown_name`), and returns a RawTable, or None when the file is not of its kind.
SPECIAL_READERS: list[Callable[[Path, bytes, Book, Questionnaire, str], RawTable | None]] = [read_filled_template]


def ingest(path: str | Path, questionnaire: Questionnaire, encoding: str | None = None) -> IngestResult:
    """Read a file or every response file in a folder.

    A single file that cannot be read raises :class:`InputError`; in a folder, such files
    are reported in ``unreadable`` and the others are read. Every sheet of a workbook that has
    a header row is read (each as a table of its own); other sheets holding values are reported.
    """
    path = Path(path)
    if path.is_dir():
        files, unreadable, inputs, _ = folder_files(path)
        if not files:
            why = f" ({listed(f'{p.location}: {p.message}' for p in unreadable)})" if unreadable else ""
            raise InputError(f"{path}: в папке нет файлов с ответами (.xlsx или .csv){why}.")
        tables: list[RawTable] = []
        for file in files:
            try:
                found, sha = read_tables(file, questionnaire, encoding, root=path)
            except OwnOutputError as exc:
                message = exc.message.removeprefix(f"{file}: ")
                unreadable.append(
                    Problem(
                        Location(shown_name(file, path)),
                        Code.OWN_OUTPUT,
                        f"{message} Файл пропущен.",
                        "Сохраняйте отчёты вне папки с ответами.",
                    )
                )
                inputs.append({"path": str(file), "sha256": _sha256_or_empty(file, path)})
                continue
            except InputError as exc:
                message = exc.message.removeprefix(f"{file}, ").removeprefix(f"{file}: ")
                unreadable.append(
                    Problem(
                        Location(shown_name(file, path)),
                        Code.FILE_UNREADABLE,
                        message,
                        "Исправьте файл или уберите его из папки с ответами.",
                    )
                )
                inputs.append({"path": str(file), "sha256": _sha256_or_empty(file, path)})
                continue
            tables.extend(found)
            inputs.append({"path": str(file), "sha256": sha})
        tables = _without_consolidated(tables, unreadable)
        if not tables and not any(p.is_error for p in unreadable):  # only files the tool wrote itself
            raise InputError(
                f"{path}: в папке нет файлов с ответами (.xlsx или .csv) ({listed(str(p) for p in unreadable)})."
            )
        return IngestResult(tables, unreadable, inputs)
    found, sha = read_tables(path, questionnaire, encoding)
    return IngestResult(found, [], [{"path": str(path), "sha256": sha}])


def _without_consolidated(tables: list[RawTable], skipped: list[Problem]) -> list[RawTable]:
    """The tables of a folder without the consolidated workbooks (`survey ingest -o`) lying beside
    other responses: they hold the answers of those files again (every expert would be a duplicate).
    A folder of consolidated workbooks alone (one per region, say) is read whole."""
    if all(t.consolidated for t in tables):
        return tables
    for file in dict.fromkeys(t.file for t in tables if t.consolidated):
        skipped.append(
            Problem(
                Location(file),
                Code.OWN_OUTPUT,
                "это сводная таблица, записанная survey из других файлов ответов (survey ingest: свойство книги "
                f"«Ключевые слова» {CONSOLIDATED_MARK}; survey run: data/responses.csv со столбцами source_file, "
                "source_sheet, source_row), а не ответы: рядом с другими файлами ответов она не читается, иначе её "
                "анкеты были бы учтены дважды.",
                "Сохраняйте сводную таблицу вне папки с ответами (survey ingest ПАПКА -o ФАЙЛ); чтобы проверить её "
                "саму, укажите её: survey validate ФАЙЛ.",
            )
        )
    return [t for t in tables if not t.consolidated]


ARCHIVE_SUFFIXES = (".zip", ".rar", ".7z", ".tar", ".gz", ".tgz", ".bz2", ".xz")
# hidden files that systems leave in every folder: skipped without a word
_SYSTEM_FILES = frozenset({".ds_store", "thumbs.db", "desktop.ini"})


def folder_files(root: Path) -> tuple[list[Path], list[Problem], list[dict[str, str]], list[Path]]:
    """The response files of a folder and of its sub-folders (administrators sort returned files
    into a folder per region), what was skipped and why (problems), and the archives found
    (inputs ``{path, sha256}``: they were looked at, and are errors), and the gold codings
    (``…_gold.csv``: :func:`is_gold_name`), which are not read as responses.

    Skipped and reported: hidden folders and hidden response files, symlinks to folders (they may
    lead out of the folder or round in a circle), files that are not responses; an archive
    (.zip…) is an error saying to unpack it. Files are named by their path inside ``root``.
    """
    files: list[Path] = []
    problems: list[Problem] = []
    archives: list[dict[str, str]] = []
    golds: list[Path] = []

    def skip(p: Path, message: str, fix: str, code: Code = Code.FILE_SKIPPED) -> None:
        problems.append(Problem(Location(shown_name(p, root)), code, message, fix))

    def walk(folder: Path) -> None:
        try:
            entries = sorted(folder.iterdir())
        except OSError as exc:
            skip(folder, f"папка не читается ({exc.strerror}).", "Проверьте права доступа к папке.")
            return
        for p in entries:
            is_dir = p.is_dir()
            if p.name.startswith("."):
                if is_dir or p.suffix.lower() in TABLE_SUFFIXES:
                    what = "скрытая папка (имя начинается с точки) пропущена" if is_dir else "скрытый файл пропущен"
                    skip(
                        p,
                        f"{what}.",
                        f"Если в {'ней' if is_dir else 'нём'} ответы, уберите точку в начале имени.",
                    )
            elif is_dir and p.is_symlink():
                skip(
                    p,
                    "ссылка (symlink) на папку пропущена: такие ссылки не читаются.",
                    "Если в папке ответы, скопируйте её файлы в папку с ответами.",
                )
            elif is_dir and (p / RUN_MANIFEST).is_file():
                skip(
                    p,
                    f"папка пропущена: это результаты survey run (в ней {RUN_MANIFEST}), а не ответы.",
                    "Сохраняйте результаты (--out) вне папки с ответами.",
                    Code.OWN_OUTPUT,
                )
            elif is_dir:
                walk(p)
            elif p.name.lower() in _SYSTEM_FILES:
                continue
            elif p.suffix.lower() in ARCHIVE_SUFFIXES and _is_regular(p):
                skip(
                    p,
                    f"это архив {p.suffix.lower()}: файлы внутри архивов не читаются, и ответы из него не проверены.",
                    "Распакуйте архив в папку с ответами (можно во вложенную папку) и удалите или уберите сам архив.",
                    Code.ARCHIVE,
                )
                archives.append({"path": str(p), "sha256": _sha256_or_empty(p, root)})
            elif _is_regular(p) and is_gold_name(p):
                golds.append(p)
                skip(
                    p,
                    "файл не читается как ответы: по имени (…_gold.csv) это эталонное кодирование; если он "
                    "один в папке, коды сравниваются с ним (coding/agreement_gold.csv).",
                    "Если это ответы, переименуйте файл (без «_gold» в конце имени).",
                )
            elif _is_regular(p) and not _ignored(p):
                files.append(p)
            elif p.name.startswith("~$"):
                skip(p, "временный файл Excel пропущен.", "Это не ответы: файл исчезнет, когда Excel закроет книгу.")
            elif _is_regular(p):
                skip(
                    p,
                    "файл пропущен: ответы читаются только из .xlsx, .csv, .tsv и .txt.",
                    "Если в нём ответы, сохраните его как .xlsx или .csv.",
                )
            else:
                skip(
                    p,
                    "пропущен: это не обычный файл (канал, устройство или ссылка в никуда).",
                    "Если в нём ответы, сохраните их в обычный файл .xlsx или .csv.",
                )

    walk(root)
    return files, problems, archives, golds


GOLD_AGREEMENT = "agreement_gold.csv"  # `survey run`'s own table of agreement with a gold coding


def is_gold_name(p: Path) -> bool:
    """Whether a file is named as a gold coding of responses (``<responses>_gold.csv``, in any
    case; not the run's own ``agreement_gold.csv``, which a user may copy beside the responses)."""
    name = p.name.lower()
    return name.endswith("_gold.csv") and name != GOLD_AGREEMENT


def _is_regular(p: Path) -> bool:
    try:
        return stat.S_ISREG(p.stat().st_mode)
    except OSError:
        return False


def _ignored(p: Path) -> bool:
    """Files of a folder that are not read (they are reported as skipped)."""
    return p.name.startswith("~$") or p.suffix.lower() not in TABLE_SUFFIXES + (".xls", ".ods", ".xlsb")


def _sha256_or_empty(path: Path, root: Path | None = None) -> str:
    try:
        return hashlib.sha256(read_bytes(path, root)).hexdigest()
    except InputError:
        return ""


def read_file(path: str | Path, questionnaire: Questionnaire, encoding: str | None = None) -> RawTable:
    """Read one response file; the first of its tables (see :func:`read_tables` for all)."""
    return read_tables(Path(path), questionnaire, encoding)[0][0]


def read_tables(
    path: Path, questionnaire: Questionnaire, encoding: str | None = None, *, root: Path | None = None
) -> tuple[list[RawTable], str]:
    """Every table of one response file (one per data sheet), and the file's SHA-256."""
    path = Path(path)
    name = shown_name(path, root)
    data = read_bytes(path, root)
    sha = hashlib.sha256(data).hexdigest()
    kind = sniff_format(path, data)
    if kind == "xlsx":
        check_zip_limits(path, data)
        book = read_book(path, data)
        if _is_coding_sheet(book, questionnaire):  # a run's coding/coding_sheet.xlsx, left among the responses
            raise OwnOutputError(
                f"{path}: это лист кодирования (coding/coding_sheet.xlsx), записанный survey, а не ответы; "
                "исправления в нём применяет survey run --overrides."
            )
        for reader in SPECIAL_READERS:
            table = reader(path, data, book, questionnaire, name)
            if table is not None:
                return [table], sha
        return _read_xlsx_tables(path, book, sha, questionnaire, name), sha
    return [_read_csv_table(path, data, sha, questionnaire, encoding, name)], sha


def shown_name(path: Path, root: Path | None = None) -> str:
    """How messages name a file: its path inside the folder of responses ``root`` («Амурская
    область/Анкета.xlsx», so two «Анкета.xlsx» in different folders are told apart), else its name."""
    if root is not None:
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            pass
    return path.name or str(path)


def _read_xlsx_tables(path: Path, book: Book, sha: str, q: Questionnaire, name: str) -> list[RawTable]:
    found: list[tuple[Sheet, int, dict[int, Key], list[Any]]] = []
    for sheet in book.sheets:
        head = sheet.head()
        header = find_header(head, q)
        if header:
            found.append((sheet, header[0], header[1], head[header[0] - 1]))
    if not found:
        names = ", ".join(f"«{ws.title}»" for ws in book.sheets)
        raise InputError(f"{path}: ни на одном листе ({names}) не найдена строка заголовков анкеты. {header_hint(q)}")
    tables = []
    for sheet, header_row, mapping, header_values in found:
        notes = _SheetNotes(name, sheet, header_row, mapping)
        gaps: list[tuple[int, int]] = []
        rows = notes.apply(_with_blank_rows(sheet.rows, header_row, gaps))
        table = _table_from_rows(
            path,
            sha,
            q,
            rows,
            header_row,
            mapping,
            name=name,
            sheet=sheet.title,
            letters=True,
            header_values=header_values,
            row_notes=notes.by_row,
        )
        base = Location(name, sheet=sheet.title)
        table.problems.extend(_unknown_columns(q, header_values, mapping, base, header_row, letters=True))
        table.problems.extend(notes.file_problems)
        last = (table.records[-1].location.row or 0) if table.records else 0
        for first, end in gaps:
            if end < last:
                table.problems.append(
                    Problem(
                        Location(name, sheet.title, first),
                        Code.BLANK_ROW,
                        f"строки {first}–{end} пусты ({end - first + 1}) и пропущены; после них на листе есть "
                        "ещё данные.",
                        "Удалите пустые строки; если данные ниже попали на лист случайно, удалите их.",
                    )
                )
        if not sheet.visible:
            table.problems.append(
                Problem(
                    base,
                    Code.HIDDEN_SHEET,
                    f"лист «{sheet.title}» скрыт в Excel; его ответы прочитаны, как и остальные.",
                    "Если лист не нужен, удалите его из книги.",
                )
            )
        table.synthetic = book.synthetic
        table.consolidated = book.consolidated
        tables.append(table)
    read = {sheet.title for sheet, *_ in found}
    for sheet in book.sheets:
        if sheet.title in read or not sheet.rows:
            continue
        if book.consolidated and sheet.title in CONSOLIDATED_REPORT_SHEETS:
            continue  # the problems and rejected rows `survey ingest` listed beside the answers
        cells = sum(1 for _, values in sheet.rows for v in values if not is_blank(v))
        if cells == 0:
            continue
        continued = _continued_answers(sheet, found[0][2], tables[0])
        if continued is not None:
            n, column, example = continued
            tables[0].problems.append(
                Problem(
                    Location(name, sheet=sheet.title),
                    Code.SHEET_NOT_READ,
                    f"лист «{sheet.title}» не прочитан: похоже, это продолжение ответов без строки заголовков "
                    f"({n} {plural_word(n, 'строка', 'строки', 'строк')} с кодами экспертов в столбце {column}, "
                    f"например «{example}»); эти ответы не "
                    "вошли бы в данные.",
                    f"Скопируйте строку заголовков с листа «{found[0][0].title}» в первую строку этого листа "
                    "или перенесите строки на тот лист.",
                    severity="error",
                )
            )
            continue
        tables[0].problems.append(
            Problem(
                Location(name, sheet=sheet.title),
                Code.SHEET_NOT_READ,
                f"лист «{sheet.title}» не прочитан: на нём есть данные (заполненных ячеек: {cells}), но в первых "
                f"{limits.HEADER_SEARCH_ROWS} строках нет строки заголовков анкеты.",
                f"Если на листе ответы, добавьте строку заголовков ({', '.join(_first_ids(q))}, …); если нет — "
                "удалите лист или не обращайте внимания.",
            )
        )
    return tables


def _id_shape(value: Any) -> str:
    """The form of an expert code: letters as «A», digits as «9» («E124» → «A999»)."""
    text = str(value).strip()
    return re.sub(r"\d", "9", re.sub(r"[^\W\d_]", "A", text))


def _continued_answers(sheet: Sheet, mapping: dict[int, Key], read: RawTable) -> tuple[int, str, str] | None:
    """A sheet without a header row whose rows hold, in the column of the expert code of the sheet
    that was read, codes of the same form as the codes read there (at least two rows, and most of
    the sheet's filled rows): answers pasted without their header. ``(rows, column letter,
    first code)`` or None."""
    id_idx = next((idx for idx, key in mapping.items() if key == ("expert_id", None)), None)
    if id_idx is None:
        return None
    known = {
        _id_shape(v)
        for r in read.records
        if not is_blank(v := r.values.get(("expert_id", None))) and any(ch.isdigit() for ch in str(v))
    }
    filled = [values for _, values in sheet.rows if any(not is_blank(v) for v in values)]
    codes = [
        values[id_idx]
        for values in filled
        if id_idx < len(values) and not is_blank(values[id_idx]) and _id_shape(values[id_idx]) in known
    ]
    if len(codes) < 2 or len(codes) < len(filled) / 2:
        return None
    return len(codes), col_letter(id_idx + 1), str(codes[0]).strip()


_GAP = 1000  # blank rows in a row beyond this are reported as one range, not one by one


def _with_blank_rows(
    rows: list[tuple[int, list[Any]]], header_row: int, gaps: list[tuple[int, int]]
) -> Iterator[tuple[int, list[Any]]]:
    """The data rows below the header, with the empty rows between them as ``(n, [])`` (they are
    reported as blank); a long run of empty rows is recorded in ``gaps`` instead."""
    previous = header_row
    for number, values in rows:
        if number <= header_row:
            continue
        if number - previous - 1 > _GAP:
            gaps.append((previous + 1, number - 1))
        else:
            for blank in range(previous + 1, number):
                yield blank, []
        previous = number
        yield number, values


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


def _merged_span(first_row: int, last_row: int, letters: list[str]) -> str:
    """Where a merged cell's value was copied: «ко всем строкам 10–12», «ко всем столбцам AG, AH
    строки 10» (a value across questions answers each of them), or both."""
    rows = f"строкам {first_row}–{last_row}" if last_row > first_row else f"строке {first_row}"
    if len(letters) < 2:
        return f"ко всем {rows}" if last_row > first_row else f"к {rows}"
    columns = f"ко всем столбцам {', '.join(letters)} (ответ на каждый из этих вопросов)"
    return f"{columns} в строках {first_row}–{last_row}" if last_row > first_row else f"{columns} строки {first_row}"


class _SheetNotes:
    """What a worksheet shows beyond values: merged cells (their value is used for every cell
    of the range, only in rows that exist and columns that are read), hidden rows, formulas
    (with or without a stored result) and values beyond the last column read. Problems are
    attached to the records of the rows they concern."""

    def __init__(self, file: str, sheet: Sheet, header_row: int, mapping: dict[int, Key]):
        self.by_row: dict[int, list[Problem]] = {}
        self.file_problems: list[Problem] = []
        self.fill: dict[int, list[tuple[int, tuple[int, int]]]] = {}  # row → [(col, source cell)]
        base = Location(file, sheet=sheet.title)
        columns = set(mapping)
        present = dict(sheet.rows)
        for min_row, min_col, max_row, max_col in sheet.merged:
            cols = [c - 1 for c in range(min_col, max_col + 1) if c - 1 in columns]
            if not cols or max_row <= header_row:
                continue
            source = present.get(min_row, [])
            value = source[min_col - 1] if min_col - 1 < len(source) else None
            first_row = max(min_row, header_row + 1)
            rows_in = [r for r in present if first_row <= r <= max_row]  # only rows that hold values
            for r in rows_in:
                for c in cols:
                    self.fill.setdefault(r, []).append((c, (min_row, min_col - 1)))
            coord = f"{col_letter(min_col)}{min_row}:{col_letter(max_col)}{max_row}"
            last = max(rows_in, default=max_row) if max_row - first_row > 10_000 else max_row
            self._add(
                first_row,
                Problem(
                    base.with_(cell=coord),
                    Code.MERGED_CELLS,
                    f"ячейки {coord} объединены: значение «{shorten(value)}» отнесено "
                    + _merged_span(first_row, last, [col_letter(c + 1) for c in cols])
                    + ".",
                    "Проверьте это; лучше не объединять ячейки с ответами.",
                    value=value,
                ),
            )
        for r in sorted(sheet.hidden_rows):
            if r > header_row and r in present:
                self._add(
                    r,
                    Problem(
                        Location(file, sheet.title, r),
                        Code.HIDDEN_ROW,
                        f"строка {r} скрыта в Excel; она прочитана, как и остальные.",
                        "Если строка не нужна, удалите её.",
                    ),
                )
        for (r, c), (formula, has_value) in sorted(sheet.formulas.items()):
            if r <= header_row or c not in columns:
                continue
            where = Location(file, sheet.title, cell=f"{col_letter(c + 1)}{r}")
            values = present.get(r, [])
            cached = values[c] if c < len(values) else None
            if not has_value or is_blank(cached):
                self._add(
                    r,
                    Problem(
                        where,
                        Code.FORMULA_WITHOUT_VALUE,
                        f"в ячейке формула «{shorten(formula)}» без сохранённого результата: ответа в ячейке нет, "
                        "пока Excel её не пересчитает.",
                        "Откройте файл в Excel, чтобы формула пересчиталась, и сохраните его, "
                        "или замените формулу значением.",
                        field=mapping[c][0],
                        value=formula,
                    ),
                )
            else:
                self._add(
                    r,
                    Problem(
                        where,
                        Code.FORMULA,
                        f"в ячейке формула «{shorten(formula)}»; прочитан её результат «{shorten(cached)}».",
                        "Проверьте, что результат верен.",
                        field=mapping[c][0],
                        value=formula,
                    ),
                )
        for r, c, value in sheet.beyond:
            self.file_problems.append(
                Problem(
                    Location(file, sheet.title, cell=f"{col_letter(c + 1)}{r}"),
                    Code.UNKNOWN_COLUMN,
                    f"значение «{shorten(value)}» стоит за пределами {limits.MAX_COLUMNS} столбцов и не читается.",
                    "Если это ответ, перенесите его в столбец анкеты; если это случайный символ, удалите его.",
                    value=value,
                )
            )
        self._present = present

    def _add(self, row: int, problem: Problem) -> None:
        self.by_row.setdefault(row, []).append(problem)

    def apply(self, rows: Iterable[tuple[int, list[Any]]]) -> Iterator[tuple[int, list[Any]]]:
        for number, values in rows:
            for c, (sr, sc) in self.fill.get(number, ()):
                source = self._present.get(sr, [])
                value = source[sc] if sc < len(source) else None
                if c >= len(values):
                    values = values + [None] * (c + 1 - len(values))
                values[c] = value
            yield number, values


# sheets of the consolidated workbook (`survey ingest`) that report on the answers, not answers
CONSOLIDATED_REPORT_SHEETS = ("Проблемы", "Отклонены")
# the columns of the problems report (``survey validate --report``, ``validation.csv``) and of the
# rejected rows (``data/rejected.csv``): the reader knows these files of its own by them
REPORT_COLUMNS = ["severity", "file", "sheet", "row", "column", "cell", "field", "code", "message", "fix", "value"]
REJECTED_COLUMNS = ["file", "sheet", "row", "expert_id", "reasons"]
RUN_MANIFEST = "run.json"  # the manifest `survey run` writes into its output folder


def coding_keys(texts: list[str]) -> bool:
    """Whether a row holds the coding sheet's machine keys: «expert_id» and «override:<category>»
    (README «Reviewing the coding»)."""
    return "expert_id" in texts and any(t.startswith("override:") for t in texts)


def _is_coding_sheet(book: Book, q: Questionnaire) -> bool:
    """Whether a workbook is a run's coding sheet and nothing else: a sheet with its keys in its
    first rows, and no sheet with a header of the questionnaire (a workbook of responses with a
    copy of the coding sheet added is read for its responses)."""
    keyed = any(
        coding_keys([str(v).strip() for v in row if v is not None]) for s in book.sheets for _, row in s.rows[:5]
    )
    return keyed and not any(find_header(s.head(), q) for s in book.sheets)


class OwnOutputError(InputError):
    """The file is one the tool wrote about responses (a problems report), not responses: in a
    folder it is skipped with a warning, given alone it cannot be read."""


# columns that are not answers and are left out without a word: where a row came from (the
# consolidated workbook) and what KoboToolbox/ODK add to every export
SERVICE_COLUMNS = frozenset(
    {
        "source_file", "source_sheet", "source_row",
        "start", "end", "today", "deviceid", "subscriberid", "simserial", "phonenumber", "username", "audit",
        "_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status", "_submitted_by",
        "__version__", "_version_", "_index", "_tags", "_xform_id_string", "_parent_index",
        "_parent_table_name", "_attachments", "_geolocation", "instanceid", "meta/instanceid",
        "meta/rootuuid", "meta/deprecatedid", "formhub/uuid",
    }
)  # fmt: skip


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

    out = []
    labels = {f.label: f.id for f in q.fields}
    ids = {f.id: f.id for f in q.fields}  # a header typed as an id with a typo («q6_prospect»)
    for idx, name in enumerate(header or []):
        if idx in mapping or is_blank(name) or str(name).strip().lower() in SERVICE_COLUMNS:
            continue
        key = fold(str(name))
        near = (
            [lab for lab in labels if len(key) >= 4 and (fold(lab).startswith(key) or key in fold(lab))][:1]
            or difflib.get_close_matches(str(name).strip(), list(labels), n=1, cutoff=0.6)
            or difflib.get_close_matches(str(name).strip().lower(), list(ids), n=1, cutoff=0.8)
        )
        fix = (
            "Возможно, это столбец «{}»{}: переименуйте заголовок.".format(
                near[0], f" ({labels[near[0]]})" if near[0] in labels else ""
            )
            if near
            else "Если в столбце есть ответы анкеты, дайте ему заголовок из анкеты (см. README)."
        )
        out.append(
            Problem(
                base.with_(
                    row=header_row,
                    column=col_letter(idx + 1) if letters else str(name),
                    header=str(name),
                ),
                Code.UNKNOWN_COLUMN,
                f"столбец «{shorten(name)}» не относится к анкете и не читается.",
                fix,
                value=name,
            )
        )
    return out


def _first_ids(q: Questionnaire) -> list[str]:
    return [f.id for f in q.fields[:3]]


def header_hint(q: Questionnaire) -> str:
    """Where the header row must be and what it holds, for a message."""
    code = q.field("expert_id")
    return (
        f"В первых {limits.HEADER_SEARCH_ROWS} строках должна быть строка с заголовками столбцов анкеты "
        f"«{q.title or q.id}»: код респондента («expert_id» или «{code.label}») и другие вопросы "
        f"({', '.join(_first_ids(q))}…; см. README). Если это ответы на другую анкету, укажите её файлы: "
        "--study ПАПКА."
    )


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
    name: str,
    sheet: str | None,
    letters: bool,
    header_values: list[Any] | None = None,
    encoding: str | None = None,
    row_notes: dict[int, list[Problem]] | None = None,
) -> RawTable:
    table = RawTable(path=path, sha256=sha, kind="table", sheet=sheet, encoding=encoding, file=name)
    file = name
    base = Location(file, sheet=sheet)
    names = {idx: (col_letter(idx + 1) if letters else None) for idx in mapping}
    seen: dict[Key, int] = {}
    repeats: list[tuple[Key, int]] = []  # (key, index) of the copies not used
    for idx, key in sorted(mapping.items()):
        if key in seen:
            repeats.append((key, idx))
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
    # one location per column; a row's cell is made from it only when a message needs it
    columns: dict[Key, Location] = {}
    for key, idx in seen.items():
        header = header_values[idx] if header_values and idx < len(header_values) else None
        columns[key] = Location(
            file,
            sheet,
            None,
            names[idx] or _key_name(q, key),
            str(header) if header is not None else _key_name(q, key),
        )
    order = list(seen.items())
    personal = {f.id for f in q.fields if f.personal}
    count = 0
    records = table.records
    blank_rows = table.blank_rows
    # columns with no header (blank, or past the header's end) are not read; one that holds values
    # is said, as units.csv's is: a comment typed beside the answers is not lost unsaid
    heads = header_values or []
    unheaded = [idx for idx, h in enumerate(heads) if idx not in mapping and is_blank(h)]
    stray: dict[int, tuple[int, int]] = {}  # column -> (first row with a value, rows with a value)
    for row_number, values in rows:
        width = len(values)
        # not a row with an unquoted separator too many (rejected on its own): its text moved right
        shifted = row_notes is not None and any(p.code == Code.MALFORMED_ROW for p in row_notes.get(row_number, ()))
        if (unheaded or width > len(heads)) and not shifted:
            for idx in chain(unheaded, range(len(heads), width)):
                if idx < width and not is_blank(values[idx]):
                    first_row, filled = stray.get(idx, (row_number, 0))
                    stray[idx] = (first_row, filled + 1)
        rec_values = {key: (values[idx] if idx < width else None) for key, idx in order}
        if all(is_blank(v) for v in rec_values.values()):
            if any(not is_blank(v) for v in values):
                pass  # only unknown columns are filled: keep it as a record so it is rejected, not lost
            else:
                blank_rows.append(Location(file, sheet, row_number))
                continue
        notes = list(row_notes.get(row_number, ())) if row_notes else []
        for key, idx in repeats:  # a copy that holds another answer: the row cannot be read as it is
            other = values[idx] if idx < width else None
            used = rec_values[key]
            if not is_blank(other) and (is_blank(used) or str(other).strip() != str(used).strip()):
                name, first = _key_name(q, key), names[seen[key]] or str(seen[key] + 1)
                # a personal field's values (the expert's name) are not quoted in reports
                shown_used, shown_other = (MASK, MASK) if key[0] in personal else (used, other)
                notes.append(
                    Problem(
                        base.with_(row=row_number, column=names[idx] or str(idx + 1)),
                        Code.DUPLICATE_COLUMN_VALUE,
                        f"столбец «{name}» повторяется, и в этой строке копии расходятся: в столбце {first} "
                        + (f"«{shown_used}»" if not is_blank(used) else "пусто")
                        + f", в столбце {names[idx] or idx + 1} «{shown_other}».",
                        "Оставьте ответ в одном столбце и удалите лишний.",
                        field=key[0],
                        value=None if key[0] in personal else str(other),
                    )
                )
        if count >= limits.MAX_ROWS:
            raise InputError(
                f"{path}: в файле больше {limits.MAX_ROWS} строк данных — это больше, чем бывает в "
                "анкетах опроса. Проверьте, что выбран нужный файл, или разделите его."
            )
        records.append(
            RawRecord(
                rec_values,
                RowCells(columns, row_number),
                Location(file, sheet, row_number),
                notes,
            )
        )
        count += 1
    # the values are not quoted: a column that lost its header may be the experts' names
    for idx, (row_number, filled) in sorted(stray.items()):
        column = col_letter(idx + 1) if letters else str(idx + 1)
        table.problems.append(
            Problem(
                base.with_(row=row_number, column=column),
                Code.UNKNOWN_COLUMN,
                f"у столбца {column} нет заголовка, но в нём есть значения (строк: {filled}, первая — строка "
                f"{row_number}); они не читаются.",
                "Если это ответы анкеты, дайте столбцу заголовок из анкеты; если это заметки, дайте ему "
                "заголовок «Примечание» или удалите их.",
            )
        )
    # trailing blank rows are formatting, not data: only blank rows between records are reported
    last = (records[-1].location.row or 0) if records else 0
    table.blank_rows = [loc for loc in blank_rows if loc.row is not None and loc.row < last]
    return table


def _key_name(q: Questionnaire, key: Key) -> str:
    fid, option = key
    return f"{fid}_{option}" if option else fid


# ---------------------------------------------------------------- CSV


def _read_csv_table(path: Path, data: bytes, sha: str, q: Questionnaire, encoding: str | None, name: str) -> RawTable:
    text, used = decode_text(path, data, encoding)
    body, delimiter = csv_layout(text)  # Excel's «sep=;» line is left blank: line numbers stay the file's
    csv.field_size_limit(limits.MAX_FILE_BYTES)  # a long answer is judged by validation
    reader = csv.reader(io.StringIO(body, newline=""), delimiter=delimiter, strict=True)
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
    if found is None and head and [v.strip() for v in head[0]] in (REPORT_COLUMNS, REJECTED_COLUMNS):
        what = (
            "отчёт о проблемах (survey validate --report, validation.csv)"
            if head[0][0].strip() == REPORT_COLUMNS[0]
            else "список отклонённых анкет (data/rejected.csv)"
        )
        raise OwnOutputError(f"{path}: это {what}, записанный survey, а не ответы.")
    if found is None:
        raise InputError(
            f"{path}: не найдена строка заголовков анкеты. {header_hint(q)} Если текст выглядит искажённым, "
            "укажите кодировку: --encoding cp1251."
        )
    header_index, mapping = found
    header_line, header_values = records[header_index - 1]
    row_notes: dict[int, list[Problem]] = {}
    width = len(header_values)
    usual = usual_width((len(v) for _, v in records[header_index:] if any(x.strip() for x in v)), width)
    for line, values in records[header_index:]:
        if shifted_row(values, width, usual):
            row_notes.setdefault(line, []).append(
                Problem(
                    Location(name, row=line),
                    Code.MALFORMED_ROW,
                    f"{width_message(values, width, usual)}: в ответе, видимо, есть "
                    f"разделитель «{delimiter}» без кавычек, и часть текста попала бы в чужие столбцы; строка "
                    "не принята.",
                    f"Заключите текст с разделителем «{delimiter}» в двойные кавычки "
                    "(Excel делает это сам при сохранении в CSV).",
                )
            )
    rows = ((line, [v if v != "" else None for v in values]) for line, values in records[header_index:])
    table = _table_from_rows(
        path,
        sha,
        q,
        rows,
        header_line,
        mapping,
        name=name,
        sheet=None,
        letters=True,
        header_values=header_values,
        encoding=used,
        row_notes=row_notes,
    )
    table.problems.extend(_unknown_columns(q, header_values, mapping, Location(name), header_line, letters=True))
    # a table the tool wrote from other response files (a run's data/responses.csv): the columns that
    # say where each row came from mark it, as the Keywords mark a consolidated workbook
    table.consolidated = {"source_file", "source_sheet", "source_row"} <= {str(v).strip() for v in header_values}
    if used == "cp1251" and not encoding:
        table.problems.append(
            Problem(
                Location(name),
                Code.ENCODING_CP1251,
                "файл прочитан в кодировке Windows-1251 (cp1251).",
                "Если русский текст в отчёте искажён, укажите кодировку явно: --encoding.",
            )
        )
    return table
