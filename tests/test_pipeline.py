"""`survey run`: the manifest contract, anonymisation, atomic outputs, the CLI shell."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest

from survey import pipeline
from survey.cli import cli

from .conftest import ROOT
from .helpers import survey


def test_run_json_contract(sample_run):
    m = json.loads((sample_run.out / "run.json").read_text(encoding="utf-8"))
    assert (m["respondents_in"], m["respondents_accepted"], m["respondents_rejected"], m["units"]) == (
        123,
        123,
        0,
        77,
    )
    assert m["synthetic"] is True
    sample = ROOT / "responses" / "sample.xlsx"
    assert m["inputs"] == [{"path": str(sample), "sha256": hashlib.sha256(sample.read_bytes()).hexdigest()}]
    assert {"python", "pandas", "openpyxl", "pymorphy3", "scikit-learn", "statsmodels"} <= set(m["versions"])
    # every input file the run read is named with its SHA-256
    sha = {
        "questionnaires/questionnaire.yaml": m["questionnaire"]["sha256"],
        "responses/units.csv": m["units_file"]["sha256"],
        "questionnaires/codebook.yaml": m["codebook"]["sha256"],
        "questionnaires/study.yaml": m["study"]["sha256"],
        "questionnaires/published.csv": m["study"]["published"]["sha256"],
        "responses/federal_districts.csv": m["study"]["unit_tables"][0]["sha256"],
        "responses/china_border.csv": m["study"]["border_line"]["sha256"],
        "questionnaires/not_names.txt": m["study"]["not_names"]["sha256"],
        "responses/sample_gold.csv": m["coding"]["gold_sha256"],
    }
    parts = ("dev", "test", *(f"test{n}" for n in range(2, 70)))
    assert m["coding"]["learned_layer"]["examples"] == [str(ROOT / f"tests/data/corpus/{p}.csv") for p in parts]
    sha.update(zip((f"tests/data/corpus/{p}.csv" for p in parts), m["coding"]["learned_layer"]["examples_sha256"]))
    for rel, digest in sha.items():
        assert digest == hashlib.sha256((ROOT / rel).read_bytes()).hexdigest(), rel
    # the learned layer is on and says what it added, as codes_auto.csv marks it: on the sample
    # nothing (the rules see it all)
    assert m["coding"]["learned_layer"]["enabled"] is True
    auto = pd.read_csv(sample_run.out / "coding" / "codes_auto.csv", dtype=str, keep_default_na=False)
    marked = {c[len("source_") :]: int((auto[c] == "learned").sum()) for c in auto if c.startswith("source_")}
    assert m["coding"]["learned_layer"]["codes_added"] == {k: v for k, v in marked.items() if v}
    assert m["coding"]["learned_layer"]["codes_added"] == {}
    assert m["started_at"] <= m["finished_at"]
    for key in ("started_at", "finished_at"):
        assert m[key].endswith("+00:00")
    assert set(m["outputs"]) >= {"run.json", "data/responses.csv", "coding/codes_final.csv"}
    for name in m["outputs"]:
        assert (sample_run.out / name).is_file()


def test_no_expert_name_in_any_default_output(sample_run):
    names = pd.read_excel(ROOT / "responses" / "sample.xlsx", engine="openpyxl")["expert_name"]
    surnames = {n.split()[0] for n in names}
    assert len(surnames) > 50
    for path in sample_run.out.rglob("*"):
        if path.is_file():
            if path.suffix == ".xlsx":
                import zipfile

                blob = " ".join(
                    zipfile.ZipFile(path).read(n).decode("utf-8", "ignore") for n in zipfile.ZipFile(path).namelist()
                )
            else:
                blob = path.read_text(encoding="utf-8", errors="ignore")
            found = [s for s in surnames if s in blob]
            assert not found, (path, found[:5])
            assert "expert_name" not in blob, path


@pytest.mark.slow
def test_with_names_keeps_them(tmp_path):
    result = pipeline.run(out=tmp_path, with_names=True)
    data = pd.read_csv(tmp_path / "data" / "responses.csv")
    assert data["expert_name"].notna().all() and result.manifest["options"]["with_names"] is True


@pytest.mark.slow
@pytest.mark.parametrize("failing", ["write_coding_sheet", "write_summary_pdf"])
def test_a_failed_run_leaves_no_half_written_report(tmp_path, monkeypatch, sample_run, failing):
    out = tmp_path / "reports"
    out.mkdir()
    for path in sample_run.out.rglob("*"):  # the previous run's reports
        if path.is_file():
            target = out / path.relative_to(sample_run.out)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(pipeline, failing, boom)
    with pytest.raises(RuntimeError):
        pipeline.run(out=out)
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before  # old reports intact, nothing half-written
    assert not any(p.name.startswith(".survey-run-") for p in out.iterdir())


@pytest.mark.slow
def test_invalid_input_is_refused_unless_skipped(tmp_path):
    bad = ROOT / "tests" / "data" / "scale-out-of-range.csv"
    res = survey("run", "--responses", bad, "--out", tmp_path / "r1")
    assert res.code == 1 and "--skip-invalid" in res.err and "Traceback" not in res.err
    assert not list((tmp_path / "r1").rglob("*.csv")) if (tmp_path / "r1").exists() else True
    res = survey("run", "--responses", bad, "--out", tmp_path / "r2", "--skip-invalid")
    assert res.code == 0, res.err
    m = json.loads((tmp_path / "r2" / "run.json").read_text(encoding="utf-8"))
    assert (m["respondents_in"], m["respondents_accepted"], m["respondents_rejected"]) == (3, 2, 1)
    assert m["rejected"][0]["row"] == 2 and "оценка 7 вне шкалы" in m["rejected"][0]["reasons"]
    assert m["synthetic"] is False
    rejected = pd.read_csv(tmp_path / "r2" / "data" / "rejected.csv")
    assert list(rejected["row"]) == [2]


def test_python_dash_m_and_every_command_has_help():
    res = survey("--help")
    assert res.code == 0 and "run" in res.out
    for name, command in cli.commands.items():
        assert command.help, name
        res = survey(name, "--help")
        assert res.code == 0 and "Usage:" in res.out, name


def test_a_wrong_call_is_a_russian_usage_error():
    """Exit code 2, one Russian line naming the command, what is wrong and where to look (trial F8)."""
    from survey.cli import main

    cases = {
        ("run", "--grup-by", "x"): ("у команды «survey run» нет параметра --grup-by", "Может быть, --group-by?"),
        ("code", "answers.csv"): ("не указан обязательный параметр '-o' / '--output'", "survey code --help"),
        ("code", "a.csv", "-o", "b.csv", "--jobs", "0"): ("'--jobs': 0 — вне допустимого диапазона 1<=x<=64", ""),
        ("code", "a.csv", "-o", "b.csv", "--jobs", "x"): ("'--jobs': 'x' — не целое число", ""),
        ("rnu",): ("нет такой команды ('rnu')", "survey --help"),
    }
    for argv, (what, where) in cases.items():
        res = survey(*argv) if argv[0] == "run" else None
        if res is None:  # in-process: the same entry point, faster
            import contextlib
            import io

            err = io.StringIO()
            with contextlib.redirect_stderr(err):
                code = main(list(argv))
            text = err.getvalue()
        else:
            code, text = res.code, res.err
        assert code == 2 and text.startswith("Ошибка: ") and what in text and where in text, (argv, text)
        assert "Usage:" not in text and "Error:" not in text


@pytest.mark.slow
def test_gold_rows_are_matched_despite_spelling_and_the_unmatched_are_listed(tmp_path):
    gold = pd.read_csv(ROOT / "responses" / "sample_gold.csv", dtype=str)
    gold.loc[0, "expert_id"] = "Е001"  # Cyrillic Е
    gold.loc[1, "expert_id"] = "e 002"
    gold.loc[2, "expert_id"] = "X999"  # nobody
    gold = gold.rename(columns={"legal": "law"})  # a category renamed in the gold only
    gold.to_csv(tmp_path / "gold.csv", index=False)
    res = survey("run", "--gold", tmp_path / "gold.csv", "--out", tmp_path / "r")
    assert res.code == 0, res.err
    assert "gold.csv, строка 4, столбец expert_id: эксперта «X999» нет среди принятых анкет" in res.err
    assert "код «Е001» сопоставлен с экспертом «E001», хотя написан иначе: в одном латинская «E»" in res.err
    assert "в эталоне нет столбцов категорий «legal»: согласие с ними не измерено" in res.err
    assert "столбцы эталона «law» не совпадают ни с одной категорией кодовой книги" in res.err
    problems = pd.read_csv(tmp_path / "r" / "validation.csv")
    assert sorted(problems.loc[problems["code"].str.startswith("gold-id"), "row"]) == [2, 3]
    assert list(problems.loc[problems["code"] == "gold-unknown-expert", "row"]) == [4]
    table = pd.read_csv(tmp_path / "r" / "coding" / "agreement_gold.csv")
    assert set(table["n"]) == {len(gold) - 1}  # all but X999 compared
    assert "legal" not in set(table["category"]) and len(table) == 9
    html = (tmp_path / "r" / "summary.html").read_text(encoding="utf-8")
    assert f"эталонным кодированием ({len(gold) - 1} ответ" in html
    assert "Строк эталона с экспертами, которых нет среди принятых анкет: 1" in html


@pytest.mark.slow
def test_a_rerun_leaves_no_output_of_the_previous_run_behind(tmp_path):
    out = tmp_path / "r"
    gold = ROOT / "responses" / "sample_gold.csv"
    assert survey("run", "--gold", gold, "--out", out).code == 0
    assert (out / "coding" / "agreement_gold.csv").is_file()
    (out / "my_notes.txt").write_text("мои заметки", encoding="utf-8")  # not the run's: kept
    plain = tmp_path / "answers.xlsx"  # the same responses without a gold file beside them
    plain.write_bytes((ROOT / "responses" / "sample.xlsx").read_bytes())
    res = survey("run", "--responses", plain, "--out", out)
    assert res.code == 0, res.err
    assert not (out / "coding" / "agreement_gold.csv").exists()
    assert (out / "my_notes.txt").read_text(encoding="utf-8") == "мои заметки"
    listed = json.loads((out / "run.json").read_text(encoding="utf-8"))["outputs"]
    on_disk = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert sorted([*listed, "my_notes.txt"]) == on_disk


@pytest.mark.slow
def test_a_folder_of_responses_uses_the_one_gold_file_in_it_and_says_when_there_are_several(tmp_path):
    folder = tmp_path / "answers"
    folder.mkdir()
    (folder / "sample.xlsx").write_bytes((ROOT / "responses" / "sample.xlsx").read_bytes())
    (folder / "sample_gold.csv").write_bytes((ROOT / "responses" / "sample_gold.csv").read_bytes())
    res = survey("run", "--responses", folder, "--out", tmp_path / "r")
    assert res.code == 0, res.err
    # the gold file is not read as responses (it has no questionnaire header) and is compared with
    assert "sample_gold.csv: файл не читается как ответы: по имени (…_gold.csv) это эталонное" in res.err
    table = pd.read_csv(tmp_path / "r" / "coding" / "agreement_gold.csv")
    assert set(table["n"]) == {123}
    (folder / "old").mkdir()
    (folder / "old" / "wave1_gold.csv").write_bytes((ROOT / "responses" / "sample_gold.csv").read_bytes())
    res = survey("run", "--responses", folder, "--out", tmp_path / "r2")
    assert res.code == 0, res.err
    assert "несколько эталонных кодирований (old/wave1_gold.csv, sample_gold.csv)" in res.err
    assert not (tmp_path / "r2" / "coding" / "agreement_gold.csv").exists()
    problems = pd.read_csv(tmp_path / "r2" / "validation.csv")
    assert "gold-several" in set(problems["code"])


@pytest.mark.slow
def test_a_gold_file_with_nothing_to_compare_is_said_without_a_crash(tmp_path):
    gold = tmp_path / "g.csv"
    gold.write_text("expert_id,distance\nX999,1\n", encoding="utf-8")  # no expert of the responses
    res = survey("run", "--gold", gold, "--out", tmp_path / "r")
    assert res.code == 0, res.err
    assert "не измерено: F1 не определён ни для одной категории" in res.out + res.err


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ("", "g.csv: файл пуст — в нём нет даже строки заголовков."),
        ('expert_id,distance\nE001,1\nE002,"1\nE003,0\n', "g.csv, строка 3: кавычка, открытая в этой строке"),
        # pandas would take the first column for an index and shift every column silently
        ("expert_id,distance\nE001,1,0\n", "g.csv, строка 2: в строке 3 полей, а в заголовке 2 столбцов"),
    ],
)
def test_an_empty_or_broken_gold_file_is_named_in_russian_with_its_line(tmp_path, content, said):
    gold = tmp_path / "g.csv"
    gold.write_text(content, encoding="utf-8")
    res = survey("run", "--gold", gold, "--out", tmp_path / "r")
    assert res.code == 2 and said in res.err and "Traceback" not in res.err


@pytest.mark.slow
def test_gold_beside_a_file_in_any_case_and_never_the_runs_own_agreement_table(tmp_path):
    folder = tmp_path / "answers"
    (folder / "prev").mkdir(parents=True)
    (folder / "sample.xlsx").write_bytes((ROOT / "responses" / "sample.xlsx").read_bytes())
    (folder / "SAMPLE_GOLD.CSV").write_bytes((ROOT / "responses" / "sample_gold.csv").read_bytes())
    res = survey("run", "--responses", folder / "sample.xlsx", "--out", tmp_path / "r")
    assert res.code == 0, res.err
    assert (tmp_path / "r" / "coding" / "agreement_gold.csv").is_file()
    # a copy of an earlier run's coding/ folder: its agreement_gold.csv is no second gold
    table = (tmp_path / "r" / "coding" / "agreement_gold.csv").read_bytes()
    (folder / "prev" / "agreement_gold.csv").write_bytes(table)
    res = survey("run", "--responses", folder, "--skip-invalid", "--out", tmp_path / "r2")
    assert "несколько эталонных" not in res.err
    assert (tmp_path / "r2" / "coding" / "agreement_gold.csv").is_file()


def test_a_failed_commit_leaves_the_folder_as_the_previous_run_left_it(tmp_path, monkeypatch):
    """Review 55: a report that could not be replaced failed the run after run.json and
    summary.html were already replaced, so the folder held a new manifest beside the old tables.
    Now a folder where a file goes is found before anything moves, and a move that fails half-way
    (a file open in Excel: here the last move is refused) puts every file back, removes the folders
    made for new files, and says so in Russian, naming the report, not the staging copy."""
    import errno
    import os

    from survey.base import files
    from survey.base.files import OutputDir
    from survey.errors import OutputError

    out = tmp_path / "reports"
    (out / "tables").mkdir(parents=True)
    (out / "run.json").write_text("old manifest", encoding="utf-8")
    (out / "tables" / "a.csv").write_text("old a", encoding="utf-8")
    (out / "tables" / "stale.csv").write_text("old stale", encoding="utf-8")
    before = sorted(p.relative_to(out).as_posix() for p in out.rglob("*"))

    def stage(staged):
        staged.path("run.json").write_text("new manifest", encoding="utf-8")
        staged.path("tables/a.csv").write_text("new a", encoding="utf-8")
        staged.path("tables/new/b.csv").write_text("new b", encoding="utf-8")
        staged.path("zz_summary.pdf").write_text("new pdf", encoding="utf-8")

    (out / "zz_summary.pdf").mkdir()
    with pytest.raises(OutputError) as err, OutputDir(out, replaces=["tables/stale.csv"]) as staged:
        stage(staged)
    assert "zz_summary.pdf: не удаётся записать отчёт (на этом месте папка, а не файл); ничего не изменено" in (
        err.value.message
    )
    (out / "zz_summary.pdf").rmdir()
    before = sorted(p.relative_to(out).as_posix() for p in out.rglob("*"))
    real = os.replace

    def refused(src, dst):
        if str(dst).endswith("zz_summary.pdf") and ".survey-run-" in str(src):
            raise PermissionError(errno.EACCES, "Permission denied", str(dst))
        return real(src, dst)

    monkeypatch.setattr(files.os, "replace", refused)
    with pytest.raises(OutputError) as err, OutputDir(out, replaces=["tables/stale.csv"]) as staged:
        stage(staged)
    message = err.value.message
    assert message.startswith(str(out / "zz_summary.pdf")) and "нет доступа" in message
    assert "осталась такой, какой была" in message
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == before  # no tables/new left
    assert (out / "run.json").read_text(encoding="utf-8") == "old manifest"
    assert (out / "tables" / "a.csv").read_text(encoding="utf-8") == "old a"
    assert (out / "tables" / "stale.csv").read_text(encoding="utf-8") == "old stale"
    monkeypatch.setattr(files.os, "replace", real)
    with OutputDir(out, replaces=["tables/stale.csv"]) as staged:
        staged.path("tables/a.csv").write_text("new a", encoding="utf-8")
    assert (out / "tables" / "a.csv").read_text(encoding="utf-8") == "new a"
    assert not (out / "tables" / "stale.csv").exists()


def test_out_naming_a_file_is_refused_before_any_work(tmp_path):
    """`--out responses/sample.xlsx` was refused only after reading and coding, in words half
    English («File exists»): now at once, in Russian, and the file is untouched."""
    target = tmp_path / "sample.xlsx"
    target.write_bytes((ROOT / "responses" / "sample.xlsx").read_bytes())
    before = target.read_bytes()
    res = survey("run", "--no-learned", "--out", target)
    assert res.code == 2 and "sample.xlsx: это файл, а не папка; --out — папка для результатов" in res.err
    assert "Чтение и проверка ответов" not in res.err + res.out and target.read_bytes() == before
