"""Opening input files safely: size limits, format sniffing, zip-bomb and XML checks, encodings.

Every reader goes through these functions, so a hostile or broken file is refused with a
Russian :class:`~survey.errors.InputError` before any parser sees it:

* only regular files are read (a FIFO, a device or ``/dev/zero`` behind a symlink is refused
  without blocking), and a symlink in a folder of responses may not point outside it;
* the size limit is measured while reading, not taken from ``stat`` (which a device or a
  growing file does not tell truthfully);
* the format comes from the content: legacy ``.xls``, ``.ods``, ``.xlsb`` and renamed files get
  their own message.
"""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

from survey.base.textfile import read_bounded
from survey.errors import InputError
from survey.inputs import limits


def check_regular(path: Path, root: Path | None = None) -> None:
    """Refuse what is not a regular file, and (with ``root``) a symlink leading out of ``root``."""
    try:
        info = path.stat()  # follows symlinks: the target decides
    except FileNotFoundError:
        if path.is_symlink():
            raise InputError(f"{path}: ссылка (symlink) указывает на несуществующий файл.") from None
        raise InputError(f"{path}: файл не найден. Проверьте путь.") from None
    except OSError as exc:
        raise InputError(f"{path}: файл недоступен ({exc.strerror}).") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"{path}: это папка, а не файл.")
    if not stat.S_ISREG(info.st_mode):
        kind = (
            "именованный канал (FIFO)"
            if stat.S_ISFIFO(info.st_mode)
            else "устройство"
            if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode)
            else "сокет"
            if stat.S_ISSOCK(info.st_mode)
            else "не обычный файл"
        )
        raise InputError(
            f"{path}: это {kind}, а не файл с ответами; такие файлы не читаются. Сохраните ответы в обычный "
            "файл .xlsx или .csv."
        )
    if root is not None:
        target = path.resolve()
        base = root.resolve()
        if target != base and base not in target.parents:
            raise InputError(
                f"{path}: это ссылка (symlink) на файл вне папки с ответами ({target}); такие ссылки не читаются. "
                "Скопируйте файл в папку."
            )


def read_bytes(path: Path, root: Path | None = None, limit: int | None = None) -> bytes:
    """The bytes of a regular file, at most ``limit`` (default :data:`limits.MAX_FILE_BYTES`).

    The limit is counted while reading, so a file that grows or lies about its size is stopped
    at the limit; a FIFO is never opened for reading (it would block).
    """
    limit = limits.MAX_FILE_BYTES if limit is None else limit
    check_regular(path, root)
    return read_bounded(
        path,
        limit,
        f"файл слишком большой (больше {limit / 2**20:.0f} МБ — предел для одного файла). "
        "Разделите его на несколько файлов.",
    )


def sniff_format(path: Path, data: bytes) -> str:
    """``"xlsx"`` or ``"csv"`` from the file's content (not only its name)."""
    if not data.strip():
        raise InputError(f"{path}: файл пуст. Проверьте, что выбран нужный файл и что он сохранён.")
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise InputError(
            f"{path}: файл в старом формате Excel 97–2003 (.xls) или зашифрован паролем. "
            "Откройте его в Excel и сохраните как «Книга Excel (*.xlsx)» без пароля."
        )
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        raise InputError(
            f"{path}: файл назван .xlsx, но не является книгой Excel (возможно, повреждён или "
            "переименован). Откройте его в Excel и сохраните как «Книга Excel (*.xlsx)»."
        )
    if suffix in (".xls", ".ods", ".xlsb", ".numbers"):
        raise InputError(
            f"{path}: формат {suffix} не поддерживается (файл к тому же не распознан как таблица). "
            "Откройте его и сохраните как «Книга Excel (*.xlsx)» или «CSV UTF-8»."
        )
    return "csv"


