"""Data a definition reads from files or makes with a generator, as its source does.

A ``[data]`` entry is a literal array, or a table saying where the array comes from and
what the source does to it, in this order:

1. **where**: ``file`` (a path inside the definition's folder: ``.csv`` of numbers,
   ``.npy``, ``.npz`` or ``.h5`` / ``.hdf5`` with the ``key`` of the array), or
   ``generator`` (``make_moons``, ``make_circles``, ``make_blobs``,
   ``make_classification``, ``make_regression`` of ``sklearn.datasets``, called with
   ``args`` as the source calls it, its ``random_state`` given) and ``part``, the
   generator's ``X`` or ``y``;
2. ``columns`` (of a CSV or any 2-D array: the ones taken, by index) and ``rows``
   (``[start, stop]``: a split, such as a training and a test set of one file);
3. ``relabel`` (labels 0 to n - 1 as the n numbers it lists: ``[-1, 1]`` for a source's
   ``y = 2 * y - 1``), ``one_hot`` (labels 0 to n - 1 as rows of n zeros and a one) and
   ``reshape``;
4. ``scale``: a number the array is divided by (``255``), ``"standardise"``
   (``(x - mean) / std`` of each column, NumPy's population std as scikit-learn's
   StandardScaler) or ``"min_max"`` (``(x - min) / (max - min)`` of each column), on
   the entry's own numbers or on ``scale_by``'s (another entry, before its scaling: the
   training set a test set is scaled like);
5. ``transpose``: one example a column, for a source whose layout is that.

Each file is hashed (sha256) into the run's provenance, with its size; each generator
with scikit-learn's version. A generator's arrays are kept in a cache folder
(``cache_folder``), keyed by the call and scikit-learn's version, so that a process
that reads the definition again does not import scikit-learn. Nothing here runs code
from the definition.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.metadata
import io
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field, ValidationError, model_validator

from .schema import Strict, shape_text

GENERATORS = ("make_moons", "make_circles", "make_blobs", "make_classification",
              "make_regression")
FORMATS = {".csv": "csv", ".npy": "npy", ".npz": "npz", ".h5": "hdf5", ".hdf5": "hdf5"}
Number = int | float | bool
Argument = Number | str | list[Number] | list[list[Number]]


class DataSource(Strict):
    """A ``[data]`` entry given as a table (the module's docstring)."""

    file: str | None = Field(None, description="a file in the definition's folder")
    key: str | None = Field(None, description="the array's name in an .npz or HDF5 file")
    generator: Literal[GENERATORS] | None = Field(None, description="of sklearn.datasets")
    args: dict[str, Argument] = Field({}, description="the generator's keyword arguments")
    part: Literal["X", "y"] | None = Field(None, description="which array the generator "
                                                            "returns")
    header: int = Field(0, ge=0, description="lines of a CSV file before its numbers")
    columns: list[int] | None = Field(None, description="the columns taken, by index")
    rows: tuple[int, int] | None = Field(None, description="[start, stop]: the rows taken")
    relabel: list[float] | None = Field(None, min_length=2, description="labels 0 to n - 1 "
                                                                    "as these n numbers")
    one_hot: int | None = Field(None, ge=2, description="labels 0 to n - 1 as one-hot rows")
    reshape: list[int] | None = None
    scale: float | Literal["standardise", "min_max"] | None = None
    scale_by: str | None = Field(None, description="the entry whose numbers set the scale")
    transpose: bool = False

    @model_validator(mode="after")
    def one_place(self):
        if (self.file is None) == (self.generator is None):
            raise ValueError("give a file or a generator (one of them)")
        if self.file is not None:
            for key, given in (("args", self.args), ("part", self.part)):
                if given:
                    raise ValueError(f"{key}: belongs to a generator, not a file")
        else:
            if self.part is None:
                raise ValueError("part: missing (the generator's X or y)")
            if self.key is not None or self.header:
                raise ValueError("key and header belong to a file, not a generator")
            if not isinstance(self.args.get("random_state"), int):
                raise ValueError("args.random_state: missing (an integer, the seed the source "
                                 "gives: a generator without one gives other data every run)")
        if isinstance(self.scale, float) and not (np.isfinite(self.scale) and self.scale > 0):
            raise ValueError(f"scale: a number above 0, 'standardise' or 'min_max', found "
                             f"{self.scale!r}")
        if self.scale_by is not None and self.scale is None:
            raise ValueError("scale_by: given without a scale")
        return self


@dataclass(frozen=True)
class Origin:
    """Where an entry came from, for the provenance: a file's path (relative to the
    definition's folder), size and sha256, or a generator, its arguments and the version
    of scikit-learn that ran it."""

    file: str | None = None
    sha256: str | None = None
    bytes: int | None = None
    generator: str | None = None
    args: dict | None = None
    version: str | None = None


def is_source(entry) -> bool:
    return isinstance(entry, dict)


def resolve(data: dict, folder: Path) -> tuple[dict, dict[str, Origin]]:
    """``[data]`` with every table entry read, made and transformed into a float64
    array; and the origin of each. A ValueError of one line naming the entry."""
    sources = {}
    for name, entry in data.items():
        if is_source(entry):
            try:
                sources[name] = DataSource.model_validate(entry)
            except ValidationError as error:
                first = error.errors()[0]
                where = ".".join(str(p) for p in first["loc"])
                message = first["msg"].removeprefix("Value error, ")
                raise ValueError(f"data.{name}{'.' + where if where else ''}: {message}") from None
    if not sources:
        return data, {}
    raw, origins = {}, {}
    for name, source in sources.items():
        try:
            array, origins[name] = loaded(source, folder)
            raw[name] = shaped(source, array)
        except ValueError as error:
            raise ValueError(f"data.{name}: {error}") from None
    resolved = dict(data)
    for name, source in sources.items():
        if source.scale_by is not None and source.scale_by not in raw:
            raise ValueError(f"data.{name}.scale_by: '{source.scale_by}' is no [data] entry read "
                             "from a file or a generator")
        by = raw[source.scale_by or name]
        try:
            array = scaled(raw[name], source.scale, by)
        except ValueError as error:
            raise ValueError(f"data.{name}.scale: {error}") from None
        resolved[name] = array.T if source.transpose else array
        if not np.all(np.isfinite(resolved[name])):
            raise ValueError(f"data.{name}: not every number is finite")
    return resolved, origins


def inside(folder: Path, name: str) -> Path:
    """A file named in a definition: a relative path inside its folder."""
    path = Path(name)
    if path.is_absolute() or ".." in path.parts:
        raise ValueError(f"file '{name}' must be a path inside the definition's folder")
    found = folder / path
    if not found.is_file():
        raise ValueError(f"file '{name}' is not in {folder}")
    return found


def loaded(source: DataSource, folder: Path) -> tuple[np.ndarray, Origin]:
    if source.generator is not None:
        return generated(source), Origin(generator=f"sklearn.datasets.{source.generator}",
                                         args=dict(source.args), version=sklearn_version())
    path = inside(folder, source.file)
    content = path.read_bytes()
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise ValueError(f"file '{source.file}': not one of {', '.join(FORMATS)}")
    if kind != "csv" and source.header:
        raise ValueError("header: belongs to a CSV file")
    if kind in ("npz", "hdf5") and source.key is None:
        raise ValueError(f"key: missing (the array's name in '{source.file}')")
    if kind in ("csv", "npy") and source.key is not None:
        raise ValueError(f"key: a {kind} file holds one array")
    array = READERS[kind](content, source, path)
    origin = Origin(file=source.file, sha256=hashlib.sha256(content).hexdigest(),
                    bytes=len(content))
    return np.asarray(array, dtype=np.float64), origin


def read_csv(content: bytes, source: DataSource, path: Path) -> np.ndarray:
    lines = content.decode("utf-8").splitlines()[source.header:]
    rows = [row for row in csv.reader(io.StringIO("\n".join(lines))) if row]
    try:
        array = np.array([[float(cell) for cell in row] for row in rows], dtype=np.float64)
    except ValueError:
        line = next(i for i, row in enumerate(rows, source.header + 1)
                    if not all(_is_number(c) for c in row))
        raise ValueError(f"file '{source.file}', line {line}: not numbers (header = N skips "
                         "the lines before them)") from None
    if array.ndim != 2:
        raise ValueError(f"file '{source.file}': rows of different lengths")
    return array


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def read_npy(content: bytes, source: DataSource, path: Path) -> np.ndarray:
    try:
        return np.load(io.BytesIO(content), allow_pickle=False)
    except ValueError as error:
        raise ValueError(f"file '{source.file}': {str(error).splitlines()[0]}") from None


def read_npz(content: bytes, source: DataSource, path: Path) -> np.ndarray:
    try:
        with np.load(io.BytesIO(content), allow_pickle=False) as arrays:
            if source.key not in arrays.files:
                raise KeyError
            return arrays[source.key]
    except KeyError:
        raise ValueError(f"key: '{source.key}' is not in '{source.file}' (it holds "
                         f"{', '.join(arrays.files)})") from None
    except ValueError as error:
        raise ValueError(f"file '{source.file}': {str(error).splitlines()[0]}") from None


def read_hdf5(content: bytes, source: DataSource, path: Path) -> np.ndarray:
    import h5py  # only for a definition that reads one

    try:
        with h5py.File(io.BytesIO(content), "r") as file:
            found = file.get(source.key)
            if not isinstance(found, h5py.Dataset):
                names = []
                file.visit(lambda n: names.append(n) if isinstance(file[n], h5py.Dataset) else None)
                raise ValueError(f"key: '{source.key}' is not a data set of '{source.file}' "
                                 f"(it holds {', '.join(names) or 'none'})")
            return found[()]
    except OSError as error:
        raise ValueError(f"file '{source.file}': not an HDF5 file ({error})") from None


READERS = {"csv": read_csv, "npy": read_npy, "npz": read_npz, "hdf5": read_hdf5}


def sklearn_version() -> str:
    """The installed scikit-learn's version, read without importing it."""
    return importlib.metadata.version("scikit-learn")


def cache_folder() -> Path:
    """Where generated data are kept between processes: $REPRO_CACHE, else
    ~/.cache/repro (importing scikit-learn takes about two seconds a process)."""
    return Path(os.environ.get("REPRO_CACHE") or Path.home() / ".cache" / "repro") / "datasets"


def generated(source: DataSource) -> np.ndarray:
    """The generator's X or y, called as the source calls it: from the cache where this
    version of scikit-learn has made them before, else made and kept there."""
    call = json.dumps([source.generator, source.args, sklearn_version()], sort_keys=True)
    path = cache_folder() / f"{hashlib.sha256(call.encode()).hexdigest()}.npz"
    try:
        with np.load(path, allow_pickle=False) as kept:
            X, y = kept["X"], kept["y"]
    except (OSError, ValueError, KeyError):  # not made yet, or a file that is not whole
        X, y = made(source)
        keep(path, X, y)
    return np.asarray(X if source.part == "X" else y, dtype=np.float64)


def made(source: DataSource) -> tuple[np.ndarray, np.ndarray]:
    from sklearn import datasets

    try:
        X, y = getattr(datasets, source.generator)(**source.args)[:2]
    except (TypeError, ValueError) as error:
        raise ValueError(f"{source.generator}({', '.join(f'{k}={v!r}' for k, v in source.args.items())}): "
                         f"{str(error).splitlines()[0]}") from None
    return np.asarray(X), np.asarray(y)


def keep(path: Path, X: np.ndarray, y: np.ndarray) -> None:
    """Write the arrays whole or not at all (a temporary file, then a rename); a cache
    that cannot be written is no error."""
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".npz", delete=False) as file:
            temporary = file.name
            np.savez(file, X=X, y=y)
        os.replace(temporary, path)
    except OSError:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)


