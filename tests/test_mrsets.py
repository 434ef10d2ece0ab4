"""Multiple-response sets written into SPSS files (survey.exports.mrsets), read back by pyreadstat and PSPP.

The records are checked against PSPP's own writer byte for byte; every compression mode, a
file that already has sets, very long strings and every refused definition are covered.
"""

from __future__ import annotations

import os
import re
import shutil
import struct

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from survey.errors import OutputError
from survey.exports import mrsets
from survey.exports.mrsets import MRSet, MRSetError, add_mr_sets, mrsets_syntax, read_mr_sets

from .pspp import PSPP, mr_table, needs_pspp, run_pspp

MODES = {"uncompressed": {}, "bytecode": {"row_compress": True}, "zlib": {"compress": True}}
Q1_VARS = ("q1_1", "q1_2", "q1_3", "q1_4")
BRAND_VARS = ("brand_awareness_1", "brand_awareness_2", "марка_1", "марка_2")
Q1_LABEL = "Какие бренды вы знаете? (отметьте все)"
SETS = [
    MRSet("q1", Q1_VARS, Q1_LABEL, counted_value=1),
    MRSet("brands", BRAND_VARS, "Top brands", kind="category"),
]
EXPECTED = {
    "q1": {"type": "D", "is_dichotomy": True, "counted_value": 1, "label": Q1_LABEL, "variable_list": list(Q1_VARS)},
    "brands": {
        "type": "C",
        "is_dichotomy": False,
        "counted_value": None,
        "label": "Top brands",
        "variable_list": list(BRAND_VARS),
    },
}


def make_frame() -> pd.DataFrame:
    nan = np.nan
    return pd.DataFrame(
        {
            "id": [1.0, 2, 3, 4, 5, 6],
            "q1_1": [1.0, 0, 1, 0, 1, nan],
            "q1_2": [0.0, 0, 1, 1, 1, 0],
            "q1_3": [1.0, 1, 0, 0, 0, 1],
            "q1_4": [0.0, 1, 0, 1, 0, 0],
            # long names whose 8-byte short names collide (ReadStat renames one)
            "brand_awareness_1": [1.0, 2, 3, 1, 2, 3],
            "brand_awareness_2": [2.0, 3, 1, nan, 3, 1],
            # Cyrillic long names: the short name is the first 8 UTF-8 bytes
            "марка_1": [3.0, 1, 2, 2, 1, 3],
            "марка_2": [1.0, 1, 2, 3, 2, 2],
            "comment": ["хорошо", "", "плохо", "ok", "нормально", "ёЁ"],
            "weight": [0.5, 1.25, 3.0e10, -2.75, 1 / 3, 7.0],
        }
    )


COLUMN_LABELS = {
    "id": "Номер анкеты",
    "q1_1": "Бренд А",
    "q1_2": "Бренд Б",
    "q1_3": "Бренд В",
    "q1_4": "Другое",
    "brand_awareness_1": "Первый бренд",
    "brand_awareness_2": "Второй бренд",
    "марка_1": "Марка 1",
    "марка_2": "Марка 2",
    "comment": "Комментарий",
}
YES_NO = {0: "Нет", 1: "Да"}
BRANDS = {1: "Бренд А", 2: "Бренд Б", 3: "Бренд В"}


def write_sav(path, mode: str) -> None:
    pyreadstat.write_sav(
        make_frame(),
        str(path),
        column_labels=COLUMN_LABELS,
        variable_value_labels={**dict.fromkeys(Q1_VARS, YES_NO), **dict.fromkeys(BRAND_VARS, BRANDS)},
        **MODES[mode],
    )


@pytest.fixture(params=list(MODES))
def sav(request, tmp_path):
    """(a freshly written .sav, its compression mode, a copy of it)."""
    path = tmp_path / "survey.sav"
    write_sav(path, request.param)
    original = tmp_path / "original.sav"
    shutil.copyfile(path, original)
    return path, request.param, original


