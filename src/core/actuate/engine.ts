import { createHash, randomBytes } from 'node:crypto';
import { LruMap } from '../util/lru-map';
import { ACTUATOR_DEFAULTS, type ActuatorConfig } from './config';
import {
  looksLikePrediction,
  MAX_ITEMS_PER_MESSAGE,
  readCorrelation,
  readDeviceId,
  readOverride,
  readPayload,
  readPrediction,
  readReply,
  readStateReport,
  readWrong,
  type PredictionInput,
} from './input';
import {
  BARE_FIELD,
  contradictions,
  keptEvents,
  readCorrectionTs,
  wrongWithoutChoice,
  type AutomaticCommand,
  type CorrectionSource,
  type FeedbackEvent,
} from './corrections';
import { cloneJson, isPlainObject, quoted, stableStringify } from './json';
import { applyLimits, jsonExactNumbers } from './limits';
import { matchRule, type Prediction } from './rules';
import { confirmState } from './state-match';
import type { ProfileReply, ReplyConvention, StateConvention } from './profiles';
import { fillCorrelation, renderCommand, renderTopic, type TemplateVars } from './template';
import { topicProblem, TopicCooldowns } from './topic';
import type {
  ActuatorDeps,
  ActuatorEffect,
  ActuatorRule,
  ActuatorStats,
  CommandEffect,
  JsonObject,
  JsonValue,
  OutcomeEffect,
  OutcomeStatus,
  WarnCode,
} from './types';

/** Details of `suppressed` and `refused` outcomes; stable, so flows can switch on them. */
export type SuppressedDetail = 'no-rule' | 'low-confidence' | 'cooldown' | 'unchanged' | 'override' | 'missing-features';
export type RefusedDetail =
  | 'bad-input'
  | 'bad-value'
  | 'no-value'
  | 'topic'
  | 'non-finite'
  | 'limits'
  | 'schema'
  | 'too-many-devices'
  | 'too-large'
  | 'template';
/**
 * Details of a `timeout` outcome: why the command was given up. `rule`, `limits` and `schema` end a command
 * restored after a restart that the current config no longer allows (`override` too, when its device is paused).
 */
export type TimeoutDetail = 'no-reply' | 'superseded' | 'evicted' | 'override' | 'rule' | 'limits' | 'schema';

export const SNAPSHOT_FORMAT = 'iot-ai/actuator-state@1';

/** What `snapshot()` returns: plain JSON, for a Node-RED context store. */
export interface ActuatorSnapshot {
  format: typeof SNAPSHOT_FORMAT;
  /** Latches are kept across a restart only while the rules they belong to are unchanged. */
  rulesKey: string;
  evictedLastSentAt?: number;
  /** Least recently used first. */
  devices: SnapshotDevice[];
  /** Topics still inside their cooldown, oldest first. */
  topics?: Array<{ topic: string; lastSentAt: number }>;
  /** Oldest first. */
  pending: SnapshotPending[];
}

interface DeviceState {
  /** Threshold latches that are on (see rules.ts). */
  latches: Set<string>;
  /** When the last new command went out (retries don't move it). */
  lastSentAt?: number;
  /** Topic and command of the last command sent, for `onChangeOnly`; cleared when it fails. */
  lastCommandKey?: string;
  overrideUntil?: number;
  /** At most one command per device waits for its ack. */
  pendingCorrelationId?: string;
  /** The last automatic command sent, while a person may still correct it (corrections.ts). */
  automatic?: AutomaticCommand;
}

interface PendingCommand {
  /** The command's public id, in outcomes and `msg.command`. */
  correlationId: string;
  /**
   * `payload` and `mqtt5` ack: the secret the device gets to reply with (`payload.correlationId` or the correlation
   * data): random, and never on output 2, so reading outcomes does not let anyone forge a reply.
   */
  replyToken?: string;
  /** Where the device was told to reply (`replyTo` or the response topic); set exactly when `replyToken` is. */
  replyTopic?: string;
  /** Which rule made it (its content and topic template): a restored command is ended when it is gone. */
  ruleKey?: string;
  deviceId: string;
  topic: string;
  /** As the device receives it (with the ack fields of `payload` mode). */
  payload: JsonValue;
  /** As the rule built it: what a state report must show. */
  command: JsonValue;
  commandKey: string;
  reason: string;
  /** First sent at. */
  ts: number;
  /** 0 for the first send, n for the n-th retry. */
  attempt: number;
  /** When the current attempt gives up waiting. */
  deadline: number;
  responseTopic?: string;
  /** `state` ack: command fields reported back so far. */
  confirmed: Set<string>;
  /** `state` ack with a profile: where the device reports, and the fields the command set (from topic and command). */
  stateTopics?: string[];
  expected?: JsonObject;
  /** Restored, but the current config no longer allows it: the next tick ends it with this detail. */
  endDetail?: TimeoutDetail;
}

export type SnapshotDevice = Omit<DeviceState, 'latches' | 'pendingCorrelationId' | 'automatic'> & {
  id: string;
  latches: string[];
  automatic?: SnapshotAutomatic;
};
export type SnapshotAutomatic = Omit<AutomaticCommand, 'seen' | 'corrected'> & { seen: string[]; corrected: string[] };
export type SnapshotPending = Omit<PendingCommand, 'confirmed' | 'endDetail' | 'stateTopics' | 'expected'> & {
  confirmed: string[];
};

/** A command that passed every check, about to go out. */
interface NewCommand {
  deviceId: string;
  topic: string;
  command: JsonValue;
  commandKey: string;
  reason: string;
  ruleKey: string;
  /** `payload` and `mqtt5` ack only. */
  replyTopic?: string;
  /** Of the `sent` outcome: the reason, plus what was clamped. */
  detail: string;
  /** The prediction's own time (its window's end), when it carried one. */
  at?: number;
}

type Counter = Exclude<keyof ActuatorStats, 'pending'>;

function hashOf(value: unknown): string {
  return createHash('sha256').update(stableStringify(value)).digest('hex').slice(0, 32);
}

function rulesKeyOf(rules: readonly ActuatorRule[]): string {
  return hashOf(rules);
}

/** A rule as it acts: its content and the topic it sends to (the node's topic when it names none). */
function ruleKeyOf(rule: ActuatorRule, topic: string): string {
  return hashOf({ rule, topic: rule.topic ?? topic });
}

