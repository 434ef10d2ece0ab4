"""Command line: a thin shell over the Python API.

Each command calls one public function with the same argument names (``--out`` ↔
``out=``). Errors are handled in one place (:func:`main`): a Russian message on stderr,
the documented exit code, and a traceback only with ``--debug``.
"""

from __future__ import annotations

import logging
import re
import sys
from collections import Counter
from pathlib import Path

import click

from survey.errors import EXIT_INTERNAL, EXIT_INVALID, EXIT_OK, EXIT_UNREADABLE, InvalidDataError, SurveyError

_state = {"debug": False}

PATH = click.Path(path_type=Path)
EXISTING = click.Path(exists=False, path_type=Path)


# a command given several response files: the way to give them all
_FOLDER_HINT = "Несколько файлов ответов положите в одну папку и укажите её"


class _Command(click.Command):
    """A command whose single-valued options may be given once: click keeps the last of two
    «--responses» and the first file would be left out without a word (a second wave given beside
    the first, two reviewers' overrides)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not any(a in ctx.help_option_names for a in args):  # --help answers whatever else is given
            try:
                # click's own parser says which option each word is (glued «-ob.csv», «--out=x», a
                # value spelled like an option), in the order given
                order = self.make_parser(ctx).parse_args(args=list(args))[2]
            except click.UsageError:
                order = []  # said by the parse below, as before
            given = Counter(
                p for p in order if isinstance(p, click.Option) and not (p.multiple or p.is_flag or p.count)
            )
            for param, times in given.items():
                if times > 1:
                    folder = param.name == "responses"  # the one option that takes a folder of files
                    hint = f". {_FOLDER_HINT}" if folder else ""
                    raise click.UsageError(
                        f"параметр {param.opts[-1]} указан несколько раз ({times}); прочитан был бы только "
                        f"последний{hint}",
                        ctx,
                    )
        return super().parse_args(ctx, args)


class _Group(click.Group):
    command_class = _Command


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--debug", is_flag=True, help="Show tracebacks of errors (for bug reports).")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
@click.version_option(package_name="survey", prog_name="survey")
def cli(debug: bool, quiet: bool) -> None:
    """survey: analysis pipeline for the expert survey of Russian–Chinese sister-city cooperation.

    Run `survey run` in the project folder to analyse the bundled (synthetic) sample;
    results go to reports/.
    """
    _state["debug"] = debug
    _state["quiet"] = quiet
    # progress messages of this package only; libraries (pymorphy3, fontTools…) stay quiet
    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stderr, force=True)
    logging.getLogger("survey").setLevel(logging.WARNING if quiet else logging.INFO)


_NO_LEARNED = click.option(
    "--no-learned",
    is_flag=True,
    help="Code with the codebook's rules alone: the learned layer (codebook section learned) switched off.",
)


def _codebook_path(study, codebook):
    """The codebook file given by --codebook or by the study of --study; None: the bundled study's."""
    if not (study or codebook):
        return None
    from survey.spec.study import resolve_study, study_file  # lazy: keeps `survey --help` fast

    return study_file(resolve_study(study), "codebook", codebook)


def _study_options(*, codebook: bool = False, encoding: bool = True):
    """--study, --questionnaire, --units (and --codebook, --encoding): the study's files."""

    def decorate(func):
        if encoding:
            func = click.option(
                "--encoding",
                default=None,
                metavar="NAME",
                help="Encoding of CSV input (default: detect UTF-8/UTF-16/cp1251).",
            )(func)
        if codebook:
            func = click.option(
                "--codebook", type=PATH, default=None, help="Codebook YAML (default: the study's codebook)."
            )(func)
        func = click.option(
            "--units", type=PATH, default=None, help="Units gazetteer CSV (default: the study's gazetteer)."
        )(func)
        func = click.option(
            "--questionnaire", type=PATH, default=None, help="Questionnaire YAML (default: the study's questionnaire)."
        )(func)
        return click.option(
            "--study",
            type=PATH,
            default=None,
            help="Study folder or study.yaml (default: the bundled study; see README «Your own survey»).",
        )(func)

    return decorate


