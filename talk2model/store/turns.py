"""The audit trail: sessions, turns and feedback, through SQLAlchemy.

    store = Store()                                   # ./var/talk2model.sqlite, or TALK2MODEL_DB
    sid = store.new_session(workspace)
    turn_id = store.record_turn(sid, workspace, answer)   # one transaction per turn
    store.add_feedback(turn_id, "up", comment="clear answer")
    store.turns(sid), store.sessions(), store.feedback(session_id=sid)
    store.attribution_cache                           # explanations cached in the same database

Every answered turn is one row in `turns`, written in one transaction together with the update
of its session (turn count, last activity): a failure rolls both back, so the trail never holds
half a turn. Rows come back as plain frozen dataclasses (`Turn`, `SessionInfo`, `Feedback`),
detached from the database.
"""

from __future__ import annotations

import math
import threading
import uuid
from dataclasses import dataclass, fields
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from talk2model.errors import Talk2ModelError
from talk2model.sanitize import clean_text
from talk2model.store.db import Base, connect, database_url

ERR_NO_SESSION = "no session '{session_id}' in the store; list them with `talk2model transcript --list`"
ERR_NO_TURN = "no turn {turn_id} in the store"
ERR_RATING = "feedback rating must be up or down (or 1 / -1), not {rating!r}"

UP, DOWN = 1, -1
_RATINGS = {"up": UP, "like": UP, "+1": UP, "1": UP, "true": UP, "👍": UP,
            "down": DOWN, "dislike": DOWN, "-1": DOWN, "false": DOWN, "👎": DOWN}


class StoreError(Talk2ModelError):
    """A session or turn asked for is not in the store, or a value cannot be stored."""


def _now() -> datetime:
    return datetime.now(timezone.utc)


class SessionRecord(Base):
    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    last_active: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    workspace: Mapped[str] = mapped_column(sa.String(200))
    model_fingerprint: Mapped[str] = mapped_column(sa.String(64))
    data_fingerprint: Mapped[str] = mapped_column(sa.String(64))
    turn_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    user_name: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)  # who started it


class TurnRecord(Base):
    __tablename__ = "turns"
    __table_args__ = (sa.UniqueConstraint("session_id", "seq", name="uq_turns_session_seq"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(
        sa.String(32), sa.ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(sa.Integer)            # 1, 2, ... within the session
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    workspace: Mapped[str] = mapped_column(sa.String(200))
    model_fingerprint: Mapped[str] = mapped_column(sa.String(64))
    data_fingerprint: Mapped[str] = mapped_column(sa.String(64))
    question: Mapped[str] = mapped_column(sa.Text)
    query: Mapped[Any] = mapped_column(sa.JSON, nullable=True)          # the query's JSON form
    query_text: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    reading: Mapped[str | None] = mapped_column(sa.Text, nullable=True)  # "I understood: ..."
    answer: Mapped[str] = mapped_column(sa.Text)
    result: Mapped[Any] = mapped_column(sa.JSON, nullable=True)
    answer_table: Mapped[Any] = mapped_column(sa.JSON, nullable=True)
    figures: Mapped[Any] = mapped_column(sa.JSON, nullable=True)        # FigureSpec.to_json()s
    choices: Mapped[Any] = mapped_column(sa.JSON, nullable=True)
    selection: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    latency_ms: Mapped[float] = mapped_column(sa.Float)
    error: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    user_name: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)  # who asked


class FeedbackRecord(Base):
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    turn_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("turns.id", ondelete="CASCADE"),
                                         index=True)
    session_id: Mapped[str] = mapped_column(sa.String(32), index=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    rating: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)   # +1 up, -1 down
    comment: Mapped[str | None] = mapped_column(sa.Text, nullable=True)


# ---- what callers get back: detached, immutable ---------------------------------------------

@dataclass(frozen=True)
class SessionInfo:
    id: str
    created_at: datetime
    last_active: datetime
    workspace: str
    model_fingerprint: str
    data_fingerprint: str
    turn_count: int
    user_name: str | None = None


@dataclass(frozen=True)
class Turn:
    id: int
    session_id: str
    seq: int
    created_at: datetime
    workspace: str
    model_fingerprint: str
    data_fingerprint: str
    question: str
    query: Any
    query_text: str | None
    reading: str | None
    answer: str
    result: Any
    answer_table: Any
    figures: Any
    choices: Any
    selection: str | None
    latency_ms: float
    error: str | None
    user_name: str | None = None


@dataclass(frozen=True)
class Feedback:
    id: int
    turn_id: int
    session_id: str
    created_at: datetime
    rating: int | None
    comment: str | None


def _plain(record, cls):
    values = {f.name: getattr(record, f.name) for f in fields(cls)}
    for name, value in values.items():  # SQLite hands back naive datetimes: they are UTC
        if isinstance(value, datetime) and value.tzinfo is None:
            values[name] = value.replace(tzinfo=timezone.utc)
    return cls(**values)


# ---- JSON that every database accepts -------------------------------------------------------

def json_safe(value: Any) -> Any:
    """numpy / pandas values -> plain JSON; NaN and infinities -> None (PostgreSQL's json
    rejects them); anything else unknown -> its text."""
    import numpy as np
    import pandas as pd

    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return clean_text(value)   # a lone surrogate cannot be encoded: replaced, not fatal
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, np.generic):
        return json_safe(value.item())
    if isinstance(value, dict):
        return {clean_text(str(k)): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return [json_safe(v) for v in value.tolist()]
    if isinstance(value, pd.DataFrame):
        return table_json(value)
    if isinstance(value, pd.Series):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (datetime, pd.Timestamp)):
        return value.isoformat()
    if value is pd.NA or value is pd.NaT:
        return None
    return str(value)


