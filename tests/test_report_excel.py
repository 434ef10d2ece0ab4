"""summary.xlsx: sheets, numbers equal to the analysis tables (tests, intervals, effects, unit view,
overall test, models, κ/α), the study's words, anonymity, formula-safety.

The print layout (margins, widths, breaks) is tested in ``test_report_print.py``."""

from __future__ import annotations

import hashlib
import math
import re
import textwrap
import zipfile

import pandas as pd
import pytest
from openpyxl import load_workbook

from survey.spec.study import SYNTHETIC_NOTICE

from .conftest import ROOT

SHEETS = [
    "Сводка",
    "Проблемы",
    "Критерии",
    "Общий тест",
    "Эффекты",
    "Единицы",
    "Вопросы",
    "Шкалы",
    "Модели",
    "Надёжность",
    "Кодовая книга",
    "Данные",
    "Методика",
]


def norm(text) -> str:
    """Text with no-break and narrow spaces as plain spaces, runs of whitespace collapsed."""
    return re.sub(r"\s+", " ", str(text).replace("\xa0", " ").replace("\u202f", " ")).strip()


@pytest.fixture(scope="module")
def book(sample_run):
    return load_workbook(sample_run.out / "summary.xlsx")


@pytest.fixture(scope="module")
def tables(sample_run):
    folder = sample_run.out / "tables"
    return {
        "detail": pd.read_csv(folder / "problems_by_group_detail.csv"),
        "tests": pd.read_csv(folder / "problem_tests_detail.csv").set_index("category"),
        "units": pd.read_csv(folder / "problems_by_group_units.csv"),
        "overall": pd.read_csv(folder / "overall_test.csv"),
        "models": pd.read_csv(folder / "models.csv"),
        "gold": pd.read_csv(sample_run.out / "coding" / "agreement_gold.csv").set_index("category"),
    }


@pytest.fixture(scope="module")
def labels(sample_run):
    part = sample_run.analysis.tables.problems_by_group_detail.drop_duplicates("category")
    return dict(zip(part["category"], part["label"]))


def sheet_text(ws) -> str:
    return norm(" ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None))


def find_row(ws, label: str, column: int = 1, start: int = 1) -> int:
    for r in range(start, ws.max_row + 1):
        if ws.cell(row=r, column=column).value == label:
            return r
    raise AssertionError(f"no row «{label}» in {ws.title}")


def heading_columns(ws, title: str) -> tuple[int, dict[str, list[int]], dict[int, str]]:
    """The heading row of the table titled ``title``, its headings → columns, and the span above each column."""
    start = find_row(ws, title)
    head = start + 1
    while ws.cell(row=head, column=1).value is None:  # a span row has an empty first cell
        head += 1
    cols: dict[str, list[int]] = {}
    for c in range(1, ws.max_column + 1):
        value = ws.cell(row=head, column=c).value
        if value is not None:
            cols.setdefault(str(value), []).append(c)
    spans: dict[int, str] = {}
    if head > start + 1:
        current = ""
        for c in range(1, ws.max_column + 1):
            value = ws.cell(row=head - 1, column=c).value
            current = str(value) if value is not None else current  # merged: the text is in the first cell
            spans[c] = current
    return head, cols, spans


def close(value, expected, *, scale: float = 1.0) -> bool:
    if expected is None or (isinstance(expected, float) and math.isnan(expected)):
        return value is None
    return value == pytest.approx(expected * scale, rel=1e-12, abs=1e-15)


def test_sheets_in_order_and_chart_data_hidden(book):
    assert book.sheetnames[: len(SHEETS)] == SHEETS
    assert book["_диаграмма"].sheet_state == "hidden"
    assert all(book[s].sheet_state == "visible" for s in SHEETS)


def test_title_and_properties_from_the_study(book):
    assert book["Сводка"]["A1"].value == "Российско-китайское побратимское сотрудничество: экспертный опрос"
    assert book.properties.title.startswith("Российско-китайское побратимское сотрудничество")
    assert book.properties.subject == "Экспертный опрос о побратимском сотрудничестве с Китаем: сводка результатов"
    assert book.properties.creator == "survey"


def test_key_figures_on_the_first_sheet(book):
    ws = book["Сводка"]
    values = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=2).value for r in range(1, ws.max_row + 1)}
    assert values["Экспертов (принятых анкет)"] == 123
    assert values["Городов и регионов (единиц)"] == 77
    assert (values["из них городов"], values["из них регионов"]) == (57, 20)
    assert (values["Единицы: приграничные"], values["Эксперты: приграничные"]) == (12, 26)
    assert (values["Единицы: неприграничные"], values["Эксперты: неприграничные"]) == (65, 97)
    assert values["Группировка таблиц"] == "приграничные и неприграничные единицы"


