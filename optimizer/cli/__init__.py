"""`crmplan`: a thin click shell over the Python API (optimizer.run, optimizer.analysis,
optimizer.report). `app` holds the group `main` and the solve/report/export/validate
commands; `analysis` and `review` add the analysis commands to `main` when imported here, so
that no command module imports this package's `__init__` and none imports another's commands.
"""
from . import analysis, review  # noqa: F401  (they register their commands on `main`)
from .app import main
from .examples import add_examples

add_examples(main)    # after every command is registered

__all__ = ["main"]
