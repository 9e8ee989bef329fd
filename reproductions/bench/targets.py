"""Whole commands timed as a user runs them, and the floors they are measured against.

Every command runs in a fresh process, as a user starts it, into a fresh results
folder, with JAX's compilation cache in a fresh folder (``REPRO_JAX_CACHE``): a first
run on a new machine, nothing reused from an earlier one. A timing is the wall time
and the CPU time (user + system, of the process and every process it started).

The floor of a check is the frameworks' own work in the same arrangement (``floor.py``):
one process per framework, all started at once, each importing its framework and
running every example's mirror with a recorder that keeps nothing, from start values
drawn before they start; its time is the wall time until the last one ends.
"""

import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import frameworks

LONG_DEFINITION = Path(__file__).parent / "definitions" / "sigmoid_2_2_2.toml"


@dataclass(frozen=True)
class Timing:
    wall: float  # seconds
    cpu: float  # seconds, user + system, children included


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def fresh_env(cache: str, **more) -> dict:
    """This process's environment for a timed command, with JAX's cache in ``cache``.
    PYTHONDONTWRITEBYTECODE is dropped: Python's default, which every user runs with,
    keeps the project's compiled modules (0.1 s a process to compile them again)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENBLAS_NUM_THREADS", "REPRO_KILL_AT", "PYTHONDONTWRITEBYTECODE")}
    if "REPRO_BENCH_OPENBLAS_NUM_THREADS" in env:  # the user's own setting, kept aside by bench
        env["OPENBLAS_NUM_THREADS"] = env.pop("REPRO_BENCH_OPENBLAS_NUM_THREADS")
    env["REPRO_JAX_CACHE"] = cache
    env.update(more)
    return env


def timed(argv: list[str], cwd: Path | None = None, env: dict | None = None) -> Timing:
    """One command, to its end: its wall and CPU time. A failing command is an error."""
    before = _children_cpu()
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}: "
                           f"{(done.stderr or done.stdout).strip()[-500:]}")
    return Timing(wall, _children_cpu() - before)


def repro(*args: str) -> list[str]:
    return [sys.executable, "-m", "reproductions.cli", *args]


def best(repeat: int, measure) -> Timing:
    """The run with the shortest wall time of ``repeat``: the least disturbed."""
    return min((measure() for _ in range(repeat)), key=lambda timing: timing.wall)


def repro_time(*args: str, out: bool = True) -> Timing:
    """``repro ARGS`` in a fresh process, into a fresh results folder when ``out``."""
    with tempfile.TemporaryDirectory() as folder:
        command = repro(*args, *(["--out", str(Path(folder) / "results")] if out else []))
        return timed(command, env=fresh_env(str(Path(folder) / "jax-cache")))


def floor_time(framework_args: dict[str, list[str]], dtype: str = "float64") -> Timing:
    """The floor processes (``floor.py``), one per framework with the given examples (or
    ``--spec FILE``), started at once: the wall time until the last ends."""
    from .floor import save_draws

    with tempfile.TemporaryDirectory() as folder:
        env = fresh_env(str(Path(folder) / "jax-cache"))
        draws = Path(folder) / "draws.pickle"
        save_draws(framework_args, draws)
        before = _children_cpu()
        start = time.perf_counter()
        processes = [subprocess.Popen([sys.executable, "-m", "reproductions.bench.floor",
                                       framework, dtype, str(draws), *args], env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                     for framework, args in framework_args.items()]
        errors = [(p.args, p.communicate()[1]) for p in processes]
        wall = time.perf_counter() - start
        failed = [f"{' '.join(args[3:5])}: {stderr.strip()[-300:]}"
                  for (args, stderr), p in zip(errors, processes) if p.returncode]
        if failed:
            raise RuntimeError("floor process failed: " + "; ".join(failed))
        return Timing(wall, _children_cpu() - before)


def catalogue_floor_args() -> dict[str, list[str]]:
    """Every framework's floor process over every catalogue example it has an implementation of."""
    from .. import harness, spec

    examples = [spec.load_example(folder) for folder in spec.folders().values()]
    return {name: [e.id for e in examples if name in harness.frameworks_of(e)]
            for name in frameworks.NAMES}


def definition_floor_args(path: Path = LONG_DEFINITION) -> dict[str, list[str]]:
    return {name: ["--spec", str(path)] for name in frameworks.NAMES}


