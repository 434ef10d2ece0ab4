"""openpyxl helpers every workbook writer shares: safe cell values, fixed metadata, A4 print
setup and atomic saving.

openpyxl is imported here at module level: only writers of workbooks import this module.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.worksheet.worksheet import Worksheet

from survey.base.files import FORMULA_START, atomic_path
from survey.base.missing import is_missing
from survey.errors import OutputError

XLSX_FONT = "Calibri"  # named, so LibreOffice does not substitute a serif font


def cell_value(value: Any) -> tuple[Any, bool]:
    """What a workbook cell holds for ``value``, and whether it needs Excel's quote prefix:
    None for a missing value; text with the characters XML forbids replaced (quoted when a
    spreadsheet would read it as a formula); a numpy scalar as its Python number."""
    if is_missing(value):
        return None, False
    if isinstance(value, str):
        text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
        return text, text.startswith(FORMULA_START)
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    return value, False


def xlsx_value(cell, value: Any) -> None:
    """Write ``value`` into an openpyxl cell; text can never become a formula.

    Strings are stored as strings (``data_type="s"``); those a spreadsheet would read as
    a formula also get Excel's quote prefix, so they display as typed and stay inert.
    """
    value, quote = cell_value(value)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        if quote:
            cell.quotePrefix = True


def xlsx_fixed_properties(wb, title: str) -> None:
    """Stable workbook metadata (no run time inside the file)."""
    wb.properties.creator = "survey"
    wb.properties.title = title
    fixed = dt.datetime(2000, 1, 1)
    wb.properties.created = fixed
    wb.properties.modified = fixed


def save_workbook(wb: Workbook, path: str | Path) -> Path:
    """Save an openpyxl workbook atomically (see :func:`survey.base.files.atomic_path`)."""
    path = Path(path)
    with atomic_path(path) as tmp:
        try:
            wb.save(tmp)
        except OSError as exc:
            raise OutputError(f"{path}: не удаётся записать книгу Excel ({exc.strerror}).") from None
    return path


# Print margins (inches). The footer sits 0.3″ from the paper's edge inside a 0.8″ bottom margin,
# so LibreOffice's footer area (bottom margin − footer margin = 0.5″) holds its line (with a 0.6″
# bottom and 0.5″ footer margin it clipped the footer); the header likewise.
MARGIN_SIDE, MARGIN_TOP, MARGIN_BOTTOM, MARGIN_HEADER, MARGIN_FOOTER = 0.5, 0.6, 0.8, 0.3, 0.3


def a4_page_setup(
    ws: Worksheet,
    *,
    landscape: bool = False,
    title_rows: str | None = None,
    footer: str | None = None,
    side: float = MARGIN_SIDE,
) -> None:
    """Print ``ws`` on A4, one page wide (as many pages tall as needed), with ``side`` margins
    (inches), top and bottom margins that leave room for the header and footer, repeated
    ``title_rows`` («1:2») and a centred ``footer``."""
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = side
    ws.page_margins.top, ws.page_margins.bottom = MARGIN_TOP, MARGIN_BOTTOM
    ws.page_margins.header, ws.page_margins.footer = MARGIN_HEADER, MARGIN_FOOTER
    if title_rows:
        ws.print_title_rows = title_rows
    if footer:
        ws.oddFooter.center.text = footer
