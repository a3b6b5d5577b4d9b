"""A session as a transcript for compliance review: Markdown or HTML, plots embedded as PNG.

Each turn shows when it was asked, the question, the query as understood (query language text
and the plain-English reading), the answer with its table and plots, the model and data
fingerprints the answer came from, its latency, any error, and the feedback given on it.

What is rendered is an argument: a `Transcript` (the session, its turns, the feedback on each),
read from a store by `Transcript.of(store, session_id)`; the notice shown above it and the drawing
of its figures are arguments too (by default `verbalize.AI_NOTICE` and `verbalize.plots.to_png`).

    talk2model transcript SESSION_ID [--format md|html] [-o FILE] [--db URL]
    talk2model transcript --list [--db URL]
"""

from __future__ import annotations

import argparse
import base64
import html
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from talk2model.errors import Talk2ModelError
from talk2model.sanitize import escape_markup
from talk2model.verbalize import AI_NOTICE
from talk2model.verbalize.tables import html_table as write_html
from talk2model.verbalize.tables import markdown_table as write_markdown
from talk2model.verbalize.tables import stored_frame

FORMATS = ("md", "html")
ERR_FORMAT = "transcript format must be md or html, not '{fmt}'"

_HTML_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 58rem; margin: 2rem auto; padding: 0 1rem;
       color: #1f2328; line-height: 1.45; }
header dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dt { font-weight: 600; } dd { margin: 0; }
section.turn { border-top: 1px solid #d0d7de; padding-top: .8rem; margin-top: 1.2rem; }
.question { font-weight: 600; font-size: 1.05rem; }
code { background: #f6f8fa; padding: .1rem .3rem; border-radius: 4px; }
table { border-collapse: collapse; margin: .6rem 0; font-size: .9rem; }
th, td { border: 1px solid #d0d7de; padding: .2rem .5rem; text-align: left; }
th { background: #f6f8fa; }
.meta { color: #57606a; font-size: .85rem; }
.error { color: #a40e26; }
.notice { background: #fff8c5; border: 1px solid #d4a72c; padding: .5rem .8rem; border-radius: 6px; }
img { max-width: 100%; border: 1px solid #d0d7de; }
"""


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _rating_word(rating: int | None) -> str:
    return {1: "👍 helpful", -1: "👎 not helpful"}.get(rating, "")


@dataclass(frozen=True)
class Transcript:
    """What a transcript renders: a session, its turns in order, and the feedback given on each
    turn (turn id -> feedback, oldest first)."""

    session: Any
    turns: list
    feedback: dict[int, list]

    @classmethod
    def of(cls, store, session_id: str) -> "Transcript":
        grouped: dict[int, list] = {}
        for fb in store.feedback(session_id=session_id):
            grouped.setdefault(fb.turn_id, []).append(fb)
        return cls(store.session(session_id), store.turns(session_id), grouped)


def figure_png(spec: dict) -> bytes:
    """A stored figure (a `FigureSpec` as JSON) drawn as PNG by the one place that draws."""
    from talk2model.verbalize import FigureSpec
    from talk2model.verbalize.plots import to_png

    return to_png(FigureSpec(**spec))


def _figures(turn, draw: Callable[[dict], bytes]) -> list[tuple[str, str]]:
    """(title, base64 PNG) for each figure of a turn."""
    out = []
    for spec in turn.figures or ():
        png = draw(spec)
        out.append((spec.get("title", "figure"), base64.b64encode(png).decode("ascii")))
    return out


def markdown_table(table: dict | None) -> str:
    """A table as stored by the store (columns, index, rows) -> a GitHub Markdown table, whole
    (a transcript is the record: no column or row is cut), written by the one table writer."""
    frame = stored_frame(table)
    return "" if frame is None else write_markdown(frame, max_columns=None, max_rows=None)


def html_table(table: dict | None) -> str:
    frame = stored_frame(table)
    return "" if frame is None else write_html(frame)


def render_markdown(transcript: Transcript, *, notice: str = AI_NOTICE,
                    draw: Callable[[dict], bytes] = figure_png) -> str:
    e = escape_markup  # what people typed shows as typed (no HTML from a question or an answer)
    info, turns, feedback = transcript.session, transcript.turns, transcript.feedback
    lines = [f"# talk2model transcript — session {info.id}", "",
             f"- **Workspace:** {e(info.workspace)}",
             *([f"- **User:** {e(info.user_name)}"] if info.user_name else []),
             f"- **Started:** {_stamp(info.created_at)}",
             f"- **Last activity:** {_stamp(info.last_active)}",
             f"- **Model fingerprint:** `{info.model_fingerprint}`",
             f"- **Data fingerprint:** `{info.data_fingerprint}`",
             f"- **Turns:** {len(turns)}", "",
             f"> {notice}", ""]
    for turn in turns:
        lines += [f"## Turn {turn.seq} — {_stamp(turn.created_at)}", ""]
        if turn.user_name:
            lines += [f"**Asked by:** {e(turn.user_name)}", ""]
        lines += [f"**Question:** {e(turn.question)}", ""]
        if turn.query_text:
            lines += [f"**Understood query:** `{turn.query_text.replace('`', chr(39))}`", ""]
        if turn.reading:
            lines += [f"**Reading:** {e(turn.reading)}", ""]
        lines += ["**Answer:**", "", e(turn.answer), ""]
        if turn.answer_table:
            lines += [markdown_table(turn.answer_table), ""]
        for title, b64 in _figures(turn, draw):
            title = e(title).replace("[", "(").replace("]", ")")
            lines += [f"![{title}](data:image/png;base64,{b64})", ""]
        if turn.choices:
            lines += ["**Offered readings:** " + "; ".join(e(c["label"]) for c in turn.choices), ""]
        if turn.error:
            lines += [f"**Error:** {e(turn.error)}", ""]
        lines += [f"*Model `{turn.model_fingerprint}` · data `{turn.data_fingerprint}` · "
                  f"workspace {e(turn.workspace)} · {turn.latency_ms:.0f} ms*", ""]
        for fb in feedback.get(turn.id, ()):
            text = " — ".join(p for p in (_rating_word(fb.rating), fb.comment and f"“{e(fb.comment)}”") if p)
            lines += [f"**Feedback ({_stamp(fb.created_at)}):** {text}", ""]
    return "\n".join(lines).rstrip() + "\n"


def _paragraphs(text: str) -> str:
    blocks = [b for b in text.split("\n\n") if b.strip()]
    return "".join("<p>" + html.escape(b).replace("\n", "<br>") + "</p>" for b in blocks)


def render_html(transcript: Transcript, *, notice: str = AI_NOTICE,
                draw: Callable[[dict], bytes] = figure_png) -> str:
    e = html.escape
    info, turns, feedback = transcript.session, transcript.turns, transcript.feedback
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>talk2model transcript {e(info.id)}</title>",
           f"<style>{_HTML_STYLE}</style></head><body>",
           f"<header><h1>talk2model transcript</h1><dl>"
           f"<dt>Session</dt><dd><code>{e(info.id)}</code></dd>"
           f"<dt>Workspace</dt><dd>{e(info.workspace)}</dd>"
           + (f"<dt>User</dt><dd>{e(info.user_name)}</dd>" if info.user_name else "") +
           f"<dt>Started</dt><dd>{_stamp(info.created_at)}</dd>"
           f"<dt>Last activity</dt><dd>{_stamp(info.last_active)}</dd>"
           f"<dt>Model fingerprint</dt><dd><code>{e(info.model_fingerprint)}</code></dd>"
           f"<dt>Data fingerprint</dt><dd><code>{e(info.data_fingerprint)}</code></dd>"
           f"<dt>Turns</dt><dd>{len(turns)}</dd></dl>"
           f'<p class="notice">{e(notice)}</p></header>']
    for turn in turns:
        out.append(f'<section class="turn" id="turn-{turn.seq}">')
        out.append(f"<h2>Turn {turn.seq} <span class=\"meta\">{_stamp(turn.created_at)}</span></h2>")
        if turn.user_name:
            out.append(f'<p class="user">Asked by: {e(turn.user_name)}</p>')
        out.append(f'<p class="question">Question: {e(turn.question)}</p>')
        if turn.query_text:
            out.append(f"<p>Understood query: <code>{e(turn.query_text)}</code></p>")
        if turn.reading:
            out.append(f"<p>Reading: {e(turn.reading)}</p>")
        out.append(f'<div class="answer">{_paragraphs(turn.answer)}</div>')
        out.append(html_table(turn.answer_table))
        for title, b64 in _figures(turn, draw):
            out.append(f'<figure><img alt="{e(title)}" src="data:image/png;base64,{b64}">'
                       f"<figcaption>{e(title)}</figcaption></figure>")
        if turn.choices:
            out.append("<p>Offered readings: " + "; ".join(e(c["label"]) for c in turn.choices) + "</p>")
        if turn.error:
            out.append(f'<p class="error">Error: {e(turn.error)}</p>')
        out.append(f'<p class="meta">Model <code>{e(turn.model_fingerprint)}</code> · data '
                   f'<code>{e(turn.data_fingerprint)}</code> · workspace {e(turn.workspace)} · '
                   f"{turn.latency_ms:.0f} ms</p>")
        for fb in feedback.get(turn.id, ()):
            parts = [p for p in (_rating_word(fb.rating), fb.comment and f"“{fb.comment}”") if p]
            out.append(f'<p class="feedback">Feedback ({_stamp(fb.created_at)}): '
                       f"{e(' — '.join(parts))}</p>")
        out.append("</section>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def render(store, session_id: str, fmt: str = "md") -> str:
    """A stored session's transcript in `fmt` (md or html)."""
    if fmt not in FORMATS:
        raise Talk2ModelError(ERR_FORMAT.format(fmt=fmt))
    transcript = Transcript.of(store, session_id)
    return render_markdown(transcript) if fmt == "md" else render_html(transcript)


def write(store, session_id: str, path: str | Path, fmt: str | None = None) -> Path:
    """Write the transcript to `path`; the format follows the suffix unless given."""
    path = Path(path)
    fmt = fmt or ("html" if path.suffix.lower() in (".html", ".htm") else "md")
    path.write_text(render(store, session_id, fmt), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="talk2model transcript",
        description="Export a stored conversation as Markdown or HTML (plots included).")
    parser.add_argument("session_id", nargs="?", help="the session to export")
    parser.add_argument("--format", choices=FORMATS, default=None,
                        help="md (default) or html; -o FILE.html implies html")
    parser.add_argument("-o", "--output", help="write to this file instead of standard output")
    parser.add_argument("--db", help="SQLAlchemy URL of the store (default: $TALK2MODEL_DB, "
                                     "else ./var/talk2model.sqlite)")
    parser.add_argument("--list", action="store_true", help="list the stored sessions")
    args = parser.parse_args(argv)

    from talk2model.store.turns import Store

    try:
        store = Store(args.db)
        if args.list:
            for s in store.sessions():
                print(f"{s.id}  {_stamp(s.created_at)}  {s.workspace:<10} {s.turn_count} turns")
            return 0
        if not args.session_id:
            parser.error("give a SESSION_ID (or --list to see them)")
        if args.output:
            path = write(store, args.session_id, args.output, args.format)
            print(f"wrote {path}", file=sys.stderr)
        else:
            sys.stdout.write(render(store, args.session_id, args.format or "md"))
    except Talk2ModelError as exc:
        print(f"talk2model transcript: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
