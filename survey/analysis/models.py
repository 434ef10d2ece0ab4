"""Logistic regressions per coded category, with standard errors clustered by unit.

The terms are the study's (``study.yaml``: ``models.terms``): a 0/1 indicator of one level of a
unit attribute, or a number. The bundled study's model is
logit P(expert names it) = b0 + b1·border + b2·region + b3·log10(1 + km): ``border`` is 1 for an
expert of a border unit, ``region`` 1 for an expert of a region (0: a city), ``log10_distance``
the distance to the border line (:mod:`survey.spec.geo`): its odds ratio is per tenfold
distance. ``adjust_for`` replaces the numeric terms by dummies of a column (the federal district
or macro-region; the reference level is the one with most experts). Without terms, no model is
fitted.

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

from survey.analysis.frame import frame_study
from survey.errors import UsageError
from survey.spec.study import ModelTerm

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


def model_terms(frame: pd.DataFrame) -> tuple[ModelTerm, ...]:
    """The study's model terms (``study.yaml``: ``models.terms``) whose columns the frame has."""
    study = frame_study(frame)
    terms = study.models if study is not None else ()
    return tuple(t for t in terms if t.column in frame.columns)


def design_matrix(
    frame: pd.DataFrame, terms: Sequence[ModelTerm] | None = None, *, adjust_for: str | None = None
) -> pd.DataFrame:
    """The covariates of the models: ``intercept`` and one column per term.

    A term with a ``level`` is 1 where ``column`` equals it (``border``: border_status ==
    border); a term without is the column's number (``log10_distance``). ``adjust_for``
    (a column such as ``federal_district`` or ``macro_region``) replaces the numeric terms by one
    0/1 column per level except the reference (most respondents; ties: first in sorted order),
    named ``<column>=<level>``.
    """
    terms = tuple(model_terms(frame) if terms is None else terms)
    if adjust_for is not None and adjust_for not in frame.columns:
        raise UsageError(f"adjust_for «{adjust_for}»: в данных нет такого столбца.")
    x = pd.DataFrame(index=frame.index)
    x["intercept"] = 1.0
    for t in terms:
        if t.level is not None:
            x[t.name] = (frame[t.column].astype(str) == t.level).astype(float)
        elif adjust_for is None:
            x[t.name] = pd.to_numeric(frame[t.column]).astype(float)
    if adjust_for is not None:
        col = frame[adjust_for].astype(str)
        counts = col.value_counts()
        reference = sorted(counts[counts == counts.max()].index)[0]
        for level in sorted(set(col) - {reference}):
            x[f"{adjust_for}={level}"] = (col == level).astype(float)
        x.attrs["reference"] = reference
    x.attrs["labels"] = {t.name: t.label for t in terms}
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
    terms: Sequence[ModelTerm] | None = None,
    adjust_for: str | None = None,
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
    x = design_matrix(frame, terms, adjust_for=adjust_for)
    if x.shape[1] == 1:  # no terms: nothing to model
        out = pd.DataFrame(columns=MODEL_COLUMNS)
        out.attrs.update(adjust_for=adjust_for, reference=None, no_terms=True)
        return out
    term_labels = {"intercept": _intercept_label(x), **x.attrs["labels"]}
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
                "term_label": term_labels.get(term, term),
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


def _intercept_label(x: pd.DataFrame) -> str:
    """What the intercept is: the odds when every covariate is 0 (named, since a numeric term at
    0 is often outside the data)."""
    zeros = [c for c in x.columns if c != "intercept"]
    return "константа: шансы при нулевых значениях признаков (" + ", ".join(zeros) + ")"
