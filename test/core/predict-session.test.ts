import { strict as assert } from 'node:assert';
import { fitAnomalyModel, loadModel, type LoadedModel } from '../../src/core/model';
import { LIKELIHOOD_LEARN, MAX_LIKELIHOOD_STREAMS, parsePredictConfig, PredictSession, type DriftChange, type PredictConfig } from '../../src/core/model/monitor/predict-session';
import { roundScore } from '../../src/core/util/numbers';
import { DEFAULT_DRIFT_MAX_DEVICES } from '../../src/core/model/monitor/drift';

/** A seeded generator of numbers in [0, 1). */
function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
}
const calm = (next: () => number) => ({ 'temp.mean': 20 + (next() - 0.5) * 2, 'hum.mean': 50 + (next() - 0.5) * 4 });

async function roomModel(): Promise<LoadedModel> {
  const next = lcg(3);
  const records = Array.from({ length: 300 }, () => ({ features: calm(next) }));
  const fitted = await fitAnomalyModel(records, { name: 'room', createdAt: new Date(0), method: 'robust-z', contamination: 0.01 });
  if (!fitted.ok) throw new Error(fitted.error);
  const loaded = loadModel(fitted.result.model);
  if (!loaded.ok) throw new Error(loaded.error);
  return loaded.model;
}

const config = (raw: Record<string, unknown> = {}): PredictConfig => {
  const parsed = parsePredictConfig(raw);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.config;
};

