/**
 * Issue #28, bring your own model: XGBoost's JSON model converted to a boosted forest of the package's own form
 * predicts what XGBoost predicts, on real data (UCI Occupancy) with missing cells and with feature values at,
 * around and half-way to every float32 threshold. Fixtures and the script that made them:
 * test/fixtures/import/xgboost/.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parseCsv } from '../../src/core/model/data/csv';
import { CompiledForest, logistic } from '../../src/core/model/forest/compiled-forest';
import { Tree, TreeForest } from '../../src/core/model/forest/forest-format';
import { explainUnavailable, ForestExplainer } from '../../src/core/model/forest/shap';
import { loadModel, parseModelFile, type ModelFile, type Prediction } from '../../src/core/model/file/model-file';
import { float32LessThanAsDoubleLessEqual, previousFloat32 } from '../../src/core/model/import/float32';
import { importModel, PICKLE_REFUSAL } from '../../src/core/model/import/import-model';
import { runs } from '../helpers/fuzz';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'import', 'xgboost');
const OBJECTIVES = ['reg-squarederror', 'reg-logistic', 'binary-logistic', 'multi-softprob', 'multi-softmax'] as const;
/** The fixtures whose model.json records no feature names (trained from a bare numpy array). */
const UNNAMED = new Set(['binary-logistic', 'multi-softmax']);

function csv(file: string): { header: string[]; rows: string[][] } {
  const parsed = parseCsv(readFileSync(path.join(FIXTURES, file), 'utf8'));
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.table;
}

function fixture(name: string): { model: ModelFile; header: string[]; rows: Float64Array[]; expected: { header: string[]; rows: number[][] } } {
  const data = csv(`${name}.data.csv`);
  const expected = csv(`${name}.expected.csv`);
  const imported = importModel(readFileSync(path.join(FIXTURES, `${name}.model.json`)), {
    fileName: `${name}.model.json`,
    featureNames: UNNAMED.has(name) ? data.header : undefined,
  });
  assert.ok(imported.ok, imported.ok ? '' : imported.error);
  return {
    model: imported.model,
    header: data.header,
    rows: data.rows.map((row) => Float64Array.from(row, (cell) => (cell === '' ? NaN : Number(cell)))),
    expected: { header: expected.header, rows: expected.rows.map((row) => row.map(Number)) },
  };
}

/** |actual − expected| within 1e-6 of |expected| (and a float32 epsilon's worth near 0). */
function close(actual: number, expected: number, what: string): void {
  const tolerance = 1e-6 * Math.abs(expected) + 1e-12;
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} vs XGBoost's ${expected} (difference ${Math.abs(actual - expected)})`);
}

