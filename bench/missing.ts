/**
 * Missing values (issue #24): our forest, learning a missing-value direction per split, against scikit-learn's
 * HistGradientBoostingClassifier given the same cells as NaN, measured in the same run.
 *
 *     npx tsx bench/missing.ts            # needs Debian's python3-sklearn (apt-get install -y python3-sklearn)
 *
 * Three workloads, on the public data sets in bench/data (see bench/data/README.md):
 * 1. real gaps: UCI horse colic (25 % of the feature cells missing), surgical lesion yes/no; 5 × stratified 5-fold
 *    cross-validation, the same folds for both;
 * 2. gaps injected at random: UCI occupancy detection, 10 % of the feature cells of the training and test periods
 *    made missing (3 seeds); time-ordered: trained on the first period (4–10 Feb 2015), tested on the later one
 *    (11–18 Feb);
 * 3. a dead sensor: occupancy again, trained on complete data (and on data with 10 % gaps), tested with one sensor
 *    missing for the whole test period (humidityRatio is computed from temperature and humidity, so it dies with
 *    either).
 * Both read the same CSVs: ours through the CLI's reader (examplesFromTable: an empty cell is missing), scikit-learn
 * as NaN. Defaults on both sides: our forest of 100 trees (seed 1), HistGradientBoosting (random_state 1).
 * Prints a markdown table; docs/missing-values.md holds the figures of a full run.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { formatCsv, parseCsv } from '../src/core/model/data/csv';
import { examplesFromTable, type Examples } from '../src/core/model/data/dataset';
import { CompiledForest } from '../src/core/model/forest/compiled-forest';
import { kFoldSplits } from '../src/core/model/train/metrics';
import { Random } from '../src/core/util/rng';
import { trainForest } from '../src/core/model/forest/trainer';

const DATA = path.join(__dirname, 'data');
const PYTHON = ['/usr/bin/python3', 'python3'].find((python) => spawnSync(python, ['-c', 'import sklearn'], { stdio: 'ignore' }).status === 0);

function read(file: string, label: string): Examples {
  const parsed = parseCsv(fs.readFileSync(path.join(DATA, file), 'utf8'));
  if (!parsed.ok) throw new Error(`${file}: ${parsed.error.message}`);
  const result = examplesFromTable(parsed.table, { label, task: 'classification' });
  if (!result.ok) throw new Error(`${file}: ${result.error.message}`);
  return result.examples;
}

interface Case {
  name: string;
  train: { rows: Float64Array[]; target: Float64Array };
  test: { rows: Float64Array[]; target: Float64Array };
}

function pick(examples: Examples, indices: ArrayLike<number>): Case['train'] {
  return { rows: Array.from(indices, (i) => examples.rows[i]), target: Float64Array.from(indices, (i) => examples.target[i]) };
}

function ours(c: Case, nClasses: number): number {
  const trained = trainForest(c.train, { task: 'classification', nClasses, nTrees: 100, seed: 1 });
  const forest = new CompiledForest(trained.forest);
  let correct = 0;
  c.test.rows.forEach((row, i) => (correct += forest.countVotes(row) === c.test.target[i] ? 1 : 0));
  return correct / c.test.rows.length;
}

function writeSplit(dir: string, c: Case, featureNames: readonly string[]): void {
  const rowsOf = (part: Case['train']) => [[...featureNames, 'label'], ...part.rows.map((row, i) => [...Array.from(row, (x) => (Number.isNaN(x) ? '' : x)), String(part.target[i])])];
  fs.writeFileSync(path.join(dir, `${c.name}.train.csv`), formatCsv(rowsOf(c.train)));
  fs.writeFileSync(path.join(dir, `${c.name}.test.csv`), formatCsv(rowsOf(c.test)));
}

/** HistGradientBoosting's accuracy per case, in one Python process. */
function scikitLearn(cases: readonly Case[], featureNames: readonly string[]): Record<string, number> | null {
  if (PYTHON === undefined) return null;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-missing-'));
  try {
    for (const c of cases) writeSplit(dir, c, featureNames);
    const run = spawnSync(PYTHON, [path.join(__dirname, 'sklearn_missing.py'), dir], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (run.status !== 0) throw new Error(`sklearn_missing.py failed: ${run.stderr}`);
    return JSON.parse(run.stdout) as Record<string, number>;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function withGaps(rows: readonly Float64Array[], share: number, random: Random): Float64Array[] {
  return rows.map((row) => Float64Array.from(row, (x) => (random.next() < share ? NaN : x)));
}

function missingShare(rows: readonly Float64Array[]): number {
  let missing = 0;
  let cells = 0;
  for (const row of rows) for (const x of row) (cells++, Number.isNaN(x) && missing++);
  return missing / cells;
}

const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
const pct = (x: number | undefined): string => (x === undefined ? 'n/a' : `${(x * 100).toFixed(1)} %`);
const table: string[][] = [];

function report(workload: string, measurement: string, oursAccuracy: number, theirs: number | undefined): void {
  const gap = theirs === undefined ? 'n/a' : `${((oursAccuracy - theirs) * 100 >= 0 ? '+' : '')}${((oursAccuracy - theirs) * 100).toFixed(1)} points`;
  table.push([workload, measurement, pct(oursAccuracy), pct(theirs), gap]);
  console.error(`${workload} | ${measurement}: ours ${pct(oursAccuracy)}, HistGradientBoosting ${pct(theirs)}`);
}

function horseColic(): void {
  const examples = read('horse-colic.csv', 'surgical_lesion');
  const cases: Case[] = [];
  for (let repeat = 0; repeat < 5; repeat++) {
    kFoldSplits(examples.rows.length, 5, { seed: repeat + 1, strata: examples.target }).forEach((split, fold) => {
      cases.push({ name: `horse-${repeat}-${fold}`, train: pick(examples, split.train), test: pick(examples, split.test) });
    });
  }
  const nClasses = examples.labels?.length ?? 2;
  const oursScores = cases.map((c) => ours(c, nClasses));
  const theirs = scikitLearn(cases, examples.featureNames);
  report(
    `horse colic, real gaps (${pct(missingShare(examples.rows))} of cells), ${examples.rows.length} rows`,
    'accuracy, 5 × 5-fold CV',
    mean(oursScores),
    theirs === null ? undefined : mean(cases.map((c) => theirs[c.name])),
  );
}

function occupancy(): void {
  const train = read('occupancy-train.csv', 'occupancy');
  const test = read('occupancy-test.csv', 'occupancy');
  const names = train.featureNames;
  const nClasses = 2;
  const full: Case = { name: 'occupancy-complete', train: { rows: train.rows, target: train.target }, test: { rows: test.rows, target: test.target } };
  const cases: Case[] = [full];
  // 10 % of the cells missing at random, in both periods.
  const seeds = [1, 2, 3];
  for (const seed of seeds) {
    const random = new Random(seed, 24);
    cases.push({ name: `occupancy-gaps-${seed}`, train: { rows: withGaps(train.rows, 0.1, random), target: train.target }, test: { rows: withGaps(test.rows, 0.1, random), target: test.target } });
  }
  // One sensor dead for the whole test period.
  const sensors: Record<string, string[]> = {
    temperature: ['temperature', 'humidityRatio'],
    humidity: ['humidity', 'humidityRatio'],
    light: ['light'],
    co2: ['co2'],
  };
  const gappyTrain = withGaps(train.rows, 0.1, new Random(7, 24));
  for (const [sensor, columns] of Object.entries(sensors)) {
    const dead = columns.map((column) => names.indexOf(column));
    const testRows = test.rows.map((row) => Float64Array.from(row, (x, f) => (dead.includes(f) ? NaN : x)));
    cases.push({ name: `occupancy-dead-${sensor}`, train: full.train, test: { rows: testRows, target: test.target } });
    cases.push({ name: `occupancy-dead-gappy-${sensor}`, train: { rows: gappyTrain, target: train.target }, test: { rows: testRows, target: test.target } });
  }
  const theirs = scikitLearn(cases, names);
  const score = (c: Case): [number, number | undefined] => [ours(c, nClasses), theirs?.[c.name]];
  const majority = Math.max(mean(Array.from(test.target)), 1 - mean(Array.from(test.target)));
  const setName = `occupancy, train 4–10 Feb (${train.rows.length} rows), test 11–18 Feb (${test.rows.length} rows; majority class ${pct(majority)})`;
  report(setName, 'accuracy, no gaps', ...score(full));
  const gapScores = cases.filter((c) => c.name.startsWith('occupancy-gaps-')).map(score);
  report(setName, `accuracy, 10 % of cells missing at random (mean of ${seeds.length} seeds)`, mean(gapScores.map((s) => s[0])), theirs === null ? undefined : mean(gapScores.map((s) => s[1] as number)));
  for (const [sensor, columns] of Object.entries(sensors)) {
    report(setName, `accuracy, ${sensor} sensor dead in the test period (${columns.join(', ')} missing); trained on complete data`, ...score(cases.find((c) => c.name === `occupancy-dead-${sensor}`) as Case));
    report(setName, `the same, trained on data with 10 % gaps`, ...score(cases.find((c) => c.name === `occupancy-dead-gappy-${sensor}`) as Case));
  }
}

function main(): void {
  const started = Date.now();
  if (PYTHON === undefined) console.error('scikit-learn not installed (apt-get install -y python3-sklearn): only our figures');
  horseColic();
  occupancy();
  const version = PYTHON === undefined ? '' : spawnSync(PYTHON, ['-c', 'import sklearn; print(sklearn.__version__)'], { encoding: 'utf8' }).stdout.trim();
  const lines = [
    `| data | measurement | ours (forest, 100 trees) | HistGradientBoosting${version ? ` (scikit-learn ${version})` : ''} | ours − theirs |`,
    '|---|---|---|---|---|',
    ...table.map((row) => `| ${row.join(' | ')} |`),
  ];
  console.log(lines.join('\n'));
  console.error(`bench/missing.ts: ${((Date.now() - started) / 1000).toFixed(0)} s, Node ${process.version}, ${os.cpus()[0]?.model ?? ''}`);
}

main();