def table_json(table) -> dict | None:
    """A DataFrame as {"columns": [...], "index": [...], "rows": [[...], ...]}."""
    if table is None:
        return None
    return {"columns": [clean_text(str(c)) for c in table.columns],
            "index": [json_safe(i) for i in table.index],
            "index_name": None if table.index.name is None else clean_text(str(table.index.name)),
            "rows": [[json_safe(v) for v in row] for row in table.itertuples(index=False, name=None)]}


def _text(value: Any) -> str | None:
    return None if value is None else clean_text(str(value))


def _query_text(query) -> str | None:
    if query is None:
        return None
    try:
        return clean_text(query.to_text())
    except Talk2ModelError:  # a feature name the text form cannot write: the JSON form has it
        return None


def _rating(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return UP if value else DOWN
    if isinstance(value, (int, float)) and value in (UP, DOWN):
        return int(value)
    key = str(value).strip().lower()
    if key in _RATINGS:
        return _RATINGS[key]
    raise StoreError(ERR_RATING.format(rating=value))


# ---- the store --------------------------------------------------------------------------------

class Store:
    """Sessions, turns and feedback in one SQLAlchemy database. Safe to share between threads:
    every call opens its own short transaction."""

    def __init__(self, url: str | None = None) -> None:
        self.url = database_url(url)
        self.engine, self._session = connect(self.url)
        self._attribution_cache = None
        self._lock = threading.Lock()

    @property
    def attribution_cache(self):
        """The attribution cache in this store's database (`store.cache.AttributionCache`), made
        on first use; every Assistant given this store shares it."""
        if self._attribution_cache is None:
            with self._lock:
                if self._attribution_cache is None:
                    from talk2model.store.cache import AttributionCache

                    self._attribution_cache = AttributionCache(self.url)
        return self._attribution_cache

    def __repr__(self) -> str:
        return f"Store({self.engine.url.render_as_string(hide_password=True)!r})"

    # ---- writing ----------------------------------------------------------------------------
    def new_session(self, workspace, *, user: str | None = None) -> str:
        session_id = uuid.uuid4().hex
        now = _now()
        with self._session.begin() as db:
            db.add(SessionRecord(id=session_id, created_at=now, last_active=now,
                                 workspace=_text(workspace.name),
                                 model_fingerprint=workspace.model_fingerprint,
                                 data_fingerprint=workspace.data_fingerprint, turn_count=0,
                                 user_name=_text(user)))
        return session_id

    def record_turn(self, session_id: str, workspace, answer, *, user: str | None = None) -> int:
        """Store one answered turn (failed ones too, with their error); returns its id.
        All or nothing: one transaction. Every text is cleaned of lone surrogates first."""
        now = _now()
        query = answer.query
        row = TurnRecord(
            session_id=session_id, created_at=now, workspace=_text(workspace.name),
            model_fingerprint=workspace.model_fingerprint,
            data_fingerprint=workspace.data_fingerprint,
            question=_text(answer.question) or "",
            query=json_safe(query.to_json()) if query is not None else None,
            query_text=_query_text(query),
            reading=_text(answer.reading), answer=_text(answer.text) or "", result=json_safe(answer.result),
            answer_table=table_json(answer.table),
            figures=[json_safe(f.to_json()) for f in answer.figures] or None,
            choices=[{"label": _text(c.label), "query": json_safe(c.query.to_json())}
                     for c in answer.choices] or None,
            selection=_text(answer.selection), latency_ms=float(answer.latency_ms or 0.0),
            error=_text(answer.error), user_name=_text(user))
        with self._session.begin() as db:
            session = db.get(SessionRecord, session_id, with_for_update=True)
            if session is None:  # a session id the store has not seen: open it now
                session = SessionRecord(id=session_id, created_at=now, last_active=now,
                                        workspace=_text(workspace.name),
                                        model_fingerprint=workspace.model_fingerprint,
                                        data_fingerprint=workspace.data_fingerprint, turn_count=0,
                                        user_name=_text(user))
                db.add(session)
                db.flush()
            session.turn_count = (session.turn_count or 0) + 1
            session.last_active = now
            row.seq = session.turn_count
            db.add(row)
            db.flush()
            return row.id

    def add_feedback(self, turn_id: int, rating: Any = None, comment: str | None = None) -> int:
        """Thumbs up / down ("up", "down", True/False, 1/-1, "Like"/"Dislike") and/or a comment."""
        value = _rating(rating)
        comment = clean_text(comment or "").strip() or None
        if value is None and comment is None:
            raise StoreError("feedback needs a rating (up or down) or a comment")
        with self._session.begin() as db:
            turn = db.get(TurnRecord, int(turn_id))
            if turn is None:
                raise StoreError(ERR_NO_TURN.format(turn_id=turn_id))
            row = FeedbackRecord(turn_id=turn.id, session_id=turn.session_id, created_at=_now(),
                                 rating=value, comment=comment)
            db.add(row)
            db.flush()
            return row.id

    # ---- reading ----------------------------------------------------------------------------
    def session(self, session_id: str) -> SessionInfo:
        with self._session() as db:
            record = db.get(SessionRecord, session_id)
            if record is None:
                raise StoreError(ERR_NO_SESSION.format(session_id=session_id))
            return _plain(record, SessionInfo)

    def sessions(self) -> list[SessionInfo]:
        """Every session, newest first."""
        with self._session() as db:
            rows = db.scalars(sa.select(SessionRecord).order_by(SessionRecord.created_at.desc(),
                                                                 SessionRecord.id))
            return [_plain(r, SessionInfo) for r in rows]

    def turns(self, session_id: str) -> list[Turn]:
        """The session's turns in the order they were asked."""
        with self._session() as db:
            rows = db.scalars(sa.select(TurnRecord).where(TurnRecord.session_id == session_id)
                              .order_by(TurnRecord.seq))
            return [_plain(r, Turn) for r in rows]

    def turn(self, turn_id: int) -> Turn:
        with self._session() as db:
            record = db.get(TurnRecord, int(turn_id))
            if record is None:
                raise StoreError(ERR_NO_TURN.format(turn_id=turn_id))
            return _plain(record, Turn)

    def feedback(self, *, session_id: str | None = None, turn_id: int | None = None) -> list[Feedback]:
        with self._session() as db:
            query = sa.select(FeedbackRecord).order_by(FeedbackRecord.id)
            if session_id is not None:
                query = query.where(FeedbackRecord.session_id == session_id)
            if turn_id is not None:
                query = query.where(FeedbackRecord.turn_id == int(turn_id))
            return [_plain(r, Feedback) for r in db.scalars(query)]
