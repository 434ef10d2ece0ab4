"""Text files as spreadsheets write them: the encoding (UTF-8 with or without BOM, UTF-16 with or
without BOM, cp1251 of Russian Excel) and the separator (comma, semicolon, tab)."""

from __future__ import annotations

import csv
import io
import logging
import os
import re
import stat
import warnings
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from survey.errors import InputError

log = logging.getLogger("survey")

if TYPE_CHECKING:
    import pandas as pd

_CHUNK = 1 << 20


def read_bounded(path: Path, limit: int, too_big: str) -> bytes:
    """The bytes of a regular file, at most ``limit``; ``too_big`` is the Russian reason given
    (after the path) when the file holds more.

    The limit is counted while reading, so a file that grows or lies about its size is stopped
    at the limit; the file is opened without blocking and refused unless it is a regular file,
    so a FIFO or a device never hangs the reader.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise InputError(f"{path}: файл не найден. Проверьте путь.") from None
    except OSError as exc:
        raise InputError(f"{path}: не удаётся прочитать файл ({exc.strerror}).") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise InputError(f"{path}: это не обычный файл; такие файлы не читаются.")
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise InputError(f"{path}: {too_big}")
    except OSError as exc:
        raise InputError(f"{path}: не удаётся прочитать файл ({exc.strerror}).") from None
    finally:
        os.close(fd)
    return b"".join(chunks)


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
    bomless = utf16_without_bom(data) if candidates == ["utf-8", "cp1251"] else None
    if bomless:
        try:
            return data.decode(bomless), bomless
        except UnicodeDecodeError:
            pass
    if "utf-16" not in candidates and b"\x00" in data[:4096]:
        what = (
            "похоже, это книга Excel (.xlsx) или архив, а здесь нужен CSV"
            if data.startswith(b"PK\x03\x04")
            else "в нём двоичные данные"
        )
        raise InputError(f"{path}: это не текстовый файл CSV ({what}). Сохраните таблицу как «CSV UTF-8».")
    for enc in candidates:
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise InputError(
        f"{path}: не удаётся определить кодировку файла. Сохраните его как «CSV UTF-8» или укажите "
        "кодировку: --encoding cp1251."
    )


def utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le``/``utf-16-be`` when the bytes look like UTF-16 text without a BOM.

    Text in UTF-16 has a zero byte in every ASCII character (digits, commas, Latin headers) on
    one side of each pair, and none on the other; a binary file has zeros anywhere.
    """
    sample = data[: 4096 - 4096 % 2] if len(data) >= 4096 else data[: len(data) - len(data) % 2]
    if len(sample) < 4:
        return None
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    if odd > len(sample) // 8 and even == 0:
        encoding = "utf-16-le"
    elif even > len(sample) // 8 and odd == 0:
        encoding = "utf-16-be"
    else:
        return None
    try:
        text = sample.decode(encoding)
    except UnicodeDecodeError:
        return None
    control = sum(1 for ch in text if ch < " " and ch not in "\r\n\t")
    return encoding if control == 0 else None


# «sep=;», and «sep=;;;;» as a spreadsheet that showed the line as a row saves it again
_SEP_LINE = re.compile(r"\ufeff?sep=([,;\t|])\1*[ \t]*(?=\r?\n|$)", re.IGNORECASE)


def excel_separator(text: str) -> str | None:
    """The separator Excel's first line «sep=;» names (Excel writes it and reads it to know the
    separator), or None when the text does not start with one."""
    found = _SEP_LINE.match(text)
    return found.group(1) if found else None


def shifted_row(values: list[str], header: int, usual: int) -> bool:
    """Whether a CSV row has a separator too many: more fields than the ``header`` with text past
    its last column, or more than the file's ``usual`` width (see :func:`usual_width`) even when
    what it pushed past the last column is an empty cell (the texts before it moved one column)."""
    return len(values) > header and (any(v.strip() for v in values[header:]) or len(values) > usual)


