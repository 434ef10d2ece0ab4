"""What the coder returns: the codes of an answer and the evidence behind each.

:class:`Evidence` is one reason for a code (or for a denial): the words as written, their
character offsets in the answer, the codebook pattern, a Russian reason and a confidence.
:class:`AnswerCoding` gathers the codes of one answer with their evidence, the explicit
denials («проблем с финансированием нет») and, when the learned layer is on, its
probabilities and the codes it added.

>>> e = Evidence("language", "переводчиков", 4, 16, "переводчик", "нехватка: «Нет»", "high")
>>> str(e)
'language: «переводчиков» [4:16] (нехватка: «Нет»)'
>>> c = AnswerCoding({"language": 1, "funding": 0}, [e])
>>> c.categories, c.confidence("language"), c.evidence_text()
(['language'], 'high', 'language: «переводчиков» [4:16]')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

CONFIDENCE_LEVELS = ("high", "medium", "low")
RULES, LEARNED = "rules", "learned"


class Evidence(NamedTuple):
    """Why a category was coded (or denied): the words and their place in the answer."""

    category: str
    text: str  # the matched words as written
    start: int  # character offsets in the answer, end exclusive
    end: int
    pattern: str  # the codebook pattern that matched ("" for the learned layer)
    reason: str  # Russian: «нехватка: „не хватает“», «названо», «обученный слой: …»
    confidence: str  # "high", "medium" (named without a predicate) or "low" (typo match, learned code)
    source: str = RULES  # "rules" (the codebook) or "learned" (the learned layer)

    def __str__(self) -> str:
        return f"{self.category}: «{self.text}» [{self.start}:{self.end}] ({self.reason})"

    def moved(self, offset: int) -> Evidence:
        """The same evidence with its offsets moved by ``offset``."""
        if not offset:
            return self  # immutable: the first sentence's evidence is shared as it is
        c, text, start, end, pattern, reason, confidence, source = self
        return Evidence(c, text, start + offset, end + offset, pattern, reason, confidence, source)


@dataclass
class AnswerCoding:
    """The coding of one answer.

    ``learned`` maps the categories the learned layer added to their probability;
    ``probabilities`` holds the learned layer's probability of every category (empty
    when the layer is off); ``named`` are the categories whose patterns matched somewhere
    in the answer, coded or not.
    """

    codes: dict[str, int]
    evidence: list[Evidence] = field(default_factory=list)
    denials: list[Evidence] = field(default_factory=list)
    probabilities: dict[str, float] = field(default_factory=dict)
    learned: dict[str, float] = field(default_factory=dict)
    named: set[str] = field(default_factory=set)  # categories the codebook's patterns matched
    settled: set[str] = field(default_factory=set)  # of those, named as sufficient or as a topic

    @property
    def categories(self) -> list[str]:
        return [k for k, v in self.codes.items() if v]

    def copy(self) -> AnswerCoding:
        """A copy whose codes, lists and sets can be changed without touching this one (the
        evidence items themselves are immutable and shared)."""
        return AnswerCoding(
            dict(self.codes),
            list(self.evidence),
            list(self.denials),
            dict(self.probabilities),
            dict(self.learned),
            set(self.named),
            set(self.settled),
        )

    @property
    def denied(self) -> list[str]:
        """Categories the answer explicitly says are not a problem (and are not coded)."""
        seen = []
        for d in self.denials:
            if d.category and not self.codes.get(d.category) and d.category not in seen:
                seen.append(d.category)
        return seen

    def confidence(self, category: str) -> str:
        """``high``, ``medium`` or ``low`` for a coded category (a learned code is ``low``)."""
        levels = [e.confidence for e in self.evidence if e.category == category]
        for level in CONFIDENCE_LEVELS:
            if level in levels:
                return level
        return ""

    def source(self, category: str) -> str:
        """``rules`` or ``learned`` for a coded category, ``""`` for an uncoded one."""
        if not self.codes.get(category):
            return ""
        return LEARNED if category in self.learned else RULES

    def evidence_text(self) -> str:
        """``distance: «нет прямых рейсов» [31:48]; covid: «пандемия» [0:8]``; a learned code
        is marked with its probability and words: ``interest≈0.74: «…» [0:40] (обученный слой:
        руководство, новый)``."""
        parts = []
        for e in self.evidence:
            if e.source == LEARNED:
                p = self.learned.get(e.category, 0.0)
                parts.append(f"{e.category}≈{p:.2f}: «{e.text}» [{e.start}:{e.end}] ({e.reason})")
            else:
                parts.append(f"{e.category}: «{e.text}» [{e.start}:{e.end}]")
        return "; ".join(parts)

    def denial_text(self) -> str:
        return "; ".join(f"{d.category or 'общее'}: «{d.text}» [{d.start}:{d.end}]" for d in self.denials)


def outermost(items: list[Evidence]) -> list[Evidence]:
    """Drop evidence lying inside other evidence of the same category, and duplicates."""
    if len(items) < 2 or len({e.category for e in items}) == len(items):
        return list(items)  # one item per category: nothing can lie inside another
    by_category: dict[str, list[Evidence]] = {}
    for e in items:
        by_category.setdefault(e.category, []).append(e)
    out: list[Evidence] = []
    seen: set[tuple[str, int, int]] = set()
    for e in items:
        category, start, end = e.category, e.start, e.end
        same = by_category[category]
        if (category, start, end) in seen or (
            len(same) > 1 and any(o.start <= start and end <= o.end and o.end - o.start > end - start for o in same)
        ):
            continue
        seen.add((category, start, end))
        out.append(e)
    return out
