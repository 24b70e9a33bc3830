import type { PersonAct } from './people';
import type { Random } from './signals';
import type { DeviceState, ScenarioName, SensorDef, Truth } from './types';

/** What a scenario hands each of its devices. */
export interface DeviceContext {
  id: string;
  /** 0-based position of the device in the scenario. */
  index: number;
  /** The scenario seed (for the noise the devices share, such as clouds or regional air pollution). */
  seed: number;
  /** This device's own stream: its draws never depend on other devices. */
  rng: Random;
  /** Simulated time the device starts at, epoch ms. */
  startTime: number;
  /** Milliseconds between two readings. */
  interval: number;
  /** The `people` option: the device's own stream for its people's reactions (people.ts); absent: no people. */
  people?: Random;
}

export type CommandCheck = { ok: true } | { ok: false; detail: string };

/** One simulated device: a physical state that moves with time and commands, and noisy sensors on it. */
export interface SimDevice {
  readonly id: string;
  /** Moves the state forward to `ts` (a later time; any gap, also hours). */
  evolve(ts: number): void;
  /** Noisy measurements of the current state, one per sensor of the scenario. */
  measure(): Record<string, number | boolean>;
  truth(): Truth;
  /** Checks a command (already known to name only fields of the scenario) and applies it when it is good. */
  command(fields: Record<string, unknown>): CommandCheck;
  /** The actuator state the device reports after a command. */
  state(): DeviceState;
  /**
   * Health: starts an episode of tachycardia now if the wearer is at rest and has none, with its length drawn from
   * `rng` (the anomaly stream); returns its end, or undefined when not at rest.
   */
  startEpisode?(rng: Random): number | undefined;
  /** People on: what people did to the device since the last call (each one a state report). */
  takeActs?(): PersonAct[];
  /** People on: the hidden state a benchmark scores (true air temperature, preference, running meters...). */
  inspect?(): Record<string, number | string | boolean>;
}

/** A scenario: its sensors, its truth, its device names and how to build a device. */
export interface ScenarioModel {
  name: ScenarioName;
  sensors: readonly SensorDef[];
  truthNames: readonly string[];
  /** Fields a command may set (ack fields and `deviceId` aside). */
  commandFields: readonly string[];
  deviceId(index: number): string;
  createDevice(context: DeviceContext): SimDevice;
  /** How often each kind of anomaly starts when anomalies are on, relative to the others. */
  anomalyMix: Partial<Record<'spike' | 'stuck' | 'drift' | 'tachycardia', number>>;
  /** A truth name whose `true` is itself an anomaly (health: `abnormal`, reported as `tachycardia`). */
  abnormalTruth?: string;
}

/** A command value given as ON/OFF (any case) or a boolean. */
export function readOnOff(value: unknown): 'ON' | 'OFF' | undefined {
  if (value === true) return 'ON';
  if (value === false) return 'OFF';
  if (typeof value !== 'string') return undefined;
  const upper = value.trim().toUpperCase();
  return upper === 'ON' || upper === 'OFF' ? upper : undefined;
}

/** A command number given as a number or numeric text. */
export function readNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** A command flag given as a boolean or `"true"`/`"false"`. */
export function readBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return undefined;
}

/**
 * What the scenarios' devices share: id, random stream, scenario seed, reading interval and a clock that `evolve`
 * walks forward in steps of at most `maxStep` ms, so a long gap still follows the day's schedule step by step.
 */
export abstract class SteppedDevice {
  readonly id: string;
  protected readonly rng: Random;
  protected readonly seed: number;
  protected readonly interval: number;
  protected time: number;

  constructor(
    context: DeviceContext,
    private readonly maxStep: number,
  ) {
    this.id = context.id;
    this.rng = context.rng;
    this.seed = context.seed;
    this.interval = context.interval;
    this.time = context.startTime;
  }

  evolve(ts: number): void {
    while (this.time < ts) {
      const next = Math.min(ts, this.time + this.maxStep);
      this.step(next - this.time, next);
      this.time = next;
    }
  }

  /** Moves the state `dt` ms forward, to `ts` (`time` is still the start of the step). */
  protected abstract step(dt: number, ts: number): void;
}
