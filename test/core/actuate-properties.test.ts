import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  ActuatorEngine,
  type ActuatorConfig,
  type ActuatorEffect,
  type CommandEffect,
  type JsonValue,
  type Outcome,
} from '../../src/core/actuate';
import { runs } from '../helpers/fuzz';
import { configOf, outcomesOf, prediction, sequentialIds } from './actuate-helpers';

const T0 = 1_700_000_000_000;
const DEVICES = ['d0', 'd1', 'd2', 'd3'];
const IMMEDIATE = new Set(['sent', 'suppressed', 'refused']);
const FINAL = new Set(['acked', 'nacked', 'timeout']);

// ---- random configs ----

const objectCommands: JsonValue[] = [
  { level: '{value}' },
  { state: 'ON', level: '{value}' },
  { nested: { x: '{value}', y: 3 }, state: '{label}' },
  { state: '{label}' },
  { list: ['{value}', 500, -500] },
  { level: 7, brightness: '{value}' },
];
const bareCommands: JsonValue[] = ['ON', '{value}', 'set {label} {value}'];

const thresholdArb = fc.integer({ min: -100, max: 100 });

function ruleArb(objectOnly: boolean): fc.Arbitrary<Record<string, unknown>> {
  const command = fc.constantFrom(...(objectOnly ? objectCommands : [...objectCommands, ...bareCommands]));
  return fc.oneof(
    fc.record({ label: fc.constantFrom('a', 'b', '1'), command }),
    fc.record({ above: thresholdArb, command }),
    fc.record({ below: thresholdArb, command }),
    fc.record({ label: fc.constantFrom('a', 'b'), above: thresholdArb, command }),
    fc.record({ above: thresholdArb, width: fc.integer({ min: 1, max: 50 }), command }).map(({ above, width, command }) => ({
      above,
      below: above + width,
      command,
    })),
    fc.record({ command, topic: fc.constant('custom/{deviceId}/{label}') }),
  );
}

/** Limits the oracle below knows how to check: none, every number, or per field by key and by container. */
const limitsArb = fc.oneof(
  fc.constant(undefined),
  fc
    .tuple(fc.integer({ min: -200, max: 200 }), fc.integer({ min: 0, max: 300 }))
    .map(([min, span]) => ({ min, max: min + span })),
  fc.tuple(fc.integer({ min: -50, max: 50 }), fc.integer({ min: 0, max: 100 })).map(([min, span]) => ({
    level: { min, max: min + span },
    nested: { max: min + span },
    brightness: { min },
  })),
);

const schemaArb = fc.constantFrom(
  undefined,
  { type: 'object', properties: { level: { type: 'number', maximum: 50 } } },
  { not: { const: 'ON' } },
);

const configArb = fc
  .constantFrom('none', 'payload', 'mqtt5', 'state')
  .chain((ack) =>
    fc.record({
      ack: fc.constant(ack),
      rules: fc.array(ruleArb(ack === 'payload'), { minLength: 1, maxLength: 4 }),
      hysteresis: fc.integer({ min: 0, max: 10 }),
      minConfidence: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, fc.double({ min: 0, max: 1, noNaN: true })),
      cooldown: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2000 })),
      onChangeOnly: fc.boolean(),
      limits: limitsArb,
      limitMode: fc.constantFrom('clamp', 'refuse'),
      commandSchema: schemaArb,
      ackTimeout: fc.integer({ min: 1, max: 1000 }),
      retries: fc.integer({ min: 0, max: 3 }),
      maxPending: fc.integer({ min: 1, max: 4 }),
      maxDevices: fc.integer({ min: 1, max: 5 }),
    }),
  );

// ---- random traffic ----

const valueArb = fc.oneof(
  fc.double(), // includes NaN, ±Infinity, -0 and huge magnitudes
  fc.integer({ min: -150, max: 150 }),
  fc.constantFrom(1e308, -1e308, Number.MAX_VALUE, Number.MIN_VALUE),
);
/** Mostly forward, sometimes a clock step back. */
const dtArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 100 }) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 2000 }) },
  { weight: 1, arbitrary: fc.integer({ min: -3000, max: 0 }) },
);
const deviceArb = fc.constantFrom(...DEVICES);

/** A reply as anyone on the broker could send it: any topic, any correlation, or a copy of an earlier one. */
interface ReplyEvent {
  kind: 'reply';
  dt: number;
  pick: number;
  ok: boolean;
  viaCorrelationData: boolean;
  /** Where it comes from: where the device was told to reply, another command's reply topic, or elsewhere. */
  topic: 'right' | 'other-command' | 'command-topic' | 'random' | 'none';
  /** What it carries: the token the device was given, the public id from the outcomes, or made up. */
  correlation: 'token' | 'public' | 'random';
  /** A QoS 1 redelivery: an earlier reply message again, unchanged. */
  duplicate: boolean;
}

