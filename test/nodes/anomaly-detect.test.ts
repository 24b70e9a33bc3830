import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ANOMALY_DEFAULTS, AnomalySession, parseAnomalyConfig } from '../../src/core/anomaly';
import { Random } from '../../src/core/util/rng';
import { roundScore } from '../../src/core/util/numbers';
import { collect, getNode, harness, helper, lastStatus, settle } from '../helpers/runtime';
import anomalyDetect = require('../../src/nodes/anomaly-detect');

const T0 = 1_700_000_000_000;

function gaussian(random: Random): number {
  return Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
}

/** Window payloads as feature-window sends them: one a minute, two features. */
function windows(n: number, seed: number, spikeAt = -1): Array<Record<string, unknown>> {
  const random = new Random(seed, 2);
  return Array.from({ length: n }, (_, i) => {
    const spike = i >= spikeAt && i < spikeAt + 3 && spikeAt >= 0 ? 15 : 0;
    return { deviceId: 'room1', start: T0 + i * 60_000, end: T0 + (i + 1) * 60_000, features: { 'temperature.mean': 21 + gaussian(random) + spike, 'temperature.std': 0.3 + 0.05 * gaussian(random) } };
  });
}

/**
 * A context store that outlives the test runtime's flows (the helper wipes node contexts when it unloads a flow),
 * standing in for a file store across a restart; the e2e test restarts a real Node-RED on the real file store.
 */
const kept = new Map<string, unknown>();
const keptStore = () => ({
  open: () => Promise.resolve(),
  close: () => Promise.resolve(),
  get: (scope: string, key: string, cb: (err: null, value: unknown) => void) => cb(null, kept.get(`${scope}:${key}`)),
  set: (scope: string, key: string, value: unknown, cb: (err: null) => void) => {
    kept.set(`${scope}:${key}`, JSON.parse(JSON.stringify(value)));
    cb(null);
  },
  keys: (scope: string, cb: (err: null, keys: string[]) => void) => cb(null, [...kept.keys()].filter((k) => k.startsWith(`${scope}:`)).map((k) => k.slice(scope.length + 1))),
  delete: () => Promise.resolve(),
  clean: () => Promise.resolve(),
});

