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

import re
from dataclasses import dataclass, field

from survey.base.lemmatize import Token
from survey.coding.clauses import (
    PARENTHETICAL_WORDS,
    Clause,
    cue_phrase_words,
    filler_words,
    is_cue,
    lexicon_places,
)
from survey.coding.evidence import AnswerCoding, Evidence
from survey.coding.matching import Hit
from survey.coding.negation import DASHES, DISMISSAL_COMPANY, Scope, belittles, dismissal_places, rather_than_at
from survey.coding.tokens import Words
from survey.spec.codebook import BIT, Category, Rules

CODED, DENIED = "coded", "denied"
ONLY_NAMED = "названное — единственная проблема"  # reason of a no_problems ``needs`` phrase
# «других проблем нет», «иных трудностей не вижу»: a denial of the problems besides the named one
OTHER_THAN = frozenset({"других", "другие", "другой", "иных", "иные", "иной", "остальных", "прочих"})
CONCEDING = frozenset({"хотя", "но", "однако", "впрочем", "зато"})  # openers after which a difficulty is conceded
PROBLEM_WORD_REASON = "проблема: "  # a resource coded with a problem word: «сложности с визами»
# words that make a clause worth analysing even without a codebook match
QUICK_CHECK = BIT["problem_words"] | BIT["negators"] | BIT["absence"] | BIT["shortage_cues"] | BIT["problem_verbs"]
# words that call something small: the scope must be read even when nothing is named
SMALL = BIT["minimizers"] | BIT["size_words"]
# what a clause says about time and weight (ClauseOutcome.marks), for the answer-level pass:
#   past, now, persistent — lexicons past_markers, now_markers, persistence;
#   past_tense — a past-tense verb; resolved — «решили», «сняли» (perfective, not negated);
#   positive — a word of rules.positive, not negated; minimised — «мелочь», «не такое уж большое»;
#   bare_no — the clause is only «Нет», «Никаких», «Ничего существенного»;
#   label — the clause is only a problem word before a colon, a form's heading: «Проблемы: нет»;
#   coped — «привыкли», «приспособились» (lexicon coping, not negated); coped_all — with «с ними», «к ним»;
#   accustomed — coped, and not only managed («привыкли», not «справляемся»);
#   reframed — «особенности», «нюансы» (lexicon reframes, not negated): what is named is a feature;
#   dismissed — a predicate of rules.dismissals («это в прошлом», «переждали», «это решаемо»);
#   conceding — the clause opens with «но», «однако», «хотя»… (CONCEDING): a difficulty is conceded.
CLAUSE_MARKS = (
    "past",
    "now",
    "persistent",
    "past_tense",
    "resolved",
    "positive",
    "minimised",
    "bare_no",
    "label",
    "coped",
    "conceding",
    "coped_all",
    "accustomed",
    "reframed",
    "dismissed",
)
_LEXICON_MARKS = (("past_markers", "past"), ("now_markers", "now"), ("persistence", "persistent"))
_WORD_MARKS = BIT["resolution"] | BIT["positive"] | BIT["coping"]
_PAST_FORM = re.compile(r"(?:л|ла|ло|ли)(?:сь|ся)?$")
BARE_CUE_COMPANY = frozenset({"CONJ", "PRCL", "ADVB"})  # «но, к сожалению, очень медленно»
DEMONSTRATIVES = frozenset({"такой", "этот", "тот", "подобный", "аналогичный"})
REFERRING = frozenset({"это", "этого", "этим", "его", "её", "ее", "их", "он", "она", "оно", "они"})
_CLOSED_MARKS = frozenset({"resolved", "positive", "minimised", "coped", "past", "past_tense"})  # no open problem
_LABEL_WORDS = BIT["problem_words"] | BIT["main_markers"] | BIT["size_words"] | BIT["skip_after_negator"]
BARE_NO = frozenset({"нет", "нету", "никаких", "никакие", "никакой", "ничего", "ничто", "никак", "отсутствуют"})
# parenthetical openers before an elliptic denial: «Если честно — никаких», «Честно говоря, нет»
OPENERS = frozenset(
    {
        "если",
        "честно",
        "откровенно",
        "говоря",
        "сказать",
        "по",
        "правде",
        "ну",
        "да",
        "пожалуй",
        "скорее",
        "наверное",
        # «Как правило, никаких», «В большинстве случаев нет», «В целом нет»
        "как",
        "правило",
        "в",
        "большинстве",
        "случаев",
        "целом",
        "основном",
    }
)
# «Ковид. Всё.», «Пандемия, и всё.», «Вот и всё.»: the answer's last words close the list
THAT_IS_ALL = frozenset({"все", "только"})
THAT_IS_ALL_COMPANY = frozenset({"и", "вот", "на", "этом", "собственно", "пожалуй", "да", "ну"})


@dataclass(slots=True)
class ClauseOutcome:
    """What one clause gave, before the answer-level pass (anaphora, «X? Нет, …»)."""

    coded: list[Evidence] = field(default_factory=list)
    denied: list[Evidence] = field(default_factory=list)
    general: list[Evidence] = field(default_factory=list)  # «проблем нет», «в рабочем порядке»
    pending: list[Evidence] = field(default_factory=list)  # resources named without a cue
    orphan_cue: str | None = None  # a shortage cue with no resource of its own, or said of «его»
    anaphoric: bool = False  # refers back: «его», «их», «это»
    starts_with_no: bool = False  # «Нет, …» answering a question before it
    refers: bool = False  # a pronoun that stands for what was said: «это», «его», «их» (not «у них»)
    sentence: int = 0
    question: bool = False  # the clause ends with «?»
    marks: frozenset[str] = frozenset()  # see CLAUSE_MARKS
    elliptic: Evidence | None = None  # «Нет.», «Никаких.»: a denial when it opens the answer
    closing: Evidence | None = None  # «Всё.», «… и всё.»: the named are the only ones, when it ends the answer
    named: frozenset[str] = frozenset()  # categories with a pattern match, coded or not
    settled: frozenset[str] = frozenset()  # named as sufficient or as a topic: «бюджет есть», «в сфере транспорта»
    open_problem: bool = False  # «главная трудность — погода»: a difficulty of no category
    bare_cue: bool = False  # only a shortage cue, no predicate, nothing named: «…, но медленно»

    def shifted(self, offset: int, sentence: int) -> ClauseOutcome:
        """A copy with evidence offsets moved by ``offset`` (the sentence's place in the
        answer) and the sentence number of the answer."""
        return ClauseOutcome(
            [e.moved(offset) for e in self.coded] if self.coded else [],
            [e.moved(offset) for e in self.denied] if self.denied else [],
            [e.moved(offset) for e in self.general] if self.general else [],
            [e.moved(offset) for e in self.pending] if self.pending else [],
            self.orphan_cue,
            self.anaphoric,
            self.starts_with_no,
            self.refers,
            sentence,
            self.question,
            self.marks,
            self.elliptic.moved(offset) if self.elliptic is not None else None,
            self.closing.moved(offset) if self.closing is not None else None,
            self.named,
            self.settled,
            self.open_problem,
            self.bare_cue,
        )

    @property
    def denies_all(self) -> bool:
        """The clause denies problems in general («проблем нет», «это не помеха»), not one category."""
        return any(not g.category for g in self.general)

    def spend_denial(self) -> None:
        """Its general denial was said of another clause («…, но это не помеха»): it no longer
        counts toward «no problems» (a category's own stays)."""
        self.general = [g for g in self.general if g.category]

    def deny(self, reason: str, keep: frozenset[str] | set[str] = frozenset()) -> None:
        """Move the coded evidence (except categories in ``keep``) to the denials."""
        moved = [e for e in self.coded if e.category not in keep]
        if moved:
            self.denied.extend(e._replace(reason=reason, confidence="high") for e in moved)
            self.coded = [e for e in self.coded if e.category in keep]


