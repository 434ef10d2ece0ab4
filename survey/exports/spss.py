"""Responses and final problem codes as an SPSS data file (.sav), with labels and response sets.

:func:`write_sav` writes one case per accepted expert with

* variable labels: the Russian question texts (``2. Сферы сотрудничества: образование`` for
  one option of a multiple-choice question);
* value labels for every closed question (for a scale, only the points its options label: a
  1–10 scale labelled at 1 and 10 keeps 4 as 4, unlabelled), the units and the 0/1 variables;
* user-missing values: the «затрудняюсь ответить» codes (9) of the questionnaire;
* measure levels: nominal (single and multiple choice, codes, text), ordinal (scales),
  scale (numbers, dates);
* print formats per measure, so that SPSS and PSPP print means with two decimals: ``F8.2``
  for scales and numbers, ``F<w>.0`` for category codes (as wide as the largest code), ``F1.0``
  for 0/1 variables, ``DATE11`` for dates; strings sized by pyreadstat;
* the unit (``unit``, its name as the value label) and every attribute of the units gazetteer
  beyond its id and name, generically (see :func:`unit_attributes`);
* after each coded open question, one 0/1 variable per codebook category
  (``q3_problems_distance`` …) holding the final codes;
* a multiple-response set (dichotomy, counted value 1) per multiple-choice question and per
  coded open question, written into the file's dictionary (:mod:`survey.exports.mrsets`) and,
  for readers that predate those records, as ``MRSETS`` syntax in a ``.sps`` file beside it.

Personal data (``expert_name``) and the source file names (which may contain names) are
left out unless ``with_names``. SPSS limits are respected: variable labels are cut to 255
bytes and value labels to 120 bytes (UTF-8), at a character boundary; a text attribute with
a longer value stays a string variable rather than lose text in a label; a text longer than an
SPSS string (32 767 bytes) is cut at a character boundary with a warning (:func:`fit_strings`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from survey.base.files import atomic_path
from survey.base.missing import is_missing
from survey.base.text import fold
from survey.errors import Code, Location, OutputError, Problem
from survey.exports.mrsets import NAME_BYTES, RESERVED, MRSet, add_mr_sets, is_identifier, mrsets_syntax
from survey.spec.geo import DISTANCE_BANDS
from survey.spec.questionnaire import Field, Questionnaire
from survey.spec.study import BORDER_STATUS, Study
from survey.spec.units import KINDS

VARIABLE_LABEL_BYTES = 255
VALUE_LABEL_BYTES = 120
FILE_LABEL_BYTES = 64
STRING_BYTES = 32767  # the longest SPSS string (UTF-8 bytes); PSPP drops a longer one's record
NOTE_LINE_BYTES = 80  # SPSS documents are lines of 80 bytes
MEASURE = {
    "single": "nominal",
    "multiple": "nominal",
    "scale": "ordinal",
    "integer": "scale",
    "date": "scale",
    "text": "nominal",
}
DECIMALS = 2  # means of scales and numbers print with two decimals
MEAN_WIDTH = 8  # F8.2, SPSS's own default numeric format
FLAG_FORMAT = "F1.0"
CHOSEN = {0: "не выбрано", 1: "выбрано"}
NAMED = {0: "не названа", 1: "названа"}
YES_NO = {0: "нет", 1: "да"}
# Labels of the gazetteer columns the tool itself documents (responses/units.csv, survey.spec.units);
# any other column is labelled by the study's mapping or, failing that, by its own name.
GAZETTEER_LABELS = {
    "kind": "Тип единицы: город или регион",
    "federal_subject": "Субъект Российской Федерации",
    "federal_district": "Федеральный округ",
    "macro_region": "Макрорегион",
    "lat": "Широта, градусы",
    "lon": "Долгота, градусы",
}
# the values of the columns the tool documents, named (and ordered) as the reports name them
GAZETTEER_VALUE_LABELS: dict[str, Mapping[str, str]] = {
    "kind": KINDS,
    "distance_band": {name: text for name, _, text in DISTANCE_BANDS},
}
ORDERED = frozenset({"kind", "distance_band", BORDER_STATUS})  # coded in the order of their value labels
LABEL_SUFFIX = "_label"  # a column «x_label» holds the labels of column «x»'s categories
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
    problems: list[Problem] = field(default_factory=list)  # warnings: overrides not applied…


@dataclass
class SavDataset:
    """A frame ready for ``pyreadstat.write_sav``, the metadata arguments and the response sets."""

    frame: pd.DataFrame
    column_labels: dict[str, Any]  # pyreadstat's stubs want Optional values: str here
    value_labels: dict[str, Any]  # {variable: {code: label}}
    missing: dict[str, Any]  # {variable: [codes]}
    measure: dict[str, str]
    formats: dict[str, str]
    file_label: str
    notes: list[str]
    mr_sets: list[MRSet] = field(default_factory=list)
    synthetic: bool = False
    notice: str = ""  # the synthetic-data notice, when ``synthetic``
    problems: list[Problem] = field(default_factory=list)  # warnings: texts cut to STRING_BYTES


def fit_bytes(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes at a character boundary (``…`` marks a cut).

    >>> fit_bytes("сотрудничество", 10)
    'сот…'
    """
    if len(text.encode("utf-8")) <= limit:
        return text
    cut = text.encode("utf-8")[: limit - len("…".encode())].decode("utf-8", errors="ignore")
    return cut.rstrip() + "…"


