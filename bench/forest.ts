/**
 * Random-forest timing: our trainer on 20,000 × 6 rows with 50 trees, ml-random-forest on a smaller set (its
 * exact CART is quadratic in the rows), and compiled inference. Prints only; run with `npx tsx bench/forest.ts`.
 */
import { RandomForestClassifier } from 'ml-random-forest';
import { CompiledForest, compileForest } from '../src/core/model/compiled-forest';
import { MlRandomForestJson } from '../src/core/model/forest-format';
import { accuracy, rSquared } from '../src/core/model/metrics';
import { Random } from '../src/core/model/rng';
import { ForestOptions, trainForest, TrainingData } from '../src/core/model/trainer';

const N_FEATURES = 6;

function classification(n: number, seed: number): { rows: Float64Array[]; target: Float64Array } {
  const rng = new Random(seed);
  const rows: Float64Array[] = [];
  const target = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const row = Float64Array.from({ length: N_FEATURES }, () => rng.next() * 10);
    let label = row[0] + row[1] > 10 ? (row[2] > 5 ? 2 : 1) : 0;
    if (rng.next() < 0.1) label = rng.int(3);
    rows.push(row);
    target[i] = label;
  }
  return { rows, target };
}

function regression(n: number, seed: number): { rows: Float64Array[]; target: Float64Array } {
  const rng = new Random(seed);
  const rows: Float64Array[] = [];
  const target = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const row = Float64Array.from({ length: N_FEATURES }, () => rng.next() * 10);
    rows.push(row);
    target[i] = Math.sin(row[0]) * 3 + (row[1] * row[2]) / 10 + rng.next();
  }
  return { rows, target };
}

/** Best of `runs` timed runs (wall ms, CPU ms), after a warm-up run when `warmUp`: the machine may be shared. */
function time<T>(runs: number, work: () => T, warmUp = true): { wall: number; cpu: number; result: T } {
  let wall = Infinity;
  let cpu = Infinity;
  let result = warmUp ? work() : (undefined as T);
  for (let k = 0; k < runs; k++) {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    result = work();
    wall = Math.min(wall, performance.now() - start);
    const used = process.cpuUsage(cpuStart);
    cpu = Math.min(cpu, (used.user + used.system) / 1000);
  }
  return { wall, cpu, result };
}

const ms = (value: number): string => `${value.toFixed(0)} ms`;

function trainOurs(data: TrainingData, options: ForestOptions): ReturnType<typeof time<ReturnType<typeof trainForest>>> {
  return time(3, () => trainForest(data, options));
}

function classify(forest: CompiledForest, rows: Float64Array[]): number[] {
  return rows.map((row) => {
    const p = forest.predictRow(row);
    return p.task === 'classification' ? p.classIndex : -1;
  });
}

console.log(`node ${process.version}, ${N_FEATURES} features\n`);

{
  const train = classification(20_000, 1);
  const test = classification(5_000, 2);
  const ours = trainOurs(train, { task: 'classification', nTrees: 50, seed: 1 });
  const compiled = new CompiledForest(ours.result.forest);
  const heldOut = accuracy(test.target, classify(compiled, test.rows));
  console.log(`ours, classification, 20,000 rows, 50 trees: ${ms(ours.wall)} wall, ${ms(ours.cpu)} CPU; ` +
    `held-out accuracy ${heldOut.toFixed(4)}, OOB ${ours.result.oob?.accuracy?.toFixed(4)}, ${compiled.nodeCount} nodes`);
  const predict = time(3, () => classify(compiled, train.rows));
  console.log(`  compiled inference: ${((train.rows.length / predict.wall) * 1000).toFixed(0)} rows/s (50 trees)`);
}
{
  const train = regression(20_000, 3);
  const test = regression(5_000, 4);
  const settings: Array<[string, Partial<ForestOptions>]> = [
    ['defaults: all features, leaves of 5', {}],
    ['as scikit-learn: all features, leaves of 1', { minSamplesLeaf: 1 }],
    ['nFeatures/3 per split', { maxFeatures: 'third' }],
  ];
  for (const [name, options] of settings) {
    const ours = trainOurs(train, { task: 'regression', nTrees: 50, seed: 1, ...options });
    const compiled = new CompiledForest(ours.result.forest);
    const predicted = test.rows.map((row) => {
      const p = compiled.predictRow(row);
      return p.task === 'regression' ? p.value : NaN;
    });
    console.log(`ours, regression (${name}), 20,000 rows, 50 trees: ${ms(ours.wall)} wall, ${ms(ours.cpu)} CPU; ` +
      `held-out R² ${rSquared(test.target, predicted).toFixed(4)}, OOB ${ours.result.oob?.r2?.toFixed(4)}, ` +
      `${(JSON.stringify(ours.result.forest).length / 1e6).toFixed(1)} MB of JSON`);
  }
}
{
  const n = 2_000;
  const train = classification(n, 5);
  const test = classification(2_000, 6);
  const asArrays = train.rows.map((row) => Array.from(row));
  const theirs = time(1, () => {
    const model = new RandomForestClassifier({ nEstimators: 10, noOOB: true, seed: 1 });
    model.train(asArrays, Array.from(train.target));
    return model;
  }, false);
  const theirAccuracy = accuracy(test.target, theirs.result.predict(test.rows.map((row) => Array.from(row))));
  const ours = trainOurs(train, { task: 'classification', nTrees: 10, seed: 1 });
  const ourAccuracy = accuracy(test.target, classify(new CompiledForest(ours.result.forest), test.rows));
  console.log(`\nml-random-forest, classification, ${n} rows, 10 trees: ${ms(theirs.wall)} wall; held-out accuracy ${theirAccuracy.toFixed(4)}`);
  console.log(`ours, same data and trees: ${ms(ours.wall)} wall; held-out accuracy ${ourAccuracy.toFixed(4)}`);
  const probe = classification(100_000, 7).rows;
  const probeArrays = probe.map((row) => Array.from(row));
  const theirPredict = time(1, () => theirs.result.predict(probeArrays), false);
  const imported = compileForest(JSON.parse(JSON.stringify(theirs.result.toJSON())) as MlRandomForestJson, { nFeatures: N_FEATURES, nClasses: 3 });
  const ourPredict = time(2, () => classify(imported, probe));
  console.log(`predicting 100,000 rows with that ml-random-forest model: its predict() ${ms(theirPredict.wall)}, compiled import ${ms(ourPredict.wall)}`);
}
