"""How good is the coder: agreement with human gold codings, per category and micro-averaged.

    python bench/coding_quality.py dev                        # the development corpus (see below)
    python bench/coding_quality.py score FILE.csv             # any coded CSV: id,text + 0/1 columns
    python bench/coding_quality.py sample                     # the bundled sample and the held-out 100
    python bench/coding_quality.py humans                     # the two human coders of each wave
    python bench/coding_quality.py frozen                     # the codes frozen blind, waves 53 on

``dev`` scores the rules alone on ``tests/data/corpus/dev.csv`` (the rules were developed with
these answers in view, so this is not a blind number) and the rules with the learned layer by
leave-one-writer-out cross-validation: the layer is trained on five writers' answers and
applied to the sixth, so no answer is coded by a model that saw it. It also prints, per
category, how many codes the layer added and how many of them the gold has.

``score`` codes a file with the study's codebook as configured (the layer trained on its
examples: dev.csv for the bundled study until wave 4 was made, then dev, test, test2 and test3)
and with the rules alone, overall and per writer. Used once, blind, on each of
``tests/data/corpus/test.csv``, ``test2.csv``, ``test3.csv`` and ``test4.csv`` (see the corpus
README).

``humans`` scores coder B against coder A (micro-F1 and the lowest category) and each coder
against the adjudicated gold, wave by wave: how far apart two people with the same guide are.

``frozen`` pools the codes each wave got before its gold existed (``waveNN/pred_layer.csv`` and
``pred_rules.csv``, kept from wave 53 on, each made by the code of its day) against the gold:
the blind record, per category, with each wave's micro-F1.

Every number is F1 = 2·TP / (2·TP + FP + FN) of the automatic codes against the gold file's
codes, per category; micro-F1 pools TP, FP and FN over the categories.
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from survey.coding.coder import Coder  # noqa: E402
from survey.coding.learned import LearnedLayer, train  # noqa: E402
from survey.coding.uncertainty import REVIEW_FIRST, review_flags  # noqa: E402
from survey.spec.codebook import load_codebook  # noqa: E402

DEV = ROOT / "tests" / "data" / "corpus" / "dev.csv"


def f1_table(gold: np.ndarray, pred: np.ndarray, categories: list[str]) -> dict[str, float]:
    """Per-category F1, and micro F1, precision and recall (keys ``micro``, ``precision``, ``recall``)."""
    out: dict[str, float] = {}
    tp = fp = fn = 0
    for j, cat in enumerate(categories):
        a = int(((gold[:, j] == 1) & (pred[:, j] == 1)).sum())
        b = int(((gold[:, j] == 0) & (pred[:, j] == 1)).sum())
        c = int(((gold[:, j] == 1) & (pred[:, j] == 0)).sum())
        tp, fp, fn = tp + a, fp + b, fn + c
        out[cat] = 2 * a / (2 * a + b + c) if a + b + c else float("nan")
    out["micro"] = 2 * tp / (2 * tp + fp + fn)
    out["precision"] = tp / (tp + fp) if tp + fp else float("nan")
    out["recall"] = tp / (tp + fn) if tp + fn else float("nan")
    return out


def line(name: str, scores: dict[str, float], categories: list[str]) -> str:
    cells = " | ".join(f"{scores[c]:.3f}" for c in categories)
    return f"| {name} | **{scores['micro']:.3f}** | {scores['precision']:.3f} | {scores['recall']:.3f} | {cells} |"


def header(categories: list[str]) -> str:
    return "| coding | micro-F1 | P | R | " + " | ".join(categories) + " |\n|" + " --- |" * (4 + len(categories))


def codes(codings, categories: list[str]) -> np.ndarray:
    return np.array([[c.codes[k] for k in categories] for c in codings])


def dev(path: Path = DEV) -> str:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    codebook = load_codebook()
    cats = codebook.ids
    gold = frame[cats].astype(int).to_numpy()
    rules = Coder(codebook, learned=False)
    codings = [rules.code(t) for t in frame["text"]]
    alone = f1_table(gold, codes(codings, cats), cats)
    out = [header(cats), line("rules alone (developed on these answers)", alone, cats)]
    writers = frame["id"].str.split("-").str[0].to_numpy()
    settings = codebook.learned
    assert settings is not None, "the codebook has no learned section"
    predicted = [None] * len(frame)
    for w in sorted(set(writers)):
        train_rows = np.where(writers != w)[0]
        model = train([frame["text"][i] for i in train_rows], gold[train_rows], cats, rules.lemmatizer)
        layer = LearnedLayer(model, settings, codebook, rules.lemmatizer)
        for i in np.where(writers == w)[0]:
            c = copy.deepcopy(codings[i])
            layer.apply(c, frame["text"][i])
            predicted[i] = c
    pred = codes(predicted, cats)
    out.append(line("rules + learned layer, leave-one-writer-out", f1_table(gold, pred, cats), cats))
    first = [i for i, c in enumerate(predicted) if review_flags(c, frame["text"][i])[0] >= REVIEW_FIRST]
    wrong = [i for i in range(len(frame)) if (pred[i] != gold[i]).any()]
    caught = len(set(first) & set(wrong))
    out.append(
        f"\nReview first (priority ≥ {REVIEW_FIRST:g}): {len(first)} of {len(frame)} answers "
        f"({len(first) / len(frame):.0%}); they hold {caught} of the {len(wrong)} answers with a coding error "
        f"({caught / max(1, len(wrong)):.0%})."
    )
    added = ["", "| category | added by the layer | of them in the gold |", "| --- | --- | --- |"]
    for j, cat in enumerate(cats):
        rows = [i for i, c in enumerate(predicted) if cat in c.learned]
        added.append(f"| {cat} | {len(rows)} | {int(sum(gold[i, j] for i in rows))} |")
    return "\n".join(out + added)


def score(path: Path) -> str:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    codebook = load_codebook()
    cats = codebook.ids
    gold = frame[cats].astype(int).to_numpy()
    writers = frame["id"].str.split("-").str[0].to_numpy()
    rows = [header(cats)]
    by_writer = [
        "",
        "| coding | " + " | ".join(_writer_order(writers)) + " |",
        "|" + " --- |" * (1 + len(set(writers))),
    ]
    for name, learned in (("rules + learned layer (trained on the codebook's examples)", None), ("rules alone", False)):
        coder = Coder(codebook, learned=learned)
        pred = codes([coder.code(t) for t in frame["text"]], cats)
        rows.append(line(name, f1_table(gold, pred, cats), cats))
        micro = [f1_table(gold[writers == w], pred[writers == w], cats)["micro"] for w in _writer_order(writers)]
        by_writer.append(f"| {name}: micro-F1 per writer | " + " | ".join(f"{m:.3f}" for m in micro) + " |")
    return f"{path} ({len(frame)} answers)\n\n" + "\n".join(rows + by_writer)


def _writer_order(writers: np.ndarray) -> list[str]:
    """Writers' prefixes (``W7``, ``W10``…) in numeric order."""
    return sorted(set(writers), key=lambda w: (len(w), w))


