"""Design-based statistics for experts clustered in units.

The design-based statistics of :mod:`survey.analysis.stats` and :mod:`survey.analysis.models`
(numpy, scipy, pandas, statsmodels), checked against R in ``tests/reference/`` (R 4.2.2,
survey 4.1.1, sandwich 3.0.2, clubSandwich 0.5.8, fisher.test; the R script is there too).  Every public function takes
plain arrays / pandas objects and returns plain ``dict`` s or ``DataFrame`` s.
Degenerate inputs never raise inside the statistical functions: the numeric
outputs are ``nan`` and a ``reason`` string says why.

Design
------
The survey design throughout is R's ``svydesign(ids = ~cluster, data = d)``:
one-stage cluster sampling, clusters (units) are the PSUs, no strata, no fpc,
with-replacement (linearisation / Taylor) variance.  For a vector of
influence values ``u_i`` the design variance is (``survey:::onestrat``)::

    T_c = sum_{i in c} u_i,   c = 1..G   (G = all PSUs of the *full* design;
                                           PSUs outside a domain give T_c = 0)
    V   = G/(G-1) * sum_c (T_c - mean(T))(T_c - mean(T))'

and the design degrees of freedom are ``degf = #PSU - #strata = G - 1``; for a
domain (``subset(design, ...)``) survey's ``degf`` counts only the PSUs in the
domain, while the variance still uses the full ``G`` (R keeps
``fpc$sampsize``).  The mean of ``x`` with weights ``w`` has
``u_i = w_i (x_i - xbar) / sum(w)``.

References
----------
* Rao, J.N.K. & Scott, A.J. (1981) JASA 76, 221-230; (1984) Ann. Statist. 12,
  46-60.  Lumley, T. (2004, 2010) survey package / Complex Surveys.
* Korn, E.L. & Graubard, B.I. (1998) Survey Methodology 24, 193-201.
* Newcombe, R.G. (1998) Stat. Med. 17, 873-890 (method 10).
* Katz, D. et al. (1978) Biometrics 34, 469-474.  Woolf, B. (1955).
* Bell, R.M. & McCaffrey, D.F. (2002) Survey Methodology 28, 169-181;
  Pustejovsky, J.E. & Tipton, E. (2018) JBES 36, 672-683 (CR2, HTZ).
* Firth, D. (1993) Biometrika 80, 27-38; Heinze, G. & Schemper, M. (2002)
  Stat. Med. 21, 2409-2419.
* Bilder, C.R., Loughin, T.M. & Nettleton, D. (2000) Commun. Stat. Theory
  Methods 29, 1285-1316 (MMI, Appendix A); Bilder & Loughin (2004)
  Biometrics 60, 241-248; Koziol, N. & Bilder, C.R. (2014) MRCV package.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "rao_scott",
    "proportion_ci_design",
    "unit_weighted_proportions",
    "unit_equal_weights",
    "effect_sizes",
    "logit_models",
    "firth_logit",
    "mmi_test",
]

NAN = float("nan")


def _ratio(coef: np.ndarray, se: np.ndarray) -> np.ndarray:
    """``coef / se`` (a z or t statistic), undefined (NaN) where the standard error is zero or
    not finite (degenerate data) instead of an infinite statistic and a warning."""
    coef, se = np.asarray(coef, dtype=float), np.asarray(se, dtype=float)
    ok = np.isfinite(se) & (se > 0)
    return np.divide(coef, se, out=np.full(np.broadcast(coef, se).shape, NAN), where=ok)


# CR2 takes the inverse square root of an n_j × n_j matrix per cluster (≈ Σ n_j³ work) unless the
# cluster's working weights are equal (unit-level covariates: O(n_j), see _cr2_e_equal_weights);
# beyond this budget (≈ half a second per model) CR1 with t(G − 1) is used, as large clusters
# leave little leverage for CR2 to correct
MAX_CR2_WORK = 50_000_000
_EPS = np.finfo(float).eps


# ---------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------
def _as1d(x, name: str = "") -> np.ndarray:
    a = np.asarray(x)
    if a.ndim != 1:
        a = a.reshape(-1)
    return a


def _isna(a: np.ndarray) -> np.ndarray:
    return pd.isna(pd.Series(a)).to_numpy()


def _codes(a: np.ndarray, order: str = "sorted") -> tuple[np.ndarray, np.ndarray]:
    """Integer codes for the values of ``a``.

    ``order="sorted"`` gives the levels in sorted order (R ``factor``);
    ``order="appearance"`` in order of first appearance (R ``unique``).
    """
    if order == "sorted":  # pandas' hash factorisation: ~10× np.unique's sort on strings
        codes, levels = pd.factorize(pd.Series(a), sort=True, use_na_sentinel=False)
        return np.asarray(levels), np.asarray(codes)
    codes, levels = pd.factorize(pd.Series(a), sort=False)
    return np.asarray(levels), np.asarray(codes)


def _psu_var(U: np.ndarray, psu: np.ndarray, n_psu: int) -> np.ndarray:
    """With-replacement linearisation variance of a total of influence values.

    ``U`` is (n x k); ``psu`` holds PSU codes 0..n_psu-1 of the *full* design.
    V = G/(G-1) * sum_c (T_c - Tbar)(T_c - Tbar)',  T_c = sum_{i in c} U_i
    (survey:::onestrat with nPSU = G, PSUs absent from a domain padded with 0).
    """
    U = np.asarray(U, dtype=float)
    if U.ndim == 1:
        U = U[:, None]
    T = np.column_stack([np.bincount(psu, weights=U[:, j], minlength=n_psu) for j in range(U.shape[1])])
    T -= T.mean(axis=0)
    return (n_psu / (n_psu - 1.0)) * (T.T @ T)


def _nan_dict(keys: Iterable[str], **extra) -> dict:
    d = dict.fromkeys(keys, NAN)
    d.update(extra)
    return d


def wilson_interval(count, nobs, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for proportions (statsmodels), as fractions; NaN where ``nobs`` is 0.

    At ``count`` = 0 the lower limit is exactly 0, at ``count`` = ``nobs`` the upper limit 1.

    >>> low, high = wilson_interval([4], [26])
    >>> round(float(low[0]), 6), round(float(high[0]), 6)
    (0.0615, 0.335312)
    """
    from statsmodels.stats.proportion import proportion_confint  # lazy: heavy (background worker)

    count = np.asarray(count, dtype=float)
    nobs = np.asarray(nobs, dtype=float)
    low = np.full(count.shape, np.nan)
    high = np.full(count.shape, np.nan)
    ok = nobs > 0
    if ok.any():
        lo, hi = proportion_confint(count[ok], nobs[ok], alpha=alpha, method="wilson")
        low[ok], high[ok] = np.clip(lo, 0.0, 1.0), np.clip(hi, 0.0, 1.0)
    # the exact limits at the ends (floating point gives 0.9999999999999999)
    low[ok & (count == 0)] = 0.0
    high[ok & (count == nobs)] = 1.0
    return low, high


def unit_equal_weights(cluster) -> np.ndarray:
    """w_i = 1 / (number of experts in i's unit): every unit gets total weight 1."""
    c = pd.Series(_as1d(cluster, "cluster"))
    return (1.0 / c.map(c.value_counts())).to_numpy(dtype=float)


# ---------------------------------------------------------------------------
# 1. Rao-Scott tests (survey::svychisq)
# ---------------------------------------------------------------------------
_RS_KEYS = [
    "pearson_X2",
    "pearson_df",
    "pearson_p",
    "F",
    "ndf",
    "ddf",
    "p",
    "X2_first",
    "df_first",
    "p_first",
    "deff",
    "trace_delta",
    "design_mean",
    "design_se",
    "design_deff_replace",
]


