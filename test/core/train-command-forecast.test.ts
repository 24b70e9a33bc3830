/**
 * `iot-ai train --window WINDOW.json --horizon H` (#16, docs/forecasting.md): real files in a temp dir, through
 * main() as the installed command runs it. Before --horizon existed, these command lines were refused as
 * "unknown option --horizon" (exit 2).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { reportPathFor } from '../../src/cli/train';
import { loadModel } from '../../src/core/model/file/model-file';

const MIN = 60_000;
const HOUR = 60 * MIN;
/** Monday 5 January 2026, 00:00 UTC, epoch ms. */
const T0 = Date.UTC(2026, 0, 5);

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

async function iotAi(argv: string[]): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: (text: string) => (stderr += text) } });
  return { code, stdout, stderr };
}

/** A small deterministic noise in [-1, 1). */
function noise(i: number): number {
  const x = Math.sin(i * 12.9898) * 43758.5453;
  return 2 * (x - Math.floor(x)) - 1;
}

/**
 * Five days of a room, a reading every 5 minutes: co2 follows the time of day (people from 08:00 to 18:00), so
 * 3 hours ahead the calendar knows more than the last value; occupancy is `home` from 08:00 to 18:00.
 */
function readings(): string {
  const lines = ['deviceId,ts,co2,temp,occupancy'];
  for (let i = 0; i < (5 * 24 * 60) / 5; i++) {
    const ts = T0 + i * 5 * MIN;
    const hour = ((ts - T0) / HOUR) % 24;
    const home = hour >= 8 && hour < 18;
    const co2 = 420 + (home ? 500 * Math.sin((Math.PI * (hour - 8)) / 10) : 0) + 5 * noise(i);
    lines.push(`room,${ts},${co2.toFixed(1)},${(20 + noise(i + 7)).toFixed(2)},${home ? 'home' : 'away'}`);
  }
  return `${lines.join('\n')}\n`;
}