def decide_clause(
    words: Words,
    clause: Clause,
    hits: list[Hit],
    scope_of,
    no_problems: Category | None,
    rules: Rules,
) -> ClauseOutcome:
    """Code one clause: ``scope_of(hits)`` builds its :class:`Scope` when it is needed."""
    toks, masks = words.toks, words.masks
    order = clause.tokens
    outcome = ClauseOutcome(question=clause.question)
    outcome.anaphoric = any(masks[i] & BIT["anaphora"] for i in order)
    outcome.refers = outcome.anaphoric and any(_referring(toks, order, k) for k in range(len(order)))
    first = toks[order[0]]
    outcome.starts_with_no = first.lower in ("нет", "нету") and (
        len(order) == 1 or any(toks[x][3] is None for x in range(order[0] + 1, order[1]))
    )
    wish = cue_phrase_words(words, order, rules)  # «хорошо бы»: not a positive word
    marks = clause_marks(words, clause, rules, wish)
    if no_problems is not None:
        outcome.closing = _that_is_all(words, clause, no_problems)
    if "bare_no" in marks:
        seg0 = bare_segment(words, clause)
        start, end = toks[seg0[0]].start, toks[seg0[-1]].end
        outcome.elliptic = Evidence("", words.text[start:end], start, end, "", "отрицание проблем (кратко)", "high")
    small = "minimised" in marks or any(masks[i] & SMALL for i in order)

    def cue_at(k: int) -> bool:
        return bool(masks[order[k]] & QUICK_CHECK) or is_cue(words, order, rules, k)

    cue = next((i for k, i in enumerate(order) if cue_at(k)), None)
    if not hits and not small:
        if cue is None:
            outcome.marks = frozenset(marks)
            return outcome  # nothing named, nothing denied, no cue to pass on
        if not any(masks[i] & (BIT["problem_words"] | BIT["problem_verbs"]) for i in order) and not any(
            rather_than_at(words, order, k, rules) for k in range(len(order) - 1)
        ):
            # only a cue that may refer back («…, но его не хватает», «…, но хорошо бы его увеличить»)
            outcome.orphan_cue = toks[cue].text
            outcome.bare_cue = toks[cue].lower not in BARE_NO and all(
                cue_at(k) or toks[i].info.pos in BARE_CUE_COMPANY for k, i in enumerate(order)
            )
            outcome.marks = frozenset(marks)
            return outcome
    outcome.named = frozenset(h.category for h in hits)
    scope: Scope = scope_of(hits)
    if scope.minimised:
        marks.add("minimised")
    outcome.marks = frozenset(marks)
    no_problems_id = no_problems.id if no_problems is not None else None
    # a positive word that is part of a pattern («регулярное сообщение») does not count, except
    # in a no_problems pattern («всё в порядке») or as the pattern's predicate («трое владеют
    # китайским»: the resource is there)
    named = {p for h in hits if h.category != no_problems_id for p in h.positions if not toks[p].info.predicate}
    # «Визы и билеты, всё остальное решается в рабочем порядке»: what a comma part says of the rest
    # («остальное», «прочее») is not said of what was named
    rest = _rest_words(clause, words)
    has_positive = any(
        (masks[i] & BIT["positive"]) and i not in named and i not in wish and i not in rest for i in order
    )
    # a named item outside the parts about the rest is in a list when only those parts have a predicate
    nominal = not clause.has_predicate
    listed_apart = bool(rest) and not any(
        has for seg, has in clause.segment_has_predicate.items() if not _rest_segment(clause, seg, rest)
    )
    used_cues: set[int] = set()
    settled: set[str] = set()
    general_hits = []
    phrases = {p for h in hits if h.category == no_problems_id for p in h.positions}  # «no problems» words
    for h in hits:
        cat = h.category
        start, end = toks[h.first].start, toks[h.last].end
        found = Evidence(cat, words.text[start:end], start, end, h.pattern.text, "", "high")
        if cat == no_problems_id:
            # «не назову ничего серьёзного»: «ничего» after «не» is negative concord, not a negation
            concord = toks[h.first][4] in BARE_NO
            if (
                not any(p in scope.neutral for p in h.positions)
                and (concord or not scope.negated_before(clause.position[h.first]))
                and not _slowed(h, clause, words, rules, phrases)
            ):
                # a ``needs`` phrase says the named problem is the only one («Пандемия. Больше
                # ничего.»): it needs a compatible category in the answer (finish_no_problems)
                only = h.kind == "needs" or _besides_named(toks, h.positions)
                general_hits.append(found._replace(reason=ONLY_NAMED if only else "названо"))
            continue
        apart = listed_apart and h.first not in rest
        decided = _decide_hit(h, found, clause, scope, words, nominal or apart, has_positive, used_cues, rest)
        if decided is None:
            outcome.pending.append(found)
            if has_positive or is_topic(h, clause, words):
                settled.add(cat)
        elif decided[0] == DENIED:
            outcome.denied.append(decided[1])
        else:
            outcome.coded.append(decided[1])
    outcome.settled = frozenset(settled)
    # «с согласованиями и финансированием всё в порядке» is about them, not about everything;
    # «никаких трудностей бы не было» is a condition, not a denial
    # («если бы не пандемия, проблем бы не было» names an exception, as «кроме пандемии» does)
    hypothetical = _hypothetical(words, order, rules) and not (
        clause.exception_segments or lexicon_places(words, list(range(len(toks))), rules, "exceptions")
    )
    if not outcome.pending and not hypothetical:
        outcome.general.extend(general_hits)
    resource_segments = {clause.segment[o.first] for o in hits if o.kind != "terms"}
    free_cues = [c for c in scope.cues if c not in used_cues and clause.segment_of(c) not in resource_segments]
    if free_cues:
        outcome.orphan_cue = toks[order[free_cues[0]]].text
    elif outcome.refers:  # «…, но его не хватает даже на ноутбуки»: the pronoun is what is short
        said_of = [c for c in scope.cues if _after_pronoun(toks, order, c)]
        if said_of:
            outcome.orphan_cue = toks[order[said_of[0]]].text
    # general denials: a denied problem word whose span has no match («проблем нет»)
    for lo, hi, cue in [] if hypothetical else scope.spans:
        if cue not in scope.local_denials and not any(
            lo <= clause.segment[h.first] <= hi
            and clause.segment[h.first] not in clause.exception_segments
            and h.category != no_problems_id
            and not _outside_rest(cue, h, rest)
            for h in hits
        ):
            inside = [i for i in order if lo <= clause.segment[i] <= hi]
            if cue in rest:  # «Визы, в остальном проблем нет»: the denial is the part about the rest
                inside = [i for i in inside if i in rest] or inside
            if _said_of_one(words, inside):
                continue
            start, end = toks[inside[0]].start, toks[inside[-1]].end
            # «Других серьёзных проблем не вижу»: the problem named before is the only one — like
            # «больше ничего», it counts only beside a category compatible with «no problems»
            reason = ONLY_NAMED if _besides_named(toks, inside) else "отрицание проблем"
            outcome.general.append(Evidence("", words.text[start:end], start, end, "", reason, "high"))
    if no_problems is not None and outcome.coded:
        _sole_problem(outcome, words, clause, rules, no_problems)
    if {"past", "now"} <= marks and "persistent" not in marks and outcome.coded:
        _past_then_now(outcome, words, clause, rules)
    if clause.exception_segments:
        _none_but_exception(outcome, words, clause)
    # a problem word said of something no category covers («основная трудность — погода»)
    outcome.open_problem = _open_problem(outcome, scope, words, clause, marks)
    return outcome