@cli.command()
@click.option(
    "--responses",
    type=PATH,
    default=None,
    help="Response file (.xlsx/.csv) or folder of files (default: the study's responses).",
)
@click.option("--out", type=PATH, default=Path("reports"), show_default=True, help="Output folder.")
@_study_options(codebook=True)
@click.option(
    "--overrides",
    type=PATH,
    default=None,
    help="Filled coding sheet (coding/coding_sheet.xlsx) or CSV whose overrides win over the automatic codes.",
)
@click.option(
    "--gold",
    type=PATH,
    default=None,
    help="Reference coding CSV to measure agreement with (default: <responses>_gold.csv if present).",
)
@click.option(
    "--skip-invalid",
    is_flag=True,
    help="Leave out rows with errors (each is listed) instead of refusing the input.",
)
@click.option(
    "--with-names",
    is_flag=True,
    help="Keep expert names in the outputs (internal use only; default: anonymised).",
)
@click.option(
    "--group-by",
    default=None,
    metavar="COLUMN",
    help="Group the analysis tables and tests by this column of the units gazetteer or the responses "
    "(default: the study's group_by; e.g. federal_district, kind, macro_region, distance_band).",
)
@click.option(
    "--analyse",
    default=None,
    metavar="QUESTION",
    help="The coded open question whose codes the tables, tests and summaries use, when several are coded "
    "(default: the study's analyse, else the first one).",
)
@_NO_LEARNED
def run(
    responses,
    out,
    study,
    questionnaire,
    units,
    encoding,
    codebook,
    overrides,
    gold,
    skip_invalid,
    with_names,
    group_by,
    analyse,
    no_learned,
):
    """Run the whole pipeline and write the reports to --out."""
    from survey.pipeline import run as run_pipeline  # lazy: keeps `survey --help` fast

    result = run_pipeline(
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
        analyse_question=analyse,
        learned=not no_learned,
    )
    m = result.manifest
    _echo_problems(result.report.problems)
    if m.get("synthetic"):
        _say("Внимание: данные синтетические (не ответы реальных респондентов).")
    _say(
        f"Анкет прочитано: {m['respondents_in']}, принято: {m['respondents_accepted']}, "
        f"отклонено: {m['respondents_rejected']}; единиц с ответами: {m['units']}."
    )
    coding = m["coding"]
    for question, by_category in coding["counts_final_by_question"].items():
        counts = ", ".join(f"{k} {v}" for k, v in by_category.items())
        analysed = (
            " — в таблицах анализа"
            if len(coding["counts_final_by_question"]) > 1 and question == coding["analysed_question"]
            else ""
        )
        _say(f"Закодировано ответов по категориям ({question}{analysed}): {counts}.")
    if coding["overrides"]:
        o = coding["overrides"]
        _say(
            f"Исправлено кодов: {o['codes_overridden']} (ответов: {o['answers_overridden']}); "
            f"из них изменили автоматический код: {o['codes_changed']}."
        )
    if "agreement_gold" in coding:
        scored = [(k, v["f1"]) for k, v in coding["agreement_gold"].items() if v["f1"] is not None]
        if scored:
            worst = min(scored, key=lambda kv: kv[1])
            _say(
                f"Согласие с эталонным кодированием ({_shown(coding['gold'])}): наименьшее F1 = "
                f"{worst[1]:.3f} ({worst[0]}); подробно: coding/agreement_gold.csv."
            )
        else:
            _say(
                f"Согласие с эталонным кодированием ({_shown(coding['gold'])}) не измерено: F1 не определён ни для "
                "одной категории (в эталоне нет сопоставимых ответов или кодов); см. coding/agreement_gold.csv."
            )
    if coding["unknown_words"]:
        _say(f"Слов, неизвестных словарю pymorphy3: {coding['unknown_words']} (coding/unknown_words.csv).")
    _echo_analysis(m["analysis"])
    _say(
        f"Результаты: {result.out}/ (файлов: {len(result.written)}; манифест run.json; "
        "сводки для читателей: summary.pdf, summary.xlsx, summary.html)"
    )


@cli.command("validate")
@click.argument("path", type=PATH)
@_study_options()
@click.option(
    "--report", "report_file", type=PATH, default=None, help="Also write the problems to this CSV file (.csv)."
)
def validate_cmd(path, study, questionnaire, units, encoding, report_file):
    """Check response file(s) at PATH against the questionnaire and the units gazetteer.

    Exit code 0: valid; 1: problems found (listed); 2: the input cannot be read at all.
    """
    from survey.inputs.validate import keep_inputs, report_path  # lazy: keeps `survey --help` fast
    from survey.pipeline import validate_files  # lazy: as above

    if report_file:
        report_path(report_file)  # a folder or a name that is not .csv: refused before reading
    result = validate_files(path, study=study, questionnaire=questionnaire, units=units, encoding=encoding)
    report = result.report
    if report_file:
        keep_inputs(report_file, path, result)
        report.write(report_file)
    _echo_problems(report.problems)
    _say(report.summary())
    if report.files_unreadable and report.files_unreadable == len(report.inputs):
        click.echo("Ни один файл не удалось прочитать.", err=True)
        sys.exit(EXIT_UNREADABLE)
    if not report.valid:
        click.echo("Есть ошибки: исправьте указанные ячейки и проверьте файл снова.", err=True)
        sys.exit(EXIT_INVALID)
    _say("Ошибок не найдено.")


