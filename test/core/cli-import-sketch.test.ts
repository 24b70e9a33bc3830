/**
 * `iot-ai import --sketch TRAIN.csv` (#28): the drift sketch `iot-ai train` writes, built from the user's training
 * rows, so model-predict's drift monitoring works for an imported model: the same rows are no drift, shifted ones are.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { parseCsv } from '../../src/core/model/data/csv';
import { loadModel } from '../../src/core/model/file/model-file';
import { buildFeatureSketch } from '../../src/core/model/monitor/sketch';
import { parseGraphSketch } from '../../src/core/model/import/graph-sketch';
import { parsePredictConfig, PredictSession, type DriftChange } from '../../src/core/model';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'import', 'xgboost');
const fixture = (file: string) => path.join(FIXTURES, file);

function io() {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: { write: (t: string) => (out.stdout += t) }, stderr: { write: (t: string) => (out.stderr += t) } } };
}

describe('iot-ai import --sketch', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-import-sketch-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes the training rows\' sketch (missing cells counted), and model-predict\'s drift check then judges live rows against it', async () => {
    const out = path.join(dir, 'model.json');
    const { out: text, io: cliIo } = io();
    const code = await main(['import', fixture('multi-softprob.model.json'), '--sketch', fixture('multi-softprob.data.csv'), '--out', out], cliIo);
    assert.equal(code, 0, text.stderr);
    const table = parseCsv(fs.readFileSync(fixture('multi-softprob.data.csv'), 'utf8'));
    if (!table.ok) throw new Error(table.error.message);
    assert.match(text.stdout, new RegExp(`drift sketch of ${table.table.rows.length} training rows`));
    const loaded = loadModel(fs.readFileSync(out));
    assert.ok(loaded.ok, loaded.ok ? '' : loaded.error);
    const live = loaded.model;
    const rows = table.table.rows.map((row) => Float64Array.from(row, (cell) => (cell === '' ? NaN : Number(cell))));
    assert.deepEqual(live.sketch, buildFeatureSketch(table.table.header, rows), 'the sketch iot-ai train would write of the same rows');
    assert.ok((live.sketch?.features ?? []).some((f) => (f.missing ?? 0) > 0), 'the fixture\'s gaps are counted as missing');

    const config = parsePredictConfig({ drift: true, driftWindow: 200, missing: 'allow' });
    if (!config.ok) throw new Error(config.error);
    const feed = (shift: number) => {
      const session = new PredictSession(config.config, (err) => assert.fail(err.message), () => undefined);
      session.watch(live);
      const changes: DriftChange[] = [];
      // Rows in a mixed order (a stride prime to their count): the file is in time order, and the drift window
      // (its latest 200) of a slice in time is another room than the whole.
      const n = table.table.rows.length;
      for (let i = 0; i < 400; i++) {
        const row = table.table.rows[(i * 613) % n];
        const features = Object.fromEntries(table.table.header.map((name, f) => [name, row[f] === '' ? null : Number(row[f]) + (name === 'temperature' ? shift : 0)]));
        assert.ok(session.predict(live, features, undefined, changes).ok);
      }
      return session.drifted();
    };
    assert.equal(feed(0)?.streams ?? 0, 0, 'the training rows themselves have not drifted');
    assert.deepEqual(feed(8)?.features, ['temperature'], 'a warmer room has');
  });

  it('refuses training rows without a feature\'s column, or with text in one, and writes nothing', async () => {
    const out = path.join(dir, 'model.json');
    fs.writeFileSync(path.join(dir, 'train.csv'), 'temperature,humidity,light\n20,40,300\n');
    const first = io();
    assert.equal(await main(['import', fixture('multi-softprob.model.json'), '--sketch', path.join(dir, 'train.csv'), '--out', out], first.io), 1);
    assert.match(first.out.stderr, /--sketch .*train\.csv: the training rows have no column for "humidityRatio"/);
    fs.writeFileSync(path.join(dir, 'train.csv'), 'temperature,humidity,light,humidityRatio,label\n20,40,300,0.004,a\n21,warm,300,0.004,b\n');
    const second = io();
    assert.equal(await main(['import', fixture('multi-softprob.model.json'), '--sketch', path.join(dir, 'train.csv'), '--out', out], second.io), 1);
    assert.match(second.out.stderr, /row 2, column "humidity": "warm" is not a number/);
    assert.equal(fs.existsSync(out), false);
  });

  describe('an ONNX graph (run by onnxruntime-node): the sketch goes beside it, GRAPH.onnx.sketch.json', () => {
    const GRAPH = path.join(__dirname, '..', 'fixtures', 'import', 'onnx-graph', 'linear-regression.onnx');
    const FEATURES = ['temperature', 'humidity', 'co2', 'light'];
    let graph: string;
    let train: string;
    beforeEach(() => {
      graph = path.join(dir, 'room.onnx');
      fs.copyFileSync(GRAPH, graph);
      train = path.join(dir, 'train.csv');
      // Columns in another order than the graph's, with a label and a gap: read by name.
      fs.writeFileSync(train, 'label,light,co2,humidity,temperature\na,0.2,600,45,21\nb,0.4,650,,22.5\na,0.1,580,50,19\n');
    });

    it('writes the training rows\' sketch in the graph\'s input order beside it, where ml-model reads it', async () => {
      const { out, io: cliIo } = io();
      assert.equal(await main(['import', graph, '--sketch', train, '--features', FEATURES.join(',')], cliIo), 0, out.stderr);
      assert.match(out.stdout, /room\.onnx: an ONNX graph run by onnxruntime-node, 4 features \(temperature, humidity, co2, light\)\ndrift sketch of 3 training rows/);
      const written = parseGraphSketch(fs.readFileSync(`${graph}.sketch.json`), FEATURES);
      assert.ok(written.ok, written.ok ? '' : written.error);
      assert.deepEqual(written.sketch, buildFeatureSketch(FEATURES, [[21, 45, 600, 0.2], [22.5, NaN, 650, 0.4], [19, 50, 580, 0.1]]));
      assert.deepEqual(fs.readFileSync(graph), fs.readFileSync(GRAPH), 'the graph itself is never written');
      // Elsewhere with --out, it says under which name ml-model looks for it.
      const elsewhere = io();
      assert.equal(await main(['import', graph, '--sketch', train, '--features', FEATURES.join(','), '--out', path.join(dir, 's.json')], elsewhere.io), 0);
      assert.match(elsewhere.out.stdout, /ml-model reads a graph's sketch from room\.onnx\.sketch\.json beside the graph/);
    });

    it('says what a graph needs, refuses features that do not fit it and options that do not apply, writing nothing', async () => {
      const cases: Array<[string[], number, RegExp]> = [
        [[], 1, /runs as it is through onnxruntime-node .*give --sketch TRAIN\.csv --features/],
        [['--sketch', train], 1, /needs --features/],
        [['--sketch', train, '--features', 'temperature,humidity'], 1, /shape \[batch, 4\], which 2 features \(temperature, humidity\) do not fit/],
        [['--sketch', train, '--features', 'temperature,humidity,co2,pressure'], 1, /no column for "pressure"/],
        [['--sketch', train, '--features', FEATURES.join(','), '--check', train, '--expect', train, '--name', 'x'], 2, /--check, --name do not apply to it/],
      ];
      for (const [flags, code, message] of cases) {
        const { out, io: cliIo } = io();
        assert.equal(await main(['import', graph, ...flags], cliIo), code, flags.join(' '));
        assert.match(out.stderr, message);
        assert.equal(fs.existsSync(`${graph}.sketch.json`), false);
      }
    });
  });
});
