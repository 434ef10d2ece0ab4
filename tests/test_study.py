"""study.yaml: what a study says about itself, how its files are found, and broken settings."""

from __future__ import annotations

import shutil

import pytest

from survey.errors import ConfigError
from survey.spec.study import find_study, load_study, resolve_study
from survey.spec.units import load_units

from .conftest import ROOT

EXAMPLE = ROOT / "examples" / "german_partner_cities"


def test_the_bundled_study_settings():
    study = load_study()
    assert study.title.startswith("Российско-китайское") and study.group_by == "border_status"
    assert study.border is not None and study.border.column == "borders_china"
    assert [f.figure for f in study.published] == ["experts", "units", "cities", "regions", "distance",
                                                   "mentality", "covid"]  # fmt: skip
    assert study.files["responses"] == (ROOT / "responses" / "sample.xlsx").resolve()
    assert study.joint == (("border", "log10_distance"),)


def test_a_study_without_settings_takes_its_files_by_name(tmp_path):
    for name in ("questionnaire.yaml", "codebook.yaml", "units.csv", "responses.xlsx", "responses_gold.csv"):
        shutil.copy(EXAMPLE / name, tmp_path / name)
    study = find_study(tmp_path)
    assert study.files["questionnaire"] == (tmp_path / "questionnaire.yaml").resolve()
    assert study.files["gold"] == (tmp_path / "responses_gold.csv").resolve()
    assert study.border is None and study.published == () and study.models == ()
    units = load_units(study.files["units"], study)
    assert "border_status" not in units.columns and units.attrs["notes"] == []


def test_a_questionnaire_given_alone_does_not_inherit_the_bundled_study(tmp_path):
    shutil.copy(EXAMPLE / "questionnaire.yaml", tmp_path / "q.yaml")
    study = resolve_study(None, tmp_path / "q.yaml")
    assert study.title == "" and study.published == () and study.border is None
    assert resolve_study(None, EXAMPLE / "questionnaire.yaml").title.startswith("Российско-германское")


@pytest.mark.parametrize(
    "text,message",
    [
        ("titel: x\n", "неизвестный ключ «titel»"),
        ("border: {label: граница}\n", "border: укажите column"),
        ("models: {terms: [{name: a}]}\n", "нужны name и column"),
        ("models: {terms: [{name: a, column: b}], joint: [[a, c]]}\n", "models.joint"),
        ("published: figures.csv\n", "published: файл"),
        ("files: {answers: x.csv}\n", "неизвестная роль «answers»"),
    ],
)
def test_broken_settings_name_the_line_and_the_fix(tmp_path, text, message):
    path = tmp_path / "study.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_study(path)
    assert message in err.value.message and str(path) in err.value.message


def test_published_figures_are_checked(tmp_path):
    (tmp_path / "p.csv").write_text("figure,published,what,label\nx,12,units:kind,x\ny,zz,respondents,y\n")
    (tmp_path / "study.yaml").write_text("published: p.csv\n")
    with pytest.raises(ConfigError) as err:
        load_study(tmp_path / "study.yaml")
    assert "what «units:kind» не понятно" in err.value.message
    assert "published «zz» — не целое число" in err.value.message


def test_a_missing_study_folder_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="папка исследования не найдена"):
        find_study(tmp_path / "nope")
    with pytest.raises(ConfigError, match="нет анкеты"):
        find_study(tmp_path)


def test_not_names_file(tmp_path):
    bundled = load_study().not_names()
    assert "харбин*" in bundled and "ляонин*" in bundled and all(w == w.lower() for w in bundled)
    (tmp_path / "not_names.txt").write_text("# comment\nХарбин*  # a partner city\n\nдва слова\n", encoding="utf-8")
    (tmp_path / "study.yaml").write_text("files:\n  not_names: not_names.txt\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"not_names.txt, строка 4: «два слова» — ожидается одно слово"):
        load_study(tmp_path / "study.yaml").not_names()
    (tmp_path / "not_names.txt").write_text("Харбин*  # a partner city\n", encoding="utf-8")
    assert load_study(tmp_path / "study.yaml").not_names() == ["харбин*"]


def test_synthetic_in_study_yaml_marks_csv_responses(tmp_path):
    """A CSV carries no workbook Keywords: `synthetic: true` in study.yaml says the data are synthetic."""
    import pandas as pd

    from survey.pipeline import export_sav

    shutil.copy(ROOT / "questionnaires" / "questionnaire.yaml", tmp_path / "questionnaire.yaml")
    shutil.copy(ROOT / "responses" / "units.csv", tmp_path / "units.csv")
    sample = pd.read_excel(ROOT / "responses" / "sample.xlsx", dtype=str, engine="calamine")
    sample.to_csv(tmp_path / "responses.csv", index=False)
    files = f"files: {{codebook: {ROOT / 'questionnaires' / 'codebook.yaml'}}}\n"
    marked = {}
    for setting in ("", "synthetic: true\n"):
        (tmp_path / "study.yaml").write_text(f"title: Опрос\n{files}{setting}", encoding="utf-8")
        marked[setting] = export_sav(study=tmp_path, output=tmp_path / "out.sav").synthetic
    assert marked == {"": False, "synthetic: true\n": True}
    (tmp_path / "study.yaml").write_text("synthetic: да\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="synthetic: ожидается true или false"):
        load_study(tmp_path / "study.yaml")


def test_published_figures_saved_by_russian_excel_are_read_and_rows_keep_their_line(tmp_path):
    """«sep=;», «;» and cp1251, as Russian Excel saves a CSV: the figures are read; a bad one is
    named by the file's own line."""
    text = "sep=;\r\nfigure;published;what;label\r\nэксперты;123;respondents;Экспертов\r\nx;zz;units;x\r\n"
    (tmp_path / "p.csv").write_bytes(text.encode("cp1251"))
    (tmp_path / "study.yaml").write_text("published: p.csv\n")
    with pytest.raises(ConfigError) as err:
        load_study(tmp_path / "study.yaml")
    assert "p.csv, строка 4: published «zz» — не целое число" in err.value.message
    (tmp_path / "p.csv").write_bytes(text.replace("x;zz;units;x\r\n", "").encode("cp1251"))
    study = load_study(tmp_path / "study.yaml")
    assert [(f.figure, f.published, f.what, f.label) for f in study.published] == [
        ("эксперты", 123, "respondents", "Экспертов")
    ]
