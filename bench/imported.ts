/**
 * 14. Imported models (#28): rows/s of `LoadedModel.predict(features)` for models converted from XGBoost's JSON,
 * LightGBM's text model and ONNX tree ensembles (test/fixtures/import/), against a forest of our own trainer of the
 * same size (trees and depth) on the same rows (UCI Occupancy; LightGBM's: rows around its example data), measured
 * alternately in the same run.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseCsv } from '../src/core/model/data/csv';
import { LoadedModel, type ModelFile } from '../src/core/model/file/model-file';
import { trainForest } from '../src/core/model/forest/trainer';
import { importModel } from '../src/core/model/import/import-model';
import { planOnnxGraph } from '../src/core/model/import/onnx-graph';
import { requireOnnxRuntime, RuntimeModel, SESSION_OPTIONS } from '../src/nodes/ml-model/onnx-runtime';
import { count, figure, progress, runSection, Section, type BenchOptions } from './lib/report';
import { alternate, ratios, spread, timeSync } from './lib/timing';

const FIXTURES = path.join(__dirname, '..', 'test', 'fixtures', 'import');

interface Case {
  title: string;
  file: string;
  data: string;
  /** Our own forest of the same size. */
  nTrees: number;
  maxDepth: number;
  /** The fixture's rows are mostly incomplete (LightGBM's probe rows): read a missing cell as 0. */
  fillMissing?: boolean;
}

const CASES: Case[] = [
  { title: 'XGBoost JSON binary:logistic (20 trees, depth 4)', file: 'xgboost/binary-logistic.model.json', data: 'xgboost/binary-logistic.data.csv', nTrees: 20, maxDepth: 4 },
  { title: 'ONNX scikit-learn RandomForestClassifier (10 trees, depth 7)', file: 'onnx/rf-binary.onnx', data: 'onnx/rf-binary.data.csv', nTrees: 10, maxDepth: 7 },
  { title: 'ONNX scikit-learn GradientBoostingClassifier, 3 classes (45 trees, depth 3)', file: 'onnx/gb-multiclass.onnx', data: 'onnx/gb-multiclass.data.csv', nTrees: 45, maxDepth: 3 },
  { title: 'LightGBM text binary (20 trees, 15 leaves)', file: 'lightgbm/binary.model.txt', data: 'lightgbm/binary.data.csv', nTrees: 20, maxDepth: 6, fillMissing: true },
  { title: 'LightGBM text multiclass, 5 classes (40 trees, 15 leaves)', file: 'lightgbm/multiclass.model.txt', data: 'lightgbm/multiclass.data.csv', nTrees: 40, maxDepth: 6, fillMissing: true },
  { title: 'LightGBM zero_as_missing binary, splits expanded (10 trees, 15 leaves)', file: 'lightgbm/zero-missing.model.txt', data: 'lightgbm/zero-missing.data.csv', nTrees: 10, maxDepth: 6, fillMissing: true },
];

