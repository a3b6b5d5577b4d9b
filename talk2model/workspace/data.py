"""Loading a workspace's table: CSV, Parquet (a file, a folder or a glob of files), or a table /
SELECT through SQLAlchemy.

A Parquet dataset or a SQL table bigger than `[data] memory_rows` (default 1,000,000) is not read
into memory whole: the workspace holds a seeded, uniform random sample of `[data] sample_rows`
(default 100,000) of its rows, read in batches (memory stays bounded), and knows how many rows the
source has (`load_rows` returns both). `fetch_rows` reads a few rows by id, reading only what holds
them (Parquet row groups, `WHERE id IN (...)` with bound parameters). Batch work over every row
goes through Dask (talk2model.scale).
"""

from __future__ import annotations

import glob
import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from talk2model.errors import WorkspaceError

ERR_NO_SOURCE = "[data] needs either path = a CSV/Parquet file, or url = a SQLAlchemy URL with table or query"
ERR_NO_FILE = "[data] path: no file at {path}; check the path (relative paths are read from the workspace file's folder)"
ERR_SUFFIX = "[data] path: cannot read '{suffix}' files; use .csv or .parquet"
ERR_SQL_TARGET = "[data] url is set, so also set table = \"name\" or query = \"SELECT ...\""
ERR_NOT_CSV = ("{name} is not a CSV file: {why}. A CSV file is text, one row per line with the "
               "values separated by commas; export the table as CSV and try again")
ERR_READ = "{name} could not be read as a {kind} file ({why})"
ERR_NO_FILES = "[data] path: no Parquet files match {pattern}"
ERR_ROWS = "[data] {field} must be a whole number above 0, not {value!r}"
MEMORY_ROWS = 1_000_000      # a dataset up to this many rows is read whole
SAMPLE_ROWS = 100_000        # else the workspace holds a random sample of this many rows
SAMPLE_SEED = 0
BATCH_ROWS = 65_536


def read_frame(path: Path, *, nrows: int | None = None, index_col=None) -> pd.DataFrame:
    """A CSV or Parquet file as a frame (a CSV's first `nrows` rows when given); WorkspaceError
    with a sentence when it is not one (a binary file renamed .csv, a damaged Parquet file)."""
    suffix = path.suffix.lower()
    name = path.name
    if suffix == ".csv":
        with open(path, "rb") as fh:
            head = fh.read(64 * 1024)
        if b"\x00" in head:
            raise WorkspaceError(ERR_NOT_CSV.format(name=name, why="it holds binary data (NUL bytes)"))
        if head.startswith((b"PK\x03\x04", b"\x80", b"PAR1", b"\x89HDF")):
            raise WorkspaceError(ERR_NOT_CSV.format(name=name, why="it is a binary file (zip, pickle, "
                                                    "Parquet or HDF5) with a .csv name"))
        try:
            return pd.read_csv(path, nrows=nrows, **({"index_col": index_col} if index_col is not None else {}))
        except UnicodeDecodeError:
            raise WorkspaceError(ERR_NOT_CSV.format(name=name, why="it is not UTF-8 text")) from None
        except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
            raise WorkspaceError(ERR_READ.format(name=name, kind="CSV",
                                                 why=str(exc).splitlines()[0][:200] if str(exc) else
                                                 type(exc).__name__)) from None
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several kinds for a file that is not Parquet
        raise WorkspaceError(ERR_READ.format(name=name, kind="Parquet",
                                             why=str(exc).splitlines()[0][:200] if str(exc) else
                                             type(exc).__name__)) from None
    return frame


def is_dataset(spec_path: str, base: Path) -> bool:
    """A Parquet folder or glob (rather than one file)."""
    target = base / spec_path
    return target.is_dir() or any(ch in spec_path for ch in "*?[")


def parquet_paths(spec_path: str, base: Path) -> tuple[str, ...]:
    """The files of a Parquet dataset, in order: a folder (every *.parquet below it), a glob, or one file."""
    target = base / spec_path
    if target.is_dir():
        found = sorted(str(p) for p in target.rglob("*.parquet"))
    elif any(ch in spec_path for ch in "*?["):
        found = sorted(glob.glob(str(target), recursive=True))
    else:
        found = [str(target.resolve())] if target.is_file() else []
    if not found:
        raise WorkspaceError(ERR_NO_FILES.format(pattern=target))
    return tuple(found)