def _besides_named(toks, positions) -> bool:
    """The denial is of the problems besides the one named: «Других проблем нет» (:data:`OTHER_THAN`)."""
    return any(toks[i][4] in OTHER_THAN for i in positions)


def _said_of_one(words: Words, inside: list[int]) -> bool:
    """The denied problem word is one problem pointed at, not problems at all: «такой проблемы
    нет», «этой трудности не возникает» (of a problem said before, or of another partner: «с
    финнами такой проблемы не возникает»)."""
    masks, lemmas, toks = words.masks, words.lemmas, words.toks
    return any(
        masks[i] & BIT["problem_words"]
        and k > 0
        and not DEMONSTRATIVES.isdisjoint(lemmas[inside[k - 1]])
        and toks[inside[k - 1]][4] != "это"  # «это вопрос привычки»: a pronoun, not «этот вопрос»
        for k, i in enumerate(inside)
    )


def _hypothetical(words: Words, order: list[int], rules: Rules) -> bool:
    """A conditional denial: «бы» with a negation next to it, «трудностей бы не было», «не было
    бы проблем», «сложностей не возникло бы» (not «я бы не сказал, что …» nor a polite denial of
    ``rules.polite``, «проблем я бы не выделял», «я бы не стал говорить о проблемах», nor «бы»
    inside a filler of ``rules.fillers``: «это как бы не проблема»)."""
    masks = words.masks
    conditional = [i for i in order if masks[i] & BIT["hypothetical"]]
    if not conditional:
        return False  # most clauses: no «бы», no filler to look for
    filler = filler_words(words, order, rules)
    toks = words.toks

    def saying(j: int) -> bool:  # a polite verb, unless said of what came before: «я бы не назвал это …»
        if masks[j] & BIT["parentheticals"]:
            return True
        return bool(masks[j] & BIT["polite"]) and not any(t[4] in REFERRING for t in toks[j + 1 : j + 3])

    for i in conditional:
        if i not in filler:
            near = range(max(0, i - 2), min(len(masks), i + 3))  # the sentence's words around «бы»
            wider = range(max(0, i - 3), min(len(masks), i + 4))  # «я бы не стал говорить»
            if any(masks[j] & BIT["negators"] for j in near) and not any(saying(j) for j in wider):
                return True
    return False


def _open_problem(outcome: ClauseOutcome, scope: Scope, words: Words, clause: Clause, marks: set[str]) -> bool:
    """A difficulty named as such — a problem word after a main marker, «главная трудность —
    погода», «основная проблема в том, что о нас не знают», or opening its clause before a dash,
    «Проблема — хранение» — of which no category is coded
    in the clause: not a question, a quotation, a solved or past one, nor «Вот наша главная
    трудность» (nothing named after it), nor a word of ``rules.topic_problem_words`` («главный
    вопрос — выбор направлений»). A denial of problems earlier in the clause does not stop it
    («особых проблем нет, главная трудность — погода»: the denied word is not active), but the
    words of a «no problems» phrase are neither the difficulty nor what it is («главную проблему
    затрудняюсь назвать»)."""
    if not scope.active_problem or outcome.coded or outcome.denied or outcome.pending:
        return False
    if clause.question or marks & _CLOSED_MARKS:
        return False
    toks, masks, order = words.toks, words.masks, clause.tokens
    if any(masks[i] & BIT["resolution"] for i in order):
        return False
    spans = [(e.start, e.end) for e in outcome.general]

    def free(i: int) -> bool:
        return not any(lo <= toks[i].start < hi for lo, hi in spans)

    def after_marker(k: int) -> bool:  # «главная трудность», «основная проблема»
        return any(masks[order[m]] & BIT["main_markers"] for m in range(max(0, k - 2), k))

    named = [
        k
        for k in scope.active_problem
        if order[k] not in scope.neutral
        and not masks[order[k]] & BIT["topic_problem_words"]
        and free(order[k])
        and (after_marker(k) or (k == 0 and order[k] + 1 < len(toks) and toks[order[k] + 1][0] in DASHES))
    ]
    if not named:
        return False
    skip = BIT["problem_words"] | BIT["topic_markers"] | BIT["light_verbs"] | BIT["parentheticals"]
    if not after_marker(named[0]):
        # the dash form names a thing or an action: «Проблема — хранение», «Сложность — это
        # протяжённость цепочки», not «Трудности — бывают», «Проблемы — это к другим регионам»
        rest = [i for i in order[named[0] + 1 : named[0] + 3] if toks[i][4] != "это"]
        if not rest or toks[rest[0]].info.pos not in ("NOUN", "INFN"):
            return False
    # what the difficulty is comes after its name: «главная трудность — погода», not «вот наша
    # главная трудность»
    return any(
        toks[i].info.pos in ("NOUN", "VERB", "INFN") and not masks[i] & skip and free(i) for i in order[named[0] + 1 :]
    )


