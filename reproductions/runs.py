"""Where each run happens, and that it happens once.

A run is one implementation of one example in one framework and dtype, for a number
of steps (``harness.run_framework``). :class:`Runs` hands out each run as a future and
keeps it, so that every caller asking for the same run (the claims and the float64
parity of one example, the tests of one session, the six items pytest collects from one
definition) shares one. Its key is the example's whole definition, the framework, the
dtype, the steps and the mode: free-running, step-local (every step from NumPy's
parameters) or the rounded replay.

NumPy runs in this process: it is the reference, cheap, and what every other run of an
example is compared with. Every other framework runs, with ``jobs`` above 1, in worker
processes by framework: a worker imports its framework once and runs every example
asked of it, in the order asked, so that torch, TensorFlow and JAX (seconds each to
import) are each imported once however many examples run, and train side by side
(the start values are drawn here and handed over with the run: a source's torch-drawn
weights import torch in no worker but torch's).
With fewer jobs than frameworks, frameworks share workers (the heaviest import alone
first). A worker writes its large records to files as it makes them and this process
reads each once (``OnDisk``), so that a large network's trace is never held twice, nor
by a worker at all; a worker ends as soon as its runs are done. Which process computes
a run changes none of its numbers: a run sets up its framework itself (dtype, threads,
deterministic kernels) and depends on nothing else.
"""

import concurrent.futures
import dataclasses
import hashlib
import multiprocessing
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import frameworks

from .engines import draws
from .execute import rounded_replay, run_framework
from .spec import Example
from .trace import KEEP_ALL, SPILL_BYTES, FileRows, Keep, Recording

# seconds to import, on the 2-core machine of results/bench: which frameworks a worker takes
IMPORT_WEIGHT = {"tensorflow": 5.0, "torch": 2.3, "jax": 1.5}
PROGRESS_EVERY = 0.25  # seconds between a worker's progress reports


def example_key(example: Example) -> str:
    """An example's identity for a run: a hash of its whole definition (its folder and
    file included)."""
    return hashlib.sha256(example.model_dump_json().encode()).hexdigest()


@dataclass(frozen=True)
class RunKey:
    example: str
    framework: str
    dtype: str
    steps: int
    mode: str  # "free_running", "step_local" or "replay"
    keep: Keep = KEEP_ALL


class InProcess(concurrent.futures.Executor):
    """An executor that runs what it is given at once, in this process."""

    def submit(self, fn, /, *args, **kwargs):
        future = concurrent.futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:  # noqa: BLE001 - handed to whoever waits on it
            future.set_exception(error)
        return future


def worker_groups(names: list[str], jobs: int) -> list[list[str]]:
    """The non-NumPy frameworks shared among at most ``jobs`` workers: each its own where
    there are workers enough; else the heaviest import first, each to the least loaded."""
    others = sorted((n for n in dict.fromkeys(names) if n != "numpy"),
                    key=lambda n: -IMPORT_WEIGHT.get(n, 1.0))
    count = min(jobs, len(others))
    if count < 1:
        return []
    groups, loads = [[] for _ in range(count)], [0.0] * count
    for name in others:
        least = loads.index(min(loads))
        groups[least].append(name)
        loads[least] += IMPORT_WEIGHT.get(name, 1.0)
    return groups


# --- in a worker process -------------------------------------------------------------

_reports = None  # the queue progress goes to, in a worker


