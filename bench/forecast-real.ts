/**
 * 11. Forecasts on real data (#16, docs/forecasting.md "Measured on real data"): the UCI Occupancy Detection data
 * (bench/data/occupancy-*.csv, minute readings of an office), through the code path a user runs: WINDOW.json, the
 * feature-window engine and the horizon labels (`horizonWindowExamples`), `iot-ai train --window --horizon`. Each
 * target and horizon: our forest, persistence (the last value before the window ended), the value 24 hours earlier
 * and scikit-learn's RandomForestRegressor / RandomForestClassifier on the same feature rows. Trained on
 * occupancy-train (4–10 February 2015), scored on occupancy-test (11–18 February): time-ordered, nothing shared.
 *
 *   node -r tsx/cjs bench/forecast-real.ts [--quick]      (or: npm run bench -- --only forecast-real)
 *
 * scikit-learn is Debian's python3-sklearn (apt-get install -y python3-sklearn); without it its column says so.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../src/cli/main';
import { horizonWindowExamples, type HorizonExamples } from '../src/cli/windowing';
import { parseCsv } from '../src/core/model/data/csv';
import { examplesFromValues } from '../src/core/model/data/dataset';
import { trainModel } from '../src/core/model/train/train-model';
import { loadModel } from '../src/core/model/file/model-file';
import { CompiledForest } from '../src/core/model/forest/compiled-forest';
import type { TreeForest } from '../src/core/model/forest/forest-format';
import { classificationSkill, regressionSkill, type ForecastSkill } from '../src/core/model/train/metrics';
import { findScikitLearn, runProcess } from './lib/project';
import { progress, runSection, Section, type BenchOptions } from './lib/report';

const DATA = path.join(__dirname, 'data');
/** Windows of the last 30 minutes every 5 minutes, each sensor's level, extremes and trend, and the time of day and week. */
export const WINDOW = {
  window: 'sliding',
  size: 30,
  slide: 5,
  unit: 'min',
  sensors: ['temperature', 'humidity', 'light', 'co2', 'occupancy'],
  features: (process.env.FORECAST_FEATURES ?? 'mean,min,max,last,slope,delta,calendar').split(','),
};
const HORIZONS = ['15min', '30min', '60min'];
const TARGETS = [
  { label: 'co2', task: 'regression' as const },
  { label: 'occupancy', task: 'classification' as const },
];

interface Scores {
  target: string;
  task: 'regression' | 'classification';
  horizon: string;
  rows: number;
  ours: number;
  persistence: number;
  sklearn: number | null;
  /** Regression: both forests learning the change from the last value (label − persistence), added back to it. */
  change?: { ours: number; sklearn: number | null };
  dayBefore?: { rows: number; reference: number; ours: number };
  trainRows: number;
}

/** The UCI files have no deviceId: one office, one device. */
function withDevice(file: string, out: string): void {
  const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
  fs.writeFileSync(out, [`deviceId,${lines[0]}`, ...lines.slice(1).map((line) => `office,${line}`)].join('\n') + '\n');
}

function examplesOf(file: string, label: string, horizon: number): HorizonExamples & { ok: true } {
  const parsed = parseCsv(fs.readFileSync(file, 'utf8'));
  if (!parsed.ok) throw new Error(`${file}: ${JSON.stringify(parsed.error)}`);
  const examples = horizonWindowExamples({ table: parsed.table, windowConfig: WINDOW, label, ignore: [], horizon });
  if (!examples.ok) throw new Error(`${file}: ${examples.error}`);
  return examples;
}

