"""An option (or a question) whose column is missing from the data is unknown, not «not chosen».

The base of each multiple-choice option is the respondents whose value of it is known: the
others leave its count, its percentage, its intervals and its tests. An option nobody has a value
of is «нет данных» (no percentage, no test), and so is a question nobody has an answer to.
"""

from __future__ import annotations

import math
import shutil

import numpy as np
import openpyxl
import pandas as pd
import pytest

from survey.analysis.frame import NO_DATA_NOTE, unit_frame
from survey.analysis.stats import NO_DATA_REASON, problem_tests_detail, two_by_two
from survey.analysis.tables import multiple_response_table, problems_by_group_units, published_check
from survey.pipeline import run
from survey.spec.study import PublishedFigure

from .conftest import ROOT
from .test_tables import wilson_by_hand

STUDY = ROOT / "examples" / "german_partner_cities"


def _frame() -> pd.DataFrame:
    """12 experts in 8 units, two groups; ``x`` is unknown for 4 of them (their file lacked it)."""
    return pd.DataFrame(
        {
            "unit_id": ["u1", "u1", "u2", "u3", "u3", "u4", "u5", "u5", "u6", "u7", "u8", "u8"],
            "g": ["a"] * 6 + ["b"] * 6,
            "x": pd.array([1, 0, None, 1, 1, None, 0, 0, None, 1, 0, None], dtype="Int64"),
            "y": pd.array([1, 0, 1, 1, 1, 0, 0, 0, 1, 1, 0, 1], dtype="Int64"),
        }
    )


def test_unknown_values_leave_the_base_of_the_table_and_of_the_tests():
    f = _frame()
    known = f[f["x"].notna()].reset_index(drop=True)
    t = multiple_response_table(f, ["x"], "g").set_index("group")
    # by hand: group a knows 4 (3 yes), group b knows 4 (1 yes); all 8 known, 4 yes
    assert [(t.loc[g, "base"], t.loc[g, "n_missing"], t.loc[g, "respondents"]) for g in ("a", "b", "total")] == [
        (4, 2, 3),
        (4, 2, 1),
        (8, 4, 4),
    ]
    assert t.loc["a", "percent"] == pytest.approx(75.0) and t.loc["total", "percent"] == pytest.approx(50.0)
    low, high = wilson_by_hand(3, 4)  # not 3 of 6 (50 %) as when unknown counted as «no»
    assert (t.loc["a", "ci_low"], t.loc["a", "ci_high"]) == pytest.approx((100 * low, 100 * high))
    # every statistic equals the one of the table without the unknown rows: the same base everywhere
    ref = multiple_response_table(known, ["x"], "g").set_index("group")
    cols = ["base", "respondents", "percent", "ci_low", "ci_high", "ci_low_design", "ci_high_design", "higher_than"]
    pd.testing.assert_frame_equal(t[cols], ref[cols])
    tests = problem_tests_detail(f, ["x"], "g", n_permutations=0).iloc[0]
    ref_tests = problem_tests_detail(known, ["x"], "g", n_permutations=0).iloc[0]
    assert (tests["n"], tests["n_missing"], tests["events"], tests["n_exposed"]) == (8, 4, 4, 4)
    for col in ("p_fisher", "p_chi2", "p_rao_scott", "deff", "odds_ratio", "rd_design", "p_fisher_units"):
        assert tests[col] == pytest.approx(ref_tests[col], nan_ok=True), col
    assert not math.isnan(tests["p_rao_scott"])
    assert "значение известно у 8 из 12" in tests["note"]
    assert two_by_two(f, "x", "g", exposed="a", reference="b").tolist() == [[3, 1], [1, 3]]
    # the unit view: a unit with no known value is no unit of the option (u2, u4, u6 are unknown)
    units = problems_by_group_units(f, ["x"], "g").set_index("group")
    assert units.loc["total", "units"] == 5 and units.loc["total", "units_any"] == 3
    assert unit_frame(f, ["x"]).set_index("unit_id")["x"].isna().tolist() == [False, True, False, True] + [
        False,
        True,
        False,
        False,
    ]


def test_an_option_nobody_has_a_value_of_has_no_percentage_and_no_test():
    f = _frame().assign(x=pd.array([None] * 12, dtype="Int64"))
    t = multiple_response_table(f, ["x"], "g").set_index("group")
    assert t["base"].tolist() == [0, 0, 0] and t["n_missing"].tolist() == [6, 6, 12]
    assert t["percent"].isna().all() and t["ci_low"].isna().all() and t["ci_high"].isna().all()
    tests = problem_tests_detail(f, ["x"], "g", n_permutations=0).iloc[0]
    assert not tests["testable"] and tests["reason"] == NO_DATA_REASON and math.isnan(tests["p_primary"])


def test_a_published_count_of_an_option_with_unknown_values_is_not_computed():
    f = _frame()
    figures = (PublishedFigure("x", 4, "category:x", "x"), PublishedFigure("y", 7, "category:y", "y"))
    check = published_check(f, figures)
    assert check["computed"].isna().tolist() == [True, False] and check["match"].tolist() == [False, True]
    assert check.attrs["unknown"] == {"x": 4}


