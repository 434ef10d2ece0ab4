"""The words of a sentence as the coder sees them: tokens, lemma sets and lexicon masks.

:func:`read_words` tokenises and lemmatises a sentence (pymorphy3, cached per form), fixes
unknown words that are one typo away from a codebook word, and gives every token the bit
mask of the rule lexicons it belongs to (``words.has(i, "negators")``). Quoted words are
marked: they are mentioned, not used («не говорят „нет“»).

>>> from survey.base.lemmatize import Lemmatizer
>>> from survey.coding.matching import PatternIndex
>>> from survey.spec.codebook import load_codebook
>>> lem = Lemmatizer()
>>> w = read_words("Не хватает переводчков.", lem, PatternIndex(load_codebook(lemmatizer=lem)))
>>> [t.text for t in w.toks], w.has(0, "negators"), w.typos
(['Не', 'хватает', 'переводчков', '.'], True, {2: ('переводчков', 'переводчик')})
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from survey.base.lemmatize import Lemmatizer, Token
from survey.coding.matching import PatternIndex
from survey.spec.codebook import BIT

# sentences: everything up to and including . ! ? or a line break
SENTENCE = re.compile(r"[^.!?\n]+[.!?\n]*|[.!?\n]+")


@dataclass
class Words:
    """One sentence: its tokens and, per token, lemma set and lexicon mask."""

    text: str
    toks: list[Token]
    lemmas: list[frozenset[str]]  # per token (empty for punctuation and numbers)
    masks: list[int]  # per token: bits of BIT
    typos: dict[int, tuple[str, str]]  # token index -> (written, codebook word)
    unknown: list[str] = field(default_factory=list)  # forms pymorphy3 does not know
    quoted: set[int] = field(default_factory=set)  # token indices inside «…»

    def has(self, i: int, lexicon: str) -> bool:
        """Token ``i`` belongs to rule lexicon ``lexicon`` (``negators``, ``problem_words``…)."""
        return bool(self.masks[i] & BIT[lexicon])

    def lemma_list(self) -> list[str]:
        """First-parse lemmas of the words (what the learned layer counts)."""
        return [t[3].lemma for t in self.toks if t[3] is not None]

    def word_indices(self) -> list[int]:
        """Token indices of the words (punctuation left out)."""
        return [i for i, t in enumerate(self.toks) if t[3] is not None]


def read_words(text: str, lemmatizer: Lemmatizer, index: PatternIndex) -> Words:
    """Tokens, lemma sets (typos fixed), masks and unknown words of ``text``."""
    toks = lemmatizer.tokens(text)
    unknown = lemmatizer.unknown_forms(toks)
    lemmas: list[frozenset[str]] = []
    masks: list[int] = []
    typos: dict[int, tuple[str, str]] = {}
    empty: frozenset[str] = frozenset()
    for i, t in enumerate(toks):
        if t[3] is None:
            lemmas.append(empty)
            masks.append(0)
            continue
        entry = index.entry(t[4], t[3])
        lemmas.append(entry.lemmas)
        masks.append(entry.mask)
        if entry.typo_of:
            typos[i] = (t[0], entry.typo_of)
    return Words(text, toks, lemmas, masks, typos, unknown, quoted(toks))


def quoted(toks: list[Token]) -> set[int]:
    """Tokens inside «…»: quoted words are mentioned, not used («не говорят „нет“»)."""
    out: set[int] = set()
    if not any(t[0] == "«" for t in toks):
        return out
    inside = False
    for i, t in enumerate(toks):
        if t.text == "«":
            inside = True
        elif t.text == "»" or t.text in ".;!?\n":
            inside = False
        elif inside and t.is_word and len(out) < 10_000:
            out.add(i)
    return out