describe('model/monitor/predict-session: model-predict core', function () {
  this.timeout(30_000);
  let model: LoadedModel;
  before(async () => (model = await roomModel()));

  it('reads a flow saved before the options existed as it ran then, and names the first bad number', () => {
    assert.deepEqual(config(), { missing: 'reject', drift: true, driftThreshold: 0.2, driftWindow: 500, perDevice: false, likelihood: false, likelihoodThreshold: 0.9999, explain: 0 });
    assert.deepEqual(config({ threshold: '0.7', driftScope: 'device', missing: 'allow', likelihood: 'true' }).threshold, 0.7);
    assert.deepEqual(parsePredictConfig({ driftWindow: 5, threshold: 2 }), { ok: false, error: 'threshold must be at most 1, got 2' });
  });

  it('flags drift once the sample is ready, and reports each change of verdict once (drifted, then recovered)', () => {
    const session = new PredictSession(config({ driftWindow: 300 }));
    const next = lcg(9);
    const changes: DriftChange[] = [];
    for (let i = 0; i < 300; i++) assert.ok(session.predict(model, calm(next), 'a', changes).ok);
    assert.equal(changes.length, 0, 'calm data has not drifted');
    let flagged = 0;
    for (let i = 0; i < 300; i++) {
      const result = session.predict(model, { ...calm(next), 'temp.mean': 30 + next() }, 'a', changes);
      if (result.ok && result.prediction.drift !== undefined) flagged++;
    }
    assert.ok(flagged > 0, 'a warm room drifts');
    assert.equal(changes.length, 1, 'one change when it drifted');
    assert.equal(changes[0].key, '');
    assert.deepEqual(changes[0].report.driftedFeatures, ['temp.mean']);
    assert.deepEqual(session.drifted(), { streams: 1, features: ['temp.mean'] });
    assert.deepEqual(session.driftMessage(model, changes[0]).topic, 'room');
    for (let i = 0; i < 600; i++) session.predict(model, calm(next), 'a', changes);
    // Near the threshold the verdict may flip a few times as the warm vectors leave the sample; each flip is one change.
    const verdicts = changes.map((c) => c.report.drifted);
    assert.ok(verdicts.length >= 2 && verdicts.every((drifted, i) => drifted === (i % 2 === 0)), JSON.stringify(verdicts));
    assert.equal(verdicts[verdicts.length - 1], false, 'it ends recovered');
    assert.deepEqual(session.drifted(), { streams: 0, features: [] });
  });

  it('keeps at most DEFAULT_DRIFT_MAX_DEVICES drift streams per device, the least recently fed forgotten first', () => {
    const session = new PredictSession(config({ driftWindow: 10, driftScope: 'device' }));
    const next = lcg(4);
    const changes: DriftChange[] = [];
    // Device "hot" drifts first, then more devices than the bound push it out.
    for (let i = 0; i < 20; i++) session.predict(model, { ...calm(next), 'temp.mean': 35 }, 'hot', changes);
    assert.deepEqual(session.drifted().streams, 1);
    assert.equal(session.driftMessage(model, changes[0]).topic, 'hot');
    for (let d = 0; d < DEFAULT_DRIFT_MAX_DEVICES; d++) session.predict(model, calm(next), `d${d}`, changes);
    assert.deepEqual(session.drifted(), { streams: 0, features: [] }, 'the drifted device was forgotten');
  });

  it('driftSnapshot (the IoT AI sidebar): each feature\'s largest PSI over the device streams and where it drifted, read without changing anything', () => {
    const session = new PredictSession(config({ driftWindow: 300, driftScope: 'device' }));
    const off = new PredictSession(config({ drift: false }));
    assert.deepEqual(session.driftSnapshot(), { perDevice: true, threshold: 0.2, windowSize: 300, enabled: false, streams: 0, drifted: 0, samples: 0, ready: false, features: [] }, 'no model yet');
    const next = lcg(6);
    const changes: DriftChange[] = [];
    for (let i = 0; i < 300; i++) session.predict(model, calm(next), 'calm', changes);
    for (let i = 0; i < 300; i++) session.predict(model, { ...calm(next), 'temp.mean': 35 }, 'hot', changes);
    for (let i = 0; i < 3; i++) session.predict(model, calm(next), 'new', changes);
    off.predict(model, calm(next), 'calm', changes);
    const snapshot = session.driftSnapshot();
    assert.equal(snapshot.enabled, true);
    assert.deepEqual(snapshot.model, { name: 'room', version: model.version });
    assert.deepEqual([snapshot.streams, snapshot.drifted, snapshot.samples, snapshot.ready], [3, 1, 300, true]);
    assert.deepEqual(snapshot.features.map((f) => f.name), model.featureNames, 'in the model\'s feature order');
    const temp = snapshot.features.find((f) => f.name === 'temp.mean')!;
    assert.equal(temp.drifted, 1, 'temp.mean drifted in one stream (hot)');
    assert.ok(temp.psi >= 0.2);
    assert.deepEqual(session.drifted(), { streams: 1, features: ['temp.mean'] }, 'the same verdict as the status');
    // Reading twice gives the same picture.
    assert.deepEqual(session.driftSnapshot(), snapshot);
    assert.equal(off.driftSnapshot().enabled, false);
    assert.deepEqual(off.driftSnapshot().features, []);
  });

  it('calibrates an anomaly score into a likelihood per device after LIKELIHOOD_LEARN scores, and a new model starts over', async () => {
    const session = new PredictSession(config({ likelihood: true, drift: false }));
    const next = lcg(5);
    const likelihoods: number[] = [];
    for (let i = 0; i <= LIKELIHOOD_LEARN + 1; i++) {
      const result = session.predict(model, calm(next), 'a', []);
      assert.ok(result.ok);
      likelihoods.push(result.prediction.likelihood!);
    }
    assert.ok(likelihoods.slice(0, LIKELIHOOD_LEARN).every((l) => l === 0.5), 'learning: 0.5');
    assert.notEqual(likelihoods[LIKELIHOOD_LEARN], 0.5, 'judging after LIKELIHOOD_LEARN scores');
    const other = session.predict(model, calm(next), 'b', []);
    assert.ok(other.ok && other.prediction.likelihood === 0.5, 'another device has its own history');
    const reloaded = await roomModel();
    const fresh = session.predict(reloaded, calm(next), 'a', []);
    assert.ok(fresh.ok && fresh.prediction.likelihood === 0.5, 'a new model starts the history over');
    assert.ok(MAX_LIKELIHOOD_STREAMS >= 1000);
  });

  it('passes a feature error through untouched, and rounds scores only for the message', () => {
    const session = new PredictSession(config());
    const bad = session.predict(model, { 'temp.mean': 20 }, undefined, []);
    assert.deepEqual(bad, { ok: false, error: { code: 'features', message: 'feature "hum.mean" is missing', path: '/hum.mean' } });
    const good = session.predict(model, { 'temp.mean': 20.123456, 'hum.mean': 50.5 }, 7, []);
    assert.ok(good.ok);
    assert.equal(good.prediction.score, roundScore(good.prediction.score!));
    assert.equal(good.prediction.confidence, roundScore(good.prediction.confidence));
  });
});
