"""The trace as one long table, ``trace.parquet``: every recorded element of every
framework, one row each, built and written a chunk of records at a time.

The rows are every element any framework recorded: NumPy's in the order its
implementation recorded them (record by record, each record's elements in C order),
then what only another framework recorded, quantity by quantity, step by step. The
columns are ``step, kind, quantity, index``, then one per framework, then
``rounded_replay`` and ``numerical`` where the run has them (NaN where a column has no
such element). A table of 50 steps of an 800,000-parameter network holds 80 million
rows: it is never held whole. :func:`chunks` yields it about ``ROWS`` rows at a time
(whole records), the text columns as codes into dictionaries that grow as new words
appear, and :func:`write` writes each chunk as a Parquet row group and feeds the hash.

``trace_sha256``, the determinism hash: one SHA-256 per column over its contents in
row order (a number column as little-endian int64 or float64 bytes; a text column as
its codes, little-endian int32, into a dictionary of its words in order of first
appearance), then one SHA-256 over, column by column, the column's name, its type
(``int64``, ``float64`` or ``text``), its number of rows, its digest, and for a text
column each word of its dictionary (UTF-8, each followed by a zero byte). It does not
depend on how the table was cut into chunks: two runs that compute the same numbers
bit for bit have the same hash, whatever the machine, date or folder.
"""

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .trace import Recording, index_label

KEYS = ("step", "kind", "quantity", "index")
TEXT = ("kind", "quantity", "index")
ROWS = 1 << 19  # rows a chunk holds, about: whole records, so one record may go past it


@dataclass
class Words:
    """A text column's dictionary: each word's code, in order of first appearance, and
    the words as an Arrow array, made again only when a word was added."""

    codes: dict[str, int] = field(default_factory=dict)
    _arrow: object = None
    _arrow_length: int = -1

    def code(self, word: str) -> int:
        return self.codes.setdefault(word, len(self.codes))

    def list(self) -> list[str]:
        return list(self.codes)

    def arrow(self):
        if self._arrow_length != len(self.codes):
            self._arrow, self._arrow_length = strings(self.list()), len(self.codes)
        return self._arrow


@dataclass(frozen=True)
class Block:
    """One quantity at one shape: the steps any column recorded it at, in step order,
    and each record's place in the table (its NumPy record order, or after all of them)."""

    quantity: str
    kind: str
    shape: tuple
    steps: np.ndarray
    order: np.ndarray

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))


LATER = 1 << 62  # the order of a record NumPy did not make: after all of NumPy's


def blocks(columns: dict[str, Recording]) -> list[Block]:
    """Every (quantity, shape) any recording holds, with its records' places."""
    first = next(iter(columns.values()))
    found = []
    for quantity in dict.fromkeys(q for r in columns.values() for q in r.series):
        present = [r.series[quantity] for r in columns.values() if quantity in r.series]
        for shape in dict.fromkeys(s.shape for s in present):
            same = [s for s in present if s.shape == shape]
            steps = np.unique(np.concatenate([s.steps for s in same]))
            if steps.size == 0 or int(np.prod(shape, dtype=np.int64)) == 0:
                continue
            order = np.full(len(steps), LATER, dtype=np.int64)
            reference = first.series.get(quantity)
            if reference is not None and reference.shape == shape:
                order[np.searchsorted(steps, reference.steps)] = reference.order
            missing = order == LATER
            order[missing] = LATER + len(found) * (1 << 32) + np.flatnonzero(missing)
            found.append(Block(quantity, same[0].kind, shape, steps, order))
    return found


def _rows_of(series, steps: np.ndarray, shape: tuple) -> np.ndarray:
    """``series`` at ``steps`` (sorted), NaN where it has no record or another shape."""
    out = np.full((len(steps), *shape), np.nan)
    if series is None or series.shape != shape:
        return out
    where = np.searchsorted(series.steps, steps)
    inside = (where < len(series.steps)) & (series.steps[np.minimum(where, len(series.steps) - 1)]
                                            == steps)
    out[inside] = series.values[where[inside]]
    return out