def _slowed(h: Hit, clause: Clause, words: Words, rules: Rules, phrases: set[int]) -> bool:
    """«всё решается очень долго», «всё решается, только с трудом», «всё очень медленно
    решается»: a shortage cue after a «no problems» phrase or inside it, in its comma part of the
    clause or the next, makes it a complaint — unless the cue belongs to another such phrase
    (``phrases``: «всё хорошо, больше и сказать нечего»). After «но» a new clause begins, and the
    phrase stands («всё решается, но с трудом» keeps «no problems»: a cue there may as well be a
    wish, «…, но хотелось бы быстрее»)."""
    seg, order = clause.segment, clause.tokens
    return any(
        i > h.first
        and i not in h.positions
        and i not in phrases
        and seg[h.first] <= seg[i] <= seg[h.first] + 1
        and is_cue(words, order, rules, k)
        for k, i in enumerate(order)
    )


def _past_then_now(outcome: ClauseOutcome, words: Words, clause: Clause, rules: Rules) -> None:
    """«Раньше не было переводчиков, теперь в штате двое»: in one clause, what is coded
    between the past marker and a later segment opened by the present is past."""
    order, seg = clause.tokens, clause.segment
    kp = lexicon_places(words, order, rules, "past_markers")[0]
    kn = next((k for k in lexicon_places(words, order, rules, "now_markers") if k > kp), None)
    if kn is None or seg[order[kn]] == seg[order[kp]]:
        return
    now_start = words.toks[next(i for i in order if seg[i] == seg[order[kn]])].start
    past_start = words.toks[order[0]].start  # «Были вопросы с визами лет десять назад, сейчас …»
    later = {e.category for e in outcome.coded if e.start >= now_start}
    past = [e for e in outcome.coded if past_start <= e.start < now_start and e.category not in later]
    if past:
        outcome.denied.extend(e._replace(reason="в прошлом, сейчас решено", confidence="high") for e in past)
        outcome.coded = [e for e in outcome.coded if e not in past]


def _none_but_exception(outcome: ClauseOutcome, words: Words, clause: Clause) -> None:
    """«Кроме ковида — никаких»: a bare «никаких»/«нет» after an exception denies the rest."""
    toks, masks, seg = words.toks, words.masks, clause.segment
    for s in sorted(set(seg.values())):
        if s - 1 not in clause.exception_segments or s in clause.exception_segments:
            continue
        inside = [i for i in clause.tokens if seg[i] == s]
        if toks[inside[0]][4] in BARE_NO and all(
            masks[i] & (BIT["size_words"] | BIT["skip_after_negator"]) for i in inside[1:]
        ):
            start, end = toks[inside[0]].start, toks[inside[-1]].end
            outcome.general.append(Evidence("", words.text[start:end], start, end, "", "отрицание проблем", "high"))


def bare_segment(words: Words, clause: Clause) -> list[int]:
    """The words of «Нет», «Никаких», «Ничего существенного», «Существенных нет» when the clause opens with them —
    after a parenthetical opener, if any («Если честно — никаких», «Честно говоря, нет») — and
    they fill their part of the clause; else an empty list."""
    toks, masks, order = words.toks, words.masks, clause.tokens
    k = 0
    while k < len(order) - 1 and toks[order[k]].lower in OPENERS:
        k += 1
    segment = [i for i in order[k:] if clause.segment[i] == clause.segment[order[k]]]
    sized = BIT["size_words"] | BIT["skip_after_negator"]
    if toks[order[k]][4] in BARE_NO:
        return segment if all(masks[i] & sized for i in segment[1:]) else []
    # «Существенных нет», «Особо серьёзных нет»: size words before a closing «нет»
    if len(segment) > 1 and toks[segment[-1]][4] in BARE_NO and all(masks[i] & sized for i in segment[:-1]):
        return segment
    return []


def _that_is_all(words: Words, clause: Clause, no_problems: Category) -> Evidence | None:
    """«Ковид. Всё.», «Пандемия и всё.», «Пандемия, всё.», «Пандемия, и только.»: «всё» (or «и
    только») as the last word of a sentence, alone in its clause or after «и» or a comma in a
    list without a verb, says the problems named are all there are —
    like «больше ничего» (``ONLY_NAMED``: it counts only beside a category compatible with
    ``no_problems``, and only when it ends the answer, see ``ClauseOutcome.closing``). Not
    «всё закрыли», nor «выступили, поздравили друг друга, и всё» (nothing happened after)."""
    toks, order = words.toks, clause.tokens
    last = order[-1]
    word = toks[last].lower
    if word not in THAT_IS_ALL or any(t.info is not None for t in toks[last + 1 :]):
        return None
    lead = [toks[i].lower for i in order[:-1]]
    # «Пандемия, и только.»; «Пандемия, всё.»: after a comma, in a list without a verb
    listed = not clause.has_predicate and bool(lead) and (lead[-1] == "и" or toks[last - 1][0] == ",")
    if word == "только" and lead[-1:] != ["и"]:
        return None
    if not all(w in THAT_IS_ALL_COMPANY for w in lead) and not listed:
        return None
    k = len(lead)
    while k > 0 and lead[k - 1] in THAT_IS_ALL_COMPANY:
        k -= 1
    start, end = toks[order[k]].start, toks[last].end
    return Evidence(no_problems.id, words.text[start:end], start, end, "", ONLY_NAMED, "high")


