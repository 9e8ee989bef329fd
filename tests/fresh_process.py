"""``python -m reproductions.cli ARGS`` in a new process, without paying its imports again.

A test of what a separate process does (it is killed, or it runs a mutated copy of the
harness) needs a process of its own, but not a new interpreter that imports NumPy,
PyTorch, Matplotlib, pandas and the project again for each run (5-8 s of a 6-10 s
run). Each run is a child forked from one server per test process
(``multiprocessing``'s forkserver) that imported them once. Given ``harness`` (a folder
holding a copy of ``reproductions`` and ``frameworks``), the child drops the project's
modules and imports the copy's instead. TensorFlow and JAX are not preloaded (they
start threads, which a fork does not carry): a run that uses them imports them itself,
as a new interpreter would.

The child's exit status is ``cli.main``'s, or minus the signal that killed it, as
``subprocess.run`` reports it; what it printed is written to files as it goes, so a
killed run's output is kept.
"""

import multiprocessing
import os
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PROJECT_PACKAGES = ("reproductions", "frameworks")
# what a run imports, imported once by the server (torch._dynamo: by torch.optim), and
# tests/forkserver_warmup.py, which compiles the templates there
PRELOAD = ["numpy", "pandas", "pyarrow.parquet", "pyarrow.compute", "matplotlib.figure",
           "matplotlib.backends.backend_agg", "torch", "torch._dynamo",
           "reproductions.cli", "reproductions.report", "reproductions.site", "forkserver_warmup"]

_context = None


def context():
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(PRELOAD)
    return _context


def repro_process(*args, cwd=None, env=None, harness: Path | None = None) -> subprocess.CompletedProcess:
    """``repro ARGS`` in a child process: its exit status and what it printed."""
    args = [str(a) for a in args]
    with tempfile.TemporaryDirectory() as folder:
        out, err = Path(folder) / "stdout", Path(folder) / "stderr"
        child = context().Process(target=_run, args=(
            args, str(cwd or REPO), dict(os.environ if env is None else env),
            str(harness) if harness else None, str(out), str(err)))
        child.start()
        child.join()
        return subprocess.CompletedProcess(["repro", *args], child.exitcode,
                                           out.read_text(), err.read_text())


def _run(args, cwd, env, harness, out, err):
    """In the child: the project as the server imported it, or, given ``harness``, the
    copy there imported afresh; then ``cli.main(args)``, stdout and stderr going
    straight to their files."""
    for stream, path in ((sys.stdout, out), (sys.stderr, err)):
        stream.flush()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(fd, stream.fileno())
        os.close(fd)
    sys.stdout = open(1, "w", buffering=1, closefd=False)
    sys.stderr = open(2, "w", buffering=1, closefd=False)
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    if harness:
        for name in [m for m in sys.modules if m.split(".")[0] in PROJECT_PACKAGES]:
            del sys.modules[name]
        sys.path.insert(0, harness)
    code = 1
    try:
        from reproductions import cli
        import frameworks

        imported_from = Path(harness) if harness else REPO
        for module in (cli, frameworks):
            assert Path(module.__file__).is_relative_to(imported_from), module.__file__
        code = cli.main(args)
    except SystemExit as exit:  # as the interpreter reads it: None is 0, a message 1
        code = 0 if exit.code is None else exit.code if isinstance(exit.code, int) else 1
    except BaseException:  # noqa: BLE001 - as the interpreter would print it
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
