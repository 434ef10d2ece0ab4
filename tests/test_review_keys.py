"""The review loop with the sheet as a reviewer really edits it: overrides keyed by expert *and*
question, answers changed since the review, «авто» cells typed over, rows sorted above the key
row, comments carried into the next sheet, ids spelled differently, CSVs from Russian Excel."""

from __future__ import annotations

import csv
import io

import openpyxl
import pandas as pd
import pytest

from survey.coding.review import FIRST_DATA_ROW, KEY_ROW, SHEET, apply_overrides, read_overrides, write_coding_sheet
from survey.errors import Code, InputError, InvalidDataError

CATS = ["distance", "legal"]
LABELS = {"distance": "удалённость", "legal": "право"}
QUESTIONS = ["q3_problems", "q7_proposals"]


def _coded() -> pd.DataFrame:
    """Two experts, two coded questions each: the automatic coding a run writes the sheet from."""
    rows = [
        ("E001", "q3_problems", "Далеко ехать до границы", 1, 0),
        ("E001", "q7_proposals", "Упростить законы", 0, 1),
        ("E002", "q3_problems", "Законы мешают", 0, 1),
        ("E002", "q7_proposals", "Построить дороги", 0, 0),
    ]
    frame = pd.DataFrame(rows, columns=["expert_id", "question", "answer", *CATS])
    frame["learned"] = ""
    return frame


def _sheet(tmp_path, coded=None, **kwargs):
    path = tmp_path / "sheet.xlsx"
    write_coding_sheet(path, _coded() if coded is None else coded, CATS, LABELS, **kwargs)
    return path


def _open(path):
    wb = openpyxl.load_workbook(path)
    ws = wb[SHEET]
    keys = {ws.cell(KEY_ROW, j).value: j for j in range(1, ws.max_column + 1)}
    rows = {(ws.cell(r, 1).value, ws.cell(r, 2).value): r for r in range(FIRST_DATA_ROW, ws.max_row + 1)}
    return wb, ws, keys, rows


def _auto() -> pd.DataFrame:
    return _coded().drop(columns="learned")


def _apply(path):
    return apply_overrides(_auto(), read_overrides(path, CATS, QUESTIONS), CATS)


def _final(result, expert, question):
    final = result.final.set_index(["expert_id", "question"])
    return final.loc[(expert, question), CATS].to_dict()


def test_an_override_applies_to_its_question_and_is_carried_to_that_row(tmp_path):
    path = _sheet(tmp_path)
    wb, ws, keys, rows = _open(path)
    ws.cell(rows[("E002", "q7_proposals")], keys["override:distance"]).value = 1
    wb.save(path)
    result = _apply(path)
    assert _final(result, "E002", "q7_proposals") == {"distance": 1, "legal": 0}
    assert _final(result, "E002", "q3_problems") == {"distance": 0, "legal": 1}  # untouched
    assert result.problems == []
    assert list(result.overrides[["expert_id", "question", "category"]].iloc[0]) == [
        "E002",
        "q7_proposals",
        "distance",
    ]
    # the next sheet shows the override on the q7 row only
    (tmp_path / "next").mkdir()
    again = _sheet(tmp_path / "next", overrides=result.overrides)
    _, ws2, keys2, rows2 = _open(again)
    assert ws2.cell(rows2[("E002", "q7_proposals")], keys2["override:distance"]).value == 1
    assert ws2.cell(rows2[("E002", "q3_problems")], keys2["override:distance"]).value is None


def test_a_csv_without_question_column_is_refused_when_two_questions_are_coded(tmp_path):
    src = tmp_path / "over.csv"
    src.write_text("expert_id,override:distance\nE001,0\n", encoding="utf-8")
    with pytest.raises(InvalidDataError) as err:
        read_overrides(src, CATS, QUESTIONS)
    assert "question" in err.value.message and "q7_proposals" in err.value.message
    table = read_overrides(src, CATS, ["q3_problems"])  # one coded question: the rows are about it
    assert list(table["question"]) == ["q3_problems"]


