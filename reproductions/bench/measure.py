"""``repro bench``: what the harness costs, measured in one run on one machine.

- **imports**: each framework (and the harness itself) imported in a fresh process;
- **check**: the whole ``repro check`` (every example, every framework, float64) in a
  fresh process, imports included;
- **loops**: for a few catalogue examples, each framework's bare training loop
  (``bare_<framework>.py``: the same layers, losses and optimiser, nothing recorded)
  against the same loop inside the harness (``run_framework``: the mirror recording
  every cost, gradient and parameter). Both mark the start of every step
  (``trace.step``), and a step's time is the median interval between two starts,
  step 0 left out: it carries a run's one-off costs (tracing a ``tf.function``, the
  source's step-0 printouts);
- **scale**: a 784-W-10 network on synthetic data (``scale_mlp/``), 20 steps, every
  framework and both dtypes, for W = 16 ... 1024: the bare step time, and the time
  recording and comparison add per step.

Every timing is the best of ``repeat`` runs (the least disturbed by other work on
the machine). The loops and the scale case run NumPy's BLAS on one thread, as the
adapters run torch, TensorFlow and JAX, so that all are timed alike
(``repro bench`` sets ``OPENBLAS_NUM_THREADS=1`` for itself; the full check runs
as a user runs it). Results go to ``results/bench/``: ``bench.md`` (tables and
provenance), ``bench.json`` (the same as data) and ``bench.png``.
"""

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

import frameworks

from .. import harness, spec
from ..parity import compare
from . import context, run
from .scale import scale_example

LOOP_EXAMPLES = ("hours_studied", "xor_hidden_layer", "test_scores")
WIDTHS = (16, 64, 256, 1024)
SCALE_STEPS = 20


def best_of(repeat: int, run) -> float:
    """The shortest wall time of ``repeat`` calls of ``run()``."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def in_fresh_process(code: str) -> float:
    """Wall time of ``code`` in a new Python, interpreter start-up excluded."""
    timed = f"import time\n_start = time.perf_counter()\n{code}\nprint(time.perf_counter() - _start)"
    done = subprocess.run([sys.executable, "-c", timed], capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def import_times(repeat: int) -> dict[str, float]:
    modules = {"harness (repro)": "import reproductions.cli", "numpy": "import numpy",
               "torch": "import torch", "tensorflow": "import tensorflow, keras",
               "jax": "import jax, optax"}
    return {name: min(in_fresh_process(code) for _ in range(repeat)) for name, code in modules.items()}


def full_check_time() -> float:
    """``repro check`` as a user runs it: NumPy's BLAS with its own thread count."""
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if "REPRO_BENCH_OPENBLAS_NUM_THREADS" in env:
        env["OPENBLAS_NUM_THREADS"] = env.pop("REPRO_BENCH_OPENBLAS_NUM_THREADS")
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "reproductions.cli", "check", "--out", out],
                       capture_output=True, check=True, env=env)
        return time.perf_counter() - start


@dataclass(frozen=True)
class LoopTiming:
    example: str
    framework: str
    dtype: str
    bare_per_step: float  # seconds
    harness_per_step: float
    ratio: float


def run_bare(example, framework: str, dtype: str, steps: int, on_step=None):
    return run(example.id, context(example, framework, dtype, steps, on_step))


def per_step(repeat: int, steps: int, run) -> float:
    """Seconds per step: the median interval between the starts of two steps, step 0
    left out; the best of ``repeat`` runs, after a warm-up run (imports)."""
    run(min(steps, 3), None)
    best = float("inf")
    for _ in range(repeat):
        starts = []
        run(steps, lambda step: starts.append(time.perf_counter()))
        best = min(best, float(np.median(np.diff(starts)[1:])))
    return best


def loop_timings(repeat: int) -> list[LoopTiming]:
    rows = []
    for example_id in LOOP_EXAMPLES:
        example = spec.load_example(spec.folders()[example_id])
        for framework in harness.frameworks_of(example):  # those it has a mirror in
            bare = per_step(repeat, example.steps,
                            lambda n, on_step: run_bare(example, framework, "float64", n, on_step))
            inside = per_step(repeat, example.steps, lambda n, on_step: harness.run_framework(
                example, framework, "float64", n, on_step=on_step))
            rows.append(LoopTiming(example_id, framework, "float64", bare, inside, inside / bare))
    return rows


@dataclass(frozen=True)
class ScaleTiming:
    width: int
    dtype: str
    framework: str
    parameters: int
    bare_per_step: float  # seconds
    harness_per_step: float  # the mirror with every value recorded
    compare_per_step: float  # this framework's trace against NumPy's (0 for NumPy)
    overhead: float  # (recording + comparison) / bare step
    passed: bool


def scale_timings(repeat: int, widths=WIDTHS) -> list[ScaleTiming]:
    rows = []
    for width in widths:
        example = scale_example(width)
        parameters = sum(int(np.prod(p.shape)) for p in example.init.params)
        for dtype in frameworks.DTYPES:
            recordings = {}
            for framework in harness.frameworks_of(example):
                bare = per_step(repeat, SCALE_STEPS,
                                lambda n, on_step: run_bare(example, framework, dtype, n, on_step))
                inside = per_step(repeat, SCALE_STEPS, lambda n, on_step: harness.run_framework(
                    example, framework, dtype, n, on_step=on_step))
                recordings[framework] = harness.run_framework(example, framework, dtype, SCALE_STEPS)
                compared, passed = 0.0, True
                if framework != "numpy":
                    parities = []
                    compared = best_of(repeat, lambda: parities.append(
                        compare(recordings["numpy"], recordings[framework], framework, dtype)))
                    passed = parities[-1].passed
                added = inside - bare + compared / SCALE_STEPS
                rows.append(ScaleTiming(width, dtype, framework, parameters, bare, inside,
                                        compared / SCALE_STEPS, added / bare, passed))
            recordings.clear()
    return rows