@cli.command("template")
@click.option(
    "-o",
    "--output",
    type=PATH,
    default=None,
    help="Template file (.xlsx), or the folder for --all-units (default: Анкета.xlsx / Анкета_<unit>.xlsx).",
)
@click.option("--unit", default=None, metavar="UNIT", help="Fill in this unit (id or name from the gazetteer).")
@click.option("--all-units", is_flag=True, help="Write one filled-in template per unit into the folder -o.")
@_study_options(encoding=False)
@click.option(
    "--password",
    default=None,
    help="Password of the sheet protection (default: none; protection only prevents accidents).",
)
@click.option(
    "--overwrite", is_flag=True, help="Replace template files that exist already (default: refuse, naming them)."
)
def template_cmd(output, unit, all_units, study, questionnaire, units, password, overwrite):
    """Write questionnaire templates (Excel) for the administrators of the units."""
    from survey.forms.templates import write_templates  # lazy: keeps `survey --help` fast

    files = write_templates(
        output,
        unit=unit,
        all_units=all_units,
        study=study,
        questionnaire=questionnaire,
        units=units,
        password=password,
        overwrite=overwrite,
    )
    if all_units:
        _say(f"Шаблонов записано: {len(files)} (папка {Path(output)}/).")
    else:
        _say(f"Шаблон анкеты: {files[0]}")


@cli.command("ingest")
@click.argument("path", type=PATH)
@click.option("-o", "--output", type=PATH, required=True, help="Consolidated workbook (.xlsx) to write.")
@_study_options()
@click.option(
    "--skip-invalid",
    is_flag=True,
    help="Leave out questionnaires with errors (listed on the «Проблемы» sheet) instead of refusing.",
)
@click.option("--with-names", is_flag=True, help="Keep expert names (internal use only; default: anonymised).")
def ingest_cmd(path, output, study, questionnaire, units, encoding, skip_invalid, with_names):
    """Read and validate the files at PATH (filled templates, tables) into one consolidated table."""
    from survey.forms.consolidate import consolidate  # lazy: keeps `survey --help` fast

    try:
        result = consolidate(
            path,
            output,
            study=study,
            questionnaire=questionnaire,
            units=units,
            encoding=encoding,
            skip_invalid=skip_invalid,
            with_names=with_names,
        )
    except InvalidDataError as exc:
        _echo_problems(exc.problems)
        raise
    _echo_problems(result.report.problems)
    _say(result.report.summary())
    _say(f"Сводная таблица: {result.output} (анкет: {result.rows}).")


@cli.command("xlsform")
@click.option("-o", "--output", type=PATH, required=True, help="XLSForm workbook (.xlsx) to write.")
@_study_options(encoding=False)
def xlsform_cmd(output, study, questionnaire, units):
    """Write the questionnaire as an XLSForm for KoboToolbox / ODK."""
    from survey.forms.xlsform import write_xlsform  # lazy: keeps `survey --help` fast

    path = write_xlsform(output, study=study, questionnaire=questionnaire, units=units)
    _say(f"XLSForm: {path} (загрузите его в KoboToolbox или ODK Central).")