def check_zip_limits(path: Path, data: bytes) -> None:
    """Refuse zip bombs: check declared uncompressed sizes before anything is parsed."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except zipfile.BadZipFile:
        raise InputError(
            f"{path}: файл повреждён (архив xlsx не читается). Попросите прислать файл заново "
            "или откройте его в Excel и пересохраните."
        ) from None
    _check_zip_kind(path, {info.filename for info in infos})
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if total > limits.MAX_UNCOMPRESSED_BYTES or (
            info.file_size > 10 * 2**20 and ratio > limits.MAX_COMPRESSION_RATIO
        ):
            raise InputError(
                f"{path}: файл отклонён — после распаковки он занимает слишком много места "
                f"(«{info.filename}»: {info.file_size / 2**20:.0f} МБ; предел книги "
                f"{limits.MAX_UNCOMPRESSED_BYTES // 2**20} МБ). Это признак повреждённого или "
                "вредоносного файла; пересохраните данные в новой книге."
            )


_OTHER_ZIPS = (
    (
        "content.xml",
        "это таблица OpenDocument (.ods, LibreOffice Calc), а не книга Excel (.xlsx)",
        "Откройте её в LibreOffice или Excel и сохраните как «Книга Excel 2007–365 (.xlsx)».",
    ),
    (
        "xl/workbook.bin",
        "это двоичная книга Excel (.xlsb), её формат не поддерживается",
        "Откройте её в Excel и сохраните как «Книга Excel (*.xlsx)».",
    ),
    (
        "word/document.xml",
        "это документ Word (.docx), а не таблица",
        "Перенесите ответы в таблицу Excel (.xlsx) или заполните шаблон анкеты (survey template).",
    ),
    (
        "ppt/presentation.xml",
        "это презентация PowerPoint, а не таблица",
        "Перенесите ответы в таблицу Excel (.xlsx).",
    ),
)


def _check_zip_kind(path: Path, names: set[str]) -> None:
    """A zip that is not an xlsx (ODS, XLSB, DOCX…) gets a message naming what it is."""
    if "xl/workbook.xml" in names:
        return
    for marker, what, fix in _OTHER_ZIPS:
        if marker in names:
            raise InputError(f"{path}: {what}. {fix}")
    if path.suffix.lower() == ".zip":  # an archive of answer files, sent as one
        raise InputError(
            f"{path}: это архив .zip, а не книга Excel: файлы внутри архивов не читаются. Распакуйте архив в папку "
            "и укажите эту папку."
        )
    raise InputError(
        f"{path}: архив не является книгой Excel (в нём нет xl/workbook.xml). Откройте файл в Excel и сохраните "
        "как «Книга Excel (*.xlsx)»."
    )


def open_workbook(path: Path, data: bytes, read_only: bool = True, data_only: bool = True):
    """Open xlsx bytes with openpyxl (values only); Russian InputError on failure."""
    import openpyxl  # heavy: imported on first use

    try:
        return openpyxl.load_workbook(io.BytesIO(data), read_only=read_only, data_only=data_only)
    except Exception as exc:  # openpyxl raises many kinds on broken files
        chain: list[str] = []
        cause: BaseException | None = exc
        while cause is not None and len(chain) < 10:  # openpyxl wraps the parser's error
            chain.append(type(cause).__name__)
            cause = cause.__cause__ or cause.__context__
        kind = chain[-1]
        if any(
            k
            in (
                "DefusedXmlException",
                "EntitiesForbidden",
                "DTDForbidden",
                "ExternalReferenceForbidden",
                "NotSupportedError",
            )
            for k in chain
        ):
            raise InputError(
                f"{path}: файл отклонён — он содержит конструкции XML (сущности/DTD), которых не "
                "бывает в книгах Excel и которые используются для атак. Пересохраните данные в новой книге."
            ) from None
        raise InputError(
            f"{path}: не удаётся открыть книгу Excel ({kind}). Откройте файл в Excel, проверьте, "
            "что он не повреждён, и сохраните как «Книга Excel (*.xlsx)»."
        ) from None
