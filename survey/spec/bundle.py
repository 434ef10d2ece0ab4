"""A study opened for work: its settings, questionnaire and gazetteer, and where its files are.

Every command takes the study's files the same way (``--study`` and, overriding it, ``--questionnaire``,
``--units``, ``--codebook``, ``--responses``): :func:`open_study` resolves them once.

>>> bundle = open_study()
>>> bundle.questionnaire.id, len(bundle.units), bundle.paths["codebook"].name
('sister-cities-china', 77, 'codebook.yaml')
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from survey.spec.questionnaire import Questionnaire, load_questionnaire
from survey.spec.study import Study, resolve_study, study_file, with_questionnaire
from survey.spec.units import load_units


@dataclass(frozen=True)
class StudyBundle:
    """The study's settings, its loaded questionnaire and gazetteer, and the paths of its files."""

    study: Study
    questionnaire: Questionnaire
    units: pd.DataFrame
    paths: dict[str, Path]  # questionnaire, units, and the codebook and responses when the study has them

    def path(self, role: str) -> Path:
        """The study's file for ``role``; a study folder without it: :class:`ConfigError` naming
        the folder and the file names looked for (:func:`~survey.spec.study.study_file`)."""
        return self.paths.get(role) or study_file(self.study, role, None)


def open_study(
    study: str | Path | Study | None = None,
    *,
    questionnaire: str | Path | None = None,
    units: str | Path | None = None,
    codebook: str | Path | None = None,
    responses: str | Path | None = None,
) -> StudyBundle:
    """Resolve and load a study's files (see :func:`survey.spec.study.resolve_study`)."""
    st = resolve_study(study, questionnaire)
    paths = {
        "questionnaire": study_file(st, "questionnaire", questionnaire),
        "units": study_file(st, "units", units),
    }
    for role, given in (("codebook", codebook), ("responses", responses)):
        if given is not None or st.file(role) is not None or st.folder is None:  # else: reported when asked for
            paths[role] = study_file(st, role, given)
    q = load_questionnaire(paths["questionnaire"])
    st = with_questionnaire(st, q)
    return StudyBundle(st, q, load_units(paths["units"], st), paths)


def study_inputs(
    study: str | Path | Study | None = None,
    questionnaire: Questionnaire | str | Path | None = None,
    units: pd.DataFrame | str | Path | None = None,
) -> tuple[Questionnaire, pd.DataFrame]:
    """The questionnaire and gazetteer a command works with: loaded objects pass through; paths and
    ``None`` are resolved through the study (:func:`open_study`)."""
    q = questionnaire if isinstance(questionnaire, Questionnaire) else None
    u = units if isinstance(units, pd.DataFrame) else None
    if q is None or u is None:
        bundle = open_study(
            study,
            questionnaire=None if isinstance(questionnaire, Questionnaire) else questionnaire,
            units=None if isinstance(units, pd.DataFrame) else units,
        )
        q = q if q is not None else bundle.questionnaire
        u = u if u is not None else bundle.units
    return q, u