def test_findings_are_stated_from_the_corrected_numbers(book, tables):
    text = sheet_text(book["Сводка"])
    assert "В опросе участвовали 123 эксперта — представители 77 городов и регионов (городов — 57, регионов — 20)" in (
        text
    )
    assert "«Удалённость и транспортная доступность» — 69 (56,1 %)" in text
    assert (
        "Проблему «Удалённость и транспортная доступность» называют 67,0 % экспертов группы «неприграничные» "
        "(65 из 97) и 15,4 % — группы «приграничные» (4 из 26)"
    ) in text
    assert "критерий Рао–Скотта с учётом единиц F(1; 76) = 24,37, p < 0,001; с поправкой Холма p < 0,001" in text
    # the unit-level verdict follows the corrected unit-level p-values, whatever they are
    distance = tables["tests"].loc["distance"]
    both = distance.p_rao_scott_weighted < 0.05 and distance.p_perm_cluster < 0.05
    assert ("— различие сохраняется" in text) == both
    assert "на уровне единиц различие не подтверждается" not in text or not both
    overall = tables["overall"].query("family == 'main' and method == 'cluster_permutation'").iloc[0]
    verdict = "различается между группами" if overall.p_value < 0.05 else "значимо не различается"
    assert f"Набор называемых проблем в целом {verdict}" in text


def test_synthetic_notice_first_sheet_and_methodology(book):
    notice = norm(SYNTHETIC_NOTICE)
    assert notice in norm(book["Сводка"]["A3"].value)
    assert notice in sheet_text(book["Методика"])
    # the learned layer is on and, on the sample, added nothing: the methodology says so
    method = sheet_text(book["Методика"])
    assert "обученный слой" in method and "не добавил ни одного кода" in method


def test_key_problems_with_kappa_and_alpha(book, tables, labels):
    ws = book["Сводка"]
    head, cols, _ = heading_columns(ws, "Названные проблемы")
    gold = tables["gold"]
    for cat, label in labels.items():
        r = find_row(ws, label, start=head + 1)
        total = tables["detail"].query("category == @cat and group == 'total'").iloc[0]
        assert ws.cell(row=r, column=cols["Назвали"][0]).value == total.respondents
        assert close(ws.cell(row=r, column=cols["%"][0]).value, total.percent, scale=0.01)
        assert close(ws.cell(row=r, column=cols["κ"][0]).value, gold.at[cat, "kappa"])
        assert close(ws.cell(row=r, column=cols["α"][0]).value, gold.at[cat, "alpha"])