def rao_scott(y, group, cluster, weights=None, single_cluster_group: str = "nan") -> dict:
    """Rao-Scott corrected Pearson test of ``y`` (binary, or categorical: the answer to a
    single-choice question) by ``group`` (r >= 2).

    Exactly R ``svychisq(~y + group, svydesign(ids=~cluster[, weights=~w]),
    statistic = "F")`` (survey 4.1.1) plus its first-order variant.

    Computation (``survey:::svychisq.survey.design``)
        * cells: the nr x nc table of y (rows) by group (columns), cell index
          with rows varying fastest; ``p_hat`` = design-weighted cell
          proportions (``svymean`` of the cell indicators), ``V`` = their
          linearisation covariance (see module doc), ``N`` = rows used.
        * Pearson ``X2_P``: ``chisq.test`` on the weighted table rescaled to
          total N (unweighted: the ordinary Pearson X^2).
        * ``C`` = residual of the interaction columns of the saturated model
          ``~rows*cols`` on the main-effects model ``~rows+cols`` (qr.resid),
          ``D = diag(p_hat)``, ``Dinv`` = diag(1/p_hat) (0 for empty cells),
          ``Delta = (C' Dinv C / N)^-1 (C' Dinv V Dinv C)`` -- the generalised
          design-effect matrix (under H0, X2_P ~ sum eig(Delta)_k chi2_1).
        * second order (returned as F): ``F = X2_P / tr(Delta)``,
          ``ndf = d0 = tr(Delta)^2 / tr(Delta^2)``, ``ddf = d0 * (G - 1)``,
          ``p = P(F(ndf, ddf) > F)``  (G = number of PSUs).
        * first order: ``deff = tr(Delta)/k`` (mean generalised design
          effect), ``X2_first = X2_P / deff``, ``p_first = P(chi2_k > X2_first)``,
          ``k = (nr-1)(nc-1)``.  (R's ``statistic="Chisq"`` prints X2_P and
          only corrects the p value.)  ``deff = pearson_X2 / X2_first``.
        * also: design mean of y and its SE (``svymean``) and its design
          effect against SRS with replacement ``V / (s^2/n)``,
          ``s^2 = n/(n-1) * weighted variance`` (``svymean(deff="replace")``).

    Rows with a missing ``y`` or ``group`` are dropped (the PSU count G stays
    that of the full design, as R's ``na.rm``).  Degenerate cases -- y with
    one value, a group with one level, a group represented by a single
    cluster -- return ``nan`` and a ``reason``.

    Returns a dict with keys n, n_clusters, n_groups, events, pearson_X2,
    pearson_df, pearson_p, F, ndf, ddf, p, X2_first, df_first, p_first, deff,
    trace_delta, delta_eigenvalues, design_mean, design_se,
    design_deff_replace, note, reason, single_cluster_groups.
    """
    from scipy import stats  # lazy: heavy (background worker)

    y = _as1d(y, "y")
    g = _as1d(group, "group")
    cl = _as1d(cluster, "cluster")
    n_all = len(y)
    if not (len(g) == n_all and len(cl) == n_all):
        raise ValueError("y, group and cluster must have the same length")
    w_all = np.ones(n_all) if weights is None else np.asarray(weights, dtype=float)
    if _isna(cl).any():
        raise ValueError("cluster must not contain missing values")
    _, psu_all = _codes(cl)
    G = int(psu_all.max()) + 1 if n_all else 0
    ok = ~(_isna(y) | _isna(g))
    y, g, psu, w = y[ok], g[ok], psu_all[ok], w_all[ok]
    N = len(y)
    ylev, yc = _codes(y)
    glev, gc = _codes(g)
    nr, nc = len(ylev), len(glev)
    out: dict[str, Any] = {
        "n": N,
        "n_clusters": int(len(np.unique(psu))),
        "n_groups": nc,
        "events": NAN,
        "note": "",
        "delta_eigenvalues": None,
        "reason": None,
        "single_cluster_groups": [],  # groups held by one cluster (tested anyway on request, as R)
    }
    if N == 0:
        return {**out, **_nan_dict(_RS_KEYS), "reason": "no complete observations"}
    if nr == 2:
        out["events"] = float(np.sum(yc == 1))
    # design mean of y (binary coded 0/1 by sorted level)
    if nr <= 2 and G >= 2:
        yy = (yc == nr - 1).astype(float)
        sw = w.sum()
        m = np.sum(w * yy) / sw
        v = _psu_var(w * (yy - m) / sw, psu, G)[0, 0]
        nobs = int(np.sum(w != 0))
        s2 = nobs / (nobs - 1.0) * np.sum(w * (yy - m) ** 2) / sw if nobs > 1 else 0.0
        out.update(
            design_mean=float(m), design_se=math.sqrt(v), design_deff_replace=float(v / (s2 / nobs)) if s2 > 0 else NAN
        )
    else:
        out.update(design_mean=NAN, design_se=NAN, design_deff_replace=NAN)
    keys = [k for k in _RS_KEYS if not k.startswith("design_")]
    if nr < 2:
        return {
            **out,
            **_nan_dict(keys),
            "reason": f"no variation in y ({N} of {N} have the same value): test undefined",
        }
    if nc < 2:
        return {**out, **_nan_dict(keys), "reason": "group has a single level: test undefined"}
    if G < 2:
        return {**out, **_nan_dict(keys), "reason": "fewer than 2 clusters: design variance undefined"}
    cl_per_group = np.array([len(np.unique(psu[gc == j])) for j in range(nc)])
    single_note = ""
    if (cl_per_group < 2).any():
        bad = [str(glev[j]) for j in np.where(cl_per_group < 2)[0]]
        out["single_cluster_groups"] = bad
        msg = (
            "group(s) " + ", ".join(bad) + " contain a single cluster: within-group design variance cannot be estimated"
        )
        if single_cluster_group != "compute":
            return {**out, **_nan_dict(keys), "reason": msg}
        single_note = msg + " (computed anyway, as R)"

    cell = yc + nr * gc
    K = nr * nc
    mm = np.zeros((N, K))
    mm[np.arange(N), cell] = 1.0
    sw = w.sum()
    mean2 = (w[:, None] * mm).sum(axis=0) / sw
    V = _psu_var(w[:, None] * (mm - mean2) / sw, psu, G)

    # Pearson X2 on the weighted table rescaled to N
    tab = np.zeros(K)
    np.add.at(tab, cell, w)
    tab = tab.reshape(nc, nr).T * (N / tab.sum())  # nr x nc
    E = np.outer(tab.sum(axis=1), tab.sum(axis=0)) / N
    X2 = float(np.sum((tab - E) ** 2 / E))
    k = (nr - 1) * (nc - 1)
    out["note"] = "; ".join(s for s in ("some expected counts < 5" if (E < 5).any() else "", single_note) if s)

    # contrast matrix: interaction columns orthogonalised against main effects
    rows = np.tile(np.arange(nr), nc)
    cols = np.repeat(np.arange(nc), nr)
    X1 = np.column_stack(
        [np.ones(K)]
        + [(rows == i).astype(float) for i in range(1, nr)]
        + [(cols == j).astype(float) for j in range(1, nc)]
    )
    Xint = np.column_stack([((rows == i) & (cols == j)).astype(float) for j in range(1, nc) for i in range(1, nr)])
    beta, *_ = np.linalg.lstsq(X1, Xint, rcond=None)
    Cmat = Xint - X1 @ beta
    iD = np.where(mean2 == 0, 0.0, 1.0 / np.where(mean2 == 0, 1.0, mean2))
    denom = Cmat.T @ (iD[:, None] / N * Cmat)
    numr = Cmat.T @ (iD[:, None] * V * iD[None, :]) @ Cmat
    if 1.0 / np.linalg.cond(denom, 1) < np.finfo(float).eps:  # R's solve() refuses it the same way
        return {
            **out,
            **_nan_dict(keys),
            "pearson_X2": X2,
            "pearson_df": k,
            "pearson_p": float(stats.chi2.sf(X2, k)),
            "reason": "empty cells make the design-effect matrix singular: test undefined (as R's svychisq)",
        }
    Delta = np.linalg.solve(denom, numr)
    trD = float(np.trace(Delta))
    trD2 = float(np.trace(Delta @ Delta))
    if not (trD > 0):
        return {
            **out,
            **_nan_dict(keys),
            "pearson_X2": X2,
            "pearson_df": k,
            "pearson_p": float(stats.chi2.sf(X2, k)),
            "reason": "design variance of the cell proportions is zero",
        }
    d0 = trD**2 / trD2
    nu = G - 1
    F = X2 / trD
    deff = trD / k
    X2f = X2 / deff
    out.update(
        pearson_X2=X2,
        pearson_df=k,
        pearson_p=float(stats.chi2.sf(X2, k)),
        F=F,
        ndf=d0,
        ddf=d0 * nu,
        p=float(stats.f.sf(F, d0, d0 * nu)),
        X2_first=X2f,
        df_first=k,
        p_first=float(stats.chi2.sf(X2f, k)),
        deff=deff,
        trace_delta=trD,
        delta_eigenvalues=np.sort(np.real(np.linalg.eigvals(Delta)))[::-1],
    )
    return out