/** A config change made while the node was down (a redeploy): tightened limits, a rule gone, a schema. */
interface ConfigChange {
  limits: unknown;
  commandSchema: unknown;
  dropRule: number | undefined;
}

type Event =
  | {
      kind: 'predict';
      dt: number;
      device: string;
      label?: string | number;
      value?: number;
      confidence?: number;
      /** The message also carries a reply's correlation (inherited from the sensor's MQTT 5 publish). */
      inherit?: { pick: number; viaCorrelationData: boolean };
    }
  | ReplyEvent
  | { kind: 'state'; dt: number; device: string; echo: boolean }
  | { kind: 'override'; dt: number; device: string; untilOffset: number }
  | { kind: 'tick'; dt: number }
  | { kind: 'restart'; dt: number; change?: ConfigChange }
  | { kind: 'garbage'; dt: number };

const eventArb: fc.Arbitrary<Event> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record(
      {
        kind: fc.constant('predict' as const),
        dt: dtArb,
        device: deviceArb,
        label: fc.constantFrom<string | number>('a', 'b', '1', 1, 'zzz'),
        value: valueArb,
        confidence: fc.oneof(fc.double({ min: 0, max: 1 }), fc.constant(Number.NaN)),
        inherit: fc.record({ pick: fc.nat(), viaCorrelationData: fc.boolean() }),
      },
      { requiredKeys: ['kind', 'dt', 'device'] },
    ),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('reply' as const),
      dt: dtArb,
      pick: fc.nat(),
      ok: fc.boolean(),
      viaCorrelationData: fc.boolean(),
      topic: fc.oneof({ weight: 2, arbitrary: fc.constant('right' as const) }, fc.constantFrom('other-command', 'command-topic', 'random', 'none')),
      correlation: fc.oneof({ weight: 2, arbitrary: fc.constant('token' as const) }, fc.constantFrom('public', 'random')),
      duplicate: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('state' as const), dt: dtArb, device: deviceArb, echo: fc.boolean() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('override' as const),
      dt: dtArb,
      device: deviceArb,
      untilOffset: fc.integer({ min: -500, max: 3000 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('tick' as const), dt: dtArb }) },
  {
    weight: 1,
    arbitrary: fc.record(
      {
        kind: fc.constant('restart' as const),
        dt: dtArb,
        change: fc.record({ limits: limitsArb, commandSchema: schemaArb, dropRule: fc.option(fc.nat(), { nil: undefined }) }),
      },
      { requiredKeys: ['kind', 'dt'] },
    ),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('garbage' as const), dt: dtArb }) },
);

// ---- oracles ----

function numbersOf(value: JsonValue, path: string[] = []): Array<{ path: string[]; n: number }> {
  if (typeof value === 'number') return [{ path, n: value }];
  if (Array.isArray(value)) return value.flatMap((item, i) => numbersOf(item, [...path, String(i)]));
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => numbersOf(v, [...path, k]));
  return [];
}

type Bounds = { min?: number; max?: number };
type GeneratedLimits = Bounds & { level?: Bounds; nested?: Bounds; brightness?: Bounds };

/** (1) Every number of the command lies in the range the generated limits give it. */
function assertWithinLimits(payload: JsonValue, limits: unknown): void {
  for (const { path, n } of numbersOf(payload)) {
    assert.ok(Number.isFinite(n), `non-finite ${n} sent at ${path.join('.')}`);
    if (!limits || typeof limits !== 'object') continue;
    const all = limits as GeneratedLimits;
    const ranges: Bounds[] = [];
    if ('min' in all || 'max' in all) ranges.push(all);
    if (all.level && path[path.length - 1] === 'level') ranges.push(all.level);
    if (all.nested && path[0] === 'nested') ranges.push(all.nested);
    if (all.brightness && path[path.length - 1] === 'brightness') ranges.push(all.brightness);
    for (const { min = -Infinity, max = Infinity } of ranges) {
      assert.ok(n >= min && n <= max, `${path.join('.')} = ${n} outside [${min}, ${max}]`);
    }
  }
}

/** (1) Every command satisfies the generated commandSchema (which allows the ack fields). */
function assertSatisfiesSchema(payload: JsonValue, schema: unknown): void {
  const text = JSON.stringify(schema);
  if (text?.includes('maximum') && payload !== null && typeof payload === 'object' && !Array.isArray(payload)) {
    const level = payload.level;
    assert.ok(typeof level !== 'number' || level <= 50, `schema: level ${String(level)} > 50`);
  }
  if (text?.includes('"const":"ON"')) assert.notEqual(payload, 'ON', 'schema: ON is not allowed');
}