@pytest.fixture(scope="module")
def split_run(tmp_path_factory):
    """The German example with a new option «здравоохранение» (no column anywhere), a new optional
    scale q6_trust (no column) and its responses split in two files, the second without the column
    q2_areas_culture."""
    tmp = tmp_path_factory.mktemp("missing")
    study = tmp / "study"
    shutil.copytree(STUDY, study)
    q = study / "questionnaire.yaml"
    text = q.read_text(encoding="utf-8")
    memory = "      - {code: 8, name: memory, label: историческая память и примирение}\n"
    text = text.replace(memory, memory + "      - {code: 9, name: health, label: здравоохранение}\n")
    text += (
        "\n  - id: q6_trust\n    number: 6\n    short: Доверие\n    text: Насколько Вы доверяете партнёрам?\n"
        "    type: scale\n    required: false\n    min: 1\n    max: 5\n"
    )
    q.write_text(text, encoding="utf-8")
    ws = openpyxl.load_workbook(STUDY / "responses.xlsx").worksheets[0]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    drop = rows[0].index("q2_areas_culture")
    folder = tmp / "responses"
    folder.mkdir()
    for name, part, without in (("a.xlsx", rows[1:19], None), ("b.xlsx", rows[19:], drop)):
        wb = openpyxl.Workbook()
        sheet = wb.active
        sheet.title = "Ответы"
        for r in [rows[0], *part]:
            sheet.append([v for i, v in enumerate(r) if i != without])
        wb.save(folder / name)
    return run(folder, tmp / "out", study=study, skip_invalid=True)


def test_option_base_is_the_experts_with_a_known_value(split_run):
    out = split_run.out
    data = pd.read_csv(out / "data" / "responses.csv")
    table = pd.read_csv(out / "tables" / "closed_multiple_by_group.csv", keep_default_na=False, na_values=[""])
    total = table[table["group"] == "total"].set_index("category")
    culture = data["q2_areas_culture"]
    # by hand with pandas: all 36 experts accepted (one who ticked only the missing «culture» is not
    # «no answer» to a required question: the answer is unknown), the column known for the 18 of
    # a.xlsx, 14 of them «yes»
    assert (len(data), int(culture.notna().sum()), int(culture.sum())) == (36, 18, 14)
    assert split_run.report.rejected == []
    codes = {(p.code, p.field, p.location.file) for p in split_run.report.problems}
    assert ("missing-optional-column", "q6_trust", "a.xlsx") in codes and (
        "missing-optional-column",
        "q6_trust",
        "b.xlsx",
    ) in codes
    row = total.loc["q2_areas_culture"]
    assert (row["base"], row["n_missing"], row["respondents"]) == (18, 18, 14)
    assert row["percent"] == pytest.approx(100 * 14 / 18)  # 77.8 %, not 14 of 36 = 38.9 %
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(tuple(100 * v for v in wilson_by_hand(14, 18)))
    district = pd.read_csv(STUDY / "units.csv").set_index("unit_id")["federal_district"]
    for group, part in data.groupby(data["unit_id"].map(district)):
        r = table[(table["category"] == "q2_areas_culture") & (table["group"] == group)].iloc[0]
        known = part["q2_areas_culture"].dropna()
        assert (r["base"], r["respondents"]) == (len(known), int(known.sum())), group
    # an option with its column in both files keeps all 36 experts
    assert (total.loc["q2_areas_schools", "base"], total.loc["q2_areas_schools", "n_missing"]) == (36, 0)
    # no column anywhere: «нет данных», not «0 of 36»
    health = total.loc["q2_areas_health"]
    assert (health["base"], health["n_missing"], health["respondents"]) == (0, 36, 0)
    assert math.isnan(health["percent"]) and math.isnan(health["ci_high"])
    tests = pd.read_csv(out / "tables" / "closed_multiple_tests.csv", keep_default_na=False, na_values=[""])
    tests = tests.set_index("category")
    assert tests.loc["q2_areas_health", "reason"] == NO_DATA_REASON
    assert np.isnan(tests.loc["q2_areas_health", "p_primary"])
    assert (tests.loc["q2_areas_culture", "n"], tests.loc["q2_areas_culture", "events"]) == (18, 14)
    assert "значение известно у 18 из 36" in tests.loc["q2_areas_culture", "note"]
    scale = pd.read_csv(out / "tables" / "scale_tests.csv", keep_default_na=False).set_index("question")
    assert scale.loc["q6_trust", "note"] == NO_DATA_NOTE


def test_summary_shows_the_base_and_no_data(split_run):
    sheet = openpyxl.load_workbook(split_run.out / "summary.xlsx")["Вопросы"]
    rows = {r[1]: r for r in sheet.iter_rows(values_only=True) if r[0]}
    culture = rows["культура и искусство (известно у 18 из 36)"]
    assert culture[2] == 14 and culture[3] == pytest.approx(14 / 18)
    assert rows["здравоохранение — нет данных"][2:] == (None,) * (len(culture) - 2)
    trust = [r for r in rows.values() if r[0] == "6. Доверие"]
    assert [r[1] for r in trust] == ["нет данных: ответа нет ни у одного эксперта"]
    note = next(r[1] for r in sheet.iter_rows(values_only=True) if r[1] and str(r[1]).startswith("Вопросы с одним"))
    assert "«известно у n из N»" in note and "«2. Сферы сотрудничества: здравоохранение»" in note
    scales = openpyxl.load_workbook(split_run.out / "summary.xlsx")["Шкалы"]
    trust_rows = [r for r in scales.iter_rows(values_only=True) if r[0] == "6. Доверие (шкала 1–5)"]
    assert [r[1] for r in trust_rows] == ["нет данных: ответа нет ни у одного эксперта"]
