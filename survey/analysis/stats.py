"""Tests for multiple-response data: 2×2 tests per category, adjustments, letters, an overall test.

**Per category** (:func:`problem_tests`): the 2×2 table *group* (``border`` vs
``non_border``) × *mentions the category* (yes/no), with

* Fisher's exact test (two-sided, scipy) — the primary test, valid for small counts;
* Pearson's chi-square without continuity correction (scipy), with the smallest expected
  count (``min_expected``; below 5 the chi-square approximation is doubtful: use Fisher);
* the odds ratio **border vs non_border** — the odds that an expert of a border unit names
  the category divided by those odds for an expert of a non-border unit (> 1: border units
  name it more often) — with the Woolf (log) 95 % interval (statsmodels ``Table2x2``). When a
  cell is 0 but no margin is, 0.5 is added to all four cells (Haldane–Anscombe) and
  ``or_corrected`` says so;
* Fisher p-values adjusted over the categories with Holm (family-wise error) and
  Benjamini–Hochberg (false discovery rate), statsmodels ``multipletests``.

A category that everybody (or nobody) names — COVID-19 is named by all 123 experts — gives
a 2×2 table with an empty column: only one table has those margins, so Fisher's p is 1, and
the chi-square and the odds ratio are undefined (written empty). Such a category is not a
test, so it is **left out of the Holm and BH family** (its adjusted p-values are empty).

**Several experts share a unit.** The expert-level tests treat experts as independent. As
a check, :func:`problem_tests_detail` adds Fisher's p at unit level (a unit counts when any of
its experts names the category) and a *cluster permutation* p: the border status is permuted
among units (all experts of a unit move together), which keeps the dependence within units.

**Overall test** (:func:`overall_test`): does the *profile* of problems differ between the
groups? A chi-square over the whole multiple-response table is invalid (one expert gives
several answers). Following the test of multiple marginal independence (MMI) between a
single-response and a multiple-response variable (Agresti & Liu 1999; Bilder, Loughin &
Nettleton 2000; Bilder & Loughin 2004), the statistic is the sum of the per-category
Pearson statistics, X²_S = Σ_j X²_j, and its null distribution is obtained

* by permuting the group labels among experts (Monte Carlo permutation, seeded), and
* by permuting them among *units* (cluster permutation: experts of a unit keep one label),

and, as a simple alternative, with a Bonferroni correction: p = min(1, c · min_j p_j) over the
c testable categories (p_j from the χ² distribution with r − 1 degrees of freedom).

References:
Agresti, A., Liu, I.-M. (1999). Modeling a categorical variable allowing arbitrarily many
category choices. *Biometrics* 55, 936–943.
Bilder, C. R., Loughin, T. M., Nettleton, D. (2000). Multiple marginal independence testing
for pick any/c variables. *Communications in Statistics – Simulation and Computation* 29,
1285–1316.
Bilder, C. R., Loughin, T. M. (2004). Testing for marginal independence between two
categorical variables with multiple responses. *Biometrics* 60, 241–248.

>>> from survey.analysis.frame import sample_frame
>>> frame = sample_frame()
>>> print(problem_tests(frame, ["distance", "mentality", "covid"]).round(6).to_string())
    category  odds_ratio  or_ci_low  or_ci_high  p_fisher    p_chi2    p_holm      p_bh  min_expected
0   distance    0.089510   0.028446    0.281662  0.000003  0.000002  0.000006  0.000006     11.414634
1  mentality    1.026738   0.413031    2.552329  1.000000  0.954709  1.000000  1.000000      8.878049
2      covid         NaN        NaN         NaN  1.000000       NaN       NaN       NaN      0.000000

Border experts name distance far less often (4 of 26 against 65 of 97: OR 0.09); mentality
does not differ; COVID-19 is named by everybody, so it is not tested.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from survey.analysis.frame import (
    DEFAULT_GROUP,
    group_order,
    group_values,
    is_unit_attribute,
    letter,
    unit_frame,
)

PROBLEM_TESTS_COLUMNS = [
    "category",
    "odds_ratio",
    "or_ci_low",
    "or_ci_high",
    "p_fisher",
    "p_chi2",
    "p_holm",
    "p_bh",
    "min_expected",
]
DEFAULT_PERMUTATIONS = 9999
DEFAULT_SEED = 20210301  # the first day of fieldwork; any fixed number would do
EXPECTED_MIN = 5.0


# ------------------------------------------------------------------------- column proportions


def column_proportion_letters(counts: Sequence[int], bases: Sequence[int], *, alpha: float = 0.05) -> list[str]:
    """SPSS-style column-proportion tests: for each group, the letters of the groups it exceeds.

    Groups get the letters A, B, C… in order. Every pair of groups with a non-empty base is
    compared with the two-sided z-test for two proportions with the pooled proportion,
    z = (p1 − p2) / sqrt(p(1 − p)(1/n1 + 1/n2)); the p-value is multiplied by the number
    of such pairs (Bonferroni) and compared with ``alpha``. As in SPSS, a group whose
    proportion is 0 or 1 is not compared. The letter of the lower group is written under
    the higher one.

    >>> column_proportion_letters([4, 65], [26, 97])
    ['', 'A']
    """
    from scipy.stats import norm

    counts = [int(c) for c in counts]
    bases = [int(b) for b in bases]
    k = len(counts)
    letters = [letter(i) for i in range(k)]
    nonempty = [i for i in range(k) if bases[i] > 0]
    m = len(nonempty) * (len(nonempty) - 1) // 2
    out: list[list[str]] = [[] for _ in range(k)]
    for ii, i in enumerate(nonempty):
        for j in nonempty[ii + 1 :]:
            p1, p2 = counts[i] / bases[i], counts[j] / bases[j]
            if p1 in (0.0, 1.0) or p2 in (0.0, 1.0):
                continue
            pooled = (counts[i] + counts[j]) / (bases[i] + bases[j])
            se = math.sqrt(pooled * (1 - pooled) * (1 / bases[i] + 1 / bases[j]))
            z = (p1 - p2) / se
            p = min(1.0, 2 * norm.sf(abs(z)) * m)
            if p < alpha:
                if p1 > p2:
                    out[i].append(letters[j])
                else:
                    out[j].append(letters[i])
    return ["".join(sorted(x, key=lambda s: (len(s), s))) for x in out]


# ------------------------------------------------------------------------- 2 × 2


def two_by_two(
    frame: pd.DataFrame,
    category: str,
    group_by: str = DEFAULT_GROUP,
    *,
    exposed: str = "border",
    reference: str = "non_border",
) -> np.ndarray:
    """The 2×2 table ``[[a, b], [c, d]]``: rows ``exposed``, ``reference``; columns mention yes, no.

    >>> from survey.analysis.frame import sample_frame
    >>> two_by_two(sample_frame(), "distance")
    array([[ 4, 22],
           [65, 32]])
    """
    g = group_values(frame, group_by)
    y = frame[category].fillna(0).astype(int).to_numpy()
    rows = []
    for level in (exposed, reference):
        mask = (g == level).to_numpy()
        k = int(y[mask].sum())
        rows.append([k, int(mask.sum()) - k])
    return np.array(rows, dtype=int)


def odds_ratio(table) -> tuple[float, float, float, bool]:
    """Odds ratio a·d / (b·c) with its Woolf 95 % interval (statsmodels ``Table2x2``).

    Returns ``(odds_ratio, ci_low, ci_high, corrected)``. With a zero cell (and no zero
    margin) 0.5 is added to every cell first (Haldane–Anscombe; ``corrected`` is True).
    With a zero margin the odds ratio is undefined: NaN.
    """
    from statsmodels.stats.contingency_tables import Table2x2

    t = np.asarray(table, dtype=float)
    if (t.sum(axis=0) == 0).any() or (t.sum(axis=1) == 0).any():
        return math.nan, math.nan, math.nan, False
    corrected = bool((t == 0).any())
    if corrected:
        t = t + 0.5
    tab = Table2x2(t, shift_zeros=False)
    low, high = tab.oddsratio_confint(alpha=0.05)
    return float(tab.oddsratio), float(low), float(high), corrected


def expected_counts(table) -> np.ndarray:
    """Expected counts under independence: row total × column total / n."""
    t = np.asarray(table, dtype=float)
    n = t.sum()
    return np.outer(t.sum(axis=1), t.sum(axis=0)) / n if n else np.zeros_like(t)


def adjust_pvalues(pvalues: Sequence[float], method: str) -> np.ndarray:
    """Adjusted p-values (statsmodels ``multipletests``; ``holm`` or ``fdr_bh``); NaN stays NaN and is not counted."""
    from statsmodels.stats.multitest import multipletests

    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        # statsmodels calls gc.collect() in its Holm branch: with pandas and scipy loaded a
        # full collection costs ~0.1 s per call; frozen objects are skipped (nothing changes)
        gc.freeze()
        try:
            out[ok] = multipletests(p[ok], method=method)[1]
        finally:
            gc.unfreeze()
    return out


def _table_tests(table: np.ndarray) -> dict:
    from scipy.stats import chi2_contingency, fisher_exact

    t = np.asarray(table, dtype=int)
    degenerate = bool((t.sum(axis=0) == 0).any() or (t.sum(axis=1) == 0).any())
    expected = expected_counts(t)
    out = {"testable": not degenerate, "min_expected": float(expected.min())}
    out["p_fisher"] = 1.0 if degenerate else float(fisher_exact(t, alternative="two-sided").pvalue)
    if degenerate:
        out["chi2"] = out["p_chi2"] = math.nan
    else:
        res = chi2_contingency(t, correction=False)
        out["chi2"], out["p_chi2"] = float(res.statistic), float(res.pvalue)
    orr, low, high, corrected = odds_ratio(t)
    out.update(odds_ratio=orr, or_ci_low=low, or_ci_high=high, or_corrected=corrected)
    return out


def problem_tests_detail(
    frame: pd.DataFrame,
    categories: Sequence[str] | None = None,
    group_by: str = DEFAULT_GROUP,
    *,
    exposed: str = "border",
    reference: str = "non_border",
    labels: Mapping[str, str] | None = None,
    n_permutations: int = DEFAULT_PERMUTATIONS,
    seed: int = DEFAULT_SEED,
    cluster: str | None = "unit_id",
) -> pd.DataFrame:
    """Per category: counts, odds ratio, Fisher, chi-square, Holm, BH and cluster checks.

    Columns: ``category, label, testable, n_exposed, k_exposed, percent_exposed,
    n_reference, k_reference, percent_reference`` (base, mentions, % in each group),
    ``odds_ratio, or_ci_low, or_ci_high, or_corrected, chi2, p_chi2, min_expected,
    low_expected`` (min_expected < 5), ``p_fisher, p_holm, p_bh``, ``units_exposed,
    units_reference, p_fisher_units`` (the same test on units), ``p_perm_cluster`` (group labels
    permuted among units, ``n_permutations``, ``seed``) and ``note`` (Russian). Only rows
    with ``group_by`` equal to ``exposed`` or ``reference`` take part. The unit-level columns are
    empty when ``group_by`` is not a unit attribute or ``cluster`` is None.
    """
    categories = list(categories) if categories is not None else list(frame.attrs["categories"])
    labels = dict(labels or {})
    use_units = cluster is not None and cluster in frame.columns and is_unit_attribute(frame, group_by)
    units = unit_frame(frame, categories) if use_units else None
    rows = []
    for cat in categories:
        t = two_by_two(frame, cat, group_by, exposed=exposed, reference=reference)
        res = _table_tests(t)
        n_e, n_r = int(t[0].sum()), int(t[1].sum())
        row = {
            "category": cat,
            "label": labels.get(cat, cat),
            "testable": res["testable"],
            "n_exposed": n_e,
            "k_exposed": int(t[0, 0]),
            "percent_exposed": 100.0 * t[0, 0] / n_e if n_e else math.nan,
            "n_reference": n_r,
            "k_reference": int(t[1, 0]),
            "percent_reference": 100.0 * t[1, 0] / n_r if n_r else math.nan,
            "odds_ratio": res["odds_ratio"],
            "or_ci_low": res["or_ci_low"],
            "or_ci_high": res["or_ci_high"],
            "or_corrected": res["or_corrected"],
            "chi2": res["chi2"],
            "p_chi2": res["p_chi2"],
            "min_expected": res["min_expected"],
            "low_expected": res["min_expected"] < EXPECTED_MIN,
            "p_fisher": res["p_fisher"],
        }
        if units is not None:
            tu = two_by_two(units, cat, group_by, exposed=exposed, reference=reference)
            ru = _table_tests(tu)
            row.update(
                units_exposed=int(tu[0, 0]),
                units_reference=int(tu[1, 0]),
                p_fisher_units=ru["p_fisher"] if ru["testable"] else math.nan,
            )
        else:
            row.update(units_exposed=pd.NA, units_reference=pd.NA, p_fisher_units=math.nan)
        row["note"] = _note(res)
        rows.append(row)
    out = pd.DataFrame(rows)
    family = out["p_fisher"].where(out["testable"])
    out["p_holm"] = adjust_pvalues(family, "holm")
    out["p_bh"] = adjust_pvalues(family, "fdr_bh")
    perm = math.nan
    if units is not None and n_permutations > 0:
        sub = frame[group_values(frame, group_by).isin([exposed, reference]).to_numpy()]
        perm = permutation_pvalues(
            sub, categories, group_by, n_permutations=n_permutations, seed=seed, cluster=cluster
        )["items"]
        out["p_perm_cluster"] = [perm.get(c, math.nan) for c in categories]
    else:
        out["p_perm_cluster"] = math.nan
    order = [
        "category",
        "label",
        "testable",
        "n_exposed",
        "k_exposed",
        "percent_exposed",
        "n_reference",
        "k_reference",
        "percent_reference",
        "odds_ratio",
        "or_ci_low",
        "or_ci_high",
        "or_corrected",
        "chi2",
        "p_chi2",
        "min_expected",
        "low_expected",
        "p_fisher",
        "p_holm",
        "p_bh",
        "units_exposed",
        "units_reference",
        "p_fisher_units",
        "p_perm_cluster",
        "note",
    ]
    out = out[order]
    out["units_exposed"] = out["units_exposed"].astype("Int64")
    out["units_reference"] = out["units_reference"].astype("Int64")
    out.attrs.update(exposed=exposed, reference=reference, group_by=group_by, n_permutations=n_permutations, seed=seed)
    return out


def _note(res: dict) -> str:
    notes = []
    if not res["testable"]:
        notes.append(
            "категорию называют все эксперты обеих групп (или никто): таблица 2×2 вырождена, "
            "χ² и отношение шансов не определены, p Фишера = 1; категория исключена из поправок "
            "Холма и Бенджамини–Хохберга"
        )
    else:
        if res["min_expected"] < EXPECTED_MIN:
            notes.append(
                f"минимальная ожидаемая частота {res['min_expected']:.2f} < 5: χ² неточен, "
                "ориентируйтесь на точный критерий Фишера"
            )
        if res["or_corrected"]:
            notes.append("в таблице есть нулевая клетка: отношение шансов с поправкой Холдейна–Энскомба (+0,5)")
    return "; ".join(notes)


def problem_tests(
    frame: pd.DataFrame,
    categories: Sequence[str] | None = None,
    group_by: str = DEFAULT_GROUP,
    *,
    exposed: str = "border",
    reference: str = "non_border",
) -> pd.DataFrame:
    """The contract table ``problem_tests.csv``.

    Columns: ``category, odds_ratio, or_ci_low, or_ci_high, p_fisher, p_chi2, p_holm, p_bh,
    min_expected`` — see :func:`problem_tests_detail` (same numbers, more columns).
    """
    detail = problem_tests_detail(frame, categories, group_by, exposed=exposed, reference=reference, n_permutations=0)
    return detail[PROBLEM_TESTS_COLUMNS].reset_index(drop=True)


# ------------------------------------------------------------------------- overall test


def _chi2_items(onehot_counts: np.ndarray, sizes: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Pearson X² of each r×2 table (group × item yes/no) from counts (..., r, c)."""
    expected = sizes[:, None] * p[None, :]  # (r, c)
    denom = expected * (1.0 - p[None, :])
    return ((onehot_counts - expected) ** 2 / denom).sum(axis=-2)


