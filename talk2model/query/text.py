"""The text form of queries: `grammar/talk2model.lark` parsed with LALR, and its printer.

    filter age > 50 and housing == "rent" then likelihood

Printing then parsing gives back the same AST, and the same text.

A step whose grammar rule is its op followed by its fields in order (`define: "define" name`,
`score: "score" WORD`) is read and printed from its class's fields: a `Name` field as a name, a
word as itself, a condition or a value in their own forms. Only steps with optional parts or
keywords of their own (`likelihood top 3`, `bias age bands 25 60 and sex`) have code here. The
reserved words (`KEYWORDS`, which a name must be quoted to use) are the grammar's own literals.
"""

from __future__ import annotations

import dataclasses
import json
import re
from functools import lru_cache

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from talk2model.errors import QueryError
from talk2model.paths import grammar_path
from talk2model.query import ast as q
from talk2model.query import limits

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def grammar_keywords(grammar: str) -> frozenset[str]:
    """Every word the grammar writes as a literal ("filter", "then", "top", "linf", ...): a name
    spelled like one must be quoted in the text form."""
    code = "\n".join(line.split("//")[0] for line in grammar.splitlines())
    return frozenset(re.findall(r'"([A-Za-z_][A-Za-z0-9_]*)"', code))


KEYWORDS = grammar_keywords(grammar_path().read_text())


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(grammar_path().read_text(), parser="lalr", maybe_placeholders=False)


@v_args(inline=True)
class _ToAst(Transformer):
    def start(self, *steps):
        return q.Query(tuple(steps))

    # expressions
    def comparison(self, name, cmp, value):
        return q.Cmp(name, str(cmp), value)

    def and_(self, *items):
        return q.And(tuple(items))

    def or_(self, *items):
        return q.Or(tuple(items))

    def not_(self, item):
        return q.Not(item)

    def name(self, token: Token) -> str:
        text = str(token)
        return text[1:-1] if token.type == "QUOTED_NAME" else text

    def int_(self, token):
        try:
            return int(token)
        except ValueError:  # more digits than Python converts (4,300): far beyond float64 anyway
            raise QueryError(limits.ERR_NUMBER_RANGE.format(
                where="a number", value=f"with {len(token.lstrip('+-')):,} digits")) from None

    def float_(self, token):
        return float(token)

    def string(self, token):
        try:
            return json.loads(token)
        except json.JSONDecodeError:  # a raw control character (a tab, a NUL) inside the quotes
            codes = sorted({f"U+{ord(c):04X}" for c in token if ord(c) < 32 or ord(c) == 127})
            if codes:
                raise QueryError(limits.ERR_CONTROL.format(where="a string", codes=", ".join(codes))) from None
            raise QueryError(f"the string {token} is not a valid \"string\"") from None

    def true(self):
        return True

    def false(self):
        return False

    # steps whose rule is not their op followed by their fields (the rest: __default__)
    def likelihood_all(self):
        return q.Likelihood()

    def likelihood_top(self, n):
        return q.Likelihood(top=int(n))

    def faithfulness(self, *methods):
        return q.Faithfulness(tuple(str(m) for m in methods) or None)

    def importance_all(self):
        return q.Importance()

    def importance_top(self, n):
        return q.Importance(top=int(n))

    def importance_feature(self, name):
        return q.Importance(feature=name)

    def bias(self, name, *parts):
        found = {"bands": None, "also": [], "metric": None}
        for kind, value in parts:
            if kind == "also":
                found["also"].append(value)
            else:
                found[kind] = value
        return q.Bias(name, found["metric"], tuple(found["also"]) or None, found["bands"])

    def bias_bands(self, *numbers):
        return ("bands", tuple(numbers))

    def bias_also(self, name):
        return ("also", name)

    def bias_metric(self, word):
        return ("metric", str(word))

    # inside the network and where it fails
    def adversarial(self, *parts):
        found = dict(parts)
        return q.Adversarial(norm=found.get("norm"), epsilon=found.get("epsilon"), target=found.get("class"))

    def adv_norm(self, token):
        return ("norm", str(token))

    def adv_epsilon(self, number):
        return ("epsilon", number)

    def of_class(self, value):
        return ("class", value)

    def top(self, n):
        return ("top", int(n))

    def influence(self, *parts):
        mode, top = None, None
        for part in parts:
            if isinstance(part, tuple):
                top = part[1]
            else:
                mode = str(part)
        return q.Influence(mode=mode, top=top)

    def visualize_class(self, *parts):
        return q.VisualizeClass(target=dict(parts).get("class"))

    def visualize_unit(self, layer, unit):
        return q.VisualizeClass(layer=layer, unit=int(unit))

    def concept_name(self, name):
        return ("concept", name)

    def concept_where(self, expr):
        return ("where", expr)

    def concepts(self, *parts):
        found = dict(parts)
        return q.Concepts(concept=found.get("concept"), where=found.get("where"), target=found.get("class"))

    def embedding(self, *parts):
        method, by = "tsne", None
        for part in parts:
            if isinstance(part, tuple):
                by = part[1]
            else:
                method = str(part)
        return q.Embedding(method=method, by=by)

    def embed_by(self, name):
        return ("by", name)

    def __default__(self, data, children, meta):
        """A step whose rule is its op followed by its fields, in order: built from them."""
        cls = q.STEP_TYPES.get(data)
        if cls is not None and len(children) <= len(dataclasses.fields(cls)):
            return cls(*[str(c) if isinstance(c, Token) else c for c in children])
        return super().__default__(data, children, meta)


