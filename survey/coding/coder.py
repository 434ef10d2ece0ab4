"""Code open answers into categories with the codebook, negation rules and evidence.

An answer goes through these parts, each a module of its own (the rules' lexicons live in
the codebook's ``rules`` section):

0. **Turns** (:mod:`survey.coding.turns`): in an interview transcript pasted into the cell,
   the interviewer's questions are blanked («— Инт.: А с переводчиками как?»).
1. **Words** (:mod:`survey.coding.tokens`): tokens, pymorphy3 lemma sets (``ё`` = ``е``;
   unknown words one typo away from a codebook word count as it), lexicon masks.
2. **Clauses** (:mod:`survey.coding.clauses`): cut at ``. ; : ! ? ( )``, line breaks and the
   contrast words of ``rules.boundaries`` (но, однако, а, зато, хотя, разве что…). Commas
   cut a clause further only where both sides have their own predicate («Финансирование
   выделяется, переводчиков не хватает»), so a list stays together: «Проблем с
   финансированием, визами и логистикой нет». «кроме X» marks X as an exception: named,
   whatever the rest of the clause denies.
3. **Matches** (:mod:`survey.coding.matching`): codebook patterns on lemmas (any parse;
   ``ковид*`` prefixes); matches inside an ``exclude`` phrase of the same category are dropped.
4. **Negation scope** (:mod:`survey.coding.negation`). Each «не» attaches to the next word
   (skipping «очень», «особо»…); «нет», «отсутствие», «ни», «без» attach to the noun they
   govern. What it attaches to decides:

   * a problem word («проблем нет», «не является препятствием», «трудностей не
     возникает», «вопрос решён») — a *denial*: matches between the problem word and the
     negation are not coded and are kept as "no problem with X";
   * a resource of the codebook («нет переводчиков», «отсутствие финансирования») or any
     other word («не хватает», «не налажено», «не решён») — a *shortage*: the resource
     nearby is coded;
   * «не в деньгах, а в …» — a contrast: the words after «не в» are not coded;
   * a size word («не такое уж большое», «не критично») — the problem is called small.

   False negations («не только», «тем не менее», «не секрет») are ignored. Concessions
   («несмотря на расстояние, работаем»; a sentence-initial «Хотя X, …») and minimisers
   («часовой пояс — мелочь», «которая компенсируется связью») are not coded.
5. **Decision** (:mod:`survey.coding.decision`). ``terms`` are coded unless denied.
   ``needs`` are coded when a shortage applies to them, when an undenied problem word is
   in the clause («сложности с финансированием»), or when the clause just names them
   without a predicate (a list item «Финансирование.») — unless it is a topic
   («сотрудничество в сфере транспорта») or said to be fine. ``needs_strict`` need a
   shortage or a problem word. Over the whole answer: a clause may refer back («его не
   хватает», «это не помеха»); a question is answered («Менталитет? Не такая уж большая
   разница»); problems said to be past and solved are not coded («раньше не было
   переводчиков — сейчас есть»).
6. ``no_problems`` is coded when the answer denies problems in general («серьёзных
   проблем нет», «всё решается в рабочем порядке», «Никаких.», «мешает только пандемия»)
   and no other category is coded except those in its ``compatible_with``.
7. **Learned layer** (:mod:`survey.coding.learned`, optional): a classifier trained on the
   study's coded examples adds codes the rules did not see, marked as learned.

>>> coder = Coder(learned=False)
>>> c = coder.code("С финансированием проблем нет, но не хватает переводчиков.")
>>> [k for k, v in c.codes.items() if v]
['language']
>>> c.denied
['funding']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from survey.base.lemmatize import Lemmatizer
from survey.base.missing import is_missing
from survey.coding.clauses import Clause, aside_words, split_clauses
from survey.coding.decision import (
    ClauseOutcome,
    coped_after_denial,
    decide_clause,
    features_not_problems,
    finish_no_problems,
    refer_back,
    settle_past,
)
from survey.coding.evidence import AnswerCoding, Evidence, outermost
from survey.coding.learned import LearnedLayer, Sentence
from survey.coding.matching import PatternIndex, find_hits
from survey.coding.negation import Scope, false_negations
from survey.coding.tokens import read_words, split_sentences
from survey.coding.turns import blank_interviewer
from survey.coding.uncertainty import review_flags
from survey.errors import ConfigError
from survey.spec.codebook import Codebook, Rules, load_codebook

__all__ = ["AnswerCoding", "Coder", "Evidence", "code_frame", "code_responses", "learned_categories", "learned_text"]

MEMO_SIZE = 50_000
# whole answers recur too («Нет.», «Финансирование.», «Языковой барьер, ковид.»): a short answer
# met again is copied, not coded again; bounded in length and number so memory stays flat
ANSWER_MEMO_CHARS = 200
ANSWER_MEMO_SIZE = 20_000


@dataclass(slots=True)
class _Answer:
    """An answer between the rules and the learned layer (:meth:`Coder.code_many`)."""

    index: int  # its place among the answers coded together
    text: str
    said: str  # the respondent's words (an interviewer's turns blanked)
    coding: AnswerCoding
    sentences: list[tuple[str, list[str]]]  # each sentence with its lemmas
    entries: list[_Sentence]  # each sentence as the coder's memo keeps it
    unknown: list[str]  # words pymorphy3 does not know, as often as they occur


@dataclass(slots=True)
class _Sentence:
    """A sentence as coded once and memoised (:meth:`Coder.code_sentence`), with the learned
    layer's view of it once computed."""

    text: str
    outcomes: list[ClauseOutcome]
    unknown: list[str]
    lemmas: list[str]
    vector: Sentence | None = None


