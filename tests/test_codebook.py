"""The codebook file and its self-check."""

from __future__ import annotations

import textwrap

import pytest

from survey.coding.coder import Coder
from survey.errors import ConfigError
from survey.spec.codebook import load_codebook

CONTRACT_IDS = ["distance", "language", "funding", "mentality", "covid", "legal", "interest", "no_problems"]


def test_categories_and_labels():
    cb = load_codebook()
    assert [c for c in cb.ids if c in CONTRACT_IDS] == CONTRACT_IDS
    for cat in cb.categories:
        assert cat.label and cat.description and cat.questions == ("q3_problems",)
    assert cb.category("no_problems").compatible_with == ("covid",)


def _write(tmp_path, body: str):
    path = tmp_path / "codebook.yaml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


GOOD = """\
version: "t"
categories:
  - id: funding
    label: Финансирование
    questions: [q3_problems]
    needs:
      - деньги
"""


def test_patterns_go_through_the_same_lemmatizer(tmp_path):
    # pymorphy3's lemma of «деньги» is «деньга»: writing the word naturally must still match
    coder = Coder(load_codebook(_write(tmp_path, GOOD)))
    assert coder.code("Денег нет.").categories == ["funding"]
    assert coder.code("Не хватает денежек? Нет, денег хватает.").categories == []


def test_broken_codebook_names_every_problem_with_its_line(tmp_path):
    path = _write(
        tmp_path,
        """\
version: "t"
categories:
  - id: funding
    label: Финансирование
    colour: red
    needs:
      - деньги
      - деньги
      - "!!!"
      - ~ бюджет
  - id: funding
    label: Снова
    terms: [x]
  - id: none
    label: Нет проблем
    compatible_with: [pandemic]
    terms:
      - ab*
""",
    )
    with pytest.raises(ConfigError) as err:
        load_codebook(path)
    msg = err.value.message
    assert "строка 3: категория «funding»: неизвестный ключ «colour»" in msg
    # each pattern's message names its own line, not its category's
    assert "строка 8: категория «funding»: шаблон «деньги» повторяет «деньги» (needs, строка 7)" in msg
    assert "строка 9: категория «funding»: шаблон «!!!»: «!!!» не даёт ни одной леммы" in msg
    assert "строка 10: категория «funding»: в шаблоне «~ бюджет» знак «~» должен стоять между словами" in msg
    assert "строка 11: категория «funding» повторяется (первый раз — строка 3)" in msg
    assert "в compatible_with неизвестная категория «pandemic»" in msg
    assert "строка 18: категория «none»: шаблон «ab*»: начало слова перед «*» короче 3 букв" in msg


def test_a_pattern_written_as_a_regular_expression_or_a_list_is_refused_not_read_as_words(tmp_path):
    path = _write(
        tmp_path,
        """\
version: "t"
categories:
  - id: legal
    label: Визы
    terms:
      - '[abc'
      - виз[аы]
      - нехватка ~x переводчик
      - пере*вод
      - визы, таможня
      - ж/д сообщение
      - =г.
""",
    )
    with pytest.raises(ConfigError) as err:
        load_codebook(path)
    msg = err.value.message
    assert "строка 6: категория «legal»: шаблон «[abc»: знак «[» не поддерживается: шаблон — не регулярное" in msg
    assert "строка 7: категория «legal»: шаблон «виз[аы]»: знаки [ ] не поддерживаются" in msg
    assert "строка 8: категория «legal»: шаблон «нехватка ~x переводчик»: после «~» может стоять только число" in msg
    assert "строка 9: категория «legal»: шаблон «пере*вод»: «*» ставится только в конце слова" in msg
    assert "строка 10: категория «legal»: шаблон «визы, таможня»: запятая или точка с запятой" in msg
    assert len(err.value.problems) == 5  # «ж/д сообщение» and «=г.» are words


def test_a_rules_word_that_gives_no_lemma_is_reported_at_its_own_line(tmp_path):
    path = _write(
        tmp_path,
        """\
version: "t"
rules:
  negators:
    - не
    - "—"
categories:
  - id: funding
    label: Финансирование
    terms: [деньги]
""",
    )
    with pytest.raises(ConfigError) as err:
        load_codebook(path)
    assert "строка 5: rules.negators: «—» не даёт ни одной леммы" in err.value.message


def test_each_pattern_knows_its_own_line(tmp_path):
    path = _write(
        tmp_path,
        GOOD
        + """\
      - бюджет
      - нет ~ средств
  - id: language
    label: Язык
    needs: [переводчик, язык ~2 барьер]
""",
    )
    got = {p.text: p.line for c in load_codebook(path).categories for p in c.patterns}
    # a block list: each item's line; a flow list: the line it is written on
    assert got == {"деньги": 7, "бюджет": 8, "нет ~ средств": 9, "переводчик": 12, "язык ~2 барьер": 12}


def test_question_ids_are_checked_against_the_questionnaire(tmp_path, questionnaire):
    path = _write(tmp_path, GOOD.replace("[q3_problems]", "[q9_unknown]"))
    with pytest.raises(ConfigError) as err:
        load_codebook(path, questionnaire=questionnaire)
    assert "вопроса «q9_unknown» нет в анкете" in err.value.message


