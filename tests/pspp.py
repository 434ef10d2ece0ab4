"""Running GNU PSPP on syntax in tests, and reading its tables (tests skip PSPP checks without it)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

PSPP = shutil.which("pspp")
needs_pspp = pytest.mark.skipif(PSPP is None, reason="pspp is not installed (apt-get install pspp)")


def run_pspp(folder: Path, syntax: str, name: str = "run.sps") -> str:
    """Run ``syntax`` with PSPP in ``folder``; its output, after checking it has no error, warning or note."""
    assert PSPP is not None
    sps = folder / name
    sps.write_text(syntax, encoding="utf-8")
    env = dict(os.environ, LC_ALL="C.UTF-8", LANG="C.UTF-8")
    proc = subprocess.run(
        [PSPP, "-O", "box=ascii", str(sps)], cwd=folder, capture_output=True, text=True, timeout=300, env=env
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert not re.search(r"(warning|error|note):", out, re.IGNORECASE), out
    return proc.stdout


def mr_table(output: str) -> dict[str, dict]:
    """PSPP's «Multiple Response Sets» table as {name: {label, encoding, counted, vars}}."""
    lines = output.splitlines()
    title = next(i for i, line in enumerate(lines) if "Multiple Response Sets" in line)
    header = next(i for i in range(title, len(lines)) if lines[i].startswith("|Name"))
    sets: dict[str, dict] = {}
    current: dict = {}
    for line in lines[header + 2 :]:  # after the header row and its rule
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        assert len(cells) == 5, line
        name, label, encoding, counted, var = cells
        if name and encoding:
            current = sets[name] = {"name": name, "label": label, "encoding": encoding, "counted": counted, "vars": []}
        elif name:  # a wrapped name cell
            sets.pop(current["name"])
            current["name"] += name
            sets[current["name"]] = current
        if label and not encoding:
            current["label"] += " " + label  # a wrapped label cell
        if var:
            current["vars"].append(var)
    for entry in sets.values():
        del entry["name"]
    return sets