def test_problems_sheet_equals_the_tables(book, tables, labels):
    ws = book["Проблемы"]
    head, cols, spans = heading_columns(ws, "Проблемы по группам")
    starts = {}
    for c, text in sorted(spans.items()):
        starts.setdefault(text.split(" ")[0], c)
    detail, gold = tables["detail"], tables["gold"]
    for cat, label in labels.items():
        r = find_row(ws, label, start=head + 1)
        for group, word in (("border", "приграничные"), ("non_border", "неприграничные"), ("total", "всего:")):
            col = starts[word]
            row = detail.query("category == @cat and group == @group").iloc[0]
            assert ws.cell(row=r, column=col).value == row.respondents
            pct = ws.cell(row=r, column=col + 1)
            assert close(pct.value, row.percent, scale=0.01) and pct.number_format == "0.0%_)"
            assert close(ws.cell(row=r, column=col + 2).value, row.ci_low, scale=0.01)
            assert close(ws.cell(row=r, column=col + 3).value, row.ci_high, scale=0.01)
            if group != "total":
                higher = ws.cell(row=r, column=col + 4).value
                assert (higher or "") == ("" if pd.isna(row.higher_than) else row.higher_than)
        assert close(ws.cell(row=r, column=cols["κ"][0]).value, gold.at[cat, "kappa"])
        assert close(ws.cell(row=r, column=cols["α"][0]).value, gold.at[cat, "alpha"])
    distance = find_row(ws, labels["distance"], start=head + 1)
    assert ws.cell(row=distance, column=starts["неприграничные"] + 4).value == "A"
    text = sheet_text(ws)
    assert "попарные критерии Рао–Скотта (единица — кластер), поправка Бонферрони на число пар групп, α = 0,05" in text


def test_design_based_intervals_beside_wilson(book, tables, labels):
    ws = book["Проблемы"]
    head, cols, spans = heading_columns(ws, "Интервалы по дизайну (единица — кластер)")
    start = min(c for c, t in spans.items() if t.startswith("неприграничные"))
    row = find_row(ws, labels["distance"], start=head + 1)
    expected = tables["detail"].query("category == 'distance' and group == 'non_border'").iloc[0]
    assert close(ws.cell(row=row, column=start + 1).value, expected.ci_low_design, scale=0.01)
    assert close(ws.cell(row=row, column=start + 2).value, expected.ci_high_design, scale=0.01)
    assert "Корна–Граубарда" in sheet_text(ws)


def test_mentions_state_their_base_with_and_without_universal_categories(book, tables, labels):
    ws = book["Проблемы"]
    head, cols, spans = heading_columns(ws, "Доля упоминаний")
    total = tables["detail"].query("group == 'total'").set_index("category")
    base, specific = int(total.at["distance", "mentions_base"]), int(total.at["distance", "mentions_base_specific"])
    text = sheet_text(ws).split("Доля упоминаний")[-1]
    assert "База — число упоминаний в группе: A — " in text and f"всего — {base} (без общих {specific})" in text
    assert "Категории, которые назвали все эксперты («Пандемия COVID-19 и ограничения»)" in text
    all_col = next(c for c in cols["всего"] if spans[c] == "% упоминаний")
    specific_col = next(c for c in cols["всего"] if spans[c] == "% упоминаний без общих категорий")
    row = find_row(ws, labels["distance"], start=head + 1)
    assert close(ws.cell(row=row, column=all_col).value, total.at["distance", "percent_of_mentions"], scale=0.01)
    assert close(ws.cell(row=row, column=specific_col).value, total.at["distance", "percent_of_mentions_specific"],
                 scale=0.01)  # fmt: skip
    covid = find_row(ws, labels["covid"], start=head + 1)
    assert ws.cell(row=covid, column=specific_col).value is None  # named by all: not in the specific base


