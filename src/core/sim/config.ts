import type { ConfigResult } from '../util/config';
import { readNumberOption, toBoolean } from '../util/numbers';
import { MAX_ANOMALY_SHARE } from './anomalies';
import { SIM_DEFAULTS } from './scenario';
import { SCENARIOS, ALL_SIM_FORMATS, type ScenarioName, type SimFormat } from './types';

/** A validated `sensor-sim` configuration (also what `iot-ai simulate` reads from its options). */
export interface SimConfig {
  scenario: ScenarioName;
  devices: number;
  /** ms of simulated time between two readings of a device. */
  interval: number;
  seed: number;
  speed: number;
  format: SimFormat;
  /** Start sending readings on deploy. */
  autostart: boolean;
  /** Simulated epoch ms at start; undefined: the wall clock at start. */
  startTime?: number;
  /** Broken payloads, dropouts and outages. */
  faults: boolean;
  /** Expected share of device time with an injected sensor fault, with its truth (0: off). */
  anomalies: number;
  /** People who correct automatic commands they dislike (their acts come out as state reports). */
  people: boolean;
}

/** The raw properties, as saved in a flow (numeric strings and blanks from editor fields are accepted). */
export interface RawSimConfig {
  scenario?: unknown;
  devices?: unknown;
  interval?: unknown;
  seed?: unknown;
  speed?: unknown;
  format?: unknown;
  autostart?: unknown;
  startTime?: unknown;
  faults?: unknown;
  anomalies?: unknown;
  people?: unknown;
}

export const SIM_LIMITS = { devices: 1000, minInterval: 10, maxInterval: 24 * 60 * 60 * 1000, maxSpeed: 10000 };

/**
 * The work a running simulator may make, whatever its settings (issue #27.6: 1,000 devices every 10 ms at speed
 * 10,000, each setting within its bound, asked for 10⁹ readings a second and starved the event loop). Measured
 * figures in docs/reliability.md, "Bounded work per config".
 */
export const SIM_BUDGET = {
  /** Readings (one message per device and interval, with all its sensors) per second of wall time, all devices together. */
  readingsPerSecond: 2000,
  /** Most readings one timer run sends; the rest wait for the next run (10 ms later). */
  readingsPerTick: 1000,
  /** Readings due longer ago than this (the event loop was blocked, the clock jumped) are skipped, not made up. */
  maxLagMs: 1000,
};

/** Readings per second of wall time a simulator sends: devices × speed × 1000 / interval. */
export function readingsPerSecond(config: Pick<SimConfig, 'devices' | 'interval' | 'speed'>): number {
  return (config.devices * config.speed * 1000) / config.interval;
}

export interface ParseSimOptions {
  /** A simulator that runs on the clock (the node, a broker): its readings per second must fit SIM_BUDGET. */
  live?: boolean;
}

/** Every problem in one message: `devices must be ...; speed must be ...`. */
export function parseSimConfig(raw: RawSimConfig, options: ParseSimOptions = {}): ConfigResult<SimConfig> {
  const errors: string[] = [];
  const choice = <T extends string>(value: unknown, name: string, options: readonly T[], fallback: T): T => {
    if (value === undefined || value === null || value === '') return fallback;
    if (typeof value === 'string' && (options as readonly string[]).includes(value)) return value as T;
    errors.push(`${name} must be one of ${options.join(', ')}, got ${JSON.stringify(value)}`);
    return fallback;
  };
  const number = (value: unknown, name: string, fallback: number, bounds: { min?: number; max?: number; integer?: boolean }): number => {
    const read = readNumberOption(value, name, fallback, bounds);
    if ('error' in read) {
      errors.push(read.error);
      return fallback;
    }
    return read.value;
  };

  const scenario = choice(raw.scenario, 'scenario', SCENARIOS, 'home');
  const format = choice(raw.format, 'format', ALL_SIM_FORMATS, SIM_DEFAULTS.format);
  const beforeRate = errors.length;
  const devices = number(raw.devices, 'devices', SIM_DEFAULTS.devices, { min: 1, max: SIM_LIMITS.devices, integer: true });
  const interval = number(raw.interval, 'interval', SIM_DEFAULTS.interval, { min: SIM_LIMITS.minInterval, max: SIM_LIMITS.maxInterval, integer: true });
  const seed = number(raw.seed, 'seed', SIM_DEFAULTS.seed, { integer: true });
  const speed = number(raw.speed, 'speed', SIM_DEFAULTS.speed, { max: SIM_LIMITS.maxSpeed });
  if (!(speed > 0)) errors.push(`speed must be above 0, got ${speed}`);
  const rateReadable = errors.length === beforeRate;
  const anomalies = number(raw.anomalies, 'anomalies', SIM_DEFAULTS.anomalies, { min: 0, max: MAX_ANOMALY_SHARE });
  // Judged only from valid devices, interval and speed (a bad one is reported on its own above).
  if (options.live && rateReadable) {
    const rate = readingsPerSecond({ devices, interval, speed });
    if (rate > SIM_BUDGET.readingsPerSecond) {
      errors.push(
        `devices × speed × 1000 / interval is ${formatRate(rate)} reports per second, above the ${SIM_BUDGET.readingsPerSecond} a running sensor-sim may send: fewer devices, a lower speed or a longer interval`,
      );
    }
  }

  let startTime: number | undefined;
  if (raw.startTime !== undefined && raw.startTime !== null && !(typeof raw.startTime === 'string' && raw.startTime.trim() === '')) {
    startTime = readStartTime(raw.startTime);
    if (startTime === undefined) errors.push(`startTime must be an ISO 8601 date or epoch milliseconds, got ${JSON.stringify(raw.startTime)}`);
  }

  if (errors.length > 0) return { ok: false, error: errors.join('; ') };
  const config: SimConfig = {
    scenario,
    devices,
    interval,
    seed,
    speed,
    format,
    autostart: toBoolean(raw.autostart, true),
    faults: toBoolean(raw.faults, true),
    anomalies,
    people: toBoolean(raw.people, SIM_DEFAULTS.people),
  };
  if (startTime !== undefined) config.startTime = startTime;
  return { ok: true, config };
}

/** Epoch ms from a number or numeric text (epoch ms) or an ISO 8601 date (UTC unless it says otherwise). */
function readStartTime(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isFinite(raw) && raw >= 0 ? Math.round(raw) : undefined;
  if (typeof raw !== 'string') return undefined;
  const text = raw.trim();
  if (/^\d+$/.test(text)) return Number(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return undefined;
  // Date.parse reads a date-time without a zone as local time; the simulator's days are UTC days.
  const zoned = /[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text) ? `${text}Z` : text;
  const ms = Date.parse(zoned);
  return Number.isFinite(ms) ? ms : undefined;
}

function formatRate(rate: number): string {
  return Number.isInteger(rate) ? String(rate) : rate.toFixed(1);
}
