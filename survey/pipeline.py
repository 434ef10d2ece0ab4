"""The whole chain behind ``survey run``.

read → validate → code the open answers (codebook, overrides, classifier suggestions,
agreement with a gold coding when there is one) → analyse → write the tables and the
summaries for readers (``summary.xlsx``, ``summary.pdf``, ``summary.html``).
Everything is staged and moved into the output folder only when the whole run succeeded::

    result = run(out="reports")          # the bundled sample
    result.manifest["respondents_accepted"]   # 123
"""

from __future__ import annotations

import datetime as dt
import difflib
import logging
from collections import Counter
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from survey.analysis.frame import check_group_by, grouping_problems
from survey.analysis.run import Analysis, analyse, group_by_columns
from survey.base.background import Background
from survey.base.files import OutputDir, previous_outputs, sha256_file, write_csv, write_json
from survey.base.missing import is_missing
from survey.base.progress import Steps
from survey.base.text import listed
from survey.base.versions import versions
from survey.coding.agreement import agreement, gold_for_question, gold_problems, read_coding
from survey.coding.classifier import Suggester, lemma_lists
from survey.coding.coder import Coder, code_responses, learned_categories
from survey.coding.kwic import unknown_words
from survey.coding.learned import unlearned_problems
from survey.coding.review import OverrideResult, apply_overrides, keep_review, read_overrides, write_coding_sheet
from survey.errors import Code, ConfigError, InvalidDataError, Location, Problem, UsageError
from survey.exports.spss import SavExport, sav_dataset, save_sav, write_sav
from survey.inputs.anonymise import anonymise, not_names
from survey.inputs.readers import folder_files
from survey.inputs.validate import ValidationReport, ValidationResult, validate
from survey.reports.build import build_report
from survey.reports.excel import write_summary_xlsx
from survey.reports.html import write_summary_html
from survey.reports.pdf import prepare as prepare_pdf
from survey.reports.pdf import write_summary_pdf
from survey.spec.bundle import open_study
from survey.spec.codebook import Codebook, load_codebook
from survey.spec.paths import DEFAULT_OUT
from survey.spec.questionnaire import Questionnaire
from survey.spec.study import Study, published_problems
from survey.spec.units import default_grouping
from survey.spec.yamlfile import load_yaml

log = logging.getLogger("survey")


@dataclass
class RunResult:
    """What a run produced: the manifest (``run.json``), the data and the files written."""

    out: Path
    manifest: dict[str, Any]
    data: pd.DataFrame  # accepted respondents (with names: not written)
    report: ValidationReport
    coded: pd.DataFrame | None = None  # one row per coded answer, automatic codes
    codes: pd.DataFrame | None = None  # final codes of the problems question
    written: list[str] = field(default_factory=list)
    analysis: Analysis | None = None  # tables/ (survey.analysis.run)


@dataclass
class CodingResult:
    coded: pd.DataFrame  # long: automatic codes, evidence, suggestions
    auto: pd.DataFrame  # expert_id + categories (the analysed question: ``question``)
    final: pd.DataFrame  # after overrides (the analysed question)
    overrides: OverrideResult | None
    classifier: pd.DataFrame
    gold_agreement: pd.DataFrame | None
    gold_path: Path | None
    unknown: pd.DataFrame
    lemmas: list[list[str]] | None = None  # of the problems answers, for the classifier
    all_final: pd.DataFrame | None = None  # expert_id, question, categories: every coded question, final
    question: str | None = None  # the coded question of auto, final, the classifier and the gold: the analysed one
    gold: pd.DataFrame | None = None  # the gold coding's rows of ``question`` (read once: :func:`gold_for_question`)
    gold_notes: list[Problem] = field(default_factory=list)  # why the gold is not compared, if it is not