def _prepare(frame: pd.DataFrame, items: Sequence[str], group_by: str):
    g = group_values(frame, group_by)
    keep = g.notna().to_numpy()
    sub = frame[keep]
    groups = group_order(sub, group_by)
    codes = pd.Categorical(g[keep], categories=groups).codes
    y = sub[list(items)].fillna(0).astype(float).to_numpy()
    p = y.mean(axis=0) if len(y) else np.zeros(len(items))
    testable = (p > 0) & (p < 1)
    return sub, groups, np.asarray(codes), y, p, testable


def _group_counts(labels: np.ndarray, y: np.ndarray, r: int) -> np.ndarray:
    """counts[..., g, j] = number of rows with label g and item j, for labels (..., n)."""
    return np.stack([(labels == k).astype(float) @ y for k in range(r)], axis=-2)


def permutation_pvalues(
    frame: pd.DataFrame,
    items: Sequence[str],
    group_by: str = DEFAULT_GROUP,
    *,
    n_permutations: int = DEFAULT_PERMUTATIONS,
    seed: int = DEFAULT_SEED,
    cluster: str | None = None,
) -> dict:
    """Monte Carlo permutation p-values of X²_S and of every item's X²_j.

    Group labels are permuted among rows, or among clusters (``cluster``, e.g. ``unit_id``:
    the group must then be constant within clusters, and each cluster keeps one label).
    p = (1 + number of permutations with a statistic ≥ the observed) / (1 + ``n_permutations``).
    Returns ``{"statistic": X²_S, "p_value": …, "items": {item: p}, "n_clusters": …}``;
    items that every row (or no row) has are left out.
    """
    sub, groups, codes, y, p, testable = _prepare(frame, items, group_by)
    r = len(groups)
    items = [it for it, ok in zip(items, testable) if ok]
    y, p = y[:, testable], p[testable]
    if r < 2 or not items:
        return {"statistic": math.nan, "p_value": math.nan, "items": {}, "n_clusters": None}
    sizes = np.bincount(codes, minlength=r).astype(float)
    observed = _chi2_items(_group_counts(codes, y, r), sizes, p)
    total = observed.sum()
    rng = np.random.default_rng(seed)
    n_clusters = None
    if cluster is not None:
        cl = pd.Categorical(sub[cluster].astype(str))
        member = np.asarray(cl.codes)
        first = pd.Series(np.arange(len(member))).groupby(member).first().to_numpy()
        cluster_codes = codes[first]
        if not (cluster_codes[member] == codes).all():
            raise ValueError(f"{group_by} is not constant within {cluster}")
        n_clusters = len(first)
    exceed = np.zeros(len(items))
    exceed_total = 0
    tol = 1e-9
    done = 0
    batch = 2000
    while done < n_permutations:
        b = min(batch, n_permutations - done)
        if cluster is None:
            labels = rng.permuted(np.tile(codes, (b, 1)), axis=1)
        else:
            labels = rng.permuted(np.tile(cluster_codes, (b, 1)), axis=1)[:, member]
        stats = _chi2_items(_group_counts(labels, y, r), sizes, p)  # (b, c)
        exceed += (stats >= observed[None, :] * (1 - tol) - tol).sum(axis=0)
        exceed_total += int((stats.sum(axis=1) >= total * (1 - tol) - tol).sum())
        done += b
    return {
        "statistic": float(total),
        "p_value": (1 + exceed_total) / (1 + n_permutations),
        "items": {it: float((1 + e) / (1 + n_permutations)) for it, e in zip(items, exceed)},
        "n_clusters": n_clusters,
    }


