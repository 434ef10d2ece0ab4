"""Decision: from the hits and the negation scope of a clause to codes with evidence.

Per hit (:func:`decide_clause`):

* a ``no_problems`` pattern («в рабочем порядке») is a general denial of problems;
* a hit in an exception segment («кроме нехватки переводчиков») is coded;
* a hit that a negation denies is kept as a denial ("no problem with X");
* ``terms`` are coded; ``needs`` and ``needs_strict`` are coded when a shortage cue or a
  problem word applies, and ``needs`` also when the clause just names them without a
  predicate (a list item «Финансирование.»), unless it is a topic («сотрудничество в сфере
  транспорта») or said to be fine. What is left is *pending*: a later clause may refer
  back to it («финансирование есть, но его не хватает»).

Per answer (:func:`refer_back`, :func:`finish_no_problems`): clauses that refer back, a
question answered «Нет, …», and ``no_problems`` when the answer denies problems in general
and codes nothing else but the categories in its ``compatible_with``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from survey.coding.clauses import Clause
from survey.coding.evidence import AnswerCoding, Evidence
from survey.coding.matching import Hit
from survey.coding.negation import Scope
from survey.coding.tokens import Words
from survey.spec.codebook import BIT, Category

# words that make a clause worth analysing even without a codebook match
CODED, DENIED = "coded", "denied"
QUICK_CHECK = BIT["problem_words"] | BIT["negators"] | BIT["absence"] | BIT["shortage_cues"] | BIT["problem_verbs"]


@dataclass
class ClauseOutcome:
    """What one clause gave, before the answer-level pass (anaphora, «X? Нет, …»)."""

    coded: list[Evidence] = field(default_factory=list)
    denied: list[Evidence] = field(default_factory=list)
    general: list[Evidence] = field(default_factory=list)  # «проблем нет», «в рабочем порядке»
    pending: list[Evidence] = field(default_factory=list)  # resources named without a cue
    orphan_cue: str | None = None  # a shortage cue that found no resource of its own
    anaphoric: bool = False  # refers back: «его», «их», «это»
    starts_with_no: bool = False  # «Нет, …» answering a question before it
    sentence: int = 0
    question: bool = False  # the clause ends with «?»

    def shifted(self, offset: int, sentence: int) -> ClauseOutcome:
        """A copy with evidence offsets moved by ``offset`` (the sentence's place in the
        answer) and the sentence number of the answer."""
        return ClauseOutcome(
            [e.moved(offset) for e in self.coded],
            [e.moved(offset) for e in self.denied],
            [e.moved(offset) for e in self.general],
            [e.moved(offset) for e in self.pending],
            self.orphan_cue,
            self.anaphoric,
            self.starts_with_no,
            sentence,
            self.question,
        )


def decide_clause(
    words: Words,
    clause: Clause,
    hits: list[Hit],
    scope_of,
    no_problems: Category | None,
) -> ClauseOutcome:
    """Code one clause: ``scope_of(hits)`` builds its :class:`Scope` when it is needed."""
    toks, masks = words.toks, words.masks
    order = clause.tokens
    outcome = ClauseOutcome(question=clause.question)
    outcome.anaphoric = any(masks[i] & BIT["anaphora"] for i in order)
    first = toks[order[0]]
    outcome.starts_with_no = first.lower in ("нет", "нету") and (
        len(order) == 1 or any(toks[x][3] is None for x in range(order[0] + 1, order[1]))
    )
    if not hits and not any(masks[i] & QUICK_CHECK for i in order):
        return outcome  # nothing named, nothing denied, no cue to pass on
    if not hits and not any(masks[i] & BIT["problem_words"] for i in order):
        # only a cue that may refer back («…, но его не хватает»): no need for the rest
        cue = next(i for i in order if masks[i] & QUICK_CHECK)
        outcome.orphan_cue = toks[cue].text
        return outcome
    scope: Scope = scope_of(hits)
    no_problems_id = no_problems.id if no_problems is not None else None
    has_positive = any((masks[i] & BIT["positive"]) and i not in scope.consumed for i in order)
    nominal = not clause.has_predicate
    used_cues: set[int] = set()
    for h in hits:
        cat = h.category
        start, end = toks[h.first].start, toks[h.last].end
        found = Evidence(cat, words.text[start:end], start, end, h.pattern.text, "", "high")
        if cat == no_problems_id:
            if not any(p in scope.neutral for p in h.positions) and not scope.negated_before(clause.position[h.first]):
                outcome.general.append(found._replace(reason="названо"))
            continue
        decided = _decide_hit(h, found, clause, scope, words, nominal, has_positive, used_cues)
        if decided is None:
            outcome.pending.append(found)
        elif decided[0] == DENIED:
            outcome.denied.append(decided[1])
        else:
            outcome.coded.append(decided[1])
    resource_segments = {clause.segment[o.first] for o in hits if o.kind != "terms"}
    free_cues = [c for c in scope.cues if c not in used_cues and clause.segment_of(c) not in resource_segments]
    if free_cues:
        outcome.orphan_cue = toks[order[free_cues[0]]].text
    # general denials: a denied problem word whose span has no match («проблем нет»)
    for lo, hi, _cue in scope.spans:
        if not any(
            lo <= clause.segment[h.first] <= hi
            and clause.segment[h.first] not in clause.exception_segments
            and h.category != no_problems_id
            for h in hits
        ):
            inside = [i for i in order if lo <= clause.segment[i] <= hi]
            start, end = toks[inside[0]].start, toks[inside[-1]].end
            outcome.general.append(Evidence("", words.text[start:end], start, end, "", "отрицание проблем", "high"))
    return outcome


def _decide_hit(
    h: Hit,
    found: Evidence,
    clause: Clause,
    scope: Scope,
    words: Words,
    nominal: bool,
    has_positive: bool,
    used_cues: set[int],
) -> tuple[str, Evidence] | None:
    """``(CODED, evidence)`` or ``(DENIED, evidence)`` for a hit, or None when the hit is
    only named (pending)."""
    toks, order = words.toks, clause.tokens
    typo_note = "; опечатка: " + ", ".join(f"«{a}» ≈ «{b}»" for a, b in h.fuzzy) if h.fuzzy else ""

    def coded(reason: str, confidence: str) -> tuple[str, Evidence]:
        return CODED, found._replace(reason=reason + typo_note, confidence="low" if h.fuzzy else confidence)

    def denied(reason: str) -> tuple[str, Evidence]:
        return DENIED, found._replace(reason=reason)

    hs = clause.segment[h.first]
    if hs in clause.exception_segments:
        return coded("названо как исключение («кроме …»)", "high")
    if id(h) in scope.direct_denied:
        return denied("отрицание")
    span = scope.denial_for(h)
    if span is not None:
        return denied(f"отрицание «{toks[span[2]].text}»")
    if scope.contrasted(h):
        return denied("отрицание")
    if h.kind == "terms":
        return coded("названа проблема", "high")
    c = scope.shortage_for(h)
    if c is not None:
        used_cues.add(c)
        return coded(f"нехватка: «{toks[order[c]].text}»", "high")
    pw = scope.problem_word_for(h)
    if pw is not None:
        return coded(f"проблема: «{toks[order[pw]].text}»", "high")
    if h.kind == "needs" and nominal and not has_positive and not is_topic(h, clause, words):
        return coded("названо в перечне", "medium")
    return None


def is_topic(h: Hit, clause: Clause, words: Words) -> bool:
    """A topic marker just before or after the hit, in its segment: «в сфере транспорта»,
    «логистика как направление»."""
    order, seg, masks = clause.tokens, clause.segment, words.masks
    k0 = clause.position[h.first]
    for j in range(max(0, k0 - 3), k0):
        if seg[order[j]] == seg[h.first] and (masks[order[j]] & BIT["topic_markers"]):
            return True
    k1 = clause.position[h.last]
    return bool(
        k1 + 1 < len(order) and (masks[order[k1 + 1]] & BIT["topic_markers"]) and seg[order[k1 + 1]] == seg[h.last]
    )


def refer_back(outcomes: list[ClauseOutcome]) -> None:
    """Answer-level pass over neighbouring clauses.

    * «Финансирование есть, но его не хватает»: a shortage with a pronoun and no
      resource of its own applies to the resources of the clause before.
    * «Расстояние большое, но это не помеха»: a general denial with «это» denies what
      the clause before named.
    * «Разница в менталитете? Нет, …»: a question answered «нет» is denied.
    """
    for prev, cur in zip(outcomes, outcomes[1:]):
        same_sentence = prev.sentence == cur.sentence
        if same_sentence and cur.anaphoric and cur.orphan_cue and prev.pending:
            for e in prev.pending:
                prev.coded.append(e._replace(reason=f"нехватка: «{cur.orphan_cue}» (о сказанном выше)"))
            prev.pending = []
        denies_prev = (same_sentence and cur.anaphoric and cur.general and not cur.coded) or (
            prev.question and cur.starts_with_no
        )
        if denies_prev and prev.coded:
            prev.denied.extend(e._replace(reason="отрицание (о сказанном выше)", confidence="high") for e in prev.coded)
            prev.coded = []
            if cur.general:
                cur.general = [g for g in cur.general if g.category]


def finish_no_problems(coding: AnswerCoding, general: list[Evidence], no_problems: Category | None) -> None:
    """Code ``no_problems`` when the answer denies problems in general and nothing but the
    categories of its ``compatible_with`` is coded; otherwise keep the general denials."""
    if no_problems is None or not general:
        return
    allowed = set(no_problems.compatible_with) | {no_problems.id}
    if any(v and k not in allowed for k, v in coding.codes.items()):
        coding.denials.extend(e for e in general if not e.category)
        return
    cid = no_problems.id
    coding.codes[cid] = 1
    for e in general:
        coding.evidence.append(
            Evidence(
                cid,
                e.text,
                e.start,
                e.end,
                e.pattern or "проблем нет",
                e.reason if e.category else "отрицание проблем в целом",
                "high",
            )
        )
