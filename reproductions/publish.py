"""All-or-nothing results: a run writes into a staging folder and replaces each
example's result folder only once the whole run has finished.

``results/<id>/`` is therefore always one run's folder, the previous one or the
new one, never a mix: a folder is swapped in with one atomic exchange of names
(Linux ``renameat2(RENAME_EXCHANGE)``; elsewhere the old folder is moved aside and
the new one moved in, which may leave the folder missing for an instant, never
mixed). The index and the site, which describe every example, are built in the
staging folder too and swapped in around the folders (``publish``). A run cut short
leaves its staging folder, ``results/.staging-*``, behind: the mark that a newer run
did not finish. The next run says so and removes it.
"""

import ctypes
import ctypes.util
import os
import shutil
import signal
import tempfile
import urllib.parse
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


INDEX, SITE = "README.md", "site"  # what describes every example: the index and the site
UPDATING = ".updating"  # in staging: the index and site shown while the folders are swapped


def publish(staging: Path, out: Path) -> None:
    """Every folder of ``staging`` into ``out``, then remove ``staging``.

    The index (``README.md``) and the site describe every example, so they cannot be
    swapped in with each example's folder. A run builds them in ``staging`` from the
    results as they will be, and then: (1) replaces them with placeholders that name no
    example (``staging/.updating/``), (2) swaps in each example's folder, (3) swaps in the
    new site and index. Killed at any point, a results folder holds each example's folder
    old or wholly new, and an index and a site that are all old, all new, or the
    placeholders: no two files that disagree about an example."""
    examples = sorted(p for p in staging.iterdir() if p.is_dir() and p.name not in (SITE, UPDATING))
    updating = staging / UPDATING
    if examples and updating.is_dir():  # (1)
        if (updating / INDEX).is_file():
            os.replace(updating / INDEX, out / INDEX)
            fault_point()
        if (updating / SITE).is_dir():
            exchange(updating / SITE, out / SITE)
            fault_point()
    for folder in examples:  # (2)
        exchange(folder, out / folder.name)
        fault_point()
    if (staging / SITE).is_dir():  # (3)
        exchange(staging / SITE, out / SITE)
        fault_point()
    if (staging / INDEX).is_file():
        os.replace(staging / INDEX, out / INDEX)
        fault_point()
    shutil.rmtree(staging)


def write_atomic(path: Path, data: bytes) -> None:
    atomically(path, lambda temporary: temporary.write_bytes(data))


def atomically(path: Path, write):
    """``write(temporary)`` to a temporary file beside ``path``, renamed into place once
    whole, so that an interrupted write never leaves half a file: what ``write`` returns."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(handle)
    try:
        written = write(Path(temporary))
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
        fault_point()
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return written


def link(target: Path, folder: Path) -> str:
    """A Markdown link target: ``target`` relative to ``folder`` (the folder the report
    is read in), so it resolves wherever the results and the examples are; absolute
    where no relative path joins them (another drive)."""
    try:
        path = Path(os.path.relpath(target.resolve(), folder.resolve())).as_posix()
    except ValueError:
        path = target.resolve().as_posix()
    return urllib.parse.quote(path)
