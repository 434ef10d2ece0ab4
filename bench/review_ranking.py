"""Which answers to review first: the weights of ``survey.coding.uncertainty`` fitted and checked
on the independent corpus.

For every answer of the corpus's three test sets (``test.csv``, ``test2.csv``, ``test3.csv``:
1,080 answers by ten writers the codebook was not developed on, each scored blind once), the
coder as configured gives its codes; an answer "has an error" when any category differs from
the gold. A logistic regression of that on the features of :func:`review_features` gives the
weights; each set in turn is left out, the weights fitted on the other two (rounded to one
decimal, as they are written in the package) rank it, and the share of its erroneous answers
among the first 20 % and 30 % of the ranking is compared with the old flag sum.

    python bench/review_ranking.py

Measured 2026-11-30 (README «Reviewing the coding»): see the table it prints.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from bench.coding_quality import gold_set  # noqa: E402
from survey.coding.coder import Coder  # noqa: E402
from survey.coding.uncertainty import FEATURES, REVIEW_FIRST, WEIGHTS, review_features, review_flags  # noqa: E402

SETS = ("test", "test2", "test3")


def caught(score: np.ndarray, wrong: np.ndarray, share: float) -> float:
    """Share of the erroneous answers among the first ``share`` of answers by ``score``."""
    k = int(len(wrong) * share)
    top = np.argsort(-score, kind="stable")[:k]
    return float(wrong[top].sum() / wrong.sum())


def main() -> None:
    coder = Coder()
    data = {}
    for name in SETS:
        texts, gold = gold_set(name, coder.ids)
        rows, wrong, now = [], [], []
        for text, truth in zip(texts, gold):
            c = coder.code(text)
            rows.append(review_features(c, text))
            wrong.append(any(c.codes[k] != t for k, t in zip(coder.ids, truth)))
            now.append(review_flags(c, text)[0])
        data[name] = (np.array(rows, float), np.array(wrong, int), np.array(now))
    print(
        "| left out | answers with an error | AUC: fitted on the other two / the package's weights "
        "| first 20 %: fitted / package | first 30 %: fitted / package |"
    )
    print("| --- | --- | --- | --- | --- |")
    package = np.array([WEIGHTS[f] for f in FEATURES])
    for name in SETS:
        X = np.vstack([data[s][0] for s in SETS if s != name])
        y = np.concatenate([data[s][1] for s in SETS if s != name])
        w = np.round(LogisticRegression(max_iter=1000).fit(X, y).coef_[0], 1)
        Xt, yt, now = data[name]
        fitted = Xt @ w
        print(
            f"| {name} | {yt.sum()} of {len(yt)} | {roc_auc_score(yt, fitted):.3f} / {roc_auc_score(yt, now):.3f} | "
            f"{caught(fitted, yt, 0.2):.0%} / {caught(now, yt, 0.2):.0%} | "
            f"{caught(fitted, yt, 0.3):.0%} / {caught(now, yt, 0.3):.0%} |"
        )
    X = np.vstack([data[s][0] for s in SETS])
    y = np.concatenate([data[s][1] for s in SETS])
    w = LogisticRegression(max_iter=1000).fit(X, y).coef_[0]
    print("\nweights fitted on all three sets:", {f: round(float(v), 1) for f, v in zip(FEATURES, w)})
    print("the package's weights:          ", dict(zip(FEATURES, package.tolist())))
    scores = X @ package
    first = scores >= REVIEW_FIRST
    print(
        f"answers at or above REVIEW_FIRST ({REVIEW_FIRST}): {first.mean():.0%}, holding "
        f"{y[first].sum() / y.sum():.0%} of the answers with an error"
    )


if __name__ == "__main__":
    main()
