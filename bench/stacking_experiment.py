"""Would a second model over the rules' decisions beat the layer's fixed policy? Leave one part
of the independent corpus out: train the layer (as bundled) on every other part and take its
probabilities on the part left out ("out of fold"); code every part with the rules alone. Then
compare, on each part left out:

* ``policy`` — the bundled layer's policy (add at ``add_when_silent`` / ``add_when_coded`` /
  ``add_when_named``, never where the rules denied, found sufficient or a topic);
* ``remove<t>`` — the policy, and a rule code is removed where the layer's probability is below
  ``t``;
* ``thresholds`` — ``add_when_coded`` chosen per category on the other parts (a grid);
* ``stack`` — one logistic regression per category over the layer's log-odds and the rules'
  decision (coded, with high confidence, named without a cue, sufficient or a topic, denied,
  nothing found in the answer, how many categories coded, «no problems» coded, and the log-odds
  times the first three), trained on the other parts' out-of-fold rows, which may add and remove;
* ``stack-add`` — the same, only adding to the rules.

The sample and the held-out 100 are scored with everything trained on all parts.

    python bench/stacking_experiment.py
    python bench/stacking_experiment.py --waves 70 99   # cross-fitted on waves outside the examples

``--waves FIRST LAST`` measures the same on waves the bundled layer never trained on, without
retraining it: every answer of those waves is out of its fold already, so the stack is trained
on the even waves and scored on the odd ones, then the other way round, pooled (``boosted``: the
stack as gradient-boosted trees over every category's features at once, so that one category's
probability may speak for another). The sample and the held-out 100 are scored with the stack
trained on all those waves.

Measured 2026-12-07 with ``--waves 70 99`` (9,000 answers; the code of 0aec7f8, the layer on the
seventy parts up to wave 69), micro-F1 pooled over both halves / sample / held-out 100: policy
0.8254 / 0.996 / 0.994; stack 0.8529 / 0.828 / 0.908; stack-add 0.8357 / 0.980 / 0.949; boosted
0.8418 / 0.829 / 0.899 (with waves 70–98: 0.8254, 0.8528, 0.8354, 0.8413). ``policy`` is this
script's copy of the layer's rules for adding; the coder itself gives these waves 0.8289. With
4,500 out-of-fold answers to learn from in each half, the free stack still stops near 0.85.

Measured 2026-11-30 (twelve parts, the rules and thresholds of the end of that stop), micro-F1 of
the eleven parts left out, mean / sample / held-out 100: policy 0.8173 / 0.996 / 0.989; remove
below 0.05 0.8222 / 0.971 / 0.980; below 0.1 0.8258 / 0.928 / 0.975; per-category thresholds
0.8201 / 0.994 / 0.986; stack 0.8429 / 0.867 / 0.938 (wave 10 0.756 → 0.811, wave 11 0.773 →
0.818); stack-add 0.8301 / 0.989 / 0.967. Earlier, with ten parts: policy 0.8275, stack 0.8471 /
0.887 / 0.946, stack-add 0.8385 / 0.989 / 0.975. The stack learns the corpus coders' conventions
where the rules differ from them, but it removes right rule codes wherever the layer has not
seen the wording: on the sample (26 mentality, 19 distance, 13 interest codes) and on the
held-out 100 (written by someone who saw neither the corpus nor the codebook), and it follows the
layer into denied words («Языковой барьер тоже не ощущаем» → language at 0.99). Not kept.
Again on 2026-12-02 with thirty parts (the rules of 4bcf59a, thresholds 0.5/0.93/0.93), mean of
the twenty-nine parts left out / sample / held-out: policy 0.8209 / 0.996 / 0.992; remove below 0.05
0.8260 / 0.965 / 0.986; below 0.1 0.8287 / 0.935 / 0.977; per-category thresholds 0.8268 / 0.995 /
0.981; stack 0.8477 / 0.864 / 0.930; stack-add 0.8360 / 0.985 / 0.954.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.coding_quality import gold_set  # noqa: E402
from bench.learned_waves import PARTS  # noqa: E402
from survey.coding.coder import Coder  # noqa: E402
from survey.coding.learned import load_model, train  # noqa: E402
from survey.spec.codebook import load_codebook  # noqa: E402

CODEBOOK = load_codebook()
CATS = CODEBOOK.ids
SETTINGS = CODEBOOK.learned
NO_PROBLEMS = next(c for c in CODEBOOK.categories if c.no_problems)
NP = NO_PROBLEMS.id


def rows_of(part: str, rules: Coder, model, texts: list[str], gold: np.ndarray) -> list[dict]:
    """Per answer: the gold, the rules' decision and the layer's probabilities."""
    lem = rules.lemmatizer
    out = []
    for text, g in zip(texts, gold):
        c = rules.code(text)
        p = model.probability_list(model.text_sentences(text, lem))
        out.append(
            {
                "gold": g,
                "codes": {k: c.codes.get(k, 0) for k in CATS},
                "named": set(c.named),
                "settled": set(c.settled),
                "denied": set(c.denied),
                "high": {k for k in CATS if c.codes.get(k) and c.confidence(k) == "high"},
                "p": dict(zip(CATS, p)),
            }
        )
    return out


def policy(r: dict, coded_at: dict[str, float] | None = None, remove_below: float = 0.0) -> dict[str, int]:
    codes = dict(r["codes"])
    p = r["p"]
    for c in CATS:
        if c != NP and codes[c] and p[c] < remove_below:
            codes[c] = 0
    if codes[NP]:
        return codes
    silent = not any(r["codes"].values()) and not r["denied"] and not r["named"]
    blocked = r["denied"] | r["settled"]
    added = []
    for c in CATS:
        if c == NP or codes[c] or c in blocked:
            continue
        t = SETTINGS.add_when_silent if silent else (coded_at or {}).get(c, SETTINGS.coded_threshold(c))
        if c in r["named"]:
            t = max(t, SETTINGS.add_when_named)
        if p[c] >= t:
            added.append(c)
    t = SETTINGS.add_when_silent if silent else SETTINGS.coded_threshold(NP)
    if NP not in blocked and not r["denied"] and not any(codes.values()) and not added and p[NP] >= t:
        added.append(NP)
    for c in added:
        codes[c] = 1
    return codes


def features(r: dict, c: str) -> list[float]:
    p = min(max(r["p"][c], 1e-4), 1 - 1e-4)
    logit = math.log(p / (1 - p))
    coded = r["codes"][c]
    named = float(c in r["named"] and not coded)
    silent = not any(r["codes"].values()) and not r["denied"] and not r["named"]
    n = sum(r["codes"][k] for k in CATS if k != NP)
    high = float(c in r["high"])
    return [logit, coded, high, named, c in r["settled"], c in r["denied"], silent, n, r["codes"][NP]] + [
        coded * logit,
        named * logit,
        high * logit,
    ]


def stack(train_rows: list[dict], rows: list[dict], add_only: bool) -> list[dict[str, int]]:
    out = [dict.fromkeys(CATS, 0) for _ in rows]
    for j, c in enumerate(CATS):
        x = np.array([features(r, c) for r in train_rows], float)
        y = np.array([r["gold"][j] for r in train_rows])
        model = LogisticRegression(C=1.0, max_iter=2000).fit(x, y)
        prob = model.predict_proba(np.array([features(r, c) for r in rows], float))[:, 1]
        for o, v in zip(out, prob):
            o[c] = int(v >= 0.5)
    others = [k for k in CATS if k not in (NP, *NO_PROBLEMS.compatible_with)]
    final = []
    for r, o in zip(rows, out):
        if add_only:
            codes = dict(r["codes"])
            if not codes[NP]:
                for c in CATS:
                    if c != NP and o[c]:
                        codes[c] = 1
                if o[NP] and not r["denied"] and not any(codes[k] for k in CATS if k != NP):
                    codes[NP] = 1
            o = codes
        if o[NP] and any(o[k] for k in others):
            o[NP] = 0
        final.append(o)
    return final


def micro(rows: list[dict], predicted: list[dict[str, int]]) -> float:
    tp = fp = fn = 0
    for r, c in zip(rows, predicted):
        for j, k in enumerate(CATS):
            g, v = int(r["gold"][j]), c[k]
            tp += g and v
            fp += (not g) and v
            fn += g and not v
    return 2 * tp / (2 * tp + fp + fn)


def choose_thresholds(rows: list[dict]) -> dict[str, float]:
    grid = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9)
    chosen = dict.fromkeys(CATS, SETTINGS.add_when_coded)
    for c in CATS:
        if c != NP:
            chosen[c] = max(grid, key=lambda v: micro(rows, [policy(r, {**chosen, c: v}) for r in rows]))
    return chosen


def rich(r: dict) -> list[float]:
    """The features of every category of an answer, side by side."""
    return [x for c in CATS for x in features(r, c)]


def boosted(train_rows: list[dict], rows: list[dict]) -> list[dict[str, int]]:
    """Gradient-boosted trees per category over :func:`rich`: free to add and remove."""
    from sklearn.ensemble import HistGradientBoostingClassifier  # lazy: only this method

    x, x_new = np.array([rich(r) for r in train_rows]), np.array([rich(r) for r in rows])
    out = [dict.fromkeys(CATS, 0) for _ in rows]
    for j, c in enumerate(CATS):
        y = np.array([r["gold"][j] for r in train_rows])
        fit = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, random_state=0).fit(x, y)
        for o, v in zip(out, fit.predict_proba(x_new)[:, 1]):
            o[c] = int(v >= 0.5)
    return out


def crossfit(first: int, last: int) -> None:
    """The stack trained on even waves and scored on odd ones and the other way round."""
    rules = Coder(CODEBOOK, learned=False)
    model = load_model(SETTINGS, CATS, rules.lemmatizer, CODEBOOK.rules)
    waves = {w: rows_of(f"test{w}", rules, model, *gold_set(f"test{w}", CATS)) for w in range(first, last + 1)}
    held = {s: rows_of(s, rules, model, *gold_set(s, CATS)) for s in ("sample", "heldout")}
    every = [r for rows in waves.values() for r in rows]

    def methods(train_rows: list[dict], rows: list[dict]) -> dict[str, list[dict[str, int]]]:
        return {
            "policy": [policy(r) for r in rows],
            "stack": stack(train_rows, rows, add_only=False),
            "stack-add": stack(train_rows, rows, add_only=True),
            "boosted": boosted(train_rows, rows),
        }

    pooled: dict[str, tuple[list[dict], list[dict[str, int]]]] = {}
    for half in (0, 1):
        train_rows = [r for w, rows in waves.items() if w % 2 != half for r in rows]
        rows = [r for w, rows in waves.items() if w % 2 == half for r in rows]
        for name, predicted in methods(train_rows, rows).items():
            pooled.setdefault(name, ([], []))
            pooled[name][0].extend(rows)
            pooled[name][1].extend(predicted)
    fixed = {s: methods(every, held[s]) for s in held}
    print(f"| method | waves {first}–{last}, cross-fitted | sample | held-out |")
    print("| --- | --- | --- | --- |")
    for name, (rows, predicted) in pooled.items():
        print(
            f"| {name} | {micro(rows, predicted):.4f} | {micro(held['sample'], fixed['sample'][name]):.3f}"
            f" | {micro(held['heldout'], fixed['heldout'][name]):.3f} |",
            flush=True,
        )


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--waves", nargs=2, type=int, metavar=("FIRST", "LAST"), help="cross-fit on these waves")
    args = ap.parse_args()
    if args.waves:
        crossfit(*args.waves)
        return
    rules = Coder(CODEBOOK, learned=False)
    data = {p: gold_set(p, CATS) for p in (*PARTS, "sample", "heldout")}

    def model(parts):
        texts = [t for p in parts for t in data[p][0]]
        return train(texts, np.vstack([data[p][1] for p in parts]), CATS, rules.lemmatizer)

    oof = {t: rows_of(t, rules, model([p for p in PARTS if p != t]), *data[t]) for t in PARTS}
    full = model(list(PARTS))
    held = {s: rows_of(s, rules, full, *data[s]) for s in ("sample", "heldout")}
    targets = [p for p in PARTS if p != "dev"]
    every = [r for p in PARTS for r in oof[p]]

    def methods(train_rows: list[dict], rows: list[dict]) -> dict[str, list[dict[str, int]]]:
        chosen = choose_thresholds(train_rows)
        return {
            "policy": [policy(r) for r in rows],
            "remove0.05": [policy(r, remove_below=0.05) for r in rows],
            "remove0.1": [policy(r, remove_below=0.1) for r in rows],
            "thresholds": [policy(r, chosen) for r in rows],
            "stack": stack(train_rows, rows, add_only=False),
            "stack-add": stack(train_rows, rows, add_only=True),
        }

    scores: dict[str, list[float]] = {}
    for t in targets:
        train_rows = [r for p in PARTS if p != t for r in oof[p]]
        for name, predicted in methods(train_rows, oof[t]).items():
            scores.setdefault(name, []).append(micro(oof[t], predicted))
    fixed = {s: methods(every, held[s]) for s in held}
    print("| method | " + " | ".join(targets) + " | mean | sample | held-out |")
    print("| --- |" + " --- |" * (len(targets) + 3))
    for name, row in scores.items():
        print(
            f"| {name} | "
            + " | ".join(f"{x:.3f}" for x in row)
            + f" | {np.mean(row):.4f} | {micro(held['sample'], fixed['sample'][name]):.3f}"
            + f" | {micro(held['heldout'], fixed['heldout'][name]):.3f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
