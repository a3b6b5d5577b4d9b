"""The query AST: frozen dataclasses, one per expression node and one per step, and the JSON form.

`Query.to_json()` / `Query.from_json()` are the public JSON interface (docs/query-language.md);
the text form lives in `talk2model.query.text`. Each step class names its `op`; the JSON keys are
its field names, and a field left at `None` is omitted.

A step class is the one declaration of its step, below everything that reads queries (the parser
builds steps, and its reader's labels are the order of `STEP_TYPES`): its fields (a field without
a default is required in JSON; a `Name` field is a feature's name, printed bare or in backquotes),
their validation (`__post_init__`), and its plain-English rendering (`said`, a template over the
selection `{sel}` and the labels of its `Name` fields; steps whose words depend on their values
are rendered in `query.human`). A step whose grammar rule is its op followed by its fields in
order needs nothing more: the text form reads and prints it from the fields.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar, Union

from talk2model.errors import QueryError
from talk2model.query import limits

CMPS = ("==", "!=", ">", ">=", "<", "<=")
ACTIONS = ("set", "increase", "decrease")
# explain methods: SHAP/LIME for tables; Captum's attribution methods for PyTorch models (images,
# and integrated_gradients / deeplift / deep_shap / saliency for the tabular MLP too)
CAPTUM_METHODS = ("saliency", "integrated_gradients", "deeplift", "deep_shap", "gradcam", "occlusion")
METHODS = ("auto", "shap", "lime") + CAPTUM_METHODS
MODES = ("typical", "sample", "count")
CLASSIFICATION_METRICS = ("accuracy", "f1", "precision", "recall", "specificity", "roc_auc", "npv")
REGRESSION_METRICS = ("mae", "rmse", "r2")
METRICS = CLASSIFICATION_METRICS + REGRESSION_METRICS
SPECIAL_FEATURES = ("id", "label", "prediction", "confidence")   # confidence: the top class's probability
# inside the network and where it fails (adversarial, influence, visualize_class, concepts, embedding)
NORMS = ("linf", "l2")                       # the norm an adversarial change is measured in
INFLUENCE_MODES = ("mislabelled",)           # influence mode: training examples that look mislabelled
EMBEDDINGS = ("tsne", "pca")                 # how a layer's representations are drawn in 2-D
EMBEDDING_COLOURS = ("label", "prediction")  # what the points are coloured by

Value = Union[int, float, str, bool]
Name = str     # a feature's (or layer's, concept's) name: printed bare or `quoted`, checked against the schema


def _check_value(value: Any, where: str) -> Value:
    """A value as the query keeps it: numbers finite in float64, strings cleaned (lone
    surrogates replaced, control characters refused)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return limits.clean_string(value, where)
    if isinstance(value, (int, float)):
        limits.check_number(value, where)
        return value
    raise QueryError(f"{where}: the value must be a number or a string, not {type(value).__name__}")


def _check_name(name: Any) -> Any:
    """A feature name as the query keeps it (names are checked against the schema later)."""
    return limits.clean_string(name, "a feature name") if isinstance(name, str) else name


# ---------------------------------------------------------------------------- expressions
@dataclass(frozen=True)
class Cmp:
    feature: str
    cmp: str
    value: Value

    def __post_init__(self) -> None:
        if self.cmp not in CMPS:
            raise QueryError(f"unknown comparison '{self.cmp}'; use one of {' '.join(CMPS)}")
        object.__setattr__(self, "feature", _check_name(self.feature))
        object.__setattr__(self, "value", _check_value(self.value, f"condition on '{self.feature}'"))

    def to_json(self) -> dict:
        return {"feature": self.feature, "cmp": self.cmp, "value": self.value}


@dataclass(frozen=True)
class And:
    items: tuple["Expr", ...]

    def __post_init__(self) -> None:
        if len(self.items) < 2:
            raise QueryError("'and' needs at least two conditions")

    def to_json(self) -> dict:
        return {"and": [i.to_json() for i in self.items]}


@dataclass(frozen=True)
class Or:
    items: tuple["Expr", ...]

    def __post_init__(self) -> None:
        if len(self.items) < 2:
            raise QueryError("'or' needs at least two conditions")

    def to_json(self) -> dict:
        return {"or": [i.to_json() for i in self.items]}


