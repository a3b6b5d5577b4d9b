"""Alembic's entry point: run the migrations on the connection talk2model hands over."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

import talk2model.store.tables  # noqa: F401  (registers every table on Base)
from talk2model.store.db import Base

config = context.config


def _run(connection: sa.Connection) -> None:
    # render_as_batch: SQLite changes a table by copying it, which batch mode does for us
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:  # the `alembic` command line, with sqlalchemy.url set in its config
    engine = sa.create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()
