"""The PDF summary (``summary.pdf``): A4, Russian, fonts embedded, text extractable.

:func:`write_summary_pdf` lays out a :class:`~survey.reports.build.ReportData` with fpdf2: a
title page with the synthetic-data notice (when the data are synthetic) and the contents, key
findings, the chart of problems by group with interval bars (:mod:`survey.reports.charts`), the tables,
coding reliability, the methodology and the codebook as an appendix. Every page after the title
carries a running header («СИНТЕТИЧЕСКИЕ ДАННЫЕ» on each page when they are) and «стр. N из M».

The font is DejaVu Sans from matplotlib's data folder (it has Cyrillic), embedded as a subset,
so no system font is needed and ``pdftotext`` extracts the Russian text. The document outline
(bookmarks) follows the sections; the metadata hold the title and the program, never a person's
name.

Text and tables are set by a small line-breaker of this module (word widths cached, lines
drawn with ``FPDF.text``): fpdf2's own ``multi_cell``/``table`` measure every line character
by character and took most of the report's time. Tables repeat their headings on every page,
size their columns to the longest word of each column, and keep a row on one page.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from survey.reports.charts import problems_chart_image
from survey.reports.model import ReportData, Table, table_rows_text

FONT = "DejaVu"
MARGIN = 16.0
TOP = 17.0
BOTTOM = 15.0
BODY = 9.5
SMALL = 7.5
TABLE_FONT = 7.5
MIN_TABLE_FONT = 5.0  # a wide table (many groups) shrinks to this before its numbers would wrap
PT = 0.3528  # mm per point
HEAD_FILL = 225
ROW_FILL = 244
NUMERIC = {"int", "pct", "p", "ratio", "num1", "num2", "num3", "km", "n_pct", "pct_ci", "num_ci", "ratio_ci", "mean_sd"}
PAD = 1.0  # horizontal cell padding, mm


def font_paths() -> dict[str, Path]:
    """DejaVu Sans regular and bold, shipped with matplotlib (no system font needed)."""
    import matplotlib

    folder = Path(matplotlib.get_data_path(), "fonts", "ttf")
    return {"": folder / "DejaVuSans.ttf", "B": folder / "DejaVuSans-Bold.ttf"}


def prepare() -> None:
    """Import matplotlib and fpdf2 ahead of time (``survey run`` does it while the
    background process computes the analysis, so the PDF itself is written faster)."""
    import fpdf  # noqa: F401
    import matplotlib.backends.backend_agg
    import matplotlib.figure  # noqa: F401


def write_summary_pdf(report: ReportData, path: str | Path) -> Path:
    """Write ``summary.pdf`` for ``report`` to ``path``."""
    path = Path(path)
    doc = _Document(report)
    doc.title_page()

    doc.section("1. Основные результаты")
    doc.table(report.key_figures)
    doc.table(report.key_problems)
    doc.heading("Выводы, полученные из чисел")
    for i, text in enumerate(report.findings, start=1):
        doc.paragraph(text, bullet=f"{i}.")

    doc.section("2. Проблемы по группам", new_page=True)
    for text in report.switched_off[:1] if report.tests is None else ():
        doc.paragraph(text)
    doc.image(problems_chart_image(report), report.chart_title, caption=True)
    doc.table(report.problems_compact)
    for table in (report.tests_compact, report.units_compact):
        if table is not None:
            doc.table(table)
    if report.overall is not None:
        doc.table(
            report.overall,
            columns=["test", "statistic", "df", "p_value", "n_clusters", "items_tested", "n_permutations"],
        )

    doc.section("3. Закрытые вопросы", new_page=True)
    doc.table(report.closed_compact)
    if report.scales is not None:
        doc.table(report.scales)

    doc.section("4. Логистические модели", new_page=True)
    if report.models_compact is not None:
        doc.table(report.models_compact)
    else:
        doc.paragraph(report.models_text)

    doc.section("5. Надёжность кодирования", new_page=True)
    for text in report.reliability_text:
        doc.paragraph(text)
    if report.agreement_compact is not None:
        doc.table(report.agreement_compact)
    if report.classifier is not None:
        doc.table(report.classifier)

    doc.section("6. Методика", new_page=True)
    for heading, text in report.methodology:
        doc.paragraph(heading, bold=True, space=0.8, keep=12)
        doc.paragraph(text)
    if report.published is not None:
        doc.table(report.published)
    doc.table(report.versions)
    doc.table(report.inputs, font_size=6.5)

    doc.section("Приложение. Кодовая книга", new_page=True)
    doc.table(report.codebook)
    return doc.save(path)


# ------------------------------------------------------------------ document


def _creation_date(report: ReportData) -> dt.datetime:
    try:
        day = dt.datetime.strptime(report.run_date, "%d.%m.%Y")
    except ValueError:
        day = dt.datetime(2000, 1, 1)
    return day.replace(tzinfo=dt.UTC)


class _Document:
    """An fpdf2 document with the report's header, footer, fonts and a fast text layout."""

    def __init__(self, report: ReportData):
        from fpdf import FPDF

        self.report = report

        class SummaryPDF(FPDF):
            def header(inner) -> None:
                if inner.page_no() > 1:
                    self._running_header()

            def footer(inner) -> None:
                inner.set_y(-10)
                inner.set_font(FONT, "", 7.5)
                inner.set_text_color(90)
                inner.cell(0, 4, f"стр. {inner.page_no()} из {{nb}}", align="C")
                inner.set_text_color(0)

        pdf = SummaryPDF(orientation="portrait", unit="mm", format="A4")
        for style, font in font_paths().items():
            pdf.add_font(FONT, style, str(font))
        pdf.set_margins(MARGIN, TOP, MARGIN)
        pdf.set_auto_page_break(True, margin=BOTTOM)
        pdf.set_title(f"{report.title}. {report.subtitle}")
        pdf.set_subject(f"{report.short_title}: результаты, критерии, методика")
        pdf.set_keywords("; ".join(report.keywords))
        pdf.set_creator(report.software)
        pdf.set_lang("ru")
        pdf.set_creation_date(_creation_date(report))
        pdf.alias_nb_pages()
        self.pdf = pdf
        self._widths: dict[tuple[str, float, str], float] = {}
        self._font: tuple[str, float] | None = None

    # -------------------------------------------------------------- low level

    def font(self, style: str, size: float) -> None:
        if self._font != (style, size):
            self.pdf.set_font(FONT, style, size)
            self._font = (style, size)

    def width(self, text: str) -> float:
        """Width of ``text`` in the current font, mm (cached)."""
        key = (*(self._font or ("", 0.0)), text)
        w = self._widths.get(key)
        if w is None:
            w = self.pdf.get_string_width(text)
            self._widths[key] = w
        return w

    def wrap(self, text: str, width: float) -> list[tuple[str, float]]:
        """Lines of ``text`` (and their widths) no wider than ``width``, breaking at spaces."""
        lines: list[tuple[str, float]] = []
        space = self.width(" ")
        text = str(text).replace(" %", "\u00a0%")  # a percent sign never starts a line
        for para in text.split("\n"):
            words = para.split(" ")
            line, line_w = "", 0.0
            for word in words:
                w = self.width(word)
                if line and line_w + space + w > width:
                    lines.append((line, line_w))
                    line, line_w = "", 0.0
                while w > width and len(word) > 1:  # a word wider than the column
                    cut = len(word) - 1
                    while cut > 1 and self.width(word[:cut]) > width:
                        cut -= 1
                    if line:
                        lines.append((line, line_w))
                        line, line_w = "", 0.0
                    lines.append((word[:cut], self.width(word[:cut])))
                    word = word[cut:]
                    w = self.width(word)
                if line:
                    line, line_w = f"{line} {word}", line_w + space + w
                else:
                    line, line_w = word, w
            lines.append((line, line_w))
        return lines

    def ensure(self, height: float) -> None:
        """Start a new page unless ``height`` mm fit on this one."""
        if self.pdf.get_y() + height > self.pdf.page_break_trigger:
            self.add_page()

    def add_page(self) -> None:
        self.pdf.add_page()
        self._font = None
        self.pdf.set_y(TOP + 3)

    def draw_lines(self, lines, x: float, y: float, width: float, line_h: float, size: float, align: str = "L") -> None:
        baseline = y + line_h / 2 + size * PT * 0.35
        for text, w in lines:
            if text:
                dx = width - w if align == "R" else 0.0
                self.pdf.text(x + dx, baseline, text)
            baseline += line_h

    # -------------------------------------------------------------- blocks

    def _running_header(self) -> None:
        pdf, report = self.pdf, self.report
        pdf.set_font(FONT, "", 7)
        pdf.set_text_color(90)
        pdf.text(MARGIN, 10, report.title)
        if report.synthetic:
            pdf.set_font(FONT, "B", 7)
            pdf.set_text_color(0)
            label = "СИНТЕТИЧЕСКИЕ ДАННЫЕ"
            pdf.text(pdf.w - MARGIN - pdf.get_string_width(label), 10, label)
        pdf.set_draw_color(150)
        pdf.set_line_width(0.2)
        pdf.line(MARGIN, 11.8, pdf.w - MARGIN, 11.8)
        pdf.set_text_color(0)
        self._font = None

    def title_page(self) -> None:
        pdf, report = self.pdf, self.report
        self.add_page()
        pdf.set_y(38)
        self.paragraph(report.title, bold=True, size=20, space=3, line=9)
        self.paragraph(report.subtitle, size=14, space=8)
        if report.notice:
            self.font("B", 11)
            inner = pdf.epw - 8
            lines = self.wrap(f"ВНИМАНИЕ. {report.notice}", inner)
            h = len(lines) * 6 + 6
            y = pdf.get_y()
            pdf.set_fill_color(235)
            pdf.set_draw_color(0)
            pdf.set_line_width(0.6)
            pdf.rect(MARGIN, y, pdf.epw, h, style="DF")
            pdf.set_line_width(0.2)
            self.draw_lines(lines, MARGIN + 4, y + 3, inner, 6, 11)
            pdf.set_y(y + h + 7)
        for row in list(table_rows_text(report.key_figures))[:2] + [
            r for r in table_rows_text(report.key_figures) if r[0] == "Период опроса"
        ]:
            if row[0]:
                self.paragraph(f"{row[0]}: {row[1]}", size=10, space=0.8)
        self.paragraph(f"Отчёт построен {report.run_date} программой {report.software}.", size=10, space=0.8)
        self.paragraph(
            "Содержит имена экспертов: только для внутреннего использования."
            if report.with_names
            else "Имена экспертов в отчёте не приводятся.",
            size=10,
            space=8,
        )
        pdf.insert_toc_placeholder(self._contents, pages=1)
        self._font = None

    def _contents(self, pdf, outline) -> None:
        self._font = None
        pdf.set_x(MARGIN)
        pdf.set_font(FONT, "B", 12)
        pdf.cell(0, 7, "Содержание", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
        pdf.set_font(FONT, "", 10)
        for section in outline:
            if section.level:
                continue
            link = pdf.add_link(page=section.page_number)
            pdf.cell(pdf.epw - 20, 6, section.name, link=link)
            pdf.cell(20, 6, str(section.page_number), align="R", link=link, new_x="LMARGIN", new_y="NEXT")
        self._font = None

    def section(self, title: str, *, new_page: bool = False) -> None:
        if new_page or self.pdf.page_no() == 1:
            self.add_page()
        else:
            self.ensure(30)
        self.pdf.start_section(title)
        self.paragraph(title, bold=True, size=14, space=2.5)

    def heading(self, text: str) -> None:
        self.ensure(25)
        self.pdf.ln(2)
        self.paragraph(text, bold=True, size=11, space=1.5)

    def paragraph(
        self,
        text: str,
        *,
        bold: bool = False,
        bullet: str | None = None,
        space: float = 2.5,
        size: float = BODY,
        line: float | None = None,
        keep: float = 0.0,
    ) -> None:
        """Left-aligned text; lines flow onto the next page when needed."""
        pdf = self.pdf
        self.font("B" if bold else "", size)
        line_h = line or size * PT * 1.45
        indent = 7.0 if bullet else 0.0
        lines = self.wrap(text, pdf.epw - indent)
        self.ensure(max(keep, line_h * min(2, len(lines))))
        if bullet:
            self.draw_lines([(bullet, 0.0)], MARGIN, pdf.get_y(), indent, line_h, size)
        for ln in lines:
            self.ensure(line_h)
            self.font("B" if bold else "", size)
            y = pdf.get_y()
            self.draw_lines([ln], MARGIN + indent, y, pdf.epw - indent, line_h, size)
            pdf.set_y(y + line_h)
        pdf.set_y(pdf.get_y() + space)

    def image(self, image, title: str, *, caption: bool = False) -> None:
        """The image at the text width, or smaller (centred) when it is taller than a page;
        ``caption``: ``title`` above it in bold, kept on the same page."""
        pdf = self.pdf
        self.font("B", BODY)
        caption_h = len(self.wrap(title, pdf.epw)) * BODY * PT * 1.45 + 1.5 if caption else 0.0
        width = pdf.epw
        height = width * image.height / image.width
        here = pdf.page_break_trigger - pdf.get_y() - caption_h - 2
        page = pdf.page_break_trigger - (TOP + 3) - caption_h - 2
        if height > here and here >= 0.75 * min(height, page):
            height = here  # a little smaller, on this page
        elif height > here:
            self.add_page()
            height = min(height, page)
        width = height * image.width / image.height
        if caption:
            self.paragraph(title, bold=True, space=1.5)
        pdf.image(image, x=MARGIN + (pdf.epw - width) / 2, y=pdf.get_y(), w=width, h=height, alt_text=title)
        pdf.set_y(pdf.get_y() + height + 3)

    def table(self, table: Table, *, columns: list[str] | None = None, font_size: float = TABLE_FONT) -> None:
        """A table: title, headings repeated on each page, zebra rows, numbers right-aligned, note."""
        pdf = self.pdf
        cols = table.columns if columns is None else [c for c in table.columns if c.keys[0] in columns]
        index = [table.columns.index(c) for c in cols]
        texts = [[row[i] for i in index] for row in table_rows_text(table)]
        headings = [c.heading for c in cols]
        aligns = ["R" if c.kind in NUMERIC else "L" for c in cols]
        # many columns (13 groups): a smaller font before a number or a word is broken across lines
        while font_size > MIN_TABLE_FONT and sum(self._measure(cols, headings, texts, font_size)[0]) > self.pdf.epw:
            font_size -= 0.25
        widths = self._column_widths(cols, headings, texts, font_size)
        total = sum(widths)
        line_h = font_size * PT * 1.35

        def row_lines(cells, style):
            self.font(style, font_size)
            return [self.wrap(text, w - 2 * PAD) for text, w in zip(cells, widths)]

        head_lines = row_lines(headings, "B")
        head_h = max(len(x) for x in head_lines) * line_h + 1.6

        def draw_row(lines, h: float, style: str, fill: int | None, rule: int, rule_width: float) -> None:
            """One row (heading or body): background, the cells' lines, the rule under it."""
            y = pdf.get_y()
            if fill is not None:
                pdf.set_fill_color(fill)
                pdf.rect(MARGIN, y, total, h, style="F")
            self.font(style, font_size)
            x = MARGIN
            for cell_lines, w, a in zip(lines, widths, aligns):
                self.draw_lines(cell_lines, x + PAD, y + 0.8, w - 2 * PAD, line_h, font_size, a)
                x += w
            pdf.set_draw_color(rule)
            pdf.set_line_width(rule_width)
            pdf.line(MARGIN, y + h, MARGIN + total, y + h)
            pdf.set_y(y + h)

        def draw_head() -> None:
            draw_row(head_lines, head_h, "B", HEAD_FILL, 0, 0.3)

        collapse = [c.collapse for c in cols]
        shown = []
        previous = None
        for cells in texts:
            shown.append(
                [
                    ("" if flag and previous is not None and cells[j] == previous[j] else cells[j])
                    for j, flag in enumerate(collapse)
                ]
            )
            previous = cells
        bodies = [row_lines(cells, "") for cells in shown]
        heights = [max(len(x) for x in lines) * line_h + 1.6 for lines in bodies]
        self.font("B", 10)
        title_h = len(self.wrap(table.title, pdf.epw)) * 5.5 + 1
        self.font("", SMALL)
        note_h = len(self.wrap(table.note, pdf.epw)) * SMALL * PT * 1.45 + 4.5 if table.note else 3.5
        whole = title_h + head_h + sum(heights) + note_h
        page = pdf.page_break_trigger - (TOP + 3)
        if len(heights) <= 14 and whole <= page and pdf.get_y() + whole > pdf.page_break_trigger:
            self.add_page()  # a small table stays on one page
        self.ensure(title_h + head_h + (heights[0] if heights else 0))
        self.paragraph(table.title, bold=True, size=10, space=1, line=5.5)
        draw_head()
        tail = min(note_h, 2 * SMALL * PT * 1.45 + 1.5)  # the last row keeps the note's first lines
        for i, (lines, h) in enumerate(zip(bodies, heights)):
            if pdf.get_y() + h + (tail if i == len(bodies) - 1 else 0.0) > pdf.page_break_trigger:
                self.add_page()
                self.paragraph(f"{table.title} (продолжение)", size=SMALL, space=0.8)
                draw_head()
                lines = row_lines(texts[i], "")  # repeat grouped values after a break
            draw_row(lines, h, "", ROW_FILL if i % 2 else None, 190, 0.1)
        pdf.set_draw_color(0)
        pdf.set_line_width(0.3)
        pdf.line(MARGIN, pdf.get_y(), MARGIN + total, pdf.get_y())
        pdf.set_line_width(0.2)
        pdf.set_y(pdf.get_y() + 1.5)
        if table.note:
            self.font("", SMALL)
            note_lines = len(self.wrap(table.note, pdf.epw))
            keep = note_lines * SMALL * PT * 1.45 if note_lines <= 6 else 0.0  # a short note stays whole
            self.paragraph(table.note, size=SMALL, space=4.5, keep=keep)
        else:
            pdf.set_y(pdf.get_y() + 3.5)

    def _column_widths(self, cols, headings, texts, font_size) -> list[float]:
        """Column widths, mm: natural widths when the table fits; otherwise numbers keep one line
        and text columns share the rest (each at least as wide as its longest word)."""
        avail = self.pdf.epw
        minimum, natural, numeric = self._measure(cols, headings, texts, font_size)
        if sum(natural) <= avail:
            return natural
        base = [n if num else m for n, m, num in zip(natural, minimum, numeric)]
        grow = [0.0 if num else n - m for n, m, num in zip(natural, minimum, numeric)]
        if sum(base) > avail:
            base, grow = minimum, [n - m for n, m in zip(natural, minimum)]
        spare = avail - sum(base)
        if spare <= 0:
            return [b * avail / sum(base) for b in base]
        total_grow = sum(grow)
        if total_grow <= 0:
            return [b + spare / len(base) for b in base]
        return [b + spare * g / total_grow for b, g in zip(base, grow)]

    def _measure(self, cols, headings, texts, font_size) -> tuple[list[float], list[float], list[bool]]:
        """Per column at ``font_size``: the minimum width (a number on one line, a text column as
        wide as its longest word, the heading's longest word), the natural width, and whether it
        holds numbers."""
        minimum, natural, numeric = [], [], []
        for j, c in enumerate(cols):
            self.font("B", font_size)
            head_word = max((self.width(w) for w in headings[j].split(" ")), default=0.0)
            head_full = self.width(headings[j])
            self.font("", font_size)
            cells = [row[j] for row in texts]
            full = max((self.width(t) for t in cells), default=0.0)
            is_number = c.kind in NUMERIC
            word = full if is_number else max((self.width(w) for t in cells for w in t.split(" ")), default=0.0)
            minimum.append(max(head_word, word) + 2 * PAD + 0.4)
            natural.append(max(full, head_word, min(head_full, max(full, head_word) * 1.6)) + 2 * PAD + 0.4)
            numeric.append(is_number)
        return minimum, natural, numeric

    def save(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.pdf.output(str(path))
        return path