/** The token and topic a command's device was given to reply with (`payload` and `mqtt5` ack). */
function replyInfo(command: CommandEffect): { token: string; topic: string } | undefined {
  if (command.correlationData && command.responseTopic) {
    return { token: command.correlationData.toString('utf8'), topic: command.responseTopic };
  }
  const payload = command.payload;
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return undefined;
  const { correlationId, replyTo } = payload;
  return typeof correlationId === 'string' && typeof replyTo === 'string' ? { token: correlationId, topic: replyTo } : undefined;
}

/** The correlation a message carries, read as the engine reads it (correlation data first). */
function tokenIn(msg: Record<string, unknown>): string | undefined {
  if (Buffer.isBuffer(msg.correlationData)) return msg.correlationData.toString('utf8');
  const payload = msg.payload as Record<string, unknown> | undefined;
  return typeof payload?.correlationId === 'string' ? payload.correlationId : undefined;
}

/** What the scenarios exercised, over all runs: each kind must have happened, or the oracles checked nothing. */
const seen = { repliedAcks: 0, wrongTopicIgnored: 0, endedAfterRestart: 0, inheritedPredictions: 0 };

/** Compiled commandSchemas by their JSON: compiling one takes milliseconds, and the generated ones are few. */
const validators = new Map<string, ActuatorConfig['validateCommand']>();

/** `configOf`, compiling each distinct commandSchema only once. */
function cachedConfigOf(raw: Record<string, unknown>): ActuatorConfig {
  const { commandSchema, ...rest } = raw;
  const config = configOf(rest);
  if (commandSchema === undefined) return config;
  const key = JSON.stringify(commandSchema);
  if (!validators.has(key)) validators.set(key, configOf({ ...rest, commandSchema }).validateCommand);
  return { ...config, validateCommand: validators.get(key) };
}

function isImmediate(outcome: Outcome): boolean {
  return IMMEDIATE.has(outcome.status);
}