def test_override_on_an_answer_changed_since_the_review_is_not_applied(tmp_path):
    path = _sheet(tmp_path)
    wb, ws, keys, rows = _open(path)
    row = rows[("E001", "q3_problems")]
    ws.cell(row, keys["override:legal"]).value = 1
    wb.save(path)
    auto = _auto()
    auto.loc[(auto.expert_id == "E001") & (auto.question == "q3_problems"), "answer"] = "Нет переводчиков"
    result = apply_overrides(auto, read_overrides(path, CATS, QUESTIONS), CATS)
    assert _final(result, "E001", "q3_problems")["legal"] == 0  # not applied
    (problem,) = result.problems
    assert problem.code == Code.OVERRIDE_ANSWER_CHANGED
    assert f"строка {row}" in str(problem) and "Нет переводчиков" in problem.message
    assert "исправления строки (legal=1) не применены" in problem.message  # the value typed, kept in the message
    # the same text with other spaces and line breaks is the same answer
    auto.loc[(auto.expert_id == "E001") & (auto.question == "q3_problems"), "answer"] = " Далеко  ехать\nдо границы"
    assert apply_overrides(auto, read_overrides(path, CATS, QUESTIONS), CATS).problems == []


def test_a_review_of_masked_names_applies_to_the_same_answer_with_the_names(tmp_path):
    coded = _coded()
    coded.loc[0, "answer"] = "Как сказал [ФИО], далеко ехать до границы"  # the anonymised run's sheet
    path = _sheet(tmp_path, coded)
    wb, ws, keys, rows = _open(path)
    ws.cell(rows[("E001", "q3_problems")], keys["override:legal"]).value = 1
    wb.save(path)
    auto = _auto()
    first = (auto.expert_id == "E001") & (auto.question == "q3_problems")
    auto.loc[first, "answer"] = "Как сказал Иванов И. И., далеко ехать до границы"  # --with-names
    result = apply_overrides(auto, read_overrides(path, CATS, QUESTIONS), CATS)
    assert _final(result, "E001", "q3_problems")["legal"] == 1 and result.problems == []
    auto.loc[first, "answer"] = "Как сказал Иванов И. И., переводчиков нет"  # another answer after all
    result = apply_overrides(auto, read_overrides(path, CATS, QUESTIONS), CATS)
    assert _final(result, "E001", "q3_problems")["legal"] == 0
    assert [p.code for p in result.problems] == [Code.OVERRIDE_ANSWER_CHANGED]


def test_a_code_typed_in_the_auto_column_is_named_and_not_applied(tmp_path):
    path = _sheet(tmp_path)
    wb, ws, keys, rows = _open(path)
    row = rows[("E001", "q3_problems")]
    ws.cell(row, keys["auto:distance"]).value = 0  # the reviewer corrects in the wrong column
    wb.save(path)
    result = _apply(path)
    assert _final(result, "E001", "q3_problems")["distance"] == 1
    (problem,) = result.problems
    letter = openpyxl.utils.get_column_letter(keys["auto:distance"])
    assert problem.code == Code.AUTO_CELL_EDITED
    assert f"строка {row}, столбец {letter}" in str(problem) and "override:distance" in problem.fix
    # review 46 #5: after a codebook change such cells are its new codes; the advice must not undo them
    assert "менялась кодовая книга, это её новый код — ничего делать не нужно" in problem.fix
    # the sheet refuses typing in the «авто» columns
    rules = [dv for dv in ws.data_validations.dataValidation if dv.type == "custom"]
    assert rules and letter in str(rules[0].sqref)


def test_rows_sorted_above_the_key_row_keep_their_overrides(tmp_path):
    path = _sheet(tmp_path)
    wb, ws, keys, rows = _open(path)
    values = [[c.value for c in r] for r in ws.iter_rows(min_row=KEY_ROW)]
    key_row, data = values[0], values[1:]
    data[0][keys["override:legal"] - 1] = 1 - data[0][keys["auto:legal"] - 1]
    for i, line in enumerate([data[0], key_row, *data[1:]], start=KEY_ROW):
        for j, v in enumerate(line, start=1):
            ws.cell(i, j).value = v
    wb.save(path)
    result = _apply(path)
    assert result.cells == 1 and result.problems == []
    moved = (data[0][0], data[0][1])
    assert _final(result, *moved)["legal"] == 1 - data[0][keys["auto:legal"] - 1]


