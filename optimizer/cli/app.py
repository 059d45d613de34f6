"""`crmplan`: a thin click shell over the Python API (optimizer.run, optimizer.report)."""
from __future__ import annotations

import functools
import logging
import os
import signal
import sys
import threading
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import click

from .options import out_option
from ..errors import InputError, SettingsError
from ..report.writer import OutputExists, OutputFailed, OutputUnwritable

DEFAULT_STUDY = Path("models") / "default.yaml"
log = logging.getLogger("optimizer")
# Exit statuses beyond 0 solved, 1 infeasible or no plan, 2 bad input or usage (docs/cli.md)
WRITE_FAILED, INTERRUPTED, TERMINATED = 3, 128 + signal.SIGINT, 128 + signal.SIGTERM


class Terminated(BaseException):
    """SIGTERM, raised like KeyboardInterrupt (and, like it, no Exception), so that HiGHS is
    stopped and temporary output removed on the way out."""


def _terminate(signum, frame):
    raise Terminated


@contextmanager
def _sigterm_raises():
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _setup_logging(verbose: int, quiet: bool) -> None:
    level = logging.WARNING if quiet else (logging.DEBUG if verbose > 1 else logging.INFO)
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    if verbose < 2:
        logging.getLogger("pyomo").setLevel(logging.WARNING)


def _leave_now(message: str, status: int) -> None:
    """Exit at once after a signal. HiGHS is stopped and temporary output removed on the way
    here; tearing down a large model at interpreter exit would take seconds more (4 s for the
    EU study), so skip it. Only the CLI does this: in Python, the exception simply rises."""
    click.echo(message, err=True)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def common(fn):
    """--verbose/--quiet/--debug and the mapping of errors to exit statuses."""
    @click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
    @click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors.")
    @click.option("--debug", is_flag=True, help="Show tracebacks.")
    @functools.wraps(fn)
    def wrapper(*args, verbose, quiet, debug, **kwargs):
        _setup_logging(verbose, quiet)
        try:
            with _sigterm_raises():
                return fn(*args, **kwargs)
        except KeyboardInterrupt:
            _leave_now("interrupted (Ctrl-C): stopped, nothing written", INTERRUPTED)
        except Terminated:
            _leave_now("terminated (SIGTERM): stopped, nothing written", TERMINATED)
        except InputError as exc:
            click.echo(str(exc), err=True)
            sys.exit(2)
        except (OutputExists, OutputUnwritable, SettingsError) as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        except OutputFailed as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(WRITE_FAILED)
        except Exception as exc:  # noqa: BLE001 - the CLI's last line of defence
            if debug:
                raise
            click.echo(f"error: {exc} (run with --debug for the traceback)", err=True)
            sys.exit(1)
    return wrapper


def study_argument(fn):
    return click.argument("study", required=False, type=click.Path(path_type=Path))(fn)


def _study_path(study: Path | None) -> Path:
    return study if study is not None else DEFAULT_STUDY


def _show_version(ctx, param, value):
    if not value or ctx.resilient_parsing:
        return
    found = []
    for name in ("crmplan", "highspy", "pyomo"):
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            found.append(f"{name} (not installed)")
    click.echo(f"{found[0]} ({', '.join(found[1:])}, Python {sys.version.split()[0]})")
    ctx.exit()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True,
              callback=_show_version, help="Show the version of crmplan and its solver, exit.")
def main():
    """crmplan: plan EU critical raw material supply under disruption."""


@main.command()
@study_argument
@out_option("Results folder (must not exist or be empty). Default: "
            "results/<study>-<timestamp>.")
@click.option("--json", "as_json", is_flag=True, help="Print summary.json to stdout.")
@click.option("--report", "with_report", is_flag=True,
              help="Also write report.html and figures/ into the results folder.")
@click.option("--engine", type=click.Choice(["ef", "mpisppy"]), default="ef", show_default=True,
              help="ef: the extensive form, one HiGHS solve; mpisppy: progressive hedging over "
              "MPI ranks (pip install 'crmplan[mpi]', see docs/scale-out.md).")
@click.option("--ranks", type=click.IntRange(min=1), default=3, show_default=True,
              help="MPI ranks for --engine mpisppy: a multiple of 3 runs PH + Lagrangian "
              "bound + xhat, an even number PH + xhat; with --hub-only, any number.")
@click.option("--rel-gap", type=click.FloatRange(min=0), default=None,
              help="Relative gap at which --engine mpisppy stops (default: the study's "
              "solver.mip_rel_gap).")
@click.option("--bundle-size", type=click.IntRange(min=1), default=1, show_default=True,
              help="--engine mpisppy: scenarios per PH subproblem, each bundle's model the "
              "extensive form over its scenarios (must divide the scenario count; see "
              "docs/scale-out.md).")
@click.option("--hub-only", is_flag=True,
              help="--engine mpisppy: PH alone on every rank, the scenarios held once instead "
              "of once per cylinder; the plan is the bundle solution closest to PH's "
              "consensus, the bound that of iteration 0 (docs/scale-out.md).")
@common
def solve(study, out, as_json, with_report, engine, ranks, rel_gap, bundle_size, hub_only):
    """Solve STUDY (default: models/default.yaml) and write its results."""
    from ..diagnostics import summarize_conflicts
    from ..report.text import plain_summary
    from ..report.writer import summary_json, write
    from ..pipeline import solve as run_solve

    if engine == "mpisppy":
        from ..mpisppy import solve as ph_solve
        results = ph_solve(_study_path(study), ranks=ranks, rel_gap=rel_gap,
                           bundle_size=bundle_size, hub_only=hub_only)
    else:
        results = run_solve(_study_path(study))
    folder = write(results, out)
    if with_report:
        from ..report.html import write_report
        write_report(folder)
    if as_json:
        click.echo(summary_json(results))
    else:
        click.echo(plain_summary(results))
        click.echo(f"Results: {folder}")
    if results.status == "infeasible":
        click.echo("The study is infeasible; these policy constraints cannot all be met:", err=True)
        for line in summarize_conflicts(results.conflicts):
            click.echo(f"  - {line}", err=True)
    if not results.ok:
        sys.exit(1)


@main.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--xlsx", is_flag=True, help="Also write every table as one workbook, results.xlsx.")
@common
def report(run_dir, xlsx):
    """Figures, report.html (and results.xlsx) of a finished run or analysis in RUN_DIR."""
    from ..report.html import write_report

    click.echo(f"Report: {write_report(run_dir, xlsx=xlsx)}")


@main.command("export-template")
@click.argument("path", required=False, default="crmplan-template.xlsx",
                type=click.Path(dir_okay=False, path_type=Path))
@common
def export_template(path):
    """An empty input workbook (one sheet per table, units and meanings) at PATH."""
    from ..report.excel import write_template

    click.echo(f"Template: {write_template(path)}")


@main.command("export-dataset")
@click.argument("dataset", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@common
def export_dataset(dataset, path):
    """The CSV dataset folder DATASET as one workbook at PATH (usable as a study's inputs)."""
    from ..report.excel import export_dataset as export

    click.echo(f"Workbook: {export(dataset, path)}")


@main.command()
@study_argument
@common
def validate(study):
    """Check STUDY and its inputs; report every problem; build nothing."""
    from ..case import load_case
    from ..study import load_study

    from ..display import plural

    case = load_case(load_study(_study_path(study)))
    counts = ", ".join(plural(len(table), word) for table, word in (
        (case.materials, "material"), (case.sources, "source"), (case.facilities, "facility"),
        (case.scenarios, "scenario"), (case.years, "year")))
    click.echo(f"{case.study.name}: inputs valid ({counts})")
