"""Do word embeddings help the learned layer? natasha's navec vectors (250K words × 300, shipped
in the natasha wheel) added to the layer's TF-IDF features, measured on the development corpus
leave-one-writer-out (train on five writers, score the sixth): the classifier alone, and the
rules' codes joined with the classifier's (probability ≥ 0.65, as ``add_when_coded``).

    python bench/embeddings_experiment.py

Measured 2026-11-30 (README «The learned layer»): classifier micro-F1 0.599 with TF-IDF, 0.615
with navec vectors of the word forms, 0.613 with vectors of the lemmas; rules ∪ classifier
0.816 / 0.813 / 0.821 against the rules' 0.815. Not kept: the gain is smaller than the
differences between writers, and 500 coded answers are what limits the classifier.
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


def main() -> None:
    dev = pd.read_csv(DEV, dtype=str, keep_default_na=False)
    codebook = load_codebook()
    cats = codebook.ids
    gold = dev[cats].astype(int).to_numpy()
    rules = Coder(codebook, learned=False)
    rule_codes = np.array([[rules.code(t).codes[k] for k in cats] for t in dev["text"]])
    lemmas = [" ".join(t.lemma for t in rules.lemmatizer.tokens(x) if t.is_word) for x in dev["text"]]
    forms = [[w.lower() for w in re.findall(r"[А-Яа-яЁё]+", x)] for x in dev["text"]]
    navec = Navec.load(str(_natasha_data() / "emb" / "navec_news_v1_1B_250K_300d_100q.tar"))

    def mean_vector(words: list[str]) -> np.ndarray:
        vectors = [navec[w] for w in words if w in navec]
        return np.mean(vectors, axis=0) if vectors else np.zeros(300)

    by_form = normalize(np.array([mean_vector(w) for w in forms]))
    by_lemma = normalize(np.array([mean_vector(s.split()) for s in lemmas]))
    writers = dev["id"].str.split("-").str[0].to_numpy()

    def features(train: np.ndarray, test: np.ndarray, extra: np.ndarray | None):
        rows = np.where(train)[0]
        words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit([lemmas[i] for i in rows])
        chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, max_features=10_000)
        chars.fit(dev["text"][train])

        def matrix(mask: np.ndarray):
            parts = [words.transform([lemmas[i] for i in np.where(mask)[0]]), 0.7 * chars.transform(dev["text"][mask])]
            if extra is not None:
                parts.append(csr_matrix(extra[mask]))
            return hstack(parts).tocsr()

        return matrix(train), matrix(test)

    print(f"navec knows {np.mean([np.mean([w in navec for w in ws]) if ws else 1 for ws in forms]):.1%} of the words")
    print(f"rules alone: micro-F1 {f1(gold, rule_codes):.3f}")
    for name, extra in (("TF-IDF", None), ("TF-IDF + navec (forms)", by_form), ("TF-IDF + navec (lemmas)", by_lemma)):
        started = time.perf_counter()
        proba = np.zeros(gold.shape)
        for w in sorted(set(writers)):
            train, test = writers != w, writers == w
            x_train, x_test = features(train, test, extra)
            for j in range(len(cats)):
                model = LogisticRegression(C=10.0, class_weight="balanced", solver="liblinear", max_iter=2000)
                proba[test, j] = model.fit(x_train, gold[train, j]).predict_proba(x_test)[:, 1]
        alone = (proba >= 0.5).astype(int)
        joined = np.maximum(rule_codes, (proba >= 0.65).astype(int))
        per_cat = " ".join(f"{cat} {f1(gold[:, j], alone[:, j]):.2f}" for j, cat in enumerate(cats))
        print(
            f"{name}: classifier {f1(gold, alone):.3f}, rules ∪ classifier {f1(gold, joined):.3f} "
            f"({time.perf_counter() - started:.0f} s); classifier per category: {per_cat}"
        )


if __name__ == "__main__":
    main()