def fit_strings(series: pd.Series, name: str, data: pd.DataFrame, problems: list[Problem]) -> pd.Series:
    """Texts of the variable ``name`` cut to :data:`STRING_BYTES` (UTF-8) at a character boundary,
    each cut a warning in ``problems`` naming the expert (``data``: the cases, in order) and the
    variable; the answer stays whole in ``data/responses.csv``."""
    too_long = series.map(lambda v: isinstance(v, str) and len(v.encode("utf-8")) > STRING_BYTES, na_action="ignore")
    too_long = too_long.fillna(False).astype(bool).to_numpy()
    if not too_long.any():
        return series
    out = series.copy()
    for i in too_long.nonzero()[0]:
        text = str(series.iloc[i])
        out.iloc[i] = fit_bytes(text, STRING_BYTES)
        problems.append(
            Problem(
                _case_location(data, i, name),
                Code.SAV_STRING_CUT,
                f"ответ эксперта {data['expert_id'].iloc[i]} (переменная {name}) длиннее строки SPSS: "
                f"{len(text.encode('utf-8'))} байт UTF-8 при пределе {STRING_BYTES} (кириллица — 2 байта на "
                f"букву). В файле SPSS он обрезан до {len(out.iloc[i])} из {len(text)} символов, конец отмечен «…».",
                "Полный ответ — во входном файле и в data/responses.csv (survey run); если он нужен в SPSS "
                "целиком, разбейте его на части.",
                field=name,
            )
        )
    return out


def _case_location(data: pd.DataFrame, i: int, column: str) -> Location:
    """Where case ``i`` came from (``source_*`` columns of validated data), else the SPSS file."""
    if "source_file" not in data.columns or is_missing(data["source_file"].iloc[i]):
        return Location("файл SPSS", column=column)
    sheet = data["source_sheet"].iloc[i] if "source_sheet" in data.columns else None
    where = str(data["source_row"].iloc[i]) if "source_row" in data.columns else ""
    return Location(
        str(data["source_file"].iloc[i]),
        sheet=None if is_missing(sheet) or not sheet else str(sheet),
        row=int(where) if where.isdigit() else None,
        cell=where if where and not where.isdigit() else None,
        column=column,
    )


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


# ---------------------------------------------------------------- print formats


def _digits(values: Iterable[Any]) -> int:
    """Characters of the widest integer among ``values`` (a minus sign counted), at least 1."""
    widths = [len(str(int(v))) for v in values if v is not None and not pd.isna(v)]
    return max(widths, default=1)


def code_format(values: Iterable[Any]) -> str:
    """``F<w>.0`` for category codes: as wide as the widest code.

    >>> code_format([1, 9]), code_format([1, 77]), code_format([-1, 5])
    ('F1.0', 'F2.0', 'F2.0')
    """
    return f"F{_digits(values)}.0"