/** Runs a whole scenario, checking the per-step properties; returns what the final checks need. */
function runScenario(initial: Record<string, unknown>, events: Event[]): void {
  /** The config in force: a restart may change it. */
  let raw = initial;
  let config = cachedConfigOf(raw);
  const ids = sequentialIds();
  let engine = new ActuatorEngine(config, ids);
  let now = T0;
  const sentAt = new Map<string, number[]>(); // device → times of new commands
  const firstSend = new Map<string, CommandEffect>(); // correlation → first command
  const finals = new Map<string, number>(); // correlation → final outcomes seen
  const correlations: string[] = [];
  const lastPayload = new Map<string, JsonValue>(); // device → last command payload
  const ruleOf = new Map<string, unknown>(); // correlation → the rule (as configured) that made it
  const replyOf = new Map<string, { token: string; topic: string }>(); // correlation → what its device was told
  const replies: Array<Record<string, unknown>> = []; // every reply message so far, for redelivery

  const replyMessage = (event: ReplyEvent): Record<string, unknown> => {
    // Mostly a command still waiting for its reply, sometimes any earlier one (a late reply).
    const waiting = correlations.filter((c) => replyOf.has(c) && !finals.has(c));
    const from = event.pick % 4 === 0 || waiting.length === 0 ? correlations : waiting;
    const id = from.length > 0 ? from[event.pick % from.length] : undefined;
    const info = id === undefined ? undefined : replyOf.get(id);
    const correlation = {
      token: info?.token ?? id ?? 'never-sent',
      public: id ?? 'never-sent',
      random: `made-up-${event.pick}`,
    }[event.correlation];
    const others = [...replyOf.values()].filter((reply) => reply.topic !== info?.topic);
    const topic = {
      right: info?.topic,
      'other-command': others.length > 0 ? others[event.pick % others.length].topic : 'elsewhere/reply',
      'command-topic': id === undefined ? undefined : firstSend.get(id)?.topic,
      random: `random/${event.pick % 7}`,
      none: undefined,
    }[event.topic];
    const msg: Record<string, unknown> = event.viaCorrelationData
      ? { correlationData: Buffer.from(correlation), payload: { ok: event.ok } }
      : { payload: { correlationId: correlation, ok: event.ok, detail: 'x' } };
    if (topic !== undefined) msg.topic = topic;
    return msg;
  };

  const observe = (effects: ActuatorEffect[], at: number): void => {
    for (const effect of effects) {
      if (effect.kind === 'command') {
        assertWithinLimits(effect.payload, raw.limits);
        assertSatisfiesSchema(effect.payload, raw.commandSchema);
        const id = effect.command.correlationId;
        if (effect.retry === undefined) {
          assert.ok(!firstSend.has(id), `correlation ${id} reused for a new command`);
          firstSend.set(id, effect);
          correlations.push(id);
          ruleOf.set(id, (raw.rules as unknown[])[Number(/^rule (\d+)/.exec(effect.command.reason)![1]) - 1]);
          const reply = replyInfo(effect);
          if (reply) replyOf.set(id, reply);
          const times = sentAt.get(effect.command.deviceId) ?? [];
          times.push(at);
          sentAt.set(effect.command.deviceId, times);
          lastPayload.set(effect.command.deviceId, effect.payload);
        } else {
          // Retries: same correlation, same command, and only while the command waits.
          const original = firstSend.get(id);
          assert.ok(original, `retry of unknown ${id}`);
          assert.deepEqual(effect.payload, original.payload);
          assert.deepEqual(effect.command, original.command);
          assert.equal(finals.get(id) ?? 0, 0, `retry after the final outcome of ${id}`);
          assert.notEqual(config.ack, 'none');
          // A command re-sent after a restart is still allowed by its rule under the current config.
          assert.ok(
            // By content: two rules alike are one rule, whatever their prototype.
            (raw.rules as unknown[]).some((rule) => JSON.stringify(rule) === JSON.stringify(ruleOf.get(id))),
            `${id} re-sent though its rule is gone`,
          );
        }
      } else if (effect.kind === 'outcome' && FINAL.has(effect.payload.status)) {
        const id = effect.payload.correlationId;
        assert.ok(id !== null && firstSend.has(id), `final outcome for unknown ${id}`);
        finals.set(id, (finals.get(id) ?? 0) + 1);
        assert.equal(finals.get(id), 1, `second final outcome for ${id}`);
        // (6) Only the device's word acks: its genuine reply, or (ack: state) its reported state.
        if (effect.payload.status === 'acked' || effect.payload.status === 'nacked') {
          if (effect.payload.detail === 'state' && config.ack === 'state' && cause?.kind === 'state') continue;
          const expected = replyOf.get(id);
          assert.ok(cause?.kind === 'reply' && expected, `${id} ${effect.payload.status} by ${cause?.kind ?? 'a timer'}`);
          assert.equal(cause.msg.topic, expected.topic, `${id} acked by a reply on another topic`);
          assert.equal(tokenIn(cause.msg), expected.token, `${id} acked by a reply without its token`);
          seen.repliedAcks += 1;
        } else if (['rule', 'limits', 'schema'].includes(effect.payload.detail)) {
          seen.endedAfterRestart += 1;
        }
      } else if (effect.kind === 'warn' && effect.code === 'reply-topic') {
        seen.wrongTopicIgnored += 1;
      }
    }
  };
  /** The input being handled, for the ack oracle. */
  let cause: { kind: Event['kind']; msg: Record<string, unknown> } | undefined;

  /** What the node's timer does: tick at each deadline that has come. */
  const runTimers = (): void => {
    cause = undefined;
    for (let deadline = engine.nextDeadline(); deadline !== undefined && deadline <= now; deadline = engine.nextDeadline()) {
      observe(engine.tick(deadline), deadline);
    }
  };

  for (const event of events) {
    now += event.dt;
    runTimers();
    cause = undefined;
    switch (event.kind) {
      case 'predict': {
        const { device, label, value, confidence, inherit } = event;
        const msg: Record<string, unknown> = prediction(device, { label, value, confidence });
        if (inherit && correlations.length > 0) {
          const id = correlations[correlations.length - 1 - (inherit.pick % Math.min(3, correlations.length))];
          const token = replyOf.get(id)?.token ?? id;
          if (inherit.viaCorrelationData) msg.correlationData = Buffer.from(token);
          else Object.assign(msg.payload as object, { correlationId: token, ok: true });
          msg.topic = replyOf.get(id)?.topic;
          seen.inheritedPredictions += 1;
        }
        cause = { kind: 'predict', msg };
        const effects = engine.handle(msg, now);
        observe(effects, now);
        // (3) exactly one immediate outcome; a new command exactly when it says sent, with its correlation.
        const immediate = outcomesOf(effects).filter(isImmediate);
        assert.equal(immediate.length, 1, `prediction gave ${JSON.stringify(immediate)}`);
        assert.equal(immediate[0].deviceId, device);
        const fresh = effects.filter((e): e is CommandEffect => e.kind === 'command' && e.retry === undefined);
        assert.equal(fresh.length, immediate[0].status === 'sent' ? 1 : 0);
        if (fresh.length === 1) assert.equal(immediate[0].correlationId, fresh[0].command.correlationId);
        break;
      }
      case 'reply': {
        const msg = event.duplicate && replies.length > 0 ? replies[event.pick % replies.length] : replyMessage(event);
        replies.push(msg);
        cause = { kind: 'reply', msg };
        const effects = engine.handle(msg, now);
        observe(effects, now);
        // (5) a reply yields no outcome of its own, and never a command.
        assert.equal(outcomesOf(effects).filter(isImmediate).length, 0);
        assert.equal(effects.filter((e) => e.kind === 'command').length, 0);
        break;
      }
      case 'state': {
        const last = lastPayload.get(event.device);
        const fields = event.echo && last !== undefined ? last : { state: 'UNKNOWN' };
        const msg =
          fields !== null && typeof fields === 'object' && !Array.isArray(fields)
            ? { topic: `state/${event.device}`, payload: { ...fields, deviceId: event.device } }
            : { topic: `stat/${event.device}/POWER`, payload: fields };
        cause = { kind: 'state', msg };
        const effects = engine.handle(msg, now);
        observe(effects, now);
        if (config.ack === 'state') assert.equal(outcomesOf(effects).filter(isImmediate).length, 0);
        break;
      }
      case 'override': {
        const effects = engine.handle({ override: { deviceId: event.device, until: now + event.untilOffset } }, now);
        observe(effects, now);
        assert.equal(outcomesOf(effects).filter(isImmediate).length, 0);
        assert.equal(effects.filter((e) => e.kind === 'command').length, 0);
        break;
      }
      case 'tick': {
        const effects = engine.tick(now);
        observe(effects, now);
        assert.equal(outcomesOf(effects).filter(isImmediate).length, 0);
        break;
      }
      case 'restart': {
        const stored = JSON.parse(JSON.stringify(engine.snapshot())) as unknown;
        if (event.change) {
          const rules = [...(raw.rules as unknown[])];
          if (event.change.dropRule !== undefined && rules.length > 1) rules.splice(event.change.dropRule % rules.length, 1);
          raw = { ...raw, rules, limits: event.change.limits, commandSchema: event.change.commandSchema };
          config = cachedConfigOf(raw);
        }
        engine = ActuatorEngine.restore(config, stored, ids, now);
        break;
      }
      case 'garbage': {
        const effects = engine.handle({ payload: [1, 2, 3] }, now);
        observe(effects, now);
        assert.deepEqual(outcomesOf(effects).map((o) => `${o.status} ${o.detail}`), ['refused bad-input']);
        break;
      }
    }
  }

  // (4) Ticking far enough ends every command sent with an ack mode, exactly once.
  cause = undefined;
  for (let round = 0; round <= config.retries + 1 && engine.nextDeadline() !== undefined; round++) {
    now = Math.max(now, engine.nextDeadline() ?? now) + 1e9;
    observe(engine.tick(now), now);
  }
  assert.equal(engine.nextDeadline(), undefined, 'commands still pending after ticking far ahead');
  assert.equal(engine.stats.pending, 0);
  for (const id of correlations) {
    assert.equal(finals.get(id) ?? 0, config.ack === 'none' ? 0 : 1, `final outcomes of ${id}`);
  }

  // (2) New commands to one device are at least cooldown apart (retries excluded).
  for (const [device, times] of sentAt) {
    for (let i = 1; i < times.length; i++) {
      const gap = times[i] - times[i - 1];
      assert.ok(gap >= config.cooldown, `${device}: new commands ${gap} ms apart, cooldown ${config.cooldown}`);
    }
  }
}

