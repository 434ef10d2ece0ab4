"""Clauses: the scope a negation acts in.

A sentence is cut into clauses at ``; : ( )``, ``!``/``?`` and line breaks, and at the
contrast words of the codebook's ``rules.boundaries`` (но, однако, а, зато, хотя, разве
что…). Commas and dashes cut a clause into *segments*; they start a new clause only where
both sides have their own predicate («Финансирование выделяется, переводчиков не
хватает»), where the segment after opens with a subordinating word («…, если …») or, after a
clause with a predicate, with «сейчас», «теперь» (the present after the past), so a list stays
one scope: «Проблем с финансированием, визами и логистикой нет». «кроме X» marks X's segment
as an *exception*: named, whatever the rest denies; it goes on past a comma through a genitive
participle («кроме ограничений, связанных с COVID-19, …») up to the next comma or denial.

>>> from survey.base.lemmatize import Lemmatizer
>>> from survey.coding.matching import PatternIndex
>>> from survey.coding.tokens import read_words
>>> from survey.spec.codebook import load_codebook
>>> lem = Lemmatizer()
>>> cb = load_codebook(lemmatizer=lem)
>>> w = read_words("Финансирование выделяется, переводчиков не хватает, но это решаемо.", lem, PatternIndex(cb))
>>> [" ".join(w.toks[i].text for i in c.tokens) for c in split_clauses(w, cb.rules)]
['Финансирование выделяется', 'переводчиков не хватает', 'это решаемо']
"""

from __future__ import annotations

from dataclasses import dataclass, field

from survey.coding.tokens import Words, abbreviation_dot
from survey.spec.codebook import BIT, Rules

HARD_BOUNDARIES = frozenset(".;:!?()\n")
SOFT_BOUNDARIES = frozenset(",—–-")  # split a clause into segments
CUE_START = BIT["shortage_cues:start"]  # the word can open a multi-word shortage cue
PARENTHETICAL_WORDS = 3  # «как мне кажется», «я бы сказал»: the longest that stays inside a clause
PREDICATE = BIT["predicate"]
# words that may open a clause boundary («но», «кроме», «а также»…)
CLAUSE_STARTS = BIT["boundaries"] | BIT["not_boundaries"] | BIT["exceptions"] | BIT["phrase_start"]


@dataclass
class Clause:
    """One clause of a sentence: its word tokens and their comma segments."""

    tokens: list[int]  # word token indices, in order
    segment: dict[int, int]  # token index -> comma segment number
    exception_segments: set[int]  # segments opened by «кроме», «за исключением»…
    segment_has_predicate: dict[int, bool]
    sentence: int = 0  # clauses of one sentence share the number
    question: bool = False  # the clause ends with «?»
    opener: str = ""  # the boundary word that opened the clause («но», «хотя»…), folded
    continues: bool = False  # split from the clause before at a comma (see split_by_predicates)
    position: dict[int, int] = field(default_factory=dict)  # token index -> place in ``tokens``

    def __post_init__(self) -> None:
        if not self.position:
            self.position = {i: k for k, i in enumerate(self.tokens)}

    @property
    def has_predicate(self) -> bool:
        return any(self.segment_has_predicate.values())

    def segment_of(self, k: int) -> int:
        """Segment number of the word at place ``k``."""
        return self.segment[self.tokens[k]]

    def segment_start(self, k: int) -> int:
        """Place of the first word in the segment of the word at place ``k``."""
        start = k
        s = self.segment[self.tokens[k]]
        while start > 0 and self.segment[self.tokens[start - 1]] == s:
            start -= 1
        return start

    def segment_end(self, k: int) -> int:
        """Place of the last word in the segment of the word at place ``k``."""
        end = k
        s = self.segment[self.tokens[k]]
        while end + 1 < len(self.tokens) and self.segment[self.tokens[end + 1]] == s:
            end += 1
        return end

    def predicate_free(self) -> set[int]:
        """Segments without their own predicate; numbers of segments that belong to an
        embedded relative clause («…, которые обсуждались, …») count as predicate-free."""
        free = {s for s, has in self.segment_has_predicate.items() if not has}
        free |= set(range(max(self.segment.values()) + 1)) - set(self.segment_has_predicate)
        return free