def usual_width(widths: Iterable[int], header: int) -> int:
    """How many fields the rows of a CSV file may have without a fault: the header's, or more when
    every row that is at least as wide as the header is wider (Excel writes every row as wide as
    the widest, so an empty field past the header on every row is no fault). Rows of mixed widths
    past the header are no Excel layout: then the wider ones have a separator too many."""
    wide = [n for n in widths if n >= header]
    return max(header, min(wide)) if wide else header


def width_message(values: list[str], header: int, usual: int) -> str:
    """«в строке 5 полей, а в заголовке 4 столбцов» (or «в других строках 4»), for a row
    :func:`shifted_row` finds."""
    if len(values) > usual > header:
        return f"в строке {len(values)} полей, а в других строках {usual}"
    return f"в строке {len(values)} полей, а в заголовке {header} столбцов"


def csv_layout(text: str) -> tuple[str, str]:
    """A CSV text without its BOM, and its separator: the one an «sep=;» first line names (the
    line is blanked, so that line numbers stay those of the file), else :func:`sniff_delimiter`'s."""
    found = _SEP_LINE.match(text)
    if found:
        return text[found.end() :], found.group(1)
    text = text.removeprefix("\ufeff")
    return text, sniff_delimiter(text)


def read_csv_frame(path: Path, limit: int, too_big: str) -> pd.DataFrame:
    """A CSV file as strings (no missing values), in any encoding and with any separator a
    spreadsheet writes (:func:`decode_text`, :func:`csv_layout`); :class:`InputError` in Russian
    when it is not one. At most ``limit`` bytes are read (:func:`read_bounded`).
    ``frame.attrs["first_row"]`` is the file's line of the first record (2, or 3 after «sep=»)."""
    import pandas as pd  # lazy: this module is imported by light commands

    text, _ = decode_text(path, read_bounded(path, limit, too_big))
    body, delimiter = csv_layout(text)
    try:
        # index_col=False: a row with a field more than the header is a fault, not a sign that the
        # first column is an index (pandas would shift every column of the file one place silently)
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(io.StringIO(body), sep=delimiter, dtype=str, keep_default_na=False, index_col=False)
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: файл пуст — в нём нет даже строки заголовков.") from None
    except (pd.errors.ParserError, pd.errors.ParserWarning):
        raise InputError(f"{path}, {_csv_fault(body, delimiter)}") from None
    frame.attrs["first_row"] = 3 if body.startswith(("\n", "\r")) else 2  # the file's line of the first record
    _header_names(frame, body, delimiter, path)
    return _without_unnamed(frame, path)


def _header_names(frame: pd.DataFrame, body: str, delimiter: str, path: Path) -> None:
    """The header's names without the spaces around them («language », typed or left by a
    formula); a name written twice, in any case, is refused: which of the two columns to read is
    unclear (pandas would have read the second as «distance.1» and every reader ignored it)."""
    raw = next((row for row in csv.reader(io.StringIO(body), delimiter=delimiter) if row), [])
    if len(raw) != frame.shape[1]:
        return
    names: list[str] = []
    seen: dict[str, int] = {}
    for i, (given, column) in enumerate(zip(raw, frame.columns), start=1):
        name = given.strip()
        if not name:  # pandas' «Unnamed: N», kept or dropped by _without_unnamed
            names.append(str(column))
            continue
        key = name.casefold()
        if key in seen:
            raise InputError(
                f"{path}: столбец «{name}» в заголовке дважды (столбцы {seen[key]} и {i}) — какой из них читать, "
                "неясно. Оставьте один или переименуйте другой."
            )
        seen[key] = i
        names.append(name)
    frame.columns = names


def canonical_columns(frame: pd.DataFrame, names: Iterable[str]) -> pd.DataFrame:
    """``frame`` with the columns that are ``names`` written in another case renamed to them
    («Distance» → «distance», «Text» → «text»)."""
    by_key = {n.casefold(): n for n in names}
    renamed = {c: by_key[str(c).casefold()] for c in frame.columns if by_key.get(str(c).casefold(), c) != c}
    return frame.rename(columns=renamed) if renamed else frame


