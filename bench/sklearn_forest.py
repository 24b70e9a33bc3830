"""scikit-learn's side of the training bench: train a RandomForestClassifier on one CSV, save it, score another.

    python3 bench/sklearn_forest.py TRAIN.csv TEST.csv TREES OUT.pickle

Feature columns first, the label column last (as bench/forest.ts writes them). One thread (n_jobs=1), otherwise
scikit-learn's defaults (max_features="sqrt", min_samples_leaf=1, bootstrap, unlimited depth), the same as
`iot-ai train`'s defaults for classification. Prints {"accuracy": ...} as JSON.
"""
import json
import pickle
import sys

import numpy as np
from sklearn.ensemble import RandomForestClassifier


def load(path):
    with open(path, encoding="utf-8") as f:
        columns = f.readline().strip().split(",")
    features = np.loadtxt(path, delimiter=",", skiprows=1, usecols=range(len(columns) - 1), dtype=np.float64)
    labels = np.loadtxt(path, delimiter=",", skiprows=1, usecols=len(columns) - 1, dtype=str)
    return features, labels


def main():
    train_path, test_path, trees, out = sys.argv[1:5]
    x_train, y_train = load(train_path)
    model = RandomForestClassifier(n_estimators=int(trees), n_jobs=1, random_state=1)
    model.fit(x_train, y_train)
    with open(out, "wb") as f:
        pickle.dump(model, f)
    x_test, y_test = load(test_path)
    print(json.dumps({"accuracy": float(np.mean(model.predict(x_test) == y_test))}))


if __name__ == "__main__":
    main()
