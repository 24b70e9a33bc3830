import type { ValidateFunction } from 'ajv';
import { readNumberOption, toBoolean, toNumber } from '../util/numbers';
import { NAME_POLICIES, type NamePolicy } from './names';
import { userSchemaAjv } from '../util/schema-engine';
import { compileTopicPattern, type TopicPattern } from './topic';
import { senmlUnitOf } from './units';
import { INGEST_PROFILES, PROFILE_SETTINGS, type IngestProfileName, type ProfileSettings } from './profiles';
import { isTimeZone } from './timestamps';
import { type ConfigResult, configError } from '../util/config';
import { OUTPUT_MODES, type OutputMode } from '../types';
import { parseShardRouting, type ShardRouting } from '../scale/shard';

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
  profile: IngestProfileName;
  /** `payload`: the payload's device (field, SenML bn) wins and the topic fills; `topic`: the topic wins. */
  deviceFrom: 'payload' | 'topic';
  /** Dot path of the object whose fields are the readings (empty: the whole record). */
  valuesField: string;
  /** Field lists: a sensor name matches an entry equal to it, ending in `.entry`, or under `entry.` (exclude). */
  include: string[];
  exclude: string[];
  /** Unit per field: a SenML symbol, or `$Field` to read it from that payload field (Tasmota's TempUnit). */
  units: Map<string, string>;
  /** Words read as booleans, lower case. */
  stateWords: Map<string, boolean>;
  /** IANA time zone for ISO times without an offset. */
  timeZone: string;
  lwm2mNames: boolean;
  /** `each`: one message per reading; `batch`: one message per input, the array of its readings. */
  output: OutputMode;
  /** Shard routing (`shards` > 0): each reading's topic names the shard of its device (docs/scale-out.md). */
  sharding?: ShardRouting;
}

/** Words a device sends for a state, read as booleans whatever their case (docs/nodes/sensor-ingest.md). */
export const DEFAULT_STATE_WORDS: ReadonlyArray<[string, boolean]> = [
  ['on', true], ['off', false], ['true', true], ['false', false], ['yes', true], ['no', false],
  ['open', true], ['closed', false], ['locked', true], ['unlocked', false], ['lock', true], ['unlock', false],
  ['detected', true], ['clear', false], ['active', true], ['inactive', false], ['home', true], ['not_home', false],
  ['online', true], ['offline', false],
];

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
  profile?: unknown;
  deviceFrom?: unknown;
  valuesField?: unknown;
  include?: unknown;
  exclude?: unknown;
  units?: unknown;
  stateWords?: unknown;
  timeZone?: unknown;
  lwm2mNames?: unknown;
  output?: unknown;
  shards?: unknown;
  shardTopic?: unknown;
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

export const INGEST_FORMATS: readonly IngestFormat[] = ['auto', 'senml', 'json', 'value'];

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

/** A list given as text (`a, b`) or as an array of strings. */
function parseList(raw: unknown, what: string): { list: string[] } | { error: string } {
  if (raw === undefined || raw === null || raw === '') return { list: [] };
  const items = typeof raw === 'string' ? raw.split(/[,\n]/) : Array.isArray(raw) ? raw : undefined;
  if (!items || items.some((x) => typeof x !== 'string')) return { error: `${what} must be a list of field names` };
  return { list: (items as string[]).map((x) => x.trim()).filter((x) => x !== '') };
}

/** `name=value` pairs given as text (`a=Cel, b=%RH`) or as an object. */
function parsePairs(raw: unknown, what: string): { pairs: [string, string][] } | { error: string } {
  if (raw === undefined || raw === null || raw === '') return { pairs: [] };
  if (typeof raw === 'object' && !Array.isArray(raw)) {
    const pairs = Object.entries(raw as Record<string, unknown>);
    if (pairs.some(([, v]) => typeof v !== 'string' && typeof v !== 'boolean')) return { error: `${what} values must be text` };
    return { pairs: pairs.map(([k, v]) => [k, String(v)]) };
  }
  if (typeof raw !== 'string') return { error: `${what} must be text such as a=b, c=d` };
  const pairs: [string, string][] = [];
  for (const part of raw.split(/[,\n]/)) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0 || part.slice(eq + 1).trim() === '') return { error: `${what}: "${part.trim()}" is not name=value` };
    pairs.push([part.slice(0, eq).trim(), part.slice(eq + 1).trim()]);
  }
  return { pairs };
}