def parse_text(text: str) -> q.Query:
    limits.check_length(text)
    try:
        tree = _parser().parse(text)   # LALR: builds the tree without recursing
    except UnexpectedInput as exc:
        raise _friendly(text, exc) from None
    if _tree_depth(tree) > limits.MAX_DEPTH + 4:  # start, step, comparison, name + conditions
        raise QueryError(limits.ERR_TOO_DEEP.format(limit=limits.MAX_DEPTH))
    try:
        return _ToAst().transform(tree)
    except VisitError as exc:  # an AST constructor refused a value
        if isinstance(exc.orig_exc, QueryError):
            raise exc.orig_exc from None
        raise QueryError(f"could not read that query ({type(exc.orig_exc).__name__}: "
                         f"{str(exc.orig_exc).splitlines()[0] if str(exc.orig_exc) else ''})") from None


def _tree_depth(tree) -> int:
    """Depth of a lark tree, without recursion (a query of 3,000 `not`s is 3,000 deep)."""
    deepest = 0
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in getattr(node, "children", ()) if hasattr(child, "children"))
    return deepest


def _friendly(text: str, exc: UnexpectedInput) -> QueryError:
    pos = getattr(exc, "pos_in_stream", None)
    context = exc.get_context(text, span=30).rstrip("\n")
    if isinstance(exc, UnexpectedEOF):
        expected = tuple(sorted(exc.expected))
        return QueryError(f"the query ends too early; expected {_pretty(expected)}",
                          position=len(text), expected=expected)
    if isinstance(exc, UnexpectedToken):
        expected = tuple(sorted(exc.accepts or exc.expected))
        got = exc.token
        if got.type == "$END":
            return QueryError(f"the query ends too early; expected {_pretty(expected)}",
                              position=len(text), expected=expected)
        return QueryError(f"did not expect '{got}' at position {got.start_pos + 1}; expected "
                          f"{_pretty(expected)}\n{context}", position=got.start_pos, expected=expected)
    if isinstance(exc, UnexpectedCharacters):
        expected = tuple(sorted(exc.allowed or ()))
        return QueryError(f"did not understand '{text[exc.pos_in_stream]}' at position "
                          f"{exc.pos_in_stream + 1}\n{context}", position=exc.pos_in_stream,
                          expected=expected)
    return QueryError(str(exc), position=pos)


_TERMINAL_WORDS = {"NAME": "a feature name", "QUOTED_NAME": "a `quoted name`", "CMP": "a comparison (== != > >= < <=)",
                   "SIGNED_INT": "a number", "SIGNED_FLOAT": "a number", "ESCAPED_STRING": "a \"string\"",
                   "ACTION": "set, increase or decrease",
                   "METHOD": "a method (auto, shap, lime, saliency, integrated_gradients, deeplift, deep_shap, gradcam, occlusion)",
                   "MODE": "typical, sample or count", "WORD": "a metric name",
                   "NORM": "a norm (linf or l2)", "INFLUENCE_MODE": "mislabelled",
                   "EMBEDDING": "tsne or pca", "INT": "a whole number",
                   "THEN": "'then'", "$END": "the end of the query", "AND": "'and'", "OR": "'or'", "NOT": "'not'", "LPAR": "'('", "RPAR": "')'"}


