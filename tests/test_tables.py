"""Multiple-response tables, closed questions, the border distance: numbers checked by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from survey.analysis.design import wilson_interval
from survey.analysis.frame import check_group_by, group_order, unit_frame
from survey.analysis.tables import (
    PROBLEMS_BY_GROUP_COLUMNS,
    closed_by_group,
    closed_frequencies,
    multiple_choice_by_group,
    multiple_response_table,
    problems_by_group,
    problems_by_group_detail,
    scale_summary,
)
from survey.errors import UsageError
from survey.spec.geo import distance_band

from .helpers import CATS, Z


def wilson_by_hand(k: int, n: int, z: float = Z) -> tuple[float, float]:
    """Wilson (1927) score interval, written out."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


@pytest.mark.parametrize("k,n", [(4, 26), (65, 97), (69, 123), (0, 26), (26, 26), (1, 2), (42, 123), (123, 123)])
def test_wilson_matches_the_formula(k, n):
    low, high = wilson_interval([k], [n])
    lo, hi = wilson_by_hand(k, n)
    assert low[0] == pytest.approx(max(lo, 0.0), abs=1e-9)
    assert high[0] == pytest.approx(min(hi, 1.0), abs=1e-9)


def test_wilson_empty_base_is_nan():
    low, high = wilson_interval([0], [0])
    assert math.isnan(low[0]) and math.isnan(high[0])


def test_problems_by_group_contract_and_counts(frame):
    table = problems_by_group(frame, CATS)
    assert list(table.columns) == PROBLEMS_BY_GROUP_COLUMNS
    assert list(table["group"].unique()) == ["border", "non_border", "total"]
    assert list(table["category"].unique()) == CATS
    for cat in CATS:
        for group in ("border", "non_border", "total"):
            sub = frame if group == "total" else frame[frame["border_status"] == group]
            row = table[(table["category"] == cat) & (table["group"] == group)].iloc[0]
            k, n = int(sub[cat].sum()), len(sub)
            assert (row["base"], row["respondents"]) == (n, k)
            assert row["percent"] == pytest.approx(100 * k / n, abs=1e-12)
            lo, hi = wilson_by_hand(k, n)
            assert row["ci_low"] == pytest.approx(100 * max(lo, 0), abs=1e-9)
            assert row["ci_high"] == pytest.approx(100 * min(hi, 1), abs=1e-9)
            assert 0 <= row["ci_low"] <= row["percent"] <= row["ci_high"] <= 100


def test_the_sample_distance_by_border_status(frame):
    t = problems_by_group(frame, ["distance"]).set_index("group")
    assert t.loc["border", ["base", "respondents"]].tolist() == [26, 4]
    assert t.loc["non_border", ["base", "respondents"]].tolist() == [97, 65]
    assert t.loc["total", ["base", "respondents"]].tolist() == [123, 69]


def test_percent_of_mentions_has_the_codes_as_base(frame):
    d = problems_by_group_detail(frame, CATS)
    for group in ("border", "non_border", "total"):
        sub = frame if group == "total" else frame[frame["border_status"] == group]
        codes = int(sub[CATS].to_numpy().sum())
        rows = d[d["group"] == group]
        assert (rows["mentions_base"] == codes).all()
        assert rows["percent_of_mentions"].sum() == pytest.approx(100.0, abs=1e-9)
        for r in rows.itertuples():
            assert r.percent_of_mentions == pytest.approx(100 * int(sub[r.category].sum()) / codes, abs=1e-12)


def test_letters_mark_the_higher_group(frame):
    d = problems_by_group_detail(frame, ["distance", "covid"]).set_index(["category", "group"])
    assert d.loc[("distance", "border"), "letter"] == "A"
    assert d.loc[("distance", "non_border"), "letter"] == "B"
    assert d.loc[("distance", "non_border"), "higher_than"] == "A"  # 67 % > 15 %
    assert d.loc[("distance", "border"), "higher_than"] == ""
    assert d.loc[("covid", "non_border"), "higher_than"] == ""  # 100 %: not compared


def test_unit_level_counts_a_unit_when_any_expert_names_it(frame):
    units = unit_frame(frame, CATS)
    assert len(units) == 77 and units["n_experts"].sum() == 123
    for cat in CATS:
        expected = frame.groupby("unit_id")[cat].max()
        assert units.set_index("unit_id")[cat].equals(expected.astype(int))
    t = problems_by_group(units, ["covid"]).set_index("group")
    assert t.loc["border", "base"] == 12 and t.loc["non_border", "base"] == 65 and t.loc["total", "base"] == 77
    assert units.attrs["level"] == "unit"
    assert (problems_by_group_detail(units, ["covid"])["level"] == "unit").all()