def find_record(data: bytes, first_set: bytes) -> tuple[int, int]:
    """The type-7 record whose text starts with ``first_set``: (start, length)."""
    i = data.index(first_set) - 16
    rec_type, _subtype, size, count = struct.unpack_from("<4i", data, i)
    assert (rec_type, size) == (7, 1)
    return i, 16 + count


def temp_files(folder) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".mrsets-")]


def test_pyreadstat_reads_the_sets_and_nothing_else_changes(sav):
    path, _mode, original = sav
    before, meta_before = pyreadstat.read_sav(str(original))
    assert add_mr_sets(path, SETS) == path
    after, meta = pyreadstat.read_sav(str(path))
    assert meta.mr_sets == EXPECTED
    pd.testing.assert_frame_equal(before, after)
    for attr in (
        "column_names",
        "column_labels",
        "variable_value_labels",
        "original_variable_types",
        "readstat_variable_types",
        "variable_measure",
        "number_rows",
        "file_encoding",
    ):
        assert getattr(meta, attr) == getattr(meta_before, attr), attr
    pd.testing.assert_frame_equal(after, make_frame(), check_dtype=False)


def test_the_file_only_gains_the_record(sav):
    """Apart from the record (and, in a .zsav, the ZLIB offsets it moves) the file is unchanged byte for byte."""
    path, mode, original = sav
    before = original.read_bytes()
    add_mr_sets(path, SETS)
    after = path.read_bytes()
    i, length = find_record(after, b"$q1=")
    record = after[i : i + length]
    assert struct.unpack_from("<4i", record) == (7, 7, 1, length - 16)
    text = record[16:]
    label = Q1_LABEL.encode("utf-8")
    assert text.startswith(b"$q1=D1 1 %d %s q1_1 q1_2 q1_3 q1_4\n" % (len(label), label))
    assert len(label) > len(Q1_LABEL)  # Cyrillic: the length counts bytes
    m = re.fullmatch(rb"\$brands=C 10 Top brands (\S+) (\S+) (\S+) (\S+)\n", text[text.index(b"\n") + 1 :])
    assert m, text
    # variables are named by their lower-cased 8-byte short names
    assert m.group(1) == b"brand_aw" and m.group(3) == "марк".encode()
    # right before the dictionary-termination record
    assert struct.unpack_from("<ii", after, i + length) == (999, 0)
    assert before[i : i + 8] == struct.pack("<ii", 999, 0)
    stripped = after[:i] + after[i + length :]
    assert len(stripped) == len(before)
    if mode != "zlib":
        assert stripped == before
        return
    zofs = i + 8
    z0, ztrailer, ztrailer_len = struct.unpack_from("<3q", before, zofs)
    assert z0 == zofs
    assert struct.unpack_from("<3q", stripped, zofs) == (z0 + length, ztrailer + length, ztrailer_len)
    patched = bytearray(before)
    struct.pack_into("<3q", patched, zofs, z0 + length, ztrailer + length, ztrailer_len)
    n_blocks = struct.unpack_from("<i", before, ztrailer + 20)[0]
    assert n_blocks >= 1
    for b in range(n_blocks):
        off = ztrailer + 24 + 24 * b
        u, c = struct.unpack_from("<qq", before, off)
        struct.pack_into("<qq", patched, off, u + length, c + length)
    assert stripped == bytes(patched)


def check_pspp_sets(table: dict) -> None:
    assert set(table) == {"$q1", "$brands"}
    assert table["$q1"] == {"label": Q1_LABEL, "encoding": "Dichotomies", "counted": "1", "vars": list(Q1_VARS)}
    assert table["$brands"] == {
        "label": "Top brands",
        "encoding": "Categories",
        "counted": "",
        "vars": list(BRAND_VARS),
    }


@needs_pspp
def test_pspp_lists_the_sets_without_warnings(sav):
    path, _mode, _original = sav
    add_mr_sets(path, SETS)
    out = run_pspp(path.parent, f"GET FILE='{path}'.\nMRSETS /DISPLAY NAME=ALL.\nDISPLAY DICTIONARY.\n")
    check_pspp_sets(mr_table(out))
    for text in ("марка_1", "brand_awareness_2", "анкеты", "Комментарий", "Бренд В", "Нет", "A18"):
        assert text in out, text


