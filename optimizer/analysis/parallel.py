"""Independent solves in parallel processes, and the folder an analysis writes.

HiGHS fixes its thread count once per process, so parallelism is
by processes: `workers` processes each solve with threads = max(1, cores // workers), and
cores are never oversubscribed. Worker processes start from a fork server, clean of any
HiGHS threads of the parent. With one worker the tasks run in this process, in order.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Sequence

from ..report.writer import DEFAULT_ROOT, run_dir

log = logging.getLogger(__name__)
WATCH_S = 0.5      # how often a worker checks that the process that started it is alive


def cores() -> int:
    """The CPU cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def allocate(tasks: int, workers: int | None = None) -> tuple[int, int]:
    """(worker processes, HiGHS threads per solve): workers default to min(tasks, cores)."""
    workers = max(1, min(workers or cores(), max(tasks, 1)))
    return workers, max(1, cores() // workers)


def run_all(task: Callable, items: Sequence, workers: int,
            progress: Callable[[], None] | None = None) -> list:
    """[task(item) for item in items], in `workers` processes; `progress()` after each."""
    with kept_workers(workers) as run:
        return run(task, items, progress)


@contextmanager
def kept_workers(workers: int, initializer: Callable | None = None, initargs: tuple = ()):
    """A `run(task, items, progress)` like run_all on `workers` processes kept for several
    calls, each started by `initializer(*initargs)` (a model it builds once and keeps, say).
    With one worker everything runs in this process."""
    if workers <= 1:
        if initializer is not None:
            initializer(*initargs)
        yield _in_order
        return
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["optimizer.run", "optimizer.analysis"])
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_start_worker,
                             initargs=(os.getpid(), initializer, initargs)) as pool:
        yield lambda task, items, progress=None: _collect(pool, task, items, progress)


def _start_worker(parent: int, initializer: Callable | None, initargs: tuple) -> None:
    """A worker's start: it ends itself within a second of the process that started the pool
    (a run killed outright, which could not stop its workers, leaves none solving on), then
    runs `initializer(*initargs)`."""
    def watch():
        while True:
            time.sleep(WATCH_S)
            try:
                os.kill(parent, 0)
            except ProcessLookupError:
                os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
    if initializer is not None:
        initializer(*initargs)


def _in_order(task: Callable, items: Sequence, progress: Callable[[], None] | None = None):
    out = []
    for item in items:
        out.append(task(item))
        if progress:
            progress()
    return out


def _collect(pool: ProcessPoolExecutor, task: Callable, items: Sequence,
             progress: Callable[[], None] | None) -> list:
    out = [None] * len(items)
    futures = {pool.submit(task, item): i for i, item in enumerate(items)}
    try:
        for future in as_completed(futures):
            out[futures[future]] = future.result()
            if progress:
                progress()
    except BaseException:     # one failure (or Ctrl-C, SIGTERM) stops the rest
        pool.shutdown(wait=False, cancel_futures=True)
        for worker in multiprocessing.active_children():     # mid-solve ones too
            worker.terminate()
        raise
    return out


def solve_many(task: Callable, jobs: Sequence[tuple], workers: int | None = None,
               progress: Callable[[], None] | None = None, what: str = "solves") -> list:
    """[task(job) for job in jobs], each job a tuple whose first item is a Case: the jobs
    share the cores (`allocate`), each Case given its HiGHS threads, in worker processes.
    The log says "N `what` on W workers, T HiGHS threads each" before the first solve."""
    workers, threads = allocate(len(jobs), workers)
    log.info("%d %s on %d workers, %d HiGHS threads each", len(jobs), what, workers, threads)
    jobs = [(job[0].with_solver(threads=threads), *job[1:]) for job in jobs]
    return run_all(task, jobs, workers, progress)


def analysis_dir(study_name: str, kind: str, out: Path | None) -> Path:
    """`out`, or results/<study>-<kind>-<timestamp>."""
    if out is not None:
        return Path(out)
    return run_dir(f"{study_name}-{kind}", DEFAULT_ROOT)