describe('actuate properties', () => {
  it('holds limits, cooldown, one immediate outcome per prediction, one final outcome per command; only genuine replies ack; re-sends obey the current config', () => {
    fc.assert(
      fc.property(configArb, fc.array(eventArb, { minLength: 5, maxLength: 80, size: 'medium' }), (raw, events) => runScenario(raw, events)),
      { numRuns: runs(400, 5000) },
    );
    for (const [kind, count] of Object.entries(seen)) assert.ok(count > 0, `no scenario had ${kind}`);
  });

  it('follows the hysteresis latch of an above rule exactly', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -50, max: 50 }),
        fc.integer({ min: 0, max: 20 }),
        fc.array(fc.integer({ min: -100, max: 100 }), { maxLength: 60 }),
        (above, hysteresis, values) => {
          const engine = new ActuatorEngine(configOf({ rules: [{ above, command: 'ON' }], hysteresis }), sequentialIds());
          let on = false;
          for (const value of values) {
            on = on ? value > above - hysteresis : value > above;
            const [outcome] = outcomesOf(engine.handle(prediction('d', { value }), T0));
            assert.equal(outcome.status, on ? 'sent' : 'suppressed', `value ${value}`);
          }
        },
      ),
      { numRuns: runs(300, 3000) },
    );
  });

  it('follows the hysteresis latch of a below rule exactly (mirrored)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -50, max: 50 }),
        fc.integer({ min: 0, max: 20 }),
        fc.array(fc.integer({ min: -100, max: 100 }), { maxLength: 60 }),
        (below, hysteresis, values) => {
          const engine = new ActuatorEngine(configOf({ rules: [{ below, command: 'ON' }], hysteresis }), sequentialIds());
          let on = false;
          for (const value of values) {
            on = on ? value < below + hysteresis : value < below;
            const [outcome] = outcomesOf(engine.handle(prediction('d', { value }), T0));
            assert.equal(outcome.status, on ? 'sent' : 'suppressed', `value ${value}`);
          }
        },
      ),
      { numRuns: runs(300, 3000) },
    );
  });

  it('never sends a number outside the limits, whatever the value (clamp and refuse)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1000, max: 1000 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.constantFrom('clamp', 'refuse'),
        fc.array(valueArb, { maxLength: 30 }),
        (min, span, limitMode, values) => {
          const limits = { min, max: min + span };
          const engine = new ActuatorEngine(
            configOf({ rules: [{ command: { level: '{value}', list: ['{value}'] } }], limits, limitMode }),
            sequentialIds(),
          );
          for (const value of values) {
            const effects = engine.handle(prediction('d', { label: 'x', value }), T0);
            for (const effect of effects) if (effect.kind === 'command') assertWithinLimits(effect.payload, limits);
          }
        },
      ),
      { numRuns: runs(300, 3000) },
    );
  });
});

