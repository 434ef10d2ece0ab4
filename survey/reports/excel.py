"""The Excel summary (``summary.xlsx``, openpyxl): the run's results for readers, in Russian.

Sheets: «Сводка» (key figures, the problems with κ/α, findings stated from the numbers, a
chart), «Проблемы» (shares by group with Wilson and design-based intervals, letters, κ/α; % of
mentions; the chart), «Критерии» (per category the primary test with df and design effect,
Holm/BH, Fisher, mid-p, χ²; the overall test), «Эффекты» (two groups: risk difference and ratio,
odds ratios), «Единицы» (the unit-level view), «Вопросы» and «Шкалы» (closed questions),
«Модели», «Надёжность» (coding agreement), «Кодовая книга», «Данные» (anonymised answers with
codes and evidence) and «Методика». A sheet the run cannot fill (one group: no «Критерии»; no
models) keeps one line saying why. The charts are native Excel bar charts with interval bars
(their numbers sit on the hidden sheet «_диаграмма»); grey and hatched, they print in black and
white, and their legend lists the groups in the order of the bars (in Excel and LibreOffice).

Numbers are stored as numbers with formats (percentages as fractions with ``0.0%``, p-values
``0.0000`` or scientific below 0.0001). Every text goes through
:func:`survey.base.workbook.xlsx_value`, so an answer like ``=1+2`` stays text.

**Printing** (A4, checked by converting with LibreOffice, ``tools/check_print.py``): column
widths are at least the longest word of their heading, so headings wrap between words; numbers
are indented from the text beside them; the footer fits its margin. A sheet narrow enough to be
read at 80 % or more is fitted to the page width; a wider one is printed at 80 % with page
breaks between column blocks and its first column repeated. Row breaks keep every table that
fits on a page whole and put each chart on a page of its own; long single-table sheets repeat
their heading rows.
"""

from __future__ import annotations

import dataclasses
import math
from copy import copy
from pathlib import Path
from typing import Any

from survey.base.missing import is_blank
from survey.base.text import listed
from survey.base.workbook import (
    MARGIN_BOTTOM,
    MARGIN_SIDE,
    MARGIN_TOP,
    XLSX_FONT,
    a4_page_setup,
    save_workbook,
    xlsx_fixed_properties,
    xlsx_value,
)
from survey.reports.model import Column, ReportData, Table, format_value

# numbers keep a little space on their right («_)»: the width of a parenthesis), so that a right-aligned
# number does not run into the left-aligned text of the next column
FORMATS = {
    "int": "0_)",
    "pct": "0.0%_)",
    "p": "[<0.0001]0.00E+00_);0.0000_)",
    "ratio": "0.000_)",
    "num1": "0.0_)",
    "num2": "0.00_)",
    "num3": "0.000_)",
    "km": "#,##0_)",
    "date": "DD.MM.YYYY",
}
COMPOSITE = {"n_pct", "pct_ci", "num_ci", "ratio_ci", "mean_sd"}
NUMERIC = {"int", "pct", "p", "ratio", "num1", "num2", "num3", "km"}
CHART_SHEET = "_диаграмма"
HEAD_FILL = "D9D9D9"
SPAN_FILL = "EDEDED"
NOTICE_FILL = "FCE4E4"
BODY_PT = 11
NOTE_PT = 11  # notes as large as the text: 8 pt and more when printed at the smallest scale
LINE_HEIGHT = 15.0  # points per line of 11-pt text
MAX_ROW_HEIGHT = 409.0  # Excel's largest row height, points (about 27 lines of text)
SHORTENED = " […] (сокращено: ответ полностью — в data/responses.csv)"
# print geometry (inches): the footer sits 0.3″ from the edge inside a 0.8″ bottom margin
PAPER = {"portrait": (8.27, 11.69), "landscape": (11.69, 8.27)}  # A4, inches
# points per unit of column width at 100 %: LibreOffice prints a unit as 7 pt (measured with
# tools/check_print.py), Excel as 7 px at 96 dpi = 5.25 pt. Widths and column breaks use LibreOffice's
# (the wider), page heights Excel's (the larger scale, so fewer rows fit: nothing is split in either).
LO_PT_PER_CHAR = 7.0
XL_PT_PER_CHAR = 5.25
MIN_SCALE = 73  # % — below this, 11-pt text prints under 8 pt: a wider sheet gets column page breaks
VALUE_WORD_MAX = 24.0  # a text column widens to its longest value word, up to this
BOLD = 1.15  # a bold heading character, in width units


