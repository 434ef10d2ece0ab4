"""Would scoring each sentence alone help the layer find a category one sentence of a long answer
is about? The layer scores an answer as one bag of its sentences' n-grams, so a category said in
one sentence of six is diluted. Here the same model also scores every sentence on its own, and
the answer's probability of a category becomes the higher of the two:

* ``base`` — the bundled layer (the answer as a whole);
* ``max`` — the higher of the answer's and its best sentence's probability;
* ``t<NN>`` — the best sentence's probability only where it is at least 0.NN, else the answer's;
* ``c<NN>`` — the same, but only sentences with a word of a difficulty (a word of the rules'
  ``negators``, ``absence``, ``problem_words``, ``problem_verbs`` or ``shortage_cues``) count;
* ``g<NN>`` — the other way: where no sentence alone scores a category at 0.NN or more, the
  answer's probability is capped at its best sentence's (a code needs one sentence to carry it).

Leave one part out (the last ``--last`` parts of the bundled layer's examples): the layer is
trained on every other part and the rules with it code the part left out; the sample and the
held-out 100 are coded with the layer trained on every part.

    python bench/sentence_scores_experiment.py --last 5 --variants base,max,t90,t95,t98

Measured 2026-12-03 (stop 42, the code of 6500c79, sixty-seven parts; README «The learned
layer», «Sentences scored alone»), micro-F1 of waves 62–66 left out (mean), sample, held-out 100:
base 0.7953, 0.8187, 0.8121, 0.8050, 0.8234 (0.8109), 0.996, 0.992; max 0.7954, 0.8238, 0.8131,
0.8115, 0.8350 (0.8158), —, 0.975; t90 (0.8163) 0.991, 0.975; t95 (0.8157) 0.991, 0.975; t98
(0.8131) 0.993, 0.983. A sentence alone is shorter than any answer the layer was trained on and
its probabilities are more decided: it finds the corpus coders' categories in one sentence, but
on the sample and the held-out set it adds topics («Центр русского языка … пользуется большой
популярностью» as language). Not kept.

Measured 2026-12-04 (stop 43, the code of c6f6b0e with waves 70 and 71 added to the examples,
seventy-two parts), waves 62–71 left out: base 0.8000, 0.8213, 0.8154, 0.8081, 0.8201, 0.8345,
0.8644, 0.8459, 0.8402, 0.8393 (mean 0.8289), sample 0.996, held-out 0.989; g50 0.7948, 0.8148,
0.8042, 0.8077, 0.8244, 0.8361, 0.8665, 0.8475, 0.8416, 0.8376 (mean 0.8275), 0.996, 0.992 (on
waves 67–71 alone g30 0.8450, g50 0.8458, g70 0.8452 against 0.8449). Not kept.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.coding_quality import codes, f1_table, gold_set  # noqa: E402
from bench.learned_waves import PARTS  # noqa: E402
from survey.coding.coder import Coder  # noqa: E402
from survey.coding.learned import LearnedLayer, LearnedModel, Sentence, train  # noqa: E402
from survey.spec.codebook import BIT, Rules, load_codebook  # noqa: E402

DIFFICULTY = BIT["negators"] | BIT["absence"] | BIT["problem_words"] | BIT["problem_verbs"] | BIT["shortage_cues"]
DIFFICULTY |= BIT["shortage_cues:start"]


class SentenceScores:
    """A fitted model whose answer probabilities also weigh each sentence scored alone;
    ``difficult`` says, per sentence of the answer being scored, whether it has a word of a
    difficulty (set by :class:`Layer`)."""

    def __init__(self, model: LearnedModel, variant: str):
        self.model, self.variant = model, variant
        self.difficult: list[bool] = []

    def __getattr__(self, name: str):
        return getattr(self.model, name)

    def probability_list(self, sentences: list[Sentence]) -> list[float]:
        whole = self.model.probability_list(sentences)
        if self.variant == "base" or len(sentences) < 2:
            return whole
        if self.variant.startswith("c"):
            sentences = [s for s, d in zip(sentences, self.difficult) if d]
            if not sentences:
                return whole
        best = np.max([self.model.probability_list([s]) for s in sentences], axis=0)
        if self.variant == "max":
            return [max(a, b) for a, b in zip(whole, best)]
        floor = int(self.variant[1:]) / 100  # t95: a sentence counts from 0.95 on
        if self.variant.startswith("g"):  # g50: without a sentence at 0.5, no more than the best sentence
            return [a if b >= floor else min(a, b) for a, b in zip(whole, best)]
        return [max(a, b) if b >= floor else a for a, b in zip(whole, best)]


class Layer(LearnedLayer):
    """The bundled layer's policy over :class:`SentenceScores`, told which sentences have a
    word of a difficulty."""

    def __init__(self, model: SentenceScores, rules: Rules, *args):
        super().__init__(model, *args)  # type: ignore[arg-type]
        self.scores, self.rules = model, rules

    def apply(self, coding, text, sentences=None):
        if sentences is not None:
            mask = self.rules.mask
            self.scores.difficult = [any(mask(frozenset({w})) & DIFFICULTY for w in lemmas) for _, lemmas in sentences]
        super().apply(coding, text, sentences)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--last", type=int, default=5, help="how many of the last parts to leave out in turn")
    ap.add_argument("--variants", default="base,max,t90,t95,t98,c80,c90,c95")
    args = ap.parse_args()
    variants = args.variants.split(",")
    cb = load_codebook()
    if cb.learned is None:
        raise SystemExit("the codebook has no learned section")
    cats = cb.ids
    bundled = Coder(cb)
    assert bundled.learned is not None
    lemmatizer = bundled.lemmatizer
    data = {p: gold_set(p, cats) for p in PARTS}

    def score(model: LearnedModel, variant: str, part: str) -> float:
        layer = Layer(SentenceScores(model, variant), cb.rules, cb.learned, cb, lemmatizer)
        coder = Coder(cb, learned=layer)
        texts, truth = data[part] if part in data else gold_set(part, cats)
        return f1_table(truth, codes([coder.code(t) for t in texts], cats), cats)["micro"]

    rows: dict[str, list[float]] = {v: [] for v in variants}
    targets = PARTS[-args.last :]
    for part in targets:
        others = [p for p in PARTS if p != part]
        model = train(
            [t for p in others for t in data[p][0]], np.vstack([data[p][1] for p in others]), cats, lemmatizer
        )
        for v in variants:
            rows[v].append(score(model, v, part))
        print(part, " ".join(f"{v} {rows[v][-1]:.4f}" for v in variants), flush=True)
    print("\n| variant | " + " | ".join(targets) + " | mean | sample | held-out 100 |")
    print("| --- |" + " --- |" * (len(targets) + 3))
    for v in variants:
        extra = [score(bundled.learned.model, v, p) for p in ("sample", "heldout")]
        cells = [f"{x:.4f}" for x in rows[v]] + [f"{np.mean(rows[v]):.4f}"] + [f"{x:.3f}" for x in extra]
        print(f"| {v} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
