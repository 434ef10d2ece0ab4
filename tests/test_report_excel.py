"""summary.xlsx: sheets, key numbers equal to the analysis tables, formats, charts, anonymity, formulas."""

from __future__ import annotations

import math
import re
import zipfile

import pandas as pd
import pytest
from openpyxl import load_workbook

from survey import pipeline
from survey.spec.study import SYNTHETIC_NOTICE

from .conftest import DATA, ROOT

SHEETS = ["Сводка", "Проблемы", "Вопросы", "Модели", "Надёжность", "Кодовая книга", "Данные", "Методика"]


def norm(text) -> str:
    """Text with no-break and narrow spaces as plain spaces, runs of whitespace collapsed."""
    return re.sub(r"\s+", " ", str(text).replace("\xa0", " ").replace("\u202f", " ")).strip()


@pytest.fixture(scope="module")
def book(sample_run):
    return load_workbook(sample_run.out / "summary.xlsx")


def sheet_text(ws) -> str:
    return norm(" ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None))


def header_row(ws, first: str, max_row: int = 10) -> int:
    for r in range(1, max_row + 1):
        if ws.cell(row=r, column=1).value == first:
            return r
    raise AssertionError(f"no heading «{first}» in {ws.title}")


def find_row(ws, label: str, column: int = 1, start: int = 1) -> int:
    for r in range(start, ws.max_row + 1):
        if ws.cell(row=r, column=column).value == label:
            return r
    raise AssertionError(f"no row «{label}» in {ws.title}")


def test_sheets_in_order_and_chart_data_hidden(book):
    assert book.sheetnames[: len(SHEETS)] == SHEETS
    assert book["_диаграмма"].sheet_state == "hidden"
    assert all(book[s].sheet_state == "visible" for s in SHEETS)


def test_key_figures_on_the_first_sheet(book):
    ws = book["Сводка"]
    values = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=2).value for r in range(1, ws.max_row + 1)}
    assert values["Экспертов (принятых анкет)"] == 123
    assert values["Городов и регионов (единиц)"] == 77
    assert (values["из них городов"], values["из них регионов"]) == (57, 20)
    assert (values["Единиц приграничных"], values["Экспертов из приграничных единиц"]) == (12, 26)
    assert (values["Единиц неприграничных"], values["Экспертов из неприграничных единиц"]) == (65, 97)


def test_findings_are_stated_from_the_numbers(book):
    text = sheet_text(book["Сводка"])
    assert "В опросе участвовали 123 эксперта — представители 77 городов и регионов" in text
    assert "«Удалённость и транспортная доступность» — 69 (56,1 %)" in text
    assert (
        "Проблему «Удалённость и транспортная доступность» называют 67,0 % экспертов из неприграничных "
        "единиц (65 из 97) и 15,4 % — из приграничных (4 из 26)"
    ) in text
    assert "точный критерий Фишера, p < 0,001; с поправкой Холма p < 0,001" in text


def test_synthetic_notice_first_sheet_and_methodology(book):
    notice = norm(SYNTHETIC_NOTICE)
    assert notice in norm(book["Сводка"]["A3"].value)
    assert notice in sheet_text(book["Методика"])


def problems_frame(ws) -> tuple[int, dict[str, int]]:
    head = header_row(ws, "Проблема (категория)")
    spans = {}
    for c in range(1, ws.max_column + 1):
        v = ws.cell(row=head - 1, column=c).value
        if v:
            spans[c] = v
    return head, spans


