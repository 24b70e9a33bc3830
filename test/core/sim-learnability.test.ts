/**
 * The scenarios must be learnable: a random forest on one-minute window features (mean, std, min, max, slope of
 * each sensor, as feature-window computes them) predicts the truth of devices it never saw, on another day, well
 * above the majority guess. This is what makes the bundled models trained on simulated data useful.
 */
import { strict as assert } from 'node:assert';
import { RandomForestClassifier } from 'ml-random-forest';
import { createScenario, type ScenarioName, type SimReading } from '../../src/core/sim';

const DAY = 24 * 60 * 60 * 1000;
const WINDOW = 60_000;

interface Windows {
  features: number[][];
  labels: string[];
}

/** Tumbling one-minute windows per device; the label is the truth of the window's latest reading. */
function windowFeatures(readings: SimReading[], sensors: string[], truth: string): Windows {
  const groups = new Map<string, SimReading[]>();
  for (const reading of readings) {
    if (reading.malformed !== undefined || reading.payload === undefined) continue;
    const key = `${reading.deviceId}@${Math.floor(reading.ts / WINDOW)}`;
    const group = groups.get(key);
    if (group) group.push(reading);
    else groups.set(key, [reading]);
  }
  const features: number[][] = [];
  const labels: string[] = [];
  for (const group of groups.values()) {
    const row: number[] = [];
    for (const sensor of sensors) {
      const points = group.filter((r) => r.values[sensor] !== null).map((r) => [r.ts / 1000, Number(r.values[sensor])]);
      if (points.length === 0) {
        row.push(0, 0, 0, 0, 0);
        continue;
      }
      const n = points.length;
      const mean = points.reduce((sum, [, v]) => sum + v, 0) / n;
      const std = Math.sqrt(points.reduce((sum, [, v]) => sum + (v - mean) ** 2, 0) / n);
      const meanTime = points.reduce((sum, [t]) => sum + t, 0) / n;
      const sxx = points.reduce((sum, [t]) => sum + (t - meanTime) ** 2, 0);
      const slope = sxx > 0 ? points.reduce((sum, [t, v]) => sum + (t - meanTime) * (v - mean), 0) / sxx : 0;
      row.push(mean, std, Math.min(...points.map(([, v]) => v)), Math.max(...points.map(([, v]) => v)), slope);
    }
    features.push(row);
    labels.push(String(group[group.length - 1].truth[truth]));
  }
  return { features, labels };
}

function day(scenario: ScenarioName, seed: number, devices: number, dayIndex: number): SimReading[] {
  const startTime = Date.UTC(2024, 5, 3) + dayIndex * DAY;
  const sim = createScenario(scenario, { devices, seed, interval: 5000, format: 'senml', startTime });
  return sim.advanceTo(startTime + DAY - 1);
}

function learn(scenario: ScenarioName, truth: string, devices: number): { accuracy: number; majority: number; classes: string[] } {
  const sensors = createScenario(scenario, { startTime: 0 }).sensors.map((s) => s.name);
  // Train on Monday of one world, test on Tuesday of another: other devices, other days.
  const train = windowFeatures(day(scenario, 11, devices, 0), sensors, truth);
  const test = windowFeatures(day(scenario, 12, devices, 1), sensors, truth);
  const classes = [...new Set([...train.labels, ...test.labels])].sort();
  // A third of the training windows keeps ml-random-forest quick; the forest is small for the same reason.
  const keep = (_: unknown, i: number) => i % 3 === 0;
  const forest = new RandomForestClassifier({ nEstimators: 12, seed: 5, maxFeatures: 0.5, replacement: true, useSampleBagging: true, noOOB: true, treeOptions: { maxDepth: 8 } } as never);
  forest.train(train.features.filter(keep), train.labels.filter(keep).map((label) => classes.indexOf(label)));
  const predicted = forest.predict(test.features);
  const correct = predicted.filter((p, i) => classes[p] === test.labels[i]).length;
  const counts = new Map<string, number>();
  for (const label of test.labels) counts.set(label, (counts.get(label) ?? 0) + 1);
  return { accuracy: correct / test.labels.length, majority: Math.max(...counts.values()) / test.labels.length, classes };
}

/** Well above chance: over 85 % and at most half the errors of always guessing the commonest class. */
function assertLearnable(result: { accuracy: number; majority: number }, floor = 0.85): void {
  const bar = Math.max(floor, result.majority + (1 - result.majority) / 2);
  assert.ok(result.accuracy > bar, `accuracy ${result.accuracy.toFixed(3)} (majority guess ${result.majority.toFixed(3)}, bar ${bar.toFixed(3)})`);
}

describe('core/sim: the scenarios are learnable from one-minute window features', function () {
  this.timeout(120_000);

  it('home: occupancy', () => {
    const result = learn('home', 'occupancy', 5);
    assert.deepEqual(result.classes, ['empty', 'occupied']);
    assertLearnable(result);
  });

  it('city: congestion', () => {
    const result = learn('city', 'congestion', 3);
    assert.deepEqual(result.classes, ['free', 'heavy', 'moderate']);
    assertLearnable(result);
  });

  it('health: activity', () => {
    const result = learn('health', 'activity', 3);
    assert.deepEqual(result.classes, ['rest', 'run', 'walk']);
    assertLearnable(result);
  });
});
