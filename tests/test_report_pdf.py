"""summary.pdf and summary.html: extracted text with the key numbers, fonts embedded, notice, anonymity, atomicity."""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest

from survey.reports.format import fmt_p_table
from survey.spec.study import SYNTHETIC_NOTICE

from .conftest import ROOT


def norm(text) -> str:
    return re.sub(r"\s+", " ", str(text).replace("\xa0", " ").replace("\u202f", " ")).strip()


@pytest.fixture(scope="module")
def pdf(sample_run):
    from pypdf import PdfReader

    return PdfReader(sample_run.out / "summary.pdf")


@pytest.fixture(scope="module")
def pages(pdf) -> list[str]:
    return [norm(p.extract_text()) for p in pdf.pages]


@pytest.fixture(scope="module")
def page_html(sample_run) -> str:
    text = (sample_run.out / "summary.html").read_text(encoding="utf-8")
    return text


def html_text(page: str) -> str:
    body = re.sub(r"<img [^>]*>", " ", page)
    return norm(html.unescape(re.sub(r"<[^>]+>", " ", body)))


def test_a4_pages_with_running_header_and_page_numbers(pdf, pages):
    n = len(pages)
    assert n >= 8
    for i, (page, text) in enumerate(zip(pdf.pages, pages), start=1):
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
        assert f"стр. {i} из {n}" in text
        if i > 1:
            assert "Российско-китайское побратимское сотрудничество: экспертный опрос" in text
            assert "СИНТЕТИЧЕСКИЕ ДАННЫЕ" in text


def test_title_page_notice_and_contents(pages):
    first = pages[0]
    assert "ВНИМАНИЕ. " + norm(SYNTHETIC_NOTICE) in first
    assert "Экспертов (принятых анкет): 123" in first and "Городов и регионов (единиц): 77" in first
    assert "Имена экспертов в отчёте не приводятся." in first
    for section in (
        "1. Основные результаты",
        "2. Проблемы по группам",
        "5. Надёжность кодирования",
        "6. Методика",
        "Приложение. Кодовая книга",
    ):
        assert section in first


def test_key_numbers_in_the_text(pages, sample_run):
    text = " ".join(pages)
    assert (
        "В опросе участвовали 123 эксперта — представители 77 городов и регионов (городов — 57, регионов — 20)" in text
    )
    assert "«Удалённость и транспортная доступность» — 69 (56,1 %)" in text
    assert ("67,0 % экспертов группы «неприграничные» (65 из 97) и 15,4 % — группы «приграничные» (4 из 26)") in text
    findings = " ".join(re.sub(r"^.*?СИНТЕТИЧЕСКИЕ ДАННЫЕ ", "", p) for p in pages[1:4])  # without running heads
    findings = re.sub(r" стр\. \d+ из \d+", "", findings)
    assert "критерий Рао–Скотта с учётом единиц F(1; 76) = 24,37, p < 0,001; с поправкой Холма p < 0,001" in findings
    assert "15,4 (6,2–33,5)" in text and "67,0 (57,2–75,6)" in text and "69 (56,1)" in text
    tests = pd.read_csv(sample_run.out / "tables" / "problem_tests_detail.csv").set_index("category")
    problems = " ".join(p for p in pages if "Критерии по категориям" in p)
    for cat in ("distance", "mentality", "interest"):
        for column in ("p_primary", "p_holm", "p_bh"):
            assert fmt_p_table(tests.at[cat, column]) in problems, (cat, column)
    assert "4,6·10⁻⁶" in problems  # distance, Rao–Scott
    assert "Рао–Скотт F(1; 76) = 24,37, ЭД 0,91" in problems
    assert "−51,6 (−68,1 … −35,2)" in problems  # the design-based risk difference, percentage points
    assert "Методика" in text and norm(SYNTHETIC_NOTICE) in " ".join(pages[-8:])


