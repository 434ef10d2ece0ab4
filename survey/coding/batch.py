"""Code a CSV of answers of any size: streamed in chunks, optionally on several processes.

``survey code INPUT.csv -o OUTPUT.csv`` reads UTF-8 CSV with columns ``id,text`` and writes
``id``, one 0/1 column per category in codebook order, and ``evidence``. Memory stays
flat: rows are read, coded and written ``chunk_size`` at a time; ``jobs`` > 1 codes chunks
in worker processes (each with its own lemma cache). The output is written to a temporary
file and renamed at the end, so a failed run leaves no half-written file. An id that repeats is
coded every time and reported as a warning (``BatchResult.warnings``): the rows could not be
told apart when the codes are joined back to the answers. Only an 8-byte hash and the line
number of each id are kept for that (12 bytes an answer, and 8 more for a moment at the end).
"""

from __future__ import annotations

import codecs
import csv
import gc
import io
import time
from array import array
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path

import numpy as np

from survey.base.files import atomic_path, refuse_overwrite, safe_text
from survey.base.text import bulleted, difference, identity_key, listed
from survey.base.textfile import (
    SNIFF_CHARS,
    decode_text,
    excel_separator,
    shifted_row,
    sniff_delimiter,
    usual_width,
    utf16_without_bom,
    width_message,
)
from survey.coding.coder import Coder
from survey.coding.learned import unlearned_problems
from survey.errors import Code, InputError, InvalidDataError, Location, Problem, shorten
from survey.inputs import limits
from survey.inputs.files import check_regular
from survey.spec.codebook import load_codebook

DEFAULT_CHUNK = 2000
# Coding an answer makes a few hundred short-lived containers (clause outcomes, evidence lists),
# so at Python's default threshold of 700 the collector's youngest generation runs every few
# answers; a batch raises it for its own duration (7–9 % less time on 10⁵ answers, measured with
# bench/run.py) and restores the caller's setting.
BATCH_GC_THRESHOLD = 50_000
WIDTH_SAMPLE = 1000  # data rows read ahead to learn how many fields the file's rows usually have
REPEATS_LISTED = 20  # repeated ids reported one by one; the rest are counted
_WORKER: dict = {}


@dataclass
class BatchResult:
    rows: int
    seconds: float
    output: Path
    category_counts: dict[str, int]
    unknown: Counter = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)  # rows left out (malformed, too long)
    warnings: list[Problem] = field(default_factory=list)  # rows coded, but worth a look (repeated ids)
    empty: int = 0  # rows whose answer is empty (coded 0 in every category: nothing said)


def _sniff_encoding(path: Path, encoding: str | None) -> str:
    with open(path, "rb") as fh:
        head = fh.read(65536)
    if not head.strip():
        raise InputError(f"{path}: файл пуст.")
    if encoding:
        # an unknown name, or a first block the encoding cannot read, said in Russian; the block is
        # decoded as the start of a stream, so that a character cut by its end is not a fault
        try:
            decoder = codecs.getincrementaldecoder(encoding)()
        except LookupError:
            decode_text(path, b"x", encoding)  # the unknown name, said as every reader says it
            raise
        try:
            decoder.decode(head, final=len(head) < 65536)
        except UnicodeDecodeError as exc:
            decode_text(path, head[: exc.end], encoding)  # the same fault, said with its byte
        return encoding
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    bomless = utf16_without_bom(head)  # valid UTF-8 too (its zero bytes are), but read as «i d , t e x t»
    if bomless:
        return bomless
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start > len(head) - 4:  # a character cut by the sample's end
            return "utf-8"
    _, used = decode_text(path, head)
    return used


