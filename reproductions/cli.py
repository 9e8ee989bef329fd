"""The ``repro`` command: list the examples, run them, check them.

Exit status: 0 when every comparison agrees and every claim is confirmed or
explained, 1 on any parity or claim failure, 2 on bad input. Bad input stops the
command before it writes anything, with one line on stderr; the one exception is an
example folder that cannot be read while the whole catalogue runs (``repro check``
with no example named, ``repro list``): it is reported in one line, nothing is
written for it, the others run, and the exit status is 2 at the end.
"""

import argparse
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                           TimeElapsedColumn, TimeRemainingColumn)

import frameworks

from . import harness, numerical, parity, publish, report, results, runs, spec
from .trace import Keep
from .claims import FAILED

DEFAULT_OUT = Path("results")
COMMANDS = ("list", "run", "check", "site", "translate", "bench")
console = Console(highlight=False, soft_wrap=True)  # a long line is the terminal's to wrap
errors = Console(stderr=True, highlight=False, soft_wrap=True)


def say(text: str) -> None:
    console.print(text, soft_wrap=True)


def columns(rows: list[tuple[str, ...]]) -> None:
    """Rows of text in aligned columns, the first a heading; no line is broken."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        line = "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
        say(escape(line).replace("DIVERGES", "[red]DIVERGES[/]"))


class UsageError(Exception):
    """Bad input: reported in one line, exit status 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def framework_list(text: str) -> list[str]:
    names = list(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))
    if not names:
        raise UsageError("--frameworks needs at least one framework")
    for name in names:
        try:
            frameworks.require(name)
        except frameworks.FrameworkError as error:
            raise UsageError(str(error)) from None
    return names


def whole_number(text: str, option: str, least: int) -> int:
    try:
        number = int(text)
    except ValueError:
        number = least - 1
    if number < least:
        raise UsageError(f"{option} must be a whole number of {least} or more, not '{text}'")
    return number


def step_count(text: str) -> int:
    """--steps: a run that takes no step trains nothing and is refused."""
    return whole_number(text, "--steps", 1)


def step_list(text: str) -> list[int]:
    try:
        steps = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        steps = [-1]
    if not steps or min(steps) < 0:
        raise UsageError(f"--gradient-steps takes step numbers of 0 or more separated by commas, "
                         f"not '{text}'")
    return steps


ELEMENT = re.compile(r"([\w.]+)\[([\d,\s]*)\]")


def element_list(text: str) -> dict[str, list[tuple]]:
    """--gradient-elements 'W1[0,0] b2[1]': the indices of each parameter."""
    found: dict[str, list[tuple]] = {}
    rest = ELEMENT.sub(lambda m: found.setdefault(m[1], []).append(
        tuple(int(i) for i in m[2].split(",") if i.strip())) or "", text)
    if rest.strip(" ,;") or not found:
        raise UsageError(f"--gradient-elements takes elements such as 'W1[0,0] b2[1]', not '{text}'")
    return found


def quantity_list(text: str) -> frozenset:
    names = frozenset(name.strip() for name in text.split(",") if name.strip())
    if not names:
        raise UsageError("--record needs at least one quantity (cost, W1, grad.W1, ...)")
    return names


def writable(folder: Path) -> Path:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise UsageError(f"cannot write to output directory '{folder}': {error.strerror}") from None
    return folder


def with_frameworks(example: spec.Example, names: list[str]) -> spec.Example:
    """An example, checked for the frameworks asked for: each needs a mirror, a [network]
    or a [graph]."""
    for name in ["numpy", *names]:
        if name not in harness.implementations(example):
            raise UsageError(f"example '{example.id}' has no {name} implementation ({name}_impl.py "
                             "or a [network] or [graph] the engines run)")
    return example


def with_mirrors(folder: Path, names: list[str]) -> spec.Example:
    """An example folder's definition, read and checked for the frameworks asked for."""
    return with_frameworks(spec.load_example(folder), names)


def selected(catalogue: dict[str, Path], ids: list[str], names: list[str]) -> list:
    """The named examples, read and checked for their mirrors: any that cannot be is
    bad input, and nothing runs."""
    for example_id in ids:
        if example_id not in catalogue:
            raise UsageError(f"unknown example '{example_id}' (see 'repro list')")
    return [with_mirrors(catalogue[i], names) for i in dict.fromkeys(ids)]


