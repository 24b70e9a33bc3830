/**
 * Issue #14.16: what an accepted model file can answer. Every prediction has a finite value, spread, confidence and
 * score, and `probabilities` holds every label as an own key (`constructor` and `toString` too) summing to 1; a
 * file whose numbers are not finite, or with the label `__proto__`, is refused with a clear reason (docs/reliability.md, "Models: outputs at load").
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CompiledForest } from '../../src/core/model/forest/compiled-forest';
import { MlCartNode, TreeForest } from '../../src/core/model/forest/forest-format';
import { LoadedModel, loadModel, type ModelFile, type Prediction } from '../../src/core/model/file/model-file';
import { MODEL_FORMAT } from '../../src/core/model/file/schema';
import { runs } from '../helpers/fuzz';

const HEAD = { format: MODEL_FORMAT, name: 'm', version: '1', createdAt: '2024-01-01T00:00:00Z', metrics: {} };
/** Names that are properties of every plain object (or set its prototype). */
const HOSTILE_LABELS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'prototype', 'length', ''];
const MAX = Number.MAX_VALUE;

const leafTree = (value: number) => ({ feature: [-1], threshold: [0], left: [-1], right: [-1], value: [value] });
const regressionFile = (values: number[]) => ({
  ...HEAD,
  task: 'regression',
  featureNames: ['a'],
  forest: { kind: 'iot-ai/trees@1', nFeatures: 1, nClasses: 0, trees: values.map(leafTree) },
});

function predicted(file: unknown, features: Record<string, number>): Prediction {
  const loaded = loadModel(JSON.stringify(file));
  assert.ok(loaded.ok, loaded.ok ? '' : loaded.error);
  const result = loaded.model.predict(features);
  assert.ok(result.ok, result.ok ? '' : result.error.message);
  return result.prediction;
}

/** What every prediction of an accepted model must satisfy. */
function assertSound(prediction: Prediction, labels: ReadonlyArray<string | number> | undefined): void {
  for (const key of ['value', 'spread', 'confidence', 'score'] as const) {
    const v = prediction[key];
    if (v !== undefined) assert.ok(Number.isFinite(v), `${key} is ${v}`);
  }
  assert.ok(prediction.confidence >= 0 && prediction.confidence <= 1, `confidence ${prediction.confidence}`);
  if (prediction.spread !== undefined) assert.ok(prediction.spread >= 0);
  if (prediction.score !== undefined) assert.ok(prediction.score >= 0 && prediction.score <= 1, `score ${prediction.score}`);
  if (labels === undefined) return;
  const probabilities = prediction.probabilities as Record<string, number>;
  assert.equal(Object.getPrototypeOf(probabilities), Object.prototype, 'a plain object');
  const keys = labels.map(String);
  assert.deepEqual(Object.keys(probabilities).sort(), [...keys].sort(), 'every label is an own enumerable key');
  let sum = 0;
  for (const key of keys) {
    const p = Object.getOwnPropertyDescriptor(probabilities, key)?.value as number;
    assert.ok(Number.isFinite(p) && p >= 0 && p <= 1, `probability of ${JSON.stringify(key)} is ${p}`);
    sum += p;
  }
  assert.ok(Math.abs(sum - 1) <= 1e-9, `probabilities sum to ${sum}`);
  // What a debug node or an MQTT out node shows: JSON keeps every label.
  assert.deepEqual(Object.keys(JSON.parse(JSON.stringify(probabilities)) as object).sort(), [...keys].sort());
  assert.equal(probabilities[String(prediction.label)], prediction.confidence);
}