describe('XGBoost import (#28): parity with XGBoost 1.7.4 on UCI Occupancy', () => {
  for (const name of OBJECTIVES) {
    it(`${name}: every row's prediction equals XGBoost's to 1e-6 relative (labels identical), missing cells and float32 ties included`, () => {
      const { model, rows, expected } = fixture(name);
      const loaded = loadModel(model);
      assert.ok(loaded.ok, loaded.ok ? '' : loaded.error);
      const column = (label: string): number => expected.header.indexOf(label);
      let missingRows = 0;
      for (let r = 0; r < rows.length; r++) {
        const row = rows[r];
        if (row.some(Number.isNaN)) missingRows++;
        const truth = expected.rows[r];
        const prediction: Prediction = loaded.model.predictVector(row);
        if (model.task === 'regression') {
          close(prediction.value as number, truth[column('value')], `row ${r} value`);
          assert.equal(prediction.spread, undefined, 'a boosted model has no spread');
        } else {
          assert.equal(prediction.label, truth[column('label')], `row ${r} label`);
          if (name !== 'multi-softmax') {
            for (const label of model.labels as number[]) close((prediction.probabilities as Record<string, number>)[label], truth[column(String(label))], `row ${r} p(${label})`);
          }
          const p = Object.values(prediction.probabilities as Record<string, number>);
          // Float32 like XGBoost: the probabilities sum to 1 within a few float32 steps.
          assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-6);
        }
      }
      assert.ok(missingRows >= 20, `the fixture has rows with missing cells (${missingRows})`);
      assert.ok(rows.length > 500, 'the fixture has the rows at the thresholds');
    });

    it(`${name}: both compiled walks give XGBoost's margins`, () => {
      const { model, rows, expected } = fixture(name);
      const marginColumns = expected.header.map((h, i) => (h.startsWith('margin') ? i : -1)).filter((i) => i >= 0);
      for (const walk of ['branching', 'lockstep'] as const) {
        const forest = new CompiledForest(model.forest as TreeForest, { walk });
        for (let r = 0; r < rows.length; r++) {
          const margins = forest.boostedMargins(rows[r]);
          marginColumns.forEach((c, k) => {
            const truth = expected.rows[r][c];
            // Margins pass through 0: relative to the margin's scale (XGBoost sums in float32).
            assert.ok(Math.abs(margins[k] - truth) <= 1e-6 * Math.max(1, Math.abs(truth)), `${walk} row ${r} margin ${k}: ${margins[k]} vs ${truth}`);
          });
        }
      }
    });
  }

  it('the bundled sample (models/home-occupancy-xgboost.json, XGBoost\'s own file) predicts what XGBoost predicted for 200 held-out windows', () => {
    const dir = path.join(__dirname, '..', 'fixtures', 'import', 'xgboost-home');
    const read = (file: string) => {
      const parsed = parseCsv(readFileSync(path.join(dir, file), 'utf8'));
      if (!parsed.ok) throw new Error(parsed.error.message);
      return parsed.table;
    };
    const data = read('data.csv');
    const expected = read('expected.csv');
    const imported = importModel(readFileSync(path.join(__dirname, '..', '..', 'models', 'home-occupancy-xgboost.json')), { labels: ['empty', 'occupied'] });
    assert.ok(imported.ok, imported.ok ? '' : imported.error);
    assert.deepEqual(imported.model.featureNames, data.header, 'the file names its inputs, in the order of the check rows');
    const loaded = loadModel(imported.model);
    assert.ok(loaded.ok, loaded.ok ? '' : loaded.error);
    const labels = new Set<string>();
    data.rows.forEach((row, r) => {
      const prediction = loaded.model.predictVector(Float64Array.from(row, Number));
      const [empty, occupied] = expected.rows[r].map(Number);
      close((prediction.probabilities as Record<string, number>).empty, empty, `row ${r} p(empty)`);
      close((prediction.probabilities as Record<string, number>).occupied, occupied, `row ${r} p(occupied)`);
      assert.equal(prediction.label, occupied > empty ? 'occupied' : 'empty', `row ${r}`);
      labels.add(String(prediction.label));
    });
    assert.deepEqual([...labels].sort(), ['empty', 'occupied'], 'both classes among the checked windows');
  });

  it('names the features from the file, or from the user when the file has none', () => {
    assert.deepEqual(fixture('multi-softprob').model.featureNames, ['temperature', 'humidity', 'light', 'humidityRatio']);
    const unnamed = importModel(readFileSync(path.join(FIXTURES, 'binary-logistic.model.json')), { fileName: 'binary-logistic.model.json' });
    assert.ok(!unnamed.ok);
    assert.match(unnamed.error, /does not name its 5 inputs/);
    const wrongCount = importModel(readFileSync(path.join(FIXTURES, 'binary-logistic.model.json')), { featureNames: ['a', 'b'] });
    assert.ok(!wrongCount.ok);
    assert.match(wrongCount.error, /2 feature names given but the model has 5 features/);
  });

  it('keeps the label order: class k is labels[k], and named labels replace the indices', () => {
    const { model } = fixture('multi-softprob');
    assert.deepEqual(model.labels, [0, 1, 2]);
    const named = importModel(readFileSync(path.join(FIXTURES, 'multi-softprob.model.json')), { labels: ['fresh', 'stale', 'stuffy'] });
    assert.ok(named.ok);
    const loaded = loadModel(named.model);
    assert.ok(loaded.ok);
    const { rows, expected } = fixture('multi-softprob');
    const prediction = loaded.model.predictVector(rows[0]);
    assert.equal(prediction.label, ['fresh', 'stale', 'stuffy'][expected.rows[0][0]]);
    close((prediction.probabilities as Record<string, number>).stuffy, expected.rows[0][3], 'p(stuffy)');
  });

  it('keeps the learnt missing directions, the covers (sum_hessian) and where the model came from', () => {
    const { model } = fixture('binary-logistic');
    const forest = model.forest as TreeForest;
    assert.ok(forest.trees.some((tree) => tree.missingLeft?.some((m, i) => m === 1 && tree.left[i] !== -1)));
    assert.ok(forest.trees.every((tree) => tree.cover !== undefined && tree.cover[0] > 0));
    assert.deepEqual(model.source, { library: 'xgboost', libraryVersion: '1.7.4', objective: 'binary:logistic', trees: 20, bestIteration: 19 });
    assert.equal(forest.boost?.link, 'logistic');
    // base_score 0.3 is a probability: the margin starts from its logit.
    close(forest.boost?.base[0] as number, Math.log(0.3 / 0.7), 'base margin');
  });

  for (const name of OBJECTIVES) {
    it(`${name}: TreeSHAP of the margin from the covers (sum_hessian) equals XGBoost's pred_contribs`, () => {
      const { model, rows } = fixture(name);
      const contribs = csv(`${name}.contribs.csv`);
      const explainer = new ForestExplainer(model.forest as TreeForest);
      const nFeatures = model.featureNames.length;
      const outputs = contribs.header.length / (nFeatures + 1);
      let largest = 0;
      contribs.rows.forEach((cells, r) => {
        const theirs = cells.map(Number);
        for (let k = 0; k < outputs; k++) {
          const shap = explainer.marginValues(rows[r], k);
          const at = k * (nFeatures + 1);
          // XGBoost works in float32: compare on the scale of the margin's parts.
          const scale = Math.max(1, ...theirs.slice(at, at + nFeatures + 1).map(Math.abs));
          for (let f = 0; f < nFeatures; f++) largest = Math.max(largest, Math.abs(shap.values[f] - theirs[at + f]) / scale);
          largest = Math.max(largest, Math.abs(shap.base - theirs[at + nFeatures]) / scale);
        }
      });
      assert.ok(largest < 1e-6, `largest difference ${largest} of the margin's scale`);
      if (process.env.IOT_AI_REPORT) console.log(`${name}: largest SHAP difference ${largest.toExponential(2)} of the margin's scale`);
    });
  }

  it('model-predict explains a boosted regression (base + contributions = value)', () => {
    const { model, rows } = fixture('reg-squarederror');
    const loaded = loadModel(model);
    assert.ok(loaded.ok);
    assert.equal(loaded.model.explainUnavailable(), null);
    const prediction = loaded.model.predictVector(rows[3]);
    const explanation = loaded.model.explainVector(rows[3], prediction, 4) as NonNullable<Prediction['explanation']>;
    assert.equal(explanation.contributions.length, 4);
    const sum = explanation.base + explanation.contributions.reduce((a, c) => a + c.contribution, 0);
    assert.ok(Math.abs(sum - (prediction.value as number)) <= 1e-5 * Math.abs(prediction.value as number), `${sum} vs ${prediction.value}`);
  });

  it('model-predict explains a boosted classifier in log-odds (logistic) or its class margin (softmax), as XGBoost\'s pred_contribs', () => {
    for (const name of ['binary-logistic', 'multi-softprob']) {
      const { model, rows } = fixture(name);
      assert.equal(explainUnavailable(model.forest), null, name);
      const loaded = loadModel(model);
      assert.ok(loaded.ok);
      const contribs = csv(`${name}.contribs.csv`);
      const nFeatures = model.featureNames.length;
      const labels = model.labels as number[];
      const seen = new Set<number>();
      for (let r = 0; r < 40; r++) {
        const prediction = loaded.model.predictVector(rows[r]);
        const explanation = loaded.model.explainVector(rows[r], prediction, nFeatures) as NonNullable<Prediction['explanation']>;
        const k = labels.indexOf(prediction.label as number);
        seen.add(k);
        const p = (prediction.probabilities as Record<string, number>)[String(prediction.label)];
        const sum = explanation.base + explanation.contributions.reduce((a, c) => a + c.contribution, 0);
        if (name === 'binary-logistic') {
          assert.equal(explanation.scale, 'log-odds');
          // base + contributions = ln(p / (1 − p)) of the predicted label (float32 probabilities: a few 1e-7).
          assert.ok(Math.abs(sum - Math.log(p / (1 - p))) <= 1e-5 * Math.max(1, Math.abs(sum)), `${name} row ${r}: ${sum} vs log-odds ${Math.log(p / (1 - p))}`);
        } else {
          assert.equal(explanation.scale, 'margin');
        }
        // Each contribution is XGBoost's own for that feature: class 1's for logistic (negated for class 0), the class's for softmax.
        const output = name === 'binary-logistic' ? 0 : k;
        const sign = name === 'binary-logistic' && k === 0 ? -1 : 1;
        const cells = contribs.rows[r].slice(output * (nFeatures + 1), (output + 1) * (nFeatures + 1)).map(Number);
        for (const c of explanation.contributions) {
          const theirs = sign * cells[model.featureNames.indexOf(c.feature)];
          assert.ok(Math.abs(c.contribution - theirs) <= 1e-5 * Math.max(1, Math.abs(theirs)), `${name} row ${r} ${c.feature}: ${c.contribution} vs ${theirs}`);
        }
        assert.ok(Math.abs(explanation.base - sign * cells[nFeatures]) <= 1e-5 * Math.max(1, Math.abs(cells[nFeatures])), `${name} row ${r} base`);
      }
      assert.ok(seen.size >= 2, `${name}: explanations of more than one class (${[...seen]})`);
    }
  });
});

