"""The analysis commands of `crmplan` (optimizer.analysis): sweep, compare, frontier, value,
stress, replan, prioritize, saa (backtest and ranges: review.py). A thin shell, like app.py,
on whose group they register."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from .app import DEFAULT_STUDY, _study_path, common, main, study_argument
from .options import (Greedy, ProgressDisplay, analysis_options, out_option, run_analysis,
                          show)
from ..display import money, share, show_compare
from ..errors import InputError


@main.command("sweep")
@study_argument
@click.option("--param", "params", multiple=True, required=True,
              help="A study key (policy.max_country_share) or an input column scaled by a "
              "factor (sources.price_eur_per_t[country=cn]). Repeat for a grid.")
@click.option("--values", "values", cls=Greedy, multiple=True, required=True,
              type=click.UNPROCESSED, help="The values of the --param before it (a key's "
              "values, or factors), space- or comma-separated.")
@click.option("--tornado", is_flag=True, help="One at a time: each --param at its two "
              "--values (low high), the others at the study's; rank by the cost swing.")
@analysis_options
@common
def sweep_command(study, params, values, tornado, workers, out):
    """Solve STUDY at every point of a one-way or grid sweep (or a tornado). Give STUDY
    first: --values takes every argument up to the next option."""
    import math

    from ..analysis import sweep, tornado as one_at_a_time
    from ..analysis.parallel import analysis_dir
    from ..analysis.params import parse_values
    from ..case import load_case
    from ..errors import Problem
    from ..report.writer import atomic_folder
    from ..study import load_study

    lists = [parse_values(v) for v in values]
    if len(lists) != len(params) or (tornado and any(len(v) != 2 for v in lists)):
        raise InputError([Problem("--values", None, None, None, "one --values list per --param"
                                  + (", of two values (low high) each" if tornado else ""))])
    case = load_case(load_study(_study_path(study)))
    n = 1 + 2 * len(params) if tornado else math.prod(len(v) for v in lists)
    target = analysis_dir(case.study.name, "sweep", out)
    with atomic_folder(target) as folder, ProgressDisplay("points", n) as step:
        if tornado:
            ranking, points = one_at_a_time(case, {p: tuple(v) for p, v in zip(params, lists)},
                                            workers, folder, step)
            ranking.to_csv(folder / "tornado.csv", index=False)
        else:
            points = sweep(case, dict(zip(params, lists)), workers, folder, step)
        points.to_csv(folder / "sweep.csv", index=False)
    click.echo(show(ranking if tornado else points))
    click.echo(f"Sweep: {target}")


@main.command("compare")
@study_argument
@click.argument("strategies", nargs=-1)
@analysis_options
@common
def compare_command(study, strategies, workers, out):
    """Strategies side by side on STUDY's data. STRATEGY: a strategy file, a name in
    models/strategies/, or a preset study of models/ (default: every file of
    models/strategies/). The study's own optimum comes first."""
    from ..analysis import available, compare, load_strategy
    from ..analysis.parallel import analysis_dir
    from ..case import load_case
    from ..report.writer import atomic_folder
    from ..study import load_study

    base = load_study(_study_path(study))
    chosen = [load_strategy(name, base) for name in strategies or available(base)]
    case = load_case(base)
    target = analysis_dir(base.name, "compare", out)
    with atomic_folder(target) as folder, ProgressDisplay("strategies", len(chosen) + 1) \
            as step:
        frame = compare(case, chosen, workers, folder, step)
        frame.to_csv(folder / "compare.csv", index=False)
    click.echo(show_compare(frame))
    click.echo(f"Compare: {target}")


@main.command("frontier")
@study_argument
@click.option("--risk", type=click.Choice(["cvar", "shortfall"]), default="cvar",
              show_default=True, help="CVaR of cost (at risk.alpha) or expected shortfall [t].")
