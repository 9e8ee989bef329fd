"""``repro bench``: what the harness costs, measured in one run on one machine, beside
the floor it is measured against and the figures of ``baseline.json`` (the same
measures taken on the code before it was made fast, on the same machine).

- **targets**: the whole commands a user runs, each in a fresh process with a fresh
  results folder and a fresh JAX compilation cache (``targets.py``): the full check
  and a 10,000-step definition, each beside its floor (every framework imported once
  and every mirror run with a recorder that keeps nothing, in the same processes:
  ``floor.py``); ``repro run hours_studied --frameworks numpy``; ``repro list``; a
  784-512-10 definition of 50 steps with the numerical column off (wall time, and the
  peak memory of its largest process and of all its processes together); with
  ``--suite`` the test suite as ``make test`` runs it;
- **profile**: where the time of the full check and of the long definition goes, by
  phase (``profile.py``), each run in one process (``--jobs 1``): its CPU time;
- **loops**: for three catalogue examples, each framework's bare training loop
  (``bare_<framework>.py``: the same layers, losses, optimiser and loop, nothing
  recorded) against the mirror inside the harness (``run_framework``, every cost,
  gradient and parameter recorded). A step's time is the difference of two whole runs,
  of at least 5000 steps (more, until the bare loop's steps take 0.3 s) and of a tenth
  of them, over the difference in steps: what a
  run costs once (set-up, compiling a loop, the step-0 printouts) cancels, and a loop
  the framework compiles, which returns to Python only at its end, is timed as it runs;
- **scale**: a 784-W-10 network (``scale_mlp/``), 40 steps, each framework and dtype:
  the bare step, the step inside the harness, and what recording and comparing add.

Every timing is the best of ``repeat`` runs (the least disturbed by other work on the
machine). The loops and the scale case run NumPy's BLAS on one thread, as the adapters
run torch, TensorFlow and JAX (``repro bench`` sets ``OPENBLAS_NUM_THREADS=1`` for
itself; the commands run as a user runs them). Results go to ``results/bench/``:
``bench.md`` (tables and provenance), ``bench.json`` (the same as data), ``bench.png``.
"""

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

import frameworks

from .. import harness, spec
from ..parity import compare
from . import context, run, targets
from .scale import scale_example

LOOP_EXAMPLES = ("hours_studied", "xor_hidden_layer", "test_scores")
LOOP_STEPS = 5000  # the loops are timed over at least this many steps
LOOP_SECONDS = 0.3  # and over enough that a run takes this much longer than a tenth of it
LOOP_MOST = 1_000_000  # but no more steps than this
WIDTHS = (16, 64, 256, 1024)
SCALE_STEPS = 40
BASELINE = Path(__file__).resolve().parents[2] / "results" / "bench" / "baseline.json"


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


@dataclass(frozen=True)
class LoopTiming:
    example: str
    framework: str
    dtype: str
    bare_per_step: float  # seconds
    harness_per_step: float
    ratio: float
    steps: int  # of the longer run of each pair


def run_bare(example, framework: str, dtype: str, steps: int):
    return run(example.id, context(example, framework, dtype, steps))