def _sole_problem(outcome: ClauseOutcome, words: Words, clause: Clause, rules: Rules, no_problems: Category) -> None:
    """«Мешает только коронавирус»: a problem called the only one, of a category that is
    compatible with ``no_problems`` (the pandemic), says there are no other problems."""
    allowed = set(no_problems.compatible_with)
    if not all(e.category in allowed for e in outcome.coded):
        return
    toks = words.toks
    places = [
        k
        for k in lexicon_places(words, clause.tokens, rules, "sole")
        if not any(e.start <= toks[clause.tokens[k]].start < e.end for e in outcome.coded)
    ]
    if not places:
        return
    first = toks[clause.tokens[places[0]]]
    last = max(outcome.coded, key=lambda e: e.end)
    if last.end <= first.start:
        return
    start, end = first.start, last.end
    outcome.general.append(
        Evidence(no_problems.id, words.text[start:end], start, end, "", "названа единственной проблемой", "high")
    )


def _negated_before(masks: list[int], order: list[int], k: int) -> bool:
    """A negator among the two words before place ``k``: «не решили», «не привыкли»."""
    return any(masks[order[j]] & BIT["negators"] for j in range(max(0, k - 2), k))


# «…, но они решаются», «всё решается»: a pronoun before an imperfective verb of resolution
# (lexicon ``resolving_itself``; not «всё закрыто»: a closed border)
RESOLVED_SUBJECTS = frozenset({"они", "это", "все"})
# «к этому привыкли», «к ним привыкаешь», «с этим справляемся»: what one got used to is what was said
COPED_WITH = frozenset({"этому", "тому", "нему", "ней", "ним", "ними", "этим", "всему"})


def _pronoun_resolved(words: Words, order: list[int], k: int, rules: Rules) -> bool:
    """«Есть вопросы — перевод, логистика, — но они решаются», «…, но это легко решается»: the
    verb of resolution at place ``k`` (lexicon ``resolving_itself``) follows a pronoun, and
    perhaps words of the written lexicon ``resolved_easily``, in a clause that names no noun (not
    «проблема решается за счёт …»)."""
    toks = words.toks
    if not (k > 0 and words.masks[order[k]] & BIT["resolving_itself"]):
        return False
    j = k - 1
    while j > 0 and rules.written("resolved_easily", toks[order[j]].lower):
        j -= 1
    return toks[order[j]].lower in RESOLVED_SUBJECTS and not any(toks[i].info.pos == "NOUN" for i in order)


def _pronoun_object(toks: list[Token], order: list[int], k: int) -> bool:
    """The verb at clause position ``k`` has a pronoun for its object just before it: «к этому
    привыкли», «к ним быстро привыкаешь», «с этим справляемся»."""
    for j in range(max(1, k - 3), k):
        if toks[order[j - 1]].lower in ("к", "с", "со") and toks[order[j]].lower in COPED_WITH:
            return True
    return False


def clause_marks(words: Words, clause: Clause, rules: Rules, wish: set[int] | None = None) -> set[str]:
    """The marks of :data:`CLAUSE_MARKS` that lexicons and word forms give a clause
    (``minimised`` comes from its :class:`Scope`); ``wish``: the tokens inside multi-word cues
    (:func:`cue_phrase_words`, computed here when not given)."""
    toks, masks, order = words.toks, words.masks, clause.tokens
    out: set[str] = {"conceding"} if clause.opener in CONCEDING else set()
    seen = 0
    if wish is None:
        wish = cue_phrase_words(words, order, rules)  # «сейчас хорошо бы …» is no «all is well now»
    for k, i in enumerate(order):
        m = masks[i]
        seen |= m
        info = toks[i][3]
        if info.pos == "VERB" and _PAST_FORM.search(toks[i][4]):
            out.add("past_tense")
        if m & _WORD_MARKS:
            negated = _negated_before(masks, order, k)
            if m & BIT["resolution"] and not negated and (info.perfective or _pronoun_resolved(words, order, k, rules)):
                out.add("resolved")
            if m & BIT["positive"] and not negated and i not in wish:
                out.add("positive")
            # «привыкли», «мы к ней привыкли», «это объективные вещи, к ним привыкли»; not «мы
            # привыкли к формальным процедурам» (a habit), «к этому надо привыкать годами»
            if (
                m & BIT["coping"]
                and not negated
                and not any(rules.written("coping_needed", toks[order[j]].lower) for j in range(max(0, k - 3), k))
            ):
                accustomed = not m & BIT["still_coping"]
                if (accustomed and _pronoun_object(toks, order, k)) or not any(
                    toks[j].info.pos == "NOUN" for j in order
                ):
                    out.add("coped")
                    if accustomed:
                        out.add("accustomed")
                    # «с ними научились жить», «к ним привыкли»: said of all that was named
                    if any(toks[j][4] in ("ними", "ним", "них", "они") for j in order):
                        out.add("coped_all")
    for name, mark in _LEXICON_MARKS:
        if seen & (BIT[name] | BIT[f"{name}:start"]) and lexicon_places(words, order, rules, name):
            out.add(mark)
    # «есть особенности», «рабочие моменты», «…, но это скорее особенность их работы»; not «хотя
    # бывают нюансы с …» (a conceded difficulty)
    if (
        seen & (BIT["reframes"] | BIT["reframes:start"])
        and (clause.opener not in CONCEDING or toks[order[0]][4] == "это")
        and any(not _negated_before(masks, order, k) for k in lexicon_places(words, order, rules, "reframes"))
    ):
        out.add("reframed")
    if seen & (BIT["dismissals"] | BIT["dismissals:start"]) and not seen & BIT["rest"]:
        # «Расстояние? Это в прошлом.», «…, но это решаемо», «Ковид был — переждали»: the predicate
        # after «это» (or a verb in the past after nothing) and small words is said of what was
        # named before; not «…, а всё остальное, как показывает опыт, решаемо», «решаем на месте»,
        # «Но они никогда этим не давят»
        company = BIT["verdict_adverbs"] | BIT["anaphora"]
        for k in dismissal_places(words, clause, rules):
            before = range(k)
            if all(masks[order[x]] & company or toks[order[x]].lower in DISMISSAL_COMPANY for x in before) and (
                any(toks[order[x]].lower == "это" for x in before)
                or (toks[order[k]].info.pos == "VERB" and _PAST_FORM.search(toks[order[k]][4]))
            ):
                out.add("dismissed")
                break
    if seen & (BIT["minimizers"] | BIT["minimizers:start"]) and not seen & BIT["rest"]:
        # not «всё остальное по сравнению с ней мелочи»: the rest is small, not what was named
        for k in lexicon_places(words, order, rules, "minimizers"):
            if belittles(words, order, k):
                out.add("minimised")
    if bare_segment(words, clause):
        out.add("bare_no")
    # «Проблемы: нет», «Основные трудности: никаких», «Проблемы? Да никаких»: a heading or the
    # question repeated, answered by what follows
    after = order[-1] + 1
    if (
        after < len(toks)
        and toks[after][0] in (":", "?")
        and seen & BIT["problem_words"]
        and all(masks[i] & _LABEL_WORDS for i in order)
    ):
        out.add("label")
    # «Это не проблемы», «Всё это не препятствие»: said of what came before
    lead = _lead(toks, clause)
    if lead[:1] == ["это"] and lead[1:2] == ["не"] or lead[:2] == ["все", "это"] and lead[2:3] == ["не"]:
        out.add("this_not")
    return out


