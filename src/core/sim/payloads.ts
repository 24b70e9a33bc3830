/**
 * What a device puts on the wire: a SenML pack (RFC 8428) or a flat JSON object, and the broken payloads of the
 * kinds sensor-ingest rejects.
 */
import type { Random } from './signals';
import type { MalformedKind, MeasuredValue, SenmlRecord, SensorDef, SimFormat, SimPayload } from './types';

/**
 * `[{ bn: "<deviceId>/", bt: <seconds>, n, u, v | vb }, { n, u, v | vb }, ...]`, one record per sensor that has a
 * value (base name and time on the first record).
 */
export function senmlPack(deviceId: string | undefined, ts: number, sensors: readonly SensorDef[], values: Record<string, MeasuredValue>): SenmlRecord[] {
  const pack: SenmlRecord[] = [];
  for (const sensor of sensors) {
    const value = values[sensor.name];
    if (value === null || value === undefined) continue;
    const record: SenmlRecord = {};
    if (pack.length === 0) {
      if (deviceId !== undefined) record.bn = `${deviceId}/`;
      record.bt = ts / 1000;
    }
    record.n = sensor.name;
    if (sensor.unit !== undefined) record.u = sensor.unit;
    if (typeof value === 'boolean') record.vb = value;
    else record.v = value;
    pack.push(record);
  }
  return pack;
}

/** `{ deviceId, ts, <sensor>: value, ..., units: { <sensor>: unit } }`; a sensor without a value is left out. */
export function flatJson(deviceId: string | undefined, ts: number, sensors: readonly SensorDef[], values: Record<string, MeasuredValue>): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  if (deviceId !== undefined) object.deviceId = deviceId;
  object.ts = ts;
  const units: Record<string, string> = {};
  for (const sensor of sensors) {
    const value = values[sensor.name];
    if (value === null || value === undefined) continue;
    object[sensor.name] = value;
    if (sensor.unit !== undefined) units[sensor.name] = sensor.unit;
  }
  if (Object.keys(units).length > 0) object.units = units;
  return object;
}

/** Where Tasmota puts a quantity: the block of a sensor that measures it, and the field's name there. */
const TASMOTA_FIELDS: Record<string, [string, string]> = {
  temperature: ['SI7021', 'Temperature'],
  humidity: ['SI7021', 'Humidity'],
  pressure: ['BME280', 'Pressure'],
  light: ['BH1750', 'Illuminance'],
  co2: ['SCD30', 'CarbonDioxide'],
};

/** Tasmota's `Time`: the device's local time without an offset (here UTC, as a device set to Timezone 0). */
const tasmotaTime = (ts: number) => new Date(ts).toISOString().slice(0, 19);

/**
 * A Tasmota `tele/<topic>/SENSOR` message: `{ Time, <SENSOR>: { <Field>: value }, TempUnit: "C" }`; boolean inputs as
 * `Switch<n>: "ON" | "OFF"`; a quantity Tasmota has no sensor block for goes under `ANALOG`.
 */
export function tasmotaSensor(ts: number, sensors: readonly SensorDef[], values: Record<string, MeasuredValue>): Record<string, unknown> {
  const object: Record<string, unknown> = { Time: tasmotaTime(ts) };
  let switches = 0;
  for (const sensor of sensors) {
    const value = values[sensor.name];
    if (value === null || value === undefined) continue;
    if (typeof value === 'boolean') {
      object[`Switch${++switches}`] = value ? 'ON' : 'OFF';
      continue;
    }
    const [block, field] = TASMOTA_FIELDS[sensor.name] ?? ['ANALOG', sensor.name];
    const inner = (object[block] ??= {}) as Record<string, unknown>;
    inner[field] = value;
  }
  if (sensors.some((s) => TASMOTA_FIELDS[s.name]?.[1] === 'Temperature')) object.TempUnit = 'C';
  return object;
}

