/**
 * 9. What model-predict's `explain` costs: explained predictions per second against plain ones, in the same run
 * (issue #17). An explanation walks every path of every tree (TreeSHAP, src/core/model/forest/shap.ts) where a
 * prediction walks one.
 */
import { LoadedModel, type ModelFile } from '../src/core/model/file/model-file';
import { CompiledForest } from '../src/core/model/forest/compiled-forest';
import { trainIsolationForest } from '../src/core/model/forest/isolation-forest';
import { ForestExplainer } from '../src/core/model/forest/shap';
import { trainForest } from '../src/core/model/forest/trainer';
import { classification } from './lib/data';
import { count, figure, progress, runSection, Section, type BenchOptions } from './lib/report';
import { alternate, ratios, spread, timeSync } from './lib/timing';

const N_FEATURES = 6;
const FEATURE_NAMES = Array.from({ length: N_FEATURES }, (_, f) => `f${f}`);

async function explainSection(options: BenchOptions): Promise<Section> {
  const rounds = options.quick ? 2 : 3;
  const trainRows = options.quick ? 2_000 : 10_000;
  const section = new Section(
    'explain',
    '9. Explanations (model-predict `explain`)',
    [
      `A classifier trained by our trainer at model-train's defaults (50 trees, depth unlimited) on ${count(trainRows)} rows of`,
      `the benchmark's ${N_FEATURES}-feature, 3-class data, and an isolation forest at the anomaly defaults (100 trees, ψ = 256,`,
      'depth ≤ 8). Rows/s of `LoadedModel.predict(features)` as model-predict calls it, plain and with `explain: 6`',
      '(every feature: exact TreeSHAP of the winning probability), and of the isolation score plain (`anomalyScore`) and',
      'explained (`ForestExplainer.scoreValues`); the ratio is plain ÷ explained: how many plain predictions one',
      'explanation costs. Measured alternately in the same run.',
    ].join('\n'),
  );

  const data = classification(trainRows, 11, N_FEATURES);
  const { forest } = trainForest(data, { task: 'classification', nTrees: 50, seed: 1 });
  const file: ModelFile = {
    format: 'iot-ai/random-forest@1',
    task: 'classification',
    name: 'bench',
    version: '1.0.0',
    createdAt: new Date(0).toISOString(),
    featureNames: FEATURE_NAMES,
    labels: [0, 1, 2],
    metrics: {},
    forest,
  };
  const loaded = new LoadedModel(file);
  const probe = classification(options.quick ? 100 : 300, 12, N_FEATURES).rows;
  const probeObjects = probe.map((row) => Object.fromEntries(FEATURE_NAMES.map((name, f) => [name, row[f]])));
  const isolation = trainIsolationForest(data.rows, { nTrees: 100, sampleSize: 256, seed: 1 }).forest;
  const isolationCompiled = new CompiledForest(isolation);
  const isolationExplainer = new ForestExplainer(isolation);
  const nodes = forest.trees.reduce((sum, tree) => sum + tree.feature.length, 0);
  progress(`explain: ${count(nodes)} nodes in the classifier, ${count(probe.length)} probe rows, ${rounds} rounds`);

  // Additivity on the probe, so the figures are of answers that are right.
  let worst = 0;
  for (const features of probeObjects) {
    const result = loaded.predict(features, { explain: N_FEATURES });
    if (!result.ok || result.prediction.explanation === undefined) throw new Error('no explanation');
    const { base, contributions } = result.prediction.explanation;
    worst = Math.max(worst, Math.abs(contributions.reduce((sum, c) => sum + c.contribution, base) - result.prediction.confidence));
  }

  let checksum = 0;
  // Plain predictions are fast: each measurement repeats the probe so that none lasts only a few milliseconds.
  const plainPasses = options.quick ? 100 : 500;
  const rowsPerSecond = (rows: number, work: () => number) => () => {
    const timed = timeSync(work);
    checksum += timed.result;
    return rows / timed.seconds;
  };
  const over = <T>(items: readonly T[], answer: (item: T) => number, passes = 1) => () => {
    let sum = 0;
    for (let pass = 0; pass < passes; pass++) for (const item of items) sum += answer(item);
    return sum;
  };
  const confidence = (explain: number) => (features: Record<string, number>) => {
    const result = loaded.predict(features, explain > 0 ? { explain } : {});
    return result.ok ? result.prediction.confidence : 0;
  };
  const rates = await alternate(
    [
      { name: 'plain', measure: rowsPerSecond(probe.length * plainPasses, over(probeObjects, confidence(0), plainPasses)) },
      { name: 'explained', measure: rowsPerSecond(probe.length, over(probeObjects, confidence(N_FEATURES))) },
      { name: 'isolationPlain', measure: rowsPerSecond(probe.length * plainPasses, over(probe, (row) => isolationCompiled.anomalyScore(row), plainPasses)) },
      { name: 'isolationExplained', measure: rowsPerSecond(probe.length, over(probe, (row) => isolationExplainer.scoreValues(row).base)) },
    ],
    { rounds },
  );
  if (!Number.isFinite(checksum)) throw new Error('bad checksum');
  const rate = (name: string) => `${figure(spread(rates[name]), 'rate')} rows`;
  const cost = ratios(rates.plain, rates.explained);
  const isolationCost = ratios(rates.isolationPlain, rates.isolationExplained);
  section.row('classifier, LoadedModel.predict: explained (explain 6) vs plain (baseline); ratio plain ÷ explained', rate('explained'), rate('plain'), figure(cost, 'ratio'));
  section.row('isolation forest: explained score (scoreValues) vs anomalyScore (baseline); ratio plain ÷ explained', rate('isolationExplained'), rate('isolationPlain'), figure(isolationCost, 'ratio'));
  section.row('largest |base + Σ contributions − probability| on the probe', worst.toExponential(1));
  return section;
}

if (require.main === module) runSection(explainSection);
