"""Learning assistance: a classifier trained on the final codes suggests what to check.

TF-IDF over lemmas (unigrams and bigrams) and one-vs-rest logistic regression, one binary
model per category. Every answer's suggestion comes from a model that did not see that
answer (out-of-fold predictions of a K-fold cross-validation), so the classifier cannot
simply echo the codes. Suggestions are never applied: they go to the coding sheet as
«возможно: +language (0.71)» (the codebook left the category out, the classifier thinks it
is there) or «проверить: funding (0.22)» (the codebook coded it with less than high
confidence, the classifier disagrees). The cross-validated F1 of each category is reported.
Categories with fewer than ``min_examples`` positive or negative answers are not trained
(e.g. COVID-19, which all 123 experts name).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from survey.base.lemmatize import Lemmatizer


@dataclass
class Suggester:
    """Configure in the constructor, apply with :meth:`fit`; results end with ``_``."""

    folds: int = 5
    min_examples: int = 5
    threshold: float = 0.5
    random_state: int = 0

    def fit(
        self, texts: list[str] | list[list[str]], codes: pd.DataFrame, lemmatizer: Lemmatizer | None = None
    ) -> Suggester:
        """Cross-validate on ``texts`` (or their lemma lists) and their final ``codes``
        (one 0/1 column per category)."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import StratifiedKFold, cross_val_predict

        if texts and all(isinstance(x, list) for x in texts):
            docs = texts
        else:
            lem = lemmatizer or Lemmatizer()
            docs = lemma_lists(texts, lem)
        n = len(docs)
        self.proba_ = pd.DataFrame(np.nan, index=codes.index, columns=codes.columns)
        rows = []
        X = None
        if n >= self.folds:
            X = TfidfVectorizer(analyzer=_ngrams, min_df=1, sublinear_tf=True).fit_transform(docs)
        for cat in codes.columns:
            y = codes[cat].astype(int).to_numpy()
            pos = int(y.sum())
            row = {
                "category": cat,
                "positives": pos,
                "f1_cv": math.nan,
                "precision_cv": math.nan,
                "recall_cv": math.nan,
                "note": "",
            }
            folds = min(self.folds, pos, n - pos)
            if X is None or pos < self.min_examples or n - pos < self.min_examples:
                row["note"] = (
                    "не обучается: нет вариации"
                    if pos in (0, n)
                    else f"не обучается: меньше {self.min_examples} примеров одного из классов"
                )
                rows.append(row)
                continue
            model = LogisticRegression(class_weight="balanced", max_iter=2000, C=10.0, solver="liblinear")
            cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=self.random_state)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                p = cross_val_predict(model, X, y, cv=cv, method="predict_proba")[:, 1]
            self.proba_[cat] = p
            pred = (p >= self.threshold).astype(int)
            tp = int(((pred == 1) & (y == 1)).sum())
            fp = int(((pred == 1) & (y == 0)).sum())
            fn = int(((pred == 0) & (y == 1)).sum())
            row.update(
                precision_cv=tp / (tp + fp) if tp + fp else math.nan,
                recall_cv=tp / (tp + fn) if tp + fn else math.nan,
                f1_cv=2 * tp / (2 * tp + fp + fn) if tp + fp + fn else math.nan,
                note=f"{folds}-кратная кросс-валидация",
            )
            rows.append(row)
        self.scores_ = pd.DataFrame(
            rows, columns=["category", "positives", "precision_cv", "recall_cv", "f1_cv", "note"]
        )
        return self

    def suggestions(self, codes: pd.DataFrame, confidence: pd.DataFrame | None = None) -> pd.Series:
        """One Russian suggestion string per answer ("" when nothing to suggest)."""
        proba = self.proba_.reindex(index=codes.index, columns=codes.columns).to_numpy(dtype=float)
        coded = codes.to_numpy(dtype=int) == 1
        high = np.ones(coded.shape, dtype=bool)
        if confidence is not None:
            for j, cat in enumerate(codes.columns):
                if cat in confidence:
                    high[:, j] = (confidence[cat].reindex(codes.index) == "high").to_numpy()
        known = ~np.isnan(proba)
        above = known & (proba >= self.threshold)
        possible = known & ~coded & above
        check = known & coded & ~high & ~above
        out = [""] * len(codes)
        for i, j in zip(*np.nonzero(possible | check)):  # row-major: categories in column order
            cat, p = codes.columns[j], proba[i, j]
            part = f"возможно: +{cat} ({p:.2f})" if possible[i, j] else f"проверить: {cat} ({p:.2f})"
            out[i] = f"{out[i]}; {part}" if out[i] else part
        return pd.Series(out, index=codes.index)


def lemma_lists(texts, lemmatizer: Lemmatizer) -> list[list[str]]:
    """The lemmas of each text's words (what the classifier's TF-IDF counts)."""
    return [[t.lemma for t in lemmatizer.tokens(str(x or "")) if t.is_word] for x in texts]


def _ngrams(tokens: list[str]) -> list[str]:
    return tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:])]
