"""The store as it was before migrations: sessions, turns, feedback, the attribution cache.

A new database gets the four tables. A database written before talk2model kept a schema version
(it has the tables but no `alembic_version`) keeps every row: its tables are left as they are,
and only the nullable columns added before versioning (`user_name`) are added where missing, as
the old start-up code did. Frozen: later changes are new scripts, never edits here.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _tables() -> list[sa.Table]:
    meta = sa.MetaData()
    sessions = sa.Table(
        "sessions", meta,
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_active", sa.DateTime(timezone=True), nullable=False),
        sa.Column("workspace", sa.String(200), nullable=False),
        sa.Column("model_fingerprint", sa.String(64), nullable=False),
        sa.Column("data_fingerprint", sa.String(64), nullable=False),
        sa.Column("turn_count", sa.Integer, nullable=False),
        sa.Column("user_name", sa.String(200), nullable=True),
    )
    turns = sa.Table(
        "turns", meta,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("session_id", sa.String(32), sa.ForeignKey("sessions.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("workspace", sa.String(200), nullable=False),
        sa.Column("model_fingerprint", sa.String(64), nullable=False),
        sa.Column("data_fingerprint", sa.String(64), nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("query", sa.JSON, nullable=True),
        sa.Column("query_text", sa.Text, nullable=True),
        sa.Column("reading", sa.Text, nullable=True),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("result", sa.JSON, nullable=True),
        sa.Column("answer_table", sa.JSON, nullable=True),
        sa.Column("figures", sa.JSON, nullable=True),
        sa.Column("choices", sa.JSON, nullable=True),
        sa.Column("selection", sa.Text, nullable=True),
        sa.Column("latency_ms", sa.Float, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("user_name", sa.String(200), nullable=True),
        sa.UniqueConstraint("session_id", "seq", name="uq_turns_session_seq"),
    )
    feedback = sa.Table(
        "feedback", meta,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("turn_id", sa.Integer, sa.ForeignKey("turns.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("session_id", sa.String(32), nullable=False, index=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rating", sa.Integer, nullable=True),
        sa.Column("comment", sa.Text, nullable=True),
    )
    cache = sa.Table(
        "attribution_cache", meta,
        sa.Column("model_fp", sa.String(64), primary_key=True),
        sa.Column("data_fp", sa.String(64), primary_key=True),
        sa.Column("method", sa.String(32), primary_key=True),
        sa.Column("layout", sa.String(16), primary_key=True),
        sa.Column("row_id", sa.String(128), primary_key=True),
        sa.Column("base_value", sa.Float, nullable=False),
        sa.Column("output_value", sa.Float, nullable=False),
        sa.Column("explained", sa.String(128), nullable=True),
        sa.Column("attributions", sa.LargeBinary, nullable=False),
    )
    return [sessions, turns, feedback, cache]


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    for table in _tables():
        if not inspector.has_table(table.name):
            table.create(bind)
            continue
        present = {c["name"] for c in inspector.get_columns(table.name)}
        missing = [c for c in table.columns if c.name not in present]
        if not missing:
            continue
        if any(not c.nullable for c in missing):
            raise RuntimeError(f"table {table.name} lacks required columns "
                               f"{', '.join(c.name for c in missing if not c.nullable)}; it was not written by talk2model")
        with op.batch_alter_table(table.name) as batch:
            for column in missing:
                batch.add_column(sa.Column(column.name, column.type, nullable=True))


def downgrade() -> None:
    for name in ("feedback", "turns", "sessions", "attribution_cache"):
        op.drop_table(name)
