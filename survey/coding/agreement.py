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
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from survey.base.missing import is_missing
from survey.base.text import bulleted, difference, identity_key, listed
from survey.base.textfile import canonical_columns, read_csv_frame
from survey.errors import Code, InputError, Location, Problem

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
    column) and one 0/1 column per category. Only ids present in both are compared, matched as
    :func:`identity_key`s (so «Е001» with a Cyrillic Е is «E001»); ``attrs`` name the ids
    compared, those only in ``a`` or only in ``b`` and the pairs matched though spelled
    differently. ``categories`` defaults to the category columns the two share, in ``a``'s order.
    """
    from sklearn.metrics import cohen_kappa_score

    ida, idb = _id_column(a, id_column), _id_column(b, id_column)
    names = a.attrs.get("source", "A"), b.attrs.get("source", "B")
    a, b = _by_question(a, ida, names[0], b, idb, names[1])
    for frame, col, name in ((a, ida, names[0]), (b, idb, names[1])):
        _check_unique(frame[col], name, _first_row(frame))
    unpaired: dict[str, list[str]] = {"a": [], "b": []}
    if categories is None:
        b = canonical_columns(b, [c for c in a.columns if c != ida])  # «Distance» in B is A's «distance»
        shared = [c for c in a.columns if c in b.columns and c not in (ida, idb, QUESTION)]
        # a text column (notes, evidence) is not a category; a column of 0/1 with a stray value is
        categories = [c for c in shared if _mostly_binary(a[c]) or _mostly_binary(b[c])]
        for side, frame, other, own_id in (("a", a, b, ida), ("b", b, a, idb)):
            alone = [c for c in frame.columns if c not in other.columns and c not in (own_id, QUESTION)]
            unpaired[side] = [c for c in alone if _mostly_binary(frame[c])]
    a, b = _coded_rows(a, categories), _coded_rows(b, categories)
    bad = [
        m for cat in categories for frame, name in ((a, names[0]), (b, names[1])) for m in _bad_cells(frame, cat, name)
    ]
    if bad:
        shown = bulleted(bad, 10)
        raise InputError(
            f"в столбцах категорий должны быть только 0 и 1 (ячеек с другим значением: {len(bad)}):\n{shown}\n"
            "Поставьте 0 или 1 в каждую из этих ячеек."
        )
    match = match_ids(a[ida], b[idb])
    rows = []
    for cat in categories:
        x = pd.to_numeric(a[cat].iloc[match.a]).astype(int).to_numpy()  # «1», 1, «1.0» (pandas' float column)
        y = pd.to_numeric(b[cat].iloc[match.b]).astype(int).to_numpy()
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
    frame.attrs.update(match.report(a[ida], b[idb]))
    # columns of 0/1 only one file has: a category one coder did not code, or a header misspelt
    frame.attrs["categories_only_in_a"], frame.attrs["categories_only_in_b"] = unpaired["a"], unpaired["b"]
    return frame


QUESTION = "question"  # the column of the coded question, when a file codes several (codes_final.csv)


def _by_question(
    a: pd.DataFrame, ida: str, name_a: str, b: pd.DataFrame, idb: str, name_b: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Codings of several coded questions (``codes_final.csv``: a row per expert and question) are
    matched on the expert *and* the question: each id becomes «id · question» when both files have
    a ``question`` column. One file of several questions against one without the column cannot be
    matched: :class:`InputError` saying how to make them comparable."""
    has_a, has_b = QUESTION in a.columns, QUESTION in b.columns
    if has_a and has_b:
        return _with_question(a, ida), _with_question(b, idb)
    for has, frame, name, other in ((has_a, a, name_a, name_b), (has_b, b, name_b, name_a)):
        asked = sorted({str(v).strip() for v in frame[QUESTION]}) if has else []
        if len(asked) > 1:
            raise InputError(
                f"{name}: в файле коды нескольких вопросов (столбец question: {listed(asked)}), а в {other} столбца "
                "question нет — непонятно, с каким вопросом сравнивать. Оставьте в "
                f"{name} строки одного вопроса или добавьте в {other} столбец question."
            )
    return a, b