@needs_pspp
def test_pspp_sees_the_same_data(sav):
    path, _mode, original = sav
    add_mr_sets(path, SETS)
    listing = "SET FORMAT=F20.10.\nGET FILE='{}'.\nFORMATS id TO марка_2 weight (F20.10).\nLIST.\n"
    before = run_pspp(path.parent, listing.format(original), "before.sps")
    after = run_pspp(path.parent, listing.format(path), "after.sps")
    assert "хорошо" in after and ".3333333333" in after and "-2.7500000000" in after
    assert before == after


@needs_pspp
def test_syntax_is_accepted_by_pspp_and_matches_the_records(tmp_path):
    plain = tmp_path / "plain.sav"
    write_sav(plain, "uncompressed")
    by_syntax = mr_table(run_pspp(tmp_path, f"GET FILE='{plain}'.\n{mrsets_syntax(SETS)}MRSETS /DISPLAY NAME=ALL.\n"))
    check_pspp_sets(by_syntax)
    binary = tmp_path / "binary.sav"
    shutil.copyfile(plain, binary)
    add_mr_sets(binary, SETS)
    assert mr_table(run_pspp(tmp_path, f"GET FILE='{binary}'.\nMRSETS /DISPLAY NAME=ALL.\n", "b.sps")) == by_syntax


# Sets of every record form; variables have short ASCII names, so that PSPP's short names are
# ReadStat's and the bytes can be compared.
ALL_FORMS = [
    MRSet("d", ("a", "b", "c"), "Мой набор 'x'", counted_value=1),
    MRSet("c", ("a", "b"), kind="category"),
    MRSet("s", ("s1", "s2"), "str set", counted_value="Yes"),
    MRSet("e", ("c", "d"), "E set", counted_value=1, category_labels="countedvalues"),
    MRSet("f", ("d", "e"), counted_value=1, category_labels="countedvalues", label_source="varlabel"),
    MRSet("Доход.$", ("a", "b"), "Cost in $ (руб.)", kind="category"),
    # a label longer than a syntax line: split into '…' + '…' pieces in the syntax
    MRSet("long", ("a", "b", "c"), "Очень длинная метка набора, " * 8 + "конец", counted_value=1),
]


def write_small(path, **kw) -> None:
    frame = pd.DataFrame(
        {
            "a": [1.0, 0],
            "b": [0.0, 1],
            "c": [1.0, 1],
            "d": [0.0, 0],
            "e": [1.0, 0],
            "s1": ["Yes", "No"],
            "s2": ["No", "Yes"],
        }
    )
    pyreadstat.write_sav(
        frame,
        str(path),
        column_labels={"a": "Альфа", "b": "Бета", "c": "Гамма", "d": "Дельта", "e": "Эпсилон"},
        # a and b share labels (category sets), c, d, e differ (COUNTEDVALUES sets)
        variable_value_labels={
            "a": {1: "Да"},
            "b": {1: "Да"},
            "c": {1: "Гамма"},
            "d": {1: "Дельта"},
            "e": {1: "Эпсилон"},
        },
        **kw,
    )


def record_texts(path) -> dict[int, bytes]:
    d = mrsets._read_dictionary(path)
    return {subtype: d.raw[start + 16 : end] for subtype, start, end in d.mr_records}


