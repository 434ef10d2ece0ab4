"""`survey code`, `survey agreement`, `survey kwic`: the command-line contracts."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from survey.coding.batch import code_csv
from survey.errors import InputError
from survey.spec.codebook import load_codebook

from .helpers import survey

CONTRACT = ["distance", "language", "funding", "mentality", "covid", "legal", "interest", "no_problems"]


def _write(path, rows, header=("id", "text"), encoding="utf-8"):
    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def _refusal(tmp_path, content: str) -> str:
    """The message of `survey code`'s refusal of rows of ``content`` (written as in.csv)."""
    from survey.errors import InvalidDataError

    src = tmp_path / "in.csv"
    src.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidDataError) as err:
        code_csv(src, tmp_path / "out.csv")
    return err.value.message


def test_code_contract(tmp_path):
    src = _write(
        tmp_path / "in.csv",
        [
            ("a1", "Нет переводчиков, а ещё пандемия."),
            ("a2", "С финансированием проблем нет."),
            ("a3", ""),
            ("a4", '=HYPERLINK("http://x") удалённость'),
        ],
    )
    out = tmp_path / "out.csv"
    res = survey("code", src, "-o", out)
    assert res.code == 0, res.err
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    ids = load_codebook().ids
    assert rows[0] == ["id", *ids, "evidence"]
    assert [c for c in rows[0] if c in CONTRACT] == CONTRACT  # codebook order
    by_id = {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}
    assert by_id["a1"]["language"] == "1" and by_id["a1"]["covid"] == "1" and by_id["a1"]["funding"] == "0"
    assert "language: «переводчиков» [4:16]" in by_id["a1"]["evidence"]
    assert all(by_id["a2"][c] == "0" for c in ids)
    assert all(by_id["a3"][c] == "0" for c in ids) and by_id["a3"]["evidence"] == ""
    assert by_id["a4"]["distance"] == "1"
    assert "Закодировано ответов: 4" in res.out


def test_jobs_give_the_same_output(tmp_path):
    texts = [
        (str(i), t)
        for i, t in enumerate(["Далеко, дорого.", "Нет переводчиков.", "Проблем нет.", "Ковид.", "Бюджет урезан."] * 40)
    ]
    src = _write(tmp_path / "in.csv", texts)
    one = code_csv(src, tmp_path / "one.csv", jobs=1, chunk_size=7)
    two = code_csv(src, tmp_path / "two.csv", jobs=2, chunk_size=7)
    assert one.rows == two.rows == 200
    assert (tmp_path / "one.csv").read_bytes() == (tmp_path / "two.csv").read_bytes()


@pytest.mark.slow
def test_code_accepts_bom_and_cp1251(tmp_path):
    for enc in ("utf-8-sig", "cp1251"):
        src = _write(tmp_path / f"{enc}.csv", [("1", "Не хватает средств.")], encoding=enc)
        out = tmp_path / f"{enc}.out.csv"
        assert survey("code", src, "-o", out).code == 0
        assert list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))[0]["funding"] == "1"


def test_code_rejects_a_file_without_id_and_text(tmp_path):
    src = _write(tmp_path / "in.csv", [("1", "x")], header=("номер", "ответ"))
    res = survey("code", src, "-o", tmp_path / "out.csv")
    assert res.code == 2 and "нужны столбцы id и text" in res.err and "Traceback" not in res.err
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.slow
def test_agreement_command(tmp_path):
    a = _write(tmp_path / "a.csv", [("1", "1"), ("2", "0"), ("3", "1")], header=("id", "funding"))
    b = _write(tmp_path / "b.csv", [("1", "1"), ("2", "1"), ("3", "1")], header=("id", "funding"))
    res = survey("agreement", a, b, "-o", tmp_path / "t.csv")
    assert res.code == 0 and "Сравнено ответов: 3" in res.out
    row = next(csv.DictReader(io.StringIO((tmp_path / "t.csv").read_text(encoding="utf-8"))))
    assert (row["both"], row["only_a"], row["only_b"], row["neither"]) == ("2", "0", "1", "0")
    assert float(row["precision"]) == pytest.approx(2 / 3)


def test_agreement_refuses_repeated_ids_and_stray_values_naming_the_cells(tmp_path):
    a = _write(
        tmp_path / "a.csv", [("1", "1", "x"), ("2", "0", "y"), ("1", "0", "z")], header=("id", "funding", "note")
    )
    b = _write(
        tmp_path / "b.csv", [("1", "1", "н"), ("2", "да", "м"), ("3", "", "к")], header=("id", "funding", "note")
    )
    res = survey("agreement", a, b)
    assert res.code == 2 and "Traceback" not in res.err
    assert "a.csv: один и тот же id в нескольких строках" in res.err and "id «1»: строки 2, 4" in res.err
    a2 = _write(tmp_path / "a2.csv", [("1", "1"), ("2", "0"), ("3", "1")], header=("id", "funding"))
    res = survey("agreement", a2, b)
    assert res.code == 2 and "Traceback" not in res.err
    # the notes are text, not a category; funding is, and its two cells are named
    assert "b.csv, строка 3, столбец funding: «да»" in res.err and "b.csv, строка 4, столбец funding: пусто" in res.err
    assert "note" not in res.err


