import { ANOMALY_TRUTH_NAMES, AnomalyInjector, MAX_ANOMALY_SHARE } from './anomalies';
import { CITY } from './city';
import type { ScenarioModel, SimDevice } from './device';
import { HEALTH } from './health';
import { HOME } from './home';
import { encodePayload, malformedPayload, sensorTopic } from './payloads';
import { PEOPLE_KEY, actTruth } from './people';
import { MINUTE, Random, hash32, happens, uniform } from './signals';
import {
  MALFORMED_KINDS,
  SCENARIOS,
  ALL_SIM_FORMATS,
  type CommandMeta,
  type CommandResult,
  type MeasuredValue,
  type ScenarioName,
  type SensorDef,
  type SimFormat,
  type SimReading,
  type SimReply,
  type SimStateReport,
} from './types';

export const SCENARIO_MODELS: Record<ScenarioName, ScenarioModel> = { home: HOME, city: CITY, health: HEALTH };

export const SIM_DEFAULTS = {
  devices: 3,
  seed: 1,
  interval: 5000,
  speed: 1,
  format: 'senml' as SimFormat,
  /** Share of payloads that are deliberately broken. */
  malformedRate: 0.005,
  /** Chance that one sensor is missing from a reading. */
  dropoutRate: 0.005,
  /** Device outages (Wi-Fi lost, battery swap) per hour, each one to five minutes long. */
  outagesPerHour: 1 / 12,
  /** At most this many readings per device are made up in one `step` after the clock jumped (a sleeping laptop). */
  maxCatchUp: 1000,
  /** Expected share of device time with an injected sensor fault (spike, stuck, drift; health: tachycardia): off. */
  anomalies: 0,
  /** People who correct automatic commands they dislike (people.ts): off, so the streams stay as they were. */
  people: false,
};

export interface ScenarioOptions {
  devices?: number;
  seed?: number;
  /** Milliseconds of simulated time between two readings of a device. */
  interval?: number;
  format?: SimFormat;
  /** Simulated time runs `speed` times as fast as wall time. */
  speed?: number;
  /** Simulated epoch ms at `origin`; default: `origin` (simulated time is wall time at speed 1). */
  startTime?: number;
  /** Wall-clock epoch ms at which simulated time is `startTime`; default: `startTime`. */
  origin?: number;
  /** false: no broken payloads, dropouts or outages (the signals themselves stay the same). */
  faults?: boolean;
  malformedRate?: number;
  dropoutRate?: number;
  outagesPerHour?: number;
  /**
   * Expected share of device time with an injected anomaly (0 to 0.5; default 0, off): spikes, stuck sensors and
   * drifts (health: also tachycardia at rest), with `anomaly`, `anomalyKind` and `anomalySensor` in the truth.
   */
  anomalies?: number;
  /**
   * People with hidden, seeded preferences who correct automatic commands they dislike, after a delay and not every
   * time (home: occupants; city: an operator; health: a clinician). Their acts come out of `takeStateReports`.
   * Without commands the readings are the same as without people.
   */
  people?: boolean;
}

/** What one `step` of a simulator on the clock may do (the node's SIM_BUDGET). */
export interface StepBudget {
  /** Most readings one step returns (or, when more devices than that are due at one instant, those devices). */
  maxReadings: number;
  /** Readings due longer ago than this much wall time are skipped (counted in `skipped`), not made up. */
  maxLagMs: number;
}

interface Slot {
  device: SimDevice;
  index: number;
  /** Draws for faults only, so turning faults off leaves the signals unchanged. */
  faultRng: Random;
  nextTs: number;
  offlineUntil: number;
  /** Sensor faults with their truth (anomalies on), from a stream of their own. */
  anomalies?: AnomalyInjector;
}

/** Topics of a simulated device. */
export function deviceTopics(scenario: ScenarioName, deviceId: string) {
  const base = `${scenario}/${deviceId}`;
  return { sensors: `${base}/sensors`, set: `${base}/set`, state: `${base}/state`, truth: `${base}/truth` };
}

/** The sensors of a scenario as sensor-ingest's `sensors` list (`{ name, unit?, min, max }`). */
export function ingestSensors(scenario: ScenarioName): Array<{ name: string; unit?: string; min?: number; max?: number }> {
  return SCENARIO_MODELS[scenario].sensors.map(({ name, unit, min, max }) => ({
    name,
    ...(unit !== undefined ? { unit } : {}),
    ...(min !== undefined ? { min } : {}),
    ...(max !== undefined ? { max } : {}),
  }));
}