describe('XGBoost import (#28): float32 thresholds', () => {
  it('XGBoost goes left when float32(x) < c: x = c goes right, a double that rounds to c goes right, one that rounds below goes left', () => {
    for (const c of [0.5, 360, 2.7238e-3, -0.4127844, 0, 1e-45, 21.89]) {
      const f = Math.fround(c);
      const t = float32LessThanAsDoubleLessEqual(c);
      const below = previousFloat32(f);
      const half = (below + f) / 2;
      assert.equal(f <= t, false, `${c} itself goes right`);
      assert.equal(below <= t, true, `${c}'s float32 neighbour below goes left`);
      assert.equal(half <= t, Math.fround(half) < f, `${c}: the double half-way rounds as float32 does (ties to even)`);
      // A plain double comparison with c would send the float32 neighbour's half-way point the other way for some c.
    }
    // 0.5's neighbour below has an odd last bit: the half-way double rounds up to 0.5 and must go right.
    const half = (previousFloat32(0.5) + 0.5) / 2;
    assert.equal(Math.fround(half), 0.5);
    assert.equal(half <= float32LessThanAsDoubleLessEqual(0.5), false);
  });

  it('property: x <= T exactly when Math.fround(x) < c, for any float32 c and doubles at and around it', () => {
    const nearby = (c: number) =>
      fc.oneof(
        fc.constant(c),
        fc.constant(previousFloat32(c)),
        fc.constant((previousFloat32(c) + c) / 2),
        fc.double({ min: c - Math.abs(c) * 1e-6 - 1e-30, max: c + Math.abs(c) * 1e-6 + 1e-30, noNaN: true }),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
      );
    fc.assert(
      fc.property(
        fc.float({ noNaN: true, noDefaultInfinity: true }).chain((c) => fc.tuple(fc.constant(c), nearby(c))),
        ([c, x]) => (x <= float32LessThanAsDoubleLessEqual(c)) === Math.fround(x) < Math.fround(c),
      ),
      { numRuns: runs(2000, 50000) },
    );
  });
});