class _Styles:
    def __init__(self):
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

        self.normal = Font(name=XLSX_FONT, size=BODY_PT)
        self.bold = Font(name=XLSX_FONT, size=BODY_PT, bold=True)
        self.title = Font(name=XLSX_FONT, size=16, bold=True)
        self.subtitle = Font(name=XLSX_FONT, size=12, bold=True)
        self.small = Font(name=XLSX_FONT, size=NOTE_PT, italic=True, color="404040")
        self.notice = Font(name=XLSX_FONT, size=12, bold=True, color="9C0006")
        self.head_fill = PatternFill("solid", fgColor=HEAD_FILL)
        self.span_fill = PatternFill("solid", fgColor=SPAN_FILL)
        self.notice_fill = PatternFill("solid", fgColor=NOTICE_FILL)
        self.wrap = Alignment(wrap_text=True, vertical="top")
        self.wrap_left = Alignment(wrap_text=True, vertical="top", horizontal="left")
        self.number = Alignment(vertical="top", horizontal="right")
        self.head = Alignment(wrap_text=True, vertical="center", horizontal="center")
        self.head_number = Alignment(wrap_text=True, vertical="center", horizontal="right")
        self.head_left = Alignment(wrap_text=True, vertical="center", horizontal="left")
        self.head_rotated = Alignment(text_rotation=90, vertical="bottom", horizontal="center", wrap_text=True)
        thin = Side(style="thin", color="808080")
        self.under = Border(bottom=thin)
        self.box = Border(left=thin, right=thin, top=thin, bottom=thin)


def write_summary_xlsx(report: ReportData, path: str | Path) -> Path:
    """Write ``summary.xlsx`` for ``report`` to ``path``."""
    from openpyxl import Workbook

    wb = Workbook()
    xlsx_fixed_properties(wb, f"{report.title}. {report.subtitle}")
    wb.properties.subject = f"{report.short_title}: {report.subtitle.lower()}"
    wb.properties.keywords = "; ".join(report.keywords)
    st = _Styles()
    chart_refs = _chart_data(wb, report)

    ws = wb.active
    ws.title = "Сводка"
    _summary_sheet(_Sheet(ws, st, landscape=False), report, chart_refs)

    sheet = _Sheet(wb.create_sheet("Проблемы"), st, landscape=True)
    sheet.widths(report.problems, report.design_ci, report.mentions)
    sheet.table(report.problems, freeze=True)
    if report.design_ci is not None:
        sheet.table(report.design_ci)
    sheet.table(report.mentions)
    sheet.chart(report, chart_refs)
    sheet.finish()

    if report.tests is not None:
        _single(wb, "Критерии", report.tests, st)
    else:
        sheet = _Sheet(wb.create_sheet("Критерии"), st, landscape=True)
        sheet.widths(minimum=[100])
        sheet.text(" ".join(report.switched_off[:1]) or "Критериев нет.", columns=1)
        sheet.finish()
    if report.overall is not None:
        _single(wb, "Общий тест", report.overall, st)

    if report.effects:
        sheet = _Sheet(wb.create_sheet("Эффекты"), st, landscape=True)
        sheet.widths(*report.effects)
        for i, table in enumerate(report.effects):
            sheet.table(table, freeze=i == 0)
        sheet.finish()
    if report.units is not None:
        sheet = _Sheet(wb.create_sheet("Единицы"), st, landscape=True)
        sheet.widths(report.units, report.units_any)
        sheet.table(report.units, freeze=True)
        if report.units_any is not None:
            sheet.table(report.units_any)
        sheet.finish()
    _single(wb, "Вопросы", report.closed, st, freeze_col=3)
    if report.scales is not None:
        _single(wb, "Шкалы", report.scales, st)
    if report.models is not None:
        _single(wb, "Модели", report.models, st, freeze_col=3)
    else:
        sheet = _Sheet(wb.create_sheet("Модели"), st, landscape=False)
        sheet.widths(minimum=[90])
        sheet.text(report.models_text, columns=1)
        sheet.finish()

    _reliability_sheet(_Sheet(wb.create_sheet("Надёжность"), st, landscape=True), report)
    _single(wb, "Кодовая книга", report.codebook, st, freeze_col=3)
    _data_sheet(_Sheet(wb.create_sheet("Данные"), st, landscape=True), report)
    _methodology_sheet(_Sheet(wb.create_sheet("Методика"), st, landscape=True), report)

    wb.move_sheet(CHART_SHEET, offset=len(wb.sheetnames))
    return save_workbook(wb, path)


# ------------------------------------------------------------------ cells and text


def _put(ws, row: int, col: int, value: Any, kind: str = "auto", font=None, alignment=None):
    cell = ws.cell(row=row, column=col)
    if kind in COMPOSITE:
        xlsx_value(cell, format_value(kind, value if isinstance(value, (list, tuple)) else [value]))
    elif is_blank(value):
        xlsx_value(cell, None)
    elif kind == "pct" and not isinstance(value, str):
        xlsx_value(cell, float(value) / 100.0)
        cell.number_format = FORMATS["pct"]
    elif kind in FORMATS and not isinstance(value, str):
        xlsx_value(cell, int(value) if kind == "int" else value)
        cell.number_format = FORMATS[kind]
    elif kind == "auto" and isinstance(value, float) and not value.is_integer():
        xlsx_value(cell, value)
        cell.number_format = "0.00"
    elif kind == "auto" and isinstance(value, bool):
        xlsx_value(cell, "да" if value else "нет")
    else:
        xlsx_value(cell, value)
    if font is not None:
        cell.font = font
    if alignment is not None:
        cell.alignment = alignment
    return cell


ROTATED_PT_PER_CHAR = 7.5  # a bold heading character along a rotated line, as LibreOffice prints it
ROTATED_MAX = 240.0  # the tallest rotated heading row, points