def test_methodology_explains_the_design_and_names_every_input(pages, sample_run):
    import hashlib

    text = " ".join(pages)
    method = text[text.index("6. Методика") :]
    assert "Дизайн и основной критерий" in method and "Эксперты одной единицы" in method
    assert "критерий Рао–Скотта с поправкой второго порядка" in method
    assert "каждой единице равный вес" in method and "между единицами" in method
    assert "Признак «граница с Китаем»" in method and "Республика Алтай" in method  # the study's definition
    assert "CR2 с поправкой Саттертуэйта" in method and "логит Фирта" in method
    gold = (ROOT / "responses" / "sample_gold.csv").read_bytes()
    assert hashlib.sha256(gold).hexdigest() in text.replace(" ", "")
    assert "эталонное кодирование" in method


def test_kappa_and_alpha_beside_every_category(pages):
    problems = " ".join(p for p in pages if "Проблемы по группам" in p)
    assert "κ (Коэна) и α (Криппендорфа)" in problems
    assert "Финансирование 34,6 (19,4–53,8) 34,0 (25,4–43,9) 42 (34,1) 1,000 0,964 0,964" in problems


def test_reliability_and_codebook(pages):
    text = " ".join(pages)
    assert "Согласие с эталонным кодированием" in text and "F1 по категориям — от 0,977" in text
    appendix = pages[-1]
    assert "Приложение. Кодовая книга" in appendix and "no_problems" in appendix


def test_every_font_is_embedded(pdf):
    fonts = 0
    for page in pdf.pages:
        resources = page["/Resources"]
        for font in resources.get("/Font", {}).values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            if descendants is not None:
                font = descendants[0].get_object()
            descriptor = font["/FontDescriptor"].get_object()
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), font.get("/BaseFont")
            fonts += 1
    assert fonts > 0


def test_metadata_has_title_and_no_author(pdf):
    meta = pdf.metadata
    assert meta.title.startswith("Российско-китайское побратимское сотрудничество")
    assert meta.subject == "Экспертный опрос о побратимском сотрудничестве с Китаем: результаты, критерии, методика"
    assert "синтетические данные" in meta.keywords and "приграничные и неприграничные единицы" in meta.keywords
    assert "/Author" not in meta and meta.creator.startswith("survey")


def test_no_expert_name_in_pdf_or_html(pages, page_html):
    names = pd.read_excel(ROOT / "responses" / "sample.xlsx", engine="openpyxl")["expert_name"]
    surnames = {n.split()[0] for n in names}
    for text in (" ".join(pages), html_text(page_html)):
        assert not [s for s in surnames if s in text]
        assert "expert_name" not in text


def test_html_page_is_self_contained(page_html):
    text = html_text(page_html)
    assert page_html.startswith("<!DOCTYPE html>") and '<html lang="ru">' in page_html
    assert "data:image/png;base64," in page_html
    assert not re.search(r'(src|href)="(https?:)?//', page_html)
    assert "ВНИМАНИЕ. " + norm(SYNTHETIC_NOTICE) in text
    assert "«Удалённость и транспортная доступность» — 69 (56,1 %)" in text
    assert "4,6·10⁻⁶" in text


def test_no_notice_for_real_data(sample_run, tmp_path):
    """The notice depends on the data: the same report for non-synthetic data has none."""
    from pypdf import PdfReader

    from survey.reports.build import build_report
    from survey.reports.html import write_summary_html
    from survey.reports.pdf import write_summary_pdf
    from survey.spec.codebook import load_codebook
    from survey.spec.questionnaire import load_questionnaire

    q = load_questionnaire()
    report = build_report(
        sample_run.analysis, load_codebook(questionnaire=q), q, {**sample_run.manifest, "synthetic": False}
    )
    assert report.notice is None and report.agreement is None
    pdf_text = norm(" ".join(p.extract_text() for p in PdfReader(write_summary_pdf(report, tmp_path / "s.pdf")).pages))
    page = html_text(write_summary_html(report, tmp_path / "s.html").read_text(encoding="utf-8"))
    for text in (pdf_text, page):
        assert norm(SYNTHETIC_NOTICE) not in text
        assert "синтетическ" not in text.lower()
        assert "69 (56,1 %)" in text
    assert "Эталонного (ручного) кодирования этих ответов нет" in pdf_text
    assert "κ (Коэна)" not in pdf_text  # no reference coding: no κ/α columns


