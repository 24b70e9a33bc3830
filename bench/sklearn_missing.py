"""scikit-learn's side of the missing-values bench (bench/missing.ts): HistGradientBoostingClassifier on pairs of CSVs.

    python3 bench/sklearn_missing.py DIR

DIR holds <name>.train.csv and <name>.test.csv pairs: feature columns first, the label column last, an empty cell
for a missing value (read as NaN, which HistGradientBoosting learns a direction for). scikit-learn's defaults,
random_state=1. Prints {"<name>": accuracy, ...} as JSON.
"""
import csv
import json
import os
import sys

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier


def load(path):
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))[1:]
    x = np.array([[float(v) if v != "" else np.nan for v in row[:-1]] for row in rows], dtype=np.float64)
    y = np.array([row[-1] for row in rows])
    return x, y


def main():
    directory = sys.argv[1]
    names = sorted(f[: -len(".train.csv")] for f in os.listdir(directory) if f.endswith(".train.csv"))
    results = {}
    for name in names:
        x_train, y_train = load(os.path.join(directory, name + ".train.csv"))
        x_test, y_test = load(os.path.join(directory, name + ".test.csv"))
        model = HistGradientBoostingClassifier(random_state=1)
        model.fit(x_train, y_train)
        results[name] = float(np.mean(model.predict(x_test) == y_test))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
