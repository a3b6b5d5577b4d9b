"""A workspace's rows as a Dask DataFrame indexed by row id (named `id`), read in partitions.

Where the rows come from (`Workspace.data_source`, the workspace file's `[data]` table):

| `[data]` | read with | row ids |
|---|---|---|
| `path` = a Parquet folder, a glob (`"days/*.parquet"`) or file | `dask.dataframe.from_map` over pieces of whole row groups (about `partition_rows` each, from the files' metadata), only the columns asked for | the `[schema] id_column`, else a stored pandas index named `id`, else positions (0, 1, ...) |
| `path` = a CSV file | `dask.dataframe.read_csv` in blocks | the `id_column`, else positions |
| `url` + `table` | `dask.dataframe.read_sql_table`: one `SELECT ... WHERE id >= :low AND id < :high` per partition (bound parameters, never text) | the `id_column` (default `id`): a numeric, indexed column |
| `url` + `query` (+ `params`) and an `id_column` | `dask.dataframe.read_sql_query` over the SELECT as a subquery, split the same way; its parameters bound | the `id_column` |
| anything else, or a workspace built in memory | `dask.dataframe.from_pandas` of `workspace.data` | the frame's index |

Positions as ids match what `load_workspace` gives the same file (a RangeIndex), so an audit's
row ids are the ids a question uses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from talk2model.errors import WorkspaceError
from talk2model.workspace.data import parquet_paths

PARTITION_ROWS = 50_000      # rows per partition when the source does not decide
ERR_SQL_ID = ("[data] table {table}: reading it in partitions needs a numeric id column to split on; "
              "set [schema] id_column (the table has: {columns})")


@dataclass(frozen=True)
class Source:
    """Where a workspace's rows live, resolved: what `dask_frame` reads."""

    kind: str                        # memory | parquet | csv | sql
    paths: tuple[str, ...] = ()      # parquet, csv
    url: str | None = None           # sql
    table: str | None = None         # sql: a table ...
    query: str | None = None         # ... or the workspace author's SELECT
    params: tuple = ()               # its bound parameters, (name, value) pairs
    id_column: str | None = None     # the column holding row ids (None: positions / the index)

    @property
    def description(self) -> str:
        if self.kind == "sql":
            return f"SQL table {self.table}" if self.table else "a SQL query"
        if self.kind in ("parquet", "csv"):
            return f"{len(self.paths)} {self.kind.capitalize() if self.kind == 'parquet' else 'CSV'} file" \
                   + ("s" if len(self.paths) != 1 else "")
        return "the workspace's data in memory"


def source_of(workspace) -> Source:
    """The workspace's `[data]` as a `Source` (memory when it was built from a frame)."""
    spec = getattr(workspace, "data_spec", None)
    id_column = getattr(workspace, "id_column", None)
    if not spec:
        return Source("memory")
    base = Path(spec.get("_base", "."))
    if "path" in spec:
        path = str(spec["path"])
        if path.lower().endswith(".csv"):
            return Source("csv", paths=(str((base / path).resolve()),), id_column=id_column)
        return Source("parquet", paths=parquet_paths(path, base), id_column=id_column)
    if "url" in spec and "table" in spec:
        return Source("sql", url=spec["url"], table=spec["table"], id_column=id_column or "id")
    if "url" in spec and "query" in spec and id_column:
        return Source("sql", url=spec["url"], query=spec["query"],
                      params=tuple(sorted((spec.get("params") or {}).items())), id_column=id_column)
    return Source("memory")   # a SELECT without an id column to split on: what load_workspace read