def _lead(toks, clause: Clause) -> list[str]:
    """The clause's first three words; after a first comma part «это» or «всё это», a short
    parenthetical part (at most :data:`PARENTHETICAL_WORDS` words, not the clause's last) is
    skipped: «Но это, конечно, не проблема»."""
    order, seg = clause.tokens, clause.segment
    lead = [toks[i][4] for i in order[:3]]
    n = 1 if lead[:1] == ["это"] else 2 if lead[:2] == ["все", "это"] else 0
    if not n or n >= len(order) or seg[order[n - 1]] != seg[order[0]] or seg[order[n]] != seg[order[0]] + 1:
        return lead
    end = clause.segment_end(n)
    if end - n + 1 > PARENTHETICAL_WORDS or end == len(order) - 1:
        return lead
    return [toks[i][4] for i in order[:n] + order[end + 1 : end + 4 - n]]


def _decide_hit(
    h: Hit,
    found: Evidence,
    clause: Clause,
    scope: Scope,
    words: Words,
    nominal: bool,
    has_positive: bool,
    used_cues: set[int],
    rest: set[int],
) -> tuple[str, Evidence] | None:
    """``(CODED, evidence)`` or ``(DENIED, evidence)`` for a hit, or None when the hit is
    only named (pending). ``rest``: the clause's words said of the rest (:func:`_rest_words`);
    a denial said there is not said of a hit outside them: «Визы, в остальном проблем нет»."""
    toks, order = words.toks, clause.tokens
    typo_note = "; опечатка: " + ", ".join(f"«{a}» ≈ «{b}»" for a, b in h.fuzzy) if h.fuzzy else ""

    def coded(reason: str, confidence: str) -> tuple[str, Evidence]:
        return CODED, found._replace(reason=reason + typo_note, confidence="low" if h.fuzzy else confidence)

    def denied(reason: str) -> tuple[str, Evidence]:
        return DENIED, found._replace(reason=reason)

    hs = clause.segment[h.first]
    if hs in clause.exception_segments:
        return coded("названо как исключение («кроме …»)", "high")
    if hs in scope.conceded:
        return denied("уступка: «несмотря на …»")
    if hs in scope.small_segments or (h.kind == "terms" and (scope.small_segments or hs in scope.size_segments)):
        return denied("названо несущественным")
    since = _since(toks, h)
    if id(h) in scope.direct_denied and not since:
        return denied("отрицание")
    span = None if since else scope.denial_for(h)
    if span is not None and _outside_rest(span[2], h, rest):
        span = None
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
        return coded(f"{PROBLEM_WORD_REASON}«{toks[order[pw]].text}»", "high")
    if h.kind == "needs" and nominal and not has_positive and not is_topic(h, clause, words):
        return coded("названо в перечне", "medium")
    return None


_REST_LEAD = frozenset({"все", "всё", "а", "и", "но", "во", "в", "по"})  # «а всё остальное», «во всём остальном»


def _rest_words(clause: Clause, words: Words) -> set[int]:
    """Tokens of the comma parts of ``clause`` said of the rest: parts that open (after «а», «всё»…)
    with a word of ``rules.rest`` («всё остальное решается», «прочее в порядке»)."""
    out: set[int] = set()
    parts: dict[int, list[int]] = {}
    for i in clause.tokens:
        parts.setdefault(clause.segment[i], []).append(i)
    going = False  # a part about the rest goes on over the parts after it without a predicate
    for seg in sorted(parts):
        part = parts[seg]
        lead = next((i for i in part if words.toks[i][4] not in _REST_LEAD), None)
        if lead is not None and words.masks[lead] & BIT["rest"]:
            going = True
        elif clause.segment_has_predicate.get(seg, False):
            going = False
        if going:
            out.update(part)
    return out


def _outside_rest(cue: int, h: Hit, rest: set[int]) -> bool:
    """The denial at token ``cue`` is said of the rest and the hit is not among the rest's
    words: «Визы и перевод, в остальном проблем нет» — the rest has none, not the visas."""
    return cue in rest and h.first not in rest


def _rest_segment(clause: Clause, seg: int, rest: set[int]) -> bool:
    """Every word of comma part ``seg`` is said of the rest."""
    return bool(rest) and all(i in rest for i in clause.tokens if clause.segment[i] == seg)


def _since(toks, h: Hit) -> bool:
    """The hit is a point in time after «до»: «До пандемии сбоев не было» denies the failures
    before it, not the pandemic."""
    return h.first > 0 and toks[h.first - 1].lower == "до"


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


def _referring(toks, order: list[int], k: int) -> bool:
    """The word at clause position ``k`` is a pronoun standing for what was said («его», «это»),
    not one after a preposition («у них»)."""
    return toks[order[k]][4] in REFERRING and not (k > 0 and toks[order[k - 1]].info.pos == "PREP")


def _after_pronoun(toks, order: list[int], k: int) -> bool:
    """The cue at clause position ``k`` follows a referring pronoun («его не хватает», «их
    явно не хватает»), not one after a preposition («у них не хватает»)."""
    return any(_referring(toks, order, j) for j in range(max(0, k - 3), k))


