"""Property tests (hypothesis): the coder survives any text; valid responses survive the
round trip unchanged; every accepted respondent appears in the outputs exactly once."""

from __future__ import annotations

import datetime as dt
import unicodedata

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from survey.errors import Code
from survey.forms.consolidate import consolidate
from survey.inputs.readers import EXCEL_ERRORS
from survey.inputs.validate import validate

from .conftest import ROOT

WORDS = [
    "нет",
    "не",
    "проблем",
    "финансирования",
    "переводчиков",
    "удалённость",
    "пандемия",
    "кроме",
    "но",
    "а",
    "хватает",
    "является",
    "препятствием",
    "ни",
    "с",
    "визами",
    "менталитет",
    ",",
    ".",
    "?",
    ";",
    "—",
    "(",
    ")",
    "«",
    "»",
    "\n",
    "нельзя",
    "сказать",
    "что",
    "его",
    "это",
    "ковид",
    "COVID-19",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.text(max_size=300), st.lists(st.sampled_from(WORDS), max_size=40).map(" ".join)))
def test_coder_never_crashes_and_evidence_points_into_the_text(coder, text):
    result = coder.code(text)
    assert set(result.codes) == set(coder.ids) and set(result.codes.values()) <= {0, 1}
    for e in result.evidence + result.denials:
        assert 0 <= e.start <= e.end <= len(text) and text[e.start : e.end] == e.text
    for cat in result.categories:
        assert any(e.category == cat for e in result.evidence)


TEXT = (
    st.text(
        alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Nd", "Zs", "Po", "Pd", "Sm")),
        min_size=1,
        max_size=60,
    )
    .map(lambda s: unicodedata.normalize("NFC", s).strip())
    .filter(bool)
    # a cell reading exactly «#N/A», «#FIELD!»… is an Excel error, reported as such (tests/test_defects.py)
    .filter(lambda s: s.upper() not in EXCEL_ERRORS)
)


@st.composite
def responses(draw):
    units = list(pd.read_csv(ROOT / "responses" / "units.csv")["unit_id"])
    n = draw(st.integers(1, 6))
    rows = []
    for i in range(n):
        areas = draw(st.sets(st.integers(1, 12), min_size=1))
        forms = draw(st.sets(st.integers(1, 9), min_size=1))
        rows.append(
            {
                "expert_id": f"R{i:03d}",
                "unit_id": draw(st.sampled_from(units)),
                "position": draw(TEXT),
                "interview_mode": draw(st.integers(1, 4)),
                "interview_date": draw(st.dates(dt.date(2021, 3, 1), dt.date(2022, 12, 31))),
                "years_cooperation": draw(st.integers(0, 60)),
                "q1_state": draw(st.sampled_from([1, 2, 3, 4, 5, 9])),
                "q2_areas": ";".join(map(str, sorted(areas))),
                "q3_problems": draw(TEXT),
                "q4_covid": draw(st.sampled_from([1, 2, 3, 4, 9])),
                "q5_forms": ";".join(map(str, sorted(forms))),
                "q6_prospects": draw(st.sampled_from([1, 2, 3, 4, 5, 9])),
                "q7_proposals": draw(st.one_of(st.none(), TEXT)),
            }
        )
    return rows


def _write(rows, path):
    wb = openpyxl.Workbook()
    ws = wb.active
    header = list(rows[0])
    ws.append(header)
    for r in rows:
        ws.append([r[h] for h in header])
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # an administrator's text, even if it starts with «=»
    wb.save(path)
    return path


def _check(data: pd.DataFrame, rows) -> None:
    data = data.set_index("expert_id")
    assert list(data.index) == [r["expert_id"] for r in rows]
    for r in rows:
        got = data.loc[r["expert_id"]]
        for key in (
            "unit_id",
            "position",
            "interview_mode",
            "years_cooperation",
            "q1_state",
            "q3_problems",
            "q4_covid",
            "q6_prospects",
        ):
            assert got[key] == r[key], (key, got[key], r[key])
        assert got["interview_date"].date() == r["interview_date"]
        assert (pd.isna(got["q7_proposals"]) and r["q7_proposals"] is None) or got["q7_proposals"] == r["q7_proposals"]
        chosen = {int(c) for c in r["q2_areas"].split(";")}
        names = [
            "education",
            "culture",
            "tourism",
            "sport",
            "youth",
            "trade",
            "investment",
            "health",
            "science",
            "agriculture",
            "industry",
            "municipal",
        ]
        assert {i + 1 for i, n in enumerate(names) if got[f"q2_areas_{n}"] == 1} == chosen


@pytest.mark.slow
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=responses())
def test_valid_responses_survive_ingest_validate_export(tmp_path_factory, questionnaire, units, rows):
    folder = tmp_path_factory.mktemp("roundtrip")
    first = validate(_write(rows, folder / "in.xlsx"), questionnaire, units)
    assert first.report.valid, [str(p) for p in first.report.errors]
    _check(first.data, rows)
    consolidate(folder / "in.xlsx", folder / "consolidated.xlsx", with_names=True)
    second = validate(folder / "consolidated.xlsx", questionnaire, units)
    assert second.report.valid
    _check(second.data, rows)


@pytest.mark.slow
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=responses())
def test_every_accepted_respondent_appears_once_in_the_outputs(tmp_path_factory, rows):
    from survey.pipeline import run

    folder = tmp_path_factory.mktemp("once")
    result = run(_write(rows, folder / "in.xlsx"), folder / "out")
    ids = sorted(r["expert_id"] for r in rows)
    for rel in ("data/responses.csv", "coding/codes_final.csv", "coding/codes_auto.csv"):
        assert sorted(pd.read_csv(folder / "out" / rel, dtype={"expert_id": str})["expert_id"]) == ids, rel
    assert result.manifest["respondents_accepted"] == len(ids)


