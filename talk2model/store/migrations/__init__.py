"""Alembic migrations of the audit store (sessions, turns, feedback, the attribution cache).

`talk2model db upgrade [--db URL]` runs them (talk2model/store/migrate.py); `env.py` is Alembic's
entry point and `versions/` holds one frozen script per schema change. A new column or table is a
new script here plus the model change in turns.py / cache.py; tests/test_store_migrations.py
checks that the scripts end exactly at the models.
"""
