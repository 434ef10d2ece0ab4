"""Errors that stop work, and problem records that report bad data without stopping.

Bad *data* is reported, not raised: validation returns :class:`Problem` records (file,
sheet, row, column, field, code, message, fix). Exceptions are for situations where work
cannot continue (a file that cannot be read, a broken questionnaire, invalid input that the
user did not allow to be skipped). Every exception carries a Russian message for the user
and the exit code the command line reports.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

# Exit codes of the command line (documented in the README).
EXIT_OK = 0
EXIT_INVALID = 1  # the input was read but has problems
EXIT_UNREADABLE = 2  # an input or configuration file cannot be read at all
EXIT_USAGE = 2  # wrong command-line usage (click's own convention)
EXIT_INTERNAL = 70  # a bug: please report it (EX_SOFTWARE)


class SurveyError(Exception):
    """Base class of every error the project raises on purpose."""

    exit_code = EXIT_UNREADABLE

    def __init__(self, message: str, *, problems: list[Problem] | None = None):
        super().__init__(message)
        self.message = message
        self.problems = list(problems or [])


class InputError(SurveyError):
    """An input file cannot be read at all (missing, corrupt, wrong format)."""

    exit_code = EXIT_UNREADABLE


class ConfigError(SurveyError):
    """A questionnaire, codebook or gazetteer file is broken."""

    exit_code = EXIT_UNREADABLE


class InvalidDataError(SurveyError):
    """The input was read but has problems, and skipping them was not allowed."""

    exit_code = EXIT_INVALID


class UsageError(SurveyError):
    """A call or command names something that does not exist (e.g. an unknown --group-by column)."""

    exit_code = EXIT_USAGE


class OutputError(SurveyError):
    """An output file cannot be written."""

    exit_code = EXIT_UNREADABLE


class Code(StrEnum):
    """The catalogue of problems the tool reports: machine code, severity, Russian name.

    The code is what ``validation.csv`` and ``run.json`` carry; the severity is the default of
    a :class:`Problem` with this code (``error`` rejects the row or stops the run, ``warning``
    does not); the name is what a summary of problems calls the kind.

    >>> Code.BLANK_ROW, Code.BLANK_ROW.severity, Code.BLANK_ROW.description
    (<Code.BLANK_ROW: 'blank-row'>, 'warning', 'пустая строка')
    """

    severity: str
    description: str

    def __new__(cls, code: str, severity: str, description: str) -> Code:
        obj = str.__new__(cls, code)
        obj._value_ = code
        obj.severity = severity
        obj.description = description
        return obj

    # study files (questionnaire, codebook, gazetteer): errors stop every command
    QUESTIONNAIRE = "questionnaire", "error", "ошибка в файле анкеты"
    CODEBOOK = "codebook", "error", "ошибка в кодовой книге"
    GAZETTEER = "gazetteer", "error", "ошибка в справочнике единиц"
    STUDY = "study", "error", "ошибка в настройках исследования"
    PATTERN_UNKNOWN_WORD = "pattern-unknown-word", "warning", "слово шаблона неизвестно словарю"
    QUESTION_NO_CATEGORIES = "question-no-categories", "warning", "у кодируемого вопроса нет категорий"
    PATTERN_LOOKALIKE = "pattern-lookalike", "warning", "латинская буква в русском слове кодовой книги"
    RULE_PHRASE_IGNORED = "rule-phrase-ignored", "warning", "словосочетание в списке правил, читаемом по словам"
    # files and folders
    FILE_SKIPPED = "file-skipped", "warning", "файл пропущен"
    FILE_UNREADABLE = "file-unreadable", "error", "файл не читается"
    ARCHIVE = "archive", "error", "архив в папке с ответами"
    OWN_OUTPUT = "own-output", "warning", "файл, записанный самой программой"
    ENCODING_CP1251 = "encoding-cp1251", "warning", "кодировка Windows-1251"
    ENCODING_UTF16 = "encoding-utf16-no-bom", "warning", "кодировка UTF-16 без BOM"
    SHEET_NOT_READ = "sheet-not-read", "warning", "лист не прочитан"
    HIDDEN_SHEET = "hidden-sheet", "warning", "скрытый лист"
    NO_DATA = "no-data", "error", "в файле нет анкет"
    # columns
    MISSING_COLUMN = "missing-column", "error", "нет столбца"
    MISSING_OPTION_COLUMN = "missing-option-column", "warning", "нет столбца варианта ответа"
    MISSING_OPTIONAL_COLUMN = "missing-optional-column", "warning", "нет столбца необязательного вопроса"
    UNKNOWN_COLUMN = "unknown-column", "warning", "лишний столбец"
    DUPLICATE_COLUMN = "duplicate-column", "warning", "повтор столбца"
    DUPLICATE_COLUMN_VALUE = "duplicate-column-value", "error", "разные ответы в повторённых столбцах"
    # what a worksheet shows beyond values
    MERGED_CELLS = "merged-cells", "warning", "объединённые ячейки"
    HIDDEN_ROW = "hidden-row", "warning", "скрытая строка"
    FORMULA = "formula", "warning", "формула"
    FORMULA_WITHOUT_VALUE = "formula-without-value", "error", "формула без значения"
    EXCEL_ERROR = "excel-error", "error", "ошибка Excel в ячейке"
    BLANK_ROW = "blank-row", "warning", "пустая строка"
    # one value
    REQUIRED_MISSING = "required-missing", "error", "нет обязательного ответа"
    UNKNOWN_OPTION = "unknown-option", "error", "нет такого варианта"
    UNKNOWN_UNIT = "unknown-unit", "error", "нет такой единицы"
    OUT_OF_RANGE = "out-of-range", "error", "вне диапазона"
    NOT_INTEGER = "not-integer", "error", "не целое число"
    NOT_A_DATE = "not-a-date", "error", "не дата"
    DATE_ORDER = "date-order", "warning", "порядок дня и месяца"
    MIXED_SCRIPT = "mixed-script", "warning", "латинские буквы в русском тексте"
    INVISIBLE_CHARACTERS = "invisible-characters", "warning", "невидимые символы"
    NOT_A_FLAG = "not-a-flag", "error", "не отметка"
    TOO_LONG = "too-long", "error", "слишком длинный ответ"
    CONFLICT = "conflict", "error", "противоречивый ответ"
    CONTROL_CHARACTERS = "control-characters", "warning", "управляющие символы"
    DUPLICATE_ID = "duplicate-id", "error", "повтор кода эксперта"
    DUPLICATE_ANSWER_ID = "duplicate-answer-id", "warning", "повтор кода ответа"
    # filled templates
    TEMPLATE_QUESTIONNAIRE = "template-questionnaire", "error", "шаблон другой анкеты"
    TEMPLATE_VERSION = "template-version", "error", "шаблон другой версии анкеты"
    TEMPLATE_DAMAGED = "template-damaged", "error", "шаблон повреждён"
    TEMPLATE_EMPTY = "template-empty", "error", "шаблон не заполнен"
    TEMPLATE_SHEET_EMPTY = "template-sheet-empty", "warning", "лист-анкета не заполнен"
    TEMPLATE_COPIES = "template-copies", "warning", "несколько листов-анкет"
    TEMPLATE_RENAMED = "template-renamed", "warning", "лист анкеты переименован"
    TEMPLATE_SHIFTED = "template-shifted", "warning", "в листе анкеты удалён или вставлен столбец"
    TEMPLATE_REPEATED_ROW = "template-repeated-row", "error", "строка анкеты повторяется"
    TEMPLATE_STRAY_TEXT = "template-stray-text", "warning", "текст вне ячеек ответов"
    # the review loop (overrides of codes)
    BAD_OVERRIDE = "bad-override", "error", "неверное исправление кода"
    UNKNOWN_EXPERT = "unknown-expert", "warning", "исправление для неизвестного эксперта"
    OVERRIDE_NOT_APPLIED = "override-not-applied", "warning", "исправление не применено"
    OVERRIDE_ANSWER_CHANGED = "override-answer-changed", "warning", "ответ изменился после проверки"
    OVERRIDE_EMPTY_ANSWER = "override-empty-answer", "warning", "исправление у эксперта без ответа"
    AUTO_CELL_EDITED = "auto-cell-edited", "warning", "правка в столбце автоматического кода"
    OVERRIDE_ID_RESPELLED = "override-id-respelled", "warning", "код эксперта в исправлениях написан иначе"
    CODED_NOT_ANALYSED = "coded-not-analysed", "warning", "коды вопроса не входят в таблицы анализа"
    # the gold (reference) coding that a run is measured against
    GOLD_UNKNOWN_EXPERT = "gold-unknown-expert", "warning", "строка эталона для неизвестного эксперта"
    GOLD_ID_RESPELLED = "gold-id-respelled", "warning", "код эксперта в эталоне написан иначе"
    GOLD_COLUMNS = "gold-columns", "warning", "столбцы эталона не совпадают с категориями"
    GOLD_QUESTION = "gold-question", "warning", "эталон не для анализируемого вопроса"
    GOLD_SEVERAL = "gold-several", "warning", "в папке несколько эталонов"
    # exports
    SAV_STRING_CUT = "sav-string-cut", "warning", "ответ обрезан в файле SPSS"
    # the analysis: groupings
    UNGROUPED = "ungrouped", "warning", "нет значения группировки"
    PUBLISHED_UNKNOWN_CATEGORY = "published-unknown-category", "warning", "показатель неизвестной категории"
    GROUP_VALUE_UNKNOWN = "group-value-unknown", "warning", "подпись несуществующего значения группы"
    # the codebook's learned layer
    LEARNED_NO_EXAMPLES = "learned-no-examples", "warning", "категория без примеров обученного слоя"
    # survey code (a CSV of answers)
    MALFORMED_ROW = "malformed-row", "error", "строка CSV испорчена"


@dataclass(frozen=True)
class Location:
    """Where a value came from: file, sheet, row, column (and cell, when known)."""

    file: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None  # column letter in a workbook, header name in a CSV
    header: str | None = None  # the column's header text, when there is one
    cell: str | None = None  # e.g. "C12" for filled templates
    line: int | None = None  # line number in a text file (YAML)

    def __str__(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(f"лист «{self.sheet}»")
        if self.cell:
            parts.append(f"ячейка {self.cell}")
        else:
            if self.row is not None:
                parts.append(f"строка {self.row}")
            if self.column:
                col = f"столбец {self.column}"
                if self.header and self.header != self.column:
                    col += f" («{self.header}»)"
                parts.append(col)
        if self.line is not None:
            parts.append(f"строка {self.line}")
        return ", ".join(parts)

    def with_(self, **changes: Any) -> Location:
        data = asdict(self)
        data.update(changes)
        return Location(**data)


@dataclass(frozen=True)
class Problem:
    """One problem found in the data: where, what, and how to fix it."""

    location: Location
    code: Code  # the kind, from the catalogue (:class:`Code`)
    message: str  # Russian: what is wrong
    fix: str = ""  # Russian: what to do
    field: str | None = None  # questionnaire field id
    severity: str = ""  # "error" rejects the row; "warning" does not (default: the code's)
    value: Any = None  # the offending value (shortened for display)

    def __post_init__(self) -> None:
        if not self.severity:
            object.__setattr__(self, "severity", self.code.severity)

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}"
        if self.fix:
            text += f" {self.fix}"
        return text

    def as_dict(self) -> dict[str, Any]:
        loc = self.location
        return {
            "severity": self.severity,
            "file": loc.file,
            "sheet": loc.sheet or "",
            "row": loc.row if loc.row is not None else "",
            "column": loc.column or "",
            "cell": loc.cell or "",
            "field": self.field or "",
            "code": str(self.code),
            "message": self.message,
            "fix": self.fix,
            "value": shorten(self.value),
        }


def shorten(value: Any, limit: int = 60) -> str:
    """Short printable form of an offending value for messages."""
    if value is None:
        return ""
    text = str(value).replace("\n", " ").replace("\r", " ")
    text = "".join(ch if ch.isprintable() else "\ufffd" for ch in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
