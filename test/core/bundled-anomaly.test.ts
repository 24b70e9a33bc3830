/**
 * The bundled health-heart-anomaly model, learnt without labels (npm run models), on wearers and a day it never
 * saw: windows at rest as the health sample flow selects them (accel.std < 1.2), scored by the model file itself.
 * The simulator's truth.abnormal (tachycardia at rest) is used only to judge.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadModel } from '../../src/core/model';
import { createScenario } from '../../src/core/sim';
import { parseWindowConfig, windowRows, type WideRow } from '../../src/core/window';

const DAY = 24 * 60 * 60 * 1000;
const root = path.resolve(__dirname, '..', '..');

describe('bundled anomaly model: abnormal heart rate at rest', function () {
  this.timeout(120_000);

  it('flags ≥ 80% of tachycardia windows at rest with ≤ 0.5% false alarms, on unseen wearers and days', () => {
    const loaded = loadModel(fs.readFileSync(path.join(root, 'models', 'health-heart-anomaly.json'), 'utf8'));
    if (!loaded.ok) throw new Error(loaded.error);
    const model = loaded.model;
    assert.equal(model.task, 'anomaly');
    assert.ok(model.sketch, 'the model carries its training sketch for drift monitoring');

    const startTime = Date.UTC(2024, 8, 10);
    const sim = createScenario('health', { devices: 20, seed: 4242, interval: 5000, format: 'json', startTime, faults: false });
    const rows: WideRow[] = [];
    for (const reading of sim.advanceTo(startTime + DAY - 1)) {
      if (reading.malformed !== undefined) continue;
      rows.push({ deviceId: reading.deviceId, ts: reading.ts, ...reading.values, 'truth.abnormal': String(reading.truth.abnormal) });
    }
    const config = parseWindowConfig({ window: 'tumbling', size: 60, unit: 's', sensors: ['heartRate', 'accel', 'skinTemp'], features: ['mean', 'std', 'min', 'max', 'slope'], fill: 'previous' });
    if (!config.ok) throw new Error(config.error);
    const windows = windowRows(rows, config.config, 'truth.abnormal').rows.filter((w) => w.features['accel.std'] < 1.2);

    const tally = { abnormal: 0, caught: 0, normal: 0, falseAlarms: 0 };
    for (const window of windows) {
      const result = model.predict(window.features);
      assert.ok(result.ok);
      const flagged = result.prediction.label === 'anomaly';
      if (window.label === 'true') {
        tally.abnormal++;
        if (flagged) tally.caught++;
      } else {
        tally.normal++;
        if (flagged) tally.falseAlarms++;
      }
    }
    const detection = tally.caught / tally.abnormal;
    const falseAlarmRate = tally.falseAlarms / tally.normal;
    console.log(`      ${tally.caught}/${tally.abnormal} abnormal windows flagged (${(100 * detection).toFixed(1)}%), ${tally.falseAlarms}/${tally.normal} false alarms (${(100 * falseAlarmRate).toFixed(2)}%)`);
    assert.ok(tally.abnormal >= 30, `enough tachycardia windows to judge (${tally.abnormal})`);
    assert.ok(detection >= 0.8, `detection ${detection}`);
    assert.ok(falseAlarmRate <= 0.005, `false alarms ${falseAlarmRate}`);
  });
});
