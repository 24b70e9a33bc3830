/**
 * Issue #20: one reading of a features object into a vector (src/core/model/data/vector.ts), so the vector a
 * model learns from (model-train's collectors, then its worker's examplesFromRecords) is the vector it predicts
 * from (LoadedModel.predict, DriftMonitor: readFeatureVector), whatever the object holds: missing, null, NaN,
 * ±Infinity, strings, booleans, objects, keys the model does not know, names found on Object.prototype.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AnomalyCollector, TrainingCollector } from '../../src/core/model/data/collector';
import { examplesFromRecords } from '../../src/core/model/data/dataset';
import { featureVector, isMissingFeature } from '../../src/core/model/data/vector';
import { readFeatureVector } from '../../src/core/model/file/model-file';
import { runs } from '../helpers/fuzz';

const NAMES = ['temp.mean', 'temp.max', 'hum.std', 'a/b~c', 'constructor', 'toString'];
const EXTRA = ['light.mean', 'x', 'valueOf'];

const value = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(NaN, Infinity, -Infinity, null, undefined, 0, -0),
  fc.string({ maxLength: 4 }),
  fc.boolean(),
  fc.constant({}),
  fc.constant([1]),
);
const modelNames = fc.uniqueArray(fc.constantFrom(...NAMES), { minLength: 1 });
const featuresObject = fc.dictionary(fc.constantFrom(...NAMES, ...EXTRA), value, { maxKeys: 9 });

/** Element-wise identity (Object.is: NaN equals NaN, -0 stays -0). */
function sameVector(a: Float64Array, b: Float64Array): boolean {
  return a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
}

/** The training side of a labelled window, as model-train does it: collect, then its worker's examples. */
function trainingVector(names: readonly string[], features: Record<string, unknown>): Float64Array | undefined {
  const collector = new TrainingCollector({ maxSamples: 10, maxWaiting: 10 });
  if (!collector.addWindow({ features }, 'label').ok) return undefined;
  const examples = examplesFromRecords(collector.records(), { featureNames: names, task: 'classification' });
  assert.ok(examples.ok, !examples.ok ? examples.error.message : '');
  return examples.examples.rows[0];
}

function servingVector(names: readonly string[], features: unknown, allowMissing: boolean): Float64Array | undefined {
  const read = readFeatureVector(names, features, new Float64Array(names.length), allowMissing);
  return read.ok ? read.row : undefined;
}

describe('feature vectors: training and serving read a features object the same way (#20)', () => {
  it('a labelled window the collector keeps becomes the vector a prediction with missing values allowed reads', () => {
    fc.assert(
      fc.property(modelNames, featuresObject, (names, features) => {
        const trained = trainingVector(names, features);
        const served = servingVector(names, features, true);
        // A value serving refuses (a string, Infinity, ...) is refused in training too.
        if (served === undefined) assert.equal(trained, undefined, 'training kept a window serving refuses');
        if (trained === undefined) {
          // The collector refuses only for a bad value somewhere in the object or a window with no value at all.
          const keys = Object.keys(features);
          const explained = keys.some((k) => !isMissingFeature(features[k]) && !(typeof features[k] === 'number' && Number.isFinite(features[k]))) || keys.every((k) => isMissingFeature(features[k]));
          assert.ok(explained, `training refused ${JSON.stringify(features)}`);
          return;
        }
        assert.ok(served !== undefined && sameVector(trained, served), `training ${[...trained]} != serving ${served && [...served]}`);
      }),
      { numRuns: runs(500, 20_000) },
    );
  });

  it('a vector serving reads without missing values allowed is the one training learns, with no NaN in it', () => {
    fc.assert(
      fc.property(modelNames, featuresObject, (names, features) => {
        const served = servingVector(names, features, false);
        if (served === undefined) return;
        assert.ok(served.every(Number.isFinite));
        const trained = trainingVector(names, features);
        // Serving ignores keys the model does not know; the collector still refuses a broken one.
        if (trained === undefined) return;
        assert.ok(sameVector(trained, served));
      }),
      { numRuns: runs(500, 20_000) },
    );
  });

  it('an anomaly baseline keeps a window exactly when its model could score it, with the same vector', () => {
    fc.assert(
      fc.property(modelNames, featuresObject, (names, features) => {
        const collector = new AnomalyCollector({ scope: 'shared', warmup: 100, update: 'frozen', every: 100, maxSamples: 100, maxDevices: 1 });
        collector.adopt(names, []);
        let scored: Float64Array | undefined;
        const kept = collector.addWindow({ features }, () => false);
        const served = servingVector(names, features, false);
        const extraKeys = Object.keys(features).some((k) => !names.includes(k));
        assert.equal(kept.ok, served !== undefined && !extraKeys, JSON.stringify({ names, features, kept }));
        if (kept.ok) {
          scored = collector.startTraining(kept.key)[0];
          assert.ok(sameVector(scored, served as Float64Array));
        }
      }),
      { numRuns: runs(500, 20_000) },
    );
  });

  it('featureVector: a finite number is itself, absent/null/NaN is missing, anything else is refused, extra keys are not read', () => {
    const names = ['a', 'b', 'c', 'constructor'];
    const read = featureVector(names, { a: 1.5, b: null, c: NaN, extra: 'x' }, { allowMissing: true });
    assert.ok(read.ok);
    assert.deepEqual([...read.row], [1.5, NaN, NaN, NaN]);
    assert.deepEqual(read.missing, ['b', 'c', 'constructor'], 'constructor is not read off Object.prototype');
    assert.deepEqual(featureVector(names, { a: 1, b: 2, c: 3 }), { ok: false, problem: { index: 3, name: 'constructor', value: undefined } });
    assert.deepEqual(featureVector(['a'], { a: Infinity }, { allowMissing: true }), { ok: false, problem: { index: 0, name: 'a', value: Infinity } });
    assert.deepEqual(featureVector(['a'], { a: true }, { allowMissing: true }), { ok: false, problem: { index: 0, name: 'a', value: true } });
  });
});
