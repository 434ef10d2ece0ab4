"""Tests for multiple-response data by group: per category, adjustments, letters, an overall test.

Each coded category is one yes/no per respondent; the groups are the values of the grouping
column (two or more; with one group nothing is tested and the tables say why).

**Per category** (:func:`problem_tests_detail`): the r×2 table *group* × *names the category*:

* Pearson's chi-square without continuity correction and the smallest expected count;
* with two groups: Fisher's exact test (two-sided) and its mid-p; the sample odds ratio of the
  first group against the second (for border status: border vs non-border) with the Woolf
  interval (Haldane–Anscombe +0.5 when a cell is 0), the conditional (exact) odds ratio with its
  exact interval (as R ``fisher.test``), the risk difference with Newcombe's hybrid score
  interval and the risk ratio with Katz's log interval;
* **respondents sit in units** (``unit_id``; several experts of one city): the Rao–Scott
  second-order corrected F test of the design with the unit as cluster (R ``svychisq(statistic =
  "F")``), with its degrees of freedom and the mean generalised design effect ``deff``; with two
  groups also the design-based risk difference and ratio (delta method, t on units − 1 df).

**Which test is primary.** When respondents are clustered (more respondents than units), the
Rao–Scott test is primary: its p goes into the Holm and Benjamini–Hochberg adjustments and the
letters; Fisher's p stays as a column. Without clustering: Fisher (two groups) or chi-square.
A category that every respondent (or none) names is not tested (blank, with the reason), and
categories that exclude the others by definition («проблем нет») leave the adjustment family.
Respondents whose value of an item is unknown (a multiple-choice option whose column was missing
from their file) leave that item's test (``n_missing``); an item nobody has a value of is «нет данных».

**Units.** A check at the level of units: ``p_fisher_units`` on the «any expert» unit table (a
unit names a category if any of its experts does — biased towards units with more experts, so
only a check), ``p_rao_scott_weighted`` with unit-equal weights (each expert weighted 1/experts
in the unit), and ``p_perm_cluster``: the group labels of *units* permuted (every expert keeps
the label of its unit, so the group sizes in experts change between permutations).

**Overall test** (:func:`overall_test`): does the profile of categories differ between groups?
X²_S = Σ_j X²_j over the categories of the family (multiple marginal independence; Agresti & Liu
1999; Bilder, Loughin & Nettleton 2000; Bilder & Loughin 2004), with the second-order Rao–Scott
adjustment and a bootstrap as R MRCV, permutations among experts and among units, and
Bonferroni for comparison.

References: Rao & Scott (1981, 1984); Lumley (2010), *Complex Surveys*; Agresti & Liu (1999)
*Biometrics* 55; Bilder, Loughin & Nettleton (2000) *Comm. Stat. Sim. Comp.* 29; Bilder &
Loughin (2004) *Biometrics* 60; Newcombe (1998) *Stat. Med.* 17; Koziol & Bilder (2014) MRCV.

>>> from survey.analysis.frame import sample_frame
>>> t = problem_tests(sample_frame(), ["distance", "mentality", "covid"])
>>> print(t[["category", "odds_ratio", "p_fisher", "rao_scott_f", "p_rao_scott", "p_holm"]].round(6).to_string())
    category  odds_ratio  p_fisher  rao_scott_f  p_rao_scott    p_holm
0   distance    0.089510  0.000003    24.370322     0.000005  0.000009
1  mentality    1.026738  1.000000     0.002966     0.956714  0.956714
2      covid         NaN       NaN          NaN          NaN       NaN

Border experts name distance far less often (4 of 26 against 65 of 97: OR 0.09, Rao–Scott
F = 24.4 on 1 and 76 df); mentality does not differ; COVID-19 is named by everybody, so it is
not tested.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from survey.analysis import design
from survey.analysis.frame import (
    NO_DATA_NOTE,
    answered,
    default_group_by,
    flags,
    group_order,
    group_values,
    has_data,
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
    "rao_scott_f",
    "rao_scott_df1",
    "rao_scott_df2",
    "p_rao_scott",
    "deff",
]
DETAIL_COLUMNS = [
    "category",
    "label",
    "testable",
    "reason",
    "groups",
    "n",
    "n_missing",
    "events",
    "exposed",
    "reference",
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
    "or_conditional",
    "or_conditional_low",
    "or_conditional_high",
    "risk_difference",
    "rd_ci_low",
    "rd_ci_high",
    "risk_ratio",
    "rr_ci_low",
    "rr_ci_high",
    "chi2",
    "p_chi2",
    "min_expected",
    "low_expected",
    "p_fisher",
    "p_mid",
    "rao_scott_f",
    "rao_scott_df1",
    "rao_scott_df2",
    "p_rao_scott",
    "deff",
    "rd_design",
    "rd_design_low",
    "rd_design_high",
    "rr_design",
    "rr_design_low",
    "rr_design_high",
    "primary_test",
    "p_primary",
    "in_family",
    "p_holm",
    "p_bh",
    "units_exposed",
    "units_reference",
    "p_fisher_units",
    "p_rao_scott_weighted",
    "p_perm_cluster",
    "note",
]
DEFAULT_PERMUTATIONS = 9999
DEFAULT_SEED = 20210301  # the first day of fieldwork; any fixed number would do
EXPECTED_MIN = 5.0
# Above this many respondents the expert-level bootstrap and permutation of the overall test are
# left out, with a note: each draws B × n random numbers (≈ 10 CPU-seconds at 12,300 respondents,
# minutes at 10⁵), and at such n the asymptotic Rao–Scott adjustment is exact enough. The unit
# permutation draws B × units and stays.
MAX_RESAMPLED = 20_000
ALPHA = 0.05
NO_DATA_REASON = (
    "нет данных: ни у одного респондента нет значения варианта (нет его столбца в файлах ответов или вопрос "
    "никто не заполнил)"
)
PRIMARY_TESTS = {"rao_scott": "Рао–Скотт", "fisher": "точный критерий Фишера", "chi2": "χ² Пирсона"}
_MEMORY_CELLS = 20_000_000  # cells of one permutation chunk (labels × respondents), ≈ 160 MB of floats


# ------------------------------------------------------------------------- column proportions


def column_proportion_letters(counts: Sequence[int], bases: Sequence[int], *, alpha: float = ALPHA) -> list[str]:
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
    from scipy.stats import norm  # lazy: heavy (background worker)

    counts = [int(c) for c in counts]
    bases = [int(b) for b in bases]

    def pair_p(i: int, j: int) -> float:
        p1, p2 = counts[i] / bases[i], counts[j] / bases[j]
        if p1 in (0.0, 1.0) or p2 in (0.0, 1.0):
            return math.nan
        pooled = (counts[i] + counts[j]) / (bases[i] + bases[j])
        se = math.sqrt(pooled * (1 - pooled) * (1 / bases[i] + 1 / bases[j]))
        return float(2 * norm.sf(abs((p1 - p2) / se)))

    return _letters([c / b if b else math.nan for c, b in zip(counts, bases)], bases, pair_p, alpha)


def design_letters(
    y: np.ndarray, groups: np.ndarray, levels: Sequence[str], cluster: np.ndarray, *, alpha: float = ALPHA
) -> list[str]:
    """Letters as :func:`column_proportion_letters`, each pair compared with the Rao–Scott test of
    the design with ``cluster`` (the unit), Bonferroni over the pairs."""
    props = [float(y[groups == g].mean()) if (groups == g).any() else math.nan for g in levels]
    bases = [int((groups == g).sum()) for g in levels]

    def pair_p(i: int, j: int) -> float:
        mask = (groups == levels[i]) | (groups == levels[j])
        res = design.rao_scott(y[mask], groups[mask], cluster[mask], single_cluster_group="compute")
        return float(res["p"])

    return _letters(props, bases, pair_p, alpha)


def _letters(props: Sequence[float], bases: Sequence[int], pair_p, alpha: float) -> list[str]:
    k = len(props)
    letters = [letter(i) for i in range(k)]
    nonempty = [i for i in range(k) if bases[i] > 0]
    m = len(nonempty) * (len(nonempty) - 1) // 2
    out: list[list[str]] = [[] for _ in range(k)]
    for ii, i in enumerate(nonempty):
        for j in nonempty[ii + 1 :]:
            p = pair_p(i, j)
            if math.isnan(p) or min(1.0, p * m) >= alpha:
                continue
            if props[i] > props[j]:
                out[i].append(letters[j])
            else:
                out[j].append(letters[i])
    return ["".join(sorted(x, key=lambda s: (len(s), s))) for x in out]


# ------------------------------------------------------------------------- 2 × 2


def two_by_two(
    frame: pd.DataFrame, category: str, group_by: str, *, exposed: str = "border", reference: str = "non_border"
) -> np.ndarray:
    """The 2×2 table ``[[a, b], [c, d]]``: rows ``exposed``, ``reference``; columns mention yes, no.

    >>> from survey.analysis.frame import sample_frame
    >>> two_by_two(sample_frame(), "distance", "border_status")
    array([[ 4, 22],
           [65, 32]])
    """
    g = group_values(frame, group_by)
    y, known = flags(frame, category)  # an unknown value is neither yes nor no
    rows = []
    for level in (exposed, reference):
        mask = (g == level).to_numpy() & known
        k = int(y[mask].sum())
        rows.append([k, int(mask.sum()) - k])
    return np.array(rows, dtype=int)


def odds_ratio(table) -> tuple[float, float, float, bool]:
    """Odds ratio a·d / (b·c) with its Woolf 95 % interval (statsmodels ``Table2x2``).

    Returns ``(odds_ratio, ci_low, ci_high, corrected)``. With a zero cell (and no zero
    margin) 0.5 is added to every cell first (Haldane–Anscombe; ``corrected`` is True).
    With a zero margin the odds ratio is undefined: NaN.
    """
    from statsmodels.stats.contingency_tables import Table2x2  # lazy: heavy (background worker)

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
    from statsmodels.stats.multitest import multipletests  # lazy: heavy (background worker)

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


# ------------------------------------------------------------------------- per category


def problem_tests_detail(
    frame: pd.DataFrame,
    categories: Sequence[str] | None = None,
    group_by: str | None = None,
    *,
    labels: Mapping[str, str] | None = None,
    exclusive: Sequence[str] = (),
    n_permutations: int = DEFAULT_PERMUTATIONS,
    seed: int = DEFAULT_SEED,
    cluster: str | None = "unit_id",
) -> pd.DataFrame:
    """Per category: counts, effect sizes, Fisher, chi-square, Rao–Scott, adjustments, unit checks.

    Columns: :data:`DETAIL_COLUMNS` (see the module docstring). ``exposed``/``reference`` are
    the two groups of a two-group comparison in table order (the odds ratio, risk difference
    and ratio are exposed vs reference); with more groups the two-group columns are empty.
    ``exclusive``: categories that leave the Holm/BH family (e.g. «проблем нет»).
    """
    from scipy.stats import chi2_contingency  # lazy: heavy (background worker)

    categories = list(categories) if categories is not None else list(frame.attrs["categories"])
    group_by = group_by or default_group_by(frame)
    labels = dict(labels or {})
    g_all = group_values(frame, group_by)
    groups = group_order(frame, group_by)
    keep = g_all.isin(groups).to_numpy()
    sub = frame[keep]
    g_all_keep = g_all[keep].to_numpy(dtype=object)
    r = len(groups)
    has_cluster = cluster is not None and cluster in sub.columns
    cl = sub[cluster].astype(str).to_numpy() if has_cluster else None
    # experts share units (two or more of them: with one unit there is no design variance to use)
    clustered = bool(cl is not None and 1 < len(np.unique(cl)) < len(sub))
    unit_level = has_cluster and is_unit_attribute(sub, group_by)
    units = unit_frame(sub, categories) if unit_level and r == 2 else None
    exposed, reference = (groups[0], groups[1]) if r == 2 else (None, None)
    rows = []
    for cat in categories:
        y_all, known = flags(sub, cat)
        # respondents whose value is unknown (the option's column missing from their file) leave
        # the test: counts, effect sizes, the design (units with no known value drop out) and the units
        y, g = y_all[known], g_all_keep[known]
        c = cl[known] if cl is not None else None
        n, k = len(y), int(y.sum())
        row: dict[str, Any] = dict.fromkeys(DETAIL_COLUMNS, math.nan)
        row.update(category=cat, label=labels.get(cat, cat), groups=r, n=n, events=k, exposed=exposed)
        row.update(n_missing=len(y_all) - n)
        row.update(reference=reference, testable=False, reason="", note="", or_corrected=False, low_expected=False)
        row.update(in_family=False, primary_test="")
        if r == 2:
            t = np.array([[int(y[g == lv].sum()), int((g == lv).sum()) - int(y[g == lv].sum())] for lv in groups])
            row.update(
                n_exposed=int(t[0].sum()),
                k_exposed=int(t[0, 0]),
                percent_exposed=100.0 * t[0, 0] / t[0].sum() if t[0].sum() else math.nan,
                n_reference=int(t[1].sum()),
                k_reference=int(t[1, 0]),
                percent_reference=100.0 * t[1, 0] / t[1].sum() if t[1].sum() else math.nan,
            )
        if r < 2:
            row["reason"] = "одна группа: сравнивать не с чем"
        elif n == 0:
            row["reason"] = NO_DATA_REASON
        elif k in (0, n):
            who = "все" if k == n else "ни один из"
            row["reason"] = f"категорию называют {who} {n} респондентов: различий между группами быть не может"
        else:
            row["testable"] = True
            table = np.array([[int(y[g == lv].sum()), int((g == lv).sum() - y[g == lv].sum())] for lv in groups])
            chi = chi2_contingency(table, correction=False)
            row.update(chi2=float(chi.statistic), p_chi2=float(chi.pvalue))
            row["min_expected"] = float(expected_counts(table).min())
            row["low_expected"] = row["min_expected"] < EXPECTED_MIN
            if r == 2:
                _two_groups(row, table, y, g, exposed, c)
            if has_cluster:
                # a group of one unit: the design variance is that of the whole design, as R's svychisq
                rs = design.rao_scott(y, g, c, single_cluster_group="compute")
                if rs["reason"] is None:
                    row.update(
                        rao_scott_f=rs["F"],
                        rao_scott_df1=rs["ndf"],
                        rao_scott_df2=rs["ddf"],
                        p_rao_scott=rs["p"],
                        deff=rs["deff"],
                    )
                row["design_note"] = design_note(rs)
                w = design.rao_scott(y, g, c, weights=design.unit_equal_weights(c), single_cluster_group="compute")
                row["p_rao_scott_weighted"] = w["p"] if w["reason"] is None else math.nan
            if clustered and not math.isnan(row["p_rao_scott"]):
                row.update(primary_test="rao_scott", p_primary=row["p_rao_scott"])
            elif r == 2:
                row.update(primary_test="fisher", p_primary=row["p_fisher"])
            else:
                row.update(primary_test="chi2", p_primary=row["p_chi2"])
            row["naive_primary"] = clustered and row["primary_test"] != "rao_scott"
            row["in_family"] = cat not in exclusive
        if units is not None and row["testable"]:
            unit_table = units if known.all() else unit_frame(sub[known], [cat])
            tu = two_by_two(unit_table, cat, group_by, exposed=str(exposed), reference=str(reference))
            row.update(units_exposed=int(tu[0, 0]), units_reference=int(tu[1, 0]))
            if 0 < tu[:, 0].sum() < tu.sum():
                from scipy.stats import fisher_exact  # lazy: heavy (background worker)

                row["p_fisher_units"] = float(fisher_exact(tu, alternative="two-sided").pvalue)
        row["note"] = _note(row, cat in exclusive)
        rows.append(row)
    out = pd.DataFrame(rows, columns=DETAIL_COLUMNS)
    family = out["p_primary"].where(out["in_family"])
    out["p_holm"] = adjust_pvalues(family, "holm")
    out["p_bh"] = adjust_pvalues(family, "fdr_bh")
    if unit_level and n_permutations > 0 and r >= 2:
        testable = [c for c, ok in zip(categories, out["testable"]) if ok]
        perm = permutation_pvalues(sub, testable, group_by, n_permutations=n_permutations, seed=seed, cluster=cluster)
        out["p_perm_cluster"] = [perm["items"].get(c, math.nan) for c in categories]
    for col in ("units_exposed", "units_reference"):
        out[col] = out[col].astype("Int64")
    out.attrs.update(
        exposed=exposed,
        reference=reference,
        group_by=group_by,
        groups=groups,
        clustered=clustered,
        n_clusters=int(len(np.unique(cl))) if cl is not None else None,
        n_permutations=n_permutations,
        seed=seed,
    )
    return out


def _two_groups(row: dict[str, Any], table: np.ndarray, y: np.ndarray, g: np.ndarray, exposed, cl) -> None:
    """Effect sizes and exact tests of a two-group comparison into ``row``."""
    orr, low, high, corrected = odds_ratio(table)
    row.update(odds_ratio=orr, or_ci_low=low, or_ci_high=high, or_corrected=corrected)
    es = design.effect_sizes(y, g, cl, exposed=exposed)
    row.update(
        p_fisher=es["fisher_p"],
        p_mid=es["midp"],
        or_conditional=es["cond_or"],
        or_conditional_low=es["cond_or_low"],
        or_conditional_high=es["cond_or_high"],
        risk_difference=es["rd"],
        rd_ci_low=es["rd_newcombe_low"],
        rd_ci_high=es["rd_newcombe_high"],
        risk_ratio=es["rr"],
        rr_ci_low=es["rr_katz_low"],
        rr_ci_high=es["rr_katz_high"],
    )
    if cl is not None:
        row.update(
            rd_design=es["svy_rd"],
            rd_design_low=es["svy_rd_t_low"],
            rd_design_high=es["svy_rd_t_high"],
            rr_design=es["svy_rr"],
            rr_design_low=es["svy_rr_t_low"],
            rr_design_high=es["svy_rr_t_high"],
        )


def _note(row: Mapping[str, Any], exclusive: bool) -> str:
    notes = []
    if row["n_missing"] and row["n"]:
        n, total = int(row["n"]), int(row["n"] + row["n_missing"])
        notes.append(f"значение известно у {n} из {total} респондентов: остальные не входят ни в проценты, ни в тест")
    if not row["testable"]:
        notes.append(row["reason"] + "; категория не проверяется и не входит в поправки на число категорий")
        return "; ".join(notes)
    if exclusive:
        notes.append("категория исключает остальные по определению: в поправки Холма и БХ не входит")
    if row["low_expected"]:
        notes.append(f"минимальная ожидаемая частота {row['min_expected']:.2f} < 5: χ² неточен")
    if row["or_corrected"]:
        notes.append("в таблице есть нулевая клетка: отношение шансов с поправкой Холдейна–Энскомба (+0,5)")
    if row["primary_test"] == "rao_scott" and not math.isnan(row["deff"]):
        notes.append(f"эффект дизайна {row['deff']:.2f}")
    if row.get("design_note"):
        notes.append(row["design_note"])
    if row.get("naive_primary"):
        test = "точный критерий Фишера" if row["primary_test"] == "fisher" else "χ² Пирсона"
        notes.append(
            f"критерий Рао–Скотта не вычисляется, поэтому основной — {test}: он не учитывает, что эксперты "
            "сгруппированы в единицы, и p может быть занижен"
        )
    return "; ".join(notes)


_DESIGN_REASONS = {
    "empty cells make the design-effect matrix singular": "пустые клетки делают матрицу эффектов дизайна вырожденной",
    "fewer than 2 clusters": "меньше двух единиц",
}


def design_note(result: Mapping[str, Any]) -> str:
    """What a reader must know about a Rao–Scott test of :func:`~survey.analysis.design.rao_scott`,
    in Russian: computed although a group is one unit, or why it is not computed."""
    reason = result.get("reason")
    if reason:
        said = next((ru for en, ru in _DESIGN_REASONS.items() if reason.startswith(en)), None)
        return f"критерий Рао–Скотта не определён ({said or reason})"
    if result.get("single_cluster_groups"):
        groups = ", ".join(result["single_cluster_groups"])
        return (
            f"в группах {groups} по одной единице: разброс внутри них не оценивается, критерий Рао–Скотта "
            "вычислен по дисперсии всего дизайна (как R svychisq)"
        )
    return ""


def problem_tests(
    frame: pd.DataFrame, categories: Sequence[str] | None = None, group_by: str | None = None
) -> pd.DataFrame:
    """The contract table ``problem_tests.csv``: :data:`PROBLEM_TESTS_COLUMNS` of
    :func:`problem_tests_detail` (same numbers, fewer columns)."""
    detail = problem_tests_detail(frame, categories, group_by, n_permutations=0)
    return detail[PROBLEM_TESTS_COLUMNS].reset_index(drop=True)


# ------------------------------------------------------------------------- overall test


def permutation_pvalues(
    frame: pd.DataFrame,
    items: Sequence[str],
    group_by: str,
    *,
    n_permutations: int = DEFAULT_PERMUTATIONS,
    seed: int = DEFAULT_SEED,
    cluster: str | None = None,
) -> dict:
    """Monte Carlo permutation p-values of X²_S and of every item's X²_j.

    Group labels are permuted among rows, or among clusters (``cluster``, e.g. ``unit_id``: the
    group must be constant within clusters; every row takes its cluster's label, so group sizes
    change between permutations). p = (1 + permutations with a statistic ≥ the observed) /
    (1 + ``n_permutations``). Returns ``{"statistic", "p_value", "items": {item: p},
    "n_clusters"}``; items that every row (or no row) has are left out.
    """
    g = group_values(frame, group_by)
    keep = g.notna().to_numpy()
    sub = frame[keep].assign(_group=g[keep].to_numpy())
    if cluster is not None and not is_unit_attribute(sub, group_by):
        raise ValueError(f"{group_by} is not constant within {cluster}")
    res = design.mmi_test(
        sub,
        list(items),
        "_group",
        cluster,
        B_boot=0,
        B_perm=n_permutations,
        seed=seed,
        chunk=_chunk(len(sub)),
    )
    if res["reason"] is not None or not len(res["tests"]):
        return {"statistic": math.nan, "p_value": math.nan, "items": {}, "n_clusters": None}
    tests = res["tests"].set_index("method")
    method = "cluster_permutation" if cluster is not None else "expert_permutation"
    items_tab = res["items"]
    return {
        "statistic": float(res["S"]),
        "p_value": float(tests.loc[method, "p"]),
        "items": dict(zip(items_tab["item"], items_tab["perm_p"].astype(float))),
        "n_clusters": int(res["n_units"]) if cluster is not None else None,
    }


def _chunk(n: int) -> int:
    """Permutations per chunk: memory stays bounded whatever the number of respondents."""
    return int(max(50, min(5000, _MEMORY_CELLS // max(n, 1))))


OVERALL_COLUMNS = [
    "group_by",
    "family",
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


def overall_test(
    frame: pd.DataFrame,
    categories: Sequence[str] | None = None,
    group_by: str | None = None,
    *,
    exclusive: Sequence[str] = (),
    n_permutations: int = DEFAULT_PERMUTATIONS,
    seed: int = DEFAULT_SEED,
    cluster: str | None = "unit_id",
) -> pd.DataFrame:
    """Does the profile of categories differ between the groups? (multiple marginal independence)

    The family: categories with variation and a value for every respondent, without the
    ``exclusive`` ones. One row per method (``family`` = ``main``): ``bonferroni`` (min_j p_j × c,
    χ² p-values), ``rao_scott_2`` (the second-order Rao–Scott adjustment of X²_S, as R MRCV
    ``MI.test(type = "rs2")``), ``bootstrap`` (respondents resampled within groups, as MRCV),
    ``permutation`` (labels permuted among respondents) and ``cluster_permutation`` (among units,
    when the grouping is a unit attribute). As a sensitivity check the Rao–Scott and
    cluster-permutation rows are repeated with the exclusive categories kept (``family`` =
    ``with_exclusive``) when there are any.

    >>> from survey.analysis.frame import sample_frame
    >>> t = overall_test(sample_frame(), exclusive=["no_problems"], n_permutations=999)
    >>> t[["family", "method", "items_tested", "p_value"]].round(4)
               family               method  items_tested  p_value
    0            main           bonferroni             8   0.0000
    1            main          rao_scott_2             8   0.0010
    2            main            bootstrap             8   0.0020
    3            main          permutation             8   0.0020
    4            main  cluster_permutation             8   0.0010
    5  with_exclusive          rao_scott_2             9   0.0025
    6  with_exclusive  cluster_permutation             9   0.0040
    """
    from scipy.stats import chi2 as chi2_dist  # lazy: heavy (background worker)

    categories = list(categories) if categories is not None else list(frame.attrs["categories"])
    group_by = group_by or default_group_by(frame)
    g = group_values(frame, group_by)
    # respondents without a value of any item (the coded question left unanswered) leave the test
    keep = g.notna().to_numpy() & answered(frame, categories).to_numpy()
    sub = frame[keep].assign(_group=g[keep].to_numpy())
    r = len(group_order(sub, group_by))
    # an item some respondents have no value of cannot enter the joint test of all items
    varying = [c for c in categories if sub[c].notna().all() and 0 < sub[c].mean() < 1]
    main = [c for c in varying if c not in exclusive]
    excluded = [c for c in categories if c not in main]
    unit_level = cluster is not None and cluster in sub.columns and is_unit_attribute(sub, group_by)
    rows = []

    def base(family: str, items: list[str]) -> dict[str, Any]:
        return {
            "group_by": group_by,
            "family": family,
            "groups": r,
            "n": len(sub),
            "n_clusters": int(sub[cluster].nunique()) if unit_level and cluster else pd.NA,
            "items_tested": len(items),
            "items_excluded": ",".join(c for c in categories if c not in items),
            "n_permutations": pd.NA,
            "seed": pd.NA,
        }

    if r < 2 or not main:
        note = "меньше двух групп или нет категорий с вариацией: тест не определён"
        for method in ("bonferroni", "permutation"):
            rows.append({**base("main", main), "method": method, "statistic": math.nan, "df": math.nan,
                         "p_value": math.nan, "note": note})  # fmt: skip
        return pd.DataFrame(rows, columns=OVERALL_COLUMNS)
    small = len(sub) <= MAX_RESAMPLED  # expert-level bootstrap and permutations: only for small n
    families = [("main", main)]
    if any(c in exclusive for c in varying):
        families.append(("with_exclusive", varying))
    for family, items in families:
        res = design.mmi_test(
            sub,
            items,
            "_group",
            cluster if unit_level else None,
            B_boot=n_permutations if family == "main" and small else 0,
            B_perm=n_permutations,
            seed=seed,
            boot_seed=seed + 1,
            chunk=_chunk(len(sub)),
        )
        tests = res["tests"].set_index("method")
        if family == "main":
            x2 = res["items"]["X2"].to_numpy(dtype=float)
            pj = chi2_dist.sf(x2, r - 1)
            rows.append({**base(family, items), "method": "bonferroni", "statistic": float(x2.max()), "df": r - 1,
                         "p_value": float(min(1.0, pj.min() * len(items))),
                         "note": "наименьшее p по категориям (χ² Пирсона) × число категорий (Бонферрони)"})  # fmt: skip
        rs2 = tests.loc["rs2_MRCV"]
        rows.append({**base(family, items), "method": "rao_scott_2", "statistic": float(rs2["statistic"]),
                     "df": float(rs2["df"]), "p_value": float(rs2["p"]),
                     "note": f"X²_S = {res['S']:.4g} с поправкой Рао–Скотта второго порядка (Bilder, Loughin, "
                             "Nettleton 2000; как R MRCV)"})  # fmt: skip
        if family == "main" and "bootstrap_MRCV_expert" in tests.index:
            bt = tests.loc["bootstrap_MRCV_expert"]
            rows.append({**base(family, items), "method": "bootstrap", "statistic": res["S"], "df": math.nan,
                         "p_value": float(bt["p"]), "n_permutations": int(bt["B_used"]), "seed": seed + 1,
                         "note": "бутстреп: респонденты выбираются с возвращением, метки групп на месте "
                                 "(как R MRCV)"})  # fmt: skip
        if family == "main" and not small:
            for method in ("bootstrap", "permutation"):
                rows.append({**base(family, items), "method": method, "statistic": math.nan, "df": math.nan,
                             "p_value": math.nan,
                             "note": f"не считается при n > {MAX_RESAMPLED}: при таком n поправка Рао–Скотта "
                                     "точна, а перестановки по экспертам заняли бы минуты"})  # fmt: skip
        if family == "main" and small:
            perm = permutation_pvalues(sub, items, "_group", n_permutations=n_permutations, seed=seed)
            rows.append({**base(family, items), "method": "permutation", "statistic": res["S"], "df": r - 1,
                         "p_value": perm["p_value"], "n_permutations": n_permutations, "seed": seed,
                         "note": "сумма χ² по категориям; метки групп переставляются между респондентами"})  # fmt: skip
        if unit_level and "cluster_permutation" in tests.index:
            cp = tests.loc["cluster_permutation"]
            rows.append({**base(family, items), "method": "cluster_permutation", "statistic": res["S"], "df": r - 1,
                         "p_value": float(cp["p"]), "n_permutations": n_permutations, "seed": seed,
                         "note": "сумма χ² по категориям; метки групп переставляются между единицами "
                                 "(эксперты единицы вместе; размеры групп меняются)"})  # fmt: skip
    out = pd.DataFrame(rows, columns=OVERALL_COLUMNS)
    out["items_excluded"] = out["items_excluded"].where(out["items_excluded"] != "", ",".join(excluded))
    for col in ("n_clusters", "n_permutations", "seed"):
        out[col] = out[col].astype("Int64")
    return out


# ------------------------------------------------------------------------- scales


SCALE_TESTS_COLUMNS = [
    "question",
    "test",
    "statistic",
    "df1",
    "df2",
    "p_value",
    "groups",
    "n",
    "naive_test",
    "p_naive",
    "note",
]


def scale_tests(frame: pd.DataFrame, questionnaire, group_by: str | None = None) -> pd.DataFrame:
    """Do the scale answers differ between groups?

    The primary test respects the design (experts clustered in units): the design-based rank
    test of :func:`survey.analysis.design.rank_test` (R ``svyranktest(test = "wilcoxon")``) —
    ``svy_wilcoxon`` for two groups (``statistic`` = t on ``df2`` degrees of freedom),
    ``svy_kruskal_wallis`` for more (``statistic`` = X², F test on ``df1``, ``df2``). Beside it,
    ``naive_test``/``p_naive``: Mann–Whitney U (two groups) or Kruskal–Wallis H (scipy), which
    treat experts as independent. Missing-type codes are left out; every point of the scale
    ``min..max`` counts, labelled or not. Columns: ``question, test, statistic, df1, df2,
    p_value, groups, n, naive_test, p_naive, note``.
    """
    from scipy.stats import kruskal, mannwhitneyu  # lazy: heavy (background worker)

    group_by = group_by or default_group_by(frame)
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
        row = {"question": f.id, "test": "", "statistic": math.nan, "df1": math.nan, "df2": math.nan,
               "p_value": math.nan, "groups": len(samples), "n": n, "naive_test": "", "p_naive": math.nan,
               "note": ""}  # fmt: skip
        if not has_data(frame, [f.id]):
            row["note"] = NO_DATA_NOTE
        if len(samples) < 2:
            rows.append(row)
            continue
        answer = frame[f.id].where(frame[f.id].isin(codes)).to_numpy(dtype=float)
        res = design.rank_test(answer, g.to_numpy(dtype=object), frame["unit_id"].astype(str).to_numpy(dtype=object))
        row.update(
            test=f"svy_{res['test']}",
            statistic=res["statistic"],
            df1=res["df1"],
            df2=res["df2"],
            p_value=res["p"],
            note=res["reason"] or "",
        )
        if len(samples) == 2:
            naive = mannwhitneyu(samples[0], samples[1], alternative="two-sided")
            row.update(naive_test="mann_whitney_u", p_naive=float(naive.pvalue))
        else:
            row.update(naive_test="kruskal_wallis", p_naive=float(kruskal(*samples).pvalue))
        rows.append(row)
    return pd.DataFrame(rows, columns=SCALE_TESTS_COLUMNS)


SINGLE_TESTS_COLUMNS = ["question", "test", "F", "ndf", "ddf", "p_value", "pearson_X2", "groups", "n", "note"]


def single_choice_tests(frame: pd.DataFrame, questionnaire, group_by: str | None = None) -> pd.DataFrame:
    """Does the answer to a single-choice question differ between groups?

    The Rao–Scott second-order corrected Pearson test of the answer × group table with experts
    clustered in units (:func:`survey.analysis.design.rao_scott`: R's ``svychisq(~answer +
    group, svydesign(ids = ~unit_id), statistic = "F")``); missing-type codes («затрудняюсь
    ответить») are left out. Where the test is undefined (one group, an answer everybody gives,
    empty cells that make the design-effect matrix singular) ``F`` and ``p_value`` are empty and
    ``note`` says why. Columns: ``question, test, F, ndf, ddf, p_value, pearson_X2, groups, n, note``.
    """
    group_by = group_by or default_group_by(frame)
    g = group_values(frame, group_by).to_numpy(dtype=object)
    rows = []
    for f in questionnaire.questions:
        if f.type != "single" or f.options_from or f.id not in frame.columns:
            continue
        codes = [o.code for o in f.substantive_options]
        answer = frame[f.id].where(frame[f.id].isin(codes)).to_numpy(dtype=float)
        res = design.rao_scott(
            answer, g, frame["unit_id"].astype(str).to_numpy(dtype=object), single_cluster_group="compute"
        )
        rows.append(
            {
                "question": f.id,
                "test": "rao_scott",
                "F": res.get("F"),
                "ndf": res.get("ndf"),
                "ddf": res.get("ddf"),
                "p_value": res.get("p"),
                "pearson_X2": res.get("pearson_X2"),
                "groups": res.get("n_groups"),
                "n": res.get("n"),
                "note": (res.get("reason") or res.get("note") or "") if has_data(frame, [f.id]) else NO_DATA_NOTE,
            }
        )
    return pd.DataFrame(rows, columns=SINGLE_TESTS_COLUMNS)