def _with_question(frame: pd.DataFrame, id_col: str) -> pd.DataFrame:
    out = frame.copy()
    out[id_col] = frame[id_col].astype(str).str.strip() + " · " + frame[QUESTION].astype(str).str.strip()
    return out


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


def _coded_rows(frame: pd.DataFrame, categories: list[str]) -> pd.DataFrame:
    """``frame`` without the rows whose every category is empty: an answer left unanswered is not
    coded (``codes_final.csv`` leaves it empty), so there is nothing to compare. A row with only
    some categories empty is still a mistake (reported by the caller), and so is an empty cell of a
    coding with one category (a cell forgotten, as far as can be told)."""
    present = [c for c in categories if c in frame.columns]
    if len(present) < 2:
        return frame
    blank = frame[present].apply(lambda col: col.isna() | (col.astype(str).str.strip() == "")).all(axis=1)
    if not blank.any():
        return frame
    kept = frame[~blank]
    kept.attrs.update(frame.attrs, uncoded=int(blank.sum()))
    return kept


def _first_row(frame: pd.DataFrame) -> int:
    """The file's line of a coding's first record: 2 (after the header), 3 after Excel's «sep=;»
    line (:func:`~survey.base.textfile.read_csv_frame`)."""
    return int(frame.attrs.get("first_row", 2))


def _bad_cells(frame: pd.DataFrame, column: str, name: str) -> list[str]:
    """Cells of a category column that are not 0 or 1, as «file, строка N, столбец C: «value»»
    (the file's line numbers: :func:`_first_row`)."""
    if column not in frame.columns:
        return []
    ok = _binary_mask(frame[column]).to_numpy()
    return [
        f"{name}, строка {int(frame.index[i]) + _first_row(frame)}, столбец {column}: "
        + (f"«{frame[column].iloc[i]}»" if str(frame[column].iloc[i]).strip() else "пусто")
        for i in np.flatnonzero(~ok)
    ]


def _keys(ids: pd.Series) -> pd.Series:
    """What «the same id» means when two files are matched: :func:`identity_key` (case, spaces,
    invisible characters and Latin/Cyrillic look-alikes ignored)."""
    return ids.astype(str).map(identity_key)


def _check_unique(ids: pd.Series, name: str, first: int = 2) -> None:
    """Two rows with one id cannot be matched to the other coding: stop with the repeats named."""
    keys = _keys(ids)
    repeated = keys[keys.duplicated(keep=False)]
    if repeated.empty:
        return
    lines = []
    for rows in list(repeated.groupby(repeated, sort=False).groups.values())[:10]:
        spellings = [str(ids.loc[i]).strip() for i in rows]
        line = f"  - id «{spellings[0]}»: строки {', '.join(str(i + first) for i in rows)}"
        other = next((s for s in spellings if s != spellings[0]), None)
        if other is not None:
            line += f" (написаны по-разному: {'; '.join(difference(spellings[0], other))})"
        lines.append(line)
    more = repeated.nunique() - len(lines)
    raise InputError(
        f"{name}: один и тот же id в нескольких строках — их нельзя сопоставить с другой кодировкой:\n"
        + "\n".join(lines)
        + (f"\n  … и ещё {more} id" if more > 0 else "")
        + "\nОставьте по одной строке на ответ или дайте строкам разные id."
    )