def _pretty(expected: tuple[str, ...]) -> str:
    words = []
    for name in expected:
        word = _TERMINAL_WORDS.get(name, name.lower().replace("_", " "))
        if word not in words:
            words.append(word)
    return ", ".join(words[:8]) if words else "more"


# ---------------------------------------------------------------------------- printing
def name_text(name: str) -> str:
    if _NAME.match(name) and name not in KEYWORDS:
        return name
    if "`" in name:
        raise QueryError(f"feature name {name!r} cannot be written in the text form")
    return f"`{name}`"


def value_text(value: q.Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        text = repr(value)
        return text if any(c in text for c in ".eE") else text + ".0"
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def expr_text(expr: q.Expr, parent: str = "") -> str:
    if isinstance(expr, q.Cmp):
        return f"{name_text(expr.feature)} {expr.cmp} {value_text(expr.value)}"
    if isinstance(expr, q.Not):
        inner = expr_text(expr.item, "not")
        return f"not {inner}"
    kind = "and" if isinstance(expr, q.And) else "or"
    text = f" {kind} ".join(expr_text(i, kind) for i in expr.items)
    # parenthesise whenever nested, so the tree shape survives a round trip exactly
    return f"({text})" if parent else text


def field_text(field: dataclasses.Field, value) -> str:
    """One field of a step as the grammar writes it: a name, a word, a condition or a value."""
    kind = str(field.type).split(" | ")[0]
    if kind == "Name":
        return name_text(value)
    if kind == "str":
        return value
    if kind == "Expr":
        return expr_text(value)
    return value_text(value)


def _of_class(target) -> str:
    """' class 8' (the grammar's `of_class`), or '' when no class is given."""
    return f" class {value_text(target)}" if target is not None else ""


def step_text(step: q.Step) -> str:
    if isinstance(step, q.Likelihood):
        return "likelihood" if step.top is None else f"likelihood top {step.top}"
    if isinstance(step, q.Faithfulness):
        return "faithfulness" + "".join(f" {m}" for m in step.methods or ())
    if isinstance(step, q.Importance):
        if step.top is not None:
            return f"importance top {step.top}"
        if step.feature is not None:
            return f"importance feature {name_text(step.feature)}"
        return "importance"
    if isinstance(step, q.Bias):
        text = f"bias {name_text(step.attribute)}"
        if step.bands:
            text += " bands " + " ".join(value_text(b) for b in step.bands)
        text += "".join(f" and {name_text(a)}" for a in step.attributes or ())
        return text + (f" metric {step.metric}" if step.metric else "")
    if isinstance(step, q.Adversarial):
        text = "adversarial"
        if step.norm is not None:
            text += f" norm {step.norm}"
        if step.epsilon is not None:
            text += f" epsilon {value_text(step.epsilon)}"
        return text + _of_class(step.target)
    if isinstance(step, q.Influence):
        return "influence" + (f" {step.mode}" if step.mode else "") + (f" top {step.top}" if step.top else "")
    if isinstance(step, q.VisualizeClass):
        if step.layer is not None:
            return f"visualize_class layer {name_text(step.layer)} unit {step.unit}"
        return "visualize_class" + _of_class(step.target)
    if isinstance(step, q.Concepts):
        text = "concepts"
        if step.concept is not None:
            text += f" {name_text(step.concept)}"
        if step.where is not None:
            text += f" where {expr_text(step.where)}"
        return text + _of_class(step.target)
    if isinstance(step, q.Embedding):
        return f"embedding {step.method}" + (f" by {name_text(step.by)}" if step.by else "")
    # the op, then its fields in order (`define age`, `whatif age increase 5`, `score f1`)
    return " ".join([step.op, *(field_text(f, getattr(step, f.name)) for f in dataclasses.fields(step)
                                if getattr(step, f.name) is not None)])


def to_text(query: q.Query) -> str:
    return " then ".join(step_text(s) for s in query.steps)