/** Validate and normalise the node's properties; any problem is one clear message. */
export function parseIngestConfig(raw: RawIngestConfig): ConfigResult<IngestConfig> {
  const profileName = (raw.profile === undefined || raw.profile === '' ? 'generic' : raw.profile) as IngestProfileName;
  if (!INGEST_PROFILES.includes(profileName)) return configError(`profile must be one of ${INGEST_PROFILES.join(', ')}, got ${JSON.stringify(raw.profile)}`);
  const profile: ProfileSettings = PROFILE_SETTINGS[profileName];
  // What the flow saved wins, an empty list or pattern too; a setting it lacks comes from the profile (and a blank
  // field name or device source, which cannot mean "none", too).
  const pick = <K extends keyof ProfileSettings>(key: K): unknown => {
    const value = (raw as Record<string, unknown>)[key];
    const blankMeansProfile = key === 'deviceIdField' || key === 'tsField' || key === 'deviceFrom';
    return value === undefined || value === null || (value === '' && blankMeansProfile) ? profile[key] : value;
  };
  raw = { ...raw, topicPattern: pick('topicPattern'), deviceIdField: pick('deviceIdField'), tsField: pick('tsField') };
  const format = (raw.format === undefined || raw.format === '' ? 'auto' : raw.format) as IngestFormat;
  if (!INGEST_FORMATS.includes(format)) return configError(`format must be one of ${INGEST_FORMATS.join(', ')}, got ${JSON.stringify(raw.format)}`);

  let topicPattern: TopicPattern | undefined;
  if (typeof raw.topicPattern === 'string' && raw.topicPattern.trim() !== '') {
    const compiled = compileTopicPattern(raw.topicPattern.trim());
    if ('error' in compiled) return configError(compiled.error);
    topicPattern = compiled.pattern;
  }
  if (format === 'value' && !(topicPattern?.names.includes('deviceId') && topicPattern.names.includes('sensor'))) {
    return configError('the value format needs a topicPattern with {deviceId} and {sensor}, e.g. sensors/{deviceId}/{sensor}');
  }

  const schema = compileUserSchema(raw.schema, 'schema');
  if ('error' in schema) return configError(schema.error);
  const sensors = parseSensors(raw.sensors);
  if ('error' in sensors) return configError(sensors.error);
  const convertUnits = toBoolean(raw.convertUnits, false);
  if (convertUnits) {
    for (const spec of sensors.sensors.values()) {
      if (spec.unit !== undefined && senmlUnitOf(spec.unit) === undefined) {
        return configError(`sensor ${spec.name}: unit "${spec.unit}" is not one the converter knows`);
      }
    }
  }

  // A flow saved before the policy existed gets the safe default.
  const namePolicy = (raw.namePolicy === undefined || raw.namePolicy === '' ? 'topic' : raw.namePolicy) as NamePolicy;
  if (!NAME_POLICIES.includes(namePolicy)) return configError(`namePolicy must be one of ${NAME_POLICIES.join(', ')}, got ${JSON.stringify(raw.namePolicy)}`);

  const maxFutureMs = readNumberOption(raw.maxFutureMs, 'maxFutureMs', INGEST_DEFAULTS.maxFutureMs, { min: 0 });
  if ('error' in maxFutureMs) return configError(maxFutureMs.error);
  const maxPayloadBytes = readNumberOption(raw.maxPayloadBytes, 'maxPayloadBytes', INGEST_DEFAULTS.maxPayloadBytes, { min: 1, max: INGEST_DEFAULTS.maxPayloadBytesLimit, integer: true });
  if ('error' in maxPayloadBytes) return configError(maxPayloadBytes.error);
  const maxRecords = readNumberOption(raw.maxRecords, 'maxRecords', INGEST_DEFAULTS.maxRecords, { min: 1, max: INGEST_DEFAULTS.maxRecordsLimit, integer: true });
  if ('error' in maxRecords) return configError(maxRecords.error);

  const deviceFrom = pick('deviceFrom');
  if (deviceFrom !== 'payload' && deviceFrom !== 'topic') return configError(`deviceFrom must be payload or topic, got ${JSON.stringify(deviceFrom)}`);
  const include = parseList(pick('include'), 'include');
  if ('error' in include) return configError(include.error);
  const exclude = parseList(pick('exclude'), 'exclude');
  if ('error' in exclude) return configError(exclude.error);
  const units = parsePairs(pick('units'), 'units');
  if ('error' in units) return configError(units.error);
  const words = parsePairs(raw.stateWords ?? profile.stateWords, 'stateWords');
  if ('error' in words) return configError(words.error);
  const stateWords = new Map<string, boolean>(DEFAULT_STATE_WORDS);
  for (const [word, meaning] of words.pairs) {
    const truth = meaning.toLowerCase();
    if (truth !== 'true' && truth !== 'false') return configError(`stateWords: ${word} must be =true or =false, got ${meaning}`);
    stateWords.set(word.toLowerCase(), truth === 'true');
  }
  const timeZone = typeof raw.timeZone === 'string' && raw.timeZone.trim() !== '' ? raw.timeZone.trim() : 'UTC';
  if (!isTimeZone(timeZone)) return configError(`timeZone "${timeZone}" is not an IANA time zone name (such as Europe/Berlin or UTC)`);
  const output = (raw.output === undefined || raw.output === null || raw.output === '' ? 'each' : raw.output) as OutputMode;
  if (!OUTPUT_MODES.includes(output)) return configError(`output must be one of ${OUTPUT_MODES.join(', ')}, got ${JSON.stringify(raw.output)}`);
  const valuesField = pick('valuesField');
  const sharding = parseShardRouting(raw.shards, raw.shardTopic);
  if (!sharding.ok) return configError(sharding.error);
  // A shard topic carries the deviceId: the text policy would let a wildcard or a control character into it.
  if (sharding.config && namePolicy === 'text') return configError('shards need namePolicy topic or level: the deviceId goes into the shard topic');

  const field = (value: unknown, fallback: string) => (typeof value === 'string' && value.trim() !== '' ? value.trim() : fallback);
  return {
    ok: true,
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
      profile: profileName,
      deviceFrom,
      valuesField: typeof valuesField === 'string' ? valuesField.trim() : '',
      include: include.list,
      exclude: exclude.list,
      units: new Map(units.pairs),
      stateWords,
      timeZone,
      lwm2mNames: toBoolean(pick('lwm2mNames'), false),
      output,
      sharding: sharding.config,
    },
  };
}