def test_tests_sheet_primary_rao_scott_holm_bh_fisher_midp(book, tables, labels):
    ws = book["Критерии"]
    head, cols, _ = heading_columns(ws, "Критерии по категориям")
    tests = tables["tests"]
    pairs = {
        "F / χ²": "rao_scott_f",
        "df1": "rao_scott_df1",
        "df2": "rao_scott_df2",
        "ЭД": "deff",
        "p": "p_primary",
        "p Холма": "p_holm",
        "p БХ": "p_bh",
        "p Фишера": "p_fisher",
        "mid-p": "p_mid",
        "p χ²": "p_chi2",
        "Мин. ожид.": "min_expected",
    }
    for cat, label in labels.items():
        r = find_row(ws, label, start=head + 1)
        t = tests.loc[cat]
        assert ws.cell(row=r, column=cols["Критерий"][0]).value == ("Рао–Скотт" if t.testable else "не проверяется")
        for heading, column in pairs.items():
            assert close(ws.cell(row=r, column=cols[heading][0]).value, t[column]), (cat, heading)
    r = find_row(ws, labels["distance"], start=head + 1)
    assert ws.cell(row=r, column=cols["F / χ²"][0]).value == pytest.approx(24.370322, abs=1e-6)
    assert ws.cell(row=r, column=cols["p"][0]).number_format == "[<0.0001]0.00E+00_);0.0000_)"
    text = sheet_text(ws)
    assert "Основной критерий: критерий Рао–Скотта (F, поправка второго порядка, единица — кластер)" in text


def test_overall_test_rows_by_family(book, tables):
    ws = book["Общий тест"]
    head, cols, _ = heading_columns(ws, "Общий тест различий набора проблем")
    rows = [r for r in range(head + 1, ws.max_row + 1) if ws.cell(row=r, column=2).value is not None]
    overall = tables["overall"]
    assert len(rows) == len(overall)
    for r, expected in zip(rows, overall.itertuples()):
        family = "основное семейство" if expected.family == "main" else "проверка: с исключающими категориями"
        assert ws.cell(row=r, column=1).value.startswith(family + ": ")
        assert close(ws.cell(row=r, column=cols["p"][0]).value, expected.p_value)
    assert any("между единицами" in ws.cell(row=r, column=1).value for r in rows)


def test_effect_sizes_for_two_groups(book, tables, labels):
    ws = book["Эффекты"]
    head, cols, spans = heading_columns(ws, "Размеры эффекта: разность и отношение долей")
    t = tables["tests"].loc["distance"]
    r = find_row(ws, labels["distance"], start=head + 1)
    newcombe = min(c for c, s in spans.items() if s.startswith("Разность долей, п. п. (Ньюкомб)"))
    design = min(c for c, s in spans.items() if s.startswith("Разность долей по дизайну"))
    assert close(ws.cell(row=r, column=newcombe).value, t.risk_difference, scale=100)
    assert close(ws.cell(row=r, column=newcombe + 1).value, t.rd_ci_low, scale=100)
    assert close(ws.cell(row=r, column=design + 2).value, t.rd_design_high, scale=100)
    katz = min(c for c, s in spans.items() if s.startswith("Отношение долей (Кац)"))
    assert close(ws.cell(row=r, column=katz).value, t.risk_ratio)
    head, cols, spans = heading_columns(ws, "Размеры эффекта: отношения шансов")
    r = find_row(ws, labels["distance"], start=head + 1)
    exact = min(c for c, s in spans.items() if s.startswith("Условное ОШ"))
    assert close(ws.cell(row=r, column=exact).value, t.or_conditional)
    assert close(ws.cell(row=r, column=exact + 1).value, t.or_conditional_low)
    assert close(ws.cell(row=r, column=exact + 2).value, t.or_conditional_high)


