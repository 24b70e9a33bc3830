import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { reportPathFor, runTrain, WindowExamplesHook } from '../../src/cli/train';
import { loadModel } from '../../src/core/model/file/model-file';
import { FEATURE_NAMES, sensorWindows } from './anomaly-data';
import { regressionData } from './model-test-data';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'model');

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

async function train(argv: string[], options: Parameters<typeof runTrain>[2] = {}): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const code = await runTrain(
    argv,
    { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: (text: string) => (stderr += text) } },
    { now: () => new Date('2024-06-01T08:30:00Z'), ...options },
  );
  return { code, stdout, stderr };
}

describe('iot-ai train (runTrain)', function () {
  this.timeout(30_000);
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'iot-ai-train-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('trains a classifier from a CSV, writes the model and its report, and prints held-out metrics', async () => {
    const data = path.join(directory, 'rooms.csv');
    await copyFile(path.join(FIXTURES, 'rooms.csv'), data);
    const out = path.join(directory, 'rooms-model.json');
    const result = await train(['--data', data, '--label', 'state', '--out', out, '--trees', '40', '--seed', '3']);
    assert.equal(result.code, 0, result.stderr);
    // The rows carry time (ts, deviceId): held out on each device's newest rows, then the saved model refit on all.
    assert.match(result.stdout, /Trained a classification forest: 40 trees, 3 features, 4 classes, 240 training rows\./);
    assert.match(result.stdout, /trained again on all 240 rows after the hold-out measured it \(192 training rows\)/);
    assert.match(result.stdout, /Held-out metrics \(48 rows; the newest of each device's time line\):\n {2}accuracy {2}0\.\d{4}/);
    assert.match(result.stdout, /Out-of-bag accuracy: 0\.\d{4}/);
    // The measured forest, the refit and the random split it is compared with.
    assert.match(result.stderr, /training: 120\/120 trees/);

    const loaded = loadModel(await readFile(out));
    assert.ok(loaded.ok, loaded.ok ? '' : loaded.error);
    const model = loaded.model.file;
    assert.deepEqual(model.featureNames, ['temp', 'hum', 'light']);
    assert.deepEqual(model.labels, ['hot', 'hot-bright', 'humid', 'ok']);
    assert.equal(model.name, 'rooms-model');
    assert.equal(model.version, '1.0.0');
    assert.equal(model.createdAt, '2024-06-01T08:30:00.000Z');
    assert.equal(model.dataHash, `sha256:${createHash('sha256').update(await readFile(data)).digest('hex')}`);
    assert.equal(model.metrics.evaluation, 'holdout');
    assert.deepEqual([model.metrics.split, model.metrics.refit, model.metrics.heldOutTrainRows, model.metrics.trainRows], ['time', true, 192, 240]);
    assert.ok((model.metrics.randomSplit as { accuracy: number }).accuracy > 0.5, 'the random split it was compared with');
    assert.ok((model.metrics.accuracy as number) > 0.75, `accuracy ${model.metrics.accuracy}`);
    assert.equal(model.params?.seed, 3);
    const prediction = loaded.model.predict({ temp: 28, hum: 40, light: 700 });
    assert.ok(prediction.ok && prediction.prediction.label === 'hot-bright');

    const report = await readFile(reportPathFor(out), 'utf8');
    assert.match(report, /^<!doctype html>/);
    assert.match(report, /aria-label="confusion matrix"/);
    assert.match(report, /aria-label="feature importances"/);
    assert.doesNotMatch(report, /<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    assert.deepEqual((await readdir(directory)).sort(), ['rooms-model.json', 'rooms-model.report.html', 'rooms.csv']);
  });

  it('rows with time: --no-refit keeps the measured model, --split random the old random share; a leakage a random split hides is said (#21)', async () => {
    const data = path.join(directory, 'rooms.csv');
    await copyFile(path.join(FIXTURES, 'rooms.csv'), data);
    const out = path.join(directory, 'm.json');
    const kept = await train(['--data', data, '--label', 'state', '--out', out, '--trees', '10', '--no-refit']);
    assert.equal(kept.code, 0, kept.stderr);
    assert.match(kept.stdout, /192 training rows\./);
    assert.doesNotMatch(kept.stdout, /trained again/);
    let model = loadModel(await readFile(out));
    assert.ok(model.ok);
    assert.deepEqual([model.model.file.metrics.split, model.model.file.metrics.refit, model.model.file.metrics.trainRows], ['time', undefined, 192]);

    const random = await train(['--data', data, '--label', 'state', '--out', out, '--trees', '10', '--split', 'random']);
    assert.equal(random.code, 0, random.stderr);
    assert.match(random.stdout, /Held-out metrics \(48 rows; a random share\)/);
    model = loadModel(await readFile(out));
    assert.ok(model.ok);
    assert.deepEqual([model.model.file.metrics.split, model.model.file.metrics.randomSplit], ['random', undefined]);

    assert.equal((await train(['--data', data, '--label', 'state', '--out', out, '--split', 'sideways'])).code, 2);
    // --max-bins: recorded in the model's params; 2..65,535.
    const fine = await train(['--data', data, '--label', 'state', '--out', out, '--trees', '5', '--max-bins', '1000']);
    assert.equal(fine.code, 0, fine.stderr);
    model = loadModel(await readFile(out));
    assert.ok(model.ok);
    assert.equal(model.model.file.params?.maxBins, 1000);
    for (const bad of ['1', '65536', 'many']) assert.equal((await train(['--data', data, '--label', 'state', '--out', out, '--max-bins', bad])).code, 2, bad);

    // --tune: the choice and why on stdout and in the report; given settings kept; a budget needs --tune.
    const tuned = await train(['--data', data, '--label', 'state', '--out', out, '--trees', '10', '--tune', '--min-gain', '0']);
    assert.equal(tuned.code, 0, tuned.stderr);
    assert.match(tuned.stdout, /Tuned: minGain 0, minSamplesLeaf \d+, maxFeatures \w+ \(.*on the newest \d+ of the training rows.*; 9 of 9 candidates in [\d.]+ s; kept as given: minGain\)\./);
    model = loadModel(await readFile(out));
    assert.ok(model.ok);
    const tuning = model.model.file.metrics.tuning as { trials: Array<{ minGain: number }>; chosen: { minSamplesLeaf: number } };
    assert.ok(tuning.trials.every((t) => t.minGain === 0));
    assert.equal(model.model.file.params?.minSamplesLeaf, tuning.chosen.minSamplesLeaf);
    assert.match(await readFile(reportPathFor(out), 'utf8'), /<h2>Tuning<\/h2>.*one-standard-error rule/s);
    assert.equal((await train(['--data', data, '--label', 'state', '--out', out, '--tune-budget', '5'])).code, 2);
    assert.equal((await train(['--data', data, '--label', 'state', '--out', out, '--tune', '--tune-budget', '0'])).code, 2);
    assert.equal((await train(['--data', data, '--label', 'state', '--out', out, '--tune', '--min-gain', '0', '--min-samples-leaf', '1', '--max-features', 'all'])).code, 2);
    assert.equal((await train(['--data', data, '--label', 'state', '--out', out, '--task', 'anomaly', '--no-refit'])).code, 2);
    // A CSV without a ts column cannot be split in time when asked to.
    const plain = path.join(directory, 'plain.csv');
    await writeFile(plain, ['a,y', ...Array.from({ length: 40 }, (_, i) => `${i},${i % 2 ? 'p' : 'q'}`)].join('\n'));
    const noTime = await train(['--data', plain, '--label', 'y', '--out', out, '--split', 'time']);
    assert.equal(noTime.code, 1);
    assert.match(noTime.stderr, /--split time needs rows that carry time/);

    // A slow signal whose label is a regime: a random split scores near 1, the newest rows do not; the command warns.
    const slow = path.join(directory, 'slow.csv');
    const rows = Array.from({ length: 600 }, (_, i) => `dev-1,${1717236000000 + i * 60000},${(i + Math.sin(i * 7.3) * 0.4).toFixed(3)},${Math.floor(i / 50) % 2 ? 'odd' : 'even'}`);
    await writeFile(slow, ['deviceId,ts,x,regime', ...rows].join('\n'));
    const leaky = await train(['--data', slow, '--label', 'regime', '--out', out, '--trees', '20']);
    assert.equal(leaky.code, 0, leaky.stderr);
    assert.match(leaky.stdout, /Warning: a random split would have reported accuracy [01]\.\d{4}, \d+\.\d points above this time-ordered 0\.\d{4}: rows close in time are near copies/);
    const report = await readFile(reportPathFor(out), 'utf8');
    assert.match(report, /<p class="warning"><strong>Warning:<\/strong> a random split would have reported accuracy/);
    assert.match(report, /hold-out, 120 rows \(20%; the newest of each device&#39;s time line\); the saved model was then trained again on all 600 rows/);
  });

  it('detects regression, takes --folds, --ignore, --name and --version', async () => {
    const { rows, target } = regressionData(300, 4, { nFeatures: 3 });
    const csv = ['a,b,c,junk,power', ...rows.map((row, i) => `${row[0]},${row[1]},${row[2]},${i % 7},${target[i]}`)].join('\n');
    const data = path.join(directory, 'power.csv');
    await writeFile(data, csv);
    const out = path.join(directory, 'power.json');
    const result = await train(['--data', data, '--label=power', '--out', out, '--folds', '3', '--trees', '10', '--ignore', 'junk', '--name', 'Power', '--version', '0.3.1']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Trained a regression forest: 10 trees, 3 features, 300 training rows\./);
    // No ts column: random folds, as before.
    assert.match(result.stdout, /3-fold cross-validation \(300 rows, out-of-fold; random folds\):\n {2}MAE {3}\d/);
    assert.match(result.stderr, /training: 40\/40 trees/);
    const loaded = loadModel(await readFile(out));
    assert.ok(loaded.ok);
    assert.equal(loaded.model.task, 'regression');
    assert.deepEqual(loaded.model.featureNames, ['a', 'b', 'c']);
    assert.equal(loaded.model.name, 'Power');
    assert.equal(loaded.model.version, '0.3.1');
    assert.equal((loaded.model.file.metrics.foldScores as number[]).length, 3);
    assert.match(await readFile(path.join(directory, 'power.report.html'), 'utf8'), /aria-label="predicted versus actual"/);
  });

  it('takes --min-gain: splits that gain less stay leaves, and the value is recorded in params', async () => {
    const data = path.join(directory, 'rooms.csv');
    await copyFile(path.join(FIXTURES, 'rooms.csv'), data);
    const nodes = async (extra: string[]) => {
      const out = path.join(directory, `model${extra.length}.json`);
      const result = await train(['--data', data, '--label', 'state', '--out', out, '--trees', '10', ...extra]);
      assert.equal(result.code, 0, result.stderr);
      const loaded = loadModel(await readFile(out));
      assert.ok(loaded.ok);
      const forest = loaded.model.file.forest as { trees: Array<{ feature: number[] }> };
      return { params: loaded.model.file.params, count: forest.trees.reduce((sum, tree) => sum + tree.feature.length, 0) };
    };
    const plain = await nodes([]);
    const pruned = await nodes(['--min-gain', '0.05']);
    assert.equal(plain.params?.minGain, 0);
    assert.equal(pruned.params?.minGain, 0.05);
    assert.ok(pruned.count < plain.count, `${pruned.count} nodes with --min-gain 0.05, ${plain.count} without`);
    for (const bad of ['-1', 'x', '', 'Infinity']) {
      const result = await train(['--data', data, '--label', 'state', '--out', 'm.json', '--min-gain', bad]);
      assert.equal(result.code, 2);
      assert.match(result.stderr, /--min-gain must be a number >= 0/);
    }
    const anomaly = await train(['--task', 'anomaly', '--data', data, '--out', 'm.json', '--min-gain', '0.1']);
    assert.equal(anomaly.code, 2);
    assert.match(anomaly.stderr, /--min-gain does not apply to --task anomaly/);
  });

  it('fails on a bad CSV, naming the line and column, and writes nothing', async () => {
    const data = path.join(FIXTURES, 'rooms-bad-value.csv');
    const out = path.join(directory, 'model.json');
    const result = await train(['--data', data, '--label', 'state', '--out', out]);
    assert.equal(result.code, 1);
    assert.equal(result.stderr, `iot-ai train: ${data}: line 10, column 36: "dim" is not a number in feature column "light"\n`);
    assert.deepEqual(await readdir(directory), []);
    const broken = path.join(directory, 'broken.csv');
    await writeFile(broken, 'a,label\n1,x\n2,"y\n');
    const unclosed = await train(['--data', broken, '--label', 'label', '--out', out]);
    assert.equal(unclosed.code, 1);
    assert.match(unclosed.stderr, /broken\.csv: line 3, column 3: quoted field is never closed/);
  });

  it('rejects a bad command line with exit code 2', async () => {
    const missing = await train(['--data', 'x.csv', '--out', 'm.json']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--label is required/);
    assert.equal((await train(['--data', 'x.csv', '--label', 'y', '--out', 'm.json', '--trees', 'many'])).code, 2);
    assert.equal((await train(['--data', 'x.csv', '--label', 'y', '--out', 'm.json', '--folds', '3', '--test-fraction', '0.1'])).code, 2);
    assert.equal((await train(['--bogus'])).code, 2);
    const noData = await train(['--data', path.join(directory, 'none.csv'), '--label', 'y', '--out', 'm.json']);
    assert.equal(noData.code, 1);
    assert.match(noData.stderr, /cannot read .*none\.csv/);
    const help = await train(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: iot-ai train --data FILE\.csv --label COLUMN --out MODEL\.json/);
  });

  it('uses --window only through the hook the integrator passes in', async () => {
    const data = path.join(directory, 'readings.csv');
    await writeFile(data, 'deviceId,ts,temp,state\nd1,1000,20,ok\nd1,2000,21,ok\n');
    const windowFile = path.join(directory, 'window.json');
    await writeFile(windowFile, JSON.stringify({ window: 'tumbling', size: 60, unit: 's', features: ['mean'] }));
    const out = path.join(directory, 'w.json');
    const without = await train(['--data', data, '--label', 'state', '--out', out, '--window', windowFile]);
    assert.equal(without.code, 2);
    assert.match(without.stderr, /--window is not available/);

    let seenConfig: unknown;
    const hook: WindowExamplesHook = ({ table, windowConfig, label }) => {
      seenConfig = windowConfig;
      assert.equal(label, 'state');
      assert.equal(table.rows.length, 2);
      const rows = Array.from({ length: 40 }, (_, i) => Float64Array.of(i, i % 5));
      return { ok: true, featureNames: ['temp.mean', 'temp.std'], rows, labels: rows.map((row) => (row[0] > 20 ? 'warm' : 'cool')) };
    };
    const windowed = await train(['--data', data, '--label', 'state', '--out', out, '--window', windowFile, '--trees', '5'], { windowExamples: hook });
    assert.equal(windowed.code, 0, windowed.stderr);
    assert.deepEqual(seenConfig, { window: 'tumbling', size: 60, unit: 's', features: ['mean'] });
    const loaded = loadModel(await readFile(out));
    assert.ok(loaded.ok && loaded.model.featureNames.join() === 'temp.mean,temp.std');
    const failing = await train(['--data', data, '--label', 'state', '--out', out, '--window', windowFile], {
      windowExamples: () => ({ ok: false, error: 'line 2, column 9: ts goes backwards' }),
    });
    assert.equal(failing.code, 1);
    assert.match(failing.stderr, /readings\.csv: line 2, column 9: ts goes backwards/);
  });

  describe('--task anomaly', () => {
    async function windowsCsv(): Promise<string> {
      const windows = sensorWindows(1, 7, 0.04);
      const lines = [
        ['deviceId', ...FEATURE_NAMES, 'truth.anomaly'].join(','),
        ...windows.rows.map((row, i) => ['room-1', ...Array.from(row, (v) => v.toFixed(4)), windows.truth[i] === 1 ? 'true' : 'false'].join(',')),
      ];
      const file = path.join(directory, 'windows.csv');
      await writeFile(file, lines.join('\n'));
      return file;
    }

    it('learns without labels, measures against a truth column, and writes a model with its score histogram', async () => {
      const data = await windowsCsv();
      const out = path.join(directory, 'room-anomaly.json');
      const result = await train(['--task', 'anomaly', '--data', data, '--out', out, '--label', 'truth.anomaly', '--trees', '50', '--contamination', '0.04']);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /Trained an anomaly model \(isolation forest: 50 trees of 256 rows\), 15 features, 807 training rows\./);
      assert.match(result.stdout, /Threshold 0\.\d{4} \(contamination 0\.04: \d\.\d% of training rows above it\)\./);
      assert.match(result.stdout, /Held-out detection \(201 rows, \d+ anomalies\):\n {2}detection rate {4}[01]\.\d{4}\n {2}false-alarm rate {2}0\.\d{4}\n {2}precision {9}[01]\.\d{4}\n {2}ROC AUC {11}0\.\d{4}/);
      assert.match(result.stderr, /training: 50\/50 trees/);
      const loaded = loadModel(await readFile(out));
      assert.ok(loaded.ok, loaded.ok ? '' : loaded.error);
      const model = loaded.model.file;
      assert.equal(model.task, 'anomaly');
      assert.deepEqual(model.featureNames, FEATURE_NAMES);
      assert.equal(model.anomaly?.method, 'isolation-forest');
      assert.equal(model.metrics.evaluation, 'holdout');
      assert.ok((model.metrics.detectionRate as number) >= 0.3, JSON.stringify(model.metrics));
      assert.equal(model.sketch?.features.length, 15);
      const report = await readFile(reportPathFor(out), 'utf8');
      assert.match(report, /aria-label="anomaly score histogram"/);
      assert.match(report, /Detection rate \(recall\)/);
      assert.doesNotMatch(report, /<script/);
    });

    it('needs no --label, and takes --method robust-z and --threshold', async () => {
      const data = await windowsCsv();
      const out = path.join(directory, 'z.json');
      const result = await train(['--task', 'anomaly', '--data', data, '--out', out, '--method', 'robust-z', '--threshold', '0.6', '--ignore', 'truth.anomaly']);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /robust z-scores.*1008 training rows\.\nThreshold 0\.6000 \(given: /);
      assert.match(result.stdout, /No ground truth \(--label\): detection was not measured\./);
      const loaded = loadModel(await readFile(out));
      assert.ok(loaded.ok && loaded.model.anomaly?.threshold === 0.6 && loaded.model.file.forest === undefined);
    });

    it('refuses options that do not fit the task', async () => {
      const base = ['--data', 'x.csv', '--out', 'm.json'];
      const cases: Array<[string[], RegExp]> = [
        [['--task', 'anomaly', '--max-depth', '3'], /--max-depth does not apply to --task anomaly/],
        [['--task', 'anomaly', '--folds', '3'], /--folds does not apply to --task anomaly/],
        [['--label', 'y', '--contamination', '0.1'], /--contamination needs --task anomaly/],
        [['--task', 'anomaly', '--contamination', '0.1', '--threshold', '0.7'], /either --contamination or --threshold/],
        [['--task', 'anomaly', '--contamination', '0.7'], /--contamination must be in \[0, 0\.5\)/],
        [['--task', 'anomaly', '--method', 'robust-z', '--trees', '5'], /--trees does not apply to --method robust-z/],
        [['--task', 'anomaly', '--method', 'lof'], /--method must be isolation-forest or robust-z/],
        [['--task', 'clustering', '--label', 'y'], /--task must be classification, regression or anomaly/],
      ];
      for (const [argv, message] of cases) {
        const result = await train([...base, ...argv]);
        assert.equal(result.code, 2, argv.join(' '));
        assert.match(result.stderr, message);
      }
    });

    it('windows readings through the hook, without a label column', async () => {
      const data = path.join(directory, 'readings.csv');
      await writeFile(data, 'deviceId,ts,temp\nd1,1000,20\n');
      const windowFile = path.join(directory, 'window.json');
      await writeFile(windowFile, JSON.stringify({ window: 'tumbling', size: 60, unit: 's' }));
      let seenLabel: string | undefined;
      const hook: WindowExamplesHook = ({ label }) => {
        seenLabel = label;
        const rows = Array.from({ length: 50 }, (_, i) => Float64Array.of(20 + (i % 7) / 10, (i % 3) / 10));
        return { ok: true, featureNames: ['temp.mean', 'temp.std'], rows, labels: rows.map(() => '') };
      };
      const out = path.join(directory, 'w.json');
      const result = await train(['--task', 'anomaly', '--data', data, '--out', out, '--window', windowFile], { windowExamples: hook });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(seenLabel, '');
      const loaded = loadModel(await readFile(out));
      assert.ok(loaded.ok && loaded.model.anomaly?.method === 'robust-z' && loaded.model.featureNames.join() === 'temp.mean,temp.std');
    });
  });

  it('writes the training sketch into classification models', async () => {
    const data = path.join(directory, 'rooms.csv');
    await copyFile(path.join(FIXTURES, 'rooms.csv'), data);
    const out = path.join(directory, 'rooms-model.json');
    assert.equal((await train(['--data', data, '--label', 'state', '--out', out, '--trees', '5'])).code, 0);
    const loaded = loadModel(await readFile(out));
    assert.ok(loaded.ok);
    assert.deepEqual(loaded.model.sketch?.features.map((f) => f.name), ['temp', 'hum', 'light']);
    assert.equal(loaded.model.sketch?.rows, 240);
  });

  it('--model boosting: gradient-boosted trees in the boosted-forest form, refit with the held-out metrics kept; its flags checked (#21.4)', async () => {
    const data = path.join(directory, 'rooms.csv');
    await copyFile(path.join(FIXTURES, 'rooms.csv'), data);
    const out = path.join(directory, 'boosted.json');
    const result = await train(['--data', data, '--label', 'state', '--out', out, '--model', 'boosting', '--max-iter', '40', '--learning-rate', '0.2', '--min-samples-leaf', '5', '--l2', '1']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Trained a classification gradient-boosted model: 40 iterations of at most 40, 3 features, 4 classes, 240 training rows\./);
    assert.match(result.stdout, /Held-out metrics \(48 rows; the newest of each device's time line\):\n {2}accuracy {2}[01]\.\d{4}/);
    assert.doesNotMatch(result.stdout, /Out-of-bag/);
    assert.match(result.stderr, /training: 120\/120 iterations/);
    const loaded = loadModel(await readFile(out));
    assert.ok(loaded.ok, loaded.ok ? '' : loaded.error);
    const model = loaded.model.file;
    assert.equal(model.forest && 'boost' in model.forest && model.forest.boost?.link, 'softmax');
    assert.deepEqual([model.params?.model, model.params?.learningRate, model.params?.minSamplesLeaf, model.params?.l2, model.params?.refit], ['boosting', 0.2, 5, 1, true]);
    assert.match(await readFile(reportPathFor(out), 'utf8'), /gradient boosting, 40 iterations of at most 40/);

    const usage = async (args: string[], message: RegExp): Promise<void> => {
      const refused = await train(['--data', data, '--label', 'state', '--out', out, ...args]);
      assert.equal(refused.code, 2, args.join(' '));
      assert.match(refused.stderr, message);
    };
    await usage(['--model', 'boosting', '--trees', '10'], /--trees does not apply to --model boosting \(boosting: --max-iter\)/);
    await usage(['--model', 'boosting', '--tune'], /--tune does not apply to --model boosting/);
    await usage(['--learning-rate', '0.1'], /--learning-rate needs --model boosting/);
    await usage(['--model', 'gbm'], /--model must be forest or boosting/);
    await usage(['--model', 'boosting', '--learning-rate', '0'], /--learning-rate must be a number in \(0, 10\]/);
    await usage(['--model', 'boosting', '--loss', 'huber'], /--loss must be squared or absolute/);
    await usage(['--model', 'boosting', '--early-stopping', 'maybe'], /--early-stopping must be auto, on or off/);
    await usage(['--task', 'anomaly', '--model', 'boosting'], /--model does not apply to --task anomaly/);
    const classification = await train(['--data', data, '--label', 'state', '--out', out, '--model', 'boosting', '--loss', 'absolute']);
    assert.equal(classification.code, 1);
    assert.match(classification.stderr, /--loss applies to regression/);
  });
});
