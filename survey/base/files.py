"""Writing outputs safely: atomically, without formula injection, inside the output folder.

* :class:`OutputDir` stages every file of a run in a hidden folder and moves each into
  place only when the whole run succeeded, so a failed run leaves no half-written report
  (and the previous reports stay intact).
* :func:`write_csv` and :func:`safe_text` neutralise text that a spreadsheet would run
  as a formula (OWASP "CSV injection": cells starting with ``= + - @``, tab or CR).
* :func:`safe_filename` turns a unit or expert name into a file name that cannot escape
  the output folder.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import hashlib
import json
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from survey.errors import OutputError, UsageError

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# a separator a spreadsheet may split a CSV line on (Russian Excel: «;»), then a formula start
_AFTER_SEPARATOR = re.compile(r"([,;\t])(?=[=+\-@\t\r])")


def safe_text(value: Any) -> Any:
    """Neutralise a string a spreadsheet would treat as a formula; other values unchanged.

    A cell starting with ``= + - @``, tab or CR gets a leading ``'`` (the OWASP rule), and so
    does every such start after a separator inside the text: a reader that splits the line on
    «;» or «,» without honouring quotes would otherwise start a cell there.

    >>> safe_text("x;=cmd|' /C calc'!A0;y")
    "x;'=cmd|' /C calc'!A0;y"
    >>> safe_text("=1+2"), safe_text("Москва, -5 °C"), safe_text(-5)
    ("'=1+2", 'Москва, -5 °C', -5)
    """
    if not isinstance(value, str):
        return value
    if _AFTER_SEPARATOR.search(value):  # a search is cheaper than a substitution that finds nothing
        value = _AFTER_SEPARATOR.sub(r"\1'", value)
    if value.startswith(FORMULA_START):
        return "'" + value
    return value


def write_csv(frame: pd.DataFrame, path: str | Path, *, index: bool = False) -> Path:
    """UTF-8 CSV (no BOM, ``\\n``) safe for comma and semicolon readers: every text field is quoted
    (so a «;» inside an answer never splits it for Russian Excel, whose list separator is «;»),
    and text is neutralised against formula injection (:func:`safe_text`)."""
    path = Path(path)
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col].dtype):
            out[col] = out[col].map(safe_text, na_action="ignore")
    if index:
        out.index = out.index.map(safe_text)
    out.columns = [safe_text(c) if isinstance(c, str) else c for c in out.columns]
    with atomic_path(path) as tmp:
        out.to_csv(tmp, index=index, encoding="utf-8", lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
    return path


def refuse_overwrite(
    output: str | Path | None,
    *inputs: str | Path,
    what: str = "это входной файл команды; запись поверх него уничтожила бы его",
) -> None:
    """Stop before a command writes ``output`` over one of the files it reads: a coder's hand
    coding, a gold file or the answers would be replaced by the result (``what`` says which)."""
    if output is None or not Path(output).is_file():
        return
    for source in inputs:
        if Path(source).is_file() and os.path.samefile(source, output):
            raise UsageError(f"{output}: {what}. Укажите другой файл (-o).")


def sha256_file(path: str | Path) -> str:
    """The SHA-256 of a file's bytes, read in 1 MB pieces."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_json(data: Any, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    return path


_UNSAFE = re.compile(r"[^\w\-. ]+", re.UNICODE)


def safe_filename(name: str, suffix: str = "", max_length: int = 80) -> str:
    """A file name made from free text that stays inside its folder on every OS.

    >>> safe_filename("../../Комсомольск-на-Амуре/ etc", ".xlsx")
    'Комсомольск-на-Амуре_etc.xlsx'
    """
    text = unicodedata.normalize("NFC", str(name))
    text = _UNSAFE.sub("_", re.sub(r"\.{2,}", "", text)).strip(" ._")
    text = re.sub(r"_+", "_", re.sub(r"\s+", "_", text))
    text = text.strip("._")[:max_length].rstrip("._")
    if not text or text.upper() in {
        "CON",
        "PRN",
        "AUX",
        "NUL",
        *(f"COM{i}" for i in range(10)),
        *(f"LPT{i}" for i in range(10)),
    }:
        text = "file_" + (text or "unnamed")
    return text + suffix