/** The plain walk of a boosted forest, as the format describes it: the reference for the compiled walks. */
function referenceMargins(forest: TreeForest, row: ArrayLike<number>): number[] {
  const boost = forest.boost as NonNullable<TreeForest['boost']>;
  const margins = [...boost.base];
  forest.trees.forEach((tree, t) => {
    let node = 0;
    while (tree.left[node] !== -1) {
      const x = row[tree.feature[node]];
      node = (Number.isNaN(x) ? tree.missingLeft?.[node] === 1 : x <= tree.threshold[node]) ? tree.left[node] : tree.right[node];
    }
    margins[boost.treeClass?.[t] ?? 0] += tree.value[node];
  });
  return margins;
}

/** A random tree of up to `depth` levels over `nFeatures` features, children numbered in a shuffled order. */
function randomTree(nFeatures: number, depth: number): fc.Arbitrary<Tree> {
  const node: fc.Memo<unknown> = fc.memo((d) =>
    d <= 1
      ? fc.record({ leaf: fc.double({ min: -10, max: 10, noNaN: true }) })
      : fc.oneof(
          { depthSize: 'small', withCrossShrink: true },
          fc.record({ leaf: fc.double({ min: -10, max: 10, noNaN: true }) }),
          fc.record({ feature: fc.integer({ min: 0, max: nFeatures - 1 }), threshold: fc.integer({ min: -4, max: 4 }).map((k) => k / 2), missingLeft: fc.boolean(), left: node(d - 1), right: node(d - 1) }),
        ),
  );
  return fc.tuple(node(depth), fc.integer()).map(([root, salt]) => {
    const tree: Tree = { feature: [], threshold: [], left: [], right: [], value: [], missingLeft: [] };
    type N = { leaf?: number; feature?: number; threshold?: number; missingLeft?: boolean; left?: N; right?: N };
    const add = (n: N): number => {
      const id = tree.feature.length;
      tree.feature.push(-1);
      tree.threshold.push(0);
      tree.left.push(-1);
      tree.right.push(-1);
      tree.value.push(0);
      (tree.missingLeft as number[]).push(0);
      if (n.leaf !== undefined) {
        tree.value[id] = n.leaf;
        return id;
      }
      // Number the right subtree first now and then: the format allows any order.
      const [l, r] = salt % 2 === 0 ? [add(n.left as N), add(n.right as N)] : ((rr) => [add(n.left as N), rr])(add(n.right as N));
      tree.feature[id] = n.feature as number;
      tree.threshold[id] = n.threshold as number;
      tree.left[id] = l;
      tree.right[id] = r;
      (tree.missingLeft as number[])[id] = n.missingLeft ? 1 : 0;
      return id;
    };
    add(root as N);
    return tree;
  });
}

