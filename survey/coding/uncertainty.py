"""Where a human look pays: how likely the coding of an answer is to be wrong, and why.

:func:`review_flags` scores one :class:`~survey.coding.evidence.AnswerCoding`; the coding
sheet (:func:`survey.coding.review.write_coding_sheet`) sorts answers by the score, most
doubtful first, and says how many to review first (score ≥ :data:`REVIEW_FIRST`).

The score is a weighted sum of what tells an answer's coding may be wrong
(:func:`review_features`). The weights are those of a logistic regression of "the answer has a
wrong code" on these features over the 8,880 answers of the independent corpus, each part coded
with the learned layer trained on the *other* parts, so that the layer's probabilities are what
they are on a study's new answers (``bench/review_ranking.py``; fitted on all parts but one, each
part ranks better than with the earlier weights):

=================================================  ======  ============================================
feature                                            weight  reason shown (Russian)
=================================================  ======  ============================================
length: ln(1 + words)                                0.4   —
doubt: 1 − the layer's lowest probability            1.0   «правила и обученный слой расходятся: …»
of a rule code                                             (shown below 0.1)
possible: the layer's highest probability of         0.9   «возможно: +legal (0.58)» (shown from 0.5)
an uncoded category
expected: how many codes the layer expects to        1.3   — (the two reasons above name the largest
differ, Σ (1 − p) over the coded categories                parts)
+ Σ p over the uncoded ones
nothing coded in a non-empty answer                  1.2   «ничего не закодировано»
a code added by the learned layer                    1.2   «добавлено обученным слоем: interest (0.71)»
a list item without a predicate                      0.2   «названо без сказуемого: funding»
a category's pattern matched but not coded           0     «названо, но не закодировано: …»
a rule code matched through a typo                   0     «опечатка: covid»
=================================================  ======  ============================================

The last two are shown but do not raise the score: fitted, their weights were 0.0 and −0.3 (a
code matched through a typo was wrong less often than others). Nor does a category the answer
denies («отрицание: legal»): answers with an explicit denial were wrong less often, not more.
Without the learned layer, doubt, possible and expected are 0.

>>> from survey.coding.evidence import AnswerCoding, Evidence
>>> c = AnswerCoding({"covid": 0, "legal": 0}, [])
>>> review_flags(c, "Каронавирус")
(1.477, 'ничего не закодировано')
"""

from __future__ import annotations

import math

from survey.coding.evidence import AnswerCoding

FEATURES = ("length", "doubt", "possible", "expected", "nothing", "named", "learned", "typo", "listed")
WEIGHTS = {
    "length": 0.4,
    "doubt": 1.0,
    "possible": 0.9,
    "expected": 1.3,
    "nothing": 1.2,
    "named": 0.0,
    "learned": 1.2,
    "typo": 0.0,
    "listed": 0.2,
}
# answers scoring at least this are listed as "review first": one in five of the corpus's
# answers, holding two in five of those with a wrong code (bench/review_ranking.py; 4.5 until the
# layer's C rose to 100, after which 4.5 marked one in eight: README «Reviewing the coding»)
REVIEW_FIRST = 4.0
DISAGREE = 0.1  # a rule code the learned layer gives less than this is named in the reason
POSSIBLE = 0.5  # an uncoded category the learned layer gives at least this is named in the reason


def review_features(coding: AnswerCoding, text: str | None) -> list[float]:
    """The values of :data:`FEATURES` for one answer."""
    p = coding.probabilities
    rule_codes = [c for c in coding.categories if c not in coding.learned]
    uncoded = [v for c, v in p.items() if not coding.codes.get(c)]
    words = len(str(text).split()) if text else 0
    return [
        math.log1p(words),
        1 - min((p.get(c, 1.0) for c in rule_codes), default=1.0),
        max(uncoded, default=0.0),
        sum(1 - v for c, v in p.items() if coding.codes.get(c)) + sum(uncoded),
        float(words > 0 and not coding.categories),
        float(bool(coding.named - set(coding.categories))),
        float(bool(coding.learned)),
        float(any(coding.confidence(c) == "low" for c in rule_codes)),
        float(any(coding.confidence(c) == "medium" for c in rule_codes)),
    ]


def review_flags(coding: AnswerCoding, text: str | None = "x") -> tuple[float, str]:
    """``(score, reasons)`` of one answer."""
    values = review_features(coding, text)
    score = sum(WEIGHTS[f] * v for f, v in zip(FEATURES, values))
    return round(score, 3), "; ".join(_reasons(coding, text))


def _reasons(coding: AnswerCoding, text: str | None) -> list[str]:
    """What the coding sheet shows of an answer's flags, in Russian."""
    p = coding.probabilities
    reasons: list[str] = []
    if coding.learned:
        reasons.append("добавлено обученным слоем: " + ", ".join(f"{c} ({v:.2f})" for c, v in coding.learned.items()))
    disagree = [c for c in coding.categories if c not in coding.learned and c in p and p[c] < DISAGREE]
    if disagree:
        reasons.append("правила и обученный слой расходятся: " + ", ".join(f"{c} ({p[c]:.2f})" for c in disagree))
    possible = [c for c, v in p.items() if not coding.codes.get(c) and v >= POSSIBLE]
    if possible:
        reasons.append("возможно: " + ", ".join(f"+{c} ({p[c]:.2f})" for c in possible))
    rule_codes = [c for c in coding.categories if c not in coding.learned]
    typos = [c for c in rule_codes if coding.confidence(c) == "low"]
    if typos:
        reasons.append("опечатка: " + ", ".join(typos))
    listed = [c for c in rule_codes if coding.confidence(c) == "medium"]
    if listed:
        reasons.append("названо без сказуемого: " + ", ".join(listed))
    named = sorted(coding.named - set(coding.categories) - set(coding.denied))
    if named:
        reasons.append("названо, но не закодировано: " + ", ".join(named))
    if coding.denied:
        reasons.append("отрицание: " + ", ".join(coding.denied))
    if text and str(text).strip() and not coding.categories:
        reasons.append("ничего не закодировано")
    return reasons
