"""How well the parser's confidence predicts being right: exact match per confidence band.

    .venv/bin/python bench/parser_calibration.py --set all-dev

Prints, for bands of `Parse.confidence`, how many questions fell in the band and the share read
exactly right, plus how many were answered with choices instead of a query. Only figures are
printed, never the questions.
"""

from __future__ import annotations

import argparse

BANDS = (0.0, 0.35, 0.5, 0.7, 0.9, 1.01)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", dest="which", default="all-dev")
    args = ap.parse_args()

    from talk2model.parser.evaluate import canonical, load_items
    from talk2model.parser.nl import NaturalLanguageParser
    from talk2model.state import Conversation
    from talk2model.workspace import load_workspace

    parsers = {}
    rows = []
    choices = 0
    for item in load_items(args.which):
        ws = item["workspace"]
        if ws not in parsers:
            parsers[ws] = NaturalLanguageParser(load_workspace(ws))
        parsed = parsers[ws].parse(item["question"], Conversation())
        if parsed.query is None:
            choices += bool(parsed.choices)
            rows.append((parsed.confidence, False))
            continue
        ok = canonical(parsed.query.to_json()["steps"]) == canonical(item["gold"]["steps"])
        rows.append((parsed.confidence, ok))
    print(f"confidence bands on {args.which} ({len(rows)} questions; {choices} answered with choices):")
    for lo, hi in zip(BANDS, BANDS[1:]):
        band = [ok for c, ok in rows if lo <= c < hi]
        if band:
            print(f"  [{lo:.2f}, {min(hi, 1.0):.2f})  {len(band):5d} questions  {sum(band) / len(band):6.1%} exactly right")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