@cli.command("export-sav")
@click.option("-o", "--output", type=PATH, required=True, help="SPSS file (.sav) to write.")
@click.option(
    "--responses",
    type=PATH,
    default=None,
    help="Response file (.xlsx/.csv) or folder of files (default: the study's responses).",
)
@_study_options(codebook=True)
@click.option(
    "--overrides",
    type=PATH,
    default=None,
    help="Filled coding sheet (or CSV) whose overrides win over the automatic codes.",
)
@click.option("--skip-invalid", is_flag=True, help="Leave out rows with errors instead of refusing the input.")
@click.option(
    "--with-names",
    is_flag=True,
    help="Keep expert names and source file names (internal use only; default: anonymised).",
)
def export_sav_cmd(
    output, responses, study, questionnaire, units, codebook, encoding, overrides, skip_invalid, with_names
):
    """Write responses and final problem codes to an SPSS file with labels and missing values."""
    from survey.pipeline import export_sav  # lazy: keeps `survey --help` fast

    result = export_sav(
        responses,
        output,
        study=study,
        questionnaire=questionnaire,
        units=units,
        codebook=codebook,
        overrides=overrides,
        encoding=encoding,
        skip_invalid=skip_invalid,
        with_names=with_names,
    )
    _echo_problems(result.problems)
    if result.synthetic:
        _say("Внимание: данные синтетические (не ответы реальных респондентов).")
    _say(
        f"Файл SPSS: {result.path} (наблюдений: {result.cases}, переменных: {result.variables}, "
        f"отклонено анкет: {result.rejected})."
    )


@cli.command("code")
@click.argument("input", type=PATH)
@click.option("-o", "--output", type=PATH, required=True, help="Output CSV: id, one 0/1 column per category, evidence.")
@click.option("--study", type=PATH, default=None, help="Study folder or study.yaml whose codebook is used.")
@click.option("--codebook", type=PATH, default=None, help="Codebook YAML (default: the study's codebook).")
@click.option(
    "--jobs",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Worker processes for large inputs.",
)
@click.option(
    "--chunk-size",
    type=click.IntRange(1),
    default=2000,
    show_default=True,
    help="Answers read, coded and written at a time (memory stays flat).",
)
@click.option("--encoding", default=None, metavar="NAME", help="Encoding of INPUT (default: detect).")
@_NO_LEARNED
def code_cmd(input, output, study, codebook, jobs, chunk_size, encoding, no_learned):
    """Code any Russian answers: INPUT is a CSV with columns id,text."""
    from survey.coding.batch import code_csv  # lazy: keeps `survey --help` fast

    codebook = _codebook_path(study, codebook)
    try:
        result = code_csv(
            input, output, codebook, jobs=jobs, chunk_size=chunk_size, encoding=encoding, learned=not no_learned
        )
    except InvalidDataError as exc:  # rows not coded: listed once, in the message; the others are in OUTPUT
        _echo_problems([p for p in exc.problems if not p.is_error])
        raise
    _echo_problems(result.warnings)
    counts = ", ".join(f"{k} {v}" for k, v in result.category_counts.items())
    empty = f" (из них пустых: {result.empty}, у них все коды 0)" if result.empty else ""
    _say(f"Закодировано ответов: {result.rows}{empty} за {result.seconds:.2f} с; по категориям: {counts}.")
    _say(f"Результат: {result.output}")


@cli.command("agreement")
@click.argument("a", type=PATH)
@click.argument("b", type=PATH)
@click.option("--id-column", default=None, help="Id column of both files (default: id, expert_id or the first).")
@click.option("-o", "--output", type=PATH, default=None, help="Also write the table to this CSV.")
def agreement_cmd(a, b, id_column, output):
    """Agreement of coding B with reference coding A, per category (F1, κ, α…)."""
    from survey.base.files import refuse_overwrite, write_csv  # lazy: keeps `survey --help` fast
    from survey.base.text import listed  # lazy: as above
    from survey.coding.agreement import agreement, format_agreement, read_coding  # lazy: as above

    refuse_overwrite(output, a, b, what="это один из сравниваемых файлов; таблица записалась бы поверх кодов")
    table = agreement(read_coding(a), read_coding(b), id_column=id_column)
    if table.empty:
        only = [
            f"только в {side} ({name}): {listed(table.attrs[f'categories_only_in_{side.lower()}']) or 'нет'}"
            for side, name in (("A", Path(a).name), ("B", Path(b).name))
        ]
        raise SurveyError(
            f"В файлах нет общих столбцов категорий с 0/1 (столбцы 0/1 {'; '.join(only)}). Проверьте, что "
            "категории названы в заголовках обоих файлов одинаково."
        )
    if not table.attrs["ids_compared"]:
        a_n, b_n = (len(table.attrs[f"only_in_{x}"]) for x in "ab")
        raise SurveyError(
            f"Не сравнено ни одного ответа: закодированных ответов в A ({Path(a).name}) {a_n}, в B ({Path(b).name}) "
            f"{b_n}, общих id нет. Проверьте, что оба файла — кодирование одних и тех же ответов."
        )
    if output:
        write_csv(table, output)
    click.echo(
        f"Сравнено ответов: {table.attrs['ids_compared']} (только в A: {len(table.attrs['only_in_a'])}, "
        f"только в B: {len(table.attrs['only_in_b'])})."
    )
    for side, ids in (("A", table.attrs["only_in_a"]), ("B", table.attrs["only_in_b"])):
        if ids:
            click.echo(f"  id только в {side} (не сравнивались): {listed(ids)}")
    respelled = table.attrs["respelled"]
    if respelled:
        pairs = [f"«{x}» = «{y}» ({how})" for x, y, how in respelled]
        click.echo(f"  id, сопоставленные, хотя написаны по-разному ({len(pairs)}): {listed(pairs)}")
    for side in ("A", "B"):
        alone = table.attrs[f"categories_only_in_{side.lower()}"]
        if alone:
            click.echo(f"  столбцы 0/1 только в {side} (не сравнивались): {listed(alone)}")
    click.echo(format_agreement(table))


