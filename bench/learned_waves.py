"""Does the learned layer gain from more coded waves? Leave one part of the independent corpus
out: train the layer on the development part alone, or on every other part (development, test,
the later waves), and score the rules with the layer on the part left out; then the same for a grid
of the two thresholds.

    python bench/learned_waves.py            # the comparison
    python bench/learned_waves.py --grid     # and the thresholds
    python bench/learned_waves.py --drop covid   # the layer not allowed to add a category
    python bench/learned_waves.py --more-waves 70 93   # the bundled examples and waves 70–93

``--more-waves FIRST LAST`` trains the layer on the bundled examples and waves FIRST–LAST, and
scores the rules with it and with the bundled layer on the newer waves (LAST+1 to the newest:
out of both layers' fold), the sample and the held-out 100, with every wrong code the larger
layer gives on the two guards. Measured 2026-12-07 (the code of 607f195) with 70 93: waves 94–99
(1,800 answers) 0.8334 bundled → 0.8358 with waves 70–93 (28,680 answers); sample 0.996 → 0.996;
held-out 100 0.994 → 0.986 (three more wrong codes: «no problems» at 0.61 for «С визами проблем
нет… Языковой барьер тоже не ощущаем», distance at 0.71 for «Средств не хватает катастрофически…»,
language at 0.95 for a story of 15,000 Chinese tourists). So the examples still end at wave 69.

Measured 2026-11-30 (README «The learned layer»), rules of the fourth round, thresholds 0.4/0.7,
micro-F1 on the part left out, trained on dev alone → on every other part: test 0.794 → 0.800,
wave 2 0.828 → 0.827, wave 3 0.792 → 0.801. Thresholds (add_when_silent, add_when_coded), mean of
the three parts: 0.4/0.65 0.8094, 0.4/0.7 0.8095, 0.5/0.6 0.8099, 0.3/0.6 0.8065 — flat between
0.4 and 0.5 and between 0.55 and 0.7. With wave 4 and the fifth round's rules, the layer not
adding the pandemic (``--drop covid``): test 0.809 → 0.817, wave 2 0.834 → 0.839, wave 3 0.823
→ 0.826, wave 4 0.777 → 0.789; letting it add the pandemic too, trained on every other part:
0.818, 0.843, 0.831, 0.791 (pandemic F1 up by 0.004–0.030 on each part). With wave 5 and the
seventh round's rules at 0.4/0.7, trained on dev alone → on every other part: test 0.814 → 0.824,
wave 2 0.842 → 0.851, wave 3 0.830 → 0.835, wave 4 0.810 → 0.816, wave 5 0.800 → 0.815
(``--drop covid``: 0.823, 0.846, 0.830, 0.812, 0.806); the thresholds grid (sixth round) is flat
(mean 0.819–0.828; 0.4/0.7 0.826, 0.4/0.75 0.824, 0.5/0.65 0.828). Trained on 2,280 answers the
layer added codes at 0.72 to one sample answer and one held-out answer that the gold does not
have, so ``add_when_coded`` went to 0.75; with the final rules (wishes «хорошо бы» too): dev alone
→ every other part, test 0.814 → 0.820, wave 2 0.842 → 0.851, wave 3 0.829 → 0.834, wave 4
0.806 → 0.816, wave 5 0.803 → 0.815. With wave 6 and the eighth round's rules: test 0.815 → 0.820,
wave 2 0.843 → 0.852, wave 3 0.832 → 0.839, wave 4 0.806 → 0.818, wave 5 0.808 → 0.824, wave 6
0.831 → 0.842 (``--drop covid``: 0.818, 0.846, 0.835, 0.815, 0.816, 0.840); with the ninth
round's: 0.819 → 0.824, 0.844 → 0.853, 0.833 → 0.840, 0.806 → 0.818, 0.808 → 0.824, 0.841 →
0.848. With wave 7 and the tenth round's rules (eight parts): 0.819 → 0.824, 0.845 → 0.853, 0.831 →
0.836, 0.807 → 0.820, 0.809 → 0.830, 0.842 → 0.851, wave 7 0.789 → 0.799; grid mean 0.824–0.832
(0.4/0.75 0.8306, 0.4/0.8 0.8291). Trained on 2,880 answers the layer gave a sample answer interest
at 0.79, so ``add_when_coded`` went to 0.8. With wave 8 and the reviewed tenth round (nine parts,
0.4/0.8): test 0.821 → 0.826, wave 2 0.843 → 0.854, wave 3 0.830 → 0.837, wave 4 0.804 → 0.817,
wave 5 0.806 → 0.828, wave 6 0.841 → 0.848, wave 7 0.783 → 0.793, wave 8 0.769 → 0.792. The bundled
codebook trains the layer on all nine parts with 0.4/0.8, every category addable. Letting the
layer add a category the rules only named without a cue (``add_when_named``; before, any named
category was left alone): at 0.8 test 0.829, wave 2 0.858, wave 3 0.846, wave 4 0.824, wave 5 0.839,
wave 6 0.854, wave 7 0.805, wave 8 0.803 (mean 0.832 against 0.824), but a false code on the sample
(0.92) and on the held-out set (0.89); at 0.9 mean 0.829; at 0.95 0.828, 0.857, 0.842, 0.820, 0.830,
0.850, 0.799, 0.797 with the sample and the held-out set unchanged: the bundled codebook uses 0.95.
With wave 9 (ten parts, 0.4/0.8/0.95), dev alone → every other part: 0.821 → 0.828, 0.843 → 0.859,
0.830 → 0.843, 0.804 → 0.826, 0.806 → 0.833, 0.842 → 0.851, 0.783 → 0.803, 0.769 → 0.801, wave 9
0.798 → 0.825; the layer on 3,480 answers gave one sample answer interest at 0.80, so
``add_when_coded`` went to 0.85 (mean 0.8275 against 0.8298 at 0.8). With wave 10 (eleven parts,
0.4/0.85/0.95), dev alone → every other part: 0.819 → 0.825, 0.844 → 0.860, 0.830 → 0.842, 0.804
→ 0.827, 0.806 → 0.830, 0.842 → 0.852, 0.783 → 0.801, 0.768 → 0.794, 0.796 → 0.824, wave 10 0.738
→ 0.747 (the first nine's mean 0.8283 against 0.8275 with ten parts). With wave 11 (twelve parts):
0.819 → 0.827, 0.844 → 0.858, 0.830 → 0.841, 0.804 → 0.828, 0.806 → 0.832, 0.842 → 0.852, 0.783 →
0.800, 0.768 → 0.794, 0.796 → 0.829, wave 10 0.739 → 0.756, wave 11 0.752 → 0.773 (the first nine's
mean 0.8290). With wave 12 and the review's fixes (thirteen parts): 0.819 → 0.829, 0.844 → 0.861,
0.830 → 0.842, 0.804 → 0.826, 0.806 → 0.833, 0.842 → 0.853, 0.784 → 0.803, 0.768 → 0.789, 0.796 →
0.829, wave 10 0.739 → 0.753, wave 11 0.752 → 0.771, wave 12 0.717 → 0.738 (the first nine's mean
0.8294). With wave 13 (fourteen parts): 0.819 → 0.829, 0.844 → 0.859, 0.830 → 0.843, 0.804 → 0.824,
0.806 → 0.830, 0.842 → 0.854, 0.784 → 0.800, 0.768 → 0.794, 0.796 → 0.827, wave 10 0.739 → 0.757,
wave 11 0.752 → 0.775, wave 12 0.717 → 0.741, wave 13 0.787 → 0.813 (the first nine's mean 0.8289).
With wave 14 and two rules made after wave 13 (fifteen parts): 0.820 → 0.832, 0.844 → 0.861, 0.830 →
0.843, 0.804 → 0.828, 0.806 → 0.833, 0.842 → 0.854, 0.784 → 0.805, 0.768 → 0.794, 0.796 → 0.828,
wave 10 0.739 → 0.752, wave 11 0.752 → 0.776, wave 12 0.717 → 0.745, wave 13 0.789 → 0.818, wave 14
0.751 → 0.777 (the first nine's mean 0.8309). With wave 15 and three rules made before it was
scored (sixteen parts): 0.820 → 0.833, 0.844 → 0.858, 0.830 → 0.845, 0.804 → 0.825, 0.808 → 0.837,
0.842 → 0.851, 0.784 → 0.808, 0.769 → 0.795, 0.798 → 0.829, wave 10 0.741 → 0.754, wave 11 0.752 →
0.777, wave 12 0.719 → 0.748, wave 13 0.789 → 0.816, wave 14 0.752 → 0.775, wave 15 0.815 → 0.830
(the first nine's mean 0.8312). With wave 16 (seventeen parts), at ``add_when_coded`` 0.85 the first
nine's mean 0.8329 (wave 15 0.829, wave 16 0.779), but the layer trained on all of them gave a sample
and a held-out answer a code at 0.85 and 0.88; at 0.9: 0.820 → 0.830, 0.844 → 0.860, 0.829 → 0.843,
0.804 → 0.831, 0.805 → 0.833, 0.841 → 0.851, 0.782 → 0.803, 0.769 → 0.795, 0.798 → 0.828, wave 10
0.741 → 0.756, wave 11 0.752 → 0.777, wave 12 0.719 → 0.743, wave 13 0.790 → 0.812, wave 14 0.752 →
0.777, wave 15 0.815 → 0.825, wave 16 0.759 → 0.776 (the first nine's mean 0.8304). With wave 17
(eighteen parts) at 0.92: 0.820 → 0.828, 0.844 → 0.854, 0.829 → 0.838, 0.803 → 0.831, 0.805 → 0.831,
0.841 → 0.852, 0.782 → 0.804, 0.769 → 0.793, 0.798 → 0.826, wave 10 0.741 → 0.756, wave 11 0.752 →
0.772, wave 12 0.719 → 0.740, wave 13 0.792 → 0.811, wave 14 0.752 → 0.771, wave 15 0.815 → 0.826,
wave 16 0.759 → 0.775, wave 17 0.794 → 0.815 (the first nine's mean 0.8286). With wave 18 (nineteen
parts): 0.828, 0.854, 0.838, 0.830, 0.832, 0.852, 0.803, 0.794, 0.826, wave 10 0.757, wave 11 0.775,
wave 12 0.744, wave 13 0.809, wave 14 0.776, wave 15 0.827, wave 16 0.773, wave 17 0.812, wave 18
0.817 → 0.830 (the first nine's mean 0.8286). With waves 19–21 (twenty-two parts, the rules of
cf39c64): dev alone → every other part: 0.822 → 0.830, 0.845 → 0.859, 0.829 → 0.840, 0.808 → 0.838,
0.808 → 0.835, 0.838 → 0.850, 0.788 → 0.809, 0.769 → 0.795, 0.797 → 0.830, wave 10 0.741 → 0.758,
wave 11 0.755 → 0.776, wave 12 0.725 → 0.746, wave 13 0.792 → 0.813, wave 14 0.758 → 0.781, wave 15
0.820 → 0.834, wave 16 0.761 → 0.778, wave 17 0.799 → 0.815, wave 18 0.818 → 0.826, wave 19 0.818 →
0.827, wave 20 0.762 → 0.782, wave 21 0.754 → 0.781 (the first nine's mean 0.8318). With wave 22
(twenty-three parts, the stop's final rules, c4f928a): 0.822 → 0.834, 0.845 → 0.858, 0.831 → 0.840,
0.810 → 0.836, 0.808 → 0.834, 0.838 → 0.847, 0.788 → 0.806, 0.771 → 0.800, 0.797 → 0.829, wave 10
0.741 → 0.761, wave 11 0.755 → 0.777, wave 12 0.728 → 0.748, wave 13 0.793 → 0.814, wave 14 0.758 →
0.781, wave 15 0.820 → 0.834, wave 16 0.761 → 0.778, wave 17 0.799 → 0.815, wave 18 0.818 → 0.826,
wave 19 0.818 → 0.828, wave 20 0.765 → 0.783, wave 21 0.766 → 0.791, wave 22 0.778 → 0.796 (the
first nine's mean 0.8316).
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.coding_quality import codes, f1_table, gold_set  # noqa: E402
from survey.coding.coder import Coder  # noqa: E402
from survey.coding.learned import LearnedLayer, load_model, train  # noqa: E402
from survey.spec.codebook import load_codebook  # noqa: E402

# the parts the bundled codebook trains its layer on (dev, test, test2 …), in its order
_LEARNED = load_codebook().learned
PARTS = tuple(path.stem for path in (_LEARNED.examples if _LEARNED is not None else ()))
TARGETS = PARTS[1:]


def more_waves(first: int, last: int) -> None:
    """``--more-waves``: the bundled layer against one trained on waves ``first``–``last`` too."""
    cb = load_codebook()
    if cb.learned is None:
        raise SystemExit("the codebook has no learned section")
    cats = cb.ids
    rules = Coder(cb, learned=False)
    corpus = ROOT / "tests" / "data" / "corpus"
    newest = max(int(p.stem[4:]) for p in corpus.glob("test*.csv") if p.stem[4:].isdigit())
    if not first <= last < newest:
        raise SystemExit(
            f"--more-waves FIRST LAST: FIRST ≤ LAST < {newest} (the newest wave), so that waves are left to score"
        )
    extra = tuple(corpus / f"test{w}.csv" for w in range(first, last + 1))
    settings = {
        "bundled": cb.learned,
        f"+ waves {first}–{last}": dataclasses.replace(cb.learned, examples=(*cb.learned.examples, *extra)),
    }
    later = [gold_set(f"test{w}", cats) for w in range(last + 1, newest + 1)]
    sets = {
        f"waves {last + 1}–{newest}": ([t for texts, _ in later for t in texts], np.vstack([g for _, g in later])),
        "sample": gold_set("sample", cats),
        "heldout": gold_set("heldout", cats),
    }
    print("| layer | examples | " + " | ".join(sets) + " |")
    print("| --- | --- |" + " --- |" * len(sets))
    for name, learned in settings.items():
        model = load_model(learned, cats, rules.lemmatizer, cb.rules)
        coder = Coder(cb, learned=LearnedLayer(model, learned, cb, rules.lemmatizer))
        row, wrong = [], []
        for key, (texts, truth) in sets.items():
            codings = coder.code_many([str(t) for t in texts])
            predicted = codes(codings, cats)
            row.append(f"{f1_table(truth, predicted, cats)['micro']:.4f}")
            if key in ("sample", "heldout"):
                for i, j in zip(*np.nonzero(predicted != truth)):
                    p = codings[i].probabilities.get(cats[j], float("nan"))
                    sign = "+" if predicted[i, j] else "-"
                    wrong.append(f"{key}: {cats[j]} {sign} (p {p:.2f}) «{str(texts[i])[:60]}…»")
        print(f"| {name} | {model.examples} | " + " | ".join(row) + " |", flush=True)
        for w in wrong:
            print(f"    {w}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--grid", action="store_true", help="also a grid of the two thresholds")
    ap.add_argument("--drop", action="append", default=[], help="a category the layer may not add (repeatable)")
    ap.add_argument("--more-waves", nargs=2, type=int, metavar=("FIRST", "LAST"), help="train on these waves too")
    args = ap.parse_args()
    if args.more_waves:
        more_waves(*args.more_waves)
        return
    cb = load_codebook()
    if cb.learned is None:
        raise SystemExit("the codebook has no learned section")
    cats = cb.ids
    if args.drop:
        allowed = tuple(c for c in (cb.learned.categories or cats) if c not in args.drop)
        cb = dataclasses.replace(cb, learned=dataclasses.replace(cb.learned, categories=allowed))
    lemmatizer = Coder(cb, learned=False).lemmatizer
    data = {p: gold_set(p, cats) for p in PARTS}

    def model(parts: list[str]):
        texts = [t for p in parts for t in data[p][0]]
        return train(texts, np.vstack([data[p][1] for p in parts]), cats, lemmatizer)

    def score(target: str, layer: LearnedLayer) -> float:
        coder = Coder(cb, learned=layer)
        texts, truth = data[target]
        return f1_table(truth, codes([coder.code(t) for t in texts], cats), cats)["micro"]

    others = {t: model([p for p in PARTS if p != t]) for t in TARGETS}
    dev_only = model(["dev"])
    print("| part left out | trained on dev | trained on every other part |")
    print("| --- | --- | --- |")
    for t in TARGETS:
        a = score(t, LearnedLayer(dev_only, cb.learned, cb, lemmatizer))
        b = score(t, LearnedLayer(others[t], cb.learned, cb, lemmatizer))
        print(f"| {t} | {a:.3f} | {b:.3f} |", flush=True)
    if not args.grid:
        return
    # one add_when_coded for every category: the codebook's add_when_coded_for is left out
    print("\n| add_when_silent | add_when_coded (all categories) | " + " | ".join(TARGETS) + " | mean |")
    print("| --- | --- |" + " --- |" * (len(TARGETS) + 1))
    for silent, coded in itertools.product((0.3, 0.4, 0.5), (0.5, 0.55, 0.6, 0.65, 0.7, 0.75)):
        settings = dataclasses.replace(cb.learned, add_when_silent=silent, add_when_coded=coded, add_when_coded_for=())
        row = [score(t, LearnedLayer(others[t], settings, cb, lemmatizer)) for t in TARGETS]
        print(f"| {silent} | {coded} | " + " | ".join(f"{x:.4f}" for x in row) + f" | {np.mean(row):.4f} |", flush=True)


if __name__ == "__main__":
    main()