@pytest.mark.slow
def test_other_grouping_with_many_groups(tmp_path):
    """--group-by federal_district: the chart and tables carry every district; nothing breaks."""
    from pypdf import PdfReader

    from survey.analysis.frame import sample_frame
    from survey.analysis.run import analyse_frame
    from survey.reports.build import build_report
    from survey.reports.excel import write_summary_xlsx
    from survey.reports.html import write_summary_html
    from survey.reports.pdf import write_summary_pdf
    from survey.spec.codebook import load_codebook
    from survey.spec.questionnaire import load_questionnaire

    q = load_questionnaire()
    cb = load_codebook(questionnaire=q)
    analysis = analyse_frame(sample_frame(), q, cb.labels, group_by="federal_district", n_permutations=99)
    manifest = {
        "synthetic": True,
        "respondents_in": 123,
        "options": {"group_by": "federal_district"},
        "versions": {"survey": "test"},
        "started_at": "2022-12-31T10:00:00+00:00",
    }
    report = build_report(analysis, cb, q, manifest)
    assert len(report.chart_groups) == 8 and report.group_by_label == "федеральные округа"
    write_summary_xlsx(report, tmp_path / "s.xlsx")
    write_summary_html(report, tmp_path / "s.html")
    text = norm(" ".join(p.extract_text() for p in PdfReader(write_summary_pdf(report, tmp_path / "s.pdf")).pages))
    assert "Дальневосточный" in text and "Группировка: федеральные округа" in text
    assert "Отчёт построен 31.12.2022" in text
    assert report.effects == []  # effect sizes are two-group comparisons


def test_low_reliability_marked_in_pdf_and_html(sample_run, tmp_path):
    from pypdf import PdfReader

    from survey.reports.build import build_report
    from survey.reports.html import write_summary_html
    from survey.reports.pdf import write_summary_pdf
    from survey.spec.codebook import load_codebook
    from survey.spec.questionnaire import load_questionnaire

    gold = pd.read_csv(sample_run.out / "coding" / "agreement_gold.csv")
    gold.loc[gold["category"] == "funding", "kappa"] = 0.55
    q = load_questionnaire()
    report = build_report(sample_run.analysis, load_codebook(questionnaire=q), q, sample_run.manifest,
                          gold_agreement=gold)  # fmt: skip
    pdf_text = norm(" ".join(p.extract_text() for p in PdfReader(write_summary_pdf(report, tmp_path / "s.pdf")).pages))
    page = html_text(write_summary_html(report, tmp_path / "s.html").read_text(encoding="utf-8"))
    for text in (pdf_text, page):
        assert "Финансирование † 34,6 (19,4–53,8)" in text
        assert "† — согласие автоматического кодирования с эталонным по этой категории ниже 0,8" in text
        assert "Язык и кадры †" not in text


def test_the_key_figures_say_when_every_expert_is_in_one_unit():
    from survey.reports.findings import unit_note

    assert unit_note(1, 36) == "все эксперты из одной единицы: интервалы и критерии с учётом единиц невозможны"
    assert unit_note(77, 123) == "у нескольких единиц больше одного эксперта"
    assert unit_note(5, 5) == "у каждой единицы один эксперт"


@pytest.mark.slow
def test_a_table_of_thirteen_groups_never_breaks_a_number(tmp_path):
    """--group-by partner_land in the German example: 13 group columns. The table's font shrinks
    until every number fits on one line; «100,0» printed as «100,» over «0» was misread."""
    from pypdf import PdfReader

    from survey.pipeline import run

    result = run(study=ROOT / "examples" / "german_partner_cities", out=tmp_path / "r", group_by="partner_land")
    pages = [p.extract_text() for p in PdfReader(result.out / "summary.pdf").pages]
    table = next(t for t in pages if "Проблемы по группам" in t and "Различия" in t)
    assert "100,0" in table
    assert not re.search(r"\d,\s*\n\s*\d", table), re.findall(r".*\d,\s*\n\s*\d.*", table)[:3]
