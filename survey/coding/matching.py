"""Pattern matching: which codebook patterns occur in a clause, on lemmas.

:class:`PatternIndex` indexes every pattern of the codebook by its first word (a lemma, a
prefix ``ковид*`` or an exact form ``=далеко``) and analyses each distinct word form once
(:meth:`PatternIndex.entry`): its lemma set, the codebook word a typo is fixed to, the
patterns that can start at it and its bit mask of rule lexicons. :func:`find_hits` then
matches the patterns of a clause, drops those inside an ``exclude`` phrase of the same
category and keeps the longest of overlapping hits.

>>> from survey.base.lemmatize import Lemmatizer
>>> from survey.spec.codebook import load_codebook
>>> lem = Lemmatizer()
>>> index = PatternIndex(load_codebook(lemmatizer=lem))
>>> toks = lem.tokens("Нет прямых рейсов до Харбина")
>>> entries = [index.entry(t.lower, t.info) for t in toks]
>>> hits = find_hits(list(range(len(toks))), toks, [e.lemmas for e in entries], [e.candidates for e in entries], {}, [])
>>> [(h.pattern.category, h.pattern.text, h.positions) for h in hits]
[('distance', 'рейс', [2])]
>>> index.fuzzy("каронавирус", "каронавирус"), index.typo_of("каронавирус")
('коронавирус', 'коронавирус')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

from survey.base.lemmatize import Token, WordInfo
from survey.spec.codebook import BIT, Codebook, Pattern

# words that refer back: «его не хватает», «это не помеха»
ANAPHORA = frozenset({"он", "она", "оно", "они", "это", "этот"})


class FormEntry(NamedTuple):
    """What the coder knows about one word form (cached per form)."""

    lemmas: frozenset[str]  # lemmas of every parse (a typo's: the codebook word it is fixed to)
    typo_of: str | None  # the codebook word an unknown word is one typo away from
    candidates: tuple[Pattern, ...]  # patterns whose first word this form can be
    mask: int  # bits of the rule lexicons (``mask & BIT["negators"]``…), predicate, anaphora


NUMBER_ENTRY = FormEntry(frozenset(), None, (), 0)  # digits: no lemma, no pattern, no lexicon


@dataclass
class Hit:
    """One match of a pattern in a clause."""

    pattern: Pattern
    positions: list[int]  # token indices of the matched words
    fuzzy: list[tuple[str, str]]  # (written, codebook word) of typo matches

    @property
    def first(self) -> int:
        return self.positions[0]

    @property
    def last(self) -> int:
        return self.positions[-1]

    @property
    def category(self) -> str:
        return self.pattern.category

    @property
    def kind(self) -> str:
        return self.pattern.kind


class PatternIndex:
    """The codebook's patterns indexed by their first word, and a cache of word forms."""

    def __init__(self, codebook: Codebook):
        self.rules = codebook.rules
        self._by_lemma: dict[str, list[Pattern]] = {}
        self._by_prefix: list[tuple[str, Pattern]] = []
        self._by_form: dict[str, list[Pattern]] = {}
        for cat in codebook.categories:
            for p in cat.patterns:
                first = p.words[0]
                if first.exact is not None:
                    self._by_form.setdefault(first.exact, []).append(p)
                elif first.prefix is not None:
                    self._by_prefix.append((first.prefix, p))
                else:
                    for lemma in first.lemmas:
                        self._by_lemma.setdefault(lemma, []).append(p)
        # long codebook words an unknown word may be a typo of
        self._vocabulary = sorted(
            {
                lemma
                for cat in codebook.categories
                for p in cat.patterns
                for w in p.words
                for lemma in w.lemmas
                if len(lemma) >= 5 and lemma.isalpha()
            }
        )
        self._stems: list[tuple[str, str]] | None = None
        self._fuzzy_cache: dict[str, str | None] = {}
        self.forms: dict[str, FormEntry] = {}  # the cache of word forms
        self._names: dict[str, FormEntry] = {}  # forms read as names, never as typos (fuzzy=False)

    def entry(self, form: str, info: WordInfo, fuzzy: bool = True) -> FormEntry:
        """The :class:`FormEntry` of a word form (cached; numbers are not cached). ``fuzzy``:
        an unknown word may be read as a typo of a codebook word (not for a name, whose entry
        is cached apart)."""
        cache = self.forms if fuzzy else self._names
        cached = cache.get(form)
        if cached is not None:
            return cached
        if form.isdigit():
            return NUMBER_ENTRY
        lemmas, fixed = info.lemmas, None
        if fuzzy and not info.known and len(form) >= 5 and form.isalpha():
            fixed = self.fuzzy(form, info.lemma)
            if fixed:
                lemmas = frozenset({fixed})
                if stem(fixed) in (stem(form), stem(info.lemma)):
                    fixed = None  # a codebook word pymorphy3 does not know («ковида», «погранпереходы»): no typo
        cands = [p for lemma in sorted(lemmas) for p in self._by_lemma.get(lemma, ())]
        cands += self._by_form.get(form, [])
        cands += [
            p
            for prefix, p in self._by_prefix
            if form.startswith(prefix) or any(lemma.startswith(prefix) for lemma in lemmas)
        ]
        mask = self.rules.mask(lemmas) | (BIT["predicate"] if info.predicate else 0)
        if (info.pos == "NPRO" and not lemmas.isdisjoint(ANAPHORA)) or form in ("это", "этим", "этого"):
            mask |= BIT["anaphora"]
        entry = FormEntry(lemmas, fixed, tuple(dict.fromkeys(cands)), mask)
        cache[form] = entry
        return entry

    def typo_of(self, word: str) -> str | None:
        """The codebook word ``word`` was matched to as a typo (None if none or not met yet)."""
        return self._fuzzy_cache.get(word)

    def fuzzy(self, word: str, lemma: str) -> str | None:
        """The codebook word an unknown word is one typo away from (two for long words).

        Stems are compared — the word without its inflectional ending — so a typo in an
        inflected form is found too («переводчков» ≈ «переводчик», «финансирвания» ≈
        «финансирование»); pymorphy3's guessed lemma is compared as well.
        """
        if word in self._fuzzy_cache:
            return self._fuzzy_cache[word]
        if self._stems is None:
            self._stems = [(stem(v), v) for v in self._vocabulary]
        best, best_key = None, None
        for candidate in dict.fromkeys((stem(word), stem(lemma))):
            limit = 1 if len(candidate) < 8 else 2
            for s, v in self._stems:
                if abs(len(s) - len(candidate)) <= limit and s[0] in (candidate[0], candidate[1:2]):
                    d = edit_distance(candidate, s, limit)
                    key = (d, -len(s))  # the closest, then the most specific word
                    if d <= limit and (best_key is None or key < best_key):
                        best, best_key = v, key
        self._fuzzy_cache[word] = best
        return best


