/**
 * 8. Anomaly scoring: rows/s of the two anomaly methods (isolation forest, robust z-scores), single rows and
 * batches, against plain-JS baselines that do the same arithmetic on the same rows, measured in the same run.
 * Both baselines give bit-identical scores, which the section checks on every probe row.
 */
import { robustScore, ROBUST_Z_HALF, type RobustBaseline } from '../src/core/model/monitor/anomaly';
import { CompiledForest } from '../src/core/model/forest/compiled-forest';
import type { TreeForest } from '../src/core/model/forest/forest-format';
import { averagePathLength } from '../src/core/model/forest/isolation-forest';
import { LoadedModel } from '../src/core/model/file/model-file';
import { Random } from '../src/core/util/rng';
import { trainAnomalyModel } from '../src/core/model/train/train-anomaly';
import { count, figure, progress, runSection, Section, type BenchOptions } from './lib/report';
import { alternate, ratios, spread, timeSync } from './lib/timing';

const N_FEATURES = 6;
const FEATURE_NAMES = Array.from({ length: N_FEATURES }, (_, f) => `f${f}`);
const BATCH = 1000;

/** Rows of a rounded cloud (each feature a sum of three uniforms), with 1 % of them drawn three times wider. */
function cloud(rows: number, seed: number): Float64Array[] {
  const random = new Random(seed, 3);
  return Array.from({ length: rows }, () => {
    const width = random.next() < 0.01 ? 3 : 1;
    return Float64Array.from({ length: N_FEATURES }, () => width * (random.next() + random.next() + random.next() - 1.5));
  });
}

/** The baseline's tree: one object per node, all of one shape (leaves have null children), as plain JS would write it. */
interface ObjectNode {
  feature: number;
  threshold: number;
  left: ObjectNode | null;
  right: ObjectNode | null;
  pathLength: number;
}

function objectTrees(forest: TreeForest): ObjectNode[] {
  return forest.trees.map((tree) => {
    const nodes: ObjectNode[] = tree.feature.map((feature, i) => ({ feature, threshold: tree.threshold[i], left: null, right: null, pathLength: tree.value[i] }));
    tree.left.forEach((left, i) => {
      if (left !== -1) {
        nodes[i].left = nodes[left];
        nodes[i].right = nodes[tree.right[i]];
      }
    });
    return nodes[0];
  });
}

/** The isolation-forest baseline: walk each object tree, average the path lengths, 2^(−mean / c(ψ)). */
function objectForestScorer(forest: TreeForest): (row: Float64Array) => number {
  const roots = objectTrees(forest);
  const normaliser = averagePathLength(forest.sampleSize as number);
  return (row) => {
    let sum = 0;
    for (const root of roots) {
      let node = root;
      while (node.left !== null) node = row[node.feature] <= node.threshold ? node.left : (node.right as ObjectNode);
      sum += node.pathLength;
    }
    return 2 ** (-(sum / roots.length) / normaliser);
  };
}

/** The robust-z baseline: the hand-written loop, largest |x − centre| / scale squashed to z² / (z² + 3.5²). */
function zLoopScorer(baseline: RobustBaseline): (row: Float64Array) => number {
  const center = Float64Array.from(baseline.center);
  const scale = Float64Array.from(baseline.scale);
  const half = ROBUST_Z_HALF * ROBUST_Z_HALF;
  return (row) => {
    let largest = 0;
    for (let f = 0; f < center.length; f++) {
      const z = Math.abs(row[f] - center[f]) / scale[f];
      if (z > largest) largest = z;
    }
    return (largest * largest) / (largest * largest + half);
  };
}

