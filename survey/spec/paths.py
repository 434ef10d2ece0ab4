"""Where the project's data files are: the current folder, else the source checkout."""

from __future__ import annotations

from pathlib import Path

from survey.errors import ConfigError

# Default files, relative to the project folder.
DEFAULTS = {
    "questionnaire": Path("questionnaires/questionnaire.yaml"),
    "codebook": Path("questionnaires/codebook.yaml"),
    "study": Path("questionnaires/study.yaml"),
    "units": Path("responses/units.csv"),
    "responses": Path("responses/sample.xlsx"),
    "gold": Path("responses/sample_gold.csv"),
}
DEFAULT_OUT = Path("reports")


def project_root() -> Path:
    """The folder holding ``questionnaires/`` and ``responses/``.

    The current folder when it is a project folder, else the source checkout this package
    was installed from (``pip install -e .``).
    """
    marker = DEFAULTS["questionnaire"]
    for candidate in (Path.cwd(), Path(__file__).resolve().parents[2]):
        if (candidate / marker).is_file():
            return candidate
    raise ConfigError(
        f"Не найден файл анкеты {marker}. Запустите команду из папки проекта survey "
        "или укажите пути к файлам явно (--questionnaire, --units, --responses)."
    )


def default_path(name: str) -> Path:
    """Absolute path of a default data file, e.g. ``default_path("units")``."""
    return project_root() / DEFAULTS[name]
