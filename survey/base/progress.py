"""Progress of long work on the terminal, and the time of every step.

:class:`Steps` times the steps of a run (``run.json`` records them) and, when stderr is a terminal
and progress messages are wanted (not ``-q``), shows a live line per step with rich: a spinner and
the elapsed time, or a bar where the step knows its size (coding answers). In CI logs, pipes and
files nothing is drawn — only the usual one-line messages of the ``survey`` logger.

>>> steps = Steps(show=False)
>>> with steps.step("read", "Чтение"):
...     pass
>>> list(steps.seconds)
['read']
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

log = logging.getLogger("survey")


def progress_wanted() -> bool:
    """Draw progress only on a terminal, and only when messages are not silenced (``-q``)."""
    return sys.stderr.isatty() and log.isEnabledFor(logging.INFO)


class Steps:
    """Named, timed steps; with ``show`` a rich progress display on stderr."""

    def __init__(self, show: bool | None = None):
        self.show = progress_wanted() if show is None else show
        self.seconds: dict[str, float] = {}
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> Steps:
        if self.show:
            from rich.console import Console  # lazy: only on a terminal
            from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    @contextmanager
    def step(self, key: str, description: str, total: int | None = None) -> Iterator[Steps]:
        """Time a step; ``total`` (items) gives a bar that :meth:`advance` moves."""
        start = time.perf_counter()
        if self._progress is not None:
            self._task = self._progress.add_task(description, total=total)
        else:
            log.info("%s", description)
        try:
            yield self
        finally:
            self.seconds[key] = round(self.seconds.get(key, 0.0) + time.perf_counter() - start, 3)
            if self._progress is not None and self._task is not None:
                task = self._progress.tasks[self._task]
                self._progress.update(self._task, total=task.total or 1, completed=task.total or 1)
                self._task = None

    def advance(self, n: int = 1) -> None:
        """Move the current step's bar by ``n`` items (no-op without a display)."""
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, n)
