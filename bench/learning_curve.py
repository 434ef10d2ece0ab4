"""How much would more coded answers help the learned layer? A learning curve on the independent
corpus: the last four waves are held out (1,200 answers); the layer is trained on ``k`` parts
drawn at random from the others (each part 300–600 answers), three draws per ``k``, and the rules
with the layer are scored on the held-out waves. A straight line through micro-F1 against the
logarithm of the training answers extrapolates (with all its risk) how many answers a given
score would take if nothing but the training data changed.

    python bench/learning_curve.py                   # k = 0, 1, 2, 4, 8, 16 and all
    python bench/learning_curve.py --draws 5

Measured 2026-12-02 (the rules of 4bcf59a, the codebook's thresholds, waves 25–28 held out,
``k`` from the other 25 parts), in the README «The learned layer».
"""

from __future__ import annotations

import argparse
import random
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

HELD_OUT = ("test25", "test26", "test27", "test28")
POOL = PARTS[: PARTS.index(HELD_OUT[0])]  # the parts made before them


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=3, help="random draws of the training parts per size")
    args = ap.parse_args()
    cb = load_codebook()
    if cb.learned is None:
        raise SystemExit("the codebook has no learned section")
    cats = cb.ids
    rules = Coder(cb, learned=False)
    lemmatizer = rules.lemmatizer
    data = {p: gold_set(p, cats) for p in POOL + HELD_OUT}
    texts = [t for p in HELD_OUT for t in data[p][0]]
    truth = np.vstack([data[p][1] for p in HELD_OUT])
    base = [rules.code(t) for t in texts]  # the rules' codings, copied for each layer

    def scored(parts: list[str]) -> tuple[int, dict[str, float]]:
        if not parts:
            return 0, f1_table(truth, codes(base, cats), cats)
        train_texts = [t for p in parts for t in data[p][0]]
        model = train(train_texts, np.vstack([data[p][1] for p in parts]), cats, lemmatizer)
        layer = LearnedLayer(model, cb.learned, cb, lemmatizer)
        out = []
        for c, t in zip(base, texts):
            c = c.copy()
            layer.apply(c, t)
            out.append(c)
        return len(train_texts), f1_table(truth, codes(out, cats), cats)

    print(f"held out: {', '.join(HELD_OUT)} ({len(texts)} answers); training parts drawn from {len(POOL)}")
    print("| parts | answers (mean) | micro-F1 (mean) | range | precision | recall | lowest category |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    sizes = [0, 1, 2, 4, 8, 16, len(POOL)]
    points = []
    for k in sizes:
        draws = 1 if k in (0, len(POOL)) else args.draws
        runs = [scored(random.Random(100 * k + d).sample(POOL, k)) for d in range(draws)]
        n = float(np.mean([r[0] for r in runs]))
        micro = [r[1]["micro"] for r in runs]
        mean = {key: float(np.mean([r[1][key] for r in runs])) for key in runs[0][1]}
        low = min(cats, key=lambda c: mean[c])
        print(
            f"| {k} | {n:,.0f} | {np.mean(micro):.3f} | {min(micro):.3f}–{max(micro):.3f} | "
            f"{mean['precision']:.3f} | {mean['recall']:.3f} | {low} {mean[low]:.3f} |",
            flush=True,
        )
        if k:
            points.append((n, float(np.mean(micro))))
    slope, intercept = np.polyfit(np.log([p[0] for p in points]), [p[1] for p in points], 1)
    print(f"\nmicro-F1 ≈ {intercept:.3f} + {slope:.4f}·ln(answers): +{slope * np.log(2):.4f} per doubling")
    for target in (0.85, 0.90):
        need = float(np.exp((target - intercept) / slope)) if slope > 0 else float("inf")
        print(f"{target:.2f} would take ≈ {need:,.0f} training answers on this line")


if __name__ == "__main__":
    main()
