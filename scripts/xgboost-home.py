#!/usr/bin/env python3
"""Trains the sample XGBoost model of the "bring your own model" flow, as a user would in a notebook.

Input: the home scenario's windows as `iot-ai window` writes them (deviceId,start,end,<sensor>.<feature>...,label);
output: XGBoost's own JSON model (`save_model`), which ml-model converts at load. Debian: apt-get install -y
python3-xgboost (numpy comes with it). Called by scripts/build-models.js (--only home-occupancy-xgboost).
Usage: xgboost-home.py FEATURES.csv MODEL.json [CHECK_DATA.csv CHECK_EXPECTED.csv]
"""
import csv
import sys

import numpy as np
import xgboost as xgb

features_csv, model_json = sys.argv[1], sys.argv[2]
with open(features_csv, newline='') as f:
    rows = list(csv.reader(f))
header, rows = rows[0], rows[1:]
label_col = header.index('label') if 'label' in header else len(header) - 1
# Not the light: the flow switches it on this model's word, so a model that read it would see its own commands
# (lights off, so the room looks empty) instead of the people in the room.
names = [h for i, h in enumerate(header) if i not in (0, 1, 2, label_col) and not h.startswith('light.')]
cols = [i for i, h in enumerate(header) if h in names]
rows.sort(key=lambda r: (int(r[2]), r[0]))  # time order: the newest fifth is held out
X = np.array([[float(r[i]) if r[i] != '' else np.nan for i in cols] for r in rows], dtype=np.float64)
labels = sorted({r[label_col] for r in rows})  # class k is the k-th label in sorted order: empty, occupied
y = np.array([labels.index(r[label_col]) for r in rows])
cut = int(len(rows) * 0.8)
params = {'objective': 'binary:logistic', 'max_depth': 6, 'eta': 0.3, 'seed': 11, 'eval_metric': 'logloss'}
held = xgb.train(params, xgb.DMatrix(X[:cut], label=y[:cut], feature_names=names), num_boost_round=40)
accuracy = float(np.mean((held.predict(xgb.DMatrix(X[cut:], feature_names=names)) >= 0.5) == y[cut:]))
print(f'xgboost-home: labels {",".join(labels)}; held-out accuracy {accuracy:.4f} on the newest {len(rows) - cut} of {len(rows)} windows (time-ordered)')
booster = xgb.train(params, xgb.DMatrix(X, label=y, feature_names=names), num_boost_round=40)
booster.save_model(model_json)
if len(sys.argv) > 4:
    sample = X[cut::max(1, (len(rows) - cut) // 200)][:200]  # 200 held-out windows spread over the newest days
    with open(sys.argv[3], 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(names)
        w.writerows([[repr(float(v)) for v in row] for row in sample])
    with open(sys.argv[4], 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(labels)  # one probability column per label, as `iot-ai import --expect` reads them
        w.writerows([[repr(1 - float(p)), repr(float(p))] for p in booster.predict(xgb.DMatrix(sample, feature_names=names))])