def test_cli_reports_a_broken_codebook_without_traceback(tmp_path):
    from .helpers import survey

    path = _write(tmp_path, "categories: [1, 2]\n")
    (tmp_path / "in.csv").write_text("id,text\n1,нет переводчиков\n", encoding="utf-8")
    res = survey("code", tmp_path / "in.csv", "-o", tmp_path / "out.csv", "--codebook", path)
    assert res.code == 2 and "категория должна быть описанием" in res.err and "Traceback" not in res.err
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize(("section", "near"), [("rule", "rules"), ("learnd", "learned"), ("categoies", "categories")])
def test_a_misspelt_section_is_an_error_not_silently_ignored(tmp_path, section, near):
    # «rule:» used to be skipped: the bundled rules applied and the user's edits did nothing
    body = GOOD + f"{section}:\n  negators: [не]\n"
    with pytest.raises(ConfigError) as err:
        load_codebook(_write(tmp_path, body))
    (problem,) = err.value.problems
    assert problem.location.line == GOOD.count("\n") + 1
    assert f"неизвестный раздел «{section}»" in problem.message and f"«{near}»" in problem.fix


def test_one_question_without_brackets_is_that_question_not_its_letters(tmp_path, questionnaire):
    cb = load_codebook(_write(tmp_path, GOOD.replace("[q3_problems]", "q3_problems")), questionnaire=questionnaire)
    assert cb.category("funding").questions == ("q3_problems",)
    assert [c.id for c in cb.for_question("q3_problems")] == ["funding"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("    no_problems: нет\n", "no_problems — ожидается true или false, а не «нет»"),
        ("    compatible_with: {covid: 1}\n", "compatible_with должен быть списком id"),
    ],
)
def test_a_yes_no_or_list_key_with_a_wrong_value_is_refused(tmp_path, line, expected):
    # «no_problems: нет» is a string, which bool() would have read as true
    with pytest.raises(ConfigError) as err:
        load_codebook(_write(tmp_path, GOOD.replace("    needs:\n", line + "    needs:\n")))
    assert expected in err.value.message


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("проблемы: нет", "«проблемы: нет» прочитано как пара «ключ: значение»"),
        ("", "пустой элемент списка"),
        ("[визы, таможня]", "список внутри списка"),
        ("no", "прочитано как логическое значение"),
        ("на", "одно служебное слово (предлог)"),
        ("и", "одно служебное слово (союз)"),
    ],
)
def test_a_pattern_yaml_or_the_lemmatizer_would_misread_is_refused_at_its_line(tmp_path, item, expected):
    with pytest.raises(ConfigError) as err:
        load_codebook(_write(tmp_path, GOOD.replace("      - деньги\n", f"      - деньги\n      - {item}\n")))
    (problem,) = err.value.problems
    assert expected in problem.message and problem.location.line == 8


def test_latin_look_alike_letters_in_a_pattern_are_read_as_russian_and_warned(tmp_path):
    # «дeньги» with a Latin «e», «кoвид*» with a Latin «o»: invisible on screen, matched nothing before
    body = GOOD.replace("      - деньги\n", "      - дeньги\n      - кoвид*\n") + "rules:\n  negators: [нe]\n"
    cb = load_codebook(_write(tmp_path, body))
    coder = Coder(cb)
    assert coder.code("Денег нет.").categories == ["funding"]
    assert coder.code("Из-за ковида встречи отменили.").categories == ["funding"]
    warned = sorted((w for w in cb.warnings if w.code == "pattern-lookalike"), key=lambda w: w.location.line)
    assert [w.location.line for w in warned] == [7, 8, 10]
    assert "«дeньги»" in warned[0].message and "«нe»" in warned[2].message


def test_a_phrase_in_a_list_read_word_by_word_is_warned_not_silently_dropped(tmp_path):
    cb = load_codebook(_write(tmp_path, GOOD + "rules:\n  subordinators: [что, так как]\n"))
    (warning,) = [w for w in cb.warnings if w.code == "rule-phrase-ignored"]
    assert "rules.subordinators: «так как»" in warning.message and warning.location.line == 9
    assert "что" in cb.rules.words["subordinators"]
    assert not (load_codebook().warnings), "the bundled codebook loads without warnings"


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        ("categories:\n\t- id: x\n", 2, "табуляция"),
        # review 48 #5: a tab followed by spaces in a list of terms was «ошибка синтаксиса»
        ("categories:\n  - id: x\n    terms:\n      - виза\n\t  - таможня\n", 5, "табуляция"),
        ("categories:\n  - id: x\n    label: Деньги: нет\n", 3, "лишнее двоеточие"),
        ("categories:\n  - id: x\n    terms: [виза, таможня\n", 4, "не закрыта квадратная скобка"),
        ("categories:\n  - id: x\n    label: 'Деньги\n", 4, "не закрыта кавычка"),
    ],
)
def test_a_yaml_syntax_error_is_explained_in_russian_with_its_line(tmp_path, text, line, expected):
    with pytest.raises(ConfigError) as err:
        load_codebook(_write(tmp_path, text))
    assert f"строка {line}" in err.value.message and expected in err.value.message
    assert not any(word in err.value.message for word in ("mapping", "token", "scanning", "expected"))


def test_list_items_folded_into_one_pattern_by_a_misaligned_dash_are_named(tmp_path):
    # review 48 #5: the first «- » left of the others makes YAML read the list as one text
    path = _write(tmp_path, GOOD.replace("    needs:\n      - деньги\n", "    terms:\n    - санкции\n      - виза\n"))
    with pytest.raises(ConfigError) as err:
        load_codebook(path)
    assert "шаблон «санкции - виза»" in err.value.message
    assert "строки списка слились в одну: у элементов списка «- » разный отступ" in err.value.message
