"""Agreement statistics checked against hand computations and scikit-learn."""

from __future__ import annotations

import math
import random

import pandas as pd
import pytest

from survey.coding.agreement import agreement


def _hand_kappa(x, y):
    n = len(x)
    po = sum(a == b for a, b in zip(x, y)) / n
    p1x, p1y = sum(x) / n, sum(y) / n
    pe = p1x * p1y + (1 - p1x) * (1 - p1y)
    return (po - pe) / (1 - pe)


def _hand_alpha(x, y):
    """Krippendorff's α, nominal, two coders, no missing values (coincidence matrix)."""
    disagree = sum(a != b for a, b in zip(x, y))
    o00 = 2 * sum(a == b == 0 for a, b in zip(x, y))
    o11 = 2 * sum(a == b == 1 for a, b in zip(x, y))
    n0, n1 = o00 + disagree, o11 + disagree
    n = n0 + n1
    return 1 - (n - 1) * (2 * disagree) / (2 * n0 * n1)


@pytest.mark.parametrize("seed", range(5))
def test_statistics_match_hand_computations(seed):
    from sklearn.metrics import f1_score, precision_score, recall_score

    rnd = random.Random(seed)
    n = 60
    x = [int(rnd.random() < 0.4) for _ in range(n)]
    y = [v if rnd.random() < 0.8 else 1 - v for v in x]
    a = pd.DataFrame({"id": range(n), "cat": x})
    b = pd.DataFrame({"id": range(n), "cat": y})
    row = agreement(a, b).iloc[0]
    assert row["both"] + row["only_a"] + row["only_b"] + row["neither"] == n
    assert row["agreement"] == pytest.approx(sum(p == q for p, q in zip(x, y)) / n, abs=1e-12)
    assert row["precision"] == pytest.approx(precision_score(x, y), abs=1e-12)
    assert row["recall"] == pytest.approx(recall_score(x, y), abs=1e-12)
    assert row["f1"] == pytest.approx(f1_score(x, y), abs=1e-12)
    assert row["kappa"] == pytest.approx(_hand_kappa(x, y), abs=1e-9)
    assert row["alpha"] == pytest.approx(_hand_alpha(x, y), abs=1e-9)


def test_undefined_statistics_are_nan_with_a_reason():
    a = pd.DataFrame({"id": [1, 2, 3], "covid": [1, 1, 1], "legal": [0, 0, 0]})
    table = agreement(a, a.copy()).set_index("category")
    assert table.loc["covid", "f1"] == 1.0 and math.isnan(table.loc["covid", "kappa"])
    assert "нет вариации" in table.loc["covid", "note"]
    assert math.isnan(table.loc["legal", "f1"]) and math.isnan(table.loc["legal", "precision"])
    assert "ни один кодировщик" in table.loc["legal", "note"]


def test_only_common_ids_are_compared_and_reported():
    a = pd.DataFrame({"expert_id": ["E1", "E2", "E3"], "x": [1, 0, 1]})
    b = pd.DataFrame({"id": ["E2", "E3", "E4"], "x": [0, 1, 1]})
    table = agreement(a, b)
    assert table.attrs["ids_compared"] == 2
    assert table.attrs["only_in_a"] == ["E1"] and table.attrs["only_in_b"] == ["E4"]
    assert table.iloc[0]["both"] == 1 and table.iloc[0]["neither"] == 1
