"""The questionnaire file: contents and the loader's self-check."""

from __future__ import annotations

import textwrap

import pytest

from survey.errors import ConfigError
from survey.spec.questionnaire import load_questionnaire


def test_seven_questions_of_the_study_scope(questionnaire):
    qs = questionnaire.questions
    assert [q.number for q in qs] == [1, 2, 3, 4, 5, 6, 7]
    types = {q.id: q.type for q in qs}
    assert types == {
        "q1_state": "scale",
        "q2_areas": "multiple",
        "q3_problems": "text",
        "q4_covid": "single",
        "q5_forms": "multiple",
        "q6_prospects": "scale",
        "q7_proposals": "text",
    }
    assert [q.id for q in questionnaire.coded_questions] == ["q3_problems"]
    areas = {o.name for o in questionnaire.field("q2_areas").options}
    assert {
        "education",
        "culture",
        "tourism",
        "sport",
        "youth",
        "trade",
        "investment",
        "health",
        "science",
    } <= areas


def test_respondent_block(questionnaire):
    ids = [f.id for f in questionnaire.respondent]
    assert ids == [
        "expert_id",
        "unit_id",
        "expert_name",
        "position",
        "organisation",
        "interview_mode",
        "interview_date",
        "years_cooperation",
    ]
    modes = [o.label for o in questionnaire.field("interview_mode").options]
    assert modes == ["очно", "телефон", "Skype", "письменно"]
    assert questionnaire.personal_columns == ["expert_name"]


def test_every_text_is_russian(questionnaire):
    for f in questionnaire.fields:
        assert any("а" <= ch.lower() <= "я" for ch in f.text), f.id


def _write(tmp_path, body: str):
    path = tmp_path / "q.yaml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


BASE = """\
id: t
version: "1"
respondent:
  - id: expert_id
    text: Код эксперта
    type: text
  - id: unit_id
    text: Город
    type: single
    options_from: units
questions:
"""


def test_duplicate_id_is_reported_with_its_line(tmp_path):
    path = _write(
        tmp_path,
        BASE
        + """\
  - id: q1
    text: Вопрос
    type: text
  - id: q1
    text: Вопрос снова
    type: text
""",
    )
    with pytest.raises(ConfigError) as err:
        load_questionnaire(path)
    assert "строка 15" in err.value.message and "«q1» повторяется" in err.value.message


def test_missing_options_and_unknown_type(tmp_path):
    path = _write(
        tmp_path,
        BASE
        + """\
  - id: q1
    text: Выбор
    type: single
  - id: q2
    text: Что-то
    type: slider
""",
    )
    with pytest.raises(ConfigError) as err:
        load_questionnaire(path)
    message = err.value.message
    assert "строка 12" in message and "нет вариантов ответа" in message
    assert "строка 15" in message and "неизвестный тип «slider»" in message
    assert len(err.value.problems) == 2


def test_duplicate_option_code_and_bad_scale(tmp_path):
    path = _write(
        tmp_path,
        BASE
        + """\
  - id: q1
    text: Шкала
    type: scale
    min: 5
    max: 1
    options:
      - {code: 1, name: a, label: один}
      - {code: 1, name: b, label: два}
""",
    )
    with pytest.raises(ConfigError) as err:
        load_questionnaire(path)
    assert "min (5) больше max (1)" in err.value.message
    assert "код 1 повторяется" in err.value.message


def test_yaml_syntax_error_names_line(tmp_path):
    path = _write(tmp_path, "id: t\nquestions:\n  - id: q1\n   text: x\n")
    with pytest.raises(ConfigError) as err:
        load_questionnaire(path)
    assert "строка" in err.value.message and "YAML" in err.value.message


def test_duplicate_yaml_key(tmp_path):
    path = _write(
        tmp_path,
        BASE
        + """\
  - id: q1
    text: Вопрос
    text: Снова
    type: text
""",
    )
    with pytest.raises(ConfigError) as err:
        load_questionnaire(path)
    assert "ключ «text» повторяется" in err.value.message


def test_header_matching_is_forgiving(questionnaire):
    assert questionnaire.match_column(" Q1_STATE ") == ("q1_state", None)
    assert questionnaire.match_column("Состояние сотрудничества") == ("q1_state", None)
    assert questionnaire.match_column("q2_areas/education") == ("q2_areas", "education")
    assert questionnaire.match_column("Сферы сотрудничества: образование") == ("q2_areas", "education")
    assert questionnaire.match_column("Город") == ("unit_id", None)
    assert questionnaire.match_column("совсем другое") is None
