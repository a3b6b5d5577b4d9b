"""The command line: a thin layer over the Python API (talk2model.Assistant).

    talk2model workspaces
    talk2model ask -w credit "why was applicant 12 denied?"
    talk2model chat -w compas
    talk2model run -w credit "filter age > 50 then count" --json
    talk2model run -w credit --json-query '{"steps": [...]}' --json
    talk2model parse -w german --json -          (questions on stdin, one JSON object per line)
    talk2model app | eval-parser | precompute | audit | transcript | models | passwd | db upgrade
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

# Subcommands whose implementation lives in another module: name -> (module[:function], help);
# the function is `main` unless named.
DELEGATED = {
    "app": ("talk2model.ui", "start the Gradio chat app"),
    "eval-parser": ("talk2model.parser.evaluate", "score the parser on the evaluation set"),
    "precompute": ("talk2model.cli:precompute_main", "fill the attribution cache for a workspace (on Dask; --in-process: one loop)"),
    "audit": ("talk2model.cli:audit_main", "explain every decision and check them all for fairness, on Dask"),
    "db": ("talk2model.store.migrate", "the audit store's schema: db upgrade [--db URL], db current"),
    "transcript": ("talk2model.store.transcript", "export a session's transcript (Markdown or HTML)"),
    "models": ("talk2model.training", "train the built-in workspaces' demo models"),
    "passwd": ("talk2model.auth", "add a user to the app's password file, or change a password"),
}


def _workspace_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("-w", "--workspace", default="credit",
                   help="a built-in workspace name or a workspace .toml file (default: credit)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="talk2model", description="Ask a machine-learning model why.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("workspaces", help="list the built-in workspaces")

    ask = sub.add_parser("ask", help="ask one question")
    _workspace_arg(ask)
    ask.add_argument("question", nargs="+")
    ask.add_argument("--json", action="store_true", help="print the answer as JSON")
    ask.add_argument("--db", help="SQLAlchemy URL of the store (default: $TALK2MODEL_DB or ./var/talk2model.sqlite)")
    ask.add_argument("--no-store", action="store_true", help="do not record the turn")

    chat = sub.add_parser("chat", help="a conversation in the terminal")
    _workspace_arg(chat)
    chat.add_argument("--db")
    chat.add_argument("--no-store", action="store_true")

    run = sub.add_parser("run", help="run a query written in the query language")
    _workspace_arg(run)
    run.add_argument("query", nargs="?", help="the query in text form, e.g. 'filter age > 50 then count'")
    run.add_argument("--json-query", help='the query in JSON form, {"steps": [...]}')
    run.add_argument("--json", action="store_true", help="print the answer as JSON")
    run.add_argument("--db")
    run.add_argument("--no-store", action="store_true")

    parse = sub.add_parser("parse", help="show how questions are understood, without running them")
    _workspace_arg(parse)
    parse.add_argument("question", nargs="+", help="a question, or - to read one question per line from stdin")
    parse.add_argument("--json", action="store_true", help="print the JSON form, one object per line")

    for name, (_, help_text) in DELEGATED.items():
        p = sub.add_parser(name, help=help_text, add_help=False)
        p.add_argument("rest", nargs=argparse.REMAINDER)
    return parser


def _store(args):
    if getattr(args, "no_store", False):
        return None
    try:
        from talk2model.store.turns import Store
    except ImportError:
        return None
    return Store(args.db)


def _assistant(args):
    """The Assistant for ask / chat / run: turns recorded in --db (unless --no-store), and
    explanations cached in that same database either way."""
    from talk2model.assistant import Assistant

    store = _store(args)
    cache = None
    if store is None:
        from talk2model.store.cache import AttributionCache

        cache = AttributionCache(getattr(args, "db", None))
    return Assistant(args.workspace, store=store, cache=cache)


def precompute_main(argv: list[str] | None = None) -> int:
    """`talk2model precompute -w WS [--db URL] [--scheduler ADDRESS] ...`: the audit's Dask job fills
    the cache (talk2model.scale.precompute); with `--in-process [--method auto|shap|lime]` one loop
    in this process does (talk2model.explainers.precompute). The cache is the store's, opened here
    and passed down."""
    from talk2model.errors import Talk2ModelError
    from talk2model.store.cache import AttributionCache
    from talk2model.workspace import load_workspace

    argv = list(argv if argv is not None else sys.argv[1:])
    in_process = "--in-process" in argv
    if in_process:
        argv.remove("--in-process")
    parser = argparse.ArgumentParser(
        prog="talk2model precompute" + (" --in-process" if in_process else ""),
        description=f"Fill the attribution cache for a workspace, {'in this process' if in_process else 'on Dask'}.")
    parser.add_argument("-w", "--workspace", default="credit", help="built-in name or path to a TOML file")
    parser.add_argument("--db", default=None, help="SQLAlchemy URL (default: TALK2MODEL_DB or var/talk2model.sqlite)")
    if in_process:
        parser.add_argument("--method", default="auto", choices=("auto", "shap", "lime"),
                            help="explanation method (default: SHAP chosen for the model)")
    else:
        parser.add_argument("--scheduler", default=None,
                            help="address of a running Dask scheduler (default: a LocalCluster)")
        parser.add_argument("--workers", type=int, default=None, help="LocalCluster workers (default: one per core)")
        parser.add_argument("--out", default=None,
                            help="keep the Parquet output in this folder (default: a temporary one)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if not in_process:
        return _precompute_on_dask(args)
    from talk2model.explainers.precompute import precompute

    try:
        workspace = load_workspace(args.workspace)
    except Talk2ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.method == "lime" and len(workspace.data) > 1000:
        print("error: LIME takes about a second per row; precompute it only for small workspaces",
              file=sys.stderr)
        return 2
    figures = precompute(workspace, AttributionCache(args.db), method=args.method, progress=not args.quiet)
    rate = figures["rows_per_second"]
    print(f"{figures['workspace']}: {figures['computed']:,} rows computed, {figures['already_cached']:,} "
          f"already cached, in {figures['seconds']:.1f} s"
          + (f" ({rate:,.0f} rows/s)" if rate else "") + f" [{figures['method']}]")
    return 0


def _precompute_on_dask(args) -> int:
    from talk2model.errors import Talk2ModelError
    from talk2model.scale.cluster import dashboard_link, open_client
    from talk2model.scale.precompute import precompute
    from talk2model.store.cache import AttributionCache
    from talk2model.workspace import load_workspace

    try:
        workspace = load_workspace(args.workspace)
        with open_client(args.scheduler, n_workers=args.workers) as client:
            link = dashboard_link(client)
            if link and not args.quiet:
                print(f"dashboard: {link}", file=sys.stderr)
            figures = precompute(workspace, client, AttributionCache(args.db), out=args.out,
                                 progress=not args.quiet)
    except Talk2ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rate = figures["rows_per_second"]
    print(f"{figures['workspace']}: {figures['stored']:,} rows explained on Dask and stored in the cache "
          f"in {figures['seconds']:.1f} s" + (f" ({rate:,.0f} rows/s)" if rate else "") + f" [{figures['method']}]")
    return 0


def audit_parser() -> argparse.ArgumentParser:
    from talk2model.scale.source import PARTITION_ROWS

    parser = argparse.ArgumentParser(
        prog="talk2model audit",
        description="Explain every decision of a workspace's model and check all of them for fairness, on Dask.")
    parser.add_argument("-w", "--workspace", default="credit", help="built-in name or path to a TOML file")
    parser.add_argument("--out", default=None, help="folder for the Parquet dataset (default: audit/WORKSPACE)")
    parser.add_argument("--scheduler", default=None,
                        help="address of a running Dask scheduler (tcp://host:8786); default: a LocalCluster "
                             "with one worker per core")
    parser.add_argument("--workers", type=int, default=None, help="LocalCluster workers (default: one per core)")
    parser.add_argument("--where", default=None,
                        help='only the rows meeting a condition of the query language, e.g. "age > 50 and sex == \\"Female\\""')
    parser.add_argument("--counterfactuals", action="store_true",
                        help="also search the smallest changes that flip each unfavourable decision (slow: seconds a row)")
    parser.add_argument("--partition-rows", type=int, default=PARTITION_ROWS, help="rows per partition")
    parser.add_argument("--db", default=None, help="store for the summary (default: TALK2MODEL_DB or var/talk2model.sqlite)")
    parser.add_argument("--no-store", action="store_true", help="do not record the summary in the store")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--list", action="store_true", help="list the audits recorded in the store, newest first")
    return parser


def audit_main(argv: list[str] | None = None) -> int:
    """`talk2model audit`: talk2model.scale.audit's run on Dask, its summary printed and recorded in
    the store's `audits` table (unless --no-store); `--list` lists the recorded audits."""
    from pathlib import Path

    from talk2model.errors import Talk2ModelError
    from talk2model.scale.audit import run_audit, summary_lines
    from talk2model.scale.cluster import dashboard_link, open_client
    from talk2model.scale.where import parse_where
    from talk2model.workspace import load_workspace

    args = audit_parser().parse_args(argv if argv is not None else sys.argv[1:])
    if args.list:
        from talk2model.store.audits import list_audits

        for a in list_audits(args.db):
            verdicts = ", ".join(f"{k} {v['verdict']}" for k, v in a.summary.get("fairness", {}).items()
                                 if " × " not in k)
            print(f"{a.id:>4}  {a.created_at:%Y-%m-%d %H:%M}  {a.workspace}  {a.selected:,} of {a.rows:,} rows"
                  f"{'  where ' + a.where_text if a.where_text else ''}  {a.seconds:.1f} s  -> {a.out}"
                  f"{'  [' + verdicts + ']' if verdicts else ''}")
        return 0
    try:
        workspace = load_workspace(args.workspace)
        if args.where:
            parse_where(args.where, workspace.schema)      # a wrong condition before any cluster starts
        out = args.out or str(Path("audit") / workspace.name)
        with open_client(args.scheduler, n_workers=args.workers) as client:
            link = dashboard_link(client)
            if not args.quiet:
                where = f"the scheduler at {args.scheduler}" if args.scheduler else "a LocalCluster"
                print(f"running on {where}" + (f"; dashboard: {link}" if link else ""), file=sys.stderr)
            summary = run_audit(workspace, client, out, where=args.where, counterfactuals=args.counterfactuals,
                                partition_rows=args.partition_rows, progress=not args.quiet)
    except Talk2ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    data = summary.to_json()
    if not args.no_store:
        from talk2model.store.audits import record_audit

        data["audit_id"] = record_audit(data, args.db)
    print(json.dumps(data, indent=1) if args.json else "\n".join(summary_lines(summary)))
    return 0