def readable(catalogue: dict[str, Path], names: list[str] | None) -> tuple[list, list[str]]:
    """Every example of the catalogue that can be read, and one line for each folder
    that cannot (its definition broken, or, unless ``names`` is None, a mirror asked
    for missing): a broken folder fails only itself."""
    examples, unreadable = [], []
    for folder in catalogue.values():
        try:
            examples.append(spec.load_example(folder) if names is None else with_mirrors(folder, names))
        except (UsageError, spec.DefinitionError) as error:
            unreadable.append(str(error))
    return examples, unreadable


def say_unreadable(unreadable: list[str]) -> None:
    for message in unreadable:
        print(f"repro: {message}", file=sys.stderr, flush=True)


def compares_nothing(example, names: list[str] | None, steps: int | None) -> str | None:
    """Why a run of ``example`` would compare nothing (no framework beside NumPy, and no
    printed number within the steps it takes), or None."""
    others = [n for n in (names or harness.frameworks_of(example)) if n != "numpy"]
    steps = example.steps if steps is None else steps
    judged = [c for c in example.claims if c.quantity.startswith("init.") or c.step <= steps]
    if others or judged:
        return None
    why = ("--frameworks numpy" if names else "it has no mirror but NumPy's")
    claims = ("claims no printed number" if not example.claims else
              f"claims nothing within {spec_steps(steps)}")
    return (f"'{example.id}' would compare nothing: only NumPy runs ({why}) and it {claims}; "
            "name another framework or add the source's printed numbers as claims")


def spec_steps(steps: int) -> str:
    return f"{steps} step{'s' if steps != 1 else ''}"


def compare_something(examples, names, steps, catalogue_run: bool) -> tuple[list, list[str]]:
    """The examples whose run compares something. One that would compare nothing is bad
    input: refused (one line, exit 2) before anything runs, or, in a run of the whole
    catalogue, said in one line while the others run."""
    kept, idle = [], []
    for example in examples:
        why = compares_nothing(example, names, steps)
        if why is None:
            kept.append(example)
        elif catalogue_run:
            idle.append(why)
            print(f"repro: {why}", file=sys.stderr, flush=True)
        else:
            raise UsageError(why)
    return kept, idle


