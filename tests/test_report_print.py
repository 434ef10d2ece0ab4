"""summary.xlsx prints well (no LibreOffice here: the print settings the layout relies on).

Checked by hand with ``tools/check_print.py`` (LibreOffice → PDF → PNG pages): LibreOffice prints a
unit of column width as 7 pt, Excel as 5.25 pt; these tests assert the settings that make both print
readable: A4, margins that leave room for the footer, fitted to the width only where the text stays
at 8 pt or more (else 73 % with column breaks and the first column repeated), heading rows repeated
on long single-table sheets, column widths that hold the longest word of every heading, a row break
before every chart and charts no larger than a page, tables that fit on a page kept on one, numbers
padded from the text beside them, the chart's legend in the order of its bars.
"""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

LO_PT = 7.0  # LibreOffice: points per unit of column width at 100 %
XL_PT = 5.25  # Excel
PRINTABLE = {"portrait": ((8.27 - 1.0) * 72, (11.69 - 1.4) * 72), "landscape": ((11.69 - 1.0) * 72, (8.27 - 1.4) * 72)}
HEAD_FILL = "00D9D9D9"
SPAN_FILL = "00EDEDED"


@pytest.fixture(scope="module")
def book(sample_run):
    return load_workbook(sample_run.out / "summary.xlsx")


def visible(book):
    return [ws for ws in book.worksheets if ws.sheet_state == "visible"]


def widths(ws) -> list[float]:
    from openpyxl.utils import get_column_letter

    last = ws.max_column
    if ws.print_area:
        last = min(last, _print_columns(ws))
    return [ws.column_dimensions[get_column_letter(c)].width or 8.43 for c in range(1, last + 1)]


def _print_columns(ws) -> int:
    from openpyxl.utils import column_index_from_string

    area = ws.print_area if isinstance(ws.print_area, str) else ws.print_area[0]
    last = area.split(":")[-1].replace("$", "").split("!")[-1]
    return column_index_from_string("".join(ch for ch in last if ch.isalpha()))


def test_a4_margins_leave_room_for_the_footer(book):
    for ws in visible(book):
        m = ws.page_margins
        assert ws.page_setup.paperSize == 9, ws.title
        assert m.bottom - m.footer >= 0.4 and m.top - m.header >= 0.25, ws.title  # LibreOffice: footer area
        assert (m.bottom, m.footer, m.top, m.header) == (0.8, 0.3, 0.6, 0.3), ws.title
        assert ws.oddFooter.center.text == "&A — стр. &P из &N", ws.title


def test_fitted_to_the_width_only_where_text_stays_readable(book):
    for ws in visible(book):
        orientation = ws.page_setup.orientation
        printable = PRINTABLE[orientation][0]
        total = sum(widths(ws))
        if ws.sheet_properties.pageSetUpPr.fitToPage:
            assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0), ws.title
            lo_scale = min(1.0, printable / (total * LO_PT))
            assert lo_scale >= 0.73, (ws.title, lo_scale)  # 11-pt text prints at 8 pt or more
        else:  # a wide sheet: 73 %, column breaks, the first column on every page
            assert ws.page_setup.scale == 73 and ws.print_title_cols == "$A:$A", ws.title
            cols = widths(ws)
            edges = [0] + [b.id for b in ws.col_breaks.brk] + [len(cols)]
            for a, b in zip(edges, edges[1:]):
                page = cols[0] + sum(cols[max(a, 1) : b])
                assert page * LO_PT * 0.73 <= printable, (ws.title, a, b)


def test_column_widths_hold_the_longest_word_of_every_heading(book):
    from openpyxl.utils import get_column_letter

    checked = 0
    for ws in visible(book):
        merged = {r.min_row: r for r in ws.merged_cells.ranges}
        for row in ws.iter_rows():
            for cell in row:
                if cell.fill.fgColor.rgb != HEAD_FILL or not isinstance(cell.value, str):
                    continue
                if cell.alignment.textRotation:  # vertical headings of the 0/1 code columns
                    continue
                span = [cell.column]
                for rng in ws.merged_cells.ranges:
                    if rng.min_row == cell.row and rng.min_col == cell.column:
                        span = list(range(rng.min_col, rng.max_col + 1))
                width = sum(ws.column_dimensions[get_column_letter(c)].width for c in span)
                longest = max(len(w) for w in cell.value.split())
                assert width >= longest * 1.15 + 1, (ws.title, cell.coordinate, cell.value, width)
                checked += 1
        del merged
    assert checked > 150


def test_heading_rows_repeated_on_long_single_table_sheets(book):
    for name in ("Критерии", "Вопросы", "Шкалы", "Модели", "Кодовая книга", "Данные", "Общий тест"):
        ws = book[name]
        assert ws.print_title_rows, name
        first = int(ws.print_title_rows.split(":")[-1].replace("$", ""))
        assert ws.cell(row=first, column=1).fill.fgColor.rgb == HEAD_FILL, name  # the heading row itself