@dataclass
class IdMatch:
    """Rows of two codings paired by id (positions in each frame), and the rows left unpaired."""

    a: list[int]
    b: list[int]
    only_a: list[int]
    only_b: list[int]
    respelled: list[tuple[int, int]]  # pairs whose ids match only as :func:`identity_key`s

    def report(self, a_ids: pd.Series, b_ids: pd.Series) -> dict[str, object]:
        """The ids as the files spell them, for ``attrs`` and messages."""
        return {
            "ids_compared": len(self.a),
            "only_in_a": [str(a_ids.iloc[i]) for i in self.only_a],
            "only_in_b": [str(b_ids.iloc[i]) for i in self.only_b],
            "respelled": [
                (str(a_ids.iloc[i]), str(b_ids.iloc[j]), "; ".join(difference(str(a_ids.iloc[i]), str(b_ids.iloc[j]))))
                for i, j in self.respelled
            ],
        }


def match_ids(a_ids: pd.Series, b_ids: pd.Series) -> IdMatch:
    """Pair the rows of two codings by id (each id once in each; see :func:`_check_unique`).

    >>> m = match_ids(pd.Series(["E001", "e 002", "E003"]), pd.Series(["E002", "Е001", "E004"]))
    >>> m.a, m.b, m.only_a, m.only_b, m.respelled
    ([0, 1], [1, 0], [2], [2], [(0, 1), (1, 0)])
    """
    b_pos = {key: j for j, key in enumerate(_keys(b_ids))}
    a_rows, b_rows, only_a, respelled = [], [], [], []
    for i, key in enumerate(_keys(a_ids)):
        j = b_pos.pop(key, None)
        if j is None:
            only_a.append(i)
            continue
        a_rows.append(i)
        b_rows.append(j)
        if str(a_ids.iloc[i]) != str(b_ids.iloc[j]):
            respelled.append((i, j))
    return IdMatch(a_rows, b_rows, only_a, sorted(b_pos.values()), respelled)


def respelled_id(where: Location, code: Code, given: str, matched: str, file: str) -> Problem:
    """The warning for an id ``given`` in a ``file`` (a gold coding, overrides) that was matched to
    the expert ``matched`` only as :func:`identity_key`s: how the two spellings differ, and the fix."""
    return Problem(
        where,
        code,
        f"код «{given}» сопоставлен с экспертом «{matched}», хотя написан иначе: "
        f"{'; '.join(difference(given, matched))}.",
        f"Исправьте код в {file} на «{matched}».",
        value=given,
    )


GOLD_LISTED = 20  # rows of a gold coding named one by one; the rest are counted


def gold_for_question(
    gold: pd.DataFrame, question: str | None, first: str | None
) -> tuple[pd.DataFrame | None, list[Problem]]:
    """The rows of ``gold`` (from :func:`read_coding`) that code ``question``, the coded question
    the run analyses: a gold with a ``question`` column gives its rows of that question; one
    without codes the first coded question (``first``), so it is not compared when another one
    is analysed. None (with a ``gold-question`` warning) when nothing is left to compare."""
    source = str(gold.attrs.get("source", "эталон"))
    if QUESTION in gold.columns:
        rows = gold[gold[QUESTION].astype(str).str.strip() == question]
        if rows.empty:
            asked = listed(sorted({str(v).strip() for v in gold[QUESTION]}))
            return None, [
                Problem(
                    Location(source, column=QUESTION),
                    Code.GOLD_QUESTION,
                    f"в эталоне нет строк анализируемого вопроса {question} (есть: {asked}); согласие не измерено.",
                    f"Добавьте строки с question = {question} или запустите анализ нужного вопроса (--analyse).",
                )
            ]
        return rows.drop(columns=QUESTION), []  # the index keeps each row's place in the file
    if question == first:
        return gold, []
    return None, [
        Problem(
            Location(source),
            Code.GOLD_QUESTION,
            f"в эталоне нет столбца question, поэтому он считается кодировкой первого кодируемого вопроса {first}; "
            f"таблицы строятся по {question}, и согласие с эталоном не измерено.",
            f"Добавьте в эталон столбец question со значением {question} в строках этого вопроса.",
        )
    ]