@click.option("--material", help="Expected shortfall of this material only (--risk shortfall).")
@click.option("--points", type=click.IntRange(min=1), default=5, show_default=True)
@analysis_options
@common
def frontier_command(study, risk, material, points, workers, out):
    """The expected-cost / risk Pareto frontier of STUDY (epsilon-constraint)."""
    from ..analysis import frontier

    run_analysis(_study_path(study), "frontier", out, lambda case, folder, step: frontier(
        case, risk, points, material, workers, folder, step), "points", lambda _: points)


def _plain_analysis(kind: str, help: str, work, unit: str, total, figure: str | None = None):
    """Register `crmplan KIND STUDY [--workers N] [--out DIR]`: `work(case, workers, step)`
    makes its table (run_analysis)."""
    @main.command(kind, help=help)
    @study_argument
    @analysis_options
    @common
    def command(study, workers, out):
        run_analysis(_study_path(study), kind, out,
                     lambda case, _, step: work(case, workers, step), unit, total, figure)
    return command


def _value(case, workers, step):
    from ..analysis import stochastic_value

    return stochastic_value(case, workers, step)


def _prioritize(case, workers, step):
    from ..analysis.prioritize import prioritize

    return prioritize(case, workers, step)


def _prioritize_solves(case) -> int:
    from ..analysis.prioritize import solve_count

    return solve_count(case)


_plain_analysis("value", "The value of the stochastic solution (VSS) and of perfect "
                "information (EVPI).", _value, "solves",
                lambda case: len(case.scenario_ids) + 2)     # RP, EV and each scenario alone
_plain_analysis("prioritize", "Rank the levers of every material by euros per tonne of "
                "expected shortfall avoided.", _prioritize, "solves", _prioritize_solves,
                figure="cost_curve.png")


@main.command("stress")
@click.argument("source", required=False, type=click.Path(exists=True, path_type=Path))
@click.option("--samples", type=click.IntRange(min=1), default=200, show_default=True,
              help="Monte Carlo samples.")
@click.option("--seed", type=int, default=1, show_default=True,
              help="Seed of the sampler: the same seed gives the same samples.")
@click.option("--events", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Disruption rules (YAML); default: the dataset's events.csv, else "
                   "5%/yr per non-EU country.")
@click.option("--training", is_flag=True, help="Replay the study's own scenarios instead.")
@click.option("--level", type=click.FloatRange(0.5, 0.999), default=0.95, show_default=True,
              help="Confidence level of the intervals.")
@out_option("Analysis folder.")
@common
def stress_command(source, samples, seed, events, training, level, out):
    """Hold the plan of SOURCE (a study, solved first, or a run folder) and solve its second
    stage in Monte Carlo disruption samples it never saw."""
    from ..analysis import load_events, plan_of, stress
    from ..analysis.parallel import analysis_dir
    from ..report.writer import atomic_folder

    case, plan = plan_of(source or DEFAULT_STUDY)
    target = analysis_dir(case.study.name, "stress", out)
    n = len(case.scenario_ids) if training else samples
    with atomic_folder(target) as folder, ProgressDisplay("samples", n) as step:
        frame, summary = stress(case, plan, samples, seed, load_events(events, case), training,
                                level, progress=step)
        frame.to_csv(folder / "stress.csv", index=False)
        summary.to_csv(folder / "stress_summary.csv", index=False)
    click.echo(show(summary))
    click.echo(f"Stress: {target}")


