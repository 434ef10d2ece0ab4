"""What a fillable questionnaire template looks like, computed from the questionnaire.

The writer (:mod:`survey.forms.templates`) lays the form out with these rows and names; the
reader (:mod:`survey.inputs.filled_template`) finds the answers by them. Both sides use this
one description, so a template written by one version of the tool is read back exactly.

>>> from survey.spec.questionnaire import load_questionnaire
>>> rows = form_rows(load_questionnaire())
>>> [(r.cell, r.key) for r in rows if r.key in ("expert_id", "years_cooperation", "q2_areas/education")]
[('C5', 'expert_id'), ('C12', 'years_cooperation'), ('C16', 'q2_areas/education')]
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from survey.spec.questionnaire import Field, Option, Questionnaire

MARKER = "survey-template"
FORMAT_VERSION = "1"
INSTRUCTION_SHEET = "Инструкция"
FORM_SHEET = "Анкета"
LISTS_SHEET = "Списки"
META_SHEET = "_meta"
ANSWER_COLUMN = "C"
HINT_COLUMN = "D"  # what to enter (the answer rows), see :func:`answer_hint`
MULTIPLE_PROMPT = "Отметьте «да» у каждого подходящего варианта ↓"  # the answer column of a multiple-choice question
KEY_COLUMN = "E"
HEADER_ROW = 3
FIRST_ROW = 4
YES, NO = "да", "нет"
FILE_PREFIX = "Анкета"
MAX_FORM_ROWS = 2000  # a form has one row per answer; the reader looks no further


@dataclass(frozen=True)
class FormRow:
    """One row of the form sheet: a section title, a question, or an answer cell."""

    row: int
    kind: str  # "section", "question" (no own answer), "answer"
    text: str
    field: Field | None = None
    option: Option | None = None

    @property
    def key(self) -> str | None:
        """Data key written to the hidden key column (``q2_areas/education``)."""
        if self.kind != "answer" or self.field is None:
            return None
        return f"{self.field.id}/{self.option.name}" if self.option else self.field.id

    @property
    def data_key(self) -> tuple[str, str | None]:
        """(field id, option name or None) of an answer row: the key of its value in a raw record."""
        assert self.field is not None, "only answer rows have a data key"
        return (self.field.id, self.option.name if self.option else None)

    @property
    def header(self) -> str:
        """«question: option» of an answer row, for messages."""
        assert self.field is not None, "only answer rows have a header"
        return f"{self.field.label}: {self.option.label}" if self.option else self.field.label

    @property
    def cell(self) -> str | None:
        return f"{ANSWER_COLUMN}{self.row}" if self.kind == "answer" else None


def form_rows(q: Questionnaire) -> list[FormRow]:
    """The layout of the form sheet, computed from the questionnaire (same for every unit)."""
    rows: list[FormRow] = []
    r = FIRST_ROW
    for title, fields in (("Сведения об эксперте", q.respondent), ("Вопросы анкеты", q.questions)):
        rows.append(FormRow(r, "section", title))
        r += 1
        for f in fields:
            text = f.text + (" *" if f.required else "")
            if f.type == "multiple":
                rows.append(FormRow(r, "question", text, f))
                r += 1
                for opt in f.options:
                    rows.append(FormRow(r, "answer", opt.label, f, opt))
                    r += 1
            else:
                rows.append(FormRow(r, "answer", text, f))
                r += 1
    return rows


def date_bounds(f: Field) -> tuple[dt.date, dt.date]:
    """The field's date range (a questionnaire may leave either end open)."""
    return f.min_date or dt.date(1900, 1, 1), f.max_date or dt.date(2099, 12, 31)


def int_bounds(f: Field) -> tuple[int, int]:
    return (f.min if f.min is not None else 0), (f.max if f.max is not None else 10**9)


