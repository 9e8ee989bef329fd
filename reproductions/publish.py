"""All-or-nothing results: a run writes into a staging folder and replaces each
example's result folder only once the whole run has finished.

``results/<id>/`` is therefore always one run's folder, the previous one or the
new one, never a mix: a folder is swapped in with one atomic exchange of names
(Linux ``renameat2(RENAME_EXCHANGE)``; elsewhere the old folder is moved aside and
the new one moved in, which may leave the folder missing for an instant, never
mixed). ``README.md`` is rewritten after the folders. A run cut short leaves its
staging folder, ``results/.staging-*``, behind: the mark that a newer run did not
finish. The next run says so and removes it.
"""

import ctypes
import ctypes.util
import os
import shutil
import signal
import tempfile
from pathlib import Path

STAGING_PREFIX = ".staging-"
RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _renameat2():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        function = libc.renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return function


_RENAMEAT2 = _renameat2()


def fault_point() -> None:
    """Where the interrupted-run test kills a run: with ``REPRO_KILL_AT=n`` set, the
    process kills itself with SIGKILL at the n-th file written or folder swapped."""
    at = os.environ.get("REPRO_KILL_AT")
    if at is None:
        return
    count = int(os.environ.get("_REPRO_EVENTS", "0")) + 1
    os.environ["_REPRO_EVENTS"] = str(count)
    if count >= int(at):
        os.kill(os.getpid(), signal.SIGKILL)


def interrupted_runs(out: Path) -> list[Path]:
    """Staging folders of earlier runs that did not finish."""
    return sorted(out.glob(f"{STAGING_PREFIX}*")) if out.is_dir() else []


def new_staging(out: Path) -> Path:
    return Path(tempfile.mkdtemp(dir=out, prefix=STAGING_PREFIX))


def exchange(new: Path, old: Path) -> None:
    """Put the folder ``new`` in the place of ``old``; ``new``'s name then holds the old
    folder (or nothing), to be removed."""
    if not old.exists():
        os.rename(new, old)
        return
    if _RENAMEAT2 is not None and _RENAMEAT2(_AT_FDCWD, os.fsencode(new), _AT_FDCWD,
                                             os.fsencode(old), RENAME_EXCHANGE) == 0:
        return
    aside = new.with_name(new.name + ".old")
    os.rename(old, aside)
    os.rename(new, old)
    os.rename(aside, new)


def publish(staging: Path, out: Path) -> None:
    """Every example folder of ``staging`` into ``out``, then remove ``staging``."""
    for folder in sorted(p for p in staging.iterdir() if p.is_dir()):
        exchange(folder, out / folder.name)
        fault_point()
    shutil.rmtree(staging)
