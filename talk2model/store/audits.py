"""Batch audits in the store: one row per `talk2model audit` run, next to the conversations.

    audit_id = record_audit(summary_json, url=None, user=None)   # the summary's JSON form
    list_audits(url)                                               # newest first, detached rows

The per-row results live in the audit's Parquet dataset (`out`); the store keeps what an auditor
asks for first: when, on which model and data (fingerprints), how many rows, where the rows
went, how long it took, and the fairness figures with their intervals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from talk2model.store.db import Base, connect
from talk2model.store.turns import json_safe


class AuditRecord(Base):
    __tablename__ = "audits"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    workspace: Mapped[str] = mapped_column(sa.String(200))
    model_fingerprint: Mapped[str] = mapped_column(sa.String(64))
    data_fingerprint: Mapped[str] = mapped_column(sa.String(64))
    rows: Mapped[int] = mapped_column(sa.Integer)
    selected: Mapped[int] = mapped_column(sa.Integer)
    where_text: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    method: Mapped[str] = mapped_column(sa.String(32))
    out: Mapped[str] = mapped_column(sa.Text)
    seconds: Mapped[float] = mapped_column(sa.Float)
    summary: Mapped[Any] = mapped_column(sa.JSON)
    user_name: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)


@dataclass(frozen=True)
class Audit:
    id: int
    created_at: datetime
    workspace: str
    rows: int
    selected: int
    where_text: str | None
    method: str
    out: str
    seconds: float
    summary: dict


def record_audit(summary: dict, url: str | None = None, *, user: str | None = None) -> int:
    """Store one audit's summary (`AuditSummary.to_json()`); returns its id."""
    engine, Session = connect(url)
    with Session.begin() as session:
        record = AuditRecord(created_at=datetime.now(timezone.utc), workspace=summary["workspace"],
                             model_fingerprint=summary.get("model_fingerprint", ""),
                             data_fingerprint=summary.get("data_fingerprint", ""), rows=summary["rows"],
                             selected=summary["selected"], where_text=summary.get("where"),
                             method=summary["method"], out=summary["out"], seconds=summary["seconds"],
                             summary=json_safe(summary), user_name=user)
        session.add(record)
        session.flush()
        return record.id


def list_audits(url: str | None = None, workspace: str | None = None) -> list[Audit]:
    engine, Session = connect(url)
    with Session() as session:
        stmt = sa.select(AuditRecord).order_by(AuditRecord.id.desc())
        if workspace:
            stmt = stmt.where(AuditRecord.workspace == workspace)
        out = []
        for r in session.scalars(stmt):
            created = r.created_at if r.created_at.tzinfo else r.created_at.replace(tzinfo=timezone.utc)
            out.append(Audit(r.id, created, r.workspace, r.rows, r.selected, r.where_text, r.method, r.out,
                             r.seconds, r.summary))
        return out