def _print_answer(answer, as_json: bool) -> None:
    if as_json:
        print(json.dumps(answer.to_json(), ensure_ascii=False, default=str))
        return
    print(answer.text)
    table = answer.table
    if table is not None:
        print()
        from talk2model.verbalize.tables import text_table

        print(text_table(table))      # cells by the one formatter, as in the text and the app
    for i, choice in enumerate(answer.choices, 1):
        print(f"  {i}. {choice.label}")


def cmd_workspaces(args) -> int:
    from talk2model.workspace import builtin_workspaces, load_workspace
    from talk2model.textutil import did_you_mean  # noqa: F401

    for name, path in builtin_workspaces().items():
        try:
            ws = load_workspace(name)
            what = (f"{ws.image_spec.describe()} images" if ws.kind == "image"
                    else f"{len(ws.schema.features)} features")
            print(f"{name:14s} {ws.schema.title} — {len(ws.data):,} {ws.schema.entity_plural}, "
                  f"{what}, model: {ws.model.kind}")
        except Exception as exc:  # a broken workspace must not hide the others
            print(f"{name:14s} (cannot load: {exc})")
    return 0


def cmd_ask(args) -> int:
    answer = _assistant(args).ask(" ".join(args.question))
    _print_answer(answer, args.json)
    return 0


