import type { Simulation } from './scenario';
import type { SimReading } from './types';

/**
 * Wide rows for `iot-ai train --window`: `deviceId,ts,<sensor>...,truth.<name>...`, one row per device per
 * interval. A sensor that dropped out (or a device that was offline) leaves its cell empty; motion is 1 or 0.
 */
export function wideHeader(sim: Pick<Simulation, 'sensors' | 'truthNames'>): string[] {
  return ['deviceId', 'ts', ...sim.sensors.map((sensor) => sensor.name), ...sim.truthNames.map((name) => `truth.${name}`)];
}

/** The row of one reading, or undefined for a deliberately broken payload (training data skips those). */
export function wideRow(sim: Pick<Simulation, 'sensors' | 'truthNames'>, reading: SimReading): Array<string | number> | undefined {
  if (reading.malformed !== undefined) return undefined;
  const cells: Array<string | number> = [reading.deviceId, reading.ts];
  for (const sensor of sim.sensors) {
    const value = reading.values[sensor.name];
    cells.push(value === null || value === undefined ? '' : typeof value === 'boolean' ? (value ? 1 : 0) : value);
  }
  for (const name of sim.truthNames) {
    const value = reading.truth[name];
    cells.push(value === undefined ? '' : String(value));
  }
  return cells;
}
