"""talk2model: ask a machine-learning model, in plain words, why it decides what it decides."""

from __future__ import annotations

__all__ = ["Answer", "Assistant", "Workspace", "load_workspace"]
__version__ = "0.1.0"


def __getattr__(name: str):  # lazy: `import talk2model` stays cheap for the CLI
    if name in ("Answer", "Assistant"):
        from talk2model import assistant

        return getattr(assistant, name)
    if name in ("Workspace", "load_workspace"):
        from talk2model import workspace

        return getattr(workspace, name)
    raise AttributeError(name)
