"""The independent corpus (tests/data/corpus, how it was made in its README): every gold file is
what its two coders and its adjudicator decided — the coders' code where they agreed, the
adjudicator's where they did not — so a gold answer edited by hand, or a wave added without its
coders' files, fails here."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from survey.spec.codebook import load_codebook

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"
CATS = load_codebook().ids
# gold parts and the folder with the coders' and the adjudicator's files they come from
WAVES = [(("dev", "test"), CORPUS)] + [((f"test{w}",), CORPUS / f"wave{w}") for w in range(2, 100)]


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False).set_index("id")


@pytest.mark.parametrize("parts,folder", WAVES, ids=[f"wave{n}" for n in range(1, len(WAVES) + 1)])
def test_gold_is_what_the_coders_and_the_adjudicator_decided(parts, folder):
    gold = pd.concat([_read(CORPUS / f"{p}.csv") for p in parts])
    a, b, adj = (_read(folder / f) for f in ("coder_a.csv", "coder_b.csv", "adjudicated.csv"))
    assert gold.index.is_unique and set(gold.index) == set(a.index) == set(b.index)
    assert (gold["text"].str.strip() != "").all()
    for frame in (gold, a, b, adj):
        assert frame[CATS].isin(["0", "1"]).all().all()
    disagree = {i for i in a.index if (a.loc[i, CATS] != b.loc[i, CATS]).any()}
    assert disagree == set(adj.index)
    for i in gold.index:
        expected = adj.loc[i, CATS] if i in disagree else a.loc[i, CATS]
        assert (gold.loc[i, CATS] == expected).all(), i
    # «no problems» goes only with the pandemic (the coding guide's rule 7)
    others = [c for c in CATS if c not in ("no_problems", "covid")]
    both = gold[(gold["no_problems"] == "1") & (gold[others] == "1").any(axis=1)]
    assert both.empty, list(both.index)


def test_each_wave_has_its_writers_brief():
    for _, folder in WAVES[1:]:
        brief = (folder / "WRITER_BRIEF.md").read_text(encoding="utf-8")
        assert "Какие основные проблемы и трудности" in brief
