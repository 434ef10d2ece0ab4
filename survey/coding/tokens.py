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
from survey.spec.codebook import BIT, Pattern

# abbreviations of official writing («кит. партнёры», «межд. направление», «рус. яз.», «т. е.»):
# their period does not end a sentence or a clause when a lower-case word follows, and the
# word is read as the full word it stands for (if any)
ABBREVIATIONS: dict[str, str] = {
    "кит": "китайский", "рус": "русский", "англ": "английский", "яз": "язык", "иностр": "иностранный",
    "межд": "международный", "междунар": "международный", "нормат": "нормативный", "фед": "федеральный",
    "гос": "государственный", "муниц": "муниципальный", "мун": "муниципальный", "рег": "региональный",
    "обл": "область", "адм": "администрация", "админ": "администрация", "техн": "технический",
    "экон": "экономический", "соц": "социальный", "полит": "политический", "орг": "организационный",
    "тыс": "тысяча", "млн": "миллион", "млрд": "миллиард", "руб": "рубль", "чел": "человек",
    "нед": "неделя", "мес": "месяц", "г": "год", "гг": "год", "др": "другой", "пр": "прочий",
    "напр": "например", "прим": "примерно", "см": "", "ср": "", "т": "", "е": "", "к": "", "д": "", "ч": "",
}  # fmt: skip
# abbreviations before a place's or a person's name, with their capital: «с г. Ухань», «им. Пушкина»
NAME_ABBREVIATIONS: dict[str, str] = {"г": "город", "гор": "город", "пгт": "посёлок", "пос": "посёлок", "им": "имя"}
# a comma before a word of these lexicons opens a clause of the same sentence, not a list item
CLAUSE_OPENERS = BIT["subordinators"] | BIT["relative"] | BIT["rather_than"]
_ABBREVIATION = "|".join(sorted(ABBREVIATIONS, key=len, reverse=True))
# sentences: everything up to and including . ! ? or a line break; an abbreviation's period
# followed by a lower-case word stays inside («кит. язык»). Split in two passes (runs, then the
# abbreviations' runs joined to the next) because one regex testing the abbreviations at every
# character cost a sixth of the coding time.
_RUN = re.compile(r"[^.!?\n]+[.!?\n]*|[.!?\n]+")
_ABBREVIATION_END = re.compile(rf"(?<![а-яёА-ЯЁa-zA-Z0-9])(?i:{_ABBREVIATION})\.\Z")
_LOWER_NEXT = re.compile(r"[ \t]+[а-яё]")
_LONGEST = max(map(len, ABBREVIATIONS)) + 1
# before a place's or a person's name: «с г. Ухань», «пгт. Смирных», «им. Пушкина» — the period
# ends nothing; «г.» after a number is the year («в 2019 г. Потом …») and may end a sentence
_NAME_ABBREVIATION_END = re.compile(rf"(?<![а-яёА-ЯЁa-zA-Z0-9])(?<!\d\s)(?i:{'|'.join(NAME_ABBREVIATIONS)})\.\Z")
_UPPER_NEXT = re.compile(r"[ \t]+[А-ЯЁ]")
_LONGEST_NAME = max(map(len, NAME_ABBREVIATIONS)) + 1


def split_sentences(text: str) -> list[tuple[int, str]]:
    """The sentences of ``text`` with their offsets, in order; together they are the text.

    >>> split_sentences("Нет кит. языка. Денег нет!")
    [(0, 'Нет кит. языка.'), (15, ' Денег нет!')]
    >>> split_sentences("Связи с г. Ухань прервались в 2020 г. Потом ковид.")
    [(0, 'Связи с г. Ухань прервались в 2020 г.'), (37, ' Потом ковид.')]
    """
    out: list[tuple[int, str]] = []
    start = -1
    for m in _RUN.finditer(text):
        if start < 0:
            start = m.start()
        end = m.end()
        if _LOWER_NEXT.match(text, end) and _ABBREVIATION_END.search(text, max(start, end - _LONGEST), end):
            continue  # «кит.» + « язык»: the sentence goes on
        if _UPPER_NEXT.match(text, end) and _NAME_ABBREVIATION_END.search(text, max(start, end - _LONGEST_NAME), end):
            continue  # «г.» + « Ухань»
        out.append((start, text[start:end]))
        start = -1
    if start >= 0:
        out.append((start, text[start:]))
    return out