# how a pattern codes: a term by itself, a resource only with a cue (strictly: with an absence)
STRENGTH = {"terms": 0, "needs": 1, "needs_strict": 2}


def find_hits(
    words: list[int],
    toks: list[Token],
    lemmas: list[frozenset[str]],
    candidates: list[tuple[Pattern, ...]],
    typos: dict[int, tuple[str, str]],
    breaks: list[int],
    claimed: set[str] | None = None,
) -> list[Hit]:
    """The pattern matches among the word tokens ``words`` (token indices, in order), none
    reaching across a list separator (``breaks``, see :meth:`Words.list_breaks`). Per token,
    ``lemmas`` and ``candidates`` (the patterns that can start there) are its
    :class:`FormEntry`'s, as :func:`~survey.coding.tokens.read_words` chose it (a name's
    entry reads no typo), and ``typos`` the typo-fixed words. ``claimed``,
    when given, receives the categories of matches the codebook excludes where their words
    are another category's match («правовая база для инвестиционных проектов» is the legal
    base, not weak economy)."""
    hits: list[Hit] = []
    excludes: list[Hit] = []
    present = frozenset().union(*(lemmas[i] for i in words))  # a pattern needing another lemma cannot match
    for k, i in enumerate(words):
        for p in candidates[i]:
            needed = p.needed
            if needed and any(need.isdisjoint(present) for need in needed):
                continue
            positions = match_rest(p, words, k, toks, lemmas, breaks)
            if positions is None:
                continue
            hit = Hit(p, positions, [typos[j] for j in positions if j in typos])
            (excludes if p.kind == "exclude" else hits).append(hit)
    if excludes:
        dropped = [
            (h, e)
            for h in hits
            for e in excludes
            if e.category == h.category and e.first <= h.last and h.first <= e.last
        ]
        hits = [h for h in hits if not any(h is d for d, _ in dropped)]
        if claimed is not None:
            claimed.update(
                d.category
                for d, e in dropped
                if any(o.category != d.category and e.first <= o.last and o.first <= e.last for o in hits)
            )
    # keep the longest of overlapping hits of one category; a resource word inside a longer
    # phrase of another category is read as part of it («медленная реакция» is slow approval,
    # not the partners' «реакция» that is missing; «переводы в юанях» are payments)
    hits.sort(key=lambda h: (h.first, -(h.last - h.first)))
    phrases = [h for h in hits if len(h.positions) > 1]  # (the excludes are set apart above)
    kept: list[Hit] = []
    for h in hits:
        # a term stays inside a longer conditional phrase of its category: «губернатора
        # приоритеты поменялись» holds the term «приоритеты поменялись»
        if any(
            o.category == h.category
            and o.first <= h.first
            and h.last <= o.last
            and STRENGTH[o.kind] <= STRENGTH[h.kind]
            for o in kept
        ):
            continue
        if h.kind != "terms" and any(o.category != h.category and set(h.positions) < set(o.positions) for o in phrases):
            continue
        kept.append(h)
    return kept


