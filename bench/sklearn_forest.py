"""scikit-learn's side of the training bench: train a model on one CSV, save it, score another.

    python3 bench/sklearn_forest.py TRAIN.csv TEST.csv TREES OUT.pickle [forest|hgb-classifier|hgb-regressor]

Feature columns first, the label column last (as bench/forest.ts writes them); a first column named `ts` (the rows'
time, which `iot-ai train` reads for its time-ordered early stopping) is not a feature and is skipped. One thread.

- forest (default): RandomForestClassifier(n_jobs=1), otherwise scikit-learn's defaults (max_features="sqrt",
  min_samples_leaf=1, bootstrap, unlimited depth), the same as `iot-ai train`'s defaults for classification.
  Prints {"accuracy": ...}.
- hgb-classifier, hgb-regressor: HistGradientBoostingClassifier / Regressor with scikit-learn's defaults
  (learning_rate 0.1, max_iter 100, max_leaf_nodes 31, min_samples_leaf 20, l2 0, 255 bins, early stopping "auto":
  on above 10,000 rows, on a random tenth); TREES is ignored. Its threads are OpenMP's: bench/forest.ts sets
  OMP_NUM_THREADS=1. Prints {"accuracy": ...} or {"r2": ..., "mae": ...}, and "iterations".
"""
import json
import pickle
import sys

import numpy as np


def load(path, regression):
    with open(path, encoding="utf-8") as f:
        columns = f.readline().strip().split(",")
    first = 1 if columns[0] == "ts" else 0
    features = np.loadtxt(path, delimiter=",", skiprows=1, usecols=range(first, len(columns) - 1), dtype=np.float64, ndmin=2)
    labels = np.loadtxt(path, delimiter=",", skiprows=1, usecols=len(columns) - 1, dtype=np.float64 if regression else str)
    return features, labels


def main():
    train_path, test_path, trees, out = sys.argv[1:5]
    kind = sys.argv[5] if len(sys.argv) > 5 else "forest"
    regression = kind == "hgb-regressor"
    x_train, y_train = load(train_path, regression)
    if kind == "forest":
        from sklearn.ensemble import RandomForestClassifier

        model = RandomForestClassifier(n_estimators=int(trees), n_jobs=1, random_state=1)
    elif kind == "hgb-classifier":
        from sklearn.ensemble import HistGradientBoostingClassifier

        model = HistGradientBoostingClassifier(random_state=1)
    elif kind == "hgb-regressor":
        from sklearn.ensemble import HistGradientBoostingRegressor

        model = HistGradientBoostingRegressor(random_state=1)
    else:
        raise SystemExit(f"unknown model {kind}")
    model.fit(x_train, y_train)
    with open(out, "wb") as f:
        pickle.dump(model, f)
    x_test, y_test = load(test_path, regression)
    predicted = model.predict(x_test)
    result = {"iterations": int(model.n_iter_)} if kind != "forest" else {}
    if regression:
        residual = np.sum((y_test - predicted) ** 2)
        total = np.sum((y_test - np.mean(y_test)) ** 2)
        result.update(r2=float(1 - residual / total), mae=float(np.mean(np.abs(y_test - predicted))))
    else:
        result.update(accuracy=float(np.mean(predicted == y_test)))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