def rank_test(y, group, cluster) -> dict:
    """Design-based rank test of an ordinal ``y`` (a scale answer) by ``group``: R's
    ``svyranktest(y ~ group, svydesign(ids = ~cluster), test = "wilcoxon")`` (survey 4.1.1).

    Rows with a missing ``y`` or ``group`` are dropped and the design is subset to the rest
    (R's ``design[-na.action, ]``): the degrees of freedom count the G clusters left, the
    variance keeps the full design's clusters (a cluster left empty adds a zero total, as
    ``svyrecvar`` with the full design's PSU count does). Each answer gets its mid-rank
    (ties share the mean of ``cumsum - 1/2``) divided by the number of answers, then
    * two groups: the difference in mean rank score from ``lm(score ~ group)``, its SE from the
      cluster totals of the influence values ``X (score - fitted) (X'X)^-1`` (with-replacement
      linearisation), ``t`` on ``G - 2`` degrees of freedom (design-based Wilcoxon);
    * more groups: the coefficients of the groups, their cluster-robust covariance
      (``svy.varcoef``), ``X2 = b' V^-1 b`` and ``F = X2 / (k - 1)`` on ``(k - 1, G - 1 - (k - 1))``
      degrees of freedom (design-based Kruskal–Wallis).

    Returns ``test`` (``wilcoxon``/``kruskal_wallis``), ``statistic`` (t, or X2 for k groups),
    ``df1`` (k - 1; NaN for two groups), ``df2``, ``p``, ``estimate`` (difference in mean rank
    score of the second group against the first; NaN for k groups), ``n``, ``n_groups``,
    ``n_clusters`` and ``reason`` when the test is undefined.
    """
    from scipy import stats  # lazy: heavy (background worker)

    y = np.asarray(y, dtype=float)
    g = _as1d(group, "group")
    _, psu_all = _codes(_as1d(cluster, "cluster"))
    G_full = int(psu_all.max()) + 1 if len(psu_all) else 0
    ok = ~(np.isnan(y) | _isna(g))
    y, g, psu = y[ok], g[ok], psu_all[ok]
    glev, gc = _codes(g)
    n, k = len(y), len(glev)
    G = len(np.unique(psu))
    out: dict[str, Any] = {
        "test": "wilcoxon" if k == 2 else "kruskal_wallis",
        "statistic": NAN,
        "df1": NAN,
        "df2": NAN,
        "p": NAN,
        "estimate": NAN,
        "n": n,
        "n_groups": k,
        "n_clusters": G,
        "reason": None,
    }
    if k < 2:
        return {**out, "test": "", "reason": "fewer than 2 groups: test undefined"}
    if G - k < 1:
        return {**out, "reason": "too few clusters for the groups: test undefined"}
    order = np.argsort(y, kind="stable")
    mid = np.empty(n)
    mid[order] = np.arange(1, n + 1) - 0.5
    score = pd.Series(mid).groupby(y).transform("mean").to_numpy() / n
    X = np.column_stack([np.ones(n)] + [(gc == j).astype(float) for j in range(1, k)])
    xtx_inv = np.linalg.inv(X.T @ X)
    beta = xtx_inv @ (X.T @ score)
    infl = (X * (score - X @ beta)[:, None]) @ xtx_inv
    V = _psu_var(infl, psu, G_full)
    if k == 2:
        se = math.sqrt(V[1, 1])
        if not se > 0:
            return {**out, "reason": "no variation of the rank scores within clusters: test undefined"}
        t = float(beta[1] / se)
        df2 = G - 2
        return {**out, "statistic": t, "df2": df2, "p": float(2 * stats.t.sf(abs(t), df2)), "estimate": float(beta[1])}
    b, Vb = beta[1:], V[1:, 1:]
    try:
        x2 = float(b @ np.linalg.solve(Vb, b))
    except np.linalg.LinAlgError:
        return {**out, "reason": "singular covariance of the group effects: test undefined"}
    df1, df2 = k - 1, G - 1 - (k - 1)
    return {**out, "statistic": x2, "df1": df1, "df2": df2, "p": float(stats.f.sf(x2 / df1, df1, df2))}


# ---------------------------------------------------------------------------
# 2. design-based CIs of proportions (survey::svyciprop)
# ---------------------------------------------------------------------------
def proportion_ci_design(
    y, cluster, group=None, method: str = "logit", weights=None, level: float = 0.95, df=None
) -> pd.DataFrame:
    """Design-based CI of a proportion within each group, as R ``svyciprop``.

    For the domain ``d`` (``subset(design, group == g)``), with weights w:
        p = sum_d w y / sum_d w,  u_i = w_i (y_i - p)/sum_d w  (0 outside d),
        var(p) = G/(G-1) sum_c (T_c - Tbar)^2 over all G PSUs of the full design,
        df = degf(subset) = (#PSUs in d) - 1   (survey's default ``df``).

    ``method="logit"`` (svyglm quasibinomial + Wald on the logit scale):
        se_logit = se(p) / (p (1-p)),
        CI = expit(logit(p) -/+ t_{df, 1-a/2} se_logit).
    ``method="beta"`` (Korn & Graubard 1998):
        n_eff = p(1-p)/var(p) * (t_{n_d - 1, a/2} / t_{df, a/2})^2   (n_d rows in d),
        CI = (qbeta(a/2, n_eff p, n_eff (1-p) + 1), qbeta(1-a/2, n_eff p + 1, n_eff (1-p))).
    Both are undefined (nan + ``note``) when p is 0 or 1 (R: error / NA) or
    when the domain has a single PSU (df = 0).

    ``df`` overrides the degrees of freedom (R ``svyciprop(df=)``); it is used
    for both the t quantile and the Korn-Graubard denominator.  Returns one
    row per group (sorted levels; a single row labelled ``"all"`` when
    ``group`` is None) with columns group, n, n_clusters, count, proportion
    (raw share), estimate, se, df, ci_low, ci_high, method, note.
    """
    from scipy import stats  # lazy: heavy (background worker)
    from scipy.special import (
        expit,  # lazy: heavy (background worker)
        logit,  # lazy: heavy (background worker)
    )

    if method not in ("logit", "beta"):
        raise ValueError("method must be 'logit' or 'beta'")
    y = _as1d(y, "y").astype(float)
    cl = _as1d(cluster, "cluster")
    n_all = len(y)
    w_all = np.ones(n_all) if weights is None else np.asarray(weights, dtype=float)
    _, psu_all = _codes(cl)
    G = int(psu_all.max()) + 1
    if group is None:
        g_all = np.array(["all"] * n_all, dtype=object)
    else:
        g_all = _as1d(group, "group")
    okg = ~_isna(g_all)
    levels = np.unique(g_all[okg])
    alpha = 1 - level
    rows = []
    for lev in levels:
        dom = okg & (g_all == lev) & ~np.isnan(y)
        yd, wd, pd_ = y[dom], w_all[dom], psu_all[dom]
        n_d = int(dom.sum())
        n_cl = int(len(np.unique(pd_)))
        sw = wd.sum()
        p = float(np.sum(wd * yd) / sw)
        var = float(_psu_var(wd * (yd - p) / sw, pd_, G)[0, 0]) if G > 1 else NAN
        se = math.sqrt(var) if var == var else NAN
        ddf = (n_cl - 1) if df is None else df
        lo = hi = NAN
        note = ""
        if not (0.0 < p < 1.0):
            note = f"proportion is {p:g} in this group: {method} interval undefined"
        elif not (ddf > 0):
            note = "single cluster in this group (df = 0): interval undefined"
        elif not (var > 0):
            note = "zero design variance: interval undefined"
        elif method == "logit":
            tq = stats.t.ppf(1 - alpha / 2, ddf)
            sel = se / (p * (1 - p))
            lo, hi = float(expit(logit(p) - tq * sel)), float(expit(logit(p) + tq * sel))
        else:
            neff = p * (1 - p) / var
            neff *= (stats.t.ppf(alpha / 2, n_d - 1) / stats.t.ppf(alpha / 2, ddf)) ** 2
            lo = float(stats.beta.ppf(alpha / 2, neff * p, neff * (1 - p) + 1))
            hi = float(stats.beta.ppf(1 - alpha / 2, neff * p + 1, neff * (1 - p)))
        rows.append(
            {
                "group": lev,
                "n": n_d,
                "n_clusters": n_cl,
                "count": float(np.sum(yd)),
                "proportion": float(np.mean(yd)) if n_d else NAN,
                "estimate": p,
                "se": se,
                "df": ddf,
                "ci_low": lo,
                "ci_high": hi,
                "method": method,
                "note": note,
            }
        )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------
# 3. unit-equal weighting
# ---------------------------------------------------------------------------
def unit_weighted_proportions(y, group, cluster, level: float = 0.95) -> dict:
    """Proportions with unit-equal weights and the weighted Rao-Scott F test.

    Weights ``w_i = 1/m_u`` (m_u = experts in the unit of i), so every unit
    counts once: ``svydesign(ids=~cluster, weights=~w)``.  Returns
    ``{"proportions": DataFrame, "test": dict}``: per group the weighted
    estimate, its design SE, logit and Korn-Graubard ("beta") intervals
    (``proportion_ci_design`` with these weights) and the raw counts; and the
    weighted ``svychisq(~y+group, statistic="F")`` (``rao_scott`` with the
    weights: Pearson X^2 on the weighted table rescaled to n, Delta from the
    weighted cell proportions).
    """
    w = unit_equal_weights(cluster)
    lg = proportion_ci_design(y, cluster, group, "logit", weights=w, level=level)
    kg = proportion_ci_design(y, cluster, group, "beta", weights=w, level=level)
    tab = lg.rename(columns={"ci_low": "logit_low", "ci_high": "logit_high", "note": "logit_note"}).drop(
        columns="method"
    )
    tab["kg_low"] = kg["ci_low"].to_numpy()
    tab["kg_high"] = kg["ci_high"].to_numpy()
    tab["kg_note"] = kg["note"].to_numpy()
    return {"proportions": tab, "test": rao_scott(y, group, cluster, weights=w)}


# ---------------------------------------------------------------------------
# 4. effect sizes for two groups
# ---------------------------------------------------------------------------
def _root(f, lower: float, upper: float) -> float:
    """A root of ``f`` in [lower, upper] (Brent's method, tolerance 1e-12)."""
    from scipy.optimize import brentq  # lazy: heavy (background worker)

    return float(brentq(f, lower, upper, xtol=1e-12, rtol=4 * _EPS, maxiter=500))