def test_unit_view_weighted_equally_and_any_expert_as_a_check(book, tables, labels):
    ws = book["Единицы"]
    head, cols, spans = heading_columns(ws, "Уровень единиц: каждая единица с равным весом")
    units = tables["units"].query("category == 'distance'").set_index("group")
    r = find_row(ws, labels["distance"], start=head + 1)
    border = min(c for c, s in spans.items() if s == "приграничные: единиц 12")
    assert close(ws.cell(row=r, column=border).value, units.at["border", "percent_weighted"], scale=0.01)
    assert close(ws.cell(row=r, column=cols["перестановки"][0]).value, tables["tests"].at["distance", "p_perm_cluster"])
    assert close(ws.cell(row=r, column=cols["Рао–Скотт"][0]).value,
                 tables["tests"].at["distance", "p_rao_scott_weighted"])  # fmt: skip
    head, cols, _ = heading_columns(ws, "Проверка: доля единиц, где проблему назвал хотя бы один эксперт")
    r = find_row(ws, labels["distance"], start=head + 1)
    assert close(ws.cell(row=r, column=cols["A"][0]).value, units.at["border", "percent_any"], scale=0.01)
    text = sheet_text(ws)
    assert "ответы её экспертов взвешены 1 / (число экспертов единицы)" in text and "только проверка" in text


def test_models_with_method_epp_joint_test_and_intercept(book, tables, labels):
    ws = book["Модели"]
    head, cols, _ = heading_columns(ws, "Логистические модели")
    models = tables["models"]
    distance = models.query("category == 'distance'").set_index("term")
    rows = [r for r in range(head + 1, ws.max_row + 1) if ws.cell(row=r, column=1).value == labels["distance"]]
    by_term = {ws.cell(row=r, column=2).value: r for r in rows}
    border = by_term["приграничная единица (vs неприграничная)"]
    assert ws.cell(row=border, column=cols["Метод"][0]).value == "логит, CR2 (Саттертуэйт)"
    assert close(ws.cell(row=border, column=cols["ОШ"][0]).value, distance.at["border", "odds_ratio"])
    assert close(ws.cell(row=border, column=cols["df"][0]).value, distance.at["border", "df"])
    assert close(ws.cell(row=border, column=cols["На параметр"][0]).value, distance.at["border", "epp"])
    assert "константа: шансы, когда все признаки равны 0" in by_term
    joint = next(r for t, r in by_term.items() if t.startswith("совместно: "))
    assert close(ws.cell(row=joint, column=cols["p"][0]).value, distance.at["border+log10_distance", "p_value"])
    firth = models.query("method == 'firth'")["category"].unique()
    assert len(firth)
    r = find_row(ws, labels[firth[0]], start=head + 1)
    assert ws.cell(row=r, column=cols["Метод"][0]).value == "логит Фирта"
    assert "CR2 с поправкой Саттертуэйта" in sheet_text(ws)


def test_questions_reliability_codebook_sheets(book, sample_run):
    ws = book["Вопросы"]
    text = sheet_text(ws)
    assert "2. Сферы сотрудничества" in text
    r = find_row(ws, "образование", column=2)
    assert ws.cell(row=r, column=3).value == 111
    scale = pd.read_csv(sample_run.out / "tables" / "scale_tests.csv")
    scales = book["Шкалы"]
    assert "Уилкоксона (две группы)" in sheet_text(scales) and "(шкала 1–5)" in sheet_text(scales)
    numbers = [c.value for row in scales.iter_rows() for c in row if isinstance(c.value, float)]
    assert any(v == pytest.approx(scale.p_value[0]) for v in numbers)
    reliability = sheet_text(book["Надёжность"])
    assert "Согласие с эталонным кодированием" in reliability and "κ Коэна" in reliability
    ws = book["Кодовая книга"]
    assert ws.cell(row=find_row(ws, "distance"), column=4).value == 69