def dask_frame(workspace, *, columns: list[str] | None = None, partition_rows: int = PARTITION_ROWS,
               source: Source | None = None):
    """The workspace's rows (all of them, wherever they live) as a Dask DataFrame indexed by id.
    `columns` reads only those (plus the id)."""
    import dask.dataframe as dd

    source = source or source_of(workspace)
    if source.kind == "memory":
        frame = workspace.data if columns is None else workspace.data[columns]
        return dd.from_pandas(frame, npartitions=max(1, math.ceil(len(frame) / partition_rows)), sort=True)
    wanted = None if columns is None else list(dict.fromkeys(
        ([source.id_column] if source.id_column else []) + list(columns)))
    if source.kind == "parquet":
        return _parquet_frame(source, wanted, partition_rows)
    if source.kind == "csv":
        sample = pd.read_csv(source.paths[0], nrows=1000)
        blocksize = max(1 << 16, int(partition_rows * _row_bytes(sample)))
        ddf = dd.read_csv(list(source.paths), blocksize=blocksize, usecols=wanted,
                          dtype=sample.dtypes.to_dict() if wanted is None else
                          {c: sample[c].dtype for c in wanted})
        return _with_ids(ddf, source.id_column)
    if source.kind == "sql":
        return _sql_frame(source, wanted, partition_rows)
    raise ValueError(source.kind)


def parquet_pieces(paths: tuple[str, ...], partition_rows: int) -> list[tuple[str, tuple[int, ...], int]]:
    """The dataset cut into partitions from the files' metadata alone: (file, its row groups,
    position of the first row), about `partition_rows` rows each, in file order. Partitions never
    depend on which columns are read, so positions as ids are the same in every pass."""
    import pyarrow.parquet as pq

    pieces, start = [], 0
    for path in paths:
        meta = pq.ParquetFile(path).metadata
        groups, rows = [], 0
        for g in range(meta.num_row_groups):
            n = meta.row_group(g).num_rows
            if groups and rows + n > partition_rows:
                pieces.append((path, tuple(groups), start))
                start, groups, rows = start + rows, [], 0
            groups.append(g)
            rows += n
        if groups:
            pieces.append((path, tuple(groups), start))
            start += rows
    return pieces


def read_piece(piece: tuple[str, tuple[int, ...], int], wanted: list[str] | None, stored: str | None,
               id_column: str | None) -> pd.DataFrame:
    """One partition of a Parquet dataset, indexed by row id (`wanted`: the columns to read, all
    when None; not named `columns`, which from_map would fill in itself)."""
    import pyarrow.parquet as pq

    path, groups, start = piece
    read = None if wanted is None else list(dict.fromkeys(wanted + ([stored] if stored else [])))
    frame = pq.ParquetFile(path).read_row_groups(list(groups), columns=read).to_pandas()
    if id_column and id_column in frame.columns:
        return frame.set_index(id_column).rename_axis("id")
    if stored:
        return frame if frame.index.name == "id" else frame.set_index(stored).rename_axis("id")
    frame.index = pd.RangeIndex(start, start + len(frame), name="id")
    return frame


def _parquet_frame(source: Source, wanted: list[str] | None, partition_rows: int):
    """A Parquet dataset through `dask.dataframe.from_map`, one task per piece (`parquet_pieces`)."""
    import dask.dataframe as dd
    import pyarrow.parquet as pq

    from talk2model.workspace.data import _stored_index

    first = pq.ParquetFile(source.paths[0])
    stored = _stored_index(first)                       # an index column named id
    pieces = parquet_pieces(source.paths, partition_rows)
    meta = read_piece((source.paths[0], (0,), 0), wanted, stored, source.id_column).iloc[:0]
    return dd.from_map(read_piece, pieces, args=(wanted, stored, source.id_column), meta=meta,
                       label="read-parquet-rows", enforce_metadata=False)


def _row_bytes(sample: pd.DataFrame) -> float:
    """Bytes one CSV row takes on disk, about."""
    return max(16.0, len(sample.to_csv(index=False).encode()) / max(1, len(sample)))


def _with_ids(ddf, id_column: str | None):
    """Index the frame by row id: the id column, a column or stored index named `id`, or positions."""
    if id_column and id_column in ddf.columns:
        return _indexed_by(ddf, id_column)
    if ddf.index.name == "id":      # a stored pandas index named id (as load_workspace reads it)
        return ddf
    return positions(ddf)


def _indexed_by(ddf, column: str):
    """Each partition indexed by its own ids (no shuffle: an audit needs no global order)."""
    meta = ddf._meta.set_index(column).rename_axis("id")
    return ddf.map_partitions(lambda part: part.set_index(column).rename_axis("id"), meta=meta,
                              clear_divisions=True)


def _renamed(ddf):
    return ddf.rename_axis("id") if ddf.index.name != "id" else ddf