def _rotated_length(heading: str, lines: int = 2) -> float:
    """Points a rotated heading needs along its line so that it wraps, between words, into at most
    ``lines`` lines (capped at :data:`ROTATED_MAX`)."""
    words = heading.split()
    for width in range(max((len(w) for w in words), default=1), len(heading) + 1):
        used, count = 0, 1
        for w in words:
            if used and used + 1 + len(w) > width:
                count, used = count + 1, len(w)
            else:
                used += len(w) + (1 if used else 0)
        if count <= lines:
            return min(ROTATED_MAX, width * ROTATED_PT_PER_CHAR + 8)
    return ROTATED_MAX


def _starts(cols: list[Column]) -> list[int]:
    """The sheet column where each table column starts (a column may span several)."""
    starts, j = [], 1
    for c in cols:
        starts.append(j)
        j += c.span
    return starts


def _value(c: Column, record: dict[str, Any]) -> Any:
    return [record.get(k) for k in c.keys] if c.kind in COMPOSITE else record.get(c.keys[0])


def _lines(text: str, width_chars: float, char: float = 1.0) -> int:
    """Lines ``text`` takes in a wrapped cell ``width_chars`` wide: greedy word wrap, measured on
    LibreOffice's rendering of Calibri (about one character per width unit; ``char``: the width of
    one character, e.g. :data:`BOLD`)."""
    per_line = max(4.0, (width_chars * 1.02 - 1) / char)
    total = 0
    for part in str(text).split("\n"):
        lines, used = 1, 0.0
        for word in part.split():
            n = float(len(word))
            if used and used + 1 + n > per_line:
                lines += 1
                used = 0.0
            while n > per_line:  # a word longer than the line is broken
                lines += 1
                n -= per_line
            used = used + 1 + n if used else n
        total += lines
    return total


def _set_height(ws, row: int, height: float) -> None:
    """Row ``row``'s height, at most Excel's :data:`MAX_ROW_HEIGHT` (a larger one is invalid)."""
    ws.row_dimensions[row].height = min(height, MAX_ROW_HEIGHT)


def _fit_lines(text: str, width_chars: float, most: int, marker: str) -> str:
    """``text`` as it is when it wraps into at most ``most`` lines of a cell ``width_chars`` wide,
    else its longest start cut at a word that fits with ``marker`` after it."""
    if _lines(text, width_chars) <= most:
        return text
    low, high = 0, len(text)  # the longest prefix that fits: binary search
    while low < high:
        mid = (low + high + 1) // 2
        if _lines(text[:mid].rstrip() + marker, width_chars) <= most:
            low = mid
        else:
            high = mid - 1
    head = text[:low]
    if low < len(text) and not text[low].isspace() and " " in head:
        head = head.rsplit(" ", 1)[0]  # a whole word
    return head.rstrip() + marker


def heading_width(column: Column) -> float:
    """The width a column needs so that its heading wraps only between words (bold, with the indent
    of a number column)."""
    if column.rotate:
        return column.width
    longest = max((len(w) for w in column.heading.split()), default=0)
    return max(column.width, longest * BOLD + (2.0 if column.kind in NUMERIC else 1.5))


def value_width(table: Table, column: Column) -> float:
    """A text column's longest value word (up to :data:`VALUE_WORD_MAX`), so that no word is cut."""
    if column.kind != "text" or column.rotate:
        return 0.0
    longest = 0
    for row in table.rows:
        value = row.get(column.keys[0])
        if isinstance(value, str):
            longest = max(longest, max((len(w) for w in value.split()), default=0))
    return min(VALUE_WORD_MAX, longest * 1.05 + 1.5) if longest else 0.0


# ------------------------------------------------------------------ a sheet and its print layout