def test_problems_sheet_equals_the_tables(book, sample_run):
    ws = book["Проблемы"]
    head, spans = problems_frame(ws)
    group_start = {text.split(" ")[0]: col for col, text in spans.items()}
    by_group = pd.read_csv(sample_run.out / "tables" / "problems_by_group.csv")
    tests = pd.read_csv(sample_run.out / "tables" / "problem_tests.csv").set_index("category")
    labels = sample_run.analysis.tables.problems_by_group_detail.drop_duplicates("category")
    labels = dict(zip(labels["category"], labels["label"]))
    heads = {ws.cell(row=head, column=c).value: c for c in range(1, ws.max_column + 1)}
    checked = 0
    for cat, label in labels.items():
        r = find_row(ws, label, start=head + 1)
        for group, word in (
            ("border", "приграничные"),
            ("non_border", "неприграничные"),
            ("total", "всего:"),
        ):
            col = group_start[word]
            row = by_group[(by_group.category == cat) & (by_group.group == group)].iloc[0]
            assert ws.cell(row=r, column=col).value == row.respondents
            pct = ws.cell(row=r, column=col + 1)
            assert pct.value == pytest.approx(row.percent / 100, abs=1e-12) and pct.number_format == "0.0%"
            assert ws.cell(row=r, column=col + 2).value == pytest.approx(row.ci_low / 100, abs=1e-12)
            assert ws.cell(row=r, column=col + 3).value == pytest.approx(row.ci_high / 100, abs=1e-12)
        for column, heading in (
            ("p_fisher", "p Фишера"),
            ("p_chi2", "p χ²"),
            ("p_holm", "p Холма"),
            ("p_bh", "p БХ"),
            ("odds_ratio", "ОШ"),
        ):
            value = ws.cell(row=r, column=heads[heading]).value
            expected = tests.at[cat, column]
            if math.isnan(expected):
                assert value is None, (cat, column)
            else:
                assert value == pytest.approx(expected, rel=1e-12), (cat, column)
        checked += 1
    assert checked == 10
    distance = find_row(ws, "Удалённость и транспортная доступность", start=head + 1)
    total = group_start["всего:"]
    assert ws.cell(row=distance, column=total).value == 69
    assert f"{ws.cell(row=distance, column=total + 1).value:.3f}" == "0.561"
    assert ws.cell(row=distance, column=heads["p Фишера"]).number_format == "[<0.0001]0.00E+00;0.0000"


def test_frozen_headers_filters_and_print_setup(book):
    ws = book["Проблемы"]
    head, _ = problems_frame(ws)
    assert ws.freeze_panes == f"B{head + 1}"
    assert ws.auto_filter.ref.startswith(f"A{head}:")
    assert book["Данные"].freeze_panes == "B3" and book["Данные"].auto_filter.ref.startswith("A2:")
    for name in SHEETS:
        setup = book[name].page_setup
        assert setup.paperSize == 9 and setup.fitToWidth == 1, name
        assert book[name].sheet_properties.pageSetUpPr.fitToPage, name
    assert book["Проблемы"].page_setup.orientation == "landscape"


def test_native_bar_charts_with_interval_bars(sample_run):
    with zipfile.ZipFile(sample_run.out / "summary.xlsx") as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        assert len(charts) == 2  # Сводка and Проблемы
        xml = z.read(charts[0]).decode("utf-8")
    assert re.search(r'<(c:)?barDir val="bar" ?/>', xml) and len(re.findall(r"<(?:c:)?errBars>", xml)) == 2
    assert "_диаграмма" in xml and re.search(r'errValType val="cust"', xml)


def test_questions_models_reliability_codebook_sheets(book, sample_run):
    ws = book["Вопросы"]
    text = sheet_text(ws)
    assert "2. Сферы сотрудничества" in text and "Манна–Уитни" in text
    head = header_row(ws, "Вопрос")
    r = find_row(ws, "образование", column=2, start=head + 1)
    assert ws.cell(row=r, column=3).value == 111
    scale = pd.read_csv(sample_run.out / "tables" / "scale_tests.csv")
    assert any(
        c.value == pytest.approx(scale.p_value[0]) for row in ws.iter_rows() for c in row if isinstance(c.value, float)
    )
    assert "приграничная единица (vs неприграничная)" in sheet_text(book["Модели"])
    reliability = sheet_text(book["Надёжность"])
    assert "Согласие с эталонным кодированием" in reliability and "κ Коэна" in reliability
    ws = book["Кодовая книга"]
    r = find_row(ws, "distance")
    assert ws.cell(row=r, column=4).value == 69


