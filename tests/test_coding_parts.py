"""Each part of the coder on its own: words, clauses, pattern matching, negation scope,
decision and evidence (sentences of our own)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from survey.base.lemmatize import Lemmatizer
from survey.coding.clauses import conditional_wish, cue_phrase_words, lexicon_places, split_clauses
from survey.coding.coder import Coder
from survey.coding.decision import (
    ClauseOutcome,
    clause_marks,
    decide_clause,
    finish_no_problems,
    refer_back,
    settle_past,
)
from survey.coding.evidence import LEARNED, AnswerCoding, Evidence, outermost
from survey.coding.matching import PatternIndex, edit_distance, find_hits, stem
from survey.coding.negation import Scope, false_negations
from survey.coding.tokens import ABBREVIATIONS, NAME_ABBREVIATIONS, read_words, split_sentences
from survey.spec.codebook import load_codebook


@pytest.fixture(scope="module")
def rules_coder():
    from survey.coding.coder import Coder

    return Coder(learned=False)


@pytest.fixture(scope="module")
def parts():
    lem = Lemmatizer()
    codebook = load_codebook(lemmatizer=lem)
    return lem, codebook, PatternIndex(codebook)


def _words(parts, text):
    lem, _, index = parts
    return read_words(text, lem, index)


def _clauses(parts, text):
    return split_clauses(_words(parts, text), parts[1].rules)


def _text(words, clause):
    return " ".join(words.toks[i].text for i in clause.tokens)


# ---------------------------------------------------------------- words


def test_words_have_lemmas_masks_typos_and_quotes(parts):
    w = _words(parts, "Не хватает «переводчков» и денег.")
    assert [t.text for t in w.toks][:3] == ["Не", "хватает", "«"]
    assert w.has(0, "negators") and not w.has(1, "negators")
    assert w.typos == {3: ("переводчков", "переводчик")}
    assert "переводчик" in w.lemmas[3]  # the typo is fixed to the codebook word
    assert w.quoted == {3}
    assert w.lemma_list()[:2] == ["не", "хватать"] and w.lemma_list()[-2:] == ["и", "деньга"]


# ---------------------------------------------------------------- clauses


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Проблем с финансированием, визами и логистикой нет.", ["Проблем с финансированием визами и логистикой нет"]),
        (
            "Финансирование выделяется, переводчиков не хватает.",
            ["Финансирование выделяется", "переводчиков не хватает"],
        ),
        ("Интерес есть, но денег мало.", ["Интерес есть", "денег мало"]),
        ("Язык: сложности.", ["Язык", "сложности"]),
        # an abbreviation's period before a lower-case word does not cut the clause
        ("Отклик с кит. стороны слабый. Мало.", ["Отклик с кит стороны слабый", "Мало"]),
        ("Денег нет. кит не при чём.", ["Денег нет", "кит не при чём"]),
    ],
)
def test_clauses(parts, text, expected):
    w = _words(parts, text)
    assert [_text(w, c) for c in split_clauses(w, parts[1].rules)] == expected


# the sentence rule as one regex (slow: it tries every abbreviation at every character);
# split_sentences must give the same sentences
_ALTERNATIVES = "|".join(sorted(ABBREVIATIONS, key=len, reverse=True))
_NAMES = "|".join(NAME_ABBREVIATIONS)
_ONE_REGEX = re.compile(
    rf"(?:(?<![а-яёА-ЯЁa-zA-Z0-9])(?i:{_ALTERNATIVES})\.(?=[ \t]+[а-яё])"
    rf"|(?<![а-яёА-ЯЁa-zA-Z0-9])(?<!\d\s)(?i:{_NAMES})\.(?=[ \t]+[А-ЯЁ])|[^.!?\n])+[.!?\n]*|[.!?\n]+"
)


@given(
    st.lists(
        st.sampled_from(
            ["кит", "Кит", "т", "е", "г", "гг", "пгт", "им", "междунар", "язык", "Москва", "Никит", "1", "."]
            + [" ", "\t", "\n", "!", "?", "..", ". ", ", "]
        ),
        max_size=30,
    )
)
def test_split_sentences_agrees_with_the_one_regex_rule(pieces):
    text = "".join(pieces)
    assert split_sentences(text) == [(m.start(), m.group()) for m in _ONE_REGEX.finditer(text)]
    assert "".join(chunk for _, chunk in split_sentences(text)) == text  # nothing lost


def test_abbreviations_stay_in_their_sentence_and_read_as_the_full_word(parts):
    text = (
        "Нет фед. закона о побратимстве. Никит. Рус. Связи с Кит. слабые. Т. е. всё. "
        "Связи с г. Ухань прервались в 2019 г. Москва молчит."
    )
    assert [chunk.strip() for _, chunk in split_sentences(text)] == [
        "Нет фед. закона о побратимстве.",
        "Никит.",
        "Рус.",
        "Связи с Кит. слабые.",
        "Т. е. всё.",
        "Связи с г. Ухань прервались в 2019 г.",  # «г.» before a name is the city's; after a number, the year's
        "Москва молчит.",
    ]
    w = _words(parts, "Трудностей с г. Ухань нет.")
    assert "город" in w.lemmas[2] and w.toks[2].text == "г"
    w = _words(parts, "Нет фед. закона, рус. яз. знают плохо.")
    assert "федеральный" in w.lemmas[1] and "язык" in w.lemmas[7]
    assert w.toks[1].text == "фед"  # the text as written is kept for the evidence


def test_clause_openers_exceptions_and_questions(parts):
    w = _words(parts, "Проблем нет, кроме виз. Менталитет? Хотя это мелочь.")
    clauses = split_clauses(w, parts[1].rules)
    first = clauses[0]
    assert first.exception_segments and _text(w, first) == "Проблем нет виз"
    assert clauses[1].question and not clauses[0].question
    assert clauses[2].opener == "хотя"
    assert lexicon_places(w, clauses[2].tokens, parts[1].rules, "minimizers") == [1]


@pytest.mark.parametrize(
    "text,wish",
    [
        ("Восстановили бы прямой рейс.", "Восстановили"),  # a wish: the positive word beside «бы»
        ("Нам бы своего переводчика.", "своего"),
        ("Рейсы вроде бы восстановили.", None),  # a filler of rules.fillers
        ("Отметил бы хорошо налаженное сообщение.", None),  # «бы» is the verb's before it
        ("Мы бы работали и дальше.", None),  # what would go on
        ("Если бы не ковид, работали бы нормально.", None),  # a counterfactual sentence
        ("Не было бы хорошо.", None),  # a negation near
        ("Если честно, восстановили бы рейс.", "восстановили"),  # «если» without «бы» is no condition
    ],
)
def test_conditional_wish_and_its_limits(parts, text, wish):
    """A positive word right next to «бы» is a wish (a shortage cue, and not a positive word
    any more) only where it is neither a hedge, another verb's «бы», a continuation nor a
    counterfactual."""
    w = _words(parts, text)
    rules = parts[1].rules
    found = []
    for clause in split_clauses(w, rules):
        order = clause.tokens
        found += [w.toks[i].text for k, i in enumerate(order) if conditional_wish(w, order, k, rules)]
        assert {w.toks[i].text for i in cue_phrase_words(w, order, rules)} >= set(found)
    assert found == ([wish] if wish else [])


def test_relative_clause_is_its_own_clause(parts):
    w = _words(parts, "Переводчики, которых удаётся найти, не знают терминологии.")
    texts = [_text(w, c) for c in split_clauses(w, parts[1].rules)]
    assert texts == ["Переводчики не знают терминологии", "которых удаётся найти"]


# ---------------------------------------------------------------- matching


def test_patterns_match_on_lemmas_with_gaps_excludes_and_longest(parts):
    lem, _, index = parts
    w = _words(parts, "Стоимость авиабилетов до Харбина и банковский перевод.")
    c = split_clauses(w, parts[1].rules)[0]
    hits = find_hits(c.tokens, w.toks, w.lemmas, w.candidates, w.typos, w.list_breaks())
    found = {(h.category, h.pattern.text) for h in hits}
    assert ("distance", "стоимость ~ авиабилет") in found  # the longest of the overlapping distance hits
    assert ("distance", "авиабилет") not in found
    assert not any(h.category == "language" for h in hits)  # «банковский перевод» is excluded
    assert ("economy", "банковский ~ перевод") in found


def test_list_separators_end_a_pattern_but_a_clause_opener_does_not(parts):
    w = _words(parts, "Перевод, деньги; виза + ковид, что мешает, и сложно понять, кто решает.")
    assert [w.toks[i][0] for i in w.list_breaks()] == [",", ";", "+"]
    texts = [w.toks[i + 1][0] for i in w.list_breaks()]
    assert texts == ["деньги", "виза", "ковид"]  # not before «что», «и», «кто»
    c = split_clauses(w, parts[1].rules)[0]
    hits = find_hits(c.tokens, w.toks, w.lemmas, w.candidates, w.typos, w.list_breaks())
    assert not any(h.category == "economy" for h in hits)  # «перевод, деньги» is no money transfer


def test_form_entries_are_cached_and_typos_found(parts):
    _, _, index = parts
    lem = parts[0]
    info = lem.info("финансирвания")
    entry = index.entry("финансирвания", info)
    assert entry.typo_of == "финансирование" and index.entry("финансирвания", info) is entry
    assert index.typo_of("финансирвания") == "финансирование"
    assert stem("переводчиками") == "переводчик"
    assert edit_distance("визы", "виза", 1) == 1 and edit_distance("визы", "рейс", 1) == 2


def test_a_name_is_matched_as_written_and_a_typo_as_its_codebook_word(parts):
    """The words carry, per token, the patterns that can start there, chosen when the word was
    read: «Ганьсу» inside a sentence is a name and starts no pattern of «гуаньси» (mentality),
    the same word opening a line is a typo of it, and find_hits matches exactly what the words
    carry."""

    def mentality(text: str) -> tuple[bool, bool]:
        w = _words(parts, text)
        k = max(i for i, t in enumerate(w.toks) if t.text == "Ганьсу")
        starts = any(p.category == "mentality" for p in w.candidates[k])
        c = split_clauses(w, parts[1].rules)[-1]
        found = any(h.category == "mentality" for h in find_hits(c.tokens, w.toks, w.lemmas, w.candidates, w.typos, []))
        return starts, found

    assert mentality("Контакты с провинцией Ганьсу.") == (False, False)
    assert mentality("Ганьсу") == (True, True)
    w = _words(parts, "Контакты с провинцией Ганьсу.")
    assert w.typos == {} and len(w.candidates) == len(w.toks) and w.candidates[-1] == ()  # «.» starts nothing


def test_a_codebook_word_pymorphy3_does_not_know_is_no_typo(parts):
    """«ковида», «погранпереходы»: inflected forms of codebook words that pymorphy3 does not
    know are matched to them, but they are spelled right — the evidence calls them no typo and
    keeps its confidence; a misspelled word («переводчков») is still called one."""
    lem, _, index = parts
    for form, word in (("ковида", "ковид"), ("погранпереходы", "погранпереход")):
        entry = index.entry(form, lem.info(form))
        assert entry.lemmas == frozenset({word}) and entry.typo_of is None
    assert index.entry("переводчков", lem.info("переводчков")).typo_of == "переводчик"
    coding = Coder(learned=False).code("Из-за ковида делегации не ездят. Нет переводчков.")
    covid = next(e for e in coding.evidence if e.category == "covid")
    language = next(e for e in coding.evidence if e.category == "language")
    assert "опечатка" not in covid.reason and covid.confidence == "high"
    assert "опечатка" in language.reason and language.confidence == "low"


# ---------------------------------------------------------------- negation


def _scope(parts, text, n=0):
    w = _words(parts, text)
    clause = split_clauses(w, parts[1].rules)[n]
    hits = find_hits(clause.tokens, w.toks, w.lemmas, w.candidates, w.typos, w.list_breaks())
    neutral, forced = false_negations(w, parts[1].rules)
    return w, clause, hits, Scope(clause, w, hits, parts[1].rules, neutral | w.quoted, forced, "no_problems")


def test_negation_of_a_problem_word_denies(parts):
    w, clause, hits, scope = _scope(parts, "Проблем с финансированием нет")
    assert scope.denial_for(hits[0]) is not None and not scope.cues


def test_negation_of_a_resource_is_a_shortage(parts):
    w, clause, hits, scope = _scope(parts, "Переводчиков, к сожалению, не хватает")
    assert scope.denial_for(hits[0]) is None
    assert scope.shortage_for(hits[0]) is not None


def test_negated_verb_after_a_resource_of_its_own_part_is_a_shortage(parts):
    """«Языковой барьер, денег не выделяют»: the «не» says the money was lacking; it does not
    deny the barrier named in the part before (nor the money); in the barrier's own part it
    still denies: «Языкового барьера не вижу»."""
    _, _, hits, scope = _scope(parts, "Языковой барьер, денег не выделяют")
    by = {h.category: h for h in hits}
    assert set(by) == {"language", "funding"}
    assert scope.denial_for(by["language"]) is None and scope.denial_for(by["funding"]) is None
    assert scope.shortage_for(by["funding"]) is not None
    _, _, hits, scope = _scope(parts, "Языкового барьера не вижу")
    assert scope.denial_for(hits[0]) is not None


@pytest.mark.parametrize(
    "text,coded,denied",
    [
        # a resource with a verb of having or allotting: lacking; the barrier before it stays
        ("Языковой барьер, денег не выделяют", {"language", "funding"}, set()),
        ("Языковой барьер, бюджет не выделяют", {"language", "funding"}, set()),
        ("Языковой барьер, потом бюджет — на делегации денег почти не выделяют", {"language", "funding"}, set()),
        # the negation speaks of its own part only: a named problem, a negated lack, «бы», a
        # naming verb, a resource after a preposition
        ("Языковой барьер, культурных различий не было", {"language"}, {"mentality"}),
        ("Сложности с визами, дефицита переводчиков не было", {"legal"}, {"language"}),
        ("Проблема — визы, финансирования я бы не назвал", {"legal"}, {"funding"}),
        ("Главная трудность — язык, финансов я бы здесь не выделял", {"language"}, {"funding"}),
        ("Языковой барьер, по бюджету вопросов не было", {"language"}, {"funding"}),
        # the part goes on the problem word's list: the whole list is denied
        ("Проблем с визами, с переводом у нас не было", set(), {"legal", "language"}),
        ("Проблем с визами, по переводу у нас не было", set(), {"legal", "language"}),
    ],
)
def test_a_negation_in_a_later_comma_part(rules_coder, text, coded, denied):
    result = rules_coder.code(text)
    assert set(result.categories) == coded, result.evidence_text()
    assert {d.category for d in result.denials} == denied, result.denial_text()


def test_contrast_size_and_concession(parts):
    _, _, hits, scope = _scope(parts, "Проблема не в деньгах")
    assert scope.contrasted(hits[0])
    _, clause, hits, scope = _scope(parts, "Расстояние не такое уж большое")
    assert clause.segment[hits[0].first] in scope.size_segments and scope.minimised
    _, clause, hits, scope = _scope(parts, "Несмотря на удалённость, работаем")
    assert clause.segment[hits[0].first] in scope.conceded


def test_false_and_double_negations(parts):
    w = _words(parts, "Тем не менее нельзя сказать, что язык не мешает.")
    neutral, forced = false_negations(w, parts[1].rules)
    assert {t.text for i, t in enumerate(w.toks) if i in neutral} >= {"не", "нельзя"}
    assert sum(1 for i in neutral if w.toks[i].text == "не") == 2  # «тем не менее» and the second «не»


def test_ni_list_before_the_denial(parts):
    _, _, hits, scope = _scope(parts, "Ни языковых, ни финансовых трудностей нет")
    assert {h.category for h in hits} == {"language", "funding"}
    assert all(scope.denial_for(h) is not None for h in hits)


# ---------------------------------------------------------------- decision


def _outcomes(parts, text):
    lem, codebook, index = parts
    w = _words(parts, text)
    neutral, forced = false_negations(w, codebook.rules)
    no_problems = codebook.category("no_problems")
    out = []
    for clause in split_clauses(w, codebook.rules):
        hits = find_hits(clause.tokens, w.toks, w.lemmas, w.candidates, w.typos, w.list_breaks())

        def scope_of(hits, clause=clause):
            return Scope(clause, w, hits, codebook.rules, neutral, forced, "no_problems")

        o = decide_clause(w, clause, hits, scope_of, no_problems, codebook.rules)
        out.append(o.shifted(0, clause.sentence))
    return out


def test_decide_clause_codes_denies_and_keeps_pending(parts):
    coded, denied, pending = _outcomes(parts, "Нет переводчиков; визы не проблема; финансирование выделяется")
    assert [e.category for e in coded.coded] == ["language"] and "нехватка" in coded.coded[0].reason
    assert [e.category for e in denied.denied] == ["legal"]
    assert [e.category for e in pending.pending] == ["funding"] and not pending.coded


def test_clause_marks(parts):
    lem, codebook, _ = parts
    w = _words(parts, "Раньше визы оформляли месяцами, сейчас всё решили")
    past, now = split_clauses(w, codebook.rules)
    assert clause_marks(w, past, codebook.rules) == {"past", "past_tense"}
    assert clause_marks(w, now, codebook.rules) >= {"now", "past_tense", "resolved"}
    w = _words(parts, "Никаких")
    assert "bare_no" in clause_marks(w, split_clauses(w, codebook.rules)[0], codebook.rules)
    w = _words(parts, "Сложно, но мы к этому привыкли")
    assert "coped" in clause_marks(w, split_clauses(w, codebook.rules)[1], codebook.rules)
    for text in ("Сложно, но мы к этому не привыкли", "Сложно, а мы привыкли к порядку"):
        w = _words(parts, text)
        assert "coped" not in clause_marks(w, split_clauses(w, codebook.rules)[1], codebook.rules)
    # a heading before a colon: only problem words (and main markers, size words)
    for text, label in (("Основные проблемы: нет", True), ("Финансирование: нет", False), ("Проблемы нет", False)):
        w = _words(parts, text)
        assert ("label" in clause_marks(w, split_clauses(w, codebook.rules)[0], codebook.rules)) is label


def test_refer_back_and_past(parts):
    outcomes = _outcomes(parts, "Финансирование есть, но его не хватает")
    refer_back(outcomes)
    assert [e.category for e in outcomes[0].coded] == ["funding"]
    outcomes = _outcomes(parts, "Расстояние большое и языковой барьер, но привыкли")
    refer_back(outcomes)  # got used to the last named
    assert [e.category for e in outcomes[0].coded] == ["distance"]
    assert [(e.category, e.reason) for e in outcomes[0].denied] == [("language", "привыкли (о сказанном выше)")]
    outcomes = _outcomes(parts, "Раньше не хватало переводчиков. Теперь их трое.")
    assert outcomes[0].coded
    settle_past(outcomes)
    assert not outcomes[0].coded and outcomes[0].denied[0].reason == "в прошлом, сейчас решено"
    outcomes = _outcomes(parts, "Раньше не хватало переводчиков. Сейчас их по-прежнему не хватает.")
    settle_past(outcomes)
    assert outcomes[0].coded  # the problem remains


def test_no_problems_only_with_compatible_codes(parts):
    codebook = parts[1]
    general = [Evidence("", "проблем нет", 0, 11, "", "отрицание проблем", "high")]
    ok = AnswerCoding({"covid": 1, "language": 0, "no_problems": 0})
    finish_no_problems(ok, list(general), codebook.category("no_problems"))
    assert ok.codes["no_problems"] == 1
    blocked = AnswerCoding({"covid": 1, "language": 1, "no_problems": 0})
    finish_no_problems(blocked, list(general), codebook.category("no_problems"))
    assert blocked.codes["no_problems"] == 0 and blocked.denials == general


def test_outcome_deny_keeps_named_categories():
    o = ClauseOutcome(
        coded=[Evidence("legal", "визы", 0, 4, "", "", "high"), Evidence("covid", "ковид", 6, 11, "", "", "high")]
    )
    o.deny("в прошлом", {"covid"})
    assert [e.category for e in o.coded] == ["covid"] and o.denied[0].reason == "в прошлом"


# ---------------------------------------------------------------- evidence


def test_evidence_api():
    a = Evidence("distance", "далеко", 0, 6, "=далеко", "названа проблема", "high")
    inner = Evidence("distance", "дале", 0, 4, "", "", "high")
    learned = Evidence("interest", "Никто не отвечает", 8, 25, "", "обученный слой: отвечать", "low", LEARNED)
    c = AnswerCoding({"distance": 1, "interest": 1}, outermost([a, inner, a]) + [learned], learned={"interest": 0.72})
    assert c.evidence == [a, learned]
    assert c.source("distance") == "rules" and c.source("interest") == "learned" and c.source("covid") == ""
    assert c.confidence("interest") == "low"
    assert c.evidence_text() == (
        "distance: «далеко» [0:6]; interest≈0.72: «Никто не отвечает» [8:25] (обученный слой: отвечать)"
    )
    assert a.moved(10)[2:4] == (10, 16)
    assert a.moved(0) is a  # immutable: nothing to copy
    # one item per category, nothing inside another: kept as given
    b = Evidence("covid", "ковид", 8, 13, "", "", "high")
    assert outermost([a, b]) == [a, b] and outermost([b, a]) == [b, a]


# ---------------------------------------------------------------- the coder as a whole


def test_a_repeated_answer_is_coded_alike_and_independently():
    """Short answers recur and are copied from the first coding, not coded again: the copy is
    equal to a fresh coding, changing one coding changes no other, and words pymorphy3 does
    not know are counted at every occurrence (they go to the list of unknown words)."""
    from survey.coding.coder import ANSWER_MEMO_CHARS, Coder

    text = "Мешает бюрократизмище и фыврап, а ещё нет прямых рейсов."
    fresh = Coder(learned=False).code(text)
    coder = Coder(learned=False)
    first = coder.code(text)
    first.codes["distance"] = 0
    first.evidence.clear()
    first.named.clear()
    second = coder.code(text)
    assert second == fresh and second.codes["distance"] == second.codes["bureaucracy"] == 1
    second.codes["bureaucracy"] = 0
    second.evidence.clear()
    assert coder.code(text) == fresh
    assert coder.unknown_["фыврап"] == coder.unknown_["бюрократизмище"] == 3
    # a long answer is not kept whole (its sentences are): coded again, and alike
    long = " ".join([text] * (ANSWER_MEMO_CHARS // len(text) + 1))
    assert coder.code(long) == coder.code(long) and coder.unknown_["фыврап"] == 3 + 2 * len(long.split(text)[1:])


def test_a_sentence_is_coded_once_wherever_it_stands_and_its_evidence_points_at_it():
    """«Денег нет.» opening one answer and following another sentence in the next is one
    sentence: coded once (the memo holds it without the spaces before it), and its evidence
    points at the words in each answer, after however many spaces."""
    from survey.coding.coder import Coder

    coder = Coder(learned=False)
    first = coder.code("Денег нет.")
    second = coder.code("Ковид мешал.   Денег нет.")
    assert "Денег нет." in coder._memo and not any(k.startswith(" ") for k in coder._memo)
    assert len(coder._memo) == 2
    for text, coding in (("Денег нет.", first), ("Ковид мешал.   Денег нет.", second)):
        funding = [e for e in coding.evidence if e.category == "funding"]
        assert coding.codes["funding"] == 1 and funding
        assert all(text[e.start : e.end].strip() and e.start >= text.index("Денег") for e in funding)
    assert second.codes["covid"] == 1
