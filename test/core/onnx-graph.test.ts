/**
 * The pure part of running an ONNX graph (#28, core/model/import/onnx-graph.ts): the Inputs text, and the runtime's
 * outputs turned into predictions, for any widths and scores (properties); the graphs themselves run in
 * test/nodes/model-predict-onnx-graph.test.ts.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { graphPredictions, parseFeatureSpec, planOnnxGraph, type GraphPlan } from '../../src/core/model/import/onnx-graph';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'import', 'onnx-graph');
const model = { name: 'm', version: '1' };

describe('ONNX graphs: planning and reading outputs (issue #28)', () => {
  it('Inputs: one list, or a mapping per named input', () => {
    assert.deepEqual(parseFeatureSpec(' a, b ,c '), [{ features: ['a', 'b', 'c'] }]);
    assert.deepEqual(parseFeatureSpec('x: a, b; y: c;'), [{ input: 'x', features: ['a', 'b'] }, { input: 'y', features: ['c'] }]);
    assert.deepEqual(parseFeatureSpec(''), []);
  });

  it('plans the fixtures: task, output, scores, label tensor', () => {
    const plan = (name: string, labels?: string[]) => {
      const result = planOnnxGraph(fs.readFileSync(path.join(FIXTURES, `${name}.onnx`)), { featureSpec: 'a, b, c, d', labels });
      if (!result.ok) throw new Error(result.error);
      return result.plan;
    };
    assert.equal(plan('linear-regression').task, 'regression');
    assert.deepEqual([plan('mlp-softmax').scores, plan('mlp-softmax').labels], ['probabilities', [0, 1, 2]]);
    assert.equal(plan('mlp-logits').scores, 'logits');
    assert.deepEqual([plan('binary-logit', ['off', 'on']).task, plan('binary-logit', ['off', 'on']).width], ['classification', 1]);
    assert.deepEqual(plan('mlp-label-probabilities').fetch, ['probabilities', 'label']);
    const refused = planOnnxGraph(fs.readFileSync(path.join(FIXTURES, 'mlp-softmax.onnx')), { featureSpec: 'a, b, c, d', labels: ['x', 'y'] });
    assert.ok(!refused.ok && /2 labels given but the graph's output probabilities scores 3 classes/.test(refused.error));
    const twice = planOnnxGraph(fs.readFileSync(path.join(FIXTURES, 'mlp-softmax.onnx')), { featureSpec: 'a, b, a, d' });
    assert.ok(!twice.ok && /names "a" twice/.test(twice.error));
  });

  it('logits of any width: probabilities that sum to 1, the label the largest logit, confidence its probability', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 6 }), fc.integer({ min: 1, max: 5 }), fc.array(fc.double({ min: -50, max: 50, noNaN: true }), { minLength: 30, maxLength: 30 }), (width, rows, pool) => {
        const plan: GraphPlan = { task: 'classification', featureNames: ['a'], inputs: [], labels: Array.from({ length: width }, (_, k) => `c${k}`), output: 'y', width, scores: 'logits', fetch: ['y'] };
        const data = Float32Array.from(pool.slice(0, width * rows));
        const predictions = graphPredictions(plan, { y: { data, dims: [rows, width] } }, rows, model);
        predictions.forEach((p, r) => {
          const values = Object.values(p.probabilities as Record<string, number>);
          assert.ok(Math.abs(values.reduce((a, b) => a + b, 0) - 1) < 1e-9);
          const logits = Array.from(data.subarray(r * width, (r + 1) * width));
          const best = logits.indexOf(Math.max(...logits));
          assert.equal((p.probabilities as Record<string, number>)[p.label as string], Math.max(...values));
          assert.equal(p.confidence, Math.max(...values));
          // Logits a float32 denormal apart tie once exponentiated: the label is then the first of the tied.
          if (logits.every((v, k) => k === best || v < logits[best] - 1e-6)) assert.equal(p.label, `c${best}`);
        });
      }),
    );
  });

  it('an output of another width than planned is a fault, not a wrong prediction', () => {
    const plan: GraphPlan = { task: 'regression', featureNames: ['a'], inputs: [], output: 'y', width: 1, scores: 'probabilities', fetch: ['y'] };
    assert.throws(() => graphPredictions(plan, { y: { data: new Float32Array(4), dims: [2, 2] } }, 2, model), /has 4 values for 2 row/);
    assert.throws(() => graphPredictions(plan, {}, 1, model), /gave no output y/);
  });
});