def gold_problems(gold: pd.DataFrame, expert_ids: pd.Series, categories: list[str] | None = None) -> list[Problem]:
    """What a run tells about matching ``gold`` (from :func:`read_coding`) to the accepted
    answers: each gold row whose id no answer has (it is not compared), and each id matched only
    after its spelling was aligned (:func:`identity_key`), as warnings naming the gold file's row.
    The first :data:`GOLD_LISTED` of each kind are named, the rest counted. With the codebook's
    ``categories``: those the gold has no column for, and the gold's 0/1 columns that are no
    category (a category renamed in the codebook but not in the gold), are not compared either."""
    source = str(gold.attrs.get("source", "эталон"))
    col = _id_column(gold, None)
    first = _first_row(gold)
    _check_unique(gold[col], source, first)
    match = match_ids(gold[col], expert_ids)
    problems: list[Problem] = []
    if categories is not None:
        absent = [c for c in categories if c not in gold.columns]
        stray = [c for c in gold.columns if c != col and c not in categories and _mostly_binary(gold[c])]
        if absent:
            problems.append(
                Problem(
                    Location(source),
                    Code.GOLD_COLUMNS,
                    f"в эталоне нет столбцов категорий {', '.join(f'«{c}»' for c in absent)}: согласие с ними "
                    "не измерено.",
                    "Добавьте столбцы 0/1 с этими именами (id категорий кодовой книги)"
                    + (f" или переименуйте {', '.join(f'«{c}»' for c in stray)}." if stray else "."),
                )
            )
        if stray:
            problems.append(
                Problem(
                    Location(source),
                    Code.GOLD_COLUMNS,
                    f"столбцы эталона {', '.join(f'«{c}»' for c in stray)} не совпадают ни с одной категорией "
                    "кодовой книги и не сравнивались.",
                    "Назовите столбцы так же, как id категорий в кодовой книге.",
                )
            )
    for i in match.only_a[:GOLD_LISTED]:
        rid = str(gold[col].iloc[i])
        problems.append(
            Problem(
                Location(source, row=int(gold.index[i]) + first, column=col),
                Code.GOLD_UNKNOWN_EXPERT,
                f"эксперта «{rid}» нет среди принятых анкет; эта строка эталона не сравнивалась.",
                "Проверьте код эксперта в эталоне: он должен совпадать с кодом в ответах.",
                value=rid,
            )
        )
    if len(match.only_a) > GOLD_LISTED:
        rest = match.only_a[GOLD_LISTED:]
        problems.append(
            Problem(
                Location(source, row=int(gold.index[rest[0]]) + first, column=col),
                Code.GOLD_UNKNOWN_EXPERT,
                f"ещё {len(rest)} строк эталона с экспертами, которых нет среди принятых анкет; они не сравнивались.",
                "Проверьте коды экспертов в эталоне.",
            )
        )
    for i, j in match.respelled[:GOLD_LISTED]:
        rid, eid = str(gold[col].iloc[i]), str(expert_ids.iloc[j])
        problems.append(
            respelled_id(
                Location(source, row=int(gold.index[i]) + first, column=col),
                Code.GOLD_ID_RESPELLED,
                rid,
                eid,
                "эталоне",
            )
        )
    if len(match.respelled) > GOLD_LISTED:
        rest_pairs = match.respelled[GOLD_LISTED:]
        problems.append(
            Problem(
                Location(source, row=int(gold.index[rest_pairs[0][0]]) + first, column=col),
                Code.GOLD_ID_RESPELLED,
                f"ещё {len(rest_pairs)} кодов эталона сопоставлены с экспертами, хотя написаны иначе.",
                "Исправьте коды в эталоне, чтобы они совпадали с кодами в ответах.",
            )
        )
    return problems


MAX_CODING_BYTES = 200 * 1024 * 1024


def read_coding(path) -> pd.DataFrame:
    """Read a coding CSV (id + 0/1 columns), with a Russian error when it is not one."""
    path = Path(path)
    frame = read_csv_frame(path, MAX_CODING_BYTES, "файл кодирования больше 200 МБ — проверьте, тот ли это файл.")
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