def gold_set(name: str, cats: list[str]) -> tuple[list[str], np.ndarray]:
    """The answers and gold codes (answers × ``cats``) of a gold-coded set: ``sample`` (the
    bundled sample against responses/sample_gold.csv), ``heldout`` (tests/data/heldout_answers.csv)
    or a part of the independent corpus (``dev``, ``test``, ``test2`` … ``test72``)."""
    if name == "sample":
        answers = pd.read_excel(ROOT / "responses" / "sample.xlsx", dtype={"expert_id": str}, engine="openpyxl")
        gold = pd.read_csv(ROOT / "responses" / "sample_gold.csv", dtype={"expert_id": str}).set_index("expert_id")
        return list(answers["q3_problems"]), gold.loc[answers["expert_id"], cats].to_numpy()
    path = ROOT / "tests" / "data" / ("heldout_answers.csv" if name == "heldout" else f"corpus/{name}.csv")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    return list(frame["text"]), frame[cats].astype(int).to_numpy()


def sample() -> str:
    codebook = load_codebook()
    cats = codebook.ids
    rows = [header(cats)]
    for name, learned in (("rules + learned layer", None), ("rules alone", False)):
        coder = Coder(codebook, learned=learned)
        for key, title in (("sample", "sample (123)"), ("heldout", "heldout_answers (100)")):
            texts, truth = gold_set(key, cats)
            pred = codes([coder.code(t) for t in texts], cats)
            rows.append(line(f"{title}, {name}", f1_table(truth, pred, cats), cats))
    return "\n".join(rows)


