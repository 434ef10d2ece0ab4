"""Benchmarks: end-to-end `survey run`, coding throughput, template ingest, growth with size.

    python bench/run.py            # everything (10^6 answers take several minutes)
    python bench/run.py --quick    # sizes up to 10^4, 3 runs: a smoke check
    python bench/run.py --only coding --sizes 100000 --kinds recombined --repeat 3
                                   # the coding target's row, measured three times over

Prints a Markdown table and writes it to bench/results/latest.md. Machines here are noisy,
so every target is a ratio measured side by side in the same run.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = sys.executable


# Started by a small launcher, not by this process: on Linux a child's peak RSS (ru_maxrss) keeps
# the high-water mark of the memory it was forked from, so a command started by a benchmark that
# has just trained the learned layer (≈ 1.1 GB) would report that peak as its own.
_LAUNCHER = (
    "import os, subprocess, sys\n"
    "p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
    "_, status, usage = os.wait4(p.pid, 0)\n"
    "print(usage.ru_maxrss)\n"
    "sys.exit(os.waitstatus_to_exitcode(status))\n"
)


def timed(cmd: list[str], cwd: Path = ROOT) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one command, measured with wait4 by a launcher."""
    start = time.perf_counter()
    proc = subprocess.run([PY, "-c", _LAUNCHER, *cmd], cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr}")
    return wall, int(proc.stdout.split()[-1]) / 1024


def median_of(cmd: list[str], runs: int) -> tuple[float, float]:
    results = [timed(cmd) for _ in range(runs)]
    return statistics.median(r[0] for r in results), max(r[1] for r in results)


def bench_run(runs: int) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        floor, _ = median_of([PY, "-c", "import pandas, openpyxl"], runs)
        wall, rss = median_of([PY, "-m", "survey", "-q", "run", "--out", tmp], runs)
    return [
        f"| `survey run` on the sample (reports included), median of {runs} | {wall:.2f} s | "
        f"floor `import pandas, openpyxl` {floor:.2f} s; ratio {wall / floor:.1f}× (target ≤ 4×); "
        f"peak RSS {rss:.0f} MB |"
    ]


def _words(csv_path: Path, limit: int) -> list[str]:
    import pandas as pd

    from survey.base.lemmatize import TOKEN_RE

    texts = pd.read_csv(csv_path, nrows=limit)["text"]
    return [w.lower() for t in texts for w in TOKEN_RE.findall(t) if w[0].isalnum()]


def baseline_tokens_per_s(words: list[str]) -> float:
    """Plain uncached pymorphy3 ``parse()[0].normal_form`` over the tokens, in this process."""
    from survey.base.lemmatize import morph_analyzer

    morph = morph_analyzer()
    start = time.perf_counter()
    for w in words:
        _ = morph.parse(w)[0].normal_form
    return len(words) / (time.perf_counter() - start)


def count_tokens(csv_path: Path) -> int:
    import csv

    from survey.base.lemmatize import TOKEN_RE

    with open(csv_path, encoding="utf-8", newline="") as fh:
        return sum(len(TOKEN_RE.findall(r["text"])) for r in csv.DictReader(fh))


def rules_only_codebook(folder: Path) -> Path:
    """A copy of the bundled codebook with the learned layer switched off (``enabled: false``)."""
    text = (ROOT / "questionnaires" / "codebook.yaml").read_text(encoding="utf-8")
    head, sep, rest = text.partition("\nlearned:\n")
    if not sep:
        raise SystemExit("the bundled codebook has no learned section")
    rest = rest.replace("  enabled: true\n", "  enabled: false\n", 1)
    path = folder / "codebook-rules-only.yaml"
    path.write_text(head + sep + rest, encoding="utf-8")
    return path