@needs_pspp
def test_records_are_byte_identical_to_pspps_own(tmp_path):
    plain = tmp_path / "small.sav"
    write_small(plain)
    by_pspp = tmp_path / "pspp.sav"
    run_pspp(tmp_path, f"GET FILE='{plain}'.\n{mrsets_syntax(ALL_FORMS)}SAVE OUTFILE='{by_pspp}'.\n")
    ours = tmp_path / "ours.sav"
    shutil.copyfile(plain, ours)
    add_mr_sets(ours, ALL_FORMS)
    expected = record_texts(by_pspp)
    assert set(expected) == {7, 19}
    assert record_texts(ours) == expected
    meta = pyreadstat.read_sav(str(ours))[1]
    assert meta.mr_sets["s"]["variable_list"] == ["s1", "s2"]
    assert meta.mr_sets["Доход.$"]["label"] == "Cost in $ (руб.)"
    assert meta.mr_sets["long"]["label"] == ALL_FORMS[-1].label
    assert meta.mr_sets["e"]["type"] == "E"  # pyreadstat 1.3.7 reads subtype 19 too
    table = mr_table(run_pspp(tmp_path, f"GET FILE='{ours}'.\nMRSETS /DISPLAY NAME=ALL.\n", "display.sps"))
    assert set(table) == {"$d", "$c", "$s", "$e", "$f", "$Доход.$", "$long"}
    assert table["$s"]["counted"] == "Yes" and table["$s"]["vars"] == ["s1", "s2"]
    assert table["$e"]["vars"] == ["c", "d"]
    assert table["$f"]["label"] == "Дельта"  # LABELSOURCE=VARLABEL: the first variable's label


def test_adding_twice_merges_and_replaces(sav):
    path, _mode, original = sav
    add_mr_sets(path, SETS)
    add_mr_sets(
        path, [MRSet("q1", Q1_VARS[:2], "Новая метка", counted_value=1), MRSet("q1b", Q1_VARS[2:], kind="category")]
    )
    meta = pyreadstat.read_sav(str(path))[1]
    assert list(meta.mr_sets) == ["brands", "q1", "q1b"]
    assert meta.mr_sets["q1"]["label"] == "Новая метка" and meta.mr_sets["q1"]["variable_list"] == list(Q1_VARS[:2])
    assert meta.mr_sets["brands"] == EXPECTED["brands"]
    assert [st for st, _, _ in mrsets._read_dictionary(path).mr_records] == [7]  # still one record
    assert [line.split("=")[0] for _st, line in read_mr_sets(path)] == ["$brands", "$q1", "$q1b"]
    snapshot = path.read_bytes()
    with pytest.raises(MRSetError, match="уже есть"):
        add_mr_sets(path, [MRSet("BRANDS", BRAND_VARS, kind="category")], replace=False)
    assert path.read_bytes() == snapshot
    pd.testing.assert_frame_equal(pyreadstat.read_sav(str(path))[0], pyreadstat.read_sav(str(original))[0])


@needs_pspp
def test_merge_into_a_file_pspp_wrote(tmp_path):
    """PSPP puts subtype 7 in the middle of the dictionary and 19 near its end; a new set merges them."""
    plain = tmp_path / "small.sav"
    write_small(plain, row_compress=True)
    by_pspp = tmp_path / "pspp.sav"
    run_pspp(tmp_path, f"GET FILE='{plain}'.\n{mrsets_syntax(ALL_FORMS[:4])}SAVE OUTFILE='{by_pspp}'.\n")
    add_mr_sets(by_pspp, [MRSet("new", ("a", "b"), "Новый", kind="category")])
    assert sorted(pyreadstat.read_sav(str(by_pspp))[1].mr_sets) == ["c", "d", "e", "new", "s"]
    table = mr_table(run_pspp(tmp_path, f"GET FILE='{by_pspp}'.\nMRSETS /DISPLAY NAME=ALL.\n", "d.sps"))
    assert set(table) == {"$c", "$d", "$e", "$s", "$new"} and table["$new"]["label"] == "Новый"


def test_very_long_strings_are_one_variable(tmp_path):
    """A string over 255 bytes is stored as several 255-byte records: they are segments, not variables."""
    frame = pd.DataFrame(
        {"answer": ["ответ " * 150, "да"], "x1": [1.0, 0], "note": ["n" * 600, ""], "x2": [0.0, 1], "x3": [1.0, 1]}
    )
    path = tmp_path / "long.sav"
    pyreadstat.write_sav(frame, str(path))
    assert len(mrsets._read_dictionary(path).variables) == 5
    add_mr_sets(path, [MRSet("x", ("x1", "x2", "x3"), "Иксы", counted_value=1)])
    data, meta = pyreadstat.read_sav(str(path))
    assert meta.mr_sets["x"]["variable_list"] == ["x1", "x2", "x3"]
    assert data["answer"][0] == frame["answer"][0].rstrip() and data["note"][0] == "n" * 600
    if PSPP:
        table = mr_table(run_pspp(tmp_path, f"GET FILE='{path}'.\nMRSETS /DISPLAY NAME=ALL.\n"))
        assert table["$x"]["vars"] == ["x1", "x2", "x3"]


