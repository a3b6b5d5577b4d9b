"""Result tables as text: the one Markdown (and HTML) table writer, used by the chat and by
transcripts, with every number formatted by `talk2model.formatting.fmt_cell` — so a figure in a
table reads exactly as the same figure in the answer's text.

    markdown_table(frame, labels={"saving_accounts": "savings"}, entity="applicant")
    markdown_table(frame, max_columns=None, max_rows=None)     # a transcript: everything
"""

from __future__ import annotations

import html
import re
from typing import Any

import pandas as pd

from talk2model.formatting import fmt_cell
from talk2model.sanitize import escape_markup

# Tables in the chat are capped so they stay readable in a chat column.
MAX_TABLE_COLUMNS = 10     # wider tables: one or two rows are turned on their side, more are cut
MAX_NAMED_COLUMNS = 6      # how many of the columns left out are named
MAX_TABLE_ROWS = 15        # the operations page long tables ("more" gives the rest); this is a backstop
MSG_COLUMNS_CUT = ("*Showing {shown} of {total} columns; not shown: {rest}. Ask about one {entity} "
                   "(for example \"show {entity} {example}\") to see all of its columns.*")
MSG_ROWS_CUT = "*The first {shown} of {total:,} rows.*"

_NUMBER_LIKE = re.compile(r"-?[\d.,]+%?")


def id_text(value: Any) -> str:
    """A row id as people type it: its digits as they are (no thousands separator)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def column_cells(values: pd.Series, *, is_id: bool = False) -> tuple[list[str], bool]:
    """The cells of one column as text, and whether it holds numbers (right-aligned)."""
    cells = [id_text(v) for v in values] if is_id else [fmt_cell(v) for v in values]
    numeric = any(cells) and all(_NUMBER_LIKE.fullmatch(c) for c in cells if c)
    return cells, bool(numeric)


def frame_of(table: pd.DataFrame) -> pd.DataFrame:
    """A named index becomes the first column; an unnamed one is dropped."""
    return table.reset_index() if table.index.name is not None else table.reset_index(drop=True)


def markdown_table(table: pd.DataFrame, *, labels: dict[str, str] | None = None, entity: str = "row",
                   max_columns: int | None = MAX_TABLE_COLUMNS, max_rows: int | None = MAX_TABLE_ROWS) -> str:
    """A GitHub Markdown table: numbers formatted, headers renamed by `labels` (feature labels
    from the schema), wide tables of one or two rows turned on their side, wider or longer ones
    cut with a note (None: never cut)."""
    frame = frame_of(table)
    labels = labels or {}
    notes: list[str] = []
    if max_columns is not None and len(frame.columns) > max_columns and len(frame) <= 2:
        # one or two rows of many columns: one line per column reads better than a wide row
        key = "id" if "id" in frame.columns else None
        heads = ([f"{entity} {id_text(v)}" for v in frame[key]] if key
                 else [f"row {i + 1}" for i in range(len(frame))])
        body = frame.drop(columns=[key]) if key else frame
        head = ["column", *heads]
        rows = [[labels.get(str(c), str(c)), *[fmt_cell(v) for v in body[c]]] for c in body.columns]
        aligns = ["---"] * len(head)
    else:
        if max_columns is not None and len(frame.columns) > max_columns:
            rest = [escape_markup(labels.get(str(c), str(c))) for c in frame.columns[max_columns:]]
            if len(rest) > MAX_NAMED_COLUMNS:
                rest = [*rest[:MAX_NAMED_COLUMNS], f"and {len(rest) - MAX_NAMED_COLUMNS} more"]
            example = id_text(frame["id"].iloc[0]) if "id" in frame.columns else 0
            notes.append(MSG_COLUMNS_CUT.format(shown=max_columns, total=len(frame.columns),
                                                rest=", ".join(rest), entity=entity, example=example))
            frame = frame.iloc[:, :max_columns]
        if max_rows is not None and len(frame) > max_rows:
            notes.insert(0, MSG_ROWS_CUT.format(shown=max_rows, total=len(frame)))
            frame = frame.iloc[:max_rows]
        formatted = [column_cells(frame.iloc[:, i], is_id=str(c) == "id") for i, c in enumerate(frame.columns)]
        head = [labels.get(str(c), str(c)) for c in frame.columns]
        rows = [list(r) for r in zip(*(cells for cells, _ in formatted))] if formatted else []
        aligns = ["---:" if numeric else "---" for _, numeric in formatted]

    def esc(text: str) -> str:  # cells hold the data's own values: escaped like typed text
        return escape_markup(str(text)).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(esc(h) for h in head) + " |", "|" + "|".join(aligns) + "|"]
    lines += ["| " + " | ".join(esc(c) for c in row) + " |" for row in rows]
    return "\n".join(lines + ([""] + notes if notes else []))


def text_table(table: pd.DataFrame, *, max_width: int = 60) -> str:
    """The same table as plain aligned text, for a terminal (numbers right-aligned)."""
    frame = frame_of(table)
    columns = []
    for i, name in enumerate(frame.columns):
        cells, numeric = column_cells(frame.iloc[:, i], is_id=str(name) == "id")
        cells = [c if len(c) <= max_width else c[:max_width - 1] + "…" for c in cells]
        width = max([len(str(name))] + [len(c) for c in cells])
        pad = str.rjust if numeric else str.ljust
        columns.append([pad(str(name), width)] + [pad(c, width) for c in cells])
    return "\n".join("  ".join(row).rstrip() for row in zip(*columns)) if columns else ""


def html_table(table: pd.DataFrame) -> str:
    """The same table as HTML (every cell escaped), for the HTML transcript."""
    frame = frame_of(table)
    cells = [column_cells(frame.iloc[:, i], is_id=str(c) == "id")[0] for i, c in enumerate(frame.columns)]
    out = ["<table><thead><tr>", *(f"<th>{html.escape(str(h))}</th>" for h in frame.columns),
           "</tr></thead><tbody>"]
    for row in zip(*cells) if cells else []:
        out.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def stored_frame(table: dict | None) -> pd.DataFrame | None:
    """A table as the store keeps it ({"columns", "index", "index_name", "rows"}) -> a DataFrame."""
    if not table or not table.get("columns"):
        return None
    frame = pd.DataFrame(table["rows"], columns=[str(c) for c in table["columns"]], dtype=object)
    if table.get("index_name"):
        frame.index = pd.Index(table["index"], name=table["index_name"])
    return frame
