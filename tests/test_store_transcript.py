"""Transcripts: every question, understood query, answer, fingerprint, timestamp and plot."""

from __future__ import annotations

import base64
import io
import re
from html.parser import HTMLParser

import matplotlib.image as mpimg
import pytest

from talk2model.assistant import AI_NOTICE, Assistant
from talk2model.sanitize import escape_markup
from talk2model.store import transcript
from talk2model.store.turns import Store

QUESTIONS = ["filter age > 50 then count", "filter id == 12 then predict then likelihood",
             "statistic age", "filter age > 60 then statistic target", "<script>alert(1)</script>"]


@pytest.fixture(scope="module")
def session(tmp_path_factory, credit):
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('tr') / 'audit.sqlite'}")
    bot = Assistant(credit, store=store)
    answers = [bot.ask(q) for q in QUESTIONS]
    turns = store.turns(bot.session_id)
    store.add_feedback(turns[0].id, "up", comment="exactly right")
    store.add_feedback(turns[2].id, "down")
    return store, bot.session_id, answers


def _pngs(text: str) -> list[bytes]:
    return [base64.b64decode(b) for b in re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", text)]


def test_markdown_has_every_turn_in_order(session):
    store, sid, answers = session
    md = transcript.render_markdown(transcript.Transcript.of(store, sid))
    info = store.session(sid)
    assert f"session {sid}" in md and AI_NOTICE in md
    assert info.model_fingerprint in md and info.data_fingerprint in md
    # what people typed shows as typed: "<script>" is escaped, never a tag in the Markdown
    positions = [md.index(f"**Question:** {escape_markup(q)}") for q in QUESTIONS]
    assert positions == sorted(positions)
    assert "<script>" not in md and "**Question:** &lt;script>alert(1)&lt;/script>" in md
    for turn, answer in zip(store.turns(sid), answers):
        assert turn.created_at.strftime("%Y-%m-%d %H:%M:%S UTC") in md
        assert escape_markup(answer.text) in md
        if answer.query is not None:
            assert f"**Understood query:** `{answer.query.to_text()}`" in md
    assert "👍 helpful — “exactly right”" in md and "👎 not helpful" in md
    # the statistics table, as a Markdown table with pandas' own mean
    mean = store.turns(sid)[2].answer_table["rows"][0][1]
    assert re.search(r"\| mean \| " + re.escape(f"{mean:.4g}") + r" \|", md)


def test_plots_are_embedded_as_real_pngs(session):
    store, sid, answers = session
    expected = sum(len(a.figures) for a in answers)
    assert expected >= 2  # the probability bar and the target bar
    record = transcript.Transcript.of(store, sid)
    for text in (transcript.render_markdown(record), transcript.render_html(record)):
        pngs = _pngs(text)
        assert len(pngs) == expected
        for png in pngs:
            image = mpimg.imread(io.BytesIO(png), format="png")
            assert image.shape[0] > 100 and image.shape[1] > 100


def test_a_transcript_renders_what_it_is_given_without_a_store(session):
    """The renderers read nothing but their arguments: a session, its turns and the feedback, the
    notice and the drawing of figures."""
    store, sid, _ = session
    record = transcript.Transcript.of(store, sid)
    drawn = []

    def draw(spec: dict) -> bytes:
        drawn.append(spec["title"])
        return b"png"

    first = transcript.Transcript(record.session, record.turns[:1], {})
    for render in (transcript.render_markdown, transcript.render_html):
        text = render(first, notice="A notice of our own.", draw=draw)
        assert "A notice of our own." in text and AI_NOTICE not in text
        assert "Turn 1" in text and "Turn 2" not in text and "helpful" not in text   # only what it was given
    assert drawn == [spec["title"] for spec in record.turns[0].figures or ()] * 2


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def test_html_is_escaped_and_complete(session):
    store, sid, answers = session
    page = transcript.render_html(transcript.Transcript.of(store, sid))
    parsed = _Collect()
    parsed.feed(page)
    assert "script" not in parsed.tags  # the question was text, not markup
    text = " ".join(parsed.text)
    assert "<script>alert(1)</script>" in text
    assert parsed.tags.count("section") == len(QUESTIONS)
    assert parsed.tags.count("img") == sum(len(a.figures) for a in answers)
    assert parsed.tags.count("table") == sum(a.table is not None for a in answers)
    assert store.session(sid).model_fingerprint in text


def test_cli_writes_file_and_reports_unknown_sessions(session, tmp_path, capsys):
    store, sid, _ = session
    out = tmp_path / "t.html"
    assert transcript.main([sid, "-o", str(out), "--db", store.url]) == 0
    assert out.read_text().startswith("<!DOCTYPE html>")
    assert transcript.main([sid, "--format", "md", "--db", store.url]) == 0
    assert capsys.readouterr().out == transcript.render_markdown(transcript.Transcript.of(store, sid))
    assert transcript.main(["--list", "--db", store.url]) == 0
    assert sid in capsys.readouterr().out
    assert transcript.main(["0" * 32, "--db", store.url]) == 1
    assert "no session" in capsys.readouterr().err