class Coder:
    """Codes answers with a codebook. Configure in the constructor, apply with :meth:`code`.

    ``learned``: None (default) applies the learned layer when the codebook's ``learned``
    section is enabled; False switches it off (the rules alone); True requires it; a
    :class:`~survey.coding.learned.LearnedLayer` is used as given.

    Learned while coding: ``unknown_`` (words pymorphy3 does not know, with counts; the
    codebook word a typo was matched to is :meth:`typo_of`).
    """

    def __init__(
        self,
        codebook: Codebook | None = None,
        lemmatizer: Lemmatizer | None = None,
        memo_size: int = MEMO_SIZE,
        *,
        learned: bool | LearnedLayer | None = None,
    ):
        self.lemmatizer = lemmatizer or Lemmatizer()
        self.codebook = codebook or load_codebook(lemmatizer=self.lemmatizer)
        self.learned = _learned_layer(self.codebook, self.lemmatizer, learned)
        self.rules = self.codebook.rules
        self.ids = self.codebook.ids
        self._rank = {c: n for n, c in enumerate(self.ids)}  # evidence sorted in the codebook's order
        self.no_problems = self.codebook.no_problems
        # categories never called a feature of the work (the pandemic): features_not_problems keeps them
        self._compatible = self.codebook.beside_no_problems
        self.index = PatternIndex(self.codebook)
        # sentences repeat across answers («Финансирование.», «Проблем нет.»): each distinct
        # sentence is analysed once; bounded so memory stays flat on huge inputs
        self.memo_size = memo_size
        # a sentence's clause outcomes, unknown words, lemmas and the learned layer's view of it
        # (its vector, filled in for the sentences of a call at once: :meth:`code_many`)
        self._memo: dict[str, _Sentence] = {}
        self._answers: dict[str, tuple[AnswerCoding, list[str]]] = {}
        self.answer_memo_size = min(ANSWER_MEMO_SIZE, memo_size)

    @property
    def unknown_(self):
        return self.lemmatizer.unknown

    def typo_of(self, word: str) -> str | None:
        """The codebook word an unknown word met while coding was matched to as a typo."""
        return self.index.typo_of(word)

    def code(self, text: str | None) -> AnswerCoding:
        """Code one answer. Empty or missing answers get all zeros."""
        return self.code_many([text])[0]

    def code_many(self, texts: Sequence[str | None]) -> list[AnswerCoding]:
        """Code answers: the codes :meth:`code` gives each, with the learned layer's
        probabilities computed for all of them at once (a batch codes its chunks so: scored one
        by one, the layer's sums cost more than its arithmetic)."""
        out: list[AnswerCoding | None] = [None] * len(texts)
        todo: list[_Answer] = []
        first: dict[str, _Answer] = {}  # the answers of this call, by text
        again: list[tuple[int, _Answer]] = []  # a text met before in this call: copied
        for i, raw in enumerate(texts):
            if not raw or not str(raw).strip():
                out[i] = AnswerCoding(dict.fromkeys(self.ids, 0))
                continue
            text = str(raw)
            known = self._answers.get(text)
            if known is not None:
                if known[1]:
                    self.lemmatizer.unknown.update(known[1])  # counted as often as they occur
                out[i] = known[0].copy()
            elif text in first:
                again.append((i, first[text]))
            else:
                first[text] = answer = self._rules(i, text)
                todo.append(answer)
        learned = self.learned
        if learned is not None:
            new = {id(e): e for a in todo for e in a.entries if e.vector is None}.values()
            for e, vector in zip(new, learned.model.sentence_vectors([(e.text, e.lemmas) for e in new])):
                e.vector = vector
            learned.apply_many([(a.coding, a.said, a.sentences, [e.vector for e in a.entries]) for a in todo])
        rank = self._rank
        answers = self._answers
        for a in todo:
            coding = a.coding
            coding.evidence = outermost(coding.evidence)
            coding.denials = outermost(coding.denials)
            coding.evidence.sort(key=lambda e: (rank[e.category], e.start))
            out[a.index] = coding
            if len(a.text) <= ANSWER_MEMO_CHARS:
                if len(answers) >= self.answer_memo_size:
                    answers.clear()
                answers[a.text] = (coding.copy(), a.unknown)
        for i, a in again:
            if a.unknown:
                self.lemmatizer.unknown.update(a.unknown)
            out[i] = a.coding.copy()
        return out  # type: ignore[return-value]  # every place is filled above

    def _rules(self, index: int, text: str) -> _Answer:
        """The rules' coding of an answer (before the learned layer and the evidence's final
        order), with what the layer reads: its sentences, their lemmas and vectors."""
        codes = dict.fromkeys(self.ids, 0)
        outcomes: list[ClauseOutcome] = []
        sentences: list[tuple[str, list[str]]] = []
        unknown: list[str] = []
        memo = self._memo
        entries: list[_Sentence] = []
        said = blank_interviewer(text, self.rules)  # the respondent's words, at their offsets
        # a sentence is memoised without the spaces before it (offsets move past them), so
        # «Денег нет.» opening one answer and following a sentence in another is coded once
        chunks = [
            (offset + len(chunk) - len(body), body)
            for offset, chunk in split_sentences(said)
            if (body := chunk.lstrip(" \t")) and not body.isspace()
        ]
        for n, (offset, chunk) in enumerate(chunks):
            entry = memo.get(chunk)
            if entry is None:
                entry = _Sentence(chunk, *self.code_sentence(chunk))
                if len(memo) >= self.memo_size:
                    memo.clear()
                memo[chunk] = entry
            elif entry.unknown:
                self.lemmatizer.unknown.update(entry.unknown)
            if entry.unknown:
                unknown.extend(entry.unknown)
            for o in entry.outcomes:
                outcomes.append(o.shifted(offset, n))
            sentences.append((chunk, entry.lemmas))
            entries.append(entry)
        coding = AnswerCoding(codes)
        settle_past(outcomes)
        refer_back(outcomes)
        features_not_problems(outcomes, self._compatible)
        coped_after_denial(outcomes, self._compatible)
        general: list[Evidence] = []
        # «Нет.», «Никаких.» opening the answer, or after a heading: «Проблемы: нет.»
        opening = outcomes[:1]
        if len(outcomes) > 1 and "label" in outcomes[0].marks:
            opening = outcomes[1:2]
        for o in opening:
            if o.elliptic is not None and (o.sentence == 0 or o is not outcomes[0]):
                general.append(o.elliptic)
        # «Ковид. Всё.»: «всё» closing the answer
        if outcomes and outcomes[-1].closing is not None:
            general.append(outcomes[-1].closing)
        for o in outcomes:
            if o.named:
                coding.named |= o.named
            if o.settled:
                coding.settled |= o.settled
            for e in o.coded:
                coding.codes[e.category] = 1
                coding.evidence.append(e)
            coding.denials.extend(o.denied)
            general.extend(o.general)
        finish_no_problems(coding, general, self.no_problems, any(o.open_problem for o in outcomes))
        return _Answer(index, text, said, coding, sentences, entries, unknown)

    def code_sentence(self, text: str) -> tuple[list[ClauseOutcome], list[str], list[str]]:
        """Code one sentence on its own (memoised by :meth:`code`): the outcome of each
        clause (offsets relative to the sentence), the unknown words met, and the lemmas
        of its words (for the learned layer)."""
        words = read_words(text, self.lemmatizer, self.index)
        if words.unknown:
            self.lemmatizer.unknown.update(words.unknown)
        neutral, forced = false_negations(words, self.rules)
        neutral |= words.quoted
        no_problems_id = self.no_problems.id if self.no_problems is not None else None
        outcomes = []
        clauses = split_clauses(words, self.rules)
        breaks = words.list_breaks()
        # a pattern reads past an aside and its commas: «Больше, в общем-то, ничего»
        asides = aside_words(words, self.rules)
        if asides:
            breaks = [b for b in breaks if b - 1 not in asides and b + 1 not in asides]
        for n, clause in enumerate(clauses):
            claimed: set[str] = set()
            tokens = [t for t in clause.tokens if t not in asides] if asides else clause.tokens
            hits = find_hits(tokens, words.toks, words.lemmas, words.candidates, words.typos, breaks, claimed)
            conceded = _conceded_segments(clauses, n, self.rules)

            def scope_of(hits, clause=clause, conceded=conceded):
                return Scope(clause, words, hits, self.rules, neutral, forced, no_problems_id, conceded)

            outcome = decide_clause(words, clause, hits, scope_of, self.no_problems, self.rules)
            # words the codebook gives to another category settle theirs, as a topic does: the
            # learned layer does not add it back
            outcome.settled |= claimed
            outcomes.append(outcome)
        return outcomes, words.unknown, words.lemma_list()


