"""The background process of `survey run`: same results, errors come back, a dead worker is harmless."""

from __future__ import annotations

import os

import pytest

from survey.base.background import Background
from survey.errors import InvalidDataError


def square(x: int) -> tuple[int, int]:
    return x * x, os.getpid()


def fail(message: str) -> None:
    raise InvalidDataError(message)


def test_calls_run_in_another_process_in_order():
    with Background(preload=()) as bg:
        first, second = bg.submit(square, 3), bg.submit(square, 4)
        (a, pid_a), (b, pid_b) = first.result(), second.result()
    assert (a, b) == (9, 16)
    assert pid_a == pid_b != os.getpid()


def test_errors_are_raised_here_with_their_type_and_message():
    with Background(preload=()) as bg:
        pending = bg.submit(fail, "в файле нет столбца «q3_problems»")
        with pytest.raises(InvalidDataError) as err:
            pending.result()
    assert "q3_problems" in str(err.value)


def test_the_workers_traceback_comes_back_for_debug():
    # review 48: with the forked worker, `--debug` showed only the line that re-raised the error
    import traceback

    with Background(preload=()) as bg:
        pending = bg.submit(fail, "сбой")
        with pytest.raises(InvalidDataError) as err:
            pending.result()
    shown = "".join(traceback.format_exception(err.value))
    assert "В фоновом процессе" in shown and "in fail" in shown and "raise InvalidDataError(message)" in shown


def test_a_dead_worker_means_computing_here():
    with Background(preload=()) as bg:
        bg._proc.kill()
        bg._proc.join()
        value, pid = bg.submit(square, 5).result()
    assert value == 25 and pid == os.getpid()


def test_without_fork_everything_runs_here(monkeypatch):
    monkeypatch.setenv("SURVEY_NO_FORK", "1")
    with Background() as bg:
        assert bg.submit(square, 6).result() == (36, os.getpid())


@pytest.mark.slow
def test_run_gives_the_same_files_with_and_without_the_worker(sample_run, second_run):
    files = list(sample_run.out.rglob("*.csv"))
    assert len(files) >= 15
    for path in files:
        assert (second_run.out / path.relative_to(sample_run.out)).read_bytes() == path.read_bytes(), path
