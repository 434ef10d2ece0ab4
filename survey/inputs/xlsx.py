"""Reading an ``.xlsx`` workbook bounded by the cells it really holds.

A worksheet declares its extent, and a single stray cell (a «.» in AH1048576, a formatted
empty cell in XFD1) makes that extent a million rows or sixteen thousand columns. Readers that
walk the declared extent cell by cell (openpyxl's full mode, ``ws.iter_rows()`` over
``max_row × max_column``) then take minutes and gigabytes for a 50 KB file. Here:

* values come from python-calamine (Rust: ~20× faster than openpyxl), which builds one dense
  block from the first to the last cell *holding a value*; before it is called, a cheap scan of
  the sheet's XML bounds that block (the last row holding a value × the widest cell reference),
  and when the block would exceed :data:`MAX_DENSE_CELLS` the sheet is streamed with openpyxl's
  read-only reader instead, which keeps only one row in memory;
* what calamine does not tell — merged ranges, hidden rows, formulas (with or without a stored
  result), Excel error values, the sheet's part name and state, the workbook's keywords — is
  read from the XML parts with patterns over the bytes (each pass is linear in the part's size
  and visits only the elements concerned), not by loading every cell as an object.

Only rows holding at least one value are returned, each with its 1-based number, so nothing
downstream iterates over empty space.
"""

from __future__ import annotations

import html
import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from defusedxml import ElementTree as SafeET

from survey.errors import InputError
from survey.inputs import limits
from survey.inputs.files import open_workbook

MAX_DENSE_CELLS = 5_000_000  # rows × columns calamine may allocate for one sheet (about 150 MB)
MAX_BEYOND = 20  # values beyond MAX_COLUMNS kept for messages (per sheet)
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_REF = re.compile(rb"([A-Z]{1,3})([0-9]{1,7})")


@dataclass
class Sheet:
    """One worksheet: its rows holding values and what Excel shows beyond values."""

    title: str
    state: str = "visible"  # "visible", "hidden", "veryHidden"
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)  # (1-based row, values from column A)
    # (min_row, min_col, max_row, max_col), 1-based
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    hidden_rows: set[int] = field(default_factory=set)
    # (row, 0-based column) → (formula, a result is stored)
    formulas: dict[tuple[int, int], tuple[str, bool]] = field(default_factory=dict)
    beyond: list[tuple[int, int, Any]] = field(default_factory=list)  # values beyond MAX_COLUMNS: (row, col, value)
    streamed: bool = False  # read with openpyxl's streaming reader (the sheet's extent is huge)

    @property
    def visible(self) -> bool:
        return self.state == "visible"

    def head(self, n: int = limits.HEADER_SEARCH_ROWS) -> list[list[Any]]:
        """The first ``n`` rows as a dense list (empty rows as ``[]``), for finding the header."""
        out: list[list[Any]] = [[] for _ in range(n)]
        for number, values in self.rows:
            if number > n:
                break
            out[number - 1] = values
        return out


CONSOLIDATED_MARK = "survey-consolidated"  # the Keywords of the workbook `survey ingest` writes


@dataclass
class Book:
    """Every worksheet of a workbook (chart sheets are left out) and its keywords."""

    sheets: list[Sheet]
    keywords: str = ""

    @property
    def synthetic(self) -> bool:
        """The Keywords property marks the data as synthetic."""
        k = self.keywords.lower()
        return "synthetic" in k or "синтетич" in k

    @property
    def consolidated(self) -> bool:
        """Written by ``survey ingest`` (its Keywords carry :data:`CONSOLIDATED_MARK`)."""
        return CONSOLIDATED_MARK in self.keywords.lower()


