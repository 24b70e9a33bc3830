#!/usr/bin/env python3
"""Writes chest-accel.csv.gz: a small extract of the UCI "Activity Recognition from Single Chest-Mounted
Accelerometer" data set (P. Casale, 2013; CC BY 4.0), for bench/spectral.ts (docs/benchmarks.md#spectral-features-on-accelerometer-data).

Usage: python3 bench/data/extract-chest-accel.py DIR   (DIR holds the set's 1.csv ... 15.csv: seq, x, y, z, label)

Each participant's file is one 52 Hz recording going through the activities in turn. Every stretch of one activity
(labels 1, 3-7; 0 = unlabelled and 2 = the mixed "standing up, walking and going up/down stairs" are left out)
becomes one device, `p<participant>s<stretch>`, of which the first SECONDS seconds are kept. ts is synthetic:
2024-01-01 UTC plus (participant − 1) days plus the sample number (the line in the file) at 52 Hz (ms,
rounded), so every device's readings are in time order and participants follow one another in time.
"""
import csv
import gzip
import io
import os
import sys

SECONDS = 45
RATE = 52
T0 = 1_704_067_200_000
DAY = 86_400_000
NAMES = {1: "computer", 3: "standing", 4: "walking", 5: "stairs", 6: "walk-talk", 7: "talk-standing"}

src = sys.argv[1]
out_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "chest-accel.csv.gz")
rows = 0
with gzip.open(out_path, "wt", newline="", compresslevel=9) as out:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["deviceId", "ts", "x", "y", "z", "activity"])
    for participant in range(1, 16):
        with open(os.path.join(src, f"{participant}.csv")) as f:
            data = [[int(float(v)) for v in line] for line in csv.reader(f) if line]
        stretch = 0
        previous = None
        kept = 0
        for seq, (_, x, y, z, label) in enumerate(data):
            # The files' own sequence numbers are written with 5 significant digits past 99,999 (1.0001e+05):
            # the line number is the sample number (they agree below 100,000).
            if label != previous:
                stretch += 1
                previous = label
                kept = 0
            if label not in NAMES or kept >= SECONDS * RATE:
                continue
            kept += 1
            writer.writerow([f"p{participant}s{stretch}", T0 + (participant - 1) * DAY + round(seq * 1000 / RATE), x, y, z, NAMES[label]])
            rows += 1
print("wrote", out_path, rows, "rows")
