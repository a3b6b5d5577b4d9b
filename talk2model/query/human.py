"""Plain-English renderings of queries: what the chat shows as "I understood: ...".

Like datasette's `human_clause`, every node renders itself for people, so what a person reads
always matches what ran.
"""

from __future__ import annotations

import dataclasses

from talk2model.formatting import fmt_number, fmt_percent
from talk2model.query import ast as q
from talk2model.workspace.schema import Schema, feature_label

__all__ = ["describe_expr", "describe_query", "describe_selection", "describe_step", "describe_whatif",
           "feature_label", "fmt_number"]

METHOD_WORDS = {"shap": "SHAP", "lime": "LIME", "saliency": "saliency (gradients)",
                "integrated_gradients": "Integrated Gradients", "deeplift": "DeepLIFT",
                "deep_shap": "Deep SHAP", "gradcam": "Grad-CAM", "occlusion": "occlusion"}
_CMP_WORDS = {">": "above", ">=": "at least", "<": "below", "<=": "at most", "==": "", "!=": "not"}


def _value_text(schema: Schema, feature: str, value) -> str:
    spec = schema.features.get(feature)
    unit = f" {spec.unit}" if spec is not None and spec.unit and spec.kind == "numeric" else ""
    if isinstance(value, str):
        return f"'{value}'"
    return fmt_number(value) + unit


def describe_expr(expr: q.Expr, schema: Schema) -> str:
    if isinstance(expr, q.Not):
        return f"not ({describe_expr(expr.item, schema)})"
    if isinstance(expr, (q.And, q.Or)):
        joiner = " and " if isinstance(expr, q.And) else " or "
        parts = [describe_expr(i, schema) for i in expr.items]
        nested = [f"({p})" if isinstance(i, (q.And, q.Or)) else p for p, i in zip(parts, expr.items)]
        return joiner.join(nested)
    feature, cmp, value = expr.feature, expr.cmp, expr.value
    if feature == "confidence":
        verb = {"==": "is", "!=": "is not"}.get(cmp, f"is {_CMP_WORDS[cmp]}")
        shown = (fmt_percent(value) if isinstance(value, (int, float)) and not isinstance(value, bool)
                 and 0 <= value <= 1 else fmt_number(value))
        return f"the model's confidence {verb} {shown}"
    if feature == "id":
        prefix = "" if cmp == "==" else f"{_CMP_WORDS[cmp]} "
        return f"{schema.entity} {prefix}{value}".replace("  ", " ")
    if feature in ("label", "prediction"):
        phrase = schema.class_phrase(value)
        noun = "the true outcome" if feature == "label" else "the prediction"
        return f"{noun} is {'not ' if cmp == '!=' else ''}{phrase}"
    spec = schema.features.get(feature)
    label = feature_label(schema, feature)
    if spec is not None and spec.kind == "flag" and cmp in ("==", "!=") and value in (0, 1):
        yes = (value == 1) == (cmp == "==")
        phrases = spec.value_phrases.get(1 if yes else 0)
        phrase = phrases[0].lower() if phrases else ""
        adds = phrase and label.lower() not in phrase and phrase not in label.lower()  # "gender is no (women)"
        said = f" ({phrases[0]})" if adds else ""
        return f"{label} is {'yes' if yes else 'no'}{said}"
    verb = {"==": "is", "!=": "is not"}.get(cmp, f"is {_CMP_WORDS[cmp]}")
    return f"{label} {verb} {_value_text(schema, feature, value)}"


def describe_selection(schema: Schema, where: q.Expr | None, previous: str | None = None) -> str:
    """'applicant 12', 'applicants with age above 50', 'all 1,000 applicants'."""
    parts = q.conjuncts(where)
    ids = [c for c in parts if isinstance(c, q.Cmp) and c.feature == "id" and c.cmp == "=="]
    if len(parts) == 1 and ids:
        return describe_expr(ids[0], schema)
    base = previous or (f"all {schema.entity_plural}" if not parts else schema.entity_plural)
    if not parts:
        return base
    return f"{base} where {describe_expr(q.and_all(parts), schema)}"


def describe_whatif(schema: Schema, step: q.WhatIf) -> str:
    label = feature_label(schema, step.feature)
    value = _value_text(schema, step.feature, step.value)
    if step.action == "set":
        return f"if {label} were {value}"
    return f"if {label} were {value} {'higher' if step.action == 'increase' else 'lower'}"


