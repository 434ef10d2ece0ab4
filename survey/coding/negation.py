"""Negation scope: what each negation of a clause attaches to.

* :func:`false_negations` finds negation words that do not negate («не только», «тем не
  менее») and double negations («нельзя сказать, что язык не мешает»).
* :class:`Scope` reads one clause. Each «не» attaches to the next word (skipping «очень»,
  «особо»…); «нет», «отсутствие», «ни», «без» attach to the noun they govern. What it
  attaches to decides:

  * a problem word («проблем нет», «не является препятствием», «трудностей не
    возникает», «вопрос решён»): a *denial* — the segments between the problem word and
    the negation (widened over a list that goes on) are denied;
  * a problem verb («расстояние нам не мешает»): everything before it is denied;
  * a light verb («не вижу», «не испытываем»): the nearest problem word is denied, or,
    without one, the named problems («культурных различий я не вижу»);
  * «не в …» — a contrast: «проблема не в деньгах, а в …»;
  * anything else («не хватает», «не налажено», «нет переводчиков»): a *shortage cue*
    that makes a resource nearby a problem.

:meth:`Scope.shortage_for`, :meth:`Scope.problem_word_for` and :meth:`Scope.denial_for`
answer, for a pattern hit, whether a cue, a problem word or a denial applies to it.

>>> from survey.base.lemmatize import Lemmatizer
>>> from survey.coding.clauses import split_clauses
>>> from survey.coding.matching import PatternIndex, find_hits
>>> from survey.coding.tokens import read_words
>>> from survey.spec.codebook import load_codebook
>>> lem = Lemmatizer()
>>> cb = load_codebook(lemmatizer=lem)
>>> index = PatternIndex(cb)
>>> w = read_words("Проблем с финансированием нет", lem, index)
>>> clause = split_clauses(w, cb.rules)[0]
>>> hits = find_hits(clause.tokens, w.toks, w.lemmas, w.candidates, w.typos, w.list_breaks())
>>> scope = Scope(clause, w, hits, cb.rules)
>>> [w.toks[i].text for i in scope.denial_for(hits[0])[2:]]
['нет']
"""

from __future__ import annotations

from survey.base.lemmatize import morph_analyzer
from survey.coding.clauses import Clause, is_cue, lexicon_places, phrase_at
from survey.coding.matching import Hit
from survey.coding.tokens import Words
from survey.spec.codebook import BIT, Rules

DASHES = frozenset("—–-")
VERBAL = frozenset({"VERB", "INFN", "PRTS", "PRTF", "GRND"})
EVERY = frozenset({"любой", "каждый", "всякий"})  # «на любую мелочь»: no small thing
NONE_OF = frozenset({"ни", "ничего", "ничто"})  # negative concord: «ни одной делегации не было»
# «как ни странно», «сколько мы ни предлагали»: «ни» after these is concessive, not a negation
CONCESSIVE_BEFORE_NI = frozenset({"как", "сколько"})
# «Деньги — нет»: an item before «нет» is a reply's subject only when pymorphy3 gives its
# genitive readings less than this share (деньги 0.01, средства 0.08; визы 0.75)
PLAINLY_NOT_GENITIVE = 0.1
# words that may stand between the items and a dismissal («Транспорт, язык — это не про нас»,
# «Расстояние для нас не критично», «Обычные трудности — язык, расстояние — на нас особо не давят»)
DISMISSAL_COMPANY = frozenset(
    {"и", "или", "это", "мы", "нас", "нам", "нами", "для", "на", "у", "в", "наш", "нашем", "случае", "общем", "целом",
     "особо", "особенно", "сильно", "ни", "все", "эти"}
)  # fmt: skip
# words that may stand between the items and «нет» of a reply, besides rules.verdict_adverbs
VERDICT_COMPANY = frozenset({"и", "или", "с", "со"})
SKIP_POS_AFTER_ABSENCE = frozenset({"ADJF", "PRTF", "ADVB", "PRCL", "NPRO", "PREP", "CONJ", "NUMR", "ADJS"})


def false_negations(words: Words, rules: Rules) -> tuple[set[int], set[int]]:
    """Negation words that do not negate, and words negated from afar.

    Returns ``(neutral, forced)``: ``neutral`` are «не» etc. that are not negations
    («не только», «тем не менее», «не будь ковида»); «нельзя сказать, что X не мешает» is a double
    negation (both neutral), while «нельзя сказать, что X развивается» negates the
    first predicate after «что» (``forced``).
    """
    lemmas, masks = words.lemmas, words.masks
    neutral: set[int] = set()
    forced: set[int] = set()
    order = words.word_indices()
    for k, i in enumerate(order):
        if masks[i] & BIT["negators"] and k + 1 < len(order) and words.toks[order[k + 1]].lower == "будь":
            neutral.add(i)  # «не будь ковида» — were it not for: names the problem, does not deny it
            continue
        if not masks[i] & BIT["phrase_start"]:
            continue
        for name in ("false_negations", "double_negation"):
            for phrase in rules.phrases_from(name, lemmas[i]):
                idx = order[k : k + len(phrase)]
                if len(idx) < len(phrase) or not all(
                    not phrase[j].isdisjoint(lemmas[idx[j]]) for j in range(1, len(phrase))
                ):
                    continue
                neutral.update(idx)
                if name == "double_negation":
                    _second_negation(words, idx[-1] + 1, neutral, forced)
                break
    return neutral, forced


