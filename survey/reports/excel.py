"""The Excel summary (``summary.xlsx``, openpyxl): the run's results for readers, in Russian.

Sheets: «Сводка» (key figures, findings stated from the numbers, a chart), «Проблемы» (the
problems by group with intervals, tests, adjusted p-values, letters; the unit-level check; the
overall test; a chart), «Вопросы» (closed questions), «Модели», «Надёжность» (coding
agreement), «Кодовая книга», «Данные» (anonymised answers with codes and evidence) and
«Методика» (sample, fieldwork, definitions, tests, the synthetic-data notice, software versions,
input hashes). The charts are native Excel bar charts with interval bars (their numbers sit on
the hidden sheet «_диаграмма»); they use grey and hatching, so they print in black and white.

Numbers are stored as numbers with formats (percentages as fractions with ``0.0%``, p-values
``0.0000`` or scientific below 0.0001), headers are frozen and filtered, every sheet prints on
A4 fitted to the page width. Every text goes through :func:`survey.base.files.xlsx_value`, so an
answer like ``=1+2`` stays text and can never become a formula.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from survey.base.missing import is_blank
from survey.base.workbook import XLSX_FONT, a4_page_setup, save_workbook, xlsx_fixed_properties, xlsx_value
from survey.reports.model import ReportData, Table, format_value

FORMATS = {
    "int": "0",
    "pct": "0.0%",
    "p": "[<0.0001]0.00E+00;0.0000",
    "ratio": "0.000",
    "num1": "0.0",
    "num2": "0.00",
    "num3": "0.000",
    "km": "#,##0",
    "date": "DD.MM.YYYY",
}
COMPOSITE = {"n_pct", "pct_ci", "ratio_ci", "mean_sd"}
CHART_SHEET = "_диаграмма"
HEAD_FILL = "D9D9D9"
SPAN_FILL = "EDEDED"
NOTICE_FILL = "FCE4E4"
LINE_HEIGHT = 15.0  # points per line of 11-pt text


class _Styles:
    def __init__(self):
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

        self.normal = Font(name=XLSX_FONT, size=11)
        self.bold = Font(name=XLSX_FONT, size=11, bold=True)
        self.title = Font(name=XLSX_FONT, size=16, bold=True)
        self.subtitle = Font(name=XLSX_FONT, size=12, bold=True)
        self.small = Font(name=XLSX_FONT, size=9, italic=True, color="404040")
        self.notice = Font(name=XLSX_FONT, size=12, bold=True, color="9C0006")
        self.head_fill = PatternFill("solid", fgColor=HEAD_FILL)
        self.span_fill = PatternFill("solid", fgColor=SPAN_FILL)
        self.notice_fill = PatternFill("solid", fgColor=NOTICE_FILL)
        self.wrap = Alignment(wrap_text=True, vertical="top")
        self.wrap_left = Alignment(wrap_text=True, vertical="top", horizontal="left")
        self.top = Alignment(vertical="top")
        self.head = Alignment(wrap_text=True, vertical="center", horizontal="center")
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
    wb.properties.subject = "Экспертный опрос: сводка результатов"
    st = _Styles()
    chart_refs = _chart_data(wb, report)

    ws = wb.active
    ws.title = "Сводка"
    _summary_sheet(ws, report, st, chart_refs)

    ws = wb.create_sheet("Проблемы")
    _widths(ws, report.problems, report.units, report.overall)
    end = _table(ws, report.problems, 1, st, freeze=True)
    row = end + 2
    if report.units is not None:
        row = _table(ws, report.units, row, st) + 2
    row = _table(ws, report.overall, row, st) + 2
    _add_chart(ws, f"A{row}", report, chart_refs)
    _print_setup(ws, landscape=True, title_rows="2:3")

    ws = wb.create_sheet("Вопросы")
    _widths(ws, report.closed, report.scales)
    end = _table(ws, report.closed, 1, st, freeze=True, freeze_col=3)
    _table(ws, report.scales, end + 2, st)
    _print_setup(ws, landscape=True, title_rows="2:2")

    _single_table_sheet(wb, "Модели", report.models, st, freeze_col=3)

    ws = wb.create_sheet("Надёжность")
    _reliability_sheet(ws, report, st)

    _single_table_sheet(wb, "Кодовая книга", report.codebook, st, freeze_col=3)
    _single_table_sheet(wb, "Данные", report.data, st, freeze_col=2)

    ws = wb.create_sheet("Методика")
    _methodology_sheet(ws, report, st)

    wb.move_sheet(CHART_SHEET, offset=len(wb.sheetnames))
    return save_workbook(wb, path)


# ------------------------------------------------------------------ cells and tables


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


def _lines(text: str, width_chars: float) -> int:
    """Lines ``text`` takes in a wrapped cell ``width_chars`` wide: greedy word wrap, measured on
    LibreOffice's rendering of Calibri (about one character per width unit)."""
    per_line = max(6.0, width_chars * 1.02 - 1)
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


