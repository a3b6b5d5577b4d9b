"""Shared fixtures. Built-in workspaces load once per test session (they are read-only)."""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

import pytest  # noqa: E402

from talk2model.workspace import load_workspace  # noqa: E402


@pytest.fixture(scope="session")
def credit():
    return load_workspace("credit")


@pytest.fixture(scope="session")
def compas():
    return load_workspace("compas")


@pytest.fixture(scope="session")
def german():
    return load_workspace("german")


@pytest.fixture(scope="session")
def diabetes():
    return load_workspace("diabetes")


@pytest.fixture(params=["credit", "compas", "diabetes"])
def any_ws(request):
    """Foundation operations are checked on several workspaces (tree pipeline, linear, forest)."""
    return load_workspace(request.param)
