"""What a LibreOffice user can do to a template's hidden sheets, and whether ingest notices (manual, not CI).

Needs LibreOffice and its Python bridge (Debian: ``apt-get install libreoffice-calc python3-uno``);
runs with the *system* Python (it has ``uno``) and calls the project's Python for ``survey validate``::

    .venv/bin/survey template -o /tmp/t.xlsx                 # no password
    .venv/bin/survey template --password s3cret -o /tmp/p.xlsx
    /usr/bin/python3 tools/check_template_protection.py /tmp/t.xlsx --python .venv/bin/python
    /usr/bin/python3 tools/check_template_protection.py /tmp/p.xlsx --python .venv/bin/python

It opens the template in a headless LibreOffice (the bundled questionnaire's template) and reports:
whether LibreOffice keeps the workbook-structure lock (Excel's «Защитить книгу»: hidden sheets cannot be
shown); whether «Списки» and «_meta» are protected and whether that protection can be removed without
a password; whether the drop-downs of «Анкета» still read their lists from «Списки». Then, where the
protection can be removed, it does what a user could: fills the form correctly and saves three
tampered copies — a scale list in «Списки» given a value the questionnaire does not have (and that
value chosen), the fingerprint in «_meta» changed, the answer column in «_meta» moved — and runs
``survey validate`` on each: every tampering must be reported (exit code 1), the untouched filled copy
must pass (exit code 0).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import uno  # type: ignore  # LibreOffice's bridge: system Python only
from com.sun.star.beans import PropertyValue  # type: ignore

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_template_libreoffice import connect  # the same headless LibreOffice

GOOD = {
    "expert_id": "E900",
    "unit_id": "Благовещенск",
    "position": "консультант",
    "interview_mode": "телефон",
    "q1_state": "4 — хорошее",
    "q2_areas/education": "да",
    "q3_problems": "Не хватает переводчиков.",
    "q4_covid": "сотрудничество было приостановлено",
    "q5_forms/online": "да",
    "q6_prospects": "затрудняюсь ответить",
}


def answer_cells(form) -> dict[str, str]:
    keys = {}
    for row in range(1, 90):
        key = form.getCellByPosition(4, row - 1).String  # the hidden key column E
        if key and key != "key":
            keys[key] = f"C{row}"
    return keys


def fill(form, keys: dict[str, str]) -> None:
    for key, text in GOOD.items():
        form.getCellRangeByName(keys[key]).setString(text)
    form.getCellRangeByName(keys["interview_date"]).setValue(44301)  # 15.04.2021
    form.getCellRangeByName(keys["years_cooperation"]).setValue(12)


def store(doc, path: Path) -> None:
    args = (PropertyValue("FilterName", 0, "Calc Office Open XML", 0), PropertyValue("Overwrite", 0, True, 0))
    doc.storeToURL(uno.systemPathToFileUrl(str(path)), args)


def validate(python: str | None, path: Path) -> int | None:
    if not python:
        return None
    proc = subprocess.run([python, "-m", "survey", "validate", str(path)], capture_output=True, text=True)
    first = next((line for line in (proc.stdout + proc.stderr).splitlines() if "ОШИБКА" in line), "")
    print(f"      survey validate {path.name}: exit {proc.returncode}" + (f" — {first.strip()}" if first else ""))
    return proc.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("template", type=Path)
    parser.add_argument("--python", help="the project's Python (for survey validate), e.g. .venv/bin/python")
    parser.add_argument("--password", default="", help="the template's --password, to unprotect as its owner")
    args = parser.parse_args(argv)
    failures: list[str] = []

    def check(ok: bool, what: str) -> None:
        print(("ok    " if ok else "FAIL  ") + what)
        if not ok:
            failures.append(what)

    out = Path(tempfile.mkdtemp(prefix="template-tamper-"))
    proc, desktop = connect(2600 + os.getpid() % 1000)
    try:
        hidden = PropertyValue("Hidden", 0, True, 0)

        def load():
            url = uno.systemPathToFileUrl(str(args.template.resolve()))
            doc = desktop.loadComponentFromURL(url, "_blank", 0, (hidden,))
            if doc is None:
                raise SystemExit(f"LibreOffice cannot open {args.template}")
            return doc

        doc = load()
        sheets = doc.Sheets
        form, lists, meta = (sheets.getByName(n) for n in ("Анкета", "Списки", "_meta"))
        print(f"info  workbook-structure lock kept by LibreOffice: {bool(doc.isProtected())}")
        print(f"info  «Списки» visible={lists.IsVisible}, «_meta» visible={meta.IsVisible} (LibreOffice can show both)")
        check(lists.isProtected() and meta.isProtected(), "«Списки» and «_meta» are protected sheets")
        keys = answer_cells(form)
        v = form.getCellRangeByName(keys["q1_state"]).Validation
        check("Списки" in v.getFormula1(), f"the drop-down of q1_state reads «Списки» ({v.getFormula1()})")
        openable = True
        for sheet in (lists, meta):
            try:
                sheet.unprotect("")
                openable = openable and not sheet.isProtected()
            except Exception:  # a password is set
                openable = False
        print(f"info  protection of the hidden sheets removable without a password: {openable}")
        doc.close(True)
        if not openable and not args.password:
            print("info  with a password nobody without it can change «Списки» or «_meta»: nothing to tamper")
            return 0 if not failures else 1
        cases = {
            "filled.xlsx": None,
            "list_changed.xlsx": "list",
            "fingerprint_changed.xlsx": "fingerprint",
            "answer_column_moved.xlsx": "column",
        }
        for name, how in cases.items():
            doc = load()
            sheets = doc.Sheets
            form, lists, meta = (sheets.getByName(n) for n in ("Анкета", "Списки", "_meta"))
            for sheet in (form, lists, meta):
                with contextlib.suppress(Exception):
                    sheet.unprotect(args.password)
            keys = answer_cells(form)
            fill(form, keys)
            if how == "list":  # the q1_state list gets a point the scale does not have, and it is chosen
                lists.IsVisible = True
                column = form.getCellRangeByName(keys["q1_state"]).Validation.getFormula1().split(".")[-1][1]
                lists.getCellRangeByName(f"{column}8").setString("7 — превосходное")
                form.getCellRangeByName(keys["q1_state"]).setString("7 — превосходное")
            elif how in ("fingerprint", "column"):
                meta.IsVisible = True
                wanted = "fingerprint" if how == "fingerprint" else "answer_column"
                for row in range(0, 40):
                    if meta.getCellByPosition(0, row).String == wanted:
                        meta.getCellByPosition(1, row).setString("0" * 16 if how == "fingerprint" else "D")
            store(doc, out / name)
            doc.close(True)
            code = validate(args.python, out / name)
            if code is not None:
                want = 0 if how is None else 1
                check(code == want, f"{name}: survey validate exits {want}")
    finally:
        with contextlib.suppress(Exception):
            desktop.terminate()
        proc.wait(timeout=30)
    print(f"copies in {out}")
    print("all checks passed" if not failures else f"{len(failures)} check(s) failed")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