def enough_steps(steps: int, run) -> int:
    """``steps``, or ten, a hundred... times as many (at most LOOP_MOST), until a run of
    them takes LOOP_SECONDS longer than a run of a tenth of them. A loop a framework
    compiles to a microsecond a step then outgrows what a run costs once (tracing and
    compiling it, about 0.1 s) and that cost's jitter, which at 5000 steps made JAX's
    per-step times anything from NaN to 157 times the bare loop's."""
    while steps * 10 <= LOOP_MOST:
        start = time.perf_counter()
        run(max(1, steps // 10))
        middle = time.perf_counter()
        run(steps)
        if (time.perf_counter() - middle) - (middle - start) >= LOOP_SECONDS:
            break
        steps *= 10
    return steps


def per_step(repeat: int, steps: int, run) -> float:
    """Seconds per step: (whole run of ``steps`` - whole run of a tenth of them) over the
    steps between, each the best of ``repeat`` runs after a warm-up of both."""
    few = max(1, steps // 10)
    run(few)
    run(steps)
    long = best_of(repeat, lambda: run(steps))
    short = best_of(repeat, lambda: run(few))
    return (long - short) / (steps - few) if long > short else float("nan")  # NaN: lost in noise


def loop_timings(repeat: int) -> list[LoopTiming]:
    rows = []
    for example_id in LOOP_EXAMPLES:
        example = spec.load_example(spec.folders()[example_id])
        for framework in harness.frameworks_of(example):  # those it has a mirror in
            # as many steps for both, enough that the bare loop's steps show
            steps = enough_steps(max(example.steps, LOOP_STEPS),
                                 lambda n: run_bare(example, framework, "float64", n))
            bare = per_step(repeat, steps, lambda n: run_bare(example, framework, "float64", n))
            inside = per_step(repeat, steps, lambda n: harness.run_framework(
                example, framework, "float64", n))
            rows.append(LoopTiming(example_id, framework, "float64", bare, inside,
                                   inside / bare if bare > 0 else float("nan"), steps))
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
        parameters = sum(int(np.prod(shape)) for shape in example.init.shapes().values())
        for dtype in frameworks.DTYPES:
            recordings = {}
            for framework in harness.frameworks_of(example):
                bare = per_step(repeat, SCALE_STEPS,
                                lambda n: run_bare(example, framework, dtype, n))
                inside = per_step(repeat, SCALE_STEPS, lambda n: harness.run_framework(
                    example, framework, dtype, n))
                recordings[framework] = harness.run_framework(example, framework, dtype, SCALE_STEPS)
                compared, passed = 0.0, True
                if framework != "numpy":
                    parities = []
                    compared = best_of(repeat, lambda: parities.append(
                        compare(recordings["numpy"], recordings[framework], framework, dtype)))
                    passed = parities[-1].passed
                added = inside - bare + compared / SCALE_STEPS
                rows.append(ScaleTiming(width, dtype, framework, parameters, bare, inside,
                                        compared / SCALE_STEPS,
                                        added / bare if bare > 0 else float("nan"), passed))
            recordings.clear()
    return rows


def profiles() -> dict[str, dict]:
    """Where the time of the full check and of the long definition goes, by phase: each
    profiled in a fresh process, in one process (--jobs 1), into a fresh results folder."""
    found = {}
    for name, args in (("check", ["check"]),
                       ("long_definition", ["check", "--spec", str(targets.LONG_DEFINITION)])):
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder) / "profile.json"
            subprocess.run([sys.executable, "-m", "reproductions.bench.profile", str(out), "--",
                            *args, "--jobs", "1", "--out", str(Path(folder) / "results")],
                           env=targets.fresh_env(str(Path(folder) / "jax-cache")),
                           capture_output=True, text=True, check=True)
            found[name] = json.loads(out.read_text())
    return found


def provenance() -> dict:
    from ..report import machine_provenance

    versions = {name: frameworks.adapter(name).version() for name in frameworks.NAMES}
    return {**machine_provenance(versions), "processor": processor(), "cores": _cores(),
            "numpy_blas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "default"),
            "python_bytecode": "cached (commands run without PYTHONDONTWRITEBYTECODE)"}


def processor() -> str:
    """The CPU's name, family and model, and whether it has AVX-512: machines sold under
    one name ("AMD EPYC") differ by half in how long an import or a step takes."""
    try:
        fields = dict(line.split(":", 1) for line in
                      Path("/proc/cpuinfo").read_text().split("\n\n")[0].splitlines() if ":" in line)
    except OSError:
        return platform.processor() or "unknown"
    fields = {key.strip(): value.strip() for key, value in fields.items()}
    avx512 = "with" if "avx512f" in fields.get("flags", "").split() else "without"
    return (f"{fields.get('model name', 'unknown')}, family {fields.get('cpu family', '?')} "
            f"model {fields.get('model', '?')}, {avx512} AVX-512")


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


@dataclass
class Bench:
    provenance: dict
    imports: dict[str, float]
    commands: dict[str, dict]  # target rows timed as whole commands (targets.py), as data
    profile: dict[str, dict]
    loops: list[LoopTiming]
    scale: list[ScaleTiming]
    suite: dict | None = None
    baseline: dict = field(default_factory=dict)


def measure(repeat: int = 3, widths=WIDTHS, check: bool = True, suite: bool = False,
            progress=print) -> Bench:
    progress("imports, each in a fresh process")
    imports = import_times(repeat)
    commands = {}
    if check:
        commands = {key: {name: asdict(t) if hasattr(t, "wall") else t for name, t in row.items()}
                    for key, row in targets.command_timings(repeat, progress).items()}
        progress("a 784-512-10 definition, 50 steps, the numerical column off")
        commands["large_definition"] = targets.large_definition_timing()
    progress("where the time goes: the check and the long definition, profiled")
    profile = profiles() if check else {}
    progress("bare loops against the harness")
    loops = loop_timings(repeat)
    progress("scale case")
    scale = scale_timings(repeat, widths)
    suite_timing = None
    if suite:
        progress("the test suite, as make test runs it")
        suite_timing = asdict(targets.suite_timing())
    baseline = json.loads(BASELINE.read_text()) if BASELINE.is_file() else {}
    return Bench(provenance(), imports, commands, profile, loops, scale, suite_timing, baseline)


# --- what bench.md says ----------------------------------------------------------------

def seconds(value) -> str:
    return "" if value is None else f"{value:.1f} s" if value >= 1 else f"{value:.2f} s"


@dataclass(frozen=True)
class Target:
    """One row of the issue's target table: the measure, before, now, the floor it is
    measured against and the ratio, and whether the target is met."""

    measure: str
    before: str
    now: str
    floor: str
    ratio: str
    target: str
    met: str


def target_rows(bench: Bench) -> list[Target]:
    base, now = bench.baseline, bench.commands
    rows = []

    def command(key, what, limit, ratio_limit=None):
        before = base.get("commands", {}).get(key, {}).get("timing", {}).get("wall")
        before_floor = base.get("commands", {}).get(key, {}).get("floor", {}).get("wall")
        timing = now.get(key, {}).get("timing")
        floor = now.get(key, {}).get("floor")
        wall = timing["wall"] if timing else None
        floor_wall = floor["wall"] if floor else None
        ratio = wall / floor_wall if wall and floor_wall else None
        met = None if wall is None else (wall <= limit and (ratio_limit is None or ratio <= ratio_limit))
        target = f"≤ {limit:g} s" + (f", ≤ {ratio_limit:g}x its floor" if ratio_limit else "")
        before_text = seconds(before) + (f" (floor {seconds(before_floor)}, "
                                         f"{before / before_floor:.2f}x)" if before and before_floor else "")
        rows.append(Target(what, before_text, seconds(wall), seconds(floor_wall),
                           "" if ratio is None else f"{ratio:.2f}x", target,
                           "" if met is None else "yes" if met else "NO"))

    command("check", f"full `repro check`, {len(spec.folders())} examples, 4 frameworks, float64, "
            "imports included", 15, 1.5)
    command("long_definition", "a 10,000-step 2-2-2 sigmoid definition, 4 frameworks", 8, 1.5)
    command("run_numpy", "`repro run hours_studied --frameworks numpy` (results and site written)", 0.8)
    command("list", "`repro list`", 0.3)
    loops = bench.loops
    if loops:
        worst = max(loops, key=lambda r: r.ratio)
        before = max((r["ratio"] for r in base.get("loops", [])), default=None)
        rows.append(Target("harness / bare loop per step, hours_studied, xor_hidden_layer, "
                           "test_scores (the worst of every framework)",
                           "" if before is None else f"up to {before:.2f}x",
                           f"up to {worst.ratio:.2f}x ({worst.example}, {worst.framework})", "",
                           "", "≤ 1.3 for every framework", "yes" if worst.ratio <= 1.3 else "NO"))
    wide = [r for r in bench.scale if r.width == 1024 and r.framework != "numpy"] or \
        [r for r in bench.scale if r.width == max(s.width for s in bench.scale)]
    if wide:
        worst = max(wide, key=lambda r: r.overhead)
        before = max((r["overhead"] for r in base.get("scale", [])), default=None)
        rows.append(Target(f"recording + comparison at 784-{worst.width}-10, both dtypes (the "
                           "worst framework)", "" if before is None else f"up to {before:.0%}",
                           f"up to {worst.overhead:.0%} ({worst.framework}, {worst.dtype})", "", "",
                           "≤ 10 % for every framework", "yes" if worst.overhead <= 0.10 else "NO"))
    large = now.get("large_definition")
    if large:
        met = large["wall"] <= 120 and large["all_processes"] <= 3e9  # the run's, not one process's
        rows.append(Target("a 784-512-10 definition, 50 steps, the numerical column off",
                           "", f"{seconds(large['wall'])}, {large['largest_process'] / 1e9:.2f} GB "
                           f"largest process, {large['all_processes'] / 1e9:.2f} GB all processes "
                           "(proportional set size)",
                           "", "", "≤ 2 min, ≤ 3 GB", "yes" if met else "NO"))
    suite = bench.suite
    before = base.get("suite", {})
    rows.append(Target("`make test` on a fresh clone, 2 cores (setup excluded)",
                       f"{seconds(before.get('wall'))} wall, {seconds(before.get('cpu'))} CPU"
                       if before else "",
                       f"{seconds(suite['wall'])} wall, {seconds(suite['cpu'])} CPU" if suite
                       else "not measured in this run (repro bench --suite)", "", "",
                       "≤ 5 min wall, ≤ 500 s CPU",
                       "" if not suite else "yes" if suite["wall"] <= 300 and suite["cpu"] <= 500
                       else "NO"))
    ci = base.get("ci", {})
    rows.append(Target("`.ci/run` on a clean clone, installs included", seconds(ci.get("wall")),
                       "measured by CI itself, not by bench", "", "", "≤ 8 min", ""))
    return rows


def profile_table(bench: Bench, name: str) -> list[list]:
    before = bench.baseline.get("profile", {}).get(name, {}).get("phases", {})
    after = bench.profile.get(name, {}).get("phases", {})
    phases = sorted(set(before) | set(after), key=lambda p: -max(before.get(p, 0), after.get(p, 0)))
    rows = [[phase, f"{before[phase]:.1f}" if phase in before else "",
             f"{after[phase]:.1f}" if phase in after else ""] for phase in phases]
    rows.append(["all (one process: its CPU time)", f"{sum(before.values()):.1f}" if before else "",
                 f"{sum(after.values()):.1f}" if after else ""])
    return rows


def markdown(bench: Bench) -> str:
    from ..report import md_table

    p = bench.provenance
    versions = ", ".join(f"{k} {v}" for k, v in p["frameworks"].items())
    base = bench.baseline
    lines = ["# Benchmark", "",
             f"Measured by `repro bench` on {p['processor']} ({p['cores']} cores), {p['platform']}, "
             f"Python {p['python']}; {versions}; commit {p['git_commit']}; {p['date']}. "
             "Each time is the best of the repeats; see `reproductions/bench/measure.py`. "
             f"*Before*: `baseline.json`, the same measures on commit {base.get('commit', '?')} "
             + ("on this machine." if base.get("provenance", {}).get("processor") == p["processor"]
                else f"on another machine (its note: \"{base.get('note', 'see its provenance')}\"): "
                     "compare its figures with this run's through their ratios to the floor, "
                     "not as times."), ""]
    lines += ["## Targets", "",
              "*floor*: the same command's frameworks alone, in the same processes: each "
              "framework imported once and every mirror run with a recorder that keeps nothing "
              "(`reproductions/bench/floor.py`). Commands run in a fresh process, into a fresh "
              "results folder, with JAX's compilation cache empty: a first run.", "",
              md_table(["measure", "before", "now", "floor", "now / floor", "target", "met"],
                       [list(asdict(row).values()) for row in target_rows(bench)]), ""]
    if bench.profile:
        lines += ["## Where the time goes", "",
                  "Seconds per phase (`reproductions/bench/profile.py`: a sampling profile of "
                  "the command run in one process, `--jobs 1`, so the sum is the CPU time of the "
                  "whole run).", ""]
        for name, title in (("check", "The full check"), ("long_definition",
                                                           "The 10,000-step definition")):
            lines += [f"**{title}**", "",
                      md_table(["phase", "before (s)", "now (s)"], profile_table(bench, name)), ""]
    lines += ["## Imports (fresh process)", "",
              md_table(["module", "seconds"], [[k, f"{v:.2f}"] for k, v in bench.imports.items()]), ""]
    lines += ["## Training loops: bare and inside the harness", "",
              "A step's time is the difference of two whole runs (*steps*, and a tenth of "
              "them) over the steps between; *steps* is the example's, at least 5000, and ten "
              "times more until the bare loop's steps take 0.3 s. *bare*: the same loop with nothing "
              "recorded (`bare_<framework>.py`); *harness*: the mirror recording every cost, "
              "gradient and parameter. *before*: the ratio on the baseline's commit, where "
              "TensorFlow and JAX ran a compiled step per Python iteration.", "",
              md_table(["example", "framework", "steps", "bare µs/step", "harness µs/step",
                        "harness / bare", "before"],
                       [[r.example, r.framework, f"{r.steps:,}", f"{r.bare_per_step * 1e6:.2f}",
                         f"{r.harness_per_step * 1e6:.2f}", f"{r.ratio:.2f}",
                         next((f"{b['ratio']:.2f}" for b in base.get("loops", [])
                               if b["example"] == r.example and b["framework"] == r.framework), "")]
                        for r in bench.loops]), ""]
    lines += ["## Scale: 784-W-10, batch 128, 40 steps", "",
              "Step times as above. *compare*: this framework's whole trace against NumPy's, per "
              "step. *overhead*: what recording every value and comparing it adds to a step, as a "
              "share of the bare step.", "",
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
    from ..publish import write_atomic

    data = asdict(bench)
    data.pop("baseline")  # it has a file of its own
    write_atomic(out / "bench.json", json.dumps(data, indent=2).encode())
    write_atomic(out / "bench.md", markdown(bench).encode())
    write_atomic(out / "bench.png", plot(bench))