def answer_hint(f: Field, option: Option | None, units_count: int) -> str:
    """What the hint column (D) of an answer row says to enter; the reader knows it from text typed there."""
    need = "Обязательно. " if f.required and option is None else ""
    if option is not None:
        return "да / нет"
    if f.hint:  # the questionnaire's own hint wins
        return need + f.hint
    if f.options_from == "units":
        return need + f"Выберите из списка (вариантов: {units_count})."
    if f.type == "scale":
        return need + f"Выберите оценку от {f.min} до {f.max} из списка."
    if f.type == "single":
        return need + "Выберите вариант из списка."
    if f.type == "date":
        lo, hi = date_bounds(f)
        return need + f"Дата ДД.ММ.ГГГГ, с {lo:%d.%m.%Y} по {hi:%d.%m.%Y}."
    if f.type == "integer":
        low, high = int_bounds(f)
        return need + f"Целое число от {low} до {high}."
    if f.id == "expert_id":
        return need + "Код, выданный организатором опроса."
    if f.personal:
        return "Для связи с экспертом; в отчёты не попадает."
    if f.section == "question":
        return need + "Развёрнутый ответ своими словами."
    return need.strip()


def _field_spec(f: Field, ranges: bool = False) -> list:
    """What a template's answer to ``f`` means: id, type, options; a scale's range (its points),
    but not the validation range of a date or a number (``ranges``: the format before 2025, which had it)."""
    bounds = [str(f.min), str(f.max)] if ranges or f.type == "scale" else []
    return [f.id, f.type, f.options_from, *bounds, list(f.missing), [[o.code, o.name, o.label] for o in f.options]]


def _digest(spec: list, size: int = 12) -> str:
    return hashlib.sha256(json.dumps(spec, ensure_ascii=False).encode("utf-8")).hexdigest()[:size]


def questionnaire_fingerprint(q: Questionnaire) -> str:
    """Short hash of what a template's answers mean: field ids, types, options, scale ranges.

    Two questionnaires with the same fingerprint read the same template the same way;
    question wording is left out on purpose (rewording does not change the data), and so is the
    allowed range of a date or a number: the answers are checked against the current range anyway,
    so a wave that extends its fieldwork period still reads the templates of the last one.
    """
    return _digest([_field_spec(f) for f in q.fields])


def fingerprint_matches(fingerprint: str, q: Questionnaire) -> bool:
    """A template's fingerprint fits ``q``; one written before the ranges were left out counts when
    ``q`` has the ranges it had."""
    return fingerprint in (questionnaire_fingerprint(q), _digest([_field_spec(f, ranges=True) for f in q.fields]))


def field_fingerprints(q: Questionnaire) -> str:
    """``id:hash id:hash …`` of every field, kept in a template to name what changed since."""
    return " ".join(f"{f.id}:{_digest(_field_spec(f), 8)}" for f in q.fields)


def template_changes(fields: str, q: Questionnaire) -> str:
    """What differs between the questionnaire a template was written for (its
    :func:`field_fingerprints`) and ``q``, in Russian; for a template that does not say (written
    before), that its fingerprint also held the ranges of dates and numbers."""
    if not fields:
        return (
            "шаблон записан прежней версией программы, в его отпечаток входили и диапазоны дат и чисел (min, max); "
            "если менялись только они, проверьте файл анкетой, по которой он составлен (--questionnaire)"
        )
    then = dict(item.split(":", 1) for item in fields.split() if ":" in item)
    now = dict(item.split(":", 1) for item in field_fingerprints(q).split())
    parts = []
    for what, ids in (
        ("изменены вопросы или варианты ответа", [k for k in now if k in then and then[k] != now[k]]),
        ("добавлены", [k for k in now if k not in then]),
        ("удалены", [k for k in then if k not in now]),
    ):
        if ids:
            parts.append(f"{what}: {', '.join(ids)}")
    return "; ".join(parts)


def template_id(q: Questionnaire) -> str:
    """``<questionnaire id>@<version>#<fingerprint>``: what the hidden sheet records."""
    return f"{q.id}@{q.version}#{questionnaire_fingerprint(q)}"
