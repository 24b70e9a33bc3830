/**
 * The anomaly threshold holds its false-alarm rate on later data (issue #25.6), not only on the training windows:
 * a robust-z model learns from the first hours of a seeded `iot-ai simulate` health stream (fault-free) and the
 * share of the next 24 hours' windows above its threshold stays within a tolerance of the contamination asked for.
 * With the old rule (the (1 − c) quantile of the model's own training scores) the same streams flag 1.2–1.4 % (c 0.01)
 * and 24–28 % (c 0.05).
 */
import assert from 'node:assert/strict';
import { runSimulate } from '../../src/cli/simulate';
import { windowTable } from '../../src/cli/windowing';
import { CALIBRATION_FRACTION, conformalThreshold } from '../../src/core/model/monitor/anomaly';
import { parseCsv } from '../../src/core/model/data/csv';
import { loadModel } from '../../src/core/model/file/model-file';
import { trainAnomalyModel } from '../../src/core/model/train/train-anomaly';

const HOUR_S = 3600;

async function healthWindows(seed: number, startS: number, durationS: number): Promise<{ featureNames: string[]; rows: Float64Array[] }> {
  let stdout = '';
  const start = new Date(Date.UTC(2024, 5, 3) + startS * 1000).toISOString();
  const argv = ['--scenario', 'health', '--csv', '-', '--devices', '6', '--seed', String(seed), '--interval', '60000', '--start', start, '--duration', String(durationS), '--anomalies', '0', '--no-faults'];
  assert.equal(await runSimulate(argv, { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: () => true } }), 0);
  const parsed = parseCsv(stdout);
  assert.ok(parsed.ok);
  const windowed = windowTable(parsed.table, { window: 'tumbling', size: 10, unit: 'min', time: 'event', features: ['mean', 'std', 'min', 'max', 'slope'], minCount: 3, sensors: ['heartRate', 'skinTemp'] });
  assert.ok(windowed.ok, windowed.ok ? '' : windowed.error);
  const { featureNames } = windowed.windowed;
  // Time order, as the windows arrive.
  const rows = [...windowed.windowed.rows]
    .sort((a, b) => a.start - b.start || a.deviceId.localeCompare(b.deviceId))
    .filter((w) => featureNames.every((name) => Number.isFinite(w.features[name])))
    .map((w) => Float64Array.from(featureNames, (name) => w.features[name]));
  return { featureNames, rows };
}

describe('model/anomaly: the threshold holds its false-alarm rate on later data (#25.6)', function () {
  this.timeout(120_000);

  it('takes the ⌈(m + 1)(1 − c)⌉-th smallest held-back score, the largest when m is too small', () => {
    const scores = Array.from({ length: 99 }, (_, i) => (i + 1) / 100);
    // m = 99, c = 0.05: rank ⌈100 · 0.95⌉ = 95.
    assert.equal(conformalThreshold(scores, 0.05), 0.95);
    assert.equal(conformalThreshold(scores.slice(0, 19), 0.01), 0.19);
    assert.equal(conformalThreshold([0.3], 0.1), 0.3);
    assert.throws(() => conformalThreshold(scores, 0.5), /contamination/);
  });

  // Hours learnt from: enough held-back windows to place the rate ((m + 1)·c ≥ 1, see CALIBRATION_MIN_ROWS).
  for (const [contamination, hours] of [[0.01, 12], [0.05, 4]]) {
    for (const seed of [1, 2]) {
      it(`flags at most c + 0.005 of a later day at contamination ${contamination} after ${hours} h (health stream, seed ${seed})`, async () => {
        const train = await healthWindows(seed, 0, hours * HOUR_S);
        const later = await healthWindows(seed, hours * HOUR_S, 24 * HOUR_S);
        assert.ok(train.rows.length >= 140 && later.rows.length >= 800, `${train.rows.length} training, ${later.rows.length} later windows`);
        const { model, metrics } = await trainAnomalyModel(train, { name: 'later', createdAt: new Date(0), contamination });
        const loaded = loadModel(model);
        assert.ok(loaded.ok);
        const threshold = model.anomaly!.threshold;
        const flagged = later.rows.filter((row) => loaded.model.anomalyScore(row) > threshold).length / later.rows.length;
        assert.ok(flagged <= contamination + 0.005, `${(100 * flagged).toFixed(2)} % of ${later.rows.length} later windows flagged at contamination ${contamination}`);
        assert.equal(metrics.calibration?.method, 'held-out');
        assert.equal(metrics.calibration?.rows, Math.floor(train.rows.length * CALIBRATION_FRACTION));
      });
    }
  }
});
