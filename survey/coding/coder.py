"""Code open answers into categories with the codebook, negation rules and evidence.

How an answer is coded (the rules' lexicons live in the codebook's ``rules`` section):

1. **Clauses.** The answer is cut into clauses at ``. ; : ! ? ( )``, line breaks and the
   contrast words of ``rules.boundaries`` (но, однако, а, зато, хотя, разве что…). Commas
   cut a clause further only where both sides have their own predicate («Финансирование
   выделяется, переводчиков не хватает»), so a list stays together: «Проблем с
   финансированием, визами и логистикой нет». «кроме X» marks X as an exception: named,
   whatever the rest of the clause denies.
2. **Matches.** Codebook patterns are matched on lemmas (any parse; ``ё`` = ``е``;
   ``ковид*`` prefixes; unknown words one typo away from a codebook word count as it).
   Matches inside an ``exclude`` phrase of the same category are dropped.
3. **Negation.** Each «не» attaches to the next word (skipping «очень», «особо»…); «нет»,
   «отсутствие», «ни», «без» attach to the noun they govern. What it attaches to decides:

   * a problem word («проблем нет», «не является препятствием», «трудностей не
     возникает», «вопрос решён») — a *denial*: matches between the problem word and the
     negation are not coded and are kept as "no problem with X";
   * a resource of the codebook («нет переводчиков», «отсутствие финансирования») or any
     other word («не хватает», «не налажено», «не решён») — a *shortage*: the resource
     nearby is coded;
   * «не в деньгах, а в …» — a contrast: the words after «не в» are not coded.

   False negations («не только», «тем не менее», «не секрет») are ignored.
4. **Decision.** ``terms`` are coded unless denied. ``needs`` are coded when a shortage
   applies to them, when an undenied problem word is in the clause («сложности с
   финансированием»), or when the clause just names them without a predicate (a list item
   «Финансирование.») — unless it is a topic («сотрудничество в сфере транспорта») or
   said to be fine. ``needs_strict`` need a shortage or a problem word.
5. ``no_problems`` is coded when the answer denies problems in general («серьёзных
   проблем нет», «всё решается в рабочем порядке») and no other category is coded except
   those in its ``compatible_with``.

>>> coder = Coder()
>>> c = coder.code("С финансированием проблем нет, но не хватает переводчиков.")
>>> [k for k, v in c.codes.items() if v]
['language']
>>> c.denied
['funding']
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import NamedTuple

from survey.base.lemmatize import Lemmatizer, Token
from survey.base.missing import is_missing
from survey.spec.codebook import BIT, Codebook, Pattern, load_codebook

HARD_BOUNDARIES = frozenset(".;:!?()\n")
# sentences: everything up to and including . ! ? or a line break
_SENTENCE = re.compile(r"[^.!?\n]+[.!?\n]*|[.!?\n]+")
MEMO_SIZE = 50_000
PREDICATE = BIT["predicate"]
ANAPHORIC = BIT["anaphora"]
_NUMBER_ENTRY: tuple[frozenset[str], None, tuple[()], int] = (
    frozenset(),
    None,
    (),
    0,
)  # digits: no lemma, no pattern, no lexicon
# words that make a clause worth analysing even without a codebook match
QUICK_CHECK = BIT["problem_words"] | BIT["negators"] | BIT["absence"] | BIT["shortage_cues"] | BIT["problem_verbs"]
# words that may open a clause boundary («но», «кроме», «а также»…)
CLAUSE_STARTS = BIT["boundaries"] | BIT["not_boundaries"] | BIT["exceptions"] | BIT["phrase_start"]
SOFT_BOUNDARIES = frozenset(",—–-")  # split a clause into segments
ANAPHORA = frozenset({"он", "она", "оно", "они", "это", "этот"})
VERBAL = frozenset({"VERB", "INFN", "PRTS", "PRTF", "GRND"})
SKIP_POS_AFTER_ABSENCE = frozenset({"ADJF", "PRTF", "ADVB", "PRCL", "NPRO", "PREP", "CONJ", "NUMR", "ADJS"})


class Evidence(NamedTuple):
    """Why a category was coded (or denied): the words and their place in the answer."""

    category: str
    text: str  # the matched words as written
    start: int  # character offsets in the answer, end exclusive
    end: int
    pattern: str  # the codebook pattern that matched
    reason: str  # Russian: «нехватка: „не хватает“», «названо», …
    confidence: str  # "high", "medium" (named without a predicate) or "low" (typo match)

    def __str__(self) -> str:
        return f"{self.category}: «{self.text}» [{self.start}:{self.end}] ({self.reason})"


@dataclass
class AnswerCoding:
    """The coding of one answer."""

    codes: dict[str, int]
    evidence: list[Evidence] = field(default_factory=list)
    denials: list[Evidence] = field(default_factory=list)

    @property
    def categories(self) -> list[str]:
        return [k for k, v in self.codes.items() if v]

    @property
    def denied(self) -> list[str]:
        """Categories the answer explicitly says are not a problem (and are not coded)."""
        seen = []
        for d in self.denials:
            if d.category and not self.codes.get(d.category) and d.category not in seen:
                seen.append(d.category)
        return seen

    def confidence(self, category: str) -> str:
        levels = [e.confidence for e in self.evidence if e.category == category]
        for level in ("high", "medium", "low"):
            if level in levels:
                return level
        return ""

    def evidence_text(self) -> str:
        """``distance: «нет прямых рейсов» [31:48]; covid: «пандемия» [0:8]``."""
        return "; ".join(f"{e.category}: «{e.text}» [{e.start}:{e.end}]" for e in self.evidence)

    def denial_text(self) -> str:
        return "; ".join(f"{d.category or 'общее'}: «{d.text}» [{d.start}:{d.end}]" for d in self.denials)


@dataclass
class _Hit:
    pattern: Pattern
    positions: list[int]  # token indices of the matched words
    fuzzy: list[tuple[str, str]]  # (written, codebook word) of typo matches

    @property
    def first(self) -> int:
        return self.positions[0]

    @property
    def last(self) -> int:
        return self.positions[-1]


@dataclass
class _Clause:
    tokens: list[int]  # word token indices, in order
    segment: dict[int, int]  # token index -> comma segment number
    exception_segments: set[int]
    segment_has_predicate: dict[int, bool]
    sentence: int = 0  # clauses of one sentence share the number
    question: bool = False  # the clause ends with «?»

    @property
    def has_predicate(self) -> bool:
        return any(self.segment_has_predicate.values())


@dataclass
class _ClauseMeta:
    sentence: int
    question: bool


@dataclass
class _Outcome:
    """What one clause gave, before the answer-level pass (anaphora, «X? Нет, …»)."""

    coded: list[Evidence] = field(default_factory=list)
    denied: list[Evidence] = field(default_factory=list)
    general: list[Evidence] = field(default_factory=list)  # «проблем нет», «в рабочем порядке»
    pending: list[tuple[Evidence, str]] = field(default_factory=list)  # uncoded resources
    orphan_cue: str | None = None  # a shortage cue that found no resource of its own
    anaphoric: bool = False  # refers back: «его», «их», «это»
    starts_with_no: bool = False  # «Нет, …» answering a question before it

    def shifted(self, offset: int) -> _Outcome:
        """A copy with evidence offsets moved by ``offset`` (the sentence's place in the
        answer). An outcome with no evidence is shared as is: nothing in it can change."""
        if not (self.coded or self.denied or self.general or self.pending):
            return self

        def move(items):
            return [Evidence(e[0], e[1], e[2] + offset, e[3] + offset, e[4], e[5], e[6]) for e in items]

        return _Outcome(
            move(self.coded),
            move(self.denied),
            move(self.general),
            [(Evidence(e[0], e[1], e[2] + offset, e[3] + offset, e[4], e[5], e[6]), x) for e, x in self.pending],
            self.orphan_cue,
            self.anaphoric,
            self.starts_with_no,
        )


class Coder:
    """Codes answers with a codebook. Configure in the constructor, apply with :meth:`code`.

    Learned while coding: ``unknown_`` (words pymorphy3 does not know, with counts; the
    codebook word a typo was matched to is in :func:`survey.coding.kwic.unknown_words`).
    """

    def __init__(
        self,
        codebook: Codebook | None = None,
        lemmatizer: Lemmatizer | None = None,
        memo_size: int = MEMO_SIZE,
    ):
        self.lemmatizer = lemmatizer or Lemmatizer()
        self.codebook = codebook or load_codebook(lemmatizer=self.lemmatizer)
        self.rules = self.codebook.rules
        self.ids = self.codebook.ids
        self.no_problems = next((c for c in self.codebook.categories if c.no_problems), None)
        self._by_lemma: dict[str, list[Pattern]] = {}
        self._by_prefix: list[tuple[str, Pattern]] = []
        self._by_form: dict[str, list[Pattern]] = {}
        for cat in self.codebook.categories:
            for p in cat.patterns:
                first = p.words[0]
                if first.exact is not None:
                    self._by_form.setdefault(first.exact, []).append(p)
                elif first.prefix is not None:
                    self._by_prefix.append((first.prefix, p))
                else:
                    for lemma in first.lemmas:
                        self._by_lemma.setdefault(lemma, []).append(p)
        self._vocabulary = sorted(
            {
                lemma
                for cat in self.codebook.categories
                for p in cat.patterns
                for w in p.words
                for lemma in w.lemmas
                if len(lemma) >= 5 and lemma.isalpha()
            }
        )
        self._fuzzy_cache: dict[str, str | None] = {}
        self._form_cache: dict[str, tuple] = {}
        # sentences repeat across answers («Финансирование.», «Проблем нет.»): each distinct
        # sentence is analysed once; bounded so memory stays flat on huge inputs
        self.memo_size = memo_size
        self._memo: dict[str, tuple] = {}
        self._stems: list[tuple[str, str]] | None = None

    @property
    def unknown_(self) -> Counter[str]:
        return self.lemmatizer.unknown

    # ------------------------------------------------------------------ public API

    def code(self, text: str | None) -> AnswerCoding:
        """Code one answer. Empty or missing answers get all zeros."""
        codes = dict.fromkeys(self.ids, 0)
        if not text or not str(text).strip():
            return AnswerCoding(codes)
        text = str(text)
        clauses: list[_ClauseMeta] = []
        outcomes: list[_Outcome] = []
        memo = self._memo
        for n, m in enumerate(_SENTENCE.finditer(text)):
            chunk, offset = m.group(), m.start()
            entry = memo.get(chunk)
            if entry is None:
                entry = self._code_sentence(chunk)
                if len(memo) >= self.memo_size:
                    memo.clear()
                memo[chunk] = entry
            elif entry[2]:
                self.lemmatizer.unknown.update(entry[2])
            for question, outcome in entry[0]:
                clauses.append(_ClauseMeta(n, question))
                outcomes.append(outcome.shifted(offset))
        coding = AnswerCoding(codes)
        self._refer_back(clauses, outcomes)
        general_denial: list[Evidence] = []
        for o in outcomes:
            for e in o.coded:
                coding.codes[e.category] = 1
                coding.evidence.append(e)
            coding.denials.extend(o.denied)
            general_denial.extend(o.general)
        self._finish_no_problems(coding, general_denial)
        coding.evidence = _outermost(coding.evidence)
        coding.denials = _outermost(coding.denials)
        coding.evidence.sort(key=lambda e: (self.ids.index(e.category), e.start))
        return coding

    def _code_sentence(self, text: str) -> tuple[list[tuple[bool, _Outcome]], int, list[str]]:
        """Code one sentence on its own (memoised by :meth:`code`): the outcome of each
        clause (offsets relative to the sentence), and the unknown words met."""
        toks = self.lemmatizer.tokens(text)
        unknown = self.lemmatizer.unknown_forms(toks)
        if unknown:
            self.lemmatizer.unknown.update(unknown)
        lemmas, typos, masks = self._lemma_sets(toks)
        neutral, forced = self._false_negations(toks, lemmas, masks)
        neutral |= _quoted(toks)
        clauses = self._clauses(toks, lemmas, masks)
        outcomes = [
            (c.question, self._code_clause(text, toks, lemmas, masks, typos, neutral, forced, c)) for c in clauses
        ]
        return outcomes, 0, unknown

    # ------------------------------------------------------------------ tokens

    def _lemma_sets(self, toks: list[Token]) -> tuple[list[frozenset[str]], dict[int, tuple[str, str]], list[int]]:
        """Lemma set of every token (typos fixed), the typo fixes by token index, and every
        token's lexicon bit mask (``masks[i] & BIT["negators"]``…)."""
        lemmas: list[frozenset[str]] = []
        masks: list[int] = []
        typos: dict[int, tuple[str, str]] = {}
        cache = self._form_cache
        empty: frozenset[str] = frozenset()
        for i, t in enumerate(toks):
            info = t[3]
            if info is None:
                lemmas.append(empty)
                masks.append(0)
                continue
            entry = cache.get(t[4])
            if entry is None:
                entry = _NUMBER_ENTRY if t[4].isdigit() else self._form_entry(t[4], info)
            lemmas.append(entry[0])
            masks.append(entry[3])
            if entry[1]:
                typos[i] = (t[0], entry[1])
        return lemmas, typos, masks

    def _form_entry(self, form: str, info) -> tuple[frozenset[str], str | None, tuple[Pattern, ...], int]:
        """Per word form (cached): lemma set, the codebook word a typo is fixed to, and the
        patterns that can start at this word."""
        lemmas, fixed = info.lemmas, None
        if not info.known and len(form) >= 5 and form.isalpha():
            fixed = self._fuzzy(form, info.lemma)
            if fixed:
                lemmas = frozenset({fixed})
        cands = [p for lemma in lemmas for p in self._by_lemma.get(lemma, ())]
        cands += self._by_form.get(form, [])
        cands += [
            p
            for prefix, p in self._by_prefix
            if form.startswith(prefix) or any(lemma.startswith(prefix) for lemma in lemmas)
        ]
        mask = self.rules.mask(lemmas) | (BIT["predicate"] if info.predicate else 0)
        if (info.pos == "NPRO" and not lemmas.isdisjoint(ANAPHORA)) or form in ("это", "этим", "этого"):
            mask |= BIT["anaphora"]  # refers back: «его не хватает», «это не помеха»
        entry = (lemmas, fixed, tuple(dict.fromkeys(cands)), mask)
        if not form.isdigit():  # numbers vary endlessly and match nothing
            self._form_cache[form] = entry
        return entry

    def _fuzzy(self, word: str, lemma: str) -> str | None:
        """The codebook word an unknown word is one typo away from (two for long words).

        Stems are compared — the word without its inflectional ending — so a typo in an
        inflected form is found too («переводчков» ≈ «переводчик», «финансирвания» ≈
        «финансирование»); pymorphy3's guessed lemma is compared as well.
        """
        if word in self._fuzzy_cache:
            return self._fuzzy_cache[word]
        if self._stems is None:
            self._stems = [(_stem(v), v) for v in self._vocabulary]
        best, best_key = None, None
        for candidate in dict.fromkeys((_stem(word), _stem(lemma))):
            limit = 1 if len(candidate) < 8 else 2
            for stem, v in self._stems:
                if abs(len(stem) - len(candidate)) <= limit and stem[0] in (candidate[0], candidate[1:2]):
                    d = _edit_distance(candidate, stem, limit)
                    key = (d, -len(stem))  # the closest, then the most specific word
                    if d <= limit and (best_key is None or key < best_key):
                        best, best_key = v, key
        self._fuzzy_cache[word] = best
        return best

    def _false_negations(
        self, toks: list[Token], lemmas: list[frozenset[str]], masks: list[int]
    ) -> tuple[set[int], set[int]]:
        """Negation words that do not negate, and words negated from afar.

        Returns ``(neutral, forced)``: ``neutral`` are «не» etc. that are not negations
        («не только», «тем не менее»); «нельзя сказать, что X не мешает» is a double
        negation (both neutral), while «нельзя сказать, что X развивается» negates the
        first predicate after «что» (``forced``).
        """
        neutral: set[int] = set()
        forced: set[int] = set()
        words = [i for i, t in enumerate(toks) if t.is_word]
        for k, i in enumerate(words):
            if not masks[i] & BIT["phrase_start"]:
                continue
            for name in ("false_negations", "double_negation"):
                for phrase in self.rules.phrases_from(name, lemmas[i]):
                    idx = words[k : k + len(phrase)]
                    if len(idx) < len(phrase) or not all(
                        not phrase[j].isdisjoint(lemmas[idx[j]]) for j in range(1, len(phrase))
                    ):
                        continue
                    neutral.update(idx)
                    if name == "double_negation":
                        self._double_negation(toks, masks, idx[-1] + 1, neutral, forced)
                    break
        return neutral, forced

    def _double_negation(self, toks, masks, start: int, neutral: set[int], forced: set[int]) -> None:
        first_target = None
        for i in range(start, len(toks)):
            t = toks[i]
            if not t.is_word:
                if t.text in ".;:!?\n":
                    break
                continue
            if i in neutral:
                continue
            if (masks[i] & BIT["negators"]) or ((masks[i] & BIT["absence"]) and t.info.predicate):
                neutral.add(i)
                return
            if first_target is None and (
                t.info.predicate or (masks[i] & BIT["positive"]) or (masks[i] & BIT["problem_words"])
            ):
                first_target = i
        if first_target is not None:
            forced.add(first_target)

    def _phrase_at(self, name: str, words: list[int], k: int, lemmas: list[frozenset[str]], masks: list[int]) -> int:
        """Length (in words) of a rule phrase or word of lexicon ``name`` starting at ``words[k]``."""
        for phrase in self.rules.phrases_from(name, lemmas[words[k]]):
            idx = words[k : k + len(phrase)]
            if len(idx) == len(phrase) and all(not phrase[j].isdisjoint(lemmas[idx[j]]) for j in range(1, len(phrase))):
                return len(phrase)
        if masks[words[k]] & BIT[name]:
            return 1
        return 0

    # ------------------------------------------------------------------ clauses

    def _clauses(self, toks: list[Token], lemmas: list[frozenset[str]], masks: list[int]) -> list[_Clause]:
        """Clauses with comma segments; see the module docstring."""
        raw: list[list[tuple[int, int, bool]]] = [[]]  # per clause: (token, segment, exception)
        meta: list[list] = [[0, False]]  # per clause: [sentence, question]
        sentence = 0
        segment, exception = 0, False
        words_all = [i for i, t in enumerate(toks) if t.is_word]
        position = {tok: k for k, tok in enumerate(words_all)}
        skip_until = -1
        for i, t in enumerate(toks):
            if i <= skip_until:
                continue
            if not t.is_word:
                if t.text in HARD_BOUNDARIES:
                    if t.text == "?":
                        meta[-1][1] = True
                    if t.text in ".!?\n":
                        sentence += 1
                    raw.append([])
                    meta.append([sentence, False])
                    segment, exception = 0, False
                elif t.text in SOFT_BOUNDARIES:
                    segment += 1
                    exception = False
                continue
            k = position[i]
            if not masks[i] & CLAUSE_STARTS:
                raw[-1].append((i, segment, exception))
                continue
            keep = self._phrase_at("not_boundaries", words_all, k, lemmas, masks)
            if keep:
                for j in words_all[k : k + keep]:
                    raw[-1].append((j, segment, exception))
                skip_until = words_all[k + keep - 1]
                continue
            n = self._phrase_at("boundaries", words_all, k, lemmas, masks)
            if n:
                raw.append([])
                meta.append([sentence, False])
                segment, exception = 0, False
                skip_until = words_all[k + n - 1]
                continue
            n = self._phrase_at("exceptions", words_all, k, lemmas, masks)
            if n:
                segment += 1
                exception = True
                skip_until = words_all[k + n - 1]
                continue
            raw[-1].append((i, segment, exception))
        clauses: list[_Clause] = []
        for items, (sent, question) in zip(raw, meta):
            if not items:
                continue
            parts = self._split_by_predicates(items, toks, lemmas, masks)
            for part in parts:
                part.sentence = sent
            parts[-1].question = question
            clauses.extend(parts)
        return clauses

    def _split_by_predicates(
        self,
        items: list[tuple[int, int, bool]],
        toks: list[Token],
        lemmas: list[frozenset[str]],
        masks: list[int],
    ) -> list[_Clause]:
        """Group comma segments into clauses with one predicate each.

        A segment opening with «который» is a relative clause inside another: it becomes
        a clause of its own and the clause around it goes on after it («переводчики,
        которых удаётся найти, не знают терминологии»). A segment opening with a
        subordinating word («что», «если», «когда»…) starts a new clause.
        """
        segs: dict[int, list[tuple[int, bool]]] = {}
        for tok, seg, exc in items:
            segs.setdefault(seg, []).append((tok, exc))
        groups: list[list[int]] = [[]]
        embedded: list[list[int]] = []
        group_pred = False
        for seg in sorted(segs):
            exc = segs[seg][0][1]
            first = segs[seg][0][0]
            pred = False
            if not exc:
                for t, _ in segs[seg]:
                    if masks[t] & PREDICATE:
                        pred = True
                        break
            opener = [t for t, _ in segs[seg][:2]]
            relative = any((masks[t] & BIT["relative"]) for t in opener[:1]) or (
                len(opener) == 2 and toks[opener[0]].info.pos == "PREP" and (masks[opener[1]] & BIT["relative"])
            )
            if not exc and relative:
                embedded.append([seg])
                continue
            subordinate = not exc and self.rules.written("subordinators", toks[first].lower)
            comparative = self.rules.written("rather_than", toks[first].lower)  # «…, чем мешает»
            if (pred or subordinate) and group_pred and groups[-1] and not comparative:
                groups.append([])
                group_pred = False
            groups[-1].append(seg)
            group_pred = group_pred or pred
        groups = [g for g in groups if g] + embedded
        out = []
        for group in groups:
            tokens, segment, exceptions, has_pred = [], {}, set(), {}
            for seg in group:
                for tok, exc in segs[seg]:
                    tokens.append(tok)
                    segment[tok] = seg
                    if exc:
                        exceptions.add(seg)
                has_pred[seg] = seg not in exceptions and any(masks[t] & PREDICATE for t, _ in segs[seg])
            out.append(_Clause(tokens, segment, exceptions, has_pred))
        return out

    # ------------------------------------------------------------------ matching

    def _hits(
        self,
        clause: _Clause,
        toks: list[Token],
        lemmas: list[frozenset[str]],
        typos: dict[int, tuple[str, str]],
    ) -> list[_Hit]:
        words = clause.tokens
        hits: list[_Hit] = []
        excludes: list[_Hit] = []
        cache = self._form_cache
        for k, i in enumerate(words):
            entry = cache.get(toks[i][4]) or self._form_entry(toks[i][4], toks[i][3])
            for p in entry[2]:
                positions = _match_rest(p, words, k, toks, lemmas)
                if positions is None:
                    continue
                hit = _Hit(p, positions, [typos[j] for j in positions if j in typos])
                (excludes if p.kind == "exclude" else hits).append(hit)
        if excludes:
            hits = [
                h
                for h in hits
                if not any(
                    e.pattern.category == h.pattern.category and e.first <= h.last and h.first <= e.last
                    for e in excludes
                )
            ]
        # keep the longest of overlapping hits of one category
        hits.sort(key=lambda h: (h.first, -(h.last - h.first)))
        kept: list[_Hit] = []
        for h in hits:
            if any(o.pattern.category == h.pattern.category and o.first <= h.first and h.last <= o.last for o in kept):
                continue
            kept.append(h)
        return kept

    # ------------------------------------------------------------------ negation

    def _next_word(self, clause: _Clause, k: int, masks, skip: str) -> int | None:
        words = clause.tokens
        for j in range(k + 1, min(k + 5, len(words))):
            if not masks[words[j]] & BIT[skip]:
                return j
        return None

    def _code_clause(self, text, toks, lemmas, masks, typos, neutral, forced, clause: _Clause) -> _Outcome:
        rules = self.rules
        words = clause.tokens
        outcome = _Outcome()
        outcome.anaphoric = any(masks[i] & ANAPHORIC for i in words)
        first = toks[words[0]]
        outcome.starts_with_no = first.lower in ("нет", "нету") and (
            len(words) == 1 or any(not toks[x].is_word for x in range(words[0] + 1, words[1]))
        )
        hits = self._hits(clause, toks, lemmas, typos)
        if not hits and not any(masks[i] & QUICK_CHECK for i in words):
            return outcome  # nothing named, nothing denied, no cue to pass on
        if not hits and not any(masks[i] & BIT["problem_words"] for i in words):
            # only a cue that may refer back («…, но его не хватает»): no need for the rest
            cue = next(i for i in words if masks[i] & QUICK_CHECK)
            outcome.orphan_cue = toks[cue].text
            return outcome
        in_hit: dict[int, list[_Hit]] = {}
        for h in hits:
            for p in range(h.first, h.last + 1):
                in_hit.setdefault(p, []).append(h)
        consumed = {p for h in hits for p in h.positions}
        seg = clause.segment
        problem_words = [k for k, i in enumerate(words) if (masks[i] & BIT["problem_words"])]
        denied_problem: set[int] = set()  # positions (k) of problem words that are denied
        denials: list[tuple[int, int, int]] = []  # (from k, to k, cue token index) — segment span
        contrast: list[tuple[int, int]] = []  # k ranges denied by «не в …»
        cues: list[int] = []  # k positions of shortage cues
        direct_denied: set[int] = set()  # ids of hits denied directly
        neutral_cues: set[int] = set()  # cue words negated («не снижается»)
        negated: set[int] = set()  # positions (k) a «не» attaches to
        weak_cues: set[int] = set()  # «не» + an ordinary verb

        routine = self.no_problems is not None and any(h.pattern.category == self.no_problems.id for h in hits)

        def nearest_problem_word(k: int) -> int | None:
            cands = [p for p in problem_words if p not in denied_problem]
            return min(cands, key=lambda p: abs(p - k)) if cands else None

        def hits_at(k: int) -> list[_Hit]:
            return in_hit.get(words[k], [])

        def segment_end(k: int) -> int:
            end = k
            while end + 1 < len(words) and seg[words[end + 1]] == seg[words[k]]:
                end += 1
            return end

        def negate(k: int, j: int, i: int) -> None:
            """«не» at position k (token i) attaches to the word at position j."""
            negated.add(j)
            tm = masks[words[j]]
            if tm & BIT["problem_words"]:
                denied_problem.add(j)
                denials.append((min(k, j), max(k, j), i))
            elif tm & BIT["problem_verbs"]:
                # «расстояние нам не мешает»: what stands before the verb is denied
                denials.append((0, segment_end(k), i))
                pw = nearest_problem_word(k)
                if pw is not None:
                    denied_problem.add(pw)
            elif tm & BIT["light_verbs"]:
                pw = nearest_problem_word(k)
                if pw is not None:
                    denied_problem.add(pw)
                    denials.append((min(k, pw), max(k, pw), i))
                else:
                    # «культурных различий я не вижу» denies the named problems;
                    # «переводчиков не имеется» is a shortage of the resources
                    for h in hits:
                        if h.pattern.kind == "terms":
                            direct_denied.add(id(h))
                    cues.append(k)
            elif toks[words[j]].info.pos == "PREP":
                end = j + 1
                while (
                    end < len(words) - 1
                    and end < j + 4
                    and seg[words[end + 1]] == seg[words[j]]
                    and toks[words[end + 1]].info.pos not in ("VERB", "CONJ")
                ):
                    end += 1
                contrast.append((j, end))
            elif hits_at(j) and toks[words[j]].info.pos not in VERBAL:
                # «не удалённость, а …»: a contrast, the named thing is not the problem
                for h in hits_at(j):
                    direct_denied.add(id(h))
            elif tm & BIT["shortage_cues"]:
                # «интерес не угасает», «добраться не сложно»: the problem is denied
                neutral_cues.add(j)
                denials.append((0, segment_end(k), i))
            else:
                # «не налажено», «не хватает» say a resource is lacking; «не говорят прямо»
                # is weaker: it counts only for resources in its own part of the clause
                cues.append(k)
                if not (tm & BIT["positive"]):
                    weak_cues.add(k)

        for k, i in enumerate(words):
            if i in forced:
                negate(k, k, i)
            if i in neutral:
                continue
            lem = masks[i]
            if (lem & BIT["negators"]) and i not in consumed:
                j = self._next_word(clause, k, masks, "skip_after_negator")
                if j is None:
                    cues.append(k)
                    continue
                negate(k, j, i)
            elif (lem & BIT["absence"]) and i not in consumed:
                if k + 1 < len(words) and toks[words[k + 1]].info.pos == "PREP" and toks[i].info.pos != "PRED":
                    continue  # «ни с X, ни с Y сложностей нет»: the negation is «нет»
                target = self._absence_target(clause, k, toks, masks)
                if target is None:
                    cues.append(k)
                    continue
                if masks[words[target]] & BIT["problem_words"]:
                    denied_problem.add(target)
                    denials.append((min(k, target), max(k, target), i))
                    continue
                th = hits_at(target)
                if th and all(h.pattern.kind == "terms" for h in th):
                    # «языкового барьера нет», «непонимания из-за менталитета нет»
                    for h in th:
                        direct_denied.add(id(h))
                    denials.append((min(k, target), max(k, target), i))
                else:
                    cues.append(k)
            elif (
                rules.written("rather_than", toks[i].lower)
                and k + 1 < len(words)
                and (masks[words[k + 1]] & BIT["problem_verbs"])
            ):
                # «скорее интересна, чем мешает»: the problem verb is denied
                negated.add(k + 1)
                denials.append((0, segment_end(k), i))
            elif (lem & BIT["resolution"]) and k not in negated and (toks[i].info.perfective or routine):
                # «вопрос решён» denies; «проблема решается за счёт …» still names the problem,
                # unless it is routine: «решается в рабочем порядке»
                pw = nearest_problem_word(k)
                if pw is not None:
                    denied_problem.add(pw)
                    denials.append((min(k, pw), max(k, pw), i))
        for k, i in enumerate(words):
            if k in neutral_cues or i in neutral or k in negated or (masks[i] & BIT["absence"]):
                continue
            # «не хватает» is handled above; «слабая логистика», «визы мешают» are complaints
            if (masks[i] & BIT["shortage_cues"]) or (masks[i] & BIT["problem_verbs"]):
                cues.append(k)
        active_problem = [k for k in problem_words if k not in denied_problem]

        kpos = {i: k for k, i in enumerate(words)}
        # spans of denials, widened to whole comma segments
        # segments without their own predicate; segments of an embedded relative clause
        # («…, которые обсуждались, …») belong to another clause and are transparent here
        predicate_free = {s for s, has in clause.segment_has_predicate.items() if not has}
        predicate_free |= set(range(max(seg.values()) + 1)) - set(clause.segment_has_predicate)
        first_of_segment: dict[int, int] = {}
        for i in words:
            first_of_segment.setdefault(seg[i], i)
        denial_spans = []
        for a, b, cue in denials:
            lo, hi = seg[words[a]], seg[words[b]]
            # «Нет у нас проблем с языком, с визами, с расстоянием»: the list goes on
            while (
                hi + 1 in predicate_free
                and hi + 1 in first_of_segment
                and toks[first_of_segment[hi + 1]].info.pos == "PREP"
            ):
                hi += 1
            denial_spans.append((lo, hi, cue))

        def cue_applies(h: _Hit) -> int | None:
            hs = seg[h.first]
            for c in cues:
                cs = seg[words[c]]
                if cs == hs:
                    return c
            for c in cues:
                cs = seg[words[c]]
                # a list continuing after the cue's segment: «не хватает переводчиков, средств»
                if cs < hs and all(s in predicate_free for s in range(cs + 1, hs + 1)):
                    return c
            # a cue with no resource of its own applies to the nearest one, when only
            # predicate-free segments lie between: «переводчиков, к сожалению, не хватает»
            for c in cues:
                cs = seg[words[c]]
                own = [o for o in hits if o.pattern.kind != "terms" and seg[o.first] == cs]
                if own or c in weak_cues:
                    continue
                nearest = min(
                    (o for o in hits if o.pattern.kind != "terms"),
                    key=lambda o: abs(kpos[o.first] - c),
                    default=None,
                )
                lo, hi = min(cs, hs), max(cs, hs)
                if nearest is h and all(x in predicate_free for x in range(lo, hi + 1) if x != cs):
                    return c
            return None

        def problem_word_applies(h: _Hit) -> int | None:
            """An undenied problem word in the hit's segment, or in a run of segments
            without their own predicate around it («сложности с визами, переводом»)."""
            hs = seg[h.first]
            for k in active_problem:
                ps = seg[words[k]]
                lo, hi = min(ps, hs), max(ps, hs)
                if all(s in predicate_free for s in range(lo, hi + 1) if s != ps):
                    return k
            return None

        def topic(h: _Hit) -> bool:
            k0 = kpos[h.first]
            for j in range(max(0, k0 - 3), k0):
                if seg[words[j]] == seg[h.first] and (masks[words[j]] & BIT["topic_markers"]):
                    return True
            k1 = kpos[h.last]
            return (
                k1 + 1 < len(words)
                and (masks[words[k1 + 1]] & BIT["topic_markers"])
                and seg[words[k1 + 1]] == seg[h.last]
            )

        has_positive = any((masks[i] & BIT["positive"]) and i not in consumed for i in words)
        nominal = not clause.has_predicate
        used_cues: set[int] = set()

        for h in hits:
            cat = h.pattern.category
            hs = seg[h.first]
            start, end = toks[h.first].start, toks[h.last].end
            ev_text = text[start:end]
            typo_note = "; опечатка: " + ", ".join(f"«{a}» ≈ «{b}»" for a, b in h.fuzzy) if h.fuzzy else ""
            conf_typo = "low" if h.fuzzy else None

            # add() and deny() are called only within this iteration (late binding is not an issue)
            def add(reason: str, confidence: str) -> None:
                outcome.coded.append(
                    Evidence(cat, ev_text, start, end, h.pattern.text, reason + typo_note, conf_typo or confidence)  # noqa: B023
                )

            def deny(cue_index: int | None) -> None:
                cue = f"«{toks[cue_index].text}»" if cue_index is not None else ""
                outcome.denied.append(
                    Evidence(cat, ev_text, start, end, h.pattern.text, f"отрицание {cue}".strip(), "high")  # noqa: B023
                )

            if self.no_problems is not None and cat == self.no_problems.id:
                if not any(w in neutral for w in h.positions) and not self._negated_before(
                    words, kpos[h.first], masks, neutral
                ):
                    outcome.general.append(Evidence(cat, ev_text, start, end, h.pattern.text, "названо", "high"))
                continue
            if hs in clause.exception_segments:
                add("названо как исключение («кроме …»)", "high")
                continue
            if id(h) in direct_denied:
                deny(None)
                continue
            span = next((s for s in denial_spans if s[0] <= hs <= s[1]), None)
            if span is not None and not any(s in clause.exception_segments for s in [hs]):
                deny(span[2])
                continue
            if any(a <= kpos[h.first] <= b for a, b in contrast):
                deny(None)
                continue
            if h.pattern.kind == "terms":
                add("названа проблема", "high")
                continue
            c = cue_applies(h)
            if c is not None:
                add(f"нехватка: «{toks[words[c]].text}»", "high")
                used_cues.add(c)
            elif (pw := problem_word_applies(h)) is not None:
                add(f"проблема: «{toks[words[pw]].text}»", "high")
            elif h.pattern.kind == "needs" and nominal and not has_positive and not topic(h):
                add("названо в перечне", "medium")
            else:
                outcome.pending.append((Evidence(cat, ev_text, start, end, h.pattern.text, "", "high"), ""))
        free_cues = [
            c
            for c in cues
            if c not in used_cues and not any(o.pattern.kind != "terms" and seg[o.first] == seg[words[c]] for o in hits)
        ]
        if free_cues:
            outcome.orphan_cue = toks[words[free_cues[0]]].text
        # general denials: a denied problem word whose span has no match («проблем нет»)
        for lo, hi, _cue in denial_spans:
            if not any(
                lo <= seg[h.first] <= hi
                and seg[h.first] not in clause.exception_segments
                and h.pattern.category != getattr(self.no_problems, "id", None)
                for h in hits
            ):
                segs_words = [i for i in words if lo <= seg[i] <= hi]
                start, end = toks[segs_words[0]].start, toks[segs_words[-1]].end
                outcome.general.append(Evidence("", text[start:end], start, end, "", "отрицание проблем", "high"))
        return outcome

    def _refer_back(self, clauses: list[_ClauseMeta], outcomes: list[_Outcome]) -> None:
        """Answer-level pass over neighbouring clauses of one sentence.

        * «Финансирование есть, но его не хватает»: a shortage with a pronoun and no
          resource of its own applies to the resources of the clause before.
        * «Расстояние большое, но это не помеха»: a general denial with «это» denies what
          the clause before named.
        * «Разница в менталитете? Нет, …»: a question answered «нет» is denied.
        """
        for prev, cur, pc, cc in zip(outcomes, outcomes[1:], clauses, clauses[1:]):
            same_sentence = pc.sentence == cc.sentence
            if same_sentence and cur.anaphoric and cur.orphan_cue and prev.pending:
                for e, _ in prev.pending:
                    prev.coded.append(
                        Evidence(
                            e.category,
                            e.text,
                            e.start,
                            e.end,
                            e.pattern,
                            f"нехватка: «{cur.orphan_cue}» (о сказанном выше)",
                            "high",
                        )
                    )
                prev.pending = []
            denies_prev = (same_sentence and cur.anaphoric and cur.general and not cur.coded) or (
                pc.question and cur.starts_with_no
            )
            if denies_prev and prev.coded:
                for e in prev.coded:
                    prev.denied.append(
                        Evidence(
                            e.category,
                            e.text,
                            e.start,
                            e.end,
                            e.pattern,
                            "отрицание (о сказанном выше)",
                            "high",
                        )
                    )
                prev.coded = []
                if cur.general:
                    cur.general = [g for g in cur.general if g.category]

    def _negated_before(self, words: list[int], k: int, masks, neutral: set[int]) -> bool:
        return any(words[j] not in neutral and masks[words[j]] & BIT["negators"] for j in range(max(0, k - 2), k))

    def _absence_target(self, clause: _Clause, k: int, toks: list[Token], masks) -> int | None:
        """The word «нет», «отсутствие», «ни», «без»… governs (position in the clause)."""
        words = clause.tokens
        seg = clause.segment
        # forward: «нет прямых рейсов», «отсутствие проблем», «без переводчика»
        for j in range(k + 1, min(k + 5, len(words))):
            i = words[j]
            if seg[i] != seg[words[k]] or any(not toks[x].is_word for x in range(words[j - 1] + 1, i)):
                break  # «вопросов нет — для групп …»: the dash ends what «нет» governs
            info = toks[i].info
            if (masks[i] & BIT["problem_words"]) or (info.noun and info.pos in ("NOUN", None)):
                return j
            if info.pos in SKIP_POS_AFTER_ABSENCE or (masks[i] & BIT["absence"]):
                continue
            break
        # backward (only for predicates: «проблем нет», «переводчики отсутствуют»)
        if not toks[words[k]].info.predicate:
            return None
        verb = toks[words[k]].info.pos == "VERB"  # «отсутствуют» agrees with a nominative
        for j in range(k - 1, -1, -1):
            i = words[j]
            if seg[i] in clause.exception_segments:
                continue
            info = toks[i].info
            if info.pos != "NOUN" and not (masks[i] & BIT["problem_words"]):
                continue
            governed = j > 0 and toks[words[j - 1]].info.pos == "PREP"
            if (info.genitive or verb) and not governed:
                return j
        return None

    # ------------------------------------------------------------------ no problems

    def _finish_no_problems(self, coding: AnswerCoding, general: list[Evidence]) -> None:
        if self.no_problems is None or not general:
            return
        allowed = set(self.no_problems.compatible_with) | {self.no_problems.id}
        if any(v and k not in allowed for k, v in coding.codes.items()):
            coding.denials.extend(e for e in general if not e.category)
            return
        cid = self.no_problems.id
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


