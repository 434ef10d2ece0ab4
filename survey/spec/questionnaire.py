"""The questionnaire as data: fields, questions, options; loading with a self-check.

The questionnaire lives in ``questionnaires/questionnaire.yaml``. :func:`load_questionnaire`
reads it, checks it (duplicate ids, missing options, unknown types, bad ranges) and raises
:class:`~survey.errors.ConfigError` listing every problem with its line.

>>> q = load_questionnaire()
>>> [f.id for f in q.questions]
['q1_state', 'q2_areas', 'q3_problems', 'q4_covid', 'q5_forms', 'q6_prospects', 'q7_proposals']
>>> q.field("q4_covid").option_by_code(3).label
'контакты перешли в дистанционный формат'
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from survey.base.text import bulleted, fold
from survey.errors import Code, ConfigError, Location, Problem
from survey.spec.paths import default_path
from survey.spec.yamlfile import LINE_KEY, load_yaml

TYPES = ("single", "multiple", "scale", "integer", "date", "text")
CHOICE_TYPES = ("single", "multiple", "scale")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_GROUP_PATH = re.compile(r"[a-z_][a-z0-9_.]*(?:[/-][a-z_][a-z0-9_.]*)*")  # "questions", "a/b" (export headers)
_FIELD_KEYS = {
    "id",
    "short",
    "text",
    "type",
    "required",
    "options",
    "options_from",
    "min",
    "max",
    "missing",
    "personal",
    "coded",
    "number",
    "max_length",
    "aliases",
    "hint",
    LINE_KEY,
}
_OPTION_KEYS = {"code", "name", "label", LINE_KEY}
REQUIRED_FIELDS = ("expert_id", "unit_id")
SPSS_NAME_BYTES = 64  # the longest variable name a .sav file holds: every data column becomes one


def too_long_name(name: str, made_of: str) -> str | None:
    """Why the data column ``name`` cannot be an SPSS variable (``made_of``: how the name is
    formed, for the message), or None.

    >>> too_long_name("q2_areas_education", "id поля") is None
    True
    >>> "длиной 73 байт" in too_long_name("q2_" + "x" * 70, "id вопроса + «_» + name варианта")
    True
    """
    size = len(name.encode("utf-8"))
    if size <= SPSS_NAME_BYTES:
        return None
    return (
        f"имя столбца данных «{name}» ({made_of}) длиной {size} байт — файл SPSS (.sav) принимает имена "
        f"не длиннее {SPSS_NAME_BYTES} байт, и survey run остановился бы в самом конце"
    )


@dataclass(frozen=True)
class Option:
    """One answer option: numeric code, ASCII name, Russian label."""

    code: int
    name: str
    label: str


@dataclass(frozen=True)
class Field:
    """A respondent field or a question."""

    id: str
    text: str
    type: str
    short: str = ""
    section: str = "question"  # "respondent" or "question"
    number: int | None = None  # question number as printed (1..7)
    required: bool = False
    options: tuple[Option, ...] = ()
    options_from: str | None = None  # "units": choose among the gazetteer's units
    min: Any = None
    max: Any = None
    missing: tuple[int, ...] = ()
    personal: bool = False
    coded: bool = False
    max_length: int | None = None
    aliases: tuple[str, ...] = ()
    hint: str = ""
    line: int | None = None

    @property
    def label(self) -> str:
        """Short Russian label (falls back to the full text)."""
        return self.short or self.text

    @property
    def title(self) -> str:
        """Label with the question number, e.g. ``"3. Проблемы и трудности"``."""
        return f"{self.number}. {self.label}" if self.number else self.label

    def option_by_code(self, code: int) -> Option:
        for opt in self.options:
            if opt.code == code:
                return opt
        raise KeyError(code)

    def option_by_name(self, name: str) -> Option:
        for opt in self.options:
            if opt.name == name:
                return opt
        raise KeyError(name)

    @property
    def substantive_options(self) -> tuple[Option, ...]:
        """Options that are real answers (not "затрудняюсь ответить"-type missing codes).

        For a scale these are all its points ``min..max``, whether or not the questionnaire
        labels them: an unlabelled point is an option whose label is its number.

        >>> f = Field("q", "Оценка", "scale", min=1, max=4, missing=(9,),
        ...           options=(Option(1, "low", "плохо"), Option(4, "high", "отлично"), Option(9, "dk", "не знаю")))
        >>> [(o.code, o.label) for o in f.substantive_options]
        [(1, 'плохо'), (2, '2'), (3, '3'), (4, 'отлично')]
        """
        if self.type == "scale" and isinstance(self.min, int) and isinstance(self.max, int):
            labelled = {o.code: o for o in self.options}
            return tuple(
                labelled.get(code, Option(code, str(code), str(code)))
                for code in range(self.min, self.max + 1)
                if code not in self.missing
            )
        return tuple(o for o in self.options if o.code not in self.missing)

    @property
    def answer_options(self) -> tuple[Option, ...]:
        """Every answer a respondent can give: the substantive options, then the missing codes."""
        return self.substantive_options + tuple(o for o in self.options if o.code in self.missing)

    @property
    def valid_codes(self) -> frozenset[int]:
        """Codes a single-choice or scale answer may take (substantive and missing)."""
        return frozenset(o.code for o in self.answer_options)

    def columns(self) -> list[str]:
        """Data columns this field occupies: one, or one 0/1 column per option."""
        if self.type == "multiple":
            return [self.option_column(o) for o in self.options]
        return [self.id]

    def option_column(self, option: Option) -> str:
        return f"{self.id}_{option.name}"

    @property
    def min_date(self) -> dt.date | None:
        return _as_date(self.min)

    @property
    def max_date(self) -> dt.date | None:
        return _as_date(self.max)

    @property
    def example_date(self) -> dt.date:
        """A date for messages: the 15th (a day that cannot be a month) inside the field's period.

        >>> Field("d", "Дата", "date", min="2024-01-01", max="2024-12-31").example_date
        datetime.date(2024, 1, 15)
        """
        lo, hi = self.min_date, self.max_date
        if lo is not None:
            mid = lo.replace(day=15) if lo.day <= 15 else lo
            return mid if hi is None or mid <= hi else lo
        if hi is not None:
            return hi.replace(day=15) if hi.day >= 15 else hi
        return dt.date(dt.date.today().year, 3, 15)


def _as_date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


@dataclass(frozen=True)
class Questionnaire:
    """The whole questionnaire: metadata, respondent block and questions."""

    id: str
    version: str
    title: str
    fields: tuple[Field, ...]
    description: str = ""
    path: str = ""

    @cached_property
    def _by_id(self) -> dict[str, Field]:
        return {f.id: f for f in self.fields}

    def field(self, field_id: str) -> Field:
        try:
            return self._by_id[field_id]
        except KeyError:
            raise KeyError(f"no field {field_id!r} in questionnaire {self.id}") from None

    def __contains__(self, field_id: str) -> bool:
        return field_id in self._by_id

    @property
    def respondent(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.section == "respondent")

    @property
    def questions(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.section == "question")

    @property
    def coded_questions(self) -> tuple[Field, ...]:
        """Open questions whose answers the codebook codes (e.g. problems)."""
        return tuple(f for f in self.fields if f.coded)

    @property
    def personal_columns(self) -> list[str]:
        return [c for f in self.fields if f.personal for c in f.columns()]

    def data_columns(self) -> list[str]:
        """Columns of the validated data, in questionnaire order."""
        return [c for f in self.fields for c in f.columns()]

    @cached_property
    def column_index(self) -> dict[str, tuple[str, str | None]]:
        """Accepted header spellings → (field id, option name or None).

        A header matches a field by its id, short label, full text or an alias; a
        multiple-choice option column by ``<id>_<name>``, ``<id>/<name>`` (KoboToolbox),
        ``<id>.<name>``, ``<id>_<code>`` or ``<short>: <label>``. Matching ignores case,
        ё/е and repeated spaces.
        """
        index: dict[str, tuple[str, str | None]] = {}

        def add(key: str, target: tuple[str, str | None]) -> None:
            index.setdefault(fold(key), target)

        for f in self.fields:
            for key in (f.id, f.short, f.text, *f.aliases):
                if key:
                    add(key, (f.id, None))
            if f.type == "multiple":
                for o in f.options:
                    for sep in ("_", "/", ".", ":", " "):
                        add(f"{f.id}{sep}{o.name}", (f.id, o.name))
                        add(f"{f.id}{sep}{o.code}", (f.id, o.name))
                    for lab in (f.short, *f.aliases):
                        if lab:
                            add(f"{lab}: {o.label}", (f.id, o.name))
                            add(f"{lab} - {o.label}", (f.id, o.name))
                            add(f"{lab} — {o.label}", (f.id, o.name))
        return index

    def match_column(self, header: Any) -> tuple[str, str | None] | None:
        """The (field id, option name) a column header means, or ``None``.

        KoboToolbox and ODK exports may prefix a field with its group path, joined by ``/``
        (KoboToolbox: ``respondent/expert_id``, ``questions/q2_areas/education``) or ``-``
        (ODK Central and Briefcase: ``respondent-expert_id``): when the whole header is not
        known, what follows one or more ASCII group names is tried.

        >>> q = load_questionnaire()
        >>> q.match_column("questions/q2_areas/education"), q.match_column("respondent-expert_id")
        (('q2_areas', 'education'), ('expert_id', None))
        >>> q.match_column("Город/регион"), q.match_column("что-то/регион")
        (('unit_id', None), None)
        """
        if header is None:
            return None
        key = fold(str(header))
        found = self.column_index.get(key)
        if found is None:
            for i, ch in enumerate(key):
                if ch in "/-" and _GROUP_PATH.fullmatch(key[:i]):
                    found = self.column_index.get(key[i + 1 :])
                    if found is not None:
                        break
        return found


def load_questionnaire(path: str | Path | None = None) -> Questionnaire:
    """Load and check the questionnaire (default: ``questionnaires/questionnaire.yaml``).

    Raises :class:`ConfigError` naming every problem and its line when the file is broken.
    """
    path = Path(path) if path else default_path("questionnaire")
    data = load_yaml(path)
    problems: list[Problem] = []

    def bad(line: int | None, message: str, fix: str = "") -> None:
        problems.append(Problem(Location(str(path), line=line), Code.QUESTIONNAIRE, message, fix))

    if not isinstance(data, dict):
        raise ConfigError(f"{path}: файл анкеты должен содержать разделы id, version, respondent, questions.")
    for key in ("id", "version", "respondent", "questions"):
        if key not in data:
            bad(None, f"нет обязательного раздела «{key}».", "Добавьте его (см. README).")

    fields: list[Field] = []
    seen_ids: dict[str, int | None] = {}
    seen_columns: dict[str, str] = {}
    seen_numbers: dict[int, str] = {}
    for section in ("respondent", "questions"):
        items = data.get(section) or []
        if not isinstance(items, list):
            bad(data.get(LINE_KEY), f"раздел «{section}» должен быть списком полей.")
            continue
        for raw in items:
            f = _parse_field(raw, "respondent" if section == "respondent" else "question", bad)
            if f is None:
                continue
            if f.id in seen_ids:
                bad(
                    f.line,
                    f"идентификатор «{f.id}» повторяется (первый раз — строка {seen_ids[f.id]}).",
                    "Дайте полю уникальный id.",
                )
                continue
            seen_ids[f.id] = f.line
            for col in f.columns():
                made_of = "id вопроса + «_» + name варианта" if f.type == "multiple" else "id поля"
                if wrong := too_long_name(col, made_of):
                    bad(f.line, f"поле «{f.id}»: {wrong}.", f"Сократите {made_of.replace(' + «_» + ', ' или ')}.")
                if col in seen_columns and seen_columns[col] != f.id:
                    bad(
                        f.line,
                        f"столбец данных «{col}» поля «{f.id}» совпадает со столбцом поля «{seen_columns[col]}».",
                        "Переименуйте поле или вариант ответа.",
                    )
                seen_columns[col] = f.id
            if f.number is not None:
                if f.number in seen_numbers:
                    bad(f.line, f"номер вопроса {f.number} уже занят вопросом «{seen_numbers[f.number]}».")
                seen_numbers[f.number] = f.id
            fields.append(f)
    for required in REQUIRED_FIELDS:
        if required not in seen_ids:
            bad(
                None,
                f"нет поля «{required}»: без него ответы нельзя связать с экспертом и городом.",
                f"Добавьте поле id: {required} в раздел respondent.",
            )
    if problems:
        raise ConfigError(
            f"{path}: анкета содержит ошибки ({len(problems)}):\n" + bulleted(problems),
            problems=problems,
        )
    return Questionnaire(
        id=str(data["id"]),
        version=str(data["version"]),
        title=str(data.get("title", data["id"])),
        description=str(data.get("description", "")).strip(),
        fields=tuple(fields),
        path=str(path),
    )


def as_questionnaire(questionnaire: Questionnaire | str | Path | None) -> Questionnaire:
    """A loaded questionnaire, a path to load, or ``None`` for the default file."""
    if isinstance(questionnaire, Questionnaire):
        return questionnaire
    return load_questionnaire(questionnaire)


def _parse_field(raw: Any, section: str, bad) -> Field | None:
    if not isinstance(raw, dict):
        bad(None, f"элемент раздела должен быть описанием поля (id, text, type), а не «{raw}».")
        return None
    line = raw.get(LINE_KEY)
    fid = raw.get("id")
    if not isinstance(fid, str) or not _ID.match(fid):
        bad(
            line,
            f"у поля нет id или он недопустим («{fid}»).",
            "id: латинские строчные буквы, цифры и _, начинается с буквы.",
        )
        return None
    for key in sorted(set(raw) - _FIELD_KEYS):
        bad(
            line,
            f"поле «{fid}»: неизвестный ключ «{key}».",
            f"Допустимые ключи: {', '.join(sorted(_FIELD_KEYS - {LINE_KEY}))}.",
        )
    ftype = raw.get("type")
    if ftype not in TYPES:
        bad(line, f"поле «{fid}»: неизвестный тип «{ftype}».", f"Допустимые типы: {', '.join(TYPES)}.")
        return None
    text = raw.get("text")
    if not isinstance(text, str) or not text.strip():
        bad(line, f"поле «{fid}»: нет текста вопроса (text).")
        text = fid
    options = _parse_options(raw.get("options"), fid, line, bad)
    options_from = raw.get("options_from")
    if options_from not in (None, "units"):
        bad(line, f"поле «{fid}»: options_from может быть только «units».")
    if ftype in ("single", "multiple") and not options and options_from is None:
        bad(line, f"поле «{fid}» типа {ftype}: нет вариантов ответа (options).", "Добавьте список options.")
    if ftype == "multiple" and options_from:
        bad(line, f"поле «{fid}»: options_from поддерживается только для single.")
    if ftype not in CHOICE_TYPES and options:
        bad(line, f"поле «{fid}» типа {ftype} не может иметь вариантов ответа.")
    lo, hi = raw.get("min"), raw.get("max")
    if ftype == "scale" and (not isinstance(lo, int) or not isinstance(hi, int)):
        bad(line, f"шкала «{fid}»: укажите целые min и max.")
    if ftype == "date":
        for name, value in (("min", lo), ("max", hi)):
            if value is not None:
                try:
                    _as_date(value)
                except ValueError:
                    bad(line, f"поле «{fid}»: {name} «{value}» — не дата ГГГГ-ММ-ДД.")
                    lo, hi = None, None
    elif lo is not None and hi is not None and not (isinstance(lo, (int, float)) and isinstance(hi, (int, float))):
        bad(line, f"поле «{fid}»: min и max должны быть числами.")
        lo, hi = None, None
    if lo is not None and hi is not None:
        try:
            if (_as_date(lo) > _as_date(hi)) if ftype == "date" else lo > hi:  # type: ignore[operator]  # TypeError caught
                bad(line, f"поле «{fid}»: min ({lo}) больше max ({hi}).")
        except (TypeError, ValueError):
            pass
    missing = raw.get("missing") or []
    if not isinstance(missing, list) or not all(isinstance(m, int) for m in missing):
        bad(line, f"поле «{fid}»: missing должен быть списком кодов.")
        missing = []
    codes = {o.code for o in options}
    for m in missing:
        if m not in codes:
            bad(line, f"поле «{fid}»: код пропуска {m} не описан среди вариантов ответа.")
    if ftype == "scale" and isinstance(lo, int) and isinstance(hi, int):
        for o in options:
            if o.code not in missing and not lo <= o.code <= hi:
                bad(
                    line,
                    f"шкала «{fid}»: код {o.code} вне диапазона {lo}–{hi} и не объявлен пропуском (missing).",
                )
    for flag in ("required", "personal", "coded"):
        if flag in raw and not isinstance(raw[flag], bool):
            bad(line, f"поле «{fid}»: {flag} должно быть true или false.")
    if raw.get("coded") and ftype != "text":
        bad(line, f"поле «{fid}»: кодировать (coded) можно только открытые вопросы (text).")
    number = raw.get("number")
    if number is not None and not isinstance(number, int):
        bad(line, f"поле «{fid}»: number должен быть целым.")
        number = None
    aliases = raw.get("aliases") or []
    if not isinstance(aliases, list):
        bad(line, f"поле «{fid}»: aliases должен быть списком.")
        aliases = []
    return Field(
        id=fid,
        text=" ".join(str(text).split()),
        type=ftype,
        short=str(raw.get("short") or ""),
        section=section,
        number=number,
        required=bool(raw.get("required", False)),
        options=tuple(options),
        options_from=options_from,
        min=lo,
        max=hi,
        missing=tuple(missing),
        personal=bool(raw.get("personal", False)),
        coded=bool(raw.get("coded", False)),
        max_length=raw.get("max_length"),
        aliases=tuple(str(a) for a in aliases),
        hint=str(raw.get("hint") or ""),
        line=line,
    )


def _parse_options(raw: Any, fid: str, line: int | None, bad) -> list[Option]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        bad(line, f"поле «{fid}»: options должен быть списком.")
        return []
    options: list[Option] = []
    codes: set[int] = set()
    names: set[str] = set()
    labels: set[str] = set()
    for item in raw:
        if not isinstance(item, dict):
            bad(line, f"поле «{fid}»: вариант ответа должен иметь code, name и label.")
            continue
        oline = item.get(LINE_KEY, line)
        code, name, label = item.get("code"), item.get("name"), item.get("label")
        for key in sorted(set(item) - _OPTION_KEYS):
            bad(oline, f"поле «{fid}»: неизвестный ключ варианта «{key}».")
        if not isinstance(code, int) or isinstance(code, bool):
            bad(oline, f"поле «{fid}»: код варианта должен быть целым числом («{code}»).")
            continue
        if not isinstance(name, str) or not _ID.match(name):
            bad(oline, f"поле «{fid}», код {code}: name «{name}» — нужна латиница, цифры и _.")
            continue
        if not isinstance(label, str) or not label.strip():
            bad(oline, f"поле «{fid}», код {code}: нет подписи (label).")
            continue
        if code in codes:
            bad(oline, f"поле «{fid}»: код {code} повторяется.")
        if name in names:
            bad(oline, f"поле «{fid}»: name «{name}» повторяется.")
        if fold(label) in labels:
            bad(oline, f"поле «{fid}»: подпись «{label}» повторяется.")
        codes.add(code)
        names.add(name)
        labels.add(fold(label))
        options.append(Option(code=code, name=name, label=label.strip()))
    return options