def test_every_input_in_the_methodology_has_its_sha256(book, sample_run):
    ws = book["Методика"]
    head = find_row(ws, "Входные файлы") + 1
    rows = {ws.cell(row=r, column=1).value: (ws.cell(row=r, column=2).value, ws.cell(row=r, column=3).value)
            for r in range(head + 1, ws.max_row + 1) if ws.cell(row=r, column=3).value}  # fmt: skip
    files = {
        "эталонное кодирование": ROOT / "responses" / "sample_gold.csv",
        "настройки исследования": ROOT / "questionnaires" / "study.yaml",
        "опубликованные показатели": ROOT / "questionnaires" / "published.csv",
        "справочник единиц": ROOT / "responses" / "units.csv",
        "таблица признаков единиц (federal_district)": ROOT / "responses" / "federal_districts.csv",
        "линия границы (для расстояний)": ROOT / "responses" / "china_border.csv",
        "ответы экспертов": ROOT / "responses" / "sample.xlsx",
    }
    for role, path in files.items():
        name, sha = rows[role]
        assert name == path.name and sha == hashlib.sha256(path.read_bytes()).hexdigest(), role
    assert rows["эталонное кодирование"][1] == sample_run.manifest["coding"]["gold_sha256"]
    assert all(re.fullmatch(r"[0-9a-f]{64}", sha) for _, sha in rows.values())


def test_data_sheet_is_anonymised(book):
    ws = book["Данные"]
    head = find_row(ws, "Код эксперта")
    headers = [c.value for c in ws[head]]
    assert not any("ФИО" in str(h) for h in headers)
    ids = [ws.cell(row=r, column=1).value for r in range(head + 1, head + 124)]
    assert ids[0] == "E001" and len(set(ids)) == 123
    names = pd.read_excel(ROOT / "responses" / "sample.xlsx", engine="openpyxl")["expert_name"]
    text = sheet_text(ws)
    assert not [n for n in names if n.split()[0] in text]
    answer = headers.index("3. Проблемы и трудности") + 1
    assert ws.cell(row=head + 1, column=answer).value.startswith("Начну с хорошего")
    assert "data/responses.csv" in str(ws["A1"].value)


def _report(sample_run, *, frame=None, manifest=None, gold=None):
    from survey.reports.build import build_report
    from survey.spec.codebook import load_codebook
    from survey.spec.questionnaire import load_questionnaire

    analysis = sample_run.analysis
    if frame is not None:
        analysis = type(analysis)(frame=frame, group_by=analysis.group_by, tables=analysis.tables,
                                  summary=analysis.summary)  # fmt: skip
    q = load_questionnaire()
    return build_report(analysis, load_codebook(questionnaire=q), q, manifest or sample_run.manifest,
                        gold_agreement=gold, coded=sample_run.coded)  # fmt: skip


def test_with_names_is_an_explicit_choice(sample_run, tmp_path):
    from survey.reports.excel import write_summary_xlsx

    frame = sample_run.analysis.frame
    named = frame.merge(sample_run.data[["expert_id", "expert_name"]], on="expert_id")
    named.attrs = dict(frame.attrs)
    manifest = {**sample_run.manifest, "options": {**sample_run.manifest["options"], "with_names": True}}
    path = write_summary_xlsx(_report(sample_run, frame=named, manifest=manifest), tmp_path / "summary.xlsx")
    ws = load_workbook(path)["Данные"]
    head = find_row(ws, "Код эксперта")
    headers = [c.value for c in ws[head]]
    col = headers.index("ФИО (внутреннее использование)") + 1
    assert ws.cell(row=head + 1, column=col).value == sample_run.data["expert_name"].iloc[0]
    assert "Содержит имена экспертов" in sheet_text(load_workbook(path)["Сводка"])