def _quoted(toks: list[Token]) -> set[int]:
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


def _outermost(items: list[Evidence]) -> list[Evidence]:
    """Drop evidence lying inside other evidence of the same category."""
    out: list[Evidence] = []
    for e in items:
        if any(
            o is not e
            and o.category == e.category
            and o.start <= e.start
            and e.end <= o.end
            and (o.end - o.start) > (e.end - e.start)
            for o in items
        ):
            continue
        if any(o.category == e.category and (o.start, o.end) == (e.start, e.end) for o in out):
            continue
        out.append(e)
    return out


def _match_rest(
    p: Pattern, words: list[int], k: int, toks: list[Token], lemmas: list[frozenset[str]]
) -> list[int] | None:
    positions = [words[k]]
    at = k
    for w in p.words[1:]:
        found = None
        for j in range(at + 1, min(at + 2 + w.gap, len(words))):
            i = words[j]
            if w.matches(lemmas[i], toks[i].lower):
                found = j
                break
        if found is None:
            return None
        positions.append(words[found])
        at = found
    return positions


_ENDING = re.compile(
    r"(?:ться|ться|тся|лся|лась|лись|ешь|ете|ишь|ите|ами|ями|ого|его|ому|ему|ыми|ими|ая|яя|ое|ее|"
    r"ые|ие|ых|их|ым|им|ий|ый|ой|ей|ою|ею|ам|ям|ах|ях|ом|ем|ов|ев|ую|юю|ть|ся|сь|ут|ют|ат|ят|"
    r"а|я|о|е|и|ы|у|ю|ь|й|л)$"
)


