"""Parser exact match on the evaluation set: same as `talk2model eval-parser`.

    .venv/bin/python bench/parser_accuracy.py [--set dev|dev2|dev3|dev4|dev5|all-dev|test] [-w WS] [--failures N]
"""

import sys

from talk2model.parser.evaluate import main

if __name__ == "__main__":
    args = sys.argv[1:] or ["--set", "test"]
    raise SystemExit(main(args))
