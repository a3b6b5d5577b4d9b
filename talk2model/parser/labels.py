"""What the reader decides, as label sets shared by training and reading.

- up to `SLOTS` operation slots, in the order asked (each an operation, "end", or "outside" for a
  question that is not for us, or "unknown" for one about something the data does not have), each with its arguments (method, metric, mode, the kind of
  importance, what a statistic is about);
- a role for every grounded span (`ROLES`, restricted by the span's type: a number can be a
  threshold, a what-if amount, an id or a "top N", never a value);
- whether a follow-up continues the conversation's selection without saying so ("why?").
"""

from __future__ import annotations

from talk2model.query import ast as q

SLOTS = 4
# every operation of the query language except the two that only place steps
OPS = tuple(op for op in q.STEP_TYPES if op not in ("filter", "previous_filter", "whatif"))
# "unknown": the question names something the workspace does not have (a feature, value or class)
SLOT_LABELS = ("end", "outside", "unknown") + OPS

METHODS = q.METHODS
METRICS = q.METRICS
MODES = q.MODES
IMPORTANCE = ("all", "top", "feature")
STATISTIC = ("feature", "prediction", "target")
BIAS_METRICS = ("none", "selection_rate", "tpr", "fpr", "accuracy")
BIAS_CROSS = ("separate", "crossed")
# inside the network: the norm of an adversarial change, influence's two questions, a concept
# (built-ins only: a concept said as images goes to the selection), which layer's unit to draw
# (the model's convolutional layers by position), the 2-D map and what colours it
NORMS = ("default",) + q.NORMS
INFLUENCE = ("proponents",) + q.INFLUENCE_MODES
CONCEPTS = ("all", "thick_strokes", "thin_strokes", "loops")
LAYERS = ("none", "first", "second", "third")
EMBEDDINGS = q.EMBEDDINGS
COLOURS = ("unsaid",) + q.EMBEDDING_COLOURS
ARGS = {"method": METHODS, "metric": METRICS, "mode": MODES, "importance": IMPORTANCE,
        "statistic": STATISTIC, "bias_metric": BIAS_METRICS, "bias_cross": BIAS_CROSS,
        "norm": NORMS, "influence": INFLUENCE, "concept": CONCEPTS, "layer": LAYERS,
        "embedding": EMBEDDINGS, "colour": COLOURS}
# which operation each argument head belongs to
ARG_OF = {"method": "explain", "metric": "score", "mode": "mistakes", "importance": "importance",
          "statistic": "statistic", "bias_metric": "bias", "bias_cross": "bias", "norm": "adversarial",
          "influence": "influence", "concept": "concepts", "layer": "visualize_class",
          "embedding": "embedding", "colour": "embedding"}

# operations that may follow themselves, each about another feature ("importance of age and of sex")
FEATURE_OPS = ("dependence", "define", "statistic", "bias", "importance")
FEATURE_ROLES = ("f_filter", "f_whatif", "f_arg")
VALUE_ROLES = ("v_eq", "v_ne", "v_whatif", "v_whatif_ne", "v_arg")
NUMBER_ROLES = ("n_gt", "n_ge", "n_lt", "n_le", "n_eq", "n_ne", "n_decade", "n_set", "n_inc", "n_dec",
                "n_top", "n_id", "n_band", "n_eps", "n_unit")
# c_target: the class an adversarial change pushes toward, a class to draw or a concept is tested for
CLASS_ROLES = ("c_pred", "c_pred_not", "c_label", "c_label_not", "c_stat_pred", "c_stat_label", "c_target")
REFERENCE_ROLES = ("r_prev",)
METRIC_ROLES = ("m_arg",)
METHOD_ROLES = ("x_arg",)
COMPLEMENT_ROLES = ("r_other",)
ROLES = ("none",) + FEATURE_ROLES + VALUE_ROLES + NUMBER_ROLES + CLASS_ROLES + REFERENCE_ROLES + METRIC_ROLES \
    + METHOD_ROLES + COMPLEMENT_ROLES

CMP_OF_ROLE = {"n_gt": ">", "n_ge": ">=", "n_lt": "<", "n_le": "<=", "n_eq": "==", "n_ne": "!="}
ROLE_OF_CMP = {v: k for k, v in CMP_OF_ROLE.items()}
ACTION_OF_ROLE = {"n_set": "set", "n_inc": "increase", "n_dec": "decrease"}
ROLE_OF_ACTION = {v: k for k, v in ACTION_OF_ROLE.items()}


def allowed_roles(type_name: str) -> tuple[str, ...]:
    """The roles a span of this type may take ("none" always)."""
    if type_name == "number":
        return ("none",) + NUMBER_ROLES
    if type_name == "reference":
        return ("none",) + REFERENCE_ROLES
    if type_name == "metric":
        return ("none",) + METRIC_ROLES
    if type_name == "method":
        return ("none",) + METHOD_ROLES
    if type_name == "complement":
        return ("none",) + COMPLEMENT_ROLES
    if type_name == "class+number":
        return ("none",) + NUMBER_ROLES + CLASS_ROLES
    if type_name == "truth":      # an unsaid class of the true label: the one named nearby, or the other
        return ("none", "c_label", "c_label_not", "c_stat_label")
    if type_name == "model":
        return ("none", "c_pred", "c_pred_not", "c_stat_pred")
    out = ["none"]
    parts = type_name.split("+")
    if "class" in parts:
        out += CLASS_ROLES
    if "feature" in parts:
        out += FEATURE_ROLES
    if "value" in parts:
        out += VALUE_ROLES
    return tuple(out)
