"""Honest checks of a workspace's data, run when it loads and reported by describe_data /
describe_model (and the app's workspace card):

- **possible leakage**: a feature that alone predicts the label with ROC AUC >= 0.95 (its values,
  numbers in up to 20 quantile bins, scored by the label's rate in each bin, estimated on the
  other four of five folds so a many-valued column cannot score by memorising), or whose name or
  description reads as recorded after the outcome ("re-offended within two years", "after",
  "subsequent", "follow-up"). Either way the model may be using what it should predict.
- **class imbalance**: each class's share; imbalanced when the smallest is under 20% of the rows
  for two classes, and in general under 40% of an even share (10 balanced digit classes at 10% each
  are not imbalanced; one at 3% is); then accuracy alone misleads (always predicting the largest
  class scores its share). An image workspace has no features: only this and the training rows apply.
- **training rows**: known (listed, or declared not among these rows) or unknown. Unknown means
  scores may include rows the model was trained on: answers say so and never call rows held out.

    checks = run_checks(schema, data, train_ids)      # DataChecks; workspace.checks does this once
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from talk2model.workspace.schema import Schema, plain_value, split_words

LEAKAGE_AUC = 0.95      # a single feature predicting the label this well is suspicious
IMBALANCED = 0.20       # two classes: the smallest class's share below this is imbalanced;
                        # k classes: below IMBALANCED * 2 / k (the same 40% of an even share)
BINS = 20               # numbers with more distinct values are cut into this many quantile bins
FOLDS = 5
SEED = 0
# Words that mark a value recorded after the outcome it would predict.
AFTER_OUTCOME = re.compile(
    r"\b(after(wards)?|later|subsequent(ly)?|follow[- ]?up|post[- ](decision|outcome|release|approval)|"
    r"within (a|one|two|three|four|five|six|twelve|\d+) (days?|weeks?|months?|years?))\b", re.I)


@dataclass
class DataChecks:
    leakage: list[dict] = field(default_factory=list)   # {"feature", "reason": "auc"|"after", "auc", "words"}
    class_shares: dict[Any, float] = field(default_factory=dict)
    imbalanced: bool = False
    training: str = "unknown"                            # known | unknown

    @property
    def majority(self) -> Any:
        return max(self.class_shares, key=self.class_shares.get) if self.class_shares else None

    def to_json(self) -> dict:
        return {"leakage": self.leakage, "class_shares": {str(k): v for k, v in self.class_shares.items()},
                "imbalanced": self.imbalanced, "training": self.training}


def run_checks(schema: Schema, data: pd.DataFrame, train_ids) -> DataChecks:
    checks = DataChecks(training="unknown" if train_ids is None else "known")
    if schema.task == "classification":
        shares = data[schema.target].value_counts(normalize=True)
        checks.class_shares = {plain_value(k): float(v) for k, v in shares.items()}
        checks.imbalanced = bool(len(shares) > 1 and shares.min() < IMBALANCED * 2 / len(shares))
    for name, spec in schema.features.items():
        if name not in data:
            continue
        text = f"{split_words(name)} {spec.description}"
        found = AFTER_OUTCOME.search(text)
        auc = feature_auc(data[name], data[schema.target], spec.kind) if schema.task == "classification" else None
        if auc is not None and auc >= LEAKAGE_AUC:
            checks.leakage.append({"feature": name, "reason": "auc", "auc": auc, "words": None})
        elif found:
            checks.leakage.append({"feature": name, "reason": "after", "auc": auc, "words": found.group(0)})
    return checks


def _codes(series: pd.Series, kind: str) -> np.ndarray:
    """Integer codes of a feature's values (numbers with many values: quantile bins); missing
    values get a code of their own."""
    if kind == "numeric" and series.nunique() > BINS:
        codes = pd.qcut(pd.to_numeric(series, errors="coerce"), BINS, labels=False, duplicates="drop")
        codes = codes.to_numpy(dtype=float)
    else:
        codes = pd.factorize(series, use_na_sentinel=True)[0].astype(float)
        codes[codes < 0] = np.nan
    top = np.nanmax(codes) if np.isfinite(codes).any() else -1
    return np.where(np.isnan(codes), top + 1, codes).astype(int)


def feature_auc(series: pd.Series, target: pd.Series, kind: str) -> float | None:
    """How well the feature alone separates the classes: the ROC AUC of each row's value scored by
    the label's rate for that value in the other folds (for more than two classes, the best
    one-against-the-rest)."""
    from sklearn.metrics import roc_auc_score

    classes = pd.unique(target.dropna())
    if len(classes) < 2:
        return None
    codes = _codes(series, kind)
    folds = np.random.default_rng(SEED).permutation(len(codes)) % FOLDS
    best = None
    for cls in (classes[:1] if len(classes) == 2 else classes):
        y = (target.to_numpy() == cls).astype(float)
        score = np.empty(len(y))
        for f in range(FOLDS):
            test, train = folds == f, folds != f
            sums = np.bincount(codes[train], weights=y[train], minlength=codes.max() + 1)
            counts = np.bincount(codes[train], minlength=codes.max() + 1)
            prior = y[train].mean()
            rate = np.where(counts > 0, sums / np.maximum(counts, 1), prior)
            score[test] = rate[codes[test]]
        if y.min() == y.max():
            continue
        auc = float(roc_auc_score(y, score))
        auc = max(auc, 1 - auc)
        best = auc if best is None else max(best, auc)
    return best