def provenance() -> dict:
    from ..report import machine_provenance

    versions = {name: frameworks.adapter(name).version() for name in frameworks.NAMES}
    return {**machine_provenance(versions), "processor": processor(), "cores": _cores(),
            "numpy_blas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "default")}


def processor() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


@dataclass
class Bench:
    provenance: dict
    imports: dict[str, float]
    check_seconds: float | None
    loops: list[LoopTiming]
    scale: list[ScaleTiming]


def measure(repeat: int = 3, widths=WIDTHS, check: bool = True, progress=print) -> Bench:
    progress("imports, each in a fresh process")
    imports = import_times(repeat)
    progress("repro check, in a fresh process")
    check_seconds = full_check_time() if check else None
    progress("bare loops against the harness")
    loops = loop_timings(repeat)
    progress("scale case")
    scale = scale_timings(repeat, widths)
    return Bench(provenance(), imports, check_seconds, loops, scale)


def markdown(bench: Bench) -> str:
    from ..report import md_table

    p = bench.provenance
    versions = ", ".join(f"{k} {v}" for k, v in p["frameworks"].items())
    lines = ["# Benchmark", "",
             f"Measured by `repro bench` on {p['processor']} ({p['cores']} cores), {p['platform']}, "
             f"Python {p['python']}; {versions}; commit {p['git_commit']}; {p['date']}. "
             "Each time is the best of the repeats; see `reproductions/bench/measure.py`.", ""]
    if bench.check_seconds is not None:
        lines += [f"**Full `repro check`** (every example, every framework it has a mirror in, "
                  f"float64, imports included): {bench.check_seconds:.1f} s.", ""]
    lines += ["## Imports (fresh process)", "",
              md_table(["module", "seconds"], [[k, f"{v:.2f}"] for k, v in bench.imports.items()]), ""]
    lines += ["## Training loops: bare and inside the harness", "",
              "A step's time is the median interval between the starts of two steps over the "
              "example's N steps, step 0 left out (it carries the one-off costs). *bare*: the "
              "same loop with nothing recorded (`bare_<framework>.py`); *harness*: the mirror "
              "recording every cost, gradient and parameter.", "",
              md_table(["example", "framework", "bare µs/step", "harness µs/step", "harness / bare"],
                       [[r.example, r.framework, f"{r.bare_per_step * 1e6:.1f}",
                         f"{r.harness_per_step * 1e6:.1f}", f"{r.ratio:.2f}"] for r in bench.loops]), ""]
    lines += ["## Scale: 784-W-10, batch 128, 20 steps", "",
              "Step times as above. *compare*: this framework's whole trace against "
              "NumPy's, per step. *overhead*: what recording every value and comparing it adds "
              "to a step, as a share of the bare step.", "",
              md_table(["W", "parameters", "dtype", "framework", "bare ms/step", "harness ms/step",
                        "compare ms/step", "overhead", "parity"],
                       [[r.width, r.parameters, r.dtype, r.framework, f"{r.bare_per_step * 1e3:.2f}",
                         f"{r.harness_per_step * 1e3:.2f}", f"{r.compare_per_step * 1e3:.2f}",
                         f"{r.overhead * 100:.1f}%", "agrees" if r.passed else "DIVERGES"]
                        for r in bench.scale]), ""]
    return "\n".join(lines)


def plot(bench: Bench) -> bytes:
    import io

    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 4))
    step_axis, share_axis = figure.subplots(1, 2)
    for framework, style in zip(frameworks.NAMES, ["-", "--", ":", "-."]):
        for dtype, marker in zip(frameworks.DTYPES, ["o", "s"]):
            rows = [r for r in bench.scale if r.framework == framework and r.dtype == dtype]
            widths = [r.width for r in rows]
            label = f"{framework} {dtype}"
            step_axis.plot(widths, [r.bare_per_step * 1e3 for r in rows], style, marker=marker, label=label)
            share_axis.plot(widths, [r.overhead * 100 for r in rows], style, marker=marker, label=label)
    for axis in (step_axis, share_axis):
        axis.set_xscale("log", base=2)
        axis.set_xlabel("hidden width W (784-W-10)")
    step_axis.set_yscale("log")
    step_axis.set_ylabel("bare step (ms)")
    step_axis.set_title("training step, nothing recorded")
    share_axis.set_ylabel("recording + comparison (% of the step)")
    share_axis.set_title("what the harness adds")
    share_axis.legend(fontsize=7)
    figure.subplots_adjust(left=0.07, right=0.98, bottom=0.14, top=0.9, wspace=0.25)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    return buffer.getvalue()


def write(bench: Bench, out: Path) -> None:
    from ..report import write_atomic

    data = asdict(bench)
    write_atomic(out / "bench.json", json.dumps(data, indent=2).encode())
    write_atomic(out / "bench.md", markdown(bench).encode())
    write_atomic(out / "bench.png", plot(bench))
