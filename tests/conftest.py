"""Shared fixtures. Tests run from any folder: paths are relative to the repository."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"

# Property tests draw the same examples on every run (a CI run is reproducible and cannot turn red
# by chance); HYPOTHESIS_PROFILE=explore draws new ones each run, to hunt for new failures.
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


@pytest.fixture(autouse=True)
def _project_cwd(monkeypatch):
    """Commands resolve default files from the project folder, as a user runs them."""
    monkeypatch.chdir(ROOT)


@pytest.fixture(scope="session")
def questionnaire():
    from survey.spec.questionnaire import load_questionnaire

    return load_questionnaire(ROOT / "questionnaires" / "questionnaire.yaml")


@pytest.fixture(scope="session")
def units():
    from survey.spec.units import load_units

    return load_units()  # the bundled gazetteer with its study's attributes (border status, macro-region…)


@pytest.fixture()
def cli_run():
    """Run the command line in-process; returns (exit code, stdout, stderr)."""
    from survey.cli import main

    def call(*args: str, capsys=None):
        return main([str(a) for a in args])

    return call


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory):
    """The whole pipeline once on the bundled sample (shared by many tests)."""
    from survey.pipeline import run

    out = tmp_path_factory.mktemp("reports")
    return run(out=out)


@pytest.fixture(scope="session")
def second_run(tmp_path_factory):
    """The same run again, without the background worker (SURVEY_NO_FORK=1): for tests that
    compare two runs (byte-identical outputs; same results with and without the worker)."""
    import os

    from survey.pipeline import run

    out = tmp_path_factory.mktemp("again")
    previous = os.environ.get("SURVEY_NO_FORK")
    os.environ["SURVEY_NO_FORK"] = "1"
    try:
        return run(out=out)
    finally:
        if previous is None:
            del os.environ["SURVEY_NO_FORK"]
        else:
            os.environ["SURVEY_NO_FORK"] = previous


@pytest.fixture(scope="session")
def coder():
    from survey.coding.coder import Coder

    return Coder()


@pytest.fixture(scope="module")
def frame():
    """The bundled sample with its gold coding, as an analysis frame."""
    from survey.analysis.frame import sample_frame

    return sample_frame()