def mean_format(values: Iterable[Any], decimals: int = DECIMALS) -> str:
    """``F8.2`` (wider when needed) for a variable whose mean is reported, so that means print with decimals.

    >>> mean_format([1, 10]), mean_format([0, 123456]), mean_format([52.5443], 4)
    ('F8.2', 'F9.2', 'F8.4')
    """
    return f"F{max(MEAN_WIDTH, _digits(values) + 1 + decimals)}.{decimals}"


def _decimals(values: pd.Series, limit: int = 6) -> int:
    """Decimals needed to print every value exactly (up to ``limit``), at least :data:`DECIMALS`."""
    numbers = values.dropna().astype(float)
    for d in range(DECIMALS, limit + 1):
        if all(math.isclose(v, round(v, d), abs_tol=10 ** -(limit + 2)) for v in numbers):
            return d
    return limit


# ---------------------------------------------------------------- variable names


def spss_name(text: str, taken: set[str]) -> str:
    """A valid, unused SPSS variable name made from ``text`` (``taken`` holds case-folded names; updated).

    >>> spss_name("partner_land", set()), spss_name("Земля партнёра", set()), spss_name("2 group", set())
    ('partner_land', 'Земля_партнёра', 'v2_group')
    >>> spss_name("kind", {"kind"})
    'unit_kind'
    """
    name = re.sub(r"[^\w.@#$]+", "_", text.strip(), flags=re.UNICODE).strip("_.") or "v"
    if not name[0].isalpha():
        name = "v" + name
    candidates = [name, f"unit_{name}"] + [f"unit_{name}_{i}" for i in range(2, 1000)]
    for candidate in candidates:
        candidate = candidate.encode("utf-8")[:NAME_BYTES].decode("utf-8", errors="ignore").rstrip(".")
        if is_identifier(candidate) and candidate.upper() not in RESERVED and candidate.casefold() not in taken:
            taken.add(candidate.casefold())
            return candidate
    raise OutputError(f"Не удаётся подобрать имя переменной SPSS для «{text}».")  # pragma: no cover — 1000 clashes


# ---------------------------------------------------------------- the units gazetteer


@dataclass
class Attribute:
    """One gazetteer column as an SPSS variable (see :func:`unit_attributes`)."""

    column: str
    name: str
    label: str
    kind: str  # "flag" | "number" | "category" | "text"
    codes: dict[Any, int] = field(default_factory=dict)  # category → code
    value_labels: dict[int, str] = field(default_factory=dict)
    fmt: str | None = None

    def values(self, cells: pd.Series) -> pd.Series:
        """The variable's values for the gazetteer cells of the cases."""
        if self.kind == "flag":
            return pd.Series(pd.array([_flag(v) for v in cells], dtype="Int64"))
        if self.kind == "number":
            return pd.Series(pd.to_numeric(_blank_to_na(cells), errors="coerce"), dtype="Float64")
        if self.kind == "category":
            return pd.Series(pd.array([self.codes.get(v) for v in _blank_to_na(cells)], dtype="Int64"))
        return _blank_to_na(cells).astype("string")


def _blank_to_na(cells: pd.Series) -> pd.Series:
    return cells.map(lambda v: None if v is None or (isinstance(v, str) and not v.strip()) else v).reset_index(
        drop=True
    )


LEADING_ZERO = re.compile(r"^[-+]?0\d")


def _flag(value: Any) -> int | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, bool):
        return int(value)
    text = str(value).strip().casefold()
    return 1 if text == "true" else 0 if text == "false" else None


