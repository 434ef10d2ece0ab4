"""A new study written from scratch (school exchanges): the defects a first-time user met.

Each test builds the small study in a temporary folder, changes the one thing a user got wrong
and checks that the tool says so (or now accepts it) instead of crashing, silently coding nothing
or taking the bundled study's files.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from survey.cli import main
from survey.errors import Code, ConfigError

QUESTIONNAIRE = """\
id: school-exchanges
version: "1.0"
title: Опрос директоров школ о международных школьных обменах

respondent:
  - id: expert_id
    short: Код эксперта
    text: Код эксперта
    type: text
    required: true
    max_length: 16
  - id: unit_id
    short: Муниципалитет
    text: Муниципалитет, где расположена школа
    type: single
    options_from: units
    required: true
  - id: survey_date
    short: Дата заполнения
    text: Дата заполнения анкеты
    type: date
    required: true
    min: "2024-01-01"
    max: "2024-12-31"

questions:
  - id: q1_value
    number: 1
    short: Польза обменов
    text: Насколько полезны международные обмены для вашей школы?
    type: scale
    required: true
    min: 1
    max: 5
    options:
      - {code: 1, name: useless, label: бесполезны}
      - {code: 5, name: very_useful, label: очень полезны}
      - {code: 9, name: dk, label: затрудняюсь ответить}
    missing: [9]
  - id: q2_countries
    number: 2
    short: Страны-партнёры
    text: С какими странами ведутся обмены?
    type: multiple
    required: true
    options:
      - {code: 1, name: china, label: Китай}
      - {code: 2, name: belarus, label: Беларусь}
  - id: q3_students
    number: 3
    short: Число учеников
    text: Сколько учеников участвовали в обменах?
    type: integer
    required: true
    min: 0
    max: 2000
  - id: q5_obstacles
    number: 5
    short: Препятствия
    text: С какими препятствиями сталкиваются обмены?
    type: text
    required: true
    coded: true
  - id: q6_comment
    number: 6
    short: Комментарий
    text: Любые комментарии
    type: text
    required: false
"""

CODEBOOK = """\
version: "1.0"
categories:
  - id: money
    label: Финансирование
    questions: [q5_obstacles]
    needs:
      - деньги
      - бюджет
  - id: safety
    label: Безопасность и ответственность
    questions: [q5_obstacles]
    terms:
      - ответственность ~ за ~ ребёнок
      - безопасность
  - id: no_problems
    label: Проблем нет
    questions: [q5_obstacles]
    no_problems: true
    terms:
      - проблем нет
