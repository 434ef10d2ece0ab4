"""Where a human look pays: how uncertain the coding of an answer is, and why.

:func:`review_flags` scores one :class:`~survey.coding.evidence.AnswerCoding`; the coding
sheet (:func:`survey.coding.review.write_coding_sheet`) sorts answers by the score, most
uncertain first, and says how many to review first (score ≥ :data:`REVIEW_FIRST`).

Flags and their weights:

====================================================  ======  ==========================================
flag                                                  weight  reason shown (Russian)
====================================================  ======  ==========================================
a code added by the learned layer                        3    «добавлено обученным слоем: interest (0.71)»
a rule code the learned layer gives < 0.1                3    «правила и обученный слой расходятся: …»
not coded, learned probability ≥ 0.5                     2    «возможно: +legal (0.58)»
a rule code matched through a typo (low confidence)     2    «опечатка: covid»
a list item without a predicate (medium confidence)     1    «названо без сказуемого: funding»
a category the answer denies                             1    «отрицание: legal»
a non-empty answer with no code at all                  1    «ничего не закодировано»
====================================================  ======  ==========================================

The score is the sum of the weights plus a tie-breaker below 1: how close the layer's most
doubtful probability is to 0.5. Answers scoring 3 or more (a learned code, a disagreement,
or two weaker flags together) are the ones to review first.

>>> from survey.coding.evidence import AnswerCoding, Evidence
>>> c = AnswerCoding({"covid": 1, "legal": 0}, [Evidence("covid", "Каронавирус", 0, 11, "", "", "low")])
>>> review_flags(c)
(2.0, 'опечатка: covid')
"""

from __future__ import annotations

from survey.coding.evidence import AnswerCoding

REVIEW_FIRST = 3.0  # answers scoring at least this are listed as "review first"
DISAGREE = 0.1  # a rule code the learned layer gives less than this is flagged
POSSIBLE = 0.5  # an uncoded category the learned layer gives at least this is flagged


def review_flags(coding: AnswerCoding, text: str | None = "x") -> tuple[float, str]:
    """``(score, reasons)`` of one answer (``text`` only matters when it is empty)."""
    score = 0.0
    reasons: list[str] = []
    p = coding.probabilities
    if coding.learned:
        score += 3
        reasons.append("добавлено обученным слоем: " + ", ".join(f"{c} ({v:.2f})" for c, v in coding.learned.items()))
    disagree = [c for c in coding.categories if c not in coding.learned and c in p and p[c] < DISAGREE]
    if disagree:
        score += 3
        reasons.append("правила и обученный слой расходятся: " + ", ".join(f"{c} ({p[c]:.2f})" for c in disagree))
    possible = [c for c, v in p.items() if not coding.codes.get(c) and v >= POSSIBLE]
    if possible:
        score += 2
        reasons.append("возможно: " + ", ".join(f"+{c} ({p[c]:.2f})" for c in possible))
    rule_codes = [c for c in coding.categories if c not in coding.learned]
    typos = [c for c in rule_codes if coding.confidence(c) == "low"]
    if typos:
        score += 2
        reasons.append("опечатка: " + ", ".join(typos))
    listed = [c for c in rule_codes if coding.confidence(c) == "medium"]
    if listed:
        score += 1
        reasons.append("названо без сказуемого: " + ", ".join(listed))
    if coding.denied:
        score += 1
        reasons.append("отрицание: " + ", ".join(coding.denied))
    if text and str(text).strip() and not coding.categories:
        score += 1
        reasons.append("ничего не закодировано")
    if p:
        score += max(0.0, 1 - 2 * min(abs(v - 0.5) for v in p.values())) * 0.99
    return round(score, 3), "; ".join(reasons)
