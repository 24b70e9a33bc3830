/**
 * Sensor faults with ground truth: spikes, stuck sensors and drifts injected into the measured values (and, in the
 * health scenario, extra episodes of tachycardia at rest), at an expected share of device time. Each device draws
 * its faults from its own stream, so the signals, the other faults and the other devices never change with it.
 */
import type { SimDevice } from './device';
import { MINUTE, Random, clamp, happens, roundTo, uniform } from './signals';
import type { MeasuredValue, SensorDef, Truth } from './types';

/** What can be wrong: one reading far off, a sensor repeating one value, a sensor ramping away, a racing heart at rest. */
export const ANOMALY_KINDS = ['spike', 'stuck', 'drift', 'tachycardia'] as const;
export type AnomalyKind = (typeof ANOMALY_KINDS)[number];

/** The truth names added while anomalies are on, in this order. */
export const ANOMALY_TRUTH_NAMES = ['anomaly', 'anomalyKind', 'anomalySensor'] as const;

/** How long an episode lasts in simulated time (a spike is one reading). */
export const ANOMALY_DURATIONS = {
  stuck: { min: 15 * MINUTE, max: 3 * 60 * MINUTE },
  drift: { min: 30 * MINUTE, max: 4 * 60 * MINUTE },
  /** The health scenario's own range for an episode of tachycardia. */
  tachycardia: { min: 3 * MINUTE, max: 15 * MINUTE },
};

/** The highest `anomalies` share: above it faults would be the normal state. */
export const MAX_ANOMALY_SHARE = 0.5;

/** How often each kind starts, relative to the others (by episodes, not by time). */
export type AnomalyMix = Partial<Record<AnomalyKind, number>>;

/** The sensor fault magnitudes of a sensor, in its unit: a spike jumps by spike[0]–spike[1], a drift ends drift[0]–drift[1] off. */
export interface SensorFaults {
  spike: [number, number];
  drift: [number, number];
  /** Spikes only go up. */
  upward?: boolean;
}

interface Episode {
  kind: AnomalyKind;
  sensor: string;
  start: number;
  end: number;
  /** Spike and drift: +1 or −1. */
  sign: number;
  /** Spike: the jump; drift: the offset at the end. */
  size: number;
  /** Stuck: the value repeated (undefined until the sensor gives one). */
  held?: number;
}

export interface AnomalyOptions {
  /** Expected share of device time affected, 0 ≤ share ≤ MAX_ANOMALY_SHARE. */
  share: number;
  interval: number;
  sensors: readonly SensorDef[];
  mix: AnomalyMix;
  /** The scenario's own truth of an abnormal state (health: `abnormal`), reported as `tachycardia`. */
  abnormalTruth?: string;
}

/** The faults of one device: a Poisson process of episodes, one at a time, of the mix's kinds. */
export class AnomalyInjector {
  private readonly rng: Random;
  private readonly ratePerMs: number;
  private readonly kinds: AnomalyKind[];
  private readonly weights: number[];
  private readonly faulty: SensorDef[];
  private episode: Episode | undefined;
  /** A tachycardia episode waits for the wearer to be at rest. */
  private pending = false;

  constructor(
    rng: Random,
    private readonly options: AnomalyOptions,
  ) {
    this.rng = rng;
    this.faulty = options.sensors.filter((sensor) => faultsOf(sensor) !== undefined);
    this.kinds = ANOMALY_KINDS.filter((kind) => (options.mix[kind] ?? 0) > 0 && (kind === 'tachycardia' || this.faulty.length > 0));
    this.weights = this.kinds.map((kind) => options.mix[kind] as number);
    const total = this.weights.reduce((a, b) => a + b, 0);
    // Mean episode length over the mix; with episodes one at a time, a start rate of a / ((1 − a) · D) gives share a.
    const meanDuration = this.kinds.reduce((sum, kind, i) => sum + (this.weights[i] / total) * meanLength(kind, options.interval), 0);
    this.ratePerMs = options.share > 0 && meanDuration > 0 ? options.share / ((1 - options.share) * meanDuration) : 0;
  }