def cmd_run(args) -> int:
    if (args.query is None) == (args.json_query is None):
        print("give the query either as text or with --json-query", file=sys.stderr)
        return 2
    assistant = _assistant(args)
    if args.json_query is not None:
        from talk2model.errors import QueryError
        from talk2model.query.ast import Query

        try:
            query = Query.from_json(args.json_query)
        except QueryError as exc:
            print(f"I could not read that JSON query: {exc}", file=sys.stderr)
            return 2
        answer = assistant.run(query)
    else:
        answer = assistant.run(args.query)
    _print_answer(answer, args.json)
    return 0


def parse_record(assistant, question: str) -> dict:
    """One line of `parse --json`: the steps, plus how sure the parser is and what it read."""
    from talk2model.engine import resolve
    from talk2model.query.human import describe_query

    parsed = assistant.parse(question)
    record: dict = {}
    query = parsed.query
    if query is None and parsed.choices:
        query = parsed.choices[0].query
        record["clarify"] = True
    record["steps"] = query.to_json()["steps"] if query is not None else []
    record["confidence"] = round(float(parsed.confidence), 3)
    if query is not None:
        try:
            record["reading"] = describe_query(resolve(query, assistant.state), assistant.workspace.schema)
        except Exception:  # a reading is a courtesy; the steps are the answer
            pass
    if parsed.choices:
        record["choices"] = [{"label": c.label, "steps": c.query.to_json()["steps"]} for c in parsed.choices]
    if parsed.message:
        record["message"] = parsed.message
    return record


