"""Draw a FigureSpec with matplotlib (Agg): the only place that knows about pixels.

Figures are made with matplotlib's object API (`Figure` + the Agg canvas), never pyplot, whose
global figure registry is not safe when the app draws for several people at once.

Drawing a chart takes about 0.1 s of CPU, the largest single cost of an answer in the app, so:
`to_png` keeps the PNGs of recent charts (the same chart is drawn once), and `to_pngs` draws in
a small pool of worker processes (`start_drawing_pool`), so charts use the machine's other cores
instead of competing with the answers for the app's interpreter lock.
"""

from __future__ import annotations

import io
import json
import logging
import os
import threading
from collections import OrderedDict

from talk2model.formatting import fmt_number, fmt_percent
from talk2model.verbalize import FigureSpec

log = logging.getLogger("talk2model.plots")
CACHE_SIZE = 256


def draw(spec: FigureSpec):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if spec.kind in ("heatmap", "images", "matrix"):
        return _draw_pixels(spec)
    if spec.kind == "scatter":
        return _draw_scatter(spec)
    fig = Figure(figsize=(6.4, max(2.4, 0.42 * max(len(spec.labels), 4))) if spec.kind == "bar"
                 else (6.4, 3.8), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    if spec.kind == "bar":
        labels = [str(l) for l in spec.labels][::-1]
        values = list(spec.values)[::-1]
        colors = (spec.colors[::-1] if spec.colors else
                  ["#d1495b" if v < 0 else "#2e86ab" for v in values])
        bars = ax.barh(labels, values, color=colors)
        ax.axvline(0, color="#444", linewidth=0.8)
        # each bar labelled with its value as the answer's text writes it (one formatter)
        shown = fmt_percent if spec.percent else fmt_number
        ax.bar_label(bars, labels=[shown(v) for v in values], padding=3, fontsize=8)
        if spec.percent:
            from matplotlib.ticker import PercentFormatter

            ax.xaxis.set_major_formatter(PercentFormatter(xmax=1))
        ax.margins(x=0.15)
    else:
        for name, ys in spec.series.items():
            ax.plot(spec.x, ys, label=name, linewidth=1.8 if name != "individual" else 0.6,
                    alpha=1.0 if name != "individual" else 0.3)
        if len(spec.series) > 1:
            ax.legend(loc="best", fontsize=8)
        if spec.percent:
            from matplotlib.ticker import PercentFormatter

            ax.yaxis.set_major_formatter(PercentFormatter(xmax=1))
    import textwrap

    ax.set_title("\n".join(textwrap.wrap(spec.title, 60)) or spec.title, fontsize=11)
    ax.set_xlabel(spec.xlabel)
    ax.set_ylabel(spec.ylabel)
    fig.tight_layout()
    return fig


def _as_image(pixels) -> tuple:
    """(array, colour map) for imshow: grey images drawn as ink on paper (light = low)."""
    import numpy as np

    array = np.asarray(pixels, dtype=float)
    if array.ndim == 3:   # H x W x C colour: scaled to 0..1
        span = np.ptp(array) or 1.0
        return (array - array.min()) / span, None
    return array, "gray_r"


def _draw_pixels(spec: FigureSpec):
    """Heatmaps over an image, grids of images, and matrices (the confusion matrix)."""
    import textwrap

    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if spec.kind == "heatmap":
        fig = Figure(figsize=(7.2, 3.6), dpi=100)
        FigureCanvasAgg(fig)
        left, right = fig.subplots(1, 2)
        image, cmap = _as_image(spec.image)
        heat = np.asarray(spec.heat, dtype=float)
        limit = float(np.abs(heat).max()) or 1.0
        left.imshow(image, cmap=cmap, interpolation="nearest")
        right.imshow(image, cmap=cmap, interpolation="nearest", alpha=0.45)
        shown = right.imshow(heat, cmap="RdBu_r", vmin=-limit, vmax=limit, alpha=0.75, interpolation="nearest")
        for ax, label in zip((left, right), spec.labels or ["image", "attributions"]):
            ax.set_title(label, fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
        bar = fig.colorbar(shown, ax=right, fraction=0.046, pad=0.04)
        bar.set_label(spec.xlabel or "attribution", fontsize=8)
        bar.ax.tick_params(labelsize=7)
    elif spec.kind == "images":
        n = max(1, len(spec.images))
        cols = min(8, n)
        rows = (n + cols - 1) // cols
        fig = Figure(figsize=(1.1 * cols + 0.4, 1.3 * rows + 0.6), dpi=100)
        FigureCanvasAgg(fig)
        axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
        for k, ax in enumerate(axes):
            ax.set_xticks([])
            ax.set_yticks([])
            if k >= len(spec.images):
                ax.set_axis_off()
                continue
            if k in spec.signed:   # a difference: red where it adds, blue where it takes away
                diff = np.asarray(spec.images[k], dtype=float)
                limit = float(np.abs(diff).max()) or 1.0
                ax.imshow(diff, cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
            else:
                image, cmap = _as_image(spec.images[k])
                ax.imshow(image, cmap=cmap, interpolation="nearest")
            if k < len(spec.labels):
                ax.set_title(str(spec.labels[k]), fontsize=7)
    else:   # matrix
        matrix = np.asarray(spec.matrix, dtype=float)
        size = max(3.6, 0.42 * len(matrix) + 1.6)
        fig = Figure(figsize=(size + 0.6, size), dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.subplots()
        shown = ax.imshow(np.log1p(matrix), cmap="Blues")
        labels = [str(l) for l in spec.labels]
        ax.set_xticks(range(len(labels)), labels, fontsize=8, rotation=45 if max(map(len, labels), default=0) > 4 else 0)
        ax.set_yticks(range(len(labels)), labels, fontsize=8)
        top = matrix.max() or 1.0
        for (i, j), v in np.ndenumerate(matrix):
            if v:
                ax.text(j, i, fmt_number(int(v)), ha="center", va="center", fontsize=7,
                        color="white" if np.log1p(v) > 0.6 * np.log1p(top) else "#222")
        ax.set_xlabel(spec.xlabel)
        ax.set_ylabel(spec.ylabel)
    fig.suptitle("\n".join(textwrap.wrap(spec.title, 70)) or spec.title, fontsize=10)
    fig.tight_layout()
    return fig


def _draw_scatter(spec: FigureSpec):
    """Points in 2-D coloured by group (a legend of the groups), the marked ones ringed in black."""
    import textwrap

    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.8, 5.6), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    points = np.asarray(spec.points, dtype=float).reshape(-1, 2)
    groups = [str(g) for g in spec.groups] if spec.groups else [""] * len(points)
    names = sorted(set(groups), key=lambda g: (len(g), g))
    from matplotlib import colormaps

    palette = colormaps["tab10" if len(names) <= 10 else "tab20"]
    for k, name in enumerate(names):
        idx = [i for i, g in enumerate(groups) if g == name]
        ax.scatter(points[idx, 0], points[idx, 1], s=9, color=palette(k % palette.N), label=name or None,
                   alpha=0.8, linewidths=0)
    if spec.marked:
        marked = np.asarray(spec.marked, dtype=int)
        ax.scatter(points[marked, 0], points[marked, 1], s=46, facecolors="none", edgecolors="black",
                   linewidths=1.0, label=spec.ylabel or "marked")
    if any(names):
        ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8, markerscale=1.6, frameon=False)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel(spec.xlabel)
    ax.set_title("\n".join(textwrap.wrap(spec.title, 60)) or spec.title, fontsize=11)
    fig.tight_layout()
    return fig


def _render(spec: FigureSpec) -> bytes:
    fig = draw(spec)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


_CACHE: OrderedDict[str, bytes] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def _key(spec: FigureSpec) -> str:
    return json.dumps(spec.to_json(), sort_keys=True, default=str)


def _cached(key: str) -> bytes | None:
    with _CACHE_LOCK:
        png = _CACHE.get(key)
        if png is not None:
            _CACHE.move_to_end(key)
        return png


def _keep(key: str, png: bytes) -> None:
    with _CACHE_LOCK:
        _CACHE[key] = png
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)


def to_png(spec: FigureSpec) -> bytes:
    """The chart as PNG bytes, drawn here (or taken from the recent charts)."""
    key = _key(spec)
    png = _cached(key)
    if png is None:
        png = _render(spec)
        _keep(key, png)
    return png


# ---- drawing in worker processes ------------------------------------------------------------------

_POOL = None
_POOL_LOCK = threading.Lock()


def _warm_worker() -> None:
    import matplotlib.backends.backend_agg  # noqa: F401  (import once per worker, at start)


def start_drawing_pool(workers: int | None = None):
    """Start (once per process) the worker processes `to_pngs` draws in: one less than the
    cores, at least one. Fresh interpreters (spawn): they import matplotlib, nothing else."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            workers = workers or max(1, (os.cpu_count() or 1) - 1)
            _POOL = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_warm_worker)
            for _ in range(workers):   # start them now, not on the first chart
                _POOL.submit(_warm_worker)
        return _POOL


def to_pngs(specs: list[FigureSpec]) -> list[bytes]:
    """PNGs of several charts: recent ones from the cache, the rest drawn in the worker pool when
    it is running (in this process otherwise, or if the pool fails)."""
    keys = [_key(s) for s in specs]
    out = [_cached(k) for k in keys]
    todo = [i for i, png in enumerate(out) if png is None]
    pool = _POOL
    futures = {}
    if pool is not None:
        try:
            futures = {i: pool.submit(_render, specs[i]) for i in todo}
        except Exception:  # a broken pool (a worker died): draw here instead
            log.exception("the drawing pool failed; drawing in the app's process")
    for i in todo:
        try:
            out[i] = futures[i].result() if i in futures else _render(specs[i])
        except Exception:  # noqa: BLE001 - the same chart drawn here, where errors surface normally
            out[i] = _render(specs[i])
        _keep(keys[i], out[i])
    return out
