"""Tokenizer and pymorphy3 lemmatizer with a cache.

* The tokenizer keeps digits (``COVID-19``), hyphenated words (``торгово-экономический``)
  and the punctuation that bounds clauses (``. , ; : ! ? ( ) —`` and line breaks).
* Every distinct word form is analysed once by pymorphy3 and cached: its first-parse
  lemma, the set of lemmas of all its parses (pattern matching accepts any of them, so an
  ambiguous form such as «стали» matches both «сталь» and «стать»), its part of speech,
  and whether pymorphy3 knows the word. ``ё`` is folded to ``е`` everywhere.
* Words pymorphy3 does not know are counted (:attr:`Lemmatizer.unknown`): typos and new
  words (``ковид``, ``ковидный``) show up there.

>>> lem = Lemmatizer()
>>> [t.lemma for t in lem.tokens("Не хватает переводчиков!")]
['не', 'хватать', 'переводчик', '!']
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

TOKEN_RE = re.compile(r"[а-яёa-z0-9]+(?:-[а-яёa-z0-9]+)*|[.,;:!?()—–\-«»\"/]|\n", re.IGNORECASE)
PUNCT = frozenset(".,;:!?()—–-«»\"/\n")
# parts of speech that can carry a clause's predicate
PREDICATE_POS = frozenset({"VERB", "PRTS", "ADJS", "PRED"})


@dataclass(frozen=True, slots=True)
class WordInfo:
    """What pymorphy3 says about one word form (cached per form)."""

    lemma: str                 # first parse's normal form, ё → е
    lemmas: frozenset[str]     # normal forms of every parse, ё → е
    pos: str | None            # first parse's part of speech (NOUN, VERB, ADJF, ...)
    known: bool                # pymorphy3 dictionary knows the word
    noun: bool = False         # some parse is a noun
    genitive: bool = False     # some noun parse is in the genitive (what «нет» governs)
    perfective: bool = False   # first parse is a perfective verb form («решён», «решили»)

    @property
    def predicate(self) -> bool:
        """Can carry a clause's predicate (finite verb, short form, «нет», «есть»)."""
        return self.pos in PREDICATE_POS or self.lemma in ("есть", "нет", "нету")


@dataclass(frozen=True, slots=True)
class Token:
    """One token of a text with its character span and analysis."""

    text: str                  # as written
    start: int
    end: int
    info: WordInfo | None      # None for punctuation

    @property
    def is_word(self) -> bool:
        return self.info is not None

    @property
    def lemma(self) -> str:
        return self.info.lemma if self.info else self.text

    @property
    def lower(self) -> str:
        return self.text.lower().replace("ё", "е")


@lru_cache(maxsize=1)
def morph_analyzer():
    """One pymorphy3 analyzer per process (loading the dictionaries takes ~0.1–0.5 s)."""
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


class Lemmatizer:
    """Tokenize and lemmatize Russian text; one cache per instance."""

    def __init__(self) -> None:
        self._cache: dict[str, WordInfo] = {}
        self.unknown: Counter[str] = Counter()

    def info(self, word: str) -> WordInfo:
        """Analysis of one lower-case word form (cached)."""
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        morph = morph_analyzer()
        parses = morph.parse(word)
        first = parses[0]
        lemmas = frozenset(p.normal_form.replace("ё", "е") for p in parses)
        known = bool(re.search(r"[а-яё]", word)) and morph.word_is_known(word)
        if "-" in word.strip("-"):
            # «специалистов-китаистов», «онлайн-встреч»: the parts' lemmas count too
            for part in word.split("-"):
                if len(part) > 2 and not part.isdigit():
                    lemmas |= {p.normal_form.replace("ё", "е") for p in morph.parse(part)[:1]}
        nouns = [p for p in parses if p.tag.POS == "NOUN"]
        info = WordInfo(first.normal_form.replace("ё", "е"), lemmas, first.tag.POS, known,
                        noun=bool(nouns), genitive=any("gent" in p.tag or "gen2" in p.tag for p in nouns),
                        perfective="perf" in first.tag)
        self._cache[word] = info
        return info

    def tokens(self, text: str, *, count_unknown: bool = False) -> list[Token]:
        """Tokens of ``text`` with spans; words carry their :class:`WordInfo`."""
        out: list[Token] = []
        cache = self._cache
        for m in TOKEN_RE.finditer(text):
            raw = m.group()
            if raw in PUNCT:
                out.append(Token(raw, m.start(), m.end(), None))
                continue
            word = raw.lower()
            info = cache.get(word) or self.info(word)
            if count_unknown and not info.known and not word[0].isdigit() and re.search("[а-я]", word):
                self.unknown[word] += 1
            out.append(Token(raw, m.start(), m.end(), info))
        return out

    def lemmas(self, text: str) -> list[str]:
        """Lemmas of the words of ``text`` (punctuation dropped)."""
        return [t.lemma for t in self.tokens(text) if t.is_word]

    def __getstate__(self):  # keep pickles small: the cache is rebuilt in each process
        return {"unknown": self.unknown}

    def __setstate__(self, state):
        self._cache = {}
        self.unknown = state["unknown"]
