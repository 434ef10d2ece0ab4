"""Logistic regressions per problem category, with standard errors clustered by unit.

For each category: logit P(expert names it) = b0 + b1·border + b2·region + b3·log10(1 + km)
(``adjust_for="distance"``, the default) or with dummies of the federal district or
macro-region instead of the distance (``adjust_for="federal_district"`` / ``"macro_region"``;
the reference level is the one with most experts). ``border`` is 1 for an expert of a border
unit, ``region`` 1 for an expert of a region (0: a city), ``log10_distance`` the distance to
the Russia–China border (:mod:`survey.spec.geo`): its odds ratio is per tenfold distance.

Several experts share a unit, so the covariance is cluster-robust by unit (statsmodels
``cov_type="cluster"``, with the small-sample factor G/(G − 1)·(N − 1)/(N − K)); intervals
and p-values use the normal distribution. Border status and distance are strongly related
(every border unit is nearer than any other unit), so their separate effects are estimated
with wide intervals; read them together.

A model that cannot be fitted is reported, not printed as numbers: ``status`` is

* ``no_variation`` — every expert (or none) names the category (COVID-19: 123 of 123);
* ``separation`` — among the experts with one value of a binary covariate everybody (or
  nobody) names it, or the fit diverges: the maximum-likelihood estimate does not exist;
* ``not_converged`` / ``failed`` — the optimiser did not converge or failed;
* ``ok`` otherwise.

>>> from survey.analysis.frame import sample_frame
>>> m = category_models(sample_frame(), ["distance", "covid"])
>>> m[["category", "term", "status"]]
   category            term        status
0  distance       intercept            ok
1  distance          border            ok
2  distance          region            ok
3  distance  log10_distance            ok
4     covid       intercept  no_variation
5     covid          border  no_variation
6     covid          region  no_variation
7     covid  log10_distance  no_variation
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from survey.errors import UsageError

TERM_LABELS = {
    "intercept": "константа (шансы в опорной группе)",
    "border": "приграничная единица (vs неприграничная)",
    "region": "регион (vs город)",
    "log10_distance": "расстояние до границы с Китаем, ×10",
}
ADJUST_FOR = ("distance", "federal_district", "macro_region")
MODEL_COLUMNS = [
    "category",
    "label",
    "term",
    "term_label",
    "odds_ratio",
    "ci_low",
    "ci_high",
    "p_value",
    "coef",
    "se",
    "n",
    "events",
    "n_clusters",
    "status",
    "note",
]
MAX_ABS_COEF = 15.0  # |b| beyond this on the logit scale: the fit is running away (separation)


def design_matrix(frame: pd.DataFrame, adjust_for: str = "distance") -> pd.DataFrame:
    """The covariates of the models: ``intercept, border, region`` and the adjustment.

    ``adjust_for="distance"`` adds ``log10_distance``; ``"federal_district"`` or
    ``"macro_region"`` adds one 0/1 column per level except the reference (most experts; ties:
    first in sorted order), named ``<column>=<level>``.
    """
    if adjust_for not in ADJUST_FOR:
        raise UsageError(f"adjust_for «{adjust_for}»: допустимо {', '.join(ADJUST_FOR)}.")
    x = pd.DataFrame(index=frame.index)
    x["intercept"] = 1.0
    x["border"] = (frame["border_status"] == "border").astype(float)
    x["region"] = (frame["kind"] == "region").astype(float)
    if adjust_for == "distance":
        x["log10_distance"] = frame["log10_distance"].astype(float)
    else:
        col = frame[adjust_for].astype(str)
        counts = col.value_counts()
        reference = sorted(counts[counts == counts.max()].index)[0]
        for level in sorted(set(col) - {reference}):
            x[f"{adjust_for}={level}"] = (col == level).astype(float)
        x.attrs["reference"] = reference
    return x


def _binary(col: np.ndarray) -> bool:
    return set(np.unique(col)).issubset({0.0, 1.0})


def _separation(y: np.ndarray, x: pd.DataFrame) -> str | None:
    for term in x.columns:
        if term == "intercept":
            continue
        v = x[term].to_numpy()
        if not _binary(v) or len(np.unique(v)) < 2:
            continue
        for level in (0.0, 1.0):
            ys = y[v == level]
            if len(ys) and (ys.min() == ys.max()):
                who = "все" if ys[0] == 1 else "никто"
                return (
                    f"квазиполное разделение: при {term} = {int(level)} категорию называют {who} "
                    f"({int(ys.sum())} из {len(ys)}), оценка максимального правдоподобия не существует"
                )
    return None


def fit_logit(y, x: pd.DataFrame, groups) -> dict:
    """Fit one logit with cluster-robust covariance; returns ``status``, ``note`` and the result.

    ``y``: 0/1; ``x``: :func:`design_matrix`; ``groups``: cluster labels (unit ids).
    """
    from statsmodels.discrete.discrete_model import Logit
    from statsmodels.tools.sm_exceptions import (
        ConvergenceWarning,
        PerfectSeparationError,
        PerfectSeparationWarning,
    )

    y = np.asarray(y, dtype=float)
    if y.min() == y.max():
        who = "все эксперты" if y[0] == 1 else "ни один эксперт не"
        return {
            "status": "no_variation",
            "note": f"{who} называют категорию ({int(y.sum())} из {len(y)}): нет вариации, модель не оценивается",
            "result": None,
        }
    sep = _separation(y, x)
    if sep:
        return {"status": "separation", "note": sep, "result": None}
    codes = pd.Categorical(pd.Series(groups).astype(str)).codes
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = Logit(y, x.to_numpy(dtype=float)).fit(
                disp=0, maxiter=100, cov_type="cluster", cov_kwds={"groups": codes}
            )
        except (PerfectSeparationError, np.linalg.LinAlgError, ValueError) as exc:
            return {"status": "failed", "note": f"модель не оценивается: {exc}", "result": None}
    kinds = {type(w.message) for w in caught} | {w.category for w in caught}
    params, bse = np.asarray(res.params), np.asarray(res.bse)
    if PerfectSeparationWarning in kinds or np.abs(params).max() > MAX_ABS_COEF:
        return {
            "status": "separation",
            "note": "разделение: оценки уходят в бесконечность, оценка максимального правдоподобия не существует",
            "result": None,
        }
    if not res.mle_retvals.get("converged", False) or ConvergenceWarning in kinds:
        return {"status": "not_converged", "note": "оптимизация не сошлась: оценки ненадёжны", "result": None}
    if not (np.isfinite(params).all() and np.isfinite(bse).all()):
        return {
            "status": "failed",
            "note": "стандартные ошибки не определены (вырожденная матрица)",
            "result": None,
        }
    return {"status": "ok", "note": "", "result": res}


def category_models(
    frame: pd.DataFrame,
    categories: Sequence[str] | None = None,
    *,
    adjust_for: str = "distance",
    cluster: str = "unit_id",
    labels: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One logistic regression per category; tidy odds ratios with 95 % intervals.

    Columns: ``category, label, term, term_label, odds_ratio, ci_low, ci_high, p_value,
    coef, se`` (logit scale, cluster-robust), ``n`` (experts), ``events`` (experts naming the
    category), ``n_clusters`` (units), ``status``, ``note`` (Russian; why a model was not
    fitted). One row per category × term; the numbers are empty unless ``status`` is ``ok``.
    """
    categories = list(categories) if categories is not None else list(frame.attrs["categories"])
    labels = dict(labels or {})
    x = design_matrix(frame, adjust_for)
    groups = frame[cluster].astype(str).to_numpy()
    n_clusters = int(pd.Series(groups).nunique())
    rows = []
    for cat in categories:
        y = frame[cat].fillna(0).astype(float).to_numpy()
        fit = fit_logit(y, x, groups)
        res = fit["result"]
        if res is not None:
            params, bse = np.asarray(res.params), np.asarray(res.bse)
            ci = np.asarray(res.conf_int(alpha=0.05))
            pvalues = np.asarray(res.pvalues)
        for i, term in enumerate(x.columns):
            row = {
                "category": cat,
                "label": labels.get(cat, cat),
                "term": term,
                "term_label": TERM_LABELS.get(term, term),
                "n": len(y),
                "events": int(y.sum()),
                "n_clusters": n_clusters,
                "status": fit["status"],
                "note": fit["note"],
            }
            if res is not None:
                row.update(
                    odds_ratio=math.exp(params[i]),
                    ci_low=math.exp(ci[i, 0]),
                    ci_high=math.exp(ci[i, 1]),
                    p_value=float(pvalues[i]),
                    coef=float(params[i]),
                    se=float(bse[i]),
                )
            else:
                row.update(
                    odds_ratio=math.nan,
                    ci_low=math.nan,
                    ci_high=math.nan,
                    p_value=math.nan,
                    coef=math.nan,
                    se=math.nan,
                )
            rows.append(row)
    out = pd.DataFrame(rows, columns=MODEL_COLUMNS)
    out.attrs.update(adjust_for=adjust_for, reference=x.attrs.get("reference"))
    return out
