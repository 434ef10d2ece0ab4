"""End to end: `survey run` writes the analysis tables of the contract, and they reproduce the study."""

from __future__ import annotations

import csv
import json
import math

import pandas as pd
import pytest

from survey.pipeline import run

from .conftest import ROOT
from .helpers import CATS

CONTRACT = {
    "problems_by_group.csv": ["category", "group", "base", "respondents", "percent", "ci_low", "ci_high"],
    "problem_tests.csv": [
        "category",
        "odds_ratio",
        "or_ci_low",
        "or_ci_high",
        "p_fisher",
        "p_chi2",
        "p_holm",
        "p_bh",
        "min_expected",
        "rao_scott_f",
        "rao_scott_df1",
        "rao_scott_df2",
        "p_rao_scott",
        "deff",
    ],
    "published_check.csv": ["figure", "published", "computed", "match"],
}


@pytest.fixture(scope="module")
def reviewed(sample_run):
    """A plain `survey run` on the sample: the automatic coding, no overrides."""
    return sample_run.out, sample_run


@pytest.fixture(scope="module")
def by_district(tmp_path_factory):
    out = tmp_path_factory.mktemp("district")
    result = run(ROOT / "responses" / "sample.xlsx", out, group_by="federal_district")
    return out, result


def read(out, name):
    return pd.read_csv(out / "tables" / name, encoding="utf-8", keep_default_na=False, na_values=[""])


def test_contract_files_have_exactly_these_columns(reviewed):
    out, _ = reviewed
    for name, columns in CONTRACT.items():
        raw = (out / "tables" / name).read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf")  # UTF-8 without BOM
        with open(out / "tables" / name, encoding="utf-8", newline="") as fh:
            assert next(csv.reader(fh)) == columns, name


def test_published_check_matches_on_every_row(reviewed):
    out, _ = reviewed
    check = read(out, "published_check.csv")
    assert check["figure"].tolist() == [
        "experts",
        "units",
        "cities",
        "regions",
        "distance",
        "mentality",
        "covid",
    ]
    assert check["published"].tolist() == [123, 77, 57, 20, 69, 42, 123]
    assert check["match"].astype(str).tolist() == ["True"] * 7, check
    assert (check["computed"] == check["published"]).all()


def test_problems_by_group_on_the_sample(reviewed):
    out, _ = reviewed
    t = read(out, "problems_by_group.csv")
    assert t["category"].unique().tolist() == CATS
    assert set(t["group"]) == {"border", "non_border", "total"}
    assert t[["percent", "ci_low", "ci_high"]].apply(lambda c: c.between(0, 100)).all().all()
    d = t[t["category"] == "distance"].set_index("group")
    assert d.loc["border", ["base", "respondents"]].tolist() == [26, 4]
    assert d.loc["non_border", ["base", "respondents"]].tolist() == [97, 65]
    assert d.loc["total", ["base", "respondents"]].tolist() == [123, 69]
    assert d.loc["border", "percent"] == pytest.approx(100 * 4 / 26, abs=1e-9)


def test_problem_tests_on_the_sample(reviewed):
    out, _ = reviewed
    t = read(out, "problem_tests.csv").set_index("category")
    assert t.index.tolist() == CATS
    covid = t.loc["covid"]  # everybody names it: no test, blank
    for col in ("odds_ratio", "or_ci_low", "or_ci_high", "p_fisher", "p_chi2", "p_holm", "p_bh", "p_rao_scott"):
        assert math.isnan(covid[col]), col
    assert t.loc["distance", "odds_ratio"] < 1 and t.loc["distance", "p_holm"] < 0.001
    # distance by border status: Rao–Scott F(1, 76) = 24.37, p = 4.6e-6 (R svychisq, tests/reference)
    assert t.loc["distance", ["rao_scott_f", "rao_scott_df1", "rao_scott_df2"]].tolist() == pytest.approx(
        [24.370322, 1.0, 76.0], abs=1e-6
    )
    assert t.loc["distance", "p_rao_scott"] == pytest.approx(4.586272e-06, rel=1e-6)
    ref = pd.read_csv(ROOT / "tests" / "reference" / "out" / "rao_scott.csv")
    ref = ref[ref["grouping"] == "border"].set_index("category")
    for cat in CATS:  # the plain run's codes are the ones R used: every category equal to 1e-6
        if cat != "covid":
            assert t.loc[cat, "p_rao_scott"] == pytest.approx(ref.loc[cat, "F_p"], rel=1e-6), cat
    # no_problems excludes the others: tested, not adjusted
    assert not math.isnan(t.loc["no_problems", "p_rao_scott"]) and math.isnan(t.loc["no_problems", "p_holm"])
    assert t.drop(index=["covid", "no_problems"])[["p_fisher", "p_chi2", "p_holm", "p_bh"]].notna().all().all()


