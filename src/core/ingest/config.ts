import type { ValidateFunction } from 'ajv';
import { readNumberOption, toBoolean, toNumber } from '../util/numbers';
import { NAME_POLICIES, type NamePolicy } from './names';
import { userSchemaAjv } from '../util/schema-engine';
import { compileTopicPattern, type TopicPattern } from './topic';
import { senmlUnitOf } from './units';

export type IngestFormat = 'auto' | 'senml' | 'json' | 'value';

export interface SensorSpec {
  name: string;
  unit?: string;
  min?: number;
  max?: number;
}

export interface IngestConfig {
  format: IngestFormat;
  topicPattern?: TopicPattern;
  deviceIdField: string;
  tsField: string;
  validate?: ValidateFunction;
  sensors: Map<string, SensorSpec>;
  convertUnits: boolean;
  /** What device ids and sensor names may hold (names.ts). */
  namePolicy: NamePolicy;
  maxFutureMs: number;
  /** Bound on a string or Buffer payload, in bytes. */
  maxPayloadBytes: number;
  /** Bound on the records of one SenML pack or JSON array. */
  maxRecords: number;
}

/** The raw node properties, as saved in a flow (strings from editor fields are accepted). */
export interface RawIngestConfig {
  format?: unknown;
  topicPattern?: unknown;
  deviceIdField?: unknown;
  tsField?: unknown;
  schema?: unknown;
  sensors?: unknown;
  convertUnits?: unknown;
  namePolicy?: unknown;
  maxFutureMs?: unknown;
  maxPayloadBytes?: unknown;
  maxRecords?: unknown;
}

export const INGEST_DEFAULTS = {
  maxFutureMs: 5 * 60 * 1000,
  maxPayloadBytes: 1024 * 1024,
  maxRecords: 10000,
  /** Upper bounds of `maxPayloadBytes` and `maxRecords` (#27.6): JSON.parse costs some 100 ms a MiB of the event loop. */
  maxPayloadBytesLimit: 16 * 1024 * 1024,
  maxRecordsLimit: 100000,
  /** Bound on the fields of all the records of one payload together (what one message makes the node walk). */
  maxFields: 100000,
  /**
   * Most rejects of one object payload sent one by one (then one `too-large` reject tells how many more). Each
   * carries the whole payload, which Node-RED deep-copies for every message after the first: a parsed pack of n
   * bad records would cost n × n record copies. Text and Buffer payloads are shared for free: no limit.
   */
  maxRejectMessages: 100,
  /** User schemas are config, but a schema this large is almost certainly a mistake. */
  maxSchemaBytes: 256 * 1024,
};

const FORMATS: IngestFormat[] = ['auto', 'senml', 'json', 'value'];

export function compileUserSchema(schema: unknown, what: string): { validate?: ValidateFunction } | { error: string } {
  if (schema === undefined || schema === null || (typeof schema === 'string' && schema.trim() === '')) return {};
  let parsed: unknown = schema;
  if (typeof schema === 'string') {
    if (schema.length > INGEST_DEFAULTS.maxSchemaBytes) return { error: `${what} is larger than ${INGEST_DEFAULTS.maxSchemaBytes} bytes` };
    try {
      parsed = JSON.parse(schema);
    } catch (err) {
      return { error: `${what} is not valid JSON: ${(err as Error).message}` };
    }
  }
  if (typeof parsed !== 'object' && typeof parsed !== 'boolean') return { error: `${what} must be a JSON Schema object` };
  // A schema given as an object (not text) is held to the same size bound.
  if (typeof schema !== 'string' && (JSON.stringify(parsed)?.length ?? 0) > INGEST_DEFAULTS.maxSchemaBytes) {
    return { error: `${what} is larger than ${INGEST_DEFAULTS.maxSchemaBytes} bytes` };
  }
  try {
    return { validate: userSchemaAjv().compile(parsed as object) };
  } catch (err) {
    return { error: `${what} is not a usable JSON Schema: ${(err as Error).message}` };
  }
}