/**
 * Turns predictions into safe device commands and follows each command to its acknowledgement.
 *
 * Pure: every call gets the time (`now`, epoch ms) from the caller, and returns what the node should do as
 * effects: `command` for output 1, `outcome` for output 2, `warn` for `node.warn`. The caller calls `tick(now)`
 * at `nextDeadline()` for ack timeouts and retries.
 */
export class ActuatorEngine {
  private readonly devices = new Map<string, DeviceState>();
  /** By public id (`correlationId`). */
  private readonly pending = new Map<string, PendingCommand>();
  /** The same commands by the reply token their device was given. */
  private readonly byToken = new Map<string, PendingCommand>();
  /** Reply tokens of recently finished commands, only to tell a late reply from an unknown one in warnings. */
  private readonly finished: LruMap<string, { correlationId: string; status: OutcomeStatus }>;
  /** `ruleKeyOf` of each configured rule, by position. */
  private readonly ruleKeys: string[];
  /**
   * The latest `lastSentAt` among forgotten devices: a device without state is held to it for cooldown, so
   * forgetting a device never lets a command through early, even if the clock steps back.
   */
  private evictedLastSentAt = -Infinity;
  private readonly topicCooldowns: TopicCooldowns;
  /** `keptAfter`: when each device's last automatic command counts as kept, in the order they were sent. */
  private readonly keptDue = new Map<string, number>();
  private readonly counts: Record<Counter, number> = {
    predictions: 0,
    sent: 0,
    retried: 0,
    suppressed: 0,
    refused: 0,
    acked: 0,
    nacked: 0,
    timeouts: 0,
    warnings: 0,
    corrections: 0,
    kept: 0,
  };

  constructor(
    readonly config: ActuatorConfig,
    private readonly deps: ActuatorDeps,
  ) {
    this.topicCooldowns = new TopicCooldowns(config.cooldown, config.maxDevices);
    this.finished = new LruMap(config.maxPending);
    this.ruleKeys = config.rules.map((rule) => ruleKeyOf(rule, config.topic));
  }

  /** One input message: a prediction (or an array of them), a reply, a state report or an override. */
  handle(input: unknown, now: number): ActuatorEffect[] {
    const out: ActuatorEffect[] = [];
    if (!isPlainObject(input)) {
      this.refuse(out, null, 'bad-input', 'the message is not an object');
      return out;
    }
    // Commands that stood keptAfter before this input are kept before it is read (a late correction is no correction of them).
    this.keptRun(now, out);
    // A "that was wrong" message is only that, whatever its payload says.
    if (input.wrong !== undefined && input.wrong !== null && input.wrong !== false) {
      this.handleWrong(input.wrong, now, out);
      return out;
    }
    // An override message is only an override, whatever its payload says.
    if (input.override !== undefined) {
      this.handleOverride(input.override, now, out);
      return out;
    }
    const payload = readPayload(input.payload);
    if (Array.isArray(payload) && payload.length > MAX_ITEMS_PER_MESSAGE) {
      this.refuse(out, null, 'too-large', `${payload.length} items in one message is over the ${MAX_ITEMS_PER_MESSAGE}-item limit`);
      return out;
    }
    // A prediction is a prediction whatever else it carries: a sensor's MQTT 5 correlation data travels with it
    // through ingest, window and predict, and must not make it pass for a reply.
    if (looksLikePrediction(payload) || (Array.isArray(payload) && payload.some(looksLikePrediction))) {
      if (!Array.isArray(payload)) {
        this.handlePrediction(readPrediction(payload), now, out);
        return out;
      }
      // An array (model-predict's batch): each prediction exactly as if it came alone, in order; a refused one
      // says its place (`error.path`), the others go on.
      for (let i = 0; i < payload.length; i++) {
        const from = out.length;
        this.handlePrediction(readPrediction(payload[i]), now, out);
        for (let k = from; k < out.length; k++) {
          const effect = out[k];
          if (effect.kind === 'outcome' && effect.error !== undefined && effect.payload.status === 'refused') effect.error = { ...effect.error, path: `/${i}` };
        }
      }
      return out;
    }
    if (isPlainObject(payload) && 'replyTo' in payload && 'correlationId' in payload && !('ok' in payload)) {
      this.warn(out, 'own-command', 'ignored a command this node sent (is output 1 wired back to the input?)');
      return out;
    }
    const convention = this.config.ack === 'payload' ? this.config.profile.reply : undefined;
    const profileReply = convention?.read(payload);
    if (convention && profileReply) {
      this.handleProfileReply(convention, profileReply, input.topic, out);
      return out;
    }
    const token = convention ? undefined : readCorrelation(input, payload);
    const pending = token === undefined ? undefined : this.byToken.get(token);
    if (pending) {
      this.handleReply(pending, input.topic, payload, out);
      return out;
    }
    if (token !== undefined && (input.correlationData !== undefined || readReply(payload) !== undefined)) {
      const ended = this.finished.peek(token);
      this.warn(
        out,
        'late-reply',
        ended
          ? `ignored a reply for ${ended.correlationId}: that command already ended (${ended.status})`
          : `ignored a reply for unknown correlation ${quoted(token)}`,
      );
      return out;
    }
    if (this.config.ack === 'state') {
      this.handleStateReport(payload, input.topic, now, out);
      return out;
    }
    // Other ack modes: a state report of a device with a recent automatic command is looked at for corrections.
    if (this.stateCorrections(payload, input.topic, now, out)) return out;
    this.refuse(out, null, 'bad-input', 'the message is not a prediction, a reply, an override or a state report');
    return out;
  }

  /** Ack timeouts: re-sends the commands whose attempt has run out, or gives them up (`timeout`). */
  tick(now: number): ActuatorEffect[] {
    const out: ActuatorEffect[] = [];
    this.keptRun(now, out);
    // A bounded run: past maxPerTick commands the rest stay due, and nextDeadline() asks for another run at once.
    let budget: number = ACTUATOR_DEFAULTS.maxPerTick;
    // No copy of the map per run (finish() only deletes, which a Map's iteration allows).
    for (const pending of this.pending.values()) {
      if (budget === 0) break;
      if (pending.endDetail !== undefined) {
        budget--;
        this.finish(pending, 'timeout', pending.endDetail, out);
        continue;
      }
      if (pending.deadline > now) continue;
      budget--;
      // After a restart with `ack: none` nobody would answer a retry: only the timeout is left.
      if (pending.attempt < this.config.retries && this.config.ack !== 'none') {
        pending.attempt += 1;
        pending.deadline = now + this.config.ackTimeout;
        this.counts.retried += 1;
        out.push(this.commandEffect(pending));
      } else {
        this.finish(pending, 'timeout', 'no-reply', out);
      }
    }
    return out;
  }