def final_codes(
    coded: pd.DataFrame, q: Questionnaire, ids: list[str], overrides: str | Path | None
) -> tuple[pd.DataFrame, OverrideResult | None]:
    """The final codes of every coded open question (``expert_id, question`` + categories):
    the automatic codes of :func:`~survey.coding.coder.code_responses` with ``overrides`` (a
    filled coding sheet or CSV) applied to their expert and question."""
    every = coded[["expert_id", "question", "answer", *ids]].reset_index(drop=True)
    result = None
    overridden: set[tuple[str, str]] = set()
    if overrides:
        table = read_overrides(overrides, ids, [f.id for f in q.coded_questions])
        result = apply_overrides(every, table, ids)
        every = result.final
        named = result.overrides[result.overrides["override"] == 1]  # a 1 set by hand on an empty answer counts
        overridden = {(str(e), str(qid)) for e, qid in zip(named["expert_id"], named["question"])}
    return unanswered_as_missing(every, ids, overridden).drop(columns="answer"), result


def unanswered_as_missing(
    codes: pd.DataFrame, ids: list[str], overridden: AbstractSet[tuple[str, str]] = frozenset()
) -> pd.DataFrame:
    """``codes`` (``expert_id, question, answer`` + categories) with the categories empty where the
    answer is: an expert who left an open question unanswered named nothing and denied nothing,
    and leaves the base of its categories (tables, tests, models; system-missing in SPSS), as a
    closed question's non-answer does. A 1 the reviewer set by hand (``overridden``: expert,
    question) keeps the expert's codes (a 0 alone does not: it names nothing)."""
    blank = [
        not (isinstance(a, str) and a.strip()) and (str(e), str(qid)) not in overridden
        for e, qid, a in zip(codes["expert_id"], codes["question"], codes["answer"])
    ]
    if not any(blank):
        return codes
    out = codes.copy()
    out[ids] = out[ids].astype("Int64")
    out.loc[blank, ids] = pd.NA
    return out


def coded_examples(coding: CodingResult) -> pd.DataFrame:
    """Every non-empty coded answer with its final codes (``expert_id, question, text`` and one 0/1
    column per category): after a review, examples for the learned layer (``learned.examples``)
    and a hand coding for ``survey patterns``."""
    final = coding.all_final if coding.all_final is not None else coding.final.assign(question="")
    frame = final.assign(text=coding.coded["answer"].to_numpy())
    frame = frame[[isinstance(t, str) and t.strip() != "" for t in frame["text"]]]
    ids = [c for c in final.columns if c not in ("expert_id", "question")]
    return frame[["expert_id", "question", "text", *ids]].reset_index(drop=True)


def analysed_question(q: Questionnaire, choice: str | None, source: str) -> str | None:
    """The coded open question whose codes the tables use: ``choice`` (``--analyse`` or the
    study's ``analyse``; it must be one of the coded questions), else the first coded one;
    None when no question is coded. ``source`` names where ``choice`` came from."""
    coded = [f.id for f in q.coded_questions]
    if not choice:
        return coded[0] if coded else None
    if choice in coded:
        return choice
    near = difflib.get_close_matches(choice, coded, n=1, cutoff=0.5)
    asked = next((f for f in q.fields if f.id == choice), None)
    what = (
        f"вопрос «{choice}» не кодируется (у него нет coded: true в анкете)"
        if asked is not None
        else f"вопроса «{choice}» нет в анкете"
    )
    raise UsageError(
        f"{source}: {what}; анализировать можно коды открытых вопросов "
        + (f"{listed(coded)}." if coded else "с coded: true, а в анкете таких нет.")
        + (f" Возможно, имелся в виду {near[0]}." if near else "")
    )


def no_coded_question(q: Questionnaire, q_path: Path, codebook: Path | None) -> str:
    """Why ``survey run`` cannot work on a questionnaire without a coded open question, and the fix:
    the open questions the codebook's categories name (else every open question) to mark ``coded: true``."""
    named: list[str] = []
    codebook = codebook if codebook is not None and codebook.is_file() else None
    if codebook is not None:
        raw = load_yaml(codebook)
        categories = raw.get("categories") if isinstance(raw, dict) else None
        for category in categories if isinstance(categories, list) else []:
            questions = category.get("questions") if isinstance(category, dict) else None
            named += [str(x) for x in questions if str(x) not in named] if isinstance(questions, list) else []
    open_questions = [f for f in q.questions if f.type == "text"]
    candidates = [f for f in open_questions if f.id in named] or open_questions
    what = (
        f"кодовая книга {codebook} кодирует ответы на {listed(named)}, но"
        if named and codebook is not None
        else "survey run кодирует открытые ответы по кодовой книге и строит таблицы по кодам, но"
    )
    where = [f"«{f.id}» (строка {f.line})" if f.line else f"«{f.id}»" for f in candidates]
    fix = (
        ("Добавьте coded: true к вопросу " if len(where) == 1 else "Добавьте coded: true к одному из вопросов ")
        + listed(where)
        + (" и положите кодовую книгу codebook.yaml в папку исследования." if codebook is None else ".")
        if candidates
        else "Добавьте открытый вопрос (type: text) с coded: true и кодовую книгу к нему."
    )
    return (
        f"{q_path}: {what} в анкете нет ни одного вопроса с coded: true. {fix} Проверить ответы или выгрузить "
        "их в SPSS без кодирования можно и так: survey validate, survey export-sav."
    )


