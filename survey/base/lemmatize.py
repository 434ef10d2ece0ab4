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

# words: Russian and Latin letters, digits, and the other Cyrillic letters of the region's languages
# (Kazakh, Ukrainian, Belarusian…: «жетіспейді» is one word, not «жет» and «спейд»)
_LETTERS = "а-яёa-z0-9іїєґўәғқңөұүһ"
TOKEN_RE = re.compile(rf"[{_LETTERS}]+(?:-[{_LETTERS}]+)*|[.,;:!?()—–\-«»\"/+]|\n", re.IGNORECASE)
_CYRILLIC = re.compile("[а-я]")
PUNCT = frozenset('.,;:!?()—–-«»"/+\n')
# Latin letters typed inside a Cyrillic word («kовид», «пeреводчик»): read as the Cyrillic
# letters they look like; a word all in Latin («WeChat») stays as it is
_LATIN = re.compile("[a-zA-Z]")
_HOMOGLYPHS = str.maketrans("AaBCcEeHKkMOoPpTXxYy", "АаВСсЕеНКкМОоРрТХхУу")
# parts of speech that can carry a clause's predicate
PREDICATE_POS = frozenset({"VERB", "PRTS", "ADJS", "PRED"})


@dataclass(frozen=True, slots=True)
class WordInfo:
    """What pymorphy3 says about one word form (cached per form)."""

    lemma: str  # first parse's normal form, ё → е
    lemmas: frozenset[str]  # normal forms of every parse, ё → е
    pos: str | None  # first parse's part of speech (NOUN, VERB, ADJF, ...)
    known: bool  # pymorphy3 dictionary knows the word
    noun: bool = False  # some parse is a noun
    genitive: bool = False  # some noun parse is in the genitive (what «нет» governs)
    perfective: bool = False  # first parse is a perfective verb form («решён», «решили»)
    # share of the genitive in pymorphy3's scores of its noun parses: «денег» 1, «визы» 0.75,
    # «координации» 0.33, «деньги» 0.01, «язык» 0 («Деньги — нет» is a reply, not a shortage)
    genitive_share: float = 0.0

    @property
    def predicate(self) -> bool:
        """Can carry a clause's predicate (finite verb, short form, «нет», «есть»)."""
        return self.pos in PREDICATE_POS or self.lemma in ("есть", "нет", "нету")


class Token(tuple):
    """One token of a text: ``(text, start, end, info, lower)``.

    ``text`` as written, character span ``start:end``, ``info`` (:class:`WordInfo`, None for
    punctuation) and ``lower`` (lower case, ё → е). A tuple subclass: millions are made
    when coding large inputs, so creation must be cheap.
    """

    __slots__ = ()

    def __new__(cls, text: str, start: int, end: int, info: WordInfo | None, lower: str = ""):
        return tuple.__new__(cls, (text, start, end, info, lower or text))

    text = property(lambda self: self[0])
    start = property(lambda self: self[1])
    end = property(lambda self: self[2])
    info = property(lambda self: self[3])
    lower = property(lambda self: self[4])

    @property
    def is_word(self) -> bool:
        return self[3] is not None

    @property
    def lemma(self) -> str:
        return self[3].lemma if self[3] is not None else self[0]


@lru_cache(maxsize=1)
def morph_analyzer():
    """One pymorphy3 analyzer per process (loading the dictionaries takes ~0.1–0.5 s)."""
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


def as_cyrillic(word: str) -> str:
    """``word`` with its Latin look-alike letters made Cyrillic when it mixes the two.

    >>> as_cyrillic("kовид"), as_cyrillic("WeChat"), as_cyrillic("пeреводчик"), as_cyrillic("covid-ограничения")
    ('ковид', 'WeChat', 'переводчик', 'covid-ограничения')
    """
    if "-" in word:
        return "-".join(as_cyrillic(part) for part in word.split("-"))
    if _CYRILLIC.search(word.lower()) and _LATIN.search(word):
        return word.translate(_HOMOGLYPHS)
    return word


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
        info = WordInfo(
            first.normal_form.replace("ё", "е"),
            lemmas,
            first.tag.POS,
            known,
            noun=bool(nouns),
            genitive=any("gent" in p.tag or "gen2" in p.tag for p in nouns),
            perfective="perf" in first.tag,
            genitive_share=sum(p.score for p in nouns if "gent" in p.tag or "gen2" in p.tag)
            / (sum(p.score for p in nouns) or 1.0),
        )
        self._cache[word] = info
        return info

    def tokens(self, text: str, *, count_unknown: bool = False) -> list[Token]:
        """Tokens of ``text`` with spans; words carry their :class:`WordInfo`."""
        out: list[Token] = []
        cache = self._cache
        new = tuple.__new__
        latin = _LATIN.search(text) is not None
        for m in TOKEN_RE.finditer(text):
            raw = m.group()
            if raw in PUNCT:
                out.append(new(Token, (raw, m.start(), m.end(), None, raw)))
                continue
            word = (as_cyrillic(raw) if latin else raw).lower().replace("ё", "е")
            info = cache.get(word) or self.info(word)
            out.append(new(Token, (raw, m.start(), m.end(), info, word)))
        if count_unknown:
            self.unknown.update(self.unknown_forms(out))
        return out

    @staticmethod
    def unknown_forms(tokens: list[Token]) -> list[str]:
        """Cyrillic word forms of ``tokens`` that pymorphy3 does not know."""
        return [
            t[4]
            for t in tokens
            if t[3] is not None and not t[3].known and not t[4][0].isdigit() and _CYRILLIC.search(t[4])
        ]

    def lemmas(self, text: str) -> list[str]:
        """Lemmas of the words of ``text`` (punctuation dropped)."""
        return [t.lemma for t in self.tokens(text) if t.is_word]

    def __getstate__(self):  # keep pickles small: the cache is rebuilt in each process
        return {"unknown": self.unknown}

    def __setstate__(self, state):
        self._cache = {}
        self.unknown = state["unknown"]