def overall_test(
    frame: pd.DataFrame,
    categories: Sequence[str] | None = None,
    group_by: str = DEFAULT_GROUP,
    *,
    n_permutations: int = DEFAULT_PERMUTATIONS,
    seed: int = DEFAULT_SEED,
    cluster: str | None = "unit_id",
) -> pd.DataFrame:
    """Does the profile of problems differ between the groups? (multiple marginal independence)

    One row per method: ``bonferroni`` (min_j p_j × c), ``permutation`` (labels permuted among
    experts) and ``cluster_permutation`` (among units; only when ``group_by`` is a unit
    attribute). Columns: ``group_by, method, statistic`` (X²_S, or max_j X²_j for Bonferroni),
    ``df`` (r − 1 for each item), ``p_value, groups, n, n_clusters, items_tested, items_excluded,
    n_permutations, seed, note``. See the module docstring for the method and references.

    >>> from survey.analysis.frame import sample_frame
    >>> t = overall_test(sample_frame(), n_permutations=999)
    >>> t[["method", "items_tested", "p_value"]].round(6)
                    method  items_tested   p_value
    0           bonferroni             9  0.000022
    1          permutation             9  0.006000
    2  cluster_permutation             9  0.064000
    """
    from scipy.stats import chi2 as chi2_dist

    categories = list(categories) if categories is not None else list(frame.attrs["categories"])
    sub, groups, codes, y, p, testable = _prepare(frame, categories, group_by)
    r = len(groups)
    tested = [c for c, ok in zip(categories, testable) if ok]
    excluded = [c for c, ok in zip(categories, testable) if not ok]
    base = {
        "group_by": group_by,
        "groups": r,
        "n": len(sub),
        "items_tested": len(tested),
        "items_excluded": ",".join(excluded),
    }
    rows = []
    if r < 2 or not tested:
        note = "меньше двух групп или нет категорий с вариацией: тест не определён"
        for method in ("bonferroni", "permutation"):
            rows.append(
                {
                    **base,
                    "method": method,
                    "statistic": math.nan,
                    "df": math.nan,
                    "p_value": math.nan,
                    "n_clusters": pd.NA,
                    "n_permutations": pd.NA,
                    "seed": pd.NA,
                    "note": note,
                }
            )
        return _overall_frame(rows)
    sizes = np.bincount(codes, minlength=r).astype(float)
    x2 = _chi2_items(_group_counts(codes, y[:, testable], r), sizes, p[testable])
    pj = chi2_dist.sf(x2, r - 1)
    rows.append(
        {
            **base,
            "method": "bonferroni",
            "statistic": float(x2.max()),
            "df": r - 1,
            "p_value": float(min(1.0, pj.min() * len(tested))),
            "n_clusters": pd.NA,
            "n_permutations": pd.NA,
            "seed": pd.NA,
            "note": "наименьшее p по категориям (χ² Пирсона) × число категорий (Бонферрони)",
        }
    )
    perm = permutation_pvalues(sub, categories, group_by, n_permutations=n_permutations, seed=seed)
    rows.append(
        {
            **base,
            "method": "permutation",
            "statistic": perm["statistic"],
            "df": r - 1,
            "p_value": perm["p_value"],
            "n_clusters": pd.NA,
            "n_permutations": n_permutations,
            "seed": seed,
            "note": "сумма χ² по категориям; метки групп переставляются между экспертами",
        }
    )
    if cluster is not None and cluster in sub.columns and is_unit_attribute(sub, group_by):
        cperm = permutation_pvalues(
            sub, categories, group_by, n_permutations=n_permutations, seed=seed, cluster=cluster
        )
        rows.append(
            {
                **base,
                "method": "cluster_permutation",
                "statistic": cperm["statistic"],
                "df": r - 1,
                "p_value": cperm["p_value"],
                "n_clusters": cperm["n_clusters"],
                "n_permutations": n_permutations,
                "seed": seed,
                "note": "сумма χ² по категориям; метки групп переставляются между единицами "
                "(эксперты одной единицы — вместе)",
            }
        )
    return _overall_frame(rows)


