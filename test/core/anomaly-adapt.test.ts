/**
 * model-train's rolling baseline adopts a lasting shift after `adaptAfter` windows (issue #25.3): before, flagged
 * windows were left out of every later training, so after a lasting shift every window stayed flagged for good.
 * The collector runs here with the real trainer (robust-z, as model-train's worker calls it), learning again
 * whenever the collector says a baseline is due, exactly as the node does between windows.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isAnomalous } from '../../src/core/model/monitor/anomaly';
import { AnomalyCollector, SHARED_BASELINE } from '../../src/core/model/data/collector';
import { loadModel } from '../../src/core/model/file/model-file';
import { Random } from '../../src/core/util/rng';
import { trainAnomalyModel } from '../../src/core/model/train/train-anomaly';
import { runs } from '../helpers/fuzz';

const CONTAMINATION = 0.02;
const WARMUP = 100;
const EVERY = 50;
const MAX_SAMPLES = 400;

/** A shared rolling baseline fed windows of two Gaussian features; learns synchronously when due. */
class Stream {
  readonly collector: AnomalyCollector;
  private score: ((row: Float64Array) => number) | null = null;
  private threshold = 1;

  constructor(adaptAfter: number) {
    this.collector = new AnomalyCollector({ scope: 'shared', warmup: WARMUP, update: 'rolling', every: EVERY, maxSamples: MAX_SAMPLES, maxDevices: 1, adaptAfter });
  }

  /** One window; whether the live model flagged it. */
  async add(a: number, b: number): Promise<boolean> {
    const added = this.collector.addWindow({ features: { a, b } }, (row) => isAnomalous(this.score!(row), this.threshold));
    assert.ok(added.ok);
    for (const key of this.collector.due()) {
      const leftOutShare = this.collector.leftOutShare(key);
      const rows = this.collector.startTraining(key);
      const { model } = await trainAnomalyModel({ featureNames: ['a', 'b'], rows }, { name: 'm', createdAt: new Date(0), contamination: CONTAMINATION, leftOutShare });
      const loaded = loadModel(model);
      assert.ok(loaded.ok);
      this.score = (row) => loaded.model.anomalyScore(row);
      this.threshold = model.anomaly!.threshold;
      this.collector.finishTraining(key, true);
    }
    return added.flagged;
  }
}

describe('model/collector: a rolling baseline adopts a lasting shift after adaptAfter windows (#25.3)', function () {
  this.timeout(120_000);

  it('for any shift size and adaptAfter, the flag rate falls back under the contamination rate (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 20, max: 150 }),
        fc.double({ min: 4, max: 1000, noNaN: true }),
        fc.boolean(),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        async (adaptAfter, size, down, seed) => {
          const random = new Random(seed, 5);
          const gauss = () => Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
          const stream = new Stream(adaptAfter);
          for (let i = 0; i < 300; i++) await stream.add(gauss(), 10 + gauss());
          const shift = down ? -size : size;
          // Slack: the change's own run may restart a few times, then rolling trainings fill the rows in.
          const slack = 4 * EVERY;
          for (let i = 0; i < adaptAfter + slack; i++) await stream.add(gauss() + shift, 10 + gauss());
          let flagged = 0;
          const judged = 1000;
          for (let i = 0; i < judged; i++) if (await stream.add(gauss() + shift, 10 + gauss())) flagged++;
          const rate = flagged / judged;
          // 3 standard deviations of the flag rate: binomial noise over the judged windows, plus that of a (1 − c)
          // quantile learnt from the adaptAfter + warmup windows the model relearns from after adopting.
          const learnt = adaptAfter + WARMUP;
          const tolerance = 3 * Math.sqrt(CONTAMINATION * (1 - CONTAMINATION) * (1 / judged + 1 / learnt));
          assert.ok(rate <= CONTAMINATION + tolerance, `shift ${shift}, adaptAfter ${adaptAfter}: ${(100 * rate).toFixed(1)} % flagged after ${adaptAfter + slack} windows at the new level`);
          // A large shift flags every window, so only adoption brings the rate back; a shift of a few spreads may
          // instead be followed by the rolling trainings from its unflagged windows. Never adopted twice.
          const adapted = stream.collector.baseline(SHARED_BASELINE)!.adapted;
          assert.ok(size >= 10 ? adapted === 1 : adapted <= 1, `shift ${shift}, adaptAfter ${adaptAfter}, seed ${seed}: adopted ${adapted} times`);
        },
      ),
      { numRuns: runs(15, 100) },
    );
  });

  it('a spike or a burst shorter than half of adaptAfter is never adopted; adaptAfter 0 and frozen never adopt', async () => {
    const random = new Random(3, 5);
    const gauss = () => Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
    const stream = new Stream(40);
    for (let i = 0; i < 300; i++) await stream.add(gauss(), gauss());
    for (let burst = 0; burst < 5; burst++) {
      for (let i = 0; i < 19; i++) assert.ok(await stream.add(50 + gauss(), gauss()));
      for (let i = 0; i < 40; i++) await stream.add(gauss(), gauss());
    }
    assert.equal(stream.collector.baseline(SHARED_BASELINE)!.adapted, 0);
    // The bursts were left out of the rows: still flagged.
    assert.ok(await stream.add(50, 0));
    for (const options of [{ update: 'rolling' as const, adaptAfter: 0 }, { update: 'frozen' as const, adaptAfter: 20 }]) {
      const collector = new AnomalyCollector({ scope: 'shared', warmup: 20, every: 20, maxSamples: 100, maxDevices: 1, ...options });
      for (let i = 0; i < 20; i++) collector.addWindow({ features: { a: i } }, () => false);
      collector.startTraining(SHARED_BASELINE);
      collector.finishTraining(SHARED_BASELINE, true);
      for (let i = 0; i < 500; i++) assert.deepEqual(collector.addWindow({ features: { a: 1000 } }, () => true), { ok: true, key: SHARED_BASELINE, flagged: true });
      assert.equal(collector.baseline(SHARED_BASELINE)!.rows.length, 20);
      assert.deepEqual(collector.due(), []);
    }
  });

  it('adopts exactly the run of the change, bounded by adaptAfter, and is due at once', () => {
    const collector = new AnomalyCollector({ scope: 'shared', warmup: 20, update: 'rolling', every: 1000, maxSamples: 100, maxDevices: 1, adaptAfter: 30 });
    for (let i = 0; i < 60; i++) collector.addWindow({ features: { a: i % 7 } }, () => false);
    collector.startTraining(SHARED_BASELINE);
    collector.finishTraining(SHARED_BASELINE, true);
    const flaggedAbove = (row: Float64Array) => row[0] > 100;
    for (let i = 0; i < 29; i++) {
      const added = collector.addWindow({ features: { a: 200 + i } }, flaggedAbove);
      assert.deepEqual(added, { ok: true, key: SHARED_BASELINE, flagged: true });
      assert.deepEqual(collector.due(), []);
    }
    assert.deepEqual(collector.addWindow({ features: { a: 229 } }, flaggedAbove), { ok: true, key: SHARED_BASELINE, flagged: true, adapted: true });
    const state = collector.baseline(SHARED_BASELINE)!;
    assert.deepEqual(state.rows.map((row) => row[0]), Array.from({ length: 30 }, (_, i) => 200 + i));
    assert.deepEqual(collector.due(), [SHARED_BASELINE]);
    assert.equal(collector.startTraining(SHARED_BASELINE).length, 30);
    assert.deepEqual(collector.due(), []);
  });
});