def test_a_deleted_key_row_is_named_with_how_to_put_it_back(tmp_path):
    """The grey row of machine keys deleted in Excel: the message names the sheet, the row and the fix."""
    path = _sheet(tmp_path)
    wb, ws, keys, rows = _open(path)
    ws.cell(rows[("E001", "q3_problems")], keys["override:legal"]).value = 1
    ws.delete_rows(KEY_ROW)
    wb.save(path)
    with pytest.raises(InputError) as err:
        read_overrides(path, CATS, QUESTIONS)
    message = err.value.message
    assert f"лист «{SHEET}»: нет строки ключей" in message and f"строка {KEY_ROW}" in message
    assert "coding/coding_sheet.xlsx" in message


def test_comments_are_carried_into_the_next_sheet(tmp_path):
    path = _sheet(tmp_path)
    wb, ws, keys, rows = _open(path)
    ws.cell(rows[("E002", "q7_proposals")], keys["comment"]).value = "спорный ответ"
    wb.save(path)
    result = _apply(path)
    (tmp_path / "next").mkdir()
    again = _sheet(tmp_path / "next", overrides=result.overrides, comments=result.comments)
    _, ws2, keys2, rows2 = _open(again)
    assert ws2.cell(rows2[("E002", "q7_proposals")], keys2["comment"]).value == "спорный ответ"
    assert ws2.cell(rows2[("E002", "q3_problems")], keys2["comment"]).value is None


def test_override_ids_match_as_the_eye_reads_them_with_a_warning(tmp_path):
    src = tmp_path / "over.csv"
    src.write_text("expert_id,question,override:legal\nЕ002,q7_proposals,1\n", encoding="utf-8")  # Cyrillic Е
    result = _apply(src)
    assert _final(result, "E002", "q7_proposals")["legal"] == 1
    (problem,) = result.problems
    assert problem.code == Code.OVERRIDE_ID_RESPELLED and "кириллическая" in problem.message
    assert "over.csv, строка 2" in str(problem)


def test_two_values_for_one_expert_spelled_two_ways_are_refused_as_for_one_spelling(tmp_path):
    src = tmp_path / "over.csv"
    src.write_text("expert_id,question,override:legal\nE002,q7_proposals,0\nЕ002,q7_proposals,1\n", encoding="utf-8")
    with pytest.raises(InvalidDataError) as err:
        read_overrides(src, ["legal"], ["q3_problems", "q7_proposals"])
    assert "строка 3" in err.value.message and "два разных исправления: 0" in err.value.message


def test_overrides_csv_saved_by_russian_excel(tmp_path):
    src = tmp_path / "over.csv"
    text = "expert_id;question;override:distance;override:legal;comment\r\nE001;q7_proposals;1;;проверено\r\n"
    src.write_bytes(text.encode("cp1251"))
    result = _apply(src)
    assert _final(result, "E001", "q7_proposals")["distance"] == 1
    assert result.comments == {("E001", "q7_proposals"): "проверено"}


@pytest.fixture(scope="module")
def two_questions(tmp_path_factory):
    """The bundled study with the proposals question (q7) coded too, and a run of it."""
    import shutil

    from survey.pipeline import run

    from .conftest import ROOT

    study = tmp_path_factory.mktemp("study2")
    for src in (ROOT / "questionnaires").iterdir():
        shutil.copy(src, study)
    for name in ("units.csv", "sample.xlsx", "sample_gold.csv", "china_border.csv", "federal_districts.csv"):
        shutil.copy(ROOT / "responses" / name, study)
    yaml = study / "study.yaml"
    yaml.write_text(yaml.read_text(encoding="utf-8").replace("../responses/", ""), encoding="utf-8")
    q = study / "questionnaire.yaml"
    text = q.read_text(encoding="utf-8")
    at = text.index("type: text", text.index("id: q7_proposals"))
    q.write_text(text[:at] + "type: text\n    coded: true" + text[at + len("type: text") :], encoding="utf-8")
    cb = study / "codebook.yaml"
    text = cb.read_text(encoding="utf-8").replace("questions: [q3_problems]", "questions: [q3_problems, q7_proposals]")
    cb.write_text(text.replace("  enabled: true\n", "  enabled: false\n", 1), encoding="utf-8")
    return study, run(study=study, out=tmp_path_factory.mktemp("r2"))


