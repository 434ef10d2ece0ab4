"""What a reader returns: raw records that remember where every value came from.

Nothing here judges the values (:mod:`survey.inputs.validate` does); a record keeps every
value keyed by (field id, option name or None) and the cell it came from.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from survey.base.missing import is_blank
from survey.errors import Location, Problem

Key = tuple[str, "str | None"]  # (field id, option name for one multiple-choice column)


class RowCells(Mapping[Key, Location]):
    """The cell of every value of one table row, made only when asked for.

    A table has one column per key; a row's cell is the column's location with the row's
    number. Building a :class:`Location` per cell for 100,000 rows costs seconds, and almost
    every cell never needs one (only cells with a problem are named).
    """

    __slots__ = ("_columns", "_row")

    def __init__(self, columns: Mapping[Key, Location], row: int):
        self._columns = columns
        self._row = row

    def __getitem__(self, key: Key) -> Location:
        col = self._columns[key]
        return Location(col.file, col.sheet, self._row, col.column, col.header)

    def __iter__(self) -> Iterator[Key]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)

    def __contains__(self, key: object) -> bool:
        return key in self._columns


@dataclass
class RawRecord:
    """One respondent's raw values, keyed by (field id, option name or None)."""

    values: dict[Key, Any]
    cells: Mapping[Key, Location]
    location: Location  # the row (or the whole template)
    notes: list[Problem] = field(default_factory=list)  # what the reader saw (formulas, merges…)

    def is_blank(self) -> bool:
        return all(is_blank(v) for v in self.values.values())


@dataclass
class RawTable:
    """What one file gave: records, plus file-level problems (unknown columns...)."""

    path: Path
    sha256: str
    kind: str  # "table" (consolidated) or "template" (a filled form)
    records: list[RawRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    columns: set[Key] = field(default_factory=set)  # keys present in the header
    sheet: str | None = None
    encoding: str | None = None
    blank_rows: list[Location] = field(default_factory=list)
    synthetic: bool = False  # the workbook says its data are synthetic (Keywords)
    consolidated: bool = False  # the consolidated workbook `survey ingest` writes (its Keywords say so)
    file: str = ""  # how messages name the file: its path in the folder of responses (default: its name)
    # form sheets of a filled template refused as a whole (another version, damaged): each is a row
    # read and rejected, as (where, the expert code typed in it or None)
    refused: list[tuple[Location, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.file:
            self.file = self.path.name or str(self.path)


@dataclass
class IngestResult:
    """All files read from a path; unreadable files are listed with their reason."""

    tables: list[RawTable]
    unreadable: list[Problem]
    inputs: list[dict[str, str]]  # [{path, sha256}] of every file looked at

    @property
    def synthetic(self) -> bool:
        """Any input marked as synthetic (workbook property Keywords contains "synthetic")."""
        return any(t.synthetic for t in self.tables)

    @property
    def records(self) -> Iterator[tuple[RawTable, RawRecord]]:
        for table in self.tables:
            for rec in table.records:
                yield table, rec
