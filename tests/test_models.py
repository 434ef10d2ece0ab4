"""Logistic models: estimates by a hand Newton–Raphson, CR1 by the sandwich formula, CR2 and Firth
against R (tests/reference), the choice of method and the reasons a model is not fitted."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from survey.analysis.models import MIN_EPP, MODEL_COLUMNS, category_models, design_matrix
from survey.errors import UsageError
from survey.spec.study import ModelTerm

from .conftest import ROOT
from .helpers import CATS

REFERENCE = ROOT / "tests" / "reference" / "extra_out" / "models_tight.csv"


@pytest.fixture(scope="module")
def models(frame):
    return category_models(frame, CATS)


def newton_logit(y, x, iterations=50):
    """Maximum likelihood by Newton–Raphson, written out."""
    b = np.zeros(x.shape[1])
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-x @ b))
        grad = x.T @ (y - p)
        hess = x.T @ (x * (p * (1 - p))[:, None])
        step = np.linalg.solve(hess, grad)
        b += step
        if np.abs(step).max() < 1e-12:
            break
    return b


def cluster_cov_by_hand(y, x, b, groups):
    """Sandwich H⁻¹ (Σ_g s_g s_gᵀ) H⁻¹ with the factor G/(G−1)·(N−1)/(N−K) (CR1)."""
    p = 1 / (1 + np.exp(-x @ b))
    hinv = np.linalg.inv(x.T @ (x * (p * (1 - p))[:, None]))
    scores = x * (y - p)[:, None]
    meat = np.zeros((x.shape[1], x.shape[1]))
    for g in np.unique(groups):
        s = scores[groups == g].sum(axis=0)
        meat += np.outer(s, s)
    n, k = x.shape
    n_groups = len(np.unique(groups))
    return hinv @ meat @ hinv * (n_groups / (n_groups - 1)) * ((n - 1) / (n - k))


def test_columns_and_terms_from_the_study(models):
    assert list(models.columns) == MODEL_COLUMNS
    coefs = models[models["method"] != "joint_cr2"]
    assert coefs["term"].unique().tolist() == ["intercept", "border", "region", "log10_distance"]
    joint = models[models["method"] == "joint_cr2"]
    assert set(joint["term"]) == {"border+log10_distance"}
    # the intercept is labelled for what it is: the odds when every covariate is 0 (0 km included)
    label = coefs.loc[coefs["term"] == "intercept", "term_label"].iloc[0]
    assert "нулевых значениях" in label and "log10_distance" in label


def test_maximum_likelihood_and_cr1_by_hand(frame, models):
    x = design_matrix(frame).to_numpy()
    groups = frame["unit_id"].to_numpy()
    checked = 0
    for cat in CATS:
        rows = models[(models["category"] == cat) & (models["method"] == "cr2")]
        if rows.empty:
            continue
        y = frame[cat].to_numpy(float)
        b = newton_logit(y, x)
        se1 = np.sqrt(np.diag(cluster_cov_by_hand(y, x, b, groups)))
        assert rows["coef"].to_numpy() == pytest.approx(b, abs=1e-6)
        assert rows["odds_ratio"].to_numpy() == pytest.approx(np.exp(b), rel=1e-6)
        assert rows["se_cr1"].to_numpy() == pytest.approx(se1, rel=1e-5)
        assert (rows["n_clusters"] == 77).all() and (rows["n"] == 123).all()
        checked += 1
    assert checked >= 2


def test_cr2_satterthwaite_matches_r_clubsandwich(models):
    """tests/reference/extra_out/models_tight.csv: R clubSandwich::coef_test(vcov = "CR2",
    test = "Satterthwaite") on the codes R used (tests/reference/sample_codes.csv) and R's model
    (log10(km), where the study's model uses log10(1 + km)), fitted through the study-terms interface."""
    ref = pd.read_csv(REFERENCE)
    codes = pd.read_csv(ROOT / "tests" / "reference" / "sample_codes.csv")
    x = codes.assign(
        border_status=codes["border"].map({1: "border", 0: "non_border"}), log10_km=np.log10(codes["distance_km"])
    )
    for cat in ("distance", "funding", "mentality"):
        rows = models[(models["category"] == cat) & (models["method"] == "cr2")].set_index("term")
        r = ref[ref["category"] == cat].set_index("term")
        terms = [
            ModelTerm("border", "border_status", "b", "border"),
            ModelTerm("region", "kind", "r", "region"),
            ModelTerm("log10_km", "log10_km", "d"),
        ]
        m = category_models(x, [cat], terms=terms, joint=[]).set_index("term")
        for ours, theirs in (("border", "border"), ("region", "region"), ("log10_km", "log10(distance_km)")):
            assert m.loc[ours, "coef"] == pytest.approx(r.loc[theirs, "glm_coef"], rel=1e-7)
            assert m.loc[ours, "se"] == pytest.approx(r.loc[theirs, "cr2_se"], rel=1e-7)
            assert m.loc[ours, "df"] == pytest.approx(r.loc[theirs, "cr2_df"], rel=1e-7)
            assert m.loc[ours, "p_value"] == pytest.approx(r.loc[theirs, "cr2_p"], rel=1e-6)
        assert rows.loc["border", "ci_low"] < rows.loc["border", "odds_ratio"] < rows.loc["border", "ci_high"]


def test_firth_where_events_are_scarce(models):
    for cat, part in models[models["method"] != "joint_cr2"].groupby("category"):
        if part["status"].iloc[0] != "ok":
            continue
        epp = part["epp"].iloc[0]
        assert (part["method"] == ("firth" if epp < MIN_EPP else "cr2")).all(), cat
        if epp < MIN_EPP:
            assert "Фирта" in part["note"].iloc[0] and part["df"].isna().all()
    # the sample: legal 22 of 123 → epp = 22/4 = 5.5 < 10 → Firth; distance 54 no → 13.5 → CR2
    assert models.loc[models["category"] == "legal", "epp"].iloc[0] == pytest.approx(22 / 4)


def test_covid_has_no_variation(models):
    covid = models[models["category"] == "covid"]
    assert (covid["status"] == "no_variation").all()
    assert covid[["odds_ratio", "ci_low", "ci_high", "p_value", "coef", "se"]].isna().all().all()
    assert "123 из 123" in covid["note"].iloc[0]


def test_separation_gives_firth_estimates(frame):
    f = frame.copy()
    f["only_border"] = (f["border_status"] == "border").astype(int) | f["distance"]  # all border experts: 1
    m = category_models(f, ["only_border"])
    coefs = m[m["method"] != "joint_cr2"]
    assert (coefs["method"] == "firth").all() and (coefs["status"] == "ok").all()
    assert "разделение" in coefs["note"].iloc[0]
    border = coefs.set_index("term").loc["border"]
    assert math.isfinite(border["odds_ratio"]) and border["odds_ratio"] > 1
    assert not (m["method"] == "joint_cr2").any()  # no joint ML test without an ML estimate


def test_other_adjustment(frame):
    m = category_models(frame, ["distance"], adjust_for="macro_region")
    reference = frame["macro_region"].value_counts().idxmax()
    assert m.attrs["reference"] == reference
    assert f"macro_region={reference}" not in set(m["term"])
    assert {"macro_region=far_east", "border", "region"} <= set(m["term"])
    assert "log10_distance" not in set(m["term"])  # the numeric term is replaced
    with pytest.raises(UsageError):
        category_models(frame, ["distance"], adjust_for="nonsense")


def test_no_terms_no_models(frame):
    m = category_models(frame, ["distance"], terms=[])
    assert m.empty and m.attrs["no_terms"]


def test_degenerate_data_never_crash():
    # two units, one of them a single expert: the CR2 contributions vanish, so the Satterthwaite df
    # and the statistics over a zero standard error are undefined — NaN, with no warning and no
    # infinite number in the table
    tiny = pd.DataFrame({"unit_id": list("aab"), "g": ["x", "x", "y"], "c": [1, 0, 1]})
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        m = category_models(tiny, ["c"], terms=[ModelTerm("gx", "g", "x", "x")], joint=[])
    assert m["status"].isin(["ok", "failed"]).all()
    numbers = m.select_dtypes("number").to_numpy(dtype=float)
    assert not np.isinf(numbers).any()
    assert m["p_value"].dropna().between(0, 1).all()


def test_a_penalised_refit_through_a_singular_matrix_is_a_failed_model_not_a_crash(frame):
    # review 48 #1: a pilot of ten experts (three of them in one border unit) crashed `survey run`
    # («LinAlgError: Singular matrix»): the plain fit passed, the Firth refit for too few events
    # per parameter met a singular information matrix while profiling
    unit = ["unit_id", *frame.columns[frame.columns.get_loc("name") :]]
    pilot = frame.head(10).copy()
    border = frame[frame["unit_id"] == "birobidzhan"].iloc[0]
    for i in (1, 2):
        pilot.iloc[i, [pilot.columns.get_loc(c) for c in unit]] = border[unit].to_numpy()
    pilot["funding"] = [1, 0, 1, 0, 1, 1, 1, 0, 0, 0]
    m = category_models(pilot, ["funding", "distance"])
    funding = m[m["category"] == "funding"]
    assert (funding["status"] == "failed").all()
    assert funding["note"].str.contains("линейно зависимы").all()
    assert set(m[m["category"] == "distance"]["status"]) <= {"ok", "failed", "no_variation"}


def test_a_numeric_term_over_a_column_with_text_is_a_clear_error():
    # review 46b #2: «620,0» in a numeric column crashed the run («Внутренняя ошибка программы»)
    from survey.errors import ConfigError

    frame = pd.DataFrame({"students": ["850.5", "620,0", "n/a", None], "unit_id": list("abcd")})
    with pytest.raises(ConfigError) as err:
        design_matrix(frame, [ModelTerm("students", "students", "ученики", None)])
    assert "столбца «students»" in err.value.message and "«620,0», «n/a»" in err.value.message


def test_a_second_joint_test_that_cannot_be_computed_is_a_failed_row(frame, monkeypatch):
    # the second and later joint tests refit the model; a singular matrix there gives a row with
    # the reason, as the first fit does, not a crash of the run
    from survey.analysis import design

    real = design.logit_models

    def failing_second(data, y, names, cluster, joint=None, firth=True, **kw):
        if joint == ["region", "log10_distance"]:
            raise np.linalg.LinAlgError("Singular matrix")
        return real(data, y, names, cluster, joint=joint, firth=firth, **kw)

    monkeypatch.setattr(design, "logit_models", failing_second)
    m = category_models(frame, ["distance"], joint=[["border", "log10_distance"], ["region", "log10_distance"]])
    first, second = (m[m["term"] == t].iloc[0] for t in ("border+log10_distance", "region+log10_distance"))
    assert first["status"] == "ok" and first["method"] == "joint_cr2"
    assert second["status"] == "failed" and "совместный тест не оценивается" in second["note"]
    assert (m[m["term"].isin(["border", "region", "log10_distance"])]["status"] == "ok").all()