def test_formula_like_answers_stay_text(sample_run, tmp_path):
    from survey.reports.excel import write_summary_xlsx

    frame = sample_run.analysis.frame.copy()
    frame.attrs = dict(sample_run.analysis.frame.attrs)
    frame.loc[0, "q3_problems"] = "=1+2 (ковид, границы закрыты)"
    frame.loc[1, "q7_proposals"] = "@SUM(A1:A3)"
    path = write_summary_xlsx(_report(sample_run, frame=frame), tmp_path / "summary.xlsx")
    ws = load_workbook(path)["Данные"]
    head = find_row(ws, "Код эксперта")
    headers = [c.value for c in ws[head]]
    answer = ws.cell(row=head + 1, column=headers.index("3. Проблемы и трудности") + 1)
    assert answer.value == "=1+2 (ковид, границы закрыты)"
    assert answer.data_type == "s" and answer.quotePrefix
    proposal = ws.cell(row=head + 2, column=headers.index("7. Предложения") + 1)
    assert proposal.value == "@SUM(A1:A3)" and proposal.data_type == "s"
    with zipfile.ZipFile(path) as z:
        sheets = " ".join(z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert "<f>" not in sheets  # no formula anywhere in the workbook


def test_real_data_have_no_synthetic_notice(sample_run, tmp_path):
    from survey.reports.excel import write_summary_xlsx

    manifest = {**sample_run.manifest, "synthetic": False}
    wb = load_workbook(write_summary_xlsx(_report(sample_run, manifest=manifest), tmp_path / "summary.xlsx"))
    notice = norm(SYNTHETIC_NOTICE)
    for name in SHEETS:
        assert notice not in sheet_text(wb[name]), name
        assert "синтетическ" not in sheet_text(wb[name]).lower(), name
    assert wb["Сводка"]["A3"].value.startswith("Отчёт построен")


def test_low_reliability_is_marked_in_every_problems_table(sample_run, tmp_path, tables):
    """κ below 0.8 for one category: «†» beside it in every problems table, with a note for readers."""
    from survey.reports.excel import write_summary_xlsx

    gold = tables["gold"].reset_index()
    gold.loc[gold["category"] == "funding", ["kappa", "alpha"]] = [0.61, 0.79]
    report = _report(sample_run, gold=gold)
    wb = load_workbook(write_summary_xlsx(report, tmp_path / "summary.xlsx"))
    for sheet in ("Сводка", "Проблемы", "Критерии", "Эффекты", "Единицы", "Модели"):
        text = sheet_text(wb[sheet])
        assert "Финансирование †" in text, sheet
        assert "Язык и кадры †" not in text, sheet
    ws = wb["Проблемы"]
    head, cols, _ = heading_columns(ws, "Проблемы по группам")
    r = find_row(ws, "Финансирование †", start=head + 1)
    assert ws.cell(row=r, column=cols["κ"][0]).value == 0.61
    assert "† — согласие автоматического кодирования с эталонным по этой категории ниже 0,8" in sheet_text(ws)


def test_many_respondents_leave_the_data_sheet_to_the_data_files(sample_run, tmp_path, monkeypatch):
    """Above the limit «Данные» lists no one and says where the answers are; every other sheet is built
    from all respondents as before."""
    import survey.reports.sections as sections
    from survey.reports.excel import write_summary_xlsx

    monkeypatch.setattr(sections, "MAX_DATA_SHEET_ROWS", 100)
    wb = load_workbook(write_summary_xlsx(_report(sample_run), tmp_path / "summary.xlsx"))
    ws = wb["Данные"]
    text = sheet_text(ws)
    assert "Анкет 123" in text and "data/responses.csv" in text and "лист заполняется до 100 анкет" in text
    assert "Код эксперта" not in text and ws.max_row <= 2
    assert "Финансирование" in sheet_text(wb["Проблемы"])


@pytest.mark.parametrize(
    "heading",
    ["Проблем нет", "Удалённость и транспортная доступность", "Слабая экономическая составляющая, санкции, платежи"],
)
def test_a_rotated_heading_row_is_long_enough_for_two_lines(heading):
    # LibreOffice wraps a rotated heading at the row's height; its column holds two lines
    from survey.reports.excel import ROTATED_PT_PER_CHAR, _rotated_length

    chars = int((_rotated_length(heading) - 8) / ROTATED_PT_PER_CHAR)
    lines = textwrap.wrap(heading, chars, break_long_words=False)
    assert len(lines) <= 2 and _rotated_length(heading) <= 240
    assert _rotated_length("Язык") < _rotated_length(heading) or heading == "Проблем нет"
