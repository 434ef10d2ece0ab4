"""Person names in open answers never reach a default output; --with-names keeps them."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest

from survey.pipeline import run

from .conftest import ROOT

NAMED = (
    "Как отметил глава города Иванов И. И., переводчиков не хватает; согласования с Петровой из МИД тянутся месяцами."
)


def _blob(path) -> str:
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as z:
            return "".join(z.read(n).decode("utf-8", "ignore") for n in z.namelist() if n.endswith(".xml"))
    return path.read_bytes().decode("utf-8", "ignore")


@pytest.fixture(scope="module")
def responses(tmp_path_factory):
    folder = tmp_path_factory.mktemp("named")
    rows = list(csv.DictReader(io.StringIO((ROOT / "tests" / "data" / "valid.csv").read_text(encoding="utf-8"))))
    rows[0]["q3_problems"] = NAMED
    rows[1]["q7_proposals"] = "Пригласить Сергея Ивановича Кузнецова на форум."
    path = folder / "named.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.mark.slow
def test_names_are_masked_in_every_default_output(responses, tmp_path):
    result = run(responses, tmp_path / "out")
    assert result.manifest["names_masked"] == 2
    outputs = [
        p for p in (tmp_path / "out").rglob("*") if p.is_file() and p.suffix in (".csv", ".xlsx", ".html", ".json")
    ]
    assert len(outputs) > 15
    for path in outputs:
        blob = _blob(path)
        for name in ("Иванов", "Петровой", "Кузнецова", "Сергея Ивановича"):
            assert name not in blob, (path, name)
    answers = (tmp_path / "out" / "data" / "responses.csv").read_text(encoding="utf-8")
    assert "глава города [ФИО], переводчиков" in answers and "Пригласить [ФИО] на форум" in answers
    # the masked answer is still coded: language and bureaucracy are found around the mask
    codes = list(csv.DictReader(io.StringIO((tmp_path / "out" / "coding" / "codes_final.csv").read_text())))
    first = next(r for r in codes if r["expert_id"] == "T01")
    assert first["language"] == "1" and first["bureaucracy"] == "1"


@pytest.mark.slow
def test_with_names_keeps_them(responses, tmp_path):
    result = run(responses, tmp_path / "out", with_names=True)
    assert result.manifest["names_masked"] is None
    assert "Иванов И. И." in (tmp_path / "out" / "data" / "responses.csv").read_text(encoding="utf-8")


def test_kwic_and_the_consolidated_file_mask_names_too(responses, tmp_path):
    from survey.coding.kwic import kwic_responses
    from survey.forms.consolidate import consolidate

    lines = kwic_responses("переводчик", responses)
    assert len(lines) == 1 and "[ФИО]" in lines.iloc[0]["left"] and "Иванов" not in lines.iloc[0]["left"]
    assert "Иванов" in kwic_responses("переводчик", responses, with_names=True).iloc[0]["left"]
    consolidate(responses, tmp_path / "all.xlsx")
    blob = _blob(tmp_path / "all.xlsx")
    assert "[ФИО]" in blob and not any(n in blob for n in ("Иванов", "Петровой", "Кузнецова"))
    consolidate(responses, tmp_path / "named.xlsx", with_names=True)
    assert "Иванов" in _blob(tmp_path / "named.xlsx")
