"""The review loop: a coding sheet for sociologists, and their corrections read back.

``survey run`` writes ``coding/coding_sheet.xlsx``: one row per coded answer with the
answer, the automatic codes, the evidence, what the answer denies, the confidence, the
classifier's suggestions, and empty *override* columns (0 or 1 per category). A
sociologist fills overrides where the coder is wrong and runs ``survey run --overrides
coding_sheet.xlsx``: overrides win, both codings are kept (``codes_auto.csv`` and
``codes_final.csv``), and the run reports how many codes were overridden.

Row 1 of the sheet holds Russian headings, row 2 the machine keys
(``auto:distance``, ``override:distance``…) the reader uses; data start on row 3 (after a sort
the key row is found wherever it is, and every other row is data). An override applies to its
row's expert and question. A CSV with ``expert_id`` (+ ``question`` when several questions are
coded) and ``override:<category>`` (or plain ``<category>``) columns works too, in any
separator and encoding a spreadsheet writes.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from survey.base.missing import is_blank
from survey.base.streaming import Formats, a4_setup, heading_width, streamed_book, wrapped_height, write_value
from survey.base.text import bulleted, identity_key, listed
from survey.base.textfile import csv_layout, decode_text
from survey.base.workbook import cell_value
from survey.coding.agreement import respelled_id
from survey.coding.coder import learned_categories
from survey.coding.uncertainty import REVIEW_FIRST
from survey.errors import Code, InputError, InvalidDataError, Location, Problem, SurveyError, UsageError
from survey.inputs.files import check_zip_limits, read_bytes
from survey.inputs.names import MASK
from survey.inputs.readers import coding_keys
from survey.inputs.xlsx import col_letter, read_book

SHEET = "Кодирование"
# the machine keys of the sheet's columns that are not categories' (README «Reviewing the coding»)
SHEET_KEYS = frozenset(
    {"expert_id", "question", "answer", "evidence", "denied", "confidence", "learned", "review_first"}
    | {"review_reason", "suggestion", "comment"}
)
KEY_ROW, FIRST_DATA_ROW = 2, 3
ID_HEADING = "Код эксперта"  # the Russian heading of the expert_id column
AUTO_HEADING, OVERRIDE_HEADING = "авто:", "исправление:"
HEADING_PREFIXES = (AUTO_HEADING, OVERRIDE_HEADING)


@dataclass
class OverrideResult:
    """Final codes after overrides, and what the overrides changed."""

    final: pd.DataFrame  # the automatic codes (expert_id, question…, categories) with overrides
    overrides: pd.DataFrame  # expert_id, question, category, auto, override, location
    answers: int = 0  # answers with at least one override
    cells: int = 0  # override cells filled
    changed: int = 0  # cells where the override differs from auto
    problems: list[Problem] = field(default_factory=list)  # warnings (unknown experts…)
    comments: dict[tuple[str, str | None], str] = field(default_factory=dict)  # (expert, question) → comment

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
    comments: dict[tuple[str, str | None], str] | None = None,
    synthetic: bool = False,
) -> Path:
    """Write the coding sheet for ``coded`` (see :func:`survey.pipeline.code_answers`).

    Answers are sorted by how likely their coding is wrong (:func:`review_order`, the priority
    of :func:`survey.coding.uncertainty.review_flags`), and the first ones are marked
    «проверить первым»; the instructions say how many. Automatic
    codes added by the learned layer are shaded blue. ``overrides`` (applied ones:
    ``expert_id, question, category, override``) and ``comments`` (``(expert, question)`` →
    text) of an earlier review are carried into their rows, so the reviewer can keep working.
    """
    coded, first = review_order(coded)
    columns: list[tuple[str, str, int]] = [
        ("expert_id", ID_HEADING, 11),
        ("question", "Вопрос", 12),
        ("answer", "Ответ", 70),
    ]
    columns += [(f"auto:{c}", f"{AUTO_HEADING} {labels[c]}", 9) for c in categories]
    columns += [
        ("evidence", "Основания (слова ответа)", 45),
        ("denied", "Явно «нет проблемы с…»", 18),
        ("confidence", "Уверенность", 16),
        ("learned", "Добавлено обученным слоем (вероятность)", 18),
        ("review_first", "Проверить первым", 10),
        ("review_reason", "Почему проверить", 30),
        ("suggestion", "Подсказка классификатора (не применена)", 28),
    ]
    columns += [(f"override:{c}", f"{OVERRIDE_HEADING} {labels[c]}", 9) for c in categories]
    columns += [("comment", "Комментарий", 30)]
    keys = [k for k, _, _ in columns]
    over = {}
    if overrides is not None and not overrides.empty:
        over = {(str(r.expert_id), r.question, r.category): int(r.override) for r in overrides.itertuples()}
    notes = comments or {}
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
                    value = over.get((str(row["expert_id"]), row["question"], key[9:]))  # None: no override
                    props = fills["override"]
                elif key == "comment":
                    value = notes.get((str(row["expert_id"]), row["question"]), "")
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
        first_auto = keys.index(f"auto:{categories[0]}")
        ws.data_validation(  # typing over an automatic code is refused: the override column is for that
            FIRST_DATA_ROW - 1,
            first_auto,
            last,
            first_auto + len(categories) - 1,
            {
                "validate": "custom",
                "value": "=FALSE",
                "ignore_blank": False,
                "error_title": "Автоматический код не меняется",
                "error_message": "Поставьте 1 или 0 в столбце «исправление» этой категории: "
                "правки в столбцах «авто» не применяются.",
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
            "Пустая ячейка — согласие с автоматическим кодом. Столбцы «авто» не меняйте: правки в них "
            "не применяются (запуск назовёт такие ячейки).",
            "3. Подсказки классификатора не применяются сами: примите их, проставив исправление.",
            "4. Сохраните файл и запустите: survey run --overrides <этот файл>. Исправления имеют приоритет; "
            "в отчёте сохраняются оба кодирования и число исправлений. Исправления и комментарии "
            "переносятся в новый лист. Если ответ с тех пор изменился, исправления его строки "
            "не применяются (запуск предупредит).",
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


@dataclass
class SheetRow:
    """One data row of a filled coding sheet (or overrides CSV): who and what it is about, and
    what the reviewer saw and typed there besides the overrides."""

    expert_id: str
    question: str | None  # None: the file has no «question» column (one coded question)
    location: Location  # the row (file, sheet, row number)
    answer: str | None = None  # the answer as the sheet showed it; None: no «answer» column
    auto: tuple[Any, ...] = ()  # the «авто» cells' values, in the order of ``attrs["auto_columns"]``
    overridden: set[str] = field(default_factory=set)  # categories with an override in this row
    comment: str = ""


class SheetRows(tuple):
    """The :class:`SheetRow` records of a file, kept in the overrides frame's ``attrs``: pandas
    deep-copies ``attrs`` on every operation, and these are never changed, so they are shared."""

    def __deepcopy__(self, memo: dict[int, Any]) -> SheetRows:
        return self


SHEET_NAME = "coding_sheet.xlsx"  # where a run writes the sheet, under its coding/ folder


def keep_review(out: str | Path, overrides: str | Path | None, categories: list[str], questions: list[str]) -> None:
    """Refuse to write a new coding sheet over one in ``out`` that holds a review this run does not
    apply: overrides or comments typed into it that ``overrides`` (the file this run applies, if
    any) does not hold too — a sheet a run wrote from those same overrides carries copies of them,
    and may be written over. A sheet that cannot be read is refused too: it was edited by hand."""
    sheet = Path(out) / "coding" / SHEET_NAME
    if not sheet.is_file():
        return
    given = overrides is not None and Path(overrides).is_file() and sheet.samefile(overrides)
    fix = (
        f"Чтобы применить их, запустите с --overrides {sheet}; если они не нужны (например, вы убрали их из "
        "файла исправлений намеренно) — перенесите или удалите этот лист либо укажите другую папку (--out)."
    )
    try:
        frame = read_overrides(sheet, categories, questions)
    except SurveyError as exc:
        if given:
            return  # the run reads it as its overrides and says what is wrong there
        raise UsageError(
            f"{sheet}: лист проверки кодов прошлого запуска изменён и не читается ({exc.message}); этот запуск "
            f"записал бы поверх него новый. {fix}"
        ) from None
    stray = frame.attrs.get("stray_columns") or {}
    if stray:  # a category renamed or removed in the codebook: its overrides apply to nothing
        columns = listed(f"«{name}» ({n})" for name, n in stray.items())
        raise UsageError(
            f"{sheet}: в листе проверки кодов есть исправления в столбцах категорий, которых нет в кодовой книге: "
            f"{columns}. Этот запуск записал бы поверх листа новый, и эти исправления пропали бы. "
            "Переименуйте столбцы в листе по новым id категорий (override:<категория>) или удалите их, если "
            "исправления не нужны; либо скопируйте лист в другое место и укажите другую папку --out.",
        )
    if given:
        return
    review = _review_of(frame)
    applied = _review_of(read_overrides(overrides, categories, questions)) if overrides is not None else {}
    lost = [key for key in review if key not in applied]
    if lost:
        codes = [review[key] for key in lost if key[0] == "override"]
        notes = len(lost) - len(codes)
        shown = listed(codes, 5)
        raise UsageError(
            f"{sheet}: в листе проверки кодов прошлого запуска есть исправления ({len(codes)}"
            + (f": {shown}" if codes else "")
            + f") и комментарии ({notes}), которых нет среди применяемых в этом запуске; он записал бы поверх "
            f"листа новый, и они пропали бы. {fix}"
        )


def _review_of(frame: pd.DataFrame) -> dict[tuple[str, str, str, str, str], str]:
    """What a reviewer typed into a sheet or CSV — each override (``override``, expert, question,
    category, value) and each comment (``comment``, expert, question, "", text), experts as
    :func:`identity_key`s so that one review read from two files compares equal — with how to
    name it in a message («E005 legal=1»)."""
    out = {
        ("override", identity_key(r.expert_id), str(r.question or ""), str(r.category), str(int(r.override))): (
            f"{r.expert_id} {r.category}={int(r.override)}"
        )
        for r in frame.itertuples()
    }
    for r in frame.attrs.get("rows", ()):
        if r.comment:
            out[("comment", identity_key(r.expert_id), str(r.question or ""), "", r.comment)] = r.expert_id
    return out


def read_overrides(path: str | Path, categories: list[str], questions: list[str] | None = None) -> pd.DataFrame:
    """Read overrides from a coding sheet (xlsx) or a CSV.

    Returns ``expert_id, question, category, override, location, row`` for every filled override
    cell; ``question`` comes from the file's ``question`` column, or is the only one of
    ``questions`` (coded open questions) when the file has none; a file without the column is
    refused when there are several coded questions. What is not applied is listed in
    ``frame.attrs["problems"]`` (:class:`~survey.errors.Problem` warnings: an ``override:``
    column of an unknown category, a row without an expert code, a row of a question that is not
    coded, a repeated row with the same value); ``frame.attrs["rows"]`` holds each data row as a
    :class:`SheetRow` (answer, «авто» cells, comment) for :func:`apply_overrides`. Values other
    than exactly 0, 1 or blank, formulas without a stored result, and two rows giving one code
    different values raise :class:`InvalidDataError` naming each cell.
    """
    path = Path(path)
    data = read_bytes(path)
    if path.suffix.lower() in (".xlsx", ".xlsm") or data[:4] == b"PK\x03\x04":
        rows, header, sheet, formulas, skipped = _xlsx_rows(path, data)
    else:
        rows, header, sheet = _csv_rows(path, data)
        formulas, skipped = {}, []
    letters = sheet is not None
    problems: list[Problem] = list(skipped)

    def where(row: int | None, j: int) -> Location:
        return Location(
            path.name, sheet=sheet, row=row, column=col_letter(j + 1) if letters else header[j], header=header[j]
        )

    keys: dict[int, str] = {}
    autos: dict[int, str] = {}
    stray: dict[str, int] = {}  # «override:» columns of categories the codebook lacks: filled cells
    for j, name in enumerate(header):
        name = str(name or "").strip()
        cat = name[9:].strip() if name.startswith("override:") else (name if name in categories else None)
        if name.startswith("auto:") and name[5:].strip() in categories:
            autos[j] = name[5:].strip()
        if cat in categories:
            keys[j] = cat
        elif name.startswith("override:"):
            near = difflib.get_close_matches(cat or "", categories, n=1, cutoff=0.5)
            stray[name] = typed = sum(1 for _, values in rows if j < len(values) and not is_blank(values[j]))
            problems.append(
                Problem(
                    where(None, j),
                    Code.OVERRIDE_NOT_APPLIED,
                    f"столбец «{name}»: категории «{cat}» нет в кодовой книге, исправления в нём "
                    f"({typed}) не применены.",
                    f"Переименуйте столбец в «override:{near[0]}»." if near else "Проверьте название категории.",
                    value=name,
                )
            )
    # a column whose key was cleared or cells over keeps its 0/1 cells: said, not dropped unsaid
    for j, name in enumerate(header):
        key = str(name or "").strip()
        if j in keys or key.startswith(("override:", "auto:")) or key in SHEET_KEYS:
            continue
        cells = [n for n, values in rows if j < len(values) and override_value(values[j])[0] is not None]
        if cells:
            problems.append(
                Problem(
                    where(cells[0], j),
                    Code.OVERRIDE_NOT_APPLIED,
                    f"у столбца {where(None, j).column} в строке ключей "
                    + (f"«{key}»" if key else "пусто")
                    + f", а не override:<категория>, но в нём есть 0 и 1 ({len(cells)}, первая — строка "
                    f"{cells[0]}); они не применены.",
                    "Верните ключ столбца (override:<категория>) в строку ключей: скопируйте его из нового листа "
                    "coding/coding_sheet.xlsx.",
                )
            )
    if "expert_id" not in header or not keys:
        found_columns = listed(f"«{h}»" for h in header if str(h or "").strip())
        raise InputError(
            f"{path}: не найдены столбцы expert_id и override:<категория>"
            + (f" (прочитаны столбцы: {found_columns})" if found_columns else "")
            + ". Используйте лист кодирования из папки отчёта (coding/coding_sheet.xlsx) или CSV с этими "
            "столбцами." + ("\n" + "\n".join(f"  - {p} {p.fix}" for p in problems) if problems else "")
        )
    id_col = header.index("expert_id")
    q_col = header.index("question") if "question" in header else None
    answer_col = header.index("answer") if "answer" in header else None
    comment_col = header.index("comment") if "comment" in header else None
    only_question = questions[0] if questions and len(questions) == 1 else None
    if q_col is None and questions and len(questions) > 1:
        raise InvalidDataError(
            f"{path}: кодируются несколько открытых вопросов ({listed(questions)}), а в файле исправлений нет "
            "столбца question — непонятно, к какому вопросу относятся исправления; ничего не применено. "
            "Добавьте столбец question с кодом вопроса в каждой строке (как в coding/coding_sheet.xlsx).",
            problems=problems,
        )

    def cell(values: list[Any], j: int | None) -> Any:
        return values[j] if j is not None and j < len(values) else None

    found: dict[tuple[str, str | None, str], dict[str, Any]] = {}
    sheet_rows: list[SheetRow] = []
    bad: list[Problem] = []
    for row_number, values in rows:
        expert = cell(values, id_col)
        filled = {j: values[j] for j in keys if j < len(values) and override_value(values[j]) != (None, True)}
        formula_cells = {j for j in keys if (row_number, j) in formulas}
        row_loc = Location(path.name, sheet=sheet, row=row_number)
        if expert is None or str(expert).strip() == "":
            if filled or formula_cells:
                problems.append(
                    Problem(
                        row_loc,
                        Code.OVERRIDE_NOT_APPLIED,
                        f"в строке {row_number} есть исправления, но нет кода эксперта; они не применены.",
                        "Впишите код эксперта (expert_id) или удалите строку.",
                    )
                )
            continue
        expert_id = _id_text(expert)
        raw_question = cell(values, q_col)
        question = only_question if q_col is None else (_id_text(raw_question) if raw_question is not None else "")
        if questions is not None and q_col is not None and question not in questions:
            if filled or formula_cells:
                problems.append(
                    Problem(
                        where(row_number, q_col),
                        Code.OVERRIDE_NOT_APPLIED,
                        f"в строке {row_number} (эксперт «{expert_id}») вопрос «{question}» — не кодируемый открытый "
                        f"вопрос ({listed(questions)}); исправления строки не применены.",
                        "Впишите в столбец question код кодируемого вопроса.",
                        value=question,
                    )
                )
            continue
        answer = cell(values, answer_col)
        comment = cell(values, comment_col)
        record = SheetRow(
            expert_id,
            question,
            row_loc,
            answer=None if answer_col is None else ("" if answer is None else str(answer)),
            auto=tuple(cell(values, j) for j in autos),
            comment="" if comment is None else str(comment).strip(),
        )
        sheet_rows.append(record)
        for j, cat in keys.items():
            raw = cell(values, j)
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
            record.overridden.add(cat)
            whom = f"эксперта «{expert_id}»" + (f" (вопрос {question})" if q_col is not None else "")
            # one expert however the id is spelled («E061», «е061»): two values for one code conflict
            previous = found.get((identity_key(expert_id), question, cat))
            if previous is not None:
                if previous["override"] != flag:
                    bad.append(
                        Problem(
                            loc,
                            Code.BAD_OVERRIDE,
                            f"для {whom} и «{cat}» два разных исправления: {previous['override']} "
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
                            f"исправление {flag} для {whom} и «{cat}» повторяет строку "
                            f"{previous['location']}; применено один раз.",
                            "Удалите повторную строку.",
                            field=cat,
                        )
                    )
                continue
            found[(identity_key(expert_id), question, cat)] = {
                "expert_id": expert_id,
                "question": question,
                "category": cat,
                "override": flag,
                "location": str(loc),
                "row": row_number,
            }
    if bad:
        raise InvalidDataError(
            f"{path}: недопустимые исправления ({len(bad)}):\n" + bulleted(bad),
            problems=bad + problems,
        )
    frame = pd.DataFrame(list(found.values()), columns=OVERRIDE_COLUMNS)
    frame.attrs["problems"] = problems
    frame.attrs["stray_columns"] = {name: n for name, n in stray.items() if n}  # overrides of unknown categories
    frame.attrs["rows"] = SheetRows(sheet_rows)
    frame.attrs["auto_columns"] = [(cat, where(None, j)) for j, cat in autos.items()]  # (category, column)
    return frame


OVERRIDE_COLUMNS = ["expert_id", "question", "category", "override", "location", "row"]


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


def _is_heading(texts: list[str]) -> bool:
    """Whether a sheet row is the Russian heading row (row 1 as written), not data."""
    return ID_HEADING in texts or sum(t.startswith(HEADING_PREFIXES) for t in texts) >= 2


def _xlsx_rows(path: Path, data: bytes):
    """The data rows of the coding sheet, its machine keys (the row holding «expert_id»,
    wherever a sort or an inserted row put it), the sheet's name and formulas, and warnings.
    Every row but the key row and the Russian heading row is data, above the key row too."""
    check_zip_limits(path, data)
    book = read_book(path, data)
    sheets = {s.title: s for s in book.sheets}
    if not book.sheets:
        return [], [], None, {}, []
    ws = sheets.get(SHEET) or book.sheets[0]
    # another sheet with the keys and overrides typed in it (a copy the reviewer worked in) is not
    # read: said, with how many of its cells hold a correction
    others = []
    for other in book.sheets:
        if other is ws:
            continue
        for number, row in other.rows:
            texts = [str(v).strip() if v is not None else "" for v in row]
            if coding_keys(texts):
                columns = [j for j, t in enumerate(texts) if t.startswith("override:")]
                typed = sum(
                    1
                    for n, r in other.rows
                    if n != number
                    for j in columns
                    if j < len(r) and override_value(r[j])[0] is not None
                )
                if typed:
                    others.append(
                        Problem(
                            Location(path.name, sheet=other.title),
                            Code.OVERRIDE_NOT_APPLIED,
                            f"лист «{other.title}» — тоже лист кодирования, в нём исправлений: {typed}; читается "
                            f"только лист «{ws.title}», исправления листа «{other.title}» не применены.",
                            f"Перенесите исправления на лист «{ws.title}» (или переименуйте лист с ними в «{SHEET}») и "
                            "удалите лишний.",
                        )
                    )
                break
    for number, row in ws.rows:
        texts = [str(v).strip() if v is not None else "" for v in row]
        if "expert_id" in texts:
            rows = []
            for n, r in ws.rows:
                if n == number or _is_heading([str(v).strip() if v is not None else "" for v in r]):
                    continue
                rows.append((n, r))
            return rows, texts, ws.title, ws.formulas, others
    heading = next((n for n, r in ws.rows if _is_heading([str(v).strip() if v is not None else "" for v in r])), None)
    if heading is not None:
        raise InputError(
            f"{path}, лист «{ws.title}»: нет строки ключей — строки с expert_id, question, override:<категория> "
            f"(в листе, который пишет survey, это строка {KEY_ROW}, под заголовками; видимо, её удалили). "
            "По ней исправления находят свои столбцы. Верните её: отмените удаление в Excel или скопируйте "
            f"строку {KEY_ROW} из нового листа coding/coding_sheet.xlsx (столбцы в том же порядке) на её место."
        )
    return [], [], ws.title, {}, []


def _csv_rows(path: Path, data: bytes):
    """Rows of an overrides CSV in any encoding and separator a spreadsheet writes
    (:mod:`survey.base.textfile`: UTF-8, UTF-16, cp1251; «,», «;» or tab)."""
    body, delimiter = csv_layout(decode_text(path, data)[0])  # Excel's «sep=;» line is left blank
    try:
        rows = list(csv.reader(io.StringIO(body, newline=""), delimiter=delimiter, strict=True))
    except csv.Error as exc:
        raise InputError(f"{path}: ошибка формата CSV ({exc}). Проверьте кавычки.") from None
    # the header is the row of machine keys: a coding sheet saved as CSV has the Russian headings
    # above it (and Excel's «sep=;» line, left blank, above those)
    at = next((i for i, r in enumerate(rows[:5]) if "expert_id" in (v.strip() for v in r)), None)
    if at is None:
        at = 1 if rows and not rows[0] else 0
    if len(rows) <= at:
        return [], [], None
    header = [h.strip() for h in rows[at]]
    records = [
        (i + 1, [v if v != "" else None for v in r])
        for i, r in enumerate(rows)
        if i > at and not _is_heading([v.strip() for v in r])
    ]
    return records, header, None


LISTED = 20  # cells of one kind named one by one in the warnings; the rest are counted


def _answer_key(text: Any) -> str:
    """An answer as compared with the one a coding sheet showed: as the sheet stores it
    (:func:`~survey.base.workbook.cell_value`), spaces and line breaks aside."""
    value, _ = cell_value(text)
    return " ".join(str(value).split()) if value is not None else ""


def _same_answer(shown: Any, now: Any) -> bool:
    """Whether the answer a sheet showed is the answer now: equal as :func:`_answer_key`s, where a
    name the sheet showed masked («[ФИО]», a review of an anonymised run) stands for any words
    (the run now keeps names: ``--with-names``).

    >>> _same_answer("Спросите [ФИО] ,  он знает", "Спросите Петрова, он знает")
    False
    >>> _same_answer("Спросите [ФИО], он знает", "Спросите Петрова П.П., он знает")
    True
    """
    a, b = _answer_key(shown), _answer_key(now)
    if a == b or MASK not in a or MASK in b:
        return a == b
    pattern = ".+?".join(re.escape(part) for part in a.split(MASK))
    return re.fullmatch(pattern, b, flags=re.DOTALL) is not None


def apply_overrides(auto: pd.DataFrame, overrides: pd.DataFrame, categories: list[str]) -> OverrideResult:
    """Final codes: ``auto`` with ``overrides`` (from :func:`read_overrides`) applied, override wins.

    ``auto`` is ``expert_id`` (+ ``question`` and ``answer`` when several questions or the
    answers are known) + one 0/1 column per category. An override applies to its expert and
    question; expert ids match as :func:`~survey.base.text.identity_key` reads them (a different
    spelling is applied with a warning). Warnings, not applied: an expert who is not in ``auto``;
    a row whose answer differs from the answer now (the override was made for another text).
    A warning also names each «авто» cell that differs from this run's automatic code without an
    override beside it (a correction typed in the wrong column is not applied)."""
    final = auto.copy()
    has_question = "question" in final.columns
    experts = final["expert_id"].astype(str)
    questions = final["question"].astype(str) if has_question else pd.Series([None] * len(final), dtype=object)
    index: dict[tuple[str, str | None], int] = {}
    for n, (eid, qid) in enumerate(zip(experts, questions)):
        index.setdefault((identity_key(eid), qid), n)
    several = questions.nunique() > 1  # messages name the question
    answers = final["answer"].tolist() if "answer" in final.columns else None
    problems: list[Problem] = list(overrides.attrs.get("problems", []))
    sheet_rows: list[SheetRow] = list(overrides.attrs.get("rows", []))
    auto_columns: list[tuple[str, Location]] = list(overrides.attrs.get("auto_columns", []))
    codes_now = final[categories].to_numpy()  # the automatic codes, before any override
    column_of = {cat: j for j, cat in enumerate(categories)}
    skipped_rows: set[int | None] = set()  # rows whose overrides are not applied (answer changed)
    typed_in: dict[Any, list[str]] = {}  # row → «legal=1», as the reviewer typed them (named when not applied)
    for o in overrides.itertuples():
        typed_in.setdefault(o.row, []).append(f"{o.category}={int(o.override)}")
    comments: dict[tuple[str, str | None], str] = {}
    edited: list[Problem] = []
    for r in sheet_rows:
        qid = r.question if has_question else None
        pos = index.get((identity_key(r.expert_id), qid))
        if pos is None:
            if r.comment and not r.overridden:
                problems.append(
                    Problem(
                        r.location,
                        Code.OVERRIDE_NOT_APPLIED,
                        f"комментарий к эксперту «{r.expert_id}», которого нет среди принятых анкет, не перенесён "
                        "в новый лист кодирования.",
                        "Проверьте код эксперта.",
                        value=r.expert_id,
                    )
                )
            continue
        eid = experts.iloc[pos]
        if r.comment:
            comments[(eid, qid)] = r.comment
        if r.expert_id != eid:
            problems.append(respelled_id(r.location, Code.OVERRIDE_ID_RESPELLED, r.expert_id, eid, "файле исправлений"))
        if answers is not None and r.answer is not None and not _same_answer(r.answer, answers[pos]):
            skipped_rows.add(r.location.row)
            if r.overridden:
                problems.append(
                    Problem(
                        r.location,
                        Code.OVERRIDE_ANSWER_CHANGED,
                        f"ответ эксперта «{eid}»" + (f" на вопрос {qid}" if several else "") + " изменился после "
                        f"проверки (в листе: «{_short(r.answer)}», теперь: «{_short(answers[pos])}»); "
                        f"исправления строки ({listed(sorted(typed_in.get(r.location.row) or r.overridden))}) не "
                        "применены.",
                        "Проверьте новый ответ в новом листе кодирования и поставьте исправления заново (значения "
                        "прежних исправлений — в этом сообщении и в validation.csv).",
                        value=eid,
                    )
                )
            continue
        for (cat, column), value in zip(auto_columns, r.auto):
            if cat in r.overridden:
                continue
            typed, _ = override_value(value)
            now = int(codes_now[pos, column_of[cat]])
            if typed != now:
                edited.append(
                    Problem(
                        column.with_(row=r.location.row),
                        Code.AUTO_CELL_EDITED,
                        f"в столбце «авто» для «{cat}» (эксперт «{eid}») стоит «{'' if value is None else value}», "
                        f"а автоматический код этого запуска — {now}.",
                        "Если с записи листа менялась кодовая книга, это её новый код — ничего делать не нужно. "
                        f"Если это ваше исправление, поставьте {typed if typed is not None else '0 или 1'} в столбце "
                        f"«override:{cat}» («исправление») этой строки: правки в столбцах «авто» не применяются.",
                        field=cat,
                        value=value,
                    )
                )
    problems.extend(edited[:LISTED])
    if len(edited) > LISTED:
        problems.append(
            Problem(
                edited[LISTED].location.with_(column=None, header=None),
                Code.AUTO_CELL_EDITED,
                f"ещё {len(edited) - LISTED} ячеек «авто» расходятся с автоматическими кодами этого запуска; "
                "правки в них не применяются.",
                "Исправления ставьте в столбцы «исправление»; если менялась кодовая книга, расхождения ожидаемы.",
            )
        )
    records: dict[tuple[str, str | None, str], dict[str, Any]] = {}
    for r in overrides.itertuples():
        if getattr(r, "row", None) in skipped_rows:
            continue
        qid = r.question if has_question else None
        pos = index.get((identity_key(r.expert_id), qid))
        if pos is None:
            problems.append(
                Problem(
                    Location(str(r.location)),
                    Code.UNKNOWN_EXPERT,
                    f"исправление {r.override} для «{r.category}» эксперта «{r.expert_id}»"
                    + (f" (вопрос {r.question})" if several and r.question else "")
                    + ", которого нет среди принятых анкет, не применено.",
                    "Проверьте код эксперта.",
                    field=str(r.category),
                    value=r.expert_id,
                )
            )
            continue
        eid = experts.iloc[pos]
        key = (eid, qid, r.category)
        if key in records:  # two spellings of one id in two rows
            first = records[key]
            same = first["override"] == int(r.override)
            problems.append(
                Problem(
                    Location(str(r.location)),
                    Code.OVERRIDE_NOT_APPLIED,
                    f"исправление {r.override} для «{r.category}» эксперта «{eid}» повторяет "
                    f"{first['location']}"
                    + ("; применено один раз." if same else f" ({first['override']}); применено то."),
                    "Оставьте одну строку для каждого эксперта и вопроса.",
                    field=str(r.category),
                    value=r.expert_id,
                )
            )
            continue
        row = final.index[pos]
        before = int(final.at[row, r.category])
        final.at[row, r.category] = int(r.override)
        if int(r.override) == 1 and answers is not None and is_blank(answers[pos]):
            problems.append(
                Problem(
                    Location(str(r.location)),
                    Code.OVERRIDE_EMPTY_ANSWER,
                    f"исправление 1 для «{r.category}» эксперта «{eid}»"
                    + (f" (вопрос {qid})" if several and qid else "")
                    + ", у которого нет ответа на вопрос: применено, и эксперт входит в базу категорий вопроса "
                    "(без исправления он бы в неё не входил).",
                    "Если строкой ошиблись, уберите исправление; если ответ известен из другого источника, "
                    "впишите его в файл ответов.",
                    field=str(r.category),
                    value=eid,
                )
            )
        records[key] = {
            "expert_id": eid,
            "question": qid if has_question else r.question,
            "category": r.category,
            "auto": before,
            "override": int(r.override),
            "location": r.location,
        }
    applied = pd.DataFrame(list(records.values()), columns=APPLIED_COLUMNS)
    return OverrideResult(
        final=final,
        overrides=applied,
        answers=int(applied[["expert_id", "question"]].astype(str).drop_duplicates().shape[0]) if len(applied) else 0,
        cells=len(applied),
        changed=int((applied["auto"] != applied["override"]).sum()) if len(applied) else 0,
        problems=problems,
        comments=comments,
    )


APPLIED_COLUMNS = ["expert_id", "question", "category", "auto", "override", "location"]


def _short(text: Any, limit: int = 60) -> str:
    flat = " ".join(str(text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
