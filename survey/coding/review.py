"""The review loop: a coding sheet for sociologists, and their corrections read back.

``survey run`` writes ``coding/coding_sheet.xlsx``: one row per coded answer with the
answer, the automatic codes, the evidence, what the answer denies, the confidence, the
classifier's suggestions, and empty *override* columns (0 or 1 per category). A
sociologist fills overrides where the coder is wrong and runs ``survey run --overrides
coding_sheet.xlsx``: overrides win, both codings are kept (``codes_auto.csv`` and
``codes_final.csv``), and the run reports how many codes were overridden.

Row 1 of the sheet holds Russian headings, row 2 the machine keys
(``auto:distance``, ``override:distance``…) the reader uses; data start on row 3. A CSV
with ``expert_id`` and ``override:<category>`` (or plain ``<category>``) columns works too.
"""

from __future__ import annotations

import csv
import difflib
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from survey.base.streaming import Formats, a4_setup, heading_width, streamed_book, wrapped_height, write_value
from survey.base.textfile import decode_text
from survey.coding.coder import learned_categories
from survey.coding.uncertainty import REVIEW_FIRST
from survey.errors import Code, InputError, InvalidDataError, Location, Problem
from survey.inputs.files import check_zip_limits, read_bytes
from survey.inputs.xlsx import col_letter, read_book

SHEET = "Кодирование"
KEY_ROW, FIRST_DATA_ROW = 2, 3


@dataclass
class OverrideResult:
    """Final codes after overrides, and what the overrides changed."""

    final: pd.DataFrame  # expert_id + one 0/1 column per category
    overrides: pd.DataFrame  # expert_id, category, auto, override, location
    answers: int = 0  # answers with at least one override
    cells: int = 0  # override cells filled
    changed: int = 0  # cells where the override differs from auto
    problems: list[Problem] = field(default_factory=list)  # warnings (unknown experts…)

    def summary(self) -> dict[str, Any]:
        return {
            "answers_overridden": self.answers,
            "codes_overridden": self.cells,
            "codes_changed": self.changed,
            "not_applied": [str(p) for p in self.problems],
        }


