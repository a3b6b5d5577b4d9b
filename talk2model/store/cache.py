"""The attribution cache: one row per (model, data, explanation method, feature layout, row id).

Values are the attributions of one row in the user's features (float64 bytes, in the order the
layout hash stands for), with the base value and the model's output in the explained space. Keyed
by fingerprints, so entries survive restarts and are shared by every session given the same cache
(the app gives its one `Store`'s cache to every session), and a retrained model or changed data
simply misses. The keys and entries are the explainers' types (`explainers/cached.py`), which never
import this module: the cache is passed to them.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Iterable

import numpy as np
import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from talk2model.explainers.cached import Block, CacheKey, Entry
from talk2model.store.db import Base
from talk2model.store.migrate import StoreSchemaError

log = logging.getLogger(__name__)
BIG_READ = 500     # more ids than this: read the key's rows in one scan, not an IN list
CHUNK = 5000
# a store at another schema version is refused (talk2model db upgrade): the cache turns itself off
_FAILURES = (SQLAlchemyError, StoreSchemaError)


class CachedAttribution(Base):
    __tablename__ = "attribution_cache"

    model_fp: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    data_fp: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    method: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    layout: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    row_id: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    base_value: Mapped[float] = mapped_column(sa.Float)
    output_value: Mapped[float] = mapped_column(sa.Float)
    explained: Mapped[str | None] = mapped_column(sa.String(128), nullable=True)
    attributions: Mapped[bytes] = mapped_column(sa.LargeBinary)


def _where(key: CacheKey, table: sa.Table):
    return sa.and_(table.c.model_fp == key.model_fp, table.c.data_fp == key.data_fp,
                   table.c.method == key.method, table.c.layout == key.layout)


class AttributionCache:
    """Reads and writes cached attributions; writes go to one background thread.

    Any database error disables the cache for this process (with one warning): explanations are
    then computed every time, never refused.
    """

    def __init__(self, url: str | None = None) -> None:
        self.url = url
        self._engine: sa.Engine | None = None
        self._lock = threading.Lock()
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="attribution-cache")
        self._pending: list[Future] = []
        self.enabled = True

    @property
    def engine(self) -> sa.Engine:
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    from talk2model.store.db import connect

                    self._engine, _ = connect(self.url)
        return self._engine

    @property
    def table(self) -> sa.Table:
        return CachedAttribution.__table__

    def _fail(self, exc: Exception) -> None:
        if self.enabled:
            log.warning("attribution cache disabled: %s", exc)
        self.enabled = False

    def get(self, key: CacheKey, ids: Iterable[Any]) -> dict[str, Entry]:
        """Cached entries for the given row ids (as strings), those that exist."""
        if not self.enabled:
            return {}
        wanted = [str(i) for i in ids]
        t = self.table
        cols = (t.c.row_id, t.c.base_value, t.c.output_value, t.c.explained, t.c.attributions)
        try:
            with self.engine.connect() as conn:
                if len(wanted) > BIG_READ:
                    rows = conn.execute(sa.select(*cols).where(_where(key, t))).all()
                    keep = set(wanted)
                    rows = [r for r in rows if r[0] in keep]
                else:
                    rows = conn.execute(sa.select(*cols).where(_where(key, t), t.c.row_id.in_(wanted))).all()
        except _FAILURES as exc:
            self._fail(exc)
            return {}
        return {r[0]: Entry(np.frombuffer(r[4], dtype=np.float64), r[1], r[2], r[3]) for r in rows}

    def count(self, key: CacheKey) -> int:
        try:
            with self.engine.connect() as conn:
                return int(conn.execute(sa.select(sa.func.count()).select_from(self.table)
                                        .where(_where(key, self.table))).scalar_one())
        except _FAILURES as exc:
            self._fail(exc)
            return 0

    def put(self, key: CacheKey, entries: "dict[str, Entry] | Block", *, wait: bool = False) -> None:
        """Store entries (existing keys are kept). In the background unless `wait`."""
        if not self.enabled or not len(entries):
            return
        if wait:
            self._write(key, entries)
            return
        self._pending = [f for f in self._pending if not f.done()]
        self._pending.append(self._writer.submit(self._write, key, entries))

    def flush(self) -> None:
        """Wait for every background write to finish."""
        for future in list(self._pending):
            future.result()
        self._pending.clear()

    def _write(self, key: CacheKey, entries: "dict[str, Entry] | Block") -> None:
        if not self.enabled:
            return
        if isinstance(entries, Block):
            entries = entries.entries()
        rows = [{"model_fp": key.model_fp, "data_fp": key.data_fp, "method": key.method,
                 "layout": key.layout, "row_id": rid, "base_value": float(e.base),
                 "output_value": float(e.output), "explained": e.explained,
                 "attributions": np.ascontiguousarray(e.values, dtype=np.float64).tobytes()}
                for rid, e in entries.items()]
        try:
            engine = self.engine
            dialect = engine.dialect.name
            with engine.begin() as conn:
                for start in range(0, len(rows), CHUNK):
                    part = rows[start:start + CHUNK]
                    if dialect in ("sqlite", "postgresql"):
                        module = __import__(f"sqlalchemy.dialects.{dialect}", fromlist=["insert"])
                        conn.execute(module.insert(self.table).on_conflict_do_nothing(), part)
                    else:
                        have = {r[0] for r in conn.execute(sa.select(self.table.c.row_id).where(
                            _where(key, self.table), self.table.c.row_id.in_([p["row_id"] for p in part])))}
                        fresh = [p for p in part if p["row_id"] not in have]
                        if fresh:
                            conn.execute(sa.insert(self.table), fresh)
        except _FAILURES as exc:
            self._fail(exc)

    def clear(self, key: CacheKey | None = None) -> int:
        with self.engine.begin() as conn:
            stmt = sa.delete(self.table)
            if key is not None:
                stmt = stmt.where(_where(key, self.table))
            return conn.execute(stmt).rowcount or 0