class _Sheet:
    """One worksheet being written: its column widths, the blocks of rows that should stay on one
    page (tables, text, charts) and, at the end, its print setup and page breaks."""

    def __init__(self, ws, st: _Styles, *, landscape: bool):
        self.ws, self.st, self.landscape = ws, st, landscape
        self.row = 1  # next free row
        self.cols: list[float] = []
        self.blocks: list[tuple[int, int, float]] = []  # first row, last row, points beyond the rows (a chart)
        self.chart_rows: list[int] = []
        self.title_rows: str | None = None
        self.column_blocks: list[int] = []  # sheet columns where a block of columns starts (wide sheets)
        self._widest = 0  # sheet columns of the widest table with column blocks
        self.print_cols: int | None = None  # only the first columns are printed (a print area)
        self.texts: list[tuple[int, int, str, float, float]] = []  # row, columns, text, size, char width

    # -------------------------------------------------------------- widths

    def widths(self, *tables: Table | None, minimum: list[float] | None = None) -> list[float]:
        """Column widths: per sheet column, the widest of the tables written there (each at least as
        wide as the longest word of its heading and, for text, of its values — up to
        :data:`VALUE_WORD_MAX` — so that words are not broken)."""
        from openpyxl.utils import get_column_letter

        widths = list(minimum or [])
        for table in tables:
            if table is None:
                continue
            j = 0
            for c in table.columns:
                need = max(heading_width(c), value_width(table, c)) / c.span
                for k in range(j, j + c.span):
                    if k < len(widths):
                        widths[k] = max(widths[k], need)
                    else:
                        widths.append(need)
                j += c.span
        for table in tables:  # a span's text must fit the columns it covers without breaking a word
            if table is None or not table.spans:
                continue
            starts = [0]
            for c in table.columns:
                starts.append(starts[-1] + c.span)
            j = 0
            for text, span in table.spans:
                first, last = starts[min(j, len(table.columns))], starts[min(j + span, len(table.columns))]
                longest = max((len(w) for w in text.split()), default=0)
                need = longest * BOLD + 1.5
                have = sum(widths[first:last])
                if last > first and have < need:
                    for k in range(first, last):
                        widths[k] += (need - have) / (last - first)
                j += span
        for j, w in enumerate(widths, start=1):
            self.ws.column_dimensions[get_column_letter(j)].width = round(w, 2)
        self.cols = widths
        return widths

    def width_of(self, first: int, count: int) -> float:
        return sum(self.cols[first - 1 : first - 1 + count]) if self.cols else 10.0 * count

    # -------------------------------------------------------------- blocks

    def _height(self, row: int) -> float:
        h = self.ws.row_dimensions[row].height
        return float(h) if h else LINE_HEIGHT

    def _block(self, first: int, last: int, extra: float = 0.0) -> None:
        self.blocks.append((first, last, extra))

    def gap(self, rows: int = 1) -> None:
        for _ in range(rows):
            self.ws.row_dimensions[self.row].height = LINE_HEIGHT
            self.row += 1

    def text(self, text: str, *, columns: int | None = None, font=None, fill=None, border=None) -> int:
        """``text`` wrapped over ``columns`` merged cells, with a row height that shows all of it."""
        ws, st = self.ws, self.st
        columns = columns or max(1, min(len(self.cols), 10))
        row = self.row
        cell = _put(ws, row, 1, text, "text", font or st.normal, st.wrap)
        if fill is not None:
            cell.fill = fill
        if border is not None:
            cell.border = border
        if columns > 1:
            ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=columns)
        size = (font.sz if font is not None and font.sz else BODY_PT) / BODY_PT
        char = BOLD if font is not None and font.b else 1.0
        _set_height(ws, row, self._text_height(text, columns, size, char))
        self.texts.append((row, columns, text, size, char))
        self._block(row, row)
        self.row = row + 1
        return row

    def _text_height(self, text: str, columns: int, size: float, char: float) -> float:
        return max(LINE_HEIGHT, _lines(text, self.width_of(1, columns) / size, char) * LINE_HEIGHT * size + 3)

    def _narrow_texts(self, last_col: int) -> None:
        """On a wide sheet (its first column repeated on every page), merged text rows move to columns
        B…``last_col`` (the first printed page): a text starting in the repeated column would be cut
        on the other pages."""
        ws = self.ws
        for row, columns, text, size, char in self.texts:
            if columns <= 1:
                continue
            source = ws.cell(row=row, column=1)
            ws.unmerge_cells(start_row=row, start_column=1, end_row=row, end_column=columns)
            target = ws.cell(row=row, column=2)
            xlsx_value(target, text)
            target.font, target.alignment, target.fill = copy(source.font), copy(source.alignment), copy(source.fill)
            target.border = copy(source.border)
            xlsx_value(source, None)
            end = max(2, min(columns, last_col))
            if end > 2:
                ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=end)
            height = max(LINE_HEIGHT, _lines(text, self.width_of(2, end - 1) / size, char) * LINE_HEIGHT * size + 3)
            _set_height(ws, row, height)
        self.blocks = [
            (
                first,
                last,
                sum(self._height(r) for r in range(first, last + 1)) + max(0.0, height - self._rows(first, last)),
            )
            for first, last, height in self.blocks
        ]

    def _rows(self, first: int, last: int) -> float:
        return sum(self._height(r) for r in range(first, last + 1))

    def _heading_height(self, cols: list[Column], starts: list[int]) -> float:
        """The height of a table's heading row: its wrapped headings, or its rotated ones."""
        lines = [
            _lines(c.heading, self.width_of(col, c.span) - (1.0 if c.kind in NUMERIC else 0.5), BOLD)
            for c, col in zip(cols, starts)
            if not c.rotate
        ]
        height = max(lines, default=1) * LINE_HEIGHT
        rotated = [c.heading for c in cols if c.rotate]
        if rotated:  # two lines of a rotated heading fit the width of its column: the row is their length
            height = max(height, max(_rotated_length(h) for h in rotated))
        return height + 4

    def _record_height(self, cols: list[Column], starts: list[int], record: dict[str, Any]) -> float:
        """The height that shows every wrapped text of ``record`` whole (may exceed :data:`MAX_ROW_HEIGHT`)."""
        n_lines = 1
        for c, col in zip(cols, starts):
            value = _value(c, record)
            if (c.kind in ("text", "auto") or c.kind in COMPOSITE) and isinstance(value, str) and value:
                n_lines = max(n_lines, _lines(value, self.width_of(col, c.span)))
        return n_lines * LINE_HEIGHT + 2 if n_lines > 1 else LINE_HEIGHT

    def fit_rows(self, table: Table, marker: str, limit: float = MAX_ROW_HEIGHT) -> tuple[Table, list[int]]:
        """``table`` with the texts of every row that would need more than ``limit`` points (at most
        Excel's largest row height) cut at a word to what the row shows, ending with ``marker``; and
        the indices of those rows (widths set). A taller row is invalid, or would not fit a printed
        page, and a cut row would hide the rest of the text unmarked."""
        cols = table.columns
        starts = _starts(cols)
        limit = min(limit, MAX_ROW_HEIGHT)
        most = max(1, int((limit - 2) // LINE_HEIGHT))
        rows, cut = [], []
        for i, record in enumerate(table.rows):
            if self._record_height(cols, starts, record) > limit:
                record = dict(record)
                for c, col in zip(cols, starts):
                    value = _value(c, record)
                    if c.kind in ("text", "auto") and isinstance(value, str):
                        record[c.keys[0]] = _fit_lines(value, self.width_of(col, c.span), most, marker)
                cut.append(i)
            rows.append(record)
        return dataclasses.replace(table, rows=rows), cut

    def table(self, table: Table, *, freeze: bool = False, freeze_col: int = 2, gap: int = 1) -> int:
        """Write ``table`` from the next free row: title, optional span row, headings, rows, note.

        Returns the heading row. Row heights are set from the wrapped text (LibreOffice and Excel do
        not grow rows of a generated file). ``freeze``: freeze the headings and the first
        ``freeze_col - 1`` columns, and put an autofilter on the headings.
        """
        from openpyxl.utils import get_column_letter

        ws, st = self.ws, self.st
        cols = table.columns
        starts = _starts(cols)
        n_sheet = starts[-1] + cols[-1].span - 1 if cols else 0
        start = self.row
        _put(ws, start, 1, table.title, "text", st.subtitle)
        ws.row_dimensions[start].height = 20
        row = start + 1
        if table.spans:
            height = LINE_HEIGHT
            j = 0  # table column where the span starts
            blocks = []
            for text, span in table.spans:
                if j >= len(cols):
                    break
                end = min(j + span, len(cols)) - 1
                first, last = starts[j], starts[end] + cols[end].span - 1
                _put(ws, row, first, text, "text", st.bold, st.head)
                for k in range(first, last + 1):
                    ws.cell(row=row, column=k).fill = st.span_fill
                if last > first:
                    ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)
                if text:
                    height = max(height, _lines(text, self.width_of(first, last - first + 1), BOLD) * LINE_HEIGHT)
                blocks.append(first)
                j += span
            if n_sheet > self._widest:
                self._widest, self.column_blocks = n_sheet, blocks
            _set_height(ws, row, height + 2)
            row += 1
        header = row
        for c, col in zip(cols, starts):
            align = (
                st.head_rotated
                if c.rotate
                else st.head_left
                if c.kind == "text"
                else st.head_number
                if c.kind in NUMERIC
                else st.head
            )
            cell = _put(ws, row, col, c.heading, "text", st.bold, align)
            cell.fill = st.head_fill
            cell.border = st.under
            if c.span > 1:
                ws.merge_cells(start_row=row, start_column=col, end_row=row, end_column=col + c.span - 1)
        _set_height(ws, row, self._heading_height(cols, starts))
        for record in table.rows:
            row += 1
            for c, col in zip(cols, starts):
                value = _value(c, record)
                textual = c.kind in ("text", "auto") or c.kind in COMPOSITE
                align = st.wrap_left if c.kind == "auto" else st.wrap if textual else st.number
                _put(ws, row, col, value, c.kind, st.normal, align)
                if c.span > 1:
                    ws.merge_cells(start_row=row, start_column=col, end_row=row, end_column=col + c.span - 1)
            _set_height(ws, row, self._record_height(cols, starts, record))
        last = row
        if freeze:
            ws.freeze_panes = ws.cell(row=header + 1, column=freeze_col)
            ws.auto_filter.ref = f"A{header}:{get_column_letter(n_sheet)}{max(last, header)}"
        self.row = row + 1
        note_row = None
        if table.note:
            note_row = self.row
            self.text(table.note, columns=max(1, min(n_sheet, len(self.cols))), font=st.small)
            self.blocks.pop()
        self._block(start, note_row or last)
        self.gap(gap)
        return header

    def chart(self, report: ReportData, refs) -> None:
        """The problems chart on a page of its own (a row break before it), no larger than a page."""
        if refs["rows"] == 0 or refs["groups"] == 0:
            return
        # as wide as LibreOffice prints the columns (Excel, whose columns are narrower, fits the page to it)
        width_cm = min(26.0, max(15.0, self._chars() * LO_PT_PER_CHAR * 0.97 / 28.35))
        height_cm = min(4 + 1.4 * refs["rows"], self._page_height() * 0.9 / 28.35)
        _add_chart(self.ws, f"A{self.row}", report, refs, width_cm, height_cm)
        self.chart_rows.append(self.row)
        self._block(self.row, self.row, extra=height_cm * 28.35)
        self.row += int(math.ceil(height_cm * 28.35 / LINE_HEIGHT)) + 1

    # -------------------------------------------------------------- print

    def _chars(self) -> float:
        """Width of the printed columns, width units."""
        cols = self.cols[: self.print_cols] if self.print_cols else self.cols
        return sum(cols) if cols else 80.0

    def _paper(self) -> tuple[float, float]:
        w, h = PAPER["landscape" if self.landscape else "portrait"]
        return (w - 2 * MARGIN_SIDE) * 72, (h - MARGIN_TOP - MARGIN_BOTTOM) * 72

    def wide(self) -> bool:
        """Too wide to be read fitted to the page width (LibreOffice would print below :data:`MIN_SCALE`)."""
        width, _ = self._paper()
        return self._chars() * LO_PT_PER_CHAR * MIN_SCALE / 100 > width

    def scale(self) -> float:
        """The largest print scale of the sheet (Excel's; LibreOffice prints smaller): the fewest rows a page holds."""
        if self.wide():
            return MIN_SCALE / 100
        width, _ = self._paper()
        return min(1.0, width / (self._chars() * XL_PT_PER_CHAR))

    def _page_height(self) -> float:
        """Sheet points that fit on one page (with a safety margin and the repeated heading rows)."""
        _, height = self._paper()
        capacity = height / self.scale() * 0.96
        if self.title_rows:
            first, last = (int(x) for x in self.title_rows.split(":"))
            capacity -= sum(self._height(r) for r in range(first, last + 1))
        return capacity

    def finish(self, *, title_rows: str | None = None, title_cols: bool | None = None) -> None:
        """Print setup: A4, fitted to the width or at :data:`MIN_SCALE` with column breaks; margins
        that leave room for the footer; row breaks that keep blocks (tables, charts) whole."""
        from openpyxl.worksheet.pagebreak import Break

        ws = self.ws
        self.title_rows = title_rows
        a4_page_setup(
            ws,
            landscape=self.landscape,
            title_rows=title_rows,
            footer="&A — стр. &P из &N",
        )
        ws.print_options.gridLines = False
        ws.page_setup.pageOrder = "overThenDown"
        if self.wide():
            ws.sheet_properties.pageSetUpPr.fitToPage = False
            ws.page_setup.scale = MIN_SCALE
            ws.page_setup.fitToWidth = ws.page_setup.fitToHeight = None
            if title_cols is not False:
                ws.print_title_cols = "A:A"
            breaks = self._column_breaks()
            for col in breaks:
                ws.col_breaks.append(Break(id=col, max=1048575))
            if breaks:
                self._narrow_texts(breaks[0])
        capacity = self._page_height()
        used = 0.0
        previous_last = 0
        for first, last, extra in self.blocks:
            gap = sum(self._height(r) for r in range(previous_last + 1, first))
            height = sum(self._height(r) for r in range(first, last + 1)) + extra
            chart = first in self.chart_rows
            room = capacity - used - gap
            # a block starts a new page when it does not fit the rest of this one; a block longer than a page
            # starts a new page only when not even its first rows (title, headings, a few lines) fit
            if used and (chart or (height > room and (height <= capacity or room < 200.0))):
                ws.row_breaks.append(Break(id=first - 1))  # the block starts a page
                used, gap = 0.0, 0.0
            used += gap + height
            if used > capacity:  # a block longer than a page flows on
                used %= capacity
            previous_last = last

    def _column_breaks(self) -> list[int]:
        """Sheet columns after which a new page starts: whole column blocks (the span groups of the
        widest table) where possible, the first column repeated on every page."""
        width, _ = self._paper()
        room = width / (MIN_SCALE / 100) / LO_PT_PER_CHAR - (self.cols[0] if self.cols else 0)
        starts = sorted(set(self.column_blocks) - {1}) or list(range(2, len(self.cols) + 1))
        bounds = [*starts, len(self.cols) + 1]
        breaks: list[int] = []
        used = 0.0
        for a, b in zip([2, *bounds], bounds):
            if b <= a:
                continue
            block = self.width_of(a, b - a)
            if used and used + block > room:
                breaks.append(a - 1)
                used = 0.0
            if block > room:  # a block wider than a page: break inside it, column by column
                for col in range(a, b):
                    w = self.width_of(col, 1)
                    if used and used + w > room:
                        breaks.append(col - 1)
                        used = 0.0
                    used += w
                continue
            used += block
        return breaks


def _single(wb, name: str, table: Table, st: _Styles, *, freeze_col: int = 2) -> None:
    """A sheet holding one table: widths, frozen heading, landscape; heading rows repeated when the
    table is longer than a page."""
    sheet = _Sheet(wb.create_sheet(name), st, landscape=True)
    sheet.widths(table)
    header = sheet.table(table, freeze=True, freeze_col=freeze_col)
    first = header - 1 if table.spans else header
    sheet.finish(title_rows=f"{first}:{header}")


# ------------------------------------------------------------------ sheets


def _summary_sheet(sheet: _Sheet, report: ReportData, chart_refs) -> None:
    st = sheet.st
    figures = dataclasses.replace(
        report.key_figures,
        columns=[dataclasses.replace(c, span=s) for c, s in zip(report.key_figures.columns, (1, 2, 4))],
    )
    sheet.widths(figures, report.key_problems, minimum=[34, 11, 11, 11, 11, 11, 11])
    width = len(sheet.cols)
    sheet.text(report.title, columns=width, font=st.title)
    sheet.text(report.subtitle, columns=width, font=st.subtitle)
    if report.notice:
        sheet.text(f"ВНИМАНИЕ. {report.notice}", columns=width, font=st.notice, fill=st.notice_fill, border=st.box)
    anonymity = (
        "Содержит имена экспертов: только для внутреннего использования."
        if report.with_names
        else "Имена экспертов не приводятся: только их коды."
    )
    sheet.text(f"Отчёт построен {report.run_date} программой {report.software}. {anonymity}", columns=width)
    sheet.gap()
    sheet.table(figures)
    sheet.table(report.key_problems)
    sheet.text("Выводы, полученные из чисел", columns=width, font=st.subtitle)
    for i, text in enumerate(report.findings, start=1):
        sheet.text(f"{i}. {text}", columns=width)
    sheet.gap()
    sheet.chart(report, chart_refs)
    sheet.finish()


def _reliability_sheet(sheet: _Sheet, report: ReportData) -> None:
    sheet.widths(report.agreement, report.classifier, minimum=[34])
    sheet.text("Надёжность кодирования", columns=min(len(sheet.cols), 10), font=sheet.st.title)
    for text in report.reliability_text:
        sheet.text(text, columns=min(len(sheet.cols), 10))
    sheet.gap()
    if report.agreement is not None:
        sheet.table(report.agreement, freeze=False)
        sheet.ws.auto_filter.ref = None
    if report.classifier is not None:
        sheet.table(report.classifier)
    sheet.finish()


def _data_sheet(sheet: _Sheet, report: ReportData) -> None:
    """The answers with their codes. Printed: the expert, the unit and its attributes, the answer and the
    0/1 codes (one page wide); the evidence and the other open answers stay on screen and in the CSV/SAV
    files, as the note at the top of the sheet says."""
    from openpyxl.utils import get_column_letter

    if report.data is None:  # too many respondents to list: the note says where they are
        sheet.widths(minimum=[100])
        sheet.text(report.data_note, columns=1, font=sheet.st.normal)
        sheet.finish()
        return
    sheet.widths(report.data)
    codes = [i for i, c in enumerate(report.data.columns) if c.rotate]
    printed = codes[-1] + 1 if codes else len(report.data.columns)
    sheet.print_cols = printed
    note = report.data_note
    # a row must fit a printed page below the repeated headings (a taller one is cut off on paper), and
    # Excel's rows are at most 409 pt
    _, paper = sheet._paper()
    room = paper / sheet.scale() * 0.96 - sheet._heading_height(report.data.columns, _starts(report.data.columns))
    data, cut = sheet.fit_rows(report.data, SHORTENED, limit=room)
    if cut:  # the rest would be neither shown nor printed
        note += (
            f" Ответы экспертов {listed(str(data.rows[i].get('expert_id')) for i in cut)} длиннее, чем помещается "
            "в строку листа и на печатную страницу: здесь дано их начало с пометкой «сокращено», полностью "
            "они — в data/responses.csv."
        )
    sheet.text(note, columns=min(printed, 8), font=sheet.st.small)
    header = sheet.table(data, freeze=True, freeze_col=2)
    sheet.ws.print_area = f"A1:{get_column_letter(printed)}{sheet.row}"
    sheet.finish(title_rows=f"{header}:{header}")


def _methodology_sheet(sheet: _Sheet, report: ReportData) -> None:
    st = sheet.st
    tables = [t for t in (report.published, report.versions, report.inputs) if t is not None]
    sheet.widths(*tables, minimum=[24, 22, 66, 28])
    ws = sheet.ws
    text_width = sum(sheet.cols[1:4])
    sheet.text("Методика", columns=4, font=st.title)
    for heading, text in report.methodology:
        row = sheet.row
        _put(ws, row, 1, heading, "text", st.bold, st.wrap)
        cell = _put(ws, row, 2, text, "text", st.normal, st.wrap)
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=4)
        _set_height(ws, row, max(_lines(text, text_width), _lines(heading, sheet.cols[0], BOLD)) * LINE_HEIGHT + 3)
        if heading == "Синтетические данные":
            cell.font = st.notice
            cell.fill = st.notice_fill
            ws.cell(row=row, column=1).fill = st.notice_fill
            _set_height(ws, row, _lines(text, text_width / 1.1, 1.1) * LINE_HEIGHT * 1.1 + 3)
        sheet._block(row, row)
        sheet.row += 1
    sheet.gap()
    for table in tables:
        sheet.table(table)
    sheet.finish()


