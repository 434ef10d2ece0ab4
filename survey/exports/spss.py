"""Responses and final problem codes as an SPSS data file (.sav), with labels.

:func:`write_sav` writes one case per accepted expert with

* variable labels: the Russian question texts (``2. Сферы сотрудничества: образование`` for
  one option of a multiple-choice question);
* value labels for every closed question, the units and the 0/1 variables;
* user-missing values: the «затрудняюсь ответить» codes (9) of the questionnaire;
* measure levels: nominal (single and multiple choice, codes, text), ordinal (scales),
  scale (numbers, dates); formats ``F``/``DATE11``; strings sized by pyreadstat;
* the unit's attributes from the gazetteer (``unit``, ``unit_kind``, ``borders_china``,
  ``federal_subject``, ``federal_district``, ``macro_region``), so that SPSS can group by them;
* after each coded open question, one 0/1 variable per codebook category
  (``q3_problems_distance`` …) holding the final codes.

Personal data (``expert_name``) and the source file names (which may contain names) are
left out unless ``with_names``. SPSS limits are respected: variable labels are cut to 255
bytes and value labels to 120 bytes (UTF-8), at a character boundary.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from survey.base.files import atomic_path
from survey.errors import OutputError
from survey.spec.questionnaire import Questionnaire
from survey.spec.units import KINDS

VARIABLE_LABEL_BYTES = 255
VALUE_LABEL_BYTES = 120
FILE_LABEL_BYTES = 64
NOTE_LINE_BYTES = 80  # SPSS documents are lines of 80 bytes
MEASURE = {
    "single": "nominal",
    "multiple": "nominal",
    "scale": "ordinal",
    "integer": "scale",
    "date": "scale",
    "text": "nominal",
}
CHOSEN = {0: "не выбрано", 1: "выбрано"}
NAMED = {0: "не названа", 1: "названа"}
YES_NO = {0: "нет", 1: "да"}
SYNTHETIC_NOTE = (
    "ДАННЫЕ СИНТЕТИЧЕСКИЕ: ответы сгенерированы программой для демонстрации и проверки "
    "методики и не являются ответами реальных экспертов."
)


@dataclass
class SavExport:
    """What :func:`export_sav` wrote."""

    path: Path
    cases: int
    variables: int
    rejected: int
    synthetic: bool


@dataclass
class SavDataset:
    """A frame ready for ``pyreadstat.write_sav`` and the metadata arguments."""

    frame: pd.DataFrame
    column_labels: dict[str, Any]  # pyreadstat's stubs want Optional values: str here
    value_labels: dict[str, Any]  # {variable: {code: label}}
    missing: dict[str, Any]  # {variable: [codes]}
    measure: dict[str, str]
    formats: dict[str, str]
    file_label: str
    notes: list[str]


def fit_bytes(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes at a character boundary (``…`` marks a cut).

    >>> fit_bytes("сотрудничество", 10)
    'сот…'
    """
    if len(text.encode("utf-8")) <= limit:
        return text
    cut = text.encode("utf-8")[: limit - len("…".encode())].decode("utf-8", errors="ignore")
    return cut.rstrip() + "…"