def _is_flag(cells: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(cells.dtype):
        return True
    present = [v for v in _blank_to_na(cells) if v is not None and not pd.isna(v)]
    if not present:
        return False
    return all(isinstance(v, bool) for v in present) or all(
        isinstance(v, str) and v.strip().casefold() in {"true", "false"} for v in present
    )


def _is_number(cells: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(cells.dtype):
        return False
    if pd.api.types.is_numeric_dtype(cells.dtype):
        return True
    present = _blank_to_na(cells).dropna()
    if present.empty:
        return False
    if any(isinstance(v, str) and LEADING_ZERO.match(v.strip()) for v in present):
        return False  # codes such as «04701000» are identifiers: a number would lose the zero
    return bool(pd.to_numeric(present, errors="coerce").notna().all())


def unit_attributes(
    units: pd.DataFrame,
    *,
    labels: Mapping[str, str] | None = None,
    value_labels: Mapping[str, Mapping[str, str]] | None = None,
    taken: set[str] | None = None,
) -> list[Attribute]:
    """Every gazetteer column beyond the id and ``name`` as an SPSS variable, in the gazetteer's order.

    Nothing depends on which study the gazetteer belongs to:

    * the variable label comes from ``units.attrs["column_labels"]``, else from
      :data:`GAZETTEER_LABELS` for the columns the tool documents, else from ``labels`` (the
      study's names of its groupings), else it is the column name itself;
    * a boolean column (``True``/``False``, or the text ``true``/``false``) becomes 0/1 with the
      labels «нет»/«да»;
    * a numeric column (or text that is all numbers, none with a leading zero) becomes a scale
      variable with two decimals or as many as its values need;
    * a text column becomes category codes 1…k with value labels (``value_labels[column]``, the
      study's names of the values, else the texts themselves) — in the order
      of an ordered categorical column, else in alphabetical order of the labels; a column
      ``<x>_label`` beside ``<x>`` supplies the labels of ``<x>``'s categories and is not
      exported by itself; text longer than a value label may be (120 bytes) stays a string;
    * the variable name is the column name when it is a valid, unused SPSS name, else a valid
      one made from it (``taken``, case-folded names already used, is updated).
    """
    taken = set() if taken is None else taken
    # the tool's own labels of the columns it documents win over a study's names of its groupings,
    # which are written for report headings («федеральные округа»)
    given = {**(labels or {}), **GAZETTEER_LABELS, **units.attrs.get("column_labels", {})}
    columns = [c for c in units.columns if c != "name"]
    companions = {c: f"{c}{LABEL_SUFFIX}" for c in columns if f"{c}{LABEL_SUFFIX}" in units.columns}
    result: list[Attribute] = []
    for column in columns:
        if column in companions.values() and column.removesuffix(LABEL_SUFFIX) in companions:
            continue
        cells = units[column]
        name = spss_name(str(column), taken)
        label = fit_bytes(str(given.get(column) or column), VARIABLE_LABEL_BYTES)
        if _is_flag(cells):
            result.append(Attribute(column, name, label, "flag", value_labels=dict(YES_NO), fmt=FLAG_FORMAT))
        elif _is_number(cells):
            numbers = pd.to_numeric(_blank_to_na(cells), errors="coerce")
            result.append(Attribute(column, name, label, "number", fmt=mean_format(numbers, _decimals(numbers))))
        else:
            known = {**GAZETTEER_VALUE_LABELS.get(column, {}), **((value_labels or {}).get(column) or {})}
            result.append(_category(column, name, label, units, companions.get(column), known))
    return result


def _category(
    column: str, name: str, label: str, units: pd.DataFrame, companion: str | None, known: Mapping[str, str]
) -> Attribute:
    cells = units[column]
    present = [v for v in dict.fromkeys(_blank_to_na(cells)) if v is not None and not pd.isna(v)]
    texts: dict[Any, str] = {}
    for value in present:
        text = known.get(str(value), str(value))
        if companion is not None:
            paired = {str(x).strip() for x in units.loc[cells == value, companion] if str(x).strip()}
            text = paired.pop() if len(paired) == 1 else text  # ambiguous or missing labels: the value itself
        texts[value] = text
    if any(len(text.encode("utf-8")) > VALUE_LABEL_BYTES for text in texts.values()):
        return Attribute(column, name, label, "text")
    if isinstance(cells.dtype, pd.CategoricalDtype) and cells.dtype.ordered:
        order = [v for v in cells.dtype.categories if v in texts]
    elif column in ORDERED and all(str(v) in known for v in texts):  # values with an order of their own
        rank = {k: n for n, k in enumerate(known)}
        order = sorted(texts, key=lambda v: rank[str(v)])
    else:
        order = sorted(texts, key=lambda v: (fold(texts[v]), texts[v]))
    codes = {v: i for i, v in enumerate(order, start=1)}
    values = {i: texts[v] for v, i in codes.items()}
    return Attribute(column, name, label, "category", codes, values, code_format(codes.values()))


# ---------------------------------------------------------------- the dataset


def synthetic_note(study: Study | None) -> str:
    """The notice the file carries when the data are synthetic: the study's own, in capitals first."""
    if study is None or not study.synthetic_notice:
        return SYNTHETIC_NOTE
    notice = study.synthetic_notice
    head = "данные синтетические"
    if notice.lower().startswith(head):  # «Данные синтетические: …» — not said twice
        return head.upper() + notice[len(head) :]
    return "ДАННЫЕ СИНТЕТИЧЕСКИЕ. " + notice


def _study_labels(study: Study | None, units: pd.DataFrame) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """Variable labels and value labels of the gazetteer's columns from the study's settings."""
    labels: dict[str, str] = {}
    values: dict[str, dict[str, str]] = {}
    if study is None:
        return labels, values
    border = study.border
    if border is not None:
        labels[border.column] = cap_first(border.label)
        # the columns derived from it, in the study's own words (a unit is «приграничная»)
        units_of = border.unit_labels
        labels[BORDER_STATUS] = f"{cap_first(units_of['border'])} или {units_of['non_border']} единица"
        values[BORDER_STATUS] = dict(units_of)
        distance = cap_first(border.distance_label)
        labels["border_distance_km"] = f"{distance}, км"
        labels["log10_distance"] = f"{distance}: десятичный логарифм числа км"
        labels["distance_band"] = f"{distance}: интервал"
    for column, grouping in study.groups.items():
        labels[column] = cap_first(grouping.label)
        mapping = dict(grouping.values)
        source = grouping.values_from
        if source and source in units.columns and column in units.columns:
            for value, text in zip(units[column], units[source], strict=False):
                if not is_missing(value) and not is_missing(text):
                    mapping.setdefault(str(value), str(text))
        if mapping:
            values[column] = {str(k): str(v) for k, v in mapping.items()}
    return labels, values


def cap_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def codes_by_question(q: Questionnaire, codes: pd.DataFrame | None) -> dict[str, pd.DataFrame]:
    """``expert_id`` + categories per coded question: ``codes`` with a ``question`` column holds
    every coded question's codes; without one they are the first coded question's."""
    if codes is None or not q.coded_questions:
        return {}
    if "question" not in codes.columns:
        return {q.coded_questions[0].id: codes}
    return {
        str(qid): part.drop(columns="question").reset_index(drop=True)
        for qid, part in codes.groupby("question", sort=False)
    }


def _planned_names(q: Questionnaire, codes: pd.DataFrame | None, with_names: bool) -> set[str]:
    """Case-folded names of the questionnaire's variables, so that gazetteer attributes avoid them."""
    names = {"unit", "source_file", "source_sheet"}
    coded = codes_by_question(q, codes)
    for f in q.fields:
        if f.personal and not with_names:
            continue
        names.update(f.columns())
        if f.id in coded:
            names.update(f"{f.id}_{c}" for c in coded[f.id].columns if c != "expert_id")
    return {n.casefold() for n in names}


def _scale_points(f: Field) -> list[Any]:
    """The codes a scale or single-choice question can take: its range and every option code."""
    return [f.min, f.max, *(o.code for o in f.options), *f.missing]


def _set_label(text: str) -> str:
    return fit_bytes(" ".join(text.split()), VARIABLE_LABEL_BYTES)


def sav_dataset(
    data: pd.DataFrame,
    questionnaire: Questionnaire,
    units: pd.DataFrame,
    *,
    codes: pd.DataFrame | None = None,
    code_labels: dict[str, str] | None = None,
    with_names: bool = False,
    synthetic: bool = False,
    study: Study | None = None,
) -> SavDataset:
    """Build the SPSS dataset from validated ``data`` and final ``codes`` (expert_id + categories,
    and ``question`` when they hold several coded questions: :func:`codes_by_question`).

    ``study`` names the gazetteer's columns and their values (``groups`` and ``border`` of
    ``study.yaml``, see :func:`unit_attributes`) and gives the synthetic-data notice.
    """
    q = questionnaire
    attribute_labels, attribute_values = _study_labels(study, units)
    cols: dict[str, pd.Series] = {}
    labels: dict[str, str] = {}
    values: dict[str, dict[int, str]] = {}
    missing: dict[str, list[int]] = {}
    measure: dict[str, str] = {}
    formats: dict[str, str] = {}
    sets: list[MRSet] = []
    problems: list[Problem] = []
    n = len(data)
    per_question = {
        qid: part.set_index(part["expert_id"].astype(str)) for qid, part in codes_by_question(q, codes).items()
    }
    unit_order = {uid: i for i, uid in enumerate(units.index, start=1)}

    def add(
        name: str,
        series: pd.Series,
        label: str,
        measure_level: str,
        value_labels: Mapping[int, str] | None = None,
        fmt: str | None = None,
        missing_codes: Iterable[int] = (),
    ) -> None:
        series = series.reset_index(drop=True)
        if pd.api.types.is_string_dtype(series.dtype):
            series = fit_strings(series, name, data.reset_index(drop=True), problems)
        cols[name] = series
        labels[name] = fit_bytes(label, VARIABLE_LABEL_BYTES)
        measure[name] = measure_level
        if value_labels:
            values[name] = {int(k): fit_bytes(v, VALUE_LABEL_BYTES) for k, v in value_labels.items()}
        if fmt:
            formats[name] = fmt
        if missing_codes:
            missing[name] = list(missing_codes)

    def add_set(f: Field, variables: list[str], label: str) -> None:
        if len(variables) >= 2:  # a response set of one variable is no set (SPSS refuses it)
            sets.append(MRSet(f.id, tuple(variables), _set_label(label), counted_value=1))

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
                    FLAG_FORMAT,
                )
            add_set(f, [f.option_column(o) for o in f.options], f.title)
        elif f.options_from == "units":
            add(f.id, data[f.id].astype("string"), title, "nominal")
            unit_ids = data[f.id].astype("string")
            add(
                "unit",
                pd.Series(pd.array([unit_order.get(v) if isinstance(v, str) else None for v in unit_ids], "Int64")),
                f"{f.label} (код)",
                "nominal",
                {i: str(units.loc[uid, "name"]) for uid, i in unit_order.items()},
                code_format(unit_order.values()),
            )
            cells = units.reindex(unit_ids.fillna("").tolist())
            for a in unit_attributes(
                units,
                labels=attribute_labels,
                value_labels=attribute_values,
                taken=_planned_names(q, codes, with_names),
            ):
                add(
                    a.name,
                    a.values(cells[a.column]),
                    a.label,
                    "scale" if a.kind == "number" else "nominal",
                    a.value_labels,
                    a.fmt,
                )
        elif f.type in ("single", "scale"):
            points = _scale_points(f)
            add(
                f.id,
                data[f.id].astype("Int64"),
                title,
                MEASURE[f.type],
                {o.code: o.label for o in f.options},  # a scale's labelled points only
                mean_format([*points, *data[f.id].dropna()]) if f.type == "scale" else code_format(points),
                f.missing,
            )
        elif f.type == "integer":
            add(f.id, data[f.id].astype("Int64"), title, "scale", fmt=mean_format([f.min, f.max, *data[f.id].dropna()]))
        elif f.type == "date":
            # nanoseconds: pyreadstat 1.3 writes datetime64[s] (pandas 3's default) as 1970-01-01
            add(f.id, pd.to_datetime(data[f.id]).astype("datetime64[ns]"), title, "scale", fmt="DATE11")
        else:
            add(f.id, data[f.id].astype("string"), title, "nominal")
        codes_by_expert = per_question.get(f.id)
        if codes_by_expert is not None:
            code_vars = []
            for cat in [c for c in codes_by_expert.columns if c != "expert_id"]:
                flags = codes_by_expert[cat].reindex(data["expert_id"].astype(str)).astype("Int64")
                label = (code_labels or {}).get(cat, cat)
                add(f"{f.id}_{cat}", flags, f"{f.title} — код: {label}", "nominal", NAMED, FLAG_FORMAT)
                code_vars.append(f"{f.id}_{cat}")
            add_set(f, code_vars, f"{f.title} — коды ответов")
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
    if sets:
        notes.append(
            "Наборы множественных ответов ($<вопрос>, дихотомии, считается значение 1) записаны в файл; "
            "для старых версий SPSS те же наборы в файле синтаксиса .sps рядом."
        )
    if not with_names:
        notes.append("Персональные данные (ФИО эксперта) и имена исходных файлов исключены.")
    if synthetic:
        notes.insert(0, synthetic_note(study))
    file_label = fit_bytes(("СИНТЕТИЧЕСКИЕ " if synthetic else "") + f"{q.id} {q.version}", FILE_LABEL_BYTES)
    lines = [line for note in notes for line in note_lines(note)]
    notice = synthetic_note(study) if synthetic else ""
    return SavDataset(
        frame, labels, values, missing, measure, formats, file_label, lines, sets, synthetic, notice, problems
    )


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
    study: Study | None = None,
    problems: list[Problem] | None = None,
) -> Path:
    """Write validated ``data`` (+ final ``codes``) to the SPSS file ``path`` and its ``.sps`` (atomically);
    warnings (texts cut to the SPSS limit) are added to ``problems``."""
    ds = sav_dataset(
        data,
        questionnaire,
        units,
        codes=codes,
        code_labels=code_labels,
        with_names=with_names,
        synthetic=synthetic,
        study=study,
    )
    if problems is not None:
        problems.extend(ds.problems)
    return save_sav(Path(path), ds)


