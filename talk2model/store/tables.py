"""Every table, imported once so `Base.metadata.create_all` sees them all."""

from __future__ import annotations

# Each module below defines its tables on talk2model.store.db.Base.
import importlib
import pkgutil

import talk2model.store as _package

for _info in pkgutil.iter_modules(_package.__path__):
    if _info.name not in ("db", "tables", "migrate", "migrations"):
        importlib.import_module(f"talk2model.store.{_info.name}")
