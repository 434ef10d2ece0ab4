"""Big sheets written as a stream (xlsxwriter, constant memory): the coding sheet of a mass
survey has hundreds of thousands of cells, which openpyxl styles one object at a time.

The same guarantees as :mod:`survey.base.workbook`: text can never become a formula (written as
a string, with Excel's quote prefix where a spreadsheet would read a formula), characters XML
forbids are replaced, the metadata carry no run time, A4 print setup with the shared margins,
and the file appears atomically.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import xlsxwriter

from survey.base.files import atomic_path
from survey.base.workbook import (
    MARGIN_BOTTOM,
    MARGIN_FOOTER,
    MARGIN_HEADER,
    MARGIN_SIDE,
    MARGIN_TOP,
    XLSX_FONT,
    cell_value,
)
from survey.errors import OutputError

A4 = 9  # xlsxwriter's paper code


class Formats:
    """xlsxwriter formats by their properties, created once each (``font_name`` is the shared
    font unless given)."""

    def __init__(self, book: xlsxwriter.Workbook) -> None:
        self.book = book
        self._made: dict[tuple, Any] = {}

    def get(self, **props: Any):
        props.setdefault("font_name", XLSX_FONT)
        key = tuple(sorted(props.items()))
        if key not in self._made:
            self._made[key] = self.book.add_format(props)
        return self._made[key]


def write_value(ws, formats: Formats, row: int, col: int, value: Any, **props: Any) -> None:
    """Write ``value`` at (``row``, ``col``), 0-based, with the format of ``props``: strings
    as strings (inert), numbers as numbers, missing values and empty strings as styled blanks."""
    value, quote = cell_value(value)
    if value is None or value == "":
        ws.write_blank(row, col, None, formats.get(**props))
    elif isinstance(value, str):
        ws.write_string(row, col, value, formats.get(**props, **({"quote_prefix": True} if quote else {})))
    else:
        ws.write_number(row, col, value, formats.get(**props))


LINE_HEIGHT = 15.0  # points per line of 11-point text
MAX_ROW_HEIGHT = 409.0  # Excel's limit


def wrapped_height(cells: list[tuple[object, float]], *, min_lines: int = 1) -> float:
    r"""Row height (points) that shows every ``(value, column width)`` wrapped in full.

    Neither xlsxwriter nor LibreOffice fits rows to wrapped text when a file is written or
    opened, so the height is estimated: a column ``width`` characters wide holds about that
    many characters per line, words are not split, and line breaks count.

    >>> wrapped_height([("Нет переводчиков", 20), (3, 5)]), wrapped_height([("Нет переводчиков", 14)])
    (15.0, 30.0)
    >>> wrapped_height([("1) визы\n2) деньги", 40)])
    30.0
    """
    lines = min_lines
    for value, width in cells:
        if not isinstance(value, str) or not value:
            continue
        per_line = max(int(width) - 1, 1)
        n = 0
        for paragraph in value.split("\n"):
            used, count = 0, 1
            for word in paragraph.split():
                need = len(word) if used == 0 else used + 1 + len(word)
                if need > per_line and used:
                    count, used = count + 1, len(word)
                else:
                    used = need
                count += max(len(word) - 1, 0) // per_line  # a word longer than the column
            n += count
        lines = max(lines, n)
    return min(lines * LINE_HEIGHT, MAX_ROW_HEIGHT)


def heading_width(label: str, width: float) -> float:
    """A column at least as wide as the longest word of its heading (+1), so headings wrap
    between words, never inside one («Ментали|тет»)."""
    return max(width, max((len(w) for w in label.split()), default=0) + 1.5)


def a4_setup(
    ws,
    *,
    landscape: bool = False,
    title_rows: tuple[int, int] | None = None,
    side: float = MARGIN_SIDE,
    pages_wide: int = 1,
    title_columns: tuple[int, int] | None = None,
) -> None:
    """A4, ``pages_wide`` pages wide (as many tall as needed), the shared margins,
    ``title_rows`` and ``title_columns`` (0-based first, last) repeated on every page."""
    ws.set_paper(A4)
    if landscape:
        ws.set_landscape()
    ws.fit_to_pages(pages_wide, 0)
    if title_columns:
        ws.repeat_columns(*title_columns)
    ws.set_margins(left=side, right=side, top=MARGIN_TOP, bottom=MARGIN_BOTTOM)
    ws.set_header("", {"margin": MARGIN_HEADER})
    ws.set_footer("", {"margin": MARGIN_FOOTER})
    if title_rows:
        ws.repeat_rows(*title_rows)


@contextmanager
def streamed_book(path: str | Path, title: str) -> Iterator[xlsxwriter.Workbook]:
    """An xlsxwriter workbook in constant-memory mode (rows written in order), saved atomically
    to ``path`` when the block ends, with fixed metadata."""
    path = Path(path)
    with atomic_path(path) as tmp:
        book = xlsxwriter.Workbook(str(tmp), {"constant_memory": True, "strings_to_formulas": False})
        book.set_properties({"title": title, "author": "survey", "created": dt.datetime(2000, 1, 1)})
        yield book
        try:
            book.close()
        except OSError as exc:
            raise OutputError(f"{path}: не удаётся записать книгу Excel ({exc.strerror}).") from None
