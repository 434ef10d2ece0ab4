"""What a study says about itself beyond its questionnaire and codebook: ``study.yaml``.

A study is a folder of files: the questionnaire, the codebook, the units gazetteer, the
responses and, optionally, ``study.yaml`` with the study's settings (titles, the notice for
synthetic data, lookup tables of unit attributes, a yes/no "border" attribute and a line to
measure distances to, Russian names of groupings, the default grouping, model terms, a CSV of
published figures to check). Every setting is optional: without ``study.yaml`` the tool takes
the title from the questionnaire, groups by the first extra column of the gazetteer, checks no
published figures and fits no models — and says so in the reports.

:func:`load_study` reads ``study.yaml`` (default: the bundled study's
``questionnaires/study.yaml``); :func:`find_study` finds a study's files in a folder
(``survey run --study examples/<name>``).

>>> study = load_study()
>>> study.title
'Российско-китайское побратимское сотрудничество: экспертный опрос'
>>> study.group_by, [t.name for t in study.models]
('border_status', ['border', 'region', 'log10_distance'])
>>> [(f.figure, f.published, f.what) for f in study.published][:3]
[('experts', 123, 'respondents'), ('units', 77, 'units'), ('cities', 57, 'units:kind=city')]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from survey.base.text import bulleted, listed
from survey.base.textfile import read_csv_frame
from survey.errors import Code, ConfigError, InputError, Location, Problem
from survey.spec.paths import default_path
from survey.spec.questionnaire import Questionnaire
from survey.spec.yamlfile import LINE_KEY, key_line, load_yaml, read_config_text, strip_lines

DEFAULT_SUBTITLE = "Сводка результатов"
DEFAULT_NOTICE = (
    "Данные синтетические: ответы сгенерированы программой для демонстрации и проверки методики "
    "и не являются ответами реальных респондентов."
)
# kept for callers that need the bundled study's notice without loading it
SYNTHETIC_NOTICE = (
    "Данные синтетические: ответы сгенерированы программой для демонстрации и проверки "
    "методики и не являются ответами реальных экспертов."
)
FILE_ROLES = ("questionnaire", "codebook", "units", "responses", "gold", "overrides", "not_names")
BORDER_STATUS = "border_status"  # the grouping column derived from the border attribute
BORDER_GROUPS = ("border", "non_border")
_KEYS = {
    "title",
    "short_title",
    "subtitle",
    "synthetic_notice",
    "synthetic",
    "files",
    "unit_tables",
    "border",
    "groups",
    "group_by",
    "analyse",
    "models",
    "published",
    "wording",
    LINE_KEY,
}
MAX_PUBLISHED_BYTES = 1024 * 1024
_WHAT = re.compile(
    r"^(respondents|units|units:(?P<col>[A-Za-z_][A-Za-z0-9_]*)=(?P<val>.+)|category:(?P<cat>[a-z0-9_]+))$"
)
# names the study file may give to its files when study.yaml does not list them
_CONVENTIONAL = {
    "questionnaire": ("questionnaire.yaml", "questionnaires/questionnaire.yaml"),
    "codebook": ("codebook.yaml", "questionnaires/codebook.yaml"),
    "units": ("units.csv", "responses/units.csv"),
    "responses": ("responses.xlsx", "responses.csv", "responses/responses.xlsx", "responses/responses.csv"),
    "not_names": ("not_names.txt", "questionnaires/not_names.txt"),
}


@dataclass(frozen=True)
class UnitTable:
    """A lookup table joined to the gazetteer: its other columns become unit attributes."""

    path: Path
    key: str


@dataclass(frozen=True)
class Border:
    """A yes/no unit attribute that splits the units into border and non-border ones.

    ``border_status`` (``border``/``non_border``) is derived from ``column``; with ``line``
    (vertices ``section,seq,lat,lon,place``) and unit coordinates, the distance of every unit
    to that line is computed (``border_distance_km``, ``log10_distance``, ``distance_band``).
    """

    column: str
    label: str = "граница"
    groups: dict[str, str] = field(default_factory=lambda: {"border": "приграничные", "non_border": "неприграничные"})
    unit_labels: dict[str, str] = field(
        default_factory=lambda: {"border": "приграничная", "non_border": "неприграничная"}
    )
    definition: str = ""
    line: Path | None = None
    distance_label: str = "расстояние до границы"


@dataclass(frozen=True)
class Grouping:
    """How reports name a grouping column and its values."""

    column: str
    label: str
    values: dict[str, str] = field(default_factory=dict)
    values_from: str | None = None  # a column of the units holding the value labels


@dataclass(frozen=True)
class ModelTerm:
    """One covariate of the logistic models: a 0/1 indicator of ``level`` of ``column``, or a number."""

    name: str
    column: str
    label: str
    level: str | None = None


@dataclass(frozen=True)
class PublishedFigure:
    """A published figure the run must reproduce.

    ``what``: ``respondents``, ``units``, ``units:<column>=<value>`` (units with that attribute)
    or ``category:<id>`` (respondents coded with the category).
    """

    figure: str
    published: int
    what: str
    label: str
    file: str = ""  # the published figures' CSV and the figure's row in it, for messages
    row: int | None = None


@dataclass(frozen=True)
class Study:
    """The settings of one study (see the module docstring); paths are absolute."""

    title: str
    short_title: str
    subtitle: str = DEFAULT_SUBTITLE
    synthetic_notice: str = DEFAULT_NOTICE
    synthetic: bool = False  # the responses are synthetic whatever their format (a CSV has no Keywords)
    files: dict[str, Path] = field(default_factory=dict)
    unit_tables: tuple[UnitTable, ...] = ()
    border: Border | None = None
    groups: dict[str, Grouping] = field(default_factory=dict)
    group_by: str | None = None
    analyse: str | None = None  # the coded question whose codes the tables use (default: the first)
    models: tuple[ModelTerm, ...] = ()
    joint: tuple[tuple[str, ...], ...] = ()
    published: tuple[PublishedFigure, ...] = ()
    published_path: Path | None = None
    units_word: str = "единиц"
    unit_kinds: dict[str, str] = field(default_factory=dict)
    path: Path | None = None
    folder: Path | None = None  # a study the user named (--study): a file it lacks is an error, never the bundled one
    group_by_line: int | None = None  # the line of group_by in study.yaml

    def __deepcopy__(self, memo: dict) -> Study:
        # immutable settings: pandas deep-copies a frame's attrs on every operation, and the
        # study rides in the analysis frame's attrs — copying it each time cost seconds
        return self

    def file(self, role: str) -> Path | None:
        """The study's file for ``role`` (``questionnaire``, ``units``…), or None."""
        return self.files.get(role)

    def not_names(self) -> list[str]:
        """The study's words that are never person names (``files: not_names``): one per line,
        ``#`` starts a comment, ``слово*`` covers every word starting so (a partner city in any
        case: ``харбин*``). Empty without the file."""
        path = self.file("not_names")
        if path is None:
            return []
        text = read_config_text(path, "(files: not_names в study.yaml)")
        words = []
        for number, line in enumerate(text.splitlines(), start=1):
            word = line.split("#", 1)[0].strip().lower()
            if not word:
                continue
            if " " in word or not re.fullmatch(r"[\w-]+\*?", word):
                raise ConfigError(
                    f"{path}, строка {number}: «{line.strip()}» — ожидается одно слово (или начало слова со "
                    "звёздочкой: «харбин*»). Запишите каждое слово на своей строке."
                )
            words.append(word)
        return words

    def grouping_label(self, column: str) -> str | None:
        """The Russian name of grouping ``column`` (e.g. «федеральные округа»), or None."""
        if column in self.groups:
            return self.groups[column].label
        if self.border is not None and column == BORDER_STATUS:
            return f"{self.border.groups['border']} и {self.border.groups['non_border']} единицы"
        return None


