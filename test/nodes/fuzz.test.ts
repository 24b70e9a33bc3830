/**
 * Hostile input for every node, in the real Node-RED runtime (node-red-node-test-helper): about 1,000 cases per
 * node in `npm test`, 100,000 in `npm run test:full`. Each case is one message; the properties are those of
 * the README (Nodes: bad data is traffic, faults go to done(err)): nothing thrown out of a handler, every input finished once with done() (the Complete node
 * fires; bad data never reaches the Catch node), outputs of the right shape, no prototype pollution, memory bounded.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { fitAnomalyModel, saveModel } from '../../src/core/model';
import { runs } from '../helpers/fuzz';
import { hostileMessage, hostileNumber, hostileString, hostileTopLevel, hostileValue, jsonText, largeValues, mostly, prototypeFingerprint, sometimes } from '../helpers/hostile';
import { heapAfterGc } from '../helpers/memory';
import { getNode, harness, helper } from '../helpers/runtime';
import { runtimeWithUserDir } from '../helpers/userdir';
import actuatorCommand = require('../../src/nodes/actuator-command');
import anomalyDetect = require('../../src/nodes/anomaly-detect');
import featureWindow = require('../../src/nodes/feature-window');
import mlModel = require('../../src/nodes/ml-model');
import modelPredict = require('../../src/nodes/model-predict');
import modelTrain = require('../../src/nodes/model-train');
import sensorIngest = require('../../src/nodes/sensor-ingest');
import sensorSim = require('../../src/nodes/sensor-sim');

/** IOT_AI_FUZZ_RUNS sets another count, e.g. to chase a failure. */
const RUNS = Number(process.env.IOT_AI_FUZZ_RUNS) || runs(1000, 100_000);
const T0 = Date.now() - 60_000;
/** Heap (after a full GC) the node may keep after its run, over what it held before: a stated bound, generous. */
const HEAP_GROWTH_BOUND_MB = 150;

type Msg = Record<string, any>;
type Check = (msg: Msg) => string | undefined;

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x) && !Buffer.isBuffer(x);
const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** msg.error of a second output: `{ code, message, path? }` with a code from the node's list. */
function errorShape(codes: readonly string[]): Check {
  return (msg) => {
    const error = msg.error;
    if (!isRecord(error)) return 'output 2 without msg.error';
    if (typeof error.code !== 'string' || !codes.includes(error.code)) return `msg.error.code ${String(error.code)} is not one of ${codes.join(', ')}`;
    if (typeof error.message !== 'string') return 'msg.error.message is not a string';
    if (error.path !== undefined && typeof error.path !== 'string') return 'msg.error.path is not a string';
    return undefined;
  };
}

function canonicalReading(msg: Msg): string | undefined {
  const r = msg.payload;
  if (!isRecord(r)) return 'a reading payload is not an object';
  const extra = Object.keys(r).filter((k) => !['deviceId', 'sensor', 'value', 'unit', 'ts'].includes(k));
  if (extra.length > 0) return `a reading has extra fields ${extra.join(', ')}`;
  if (typeof r.deviceId !== 'string' || r.deviceId === '') return 'reading.deviceId is not a non-empty string';
  if (typeof r.sensor !== 'string' || r.sensor === '') return 'reading.sensor is not a non-empty string';
  if (!(finite(r.value) || typeof r.value === 'boolean' || typeof r.value === 'string')) return `reading.value ${String(r.value)} is not a finite number, boolean or string`;
  if (r.unit !== undefined && typeof r.unit !== 'string') return 'reading.unit is not a string';
  if (!finite(r.ts)) return 'reading.ts is not a finite number';
  if (msg.topic !== `${r.deviceId}/${r.sensor}`) return 'msg.topic is not <deviceId>/<sensor>';
  return undefined;
}

function windowShape(msg: Msg): string | undefined {
  const w = msg.payload;
  if (!isRecord(w)) return 'a window payload is not an object';
  if (typeof w.deviceId !== 'string' || msg.topic !== w.deviceId) return 'window deviceId/topic';
  if (!finite(w.start) || !finite(w.end)) return 'window start/end are not finite';
  if (!isRecord(w.features)) return 'window features is not an object';
  const notFinite = Object.entries(w.features).find(([, v]) => !finite(v));
  if (notFinite) return `window feature ${notFinite[0]} is ${String(notFinite[1])}, not a finite number`;
  if (!isRecord(w.counts) || !Object.values(w.counts).every((n) => Number.isInteger(n) && (n as number) >= 0)) return 'window counts';
  if (w.filled !== undefined && !(Array.isArray(w.filled) && w.filled.every((f) => typeof f === 'string'))) return 'window filled';
  return undefined;
}