def available_memory() -> int | None:
    """Bytes of memory this machine has free for a run (Linux: MemAvailable), or None."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def human(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if size < 1000 or unit == "PB":
            return f"{size:.3g} {unit}"
        size /= 1000
    return f"{size:.3g} EB"


def check_memory(examples, names, args) -> None:
    """Refuse, before anything runs, a run whose records would not fit in memory: each
    run keeps every recorded number of every recorded step (8 bytes), and the results
    table holds them again; it names the size it would need and how to need less."""
    free = available_memory()
    if free is None:
        return
    for example in examples:
        steps = example.steps if args.steps is None else args.steps
        need = harness.recording_bytes(example, names, steps, args.dtype, args.record_every)
        if need > free:
            option = f"--steps {args.steps}" if args.steps is not None else f"steps = {steps}"
            raise UsageError(
                f"{option}: recording '{example.id}' would take about {human(need)} of memory, "
                f"more than the {human(free)} this machine has free: record every k-th step "
                "(--record-every K) or run fewer steps")


def check_gradient_steps(examples: list, args) -> None:
    """--gradient-steps past the end of a run are refused, not silently dropped."""
    if args.gradient_steps is None:
        return
    for example in examples:
        steps = example.steps if args.steps is None else args.steps
        last = max(steps, 1) - 1  # the numerical column is taken at the start of a step
        past = sorted({s for s in args.gradient_steps if s > last})
        if past:
            raise UsageError(f"--gradient-steps {','.join(map(str, past))}: the last step of "
                             f"'{example.id}' ({results.steps_text(steps)}) is {last}")


def examples_in(folder: str | None) -> dict[str, Path]:
    if folder is None:
        return spec.folders()
    if not Path(folder).exists():
        raise UsageError(f"examples folder '{folder}' does not exist")
    if not Path(folder).is_dir():
        raise UsageError(f"examples folder '{folder}' is not a folder")
    catalogue = spec.folders(Path(folder))
    if not catalogue:
        raise UsageError(f"examples folder '{folder}' has no example (no */example.toml)")
    return catalogue


def command_list(args, catalogue) -> int:
    examples, unreadable = readable(catalogue, None)
    say_unreadable(unreadable)
    if examples:
        columns([("id", "frameworks", "steps", "claims", "source")] + [
            (e.id, ", ".join(harness.frameworks_of(e)), str(e.steps), str(len(e.claims)),
             f"{e.source.text()}, {e.source.section}") for e in examples])
    return 2 if unreadable else 0


PROGRESS_LINES = 10.0  # seconds between progress lines where stderr is not a terminal


def progress_bars():
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), TimeRemainingColumn(), console=errors, transient=True)


class Lines:
    """Progress where stderr is not a terminal (a CI log, a file): a line at most every
    PROGRESS_LINES seconds, with each running framework's steps and the time left."""

    def __init__(self, examples: int):
        self.examples, self.done, self.start = examples, 0, time.monotonic()
        self.running: dict[tuple, tuple] = {}  # (example, framework) -> (done, steps, since)
        self.said = self.start

    def step(self, example_id: str, framework: str, done: int, steps: int) -> None:
        key = (example_id, framework)
        since = self.running.get(key, (0, 0, time.monotonic()))[2]
        self.running[key] = (done, max(steps, 1), since)
        self.say()

    def example_done(self, example_id: str) -> None:
        self.done += 1
        for key in [k for k in self.running if k[0] == example_id]:
            del self.running[key]
        self.say()

    def say(self) -> None:
        now = time.monotonic()
        if now - self.said < PROGRESS_LINES:
            return
        self.said = now
        running = []
        for (example_id, framework), (done, steps, since) in self.running.items():
            if done < steps:
                left = (now - since) / max(done, 1) * (steps - done)
                running.append(f"{example_id} {framework} {done}/{steps} steps (about {left:.0f} s left)")
        print(f"progress {now - self.start:.0f} s: {self.done} of {self.examples} examples done"
              + (f"; {'; '.join(running)}" if running else ""), file=sys.stderr, flush=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


LABELS = {FAILED: "claim failed"}  # how the terminal names a called-out claim's verdict


def show(r: results.Results, folder: Path) -> None:
    """An example's results in the terminal, from its results model."""
    status = "[green]passed[/]" if r.passed else "[red]FAILED[/]"
    say(f"[bold]{escape(r.id)}[/] {status}  ({r.dtype}, {results.steps_text(r.steps)})  -> "
        f"{escape(str(folder))}")
    if r.parity:
        columns([("vs numpy", "max abs diff", "max rel diff", "max rel/size", "tolerance used",
                  "parity")] + [(p.framework, results.sci(p.max_abs_diff), results.sci(p.max_rel_diff),
                                 results.sci(p.max_rel_diff_to_size), results.percent(p.tolerance_used),
                                 p.verdict) for p in r.parity])
        say(f"  policy: {escape(r.tolerance.rule)}")
    for p in r.parity:
        for m in p.messages(r.bound):
            label = f"[red]{m.label}[/]" if m.bad else m.label
            say(f"  {label} {escape(r.id)} {p.framework}: {escape(m.text)}")
    for warning in r.warnings:
        say(f"  [yellow]finding:[/] {escape(warning)}")
    say(f"  claims: {r.claims_text() if r.claims else 'none printed by the source'}")
    for c in r.called_out():
        colour = "red" if c.verdict == FAILED else "yellow"
        say(f"  [{colour}]{LABELS.get(c.verdict, c.verdict)}[/]  {escape(c.line())}")


def write_results(writer, *arguments):
    try:
        return writer(*arguments)
    except OSError as error:
        raise UsageError(f"cannot write results: {error}") from None


@dataclass
class Outcome:
    """One example's run, as the process that ran it reports it."""

    example: spec.Example
    result: results.Results | None  # as its summary.json says
    folder: Path
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and self.result.passed


def crashed(example, names, args, out: Path, error: Exception) -> Outcome:
    """An implementation raised (its own bug, not bad input): its results say so."""
    if os.environ.get("REPRO_DEBUG"):
        raise error
    message = (str(error) if isinstance(error, harness.ImplementationError)
               else f"{type(error).__name__}: {error}")
    steps = example.steps if args.steps is None else args.steps
    write_results(report.write_crash, example, out, names or harness.frameworks_of(example),
                  args.dtype, steps, message)
    return Outcome(example, None, Path(args.out) / example.id, message)


def run_one(run: harness.ExampleRun, names, args, out: Path, shared: runs.Runs) -> Outcome:
    """Finish one example's run, write its results (or its error), and say how it went;
    a worker whose runs are all done ends before the results are written."""
    try:
        result = run.finish()
    except Exception as error:  # an implementation's own bug, not bad input
        return crashed(run.example, names, args, out, error)
    finally:
        shared.release_idle()
    folder = Path(args.out) / run.example.id  # where its results are read once published
    written = write_results(report.write, result, out, folder)
    return Outcome(run.example, results.read(written / "summary.json"), folder)


def report_outcome(outcome: Outcome) -> None:
    if outcome.error is not None:
        console.print(f"[red]{outcome.example.id}: {outcome.error}[/]")
    else:
        show(outcome.result, outcome.folder)


def job_count(text: str, names: list[str]) -> int:
    """--jobs: the processes the frameworks other than NumPy run in. auto: one for each
    (several cores), none beside this one (one core)."""
    if text == "auto":
        return max(1, len([n for n in names if n != "numpy"])) if runs.cores() > 1 else 1
    jobs = int(text) if text.isdigit() else 0
    if jobs < 1:
        raise UsageError(f"--jobs takes a number of processes of 1 or more, or 'auto', not '{text}'")
    return jobs


class Bars:
    """Progress: a bar for each framework's run while it goes, and one for the examples."""

    def __init__(self, bars, examples: int):
        self.bars, self.tasks = bars, {}
        self.examples = bars.add_task(f"{examples} example{'s' if examples != 1 else ''}",
                                      total=examples)

    def step(self, example_id: str, framework: str, done: int, steps: int) -> None:
        key = (example_id, framework)
        if key not in self.tasks:
            self.tasks[key] = self.bars.add_task(f"{example_id} {framework}", total=max(steps, 1))
        self.bars.update(self.tasks[key], completed=done)

    def example_done(self, example_id: str) -> None:
        for key in [k for k in self.tasks if k[0] == example_id]:
            self.bars.remove_task(self.tasks.pop(key))
        self.bars.advance(self.examples)


def run_all(examples, names, args, out: Path, jobs: int) -> list[Outcome]:
    """Every example, its results written under ``out``, each reported as it ends. Every
    framework's runs are handed out first (to worker processes by framework, with jobs
    above 1), then this process runs NumPy's part of every example while they train, then
    compares, judges and writes each in turn."""
    needed = list(dict.fromkeys(n for e in examples for n in (names or harness.frameworks_of(e))))
    outcomes: dict[str, Outcome] = {}
    terminal = errors.is_terminal
    with (progress_bars() if terminal else Lines(len(examples))) as bars:
        progress = Bars(bars, len(examples)) if terminal else bars
        with runs.Runs(jobs, needed, progress.step, spill_in=out) as shared:
            started = []
            for example in examples:
                try:
                    started.append(harness.ExampleRun(
                        example, names, args.dtype, args.steps, args.gradient_steps, shared,
                        Keep(args.record_every, args.record), args.gradient_elements))
                except Exception as error:
                    outcomes[example.id] = crashed(example, names, args, out, error)
            for run in started:
                try:
                    run.prepare()
                except Exception:
                    pass  # raised again by finish, in its turn
            for run in started:
                outcome = outcomes[run.example.id] = run_one(run, names, args, out, shared)
                shared.forget(run.example)
                progress.example_done(run.example.id)
                report_outcome(outcome)
    return [outcomes[example.id] for example in examples]


def definitions(paths: list[str]) -> list[spec.Example]:
    """The examples named by --spec: a definition file, a catalogue folder (its
    example.toml), or a folder of definition files (every *.toml in it)."""
    files = []
    for path in map(Path, paths):
        if path.is_dir():
            files += [path] if (path / "example.toml").is_file() else sorted(path.glob("*.toml"))
        elif path.is_file():
            files.append(path)
        else:
            raise UsageError(f"--spec '{path}' does not exist")
    if not files:
        raise UsageError(f"--spec {' '.join(paths)}: no definition file (*.toml)")
    examples = [spec.load(file) for file in files]
    ids = [example.id for example in examples]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise UsageError(f"--spec: more than one definition has the id {', '.join(repeated)}")
    return examples


def command_run(args, catalogue) -> int:
    # named frameworks must each have a mirror; by default each example runs all it has
    names = framework_list(args.frameworks) if args.frameworks is not None else None
    broken = parity.self_check()  # a comparison that accepts anything would pass everything
    if broken:
        for line in broken:
            console.print(f"[red]the comparison itself is broken:[/] {line}")
        return 1
    examples = [with_frameworks(e, names or []) for e in definitions(args.spec)] if args.spec else []
    unreadable = []
    if args.examples:  # named: each must be readable, or nothing runs
        examples += selected(catalogue, args.examples, names or [])
    elif not args.spec:  # the whole catalogue: an unreadable folder fails only itself
        examples, unreadable = readable(catalogue, names or [])
        say_unreadable(unreadable)
        if not examples:
            return 2  # nothing readable: nothing is run or written
    examples, idle = compare_something(examples, names, args.steps, catalogue_run=not (
        args.examples or args.spec))
    unreadable += idle
    if not examples:
        return 2  # nothing that compares anything: nothing is run or written
    if names is None:  # every framework the examples have must be installed
        framework_list(",".join(dict.fromkeys(n for e in examples for n in harness.frameworks_of(e))))
    check_memory(examples, names, args)
    jobs = job_count(args.jobs, list(dict.fromkeys(
        n for e in examples for n in (names or harness.frameworks_of(e)))))
    check_gradient_steps(examples, args)
    out = writable(Path(args.out))
    for unfinished in publish.interrupted_runs(out):
        console.print(f"[yellow]an earlier run into {out} did not finish: its partial results "
                      f"({unfinished.name}) are discarded[/]")
        shutil.rmtree(unfinished, ignore_errors=True)
    staging = write_results(publish.new_staging, out)  # swapped in when every example is done
    outcomes = run_all(examples, names, args, staging, jobs)
    site_error = write_results(stage_index_and_site, out, staging)
    write_results(publish.publish, staging, out)
    failed = [outcome.example.id for outcome in outcomes if not outcome.passed]
    if failed:
        console.print(f"[red]{len(failed)} of {len(examples)} examples failed:[/] {', '.join(failed)}")
    else:
        count = f"{len(examples)}{' readable' if unreadable else ''} example" \
                f"{'s' if len(examples) != 1 else ''}"
        console.print(f"[green]{count} passed: every step agrees and every claim is accounted for[/]")
    if unreadable:
        many = len(unreadable) != 1
        console.print(f"[red]{len(unreadable)} example folder{'s' if many else ''} could not be "
                      f"read (see the errors above); nothing was written for {'them' if many else 'it'}[/]")
        return 2
    if site_error:
        print(f"repro: {site_error}", file=sys.stderr, flush=True)
        return 2
    return 1 if failed else 0


def stage_index_and_site(out: Path, staging: Path) -> str | None:
    """The index and the site of the results as the run will leave them (the examples
    it ran from ``staging``, the others as published), written into ``staging`` with the
    placeholders shown while the folders are swapped (``publish.publish``). Returns why
    the site could not be built, or None."""
    from . import site  # Jinja2 and Markdown: only where a site is built

    folders = {**report.example_folders(out), **report.example_folders(staging)}
    report.write_index(staging, folders)
    publish.write_atomic(staging / publish.UPDATING / publish.INDEX, report.UPDATING.encode())
    site.render_updating(staging / publish.UPDATING / publish.SITE)
    try:
        site.render(folders, staging / publish.SITE)
    except site.SiteError as error:  # the results stand; the index is still written
        return str(error)
    return None


def build_site(out: Path) -> Path:
    """``out/site``, the static site of the results in ``out``, built and swapped in whole."""
    from . import site  # Jinja2 and Markdown: only where a site is built

    try:
        return write_results(site.build, out)
    except site.SiteError as error:
        raise UsageError(str(error)) from None


def command_site(args) -> int:
    """``repro site``: only the site, rebuilt from the results already in ``--out``."""
    out = Path(args.out)
    if not out.is_dir():
        raise UsageError(f"results folder '{out}' {'is not a folder' if out.exists() else 'does not exist'}")
    if not any(out.glob("*/summary.json")):
        raise UsageError(f"results folder '{out}' has no results (no */summary.json): "
                         "run 'repro check' first")
    writable(out)
    folder = build_site(out)
    console.print(f"site written to {folder}: open {folder / 'index.html'} in a browser")
    return 0


def command_translate(args, catalogue) -> int:
    """``repro translate``: an example's translation notes in the terminal, and its page
    (the implementations aligned by section, the notes below) in <out>/<id>/."""
    from . import translate

    if bool(args.example) == bool(args.spec):
        raise UsageError("translate takes one EXAMPLE or one --spec FILE")
    if args.spec:
        found = definitions([args.spec])
        if len(found) != 1:
            raise UsageError(f"--spec '{args.spec}': translate takes one definition file, "
                             f"not {len(found)}")
        example = found[0]
    else:
        example = selected(catalogue, [args.example], [])[0]
    out = writable(Path(args.out))
    notes = translate.notes(example)
    path = write_results(translate.write, example, out)
    console.print(f"[bold]{example.id}[/]: translation notes")
    for topic, title in translate.TOPICS.items():
        shown = [note for note in notes if note.topic == topic]
        if shown:
            console.print(f"[bold]{title}[/]")
        for note in shown:
            who = f"{frameworks.TITLES[note.framework]}: " if note.framework else ""
            text = re.sub(r"`([^`]+)`", r"[cyan]\1[/]", escape(who + note.text))
            source = escape(note.source.replace("`", ""))
            console.print(f"  - {text} [dim](from {source})[/]")
    console.print(f"page written to {path}")
    return 0


def width_list(text: str) -> list[int]:
    try:
        widths = [int(w) for w in text.split(",") if w.strip()]
    except ValueError:
        widths = []
    if not widths or min(widths) < 1:
        raise UsageError(f"--widths takes hidden widths of 1 or more separated by commas, not '{text}'")
    return widths


def command_bench(args, argv: list[str]) -> int:
    repeat = whole_number(args.repeat, "--repeat", 1)  # bad input refused before anything
    widths = width_list(args.widths)
    if os.environ.get("OPENBLAS_NUM_THREADS") != "1":  # read by NumPy when imported: start anew
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
        if "OPENBLAS_NUM_THREADS" in os.environ:
            env["REPRO_BENCH_OPENBLAS_NUM_THREADS"] = os.environ["OPENBLAS_NUM_THREADS"]
        sys.stdout.flush()
        os.execve(sys.executable, [sys.executable, "-m", "reproductions.cli", *argv], env)
    from .bench import measure

    out = writable(Path(args.out))  # checked after the options: bad input writes nothing
    bench = measure.measure(repeat, widths, check=not args.no_check, suite=args.suite,
                            progress=lambda text: errors.print(f"bench: {text}"))
    write_results(measure.write, bench, out)
    console.print(measure.markdown(bench))
    console.print(f"written to {out}")
    return 0


def parser() -> Parser:
    top = Parser(prog="repro", description="Textbook neural-network examples, reproduced in "
                 f"{results.framework_titles()} and checked against each other and the source.")
    top.add_argument("--examples-dir", default=None,
                     help="read the examples from this folder instead of the built-in catalogue")
    commands = top.add_subparsers(dest="command", required=True, parser_class=Parser)
    commands.add_parser("list", help="the examples: id, source, frameworks, steps, claims")
    for name, help_text in (("run", "run examples and write results"),
                            ("check", "run every example (or those named) as CI does")):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("examples", nargs="*", metavar="EXAMPLE")
        command.add_argument("--spec", action="append", default=[], metavar="FILE",
                             help="a definition file (or a folder of them) run by the generic "
                                  "engines, no code to write; may be repeated")
        command.add_argument("--frameworks", default=None,
                             help="comma-separated, each a mirror every example has (default: "
                                  "every framework of " + ",".join(frameworks.NAMES) + " an "
                                  "example has a mirror in)")
        command.add_argument("--dtype", default="float64", choices=frameworks.DTYPES)
        command.add_argument("--steps", type=str, default=None, help="override the example's steps")
        command.add_argument("--out", default=str(DEFAULT_OUT), help="results folder (default: results)")
        command.add_argument("--gradient-steps", default=None,
                             help="steps for the numerical-gradient column (default: first and "
                                  "last); 'none' leaves the column out")
        command.add_argument("--gradient-elements", default=None, metavar="ELEMENTS",
                             help="the elements the numerical column estimates, as 'W1[0,0] b2[1]' "
                                  "(default: every element, or the first of each parameter where "
                                  f"that would take over {numerical.BUDGET} cost evaluations a step)")
        command.add_argument("--record-every", default="1", metavar="K",
                             help="keep every K-th step's records (and the steps claims print, "
                                  "the first and the last): every step is still taken")
        command.add_argument("--record", default=None, metavar="NAMES",
                             help="keep only these quantities, comma-separated (cost, W1, "
                                  "grad.W1, ...; and those claims name)")
        command.add_argument("--jobs", "-j", default="auto",
                             help="processes the frameworks other than NumPy run in, each "
                                  "importing its frameworks once (default: auto, one per framework;"
                                  " 1 runs everything in this process)")
    site_command = commands.add_parser("site", help="rebuild only the static site (results/site/) "
                                       "from the results already written")
    site_command.add_argument("--out", default=str(DEFAULT_OUT),
                              help="results folder to read and write site/ into (default: results)")
    translate = commands.add_parser("translate", help="an example's translation notes, and its "
                                    "implementations aligned by section in <out>/<id>/translation.html")
    translate.add_argument("example", nargs="?", metavar="EXAMPLE")
    translate.add_argument("--spec", default=None, metavar="FILE",
                           help="a definition file instead of a catalogue example")
    translate.add_argument("--out", default=str(DEFAULT_OUT), help="results folder (default: results)")
    bench = commands.add_parser("bench", help="time the check, the bare loops against the harness, "
                                "and the scale case; writes results/bench/")
    bench.add_argument("--out", default=str(DEFAULT_OUT / "bench"), help="(default: results/bench)")
    bench.add_argument("--repeat", default="3", help="runs per timing; the best is kept (default: 3)")
    bench.add_argument("--widths", default="16,64,256,1024",
                       help="hidden widths of the 784-W-10 scale case (default: 16,64,256,1024)")
    bench.add_argument("--no-check", action="store_true", help="skip timing the full repro check")
    bench.add_argument("--suite", action="store_true",
                       help="also time the test suite as make test runs it (minutes)")
    return top


def main(argv: list[str] | None = None) -> int:
    try:
        args = parser().parse_args(argv)
        if args.command == "bench":
            return command_bench(args, sys.argv[1:] if argv is None else argv)
        if args.command == "site":
            return command_site(args)
        if args.command == "translate":
            return command_translate(args, examples_in(args.examples_dir))
        if args.command != "list":
            args.steps = None if args.steps is None else step_count(args.steps)
            args.gradient_steps = (None if args.gradient_steps is None else [] if
                                   args.gradient_steps.strip() == "none" else
                                   step_list(args.gradient_steps))
            args.gradient_elements = (None if args.gradient_elements is None else
                                      element_list(args.gradient_elements))
            args.record_every = whole_number(args.record_every, "--record-every", 1)
            args.record = None if args.record is None else quantity_list(args.record)
        if args.command == "run" and not args.examples and not args.spec:
            raise UsageError("the following arguments are required: EXAMPLE (or --spec FILE)")
        catalogue = examples_in(args.examples_dir)
        return command_list(args, catalogue) if args.command == "list" else command_run(args, catalogue)
    except (UsageError, spec.DefinitionError) as error:
        print(f"repro: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("repro: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # a bug of repro's own: one line, not a traceback
        if os.environ.get("REPRO_DEBUG"):
            raise
        print(f"repro: internal error: {type(error).__name__}: {error} (a bug of repro's; "
              "REPRO_DEBUG=1 shows where)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