@dataclass
class Table:
    """What a run's table is made of: its recordings by column name, the dictionaries of
    its text columns (shared by its chunks), and the index labels of each shape."""

    columns: dict[str, Recording]
    aligned: dict[str, Recording] = field(default_factory=dict)
    words: dict[str, Words] = field(default_factory=lambda: {name: Words() for name in TEXT})
    _labels: dict = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [*KEYS, *self.columns, *self.aligned]

    def label_codes(self, shape: tuple) -> np.ndarray:
        """The codes of the index labels of an array of ``shape``, in C order."""
        if shape not in self._labels:
            words = self.words["index"]
            self._labels[shape] = np.array([words.code(index_label(i)) for i in np.ndindex(shape)],
                                           dtype=np.int32)
        return self._labels[shape]

    def chunks(self, rows: int = ROWS) -> Iterator[dict[str, np.ndarray]]:
        """The table, whole records at a time, about ``rows`` rows a chunk, in row order:
        number columns as arrays, text columns as int32 codes (``words``)."""
        found = blocks(self.columns)
        if not found:
            return
        # every record, in the table's order: its place, its block and its row in the block
        places = np.concatenate([b.order for b in found])
        which = np.concatenate([np.full(len(b.steps), i, dtype=np.int64) for i, b in enumerate(found)])
        row = np.concatenate([np.arange(len(b.steps), dtype=np.int64) for b in found])
        ranked = np.argsort(places, kind="stable")
        ends = np.cumsum(np.array([found[i].size for i in which[ranked]], dtype=np.int64))
        start = 0
        while start < len(ranked):
            stop = int(np.searchsorted(ends, (ends[start - 1] if start else 0) + rows, side="right"))
            stop = max(stop, start + 1)
            taken = ranked[start:stop]
            yield self._chunk(found, which[taken], row[taken], places[taken])
            start = stop

    def _chunk(self, found: list[Block], which: np.ndarray, row: np.ndarray,
               places: np.ndarray) -> dict[str, np.ndarray]:
        """The rows of the records ``which``/``row`` (block, row in it), at ``places``:
        each block's records gathered at once, then the rows put in order."""
        sources = {**self.columns, **self.aligned}
        parts = {name: [] for name in self.names}
        keys, elements = [], []
        for index in np.unique(which):
            block, mine = found[int(index)], which == index
            steps, n, size = block.steps[row[mine]], int(mine.sum()), block.size
            keys.append(np.repeat(places[mine], size))
            elements.append(np.tile(np.arange(size, dtype=np.int64), n))
            parts["step"].append(np.repeat(steps, size))
            parts["kind"].append(np.full(n * size, self.words["kind"].code(block.kind), dtype=np.int32))
            parts["quantity"].append(np.full(n * size, self.words["quantity"].code(block.quantity),
                                             dtype=np.int32))
            parts["index"].append(np.tile(self.label_codes(block.shape), n))
            for name, recording in sources.items():
                values = _rows_of(recording.series.get(block.quantity), steps, block.shape)
                parts[name].append(values.reshape(n * size))
        order = np.lexsort((np.concatenate(elements), np.concatenate(keys)))
        return {name: np.concatenate(chunks)[order] for name, chunks in parts.items()}

    def decoded(self, chunk: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """A chunk with its text columns as arrays of words."""
        out = dict(chunk)
        for name in TEXT:
            words = np.array(self.words[name].list(), dtype=object)
            out[name] = words[chunk[name]] if len(chunk[name]) else np.zeros(0, dtype=object)
        return out

    def whole(self) -> dict[str, np.ndarray]:
        """The whole table in memory, text as words (for small tables and for reading)."""
        chunks = [self.decoded(chunk) for chunk in self.chunks()]
        if not chunks:
            return {name: np.zeros(0, dtype=object if name in TEXT else
                                   np.int64 if name == "step" else float) for name in self.names}
        return {name: np.concatenate([c[name] for c in chunks]) for name in self.names}


class Digest:
    """The determinism hash, fed chunk by chunk (the module's docstring)."""

    def __init__(self, names: list[str]):
        self.names = names
        self.columns = {name: hashlib.sha256() for name in names}
        self.rows = 0

    def update(self, chunk: dict[str, np.ndarray]) -> None:
        self.rows += len(chunk["step"])
        for name in self.names:
            values = chunk[name]
            kind = "<i4" if name in TEXT else "<i8" if name == "step" else "<f8"
            self.columns[name].update(np.ascontiguousarray(values, dtype=kind).tobytes())

    def hexdigest(self, words: dict[str, Words]) -> str:
        digest = hashlib.sha256()
        for name in self.names:
            kind = "text" if name in TEXT else "int64" if name == "step" else "float64"
            digest.update(f"{name}\0{kind}\0{self.rows}\0".encode())
            digest.update(self.columns[name].digest())
            if name in TEXT:
                for word in words[name].list():
                    digest.update(word.encode() + b"\0")
        return digest.hexdigest()


def trace_hash(columns: dict[str, np.ndarray]) -> str:
    """The determinism hash of a whole table in memory (text columns as words): the
    same as :func:`write` gives for the same rows."""
    words = {name: Words() for name in TEXT}
    coded = {name: (np.array([words[name].code(w) for w in values.tolist()], dtype=np.int32)
                    if name in TEXT else values) for name, values in columns.items()}
    digest = Digest(list(columns))
    digest.update(coded)
    return digest.hexdigest(words)


def numbers(kind, values: np.ndarray, dtype):
    """An Arrow array of numbers over a NumPy array's buffer."""
    import pyarrow as pa

    data = np.ascontiguousarray(values, dtype=dtype)
    return pa.Array.from_buffers(kind, len(data), [None, pa.py_buffer(data)])


def strings(words: list[str]):
    """An Arrow array of strings over its two buffers, int32 offsets and UTF-8 bytes."""
    import pyarrow as pa

    encoded = [word.encode() for word in words]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int32)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    return pa.Array.from_buffers(pa.string(), len(encoded),
                                 [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))])