function predictionShape(prediction: unknown): string | undefined {
  if (!isRecord(prediction)) return 'payload.prediction is not an object';
  const { confidence, label, value, model } = prediction;
  if (!finite(confidence) || confidence < 0 || confidence > 1) return `confidence ${String(confidence)}`;
  if (!isRecord(model) || typeof model.name !== 'string' || typeof model.version !== 'string') return 'prediction.model';
  if (label === undefined && !finite(value)) return 'a prediction with neither label nor value';
  return undefined;
}

const OUTCOMES = ['sent', 'suppressed', 'refused', 'acked', 'nacked', 'timeout'];

function commandShape(msg: Msg): string | undefined {
  if (typeof msg.topic !== 'string' || msg.topic === '' || /[+#\u0000]/.test(msg.topic)) return `command topic ${JSON.stringify(msg.topic)} cannot be published to`;
  const c = msg.command;
  if (!isRecord(c) || typeof c.deviceId !== 'string' || typeof c.correlationId !== 'string' || !finite(c.ts) || typeof c.reason !== 'string') return 'msg.command';
  if (msg.payload === undefined || JSON.stringify(msg.payload) === undefined) return 'a command payload that is not JSON';
  return undefined;
}

function outcomeShape(msg: Msg): string | undefined {
  const o = msg.payload;
  if (!isRecord(o)) return 'an outcome payload is not an object';
  if (!(o.deviceId === null || typeof o.deviceId === 'string')) return 'outcome.deviceId';
  if (!(o.correlationId === null || typeof o.correlationId === 'string')) return 'outcome.correlationId';
  if (typeof o.status !== 'string' || !OUTCOMES.includes(o.status)) return `outcome.status ${String(o.status)}`;
  if (typeof o.detail !== 'string') return 'outcome.detail';
  if (o.status === 'refused') return errorShape([o.detail])(msg);
  return undefined;
}

interface FuzzSpec {
  modules: unknown[];
  flow: object[];
  messages: fc.Arbitrary<Msg>;
  output1: Check;
  output2?: Check;
  outputs?: number;
  /** Fills in a message just before it is sent, from what the node said so far (e.g. a live correlation). */
  prepare?: (msg: Msg, seen: Seen) => Msg;
  /** Resolves when the node is ready for input (a model loaded). */
  ready?: () => Promise<void>;
  /** Whether a Catch may see a message that was also finished with done() (a later, asynchronous fault report). */
  lateFaults?: RegExp;
}

/** What output 1 said so far: the reply tokens devices were given, and where they were told to reply. */
interface Seen {
  correlationIds: string[];
  replyTopics: string[];
}

interface FuzzReport {
  cases: number;
  output1: number;
  output2: number;
  /** Output 2 by error code (or outcome status/detail), to show how deep the cases reached. */
  codes: Record<string, number>;
  heapGrowthMb: number;
}

/** Runs the property over `spec.messages` against node n1 and checks every output as it arrives. */
async function fuzzNode(spec: FuzzSpec): Promise<FuzzReport> {
  await helper.load(spec.modules, spec.flow);
  await spec.ready?.();
  const n1 = getNode('n1');
  const problems: string[] = [];
  // Only the last 200 correlation ids, not the messages: those may hold copies of 10 MB values.
  const seen: Seen = { correlationIds: [], replyTopics: [] };
  const counts = { out1: 0, out2: 0 };
  const codes: Record<string, number> = {};
  const watch = (id: 'out1' | 'out2', check: Check | undefined) =>
    getNode(id).on('input', (msg) => {
      counts[id]++;
      if (id === 'out2') {
        const code = String(msg.error?.code ?? `${msg.payload?.status}/${msg.payload?.detail}`);
        codes[code] = (codes[code] ?? 0) + 1;
      }
      // The device's correlation: payload.correlationId (ack payload), not the public msg.command.correlationId.
      if (id === 'out1' && typeof msg.payload?.correlationId === 'string' && typeof msg.payload?.replyTo === 'string') {
        seen.correlationIds.push(msg.payload.correlationId);
        seen.replyTopics.push(msg.payload.replyTo);
        if (seen.correlationIds.length > 200) {
          seen.correlationIds.shift();
          seen.replyTopics.shift();
        }
      }
      const problem = check?.(msg);
      if (problem !== undefined) problems.push(`${id}: ${problem}`);
    });
  watch('out1', spec.output1);
  if ((spec.outputs ?? 2) > 1) watch('out2', spec.output2);
  const completed = new Map<string, number>();
  const caught = new Map<string, string>();
  getNode('completed').on('input', (msg) => completed.set(msg._msgid, (completed.get(msg._msgid) ?? 0) + 1));
  getNode('caught').on('input', (msg) => caught.set(msg._msgid, String(msg.error?.message)));
  const sent: string[] = [];
  const heapBefore = heapAfterGc();

  await fc.assert(
    fc.asyncProperty(spec.messages, async (generated) => {
      // The test helper's spies keep every call's arguments: forget them, or the heap measures the helper.
      if (sent.length % 50 === 0) (helper as unknown as { _sandbox: { resetHistory(): void } })._sandbox.resetHistory();
      const msg = spec.prepare ? spec.prepare(generated, seen) : generated;
      n1.receive(msg);
      const id = msg._msgid as string;
      sent.push(id);
      const deadline = Date.now() + 20_000;
      while (!completed.has(id) && !caught.has(id)) {
        if (Date.now() > deadline) throw new Error('the input was never finished: neither done() nor done(err) within 20 s');
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (caught.has(id)) throw new Error(`bad data reached the Catch node (done(err) or a throw): ${caught.get(id)}`);
      if (completed.get(id) !== 1) throw new Error(`done() was called ${completed.get(id)} times`);
      if (problems.length > 0) throw new Error(problems.splice(0).join('\n'));
    }),
    {
      numRuns: RUNS,
      endOnFailure: true,
      // The default report prints the whole counterexample, which may hold 10 MB: keep it readable.
      reporter: (details) => {
        if (!details.failed) return;
        const shown = fc.stringify(details.counterexample).slice(0, 2000);
        throw new Error(`after ${details.numRuns} case(s), seed ${details.seed}, path ${details.counterexamplePath}: ${String((details.errorInstance as Error | undefined)?.message ?? details.errorInstance)}\ncounterexample (cut): ${shown}`);
      },
    },
  );

  // Late outputs and fault reports (timers, workers) still count.
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.deepEqual(problems, []);
  for (const [id, message] of caught) {
    assert.ok(completed.get(id) === 1 && spec.lateFaults?.test(message), `a Catch for ${id}: ${message}`);
  }
  assert.equal(sent.filter((id) => completed.get(id) === 1).length, sent.length, 'every input finished exactly once');
  const heapGrowthMb = (heapAfterGc() - heapBefore) / 1e6;
  assert.ok(heapGrowthMb < HEAP_GROWTH_BOUND_MB, `heap grew by ${heapGrowthMb.toFixed(1)} MB over the run (bound ${HEAP_GROWTH_BOUND_MB} MB)`);
  return { cases: sent.length, output1: counts.out1, output2: counts.out2, codes, heapGrowthMb };
}

/** Waits for the ml-model config node `cfg` to have its model. */
async function modelLoaded(): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(getNode('cfg') as unknown as { state(): { model?: unknown } }).state().model) {
    if (Date.now() > deadline) throw new Error('the model did not load');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const device = fc.oneof({ weight: 4, arbitrary: fc.constantFrom('d1', 'd2', 'kitchen', 'ward-3/bed-2') }, { weight: 1, arbitrary: hostileString });
const sensor = fc.oneof({ weight: 4, arbitrary: fc.constantFrom('temp', 'hum', 'co2', 'hr') }, { weight: 1, arbitrary: hostileString });
/** Mostly within an hour of now, in any order; sometimes absurd. */
const timestamp = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: T0 - 3_600_000, max: T0 + 3_600_000 }) }, { weight: 1, arbitrary: hostileNumber }, { weight: 1, arbitrary: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()) });