def _learned_layer(codebook: Codebook, lemmatizer: Lemmatizer, learned: bool | LearnedLayer | None):
    """The learned layer to apply: given, from the codebook (``learned=True``, or None and the
    codebook's ``learned.enabled``), or none (``learned=False``)."""
    if isinstance(learned, LearnedLayer):
        return learned
    if learned is False:
        return None
    settings = codebook.learned
    if settings is None or (learned is None and not settings.enabled):
        if learned:
            raise ConfigError(
                f"{codebook.path}: обученный слой запрошен, но в кодовой книге нет раздела learned "
                "с файлом закодированных примеров (examples)."
            )
        return None
    return LearnedLayer.from_codebook(codebook, lemmatizer)


def _conceded_segments(clauses: list[Clause], n: int, rules: Rules) -> set[int]:
    """A sentence-initial «Хотя X, Y»: the segments of X are conceded when the sentence goes on."""
    clause = clauses[n]
    if not clause.opener or not rules.written("concessions", clause.opener):
        return set()
    if n > 0 and clauses[n - 1].sentence == clause.sentence:
        return set()
    segments = sorted(set(clause.segment.values()))
    if len(segments) > 1:
        return {segments[0]}
    if n + 1 < len(clauses) and clauses[n + 1].sentence == clause.sentence and clauses[n + 1].continues:
        return set(segments)  # «Хотя расстояние большое, мы работаем»; not «Хотя X, а не Y», «Хотя X: …»
    return set()