def grouping(
    given: str | None, study: Study, q: Questionnaire, units: pd.DataFrame, units_path: Path, with_names: bool
) -> str:
    """The column the tables are grouped by: ``given`` (``--group-by``), else the study's
    ``group_by``, else :func:`default_grouping`; checked before the responses are read. A wrong
    ``group_by`` of ``study.yaml`` is named with its line (not as the option the user did not give)."""
    columns = group_by_columns([c for c in q.data_columns() if with_names or c not in q.personal_columns], units, q)
    if given or not study.group_by:
        chosen = given or default_grouping(units)
        check_group_by(chosen, columns)
        return chosen
    if study.group_by not in columns:
        near = difflib.get_close_matches(study.group_by, columns, n=1, cutoff=0.6)
        where = f"{study.path or 'study.yaml'}" + (f", строка {study.group_by_line}" if study.group_by_line else "")
        raise ConfigError(
            f"{where}: group_by: {study.group_by} — такого столбца нет ни в справочнике единиц ({units_path.name}), "
            f"ни в анкете.{f' Возможно, имелся в виду {near[0]}.' if near else ''} Группировать можно по "
            f"{listed(columns, 15)}."
        )
    return study.group_by


def analysed_codes(codes: pd.DataFrame, question: str | None) -> pd.DataFrame:
    """``expert_id`` + categories of the coded question the analysis uses."""
    chosen = codes[codes["question"] == question]
    return chosen.drop(columns="question").reset_index(drop=True)


def not_analysed(q: Questionnaire, question: str | None, source: str) -> list[Problem]:
    """A note when several open questions are coded: which one's codes the tables use."""
    if len(q.coded_questions) < 2 or question is None:
        return []
    rest = [f.id for f in q.coded_questions if f.id != question]
    return [
        Problem(
            Location(source),
            Code.CODED_NOT_ANALYSED,
            f"кодируются открытые вопросы {listed([f.id for f in q.coded_questions])}; таблицы анализа, критерии и "
            f"сводки строятся по кодам {question}. Итоговые коды {listed(rest)} (с исправлениями) — в "
            "coding/codes_final.csv, data/responses.sav и листе кодирования.",
            f"Чтобы анализировать коды другого вопроса, запустите survey run --analyse {rest[0]} "
            "(или analyse: в study.yaml) с другой папкой --out.",
        )
    ]


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def find_gold(responses: Path, gold: str | Path | None) -> tuple[Path | None, list[Problem]]:
    """The gold coding for ``responses``: given, or ``<name>_gold.csv`` beside the file, or for a
    folder the one ``…_gold.csv`` in it (its sub-folders too); several there: none, and a warning
    saying so."""
    if gold:
        return Path(gold), []
    if responses.is_file():
        wanted = f"{responses.stem}_gold.csv".lower()  # any case, as in a folder
        beside = sorted(p for p in responses.parent.iterdir() if p.name.lower() == wanted and p.is_file())
        return (beside[0] if beside else None), []
    if not responses.is_dir():
        return None, []
    found = sorted(folder_files(responses)[3])  # where the folder reader looks, as it looks
    if len(found) == 1:
        return found[0], []
    if not found:
        return None, []
    names = ", ".join(str(p.relative_to(responses)) for p in found)
    return None, [
        Problem(
            Location(responses.name),
            Code.GOLD_SEVERAL,
            f"в папке с ответами несколько эталонных кодирований ({names}); с каким сравнивать коды, не ясно, "
            "и сравнение не сделано.",
            "Объедините их в один файл …_gold.csv или укажите нужный: --gold ФАЙЛ.",
        )
    ]