def _csv_fault(body: str, delimiter: str) -> str:
    """Where and what the first fault of a CSV text is, in Russian, for a message that follows
    the file's name: an unclosed quote or a row with more fields than the header."""
    reader = csv.reader(io.StringIO(body), delimiter=delimiter, strict=True)
    width, start = None, 1
    try:
        for values in reader:
            if width is None:
                width = len(values)
            elif len(values) > width:
                return (
                    f"строка {start}: {width_message(values, width, width)}. Заключите текст "
                    f"с разделителем «{delimiter}» в двойные кавычки (Excel делает это сам при сохранении в CSV)."
                )
            start = reader.line_num + 1
    except csv.Error:
        return (
            f"строка {start}: кавычка, открытая в этой строке, не закрыта там, где кончается поле. Закройте "
            'её; кавычки внутри текста удваиваются ("").'
        )
    return "файл не читается как CSV. Сохраните его как «CSV UTF-8» (Excel: Файл → Сохранить как)."


_UNNAMED = re.compile(r"Unnamed: (\d+)")  # pandas' name of a column with an empty header cell


def _without_unnamed(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """``frame`` without its columns that have no header and no value (Russian Excel ends every
    line of a «CSV (разделители — точка с запятой)» with «;»); such a column that holds values is
    kept, with a warning that asks for a header."""
    empty = []
    for column in frame.columns:
        m = _UNNAMED.fullmatch(str(column))
        if not m:
            continue
        filled = frame[column].str.strip() != ""
        if not filled.any():
            empty.append(column)
            continue
        row = int(filled.to_numpy().nonzero()[0][0]) + frame.attrs["first_row"]
        log.warning(
            "%s: у столбца %d нет заголовка, но в нём есть значения (строка %d: «%s»); он прочитан как «%s». "
            "Впишите заголовок в первую строку или удалите столбец.",
            path,
            int(m.group(1)) + 1,
            row,
            frame.loc[filled, column].iloc[0],
            column,
        )
    return frame.drop(columns=empty) if empty else frame


SNIFF_ROWS = 50  # records read to find a CSV's separator
SNIFF_CHARS = 1 << 16  # … at most this much of the text
HEADER_ROWS = 10  # a header may be this far down (titles above it), as the response readers look for it


def sniff_delimiter(text: str) -> str:
    """The separator of a CSV text: «,», «;» (Russian Excel) or tab. Each is tried on the first
    records, read as a CSV reader reads them (quoted text may hold the others: «Денег нет; людей
    нет», "conv 137, 956"): the records it splits into two or more cells have a commonest width —
    the table's — and the separator kept gives the most records that width (then: the table
    starts on the first line rather than under a title line such as «Опрос экспертов, 2021»;
    then the wider table). ``csv.Sniffer``, which counts characters line by line, took «;» in the
    notes of a comma-separated file for the separator."""
    sample = text[:SNIFF_CHARS]
    cut = len(text) > SNIFF_CHARS  # the sample's last record may be cut short
    best, best_key = None, None
    for delimiter in (",", ";", "\t"):
        widths = []
        try:
            for row in csv.reader(io.StringIO(sample), delimiter=delimiter):
                if row:  # a blank line is no record
                    widths.append(len(row))
                if len(widths) > SNIFF_ROWS:
                    break
        except csv.Error:
            continue
        if cut and len(widths) <= SNIFF_ROWS:
            widths = widths[:-1]
        split = Counter(w for w in widths if w >= 2)
        if not split:
            continue
        width, records = split.most_common(1)[0]
        start = next((i for i, w in enumerate(widths[:HEADER_ROWS]) if w == width), None)
        if start is None:
            continue
        key = (records / len(widths), start == 0, width)
        if best_key is None or key > best_key:
            best, best_key = delimiter, key
    if best is not None:
        return best
    first = sample.split("\n", 1)[0]
    counts = {d: first.count(d) for d in ",;\t"}
    return max(counts, key=lambda d: counts[d])