@cli.command("patterns")
@click.argument("gold", type=PATH)
@click.option("--study", type=PATH, default=None, help="Study folder or study.yaml whose codebook is used.")
@click.option("--codebook", type=PATH, default=None, help="Codebook YAML (default: the study's codebook).")
@click.option("-o", "--output", type=PATH, default=None, help="Also write every pattern's counts to this CSV.")
@click.option("--top", type=click.IntRange(1), default=20, show_default=True, help="Patterns to print.")
def patterns_cmd(gold, study, codebook, output, top):
    """Audit the codebook's patterns on hand-coded answers GOLD (CSV: text + 0/1 per category)."""
    from survey.base.files import refuse_overwrite, write_csv  # lazy: keeps `survey --help` fast
    from survey.base.text import listed  # lazy: as above
    from survey.coding.coder import Coder  # lazy: as above
    from survey.coding.pattern_audit import audit_file, format_audit  # lazy: as above
    from survey.spec.codebook import load_codebook  # lazy: as above

    refuse_overwrite(output, gold, what="это файл ручного кодирования; таблица шаблонов записалась бы поверх него")
    path = _codebook_path(study, codebook)
    coder = Coder(load_codebook(path) if path else None, learned=False)
    table = audit_file(gold, coder)
    if output:
        write_csv(table, output)
    if table.attrs["empty_text"]:
        click.echo(f"Строк без текста ответа (не проверялись): {table.attrs['empty_text']}.")
    if table.attrs["not_coded"]:
        click.echo(f"Категории без столбца в {Path(gold).name} (не проверялись): {listed(table.attrs['not_coded'])}.")
    click.echo(f"Шаблонов, давших код: {len(table)}.")
    click.echo(format_audit(table, top))
    if output:
        click.echo(f"Все шаблоны: {output}")


@cli.command("kwic")
@click.argument("query")
@click.option("--responses", type=PATH, default=None, help="Responses (default: the study's responses).")
@_study_options(codebook=True)
@click.option("--width", type=click.IntRange(10, 200), default=40, show_default=True, help="Characters of context.")
@click.option("--with-names", is_flag=True, help="Show person names in the answers (default: masked «[ФИО]»).")
def kwic_cmd(query, responses, study, questionnaire, units, codebook, encoding, width, with_names):
    """Keyword in context: QUERY is a word (any form), a prefix like ковид*, or a category id."""
    from survey.coding.kwic import format_kwic, kwic_responses  # lazy: keeps `survey --help` fast

    lines = kwic_responses(
        query,
        responses,
        study=study,
        questionnaire=questionnaire,
        units=units,
        codebook=codebook,
        width=width,
        encoding=encoding,
        with_names=with_names,
    )
    if lines.attrs.get("summary"):
        click.echo(
            f"{lines.attrs['summary']} Ответы отклонённых анкет не просматривались:\n"
            f"{lines.attrs['first_errors']}\nПодробно: survey validate."
        )
    if lines.empty:
        click.echo(f"«{query}» в принятых ответах не встречается.")
        return
    click.echo(format_kwic(lines, width))
    click.echo(f"Строк: {len(lines)}; ответов: {lines['expert_id'].nunique()}.")