def _text_row(ws, row: int, text: str, st: _Styles, *, columns: int, widths: list[float], font=None, fill=None) -> None:
    """``text`` wrapped over ``columns`` merged cells, with a row height that shows all of it."""
    cell = _put(ws, row, 1, text, "text", font or st.normal, st.wrap)
    if fill is not None:
        cell.fill = fill
    if columns > 1:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=columns)
    size = (font.sz if font is not None and font.sz else 11) / 11
    ws.row_dimensions[row].height = max(
        LINE_HEIGHT, _lines(text, sum(widths[:columns]) / size) * LINE_HEIGHT * size + 3
    )


def _widths(ws, *tables: Table | None, minimum: list[float] | None = None) -> list[float]:
    """Set the sheet's column widths: per column, the widest of the tables written there."""
    from openpyxl.utils import get_column_letter

    widths = list(minimum or [])
    for table in tables:
        if table is None:
            continue
        for j, c in enumerate(table.columns):
            if j < len(widths):
                widths[j] = max(widths[j], c.width)
            else:
                widths.append(c.width)
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = w
    return widths


def _single_table_sheet(wb, name: str, table, st, *, freeze_col: int) -> None:
    """A sheet holding one table: widths, frozen heading and first columns, landscape print."""
    ws = wb.create_sheet(name)
    _widths(ws, table)
    _table(ws, table, 1, st, freeze=True, freeze_col=freeze_col)
    _print_setup(ws, landscape=True, title_rows="2:2")


def _table(ws, table: Table, start: int, st: _Styles, *, freeze: bool = False, freeze_col: int = 2) -> int:
    """Write ``table`` from row ``start``: title, optional span row, headings, rows, note.

    Returns the last row written. Column widths come from :func:`_widths`; row heights are set
    from the wrapped text (LibreOffice and Excel do not grow rows of a generated file).
    ``freeze``: freeze the headings and the first ``freeze_col - 1`` columns, and put an
    autofilter on the headings.
    """
    from openpyxl.utils import get_column_letter

    cols = table.columns
    n = len(cols)
    col_widths = [ws.column_dimensions[get_column_letter(j)].width or 10 for j in range(1, n + 1)]
    _put(ws, start, 1, table.title, "text", st.subtitle)
    row = start + 1
    if table.spans:
        j = 1
        for text, span in table.spans:
            _put(ws, row, j, text, "text", st.bold, st.head)
            for k in range(j, j + span):
                ws.cell(row=row, column=k).fill = st.span_fill
            if span > 1:
                ws.merge_cells(start_row=row, start_column=j, end_row=row, end_column=j + span - 1)
            j += span
        ws.row_dimensions[row].height = 2 * LINE_HEIGHT + 2
        row += 1
    header = row
    for j, c in enumerate(cols, start=1):
        align = st.head_rotated if c.rotate else st.head_left if c.kind == "text" else st.head
        cell = _put(ws, row, j, c.heading, "text", st.bold, align)
        cell.fill = st.head_fill
        cell.border = st.under
    height = max(_lines(c.heading, col_widths[j] * 0.9) for j, c in enumerate(cols) if not c.rotate) * LINE_HEIGHT
    rotated = [c.heading for c in cols if c.rotate]
    if rotated:  # a rotated heading wraps at ~ 22 characters (two lines fit in width 6)
        height = max(height, min(170.0, max(min(len(h), 24) for h in rotated) * 6.5))
    ws.row_dimensions[row].height = height + 4
    for record in table.rows:
        row += 1
        lines = 1
        for j, c in enumerate(cols, start=1):
            value = [record.get(k) for k in c.keys] if c.kind in COMPOSITE else record.get(c.keys[0])
            textual = c.kind in ("text", "auto") or c.kind in COMPOSITE
            _put(
                ws,
                row,
                j,
                value,
                c.kind,
                st.normal,
                st.wrap_left if c.kind == "auto" else st.wrap if textual else st.top,
            )
            if textual and isinstance(value, str) and value:
                lines = max(lines, _lines(value, col_widths[j - 1]))
        if lines > 1:
            ws.row_dimensions[row].height = lines * LINE_HEIGHT + 2
    last = row
    if freeze:
        ws.freeze_panes = ws.cell(row=header + 1, column=freeze_col)
        ws.auto_filter.ref = f"A{header}:{get_column_letter(n)}{max(last, header)}"
    if table.note:
        row += 1
        _text_row(ws, row, table.note, st, columns=min(n, 10), widths=col_widths, font=st.small)
    return row