def test_agreement_matches_ids_as_the_eye_reads_them_and_lists_the_rest(tmp_path):
    a = _write(tmp_path / "a.csv", [("E001", "1"), ("e 002", "0"), ("E003", "1")], header=("id", "funding"))
    b = _write(tmp_path / "b.csv", [("Е001", "1"), ("E002", "1"), ("E004", "1")], header=("id", "funding"))
    res = survey("agreement", a, b)
    assert res.code == 0, res.err
    assert "Сравнено ответов: 2 (только в A: 1, только в B: 1)" in res.out
    assert "id только в A (не сравнивались): E003" in res.out and "id только в B (не сравнивались): E004" in res.out
    assert "«E001» = «Е001» (в одном латинская «E», в другом кириллическая «Е»)" in res.out
    assert "«e 002» = «E002» (регистр букв; пробелы)" in res.out
    # one id written twice, once with a Cyrillic letter, cannot be matched: refused with both rows
    twice = _write(tmp_path / "twice.csv", [("E1", "1"), ("Е1", "0")], header=("id", "funding"))
    res = survey("agreement", twice, b)
    assert res.code == 2 and "id «E1»: строки 2, 3 (написаны по-разному: в одном латинская «E»" in res.err


@pytest.mark.slow
def test_kwic_by_word_and_by_category():
    word = survey("kwic", "переводчик", "--width", "20")
    assert word.code == 0 and "[переводчиков]" in word.out and "Строк:" in word.out
    category = survey("kwic", "funding")
    assert category.code == 0 and "нехватка" in category.out
    nothing = survey("kwic", "космонавт")
    assert nothing.code == 0 and "не встречается" in nothing.out
    for empty in ("", " * "):  # not «every word»: a query that asks for nothing is refused
        refused = survey("kwic", empty)
        assert refused.code == 2 and "пуст" in refused.err and "Traceback" not in refused.err


def test_kwic_finds_a_phrase_in_any_form_with_its_words_in_a_row():
    import pandas as pd

    from survey.coding.kwic import kwic

    answers = pd.DataFrame(
        {
            "expert_id": ["E1", "E2", "E3", "E4"],
            "answer": [
                "Очень большое расстояние до Харбина.",
                "Мешает большим, очень большим расстоянием.",
                "Расстояние большое.",  # the words, but not in the phrase's order
                "Большое, расстояние ни при чём.",  # punctuation between them is not a word
            ],
        }
    )
    lines = kwic(answers, "большое расстояние")
    assert list(lines["expert_id"]) == ["E1", "E2", "E4"]
    assert list(lines["match"]) == ["большое расстояние", "большим расстоянием", "Большое, расстояние"]
    assert list(kwic(answers, "больш* расстоян*")["expert_id"]) == ["E1", "E2", "E4"]
    with pytest.raises(InputError):
        kwic(answers, "* *")


def test_a_workbook_where_a_csv_is_needed_is_named_as_such_and_input_is_never_overwritten(tmp_path):
    import openpyxl

    book = tmp_path / "answers.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["id", "text"])
    wb.save(book)
    for args in (["code", book, "-o", tmp_path / "out.csv"], ["agreement", book, book]):
        res = survey(*args)
        assert res.code == 2 and "Traceback" not in res.err
        assert "похоже, это книга Excel (.xlsx) или архив, а здесь нужен CSV" in res.err and ".xlsx или" not in res.err
    src = _write(tmp_path / "in.csv", [("1", "Далеко.")])
    before = src.read_bytes()
    res = survey("code", "--no-learned", src, "-o", tmp_path / "." / "in.csv")
    assert res.code == 2 and "коды записались бы поверх текстов ответов" in res.err
    assert src.read_bytes() == before


