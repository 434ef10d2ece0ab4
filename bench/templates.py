"""Benchmark: ingest of 1,000 filled templates, next to just opening them with openpyxl."""

from __future__ import annotations

import io
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = "EXPERT-ID-PLACEHOLDER"


def filled_template(folder: Path) -> Path:
    """One template for Благовещенск, filled as an administrator would (by question text)."""
    sys.path.insert(0, str(ROOT))
    from survey.forms.templates import write_templates
    from tests.test_templates import GOOD, fill

    blank = write_templates(folder / "blank.xlsx", unit="blagoveshchensk")[0]
    return fill(blank, folder / "filled.xlsx", {**GOOD, "Код эксперта": PLACEHOLDER})


def copies(template: Path, folder: Path, n: int) -> list[Path]:
    """``n`` copies with distinct expert ids (the id replaced inside the xlsx parts)."""
    src = zipfile.ZipFile(template)
    parts = {info.filename: src.read(info.filename) for info in src.infolist()}
    out = []
    for i in range(n):
        expert = f"X{i:05d}".encode()
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in parts.items():
                z.writestr(name, data.replace(PLACEHOLDER.encode(), expert))
        path = folder / f"Анкета_{i:04d}.xlsx"
        path.write_bytes(buf.getvalue())
        out.append(path)
    return out


def bench_templates(quick: bool = False) -> list[str]:
    import openpyxl

    from survey.inputs.validate import validate
    from survey.spec.questionnaire import load_questionnaire
    from survey.spec.units import load_units

    n = 100 if quick else 1000
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "filled"
        folder.mkdir()
        files = copies(filled_template(Path(tmp)), folder, n)
        q, units = load_questionnaire(), load_units()
        validate(files[0], q, units)  # warm up imports and caches
        start = time.perf_counter()
        result = validate(folder, q, units)
        ingest_s = time.perf_counter() - start
        assert result.report.accepted == n, result.report.summary()
        start = time.perf_counter()
        for path in files:
            openpyxl.load_workbook(path, read_only=True, data_only=True).close()
        open_ro = time.perf_counter() - start
        start = time.perf_counter()
        for path in files:
            openpyxl.load_workbook(path, data_only=True).close()
        open_full = time.perf_counter() - start
    return [
        f"| ingest + validate {n:,} filled templates (`survey validate DIR` work, in process) | "
        f"{ingest_s:.1f} s | {n / ingest_s:,.0f} files/s; {ingest_s / open_ro:.1f}× the time of only opening "
        f"them with openpyxl read-only ({open_ro:.1f} s), {ingest_s / open_full:.1f}× a full open "
        f"({open_full:.1f} s); targets ≤ 10 s and ≤ 2× |"
    ]
