"""The questionnaire as an XLSForm, for online collection with KoboToolbox or ODK.

:func:`write_xlsform` writes the three sheets of an XLSForm:

* ``survey``: ``type`` (``select_one``/``select_multiple``/``text``/``integer``/``date``),
  ``name`` (the questionnaire's field id), ``label::Russian (ru)``, ``hint::Russian (ru)``,
  ``required``, ``required_message::Russian (ru)``, ``constraint``,
  ``constraint_message::Russian (ru)``, ``appearance``; the respondent block and the
  questions are two groups;
* ``choices``: ``list_name``, ``name`` (the option's ASCII name; for units the unit id),
  ``label::Russian (ru)`` — every option list and the units of the gazetteer;
* ``settings``: ``form_title``, ``form_id``, ``version``, ``default_language``,
  ``instance_name``.

Data exported from KoboToolbox or ODK Central ("XML values and headers") are read by
``survey validate``/``survey run`` like any table: headers are field names, with or
without their group (``questions/q2_areas``); a select_multiple answer is either one
column of space-separated choice names (``education culture``) or one 0/1 column per
choice (``q2_areas/education``), or both.

>>> from survey.spec.questionnaire import load_questionnaire
>>> rows = survey_rows(load_questionnaire())
>>> [(r["type"], r["name"]) for r in rows if r["name"] in ("q2_areas", "interview_date")]
[('date', 'interview_date'), ('select_multiple q2_areas', 'q2_areas')]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from survey.base.text import fold
from survey.base.workbook import XLSX_FONT, save_workbook, xlsx_fixed_properties, xlsx_value
from survey.errors import UsageError
from survey.spec.bundle import study_inputs
from survey.spec.questionnaire import Field, Questionnaire
from survey.spec.study import Study

LANGUAGE = "Russian (ru)"
SURVEY_COLUMNS = [
    "type",
    "name",
    f"label::{LANGUAGE}",
    f"hint::{LANGUAGE}",
    "required",
    f"required_message::{LANGUAGE}",
    "constraint",
    f"constraint_message::{LANGUAGE}",
    "appearance",
]
CHOICE_COLUMNS = ["list_name", "name", f"label::{LANGUAGE}"]
SETTINGS_COLUMNS = ["form_title", "form_id", "version", "default_language", "instance_name"]
UNITS_LIST = "units"
_GROUPS = (("respondent", "Сведения об эксперте"), ("questions", "Вопросы анкеты"))


def list_name(f: Field) -> str:
    """The choices list of a closed question (``units`` for the unit field)."""
    return UNITS_LIST if f.options_from == "units" else f.id


def _row(**values: Any) -> dict[str, Any]:
    return {col: values.get(col.split("::")[0] if "::" in col else col, "") for col in SURVEY_COLUMNS}


def survey_rows(q: Questionnaire) -> list[dict[str, Any]]:
    """The rows of the ``survey`` sheet, as dicts keyed by :data:`SURVEY_COLUMNS`."""
    rows: list[dict[str, Any]] = []
    for (group, label), fields in zip(_GROUPS, (q.respondent, q.questions)):
        rows.append(_row(type="begin_group", name=group, label=label))
        for f in fields:
            rows.append(_field_row(f))
        rows.append(_row(type="end_group", name=group))
    return rows


def _field_row(f: Field) -> dict[str, Any]:
    label = f"{f.number}. {f.text}" if f.number else f.text
    kind = {"text": "text", "integer": "integer", "date": "date"}.get(f.type)
    if kind is None:
        kind = f"select_multiple {list_name(f)}" if f.type == "multiple" else f"select_one {list_name(f)}"
    constraint, message, hint, appearance = "", "", f.hint, ""
    if f.type == "integer":
        constraint, span = _bounds(f.min, f.max, str, str, ("от", "до"))
        hint = hint or f"Целое число{span}."
        message = f"Целое число{span}." if constraint else ""
    elif f.type == "date":
        constraint, span = _bounds(
            f.min_date, f.max_date, lambda d: f"date('{d:%Y-%m-%d}')", "{:%d.%m.%Y}".format, ("с", "по")
        )
        if constraint:
            message = f"Дата должна быть в периоде опроса:{span}."
            hint = hint or f"{span[1].upper()}{span[2:]}."
    elif f.type == "text":
        if f.max_length:
            constraint = f"string-length(.) <= {f.max_length}"
            message = f"Не больше {f.max_length} символов."
        if f.section == "question":
            appearance = "multiline"
        if f.personal:
            hint = hint or "Для связи с экспертом; в отчёты не попадает."
    elif f.type == "multiple":
        hint = hint or "Отметьте все подходящие варианты."
    if f.options_from == "units":
        appearance = "autocomplete"
        hint = hint or "Начните вводить название и выберите его из списка."
    required = "yes" if f.required else ""
    return _row(
        type=kind,
        name=f.id,
        label=label,
        hint=hint,
        required=required,
        required_message="Это обязательный вопрос." if required else "",
        constraint=constraint,
        constraint_message=message,
        appearance=appearance,
    )


def _bounds(lo: Any, hi: Any, xpath, shown, words: tuple[str, str]) -> tuple[str, str]:
    """The constraint of a range (``. >= 0 and . <= 10``) and its Russian ``words`` (« от 0 до 10»);
    a bound the questionnaire leaves out is left out of both (a form with ``None`` is broken)."""
    parts = [f". {op} {xpath(v)}" for op, v in ((">=", lo), ("<=", hi)) if v is not None]
    span = "".join(f" {word} {shown(v)}" for word, v in zip(words, (lo, hi)) if v is not None)
    return " and ".join(parts), span


def choice_rows(q: Questionnaire, units: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of the ``choices`` sheet (each list once, units sorted by Russian name)."""
    rows: list[dict[str, Any]] = []
    done: set[str] = set()
    for f in q.fields:
        if f.type not in ("single", "multiple", "scale") or list_name(f) in done:
            continue
        done.add(list_name(f))
        if f.options_from == "units":
            pairs = sorted(zip(units.index, units["name"]), key=lambda p: fold(p[1]))
            rows += [{"list_name": UNITS_LIST, "name": uid, f"label::{LANGUAGE}": name} for uid, name in pairs]
        else:
            options = f.answer_options if f.type == "scale" else f.options  # a scale: every point min..max
            rows += [{"list_name": f.id, "name": o.name, f"label::{LANGUAGE}": o.label} for o in options]
    return rows