class OutputDir:
    """Stage a run's files and move them into ``final`` only if the run succeeds::

    with OutputDir("reports") as out:
        write_csv(frame, out.path("tables/x.csv"))
    """

    def __init__(self, final: str | Path, replaces: Iterable[str] = ()):
        self.final = Path(final)
        self.staging: Path | None = None
        self.written: list[str] = []
        # files an earlier run wrote here (relative paths): those this run does not write again
        # are removed when it succeeds, so no stale output (an old agreement table) outlives it
        self.replaces = [r for r in replaces if _inside(r)]
        self.removed: list[str] = []

    def __enter__(self) -> OutputDir:
        try:
            self.final.mkdir(parents=True, exist_ok=True)
            self.staging = Path(tempfile.mkdtemp(prefix=".survey-run-", dir=self.final))
        except OSError as exc:
            raise OutputError(f"{self.final}: не удаётся создать папку для отчётов ({os_reason(exc)}).") from None
        return self

    def path(self, relative: str | Path) -> Path:
        """Where to write ``relative`` (inside the staging folder); parents are created."""
        assert self.staging is not None, "use OutputDir as a context manager"
        rel = Path(relative)
        if rel.is_absolute() or ".." in rel.parts:
            raise OutputError(f"Недопустимое имя выходного файла: {relative}")
        target = self.staging / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def staged(self) -> list[str]:
        """Relative paths (``tables/x.csv``) of the files staged so far, sorted."""
        assert self.staging is not None, "use OutputDir as a context manager"
        return sorted(p.relative_to(self.staging).as_posix() for p in self.staging.rglob("*") if p.is_file())

    def __exit__(self, exc_type, exc, tb) -> None:
        assert self.staging is not None
        try:
            if exc_type is None:
                self._commit()
        finally:
            shutil.rmtree(self.staging, ignore_errors=True)

    def _commit(self) -> None:
        """Move the staged files into ``final`` as one change: a file this run replaces, or a stale
        one it removes, is first moved aside, and if any move fails (a report open in Excel) every
        file moved so far is put back and the folders made for new files are removed, so a failed
        run leaves the folder as the previous run left it (not half old, half new). A folder where
        a file goes is found before anything is moved."""
        assert self.staging is not None
        files = sorted(p for p in self.staging.rglob("*") if p.is_file())
        relative = [f.relative_to(self.staging) for f in files]
        for rel in relative:
            dest = self.final / rel
            if dest.is_dir() and not dest.is_symlink():
                raise OutputError(
                    f"{dest}: не удаётся записать отчёт (на этом месте папка, а не файл); ничего не изменено. "
                    "Переименуйте или удалите эту папку и запустите снова."
                )
        aside = self.staging / ".previous"
        moved: list[tuple[Path, Path]] = []  # (where a file was, where it went), to undo in reverse
        made: list[Path] = []  # folders made in ``final`` for new files, to remove on undo
        current = self.final
        try:
            for src, rel in zip(files, relative):
                dest = current = self.final / rel
                if dest.exists() or dest.is_symlink():
                    kept = aside / rel
                    kept.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(dest, kept)
                    moved.append((dest, kept))
                missing = [d for d in (dest.parent, *dest.parent.parents) if not d.exists()]
                dest.parent.mkdir(parents=True, exist_ok=True)
                made.extend(reversed(missing))
                os.replace(src, dest)
                moved.append((src, dest))
            for rel_name in sorted(set(self.replaces) - {r.as_posix() for r in relative}):
                stale = current = self.final / rel_name
                if stale.is_file() and not stale.is_symlink():
                    kept = aside / rel_name
                    kept.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(stale, kept)
                    moved.append((stale, kept))
                    self.removed.append(rel_name)
        except OSError as exc:
            for was, went in reversed(moved):
                with contextlib.suppress(OSError):
                    os.replace(went, was)
            for folder in reversed(made):
                with contextlib.suppress(OSError):
                    folder.rmdir()
            self.removed.clear()
            raise OutputError(
                f"{current}: не удаётся записать отчёт ({os_reason(exc)}); папка {self.final} осталась такой, "
                "какой была. Закройте файлы отчёта, открытые в Excel, и запустите снова."
            ) from None
        self.written = [r.as_posix() for r in relative]


def os_reason(exc: OSError) -> str:
    """Why a file operation failed, in Russian (the system's own words are English)."""
    reasons = {
        errno.EISDIR: "на этом месте папка, а не файл",
        errno.ENOTDIR: "на пути стоит файл, а не папка",
        errno.EACCES: "нет доступа: файл открыт в другой программе или защищён",
        errno.EPERM: "нет доступа: файл открыт в другой программе или защищён",
        errno.ENOENT: "нет такой папки",
        errno.ENOSPC: "на диске нет места",
        errno.EROFS: "диск только для чтения",
        errno.EEXIST: "на этом месте уже есть файл",
    }
    return reasons.get(exc.errno or 0, exc.strerror or str(exc))


def _inside(relative: str) -> bool:
    """A relative path that stays inside its folder (no ``..``, not absolute)."""
    rel = Path(relative)
    return bool(relative) and not rel.is_absolute() and ".." not in rel.parts


def previous_outputs(folder: str | Path, manifest: str = "run.json") -> list[str]:
    """The files an earlier run listed in ``folder``'s manifest (``outputs``); none when there is
    no readable manifest."""
    try:
        listed = json.loads((Path(folder) / manifest).read_text(encoding="utf-8")).get("outputs", [])
    except (OSError, ValueError, AttributeError):
        return []
    return [str(x) for x in listed if isinstance(x, str)] if isinstance(listed, list) else []


# ---------------------------------------------------------------- xlsx helpers


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Write a single file atomically: yields a temporary path beside ``path``.

    The temporary file replaces ``path`` only when the block finishes without an error, so
    a failed write never leaves a half-written file (or destroys the previous one)::

        with atomic_path("reports/x.csv") as tmp_file:
            tmp_file.write_text("done")
    """
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{path}: это папка, а не файл. Укажите имя файла (например, {path / 'result.csv'}).")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{path.stem[:40]}-", suffix=path.suffix, dir=path.parent)
    except OSError as exc:
        raise OutputError(f"{path}: не удаётся создать файл ({os_reason(exc)}).") from None
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        try:
            os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a report is a normal file
            os.replace(tmp, path)
        except OSError as exc:
            raise OutputError(
                f"{path}: не удаётся записать файл ({os_reason(exc)}). Если он открыт в Excel, "
                "закройте его и запустите команду снова."
            ) from None
    finally:
        tmp.unlink(missing_ok=True)