@dataclass(frozen=True)
class Not:
    item: "Expr"

    def to_json(self) -> dict:
        return {"not": self.item.to_json()}


Expr = Union[Cmp, And, Or, Not]


def expr_from_json(obj: Any) -> Expr:
    if not isinstance(obj, dict):
        raise QueryError(f"a condition must be a JSON object, not {obj!r}")
    if "and" in obj or "or" in obj:
        key = "and" if "and" in obj else "or"
        items = obj[key]
        if not isinstance(items, list):
            raise QueryError(f"'{key}' takes a list of conditions")
        parts = tuple(expr_from_json(i) for i in items)
        return And(parts) if key == "and" else Or(parts)
    if "not" in obj:
        return Not(expr_from_json(obj["not"]))
    missing = [k for k in ("feature", "cmp", "value") if k not in obj]
    if missing:
        raise QueryError(f"a condition needs feature, cmp and value; missing {', '.join(missing)}")
    extra = set(obj) - {"feature", "cmp", "value"}
    if extra:
        raise QueryError(f"unexpected key(s) in a condition: {', '.join(sorted(extra))}")
    if not isinstance(obj["feature"], str):
        raise QueryError("a condition's feature must be a string")
    return Cmp(obj["feature"], obj["cmp"], obj["value"])


def conjuncts(expr: Expr | None) -> list[Expr]:
    """The conditions an expression ANDs together (flattening nested ands)."""
    if expr is None:
        return []
    if isinstance(expr, And):
        return [c for item in expr.items for c in conjuncts(item)]
    return [expr]


def and_all(exprs: list[Expr]) -> Expr | None:
    flat = [c for e in exprs for c in conjuncts(e)]
    if not flat:
        return None
    return flat[0] if len(flat) == 1 else And(tuple(flat))


# ---------------------------------------------------------------------------- steps
STEP_TYPES: dict[str, type["Step"]] = {}


def _step(op: str):
    def register(cls):
        cls.op = op
        STEP_TYPES[op] = cls
        return cls

    return register


@dataclass(frozen=True)
class Step:
    op: ClassVar[str] = ""
    said: ClassVar[str | None] = None    # plain English: "what {feature} means", "the data for {sel}"

    def to_json(self) -> dict:
        out: dict[str, Any] = {"op": self.op}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            out[f.name] = value.to_json() if hasattr(value, "to_json") else value
        return out


@_step("filter")
@dataclass(frozen=True)
class Filter(Step):
    where: Expr

    def __post_init__(self) -> None:
        limits.check_expr(self.where)   # before anything recurses over the condition


@_step("previous_filter")
@dataclass(frozen=True)
class PreviousFilter(Step):
    pass


@_step("whatif")
@dataclass(frozen=True)
class WhatIf(Step):
    feature: Name
    action: str
    value: Value

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise QueryError(f"what-if action must be one of {', '.join(ACTIONS)}, not '{self.action}'")
        object.__setattr__(self, "feature", _check_name(self.feature))
        object.__setattr__(self, "value", _check_value(self.value, f"what-if on '{self.feature}'"))
        if self.action != "set" and (isinstance(self.value, (str, bool))):
            raise QueryError(f"can only {self.action} '{self.feature}' by a number")


@_step("predict")
@dataclass(frozen=True)
class Predict(Step):
    said: ClassVar[str] = "the model's prediction for {sel}"


@_step("likelihood")
@dataclass(frozen=True)
class Likelihood(Step):
    top: int | None = None   # the k most likely classes ("the top 3 guesses")

    def __post_init__(self) -> None:
        if self.top is not None and (isinstance(self.top, bool) or not isinstance(self.top, int) or self.top < 1):
            raise QueryError("likelihood top must be a whole number of at least 1")


@_step("explain")
@dataclass(frozen=True)
class Explain(Step):
    method: str = "auto"

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise QueryError(f"explain method must be one of {', '.join(METHODS)}, not '{self.method}'")


@_step("counterfactual")
@dataclass(frozen=True)
class Counterfactual(Step):
    said: ClassVar[str] = "what {sel} would need to change to get a different prediction"


@_step("importance")
@dataclass(frozen=True)
class Importance(Step):
    top: int | None = None
    feature: Name | None = None

    def __post_init__(self) -> None:
        if self.top is not None and self.feature is not None:
            raise QueryError("importance takes either top or feature, not both")
        if self.top is not None and (isinstance(self.top, bool) or not isinstance(self.top, int) or self.top < 1):
            raise QueryError("importance top must be a whole number of at least 1")