/**
 * A running scenario: devices that report at their own pace in simulated time, carry their ground truth, and
 * obey commands. Deterministic: the same options and the same calls give the same readings.
 */
export class Simulation {
  readonly scenario: ScenarioName;
  readonly sensors: readonly SensorDef[];
  readonly truthNames: readonly string[];
  readonly deviceIds: readonly string[];
  readonly interval: number;
  readonly speed: number;
  readonly format: SimFormat;
  readonly startTime: number;
  readonly origin: number;
  /** Expected share of device time with an injected anomaly (0: off). */
  readonly anomalies: number;
  readonly people: boolean;
  private readonly model: ScenarioModel;
  private readonly slots: Slot[];
  private readonly byId = new Map<string, Slot>();
  private readonly malformedRate: number;
  private readonly dropoutRate: number;
  private readonly outageRate: number;
  /** State reports of people's acts, made while readings were; `takeStateReports` hands them out. */
  private reports: SimStateReport[] = [];
  /** Readings `step` skipped instead of making them up late (a blocked event loop, a jump of the clock). */
  skipped = 0;

  constructor(scenario: ScenarioName, options: ScenarioOptions) {
    if (!SCENARIOS.includes(scenario)) throw new RangeError(`scenario must be one of ${SCENARIOS.join(', ')}, got ${JSON.stringify(scenario)}`);
    const devices = options.devices ?? SIM_DEFAULTS.devices;
    const seed = options.seed ?? SIM_DEFAULTS.seed;
    this.interval = options.interval ?? SIM_DEFAULTS.interval;
    this.speed = options.speed ?? SIM_DEFAULTS.speed;
    this.format = options.format ?? SIM_DEFAULTS.format;
    if (!(Number.isInteger(devices) && devices >= 1)) throw new RangeError(`devices must be a whole number >= 1, got ${devices}`);
    if (!Number.isFinite(seed)) throw new RangeError(`seed must be a number, got ${seed}`);
    if (!(Number.isInteger(this.interval) && this.interval >= 1)) throw new RangeError(`interval must be a whole number of ms >= 1, got ${this.interval}`);
    if (!(this.speed > 0 && Number.isFinite(this.speed))) throw new RangeError(`speed must be above 0, got ${this.speed}`);
    if (!ALL_SIM_FORMATS.includes(this.format)) throw new RangeError(`format must be one of ${ALL_SIM_FORMATS.join(', ')}, got ${JSON.stringify(this.format)}`);
    const startTime = options.startTime ?? options.origin;
    if (startTime === undefined || !Number.isFinite(startTime)) throw new RangeError('give startTime (simulated epoch ms) or origin (wall-clock epoch ms)');
    this.startTime = Math.round(startTime);
    this.origin = options.origin ?? this.startTime;

    const faults = options.faults ?? true;
    this.malformedRate = faults ? (options.malformedRate ?? SIM_DEFAULTS.malformedRate) : 0;
    this.dropoutRate = faults ? (options.dropoutRate ?? SIM_DEFAULTS.dropoutRate) : 0;
    this.outageRate = faults ? (options.outagesPerHour ?? SIM_DEFAULTS.outagesPerHour) / (60 * MINUTE) : 0;

    const anomalies = options.anomalies ?? SIM_DEFAULTS.anomalies;
    if (!(anomalies >= 0 && anomalies <= MAX_ANOMALY_SHARE)) throw new RangeError(`anomalies must be a share from 0 to ${MAX_ANOMALY_SHARE}, got ${anomalies}`);
    this.anomalies = anomalies;
    this.people = options.people ?? SIM_DEFAULTS.people;

    this.scenario = scenario;
    this.model = SCENARIO_MODELS[scenario];
    this.sensors = this.model.sensors;
    this.truthNames = anomalies > 0 ? [...this.model.truthNames, ...ANOMALY_TRUTH_NAMES] : this.model.truthNames;
    // The same seed gives different worlds in different scenarios, and a device's draws never depend on others.
    const worldSeed = hash32(seed, Math.floor(seed / 4294967296), SCENARIOS.indexOf(scenario));
    this.slots = [];
    for (let index = 0; index < devices; index++) {
      const rng = new Random(worldSeed, 2 * index);
      const faultRng = new Random(worldSeed, 2 * index + 1);
      const id = this.model.deviceId(index);
      // Devices are not in step: each reports at its own offset within the interval.
      const phase = Math.floor(faultRng.next() * this.interval);
      // People draw from a stream of their own, so they never move the readings' draws.
      const people = this.people ? new Random(hash32(worldSeed, PEOPLE_KEY), 1 + index) : undefined;
      const device = this.model.createDevice({ id, index, seed: worldSeed, rng, startTime: this.startTime, interval: this.interval, people });
      const slot: Slot = { device, index, faultRng, nextTs: this.startTime + phase, offlineUntil: -Infinity };
      if (anomalies > 0) {
        // A stream apart from the device's and the faults', so turning anomalies on changes nothing else.
        slot.anomalies = new AnomalyInjector(new Random(hash32(worldSeed, 0x616e6f6d), index), {
          share: anomalies,
          interval: this.interval,
          sensors: this.sensors,
          mix: this.model.anomalyMix,
          abnormalTruth: this.model.abnormalTruth,
        });
      }
      this.slots.push(slot);
      this.byId.set(id, slot);
    }
    this.deviceIds = this.slots.map((slot) => slot.device.id);
  }