def _rows_setting(spec: dict[str, Any], field: str, default: int) -> int:
    value = spec.get(field, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise WorkspaceError(ERR_ROWS.format(field=field, value=value))
    return value


def load_table(spec: dict[str, Any], base: Path) -> pd.DataFrame:
    """The data described by a `[data]` table, indexed by row id (named `id`) — a sample when the
    source is too big (see `load_rows`)."""
    return load_rows(spec, base)[0]


def load_rows(spec: dict[str, Any], base: Path) -> tuple[pd.DataFrame, int | None]:
    """(the rows held in memory, the number of rows in the source when that is more: they are a
    sample; else None)."""
    index_col = spec.get("index_column")
    memory_rows = _rows_setting(spec, "memory_rows", MEMORY_ROWS)
    sample_rows = _rows_setting(spec, "sample_rows", SAMPLE_ROWS)
    total = None
    if "path" in spec and is_dataset(str(spec["path"]), base) or (
            "path" in spec and str(spec["path"]).lower().endswith((".parquet", ".pq"))
            and (base / spec["path"]).is_file()):
        frame, total = _read_parquet_rows(parquet_paths(str(spec["path"]), base), memory_rows, sample_rows)
        if index_col is not None:
            frame = frame.set_index(frame.columns[index_col])
    elif "path" in spec:
        path = (base / spec["path"]).resolve()
        if not path.is_file():
            raise WorkspaceError(ERR_NO_FILE.format(path=path))
        suffix = path.suffix.lower()
        if suffix == ".csv":
            frame = read_frame(path, index_col=index_col)
        else:
            raise WorkspaceError(ERR_SUFFIX.format(suffix=suffix))
    elif "url" in spec:
        frame, total = _read_sql(spec, memory_rows, sample_rows)
        if index_col is not None:
            frame = frame.set_index(frame.columns[index_col])
    else:
        raise WorkspaceError(ERR_NO_SOURCE)
    if index_col is None and not isinstance(frame.index, pd.RangeIndex) and frame.index.name != "id":
        frame = frame.reset_index(drop=True)
    frame.index.name = "id"
    return frame, (total if total is not None and total > len(frame) else None)


def _stored_index(pf) -> str | None:
    """The column a Parquet file stores its pandas index in, when that index is named `id`."""
    meta = pf.schema_arrow.pandas_metadata or {}
    names = [c for c in meta.get("index_columns", []) if isinstance(c, str)]
    return "id" if names == ["id"] else None


def _sample_positions(total: int, size: int) -> np.ndarray:
    return np.sort(np.random.default_rng(SAMPLE_SEED).choice(total, size, replace=False))


def _read_parquet_rows(paths: tuple[str, ...], memory_rows: int, sample_rows: int) -> tuple[pd.DataFrame, int]:
    """Every row when there are at most `memory_rows`, else a uniform sample of `sample_rows`
    (read batch by batch: at most one batch beyond the sample is in memory). Row ids: a stored
    index named `id`, else positions across the files in order."""
    import pyarrow.parquet as pq

    try:
        files = [pq.ParquetFile(p) for p in paths]
    except Exception as exc:  # pyarrow raises several kinds for a file that is not Parquet
        raise WorkspaceError(ERR_READ.format(name=Path(paths[0]).name, kind="Parquet",
                                             why=str(exc).splitlines()[0][:200] if str(exc) else
                                             type(exc).__name__)) from None
    total = sum(f.metadata.num_rows for f in files)
    chosen = None if total <= memory_rows else _sample_positions(total, min(sample_rows, total))
    parts, start = [], 0
    for f in files:
        stored = _stored_index(f)
        for batch in f.iter_batches(batch_size=BATCH_ROWS):
            n = batch.num_rows
            frame = None
            if chosen is None:
                frame = batch.to_pandas()
                picked = np.arange(start, start + n)
            else:
                lo, hi = np.searchsorted(chosen, [start, start + n])
                if hi > lo:
                    picked = chosen[lo:hi]
                    frame = batch.take(picked - start).to_pandas()
            if frame is not None:
                frame = frame.set_index(stored) if stored else frame.set_index(pd.Index(picked, name="id"))
                parts.append(frame)
            start += n
    frame = pd.concat(parts) if parts else pd.DataFrame()
    frame.index.name = "id"
    return frame, total


def fetch_rows(spec: dict[str, Any], base: Path, ids: list, id_column: str | None = None) -> pd.DataFrame:
    """The rows with these ids from the workspace's source, reading only what holds them (for a
    workspace that holds a sample). Ids that are not there are left out."""
    if "url" in spec:
        import sqlalchemy as sa

        engine = sa.create_engine(spec["url"])
        try:
            with engine.connect() as conn:
                table = sa.Table(spec["table"], sa.MetaData(), autoload_with=conn)
                column = table.columns[id_column or "id"]
                stmt = sa.select(table).where(column.in_(sa.bindparam("ids", expanding=True)))
                frame = pd.read_sql_query(stmt, conn, params={"ids": list(ids)})
        finally:
            engine.dispose()
        return frame.set_index(id_column or "id").rename_axis("id")
    import pyarrow.parquet as pq

    paths = parquet_paths(str(spec["path"]), base)
    files = [pq.ParquetFile(p) for p in paths]
    key = id_column or _stored_index(files[0])
    if key is not None:   # row-group statistics skip what cannot hold the ids
        table = pq.read_table(list(paths), filters=[(key, "in", list(ids))])
        frame = table.to_pandas()
        return (frame.set_index(key) if key in frame.columns else frame).rename_axis("id")
    wanted = sorted(int(i) for i in ids if isinstance(i, (int, np.integer)) and i >= 0)
    parts, start = [], 0
    for f in files:
        for g in range(f.metadata.num_row_groups):
            n = f.metadata.row_group(g).num_rows
            inside = [i for i in wanted if start <= i < start + n]
            if inside:
                group = f.read_row_group(g)
                frame = group.take([i - start for i in inside]).to_pandas()
                frame.index = pd.Index(inside, name="id")
                parts.append(frame)
            start += n
    return pd.concat(parts) if parts else pd.DataFrame(index=pd.Index([], name="id"))


def _read_sql(spec: dict[str, Any], memory_rows: int = MEMORY_ROWS,
              sample_rows: int = SAMPLE_ROWS) -> tuple[pd.DataFrame, int | None]:
    import sqlalchemy as sa

    engine = sa.create_engine(spec["url"])
    try:
        with engine.connect() as conn:
            if "table" in spec:
                table = sa.Table(spec["table"], sa.MetaData(), autoload_with=conn)
                total = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
                if total <= memory_rows:
                    return pd.read_sql_table(spec["table"], conn), None
                # too big: a uniform sample, streamed in a fixed order (the first primary-key or
                # first column) so the same rows are chosen every time
                order = list(table.primary_key.columns) or [table.columns[0]]
                chosen = _sample_positions(total, min(sample_rows, total))
                parts, start = [], 0
                for chunk in pd.read_sql_query(sa.select(table).order_by(*order), conn, chunksize=BATCH_ROWS):
                    lo, hi = np.searchsorted(chosen, [start, start + len(chunk)])
                    if hi > lo:
                        parts.append(chunk.iloc[chosen[lo:hi] - start].set_axis(
                            pd.Index(chosen[lo:hi], name="id")))   # positions, unless an id_column
                    start += len(chunk)
                return pd.concat(parts), total
            if "query" in spec:
                # The query is the workspace author's, never built from user input; user filters
                # run on the loaded frame, so no user value is ever formatted into SQL text.
                return pd.read_sql_query(sa.text(spec["query"]), conn, params=spec.get("params")), None
            raise WorkspaceError(ERR_SQL_TARGET)
    finally:
        engine.dispose()


def fingerprint_frame(frame: pd.DataFrame) -> str:
    digest = hashlib.sha256()
    digest.update(",".join(map(str, frame.columns)).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=True).values.tobytes())
    return digest.hexdigest()[:16]