# ------------------------------------------------------------------ charts


def _chart_data(wb, report: ReportData) -> dict[str, Any]:
    """The chart's numbers on a hidden sheet: category, then per group %, minus, plus (fractions).

    Rows are written bottom-up (the last category first) and groups last-first: a bar chart draws
    its first row at the bottom and its first series lowest in a cluster, so the report's first
    category and group come out on top. LibreOffice and Excel then list the legend top-down in
    that same order.
    """
    ws = wb.create_sheet(CHART_SHEET)
    ws.sheet_state = "hidden"
    groups = list(reversed(report.chart_groups))
    categories = list(reversed(range(len(report.chart_categories))))
    _put(ws, 1, 1, "Проблема", "text")
    for j, g in enumerate(groups):
        base = 2 + 3 * j
        _put(ws, 1, base, g.label, "text")
        _put(ws, 1, base + 1, f"{g.label}: до нижней границы", "text")
        _put(ws, 1, base + 2, f"{g.label}: до верхней границы", "text")
    for r, i in enumerate(categories, start=2):
        _put(ws, r, 1, report.chart_categories[i], "text")
        for j, g in enumerate(groups):
            base = 2 + 3 * j
            p, lo, hi = (_fraction(g.percent[i]), _fraction(g.low[i]), _fraction(g.high[i]))
            _put(ws, r, base, p)
            _put(ws, r, base + 1, None if p is None or lo is None else max(0.0, p - lo))
            _put(ws, r, base + 2, None if p is None or hi is None else max(0.0, hi - p))
    return {"sheet": ws, "rows": len(report.chart_categories), "groups": len(groups)}