describe('model outputs: finite values and whole probabilities (#14.16)', function () {
  this.timeout(60_000);

  it('averages leaves at the edge of the doubles without overflowing (value and spread stay finite)', () => {
    const both = predicted(regressionFile([1.7e308, 1.7e308]), { a: 1 });
    assert.equal(both.value, 1.7e308);
    assert.equal(both.spread, 0);
    const apart = predicted(regressionFile([MAX, -MAX]), { a: 1 });
    assert.equal(apart.value, 0);
    assert.equal(apart.spread, MAX);
    const many = predicted(regressionFile([MAX, MAX, MAX, -MAX, 3]), { a: 1 });
    assertSound(many, undefined);
    assert.ok(Math.abs((many.value as number) / (MAX * 0.4) - 1) < 1e-12, `mean ${many.value}`);
  });

  it('gives the same answers as before for models whose sums fit (the mean is summed in tree order, divided once)', () => {
    const values = [0.1, 0.2, 0.3, 1e10, -7.25];
    const p = predicted(regressionFile(values), { a: 1 });
    let sum = 0;
    for (const v of values) sum += v;
    assert.equal(p.value, sum / values.length);
  });

  it('imports ml-random-forest regression leaves at the edge without overflowing', () => {
    const file = {
      ...HEAD,
      task: 'regression',
      featureNames: ['a'],
      forest: {
        name: 'RFRegression',
        baseModel: { indexes: [[0], [0]], isClassifier: false, nEstimators: 2, estimators: [{ root: { distribution: 1.7e308 } }, { root: { distribution: 1.7e308 } }] },
      },
    };
    const p = predicted(file, { a: 1 });
    assert.equal(p.value, 1.7e308);
    assert.equal(p.spread, 0);
  });

  const classifier = (labels: Array<string | number>) => ({
    ...HEAD,
    task: 'classification',
    featureNames: ['a'],
    labels,
    forest: { kind: 'iot-ai/trees@1', nFeatures: 1, nClasses: 3, trees: [leafTree(0), leafTree(1), leafTree(2), leafTree(0)] },
  });

  it('keeps every label in probabilities, constructor and toString included, summing to 1', () => {
    const labels = ['constructor', 'toString', 'hasOwnProperty'];
    const p = predicted(classifier(labels), { a: 1 });
    assert.equal(p.label, 'constructor');
    assertSound(p, labels);
    assert.equal(JSON.stringify(p.probabilities), '{"constructor":0.5,"toString":0.25,"hasOwnProperty":0.25}');
  });

  it('refuses the label __proto__, which no message copy can keep as a key, saying so', () => {
    const loaded = loadModel(JSON.stringify(classifier(['__proto__', 'constructor', 'toString'])));
    assert.equal(loaded.ok, false);
    assert.match(loaded.ok ? '' : loaded.error, /label "__proto__" cannot key prediction\.probabilities: .*rename the class/);
  });

  it('never sets the prototype of probabilities, even for a model made without parsing', () => {
    const model = new LoadedModel(classifier(['__proto__', 'constructor', 'toString']) as unknown as ModelFile);
    const p = model.predictVector(Float64Array.of(1));
    assertSound(p, ['__proto__', 'constructor', 'toString']);
    assert.equal(JSON.stringify(p.probabilities), '{"__proto__":0.5,"constructor":0.25,"toString":0.25}');
  });

  it('scores a robust-z model finitely however far a feature lies (z² past the doubles)', () => {
    const file = { ...HEAD, task: 'anomaly', featureNames: ['a'], anomaly: { method: 'robust-z', threshold: 0.5, baseline: { center: [0], scale: [1] } } };
    const p = predicted(file, { a: 1e200 });
    assert.equal(p.score, 1);
    assert.equal(p.label, 'anomaly');
    assert.equal(p.confidence, 1);
  });

  it('refuses numbers too large for a double (JSON 1e999 reads as Infinity), saying they must be finite', () => {
    const text = JSON.stringify(regressionFile([1, 2]));
    const cases = [
      text.replace('"value":[1]', '"value":[1e999]'),
      text.replace('"threshold":[0]', '"threshold":[-1e999]'),
      JSON.stringify({
        ...HEAD,
        task: 'regression',
        featureNames: ['a'],
        forest: { name: 'RFRegression', baseModel: { indexes: [[0]], isClassifier: false, nEstimators: 1, estimators: [{ root: { distribution: 7 } }] } },
      }).replace('"distribution":7', '"distribution":1e999'),
      JSON.stringify({ ...HEAD, task: 'anomaly', featureNames: ['a'], anomaly: { method: 'robust-z', threshold: 0.5, baseline: { center: [0], scale: [1] } } }).replace(
        '"scale":[1]',
        '"scale":[1e400]',
      ),
    ];
    for (const bad of cases) {
      assert.notEqual(bad, text);
      const loaded = loadModel(bad);
      assert.equal(loaded.ok, false, bad);
      assert.match(loaded.ok ? '' : loaded.error, /is not a finite number \(-?Infinity\)/);
    }
  });

  it('refuses a compiled forest whose leaves are not finite (forests handed over in code)', () => {
    const forest: TreeForest = { kind: 'iot-ai/trees@1', nFeatures: 1, nClasses: 0, trees: [leafTree(Infinity)] };
    assert.throws(() => new CompiledForest(forest), /leaf 0 holds Infinity, not a finite number/);
  });

  describe('property: every accepted model file predicts finite values and whole probabilities', () => {
    type Shape = { leaf: number } | { feature: number; threshold: number; left: Shape; right: Shape };
    const anyDouble = fc.oneof(
      { weight: 3, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
      fc.constantFrom(MAX, -MAX, 1.7e308, -1.7e308, Number.MIN_VALUE, 0, -0, 1e154, -1e154),
    );
    const shape = (nFeatures: number, leaf: fc.Arbitrary<number>): fc.Arbitrary<Shape> =>
      fc.letrec<{ node: Shape; split: Shape }>((tie) => ({
        node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf.map((v) => ({ leaf: v })), tie('split')),
        split: fc.record({ feature: fc.nat(nFeatures - 1), threshold: anyDouble, left: tie('node'), right: tie('node') }),
      })).node;

    /** Pre-order parallel arrays (the iot-ai/trees@1 form). */
    function flatten(root: Shape) {
      const tree = { feature: [] as number[], threshold: [] as number[], left: [] as number[], right: [] as number[], value: [] as number[] };
      const visit = (node: Shape): number => {
        const id = tree.feature.length;
        tree.feature.push(-1);
        tree.threshold.push(0);
        tree.left.push(-1);
        tree.right.push(-1);
        tree.value.push(0);
        if ('leaf' in node) {
          tree.value[id] = node.leaf;
        } else {
          tree.feature[id] = node.feature;
          tree.threshold[id] = node.threshold;
          tree.left[id] = visit(node.left);
          tree.right[id] = visit(node.right);
        }
        return id;
      };
      visit(root);
      return tree;
    }

    /** The same shape as an ml-cart tree (every estimator sees all columns). */
    function mlCart(node: Shape, leafOf: (v: number) => MlCartNode['distribution']): MlCartNode {
      if ('leaf' in node) return { distribution: leafOf(node.leaf) };
      return { splitColumn: node.feature, splitValue: node.threshold, left: mlCart(node.left, leafOf), right: mlCart(node.right, leafOf) };
    }

    const labelArb = fc.uniqueArray(fc.oneof(fc.constantFrom(...HOSTILE_LABELS), fc.string({ maxLength: 6 }), fc.integer({ min: -5, max: 5 })), {
      minLength: 1,
      maxLength: 6,
      selector: (label) => String(label),
    });
    const nFeaturesArb = fc.integer({ min: 1, max: 3 });
    const rowsArb = (n: number) => fc.array(fc.array(anyDouble, { minLength: n, maxLength: n }), { minLength: 1, maxLength: 4 });

    const classification = fc.tuple(nFeaturesArb, labelArb, fc.boolean()).chain(([nFeatures, labels, ml]) =>
      fc.record({
        labels: fc.constant(labels),
        nFeatures: fc.constant(nFeatures),
        ml: fc.constant(ml),
        trees: fc.array(shape(nFeatures, fc.nat(labels.length - 1)), { minLength: 1, maxLength: 9 }),
        rows: rowsArb(nFeatures),
      }),
    );
    const regression = fc.tuple(nFeaturesArb, fc.boolean()).chain(([nFeatures, ml]) =>
      fc.record({
        nFeatures: fc.constant(nFeatures),
        ml: fc.constant(ml),
        median: fc.boolean(),
        trees: fc.array(shape(nFeatures, anyDouble), { minLength: 1, maxLength: 9 }),
        rows: rowsArb(nFeatures),
      }),
    );
    const isolation = nFeaturesArb.chain((nFeatures) =>
      fc.record({
        nFeatures: fc.constant(nFeatures),
        sampleSize: fc.integer({ min: 2, max: 1 << 20 }),
        threshold: fc.double({ min: 0, max: 1, noNaN: true }),
        trees: fc.array(shape(nFeatures, fc.oneof(fc.double({ min: 0, max: MAX, noNaN: true }), fc.constant(MAX))), { minLength: 1, maxLength: 9 }),
        rows: rowsArb(nFeatures),
      }),
    );
    const robust = nFeaturesArb.chain((nFeatures) =>
      fc.record({
        nFeatures: fc.constant(nFeatures),
        threshold: fc.double({ min: 0, max: 1, noNaN: true }),
        center: fc.array(anyDouble, { minLength: nFeatures, maxLength: nFeatures }),
        scale: fc.array(fc.oneof(fc.double({ min: 0, max: MAX, noNaN: true }), fc.constantFrom(0, Number.MIN_VALUE, MAX)), { minLength: nFeatures, maxLength: nFeatures }),
        rows: rowsArb(nFeatures),
      }),
    );

    const names = (n: number) => Array.from({ length: n }, (_, f) => `f${f}`);
    const features = (row: number[]) => Object.fromEntries(row.map((v, f) => [`f${f}`, v]));

    /**
     * The file goes through JSON text, as a file on disk does; it must load (but for a label __proto__, refused with
     * its reason), and every row must predict soundly.
     */
    function check(file: Record<string, unknown>, rows: number[][], labels?: ReadonlyArray<string | number>): void {
      const loaded = loadModel(JSON.stringify(file));
      if (labels?.includes('__proto__')) {
        assert.equal(loaded.ok, false);
        assert.match(loaded.ok ? '' : loaded.error, /label "__proto__" cannot key prediction\.probabilities/);
        return;
      }
      assert.ok(loaded.ok, loaded.ok ? '' : loaded.error);
      for (const row of rows) {
        const result = loaded.model.predict(features(row));
        assert.ok(result.ok, result.ok ? '' : result.error.message);
        assertSound(result.prediction, labels);
      }
    }

    it('classification (own trees and ml-random-forest), with labels such as __proto__', () => {
      fc.assert(
        fc.property(classification, ({ labels, nFeatures, ml, trees, rows }) => {
          const forest = ml
            ? {
                name: 'RFClassifier',
                baseModel: {
                  indexes: trees.map(() => names(nFeatures).map((_, f) => f)),
                  isClassifier: true,
                  nEstimators: trees.length,
                  // A one-hot distribution over every class, as ml-cart writes it ([[...]]).
                  estimators: trees.map((tree) => ({ root: mlCart(tree, (c) => [labels.map((_, k) => (k === c ? 1 : 0))]) })),
                },
              }
            : { kind: 'iot-ai/trees@1', nFeatures, nClasses: labels.length, trees: trees.map(flatten) };
          check({ ...HEAD, task: 'classification', featureNames: names(nFeatures), labels, forest }, rows, labels);
        }),
        { numRuns: runs(300, 10_000) },
      );
    });

    it('regression (own trees and ml-random-forest, mean and median), leaves anywhere in the doubles', () => {
      fc.assert(
        fc.property(regression, ({ nFeatures, ml, median, trees, rows }) => {
          const forest = ml
            ? {
                name: 'RFRegression',
                ...(median ? { selectionMethod: 'median' } : {}),
                baseModel: {
                  indexes: trees.map(() => names(nFeatures).map((_, f) => f)),
                  isClassifier: false,
                  nEstimators: trees.length,
                  estimators: trees.map((tree) => ({ root: mlCart(tree, (v) => v) })),
                },
              }
            : { kind: 'iot-ai/trees@1', nFeatures, nClasses: 0, trees: trees.map(flatten) };
          check({ ...HEAD, task: 'regression', featureNames: names(nFeatures), forest }, rows);
        }),
        { numRuns: runs(300, 10_000) },
      );
    });

    it('anomaly: isolation forests with path lengths up to the largest double, robust-z baselines anywhere', () => {
      fc.assert(
        fc.property(isolation, ({ nFeatures, sampleSize, threshold, trees, rows }) => {
          const forest = { kind: 'iot-ai/trees@1', nFeatures, nClasses: 0, output: 'path-length', sampleSize, trees: trees.map(flatten) };
          check({ ...HEAD, task: 'anomaly', featureNames: names(nFeatures), anomaly: { method: 'isolation-forest', threshold }, forest }, rows);
        }),
        { numRuns: runs(200, 5000) },
      );
      fc.assert(
        fc.property(robust, ({ nFeatures, threshold, center, scale, rows }) => {
          check({ ...HEAD, task: 'anomaly', featureNames: names(nFeatures), anomaly: { method: 'robust-z', threshold, baseline: { center, scale } } }, rows);
        }),
        { numRuns: runs(200, 5000) },
      );
    });
  });
});
