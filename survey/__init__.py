"""survey: the analysis pipeline for expert surveys.

The Python API comes first; the ``survey`` command is a thin shell over it::

    from survey import load_questionnaire, load_units, validate, run
    result = run(out="reports")            # the whole pipeline on the bundled sample

The package is a stack of stages; data flow one way, and a module imports only from its own
subpackage or from the stages below it (``tests/test_architecture.py`` checks this):

    errors      the error classes and the catalogue of problem codes
    base        shared tools (text, missing values, safe files, workbooks, background worker)
    spec        what a study is: questionnaire, codebook, gazetteer, template layout
    inputs      reading and validating responses
    coding      coding open answers, review loop, agreement        forms    templates, XLSForm, ingest
    analysis    tables, tests, models                              exports  SPSS
    reports     summaries for readers (Excel, PDF, HTML)
    pipeline    the whole chain (``survey run``)
    cli         the command line

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