def test_data_sheet_is_anonymised(book, sample_run):
    ws = book["Данные"]
    headers = [c.value for c in ws[2]]
    assert headers[0] == "Код эксперта" and not any("ФИО" in str(h) for h in headers)
    ids = [ws.cell(row=r, column=1).value for r in range(3, 3 + 123)]
    assert ids[0] == "E001" and len(set(ids)) == 123
    names = pd.read_excel(ROOT / "responses" / "sample.xlsx", engine="openpyxl")["expert_name"]
    text = sheet_text(ws)
    assert not [n for n in names if n.split()[0] in text]
    answer = headers.index("3. Проблемы и трудности") + 1
    assert ws.cell(row=3, column=answer).value.startswith("Начну с хорошего")


def test_with_names_is_an_explicit_choice(sample_run, tmp_path):
    from survey.reports.build import build_report
    from survey.reports.excel import write_summary_xlsx

    analysis = sample_run.analysis
    named = analysis.frame.merge(sample_run.data[["expert_id", "expert_name"]], on="expert_id")
    named.attrs = dict(analysis.frame.attrs)
    analysis_named = type(analysis)(
        frame=named, group_by=analysis.group_by, tables=analysis.tables, summary=analysis.summary
    )
    manifest = {**sample_run.manifest, "options": {**sample_run.manifest["options"], "with_names": True}}
    from survey.spec.codebook import load_codebook
    from survey.spec.questionnaire import load_questionnaire

    q = load_questionnaire()
    report = build_report(analysis_named, load_codebook(questionnaire=q), q, manifest)
    path = write_summary_xlsx(report, tmp_path / "summary.xlsx")
    ws = load_workbook(path)["Данные"]
    headers = [c.value for c in ws[2]]
    assert "ФИО (внутреннее использование)" in headers
    col = headers.index("ФИО (внутреннее использование)") + 1
    assert ws.cell(row=3, column=col).value == sample_run.data["expert_name"].iloc[0]
    assert "Содержит имена экспертов" in sheet_text(load_workbook(path)["Сводка"])


@pytest.fixture(scope="module")
def formula_run(tmp_path_factory):
    """A small real-data run (not synthetic) whose first answer looks like a formula."""
    tmp = tmp_path_factory.mktemp("formula")
    frame = pd.read_csv(DATA / "valid.csv", dtype=str)
    frame.loc[0, "q3_problems"] = "=1+2 (ковид, границы закрыты)"
    frame.loc[1, "q7_proposals"] = "@SUM(A1:A3)"
    responses = tmp / "formula-answer.csv"
    frame.to_csv(responses, index=False)
    result = pipeline.run(responses, tmp / "out")
    return result


def test_formula_like_answers_stay_text(formula_run):
    wb = load_workbook(formula_run.out / "summary.xlsx")
    ws = wb["Данные"]
    headers = [c.value for c in ws[2]]
    answer = ws.cell(row=3, column=headers.index("3. Проблемы и трудности") + 1)
    assert answer.value == "=1+2 (ковид, границы закрыты)"
    assert answer.data_type == "s" and answer.quotePrefix
    proposal = ws.cell(row=4, column=headers.index("7. Предложения") + 1)
    assert proposal.value == "@SUM(A1:A3)" and proposal.data_type == "s"
    with zipfile.ZipFile(formula_run.out / "summary.xlsx") as z:
        sheets = " ".join(z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert "<f>" not in sheets  # no formula anywhere in the workbook


def test_real_data_have_no_synthetic_notice(formula_run):
    assert formula_run.manifest["synthetic"] is False
    wb = load_workbook(formula_run.out / "summary.xlsx")
    notice = norm(SYNTHETIC_NOTICE)
    for name in SHEETS:
        assert notice not in sheet_text(wb[name]), name
        assert "синтетическ" not in sheet_text(wb[name]).lower(), name
    assert wb["Сводка"]["A3"].value.startswith("Отчёт построен")
    values = {
        wb["Сводка"].cell(row=r, column=1).value: wb["Сводка"].cell(row=r, column=2).value
        for r in range(1, wb["Сводка"].max_row + 1)
    }
    assert values["Экспертов (принятых анкет)"] == 3