def _stem(word: str) -> str:
    """The word without a Russian inflectional ending (a crude suffix strip, ≥ 4 letters kept)."""
    m = _ENDING.search(word)
    if m and m.start() >= 4:
        return word[: m.start()]
    return word


def _edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau–Levenshtein distance (adjacent transpositions), stopping above ``limit``."""
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


def code_frame(texts, ids=None, coder: Coder | None = None, *, details: bool = False):
    """Code a column of answers: ``id``, one 0/1 column per category, ``evidence``.

    With ``details``: also ``denied`` (categories the answer says are no problem) and
    ``confidence`` (per coded category: high, medium or low).

    >>> import pandas as pd
    >>> code_frame(pd.Series(["Нет переводчиков."]), ids=["a1"])[["id", "language", "evidence"]]
       id  language                            evidence
    0  a1         1  language: «переводчиков» [4:16]
    """
    import pandas as pd

    coder = coder or Coder()
    texts = list(texts)
    ids = list(ids) if ids is not None else list(range(1, len(texts) + 1))
    rows = []
    for rid, text in zip(ids, texts):
        c = coder.code(None if is_missing(text) else str(text))
        row = {"id": rid, **c.codes, "evidence": c.evidence_text()}
        if details:
            row["denied"] = ", ".join(c.denied)
            row["confidence"] = ", ".join(f"{k}={c.confidence(k)}" for k in c.categories)
        rows.append(row)
    columns = ["id", *coder.ids, "evidence"] + (["denied", "confidence"] if details else [])
    return pd.DataFrame(rows, columns=columns)


def code_responses(data, questionnaire, coder: Coder):
    """Code every coded open question of validated responses.

    Returns one row per (expert, question): ``expert_id, question, answer``, one 0/1
    column per category of the codebook, ``evidence``, ``denied``, ``confidence``
    (e.g. ``distance=high, funding=medium``) and ``confidence_<category>`` columns.
    Categories that do not apply to a question (codebook ``questions``) are 0 for it.
    """
    import pandas as pd

    rows = []
    for f in questionnaire.coded_questions:
        applies = {c.id for c in coder.codebook.for_question(f.id)}
        for eid, text in zip(data["expert_id"], data[f.id]):
            c = coder.code(None if is_missing(text) else str(text))
            codes = {k: (v if k in applies else 0) for k, v in c.codes.items()}
            rows.append(
                {
                    "expert_id": str(eid),
                    "question": f.id,
                    "answer": "" if is_missing(text) else str(text),
                    **codes,
                    "evidence": c.evidence_text(),
                    "denied": ", ".join(c.denied),
                    "confidence": ", ".join(f"{k}={c.confidence(k)}" for k in c.categories if codes[k]),
                    **{f"confidence_{k}": c.confidence(k) for k in coder.ids},
                }
            )
    columns = [
        "expert_id",
        "question",
        "answer",
        *coder.ids,
        "evidence",
        "denied",
        "confidence",
        *[f"confidence_{k}" for k in coder.ids],
    ]
    return pd.DataFrame(rows, columns=columns)