def cmd_parse(args) -> int:
    from talk2model.assistant import Assistant

    assistant = Assistant(args.workspace)
    if args.question == ["-"]:
        questions = (line.rstrip("\n") for line in sys.stdin)
    else:
        questions = iter([" ".join(args.question)])
    for question in questions:
        try:
            record = parse_record(assistant, question)
        except Exception as exc:  # one bad line never stops the stream
            record = {"steps": [], "error": f"{type(exc).__name__}: {exc}"}
        if args.json:
            print(json.dumps(record, ensure_ascii=False), flush=True)
        else:
            reading = record.get("reading") or record.get("message") or "(not understood)"
            print(f"{question}\n  -> {reading}")
    return 0


def cmd_chat(args) -> int:
    from talk2model.assistant import AI_NOTICE

    assistant = _assistant(args)
    schema = assistant.workspace.schema
    print(f"talk2model — {schema.title}. {AI_NOTICE}")
    print("Ask a question (empty line or Ctrl-D to quit). For example:")
    for example in schema.examples[:3]:
        print(f"  {example}")
    while True:
        try:
            question = input("\n> ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if not question or question.lower() in ("quit", "exit", "bye"):
            return 0
        answer = assistant.ask(question)
        if answer.choices:
            _print_answer(answer, False)
            pick = input("Which one? (number) ").strip()
            if pick.isdigit() and 1 <= int(pick) <= len(answer.choices):
                choice = answer.choices[int(pick) - 1]
                answer = assistant.run(choice.query, question=question)
            else:
                continue
        _print_answer(answer, False)


COMMANDS = {"workspaces": cmd_workspaces, "ask": cmd_ask, "run": cmd_run, "parse": cmd_parse,
            "chat": cmd_chat}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in DELEGATED:
        module_name, _, function = DELEGATED[argv[0]][0].partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            print(f"'{argv[0]}' is not available in this installation ({exc})", file=sys.stderr)
            return 1
        return int(getattr(module, function or "main")(argv[1:]) or 0)
    args = build_parser().parse_args(argv)
    from talk2model.errors import Talk2ModelError

    try:
        return COMMANDS[args.command](args)
    except Talk2ModelError as exc:
        print(f"talk2model: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `talk2model ask ... | head`: the reader left, which is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    finally:
        _join_background_loads()


def _join_background_loads() -> None:
    """Let background loaders (the parser's sentence model) finish before the interpreter exits:
    a daemon thread stopped inside torch at shutdown aborts the process ('exception not rethrown')."""
    import threading

    for thread in threading.enumerate():
        if thread is not threading.current_thread() and thread.name.startswith("talk2model"):
            thread.join(timeout=60)


if __name__ == "__main__":
    raise SystemExit(main())
