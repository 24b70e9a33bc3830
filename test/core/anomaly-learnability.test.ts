/**
 * Learnability of anomaly models: seeded sensor windows with injected spikes, stuck sensors and drifts
 * (anomaly-data.ts). Each detector learns from two weeks of windows (1% faulty, unlabelled) and is judged on
 * the next two weeks (5% faulty) at the threshold it chose, next to the plain z-score rule (mean/std of the
 * training rows, any |z| > 3). The floors sit below the worst seed measured, with margin; docs/anomaly.md has
 * the full table (print it with IOT_AI_ANOMALY_TABLE=1).
 */
import assert from 'node:assert/strict';
import { AnomalyMethod } from '../../src/core/model/monitor/anomaly';
import { DetectionMetrics, detectionMetrics, rocAuc } from '../../src/core/model/train/metrics';
import { loadModel } from '../../src/core/model/file/model-file';
import { trainAnomalyModel } from '../../src/core/model/train/train-anomaly';
import { FAULT_KINDS, FaultKind, FEATURE_NAMES, LabelledWindows, sensorWindows, swapHumidity, zScoreFlags } from './anomaly-data';

interface Measured extends DetectionMetrics {
  auc: number | null;
  /** Detection rate per fault kind. */
  byKind: Record<FaultKind, number>;
  threshold?: number;
}

function measure(test: LabelledWindows, flags: Uint8Array, scores: Float64Array | null): Measured {
  const byKind = {} as Record<FaultKind, number>;
  for (const kind of FAULT_KINDS) {
    const faulty = test.kinds.flatMap((k, i) => (k === kind ? [i] : []));
    byKind[kind] = faulty.filter((i) => flags[i] === 1).length / faulty.length;
  }
  return { ...detectionMetrics(test.truth, flags), auc: scores === null ? null : rocAuc(test.truth, scores), byKind };
}

async function detector(train: Float64Array[], rows: Float64Array[], seed: number, method: AnomalyMethod | 'auto', contamination?: number) {
  const { model } = await trainAnomalyModel({ featureNames: FEATURE_NAMES, rows: train }, { name: 'room', createdAt: new Date(0), method, seed, contamination });
  const loaded = loadModel(model);
  assert.ok(loaded.ok, loaded.ok ? '' : loaded.error);
  const threshold = model.anomaly?.threshold as number;
  const scores = Float64Array.from(rows, (row) => loaded.model.anomalyScore(row));
  return { model, scores, flags: Uint8Array.from(scores, (s) => (s > threshold ? 1 : 0)), threshold };
}

async function compare(seed: number, trainDays = 14) {
  const train = sensorWindows(seed, trainDays, 0.01, 0);
  const test = sensorWindows(seed + 100, 14, 0.05, 14);
  const run = async (method: AnomalyMethod, contamination?: number): Promise<Measured> => {
    const { scores, flags, threshold } = await detector(train.rows, test.rows, seed, method, contamination);
    return { ...measure(test, flags, scores), threshold };
  };
  return {
    isolationForest: await run('isolation-forest'),
    isolationForest05: await run('isolation-forest', 0.05),
    robustZ: await run('robust-z'),
    robustZ02: await run('robust-z', 0.02),
    zScore: measure(test, zScoreFlags(train.rows, test.rows), null),
  };
}

const SEEDS = [1, 2, 3];