def _second_negation(words: Words, start: int, neutral: set[int], forced: set[int]) -> None:
    """After «нельзя сказать, что»: a second negation cancels out (both neutral); without
    one, the first predicate is negated (``forced``)."""
    toks, masks = words.toks, words.masks
    predicate = other = None
    for i in range(start, len(toks)):
        t = toks[i]
        if t[3] is None:
            if t.text in ".;:!?\n":
                break
            continue
        if i in neutral:
            continue
        if (masks[i] & BIT["negators"]) or ((masks[i] & BIT["absence"]) and t.info.predicate):
            neutral.add(i)
            return
        if predicate is None and t.info.predicate:
            predicate = i
        if other is None and ((masks[i] & BIT["positive"]) or (masks[i] & BIT["problem_words"])):
            other = i
    # the predicate is negated («…, что барьер преодолён» — not overcome); without one, a
    # positive or problem word («…, что всё хорошо», «…, что проблемы»)
    target = predicate if predicate is not None else other
    if target is not None:
        forced.add(target)


def belittles(words: Words, order: list[int], k: int) -> bool:
    """The minimiser at place ``k`` calls something small: not after «не» («не компенсируется»)
    nor governed by a preposition («ощущается даже в мелочах») nor after «любой», «каждый»
    («на любую мелочь уходят месяцы»: every small thing takes long)."""
    if k == 0:
        return True
    before = order[k - 1]
    info = words.toks[before].info
    return not (words.masks[before] & BIT["negators"]) and info.pos != "PREP" and info.lemma not in EVERY


def dismissal_places(words: Words, clause: Clause, rules: Rules) -> list[int]:
    """Places where the predicates of ``rules.dismissals`` start in a clause («не пугает»,
    «не про нас», «решаемо», «в прошлом»). An entry written in another form than its lemma
    matches that form only («решаемо», lemma «решать», not «решает»; «притереться» matches
    «притёрлись»), and a phrase of several words that governs a noun after it in its comma part does not count
    («в прошлом году», «не про деньги», «не про наши отношения»; a problem word may follow: «не
    главная проблема»)."""
    order, masks = clause.tokens, words.masks
    if not any(masks[i] & (BIT["dismissals"] | BIT["dismissals:start"]) for i in order):
        return []
    toks, seg = words.toks, clause.segment
    own = rules.forms.get("dismissals", frozenset()) & rules.words.get("dismissals", frozenset())
    out = []
    for k in lexicon_places(words, order, rules, "dismissals"):
        i = order[k]
        end = k + phrase_at(rules, "dismissals", words, order, k)
        if end - k == 1 and not rules.written("dismissals", toks[i].lower) and own.isdisjoint(words.lemmas[i]):
            continue
        after = end if end - k > 1 else len(order)  # «решаем своими силами» governs nothing
        while after < len(order) and seg[order[after]] == seg[i] and toks[order[after]].info.pos in ("ADJF", "PRTF"):
            after += 1  # «не про наши отношения», «в прошлом учебном году»
        if (
            after < len(order)
            and seg[order[after]] == seg[i]
            and toks[order[after]].info.pos == "NOUN"
            and not masks[order[after]] & BIT["problem_words"]
        ):
            continue
        out.append(k)
    return out


SMALL_PREDICATES = frozenset({"небольшой", "невеликий", "незначительный"})  # «разница небольшая»


def rather_than_at(words: Words, order: list[int], k: int, rules: Rules) -> bool:
    """«чем» at place ``k`` before a problem word or verb, or a difficulty adjective or adverb:
    «скорее интересна, чем мешает», «скорее интересно, чем трудно» deny what follows «чем» (not
    «шире, чем требуется»)."""
    if not (k + 1 < len(order) and rules.written("rather_than", words.toks[order[k]].lower)):
        return False
    m = words.masks[order[k + 1]]
    return bool(
        m & (BIT["problem_verbs"] | BIT["problem_words"])
        or m & BIT["shortage_cues"]
        and words.toks[order[k + 1]].info.pos in ("ADJS", "ADVB")
    )


