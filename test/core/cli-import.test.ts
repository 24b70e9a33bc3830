/**
 * `iot-ai import` (#28): converts XGBoost's JSON model into a model file that loads and predicts, and `--check`
 * proves the conversion against XGBoost's own predictions (and catches predictions that differ).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runImport } from '../../src/cli/import';
import { main } from '../../src/cli/main';
import { loadModel } from '../../src/core/model/file/model-file';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'import', 'xgboost');
const fixture = (file: string) => path.join(FIXTURES, file);

function io() {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: { write: (t: string) => (out.stdout += t) }, stderr: { write: (t: string) => (out.stderr += t) } } };
}

describe('iot-ai import', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-import-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('converts an XGBoost model and --check reports the largest difference against its predictions (exit 0)', async () => {
    const out = path.join(dir, 'model.json');
    // XGBoost's file names the classes by index: named labels that its label column does not use differ on every row.
    const { out: text, io: cliIo } = io();
    const code = await main(['import', fixture('multi-softprob.model.json'), '--labels', 'fresh,stale,stuffy', '--check', fixture('multi-softprob.data.csv'), '--expect', fixture('multi-softprob.expected.csv'), '--out', out], cliIo);
    assert.equal(code, 1);
    assert.match(text.stdout, /1480 of 1480 labels differ \(first: row 1, ours stuffy, theirs 2\)/);
    assert.equal(fs.existsSync(out), false);
    const expected = fs.readFileSync(fixture('multi-softprob.expected.csv'), 'utf8').split('\n');
    const named = expected.map((line, i) => {
      if (i === 0) return 'label,fresh,stale,stuffy';
      const cells = line.split(',');
      return line === '' ? '' : [['fresh', 'stale', 'stuffy'][Number(cells[0])], cells[1], cells[2], cells[3]].join(',');
    });
    fs.writeFileSync(path.join(dir, 'expected.csv'), named.join('\n'));
    const second = io();
    const ok = await main(['import', fixture('multi-softprob.model.json'), '--name', 'air', '--version', '2.1', '--labels', 'fresh,stale,stuffy', '--check', fixture('multi-softprob.data.csv'), '--expect', path.join(dir, 'expected.csv'), '--out', out], second.io);
    assert.equal(ok, 0, second.out.stderr);
    assert.match(second.out.stdout, /xgboost 1\.7\.4 multi:softprob: classification, 60 trees, 4 features \(temperature, humidity, light, humidityRatio\), labels fresh, stale, stuffy/);
    assert.match(second.out.stdout, /checked 1480 rows .*\n  largest difference [0-9.e-]+ \(relative [0-9.e-]+\) at row \d+, column "\w+"; 0 of 4440 values beyond 1e-6 relative\n  labels identical on all 1480 rows/);
    const loaded = loadModel(fs.readFileSync(out));
    assert.ok(loaded.ok, loaded.ok ? '' : loaded.error);
    assert.equal(loaded.model.file.name, 'air');
    assert.equal(loaded.model.file.version, '2.1');
    assert.deepEqual(loaded.model.file.labels, ['fresh', 'stale', 'stuffy']);
  });

  it('regression: --check against XGBoost\'s value column; the default name is the file\'s', async () => {
    const out = path.join(dir, 'co2.json');
    const { out: text, io: cliIo } = io();
    const code = await runImport([fixture('reg-squarederror.model.json'), '--check', fixture('reg-squarederror.data.csv'), '--expect', fixture('reg-squarederror.expected.csv'), '--out', out], cliIo);
    assert.equal(code, 0, text.stderr);
    assert.match(text.stdout, /0 of 1403 values beyond/);
    const loaded = loadModel(fs.readFileSync(out));
    assert.ok(loaded.ok);
    assert.equal(loaded.model.file.name, 'reg-squarederror');
    assert.equal(loaded.model.file.version, '1');
  });

  it('--check fails (exit 1, nothing written) when the predictions differ, naming the row', async () => {
    const lines = fs.readFileSync(fixture('binary-logistic.expected.csv'), 'utf8').split('\n');
    const cells = lines[7].split(',');
    cells[2] = String(Number(cells[2]) * (1 + 1e-5));
    lines[7] = cells.join(',');
    fs.writeFileSync(path.join(dir, 'expected.csv'), lines.join('\n'));
    const out = path.join(dir, 'model.json');
    const { out: text, io: cliIo } = io();
    const code = await runImport([fixture('binary-logistic.model.json'), '--features', 'temperature,humidity,light,co2,humidityRatio', '--check', fixture('binary-logistic.data.csv'), '--expect', path.join(dir, 'expected.csv'), '--out', out], cliIo);
    assert.equal(code, 1);
    assert.match(text.stdout, /at row 7, column "1"; 1 of \d+ values beyond/);
    assert.match(text.stderr, /does not match .*not written/);
    assert.equal(fs.existsSync(out), false);
  });

  it('refuses what it cannot convert (exit 1): no feature names, a pickle', async () => {
    const unnamed = io();
    assert.equal(await runImport([fixture('binary-logistic.model.json'), '--out', path.join(dir, 'm.json')], unnamed.io), 1);
    assert.match(unnamed.out.stderr, /does not name its 5 inputs: give their names .*--features/);
    fs.writeFileSync(path.join(dir, 'model.pkl'), Buffer.from([0x80, 0x04, 0x95]));
    const pickle = io();
    assert.equal(await runImport([path.join(dir, 'model.pkl'), '--out', path.join(dir, 'm.json')], pickle.io), 1);
    assert.match(pickle.out.stderr, /never loaded.*ONNX/);
  });

  it('converts an ONNX tree ensemble (scikit-learn ExtraTrees, string labels) and --check proves it against predict_proba', async () => {
    const onnx = (file: string) => path.join(FIXTURES, '..', 'onnx', file);
    const out = path.join(dir, 'air.json');
    const { out: text, io: cliIo } = io();
    const code = await runImport([onnx('et-strings.onnx'), '--features', 'temperature,humidity,light,humidityRatio', '--check', onnx('et-strings.data.csv'), '--expect', onnx('et-strings.expected.csv'), '--out', out], cliIo);
    assert.equal(code, 0, text.stderr);
    assert.match(text.stdout, /onnx \(skl2onnx 1\.14\.0\) TreeEnsembleClassifier NONE: classification, 8 trees, 4 features \(temperature, humidity, light, humidityRatio\), labels high, low, mid/);
    assert.match(text.stdout, /0 of 1332 values beyond 1e-6 relative\n  labels identical on all 444 rows/);
    const loaded = loadModel(fs.readFileSync(out));
    assert.ok(loaded.ok, loaded.ok ? '' : loaded.error);
    assert.deepEqual(loaded.model.file.labels, ['high', 'low', 'mid']);
  });

  it('a bad command line exits 2 with a pointer to --help; --help prints the usage', async () => {
    for (const argv of [[], ['--out', 'x.json'], [fixture('reg-squarederror.model.json')], [fixture('reg-squarederror.model.json'), '--out', 'x.json', '--check', 'd.csv'], [fixture('reg-squarederror.model.json'), '--out', 'x.json', '--tolerance', 'tiny']]) {
      const { out, io: cliIo } = io();
      assert.equal(await runImport(argv, cliIo), 2, argv.join(' '));
      assert.match(out.stderr, /Run "iot-ai import --help" for usage/);
    }
    const help = io();
    assert.equal(await runImport(['--help'], help.io), 0);
    assert.match(help.out.stdout, /Usage: iot-ai import FILE --out MODEL.json/);
    const top = io();
    await main(['--help'], top.io);
    assert.match(top.out.stdout, /iot-ai import/);
  });
});