def positions(ddf):
    """Row ids 0, 1, ... across partitions (one extra pass counts each partition's rows)."""
    lengths = ddf.map_partitions(len).compute()
    offsets = np.concatenate([[0], np.cumsum(np.asarray(lengths, dtype=np.int64))])

    def renumber(part: pd.DataFrame, partition_info=None) -> pd.DataFrame:
        start = int(offsets[partition_info["number"]]) if partition_info else 0
        part = part.copy()
        part.index = pd.RangeIndex(start, start + len(part), name="id")
        return part

    meta = ddf._meta.copy()
    meta.index = pd.RangeIndex(0, 0, name="id")
    return ddf.map_partitions(renumber, meta=meta, clear_divisions=True)


def _selectable(source: Source, conn):
    """The table, or the author's SELECT as a subquery with its columns named (its parameters
    bound, never formatted into the text): what Dask adds `WHERE id >= :low AND id < :high` to."""
    import sqlalchemy as sa

    if source.table:
        return sa.Table(source.table, sa.MetaData(), autoload_with=conn)
    text = sa.text(source.query).bindparams(**dict(source.params))
    names = list(conn.execute(sa.select(sa.text("*")).select_from(text.columns().subquery("q")).limit(0)).keys())
    return text.columns(*[sa.column(n) for n in names]).subquery("q")


def _sql_frame(source: Source, wanted: list[str] | None, partition_rows: int):
    import dask.dataframe as dd
    import sqlalchemy as sa

    engine = sa.create_engine(source.url)
    try:
        with engine.connect() as conn:
            table = _selectable(source, conn)
            names = [c.name for c in table.columns]
            if source.id_column not in names:
                raise WorkspaceError(ERR_SQL_ID.format(table=source.table or "(query)", columns=", ".join(names)))
            idcol = table.columns[source.id_column]
            count = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            low, high = conn.execute(sa.select(sa.func.min(idcol), sa.func.max(idcol))).one()
    finally:
        engine.dispose()
    columns = None if wanted is None else [c for c in wanted if c != source.id_column]
    npartitions = max(1, math.ceil((count or 1) / partition_rows))
    limits = (low, high) if count else None
    if source.table:
        ddf = dd.read_sql_table(source.table, source.url, index_col=source.id_column, columns=columns,
                                npartitions=npartitions, limits=limits)
    else:
        chosen = [table.c[c] for c in (columns if columns is not None else names) if c != source.id_column]
        ddf = dd.read_sql_query(sa.select(table.c[source.id_column], *chosen), source.url,
                                index_col=source.id_column, npartitions=npartitions, limits=limits)
    return _renamed(ddf)


DISTINCT_CAP = 1000   # per partition: enough to tell a category from a number to band


def column_values(workspace, columns: list[str], source: Source | None = None) -> dict[str, Any]:
    """Per column, over every row (Dask, one pass, no shuffle): ("numeric", min, max, distinct
    values up to DISTINCT_CAP) for numbers, ("values", [distinct values]) for the rest."""
    ddf = dask_frame(workspace, columns=columns, source=source)

    def summarise(part: pd.DataFrame) -> list:
        return [_summary(part[c]) for c in columns]

    parts = ddf.to_delayed()
    import dask

    done = dask.compute(*[dask.delayed(summarise)(p) for p in parts])
    out: dict[str, Any] = {}
    for j, c in enumerate(columns):
        pieces = [d[j] for d in done]
        if pd.api.types.is_numeric_dtype(ddf[c].dtype):
            lows = [p[1] for p in pieces if p[1] is not None]
            highs = [p[2] for p in pieces if p[2] is not None]
            distinct = set().union(*[p[3] for p in pieces])
            out[c] = ("numeric", min(lows) if lows else None, max(highs) if highs else None, sorted(distinct))
        else:
            out[c] = ("values", list(pd.unique(pd.Series([v for p in pieces for v in p[1]], dtype=object))))
    return out


def _summary(column: pd.Series) -> tuple:
    values = column.dropna()
    if pd.api.types.is_numeric_dtype(column.dtype):
        distinct = set(values.unique()[:DISTINCT_CAP].tolist())
        return ("numeric", values.min() if len(values) else None, values.max() if len(values) else None, distinct)
    return ("values", values.unique().tolist())
