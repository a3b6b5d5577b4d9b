"""Tables in the chat: Markdown, numbers formatted, wide tables turned on their side or cut with a
note, each reply's table under its own text. Checked against the DataFrames the operations return."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from talk2model import ui
from talk2model.assistant import Assistant
from talk2model.formatting import fmt_cell


def parse_markdown(md: str) -> tuple[list[str], list[str], list[list[str]], list[str]]:
    """(header, alignment row, body rows, lines after the table) of the first table in `md`."""
    lines = md.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| "))
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("|")), len(lines))

    def cells(line: str) -> list[str]:
        return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]

    table = [cells(line) for line in lines[start:end]]
    return table[0], table[1], table[2:], [line for line in lines[end:] if line.strip()]


def test_numbers_are_formatted_by_the_one_formatter():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"id": [10_001, 10_002, 10_003], "count": [12_345, 7, 250_000],
                          "share": rng.random(3) / 10, "amount": [1234.5678, 99.1, 5.25],
                          "name": ["a|b", "c", None]})
    head, align, rows, notes = parse_markdown(ui.chat_table(frame))
    assert head == list(frame.columns) and notes == []
    assert align == ["---:", "---:", "---:", "---:", "---"]       # numbers right-aligned
    col = {name: [r[i] for r in rows] for i, name in enumerate(head)}
    assert col["id"] == [str(v) for v in frame["id"]]              # ids keep their digits as they are
    assert col["count"] == [f"{v:,}" for v in frame["count"]]
    # every cell as the answers' text writes the same number: four significant digits, whole
    # numbers from 1,000 on (an independent rule written out here, not the formatter itself)
    def expected(v: float) -> str:
        return f"{round(v):,}" if abs(v) >= 1000 else f"{v:.4g}"
    assert col["share"] == [expected(v) for v in frame["share"]]
    assert col["amount"] == ["1,235", "99.1", "5.25"]
    assert col["name"] == ["a\\|b", "c", ""]                       # a pipe cannot break the table


def test_one_wide_row_is_turned_on_its_side(german):
    row = german.data.iloc[[0]].reset_index()
    assert len(row.columns) > ui.MAX_TABLE_COLUMNS
    head, _, rows, notes = parse_markdown(ui.chat_table(row, german.schema))
    assert head == ["column", f"applicant {row['id'].iloc[0]}"] and notes == []
    labels = {n: f.label for n, f in german.schema.features.items()}
    expected = [[labels.get(c, c), fmt_cell(row[c].iloc[0])] for c in row.columns if c != "id"]
    assert rows == expected                                        # every column, none cut
    assert all(float(v.replace(",", "")) == float(row[c].iloc[0]) for (c, v) in zip(
        [c for c in row.columns if c != "id"], [r[1] for r in rows]))


def test_a_wide_table_is_cut_and_says_what_is_left_out(german):
    frame = german.data.head(10).reset_index()
    head, _, rows, notes = parse_markdown(ui.chat_table(frame, german.schema))
    assert len(head) == ui.MAX_TABLE_COLUMNS and len(rows) == 10
    labels = {n: f.label for n, f in german.schema.features.items()}
    left_out = [labels.get(c, c) for c in frame.columns[ui.MAX_TABLE_COLUMNS:]]
    shown = left_out[:ui.MAX_NAMED_COLUMNS] + [f"and {len(left_out) - ui.MAX_NAMED_COLUMNS} more"]
    (note,) = notes
    assert note == ui.MSG_COLUMNS_CUT.format(shown=ui.MAX_TABLE_COLUMNS, total=len(frame.columns),
                                             rest=", ".join(shown), entity="applicant",
                                             example=frame["id"].iloc[0])
    assert [r[0] for r in rows] == [str(i) for i in frame["id"]]


def test_a_long_table_is_capped():
    frame = pd.DataFrame({"x": range(40)})
    head, _, rows, notes = parse_markdown(ui.chat_table(frame))
    assert [r[0] for r in rows] == [str(i) for i in range(ui.MAX_TABLE_ROWS)]
    assert notes == [ui.MSG_ROWS_CUT.format(shown=ui.MAX_TABLE_ROWS, total=40)]


def test_each_reply_shows_its_own_table_and_more_still_works(credit):
    bot = Assistant(credit)
    answer = bot.ask("filter age > 50 then statistic age then statistic duration")
    tables = [r.table for r in answer.replies]
    assert len(tables) == 2 and all(t is not None for t in tables)
    md = ui.answer_markdown(answer, credit.schema)
    assert md.startswith(f"I understood: {answer.reading}.")
    chunks = md.split("\n\n")
    older = credit.data[credit.data["age"] > 50]
    for reply, column in zip(answer.replies, ["age", "duration"]):
        at = chunks.index(reply.text)                      # the reply's text, then its own table
        head, _, rows, _ = parse_markdown(chunks[at + 1])
        unit = credit.schema.features[column].unit
        assert head == ["statistic", f"{column} ({unit})"]
        stats = dict((r[0], float(r[1].replace(",", ""))) for r in rows)
        assert stats["mean"] == pytest.approx(older[column].mean(), rel=1e-3)   # four significant digits
        assert f"averages {rows[0][1]} {unit}" in reply.text                   # as the text says it
        assert stats["max"] == older[column].max()
    # the rows of a long table are paged by the operation: "more" gives the next ones
    bot = Assistant(credit)
    first = bot.ask("show data")
    _, _, rows, _ = parse_markdown(ui.answer_markdown(first, credit.schema))
    more = bot.ask("more")
    _, _, rows2, _ = parse_markdown(ui.answer_markdown(more, credit.schema))
    assert [r[0] for r in rows + rows2] == [str(i) for i in credit.data.index[:20]]
