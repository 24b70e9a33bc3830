/**
 * Issue #24, gaps are normal: missing values from the CSV through training, the model file, prediction, drift and
 * the actuator. Every test here failed before missing values were supported (the trainer refused NaN, the CSV
 * reader refused `NA`, model-predict had no `missing` option, the actuator no `allowMissing`).
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { runTrain } from '../../src/cli/train';
import { windowExamples, windowTable } from '../../src/cli/windowing';
import { parseCsv } from '../../src/core/model/data/csv';
import { examplesFromRecords, examplesFromTable, isMissingCell, MISSING_TOKENS } from '../../src/core/model/data/dataset';
import { CompiledForest } from '../../src/core/model/forest/compiled-forest';
import { DriftMonitor } from '../../src/core/model/monitor/drift';
import { TreeForest } from '../../src/core/model/forest/forest-format';
import { loadModel, parseModelFile, type LoadedModel } from '../../src/core/model/file/model-file';
import { buildFeatureSketch } from '../../src/core/model/monitor/sketch';
import { trainForest } from '../../src/core/model/forest/trainer';
import { parseWindowConfig, WindowEngine } from '../../src/core/window';
import { engineFor, onlyOutcome, outcomesOf } from './actuate-helpers';
import { runs } from '../helpers/fuzz';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'model');
const MODELS = path.join(__dirname, '..', '..', 'models');

function table(text: string) {
  const parsed = parseCsv(text);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.table;
}

/** A small deterministic generator (tests must not depend on Math.random). */
function lcg(seed: number): () => number {
  let s = seed % 2147483647 || 1;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

describe('missing values (issue #24)', () => {
  describe('reading data', () => {
    it('reads every documented missing token as NaN, in any case and with spaces', () => {
      const tokens = ['', 'NA', 'N/A', 'NaN', '?', 'null', 'na', ' nan ', 'NULL', 'n/a'];
      for (const token of tokens) {
        const result = examplesFromTable(table(`temp,hum,label\n21,40,a\n${token},41,b\n22,${token},a\n`), { label: 'label' });
        assert.ok(result.ok, `token ${JSON.stringify(token)}: ${result.ok ? '' : result.error.message}`);
        const rows = result.examples.rows.map((row) => Array.from(row));
        assert.deepEqual(rows[0], [21, 40]);
        assert.ok(Number.isNaN(rows[1][0]) && rows[1][1] === 41, `token ${JSON.stringify(token)}`);
        assert.ok(rows[2][0] === 22 && Number.isNaN(rows[2][1]), `token ${JSON.stringify(token)}`);
      }
      assert.deepEqual([...MISSING_TOKENS], ['', 'na', 'n/a', 'nan', '?', 'null']);
      assert.ok(!isMissingCell('0') && !isMissingCell('none') && !isMissingCell('-'));
    });

    it('still refuses any other non-numeric feature value, naming line and column', () => {
      const result = examplesFromTable(table('temp,hum,label\n21,40,a\n22,NA,b\n23,high,a\n'), { label: 'label' });
      assert.ok(!result.ok && 'line' in result.error);
      assert.equal(result.error.line, 4);
      assert.equal(result.error.column, 4);
      assert.match(result.error.message, /"high" is not a number in feature column "hum"/);
      const label = examplesFromTable(table('temp,label\n21,a\n22,\n'), { label: 'label' });
      assert.ok(!label.ok && /empty value in label column/.test(label.error.message), 'an empty label stays an error');
    });

    it('model-train records: an absent, null or NaN feature is missing; a string is refused', () => {
      const result = examplesFromRecords([
        { features: { a: 1, b: 2 }, label: 'x' },
        { features: { a: null, b: 3 }, label: 'y' },
        { features: { a: NaN }, label: 'x' },
      ]);
      assert.ok(result.ok);
      const rows = result.examples.rows.map((row) => Array.from(row));
      assert.deepEqual(rows[0], [1, 2]);
      assert.ok(Number.isNaN(rows[1][0]) && rows[1][1] === 3);
      assert.ok(Number.isNaN(rows[2][0]) && Number.isNaN(rows[2][1]));
      const text = examplesFromRecords([{ features: { a: 'NA' }, label: 1 }]);
      assert.ok(!text.ok && /feature "a" is "NA", not a finite number/.test(text.error.message));
    });

    it('iot-ai window/train --window: a missing reading is no reading, and windows lacking a sensor keep it as missing', () => {
      const csv = ['deviceId,ts,temp,hum,state'];
      for (let i = 0; i < 12; i++) csv.push(`d1,${i * 30},${20 + (i % 3)},${i >= 6 ? 'NA' : 40 + i},${i >= 6 ? 'away' : 'home'}`);
      const config = { window: 'tumbling', size: 60, unit: 's', features: ['mean'] };
      const windowed = windowTable(table(csv.join('\n')), config, 'state');
      assert.ok(windowed.ok);
      assert.equal(windowed.windowed.rejected.type, 0, '`NA` is not a string reading');
      const last = windowed.windowed.rows[windowed.windowed.rows.length - 1];
      assert.ok(last.features['temp.mean'] !== undefined && !('hum.mean' in last.features), 'a silent sensor: its features absent, not zero');
      const examples = windowExamples({ table: table(csv.join('\n')), windowConfig: config, label: 'state', ignore: [] });
      assert.ok(examples.ok);
      assert.equal(examples.rows.length, 6, 'every labelled window, complete or not');
      assert.ok(examples.rows.some((row) => Number.isNaN(row[examples.featureNames.indexOf('hum.mean')])));
    });
  });

  describe('iot-ai train on a public data set with real gaps', () => {
    it('learns UCI horse colic (a quarter of the cells "?") and writes directions and missing shares', async function () {
      this.timeout(30_000);
      const directory = mkdtempSync(path.join(tmpdir(), 'iot-ai-gaps-'));
      try {
        const out = path.join(directory, 'colic.json');
        let stdout = '';
        let stderr = '';
        const io = { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: (text: string) => (stderr += text) } };
        const data = path.join(__dirname, '..', '..', 'bench', 'data', 'horse-colic.csv');
        const code = await runTrain(['--data', data, '--label', 'surgical_lesion', '--out', out, '--trees', '30'], io, { now: () => new Date(0) });
        assert.equal(code, 0, stderr);
        assert.match(stdout, /accuracy {2}0\.(7|8|9)\d{3}/);
        const loaded = loadModel(readFileSync(out, 'utf8'));
        assert.ok(loaded.ok);
        const sketch = loaded.model.sketch;
        assert.ok(sketch !== undefined);
        const temperature = sketch.features.find((f) => f.name === 'rectal_temp');
        assert.ok(temperature?.missing !== undefined && temperature.missing > 0.1 && temperature.missing < 0.3, JSON.stringify(temperature));
        const forest = loaded.model.file.forest as TreeForest;
        assert.ok(forest.trees.some((tree) => tree.missingLeft?.includes(1)));
      } finally {
        rmSync(directory, { recursive: true, force: true });
      }
    });
  });

  describe('feature-window with a silent sensor', () => {
    it('leaves the silent sensor features out (fill none): absent, not zero', () => {
      const config = parseWindowConfig({ window: 'tumbling', size: 60, unit: 's', sensors: ['temp', 'hum'], features: ['mean'] });
      assert.ok(config.ok);
      const engine = new WindowEngine(config.config);
      const events = [
        // Arrival times follow the readings (a reading 60 s ahead of the node's clock would be a lone jump).
        ...engine.add({ deviceId: 'd', sensor: 'temp', value: 20, ts: 0 }, 0),
        ...engine.add({ deviceId: 'd', sensor: 'hum', value: 40, ts: 1000 }, 1000),
        ...engine.add({ deviceId: 'd', sensor: 'temp', value: 21, ts: 61_000 }, 61_000),
        ...engine.flush(),
      ];
      const windows = events.flatMap((event) => (event.kind === 'window' ? [event.payload] : []));
      assert.equal(windows.length, 2);
      assert.deepEqual(windows[1].features, { 'temp.mean': 21 });
      assert.deepEqual(windows[1].counts, { temp: 1, hum: 0 });
    });
  });

  describe('learning with gaps', () => {
    it('learns a feature whose missingness predicts the class', () => {
      const random = lcg(3);
      const rows: number[][] = [];
      const target: number[] = [];
      for (let i = 0; i < 300; i++) {
        const cls = i % 2;
        rows.push([cls === 1 ? NaN : random(), random()]);
        target.push(cls);
      }
      const trained = trainForest({ rows, target }, { task: 'classification', nTrees: 15, seed: 2 });
      const forest = new CompiledForest(trained.forest);
      assert.equal(forest.predictRow(Float64Array.of(NaN, 0.5)).task === 'classification' && forest.countVotes(Float64Array.of(NaN, 0.5)), 1);
      assert.equal(forest.countVotes(Float64Array.of(0.3, 0.5)), 0);
      assert.ok((trained.oob?.accuracy ?? 0) > 0.95, `out-of-bag accuracy ${trained.oob?.accuracy}`);
    });

    it('sends missing values to the side with the better gain, left when that is the side', () => {
      // Class 0 below 0.5 or missing, class 1 above: a missing value belongs with the low values (left).
      const random = lcg(5);
      const rows: number[][] = [];
      const target: number[] = [];
      for (let i = 0; i < 400; i++) {
        const x = random();
        const missing = i % 4 === 0;
        rows.push([missing ? NaN : x]);
        target.push(missing || x <= 0.5 ? 0 : 1);
      }
      const trained = trainForest({ rows, target }, { task: 'classification', nTrees: 1, bootstrap: false, maxDepth: 1 });
      const tree = trained.forest.trees[0];
      assert.equal(tree.feature[0], 0);
      assert.deepEqual(tree.missingLeft, [1, 0, 0]);
      const forest = new CompiledForest(trained.forest);
      assert.equal(forest.countVotes(Float64Array.of(NaN)), 0);
      assert.equal(forest.countVotes(Float64Array.of(0.9)), 1);
    });

    it('a feature never missing in training sends missing values to the side that had more rows', () => {
      for (const [cut, expectLeft] of [[0.8, 1], [0.2, 0]] as const) {
        const rows = Array.from({ length: 100 }, (_, i) => [i / 100]);
        const target = rows.map(([x]) => (x < cut ? 0 : 1));
        const trained = trainForest({ rows, target }, { task: 'classification', nTrees: 1, bootstrap: false, maxDepth: 1 });
        assert.equal(trained.forest.trees[0].missingLeft?.[0], expectLeft, `cut ${cut}`);
        const forest = new CompiledForest(trained.forest);
        assert.equal(forest.countVotes(Float64Array.of(NaN)), expectLeft === 1 ? 0 : 1, `cut ${cut}`);
      }
    });

    it('regression learns with gaps too, and the out-of-bag walk follows the learnt directions', () => {
      const random = lcg(11);
      const rows: number[][] = [];
      const target: number[] = [];
      for (let i = 0; i < 300; i++) {
        const x = random() * 10;
        const missing = i % 5 === 0;
        rows.push([missing ? NaN : x, random()]);
        target.push(missing ? 50 : x);
      }
      const trained = trainForest({ rows, target }, { task: 'regression', nTrees: 20, seed: 4 });
      const forest = new CompiledForest(trained.forest);
      const guess = forest.predictRow(Float64Array.of(NaN, 0.5));
      assert.ok(guess.task === 'regression' && Math.abs(guess.value - 50) < 5, JSON.stringify(guess));
      assert.ok((trained.oob?.r2 ?? 0) > 0.9, `out-of-bag r2 ${trained.oob?.r2}`);
    });
  });

  describe('model files', () => {
    it('models written before this change predict exactly as before (bundled models, 40 rows each)', () => {
      const expected = JSON.parse(readFileSync(path.join(FIXTURES, 'bundled-predictions.json'), 'utf8')) as Record<string, Array<{ features: Record<string, number>; prediction: unknown }>>;
      assert.ok(Object.keys(expected).length >= 7);
      for (const [file, rows] of Object.entries(expected)) {
        const loaded = loadModel(readFileSync(path.join(MODELS, file), 'utf8'));
        assert.ok(loaded.ok, file);
        for (const row of rows) {
          const result = loaded.model.predict(row.features, { deviceId: 'dev-1' });
          assert.deepEqual(result.ok ? result.prediction : result.error, row.prediction, file);
          // `allow` changes nothing for a complete vector.
          const allowed = loaded.model.predict(row.features, { deviceId: 'dev-1', missing: 'allow' });
          assert.deepEqual(allowed.ok ? allowed.prediction : allowed.error, row.prediction, file);
        }
      }
    });

    it('the schema takes missingLeft (0/1 per node) and a sketch missing share, and refuses bad ones', () => {
      const base = {
        format: 'iot-ai/random-forest@1', task: 'classification', name: 'm', version: '1', createdAt: '2024-01-01T00:00:00Z',
        featureNames: ['a'], labels: ['x', 'y'], metrics: {},
        forest: { kind: 'iot-ai/trees@1', nFeatures: 1, nClasses: 2, trees: [{ feature: [0, -1, -1], threshold: [0.5, 0, 0], left: [1, -1, -1], right: [2, -1, -1], value: [0, 0, 1], missingLeft: [1, 0, 0] }] },
        sketch: { kind: 'iot-ai/quantile-sketch@1', rows: 10, bins: 10, features: [{ name: 'a', min: 0, max: 1, edges: [0.5], proportions: [0.5, 0.5], missing: 0.2 }] },
      };
      const ok = loadModel(base);
      assert.ok(ok.ok, ok.ok ? '' : ok.error);
      const allowed = ok.model.predict({}, { missing: 'allow' });
      assert.ok(allowed.ok && allowed.prediction.label === 'x' && JSON.stringify(allowed.prediction.missing) === '["a"]');
      const tree = base.forest.trees[0];
      assert.ok(!parseModelFile({ ...base, forest: { ...base.forest, trees: [{ ...tree, missingLeft: [2, 0, 0] }] } }).ok);
      const short = parseModelFile({ ...base, forest: { ...base.forest, trees: [{ ...tree, missingLeft: [1] }] } });
      assert.ok(!short.ok && /missingLeft has 1 entries/.test(short.error));
      // A tree without missingLeft (any file written before): missing values go right.
      const { missingLeft: _dropped, ...old } = tree;
      const oldModel = loadModel({ ...base, forest: { ...base.forest, trees: [old] } });
      assert.ok(oldModel.ok);
      const right = oldModel.model.predict({ a: null }, { missing: 'allow' });
      assert.ok(right.ok && right.prediction.label === 'y');
    });

    it('the training sketch keeps each feature missing share', () => {
      const sketch = buildFeatureSketch(['a', 'b'], [[1, NaN], [2, 5], [3, NaN], [4, 6]]);
      assert.equal(sketch.features[0].missing, undefined);
      assert.equal(sketch.features[1].missing, 0.5);
      assert.deepEqual([sketch.features[1].min, sketch.features[1].max], [5, 6]);
    });
  });

  describe('predicting with gaps', () => {
    let model: LoadedModel;
    before(() => {
      const random = lcg(9);
      const rows: number[][] = [];
      const target: number[] = [];
      for (let i = 0; i < 200; i++) {
        const x = random();
        rows.push([x, random(), i % 7 === 0 ? NaN : random()]);
        target.push(x > 0.5 ? 1 : 0);
      }
      const trained = trainForest({ rows, target }, { task: 'classification', nTrees: 10 });
      const loaded = loadModel({
        format: 'iot-ai/random-forest@1', task: 'classification', name: 'gaps', version: '1', createdAt: '2024-01-01T00:00:00Z',
        featureNames: ['a', 'b', 'c'], labels: ['low', 'high'], metrics: {}, forest: trained.forest,
      });
      if (!loaded.ok) throw new Error(loaded.error);
      model = loaded.model;
    });

    it('missing: reject (the default) is unchanged: an absent, null or NaN feature is an error', () => {
      for (const features of [{ a: 0.9, b: 0.1 }, { a: 0.9, b: 0.1, c: null }, { a: 0.9, b: 0.1, c: NaN }]) {
        const result = model.predict(features);
        assert.ok(!result.ok && result.error.code === 'features' && result.error.path === '/c', JSON.stringify(features));
        assert.ok(!model.predict(features, { missing: 'reject' }).ok);
      }
    });

    it('missing: allow predicts and names the missing features; other non-numbers stay errors', () => {
      const result = model.predict({ a: 0.9, c: null }, { missing: 'allow' });
      assert.ok(result.ok);
      assert.deepEqual(result.prediction.missing, ['b', 'c']);
      assert.equal(result.prediction.label, 'high');
      const complete = model.predict({ a: 0.9, b: 0.2, c: 0.3 }, { missing: 'allow' });
      assert.ok(complete.ok && !('missing' in complete.prediction));
      const text = model.predict({ a: 0.9, b: 'x', c: 0.3 }, { missing: 'allow' });
      assert.ok(!text.ok && text.error.code === 'features' && text.error.path === '/b');
      const infinite = model.predict({ a: Infinity, b: 0.2, c: 0.3 }, { missing: 'allow' });
      assert.ok(!infinite.ok);
    });

    it('property: any pattern of missing cells gives a valid distribution, never a throw; complete rows predict as if missing values did not exist', () => {
      // The same trees with every direction stripped: what a forest without missing-value support computes.
      const plain: TreeForest = JSON.parse(JSON.stringify(model.file.forest));
      for (const tree of plain.trees) delete tree.missingLeft;
      const before = new CompiledForest(plain);
      const branching = new CompiledForest(model.file.forest as TreeForest, { walk: 'branching' });
      const lockstep = new CompiledForest(model.file.forest as TreeForest, { walk: 'lockstep' });
      fc.assert(
        fc.property(
          fc.array(fc.option(fc.double({ min: -2, max: 3, noNaN: true }), { nil: null }), { minLength: 3, maxLength: 3 }),
          (cells) => {
            const row = Float64Array.from(cells, (cell) => (cell === null ? NaN : cell));
            const a = branching.predictRow(row);
            const b = lockstep.predictRow(row);
            assert.deepEqual(a, b);
            assert.ok(a.task === 'classification');
            const sum = a.probabilities.reduce((s, p) => s + p, 0);
            assert.ok(Math.abs(sum - 1) < 1e-12 && a.probabilities.every((p) => p >= 0 && p <= 1));
            assert.equal(branching.predictClass(row), a.classIndex);
            if (cells.every((cell) => cell !== null)) assert.deepEqual(a, before.predictRow(row));
            const features: Record<string, number | null> = { a: cells[0], b: cells[1], c: cells[2] };
            const result = model.predict(features, { missing: 'allow' });
            assert.ok(result.ok);
            assert.equal((result.prediction.missing ?? []).length, cells.filter((cell) => cell === null).length);
          },
        ),
        { numRuns: runs(300, 5000) },
      );
    });
  });

  describe('drift on a dying sensor', () => {
    const names = ['temp.mean', 'hum.mean', 'co2.mean'];
    const random = lcg(21);
    const live = (n: number, deadShare: number, dead: number): number[][] =>
      Array.from({ length: n }, (_, i) => [20 + random() * 5, 40 + random() * 20, 400 + random() * 400].map((v, f) => (f === dead && i < n * deadShare ? NaN : v)));

    it('reports a feature whose missing share rose far above its training share, by name', () => {
      const sketch = buildFeatureSketch(names, live(1000, 0, -1));
      const monitor = new DriftMonitor(sketch, { windowSize: 200, minSamples: 100 });
      for (const row of live(200, 0.3, 1)) monitor.add(row);
      const report = monitor.report();
      assert.ok(report.drifted);
      assert.deepEqual(report.driftedFeatures, ['hum.mean']);
      assert.ok(report.features['hum.mean'].psi > 1, `hum.mean PSI ${report.features['hum.mean'].psi}`);
    });

    it('a missing share like the training one is no drift', () => {
      const sketch = buildFeatureSketch(names, live(1000, 0.2, 2));
      assert.equal(sketch.features[2].missing, 0.2);
      const monitor = new DriftMonitor(sketch, { windowSize: 500, minSamples: 100 });
      const rows = live(500, 0.2, 2);
      for (const row of rows) monitor.add(row);
      assert.equal(monitor.report().drifted, false, JSON.stringify(monitor.report().features));
    });
  });

  describe('acting on gaps (actuator-command allowMissing)', () => {
    const rules = [{ label: 'on', command: { state: 'ON' } }];
    const predictionWith = (missing: unknown) => ({ payload: { deviceId: 'd1', prediction: { label: 'on', confidence: 1, ...(missing === undefined ? {} : { missing }) } } });

    it('suppresses a prediction carrying prediction.missing (detail missing-features) by default', () => {
      const engine = engineFor({ rules });
      const outcome = onlyOutcome(engine.handle(predictionWith(['hum.mean']), 1000));
      assert.equal(outcome.status, 'suppressed');
      assert.equal(outcome.detail, 'missing-features');
      // A flow saved without allowMissing behaves the same.
      assert.equal(onlyOutcome(engineFor({ rules, allowMissing: 'false' }).handle(predictionWith(['x']), 1000)).detail, 'missing-features');
    });

    it('acts on it with allowMissing, and predictions without missing features are unaffected either way', () => {
      const allowed = engineFor({ rules, allowMissing: true });
      assert.equal(onlyOutcome(allowed.handle(predictionWith(['hum.mean']), 1000)).status, 'sent');
      for (const missing of [undefined, [], null, false]) {
        const engine = engineFor({ rules });
        const outcomes = outcomesOf(engine.handle(predictionWith(missing), 1000));
        assert.equal(outcomes[0].status, 'sent', JSON.stringify(missing));
      }
    });
  });
});