@pytest.mark.slow
def test_every_coded_question_reaches_the_outputs_and_its_overrides_stay_on_it(two_questions, tmp_path):
    import pyreadstat

    from survey.pipeline import run

    study, first = two_questions
    final = pd.read_csv(first.out / "coding" / "codes_final.csv", dtype={"expert_id": str})
    assert final["question"].value_counts().to_dict() == {"q3_problems": 123, "q7_proposals": 123}
    frame, meta = pyreadstat.read_sav(first.out / "data" / "responses.sav")
    assert "q7_proposals_distance" in frame.columns and "q7_proposals" in meta.mr_sets
    warning = [p for p in first.report.problems if p.code == Code.CODED_NOT_ANALYSED]
    assert warning and "q3_problems" in warning[0].message and "q7_proposals" in warning[0].message
    assert first.manifest["coding"]["analysed_question"] == "q3_problems"

    auto = final.set_index(["expert_id", "question"])
    flipped = 1 - int(auto.loc[("E002", "q7_proposals"), "distance"])
    sheet = tmp_path / "reviewed.xlsx"
    wb, ws, keys, rows = _open(first.out / "coding" / "coding_sheet.xlsx")
    ws.cell(rows[("E002", "q7_proposals")], keys["override:distance"]).value = flipped
    wb.save(sheet)
    second = run(study=study, out=tmp_path / "out", overrides=sheet)
    after = pd.read_csv(tmp_path / "out" / "coding" / "codes_final.csv", dtype={"expert_id": str})
    after = after.set_index(["expert_id", "question"])
    assert after.loc[("E002", "q7_proposals"), "distance"] == flipped
    assert after.loc[("E002", "q3_problems")].equals(auto.loc[("E002", "q3_problems")])  # untouched
    assert second.manifest["coding"]["overrides"]["not_applied"] == []
    frame, _ = pyreadstat.read_sav(tmp_path / "out" / "data" / "responses.sav")
    assert frame.set_index("expert_id").loc["E002", "q7_proposals_distance"] == flipped


