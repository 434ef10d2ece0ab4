"""A second process for the heavy statistical steps of a run.

On this project's machines (2 cores) most of ``survey run`` is spent importing scipy,
statsmodels and scikit-learn and then computing the analysis and the suggestion classifier.
:class:`Background` forks a worker at the start of the run that imports that stack at once,
while the main process reads, validates and codes the answers; the main process then hands it
the analysis and the classifier and lays out the reports in the meantime.

Results are exactly those of running the same functions in the main process — which is what
happens when ``fork`` is unavailable (non-POSIX systems), when ``SURVEY_NO_FORK=1`` is set, or
when the worker dies: nothing depends on the worker but speed.
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing
import os
import queue
import threading
import traceback
from collections.abc import Callable
from typing import Any

PRELOAD = (
    "scipy.stats",
    "statsmodels.discrete.discrete_model",
    "statsmodels.stats.multitest",
    "statsmodels.stats.proportion",
    "statsmodels.stats.contingency_tables",
    "sklearn.feature_extraction.text",
    "sklearn.linear_model",
    "sklearn.model_selection",
    "sklearn.metrics",
)


def _worker(conn, preload: tuple[str, ...]) -> None:
    # receive on a thread from the start: the main process must not block on a full pipe
    # while this process is still importing
    inbox: queue.Queue = queue.Queue()

    def receive() -> None:
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                message = None
            inbox.put(message)
            if message is None:
                return

    threading.Thread(target=receive, daemon=True).start()
    for name in preload:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    while True:
        message = inbox.get()
        if message is None:
            return
        key, func, args, kwargs = message
        try:
            conn.send((key, True, func(*args, **kwargs)))
        except BaseException as exc:  # sent back and raised in the main process
            # the traceback does not cross the pipe: its text goes as a note (shown with --debug)
            exc.add_note("В фоновом процессе:\n" + "".join(traceback.format_exception(exc)).rstrip())
            try:
                conn.send((key, False, exc))
            except Exception:
                conn.send((key, False, RuntimeError(f"{type(exc).__name__}: {exc}")))


class Pending:
    """The result of a submitted call (:meth:`result` waits for it)."""

    def __init__(self, owner: Background, key: int, func: Callable, args: tuple, kwargs: dict):
        self._owner, self.key, self._call = owner, key, (func, args, kwargs)

    def result(self) -> Any:
        return self._owner._result(self)


class Background:
    """A forked worker running submitted calls in order; falls back to running them here."""

    def __init__(self, enabled: bool = True, preload: tuple[str, ...] = PRELOAD):
        self._conn = None
        self._proc = None
        self._done: dict[int, tuple[bool, Any]] = {}
        self._next = 0
        if enabled and os.environ.get("SURVEY_NO_FORK") != "1" and "fork" in multiprocessing.get_all_start_methods():
            try:
                ctx = multiprocessing.get_context("fork")
                self._conn, child = ctx.Pipe()
                self._proc = ctx.Process(target=_worker, args=(child, preload), daemon=True)
                self._proc.start()
                child.close()
            except OSError:
                self._conn = self._proc = None

    def submit(self, func: Callable, *args, **kwargs) -> Pending:
        self._next += 1
        pending = Pending(self, self._next, func, args, kwargs)
        if self._conn is not None:
            try:
                self._conn.send((pending.key, func, args, kwargs))
            except (OSError, ValueError):
                self._stop()
        return pending

    def _result(self, pending: Pending) -> Any:
        while pending.key not in self._done and self._conn is not None:
            try:
                key, ok, value = self._conn.recv()
            except (EOFError, OSError):
                self._stop()
                break
            self._done[key] = (ok, value)
        if pending.key not in self._done:  # no worker (any more): compute here
            func, args, kwargs = pending._call
            return func(*args, **kwargs)
        ok, value = self._done.pop(pending.key)
        if not ok:
            raise value
        return value

    def _stop(self) -> None:
        if self._proc is not None and self._proc.is_alive():
            self._proc.kill()
        self._conn = self._proc = None

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(OSError, ValueError):
                self._conn.send(None)
            if self._proc is not None:
                self._proc.join(timeout=5)
        self._stop()

    def __enter__(self) -> Background:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