class _Lines:
    """Physical lines of a text file for :mod:`csv`, remembering the lines of the record being
    read, so that after a malformed record the reader can start again on the line after the
    record's first line (the lines an unclosed quote swallowed are read as their own rows)."""

    def __init__(self, fh):
        self.fh = fh
        self.pending: list[tuple[int, str]] = []
        self.record: list[tuple[int, str]] = []
        self.number = 0

    def __iter__(self):
        return self

    def __next__(self) -> str:
        if self.pending:
            number, line = self.pending.pop(0)
        else:
            line = self.fh.readline()
            if not line:
                raise StopIteration
            self.number += 1
            number = self.number
        self.record.append((number, line))
        return line

    def start_record(self) -> None:
        self.record = []

    def first_line(self) -> int:
        return self.record[0][0] if self.record else self.number

    def retry_after_first(self) -> None:
        """Put back every line of the current record but its first."""
        self.pending = self.record[1:] + self.pending
        self.record = []


def _rows(
    path: Path, encoding: str, problems: list[Problem] | None = None, max_chars: int = limits.MAX_ANSWER_CHARS
) -> Iterator[tuple[int, str, str]]:
    """(line number, id, text) for every data row; header must have id and text.

    A malformed row (a quote opened and not closed where a field should end, or at the end of
    the file) and an answer longer than ``max_chars`` are reported in ``problems`` and left out;
    the rows after them are read as usual.
    """
    problems = problems if problems is not None else []
    try:
        fh = open(path, encoding=encoding, newline="")  # noqa: SIM115 - closed by the with below
    except OSError as exc:
        raise InputError(f"{path}: не удаётся открыть файл ({exc.strerror}).") from None
    where = Path(path).name
    with fh:
        sample = fh.read(SNIFF_CHARS + 1)
        fh.seek(0)
        lines = _Lines(fh)
        separator = excel_separator(sample)
        if separator:  # Excel's «sep=;» line: it names the separator and is not the header
            next(lines)
        else:  # as every other CSV reader of the tool finds it (:func:`sniff_delimiter`)
            separator = sniff_delimiter(sample.lstrip("\ufeff"))
        # only the separator is taken from the header line: the rest is Excel's (a quote inside a
        # quoted answer doubled, «""»), which the sniffer would turn off on a header without quotes
        dialect: type[csv.Dialect] = type("Answers", (csv.excel,), {"delimiter": separator})
        reader = csv.reader(lines, dialect, strict=True)
        try:
            header = [h.strip().lower().lstrip("\ufeff") for h in next(reader)]
        except StopIteration:
            raise InputError(f"{path}: файл пуст.") from None
        except UnicodeDecodeError:
            raise InputError(f"{path}: файл не в кодировке {encoding}; укажите --encoding cp1251.") from None
        except csv.Error as exc:
            raise InputError(f"{path}, строка 1: ошибка формата CSV в заголовке ({exc}).") from None
        twice = [name for name in ("id", "text") if header.count(name) > 1]
        if twice:
            columns = ", ".join(str(i + 1) for i, h in enumerate(header) if h == twice[0])
            raise InputError(
                f"{path}, строка 1: столбец {twice[0]} встречается в заголовке несколько раз (столбцы {columns}); "
                "какой из них читать, не ясно. Оставьте один."
            )
        if "id" not in header or "text" not in header:
            raise InputError(
                f"{path}, строка 1: нужны столбцы id и text (есть: {', '.join(header) or 'ничего'}). "
                "Переименуйте столбцы с кодом ответа и текстом ответа в id и text."
            )
        ii, ti = header.index("id"), header.index("text")
        records = _records(reader, lines, where, path, encoding, dialect, problems)
        # the file's own width from its first rows, read ahead (a bounded number)
        head = list(islice(records, WIDTH_SAMPLE))
        width = len(header)
        usual = usual_width((len(values) for _, values in head), width)
        for line, values in chain(head, records):
            if shifted_row(values, width, usual):
                d = dialect.delimiter
                problems.append(
                    Problem(
                        Location(where, row=line),
                        Code.MALFORMED_ROW,
                        f"{width_message(values, width, usual)}: в ответе, видимо, "
                        f"есть разделитель «{d}» без кавычек, и часть текста попала бы в другие "
                        "столбцы; строка не закодирована, остальные закодированы.",
                        f'Заключите ответ в двойные кавычки: 1{d}"Нет денег{d} нет компьютеров".',
                        value=values[ii] if ii < len(values) else None,
                    )
                )
                continue
            if ti >= len(values):  # the row ends before the text column: its answer is elsewhere or lost
                problems.append(
                    Problem(
                        Location(where, row=line),
                        Code.MALFORMED_ROW,
                        f"в строке {len(values)} полей, а столбец text в заголовке {ti + 1}-й: ответа в строке "
                        "нет на своём месте (видимо, пропущен разделитель); строка не закодирована, остальные "
                        "закодированы.",
                        f"Проверьте строку: в ней должно быть столько полей, сколько столбцов в заголовке ({width}).",
                        value=values[ii] if ii < len(values) else None,
                    )
                )
                continue
            rid = values[ii] if ii < len(values) else ""
            text = values[ti]
            # two files pasted together (the second one's BOM, if any, kept at its start)
            if rid.strip().lstrip("\ufeff").lower() == "id" and text.strip().lower() == "text":
                problems.append(
                    Problem(
                        Location(where, row=line),
                        Code.MALFORMED_ROW,
                        "строка повторяет заголовок (id, text) — видимо, файлы склеены; она не закодирована, "
                        "остальные закодированы.",
                        "Удалите повторную строку заголовков.",
                    )
                )
                continue
            if len(text) > max_chars:
                problems.append(
                    Problem(
                        Location(where, row=line, column="text"),
                        Code.TOO_LONG,
                        f"ответ «{shorten(rid)}» слишком длинный ({len(text)} символов; предел {max_chars}); "
                        "он не закодирован, остальные закодированы.",
                        "Проверьте, не вставлен ли в ячейку лишний текст; разбейте ответ на части.",
                        value=rid,
                    )
                )
                continue
            yield line, rid, text


