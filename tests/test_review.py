"""The review loop: coding sheet → overrides → final codes, both codings kept."""

from __future__ import annotations

import hashlib
import json
import re

import openpyxl
import pandas as pd
import pytest

from survey.coding.review import FIRST_DATA_ROW, KEY_ROW, SHEET
from survey.errors import InvalidDataError
from survey.pipeline import run

from .conftest import ROOT
from .helpers import survey


def _keys(ws):
    return {ws.cell(row=KEY_ROW, column=j).value: j for j in range(1, ws.max_column + 1)}


def test_coding_sheet_layout(sample_run):
    wb = openpyxl.load_workbook(sample_run.out / "coding" / "coding_sheet.xlsx")
    ws = wb[SHEET]
    keys = _keys(ws)
    ids = sample_run.manifest["coding"]["categories"]
    assert [ws.cell(row=KEY_ROW, column=j).value for j in (1, 2, 3)] == ["expert_id", "question", "answer"]
    for cat in ids:
        assert f"auto:{cat}" in keys and f"override:{cat}" in keys
    assert {"evidence", "denied", "confidence", "suggestion", "comment"} <= set(keys)
    assert {"learned", "review_first", "review_reason"} <= set(keys)
    assert ws.max_row == FIRST_DATA_ROW + 123 - 1
    experts = [ws.cell(row=r, column=1).value for r in range(FIRST_DATA_ROW, ws.max_row + 1)]
    assert sorted(experts) == [f"E{i:03d}" for i in range(1, 124)]  # every answer, once
    first = {k: ws.cell(row=FIRST_DATA_ROW, column=j).value for k, j in keys.items()}
    assert first["auto:covid"] == 1
    assert all(first[f"override:{c}"] is None for c in ids)  # overrides start empty
    assert ws.freeze_panes == "D3"
    assert any('"0,1"' in dv.formula1 for dv in ws.data_validations.dataValidation)
    assert "Инструкция" in wb.sheetnames


@pytest.mark.slow
def test_overrides_win_and_both_codings_are_kept(sample_run, tmp_path):
    sheet = tmp_path / "reviewed.xlsx"
    wb = openpyxl.load_workbook(sample_run.out / "coding" / "coding_sheet.xlsx")
    ws = wb[SHEET]
    keys = _keys(ws)
    rows = {ws.cell(row=r, column=1).value: r for r in range(FIRST_DATA_ROW, ws.max_row + 1)}
    auto = pd.read_csv(sample_run.out / "coding" / "codes_final.csv", dtype={"expert_id": str}).set_index("expert_id")
    flip = "E005"
    ws.cell(row=rows[flip], column=keys["override:legal"], value=1 - int(auto.loc[flip, "legal"]))
    ws.cell(row=rows[flip], column=keys["override:covid"], value=1)  # agrees with auto
    ws.cell(row=rows["E010"], column=keys["override:funding"], value="1")  # 1 typed as text works too
    wb.save(sheet)

    out = tmp_path / "second"
    result = run(out=out, overrides=sheet)
    summary = result.manifest["coding"]["overrides"]
    expected_changed = 1 + int(auto.loc["E010", "funding"] == 0)
    assert summary == {
        "answers_overridden": 2,
        "codes_overridden": 3,
        "codes_changed": expected_changed,
        "not_applied": [],
    }
    final = pd.read_csv(out / "coding" / "codes_final.csv", dtype={"expert_id": str}).set_index("expert_id")
    kept = pd.read_csv(out / "coding" / "codes_auto.csv", dtype={"expert_id": str}).set_index("expert_id")
    assert final.loc[flip, "legal"] == 1 - auto.loc[flip, "legal"]
    assert kept.loc[flip, "legal"] == auto.loc[flip, "legal"]  # automatic coding kept
    assert final.loc["E010", "funding"] == 1
    applied = pd.read_csv(out / "coding" / "overrides_applied.csv")
    assert len(applied) == 3 and applied["location"].str.contains("reviewed.xlsx").all()
    # the new sheet carries the overrides, so the reviewer can keep working in it
    ws2 = openpyxl.load_workbook(out / "coding" / "coding_sheet.xlsx")[SHEET]
    assert ws2.cell(row=rows[flip], column=_keys(ws2)["override:legal"]).value == 1 - int(auto.loc[flip, "legal"])
    assert json.loads((out / "run.json").read_text())["options"]["overrides"] == str(sheet)
    # the reviewed answers, text and final codes, ready as learned-layer examples or for `survey patterns`
    examples = pd.read_csv(out / "coding" / "examples.csv", dtype={"expert_id": str}).set_index("expert_id")
    assert examples.loc[flip, "legal"] == 1 - auto.loc[flip, "legal"] and examples.loc["E010", "funding"] == 1
    assert len(examples) == 123 and set(examples["question"]) == {"q3_problems"}
    answers = pd.read_csv(out / "data" / "responses.csv", dtype={"expert_id": str}).set_index("expert_id")
    assert examples.loc[flip, "text"] == answers.loc[flip, "q3_problems"]
    assert survey("patterns", out / "coding" / "examples.csv").code == 0


