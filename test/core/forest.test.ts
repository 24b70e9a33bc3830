import assert from 'node:assert/strict';
import fc from 'fast-check';
import { binOf, quantileEdges } from '../../src/core/model/forest/binning';
import { CompiledForest, ForestPrediction } from '../../src/core/model/forest/compiled-forest';
import { checkTreeForest, Tree, TreeForest, TREES_KIND } from '../../src/core/model/forest/forest-format';
import { accuracy, rSquared, trainTestSplit } from '../../src/core/model/train/metrics';
import { trainIsolationForest } from '../../src/core/model/forest/isolation-forest';
import { ForestTrainer, trainForest } from '../../src/core/model/forest/trainer';
import { regressionData, subset, threeClassData } from './model-test-data';

/** The reference semantics, written as plainly as possible: go left when x <= threshold (NaN goes right). */
function naiveLeaf(tree: Tree, row: ArrayLike<number>, node = 0): number {
  if (tree.left[node] === -1) return tree.value[node];
  return row[tree.feature[node]] <= tree.threshold[node]
    ? naiveLeaf(tree, row, tree.left[node])
    : naiveLeaf(tree, row, tree.right[node]);
}

function naivePredict(forest: TreeForest, row: ArrayLike<number>): ForestPrediction {
  const outputs = forest.trees.map((tree) => naiveLeaf(tree, row));
  if (forest.nClasses > 0) {
    const votes = new Array<number>(forest.nClasses).fill(0);
    for (const vote of outputs) votes[vote]++;
    const classIndex = votes.indexOf(Math.max(...votes));
    const probabilities = votes.map((v) => v / outputs.length);
    return { task: 'classification', classIndex, confidence: probabilities[classIndex], probabilities };
  }
  const mean = outputs.reduce((a, b) => a + b, 0) / outputs.length;
  const spread = Math.sqrt(outputs.reduce((a, b) => a + (b - mean) ** 2, 0) / outputs.length);
  return { task: 'regression', value: mean, spread, confidence: 1 };
}

function depthOf(tree: Tree, node = 0): number {
  return tree.left[node] === -1 ? 0 : 1 + Math.max(depthOf(tree, tree.left[node]), depthOf(tree, tree.right[node]));
}

function predictClasses(forest: TreeForest, rows: Float64Array[]): Float64Array {
  const compiled = new CompiledForest(forest);
  return Float64Array.from(rows, (row) => {
    const p = compiled.predictRow(row);
    assert.equal(p.task, 'classification');
    return p.classIndex;
  });
}

function predictValues(forest: TreeForest, rows: Float64Array[]): Float64Array {
  const compiled = new CompiledForest(forest);
  return Float64Array.from(rows, (row) => {
    const p = compiled.predictRow(row);
    assert.equal(p.task, 'regression');
    return p.value;
  });
}

// ---- random forests for property tests ----

const SPLIT_POINTS = [-2, -0.5, 0, 0.5, 1, 2.5];

type NodeSpec = { value: number } | { feature: number; threshold: number; left: NodeSpec; right: NodeSpec };

function nodeArbitrary(nFeatures: number, nClasses: number): fc.Arbitrary<NodeSpec> {
  const { node } = fc.letrec<{ node: NodeSpec; leaf: NodeSpec; split: NodeSpec }>((tie) => ({
    node: fc.oneof({ maxDepth: 7, depthIdentifier: 'tree' }, tie('leaf'), tie('split')),
    leaf: fc.record({
      value: nClasses > 0 ? fc.integer({ min: 0, max: nClasses - 1 }) : fc.double({ min: -1e3, max: 1e3, noNaN: true }),
    }),
    split: fc.record({
      feature: fc.integer({ min: 0, max: nFeatures - 1 }),
      // Thresholds from a small set, so rows often sit exactly on one.
      threshold: fc.oneof(fc.constantFrom(...SPLIT_POINTS), fc.double({ min: -3, max: 3, noNaN: true })),
      left: tie('node'),
      right: tie('node'),
    }),
  }));
  return node;
}