def ignore_interrupts() -> None:
    """In a worker: Ctrl-C is the parent's to handle (it ends its workers)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _worker_start(reports) -> None:
    global _reports
    ignore_interrupts()
    _reports = reports


def steps_done(step: int, steps: int) -> int:
    """How many of a run's ``steps`` a trace at ``step`` has reached: step n is the
    (n+1)-th; the record after the last update (step ``steps``) adds none. A run of no
    step (step 0 alone) counts as one."""
    return min(step + 1, max(steps, 1))


def _reporter(example_id: str, framework: str, steps: int) -> Callable[[int], None] | None:
    if _reports is None:
        return None
    last = [0.0]

    def report(step: int) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY or step + 1 >= steps:
            last[0] = now
            _reports.put((example_id, framework, steps_done(step, steps), steps))
    return report


def _run(example: Example, framework: str, dtype: str, steps: int,
         reference: Recording | None, keep: Keep, folder: str, drawn: draws.Drawn) -> Recording:
    draws.remember(example.init, drawn)  # not drawn again here: torch is imported only to train
    recording = run_framework(example, framework, dtype, steps, reference=reference,
                              on_step=_reporter(example.id, framework, steps), keep=keep,
                              spill=folder)
    return to_disk(recording, folder)


# --- between processes: large arrays through files --------------------------------------

@dataclass(frozen=True)
class OnDisk:
    """An array a worker left in a file (raw float64, C order) in place of sending it
    through the pipe: pickled, a 400 MB record would be copied twice on each side and
    held twice at once; the worker writes its large records to files as it makes them
    (``trace.FileRows``), and this process reads each once."""

    path: str
    shape: tuple


def to_disk(recording: Recording, folder: str) -> Recording:
    """In a worker: the recording with each large array left in a file in ``folder``."""
    def saved(array):
        if isinstance(array, np.memmap) and array.filename:  # written there as recorded
            return OnDisk(array.filename, array.shape)
        if array is None or array.nbytes <= SPILL_BYTES:
            return array
        # kept in memory: its storage was made small, for its first record, and grew
        rows = FileRows(folder, array.shape[1:], len(array))
        rows[0:len(array)] = array
        rows.close()
        return OnDisk(rows.path, array.shape)
    return each_array(recording, saved)


def from_disk(recording):
    """In this process: a worker's recording with every array it left in a file read
    back (and the file removed); anything else as it is."""
    if not isinstance(recording, Recording):
        return recording

    def read(array):
        if not isinstance(array, OnDisk):
            return array
        try:
            return np.fromfile(array.path, dtype=np.float64).reshape(array.shape)
        finally:
            os.unlink(array.path)
    return each_array(recording, read)


def each_array(recording: Recording, change) -> Recording:
    """The recording with each series' values and terms (None where it has none) as
    ``change`` gives them."""
    return dataclasses.replace(recording, series={
        quantity: dataclasses.replace(series, values=change(series.values),
                                      terms=change(series.terms))
        for quantity, series in recording.series.items()})


# --- in this process -----------------------------------------------------------------

class Worker:
    """One worker process (a spawned interpreter: no framework state) running what it is
    given in turn, each call's result a future. ``close`` ends the process at once: it
    holds nothing once its results are in, and an interpreter that has loaded
    TensorFlow or JAX takes seconds to wind down."""

    def __init__(self, initializer=None, initargs=()):
        context = multiprocessing.get_context("spawn")
        self._pool = context.Pool(1, initializer=initializer, initargs=initargs)

    def submit(self, fn, /, *args) -> concurrent.futures.Future:
        future = concurrent.futures.Future()

        def settle(result) -> None:  # in the pool's thread: a failure must reach the future
            try:
                future.set_result(from_disk(result))
            except BaseException as error:  # noqa: BLE001 - handed to whoever waits on it
                future.set_exception(error)
        self._pool.apply_async(fn, args, callback=settle, error_callback=future.set_exception)
        return future

    def close(self) -> None:
        self._pool.terminate()
        self._pool.join()


class Runs:
    """Every run asked for, computed once (see the module's docstring). ``jobs`` 1 runs
    everything here; above 1, the frameworks of ``names`` get worker processes, started
    when first needed. ``progress(example_id, framework, done, steps)`` hears of a
    worker's steps as they go."""

    def __init__(self, jobs: int = 1, names: list[str] | None = None, progress=None,
                 spill_in: Path | None = None):
        self.jobs = jobs
        self._futures: dict[RunKey, concurrent.futures.Future] = {}
        self._here = InProcess()
        self._groups = worker_groups(list(names or frameworks.NAMES), jobs) if jobs > 1 else []
        self._workers: dict[int, Worker] = {}
        self._given: dict[int, list[concurrent.futures.Future]] = {}  # by worker group
        self._progress = progress
        self._reports = None
        self._listener = None
        # the folder workers write large arrays to, made when first needed in ``spill_in``
        # (a run's staging folder, which a run cut short leaves for the next to remove;
        # by default the system's temporary folder), removed when the runs close
        self._spill, self._spill_in = None, spill_in

    def _folder(self) -> str:
        if self._spill is None:
            self._spill = tempfile.mkdtemp(prefix=".runs-", dir=self._spill_in)
        return self._spill

    def _executor(self, framework: str) -> concurrent.futures.Executor:
        group = next((i for i, g in enumerate(self._groups) if framework in g), None)
        if group is None:
            return self._here
        if group not in self._workers:
            if self._progress is not None and self._reports is None:
                self._reports = multiprocessing.get_context("spawn").Queue()
                self._listener = threading.Thread(target=self._listen, daemon=True)
                self._listener.start()
            self._workers[group] = Worker(_worker_start, (self._reports,))
        return self._workers[group]

    def _listen(self) -> None:
        while True:
            report = self._reports.get()
            if report is None:
                return
            self._progress(*report)

    def run(self, example: Example, framework: str, dtype: str, steps: int,
            reference: Recording | None = None, keep: Keep = KEEP_ALL) -> concurrent.futures.Future:
        """A framework's run, step-local when NumPy's ``reference`` is given, keeping what
        ``keep`` keeps."""
        mode = "free_running" if reference is None else "step_local"
        key = RunKey(example_key(example), framework, dtype, steps, mode, keep)
        if key not in self._futures:
            executor = self._executor(framework)
            on_step = None
            if executor is self._here and self._progress is not None:
                on_step = lambda step: self._progress(example.id, framework,  # noqa: E731
                                                      steps_done(step, steps), steps)
            if executor is self._here:
                self._futures[key] = executor.submit(run_framework, example, framework, dtype,
                                                     steps, reference=reference, on_step=on_step,
                                                     keep=keep)
            else:
                self._futures[key] = executor.submit(_run, example, framework, dtype, steps,
                                                     reference, keep, self._folder(),
                                                     draws.draw_values(example.init))
                group = next(i for i, g in enumerate(self._groups) if framework in g)
                self._given.setdefault(group, []).append(self._futures[key])
        return self._futures[key]

    def replay(self, example: Example, steps: int, keep: Keep = KEEP_ALL) -> concurrent.futures.Future:
        """The rounded replay: NumPy in float64 with the printed intermediates rounded."""
        key = RunKey(example_key(example), "numpy", "float64", steps, "replay", keep)
        if key not in self._futures:
            self._futures[key] = self._here.submit(rounded_replay, example, steps, keep)
        return self._futures[key]

    def release_idle(self) -> None:
        """End every worker whose runs are all done: its framework's memory goes back to
        the machine while the others still work (one is started again if asked for more)."""
        for group, worker in list(self._workers.items()):
            if all(future.done() for future in self._given.get(group, [])):
                worker.close()
                del self._workers[group]
                self._given.pop(group, None)

    def gather(self, futures: dict) -> dict:
        """Each future's result by name, waited for in the order they end; a worker whose
        runs are all done ends as soon as they are, its memory back to the machine while
        the others still train."""
        for _ in concurrent.futures.as_completed(futures.values()):
            self.release_idle()
        return {name: future.result() for name, future in futures.items()}

    def forget(self, example: Example) -> None:
        """Drop an example's runs (once its results are written)."""
        key = example_key(example)
        for run in [k for k in self._futures if k.example == key]:
            del self._futures[run]

    def close(self) -> None:
        for worker in self._workers.values():
            worker.close()
        self._workers.clear()
        if self._spill is not None:
            shutil.rmtree(self._spill, ignore_errors=True)
            self._spill = None
        if self._reports is not None:
            self._reports.put(None)
            self._listener.join(timeout=5)
            self._reports.close()
            self._reports = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
