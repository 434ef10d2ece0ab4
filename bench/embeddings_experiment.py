"""Do word embeddings help the learned layer? natasha's navec vectors (250K words × 300, shipped
in the natasha wheel) added to the layer's TF-IDF features, measured on the development corpus
leave-one-writer-out (train on five writers, score the sixth): the classifier alone, and the
rules' codes joined with the classifier's (probability ≥ 0.65, as ``add_when_coded``).

    python bench/embeddings_experiment.py            # leave-one-writer-out on dev.csv
    python bench/embeddings_experiment.py --parts    # leave-one-part-out on the whole corpus

Measured 2026-11-30 (README «The learned layer»): classifier micro-F1 0.599 with TF-IDF, 0.615
with navec vectors of the word forms, 0.613 with vectors of the lemmas; rules ∪ classifier
0.816 / 0.813 / 0.821 against the rules' 0.815. Not kept: the gain is smaller than the
differences between writers, and 500 coded answers are what limits the classifier.

``--parts`` measures it again with more examples: the classifier trained on every corpus part
but one (1,380–1,680 answers) and joined with the rules as the layer joins them (thresholds
``add_when_silent``/``add_when_coded`` of the codebook, never a category the rules saw and
decided against, nothing added to «no problems»), scored on the part left out (parts ``dev`` to
``test4``). Measured 2026-11-30 with the seventh round's rules and 0.4/0.75, micro-F1 on test,
wave 2, wave 3, wave 4: TF-IDF 0.819 / 0.843 / 0.830 / 0.813 (mean 0.8262), + navec of the forms
0.821 / 0.841 / 0.826 / 0.809 (0.8243), + navec of the lemmas 0.823 / 0.844 / 0.831 / 0.811
(0.8274); rules alone 0.806 / 0.834 / 0.826 / 0.801. +0.001 on the mean with the lemmas, −0.002
with the forms, below the differences between parts: still not kept.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from navec import Navec  # noqa: E402
from scipy.sparse import csr_matrix, hstack  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.preprocessing import normalize  # noqa: E402

from survey.coding.coder import Coder  # noqa: E402
from survey.inputs.names import _natasha_data  # noqa: E402
from survey.spec.codebook import load_codebook  # noqa: E402

DEV = ROOT / "tests" / "data" / "corpus" / "dev.csv"


def f1(gold: np.ndarray, pred: np.ndarray) -> float:
    tp = int(((gold == 1) & (pred == 1)).sum())
    fp = int(((gold == 0) & (pred == 1)).sum())
    fn = int(((gold == 1) & (pred == 0)).sum())
    return 2 * tp / (2 * tp + fp + fn)


def probabilities(texts, lemmas: list[str], gold: np.ndarray, train: np.ndarray, test: np.ndarray, extra) -> np.ndarray:
    """Per-category probabilities for the ``test`` rows of a classifier fitted on the ``train``
    rows: TF-IDF over lemma uni- and bigrams and character 3–5-grams (weight 0.7), plus the dense
    ``extra`` features if given, one logistic regression per category (as the layer)."""
    texts = np.asarray(texts, dtype=object)
    words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit([lemmas[i] for i in np.where(train)[0]])
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, max_features=10_000)
    chars.fit(texts[train])

    def matrix(mask: np.ndarray):
        parts = [words.transform([lemmas[i] for i in np.where(mask)[0]]), 0.7 * chars.transform(texts[mask])]
        if extra is not None:
            parts.append(csr_matrix(extra[mask]))
        return hstack(parts).tocsr()

    x_train, x_test = matrix(train), matrix(test)
    out = np.zeros((int(test.sum()), gold.shape[1]))
    for j in range(gold.shape[1]):
        model = LogisticRegression(C=10.0, class_weight="balanced", solver="liblinear", max_iter=2000)
        out[:, j] = model.fit(x_train, gold[train, j]).predict_proba(x_test)[:, 1]
    return out


def embeddings(texts, lemmas: list[str]) -> dict[str, np.ndarray]:
    """Mean navec vectors of each answer's word forms and of its lemmas, L2-normalised."""
    navec = Navec.load(str(_natasha_data() / "emb" / "navec_news_v1_1B_250K_300d_100q.tar"))
    forms = [[w.lower() for w in re.findall(r"[А-Яа-яЁё]+", x)] for x in texts]
    print(f"navec knows {np.mean([np.mean([w in navec for w in ws]) if ws else 1 for ws in forms]):.1%} of the words")

    def mean_vector(words: list[str]) -> np.ndarray:
        vectors = [navec[w] for w in words if w in navec]
        return np.mean(vectors, axis=0) if vectors else np.zeros(300)

    return {
        "navec (forms)": normalize(np.array([mean_vector(w) for w in forms])),
        "navec (lemmas)": normalize(np.array([mean_vector(x.split()) for x in lemmas])),
    }