describe('boosted forests (#28): the compiled walks against a plain reference walk', () => {
  it('property: random boosted forests (identity, logistic, softmax), rows with ties and missing values', () => {
    const nFeatures = 3;
    const forestArb = fc
      .record({ link: fc.constantFrom('identity', 'logistic', 'softmax'), nClasses: fc.integer({ min: 2, max: 4 }), trees: fc.array(randomTree(nFeatures, 6), { minLength: 1, maxLength: 9 }), base: fc.double({ min: -3, max: 3, noNaN: true }) })
      .chain((f) =>
        fc.record({
          forest: fc.constant(f),
          treeClass: fc.array(fc.integer({ min: 0, max: f.nClasses - 1 }), { minLength: f.trees.length, maxLength: f.trees.length }),
          rows: fc.array(fc.array(fc.oneof(fc.integer({ min: -5, max: 5 }).map((k) => k / 2), fc.double({ min: -3, max: 3, noNaN: true }), fc.constant(NaN)), { minLength: nFeatures, maxLength: nFeatures }), { minLength: 1, maxLength: 8 }),
        }),
      );
    fc.assert(
      fc.property(forestArb, ({ forest: f, treeClass, rows }) => {
        const softmax = f.link === 'softmax';
        const nClasses = f.link === 'identity' ? 0 : softmax ? f.nClasses : 2;
        const forest: TreeForest = {
          kind: 'iot-ai/trees@1',
          nFeatures,
          nClasses,
          boost: softmax ? { link: 'softmax', base: Array.from({ length: nClasses }, (_, k) => f.base + k), treeClass } : { link: f.link as 'identity' | 'logistic', base: [f.base] },
          trees: f.trees,
        };
        for (const walk of ['branching', 'lockstep'] as const) {
          const compiled = new CompiledForest(forest, { walk });
          for (const values of rows) {
            const row = Float64Array.from(values);
            const reference = referenceMargins(forest, row);
            const margins = compiled.boostedMargins(row);
            reference.forEach((m, k) => assert.ok(Math.abs(margins[k] - m) <= 1e-12 * Math.max(1, Math.abs(m)), `${walk}: margin ${k} ${margins[k]} vs ${m}`));
            const prediction = compiled.predictRow(row);
            if (prediction.task === 'regression') {
              assert.equal(prediction.value, f.link === 'logistic' ? logistic(margins[0]) : margins[0]);
            } else if (softmax) {
              const exps = reference.map((m) => Math.exp(m - Math.max(...reference)));
              const sum = exps.reduce((a, b) => a + b, 0);
              exps.forEach((e, k) => assert.ok(Math.abs(prediction.probabilities[k] - e / sum) < 1e-12));
              assert.equal(prediction.classIndex, reference.indexOf(Math.max(...reference)));
            } else {
              assert.ok(Math.abs(prediction.probabilities[1] - logistic(reference[0])) < 1e-12);
              assert.equal(prediction.classIndex, logistic(margins[0]) > 0.5 ? 1 : 0);
            }
            // The class alone is the same answer.
            if (prediction.task === 'classification') assert.equal(compiled.predictClass(row), prediction.classIndex);
          }
        }
      }),
      { numRuns: runs(200, 3000) },
    );
  });
});