def code_data(
    data: pd.DataFrame,
    q: Questionnaire,
    codebook: Codebook,
    *,
    overrides: str | Path | None = None,
    gold: Path | None = None,
) -> CodingResult:
    """Code the open answers and apply the review loop (see :mod:`survey.coding.review`)."""
    coding = code_answers(data, q, codebook, overrides=overrides, gold=gold)
    return learn(coding, *check_coding(coding))


def code_answers(
    data: pd.DataFrame,
    q: Questionnaire,
    codebook: Codebook,
    *,
    overrides: str | Path | None = None,
    gold: Path | None = None,
    advance=None,
    question: str | None = None,
) -> CodingResult:
    """The automatic codes and the final codes (overrides applied); no classifier yet.
    ``question`` is the coded question the analysis uses (default: the first);
    ``advance(n)`` is called as answers are coded (a progress bar)."""
    question = question or analysed_question(q, None, "")
    first = q.coded_questions[0].id if q.coded_questions else None
    gold_frame, gold_notes = gold_for_question(read_coding(gold), question, first) if gold else (None, [])
    coder = Coder(codebook)
    coded = code_responses(data, q, coder, advance)
    ids = coder.ids
    per_q = coded[coded["question"] == question].reset_index(drop=True)
    auto = per_q[["expert_id", *ids]].copy()
    every, result_overrides = final_codes(coded, q, ids, overrides)
    coded["suggestion"] = ""
    return CodingResult(
        coded,
        auto,
        analysed_codes(every, question),
        result_overrides,
        pd.DataFrame(),
        None,
        gold,
        unknown_words(coder),
        lemma_lists(per_q["answer"].tolist(), coder.lemmatizer),
        every,
        question,
        gold_frame,
        gold_notes,
    )


def check_coding(coding: CodingResult) -> tuple[pd.DataFrame, list[str], pd.DataFrame | None]:
    """The classifier's cross-validated scores and suggestions, and agreement with the gold
    coding: the scikit-learn part of coding (it runs in the background process)."""
    ids = list(coding.final.columns.drop("expert_id"))
    per_q = coding.coded[coding.coded["question"] == coding.question].reset_index(drop=True)
    final = coding.final[ids].fillna(0).astype(int)  # an unanswered question named nothing
    suggester = Suggester().fit(coding.lemmas or per_q["answer"].tolist(), final)
    confidence = per_q[[f"confidence_{k}" for k in ids]].set_axis(ids, axis=1)
    suggestions = suggester.suggestions(final, confidence).tolist()
    gold_table = None
    if coding.gold is not None:
        gold = coding.gold
        gold_table = agreement(gold, coding.auto, categories=[c for c in ids if c in gold.columns])
    return suggester.scores_, suggestions, gold_table


def learn(
    coding: CodingResult, scores: pd.DataFrame, suggestions: list[str], gold_table: pd.DataFrame | None
) -> CodingResult:
    """Attach what :func:`check_coding` found to the coding."""
    coding.coded.loc[coding.coded["question"] == coding.question, "suggestion"] = suggestions
    coding.classifier = scores
    coding.gold_agreement = gold_table
    return coding


