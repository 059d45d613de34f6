"""Options and displays shared by the analysis commands (analysis.py, review.py)."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from ..display import show  # noqa: F401 - the tables of every command, in planner units


def _is_option(token: str) -> bool:
    try:
        float(token)
        return False
    except ValueError:
        return token.startswith("-")


class Greedy(click.Option):
    """An option that takes every argument up to the next option: --values 0.8 1.0 1.2."""

    def add_to_parser(self, parser, ctx):
        super().add_to_parser(parser, ctx)
        for name in self.opts:
            option = parser._long_opt.get(name)
            if option is None:
                continue
            take = option.process

            def process(value, state, take=take):
                values = [value]
                while state.rargs and not _is_option(state.rargs[0]):
                    values.append(state.rargs.pop(0))
                take(tuple(values), state)

            option.process = process


def _checked_out(ctx, param, value):
    """--out is refused before any work when it cannot be written (writer.check_out)."""
    from ..report.writer import OutputExists, OutputUnwritable, check_out

    try:
        check_out(value)
    except (OutputExists, OutputUnwritable) as exc:
        raise click.BadParameter(str(exc), ctx, param) from None
    return value


def out_option(help_text: str):
    """--out, checked before any work: a usage error (exit 2) if it exists and is not empty,
    lies under a file or in a folder that cannot be written."""
    return click.option("--out", type=click.Path(path_type=Path), callback=_checked_out,
                        help=help_text)


def analysis_options(fn):
    """--workers and --out of the analyses."""
    fn = click.option("--workers", type=click.IntRange(min=1),
                      help="Parallel solver processes (default: min(solves, cores)).")(fn)
    return out_option("Analysis folder (must not exist or be empty). "
                      "Default: results/<study>-<analysis>-<timestamp>.")(fn)


class ProgressDisplay:
    """A progress bar on a terminal, else log lines with the time left (optimizer.progress);
    `with ProgressDisplay(label, n) as step:` and call step() once per finished item."""

    def __init__(self, label: str, length: int):
        self.label, self.length, self.bar = label, length, None

    def __enter__(self):
        if not sys.stderr.isatty():
            from ..progress import Progress

            return Progress(self.length, self.label)
        self.bar = click.progressbar(length=self.length, label=self.label, file=sys.stderr)
        bar = self.bar.__enter__()
        return lambda: bar.update(1)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.__exit__(*exc)


def run_analysis(study: Path, kind: str, out: Path | None, work, unit: str, total,
                 figure: str | None = None, note=None) -> None:
    """The shell every analysis command shares: load STUDY; in an atomic output folder
    (`out`, else results/<study>-<kind>-<time>) run `work(case, folder, step)` under a
    progress display of `total(case)` `unit`s; write <kind>.csv (and `figure`); print the
    table, `note(frame)` when given, and where it went."""
    from ..analysis.parallel import analysis_dir
    from ..case import load_case
    from ..report.writer import atomic_folder
    from ..study import load_study

    case = load_case(load_study(study))
    target = analysis_dir(case.study.name, kind, out)
    with atomic_folder(target) as folder, ProgressDisplay(unit, total(case)) as step:
        frame = work(case, folder, step)
        frame.to_csv(folder / f"{kind}.csv", index=False)
        if figure:
            save_figure(folder, kind, frame, figure)
    click.echo(show(frame))
    if note is not None:
        click.echo(note(frame))
    click.echo(f"{kind.capitalize()}: {target}")


def save_figure(folder: Path, kind: str, frame, name: str) -> None:
    """The figure of an analysis table (report.analysis_figures) as folder/figures/`name`."""
    from ..report import analysis_figures

    (folder / "figures").mkdir()
    for chart in analysis_figures(kind, frame):
        chart.figure.savefig(folder / "figures" / name, dpi=150)