function writeFeatures(file: string, examples: HorizonExamples & { ok: true }, keep: number[], labels: readonly string[] = examples.labels): void {
  const lines = [[...examples.featureNames, 'label'].join(',')];
  for (const i of keep) lines.push(`${Array.from(examples.rows[i], (v) => (Number.isNaN(v) ? '' : String(v))).join(',')},${labels[i]}`);
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

const HORIZON_MS: Record<string, number> = { '15min': 15 * 60_000, '30min': 30 * 60_000, '60min': 60 * 60_000 };

async function measure(scratch: string, python: string | undefined, trees: number): Promise<Scores[]> {
  const train = path.join(scratch, 'train.csv');
  const test = path.join(scratch, 'test.csv');
  withDevice(path.join(DATA, 'occupancy-train.csv'), train);
  withDevice(path.join(DATA, 'occupancy-test.csv'), test);
  const windowFile = path.join(scratch, 'window.json');
  fs.writeFileSync(windowFile, JSON.stringify(WINDOW));
  const scores: Scores[] = [];
  for (const { label, task } of TARGETS) {
    for (const horizon of HORIZONS) {
      progress(`${label} ${horizon}: iot-ai train --window --horizon ${horizon}`);
      const out = path.join(scratch, `${label}-${horizon}.json`);
      let stderr = '';
      const code = await main(
        ['train', '--data', train, '--window', windowFile, '--label', label, '--task', task, '--horizon', horizon, '--test-fraction', '0', '--trees', String(trees), '--seed', '1', '--out', out],
        { stdout: { write: () => true }, stderr: { write: (text: string) => (stderr += text) } },
      );
      if (code !== 0) throw new Error(`iot-ai train ${label} ${horizon}: ${stderr}`);
      const loaded = loadModel(fs.readFileSync(out));
      if (!loaded.ok) throw new Error(loaded.error);
      const model = loaded.model.file;
      const forest = new CompiledForest(model.forest as TreeForest);

      const ms = HORIZON_MS[horizon];
      const trainExamples = examplesOf(train, label, ms);
      const testExamples = examplesOf(test, label, ms);
      // Scored where persistence exists (here: every test window): all three on the same windows.
      const keep = testExamples.rows.map((_, i) => i).filter((i) => testExamples.persistence[i] !== undefined);
      const ours = keep.map((i) => (task === 'regression' ? forest.predictRow(testExamples.rows[i]) : forest.predictClass(testExamples.rows[i])));
      const oursValues = ours.map((p) => (typeof p === 'number' ? String(model.labels?.[p]) : p.task === 'regression' ? p.value : NaN));
      const truth = keep.map((i) => testExamples.labels[i]);
      const pick = <T>(values: T[]): T[] => keep.map((i) => values[i]);

      const trainFeatures = path.join(scratch, 'features-train.csv');
      const testFeatures = path.join(scratch, 'features-test.csv');
      const scikitLearn = async (trainRows: number[], labels?: string[]): Promise<Array<string | number> | null> => {
        if (python === undefined) return null;
        writeFeatures(trainFeatures, trainExamples, trainRows, labels);
        writeFeatures(testFeatures, testExamples, keep);
        progress(`${label} ${horizon}: scikit-learn${labels !== undefined ? ' (the change)' : ''}`);
        const result = await runProcess(python, [path.join(__dirname, 'sklearn_forecast.py'), trainFeatures, testFeatures, task, String(trees)]);
        if (result.code !== 0) throw new Error(`sklearn_forecast.py: ${result.stderr}`);
        return (JSON.parse(result.stdout.trim().split('\n').pop() as string) as { predictions: Array<string | number> }).predictions;
      };
      const sklearn = await scikitLearn(trainExamples.rows.map((_, i) => i));

      // A diagnostic, not the command's path: the same windows with the change from the last value as the label.
      let change: Scores['change'];
      if (task === 'regression') {
        const last = (values: HorizonExamples & { ok: true }, i: number): number => Number(values.persistence[i]);
        const trainRows = trainExamples.rows.map((_, i) => i).filter((i) => Number.isFinite(last(trainExamples, i)));
        const changes = trainExamples.labels.map((value, i) => String(Number(value) - last(trainExamples, i)));
        const examples = examplesFromValues(trainExamples.featureNames, trainRows.map((i) => trainExamples.rows[i]), trainRows.map((i) => changes[i]), 'regression');
        if (!examples.ok) throw new Error(JSON.stringify(examples.error));
        progress(`${label} ${horizon}: ours on the change`);
        const trained = await trainModel(examples.examples, { name: 'change', createdAt: new Date(0), forest: { nTrees: trees, seed: 1 }, testFraction: 0 });
        const changeForest = new CompiledForest(trained.model.forest as TreeForest);
        const addBack = (predicted: ArrayLike<number>): number[] => keep.map((i, k) => last(testExamples, i) + predicted[k]);
        const oursChange = addBack(keep.map((i) => (changeForest.predictRow(testExamples.rows[i]) as { value: number }).value));
        const sklearnChange = await scikitLearn(trainRows, changes);
        const maeOf = (predicted: number[]): number => predicted.reduce((sum, p, k) => sum + Math.abs(p - Number(truth[k])), 0) / predicted.length;
        change = { ours: maeOf(oursChange), sklearn: sklearnChange === null ? null : maeOf(addBack(sklearnChange.map(Number))) };
      }
      const skillOf = (predicted: Array<string | number>): ForecastSkill =>
        task === 'regression'
          ? regressionSkill(truth.map(Number), predicted.map(Number), { persistence: pick(testExamples.persistence).map(Number), dayBefore: pick(testExamples.dayBefore).map((v) => (v === undefined ? NaN : Number(v))) })
          : classificationSkill(truth, predicted, { persistence: pick(testExamples.persistence), dayBefore: pick(testExamples.dayBefore) });
      const oursSkill = skillOf(oursValues);
      const score = (skill: ForecastSkill): number => (task === 'regression' ? (skill.mae as number) : (skill.accuracy as number));
      const reference = (comparison: NonNullable<ForecastSkill['persistence']>): number => (task === 'regression' ? (comparison.mae as number) : (comparison.accuracy as number));
      const modelOn = (comparison: NonNullable<ForecastSkill['persistence']>): number => (task === 'regression' ? (comparison.modelMae as number) : (comparison.modelAccuracy as number));
      const dayBefore = oursSkill.dayBefore;
      scores.push({
        target: label,
        task,
        horizon,
        rows: keep.length,
        ours: score(oursSkill),
        persistence: reference(oursSkill.persistence!),
        sklearn: sklearn === null ? null : score(skillOf(sklearn)),
        ...(change !== undefined ? { change } : {}),
        ...(dayBefore !== undefined ? { dayBefore: { rows: dayBefore.rows, reference: reference(dayBefore), ours: modelOn(dayBefore) } } : {}),
        trainRows: trainExamples.rows.length,
      });
    }
  }
  return scores;
}

const f = (value: number, task: string): string => (task === 'regression' ? value.toFixed(1) : value.toFixed(4));

/** The table docs/forecasting.md shows. */
export function markdownTable(scores: Scores[]): string {
  const lines = [
    '| target | horizon | test windows | ours | persistence | skill over persistence | scikit-learn | 24 h earlier (ours on its windows) | learning the change: ours / scikit-learn |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const s of scores) {
    const measure = s.task === 'regression' ? 'MAE (ppm)' : 'accuracy';
    const skill = s.task === 'regression' ? 1 - s.ours / s.persistence : s.persistence === 1 ? NaN : (s.ours - s.persistence) / (1 - s.persistence);
    const day = s.dayBefore === undefined ? '–' : `${f(s.dayBefore.reference, s.task)} (${f(s.dayBefore.ours, s.task)}, ${s.dayBefore.rows} windows)`;
    const change = s.change === undefined ? '–' : `${f(s.change.ours, s.task)} / ${s.change.sklearn === null ? 'not installed' : f(s.change.sklearn, s.task)}`;
    lines.push(`| ${s.target} ${measure} | ${s.horizon} | ${s.rows} | ${f(s.ours, s.task)} | ${f(s.persistence, s.task)} | ${skill.toFixed(3)} | ${s.sklearn === null ? 'not installed' : f(s.sklearn, s.task)} | ${day} | ${change} |`);
  }
  return lines.join('\n');
}

async function forecastSection(options: BenchOptions): Promise<Section> {
  const trees = options.quick ? 30 : 100;
  const section = new Section(
    'forecast-real',
    '11. Forecasts on real data (UCI Occupancy Detection)',
    [
      'Minute readings of an office (temperature, humidity, light, CO2, occupancy; Candanedo and Feldheim 2016, CC BY 4.0),',
      `through \`iot-ai train --window --horizon\`: sliding 30-minute windows every 5 minutes (mean, min, max, last, slope,`,
      `delta of each sensor, and the calendar), ${trees} trees, trained on occupancy-train (4–10 Feb 2015) and scored on`,
      'occupancy-test (11–18 Feb). CO2 is a regression (MAE, ppm, lower is better), occupancy a classification (accuracy).',
      'Baselines: persistence (the last value before the window ended) and scikit-learn\'s RandomForestRegressor /',
      'RandomForestClassifier (defaults, same trees) on the same feature rows (`bench/sklearn_forecast.py`). The ratio',
      'column is the skill score over persistence (above 0: better than "it stays as it is").',
    ].join('\n'),
  );
  const python = (await findScikitLearn())?.python;
  if (python === undefined) section.note('scikit-learn is not installed (apt-get install -y python3-sklearn): its column is not measured');
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-forecast-real-'));
  try {
    const scores = await measure(scratch, python, trees);
    for (const s of scores) {
      const measureName = s.task === 'regression' ? 'MAE' : 'accuracy';
      const skill = s.task === 'regression' ? 1 - s.ours / s.persistence : (s.ours - s.persistence) / (1 - s.persistence);
      section.row(
        `${s.target} ${measureName}, ${s.horizon} ahead (${s.rows} windows)`,
        f(s.ours, s.task),
        `persistence ${f(s.persistence, s.task)}; scikit-learn ${s.sklearn === null ? 'not installed' : f(s.sklearn, s.task)}`,
        `skill ${skill.toFixed(3)}`,
      );
      if (s.change !== undefined) {
        section.row(
          `${s.target} MAE, ${s.horizon} ahead, learning the change (diagnostic)`,
          f(s.change.ours, s.task),
          `persistence ${f(s.persistence, s.task)}; scikit-learn ${s.change.sklearn === null ? 'not installed' : f(s.change.sklearn, s.task)}`,
          `skill ${(1 - s.change.ours / s.persistence).toFixed(3)}`,
        );
      }
      const better = (a: number, b: number): boolean => (s.task === 'regression' ? a < b : a > b);
      section.goal(`${s.target} ${s.horizon}: beat persistence`, `${measureName} ${s.task === 'regression' ? '<' : '>'} ${f(s.persistence, s.task)}`, f(s.ours, s.task), better(s.ours, s.persistence));
      if (s.sklearn !== null) {
        // "Match": within 2 % of scikit-learn's MAE, or 0.5 points of its accuracy.
        const matched = s.task === 'regression' ? s.ours <= s.sklearn * 1.02 : s.ours >= s.sklearn - 0.005;
        section.goal(`${s.target} ${s.horizon}: match scikit-learn`, `${measureName} ${s.task === 'regression' ? '≤' : '≥'} ${f(s.sklearn, s.task)} ${s.task === 'regression' ? '+ 2 %' : '− 0.005'}`, f(s.ours, s.task), matched);
      } else section.goal(`${s.target} ${s.horizon}: match scikit-learn`, 'scikit-learn', 'not installed', null);
    }
    console.log(`\n${markdownTable(scores)}\n`);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  return section;
}

if (require.main === module) runSection(forecastSection);
