/**
 * Issue 19: the batch path (sensor-ingest `output: batch` → feature-window arrays and `output: batch` →
 * model-predict arrays → actuator-command arrays) behaves exactly as the per-reading path. On random streams of
 * device messages (several readings each, out of order, some late, some far ahead, some not readings at all), the
 * same windows and rejects come out in the same order, the same predictions, the same commands and outcomes
 * (cooldowns, onChangeOnly, limits, acks with retries and timeouts), and the engines end in the same state (what
 * persistence saves). A bad element of an array is rejected with its `/<index>` and the others go on.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ActuatorEngine, parseActuatorConfig, type ActuatorEffect } from '../../src/core/actuate';
import { Ingestor, parseIngestConfig } from '../../src/core/ingest';
import { loadModel, type LoadedModel } from '../../src/core/model';
import { parsePredictConfig, PredictSession, type DriftChange } from '../../src/core/model/monitor/predict-session';
import { parseWindowConfig, WindowEngine, type WindowConfig } from '../../src/core/window';
import type { WindowEvent, WindowPayload } from '../../src/core/window/types';
import { runs } from '../helpers/fuzz';
import { toyClassifier } from '../helpers/models';

const T0 = 1_700_000_000_000;
const DEVICES = ['d0', 'd1', 'd2'];
const SENSORS = ['temp', 'noise'];

interface DeviceMessage {
  /** Wall-clock ms since the previous message. */
  wait: number;
  /** Readings of one device payload; `bad` ones are not readings. */
  readings: Array<{ device: number; sensor: number; value: number; back: number; bad: boolean }>;
}

const windowArb = fc.record({
  window: fc.constantFrom('tumbling', 'sliding', 'session'),
  size: fc.integer({ min: 2, max: 20 }),
  slideDivisor: fc.integer({ min: 1, max: 3 }),
  lateness: fc.constantFrom(0, 1000, 5000),
  minCount: fc.constantFrom(0, 0, 2),
  maxJump: fc.constantFrom(0, 10_000),
});

const actuatorArb = fc.record({
  cooldown: fc.constantFrom(0, 0, 3000, 20_000),
  onChangeOnly: fc.boolean(),
  limitMode: fc.constantFrom('clamp', 'refuse'),
  ack: fc.constantFrom('none', 'payload'),
  retries: fc.integer({ min: 0, max: 2 }),
  minConfidence: fc.constantFrom(0, 0.6),
});

const messageArb: fc.Arbitrary<DeviceMessage> = fc.record({
  wait: fc.integer({ min: 0, max: 4000 }),
  readings: fc.array(
    fc.record({
      device: fc.integer({ min: 0, max: DEVICES.length - 1 }),
      sensor: fc.integer({ min: 0, max: SENSORS.length - 1 }),
      value: fc.integer({ min: 0, max: 450 }).map((n) => n / 10),
      // How far behind its arrival a reading is timed: mostly a little, sometimes late, rarely far ahead.
      back: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 500 }) }, { weight: 2, arbitrary: fc.integer({ min: 2000, max: 30_000 }) }, { weight: 1, arbitrary: fc.integer({ min: -60_000, max: -1 }) }),
      bad: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
    }),
    { minLength: 1, maxLength: 8 },
  ),
});

function windowConfig(raw: Record<string, unknown>): WindowConfig {
  const sliding = raw.window === 'sliding';
  const size = raw.size as number;
  const parsed = parseWindowConfig({
    window: raw.window,
    unit: 's',
    size,
    slide: sliding ? Math.max(1, Math.floor(size / (raw.slideDivisor as number))) : undefined,
    gap: raw.window === 'session' ? 3 : undefined,
    lateness: raw.lateness,
    maxJump: raw.maxJump,
    minCount: raw.minCount,
    sensors: SENSORS,
    features: ['mean', 'count'],
  });
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.config;
}

function actuatorEngine(raw: Record<string, unknown>): ActuatorEngine {
  const parsed = parseActuatorConfig({
    ...raw,
    rules: [
      { label: 'hot', command: { state: 'ON', level: 150 } },
      { label: 'cold', command: { state: 'OFF', level: 0 } },
    ],
    limits: { level: { min: 0, max: 100 } },
    ackTimeout: 1000,
  });
  if (!parsed.ok) throw new Error(parsed.error);
  let next = 0;
  return new ActuatorEngine(parsed.config, { newCorrelationId: () => `c${++next}` });
}

/** The readings of one device message as sensor-ingest makes them (canonical), the bad ones as they came. */
function readingsOf(message: DeviceMessage, arrival: number): unknown[] {
  return message.readings.map((r) =>
    r.bad ? { deviceId: DEVICES[r.device], sensor: SENSORS[r.sensor], value: 'high', ts: arrival } : { deviceId: DEVICES[r.device], sensor: SENSORS[r.sensor], value: r.value, ts: arrival - r.back },
  );
}