async function importedSection(options: BenchOptions): Promise<Section> {
  const rounds = options.quick ? 2 : 3;
  const passes = options.quick ? 20 : 100;
  const section = new Section(
    'imported',
    '14. Imported models (`iot-ai import`, ml-model `path`)',
    [
      'Rows/s of `LoadedModel.predict(features)` as model-predict calls it, for models converted from other libraries',
      '(the test fixtures of test/fixtures/import/, on their own rows: UCI Occupancy, LightGBM\'s probe rows with',
      'missing cells read as 0), against a classifier of our own',
      'trainer with the same number of trees and depth trained on those rows (baseline). Ratio: imported ÷ ours.',
      'Measured alternately in the same run.',
    ].join('\n'),
  );
  for (const c of CASES) {
    const parsed = parseCsv(readFileSync(path.join(FIXTURES, c.data), 'utf8'));
    if (!parsed.ok) throw new Error(`${c.data}: ${parsed.error.message}`);
    const { header, rows } = parsed.table;
    const imported = importModel(readFileSync(path.join(FIXTURES, c.file)), { fileName: path.basename(c.file), featureNames: header });
    if (!imported.ok) throw new Error(`${c.file}: ${imported.error}`);
    const theirs = new LoadedModel(imported.model);
    const numeric = rows.map((row) => Float64Array.from(row, (cell) => (cell === '' ? (c.fillMissing === true ? 0 : NaN) : Number(cell))));
    // Our forest learns the imported model's own labels on the same rows (missing cells as they are).
    const target = Float64Array.from(numeric, (row) => (theirs.forest?.predictRow(row) as { classIndex?: number } | undefined)?.classIndex ?? 0);
    const nClasses = imported.model.labels?.length ?? 2;
    const { forest } = trainForest({ rows: numeric, target }, { task: 'classification', nClasses, nTrees: c.nTrees, maxDepth: c.maxDepth, seed: 1 });
    const file: ModelFile = {
      format: 'iot-ai/random-forest@1', task: 'classification', name: 'ours', version: '1', createdAt: new Date(0).toISOString(),
      featureNames: header, labels: imported.model.labels, metrics: {}, forest,
    };
    const ours = new LoadedModel(file);
    // Complete rows only: model-predict refuses a missing feature unless `missing: allow`.
    const objects = numeric.filter((row) => row.every(Number.isFinite)).map((row) => Object.fromEntries(header.map((name, f) => [name, row[f]])));
    progress(`imported: ${c.title}: ${count(objects.length)} rows × ${passes} passes, ${rounds} rounds`);
    let checksum = 0;
    const rate = (model: LoadedModel) => () => {
      const timed = timeSync(() => {
        let sum = 0;
        for (let pass = 0; pass < passes; pass++) {
          for (const features of objects) {
            const result = model.predict(features);
            sum += result.ok ? result.prediction.confidence : 0;
          }
        }
        return sum;
      });
      checksum += timed.result;
      return (objects.length * passes) / timed.seconds;
    };
    const rates = await alternate([{ name: 'imported', measure: rate(theirs) }, { name: 'ours', measure: rate(ours) }], { rounds });
    if (!Number.isFinite(checksum)) throw new Error('bad checksum');
    section.row(c.title, `${figure(spread(rates.imported), 'rate')} rows`, `${figure(spread(rates.ours), 'rate')} rows`, figure(ratios(rates.imported, rates.ours), 'ratio'));
  }
  await runtimeRows(section, options);
  return section;
}

/**
 * Where onnxruntime-node is installed (a devDependency here): the same ONNX tree-ensemble file walked by our compiled
 * trees and run by onnxruntime, one row a call as model-predict sends single messages; and how long the event loop
 * waits while one runs (perf_hooks.monitorEventLoopDelay), to show whether a run would need to move off the loop.
 */