@main.command("replan")
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--year", type=int, required=True, help="First year whose decisions may change.")
@click.option("--study", "new_study", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The new assumptions (default: the run's own study).")
@out_option("Analysis folder.")
@common
def replan_command(run_dir, year, new_study, out):
    """Re-optimise the plan of RUN_DIR from YEAR on, the decisions before YEAR kept."""
    from ..analysis import load_run, replan
    from ..analysis.parallel import analysis_dir
    from ..case import load_case
    from ..plan import Plan
    from ..report.text import plain_summary
    from ..report.writer import atomic_folder, write
    from ..study import load_study

    old, old_study = load_run(run_dir)
    old_case = load_case(old_study)
    case = load_case(load_study(new_study)) if new_study else old_case
    results, changes = replan(case, Plan.of(old, old_case), year)
    target = analysis_dir(case.study.name, f"replan-{year}", out)
    with atomic_folder(target) as folder:
        write(results, folder / "plan")
        changes.to_csv(folder / "replan.csv", index=False)
    click.echo(plain_summary(results))
    click.echo(f"Changes from {year}:\n" + (show(changes) if len(changes) else "none"))
    click.echo(f"Replan: {target}")
    if results.status == "infeasible":
        from ..diagnostics import summarize_conflicts
        click.echo("Infeasible with the decisions before the replan year held; these policy "
                   "rows cannot all be met:", err=True)
        for line in summarize_conflicts(results.conflicts):
            click.echo(f"  - {line}", err=True)
    if not results.ok:
        sys.exit(1)


@main.command("saa")
@study_argument
@click.option("--samples", type=click.IntRange(min=2), default=20, show_default=True,
              help="Sampled scenarios per SAA problem (N).")
@click.option("--replications", type=click.IntRange(min=2), default=10, show_default=True,
              help="Independent SAA problems that estimate the gap (R).")
@click.option("--candidate-samples", type=click.IntRange(min=2), default=None,
              help="Sampled scenarios of the problem that chooses the candidate plan, on a "
              "sample of its own (default: --samples).")
@click.option("--evaluate", type=click.IntRange(min=2), default=500, show_default=True,
              help="Independent samples on which the candidate is evaluated (N').")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--events", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Disruption rules (YAML); default: the dataset's events.csv, else every "
                   "non-EU country, 5% a year.")
@click.option("--level", type=click.FloatRange(0.5, 0.999), default=0.95, show_default=True,
              help="Level of each one-sided bound.")
@click.option("--stratified", is_flag=True,
              help="Latin hypercube on the event starts of every SAA sample (study key "
              "sample.stratified).")
@click.option("--draw", type=click.IntRange(min=2), default=None,
              help="Draw this many paths for the candidate's problem and reduce them to its "
              "sample size by forward selection (study key sample.draw).")
@analysis_options
@common
def saa_command(study, samples, replications, candidate_samples, evaluate, seed, events, level,
                stratified, draw, workers, out):
    """Sample average approximation of STUDY: a candidate plan, a confidence bound on its
    optimality gap and an interval on the optimal expected cost (Mak, Morton and Wood)."""
    import json

    from ..analysis.disruptions import load_events
    from ..analysis.parallel import analysis_dir
    from ..analysis.saa import saa
    from ..case import load_case
    from ..report.writer import atomic_folder
    from ..study import load_study

    case = load_case(load_study(_study_path(study)))
    if draw is not None and draw < (candidate_samples or samples):
        from ..errors import InputError, Problem
        raise InputError([Problem("command line", None, "--draw", draw,
                                  f"at least the candidate's sample size "
                                  f"{candidate_samples or samples}")])
    frame, bounds = saa(case, load_events(events, case), samples, replications, evaluate, seed, level,
                        workers, candidate_samples, stratified, draw)
    target = analysis_dir(case.study.name, "saa", out)
    with atomic_folder(target) as folder:
        frame.to_csv(folder / "saa.csv", index=False)
        (folder / "saa.json").write_text(json.dumps(bounds, indent=2) + "\n")
    click.echo(show(frame))
    click.echo(f"{money(bounds['lower_bound_eur'])} <= optimal expected cost <= "
               f"{money(bounds['upper_bound_eur'])} at {share(bounds['interval_level'], 0)} "
               f"(each bound {share(level, 0)})")
    click.echo(f"candidate plan: expected cost {money(bounds['candidate_cost_eur'])}, "
               f"optimality gap <= {money(bounds['gap_bound_eur'])} "
               f"({share(bounds['gap_share'], 2)}) at {share(level, 0)}")
    click.echo(f"SAA: {target}")