def settings_row(q: Questionnaire) -> dict[str, str]:
    unit = next((f.id for f in q.respondent if f.options_from == "units"), None)
    instance = f"concat(${{expert_id}}, ' — ', ${{{unit}}})" if unit and "expert_id" in q else ""
    return {
        "form_title": q.title,
        "form_id": q.id,
        "version": q.version,
        "default_language": LANGUAGE,
        "instance_name": instance,
    }


def build_xlsform(questionnaire: Questionnaire, units: pd.DataFrame):
    """The XLSForm as an openpyxl workbook."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    xlsx_fixed_properties(wb, f"{questionnaire.title}: XLSForm")
    bold, normal = Font(name=XLSX_FONT, bold=True), Font(name=XLSX_FONT)
    sheets = (
        ("survey", SURVEY_COLUMNS, survey_rows(questionnaire)),
        ("choices", CHOICE_COLUMNS, choice_rows(questionnaire, units)),
        ("settings", SETTINGS_COLUMNS, [settings_row(questionnaire)]),
    )
    for k, (title, columns, rows) in enumerate(sheets):
        ws = wb.active if k == 0 else wb.create_sheet()
        ws.title = title
        for j, col in enumerate(columns, start=1):
            xlsx_value(ws.cell(row=1, column=j), col)
            ws.cell(row=1, column=j).font = bold
        for i, row in enumerate(rows, start=2):
            for j, col in enumerate(columns, start=1):
                value = row.get(col, "")
                cell = ws.cell(row=i, column=j)
                xlsx_value(cell, value if value != "" else None)
                cell.font = normal
        ws.freeze_panes = "A2"
    return wb


def write_xlsform(
    output: str | Path,
    *,
    study: str | Path | Study | None = None,
    questionnaire: Questionnaire | str | Path | None = None,
    units: pd.DataFrame | str | Path | None = None,
) -> Path:
    """Write the questionnaire as an XLSForm workbook ``output`` (atomically)."""
    q, unit_table = study_inputs(study, questionnaire, units)
    output = Path(output)
    if output.suffix.lower() != ".xlsx":
        raise UsageError(f"{output}: XLSForm сохраняется как книга Excel — укажите имя с расширением .xlsx.")
    wb = build_xlsform(q, unit_table)
    return save_workbook(wb, output)
