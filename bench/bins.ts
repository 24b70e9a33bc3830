/**
 * Bins that are used (issue 21.2), on public real sensor data: UCI Occupancy Detection (bench/data/occupancy-*.csv,
 * the raw readings: temperature, humidity, light, CO2, humidity ratio; trained on the training days, scored on the
 * following test days, so the split is in time). For each feature: its distinct values and the bins the trainer
 * cuts now, beside the bins of the cut before issue 21 (a fixed quantile rule that skipped ahead over repeated
 * values; its few lines are kept below as the reference). Then the forest at 255 bins (the default), 1,023 and 4,095
 * (`--max-bins`; 16-bit bins above 256): test accuracy and training time, and scikit-learn's RandomForestClassifier
 * (which sorts exact values, no bins) on the very same rows.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { quantileEdges } from '../src/core/model/forest/binning';
import { CompiledForest } from '../src/core/model/forest/compiled-forest';
import { trainForest } from '../src/core/model/forest/trainer';
import { findScikitLearn, ROOT, runProcess, tempDir } from './lib/project';
import { figure, progress, runSection, Section } from './lib/report';
import { spread, timeSync } from './lib/timing';

const FEATURES = ['temperature', 'humidity', 'light', 'co2', 'humidityRatio'];
const BIN_SETTINGS = [255, 1023, 4095];

function load(file: string): { rows: Float64Array[]; labels: number[] } {
  const [header, ...lines] = fs.readFileSync(path.join(ROOT, 'bench', 'data', file), 'utf8').trim().split(/\r?\n/);
  const columns = header.split(',');
  const at = FEATURES.map((name) => columns.indexOf(name));
  const label = columns.indexOf('occupancy');
  const rows = lines.map((line) => {
    const cells = line.split(',');
    return Float64Array.from(at, (c) => Number(cells[c]));
  });
  return { rows, labels: lines.map((line) => Number(line.split(',')[label])) };
}

/** The cut before issue 21, as the reference: quantile k/maxBins of the rows, skipping ahead over runs of repeats. */
function previousCut(values: ArrayLike<number>, maxBins: number): number {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  const distinct = new Set(sorted).size;
  if (distinct <= maxBins) return distinct;
  let count = 0;
  let nextCut = 1;
  for (let i = 0; i < n; i++) {
    if (i + 1 < n && sorted[i + 1] === sorted[i]) continue;
    if (i + 1 === n) break;
    if (i + 1 >= (nextCut * n) / maxBins) {
      count++;
      while (nextCut * n <= (i + 1) * maxBins) nextCut++;
      if (count === maxBins - 1) break;
    }
  }
  return count + 1;
}

runSection(async ({ quick }) => {
  const section = new Section(
    'bins',
    'Training: bins that are used (issue 21.2)',
    'UCI Occupancy Detection, raw readings (5 features), trained on the training days (8,143 rows) and scored on the ' +
      'test days (9,752 rows): a split in time. Bins per feature now and with the cut before issue 21; then the forest ' +
      '(100 trees, defaults, seed 1) at 255, 1,023 and 4,095 bins: test accuracy and training time (median of the ' +
      'rounds); scikit-learn 1.2\'s RandomForestClassifier (100 trees, one thread, exact splits) on the same rows.',
  );
  const train = load('occupancy-train.csv');
  const test = load('occupancy-test.csv');
  for (let f = 0; f < FEATURES.length; f++) {
    const column = train.rows.map((row) => row[f]);
    const distinct = new Set(column).size;
    section.row(`${FEATURES[f]}: bins of 255 (${distinct} distinct values)`, String(quantileEdges(column, 255).length), `${previousCut(column, 255)} before`, '');
  }
  const rounds = quick ? 1 : 3;
  const nTrees = quick ? 30 : 100;
  const accuracyOf = (bins: number): { accuracy: number; seconds: number[] } => {
    const seconds: number[] = [];
    let accuracy = 0;
    for (let round = 0; round < rounds; round++) {
      progress(`forest at ${bins} bins, round ${round + 1}/${rounds}`);
      const timed = timeSync(() => trainForest({ rows: train.rows, target: train.labels }, { task: 'classification', nTrees, maxBins: bins, seed: 1 }));
      seconds.push(timed.seconds);
      const compiled = new CompiledForest(timed.result.forest);
      let right = 0;
      test.rows.forEach((row, i) => (right += compiled.predictClass(row) === test.labels[i] ? 1 : 0));
      accuracy = right / test.rows.length;
    }
    return { accuracy, seconds };
  };
  // A warm-up training first, so the first setting is not the one that pays for the compiler.
  trainForest({ rows: train.rows, target: train.labels }, { task: 'classification', nTrees: 10, seed: 1 });
  const measured = BIN_SETTINGS.map((bins) => ({ bins, ...accuracyOf(bins) }));
  const base = measured[0];
  for (const m of measured) {
    const time = spread(m.seconds);
    section.row(`forest, ${m.bins} bins: test accuracy, training time`, `${(m.accuracy * 100).toFixed(2)} %, ${figure(time, 'seconds')}`, m === base ? '' : `${(base.accuracy * 100).toFixed(2)} % at 255`, m === base ? '' : `${(time.median / spread(base.seconds).median).toFixed(2)}× the time`);
  }
  const sklearn = await findScikitLearn();
  if (sklearn === undefined) section.row('scikit-learn RandomForestClassifier', 'not installed: apt-get install -y python3-sklearn');
  else {
    const dir = tempDir('bins');
    const write = (file: string, data: { rows: Float64Array[]; labels: number[] }) =>
      fs.writeFileSync(path.join(dir, file), [[...FEATURES, 'occupancy'].join(','), ...data.rows.map((row, i) => `${Array.from(row).join(',')},${data.labels[i]}`)].join('\n'));
    write('train.csv', train);
    write('test.csv', test);
    progress('scikit-learn');
    const result = await runProcess(sklearn.python, [path.join(ROOT, 'bench', 'sklearn_forest.py'), path.join(dir, 'train.csv'), path.join(dir, 'test.csv'), String(nTrees), path.join(dir, 'model.pickle')]);
    const accuracy = result.code === 0 ? (JSON.parse(result.stdout.trim().split('\n').pop() as string) as { accuracy: number }).accuracy : NaN;
    section.row(`scikit-learn ${sklearn.version} RandomForestClassifier: test accuracy`, `${(accuracy * 100).toFixed(2)} %`);
    const best = Math.max(...measured.map((m) => m.accuracy));
    section.goal('bins: accuracy against scikit-learn\'s exact splits', 'at most 0.5 points below', `${((best - accuracy) * 100).toFixed(2)} points at ${measured.find((m) => m.accuracy === best)?.bins} bins`, best >= accuracy - 0.005);
  }
  section.note('The bins of a feature are now min(distinct values, max bins); the cut before skipped bins over repeated readings.');
  return section;
});
