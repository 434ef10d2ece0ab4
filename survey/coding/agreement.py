"""Agreement between two codings of the same answers, per category.

For each category: the confusion counts (both, only A, only B, neither), percent agreement,
precision, recall and F1 of B against A (A is the reference, e.g. the gold or human coder),
Cohen's κ (scikit-learn) and Krippendorff's α for nominal data (the ``krippendorff``
package). Where a statistic is undefined — a category nobody coded has no precision, and κ
and α need variation — it is ``NaN`` and the ``note`` column says why; it is never
replaced by a flattering 1.0.

>>> import pandas as pd
>>> a = pd.DataFrame({"id": [1, 2, 3, 4], "x": [1, 0, 1, 0]})
>>> b = pd.DataFrame({"id": [1, 2, 3, 4], "x": [1, 0, 0, 0]})
>>> agreement(a, b)[["category", "both", "only_a", "recall", "kappa"]].to_dict("records")
[{'category': 'x', 'both': 1, 'only_a': 1, 'recall': 0.5, 'kappa': 0.5}]
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from survey.base.missing import is_missing
from survey.base.textfile import decode_text
from survey.errors import InputError

COLUMNS = [
    "category",
    "n",
    "both",
    "only_a",
    "only_b",
    "neither",
    "agreement",
    "precision",
    "recall",
    "f1",
    "kappa",
    "alpha",
    "note",
]


def agreement(
    a: pd.DataFrame, b: pd.DataFrame, categories: list[str] | None = None, id_column: str | None = None
) -> pd.DataFrame:
    """Per-category agreement of coding ``b`` with reference coding ``a``.

    Both frames have an id column (``id_column``, else ``id``/``expert_id``/the first
    column) and one 0/1 column per category. Only ids present in both are compared;
    ``categories`` defaults to the category columns the two share, in ``a``'s order.
    """
    from sklearn.metrics import cohen_kappa_score

    ida, idb = _id_column(a, id_column), _id_column(b, id_column)
    names = a.attrs.get("source", "A"), b.attrs.get("source", "B")
    for frame, col, name in ((a, ida, names[0]), (b, idb, names[1])):
        _check_unique(frame[col], name)
    if categories is None:
        shared = [c for c in a.columns if c in b.columns and c not in (ida, idb)]
        # a text column (notes, evidence) is not a category; a column of 0/1 with a stray value is
        categories = [c for c in shared if _mostly_binary(a[c]) or _mostly_binary(b[c])]
    bad = [
        m for cat in categories for frame, name in ((a, names[0]), (b, names[1])) for m in _bad_cells(frame, cat, name)
    ]
    if bad:
        shown = "\n".join(f"  - {m}" for m in bad[:10]) + (f"\n  … и ещё {len(bad) - 10}" if len(bad) > 10 else "")
        raise InputError(
            f"в столбцах категорий должны быть только 0 и 1 (ячеек с другим значением: {len(bad)}):\n{shown}\n"
            "Поставьте 0 или 1 в каждую из этих ячеек."
        )
    a = a.set_index(a[ida].astype(str))
    b = b.set_index(b[idb].astype(str))
    common = a.index.intersection(b.index)
    rows = []
    for cat in categories:
        x = a.loc[common, cat].astype(int).to_numpy()
        y = b.loc[common, cat].astype(int).to_numpy()
        both = int(((x == 1) & (y == 1)).sum())
        only_a = int(((x == 1) & (y == 0)).sum())
        only_b = int(((x == 0) & (y == 1)).sum())
        neither = int(((x == 0) & (y == 0)).sum())
        n = len(x)
        notes = []
        precision = both / (both + only_b) if both + only_b else math.nan
        recall = both / (both + only_a) if both + only_a else math.nan
        if both + only_a + only_b == 0:
            f1 = math.nan
            notes.append("категорию не отметил ни один кодировщик")
        else:
            f1 = 2 * both / (2 * both + only_a + only_b)
        if len(set(x)) < 2 and len(set(y)) < 2:
            kappa = alpha = math.nan
            notes.append("нет вариации: κ и α не определены")
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                kappa = float(cohen_kappa_score(x, y))
            alpha = krippendorff_alpha(x, y)
        rows.append(
            {
                "category": cat,
                "n": n,
                "both": both,
                "only_a": only_a,
                "only_b": only_b,
                "neither": neither,
                "agreement": (both + neither) / n if n else math.nan,
                "precision": precision,
                "recall": recall,
                "f1": f1,
                "kappa": kappa,
                "alpha": alpha,
                "note": "; ".join(notes),
            }
        )
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame.attrs.update(
        ids_compared=len(common),
        only_in_a=sorted(set(a.index) - set(common)),
        only_in_b=sorted(set(b.index) - set(common)),
    )
    return frame


def krippendorff_alpha(x, y) -> float:
    """Krippendorff's α (nominal) of two coders over the same units."""
    import krippendorff

    data = np.vstack([np.asarray(x, dtype=float), np.asarray(y, dtype=float)])
    try:
        return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))
    except ValueError:  # one value in the whole domain
        return math.nan


