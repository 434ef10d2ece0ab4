"""Multiple-response sets written into an SPSS system file (``.sav``/``.zsav``) and as syntax.

pyreadstat (ReadStat) reads multiple-response sets (``meta.mr_sets``) but cannot write them,
so :func:`add_mr_sets` edits a finished system file and inserts the dictionary records that
SPSS and PSPP use for them:

* record type 7, subtype 7: multiple category sets (``C``) and multiple dichotomy sets whose
  categories are labelled by the variable labels (``D``), read by every SPSS version, by PSPP
  and by ReadStat;
* record type 7, subtype 19: dichotomy sets labelled by the counted value
  (CATEGORYLABELS=COUNTEDVALUES, ``E``), SPSS 14 and later.

The records go right before the dictionary-termination record (type 999). Nothing else in the
file changes, except the absolute offsets that ZLIB-compressed files (``.zsav``) keep in their
ZLIB header and trailer, which move by the number of inserted bytes. Sets already in the file
are kept and merged into one record per subtype (ReadStat refuses a second subtype 7 record).

Layout (PSPP developers' guide, «System File Format → Multiple Response Sets Records»; PSPP's
``sys-file-writer.c`` ``write_mrsets``): one line per set, ``\\n``-terminated::

    $<name>=C <label>  <var> <var> …                  multiple category set
    $<name>=D<counted value> <label>  <var> …         dichotomy set, CATEGORYLABELS=VARLABELS
    $<name>=E 1 <counted value> <label>  <var> …      dichotomy set, CATEGORYLABELS=COUNTEDVALUES
    $<name>=E 11 <counted value> 0  <var> …           … with LABELSOURCE=VARLABEL

where ``<label>`` and ``<counted value>`` are counted strings (``<byte length> <bytes>``, ``0``
when empty), lengths count bytes of the file's encoding, and variables are named by their
8-byte *short* names (PSPP resolves them before applying long names; ReadStat maps them to long
names after upper-casing ASCII letters). The records written here were checked byte for byte
against PSPP 1.6's own ``SAVE`` (``tests/test_mrsets.py``).

:func:`mrsets_syntax` writes the same sets as an ``MRSETS`` command for readers that predate
the records or for redefining the sets by hand.

Public API: :class:`MRSet`, :class:`MRSetError`, :func:`add_mr_sets`, :func:`mrsets_syntax`,
:func:`read_mr_sets`.
"""

from __future__ import annotations

import codecs
import os
import shutil
import struct
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Literal

from survey.errors import OutputError

__all__ = ["MRSet", "MRSetError", "add_mr_sets", "mrsets_syntax", "read_mr_sets"]

# Record types and extension subtypes of the SPSS system file dictionary.
REC_VARIABLE = 2
REC_VALUE_LABELS = 3
REC_VALUE_LABEL_VARS = 4
REC_DOCUMENT = 6
REC_EXTENSION = 7
REC_END = 999
SUB_INTEGER_INFO = 3
SUB_MRSETS = 7
SUB_LONG_NAMES = 13
SUB_VERY_LONG_STRINGS = 14
SUB_MRSETS_V14 = 19
SUB_ENCODING = 20

HEADER_BYTES = 176
NAME_BYTES = 64  # an SPSS name (a set's with its «$») is at most 64 bytes in the file encoding
SYNTAX_WIDTH = 78  # syntax lines stay under the 80 columns old SPSS versions read
RESERVED = {"ALL", "AND", "BY", "EQ", "GE", "GT", "LE", "LT", "NE", "NOT", "OR", "TO", "WITH"}
_NAME_EXTRA_CHARS = "_.@#$"

Kind = Literal["dichotomy", "category"]
CategoryLabels = Literal["varlabels", "countedvalues"]
LabelSource = Literal["label", "varlabel"]


class MRSetError(OutputError):
    """A multiple-response set cannot be written: a wrong definition or a file this module cannot edit."""


