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
