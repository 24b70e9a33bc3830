/**
 * 11. Forecasts on real data (#16, docs/forecasting.md "Measured on real data"): the UCI Occupancy Detection data
 * (bench/data/occupancy-*.csv, minute readings of an office), through the code path a user runs: WINDOW.json, the
 * feature-window engine and the horizon labels (`horizonWindowExamples`), `iot-ai train --window --horizon`. Each
 * target and horizon: our forest as the command writes it (CO2: the change from co2.last, and the level beside it),
 * persistence (the last value before the window ended), the value 24 hours earlier, scikit-learn's
 * RandomForestRegressor / RandomForestClassifier on the same feature rows and target, and the calibrated interval's
 * coverage on the test week. Trained on
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
import { loadModel, type LoadedModel } from '../src/core/model/file/model-file';
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
  /** What `iot-ai train --horizon` writes by default: for CO2 the change from co2.last (docs/forecasting.md). */
  ours: number;
  persistence: number;
  /** scikit-learn given the same information: for CO2 the same relative target (label − co2.last, added back). */
  sklearn: number | null;
  /** Regression: both forests learning the level (`--change-from none`), the first measurement. */
  level?: { ours: number; sklearn: number | null };
  /**
   * Regression: the change model trained with the newest 20 % of the training week held out (its interval calibrated
   * on the older half of them, `metrics.intervalCoverage` on the newer half), and on the test week: its MAE, the
   * coverage of its calibrated interval and of the trees' raw [p10, p90].
   */
  interval?: { heldOut: number; calibrated: number; raw: number; mae: number; margin: number };
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

/** Extra `iot-ai train` options for every model (env FORECAST_TRAIN_ARGS, e.g. "--min-samples-leaf 10"): for trials. */
const EXTRA_ARGS = (process.env.FORECAST_TRAIN_ARGS ?? '').split(/\s+/).filter((arg) => arg !== '');

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
      /** `iot-ai train --window --horizon` on the training week, and the model it wrote. */
      const trainCli = async (name: string, extra: string[]): Promise<{ model: LoadedModel; stdout: string }> => {
        progress(`${label} ${horizon}: iot-ai train --window --horizon ${horizon} ${extra.join(' ')}`);
        const out = path.join(scratch, `${label}-${horizon}-${name}.json`);
        let stderr = '';
        let stdout = '';
        const code = await main(
          ['train', '--data', train, '--window', windowFile, '--label', label, '--task', task, '--horizon', horizon, '--trees', String(trees), '--seed', '1', '--out', out, ...EXTRA_ARGS, ...extra],
          { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: (text: string) => (stderr += text) } },
        );
        if (code !== 0) throw new Error(`iot-ai train ${label} ${horizon}: ${stderr}`);
        const loaded = loadModel(fs.readFileSync(out));
        if (!loaded.ok) throw new Error(loaded.error);
        return { model: loaded.model, stdout };
      };

      const ms = HORIZON_MS[horizon];
      const trainExamples = examplesOf(train, label, ms);
      const testExamples = examplesOf(test, label, ms);
      // Scored where persistence exists (here: every test window): all on the same windows.
      const keep = testExamples.rows.map((_, i) => i).filter((i) => testExamples.persistence[i] !== undefined);
      const truth = keep.map((i) => testExamples.labels[i]);
      const pick = <T>(values: T[]): T[] => keep.map((i) => values[i]);
      /** Each kept test window through the model file's own prediction (LoadedModel: change and interval included). */
      const predictions = (model: LoadedModel) => keep.map((i) => model.predictVector(Float64Array.from(testExamples.rows[i])));

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
      const maeOf = (predicted: ArrayLike<number>): number => Array.from(predicted).reduce((sum, p, k) => sum + Math.abs(p - Number(truth[k])), 0) / predicted.length;

      const main_ = await trainCli('default', ['--test-fraction', '0']);
      const oursValues = predictions(main_.model).map((p) => (task === 'regression' ? (p.value as number) : String(p.label)));
      let sklearn: Array<string | number> | null;
      let level: Scores['level'];
      let interval: Scores['interval'];
      if (task === 'regression') {
        // scikit-learn gets the same relative target: label − co2.last on the training windows, co2.last added back.
        const base = main_.model.changeFrom;
        if (base === undefined) throw new Error(`${label}: expected iot-ai train to learn the change from ${label}.last`);
        const at = (examples: HorizonExamples & { ok: true }, i: number): number => examples.rows[i][base.index];
        const trainRows = trainExamples.rows.map((_, i) => i).filter((i) => Number.isFinite(at(trainExamples, i)));
        const changes = trainExamples.labels.map((value, i) => String(Number(value) - at(trainExamples, i)));
        const sklearnChange = await scikitLearn(trainRows, changes);
        sklearn = sklearnChange === null ? null : sklearnChange.map((v, k) => at(testExamples, keep[k]) + Number(v));

        const levelModel = await trainCli('level', ['--test-fraction', '0', '--change-from', 'none']);
        const sklearnLevel = await scikitLearn(trainExamples.rows.map((_, i) => i));
        level = { ours: maeOf(predictions(levelModel.model).map((p) => p.value as number)), sklearn: sklearnLevel === null ? null : maeOf(sklearnLevel.map(Number)) };

        // The interval: the newest 20 % of the training week held out, calibrated on its older half.
        const calibrated = await trainCli('calibrated', ['--test-fraction', '0.2']);
        const metrics = calibrated.model.file.metrics as { intervalCoverage: number; interval: { margin: number } };
        const forest = calibrated.model.forest!;
        let inside = 0;
        let insideRaw = 0;
        const values: number[] = [];
        keep.forEach((i, k) => {
          const row = Float64Array.from(testExamples.rows[i]);
          const p = calibrated.model.predictVector(row);
          values.push(p.value as number);
          const y = Number(truth[k]);
          if (y >= p.interval![0] && y <= p.interval![1]) inside++;
          const { quantiles } = forest.predictRowWithQuantiles(row, [0.1, 0.9]);
          if (y >= at(testExamples, i) + quantiles[0] && y <= at(testExamples, i) + quantiles[1]) insideRaw++;
        });
        interval = { heldOut: metrics.intervalCoverage, calibrated: inside / keep.length, raw: insideRaw / keep.length, mae: maeOf(values), margin: metrics.interval.margin };
      } else {
        sklearn = await scikitLearn(trainExamples.rows.map((_, i) => i));
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
        ...(level !== undefined ? { level } : {}),
        ...(interval !== undefined ? { interval } : {}),
        ...(dayBefore !== undefined ? { dayBefore: { rows: dayBefore.rows, reference: reference(dayBefore), ours: modelOn(dayBefore) } } : {}),
        trainRows: trainExamples.rows.length,
      });
    }
  }
  return scores;
}

