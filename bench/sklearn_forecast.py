"""scikit-learn's side of the real-data forecast bench (bench/forecast-real.ts): fit a random forest on one CSV of
window features, predict another.

    python3 bench/sklearn_forecast.py TRAIN.csv TEST.csv regression|classification TREES

Feature columns first, the label column last (as bench/forecast-real.ts writes them: the same rows `iot-ai train
--window --horizon` learns from). scikit-learn 1.2's forests take no missing values: an empty cell is filled with
that feature's median over the training rows (SimpleImputer). One thread (n_jobs=1), random_state=1, otherwise the
defaults (RandomForestRegressor: every feature at each split, min_samples_leaf=1; RandomForestClassifier:
max_features="sqrt"). Prints {"predictions": [...]} as JSON, one per test row.
"""
import json
import sys

import numpy as np
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.impute import SimpleImputer


def load(path):
    with open(path, encoding="utf-8") as f:
        columns = f.readline().strip().split(",")
    features = np.genfromtxt(path, delimiter=",", skip_header=1, usecols=range(len(columns) - 1), dtype=np.float64, missing_values="", filling_values=np.nan)
    labels = np.loadtxt(path, delimiter=",", skiprows=1, usecols=len(columns) - 1, dtype=str)
    return features.reshape(len(labels), len(columns) - 1), labels


def main():
    train_path, test_path, task, trees = sys.argv[1:5]
    x_train, y_train = load(train_path)
    x_test, _ = load(test_path)
    imputer = SimpleImputer(strategy="median", keep_empty_features=True)
    x_train = imputer.fit_transform(x_train)
    x_test = imputer.transform(x_test)
    if task == "regression":
        model = RandomForestRegressor(n_estimators=int(trees), n_jobs=1, random_state=1)
        model.fit(x_train, y_train.astype(np.float64))
        predictions = [float(v) for v in model.predict(x_test)]
    else:
        model = RandomForestClassifier(n_estimators=int(trees), n_jobs=1, random_state=1)
        model.fit(x_train, y_train)
        predictions = [str(v) for v in model.predict(x_test)]
    print(json.dumps({"predictions": predictions}))


if __name__ == "__main__":
    main()