def command_timings(repeat: int, progress=print) -> dict[str, dict]:
    """The target rows that time whole commands, each with its floor where it has one."""
    rows = {}
    progress("repro check (every example, four frameworks, float64) and its floor")
    rows["check"] = {"timing": best(repeat, lambda: repro_time("check")),
                     "floor": best(repeat, lambda: floor_time(catalogue_floor_args()))}
    progress("the long definition (10,000 steps of a 2-2-2 network) and its floor")
    rows["long_definition"] = {
        "timing": best(repeat, lambda: repro_time("check", "--spec", str(LONG_DEFINITION))),
        "floor": best(repeat, lambda: floor_time(definition_floor_args()))}
    progress("repro run hours_studied --frameworks numpy")
    rows["run_numpy"] = {"timing": best(repeat, lambda: repro_time(
        "run", "hours_studied", "--frameworks", "numpy"))}
    progress("repro list")
    rows["list"] = {"timing": best(repeat, lambda: repro_time("list", out=False))}
    return rows


def suite_timing(jobs: str = "auto") -> Timing:
    """``make test``'s test command (pytest on every test, ``-n auto``), setup excluded."""
    root = Path(__file__).resolve().parents[2]
    with tempfile.TemporaryDirectory() as folder:
        return timed([sys.executable, "-m", "pytest", "-n", jobs, "-q", "-p", "no:cacheprovider"],
                     cwd=root, env=fresh_env(str(Path(folder) / "jax-cache")))


def large_definition(width: int = 512, steps: int = 50, batch: int = 128) -> str:
    """A 784-``width``-10 ReLU/softmax definition file's text: a batch of synthetic inputs
    (standard normal, six digits) and one-hot labels drawn from ``RandomState(0)``, start
    values drawn with seed 1, the multiclass NLL averaged, ``steps`` steps of gradient
    descent. No claims: it is there to be timed."""
    import numpy as np

    draws = np.random.RandomState(0)
    X = draws.standard_normal((batch, 784))
    Y = np.eye(10, dtype=int)[draws.randint(0, 10, batch)]

    def rows(array, form) -> str:
        return "[" + ", ".join("[" + ", ".join(form(v) for v in row) + "]" for row in array) + "]"

    return "\n".join([
        'id = "mlp_784_512_10"'.replace("512", str(width)),
        f'title = "784-{width}-10 network, {batch} synthetic inputs, {steps} steps"',
        f"steps = {steps}", "", "[source]", 'seed = "bench"',
        'section = "a large definition for timing and memory"', "", "[network]",
        'layout = "rows"', "inputs = 784", 'cost = "multiclass_nll_mean"',
        f'layers = [{{ units = {width}, activation = "relu" }}, '
        '{ units = 10, activation = "softmax" }]', "", "[hyper]", "learning_rate = 0.1", "",
        "[data]", f"X = {rows(X, lambda v: f'{v:.6f}')}", f"Y = {rows(Y, str)}", "", "[init]",
        "seed = 1", "params = [",
        f'  {{ name = "W1", randn = [784, {width}], scale = "1/sqrt(784)" }},',
        f'  {{ name = "b1", value = [{", ".join(["0.0"] * width)}] }},',
        f'  {{ name = "W2", randn = [{width}, 10], scale = "1/sqrt({width})" }},',
        '  { name = "b2", value = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0] },',
        "]", ""])


def process_tree_memory(pid: int) -> tuple[int, int]:
    """(the largest resident memory of one process, the memory of all of them) over ``pid``
    and every process below it, in bytes, as /proc says now (0, 0 where it cannot be
    read). All of them is the sum of their proportional set sizes: a page two processes
    share (a library both map) counts half in each, so that it is counted once."""
    largest, total, pending = 0, 0, [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            rollup = Path(f"/proc/{current}/smaps_rollup").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        largest = max(largest, kilobytes(status, "VmRSS:"))
        total += kilobytes(rollup, "Pss:")
        pending.extend(int(child) for child in children)
    return largest, total


def kilobytes(text: str, field: str) -> int:
    """A /proc field given in kB, in bytes (0 where it is missing)."""
    return next((int(line.split()[1]) * 1024 for line in text.splitlines()
                 if line.startswith(field)), 0)


def large_definition_timing() -> dict:
    """``repro check --spec`` of the large definition, the numerical column off: its wall
    time and the peak memory of its largest process and of all of them together (sampled
    every 0.2 s from /proc)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "mlp_784_512_10.toml"
        path.write_text(large_definition(), encoding="utf-8")
        command = repro("check", "--spec", str(path), "--gradient-steps", "none", "--out",
                        str(Path(folder) / "results"))
        start = time.perf_counter()
        process = subprocess.Popen(command, env=fresh_env(str(Path(folder) / "jax-cache")),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        largest = total = 0
        while process.poll() is None:
            one, every = process_tree_memory(process.pid)
            largest, total = max(largest, one), max(total, every)
            time.sleep(0.2)
        wall = time.perf_counter() - start
        if process.returncode != 0:
            raise RuntimeError(f"the large definition exited {process.returncode}: "
                               f"{process.stderr.read()[-500:]}")
        return {"wall": wall, "largest_process": largest, "all_processes": total}