def phrase_at(rules: Rules, name: str, words: Words, order: list[int], k: int) -> int:
    """Length (in words) of a phrase or word of lexicon ``name`` starting at ``order[k]``."""
    lemmas = words.lemmas
    for phrase in rules.phrases_from(name, lemmas[order[k]]):
        idx = order[k : k + len(phrase)]
        if len(idx) == len(phrase) and all(not phrase[j].isdisjoint(lemmas[idx[j]]) for j in range(1, len(phrase))):
            return len(phrase)
    if words.masks[order[k]] & BIT[name]:
        return 1
    return 0


def cue_phrase_at(words: Words, order: list[int], rules: Rules, k: int) -> int:
    """Length of a multi-word shortage cue («хорошо бы», «было бы неплохо», «с трудом») starting
    at place ``k``, its words side by side (no comma between: «всё хорошо, было бы желание» is
    no wish); 0 if none."""
    if not words.masks[order[k]] & CUE_START:
        return 0
    n = phrase_at(rules, "shortage_cues", words, order, k)
    return n if n > 1 and order[k + n - 1] - order[k] == n - 1 else 0


def is_cue(words: Words, order: list[int], rules: Rules, k: int) -> bool:
    """A shortage cue, a word or a phrase, starts at place ``k``."""
    m = words.masks[order[k]]
    return (
        bool(m & BIT["shortage_cues"] and not _in_turn(words, order, k))
        or bool(m & CUE_START and cue_phrase_at(words, order, rules, k))
        or conditional_wish(words, order, k, rules)
    )


# «в первую очередь», «в свою очередь»: an order of things, not a queue
IN_TURN = frozenset({"первый", "второй", "третий", "свой"})


def _in_turn(words: Words, order: list[int], k: int) -> bool:
    """«интерес китайцев к нам в первую очередь по углю»: «очередь» at place ``k`` after an
    ordinal or «свою» is no shortage cue (a queue at the border is)."""
    return k > 0 and words.toks[order[k]].lower == "очередь" and not IN_TURN.isdisjoint(words.lemmas[order[k - 1]])


# «работали бы и дальше», «работал бы как прежде», «хватило бы и на большее»: what works would go
# on, a counterfactual, not a wish
WISH_CONTINUATIONS: tuple[tuple[str, ...], ...] = (
    ("и", "дальше"),
    ("и", "сейчас"),
    ("и", "впредь"),
    ("и", "теперь"),
    ("как", "прежде"),
    ("как", "раньше"),
    ("и", "на"),
    ("даже",),
)
# «бы сохранить» (keep it as it is), «я бы много сказал», «средств бы хватило»: no wish
WISH_NOT = frozenset({"сохранить", "сохраниться", "много", "хватить", "хватать"})
WISH_VERBS = frozenset({"быть", "мочь"})  # «было бы», «могли бы» leave «бы» to the word beside it


def conditional_wish(words: Words, order: list[int], k: int, rules: Rules) -> bool:
    """A positive word right next to «бы» is a wish, not a statement that all is well:
    «восстановили бы прямой рейс», «нам бы своего переводчика». Not a hedge of
    ``rules.fillers`` («как бы», «вроде бы налажено»), nor with a negation near («не было бы
    хорошо»), nor in a counterfactual sentence («если бы не ковид», «не будь ковида»), nor when
    «бы» belongs to another verb («отметил бы хорошо налаженное сообщение»), nor what would go on
    as it is («работали бы и дальше»)."""
    masks, toks, i = words.masks, words.toks, order[k]
    if not masks[i] & BIT["positive"] or toks[i].info.lemma in WISH_NOT:
        return False
    near = [j for j in (k - 1, k + 1) if 0 <= j < len(order) and masks[order[j]] & BIT["hypothetical"]]
    if not near:
        return False  # most positive words: no «бы» beside them
    said = [t.lower for t in toks if t.info is not None]
    if "будь" in said or any(a == "если" and b == "бы" for a, b in zip(said, said[1:])):
        return False  # a condition, not a wish (not «если честно, …»)
    for j in near:
        if abs(order[j] - i) != 1:
            continue  # a comma between
        if order[j] in filler_words(words, order, rules):
            continue
        if any(masks[order[x]] & BIT["negators"] for x in range(max(0, min(j, k) - 2), min(len(order), max(j, k) + 3))):
            continue  # «не было бы хорошо»
        if j == k - 1 and j > 0:
            verb = toks[order[j - 1]].info
            own = verb.pos in ("VERB", "INFN") and verb.lemma not in WISH_VERBS
            if own and not masks[order[j - 1]] & BIT["positive"]:
                continue  # «бы» is the verb's before it
        after = tuple(toks[order[x]].lower for x in range(max(j, k) + 1, min(len(order), max(j, k) + 3)))
        if any(after[: len(c)] == c for c in WISH_CONTINUATIONS):
            continue
        return True
    return False


