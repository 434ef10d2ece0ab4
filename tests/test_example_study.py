"""A second study from its files alone (examples/german_partner_cities): every command, its numbers.

The example has its own questionnaire (a 1–10 scale labelled only at its ends, gender and age, no
interview mode), its own codebook (no distance or mentality), a gazetteer without a border column
and with ``partner_land``, and synthetic responses with a gold coding. ``expected.json`` beside it
was computed from the generated files with plain Python (fractions), not with this package.
"""

from __future__ import annotations

import json
import math
from fractions import Fraction

import openpyxl
import pandas as pd
import pytest

from survey.forms.templates import write_templates
from survey.forms.xlsform import build_xlsform
from survey.pipeline import run
from survey.spec.bundle import open_study
from survey.spec.template_layout import FORM_SHEET, LISTS_SHEET

from .conftest import ROOT
from .helpers import survey

STUDY = ROOT / "examples" / "german_partner_cities"
EXPECTED = json.loads((STUDY / "expected.json").read_text(encoding="utf-8"))
FIRST_STUDY_WORDS = ("Кита", "китай", "пригранич", "border", "borders_china", "побратим", "COVID")


@pytest.fixture(scope="module")
def example_run(tmp_path_factory):
    return run(study=STUDY, out=tmp_path_factory.mktemp("example"))


def read(out, name):
    return pd.read_csv(out / "tables" / name, keep_default_na=False, na_values=[""])


@pytest.mark.slow
def test_the_run_uses_the_study_files_and_its_grouping(example_run):
    m = example_run.manifest
    assert (m["respondents_accepted"], m["units"]) == (36, 20)
    assert m["study"]["title"].startswith("Российско-германское партнёрство")
    assert m["analysis"]["group_by"] == "federal_district"
    assert m["coding"]["categories"] == ["visas", "sanctions", "language", "funding", "bureaucracy", "interest",
                                         "no_problems"]  # fmt: skip
    # no published figures in this study: an empty check, nothing to match or to say
    assert m["analysis"]["published_check"] == {"figures": 0, "all_match": None, "mismatches": {}}
    assert read(example_run.out, "published_check.csv").empty
    # no model terms in this study: no models
    assert read(example_run.out, "models.csv").empty


@pytest.mark.slow
def test_scale_labelled_only_at_its_ends_counts_every_point(example_run):
    """q1_satisfaction (1–10, labels at 1 and 10, 99 = «затрудняюсь ответить»): n, mean, SD and
    median against expected.json (fractions computed by hand from the generated workbook)."""
    exp = EXPECTED["q1_satisfaction"]
    s = read(example_run.out, "scale_summary.csv")
    total = s[(s["question"] == "q1_satisfaction") & (s["group"] == "total")].iloc[0]
    assert total["n_valid"] == exp["n"] == 33 and total["n_missing"] == exp["dont_know_99"] == 3
    assert total["mean"] == pytest.approx(float(Fraction(exp["mean_fraction"])), rel=1e-12)
    assert total["sd"] == pytest.approx(math.sqrt(Fraction(exp["variance_fraction"])), rel=1e-12)
    assert total["median"] == exp["median"]
    freq = read(example_run.out, "closed_frequencies.csv")
    freq = freq[freq["question"] == "q1_satisfaction"].set_index("code")
    for point, n in exp["counts"].items():
        assert freq.loc[int(point), "n"] == n, point  # unlabelled points 2–9 included
    assert freq.loc[99, "missing"] in (True, "True")


@pytest.mark.slow
def test_codes_match_the_gold_coding(example_run):
    assert example_run.manifest["coding"]["counts_final"] == EXPECTED["gold"]
    gold = example_run.manifest["coding"]["agreement_gold"]
    assert all(v["f1"] == 1.0 for v in gold.values())


@pytest.mark.slow
def test_groupings_from_its_own_gazetteer_columns(tmp_path):
    res = run(study=STUDY, out=tmp_path, group_by="partner_land")
    t = read(tmp_path, "problems_by_group.csv")
    lands = sorted(pd.read_csv(STUDY / "units.csv")["partner_land"].unique())
    assert t.loc[t["category"] == "visas", "group"].tolist() == [*lands, "total"]
    assert res.manifest["analysis"]["group_by"] == "partner_land"


@pytest.mark.slow
def test_every_command_on_the_example(tmp_path):
    s = ["--study", STUDY]
    assert survey("validate", STUDY / "responses.xlsx", *s).code == 0
    assert survey("template", *s, "--all-units", "-o", tmp_path / "templates").code == 0
    assert len(list((tmp_path / "templates").glob("*.xlsx"))) == 20
    assert survey("ingest", STUDY / "responses.xlsx", *s, "-o", tmp_path / "c.xlsx").code == 0
    assert survey("xlsform", *s, "-o", tmp_path / "f.xlsx").code == 0
    assert survey("export-sav", *s, "-o", tmp_path / "x.sav").code == 0
    res = survey("kwic", "visas", *s)
    assert res.code == 0 and "Строк:" in res.out
    (tmp_path / "a.csv").write_text("id,text\n1,Визы получать долго; санкции мешают\n", encoding="utf-8")
    assert survey("code", tmp_path / "a.csv", *s, "-o", tmp_path / "a_out.csv").code == 0
    coded = pd.read_csv(tmp_path / "a_out.csv")
    assert coded.loc[0, ["visas", "sanctions", "language"]].tolist() == [1, 1, 0]
    assert survey("agreement", STUDY / "responses_gold.csv", tmp_path / "a_out.csv", "--id-column", "id").code in (0, 2)


def test_template_and_xlsform_offer_every_scale_point():
    bundle = open_study(STUDY)
    f = bundle.questionnaire.field("q1_satisfaction")
    assert [o.code for o in f.substantive_options] == list(range(1, 11))
    choices = build_xlsform(bundle.questionnaire, bundle.units)["choices"]
    names = [c.value for c in choices["B"] if choices.cell(row=c.row, column=1).value == "q1_satisfaction"]
    assert names == ["not_at_all", *[str(k) for k in range(2, 10)], "fully", "dont_know"]


def test_template_dropdown_lists_every_point(tmp_path):
    path = write_templates(tmp_path / "t.xlsx", study=STUDY)[0]
    wb = openpyxl.load_workbook(path)
    lists = wb[LISTS_SHEET]
    column = next(c for c in lists[1] if "удовлетвор" in str(c.value or "").lower())
    entries = [lists.cell(row=r, column=column.column).value for r in range(2, 20)]
    entries = [e for e in entries if e]
    assert entries[0].startswith("1 — ") and entries[1:9] == [str(k) for k in range(2, 10)]
    assert entries[9].startswith("10 — ") and "затрудняюсь" in entries[10].lower()
    hints = " ".join(str(c.value) for row in wb[FORM_SHEET].iter_rows() for c in row if c.value)
    assert "E001" not in hints and "2021" not in hints