def _fraction(value) -> float | None:
    return None if is_blank(value) else float(value) / 100.0


# (fill, pattern) per group in report order: the first group hatched, then greys
_GREYS = ["FFFFFF", "808080", "D9D9D9", "FFFFFF", "595959", "BFBFBF", "FFFFFF", "A6A6A6"]
_PATTERNS = ["ltUpDiag", None, None, "smCheck", None, None, "dkDnDiag", None]


def _add_chart(ws, anchor: str, report: ReportData, refs, width_cm: float, height_cm: float) -> None:
    from openpyxl.chart import BarChart, Reference, Series
    from openpyxl.chart.data_source import NumDataSource, NumRef
    from openpyxl.chart.error_bar import ErrorBars
    from openpyxl.chart.legend import Legend
    from openpyxl.chart.shapes import GraphicalProperties
    from openpyxl.drawing.fill import ColorChoice, PatternFillProperties
    from openpyxl.drawing.line import LineProperties
    from openpyxl.utils import get_column_letter, quote_sheetname

    data, n, k = refs["sheet"], refs["rows"], refs["groups"]
    chart = BarChart()
    chart.type = "bar"
    chart.grouping = "clustered"
    chart.gapWidth = 60
    chart.title = "Доля экспертов, назвавших проблему (95 % ДИ)"
    chart.style = 10
    sheet = quote_sheetname(data.title)
    categories = Reference(data, min_col=1, min_row=2, max_row=n + 1)
    for j in range(k):
        group = k - 1 - j  # the data sheet holds the groups last-first
        col = 2 + 3 * j
        series = Series(Reference(data, min_col=col, min_row=1, max_row=n + 1), title_from_data=True)
        gp = GraphicalProperties()
        pattern = _PATTERNS[group % len(_PATTERNS)]
        if pattern:
            gp.pattFill = PatternFillProperties(
                prst=pattern, fgClr=ColorChoice(srgbClr="000000"), bgClr=ColorChoice(srgbClr="FFFFFF")
            )
        else:
            gp.solidFill = _GREYS[group % len(_GREYS)]
        gp.line = LineProperties(solidFill="000000", w=6350)
        series.graphicalProperties = gp
        minus, plus = get_column_letter(col + 1), get_column_letter(col + 2)
        series.errBars = ErrorBars(
            errBarType="both",
            errValType="cust",
            noEndCap=False,
            minus=NumDataSource(numRef=NumRef(f=f"{sheet}!${minus}$2:${minus}${n + 1}")),
            plus=NumDataSource(numRef=NumRef(f=f"{sheet}!${plus}$2:${plus}${n + 1}")),
            spPr=GraphicalProperties(ln=LineProperties(solidFill="000000", w=9525)),
        )
        chart.series.append(series)
    chart.set_categories(categories)
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 1
    chart.y_axis.majorUnit = 0.2
    chart.y_axis.number_format = "0%"
    chart.y_axis.majorGridlines = None
    chart.y_axis.title = "% экспертов группы (отрезки — 95 % ДИ Уилсона)"
    chart.legend = Legend()
    chart.legend.position = "r"
    chart.legend.overlay = False
    chart.legend.txPr = _text_size(1100)
    chart.x_axis.txPr = _text_size(1100)
    chart.y_axis.txPr = _text_size(1100)
    chart.width = width_cm
    chart.height = height_cm
    ws.add_chart(chart, anchor)


def _text_size(size: int, bold: bool = False):
    """Chart text properties: ``size`` in hundredths of a point (11 pt prints at 8 pt on a fitted page)."""
    from openpyxl.chart.text import RichText
    from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties

    props = CharacterProperties(sz=size, b=bold)
    return RichText(p=[Paragraph(pPr=ParagraphProperties(defRPr=props), endParaRPr=props)])
