"""Which codebook patterns code answers against a hand coding: an audit, pattern by pattern.

The codebook is the editable centre of the coder, and its patterns are written from examples; on
a study's own hand-coded answers some of them code more answers the coders left uncoded than
answers they coded. :func:`pattern_audit` codes each answer with the rules alone and counts, for
every pattern that gave evidence, the answers whose hand coding has its category (``agree``) and
those whose hand coding does not (``against``); ``sole_against`` counts the answers where the
pattern was the only evidence of a category the hand coding lacks — the false codes that go away
when the pattern is dropped or narrowed. The patterns that coded more answers against the hand
coding than with it come first: those are the ones to read in context (``survey kwic``) and to
narrow with an ``exclude``, a longer pattern, or drop.

>>> import pandas as pd
>>> from survey.coding.coder import Coder
>>> gold = pd.DataFrame({"text": ["Нет переводчиков.", "Переводчиков не хватает."], "language": [1, 0]})
>>> table = pattern_audit(gold["text"], gold, Coder(learned=False))
>>> table.loc[table["pattern"] == "переводчик", ["category", "kind", "answers", "agree", "against"]].values.tolist()
[['language', 'needs', 2, 1, 1]]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from survey.base.textfile import canonical_columns
from survey.coding.coder import Coder
from survey.coding.learned import read_examples
from survey.errors import InputError

COLUMNS = ["category", "kind", "pattern", "line", "answers", "agree", "against", "sole_against", "precision"]


def pattern_audit(texts: Iterable[str], gold: pd.DataFrame, coder: Coder) -> pd.DataFrame:
    """Per pattern that coded at least one answer: how many of those answers the hand coding
    ``gold`` (one 0/1 column per category, rows in the order of ``texts``) agrees with.

    Only categories that are columns of ``gold`` are counted. Sorted with the patterns that code
    most against the hand coding first (``against − agree``, then ``against``)."""
    kinds = {(c.id, p.text): (p.kind, p.line) for c in coder.codebook.categories for p in c.patterns}
    cats = [c for c in coder.ids if c in gold.columns]
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])  # agree, against, sole
    for text, (_, row) in zip(texts, gold.iterrows()):
        coding = coder.code(text)
        by_category: dict[str, set[str]] = defaultdict(set)
        for e in coding.evidence:
            if e.category in cats and e.pattern:
                by_category[e.category].add(e.pattern)
        for cat, patterns in by_category.items():
            agrees = bool(int(row[cat]))
            for pattern in patterns:
                entry = counts[(cat, pattern)]
                entry[0 if agrees else 1] += 1
                if not agrees and len(patterns) == 1:
                    entry[2] += 1
    rows = []
    for (cat, pattern), (agree, against, sole) in counts.items():
        kind, line = kinds.get((cat, pattern), ("", None))
        answers = agree + against
        rows.append([cat, kind, pattern, line, answers, agree, against, sole, agree / answers])
    table = pd.DataFrame(rows, columns=COLUMNS)
    if table.empty:
        return table
    table["line"] = table["line"].astype("Int64")
    table["_order"] = table["against"] - table["agree"]
    table = table.sort_values(["_order", "against", "category", "pattern"], ascending=[False, False, True, True])
    return table.drop(columns="_order").reset_index(drop=True)


def audit_file(path: Path, coder: Coder) -> pd.DataFrame:
    """:func:`pattern_audit` of a hand-coded CSV (``text`` and a 0/1 column for each category
    coded by hand — all of the codebook's or some, as the learned layer's examples; headers in
    any case), checked with Russian messages. ``attrs``: ``not_coded`` — the codebook's
    categories the file has no column for (not audited); ``empty_text`` — rows without an
    answer (not audited)."""
    header = canonical_columns(read_examples(path, []), coder.ids)
    cats = [c for c in coder.ids if c in header.columns]
    if not cats:
        raise InputError(
            f"{path}: нет ни одного столбца категорий кодовой книги ({', '.join(coder.ids)}). "
            "Нужны столбцы text и по одному столбцу 0/1 на каждую категорию, закодированную вручную."
        )
    frame = read_examples(path, cats)
    if frame.empty:
        raise InputError(f"{path}: в файле нет ни одного ответа с текстом — проверять шаблоны не на чем.")
    table = pattern_audit(frame["text"], frame[cats].astype(int), coder)
    table.attrs["not_coded"] = [c for c in coder.ids if c not in cats]
    table.attrs["empty_text"] = frame.attrs.get("empty_text", 0)
    return table


def format_audit(table: pd.DataFrame, top: int = 20) -> str:
    """The patterns that coded more answers against the hand coding than with it (at most
    ``top``), one per line, in Russian."""
    worse = table[table["against"] > table["agree"]]
    if worse.empty:
        return "Шаблонов, которые чаще кодируют вопреки ручному кодированию, чем вместе с ним, нет."
    lines = [f"Шаблоны, которые чаще кодируют вопреки ручному кодированию, чем вместе с ним ({len(worse)}):"]
    for r in worse.head(top).itertuples():
        where = f", строка {r.line}" if pd.notna(r.line) else ""
        lines.append(
            f"  {r.category}: «{r.pattern}» ({r.kind}{where}) — ответов {r.answers}: с кодированием {r.agree}, "
            f"вопреки ему {r.against} (из них единственное основание кода: {r.sole_against})"
        )
    if len(worse) > top:
        lines.append(f"  … и ещё {len(worse) - top} (все — в файле -o).")
    return "\n".join(lines)
