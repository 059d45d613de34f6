"""The commands of `crmplan` that review a model against the world: backtest (recorded events
replayed on the data as they stood) and ranges (which decisions the cost pins down). A thin
shell, like app.py, on whose group they register."""
from __future__ import annotations

from pathlib import Path

import click

from .app import _study_path, common, main, study_argument
from .options import analysis_options, out_option, run_analysis, show


@main.command("backtest")
@click.argument("replays", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@out_option("Analysis folder (must not exist or be empty). Default: "
            "results/backtest-<timestamp>.")
@common
def backtest_command(replays, out):
    """Replay recorded supply events on the data as they stood then and compare the EU's
    modelled accessible volume with its observed imports, per event-year. REPLAYS: replay
    studies (default: every file of models/backtest/)."""
    from ..analysis.backtest import backtest, replay_studies
    from ..report.writer import DEFAULT_ROOT, atomic_folder, run_dir

    frame = backtest(list(replays) or replay_studies())
    target = out if out is not None else run_dir("backtest", DEFAULT_ROOT)
    with atomic_folder(target) as folder:
        frame.to_csv(folder / "backtest.csv", index=False)
    click.echo(show(frame))
    click.echo(f"Backtest: {target}")


@main.command("ranges")
@study_argument
@click.option("--slack", type=click.FloatRange(min=0.0), default=0.01, show_default=True,
              help="Cost allowance over the optimum, as a fraction (0.01: plans within 1%).")
@click.option("--time-limit", "time_limit_s", type=click.FloatRange(min=0.1), default=60.0,
              show_default=True, help="Seconds per min/max solve; a MIP stopped early "
              "reports the best plan found and the proven bound.")
@click.option("--integers", type=click.Choice(["relaxed", "held", "mip"]), default="relaxed",
              show_default=True, help="relaxed: each min/max an LP over the LP relaxation "
              "(as PyPSA's MGA; contains the integer plans' range); held: an LP with units "
              "held at the chosen plan; mip: exact, a MIP per min/max (slow on the EU data).")
@analysis_options
@common
def ranges_command(study, slack, time_limit_s, integers, workers, out):
    """Near-optimal ranges: each key decision's min and max over the plans of STUDY that
    cost at most (1 + SLACK) times the optimum, and which decisions are firm."""
    import json

    from ..analysis.ranges import ranges, solve_count
    from ..report.analyses import firm_and_loose

    def work(case, folder, step):
        frame, summary = ranges(case, slack, workers, step, time_limit_s=time_limit_s,
                                integers=integers)
        (folder / "ranges.json").write_text(json.dumps(summary, indent=2) + "\n")
        return frame

    run_analysis(_study_path(study), "ranges", out, work, "solves", solve_count,
                 figure="near_optimal_ranges.png", note=firm_and_loose)