def test_a_malformed_row_and_an_oversize_answer_are_reported_alone(tmp_path):
    from survey.errors import InvalidDataError

    src = tmp_path / "in.csv"
    long = "Далеко. " * 3000
    src.write_text(
        f'id,text\n1,Нет переводчиков.\n2,"без закрывающей кавычки\n3,Далеко.\n4,{long}\n5,Ковид.\n'
        "6,Нет денег, нет переводчиков.\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidDataError) as err:
        code_csv(src, tmp_path / "out.csv")
    assert "строка 3" in err.value.message and "кавычка" in err.value.message
    assert "строка 5" in err.value.message and "слишком длинный" in err.value.message
    # an unquoted comma would cut the answer: the row is reported, not coded from its first part
    assert "строка 7" in err.value.message and "без кавычек" in err.value.message
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out.csv").read_text(encoding="utf-8"))))
    assert [r["id"] for r in rows] == ["1", "3", "5"]  # id 3 is coded from its own text
    assert rows[1]["distance"] == "1"


def test_an_unquoted_comma_before_an_empty_last_cell_is_reported_not_shifted(tmp_path):
    from survey.errors import InvalidDataError

    # id,text,note: the comma in answer 2 pushes «нет компьютеров» into note and the empty note
    # past the last column; read as written, the answer would be coded from «Нет денег» alone
    src = tmp_path / "in.csv"
    src.write_text("id,text,note\n1,Далеко.,\n2,Нет денег, нет компьютеров,\n3,Ковид.,\n", encoding="utf-8")
    with pytest.raises(InvalidDataError) as err:
        code_csv(src, tmp_path / "out.csv")
    assert "строка 3" in err.value.message and "в строке 4 полей, а в заголовке 3 столбцов" in err.value.message
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out.csv").read_text(encoding="utf-8"))))
    assert [r["id"] for r in rows] == ["1", "3"]


def test_rows_excel_wrote_wider_than_the_header_are_read_and_a_wider_one_is_reported(tmp_path):
    from survey.errors import InvalidDataError

    # Excel writes every row as wide as the widest: an empty trailing field on every row is no
    # fault; a row one field wider than the others is, even with the field it pushed out empty
    src = tmp_path / "in.csv"
    rows = [f"{i},Далеко.,," for i in range(1, 1500)] + ["1500,Нет денег, нет компьютеров,,"] + ["1501,Ковид.,,"]
    src.write_text("id,text,note\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(InvalidDataError) as err:
        code_csv(src, tmp_path / "out.csv")
    assert "строка 1501" in err.value.message and "в строке 5 полей, а в других строках 4" in err.value.message
    assert "не закодированы строки (1)" in err.value.message
    out = list(csv.DictReader(io.StringIO((tmp_path / "out.csv").read_text(encoding="utf-8"))))
    assert len(out) == 1500 and out[-1]["id"] == "1501" and out[-1]["covid"] == "1"


def test_doubled_quotes_inside_a_quoted_answer_are_one_quote(tmp_path):
    # the header has no quotes: the separator is taken from it, Excel's «""» stays an escaped quote
    src = tmp_path / "in.csv"
    text = 'id,text,note\n1,"Санкции ""жёсткие"", бюрократия",\n2,"Визы ""долго"", нет денег",\n'
    src.write_text(text, encoding="utf-8")
    result = code_csv(src, tmp_path / "out.csv")
    assert result.rows == 2 and not result.problems
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out.csv").read_text(encoding="utf-8"))))
    assert rows[0]["economy"] == "1" and rows[0]["bureaucracy"] == "1"
    assert rows[1]["legal"] == "1" and rows[1]["funding"] == "1"


def test_rows_of_mixed_widths_past_the_header_are_reported_even_when_most_are_wider(tmp_path):
    from survey.errors import InvalidDataError

    # Excel writes rows of one width: two rows wider than the header beside one as wide are shifted
    src = tmp_path / "in.csv"
    src.write_text("id,text,note\n1,Нет денег, нет переводчиков,\n2,Далеко, дорого,\n3,Ковид,\n", encoding="utf-8")
    with pytest.raises(InvalidDataError) as err:
        code_csv(src, tmp_path / "out.csv")
    assert "не закодированы строки (2)" in err.value.message
    assert "строка 2" in err.value.message and "в строке 4 полей, а в заголовке 3 столбцов" in err.value.message


def test_a_row_that_ends_before_the_text_column_is_reported(tmp_path):
    message = _refusal(tmp_path, "id,note,text\n1,,Далеко.\n2,Нет переводчиков\n")
    assert "строка 3" in message and "столбец text в заголовке 3-й" in message


def test_the_fix_for_a_shifted_row_uses_the_files_separator(tmp_path):
    message = _refusal(tmp_path, "id;text\n1;Нет денег; нет людей\n")
    assert '1;"Нет денег; нет компьютеров"' in message


def test_text_past_the_header_in_an_excel_width_file_names_the_header(tmp_path):
    message = _refusal(tmp_path, "id,text\n1,Нет денег,\n2,Далеко,\n3,Ковид, санкции\n")
    assert "строка 4: в строке 3 полей, а в заголовке 2 столбцов" in message


def test_problems_are_listed_in_file_order(tmp_path):
    message = _refusal(tmp_path, 'id,text\n1,Нет денег, нет людей\n2,"без кавычки\n3,Далеко.\n')
    assert message.index("строка 2") < message.index("строка 3")


def test_a_batch_collects_garbage_less_often_and_restores_the_setting(tmp_path, monkeypatch):
    """The youngest generation's threshold is raised while a batch codes (its speed) and the
    caller's thresholds are back afterwards, also when the batch fails."""
    import gc

    from survey.coding import batch
    from survey.coding.coder import Coder

    seen = []
    real = Coder.code_many

    def spy(self, texts):
        seen.append(gc.get_threshold())
        return real(self, texts)

    monkeypatch.setattr(Coder, "code_many", spy)
    before = gc.get_threshold()
    src = _write(tmp_path / "in.csv", [("a1", "Нет переводчиков."), ("a2", "Пандемия.")])
    code_csv(src, tmp_path / "out.csv", learned=False)
    assert seen and all(t[0] == batch.BATCH_GC_THRESHOLD and t[1:] == before[1:] for t in seen)
    assert gc.get_threshold() == before

    def fail(self, texts):
        raise RuntimeError("boom")

    monkeypatch.setattr(Coder, "code_many", fail)
    with pytest.raises(RuntimeError):
        code_csv(src, tmp_path / "out2.csv", learned=False)
    assert gc.get_threshold() == before


def test_a_repeated_id_is_coded_every_time_and_reported(tmp_path):
    src = _write(
        tmp_path / "in.csv",
        [("a1", "Далеко."), ("a2", "Нет переводчиков."), ("a1", "Нет денег."), (" a1 ", "Ковид.")]
        + [("", "x"), ("", "y")],
    )
    out = tmp_path / "out.csv"
    res = survey("code", "--no-learned", src, "-o", out)
    assert res.code == 0, res.err
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [r["id"] for r in rows] == ["a1", "a2", "a1", " a1 ", "", ""]  # nothing dropped or renamed
    assert rows[2]["funding"] == "1" and rows[3]["covid"] == "1"
    assert "in.csv, строка 2, столбец id: id «a1» повторяется (ответов: 3, строки 2, 4, 5)" in res.err
    assert "строка 6, столбец id: ответов без id: 2 (строки 6, 7)" in res.err
    assert "a2" not in res.err and "Закодировано ответов: 6" in res.out


def test_ids_that_differ_only_to_the_eye_are_reported_as_repeats(tmp_path):
    src = _write(tmp_path / "in.csv", [("E1", "Далеко."), ("Е1", "Ковид."), ("e\u200b1", "Нет денег."), ("E2", "Нет.")])
    result = code_csv(src, tmp_path / "out.csv", learned=False)
    assert result.rows == 4 and len(result.warnings) == 1
    message = str(result.warnings[0])
    assert "id «E1» повторяется (ответов: 3, строки 2, 3, 4; написаны по-разному: в одном латинская «E»" in message
    out = list(csv.DictReader(io.StringIO((tmp_path / "out.csv").read_text(encoding="utf-8"))))
    assert [r["id"] for r in out] == ["E1", "Е1", "e\u200b1", "E2"]  # kept as written


def test_many_repeated_ids_are_listed_up_to_a_limit_and_counted(tmp_path):
    from survey.coding.batch import REPEATS_LISTED

    rows = [(str(i), "Далеко.") for i in range(REPEATS_LISTED + 5) for _ in range(2)]
    result = code_csv(_write(tmp_path / "in.csv", rows), tmp_path / "out.csv", learned=False)
    assert result.rows == 2 * (REPEATS_LISTED + 5)
    assert len(result.warnings) == REPEATS_LISTED + 1
    assert "id «0» повторяется (ответов: 2, строки 2, 3)" in str(result.warnings[0])
    assert "повторяются ещё 5 id (строк: 10)" in str(result.warnings[-1])


def test_repeats_are_reported_beside_rows_left_out(tmp_path):
    from survey.errors import InvalidDataError

    src = tmp_path / "in.csv"
    src.write_text('id,text\n1,Далеко.\n2,"без закрывающей кавычки\n3,Ковид.\n1,Нет денег.\n', encoding="utf-8")
    with pytest.raises(InvalidDataError) as err:
        code_csv(src, tmp_path / "out.csv", learned=False)
    kinds = [p.code.value for p in err.value.problems]
    assert kinds == ["malformed-row", "duplicate-answer-id"]
    assert "строки 2, 5" in str(err.value.problems[1])


def test_quiet_prints_only_errors(tmp_path):
    src = _write(tmp_path / "in.csv", [("a1", "Далеко."), ("a1", "Ковид.")])
    quiet = survey("-q", "code", "--no-learned", src, "-o", tmp_path / "out.csv")
    assert quiet.code == 0 and quiet.out == "" and quiet.err == ""  # no summary, no warning
    assert (tmp_path / "out.csv").read_text(encoding="utf-8").count("a1") == 2
    loud = survey("code", "--no-learned", src, "-o", tmp_path / "out.csv")
    assert "Закодировано ответов: 2" in loud.out and "повторяется" in loud.err
    bad = survey("-q", "code", tmp_path / "missing.csv", "-o", tmp_path / "out.csv")
    assert bad.code != 0 and "missing.csv" in bad.err
    # rows left out are errors and are listed; a repeat beside them is a warning and is not
    broken = tmp_path / "broken.csv"
    broken.write_text('id,text\n1,Далеко.\n2,"без закрывающей кавычки\n1,Ковид.\n', encoding="utf-8")
    both = survey("-q", "code", "--no-learned", broken, "-o", tmp_path / "out.csv")
    assert both.code != 0 and "кавычка" in both.err and "повторяется" not in both.err
    loud = survey("code", "--no-learned", broken, "-o", tmp_path / "out.csv")
    assert "повторяется" in loud.err
    assert loud.err.count("строка 3: кавычка") == 1  # a row left out is listed once, in the closing list


def test_ids_that_only_share_a_hash_are_not_reported_as_repeats(tmp_path, monkeypatch):
    from survey.coding import batch

    def same_hash(self, rows):  # as if every id hashed alike
        for line, rid, text in rows:
            self.hashes.append(7)
            self.lines.append(line)
            yield line, rid, text

    monkeypatch.setattr(batch._IdLedger, "watch", same_hash)
    src = _write(tmp_path / "in.csv", [("a", "Далеко."), ("b", "Ковид."), ("a", "Нет денег.")])
    result = code_csv(src, tmp_path / "out.csv", learned=False)
    assert len(result.warnings) == 1 and "id «a» повторяется (ответов: 2, строки 2, 4)" in str(result.warnings[0])


def test_excels_sep_line_in_a_coding_and_in_answers_to_code(tmp_path):
    """Excel's first line «sep=;» names the separator: `survey agreement` and `survey code` read
    the files, and a bad cell is named by the file's own line."""
    a = tmp_path / "a.csv"
    a.write_bytes("sep=;\r\nid;funding\r\n1;1\r\n2;да\r\n".encode("cp1251"))
    b = _write(tmp_path / "b.csv", [("1", "1"), ("2", "0")], header=("id", "funding"))
    res = survey("agreement", a, b)
    assert res.code == 2 and "a.csv, строка 4, столбец funding: «да»" in res.err, res.err
    a.write_bytes("sep=;\r\nid;funding\r\n1;1\r\n2;0\r\n".encode("cp1251"))
    res = survey("agreement", a, b)
    assert res.code == 0 and "Сравнено ответов: 2" in res.out, res.err
    src = tmp_path / "in.csv"
    src.write_bytes('sep=;\r\nid;text\r\n1;"Не хватает средств; нет переводчиков."\r\n'.encode("cp1251"))
    out = tmp_path / "out.csv"
    assert survey("code", src, "-o", out).code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert len(rows) == 1 and rows[0]["id"] == "1" and rows[0]["funding"] == "1"


def test_separator_found_when_quoted_text_holds_the_others(tmp_path):
    """Wave 99's coder files are separated by commas and their quoted notes hold «;» and quoted
    words ('не можем выделить'): csv.Sniffer took «;» for the separator and `survey agreement`
    refused them. Russian Excel's «;» file whose answers hold commas, and a tab-separated one whose
    notes hold both, are read with their own separator too: every row compared."""
    wave = Path(__file__).parent / "data" / "corpus" / "wave99"
    res = survey("agreement", wave / "coder_a.csv", wave / "coder_b.csv")
    assert res.code == 0 and "Сравнено ответов: 300 (только в A: 0, только в B: 0)" in res.out, res.err
    notes = ["'WhatsApp заблокирован' -> legal (conv 137; 956)", "x; 'не можем' -> funding", "conv 334; 50"]
    a = _write(tmp_path / "a.csv", [(str(i), "1", n) for i, n in enumerate(notes)], header=("id", "funding", "note"))
    b = tmp_path / "b.csv"
    b.write_bytes("id;funding;note\r\n0;1;Денег нет, людей нет\r\n1;1;нет, и всё\r\n2;0;а, б, в\r\n".encode("cp1251"))
    res = survey("agreement", a, b)
    assert res.code == 0 and "Сравнено ответов: 3 (только в A: 0, только в B: 0)" in res.out, res.err
    tab = tmp_path / "c.tsv"
    tab.write_text("id\tfunding\tnote\n0\t1\tа; б, в\n1\t1\tx\n2\t1\ty\n", encoding="utf-8")
    res = survey("agreement", a, tab)
    assert res.code == 0 and "Сравнено ответов: 3" in res.out, res.err


def test_agreement_of_two_runs_codes_final_matches_expert_and_question(tmp_path):
    """codes_final.csv of a study with two coded questions has a row per expert and question: two
    runs' files are compared on (expert, question); one such file against a coding without a
    question column is refused with how to make them comparable."""
    header = ("expert_id", "question", "funding")
    rows_a = [("E1", "q3", "1"), ("E1", "q7", "0"), ("E2", "q3", "0"), ("E2", "q7", "1")]
    rows_b = [("E1", "q7", "1"), ("E1", "q3", "1"), ("E2", "q3", "0"), ("E2", "q7", "1")]
    a = _write(tmp_path / "a.csv", rows_a, header=header)
    b = _write(tmp_path / "b.csv", rows_b, header=header)
    res = survey("agreement", a, b, "-o", tmp_path / "t.csv")
    assert res.code == 0, res.err
    row = next(csv.DictReader(io.StringIO((tmp_path / "t.csv").read_text(encoding="utf-8"))))
    # E1·q7 differs (0 against 1); the other three pairs agree
    assert (row["n"], row["both"], row["only_a"], row["only_b"], row["neither"]) == ("4", "2", "0", "1", "1")
    plain = _write(tmp_path / "plain.csv", [("E1", "1"), ("E2", "0")], header=("expert_id", "funding"))
    res = survey("agreement", a, plain)
    assert res.code == 2 and "коды нескольких вопросов (столбец question: q3, q7)" in res.err
    assert "Traceback" not in res.err


def test_answers_without_an_id_a_second_text_column_and_empty_answers_are_said(tmp_path):
    # review 46b #5–#7: an answer without an id was coded without a word, a second «text» column
    # dropped silently, and empty answers counted as coded with no mention
    src = tmp_path / "odd.csv"
    src.write_text("id;text\n1;Нет ноутбуков\n;Нет денег\n4;   \n", encoding="utf-8")
    res = survey("code", src, "-o", tmp_path / "out.csv")
    assert res.code == 0 and "(из них пустых: 1, у них все коды 0)" in res.out
    assert "строка 3, столбец id: ответов без id: 1 (строки 3)" in res.err
    dup = tmp_path / "dup.csv"
    dup.write_text("id,text,text\n1,Нет компьютеров,медленный интернет\n", encoding="utf-8")
    res = survey("code", dup, "-o", tmp_path / "dup_out.csv")
    assert res.code == 2 and "столбец text встречается в заголовке несколько раз (столбцы 2, 3)" in res.err
    assert not (tmp_path / "dup_out.csv").exists()


def test_kwic_shows_the_text_as_written_and_says_what_it_cannot_search():
    # review 46b #10–#11: spaces were added around the match («[компьютеров] .»), a Kazakh word was
    # cut at «і», an emoji was «не встречается»
    import pandas as pd

    from survey.coding.kwic import format_kwic, kwic

    answers = pd.DataFrame(
        {
            "expert_id": ["A", "B", "C"],
            "answer": ["Нет компьютеров.Нет денег", "<b>Нет</b> связи", "Интернет баяу, компьютерлер жетіспейді."],
        }
    )
    shown = format_kwic(kwic(answers, "компьютер*"), width=10)
    assert "Нет [компьютеров].Нет денег" in shown and "баяу, [компьютерлер] жетіспейді." in shown
    assert "<b>[Нет]</b> связи" in format_kwic(kwic(answers, "нет"), width=10)
    assert len(kwic(answers, "жетіспейді")) == 1
    with pytest.raises(InputError, match="нет ни букв, ни цифр"):
        kwic(answers, "🐌")


def test_kwic_on_a_file_without_answers_says_so(tmp_path):
    # review 46b #13: «интернет» в ответах не встречается, exit 0
    import openpyxl

    from .conftest import ROOT

    wb = openpyxl.load_workbook(ROOT / "responses" / "sample.xlsx")
    wb.worksheets[0].delete_rows(2, wb.worksheets[0].max_row)
    wb.save(tmp_path / "empty.xlsx")
    res = survey("kwic", "переводчик", "--responses", tmp_path / "empty.xlsx")
    assert res.code == 2 and "нет ни одной принятой анкеты — искать не в чем" in res.err
    assert "в файле нет ни одной анкеты" in res.err


# ---------------------------------------------------------------- stop 55: a user's slips, reviewed


def test_agreement_and_patterns_refuse_to_write_over_what_they_read(tmp_path):
    """`-o` naming one of the inputs — a coder's hand coding, the gold — is refused before anything
    is written (the file stays as it was); `-o` naming a folder is said in Russian, not a traceback."""
    a = _write(tmp_path / "a.csv", [("1", "1"), ("2", "0")], header=("id", "funding"))
    b = _write(tmp_path / "b.csv", [("1", "1"), ("2", "1")], header=("id", "funding"))
    before = b.read_bytes()
    res = survey("agreement", a, b, "-o", b)
    assert res.code == 2 and "b.csv: это один из сравниваемых файлов" in res.err and b.read_bytes() == before
    gold = _write(tmp_path / "gold.csv", [("1", "Нет денег.", "1")], header=("id", "text", "funding"))
    before = gold.read_bytes()
    res = survey("patterns", gold, "-o", gold)
    assert res.code == 2 and "это файл ручного кодирования" in res.err and gold.read_bytes() == before
    (tmp_path / "folder").mkdir()
    res = survey("agreement", a, b, "-o", tmp_path / "folder")
    assert res.code == 2 and "folder: это папка, а не файл" in res.err and "Traceback" not in res.err


def test_agreement_reads_headers_in_any_case_and_says_what_it_did_not_compare(tmp_path):
    """«Distance» and «language » in B are A's «distance» and «language»: compared, where they were
    left out silently and the table looked like perfect agreement; a header written twice is
    refused; a category only one file has is named."""
    rows_a = [("1", "1", "0", "1"), ("2", "0", "1", "1"), ("3", "1", "1", "0"), ("4", "0", "0", "1")]
    rows_b = [("1", "0", "1", "1"), ("2", "1", "0", "1"), ("3", "0", "0", "0"), ("4", "1", "1", "1")]
    a = _write(tmp_path / "a.csv", rows_a, header=("id", "distance", "language", "covid"))
    b = _write(tmp_path / "b.csv", rows_b, header=("id", "Distance", "language ", "covid"))
    res = survey("agreement", a, b)
    assert res.code == 0, res.err
    table = {
        line.split()[0]: line.split()
        for line in res.out.splitlines()
        if line.split()[:1] in (["distance"], ["language"])
    }
    assert table["distance"][2:6] == ["0", "2", "2", "0"] and table["language"][2:6] == ["0", "2", "2", "0"]
    c = _write(tmp_path / "c.csv", [(r[0], r[1], r[3]) for r in rows_b], header=("id", "distance", "covid"))
    res = survey("agreement", a, c)
    assert res.code == 0 and "столбцы 0/1 только в A (не сравнивались): language" in res.out
    d = _write(
        tmp_path / "d.csv", [(r[0], r[1], r[1], r[3]) for r in rows_b], header=("id", "distance", "Distance", "covid")
    )
    res = survey("agreement", a, d)
    assert res.code == 2 and "d.csv: столбец «Distance» в заголовке дважды (столбцы 2 и 3)" in res.err
    e = _write(tmp_path / "e.csv", [("1", "1")], header=("id", "x1"))
    res = survey("agreement", a, e)
    assert res.code == 2 and "только в A (a.csv): distance, language, covid; только в B (e.csv): x1" in res.err


def test_patterns_reads_headers_in_any_case_and_counts_what_it_left_out(tmp_path):
    """` Text ` and «Distance » are the text and the category; a row without text and the codebook's
    categories without a column are said; a file of a header alone is said as such."""
    gold = _write(
        tmp_path / "gold.csv",
        [("1", "Далеко, и нет переводчиков.", "1", "1"), ("2", "", "1", "0"), ("3", "Далеко.", "1", "0")],
        header=("id", " Text ", "Distance ", "Language"),
    )
    res = survey("patterns", gold, "-o", tmp_path / "p.csv")
    assert res.code == 0, res.err
    assert "Строк без текста ответа (не проверялись): 1." in res.out
    assert "Категории без столбца в gold.csv (не проверялись): funding, mentality" in res.out
    audited = list(csv.DictReader(io.StringIO((tmp_path / "p.csv").read_text(encoding="utf-8"))))
    assert {r["category"] for r in audited} == {"distance", "language"}
    assert sum(int(r["answers"]) for r in audited if r["category"] == "distance") == 2
    header_only = _write(tmp_path / "h.csv", [], header=("id", "text", "distance"))
    res = survey("patterns", header_only)
    assert res.code == 2 and "h.csv: в файле нет ни одного ответа с текстом" in res.err


def test_code_says_a_wrong_encoding_reads_utf16_without_bom_and_skips_a_repeated_header(tmp_path):
    """--encoding foo and a cp1251 file read as UTF-8 are Russian messages (exit 2, not an internal
    error); UTF-16 without a BOM (as the README promises for every CSV) is read; a header repeated
    where two files were pasted together is listed as not coded, not coded as an answer «id»."""
    src = _write(tmp_path / "in.csv", [("1", "Нет денег.")])
    res = survey("code", "--no-learned", src, "-o", tmp_path / "o.csv", "--encoding", "foo")
    assert res.code == 2 and "Неизвестная кодировка «foo»" in res.err
    cp = _write(tmp_path / "cp.csv", [("1", "Нет денег.")], encoding="cp1251")
    res = survey("code", "--no-learned", cp, "-o", tmp_path / "o.csv", "--encoding", "utf-8")
    assert res.code == 2 and "cp.csv: файл не читается в кодировке utf-8" in res.err
    u16 = tmp_path / "u16.csv"
    u16.write_bytes("id,text\r\n1,нет переводчиков\r\n".encode("utf-16-le"))
    res = survey("code", "--no-learned", u16, "-o", tmp_path / "o.csv")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "o.csv").read_text(encoding="utf-8"))))
    assert res.code == 0 and rows[0]["id"] == "1" and rows[0]["language"] == "1"
    pasted = tmp_path / "pasted.csv"
    pasted.write_text("id,text\n1,Нет денег.\nid,text\n2,Далеко.\n", encoding="utf-8")
    res = survey("code", "--no-learned", pasted, "-o", tmp_path / "o.csv")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "o.csv").read_text(encoding="utf-8"))))
    assert res.code == 1 and "pasted.csv, строка 3: строка повторяет заголовок (id, text)" in res.err
    assert [r["id"] for r in rows] == ["1", "2"]


