"""Progress on long work: drawn on a terminal, absent in pipes and CI logs and with ``-q``; every
step of a run is timed in run.json."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys

import pytest

from .conftest import ROOT
from .helpers import survey

ESC = "\x1b["  # any ANSI control sequence: colours, cursor movement, line redraws


def _run_on_terminal(args: list[str], timeout: float = 300) -> tuple[int, str]:
    """Run ``python -m survey ARGS`` with stderr on a pseudo-terminal; returns (exit code, what it drew)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "survey", *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=slave,
        env={**os.environ, "COLUMNS": "120", "TERM": "xterm"},
    )
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], timeout)
        if not ready:
            proc.kill()
            raise TimeoutError(args)
        try:
            data = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return proc.wait(timeout=timeout), b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.slow
def test_a_terminal_sees_each_step_drawn_live(tmp_path):
    code, drawn = _run_on_terminal(["run", "--out", str(tmp_path / "out")])
    assert code == 0
    assert ESC in drawn  # a live display, redrawn in place
    for description in ("Чтение и проверка ответов", "Лист проверки кодов", "Сводка summary.pdf"):
        assert description in drawn
    assert "0:00:" in drawn  # the elapsed time of each step
    steps = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))["seconds"]
    assert {"read", "code", "analysis", "summary_xlsx", "summary_pdf"} <= set(steps)
    assert all(isinstance(s, float) and s >= 0 for s in steps.values())


@pytest.mark.slow
def test_quiet_on_a_terminal_draws_nothing(tmp_path):
    code, drawn = _run_on_terminal(["-q", "run", "--out", str(tmp_path / "out")])
    assert code == 0
    assert ESC not in drawn and "Чтение и проверка ответов" not in drawn


@pytest.mark.slow
def test_a_pipe_gets_plain_lines_only(tmp_path):
    # as in CI logs: each step is one plain line, no control codes, no redrawn lines
    res = survey("run", "--out", tmp_path / "out")
    assert res.code == 0 and ESC not in res.err and "\r" not in res.err
    assert "Чтение и проверка ответов" in res.err and "Сводка summary.pdf" in res.err


def test_coding_moves_its_bar_as_answers_are_coded():
    import pandas as pd

    from survey.coding.coder import Coder, code_responses
    from survey.spec.bundle import open_study

    bundle = open_study()
    q = bundle.questionnaire
    question = q.coded_questions[0].id
    data = pd.DataFrame({"expert_id": [f"E{i}" for i in range(1234)], question: ["Нет переводчиков."] * 1234})
    moves: list[int] = []
    coded = code_responses(data, q, Coder(learned=False), moves.append)
    assert len(coded) == 1234 and moves == [500, 500]  # the step's end fills the bar