@dataclass(frozen=True)
class MRSet:
    """One multiple-response set.

    ``name`` is an SPSS name with or without the leading ``$``; ``variables`` are the long
    variable names (as pyreadstat reports them), at least two, all numeric or all string.
    A ``dichotomy`` set counts ``counted_value`` (an ``int`` for numeric variables, a ``str``
    for string ones); a ``category`` set has none. For dichotomy sets ``category_labels`` is
    ``"varlabels"`` (the default: categories named by the variable labels) or
    ``"countedvalues"`` (SPSS 14+: by the counted value's value label), and ``label_source``
    ``"varlabel"`` (only with ``countedvalues``, without a ``label``) takes the set label from
    the first variable.
    """

    name: str
    variables: tuple[str, ...]
    label: str = ""
    kind: Kind = "dichotomy"
    counted_value: int | str | None = None
    category_labels: CategoryLabels = "varlabels"
    label_source: LabelSource = "label"

    @property
    def spss_name(self) -> str:
        """The name with its leading ``$``, as SPSS shows it."""
        return "$" + self.name.removeprefix("$")


# ------------------------------------------------------------------ checking sets


def is_identifier(name: str) -> bool:
    """Whether ``name`` is an SPSS/PSPP name: a letter, then letters, digits or ``_ . @ # $``, not ending in ``.``.

    >>> is_identifier("q2_areas"), is_identifier("2q"), is_identifier("a b"), is_identifier("Доход.$")
    (True, False, False, True)
    """
    if not name or not name[0].isalpha() or name.endswith("."):
        return False
    return all(c.isalnum() or c in _NAME_EXTRA_CHARS for c in name[1:])


def _check_sets(sets: Iterable[MRSet]) -> list[MRSet]:
    """Check the definitions that do not depend on a data file; the sets, names with ``$``."""
    if isinstance(sets, MRSet):
        raise MRSetError("Наборы множественных ответов передаются списком, а не одним набором.")
    result: list[MRSet] = []
    seen: set[str] = set()
    for i, s in enumerate(sets, start=1):
        if not isinstance(s, MRSet):
            raise MRSetError(f"Набор №{i}: ожидается MRSet, получено {type(s).__name__}.")
        bare = s.name.removeprefix("$")
        if not is_identifier(bare):
            raise MRSetError(
                f"Набор №{i}: недопустимое имя «{s.name}». Имя набора начинается с буквы и состоит из букв, "
                "цифр и знаков _ . @ # $ (не заканчивается точкой)."
            )
        where = f"Набор ${bare}"
        if bare.upper() in seen:
            raise MRSetError(f"{where}: имя повторяется (регистр букв не различается). Дайте наборам разные имена.")
        seen.add(bare.upper())
        if any(ord(c) < 32 for c in s.label):
            raise MRSetError(f"{where}: в метке есть перевод строки или управляющий символ. Уберите его из метки.")
        if s.kind not in ("dichotomy", "category"):
            raise MRSetError(f"{where}: вид «{s.kind}» неизвестен; допустимо dichotomy или category.")
        if isinstance(s.variables, str) or not all(isinstance(v, str) and v for v in s.variables):
            raise MRSetError(f"{where}: переменные задаются списком непустых имён.")
        if len(s.variables) < 2:
            raise MRSetError(f"{where}: в наборе множественных ответов нужны хотя бы две переменные.")
        folded = [v.casefold() for v in s.variables]
        if len(set(folded)) != len(folded):
            raise MRSetError(f"{where}: переменная повторяется ({', '.join(s.variables)}).")
        counted = s.counted_value
        if s.kind == "dichotomy":
            if counted is None:
                raise MRSetError(f"{where}: для набора дихотомий нужно считаемое значение (counted_value).")
            if isinstance(counted, bool) or not isinstance(counted, int | str):
                raise MRSetError(f"{where}: считаемое значение должно быть целым числом или строкой, а не {counted!r}.")
            if isinstance(counted, str) and (not counted.strip(" ") or any(ord(c) < 32 for c in counted)):
                raise MRSetError(f"{where}: считаемое значение — пустая строка или содержит управляющие символы.")
            if s.category_labels not in ("varlabels", "countedvalues"):
                raise MRSetError(f"{where}: category_labels может быть varlabels или countedvalues.")
            if s.label_source not in ("label", "varlabel"):
                raise MRSetError(f"{where}: label_source может быть label или varlabel.")
            if s.label_source == "varlabel" and (s.category_labels != "countedvalues" or s.label):
                raise MRSetError(
                    f"{where}: метка из первой переменной (label_source=varlabel) возможна только "
                    "с category_labels=countedvalues и без собственной метки набора."
                )
        else:
            if counted is not None:
                raise MRSetError(f"{where}: считаемое значение бывает только у набора дихотомий.")
            if s.category_labels != "varlabels" or s.label_source != "label":
                raise MRSetError(f"{where}: category_labels и label_source относятся только к наборам дихотомий.")
        result.append(
            MRSet(
                name="$" + bare,
                variables=tuple(s.variables),
                label=s.label,
                kind=s.kind,
                counted_value=counted,
                category_labels=s.category_labels,
                label_source=s.label_source,
            )
        )
    return result


