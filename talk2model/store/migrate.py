"""Schema versions of the store, kept by Alembic (scripts in `talk2model/store/migrations/`).

    talk2model db upgrade [--db URL]     bring a store to this version's schema (rows are kept)
    talk2model db current [--db URL]     the store's schema version, and this version's

Every start-up checks the version (`ensure_current`, called by `db.connect`): a new, empty
database is created by the migrations; a store at an older version (or from before versions were
kept) is refused with the command to run, so nothing is ever written into a schema the code does
not match; a store newer than the code is refused too.
"""

from __future__ import annotations

import argparse
import sys
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa

from talk2model.errors import Talk2ModelError

SCRIPTS = Path(__file__).parent / "migrations"
TABLES = ("sessions", "turns", "feedback", "attribution_cache")
PRE_VERSIONS = "none: written before the store kept a schema version"

ERR_OLD_SCHEMA = ("the store at {url} has an older schema (version {current}; this talk2model needs "
                  "{head}), so nothing was written to it. Back it up, then run: talk2model db upgrade --db {url}")
ERR_NEW_SCHEMA = ("the store at {url} has schema version {current}, which this talk2model does not know "
                  "(its newest is {head}): it was written by a newer talk2model; upgrade talk2model")


class StoreSchemaError(Talk2ModelError):
    """The store's schema is not the one this code writes: run `talk2model db upgrade`."""


def _config(connection: sa.Connection | None = None):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@lru_cache(maxsize=1)
def _scripts():
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config())


def head_revision() -> str:
    return _scripts().get_current_head()


def current_revision(connection: sa.Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def _shown(engine: sa.Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def upgrade(engine: sa.Engine, revision: str = "head") -> tuple[str | None, str]:
    """Run the migrations up to `revision` in one transaction; (version before, version after)."""
    from alembic import command

    with engine.begin() as conn:
        before = current_revision(conn)
        command.upgrade(_config(conn), revision)
        after = current_revision(conn)
    return before, after


def ensure_current(engine: sa.Engine) -> None:
    """Create a new store at the newest version; refuse (StoreSchemaError) any other version."""
    head = head_revision()
    with engine.connect() as conn:
        current = current_revision(conn)
        if current == head:
            return
        present = [t for t in TABLES if sa.inspect(conn).has_table(t)]
    if current is None and not present:
        upgrade(engine)
        return
    known = {s.revision for s in _scripts().walk_revisions()}
    if current is not None and current not in known:
        raise StoreSchemaError(ERR_NEW_SCHEMA.format(url=_shown(engine), current=current, head=head))
    raise StoreSchemaError(ERR_OLD_SCHEMA.format(url=_shown(engine), current=current or PRE_VERSIONS,
                                                 head=head))


def main(argv: list[str] | None = None) -> int:
    from talk2model.store.db import database_url, engine_for

    parser = argparse.ArgumentParser(prog="talk2model db", description="the audit store's schema")
    sub = parser.add_subparsers(dest="action", required=True)
    for name, text in (("upgrade", "bring the store to this version's schema, keeping every row"),
                       ("current", "print the store's schema version and this version's")):
        p = sub.add_parser(name, help=text)
        p.add_argument("--db", help="SQLAlchemy URL of the store (default: $TALK2MODEL_DB or ./var/talk2model.sqlite)")
    args = parser.parse_args(argv)
    engine = engine_for(database_url(args.db))
    if args.action == "current":
        with engine.connect() as conn:
            print(f"store: {current_revision(conn) or PRE_VERSIONS}; this talk2model: {head_revision()}")
        return 0
    try:
        before, after = upgrade(engine)
    except Exception as exc:  # a failed migration rolls back: say so, keep the traceback out
        print(f"talk2model db upgrade: failed, nothing was changed ({type(exc).__name__}: {exc})", file=sys.stderr)
        return 1
    print(f"{_shown(engine)}: {before or PRE_VERSIONS} -> {after}" if before != after
          else f"{_shown(engine)}: already at {after}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