def run(
    responses: str | Path | None = None,
    out: str | Path = DEFAULT_OUT,
    *,
    study: str | Path | Study | None = None,
    questionnaire: str | Path | None = None,
    units: str | Path | None = None,
    codebook: str | Path | None = None,
    overrides: str | Path | None = None,
    gold: str | Path | None = None,
    encoding: str | None = None,
    skip_invalid: bool = False,
    with_names: bool = False,
    group_by: str | None = None,
    analyse_question: str | None = None,
    learned: bool = True,
) -> RunResult:
    """Run the whole pipeline on ``responses`` (default: the study's responses) into ``out``.

    ``study`` is a study folder or ``study.yaml`` (:func:`survey.spec.study.resolve_study`;
    default: the bundled study); ``questionnaire``, ``units``, ``codebook`` and ``responses``
    override the study's files.

    Invalid rows stop the run with :class:`InvalidDataError` (nothing is written) unless
    ``skip_invalid``; then they are left out and listed in ``data/rejected.csv`` and
    ``run.json``. ``overrides`` is a filled coding sheet (or CSV) from an earlier run;
    ``gold`` a reference coding to measure agreement with (default: ``<responses>_gold.csv``).
    ``group_by`` is the column the analysis tables (``tables/``) are grouped by: a column of
    the units gazetteer (``border_status``, ``federal_district``, ``kind``…) or of the responses
    (default: the study's ``group_by``). ``analyse_question`` is the coded open question whose codes the
    tables use when several are coded (default: the study's ``analyse``, else the first one).
    ``learned=False`` codes with the codebook's rules
    alone (the learned layer switched off, as ``enabled: false`` in its ``learned`` section).
    """
    started = _now()
    with Background() as background, Steps() as steps:
        result = _run(
            background,
            steps,
            started,
            responses,
            out,
            study=study,
            questionnaire=questionnaire,
            units=units,
            codebook=codebook,
            overrides=overrides,
            gold=gold,
            encoding=encoding,
            skip_invalid=skip_invalid,
            with_names=with_names,
            group_by=group_by,
            analyse_question=analyse_question,
            learned=learned,
        )
    log.info("Отчёты записаны в %s", result.out)
    return result


