/**
 * Workloads shared by the bench sections: single-series readings (window core), a fleet of climate devices
 * (pipeline, memory, the pipeline's model) and a labelled classification set (training, inference).
 */
import type { CanonicalReading } from '../../src/core/types';
import { Random } from '../../src/core/util/rng';

/** One device, one sensor, one reading per ms (so a 60 ms window holds 60 readings); a slow sine plus noise. */
export function seriesReadings(count: number, devices = 1, sensors = 1): CanonicalReading[] {
  const readings: CanonicalReading[] = new Array(count);
  let seed = 12345;
  for (let i = 0; i < count; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const noise = seed / 2 ** 32 - 0.5;
    readings[i] = {
      deviceId: `device-${i % devices}`,
      sensor: `s${Math.floor(i / devices) % sensors}`,
      value: 20 + 5 * Math.sin(i / 500) + noise,
      ts: Math.floor(i / (devices * sensors)),
    };
  }
  return readings;
}

export const SENSORS = ['temperature', 'humidity', 'co2', 'light'] as const;
/** Event time of the first reading: in the past (sensor-ingest refuses readings from the future), minute-aligned. */
export const FLEET_START = Date.UTC(2025, 0, 1);

export function deviceId(device: number): string {
  return `dev-${String(device).padStart(6, '0')}`;
}

/**
 * A fleet of climate devices, each reporting its four sensors once per second of event time. Every device has
 * its own phase, so at any moment some are hot, some cold and most comfortable.
 */
export class Fleet {
  private readonly random: Random;

  constructor(
    readonly devices: number,
    seed = 1,
  ) {
    this.random = new Random(seed);
  }

  /** The four values of `device` at `second`, rounded as a device would send them. */
  values(device: number, second: number): [number, number, number, number] {
    const phase = (device * 0.6180339887) % 1;
    const wave = (period: number) => Math.sin(2 * Math.PI * (second / period + phase));
    const noise = () => this.random.next() - 0.5;
    return [
      round(22 + 7 * wave(900) + noise(), 2),
      round(45 + 12 * wave(1300) + 2 * noise(), 1),
      round(600 + 250 * wave(1700) + 20 * noise(), 0),
      round(300 + 200 * wave(3600) + 10 * noise(), 0),
    ];
  }

  /** Visits every reading of `seconds` seconds, second by second, device by device, sensor by sensor. */
  forEachReading(seconds: number, visit: (reading: CanonicalReading) => void, firstSecond = 0): void {
    for (let s = firstSecond; s < firstSecond + seconds; s++) {
      const ts = FLEET_START + s * 1000;
      for (let d = 0; d < this.devices; d++) {
        const values = this.values(d, s);
        const id = deviceId(d);
        for (let k = 0; k < SENSORS.length; k++) visit({ deviceId: id, sensor: SENSORS[k], value: values[k], ts });
      }
    }
  }

  /**
   * The raw messages a device publishes: one flat JSON text per device and second with its four readings, as
   * an MQTT `mqtt in` node would hand them over (topic `sensors/<deviceId>`, payload a string).
   */
  messages(seconds: number): DeviceMessages {
    const topics: string[] = [];
    const payloads: string[] = [];
    const devices: number[] = [];
    for (let s = 0; s < seconds; s++) {
      const ts = FLEET_START + s * 1000;
      for (let d = 0; d < this.devices; d++) {
        const [temperature, humidity, co2, light] = this.values(d, s);
        topics.push(`sensors/${deviceId(d)}`);
        payloads.push(JSON.stringify({ deviceId: deviceId(d), ts, temperature, humidity, co2, light }));
        devices.push(d);
      }
    }
    return { topics, payloads, devices, readings: payloads.length * SENSORS.length };
  }
}

export interface DeviceMessages {
  topics: string[];
  payloads: string[];
  /** The device index of each message. */
  devices: number[];
  readings: number;
}

/** The label the pipeline's model learns: how a room's temperature feels over the window. */
export function comfortLabel(meanTemperature: number): string {
  return meanTemperature > 26 ? 'hot' : meanTemperature < 18 ? 'cold' : 'ok';
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** Six uniform features in [0, 10), three classes by a simple rule, 10% label noise (from bench/forest.ts). */
export function classification(rows: number, seed: number, nFeatures = 6): { rows: Float64Array[]; target: Float64Array } {
  const random = new Random(seed);
  const features: Float64Array[] = [];
  const target = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const row = Float64Array.from({ length: nFeatures }, () => random.next() * 10);
    let label = row[0] + row[1] > 10 ? (row[2] > 5 ? 2 : 1) : 0;
    if (random.next() < 0.1) label = random.int(3);
    features.push(row);
    target[i] = label;
  }
  return { rows: features, target };
}