// ---- rendering: any value, any label or deviceId, every command form (#14 items 1-3, 8; #27 class 1) ----

/** Characters that could make a label or deviceId change a command or a topic, mixed with ordinary ones. */
const hostileUnit = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('a', 'B', '7', '-', '.', '_', 'ü', '💡') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '"', "'", '{', '}', '[', ']', '\\', ';', ',', ':', ' ', '\n', '/', '+', '#', '\u0000', '\u0007', '\u0085', '\u009f',
      '\uFFFF', '\uFFFE', '\uFDD0', '\u{10FFFF}', '\uD800', '\uDC00', '{value}', '{label}', '{deviceId}', 'on","power":100,"x":"',
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
);
const hostileText = fc.string({ unit: hostileUnit, maxLength: 6 });

type FormKind = 'json' | 'text' | 'bare';
interface Form {
  rule: Record<string, unknown>;
  kind: FormKind;
  /** JSON forms: the command as an object of placeholders; text forms: the text. */
  template: JsonValue;
}

const FORMS: Form[] = [
  { rule: { command: { level: '{value}', state: '{label}', who: '{deviceId}' } }, kind: 'json', template: { level: '{value}', state: '{label}', who: '{deviceId}' } },
  {
    rule: { commandType: 'json', command: { brightness: '{value}%', cmd: 'set {value} for {deviceId}', light: { text: 'Dimmer {value} {label}' } } },
    kind: 'json',
    template: { brightness: '{value}%', cmd: 'set {value} for {deviceId}', light: { text: 'Dimmer {value} {label}' } },
  },
  {
    rule: { commandType: 'json', command: '{"list": ["{value}", "x{label}"], "n": {"m": "{value} at {deviceId}"}}' },
    kind: 'json',
    template: { list: ['{value}', 'x{label}'], n: { m: '{value} at {deviceId}' } },
  },
  {
    // Saved as text before commandType: JSON but for its bare placeholders.
    rule: { command: '{"brightness": {value}, "who": "{deviceId}", "what": {label}}' },
    kind: 'json',
    template: { brightness: '{value}', who: '{deviceId}', what: '{label}' },
  },
  { rule: { commandType: 'text', command: '{"state": "{label}", "level": {value}}' }, kind: 'json', template: { state: '{label}', level: '{value}' } },
  { rule: { commandType: 'text', command: 'Dimmer {value}' }, kind: 'text', template: 'Dimmer {value}' },
  {
    rule: { commandType: 'text', command: 'Backlog Power {label}; Name {deviceId}; Dimmer {value}' },
    kind: 'text',
    template: 'Backlog Power {label}; Name {deviceId}; Dimmer {value}',
  },
  { rule: { command: 'set {label} {value}' }, kind: 'text', template: 'set {label} {value}' },
  { rule: { command: '{value}' }, kind: 'bare', template: '{value}' },
];

const TOPICS = ['{deviceId}/set', 'cmnd/{deviceId}/{label}', 't/{label}', 'dim/{deviceId}/{value}'];

/** Every name the limits below use: no two name fields on one path of the forms above. */
const renderLimitsArb = fc.oneof(
  fc.constant(undefined),
  fc.tuple(fc.integer({ min: -200, max: 200 }), fc.integer({ min: 0, max: 300 })).map(([min, span]) => ({ min, max: min + span })),
  fc.tuple(fc.integer({ min: -50, max: 50 }), fc.integer({ min: 0, max: 100 })).map(([min, span]) => ({
    level: { min, max: min + span },
    brightness: { max: min + span },
    light: { min, max: min + span },
    m: { min },
    command: { min, max: min + span },
    topic: { max: min + span },
  })),
);