def describe_step(step: q.Step, schema: Schema, sel: str) -> str | None:
    """One operation, about the selection `sel`; None for steps that only shape the selection.
    Steps whose words depend on their values are matched here; the others say their `said`."""
    label = lambda name: feature_label(schema, name)  # noqa: E731
    match step:
        case q.Likelihood(top=top):
            if top:
                return f"the {top} most likely outcome{'s' if top > 1 else ''} for {sel}"
            return f"how likely each outcome is for {sel}"
        case q.Explain(method=method):
            how = "" if method == "auto" else f" (using {METHOD_WORDS.get(method, method)})"
            return f"why the model predicts what it does for {sel}{how}"
        case q.Faithfulness(methods=methods):
            which = (" of " + " and ".join(METHOD_WORDS.get(m, m) for m in methods)) if methods else ""
            return f"how faithful the explanations{which} are for {sel}"
        case q.Importance(top=top, feature=feature):
            if feature:
                return f"how important {label(feature)} is for {sel}"
            if top:
                return (f"the most important feature for {sel}" if top == 1 else
                        f"the {top} most important features for {sel}")
            return f"how important each feature is for {sel}"
        case q.Score(metric=metric):
            return f"the model's {metric.replace('_', ' ')} on {sel}"
        case q.Mistakes(mode="count"):
            return f"how many mistakes the model makes on {sel}"
        case q.Mistakes(mode="sample"):
            return f"examples of the model's mistakes on {sel}"
        case q.Mistakes():
            return f"where the model makes mistakes on {sel}"
        case q.Count():
            return f"the number of {sel.removeprefix('all ')}"
        case q.Bias(attribute=attribute, attributes=more, bands=bands):
            names = " and ".join(label(a) for a in (attribute, *(more or ())))
            banded = f" (cut at {', '.join(fmt_number(b) for b in bands)})" if bands else ""
            return f"whether the model treats the groups of {names}{banded} fairly, for {sel}"
        case q.Adversarial(norm=norm, epsilon=epsilon, target=target):
            measured = f" ({'L∞' if norm == 'linf' else 'L2'} norm)" if norm else ""
            toward = f" toward {schema.class_phrase(target)}" if target is not None else ""
            if epsilon is not None:
                return (f"how robust the model is on {sel} to changes of size {fmt_number(epsilon)}"
                        f"{measured}{toward}")
            return (f"how easily the model is fooled on {sel}: the smallest change{measured} that "
                    f"flips its prediction{toward}")
        case q.Influence(mode="mislabelled", top=top):
            return f"the {top or 10} training examples that look most like label errors (self-influence)"
        case q.Influence(top=top):
            return f"the {top or 5} training examples that most pushed the model toward and against its prediction for {sel}"
        case q.VisualizeClass(layer=layer, unit=unit) if layer is not None:
            return f"what unit {unit} of the model's layer {layer} responds to (a synthetic image)"
        case q.VisualizeClass(target=target):
            which = schema.class_phrase(target) if target is not None else "each class"
            return f"what the model thinks {which} looks like (synthetic images)"
        case q.Concepts(concept=concept, where=where, target=target):
            what = (f"the concept '{concept.replace('_', ' ')}'" if concept else
                    f"the concept of {schema.entity_plural} where {describe_expr(where, schema)}" if where is not None
                    else "each built-in concept")
            cls = f" when it says {schema.class_phrase(target)}" if target is not None else ""
            return f"whether the model is sensitive to {what}{cls}, for {sel} (TCAV)"
        case q.Embedding(method=method, by=by):
            how = "t-SNE" if method == "tsne" else "PCA"
            return (f"a map of how the model groups {sel} ({how} of its last hidden layer, coloured by "
                    f"{'prediction' if by == 'prediction' else 'true label'})")
    if step.said is not None:        # the step's own words (query.ast), its names as labels
        names = {f.name: label(getattr(step, f.name)) for f in dataclasses.fields(step)
                 if str(f.type).startswith("Name") and getattr(step, f.name) is not None}
        return step.said.format(sel=sel, **names)
    return None


def describe_query(query: q.Query, schema: Schema, previous: str | None = None) -> str:
    """The whole query in one plain-English phrase."""
    filters = [s.where for s in query.steps if isinstance(s, q.Filter)]
    uses_previous = any(isinstance(s, q.PreviousFilter) for s in query.steps)
    prev = (previous or f"the same {schema.entity_plural} as before") if uses_previous else None
    sel = describe_selection(schema, q.and_all(filters), prev)
    whatifs = [describe_whatif(schema, s) for s in query.steps if isinstance(s, q.WhatIf)]
    if whatifs:
        sel = f"{sel}, {' and '.join(whatifs)}"
    phrases = [p for s in query.steps if (p := describe_step(s, schema, sel))]
    if not phrases:
        return f"the selection of {sel}"
    return "; and ".join(phrases)