@_step("interactions")
@dataclass(frozen=True)
class Interactions(Step):
    said: ClassVar[str] = "which features interact most for {sel}"


@_step("dependence")
@dataclass(frozen=True)
class Dependence(Step):
    said: ClassVar[str] = "how the prediction depends on {feature} for {sel}"
    feature: Name


@_step("rules")
@dataclass(frozen=True)
class Rules(Step):
    said: ClassVar[str] = "the rules that describe the model's decisions for {sel}"


@_step("score")
@dataclass(frozen=True)
class Score(Step):
    metric: str = "accuracy"

    def __post_init__(self) -> None:
        if self.metric not in METRICS:
            raise QueryError(f"unknown metric '{self.metric}'; use one of {', '.join(METRICS)}")


@_step("mistakes")
@dataclass(frozen=True)
class Mistakes(Step):
    mode: str = "typical"

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise QueryError(f"mistakes mode must be one of {', '.join(MODES)}, not '{self.mode}'")


@_step("confusion")
@dataclass(frozen=True)
class Confusion(Step):
    """Which classes the model mixes up: the confusion matrix on held-out rows."""

    said: ClassVar[str] = "which outcomes the model confuses on {sel}"


@_step("faithfulness")
@dataclass(frozen=True)
class Faithfulness(Step):
    """How faithful each attribution method is here (deletion curve, infidelity, sanity check)."""

    methods: tuple[str, ...] | None = None   # the methods to compare; None: every one that applies

    def __post_init__(self) -> None:
        if self.methods is not None:
            if isinstance(self.methods, str) or not isinstance(self.methods, (list, tuple)) or not self.methods \
                    or not all(isinstance(m, str) for m in self.methods):
                raise QueryError("faithfulness methods must be a non-empty list of method names")
            bad = [m for m in self.methods if m not in CAPTUM_METHODS]
            if bad:
                raise QueryError(f"faithfulness compares {', '.join(CAPTUM_METHODS)}; not '{bad[0]}'")
            object.__setattr__(self, "methods", tuple(dict.fromkeys(self.methods)))

    def to_json(self) -> dict:
        out = super().to_json()
        if "methods" in out:
            out["methods"] = list(out["methods"])
        return out


@_step("labels")
@dataclass(frozen=True)
class Labels(Step):
    said: ClassVar[str] = "the true outcomes of {sel}"


@_step("count")
@dataclass(frozen=True)
class Count(Step):
    pass


@_step("show")
@dataclass(frozen=True)
class Show(Step):
    said: ClassVar[str] = "the data for {sel}"


@_step("statistic")
@dataclass(frozen=True)
class Statistic(Step):
    said: ClassVar[str] = "summary statistics of {feature} for {sel}"
    feature: Name


@_step("bias")
@dataclass(frozen=True)
class Bias(Step):
    attribute: Name
    metric: str | None = None
    attributes: tuple[str, ...] | None = None   # further attributes crossed with it ("women over 60")
    bands: tuple[int | float, ...] | None = None  # cut points for a numeric attribute (25, 60)

    def __post_init__(self) -> None:
        if self.attributes is not None:
            if isinstance(self.attributes, str) or not isinstance(self.attributes, (list, tuple)) \
                    or not self.attributes or not all(isinstance(a, str) for a in self.attributes):
                raise QueryError("bias attributes must be a non-empty list of feature names")
            object.__setattr__(self, "attributes", tuple(self.attributes))
        if self.bands is not None:
            if isinstance(self.bands, (str, bytes)) or not isinstance(self.bands, (list, tuple)) or not self.bands \
                    or any(isinstance(b, bool) or not isinstance(b, (int, float)) for b in self.bands):
                raise QueryError("bias bands must be a non-empty list of numbers (cut points)")
            for b in self.bands:
                _check_value(b, "bias bands")
            if any(x >= y for x, y in zip(self.bands, self.bands[1:])):
                raise QueryError("bias bands must be cut points in increasing order")
            object.__setattr__(self, "bands", tuple(self.bands))

    def to_json(self) -> dict:
        out = super().to_json()
        for key in ("attributes", "bands"):
            if key in out:
                out[key] = list(out[key])
        return out


