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

from survey.analysis.frame import DEFAULT_GROUP, TOTAL, group_labels, group_order, group_values, letter
from survey.analysis.stats import column_proportion_letters
from survey.spec.questionnaire import Questionnaire

PROBLEMS_BY_GROUP_COLUMNS = ["category", "group", "base", "respondents", "percent", "ci_low", "ci_high"]
PUBLISHED = {
    "experts": 123,
    "units": 77,
    "cities": 57,
    "regions": 20,
    "distance": 69,
    "mentality": 42,
    "covid": 123,
}
PUBLISHED_LABELS = {
    "experts": "экспертов опрошено",
    "units": "городов и регионов",
    "cities": "городов",
    "regions": "регионов",
    "distance": "называют удалённость и транспорт",
    "mentality": "называют различия менталитета",
    "covid": "называют COVID-19",
}


# ------------------------------------------------------------------------- the frame


# ------------------------------------------------------------------------- groups


# ------------------------------------------------------------------------- intervals


def wilson_interval(count, nobs, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for proportions (statsmodels), as fractions; NaN where ``nobs`` is 0.

    At ``count`` = 0 the lower limit is exactly 0, at ``count`` = ``nobs`` the upper limit 1.

    >>> low, high = wilson_interval([4], [26])
    >>> round(float(low[0]), 6), round(float(high[0]), 6)
    (0.0615, 0.335312)
    """
    from statsmodels.stats.proportion import proportion_confint

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


# ------------------------------------------------------------------------- multiple response


def multiple_response_table(
    frame: pd.DataFrame,
    items: Sequence[str],
    group_by: str = DEFAULT_GROUP,
    *,
    labels: Mapping[str, str] | None = None,
    questionnaire: Questionnaire | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """A multiple-response table: per item (0/1 column) and group, cases and mentions.

    Columns (one row per item × group, groups in :func:`group_order` then ``total``):

    * ``category``, ``label``: the item and its Russian label;
    * ``group``, ``group_label``: the group (``total`` = all rows, including rows whose
      group is missing);
    * ``base``: respondents (rows) in the group — the base of the percentages of respondents;
    * ``respondents``: respondents with the item;
    * ``percent``, ``ci_low``, ``ci_high``: % of respondents with the Wilson 95 % interval (0–100);
    * ``mentions_base``: all codes given in the group (sum over the items);
    * ``percent_of_mentions``: the item's share of those codes (0–100);
    * ``letter``, ``higher_than``: SPSS-style column-proportion test — each group has a
      letter (A, B, …); ``higher_than`` lists the letters of the groups whose proportion is
      significantly lower (z-test, Bonferroni over the pairs of groups; see
      :func:`survey.analysis.stats.column_proportion_letters`).
    """
    items = list(items)
    labels = dict(labels or {})
    groups = group_order(frame, group_by)
    gvals = group_values(frame, group_by)
    glabels = group_labels(frame, group_by, questionnaire)
    values = frame[items].fillna(0).astype(int)
    parts = [(g, values[(gvals == g).to_numpy()]) for g in groups] + [(TOTAL, values)]
    letters = {g: letter(i) for i, g in enumerate(groups)}
    rows = []
    for item in items:
        counts = [int(part[item].sum()) for _, part in parts[:-1]]
        bases = [len(part) for _, part in parts[:-1]]
        higher = column_proportion_letters(counts, bases, alpha=alpha)
        for i, (g, part) in enumerate(parts):
            base = len(part)
            k = int(part[item].sum())
            mentions = int(part.to_numpy().sum())
            rows.append(
                {
                    "category": item,
                    "label": labels.get(item, item),
                    "group": g,
                    "group_label": glabels.get(g, g),
                    "base": base,
                    "respondents": k,
                    "percent": 100.0 * k / base if base else math.nan,
                    "mentions_base": mentions,
                    "percent_of_mentions": 100.0 * k / mentions if mentions else math.nan,
                    "letter": letters.get(g, ""),
                    "higher_than": higher[i] if g != TOTAL else "",
                }
            )
    out = pd.DataFrame(rows)
    low, high = wilson_interval(out["respondents"], out["base"], alpha=alpha)
    out.insert(out.columns.get_loc("percent") + 1, "ci_low", 100.0 * low)
    out.insert(out.columns.get_loc("ci_low") + 1, "ci_high", 100.0 * high)
    return out


def problems_by_group_detail(
    frame: pd.DataFrame,
    categories: Sequence[str] | None = None,
    group_by: str = DEFAULT_GROUP,
    *,
    labels: Mapping[str, str] | None = None,
    questionnaire: Questionnaire | None = None,
) -> pd.DataFrame:
    """:func:`multiple_response_table` of the problem categories, with a ``level`` column.

    ``level`` is ``expert`` for an expert frame, ``unit`` for a :func:`unit_frame`.
    """
    categories = list(categories) if categories is not None else list(frame.attrs["categories"])
    out = multiple_response_table(frame, categories, group_by, labels=labels, questionnaire=questionnaire)
    out.insert(0, "level", frame.attrs.get("level", "expert"))
    return out


def problems_by_group(
    frame: pd.DataFrame, categories: Sequence[str] | None = None, group_by: str = DEFAULT_GROUP
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
        for o in f.options:
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


def closed_by_group(frame: pd.DataFrame, questionnaire: Questionnaire, group_by: str = DEFAULT_GROUP) -> pd.DataFrame:
    """Single-choice and scale questions by group: column percentages of substantive answers.

    Columns: ``question, code, option, label, group, group_label, base`` (substantive
    answers in the group), ``n``, ``percent``, ``ci_low``, ``ci_high`` (Wilson 95 %, 0–100),
    ``n_missing`` (missing-type answers in the group, not in the base).
    """
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


def scale_summary(frame: pd.DataFrame, questionnaire: Questionnaire, group_by: str = DEFAULT_GROUP) -> pd.DataFrame:
    """Scale questions by group: ``question, group, group_label, n_valid, n_missing, mean, sd, median``.

    Missing-type codes (9 = «затрудняюсь ответить») are left out; ``sd`` is the sample
    standard deviation (ddof = 1).
    """
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
    frame: pd.DataFrame, questionnaire: Questionnaire, group_by: str = DEFAULT_GROUP
) -> pd.DataFrame:
    """The multiple-choice questions (areas, forms) as multiple-response tables by group.

    Columns: ``question`` then those of :func:`multiple_response_table` (``category`` is the
    option's data column, e.g. ``q2_areas_trade``; ``label`` the option's label). The
    ``total`` rows are the questions' frequency tables.
    """
    parts = []
    for f in _closed_fields(questionnaire, ("multiple",)):
        cols = f.columns()
        labels = {f.option_column(o): o.label for o in f.options}
        table = multiple_response_table(frame, cols, group_by, labels=labels, questionnaire=questionnaire)
        table.insert(0, "question", f.id)
        parts.append(table)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


# ------------------------------------------------------------------------- published check


def published_check(frame: pd.DataFrame, published: Mapping[str, int] | None = None) -> pd.DataFrame:
    """Compare the study's published figures with the ones computed from ``frame``.

    Columns: ``figure, published, computed, match``. Figures: ``experts`` (rows),
    ``units`` (distinct ``unit_id``), ``cities``/``regions`` (distinct units of that kind),
    and the number of experts with each named category (``distance``, ``mentality``,
    ``covid``: the final codes of the run).

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
    published = dict(PUBLISHED if published is None else published)
    units = frame.drop_duplicates("unit_id")
    computed = {
        "experts": len(frame),
        "units": int(frame["unit_id"].nunique()),
        "cities": int((units["kind"] == "city").sum()),
        "regions": int((units["kind"] == "region").sum()),
    }
    rows = []
    for figure, value in published.items():
        if figure in computed:
            got = computed[figure]
        elif figure in frame.columns:
            got = int(frame[figure].sum())
        else:
            raise KeyError(figure)
        rows.append({"figure": figure, "published": int(value), "computed": int(got), "match": int(value) == int(got)})
    return pd.DataFrame(rows, columns=["figure", "published", "computed", "match"])