def _run(
    background: Background,
    steps: Steps,
    started: str,
    responses,
    out,
    *,
    study,
    questionnaire,
    units,
    codebook,
    overrides,
    gold,
    encoding,
    skip_invalid,
    with_names,
    group_by,
    analyse_question,
    learned,
) -> RunResult:
    bundle = open_study(study, questionnaire=questionnaire, units=units, codebook=codebook, responses=responses)
    st, q, unit_table = bundle.study, bundle.questionnaire, bundle.units
    q_path, u_path = bundle.path("questionnaire"), bundle.path("units")
    if not q.coded_questions:
        raise ConfigError(no_coded_question(q, q_path, bundle.paths.get("codebook")))
    responses, cb_path = bundle.path("responses"), bundle.path("codebook")
    cb = load_codebook(cb_path, questionnaire=q, learned=learned)
    if Path(out).exists() and not Path(out).is_dir():  # said before any work, not after it
        raise UsageError(
            f"{out}: это файл, а не папка; --out — папка для результатов. Укажите папку (например, reports)."
        )
    if Path(responses).is_dir() and Path(out).resolve() == Path(responses).resolve():
        raise UsageError(
            f"{out}: папка для результатов (--out) — это папка с ответами; следующий запуск прочитал бы "
            "результаты как ответы. Укажите для --out другую папку (например, reports)."
        )
    question = analysed_question(
        q, analyse_question or st.analyse, "--analyse" if analyse_question else f"{st.path or 'study.yaml'}, analyse"
    )
    group_by = grouping(group_by, st, q, unit_table, u_path, with_names)  # before any work, as the rest
    keep_review(out, overrides, cb.ids, [f.id for f in q.coded_questions])  # before any work
    with steps.step("read", f"Чтение и проверка ответов: {responses}"):
        result = validate(responses, q, unit_table, encoding=encoding)
    report = result.report
    report.synthetic = report.synthetic or st.synthetic
    if report.accepted == 0:  # nothing to skip to: the reasons, not the advice to skip
        raise InvalidDataError(
            f"Нет ни одной принятой анкеты — строить отчёт не по чему. {report.summary()}\n{report.first_errors()}",
            problems=report.problems,
        )
    if not report.valid and not skip_invalid:
        raise InvalidDataError(
            f"Входные данные содержат ошибки, отчёт не построен. {report.summary()}\n{report.first_errors()}\n"
            "Исправьте ошибки (все — в survey validate) или запустите с --skip-invalid, "
            "чтобы пропустить ошибочные строки.",
            problems=report.problems,
        )
    data = result.data
    with steps.step("names", "Имена людей в открытых ответах"):
        public = data if with_names else anonymise(data, q, not_names(cb, unit_table, st))
    report.problems.extend(grouping_problems(public, unit_table, q, group_by, st))  # experts with no group
    gold_path, gold_found = find_gold(responses, gold)
    report.problems.extend(gold_found)
    answers = len(public) * len(q.coded_questions)
    with steps.step("code", f"Кодирование открытых ответов (кодовая книга {cb_path})", total=answers):
        coding = code_answers(
            public, q, cb, overrides=overrides, gold=gold_path, advance=steps.advance, question=question
        )
    if coding.overrides is not None:  # overrides not applied, with their reasons (warnings)
        report.problems.extend(coding.overrides.problems)
    report.problems.extend(not_analysed(q, question, q_path.name))
    report.problems.extend(cb.warnings)  # a likely misspelt pattern word, a coded question no category codes
    report.problems.extend(published_problems(st, cb.ids))  # a published figure of a renamed category
    report.problems.extend(unlearned_problems(cb))  # categories the learned layer has no examples of
    report.problems.extend(coding.gold_notes)  # a gold of another question is not compared
    if coding.gold is not None:  # gold rows that match no answer, ids matched despite their spelling
        report.problems.extend(gold_problems(coding.gold, coding.auto["expert_id"], cb.ids))
    # the classifier and the analysis run in the background process (see survey.base.background);
    # meanwhile this process writes what needs neither and prepares the report libraries
    checked = background.submit(check_coding, coding)
    exclusive = [c.id for c in cb.categories if c.no_problems]
    analysed = background.submit(
        analyse, public, coding.final, unit_table, q, cb.labels, study=st, group_by=group_by, exclusive=exclusive
    )
    ids = cb.ids
    out = Path(out)
    with OutputDir(out, replaces=previous_outputs(out)) as staged:
        with steps.step("data", "Данные: responses.csv, responses.sav, проверка"):
            write_csv(public, staged.path("data/responses.csv"))
            write_sav(
                staged.path("data/responses.sav"),
                public,
                q,
                unit_table,
                codes=coding.all_final,
                code_labels=cb.labels,
                with_names=with_names,
                synthetic=report.synthetic,
                study=st,
                problems=report.problems,  # answers cut to the SPSS string limit
            )
            write_csv(report.rejected_frame(), staged.path("data/rejected.csv"))
            write_csv(report.to_frame(), staged.path("validation.csv"))
            write_csv(coding.all_final, staged.path("coding/codes_final.csv"))
            write_csv(coded_examples(coding), staged.path("coding/examples.csv"))
            if coding.overrides is not None:
                write_csv(coding.overrides.overrides, staged.path("coding/overrides_applied.csv"))
            write_csv(coding.unknown, staged.path("coding/unknown_words.csv"))
            prepare_pdf()
        with steps.step("classifier", "Подсказки классификатора и согласие с эталоном"):
            coding = learn(coding, *checked.result())
            # what code_responses gives, without the answer (it is in data/) and per-category
            # confidence (in «confidence»), with the classifier's suggestion
            auto_out = coding.coded.drop(columns=["answer", *[f"confidence_{k}" for k in ids]])
            write_csv(auto_out, staged.path("coding/codes_auto.csv"))
        with steps.step("coding_sheet", "Лист проверки кодов: coding/coding_sheet.xlsx"):
            write_coding_sheet(
                staged.path("coding/coding_sheet.xlsx"),
                coding.coded,
                ids,
                cb.labels,
                overrides=coding.overrides.overrides if coding.overrides is not None else None,
                comments=coding.overrides.comments if coding.overrides is not None else None,
                synthetic=report.synthetic,
            )
            write_csv(coding.classifier, staged.path("coding/classifier_cv.csv"))
            if coding.gold_agreement is not None:
                write_csv(coding.gold_agreement, staged.path("coding/agreement_gold.csv"))

        with steps.step("analysis", f"Анализ: таблицы по группам ({group_by}), критерии, модели"):
            analysis = analysed.result()
            analysis.write(staged)
            manifest: dict[str, Any] = {
                "respondents_in": report.rows_read,
                "respondents_accepted": report.accepted,
                "respondents_rejected": len(report.rejected),
                "units": int(data["unit_id"].nunique()),
                "names_masked": None if with_names else public.attrs.get("names_masked", 0),
                "synthetic": report.synthetic,
                "blank_rows": report.blank_rows,
                "errors": len(report.errors),
                "warnings": len(report.warnings),
                "rejected": [r.as_dict() for r in report.rejected],
                "inputs": report.inputs,
                "questionnaire": {
                    "id": q.id,
                    "version": q.version,
                    "path": str(q_path),
                    "sha256": sha256_file(q_path),
                },
                "units_file": {
                    "path": str(u_path),
                    "sha256": sha256_file(u_path),
                    "notes": list(unit_table.attrs.get("notes", [])),
                },
                "codebook": {"version": cb.version, "path": str(cb_path), "sha256": cb.sha256},
                "study": _study_manifest(st),
                "coding": _coding_manifest(coding, cb, overrides),
                "analysis": analysis.summary,
                "options": {
                    "skip_invalid": skip_invalid,
                    "with_names": with_names,
                    "encoding": encoding,
                    "overrides": str(overrides) if overrides else None,
                    "group_by": group_by,
                },
                "versions": versions(),
                "started_at": started,
            }
        with steps.step("report_data", "Сводки для читателей: данные"):
            summary = build_report(
                analysis,
                cb,
                q,
                manifest,
                study=st,
                coded=coding.coded,
                gold_agreement=coding.gold_agreement,
                classifier=coding.classifier,
                unit_notes=unit_table.attrs.get("notes", []),
            )
        with steps.step("summary_xlsx", "Сводка summary.xlsx"):
            write_summary_xlsx(summary, staged.path("summary.xlsx"))
        with steps.step("summary_pdf", "Сводка summary.pdf"):
            write_summary_pdf(summary, staged.path("summary.pdf"))
        with steps.step("summary_html", "Сводка summary.html"):
            write_summary_html(summary, staged.path("summary.html"))
        manifest["finished_at"] = _now()
        manifest["seconds"] = dict(steps.seconds)
        manifest["outputs"] = [*staged.staged(), "run.json"]
        write_json(manifest, staged.path("run.json"))
    return RunResult(
        out=out,
        manifest=manifest,
        data=data,
        report=report,
        coded=coding.coded,
        codes=coding.final,
        written=staged.written,
        analysis=analysis,
    )