def _print_setup(ws, *, landscape: bool, title_rows: str | None = None) -> None:
    a4_page_setup(ws, landscape=landscape, title_rows=title_rows, footer="&A — стр. &P из &N")
    ws.print_options.gridLines = False


# ------------------------------------------------------------------ sheets


def _summary_sheet(ws, report: ReportData, st: _Styles, chart_refs) -> None:
    from openpyxl.worksheet.pagebreak import Break

    widths = _widths(ws, report.key_figures)
    _text_row(ws, 1, report.title, st, columns=3, widths=widths, font=st.title)
    _put(ws, 2, 1, report.subtitle, "text", st.subtitle)
    row = 3
    if report.notice:
        _text_row(
            ws,
            row,
            f"ВНИМАНИЕ. {report.notice}",
            st,
            columns=3,
            widths=widths,
            font=st.notice,
            fill=st.notice_fill,
        )
        ws.cell(row=row, column=1).border = st.box
        row += 1
    anonymity = (
        "Содержит имена экспертов: только для внутреннего использования."
        if report.with_names
        else "Имена экспертов не приводятся: только их коды."
    )
    _text_row(
        ws,
        row,
        f"Отчёт построен {report.run_date} программой {report.software}. {anonymity}",
        st,
        columns=3,
        widths=widths,
    )
    row = _table(ws, report.key_figures, row + 2, st) + 2
    _put(ws, row, 1, "Выводы, полученные из чисел", "text", st.subtitle)
    for i, text in enumerate(report.findings, start=1):
        row += 1
        _text_row(ws, row, f"{i}. {text}", st, columns=3, widths=widths)
    row += 2
    ws.row_breaks.append(Break(id=row - 1))  # the chart prints on a page of its own
    _add_chart(ws, f"A{row}", report, chart_refs)
    _print_setup(ws, landscape=False)


def _reliability_sheet(ws, report: ReportData, st: _Styles) -> None:
    from openpyxl.utils import get_column_letter

    widths = _widths(ws, report.agreement, report.classifier, minimum=[34])
    _put(ws, 1, 1, "Надёжность кодирования", "text", st.title)
    row = 1
    for text in report.reliability_text:
        row += 1
        _text_row(ws, row, text, st, columns=min(len(widths), 10), widths=widths)
    row += 2
    if report.agreement is not None:
        start = row
        row = _table(ws, report.agreement, row, st)
        last = start + 1 + len(report.agreement.rows)
        ws.auto_filter.ref = f"A{start + 1}:{get_column_letter(len(report.agreement.columns))}{last}"
        row += 2
    if report.classifier is not None:
        _table(ws, report.classifier, row, st)
    _print_setup(ws, landscape=True)


def _methodology_sheet(ws, report: ReportData, st: _Styles) -> None:
    widths = _widths(ws, report.published, report.versions, report.inputs, minimum=[30, 20, 20, 14])
    text_width = sum(widths[1:4])
    _put(ws, 1, 1, "Методика", "text", st.title)
    row = 2
    for heading, text in report.methodology:
        row += 1
        _put(ws, row, 1, heading, "text", st.bold, st.wrap)
        cell = _put(ws, row, 2, text, "text", st.normal, st.wrap)
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=4)
        ws.row_dimensions[row].height = _lines(text, text_width) * LINE_HEIGHT + 3
        if heading == "Синтетические данные":
            cell.font = st.notice
            cell.fill = st.notice_fill
            ws.cell(row=row, column=1).fill = st.notice_fill
    for table in (report.published, report.versions, report.inputs):
        row = _table(ws, table, row + 2, st)
    _print_setup(ws, landscape=False)


# ------------------------------------------------------------------ charts


