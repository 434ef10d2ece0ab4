"""Check raw records against the questionnaire and the units gazetteer.

:func:`validate` never raises on bad data: it returns the accepted respondents as a
DataFrame and a :class:`ValidationReport` listing every problem (file, sheet, row, column,
field, what is wrong, how to fix it) and every rejected row with its reasons. A row with
any error is rejected; warnings do not reject. ``rows_read == accepted + rejected`` always.

>>> result = validate("responses/sample.xlsx")
>>> result.report.valid, result.report.rows_read, len(result.data)
(True, 123, 123)
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from survey.base.files import write_csv
from survey.base.missing import is_blank
from survey.base.text import (
    bulleted,
    clean_lookalikes,
    difference,
    identity_key,
    is_invisible,
    oddities,
    plural_word,
)
from survey.errors import Code, Location, Problem, UsageError, shorten
from survey.inputs.cells import (
    Issue,
    date_order_evidence,
    parse_choice,
    parse_date,
    parse_flag,
    parse_integer,
    parse_option_list,
    parse_text,
)
from survey.inputs.readers import (
    EXCEL_ERRORS,
    REJECTED_COLUMNS,
    REPORT_COLUMNS,
    IngestResult,
    RawRecord,
    RawTable,
    ingest,
)
from survey.spec.questionnaire import Field, Questionnaire, load_questionnaire
from survey.spec.units import UnitResolver, load_units

PROVENANCE = ["source_file", "source_sheet", "source_row"]
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass
class RejectedRow:
    """A row that was read but not accepted, with every reason."""

    location: Location
    expert_id: str
    reasons: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.location.file,
            "sheet": self.location.sheet or "",
            "row": self.location.row if self.location.row is not None else "",
            "expert_id": self.expert_id,
            "reasons": "; ".join(self.reasons),
        }


@dataclass
class ValidationReport:
    """Everything validation found. ``valid`` is true when there is no error."""

    problems: list[Problem] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    rows_read: int = 0
    accepted: int = 0
    blank_rows: int = 0
    inputs: list[dict[str, str]] = field(default_factory=list)
    files_unreadable: int = 0
    synthetic: bool = False

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]

    @property
    def valid(self) -> bool:
        return not self.errors

    def to_frame(self) -> pd.DataFrame:
        """Problems as a table: severity, file, sheet, row, column, cell, field, code, message, fix, value."""
        return pd.DataFrame([p.as_dict() for p in self.problems], columns=REPORT_COLUMNS)

    def rejected_frame(self) -> pd.DataFrame:
        return pd.DataFrame([r.as_dict() for r in self.rejected], columns=REJECTED_COLUMNS)

    def write(self, path: str | Path) -> Path:
        """Write the problems as a CSV file (``survey validate --report``); see :func:`report_path`."""
        return write_csv(self.to_frame(), report_path(path))

    def first_errors(self, limit: int = 5) -> str:
        """The first ``limit`` errors, one per line, and how many more (for a refusal's message)."""
        return bulleted(self.errors, limit)

    def summary(self) -> str:
        """One Russian line: rows read, accepted, rejected, errors, warnings."""
        text = (
            f"Прочитано строк: {self.rows_read}; принято: {self.accepted}; "
            f"отклонено: {len(self.rejected)}; ошибок: {len(self.errors)}; "
            f"предупреждений: {len(self.warnings)}"
        )
        if self.blank_rows:
            text += f"; пустых строк пропущено: {self.blank_rows}"
        if self.files_unreadable:
            text += f"; нечитаемых файлов: {self.files_unreadable}"
        return text + "."


@dataclass
class ValidationResult:
    """Accepted respondents (one row each, questionnaire columns + provenance) and the report."""

    data: pd.DataFrame
    report: ValidationReport


def report_path(path: str | Path) -> Path:
    """``path`` if the problems report can be written there: a file name ending in .csv that is not
    a folder; otherwise a :class:`UsageError` saying what to give (checked before validation starts)."""
    path = Path(path)
    if path.is_dir():
        raise UsageError(
            f"{path}: это папка, а --report ждёт имя файла отчёта. Укажите файл, например {path / 'problems.csv'}."
        )
    if path.suffix.lower() != ".csv":
        raise UsageError(
            f"{path}: отчёт о проблемах записывается как CSV — укажите имя с расширением .csv "
            f"(например, {path.with_suffix('.csv').name}). Книгу Excel с ответами и листами «Проблемы» и "
            "«Отклонены» пишет survey ingest ПАПКА -o ФАЙЛ.xlsx."
        )
    return path


def keep_inputs(output: str | Path, source: str | Path, result: ValidationResult) -> None:
    """Refuse to write ``output`` over a response file ``result`` has just read from ``source`` (the
    file itself, or a file of the folder that gave rows): the answers would be replaced by a report."""
    output, source = Path(output), Path(source)
    if not output.is_file():
        return
    if source.is_file():
        hit = output.samefile(source)
    else:
        try:
            shown = output.resolve().relative_to(source.resolve()).as_posix()
        except ValueError:
            return
        read = set(result.data.get("source_file", pd.Series(dtype=str))) | {
            r.location.file for r in result.report.rejected
        }
        hit = shown in read
    if hit:
        raise UsageError(
            f"{output}: это файл с ответами, которые только что прочитаны; запись поверх него уничтожила бы их. "
            "Укажите для результата другой файл (лучше вне папки с ответами)."
        )


def validate(
    source: str | Path | IngestResult,
    questionnaire: Questionnaire | None = None,
    units: pd.DataFrame | None = None,
    encoding: str | None = None,
) -> ValidationResult:
    """Read (if given a path) and validate responses.

    ``source`` is a file, a folder of files, or an :class:`IngestResult`. Raises
    :class:`~survey.errors.InputError` only when a single given file cannot be read.
    """
    q = questionnaire or load_questionnaire()
    units = units if units is not None else load_units()
    ingested = source if isinstance(source, IngestResult) else ingest(source, q, encoding)
    return Validator(q, units).run(ingested)


class Validator:
    """Validation rules; configure with the questionnaire and units, apply with :meth:`run`."""

    def __init__(self, questionnaire: Questionnaire, units: pd.DataFrame):
        self.q = questionnaire
        self.units = units
        self.resolver = UnitResolver(units)
        self._memo: dict[tuple[Any, ...], tuple[Any, Issue | None, str]] = {}
        self._flags: dict[tuple[Any, ...], tuple[int | None, Issue | None]] = {}
        self._absent: dict[str, list[str]] = {}
        self._orders: dict[str, str] = {}

    def run(self, ingested: IngestResult) -> ValidationResult:
        report = ValidationReport(inputs=list(ingested.inputs), synthetic=ingested.synthetic)
        report.problems.extend(ingested.unreadable)
        report.files_unreadable = sum(p.is_error for p in ingested.unreadable)
        rows: list[dict[str, Any]] = []
        first_seen: dict[str, tuple[Location, str, str]] = {}  # id key → (where, id, sha256 of its file)
        for table in ingested.tables:
            if self._foreign(table, report):
                continue
            report.problems.extend(table.problems)
            if table.refused:  # a filled template refused as a whole: each form is a row read and rejected
                reasons = [p.message for p in table.problems if p.is_error]
                for where, code in table.refused:
                    report.rows_read += 1
                    report.rejected.append(RejectedRow(where, shorten(code), reasons))
            if table.kind == "table" and not table.records:
                self._add(
                    report,
                    Location(table.file, sheet=table.sheet),
                    Code.NO_DATA,
                    None,
                    "в файле нет ни одной анкеты: под строкой заголовков нет строк с ответами.",
                    "Проверьте, что прислан нужный файл и что ответы на месте.",
                )
            missing_columns = self._check_columns(table, report)
            self._absent = self._absent_options(table, report)
            self._orders = self._date_orders(table, report)
            report.blank_rows += len(table.blank_rows)
            for first, last in _runs(table.blank_rows):  # one warning per run of blank rows
                report.problems.append(_blank_rows(first, last))
            for rec in table.records:
                report.rows_read += 1
                row, errors = self._record(rec, report, missing_columns)
                expert_id = row.get("expert_id")
                if expert_id is not None and not errors:
                    key = identity_key(expert_id)
                    if key in first_seen:
                        where, seen_id, seen_sha = first_seen[key]
                        fix = "Дайте каждому эксперту уникальный код; если это повтор той же анкеты, удалите строку."
                        if seen_sha == table.sha256 and where.file != rec.location.file:
                            fix = f"Это тот же файл, что {where.file} (содержимое совпадает): уберите один из них."
                        if seen_id == expert_id:
                            message = f"код эксперта «{expert_id}» уже встречался ({where})."
                        else:
                            message = (
                                f"код эксперта «{expert_id}» совпадает с кодом «{seen_id}» ({where}); они различаются "
                                f"только тем, что не видно глазу: {'; '.join(difference(seen_id, expert_id))}."
                            )
                        errors.append(
                            self._add(
                                report,
                                rec.cells.get(("expert_id", None), rec.location),
                                Code.DUPLICATE_ID,
                                "expert_id",
                                message,
                                fix,
                                expert_id,
                            )
                        )
                    else:
                        first_seen[key] = (rec.location, expert_id, table.sha256)
                if errors:
                    report.rejected.append(
                        RejectedRow(rec.location, shorten(rec.values.get(("expert_id", None))), errors)
                    )
                    continue
                rows.append(row)
        report.accepted = len(rows)
        return ValidationResult(self._frame(rows), report)

    # --------------------------------------------------------------- helpers

    def _add(
        self,
        report: ValidationReport,
        loc: Location,
        code: Code,
        fid: str | None,
        message: str,
        fix: str,
        value: Any = None,
        severity: str = "",
    ) -> str:
        report.problems.append(Problem(loc, code, message, fix, field=fid, severity=severity, value=value))
        return message

    def _foreign(self, table: RawTable, report: ValidationReport) -> bool:
        """A table of another questionnaire (most required columns absent): one error for the file,
        every row rejected with it — not one message per column and per cell."""
        if table.kind != "table" or not table.records:
            return False
        present = {fid for fid, _ in table.columns}
        required = [f for f in self.q.fields if f.required]
        missing = [f for f in required if f.id not in present]
        if len(missing) < 3 or len(missing) * 2 < len(required):
            return False
        unknown = sum(p.code == Code.UNKNOWN_COLUMN for p in table.problems)
        report.problems.extend(p for p in table.problems if p.code != Code.UNKNOWN_COLUMN)
        listed = ", ".join(f"«{f.id}»" for f in missing[:6]) + ("…" if len(missing) > 6 else "")
        title = self.q.title or self.q.id
        message = self._add(
            report,
            Location(table.file, sheet=table.sheet),
            Code.MISSING_COLUMN,
            None,
            f"в файле нет {len(missing)} из {len(required)} обязательных столбцов анкеты «{title}» ({listed})"
            + (f", а {unknown} его столбцов ей не принадлежат" if unknown else "")
            + ": похоже, это ответы на другую анкету; строки не проверялись.",
            "Укажите файлы исследования, к которому относятся ответы: --study ПАПКА (или --questionnaire и "
            "--units); без них файлы сверяются с примером, встроенным в программу.",
        )
        for rec in table.records:
            report.rows_read += 1
            report.rejected.append(RejectedRow(rec.location, shorten(rec.values.get(("expert_id", None))), [message]))
        return True

    def _check_columns(self, table: RawTable, report: ValidationReport) -> dict[str, str]:
        """Table-level: required fields with no column. Returns {field id: reason}."""
        missing: dict[str, str] = {}
        if table.kind != "table":
            return missing
        present = {fid for fid, _ in table.columns}
        loc = Location(table.file, sheet=table.sheet)
        for f in self.q.fields:
            if not f.required and not f.personal and f.id not in present:  # names: left out by design
                self._add(
                    report,
                    loc,
                    Code.MISSING_OPTIONAL_COLUMN,
                    f.id,
                    f"в файле нет столбца необязательного вопроса «{f.id}» ({f.label}): ответ на него у всех строк "
                    "файла считается пропущенным.",
                    f"Если вопрос задавали, добавьте столбец с заголовком «{f.id}» или «{f.label}».",
                )
            if f.required and f.id not in present:
                reason = f"в файле нет столбца «{f.id}» ({f.label})"
                # the unknown column that probably meant it (its warning names the question)
                near = next(
                    (
                        p
                        for p in table.problems
                        if p.code == Code.UNKNOWN_COLUMN and (f"«{f.id}»" in p.fix or f"({f.id})" in p.fix)
                    ),
                    None,
                )
                if near is not None:
                    reason += f"; возможно, это столбец «{near.location.header}» ({near.location.column})"
                missing[f.id] = reason
                self._add(
                    report,
                    loc,
                    Code.MISSING_COLUMN,
                    f.id,
                    reason + ".",
                    f"Добавьте столбец с заголовком «{f.id}» или «{f.label}».",
                )
        return missing

    def _record(
        self, rec: RawRecord, report: ValidationReport, missing_columns: dict[str, str]
    ) -> tuple[dict[str, Any], list[str]]:
        row: dict[str, Any] = {
            "source_file": rec.location.file,
            "source_sheet": rec.location.sheet or "",
            "source_row": rec.location.row if rec.location.row is not None else rec.location.cell or "",
        }
        errors: list[str] = []
        noted = {p.field for p in rec.notes if p.is_error}
        for p in rec.notes:  # what the reader saw: merged cells, formulas, hidden rows
            report.problems.append(p)
            if p.is_error:
                errors.append(p.message)
        values = rec.values
        for f in self.q.fields:
            fid = f.id
            if fid in missing_columns:
                errors.append(missing_columns[fid])
                continue
            if fid in noted:
                continue
            raw = values.get((fid, None))
            issue: Issue | None
            if isinstance(raw, str) and raw.strip() in EXCEL_ERRORS:
                errors.append(
                    self._add(
                        report,
                        rec.cells.get((fid, None), rec.location),
                        Code.EXCEL_ERROR,
                        fid,
                        f"«{f.label}»: в ячейке ошибка Excel «{raw.strip()}» вместо ответа.",
                        "Исправьте формулу или впишите значение.",
                        raw,
                    )
                )
                continue
            if f.type == "text" and isinstance(raw, str) and _CONTROL.search(raw):
                self._add(
                    report,
                    rec.cells.get((fid, None), rec.location),
                    Code.CONTROL_CHARACTERS,
                    fid,
                    f"«{f.label}»: из ответа удалены невидимые управляющие символы.",
                    "Проверьте текст ответа.",
                )
            loc: Location | None = None
            more: list[tuple[Issue, Location]] = []
            if f.type == "multiple":
                chosen, issues, loc = self._multiple(rec, f)
                issue = issues[0][0] if issues else None
                loc = issues[0][1] if issues else loc
                more = issues[1:]  # every bad option cell is named, not only the first
                if issue is None:
                    absent = self._absent.get(fid, ())
                    for opt in f.options:
                        column = f.option_column(opt)
                        row[column] = None if chosen is None or opt.name in absent else int(opt.name in chosen)
                present = chosen is not None
            else:
                value, issue, note = self._value(raw, f)
                if fid == "expert_id" and isinstance(value, str):
                    value, id_note = _clean_id(value)
                    note = note or id_note
                row[fid] = value
                present = value is not None
                if note and issue is None:
                    self._add(
                        report,
                        rec.cells.get((fid, None), rec.location),
                        Code.INVISIBLE_CHARACTERS if note.startswith("невидим") else Code.MIXED_SCRIPT,
                        fid,
                        f"«{f.label}»: {note}",
                        "Проверьте значение и исправьте его в файле: такие символы не видны в Excel.",
                        raw,
                    )
            if issue is not None:
                errors.append(
                    self._add(
                        report,
                        loc or rec.cells.get((fid, None), rec.location),
                        issue.code,
                        fid,
                        f"«{f.label}»: {issue.message}",
                        issue.fix,
                        self._raw_for(rec, f),
                    )
                )
                for extra, where in more:
                    errors.append(self._add(report, where, extra.code, fid, f"«{f.label}»: {extra.message}", extra.fix))
                continue
            if f.required and not present:
                errors.append(
                    self._add(
                        report,
                        loc or rec.cells.get((fid, None), rec.location),
                        Code.REQUIRED_MISSING,
                        fid,
                        f"нет ответа на обязательный вопрос «{f.label}».",
                        "Заполните ячейку." if f.type != "multiple" else "Отметьте хотя бы один вариант.",
                    )
                )
        return row, errors

    def _value(self, raw: Any, f: Field) -> tuple[Any, Issue | None, str]:
        """The parsed value, an issue, and a note (a warning's text) — memoised: the same raw value
        of the same question gives the same result (100,000 rows repeat a few codes and dates)."""
        if f.type == "text" or isinstance(raw, (list, dict, set)):
            value, issue = self._single_value(raw, f)
            return value, issue, ""
        key = (f.id, type(raw), raw, self._orders.get(f.id, "dmy"))
        found = self._memo.get(key)
        if found is None:
            found = self._single_value_noted(raw, f)
            if len(self._memo) < 200_000:
                self._memo[key] = found
        return found

    def _single_value_noted(self, raw: Any, f: Field) -> tuple[Any, Issue | None, str]:
        if f.options_from == "units" and isinstance(raw, str) and not is_blank(raw):
            uid = self.resolver.resolve(raw)
            if uid is not None:
                return uid, None, ""
            cleaned = clean_lookalikes(raw)
            uid = self.resolver.resolve(cleaned)
            notes = oddities(raw)
            if uid is not None:
                name = self.units.loc[uid, "name"]
                return uid, None, f"«{raw}» прочитано как «{name}»: {'; '.join(notes) or 'особые формы символов'}."
            odd = f" (в значении: {'; '.join(notes)})" if notes else ""
            return None, self._unknown_unit(raw, self.resolver.suggest(cleaned), odd), ""
        value, issue = self._single_value(raw, f)
        return value, issue, ""

    def _unknown_unit(self, raw: Any, near: list[str], odd: str = "") -> Issue:
        gazetteer = Path(str(self.units.attrs.get("path") or "units.csv")).name
        fix = (
            f"Возможно, имелось в виду: {', '.join(near)}."
            if near
            else f"Укажите название или код так, как в справочнике единиц {gazetteer}; если единицы там нет, "
            "добавьте её в справочник."
        )
        return Issue(Code.UNKNOWN_UNIT, f"«{raw}» нет в справочнике единиц ({gazetteer}){odd}.", fix)

    def _flag(self, raw: Any) -> tuple[int | None, Issue | None]:
        """``parse_flag`` memoised: option cells hold a handful of values (1, 0, blank, «да»)."""
        if not isinstance(raw, (str, int, float, bool)) or (isinstance(raw, float) and math.isnan(raw)):
            return parse_flag(raw)  # None, NaN (never equal to itself as a key), dates …
        key = (type(raw), raw)
        found = self._flags.get(key)
        if found is None:
            found = parse_flag(raw)
            if len(self._flags) < 10_000:
                self._flags[key] = found
        return found

    def _raw_for(self, rec: RawRecord, f: Field) -> Any:
        if f.type == "multiple":
            return rec.values.get((f.id, None)) or {k[1]: v for k, v in rec.values.items() if k[0] == f.id}
        return rec.values.get((f.id, None))

    def _single_value(self, raw: Any, f: Field) -> tuple[Any, Issue | None]:
        if f.type == "text":
            return parse_text(raw, f)
        if f.type == "integer":
            return parse_integer(raw, f)
        if f.type == "date":
            return parse_date(raw, f, self._orders.get(f.id, "dmy"))
        if f.options_from == "units":
            if is_blank(raw):
                return None, None
            uid = self.resolver.resolve(raw)
            if uid is None:
                return None, self._unknown_unit(raw, self.resolver.suggest(raw))
            return uid, None
        return parse_choice(raw, f)

    def _multiple(self, rec: RawRecord, f: Field) -> tuple[set[str] | None, list[tuple[Issue, Location]], Location]:
        """A multiple-choice answer from one list cell or from one 0/1 cell per option; its
        problems, each with its cell (every bad option cell)."""
        list_key = (f.id, None)
        option_keys = [k for k in rec.values if k[0] == f.id and k[1] is not None]
        # a missing answer is reported at the list cell, else at the first option's cell
        loc = rec.cells.get(list_key) or (rec.cells.get(option_keys[0]) if option_keys else None) or rec.location
        chosen: set[str] | None = None
        if list_key in rec.values and not is_blank(rec.values[list_key]):
            chosen, issue = parse_option_list(rec.values[list_key], f)
            if issue:
                return None, [(issue, loc)], loc
        if option_keys:
            flags: dict[str, int] = {}
            bad: list[tuple[Issue, Location]] = []
            for key in option_keys:
                option = key[1]
                assert option is not None, "option keys name their option"
                flag, issue = self._flag(rec.values[key])
                if issue:
                    label = f.option_by_name(option).label
                    bad.append(
                        (Issue(issue.code, f"вариант «{label}»: {issue.message}", issue.fix), rec.cells.get(key, loc))
                    )
                elif flag is not None:
                    flags[option] = flag
            if bad:
                return None, bad, loc
            if flags:
                from_flags = {name for name, v in flags.items() if v}
                if chosen is not None and chosen != from_flags:
                    conflict = Issue(
                        Code.CONFLICT,
                        "ответ указан и списком, и отметками, и они расходятся.",
                        "Оставьте один способ записи.",
                    )
                    return None, [(conflict, loc)], loc
                chosen = from_flags
                if option_keys:
                    loc = rec.cells.get(option_keys[0], loc)
        if chosen is not None and not chosen and f.required and not self._absent.get(f.id):
            # nothing ticked: no answer to a required question — unless some options' columns are
            # missing from the file, when the answer may be among them (unknown, not absent)
            chosen = None
        return chosen, [], loc

    def _absent_options(self, table: RawTable, report: ValidationReport) -> dict[str, list[str]]:
        """Multiple-choice questions given as one 0/1 column per option whose file lacks some option
        columns: those options are unknown (missing), not «not chosen»; each is reported with the
        unknown column that probably meant it."""
        import difflib

        absent: dict[str, list[str]] = {}
        if table.kind != "table":
            return absent
        unknown = [p for p in table.problems if p.code == Code.UNKNOWN_COLUMN and isinstance(p.value, str)]
        for f in self.q.fields:
            if f.type != "multiple" or (f.id, None) in table.columns:
                continue
            present = {name for fid, name in table.columns if fid == f.id and name is not None}
            if not present:
                continue
            parts = []
            candidates = {p.value: p for p in unknown}
            for opt in f.options:
                if opt.name in present:
                    continue
                absent.setdefault(f.id, []).append(opt.name)
                column = f.option_column(opt)
                near = difflib.get_close_matches(
                    column, list(candidates), n=1, cutoff=0.7
                ) or difflib.get_close_matches(f"{f.label}: {opt.label}", list(candidates), n=1, cutoff=0.7)
                hint = f", возможно, это столбец «{near[0]}» ({candidates[near[0]].location.column})" if near else ""
                parts.append(f"«{opt.label}» ({column}{hint})")
            if parts:
                self._add(
                    report,
                    Location(table.file, sheet=table.sheet),
                    Code.MISSING_OPTION_COLUMN,
                    f.id,
                    f"«{f.label}»: нет столбцов вариантов {', '.join(parts)}; ответы на эти варианты считаются "
                    "пропущенными, а не «нет».",
                    "Переименуйте столбец с опечаткой в заголовке или добавьте недостающие столбцы с отметками 1/0.",
                )
        return absent

    def _date_orders(self, table: RawTable, report: ValidationReport) -> dict[str, str]:
        """The order of day and month in each date column, from the dates that prove it
        («04/18/2021»: month first); a column that proves nothing but has dates like «04/05/2021»
        is read day first and reported."""
        orders: dict[str, str] = {}
        for f in self.q.fields:
            if f.type != "date":
                continue
            seen: dict[str, Any] = {}
            cells: dict[str, Location] = {}
            for rec in table.records:
                kind = date_order_evidence(rec.values.get((f.id, None)))
                if kind and kind not in seen:
                    seen[kind] = rec.values.get((f.id, None))
                    cells[kind] = rec.cells.get((f.id, None), rec.location)
            if table.kind != "table":  # a template's date cell: month first only when no other reading exists
                if set(seen) == {"mdy"}:
                    orders[f.id] = "mdy"
                    self._add(
                        report,
                        cells["mdy"],
                        Code.DATE_ORDER,
                        f.id,
                        f"«{f.label}»: дата «{seen['mdy']}» записана как месяц/день/год (иначе её не прочесть) и "
                        "прочитана в этом порядке.",
                        "Проверьте дату; лучше записывать даты как ДД.ММ.ГГГГ.",
                    )
                continue
            where = Location(table.file, sheet=table.sheet)
            if "mdy" in seen and "dmy" not in seen:
                orders[f.id] = "mdy"
                self._add(
                    report,
                    where,
                    Code.DATE_ORDER,
                    f.id,
                    f"«{f.label}»: даты в столбце записаны как месяц/день/год (например, «{seen['mdy']}»), "
                    "и все даты столбца прочитаны в этом порядке.",
                    "Проверьте несколько дат; лучше записывать даты как ДД.ММ.ГГГГ.",
                )
            elif "mdy" in seen and "dmy" in seen:
                self._add(
                    report,
                    where,
                    Code.DATE_ORDER,
                    f.id,
                    f"«{f.label}»: в столбце даты записаны в разном порядке: «{seen['dmy']}» (день/месяц) и "
                    f"«{seen['mdy']}» (месяц/день); даты вида «ДД/ММ/ГГГГ» прочитаны как день/месяц.",
                    "Запишите все даты столбца одинаково, лучше как ДД.ММ.ГГГГ.",
                )
            elif "ambiguous" in seen:
                self._add(
                    report,
                    where,
                    Code.DATE_ORDER,
                    f.id,
                    f"«{f.label}»: по датам столбца нельзя понять, где день, а где месяц (например, "
                    f"«{seen['ambiguous']}»); они прочитаны как день/месяц/год.",
                    "Если даты записаны как месяц/день/год, перепишите их как ДД.ММ.ГГГГ.",
                )
        return orders

    def _frame(self, rows: list[dict[str, Any]]) -> pd.DataFrame:
        columns = self.q.data_columns() + PROVENANCE
        frame = pd.DataFrame(rows, columns=columns)
        for f in self.q.fields:
            if f.type in ("single", "scale", "integer") and not f.options_from:
                frame[f.id] = frame[f.id].astype("Int64")
            elif f.type == "multiple":
                for col in f.columns():
                    frame[col] = frame[col].astype("Int64")
            elif f.type == "date":
                frame[f.id] = pd.to_datetime(frame[f.id])
            else:
                frame[f.id] = frame[f.id].astype("string")
        return frame


def _clean_id(value: str) -> tuple[str, str]:
    """An expert id without invisible characters, and a note when some were removed or when a
    word mixes Latin and Cyrillic letters."""
    if value.isascii() and value.isprintable():  # the usual id: nothing invisible, one script
        return value, ""
    notes = oddities(value)
    cleaned = "".join(ch for ch in value if not is_invisible(ch)).strip()
    if cleaned != value:
        return (
            cleaned,
            f"из кода «{value}» удалены невидимые символы ({'; '.join(notes)}); код прочитан как «{cleaned}».",
        )
    if notes:
        return value, f"в коде «{value}»: {'; '.join(notes)}."
    return value, ""


def _runs(locations: list[Location]) -> list[tuple[Location, Location]]:
    """Consecutive rows of one file and sheet as (first, last) pairs."""
    runs: list[tuple[Location, Location]] = []
    for loc in locations:
        if runs:
            first, last = runs[-1]
            same = (loc.file, loc.sheet) == (last.file, last.sheet)
            if same and loc.row is not None and last.row is not None and loc.row == last.row + 1:
                runs[-1] = (first, loc)
                continue
        runs.append((loc, loc))
    return runs


def _blank_rows(first: Location, last: Location) -> Problem:
    """The warning for blank rows ``first``…``last`` (one row, or a run of them)."""
    if first.row is None or last.row is None or last.row == first.row:
        return Problem(first, Code.BLANK_ROW, "пустая строка пропущена.", "Удалите пустую строку, если она не нужна.")
    n = last.row - first.row + 1
    return Problem(
        first,
        Code.BLANK_ROW,
        f"пустые строки {first.row}–{last.row} ({n} {plural_word(n, 'строка', 'строки', 'строк')}) пропущены.",
        "Удалите пустые строки, если они не нужны.",
    )
