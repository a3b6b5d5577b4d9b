"""Loading a workspace's table: CSV, Parquet, or a table / SELECT through SQLAlchemy."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pandas as pd

from talk2model.errors import WorkspaceError

ERR_NO_SOURCE = "[data] needs either path = a CSV/Parquet file, or url = a SQLAlchemy URL with table or query"
ERR_NO_FILE = "[data] path: no file at {path}; check the path (relative paths are read from the workspace file's folder)"
ERR_SUFFIX = "[data] path: cannot read '{suffix}' files; use .csv or .parquet"
ERR_SQL_TARGET = "[data] url is set, so also set table = \"name\" or query = \"SELECT ...\""
ERR_NOT_CSV = ("{name} is not a CSV file: {why}. A CSV file is text, one row per line with the "
               "values separated by commas; export the table as CSV and try again")
ERR_READ = "{name} could not be read as a {kind} file ({why})"


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


def load_table(spec: dict[str, Any], base: Path) -> pd.DataFrame:
    """The data described by a `[data]` table, indexed by row id (named `id`)."""
    index_col = spec.get("index_column")
    if "path" in spec:
        path = (base / spec["path"]).resolve()
        if not path.is_file():
            raise WorkspaceError(ERR_NO_FILE.format(path=path))
        suffix = path.suffix.lower()
        if suffix == ".csv":
            frame = read_frame(path, index_col=index_col)
        elif suffix in (".parquet", ".pq"):
            frame = read_frame(path)
            if index_col is not None:
                frame = frame.set_index(frame.columns[index_col])
        else:
            raise WorkspaceError(ERR_SUFFIX.format(suffix=suffix))
    elif "url" in spec:
        frame = _read_sql(spec)
        if index_col is not None:
            frame = frame.set_index(frame.columns[index_col])
    else:
        raise WorkspaceError(ERR_NO_SOURCE)
    if index_col is None and not isinstance(frame.index, pd.RangeIndex):
        frame = frame.reset_index(drop=True)
    frame.index.name = "id"
    return frame


def _read_sql(spec: dict[str, Any]) -> pd.DataFrame:
    import sqlalchemy as sa

    engine = sa.create_engine(spec["url"])
    try:
        with engine.connect() as conn:
            if "table" in spec:
                return pd.read_sql_table(spec["table"], conn)
            if "query" in spec:
                # The query is the workspace author's, never built from user input; user filters
                # run on the loaded frame, so no user value is ever formatted into SQL text.
                return pd.read_sql_query(sa.text(spec["query"]), conn, params=spec.get("params"))
            raise WorkspaceError(ERR_SQL_TARGET)
    finally:
        engine.dispose()


def fingerprint_frame(frame: pd.DataFrame) -> str:
    digest = hashlib.sha256()
    digest.update(",".join(map(str, frame.columns)).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=True).values.tobytes())
    return digest.hexdigest()[:16]