/**
 * A Zigbee2MQTT `zigbee2mqtt/<friendly name>` state message: the exposes as flat fields (named as the scenario names
 * them), with the health fields every battery device adds (`battery`, `linkquality`) and `last_seen` (ISO 8601).
 */
export function zigbee2mqttState(ts: number, sensors: readonly SensorDef[], values: Record<string, MeasuredValue>): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const sensor of sensors) {
    const value = values[sensor.name];
    if (value !== null && value !== undefined) object[sensor.name] = value;
  }
  object.battery = 100;
  object.linkquality = 120;
  object.last_seen = new Date(ts).toISOString();
  return object;
}

/** The topic a device of the given format publishes its readings on (senml and json: `<scenario>/<id>/sensors`). */
export function sensorTopic(format: SimFormat, scenarioTopic: string, deviceId: string): string {
  if (format === 'tasmota') return `tele/${deviceId}/SENSOR`;
  if (format === 'zigbee2mqtt') return `zigbee2mqtt/${deviceId}`;
  return scenarioTopic;
}

export function encodePayload(format: SimFormat, deviceId: string | undefined, ts: number, sensors: readonly SensorDef[], values: Record<string, MeasuredValue>): SimPayload {
  if (format === 'tasmota') return tasmotaSensor(ts, sensors, values);
  if (format === 'zigbee2mqtt') return zigbee2mqttState(ts, sensors, values);
  return format === 'senml' ? senmlPack(deviceId, ts, sensors, values) : flatJson(deviceId, ts, sensors, values);
}

/** Firmware messages that end up on a data topic instead of JSON. */
const NOISE_TEXT = ['ERR sensor timeout', 'nan', 'Guru Meditation Error: Core 1 panic', 'OK', 'reboot: brownout detected'];

/**
 * A broken payload of the given kind, built from the reading the device meant to send: text that is not JSON
 * (`parse`), a string in place of a number (`type`), a glitch value outside the sensor's range (`range`, when
 * sensor-ingest lists the sensors), or no device id (`missing-field`, when no topic pattern supplies one).
 */
export function malformedPayload(
  kind: MalformedKind,
  rng: Random,
  format: SimFormat,
  deviceId: string,
  ts: number,
  sensors: readonly SensorDef[],
  values: Record<string, MeasuredValue>,
): SimPayload {
  const numeric = sensors.filter((sensor) => sensor.kind === 'number' && typeof values[sensor.name] === 'number');
  // In a pack, a wrongly typed record is rejected whole, base name and all, which would take the device from
  // the records after it: the string goes to a later record when there is one.
  const first = sensors.find((sensor) => values[sensor.name] !== null && values[sensor.name] !== undefined);
  const candidates = kind === 'string-value' && format === 'senml' && numeric.some((s) => s !== first) ? numeric.filter((s) => s !== first) : numeric;
  const victim = candidates.length > 0 ? candidates[rng.int(candidates.length)] : undefined;
  switch (kind) {
    case 'not-json': {
      if (rng.next() < 0.5) return NOISE_TEXT[rng.int(NOISE_TEXT.length)];
      // A message cut short (a full buffer, a dropped connection).
      const text = JSON.stringify(encodePayload(format, deviceId, ts, sensors, values));
      return text.slice(0, Math.max(1, Math.floor(text.length * (0.2 + 0.6 * rng.next()))));
    }
    case 'no-device':
      return encodePayload(format, undefined, ts, sensors, values);
    case 'string-value':
    case 'out-of-range': {
      if (!victim) return encodePayload(format, undefined, ts, sensors, values);
      const payload = encodePayload(format, deviceId, ts, sensors, values);
      const bad: number | string = kind === 'string-value' ? ['ERR', 'NaN', `${values[victim.name]} ${victim.unit ?? 'count'}`][rng.int(3)] : victim.glitch ?? -1;
      if (Array.isArray(payload)) {
        const record = payload.find((r) => r.n === victim.name)!;
        record.v = bad;
      } else {
        (payload as Record<string, unknown>)[victim.name] = bad;
      }
      return payload;
    }
  }
}