def _charts(ws):
    return [(c.anchor._from.row + 1, c) for c in ws._charts]


def _scale(ws) -> float:
    orientation = ws.page_setup.orientation
    if not ws.sheet_properties.pageSetUpPr.fitToPage:
        return ws.page_setup.scale / 100
    return min(1.0, PRINTABLE[orientation][0] / (sum(widths(ws)) * XL_PT))


def test_every_chart_on_a_page_of_its_own_and_no_larger_than_a_page(book):
    for name in ("Сводка", "Проблемы"):
        ws = book[name]
        charts = _charts(ws)
        assert len(charts) == 1, name
        breaks = {b.id for b in ws.row_breaks.brk}
        for row, chart in charts:
            assert row - 1 in breaks, (name, row)
            height_pt = chart.height / 2.54 * 72
            width_pt = chart.width / 2.54 * 72
            _, page = PRINTABLE[ws.page_setup.orientation]
            assert height_pt * _scale(ws) <= page, name
            assert width_pt <= sum(widths(ws)) * LO_PT + 1, name  # within the columns as LibreOffice prints them
            printable, _ = PRINTABLE[ws.page_setup.orientation]
            assert width_pt * 0.73 <= printable, name  # Excel, fitting the page to the chart, stays at 73 % or more


def _tables(ws) -> list[tuple[int, int]]:
    """(title row, last row) of every table: a title in 12-pt bold over a shaded heading (or span) row,
    up to the next empty row."""
    out = []
    for r in range(1, ws.max_row):
        cell = ws.cell(row=r, column=1)
        below = ws.cell(row=r + 1, column=1).fill.fgColor.rgb
        if cell.font.sz == 12 and cell.font.b and below in (HEAD_FILL, SPAN_FILL):
            end = r + 1
            while end < ws.max_row and any(ws.cell(row=end + 1, column=c).value is not None for c in range(1, 4)):
                end += 1
            out.append((r, end))
    return out


def test_tables_that_fit_on_a_page_are_not_split(book):
    checked = 0
    for ws in visible(book):
        if ws.print_title_rows:
            continue
        breaks = sorted(b.id for b in ws.row_breaks.brk)
        _, page = PRINTABLE[ws.page_setup.orientation]
        capacity = page / _scale(ws)
        for first, last in _tables(ws):
            height = sum(ws.row_dimensions[r].height or 15 for r in range(first, last + 1))
            if height > capacity * 0.95:
                continue
            assert not [b for b in breaks if first <= b < last], (ws.title, first, last)
            start = max([0, *[b for b in breaks if b < first]])
            used = sum(ws.row_dimensions[r].height or 15 for r in range(start + 1, last + 1))
            assert used <= capacity, (ws.title, first, last, used, capacity)
            checked += 1
    assert checked >= 12


def test_numbers_are_padded_from_the_text_beside_them(book):
    ws = book["Проблемы"]
    cells = [c for row in ws.iter_rows(min_row=4, max_row=13) for c in row]
    formats = {c.number_format for c in cells if isinstance(c.value, float)}
    assert formats and all(f.endswith("_)") for f in formats)


def test_chart_legend_lists_the_groups_in_the_order_of_the_bars(book, sample_run):
    """Bars are drawn bottom-up, so the data sheet holds the last category first and the groups last-first;
    with the category axis in its natural order both Excel and LibreOffice list the legend top-down in
    the order of the bars (LibreOffice reverses a bar chart's legend; Excel matches it to the bars)."""
    data = book["_диаграмма"]
    report_groups = [g for g in sample_run.analysis.tables.problems_by_group_detail["group_label"].unique()
                     if g != "всего"]  # fmt: skip
    headers = [data.cell(row=1, column=c).value for c in range(2, data.max_column + 1, 3)]
    assert [h.split(" (n = ")[0] for h in headers] == list(reversed(report_groups))
    detail = sample_run.analysis.tables.problems_by_group_detail
    first = detail.query("group == 'total'").sort_values("respondents", ascending=False).iloc[0]["label"]
    assert data.cell(row=data.max_row, column=1).value == first  # the most named problem: top bar, last row
    for ws in (book["Сводка"], book["Проблемы"]):
        ((_, chart),) = _charts(ws)
        assert chart.x_axis.scaling.orientation == "minMax"
        assert chart.legend.position == "r"


def test_data_sheet_prints_the_reading_columns_and_says_where_the_rest_is(book):
    ws = book["Данные"]
    last = _print_columns(ws)
    head = next(r for r in range(1, 10) if ws.cell(row=r, column=1).value == "Код эксперта")
    assert ws.cell(row=head, column=last).alignment.textRotation == 90  # the last 0/1 code column
    assert ws.cell(row=head, column=last + 1).value is not None  # more columns on screen
    assert "data/responses.csv" in ws["A1"].value and "data/responses.sav" in ws["A1"].value