const f = (value: number, task: string): string => (task === 'regression' ? value.toFixed(1) : value.toFixed(4));

/** The tables docs/forecasting.md shows. */
export function markdownTable(scores: Scores[]): string {
  const lines = [
    '| target | horizon | test windows | ours | persistence | skill over persistence | scikit-learn | 24 h earlier (ours on its windows) | the level: ours / scikit-learn |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const s of scores) {
    const measure = s.task === 'regression' ? 'MAE (ppm)' : 'accuracy';
    const skill = s.task === 'regression' ? 1 - s.ours / s.persistence : s.persistence === 1 ? NaN : (s.ours - s.persistence) / (1 - s.persistence);
    const day = s.dayBefore === undefined ? '–' : `${f(s.dayBefore.reference, s.task)} (${f(s.dayBefore.ours, s.task)}, ${s.dayBefore.rows} windows)`;
    const level = s.level === undefined ? '–' : `${f(s.level.ours, s.task)} / ${s.level.sklearn === null ? 'not installed' : f(s.level.sklearn, s.task)}`;
    lines.push(`| ${s.target} ${measure} | ${s.horizon} | ${s.rows} | ${f(s.ours, s.task)} | ${f(s.persistence, s.task)} | ${skill.toFixed(3)} | ${s.sklearn === null ? 'not installed' : f(s.sklearn, s.task)} | ${day} | ${level} |`);
  }
  const intervals = scores.filter((s) => s.interval !== undefined);
  if (intervals.length > 0) {
    lines.push('', '| target | horizon | coverage on the newer half of the held-out windows (metrics.intervalCoverage) | test week: calibrated interval | test week: trees\' [p10, p90] | margin (ppm) | test-week MAE of this model |', '|---|---|---|---|---|---|---|');
    for (const s of intervals) {
      const i = s.interval!;
      lines.push(`| ${s.target} | ${s.horizon} | ${i.heldOut.toFixed(3)} | ${i.calibrated.toFixed(3)} | ${i.raw.toFixed(3)} | ${i.margin.toFixed(1)} | ${i.mae.toFixed(1)} |`);
    }
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
      'CO2 as the command learns it by default: the change from co2.last, added back (the level, --change-from none, beside it).',
      'Baselines: persistence (the last value before the window ended) and scikit-learn\'s RandomForestRegressor /',
      'RandomForestClassifier (defaults, same trees) on the same feature rows and the same target (`bench/sklearn_forecast.py`).',
      'The ratio column is the skill score over persistence (above 0: better than "it stays as it is"). The interval rows: the',
      'change model trained with the newest 20 % of the training week held out (calibrated on its older half), on the test week.',
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
      if (s.level !== undefined) {
        section.row(
          `${s.target} MAE, ${s.horizon} ahead, learning the level (--change-from none)`,
          f(s.level.ours, s.task),
          `persistence ${f(s.persistence, s.task)}; scikit-learn ${s.level.sklearn === null ? 'not installed' : f(s.level.sklearn, s.task)}`,
          `skill ${(1 - s.level.ours / s.persistence).toFixed(3)}`,
        );
      }
      if (s.interval !== undefined) {
        section.row(
          `${s.target} ${s.horizon}: calibrated interval's coverage on the test week`,
          s.interval.calibrated.toFixed(3),
          `trees' [p10, p90] ${s.interval.raw.toFixed(3)}; held-out newer half ${s.interval.heldOut.toFixed(3)}`,
          'aim 0.800',
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