BAD_SETS = [
    ([MRSet("x", ("q1_1", "nope"), kind="category")], "переменной «nope» нет в файле"),
    ([MRSet("1x", Q1_VARS, kind="category")], "недопустимое имя"),
    ([MRSet("a b", Q1_VARS, kind="category")], "недопустимое имя"),
    ([MRSet("", Q1_VARS, kind="category")], "недопустимое имя"),
    ([MRSet("x.", Q1_VARS, kind="category")], "недопустимое имя"),
    ([MRSet("x" * 64, Q1_VARS, kind="category")], "длиннее 64 байт"),
    ([MRSet("x", ("q1_1",), kind="category")], "хотя бы две"),
    ([MRSet("x", ("q1_1", "Q1_1"), kind="category")], "повторяется"),
    ([MRSet("x", ("q1_1", "comment"), kind="category")], "все числовые или все строковые"),
    ([MRSet("x", Q1_VARS)], "нужно считаемое значение"),
    ([MRSet("x", Q1_VARS, counted_value=1.5)], "целым числом или строкой"),  # type: ignore[arg-type]
    ([MRSet("x", Q1_VARS, counted_value="1")], "считаемое значение — целое число"),
    ([MRSet("x", Q1_VARS, counted_value=True)], "целым числом или строкой"),
    ([MRSet("x", Q1_VARS, kind="category", counted_value=1)], "только у набора дихотомий"),
    ([MRSet("x", Q1_VARS, kind="multi")], "вид «multi»"),  # type: ignore[arg-type]
    ([MRSet("x", Q1_VARS, "a\nb", kind="category")], "перевод строки"),
    ([MRSet("x", Q1_VARS, counted_value=1, label_source="varlabel")], "label_source=varlabel"),
    ([SETS[0], MRSet("Q1", BRAND_VARS, kind="category")], "имя повторяется"),
    (SETS[0], "списком"),
]


@pytest.mark.parametrize("bad, message", BAD_SETS)
def test_a_wrong_definition_leaves_the_file_untouched(tmp_path, bad, message):
    path = tmp_path / "survey.sav"
    write_sav(path, "bytecode")
    before = path.read_bytes()
    with pytest.raises(MRSetError, match=re.escape(message)) as err:
        add_mr_sets(path, bad)
    assert isinstance(err.value, OutputError) and err.value.exit_code == 2  # a clean message, no traceback
    assert path.read_bytes() == before
    assert temp_files(tmp_path) == []


def test_string_counted_value_must_fit(tmp_path):
    path = tmp_path / "small.sav"
    write_small(path)
    with pytest.raises(MRSetError, match="длиннее самой узкой"):
        add_mr_sets(path, [MRSet("s", ("s1", "s2"), counted_value="Yess")])
    with pytest.raises(MRSetError, match="считаемое значение — строка"):
        add_mr_sets(path, [MRSet("s", ("s1", "s2"), counted_value=1)])


def test_not_a_system_file(tmp_path):
    for content in (b"hello world" * 20, b"", b"$FL2"):
        path = tmp_path / "x.sav"
        path.write_bytes(content)
        with pytest.raises(MRSetError, match="не файл данных SPSS"):
            add_mr_sets(path, SETS)
    with pytest.raises(MRSetError, match="не удаётся прочитать"):
        add_mr_sets(tmp_path / "missing.sav", SETS)


def test_a_truncated_dictionary_is_refused(tmp_path):
    path = tmp_path / "survey.sav"
    write_sav(path, "uncompressed")
    data = path.read_bytes()
    path.write_bytes(data[: data.index(struct.pack("<ii", 999, 0))])
    with pytest.raises(MRSetError, match="обрывается"):
        add_mr_sets(path, SETS)