async function runtimeRows(section: Section, options: BenchOptions): Promise<void> {
  const ort = requireOnnxRuntime(process.cwd());
  if (ort === undefined) return section.note('onnxruntime-node is not installed: no runtime rows');
  const rounds = options.quick ? 2 : 3;
  const passes = options.quick ? 2 : 10;
  const file = 'onnx/rf-regressor.onnx';
  const parsed = parseCsv(readFileSync(path.join(FIXTURES, 'onnx/rf-regressor.data.csv'), 'utf8'));
  if (!parsed.ok) throw new Error(parsed.error.message);
  const { header, rows } = parsed.table;
  const bytes = readFileSync(path.join(FIXTURES, file));
  const imported = importModel(bytes, { fileName: 'rf-regressor.onnx', featureNames: header });
  const plan = planOnnxGraph(bytes, { featureSpec: header.join(', ') });
  if (!imported.ok || !plan.ok) throw new Error(`${file}: ${imported.ok ? (plan as { error: string }).error : imported.error}`);
  const ours = new LoadedModel(imported.model);
  // A regressor: a classifier exported by skl2onnx gives its probabilities as a ZipMap, which onnxruntime-node cannot return.
  const runtime = await RuntimeModel.load(ort, bytes, plan.plan, { name: 'rf-regressor', version: '1' });
  const vectors = rows.map((row) => Float64Array.from(row, Number)).filter((row) => row.every(Number.isFinite));
  const objects = vectors.map((row) => Object.fromEntries(header.map((name, f) => [name, row[f]])));
  progress(`imported: onnxruntime-node on ${file}: ${count(vectors.length)} rows × ${passes} passes, ${rounds} rounds`);
  let checksum = 0;
  const rates = await alternate(
    [
      {
        name: 'runtime',
        measure: async () => {
          const start = process.hrtime.bigint();
          for (let pass = 0; pass < passes; pass++) for (const row of vectors) checksum += (await runtime.predict([row]))[0].value as number;
          return (vectors.length * passes) / (Number(process.hrtime.bigint() - start) / 1e9);
        },
      },
      {
        name: 'ours',
        measure: () => {
          const timed = timeSync(() => {
            let sum = 0;
            for (let pass = 0; pass < passes; pass++) for (const features of objects) sum += (ours.predict(features) as { ok: true; prediction: { value: number } }).prediction.value;
            return sum;
          });
          checksum += timed.result;
          return (vectors.length * passes) / timed.seconds;
        },
      },
    ],
    { rounds },
  );
  if (!Number.isFinite(checksum)) throw new Error('bad checksum');
  section.row('Same ONNX file (scikit-learn RandomForestRegressor, 10 trees, depth 7): onnxruntime-node, one row a run (baseline: our tree walk)', `${figure(spread(rates.runtime), 'rate')} rows`, `${figure(spread(rates.ours), 'rate')} rows`, figure(ratios(rates.runtime, rates.ours), 'ratio'));
  // Batches: one [rows, n] run. onnxruntime-node's run is one synchronous native call, so a long one holds the
  // event loop; RuntimeModel sends a run over LOOP_BUDGET_MS (by the per-row time measured at load) to a worker.
  const big = Array.from({ length: 5 }, () => vectors).flat();
  const loopDelay = async (run: () => Promise<unknown>): Promise<{ seconds: number; max: number }> => {
    const histogram = monitorEventLoopDelay({ resolution: 1 });
    histogram.enable();
    const start = process.hrtime.bigint();
    for (let i = 0; i < 10; i++) await run();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    await new Promise((resolve) => setTimeout(resolve, 5));
    histogram.disable();
    return { seconds, max: histogram.max / 1e6 };
  };
  const session = await ort.ort.InferenceSession.create(bytes, SESSION_OPTIONS);
  const data = new Float32Array(big.length * header.length);
  big.forEach((row, r) => data.set(row, r * header.length));
  const tensor = new ort.ort.Tensor('float32', data, [big.length, header.length]);
  const onLoop = await loopDelay(() => session.run({ [plan.plan.inputs[0].name]: tensor }));
  await runtime.predict(big);
  const offLoop = await loopDelay(() => runtime.predict(big));
  await session.release();
  const rate = (seconds: number) => `${figure(spread([(10 * big.length) / seconds]), 'rate')} rows`;
  section.row(`onnxruntime-node, ${count(big.length)} rows a run on the event loop (longest event-loop wait ${onLoop.max.toFixed(1)} ms)`, rate(onLoop.seconds));
  section.row(`... the same through RuntimeModel: ${runtime.offLoop(big.length) ? 'in its worker thread' : 'on the loop'} (longest wait ${offLoop.max.toFixed(1)} ms; one row ${runtime.perRowMs.toFixed(3)} ms)`, rate(offLoop.seconds));
  await runtime.release();
}

if (require.main === module) runSection(importedSection);