describe('anomaly-detect node', () => {
  let userDir = '';
  beforeEach(async () => {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-anomaly-'));
    kept.clear();
    helper.settings({ userDir, contextStorage: { default: { module: 'memory' }, kept: { module: keptStore } } });
    await helper.startServer();
  });
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
    helper.settings({});
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('adds a prediction of the contract shape to each window, learning first, and raises one alarm for a spike', async () => {
    await helper.load(anomalyDetect, harness('anomaly-detect', { learn: 50 }));
    const out1 = collect('out1');
    const completed = collect('completed');
    const input = windows(300, 1, 250);
    for (const payload of input) getNode('n1').receive({ topic: 'room1', payload });
    const got = await out1.next(300);
    await completed.next(300);
    const first = got[0].payload;
    assert.deepEqual(Object.keys(first.prediction).sort(), ['confidence', 'label', 'likelihood', 'model', 'score']);
    assert.deepEqual(first.prediction.model, { name: 'forecast' });
    assert.equal(first.prediction.likelihood, 0.5, 'learning');
    assert.equal(first.deviceId, 'room1');
    assert.deepEqual(first.features, input[0].features, 'the input payload goes on');
    const alarms = got.map((m, i) => (m.payload.prediction.episodeStart ? i : -1)).filter((i) => i >= 0);
    assert.deepEqual(alarms, [250], 'one alarm, on the spike');
    assert.equal(got[250].payload.prediction.label, 'anomaly');
    await settle(600);
    assert.match(lastStatus(getNode('n1'))!.text, /^1 \S*alarmsToday · 1 \S*streams$/);
  });

  it('shows "learning n/learn" while every device is still learning', async () => {
    await helper.load(anomalyDetect, harness('anomaly-detect', { learn: 100 }));
    const out1 = collect('out1');
    for (const payload of windows(37, 2)) getNode('n1').receive({ payload });
    await out1.next(37);
    await settle(600);
    assert.match(lastStatus(getNode('n1'))!.text, /^\S*learning 37\/100$/);
  });

  it('takes canonical readings directly, one stream per device and sensor', async () => {
    await helper.load(anomalyDetect, harness('anomaly-detect', { learn: 0 }));
    const out1 = collect('out1');
    const out2 = collect('out2');
    const n1 = getNode('n1');
    n1.receive({ topic: 'd1/co2', payload: { deviceId: 'd1', sensor: 'co2', value: 420, ts: T0 } });
    n1.receive({ topic: 'd1/temp', payload: { deviceId: 'd1', sensor: 'temp', value: 21, ts: T0 } });
    n1.receive({ topic: 'd1/motion', payload: { deviceId: 'd1', sensor: 'motion', value: true, ts: T0 } });
    n1.receive({ topic: 'd1/state', payload: { deviceId: 'd1', sensor: 'state', value: 'open', ts: T0 } });
    const got = await out1.next(3);
    assert.deepEqual(got.map((m) => m.payload.sensor), ['co2', 'temp', 'motion']);
    assert.ok(got.every((m) => m.payload.prediction.label === 'normal'));
    const [reject] = await out2.next(1);
    assert.deepEqual(reject.error, { code: 'type', message: 'reading "state" has a text value', path: '/value' });
  });

  it('rejects unusable input on output 2 with msg.error, finishing it with done() and never reaching Catch', async () => {
    await helper.load(anomalyDetect, harness('anomaly-detect', {}));
    const out2 = collect('out2');
    const completed = collect('completed');
    const caught = collect('caught');
    const n1 = getNode('n1');
    n1.receive({ payload: { deviceId: 'a', end: T0, features: { x: 1, y: 2 } } });
    n1.receive({ payload: { deviceId: 'a', end: T0 + 1, features: { x: 1 } } });
    n1.receive({ payload: { deviceId: 'a', end: T0 + 2, features: { x: 1, y: 'NaN' } } });
    n1.receive({ payload: { features: { x: 1 } } });
    n1.receive({ payload: 42 });
    n1.receive({ payload: { deviceId: 'a', features: [1, 2] } });
    const rejects = await out2.next(5);
    assert.deepEqual(
      rejects.map((m) => [m.error.code, m.error.path]),
      [
        ['features', '/features/y'],
        ['features', '/features/y'],
        ['device', '/deviceId'],
        ['payload', undefined],
        ['features', '/features'],
      ],
    );
    await completed.next(6);
    await settle();
    assert.equal(caught.messages.length, 0);
  });

  it('scores each payload of an array, with bad items alone on output 2', async () => {
    await helper.load(anomalyDetect, harness('anomaly-detect', {}));
    const out1 = collect('out1');
    const out2 = collect('out2');
    getNode('n1').receive({ payload: [{ deviceId: 'a', features: { x: 1 } }, { deviceId: 'b', features: {} }, { deviceId: 'c', features: { x: 2 } }] });
    const [batch] = await out1.next(1);
    assert.deepEqual(batch.payload.map((p: any) => p.deviceId), ['a', 'c']);
    assert.ok(batch.payload.every((p: any) => p.prediction.model.name === 'forecast'));
    const [bad] = await out2.next(1);
    assert.equal(bad.error.code, 'features');
    assert.equal(bad.error.path, '/1/features');
  });

  it('a bad configuration is a node fault: the status says so and inputs end with done(err)', async () => {
    await helper.load(anomalyDetect, harness('anomaly-detect', { method: 'magic', memory: 'long' }));
    const caught = collect('caught');
    getNode('n1').receive({ payload: { deviceId: 'a', features: { x: 1 } } });
    const [err] = await caught.next(1);
    assert.match(err.error.message, /method must be one of .*memory must be a number/);
    assert.equal(lastStatus(getNode('n1'))!.fill, 'red');
  });

  it('msg.reset forgets a device: it learns again from scratch', async () => {
    await helper.load(anomalyDetect, harness('anomaly-detect', { learn: 10 }));
    const out1 = collect('out1');
    const n1 = getNode('n1');
    for (const payload of windows(20, 3)) n1.receive({ payload });
    await out1.next(20);
    n1.receive({ reset: 'room1' });
    n1.receive({ payload: windows(1, 4)[0] });
    const got = await out1.next(21);
    assert.equal(got[20].payload.prediction.likelihood, 0.5, 'learning again');
  });

  it('with persist, what each device learnt survives a restart: outputs continue exactly as without one', async () => {
    // The helper sets up context without loading the configured stores (the runtime does that on start): load them.
    const context = (helper as any)._context;
    const init = context.init;
    context.init = (settings: unknown) => {
      init.call(context, settings);
      void context.load();
    };
    try {
      await restartKeepsState();
    } finally {
      context.init = init;
    }
  });
});

async function restartKeepsState(): Promise<void> {
  const props = { learn: 20, persist: 'kept' };
  const input = windows(200, 5, 150);
  const config = parseAnomalyConfig(props);
  assert.ok(config.ok);
  const reference = new AnomalySession({ ...ANOMALY_DEFAULTS, ...config.config });
  const expected = input.map((p) => {
    const r = reference.score('room1', p.features as Record<string, number>, p.end as number);
    assert.ok(r.ok);
    // The node's messages carry the scores rounded (#18.14).
    const exact = r.prediction;
    return { ...exact, score: roundScore(exact.score), likelihood: roundScore(exact.likelihood), confidence: roundScore(exact.confidence) };
  });

  await helper.load(anomalyDetect, harness('anomaly-detect', props));
  let out1 = collect('out1');
  for (const payload of input.slice(0, 120)) getNode('n1').receive({ payload });
  const before = await out1.next(120);
  await helper.unload(); // close saves the state to the store
  assert.ok(kept.size > 0, 'the state was saved');

  await helper.load(anomalyDetect, harness('anomaly-detect', props));
  out1 = collect('out1');
  for (const payload of input.slice(120)) getNode('n1').receive({ payload });
  const after = await out1.next(80);
  const actual = [...before, ...after].map((m) => m.payload.prediction);
  const firstDiff = actual.findIndex((p, i) => JSON.stringify(p) !== JSON.stringify(expected[i]));
  assert.equal(firstDiff, -1, `first difference at window ${firstDiff}: ${JSON.stringify(actual[firstDiff])} vs ${JSON.stringify(expected[firstDiff])}`);
  assert.ok(after.some((m) => m.payload.prediction.episodeStart), 'the spike after the restart is an alarm');
}