def syntax_path(path: str | Path) -> Path:
    """The ``.sps`` file written beside an SPSS file: same name, suffix ``.sps``."""
    return Path(path).with_suffix(".sps")


def sav_syntax(sav_name: str, ds: SavDataset) -> str:
    """The text of the ``.sps`` file beside ``sav_name``: comments and the ``MRSETS`` command."""
    comments = [
        f"Наборы множественных ответов файла {sav_name} для SPSS и PSPP. В самом файле наборы уже "
        "записаны; этот синтаксис нужен версиям SPSS, которые их не читают, и чтобы изменить наборы. "
        f"Откройте {sav_name} и выполните этот файл.",
    ]
    if ds.synthetic:
        comments.insert(0, ds.notice)
    text = "".join(comment_block(c) for c in comments)
    if ds.mr_sets:
        return text + mrsets_syntax(ds.mr_sets)
    return text + comment_block("В файле нет вопросов с множественными ответами, наборов нет.")


def comment_block(text: str, width: int = 76) -> str:
    """``text`` as one SPSS comment: ``* `` and indented continuation lines, a period only at its end.

    SPSS ends a comment at a period that ends a line, so no inner line may end with one.

    >>> print(comment_block("Первое предложение. Второе", width=24), end="")
    * Первое предложение. Второе.
    """
    words = text.strip().rstrip(".").split()
    lines: list[str] = []
    line = ""
    for word in words:
        if line and len(line) + 1 + len(word) > width and not line.endswith("."):
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line + ".")
    return "".join(("* " if i == 0 else "  ") + x + "\n" for i, x in enumerate(lines))