describe('boosted forests (#28): the model file refuses what does not fit', () => {
  const base = () => JSON.parse(JSON.stringify(fixture('multi-softprob').model)) as ModelFile & { forest: TreeForest };
  const cases: Array<[string, (m: ModelFile & { forest: TreeForest }) => void, RegExp]> = [
    ['softmax without treeClass', (m) => delete m.forest.boost?.treeClass, /treeClass .* is required with link "softmax"/],
    ['a base per class missing', (m) => m.forest.boost?.base.pop(), /base has 2 entries but the forest has 3 outputs/],
    ['logistic over 3 classes', (m) => Object.assign(m.forest.boost as object, { link: 'logistic', base: [0] }), /"logistic" gives the probability of class 1 of 2 classes/],
    ['identity over 3 classes without a class per tree', (m) => Object.assign(m.forest.boost as object, { link: 'identity', base: [0], treeClass: undefined }), /"identity" without treeClass gives the probability of class 1 of 2 classes/],
    ['average with an output that has no trees', (m) => Object.assign(m.forest.boost as object, { average: true, treeClass: (m.forest.boost?.treeClass as number[]).map(() => 0) }), /output 1 has no trees to average/],
    ['an unknown link', (m) => Object.assign(m.forest.boost as object, { link: 'probit' }), /boost\/link must be equal to one of the allowed values/],
    ['a tree class out of range', (m) => ((m.forest.boost?.treeClass as number[])[4] = 3), /treeClass\[4\] is 3, not an output in \[0, 3\)/],
    ['a horizon', (m) => Object.assign(m, { horizon: 60000 }), /boosted forest cannot forecast/],
  ];
  for (const [what, change, message] of cases) {
    it(`refuses ${what}`, () => {
      const model = base();
      change(model);
      const parsed = parseModelFile(model);
      assert.ok(!parsed.ok, 'refused');
      assert.match(parsed.error, message);
    });
  }

  it('a boosted classifier\'s leaves are scores, not class indices (a forest of votes still refuses them)', () => {
    const model = base();
    assert.ok(parseModelFile(model).ok);
    delete (model.forest as Partial<TreeForest>).boost;
    const parsed = parseModelFile(model);
    assert.ok(!parsed.ok);
    assert.match(parsed.error, /is not a class index/);
  });
});

