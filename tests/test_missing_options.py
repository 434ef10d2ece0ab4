"""An option (or a question) whose column is missing from the data is unknown, not «not chosen».

The base of each multiple-choice option is the respondents whose value of it is known: the
others leave its count, its percentage, its intervals and its tests. An option nobody has a value
of is «нет данных» (no percentage, no test), and so is a question nobody has an answer to.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from survey.analysis.frame import unit_frame
from survey.analysis.stats import NO_DATA_REASON, problem_tests_detail, two_by_two
from survey.analysis.tables import multiple_response_table, problems_by_group_units, published_check
from survey.spec.study import PublishedFigure

from .test_tables import wilson_by_hand


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
