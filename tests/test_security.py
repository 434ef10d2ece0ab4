"""Security of what the project writes: no formula injection, no escaping the output folder,
no expert names by default, the same inputs give the same bytes."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from survey.base.files import FORMULA_START, safe_filename
from survey.pipeline import run

from .conftest import ROOT
from .helpers import survey

BAD = ROOT / "tests" / "data" / "bad"
HOSTILE = BAD / "answers-starting-with-formula-characters.csv"


def _csv_cells(path: Path):
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh):
            yield from row


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def assert_no_formula_can_run(folder: Path) -> int:
    """Every CSV cell starting with = + - @ tab CR is a number or neutralised with «'»;
    every workbook cell holding such text is a string, never a formula. Returns cells seen."""
    seen = 0
    for path in sorted(folder.rglob("*")):
        if path.suffix == ".csv":
            for cell in _csv_cells(path):
                if cell.startswith(FORMULA_START):
                    assert _is_number(cell), (path, cell)
                if cell.startswith("'") and cell[1:2] in FORMULA_START:
                    seen += 1
        elif path.suffix == ".xlsx":
            wb = openpyxl.load_workbook(path)
            for ws in wb.worksheets:
                for row in ws.iter_rows():
                    for cell in row:
                        assert cell.data_type != "f", (path, ws.title, cell.coordinate, cell.value)
                        if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
                            assert cell.data_type == "s" and cell.quotePrefix, (
                                path,
                                ws.title,
                                cell.coordinate,
                            )
                            seen += 1
    return seen


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("hostile")
    run(HOSTILE, out)
    return out


def test_run_outputs_neutralise_formulas(hostile_run):
    seen = assert_no_formula_can_run(hostile_run)
    assert seen >= 10  # the five hostile answers and proposals were really written somewhere
    data = pd.read_csv(hostile_run / "data" / "responses.csv", dtype=str)
    assert data.loc[data["expert_id"] == "F01", "q3_problems"].item().startswith("'=HYPERLINK")


@pytest.mark.slow
def test_other_commands_neutralise_formulas(tmp_path):
    assert survey("ingest", HOSTILE, "-o", tmp_path / "consolidated.xlsx").code == 0
    src = tmp_path.parent / f"{tmp_path.name}-answers.csv"
    src.write_text("id,text\n=cmd|' /C calc'!A0,=1+2 нет переводчиков\n@x,+пандемия\n", encoding="utf-8")
    assert survey("code", src, "-o", tmp_path / "coded.csv").code == 0
    assert survey("validate", HOSTILE, "--report", tmp_path / "problems.csv").code == 0
    assert assert_no_formula_can_run(tmp_path) >= 5
    coded = list(_csv_cells(tmp_path / "coded.csv"))
    assert "'=cmd|' /C calc'!A0" in coded


def test_file_names_from_unit_names_stay_inside_the_folder(tmp_path):
    out = tmp_path / "templates"
    res = survey("template", "--all-units", "-o", out, "--units", BAD / "units-with-path-characters.csv")
    assert res.code == 0, res.err
    written = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert len(written) == 3 and all(p.parent == out for p in written)
    for p in written:
        assert ".." not in p.name and "/" not in p.name and "\\" not in p.name
        assert not any(ch in p.name for ch in '<>:"|?*')
    assert any(p.stem.endswith("file_CON") or "CON" in p.stem for p in written)


@pytest.mark.parametrize(
    "name,expected",
    [
        ("../../etc/passwd", "etc_passwd.xlsx"),
        ("../../Город/..\\Взлом", "Город_Взлом.xlsx"),
        ("C:\\Windows\\system32", "C_Windows_system32.xlsx"),
        ("CON", "file_CON.xlsx"),
        ("", "file_unnamed.xlsx"),
        ("Комсомольск-на-Амуре", "Комсомольск-на-Амуре.xlsx"),
    ],
)
def test_safe_filename(name, expected):
    assert safe_filename(name, ".xlsx") == expected


def _blob(path: Path) -> str:
    if path.suffix in (".xlsx", ".zip"):
        with zipfile.ZipFile(path) as zf:
            return " ".join(zf.read(n).decode("utf-8", "ignore") for n in zf.namelist())
    return path.read_bytes().decode("utf-8", "ignore")


@pytest.mark.slow
def test_no_expert_name_in_any_default_output(tmp_path, sample_run):
    names = pd.read_excel(ROOT / "responses" / "sample.xlsx", engine="openpyxl")["expert_name"]
    surnames = {n.split()[0] for n in names}
    assert survey("ingest", ROOT / "responses" / "sample.xlsx", "-o", tmp_path / "c.xlsx").code == 0
    assert survey("export-sav", "-o", tmp_path / "s.sav").code == 0
    outputs = [p for p in list(sample_run.out.rglob("*")) + list(tmp_path.rglob("*")) if p.is_file()]
    assert len(outputs) > 15
    for path in outputs:
        blob = _blob(path)
        found = sorted(s for s in surnames if s in blob)
        assert not found, (path, found[:3])


@pytest.mark.slow
def test_same_inputs_give_byte_identical_csv(sample_run, second_run):
    second = second_run.out
    first_files = sorted(p.relative_to(sample_run.out) for p in sample_run.out.rglob("*.csv"))
    assert first_files == sorted(p.relative_to(second) for p in second.rglob("*.csv"))
    assert len(first_files) >= 15
    for rel in first_files:
        assert (sample_run.out / rel).read_bytes() == (second / rel).read_bytes(), rel


def test_written_files_are_readable_by_others(tmp_path):
    import os
    import stat

    out = tmp_path / "t.xlsx"
    assert survey("template", "-o", out).code == 0
    mode = stat.S_IMODE(os.stat(out).st_mode)
    assert mode & stat.S_IRGRP and mode & stat.S_IROTH


def test_csv_outputs_are_safe_split_on_commas_and_on_semicolons(tmp_path):
    """Russian Excel splits a CSV on «;»: no cell may start a formula either way."""
    from survey.base.files import write_csv

    hostile = ["x;=cmd|' /C calc'!A0;y", "a,+1,b", "=1+2", "@SUM(1)", "-x;-y", "обычный ответ; с точкой с запятой"]
    path = write_csv(
        pd.DataFrame({"id": ["1", "2", "3", "4", "5", "6"], "text": hostile, "n": range(6)}), tmp_path / "t.csv"
    )
    raw = path.read_text(encoding="utf-8")
    for delimiter in (",", ";"):
        for row in csv.reader(raw.splitlines(), delimiter=delimiter):
            for cell in row:
                assert not cell.startswith(FORMULA_START) or _is_number(cell), (delimiter, cell)
    for line in raw.splitlines():  # even a reader that ignores quotes starts no cell with a formula
        for cell in line.replace(";", ",").split(","):
            assert not cell.lstrip('"').startswith(FORMULA_START) or _is_number(cell.strip('"')), cell
    back = pd.read_csv(path, dtype=str)
    assert back["text"].iloc[0] == "x;'=cmd|' /C calc'!A0;y" and back["text"].iloc[5] == hostile[5]