"""

UNITS = """\
unit_id,name,kind,district
kazan,Казань,city,Приволжский
tomsk,Томск,city,Сибирский
pskov,Псков,city,Северо-Западный
"""

STUDY = """\
title: "Международные школьные обмены: опрос директоров"
files: {questionnaire: questionnaire.yaml, codebook: codebook.yaml, units: units.csv, responses: responses.csv}
group_by: district
"""

RESPONSES = """\
expert_id,unit_id,survey_date,q1_value,q2_countries,q3_students,q5_obstacles,q6_comment
A1,Казань,12.03.2024,5,Китай,10,Денег нет,
A2,Томск,13.03.2024,4,Китай;Беларусь,10,Проблем нет,
A3,Псков,13.03.2024,3,Беларусь,5,Главное - безопасность детей в поездке.,
"""


def make_study(folder: Path, **replace: str | None) -> Path:
    """The school study in ``folder``; ``replace`` maps a file name to its text (None: no such file)."""
    files = {
        "questionnaire.yaml": QUESTIONNAIRE,
        "codebook.yaml": CODEBOOK,
        "units.csv": UNITS,
        "study.yaml": STUDY,
        "responses.csv": RESPONSES,
    }
    files.update(replace)
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        if text is not None:
            (folder / name).write_text(text, encoding="utf-8")
    return folder


def cli(capsys, *args) -> tuple[int, str, str]:
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:  # validate exits 1 itself when it finds errors
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# ------------------------------------------------ #3: a study folder never takes the bundled files


def test_a_study_folder_without_its_gazetteer_is_an_error_naming_the_folder_and_file(tmp_path, capsys):
    study = make_study(tmp_path / "s", **{"units.csv": None})
    (study / "муниципалитеты.csv").write_text(UNITS, encoding="utf-8")  # saved under another name
    (study / "study.yaml").write_text('title: "Школы"\n', encoding="utf-8")
    code, _, err = cli(capsys, "run", "--study", study, "--out", tmp_path / "out")
    assert code == 2 and "Traceback" not in err
    assert str(study) in err and "нет справочника единиц" in err and "«units.csv»" in err and "--units" in err
    assert "responses/units.csv" not in err.replace("«responses/units.csv»", "")  # never the bundled file
    assert not (tmp_path / "out").exists()
    code, _, err = cli(capsys, "validate", study / "responses.csv", "--study", study)
    assert code == 2 and "нет справочника единиц" in err


def test_a_study_folder_without_a_codebook_names_it_not_the_bundled_one(tmp_path, capsys):
    from survey.pipeline import export_sav

    study = make_study(tmp_path / "s", **{"codebook.yaml": None, "study.yaml": 'title: "Школы"\n'})
    code, _, err = cli(capsys, "code", study / "responses.csv", "-o", tmp_path / "c.csv", "--study", study)
    assert code == 2 and "нет кодовой книги" in err and "«codebook.yaml»" in err
    assert "questionnaires/codebook.yaml" not in err.replace("«questionnaires/codebook.yaml»", "")
    # a command that does not code works without a codebook when no question is coded
    plain = make_study(
        tmp_path / "plain",
        **{
            "codebook.yaml": None,
            "study.yaml": None,
            "questionnaire.yaml": QUESTIONNAIRE.replace("    coded: true\n", ""),
        },
    )
    assert export_sav(study=plain, output=tmp_path / "x.sav").cases == 3


# ------------------------------------------------ #5 and #2: a codebook and no coded question


def test_a_run_without_coded_true_stops_with_the_fix_instead_of_crashing(tmp_path, capsys):
    study = make_study(tmp_path / "s", **{"questionnaire.yaml": QUESTIONNAIRE.replace("    coded: true\n", "")})
    code, _, err = cli(capsys, "run", "--study", study, "--out", tmp_path / "out")
    assert code == 2 and "Внутренняя ошибка" not in err
    assert "нет ни одного вопроса с coded: true" in err and "Добавьте coded: true к вопросу «q5_obstacles»" in err
    # no codebook either: the message says both what to mark and what file to add
    (study / "codebook.yaml").unlink()
    code, _, err = cli(capsys, "run", "--study", study, "--out", tmp_path / "out")
    assert code == 2 and "coded: true к одному из вопросов «q5_obstacles»" in err and "codebook.yaml" in err


def test_a_category_naming_an_uncoded_question_is_a_codebook_error_with_the_fix(tmp_path):
    from survey.spec.codebook import load_codebook
    from survey.spec.questionnaire import load_questionnaire

    study = make_study(
        tmp_path, **{"codebook.yaml": CODEBOOK.replace("[q5_obstacles]\n    terms", "[q6_comment]\n    terms")}
    )
    q = load_questionnaire(study / "questionnaire.yaml")
    with pytest.raises(ConfigError) as err:
        load_codebook(study / "codebook.yaml", questionnaire=q)
    (problem,) = err.value.problems
    assert problem.location.line == 9  # the category «safety»
    assert "вопрос «q6_comment» не отмечен в анкете coded: true" in problem.message
    assert (
        "Добавьте coded: true к вопросу «q6_comment» в анкете (строка" in problem.fix and "q5_obstacles" in problem.fix
    )


def test_a_coded_question_no_category_codes_is_a_warning(tmp_path):
    from survey.spec.codebook import load_codebook
    from survey.spec.questionnaire import load_questionnaire

    text = QUESTIONNAIRE.replace("    required: false\n", "    required: false\n    coded: true\n")
    study = make_study(tmp_path, **{"questionnaire.yaml": text})
    cb = load_codebook(study / "codebook.yaml", questionnaire=load_questionnaire(study / "questionnaire.yaml"))
    assert [(w.code, "q6_comment" in w.message) for w in cb.warnings] == [(Code.QUESTION_NO_CATEGORIES, True)]


# ------------------------------------------------ #10: a misspelt pattern word


def test_a_misspelt_pattern_word_is_a_warning_naming_the_line_and_the_known_word(tmp_path, capsys):
    text = CODEBOOK.replace("      - безопасность\n", "      - безопастность\n").replace(
        "ответственность ~", "ответственость ~"
    )
    study = make_study(tmp_path / "s", **{"codebook.yaml": text})
    answers = tmp_path / "in.csv"
    answers.write_text("id,text\n1,Главное - безопасность детей в поездке.\n", encoding="utf-8")
    code, _, err = cli(capsys, "code", answers, "-o", tmp_path / "c.csv", "--study", study)
    assert code == 0
    lines = [line for line in err.splitlines() if line.startswith("предупреждение")]
    assert len(lines) == 2
    assert "codebook.yaml, строка 13" in lines[0] and "«ответственость»" in lines[0] and "«ответственность»" in lines[0]
    assert "строка 14" in lines[1] and "«безопастность»" in lines[1] and "возможно, «безопасность»" in lines[1]


def test_rare_words_of_the_bundled_codebooks_are_not_taken_for_misspellings():
    from survey.spec.codebook import load_codebook

    assert load_codebook().warnings == ()  # «ковид», «синофобия», «погранпереход»… are meant


# ------------------------------------------------ #15: the study's own words


def test_the_template_and_date_messages_use_the_studys_words_and_period(tmp_path, capsys):
    study = make_study(tmp_path / "s")
    code, _, _ = cli(capsys, "template", "--study", study, "--unit", "Томск", "-o", tmp_path / "t.xlsx")
    assert code == 0
    subtitle = openpyxl.load_workbook(tmp_path / "t.xlsx")["Анкета"]["A2"].value
    assert subtitle.startswith("Муниципалитет: Томск.") and "Город" not in subtitle
    (study / "responses.csv").write_text(RESPONSES.replace("12.03.2024", "31.02.2024"), encoding="utf-8")
    code, _, err = cli(capsys, "validate", study / "responses.csv", "--study", study)
    assert code == 1 and "«31.02.2024» — не дата" in err and "например 15.01.2024" in err and "2021" not in err


def test_the_example_date_lies_in_the_period():
    from survey.spec.questionnaire import Field

    def example(lo, hi):
        return Field("d", "Дата", "date", min=lo, max=hi).example_date.isoformat()

    assert example("2024-09-20", "2024-12-31") == "2024-09-20"
    assert example("2024-09-01", "2024-09-10") == "2024-09-01"
    assert example(None, "2025-06-30") == "2025-06-15"


# ------------------------------------------------ #6: XLSForm of a date or a number without a range


def test_xlsform_leaves_out_a_bound_the_questionnaire_does_not_give(tmp_path, capsys):
    text = QUESTIONNAIRE.replace('    min: "2024-01-01"\n    max: "2024-12-31"\n', "").replace(
        "    min: 0\n    max: 2000\n", "    min: 0\n"
    )
    study = make_study(tmp_path / "s", **{"questionnaire.yaml": text})
    code, _, err = cli(capsys, "xlsform", "--study", study, "-o", tmp_path / "f.xlsx")
    assert code == 0, err
    rows = {r[1]: r for r in openpyxl.load_workbook(tmp_path / "f.xlsx")["survey"].iter_rows(values_only=True)}
    date, number = rows["survey_date"], rows["q3_students"]
    assert date[3] is None and date[6] is None and date[7] is None  # no hint, constraint or message with None
    assert number[3] == "Целое число от 0." and number[6] == ". >= 0" and number[7] == "Целое число от 0."
    assert not any(isinstance(cell, str) and "None" in cell for row in rows.values() for cell in row)


# ------------------------------------------------ #7: the learned layer switched off without examples


def test_learned_switched_off_needs_no_examples(tmp_path):
    from survey.spec.codebook import load_codebook

    study = make_study(tmp_path, **{"codebook.yaml": CODEBOOK + "learned:\n  enabled: false\n"})
    cb = load_codebook(study / "codebook.yaml")
    assert cb.learned is not None and not cb.learned.enabled and cb.learned.examples == ()
    (study / "codebook.yaml").write_text(CODEBOOK + "learned:\n  add_when_silent: 0.5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="напишите enabled: false или удалите раздел learned"):
        load_codebook(study / "codebook.yaml")


# ------------------------------------------------ #9: SPSS names made of two ids


def test_a_multiple_choice_column_longer_than_spss_allows_is_a_questionnaire_error(tmp_path):
    from survey.spec.questionnaire import load_questionnaire

    long_id = "q2_partner_countries_for_exchanges_of_pupils"
    text = QUESTIONNAIRE.replace("id: q2_countries", f"id: {long_id}").replace(
        "name: belarus,", "name: republic_of_belarus_and_the_union_state,"
    )
    study = make_study(tmp_path, **{"questionnaire.yaml": text})
    with pytest.raises(ConfigError) as err:
        load_questionnaire(study / "questionnaire.yaml")
    (problem,) = err.value.problems
    assert problem.location.line == 40  # the question's line
    assert f"«{long_id}_republic_of_belarus_and_the_union_state»" in problem.message and "84 байт" in problem.message


def test_a_code_variable_longer_than_spss_allows_is_a_codebook_error(tmp_path):
    from survey.spec.codebook import load_codebook
    from survey.spec.questionnaire import load_questionnaire

    long_id = "q5_obstacles_to_international_exchanges_of_pupils"
    study = make_study(
        tmp_path,
        **{
            "questionnaire.yaml": QUESTIONNAIRE.replace("q5_obstacles", long_id),
            "codebook.yaml": CODEBOOK.replace("q5_obstacles", long_id).replace("no_problems\n", "no_problems_at_all\n"),
        },
    )
    with pytest.raises(ConfigError) as err:
        load_codebook(study / "codebook.yaml", questionnaire=load_questionnaire(study / "questionnaire.yaml"))
    (problem,) = err.value.problems
    assert f"«{long_id}_no_problems_at_all»" in problem.message and problem.location.line == 15


# ------------------------------------------------ #12: a wave that only extends the period


def _filled_template(study: Path, path: Path, capsys) -> Path:
    code, _, err = cli(capsys, "template", "--study", study, "--unit", "Казань", "-o", path)
    assert code == 0, err
    wb = openpyxl.load_workbook(path)
    ws = wb["Анкета"]
    answers = {
        "expert_id": "K01",
        "survey_date": "12.03.2024",
        "q1_value": "5 — очень полезны",
        "q2_countries/china": "да",
        "q3_students": 10,
        "q5_obstacles": "Денег нет",
    }
    for row in ws.iter_rows(min_row=1):
        key = row[4].value  # the hidden column E: the answer's data key
        if key in answers:
            row[2].value = answers[key]
    wb.save(path)
    return path


def test_extending_the_period_keeps_the_last_waves_templates(tmp_path, capsys):
    study = make_study(tmp_path / "s", **{"responses.csv": None})
    filled = _filled_template(study, tmp_path / "wave1" / "kazan.xlsx", capsys)
    assert cli(capsys, "validate", filled, "--study", study)[0] == 0
    (study / "questionnaire.yaml").write_text(QUESTIONNAIRE.replace("2024-12-31", "2025-06-30"), encoding="utf-8")
    code, out, err = cli(capsys, "validate", filled, "--study", study)
    assert code == 0 and "Ошибок не найдено" in out, err
    # a changed option is still a changed questionnaire, and the message names the question
    (study / "questionnaire.yaml").write_text(QUESTIONNAIRE.replace("label: Беларусь", "label: Белоруссия"), "utf-8")
    code, _, err = cli(capsys, "validate", filled, "--study", study)
    assert code == 1 and "изменены вопросы или варианты ответа: q2_countries)" in err


def test_a_template_written_before_keeps_its_fingerprint(tmp_path):
    import hashlib
    import json

    from survey.spec.questionnaire import load_questionnaire
    from survey.spec.template_layout import fingerprint_matches, template_changes

    q = load_questionnaire(make_study(tmp_path) / "questionnaire.yaml")
    spec = [  # the fingerprint as templates recorded it until the ranges were left out
        [
            f.id,
            f.type,
            f.options_from,
            str(f.min),
            str(f.max),
            list(f.missing),
            [[o.code, o.name, o.label] for o in f.options],
        ]
        for f in q.fields
    ]
    old = hashlib.sha256(json.dumps(spec, ensure_ascii=False).encode("utf-8")).hexdigest()[:12]
    assert fingerprint_matches(old, q) and not fingerprint_matches("0" * 12, q)
    assert "--questionnaire" in template_changes("", q)


# ------------------------------------------------ #16: a group_by typo in study.yaml


def test_a_group_by_typo_in_study_yaml_names_the_file_and_line_before_any_work(tmp_path, capsys, monkeypatch):
    import survey.pipeline

    study = make_study(tmp_path / "s", **{"study.yaml": STUDY.replace("group_by: district", "group_by: distrct")})
    monkeypatch.setattr(survey.pipeline, "validate", lambda *a, **k: pytest.fail("the responses were read"))
    code, _, err = cli(capsys, "run", "--study", study, "--out", tmp_path / "out")
    assert code == 2
    assert f"{study / 'study.yaml'}, строка 3: group_by: distrct" in err and "Возможно, имелся в виду district" in err
    assert "--group-by" not in err
    code, _, err = cli(capsys, "run", "--study", study, "--out", tmp_path / "out", "--group-by", "kindd")
    assert code == 2 and "(--group-by)" in err and "study.yaml" not in err
