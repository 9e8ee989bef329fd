"""Where a run's time goes: ``repro`` run in this process under a sampling profiler
(pyinstrument), every sample put in one phase.

A sample's phase is the outermost phase function on its call stack (``PHASES``, by
module and function name), so the rounded replay's NumPy run counts as the replay and
a plot inside the report as plots; inside a framework's training (its ``reproduce``),
recording and imports are phases of their own. What no phase function claims is
"harness (other)". Run with ``--jobs 1``: one process, so the table is the CPU time of
the whole run.

``python -m reproductions.bench.profile OUT.json -- check --jobs 1 --out DIR`` writes
the phases as JSON; ``repro bench`` runs it on the full check and the long definition.
"""

import json
import sys
import time
from pathlib import Path

import frameworks

# (phase, module path fragment, function names): the first rule that matches a frame
# names its phase; frames are tried from the innermost out.
PHASES = [
    ("imports", "frameworks/", {"setup"}),
    ("imports", "reproductions/cli.py", {"<module>"}),
    # an installed package's module body: torch imported by a mirror's first line, say,
    # or torch._dynamo by the first optimizer made
    ("imports", "site-packages/", {"<module>"}),
    ("recording", "reproductions/trace.py", {"_record", "value", "values", "gradients",
                                             "parameters", "training", "record_steps",
                                             "recording", "append", "extend", "finish"}),
    ("comparison", "reproductions/parity.py", {"compare", "drift", "self_check"}),
    ("claims", "reproductions/claims.py", {"judge"}),
    ("numerical column", "reproductions/numerical.py", {"numerical_column"}),
    ("rounded replay", "reproductions/execute.py", {"rounded_replay"}),
    ("plots", "reproductions/plots.py", {"cost_plot", "difference_plot", "boundary_plot",
                                         "drift_plot"}),
    ("trace table and parquet", "reproductions/report.py", {"trace_columns", "parquet",
                                                            "trace_hash", "encoded_columns"}),
    ("translation page", "reproductions/translate.py", {"page", "write"}),
    ("site", "reproductions/site.py", {"build"}),
    ("report and summary", "reproductions/report.py", {"markdown", "summary", "write_index",
                                                       "write_crash"}),
    ("report and summary", "reproductions/results.py", {"read", "json"}),
    ("loading definitions", "reproductions/spec.py", {"load", "load_example", "catalogue"}),
]
TRAINING = "training: {}"  # a framework's reproduce(), outside recording
FRAMEWORK_FILES = {name: (f"{name}_impl.py", f"generic/{name}.py", f"engines/{name}/graph.py")
                   for name in frameworks.NAMES}
OTHER = "harness (other)"


def phase_of(function: str, path: str) -> str | None:
    path = path.replace("\\", "/")
    for phase, fragment, functions in PHASES:
        if fragment in path and function in functions:
            return phase
    if function == "reproduce":
        for framework, files in FRAMEWORK_FILES.items():
            if path.endswith(files):
                return TRAINING.format(framework)
    return None


def phases(root) -> dict[str, float]:
    """Seconds per phase over a pyinstrument frame tree."""
    totals: dict[str, float] = {}

    def visit(frame, phase):
        own = phase_of(frame.function or "", frame.file_path or "")
        # a phase holds everything under it, but a training holds the recording and
        # the imports inside it apart (the replay's training and recording is replay)
        if own is not None and (phase == OTHER or phase.startswith("training")):
            phase = own
        own_time = frame.time - sum(child.time for child in frame.children)
        totals[phase] = totals.get(phase, 0.0) + own_time
        for child in frame.children:
            visit(child, phase)

    visit(root, OTHER)
    return totals


def profile(argv: list[str]) -> dict:
    """``repro ARGV`` in this process, profiled: wall seconds and seconds per phase."""
    from pyinstrument import Profiler

    from .. import cli

    profiler = Profiler(interval=0.002)
    start = time.perf_counter()
    profiler.start()
    try:
        status = cli.main(argv)
    finally:
        session = profiler.stop()
    wall = time.perf_counter() - start
    totals = phases(session.root_frame())
    return {"argv": argv, "status": status, "wall": wall,
            "phases": dict(sorted(totals.items(), key=lambda item: -item[1]))}


def main(argv: list[str]) -> int:
    out, separator, *command = argv
    assert separator == "--", "usage: python -m reproductions.bench.profile OUT.json -- ARGS"
    Path(out).write_text(json.dumps(profile(command), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