def load_study(path: str | Path | None = None, *, questionnaire_title: str = "") -> Study:
    """Read ``study.yaml`` (default: the bundled study's); ``None`` path that does not exist → defaults.

    Raises :class:`ConfigError` naming every problem and its line when the file is broken.
    """
    if path is None:
        try:
            path = default_path("study")
        except ConfigError:
            return Study(title=questionnaire_title or "Опрос", short_title=questionnaire_title or "Опрос")
        if not Path(path).is_file():
            return Study(title=questionnaire_title or "Опрос", short_title=questionnaire_title or "Опрос")
    path = Path(path)
    data = load_yaml(path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: файл настроек исследования должен быть словарём ключей (title, files, …).")
    problems: list[Problem] = []
    base = path.parent

    def bad(line: int | None, message: str, fix: str = "") -> None:
        problems.append(Problem(Location(str(path), line=line), Code.STUDY, message, fix))

    top_line = data.get(LINE_KEY)
    for key in sorted(set(data) - _KEYS):
        bad(top_line, f"неизвестный ключ «{key}».", f"Допустимые ключи: {', '.join(sorted(_KEYS - {LINE_KEY}))}.")
    files = _files(data.get("files"), base, bad)
    unit_tables = _unit_tables(data.get("unit_tables"), base, bad)
    border = _border(data.get("border"), base, bad)
    groups = _groups(data.get("groups"), bad)
    terms, joint = _models(data.get("models"), bad)
    published_path = None
    published: tuple[PublishedFigure, ...] = ()
    if data.get("published"):
        published_path = (base / str(data["published"])).resolve()
        published = _published(published_path, bad)
    wording = data.get("wording") or {}
    if not isinstance(wording, dict):
        bad(top_line, "wording должен быть словарём (units, unit_kinds).")
        wording = {}
    synthetic = data.get("synthetic", False)
    if not isinstance(synthetic, bool):
        bad(top_line, f"synthetic: ожидается true или false, а не «{synthetic}».")
        synthetic = False
    group_by = data.get("group_by")
    if group_by is not None and not isinstance(group_by, str):
        bad(top_line, "group_by — имя столбца группировки.")
        group_by = None
    analyse = data.get("analyse")
    if analyse is not None and not isinstance(analyse, str):
        bad(top_line, "analyse — id открытого вопроса (coded: true), коды которого идут в таблицы.")
        analyse = None
    if problems:
        raise ConfigError(
            f"{path}: настройки исследования содержат ошибки ({len(problems)}):\n" + bulleted(problems),
            problems=problems,
        )
    title = str(data.get("title") or questionnaire_title or "Опрос")
    return Study(
        title=title,
        short_title=str(data.get("short_title") or title),
        subtitle=str(data.get("subtitle") or DEFAULT_SUBTITLE),
        synthetic_notice=" ".join(str(data.get("synthetic_notice") or DEFAULT_NOTICE).split()),
        synthetic=synthetic,
        files=files,
        unit_tables=unit_tables,
        border=border,
        groups=groups,
        group_by=group_by,
        group_by_line=key_line(path, "group_by") if group_by else None,
        analyse=analyse,
        models=terms,
        joint=joint,
        published=published,
        published_path=published_path,
        units_word=str(wording.get("units") or "единиц"),
        unit_kinds={str(k): str(v) for k, v in (strip_lines(wording.get("unit_kinds")) or {}).items()},
        path=path.resolve(),
    )


def find_study(folder: str | Path) -> Study:
    """The study in ``folder``: its ``study.yaml`` (or ``questionnaires/study.yaml``), else the files
    found by their conventional names (``questionnaire.yaml``, ``codebook.yaml``, ``units.csv``,
    ``responses.xlsx``/``.csv``, and ``<responses>_gold.csv``)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError(f"{folder}: папка исследования не найдена (--study). Укажите папку с файлами исследования.")
    for candidate in (folder / "study.yaml", folder / "questionnaires" / "study.yaml"):
        if candidate.is_file():
            return _own(_with_conventional_files(load_study(candidate), folder), folder)
    return _own(_with_conventional_files(Study(title="", short_title=""), folder), folder)


def _own(study: Study, folder: Path) -> Study:
    """``study`` as one the user named: the files it lacks are not taken from the bundled study
    (unless it is the bundled study itself)."""
    try:
        bundled = default_path("study").resolve()
    except ConfigError:
        bundled = None
    if study.path is not None and study.path == bundled:
        return study
    return Study(**{**study.__dict__, "folder": folder.resolve()})


def _with_conventional_files(study: Study, folder: Path) -> Study:
    files = dict(study.files)
    for role, names in _CONVENTIONAL.items():
        if role in files:
            continue
        for name in names:
            if (folder / name).is_file():
                files[role] = (folder / name).resolve()
                break
    responses = files.get("responses")
    if "gold" not in files and responses is not None:
        gold = responses.with_name(f"{responses.stem}_gold.csv")
        if gold.is_file():
            files["gold"] = gold
    if "questionnaire" not in files:
        raise ConfigError(
            f"{folder}: в папке исследования нет анкеты (questionnaire.yaml или study.yaml со списком files). "
            "Положите анкету в папку или укажите её явно: --questionnaire."
        )
    return Study(**{**study.__dict__, "files": files})


def resolve_study(study: str | Path | Study | None = None, questionnaire: str | Path | None = None) -> Study:
    """The study a command works on.

    ``study``: a :class:`Study`, a folder (``--study``) or a ``study.yaml``. Without it: the
    ``study.yaml`` beside an explicitly given ``questionnaire`` (or none: default settings, so that
    a questionnaire of another survey never inherits the bundled study's titles and figures), or,
    with no questionnaire either, the bundled study.
    """
    if isinstance(study, Study):
        return study
    if study is not None:
        path = Path(study)
        return find_study(path) if path.is_dir() else _own(load_study(path), path.parent)
    if questionnaire is not None:
        beside = Path(questionnaire).with_name("study.yaml")
        return load_study(beside) if beside.is_file() else Study(title="", short_title="")
    return load_study()


def with_questionnaire(study: Study, questionnaire: Questionnaire) -> Study:
    """The study with the questionnaire's title where the settings give none."""
    if study.title:
        return study
    title = questionnaire.title or questionnaire.id
    return Study(**{**study.__dict__, "title": title, "short_title": study.short_title or title})


_ROLE_NAMES = {
    "questionnaire": "анкеты",
    "codebook": "кодовой книги",
    "units": "справочника единиц",
    "responses": "файла с ответами",
}


def study_file(study: Study, role: str, given: str | Path | None) -> Path:
    """The file for ``role``: ``given`` (a command-line option) wins, then the study's, then the
    bundled default (``questionnaires/…``, ``responses/…``) — but never for a study the user named
    (``--study FOLDER``): there a missing file is a :class:`ConfigError` naming the folder and the
    file names looked for."""
    if given is not None:
        return Path(given)
    found = study.file(role)
    if found is not None:
        return found
    if study.folder is None:
        return default_path(role)
    names = listed([f"«{name}»" for name in _CONVENTIONAL[role]])
    settings = study.path if study.path is not None else study.folder / "study.yaml"
    raise ConfigError(
        f"{study.folder}: в папке исследования нет {_ROLE_NAMES[role]} (искали {names}). "
        f"Положите файл в папку под одним из этих имён или укажите его путь в {settings} "
        f"(files: {{{role}: …}}) либо параметром --{role}; файлы встроенного исследования для другой папки "
        "не используются."
    )


def _files(raw: Any, base: Path, bad) -> dict[str, Path]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        bad(None, "files должен быть словарём: роль файла → путь.")
        return {}
    out = {}
    for role, value in raw.items():
        if role == LINE_KEY:
            continue
        if role not in FILE_ROLES:
            bad(raw.get(LINE_KEY), f"files: неизвестная роль «{role}».", f"Допустимо: {', '.join(FILE_ROLES)}.")
            continue
        out[role] = (base / str(value)).resolve()
    return out


def _unit_tables(raw: Any, base: Path, bad) -> tuple[UnitTable, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        bad(None, "unit_tables должен быть списком таблиц {file, key}.")
        return ()
    out = []
    for item in raw:
        line = item.get(LINE_KEY) if isinstance(item, dict) else None
        if not isinstance(item, dict) or not item.get("file") or not item.get("key"):
            bad(line, "unit_tables: у каждой таблицы нужны file и key (столбец справочника единиц).")
            continue
        out.append(UnitTable((base / str(item["file"])).resolve(), str(item["key"])))
    return tuple(out)


def _border(raw: Any, base: Path, bad) -> Border | None:
    if raw is None:
        return None
    line = raw.get(LINE_KEY) if isinstance(raw, dict) else None
    if not isinstance(raw, dict) or not raw.get("column"):
        bad(line, "border: укажите column — столбец справочника единиц со значениями true/false.")
        return None
    kwargs: dict[str, Any] = {"column": str(raw["column"])}
    for key in ("label", "definition", "distance_label"):
        if raw.get(key):
            kwargs[key] = " ".join(str(raw[key]).split())
    for key in ("groups", "unit_labels"):
        if raw.get(key) is not None:
            value = strip_lines(raw[key])
            if not isinstance(value, dict) or set(value) != set(BORDER_GROUPS):
                bad(line, f"border.{key}: нужны подписи для border и non_border.")
            else:
                kwargs[key] = {str(k): str(v) for k, v in value.items()}
    if raw.get("line"):
        kwargs["line"] = (base / str(raw["line"])).resolve()
    return Border(**kwargs)


def _groups(raw: Any, bad) -> dict[str, Grouping]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        bad(None, "groups должен быть словарём: столбец → {label, values}.")
        return {}
    out = {}
    for column, spec in raw.items():
        if column == LINE_KEY:
            continue
        line = spec.get(LINE_KEY) if isinstance(spec, dict) else raw.get(LINE_KEY)
        if not isinstance(spec, dict) or not spec.get("label"):
            bad(line, f"groups.{column}: укажите label — русское название группировки.")
            continue
        values = strip_lines(spec.get("values")) or {}
        if not isinstance(values, dict):
            bad(line, f"groups.{column}.values: словарь значение → подпись.")
            values = {}
        out[str(column)] = Grouping(
            str(column),
            str(spec["label"]),
            {str(k): str(v) for k, v in values.items()},
            str(spec["values_from"]) if spec.get("values_from") else None,
        )
    return out


def _models(raw: Any, bad) -> tuple[tuple[ModelTerm, ...], tuple[tuple[str, ...], ...]]:
    if raw is None:
        return (), ()
    line = raw.get(LINE_KEY) if isinstance(raw, dict) else None
    if not isinstance(raw, dict) or not isinstance(raw.get("terms"), list):
        bad(line, "models: укажите terms — список признаков модели {name, column, label, level}.")
        return (), ()
    terms = []
    for item in raw["terms"]:
        tline = item.get(LINE_KEY) if isinstance(item, dict) else line
        if not isinstance(item, dict) or not item.get("name") or not item.get("column"):
            bad(tline, "models.terms: у каждого признака нужны name и column.")
            continue
        terms.append(
            ModelTerm(
                str(item["name"]),
                str(item["column"]),
                str(item.get("label") or item["name"]),
                str(item["level"]) if item.get("level") is not None else None,
            )
        )
    names = {t.name for t in terms}
    if len(names) != len(terms):
        bad(line, "models.terms: имена признаков (name) повторяются.")
    joint = []
    for group in raw.get("joint") or []:
        if not isinstance(group, list) or len(group) < 2 or not set(map(str, group)) <= names:
            bad(line, f"models.joint: {group} — нужен список из двух и более имён признаков из terms.")
            continue
        joint.append(tuple(str(g) for g in group))
    return tuple(terms), tuple(joint)


def _published(path: Path, bad) -> tuple[PublishedFigure, ...]:
    if not path.is_file():
        bad(None, f"published: файл {path} не найден.", "Укажите путь к CSV с опубликованными показателями.")
        return ()
    try:
        frame = read_csv_frame(path, MAX_PUBLISHED_BYTES, "файл опубликованных показателей больше 1 МБ.")
    except InputError as exc:
        bad(None, f"published: {exc.message}")
        return ()
    missing = [c for c in ("figure", "published", "what") if c not in frame.columns]
    if missing:
        bad(None, f"published: в {path.name} нет столбцов {', '.join(missing)}.", "Нужны: figure,published,what,label.")
        return ()
    out = []
    for i, rec in enumerate(frame.to_dict("records"), start=frame.attrs["first_row"]):
        where = f"{path.name}, строка {i}"
        if not _WHAT.match(rec["what"]):
            bad(
                None,
                f"{where}: what «{rec['what']}» не понятно.",
                "Допустимо: respondents, units, units:<столбец>=<значение>, category:<id категории>.",
            )
            continue
        try:
            value = int(rec["published"])
        except ValueError:
            bad(None, f"{where}: published «{rec['published']}» — не целое число.")
            continue
        out.append(PublishedFigure(rec["figure"], value, rec["what"], rec.get("label") or rec["figure"], path.name, i))
    return tuple(out)


def published_problems(study: Study, categories: list[str]) -> list[Problem]:
    """Warnings for published figures of a category the codebook does not have (renamed or
    removed): the check would show «нет данных» without saying why."""
    import difflib

    problems = []
    for fig in study.published:
        kind, _, cid = parse_what(fig.what)
        if kind != "category" or cid in categories:
            continue
        near = difflib.get_close_matches(str(cid), categories, n=1, cutoff=0.5)
        problems.append(
            Problem(
                Location(fig.file, row=fig.row),
                Code.PUBLISHED_UNKNOWN_CATEGORY,
                f"показатель «{fig.figure}» (опубликовано {fig.published}): в кодовой книге нет категории «{cid}», "
                "сравнить не с чем.",
                "Исправьте what на category:<id> категории кодовой книги"
                + (f" (возможно, category:{near[0]})." if near else f" ({listed(categories)})."),
                value=fig.what,
            )
        )
    return problems


def parse_what(what: str) -> tuple[str, str | None, str | None]:
    """``("units", "kind", "city")`` for ``units:kind=city``; ``("category", None, "distance")``…"""
    m = _WHAT.match(what)
    if m is None:
        raise ValueError(what)
    if m["cat"]:
        return "category", None, m["cat"]
    if m["col"]:
        return "units", m["col"], m["val"]
    return what, None, None