  /** When `tick` next has work, or undefined while no command waits for an ack. */
  nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const due of this.keptDue.values()) {
      next = due;
      break;
    }
    for (const pending of this.pending.values()) {
      if (next === undefined || pending.deadline < next) next = pending.deadline;
    }
    return next;
  }

  get stats(): ActuatorStats {
    return { ...this.counts, pending: this.pending.size };
  }

  snapshot(): ActuatorSnapshot {
    const snapshot: ActuatorSnapshot = {
      format: SNAPSHOT_FORMAT,
      rulesKey: rulesKeyOf(this.config.rules),
      // A device with nothing to remember (say, only no-rule predictions so far) is not worth storing.
      devices: [...this.devices].filter(([, device]) => hasMemory(device)).map(([id, device]) => ({
        id,
        latches: [...device.latches],
        ...(device.lastSentAt !== undefined && { lastSentAt: device.lastSentAt }),
        ...(device.lastCommandKey !== undefined && { lastCommandKey: device.lastCommandKey }),
        ...(device.overrideUntil !== undefined && { overrideUntil: device.overrideUntil }),
        ...(device.automatic !== undefined && { automatic: snapshotAutomatic(device.automatic) }),
      })),
      pending: [...this.pending.values()].map(({ endDetail: _ending, stateTopics: _topics, expected: _expected, ...p }) => ({
        ...p,
        payload: cloneJson(p.payload),
        command: cloneJson(p.command),
        confirmed: [...p.confirmed],
      })),
    };
    if (Number.isFinite(this.evictedLastSentAt)) snapshot.evictedLastSentAt = this.evictedLastSentAt;
    const topics = this.topicCooldowns.entries();
    if (topics.length > 0) snapshot.topics = topics;
    return snapshot;
  }

  /**
   * An engine carrying on from a snapshot (possibly taken under an older config). Cooldowns, overrides and
   * pending commands survive; a pending command keeps its deadline (capped at `now + ackTimeout`), so the next
   * `tick` retries it or times it out — unless the current config no longer allows it (its rule is gone or
   * changed, the limits or the schema refuse it, its device is overridden): then the next `tick` ends it
   * (`timeout` with that reason) without sending it again. Anything unreadable in the snapshot is skipped.
   */
  static restore(config: ActuatorConfig, snapshot: unknown, deps: ActuatorDeps, now: number): ActuatorEngine {
    const engine = new ActuatorEngine(config, deps);
    if (!isPlainObject(snapshot) || snapshot.format !== SNAPSHOT_FORMAT) return engine;
    const keepLatches = snapshot.rulesKey === rulesKeyOf(config.rules);
    if (isFiniteNumber(snapshot.evictedLastSentAt)) engine.evictedLastSentAt = snapshot.evictedLastSentAt;
    engine.holdUnknownTo(engine.topicCooldowns.restore(snapshot.topics));
    const devices: unknown[] = Array.isArray(snapshot.devices) ? snapshot.devices : [];
    const dropped = Math.max(0, devices.length - config.maxDevices);
    // Devices past a lowered maxDevices are forgotten the usual way: their cooldown still holds.
    for (const raw of devices.slice(0, dropped)) {
      if (isPlainObject(raw) && isFiniteNumber(raw.lastSentAt)) {
        engine.evictedLastSentAt = Math.max(engine.evictedLastSentAt, raw.lastSentAt);
      }
    }
    for (const raw of devices.slice(dropped)) {
      const id = isPlainObject(raw) ? readDeviceId(raw.id) : undefined;
      if (!isPlainObject(raw) || id === undefined) continue;
      const device: DeviceState = { latches: new Set() };
      if (keepLatches && Array.isArray(raw.latches)) {
        for (const latch of raw.latches) if (typeof latch === 'string') device.latches.add(latch);
      }
      if (isFiniteNumber(raw.lastSentAt)) device.lastSentAt = raw.lastSentAt;
      if (typeof raw.lastCommandKey === 'string') device.lastCommandKey = raw.lastCommandKey;
      if (isFiniteNumber(raw.overrideUntil) && raw.overrideUntil > now) device.overrideUntil = raw.overrideUntil;
      const automatic = readSnapshotAutomatic(raw.automatic);
      if (automatic) device.automatic = automatic;
      engine.devices.set(id, device);
      if (automatic) engine.keptAt(id, automatic);
    }
    // Kept events fall due in the order their commands were sent.
    const due = [...engine.keptDue].sort((a, b) => a[1] - b[1]);
    engine.keptDue.clear();
    for (const [id, at] of due) engine.keptDue.set(id, at);
    const rulesUnchanged = snapshot.rulesKey === rulesKeyOf(config.rules);
    for (const raw of Array.isArray(snapshot.pending) ? snapshot.pending : []) {
      const pending = readSnapshotPending(raw);
      if (!pending) continue;
      pending.deadline = Math.min(pending.deadline, now + config.ackTimeout);
      // A pending command's device is never forgotten, even past maxDevices.
      let device = engine.devices.get(pending.deviceId);
      if (!device) {
        device = { latches: new Set() };
        engine.devices.set(pending.deviceId, device);
      }
      const earlier = device.pendingCorrelationId ? engine.pending.get(device.pendingCorrelationId) : undefined;
      if (earlier) engine.forget(earlier);
      const refusal = engine.recheck(pending, device, rulesUnchanged, now);
      if (refusal !== undefined) {
        pending.endDetail = refusal;
        pending.deadline = now;
      }
      device.pendingCorrelationId = pending.correlationId;
      engine.remember(pending);
    }
    return engine;
  }

  /** Why the current config would not send a restored command again, or undefined when it would. */
  private recheck(pending: PendingCommand, device: DeviceState, rulesUnchanged: boolean, now: number): TimeoutDetail | undefined {
    const { config } = this;
    // Snapshots written before rule keys existed can only tell whether the rules changed at all.
    const ruleKept = pending.ruleKey !== undefined ? this.ruleKeys.includes(pending.ruleKey) : rulesUnchanged;
    if (!ruleKept) return 'rule';
    // Never re-clamped: a clamped value is a different command from the one the device may already have.
    if (!applyLimits(pending.command, config.limits, 'refuse').ok) return 'limits';
    if (config.validateCommand?.(pending.command) !== undefined) return 'schema';
    if (isOverridden(device, now)) return 'override';
    return undefined;
  }

  private remember(pending: PendingCommand): void {
    const state = this.config.ack === 'state' ? this.config.profile.state : undefined;
    if (state) {
      pending.stateTopics = state.stateTopics(pending.topic);
      pending.expected = state.expected(pending.topic, pending.command);
    }
    this.pending.set(pending.correlationId, pending);
    if (pending.replyToken !== undefined) this.byToken.set(pending.replyToken, pending);
  }

  private forget(pending: PendingCommand): void {
    this.pending.delete(pending.correlationId);
    if (pending.replyToken !== undefined) this.byToken.delete(pending.replyToken);
  }

  private handlePrediction(input: PredictionInput, now: number, out: ActuatorEffect[]): void {
    this.counts.predictions += 1;
    if (!input.ok) return this.refuse(out, input.deviceId, input.detail, input.message);
    const { deviceId, prediction } = input;
    const { config } = this;
    const standing = this.devices.get(deviceId)?.automatic;
    if (standing && input.at !== undefined && !standing.kept) standing.lastAt = Math.max(standing.lastAt ?? -Infinity, input.at);
    const { confidence } = prediction;
    // Before the rules, so hysteresis latches never move on a prediction made without some features.
    if (prediction.missing === true && !config.allowMissing) return this.suppress(out, deviceId, 'missing-features');
    if (config.minConfidence > 0 && !(typeof confidence === 'number' && confidence >= config.minConfidence)) {
      return this.suppress(out, deviceId, 'low-confidence');
    }
    const device = this.deviceState(deviceId, now);
    if (!device) {
      return this.refuse(out, deviceId, 'too-many-devices', `already tracking ${config.maxDevices} devices`);
    }
    // Before the override check, so latches follow the value while a device is overridden.
    const match = matchRule(config.rules, prediction, device.latches, config.hysteresis);
    if (!match) return this.suppress(out, deviceId, 'no-rule');
    if (isOverridden(device, now)) return this.suppress(out, deviceId, 'override');

    const built = this.buildCommand(deviceId, prediction, match.rule);
    if (!built.ok) {
      // Never published: a broker drops the connection (every device's commands) over a topic it refuses.
      if (built.detail === 'topic') this.warn(out, 'topic-refused', `${quoted(deviceId)}: ${built.message}`);
      return this.refuse(out, deviceId, built.detail, built.message);
    }
    // Never clamped into range: a NaN or an infinity means the prediction is broken, not large.
    const exact = jsonExactNumbers(built.command);
    if (!exact.ok) return this.refuse(out, deviceId, 'non-finite', `${exact.path} is not a finite number`);
    const limited = applyLimits(exact.command, config.limits, config.limitMode);
    if (!limited.ok) return this.refuse(out, deviceId, 'limits', limited.reason);
    const { command } = limited;
    const schemaError = config.validateCommand?.(command);
    if (schemaError !== undefined) return this.refuse(out, deviceId, 'schema', schemaError);

    const commandKey = stableStringify([built.topic, command]);
    if (config.onChangeOnly && device.lastCommandKey === commandKey) return this.suppress(out, deviceId, 'unchanged');
    // Per device and per topic: several ids may render to the topic one device listens on.
    const lastSentAt = Math.max(
      device.lastSentAt ?? this.evictedLastSentAt,
      this.topicCooldowns.lastSentAt(built.topic) ?? this.evictedLastSentAt,
    );
    // Also holds while the clock is behind lastSentAt: a step back never shortens a cooldown.
    if (now - lastSentAt < config.cooldown) return this.suppress(out, deviceId, 'cooldown');

    const clamped = [...built.clamped, ...limited.clamped];
    const clampNote = clamped.length > 0 ? `; clamped ${clamped.join(', ')}` : '';
    const next: NewCommand = {
      deviceId,
      topic: built.topic,
      command,
      commandKey,
      reason: match.reason,
      ruleKey: this.ruleKeys[match.index],
      detail: match.reason + clampNote,
    };
    if (built.replyTopic !== undefined) next.replyTopic = built.replyTopic;
    if (input.at !== undefined) next.at = input.at;
    this.send(device, next, now, out);
  }

  private buildCommand(
    deviceId: string,
    prediction: Prediction,
    rule: ActuatorRule,
  ):
    | { ok: true; topic: string; command: JsonValue; clamped: string[]; replyTopic?: string }
    | { ok: false; detail: RefusedDetail; message: string } {
    const vars: TemplateVars = { deviceId, label: prediction.label, value: prediction.value };
    const { ack, limits, limitMode } = this.config;
    const topic = renderTopic(rule.topic ?? this.config.topic, vars, limits, limitMode);
    if (!topic.ok) return topic;
    // Only the ack modes that name a reply topic to the device need one; some ecosystems fix it themselves.
    const fixed = ack === 'payload' ? this.config.profile.reply?.fixedReplyTopic : undefined;
    const fixedTopic = fixed?.(topic.value);
    if (fixed && fixedTopic === undefined) {
      const profile = this.config.profile.name;
      return { ok: false, detail: 'topic', message: `topic ${quoted(topic.value)} does not fit the ${profile} convention (see docs/devices.md)` };
    }
    const replyTopic =
      fixedTopic !== undefined
        ? { ok: true as const, value: fixedTopic, clamped: [] }
        : ack === 'payload' || ack === 'mqtt5'
          ? renderTopic(this.config.replyTopic, { ...vars, topic: topic.value }, limits, limitMode)
          : undefined;
    if (replyTopic && !replyTopic.ok) return replyTopic;
    for (const [name, value] of [
      ['topic', topic.value],
      ['replyTopic', replyTopic?.value],
    ] as const) {
      const problem = value === undefined ? undefined : topicProblem(value);
      if (problem) return { ok: false, detail: 'topic', message: `${name} ${quoted(value ?? '')} ${problem}` };
    }
    const command = renderCommand(rule.command, vars, limits, limitMode);
    if (!command.ok) return command;
    const clamped = [...topic.clamped, ...(replyTopic?.clamped ?? []), ...command.clamped];
    const built = { ok: true as const, topic: topic.value, command: command.value, clamped };
    return replyTopic ? { ...built, replyTopic: replyTopic.value } : built;
  }

  private send(device: DeviceState, next: NewCommand, now: number, out: ActuatorEffect[]): void {
    const { config } = this;
    // The newest wish wins: the command still waiting for this device is given up, not left to be retried.
    const superseded = device.pendingCorrelationId ? this.pending.get(device.pendingCorrelationId) : undefined;
    if (superseded) this.finish(superseded, 'timeout', 'superseded', out);
    if (config.ack !== 'none') {
      while (this.pending.size >= config.maxPending) {
        const oldest = this.pending.values().next().value as PendingCommand;
        this.finish(oldest, 'timeout', 'evicted', out);
      }
    }
    const correlationId = this.newCorrelationId();
    const replyToken = next.replyTopic !== undefined ? this.newReplyToken() : undefined;
    // `{correlationId}` is what the device must echo: the secret token when replies are taken by it, else the
    // public id (nothing is accepted by that id, so showing it in outcomes lets nobody forge an ack).
    const command = fillCorrelation(next.command, replyToken ?? correlationId);
    const convention = config.profile.reply;
    const payload: JsonValue =
      config.ack === 'payload' && isPlainObject(command) && next.replyTopic !== undefined
        ? convention
          ? convention.attach(command as JsonObject, replyToken!, next.replyTopic)
          : { ...command, correlationId: replyToken!, replyTo: next.replyTopic }
        : command;
    const pending: PendingCommand = {
      correlationId,
      deviceId: next.deviceId,
      topic: next.topic,
      payload,
      command,
      commandKey: next.commandKey,
      reason: next.reason,
      ruleKey: next.ruleKey,
      ts: now,
      attempt: 0,
      deadline: now + config.ackTimeout,
      confirmed: new Set(),
    };
    if (replyToken !== undefined) {
      pending.replyToken = replyToken;
      pending.replyTopic = next.replyTopic;
    }
    if (config.ack === 'mqtt5') pending.responseTopic = next.replyTopic;
    device.lastSentAt = now;
    device.lastCommandKey = next.commandKey;
    device.automatic = { commandId: correlationId, ts: now, topic: next.topic, command, acked: false, seen: new Set(), corrected: new Set(), ...(next.at !== undefined && { at: next.at }) };
    this.keptAt(next.deviceId, device.automatic);
    this.holdUnknownTo(this.topicCooldowns.sent(next.topic, now));
    if (config.ack !== 'none') {
      this.remember(pending);
      device.pendingCorrelationId = correlationId;
    }
    this.counts.sent += 1;
    // Without an ack nothing keeps the command, so the flow may have it as it is; else the flow gets a copy.
    out.push(this.commandEffect(pending, config.ack === 'none'));
    out.push(outcome(next.deviceId, correlationId, 'sent', next.detail));
  }

  /** Devices and topics that are forgotten are held to the latest cooldown among them. */
  private holdUnknownTo(lastSentAt: number | undefined): void {
    if (lastSentAt !== undefined) this.evictedLastSentAt = Math.max(this.evictedLastSentAt, lastSentAt);
  }

  private newCorrelationId(): string {
    for (let attempt = 0; attempt < 10; attempt++) {
      const id = this.deps.newCorrelationId();
      if (!this.pending.has(id)) return id;
    }
    throw new Error('newCorrelationId keeps returning correlation ids already in use');
  }

  /**
   * 128 random bits, made here rather than by `deps`: a token nobody can predict, whatever ids the caller hands
   * out, so a replayed or redelivered reply can never match a later command, across restarts too.
   */
  private newReplyToken(): string {
    return randomBytes(16).toString('base64url');
  }

  /** `unshared`: the engine keeps no reference to `pending.payload`, so it needs no copy. */
  private commandEffect(pending: PendingCommand, unshared = false): CommandEffect {
    const effect: CommandEffect = {
      kind: 'command',
      topic: pending.topic,
      payload: unshared ? pending.payload : cloneJson(pending.payload),
      command: {
        deviceId: pending.deviceId,
        correlationId: pending.correlationId,
        ts: pending.ts,
        reason: pending.reason,
      },
    };
    if (pending.responseTopic !== undefined) {
      effect.responseTopic = pending.responseTopic;
      effect.correlationData = Buffer.from(pending.replyToken ?? pending.correlationId, 'utf8');
    }
    if (pending.attempt > 0) effect.retry = pending.attempt;
    return effect;
  }

  private handleReply(pending: PendingCommand, topic: unknown, payload: unknown, out: ActuatorEffect[]): void {
    // Only where the device was told to reply: a reply anywhere else is someone else's word.
    if (topic !== pending.replyTopic) {
      const where = topic === undefined ? 'no topic' : quoted(topic);
      const told = quoted(pending.replyTopic);
      this.warn(out, 'reply-topic', `ignored a reply for ${pending.correlationId} on ${where}: the device was told to reply on ${told}`);
      return;
    }
    const reply = readReply(payload);
    if (!reply) {
      this.warn(out, 'bad-reply', `ignored a reply for ${pending.correlationId} without a boolean "ok"`);
      return;
    }
    if (reply.ok) this.finish(pending, 'acked', reply.detail ?? 'ok', out);
    else this.finish(pending, 'nacked', reply.detail ?? 'nack', out);
  }

  /** A reply in the profile's framing (Shelly RPC, TTN downlink events, LwM2M gateway responses). */
  private handleProfileReply(convention: ReplyConvention, reply: ProfileReply, topic: unknown, out: ActuatorEffect[]): void {
    // Traffic that only passes by (an LwM2M registration, another downlink's `queued`): nothing to say.
    if (reply.token === '' && reply.ok === undefined) return;
    const pending = reply.token === '' ? undefined : this.byToken.get(reply.token);
    if (!pending || pending.replyTopic === undefined) {
      const ended = this.finished.peek(reply.token);
      // Another client's RPC reply or another downlink's event is normal traffic on a shared broker: no outcome.
      this.warn(
        out,
        'late-reply',
        ended
          ? `ignored a reply for ${ended.correlationId}: that command already ended (${ended.status})`
          : `ignored a reply for unknown correlation ${quoted(reply.token)}`,
      );
      return;
    }
    const told = convention.replyTopicFor(pending.replyTopic, reply.channel);
    if (topic !== told) {
      const where = topic === undefined ? 'no topic' : quoted(topic);
      this.warn(out, 'reply-topic', `ignored a reply for ${pending.correlationId} on ${where}: it must arrive on ${quoted(told)}`);
      return;
    }
    if (reply.ok === undefined) return;
    // The device's words, kept as bounded text.
    const detail = reply.detail !== undefined && reply.detail.length > 500 ? `${reply.detail.slice(0, 500)}…` : reply.detail;
    if (reply.ok) this.finish(pending, 'acked', detail ?? 'ok', out);
    else this.finish(pending, 'nacked', detail ?? 'nack', out);
  }

  /**
   * A state report read by the profile: only a report on one of the command's state topics (or a canonical reading
   * naming its device) counts, and only the fields the command set, compared as the device writes them.
   */
  private handleProfileState(convention: StateConvention, payload: unknown, topic: unknown, out: ActuatorEffect[]): void {
    let pending: PendingCommand | undefined;
    let fields: Record<string, unknown> | undefined;
    const deviceId = isPlainObject(payload) ? readDeviceId(payload.deviceId) : undefined;
    if (isPlainObject(payload) && deviceId !== undefined) {
      pending = this.pendingOfDevice(deviceId);
      const reading = typeof payload.sensor === 'string' && 'value' in payload;
      fields = reading ? { [payload.sensor as string]: payload.value } : payload;
    } else if (typeof topic === 'string') {
      for (const candidate of this.pending.values()) {
        if (candidate.stateTopics?.includes(topic)) {
          pending = candidate;
          break;
        }
      }
      fields = pending ? convention.reported(topic, payload) : undefined;
    }
    if (!pending || !fields || !pending.expected || topic === pending.topic) return;
    const byKey = new Map<string, unknown>();
    for (const [name, value] of Object.entries(fields)) byKey.set(convention.fieldKey(name), value);
    for (const [name, commanded] of Object.entries(pending.expected)) {
      const key = convention.fieldKey(name);
      if (!byKey.has(key)) continue;
      if (convention.same(byKey.get(key), commanded)) pending.confirmed.add(name);
      else pending.confirmed.delete(name);
    }
    if (Object.keys(pending.expected).every((name) => pending!.confirmed.has(name))) this.finish(pending, 'acked', 'state', out);
  }

  private handleStateReport(payload: unknown, topic: unknown, now: number, out: ActuatorEffect[]): void {
    if (isPlainObject(payload) && Object.keys(payload).length > MAX_ITEMS_PER_MESSAGE) {
      return this.refuse(out, null, 'too-large', `a state report with more than ${MAX_ITEMS_PER_MESSAGE} fields`);
    }
    const convention = this.config.profile.state;
    if (convention) {
      this.handleProfileState(convention, payload, topic, out);
      this.stateCorrections(payload, topic, now, out);
      return;
    }
    const state = readStateReport(payload);
    if (!state) {
      return this.refuse(out, null, 'bad-input', 'the message is not a prediction, a reply, an override or a state');
    }
    const pending =
      state.deviceId !== undefined ? this.pendingOfDevice(state.deviceId) : this.pendingOfTopic(topic);
    // Our own command looped back (e.g. an `mqtt in` on `home/#`) is not the device's word.
    if (pending && topic !== pending.topic && confirmState(pending.command, state.report, pending.confirmed)) this.finish(pending, 'acked', 'state', out);
    // Devices report their state all the time: a report nobody waits for is not an error; it may be a correction.
    this.stateCorrections(payload, topic, now, out);
  }

  /**
   * A state report against the device's last automatic command: fields reported equal mark it taken; a field
   * reported different after that, within correctionWindow, is a correction (one event per field, once). A report
   * on the command's own topic is our own command looped back. Returns whether the report named such a device.
   */
  private stateCorrections(payload: unknown, topic: unknown, now: number, out: ActuatorEffect[]): boolean {
    const found = this.automaticOfReport(payload, topic);
    if (!found) return false;
    const { deviceId, automatic, reported } = found;
    if (topic === automatic.topic || !this.correctable(automatic, now)) return true;
    const convention = this.config.profile.state;
    const ts = (isPlainObject(payload) ? readCorrectionTs(payload.ts) : undefined) ?? now;
    const context = { deviceId, automatic, rules: this.config.rules, ts, source: 'state' as const };
    if (!convention) {
      this.emitFeedback(out, contradictions(context, reported, true));
      return true;
    }
    // A profile compares the fields as the device writes them (Tasmota's POWER1 is POWER, ON is on).
    const expected = convention.expected(automatic.topic, automatic.command);
    const byKey = new Map<string, unknown>();
    for (const [name, value] of Object.entries(reported)) byKey.set(convention.fieldKey(name), value);
    const chosen: Record<string, unknown> = {};
    for (const name of Object.keys(expected)) {
      const key = convention.fieldKey(name);
      if (byKey.has(key)) chosen[name] = byKey.get(key);
    }
    this.emitFeedback(out, contradictions({ ...context, commanded: expected }, chosen, true, (a, b) => convention.same(a, b as JsonValue)));
    return true;
  }

  /** The device a state report names (payload.deviceId, else a segment of the topic) if it has an automatic command, with the fields reported. */
  private automaticOfReport(payload: unknown, topic: unknown): { deviceId: string; automatic: AutomaticCommand; reported: Record<string, unknown> } | undefined {
    if (this.config.correctionWindow <= 0) return undefined;
    if (isPlainObject(payload) && Object.keys(payload).length > MAX_ITEMS_PER_MESSAGE) return undefined;
    const convention = this.config.profile.state;
    const named = isPlainObject(payload) ? readDeviceId(payload.deviceId) : undefined;
    const deviceId = named ?? this.deviceOfTopic(topic);
    const automatic = deviceId === undefined ? undefined : this.devices.get(deviceId)?.automatic;
    if (deviceId === undefined || automatic === undefined) return undefined;
    if (isPlainObject(payload) && named !== undefined) {
      const reading = typeof payload.sensor === 'string' && 'value' in payload;
      return { deviceId, automatic, reported: reading ? { [payload.sensor as string]: payload.value } : payload };
    }
    if (convention) {
      // Only on the command's state topics, read the profile's way.
      if (typeof topic !== 'string' || !convention.stateTopics(automatic.topic).includes(topic)) return undefined;
      const reported = convention.reported(topic, payload);
      return reported ? { deviceId, automatic, reported } : undefined;
    }
    const state = readStateReport(payload);
    if (!state) return undefined;
    const report = state.report;
    const reported = report.kind === 'object' ? report.fields : report.kind === 'reading' ? { [report.sensor]: report.value } : { [BARE_FIELD]: report.value };
    // A bare value confirms or corrects a bare command only.
    if (report.kind === 'scalar' && isPlainObject(automatic.command)) return undefined;
    return { deviceId, automatic, reported };
  }

  /** The device with an automatic command that a run of the topic's segments names (`stat/lamp1/RESULT`, `zigbee2mqtt/lamp1`). */
  private deviceOfTopic(topic: unknown): string | undefined {
    if (typeof topic !== 'string' || topic === '' || topic.length > 65535) return undefined;
    const segments = topic.split('/').slice(0, 16);
    let best: string | undefined;
    for (let from = 0; from < segments.length; from++) {
      for (let to = from + 1; to <= segments.length; to++) {
        const id = segments.slice(from, to).join('/');
        if (this.devices.get(id)?.automatic !== undefined && (best === undefined || id.length > best.length)) best = id;
      }
    }
    return best;
  }

  /** Schedules the kept events of a device's new automatic command (keptAfter on), replacing its earlier one's. */
  private keptAt(deviceId: string, automatic: AutomaticCommand): void {
    this.keptDue.delete(deviceId);
    if (this.config.keptAfter <= 0 || this.config.correctionWindow <= 0 || automatic.kept) return;
    this.keptDue.set(deviceId, automatic.ts + this.config.keptAfter);
  }

  /** The kept events due by `now`: commands still their device's last, `keptAfter` after they were sent (bounded per run). */
  private keptRun(now: number, out: ActuatorEffect[]): void {
    let budget: number = ACTUATOR_DEFAULTS.maxPerTick;
    for (const [deviceId, due] of this.keptDue) {
      if (due > now || budget-- === 0) break;
      this.keptDue.delete(deviceId);
      const automatic = this.devices.get(deviceId)?.automatic;
      if (automatic === undefined || automatic.kept) continue;
      this.emitFeedback(out, keptEvents(deviceId, automatic, this.config.rules, due, this.config.ack === 'none'));
    }
  }

  /** Whether a correction of `automatic` still counts at `now`. */
  private correctable(automatic: AutomaticCommand, now: number): boolean {
    return this.config.correctionWindow > 0 && now - automatic.ts <= this.config.correctionWindow;
  }

  private emitFeedback(out: ActuatorEffect[], events: FeedbackEvent[]): void {
    for (const event of events) {
      if (event.source === 'kept') this.counts.kept += 1;
      else this.counts.corrections += 1;
      out.push({ kind: 'feedback', payload: event });
    }
  }

  /** The person's choice against the device's last automatic command (an override's `command`, a `wrong`'s `chosen`). */
  private choiceCorrections(deviceId: string, source: CorrectionSource, chosen: Record<string, unknown> | undefined, ts: number | undefined, now: number, out: ActuatorEffect[], commandId?: string): void {
    const automatic = this.devices.get(deviceId)?.automatic;
    const unmatched = (why: string) => this.warn(out, 'correction-unmatched', `ignored a correction (${source}) of ${quoted(deviceId)}: ${why}`);
    if (this.config.correctionWindow <= 0) return;
    if (!automatic) return unmatched('no automatic command of it is remembered');
    if (commandId !== undefined && commandId !== automatic.commandId) return unmatched(`${quoted(commandId)} is not its last automatic command (${automatic.commandId})`);
    if (!this.correctable(automatic, now)) return unmatched(`its last automatic command is older than correctionWindow (${this.config.correctionWindow} ms)`);
    const context = { deviceId, automatic, rules: this.config.rules, ts: ts ?? now, source };
    this.emitFeedback(out, chosen === undefined ? wrongWithoutChoice(context) : contradictions(context, chosen, false));
  }

  private handleWrong(raw: unknown, now: number, out: ActuatorEffect[]): void {
    const wrong = readWrong(raw);
    if (!wrong.ok) return this.refuse(out, null, 'bad-input', wrong.message);
    this.choiceCorrections(wrong.deviceId, 'wrong', wrong.chosen, wrong.ts, now, out, wrong.commandId);
  }

  private pendingOfDevice(deviceId: string): PendingCommand | undefined {
    const correlationId = this.devices.get(deviceId)?.pendingCorrelationId;
    return correlationId === undefined ? undefined : this.pending.get(correlationId);
  }

  /** The pending command of the device named by a segment of the topic (`stat/lamp1/RESULT`, `zigbee2mqtt/lamp1`). */
  private pendingOfTopic(topic: unknown): PendingCommand | undefined {
    if (typeof topic !== 'string' || topic === '') return undefined;
    let best: PendingCommand | undefined;
    for (const pending of this.pending.values()) {
      const id = pending.deviceId;
      const named =
        topic === id || topic.startsWith(`${id}/`) || topic.endsWith(`/${id}`) || topic.includes(`/${id}/`);
      if (named && (!best || id.length > best.deviceId.length)) best = pending;
    }
    return best;
  }

  private handleOverride(raw: unknown, now: number, out: ActuatorEffect[]): void {
    const override = readOverride(raw);
    if (!override.ok) return this.refuse(out, null, 'bad-input', override.message);
    const { deviceId, until } = override;
    // The values the person chose correct the last automatic command (before the pause ends what is pending).
    if (override.chosen !== undefined) this.choiceCorrections(deviceId, 'override', override.chosen, override.ts, now, out);
    if (!override.pause) return;
    if (until === undefined || until <= now) {
      const device = this.devices.get(deviceId);
      if (device) delete device.overrideUntil;
      return;
    }
    const device = this.deviceState(deviceId, now);
    if (!device) {
      const message = `could not pause ${deviceId}: already tracking ${this.config.maxDevices} devices`;
      this.warn(out, 'override-dropped', message);
      return;
    }
    device.overrideUntil = until;
    // Someone took over the device: retrying our command now would fight them.
    const pending = this.pendingOfDevice(deviceId);
    if (pending) this.finish(pending, 'timeout', 'override', out);
  }

  /** The device's state, created if new; undefined when the bound is reached and no device may be forgotten. */
  private deviceState(deviceId: string, now: number): DeviceState | undefined {
    const known = this.devices.get(deviceId);
    if (known) {
      // Re-inserting keeps the map in least-recently-used order.
      this.devices.delete(deviceId);
      this.devices.set(deviceId, known);
      return known;
    }
    if (this.devices.size >= this.config.maxDevices && !this.forgetOneDevice(now)) return undefined;
    const device: DeviceState = { latches: new Set() };
    this.devices.set(deviceId, device);
    return device;
  }

  /** Forgets the least recently used device whose state no longer matters for safety. */
  private forgetOneDevice(now: number): boolean {
    for (const [id, device] of this.devices) {
      if (device.pendingCorrelationId !== undefined || isOverridden(device, now)) continue;
      if (device.lastSentAt !== undefined && now - device.lastSentAt < this.config.cooldown) continue;
      if (device.lastSentAt !== undefined) this.evictedLastSentAt = Math.max(this.evictedLastSentAt, device.lastSentAt);
      this.devices.delete(id);
      this.keptDue.delete(id);
      return true;
    }
    return false;
  }

  private finish(
    pending: PendingCommand,
    status: 'acked' | 'nacked' | 'timeout',
    detail: string,
    out: ActuatorEffect[],
  ): void {
    this.forget(pending);
    const device = this.devices.get(pending.deviceId);
    if (device?.pendingCorrelationId === pending.correlationId) delete device.pendingCorrelationId;
    if (status === 'acked' && device?.automatic?.commandId === pending.correlationId) device.automatic.acked = true;
    // A command the device did not take may be sent again, even with onChangeOnly.
    if (status !== 'acked' && device?.lastCommandKey === pending.commandKey) delete device.lastCommandKey;
    if (pending.replyToken !== undefined) {
      this.finished.set(pending.replyToken, { correlationId: pending.correlationId, status });
    }
    this.counts[status === 'timeout' ? 'timeouts' : status] += 1;
    out.push(outcome(pending.deviceId, pending.correlationId, status, detail));
  }

  private suppress(out: ActuatorEffect[], deviceId: string, detail: SuppressedDetail): void {
    this.counts.suppressed += 1;
    out.push(outcome(deviceId, null, 'suppressed', detail));
  }

  private refuse(out: ActuatorEffect[], deviceId: string | null, detail: RefusedDetail, message: string): void {
    this.counts.refused += 1;
    out.push({ ...outcome(deviceId, null, 'refused', detail), error: { code: detail, message } });
  }

  private warn(out: ActuatorEffect[], code: WarnCode, message: string): void {
    this.counts.warnings += 1;
    out.push({ kind: 'warn', code, message });
  }
}