def test_kwic_says_that_rejected_questionnaires_were_not_searched(tmp_path):
    """A questionnaire rejected (an interview date outside the fieldwork) is not searched: kwic says
    so before its lines, so that «не встречается» is not taken for the whole file."""
    import openpyxl

    from .conftest import ROOT

    wb = openpyxl.load_workbook(ROOT / "responses" / "sample.xlsx")
    ws = wb.worksheets[0]
    column = [c.value for c in ws[1]].index("interview_date") + 1
    ws.cell(2, column).value = "01.01.2020"
    wb.save(tmp_path / "one_bad.xlsx")
    res = survey("kwic", "ковид", "--responses", tmp_path / "one_bad.xlsx")
    assert res.code == 0, res.err
    assert "отклонено: 1" in res.out and "Ответы отклонённых анкет не просматривались" in res.out
    res = survey("kwic", "ковид", "--responses", ROOT / "responses" / "sample.xlsx")
    assert res.code == 0 and "не просматривались" not in res.out


def test_a_padded_sep_line_a_header_alone_and_a_guessed_encoding(tmp_path):
    """«sep=;;» (the line re-saved by a spreadsheet that showed it as a row) names the separator as
    «sep=;» does; a file of a header alone is refused in Russian, not «Закодировано ответов: 0»,
    and leaves no output; two codings with no answer in common are refused, not a table of «—»;
    a file read as cp1251 by guess says so, as `survey validate` does."""
    padded = tmp_path / "padded.csv"
    padded.write_bytes("sep=;;\r\nid;text\r\n1;Нет денег.\r\n".encode("cp1251"))
    res = survey("code", "--no-learned", padded, "-o", tmp_path / "o.csv")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "o.csv").read_text(encoding="utf-8"))))
    assert res.code == 0 and rows[0]["funding"] == "1", res.err
    assert "padded.csv: файл прочитан в кодировке Windows-1251 (cp1251)" in res.err
    alone = _write(tmp_path / "alone.csv", [])
    res = survey("code", "--no-learned", alone, "-o", tmp_path / "none.csv")
    assert res.code == 2 and "alone.csv: в файле нет ни одного ответа — только заголовок" in res.err
    assert not (tmp_path / "none.csv").exists()
    a = _write(tmp_path / "a.csv", [("1", "1"), ("2", "0")], header=("id", "funding"))
    b = _write(tmp_path / "b.csv", [], header=("id", "funding"))
    res = survey("agreement", a, b)
    assert (
        res.code == 2 and "Не сравнено ни одного ответа: закодированных ответов в A (a.csv) 2, в B (b.csv) 0" in res.err
    )