def note_lines(text: str, limit: int = NOTE_LINE_BYTES) -> list[str]:
    """``text`` wrapped into lines of at most ``limit`` UTF-8 bytes (for SPSS documents)."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if len(candidate.encode("utf-8")) <= limit:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = fit_bytes(word, limit)
    if line:
        lines.append(line)
    return lines


def _district_order(units: pd.DataFrame) -> list[str]:
    """Federal districts in the official order of federal_districts.csv (west to east)."""
    present = set(units["federal_district"])
    source = units.attrs.get("path")
    if source:
        table = Path(source).with_name("federal_districts.csv")
        if table.is_file():
            listed = pd.read_csv(table, dtype=str, encoding="utf-8-sig")["federal_district"].tolist()
            return [d for d in listed if d in present] + sorted(present - set(listed))
    return sorted(present)


def _width(values: list[int]) -> str:
    return f"F{max(len(str(v)) for v in values)}.0"


def sav_dataset(
    data: pd.DataFrame,
    questionnaire: Questionnaire,
    units: pd.DataFrame,
    *,
    codes: pd.DataFrame | None = None,
    code_labels: dict[str, str] | None = None,
    with_names: bool = False,
    synthetic: bool = False,
) -> SavDataset:
    """Build the SPSS dataset from validated ``data`` and final ``codes`` (expert_id + categories)."""
    q = questionnaire
    cols: dict[str, pd.Series] = {}
    labels: dict[str, str] = {}
    values: dict[str, dict[int, str]] = {}
    missing: dict[str, list[int]] = {}
    measure: dict[str, str] = {}
    formats: dict[str, str] = {}
    n = len(data)
    codes_by_expert = codes.set_index(codes["expert_id"].astype(str)) if codes is not None else None
    coded_field = q.coded_questions[0].id if q.coded_questions else None  # the codes' question
    unit_order = {uid: i for i, uid in enumerate(units.index, start=1)}

    def add(
        name: str,
        series: pd.Series,
        label: str,
        measure_level: str,
        value_labels=None,
        fmt: str | None = None,
        missing_codes=None,
    ) -> None:
        cols[name] = series.reset_index(drop=True)
        labels[name] = fit_bytes(label, VARIABLE_LABEL_BYTES)
        measure[name] = measure_level
        if value_labels:
            values[name] = {int(k): fit_bytes(v, VALUE_LABEL_BYTES) for k, v in value_labels.items()}
        if fmt:
            formats[name] = fmt
        if missing_codes:
            missing[name] = list(missing_codes)

    def codes_of(mapping: dict[str, int], series: pd.Series) -> pd.Series:
        return pd.array([mapping.get(v) if isinstance(v, str) else None for v in series], dtype="Int64")

    for f in q.fields:
        if f.personal and not with_names:
            continue
        title = f"{f.number}. {f.text}" if f.number else f.text
        if f.type == "multiple":
            for o in f.options:
                col = f.option_column(o)
                add(
                    col,
                    data[col].astype("Int64"),
                    f"{f.number}. {f.label}: {o.label}" if f.number else f"{f.label}: {o.label}",
                    "nominal",
                    CHOSEN,
                    "F1.0",
                )
        elif f.options_from == "units":
            add(f.id, data[f.id].astype("string"), title, "nominal")
            unit_ids = data[f.id].astype("string")
            names = {i: str(units.loc[uid, "name"]) for uid, i in unit_order.items()}
            add(
                "unit",
                pd.Series(codes_of(unit_order, unit_ids)),
                "Город или регион (код)",
                "nominal",
                names,
                _width(list(unit_order.values())),
            )
            attrs = units.reindex(unit_ids.fillna("").tolist())
            kinds = {k: i for i, k in enumerate(KINDS, start=1)}
            add(
                "unit_kind",
                pd.Series(codes_of(kinds, attrs["kind"])),
                "Тип единицы: город или регион",
                "nominal",
                {i: label for label, i in zip(KINDS.values(), kinds.values())},
                "F1.0",
            )
            border = pd.array([None if pd.isna(b) else int(bool(b)) for b in attrs["borders_china"]], dtype="Int64")
            add("borders_china", pd.Series(border), "Субъект РФ граничит с Китаем", "nominal", YES_NO, "F1.0")
            add(
                "federal_subject",
                attrs["federal_subject"].astype("string"),
                "Субъект Российской Федерации",
                "nominal",
            )
            order = _district_order(units)
            districts = {d: i for i, d in enumerate(order, start=1)}
            add(
                "federal_district",
                pd.Series(codes_of(districts, attrs["federal_district"])),
                "Федеральный округ",
                "nominal",
                {i: f"{d} федеральный округ" for d, i in districts.items()},
                _width(list(districts.values())),
            )
            macro = (
                units[["federal_district", "macro_region", "macro_region_label"]]
                .assign(_order=units["federal_district"].map(districts))
                .sort_values("_order")
                .drop_duplicates("macro_region")
            )
            regions = {m: i for i, m in enumerate(macro["macro_region"], start=1)}
            add(
                "macro_region",
                pd.Series(codes_of(regions, attrs["macro_region"])),
                "Макрорегион",
                "nominal",
                {regions[m]: lab for m, lab in zip(macro["macro_region"], macro["macro_region_label"])},
                _width(list(regions.values())),
            )
        elif f.type in ("single", "scale"):
            add(
                f.id,
                data[f.id].astype("Int64"),
                title,
                MEASURE[f.type],
                {o.code: o.label for o in f.options},
                _width([o.code for o in f.options]),
                f.missing,
            )
        elif f.type == "integer":
            add(f.id, data[f.id].astype("Int64"), title, "scale", fmt=_width([f.min, f.max]))
        elif f.type == "date":
            # nanoseconds: pyreadstat 1.3 writes datetime64[s] (pandas 3's default) as 1970-01-01
            add(f.id, pd.to_datetime(data[f.id]).astype("datetime64[ns]"), title, "scale", fmt="DATE11")
        else:
            add(f.id, data[f.id].astype("string"), title, "nominal")
        if f.id == coded_field and codes is not None and codes_by_expert is not None:
            for cat in [c for c in codes.columns if c != "expert_id"]:
                flags = codes_by_expert[cat].reindex(data["expert_id"].astype(str)).astype("Int64")
                label = (code_labels or {}).get(cat, cat)
                add(f"{f.id}_{cat}", flags, f"{f.number}. {f.label} — код: {label}", "nominal", NAMED, "F1.0")
    if with_names:
        for col in ("source_file", "source_sheet"):
            if col in data.columns:
                add(
                    col,
                    data[col].astype("string"),
                    {"source_file": "Файл анкеты", "source_sheet": "Лист файла"}[col],
                    "nominal",
                )
    frame = pd.DataFrame(cols, index=range(n))
    notes = [q.title, f"Анкета {q.id}, версия {q.version}."]
    if codes is not None:
        notes.append(
            "Переменные <вопрос>_<категория>: итоговые коды открытых ответов (автоматическое кодирование "
            "по кодовой книге с учётом исправлений), 1 — категория названа."
        )
    if not with_names:
        notes.append("Персональные данные (ФИО эксперта) и имена исходных файлов исключены.")
    if synthetic:
        notes.insert(0, SYNTHETIC_NOTE)
    file_label = fit_bytes(("SYNTHETIC " if synthetic else "") + f"{q.id} {q.version}", FILE_LABEL_BYTES)
    lines = [line for note in notes for line in note_lines(note)]
    return SavDataset(frame, labels, values, missing, measure, formats, file_label, lines)


def write_sav(
    path: str | Path,
    data: pd.DataFrame,
    questionnaire: Questionnaire,
    units: pd.DataFrame,
    *,
    codes: pd.DataFrame | None = None,
    code_labels: dict[str, str] | None = None,
    with_names: bool = False,
    synthetic: bool = False,
) -> Path:
    """Write validated ``data`` (+ final ``codes``) to the SPSS file ``path`` (atomically)."""
    path = Path(path)
    ds = sav_dataset(
        data,
        questionnaire,
        units,
        codes=codes,
        code_labels=code_labels,
        with_names=with_names,
        synthetic=synthetic,
    )
    return save_sav(path, ds)


def save_sav(path: Path, ds: SavDataset) -> Path:
    import pyreadstat

    with atomic_path(path) as tmp:
        try:
            pyreadstat.write_sav(
                ds.frame,
                tmp,
                file_label=ds.file_label,
                column_labels=ds.column_labels,
                note=ds.notes,
                variable_value_labels=ds.value_labels,
                missing_ranges=ds.missing,
                variable_measure=ds.measure,
                variable_format=ds.formats,
            )
        except OSError as exc:
            raise OutputError(f"{path}: не удаётся записать файл SPSS ({exc.strerror}).") from None
    return path
