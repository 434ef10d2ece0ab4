"""Replies to named items («Язык — нет») and interview transcripts pasted into one answer:
sentences of our own, coded as a careful coder would, for the rules alone."""

from __future__ import annotations

import pytest

from survey.coding.coder import Coder
from survey.coding.turns import blank_interviewer
from survey.spec.codebook import load_codebook

REPLIES = [
    # a named item in the nominative, then «нет»: the respondent says it is no problem
    ("Язык — нет, у нас свои переводчики.", set(), {"language"}),
    ("Деньги — тоже нет, область выделяет.", set(), {"funding"}),
    ("Финансы — скорее нет.", set(), {"funding"}),
    ("Расстояние — да, это главное. Язык нет, переводчик есть.", {"distance"}, {"language"}),
    ("Таможня — нет. Менталитет — нет.", set(), {"legal", "mentality"}),
    ("Язык — никогда не было, университет рядом.", set(), {"language"}),
    ("Про язык — нет, у нас свои китаисты.", set(), {"language"}),
    ("Расстояние тут ни при чём, мы через реку живём.", set(), {"distance"}),
    ("Расстояние… ну, скорее нет, чем да.", set(), {"distance"}),
    # the genitive is a shortage, whatever the dash
    ("Переводчиков — нет.", {"language"}, set()),
    ("Денег нет.", {"funding"}, set()),
    ("Финансирования — нет.", {"funding"}, set()),
    ("Координации нет.", {"legal"}, set()),
    ("Язык — переводчика нет.", {"language"}, set()),
    ("Прямого рейса нет.", {"distance"}, set()),
    ("Переводчиков не было.", {"language"}, set()),
    # «сталкиваться» is a problem verb: negated it denies, said it complains
    ("С таможней мы не сталкивались.", set(), {"legal"}),
    ("Коллеги жалуются на визы, на таможню — мы с этим не сталкивались.", set(), set()),
    ("Столкнулись с нехваткой переводчиков.", {"language"}, set()),
    # «визы» reads as a genitive as often as not («Визы нет» = no visa): kept coded, to be safe
    ("Визы — нет.", {"legal"}, set()),
]


@pytest.fixture(scope="module")
def coder():
    return Coder(learned=False)


@pytest.mark.parametrize("text,coded,denied", REPLIES)
def test_a_reply_to_a_named_item(coder, text, coded, denied):
    c = coder.code(text)
    assert {k for k, v in c.codes.items() if v and k != "no_problems"} == coded
    assert denied <= set(c.denied)


def test_interviewers_questions_are_not_coded(coder):
    text = (
        "— Инт.: Какие основные трудности?\n"
        "— Респ.: Граница закрыта с двадцатого года, ковид.\n"
        "— Инт.: А с переводчиками как? А финансирование?\n"
        "— Респ.: Это не к нам, у нас свои китаисты."
    )
    c = coder.code(text)
    assert [k for k, v in c.codes.items() if v] == ["covid"]
    # the evidence points into the answer as written
    assert all(text[e.start : e.end] == e.text for e in c.evidence)


def test_the_respondents_first_reply_opens_the_answer(coder):
    text = "В: Какие проблемы?\nО: Никаких.\nВ: А язык?\nО: Справляемся."
    assert [k for k, v in coder.code(text).codes.items() if v] == ["no_problems"]


@pytest.mark.parametrize(
    "text,coded",
    [
        # a reply that confirms keeps the question: the topic it asked about is coded
        ("В: Какие трудности?\nО: Далеко, рейсов нет.\nВ: А деньги на поездки?\nО: Тоже.", ["distance", "funding"]),
        ("— Инт.: А с переводчиками как?\n— Респ.: Плохо. Один на весь край.", ["language"]),
        # «Да нет», a denial or anything else: the question is blanked
        (
            "— Инт.: А с переводчиками как?\n— Респ.: Да нет, справляемся.\n"
            "— Инт.: А ковид?\n— Респ.: Да, всё закрыто.",
            ["covid"],
        ),
        ("В: А финансирование?\nО: Хватает.\nВ: А язык?\nО: Свои китаисты.", []),
    ],
)
def test_a_confirmed_question_is_kept(coder, text, coded):
    assert [k for k, v in coder.code(text).codes.items() if v and k != "no_problems"] == coded


def test_a_dash_dialogue_is_read_by_its_questions(coder):
    text = "— Проблемы есть?\n— Ну, бывает.\n— С переводом?\n— Нет, с деньгами: бюджет урезали."
    assert [k for k, v in coder.code(text).codes.items() if v] == ["funding"]


@pytest.mark.parametrize(
    "text",
    [
        "Кто будет платить за переводчика?\nГде взять деньги на поездки?",  # the respondent's own questions
        "— нет переводчиков?\n— нет денег?",  # every line a question: not a dialogue
        "Проблемы: нет переводчиков.\nВ целом: работаем.",  # headings, not turns
        "Одна строка. В: это не реплика, она не в начале строки.",
        "Трудности:\nВопрос: финансирование.\nВопрос: визы для групп.",  # «вопрос» as a heading
    ],
)
def test_answers_that_are_not_transcripts_are_left_whole(text):
    assert blank_interviewer(text, load_codebook().rules) == text


def test_turn_markers_come_from_the_codebook():
    rules = load_codebook().rules
    assert "инт" in rules.forms["interviewer"] and "респ" in rules.forms["respondent"]
    blanked = blank_interviewer("Инт: А язык?\nРесп: Язык нет.", rules)
    assert blanked.split("\n")[0].strip() == "" and blanked.endswith("Язык нет.")
