"""`survey patterns`: which codebook patterns code answers against a hand coding."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from survey.coding.coder import Coder
from survey.coding.pattern_audit import COLUMNS, format_audit, pattern_audit

ROOT = Path(__file__).resolve().parent.parent
CODEBOOK = ROOT / "questionnaires" / "codebook.yaml"


@pytest.fixture(scope="module")
def coder():
    return Coder(learned=False)


def test_counts_are_those_of_a_hand_count(coder):
    # «переводчик» codes language in all three answers; the hand coding has it in the first only,
    # and in the third «ковид» is coded too (another category), so the pattern is still the only
    # evidence of language there
    gold = pd.DataFrame(
        {
            "text": ["Нет переводчиков.", "Переводчиков не хватает.", "Ковид, переводчиков мало."],
            "language": [1, 0, 0],
            "covid": [0, 0, 1],
        }
    )
    table = pattern_audit(gold["text"], gold, coder)
    assert list(table.columns) == COLUMNS
    row = table[table["pattern"] == "переводчик"].iloc[0]
    assert (row["category"], row["kind"]) == ("language", "needs")
    assert (row["answers"], row["agree"], row["against"], row["sole_against"]) == (3, 1, 2, 2)
    assert row["precision"] == pytest.approx(1 / 3)
    covid = table[table["category"] == "covid"].iloc[0]
    assert (covid["answers"], covid["agree"], covid["against"]) == (1, 1, 0)
    # the pattern coding most against the hand coding comes first
    assert table.iloc[0]["pattern"] == "переводчик"
    # the line is the pattern's own line in the codebook, to edit it there
    assert CODEBOOK.read_text(encoding="utf-8").splitlines()[int(row["line"]) - 1].strip() == "- переводчик"


def test_categories_the_hand_coding_lacks_are_not_counted(coder):
    gold = pd.DataFrame({"text": ["Нет переводчиков, денег нет."], "language": [1]})
    table = pattern_audit(gold["text"], gold, coder)
    assert set(table["category"]) == {"language"}


def test_the_printed_list_names_only_patterns_coding_against(coder):
    gold = pd.DataFrame({"text": ["Нет переводчиков.", "Нет переводчиков."], "language": [1, 1]})
    assert "нет" in format_audit(pattern_audit(gold["text"], gold, coder)).split("\n")[0].lower()
    gold["language"] = [0, 0]
    text = format_audit(pattern_audit(gold["text"], gold, coder))
    assert "«переводчик»" in text and "вопреки ему 2" in text


def test_command_writes_the_table_without_answer_text(tmp_path, cli_run, capsys):
    gold = tmp_path / "gold.csv"
    gold.write_text("id,text,language,covid\n1,Иванов говорит: нет переводчиков.,0,0\n2,Ковид.,0,1\n", encoding="utf-8")
    out = tmp_path / "patterns.csv"
    assert cli_run("patterns", gold, "-o", out) == 0
    printed = capsys.readouterr().out
    assert "«переводчик»" in printed and "Шаблонов, давших код: 2." in printed
    table = pd.read_csv(out)
    assert list(table.columns) == COLUMNS
    assert "Иванов" not in out.read_text(encoding="utf-8")


def test_a_hand_coding_saved_by_russian_excel_is_read_and_a_workbook_is_named(tmp_path, cli_run, capsys):
    gold = tmp_path / "gold.csv"
    gold.write_bytes("id,text,language,covid\n1,Нет переводчиков.,1,0\n2,Ковид.,0,1\n".encode("cp1251"))
    assert cli_run("patterns", gold) == 0
    assert "Шаблонов, давших код: 2." in capsys.readouterr().out
    book = tmp_path / "sheet.xlsx"
    book.write_bytes(b"PK\x03\x04\x14\x00\x00\x00" + bytes(64))  # what a workbook starts with
    assert cli_run("patterns", book) != 0
    err = capsys.readouterr().err
    assert "похоже, это книга Excel (.xlsx)" in err and "codec" not in err and "Traceback" not in err


def test_command_rejects_a_bad_hand_coding_in_russian(tmp_path, cli_run, capsys):
    gold = tmp_path / "gold.csv"
    gold.write_text("id,text,language\n1,Нет переводчиков,да\n", encoding="utf-8")
    assert cli_run("patterns", gold) != 0
    err = capsys.readouterr().err
    assert "строка 2, столбец «language»: «да» — ожидается 0 или 1" in err and "Traceback" not in err
    gold.write_text("id,text,языки\n1,Нет переводчиков,1\n", encoding="utf-8")
    assert cli_run("patterns", gold) != 0
    assert "нет ни одного столбца категорий" in capsys.readouterr().err


def test_a_hand_coding_with_semicolons_and_excels_sep_line(tmp_path, cli_run, capsys):
    """Russian Excel's «;», and its «sep=;» first line: read, and a bad cell named by the file's line."""
    gold = tmp_path / "gold.csv"
    text = "sep=;\r\nid;text;language;covid\r\n1;Нет переводчиков.;1;0\r\n2;Ковид.;0;1\r\n"
    gold.write_bytes(text.encode("cp1251"))
    assert cli_run("patterns", gold) == 0
    assert "Шаблонов, давших код: 2." in capsys.readouterr().out
    gold.write_bytes((text + "3;Далеко.;да;0\r\n").encode("cp1251"))
    assert cli_run("patterns", gold) != 0
    assert "строка 5, столбец «language»: «да» — ожидается 0 или 1" in capsys.readouterr().err
