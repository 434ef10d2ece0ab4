"""Helpers shared by tests."""
from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Result:
    code: int
    out: str
    err: str


def survey(*args, cwd: Path | None = None, timeout: int = 300) -> Result:
    """Run ``python -m survey ARGS`` in a subprocess, as a user would run it."""
    proc = subprocess.run([sys.executable, "-m", "survey", *map(str, args)], cwd=cwd or ROOT,
                          capture_output=True, text=True, timeout=timeout)
    return Result(proc.returncode, proc.stdout, proc.stderr)