def write(table: Table, path: Path) -> str:
    """The table as a Parquet file at ``path`` (zstd; text columns dictionary-encoded, the
    floats split into byte planes, which compress where dictionaries of them do not), a
    row group per chunk; returns its determinism hash."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = table.names
    schema = pa.schema([(name, pa.string() if name in TEXT else pa.int64() if name == "step"
                         else pa.float64()) for name in names])
    digest = Digest(names)
    with pq.ParquetWriter(path, schema, compression="zstd", use_dictionary=list(TEXT),
                          use_byte_stream_split=names[len(KEYS):]) as writer:
        for chunk in table.chunks():
            digest.update(chunk)
            arrays = []  # from the arrays' buffers: pyarrow's converters would import pandas
            for name in names:
                if name in TEXT:
                    words = table.words[name].arrow()
                    codes = numbers(pa.int32(), chunk[name], np.int32)
                    arrays.append(pa.DictionaryArray.from_arrays(codes, words).cast(pa.string()))
                else:
                    kind, dtype = (pa.int64(), np.int64) if name == "step" else (pa.float64(), np.float64)
                    arrays.append(numbers(kind, chunk[name], dtype))
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
    return digest.hexdigest(table.words)


def long_table(recording: Recording):
    """The long format as a pandas DataFrame: ``step, kind, quantity, index, value``,
    one row per element per step, in the order recorded."""
    import pandas as pd

    return pd.DataFrame(side_by_side({"value": recording}))


def side_by_side(columns: dict[str, Recording], aligned: dict[str, Recording] | None = None,
                 ) -> dict[str, np.ndarray]:
    """Several recordings in one long table, in memory: ``step, kind, quantity, index``,
    then one column of values per recording, NaN where that recording has no such
    element (``table.py``'s table: the first recording's rows in the order it recorded
    them, then the rest; ``aligned`` recordings only fill in those rows)."""
    return Table(dict(columns), dict(aligned or {})).whole()