  /** Simulated time at a wall-clock time. */
  simTime(wallMs: number): number {
    return this.startTime + Math.floor((wallMs - this.origin) * this.speed);
  }

  /**
   * Readings due by the simulated time of `wallMs` (bounded after a jump of the clock; see `maxCatchUp`). With a
   * budget: readings more than `maxLagMs` of wall time late are skipped, and at most `maxReadings` of the oldest
   * due are returned; the rest stay due for the next step.
   */
  step(wallMs: number, budget?: StepBudget): SimReading[] {
    const now = this.simTime(wallMs);
    for (const slot of this.slots) {
      const behind = Math.floor((now - slot.nextTs) / this.interval) + 1;
      if (behind > SIM_DEFAULTS.maxCatchUp) this.skipped += this.skipSlot(slot, slot.nextTs + (behind - SIM_DEFAULTS.maxCatchUp) * this.interval - 1);
    }
    if (budget === undefined) return this.advanceTo(now);
    const oldest = now - Math.floor(budget.maxLagMs * this.speed);
    for (const slot of this.slots) this.skipped += this.skipSlot(slot, oldest - 1);
    return this.advanceTo(this.cutoff(now, budget.maxReadings));
  }

  /** Readings due at or before simulated time `simMs`. */
  private dueBy(simMs: number): number {
    let due = 0;
    for (const slot of this.slots) if (slot.nextTs <= simMs) due += Math.floor((simMs - slot.nextTs) / this.interval) + 1;
    return due;
  }

  /**
   * The latest simulated time ≤ `now` by which at most `maxReadings` are due, so a step sends the oldest readings
   * first and whole instants only; the earliest instant when it alone holds more (at most one reading per device).
   */
  private cutoff(now: number, maxReadings: number): number {
    if (this.dueBy(now) <= maxReadings) return now;
    let low = this.nextDue();
    if (this.dueBy(low) > maxReadings) return low;
    let high = now;
    // dueBy(low) <= maxReadings < dueBy(high): halve the gap (at most some 50 rounds of one pass over the devices).
    while (high - low > 1) {
      const middle = low + Math.floor((high - low) / 2);
      if (this.dueBy(middle) <= maxReadings) low = middle;
      else high = middle;
    }
    return low;
  }

  /** Every reading due at or before simulated time `simMs`, in time order (ties by device order). */
  advanceTo(simMs: number): SimReading[] {
    const readings: Array<SimReading & { index: number }> = [];
    for (const slot of this.slots) {
      while (slot.nextTs <= simMs) {
        readings.push({ ...this.read(slot, slot.nextTs), index: slot.index });
        slot.nextTs += this.interval;
      }
    }
    readings.sort((a, b) => a.ts - b.ts || a.index - b.index);
    return readings.map(({ index: _index, ...reading }) => reading);
  }

  /** Simulated time of the next reading of any device. */
  nextDue(): number {
    return Math.min(...this.slots.map((slot) => slot.nextTs));
  }