def _study_manifest(study: Study) -> dict[str, Any]:
    """The study's settings file and published figures, with their SHA-256."""
    info: dict[str, Any] = {"title": study.title, "path": None, "sha256": None, "published": None}
    if study.path is not None and study.path.is_file():
        info.update(path=str(study.path), sha256=sha256_file(study.path))
    if study.published_path is not None and study.published_path.is_file():
        info["published"] = {"path": str(study.published_path), "sha256": sha256_file(study.published_path)}
    info["unit_tables"] = [{"path": str(t.path), "sha256": sha256_file(t.path)} for t in study.unit_tables]
    line = study.border.line if study.border is not None else None
    info["border_line"] = {"path": str(line), "sha256": sha256_file(line)} if line is not None else None
    not_names = study.file("not_names")
    info["not_names"] = {"path": str(not_names), "sha256": sha256_file(not_names)} if not_names is not None else None
    return info


def _coding_manifest(coding: CodingResult, cb: Codebook, overrides: str | Path | None) -> dict[str, Any]:
    ids = cb.ids
    info: dict[str, Any] = {
        "categories": ids,
        "counts_auto": {k: int(coding.auto[k].sum()) for k in ids},
        "counts_final": {k: int(coding.final[k].sum()) for k in ids},
        "analysed_question": coding.question,
        "counts_final_by_question": {
            str(qid): {k: int(part[k].sum()) for k in ids}
            for qid, part in (coding.all_final.groupby("question", sort=False) if coding.all_final is not None else [])
        },
        "overrides": coding.overrides.summary() if coding.overrides is not None else None,
        "classifier_f1_cv": {
            r.category: (None if r.f1_cv != r.f1_cv else round(float(r.f1_cv), 4))
            for r in coding.classifier.itertuples()
        },
        "unknown_words": int(len(coding.unknown)),
        "gold": str(coding.gold_path) if coding.gold_path else None,
        "gold_sha256": sha256_file(coding.gold_path) if coding.gold_path else None,
        "overrides_sha256": sha256_file(overrides) if overrides else None,
        "learned_layer": _learned_manifest(coding, cb),
    }
    if coding.gold_agreement is not None:
        g = coding.gold_agreement
        info["agreement_gold"] = {
            r.category: {"f1": _num(r.f1), "kappa": _num(r.kappa), "alpha": _num(r.alpha)} for r in g.itertuples()
        }
    return info


