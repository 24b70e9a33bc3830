import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { carriedTrainingWindow, loadModel, modelSummary, parseModelFile, trainingWindowOf, windowFromFeatureNames } from '../../src/core/model';

function io() {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: { write: (t: string) => (out.stdout += t) }, stderr: { write: (t: string) => (out.stderr += t) } } };
}

describe('the training window of a model', () => {
  it('iot-ai train --window keeps the window in the model file (classification and anomaly)', async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-tw-'));
    try {
      const lines = ['deviceId,ts,temp,hum,state'];
      for (let i = 0; i < 400; i++) lines.push(`r${i % 2},${1764072000 + i * 10},${20 + (i % 40) / 4},${50 + (i % 7)},${i % 40 < 20 ? 'low' : 'high'}`);
      fs.writeFileSync(path.join(dir, 'readings.csv'), lines.join('\n') + '\n');
      const window = { window: 'tumbling', size: '60', unit: 's', sensors: 'temp, hum', features: ['mean', 'slope'], fill: 'previous', maxKeys: 5, persist: 'file' };
      fs.writeFileSync(path.join(dir, 'window.json'), JSON.stringify(window));
      for (const task of ['classification', 'anomaly']) {
        const out = path.join(dir, `${task}.json`);
        const run = io();
        const code = await main(['train', '--data', path.join(dir, 'readings.csv'), '--window', path.join(dir, 'window.json'), '--label', 'state', '--task', task, '--trees', '5', '--out', out], run.io);
        assert.equal(code, 0, run.out.stderr);
        const model = parseModelFile(fs.readFileSync(out, 'utf8'));
        assert.ok(model.ok);
        // Normalised: numbers as numbers, lists as arrays, only what shapes the features.
        assert.deepEqual(model.model.window, { window: 'tumbling', size: 60, unit: 's', sensors: ['temp', 'hum'], features: ['mean', 'slope'], fill: 'previous' }, task);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads sensors and features from <sensor>.<feature> names, and none from other names', () => {
    assert.deepEqual(windowFromFeatureNames(['a.b.mean', 'a.b.max', 'c.mean']), { sensors: ['a.b', 'c'], features: ['mean', 'max'] });
    assert.equal(windowFromFeatureNames(['temp', 'hum.mean']), undefined);
    assert.equal(windowFromFeatureNames(['temp.average']), undefined);
  });

  it('calendar.* names spell the calendar feature, of no sensor; a WINDOW.json timeZone is kept when it is a zone (#16)', () => {
    assert.deepEqual(windowFromFeatureNames(['t.mean', 'calendar.hourSin', 'calendar.hourCos', 'calendar.weekdaySin', 'calendar.weekdayCos']), { sensors: ['t'], features: ['mean', 'calendar'] });
    assert.deepEqual(windowFromFeatureNames(['calendar.hourSin']), { sensors: [], features: ['calendar'] });
    assert.equal(windowFromFeatureNames(['calendar.month']), undefined);
    const previous = { size: 60, unit: 's' as const, sensors: ['t'], features: ['mean', 'calendar'], timeZone: 'Europe/Berlin' };
    assert.deepEqual(carriedTrainingWindow(['t.mean', 'calendar.hourSin'], previous), previous);
    assert.deepEqual(trainingWindowOf({ size: 60, features: 'mean, calendar', timeZone: 'Europe/Berlin' }), { size: 60, features: ['mean', 'calendar'], timeZone: 'Europe/Berlin' });
    assert.deepEqual(trainingWindowOf({ size: 60, timeZone: 'Mars/Olympus' }), { size: 60 });
  });

  it('model-train carries the previous window while it computes every new feature, else reads the names', () => {
    const previous = { window: 'sliding' as const, size: 30, slide: 10, unit: 's' as const, sensors: ['t'], features: ['mean', 'max'] };
    assert.deepEqual(carriedTrainingWindow(['t.mean'], previous), previous);
    assert.deepEqual(carriedTrainingWindow(['t.mean', 'h.mean'], previous), { sensors: ['t', 'h'], features: ['mean'] });
    assert.deepEqual(carriedTrainingWindow(['t.std'], previous), { sensors: ['t'], features: ['std'] });
    assert.equal(carriedTrainingWindow(['x'], undefined), undefined);
  });

  it('a model file with a window that is not an object of window properties is refused; without one it loads as before', () => {
    const file = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', 'models', 'home-occupancy.json'), 'utf8'));
    assert.equal(loadModel({ ...file, window: { size: -1 } }).ok, false);
    assert.equal(loadModel({ ...file, window: 'tumbling' }).ok, false);
    const { window: _dropped, ...older } = file;
    const loaded = loadModel(older);
    assert.ok(loaded.ok);
    assert.equal(modelSummary(loaded.model.file).windowSource, 'feature-names');
    assert.deepEqual(trainingWindowOf({ size: 'x', unit: 'weeks' }), undefined);
  });
});