def filler_words(words: Words, order: list[int], rules: Rules) -> set[int]:
    """Token indices inside the fillers of ``rules.fillers`` («как бы», «вроде бы»)."""
    out: set[int] = set()
    for k in lexicon_places(words, order, rules, "fillers"):
        out.update(order[k : k + phrase_at(rules, "fillers", words, order, k)])
    return out


def aside_words(words: Words, rules: Rules) -> set[int]:
    """Token indices of the asides of ``rules.asides`` («ну», «в общем», «пожалуй», «честно
    говоря») set off by commas, or opening the sentence before a comma: «Больше, в общем-то,
    ничего», «Ну, ковид». A codebook pattern reads past them (:meth:`Coder.code_sentence`),
    as if they were not written."""
    masks = words.masks
    wanted = BIT["asides"] | BIT["asides:start"]
    if not any(m & wanted for m in masks):
        return set()
    toks, order = words.toks, words.word_indices()
    out: set[int] = set()
    for k in lexicon_places(words, order, rules, "asides"):
        n = phrase_at(rules, "asides", words, order, k)
        first, last = order[k], order[k + n - 1]
        if last - first != n - 1 or last + 1 >= len(toks) or toks[last + 1].text != ",":
            continue  # not side by side, or no comma after
        if first == 0 or toks[first - 1].text in (",", "—", "-"):
            out.update(range(first, last + 1))
    return out


def cue_phrase_words(words: Words, order: list[int], rules: Rules) -> set[int]:
    """Token indices inside multi-word shortage cues: «хорошо» in «хорошо бы» is a wish, not a
    positive word; nor is one next to «бы» (:func:`conditional_wish`)."""
    out: set[int] = set()
    masks = words.masks
    for k, i in enumerate(order):
        if masks[i] & CUE_START:
            out.update(order[k : k + cue_phrase_at(words, order, rules, k)])
        if conditional_wish(words, order, k, rules):
            out.add(i)
    return out


def lexicon_places(words: Words, order: list[int], rules: Rules, name: str) -> list[int]:
    """Places ``k`` in ``order`` where a word or phrase of lexicon ``name`` starts."""
    masks = words.masks
    wanted = BIT[name] | BIT.get(f"{name}:start", 0)
    return [k for k, i in enumerate(order) if masks[i] & wanted and phrase_at(rules, name, words, order, k)]