@pytest.mark.slow
def test_invalid_override_names_the_cell(sample_run, tmp_path):
    sheet = tmp_path / "bad.xlsx"
    wb = openpyxl.load_workbook(sample_run.out / "coding" / "coding_sheet.xlsx")
    ws = wb[SHEET]
    col = _keys(ws)["override:distance"]
    ws.cell(row=FIRST_DATA_ROW + 1, column=col, value="может быть")
    wb.save(sheet)
    with pytest.raises(InvalidDataError):
        run(out=tmp_path / "never", overrides=sheet)
    assert not (tmp_path / "never").exists() or not any((tmp_path / "never").rglob("*.csv"))
    res = survey("run", "--out", tmp_path / "never", "--overrides", sheet)
    letter = openpyxl.utils.get_column_letter(col)
    assert res.code == 1
    assert f"bad.xlsx, лист «Кодирование», строка {FIRST_DATA_ROW + 1}, столбец {letter}" in res.err
    assert "«может быть»" in res.err and "Traceback" not in res.err


@pytest.mark.slow
def test_overrides_from_csv(tmp_path, sample_run):
    csv = tmp_path / "over.csv"
    csv.write_text("expert_id,override:interest,comment\nE001,1,проверено\nE999,0,\n", encoding="utf-8")
    result = run(out=tmp_path / "out", overrides=csv)
    assert result.codes.set_index("expert_id").loc["E001", "interest"] == 1
    assert result.manifest["coding"]["overrides"]["codes_overridden"] == 1  # E999 is unknown
    assert result.manifest["coding"]["overrides_sha256"] == hashlib.sha256(csv.read_bytes()).hexdigest()
    (why,) = result.manifest["coding"]["overrides"]["not_applied"]
    assert "E999" in why and "нет среди" in why


def test_coding_sheet_puts_uncertain_answers_first(sample_run):
    """Rows follow codes_auto.csv's review_priority, highest first; «проверить первым» marks
    exactly the answers at or above REVIEW_FIRST, and the instructions give their number."""
    from survey.coding.uncertainty import REVIEW_FIRST

    wb = openpyxl.load_workbook(sample_run.out / "coding" / "coding_sheet.xlsx")
    ws = wb[SHEET]
    keys = _keys(ws)
    coded = pd.read_excel(
        sample_run.out / "coding" / "coding_sheet.xlsx", header=1, dtype={"expert_id": str}, engine="openpyxl"
    )
    auto = _coded(sample_run)
    priority = auto.set_index("expert_id")["review_priority"]
    rows = [priority[e] for e in coded["expert_id"]]
    assert rows == sorted(rows, reverse=True)
    first = int((priority >= REVIEW_FIRST).sum())
    marks = [ws.cell(row=r, column=keys["review_first"]).value for r in range(FIRST_DATA_ROW, ws.max_row + 1)]
    assert marks == ["да"] * first + [None] * (len(marks) - first)
    text = " ".join(str(c.value) for c in wb["Инструкция"]["A"])
    assert f"Сначала проверьте {first} " in text
    # a code the learned layer added is shaded and its reason says so
    for r in range(FIRST_DATA_ROW, ws.max_row + 1):
        learned = ws.cell(row=r, column=keys["learned"]).value
        for part in (learned or "").split(", "):
            if part:
                cell = ws.cell(row=r, column=keys[f"auto:{part.split('=')[0]}"])
                assert cell.value == 1 and cell.fill.fgColor.rgb.endswith("DDEBF7")
                assert "обученным слоем" in ws.cell(row=r, column=keys["review_reason"]).value