function outcome(
  deviceId: string | null,
  correlationId: string | null,
  status: OutcomeStatus,
  detail: string,
): OutcomeEffect {
  return { kind: 'outcome', payload: { deviceId, correlationId, status, detail } };
}

function hasMemory(device: DeviceState): boolean {
  return (
    device.latches.size > 0 ||
    device.lastSentAt !== undefined ||
    device.overrideUntil !== undefined ||
    device.pendingCorrelationId !== undefined ||
    device.automatic !== undefined
  );
}

function isOverridden(device: DeviceState, now: number): boolean {
  return device.overrideUntil !== undefined && now < device.overrideUntil;
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function snapshotAutomatic(automatic: AutomaticCommand): SnapshotAutomatic {
  return { ...automatic, command: cloneJson(automatic.command), seen: [...automatic.seen], corrected: [...automatic.corrected] };
}

function readSnapshotAutomatic(raw: unknown): AutomaticCommand | undefined {
  if (!isPlainObject(raw)) return undefined;
  const { commandId, ts, topic, command, acked } = raw;
  if (typeof commandId !== 'string' || commandId === '' || !isFiniteNumber(ts) || typeof topic !== 'string' || command === undefined) return undefined;
  const names = (list: unknown) => new Set(Array.isArray(list) ? list.filter((name): name is string => typeof name === 'string') : []);
  return { commandId, ts, topic, command: command as JsonValue, acked: acked === true, seen: names(raw.seen), corrected: names(raw.corrected), ...(raw.kept === true && { kept: true }), ...(isFiniteNumber(raw.at) && { at: raw.at }), ...(isFiniteNumber(raw.lastAt) && { lastAt: raw.lastAt }) };
}

function readSnapshotPending(raw: unknown): PendingCommand | undefined {
  if (!isPlainObject(raw)) return undefined;
  const { correlationId, deviceId, topic, commandKey, reason, ts, attempt, deadline, responseTopic, confirmed, ruleKey } = raw;
  const id = readDeviceId(deviceId);
  if (typeof correlationId !== 'string' || correlationId === '' || id === undefined) return undefined;
  if (typeof topic !== 'string' || typeof commandKey !== 'string' || typeof reason !== 'string') return undefined;
  if (!isFiniteNumber(ts) || !isFiniteNumber(deadline)) return undefined;
  if (typeof attempt !== 'number' || !Number.isInteger(attempt) || attempt < 0) return undefined;
  if (raw.payload === undefined || raw.command === undefined) return undefined;
  const pending: PendingCommand = {
    correlationId,
    deviceId: id,
    topic,
    payload: raw.payload as JsonValue,
    command: raw.command as JsonValue,
    commandKey,
    reason,
    ts,
    attempt,
    deadline,
    confirmed: new Set(Array.isArray(confirmed) ? confirmed.filter((key) => typeof key === 'string') : []),
  };
  if (typeof responseTopic === 'string') pending.responseTopic = responseTopic;
  if (typeof ruleKey === 'string') pending.ruleKey = ruleKey;
  const reply = readSnapshotReply(raw, pending);
  if (reply) {
    pending.replyToken = reply.token;
    pending.replyTopic = reply.topic;
  }
  return pending;
}

/** Token and topic of a stored command's reply; snapshots older than reply tokens gave the device the public id. */
function readSnapshotReply(raw: Record<string, unknown>, pending: PendingCommand): { token: string; topic: string } | undefined {
  // Every command of a newer snapshot has a rule key; one with a token has its reply topic too.
  if ('ruleKey' in raw || 'replyToken' in raw) {
    const { replyToken, replyTopic } = raw;
    return typeof replyToken === 'string' && replyToken !== '' && typeof replyTopic === 'string'
      ? { token: replyToken, topic: replyTopic }
      : undefined;
  }
  const replyTo = isPlainObject(pending.payload) ? pending.payload.replyTo : undefined;
  const topic = pending.responseTopic ?? replyTo;
  return typeof topic === 'string' ? { token: pending.correlationId, topic } : undefined;
}
