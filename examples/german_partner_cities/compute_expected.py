"""Compute ``expected.json``: the example's reference numbers, straight from its data files.

Reads ``responses.xlsx`` (sheet «Ответы») with openpyxl and ``responses_gold.csv`` with the
csv module, and computes with exact fractions - not with the ``survey`` package - so that tests
can check the tool against an independent computation::

    python examples/german_partner_cities/compute_expected.py

Scale ``q1_satisfaction`` (1-10, labelled only at 1 and 10; 99 = «затрудняюсь ответить»):
``n`` valid answers (1..10, 99 excluded), ``mean``, ``sd`` (sample SD, ddof = 1), ``median``
and the count of every point 1..10. Also the counts of the closed questions, of gender and the
gold coding: how many experts each category has.
"""

from __future__ import annotations

import csv
import json
import math
from collections import Counter
from fractions import Fraction
from pathlib import Path

from openpyxl import load_workbook

HERE = Path(__file__).resolve().parent
SCALE = "q1_satisfaction"
SCALE_MIN, SCALE_MAX, DONT_KNOW = 1, 10, 99
AREAS = ["culture", "schools", "universities", "youth", "sport", "economy", "municipal", "memory"]


def read_rows() -> list[dict]:
    wb = load_workbook(HERE / "responses.xlsx", read_only=True)
    rows = list(wb["Ответы"].iter_rows(values_only=True))
    wb.close()
    header = rows[0]
    return [dict(zip(header, r)) for r in rows[1:] if any(v is not None for v in r)]


def scale_stats(values: list[int]) -> dict:
    valid = [v for v in values if SCALE_MIN <= v <= SCALE_MAX]
    n = len(valid)
    mean = Fraction(sum(valid), n)
    variance = sum((v - mean) ** 2 for v in valid) / (n - 1)
    ordered = sorted(valid)
    mid = n // 2
    median = Fraction(ordered[mid]) if n % 2 else Fraction(ordered[mid - 1] + ordered[mid], 2)
    counts = Counter(valid)
    return {
        "n": n,
        "dont_know_99": values.count(DONT_KNOW),
        "sum": sum(valid),
        "mean": float(mean),
        "mean_fraction": f"{mean.numerator}/{mean.denominator}",
        "variance_fraction": f"{variance.numerator}/{variance.denominator}",
        "sd": math.sqrt(variance),
        "median": float(median),
        "counts": {str(p): counts.get(p, 0) for p in range(SCALE_MIN, SCALE_MAX + 1)},
    }


def main() -> int:
    rows = read_rows()
    values = [int(r[SCALE]) for r in rows]
    assert all(SCALE_MIN <= v <= SCALE_MAX or v == DONT_KNOW for v in values), values
    with open(HERE / "responses_gold.csv", encoding="utf-8", newline="") as fh:
        gold_rows = list(csv.DictReader(fh))
    categories = [c for c in gold_rows[0] if c != "expert_id"]
    assert [g["expert_id"] for g in gold_rows] == [r["expert_id"] for r in rows]
    with open(HERE / "units.csv", encoding="utf-8", newline="") as fh:
        unit_ids = {u["name"]: u["unit_id"] for u in csv.DictReader(fh)}
    per_unit = Counter(unit_ids[r["unit_id"]] for r in rows)  # the workbook names units in Russian
    expected = {
        "study": "examples/german_partner_cities",
        "source": ["responses.xlsx", "responses_gold.csv"],
        "experts": len(rows),
        "units": len({r["unit_id"] for r in rows}),
        "experts_per_unit": dict(sorted(per_unit.items())),
        SCALE: scale_stats(values),
        "q2_areas": {a: sum(int(r[f"q2_areas_{a}"]) for r in rows) for a in AREAS},
        "q3_visits": {str(k): v for k, v in sorted(Counter(int(r["q3_visits"]) for r in rows).items())},
        "gender": {str(k): v for k, v in sorted(Counter(int(r["gender"]) for r in rows).items())},
        "q5_proposals_answered": sum(1 for r in rows if r["q5_proposals"]),
        "gold": {c: sum(int(g[c]) for g in gold_rows) for c in categories},
    }
    out = HERE / "expected.json"
    out.write_text(json.dumps(expected, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(expected[SCALE], ensure_ascii=False))
    print(json.dumps(expected["gold"], ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