def match_rest(
    p: Pattern,
    words: list[int],
    k: int,
    toks: list[Token],
    lemmas: list[frozenset[str]],
    breaks: list[int],
) -> list[int] | None:
    """Token indices of pattern ``p`` matched from ``words[k]`` on (its first word matches
    there), each next word within its gap and no list separator (``breaks``) between; None when
    the pattern does not complete."""
    positions = [words[k]]
    at, n = k, len(words)
    for w in p.words[1:]:
        for j in range(at + 1, min(at + 2 + w.gap, n)):
            i = words[j]
            if w.matches(lemmas[i], toks[i][4]):
                break
        else:
            return None
        if breaks and any(words[at] < b < i for b in breaks):
            return None
        positions.append(i)
        at = j
    return positions


_ENDING = re.compile(
    r"(?:ться|тся|лся|лась|лись|ешь|ете|ишь|ите|ами|ями|ого|его|ому|ему|ыми|ими|ая|яя|ое|ее|"
    r"ые|ие|ых|их|ым|им|ий|ый|ой|ей|ою|ею|ам|ям|ах|ях|ом|ем|ов|ев|ую|юю|ть|ся|сь|ут|ют|ат|ят|"
    r"а|я|о|е|и|ы|у|ю|ь|й|л)$"
)


def stem(word: str) -> str:
    """The word without a Russian inflectional ending (a crude suffix strip, ≥ 4 letters kept).

    >>> stem("переводчиков"), stem("финансирования"), stem("мир")
    ('переводчик', 'финансировани', 'мир')
    """
    m = _ENDING.search(word)
    if m and m.start() >= 4:
        return word[: m.start()]
    return word


def edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau–Levenshtein distance (adjacent transpositions), stopping above ``limit``.

    >>> edit_distance("каронавирус", "коронавирус", 2), edit_distance("ab", "ba", 1), edit_distance("abc", "xyz", 1)
    (1, 1, 2)
    """
    if a == b:
        return 0
    prev2: list[int] | None = None
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if prev2 is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]