# ------------------------------------------------------------------ reading the dictionary


@dataclass
class _Var:
    short: str  # the 8-byte short name of the variable record, decoded
    width: int  # 0 numeric, else the string width in bytes
    long: str = ""


@dataclass
class _Dictionary:
    endian: str
    compression: int
    raw: bytes  # the header and every dictionary record, up to and including the 999 record
    encoding: str | None
    variables: list[_Var] = field(default_factory=list)
    mr_records: list[tuple[int, int, int]] = field(default_factory=list)  # (subtype, start, end) in raw

    @property
    def end_record(self) -> int:
        """Offset of the 999 record (8 bytes, the last of ``raw``)."""
        return len(self.raw) - 8


class _Reader:
    """Sequential reader of the dictionary that keeps every byte it reads."""

    def __init__(self, stream: BinaryIO, path: Path):
        self.stream = stream
        self.path = path
        self.buf = bytearray()
        self.endian = "<"

    def read(self, n: int) -> bytes:
        data = self.stream.read(n)
        if len(data) != n:
            raise MRSetError(f"{self.path}: файл SPSS обрывается в середине словаря (файл повреждён или не дописан).")
        self.buf += data
        return data

    def i32(self) -> int:
        value: int = struct.unpack(self.endian + "i", self.read(4))[0]
        return value

    @property
    def pos(self) -> int:
        return len(self.buf)


def _codepage_encoding(code: int) -> str | None:
    """The Python codec of an SPSS code page (integer-info record); ``None`` when it says nothing."""
    if code == 65001:
        return "utf-8"
    if code == 1:
        return "ebcdic"
    if code in (2, 3):  # «7-bit/8-bit ASCII»: unreliable in practice, PSPP ignores them too
        return None
    if code == 4:
        return "cp932"
    for candidate in (f"cp{code}", f"windows-{code}"):
        try:
            return codecs.lookup(candidate).name
        except LookupError:
            pass
    return None


def _read_dictionary(path: Path) -> _Dictionary:
    """Parse the header and the dictionary records of the system file ``path``."""
    try:
        with open(path, "rb") as stream:
            return _parse_dictionary(stream, path)
    except OSError as exc:
        raise MRSetError(f"{path}: не удаётся прочитать файл SPSS ({exc.strerror}).") from None