def refer_back(outcomes: list[ClauseOutcome]) -> None:
    """Answer-level pass over neighbouring clauses.

    * «Финансирование есть, но его не хватает», «Расчёты идут, но медленно»: a shortage with a
      pronoun, or alone in its clause, and no resource of its own applies to the resources of
      the clause before.
    * «Расстояние большое, но это не помеха»: a general denial with «это» denies what
      the clause before named; so does a clause that only calls it small («…, мелочь»,
      «которая компенсируется связью»), solved («…, но мы это преодолели») or sufficient
      («бюджет небольшой, но его хватает»).
    * «Транспорт, инвестиции. Это не проблемы.»: a sentence opening with «Это не …» and a
      general denial denies what the sentence before named.
    * «Этикет сложный, но привыкли»: a clause that only says one got used to it («привыкли»,
      «приспособились») denies what the clause before named.
    * «Да, далеко, но …»: a «да» conceding what a contrast then outweighs.
    * «Разница в менталитете? Нет, …», «Менталитет? Не такая уж большая разница»,
      «Культурные различия? Они есть, но это не проблема»: a question answered with a
      denial is denied.
    """
    for n, cur in enumerate(outcomes[1:], start=1):
        prev = outcomes[n - 1]
        same_sentence = prev.sentence == cur.sentence
        if same_sentence and (cur.anaphoric or cur.bare_cue) and cur.orphan_cue and prev.pending:
            for e in prev.pending:
                prev.coded.append(e._replace(reason=f"нехватка: «{cur.orphan_cue}» (о сказанном выше)"))
            prev.pending = []
        names_nothing = not (cur.coded or cur.denied or cur.pending)
        denial = cur.denies_all  # «это не помеха», not «до этого всё было хорошо»
        if same_sentence and cur.anaphoric and denial and not cur.coded:
            reason = "отрицание (о сказанном выше)"
        elif cur.sentence == prev.sentence + 1 and "this_not" in cur.marks and denial and names_nothing:
            # «Транспорт, инвестиции. Это не проблемы, это поле работы.»: the whole sentence before
            for o in outcomes[:n]:
                if o.sentence == prev.sentence and o.coded:
                    o.deny("отрицание (о сказанном выше)")
            cur.spend_denial()
            continue
        elif prev.question and cur.starts_with_no:
            reason = "отрицание (ответ на вопрос)"
        elif same_sentence and cur.refers and names_nothing and {"resolved", "positive"} & cur.marks:
            # «…, но мы это давно преодолели», «бюджет небольшой, но его хватает»
            reason = "решено или достаточно (о сказанном выше)"
        elif same_sentence and names_nothing and "coped" in cur.marks:
            # «этикет сложный, но привыкли»: what one got used to is the last thing named before
            if prev.coded:
                last = max(prev.coded, key=lambda e: e.end).category
                keep = set() if "coped_all" in cur.marks else {e.category for e in prev.coded} - {last}
                prev.deny("привыкли (о сказанном выше)", keep)
            continue
        elif (
            same_sentence
            and denial
            and names_nothing
            and n >= 2
            and prev.refers
            and not (prev.coded or prev.denied or prev.pending or prev.general)
            and outcomes[n - 2].sentence == cur.sentence
        ):
            # «Переводчиков мало, но это задача, а не проблема»: the denial is said of what «это»
            # in the clause before stands for, the clause before that
            reason = "отрицание (о сказанном выше)"
            prev = outcomes[n - 2]
        elif {"minimised", "dismissed"} & cur.marks and names_nothing and (same_sentence or cur.anaphoric):
            reason = "названо несущественным (о сказанном ниже)"
            # «…, которая, впрочем, компенсируется связью»: back over clauses that name nothing
            back = n - 1
            while back > 0 and not outcomes[back].coded and outcomes[back - 1].sentence == cur.sentence:
                back -= 1
            prev = outcomes[back]
        else:
            continue
        if prev.coded:
            prev.deny(reason)
            cur.spend_denial()
    _answered_questions(outcomes)


def features_not_problems(outcomes: list[ClauseOutcome], keep: frozenset[str] = frozenset()) -> None:
    """«Проблем как таковых нет, есть особенности. Надо учитывать китайские праздники», «Я бы не
    назвал это проблемами, скорее особенности. Партнёры долго согласовывают»: after a general
    denial, what the expert calls features (``rules.reframes``, in the denial's sentence or the
    next) is not a problem — the codes from the denial to the end of the sentence that tells the
    features (the reframing word's own, or the next when the word ends its sentence) are denied,
    except those said with a problem word («…, но многие вопросы выходят за пределы
    компетенции») and the categories of ``keep`` (those compatible with «no problems», the
    pandemic: never a feature). A reframing word after «хотя», «но» concedes a difficulty:
    «Хотя бывают нюансы с согласованием текстов». The features end at a clause that concedes a
    difficulty («Проблем нет, есть особенности. Но переводчиков не хватает»)."""
    for i, o in enumerate(outcomes):
        if not o.denies_all:
            continue
        reframe = next(
            (
                j
                for j in range(i, len(outcomes))
                if outcomes[j].sentence <= o.sentence + 1 and "reframed" in outcomes[j].marks
            ),
            None,
        )
        if reframe is None:
            continue
        # «Есть особенности. Надо учитывать …»: the next sentence tells them; «…, а особенность: в
        # Китае решения принимаются долго. Плюс смена руководства …»: this sentence does
        told_after = reframe + 1 < len(outcomes) and outcomes[reframe + 1].sentence == outcomes[reframe].sentence
        last = outcomes[reframe].sentence + (0 if told_after else 1)
        for n, cur in enumerate(outcomes[i:], start=i):
            # «Проблем нет, есть особенности. Но переводчиков не хватает»: what is conceded after
            # the features is a difficulty (not «…, но это текучка, а не проблемы»)
            conceded = n > reframe and "conceding" in cur.marks and not _denies(outcomes, cur.sentence)
            if cur.sentence > last or conceded:
                break
            kept = {e.category for e in cur.coded if e.reason.startswith(PROBLEM_WORD_REASON)} | keep
            cur.deny("названо особенностью, а не проблемой", kept)
        return