def _learned_manifest(coding: CodingResult, cb: Codebook) -> dict[str, Any] | None:
    """Whether the learned layer coded, on which examples, and how many codes it added."""
    settings = cb.learned
    if settings is None:
        return None
    info: dict[str, Any] = {"enabled": settings.enabled, "examples": [str(p) for p in settings.examples]}
    if settings.enabled:
        added = Counter(k for text in coding.coded["learned"] for k in learned_categories(text))
        info["examples_sha256"] = [sha256_file(p) for p in settings.examples]
        info["codes_added"] = dict(sorted(added.items()))
    return info


def _num(x) -> float | None:
    return None if is_missing(x) else round(float(x), 4)


def validate_files(
    path: str | Path,
    *,
    study: str | Path | Study | None = None,
    questionnaire: str | Path | None = None,
    units: str | Path | None = None,
    encoding: str | None = None,
) -> ValidationResult:
    """Check response file(s) at ``path`` against the study's questionnaire and gazetteer (``survey validate``)."""
    bundle = open_study(study, questionnaire=questionnaire, units=units)
    return validate(path, bundle.questionnaire, bundle.units, encoding=encoding)


def export_sav(
    responses: str | Path | None = None,
    output: str | Path = "responses.sav",
    *,
    study: str | Path | Study | None = None,
    questionnaire: str | Path | None = None,
    units: str | Path | None = None,
    codebook: str | Path | None = None,
    overrides: str | Path | None = None,
    encoding: str | None = None,
    skip_invalid: bool = False,
    with_names: bool = False,
) -> SavExport:
    """Validate ``responses`` (default: the study's), code the open answers, write ``output``.

    The codes are the final codes of ``survey run``: the codebook's automatic codes of every
    coded question with ``overrides`` (a filled coding sheet) applied; overrides that are not
    applied are in the result's ``problems`` (warnings). Errors in the responses raise
    :class:`InvalidDataError` unless ``skip_invalid``.
    """
    output = Path(output)
    if output.suffix.lower() not in (".sav", ".zsav"):
        raise UsageError(f"{output}: файл SPSS должен иметь расширение .sav.")
    bundle = open_study(study, questionnaire=questionnaire, units=units, codebook=codebook, responses=responses)
    q, unit_table = bundle.questionnaire, bundle.units
    # the codebook is needed to code; without a coded question it only adds words never masked as names
    cb_path = bundle.path("codebook") if q.coded_questions else bundle.paths.get("codebook")
    result = validate(bundle.path("responses"), q, unit_table, encoding=encoding)
    report = result.report
    report.synthetic = report.synthetic or bundle.study.synthetic
    if not report.valid and not skip_invalid:
        raise InvalidDataError(
            f"Входные данные содержат ошибки, файл SPSS не записан. {report.summary()}\n"
            "Исправьте ошибки (подробно: survey validate) или запустите с --skip-invalid.",
            problems=report.problems,
        )
    if report.accepted == 0:
        raise InvalidDataError(f"Нет ни одной принятой анкеты. {report.summary()}", problems=report.problems)
    cb = load_codebook(cb_path, questionnaire=q) if cb_path is not None else None
    data = result.data if with_names else anonymise(result.data, q, not_names(cb, unit_table, bundle.study))
    codes = None
    problems: list[Problem] = []
    if q.coded_questions and cb is not None:
        coded = code_responses(data, q, Coder(cb))
        codes, applied = final_codes(coded, q, cb.ids, overrides)
        problems = [*cb.warnings, *(applied.problems if applied is not None else [])]
    ds = sav_dataset(
        data,
        q,
        unit_table,
        codes=codes,
        code_labels=cb.labels if cb is not None else {},
        with_names=with_names,
        synthetic=report.synthetic,
        study=bundle.study,
    )
    save_sav(output, ds)
    problems = [*problems, *ds.problems]  # answers cut to the SPSS string limit
    return SavExport(output, len(ds.frame), len(ds.frame.columns), len(report.rejected), report.synthetic, problems)