def feature_sets(extras: dict[str, np.ndarray]) -> list[tuple[str, np.ndarray | None]]:
    return [("TF-IDF", None)] + [(f"TF-IDF + {name}", extra) for name, extra in extras.items()]


def main() -> None:
    dev = pd.read_csv(DEV, dtype=str, keep_default_na=False)
    codebook = load_codebook()
    cats = codebook.ids
    gold = dev[cats].astype(int).to_numpy()
    rules = Coder(codebook, learned=False)
    rule_codes = np.array([[rules.code(t).codes[k] for k in cats] for t in dev["text"]])
    lemmas = [" ".join(t.lemma for t in rules.lemmatizer.tokens(x) if t.is_word) for x in dev["text"]]
    extras = embeddings(list(dev["text"]), lemmas)
    writers = dev["id"].str.split("-").str[0].to_numpy()
    print(f"rules alone: micro-F1 {f1(gold, rule_codes):.3f}")
    for name, extra in feature_sets(extras):
        started = time.perf_counter()
        proba = np.zeros(gold.shape)
        for w in sorted(set(writers)):
            train, test = writers != w, writers == w
            proba[test] = probabilities(dev["text"], lemmas, gold, train, test, extra)
        alone = (proba >= 0.5).astype(int)
        joined = np.maximum(rule_codes, (proba >= 0.65).astype(int))
        per_cat = " ".join(f"{cat} {f1(gold[:, j], alone[:, j]):.2f}" for j, cat in enumerate(cats))
        print(
            f"{name}: classifier {f1(gold, alone):.3f}, rules ∪ classifier {f1(gold, joined):.3f} "
            f"({time.perf_counter() - started:.0f} s); classifier per category: {per_cat}"
        )


PARTS = ("dev", "test", "test2", "test3", "test4")  # the parts the --parts numbers above were measured on


def by_part() -> None:
    """Leave one corpus part out, join the classifier with the rules as the layer does."""
    from bench.coding_quality import gold_set

    codebook = load_codebook()
    assert codebook.learned is not None
    cats, settings = codebook.ids, codebook.learned
    rules = Coder(codebook, learned=False)
    texts: list[str] = []
    golds, part = [], []
    for name in PARTS:
        t, g = gold_set(name, cats)
        texts += t
        golds.append(g)
        part += [name] * len(t)
    gold, parts = np.vstack(golds), np.array(part)
    coded = [rules.code(t) for t in texts]
    rule_codes = np.array([[c.codes[k] for k in cats] for c in coded])
    seen = np.array([[k in c.named and not c.codes[k] for k in cats] for c in coded])  # named, decided against
    lemmas = [" ".join(t.lemma for t in rules.lemmatizer.tokens(x) if t.is_word) for x in texts]
    extras = embeddings(texts, lemmas)
    none, covid = cats.index("no_problems"), cats.index("covid")

    def joined(proba: np.ndarray, mask: np.ndarray) -> np.ndarray:
        out = rule_codes[mask].copy()
        for i, (row, blocked) in enumerate(zip(rule_codes[mask], seen[mask])):
            if row[none]:
                continue
            threshold = settings.add_when_silent if not row.any() else settings.add_when_coded
            for j in range(len(cats)):
                others = row.sum() - row[covid]
                if row[j] or blocked[j] or (j == none and others):
                    continue
                out[i, j] = int(proba[i, j] >= threshold)
        return out

    targets = PARTS[1:]
    print("rules alone: " + " / ".join(f"{f1(gold[parts == t], rule_codes[parts == t]):.3f}" for t in targets))
    for name, extra in feature_sets(extras):
        scores = []
        for t in targets:
            train, test = parts != t, parts == t
            scores.append(f1(gold[test], joined(probabilities(texts, lemmas, gold, train, test, extra), test)))
        print(f"{name}: " + " / ".join(f"{x:.3f}" for x in scores) + f" (mean {np.mean(scores):.4f})", flush=True)


if __name__ == "__main__":
    by_part() if "--parts" in sys.argv[1:] else main()