def _scored_waves(corpus: Path, kept: str) -> list[int]:
    """The waves (2 on) whose folder keeps the file ``kept`` and whose gold exists: a wave
    frozen and not yet coded by hand, or coded and not yet adjudicated, is not scored yet."""
    return [w for w in range(2, 1000) if (corpus / f"wave{w}" / kept).is_file() and (corpus / f"test{w}.csv").is_file()]


def humans() -> str:
    cats = load_codebook().ids
    corpus = ROOT / "tests" / "data" / "corpus"
    rows = [
        "| wave | answers | B against A: micro-F1 | lowest category | A against the gold | B against the gold |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    folders = [(1, corpus, ("dev", "test"))]
    folders += [(w, corpus / f"wave{w}", (f"test{w}",)) for w in _scored_waves(corpus, "coder_a.csv")]
    for wave, folder, parts in folders:
        a, b = (pd.read_csv(folder / f"coder_{x}.csv", dtype=str, keep_default_na=False).set_index("id") for x in "ab")
        gold = pd.concat([pd.read_csv(corpus / f"{p}.csv", dtype=str, keep_default_na=False) for p in parts])
        gold = gold.set_index("id").loc[a.index, cats].astype(int).to_numpy()
        ca, cb = a[cats].astype(int).to_numpy(), b.loc[a.index, cats].astype(int).to_numpy()
        between = f1_table(ca, cb, cats)
        low = min(cats, key=lambda c: between[c])
        rows.append(
            f"| {wave} | {len(a)} | {between['micro']:.3f} | {low} {between[low]:.3f} | "
            f"{f1_table(gold, ca, cats)['micro']:.3f} | {f1_table(gold, cb, cats)['micro']:.3f} |"
        )
    return "\n".join(rows)


def frozen() -> str:
    cats = load_codebook().ids
    corpus = ROOT / "tests" / "data" / "corpus"
    waves = _scored_waves(corpus, "pred_layer.csv")
    if not waves:
        return "no wave has frozen codes"
    truth, pred, per_wave = [], {"layer": [], "rules": []}, []
    for w in waves:
        gold = pd.read_csv(corpus / f"test{w}.csv", dtype=str, keep_default_na=False).set_index("id")
        truth.append(gold[cats].astype(int).to_numpy())
        for name, rows in pred.items():
            frame = pd.read_csv(corpus / f"wave{w}" / f"pred_{name}.csv", dtype=str).set_index("id")
            rows.append(frame.loc[gold.index, cats].astype(int).to_numpy())
        per_wave.append(f"{w}: {f1_table(truth[-1], pred['layer'][-1], cats)['micro']:.3f}")
    gold_all = np.vstack(truth)
    caption = f"waves {waves[0]}–{waves[-1]} ({len(gold_all)} answers), each coded before its gold existed"
    out = [caption, "", header(cats)]
    for name, title in (("layer", "rules + learned layer"), ("rules", "rules alone")):
        out.append(line(title, f1_table(gold_all, np.vstack(pred[name]), cats), cats))
    return "\n".join(out + ["", "micro-F1 per wave (with the layer): " + ", ".join(per_wave)])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=["dev", "score", "sample", "humans", "frozen"])
    ap.add_argument("file", nargs="?", type=Path)
    args = ap.parse_args()
    if args.what == "dev":
        print(dev(args.file or DEV))
    elif args.what == "score":
        if args.file is None:
            ap.error("score needs a FILE")
        print(score(args.file))
    elif args.what == "humans":
        print(humans())
    elif args.what == "frozen":
        print(frozen())
    else:
        print(sample())


if __name__ == "__main__":
    main()