def test_review_order_and_counts():
    from survey.coding.review import review_order
    from survey.coding.uncertainty import REVIEW_FIRST

    priorities = [0.5, REVIEW_FIRST + 0.2, REVIEW_FIRST, REVIEW_FIRST + 0.2, REVIEW_FIRST - 0.01]
    coded = pd.DataFrame({"expert_id": ["a", "b", "c", "d", "e"], "review_priority": priorities})
    ordered, first = review_order(coded)
    assert list(ordered["expert_id"]) == ["b", "d", "c", "e", "a"] and first == 3  # ties keep their order
    plain, none = review_order(coded.drop(columns="review_priority"))
    assert list(plain["expert_id"]) == ["a", "b", "c", "d", "e"] and none == 0


def _coded(run_result):
    """The automatic coding of the run's problems question with its review columns."""
    from survey.coding.coder import Coder, code_responses
    from survey.inputs.validate import validate
    from survey.spec.questionnaire import load_questionnaire
    from survey.spec.units import load_units

    q = load_questionnaire()
    data = validate(ROOT / "responses" / "sample.xlsx", q, load_units()).data
    coded = code_responses(data, q, Coder())
    return coded[coded["question"] == q.coded_questions[0].id]


def test_codes_auto_marks_each_code_source_and_review_priority(sample_run):
    """codes_auto.csv says which codes the learned layer added and where every code came from
    (the issue's contract), with the review priority the coding sheet is sorted by."""
    coded = pd.read_csv(sample_run.out / "coding" / "codes_auto.csv", dtype={"expert_id": str}, keep_default_na=False)
    ids = sample_run.manifest["coding"]["categories"]
    assert {"learned", "review_priority", "review_reason", *[f"source_{k}" for k in ids]} <= set(coded.columns)
    for k in ids:
        source = coded[f"source_{k}"]
        assert set(source[coded[k] == 1]) <= {"rules", "learned"} and set(source[coded[k] == 0]) <= {""}
        learned = coded["learned"].str.contains(f"{k}=", regex=False)
        assert (source[learned] == "learned").all() and not (source[~learned] == "learned").any()
    assert pd.to_numeric(coded["review_priority"]).notna().all()


def test_suggestions_are_never_applied(sample_run):
    coded = pd.read_csv(sample_run.out / "coding" / "codes_auto.csv", dtype={"expert_id": str})
    final = pd.read_csv(sample_run.out / "coding" / "codes_final.csv", dtype={"expert_id": str})
    ids = sample_run.manifest["coding"]["categories"]
    assert (coded[ids].to_numpy() == final[ids].to_numpy()).all()
    scores = pd.read_csv(sample_run.out / "coding" / "classifier_cv.csv").set_index("category")
    assert "нет вариации" in scores.loc["covid", "note"]
    assert scores.loc["distance", "f1_cv"] > 0


@pytest.mark.parametrize("value", ["да", "+", "x", "нет", "—", "2"])
def test_override_values_other_than_0_1_blank_are_refused(tmp_path, value):
    from survey.coding.review import read_overrides

    src = tmp_path / "over.csv"
    src.write_text(f"expert_id,override:funding\nE001,{value}\n", encoding="utf-8")
    with pytest.raises(InvalidDataError) as err:
        read_overrides(src, ["funding", "covid"])
    assert f"«{value}»" in err.value.message and "over.csv, строка 2, столбец override:funding" in err.value.message


def test_conflicting_duplicates_are_an_error_and_rows_not_applied_are_listed(tmp_path):
    from survey.coding.review import apply_overrides, read_overrides

    src = tmp_path / "over.csv"
    src.write_text("expert_id,override:funding\nE001,1\nE001,0\n", encoding="utf-8")
    with pytest.raises(InvalidDataError) as err:
        read_overrides(src, ["funding"])
    assert "два разных исправления" in err.value.message
    src.write_text("expert_id,override:funding,override:fundng\nE001,1,1\nE001,1,\n,0,\nE999,1,\n", encoding="utf-8")
    table = read_overrides(src, ["funding"])
    auto = pd.DataFrame({"expert_id": ["E001"], "funding": [0]})
    result = apply_overrides(auto, table, ["funding"])
    summary = result.summary()
    assert {k: summary[k] for k in ("answers_overridden", "codes_overridden", "codes_changed")} == dict.fromkeys(
        ("answers_overridden", "codes_overridden", "codes_changed"), 1
    )
    assert summary["not_applied"] == [str(p) for p in result.problems] and len(result.problems) == 4
    messages = " | ".join(p.message for p in result.problems)
    assert "«override:fundng»" in messages  # a misspelled column
    assert "повторяет строку" in messages  # the same value twice: applied once
    assert "нет кода эксперта" in messages  # a row without an expert code
    assert "«E999»" in messages  # an expert who is not among the accepted responses