def test_more_tables_and_run_json(reviewed):
    out, result = reviewed
    for name in (
        "problems_by_group_detail.csv",
        "problems_by_group_units.csv",
        "problem_tests_detail.csv",
        "overall_test.csv",
        "models.csv",
        "closed_frequencies.csv",
        "closed_by_group.csv",
        "closed_multiple_by_group.csv",
        "closed_multiple_tests.csv",
        "scale_summary.csv",
        "scale_tests.csv",
        "units_problems.csv",
    ):
        assert (out / "tables" / name).is_file(), name
    manifest = json.loads((out / "run.json").read_text(encoding="utf-8"))
    for key in ("respondents_accepted", "coding", "outputs", "inputs", "versions"):
        assert key in manifest
    analysis = manifest["analysis"]
    assert analysis["published_check"] == {"figures": 7, "all_match": True, "mismatches": {}}
    assert analysis["group_by"] == "border_status"
    assert analysis["problems_by_group"]["distance"]["border"] == {
        "respondents": 4,
        "base": 26,
        "percent": 15.38,
    }
    assert analysis["models"]["covid"] == "no_variation"
    assert "tables/problems_by_group.csv" in manifest["outputs"]
    models = read(out, "models.csv")
    assert set(models.loc[models["category"] == "covid", "status"]) == {"no_variation"}
    units = read(out, "units_problems.csv")
    assert len(units) == 77 and units["n_experts"].sum() == 123
    assert result.analysis is not None and result.analysis.group_by == "border_status"
    overall = read(out, "overall_test.csv")
    main = overall[overall["family"] == "main"].set_index("method")
    assert main.loc["cluster_permutation", "items_tested"] == 8  # no COVID (universal), no «no problems»
    # the corrected unit permutation (R, 99,999 permutations: 0.00100 for these 8 categories)
    assert main.loc["cluster_permutation", "p_value"] < 0.004
    both = overall[overall["family"] == "with_exclusive"].set_index("method")
    # with «no problems» kept, the family: p ≈ 0.0025 (R 0.00202), within Monte Carlo error
    assert abs(both.loc["cluster_permutation", "p_value"] - 0.0025) < 4 * math.sqrt(0.0025 * 0.9975 / 9999)


@pytest.mark.slow
def test_tables_are_byte_identical_on_a_second_run(reviewed, second_run):
    out, _ = reviewed
    again = second_run.out
    names = sorted(p.name for p in (out / "tables").iterdir())
    assert names == sorted(p.name for p in (again / "tables").iterdir())
    for name in names:
        assert (out / "tables" / name).read_bytes() == (again / "tables" / name).read_bytes(), name


@pytest.mark.slow
def test_group_by_federal_district(by_district):
    out, _ = by_district
    t = read(out, "problems_by_group.csv")
    districts = sorted(pd.read_csv(ROOT / "responses" / "units.csv")["federal_district"].unique())
    assert t.loc[t["category"] == "distance", "group"].tolist() == districts + ["total"]
    assert t.loc[(t["category"] == "distance") & (t["group"] != "total"), "base"].sum() == 123
    overall = read(out, "overall_test.csv")
    assert set(overall["group_by"]) == {"federal_district"}  # tests follow the grouping
    tests = read(out, "problem_tests.csv")
    assert list(tests.columns) == CONTRACT["problem_tests.csv"]
    assert tests["odds_ratio"].isna().all()  # 8 districts: no odds ratio
    assert (tests.loc[tests["category"] == "distance", "rao_scott_df1"] > 1).all()


def test_published_check_uses_the_final_codes_of_the_run(by_district):
    out, _ = by_district
    check = read(out, "published_check.csv").set_index("figure")
    final = pd.read_csv(out / "coding" / "codes_final.csv")
    for cat in ("distance", "mentality", "covid"):
        assert check.loc[cat, "computed"] == int(final[cat].sum())
        assert check.loc[cat, "match"] == (int(final[cat].sum()) == check.loc[cat, "published"])


def test_unknown_group_by_is_refused(cli_run, tmp_path, capsys):
    code = cli_run("run", "--out", tmp_path / "r", "--group-by", "federal_distrikt")
    err = capsys.readouterr().err
    assert code == 2
    assert "Нет столбца «federal_distrikt»" in err and "federal_district" in err
    assert not (tmp_path / "r" / "tables").exists()