@pytest.mark.slow
def test_the_analysed_question_is_chosen_and_the_gold_follows_it(two_questions, tmp_path):
    """--analyse q7_proposals: the tables, the report and the classifier use q7's codes; the bundled
    gold (no «question» column: it codes q3) is not compared and says why; a gold with a «question»
    column is compared on its rows of the analysed question."""
    from survey.pipeline import run

    from .helpers import survey

    study, first = two_questions
    final = pd.read_csv(first.out / "coding" / "codes_final.csv", dtype={"expert_id": str})
    q7 = final[final["question"] == "q7_proposals"].set_index("expert_id")
    cats = first.manifest["coding"]["categories"]
    assert q7[cats].sum().to_dict() != final[final["question"] == "q3_problems"][cats].sum().to_dict()

    second = run(study=study, out=tmp_path / "q7", analyse_question="q7_proposals")
    assert second.manifest["coding"]["analysed_question"] == "q7_proposals"
    frame = second.analysis.frame.set_index("expert_id")
    assert {c: int(frame[c].sum()) for c in cats} == {c: int(q7[c].sum()) for c in cats}
    codes = [p.code for p in second.report.problems]
    assert Code.GOLD_QUESTION in codes and not (tmp_path / "q7" / "coding" / "agreement_gold.csv").exists()
    note = next(p for p in second.report.problems if p.code == Code.CODED_NOT_ANALYSED)
    assert "строятся по кодам q7_proposals" in note.message and "--analyse q3_problems" in note.fix
    page = (tmp_path / "q7" / "summary.html").read_text(encoding="utf-8")
    assert "закодированы ответы на вопрос «7. Предложения»" in page and "вопрос о проблемах" not in page
    auto = pd.read_csv(tmp_path / "q7" / "coding" / "codes_auto.csv", dtype={"expert_id": str})
    assert (auto.loc[auto["suggestion"].fillna("") != "", "question"] == "q7_proposals").all()

    gold = pd.read_csv(study / "sample_gold.csv", dtype={"expert_id": str})
    both = pd.concat([gold.assign(question="q3_problems"), q7[cats].reset_index().assign(question="q7_proposals")])
    both.to_csv(tmp_path / "gold2.csv", index=False)
    third = run(study=study, out=tmp_path / "q7g", analyse_question="q7_proposals", gold=tmp_path / "gold2.csv")
    table = pd.read_csv(tmp_path / "q7g" / "coding" / "agreement_gold.csv")
    assert Code.GOLD_QUESTION not in [p.code for p in third.report.problems]
    # the q7 rows are q7's own codes; the experts who left q7 unanswered have empty codes: not compared
    answered = int(q7[cats].notna().all(axis=1).sum())
    assert 0 < answered < 123 and q7[cats].isna().all(axis=1).sum() == 123 - answered
    assert (table["n"] == answered).all() and (table["f1"].dropna() == 1.0).all()

    res = survey("run", "--study", study, "--out", tmp_path / "bad", "--analyse", "q7_proposal")
    assert res.code == 2 and "Traceback" not in res.err
    assert "q7_proposal" in res.err and "Возможно, имелся в виду q7_proposals" in res.err
    res = survey("run", "--study", study, "--out", tmp_path / "bad", "--analyse", "q1_state")
    assert res.code == 2 and "вопрос «q1_state» не кодируется" in res.err


@pytest.mark.slow
def test_export_sav_lists_the_overrides_it_does_not_apply(tmp_path):
    from .helpers import survey

    src = tmp_path / "over.csv"
    src.write_text("expert_id,override:distance,override:legl\nE999,1,\n", encoding="utf-8")
    res = survey("export-sav", "-o", tmp_path / "r.sav", "--overrides", src)
    assert res.code == 0, res.err
    assert "предупреждение: over.csv, строка 2" in res.err and "«E999»" in res.err
    assert "«override:legl»" in res.err


def test_overrides_csv_with_excels_sep_line(tmp_path):
    """«sep=;» as Excel writes it: the line names the separator, and rows keep the file's numbers."""
    src = tmp_path / "over.csv"
    text = "sep=;\r\nexpert_id;question;override:distance;comment\r\nE001;q7_proposals;1;проверено\r\n"
    src.write_bytes(text.encode("cp1251"))
    result = _apply(src)
    assert _final(result, "E001", "q7_proposals")["distance"] == 1
    assert result.comments == {("E001", "q7_proposals"): "проверено"}
    src.write_bytes((text + "E001;q7_proposals;0;\r\n").encode("cp1251"))
    with pytest.raises(InvalidDataError) as err:
        read_overrides(src, ["distance"], ["q3_problems", "q7_proposals"])
    assert "строка 4" in err.value.message and "строка 3" in err.value.message


def test_the_coding_sheet_saved_as_csv_by_russian_excel_is_read(tmp_path):
    """«Сохранить как CSV» of the sheet: the Russian headings on line 1, the machine keys on line 2,
    «;» and cp1251. The keys are found as in the workbook, and rows keep the file's line numbers."""
    path = _sheet(tmp_path)
    wb, ws, keys, rows = _open(path)
    ws.cell(rows[("E002", "q7_proposals")], keys["override:distance"]).value = 1
    values = [["" if c.value is None else str(c.value) for c in r] for r in ws.iter_rows()]
    src = tmp_path / "sheet.csv"
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows(values)
    src.write_bytes(buffer.getvalue().encode("cp1251", errors="replace"))
    result = _apply(src)
    assert _final(result, "E002", "q7_proposals")["distance"] == 1 and result.cells == 1
    frame = read_overrides(src, CATS, QUESTIONS)
    assert frame["row"].tolist() == [rows[("E002", "q7_proposals")]]  # the line of the file = the sheet's row


