"""Which answers to review first: the weights of ``survey.coding.uncertainty`` fitted and checked
on the independent corpus, out of fold.

Every part of the corpus (``dev``, ``test``, ``test2`` … ``test69``: 21,480 answers by 278
writers) is coded by the rules with the learned layer trained on the *other* parts, so that the
layer's probabilities are those of answers it has not seen — the bundled layer is trained on
every part, and its probabilities there know the gold. An answer "has an error" when any
category differs from the gold. A logistic regression of that on the features of
:func:`review_features` gives the weights; each part in turn is left out, the weights fitted on
the others (rounded to one decimal, as they are written in the package) rank it, and the share
of its erroneous answers among the first 20 % and 30 % of the ranking is compared with the
package's weights. Trains one layer per part (70 with the bundled codebook: about an hour on
stop 41's machine).

    python bench/review_ranking.py
    python bench/review_ranking.py --last 12    # only the last twelve parts scored (stop 42,
                                                # the layer on 66 parts: waves 55–66; 25 minutes)

Measured 2026-12-01 (README «Reviewing the coding»): see the table it prints.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from bench.coding_quality import gold_set  # noqa: E402
from bench.learned_waves import PARTS  # noqa: E402
from survey.coding.coder import Coder  # noqa: E402
from survey.coding.learned import LearnedLayer, train  # noqa: E402
from survey.coding.uncertainty import FEATURES, REVIEW_FIRST, WEIGHTS, review_features  # noqa: E402
from survey.spec.codebook import load_codebook  # noqa: E402


def caught(score: np.ndarray, wrong: np.ndarray, share: float) -> float:
    """Share of the erroneous answers among the first ``share`` of answers by ``score``."""
    k = int(len(wrong) * share)
    top = np.argsort(-score, kind="stable")[:k]
    return float(wrong[top].sum() / wrong.sum())


def out_of_fold(scored: tuple[str, ...] = PARTS) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per part of ``scored``: the review features of its answers and whether each has a wrong
    code, coded with the layer trained on every other part (of all of ``PARTS``)."""
    cb = load_codebook()
    assert cb.learned is not None, "the codebook has no learned section"
    lemmatizer = Coder(cb, learned=False).lemmatizer
    data = {p: gold_set(p, cb.ids) for p in PARTS}
    out = {}
    for part in scored:
        others = [p for p in PARTS if p != part]
        texts = [t for p in others for t in data[p][0]]
        model = train(texts, np.vstack([data[p][1] for p in others]), cb.ids, lemmatizer)
        coder = Coder(cb, learned=LearnedLayer(model, cb.learned, cb, lemmatizer))
        rows, wrong = [], []
        for text, truth in zip(*data[part]):
            c = coder.code(text)
            rows.append(review_features(c, text))
            wrong.append(any(c.codes[k] != t for k, t in zip(cb.ids, truth)))
        out[part] = (np.array(rows, float), np.array(wrong, int))
        print(f"coded {part} out of fold", file=sys.stderr, flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--last", type=int, help="score only the last N parts (each layer still trained on all others)")
    args = ap.parse_args()
    scored = PARTS[-args.last :] if args.last else PARTS
    data = out_of_fold(scored)
    package = np.array([WEIGHTS[f] for f in FEATURES])
    print(
        "| left out | answers with an error | AUC: fitted on the others / the package's weights "
        "| first 20 %: fitted / package | first 30 %: fitted / package |"
    )
    print("| --- | --- | --- | --- | --- |")
    results = []
    for name in scored:
        X = np.vstack([data[p][0] for p in scored if p != name])
        y = np.concatenate([data[p][1] for p in scored if p != name])
        w = np.round(LogisticRegression(max_iter=2000).fit(X, y).coef_[0], 1)
        Xt, yt = data[name]
        fitted, now = Xt @ w, Xt @ package
        row = (
            roc_auc_score(yt, fitted),
            roc_auc_score(yt, now),
            caught(fitted, yt, 0.2),
            caught(now, yt, 0.2),
            caught(fitted, yt, 0.3),
            caught(now, yt, 0.3),
        )
        results.append(row)
        print(
            f"| {name} | {yt.sum()} of {len(yt)} | {row[0]:.3f} / {row[1]:.3f} | "
            f"{row[2]:.0%} / {row[3]:.0%} | {row[4]:.0%} / {row[5]:.0%} |"
        )
    mean = np.mean(results, axis=0)
    print(f"| mean | | {mean[0]:.3f} / {mean[1]:.3f} | {mean[2]:.1%} / {mean[3]:.1%} | {mean[4]:.1%} / {mean[5]:.1%} |")
    X = np.vstack([data[p][0] for p in scored])
    y = np.concatenate([data[p][1] for p in scored])
    w = LogisticRegression(max_iter=2000).fit(X, y).coef_[0]
    print("\nweights fitted on every part:", {f: round(float(v), 1) for f, v in zip(FEATURES, w)})
    print("the package's weights:       ", dict(zip(FEATURES, package.tolist())))
    scores = X @ package
    first = scores >= REVIEW_FIRST
    print(
        f"answers at or above REVIEW_FIRST ({REVIEW_FIRST}): {first.mean():.0%}, holding "
        f"{y[first].sum() / y.sum():.0%} of the answers with an error"
    )


if __name__ == "__main__":
    main()