def bench_coding(sizes: list[int], kinds: list[str], unique_max: int = 10**5, repeat: int = 1) -> list[str]:
    """Coding throughput in this process (`survey code`'s function, CSV in and out), next to
    the uncached pymorphy3 baseline measured just before and just after on the same tokens
    (first 20,000 answers), with the learned layer (the bundled codebook as it is) and with the
    rules alone; peak memory of the largest size from a `survey code` process. ``repeat`` > 1:
    each measurement (baseline, coding, baseline) is made that many times in a row and the row
    gives the median ratio with the lowest and highest (this machine's speed drifts from one
    minute to the next, and a single ratio can be a quarter off)."""
    from bench.corpus import write_corpus
    from survey.coding.batch import code_csv

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        layers = [("rules + learned layer", None), ("rules only", rules_only_codebook(Path(tmp)))]
        for kind in kinds:
            for n in sizes:
                if kind == "unique" and n > unique_max:
                    continue
                src = write_corpus(Path(tmp) / f"{kind}-{n}.csv", n, kind)
                tokens = count_tokens(src)
                words = _words(src, 20_000)
                for label, codebook in layers:
                    for jobs in (1, 2) if n >= 10_000 else (1,):
                        runs = []  # (ratio, seconds, baseline tokens/s)
                        for _ in range(repeat):
                            before = baseline_tokens_per_s(words)
                            result = code_csv(src, Path(tmp) / "out.csv", codebook, jobs=jobs)
                            after = baseline_tokens_per_s(words)
                            base = statistics.median([before, after])
                            runs.append((tokens / result.seconds / base, result.seconds, base))
                        ratio, wall, base = sorted(runs)[len(runs) // 2]
                        spread = (
                            f"; of {repeat} runs: {min(runs)[0]:.1f}–{max(runs)[0]:.1f}×, "
                            + ", ".join(f"{r[1]:.1f} s" for r in runs)
                            if repeat > 1
                            else ""
                        )
                        rows.append(
                            f"| coding, {kind}, {n:,} answers, {label}, --jobs {jobs} | {wall:.1f} s | "
                            f"{n / wall:,.0f} answers/s, {tokens / wall:,.0f} tokens/s = "
                            f"**{ratio:.1f}×** the uncached pymorphy3 baseline "
                            f"({base:,.0f} tokens/s); {wall / n * 1e6:.0f} µs/answer{spread} |"
                        )
                if n == max(s for s in sizes if kind != "unique" or s <= unique_max):
                    wall, rss = timed([PY, "-m", "survey", "-q", "code", str(src), "-o", str(Path(tmp) / "out.csv")])
                    rows.append(
                        f"| `survey code`, {kind}, {n:,} answers, rules + learned layer (whole process) | "
                        f"{wall:.1f} s | "
                        f"peak RSS **{rss:.0f} MB** (target ≤ 1.5 GB at 10⁶) |"
                    )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", choices=["run", "coding", "templates"], default=None)
    ap.add_argument(
        "--unique-max",
        type=int,
        default=10**5,
        help="largest size of the all-distinct corpus (10^6 takes about 20 minutes)",
    )
    ap.add_argument("--max-size", type=int, default=None, help="largest coding size (default 10^6, 10^4 with --quick)")
    ap.add_argument("--sizes", type=int, nargs="+", default=None, help="coding sizes (instead of the ladder)")
    ap.add_argument("--kinds", nargs="+", choices=["recombined", "unique"], default=["recombined", "unique"])
    ap.add_argument("--repeat", type=int, default=1, help="measure each coding row this many times (median shown)")
    args = ap.parse_args()
    runs = 3 if args.quick else 5
    sizes = [10**3, 10**4] if args.quick else [10**3, 10**4, 10**5, 10**6]
    if args.max_size:
        sizes = [n for n in (10**3, 10**4, 10**5, 10**6) if n <= args.max_size]
    if args.sizes:
        sizes = args.sizes
    lines = [
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.platform()}",
        "",
        "| benchmark | time | result |",
        "| --- | --- | --- |",
    ]
    if args.only in (None, "run"):
        lines += bench_run(runs)
    if args.only in (None, "coding"):
        lines += bench_coding(sizes, args.kinds, args.unique_max, args.repeat)
    if args.only in (None, "templates"):
        try:
            from bench.templates import bench_templates
        except ImportError:
            lines.append("| template ingest | — | not available in this version |")
        else:
            lines += bench_templates(quick=args.quick)
    text = "\n".join(lines)
    print(text)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.md").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
