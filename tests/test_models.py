"""Logistic models: estimates and cluster-robust errors checked by a hand implementation."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from scipy import stats as ss

from survey.analysis.models import MODEL_COLUMNS, category_models, design_matrix, fit_logit
from survey.errors import UsageError

from .helpers import CATS, Z


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
    """Sandwich H⁻¹ (Σ_g s_g s_gᵀ) H⁻¹ with the factor G/(G−1)·(N−1)/(N−K)."""
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


def test_columns(models):
    assert list(models.columns) == MODEL_COLUMNS
    assert models["term"].unique().tolist() == ["intercept", "border", "region", "log10_distance"]


def test_estimates_and_cluster_errors_by_hand(frame, models):
    x = design_matrix(frame).to_numpy()
    groups = frame["unit_id"].to_numpy()
    for cat in CATS:
        rows = models[models["category"] == cat]
        if rows["status"].iloc[0] != "ok":
            continue
        y = frame[cat].to_numpy(float)
        b = newton_logit(y, x)
        se = np.sqrt(np.diag(cluster_cov_by_hand(y, x, b, groups)))
        assert rows["coef"].to_numpy() == pytest.approx(b, abs=1e-6)
        assert rows["se"].to_numpy() == pytest.approx(se, rel=1e-5)
        assert rows["odds_ratio"].to_numpy() == pytest.approx(np.exp(b), rel=1e-5)
        assert rows["ci_low"].to_numpy() == pytest.approx(np.exp(b - Z * se), rel=1e-5)
        assert rows["ci_high"].to_numpy() == pytest.approx(np.exp(b + Z * se), rel=1e-5)
        assert rows["p_value"].to_numpy() == pytest.approx(2 * ss.norm.sf(np.abs(b / se)), rel=1e-4, abs=1e-9)
        assert (rows["n_clusters"] == 77).all() and (rows["n"] == 123).all()
        assert (rows["events"] == int(y.sum())).all()


def test_covid_has_no_variation(models):
    covid = models[models["category"] == "covid"]
    assert (covid["status"] == "no_variation").all()
    assert covid[["odds_ratio", "ci_low", "ci_high", "p_value", "coef", "se"]].isna().all().all()
    assert "123 из 123" in covid["note"].iloc[0]


def test_quasi_separation_is_reported(frame):
    f = frame.copy()
    f["only_border"] = (f["border_status"] == "border").astype(int) | f["distance"]  # all border experts: 1
    m = category_models(f, ["only_border"])
    assert (m["status"] == "separation").all()
    assert m["odds_ratio"].isna().all()
    assert "разделение" in m["note"].iloc[0]


def test_complete_separation_on_a_continuous_covariate():
    x = pd.DataFrame({"intercept": 1.0, "d": np.arange(20, dtype=float)})
    y = (np.arange(20) >= 10).astype(float)
    fit = fit_logit(y, x, np.arange(20))
    assert fit["status"] == "separation" and fit["result"] is None


def test_other_adjustment(frame):
    m = category_models(frame, ["distance"], adjust_for="macro_region")
    reference = frame["macro_region"].value_counts().idxmax()
    assert m.attrs["reference"] == reference
    assert f"macro_region={reference}" not in set(m["term"])
    assert {"macro_region=far_east", "border", "region"} <= set(m["term"])
    with pytest.raises(UsageError):
        category_models(frame, ["distance"], adjust_for="nonsense")


def test_ten_models_are_fast(frame):
    category_models(frame, CATS)  # imports done
    start = time.perf_counter()
    category_models(frame, CATS)
    assert time.perf_counter() - start < 0.5