def test_a_copied_sheet_and_a_cleared_key_keep_their_corrections_said(tmp_path):
    """Review 55: a reviewer who worked in a copy of the sheet («Кодирование (2)») had every
    correction ignored without a word, and so did one whose column key (override:legal) was cleared
    or typed over. Both are warnings naming the sheet or the column and how many corrections wait;
    the corrections on the read sheet still apply."""
    path = _sheet(tmp_path)
    wb, ws, keys, rows = _open(path)
    copy = wb.copy_worksheet(ws)
    copy.title = "Кодирование (2)"
    copy.cell(rows[("E002", "q7_proposals")], keys["override:distance"]).value = 1
    ws.cell(rows[("E001", "q3_problems")], keys["override:legal"]).value = 1
    wb.save(path)
    result = _apply(path)
    (problem,) = result.problems
    assert problem.code == Code.OVERRIDE_NOT_APPLIED and problem.location.sheet == "Кодирование (2)"
    assert "исправлений: 1" in problem.message and "не применены" in problem.message
    assert _final(result, "E001", "q3_problems")["legal"] == 1
    path = _sheet(tmp_path)
    wb, ws, keys, rows = _open(path)
    ws.cell(rows[("E001", "q3_problems")], keys["override:legal"]).value = 1
    ws.cell(rows[("E002", "q3_problems")], keys["override:legal"]).value = 0
    ws.cell(rows[("E001", "q3_problems")], keys["override:distance"]).value = 0
    ws.cell(KEY_ROW, keys["override:legal"]).value = None
    wb.save(path)
    result = _apply(path)
    letter = openpyxl.utils.get_column_letter(keys["override:legal"])
    (problem,) = result.problems
    assert problem.code == Code.OVERRIDE_NOT_APPLIED and f"у столбца {letter} в строке ключей пусто" in problem.message
    assert "есть 0 и 1 (2, первая — строка" in problem.message and "override:<категория>" in problem.fix
    assert _final(result, "E001", "q3_problems") == {"distance": 0, "legal": 0}


def test_a_coding_sheet_left_among_the_responses_is_skipped_as_the_tools_own(tmp_path):
    """Review 55: coding_sheet.xlsx copied into the responses folder was read as a template whose
    «_meta» sheet was deleted — a wrong fix, and a phantom rejected expert (124 rows read of 123).
    It is skipped with a warning that says what it is and where its corrections go."""
    from .conftest import ROOT
    from .helpers import survey

    folder = tmp_path / "responses"
    folder.mkdir()
    (folder / "sample.xlsx").write_bytes((ROOT / "responses" / "sample.xlsx").read_bytes())
    _sheet(folder)
    res = survey("validate", folder)
    assert res.code == 0, res.err
    assert "Прочитано строк: 123; принято: 123; отклонено: 0" in res.out
    assert "sheet.xlsx: это лист кодирования (coding/coding_sheet.xlsx), записанный survey, а не ответы" in res.err
    assert "_meta" not in res.err


def test_a_responses_workbook_with_a_coding_sheet_added_keeps_its_answers(tmp_path):
    """The skip of a coding sheet left among the responses must not take a workbook of responses
    that also holds a copy of the coding sheet: its answers are read."""
    from .conftest import ROOT
    from .helpers import survey

    wb = openpyxl.load_workbook(ROOT / "responses" / "sample.xlsx")
    extra = wb.create_sheet(SHEET)
    extra.append(["Код эксперта", "исправление: право"])
    extra.append(["expert_id", "override:legal"])
    wb.save(tmp_path / "wave1.xlsx")
    res = survey("validate", tmp_path / "wave1.xlsx")
    assert "Прочитано строк: 123; принято: 123" in res.out and "это лист кодирования" not in res.err, res.err