describe('fuzz: every node takes hostile input in the Node-RED runtime', function () {
  this.timeout(RUNS * 200 + 60_000);
  let protoBefore: string;
  const reports: Record<string, FuzzReport> = {};

  before(() => {
    largeValues(); // built once, before any heap baseline
    protoBefore = prototypeFingerprint();
  });
  const userDir = runtimeWithUserDir('iot-ai-fuzz-');
  afterEach(() => {
    // No prototype pollution, whatever came in.
    assert.equal(prototypeFingerprint(), protoBefore, 'a built-in prototype gained or lost a property');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(([] as unknown as Record<string, unknown>).polluted, undefined);
  });
  after(() => {
    for (const [node, r] of Object.entries(reports)) {
      const top = Object.entries(r.codes).sort((a, b) => b[1] - a[1]).slice(0, 8).map(([code, n]) => `${code} ${n}`).join(', ');
      console.log(`      ${node}: ${r.cases} cases → ${r.output1} on output 1, ${r.output2} on output 2 (${top}); heap +${r.heapGrowthMb.toFixed(1)} MB`);
    }
  });

  it(`sensor-ingest: ${RUNS} hostile payloads and topics, every one finished, readings canonical, rejects with a code`, async () => {
    const senmlRecord = fc.record({ bn: mostly(fc.constantFrom('d1:', 'urn:dev:ow:10e2073a01080063:')), bt: mostly(fc.integer({ min: 1.6e9, max: 1.8e9 })), n: mostly(sensor), u: mostly(fc.constantFrom('Cel', 'degF', 'K', '%RH')), v: mostly(fc.double()), vb: hostileValue, vs: hostileValue, t: mostly(fc.integer({ min: -100, max: 100 })) }, { requiredKeys: [] });
    const flat = fc.record({ deviceId: mostly(device), ts: mostly(timestamp), temp: mostly(fc.double()), hum: hostileValue, value: hostileValue, sensor: mostly(sensor), unit: hostileValue }, { requiredKeys: [] });
    const payload = fc.oneof(hostileTopLevel, senmlRecord, fc.array(senmlRecord, { maxLength: 20 }), flat, fc.array(flat, { maxLength: 5 }), flat.map(jsonText), fc.array(senmlRecord).map((p) => Buffer.from(jsonText(p))));
    reports['sensor-ingest'] = await fuzzNode({
      modules: [sensorIngest],
      flow: harness('sensor-ingest', { topicPattern: 'sensors/{deviceId}/{sensor}', convertUnits: true, sensors: [{ name: 'temp', unit: 'Cel', min: -40, max: 85 }], schema: '{"type": ["object", "array", "number", "boolean"]}' }),
      messages: hostileMessage(payload, { topic: fc.oneof(fc.constantFrom('sensors/dev7/temp', 'sensors/dev7'), hostileString, hostileValue) }),
      output1: canonicalReading,
      output2: errorShape(['parse', 'schema', 'missing-field', 'type', 'range', 'future', 'too-large', 'device-id', 'sensor-name']),
    });
  });

  it(`feature-window: ${RUNS} hostile readings, arrays and reset/flush values, windows of finite features`, async () => {
    // A reading's ts is mostly a small offset that `prepare` moves onto a clock running 200 ms per case, so that
    // windows fill and close; sometimes it is absurd.
    const reading = fc.record({ deviceId: mostly(device, 10), sensor: mostly(sensor, 10), value: mostly(fc.double({ noNaN: true, noDefaultInfinity: true }), 10), ts: mostly(fc.integer({ min: -3000, max: 3000 }), 10), unit: hostileValue }, { requiredKeys: ['deviceId', 'sensor', 'value', 'ts'] });
    let clock = T0;
    const onClock = (item: unknown) => (isRecord(item) && typeof item.ts === 'number' && Math.abs(item.ts) <= 3000 ? { ...item, ts: clock + item.ts } : item);
    const payload = fc.oneof({ weight: 4, arbitrary: reading }, { weight: 2, arbitrary: fc.array(reading, { maxLength: 30 }) }, { weight: 2, arbitrary: hostileTopLevel });
    reports['feature-window'] = await fuzzNode({
      modules: [featureWindow],
      flow: harness('feature-window', { window: 'sliding', size: 10, slide: 5, unit: 's', lateness: 2000, features: 'mean,std,min,max,median,slope,rms,p90,iqr,skew,kurtosis,delta,meanCrossings,count', minCount: '{"temp": 2}', fill: 'previous', maxKeys: 500, idleTimeout: 100 }),
      messages: hostileMessage(payload),
      prepare: (msg) => {
        clock += 200;
        return { ...msg, payload: Array.isArray(msg.payload) ? msg.payload.map(onClock) : onClock(msg.payload) };
      },
      output1: windowShape,
      output2: errorShape(['late', 'min-count', 'type', 'overflow', 'too-large', 'future', 'duplicate']),
    });
  });

  describe('model nodes', function () {
    const features = fc.record({ 'temp.mean': mostly(fc.double({ noNaN: true, noDefaultInfinity: true })), 'noise.mean': mostly(fc.double({ noNaN: true, noDefaultInfinity: true })), extra: hostileValue }, { requiredKeys: [] });

    it(`model-predict: ${RUNS} hostile feature objects and batches, predictions well-formed, errors with a code`, async () => {
      const item = fc.record({ deviceId: mostly(device), features: mostly(features) }, { requiredKeys: [] });
      const payload = fc.oneof({ weight: 4, arbitrary: item }, { weight: 2, arbitrary: fc.array(mostly(item), { maxLength: 20 }) }, { weight: 2, arbitrary: hostileTopLevel });
      reports['model-predict'] = await fuzzNode({
        modules: [mlModel, modelPredict],
        flow: [...harness('model-predict', { model: 'cfg' }), { id: 'cfg', type: 'ml-model', path: 'live.json', watch: false }],
        ready: modelLoaded,
        messages: hostileMessage(payload),
        output1: (msg) => (Array.isArray(msg.payload) ? msg.payload.map((p: Msg) => predictionShape(p?.prediction)).find(Boolean) : predictionShape(msg.payload?.prediction)),
        output2: errorShape(['features', 'too-large']),
      });
    });

    it(`anomaly-detect: ${RUNS} hostile windows, readings and batches, predictions well-formed, rejects with a code`, async () => {
      const window = fc.record({ deviceId: mostly(device), end: mostly(timestamp), features: mostly(features) }, { requiredKeys: [] });
      const reading = fc.record({ deviceId: mostly(device), sensor: mostly(sensor), value: hostileValue, ts: mostly(timestamp) }, { requiredKeys: ['deviceId', 'sensor'] });
      const payload = fc.oneof({ weight: 4, arbitrary: window }, { weight: 2, arbitrary: reading }, { weight: 1, arbitrary: fc.array(mostly(window), { maxLength: 20 }) }, { weight: 2, arbitrary: hostileTopLevel });
      const shape = (p: unknown): string | undefined => {
        if (!isRecord(p)) return 'no prediction';
        if (p.label !== 'anomaly' && p.label !== 'normal') return `label ${String(p.label)}`;
        for (const key of ['score', 'likelihood', 'confidence']) if (!(finite(p[key]) && (p[key] as number) >= 0 && (p[key] as number) <= 1)) return `${key} ${String(p[key])}`;
        if (p.episodeStart !== undefined && p.episodeStart !== true) return 'episodeStart is neither absent nor true';
        if (!isRecord(p.model) || typeof p.model.name !== 'string') return 'model.name';
        return undefined;
      };
      reports['anomaly-detect'] = await fuzzNode({
        modules: [anomalyDetect],
        flow: harness('anomaly-detect', { learn: 5, maxKeys: 50, refractory: 2 }),
        messages: hostileMessage(payload),
        output1: (msg) => (Array.isArray(msg.payload) ? msg.payload.map((p: Msg) => shape(p?.prediction)).find(Boolean) : shape(msg.payload?.prediction)),
        output2: errorShape(['features', 'type', 'device', 'payload', 'too-large']),
      });
    });

    it(`model-predict with drift per device and a third output: ${RUNS} hostile feature objects and batches`, async () => {
      const item = fc.record({ deviceId: mostly(device), features: mostly(features) }, { requiredKeys: [] });
      const payload = fc.oneof({ weight: 4, arbitrary: item }, { weight: 2, arbitrary: fc.array(mostly(item), { maxLength: 20 }) }, { weight: 2, arbitrary: hostileTopLevel });
      reports['model-predict (drift)'] = await fuzzNode({
        modules: [mlModel, modelPredict],
        flow: [...harness('model-predict', { model: 'cfg', driftScope: 'device', driftWindow: 10, driftOutput: true, outputs: 3 }, 3), { id: 'cfg', type: 'ml-model', path: 'live.json', watch: false }],
        ready: modelLoaded,
        messages: hostileMessage(payload),
        output1: (msg) => (Array.isArray(msg.payload) ? msg.payload.map((p: Msg) => predictionShape(p?.prediction)).find(Boolean) : predictionShape(msg.payload?.prediction)),
        output2: errorShape(['features', 'too-large']),
      });
    });

    it(`model-predict with an anomaly model and likelihood per device: ${RUNS} hostile feature objects and batches`, async () => {
      // A robust-z model of the two features the hostile windows carry; likelihoods judge after 100 windows a device.
      const next = ((seed) => () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648)(7);
      const records = Array.from({ length: 200 }, () => ({ features: { 'temp.mean': 20 + next() * 4, 'noise.mean': 3 + next() } }));
      const fitted = await fitAnomalyModel(records, { name: 'room', createdAt: new Date(0), method: 'robust-z', contamination: 0.01 });
      if (!fitted.ok) throw new Error(fitted.error);
      await saveModel(path.join(userDir.dir(), 'room.json'), fitted.result.model);
      const item = fc.record({ deviceId: mostly(device), features: mostly(features) }, { requiredKeys: [] });
      const payload = fc.oneof({ weight: 4, arbitrary: item }, { weight: 2, arbitrary: fc.array(mostly(item), { maxLength: 20 }) }, { weight: 2, arbitrary: hostileTopLevel });
      const shape = (p: unknown): string | undefined => {
        const basic = predictionShape(p);
        if (basic !== undefined || !isRecord(p)) return basic;
        if (p.label !== 'anomaly' && p.label !== 'normal') return `label ${String(p.label)}`;
        for (const key of ['score', 'likelihood']) if (!(finite(p[key]) && (p[key] as number) >= 0 && (p[key] as number) <= 1)) return `${key} ${String(p[key])}`;
        return undefined;
      };
      reports['model-predict (likelihood)'] = await fuzzNode({
        modules: [mlModel, modelPredict],
        flow: [...harness('model-predict', { model: 'cfg', likelihood: true, likelihoodThreshold: 0.99 }), { id: 'cfg', type: 'ml-model', path: 'room.json', watch: false }],
        ready: modelLoaded,
        messages: hostileMessage(payload),
        output1: (msg) => (Array.isArray(msg.payload) ? msg.payload.map((p: Msg) => shape(p?.prediction)).find(Boolean) : shape(msg.payload?.prediction)),
        output2: errorShape(['features', 'too-large']),
      });
    });

    it(`model-train learning anomaly baselines per device: ${RUNS} hostile windows and control values`, async () => {
      const window = fc.record({ deviceId: mostly(device), start: mostly(timestamp), end: mostly(timestamp), features: mostly(features) }, { requiredKeys: ['features'] });
      const payload = fc.oneof({ weight: 6, arbitrary: window }, { weight: 2, arbitrary: hostileTopLevel }, { weight: 1, arbitrary: fc.constant({ train: true }) });
      const messages = fc
        .tuple(hostileMessage(payload), sometimes(mostly(fc.oneof(fc.constant(true), device)), 40), sometimes(mostly(fc.constant(true)), 40))
        .map(([msg, reset, train]) => ({ ...msg, ...(reset !== undefined && { reset }), ...(train !== undefined && { train }) }));
      reports['model-train (anomaly)'] = await fuzzNode({
        modules: [mlModel, modelPredict, modelTrain],
        flow: [...harness('model-train', { model: 'cfg', task: 'anomaly', scope: 'device', warmup: 20, update: 'rolling', every: 20, maxDevices: 5, maxSamples: 200 }), { id: 'cfg', type: 'ml-model', path: 'anomaly-live.json', bundled: 'health-heart-anomaly', watch: false }],
        ready: modelLoaded,
        messages,
        output1: (msg) => (isRecord(msg.payload) && ('model' in msg.payload || 'exported' in msg.payload || 'rolledBack' in msg.payload || 'reset' in msg.payload) ? undefined : 'output 1 without model, exported, rolledBack or reset'),
        output2: errorShape(['features', 'too-large', 'too-few-samples', 'busy', 'path', 'rollback', 'superseded', 'reset', 'promote']),
        lateFaults: /model-train\.errors\.(train|write)|training failed|could not write the model file/,
      });
    });

    it(`model-train: ${RUNS} hostile windows, label events and train/export/rollback values`, async () => {
      const window = fc.record({ deviceId: mostly(device), start: mostly(timestamp), end: mostly(timestamp), features: mostly(features), label: mostly(fc.constantFrom('hot', 'cold')) }, { requiredKeys: ['features'] });
      const labelEvent = fc.record({ deviceId: mostly(device), label: mostly(fc.constantFrom('hot', 'cold')), ts: mostly(timestamp), start: timestamp, end: timestamp }, { requiredKeys: ['deviceId', 'label'] });
      const exportPath = fc.oneof(hostileString, fc.constantFrom('../escape.csv', '/tmp/x.csv', 'a/b/c.csv', 'export.csv', 'export.csv/inner', '.', '', 'link/out.csv'));
      const payload = fc.oneof({ weight: 4, arbitrary: window }, { weight: 2, arbitrary: labelEvent }, { weight: 2, arbitrary: hostileTopLevel }, { weight: 1, arbitrary: fc.constant({ train: true }) });
      const messages = fc
        .tuple(hostileMessage(payload), sometimes(exportPath, 20), sometimes(mostly(fc.constant(true)), 30))
        .map(([msg, exported, train]) => ({ ...msg, ...(exported !== undefined && { export: exported }), ...(train !== undefined && { train }) }));
      // A link out of the user directory that msg.export must not follow.
      const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-outside-'));
      fs.symlinkSync(outside, path.join(userDir.dir(), 'link'));
      reports['model-train'] = await fuzzNode({
        modules: [mlModel, modelPredict, modelTrain],
        flow: [...harness('model-train', { model: 'cfg', trees: 3, maxSamples: 200 }), { id: 'cfg', type: 'ml-model', path: 'live.json', watch: false }],
        ready: modelLoaded,
        messages,
        output1: (msg) => (isRecord(msg.payload) && ('model' in msg.payload || 'exported' in msg.payload || 'rolledBack' in msg.payload) ? undefined : 'output 1 without model, exported or rolledBack'),
        output2: errorShape(['features', 'label', 'too-large', 'too-few-samples', 'busy', 'path', 'rollback', 'superseded', 'reset', 'labels', 'not-promoted', 'promote']),
        // A training job that fails (say, windows with different features) reports after its input finished.
        lateFaults: /model-train\.errors\.(train|write)|training failed|could not write the model file/,
      });
      assert.deepEqual(fs.readdirSync(outside), [], 'msg.export followed a link out of the user directory');
      fs.rmSync(outside, { recursive: true, force: true });
    });
    it(`model-train learning forecasts live (target + horizon): ${RUNS} hostile windows, readings and label events`, async () => {
      const window = fc.record({ deviceId: mostly(device), start: mostly(timestamp), end: mostly(timestamp), features: mostly(features), label: hostileValue }, { requiredKeys: ['features'] });
      const reading = fc.record({ deviceId: mostly(device), sensor: mostly(fc.constantFrom('temp', 'noise', 'co')), value: mostly(fc.oneof(fc.double(), hostileValue)), ts: mostly(timestamp) }, { requiredKeys: ['sensor'] });
      const labelEvent = fc.record({ deviceId: mostly(device), label: mostly(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), hostileValue)), ts: mostly(timestamp) }, { requiredKeys: ['label'] });
      const payload = fc.oneof({ weight: 4, arbitrary: window }, { weight: 3, arbitrary: reading }, { weight: 1, arbitrary: labelEvent }, { weight: 2, arbitrary: hostileTopLevel }, { weight: 1, arbitrary: fc.constant({ train: true }) });
      const messages = fc
        .tuple(hostileMessage(payload), sometimes(mostly(fc.oneof(fc.constant(true), device)), 40))
        .map(([msg, reset]) => ({ ...msg, ...(reset !== undefined && { reset }) }));
      reports['model-train (forecast)'] = await fuzzNode({
        modules: [mlModel, modelPredict, modelTrain],
        flow: [...harness('model-train', { model: 'cfg', task: 'regression', target: 'temp', horizon: '10min', every: 15, trees: 3, maxSamples: 200 }), { id: 'cfg', type: 'ml-model', path: 'live.json', watch: false }],
        ready: modelLoaded,
        messages,
        output1: (msg) => (isRecord(msg.payload) && ('model' in msg.payload || 'exported' in msg.payload || 'rolledBack' in msg.payload) ? undefined : 'output 1 without model, exported or rolledBack'),
        output2: errorShape(['features', 'label', 'too-large', 'too-few-samples', 'busy', 'path', 'rollback', 'superseded', 'reset', 'labels', 'not-promoted', 'promote']),
        lateFaults: /model-train\.errors\.(train|write)|training failed|could not write the model file/,
      });
    });
  });

  for (const ack of ['payload', 'state'] as const) {
    it(`actuator-command (ack ${ack}): ${RUNS} hostile predictions, replies and overrides, one outcome each, commands publishable`, async () => {
      // fc.double leans towards tiny and extreme values: mix in everyday ones so that rules match and commands go out.
      const value = fc.oneof(fc.constantFrom(5, 20, 35, 120), fc.double({ min: -50, max: 150, noNaN: true }));
      const confidence = fc.oneof(fc.constantFrom(0.05, 0.5, 1), fc.double({ min: 0, max: 1, noNaN: true }));
      const prediction = fc.record({ label: mostly(fc.constantFrom('on', 'off', 'heat')), value: mostly(value), confidence: mostly(confidence) }, { requiredKeys: [] });
      const predictionPayload = fc.record({ deviceId: mostly(device), prediction: mostly(prediction) }, { requiredKeys: [] });
      const reply = fc.record({ $correlation: fc.nat(), ok: mostly(fc.boolean()), detail: hostileValue }, { requiredKeys: ['$correlation'] });
      const state = fc.record({ deviceId: mostly(device), state: mostly(fc.constantFrom('ON', 'OFF')), setpoint: hostileValue, sensor: mostly(fc.constant('state')), value: hostileValue }, { requiredKeys: [] });
      const payload = fc.oneof({ weight: 4, arbitrary: predictionPayload }, { weight: 1, arbitrary: fc.array(predictionPayload, { maxLength: 10 }) }, { weight: 2, arbitrary: reply }, { weight: 1, arbitrary: state }, { weight: 2, arbitrary: hostileTopLevel });
      // Overrides with the values a person chose, and "that was wrong" messages (#29), from anyone.
      const override = fc.record({ deviceId: mostly(device), until: mostly(fc.constant(Date.now() + 1000)), command: hostileValue, ts: hostileValue }, { requiredKeys: [] });
      const wrong = fc.record({ deviceId: mostly(device), commandId: hostileValue, chosen: hostileValue, ts: hostileValue }, { requiredKeys: [] });
      const messages = hostileMessage(payload, { extra: { override, wrong, correlationData: hostileValue } });
      reports[`actuator-command (ack ${ack})`] = await fuzzNode({
        modules: [actuatorCommand],
        flow: harness('actuator-command', {
          rules: [{ label: 'on', command: { state: 'ON' } }, { above: 30, command: { setpoint: '{value}', room: '{deviceId}' }, topic: 'hvac/{deviceId}/set' }, { below: 10, command: ack === 'state' ? 'HEAT {value}' : { heat: 'HEAT {value}' } }],
          topic: 'home/{deviceId}/set',
          ack,
          ackTimeout: 100,
          retries: 1,
          limits: { setpoint: { min: 5, max: 35 } },
          commandSchema: '{"type": ["object", "string"]}',
          minConfidence: 0.1,
          maxPending: 50,
          maxDevices: 200,
        }),
        messages,
        // A reply names a correlation the node really sent (mostly on its reply topic), or a made-up one.
        prepare: (msg, seen) => {
          if (!isRecord(msg.payload) || !('$correlation' in msg.payload)) return msg;
          const { $correlation, ...reply } = msg.payload as Msg;
          const known = seen.correlationIds;
          if (known.length === 0 || $correlation % 4 === 0) return { ...msg, payload: { ...reply, correlationId: `made-up-${$correlation}` } };
          const i = $correlation % known.length;
          const topic = $correlation % 3 === 0 ? msg.topic : seen.replyTopics[i];
          return { ...msg, topic, payload: { ...reply, correlationId: known[i] } };
        },
        output1: commandShape,
        output2: outcomeShape,
      });
    });
  }

  it(`sensor-sim: ${RUNS} hostile commands and control messages, every one finished`, async () => {
    const topic = fc.oneof(fc.constantFrom('start', 'stop', 'home/living/set', 'home/kitchen/set', 'city/junction-1/set', 'health/bed-1/set'), hostileString);
    const payload = fc.oneof(hostileTopLevel, fc.constantFrom('start', 'stop', 'ON', 'OFF'), fc.record({ state: mostly(fc.constantFrom('ON', 'OFF')), setpoint: hostileValue, correlationId: hostileValue, replyTo: hostileValue }, { requiredKeys: [] }));
    reports['sensor-sim'] = await fuzzNode({
      modules: [sensorSim],
      flow: harness('sensor-sim', { scenario: 'home', devices: 3, interval: 1000, seed: 1, speed: 1, format: 'senml' }, 1),
      outputs: 1,
      messages: hostileMessage(payload, { topic, extra: { responseTopic: hostileValue, correlationData: hostileValue } }),
      output1: (msg) => (typeof msg.topic === 'string' && msg.topic !== '' ? undefined : 'a sensor-sim message without a topic'),
    });
  });
});
