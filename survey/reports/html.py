"""The summary as one self-contained HTML page (``summary.html``).

The same content as the PDF (:mod:`survey.reports.pdf`) — key figures, findings, the chart of
problems by group, the tables, coding reliability, the methodology and the codebook — in one
file with its styles and the chart (PNG, embedded as a data URI) inside, so it can be mailed or
opened offline. Every text is HTML-escaped; nothing is loaded from the network.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

from survey.reports.charts import problems_chart_png
from survey.reports.model import ReportData, Table, table_rows_text

NUMERIC = {"int", "pct", "p", "ratio", "num1", "num2", "num3", "km", "n_pct", "pct_ci", "num_ci", "ratio_ci", "mean_sd"}
CSS = """
body { font-family: "DejaVu Sans", "Segoe UI", Arial, sans-serif; font-size: 15px; line-height: 1.45;
       color: #111; max-width: 1100px; margin: 2em auto; padding: 0 1.2em; }
h1 { font-size: 1.7em; margin-bottom: .1em; } h2 { margin-top: 2em; border-bottom: 1px solid #999; }
h3 { font-size: 1.05em; margin: 1.5em 0 .4em; }
.subtitle { font-size: 1.2em; margin-top: 0; color: #333; }
.notice { border: 2px solid #000; background: #eee; padding: .7em 1em; font-weight: bold; margin: 1.2em 0; }
.meta { color: #333; }
table { border-collapse: collapse; margin: .3em 0 .4em; font-size: .85em; }
th, td { padding: .25em .5em; vertical-align: top; border-bottom: 1px solid #ccc; }
th { background: #e1e1e1; text-align: left; border-bottom: 2px solid #000; }
td.num { text-align: right; white-space: nowrap; } th.num { text-align: right; }
tbody tr:nth-child(even) { background: #f5f5f5; }
.note { font-size: .8em; color: #333; max-width: 60em; }
figure { margin: 1em 0; } figure img { width: 100%; max-width: 860px; height: auto; }
figcaption { font-weight: bold; margin-bottom: .4em; }
ol.findings li { margin-bottom: .5em; }
nav ul { columns: 2; }
@media print { body { max-width: none; margin: 0; font-size: 11px; } h2 { page-break-before: always; }
               table, figure { page-break-inside: avoid; } }
"""


def write_summary_html(report: ReportData, path: str | Path) -> Path:
    """Write ``summary.html`` for ``report`` to ``path``."""
    e = html.escape
    sections = [
        ("results", "1. Основные результаты"),
        ("problems", "2. Проблемы по группам"),
        ("closed", "3. Закрытые вопросы"),
        ("models", "4. Логистические модели"),
        ("reliability", "5. Надёжность кодирования"),
        ("methods", "6. Методика"),
        ("codebook", "Приложение. Кодовая книга"),
    ]
    out = [
        "<!DOCTYPE html>",
        '<html lang="ru">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="{e(report.software)}">',
        f'<meta name="description" content="{e(report.short_title)}: {e(report.subtitle)}">',
        f'<meta name="keywords" content="{e(", ".join(report.keywords))}">',
        f"<title>{e(report.title)}. {e(report.subtitle)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{e(report.title)}</h1>",
        f'<p class="subtitle">{e(report.subtitle)}</p>',
    ]
    if report.notice:
        out.append(f'<p class="notice" role="alert">ВНИМАНИЕ. {e(report.notice)}</p>')
    anonymity = (
        "Содержит имена экспертов: только для внутреннего использования."
        if report.with_names
        else "Имена экспертов в отчёте не приводятся."
    )
    out.append(
        f'<p class="meta">Отчёт построен {e(report.run_date)} программой {e(report.software)}. {e(anonymity)}</p>'
    )
    out.append(
        "<nav><ul>" + "".join(f'<li><a href="#{key}">{e(title)}</a></li>' for key, title in sections) + "</ul></nav>"
    )

    out.append(_h2(sections[0]))
    out.append(_table(report.key_figures))
    out.append(_table(report.key_problems))
    out.append("<h3>Выводы, полученные из чисел</h3>")
    out.append('<ol class="findings">' + "".join(f"<li>{_text(t)}</li>" for t in report.findings) + "</ol>")

    out.append(_h2(sections[1]))
    if report.tests is None:
        out.extend(f"<p>{_text(t)}</p>" for t in report.switched_off[:1])
    png = base64.b64encode(problems_chart_png(report)).decode("ascii")
    out.append(
        f"<figure><figcaption>{_text(report.chart_title)}</figcaption>"
        f'<img src="data:image/png;base64,{png}" alt="{e(report.chart_title)}"></figure>'
    )
    out.append(_table(report.problems_compact))
    for table in (report.tests_compact, report.units_compact):
        if table is not None:
            out.append(_table(table))
    if report.overall is not None:
        out.append(
            _table(
                report.overall,
                columns=[
                    "test",
                    "statistic",
                    "df",
                    "p_value",
                    "n_clusters",
                    "items_tested",
                    "n_permutations",
                ],
            )  # fmt: skip
        )

    out.append(_h2(sections[2]))
    out.append(_table(report.closed_compact))
    if report.scales is not None:
        out.append(_table(report.scales))

    out.append(_h2(sections[3]))
    if report.models_compact is not None:
        out.append(_table(report.models_compact))
    else:
        out.append(f"<p>{_text(report.models_text)}</p>")

    out.append(_h2(sections[4]))
    out.extend(f"<p>{_text(t)}</p>" for t in report.reliability_text)
    for table in (report.agreement_compact, report.classifier):
        if table is not None:
            out.append(_table(table))

    out.append(_h2(sections[5]))
    for heading, text in report.methodology:
        out.append(f"<h3>{e(heading)}</h3><p>{_text(text)}</p>")
    for table in (report.published, report.versions, report.inputs):
        if table is not None:
            out.append(_table(table))

    out.append(_h2(sections[6]))
    out.append(_table(report.codebook))
    out.append("</body>\n</html>\n")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out), encoding="utf-8")
    return path


def _h2(section: tuple[str, str]) -> str:
    return f'<h2 id="{section[0]}">{html.escape(section[1])}</h2>'


def _text(text: str) -> str:
    """Escaped text; a percent sign never starts a line."""
    return html.escape(text).replace(" %", "\u00a0%")


def _table(table: Table, columns: list[str] | None = None) -> str:
    cols = table.columns if columns is None else [c for c in table.columns if c.keys[0] in columns]
    index = [table.columns.index(c) for c in cols]
    classes = [' class="num"' if c.kind in NUMERIC else "" for c in cols]
    parts = [f"<h3>{html.escape(table.title)}</h3>", "<table>", "<thead><tr>"]
    parts += [f"<th{cls}>{_text(c.heading)}</th>" for c, cls in zip(cols, classes)]
    parts.append("</tr></thead><tbody>")
    previous = None
    for texts in table_rows_text(table):
        cells = [texts[i] for i in index]
        parts.append("<tr>")
        for j, (c, cls) in enumerate(zip(cols, classes)):
            value = cells[j]
            if c.collapse and previous is not None and previous[j] == value:
                value = ""
            parts.append(f"<td{cls}>{_text(value)}</td>")
        parts.append("</tr>")
        previous = cells
    parts.append("</tbody></table>")
    if table.note:
        parts.append(f'<p class="note">{_text(table.note)}</p>')
    return "".join(parts)