  /**
   * Applies the faults due at `ts` to the values the device measured (in place) and returns the anomaly truth.
   * Called once per reading, before dropouts and outages, so faults do not depend on them.
   */
  apply(ts: number, device: SimDevice, values: Record<string, MeasuredValue>, truth: Truth): Truth {
    const rng = this.rng;
    if (this.episode !== undefined && ts >= this.episode.end) this.episode = undefined;
    // One draw per reading, always, so the stream stays aligned whatever happens.
    const starts = happens(rng, this.ratePerMs, this.options.interval);
    if (this.episode === undefined && !this.pending && starts) this.begin(ts);
    if (this.pending && device.startEpisode !== undefined) {
      const until = device.startEpisode(rng);
      if (until !== undefined) {
        this.pending = false;
        this.episode = { kind: 'tachycardia', sensor: 'heartRate', start: ts, end: until, sign: 1, size: 0 };
      }
    }

    const episode = this.episode;
    if (episode !== undefined && episode.kind !== 'tachycardia') {
      const sensor = this.faulty.find((s) => s.name === episode.sensor) as SensorDef;
      const value = values[sensor.name];
      if (typeof value === 'number') {
        let faulty: number;
        if (episode.kind === 'spike') faulty = value + episode.sign * episode.size;
        else if (episode.kind === 'drift') faulty = value + (episode.sign * episode.size * (ts - episode.start)) / (episode.end - episode.start);
        else faulty = episode.held ??= value;
        values[sensor.name] = roundTo(clamp(faulty, sensor.min ?? -Infinity, sensor.max ?? Infinity), sensor.decimals ?? 2);
      }
      return { anomaly: true, anomalyKind: episode.kind, anomalySensor: episode.sensor };
    }
    const abnormal = this.options.abnormalTruth !== undefined && truth[this.options.abnormalTruth] === true;
    return abnormal ? { anomaly: true, anomalyKind: 'tachycardia', anomalySensor: 'heartRate' } : { anomaly: false, anomalyKind: 'none', anomalySensor: 'none' };
  }

  private begin(ts: number): void {
    const rng = this.rng;
    const kind = this.kinds[pick(rng, this.weights)];
    if (kind === 'tachycardia') {
      this.pending = true;
      return;
    }
    const sensor = this.faulty[rng.int(this.faulty.length)];
    const faults = faultsOf(sensor) as SensorFaults;
    const sign = rng.next() < 0.5 ? -1 : 1;
    if (kind === 'spike') {
      this.episode = { kind, sensor: sensor.name, start: ts, end: ts + 1, sign: faults.upward ? 1 : sign, size: uniform(rng, ...faults.spike) };
    } else {
      const { min, max } = ANOMALY_DURATIONS[kind];
      const length = uniform(rng, min, max);
      this.episode = { kind, sensor: sensor.name, start: ts, end: ts + length, sign, size: kind === 'drift' ? uniform(rng, ...faults.drift) : 0 };
    }
  }
}

function faultsOf(sensor: SensorDef): SensorFaults | undefined {
  return sensor.kind === 'number' ? sensor.faults : undefined;
}

/** Mean time an episode of this kind marks readings: a spike one interval, the others half their range. */
function meanLength(kind: AnomalyKind, interval: number): number {
  if (kind === 'spike') return interval;
  const { min, max } = ANOMALY_DURATIONS[kind];
  return (min + max) / 2;
}

function pick(rng: Random, weights: readonly number[]): number {
  const total = weights.reduce((a, b) => a + b, 0);
  let draw = rng.next() * total;
  for (let i = 0; i < weights.length; i++) {
    draw -= weights[i];
    if (draw < 0) return i;
  }
  return weights.length - 1;
}
