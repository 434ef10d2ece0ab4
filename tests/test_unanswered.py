"""An optional coded open question left unanswered: the expert leaves the base of its categories.

Review 46 #1: the 0/1 codes of an expert with no answer were 0 («did not name it»), so every
table, test and the readers' summary used all respondents as the base, and the .sav held 0
instead of a missing value. The expected numbers are recomputed here with pandas from the run's
own data files.
"""

from __future__ import annotations

import shutil

import openpyxl
import pandas as pd
import pytest

from survey.pipeline import run

from .conftest import ROOT

GERMAN = ROOT / "examples" / "german_partner_cities"
BLANK = 8  # the first experts of the file leave the coded question unanswered


@pytest.fixture(scope="module")
def unanswered(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("unanswered")
    study = tmp / "study"
    shutil.copytree(GERMAN, study)
    path = study / "questionnaire.yaml"
    text = path.read_text(encoding="utf-8")
    coded = "    type: text\n    required: true\n    coded: true\n"
    assert text.count(coded) == 1
    path.write_text(text.replace(coded, "    type: text\n    required: false\n    coded: true\n"), encoding="utf-8")
    wb = openpyxl.load_workbook(study / "responses.xlsx")
    ws = wb["Ответы"]
    header = [c.value for c in ws[1]]
    col = header.index("q4_difficulties") + 1
    blank_ids = [str(ws.cell(row=r, column=1).value) for r in range(2, 2 + BLANK)]
    for r in range(2, 2 + BLANK):
        ws.cell(row=r, column=col).value = None if r % 2 else "   "  # empty, or only spaces
    wb.save(study / "responses.xlsx")
    out = run(study=study, out=tmp / "out").out
    return out, blank_ids


def test_the_base_of_a_category_is_the_experts_who_answered(unanswered):
    out, blank_ids = unanswered
    data = pd.read_csv(out / "data" / "responses.csv", dtype={"expert_id": str})
    codes = pd.read_csv(out / "coding" / "codes_final.csv", dtype={"expert_id": str})
    table = pd.read_csv(out / "tables" / "problems_by_group.csv")
    answered = len(data) - BLANK
    total = table[table["group"] == "total"].set_index("category")
    assert (total["base"] == answered).all()
    for cat, row in total.iterrows():
        named = int(codes[cat].sum())
        assert row["respondents"] == named
        assert row["percent"] == pytest.approx(100 * named / answered)
    # the codes of the unanswered experts are empty, not 0; the others are 0/1
    blank = codes[codes["expert_id"].isin(blank_ids)]
    cats = list(total.index)
    assert len(blank) == BLANK and blank[cats].isna().all().all()
    assert codes.loc[~codes["expert_id"].isin(blank_ids), cats].isin([0, 1]).all().all()


def test_the_sav_holds_a_missing_value_for_an_unanswered_question(unanswered):
    import pyreadstat

    out, blank_ids = unanswered
    frame, meta = pyreadstat.read_sav(str(out / "data" / "responses.sav"))
    code_cols = [c for c in frame.columns if c.startswith("q4_difficulties_")]
    assert code_cols
    blank = frame["expert_id"].astype(str).isin(blank_ids)
    assert frame.loc[blank, code_cols].isna().all().all()
    assert frame.loc[~blank, code_cols].notna().all().all()


def test_the_models_and_the_overall_test_use_the_answered_experts(unanswered):
    out, _ = unanswered
    data = pd.read_csv(out / "data" / "responses.csv")
    models = pd.read_csv(out / "tables" / "models.csv")
    assert (models["n"].dropna() == len(data) - BLANK).all()
    overall = pd.read_csv(out / "tables" / "overall_test.csv")
    assert overall["p_value"].notna().any()


def test_the_readers_summary_names_the_base_of_those_who_answered(unanswered):
    import html
    import re

    out, _ = unanswered
    data = pd.read_csv(out / "data" / "responses.csv")
    text = html.unescape(re.sub("<[^>]+>", " ", (out / "summary.html").read_text(encoding="utf-8")))
    text = " ".join(text.split())
    answered = len(data) - BLANK
    assert f"из {answered} ответивших на вопрос экспертов" in text
    assert f"Эксперты, ответившие на вопрос ({answered}; без ответа — {BLANK})" in text


def test_group_sizes_are_the_groups_experts_and_the_tables_say_who_answered(unanswered):
    # review 46b #3: the key figures gave each group's answerers as its experts (18 + 9 of 30)
    import html
    import re

    out, blank_ids = unanswered
    data = pd.read_csv(out / "data" / "responses.csv", dtype={"expert_id": str})
    table = pd.read_csv(out / "tables" / "problems_by_group.csv")
    text = html.unescape(re.sub("<[^>]+>", " ", (out / "summary.html").read_text(encoding="utf-8")))
    text = " ".join(text.split())
    units = pd.read_csv(GERMAN / "units.csv", dtype=str).set_index("unit_id")
    group = data["unit_id"].map(units["federal_district"])
    first = table[table["group"] != "total"].drop_duplicates("group").iloc[0]
    size = int((group == first["group"]).sum())
    answered = int(((group == first["group"]) & ~data["expert_id"].isin(blank_ids)).sum())
    assert first["base"] == answered < size
    assert f"экспертов {size}, ответили {answered}" in text
    assert "база — эксперты группы, ответившие на вопрос" in text


def test_a_one_set_by_hand_on_an_empty_answer_is_applied_with_a_warning_and_zeros_change_nothing():
    # review 46b #8: an override on an empty answer silently added a respondent to every base
    from survey.coding.review import apply_overrides
    from survey.pipeline import unanswered_as_missing

    auto = pd.DataFrame(
        {
            "expert_id": ["A", "B", "C"],
            "question": ["q4", "q4", "q4"],
            "answer": ["Нет компьютеров", "", "  "],
            "x": [1, 0, 0],
            "y": [0, 0, 0],
        }
    )
    table = pd.DataFrame(
        {
            "expert_id": ["B", "C"],
            "question": ["q4", "q4"],
            "category": ["y", "y"],
            "override": [1, 0],
            "location": ["лист, строка 3", "лист, строка 4"],
            "row": [3, 4],
        }
    )
    result = apply_overrides(auto, table, ["x", "y"])
    (warning,) = [p for p in result.problems if p.code == "override-empty-answer"]
    assert "эксперта «B»" in warning.message and "входит в базу" in warning.message
    named = result.overrides[result.overrides["override"] == 1]
    final = unanswered_as_missing(
        result.final, ["x", "y"], {(str(e), str(q)) for e, q in zip(named["expert_id"], named["question"])}
    )
    assert final.loc[1, ["x", "y"]].tolist() == [0, 1]  # B: the 1 set by hand, in the base
    assert final.loc[2, ["x", "y"]].isna().all()  # C: a 0 on an empty answer names nothing