def code_frame(texts, ids=None, coder: Coder | None = None, *, details: bool = False):
    """Code a column of answers: ``id``, one 0/1 column per category, ``evidence``.

    With ``details``: also ``denied`` (categories the answer says are no problem),
    ``confidence`` (per coded category: high, medium or low), ``learned`` (categories the
    learned layer added, with their probability) and ``review_priority``, ``review_reason``
    (:func:`survey.coding.uncertainty.review_flags`).

    >>> import pandas as pd
    >>> rules = Coder(learned=False)
    >>> code_frame(pd.Series(["Нет переводчиков."]), ids=["a1"], coder=rules)[["id", "language", "evidence"]]
       id  language                            evidence
    0  a1         1  language: «переводчиков» [4:16]
    """
    import pandas as pd

    coder = coder or Coder()
    texts = list(texts)
    ids = list(ids) if ids is not None else list(range(1, len(texts) + 1))
    rows = []
    for rid, text in zip(ids, texts):
        answer = None if is_missing(text) else str(text)
        c = coder.code(answer)
        row = {"id": rid, **c.codes, "evidence": c.evidence_text()}
        if details:
            row["denied"] = ", ".join(c.denied)
            row["confidence"] = ", ".join(f"{k}={c.confidence(k)}" for k in c.categories)
            row["learned"] = learned_text(c)
            row["review_priority"], row["review_reason"] = review_flags(c, answer)
        rows.append(row)
    extra = ["denied", "confidence", "learned", "review_priority", "review_reason"] if details else []
    return pd.DataFrame(rows, columns=["id", *coder.ids, "evidence", *extra])