# ------------------------------------------------- any sheet layout, any spelling of an id

LETTERS = "EAKMOPTX"  # Latin capitals that have a Cyrillic look-alike
TO_CYRILLIC = dict(zip("EAKMOPTX", "ЕАКМОРТХ", strict=True))
INVISIBLE = ["\u200b", "\ufeff", "\u00ad", "\u2060"]


@st.composite
def spelling(draw, base: str) -> str:
    """``base`` as an administrator might type it: case, inner space, a look-alike letter, an
    invisible character."""
    kind = draw(st.sampled_from(["same", "lower", "space", "cyrillic", "invisible"]))
    if kind == "lower":
        return base.lower()
    if kind == "space":
        return base[0] + " " + base[1:]
    if kind == "cyrillic":
        return TO_CYRILLIC[base[0]] + base[1:]
    if kind == "invisible":
        at = draw(st.integers(1, len(base) - 1))
        return base[:at] + draw(st.sampled_from(INVISIBLE)) + base[at:]
    return base


@st.composite
def layouts(draw):
    """Responses spread over 1–3 sheets in any order, with title rows above the header, columns
    shuffled and headed by id or by question text; ids spelled in any way; maybe a repeated expert
    under another spelling of the same id; maybe a notes sheet."""
    rows = draw(responses())
    for i, r in enumerate(rows):
        r["base"] = f"{draw(st.sampled_from(LETTERS))}{i:03d}"
        r["expert_id"] = draw(spelling(r["base"]))
    for _ in range(draw(st.integers(0, 2))):
        twin = dict(draw(st.sampled_from(rows)))
        twin["expert_id"] = draw(spelling(twin["base"]))
        rows.insert(draw(st.integers(0, len(rows))), twin)
    n_sheets = draw(st.integers(1, min(3, len(rows))))
    cuts = (
        sorted(draw(st.lists(st.integers(1, len(rows) - 1), min_size=n_sheets - 1, max_size=n_sheets - 1, unique=True)))
        if len(rows) > 1
        else []
    )
    bounds = [0, *cuts, len(rows)]
    sheets = []
    for k in range(len(bounds) - 1):
        header = [h for h in rows[0] if h != "base"]
        sheets.append(
            {
                "name": draw(st.sampled_from(["Ответы", "Лист", "Данные", "Sheet", "Анкеты"])) + f" {k + 1}",
                "title_rows": draw(st.integers(0, 2)),
                "columns": draw(st.permutations(header)),
                "by_label": draw(st.booleans()),
                "rows": rows[bounds[k] : bounds[k + 1]],
            }
        )
    return rows, sheets, draw(st.booleans())


def _write_layout(sheets, notes: bool, path, questionnaire):
    labels = {f.id: f.label for f in questionnaire.fields}
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    if notes:
        wb.create_sheet("Пояснения")["A1"] = "Ответы собраны весной 2021 года"
    for sheet in sheets:
        ws = wb.create_sheet(sheet["name"])
        for t in range(sheet["title_rows"]):
            ws.append([f"Сводка анкет, часть {t + 1}"] if t == 0 else [])
        ws.append([labels[c] if sheet["by_label"] else c for c in sheet["columns"]])
        for r in sheet["rows"]:
            ws.append([r[c] for c in sheet["columns"]])
            for cell in ws[ws.max_row]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
    wb.save(path)
    return path


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=layouts())
def test_any_sheet_layout_and_id_spelling_round_trips_without_silent_loss(tmp_path_factory, questionnaire, units, case):
    from survey.base.text import identity_key, is_invisible

    rows, sheets, notes = case
    event(f"sheets={len(sheets)} repeated={len(rows) - len({r['base'] for r in rows})}")
    event("invisible id" if any(is_invisible(ch) for r in rows for ch in r["expert_id"]) else "visible ids")
    path = _write_layout(sheets, notes, tmp_path_factory.mktemp("layout") / "in.xlsx", questionnaire)
    result = validate(path, questionnaire, units)
    report = result.report
    # every row written is read, and is accepted or listed as rejected
    assert report.rows_read == len(rows)
    assert report.accepted + len(report.rejected) == report.rows_read == len(result.data) + len(report.rejected)
    # each expert once: a second spelling of an id is an error naming it, never a second expert
    bases = [r["base"] for r in rows]
    accepted = list(result.data["expert_id"])
    assert sorted(identity_key(i) for i in accepted) == sorted({identity_key(b) for b in bases})
    duplicates = [p for p in report.errors if p.code == Code.DUPLICATE_ID]
    assert len(duplicates) == len(bases) - len(set(bases)) == len(report.rejected)
    # an id changed on reading (invisible characters dropped) is said so, with the value as written
    warned = {str(p.value) for p in report.warnings if p.field == "expert_id"}
    for r in rows:
        raw = r["expert_id"]
        if any(is_invisible(ch) for ch in raw) and "".join(ch for ch in raw if not is_invisible(ch)) in accepted:
            assert raw in warned, raw
    # the answers of every accepted expert are the ones written
    by_key = {identity_key(r["expert_id"]): r for r in reversed(rows)}  # the first spelling wins
    _check(result.data, [{**by_key[identity_key(i)], "expert_id": i} for i in accepted])