/** The ranges the generated limits give a field at `path` (a whole text command is `command`). */
function rangesAt(limits: unknown, path: string[]): Bounds[] {
  if (!limits || typeof limits !== 'object') return [];
  const all = limits as Record<string, Bounds>;
  if ('min' in all || 'max' in all) return [all as Bounds];
  const names = path.length === 0 ? ['command'] : path;
  return Object.keys(all).filter((name) => names.includes(name)).map((name) => all[name]);
}

function assertInRanges(n: number, ranges: Bounds[], where: string): void {
  assert.ok(Number.isFinite(n), `${where}: ${n} is not finite`);
  for (const { min = -Infinity, max = Infinity } of ranges) assert.ok(n >= min && n <= max, `${where}: ${n} outside [${min}, ${max}]`);
}

const escapeRe = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The numbers written for `{value}` into `rendered`, a fill of `template` where labels and deviceIds are known:
 * everything but the value is matched literally. Undefined when the rendering is not such a fill at all.
 */
function valuesWritten(template: string, rendered: string, vars: { deviceId: string; label: string }): number[] | undefined {
  const source = template
    .split(/(\{(?:deviceId|label|value)\})/)
    .map((part) => {
      if (part === '{value}') return '(-?\\d+(?:\\.\\d+)?(?:e[+-]\\d+)?)';
      if (part === '{label}') return escapeRe(vars.label);
      if (part === '{deviceId}') return escapeRe(vars.deviceId);
      return escapeRe(part);
    })
    .join('');
  const match = new RegExp(`^${source}$`, 'u').exec(rendered);
  return match ? match.slice(1).map(Number) : undefined;
}

/** Characters that separate the parts of a text command (and every control character and lone surrogate). */
function delimiters(text: string): string {
  return [...text].filter((c) => {
    const code = c.codePointAt(0)!;
    return `"'{}[]\\;,:=&|<> \t\r\n`.includes(c) || code < 0x20 || (code >= 0x7f && code <= 0x9f) || (code >= 0xd800 && code <= 0xdfff);
  }).join('');
}

/** MQTT 3.1.1 §1.5.3 / MQTT 5 §1.5.4 for a PUBLISH, written out code point by code point. */
function mqttAllows(topic: string): boolean {
  if (topic === '' || Buffer.byteLength(topic, 'utf8') > 65535) return false;
  for (const char of topic) {
    const code = char.codePointAt(0)!;
    if (char === '+' || char === '#' || code <= 0x1f || (code >= 0x7f && code <= 0x9f)) return false;
    if ((code >= 0xd800 && code <= 0xdfff) || (code >= 0xfdd0 && code <= 0xfdef) || (code & 0xfffe) === 0xfffe) return false;
  }
  return true;
}

/** A topic template filled without a value, as the oracle expects it. */
function expectedTopic(template: string, vars: { deviceId: string; label: string }): string | undefined {
  if (template.includes('{value}')) return undefined;
  return template.split(/(\{(?:deviceId|label)\})/).map((part) => (part === '{label}' ? vars.label : part === '{deviceId}' ? vars.deviceId : part)).join('');
}

/** Same keys at every level, same array lengths; `"{value}"` is a number, other template strings are strings. */
function assertSameStructure(payload: JsonValue, template: JsonValue, path: string[], check: (s: string, t: string, p: string[]) => void): void {
  const where = path.join('.') || 'command';
  if (template === '{value}') {
    assert.equal(typeof payload, 'number', `${where} should be the value`);
    return;
  }
  if (typeof template === 'string') {
    assert.equal(typeof payload, 'string', `${where} should be a string`);
    check(payload as string, template, path);
    return;
  }
  if (Array.isArray(template)) {
    assert.ok(Array.isArray(payload) && payload.length === template.length, `${where}: array changed`);
    template.forEach((item, i) => assertSameStructure((payload as JsonValue[])[i], item, [...path, String(i)], check));
    return;
  }
  if (template !== null && typeof template === 'object') {
    assert.ok(payload !== null && typeof payload === 'object' && !Array.isArray(payload), `${where}: not an object`);
    assert.deepEqual(Object.keys(payload).sort(), Object.keys(template).sort(), `${where}: keys changed`);
    for (const key of Object.keys(template)) assertSameStructure(payload[key], template[key], [...path, key], check);
    return;
  }
  assert.deepEqual(payload, template);
}