describe('XGBoost import (#28): refusals by name', () => {
  const raw = () => JSON.parse(readFileSync(path.join(FIXTURES, 'reg-squarederror.model.json'), 'utf8'));
  const refused = (data: unknown, message: RegExp, fileName = 'model.json') => {
    const result = importModel(JSON.stringify(data), { fileName });
    assert.ok(!result.ok, 'refused');
    assert.match(result.error, message);
  };
  it('refuses the dart and gblinear boosters', () => {
    const dart = raw();
    dart.learner.gradient_booster = { name: 'dart', gbtree: dart.learner.gradient_booster, weight_drop: [] };
    refused(dart, /booster "dart" is not supported/);
    const linear = raw();
    linear.learner.gradient_booster = { name: 'gblinear', model: { weights: [] } };
    refused(linear, /booster "gblinear" is a linear model/);
  });
  it('reads base_score written as a list, as later XGBoost versions write it ("[5E-1]", one per class)', () => {
    const { model: plain } = fixture('multi-softprob');
    const listed = JSON.parse(readFileSync(path.join(FIXTURES, 'multi-softprob.model.json'), 'utf8'));
    listed.learner.learner_model_param.base_score = '[5E-1]';
    const one = importModel(JSON.stringify(listed));
    assert.ok(one.ok);
    assert.deepEqual((one.model.forest as TreeForest).boost?.base, (plain.forest as TreeForest).boost?.base);
    listed.learner.learner_model_param.base_score = '[1E-1, 2E-1, 3E-1]';
    const perClass = importModel(JSON.stringify(listed));
    assert.ok(perClass.ok);
    assert.deepEqual((perClass.model.forest as TreeForest).boost?.base, [0.1, 0.2, 0.3].map(Math.fround));
    listed.learner.learner_model_param.base_score = '[1E-1, 2E-1]';
    refused(listed, /base_score has 2 entries for 3 outputs/);
  });

  it('refuses other objectives by name', () => {
    const poisson = raw();
    poisson.learner.objective = { name: 'count:poisson' };
    refused(poisson, /objective "count:poisson" is not supported \(supported: reg:squarederror, reg:logistic, binary:logistic, multi:softprob, multi:softmax\)/);
  });
  it('refuses categorical splits', () => {
    const categorical = raw();
    const tree = categorical.learner.gradient_booster.model.trees[3];
    tree.split_type[0] = 1;
    refused(categorical, /trees\[3\] node 0 is a categorical split/);
    const typed = raw();
    typed.learner.feature_types = ['float', 'c', 'float', 'float'];
    refused(typed, /feature 1 is categorical/);
  });
  it('never unpickles: .pkl and .joblib files (and pickle bytes) are refused with how to export', () => {
    for (const fileName of ['model.pkl', 'model.joblib']) {
      const result = importModel(new Uint8Array([1, 2, 3]), { fileName });
      assert.ok(!result.ok);
      assert.equal(result.error, PICKLE_REFUSAL);
      assert.match(result.error, /ONNX/);
    }
    const bytes = importModel(new Uint8Array([0x80, 0x04, 0x95, 0, 0]), { fileName: 'model.bin' });
    assert.ok(!bytes.ok);
    assert.match(bytes.error, /never loaded/);
  });
  it('refuses XGBoost UBJSON and unreadable ONNX by name', () => {
    const onnx = importModel(new Uint8Array([8, 7]), { fileName: 'model.onnx' });
    assert.ok(!onnx.ok);
    assert.match(onnx.error, /ONNX model: not a readable ONNX file/);
    const ubj = importModel(new Uint8Array([0x7b, 0x4c, 0, 0]), { fileName: 'model.ubj' });
    assert.ok(!ubj.ok);
    assert.match(ubj.error, /UBJSON/);
  });
});

/** XGBoost's own prediction rule, written from its documentation: float32(x) < c goes left, NaN takes default_left, sums in float32. */
function xgboostReference(model: XgbJson, row: number[]): number[] {
  const param = model.learner.learner_model_param;
  const outputs = Math.max(1, Number(param.num_class));
  const margins = new Array<number>(outputs).fill(Math.fround(Number(param.base_score)));
  model.learner.gradient_booster.model.trees.forEach((tree, t) => {
    let node = 0;
    while (tree.left_children[node] !== -1) {
      const x = row[tree.split_indices[node]];
      const left = Number.isNaN(x) ? tree.default_left[node] === 1 : Math.fround(x) < Math.fround(tree.split_conditions[node]);
      node = left ? tree.left_children[node] : tree.right_children[node];
    }
    const k = model.learner.gradient_booster.model.tree_info[t];
    margins[k] = Math.fround(margins[k] + Math.fround(tree.split_conditions[node]));
  });
  return margins;
}

interface XgbTree { left_children: number[]; right_children: number[]; split_indices: number[]; split_conditions: number[]; default_left: number[]; sum_hessian: number[]; split_type: number[]; tree_param: Record<string, string> }
interface XgbJson { learner: { learner_model_param: Record<string, string>; objective: { name: string }; feature_names: string[]; feature_types: string[]; gradient_booster: { name: string; model: { trees: XgbTree[]; tree_info: number[] } } }; version: number[] }

