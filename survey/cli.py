"""Command line: a thin shell over the Python API.

Each command calls one public function with the same argument names (``--out`` ↔
``out=``). Errors are handled in one place (:func:`main`): a Russian message on stderr,
the documented exit code, and a traceback only with ``--debug``.
"""
from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from .errors import EXIT_INTERNAL, EXIT_INVALID, EXIT_OK, EXIT_UNREADABLE, SurveyError

_state = {"debug": False}

PATH = click.Path(path_type=Path)
EXISTING = click.Path(exists=False, path_type=Path)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--debug", is_flag=True, help="Show tracebacks of errors (for bug reports).")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
@click.version_option(package_name="survey", prog_name="survey")
def cli(debug: bool, quiet: bool) -> None:
    """survey: analysis pipeline for the expert survey of Russian–Chinese sister-city cooperation.

    Run `survey run` in the project folder to analyse the bundled (synthetic) sample;
    results go to reports/.
    """
    _state["debug"] = debug
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, format="%(message)s",
                        stream=sys.stderr, force=True)


def _input_options(func):
    func = click.option("--encoding", default=None, metavar="NAME",
                        help="Encoding of CSV input (default: detect UTF-8/UTF-16/cp1251).")(func)
    func = click.option("--units", type=PATH, default=None,
                        help="Units gazetteer CSV (default: responses/units.csv).")(func)
    func = click.option("--questionnaire", type=PATH, default=None,
                        help="Questionnaire YAML (default: questionnaires/questionnaire.yaml).")(func)
    return func


@cli.command()
@click.option("--responses", type=PATH, default=None,
              help="Response file (.xlsx/.csv) or folder of files (default: responses/sample.xlsx).")
@click.option("--out", type=PATH, default=Path("reports"), show_default=True, help="Output folder.")
@_input_options
@click.option("--skip-invalid", is_flag=True,
              help="Leave out rows with errors (each is listed) instead of refusing the input.")
@click.option("--with-names", is_flag=True,
              help="Keep expert names in the outputs (internal use only; default: anonymised).")
def run(responses, out, questionnaire, units, encoding, skip_invalid, with_names):
    """Run the whole pipeline and write the reports to --out."""
    from .pipeline import run as run_pipeline

    result = run_pipeline(responses, out, questionnaire=questionnaire, units=units, encoding=encoding,
                          skip_invalid=skip_invalid, with_names=with_names)
    m = result.manifest
    _echo_problems(result.report.problems, only_errors=False)
    click.echo(f"Анкет прочитано: {m['respondents_in']}, принято: {m['respondents_accepted']}, "
               f"отклонено: {m['respondents_rejected']}; городов и регионов: {m['units']}.")
    click.echo(f"Результаты: {result.out}/ (файлов: {len(result.written)}; манифест run.json)")


@cli.command("validate")
@click.argument("path", type=PATH)
@_input_options
@click.option("--report", "report_path", type=PATH, default=None,
              help="Also write the problems to this CSV file.")
def validate_cmd(path, questionnaire, units, encoding, report_path):
    """Check response file(s) at PATH against the questionnaire and the units gazetteer.

    Exit code 0: valid; 1: problems found (listed); 2: the input cannot be read at all.
    """
    from .questionnaire import load_questionnaire
    from .units import load_units
    from .validate import validate

    q = load_questionnaire(questionnaire)
    result = validate(path, q, load_units(units), encoding=encoding)
    report = result.report
    if report_path:
        from .output import write_csv

        write_csv(report.to_frame(), report_path)
    _echo_problems(report.problems)
    click.echo(report.summary())
    if report.files_unreadable and report.files_unreadable == len(report.inputs):
        click.echo("Ни один файл не удалось прочитать.", err=True)
        sys.exit(EXIT_UNREADABLE)
    if not report.valid:
        click.echo("Есть ошибки: исправьте указанные ячейки и проверьте файл снова.", err=True)
        sys.exit(EXIT_INVALID)
    click.echo("Ошибок не найдено.")


def _echo_problems(problems, only_errors: bool = False) -> None:
    for p in problems:
        if only_errors and not p.is_error:
            continue
        mark = "ОШИБКА" if p.is_error else "предупреждение"
        click.echo(f"{mark}: {p}", err=True)


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
            "и сообщите разработчикам текст ошибки.", err=True)
        return EXIT_INTERNAL
    return EXIT_OK


def entry_point() -> None:
    sys.exit(main())