/** A window event without the array position the batch path adds (compared separately). */
function withoutIndex(event: WindowEvent): WindowEvent {
  if (event.kind !== 'reject' || event.index === undefined) return event;
  const { index: _index, ...rest } = event;
  return rest;
}

/**
 * The engine's reply tokens are 128 random bits (actuate/engine.ts): the same command gets a different token on
 * each side. Each side's tokens are named t1, t2, ... in the order they appear, so the rest compares exactly.
 */
function tokenNamer(): (value: unknown) => unknown {
  const names = new Map<string, string>();
  return (value) =>
    JSON.parse(
      JSON.stringify(value).replace(/"([A-Za-z0-9_-]{22})"/g, (_m, token: string) => {
        if (!names.has(token)) names.set(token, `t${names.size + 1}`);
        return JSON.stringify(names.get(token));
      }),
    );
}

function withoutPath(effect: ActuatorEffect): ActuatorEffect {
  if (effect.kind !== 'outcome' || effect.error?.path === undefined) return effect;
  const { path: _path, ...error } = effect.error;
  return { ...effect, error };
}

describe('the batch path equals the per-reading path (issue 19)', function () {
  this.timeout(120_000);
  let model: LoadedModel;
  before(async () => {
    const loaded = loadModel(await toyClassifier('1.0.0', 5));
    if (!loaded.ok) throw new Error(loaded.error);
    model = loaded.model;
  });

  it('sensor-ingest: a batch holds exactly the readings `each` sends one by one, in order', () => {
    const each = parseIngestConfig({ format: 'senml' });
    const batch = parseIngestConfig({ format: 'senml', output: 'batch' });
    assert.ok(each.ok && batch.ok);
    assert.equal(each.config.output, 'each', 'a flow saved without output gets each');
    assert.deepEqual(parseIngestConfig({ output: 'many' }), { ok: false, error: 'output must be one of each, batch, got "many"' });
    fc.assert(
      fc.property(fc.array(fc.record({ n: fc.constantFrom('temp', 'noise', ''), v: fc.oneof(fc.double({ noNaN: true, min: -50, max: 50 }), fc.constant('x')) }), { maxLength: 12 }), (records) => {
        const pack = [{ bn: 'd0:', bt: T0 / 1000 }, ...records];
        const a = new Ingestor(each.config).ingest(JSON.stringify(pack), undefined, T0);
        const b = new Ingestor(batch.config).ingest(JSON.stringify(pack), undefined, T0);
        assert.deepEqual(b, a);
      }),
      { numRuns: runs(100, 2000) },
    );
  });

  it('feature-window, model-predict and actuator-command: same windows, rejects, predictions, commands, outcomes and state', () => {
    // What the random streams exercised, so the property cannot pass on streams where nothing happens.
    const seen = { windows: 0, late: 0, type: 0, commands: 0, cooldown: 0, limits: 0, timeouts: 0 };
    fc.assert(
      fc.property(windowArb, actuatorArb, fc.array(messageArb, { minLength: 1, maxLength: 40 }), (windowRaw, actuatorRaw, messages) => {
        const config = windowConfig(windowRaw);
        const windowEach = new WindowEngine(config);
        const windowBatch = new WindowEngine(config);
        const predictConfig = parsePredictConfig({ drift: false });
        assert.ok(predictConfig.ok);
        const predictEach = new PredictSession(predictConfig.config);
        const predictBatch = new PredictSession(predictConfig.config);
        const actEach = actuatorEngine(actuatorRaw);
        const actBatch = actuatorEngine(actuatorRaw);
        const tokensEach = tokenNamer();
        const tokensBatch = tokenNamer();
        let now = T0;
        for (const message of messages) {
          now += message.wait;
          // Ack timers run alike on both sides before the message.
          assert.deepEqual(tokensBatch(actBatch.tick(now)), tokensEach(actEach.tick(now)));
          const readings = readingsOf(message, now);

          // The per-reading path: one message per reading, then one per window, one per prediction.
          const eachEvents: WindowEvent[] = [];
          const eachEffects: ActuatorEffect[] = [];
          const eachPredictions: unknown[] = [];
          for (const reading of readings) {
            for (const event of windowEach.add(reading as never, now)) {
              eachEvents.push(event);
              if (event.kind !== 'window') continue;
              const result = predictEach.predict(model, event.payload.features, event.payload.deviceId, [] as DriftChange[], event.payload.end);
              if (!result.ok) continue;
              const predicted = { ...event.payload, prediction: result.prediction };
              eachPredictions.push(predicted);
              eachEffects.push(...actEach.handle({ payload: predicted }, now));
            }
          }

          // The batch path: the array through the window, the windows' array through predict and actuator.
          const batchEvents = windowBatch.addAll(readings, now);
          const windows: WindowPayload[] = batchEvents.flatMap((e) => (e.kind === 'window' ? [e.payload] : []));
          const batchPredictions: unknown[] = [];
          for (const payload of windows) {
            const result = predictBatch.predict(model, payload.features, payload.deviceId, [] as DriftChange[], payload.end);
            if (result.ok) batchPredictions.push({ ...payload, prediction: result.prediction });
          }
          const batchEffects = batchPredictions.length > 0 ? actBatch.handle({ payload: batchPredictions }, now) : [];

          assert.deepEqual(batchEvents.map(withoutIndex), eachEvents, 'same windows and rejects, in order');
          for (const event of batchEvents) {
            if (event.kind === 'reject' && event.reading !== undefined) assert.equal(readings[event.index!], event.reading, 'a reject names its place in the array');
          }
          assert.deepEqual(batchPredictions, eachPredictions, 'same predictions');
          assert.deepEqual(tokensBatch(batchEffects.map(withoutPath)), tokensEach(eachEffects), 'same commands and outcomes');
          for (const event of eachEvents) {
            if (event.kind === 'window') seen.windows++;
            else if (event.code === 'late' || event.code === 'type') seen[event.code]++;
          }
          for (const effect of eachEffects) {
            if (effect.kind === 'command') seen.commands++;
            else if (effect.kind === 'outcome' && (effect.payload.detail === 'cooldown' || effect.payload.detail === 'limits')) seen[effect.payload.detail]++;
          }
        }
        // The end: flushing gives the same windows, and what persistence saves is the same.
        assert.deepEqual(windowBatch.flush(), windowEach.flush());
        assert.deepEqual(windowBatch.snapshot(), windowEach.snapshot());
        now += 60_000;
        const finals = actEach.tick(now);
        seen.timeouts += finals.filter((e) => e.kind === 'outcome' && e.payload.status === 'timeout').length;
        assert.deepEqual(tokensBatch(actBatch.tick(now)), tokensEach(finals));
        assert.deepEqual(tokensBatch(actBatch.snapshot()), tokensEach(actEach.snapshot()));
        assert.deepEqual(actBatch.stats, actEach.stats);
      }),
      { numRuns: runs(100, 1000) },
    );
    for (const [what, count] of Object.entries(seen)) assert.ok(count > 0, `the streams produced no ${what}: ${JSON.stringify(seen)}`);
  });

  it('actuator-command: a bad prediction in an array is refused with its /<index>; the good ones around it act as alone', () => {
    const batch = actuatorEngine({ ack: 'none' });
    const each = actuatorEngine({ ack: 'none' });
    const predictions = [
      { deviceId: 'd0', prediction: { label: 'hot', confidence: 1 } },
      { deviceId: 'd1', prediction: { label: { not: 'a label' } } },
      { deviceId: 'd2', prediction: { label: 'cold', confidence: 1 } },
    ];
    const effects = batch.handle({ payload: predictions }, T0);
    const alone = predictions.flatMap((p) => each.handle({ payload: p }, T0));
    assert.deepEqual(effects.map(withoutPath), alone);
    const refused = effects.filter((e) => e.kind === 'outcome' && e.payload.status === 'refused');
    assert.equal(refused.length, 1);
    assert.deepEqual(refused[0].kind === 'outcome' && refused[0].error, { code: 'bad-input', message: 'prediction.label must be a string or a number', path: '/1' });
    assert.equal(effects.filter((e) => e.kind === 'command').length, 2, 'both good predictions still command their devices');
  });

  it('feature-window: a bad reading in an array is rejected with its /<index>; the good ones are windowed', () => {
    const config = windowConfig({ window: 'tumbling', size: 10, slideDivisor: 1, lateness: 0, minCount: 0, maxJump: 0 });
    const engine = new WindowEngine(config);
    const events = engine.addAll(
      [
        { deviceId: 'd0', sensor: 'temp', value: 20, ts: T0 },
        { deviceId: 'd0', sensor: 'temp', value: 'warm', ts: T0 + 1 },
        null,
        { deviceId: 'd0', sensor: 'temp', value: 22, ts: T0 + 20_000 },
      ],
      T0,
    );
    const rejects = events.filter((e) => e.kind === 'reject');
    assert.deepEqual(rejects.map((e) => e.kind === 'reject' && [e.code, e.index]), [['type', 1], ['type', 2]]);
    const windows = events.filter((e) => e.kind === 'window');
    assert.equal(windows.length, 1, 'the first reading\'s window closes when the last one moves the watermark');
    assert.equal(windows[0].kind === 'window' && windows[0].payload.features['temp.mean'], 20);
  });
});