def _fisher_2x2(a: int, b: int, c: int, d: int, level: float = 0.95) -> dict:
    """Conditional MLE odds ratio and exact CI exactly as R ``fisher.test``.

    Table [a b; c d]; x = a ~ noncentral hypergeometric(m = a+c, n = b+d,
    k = a+b; psi).  MLE: root of E_psi(X) = x; CI: roots of
    P_psi(X >= x) = alpha/2 and P_psi(X <= x) = alpha/2, all found with
    Brent's method on the same intervals as R (R's own root accuracy is only ~1e-4, so the
    two agree to about that).
    Two-sided mid-p: sum P(x') over P(x') < P(x) plus half the sum over
    P(x') == P(x), "==" with R's relative tolerance 1e-7.
    """
    from scipy import stats  # lazy: heavy (background worker)

    m, n, k, x = a + c, b + d, a + b, a
    lo, hi = max(0, k - n), min(k, m)
    support = np.arange(lo, hi + 1)
    logdc = stats.hypergeom.logpmf(support, m + n, m, k)
    d1 = np.exp(logdc)  # the central hypergeometric probabilities (psi = 1)

    def dnhyper(ncp):
        dd = logdc + math.log(ncp) * support
        dd = np.exp(dd - dd.max())
        return dd / dd.sum()

    def mnhyper(ncp):
        if ncp == 0:
            return lo
        if ncp == math.inf:
            return hi
        return float(np.sum(support * dnhyper(ncp)))

    def pnhyper(q, ncp, upper=False):
        if ncp == 1:
            return float(d1[support >= q].sum() if upper else d1[support <= q].sum())
        if ncp == 0:
            return float(q <= lo) if upper else float(q >= lo)
        if ncp == math.inf:
            return float(q <= hi) if upper else float(q >= hi)
        dd = dnhyper(ncp)
        return float(np.sum(dd[support >= q] if upper else dd[support <= q]))

    def mle():
        if x == lo:
            return 0.0
        if x == hi:
            return math.inf
        mu = mnhyper(1.0)
        if mu > x:
            return _root(lambda t: mnhyper(t) - x, 0.0, 1.0)
        if mu < x:
            return 1.0 / _root(lambda t: mnhyper(1.0 / t) - x, _EPS, 1.0)
        return 1.0

    def ncp_u(alpha):
        if x == hi:
            return math.inf
        p = pnhyper(x, 1.0)
        if p < alpha:
            return _root(lambda t: pnhyper(x, t) - alpha, 0.0, 1.0)
        if p > alpha:
            return 1.0 / _root(lambda t: pnhyper(x, 1.0 / t) - alpha, _EPS, 1.0)
        return 1.0

    def ncp_l(alpha):
        if x == lo:
            return 0.0
        p = pnhyper(x, 1.0, upper=True)
        if p > alpha:
            return _root(lambda t: pnhyper(x, t, upper=True) - alpha, 0.0, 1.0)
        if p < alpha:
            return 1.0 / _root(lambda t: pnhyper(x, 1.0 / t, upper=True) - alpha, _EPS, 1.0)
        return 1.0

    alpha = (1 - level) / 2
    p0 = d1[x - lo]
    rel = 1 + 1e-7
    less = d1 < p0 / rel
    equal = (d1 <= p0 * rel) & ~less
    return {
        "cond_or": mle(),
        "cond_or_low": ncp_l(alpha),
        "cond_or_high": ncp_u(alpha),
        "midp": float(d1[less].sum() + 0.5 * d1[equal].sum()),
        "fisher_p_r": float(d1[d1 <= p0 * rel].sum()),
    }


def _domain_mean_var(y, w, psu, G, dom):
    yd, wd = y[dom], w[dom]
    sw = wd.sum()
    p = float(np.sum(wd * yd) / sw)
    v = float(_psu_var(wd * (yd - p) / sw, psu[dom], G)[0, 0])
    return p, v


def effect_sizes(y, group, cluster=None, exposed=None, level: float = 0.95) -> dict:
    """Effect sizes for a binary ``y`` between two groups (exposed vs reference).

    Table [a b; c d]: rows exposed, reference; columns y = 1, y = 0;
    n1 = a+b, n0 = c+d, p1 = a/n1, p0 = c/n0, z = z_{1-alpha/2}.

    * ``fisher_p``: two-sided Fisher exact p (scipy.stats.fisher_exact).
    * ``cond_or`` (+ ``cond_or_low/high``): conditional MLE OR with the exact
      CI, as R fisher.test (see ``_fisher_2x2``).
    * ``midp``: two-sided mid-p = fisher_p - 1/2 P(tables as probable as observed).
    * ``sample_or`` = ad/(bc); Woolf CI exp(log OR -/+ z sqrt(1/a+1/b+1/c+1/d))
      (nan if a cell is 0).
    * ``rd`` = p1 - p0; Newcombe (1998, method 10) hybrid score CI from the
      Wilson limits (l1,u1), (l0,u0):
      L = rd - sqrt((p1-l1)^2 + (u0-p0)^2), U = rd + sqrt((u1-p1)^2 + (p0-l0)^2).
    * ``rr`` = p1/p0; Katz log CI exp(log RR -/+ z sqrt(1/a - 1/n1 + 1/c - 1/n0)).
    * with ``cluster``: design-based contrasts from the domain means
      (``svyby(~y, ~group, svymean, covmat=TRUE)``, block-diagonal covariance)
      and the delta method (``svycontrast``):
      ``svy_rd`` = p1 - p0, se^2 = v1 + v0;
      ``svy_logrr`` = log(p1/p0), se^2 = v1/p1^2 + v0/p0^2; normal (z) CIs and
      p values, and t CIs with degf(design) = G - 1 df (``*_t_low/high``).

    ``exposed`` defaults to 1 when the group is coded {0, 1}, else to the
    larger sorted level.  If y has no variation everything except
    ``fisher_p`` (= 1) and the raw shares is nan and ``reason`` is set.
    """
    from scipy import stats  # lazy: heavy (background worker)

    y = _as1d(y, "y").astype(float)
    g = _as1d(group, "group")
    ok = ~(np.isnan(y) | _isna(g))
    glev = np.unique(g[ok])
    if len(glev) != 2:
        raise ValueError("effect_sizes needs exactly two groups")
    if exposed is None:
        exposed = glev[1]
    ref = glev[0] if glev[1] == exposed else glev[1]
    e_mask = ok & (g == exposed)
    r_mask = ok & (g == ref)
    a, b = int(np.sum(y[e_mask] == 1)), int(np.sum(y[e_mask] == 0))
    c, d = int(np.sum(y[r_mask] == 1)), int(np.sum(y[r_mask] == 0))
    n1, n0 = a + b, c + d
    p1, p0 = a / n1, c / n0
    z = stats.norm.ppf(1 - (1 - level) / 2)
    out: dict[str, Any] = {
        "exposed": exposed,
        "reference": ref,
        "a": a,
        "b": b,
        "c": c,
        "d": d,
        "p_exposed": p1,
        "p_reference": p0,
        "fisher_p": float(stats.fisher_exact([[a, b], [c, d]])[1]),
        "reason": None,
    }
    keys = [
        "cond_or",
        "cond_or_low",
        "cond_or_high",
        "midp",
        "sample_or",
        "woolf_low",
        "woolf_high",
        "rd",
        "rd_newcombe_low",
        "rd_newcombe_high",
        "rr",
        "rr_katz_low",
        "rr_katz_high",
        "svy_rd",
        "svy_rd_se",
        "svy_rd_z_low",
        "svy_rd_z_high",
        "svy_rd_p",
        "svy_rd_t_low",
        "svy_rd_t_high",
        "svy_logrr",
        "svy_logrr_se",
        "svy_rr",
        "svy_rr_z_low",
        "svy_rr_z_high",
        "svy_rr_p",
        "svy_rr_t_low",
        "svy_rr_t_high",
        "svy_df",
    ]
    out.update(dict.fromkeys(keys, NAN))
    if a + c == 0 or b + d == 0:
        out["rd"] = p1 - p0
        out["rr"] = p1 / p0 if p0 > 0 else NAN
        out["reason"] = f"no variation ({a + c} of {n1 + n0}): effect sizes undefined"
        return out
    fr = _fisher_2x2(a, b, c, d, level)
    out.update({k: fr[k] for k in ("cond_or", "cond_or_low", "cond_or_high", "midp")})
    with np.errstate(divide="ignore", invalid="ignore"):
        out["sample_or"] = (a * d) / (b * c) if b * c > 0 else (math.inf if a * d > 0 else NAN)
    if min(a, b, c, d) > 0:
        lor = math.log(a * d / (b * c))
        se = math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
        out["woolf_low"], out["woolf_high"] = math.exp(lor - z * se), math.exp(lor + z * se)
    (l1, l0), (u1, u0) = wilson_interval([a, c], [n1, n0], alpha=1 - level)
    rd = p1 - p0
    out["rd"] = rd
    out["rd_newcombe_low"] = rd - math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2)
    out["rd_newcombe_high"] = rd + math.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)
    out["rr"] = p1 / p0 if p0 > 0 else NAN
    if a > 0 and c > 0:
        serr = math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n0)
        out["rr_katz_low"] = math.exp(math.log(out["rr"]) - z * serr)
        out["rr_katz_high"] = math.exp(math.log(out["rr"]) + z * serr)
    G = int(_codes(_as1d(cluster, "cluster"))[1].max()) + 1 if cluster is not None and len(y) else 0
    if cluster is not None and G >= 2:  # one unit: no design variance, the svy_* contrasts stay nan
        _, psu = _codes(_as1d(cluster, "cluster"))
        w = np.ones(len(y))
        q1, v1 = _domain_mean_var(y, w, psu, G, e_mask)
        q0, v0 = _domain_mean_var(y, w, psu, G, r_mask)
        tq = stats.t.ppf(1 - (1 - level) / 2, G - 1)
        e1, s1 = q1 - q0, math.sqrt(v1 + v0)
        out.update(
            svy_rd=e1,
            svy_rd_se=s1,
            svy_rd_z_low=e1 - z * s1,
            svy_rd_z_high=e1 + z * s1,
            svy_rd_p=float(2 * stats.norm.sf(abs(e1 / s1))) if s1 > 0 else NAN,
            svy_rd_t_low=e1 - tq * s1,
            svy_rd_t_high=e1 + tq * s1,
            svy_df=G - 1,
        )
        if q1 > 0 and q0 > 0:
            e2 = math.log(q1 / q0)
            s2 = math.sqrt(v1 / q1**2 + v0 / q0**2)
            out.update(
                svy_logrr=e2,
                svy_logrr_se=s2,
                svy_rr=math.exp(e2),
                svy_rr_z_low=math.exp(e2 - z * s2),
                svy_rr_z_high=math.exp(e2 + z * s2),
                svy_rr_p=float(2 * stats.norm.sf(abs(e2 / s2))) if s2 > 0 else NAN,
                svy_rr_t_low=math.exp(e2 - tq * s2),
                svy_rr_t_high=math.exp(e2 + tq * s2),
            )
    return out


