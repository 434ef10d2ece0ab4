"""Logistic regressions per coded category, with standard errors clustered by unit.

The terms are the study's (``study.yaml``: ``models.terms``): a 0/1 indicator of one level of a
unit attribute, or a number. The bundled study's model is
logit P(expert names it) = b0 + b1·border + b2·region + b3·log10(1 + km): ``border`` is 1 for an
expert of a border unit, ``region`` 1 for an expert of a region (0: a city), ``log10_distance``
the distance to the border line (:mod:`survey.spec.geo`): its odds ratio is per tenfold
distance. ``adjust_for`` replaces the numeric terms by dummies of a column (the federal district
or macro-region; the reference level is the one with most experts). Without terms, no model is
fitted.

Several experts share a unit, so the covariance is cluster-robust by unit. With few clusters in a
group (12 border units in the bundled study) the usual sandwich (CR1, kept as ``se_cr1``/``p_cr1``)
is too liberal; CR2 with Satterthwaite degrees of freedom is not. Border status and distance are
strongly related (every border unit is nearer than any other unit), so their separate effects are
estimated with wide intervals; the joint test says whether they matter together.

Which estimator (``method``): maximum likelihood with CR2 cluster-robust errors and
Satterthwaite degrees of freedom (``cr2``), or Firth's penalised likelihood (``firth``) when
events are scarce or the maximum-likelihood estimate does not exist; rows ``joint_cr2`` hold the
joint test of related terms (see :func:`category_models`). A model that cannot be fitted is
reported, not printed as numbers: ``status`` is ``no_variation`` when every respondent (or none)
names the category (COVID-19: 123 of 123), ``failed`` when the data are degenerate, ``ok`` otherwise.

>>> from survey.analysis.frame import sample_frame
>>> m = category_models(sample_frame(), ["distance", "covid"])
>>> m[["category", "term", "method", "status"]]
   category                   term     method        status
0  distance              intercept        cr2            ok
1  distance                 border        cr2            ok
2  distance                 region        cr2            ok
3  distance         log10_distance        cr2            ok
4  distance  border+log10_distance  joint_cr2            ok
5     covid              intercept             no_variation
6     covid                 border             no_variation
7     covid                 region             no_variation
8     covid         log10_distance             no_variation
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from survey.analysis import design
from survey.analysis.frame import answered, frame_study
from survey.base.text import listed
from survey.errors import ConfigError, UsageError
from survey.spec.study import ModelTerm

MODEL_COLUMNS = [
    "category",
    "label",
    "term",
    "term_label",
    "method",
    "odds_ratio",
    "ci_low",
    "ci_high",
    "p_value",
    "coef",
    "se",
    "df",
    "statistic",
    "se_cr1",
    "p_cr1",
    "n",
    "events",
    "epp",
    "n_clusters",
    "status",
    "note",
]
MAX_ABS_COEF = 15.0  # |b| beyond this on the logit scale: the fit is running away (separation)
MIN_EPP = 10.0  # events per parameter below this: Firth's penalised likelihood instead of ML
METHODS = {
    "cr2": "логит, ошибки CR2 с поправкой Саттертуэйта",
    "firth": "логит Фирта (штрафованное правдоподобие)",
    "joint_cr2": "совместный критерий Вальда (CR2, HTZ)",
}


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
            values = pd.to_numeric(frame[t.column], errors="coerce")
            text = frame[t.column][values.isna() & frame[t.column].notna()]
            if len(text):
                raise ConfigError(
                    f"models.terms: признак «{t.name}» берёт числа из столбца «{t.column}», а там есть нечисловые "
                    f"значения ({listed(sorted({f'«{v}»' for v in text.astype(str)}), 3)}). Исправьте значения в "
                    f"справочнике или ответах, или задайте level: «значение» — тогда признак будет 1 там, где "
                    f"{t.column} равно этому значению."
                )
            x[t.name] = values.astype(float)
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


def _fitted(data: pd.DataFrame, names: list[str], *, joint: list[str] | None = None, firth: bool) -> dict:
    """:func:`design.logit_models` of ``_y`` on ``names``, or ``{"reason": …}`` (Russian) when
    the data make the model singular or the computation does not converge."""
    try:
        return design.logit_models(data, "_y", names, "_cluster", joint=joint, firth=firth)
    except (np.linalg.LinAlgError, ValueError, ZeroDivisionError, FloatingPointError) as exc:
        why = (
            "признаки линейно зависимы или не меняются"
            if isinstance(exc, np.linalg.LinAlgError)
            else "расчёт не сошёлся"
        )
        return {"reason": f"вырожденные данные ({why})"}


def category_models(
    frame: pd.DataFrame,
    categories: Sequence[str] | None = None,
    *,
    terms: Sequence[ModelTerm] | None = None,
    joint: Sequence[Sequence[str]] | None = None,
    adjust_for: str | None = None,
    cluster: str = "unit_id",
    labels: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One logistic regression per category; tidy odds ratios with 95 % intervals.

    Columns (:data:`MODEL_COLUMNS`): per category × term the ``method`` used, ``odds_ratio``,
    ``ci_low``, ``ci_high``, ``p_value``, ``coef`` and ``se`` (logit scale), ``df`` (Satterthwaite
    degrees of freedom of the CR2 t test), ``se_cr1``/``p_cr1`` (the CR1 sandwich with normal
    p-values, for comparison), ``n``, ``events``, ``epp`` (events per parameter: the rarer of
    yes/no divided by the number of coefficients), ``n_clusters``, ``status``, ``note``. Rows
    with ``method`` = ``joint_cr2`` hold the joint test of several terms (``joint``; default the
    study's ``models.joint``): ``statistic`` is F on (number of terms, ``df``) degrees of freedom.

    * ``cr2``: maximum likelihood with the bias-reduced cluster-robust covariance CR2 and
      Satterthwaite degrees of freedom (Bell & McCaffrey 2002; Pustejovsky & Tipton 2018; as R
      ``clubSandwich::coef_test``) — honest with few clusters in a group;
    * ``firth``: Firth's penalised likelihood (Firth 1993; Heinze & Schemper 2002) with profile
      intervals and likelihood-ratio p-values, when events are scarce (``epp`` < 10) or the
      maximum-likelihood estimate does not exist (separation); it does not account for the
      clusters (said in ``note``).
    """
    categories = list(categories) if categories is not None else list(frame.attrs["categories"])
    labels = dict(labels or {})
    # respondents without a value of any category (the coded question left unanswered) are not modelled
    keep = answered(frame, categories) if categories else pd.Series(True, index=frame.index)
    if not keep.all():
        attrs = dict(frame.attrs)
        frame = frame[keep].reset_index(drop=True)
        frame.attrs.update(attrs)
    x = design_matrix(frame, terms, adjust_for=adjust_for)
    if x.shape[1] == 1:  # no terms: nothing to model
        out = pd.DataFrame(columns=MODEL_COLUMNS)
        out.attrs.update(adjust_for=adjust_for, reference=None, no_terms=True)
        return out
    names = [c for c in x.columns if c != "intercept"]
    if joint is None:
        study = frame_study(frame)
        joint = [j for j in (study.joint if study is not None else ()) if set(j) <= set(names)]
    term_labels = {"intercept": _intercept_label(x), **x.attrs["labels"]}
    data = x.drop(columns="intercept").assign(_cluster=frame[cluster].astype(str).to_numpy())
    n_clusters = int(data["_cluster"].nunique())
    rows: list[dict] = []
    for cat in categories:
        y = frame[cat].fillna(0).astype(float).to_numpy()
        epp = float(min(y.sum(), len(y) - y.sum()) / x.shape[1])
        base = {"category": cat, "label": labels.get(cat, cat), "n": len(y), "events": int(y.sum()),
                "n_clusters": n_clusters, "epp": epp}  # fmt: skip
        if y.min() == y.max():
            who = "все респонденты" if y[0] == 1 else "ни один респондент не"
            note = f"{who} называют категорию ({int(y.sum())} из {len(y)}): нет вариации, модель не оценивается"
            rows += [_empty_row(base, t, term_labels, "no_variation", note) for t in x.columns]
            continue
        sep = _separation(y, x)
        first_joint = list(joint[0]) if joint and sep is None else None
        with_y = data.assign(_y=y)
        fit = _fitted(with_y, names, joint=first_joint, firth=sep is not None)
        diverged = False
        if fit["reason"] is None:
            coefs = fit["coefficients"]
            diverged = bool(np.abs(coefs["glm_coef"]).max() > MAX_ABS_COEF) or "fitted probabilities" in fit["warnings"]
        firth = sep is not None or diverged or epp < MIN_EPP
        if fit["reason"] is None and firth and "firth_coef" not in coefs:
            # the penalised fit can fail where the plain one did not (a profile through a
            # singular information matrix): the category's rows then say so
            fit = _fitted(with_y, names, firth=True)
            coefs = fit.get("coefficients", coefs)
        if fit["reason"] is not None:
            rows += [_empty_row(base, t, term_labels, "failed", f"модель не оценивается: {fit['reason']}")
                     for t in x.columns]  # fmt: skip
            continue
        note = _model_note(sep, diverged, epp)
        for i, term in enumerate(x.columns):
            c = coefs.iloc[i]
            row = {**base, "term": term, "term_label": term_labels.get(term, term), "status": "ok", "note": note}
            if firth:
                row.update(method="firth", coef=c["firth_coef"], se=c["firth_se"], df=math.nan,
                           p_value=c["firth_plr_p"], ci_low=math.exp(c["firth_ci_low"]),
                           ci_high=math.exp(c["firth_ci_high"]))  # fmt: skip
            else:
                half = _t_quantile(c["cr2_df"]) * c["cr2_se"]
                row.update(method="cr2", coef=c["glm_coef"], se=c["cr2_se"], df=c["cr2_df"], p_value=c["cr2_p"],
                           ci_low=math.exp(c["glm_coef"] - half), ci_high=math.exp(c["glm_coef"] + half))  # fmt: skip
            row["odds_ratio"] = math.exp(row["coef"])
            if sep is None and not diverged:
                row.update(se_cr1=c["cr1_se"], p_cr1=c["cr1_p"])
            rows.append(row)
        for k, group in enumerate(joint if not (sep or diverged) else ()):
            jt = fit if k == 0 else _fitted(with_y, names, joint=list(group), firth=False)
            if jt["reason"] is not None:  # guarded as the first fit is: a row saying why, not a crash
                rows.append(_empty_row(base, "+".join(group), term_labels, "failed",
                                       f"совместный тест не оценивается: {jt['reason']}"))  # fmt: skip
                continue
            h = jt["joint"]["cr2_htz"] if jt["joint"] else None
            if h is None:
                continue
            rows.append({**base, "term": "+".join(group), "status": "ok", "method": "joint_cr2",
                         "term_label": "совместно: " + "; ".join(term_labels.get(t, t) for t in group),
                         "statistic": h["F"], "df": h["df_denom"], "p_value": h["p"],
                         "note": f"F({h['df_num']}; {h['df_denom']:.1f}): признаки связаны между собой, их вклад "
                                 "оценивается вместе"})  # fmt: skip
    out = pd.DataFrame(rows, columns=MODEL_COLUMNS)
    out.attrs.update(adjust_for=adjust_for, reference=x.attrs.get("reference"))
    return out


def _empty_row(base: dict, term: str, term_labels: Mapping[str, str], status: str, note: str) -> dict:
    return {**base, "term": term, "term_label": term_labels.get(term, term), "status": status, "note": note,
            "method": ""}  # fmt: skip


def _model_note(separation: str | None, diverged: bool, epp: float) -> str:
    if separation:
        return separation + "; оценки Фирта (без поправки на кластеры)"
    if diverged:
        return (
            "разделение: оценки максимального правдоподобия уходят в бесконечность; "
            "оценки Фирта (без поправки на кластеры)"
        )
    if epp < MIN_EPP:
        return f"мало событий на параметр ({epp:.1f} < {MIN_EPP:.0f}): оценки Фирта (без поправки на кластеры)"
    return ""


def _t_quantile(df: float) -> float:
    from scipy.stats import t  # lazy: heavy (background worker)

    return float(t.ppf(0.975, df))


def _intercept_label(x: pd.DataFrame) -> str:
    """What the intercept is: the odds when every covariate is 0 (named, since a numeric term at
    0 is often outside the data)."""
    zeros = [c for c in x.columns if c != "intercept"]
    return "константа: шансы при нулевых значениях признаков (" + ", ".join(zeros) + ")"