def test_permissions_kept_and_no_temporary_files(sav):
    path, _mode, _original = sav
    os.chmod(path, 0o640)
    add_mr_sets(path, SETS)
    assert (os.stat(path).st_mode & 0o777) == 0o640
    assert temp_files(path.parent) == []


def test_variable_names_ignore_case_and_the_dollar_is_optional(sav):
    path, _mode, _original = sav
    add_mr_sets(path, [MRSet("$Q2", ("Q1_1", "МАРКА_1"), kind="category")])
    assert pyreadstat.read_sav(str(path))[1].mr_sets == {
        "Q2": {
            "type": "C",
            "is_dichotomy": False,
            "counted_value": None,
            "label": "",
            "variable_list": ["q1_1", "марка_1"],
        }
    }


def test_syntax_text():
    text = mrsets_syntax(
        [
            MRSet("q1", ("a", "b"), "It's «да»", counted_value=1),
            MRSet("$q2", ("c", "d"), counted_value="Y'"),
            MRSet("q3", tuple(f"v{i}" for i in range(30)), "L", kind="category"),
        ]
    )
    lines = text.splitlines()
    assert lines[:5] == ["MRSETS", "  /MDGROUP NAME=$q1", "    LABEL='It''s «да»'", "    VARIABLES=a b", "    VALUE=1"]
    assert lines[5:8] == ["  /MDGROUP NAME=$q2", "    VARIABLES=c d", "    VALUE='Y'''"]
    assert lines[8:10] == ["  /MCGROUP NAME=$q3", "    LABEL='L'"]
    assert all(len(line) <= 78 for line in lines)
    assert " ".join(" ".join(lines[10:]).replace("VARIABLES=", "").split()).rstrip(".") == " ".join(
        f"v{i}" for i in range(30)
    )
    assert text.endswith(".\n")
    long = mrsets_syntax([ALL_FORMS[-1]])
    assert all(len(line) <= 78 for line in long.splitlines())
    pieces = re.findall(r"'((?:[^']|'')*)'", long)
    assert "".join(pieces) == ALL_FORMS[-1].label and len(pieces) > 3
    with pytest.raises(MRSetError, match="нельзя записать"):
        mrsets_syntax([MRSet("x", ("a b", "c"), kind="category")])
    with pytest.raises(MRSetError, match="Нет ни одного набора"):
        mrsets_syntax([])


def test_large_file_with_several_zlib_blocks(tmp_path):
    """About 10 MB of case data: several ZLIB blocks (0x3ff000 bytes each) in a .zsav."""
    rng = np.random.default_rng(0)
    n = 300_000
    frame = pd.DataFrame({f"x{i}": rng.integers(0, 2, n).astype(float) for i in range(3)})
    frame["r"] = rng.random(n)
    path = tmp_path / "big.sav"
    pyreadstat.write_sav(frame, str(path), compress=True)
    original = tmp_path / "big_original.sav"
    shutil.copyfile(path, original)
    d = mrsets._read_dictionary(path)
    ztrailer = struct.unpack_from("<3q", path.read_bytes(), len(d.raw))[1]
    assert struct.unpack_from("<i", path.read_bytes(), ztrailer + 20)[0] >= 2
    add_mr_sets(path, [MRSet("x", ("x0", "x1", "x2"), "Иксы", counted_value=1)])
    again, meta = pyreadstat.read_sav(str(path))
    pd.testing.assert_frame_equal(frame, again)
    assert meta.mr_sets["x"]["variable_list"] == ["x0", "x1", "x2"]
    if PSPP:
        syntax = "GET FILE='{}'.\nDESCRIPTIVES x0 x1 x2 r /STATISTICS=MEAN STDDEV MIN MAX SUM.\n"
        assert run_pspp(tmp_path, syntax.format(path), "a.sps") == run_pspp(tmp_path, syntax.format(original), "b.sps")
