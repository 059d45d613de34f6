"""Planner analyses over solved plans; every function returns pandas DataFrames.

    sweep, tornado         sensitivity of cost and decisions to study keys and input columns
    compare                strategies (presets, strategy files) side by side, evaluated alike
    frontier               the expected-cost / risk Pareto frontier (epsilon-constraint)
    stochastic_value       RP, EEV, WS, VSS and EVPI
    stress                 a held plan against Monte Carlo disruptions it never saw
    replan                 re-optimise from a year with the earlier decisions kept
"""
from .compare import compare
from .disruptions import Events, load_events
from .frontier import frontier
from .plan import load_run, plan_of
from .replan import replan
from .strategy import Strategy, available, load_strategy
from .stress import stress
from .sweep import sweep, tornado
from .value import stochastic_value

__all__ = ["Events", "Strategy", "available", "compare", "frontier", "load_events", "load_run",
           "load_strategy", "plan_of", "replan", "stochastic_value",
           "stress", "sweep", "tornado"]