def col_letter(index: int) -> str:
    """1 → A, 27 → AA, 16384 → XFD."""
    letters = ""
    while index > 0:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def col_index(letters: bytes | str) -> int:
    """A → 1, AA → 27, XFD → 16384."""
    if isinstance(letters, bytes):
        letters = letters.decode("ascii")
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def read_book(path: Path, data: bytes) -> Book:
    """Every worksheet of an xlsx (already checked by :func:`~survey.inputs.files.check_zip_limits`)."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise InputError(f"{path}: файл повреждён (архив xlsx не читается).") from None
    with zf:
        parts = _sheet_parts(path, zf)
        keywords = _keywords(zf)
        xml = {name: zf.read(part) for name, (part, _) in parts.items() if part in zf.namelist()}
    dense_ok = {name: _dense_area(xml.get(name, b"")) for name in parts}
    sheets: list[Sheet] = []
    calamine = None
    if any(area is not None and area <= MAX_DENSE_CELLS for area in dense_ok.values()):
        calamine = _open_calamine(data)
    streamed = None
    for name, (_, state) in parts.items():
        sheet = Sheet(title=name, state=state)
        part_xml = xml.get(name, b"")
        area = dense_ok[name]
        if calamine is not None and area is not None and area <= MAX_DENSE_CELLS:
            rows = _calamine_rows(calamine, name)
        else:
            if streamed is None:
                streamed = _open_openpyxl(path, data)
            rows = _openpyxl_rows(streamed, name)
            sheet.streamed = True
        errors = _error_cells(part_xml)
        sheet.rows, sheet.beyond = _trim(rows, errors)
        sheet.merged = _merged(part_xml)
        sheet.hidden_rows = _hidden_rows(part_xml)
        sheet.formulas = _formulas(part_xml)
        sheets.append(sheet)
    if streamed is not None:
        streamed.close()
    return Book(sheets, keywords)


# ---------------------------------------------------------------- workbook structure


def _sheet_parts(path: Path, zf: zipfile.ZipFile) -> dict[str, tuple[str, str]]:
    """Sheet name → (part name in the zip, state), in workbook order; chart sheets left out."""
    try:
        book = SafeET.fromstring(zf.read("xl/workbook.xml"))
        rels_xml = zf.read("xl/_rels/workbook.xml.rels")
        rels = SafeET.fromstring(rels_xml)
    except KeyError:
        raise InputError(
            f"{path}: в книге нет описания листов (xl/workbook.xml): файл повреждён. Откройте его в Excel "
            "и сохраните заново."
        ) from None
    except Exception:  # defusedxml refuses entities/DTD; a broken XML part
        raise InputError(
            f"{path}: файл отклонён — описание книги содержит недопустимые конструкции XML (сущности/DTD) или "
            "повреждено. Пересохраните данные в новой книге."
        ) from None
    targets = {}
    for rel in rels.iter(f"{_PKG_REL}Relationship"):
        target = rel.get("Target", "")
        if not rel.get("Type", "").endswith("/worksheet"):
            continue
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        targets[rel.get("Id")] = part
    out: dict[str, tuple[str, str]] = {}
    for sheet in book.iter(f"{_MAIN}sheet"):
        rid = sheet.get(f"{_REL}id")
        if rid in targets:
            out[sheet.get("name", "")] = (targets[rid], sheet.get("state", "visible"))
    return out


def _keywords(zf: zipfile.ZipFile) -> str:
    try:
        core = SafeET.fromstring(zf.read("docProps/core.xml"))
    except Exception:  # no core properties, or broken: no keywords
        return ""
    for el in core.iter():
        if el.tag.endswith("}keywords") and el.text:
            return el.text
    return ""


# ---------------------------------------------------------------- values


def _open_calamine(data: bytes):
    import python_calamine

    try:
        return python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception:  # anything calamine cannot read: openpyxl then says what is wrong
        return None


def _calamine_rows(book, name: str) -> list[tuple[int, list[Any]]]:
    try:
        values = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except Exception:  # an unreadable sheet: read it with openpyxl (streamed) instead
        return []
    out = []
    for number, row in enumerate(values, start=1):
        if any(v != "" for v in row):
            out.append((number, [_plain(v) for v in row]))
    return out


def _plain(value: Any) -> Any:
    """Empty → None; a whole float → int (Excel stores every number as a float; openpyxl gives
    ``12`` for a cell showing 12, and so do we)."""
    if value == "":
        return None
    if type(value) is float and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _open_openpyxl(path: Path, data: bytes):
    return open_workbook(path, data, read_only=True, data_only=True)


def _openpyxl_rows(wb, name: str) -> list[tuple[int, list[Any]]]:
    ws = wb[name]
    ws.reset_dimensions()  # do not trust the declared size
    out = []
    for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
        if row and any(v is not None for v in row):
            out.append((number, list(row)))
            if len(out) > limits.MAX_ROWS + limits.HEADER_SEARCH_ROWS:
                break  # the reader refuses the file; no need to read on
    return out


def _trim(
    rows: list[tuple[int, list[Any]]], errors: dict[tuple[int, int], str]
) -> tuple[list[tuple[int, list[Any]]], list[tuple[int, int, Any]]]:
    """Cut rows at MAX_COLUMNS (keeping what lies beyond, for a message) and put Excel error values
    (which calamine reads as empty) back into their cells."""
    by_row: dict[int, list[tuple[int, str]]] = {}
    for (r, c), text in errors.items():
        by_row.setdefault(r, []).append((c, text))
    beyond: list[tuple[int, int, Any]] = []
    out = []
    present = {number for number, _ in rows}
    extra: list[tuple[int, list[Any]]] = [(r, []) for r in by_row if r not in present]
    for number, values in sorted(rows + extra, key=lambda item: item[0]):
        for c, text in by_row.get(number, ()):
            if c >= len(values):
                values = values + [None] * (c + 1 - len(values))
            values[c] = text
        if len(values) > limits.MAX_COLUMNS:
            for c in range(limits.MAX_COLUMNS, len(values)):
                if values[c] is not None and values[c] != "" and len(beyond) < MAX_BEYOND:
                    beyond.append((number, c, values[c]))
            values = values[: limits.MAX_COLUMNS]
        out.append((number, values))
    return out, beyond


# ---------------------------------------------------------------- cheap scans of the sheet XML


def _prefix(xml: bytes) -> bytes | None:
    m = re.search(rb"<(\w+:)?sheetData\b", xml)
    if m is None:
        return None
    return m.group(1) or b""


def _dense_area(xml: bytes) -> int | None:
    """Upper bound of the rows × columns calamine would allocate for this sheet, or ``None``
    when it cannot be told cheaply (then the sheet is streamed)."""
    p = _prefix(xml)
    if p is None:
        return 0
    row_tag = b"<" + p + b"row"
    values = (b"<" + p + b"v>", b"<" + p + b"v ", b"<" + p + b"is>")
    end = len(xml)
    last_row = 0
    for _ in range(2000):  # the last row holding a value, scanning back from the end
        start = xml.rfind(row_tag, 0, end)
        if start < 0:
            break
        segment = xml[start:end]
        if any(v in segment for v in values):
            m = re.match(rb"<(?:\w+:)?row\b[^>]*?\br=\"([0-9]+)\"", segment)
            if m is None:
                return None
            last_row = int(m.group(1))
            break
        end = start
    else:
        return None
    if last_row == 0:
        return 0
    cell = re.escape(b"<" + p + b"c")
    letters = set(re.findall(cell + rb" r=\"([A-Z]{1,3})[0-9]", xml))
    cells = xml.count(b"<" + p + b"c ") + xml.count(b"<" + p + b"c>")
    if cells != sum(1 for _ in re.finditer(cell + rb" r=\"", xml)):
        return None  # some cell without a leading reference: cannot bound it cheaply
    widest = max((col_index(x) for x in letters), default=0)
    return last_row * widest


def _cell_ref(tag: bytes) -> tuple[int, int] | None:
    """(row, 0-based column) of a ``<c r="B4" …>`` start tag."""
    m = re.search(rb"\br=\"([A-Z]{1,3})([0-9]{1,7})\"", tag)
    if m is None:
        return None
    return int(m.group(2)), col_index(m.group(1)) - 1


def _merged(xml: bytes) -> list[tuple[int, int, int, int]]:
    if b"mergeCell" not in xml:
        return []
    out = []
    for ref in re.findall(rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=\"([A-Z0-9:]+)\"", xml):
        corners = [_REF.fullmatch(part) for part in ref.split(b":")]
        if not all(corners):
            continue
        (a, b) = (corners[0], corners[-1])
        assert a is not None and b is not None
        r1, c1, r2, c2 = int(a.group(2)), col_index(a.group(1)), int(b.group(2)), col_index(b.group(1))
        out.append((min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)))
    return out


def _hidden_rows(xml: bytes) -> set[int]:
    if b"hidden=" not in xml:
        return set()
    out = set()
    for tag in re.findall(rb"<(?:\w+:)?row\b[^>]*?\bhidden=\"(?:1|true)\"[^>]*>", xml):
        m = re.search(rb"\br=\"([0-9]+)\"", tag)
        if m:
            out.add(int(m.group(1)))
    return out


def _cells_with(xml: bytes, marker: re.Pattern[bytes]):
    """(start tag, inner XML) of every cell whose start tag or content matches ``marker``."""
    p = _prefix(xml)
    if p is None:
        return
    open_tag = b"<" + p + b"c "
    close_tag = b"</" + p + b"c>"
    for m in marker.finditer(xml):
        start = xml.rfind(open_tag, 0, m.start() + 1)
        if start < 0:
            continue
        tag_end = xml.find(b">", start)
        if tag_end < 0:
            continue
        tag = xml[start : tag_end + 1]
        if tag.endswith(b"/>"):
            if m.start() > tag_end:
                continue
            yield tag, b""
            continue
        end = xml.find(close_tag, tag_end)
        if end < 0 or end < m.start():
            continue
        yield tag, xml[tag_end + 1 : end]


_FORMULA = re.compile(rb"<(?:\w+:)?f[ >/]")
_ERROR = re.compile(rb"\bt=\"e\"")
_V = re.compile(rb"<(?:\w+:)?v(?:\s[^>]*)?>([^<]*)</(?:\w+:)?v>")
_F = re.compile(rb"<(?:\w+:)?f(?:\s[^>]*)?(?:/>|>([^<]*)</(?:\w+:)?f>)")


def _formulas(xml: bytes) -> dict[tuple[int, int], tuple[str, bool]]:
    """Cells holding a formula: (row, 0-based column) → (formula text, a result is stored)."""
    if not _FORMULA.search(xml):
        return {}
    out: dict[tuple[int, int], tuple[str, bool]] = {}
    for tag, inner in _cells_with(xml, _FORMULA):
        ref = _cell_ref(tag)
        f = _F.search(inner)
        if ref is None or f is None or ref in out:
            continue
        text = html.unescape(f.group(1).decode("utf-8", "replace")) if f.group(1) else ""
        v = _V.search(inner)
        out[ref] = ("=" + text if text else "(общая формула)", bool(v and v.group(1)))
    return out


def _error_cells(xml: bytes) -> dict[tuple[int, int], str]:
    """Cells holding an Excel error value (``t="e"``: #N/A, #DIV/0!…): (row, 0-based column) → text."""
    if not _ERROR.search(xml):
        return {}
    out = {}
    for tag, inner in _cells_with(xml, _ERROR):
        ref = _cell_ref(tag)
        v = _V.search(inner)
        if ref is not None and v:
            out[ref] = html.unescape(v.group(1).decode("utf-8", "replace"))
    return out
