"""Check a questionnaire template the way LibreOffice Calc sees it (a manual check, not CI).

Needs LibreOffice and its Python bridge (Debian: ``apt-get install libreoffice-calc
python3-uno``) and runs with the *system* Python, which has ``uno``::

    survey template --unit Благовещенск -o /tmp/t.xlsx
    /usr/bin/python3 tools/check_template_libreoffice.py /tmp/t.xlsx

It starts a headless LibreOffice, opens the workbook and reports: which sheets are shown,
hidden and protected; that every answer cell is unlocked and has a validation with an error
message (drop-down shown for lists); that writing into a locked cell is refused; and that
LibreOffice's own validity check (Сервис → Зависимости → Пометить неверные данные) accepts
correct answers and flags wrong ones. Exit code 0 when every check passes.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time

import uno  # type: ignore  # LibreOffice's bridge: system Python only
from com.sun.star.beans import PropertyValue  # type: ignore


def connect(port: int):
    profile = tempfile.mkdtemp(prefix="lo-profile-")
    proc = subprocess.Popen(
        [
            "soffice",
            "--headless",
            "--invisible",
            "--norestore",
            "--nologo",
            f"-env:UserInstallation=file://{profile}",
            f"--accept=socket,host=127.0.0.1,port={port};urp;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(120):
        try:
            ctx = resolver.resolve(f"uno:socket,host=127.0.0.1,port={port};urp;StarOffice.ComponentContext")
            return proc, ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        except Exception:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("LibreOffice did not start")


def run_checks(doc, check) -> None:
    """The checks on an open document (answers of questionnaires/questionnaire.yaml 1.0)."""
    sheets = doc.Sheets
    for name in sheets.ElementNames:
        sheet = sheets.getByName(name)
        print(f"sheet «{name}»: visible={sheet.IsVisible} protected={sheet.isProtected()}")
    form = sheets.getByName("Анкета")
    check(form.isProtected(), "«Анкета» is protected")
    check(
        not sheets.getByName("Списки").IsVisible and not sheets.getByName("_meta").IsVisible,
        "«Списки» and «_meta» are hidden",
    )
    keys = {}
    for row in range(1, 80):
        key = form.getCellByPosition(4, row - 1).String  # hidden key column E
        if key and key != "key":
            keys[key] = f"C{row}"
    check(len(keys) == 34, f"34 answer cells found by their keys ({len(keys)})")
    for key, ref in keys.items():
        cell = form.getCellRangeByName(ref)
        v = cell.Validation
        kind = v.Type.value  # ANY, WHOLE, DATE, TEXT_LEN, LIST …
        ok = (
            not cell.CellProtection.IsLocked
            and kind != "ANY"
            and v.ShowErrorMessage
            and v.ErrorAlertStyle.value == "STOP"
            and bool(v.ErrorMessage)
        )
        if kind == "LIST":
            ok = ok and v.ShowList != 0
        check(
            ok,
            f"{ref} {key}: unlocked, {kind} validation, stop message"
            + (f", drop-down from {v.getFormula1()}" if kind == "LIST" else ""),
        )
    # the API itself ignores protection; the UI refuses edits of locked cells of a protected sheet
    refs = ("A1", "B5", "B14", "D14", "B16", "C15")
    locked = [ref for ref in refs if form.getCellRangeByName(ref).CellProtection.IsLocked]
    check(len(locked) == len(refs), f"question texts, hints and headings are locked ({', '.join(locked)})")
    good = {
        "expert_id": "E001",
        "unit_id": "Благовещенск",
        "interview_mode": "телефон",
        "q1_state": "4 — хорошее",
        "q2_areas/education": "да",
        "q4_covid": "сотрудничество было приостановлено",
        "q6_prospects": "затрудняюсь ответить",
    }
    for key, text in good.items():
        form.getCellRangeByName(keys[key]).setString(text)
    form.getCellRangeByName(keys["interview_date"]).setValue(44301)  # 15.04.2021
    form.getCellRangeByName(keys["years_cooperation"]).setValue(12)
    check(not form.showInvalid(), "LibreOffice finds no invalid data in correct answers")
    form.clearArrows()
    wrong = [
        ("unit_id", "Благовещенськ"),
        ("q1_state", "7"),
        ("q2_areas/education", "возможно"),
        ("interview_date", 43840),
        ("years_cooperation", 75),
        ("years_cooperation", "много"),
    ]
    for key, value in wrong:  # 43840 = 10.01.2020
        cell = form.getCellRangeByName(keys[key])
        before = cell.getFormula()
        cell.setString(value) if isinstance(value, str) else cell.setValue(value)
        check(bool(form.showInvalid()), f"LibreOffice flags {key} = {value} as invalid")
        form.clearArrows()
        cell.setFormula(before)


def main(path: str) -> int:
    proc, desktop = connect(2002 + os.getpid() % 1000)
    failures: list[str] = []

    def check(ok: bool, what: str) -> None:
        print(("ok    " if ok else "FAIL  ") + what)
        if not ok:
            failures.append(what)

    try:
        hidden = PropertyValue("Hidden", 0, True, 0)
        doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(os.path.abspath(path)), "_blank", 0, (hidden,))
        if doc is None:
            raise SystemExit(f"LibreOffice cannot open {path} (a stale lock file .~lock.*# beside it?)")
        try:
            run_checks(doc, check)
        finally:
            doc.close(True)  # nothing is saved
    finally:
        with contextlib.suppress(Exception):
            desktop.terminate()
        proc.wait(timeout=30)
    print("all checks passed" if not failures else f"{len(failures)} check(s) failed")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
