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
WAVES = [(("dev", "test"), CORPUS), (("test2",), CORPUS / "wave2"), (("test3",), CORPUS / "wave3")]
WAVES.append((("test4",), CORPUS / "wave4"))
WAVES.append((("test5",), CORPUS / "wave5"))
WAVES.append((("test6",), CORPUS / "wave6"))
WAVES.append((("test7",), CORPUS / "wave7"))
WAVES.append((("test8",), CORPUS / "wave8"))
WAVES.append((("test9",), CORPUS / "wave9"))
WAVES.append((("test10",), CORPUS / "wave10"))
WAVES.append((("test11",), CORPUS / "wave11"))
WAVES.append((("test12",), CORPUS / "wave12"))
WAVES.append((("test13",), CORPUS / "wave13"))
WAVES.append((("test14",), CORPUS / "wave14"))
WAVES.append((("test15",), CORPUS / "wave15"))
WAVES.append((("test16",), CORPUS / "wave16"))
WAVES.append((("test17",), CORPUS / "wave17"))
WAVES.append((("test18",), CORPUS / "wave18"))
WAVES.append((("test19",), CORPUS / "wave19"))
WAVES.append((("test20",), CORPUS / "wave20"))
WAVES.append((("test21",), CORPUS / "wave21"))
WAVES.append((("test22",), CORPUS / "wave22"))
WAVES.append((("test23",), CORPUS / "wave23"))
WAVES.append((("test24",), CORPUS / "wave24"))
WAVES.append((("test25",), CORPUS / "wave25"))
WAVES.append((("test26",), CORPUS / "wave26"))
WAVES.append((("test27",), CORPUS / "wave27"))
WAVES.append((("test28",), CORPUS / "wave28"))
WAVES.append((("test29",), CORPUS / "wave29"))
WAVES.append((("test30",), CORPUS / "wave30"))


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
    for folder in [f"wave{w}" for w in range(2, 31)]:
        brief = (CORPUS / folder / "WRITER_BRIEF.md").read_text(encoding="utf-8")
        assert "Какие основные проблемы и трудности" in brief
