"""Multiple-response tables by group, closed-question tables and the published check.

Everything starts from an *analysis frame*: one row per expert with the accepted answers,
the unit's attributes (``kind``, ``federal_district``, ``border_status``, ``macro_region``,
``border_distance_km``, ``distance_band`` …) and one 0/1 column per coded problem category
(:func:`analysis_frame`). Every table here is a function of that frame and returns a tidy
DataFrame with documented columns.

**Multiple response.** Each problem category is one yes/no per respondent. A table gives,
per category and group: the *base* (respondents in the group), the respondents mentioning
the category, the percentage of respondents with a Wilson 95 % interval, and the percentage
of mentions (the category's share of all codes given in the group, with that base).

>>> from survey.analysis.frame import sample_frame, unit_frame
>>> frame = sample_frame()                         # the bundled sample, gold coding
>>> table = problems_by_group(frame, ["distance", "covid"])
>>> table
   category       group  base  respondents     percent     ci_low     ci_high
0  distance      border    26            4   15.384615   6.150034   33.531199
1  distance  non_border    97           65   67.010309  57.162727   75.561908
2  distance       total   123           69   56.097561  47.274498   64.551288
3     covid      border    26           26  100.000000  87.127108  100.000000
4     covid  non_border    97           97  100.000000  96.190596  100.000000
5     covid       total   123          123  100.000000  96.971449  100.000000

The same at unit level (a unit counts when any of its experts mentions the category):

>>> units = unit_frame(frame, ["distance"])
>>> problems_by_group(units, ["distance"])[["group", "base", "respondents"]]
        group  base  respondents
0      border    12            4
1  non_border    65           50
2       total    77           54
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from survey.analysis import design
from survey.analysis.design import wilson_interval
from survey.analysis.frame import (
    TOTAL,
    default_group_by,
    flags,
    frame_study,
    group_labels,
    group_order,
    group_values,
    letter,
)
from survey.analysis.stats import ALPHA, column_proportion_letters, design_letters
from survey.spec.questionnaire import Questionnaire
from survey.spec.study import PublishedFigure, parse_what

PROBLEMS_BY_GROUP_COLUMNS = ["category", "group", "base", "respondents", "percent", "ci_low", "ci_high"]


def multiple_response_table(
    frame: pd.DataFrame,
    items: Sequence[str],
    group_by: str | None = None,
    *,
    labels: Mapping[str, str] | None = None,
    questionnaire: Questionnaire | None = None,
    alpha: float = ALPHA,
    cluster: str | None = "unit_id",
    weights: np.ndarray | None = None,
) -> pd.DataFrame:
    """A multiple-response table: per item (0/1 column) and group, cases and mentions.

    Columns (one row per item × group, groups in :func:`group_order` then ``total``):

    * ``category``, ``label``: the item and its Russian label;
    * ``group``, ``group_label``: the group (``total`` = all rows, including rows whose
      group is missing);
    * ``base``: respondents (rows) in the group whose value of the item is known — the base of
      the percentages of respondents, the intervals and the letters;
    * ``n_missing``: respondents in the group whose value is unknown (the option's column was
      missing from their file, or the question was left unanswered): neither «yes» nor «no», they
      are left out of ``base``; an item nobody has a value for has ``base`` 0 and no percentage;
    * ``respondents``: respondents with the item;
    * ``percent``, ``ci_low``, ``ci_high``: % of respondents with the Wilson 95 % interval (0–100);
    * ``ci_low_design``, ``ci_high_design``: the Korn–Graubard interval of the design with the
      unit as cluster (R ``svyciprop(method = "beta")``; empty at 0 % and 100 %), when the rows
      have a ``cluster`` column;
    * ``mentions_base``: all codes given in the group (sum over the items);
    * ``percent_of_mentions``: the item's share of those codes (0–100);
    * ``mentions_base_specific``, ``percent_of_mentions_specific``: the same without the items
      that every respondent names (they add the same mention to every respondent: COVID-19 in
      the bundled study);
    * ``letter``, ``higher_than``: SPSS-style column-proportion test — each group has a letter
      (A, B, …); ``higher_than`` lists the letters of the groups whose proportion is
      significantly lower, Bonferroni over the pairs of groups at ``alpha``: with clustered
      respondents the Rao–Scott test of each pair, else the z-test
      (:func:`survey.analysis.stats.column_proportion_letters`).

    ``weights`` (one per row) give weighted percentages (unit-equal weighting: 1/experts in the
    unit); the counts stay counts.
    """
    items = list(items)
    labels = dict(labels or {})
    group_by = group_by or default_group_by(frame)
    groups = group_order(frame, group_by)
    gvals = group_values(frame, group_by)
    glabels = group_labels(frame, group_by, questionnaire)
    known_values = frame[items].apply(pd.to_numeric, errors="coerce")
    universal = [it for it in items if known_values[it].notna().any() and (known_values[it].dropna() == 1).all()]
    values = known_values.fillna(0).astype(int)  # mentions: an unknown value is no mention
    specific = [it for it in items if it not in universal]
    has_cluster = cluster is not None and cluster in frame.columns
    cl = frame[cluster].astype(str).to_numpy() if has_cluster else None
    clustered = bool(cl is not None and len(np.unique(cl)) < len(frame))
    g_arr = gvals.to_numpy(dtype=object)
    parts = [(g, (gvals == g).to_numpy()) for g in groups] + [(TOTAL, np.ones(len(frame), dtype=bool))]
    letters = {g: letter(i) for i, g in enumerate(groups)}
    rows = []
    for item in items:
        y, known = flags(frame, item)
        # an unknown value (the option's column missing from a file) leaves the base of the item
        kparts = [(g, mask & known) for g, mask in parts]
        counts = [int(y[mask].sum()) for _, mask in kparts[:-1]]
        bases = [int(mask.sum()) for _, mask in kparts[:-1]]
        if clustered and cl is not None:
            ok = np.isin(g_arr, groups) & known
            higher = design_letters(y[ok], g_arr[ok], groups, cl[ok], alpha=alpha)
        else:
            higher = column_proportion_letters(counts, bases, alpha=alpha)
        design_ci = {}
        if has_cluster and cl is not None:
            for g, mask in kparts:
                if mask.any():
                    ci = design.proportion_ci_design(y[mask], cl[mask], method="beta", weights=None)
                    design_ci[g] = (100.0 * ci["ci_low"].iloc[0], 100.0 * ci["ci_high"].iloc[0])
        for i, ((g, mask), (_, in_group)) in enumerate(zip(kparts, parts)):
            base = int(mask.sum())
            k = int(y[mask].sum())
            part = values[in_group]
            mentions = int(part.to_numpy().sum())
            mentions_specific = int(part[specific].to_numpy().sum()) if specific else 0
            share = float(np.average(y[mask], weights=weights[mask])) if weights is not None and base else None
            rows.append(
                {
                    "category": item,
                    "label": labels.get(item, item),
                    "group": g,
                    "group_label": glabels.get(g, g),
                    "base": base,
                    "n_missing": int(in_group.sum()) - base,
                    "respondents": k,
                    "percent": (100.0 * share if share is not None else 100.0 * k / base) if base else math.nan,
                    "ci_low_design": design_ci.get(g, (math.nan, math.nan))[0],
                    "ci_high_design": design_ci.get(g, (math.nan, math.nan))[1],
                    "mentions_base": mentions,
                    "percent_of_mentions": 100.0 * k / mentions if mentions else math.nan,
                    "mentions_base_specific": mentions_specific,
                    "percent_of_mentions_specific": (
                        100.0 * k / mentions_specific if mentions_specific and item in specific else math.nan
                    ),
                    "letter": letters.get(g, ""),
                    "higher_than": higher[i] if g != TOTAL else "",
                }
            )
    out = pd.DataFrame(rows)
    low, high = wilson_interval(out["respondents"], out["base"], alpha=alpha)
    out.insert(out.columns.get_loc("percent") + 1, "ci_low", 100.0 * low)
    out.insert(out.columns.get_loc("ci_low") + 1, "ci_high", 100.0 * high)
    out.attrs.update(universal=universal, letters_test="rao_scott" if clustered else "z", alpha=alpha)
    return out


def problems_by_group_detail(
    frame: pd.DataFrame,
    categories: Sequence[str] | None = None,
    group_by: str | None = None,
    *,
    labels: Mapping[str, str] | None = None,
    questionnaire: Questionnaire | None = None,
) -> pd.DataFrame:
    """:func:`multiple_response_table` of the problem categories, with a ``level`` column.

    ``level`` is ``expert`` for an expert frame, ``unit`` for a :func:`unit_frame`.
    """
    group_by = group_by or default_group_by(frame)
    categories = list(categories) if categories is not None else list(frame.attrs["categories"])
    out = multiple_response_table(frame, categories, group_by, labels=labels, questionnaire=questionnaire)
    out.insert(0, "level", frame.attrs.get("level", "expert"))
    return out


UNITS_COLUMNS = [
    "category",
    "label",
    "group",
    "group_label",
    "units",
    "units_any",
    "percent_any",
    "percent_weighted",
    "ci_low_weighted",
    "ci_high_weighted",
]


def problems_by_group_units(
    frame: pd.DataFrame,
    categories: Sequence[str] | None = None,
    group_by: str | None = None,
    *,
    labels: Mapping[str, str] | None = None,
    questionnaire: Questionnaire | None = None,
    cluster: str = "unit_id",
) -> pd.DataFrame:
    """Categories by group at the level of units (``group_by`` must be a unit attribute).

    Two views: ``percent_weighted`` — every unit counts once, its experts weighted 1/(experts in
    the unit), with the design-based logit interval (R ``svyciprop`` with these weights); and
    ``percent_any`` — the share of units where *any* expert names the category (``units_any`` of
    ``units``), which grows with the number of experts of a unit and is only a check.
    """
    group_by = group_by or default_group_by(frame)
    categories = list(categories) if categories is not None else list(frame.attrs["categories"])
    labels = dict(labels or {})
    groups = group_order(frame, group_by)
    gvals = group_values(frame, group_by).to_numpy(dtype=object)
    glabels = group_labels(frame, group_by, questionnaire)
    cl = frame[cluster].astype(str).to_numpy()
    rows = []
    for cat in categories:
        y, known = flags(frame, cat)  # experts whose value is unknown leave the unit and its weights
        w = np.zeros(len(y))
        w[known] = design.unit_equal_weights(cl[known])
        for g in [*groups, TOTAL]:
            mask = (np.ones(len(y), dtype=bool) if g == TOTAL else gvals == g) & known
            units = pd.Series(y[mask]).groupby(cl[mask]).max()
            ci = design.proportion_ci_design(y[mask], cl[mask], method="logit", weights=w[mask])
            rows.append(
                {
                    "category": cat,
                    "label": labels.get(cat, cat),
                    "group": g,
                    "group_label": glabels.get(g, g),
                    "units": len(units),
                    "units_any": int(units.sum()),
                    "percent_any": 100.0 * units.mean() if len(units) else math.nan,
                    "percent_weighted": 100.0 * float(ci["estimate"].iloc[0]) if mask.any() else math.nan,
                    "ci_low_weighted": 100.0 * float(ci["ci_low"].iloc[0]),
                    "ci_high_weighted": 100.0 * float(ci["ci_high"].iloc[0]),
                }
            )
    return pd.DataFrame(rows, columns=UNITS_COLUMNS)


def problems_by_group(
    frame: pd.DataFrame, categories: Sequence[str] | None = None, group_by: str | None = None
) -> pd.DataFrame:
    """The contract table ``problems_by_group.csv``.

    Columns: ``category, group, base, respondents, percent, ci_low, ci_high`` (percent and
    interval in 0–100); see :func:`problems_by_group_detail` for the full table.
    """
    return problems_by_group_detail(frame, categories, group_by)[PROBLEMS_BY_GROUP_COLUMNS].reset_index(drop=True)


# ------------------------------------------------------------------------- closed questions


def _closed_fields(questionnaire: Questionnaire, types: tuple[str, ...]) -> list:
    return [f for f in questionnaire.questions if f.type in types]


def closed_frequencies(frame: pd.DataFrame, questionnaire: Questionnaire) -> pd.DataFrame:
    """SPSS-style frequency tables of the single-choice and scale questions.

    Columns: ``question, question_label, code, option, label, missing`` (a «затрудняюсь
    ответить»-type code or no answer), ``n``, ``percent`` (of all respondents), ``valid_percent``
    (of substantive answers; empty for missing rows), ``cumulative_percent`` (of valid percent).
    A row ``code`` = empty, ``option`` = ``no_answer`` counts empty cells when there are any.

    >>> from survey.analysis.frame import sample_frame
    >>> from survey.spec.questionnaire import load_questionnaire
    >>> t = closed_frequencies(sample_frame(), load_questionnaire())
    >>> int(t.loc[t["question"] == "q1_state", "n"].sum())
    123
    """
    rows = []
    n_all = len(frame)
    for f in _closed_fields(questionnaire, ("single", "scale")):
        col = frame[f.id]
        valid_n = int(col.isin([o.code for o in f.substantive_options]).sum())
        cumulative = 0.0
        for o in f.answer_options:
            n = int((col == o.code).sum())
            missing = o.code in f.missing
            valid = None if missing or not valid_n else 100.0 * n / valid_n
            if valid is not None:
                cumulative += valid
            rows.append(
                {
                    "question": f.id,
                    "question_label": f.label,
                    "code": o.code,
                    "option": o.name,
                    "label": o.label,
                    "missing": missing,
                    "n": n,
                    "percent": 100.0 * n / n_all if n_all else math.nan,
                    "valid_percent": valid if valid is not None else math.nan,
                    "cumulative_percent": cumulative if valid is not None else math.nan,
                }
            )
        empty = int(col.isna().sum())
        if empty:
            rows.append(
                {
                    "question": f.id,
                    "question_label": f.label,
                    "code": pd.NA,
                    "option": "no_answer",
                    "label": "нет ответа",
                    "missing": True,
                    "n": empty,
                    "percent": 100.0 * empty / n_all,
                    "valid_percent": math.nan,
                    "cumulative_percent": math.nan,
                }
            )
    out = pd.DataFrame(rows)
    out["code"] = out["code"].astype("Int64")
    return out


def closed_by_group(frame: pd.DataFrame, questionnaire: Questionnaire, group_by: str | None = None) -> pd.DataFrame:
    """Single-choice and scale questions by group: column percentages of substantive answers.

    Columns: ``question, code, option, label, group, group_label, base`` (substantive
    answers in the group), ``n``, ``percent``, ``ci_low``, ``ci_high`` (Wilson 95 %, 0–100),
    ``n_missing`` (missing-type answers in the group, not in the base).
    """
    group_by = group_by or default_group_by(frame)
    rows = []
    gvals = group_values(frame, group_by)
    groups = group_order(frame, group_by) + [TOTAL]
    glabels = group_labels(frame, group_by, questionnaire)
    for f in _closed_fields(questionnaire, ("single", "scale")):
        codes = [o.code for o in f.substantive_options]
        for g in groups:
            col = frame[f.id] if g == TOTAL else frame.loc[(gvals == g).to_numpy(), f.id]
            base = int(col.isin(codes).sum())
            n_missing = int(len(col) - base)
            for o in f.substantive_options:
                n = int((col == o.code).sum())
                rows.append(
                    {
                        "question": f.id,
                        "code": o.code,
                        "option": o.name,
                        "label": o.label,
                        "group": g,
                        "group_label": glabels.get(g, g),
                        "base": base,
                        "n": n,
                        "percent": 100.0 * n / base if base else math.nan,
                        "n_missing": n_missing,
                    }
                )
    out = pd.DataFrame(rows)
    low, high = wilson_interval(out["n"], out["base"])
    out.insert(out.columns.get_loc("percent") + 1, "ci_low", 100.0 * low)
    out.insert(out.columns.get_loc("ci_low") + 1, "ci_high", 100.0 * high)
    return out


def scale_summary(frame: pd.DataFrame, questionnaire: Questionnaire, group_by: str | None = None) -> pd.DataFrame:
    """Scale questions by group: ``question, group, group_label, n_valid, n_missing, mean, sd, median``.

    Missing-type codes (9 = «затрудняюсь ответить») are left out; ``sd`` is the sample
    standard deviation (ddof = 1).
    """
    group_by = group_by or default_group_by(frame)
    rows = []
    gvals = group_values(frame, group_by)
    glabels = group_labels(frame, group_by, questionnaire)
    for f in _closed_fields(questionnaire, ("scale",)):
        codes = [o.code for o in f.substantive_options]
        for g in group_order(frame, group_by) + [TOTAL]:
            col = frame[f.id] if g == TOTAL else frame.loc[(gvals == g).to_numpy(), f.id]
            valid = col[col.isin(codes)].astype(float)
            rows.append(
                {
                    "question": f.id,
                    "group": g,
                    "group_label": glabels.get(g, g),
                    "n_valid": len(valid),
                    "n_missing": int(len(col) - len(valid)),
                    "mean": float(valid.mean()) if len(valid) else math.nan,
                    "sd": float(valid.std(ddof=1)) if len(valid) > 1 else math.nan,
                    "median": float(valid.median()) if len(valid) else math.nan,
                }
            )
    return pd.DataFrame(rows)


def multiple_choice_by_group(
    frame: pd.DataFrame, questionnaire: Questionnaire, group_by: str | None = None
) -> pd.DataFrame:
    """The multiple-choice questions (areas, forms) as multiple-response tables by group.

    Columns: ``question`` then those of :func:`multiple_response_table` (``category`` is the
    option's data column, e.g. ``q2_areas_trade``; ``label`` the option's label). The
    ``total`` rows are the questions' frequency tables.
    """
    group_by = group_by or default_group_by(frame)
    parts = []
    for f in _closed_fields(questionnaire, ("multiple",)):
        cols = f.columns()
        labels = {f.option_column(o): o.label for o in f.options}
        table = multiple_response_table(frame, cols, group_by, labels=labels, questionnaire=questionnaire)
        table.insert(0, "question", f.id)
        parts.append(table)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


# ------------------------------------------------------------------------- published check


def published_check(frame: pd.DataFrame, published: Sequence[PublishedFigure] | None = None) -> pd.DataFrame:
    """Compare a study's published figures with the ones computed from ``frame``.

    ``published``: the study's figures (``study.yaml``: ``published``; default: the frame's
    study). Columns: ``figure, published, computed, match`` (and ``label``, ``note`` in
    ``attrs``-free extra columns are not added: the contract has these four). A figure counts
    ``respondents``, ``units``, ``units:<column>=<value>`` (units with that attribute) or
    ``category:<id>`` (respondents with the category in the final codes). A figure that cannot
    be computed (its category or column is not in the data, or some respondents' value of it is
    unknown — a multiple-choice option whose column was missing from their file; their number per
    figure is in ``attrs["unknown"]``) has no computed value and does not match. No figures: an empty table.

    >>> from survey.analysis.frame import sample_frame
    >>> published_check(sample_frame())
          figure  published  computed  match
    0    experts        123       123   True
    1      units         77        77   True
    2     cities         57        57   True
    3    regions         20        20   True
    4   distance         69        69   True
    5  mentality         42        42   True
    6      covid        123       123   True
    """
    if published is None:
        study = frame_study(frame)
        published = study.published if study is not None else ()
    units = frame.drop_duplicates("unit_id")
    rows = []
    unknown: dict[str, int] = {}
    for fig in published:
        kind, column, value = parse_what(fig.what)
        got: int | None = None
        if kind == "respondents":
            got = len(frame)
        elif kind == "units" and column is None:
            got = int(frame["unit_id"].nunique())
        elif kind == "units" and column in units.columns:
            got = int((units[column].astype(str) == value).sum())
        elif kind == "category" and value is not None and value in frame.columns:
            y, known = flags(frame, value)
            if known.all():
                got = int(y.sum())
            else:  # a count over part of the respondents is no check of the published count
                unknown[fig.figure] = int((~known).sum())
        rows.append(
            {
                "figure": fig.figure,
                "published": int(fig.published),
                "computed": got if got is not None else pd.NA,
                "match": got is not None and int(fig.published) == got,
            }
        )
    out = pd.DataFrame(rows, columns=["figure", "published", "computed", "match"])
    out["computed"] = out["computed"].astype("Int64")
    out.attrs["labels"] = {f.figure: f.label for f in published}
    out.attrs["unknown"] = unknown
    return out