def _echo_analysis(analysis: dict) -> None:
    check = analysis["published_check"]
    if not check.get("figures"):
        pass  # the study publishes no figures to check: nothing to say
    elif check["all_match"]:
        _say("Сверка с опубликованными данными: все показатели совпадают (tables/published_check.csv).")
    else:
        diff = "; ".join(
            f"{k}: опубликовано {v['published']}, получено "
            + (str(v["computed"]) if v["computed"] is not None else "нет данных")
            for k, v in check["mismatches"].items()
        )
        click.echo(f"Сверка с опубликованными данными: расхождения — {diff} (tables/published_check.csv).", err=True)
    _say(f"Таблицы анализа (группировка: {analysis['group_by']}): tables/")


def _shown(path: str) -> str:
    """A path as the user would type it: relative to the current folder when inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _quiet() -> bool:
    return bool(_state.get("quiet"))


def _say(message: str) -> None:
    """A result line for the user (not printed with -q)."""
    if not _quiet():
        click.echo(message)


def _echo_problems(problems) -> None:
    """Each problem on stderr; with -q only the errors."""
    for p in problems:
        if _quiet() and not p.is_error:
            continue
        mark = "ОШИБКА" if p.is_error else "предупреждение"
        click.echo(f"{mark}: {p}", err=True)


def usage_message(exc: click.UsageError) -> str:
    """A wrong call in Russian: an unknown option or command, a missing or bad value, and where
    to see the right ones (click's own messages are English)."""
    command = exc.ctx.command_path if exc.ctx is not None else "survey"
    see = f"Параметры команды: {command} --help."
    if isinstance(exc, click.NoSuchOption):
        maybe = f" Может быть, {', '.join(exc.possibilities)}?" if exc.possibilities else ""
        return f"у команды «{command}» нет параметра {exc.option_name}.{maybe} {see}"
    if isinstance(exc, click.MissingParameter):
        hint = exc.param.get_error_hint(exc.ctx) if exc.param is not None and exc.ctx is not None else ""
        return f"не указан обязательный параметр {hint} команды «{command}». {see}".replace("  ", " ")
    if isinstance(exc, click.BadParameter):
        hint = exc.param.get_error_hint(exc.ctx) if exc.param is not None and exc.ctx is not None else ""
        return f"неверное значение {hint}: {_bad_value(exc.message)}. {see}"
    if m := re.fullmatch(r"Got unexpected extra arguments? \((.+)\)", exc.message):
        folder = command.split()[-1] in ("validate", "ingest")  # their argument may be a folder of responses
        hint = f" {_FOLDER_HINT}." if folder else ""
        return f"лишнее в вызове «{command}»: {m[1]}.{hint} {see}"
    if exc.message.startswith("No such command"):
        return f"нет такой команды ({exc.message.split(' ', 3)[-1].rstrip('.')}). Список команд: survey --help."
    return f"неверный вызов «{command}»: {exc.message}. {see}"


def _bad_value(message: str) -> str:
    """click's commonest value errors in Russian; others as they are."""
    message = message.rstrip(".")
    if m := re.fullmatch(r"(.+) is not in the range (.+)", message):
        return f"{m[1]} — вне допустимого диапазона {m[2]}"
    if m := re.fullmatch(r"(.+) is not a valid (integer|float)(?: range)?", message):
        return f"{m[1]} — не {'целое ' if m[2] == 'integer' else ''}число"
    if m := re.fullmatch(r"(?:File|Path|Directory) (.+) does not exist", message):
        return f"{m[1]} не найден"
    return message


def main(argv: list[str] | None = None) -> int:
    """Console entry point: run the CLI, turn errors into messages and exit codes."""
    argv = list(sys.argv[1:] if argv is None else argv)
    _state["debug"] = "--debug" in argv
    try:
        cli.main(args=argv, prog_name="survey", standalone_mode=False)
    except SurveyError as exc:
        if _state["debug"]:
            raise
        click.echo(f"Ошибка: {exc.message}", err=True)
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.UsageError as exc:
        click.echo(f"Ошибка: {usage_message(exc)}", err=True)
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("Прервано.", err=True)
        return EXIT_INVALID
    except KeyboardInterrupt:
        click.echo("Прервано пользователем.", err=True)
        return 130
    except Exception as exc:  # a bug: say so plainly, traceback only on request
        if _state["debug"]:
            raise
        click.echo(
            f"Внутренняя ошибка программы ({type(exc).__name__}: {exc}). Запустите команду с --debug "
            "и сообщите разработчикам текст ошибки.",
            err=True,
        )
        return EXIT_INTERNAL
    return EXIT_OK


def entry_point() -> None:
    sys.exit(main())