@dataclass
class Words:
    """One sentence: its tokens and, per token, lemma set, lexicon mask and the codebook
    patterns that can start at it."""

    text: str
    toks: list[Token]
    lemmas: list[frozenset[str]]  # per token (empty for punctuation and numbers)
    masks: list[int]  # per token: bits of BIT
    typos: dict[int, tuple[str, str]]  # token index -> (written, codebook word)
    candidates: list[tuple[Pattern, ...]]  # per token: patterns whose first word it can be
    unknown: list[str] = field(default_factory=list)  # forms pymorphy3 does not know
    quoted: set[int] = field(default_factory=set)  # token indices inside «…»

    def has(self, i: int, lexicon: str) -> bool:
        """Token ``i`` belongs to rule lexicon ``lexicon`` (``negators``, ``problem_words``…)."""
        return bool(self.masks[i] & BIT[lexicon])

    def lemma_list(self) -> list[str]:
        """First-parse lemmas of the words (what the learned layer counts)."""
        return [t[3].lemma for t in self.toks if t[3] is not None]

    def list_breaks(self) -> list[int]:
        """Token indices of the list separators: «;», «+», and a comma not followed by a word
        that opens a clause («что», «кто», «который», «чем»…). A codebook pattern does not
        reach across one: «перевод, деньги» are two items, not the money transfer «перевод
        денег»; «сложно понять, кто решает» is one phrase."""
        toks = self.toks
        return [
            i for i, t in enumerate(toks[:-1]) if t[0] in (";", "+") or (t[0] == "," and not self._opens_clause(i + 1))
        ]

    def _opens_clause(self, i: int) -> bool:
        """Token ``i`` opens a clause (or is no word: a comma before it separates nothing)."""
        info = self.toks[i][3]
        return info is None or bool(self.masks[i] & CLAUSE_OPENERS) or info.pos in ("NPRO", "CONJ")

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
    candidates: list[tuple[Pattern, ...]] = []
    empty: frozenset[str] = frozenset()
    for i, t in enumerate(toks):
        if t[3] is not None and i + 1 < len(toks) and (word := abbreviation_word(toks, i + 1)):
            full = lemmatizer.tokens(word)[0]
            t = toks[i] = Token(t[0], t[1], t[2], full[3], full[4])
        if t[3] is None:
            lemmas.append(empty)
            masks.append(0)
            candidates.append(())
            continue
        entry = index.entry(t[4], t[3])
        if entry.typo_of and is_name(toks, i):
            entry = index.entry(t[4], t[3], fuzzy=False)  # «провинция Ганьсу» is no «гуаньси»
        lemmas.append(entry.lemmas)
        masks.append(entry.mask)
        candidates.append(entry.candidates)
        if entry.typo_of:
            typos[i] = (t[0], entry.typo_of)
    return Words(text, toks, lemmas, masks, typos, candidates, unknown, quoted(toks))


def is_name(toks: list[Token], i: int) -> bool:
    """Token ``i`` is a capitalised word inside a sentence («провинция Ганьсу»), not its first
    word nor one after a colon, a dash, a bracket or a quote: a name, which is no typo."""
    if not toks[i].text[:1].isupper() or toks[i].text.isupper():
        return False  # lower case, or all capitals («КОВИД»)
    for t in reversed(toks[:i]):  # the token before it, a line break included (it opens a line)
        if t.text.strip() or "\n" in t.text:
            return t.text.strip(" ") not in (".", "!", "?", "…", ":", "—", "-", "(", "«", '"', "\n")
    return False


def abbreviation_word(toks: list[Token], i: int) -> str | None:
    """When token ``i`` is the period of an abbreviation written right after it, the full word
    the abbreviation stands for ("" when it has none), else None: an abbreviation of
    :data:`ABBREVIATIONS` followed by a lower-case word («интерес кит. партнёров» is one clause),
    or of :data:`NAME_ABBREVIATIONS` followed by a capitalised one and not after a number
    («с г. Ухань»; «в 2019 г. Потом» ends a sentence)."""
    if toks[i].text != "." or i == 0 or i + 1 >= len(toks):
        return None
    before, after = toks[i - 1], toks[i + 1]
    if not (before.is_word and before.end == toks[i].start and after.is_word) or after.text[0].isascii():
        return None
    word = before.text.lower()
    if after.text[0].islower():
        return ABBREVIATIONS.get(word)
    if i >= 2 and toks[i - 2].text[:1].isdigit():
        return None
    return NAME_ABBREVIATIONS.get(word)


def abbreviation_dot(toks: list[Token], i: int) -> bool:
    """Token ``i`` is the period of an abbreviation (:func:`abbreviation_word`)."""
    return abbreviation_word(toks, i) is not None


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