@pytest.mark.slow
def test_a_rerun_never_writes_over_a_review_it_does_not_apply(sample_run, tmp_path):
    import shutil

    out = tmp_path / "reports"
    shutil.copytree(sample_run.out, out)
    sheet = out / "coding" / "coding_sheet.xlsx"
    wb = openpyxl.load_workbook(sheet)
    ws = wb[SHEET]
    keys = _keys(ws)
    ws.cell(row=FIRST_DATA_ROW, column=keys["override:legal"], value=1)
    ws.cell(row=FIRST_DATA_ROW + 1, column=keys["comment"], value="проверить с коллегой")
    wb.save(sheet)
    before = sheet.read_bytes()
    res = survey("run", "--out", out)  # the review is in the sheet, but not asked for
    assert res.code == 2 and "Traceback" not in res.err
    assert "есть исправления (1: " in res.err and "и комментарии (1), которых нет среди применяемых" in res.err
    assert f"--overrides {sheet}" in res.err
    assert sheet.read_bytes() == before  # nothing written, the review kept
    res = survey("run", "--out", out, "--overrides", sheet)  # applied: the new sheet carries it
    assert res.code == 0, res.err
    ws2 = openpyxl.load_workbook(sheet)[SHEET]
    assert ws2.cell(row=FIRST_DATA_ROW + 1, column=_keys(ws2)["comment"]).value == "проверить с коллегой"


@pytest.mark.slow
def test_the_same_overrides_run_again_pass_and_one_dropped_from_them_is_named(sample_run, tmp_path):
    import shutil

    out = tmp_path / "reports"
    shutil.copytree(sample_run.out, out)
    review = tmp_path / "review.csv"
    review.write_text("expert_id,override:legal,override:funding\nE005,1,\nE010,,1\n", encoding="utf-8")
    for _ in range(2):  # the sheet in --out carries copies of these overrides: no review is lost
        res = survey("run", "--out", out, "--overrides", review)
        assert res.code == 0, res.err
    review.write_text("expert_id,override:legal\nE005,1\n", encoding="utf-8")  # E010's dropped on purpose
    res = survey("run", "--out", out, "--overrides", review)
    assert res.code == 2 and "исправления (1: E010 funding=1)" in res.err and "Traceback" not in res.err


@pytest.mark.slow
def test_a_review_in_a_category_the_codebook_no_longer_has_is_not_written_over(sample_run, tmp_path):
    """A category renamed in the codebook after the review: the run given the very sheet as
    --overrides would write a new sheet over it, and the overrides typed under the old name would be
    gone from every file. It refuses before any work and names the column and its count."""
    import shutil

    out = tmp_path / "reports"
    shutil.copytree(sample_run.out, out)
    sheet = out / "coding" / "coding_sheet.xlsx"
    wb = openpyxl.load_workbook(sheet)
    ws = wb[SHEET]
    ws.cell(row=FIRST_DATA_ROW, column=_keys(ws)["override:legal"], value=1)
    wb.save(sheet)
    before = sheet.read_bytes()
    codebook = tmp_path / "codebook.yaml"
    text = (ROOT / "questionnaires" / "codebook.yaml").read_text(encoding="utf-8")
    text = re.sub(r"\blegal\b", "law", text)  # the category renamed wherever the codebook names it
    codebook.write_text(text.replace("../tests/", str(ROOT / "tests") + "/"), encoding="utf-8")
    res = survey("run", "--out", out, "--overrides", sheet, "--codebook", codebook, "--no-learned")
    assert res.code == 2 and "Traceback" not in res.err, res.err
    assert "категорий, которых нет в кодовой книге: «override:legal» (1)" in res.err
    assert sheet.read_bytes() == before  # nothing written, the review kept
