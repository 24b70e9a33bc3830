import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { examplesFromValues, loadModel, trainModel, type LoadedModel } from '../../src/core/model';
import { LiveAccuracy } from '../../src/core/model/monitor/live-accuracy';
import { toyClassifier } from '../helpers/models';

async function loaded(file: Promise<any>): Promise<LoadedModel> {
  const result = loadModel(await file);
  if (!result.ok) throw new Error(result.error);
  return result.model;
}

async function toyRegressor(): Promise<LoadedModel> {
  const rows: Float64Array[] = [];
  const targets: string[] = [];
  for (let i = 0; i < 100; i++) {
    rows.push(Float64Array.from([i % 20]));
    targets.push(String((i % 20) * 2));
  }
  const examples = examplesFromValues(['x.mean'], rows, targets, 'regression');
  if (!examples.ok) throw new Error(JSON.stringify(examples.error));
  return loaded(trainModel(examples.examples, { name: 'reg', version: '1.0.0', createdAt: new Date(0), forest: { nTrees: 5, seed: 1 }, testFraction: 0.2 }).then((r) => r.model));
}

describe('model/monitor/live-accuracy: predictions against the truth wired in', function () {
  this.timeout(30_000);
  let toy: LoadedModel;
  before(async () => (toy = await loaded(toyClassifier('1.0.0'))));

  it('is the share of right labels over the latest window of labelled predictions; no label counts nothing', () => {
    const live = new LiveAccuracy(4);
    assert.deepEqual(live.snapshot(), { samples: 0 });
    const hot = { label: 'hot' };
    assert.equal(live.add(toy, hot, undefined), false);
    assert.equal(live.add(toy, hot, ''), false);
    assert.equal(live.add(toy, hot, { label: 'hot' }), false);
    assert.deepEqual(live.snapshot(), { samples: 0 });
    for (const truth of ['hot', 'hot', 'cold', 'hot']) assert.ok(live.add(toy, hot, truth));
    assert.deepEqual(live.snapshot(), { samples: 4, accuracy: 0.75, model: { name: 'toy', version: '1.0.0' } });
    // The window holds the latest 4: the wrong one leaves after 3 more right ones.
    for (let i = 0; i < 3; i++) live.add(toy, hot, 'hot');
    assert.deepEqual(live.snapshot().accuracy, 1);
  });

  it('starts over for a new model (or version)', async () => {
    const live = new LiveAccuracy();
    live.add(toy, { label: 'hot' }, 'cold');
    const next = await loaded(toyClassifier('1.0.1'));
    live.add(next, { label: 'hot' }, 'hot');
    assert.deepEqual(live.snapshot(), { samples: 1, accuracy: 1, model: { name: 'toy', version: '1.0.1' } });
  });

  it('is the mean absolute error for regression (numbers or numeric text), over any window', async () => {
    const reg = await toyRegressor();
    await fc.assert(
      fc.property(fc.array(fc.tuple(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.double({ min: -1e6, max: 1e6, noNaN: true })), { minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 10 }), (pairs, size) => {
        const live = new LiveAccuracy(size);
        pairs.forEach(([value, truth], i) => assert.ok(live.add(reg, { value }, i % 2 ? String(truth) : truth)));
        const kept = pairs.slice(-size);
        const expected = kept.reduce((sum, [value, truth]) => sum + Math.abs(value - truth), 0) / kept.length;
        const snapshot = live.snapshot();
        assert.equal(snapshot.samples, kept.length);
        assert.ok(Math.abs(snapshot.mae! - expected) <= 1e-9 * Math.max(1, expected), `${snapshot.mae} vs ${expected}`);
      }),
    );
    assert.equal(new LiveAccuracy().add(reg, { value: 1 }, 'warm'), false);
  });
});