async function anomalySection(options: BenchOptions): Promise<Section> {
  const rounds = options.quick ? 2 : 3;
  const trainRows = options.quick ? 2_000 : 10_000;
  const probeRows = options.quick ? 10_000 : 50_000;
  progress(`training: isolation forest and robust-z on ${count(trainRows)} rows`);
  const train = cloud(trainRows, 1);
  const createdAt = new Date(0);
  const forestModel = new LoadedModel((await trainAnomalyModel({ featureNames: FEATURE_NAMES, rows: train }, { name: 'if', createdAt, method: 'isolation-forest' })).model);
  const robustModel = new LoadedModel((await trainAnomalyModel({ featureNames: FEATURE_NAMES, rows: train }, { name: 'rz', createdAt, method: 'robust-z' })).model);
  const compiled = forestModel.forest as CompiledForest;
  const forest = forestModel.file.forest as TreeForest;
  // The same trees walked one at a time, to show what the lock-step walk adds.
  const branching = new CompiledForest(forest, { walk: 'branching' });
  const baseline = robustModel.anomaly?.baseline as RobustBaseline;
  const section = new Section(
    'anomaly',
    '8. Anomaly scoring',
    [
      'Six features, a rounded cloud with 1 % of the rows three times wider. Isolation forest: `trainAnomalyModel` on',
      `${count(trainRows)} rows with its defaults (100 trees of ψ = 256 rows, depth ≤ 8), scored with \`CompiledForest.anomalyScore\``,
      `(single rows) and \`CompiledForest.anomalyScores\` (batches of ${count(BATCH)}), with the ${compiled.walk} walk the forest picks.`,
      'Its baseline walks the same trees held as plain JS objects (one object per node, all of one shape) and averages',
      'the path lengths the same way; one row shows our branching walk (one tree at a time) on the same trees. Robust-z:',
      '`robustScore` (what the model file calls) against a hand-written loop over typed arrays (largest |x − median| /',
      'scale, squashed), which does the least work the score allows; it has no batch form, one row is its unit.',
      '`LoadedModel.predict` of a features object is what model-predict calls per message (feature checks, score, label,',
      'confidence), against the same baselines. Rows/s; ratios ours ÷ baseline. Every probe row must score identically',
      'on both sides.',
    ].join('\n'),
  );
  const objectScore = objectForestScorer(forest);
  const zLoopScore = zLoopScorer(baseline);

  const probe = cloud(probeRows, 2);
  const probeObjects = probe.map((row) => Object.fromEntries(FEATURE_NAMES.map((name, f) => [name, row[f]])));
  const batches: Float64Array[][] = [];
  for (let start = 0; start + BATCH <= probe.length; start += BATCH) batches.push(probe.slice(start, start + BATCH));
  const batchScores = new Float64Array(BATCH);

  let forestMismatches = 0;
  let robustMismatches = 0;
  const batchAnswers = batches.flatMap((batch) => Array.from(compiled.anomalyScores(batch)));
  probe.forEach((row, i) => {
    const theirs = objectScore(row);
    if (compiled.anomalyScore(row) !== theirs || batchAnswers[i] !== theirs || branching.anomalyScore(row) !== theirs) forestMismatches++;
    if (robustScore(row, baseline) !== zLoopScore(row)) robustMismatches++;
  });
  progress(`${count(probe.length)} probe rows: ${forestMismatches} isolation-forest and ${robustMismatches} robust-z scores differ from the baselines`);

  // Each run scores the probe (robust-z: several passes, one takes well under a millisecond) and returns a
  // checksum of the scores, so that none is optimised away.
  const zPasses = options.quick ? 10 : 20;
  let checksum = 0;
  const rowsPerSecond = (rows: number, score: () => number) => () => {
    const timed = timeSync(score);
    checksum += timed.result;
    return rows / timed.seconds;
  };
  const sumOver = <T>(items: readonly T[], passes: number, score: (item: T) => number) => () => {
    let sum = 0;
    for (let pass = 0; pass < passes; pass++) for (const item of items) sum += score(item);
    return sum;
  };
  const inBatches = () => {
    let sum = 0;
    for (const batch of batches) sum += compiled.anomalyScores(batch, batchScores)[0];
    return sum;
  };
  const objectBatches = () => {
    let sum = 0;
    for (const batch of batches) {
      for (let r = 0; r < batch.length; r++) batchScores[r] = objectScore(batch[r]);
      sum += batchScores[0];
    }
    return sum;
  };
  const predicted = (model: LoadedModel) => (features: Record<string, number>) => {
    const result = model.predict(features);
    return result.ok ? (result.prediction.score ?? 0) : 0;
  };
  progress(`scoring rates, ${rounds} rounds`);
  const rates = await alternate(
    [
      { name: 'forestRow', measure: rowsPerSecond(probe.length, sumOver(probe, 1, (row) => compiled.anomalyScore(row))) },
      { name: 'objectRow', measure: rowsPerSecond(probe.length, sumOver(probe, 1, objectScore)) },
      { name: 'branchingRow', measure: rowsPerSecond(probe.length, sumOver(probe, 1, (row) => branching.anomalyScore(row))) },
      { name: 'forestBatch', measure: rowsPerSecond(batches.length * BATCH, inBatches) },
      { name: 'objectBatch', measure: rowsPerSecond(batches.length * BATCH, objectBatches) },
      { name: 'forestLoaded', measure: rowsPerSecond(probe.length, sumOver(probeObjects, 1, predicted(forestModel))) },
      { name: 'robustRow', measure: rowsPerSecond(probe.length * zPasses, sumOver(probe, zPasses, (row) => robustScore(row, baseline))) },
      { name: 'zLoopRow', measure: rowsPerSecond(probe.length * zPasses, sumOver(probe, zPasses, zLoopScore)) },
      { name: 'robustLoaded', measure: rowsPerSecond(probe.length, sumOver(probeObjects, 1, predicted(robustModel))) },
    ],
    { rounds },
  );
  if (!Number.isFinite(checksum)) throw new Error('bad checksum');

  const rowRate = (name: string) => `${figure(spread(rates[name]), 'rate')} rows`;
  const ratio = (ours: string, theirs: string) => figure(ratios(rates[ours], rates[theirs]), 'ratio');
  const nodes = count(compiled.nodeCount);
  section.row(`isolation forest (100 trees, ${nodes} nodes, ${compiled.walk} walk), single row: anomalyScore (baseline: object-tree walk)`, rowRate('forestRow'), rowRate('objectRow'), ratio('forestRow', 'objectRow'));
  section.row('isolation forest, single row, the branching walk forced (one tree at a time)', rowRate('branchingRow'), rowRate('objectRow'), ratio('branchingRow', 'objectRow'));
  section.row(`isolation forest, batches of ${count(BATCH)}: anomalyScores (baseline: object-tree walk, row by row)`, rowRate('forestBatch'), rowRate('objectBatch'), ratio('forestBatch', 'objectBatch'));
  section.row('isolation forest: LoadedModel.predict(features object), as model-predict calls it', rowRate('forestLoaded'), rowRate('objectRow'), ratio('forestLoaded', 'objectRow'));
  section.row('robust-z, single row: robustScore (baseline: hand-written z-score loop)', rowRate('robustRow'), rowRate('zLoopRow'), ratio('robustRow', 'zLoopRow'));
  section.row('robust-z: LoadedModel.predict(features object), as model-predict calls it', rowRate('robustLoaded'), rowRate('zLoopRow'), ratio('robustLoaded', 'zLoopRow'));
  section.row(`scores that differ from the baselines, of ${count(probe.length)} rows (isolation forest, robust-z)`, `${count(forestMismatches)}, ${count(robustMismatches)}`);
  section.goal('anomaly scores identical to the plain-JS baselines', '0 differences', `${count(forestMismatches + robustMismatches)}`, forestMismatches + robustMismatches === 0);
  return section;
}

if (require.main === module) runSection(anomalySection);
