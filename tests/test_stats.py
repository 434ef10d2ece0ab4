"""Tests per category, adjustments, letters and the overall test, against scipy and hand computations."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as ss

from survey.analysis.stats import (
    PROBLEM_TESTS_COLUMNS,
    adjust_pvalues,
    column_proportion_letters,
    odds_ratio,
    overall_test,
    permutation_pvalues,
    problem_tests,
    problem_tests_detail,
    scale_tests,
    single_choice_tests,
    two_by_two,
)

from .conftest import ROOT
from .helpers import CATS, Z


@pytest.fixture(scope="module")
def detail(frame):
    return problem_tests_detail(frame, CATS, exclusive=["no_problems"], n_permutations=999)


def holm_by_hand(p):
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    out, running = [0.0] * m, 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out


def bh_by_hand(p):
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i], reverse=True)
    out, running = [0.0] * m, 1.0
    for idx, i in enumerate(order):
        rank = m - idx
        running = min(running, p[i] * m / rank)
        out[i] = min(running, 1.0)
    return out


def test_two_by_two_counts(frame):
    for cat in CATS:
        t = two_by_two(frame, cat, "border_status")
        for row, group in enumerate(("border", "non_border")):
            sub = frame[frame["border_status"] == group]
            assert t[row].tolist() == [int(sub[cat].sum()), int((sub[cat] == 0).sum())]


def test_fisher_chi2_or_against_scipy_and_woolf(frame, detail):
    for r in detail.itertuples():
        t = two_by_two(frame, r.category, "border_status")
        a, b, c, d = t.ravel().astype(float)
        if not r.testable:
            assert math.isnan(r.p_fisher)
            continue
        assert r.p_fisher == pytest.approx(ss.fisher_exact(t).pvalue, abs=1e-12)
        chi = ss.chi2_contingency(t, correction=False)
        assert r.chi2 == pytest.approx(chi.statistic, abs=1e-9)
        assert r.p_chi2 == pytest.approx(chi.pvalue, abs=1e-12)
        assert r.min_expected == pytest.approx(chi.expected_freq.min(), abs=1e-12)
        if min(a, b, c, d) == 0:
            a, b, c, d = a + 0.5, b + 0.5, c + 0.5, d + 0.5
        orr = a * d / (b * c)
        se = math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
        assert r.odds_ratio == pytest.approx(orr, rel=1e-12)
        assert r.or_ci_low == pytest.approx(math.exp(math.log(orr) - Z * se), rel=1e-9)
        assert r.or_ci_high == pytest.approx(math.exp(math.log(orr) + Z * se), rel=1e-9)
        # also the "sample odds ratio" of scipy
        if not r.or_corrected:
            assert r.odds_ratio == pytest.approx(ss.contingency.odds_ratio(t, kind="sample").statistic, rel=1e-12)


def test_odds_ratio_direction_is_border_vs_non_border(detail):
    d = detail.set_index("category")
    # distance: 4/26 border, 65/97 non-border → OR = (4·32)/(22·65) < 1
    assert d.loc["distance", "odds_ratio"] == pytest.approx(4 * 32 / (22 * 65), rel=1e-12)
    assert d.loc["distance", ["k_exposed", "n_exposed", "k_reference", "n_reference"]].tolist() == [
        4,
        26,
        65,
        97,
    ]


def test_covid_is_not_a_test_and_leaves_the_family(detail):
    covid = detail.set_index("category").loc["covid"]
    assert not covid["testable"] and not covid["in_family"]
    for col in ("p_fisher", "p_rao_scott", "p_chi2", "chi2", "odds_ratio", "or_ci_low", "p_holm", "p_bh"):
        assert math.isnan(covid[col]), col
    assert "называют все 123" in covid["reason"] and "не проверяется" in covid["note"]


def test_exclusive_category_is_tested_but_leaves_the_family(detail):
    d = detail.set_index("category")
    assert d.loc["no_problems", "testable"] and not d.loc["no_problems", "in_family"]
    assert math.isnan(d.loc["no_problems", "p_holm"]) and not math.isnan(d.loc["no_problems", "p_rao_scott"])
    assert "исключает остальные" in d.loc["no_problems", "note"]


def test_rao_scott_is_primary_for_clustered_experts_and_holm_uses_it(detail):
    """123 experts in 77 units: the Rao–Scott test is primary; Holm and BH by hand over the 8
    categories of the family (COVID-19 not testable, «no problems» exclusive)."""
    assert detail.attrs["clustered"] and detail.attrs["n_clusters"] == 77
    fam = detail[detail["in_family"]]
    assert len(fam) == 8 and (fam["primary_test"] == "rao_scott").all()
    assert fam["p_primary"].tolist() == fam["p_rao_scott"].tolist()
    p = fam["p_primary"].tolist()
    assert fam["p_holm"].tolist() == pytest.approx(holm_by_hand(p), abs=1e-12)
    assert fam["p_bh"].tolist() == pytest.approx(bh_by_hand(p), abs=1e-12)


def test_rao_scott_matches_r_svychisq(frame, detail):
    """R survey 4.1.1, svychisq(~cat + border, svydesign(ids = ~unit_id), statistic = "F") on the
    codes of tests/reference/sample_codes.csv (the plain run's codes); the sample frame here is
    coded with the gold coding, so the categories where the two codings agree are compared."""
    ref = pd.read_csv(ROOT / "tests" / "reference" / "out" / "rao_scott.csv")
    ref = ref[ref["grouping"] == "border"].set_index("category")
    codes = pd.read_csv(ROOT / "tests" / "reference" / "sample_codes.csv").set_index("expert_id")
    d = detail.set_index("category")
    compared = 0
    for cat in CATS:
        if cat == "covid" or not (frame.set_index("expert_id")[cat] == codes[cat]).all():
            continue
        assert d.loc[cat, "rao_scott_f"] == pytest.approx(ref.loc[cat, "F"], rel=1e-9)
        assert d.loc[cat, "rao_scott_df1"] == pytest.approx(ref.loc[cat, "ndf"], rel=1e-9)
        assert d.loc[cat, "rao_scott_df2"] == pytest.approx(ref.loc[cat, "ddf"], rel=1e-9)
        assert d.loc[cat, "p_rao_scott"] == pytest.approx(ref.loc[cat, "F_p"], rel=1e-6)
        assert d.loc[cat, "deff"] == pytest.approx(ref.loc[cat, "deff_mean"], rel=1e-9)
        compared += 1
    assert compared >= 5
    # distance: F(1, 76) = 24.37, p = 4.6e-6 (the numbers of the issue)
    assert d.loc["distance", "rao_scott_f"] == pytest.approx(24.37, abs=0.005)
    assert d.loc["distance", "p_rao_scott"] == pytest.approx(4.6e-6, abs=0.05e-6)


def test_groups_of_one_unit_keep_the_design_based_test_as_r_does():
    """The German example grouped by partner_land: 13 groups, 9 of them a single unit. The design is
    not stratified by group, so R's svychisq computes the test (tests/reference/
    single_unit_groups_reference.R); the tool did the same only for groups of two units and more,
    and otherwise made the plain χ² — which ignores the clustering — the primary test (language:
    p = 0.008 against R's 0.163)."""
    data = pd.read_csv(
        ROOT / "tests" / "reference" / "single_unit_groups.csv", dtype={"expert_id": str, "unit_id": str}
    )
    ref = pd.read_csv(ROOT / "tests" / "reference" / "extra_out" / "single_unit_groups.csv").set_index("category")
    detail = problem_tests_detail(data, list(ref.index), "partner_land", n_permutations=0).set_index("category")
    assert (detail["primary_test"] == "rao_scott").all()
    for cat in ref.index:
        assert detail.loc[cat, "rao_scott_f"] == pytest.approx(ref.loc[cat, "F"], rel=1e-9)
        assert detail.loc[cat, "rao_scott_df1"] == pytest.approx(ref.loc[cat, "ndf"], rel=1e-9)
        assert detail.loc[cat, "rao_scott_df2"] == pytest.approx(ref.loc[cat, "ddf"], rel=1e-9)
        assert detail.loc[cat, "p_primary"] == pytest.approx(ref.loc[cat, "p"], rel=1e-6)
        assert "по одной единице" in detail.loc[cat, "note"] and "Бавария" in detail.loc[cat, "note"]
    assert detail.loc["language", "p_chi2"] < 0.01 < 0.16 < detail.loc["language", "p_primary"]


def test_experts_of_one_unit_get_plain_tests_said_as_such_and_no_crash():
    """Every expert in one unit, grouped by an answer: no design variance exists, so the tests are
    the plain ones (Fisher for two groups) and the note says why the Rao–Scott test is missing.
    The design-based effect sizes divided by zero here (a crash of the whole run)."""
    data = pd.DataFrame({"unit_id": ["u1"] * 6, "g": ["a", "a", "a", "b", "b", "b"], "x": [1, 1, 0, 0, 0, 1]})
    detail = problem_tests_detail(data, ["x"], "g", n_permutations=0)
    row = detail.iloc[0]
    assert row["primary_test"] == "fisher" and not detail.attrs["clustered"]
    assert row["p_primary"] == pytest.approx(ss.fisher_exact([[2, 1], [1, 2]]).pvalue)
    assert "критерий Рао–Скотта не определён (меньше двух единиц)" in row["note"]
    assert math.isnan(row["rd_design"])


def test_effect_sizes_by_hand(detail):
    r = detail.set_index("category").loc["distance"]  # 4/26 border, 65/97 non-border
    p1, p0 = 4 / 26, 65 / 97
    assert r["risk_difference"] == pytest.approx(p1 - p0, rel=1e-12)
    assert r["risk_ratio"] == pytest.approx(p1 / p0, rel=1e-12)
    se = math.sqrt(1 / 4 - 1 / 26 + 1 / 65 - 1 / 97)  # Katz
    assert r["rr_ci_low"] == pytest.approx(p1 / p0 * math.exp(-Z * se), rel=1e-9)
    assert r["rd_ci_low"] < r["risk_difference"] < r["rd_ci_high"] < 0
    # the conditional (exact) odds ratio and R fisher.test's interval (tests/reference/out/effects.csv)
    assert r["or_conditional"] == pytest.approx(0.0913888, rel=1e-3)
    assert (r["or_conditional_low"], r["or_conditional_high"]) == pytest.approx((0.021106, 0.299735), rel=1e-3)
    assert r["p_mid"] == pytest.approx(2.00834e-6, rel=1e-4) and r["p_mid"] < r["p_fisher"]


def test_more_than_two_groups_and_one_group(frame):
    d = problem_tests_detail(frame, ["distance", "language"], "macro_region", n_permutations=0).set_index("category")
    chi = ss.chi2_contingency(pd.crosstab(frame["macro_region"], frame["distance"]).to_numpy(), correction=False)
    assert d.loc["distance", "p_chi2"] == pytest.approx(chi.pvalue, abs=1e-12)
    assert d.loc["distance", "groups"] == 4 and math.isnan(d.loc["distance", "odds_ratio"])
    assert d.loc["distance", "primary_test"] == "rao_scott" and d.loc["distance", "rao_scott_df1"] > 1
    one = problem_tests_detail(frame.assign(all_="x"), ["distance"], "all_", n_permutations=0).iloc[0]
    assert not one["testable"] and "одна группа" in one["reason"] and math.isnan(one["p_primary"])


def test_adjust_keeps_nan_out_of_the_family():
    out = adjust_pvalues([0.01, math.nan, 0.04, 0.03], "holm")
    assert math.isnan(out[1])
    assert out[[0, 2, 3]].tolist() == pytest.approx(holm_by_hand([0.01, 0.04, 0.03]), abs=1e-15)


def test_low_expected_flag_and_note(detail):
    for r in detail.itertuples():
        if r.testable:
            assert r.low_expected == (r.min_expected < 5)
            assert ("< 5" in r.note) == r.low_expected


def test_haldane_correction_on_a_zero_cell():
    orr, low, high, corrected = odds_ratio([[0, 10], [5, 5]])
    assert corrected
    assert orr == pytest.approx((0.5 * 5.5) / (10.5 * 5.5), rel=1e-12)
    se = math.sqrt(1 / 0.5 + 1 / 10.5 + 1 / 5.5 + 1 / 5.5)
    assert low == pytest.approx(orr * math.exp(-Z * se), rel=1e-9)
    assert high == pytest.approx(orr * math.exp(Z * se), rel=1e-9)
    assert all(math.isnan(x) for x in odds_ratio([[3, 0], [5, 0]])[:3])


def test_contract_columns(frame):
    t = problem_tests(frame, CATS)
    assert list(t.columns) == PROBLEM_TESTS_COLUMNS
    assert t["category"].tolist() == CATS


def test_unit_level_fisher(frame, detail):
    from survey.analysis.frame import unit_frame

    units = unit_frame(frame, CATS)
    for r in detail.itertuples():
        if not r.testable:
            continue
        t = two_by_two(units, r.category, "border_status")
        assert (r.units_exposed, r.units_reference) == (t[0, 0], t[1, 0])
        assert r.p_fisher_units == pytest.approx(ss.fisher_exact(t).pvalue, abs=1e-12)


# ------------------------------------------------------------------ letters


def letters_by_hand(counts, bases, alpha=0.05):
    from statsmodels.stats.proportion import proportions_ztest

    k = len(counts)
    pairs = [(i, j) for i, j in itertools.combinations(range(k), 2) if bases[i] and bases[j]]
    out = [set() for _ in range(k)]
    for i, j in pairs:
        p1, p2 = counts[i] / bases[i], counts[j] / bases[j]
        if p1 in (0, 1) or p2 in (0, 1):
            continue
        _, p = proportions_ztest([counts[i], counts[j]], [bases[i], bases[j]])  # pooled, two-sided
        if p * len(pairs) < alpha:
            out[i if p1 > p2 else j].add("ABCDEFGH"[j if p1 > p2 else i])
    return ["".join(sorted(s)) for s in out]


@pytest.mark.parametrize(
    "counts,bases",
    [
        ([4, 65], [26, 97]),
        ([10, 30, 50, 12], [40, 60, 70, 50]),
        ([5, 5, 40, 0], [50, 50, 50, 20]),
        ([20, 20, 20], [40, 40, 40]),
        ([1, 9, 15], [10, 10, 20]),
    ],
)
def test_column_proportion_letters_against_statsmodels(counts, bases):
    assert column_proportion_letters(counts, bases) == letters_by_hand(counts, bases)


def test_letters_bonferroni_matters():
    # two groups: z-test p ≈ 0.03 → significant; with 4 groups the same pair needs p < 0.05/6
    counts, bases = [30, 45], [100, 100]
    assert column_proportion_letters(counts, bases) == ["", "A"]
    assert column_proportion_letters(counts + [37, 37], bases + [100, 100])[1] == ""


# ------------------------------------------------------------------ overall test


def test_overall_statistic_and_bonferroni_against_scipy(frame):
    t = overall_test(frame, CATS, n_permutations=199).set_index("method")
    testable = [c for c in CATS if 0 < frame[c].mean() < 1]
    chis = [
        ss.chi2_contingency(pd.crosstab(frame["border_status"], frame[c]).to_numpy(), correction=False)
        for c in testable
    ]
    assert t.loc["permutation", "statistic"] == pytest.approx(sum(c.statistic for c in chis), abs=1e-9)
    assert t.loc["bonferroni", "statistic"] == pytest.approx(max(c.statistic for c in chis), abs=1e-9)
    assert t.loc["bonferroni", "p_value"] == pytest.approx(min(1.0, len(chis) * min(c.pvalue for c in chis)), abs=1e-15)
    assert t.loc["bonferroni", "items_excluded"] == "covid"
    assert t.loc["bonferroni", "items_tested"] == 9


def test_overall_more_groups_against_scipy(frame):
    t = overall_test(frame, CATS, "macro_region", n_permutations=99).set_index("method")
    testable = [c for c in CATS if 0 < frame[c].mean() < 1]
    chis = [
        ss.chi2_contingency(pd.crosstab(frame["macro_region"], frame[c]).to_numpy(), correction=False) for c in testable
    ]
    assert t.loc["permutation", "statistic"] == pytest.approx(sum(c.statistic for c in chis), abs=1e-9)
    assert t.loc["bonferroni", "df"] == 3 and all(c.dof == 3 for c in chis)
    assert t.loc["bonferroni", "p_value"] == pytest.approx(min(1.0, 9 * min(c.pvalue for c in chis)), abs=1e-15)


def test_overall_large_n_leaves_out_expert_resampling_visibly(frame, monkeypatch):
    import survey.analysis.stats as st

    full = overall_test(frame, CATS, n_permutations=99).set_index("method")
    monkeypatch.setattr(st, "MAX_RESAMPLED", len(frame) - 1)
    t = overall_test(frame, CATS, n_permutations=99)
    main = t[t["family"] == "main"].set_index("method")
    # the rows stay, with no p-value and a note saying why; the asymptotic tests are unchanged
    for method in ("bootstrap", "permutation"):
        assert math.isnan(main.loc[method, "p_value"]) and "n >" in main.loc[method, "note"]
    for method in ("bonferroni", "rao_scott_2", "cluster_permutation"):
        assert main.loc[method, "p_value"] == pytest.approx(full.loc[method, "p_value"])


def test_permutation_is_seeded_and_deterministic(frame):
    a = overall_test(frame, CATS, n_permutations=499, seed=7)
    b = overall_test(frame, CATS, n_permutations=499, seed=7)
    pd.testing.assert_frame_equal(a, b)


def test_permutation_agrees_with_full_enumeration():
    # 8 rows, 2 groups of 4: all C(8,4) = 70 labelings enumerated exactly
    frame = pd.DataFrame({"g": list("aaaabbbb"), "x": [1, 1, 1, 0, 0, 0, 1, 0], "y": [1, 0, 1, 1, 0, 1, 0, 0]})
    y = frame[["x", "y"]].to_numpy(float)

    def stat(mask):
        total = 0.0
        for j in range(2):
            total += ss.chi2_contingency(pd.crosstab(mask, y[:, j]).to_numpy(), correction=False).statistic
        return total

    observed = stat(np.array([True] * 4 + [False] * 4))
    exact = np.mean([stat(np.isin(np.arange(8), c)) >= observed - 1e-9 for c in itertools.combinations(range(8), 4)])
    mc = permutation_pvalues(frame, ["x", "y"], "g", n_permutations=20000, seed=3)
    assert mc["statistic"] == pytest.approx(observed, abs=1e-12)
    assert mc["p_value"] == pytest.approx(exact, abs=0.01)


def test_cluster_permutation_moves_units_together():
    # each unit has 3 identical experts: the cluster test sees 6 units, not 18 experts
    units = pd.DataFrame({"unit_id": list("uvwxyz"), "g": list("aaabbb"), "x": [1, 1, 1, 0, 0, 1]})
    frame = units.loc[units.index.repeat(3)].reset_index(drop=True)
    expert = permutation_pvalues(frame, ["x"], "g", n_permutations=4999, seed=1)
    cluster = permutation_pvalues(frame, ["x"], "g", n_permutations=4999, seed=1, cluster="unit_id")
    assert cluster["n_clusters"] == 6
    # exact cluster p: labelings of 6 units into 3+3 with X² ≥ observed: P = 8/20 (Fisher-like)
    assert cluster["p_value"] == pytest.approx(0.4, abs=0.02)
    assert expert["p_value"] < cluster["p_value"]
    with pytest.raises(ValueError):
        bad = frame.assign(g=list("ab") * 9)
        permutation_pvalues(bad, ["x"], "g", n_permutations=10, cluster="unit_id")


def test_problem_tests_cluster_permutation_column(frame, detail):
    d = detail.set_index("category")
    assert math.isnan(d.loc["covid", "p_perm_cluster"])
    assert 0 < d.loc["distance", "p_perm_cluster"] < 0.05
    assert ((d["p_perm_cluster"].dropna() > 0) & (d["p_perm_cluster"].dropna() <= 1)).all()


# ------------------------------------------------------------------ scale tests


def test_scale_tests_against_scipy(frame, questionnaire):
    t = scale_tests(frame, questionnaire).set_index("question")
    for qid in ("q1_state", "q6_prospects"):
        x = frame.loc[(frame["border_status"] == "border") & frame[qid].between(1, 5), qid].astype(float)
        y = frame.loc[(frame["border_status"] == "non_border") & frame[qid].between(1, 5), qid].astype(float)
        ref = ss.mannwhitneyu(x, y, alternative="two-sided")
        assert t.loc[qid, "naive_test"] == "mann_whitney_u"
        assert t.loc[qid, "p_naive"] == pytest.approx(ref.pvalue, abs=1e-12)
    k = scale_tests(frame, questionnaire, "macro_region").set_index("question")
    samples = [
        frame.loc[(frame["macro_region"] == g) & frame["q1_state"].between(1, 5), "q1_state"].astype(float)
        for g in sorted(frame["macro_region"].unique())
    ]
    assert k.loc["q1_state", "p_naive"] == pytest.approx(ss.kruskal(*samples).pvalue, abs=1e-12)


def test_scale_tests_respect_the_design_as_r_svyranktest(frame, questionnaire):
    """The primary scale test is R's svyranktest (rank_reference.R): border (t) and macro-region (F)."""
    ref = pd.read_csv(ROOT / "tests" / "reference" / "extra_out" / "rank_tests.csv")
    for grouping, group_by, test in (("border", "border_status", "svy_wilcoxon"),
                                     ("macro_region", "macro_region", "svy_kruskal_wallis")):  # fmt: skip
        t = scale_tests(frame, questionnaire, group_by).set_index("question")
        for r in ref[ref["grouping"] == grouping].itertuples():
            row = t.loc[r.question]
            assert row["test"] == test and row["n"] == r.n and row["df2"] == r.df2
            # R's groups are border = 0, 1; here border, non_border: the t statistic changes sign
            assert abs(row["statistic"]) == pytest.approx(abs(r.statistic), rel=1e-9)
            assert row["p_value"] == pytest.approx(r.p, rel=1e-9)


def test_unit_permutation_equals_expert_permutation_when_every_unit_has_one_expert(frame):
    """With one expert per unit, permuting units is permuting experts: the same p, the same
    per-category p, draw for draw (issue 13: the unit permutation recomputes the group sizes)."""
    one = frame.drop_duplicates("unit_id").reset_index(drop=True)
    items = ["distance", "language", "legal", "interest"]
    unit = permutation_pvalues(one, items, "border_status", n_permutations=999, seed=5, cluster="unit_id")
    expert = permutation_pvalues(one, items, "border_status", n_permutations=999, seed=5)
    assert unit["p_value"] == expert["p_value"] and unit["items"] == expert["items"]


def test_unit_permutation_changes_group_sizes(frame):
    """Units of different size: with fixed expert group sizes (the old bug) the distance p was
    0.0023; with group sizes recomputed per permutation it is about 0.0001 (R: 3e-5 with 99,999)."""
    p = permutation_pvalues(frame, ["distance"], "border_status", n_permutations=9999, seed=1, cluster="unit_id")
    assert p["items"]["distance"] < 0.001


@pytest.mark.parametrize("rows", [1, 2, 3, 6])
@pytest.mark.parametrize("group_by", ["border_status", "macro_region"])
def test_closed_question_tests_on_tiny_or_empty_answers_never_crash(frame, questionnaire, rows, group_by):
    """A handful of experts, answers all «затрудняюсь ответить» but one: no test, a reason, no crash
    (a property test found a division by zero here)."""
    part = frame.head(rows).copy()
    part.attrs = dict(frame.attrs)
    part.loc[part.index[1:], ["q4_covid", "q1_state", "q6_prospects"]] = 9
    for table in (scale_tests(part, questionnaire, group_by), single_choice_tests(part, questionnaire, group_by)):
        assert table["p_value"].isna().all()
        assert (table["test"].eq("") | table["note"].astype(str).ne("")).all()