const renderCaseArb = fc.record({
  form: fc.nat({ max: FORMS.length - 1 }),
  topic: fc.constantFrom(...TOPICS),
  limits: renderLimitsArb,
  limitMode: fc.constantFrom('clamp', 'refuse'),
  cooldown: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 500 })),
  ack: fc.constantFrom('none', 'mqtt5'),
  predictions: fc.array(
    fc.record({
      dt: fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 0, max: 300 }) }, { weight: 1, arbitrary: fc.integer({ min: -300, max: 0 }) }),
      deviceId: fc.oneof(fc.constantFrom('d0', 'a', 'a/b', 'lamp\uD800', 'lamp\uDBFF'), hostileText),
      // The long one: 21,850 UTF-16 units, 65,550 bytes of UTF-8.
      label: fc.oneof(fc.constantFrom('c', 'b/c', 'on', '', '€'.repeat(21_850)), hostileText),
      value: valueArb,
    }),
    { minLength: 1, maxLength: 25 },
  ),
});

describe('actuate properties: rendering', () => {
  it('never writes a value outside the limits, never changes a command\'s structure, never publishes to a topic MQTT forbids, and keeps the cooldown per topic', () => {
    let sent = 0;
    fc.assert(
      fc.property(renderCaseArb, ({ form: formIndex, topic, limits, limitMode, cooldown, ack, predictions }) => {
        const form = FORMS[formIndex];
        const rule = { ...form.rule, topic };
        const engine = new ActuatorEngine(configOf({ rules: [rule], limits, limitMode, cooldown, ack }), sequentialIds());
        let now = T0;
        const sentAt = new Map<string, number[]>(); // topic (and device) → times of new commands
        for (const p of predictions) {
          now += p.dt;
          const effects = engine.handle(prediction(p.deviceId, { label: p.label, value: p.value }), now);
          const outcomes = outcomesOf(effects).filter(isImmediate);
          assert.equal(outcomes.length, 1, 'one immediate outcome');
          const [outcome] = outcomes;
          const commands = effects.filter((e): e is CommandEffect => e.kind === 'command');
          assert.equal(commands.length, outcome.status === 'sent' ? 1 : 0);
          const warned = effects.some((e) => e.kind === 'warn');
          assert.equal(warned, outcome.detail === 'topic', 'a warning exactly for a refused topic');
          const vars = { deviceId: p.deviceId, label: p.label };
          const expected = expectedTopic(topic, vars);
          if (expected !== undefined && !mqttAllows(expected) && outcome.status !== 'refused') assert.fail(`${JSON.stringify(expected)} was not refused`);
          if (commands.length === 0) continue;
          sent += 1;
          const [command] = commands;
          // Topics: allowed by MQTT, as expected, a value in them inside the limits of `topic`.
          assert.ok(mqttAllows(command.topic), `published to ${JSON.stringify(command.topic)}`);
          if (command.responseTopic !== undefined) assert.ok(mqttAllows(command.responseTopic), 'reply topic');
          if (expected !== undefined) assert.equal(command.topic, expected);
          else for (const n of valuesWritten(topic, command.topic, vars) ?? assert.fail('topic is not a fill')) assertInRanges(n, rangesAt(limits, ['topic']), 'topic');
          // The command: its structure is the template's; every number and every value written into a string is in range.
          const payload = command.payload;
          if (form.kind === 'bare') {
            assert.equal(typeof payload, 'number');
            assertInRanges(payload as number, rangesAt(limits, []), 'command');
          } else if (form.kind === 'text') {
            assert.equal(typeof payload, 'string');
            const text = form.template as string;
            const written = valuesWritten(text, payload as string, vars) ?? assert.fail(`${JSON.stringify(payload)} is not a fill of ${text}`);
            for (const n of written) assertInRanges(n, rangesAt(limits, []), 'text command');
            assert.equal(delimiters(payload as string), delimiters(text.replace(/\{(?:deviceId|label|value)\}/g, '')), 'a value changed the text command');
          } else {
            assertSameStructure(payload, form.template, [], (rendered, template, path) => {
              if (!template.includes('{value}')) return;
              const written = valuesWritten(template, rendered, vars) ?? assert.fail(`${JSON.stringify(rendered)} is not a fill of ${template}`);
              for (const n of written) assertInRanges(n, rangesAt(limits, path), path.join('.'));
            });
            for (const { path, n } of numbersOf(payload)) assertInRanges(n, rangesAt(limits, path), path.join('.'));
          }
          for (const key of [`topic ${command.topic}`, `device ${command.command.deviceId}`]) {
            const times = sentAt.get(key) ?? [];
            if (cooldown > 0 && times.length > 0) assert.ok(now - times[times.length - 1] >= cooldown, `${key}: ${now - times[times.length - 1]} ms after the last, cooldown ${cooldown}`);
            times.push(now);
            sentAt.set(key, times);
          }
        }
      }),
      { numRuns: runs(300, 5000) },
    );
    assert.ok(sent > 0, 'some commands were sent');
  });
});
