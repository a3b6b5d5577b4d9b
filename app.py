"""Start the talk2model chat app: `python app.py [--host H] [--port P] [-w credit] [--db URL]`.

The same as `talk2model app` / `make run`; everything lives in talk2model/ui.py.
"""

import sys

from talk2model.ui import main

if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