def coped_after_denial(outcomes: list[ClauseOutcome], keep: frozenset[str] = frozenset()) -> None:
    """«Трудностей особых нет. Разве что китайская сторона долго согласовывает программы. Но мы
    привыкли.», «Проблемы — громко сказано. Трудности есть: разная культура … Но к этому
    привыкаешь.»: after a general denial, a later sentence (within four) that only says one got
    used to it (clauses with ``accustomed`` and nothing named, no «но» after it) says so of all
    that was named since the denial: those codes are denied, except the categories of ``keep``.
    Without a denial before it, the coping is said of the last thing named (:func:`refer_back`),
    and «В остальном — разница в менталитете … Но к этому привыкаешь» keeps mentality."""
    for i, o in enumerate(outcomes):
        if not (o.general or (i == 0 and o.elliptic is not None)):
            continue
        for n in range(i + 1, len(outcomes)):
            cur = outcomes[n]
            if cur.sentence > o.sentence + 4:
                return
            if cur.sentence == o.sentence or "accustomed" not in cur.marks:
                continue
            # the clauses of a sentence stand together: ``first`` to ``end`` are cur's sentence
            first, end = n, n + 1
            while outcomes[first - 1].sentence == cur.sentence:
                first -= 1
            while end < len(outcomes) and outcomes[end].sentence == cur.sentence:
                end += 1
            # not «Мы привыкли, но сроки иногда срываются»
            if any(x.coded or x.pending or x.open_problem for x in outcomes[first:end]) or any(
                "conceding" in x.marks for x in outcomes[n + 1 : end]
            ):
                continue
            for x in outcomes[i + 1 : first]:
                x.deny("привыкли (после отрицания проблем)", keep)
            return
        return


def _denies(outcomes: list[ClauseOutcome], sentence: int) -> bool:
    """A clause of the sentence denies problems in general («…, а не проблемы»)."""
    return any(o.denies_all for o in outcomes if o.sentence == sentence)


_SETTLING_MARKS = frozenset({"positive", "coped", "resolved"})


def _answered_questions(outcomes: list[ClauseOutcome]) -> None:
    """A question («Менталитет?») whose answer, before anything new is named, denies or
    belittles it: «Не такая уж большая разница», «Они есть, но это не проблема»; or says it is
    there, handled or solved: «Переводчики? Есть.», «Язык? Справляемся.»."""
    for i, q in enumerate(outcomes):
        if not (q.question and q.coded):
            continue
        for n, cur in enumerate(outcomes[i + 1 :], start=i + 1):
            if cur.sentence > q.sentence + 1 or cur.coded or cur.pending:
                break
            # «Переводчики? Есть.», «Деньги? Хватает.», «Язык? Справляемся.», «Визы? Решили.»: the
            # answer a sentence of one clause (not «Есть, но мало»)
            alone = outcomes[n - 1].sentence != cur.sentence and (
                n + 1 == len(outcomes) or outcomes[n + 1].sentence != cur.sentence
            )
            settled = alone and bool(_SETTLING_MARKS & cur.marks) and cur.orphan_cue is None and not cur.denied
            if cur.denies_all or {"minimised", "dismissed"} & cur.marks or cur.starts_with_no or settled:
                q.deny("отрицание (ответ на вопрос)")
                cur.spend_denial()
                break


def settle_past(outcomes: list[ClauseOutcome]) -> None:
    """Problems said to be past and solved are not coded.

    A clause is *past* when it or an earlier clause of its sentence has a past marker
    («раньше», «когда-то», «лет пять назад», «было время»), with no «сейчас»/«теперь»
    in between; a following sentence in the past tense goes on with the story. Its codes
    are denied when a later clause (within the next two sentences) speaks of the present
    or of a solution — «сейчас есть», «теперь работает отдел», «решили» — unless that
    clause says the problem remains («по-прежнему», «остаётся»), and except the
    categories the present clause codes itself. A clause with a past-tense
    verb and no marker («с визами были сложности») counts as past only when the next
    clause says the problem is solved («…, решили») or that all is well now («но сейчас
    всё работает») and names no problem of its own.
    """
    if not any(o.coded for o in outcomes):
        return  # nothing coded: nothing to settle
    if not any("past" in o.marks or "past_tense" in o.marks for o in outcomes):
        return  # nothing said of the past: nothing is past
    past = [False] * len(outcomes)
    for i, o in enumerate(outcomes):
        same = i > 0 and outcomes[i - 1].sentence == o.sentence
        if "now" in o.marks:
            past[i] = False
        elif "past" in o.marks or (same and past[i - 1]):
            past[i] = True
        elif i > 0 and past[i - 1] and "past_tense" in o.marks:
            past[i] = True  # «Раньше …. Не знали, с кем говорить.»: the story goes on in the past
    for i, o in enumerate(outcomes):
        if not o.coded:
            continue
        later = outcomes[i + 1 :]
        if past[i]:
            for j, cur in enumerate(later, start=i + 1):
                if cur.sentence > o.sentence + 2:
                    break
                if past[j] or not ({"now", "resolved"} & cur.marks):
                    continue
                if "persistent" in cur.marks and not cur.coded:
                    break
                o.deny("в прошлом, сейчас решено", {e.category for e in cur.coded})
                break
        elif "past_tense" in o.marks and later:
            nxt = later[0]
            # not «разрешения оформлялись месяцами, а в 2020-м въезд вообще закрыли»: a clause
            # that names a problem of its own («закрыли» the entry) tells a new one, not a solution
            if "persistent" in nxt.marks or nxt.coded:
                continue
            if "resolved" in nxt.marks or ("now" in nxt.marks and "positive" in nxt.marks):
                o.deny("в прошлом, сейчас решено")


def finish_no_problems(
    coding: AnswerCoding,
    general: list[Evidence],
    no_problems: Category | None,
    named: bool = False,
) -> None:
    """Code ``no_problems`` when the answer denies problems in general and nothing but the
    categories of its ``compatible_with`` is coded; otherwise keep the general denials.
    ``named``: the answer names a difficulty no category covers («Особых трудностей нет. Главная
    трудность сейчас — погода»): no ``no_problems`` either. A phrase that only says the named
    problem is the only one (the category's ``needs``: «больше ничего», «проблема одна») counts
    when a compatible category is coded: «Пандемия. Больше ничего.», not «Всё плохо, больше и
    сказать нечего» nor «Проблема одна — погода»."""
    if no_problems is None or not general:
        return
    allowed = set(no_problems.compatible_with) | {no_problems.id}
    if not any(v and k in allowed for k, v in coding.codes.items()):
        general = [e for e in general if e.reason != ONLY_NAMED]
    if not general:
        return
    if named or any(v and k not in allowed for k, v in coding.codes.items()):
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
