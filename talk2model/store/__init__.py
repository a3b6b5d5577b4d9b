"""Persistence through SQLAlchemy: a SQLite file by default, any SQLAlchemy URL by setting.

`db.py` owns the engine and the declarative Base; tables live in modules beside it
(sessions/turns/feedback for the audit trail, the attribution cache for explainers).
"""