/** A random XGBoost tree in its JSON layout (breadth-first ids as XGBoost numbers them), thresholds any float32. */
function randomXgbTree(nFeatures: number): fc.Arbitrary<XgbTree> {
  return fc
    .record({
      shape: fc.array(fc.boolean(), { minLength: 1, maxLength: 15 }),
      thresholds: fc.array(fc.oneof(fc.float({ noNaN: true, noDefaultInfinity: true, min: -4, max: 4 }), fc.integer({ min: -4, max: 4 }).map((k) => Math.fround(k / 3))), { minLength: 32, maxLength: 32 }),
      features: fc.array(fc.integer({ min: 0, max: nFeatures - 1 }), { minLength: 32, maxLength: 32 }),
      defaults: fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 32, maxLength: 32 }),
      leaves: fc.array(fc.float({ noNaN: true, noDefaultInfinity: true, min: -2, max: 2 }), { minLength: 32, maxLength: 32 }),
    })
    .map(({ shape, thresholds, features, defaults, leaves }) => {
      const tree: XgbTree = { left_children: [], right_children: [], split_indices: [], split_conditions: [], default_left: [], sum_hessian: [], split_type: [], tree_param: { num_feature: String(nFeatures), size_leaf_vector: '0' } };
      // Grow breadth-first: shape[i] says whether node i splits (while there is room for its children).
      const queue = [0];
      let count = 1;
      for (let q = 0; q < queue.length; q++) {
        const i = queue[q];
        const splits = q < shape.length && shape[q] && count + 2 <= 31;
        tree.split_type[i] = 0;
        tree.sum_hessian[i] = 1;
        if (splits) {
          tree.left_children[i] = count;
          tree.right_children[i] = count + 1;
          tree.split_indices[i] = features[i];
          tree.split_conditions[i] = Math.fround(thresholds[i]);
          tree.default_left[i] = defaults[i];
          queue.push(count, count + 1);
          count += 2;
        } else {
          tree.left_children[i] = -1;
          tree.right_children[i] = -1;
          tree.split_indices[i] = 0;
          tree.split_conditions[i] = Math.fround(leaves[i]);
          tree.default_left[i] = 0;
        }
      }
      return tree;
    });
}

describe('XGBoost import (#28): random XGBoost models against its own prediction rule', () => {
  it('property: converted random models give the float32 margins XGBoost\'s rule gives, on rows at, around and half-way to the thresholds, and missing', () => {
    const nFeatures = 3;
    const arb = fc
      .record({
        objective: fc.constantFrom('reg:squarederror', 'multi:softprob'),
        trees: fc.array(randomXgbTree(nFeatures), { minLength: 1, maxLength: 8 }),
        baseScore: fc.float({ min: -2, max: 2, noNaN: true }),
        seeds: fc.array(fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 0, max: 5 })), { minLength: nFeatures, maxLength: nFeatures }),
      })
      .chain((m) => fc.record({ m: fc.constant(m), treeInfo: fc.array(fc.integer({ min: 0, max: m.objective === 'multi:softprob' ? 2 : 0 }), { minLength: m.trees.length, maxLength: m.trees.length }) }));
    fc.assert(
      fc.property(arb, ({ m, treeInfo }) => {
        const multi = m.objective === 'multi:softprob';
        const json: XgbJson = {
          version: [1, 7, 4],
          learner: {
            learner_model_param: { base_score: String(m.baseScore), num_class: multi ? '3' : '0', num_feature: String(nFeatures), num_target: '1' },
            objective: { name: m.objective },
            feature_names: ['a', 'b', 'c'],
            feature_types: [],
            gradient_booster: { name: 'gbtree', model: { trees: m.trees, tree_info: treeInfo } },
          },
        };
        const imported = importModel(JSON.stringify(json));
        assert.ok(imported.ok, imported.ok ? '' : imported.error);
        const forest = new CompiledForest(imported.model.forest as TreeForest);
        // Rows built from the thresholds themselves: at c, the float32 below, half-way between, and missing.
        const thresholds = m.trees.flatMap((tree) => tree.split_conditions.filter((_, i) => tree.left_children[i] !== -1));
        const pick = (seed: number, way: number): number => {
          if (thresholds.length === 0 || way === 5) return NaN;
          const c = Math.fround(thresholds[seed % thresholds.length]);
          const below = previousFloat32(c);
          return [c, below, (below + c) / 2, c + 1e-9, c - 1e-9][way];
        };
        const row = m.seeds.map(([seed, , way]) => pick(seed, way));
        const theirs = xgboostReference(json, row);
        const ours = forest.boostedMargins(Float64Array.from(row));
        theirs.forEach((margin, k) => assert.equal(ours[k], margin, `margin ${k}`));
      }),
      { numRuns: runs(300, 5000) },
    );
  });
});
