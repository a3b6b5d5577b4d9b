"""The database: one SQLAlchemy engine per URL, one declarative Base for every table.

The schema is versioned by Alembic (talk2model/store/migrate.py, migrations/): `connect` creates a
new store by the migrations and refuses one at another version (`talk2model db upgrade`).

The URL comes from the argument, else the TALK2MODEL_DB environment variable, else a SQLite file
at ./var/talk2model.sqlite (created on first use).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, sessionmaker

ENV_VAR = "TALK2MODEL_DB"
DEFAULT_PATH = Path("var") / "talk2model.sqlite"


class Base(DeclarativeBase):
    pass


def database_url(url: str | None = None) -> str:
    if url:
        return url
    if os.environ.get(ENV_VAR):
        return os.environ[ENV_VAR]
    DEFAULT_PATH.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_PATH.resolve()}"


@lru_cache(maxsize=8)
def engine_for(url: str) -> sa.Engine:
    kwargs = {}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False}
    engine = sa.create_engine(url, future=True, **kwargs)
    if url.startswith("sqlite"):
        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # WAL: readers never block the one writer
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()
    return engine


def connect(url: str | None = None) -> tuple[sa.Engine, sessionmaker]:
    """Engine + session factory for `url`. A new database is created by the migrations; a store
    at another schema version is refused with the command that upgrades it (store/migrate.py)."""
    engine = engine_for(database_url(url))
    import talk2model.store.tables  # noqa: F401  (registers the tables on Base)
    from talk2model.store.migrate import ensure_current

    ensure_current(engine)
    return engine, sessionmaker(engine, expire_on_commit=False)
