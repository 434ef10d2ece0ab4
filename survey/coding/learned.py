"""The learned layer: a classifier trained on answers the study has coded adds the codes the
rules miss, marked as learned and with their evidence.

The rules of the codebook stay the centre: the layer only **adds** a category, never
removes one; it never adds a category the rules decided not to code (denied: «проблем с
финансированием нет»; fine: «финансирование выделяется»; a topic: «сотрудничество в сфере
транспорта»; words the codebook excludes from it because they are another category's:
«правовая база для инвестиционных проектов» is legal, not weak economy), nor anything to an
answer the rules coded as having no problems. It adds a
category when its probability is at least ``add_when_silent`` in an answer where the rules
coded nothing, or ``add_when_coded`` where they coded other categories, and at least
``add_when_named`` where the codebook's patterns found the category without anything to
decide it (a resource in a sentence with no cue: «два часа искали, кто объяснит им дорогу по-
китайски») — the codebook's ``learned`` section.
``no_problems`` is added only when nothing but its compatible categories is coded.

The model: TF-IDF over pymorphy3 lemma unigrams and bigrams (numbers folded to «0») and
over character 3–5-grams within words (typos, abbreviations such as «кит.», «межд.»), each
block L2-normalised, and one logistic regression per category (scikit-learn, liblinear,
balanced classes). Training on the bundled study's 21,480 answers takes 35–55 seconds on a
machine of two cores (it varies with the machine) and 1.1 GB at its peak; the fitted weights
are kept in memory and in a cache file keyed by the SHA-256 of the examples and the settings
(see :func:`cache_dir`), so a study's model is trained once. Scoring needs no scikit-learn:
a sentence is a few dictionary look-ups, and the coder scores answers in chunks — the sentences
a chunk meets for the first time weighed together (:meth:`LearnedModel.sentence_vectors`), the
chunk's probabilities one matrix (:meth:`LearnedModel.probability_matrix`).

Every learned code carries evidence: the sentence of the answer the model scores highest for
the category, and the words that weigh most for it (coefficient × TF-IDF weight), e.g.
``interest: ≈0.74 «Каждое новое руководство начинает с чистого листа» [обученный слой:
руководство, новый]``.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import re
import tempfile
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from importlib.metadata import version
from pathlib import Path

import numpy as np

from survey.base.lemmatize import Lemmatizer
from survey.base.missing import is_missing
from survey.base.textfile import canonical_columns, csv_layout, decode_text, read_csv_frame
from survey.coding.evidence import LEARNED, AnswerCoding, Evidence
from survey.coding.tokens import split_sentences
from survey.coding.turns import LEXICONS as TURN_LEXICONS
from survey.coding.turns import blank_interviewer
from survey.errors import Code, InputError, Location, Problem
from survey.spec.codebook import Codebook, LearnedSettings, Rules

LAYER_VERSION = 3
CHAR_WEIGHT = 0.7  # weight of the character block against the lemma block
CHAR_FEATURES = 10_000  # most frequent character n-grams kept
C = 100.0  # inverse regularisation of the logistic regressions (README «The learned layer»: 10 → 100)
# liblinear's dual solver: three times faster than the primal one when, as here, there are far
# more features than answers (same optimum within ``tol``); its coordinates are visited in a
# random order, so the seed is fixed and the model is the same on every run
SOLVER = {"dual": True, "tol": 1e-3, "max_iter": 500, "random_state": 0}
TOP_FEATURES = 4  # words shown as evidence
WORD_CACHE = 200_000  # words whose character n-grams are kept (memory stays bounded)
MEMO_SIZE = 50_000  # sentences whose feature counts are kept
_NUMBER = re.compile(r"^\d+$")
_MODELS: dict[str, LearnedModel] = {}  # trained models of this process, by cache key


# One sentence as the model sees it (small, so that many can be memoised): one vector of
# 2·C + 2 numbers — per category the weighted sum (Σ coef·value) of its word features, then of
# its character features, then the squared norms of the two blocks (values: ``1 + log tf``
# within the sentence, times IDF).
Sentence = tuple[float, ...]
# what the layer is given of an answer: its coding by the rules, its text, its sentences with their
# lemmas, and their vectors
LayerInput = tuple[AnswerCoding, str, list[tuple[str, list[str]]], list[Sentence]]


@dataclass
class LearnedModel:
    """The fitted weights of the layer, scored without scikit-learn.

    An answer's vector is the sum of its sentences' TF-IDF vectors, each block (lemma
    n-grams; character n-grams, weighted :data:`CHAR_WEIGHT`) divided by the square root of
    the sum of its sentences' squared norms. So the answer's score is a sum over its
    sentences of numbers computed once per distinct sentence (:meth:`sentence`):
    z = b + Σ word_dot / √Σ word_norm + w·Σ char_dot / √Σ char_norm.
    """

    categories: list[str]
    words: dict[str, int]  # lemma n-gram -> row of ``coef``
    word_idf: np.ndarray
    chars: dict[str, int]  # character n-gram -> row of ``coef`` (after the word rows)
    char_idf: np.ndarray
    coef: np.ndarray  # (words + chars) × categories
    intercept: np.ndarray  # categories
    examples: int = 0  # answers it was trained on
    _names: list[str] | None = field(default=None, repr=False)
    _word_chars: dict[str, tuple[int, ...]] = field(default_factory=dict, repr=False)
    _word_memo: dict[tuple[str, ...], tuple[list[int], list[float]]] = field(default_factory=dict, repr=False)

    def _word_counts(self, lemmas: list[str]) -> Counter[int]:
        """How often each word row (lemma n-gram) occurs in a sentence."""
        words = self.words
        return Counter([r for g in word_ngrams(lemmas) if (r := words.get(g)) is not None])

    def _char_rows(self, token: str) -> tuple[int, ...]:
        """The character rows of one lower-case word, each as often as it occurs in it
        (memoised: words recur)."""
        cache = self._word_chars
        rows = cache.get(token)
        if rows is None:
            chars = self.chars
            rows = tuple(r for g in char_ngrams(token) if (r := chars.get(g)) is not None)
            if len(cache) < WORD_CACHE:
                cache[token] = rows
        return rows

    def _values(self, counts: Counter[int]) -> tuple[np.ndarray, np.ndarray]:
        """Distinct rows and their TF-IDF values (1 + log tf) · idf, in the order of ``counts``."""
        rows = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        return rows, (1.0 + np.log(tf)) * self._idf[rows]

    @cached_property
    def _idf(self) -> np.ndarray:
        """The IDF of every row of ``coef``: word rows, then character rows."""
        return np.concatenate([self.word_idf, self.char_idf])

    def sentence(self, chunk: str, lemmas: list[str]) -> Sentence:
        """One sentence as the model sees it (:data:`Sentence`)."""
        return self.sentence_vectors([(chunk, lemmas)])[0]

    def sentence_vectors(self, sentences: Sequence[tuple[str, list[str]]]) -> list[Sentence]:
        """Many sentences (each its text and its words' lemmas) as the model sees them, computed
        together: the feature rows of all of them are counted and weighed in a few array
        operations (one sentence at a time, numpy's overhead per call cost more than the
        arithmetic)."""
        n, width = len(self.categories), len(self._idf)
        out = np.zeros((len(sentences), 2 * n + 2))
        words = self.words
        word_of: list[int] = []  # the sentence of each word row met
        word_rows: list[int] = []
        char_of: list[int] = []
        char_rows: list[int] = []
        for i, (chunk, lemmas) in enumerate(sentences):
            rows = [r for g in word_ngrams(lemmas) if (r := words.get(g)) is not None]
            word_rows += rows
            word_of += [i] * len(rows)
            rows = [r for token in chunk.lower().split() for r in self._char_rows(token)]
            char_rows += rows
            char_of += [i] * len(rows)
        for of, rows, low, norm in ((word_of, word_rows, 0, 2 * n), (char_of, char_rows, n, 2 * n + 1)):
            if not rows:
                continue
            # each (sentence, row) pair counted, sorted by sentence and then by row
            pairs, tf = np.unique(
                np.array(of, dtype=np.int64) * width + np.array(rows, dtype=np.int64), return_counts=True
            )
            sentence, row = np.divmod(pairs, width)
            values = (1.0 + np.log(tf)) * self._idf[row]
            starts = np.flatnonzero(np.r_[True, sentence[1:] != sentence[:-1]])
            where = sentence[starts]
            out[where, low : low + n] = np.add.reduceat(values[:, None] * self.coef[row], starts, axis=0)
            out[where, norm] = np.add.reduceat(values * values, starts)
        return [tuple(v) for v in out.tolist()]

    def probabilities(self, sentences: list[Sentence]) -> np.ndarray:
        """Probability of every category for an answer made of ``sentences``."""
        return self.probability_matrix([sentences])[0]

    def probability_list(self, sentences: list[Sentence]) -> list[float]:
        """:meth:`probabilities` as a list of Python floats."""
        return self.probability_matrix([sentences])[0].tolist()

    def probability_matrix(self, answers: Sequence[Sequence[Sentence]]) -> np.ndarray:
        """Probability of every category (columns) for each of many answers (rows), each
        given as its sentences: one matrix product for a whole chunk of answers, where
        scoring them one by one cost more than the sums themselves. A sentence's numbers are
        summed in the answer's order (as a loop over them adds them)."""
        n = len(self.categories)
        lengths = np.fromiter((len(a) for a in answers), dtype=np.int64, count=len(answers))
        totals = np.zeros((len(answers), 2 * n + 2))
        said = lengths > 0
        if said.any():
            # a sentence met again (the same vector: the coder's memo gives the same tuple) is
            # converted once and repeated by its row number
            first: dict[int, int] = {}
            distinct: list[Sentence] = []
            at: list[int] = []
            for a in answers:
                for s in a:
                    k = first.get(id(s))
                    if k is None:
                        k = first[id(s)] = len(distinct)
                        distinct.append(s)
                    at.append(k)
            flat = np.array(distinct, dtype=np.float64).reshape(-1, 2 * n + 2)[np.array(at, dtype=np.int64)]
            starts = (np.cumsum(lengths) - lengths)[said]
            totals[said] = np.add.reduceat(flat, starts, axis=0)
        words, chars = totals[:, 2 * n], totals[:, 2 * n + 1]
        # an empty block adds nothing (its sums are 0: no division by a zero norm)
        root = np.sqrt(np.where(words > 0, words, 1.0))
        weight = np.where(chars > 0, CHAR_WEIGHT / np.sqrt(np.where(chars > 0, chars, 1.0)), 0.0)
        z = self.intercept + totals[:, :n] / root[:, None] + totals[:, n : 2 * n] * weight[:, None]
        with np.errstate(over="ignore"):
            return 1.0 / (1.0 + np.exp(-z))

    def text_sentences(self, text: str, lemmatizer: Lemmatizer) -> list[Sentence]:
        """The sentences of a text (tokenised here)."""
        return [self.sentence(chunk, lemmas) for chunk, lemmas in answer_sentences(text, lemmatizer)]

    def top_words(self, sentences: list[tuple[str, list[str]]], category: str, n: int = TOP_FEATURES) -> list[str]:
        """The lemma n-grams of an answer (its sentences with their lemmas) that weigh most
        for ``category``."""
        j = self.categories.index(category)
        total: dict[int, float] = {}
        for _, lemmas in sentences:  # the word rows only: character n-grams name nothing
            for r, v in zip(*self._word_values(lemmas)):
                total[r] = total.get(r, 0.0) + v
        if not total:
            return []
        names = self._names
        if names is None:
            names = self._names = [""] * len(self.words)
            for name, row in self.words.items():
                names[row] = name
        rows = np.fromiter(total.keys(), dtype=np.int64, count=len(total))
        weight = np.fromiter(total.values(), dtype=np.float64, count=len(total)) * self.coef[rows, j]
        out: list[str] = []
        # highest weight first; ties in the order the words came (a stable sort)
        for k in np.argsort(-weight, kind="stable").tolist():
            if weight[k] <= 0 or len(out) >= n:
                break
            name = names[rows[k]]
            if len(name) > 2 and not name.isdigit() and name != "0":
                out.append(name)
        return out

    def _word_values(self, lemmas: list[str]) -> tuple[list[int], list[float]]:
        """A sentence's word rows and their TF-IDF values (memoised: sentences recur)."""
        key = tuple(lemmas)
        known = self._word_memo.get(key)
        if known is None:
            rows, values = self._values(self._word_counts(lemmas))
            known = (rows.tolist(), values.tolist())
            if len(self._word_memo) >= MEMO_SIZE:
                self._word_memo.clear()
            self._word_memo[key] = known
        return known

    def to_arrays(self) -> dict[str, np.ndarray]:
        words = sorted(self.words, key=self.words.__getitem__)
        chars = sorted(self.chars, key=self.chars.__getitem__)
        return {
            "categories": np.array(self.categories),
            "words": np.array(words, dtype=str),
            "word_idf": self.word_idf,
            "chars": np.array(chars, dtype=str),
            "char_idf": self.char_idf,
            "coef": self.coef,
            "intercept": self.intercept,
            "examples": np.array([self.examples]),
        }

    @classmethod
    def from_arrays(cls, a) -> LearnedModel:
        words = [str(w) for w in a["words"]]
        chars = [str(c) for c in a["chars"]]
        return cls(
            categories=[str(c) for c in a["categories"]],
            words={w: i for i, w in enumerate(words)},
            word_idf=a["word_idf"],
            chars={c: len(words) + i for i, c in enumerate(chars)},
            char_idf=a["char_idf"],
            coef=a["coef"],
            intercept=a["intercept"],
            examples=int(a["examples"][0]),
        )


def word_ngrams(lemmas: list[str]) -> list[str]:
    """Lemma unigrams and bigrams, numbers folded to «0».

    >>> word_ngrams(["нет", "переводчик", "2020"])
    ['нет', 'переводчик', '0', 'нет переводчик', 'переводчик 0']
    """
    toks = ["0" if _NUMBER.match(t) else t for t in lemmas]
    return toks + [f"{a} {b}" for a, b in zip(toks, toks[1:])]


FUNCTION_POS = frozenset({"NPRO", "PREP", "CONJ", "PRCL", "INTJ", "NUMR", "PRED"})


def _content(feature: str, lemmatizer: Lemmatizer) -> bool:
    """A lemma n-gram with at least one content word (not «у они», «и в»)."""
    return any(len(w) > 2 and not w.isdigit() and lemmatizer.info(w).pos not in FUNCTION_POS for w in feature.split())


def char_ngrams(text: str, low: int = 3, high: int = 5) -> list[str]:
    """Character n-grams within word boundaries, exactly as scikit-learn's ``char_wb``
    analyzer makes them (lower case, each word padded with a space on both sides; its folding
    of whitespace runs before ``split()`` changes nothing that ``split()`` does not already do).

    >>> char_ngrams("Виза")
    [' ви', 'виз', 'иза', 'за ', ' виз', 'виза', 'иза ', ' виза', 'виза ']
    """
    grams: list[str] = []
    add = grams.append
    for w in text.lower().split():
        w = f" {w} "
        size = len(w)
        for n in range(low, high + 1):
            offset = 0
            add(w[offset : offset + n])
            while offset + n < size:
                offset += 1
                add(w[offset : offset + n])
            if offset == 0:  # a word shorter than n is counted once
                break
    return grams


def lemma_list(text: str, lemmatizer: Lemmatizer) -> list[str]:
    """The lemmas of the words of ``text`` (first parse, ё = е)."""
    return [t[3].lemma for t in lemmatizer.tokens(text) if t[3] is not None]


def learnable(settings: LearnedSettings, categories: list[str]) -> list[str]:
    """The ``categories`` every examples file has a column for: those the layer can learn. A
    category added to the codebook after the examples were coded is left to the rules (the
    run names it: :func:`unlearned_problems`) instead of stopping every run."""
    import csv

    present = set(categories)
    for path in settings.examples:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise InputError(f"{path}: не удаётся прочитать закодированные примеры ({exc.strerror}).") from None
        body, delimiter = csv_layout(decode_text(Path(path), data)[0])
        present &= set(next(csv.reader(io.StringIO(body.lstrip("\r\n")), delimiter=delimiter), []))
    return [c for c in categories if c in present]


def unlearned_problems(codebook: Codebook) -> list[Problem]:
    """A warning naming the categories the layer may add but has no examples of (no column in
    ``learned.examples``: they are left to the rules); none when the layer is off or knows them all."""
    settings = codebook.learned
    if settings is None or not settings.enabled:
        return []
    allowed = set(settings.categories) or set(codebook.ids)
    known = set(learnable(settings, codebook.ids))
    missing = [c for c in codebook.ids if c in allowed and c not in known]
    if not missing:
        return []
    names = ", ".join(f"«{c}»" for c in missing)
    return [
        Problem(
            Location(str(codebook.path), line=settings.line),
            Code.LEARNED_NO_EXAMPLES,
            f"в закодированных примерах обученного слоя (learned.examples) нет столбцов {names}: эти категории "
            "обученный слой не добавляет, их кодируют только правила.",
            "Добавьте в файлы примеров столбец 0/1 для каждой такой категории (закодируйте примеры), чтобы "
            "обученный слой учёл и её.",
        )
    ]


MAX_EXAMPLES_BYTES = 200 * 1024 * 1024


def read_examples(path: Path, categories: list[str]):
    """The coded examples: ``id, text`` and one 0/1 column per category (checked)."""
    # a workbook said as such, in Russian; UTF-16, cp1251, «;» and «sep=;» of Russian Excel read
    try:
        frame = read_csv_frame(path, MAX_EXAMPLES_BYTES, "файл закодированных примеров больше 200 МБ.")
    except InputError as exc:
        raise InputError(f"закодированные примеры: {exc.message}") from None
    frame = canonical_columns(frame, ["id", "text", *categories])
    missing = [c for c in ("text", *categories) if c not in frame.columns]
    if missing:
        raise InputError(
            f"{path}: в файле закодированных примеров нет столбцов: {', '.join(missing)}. "
            "Нужны столбцы text и по одному столбцу 0/1 на каждую категорию кодовой книги."
        )
    # an answer left empty teaches nothing (its codes may be empty too, as `survey code` leaves them)
    first_row = frame.attrs["first_row"]
    said = [not is_missing(t) and str(t).strip() != "" for t in frame["text"]]
    frame = frame.loc[said]  # a list of booleans picks rows; an empty one, none (frame[[]] would drop every column)
    frame.attrs["empty_text"] = said.count(False)  # rows left out, for a reader that reports them
    for cat in categories:
        bad = frame.index[~frame[cat].str.strip().isin(["0", "1"])]
        if len(bad):
            row = int(bad[0]) + first_row
            raise InputError(
                f"{path}, строка {row}, столбец «{cat}»: «{frame.at[bad[0], cat]}» — ожидается 0 или 1.",
            )
    return frame.reset_index(drop=True)


def train(texts: list[str], labels: np.ndarray, categories: list[str], lemmatizer: Lemmatizer) -> LearnedModel:
    """Fit the layer on ``texts`` with ``labels`` (answers × categories, 0/1)."""
    from sklearn.feature_extraction.text import TfidfVectorizer  # lazy: scikit-learn only to train
    from sklearn.linear_model import LogisticRegression

    answers = [answer_sentences(t, lemmatizer) for t in texts]
    grams = Grams()
    # vocabularies and IDF from the answers (document frequency per answer); the n-grams are
    # made as each answer is counted, never all held at once
    wv = TfidfVectorizer(analyzer=grams.words, sublinear_tf=True)
    cv = TfidfVectorizer(analyzer=grams.chars, sublinear_tf=True, min_df=2, max_features=CHAR_FEATURES)
    wv.fit(answers)
    cv.fit(answers)
    words = {k: int(v) for k, v in wv.vocabulary_.items()}
    chars = {k: len(words) + int(v) for k, v in cv.vocabulary_.items()}
    word_idf = np.asarray(wv.idf_, dtype=np.float64)
    char_idf = np.asarray(cv.idf_, dtype=np.float64)
    X = answer_matrix(answers, words, chars, word_idf, char_idf, grams)
    coef = np.zeros((X.shape[1], len(categories)))
    intercept = np.full(len(categories), -30.0)
    for j in range(len(categories)):
        y = labels[:, j]
        if y.min() == y.max():  # a category nobody (or everybody) has: constant
            intercept[j] = 30.0 if y.max() else -30.0
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = LogisticRegression(C=C, class_weight="balanced", solver="liblinear", **SOLVER)
            m.fit(X, y)
        coef[:, j] = m.coef_[0]
        intercept[j] = m.intercept_[0]
    return LearnedModel(
        categories=list(categories),
        words=words,
        word_idf=word_idf,
        chars=chars,
        char_idf=char_idf,
        coef=coef,
        intercept=intercept,
        examples=len(texts),
    )


class Grams:
    """The model's n-grams of an answer given as its sentences (``(text, lemmas)`` pairs):
    scikit-learn analyzers for the vocabularies, and the source of the training matrix. A
    word's character n-grams are made once (words recur)."""

    def __init__(self) -> None:
        self._chars: dict[str, list[str]] = {}

    def words(self, sentences: list[tuple[str, list[str]]]) -> list[str]:
        return [g for _, lemmas in sentences for g in word_ngrams(lemmas)]

    def chars(self, sentences: list[tuple[str, list[str]]]) -> list[str]:
        out: list[str] = []
        cache = self._chars
        for chunk, _ in sentences:
            for token in chunk.lower().split():
                grams = cache.get(token)
                if grams is None:
                    grams = cache[token] = char_ngrams(token)
                out += grams
        return out


def answer_matrix(
    answers: list[list[tuple[str, list[str]]]],
    words: dict[str, int],
    chars: dict[str, int],
    word_idf: np.ndarray,
    char_idf: np.ndarray,
    grams: Grams | None = None,
):
    """The training matrix: one row per answer (given as its sentences with their lemmas),
    each block the sum of the sentences' TF-IDF vectors divided by the square root of the sum
    of their squared norms (the character block then weighted ``CHAR_WEIGHT``) — the numbers
    :meth:`LearnedModel.sentence` gives each sentence, summed as the coder sums them."""
    import scipy.sparse as sp  # lazy: scipy only when a layer is trained

    grams = grams or Grams()
    width = len(words) + len(chars)
    cols: list[int] = []
    indptr = [0]
    owner: list[int] = []  # the answer of each sentence
    for a, answer in enumerate(answers):
        for sentence in answer:
            one = [sentence]
            cols += [r for g in grams.words(one) if (r := words.get(g)) is not None]
            cols += [r for g in grams.chars(one) if (r := chars.get(g)) is not None]
            indptr.append(len(cols))
            owner.append(a)
    # sentences × features: counts (duplicates summed), then (1 + log tf) · idf
    counts = sp.csr_matrix((np.ones(len(cols)), np.asarray(cols, dtype=np.int64), indptr), shape=(len(owner), width))
    counts.sum_duplicates()
    idf = np.concatenate([word_idf, char_idf])
    counts.data = (1.0 + np.log(counts.data)) * idf[counts.indices]
    per_answer = sp.csr_matrix(
        (np.ones(len(owner)), np.asarray(owner, dtype=np.int64), np.arange(len(owner) + 1)),
        shape=(len(owner), len(answers)),
    ).T.tocsr()
    blocks = []
    for part, weight in ((counts[:, : len(words)], 1.0), (counts[:, len(words) :], CHAR_WEIGHT)):
        norm = np.asarray(per_answer @ part.multiply(part).sum(axis=1)).ravel()
        scale = np.divide(weight, np.sqrt(norm), out=np.zeros_like(norm), where=norm > 0)
        blocks.append(sp.diags(scale) @ (per_answer @ part))
    return sp.hstack(blocks, format="csr")


def answer_sentences(text: str, lemmatizer: Lemmatizer) -> list[tuple[str, list[str]]]:
    """An answer as the model reads it: its sentences, each with its words' lemmas."""
    return [(chunk, lemma_list(chunk, lemmatizer)) for _, chunk in split_sentences(text)]


def cache_dir() -> Path | None:
    """Where trained models are cached: ``$SURVEY_CACHE_DIR``, else ``$XDG_CACHE_HOME/survey``
    or ``~/.cache/survey``; ``SURVEY_CACHE_DIR=`` (empty) switches the file cache off."""
    env = os.environ.get("SURVEY_CACHE_DIR")
    if env is not None:
        return Path(env) if env.strip() else None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "survey"


def load_model(
    settings: LearnedSettings, categories: list[str], lemmatizer: Lemmatizer, rules: Rules | None = None
) -> LearnedModel:
    """The model for ``settings``: from this process, from the cache file, or trained. With
    the codebook's ``rules``, the examples are read as the coder reads answers: the
    interviewer's turns of a transcript blanked (:func:`~survey.coding.turns.blank_interviewer`)."""
    categories = learnable(settings, categories)
    digest = hashlib.sha256()
    for path in settings.examples:  # each file's bytes, delimited by their own digest
        digest.update(hashlib.sha256(Path(path).read_bytes()).digest())
    turns = [sorted(rules.forms.get(k, ())) for k in TURN_LEXICONS] if rules is not None else None
    stamp = [LAYER_VERSION, categories, version("scikit-learn"), C, CHAR_FEATURES, CHAR_WEIGHT, SOLVER, turns]
    digest.update(json.dumps(stamp).encode())
    key = digest.hexdigest()[:32]
    if key in _MODELS:
        return _MODELS[key]
    folder = cache_dir()
    cached = folder / f"learned-{key}.npz" if folder is not None else None
    model = None
    if cached is not None and cached.is_file():
        try:
            with np.load(cached, allow_pickle=False) as arrays:
                model = LearnedModel.from_arrays(arrays)
        except (OSError, ValueError, KeyError):
            model = None  # a damaged cache file is retrained and rewritten
    if model is None:
        frames = [read_examples(Path(path), categories) for path in settings.examples]
        texts = [t for frame in frames for t in frame["text"]]
        if rules is not None:
            texts = [blank_interviewer(t, rules) for t in texts]
        labels = np.vstack([frame[categories].astype(int).to_numpy() for frame in frames])
        model = train(texts, labels, categories, lemmatizer)
        if cached is not None:
            _write_cache(cached, model)
    _MODELS[key] = model
    return model


def _write_cache(path: Path, model: LearnedModel) -> None:
    """Write the cache file atomically; a folder that cannot be written is skipped (the
    model is then trained again in the next process)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz")
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **model.to_arrays())  # type: ignore[arg-type]
        os.replace(tmp, path)
    except OSError:
        return


class LearnedLayer:
    """The layer as the coder applies it: a model and the codebook's policy."""

    def __init__(
        self,
        model: LearnedModel,
        settings: LearnedSettings,
        codebook: Codebook,
        lemmatizer: Lemmatizer | None = None,
    ):
        self.model = model
        self.settings = settings
        self.lemmatizer = lemmatizer or Lemmatizer()  # for answers given without their sentences
        self._memo: dict[str, Sentence] = {}
        no_problems = codebook.no_problems
        self.no_problems = no_problems.id if no_problems is not None else None
        self.compatible = codebook.beside_no_problems  # may stand beside «no problems»: the pandemic
        allowed = set(settings.categories) or set(codebook.ids)
        self.addable = [c for c in model.categories if c in allowed and c in codebook.ids]
        self._thresholds: tuple[LearnedSettings, dict[bool, dict[str, float]]] | None = None

    def thresholds(self, silent: bool) -> dict[str, float]:
        """Each addable category's threshold (``settings.threshold``) in a silent answer or
        not, computed once per settings (a layer's settings may be replaced)."""
        if self._thresholds is None or self._thresholds[0] is not self.settings:
            categories = [*self.addable, self.no_problems or ""]
            self._thresholds = (
                self.settings,
                {quiet: {c: self.settings.threshold(c, quiet) for c in categories} for quiet in (True, False)},
            )
        return self._thresholds[1][silent]

    @classmethod
    def from_codebook(cls, codebook: Codebook, lemmatizer: Lemmatizer) -> LearnedLayer:
        if codebook.learned is None:
            raise InputError(f"{codebook.path}: в кодовой книге нет раздела learned (обученный слой).")
        model = load_model(codebook.learned, codebook.ids, lemmatizer, codebook.rules)
        return cls(model, codebook.learned, codebook, lemmatizer)

    def sentences(self, sentences: list[tuple[str, list[str]]]) -> list[Sentence]:
        """The model's view of each sentence (memoised: sentences recur across answers)."""
        memo = self._memo
        new = {chunk: lemmas for chunk, lemmas in sentences if chunk not in memo}
        if len(memo) + len(new) > MEMO_SIZE:
            memo.clear()
        memo.update(zip(new, self.model.sentence_vectors(list(new.items()))))
        return [memo[chunk] for chunk, _ in sentences]

    def apply(
        self,
        coding: AnswerCoding,
        text: str,
        sentences: list[tuple[str, list[str]]] | None = None,
        vectors: list[Sentence] | None = None,
    ) -> None:
        """Add the learned codes to ``coding`` (and its ``probabilities``). ``sentences``:
        each sentence of ``text`` (split by :func:`~survey.coding.tokens.split_sentences`) with its
        words' lemmas, as the coder has them; tokenised here when not given. ``vectors``: the
        model's view of each of those sentences (:meth:`LearnedModel.sentence`), when the
        caller keeps them with its own memo of sentences."""
        if sentences is None:
            sentences = answer_sentences(text, self.lemmatizer)
        per = vectors if vectors is not None and len(vectors) == len(sentences) else self.sentences(sentences)
        self.apply_many([(coding, text, sentences, per)])

    def apply_many(self, answers: Sequence[LayerInput]) -> None:
        """:meth:`apply` to many answers, each given with its sentences and their vectors: their
        probabilities come from one matrix (:meth:`LearnedModel.probability_matrix`), and an
        answer is looked at only for the categories whose probability reaches the lowest
        threshold they could have (most answers: none but those the rules coded)."""
        if not answers:
            return
        probabilities = self.model.probability_matrix([a[3] for a in answers])
        rows, columns = np.nonzero(probabilities >= self._lowest())
        reaching: list[list[str]] = [[] for _ in answers]
        categories = self.model.categories
        for r, j in zip(rows.tolist(), columns.tolist()):
            reaching[r].append(categories[j])
        for (coding, text, sentences, per), p, candidates in zip(answers, probabilities.tolist(), reaching):
            coding.probabilities = dict(zip(categories, p))
            codes = coding.codes
            for c in candidates:
                if not codes[c]:  # one the rules have not coded already
                    self._add(coding, text, sentences, per, candidates)
                    break

    def _lowest(self) -> np.ndarray:
        """Per category of the model, the lowest threshold at which it can be added (silent
        answer or not; ``add_when_named`` only raises it); infinite for one never added."""
        silent, coded = self.thresholds(True), self.thresholds(False)
        addable = {*self.addable}
        return np.array(
            [min(silent[c], coded[c]) if c in addable else math.inf for c in self.model.categories], dtype=np.float64
        )

    def _add(
        self,
        coding: AnswerCoding,
        text: str,
        sentences: list[tuple[str, list[str]]],
        per: list[Sentence],
        candidates: list[str],
    ) -> None:
        """Add the ``candidates`` (in the model's order) whose probability reaches their
        threshold in this answer, with their evidence."""
        if self.no_problems is not None and coding.codes.get(self.no_problems):
            return  # the rules read «no problems»: nothing is added
        # the rules found nothing at all: no code, no denial, no pattern
        silent = not any(coding.codes.values()) and not coding.denials and not coding.named
        settings = self.settings
        # a category the rules denied or found sufficient or a topic («финансирование
        # выделяется», «сотрудничество в сфере транспорта») is left to them; one they only named
        # (a resource in a sentence with no cue) needs ``add_when_named``
        denied = set(coding.denied) | coding.settled
        added = []
        codes, named, probabilities = coding.codes, coding.named, coding.probabilities
        thresholds = self.thresholds(silent)
        for c in candidates:
            if c == self.no_problems or codes.get(c) or c in denied:
                continue
            threshold = thresholds[c]
            if c in named:
                threshold = max(threshold, settings.named_threshold(c))
            if probabilities[c] >= threshold:
                added.append(c)
        threshold = thresholds[self.no_problems or ""]
        # «no problems» only where the rules coded nothing but the categories compatible with
        # it: beside the pandemic at the category's ``add_when_coded`` («Всё шло хорошо до 2020
        # года… С пандемией перешли в онлайн, но контакты сохранили»), while «Ковид.» alone
        # is not «no problems» unless the answer says so («Больше ничего»), which is for the
        # rules to read; an answer whose every difficulty is denied, solved or harmless may be
        # («С визами раньше было сложно, сейчас решили»), but not where the rules read a «no
        # problems» phrase and set it aside (a general denial kept among the denials:
        # «Проблем нет. Главная трудность — погода»)
        if (
            self.no_problems in self.addable
            and self.no_problems not in denied
            and not any(not d.category for d in coding.denials)
            and all(c in self.compatible for c, v in codes.items() if v)
            and not added
            and coding.probabilities[self.no_problems] >= threshold
        ):
            added.append(self.no_problems)
        for c in added:
            coding.codes[c] = 1
            coding.learned[c] = coding.probabilities[c]
            coding.evidence.append(self.evidence(c, text, sentences, per))

    def evidence(
        self,
        category: str,
        text: str,
        sentences: list[tuple[str, list[str]]],
        per: list[Sentence],
    ) -> Evidence:
        """The sentence scored highest for ``category`` and the words that weigh most."""
        j = self.model.categories.index(category)
        alone = self.model.probability_matrix([[v] for v in per])[:, j].tolist()  # each sentence alone
        best, best_p, at, offset = None, -1.0, 0, 0
        for (chunk, _), p in zip(sentences, alone):
            start = text.find(chunk, offset)
            offset = start + len(chunk)
            if not chunk.strip():
                continue
            if p > best_p:
                best, best_p, at = chunk, p, start
        if best is None:
            start, end = 0, len(text)
        else:
            start = at + (len(best) - len(best.lstrip()))
            end = at + len(best.rstrip())
        top = self.model.top_words(sentences, category, 3 * TOP_FEATURES)
        words: list[str] = []
        for w in top:
            if len(words) == TOP_FEATURES:
                break
            if _content(w, self.lemmatizer):
                words.append(w)
        reason = "обученный слой" + (f": {', '.join(words)}" if words else "")
        return Evidence(category, text[start:end], start, end, "", reason, "low", LEARNED)