@_step("describe_data")
@dataclass(frozen=True)
class DescribeData(Step):
    said: ClassVar[str] = "a description of the data"


@_step("describe_model")
@dataclass(frozen=True)
class DescribeModel(Step):
    said: ClassVar[str] = "a description of the model"


@_step("define")
@dataclass(frozen=True)
class Define(Step):
    said: ClassVar[str] = "what {feature} means"
    feature: Name


@_step("capabilities")
@dataclass(frozen=True)
class Capabilities(Step):
    said: ClassVar[str] = "what I can do"


@_step("repeat")
@dataclass(frozen=True)
class Repeat(Step):
    said: ClassVar[str] = "the previous question again, for {sel}"


@_step("followup")
@dataclass(frozen=True)
class Followup(Step):
    said: ClassVar[str] = "more of the previous answer"


# ---------------------------------------------------------------------------- inside the network
def _check_class(value: Any, what: str) -> Any:
    """A class value as a query keeps it (the schema turns phrases into values later)."""
    if value is None:
        return None
    return _check_value(value, what)


def _check_count(value: Any, what: str, *, minimum: int = 1) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < minimum):
        raise QueryError(f"{what} must be a whole number of at least {minimum}")


@_step("adversarial")
@dataclass(frozen=True)
class Adversarial(Step):
    """How easily the model is fooled: one row or image, the smallest change that flips it; a
    selection, the share that stays right under changes up to `epsilon`, and the most fragile."""

    norm: str | None = None       # "linf" (images' default) or "l2" (tables' default)
    epsilon: int | float | None = None   # the size of change: a selection's robust accuracy is at this ε
    target: Value | None = None   # a class to push toward; None: any other class

    def __post_init__(self) -> None:
        if self.norm is not None and self.norm not in NORMS:
            raise QueryError(f"adversarial norm must be one of {', '.join(NORMS)}, not '{self.norm}'")
        if self.epsilon is not None:
            if isinstance(self.epsilon, bool) or not isinstance(self.epsilon, (int, float)):
                raise QueryError("adversarial epsilon must be a number")
            _check_value(self.epsilon, "adversarial epsilon")
            if not self.epsilon > 0:
                raise QueryError("adversarial epsilon must be greater than 0")
        object.__setattr__(self, "target", _check_class(self.target, "adversarial class"))


@_step("influence")
@dataclass(frozen=True)
class Influence(Step):
    """Which training examples made the model decide so (TracIn): proponents and opponents of the
    selected rows; mode "mislabelled": the training examples with the highest self-influence."""

    mode: str | None = None
    top: int | None = None

    def __post_init__(self) -> None:
        if self.mode is not None and self.mode not in INFLUENCE_MODES:
            raise QueryError(f"influence mode must be one of {', '.join(INFLUENCE_MODES)}, not '{self.mode}'")
        _check_count(self.top, "influence top")


@_step("visualize_class")
@dataclass(frozen=True)
class VisualizeClass(Step):
    """What the model thinks a class looks like (activation maximisation), or what one unit of a
    layer responds to (`layer` and `unit`)."""

    target: Value | None = None   # the class; None: every class
    layer: Name | None = None
    unit: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "target", _check_class(self.target, "visualize_class class"))
        if (self.layer is None) != (self.unit is None):
            raise QueryError("visualize_class takes a layer and a unit together")
        if self.layer is not None:
            if self.target is not None:
                raise QueryError("visualize_class shows either a class or a layer's unit, not both")
            if not isinstance(self.layer, str):
                raise QueryError("visualize_class layer must be a layer's name")
            object.__setattr__(self, "layer", _check_name(self.layer))
            _check_count(self.unit, "visualize_class unit", minimum=0)


@_step("concepts")
@dataclass(frozen=True)
class Concepts(Step):
    """Is the model sensitive to a concept when it says a class (TCAV)? The concept is a built-in
    (`concept`), or the images that meet a condition (`where`); None: every built-in concept."""

    concept: Name | None = None
    where: Expr | None = None
    target: Value | None = None   # the class tested; None: the selection's class, or every class

    def __post_init__(self) -> None:
        if self.concept is not None and self.where is not None:
            raise QueryError("concepts takes either a built-in concept or a condition (where), not both")
        if self.concept is not None:
            if not isinstance(self.concept, str):
                raise QueryError("concepts: concept must be a concept's name")
            object.__setattr__(self, "concept", _check_name(self.concept))
        if self.where is not None:
            limits.check_expr(self.where)
        object.__setattr__(self, "target", _check_class(self.target, "concepts class"))