describe('anomaly models: learnability on injected sensor faults', function () {
  this.timeout(60_000);
  let results: Array<Awaited<ReturnType<typeof compare>>>;
  before(async () => {
    results = [];
    for (const seed of SEEDS) results.push(await compare(seed));
  });

  it('robust-z at the default contamination (0.01): detection >= 0.6, false alarms <= 0.015, spikes and drifts all but caught', () => {
    for (const { robustZ } of results) {
      assert.ok(robustZ.detectionRate >= 0.6, `detection ${robustZ.detectionRate}`);
      assert.ok(robustZ.falseAlarmRate <= 0.015, `false alarms ${robustZ.falseAlarmRate}`);
      assert.ok(robustZ.byKind.spike >= 0.95 && robustZ.byKind.drift >= 0.95, JSON.stringify(robustZ.byKind));
      assert.ok((robustZ.auc as number) >= 0.99, `AUC ${robustZ.auc}`);
    }
  });

  it('robust-z at contamination 0.02: detection >= 0.7 with false alarms <= 0.025, beating the z-score rule on detection', () => {
    for (const { robustZ02, zScore } of results) {
      // 0.8 before the threshold was calibrated on the newest training rows (#25.6), at false alarms up to 0.025.
      assert.ok(robustZ02.detectionRate >= 0.7, `detection ${robustZ02.detectionRate}`);
      assert.ok(robustZ02.falseAlarmRate <= 0.025, `false alarms ${robustZ02.falseAlarmRate}`);
      assert.ok(robustZ02.detectionRate > zScore.detectionRate, `${robustZ02.detectionRate} vs z-score ${zScore.detectionRate}`);
    }
  });

  it('isolation forest at the default contamination: few false alarms, weaker detection (stuck sensors mostly missed)', () => {
    for (const { isolationForest, isolationForest05 } of results) {
      assert.ok(isolationForest.detectionRate >= 0.28, `detection ${isolationForest.detectionRate}`);
      assert.ok(isolationForest.falseAlarmRate <= 0.015, `false alarms ${isolationForest.falseAlarmRate}`);
      assert.ok((isolationForest.auc as number) >= 0.83, `AUC ${isolationForest.auc}`);
      // 0.45 before #25.6 calibrated the threshold on the newest training rows.
      assert.ok(isolationForest.byKind.spike >= 0.3, JSON.stringify(isolationForest.byKind));
      // At contamination 0.05 it finds many spikes and drifts, at a false-alarm rate under 5% (0.75 of each before
      // the threshold was calibrated on the newest training rows, #25.6: the forest's held-back scores vary most).
      assert.ok(isolationForest05.byKind.spike >= 0.3 && isolationForest05.byKind.drift >= 0.45, JSON.stringify(isolationForest05.byKind));
      assert.ok(isolationForest05.falseAlarmRate <= 0.065, `false alarms ${isolationForest05.falseAlarmRate}`);
    }
  });

  it('the z-score rule (|z| > 3) for reference: catches spikes and drifts, rarely stuck sensors', () => {
    for (const { zScore } of results) {
      assert.ok(zScore.detectionRate >= 0.6 && zScore.falseAlarmRate <= 0.01, `${zScore.detectionRate} / ${zScore.falseAlarmRate}`);
      assert.ok(zScore.byKind.stuck <= 0.6, JSON.stringify(zScore.byKind));
    }
  });

  it('with one day of data (144 windows) `auto` picks robust-z, which still finds most faults', async () => {
    for (const seed of SEEDS) {
      const train = sensorWindows(seed, 1, 0.01, 0);
      const test = sensorWindows(seed + 100, 14, 0.05, 14);
      const { model, flags, scores } = await detector(train.rows, test.rows, seed, 'auto');
      assert.equal(model.anomaly?.method, 'robust-z');
      const measured = measure(test, flags, scores);
      assert.ok(measured.detectionRate >= 0.55 && measured.falseAlarmRate <= 0.02, `${measured.detectionRate} / ${measured.falseAlarmRate}`);
      assert.ok((measured.auc as number) >= 0.98, `AUC ${measured.auc}`);
    }
  });

  it('only the isolation forest ranks contextual anomalies (humidity out of step with temperature) above chance', async () => {
    for (const seed of SEEDS) {
      const train = sensorWindows(seed, 14, 0, 0);
      const contextual = swapHumidity(sensorWindows(seed + 100, 14, 0, 14));
      const forest = await detector(train.rows, contextual.rows, seed, 'isolation-forest');
      const robust = await detector(train.rows, contextual.rows, seed, 'robust-z');
      const forestAuc = rocAuc(contextual.truth, forest.scores) as number;
      const robustAuc = rocAuc(contextual.truth, robust.scores) as number;
      assert.ok(forestAuc >= 0.7, `isolation forest AUC ${forestAuc}`);
      assert.ok(robustAuc <= 0.6, `robust-z AUC ${robustAuc}`);
    }
  });

  it('prints the docs/anomaly.md table when asked', async function () {
    if (!process.env.IOT_AI_ANOMALY_TABLE) this.skip();
    const all: Array<Awaited<ReturnType<typeof compare>>> = [];
    for (let seed = 1; seed <= 8; seed++) all.push(await compare(seed));
    const rows: Array<[string, (r: Awaited<ReturnType<typeof compare>>) => Measured]> = [
      ['isolation forest, contamination 0.01', (r) => r.isolationForest],
      ['isolation forest, contamination 0.05', (r) => r.isolationForest05],
      ['robust-z, contamination 0.01 (default)', (r) => r.robustZ],
      ['robust-z, contamination 0.02', (r) => r.robustZ02],
      ['z-score rule, any \\|z\\| > 3', (r) => r.zScore],
    ];
    const mean = (values: number[]): string => (values.reduce((a, b) => a + b, 0) / values.length).toFixed(3);
    const range = (values: number[]): string => `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}`;
    const lines = ['| detector | detection | false alarms | precision | ROC AUC | spike | stuck | drift |', '|---|---|---|---|---|---|---|---|'];
    for (const [name, pick] of rows) {
      const m = all.map(pick);
      const auc = m[0].auc === null ? '–' : mean(m.map((x) => x.auc as number));
      lines.push(
        `| ${name} | ${mean(m.map((x) => x.detectionRate))} (${range(m.map((x) => x.detectionRate))}) | ${mean(m.map((x) => x.falseAlarmRate))} (${range(m.map((x) => x.falseAlarmRate))}) | ${mean(m.map((x) => x.precision))} | ${auc} | ${FAULT_KINDS.map((k) => mean(m.map((x) => x.byKind[k]))).join(' | ')} |`,
      );
    }
    console.log(lines.join('\n'));
  });
});