  /** Wall-clock ms from `wallMs` until the next reading is due (0 when one is due already). */
  wallDelay(wallMs: number): number {
    return Math.max(0, Math.ceil((this.nextDue() - this.simTime(wallMs)) / this.speed));
  }

  /** Moves every device to the simulated time of `wallMs` without readings (reporting paused meanwhile). */
  resync(wallMs: number): void {
    const now = this.simTime(wallMs);
    for (const slot of this.slots) this.skipSlot(slot, now);
  }

  /** Moves a device past every reading due at or before `simMs` without making them; returns how many. */
  private skipSlot(slot: Slot, simMs: number): number {
    if (slot.nextTs > simMs) return 0;
    const skipped = Math.floor((simMs - slot.nextTs) / this.interval) + 1;
    slot.nextTs += skipped * this.interval;
    slot.device.evolve(slot.nextTs - this.interval);
    // What people did meanwhile is not reported late either.
    slot.device.takeActs?.();
    return skipped;
  }

  private read(slot: Slot, ts: number): SimReading {
    const { device, faultRng } = slot;
    device.evolve(ts);
    if (this.people) this.collectActs(device);
    let truth = device.truth();
    const measured = device.measure();
    const topic = sensorTopic(this.format, deviceTopics(this.scenario, device.id).sensors, device.id);
    const values: Record<string, MeasuredValue> = {};
    for (const sensor of this.sensors) values[sensor.name] = measured[sensor.name] ?? null;
    if (slot.anomalies) truth = { ...truth, ...slot.anomalies.apply(ts, device, values, truth) };

    if (ts >= slot.offlineUntil && happens(faultRng, this.outageRate, this.interval)) {
      slot.offlineUntil = ts + uniform(faultRng, 1, 5) * MINUTE;
    }
    if (ts < slot.offlineUntil) {
      for (const sensor of this.sensors) values[sensor.name] = null;
      return { deviceId: device.id, ts, topic, values, truth };
    }
    for (const sensor of this.sensors) {
      if (faultRng.next() < this.dropoutRate) values[sensor.name] = null;
    }
    if (this.sensors.every((sensor) => values[sensor.name] === null)) return { deviceId: device.id, ts, topic, values, truth };
    if (faultRng.next() < this.malformedRate) {
      const kind = MALFORMED_KINDS[faultRng.int(MALFORMED_KINDS.length)];
      const payload = malformedPayload(kind, faultRng, this.format, device.id, ts, this.sensors, values);
      return { deviceId: device.id, ts, topic, payload, values, truth, malformed: kind };
    }
    return { deviceId: device.id, ts, topic, payload: encodePayload(this.format, device.id, ts, this.sensors, values), values, truth };
  }

  private collectActs(device: SimDevice): void {
    const acts = device.takeActs?.() ?? [];
    if (acts.length === 0) return;
    const topic = deviceTopics(this.scenario, device.id).state;
    for (const act of acts) {
      this.reports.push({ deviceId: device.id, ts: act.ts, topic, payload: { deviceId: device.id, ...(act.state ?? device.state()), ts: act.ts }, truth: actTruth(act) });
    }
  }

  /**
   * People on: the state reports of what people did to the devices (an override of an automatic command, with
   * `truth.override = { person, cause, field, automatic, chosen, delay }`, or an ordinary act, `truth.manual`), since
   * the last call, in time order. A device reports its whole state, as after a command, with `ts`: when the person
   * acted (simulated epoch ms), which actuator-command takes as the correction's time.
   */
  takeStateReports(): SimStateReport[] {
    const reports = this.reports;
    this.reports = [];
    return reports.sort((a, b) => a.ts - b.ts);
  }

  /** People on: a device's hidden state and meters (home: air temperature, preference, comfort and energy meters). */
  inspect(deviceId: string): Record<string, number | string | boolean> | undefined {
    return this.byId.get(deviceId)?.device.inspect?.();
  }

  /** Topic of a device's commands: `<scenario>/<deviceId>/set`. */
  commandTopic(deviceId: string): string {
    return deviceTopics(this.scenario, deviceId).set;
  }

  /**
   * A command as it arrives on a topic. `<scenario>/<deviceId>/set` is a command for that device; any other topic is
   * not one (`handled: false`).
   */
  command(topic: string, payload: unknown, meta: CommandMeta = {}): CommandResult {
    const prefix = `${this.scenario}/`;
    const match = topic.startsWith(prefix) && topic.endsWith('/set') ? topic.slice(prefix.length, -'/set'.length) : undefined;
    if (match === undefined || match === '' || match.includes('/')) {
      return { handled: false, reason: 'not-a-command', message: `${JSON.stringify(topic)} is not a command topic (${prefix}<deviceId>/set)` };
    }
    return this.commandDevice(match, payload, meta);
  }