def _parse_dictionary(stream: BinaryIO, path: Path) -> _Dictionary:
    r = _Reader(stream, path)
    head = r.read(HEADER_BYTES) if _size(stream) >= HEADER_BYTES else b""
    if head[:4] not in (b"$FL2", b"$FL3"):
        raise MRSetError(f"{path}: это не файл данных SPSS (.sav/.zsav).")
    for endian in ("<", ">"):
        if struct.unpack_from(endian + "i", head, 64)[0] in (2, 3):
            r.endian = endian
            break
    else:
        raise MRSetError(f"{path}: не удаётся определить порядок байтов файла SPSS.")
    compression = struct.unpack_from(r.endian + "i", head, 72)[0]
    if compression not in (0, 1, 2):
        raise MRSetError(f"{path}: неизвестный способ сжатия файла SPSS ({compression}).")
    variables: list[_Var] = []
    short_names: list[bytes] = []
    mr_records: list[tuple[int, int, int]] = []
    ext: dict[int, bytes] = {}
    while True:
        start = r.pos
        rec_type = r.i32()
        if rec_type == REC_VARIABLE:
            vtype, has_label, n_missing, _print, _write = (r.i32() for _ in range(5))
            name = r.read(8)
            if has_label:
                r.read((r.i32() + 3) // 4 * 4)
            r.read(abs(n_missing) * 8)
            if vtype != -1:  # -1 continues a long string variable
                variables.append(_Var(short="", width=vtype))
                short_names.append(name)
        elif rec_type == REC_VALUE_LABELS:
            for _ in range(r.i32()):
                r.read(8)
                n = r.read(1)[0]
                r.read((n + 1 + 7) // 8 * 8 - 1)
        elif rec_type == REC_VALUE_LABEL_VARS:
            r.read(4 * r.i32())
        elif rec_type == REC_DOCUMENT:
            r.read(80 * r.i32())
        elif rec_type == REC_EXTENSION:
            subtype, size, count = r.i32(), r.i32(), r.i32()
            if size < 0 or count < 0:
                raise MRSetError(f"{path}: повреждённая запись словаря (тип 7, подтип {subtype}).")
            data = r.read(size * count)
            if subtype in (SUB_MRSETS, SUB_MRSETS_V14):
                mr_records.append((subtype, start, r.pos))
            elif subtype in (SUB_INTEGER_INFO, SUB_LONG_NAMES, SUB_VERY_LONG_STRINGS, SUB_ENCODING):
                ext[subtype] = data
        elif rec_type == REC_END:
            r.i32()  # filler
            break
        else:
            raise MRSetError(f"{path}: неизвестная запись словаря SPSS (тип {rec_type}, смещение {start}).")
    raw = bytes(r.buf)
    encoding = _file_encoding(ext, r.endian, path)
    dec = encoding or "latin-1"  # latin-1 keeps every byte of a name when the encoding is unknown
    for var, name in zip(variables, short_names):
        var.short = var.long = name.rstrip(b" \0").decode(dec, "surrogateescape")
    by_short = {v.short.upper(): v for v in variables}
    for pair in ext.get(SUB_LONG_NAMES, b"").decode(dec, "surrogateescape").split("\t"):
        short, eq, long = pair.partition("=")
        if eq and (var_ := by_short.get(short.upper())) is not None:
            var_.long = long.rstrip("\0")
    for pair in ext.get(SUB_VERY_LONG_STRINGS, b"").decode(dec, "surrogateescape").split("\t"):
        short, eq, width = pair.strip("\0").partition("=")
        if eq and width.strip().isdigit() and (var_ := by_short.get(short.upper())) is not None:
            var_.width = int(width)
    # a very long string (> 255 bytes) is stored as one 255-byte variable record per 252 bytes:
    # the records after its first are segments of it, not variables
    whole: list[_Var] = []
    skip = 0
    for var in variables:
        if skip:
            skip -= 1
            continue
        whole.append(var)
        if var.width > 255:
            skip = (var.width + 251) // 252 - 1
    return _Dictionary(r.endian, compression, raw, encoding, whole, mr_records)


def _size(stream: BinaryIO) -> int:
    here = stream.tell()
    size = stream.seek(0, os.SEEK_END)
    stream.seek(here)
    return size


def _file_encoding(ext: dict[int, bytes], endian: str, path: Path) -> str | None:
    """The file's character encoding: the subtype 20 record, else the integer-info code page."""
    encoding = None
    if SUB_ENCODING in ext:
        name = ext[SUB_ENCODING].rstrip(b"\0 ").decode("ascii", "replace")
        try:
            encoding = codecs.lookup(name).name
        except LookupError:
            raise MRSetError(f"{path}: кодировка файла SPSS «{name}» не поддерживается.") from None
    elif SUB_INTEGER_INFO in ext and len(ext[SUB_INTEGER_INFO]) >= 32:
        encoding = _codepage_encoding(struct.unpack_from(endian + "i", ext[SUB_INTEGER_INFO], 28)[0])
    if encoding == "ebcdic":
        raise MRSetError(f"{path}: файлы SPSS в кодировке EBCDIC не поддерживаются.")
    return encoding


# ------------------------------------------------------------------ sets already in a file


def _split_mr_text(data: bytes) -> list[tuple[bytes, bytes]]:
    """The sets of an MR record as (name, line without ``\\n``), following PSPP's ``parse_mrsets``.

    Counted strings may hold any byte, so a set ends at the first ``\\n`` after its label.
    """
    out: list[tuple[bytes, bytes]] = []
    pos, n = 0, len(data)

    def counted(p: int) -> int:
        q = p
        while q < n and 48 <= data[q] <= 57:
            q += 1
        if q == p or q >= n or data[q] != 0x20:
            raise MRSetError("Запись наборов множественных ответов в файле повреждена.")
        return q + 1 + int(data[p:q]) + 1  # digits, space, the string, space

    while True:
        while pos < n and data[pos] in (0x0A, 0x00):
            pos += 1
        if pos >= n:
            return out
        eq = data.find(b"=", pos)
        if eq < 0:
            raise MRSetError("Запись наборов множественных ответов в файле повреждена.")
        p = eq + 1
        kind = data[p : p + 1]
        p += 1
        if kind == b"C":
            p += 1
        elif kind == b"D":
            p = counted(p)
        elif kind == b"E":
            p = counted(data.index(b" ", p + 1) + 1)
        else:
            raise MRSetError("Запись наборов множественных ответов в файле повреждена.")
        p = counted(p)  # the label
        end = data.find(b"\n", p)
        end = n if end < 0 else end
        out.append((data[pos:eq], data[pos:end]))
        pos = end + 1


def read_mr_sets(path: str | Path) -> list[tuple[int, str]]:
    """The MR-set lines stored in ``path`` as (subtype, text) pairs, in file order."""
    d = _read_dictionary(Path(path))
    enc = d.encoding or "latin-1"
    return [
        (subtype, text.decode(enc, "surrogateescape"))
        for subtype, start, end in d.mr_records
        for _name, text in _split_mr_text(d.raw[start + 16 : end])
    ]


# ------------------------------------------------------------------ building the records


def _encode(text: str, encoding: str | None, what: str) -> bytes:
    try:
        return text.encode(encoding or "ascii")
    except UnicodeEncodeError:
        if encoding is None:
            raise MRSetError(
                f"{what}: не ASCII, а файл SPSS не объявляет свою кодировку; укажите её (encoding=…)."
            ) from None
        raise MRSetError(f"{what}: не записывается в кодировке файла ({encoding}).") from None


def _resolve(d: _Dictionary, s: MRSet, names: list[str], path: Path) -> tuple[list[_Var], int | None]:
    """The dictionary variables of a set and, for string sets, the narrowest width."""
    by_long = {v.long: v for v in d.variables}
    by_fold: dict[str, list[_Var]] = {}
    for v in d.variables:
        by_fold.setdefault(v.long.casefold(), []).append(v)
    found: list[_Var] = []
    for name in s.variables:
        var = by_long.get(name)
        if var is None and len(candidates := by_fold.get(name.casefold(), [])) == 1:
            var = candidates[0]
        if var is None or var.long not in names:
            raise MRSetError(f"Набор {s.spss_name}: переменной «{name}» нет в файле {path.name}.")
        found.append(var)
    if len({v.short.upper() for v in found}) != len(found):
        raise MRSetError(f"Набор {s.spss_name}: переменная повторяется.")
    if len({v.width == 0 for v in found}) != 1:
        raise MRSetError(f"Набор {s.spss_name}: переменные набора должны быть все числовые или все строковые.")
    return found, None if found[0].width == 0 else min(v.width for v in found)


def _counted(b: bytes) -> bytes:
    return str(len(b)).encode("ascii") + b" " + b


def _ascii_lower(name: str) -> str:
    """Lower-case ASCII letters only: ReadStat upper-cases names with ``toupper`` (ASCII) before its lookup."""
    return "".join(c.lower() if "A" <= c <= "Z" else c for c in name)


def _set_line(s: MRSet, variables: list[_Var], min_width: int | None, encoding: str | None) -> tuple[int, bytes]:
    """(subtype, the set's line with ``\\n``)."""
    name = _encode(s.spss_name, encoding, f"Имя набора {s.spss_name}")
    if len(name) > NAME_BYTES:
        raise MRSetError(f"Набор {s.spss_name}: имя длиннее {NAME_BYTES} байт. Сократите его.")
    subtype = SUB_MRSETS
    if s.kind == "category":
        body = b"C "
    else:
        if min_width is None:
            if not isinstance(s.counted_value, int):
                raise MRSetError(f"Набор {s.spss_name}: у числовых переменных считаемое значение — целое число.")
            value = str(s.counted_value).encode("ascii")
        else:
            if not isinstance(s.counted_value, str):
                raise MRSetError(f"Набор {s.spss_name}: у строковых переменных считаемое значение — строка.")
            value = _encode(s.counted_value.rstrip(" "), encoding, f"Набор {s.spss_name}: считаемое значение")
            if len(value) > min_width:
                raise MRSetError(
                    f"Набор {s.spss_name}: считаемое значение ({len(value)} байт) длиннее самой узкой "
                    f"переменной набора ({min_width} байт)."
                )
        if s.category_labels == "countedvalues":
            subtype = SUB_MRSETS_V14
            body = b"E " + (b"11 " if s.label_source == "varlabel" else b"1 ") + _counted(value) + b" "
        else:
            body = b"D" + _counted(value) + b" "
    label = _encode(s.label, encoding, f"Метка набора {s.spss_name}")
    body += _counted(label) if label else b"0 "
    for v in variables:
        body += b" " + _encode(_ascii_lower(v.short), encoding, f"Переменная «{v.long}»")
    return subtype, name + b"=" + body + b"\n"


def _extension_record(endian: str, subtype: int, data: bytes) -> bytes:
    return struct.pack(endian + "4i", REC_EXTENSION, subtype, 1, len(data)) + data


def _pyreadstat_names(path: Path) -> list[str]:
    import pyreadstat  # lazy: a heavy import, needed only when a file is edited

    try:
        _frame, meta = pyreadstat.read_sav(os.fspath(path), metadataonly=True)
    except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError) as exc:
        raise MRSetError(f"{path}: pyreadstat не читает файл SPSS ({exc}).") from None
    return list(meta.column_names)


# ------------------------------------------------------------------ writing


def add_mr_sets(
    path: str | Path,
    sets: Sequence[MRSet],
    *,
    replace: bool = True,
    encoding: str | None = None,
) -> Path:
    """Insert the multiple-response ``sets`` into the SPSS file ``path`` (``.sav`` or ``.zsav``), in place.

    Sets already in the file are kept; one with the same name (case ignored) is replaced when
    ``replace``, else :class:`MRSetError` is raised. ``encoding`` is needed only for files that
    declare none. The file is rewritten atomically (a temporary file beside it, synced, with the
    original's permissions, then ``os.replace``); after any error it is unchanged.
    """
    path = Path(path)
    wanted = _check_sets(sets)
    d = _read_dictionary(path)
    if encoding is not None:
        try:
            d.encoding = codecs.lookup(encoding).name
        except LookupError:
            raise MRSetError(f"Неизвестная кодировка «{encoding}».") from None
    names = _pyreadstat_names(path)
    if sorted(v.long for v in d.variables) != sorted(names):
        raise MRSetError(
            f"{path}: имена переменных в словаре файла не совпадают с прочитанными pyreadstat; файл не изменён."
        )
    existing: list[tuple[str, int, bytes]] = []  # (upper-case name, subtype, line with \n), kept byte for byte
    for subtype, start, end in d.mr_records:
        for name, text in _split_mr_text(d.raw[start + 16 : end]):
            existing.append((name.decode(d.encoding or "latin-1", "surrogateescape").upper(), subtype, text + b"\n"))
    new_lines: dict[str, tuple[int, bytes]] = {}
    for s in wanted:
        variables, min_width = _resolve(d, s, names, path)
        new_lines[s.spss_name.upper()] = _set_line(s, variables, min_width, d.encoding)
    merged: list[tuple[int, bytes]] = []
    for key, subtype, line in existing:
        if key in new_lines:
            if not replace:
                raise MRSetError(f"{path}: набор {key} уже есть в файле.")
            continue
        merged.append((subtype, line))
    merged.extend(new_lines.values())
    records = b""
    for subtype in (SUB_MRSETS, SUB_MRSETS_V14):
        data = b"".join(line for st, line in merged if st == subtype)
        if data:
            records += _extension_record(d.endian, subtype, data)
    pieces, pos = [], 0
    for _subtype, start, end in d.mr_records:
        pieces.append(d.raw[pos:start])
        pos = end
    pieces.append(d.raw[pos : d.end_record])
    dictionary = b"".join(pieces) + records + d.raw[d.end_record :]
    _rewrite(path, d, dictionary)
    return path


def _rewrite(path: Path, d: _Dictionary, dictionary: bytes) -> None:
    """Replace ``path`` by ``dictionary`` + its case data, atomically."""
    delta = len(dictionary) - len(d.raw)
    try:
        fd, name = tempfile.mkstemp(prefix=".mrsets-", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise MRSetError(f"{path}: не удаётся создать временный файл рядом с ним ({exc.strerror}).") from None
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as out, open(path, "rb") as src:
            out.write(dictionary)
            src.seek(len(d.raw))
            if d.compression == 2:
                _copy_zlib_body(src, out, d, delta, path)
            else:
                shutil.copyfileobj(src, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        shutil.copymode(path, tmp)
        os.replace(tmp, path)
    except OSError as exc:
        raise MRSetError(
            f"{path}: не удаётся записать файл SPSS ({exc.strerror}). Если он открыт в SPSS или PSPP, "
            "закройте его и запустите команду снова."
        ) from None
    finally:
        tmp.unlink(missing_ok=True)


def _copy_zlib_body(src: BinaryIO, out: BinaryIO, d: _Dictionary, delta: int, path: Path) -> None:
    """Copy ZLIB-compressed case data, moving the absolute offsets it stores by ``delta``."""
    e = d.endian
    broken = f"{path}: сжатые данные файла SPSS повреждены"
    zheader = src.read(24)
    if len(zheader) != 24:
        raise MRSetError(f"{broken} (нет заголовка ZLIB).")
    zheader_ofs, ztrailer_ofs, ztrailer_len = struct.unpack(e + "3q", zheader)
    if zheader_ofs != len(d.raw):
        raise MRSetError(f"{broken} (неверное смещение заголовка ZLIB).")
    out.write(struct.pack(e + "3q", zheader_ofs + delta, ztrailer_ofs + delta, ztrailer_len))
    remaining = ztrailer_ofs - zheader_ofs - 24
    while remaining > 0:
        chunk = src.read(min(remaining, 1 << 20))
        if not chunk:
            raise MRSetError(f"{broken} (файл обрывается).")
        out.write(chunk)
        remaining -= len(chunk)
    trailer = bytearray(src.read(ztrailer_len))
    if len(trailer) != ztrailer_len or ztrailer_len < 24:
        raise MRSetError(f"{broken} (нет оглавления блоков ZLIB).")
    n_blocks = struct.unpack_from(e + "i", trailer, 20)[0]
    if 24 + 24 * n_blocks > ztrailer_len:
        raise MRSetError(f"{broken} (оглавление блоков ZLIB не сходится).")
    for i in range(n_blocks):
        offset = 24 + 24 * i
        uncompressed, compressed = struct.unpack_from(e + "qq", trailer, offset)
        struct.pack_into(e + "qq", trailer, offset, uncompressed + delta, compressed + delta)
    out.write(bytes(trailer))
    shutil.copyfileobj(src, out, 1 << 20)  # anything after the trailer (normally nothing)


# ------------------------------------------------------------------ syntax


def _quote(text: str, indent: str, room: int) -> str:
    """``text`` as an SPSS string literal; long texts as ``'…' +`` pieces on separate lines.

    >>> _quote("It's", "", 70)
    "'It''s'"
    """
    pieces: list[str] = []
    rest = text
    while rest:
        take = len(rest)
        while len(rest[:take].replace("'", "''")) + 4 > room:
            take -= 1
        if take < len(rest):  # cut after a space where there is one in the second half of the piece
            space = rest.rfind(" ", take // 2, take)
            take = space + 1 if space > 0 else take
        pieces.append("'" + rest[:take].replace("'", "''") + "'")
        rest = rest[take:]
    return f" +\n{indent}".join(pieces or ["''"])


def _wrap(prefix: str, words: Sequence[str], indent: str, width: int = SYNTAX_WIDTH) -> list[str]:
    lines, current = [], prefix
    for word in words:
        if len(current) + 1 + len(word) > width and current.strip() != prefix.strip():
            lines.append(current)
            current = indent + word
        else:
            current += ("" if current.endswith("=") else " ") + word
    lines.append(current)
    return lines


def mrsets_syntax(sets: Sequence[MRSet]) -> str:
    """An SPSS/PSPP ``MRSETS`` command defining ``sets`` (lines under 80 columns, ends with ``.``).

    Variable names must be plain SPSS names (syntax cannot quote them). Save the text as UTF-8.

    >>> print(mrsets_syntax([MRSet("q2", ("q2_a", "q2_b"), "Сферы", counted_value=1)]), end="")
    MRSETS
      /MDGROUP NAME=$q2
        LABEL='Сферы'
        VARIABLES=q2_a q2_b
        VALUE=1.
    """
    checked = _check_sets(sets)
    if not checked:
        raise MRSetError("Нет ни одного набора множественных ответов для команды MRSETS.")
    lines = ["MRSETS"]
    for s in checked:
        for v in s.variables:
            if not is_identifier(v) or v.upper() in RESERVED:
                raise MRSetError(f"Набор {s.spss_name}: «{v}» нельзя записать в синтаксисе SPSS как имя переменной.")
        if s.kind == "dichotomy":
            head = f"  /MDGROUP NAME={s.spss_name}"
            if s.label_source == "varlabel":
                head += " LABELSOURCE=VARLABEL"
            if s.category_labels == "countedvalues":
                head += " CATEGORYLABELS=COUNTEDVALUES"
            lines.append(head)
            if s.label_source != "varlabel" and s.label:
                lines.append("    LABEL=" + _quote(s.label, "      ", SYNTAX_WIDTH - 10))
            lines.extend(_wrap("    VARIABLES=", s.variables, "      "))
            counted = s.counted_value
            value = _quote(counted, "", SYNTAX_WIDTH) if isinstance(counted, str) else str(counted)
            lines.append(f"    VALUE={value}")
        else:
            lines.append(f"  /MCGROUP NAME={s.spss_name}")
            if s.label:
                lines.append("    LABEL=" + _quote(s.label, "      ", SYNTAX_WIDTH - 10))
            lines.extend(_wrap("    VARIABLES=", s.variables, "      "))
    lines[-1] += "."
    return "\n".join(lines) + "\n"
