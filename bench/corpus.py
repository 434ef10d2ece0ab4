"""Realistic answers of any number for the benchmarks, written to a CSV ``id,text``.

Two corpora:

* ``recombined`` — each answer is 1–6 sentences drawn from the sentences of the bundled
  sample and the held-out test answers (≈ 750 distinct sentences written for this project),
  lightly varied. Like a real mass survey, many sentences recur across answers.
* ``unique`` — the same, but every sentence gets an aside with a distinct number, year and
  place name, so no sentence repeats: the coder cannot reuse work across answers (its worst
  case).
"""

from __future__ import annotations

import csv
import random
import re
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
_SENT = re.compile(r"[^.!?\n]+[.!?]*")
PLACES = [
    "Харбине",
    "Шэньяне",
    "Даляне",
    "Хэйхэ",
    "Суйфэньхэ",
    "Чанчуне",
    "Циндао",
    "Ухане",
    "Чэнду",
    "Нинбо",
    "Сиане",
    "Куньмине",
    "Нанкине",
    "Ханчжоу",
    "Тяньцзине",
    "Хух-Хото",
]
ASIDES = [
    "(так было и в {y} году)",
    "(об этом говорили на встрече в {p})",
    "(примерно {n} случаев)",
    "(это обсуждали ещё в {y} году в {p})",
    "(по нашим данным, {n} обращений)",
    "(в {p} об этом знают с {y} года)",
]


def sentences() -> list[str]:
    sample = pd.read_excel(ROOT / "responses" / "sample.xlsx", engine="openpyxl")["q3_problems"]
    held = pd.read_csv(ROOT / "tests" / "data" / "heldout_answers.csv")["text"]
    out = []
    for text in list(sample) + list(held):
        out += [m.group().strip() for m in _SENT.finditer(str(text)) if len(m.group().strip()) > 3]
    return sorted(set(out))


def _with_aside(sentence: str, aside: str) -> str:
    body = sentence.rstrip(".!?")
    return f"{body} {aside}{sentence[len(body) :] or '.'}"


def write_corpus(path: str | Path, n: int, kind: str = "recombined", seed: int = 0) -> Path:
    """Write ``n`` answers of corpus ``kind`` to ``path`` (CSV ``id,text``)."""
    rnd = random.Random(seed)
    pool = sentences()
    path = Path(path)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text"])
        for i in range(n):
            parts = rnd.sample(pool, rnd.randint(1, 6))
            if kind == "unique":
                # an aside inside every sentence makes each sentence distinct
                parts = [
                    _with_aside(
                        p,
                        rnd.choice(ASIDES).format(
                            y=1990 + (i * 7 + j) % 33, n=i * 10 + j, p=PLACES[(i + j) % len(PLACES)]
                        ),
                    )
                    for j, p in enumerate(parts)
                ]
            w.writerow([f"a{i}", " ".join(parts)])
    return path