describe('iot-ai train --window --horizon (#16)', function () {
  this.timeout(60_000);
  let directory: string;
  let data: string;
  let window: string;
  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'iot-ai-forecast-'));
    data = path.join(directory, 'room.csv');
    window = path.join(directory, 'window.json');
    await writeFile(data, readings());
    // co2 is a sensor and the target at once.
    await writeFile(window, JSON.stringify({ window: 'tumbling', size: 15, unit: 'min', sensors: ['co2', 'temp'], features: ['mean', 'last', 'calendar'] }));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('regression 3 h ahead: the model file keeps the horizon, stdout and the report compare it with persistence and 24 hours earlier', async () => {
    const out = path.join(directory, 'co2-3h.json');
    const result = await iotAi(['train', '--data', data, '--window', window, '--label', 'co2', '--task', 'regression', '--horizon', '3h', '--out', out, '--trees', '30', '--seed', '2']);
    assert.equal(result.code, 0, result.stderr);
    // 479 closed windows of 15 min; the last has no row after its end. The newest 20 % are held out.
    assert.match(result.stdout, /Trained a regression forest: 30 trees, 8 features, 383 training rows\./);
    assert.match(result.stdout, /Held-out metrics \(the newest 96 rows\):/);
    assert.match(result.stdout, /Forecast 3 h \(10800000 ms\) ahead \(1 window without a row within the horizon was left out\):/);
    assert.match(result.stdout, /\n {2}model {13}MAE \d+\.\d{4} \(96 held-out windows\)\n/);
    assert.match(result.stdout, /\n {2}persistence {7}MAE \d+\.\d{4} \(model \d+\.\d{4} on the same 96 windows\), skill 0\.\d{4}\n/);
    assert.match(result.stdout, /\n {2}24 hours earlier {2}MAE \d+\.\d{4} \(model \d+\.\d{4} on the same 96 windows\), skill -?\d\.\d{4}\n/);
    // co2 is a windowed sensor: by default the forest learns the change from co2.last and adds it back.
    assert.match(result.stdout, /\n {2}learnt the change from co2\.last: each forecast is co2\.last \+ the forest's change \(--change-from none learns the level\)\n/);
    assert.match(result.stdout, /\n {2}interval \[p10, p90\] calibrated \(split-conformal, margin -?\d+\.\d{4} from the older 48 held-out windows\) covers \d+\.\d% of the newer 48 \(aim 80\.0%; uncalibrated \d+\.\d%\)\n/);

    const loaded = loadModel(await readFile(out));
    assert.ok(loaded.ok, loaded.ok ? '' : loaded.error);
    const model = loaded.model.file;
    assert.equal(model.horizon, 3 * HOUR);
    assert.equal(model.forecast?.changeFrom, 'co2.last');
    assert.equal(model.forecast?.interval?.rows, 48);
    assert.deepEqual(model.featureNames, ['co2.mean', 'co2.last', 'temp.mean', 'temp.last', 'calendar.hourSin', 'calendar.hourCos', 'calendar.weekdaySin', 'calendar.weekdayCos']);
    const metrics = model.metrics as Record<string, any>;
    assert.equal(metrics.split, 'newest');
    assert.equal(metrics.horizon, 3 * HOUR);
    // The day's rhythm is in the calendar: 3 hours ahead the model beats "it stays as it is" by far.
    assert.ok(metrics.skill.persistence.skill > 0.5, JSON.stringify(metrics.skill));
    assert.ok(metrics.skill.persistence.mae > 50, JSON.stringify(metrics.skill));
    assert.equal(metrics.skill.dayBefore.rows, 96);

    const report = await readFile(reportPathFor(out), 'utf8');
    assert.match(report, /<h2>Forecast<\/h2><p class="note">Horizon 10800000 ms \(180\.0 min\)/);
    assert.match(report, /<td>Persistence \(the last value before the window ended\)<\/td><td class="num">96<\/td><td class="num">\d+\.\d{4}<\/td><td class="num">\d+\.\d{4}<\/td><td class="num">0\.\d{4}<\/td>/);
    assert.match(report, /<td>24 hours earlier<\/td><td class="num">96<\/td>/);
    assert.match(report, /hold-out, the newest 96 rows/);
    assert.match(report, /<p>Interval \[p10, p90\] calibrated \(split-conformal, margin -?\d+\.\d{4} from the older 48 held-out windows\) covers \d+\.\d% of the newer 48/);
    assert.match(report, /<p>The forest learnt the change from co2\.last: each forecast is its value \+ the forest's output\.<\/p>/);
  });

  it('classification 30 min ahead: occupancy is labelled from the rows after each window, with accuracy against the references', async () => {
    const out = path.join(directory, 'occupancy.json');
    const result = await iotAi(['train', '--data', data, '--window', window, '--label', 'occupancy', '--horizon', '30min', '--out', out, '--trees', '20']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Trained a classification forest: 20 trees, 8 features, 2 classes, 383 training rows\./);
    assert.match(result.stdout, /Forecast 30 min \(1800000 ms\) ahead \(1 window without a row within the horizon was left out\):/);
    assert.match(result.stdout, /\n {2}model {13}accuracy \d\.\d{4} \(96 held-out windows\)\n/);
    assert.match(result.stdout, /\n {2}persistence {7}accuracy 0\.9\d{3} \(model \d\.\d{4} on the same 96 windows\), skill /);
    assert.match(result.stdout, /\n {2}24 hours earlier {2}accuracy 1\.0000 \(model \d\.\d{4} on the same 96 windows\), skill none \(the reference is perfect\)\n/);
    assert.doesNotMatch(result.stdout, /interval/);
    const loaded = loadModel(await readFile(out));
    assert.ok(loaded.ok, loaded.ok ? '' : loaded.error);
    assert.equal(loaded.model.file.horizon, 30 * MIN);
    assert.deepEqual(loaded.model.file.labels, ['away', 'home']);
    // Labelled by what followed: a window closing at 07:45 is labelled by the rows of [07:45, 08:15), the latest
    // of which (08:10) is home, while everything the window saw was away.
    const metrics = loaded.model.file.metrics as Record<string, any>;
    assert.ok(metrics.skill.persistence.accuracy < 1, 'persistence misses the change of state');
    const report = await readFile(reportPathFor(out), 'utf8');
    assert.match(report, /<th class="num">Accuracy<\/th>/);
  });

  it('--horizon without --window, a bad horizon, --folds or --task anomaly are usage errors (exit 2) that say why', async () => {
    const out = path.join(directory, 'm.json');
    const noWindow = await iotAi(['train', '--data', data, '--label', 'co2', '--horizon', '15min', '--out', out]);
    assert.equal(noWindow.code, 2);
    assert.match(noWindow.stderr, /^iot-ai train: --horizon needs --window WINDOW\.json: a forecast is learnt from readings/);
    assert.match(noWindow.stderr, /Run "iot-ai train --help" for usage\./);
    for (const bad of ['0', '-5min', '15 days', 'soon']) {
      const result = await iotAi(['train', '--data', data, '--window', window, '--label', 'co2', `--horizon=${bad}`, '--out', out]);
      assert.equal(result.code, 2, bad);
      assert.match(result.stderr, /--horizon must be a duration above 0: milliseconds, or a number with a unit s, min or h/, bad);
    }
    const folds = await iotAi(['train', '--data', data, '--window', window, '--label', 'co2', '--horizon', '900000', '--folds', '3', '--out', out]);
    assert.equal(folds.code, 2);
    assert.match(folds.stderr, /--folds does not apply to --horizon/);
    const anomaly = await iotAi(['train', '--task', 'anomaly', '--data', data, '--window', window, '--horizon', '900000', '--out', out]);
    assert.equal(anomaly.code, 2);
    assert.match(anomaly.stderr, /--horizon does not apply to --task anomaly/);
    const help = await iotAi(['train', '--help']);
    assert.match(help.stdout, /--horizon H {12}with --window: learn a forecast H ahead/);
  });

  it('--test-fraction 0: the model is written with its horizon and stdout says nothing was compared', async () => {
    const out = path.join(directory, 'all.json');
    const result = await iotAi(['train', '--data', data, '--window', window, '--label', 'co2', '--horizon', '3600s', '--test-fraction', '0', '--out', out, '--trees', '5']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Forecast 1 h \(3600000 ms\) ahead .*:\n {2}learnt the change from co2\.last.*\n {2}no rows were held out \(--test-fraction 0, or too few windows\): no comparison with persistence, and the interval is the trees' \[p10, p90\], uncalibrated/);
    const loaded = loadModel(await readFile(out));
    assert.ok(loaded.ok && loaded.model.file.horizon === HOUR);
    assert.deepEqual(loaded.model.file.forecast, { changeFrom: 'co2.last' }, 'nothing held out: nothing to calibrate on');
  });

  it('--change-from: none learns the level, a named feature is the base, and the forecast adds the window\'s value back', async () => {
    const level = path.join(directory, 'level.json');
    const none = await iotAi(['train', '--data', data, '--window', window, '--label', 'co2', '--horizon', '30min', '--change-from', 'none', '--out', level, '--trees', '10']);
    assert.equal(none.code, 0, none.stderr);
    assert.doesNotMatch(none.stdout, /learnt the change/);
    const levelModel = loadModel(await readFile(level));
    assert.ok(levelModel.ok);
    assert.equal(levelModel.model.file.forecast?.changeFrom, undefined);
    assert.equal((levelModel.model.file.metrics as Record<string, unknown>).changeFrom, undefined);

    const change = path.join(directory, 'change.json');
    const named = await iotAi(['train', '--data', data, '--window', window, '--label', 'co2', '--horizon', '30min', '--change-from', 'co2.mean', '--out', change, '--trees', '10']);
    assert.equal(named.code, 0, named.stderr);
    assert.match(named.stdout, /learnt the change from co2\.mean: each forecast is co2\.mean \+ the forest's change/);
    const loaded = loadModel(await readFile(change));
    assert.ok(loaded.ok);
    const model = loaded.model;
    assert.equal(model.file.forecast?.changeFrom, 'co2.mean');
    assert.equal((model.file.metrics as Record<string, unknown>).changeFrom, 'co2.mean');
    // The forest holds changes (small), the forecast is co2.mean + the change: move co2.mean and the forecast moves with it.
    const features = { 'co2.mean': 600, 'co2.last': 610, 'temp.mean': 20, 'temp.last': 20, 'calendar.hourSin': 1, 'calendar.hourCos': 0, 'calendar.weekdaySin': 0, 'calendar.weekdayCos': 1 };
    const first = model.predict(features);
    assert.ok(first.ok);
    const row = Float64Array.from(model.featureNames, (name) => (features as Record<string, number>)[name]);
    const { prediction, quantiles } = model.forest!.predictRowWithQuantiles(row, [0.1, 0.9]);
    assert.ok(Math.abs(first.prediction.value! - (600 + prediction.value)) < 1e-9, `${first.prediction.value} = 600 + ${prediction.value}`);
    const margin = model.file.forecast!.interval!.margin;
    assert.deepEqual(first.prediction.interval, [600 + quantiles[0] - margin, 600 + quantiles[1] + margin], 'the calibrated interval moves with the base too');
  });

  it('--change-from: windows without the feature are left out and counted; a bad feature, a classification or no --horizon say why', async () => {
    // co2 silent from 10:00 to 11:00 on the second day: the four 15-minute windows there have no co2.last. Two of them
    // (ending 10:15 and 10:30) have no co2 row within 30 min either (left out for that); the other two go for want of a base.
    const gap = readings().split('\n').map((line) => {
      const [device, ts, co2, ...rest] = line.split(',');
      const t = Number(ts);
      return t >= T0 + 34 * HOUR && t < T0 + 35 * HOUR ? [device, ts, '', ...rest].join(',') : line;
    }).join('\n');
    await writeFile(data, gap);
    const out = path.join(directory, 'gap.json');
    const result = await iotAi(['train', '--data', data, '--window', window, '--label', 'co2', '--horizon', '30min', '--out', out, '--trees', '5']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /ahead \(4 windows without a row within the horizon were left out\):\n/);
    assert.match(result.stdout, /learnt the change from co2\.last: .*; 2 windows without it were left out\n/);

    const unknown = await iotAi(['train', '--data', data, '--window', window, '--label', 'co2', '--horizon', '30min', '--change-from', 'co2.max', '--out', out]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /--change-from co2\.max is not a feature of the windows \(they have co2\.mean, co2\.last, /);
    const classes = await iotAi(['train', '--data', data, '--window', window, '--label', 'occupancy', '--horizon', '30min', '--change-from', 'co2.last', '--out', out]);
    assert.equal(classes.code, 1);
    assert.match(classes.stderr, /--change-from applies to regression forecasts; label "occupancy" makes a classification/);
    const explicit = await iotAi(['train', '--data', data, '--window', window, '--label', 'occupancy', '--task', 'classification', '--horizon', '30min', '--change-from', 'co2.last', '--out', out]);
    assert.equal(explicit.code, 2);
    assert.match(explicit.stderr, /--change-from applies to regression forecasts, not --task classification/);
    const noHorizon = await iotAi(['train', '--data', data, '--window', window, '--label', 'co2', '--change-from', 'co2.last', '--out', out]);
    assert.equal(noHorizon.code, 2);
    assert.match(noHorizon.stderr, /--change-from needs --horizon/);
    const anomaly = await iotAi(['train', '--task', 'anomaly', '--data', data, '--window', window, '--change-from', 'co2.last', '--out', out]);
    assert.equal(anomaly.code, 2);
    assert.match(anomaly.stderr, /--change-from does not apply to --task anomaly/);
  });
});
