"""Scale benchmark: `survey run` on the sample replicated 1×, 100× and 1000× (123 / 12,300 / 123,000
respondents): wall time, peak RSS and the seconds of every step (from run.json).

    python bench/scale.py                 # 123, 12,300 and 123,000 respondents
    python bench/scale.py --sizes 1 100   # only the first two

The replicated responses are the validated sample with new expert ids (one CSV file per
40,000 rows, ≈ 42 MB: under the documented 50 MB per-file limit), in a folder. The targets are ratios measured in
the same run: 12,300 respondents in ≤ 4× the time of the sample, 123,000 in ≤ 2 GB peak RSS.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = sys.executable
ROWS_PER_FILE = 40_000  # ≈ 42 MB of CSV: under the 50 MB per-file limit


def replicate(times: int, folder: Path) -> int:
    """Write the sample ``times`` over into ``folder`` as CSV files; returns the respondents."""
    from survey.inputs.validate import validate
    from survey.spec.bundle import open_study

    bundle = open_study()
    data = validate(bundle.paths["responses"], bundle.questionnaire, bundle.units).data
    data = data[[c for c in bundle.questionnaire.data_columns() if c in data.columns]]
    parts = []
    for k in range(times):
        part = data.copy()
        part["expert_id"] = part["expert_id"].astype(str) + f"-{k:04d}"
        parts.append(part)
    full = pd.concat(parts, ignore_index=True)
    folder.mkdir(parents=True, exist_ok=True)
    for i, start in enumerate(range(0, len(full), ROWS_PER_FILE)):
        full.iloc[start : start + ROWS_PER_FILE].to_csv(folder / f"part{i + 1}.csv", index=False)
    return len(full)


def timed_run(responses: Path, out: Path) -> tuple[float, float, dict]:
    """Wall seconds, peak RSS (MB) and run.json's step seconds of one `survey -q run`."""
    from bench.run import timed  # the launcher that keeps this process's memory out of the peak

    wall, rss = timed([PY, "-m", "survey", "-q", "run", "--responses", str(responses), "--out", str(out)])
    manifest = json.loads((out / "run.json").read_text(encoding="utf-8"))
    return wall, rss, manifest.get("seconds", {})


def bench_scale(sizes: list[int]) -> list[str]:
    rows = []
    base = None
    with tempfile.TemporaryDirectory() as tmp:
        for times in sizes:
            folder = Path(tmp) / f"x{times}"
            n = replicate(times, folder)
            wall, rss, steps = timed_run(folder, Path(tmp) / f"out{times}")
            base = wall if base is None else base
            heavy = ", ".join(f"{k} {v:.1f}" for k, v in sorted(steps.items(), key=lambda kv: -kv[1])[:4])
            rows.append(
                f"| `survey run`, {n:,} respondents (sample ×{times}) | {wall:.1f} s | "
                f"{wall / base:.1f}× the sample; peak RSS {rss:.0f} MB; slowest steps (s): {heavy} |"
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 100, 1000])
    args = parser.parse_args()
    print("| benchmark | result | notes |\n| --- | --- | --- |")
    for row in bench_scale(args.sizes):
        print(row, flush=True)


if __name__ == "__main__":
    main()
