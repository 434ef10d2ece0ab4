"""The whole chain behind ``survey run``: read, validate, and write the run's outputs.

>>> result = run(out="reports")                       # doctest: +SKIP
>>> result.manifest["respondents_accepted"]          # doctest: +SKIP
123
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import InvalidDataError
from .output import OutputDir, write_csv, write_json
from .paths import DEFAULT_OUT, default_path
from .questionnaire import Questionnaire, load_questionnaire
from .units import load_units
from .validate import ValidationReport, validate
from .versions import versions

log = logging.getLogger("survey")


@dataclass
class RunResult:
    """What a run produced: the manifest (``run.json``), the data and the files written."""

    out: Path
    manifest: dict[str, Any]
    data: pd.DataFrame
    report: ValidationReport
    written: list[str] = field(default_factory=list)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def anonymise(data: pd.DataFrame, questionnaire: Questionnaire) -> pd.DataFrame:
    """Drop personal columns (expert names): what every default output contains."""
    return data.drop(columns=[c for c in questionnaire.personal_columns if c in data.columns])


def run(responses: str | Path | None = None, out: str | Path = DEFAULT_OUT, *,
        questionnaire: str | Path | None = None, units: str | Path | None = None,
        encoding: str | None = None, skip_invalid: bool = False,
        with_names: bool = False) -> RunResult:
    """Validate ``responses`` (default: the bundled sample) and write the outputs to ``out``.

    Invalid rows stop the run with :class:`InvalidDataError` (nothing is written) unless
    ``skip_invalid``; then they are left out and listed in ``rejected.csv`` and ``run.json``.
    """
    started = _now()
    responses = Path(responses) if responses else default_path("responses")
    q_path = Path(questionnaire) if questionnaire else default_path("questionnaire")
    u_path = Path(units) if units else default_path("units")
    q = load_questionnaire(q_path)
    unit_table = load_units(u_path)
    log.info("Чтение и проверка ответов: %s", responses)
    result = validate(responses, q, unit_table, encoding=encoding)
    report = result.report
    if not report.valid and not skip_invalid:
        raise InvalidDataError(
            f"Входные данные содержат ошибки, отчёт не построен. {report.summary()}\n"
            "Исправьте ошибки (подробно: survey validate) или запустите с --skip-invalid, "
            "чтобы пропустить ошибочные строки.",
            problems=report.problems,
        )
    if report.accepted == 0:
        raise InvalidDataError(f"Нет ни одной принятой анкеты — строить отчёт не по чему. {report.summary()}",
                               problems=report.problems)
    data = result.data
    public = data if with_names else anonymise(data, q)

    out = Path(out)
    manifest: dict[str, Any] = {
        "respondents_in": report.rows_read,
        "respondents_accepted": report.accepted,
        "respondents_rejected": len(report.rejected),
        "units": int(data["unit_id"].nunique()),
        "blank_rows": report.blank_rows,
        "errors": len(report.errors),
        "warnings": len(report.warnings),
        "rejected": [r.as_dict() for r in report.rejected],
        "inputs": report.inputs,
        "questionnaire": {"id": q.id, "version": q.version, "path": str(q_path), "sha256": _sha256(q_path)},
        "units_file": {"path": str(u_path), "sha256": _sha256(u_path)},
        "options": {"skip_invalid": skip_invalid, "with_names": with_names, "encoding": encoding},
        "versions": versions(),
        "started_at": started,
    }
    with OutputDir(out) as staged:
        write_csv(public, staged.path("data/responses.csv"))
        write_csv(report.rejected_frame(), staged.path("data/rejected.csv"))
        write_csv(report.to_frame(), staged.path("validation.csv"))
        manifest["finished_at"] = _now()
        manifest["outputs"] = sorted(
            p.relative_to(staged.staging).as_posix() for p in staged.staging.rglob("*") if p.is_file()
        ) + ["run.json"]
        write_json(manifest, staged.path("run.json"))
    log.info("Отчёты записаны в %s", out)
    return RunResult(out=out, manifest=manifest, data=data, report=report, written=staged.written)