def _overall_frame(rows: list[dict]) -> pd.DataFrame:
    cols = [
        "group_by",
        "method",
        "statistic",
        "df",
        "p_value",
        "groups",
        "n",
        "n_clusters",
        "items_tested",
        "items_excluded",
        "n_permutations",
        "seed",
        "note",
    ]
    out = pd.DataFrame(rows)[cols]
    for c in ("n_clusters", "n_permutations", "seed"):
        out[c] = out[c].astype("Int64")
    return out


# ------------------------------------------------------------------------- closed questions


def scale_tests(frame: pd.DataFrame, questionnaire, group_by: str = DEFAULT_GROUP) -> pd.DataFrame:
    """Do the scale answers (state of cooperation, prospects) differ between groups?

    Two groups: Mann–Whitney U (two-sided, scipy); more: Kruskal–Wallis H. Missing-type codes
    (9) are left out. Columns: ``question, test, statistic, p_value, groups, n``.
    """
    from scipy.stats import kruskal, mannwhitneyu

    rows = []
    g = group_values(frame, group_by)
    groups = group_order(frame, group_by)
    for f in questionnaire.questions:
        if f.type != "scale":
            continue
        codes = [o.code for o in f.substantive_options]
        samples = []
        for level in groups:
            col = frame.loc[(g == level).to_numpy(), f.id]
            samples.append(col[col.isin(codes)].astype(float).to_numpy())
        samples = [s for s in samples if len(s)]
        n = int(sum(len(s) for s in samples))
        if len(samples) < 2:
            rows.append(
                {
                    "question": f.id,
                    "test": "",
                    "statistic": math.nan,
                    "p_value": math.nan,
                    "groups": len(samples),
                    "n": n,
                }
            )
            continue
        if len(samples) == 2:
            res = mannwhitneyu(samples[0], samples[1], alternative="two-sided")
            test = "mann_whitney_u"
        else:
            res = kruskal(*samples)
            test = "kruskal_wallis"
        rows.append(
            {
                "question": f.id,
                "test": test,
                "statistic": float(res.statistic),
                "p_value": float(res.pvalue),
                "groups": len(samples),
                "n": n,
            }
        )
    return pd.DataFrame(rows, columns=["question", "test", "statistic", "p_value", "groups", "n"])
