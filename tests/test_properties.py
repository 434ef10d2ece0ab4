"""Property tests (hypothesis): the coder survives any text; valid responses survive the
round trip unchanged; every accepted respondent appears in the outputs exactly once."""

from __future__ import annotations

import datetime as dt
import unicodedata

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from survey.forms.consolidate import consolidate
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
