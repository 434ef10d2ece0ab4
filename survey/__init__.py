"""survey: analysis pipeline for the expert survey of Russian–Chinese sister-city cooperation.

The Python API comes first; the ``survey`` command is a thin shell over it::

    from survey import load_questionnaire, load_units, validate, run
    result = run(out="reports")            # the whole pipeline on the bundled sample

Heavy modules are imported on first use, so ``import survey`` stays fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = ["load_questionnaire", "load_units", "validate", "ingest", "run", "SurveyError"]

_LAZY = {
    "load_questionnaire": "survey.spec.questionnaire",
    "load_units": "survey.spec.units",
    "validate": "survey.inputs.validate",
    "ingest": "survey.inputs.readers",
    "run": "survey.pipeline",
    "SurveyError": "survey.errors",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'survey' has no attribute {name!r}")
