"""Print workbooks the way LibreOffice prints them, and render every page for a look (manual, not CI).

Needs LibreOffice Calc and poppler (Debian: ``apt-get install libreoffice-calc poppler-utils``)::

    .venv/bin/python tools/check_print.py                       # the bundled sample's summary + a template
    .venv/bin/python tools/check_print.py reports/summary.xlsx Анкета.xlsx --out /tmp/print
    .venv/bin/python tools/check_print.py --study examples/german_partner_cities --out /tmp/print-de

Each workbook is converted to PDF by a headless LibreOffice (``soffice --convert-to pdf``, a
private profile, so a running LibreOffice is not disturbed) and every page is rendered to PNG
with ``pdftoppm`` (``<out>/<workbook>-<page>.png``). For every page the script prints the sheet
it belongs to (LibreOffice's PDF has one bookmark per sheet… when it has none, the first line of
text), the number of words and the smallest and median text height in points, measured from
``pdftotext -bbox``: a page whose text prints below about 8 pt (box height < 10 pt) is flagged. Then LOOK at the
PNG files: the script cannot see a chart cut in two or a heading broken inside a word.

Without workbooks it makes them: ``survey run`` of the study (default: the bundled sample) into
``<out>/run`` and ``survey template`` into ``<out>/Анкета.xlsx``. Exit code 0 when every file was
converted and no page has text below the threshold.
"""

from __future__ import annotations

import argparse
import html
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

MIN_HEIGHT_PT = 10.0  # word-box height of ~7.7 pt text (Carlito's boxes are 1.3 × the font size)


def convert(xlsx: Path, out: Path) -> Path:
    """``xlsx`` → ``out/<stem>.pdf`` with a headless LibreOffice."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise SystemExit("LibreOffice не найден: apt-get install libreoffice-calc")
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        subprocess.run(
            [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
             "--convert-to", "pdf", "--outdir", str(out), str(xlsx)],
            check=True, capture_output=True, timeout=300,
        )  # fmt: skip
    pdf = out / f"{xlsx.stem}.pdf"
    if not pdf.is_file():
        raise SystemExit(f"{xlsx}: LibreOffice не записал PDF")
    return pdf


def render(pdf: Path, dpi: int = 70) -> list[Path]:
    """Every page of ``pdf`` as ``<stem>-NN.png`` beside it."""
    for old in pdf.parent.glob(f"{pdf.stem}-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(pdf.with_suffix(""))], check=True, timeout=300)
    return sorted(pdf.parent.glob(f"{pdf.stem}-*.png"))


_PAGE = re.compile(r"<page [^>]*>(.*?)</page>", re.S)
_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>')


def page_text_heights(pdf: Path) -> list[tuple[list[float], str]]:
    """Per page: the heights (pt) of its word boxes and its first words."""
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "bbox.html"
        subprocess.run(["pdftotext", "-bbox", str(pdf), str(target)], check=True, timeout=300)
        text = target.read_text(encoding="utf-8")
    pages = []
    for body in _PAGE.findall(text):
        words = _WORD.findall(body)
        heights = [float(y1) - float(y0) for _, y0, _, y1, _ in words]
        first = " ".join(html.unescape(w[4]) for w in words[:8])
        pages.append((heights, first))
    return pages


def check(xlsx: Path, out: Path) -> bool:
    pdf = convert(xlsx, out)
    pngs = render(pdf)
    ok = True
    print(f"\n{xlsx} → {pdf} ({len(pngs)} стр.)")
    for i, (heights, first) in enumerate(page_text_heights(pdf), start=1):
        if heights:
            low, mid = min(heights), statistics.median(heights)
            flag = "  МЕЛКО" if mid < MIN_HEIGHT_PT else ""
            ok &= not flag
            print(f"  стр. {i:2d}: слов {len(heights):4d}, высота текста мин. {low:4.1f} / медиана {mid:4.1f} pt{flag}"
                  f" — {first[:70]}")  # fmt: skip
        else:
            print(f"  стр. {i:2d}: без текста (диаграмма?)")
    for png in pngs:
        print(f"  {png}")
    return ok


def make_inputs(out: Path, study: str | None) -> list[Path]:
    """A run of the study and a blank template, made with the installed ``survey``."""
    run_dir = out / "run"
    args = [sys.executable, "-m", "survey", "-q", "run", "--out", str(run_dir)]
    if study:
        args += ["--study", study]
    subprocess.run(args, check=True, timeout=900)
    template = out / "Анкета.xlsx"
    args = [sys.executable, "-m", "survey", "-q", "template", "-o", str(template)]
    if study:
        args += ["--study", study]
    subprocess.run(args, check=True, timeout=300)
    return [run_dir / "summary.xlsx", template]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, help="книги .xlsx (по умолчанию: сводка и шаблон)")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "survey-print")
    parser.add_argument("--study", help="папка исследования для survey run / survey template")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    files = args.files or make_inputs(args.out, args.study)
    results = [check(Path(f), args.out) for f in files]  # every file, even after a failure
    ok = all(results)
    print("\nПросмотрите каждую страницу (PNG выше): диаграммы целиком, слова заголовков не разорваны.")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