@_step("embedding")
@dataclass(frozen=True)
class Embedding(Step):
    """How the model groups the rows: its last hidden layer in 2-D (t-SNE or PCA), coloured by
    true label or prediction, mistakes marked."""

    method: str = "tsne"
    by: str | None = None         # "label" (the default) or "prediction"

    def __post_init__(self) -> None:
        if self.method not in EMBEDDINGS:
            raise QueryError(f"embedding method must be one of {', '.join(EMBEDDINGS)}, not '{self.method}'")
        if self.by is not None and self.by not in EMBEDDING_COLOURS:
            raise QueryError(f"embedding colours points by {' or '.join(EMBEDDING_COLOURS)}, not '{self.by}'")


@_step("anchor")
@dataclass(frozen=True)
class Anchor(Step):
    """Under which conditions the prediction surely holds: an anchor rule (Ribeiro et al. 2018)
    with precision >= 0.95 and its coverage, measured on the data."""

    said: ClassVar[str] = "the conditions under which the model's prediction for {sel} surely holds (an anchor)"


def required_fields(cls: type[Step]) -> tuple[str, ...]:
    """The fields a step's JSON must give: those without a default."""
    return tuple(f.name for f in dataclasses.fields(cls)
                 if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)


def _is_text(field: dataclasses.Field) -> bool:
    """A field that holds a word or a name (its JSON value must be a string)."""
    return str(field.type).split(" | ")[0] in ("str", "Name")


def step_from_json(obj: Any) -> Step:
    if not isinstance(obj, dict) or "op" not in obj:
        raise QueryError(f"each step must be a JSON object with an 'op', not {obj!r}")
    op = obj["op"]
    cls = STEP_TYPES.get(op)
    if cls is None:
        from talk2model.textutil import did_you_mean

        raise QueryError(f"unknown operation '{op}'{did_you_mean(str(op), list(STEP_TYPES))}")
    args = {k: v for k, v in obj.items() if k != "op"}
    names = {f.name for f in dataclasses.fields(cls)}
    extra = set(args) - names
    if extra:
        raise QueryError(f"'{op}' does not take {', '.join(sorted(extra))}")
    missing = [k for k in required_fields(cls) if k not in args]
    if missing:
        raise QueryError(f"'{op}' needs {', '.join(missing)}")
    if "where" in args and args["where"] is not None:
        args["where"] = expr_from_json(args["where"])
    for f in dataclasses.fields(cls):
        if _is_text(f) and args.get(f.name) is not None and not isinstance(args[f.name], str):
            raise QueryError(f"'{op}': {f.name} must be a string")
    return cls(**args)


@dataclass(frozen=True)
class Query:
    steps: tuple[Step, ...]

    def __post_init__(self) -> None:
        if not self.steps:
            raise QueryError("a query needs at least one step")

    def to_json(self) -> dict:
        return {"steps": [s.to_json() for s in self.steps]}

    @classmethod
    def from_json(cls, obj: Any) -> "Query":
        if isinstance(obj, str):
            import json

            limits.check_length(obj)
            limits.check_json_depth(limits.json_text_depth(obj))
            try:
                obj = json.loads(obj)
            except json.JSONDecodeError as exc:
                raise QueryError(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
                                 position=exc.pos) from None
            except ValueError as exc:  # an integer too long to convert
                raise QueryError(f"not a usable JSON query: {exc}") from None
        else:
            limits.check_json_depth(limits.object_depth(obj))
        if not isinstance(obj, dict) or not isinstance(obj.get("steps"), list):
            raise QueryError('a JSON query looks like {"steps": [{"op": ...}, ...]}')
        return cls(tuple(step_from_json(s) for s in obj["steps"]))

    def to_text(self) -> str:
        from talk2model.query.text import to_text

        return to_text(self)

    @classmethod
    def from_text(cls, text: str) -> "Query":
        from talk2model.query.text import parse_text

        return parse_text(text)

    @property
    def ops(self) -> list[str]:
        return [s.op for s in self.steps]
