"""The attribution cache on a real SQLite file: round trip, reuse after a restart, keys that miss
when the model or data change, what-if rows never stored, and precompute filling it."""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pytest

from talk2model import Assistant
from talk2model.cli import precompute_main
from talk2model.explainers.attributions import Explainer
from talk2model.explainers.precompute import precompute
from talk2model.store.cache import AttributionCache, CacheKey, Entry


@pytest.fixture
def db(tmp_path):
    return f"sqlite:///{tmp_path / 'attributions.sqlite'}", tmp_path / "attributions.sqlite"


def rows_in(path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("select count(*) from attribution_cache").fetchone()[0]


def test_entries_round_trip_exactly(db):
    url, path = db
    cache = AttributionCache(url)
    key = CacheKey("m" * 16, "d" * 16, "shap-tree", "layout")
    values = np.array([0.1, -2.5, 1e-12, 3.0])
    cache.put(key, {"12": Entry(values, 1.5, 2.100000000001, "1"), "x": Entry(values * 2, 0.0, -1.0)}, wait=True)
    again = AttributionCache(url).get(key, ["12", "x", "missing"])     # a new process, same file
    assert set(again) == {"12", "x"}
    np.testing.assert_array_equal(again["12"].values, values)
    assert (again["12"].base, again["12"].output, again["12"].explained) == (1.5, 2.100000000001, "1")
    assert AttributionCache(url).get(CacheKey("other", "d" * 16, "shap-tree", "layout"), ["12"]) == {}
    assert rows_in(path) == 2
    cache.put(key, {"12": Entry(values + 1, 0, 0)}, wait=True)           # existing keys are kept
    np.testing.assert_array_equal(AttributionCache(url).get(key, ["12"])["12"].values, values)


def test_explanations_are_reused_after_a_restart(db, credit):
    url, path = db
    cache = AttributionCache(url)
    rows = credit.data.iloc[:40]
    first = Explainer(credit).attributions(rows, cache=cache)
    assert first.from_cache == 0
    cache.flush()                     # waits for the background writer
    assert rows_in(path) == 40
    restarted = Explainer(credit)     # a fresh explainer and cache: empty memory, same database
    second = restarted.attributions(rows, cache=AttributionCache(url))
    assert second.from_cache == 40
    pd.testing.assert_frame_equal(first.values, second.values)
    pd.testing.assert_series_equal(first.base, second.base)
    # the cached answer is the same as a fresh computation
    fresh = restarted.attributions(rows, cacheable=False)
    np.testing.assert_allclose(second.values.to_numpy(), fresh.values.to_numpy(), atol=1e-12)


def test_whatif_rows_are_not_cached_and_a_changed_model_misses(db, credit):
    url, path = db
    cache = AttributionCache(url)
    answer = Assistant(credit, cache=cache).run("filter id == 5 then whatif duration set 6 then explain auto")
    assert answer.error is None, answer.text
    cache.flush()
    assert not path.exists() or rows_in(path) == 0
    ex = Explainer(credit)
    ex.attributions(credit.data.iloc[:3], cache=cache)
    cache.flush()
    key = ex.key("shap-tree")
    changed = CacheKey("retrained-model", key.data_fp, key.method, key.layout)
    assert AttributionCache(url).get(key, ["0", "1", "2"]).keys() == {"0", "1", "2"}
    assert AttributionCache(url).get(changed, ["0", "1", "2"]) == {}


def test_precompute_fills_every_row_once(db, compas, capsys):
    url, path = db
    figures = precompute(compas, AttributionCache(url), progress=False)
    assert figures["computed"] == len(compas.data) == rows_in(path)
    assert precompute_main(["-w", "compas", "--db", url, "--quiet", "--in-process"]) == 0
    assert "0 rows computed, 926 already cached" in capsys.readouterr().out
    answer = Assistant(compas, cache=AttributionCache(url)).run("filter id == 10239 then explain auto")
    assert answer.to_json()["result"]["from_cache"] == 1


def test_precompute_reports_an_unknown_workspace(db, capsys):
    assert precompute_main(["-w", "no-such-workspace", "--db", db[0], "--in-process"]) == 2
    assert "no workspace 'no-such-workspace'" in capsys.readouterr().err
