"""Train the built-in workspaces' demo models, reproducibly: `make models`.

Every model is fit with fixed seeds on fixed data, saved as a skops file in `models/`, and its
test accuracy is printed and written to `docs/models.md`.

    credit   gradient-boosted trees in a one-hot pipeline, fit on 80% of german_credit.csv
             (the other 200 rows, listed in models/credit.train_ids.json's complement, score it)
    german   gradient-boosted trees, fit on ttm/german_train.csv, scored on german_test.csv
    compas   logistic regression (standardised), fit on compas_train.csv
    diabetes random forest, fit on diabetes_train.csv
    adult    gradient-boosted trees in a one-hot pipeline, fit on adult.data, scored on adult.test
    diabetes-mlp  a PyTorch MLP (training_torch.py)
    digits   a small CNN on scikit-learn's 8x8 digits (training_images.py), scored on 360 held-out images
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import skops.io as sio
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from talk2model.paths import resource_dir
from talk2model.training_images import train_digits
from talk2model.training_torch import train_diabetes_mlp

SEED = 0
ADULT_COLUMNS = ["age", "workclass", "fnlwgt", "education", "education_num", "marital_status",
                 "occupation", "relationship", "race", "sex", "capital_gain", "capital_loss",
                 "hours_per_week", "native_country", "income"]


def _onehot_pipeline(categorical: list[str], estimator) -> Pipeline:
    encode = ColumnTransformer(
        [("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical)],
        remainder="passthrough", verbose_feature_names_out=False)
    return Pipeline([("encode", encode), ("model", estimator)])


def _score(model, X, y) -> dict[str, float]:
    proba = model.predict_proba(X)[:, 1]
    return {"accuracy": float(accuracy_score(y, model.predict(X))),
            "roc_auc": float(roc_auc_score(y, proba)), "test_rows": int(len(y))}


def train_credit(data: Path, out: Path) -> dict:
    frame = pd.read_csv(data / "credit" / "german_credit.csv")
    X, y = frame.drop(columns="risk"), frame["risk"]
    train_idx, test_idx = train_test_split(frame.index, test_size=0.2, random_state=SEED, stratify=y)
    cats = ["sex", "housing", "saving_accounts", "checking_account", "purpose"]
    model = _onehot_pipeline(cats, GradientBoostingClassifier(n_estimators=150, max_depth=3,
                                                              learning_rate=0.05, random_state=SEED))
    model.fit(X.loc[train_idx], y.loc[train_idx])
    sio.dump(model, out / "credit.skops")
    (out / "credit.train_ids.json").write_text(json.dumps(sorted(int(i) for i in train_idx)))
    return _score(model, X.loc[test_idx], y.loc[test_idx])


def _ttm(data: Path, name: str) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame, pd.Series]:
    train = pd.read_csv(data / "ttm" / f"{name}_train.csv", index_col=0)
    test = pd.read_csv(data / "ttm" / f"{name}_test.csv", index_col=0)
    return train.drop(columns="y"), train["y"], test.drop(columns="y"), test["y"]


def train_german(data: Path, out: Path) -> dict:
    X, y, Xt, yt = _ttm(data, "german")
    model = GradientBoostingClassifier(n_estimators=150, max_depth=3, learning_rate=0.05,
                                       random_state=SEED).fit(X, y)
    sio.dump(model, out / "german.skops")
    return _score(model, Xt, yt)


def train_compas(data: Path, out: Path) -> dict:
    X, y, Xt, yt = _ttm(data, "compas")
    model = Pipeline([("scale", StandardScaler()),
                      ("model", LogisticRegression(max_iter=1000))]).fit(X, y)
    sio.dump(model, out / "compas.skops")
    return _score(model, Xt, yt)


def train_diabetes(data: Path, out: Path) -> dict:
    X, y, Xt, yt = _ttm(data, "diabetes")
    model = RandomForestClassifier(n_estimators=200, max_depth=6, min_samples_leaf=2,
                                   random_state=SEED, n_jobs=1).fit(X, y)
    sio.dump(model, out / "diabetes.skops")
    return _score(model, Xt, yt)


def adult_frame(data: Path) -> pd.DataFrame:
    """adult.data + adult.test as one table with a header; '?' becomes 'unknown'."""
    parts = []
    for name, skip in (("adult.data", 0), ("adult.test", 1)):
        part = pd.read_csv(data / "adult" / name, header=None, names=ADULT_COLUMNS,
                           skipinitialspace=True, skiprows=skip)
        parts.append(part.dropna(subset=["income"]))
    frame = pd.concat(parts, ignore_index=True)
    frame["income"] = frame["income"].str.rstrip(".").map({">50K": 1, "<=50K": 0}).astype(int)
    for col in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[col]):
            frame[col] = frame[col].replace("?", "unknown")
    return frame


def train_adult(data: Path, out: Path) -> dict:
    frame = adult_frame(data)
    frame.to_csv(data / "adult" / "adult.csv", index=False)
    n_train = 32561
    X, y = frame.drop(columns="income"), frame["income"]
    cats = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    model = _onehot_pipeline(cats, GradientBoostingClassifier(n_estimators=100, max_depth=3,
                                                              random_state=SEED))
    model.fit(X.iloc[:n_train], y.iloc[:n_train])
    sio.dump(model, out / "adult.skops")
    (out / "adult.train_ids.json").write_text(json.dumps(list(range(n_train))))
    return _score(model, X.iloc[n_train:], y.iloc[n_train:])


TRAINERS = {"credit": train_credit, "german": train_german, "compas": train_compas,
            "diabetes": train_diabetes, "adult": train_adult,
            "diabetes-mlp": train_diabetes_mlp, "digits": train_digits}


def main(argv: list[str] | None = None) -> int:
    names = (argv if argv is not None else sys.argv[1:]) or list(TRAINERS)
    np.random.seed(SEED)
    data, out = resource_dir("data"), resource_dir("models")
    rows = []
    for name in names:
        scores = TRAINERS[name](data, out)
        print(f"{name:9s} accuracy {scores['accuracy']:.3f}  roc_auc {scores['roc_auc']:.3f}"
              f"  on {scores['test_rows']} held-out rows")
        rows.append((name, scores))
    if set(names) == set(TRAINERS):
        _write_doc(rows)
    return 0


def _write_doc(rows) -> None:
    lines = ["# Demo models", "",
             "Trained by `make models` (`talk2model/training.py`, fixed seeds). Scores are on rows",
             "the model never saw: credit's 200-row stratified hold-out, the ttm `*_test.csv` files,",
             "adult's `adult.test`, and digits' 360-image stratified hold-out (ROC AUC: one class",
             "against the rest, averaged).", "",
             "| workspace | model | held-out rows | accuracy | ROC AUC |", "|---|---|---|---|---|"]
    kinds = {"credit": "gradient boosting (one-hot pipeline)", "german": "gradient boosting",
             "compas": "logistic regression (standardised)", "diabetes": "random forest",
             "adult": "gradient boosting (one-hot pipeline)", "diabetes-mlp": "PyTorch MLP (16-8)",
             "digits": "PyTorch CNN (digits-cnn)"}
    for name, s in rows:
        lines.append(f"| {name} | {kinds.get(name, '')} | {s['test_rows']} | {s['accuracy']:.3f} | {s['roc_auc']:.3f} |")
    (resource_dir("docs") / "models.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
