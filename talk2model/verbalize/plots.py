"""Draw a FigureSpec with matplotlib (Agg): the only place that knows about pixels.

Figures are made with matplotlib's object API (`Figure` + the Agg canvas), never pyplot, whose
global figure registry is not safe when the app draws for several people at once.
"""

from __future__ import annotations

import io

from talk2model.verbalize import FigureSpec


def draw(spec: FigureSpec):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, max(2.4, 0.42 * max(len(spec.labels), 4))) if spec.kind == "bar"
                 else (6.4, 3.8), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    if spec.kind == "bar":
        labels = [str(l) for l in spec.labels][::-1]
        values = list(spec.values)[::-1]
        colors = (spec.colors[::-1] if spec.colors else
                  ["#d1495b" if v < 0 else "#2e86ab" for v in values])
        ax.barh(labels, values, color=colors)
        ax.axvline(0, color="#444", linewidth=0.8)
    else:
        for name, ys in spec.series.items():
            ax.plot(spec.x, ys, label=name, linewidth=1.8 if name != "individual" else 0.6,
                    alpha=1.0 if name != "individual" else 0.3)
        if len(spec.series) > 1:
            ax.legend(loc="best", fontsize=8)
    import textwrap

    ax.set_title("\n".join(textwrap.wrap(spec.title, 60)) or spec.title, fontsize=11)
    ax.set_xlabel(spec.xlabel)
    ax.set_ylabel(spec.ylabel)
    fig.tight_layout()
    return fig


def to_png(spec: FigureSpec) -> bytes:
    fig = draw(spec)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