/** Lays a nested tree out as arrays, with node ids shuffled by `order` (the root stays 0). */
function flatten(spec: NodeSpec, order: number[]): Tree {
  const nodes: NodeSpec[] = [];
  const collect = (n: NodeSpec): void => {
    nodes.push(n);
    if ('feature' in n) {
      collect(n.left);
      collect(n.right);
    }
  };
  collect(spec);
  const ids = nodes.map((_, i) => i);
  const rest = ids.slice(1).sort((a, b) => (order[a % order.length] ?? 0) - (order[b % order.length] ?? 0) || a - b);
  const idOf = new Map<NodeSpec, number>();
  idOf.set(nodes[0], 0);
  rest.forEach((original, k) => idOf.set(nodes[original], k + 1));
  const tree: Tree = { feature: [], threshold: [], left: [], right: [], value: [] };
  for (const n of nodes) {
    const id = idOf.get(n) as number;
    if ('feature' in n) {
      tree.feature[id] = n.feature;
      tree.threshold[id] = n.threshold;
      tree.left[id] = idOf.get(n.left) as number;
      tree.right[id] = idOf.get(n.right) as number;
      tree.value[id] = 0;
    } else {
      tree.feature[id] = -1;
      tree.threshold[id] = 0;
      tree.left[id] = -1;
      tree.right[id] = -1;
      tree.value[id] = n.value;
    }
  }
  return tree;
}

function forestArbitrary(nClasses: number): fc.Arbitrary<TreeForest> {
  const nFeatures = 3;
  return fc
    .array(fc.tuple(nodeArbitrary(nFeatures, nClasses), fc.array(fc.integer(), { maxLength: 20 })), { minLength: 1, maxLength: 12 })
    .map((specs) => ({ kind: TREES_KIND, nFeatures, nClasses, trees: specs.map(([spec, order]) => flatten(spec, order)) }));
}

const rowArbitrary = fc.array(
  fc.oneof(fc.constantFrom(...SPLIT_POINTS, NaN, -0), fc.double({ min: -4, max: 4, noNaN: true })),
  { minLength: 3, maxLength: 3 },
);