def _chart_data(wb, report: ReportData) -> dict[str, Any]:
    """The chart's numbers on a hidden sheet: category, then per group %, minus, plus (fractions)."""
    ws = wb.create_sheet(CHART_SHEET)
    ws.sheet_state = "hidden"
    _put(ws, 1, 1, "Проблема", "text")
    for j, g in enumerate(report.chart_groups):
        base = 2 + 3 * j
        _put(ws, 1, base, g.label, "text")
        _put(ws, 1, base + 1, f"{g.label}: до нижней границы", "text")
        _put(ws, 1, base + 2, f"{g.label}: до верхней границы", "text")
    for i, label in enumerate(report.chart_categories):
        r = i + 2
        _put(ws, r, 1, label, "text")
        for j, g in enumerate(report.chart_groups):
            base = 2 + 3 * j
            p, lo, hi = (_fraction(g.percent[i]), _fraction(g.low[i]), _fraction(g.high[i]))
            _put(ws, r, base, p)
            _put(ws, r, base + 1, None if p is None or lo is None else max(0.0, p - lo))
            _put(ws, r, base + 2, None if p is None or hi is None else max(0.0, hi - p))
    return {"sheet": ws, "rows": len(report.chart_categories), "groups": len(report.chart_groups)}


def _fraction(value) -> float | None:
    return None if is_blank(value) else float(value) / 100.0


def _add_chart(ws, anchor: str, report: ReportData, refs) -> None:
    from openpyxl.chart import BarChart, Reference, Series
    from openpyxl.chart.data_source import NumDataSource, NumRef
    from openpyxl.chart.error_bar import ErrorBars
    from openpyxl.chart.shapes import GraphicalProperties
    from openpyxl.drawing.fill import ColorChoice, PatternFillProperties
    from openpyxl.drawing.line import LineProperties
    from openpyxl.utils import quote_sheetname

    data, n = refs["sheet"], refs["rows"]
    if n == 0 or refs["groups"] == 0:
        return
    chart = BarChart()
    chart.type = "bar"
    chart.grouping = "clustered"
    chart.gapWidth = 60
    chart.title = "Доля экспертов, назвавших проблему (95 % ДИ)"
    chart.style = 10
    sheet = quote_sheetname(data.title)
    categories = Reference(data, min_col=1, min_row=2, max_row=n + 1)
    greys = ["FFFFFF", "808080", "D9D9D9", "FFFFFF", "595959", "BFBFBF"]
    patterns = ["ltUpDiag", None, None, "smCheck", None, "dkDnDiag"]
    for j in range(refs["groups"]):
        col = 2 + 3 * j
        series = Series(Reference(data, min_col=col, min_row=1, max_row=n + 1), title_from_data=True)
        gp = GraphicalProperties()
        pattern = patterns[j % len(patterns)]
        if pattern:
            gp.pattFill = PatternFillProperties(
                prst=pattern, fgClr=ColorChoice(srgbClr="000000"), bgClr=ColorChoice(srgbClr="FFFFFF")
            )
        else:
            gp.solidFill = greys[j % len(greys)]
        gp.line = LineProperties(solidFill="000000", w=6350)
        series.graphicalProperties = gp
        letter_minus = _col_letter(col + 1)
        letter_plus = _col_letter(col + 2)
        series.errBars = ErrorBars(
            errBarType="both",
            errValType="cust",
            noEndCap=False,
            minus=NumDataSource(numRef=NumRef(f=f"{sheet}!${letter_minus}$2:${letter_minus}${n + 1}")),
            plus=NumDataSource(numRef=NumRef(f=f"{sheet}!${letter_plus}$2:${letter_plus}${n + 1}")),
            spPr=GraphicalProperties(ln=LineProperties(solidFill="000000", w=9525)),
        )
        chart.series.append(series)
    chart.set_categories(categories)
    chart.x_axis.scaling.orientation = "maxMin"  # first category on top
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 1
    chart.y_axis.majorUnit = 0.2
    chart.y_axis.number_format = "0%"
    chart.y_axis.crosses = "max"  # value axis at the bottom despite maxMin
    chart.y_axis.majorGridlines = None
    chart.y_axis.title = "% экспертов группы (отрезки — 95 % ДИ Уилсона)"
    chart.legend.position = "b"
    chart.width = 24
    chart.height = 4 + 1.1 * n
    ws.add_chart(chart, anchor)


def _col_letter(j: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(j)