def review_order(coded: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """``coded`` sorted for review, most uncertain first (``review_priority``, then the
    original order), and how many answers to review first (priority ≥
    :data:`~survey.coding.uncertainty.REVIEW_FIRST`). Without a ``review_priority``
    column the order is kept and the count is 0."""
    if "review_priority" not in coded.columns or coded.empty:
        return coded.reset_index(drop=True), 0
    priority = pd.to_numeric(coded["review_priority"], errors="coerce").fillna(0.0)
    order = sorted(range(len(coded)), key=lambda i: (-priority.iloc[i], i))
    first = int((priority >= REVIEW_FIRST).sum())
    return coded.iloc[order].reset_index(drop=True), first


def write_coding_sheet(
    path: str | Path,
    coded: pd.DataFrame,
    categories: list[str],
    labels: dict[str, str],
    *,
    overrides: pd.DataFrame | None = None,
    synthetic: bool = False,
) -> Path:
    """Write the coding sheet for ``coded`` (see :func:`survey.pipeline.code_answers`).

    Answers are sorted by how likely their coding is wrong (:func:`review_order`, the priority
    of :func:`survey.coding.uncertainty.review_flags`), and the first ones are marked
    «проверить первым»; the instructions say how many. Automatic
    codes added by the learned layer are shaded blue.
    """
    coded, first = review_order(coded)
    columns: list[tuple[str, str, int]] = [
        ("expert_id", "Код эксперта", 11),
        ("question", "Вопрос", 12),
        ("answer", "Ответ", 70),
    ]
    columns += [(f"auto:{c}", f"авто: {labels[c]}", 9) for c in categories]
    columns += [
        ("evidence", "Основания (слова ответа)", 45),
        ("denied", "Явно «нет проблемы с…»", 18),
        ("confidence", "Уверенность", 16),
        ("learned", "Добавлено обученным слоем (вероятность)", 18),
        ("review_first", "Проверить первым", 10),
        ("review_reason", "Почему проверить", 30),
        ("suggestion", "Подсказка классификатора (не применена)", 28),
    ]
    columns += [(f"override:{c}", f"исправление: {labels[c]}", 9) for c in categories]
    columns += [("comment", "Комментарий", 30)]
    keys = [k for k, _, _ in columns]
    over = {}
    if overrides is not None and not overrides.empty:
        over = {(str(r.expert_id), r.category): int(r.override) for r in overrides.itertuples()}
    cell = {"text_wrap": True, "valign": "top"}
    fills = {
        "override": {**cell, "pattern": 1, "bg_color": "#FFF2CC"},
        "learned": {**cell, "pattern": 1, "bg_color": "#DDEBF7"},
    }
    with streamed_book(path, "Лист кодирования") as book:
        formats = Formats(book)
        ws = book.add_worksheet(SHEET)
        info = book.add_worksheet("Инструкция")
        widths = [heading_width(label, width) for _, label, width in columns]
        for j, width in enumerate(widths):
            ws.set_column(j, j, width)
        # constant memory: each row is written whole before the next one
        ws.set_row(0, wrapped_height([(label, w) for (_, label, _), w in zip(columns, widths)]))
        for j, (_, label, _) in enumerate(columns):
            write_value(ws, formats, 0, j, label, bold=True, text_wrap=True, valign="bottom")
        for j, (key, _, _) in enumerate(columns):
            write_value(ws, formats, KEY_ROW - 1, j, key, font_size=8, font_color="#808080")
        for n, row in enumerate(coded.to_dict("records")):
            i = FIRST_DATA_ROW - 1 + n
            learned = set(learned_categories(row.get("learned")))
            ws.set_row(i, wrapped_height([(row.get(key), w) for key, w in zip(keys, widths)]))
            for j, key in enumerate(keys):
                props = cell
                value: Any
                if key.startswith("auto:"):
                    value = int(row[key[5:]])
                    if key[5:] in learned:
                        props = fills["learned"]
                elif key.startswith("override:"):
                    value = over.get((str(row["expert_id"]), key[9:]))  # None: no override
                    props = fills["override"]
                elif key == "review_first":
                    value = "да" if n < first else ""
                else:
                    value = row.get(key, "")
                write_value(ws, formats, i, j, value, **props)
        last = FIRST_DATA_ROW - 1 + max(len(coded), 1) - 1
        first_over = keys.index(f"override:{categories[0]}")
        ws.data_validation(
            FIRST_DATA_ROW - 1,
            first_over,
            last,
            first_over + len(categories) - 1,
            {
                "validate": "list",
                "source": ["0", "1"],
                "ignore_blank": True,
                "error_title": "Только 0 или 1",
                "error_message": "Введите 1 (категория есть), 0 (категории нет) или оставьте пусто.",
            },
        )
        ws.freeze_panes(FIRST_DATA_ROW - 1, 3)
        ws.autofilter(KEY_ROW - 1, 0, max(last, KEY_ROW - 1), len(columns) - 1)
        # 30-odd columns: three landscape pages across (about 8-point text), the expert code repeated
        a4_setup(ws, landscape=True, title_rows=(0, 1), side=0.75, pages_wide=3, title_columns=(0, 0))
        lines = [
            "Как проверить кодирование",
            f"Сначала проверьте {first} {_answers(first)} из {len(coded)}, помеченных «проверить первым»: "
            "они стоят в начале листа. Ответы упорядочены по тому, насколько вероятна ошибка кодирования: "
            "выше стоят ответы, где обученный слой расходится с правилами или добавил код (голубые ячейки "
            "«авто»), где ничего не закодировано, длинные ответы, опечатки; причина указана в столбце "
            "«Почему проверить».",
            "1. На листе «Кодирование» у каждого ответа — автоматические коды (столбцы «авто»), "
            "слова, на которых они основаны, и подсказки классификатора.",
            "2. Если код неверен, поставьте 1 или 0 в столбце «исправление» этой категории. "
            "Пустая ячейка — согласие с автоматическим кодом.",
            "3. Подсказки классификатора не применяются сами: примите их, проставив исправление.",
            "4. Сохраните файл и запустите: survey run --overrides <этот файл>. Исправления имеют приоритет; "
            "в отчёте сохраняются оба кодирования и число исправлений.",
            "Не меняйте строку 2 (служебные ключи столбцов) и коды экспертов. Порядок строк можно менять.",
        ]
        if synthetic:
            lines.append(
                "Данные синтетические: сгенерированы для демонстрации, не являются ответами реальных экспертов."
            )
        info.set_column(0, 0, 110)
        for r, text in enumerate(lines):
            write_value(info, formats, r, 0, text, bold=r == 0, text_wrap=True)
    return Path(path)


OVERRIDE_VALUES = "1, 0 или пустая ячейка"


def override_value(value: Any) -> tuple[int | None, bool]:
    """(0, 1 or None for blank, valid): exactly 0, 1 or blank — nothing else («да», «+», «x»,
    «нет», «—» are refused, as the README says).

    >>> [override_value(v) for v in (1, 0.0, " 1 ", None, "")]
    [(1, True), (0, True), (1, True), (None, True), (None, True)]
    >>> [override_value(v)[1] for v in ("да", "+", "x", "нет", "—", 2, True)]
    [False, False, False, False, False, False, False]
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, True
    if isinstance(value, bool):
        return None, False
    if isinstance(value, (int, float)) and value in (0, 1):
        return int(value), True
    if isinstance(value, str) and value.strip() in ("0", "1"):
        return int(value.strip()), True
    return None, False


def read_overrides(path: str | Path, categories: list[str]) -> pd.DataFrame:
    """Read overrides from a coding sheet (xlsx) or a CSV.

    Returns ``expert_id, category, override, location`` for every filled override cell; what is
    not applied is listed in ``frame.attrs["problems"]`` (:class:`~survey.errors.Problem`
    warnings: an ``override:`` column of an unknown category, a row without an expert code, a
    repeated row with the same value). Values other than exactly 0, 1 or blank, formulas without
    a stored result, and two rows giving one code different values raise
    :class:`InvalidDataError` naming each cell.
    """
    path = Path(path)
    data = read_bytes(path)
    if path.suffix.lower() in (".xlsx", ".xlsm") or data[:4] == b"PK\x03\x04":
        rows, header, sheet, formulas = _xlsx_rows(path, data)
    else:
        rows, header, sheet = _csv_rows(path, data)
        formulas = {}
    letters = sheet is not None
    problems: list[Problem] = []

    def where(row: int | None, j: int) -> Location:
        return Location(
            path.name, sheet=sheet, row=row, column=col_letter(j + 1) if letters else header[j], header=header[j]
        )

    keys: dict[int, str] = {}
    for j, name in enumerate(header):
        name = str(name or "").strip()
        cat = name[9:].strip() if name.startswith("override:") else (name if name in categories else None)
        if cat in categories:
            keys[j] = cat
        elif name.startswith("override:"):
            near = difflib.get_close_matches(cat or "", categories, n=1, cutoff=0.5)
            problems.append(
                Problem(
                    where(None, j),
                    Code.OVERRIDE_NOT_APPLIED,
                    f"столбец «{name}»: категории «{cat}» нет в кодовой книге, исправления в нём не применены.",
                    f"Переименуйте столбец в «override:{near[0]}»." if near else "Проверьте название категории.",
                    value=name,
                )
            )
    if "expert_id" not in header or not keys:
        raise InputError(
            f"{path}: не найдены столбцы expert_id и override:<категория>. Используйте лист "
            "кодирования из папки отчёта (coding/coding_sheet.xlsx) или CSV с этими столбцами."
            + ("\n" + "\n".join(f"  - {p} {p.fix}" for p in problems) if problems else "")
        )
    id_col = header.index("expert_id")
    found: dict[tuple[str, str], dict[str, Any]] = {}
    bad: list[Problem] = []
    for row_number, values in rows:
        expert = values[id_col] if id_col < len(values) else None
        filled = {j: values[j] for j in keys if j < len(values) and override_value(values[j]) != (None, True)}
        formula_cells = {j for j in keys if (row_number, j) in formulas}
        if expert is None or str(expert).strip() == "":
            if filled or formula_cells:
                problems.append(
                    Problem(
                        Location(path.name, sheet=sheet, row=row_number),
                        Code.OVERRIDE_NOT_APPLIED,
                        f"в строке {row_number} есть исправления, но нет кода эксперта; они не применены.",
                        "Впишите код эксперта (expert_id) или удалите строку.",
                    )
                )
            continue
        expert_id = _id_text(expert)
        for j, cat in keys.items():
            raw = values[j] if j < len(values) else None
            loc = where(row_number, j)
            formula = formulas.get((row_number, j))
            if formula is not None and (not formula[1] or raw is None):
                bad.append(
                    Problem(
                        loc,
                        Code.BAD_OVERRIDE,
                        f"в ячейке исправления для «{cat}» формула «{formula[0]}» без сохранённого результата.",
                        f"Впишите значение ({OVERRIDE_VALUES}) вместо формулы.",
                        field=cat,
                        value=formula[0],
                    )
                )
                continue
            flag, ok = override_value(raw)
            if not ok:
                bad.append(
                    Problem(
                        loc,
                        Code.BAD_OVERRIDE,
                        f"исправление «{raw}» для «{cat}» (эксперт «{expert_id}») — не 0 и не 1.",
                        "Поставьте 1 (категория есть), 0 (нет) или оставьте ячейку пустой; другие значения "
                        "(«да», «+», «x», «нет», «—») не принимаются.",
                        field=cat,
                        value=raw,
                    )
                )
                continue
            if flag is None:
                continue
            previous = found.get((expert_id, cat))
            if previous is not None:
                if previous["override"] != flag:
                    bad.append(
                        Problem(
                            loc,
                            Code.BAD_OVERRIDE,
                            f"для эксперта «{expert_id}» и «{cat}» два разных исправления: {previous['override']} "
                            f"({previous['location']}) и {flag}.",
                            "Оставьте одно исправление для каждого эксперта и категории.",
                            field=cat,
                            value=raw,
                        )
                    )
                else:
                    problems.append(
                        Problem(
                            loc,
                            Code.OVERRIDE_NOT_APPLIED,
                            f"исправление {flag} для эксперта «{expert_id}» и «{cat}» повторяет строку "
                            f"{previous['location']}; применено один раз.",
                            "Удалите повторную строку.",
                            field=cat,
                        )
                    )
                continue
            found[(expert_id, cat)] = {"expert_id": expert_id, "category": cat, "override": flag, "location": str(loc)}
    if bad:
        raise InvalidDataError(
            f"{path}: недопустимые исправления ({len(bad)}):\n" + "\n".join(f"  - {p}" for p in bad),
            problems=bad + problems,
        )
    frame = pd.DataFrame(list(found.values()), columns=["expert_id", "category", "override", "location"])
    frame.attrs["problems"] = problems
    return frame


def _answers(n: int) -> str:
    """«ответ», «ответа» or «ответов» after the number ``n``."""
    if n % 10 == 1 and n % 100 != 11:
        return "ответ"
    if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        return "ответа"
    return "ответов"


def _id_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _xlsx_rows(path: Path, data: bytes):
    check_zip_limits(path, data)
    book = read_book(path, data)
    sheets = {s.title: s for s in book.sheets}
    if not book.sheets:
        return [], [], None, {}
    ws = sheets.get(SHEET) or book.sheets[0]
    for number, row in ws.rows[:5]:
        texts = [str(v).strip() if v is not None else "" for v in row]
        if "expert_id" in texts:
            rows = [(n, r) for n, r in ws.rows if n > number]
            return rows, texts, ws.title, ws.formulas
    return [], [], ws.title, {}


def _csv_rows(path: Path, data: bytes):
    text, _ = decode_text(path, data)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        raise InputError(f"{path}: ошибка формата CSV ({exc}). Проверьте кавычки.") from None
    if not rows:
        return [], [], None
    header = [h.strip() for h in rows[0]]
    return [(i + 2, [v if v != "" else None for v in r]) for i, r in enumerate(rows[1:])], header, None


def apply_overrides(auto: pd.DataFrame, overrides: pd.DataFrame, categories: list[str]) -> OverrideResult:
    """Final codes: ``auto`` (expert_id + categories) with ``overrides`` applied (override wins)."""
    final = auto.copy()
    index = {eid: i for i, eid in enumerate(final["expert_id"].astype(str))}
    problems: list[Problem] = list(overrides.attrs.get("problems", []))
    records = []
    for r in overrides.itertuples():
        if r.expert_id not in index:
            problems.append(
                Problem(
                    Location(str(r.location)),
                    Code.UNKNOWN_EXPERT,
                    f"исправление {r.override} для «{r.category}» эксперта «{r.expert_id}», которого нет среди "
                    "принятых анкет, не применено.",
                    "Проверьте код эксперта.",
                    field=str(r.category),
                    value=r.expert_id,
                )
            )
            continue
        i = index[r.expert_id]
        before = int(final.at[i, r.category])
        final.at[i, r.category] = int(r.override)
        records.append(
            {
                "expert_id": r.expert_id,
                "category": r.category,
                "auto": before,
                "override": int(r.override),
                "location": r.location,
            }
        )
    applied = pd.DataFrame(records, columns=["expert_id", "category", "auto", "override", "location"])
    return OverrideResult(
        final=final,
        overrides=applied,
        answers=applied["expert_id"].nunique() if len(applied) else 0,
        cells=len(applied),
        changed=int((applied["auto"] != applied["override"]).sum()) if len(applied) else 0,
        problems=problems,
    )