def learned_text(coding: AnswerCoding, codes: dict[str, int] | None = None) -> str:
    """``interest=0.71, no_problems=0.55``: the codes the learned layer added (of ``codes``, the
    answer's codes for one question, when given). :func:`learned_categories` reads it back."""
    return ", ".join(f"{k}={v:.2f}" for k, v in coding.learned.items() if codes is None or codes[k])


def learned_categories(text: object) -> list[str]:
    """The categories of a :func:`learned_text` (``"interest=0.71, legal=0.55"`` → interest, legal)."""
    return [part.split("=")[0].strip() for part in str(text or "").split(",") if "=" in part]


def code_responses(data, questionnaire, coder: Coder, advance=None):
    """Code every coded open question of validated responses.

    Returns one row per (expert, question): ``expert_id, question, answer``, one 0/1
    column per category of the codebook, ``evidence``, ``denied``, ``confidence``
    (e.g. ``distance=high, funding=medium``), ``learned`` (the codes the learned layer
    added, with their probability: ``interest=0.71``), ``review_priority`` and
    ``review_reason`` (:func:`survey.coding.uncertainty.review_flags`), and per category
    ``confidence_<category>`` and ``source_<category>`` (``rules``, ``learned`` or empty
    when not coded). Categories that do not apply to a question (codebook ``questions``)
    are 0 for it. ``advance(n)``, if given, is called every 500 answers (a progress bar).
    """
    import pandas as pd

    rows = []
    for f in questionnaire.coded_questions:
        applies = {c.id for c in coder.codebook.for_question(f.id)}
        answers = [None if is_missing(text) else str(text) for text in data[f.id]]
        codings = []
        for k in range(0, len(answers), 500):  # coded 500 at a time (:meth:`Coder.code_many`)
            codings += coder.code_many(answers[k : k + 500])
            if advance is not None and k + 500 <= len(answers):
                advance(500)
        for eid, answer, c in zip(data["expert_id"], answers, codings):
            codes = {k: (v if k in applies else 0) for k, v in c.codes.items()}
            priority, reason = review_flags(c, answer)
            rows.append(
                {
                    "expert_id": str(eid),
                    "question": f.id,
                    "answer": answer or "",
                    **codes,
                    "evidence": c.evidence_text(),
                    "denied": ", ".join(c.denied),
                    "confidence": ", ".join(f"{k}={c.confidence(k)}" for k in c.categories if codes[k]),
                    "learned": learned_text(c, codes),
                    "review_priority": priority,
                    "review_reason": reason,
                    **{f"confidence_{k}": c.confidence(k) for k in coder.ids},
                    **{f"source_{k}": c.source(k) if codes[k] else "" for k in coder.ids},
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
        "learned",
        "review_priority",
        "review_reason",
        *[f"confidence_{k}" for k in coder.ids],
        *[f"source_{k}" for k in coder.ids],
    ]
    return pd.DataFrame(rows, columns=columns)
