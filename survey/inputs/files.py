"""Opening input files safely: size limits, format sniffing, zip-bomb and XML checks, encodings.

Every reader goes through these functions, so a hostile or broken file is refused with a
Russian :class:`~survey.errors.InputError` before any parser sees it.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from survey.errors import InputError
from survey.inputs import limits


def read_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError(f"{path}: файл не найден. Проверьте путь.") from None
    except OSError as exc:
        raise InputError(f"{path}: файл недоступен ({exc.strerror}).") from None
    if path.is_dir():
        raise InputError(f"{path}: это папка, а не файл.")
    if size > limits.MAX_FILE_BYTES:
        raise InputError(
            f"{path}: файл слишком большой ({size / 2**20:.0f} МБ; предел "
            f"{limits.MAX_FILE_BYTES // 2**20} МБ). Разделите его на несколько файлов."
        )
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: не удаётся прочитать файл ({exc.strerror}).") from None


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
    if suffix in (".xls", ".ods"):
        raise InputError(f"{path}: формат {suffix} не поддерживается. Сохраните файл как .xlsx или .csv (UTF-8).")
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


def decode_text(path: Path, data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """Decode a CSV file; returns (text, encoding used).

    Without ``encoding``: a BOM decides (UTF-8, UTF-16); else UTF-8 if the bytes are valid
    UTF-8, else cp1251 (what Russian Excel writes as "CSV (разделители — запятые)").
    """
    if encoding:
        try:
            return data.decode(encoding), encoding
        except LookupError:
            raise InputError(f"Неизвестная кодировка «{encoding}». Примеры: utf-8, cp1251, utf-16.") from None
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{path}: файл не читается в кодировке {encoding} (байт {exc.start}). "
                "Уберите --encoding, чтобы кодировка определилась автоматически, или укажите другую."
            ) from None
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "cp1251"]
    if "utf-16" not in candidates and b"\x00" in data[:4096]:
        raise InputError(
            f"{path}: это не текстовый файл CSV (в нём двоичные данные). "
            "Сохраните таблицу как .xlsx или как «CSV UTF-8»."
        )
    for enc in candidates:
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise InputError(
        f"{path}: не удаётся определить кодировку файла. Сохраните его как «CSV UTF-8» или укажите "
        "кодировку: --encoding cp1251."
    )