describe('model/forest: compiled inference', () => {
  it('equals a naive recursive walk of the forest object (classification)', () => {
    fc.assert(
      fc.property(forestArbitrary(4), fc.array(rowArbitrary, { minLength: 1, maxLength: 20 }), (forest, rows) => {
        assert.equal(checkTreeForest(forest), null);
        const compiled = new CompiledForest(forest);
        for (const row of rows) assert.deepEqual(compiled.predictRow(Float64Array.from(row)), naivePredict(forest, row));
      }),
      { numRuns: 300 },
    );
  });

  it('equals a naive recursive walk of the forest object (regression)', () => {
    fc.assert(
      fc.property(forestArbitrary(0), fc.array(rowArbitrary, { minLength: 1, maxLength: 20 }), (forest, rows) => {
        const compiled = new CompiledForest(forest);
        for (const row of rows) {
          const got = compiled.predictRow(Float64Array.from(row));
          const want = naivePredict(forest, row);
          assert.ok(got.task === 'regression' && want.task === 'regression');
          assert.ok(Math.abs(got.value - want.value) <= 1e-9 * Math.max(1, Math.abs(want.value)), `${got.value} vs ${want.value}`);
          assert.ok(Math.abs(got.spread - want.spread) <= 1e-9 * Math.max(1, want.spread), `${got.spread} vs ${want.spread}`);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('answers the class alone (predictClass) as the full vote does, both walks, both tie-breaks, ties included', () => {
    // The class whose count first reached the largest count, in tree order (ml-random-forest's mode).
    const firstToMax = (outputs: number[]): number => {
      const counts = new Map<number, number>();
      let winner = 0;
      let most = 0;
      for (const vote of outputs) {
        const count = (counts.get(vote) ?? 0) + 1;
        counts.set(vote, count);
        if (count > most) {
          most = count;
          winner = vote;
        }
      }
      return winner;
    };
    let ties = 0;
    let early = 0;
    fc.assert(
      fc.property(forestArbitrary(3), fc.array(rowArbitrary, { minLength: 1, maxLength: 20 }), (forest, rows) => {
        for (const tieBreak of ['lowest-index', 'first-to-max'] as const) {
          const walks = (['branching', 'lockstep'] as const).map((walk) => new CompiledForest(forest, { walk, tieBreak }));
          for (const row of rows) {
            const outputs = forest.trees.map((tree) => naiveLeaf(tree, row));
            const votes = [0, 1, 2].map((c) => outputs.filter((o) => o === c).length);
            const most = Math.max(...votes);
            if (votes.filter((v) => v === most).length > 1) ties++;
            if (2 * most > outputs.length && outputs.length > 1) early++;
            const want = tieBreak === 'first-to-max' ? firstToMax(outputs) : votes.indexOf(most);
            for (const compiled of walks) {
              const x = Float64Array.from(row);
              assert.equal(compiled.predictClass(x), want, `${compiled.walk} walk, ${tieBreak}: predictClass`);
              const counted = new Int32Array(3);
              assert.equal(compiled.countVotes(x, counted), want, `${compiled.walk} walk, ${tieBreak}: countVotes`);
              assert.deepEqual(Array.from(counted), votes);
              const prediction = compiled.predictRow(x);
              assert.ok(prediction.task === 'classification' && prediction.classIndex === want);
            }
          }
        }
      }),
      { numRuns: 400 },
    );
    // The cases that matter were drawn: tied votes, and majorities that let the walk stop early.
    assert.ok(ties > 50 && early > 50, `${ties} ties, ${early} early majorities`);
  });

  it('refuses a classification leaf that holds no class index', () => {
    const stump = (value: number): Tree => ({ feature: [0, -1, -1], threshold: [0, 0, 0], left: [1, -1, -1], right: [2, -1, -1], value: [0, 0, value] });
    for (const value of [2, -1, 0.5, NaN]) {
      assert.throws(() => new CompiledForest({ kind: TREES_KIND, nFeatures: 1, nClasses: 2, trees: [stump(value)] }), /not a class index in \[0, 2\)/);
    }
    assert.equal(new CompiledForest({ kind: TREES_KIND, nFeatures: 1, nClasses: 0, trees: [stump(0.5)] }).predictRow(Float64Array.of(1)).confidence, 1);
  });

  it('gives vote fractions that sum to 1 and equal the counted tree votes', () => {
    const data = threeClassData(800, 3);
    const { forest } = trainForest(data, { task: 'classification', nTrees: 25, seed: 4 });
    const compiled = new CompiledForest(forest);
    for (const row of data.rows.slice(0, 200)) {
      const outputs = Array.from(compiled.treeOutputs(row));
      const prediction = compiled.predictRow(row);
      assert.ok(prediction.task === 'classification');
      const sum = prediction.probabilities.reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - 1) < 1e-12, `fractions sum to ${sum}`);
      for (let c = 0; c < 3; c++) {
        assert.equal(prediction.probabilities[c], outputs.filter((o) => o === c).length / 25);
      }
      assert.equal(prediction.confidence, Math.max(...prediction.probabilities));
    }
  });

  it('gives the population standard deviation of the tree outputs as spread', () => {
    const data = regressionData(600, 5);
    const { forest } = trainForest(data, { task: 'regression', nTrees: 20, seed: 2 });
    const compiled = new CompiledForest(forest);
    for (const row of data.rows.slice(0, 100)) {
      const outputs = Array.from(compiled.treeOutputs(row));
      const mean = outputs.reduce((a, b) => a + b, 0) / outputs.length;
      const std = Math.sqrt(outputs.reduce((a, b) => a + (b - mean) ** 2, 0) / outputs.length);
      const prediction = compiled.predictRow(row);
      assert.ok(prediction.task === 'regression');
      assert.ok(Math.abs(prediction.value - mean) < 1e-9);
      assert.ok(Math.abs(prediction.spread - std) < 1e-9);
      assert.equal(prediction.confidence, 1);
    }
  });

  it('breaks a tied vote towards the lowest class index', () => {
    const stump = (feature: number, low: number, high: number): Tree => ({
      feature: [feature, -1, -1],
      threshold: [0, 0, 0],
      left: [1, -1, -1],
      right: [2, -1, -1],
      value: [0, low, high],
    });
    // Tree 0 votes 2, tree 1 votes 1 for x = [1, -1]: a tie between 1 and 2.
    const forest: TreeForest = { kind: TREES_KIND, nFeatures: 2, nClasses: 3, trees: [stump(0, 0, 2), stump(1, 1, 0)] };
    const prediction = new CompiledForest(forest).predictRow(Float64Array.of(1, -1));
    assert.deepEqual(prediction, { task: 'classification', classIndex: 1, confidence: 0.5, probabilities: [0, 0.5, 0.5] });
  });

  it('lands every tree on the leaf the reference walk reaches, both walks, for rows sitting exactly on the thresholds', () => {
    // Rows built from the forest's own thresholds (and their neighbours), so every `x <= threshold` edge is crossed.
    const edgeRows = (forest: TreeForest, picks: number[][]): Float64Array[] => {
      const values = [0, -0, Infinity, -Infinity, NaN, ...forest.trees.flatMap((tree) => tree.threshold)];
      const near = values.flatMap((v) => [v, v + 1e-9, v - 1e-9]);
      return picks.map((pick) => Float64Array.from(pick, (i) => near[i % near.length]));
    };
    const picks = fc.array(fc.array(fc.nat(), { minLength: 3, maxLength: 3 }), { minLength: 1, maxLength: 30 });
    fc.assert(
      fc.property(forestArbitrary(4), forestArbitrary(0), picks, (classifier, regressor, chosen) => {
        for (const forest of [classifier, regressor]) {
          const walks = (['branching', 'lockstep'] as const).map((walk) => new CompiledForest(forest, { walk }));
          assert.deepEqual(walks.map((compiled) => compiled.walk), ['branching', 'lockstep']);
          for (const row of edgeRows(forest, chosen)) {
            const want = forest.trees.map((tree) => naiveLeaf(tree, row));
            for (const compiled of walks) assert.deepEqual(Array.from(compiled.treeOutputs(row)), want, `${compiled.walk} walk`);
            assert.deepEqual(walks[1].predictRow(row), walks[0].predictRow(row));
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('picks the lock-step walk for large or evenly deep forests, the branching walk for small lopsided ones', () => {
    const data = threeClassData(2000, 8);
    // 40 trees of a few hundred nodes each: well past the nodes that fit a first-level cache.
    const large = new CompiledForest(trainForest(data, { task: 'classification', nTrees: 40, seed: 1 }).forest);
    assert.ok(large.nodeCount > 4096, String(large.nodeCount));
    assert.equal(large.walk, 'lockstep');
    // One small tree whose leaves sit at depths 1 to 12 (mean 7): the lock-step walk would take 4 × 12 steps.
    const chain: Tree = { feature: [], threshold: [], left: [], right: [], value: [] };
    for (let k = 0; k < 12; k++) {
      chain.feature.push(0, -1);
      chain.threshold.push(k, 0);
      chain.left.push(2 * k + 1, -1);
      chain.right.push(2 * k + 2, -1);
      chain.value.push(0, k % 3);
    }
    chain.feature.push(-1);
    chain.threshold.push(0);
    chain.left.push(-1);
    chain.right.push(-1);
    chain.value.push(1);
    const lopsided: TreeForest = { kind: TREES_KIND, nFeatures: 1, nClasses: 3, trees: [chain] };
    assert.equal(checkTreeForest(lopsided), null);
    assert.equal(new CompiledForest(lopsided).walk, 'branching');
    assert.equal(new CompiledForest(lopsided, { walk: 'lockstep' }).walk, 'lockstep');
    // An isolation forest: every tree stops at the same height limit.
    const isolation = new CompiledForest(trainIsolationForest(data.rows, { nTrees: 8, sampleSize: 64, seed: 2 }).forest);
    assert.equal(isolation.walk, 'lockstep');
  });

  it('walks very deep, lopsided trees without recursion', () => {
    // A chain of 20,000 splits on x0 <= k (left leaf k) leaning right, and its mirror leaning left.
    const depth = 20_000;
    const chain = (leanRight: boolean): Tree => {
      const tree: Tree = { feature: [], threshold: [], left: [], right: [], value: [] };
      for (let k = 0; k < depth; k++) {
        const split = 2 * k;
        const next = split + 2;
        tree.feature[split] = 0;
        tree.threshold[split] = leanRight ? k : depth - k;
        tree.left[split] = leanRight ? split + 1 : next;
        tree.right[split] = leanRight ? next : split + 1;
        tree.value[split] = 0;
        tree.feature[split + 1] = tree.left[split + 1] = tree.right[split + 1] = -1;
        tree.threshold[split + 1] = 0;
        tree.value[split + 1] = k;
      }
      const last = 2 * depth;
      tree.feature[last] = tree.left[last] = tree.right[last] = -1;
      tree.threshold[last] = 0;
      tree.value[last] = depth;
      return tree;
    };
    const forest: TreeForest = { kind: TREES_KIND, nFeatures: 1, nClasses: 0, trees: [chain(true), chain(false)] };
    assert.equal(checkTreeForest(forest), null);
    const walks = (['branching', 'lockstep'] as const).map((walk) => new CompiledForest(forest, { walk }));
    for (const compiled of walks) assert.equal(compiled.nodeCount, 2 * (2 * depth + 1));
    const iterativeLeaf = (tree: Tree, x: number): number => {
      let node = 0;
      while (tree.left[node] !== -1) node = x <= tree.threshold[node] ? tree.left[node] : tree.right[node];
      return tree.value[node];
    };
    for (const x of [-1, 0, 0.5, 7, 12_345, depth - 1, depth - 0.5, depth, depth + 1, NaN]) {
      for (const compiled of walks) {
        const outputs = Array.from(compiled.treeOutputs(Float64Array.of(x)));
        assert.deepEqual(outputs, forest.trees.map((tree) => iterativeLeaf(tree, x)), `${compiled.walk} walk, x = ${x}`);
      }
    }
  });

  it('refuses a forest whose nodes are shared or cyclic, or that splits on a feature it does not have', () => {
    const shared: Tree = { feature: [0, -1, 0], threshold: [0, 0, 1], left: [1, -1, 1], right: [2, -1, 1], value: [0, 1, 0] };
    assert.throws(() => new CompiledForest({ kind: TREES_KIND, nFeatures: 1, nClasses: 2, trees: [shared] }), /reached twice/);
    const stump = (feature: number): Tree => ({ feature: [feature, -1, -1], threshold: [0, 0, 0], left: [1, -1, -1], right: [2, -1, -1], value: [0, 0, 1] });
    for (const feature of [1, -1, 0.5]) {
      assert.throws(() => new CompiledForest({ kind: TREES_KIND, nFeatures: 1, nClasses: 2, trees: [stump(feature)] }), /outside \[0, 1\)/);
    }
  });

  it('predicts a batch of plain arrays like row by row', () => {
    const data = threeClassData(300, 9);
    const { forest } = trainForest(data, { task: 'classification', nTrees: 10 });
    const compiled = new CompiledForest(forest);
    const batch = compiled.predictBatch(data.rows.map((row) => Array.from(row)));
    data.rows.forEach((row, i) => assert.deepEqual(batch[i], compiled.predictRow(row)));
    assert.throws(() => compiled.predictRow(new Float64Array(2)), /needs 5/);
  });
});

describe('model/forest: trainer', () => {
  it('is deterministic for a seed, and the seed matters', () => {
    const data = threeClassData(1000, 1);
    const a = trainForest(data, { task: 'classification', nTrees: 8, seed: 42 });
    const b = trainForest(data, { task: 'classification', nTrees: 8, seed: 42 });
    const c = trainForest(data, { task: 'classification', nTrees: 8, seed: 43 });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.forest, c.forest);
    const r1 = trainForest(regressionData(500, 1), { task: 'regression', nTrees: 5, seed: 7 });
    const r2 = trainForest(regressionData(500, 1), { task: 'regression', nTrees: 5, seed: 7 });
    assert.deepEqual(r1, r2);
  });

  it('gives tree t the same shape whatever came before it (one random stream per tree)', () => {
    const data = threeClassData(500, 2);
    const five = trainForest(data, { task: 'classification', nTrees: 5, seed: 3 });
    const two = trainForest(data, { task: 'classification', nTrees: 2, seed: 3 });
    assert.deepEqual(two.forest.trees, five.forest.trees.slice(0, 2));
  });

  it('writes valid forests whose thresholds are real training values', () => {
    const data = threeClassData(700, 4, { nFeatures: 4 });
    const { forest } = trainForest(data, { task: 'classification', nTrees: 6, maxBins: 32 });
    assert.equal(checkTreeForest(forest), null);
    const valuesOf = [0, 1, 2, 3].map((f) => new Set(data.rows.map((row) => row[f])));
    for (const tree of forest.trees) {
      tree.feature.forEach((f, node) => {
        if (f >= 0) assert.ok(valuesOf[f].has(tree.threshold[node]), `threshold ${tree.threshold[node]} is not a value of feature ${f}`);
      });
    }
  });

  it('memorises distinct training rows with one unpruned tree on all rows (bins and thresholds agree)', () => {
    const data = threeClassData(2000, 5, { labelNoise: 0.3 });
    const { forest } = trainForest(data, { task: 'classification', nTrees: 1, bootstrap: false, maxFeatures: 'all', maxBins: 256 });
    // Rows with identical features but different labels cannot be separated; the data has none.
    assert.equal(accuracy(data.target, predictClasses(forest, data.rows)), 1);
    const reg = regressionData(1500, 5);
    const fitted = trainForest(reg, { task: 'regression', nTrees: 1, bootstrap: false, maxFeatures: 'all', minSamplesLeaf: 1 });
    assert.deepEqual(Array.from(predictValues(fitted.forest, reg.rows)).map((v) => v.toFixed(9)), Array.from(reg.target).map((v) => v.toFixed(9)));
  });

  it('splits a node only when the split gains more than minGain per row (Gini, as ml-cart counts it)', () => {
    const data = threeClassData(1500, 9, { labelNoise: 0.2 });
    const gini = (labels: number[]): number => {
      const counts = new Map<number, number>();
      for (const label of labels) counts.set(label, (counts.get(label) ?? 0) + 1);
      let sumSquares = 0;
      for (const count of counts.values()) sumSquares += (count / labels.length) ** 2;
      return 1 - sumSquares;
    };
    /** The Gini gain of every split of the tree, from the training rows that reach it. */
    const splitGains = (tree: Tree): number[] => {
      const gains: number[] = [];
      const visit = (node: number, rows: number[]): void => {
        if (tree.left[node] === -1) return;
        const goesLeft = (r: number) => data.rows[r][tree.feature[node]] <= tree.threshold[node];
        const left = rows.filter(goesLeft);
        const right = rows.filter((r) => !goesLeft(r));
        const labels = (of: number[]) => of.map((r) => data.target[r]);
        gains.push(gini(labels(rows)) - (left.length / rows.length) * gini(labels(left)) - (right.length / rows.length) * gini(labels(right)));
        visit(tree.left[node], left);
        visit(tree.right[node], right);
      };
      visit(0, Array.from(data.rows, (_row, r) => r));
      return gains;
    };
    const options = { task: 'classification', nTrees: 1, bootstrap: false, maxFeatures: 'all' } as const;
    const [full] = trainForest(data, options).forest.trees;
    const [limited] = trainForest(data, { ...options, minGain: 0.01 }).forest.trees;
    // Without the limit the tree has splits that gain little; with it every split gains more than 0.01.
    assert.ok(splitGains(full).some((gain) => gain <= 0.01));
    const gains = splitGains(limited);
    assert.ok(gains.length >= 3 && gains.every((gain) => gain > 0.01 - 1e-12), `smallest gain ${Math.min(...gains)}`);
    assert.ok(limited.feature.length < full.feature.length / 2, `${limited.feature.length} vs ${full.feature.length} nodes`);
    // A limit above any gain leaves the root a leaf; a limit that is no number is refused.
    assert.equal(trainForest(data, { ...options, minGain: 1 }).forest.trees[0].feature.length, 1);
    for (const minGain of [-0.1, NaN, Infinity]) assert.throws(() => trainForest(data, { ...options, minGain }), /minGain must be a number >= 0/);
  });

  it('respects maxDepth and minSamplesLeaf', () => {
    const data = threeClassData(1500, 6, { labelNoise: 0.2 });
    const shallow = trainForest(data, { task: 'classification', nTrees: 5, maxDepth: 3 });
    for (const tree of shallow.forest.trees) assert.ok(depthOf(tree) <= 3);
    const leafy = trainForest(data, { task: 'classification', nTrees: 3, minSamplesLeaf: 20, bootstrap: false });
    for (const tree of leafy.forest.trees) {
      const rowsPerLeaf = new Map<number, number>();
      for (const row of data.rows) {
        let node = 0;
        while (tree.left[node] !== -1) node = row[tree.feature[node]] <= tree.threshold[node] ? tree.left[node] : tree.right[node];
        rowsPerLeaf.set(node, (rowsPerLeaf.get(node) ?? 0) + 1);
      }
      for (const count of rowsPerLeaf.values()) assert.ok(count >= 20, `a leaf holds ${count} rows`);
    }
  });

  it('learns: held-out accuracy near the noise ceiling, and an out-of-bag estimate within 10 points of it', () => {
    const data = threeClassData(3000, 7, { labelNoise: 0.04 });
    const split = trainTestSplit(data.rows.length, 0.25, { seed: 1, strata: data.target });
    const train = subset(data, split.train);
    const test = subset(data, split.test);
    for (const criterion of ['gini', 'entropy'] as const) {
      const trained = trainForest(train, { task: 'classification', nTrees: 60, seed: 1, criterion });
      const heldOut = accuracy(test.target, predictClasses(trained.forest, test.rows));
      assert.ok(heldOut > 0.9, `${criterion}: held-out accuracy ${heldOut}`);
      assert.ok(trained.oob !== null && trained.oob.accuracy !== undefined);
      assert.ok(Math.abs(trained.oob.accuracy - heldOut) < 0.1, `${criterion}: oob ${trained.oob.accuracy} vs held-out ${heldOut}`);
      assert.ok(trained.oob.rows > 0.99 * train.rows.length);
    }
  });

  it('learns regression, with an out-of-bag R² close to the held-out one', () => {
    const data = regressionData(3000, 8, { noise: 0.3 });
    const split = trainTestSplit(data.rows.length, 0.25, { seed: 2 });
    const train = subset(data, split.train);
    const test = subset(data, split.test);
    const trained = trainForest(train, { task: 'regression', nTrees: 50, seed: 3 });
    const r2 = rSquared(test.target, predictValues(trained.forest, test.rows));
    assert.ok(r2 > 0.9, `held-out R² ${r2}`);
    assert.ok(trained.oob?.r2 !== undefined && Math.abs(trained.oob.r2 - r2) < 0.1, `oob ${trained.oob?.r2} vs ${r2}`);
  });

  it('ranks the informative features above noise in the importances, which sum to 1', () => {
    const data = threeClassData(2000, 9, { nFeatures: 6 });
    const { importances } = trainForest(data, { task: 'classification', nTrees: 30 });
    assert.ok(Math.abs(importances.reduce((a, b) => a + b, 0) - 1) < 1e-9);
    const weakestSignal = Math.min(...importances.slice(0, 3));
    const strongestNoise = Math.max(...importances.slice(3));
    assert.ok(weakestSignal > strongestNoise, importances.join(' '));
  });

  it('reports progress tree by tree and trains step by step', () => {
    const data = threeClassData(200, 1);
    const seen: Array<[number, number]> = [];
    trainForest(data, { task: 'classification', nTrees: 4 }, (done, total) => seen.push([done, total]));
    assert.deepEqual(seen, [[1, 4], [2, 4], [3, 4], [4, 4]]);
    const trainer = new ForestTrainer(data, { task: 'classification', nTrees: 2 });
    assert.throws(() => trainer.result(), /only 0 of 2/);
    trainer.step();
    trainer.step();
    assert.equal(trainer.done, true);
    assert.equal(trainer.result().forest.trees.length, 2);
  });

  it('handles a single class, constant features and duplicate rows', () => {
    const rows = Array.from({ length: 50 }, (_, i) => Float64Array.of(1, i % 2));
    const oneClass = trainForest({ rows, target: new Float64Array(50) }, { task: 'classification', nTrees: 3 });
    assert.deepEqual(oneClass.forest.trees[0], { feature: [-1], threshold: [0], left: [-1], right: [-1], value: [0], missingLeft: [0], cover: [50] });
    assert.deepEqual(oneClass.importances, [0, 0]);
    const constant = trainForest({ rows: rows.map(() => Float64Array.of(5)), target: Float64Array.from(rows, (_, i) => i % 3) }, { task: 'classification', nTrees: 2 });
    assert.ok(constant.forest.trees.every((tree) => tree.feature.length === 1));
  });

  it('refuses bad input with a clear error', () => {
    assert.throws(() => trainForest({ rows: [], target: [] }, { task: 'classification' }), /no training rows/);
    // NaN is a missing value (test/core/missing-values.test.ts); infinities stay errors.
    assert.throws(() => trainForest({ rows: [[1, Infinity]], target: [0] }, { task: 'classification' }), /row 0, feature 1: Infinity/);
    assert.throws(() => trainForest({ rows: [[1], [2]], target: [0, 1.5] }, { task: 'classification' }), /target 1/);
    assert.throws(() => trainForest({ rows: [[1]], target: [0] }, { task: 'regression', criterion: 'gini' }), /criterion gini/);
    assert.throws(() => trainForest({ rows: [[1]], target: [0] }, { task: 'classification', maxFeatures: 'half' as never }), /maxFeatures/);
  });
});

describe('model/binning', () => {
  it('cuts at real values, ascending, at most maxBins, and bins agree with the edges', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: -20, max: 20 }), fc.double({ min: -1e6, max: 1e6, noNaN: true })), { minLength: 1, maxLength: 400 }),
        fc.integer({ min: 2, max: 256 }),
        (values, maxBins) => {
          const edges = quantileEdges(values, maxBins);
          const present = new Set(values);
          assert.ok(edges.length >= 1 && edges.length <= maxBins);
          for (let b = 0; b < edges.length; b++) {
            assert.ok(present.has(edges[b]));
            if (b > 0) assert.ok(edges[b] > edges[b - 1]);
          }
          assert.equal(edges[edges.length - 1], Math.max(...values));
          for (const x of values) {
            const bin = binOf(edges, x);
            assert.ok(x <= edges[bin] && (bin === 0 || x > edges[bin - 1]));
          }
        },
      ),
    );
  });

  it('uses every bin it may (#21.2): min(distinct values, maxBins) bins, none empty, a heavy value alone in its bin', () => {
    fc.assert(
      fc.property(
        // Skewed values with many repeats, as sensors give (a reading rounded to its resolution).
        fc.array(fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: -300, max: 300 }), fc.constant(0)), { minLength: 1, maxLength: 600 }),
        fc.integer({ min: 2, max: 300 }),
        (values, maxBins) => {
          const edges = quantileEdges(values, maxBins);
          const distinct = new Set(values).size;
          assert.equal(edges.length, Math.min(distinct, maxBins), 'every bin it may use');
          const perBin = new Array<number>(edges.length).fill(0);
          for (const x of values) perBin[binOf(edges, x)]++;
          assert.ok(perBin.every((count) => count > 0), 'no empty bin');
          // A value held by more rows than an even share is never binned with a neighbour.
          const share = values.length / maxBins;
          const counts = new Map<number, number>();
          for (const x of values) counts.set(x, (counts.get(x) ?? 0) + 1);
          for (const [value, count] of counts) {
            if (distinct <= maxBins || count < 2 * share) continue;
            const bin = binOf(edges, value);
            assert.equal(perBin[bin], count, `the heavy value ${value} (${count} rows) has its bin to itself`);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('the issue\'s case: a temperature of 265 distinct values, most rows on a few, gets 255 bins (the old cut gave it 15)', () => {
    // A room held at 21.0–21.6 °C most of the time, the rest spread over 15–35 °C in steps of 0.1.
    const values: number[] = [];
    for (let i = 0; i < 8000; i++) values.push(21 + (i % 7) / 10);
    for (let k = 0; k < 265; k++) values.push(15 + k * 0.076);
    const edges = quantileEdges(values, 255);
    assert.equal(new Set(values).size >= 255, true);
    assert.equal(edges.length, 255);
  });

  it('more than 256 bins (--max-bins up to 65,535) bins into 16 bits and splits between every distinct value', () => {
    // y = x on 2,000 distinct x: one tree on every row (no bootstrap) fits exactly only if each value has its bin.
    const n = 2000;
    const rows = Array.from({ length: n }, (_, i) => [i * 0.37]);
    const target = Array.from({ length: n }, (_, i) => i);
    const fit = (maxBins: number) => {
      const forest = trainForest({ rows, target }, { task: 'regression', nTrees: 1, bootstrap: false, maxFeatures: 'all', minSamplesLeaf: 1, maxBins, seed: 1 });
      const compiled = new CompiledForest(forest.forest);
      let error = 0;
      for (let i = 0; i < n; i++) error += Math.abs((compiled.predictRow(Float64Array.of(rows[i][0])) as { value: number }).value - target[i]);
      return error / n;
    };
    assert.ok(fit(255) > 1, `255 bins: about 8 rows a bin, so an error of a few: ${fit(255)}`);
    assert.equal(fit(4000), 0, '4,000 bins: every value its own bin, an exact fit');
    assert.throws(() => trainForest({ rows, target }, { task: 'regression', maxBins: 65536 }), /maxBins must be an integer in \[2, 65535\]/);
  });

  it('spreads many distinct values evenly over the bins', () => {
    const values = Array.from({ length: 10000 }, (_, i) => i);
    const edges = quantileEdges(values, 10);
    assert.deepEqual(Array.from(edges), [999, 1999, 2999, 3999, 4999, 5999, 6999, 7999, 8999, 9999]);
  });
});
