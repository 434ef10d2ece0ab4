"""Parse one raw cell value by question type. Pure functions, no I/O.

Each parser returns ``(value, None)`` on success — ``value`` is ``None`` when the cell is
empty — or ``(None, Issue)`` with a Russian message and a fix.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from survey.base.missing import is_blank
from survey.base.text import clean_cell_text, fold
from survey.errors import Code
from survey.inputs import limits
from survey.spec.questionnaire import Field, Option

TRUE_WORDS = {"1", "да", "x", "х", "+", "v", "✓", "✔", "true", "истина", "yes", "отмечено"}
FALSE_WORDS = {"0", "нет", "-", "–", "—", "false", "ложь", "no"}
_MONTHS = {
    "январ": 1,
    "феврал": 2,
    "март": 3,
    "марта": 3,
    "апрел": 4,
    "ма": 5,
    "июн": 6,
    "июл": 7,
    "август": 8,
    "сентябр": 9,
    "октябр": 10,
    "ноябр": 11,
    "декабр": 12,
}
_DATE_FORMATS = (
    "%d.%m.%Y",
    "%d.%m.%y",
    "%Y-%m-%d",
    "%d/%m/%Y",
    "%d-%m-%Y",
    "%Y.%m.%d",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
)
_CODE_PREFIX = re.compile(r"^\s*(\d+)\s*(?:[.)\-–—:]\s*|\s+)(.*)$")
_LIST_SPLIT = re.compile(r"[;\n|]+|,(?!\d)")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


@dataclass(frozen=True)
class Issue:
    code: Code
    message: str
    fix: str = ""


def parse_text(value: Any, field: Field) -> tuple[str | None, Issue | None]:
    if is_blank(value):
        return None, None
    if isinstance(value, bool):
        text = "да" if value else "нет"
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    elif isinstance(value, (dt.datetime, dt.date)):
        text = value.isoformat()
    else:
        text = clean_cell_text(str(value))
    limit = field.max_length or limits.MAX_ANSWER_CHARS
    if len(text) > limit:
        return None, Issue(
            Code.TOO_LONG,
            f"ответ слишком длинный ({len(text)} символов; предел {limit}).",
            "Сократите ответ или разбейте его; проверьте, не вставлен ли в ячейку лишний текст.",
        )
    return (text or None), None


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if _THOUSANDS.fullmatch(text):  # «1 500», «12 000»: spaces only as thousands separators
            text = _SPACES.sub("", text)
        if re.fullmatch(r"[+-]?\d+", text):
            return int(text)
        if re.fullmatch(r"[+-]?\d+[.,]0+", text):
            return int(re.split(r"[.,]", text)[0])
    return None


_SPACES = re.compile(r"[ \u00a0\u202f\u2009]")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:[ \u00a0\u202f\u2009]\d{3})+")
_SPACED_DIGITS = re.compile(r"[+-]?\d+(?:\s+\d+)+")


def _not_integer(value: Any) -> Issue:
    if isinstance(value, str) and _SPACED_DIGITS.fullmatch(value.strip()):
        return Issue(
            Code.NOT_INTEGER,
            f"«{value}» — цифры разделены пробелом, и это не разделитель тысяч (как в «1 500»): неясно, "
            "одно это число или несколько.",
            "Укажите одно число без пробелов, например 15.",
        )
    return Issue(Code.NOT_INTEGER, f"«{value}» — не целое число.", "Укажите число цифрами, например 12.")


def _options_hint(field: Field, limit: int = 12, options: Sequence[Option] | None = None) -> str:
    options = field.options if options is None else options
    text = "; ".join(f"{o.code} — {o.label}" for o in options[:limit])
    return text + ("; …" if len(options) > limit else "")


_DECIMAL = re.compile(r"[+-]?\d*[.,]\d+")


def _scale_hint(field: Field) -> str:
    """«оценку от 1 до 5 (целое число) или 9 — затрудняюсь ответить»: every point, not only the labelled ones."""
    hint = f"оценку от {field.min} до {field.max} (целое число)"
    if field.missing:
        hint += " или " + ", ".join(f"{m} — {field.option_by_code(m).label}" for m in field.missing)
    return hint


def match_option(value: Any, field: Field) -> Option | None:
    """Option by code (1, "1", 1.0), by label (case/ё-insensitive) or "1 — label"."""
    code = _as_int(value)
    if code is not None:
        return next((o for o in field.options if o.code == code), None)
    if not isinstance(value, str):
        return None
    key = fold(value)
    for o in field.options:
        if fold(o.label) == key or o.name == key:
            return o
    m = _CODE_PREFIX.match(value)
    if m:
        opt = next((o for o in field.options if o.code == int(m.group(1))), None)
        if opt and (not m.group(2).strip() or fold(m.group(2)) == fold(opt.label)):
            return opt
    return None


def parse_choice(value: Any, field: Field) -> tuple[int | None, Issue | None]:
    """Single choice or scale: the option code.

    A scale takes every whole number from ``min`` to ``max`` and its declared ``missing`` codes,
    whether or not each point has an option label (a 1–10 scale labelled only at its ends
    accepts 4).
    """
    if is_blank(value):
        return None, None
    opt = match_option(value, field)
    if opt is not None:
        return opt.code, None
    if field.type == "scale" and field.min is not None:
        code = _as_int(value)
        if code is not None and field.min <= code <= field.max:
            return code, None
        allowed = f"Укажите {_scale_hint(field)}."
        if code is not None:
            return None, Issue(Code.OUT_OF_RANGE, f"оценка {code} вне шкалы {field.min}–{field.max}.", allowed)
        if isinstance(value, float) or isinstance(value, str) and _DECIMAL.fullmatch(value.strip()):
            return None, Issue(Code.NOT_INTEGER, f"оценка «{value}» — не целое число.", allowed)
        if isinstance(value, str) and _SPACED_DIGITS.fullmatch(value.strip()):
            return None, Issue(_not_integer(value).code, _not_integer(value).message, allowed)
        labelled = [o for o in field.options if o.code not in field.missing]
        words = "; подписанные точки можно написать и словами: " + _options_hint(field, options=labelled)
        return None, Issue(
            Code.UNKNOWN_OPTION,
            f"значение «{value}» — не оценка шкалы.",
            allowed[:-1] + (words if labelled else "") + ".",
        )
    return None, Issue(
        Code.UNKNOWN_OPTION,
        f"значение «{value}» не входит в список вариантов ответа.",
        f"Выберите код или текст варианта: {_options_hint(field)}.",
    )


def parse_integer(value: Any, field: Field) -> tuple[int | None, Issue | None]:
    if is_blank(value):
        return None, None
    number = _as_int(value)
    if number is None:
        return None, _not_integer(value)
    if field.min is not None and number < field.min or field.max is not None and number > field.max:
        return None, Issue(
            Code.OUT_OF_RANGE,
            f"число {number} вне допустимого диапазона {field.min}–{field.max}.",
            f"Укажите число от {field.min} до {field.max}.",
        )
    return number, None


def _parse_russian_date(text: str) -> dt.date | None:
    m = re.fullmatch(r"(\d{1,2})\s+([а-яё]+)\s+(\d{4})(?:\s*г\.?(?:ода)?)?", fold(text))
    if not m:
        return None
    word = m.group(2)
    month = next((n for stem, n in sorted(_MONTHS.items(), key=lambda kv: -len(kv[0])) if word.startswith(stem)), None)
    if month is None:
        return None
    try:
        return dt.date(int(m.group(3)), month, int(m.group(1)))
    except ValueError:
        return None


_NUMERIC_DATE = re.compile(r"\s*(\d{1,2})([/\-])(\d{1,2})\2(\d{4})\s*")


def date_order_evidence(value: Any) -> str | None:
    """``"dmy"`` or ``"mdy"`` when a text date with «/» or «-» proves its order (a part above 12),
    ``"ambiguous"`` when both parts are 12 or less and differ, else ``None``.

    >>> [date_order_evidence(v) for v in ("04/18/2021", "18/04/2021", "04/05/2021", "05/05/2021", "15.03.2021")]
    ['mdy', 'dmy', 'ambiguous', None, None]
    """
    if not isinstance(value, str):
        return None
    m = _NUMERIC_DATE.fullmatch(value)
    if m is None:
        return None
    first, second = int(m.group(1)), int(m.group(3))
    if first > 12 >= second:
        return "dmy"
    if second > 12 >= first:
        return "mdy"
    if first != second and first <= 12 and second <= 12:
        return "ambiguous"
    return None


def parse_date(value: Any, field: Field, order: str = "dmy") -> tuple[dt.date | None, Issue | None]:
    """A date; ``order`` (``"dmy"`` or ``"mdy"``) says how to read «04/05/2021» (dots are always
    day.month.year, the Russian order)."""
    if is_blank(value):
        return None, None
    date: dt.date | None = None
    if isinstance(value, dt.datetime):
        date = value.date()
    elif isinstance(value, dt.date):
        date = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if 20000 <= value <= 80000:  # an Excel serial date in a cell formatted as a number
            date = _EXCEL_EPOCH + dt.timedelta(days=int(value))
    elif isinstance(value, str):
        text = value.strip().rstrip("г.").strip()
        formats: tuple[str, ...] = _DATE_FORMATS
        if order == "mdy" and _NUMERIC_DATE.fullmatch(text):
            formats = ("%m/%d/%Y", "%m-%d-%Y")
        for fmt in formats:
            try:
                date = dt.datetime.strptime(text, fmt).date()
                break
            except ValueError:
                continue
        if date is None:
            date = _parse_russian_date(value.strip())
    if date is None:
        if order == "mdy" and isinstance(value, str) and _NUMERIC_DATE.fullmatch(value):
            return None, Issue(
                Code.NOT_A_DATE,
                f"«{value}» — не дата в порядке месяц/день/год, которым записан этот столбец.",
                f"Запишите все даты столбца одинаково, лучше как ДД.ММ.ГГГГ, например {field.example_date:%d.%m.%Y}.",
            )
        return None, Issue(
            Code.NOT_A_DATE,
            f"«{value}» — не дата.",
            f"Укажите дату в формате ДД.ММ.ГГГГ, например {field.example_date:%d.%m.%Y}.",
        )
    lo, hi = field.min_date, field.max_date
    if lo and date < lo or hi and date > hi:
        span = f"с {lo:%d.%m.%Y} по {hi:%d.%m.%Y}" if lo and hi else ""
        return None, Issue(
            Code.OUT_OF_RANGE,
            f"дата {date:%d.%m.%Y} вне периода опроса {span}.",
            "Проверьте год и порядок дня и месяца (ДД.ММ.ГГГГ).",
        )
    return date, None


def parse_flag(value: Any) -> tuple[int | None, Issue | None]:
    """One multiple-choice option cell: 1/0, да/нет, x, ✓ … (empty → not chosen)."""
    if is_blank(value):
        return None, None
    if isinstance(value, bool):
        return int(value), None
    if isinstance(value, (int, float)) and value in (0, 1):
        return int(value), None
    key = fold(str(value))
    if key in TRUE_WORDS:
        return 1, None
    if key in FALSE_WORDS:
        return 0, None
    return None, Issue(
        Code.NOT_A_FLAG,
        f"«{value}» — ожидается отметка варианта.",
        "Поставьте 1 (или «да», «x»), если вариант выбран, и оставьте пустым или 0, если нет.",
    )


def parse_option_list(value: Any, field: Field) -> tuple[set[str] | None, Issue | None]:
    """A multiple-choice answer in one cell: codes or labels separated by ; , or new lines."""
    if is_blank(value):
        return None, None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        parts: list[str] = [str(value)]
    else:
        parts = [p for p in (s.strip() for s in _LIST_SPLIT.split(str(value))) if p]
        if len(parts) == 1 and re.fullmatch(r"(\d+\s+)+\d+", parts[0]):
            parts = parts[0].split()  # KoboToolbox: space-separated choice names/codes
        elif len(parts) == 1 and " " in parts[0] and match_option(parts[0], field) is None:
            words = parts[0].split()
            # KoboToolbox/ODK: space-separated ASCII choice names; report each unknown name alone
            if all(any(o.name == w for o in field.options) or re.fullmatch(r"[a-z0-9_]+", w) for w in words):
                parts = words
    chosen: set[str] = set()
    unknown = []
    for part in parts:
        opt = match_option(part, field) or next((o for o in field.options if o.name == str(part)), None)
        if opt is None:
            unknown.append(str(part))
        else:
            chosen.add(opt.name)
    if unknown:
        return None, Issue(
            Code.UNKNOWN_OPTION,
            f"варианты «{'», «'.join(unknown)}» не входят в список.",
            f"Перечислите коды или тексты вариантов через «;»: {_options_hint(field)}.",
        )
    return chosen, None
