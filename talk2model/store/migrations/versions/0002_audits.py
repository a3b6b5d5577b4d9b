"""One row per `talk2model audit` run (talk2model/store/audits.py): fingerprints, rows, the
selection, the method, the output folder, seconds and the fairness summary.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audits",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("workspace", sa.String(200), nullable=False),
        sa.Column("model_fingerprint", sa.String(64), nullable=False),
        sa.Column("data_fingerprint", sa.String(64), nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("selected", sa.Integer, nullable=False),
        sa.Column("where_text", sa.Text, nullable=True),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("out", sa.Text, nullable=False),
        sa.Column("seconds", sa.Float, nullable=False),
        sa.Column("summary", sa.JSON, nullable=False),
        sa.Column("user_name", sa.String(200), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("audits")