def _id_column(frame: pd.DataFrame, id_column: str | None) -> str:
    if id_column:
        if id_column not in frame.columns:
            raise InputError(f"нет столбца «{id_column}».")
        return id_column
    for name in ("id", "expert_id"):
        if name in frame.columns:
            return name
    return frame.columns[0]


def _binary_mask(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series, errors="coerce").isin([0, 1])


def _mostly_binary(series: pd.Series) -> bool:
    """At least half the filled cells are 0 or 1: a category column, perhaps with errors."""
    filled = series.astype(str).str.strip() != ""
    return bool(filled.any()) and _binary_mask(series)[filled].mean() >= 0.5


def _bad_cells(frame: pd.DataFrame, column: str, name: str) -> list[str]:
    """Cells of a category column that are not 0 or 1, as «file, строка N, столбец C: «value»»
    (line numbers of a CSV with one header line)."""
    if column not in frame.columns:
        return []
    ok = _binary_mask(frame[column]).to_numpy()
    return [
        f"{name}, строка {i + 2}, столбец {column}: "
        + (f"«{frame[column].iloc[i]}»" if str(frame[column].iloc[i]).strip() else "пусто")
        for i in np.flatnonzero(~ok)
    ]


def _check_unique(ids: pd.Series, name: str) -> None:
    """Two rows with one id cannot be matched to the other coding: stop with the repeats named."""
    keys = ids.astype(str).str.strip()
    repeated = keys[keys.duplicated(keep=False)]
    if repeated.empty:
        return
    lines = [
        f"  - id «{key}»: строки {', '.join(str(i + 2) for i in rows)}"
        for key, rows in list(repeated.groupby(repeated, sort=False).groups.items())[:10]
    ]
    more = repeated.nunique() - len(lines)
    raise InputError(
        f"{name}: один и тот же id в нескольких строках — их нельзя сопоставить с другой кодировкой:\n"
        + "\n".join(lines)
        + (f"\n  … и ещё {more} id" if more > 0 else "")
        + "\nОставьте по одной строке на ответ или дайте строкам разные id."
    )


def read_coding(path) -> pd.DataFrame:
    """Read a coding CSV (id + 0/1 columns), with a Russian error when it is not one."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: не удаётся прочитать файл ({exc.strerror}).") from None
    text, _ = decode_text(path, data)
    import io

    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=None, engine="python")
    except Exception as exc:  # pandas raises several kinds on broken CSV
        raise InputError(f"{path}: не удаётся прочитать CSV ({type(exc).__name__}).") from None
    if frame.shape[1] < 2:
        raise InputError(f"{path}: нужен столбец id и хотя бы один столбец категории с 0/1.")
    frame.attrs["source"] = path.name
    return frame


def format_agreement(table: pd.DataFrame) -> str:
    """The agreement table as aligned text, three decimals, «—» where undefined."""
    shown = table.copy()
    for col in ("agreement", "precision", "recall", "f1", "kappa", "alpha"):
        shown[col] = shown[col].map(lambda x: "—" if is_missing(x) else f"{x:.3f}")
    return str(shown.to_string(index=False))