class Scope:
    """The negations of one clause and what they attach to (places ``k`` index
    ``clause.tokens``; spans are of comma segments)."""

    def __init__(
        self,
        clause: Clause,
        words: Words,
        hits: list[Hit],
        rules: Rules,
        neutral: frozenset[int] | set[int] = frozenset(),
        forced: frozenset[int] | set[int] = frozenset(),
        no_problems: str | None = None,
        conceded: frozenset[int] | set[int] = frozenset(),
    ):
        self.clause, self.words, self.hits, self.rules = clause, words, hits, rules
        self.neutral = neutral
        # the clause says «в рабочем порядке»: «решается» denies
        self.routine = no_problems is not None and any(h.category == no_problems for h in hits)
        self.no_problems = no_problems
        self.order = clause.tokens
        masks = words.masks
        self.in_hit: dict[int, list[Hit]] = {}
        for h in hits:
            for p in range(h.first, h.last + 1):
                self.in_hit.setdefault(p, []).append(h)
        self.consumed = {p for h in hits for p in h.positions}
        self.problem_words = [k for k, i in enumerate(self.order) if masks[i] & BIT["problem_words"]]
        self.denied_problem: set[int] = set()  # places of problem words that are denied
        self.denials: list[tuple[int, int, int]] = []  # (from k, to k, cue token index)
        self.contrast: list[tuple[int, int]] = []  # k ranges denied by «не в …»
        self.cues: list[int] = []  # places of shortage cues
        self.direct_denied: set[int] = set()  # ids of hits denied directly
        self.neutral_cues: set[int] = set()  # cue words negated («не снижается»)
        self.negated: set[int] = set()  # places a «не» attaches to
        # cue tokens of denials said of their own segment's subject only («…, родители не хотят»):
        # they deny no problems in general
        self.local_denials: set[int] = set()
        self.weak_cues: set[int] = set()  # «не» + an ordinary verb
        # segments conceded («несмотря на расстояние, …»; a sentence-initial «хотя …,» from the caller)
        self.conceded: set[int] = set(conceded)
        # segments with a minimiser («часовой пояс — мелочь», «которая компенсируется»)
        self.small_segments: set[int] = set()
        # segments where a negation denies the size of a problem («не такое уж большое», «не критично»)
        self.size_segments: set[int] = set()
        self.predicate_free = clause.predicate_free()
        self._marks()
        self._scan(forced)
        self._dismiss()
        self.active_problem = [k for k in self.problem_words if k not in self.denied_problem]
        self.spans = self._widened_spans()

    # ------------------------------------------------------------------ reading the clause

    @property
    def minimised(self) -> bool:
        """The clause calls something small or harmless."""
        return bool(self.small_segments or self.size_segments)

    def _marks(self) -> None:
        """Concessions and minimisers (a minimiser right after «не» does not count)."""
        order, seg, masks = self.order, self.clause.segment, self.words.masks
        for k in lexicon_places(self.words, order, self.rules, "concessions"):
            self.conceded.add(seg[order[k]])
        for k in lexicon_places(self.words, order, self.rules, "minimizers"):
            if not belittles(self.words, order, k) or self._said_of_rest(k):
                continue  # «одна проблема — ковид, всё прочее некритично»: the rest is small
            if not (k > 0 and masks[order[k - 1]] & BIT["negators"] and order[k - 1] not in self.neutral):
                self.small_segments.add(seg[order[k]])
        # «Разница во времени небольшая, а …»: a problem called small after it is named (not «небольшие
        # задержки», not «бюджет небольшой»: a resource that is small is short)
        for k, i in enumerate(order):
            if self.words.toks[i].info.lemma in SMALL_PREDICATES and self._after_named_term(k):
                self.size_segments.add(seg[i])

    def _after_named_term(self, k: int) -> bool:
        """A problem term is named before place ``k`` in its segment and no noun or adjective
        follows ``k`` there: the word at ``k`` is said of the term («разница небольшая»)."""
        order, toks, seg = self.order, self.words.toks, self.clause.segment
        s = seg[order[k]]
        pos = self.clause.position

        def said_of(h: Hit) -> bool:  # no noun between («интерес к нам небольшой» is said of the interest)
            between = range(pos[h.last] + 1, k)
            return not any(toks[order[j]].info.pos == "NOUN" for j in between)

        named = any(h.kind == "terms" and seg[h.last] == s and pos[h.last] < k and said_of(h) for h in self.hits)
        after = range(k + 1, self.clause.segment_end(k) + 1)
        return named and not any(toks[order[j]].info.pos in ("NOUN", "ADJF") for j in after)

    def _sized(self, k: int, j: int | None) -> bool:
        """The words from the «не» at ``k`` to its target ``j`` (the clause's end when None)
        include a size word: «не такое уж большое», «не критично»."""
        order, masks = self.order, self.words.masks
        end = len(order) if j is None else j + 1
        return any(masks[order[x]] & BIT["size_words"] for x in range(k + 1, end))

    def _scan(self, forced) -> None:
        words, order, rules = self.words, self.order, self.rules
        toks, masks = words.toks, words.masks
        for k, i in enumerate(order):
            if i in forced:
                self._negate(k, k, i)
            if i in self.neutral:
                continue
            m = masks[i]
            if (m & BIT["negators"]) and i not in self.consumed:
                j = self._next_word(k)
                if j is None and k > 0 and masks[order[k - 1]] & BIT["light_verbs"]:
                    j = k - 1  # «серьёзных проблем назвать не могу»: the verb before «не (могу)»
                if j is None:
                    if self._sized(k, None):
                        self.size_segments.add(self.clause.segment[i])
                    self.cues.append(k)
                    continue
                self._negate(k, j, i)
            elif (m & BIT["absence"]) and i not in self.consumed:
                self._absence(k, i)
            elif rather_than_at(words, order, k, rules):
                # «скорее интересна, чем мешает», «скорее рабочие моменты, чем проблемы»: denied
                self.negated.add(k + 1)
                self.denials.append((0, self.clause.segment_end(k), i))
            elif (
                (m & BIT["resolution"])
                and k not in self.negated
                and (toks[i].info.perfective or self.routine)
                and not self._said_of_rest(k)
                and not self.named_at(k)  # «граница закрыта» names the problem, «вопрос закрыт» denies it
                and not self._failed(k)
            ):
                # «вопрос решён» denies; «проблема решается за счёт …» still names the problem,
                # unless it is routine: «решается в рабочем порядке»
                pw = self.nearest_problem_word(k)
                if pw is not None:
                    self.denied_problem.add(pw)
                    self.denials.append((min(k, pw), max(k, pw), i))
        for k, i in enumerate(order):
            if k in self.neutral_cues or i in self.neutral or k in self.negated or (masks[i] & BIT["absence"]):
                continue
            # «не хватает» is handled above; «слабая логистика», «визы мешают» are complaints;
            # «хорошо бы …», «было бы неплохо …» are wishes (phrases of the cue lexicon)
            if masks[i] & BIT["problem_verbs"] or is_cue(words, order, rules, k):
                self.cues.append(k)

    def _dismiss(self) -> None:
        """«Расстояние нас не пугает», «Транспорт, язык — это не про нас», «Язык — не главное»,
        «Визовый режим — решаемо»: a predicate of ``rules.dismissals`` after nothing but named
        items denies those items. Between the items may stand problem words,
        ``rules.verdict_adverbs``, :data:`DISMISSAL_COMPANY` and, in the dismissal's own comma
        part, nouns and adjectives; the items reach back to the start of the clause or of a
        comma part. «Языка не боимся, …, расстояние не пугает» denies «расстояние» (its own
        comma part) and «языка» (its own); «Денег мало, но это нас не пугает» is for the
        anaphora rules."""
        words, order = self.words, self.order
        if not self.hits:
            return
        toks, masks, seg = words.toks, words.masks, self.clause.segment
        for k in dismissal_places(words, self.clause, self.rules):
            start = k
            items: list[Hit] = []
            while start > 0:
                t = order[start - 1]
                hits = self.named_at(start - 1)
                if hits:
                    items.extend(h for h in hits if h not in items)
                elif masks[t] & BIT["rest"]:
                    items = []  # «Коронавирус, остальное решаемо»: said of the rest
                    break
                elif not (
                    masks[t] & (BIT["verdict_adverbs"] | BIT["problem_words"] | BIT["topic_problem_words"])
                    or toks[t].lower in DISMISSAL_COMPANY
                    # the item's own words in the dismissal's part: «Визовый режим не критичен»
                    or (seg[t] == seg[order[k]] and toks[t].info.pos in ("NOUN", "ADJF"))
                ):
                    break
                start -= 1
            if not items or not self._opens_part(start):
                continue  # nothing named, or the part of the clause goes on before the items
            for h in items:
                self.direct_denied.add(id(h))
            self.denied_problem.update(x for x in range(start, k) if masks[order[x]] & BIT["problem_words"])
            self.denials.append((start, k, order[k]))

    def _concessive_ni(self, k: int) -> bool:
        """«Поезд, как ни странно, ходит», «сколько мы ни предлагали»: the «ни» at place ``k``
        follows «как» or «сколько» (a pronoun may stand between)."""
        order, toks = self.order, self.words.toks
        for x in range(k - 1, max(-1, k - 3), -1):
            if toks[order[x]].lower in CONCESSIVE_BEFORE_NI:
                return True
            if toks[order[x]].info.pos != "NPRO":
                return False
        return False

    def _opens_part(self, k: int) -> bool:
        """Place ``k`` opens the clause or one of its comma parts (a reply's or a dismissal's
        subject reaches back to it)."""
        seg, order = self.clause.segment, self.order
        return k == 0 or seg[order[k - 1]] != seg[order[k]]

    def _said_of_rest(self, k: int) -> bool:
        """«…, остальное решаемо», «остальное — мелочи», «всё остальное по сравнению с ней
        мелочи»: the word at place ``k`` is said of the rest, one of the five words before it in
        the clause being «остальное», «прочее»."""
        order, masks = self.order, self.words.masks
        return any(masks[order[x]] & BIT["rest"] for x in range(max(0, k - 5), k))

    def _next_word(self, k: int) -> int | None:
        """The place a «не» at place ``k`` attaches to (skipping «очень», «особо»…)."""
        order, masks = self.order, self.words.masks
        for j in range(k + 1, min(k + 5, len(order))):
            if not masks[order[j]] & (BIT["skip_after_negator"] | BIT["anaphora"]):
                return j
        return None

    def _negate(self, k: int, j: int, i: int) -> None:
        """«не» at place ``k`` (token ``i``) attaches to the word at place ``j``."""
        order, toks = self.order, self.words.toks
        self.negated.add(j)
        tm = self.words.masks[order[j]]
        if tm & BIT["problem_words"]:
            self.denied_problem.add(j)
            self.denials.append((min(k, j), max(k, j), i))
        elif tm & BIT["problem_verbs"]:
            # «расстояние нам не мешает»: what stands before the verb is denied
            self.denials.append((0, self.clause.segment_end(k), i))
            pw = self.nearest_problem_word(k)
            if pw is not None:
                self.denied_problem.add(pw)
        elif tm & BIT["light_verbs"] and toks[order[j]].info.lemma == "быть" and self._verdict(k, i, j):
            pass  # «Язык — никогда не было»: a reply to the named item
        elif tm & BIT["light_verbs"]:
            pw = self.nearest_problem_word(k)
            own = self._own_part(k, j, pw)
            if own == "lacking" or self._object_after(j) or self._resource_after(j) or self._lacking(k, pw):
                # «из-за ограничений не было возможности …», «главная проблема — ковид, ни одной
                # делегации не было»: what was lacking is the noun after the verb or in its own
                # part of the clause, not the problem word elsewhere in the clause
                self.cues.append(k)
            elif own == "denied":
                self.denials.append((self.clause.segment_start(k), k, i))
            elif pw is not None:
                self.denied_problem.add(pw)
                self.denials.append((min(k, pw), max(k, pw), i))
            else:
                # «культурных различий я не вижу» denies the named problems, but not one said
                # after a preposition, the cause or the time of what was lacking («из-за пандемии
                # призы так и не были вручены», «в пандемию такой возможности не было»);
                # «переводчиков не имеется» is a shortage of the resources
                position = self.clause.position
                for h in self.hits:
                    if h.kind == "terms" and not self._after_preposition(position[h.first]):
                        self.direct_denied.add(id(h))
                self.cues.append(k)
        elif self._sized(k, j) and not self.named_at(j):
            # «расстояние не такое уж большое», «это не главное»: the problem is called small;
            # a resource keeps its shortage («бюджет не очень большой»)
            self.size_segments.add(self.clause.segment[order[k]])
            self.cues.append(k)
        elif toks[order[j]].info.pos == "PREP":
            self.contrast.append((j, self._contrast_end(j)))
        elif self.named_at(j) and toks[order[j]].info.pos not in VERBAL:
            # «не удалённость, а …»: a contrast, the named thing is not the problem
            for h in self.named_at(j):
                self.direct_denied.add(id(h))
        elif tm & BIT["shortage_cues"]:
            # «интерес не угасает», «добраться не сложно»: the problem is denied; «визы, родители
            # не хотят …»: a segment with a subject of its own says nothing of the segments before
            self.neutral_cues.add(j)
            if self._own_subject(k):
                self.local_denials.add(i)
                self.denials.append((self.clause.segment_start(k), self.clause.segment_end(k), i))
            else:
                self.denials.append((0, self.clause.segment_end(k), i))
        else:
            # «не налажено», «не хватает» say a resource is lacking; «не говорят прямо»
            # is weaker: it counts only for resources in its own part of the clause
            self.cues.append(k)
            if not (tm & BIT["positive"]):
                self.weak_cues.add(k)

    def _failed(self, k: int) -> bool:
        """The resolution verb at place ``k`` is the infinitive of a negated verb of ``rules.ability``:
        «не смогли решить», «так и не удалось урегулировать», «решить не получилось» — a failure,
        the problem stays."""
        order, masks = self.order, self.words.masks
        if k > 0 and (k - 1) in self.negated and masks[order[k - 1]] & BIT["ability"]:
            return True
        return (
            k + 2 < len(order)
            and bool(masks[order[k + 1]] & BIT["negators"])
            and bool(masks[order[k + 2]] & BIT["ability"])
        )

    def _own_subject(self, k: int) -> bool:
        """A noun or a pronoun stands before place ``k`` in its segment, which is not the
        clause's first: the verb negated at ``k`` has a subject of its own."""
        start = self.clause.segment_start(k)
        toks, order = self.words.toks, self.order
        return start > 0 and any(toks[order[j]].info.pos in ("NOUN", "NPRO") for j in range(start, k))

    def _object_after(self, j: int) -> bool:
        """The word after the verb at place ``j`` is a plain noun of its part of the clause,
        neither a problem word nor a named category: «не было возможности», «не имели
        времени», also after its adjectives: «не имеющий общей границы», «не было свободного
        времени» — the negation is said of it."""
        order, seg, toks, masks = self.order, self.clause.segment, self.words.toks, self.words.masks
        n = self._past_adjectives(j, BIT["problem_words"] | BIT["absence"] | BIT["negators"] | BIT["size_words"])
        if n >= len(order) or seg[order[n]] != seg[order[j]]:
            return False
        info = toks[order[n]].info
        return (
            info.pos == "NOUN"
            and (n == j + 1 or info.genitive)  # not «не является ключевым ограничителем»
            and not masks[order[n]] & (BIT["problem_words"] | BIT["absence"])
            and not self.hits_at(n)
        )

    def _lacking(self, k: int, pw: int | None) -> bool:
        """The «не» at place ``k`` has what it negates in its own part of the clause, said with
        «ни» or «ничего» («…, ни одной делегации не было», «…, два года ничего не было», «…, не
        было ни одной очной встречи»), while the problem word at ``pw`` (if any) lies in another
        part: the negation says that thing was lacking, it does not deny the problem; so does a
        «не» that repeats an absence just before it («прямого рейса нет и не было»)."""
        order, seg, toks = self.order, self.clause.segment, self.words.toks
        own = seg[order[k]]
        # «прямого рейса нет и не было»: the «не» repeats the absence just before it
        if k >= 2 and self.words.masks[order[k - 2]] & BIT["absence"] and toks[order[k - 1]].lower == "и":
            return True
        if pw is not None and seg[order[pw]] == own:
            return False
        return any(seg[order[x]] == own and toks[order[x]].lower in NONE_OF for x in range(len(order)) if x != k)

    def _after_preposition(self, k: int) -> bool:
        """The word before place ``k`` is a preposition («из-за пандемии», «в пандемию»)."""
        return k > 0 and self.words.toks[self.order[k - 1]].info.pos == "PREP"

    def _past_adjectives(self, j: int, stop: int = 0) -> int:
        """The first place after ``j`` that is not an adjective or participle of ``j``'s part of
        the clause; an adjective in a hit or with a lexicon bit of ``stop`` ends the run too."""
        order, seg, toks, masks = self.order, self.clause.segment, self.words.toks, self.words.masks
        n = j + 1
        while (
            n < len(order)
            and seg[order[n]] == seg[order[j]]
            and toks[order[n]].info.pos in ("ADJF", "PRTF")
            and not masks[order[n]] & stop
            and not self.hits_at(n)
        ):
            n += 1
        return n

    def _having(self, j: int) -> bool:
        """The word at place ``j`` is a verb of ``rules.having`` («выделять», «быть», «иметься»)."""
        return self.words.toks[self.order[j]].info.lemma in self.rules.words["having"]

    def _names_resource(self, k: int) -> bool:
        """A hit at place ``k`` names a category's resource (``needs``), not a problem (``terms``)."""
        return any(h.kind != "terms" for h in self.named_at(k))

    def _resource_after(self, j: int) -> bool:
        """A verb of ``rules.having`` at place ``j`` followed in its part of the clause (past its
        adjectives) by a resource the codebook names: «Проблема в том, что на поездки не
        выделяют денег», «…, что не было переводчиков» — what is lacking is that resource, not
        the problem word before."""
        if not self._having(j):
            return False
        n = self._past_adjectives(j)
        seg = self.clause.segment
        return n < len(self.order) and seg[self.order[n]] == seg[self.order[j]] and self._names_resource(n)

    def _own_part(self, k: int, j: int, pw: int | None) -> str | None:
        """A «не» at place ``k`` with its light verb at ``j`` whose own comma part names a
        category before it, while the problem word at ``pw`` stands in an earlier part: the
        negation speaks of its own part, not of that problem word. ``"lacking"``: a resource, not
        after a preposition, with a verb of having or allotting and no «бы» («Языковой барьер,
        денег не выделяют», «…, бюджет не выделяют», «…, переводчиков у нас не было»);
        ``"denied"``: anything else it names («Проблема — визы, финансирования я бы не назвал»,
        «Сложности с визами, дефицита переводчиков не было»); None otherwise, and when the part
        goes on the problem word's list of prepositional phrases («Проблем с визами, с
        переводом не было»)."""
        order, seg, toks, masks = self.order, self.clause.segment, self.words.toks, self.words.masks
        own = seg[order[k]]
        if pw is None or seg[order[pw]] == own:
            return None
        places = [x for x in range(pw + 1, k) if seg[order[x]] == own]
        named = [x for x in places if self.named_at(x)]
        if not named:
            return None
        # «Проблем с визами, с (по) переводом не было»: the part goes on the problem word's list
        # of prepositional phrases (a preposition after the problem word and one opening the part)
        opener = toks[order[places[0]]]
        continues = (
            opener.info.pos == "PREP"
            and seg[order[pw + 1]] == seg[order[pw]]
            and toks[order[pw + 1]].info.pos == "PREP"
        )
        if continues:
            return None
        if any(masks[order[x]] & (BIT["absence"] | BIT["shortage_cues"]) for x in places):
            return "denied"  # the lack itself is negated: «дефицита переводчиков не было»
        conditional = any(masks[order[x]] & BIT["hypothetical"] for x in range(places[0], k + 1))
        if (
            self._having(j)  # «денег не выделяют», «переводчиков не было»
            and not conditional
            and any(not self._after_preposition(x) and self._names_resource(x) for x in named)
        ):
            return "lacking"
        return "denied"

    def _contrast_end(self, j: int) -> int:
        """«не в деньгах»: the words after «не в» up to a verb (at most 4, same segment)."""
        order, toks, seg = self.order, self.words.toks, self.clause.segment
        end = j + 1
        while (
            end < len(order) - 1
            and end < j + 4
            and seg[order[end + 1]] == seg[order[j]]
            and toks[order[end + 1]].info.pos not in ("VERB", "CONJ")
        ):
            end += 1
        return end

    def _absence(self, k: int, i: int) -> None:
        """«нет», «отсутствие», «ни», «без» at place ``k``: a denial or a shortage cue."""
        order, toks = self.order, self.words.toks
        if toks[i].lower == "ни" and self._concessive_ni(k):
            return
        if toks[i].lower == "ни" and [toks[order[x]].lower for x in range(k + 1, min(k + 3, len(order)))] == [
            "при",
            "чем",
        ]:
            self._verdict(k, i, k + 2)  # «Менталитет тут ни при чём»: a reply, like «Менталитет — нет»
            return
        if k + 1 < len(order) and toks[order[k + 1]].info.pos == "PREP" and toks[i].info.pos != "PRED":
            return  # «ни с X, ни с Y сложностей нет»: the negation is «нет»
        if toks[i][4] == "ни" and any(
            self.words.masks[order[x]] & (BIT["absence"] | BIT["negators"]) and toks[order[x]][4] != "ни"
            for x in range(k + 1, len(order))
        ):
            return  # «ни языковых, ни финансовых трудностей нет»: the negation comes later
        if toks[i].info.pos == "PREP" and any(
            self.words.masks[order[x]] & BIT["negators"] for x in range(k + 1, len(order))
        ):
            return  # «без разрешения Пекина ничего не делают»: what nothing happens without is required
        if self._verdict(k, i):
            return
        target = self._absence_target(k)
        if target is None:
            self.cues.append(k)
            return
        if any(h.first < i < h.last and self._says_absence(h) for h in self.hits_at(target)):
            return  # «нет ни механизма»: «ни» lies inside the pattern «нет ~2 механизм», which says the absence
        if self.words.masks[order[target]] & BIT["problem_words"]:
            self.denied_problem.add(target)
            self.denials.append((min(k, target), max(k, target), i))
            return
        th = self.hits_at(target)
        if th and all(h.kind == "terms" for h in th):
            # «языкового барьера нет», «непонимания из-за менталитета нет»
            for h in th:
                self.direct_denied.add(id(h))
            self.denials.append((min(k, target), max(k, target), i))
        else:
            self.cues.append(k)

    def _says_absence(self, h: Hit) -> bool:
        """A word of the pattern matched by ``h`` is a negator or an absence word («нет ~2 механизм»)."""
        masks = self.words.masks
        return any(masks[p] & (BIT["absence"] | BIT["negators"]) for p in h.positions)

    def _verdict(self, k: int, i: int, end: int | None = None) -> bool:
        """«Язык — нет», «Деньги — тоже нет», «Язык нет, переводчик есть», «Язык — никогда не
        было»: «нет» (or «не было», places ``k`` to ``end``) closing its part of the clause after
        nothing but named items said in the nominative (and ``rules.verdict_adverbs``), back to
        the start of the clause or of a comma part, is a reply to those items — a denial, not a
        shortage; so are «Проблема языка — нет» (a problem word right before the item) and «…, с
        языком нет» (the items after «с»). Every other item must be plainly not a genitive:
        «Денег нет», «Переводчиков — нет», «Координации нет», «Проблема — денег нет» are
        shortages, and so, to be safe, is «Визы — нет» (a genitive reading is likely); so is
        «Культура — да, торговля — нет», what there is and what there is not."""
        order, toks, seg = self.order, self.words.toks, self.clause.segment
        if end is None:
            if toks[i].lower not in ("нет", "нету"):
                return False
            end = k
        if end + 1 < len(order) and seg[order[end + 1]] == seg[i]:
            return False
        masks = self.words.masks
        named: list[Hit] = []
        problem: list[int] = []  # «Проблема языка — нет»: the genitive is the problem's, no shortage
        start = k
        while start > 0:  # back over the reply's subject, to the start of the clause or of a comma part
            j = start - 1
            t = order[j]
            hits = self.named_at(j)
            if hits:
                after_problem = j > 0 and order[j - 1] == t - 1 and masks[t - 1] & BIT["problem_words"]
                if toks[t].info.genitive_share >= PLAINLY_NOT_GENITIVE and not after_problem:
                    return False  # «Координации нет», «Язык — переводчика нет», «Проблема — денег нет»
                named.extend(h for h in hits if h not in named)
            elif masks[t] & BIT["problem_words"] and named:
                problem.append(j)
            elif not (masks[t] & BIT["verdict_adverbs"] or toks[t].lower in VERDICT_COMPANY):
                break
            start -= 1
        if not named or not self._opens_part(start):
            return False
        if any(toks[order[x]].lower == "да" for x in range(start)):
            return False  # «Культура — да, торговля — нет»: what there is and what there is not
        for h in named:
            self.direct_denied.add(id(h))
        self.denied_problem.update(problem)
        self.denials.append((start, k, i))
        return True

    def _absence_target(self, k: int) -> int | None:
        """The place of the word «нет», «отсутствие», «ни», «без»… at ``k`` governs."""
        clause, order, toks, masks = self.clause, self.order, self.words.toks, self.words.masks
        seg = clause.segment
        # forward: «нет прямых рейсов», «отсутствие проблем», «без переводчика»
        for j in range(k + 1, min(k + 5, len(order))):
            i = order[j]
            if seg[i] != seg[order[k]] or any(toks[x][3] is None for x in range(order[j - 1] + 1, i)):
                break  # «вопросов нет — для групп …»: the dash ends what «нет» governs
            info = toks[i].info
            if info.pos == "NOUN" and not info.genitive and toks[order[k]].lower in ("нет", "нету"):
                break  # «бюджета нет разница во времени» (no comma): a nominative is a new item, not what is absent
            if (masks[i] & BIT["problem_words"]) or (info.noun and info.pos in ("NOUN", None)):
                return j
            if info.pos in SKIP_POS_AFTER_ABSENCE or (masks[i] & BIT["absence"]):
                continue
            break
        # backward (only for predicates: «проблем нет», «переводчики отсутствуют»)
        if not toks[order[k]].info.predicate:
            return None
        verb = toks[order[k]].info.pos == "VERB"  # «отсутствуют» agrees with a nominative
        # «Трудностей принципиального характера нет»: a problem word of the same part of the
        # clause, before a genitive attribute, is what is absent; so is one before comma parts
        # without a predicate when «нет» opens its own («Проблем, требующих особого внимания, нет»)
        own = seg[order[k]]
        opens = k == 0 or seg[order[k - 1]] != own
        for j in range(k - 1, -1, -1):
            i = order[j]
            if toks[i].info.pos == "VERB" or (seg[i] != own and not (opens and seg[i] in self.predicate_free)):
                break
            if (
                masks[i] & BIT["problem_words"]
                and toks[i].info.genitive
                and not any(toks[order[x]].info.pos == "PREP" for x in range(max(0, j - 2), j))
            ):
                return j
        for j in range(k - 1, -1, -1):
            i = order[j]
            if seg[i] in clause.exception_segments:
                continue
            info = toks[i].info
            if info.pos != "NOUN" and not (masks[i] & BIT["problem_words"]):
                continue
            if (info.genitive or verb) and not self._after_preposition(j):
                return j
        return None

    def _widened_spans(self) -> list[tuple[int, int, int]]:
        """Denials as spans of whole segments: «Нет у нас проблем с языком, с визами, с
        расстоянием» — the list goes on over predicate-free segments opening with a preposition."""
        seg, order, toks = self.clause.segment, self.order, self.words.toks
        first_of_segment: dict[int, int] = {}
        for i in order:
            first_of_segment.setdefault(seg[i], i)
        spans = []
        for a, b, cue in self.denials:
            lo, hi = seg[order[a]], seg[order[b]]
            if cue in self.local_denials:
                spans.append((lo, hi, cue))
                continue
            # «Ни языковых, ни финансовых трудностей нет»: the «ни …» list before the denial
            while (
                lo - 1 in first_of_segment
                and lo in first_of_segment
                and self._opens_with_ni(lo)
                and (self._opens_with_ni(lo - 1))
            ):
                lo -= 1
            # «Финансирование — не проблема», «Расстояние — тоже не помеха»: a dash as the copula
            first = first_of_segment.get(lo)
            if (
                lo - 1 in self.predicate_free
                and first is not None
                and first > 0
                and toks[first - 1].text in DASHES
                and lo - 1 not in self.clause.exception_segments
            ):
                lo -= 1
            # «С удалённостью, языком проблем нет», «Расстояние, язык — никаких проблем»: a comma
            # list of bare topics in the same case as the denied one is denied with it when a
            # problem word is denied (not «визы, финансирования я бы не назвал»), the list does not
            # follow a dash («Проблема — визы, …»), and the cases agree (not «Удалённость, с языком
            # проблем нет»: a nominative, then «с …», is a topic and a denial)
            general = any(lo <= seg[order[p]] <= hi for p in self.denied_problem)  # «проблем нет», not «не назвал»
            while (
                general
                and lo - 1 in self.predicate_free
                and lo - 1 not in self.clause.exception_segments
                and (first := first_of_segment.get(lo)) is not None
                and toks[first - 1].text == ","
                and (before := first_of_segment.get(lo - 1)) is not None
                and not (before > 0 and toks[before - 1].text in DASHES)
                and self._bare_topics(lo - 1)
                and not self._cases(lo, named=False).isdisjoint(self._cases(lo - 1))
            ):
                lo -= 1
            while (
                hi + 1 in self.predicate_free
                and hi + 1 in first_of_segment
                and toks[first_of_segment[hi + 1]].info.pos == "PREP"
            ):
                hi += 1
            spans.append((lo, hi, cue))
        return spans

    def _segment_words(self, segment: int) -> list[int]:
        return [i for i in self.order if self.clause.segment[i] == segment]

    def _named(self, i: int) -> bool:
        return any(h.category != self.no_problems for h in self.in_hit.get(i, ()))

    def _cases(self, segment: int, named: bool = True) -> set[str]:
        """The grammatical cases the segment's first noun can be in, when the segment opens (after
        its prepositions and adjectives) with a codebook match holding that noun (else none):
        «языковой барьер» nominative, «денег» genitive. ``named=False``: any first noun (the
        denied segment's own topic need not be a codebook word: «С санкциями, взаимопониманием
        и финансированием вопросов не возникает»)."""
        toks = self.words.toks
        for i in self._segment_words(segment):
            if toks[i].info.pos == "PREP":
                continue
            if named and not self._named(i):
                return set()
            if toks[i].info.noun:
                return {p.tag.case for p in morph_analyzer().parse(toks[i][4]) if p.tag.POS == "NOUN"}
        return set()

    def _bare_topics(self, segment: int) -> bool:
        """The segment is only codebook matches joined by prepositions and conjunctions («с
        удалённостью», «визы и таможня»): an item of a list, with nothing said of it."""
        words = self._segment_words(segment)
        return any(self._named(i) for i in words) and all(
            self._named(i) or self.words.toks[i].info.pos in ("PREP", "CONJ") for i in words
        )

    def _opens_with_ni(self, segment: int) -> bool:
        """The segment opens with «ни» («ни финансовых, …»)."""
        first = next(i for i in self.order if self.clause.segment[i] == segment)
        return self.words.toks[first][4] == "ни"

    # ------------------------------------------------------------------ questions about a hit

    def hits_at(self, k: int) -> list[Hit]:
        return self.in_hit.get(self.order[k], [])

    def named_at(self, k: int) -> list[Hit]:
        """Hits at place ``k`` that name a category (not a «проблем нет» pattern)."""
        return [h for h in self.in_hit.get(self.order[k], []) if h.category != self.no_problems]

    def nearest_problem_word(self, k: int) -> int | None:
        """The undenied problem word nearest to place ``k``."""
        cands = [p for p in self.problem_words if p not in self.denied_problem]
        return min(cands, key=lambda p: abs(p - k)) if cands else None

    def negated_before(self, k: int) -> bool:
        """A negator among the two words before place ``k`` («не в рабочем порядке»)."""
        order, masks = self.order, self.words.masks
        return any(order[j] not in self.neutral and masks[order[j]] & BIT["negators"] for j in range(max(0, k - 2), k))

    def denial_for(self, h: Hit) -> tuple[int, int, int] | None:
        """The denial span (segments ``lo..hi``, cue token) the hit lies in."""
        hs = self.clause.segment[h.first]
        return next((s for s in self.spans if s[0] <= hs <= s[1]), None)

    def contrasted(self, h: Hit) -> bool:
        """The hit follows «не в …»: «проблема не в деньгах»."""
        k = self.clause.position[h.first]
        return any(a <= k <= b for a, b in self.contrast)

    def shortage_for(self, h: Hit) -> int | None:
        """The place of a shortage cue that applies to the hit, if any."""
        seg, order, pos = self.clause.segment, self.order, self.clause.position
        free = self.predicate_free
        hs = seg[h.first]
        for c in self.cues:
            if seg[order[c]] == hs:
                return c
        for c in self.cues:
            cs = seg[order[c]]
            # a list continuing after the cue's segment: «не хватает переводчиков, средств»
            if cs < hs and all(s in free for s in range(cs + 1, hs + 1)):
                return c
        # a cue with no resource of its own applies to the nearest one, when only
        # predicate-free segments lie between: «переводчиков, к сожалению, не хватает»
        resources = [o for o in self.hits if o.kind != "terms"]
        for c in self.cues:
            cs = seg[order[c]]
            if c in self.weak_cues or any(seg[o.first] == cs for o in resources):
                continue
            nearest = min(resources, key=lambda o: abs(pos[o.first] - c), default=None)
            lo, hi = min(cs, hs), max(cs, hs)
            if nearest is h and all(x in free for x in range(lo, hi + 1) if x != cs):
                return c
        return None

    def problem_word_for(self, h: Hit) -> int | None:
        """An undenied problem word in the hit's segment, or in a run of segments without
        their own predicate around it («сложности с визами, переводом»)."""
        seg, order = self.clause.segment, self.order
        hs = seg[h.first]
        for k in self.active_problem:
            ps = seg[order[k]]
            lo, hi = min(ps, hs), max(ps, hs)
            if all(s in self.predicate_free for s in range(lo, hi + 1) if s != ps):
                return k
        return None