def test_an_option_given_twice_is_refused_not_the_first_dropped(tmp_path):
    """`--responses wave1.xlsx --responses wave2.xlsx` read only wave 2 and said nothing (click
    keeps the last value); two `--overrides` applied only the second reviewer's. Any single-valued
    option given twice is refused in Russian, with the way to give several files; two files given
    to `validate` say the same, not click's «Got unexpected extra argument»."""
    sample = Path(__file__).parent.parent / "responses" / "sample.xlsx"
    res = survey("run", "--responses", sample, "--responses", sample, "--out", tmp_path / "out")
    assert res.code == 2 and "параметр --responses указан несколько раз (2)" in res.err
    assert "Несколько файлов ответов положите в одну папку и укажите её" in res.err and not (tmp_path / "out").exists()
    res = survey("code", tmp_path / "in.csv", "-o", tmp_path / "a.csv", "--output=b.csv")
    assert res.code == 2 and "параметр --output указан несколько раз (2)" in res.err
    res = survey("validate", sample, sample)
    assert res.code == 2 and "лишнее в вызове «survey validate»" in res.err and "Got unexpected" not in res.err


def test_code_review_55_a_long_utf16_file_a_header_with_a_comma_a_pasted_bom_and_glued_options(tmp_path):
    """Found in review of this stop's own changes: a UTF-16 file longer than the 64 KB checked with
    --encoding utf-16 was refused (the check cut a character in two); `code` guessed the separator
    of «id;text;Уверенность, %» as «,» where every other reader says «;»; a second file pasted with
    its BOM repeated the header unnoticed; `-o a.csv -ob.csv` and `-o=c.csv` slipped past the
    repeated-option check."""
    long16 = tmp_path / "long16.csv"
    long16.write_bytes("\r\n".join(["id,text"] + [f"{i},Нет денег номер {i}" for i in range(3000)]).encode("utf-16"))
    res = survey("code", "--no-learned", long16, "-o", tmp_path / "o.csv", "--encoding", "utf-16")
    assert res.code == 0 and "Закодировано ответов: 3000" in res.out, res.err
    comma = tmp_path / "comma.csv"
    comma.write_text("id;text;Уверенность, %\n1;Нет денег;5\n", encoding="utf-8")
    res = survey("code", "--no-learned", comma, "-o", tmp_path / "o.csv")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "o.csv").read_text(encoding="utf-8"))))
    assert res.code == 0 and rows[0]["id"] == "1" and rows[0]["funding"] == "1", res.err
    pasted = tmp_path / "pasted.csv"
    pasted.write_bytes("\ufeffid,text\n1,Нет денег\n".encode() + "\ufeffid,text\n2,Далеко\n".encode())
    res = survey("code", "--no-learned", pasted, "-o", tmp_path / "o.csv")
    assert res.code == 1 and "pasted.csv, строка 3: строка повторяет заголовок" in res.err
    for glued in ("-ob.csv", "-o=c.csv"):
        res = survey("code", "--no-learned", comma, "-o", tmp_path / "a.csv", glued)
        assert res.code == 2 and "параметр --output указан несколько раз (2)" in res.err, glued
    res = survey("code", comma, "-o", tmp_path / "a.csv", "-o", tmp_path / "b.csv", "--help")
    assert res.code == 0 and "Usage: survey code" in res.out
    res = survey("run", "--overrides", comma, "--overrides", comma)
    assert res.code == 2 and "--overrides указан несколько раз" in res.err and "в одну папку" not in res.err
