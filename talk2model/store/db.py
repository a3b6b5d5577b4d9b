"""The database: one SQLAlchemy engine per URL, one declarative Base for every table.

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
    """Engine + session factory for `url`, with every table created."""
    engine = engine_for(database_url(url))
    import talk2model.store.tables  # noqa: F401  (registers the tables on Base)

    Base.metadata.create_all(engine)
    _add_missing_columns(engine)
    return engine, sessionmaker(engine, expire_on_commit=False)


def _add_missing_columns(engine: sa.Engine) -> None:
    """A store written by an older version lacks the newer nullable columns (user_name): add
    them, so an existing audit trail keeps working. Nothing is ever dropped or changed."""
    inspector = sa.inspect(engine)
    for table in Base.metadata.sorted_tables:
        if not inspector.has_table(table.name):
            continue
        present = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in present or not column.nullable:
                continue
            kind = column.type.compile(dialect=engine.dialect)
            with engine.begin() as conn:
                conn.execute(sa.text(f'ALTER TABLE {table.name} ADD COLUMN {column.name} {kind}'))