def split_clauses(words: Words, rules: Rules) -> list[Clause]:
    """The clauses of a sentence, with comma segments (see the module docstring)."""
    toks, masks = words.toks, words.masks
    raw: list[list[tuple[int, int, bool]]] = [[]]  # per clause: (token, segment, exception)
    meta: list[list] = [[0, False, ""]]  # per clause: [sentence, question, opener]
    sentence = 0
    segment, exception = 0, False
    continued = False  # the exception went on past a comma («кроме ограничений, связанных с …»)
    order = words.word_indices()
    place = {tok: k for k, tok in enumerate(order)}
    skip_until = -1
    for i, t in enumerate(toks):
        if i <= skip_until:
            continue
        if t[3] is None:
            if t.text in HARD_BOUNDARIES and not abbreviation_dot(toks, i):
                if t.text == "?":
                    meta[-1][1] = True
                if t.text in ".!?\n":
                    sentence += 1
                raw.append([])
                meta.append([sentence, False, ""])
                segment, exception, continued = 0, False, False
            elif t.text in SOFT_BOUNDARIES:
                # «кроме одной — прямого авиасообщения», «за одним исключением — таможня»: the
                # exception is named after the dash; «кроме ограничений, связанных с COVID-19, …»:
                # a genitive participle after the comma still describes it
                if t.text == ",":
                    exception = continued = exception and _describes_exception(toks, i)
                else:
                    exception = exception and _only_one(raw[-1], segment, words.lemmas)
                segment += 1
            continue
        k = place[i]
        if continued and masks[i] & EXCEPTION_ENDS:
            # «кроме ограничений, связанных с пандемией других проблем нет»: the closing comma is
            # missing; the exception ends where the denial begins
            segment += 1
            exception = continued = False
        if not masks[i] & CLAUSE_STARTS:
            raw[-1].append((i, segment, exception))
            continue
        keep = phrase_at(rules, "not_boundaries", words, order, k)
        n = 0 if keep else phrase_at(rules, "boundaries", words, order, k)
        if n > 1 and raw[-1] and i > 0 and toks[i - 1].info is not None and toks[i][4] != "разве":
            # «Правовых препятствий при этом не видим»: a phrase inside the clause, no comma
            # before it, is parenthetical, like a «not_boundaries» phrase
            keep = n
        if keep:
            for j in order[k : k + keep]:
                raw[-1].append((j, segment, exception))
            skip_until = order[k + keep - 1]
            continue
        if n:
            raw.append([])
            meta.append([sentence, False, " ".join(toks[j][4] for j in order[k : k + n])])
            segment, exception = 0, False
            skip_until = order[k + n - 1]
            continue
        n = phrase_at(rules, "exceptions", words, order, k)
        if n:
            segment += 1
            exception = True
            skip_until = order[k + n - 1]
            continue
        raw[-1].append((i, segment, exception))
    clauses: list[Clause] = []
    for items, (sent, question, opener) in zip(raw, meta):
        if not items:
            continue
        parts = split_by_predicates(items, words, rules)
        for n, part in enumerate(parts):
            part.sentence = sent
            part.continues = n > 0
        parts[0].opener = opener
        parts[-1].question = question
        clauses.extend(parts)
    return clauses


# genitive participles that go on describing what «кроме», «помимо», «за исключением» govern
# (the genitive): «кроме ограничений, связанных с COVID-19, …». A nominative one begins the main
# clause instead: «кроме виз, оставшиеся вопросы решены».
EXCEPTION_ATTRIBUTES = frozenset(
    f"{stem}{ending}" for stem in ("связанн", "вызванн", "обусловленн") for ending in ("ых", "ого", "ой")
)
EXCEPTION_ENDS = BIT["negators"] | BIT["absence"] | BIT["problem_words"]


def _describes_exception(toks: list, i: int) -> bool:
    """The word after the comma at token ``i`` is a genitive participle of
    :data:`EXCEPTION_ATTRIBUTES`: it still describes the exception."""
    for t in toks[i + 1 :]:
        if t[3] is not None:
            return t[4] in EXCEPTION_ATTRIBUTES
    return False


ALSO = frozenset({"и", "тоже", "также"})  # «…, теперь и с логистикой»: the present goes on alike


def _opens_present(members: list[tuple[int, bool]], words: Words, rules: Rules) -> bool:
    """A segment opens with a word or phrase of ``now_markers`` («сейчас», «теперь», «в настоящее
    время») not followed by «и», «тоже», «также»."""
    tokens = [t for t, _ in members]
    if not words.masks[tokens[0]] & (BIT["now_markers"] | BIT["now_markers:start"]):
        return False
    n = phrase_at(rules, "now_markers", words, tokens, 0)
    return bool(n) and not (n < len(tokens) and words.lemmas[tokens[n]] & ALSO)


