"""Helpers shared by tests."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATS = [
    "distance",
    "language",
    "funding",
    "mentality",
    "covid",
    "legal",
    "interest",
    "bureaucracy",
    "economy",
    "no_problems",
]
Z = 1.959963984540054  # the 97.5 % normal quantile, for hand-computed 95 % intervals


@dataclass
class Result:
    code: int
    out: str
    err: str


def survey(*args, cwd: Path | None = None, timeout: int = 300) -> Result:
    """Run ``python -m survey ARGS`` in a subprocess, as a user would run it."""
    proc = subprocess.run(
        [sys.executable, "-m", "survey", *map(str, args)],
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)
