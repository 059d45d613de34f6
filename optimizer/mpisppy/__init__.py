"""Scale-out: progressive hedging over MPI ranks with mpi-sppy (`crmplan solve --engine mpisppy`).

    from optimizer.mpisppy import solve
    results = solve("models/tiny.yaml", ranks=3)     # same Results as optimizer.solve

Needs the optional dependencies (pip install 'crmplan[mpi]') and an MPI with mpiexec; see
docs/scale-out.md. `scenarios` is the model module mpi-sppy's generic_cylinders loads in every
rank, `driver` launches it and reads the plan back, `engine` turns that plan into Results.
"""
from .driver import EngineUnavailable
from .engine import solve, solve_case

__all__ = ["EngineUnavailable", "solve", "solve_case"]