  /** A command for one device: applied when good, with the acknowledgements it asks for and the new state. */
  commandDevice(deviceId: string, payload: unknown, meta: CommandMeta = {}): CommandResult {
    const slot = this.byId.get(deviceId);
    if (!slot) {
      return { handled: false, reason: 'unknown-device', message: `no simulated ${this.scenario} device ${JSON.stringify(deviceId)} (devices: ${this.deviceIds.join(', ')})` };
    }
    const parsed = parseCommand(payload);
    let ok = false;
    let detail: string | undefined;
    let correlationId: string | undefined;
    let replyTo: string | undefined;
    if ('error' in parsed) {
      detail = parsed.error;
    } else {
      ({ correlationId, replyTo } = parsed);
      const check = this.checkFields(deviceId, parsed.fields);
      const applied = check ?? slot.device.command(parsed.fields);
      ok = applied.ok;
      if (!applied.ok) detail = applied.detail;
    }
    const replies: SimReply[] = [];
    const body = detail === undefined ? { ok } : { ok, detail };
    if (correlationId !== undefined && replyTo !== undefined) replies.push({ kind: 'payload', topic: replyTo, payload: { correlationId, ...body } });
    if (typeof meta.responseTopic === 'string' && meta.responseTopic !== '') {
      const reply: SimReply = { kind: 'mqtt5', topic: meta.responseTopic, payload: body };
      if (meta.correlationData !== undefined) reply.correlationData = meta.correlationData;
      replies.push(reply);
    }
    const result: CommandResult = { handled: true, deviceId, ok, replies };
    if (detail !== undefined) result.detail = detail;
    if (ok) result.state = { topic: deviceTopics(this.scenario, deviceId).state, payload: { deviceId, ...slot.device.state() } };
    return result;
  }

  /** The actuator state of a device (`{ light, setpoint }`, `{ plan, alert }`, `{ alert, level }`). */
  deviceState(deviceId: string): ({ deviceId: string } & Record<string, string | number | boolean>) | undefined {
    const slot = this.byId.get(deviceId);
    return slot ? { deviceId, ...slot.device.state() } : undefined;
  }

  private checkFields(deviceId: string, fields: Record<string, unknown>): { ok: false; detail: string } | undefined {
    const known = this.model.commandFields;
    if ('deviceId' in fields && fields.deviceId !== deviceId) {
      return { ok: false, detail: `the command names device ${JSON.stringify(fields.deviceId)} but was sent to ${deviceId}` };
    }
    const names = Object.keys(fields).filter((name) => name !== 'deviceId');
    const unknown = names.find((name) => !known.includes(name));
    if (unknown !== undefined) return { ok: false, detail: `unknown field ${JSON.stringify(unknown)}: a ${this.scenario} device takes ${known.join(', ')}` };
    if (names.length === 0) return { ok: false, detail: `the command sets nothing: a ${this.scenario} device takes ${known.join(', ')}` };
    return undefined;
  }
}

/** A command payload: an object, or JSON text or a Buffer holding one; `correlationId` and `replyTo` set apart. */
function parseCommand(payload: unknown): { fields: Record<string, unknown>; correlationId?: string; replyTo?: string } | { error: string } {
  let value = payload;
  if (Buffer.isBuffer(value)) value = value.toString('utf8');
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return { error: 'the command is not JSON' };
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { error: 'a command must be a JSON object' };
  const { correlationId, replyTo, ...fields } = value as Record<string, unknown>;
  const result: { fields: Record<string, unknown>; correlationId?: string; replyTo?: string } = { fields };
  if (typeof correlationId === 'string' || typeof correlationId === 'number') result.correlationId = String(correlationId);
  if (typeof replyTo === 'string' && replyTo !== '') result.replyTo = replyTo;
  return result;
}

/** `createScenario('home', { devices: 3, seed: 7, interval: 5000, format: 'senml', startTime })`. */
export function createScenario(name: ScenarioName, options: ScenarioOptions): Simulation {
  return new Simulation(name, options);
}