def test_group_by_another_column(frame):
    t = problems_by_group(frame, ["distance"], group_by="federal_district")
    groups = t["group"].tolist()
    assert groups[-1] == "total" and groups[:-1] == sorted(frame["federal_district"].unique())
    assert t.loc[t["group"] != "total", "base"].sum() == 123
    assert t.loc[t["group"] != "total", "respondents"].sum() == 69


def test_group_order_is_numeric_for_codes(frame):
    assert group_order(frame, "distance_band")[0] == "0-500"


def test_a_missing_code_is_no_group(frame):
    """Grouped by q1_state, «затрудняюсь ответить» (9, missing in the questionnaire) is not a group;
    those 2 experts stay in the total."""
    assert (frame["q1_state"] == 9).sum() == 2
    assert group_order(frame, "q1_state") == ["1", "2", "3", "4", "5"]
    t = problems_by_group(frame, ["distance"], group_by="q1_state")
    assert t["group"].tolist() == ["1", "2", "3", "4", "5", "total"]
    assert t.loc[t["group"] != "total", "base"].sum() == 121 and t.loc[t["group"] == "total", "base"].item() == 123


def test_unknown_group_column_is_a_russian_usage_error(frame):
    with pytest.raises(UsageError) as err:
        check_group_by("federal_distrikt", ["kind", "federal_district"])
    assert "federal_distrikt" in err.value.message and "federal_district" in err.value.message
    assert err.value.exit_code == 2


def test_missing_group_values_count_only_in_total():
    f = pd.DataFrame({"g": ["a", "a", None, "b"], "x": [1, 0, 1, 1]})
    t = multiple_response_table(f, ["x"], "g").set_index("group")
    assert t.loc["a", "base"] == 2 and t.loc["b", "base"] == 1 and t.loc["total", "base"] == 4
    assert t.loc["total", "respondents"] == 3


def test_distance_bands():
    assert [distance_band(x) for x in (0, 499.9, 500, 1499, 1500, 2999, 3000, 9000)] == [
        "0-500",
        "0-500",
        "500-1500",
        "500-1500",
        "1500-3000",
        "1500-3000",
        "3000+",
        "3000+",
    ]


# ------------------------------------------------------------------ closed questions


def test_closed_frequencies_like_spss(frame, questionnaire):
    t = closed_frequencies(frame, questionnaire)
    for qid in ("q1_state", "q4_covid", "q6_prospects"):
        rows = t[t["question"] == qid]
        f = questionnaire.field(qid)
        counts = frame[qid].value_counts()
        for r in rows.itertuples():
            if r.option == "no_answer":
                continue
            assert r.n == int(counts.get(r.code, 0))
            assert r.percent == pytest.approx(100 * r.n / len(frame), abs=1e-12)
        valid = rows[~rows["missing"]]
        n_valid = int(frame[qid].isin([o.code for o in f.substantive_options]).sum())
        assert valid["valid_percent"].tolist() == pytest.approx([100 * n / n_valid for n in valid["n"]], abs=1e-12)
        assert valid["cumulative_percent"].iloc[-1] == pytest.approx(100.0, abs=1e-9)
        assert rows.loc[rows["missing"], "valid_percent"].isna().all()
        assert rows["n"].sum() == len(frame)


def test_closed_by_group_percentages(frame, questionnaire):
    t = closed_by_group(frame, questionnaire)
    for _, rows in t.groupby(["question", "group"]):
        assert rows["n"].sum() == rows["base"].iloc[0]
        assert rows["percent"].sum() == pytest.approx(100.0, abs=1e-9)
    sub = frame[frame["border_status"] == "border"]
    row = t[(t["question"] == "q1_state") & (t["group"] == "border") & (t["code"] == 4)].iloc[0]
    valid = sub["q1_state"].isin([1, 2, 3, 4, 5])
    assert row["base"] == int(valid.sum()) and row["n"] == int((sub["q1_state"] == 4).sum())
    assert row["n_missing"] == int((~valid).sum())


def test_scale_summary_against_numpy(frame, questionnaire):
    t = scale_summary(frame, questionnaire)
    for r in t.itertuples():
        sub = frame if r.group == "total" else frame[frame["border_status"] == r.group]
        v = sub[r.question][sub[r.question].between(1, 5)].astype(float).to_numpy()
        assert r.n_valid == len(v)
        assert r.mean == pytest.approx(np.mean(v), abs=1e-12)
        assert r.sd == pytest.approx(np.std(v, ddof=1), abs=1e-12)
        assert r.median == pytest.approx(np.median(v), abs=1e-12)


def test_multiple_choice_tables(frame, questionnaire):
    t = multiple_choice_by_group(frame, questionnaire)
    assert set(t["question"]) == {"q2_areas", "q5_forms"}
    total = t[t["group"] == "total"].set_index("category")
    for col in questionnaire.field("q2_areas").columns():
        assert total.loc[col, "respondents"] == int(frame[col].sum())
        assert total.loc[col, "base"] == len(frame)
    assert total.loc["q2_areas_trade", "label"] == "торговля"