def save_sav(path: Path, ds: SavDataset) -> Path:
    """Write ``ds`` to ``path`` (``.zsav``: compressed) with its response sets, and the ``.sps`` beside it.

    Both files are written atomically: after an error neither replaces an earlier version.
    """
    import pyreadstat  # lazy: a heavy import, needed only when a file is written

    path = Path(path)
    with ExitStack() as stack:
        tmp = stack.enter_context(atomic_path(path))
        tmp_sps = stack.enter_context(atomic_path(syntax_path(path)))
        try:
            pyreadstat.write_sav(
                ds.frame,
                tmp,
                file_label=ds.file_label,
                column_labels=ds.column_labels,
                compress=path.suffix.lower() == ".zsav",
                note=ds.notes,
                variable_value_labels=ds.value_labels,
                missing_ranges=ds.missing,
                variable_measure=ds.measure,
                variable_format=ds.formats,
            )
        except OSError as exc:
            raise OutputError(f"{path}: не удаётся записать файл SPSS ({exc.strerror}).") from None
        except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError) as exc:
            raise OutputError(
                f"{path}: pyreadstat не может записать файл SPSS: {exc}. Проверьте имена полей анкеты "
                "(id — не длиннее 64 байт) и столбцов справочника единиц."
            ) from None
        if ds.mr_sets:
            add_mr_sets(tmp, ds.mr_sets)
        try:
            tmp_sps.write_text(sav_syntax(path.name, ds), encoding="utf-8-sig")  # BOM: SPSS reads the file as UTF-8
        except OSError as exc:
            raise OutputError(f"{syntax_path(path)}: не удаётся записать файл синтаксиса ({exc.strerror}).") from None
    return path