def _records(
    reader, lines: _Lines, where: str, path: Path, encoding: str, dialect: type[csv.Dialect], problems: list[Problem]
) -> Iterator[tuple[int, list[str]]]:
    """(first line, fields) of every data record that is not blank; a malformed record (a quote
    opened and not closed where a field should end) is reported in ``problems`` and the reading
    starts again on the line after its first line."""
    while True:
        lines.start_record()
        try:
            values = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError:
            raise InputError(
                f"{path}, около строки {lines.number + 1}: байты не в кодировке {encoding}. "
                "Сохраните файл как «CSV UTF-8» или укажите --encoding."
            ) from None
        except csv.Error as exc:
            problems.append(
                Problem(
                    Location(where, row=lines.first_line()),
                    Code.MALFORMED_ROW,
                    f"кавычка, открытая в этой строке, не закрыта там, где кончается поле ({exc}); строка не "
                    "закодирована, следующие строки прочитаны отдельно.",
                    'Закройте кавычку в этой строке; кавычки внутри ответа удваиваются ("").',
                )
            )
            lines.retry_after_first()
            reader = csv.reader(lines, dialect, strict=True)
            continue
        if any(v.strip() for v in values):
            yield lines.first_line(), values


@contextmanager
def _fewer_collections(threshold: int = BATCH_GC_THRESHOLD) -> Iterator[None]:
    """Run the block with the collector's youngest-generation threshold at ``threshold``
    (forked workers inherit it), then restore the previous thresholds."""
    before = gc.get_threshold()
    gc.set_threshold(max(threshold, before[0]), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


class _IdLedger:
    """The ids read so far, as 8-byte hashes with their line numbers, to find repeats at the end."""

    def __init__(self) -> None:
        self.hashes = array("q")
        self.lines = array("I")  # 4 bytes: up to 4·10⁹ lines
        self.no_id: list[int] = []  # lines of answers without an id (the first few)
        self.no_ids = 0
        self.empty = 0  # answers that are empty

    def watch(self, rows: Iterator[tuple[int, str, str]]) -> Iterator[tuple[int, str, str]]:
        for line, rid, text in rows:
            self.hashes.append(hash(identity_key(rid)))  # 64 bits; the same key, the same hash in one process
            self.lines.append(line)
            if not rid.strip():
                self.no_ids += 1
                if len(self.no_id) < REPEATS_LISTED:
                    self.no_id.append(line)
            if not text.strip():
                self.empty += 1
            yield line, rid, text

    def no_id_warning(self, path: Path) -> list[Problem]:
        """One warning for the answers without an id: coded, but their codes match no answer."""
        if not self.no_ids:
            return []
        lines = listed(self.no_id) + (
            f" и ещё {self.no_ids - len(self.no_id)}" if self.no_ids > len(self.no_id) else ""
        )
        return [
            Problem(
                Location(path.name, row=self.no_id[0], column="id"),
                Code.DUPLICATE_ANSWER_ID,
                f"ответов без id: {self.no_ids} (строки {lines}); они закодированы, но их коды не свести с ответами.",
                "Впишите каждому ответу его id.",
            )
        ]

    def repeats(self) -> list[list[int]]:
        """Line numbers of each id read more than once, in the order of their first lines."""
        if not self.hashes:
            return []
        hashes = np.frombuffer(self.hashes, dtype=np.int64)
        ordered = np.sort(hashes)  # the one full-size copy (8 bytes a row)
        repeated = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
        del ordered
        if not repeated.size:
            return []
        by_hash: dict[int, list[int]] = {}
        for i in np.flatnonzero(np.isin(hashes, repeated)).tolist():  # in file order
            by_hash.setdefault(self.hashes[i], []).append(self.lines[i])
        return list(by_hash.values())


def _repeat_warnings(path: Path, encoding: str, groups: list[list[int]]) -> list[Problem]:
    """One warning per repeated id (the first :data:`REPEATS_LISTED`), naming the id and its lines."""
    if not groups:
        return []
    wanted = {line for g in groups[:REPEATS_LISTED] for line in g}
    ids = {line: rid.strip() for line, rid, _ in _rows(path, encoding) if line in wanted}
    # the ids themselves, read again: two different ids that share a hash are not a repeat
    exact = []
    for g in groups[:REPEATS_LISTED]:
        same: dict[str, list[int]] = {}
        for line in g:
            same.setdefault(identity_key(ids.get(line, "")), []).append(line)
        exact += [lines for lines in same.values() if len(lines) > 1]
    out = []
    for g in exact:
        rid = ids.get(g[0], "")
        if not identity_key(rid):
            continue  # answers without an id: one warning of their own (_IdLedger.no_id_warning)
        what = f"id «{shorten(rid)}»"
        other = next((ids[line] for line in g if ids.get(line, "") != rid), None)
        spelled = f"; написаны по-разному: {'; '.join(difference(rid, other))}" if other is not None else ""
        out.append(
            Problem(
                Location(path.name, row=g[0], column="id"),
                Code.DUPLICATE_ANSWER_ID,
                f"{what} повторяется (ответов: {len(g)}, строки {listed(g)}{spelled}); все они закодированы, но в "
                "результате их не различить по id.",
                "Дайте каждому ответу свой id, прежде чем сводить коды с ответами.",
                value=rid,
            )
        )
    if len(groups) > REPEATS_LISTED:
        rest = groups[REPEATS_LISTED:]
        out.append(
            Problem(
                Location(path.name, row=rest[0][0], column="id"),
                Code.DUPLICATE_ANSWER_ID,
                f"повторяются ещё {len(rest)} id (строк: {sum(map(len, rest))}); все ответы закодированы.",
                "Дайте каждому ответу свой id.",
            )
        )
    return out


def _chunks(rows: Iterator[tuple[int, str, str]], size: int) -> Iterator[list[tuple[str, str]]]:
    chunk: list[tuple[str, str]] = []
    for _, rid, text in rows:
        chunk.append((rid, text))
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _code_chunk(chunk: list[tuple[str, str]]) -> tuple[str, int, Counter, Counter]:
    """Code one chunk into finished CSV text (so the main process only writes it out),
    with the chunk's row count, category counts and unknown words."""
    coder: Coder = _WORKER["coder"]
    coder.lemmatizer.unknown = Counter()
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    counts: Counter = Counter()
    for (rid, _), c in zip(chunk, coder.code_many([text for _, text in chunk])):
        writer.writerow([safe_text(rid), *c.codes.values(), safe_text(c.evidence_text())])
        for k, v in c.codes.items():
            if v:
                counts[k] += 1
    return buf.getvalue(), len(chunk), counts, coder.lemmatizer.unknown


def code_csv(
    input: str | Path,
    output: str | Path,
    codebook: str | Path | None = None,
    *,
    jobs: int = 1,
    chunk_size: int = DEFAULT_CHUNK,
    encoding: str | None = None,
    learned: bool = True,
) -> BatchResult:
    """Code ``input`` (CSV ``id,text``) into ``output``; see the module docstring.
    ``learned=False``: the codebook's rules alone, without its learned layer."""
    input, output = Path(input), Path(output)
    check_regular(input)
    refuse_overwrite(output, input, what="это файл с ответами — коды записались бы поверх текстов ответов")
    codebook_obj = load_codebook(codebook, learned=learned)
    ids = codebook_obj.ids
    enc = _sniff_encoding(input, encoding)
    started = time.perf_counter()
    counts: Counter = Counter()
    unknown: Counter = Counter()
    with atomic_path(output) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerow(["id", *ids, "evidence"])
        problems: list[Problem] = []
        csv.field_size_limit(limits.MAX_FILE_BYTES)  # an oversize answer is refused alone, below
        ledger = _IdLedger()
        chunks = _chunks(ledger.watch(_rows(input, enc, problems)), chunk_size)
        _WORKER["coder"] = Coder(codebook_obj)
        untrained = unlearned_problems(codebook_obj)
        with _fewer_collections():
            if jobs > 1:
                import multiprocessing as mp

                # forked workers inherit the coder built above (codebook and lexicons loaded once)
                with mp.get_context("fork").Pool(jobs) as pool:
                    rows = _write(fh, pool.imap(_code_chunk, chunks), counts, unknown)
            else:
                rows = _write(fh, map(_code_chunk, chunks), counts, unknown)
        if not rows and not problems:  # nothing written over a previous result: said instead
            raise InputError(f"{input}: в файле нет ни одного ответа — только заголовок. Проверьте, тот ли это файл.")
    guessed = [
        Problem(
            Location(input.name),
            Code.ENCODING_CP1251,
            "файл прочитан в кодировке Windows-1251 (cp1251).",
            "Если русский текст в evidence искажён, укажите кодировку явно: --encoding.",
        )
    ]
    warnings = [
        *(guessed if enc == "cp1251" and not encoding else []),
        *codebook_obj.warnings,
        *untrained,
        *ledger.no_id_warning(input),
        *_repeat_warnings(input, enc, ledger.repeats()),
    ]
    seconds = time.perf_counter() - started
    result = BatchResult(
        rows, seconds, output, {k: counts[k] for k in ids}, unknown, problems, warnings, empty=ledger.empty
    )
    if problems:
        problems.sort(key=lambda p: p.location.row or 0)  # the rows read ahead report in file order too
        raise InvalidDataError(
            f"{input}: не закодированы строки ({len(problems)}):\n"
            + bulleted(problems)
            + f"\nОстальные ответы ({rows}) закодированы и записаны в {output}.",
            problems=problems + warnings,
        )
    return result


def _write(fh, results, counts: Counter, unknown: Counter) -> int:
    n = 0
    for text, rows, chunk_counts, unk in results:
        fh.write(text)
        counts.update(chunk_counts)
        unknown.update(unk)
        n += rows
    return n