def shaped(source: DataSource, array: np.ndarray) -> np.ndarray:
    """Columns and rows taken, one-hot labels, a reshape: what the source does before
    scaling."""
    if source.columns is not None:
        if array.ndim != 2:
            raise ValueError(f"columns: of a 2-D array, found shape {shape_text(array.shape)}")
        bad = [c for c in source.columns if not -array.shape[1] <= c < array.shape[1]]
        if bad:
            raise ValueError(f"columns: {bad[0]} is outside the {array.shape[1]} columns")
        array = array[:, source.columns]
    if source.rows is not None:
        start, stop = source.rows
        if not 0 <= start < stop <= len(array):
            raise ValueError(f"rows: [{start}, {stop}] is not a span of the {len(array)} rows")
        array = array[start:stop]
    if source.relabel is not None:  # y = 2 y - 1 of labels 0 and 1 is relabel = [-1, 1]
        labels = array
        if not np.all((labels == np.round(labels)) & (labels >= 0) & (labels < len(source.relabel))):
            raise ValueError(f"relabel: labels must be integers 0 to {len(source.relabel) - 1}")
        array = np.array(source.relabel, dtype=np.float64)[labels.astype(np.int64)]
    if source.one_hot is not None:
        labels = array.reshape(-1)
        if not np.all((labels == np.round(labels)) & (labels >= 0) & (labels < source.one_hot)):
            raise ValueError(f"one_hot: labels must be integers 0 to {source.one_hot - 1}")
        array = np.eye(source.one_hot)[labels.astype(np.int64)]
    if source.reshape is not None:
        try:
            array = array.reshape(source.reshape)
        except ValueError:
            raise ValueError(f"reshape: {source.reshape} does not fit shape "
                             f"{shape_text(array.shape)}") from None
    return array


def scaled(array: np.ndarray, scale, by: np.ndarray) -> np.ndarray:
    """Divided by a number, or standardised or min-max scaled by each column of ``by``."""
    if scale is None:
        return array
    if not isinstance(scale, str):
        return array / scale
    if by.shape[1:] != array.shape[1:]:
        raise ValueError(f"the numbers it is scaled by have columns {shape_text(by.shape[1:])}, "
                         f"this entry {shape_text(array.shape[1:])}")
    if scale == "standardise":
        spread = np.std(by, axis=0)
        low = np.mean(by, axis=0)
    else:
        low = np.min(by, axis=0)
        spread = np.max(by, axis=0) - low
    if np.any(spread == 0):
        raise ValueError(f"{scale}: a column whose numbers are all one value (it would divide "
                         "by 0)")
    return (array - low) / spread