# ---------------------------------------------------------------------------
# 5. logistic models: CR1, CR2 + Satterthwaite, HTZ, svyglm, Firth
# ---------------------------------------------------------------------------
def _mat_power_sym(x: np.ndarray, p: float, tol: float = 1e-12) -> np.ndarray:
    """clubSandwich:::matrix_power: eigenvalues <= tol are set to 0."""
    vals, vecs = np.linalg.eigh((x + x.T) / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        vp = np.where(vals > tol, np.abs(vals) ** p, 0.0)
    return (vecs * vp) @ vecs.T


def _firth_pll(X, y, b):
    from scipy.special import expit  # lazy: heavy (background worker)

    eta = X @ b
    p = expit(eta)
    w = p * (1 - p)
    ll = np.sum(y * eta - np.logaddexp(0.0, eta))
    sign, logdet = np.linalg.slogdet(X.T @ (X * w[:, None]))
    return ll + 0.5 * logdet


def firth_logit(
    X,
    y,
    fixed: Sequence[int] = (),
    fixval: float = 0.0,
    start=None,
    maxit: int = 500,
    tol: float = 1e-10,
    maxstep: float = 5.0,
) -> dict:
    """Firth (1993) penalised logistic regression (the R reference's algorithm).

    Maximises l*(b) = l(b) + 1/2 log det(X' W X), W = diag(pi (1-pi)), by
    Newton-Raphson on the modified score
        U*_r = sum_i (y_i - pi_i + h_i (1/2 - pi_i)) x_ir,
    h = diag(W^1/2 X (X'WX)^-1 X' W^1/2), with X'WX as the Hessian
    approximation; steps capped at ``maxstep`` (max-abs), step-halving while
    l* decreases, convergence when max|U*| and max|step| < tol.  Components
    in ``fixed`` are held at ``fixval`` while the penalty keeps the full X
    (logistf's profile likelihood).  Returns coef, pll (= l*), vcov
    ((X'WX)^-1 at the estimate) and iterations.
    """
    from scipy.special import expit  # lazy: heavy (background worker)

    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    k = X.shape[1]
    b = np.zeros(k) if start is None else np.array(start, dtype=float)
    fixed = list(fixed)
    if fixed:
        b[fixed] = fixval
    free = np.array([j for j in range(k) if j not in fixed], dtype=int)
    pll = _firth_pll(X, y, b)
    it = 0
    for it in range(1, maxit + 1):  # noqa: B007 - the count is returned
        p = expit(X @ b)
        w = p * (1 - p)
        info = X.T @ (X * w[:, None])
        Xw = X * np.sqrt(w)[:, None]
        h = np.sum((Xw @ np.linalg.inv(info)) * Xw, axis=1)
        U = X.T @ (y - p + h * (0.5 - p))
        step = np.zeros(k)
        if len(free):
            step[free] = np.linalg.solve(info[np.ix_(free, free)], U[free])
        mx = np.max(np.abs(step)) if k else 0.0
        if mx > maxstep:
            step = step * maxstep / mx
        if (len(free) == 0) or (np.max(np.abs(U[free])) < tol and np.max(np.abs(step)) < tol):
            break
        bn = b + step
        pn = _firth_pll(X, y, bn)
        halv = 0
        while pn < pll - 1e-12 and halv < 30:
            step = step / 2
            bn = b + step
            pn = _firth_pll(X, y, bn)
            halv += 1
        b, pll = bn, pn
        if np.max(np.abs(step)) < tol:
            break
    p = expit(X @ b)
    info = X.T @ (X * (p * (1 - p))[:, None])
    return {"coef": b, "pll": _firth_pll(X, y, b), "vcov": np.linalg.inv(info), "iter": it}


def _firth_profile(X, y, fit, j, level=0.95):
    """Penalised LR p value and profile penalised-likelihood CI for b_j.

    stat(v) = 2 (l*(b_hat) - max_{b: b_j = v} l*(b)); p = P(chi2_1 > stat(0));
    CI = the two roots of stat(v) = qchisq(level, 1) (bracketed by doubling
    from one Wald SE, solved to 1e-10 as the R reference).
    """
    from scipy import stats  # lazy: heavy (background worker)
    from scipy.optimize import brentq  # lazy: heavy (background worker)

    q = stats.chi2.ppf(level, 1)
    z = math.sqrt(q)
    bh = fit["coef"]

    def dev(v):
        return 2 * (fit["pll"] - firth_logit(X, y, fixed=[j], fixval=v, start=bh)["pll"])

    plr_p = float(stats.chi2.sf(dev(0.0), 1))
    se = math.sqrt(fit["vcov"][j, j])

    def root(direction):
        # start from the Wald limit (close to the profile limit), widen or narrow the bracket
        near = z * se
        far = bh[j] + direction * near
        while dev(far) < q:
            near *= 1.5
            far = bh[j] + direction * near
            if near > 100:
                return NAN
        lo_, hi_ = sorted((bh[j], far))
        return brentq(lambda v: dev(v) - q, lo_, hi_, xtol=1e-8, rtol=1e-10)

    return plr_p, root(-1), root(+1)


def _binom_dev(y, mu):
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = np.where(y > 0, y * np.log(y / mu), 0.0)
        t0 = np.where(1 - y > 0, (1 - y) * np.log((1 - y) / (1 - mu)), 0.0)
    return float(np.sum(2 * (t1 + t0)))


def _cr2_glm(X, y, mu, psu, J, M_bread=None):
    """CR2 covariance and GH components for a binomial-logit glm (clubSandwich 0.5.8).

    clubSandwich treats a glm through its working model: model matrix
    Xt = diag(v) X (v = mu(1-mu) = dmu/deta), weight matrix W = diag(1/v),
    target Theta = W^-1 (inverse_var = TRUE), response residuals e = y - mu,
    M_U = (Xt' W Xt)^-1 = (X' diag(v) X)^-1.  Per cluster j:
        G_j  = Theta_j^1/2 (I - Xt_j M_U Xt_j' W_j) Theta_j Theta_j^1/2,
        A_j  = Theta_j^1/2 G_j^-1/2 Theta_j^1/2      (CR2 adjustment),
        E_j  = Xt_j' W_j A_j = X_j' A_j,
        V_CR2 = M (sum_j E_j e_j e_j' E_j') M,
    M = bread/n = summary(glm)$cov.unscaled (= M_U for a converged fit;
    ``M_bread`` lets the R-replica mode pass R's previous-iteration version).
    For the Satterthwaite/HTZ degrees of freedom (``get_GH``):
        Gm_j = M E_j Theta_j^1/2  (p x n_j),  H_j = M E_j Xt_j L  (p x p),
        L = lower Cholesky factor of M.
    """
    v = mu * (1 - mu)
    MU = np.linalg.inv(X.T @ (X * v[:, None]))
    Mb = MU if M_bread is None else M_bread
    L = np.linalg.cholesky(Mb)
    e = y - mu
    p = X.shape[1]
    comps = np.zeros((J, p))
    Gm, H = [], np.zeros((J, p, p))
    LU = np.linalg.cholesky(MU)
    order = np.argsort(psu, kind="stable")
    bounds = np.searchsorted(psu[order], np.arange(J + 1))
    for j in range(J):
        idx = order[bounds[j] : bounds[j + 1]]
        Xj, vj = X[idx], v[idx]
        Xtj = Xj * vj[:, None]
        sq = np.sqrt(vj)
        if np.ptp(vj) <= 1e-12 * vj.max():
            Ej = _cr2_e_equal_weights(Xj, vj, LU)
        else:
            IH = np.eye(len(idx)) - Xtj @ MU @ Xj.T  # I - Xt M_U Xt' W
            Gj = sq[:, None] * (IH * vj[None, :]) * sq[None, :]
            Aj = sq[:, None] * _mat_power_sym(Gj, -0.5) * sq[None, :]
            Ej = Xj.T @ Aj
        comps[j] = Ej @ e[idx]
        MEj = Mb @ Ej
        Gm.append(MEj * sq[None, :])
        H[j] = MEj @ Xtj @ L
    Vcr2 = Mb @ (comps.T @ comps) @ Mb
    return Vcr2, Gm, H


def _cr2_work(psu: np.ndarray, v: np.ndarray, J: int) -> float:
    """Σ n_j³ over the clusters whose working weights differ (the others cost O(n_j))."""
    sizes = np.bincount(psu, minlength=J).astype(float)
    high = np.full(J, -np.inf)
    low = np.full(J, np.inf)
    np.maximum.at(high, psu, v)
    np.minimum.at(low, psu, v)
    varying = (high - low) > 1e-12 * high
    return float((sizes[varying] ** 3).sum())


def _cr2_e_equal_weights(Xj: np.ndarray, vj: np.ndarray, LU: np.ndarray, tol: float = 1e-12) -> np.ndarray:
    """``E_j = X_j' A_j`` of :func:`_cr2_glm` for a cluster whose working weights are equal (every
    expert of a unit shares the unit-level covariates), without the n_j × n_j matrices.

    With v the common weight, G_j = v² I − B B' (B = v^1.5 X_j L, M_U = L L'), a rank-k change of
    a multiple of I: if B = U S V' (thin SVD), G_j^-1/2 = f(v²) I + U diag(f(v² − s²) − f(v²)) U'
    with f(λ) = λ^-1/2 for λ > tol and 0 otherwise (clubSandwich's matrix_power). The same numbers
    as the eigendecomposition in O(n_j k²) instead of O(n_j³).
    """
    v = float(vj[0])
    B = (v**1.5) * (Xj @ LU)
    U, sv, _ = np.linalg.svd(B, full_matrices=False)

    def f(lam: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(lam > tol, np.abs(lam) ** -0.5, 0.0)

    base = float(f(np.array(v * v)))
    delta = f(v * v - sv**2) - base
    # A_j = v^1/2 G_j^-1/2 v^1/2 = v (base I + U diag(delta) U')
    return v * (base * Xj.T + ((Xj.T @ U) * delta) @ U.T)


def _satterthwaite_cr2(Gm, H, i):
    """clubSandwich Satterthwaite df for coefficient i:
    P_i = diag_j(sum_t Gm_j[i,t]^2) - H_i H_i'  (J x J, H_i[j,:] = H_j[i,:]),
    df = 2 tr(P_i)^2 / (2 sum P_i^2)."""
    Hi = H[:, i, :]
    P = -Hi @ Hi.T
    P[np.diag_indices_from(P)] += np.array([np.sum(g[i] ** 2) for g in Gm])
    spread = float(np.sum(P**2))
    # no spread at all (every cluster's contribution to the coefficient is zero: degenerate data):
    # the degrees of freedom are undefined, not 0/0 with a warning
    return float(np.trace(P) ** 2 / spread) if spread > 0 else NAN


def _htz_test(Cm, beta, Vcr2, Gm, H):
    """clubSandwich Wald_test(test = "HTZ") for H0: C beta = 0.

    With Gc_j = C Gm_j, Hc_j = C H_j:
      P[s,t] = diag_j(sum Gc_j[s] Gc_j[t]) - Hc_s Hc_t'  (J x J),
      Omega[s,t] = tr P[s,t],  B[.,.,k,l] = Omega^-1/2 P[.,.,k,l] Omega^-1/2,
      Var[s,t] = sum_kl B[s,t,k,l] B[t,s,k,l] + B[s,s,k,l] B[t,t,k,l],
      nu = q(q+1)/sum(Var);  Q = (C b)' (C V_CR2 C')^-1 (C b),
      F = delta Q/q with delta = max((nu-q+1)/nu, 0), on (q, nu-q+1) df.
    """
    from scipy import stats  # lazy: heavy (background worker)

    q = Cm.shape[0]
    J = H.shape[0]
    Gc = [Cm @ g for g in Gm]
    Hc = np.einsum("sp,jpu->sju", Cm, H)  # q x J x u
    P = np.zeros((q, q, J, J))
    for s in range(q):
        for t in range(q):
            tmp = -Hc[s] @ Hc[t].T
            tmp[np.diag_indices(J)] += np.array([np.sum(g[s] * g[t]) for g in Gc])
            P[s, t] = tmp
    Omega = np.einsum("stkk->st", P)
    On = _mat_power_sym(Omega, -0.5)
    Bm = np.einsum("as,stkl,tb->abkl", On, P, On)
    var = np.zeros((q, q))
    for s in range(q):
        for t in range(q):
            var[s, t] = np.sum(Bm[s, t] * Bm[t, s]) + np.sum(Bm[s, s] * Bm[t, t])
    nu = q * (q + 1) / np.sum(var)
    cb = Cm @ beta
    Q = float(cb @ np.linalg.solve(Cm @ Vcr2 @ Cm.T, cb))
    delta = max((nu - q + 1) / nu, 0.0)
    df2 = nu - q + 1
    Fst = delta * Q / q
    return {
        "F": Fst,
        "df_num": q,
        "df_denom": df2,
        "delta": delta,
        "Q": Q,
        "p": float(stats.f.sf(Fst, q, df2)) if df2 > 0 else NAN,
    }


def logit_models(
    frame: pd.DataFrame,
    y: str,
    terms: Sequence[str],
    cluster: str,
    joint: Sequence[str] | None = None,
    firth: bool = True,
    level: float = 0.95,
) -> dict:
    """Logistic regression ``y ~ 1 + terms`` with cluster-robust inference.

    The caller builds the covariates (e.g. ``log10(distance_km)``); ``terms``
    are column names of ``frame`` used as they are (no transformation here).
    Rows with missing values in y/terms/cluster are dropped.

    The binomial GLM (statsmodels) is iterated to full convergence (tol 1e-13); every covariance
    is evaluated at the MLE.

    Per coefficient (rows of ``coefficients``), with mu = fitted
    probabilities, M = (X' diag(mu(1-mu)) X)^-1, s_c = sum_{i in c} x_i (y_i - mu_i),
    G clusters, n rows, k coefficients:
      * ``glm_coef``, ``glm_se`` = sqrt(diag M), ``glm_p`` (normal Wald).
      * CR1 = ``sandwich::vcovCL(type="HC1")``:
        V = G/(G-1) (n-1)/(n-k) M (sum_c s_c s_c') M; ``cr1_z``, ``cr1_p`` normal.
      * CR2 = ``clubSandwich::coef_test(vcov="CR2", test="Satterthwaite")``
        (Bell-McCaffrey adjustment on the glm working model, see
        ``_cr2_glm``; Satterthwaite df of Pustejovsky & Tipton 2018, see
        ``_satterthwaite_cr2``): ``cr2_se``, ``cr2_t``, ``cr2_df``,
        ``cr2_p`` = 2 P(t_df > |t|).
      * ``svyglm_*``: ``svyglm(family=quasibinomial)`` on
        ``svydesign(ids=~cluster)``: V = G/(G-1) M (sum_c (s_c - sbar)(s_c - sbar)') M,
        t on G - k df.
      * Firth (``firth_logit``): ``firth_coef``, ``firth_se`` (inverse
        information), ``firth_wald_p``, ``firth_plr_p`` (penalised LR vs chi2_1,
        logistf's default), ``firth_ci_low/high`` (profile penalised likelihood).
      * ``events_per_parameter`` = min(events, non-events) / k.
    ``joint`` (list of terms): the joint CR2 Wald test with the HTZ small-sample
    correction, exactly ``clubSandwich::Wald_test(constrain_zero(joint),
    vcov="CR2", test="HTZ")`` (``_htz_test``), and, for comparison, the CR1
    Wald chi-square on len(joint) df.

    Returns ``{"coefficients": DataFrame, "joint": dict | None, "n", "events",
    "n_coef", "events_per_parameter", "iterations", "warnings", "reason"}``.
    """
    import statsmodels.api as sm  # lazy: heavy (background worker)
    from scipy import stats  # lazy: heavy (background worker)
    from scipy.special import expit  # lazy: heavy (background worker)

    cols = [y] + list(terms) + [cluster]
    d = frame[cols].dropna()
    yv = d[y].to_numpy(dtype=float)
    X = np.column_stack([np.ones(len(d))] + [d[t].to_numpy(dtype=float) for t in terms])
    names = ["(Intercept)"] + list(terms)
    n, k = X.shape
    _, psu = _codes(d[cluster].to_numpy())
    J = int(psu.max()) + 1
    events = float(yv.sum())
    epp = min(events, n - events) / k
    base = {"n": n, "events": events, "n_coef": k, "events_per_parameter": epp}
    if events in (0, n):
        return {
            **base,
            "coefficients": pd.DataFrame({"term": names}),
            "joint": None,
            "iterations": 0,
            "warnings": "",
            "reason": "no variation in y: model undefined",
        }
    if J < 2:
        return {
            **base,
            "coefficients": pd.DataFrame({"term": names}),
            "joint": None,
            "iterations": 0,
            "warnings": "",
            "reason": "fewer than 2 clusters",
        }
    with warnings.catch_warnings(record=True) as wlist:
        warnings.simplefilter("always")
        res = sm.GLM(yv, X, family=sm.families.Binomial()).fit(tol=1e-13, maxiter=200)
        beta = np.asarray(res.params)
        mu = expit(X @ beta)
        v = mu * (1 - mu)
        Mb = np.linalg.inv(X.T @ (X * v[:, None]))
        ef = X * (yv - mu)[:, None]
        iters = int(res.fit_history.get("iteration", 0))
    if np.any((mu < 10 * _EPS) | (mu > 1 - 10 * _EPS)):
        wlist.append(warnings.WarningMessage("fitted probabilities numerically 0 or 1 occurred", UserWarning, "", 0))
    wmsg = "; ".join(sorted({str(w_.message) for w_ in wlist}))
    glm_se = np.sqrt(np.diag(Mb))
    S = np.zeros((J, k))
    np.add.at(S, psu, ef)
    V1 = J / (J - 1) * (n - 1) / (n - k) * Mb @ (S.T @ S) @ Mb
    Sc = S - S.mean(axis=0)
    Vsvy = J / (J - 1) * Mb @ (Sc.T @ Sc) @ Mb
    se1 = np.sqrt(np.diag(V1))
    sesvy = np.sqrt(np.diag(Vsvy))
    sizes = np.bincount(psu).astype(float)
    if _cr2_work(psu, mu * (1 - mu), J) <= MAX_CR2_WORK:
        Vcr2, Gm, H = _cr2_glm(X, yv, mu, psu, J, M_bread=Mb)
        se2 = np.sqrt(np.diag(Vcr2))
        df2 = np.array([_satterthwaite_cr2(Gm, H, i) for i in range(k)])
    else:  # clusters too large for the n_j × n_j matrices of CR2: CR1 with t on clusters − 1 df
        Vcr2, Gm, H = V1, [], np.zeros((0, k, k))
        se2 = se1
        df2 = np.full(k, float(J - 1))
        big = f"clusters too large for CR2 (largest {int(sizes.max())}): CR1 with t(G-1)"
        wmsg = "; ".join(filter(None, [wmsg, big]))
    t2 = _ratio(beta, se2)
    svy_df = J - k
    tab = pd.DataFrame(
        {
            "term": names,
            "glm_coef": beta,
            "glm_se": glm_se,
            "glm_p": 2 * stats.norm.sf(np.abs(_ratio(beta, glm_se))),
            "cr1_se": se1,
            "cr1_z": _ratio(beta, se1),
            "cr1_p": 2 * stats.norm.sf(np.abs(_ratio(beta, se1))),
            "cr2_se": se2,
            "cr2_t": t2,
            "cr2_df": df2,
            "cr2_p": 2 * stats.t.sf(np.abs(t2), df2),
            "svyglm_se": sesvy,
            "svyglm_t": _ratio(beta, sesvy),
            "svyglm_df": svy_df,
            "svyglm_p": 2 * stats.t.sf(np.abs(_ratio(beta, sesvy)), svy_df) if svy_df > 0 else NAN,
        }
    )
    if firth:
        ff = firth_logit(X, yv)
        fse = np.sqrt(np.diag(ff["vcov"]))
        prof = [_firth_profile(X, yv, ff, j, level) for j in range(k)]
        tab["firth_coef"] = ff["coef"]
        tab["firth_se"] = fse
        tab["firth_wald_p"] = 2 * stats.norm.sf(np.abs(ff["coef"] / fse))
        tab["firth_plr_p"] = [r[0] for r in prof]
        tab["firth_ci_low"] = [r[1] for r in prof]
        tab["firth_ci_high"] = [r[2] for r in prof]
    jt = None
    if joint:
        idx = sorted(names.index(t) for t in joint)
        Cm = np.eye(k)[idx]
        b2 = beta[idx]
        W1 = float(b2 @ np.linalg.solve(V1[np.ix_(idx, idx)], b2))
        if Gm:
            htz = _htz_test(Cm, beta, Vcr2, Gm, H)
        else:  # large clusters (see above): the CR1 Wald F on (q, G − 1) df
            q = len(idx)
            htz = {"F": W1 / q, "df_num": q, "df_denom": float(J - 1), "delta": 1.0, "Q": W1,
                   "p": float(stats.f.sf(W1 / q, q, J - 1))}  # fmt: skip
        jt = {
            "terms": [names[i] for i in idx],
            "cr2_htz": htz,
            "cr1_wald": {"chisq": W1, "df": len(idx), "p": float(stats.chi2.sf(W1, len(idx)))},
        }
    return {**base, "coefficients": tab, "joint": jt, "iterations": iters, "warnings": wmsg, "reason": None}


# ---------------------------------------------------------------------------
# 6. multiple marginal independence (MMI)
# ---------------------------------------------------------------------------
def _x2_rx2(A: np.ndarray, nl: np.ndarray, m: np.ndarray, n: float) -> np.ndarray:
    """Pearson X^2 of the r x 2 tables (group x item) from counts.

    A: (..., r, c) counts of item = 1 per group; nl: (..., r) group sizes;
    m: (c,) item totals; n total.  X^2 = sum_l n^2 (A_l - n_l m/n)^2 / (n_l m (n-m)).
    """
    Ek = nl[..., :, None] * m / n
    return np.sum((A - Ek) ** 2 * n * n / (nl[..., :, None] * m * (n - m)), axis=-2)


def _x2_rx2_addconst(A, nl, const=0.5):
    """Pearson X^2 of r x 2 tables where zero cells are replaced by ``const`` (MRCV)."""
    a = A.astype(float)
    b = nl[..., :, None] - A
    a = np.where(a == 0, const, a)
    b = np.where(b == 0, const, b)
    ra = a + b  # row totals (..., r, c)
    ca = a.sum(axis=-2, keepdims=True)
    cb = b.sum(axis=-2, keepdims=True)
    N = ca + cb
    Ea = ra * ca / N
    Eb = ra * cb / N
    return np.sum((a - Ea) ** 2 / Ea + (b - Eb) ** 2 / Eb, axis=-2)


def _rs_mmi(Y: np.ndarray, gc: np.ndarray, r: int) -> dict:
    """Rao-Scott quantities of Bilder, Loughin & Nettleton (2000, App. A) / MRCV MMI.test.

    a_i = n_i/n, V = blockdiag_i(Cov_i(Y)/a_i) (ML covariance within group i;
    equal to G (diag tau - tau tau') G' of the pattern table),
    H = I_rc - (J_rr A) (x) I_c, D = diag(n/n_i) (x) diag(pi_.j (1-pi_.j)),
    S ~ sum lambda_k chi2_1 with lambda = eig(D^-1 H V H').
    sum(lambda) = tr(.), sum(lambda^2) = tr((.)^2).
    """
    n, c = Y.shape
    ni = np.array([np.sum(gc == i) for i in range(r)], dtype=float)
    a = ni / n
    Vb = np.zeros((r * c, r * c))
    for i in range(r):
        Yi = Y[gc == i]
        mu = Yi.mean(axis=0)
        Ci = Yi.T @ Yi / len(Yi) - np.outer(mu, mu)
        Vb[i * c : (i + 1) * c, i * c : (i + 1) * c] = Ci / a[i]
    pidot = Y.mean(axis=0)
    Hm = np.eye(r * c) - np.kron(np.ones((r, r)) @ np.diag(a), np.eye(c))
    Dd = np.repeat(1 / a, c) * np.tile(pidot * (1 - pidot), r)
    Mm = (Hm @ Vb @ Hm.T) / Dd[:, None]
    return {"sum_lambda": float(np.trace(Mm)), "sum_lambda2": float(np.trace(Mm @ Mm)), "k": (r - 1) * c}


def mmi_test(
    frame: pd.DataFrame,
    items: Sequence[str],
    group: str,
    cluster: str | None = None,
    B_boot: int = 9999,
    B_perm: int = 9999,
    seed: int | None = 20240502,
    boot_seed: int | None = 20240501,
    chunk: int = 5000,
    tol: float = 1e-9,
) -> dict:
    """Overall test of multiple marginal independence (MMI) between ``group`` and ``items``.

    Statistic: S = sum_j X^2_j, the Pearson X^2 of each r x 2 table
    (group x item j) (Agresti & Liu 1999; Bilder, Loughin & Nettleton 2000).

    Returned tests (``tests`` DataFrame, one row per method):
      * ``naive_chisq_sum``: S against chi2((r-1)c) -- ignores item correlation.
      * ``rs1``: first-order Rao-Scott, S / lambda_bar on (r-1)c df,
        lambda_bar = sum(lambda)/((r-1)c).
      * ``rs2_MRCV``: what ``MRCV::MI.test(type="rs2")`` (= ``MMI.test``)
        computes: (r-1)c S / sum(lambda^2) on ((r-1)c)^2 / sum(lambda^2) df
        (S with MRCV's +0.5 in empty cells, as the bootstrap),
        lambda = eig(D^-1 H V H') as in BLN (2000) App. A (``_rs_mmi``).
      * ``rs2_satterthwaite``: S sum(lambda)/sum(lambda^2) on
        sum(lambda)^2/sum(lambda^2) df.
      * ``bootstrap_MRCV_expert`` (``B_boot`` > 0, seed ``boot_seed``): group
        labels fixed, whole item rows resampled with replacement; resamples
        in which an item is constant are discarded (MRCV's B.max = B); zero
        cells get +0.5, in the observed tables too (MRCV's ``add.constant``:
        its S differs from the plain S only when a cell is empty);
        p = mean(S* >= S) (as MRCV).
      * ``cluster_permutation`` (``B_perm`` > 0, seed ``seed``): the
        unit-level group labels are permuted among the units (units in order
        of first appearance); every expert inherits the label of the unit, so
        group sizes in experts change between permutations; S* is plain
        Pearson.  p = (1 + #{S* >= S (1 - tol)}) / (B + 1).  With
        ``cluster=None`` each expert is its own unit (``expert_permutation``);
        with singleton units the two are identical draw for draw.
        Vectorised in chunks of ``chunk`` permutations (memory ~ chunk x
        (units + items)); the same permutations give the per-item p values
        (``items`` DataFrame).

    Constant items (X^2 undefined) are dropped and listed in
    ``dropped_items``.  The group must be constant within a unit for the
    cluster permutation (otherwise it is skipped and ``reason`` says why).
    Returns ``{"S", "items" (DataFrame item, X2, perm_count, perm_p),
    "tests" (DataFrame method, statistic, df, p, B, B_used, note),
    "lambda", "dropped_items", "n", "n_units", "r", "reason"}``.
    """
    from scipy import stats  # lazy: heavy (background worker)

    cols = list(items) + [group] + ([cluster] if cluster is not None else [])
    d = frame[cols].dropna()
    Yall = d[list(items)].to_numpy(dtype=float)
    keep = [j for j in range(Yall.shape[1]) if 0 < Yall[:, j].sum() < len(d)]
    dropped = [items[j] for j in range(len(items)) if j not in keep]
    items_k = [items[j] for j in keep]
    Y = Yall[:, keep]
    n, c = Y.shape
    glev, gc = _codes(d[group].to_numpy())
    r = len(glev)
    if r < 2 or c == 0:
        return {
            "S": NAN,
            "items": pd.DataFrame(),
            "tests": pd.DataFrame(),
            "lambda": {},
            "dropped_items": dropped,
            "n": n,
            "n_units": NAN,
            "r": r,
            "reason": "need >= 2 groups and >= 1 non-constant item",
        }
    m = Y.sum(axis=0)
    nl = np.bincount(gc, minlength=r).astype(float)
    A = np.stack([Y[gc == i].sum(axis=0) for i in range(r)])  # r x c
    x2 = _x2_rx2(A, nl, m, n)
    S = float(x2.sum())
    # MRCV's own statistic: empty cells of the observed tables count 0.5 (``add.constant``), as in
    # every resample; its bootstrap and its Rao–Scott test use it (MMI.test → MI.stat)
    S_mrcv = float(_x2_rx2_addconst(A, nl).sum())
    k = (r - 1) * c

    def chi2_row(method: str, statistic: float, df: float, note: str) -> dict:
        p = float(stats.chi2.sf(statistic, df))
        return {"method": method, "statistic": statistic, "df": df, "p": p, "B": NAN, "B_used": NAN, "note": note}

    rows = [chi2_row("naive_chisq_sum", S, k, "S ~ chi2((r-1)c): ignores item correlation")]
    lam = _rs_mmi(Y, gc, r)
    sl, sl2 = lam["sum_lambda"], lam["sum_lambda2"]
    if not (sl > 0 and sl2 > 0):  # too few respondents for a covariance: no Rao–Scott adjustment
        sl = sl2 = NAN
    with np.errstate(divide="ignore", invalid="ignore"):
        lbar = sl / k
        rows.append(chi2_row("rs1", S / lbar, k, f"lambda_bar={lbar:.15g}"))
        rows.append(
            chi2_row(
                "rs2_MRCV",
                k * S_mrcv / sl2,
                k * k / sl2,
                "MRCV MI.test(type='rs2') = MMI.test (BLN 2000 App. A); empty cells +0.5 as MRCV",
            )
        )
        rows.append(chi2_row("rs2_satterthwaite", S * sl / sl2, sl * sl / sl2, "uses estimated sum(lambda)"))
    lam_out = {"sum_lambda": sl, "sum_lambda2": sl2, "lambda_bar": lbar}
    # --- MRCV-style bootstrap (expert level) ---
    if B_boot and B_boot > 0:
        gen = np.random.default_rng(boot_seed)
        ge = used = done = 0
        pos = [np.flatnonzero(gc == i) for i in range(r)]
        # rows with the same answers are interchangeable: count draws per distinct pattern
        patterns, pattern = np.unique(Y, axis=0, return_inverse=True)
        pattern = pattern.reshape(-1)
        n_pat = len(patterns)
        while done < B_boot:
            nb = min(chunk, B_boot - done)
            idx = gen.integers(0, n, size=(nb, n))
            Ab = np.zeros((nb, r, c))
            offset = (np.arange(nb) * n_pat)[:, None]
            for i in range(r):  # how often each answer pattern is drawn for group i, per resample
                flat = (pattern[idx[:, pos[i]]] + offset).ravel()
                cnt = np.bincount(flat, minlength=nb * n_pat).reshape(nb, n_pat)
                Ab[:, i, :] = cnt @ patterns
            Mtot = Ab.sum(axis=1)
            valid = np.all((Mtot > 0) & (Mtot < n), axis=1)
            Sb = _x2_rx2_addconst(Ab[valid], np.broadcast_to(nl, (int(valid.sum()), r))).sum(axis=1)
            ge += int(np.sum(Sb >= S_mrcv - tol * S_mrcv))
            used += int(valid.sum())
            done += nb
        rows.append(
            {
                "method": "bootstrap_MRCV_expert",
                "statistic": S_mrcv,
                "df": NAN,
                "p": ge / used if used else NAN,
                "B": B_boot,
                "B_used": used,
                "note": f"p=mean(S*>=S) as MRCV; #{{S*>=S}}={ge}; discarded={B_boot - used}; "
                f"(1+#)/(B_used+1)={(1 + ge) / (used + 1):.6g}",
            }
        )

    # --- cluster (unit) permutation ---
    item_tab = pd.DataFrame({"item": items_k, "X2": x2})
    reason = None
    n_units = NAN
    if B_perm and B_perm > 0:
        if cluster is None:
            ulab, Yu, msz = gc.copy(), Y, np.ones(n)
        else:
            ulev, uc = _codes(d[cluster].to_numpy(), order="appearance")
            U = len(ulev)
            ulab = np.full(U, -1)
            ulab[uc[::-1]] = gc[::-1]  # label of the first expert of each unit
            if np.any(ulab[uc] != gc):
                reason = "group varies within a unit: unit permutation undefined"
            Yu = np.column_stack([np.bincount(uc, weights=Y[:, j], minlength=U) for j in range(c)])
            msz = np.bincount(uc, minlength=U).astype(float)
        n_units = len(ulab)
        if reason is None:
            gen = np.random.default_rng(seed)
            ge_S = 0
            ge_j = np.zeros(c, dtype=np.int64)
            done = 0
            while done < B_perm:
                nb = min(chunk, B_perm - done)
                Gu = gen.permuted(np.broadcast_to(ulab, (nb, n_units)), axis=1)
                Ap = np.empty((nb, r, c))
                nlp = np.empty((nb, r))
                for i in range(r):
                    ind = (Gu == i).astype(float)
                    Ap[:, i, :] = ind @ Yu
                    nlp[:, i] = ind @ msz
                xp = _x2_rx2(Ap, nlp, m, n)
                ge_S += int(np.sum(xp.sum(axis=1) >= S - tol * abs(S)))
                ge_j += np.sum(xp >= x2 - tol * np.abs(x2), axis=0)
                done += nb
            rows.append(
                {
                    "method": "cluster_permutation" if cluster is not None else "expert_permutation",
                    "statistic": S,
                    "df": NAN,
                    "p": (1 + ge_S) / (B_perm + 1),
                    "B": B_perm,
                    "B_used": B_perm,
                    "note": f"#{{S*>=S}}={ge_S}; units={n_units}",
                }
            )
            item_tab["perm_count"] = ge_j
            item_tab["perm_p"] = (1 + ge_j) / (B_perm + 1)
    return {
        "S": S,
        "items": item_tab,
        "tests": pd.DataFrame(rows),
        "lambda": lam_out,
        "dropped_items": dropped,
        "n": n,
        "n_units": n_units,
        "r": r,
        "reason": reason,
    }