def _only_one(items: list[tuple[int, int, bool]], segment: int, lemmas) -> bool:
    """The words of ``segment`` so far are only «один» («кроме одной», «за одним исключением»)."""
    return all("один" in lemmas[tok] for tok, seg, _ in items if seg == segment)


def _and_that(segment: list[tuple[int, bool]], toks) -> bool:
    """The segment ends with «и то» (before «, что …»): one more item of a list."""
    return len(segment) >= 2 and toks[segment[-1][0]].lower == "то" and toks[segment[-2][0]].lower == "и"


def _parenthetical(segment: list[tuple[int, bool]], masks: list[int]) -> bool:
    """«честно скажу», «как мне кажется», «я думаю» between commas: a short segment whose
    verb is a parenthetical one does not count as a predicate of its own."""
    return (
        len(segment) <= PARENTHETICAL_WORDS
        and any(masks[t] & BIT["parentheticals"] for t, _ in segment)
        and not any(masks[t] & BIT["negators"] for t, _ in segment)  # «не говорят прямо» is said
    )


def split_by_predicates(items: list[tuple[int, int, bool]], words: Words, rules: Rules) -> list[Clause]:
    """Group comma segments into clauses with one predicate each.

    A segment opening with «который» is a relative clause inside another: it becomes
    a clause of its own and the clause around it goes on after it («переводчики,
    которых удаётся найти, не знают терминологии»). A segment opening with a
    subordinating word («что», «если», «когда»…) starts a new clause, and so does one opening
    with «сейчас», «теперь» after a clause with a predicate (the present after the past).
    """
    toks, masks = words.toks, words.masks
    segs: dict[int, list[tuple[int, bool]]] = {}
    for tok, seg, exc in items:
        segs.setdefault(seg, []).append((tok, exc))
    # a segment has a predicate of its own unless it is an exception («кроме X») or a parenthetical
    # (a segment's tokens are all in an exception or none)
    predicate = {
        seg: not members[0][1] and any(masks[t] & PREDICATE for t, _ in members) and not _parenthetical(members, masks)
        for seg, members in segs.items()
    }
    groups: list[list[int]] = [[]]
    embedded: list[list[int]] = []
    group_pred = False
    for seg in sorted(segs):
        exc = segs[seg][0][1]
        first = segs[seg][0][0]
        pred = predicate[seg]
        opener = [t for t, _ in segs[seg][:2]]
        relative = any((masks[t] & BIT["relative"]) for t in opener[:1]) or (
            len(opener) == 2 and toks[opener[0]].info.pos == "PREP" and (masks[opener[1]] & BIT["relative"])
        )
        if not exc and relative:
            embedded.append([seg])
            continue
        subordinate = not exc and rules.written("subordinators", toks[first].lower)
        # «раньше не хватало переводчиков, теперь своя служба перевода»: «теперь» opens the present
        now = not exc and _opens_present(segs[seg], words, rules)
        comparative = rules.written("rather_than", toks[first].lower)  # «…, чем мешает»
        # «переводчики и то, что партнёры не отвечают»: «и то, что …» adds one more item, a fact;
        # its clause is its own even when the items before it have no predicate (not «это то, что …»)
        fact = subordinate and seg - 1 in segs and _and_that(segs[seg - 1], toks)
        if (pred or subordinate or now) and (group_pred or fact) and groups[-1] and not comparative:
            groups.append([])
            group_pred = False
        groups[-1].append(seg)
        group_pred = group_pred or pred
    groups = [g for g in groups if g] + embedded
    out = []
    for group in groups:
        tokens: list[int] = []
        segment: dict[int, int] = {}
        exceptions: set[int] = set()
        has_pred: dict[int, bool] = {}
        for seg in group:
            for tok, exc in segs[seg]:
                tokens.append(tok)
                segment[tok] = seg
                if exc:
                    exceptions.add(seg)
            has_pred[seg] = predicate[seg]
        out.append(Clause(tokens, segment, exceptions, has_pred))
    return out