function parseSensors(raw: unknown): { sensors: Map<string, SensorSpec> } | { error: string } {
  const sensors = new Map<string, SensorSpec>();
  let list = raw;
  if (typeof list === 'string') {
    if (list.trim() === '') return { sensors };
    try {
      list = JSON.parse(list);
    } catch {
      return { error: 'sensors must be a JSON list of { name, unit?, min?, max? }' };
    }
  }
  if (list === undefined || list === null) return { sensors };
  if (!Array.isArray(list)) return { error: 'sensors must be a list of { name, unit?, min?, max? }' };
  for (const [index, entry] of list.entries()) {
    if (typeof entry !== 'object' || entry === null || typeof entry.name !== 'string' || entry.name === '') {
      return { error: `sensors[${index}] needs a name` };
    }
    const spec: SensorSpec = { name: entry.name };
    if (entry.unit !== undefined && entry.unit !== '') {
      if (typeof entry.unit !== 'string') return { error: `sensors[${index}].unit must be a unit symbol` };
      spec.unit = entry.unit;
    }
    for (const bound of ['min', 'max'] as const) {
      const value = entry[bound];
      if (value === undefined || value === null || value === '') continue;
      const n = toNumber(value);
      if (n === undefined) return { error: `sensors[${index}].${bound} must be a number` };
      spec[bound] = n;
    }
    if (spec.min !== undefined && spec.max !== undefined && spec.min > spec.max) {
      return { error: `sensors[${index}] has min ${spec.min} above max ${spec.max}` };
    }
    sensors.set(spec.name, spec);
  }
  return { sensors };
}

/** Validate and normalise the node's properties; any problem is one clear message. */
export function parseIngestConfig(raw: RawIngestConfig): { config: IngestConfig } | { error: string } {
  const format = (raw.format === undefined || raw.format === '' ? 'auto' : raw.format) as IngestFormat;
  if (!FORMATS.includes(format)) return { error: `format must be one of ${FORMATS.join(', ')}, got ${JSON.stringify(raw.format)}` };

  let topicPattern: TopicPattern | undefined;
  if (typeof raw.topicPattern === 'string' && raw.topicPattern.trim() !== '') {
    const compiled = compileTopicPattern(raw.topicPattern.trim());
    if ('error' in compiled) return { error: compiled.error };
    topicPattern = compiled.pattern;
  }
  if (format === 'value' && !(topicPattern?.names.includes('deviceId') && topicPattern.names.includes('sensor'))) {
    return { error: 'the value format needs a topicPattern with {deviceId} and {sensor}, e.g. sensors/{deviceId}/{sensor}' };
  }

  const schema = compileUserSchema(raw.schema, 'schema');
  if ('error' in schema) return { error: schema.error };
  const sensors = parseSensors(raw.sensors);
  if ('error' in sensors) return { error: sensors.error };
  const convertUnits = toBoolean(raw.convertUnits, false);
  if (convertUnits) {
    for (const spec of sensors.sensors.values()) {
      if (spec.unit !== undefined && senmlUnitOf(spec.unit) === undefined) {
        return { error: `sensor ${spec.name}: unit "${spec.unit}" is not one the converter knows` };
      }
    }
  }

  // A flow saved before the policy existed gets the safe default.
  const namePolicy = (raw.namePolicy === undefined || raw.namePolicy === '' ? 'topic' : raw.namePolicy) as NamePolicy;
  if (!NAME_POLICIES.includes(namePolicy)) return { error: `namePolicy must be one of ${NAME_POLICIES.join(', ')}, got ${JSON.stringify(raw.namePolicy)}` };

  const maxFutureMs = readNumberOption(raw.maxFutureMs, 'maxFutureMs', INGEST_DEFAULTS.maxFutureMs, { min: 0 });
  if ('error' in maxFutureMs) return maxFutureMs;
  const maxPayloadBytes = readNumberOption(raw.maxPayloadBytes, 'maxPayloadBytes', INGEST_DEFAULTS.maxPayloadBytes, { min: 1, max: INGEST_DEFAULTS.maxPayloadBytesLimit, integer: true });
  if ('error' in maxPayloadBytes) return maxPayloadBytes;
  const maxRecords = readNumberOption(raw.maxRecords, 'maxRecords', INGEST_DEFAULTS.maxRecords, { min: 1, max: INGEST_DEFAULTS.maxRecordsLimit, integer: true });
  if ('error' in maxRecords) return maxRecords;

  const field = (value: unknown, fallback: string) => (typeof value === 'string' && value.trim() !== '' ? value.trim() : fallback);
  return {
    config: {
      format,
      topicPattern,
      deviceIdField: field(raw.deviceIdField, 'deviceId'),
      tsField: field(raw.tsField, 'ts'),
      validate: schema.validate,
      sensors: sensors.sensors,
      convertUnits,
      namePolicy,
      maxFutureMs: maxFutureMs.value,
      maxPayloadBytes: maxPayloadBytes.value,
      maxRecords: maxRecords.value,
    },
  };
}
