import type { CanonicalReading, DataError, ReadingValue } from '../types';
import { pointer } from '../util/pointer';
import { INGEST_DEFAULTS, type IngestConfig } from './config';
import { nameProblem } from './names';
import { normaliseTimestamp, senmlTimeToMs } from './timestamps';
import { convertUnit, senmlUnitOf } from './units';

export interface IngestResult {
  readings: CanonicalReading[];
  rejects: DataError[];
}

/** A reading before the checks that every format shares. */
interface Candidate {
  deviceId: string;
  sensor: string;
  value: ReadingValue;
  unit?: string;
  ts: number;
  /**
   * Where the value and time fields are, for rejects: the record's JSON Pointer and the fields' keys in it (no key:
   * the record itself). The pointers are only spelled out for a reject.
   */
  at: string;
  valueKey?: string;
  tsKey?: string;
  /** Where the device id and sensor name came from, the same way (no key: the topic; no `…At`: the record). */
  idKey?: string;
  idAt?: string;
  sensorKey?: string;
  sensorAt?: string;
}

const valuePathOf = (c: Candidate) => (c.valueKey === undefined ? c.at : c.at + pointer(c.valueKey));
const tsPathOf = (c: Candidate) => (c.tsKey === undefined ? c.at : c.at + pointer(c.tsKey));
const idPathOf = (c: Candidate) => (c.idKey === undefined ? '' : (c.idAt ?? c.at) + pointer(c.idKey));
const sensorPathOf = (c: Candidate) => (c.sensorKey === undefined ? '' : (c.sensorAt ?? c.at) + pointer(c.sensorKey));

const SENML_VALUE_FIELDS = ['v', 'vb', 'vs', 'vd'] as const;
const SENML_BASE_FIELDS = ['bn', 'bt', 'bu', 'bv', 'bs', 'bver'] as const;
/** The type each SenML field must have. */
const SENML_FIELD_TYPES: Record<string, string> = { bn: 'string', bt: 'number', bu: 'string', bv: 'number', bs: 'number', bver: 'number', n: 'string', t: 'number', u: 'string', v: 'number', vb: 'boolean', vs: 'string', vd: 'string', s: 'number' };
const SENML_FIELD_KEYS = Object.keys(SENML_FIELD_TYPES);

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x) && !Buffer.isBuffer(x);
const own = (o: object, key: string) => Object.prototype.hasOwnProperty.call(o, key);

/** Turns any sensor payload into canonical readings and rejects (CONTRACT.md, sensor-ingest). */
export class Ingestor {
  constructor(readonly config: IngestConfig) {}

  ingest(payload: unknown, topic: string | undefined, nowMs: number): IngestResult {
    const result: IngestResult = { readings: [], rejects: [] };
    const parsed = this.parse(payload, result);
    if (parsed === NOTHING) return result;
    // An object payload (parsed upstream, so no byte bound applied) is bounded by its fields, before any walk;
    // a pack over maxRecords is refused further on without counting.
    const overRecords = Array.isArray(parsed) && parsed.length > this.config.maxRecords;
    if (!overRecords && fieldCount(parsed, INGEST_DEFAULTS.maxFields) > INGEST_DEFAULTS.maxFields) {
      addReject(result, 'too-large', `the payload holds more than ${INGEST_DEFAULTS.maxFields} fields`);
      return result;
    }

    if (this.config.validate) {
      const bad = this.schemaRejects(parsed);
      if (bad === 'all') {
        addReject(result, 'schema', `payload does not match the schema: ${this.schemaMessage()}`, this.firstSchemaPath());
        return result;
      }
      if (bad.size > 0) return this.dispatch(parsed, topic, nowMs, result, bad);
    }
    return this.dispatch(parsed, topic, nowMs, result, NO_SCHEMA_FAILURES);
  }

  /** Strings and Buffers are parsed; other values pass through. */
  private parse(payload: unknown, result: IngestResult): unknown {
    let text: string | undefined;
    if (Buffer.isBuffer(payload)) {
      if (payload.length > this.config.maxPayloadBytes) {
        addReject(result, 'too-large', `payload of ${payload.length} bytes is over the ${this.config.maxPayloadBytes}-byte limit`);
        return NOTHING;
      }
      text = payload.toString('utf8');
    } else if (typeof payload === 'string') {
      text = payload;
    }
    if (text === undefined) {
      if (payload === undefined || payload === null) {
        addReject(result, 'parse', 'payload is empty');
        return NOTHING;
      }
      return payload;
    }
    // A UTF-16 code unit is at most 3 bytes of UTF-8: only a long text needs counting.
    if (text.length * 3 > this.config.maxPayloadBytes && Buffer.byteLength(text, 'utf8') > this.config.maxPayloadBytes) {
      addReject(result, 'too-large', `payload is over the ${this.config.maxPayloadBytes}-byte limit`);
      return NOTHING;
    }
    // JSON.parse skips JSON's own white space; a text it refuses is tried again trimmed (trim() also takes a
    // byte-order mark and other Unicode spaces), so the common case parses without a copy.
    try {
      return JSON.parse(text);
    } catch {
      // Handled below, on the trimmed text.
    }
    const trimmed = text.trim();
    if (trimmed === '') {
      addReject(result, 'parse', 'payload is empty');
      return NOTHING;
    }
    try {
      return JSON.parse(trimmed);
    } catch (err) {
      // A bare word such as ON or open is a string value when the format says the payload is a bare value.
      if (this.config.format === 'value') return trimmed;
      addReject(result, 'parse', `payload is not JSON: ${(err as Error).message}`);
      return NOTHING;
    }
  }

  /**
   * Schema failures: 'all' when the payload as a whole fails, else the records of an array that fail
   * (the others still go out), keyed by index with the first error's message and path.
   */
  private schemaRejects(parsed: unknown): 'all' | Map<number, DataError> {
    const validate = this.config.validate!;
    let valid: boolean;
    try {
      valid = validate(parsed) as boolean;
    } catch (err) {
      this.lastSchemaMessage = `the schema could not be checked: ${(err as Error).message}`;
      return 'all';
    }
    if (valid) return new Map();
    const errors = validate.errors ?? [];
    this.lastSchemaErrors = errors;
    if (!Array.isArray(parsed)) return 'all';
    const byRecord = new Map<number, DataError>();
    for (const error of errors) {
      const match = /^\/(\d+)(\/|$)/.exec(error.instancePath);
      if (!match) return 'all';
      const index = Number(match[1]);
      if (!byRecord.has(index)) {
        byRecord.set(index, { code: 'schema', message: `record ${index} does not match the schema: ${error.instancePath} ${error.message}`, path: error.instancePath });
      }
    }
    return byRecord;
  }

  private lastSchemaErrors: Array<{ instancePath: string; message?: string }> = [];
  private lastSchemaMessage = '';
  private schemaMessage(): string {
    if (this.lastSchemaMessage) {
      const message = this.lastSchemaMessage;
      this.lastSchemaMessage = '';
      return message;
    }
    return this.lastSchemaErrors
      .slice(0, 3)
      .map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''}`.trim())
      .join('; ');
  }
  private firstSchemaPath(): string {
    return this.lastSchemaErrors[0]?.instancePath ?? '';
  }

  private dispatch(
    parsed: unknown,
    topic: string | undefined,
    nowMs: number,
    result: IngestResult,
    schemaFailures: ReadonlyMap<number, DataError>,
  ): IngestResult {
    const captures = (topic !== undefined && this.config.topicPattern?.match(topic)) || NO_CAPTURES;
    const format = this.config.format;

    if (format === 'value') {
      if (typeof parsed === 'object') {
        addReject(result, 'type', 'the value format takes a bare number, boolean or string, not an object or array');
      } else {
        this.fromBareValue(parsed, captures, nowMs, result);
      }
      return result;
    }

    if (Array.isArray(parsed)) {
      if (parsed.length > this.config.maxRecords) {
        addReject(result, 'too-large', `${parsed.length} records is over the ${this.config.maxRecords}-record limit`);
        return result;
      }
      if (parsed.length === 0) {
        addReject(result, 'missing-field', 'the pack holds no records');
        return result;
      }
      if (format === 'json') {
        parsed.forEach((record, index) => {
          const failure = schemaFailures.get(index);
          if (failure) result.rejects.push(failure);
          else this.fromFlatObject(record, pointer(index), captures, nowMs, result);
        });
      } else {
        this.fromSenmlPack(parsed, captures, nowMs, result, schemaFailures);
        if (result.readings.length === 0 && result.rejects.length === 0) addReject(result, 'missing-field', 'the pack holds only base fields, no value');
      }
      return result;
    }

    if (isObject(parsed)) {
      const looksLikeSenml = format === 'senml' || (format === 'auto' && isSenmlRecord(parsed));
      if (looksLikeSenml) this.fromSenmlPack([parsed], captures, nowMs, result, schemaFailures, true);
      else this.fromFlatObject(parsed, '', captures, nowMs, result);
      return result;
    }

    if (format === 'auto' && (typeof parsed === 'number' || typeof parsed === 'boolean')) {
      this.fromBareValue(parsed, captures, nowMs, result);
      return result;
    }
    addReject(result, 'type', `a ${format === 'auto' ? '' : format + ' '}payload must be ${format === 'senml' ? 'a SenML pack' : format === 'json' ? 'a JSON object' : 'a SenML pack, a JSON object or a bare number or boolean'}, got ${describe(parsed)}`);
    return result;
  }

  private fromBareValue(
    value: unknown,
    captures: Record<string, string>,
    nowMs: number,
    result: IngestResult,
  ): void {
    if (typeof value !== 'number' && typeof value !== 'boolean' && typeof value !== 'string') {
      addReject(result, 'type', `a bare value must be a number, boolean or string, got ${describe(value)}`);
      return;
    }
    if (!captures.deviceId || !captures.sensor) {
      addReject(result, 'missing-field', `a bare value needs deviceId and sensor from the topic pattern ${this.config.topicPattern ? `"${this.config.topicPattern.source}"` : '(none set)'}`);
      return;
    }
    this.finish({ deviceId: captures.deviceId, sensor: captures.sensor, value, ts: nowMs, at: '' }, nowMs, result);
  }

  private fromFlatObject(
    record: unknown,
    base: string,
    captures: Record<string, string>,
    nowMs: number,
    result: IngestResult,
  ): void {
    if (!isObject(record)) {
      addReject(result, 'type', `expected a JSON object, got ${describe(record)}`, base);
      return;
    }
    const { deviceIdField, tsField } = this.config;
    const rawDevice = own(record, deviceIdField) ? record[deviceIdField] : undefined;
    let deviceId: string | undefined;
    if (typeof rawDevice === 'string' && rawDevice !== '') deviceId = rawDevice;
    else if (typeof rawDevice === 'number' && Number.isFinite(rawDevice)) deviceId = String(rawDevice);
    else if (rawDevice !== undefined && rawDevice !== null) {
      addReject(result, 'type', `${deviceIdField} must be a string or number, got ${describe(rawDevice)}`, base + pointer(deviceIdField));
      return;
    } else deviceId = captures.deviceId;
    if (!deviceId) {
      addReject(result, 'missing-field', `no ${deviceIdField} in the payload and none from the topic pattern`, base + pointer(deviceIdField));
      return;
    }
    const idKey = rawDevice === undefined || rawDevice === null ? undefined : deviceIdField;

    let ts = nowMs;
    if (own(record, tsField) && record[tsField] !== null) {
      const parsedTs = normaliseTimestamp(record[tsField]);
      if (parsedTs === undefined) {
        addReject(result, 'type', `${tsField} must be epoch seconds, epoch milliseconds or an ISO 8601 string, got ${describe(record[tsField])}`, base + pointer(tsField));
        return;
      }
      ts = parsedTs;
    }

    // A single reading spelled out: { sensor?, value, unit? } (the sensor may come from the topic).
    const namedSensor = typeof record.sensor === 'string' && record.sensor !== '' ? record.sensor : undefined;
    if (own(record, 'value') && (namedSensor || captures.sensor)) {
      const unit = typeof record.unit === 'string' && record.unit !== '' ? record.unit : undefined;
      this.finish({ deviceId, sensor: (namedSensor ?? captures.sensor)!, value: record.value as ReadingValue, unit, ts, at: base, valueKey: 'value', tsKey: tsField, idKey, sensorKey: namedSensor ? 'sensor' : undefined }, nowMs, result);
      return;
    }

    const units = isObject(record.units) ? record.units : undefined;
    const sharedUnit = typeof record.unit === 'string' && record.unit !== '' ? record.unit : undefined;
    let found = 0;
    // for...in over own keys: Object.keys' order, without building its array for every payload.
    for (const key in record) {
      if (!own(record, key)) continue;
      if (key === deviceIdField || key === tsField || key === 'unit' || key === 'units' || key === 'sensor') continue;
      let value = record[key];
      if (typeof value === 'string' && this.config.sensors.has(key)) {
        // A listed sensor sent as text ("21.5") is still that sensor's reading.
        const n = value.trim() === '' ? NaN : Number(value);
        if (!Number.isFinite(n)) {
          found++;
          addReject(result, 'type', `${key} must be a number, got ${JSON.stringify(value)}`, base + pointer(key));
          continue;
        }
        value = n;
      }
      if (typeof value !== 'number' && typeof value !== 'boolean') continue;
      found++;
      if (key === '') {
        addReject(result, 'missing-field', 'a field with an empty name cannot name a sensor', base + pointer(key));
        continue;
      }
      const unitOfKey = units && typeof units[key] === 'string' ? (units[key] as string) : sharedUnit;
      this.finish({ deviceId, sensor: key, value, unit: unitOfKey, ts, at: base, valueKey: key, tsKey: tsField, idKey, sensorKey: key }, nowMs, result);
    }
    if (found === 0) addReject(result, 'missing-field', 'the object has no numeric or boolean field to read', base);
  }

  private fromSenmlPack(
    records: unknown[],
    captures: Record<string, string>,
    nowMs: number,
    result: IngestResult,
    schemaFailures: ReadonlyMap<number, DataError>,
    singleRecord = false,
  ): void {
    let baseName = '';
    let baseNameAt = '';
    let baseTime = 0;
    let baseUnit: string | undefined;
    let baseValue = 0;
    let baseSum = 0;
    records.forEach((record, index) => {
      const at = singleRecord ? '' : pointer(index);
      const failure = schemaFailures.get(index);
      if (failure) {
        addReject(result, failure.code, failure.message, failure.path);
        return;
      }
      if (!isObject(record)) {
        addReject(result, 'type', `SenML record ${index} must be an object, got ${describe(record)}`, at);
        return;
      }
      // Base fields apply to this record and every later one (RFC 8428 section 4.5.1).
      for (const key of SENML_FIELD_KEYS) {
        if (!own(record, key)) continue;
        const value = record[key];
        if (typeof value !== SENML_FIELD_TYPES[key] || (typeof value === 'number' && !Number.isFinite(value))) {
          addReject(result, 'type', `SenML field ${key} must be a ${SENML_FIELD_TYPES[key] === 'number' ? 'finite number' : SENML_FIELD_TYPES[key]}, got ${describe(value)}`, at + pointer(key));
          return;
        }
      }
      const mustUnderstand = Object.keys(record).find((key) => key.endsWith('_'));
      if (mustUnderstand) {
        addReject(result, 'type', `SenML field ${mustUnderstand} must be understood and is not supported`, at + pointer(mustUnderstand));
        return;
      }
      if (own(record, 'bn')) {
        baseName = record.bn as string;
        baseNameAt = at;
      }
      if (own(record, 'bt')) baseTime = record.bt as number;
      if (own(record, 'bu')) baseUnit = (record.bu as string) || undefined;
      if (own(record, 'bv')) baseValue = record.bv as number;
      if (own(record, 'bs')) baseSum = record.bs as number;

      const valueFields = SENML_VALUE_FIELDS.filter((key) => own(record, key));
      if (valueFields.length > 1) {
        addReject(result, 'type', `SenML record ${index} has more than one value field (${valueFields.join(', ')})`, at);
        return;
      }
      let value: ReadingValue;
      let valueKey: string;
      if (valueFields.length === 1) {
        const field = valueFields[0];
        valueKey = field;
        value = field === 'v' ? (baseValue === 0 ? (record.v as number) : baseValue + (record.v as number)) : (record[field] as ReadingValue);
      } else if (own(record, 's')) {
        valueKey = 's';
        value = baseSum + (record.s as number);
      } else {
        const keys = Object.keys(record);
        const onlyBase = keys.length > 0 && !own(record, 'n') && keys.every((key) => (SENML_BASE_FIELDS as readonly string[]).includes(key));
        if (!onlyBase) addReject(result, 'missing-field', `SenML record ${index} has no value (v, vb, vs, vd or s)`, at + pointer('v'));
        return;
      }

      const name = (own(record, 'n') ? (record.n as string) : '');
      const identity = resolveSenmlIdentity(baseName, baseNameAt, name, at, captures);
      if (!identity) {
        addReject(result, 'missing-field', `SenML record ${index} has no device: give bn, a name with a separator, or a topic pattern with {deviceId}`, at + pointer(name ? 'n' : 'bn'));
        return;
      }
      const time = baseTime + (own(record, 't') ? (record.t as number) : 0);
      const ts = senmlTimeToMs(time, nowMs);
      if (ts === undefined) {
        addReject(result, 'type', `SenML record ${index} has an unreadable time`, at + pointer('t'));
        return;
      }
      const unit = own(record, 'u') ? (record.u as string) || undefined : baseUnit;
      this.finish({ ...identity, value, unit, ts, at, valueKey, tsKey: own(record, 't') ? 't' : 'bt' }, nowMs, result);
    });
  }

  /** The checks every reading passes, whatever its format: names, value type, time, unit, range. */
  private finish(candidate: Candidate, nowMs: number, result: IngestResult): void {
    const idProblem = nameProblem(candidate.deviceId, this.config.namePolicy);
    if (idProblem !== undefined) {
      addReject(result, 'device-id', `deviceId ${idProblem}`, idPathOf(candidate));
      return;
    }
    const sensorProblem = nameProblem(candidate.sensor, this.config.namePolicy);
    if (sensorProblem !== undefined) {
      addReject(result, 'sensor-name', `sensor name ${sensorProblem}`, sensorPathOf(candidate));
      return;
    }
    const { value } = candidate;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) {
        addReject(result, 'type', `${candidate.sensor} is not a finite number`, valuePathOf(candidate));
        return;
      }
    } else if (typeof value !== 'boolean' && typeof value !== 'string') {
      addReject(result, 'type', `${candidate.sensor} must be a number, boolean or string, got ${describe(value)}`, valuePathOf(candidate));
      return;
    }
    if (candidate.ts > nowMs + this.config.maxFutureMs) {
      addReject(result, 'future', `${candidate.sensor} is timed ${new Date(candidate.ts).toISOString()}, more than ${this.config.maxFutureMs} ms ahead of now`, tsPathOf(candidate));
      return;
    }
    const reading: CanonicalReading = { deviceId: candidate.deviceId, sensor: candidate.sensor, value, ts: candidate.ts };
    let unit = candidate.unit;
    const spec = this.config.sensors.get(candidate.sensor);
    if (typeof value === 'number') {
      let numeric = value;
      if (unit !== undefined && this.config.convertUnits) {
        const target = spec?.unit;
        const converted = convertUnit(numeric, unit, target);
        if (converted) {
          numeric = converted.value;
          unit = converted.unit;
        } else if (target !== undefined || senmlUnitOf(unit) !== undefined) {
          addReject(result, 'type', `${candidate.sensor} in ${unit} cannot be converted to ${target ?? 'a SenML unit'}`, valuePathOf(candidate));
          return;
        }
      } else if (unit !== undefined && spec?.unit !== undefined && unit !== spec.unit) {
        addReject(result, 'type', `${candidate.sensor} arrived in ${unit} where ${spec.unit} is configured (turn on unit conversion to convert it)`, valuePathOf(candidate));
        return;
      }
      if (spec?.min !== undefined && numeric < spec.min) {
        addReject(result, 'range', `${candidate.sensor} ${numeric} is below its minimum ${spec.min}`, valuePathOf(candidate));
        return;
      }
      if (spec?.max !== undefined && numeric > spec.max) {
        addReject(result, 'range', `${candidate.sensor} ${numeric} is above its maximum ${spec.max}`, valuePathOf(candidate));
        return;
      }
      reading.value = numeric;
    }
    unit ??= spec?.unit;
    if (unit !== undefined) reading.unit = unit;
    result.readings.push(reading);
  }
}

const NOTHING = Symbol('nothing');
/** A payload without a topic pattern (or a topic) captures nothing: one frozen object for all of them. */
const NO_CAPTURES: Record<string, string> = Object.freeze({}) as Record<string, string>;
const NO_SCHEMA_FAILURES: ReadonlyMap<number, DataError> = new Map();

function addReject(result: IngestResult, code: string, message: string, path = ''): void {
  result.rejects.push({ code, message, path });
}

/** Fields of a record or of the records of a pack, counted only until `limit` is passed. */
function fieldCount(parsed: unknown, limit: number): number {
  if (!Array.isArray(parsed)) return ownFields(parsed);
  let count = 0;
  for (const record of parsed) {
    count += ownFields(record);
    if (count > limit) break;
  }
  return count;
}

/** Counted in place (for...in over own keys) rather than through an Object.keys array. */
function ownFields(record: unknown): number {
  let count = 0;
  if (isObject(record)) for (const key in record) if (own(record, key)) count++;
  return count;
}

function isSenmlRecord(record: Record<string, unknown>): boolean {
  const hasName = typeof record.n === 'string' || typeof record.bn === 'string';
  return hasName && (SENML_VALUE_FIELDS.some((key) => own(record, key)) || own(record, 's'));
}

/** Identity of a SenML reading, with the fields it came from (for rejects). */
type SenmlIdentity = Pick<Candidate, 'deviceId' | 'sensor' | 'idKey' | 'idAt' | 'sensorKey' | 'sensorAt'>;

/** deviceId and sensor of a SenML record (CONTRACT.md): bn without its separator and n, else topic, else split. */
function resolveSenmlIdentity(baseName: string, baseNameAt: string, name: string, at: string, captures: Record<string, string>): SenmlIdentity | undefined {
  if (baseName !== '' && name !== '') {
    const deviceId = baseName.replace(/[:/]$/, '');
    if (deviceId !== '') return { deviceId, sensor: name, idKey: 'bn', idAt: baseNameAt, sensorKey: 'n', sensorAt: at };
  }
  const full = baseName + name;
  // What is left is read from one field: n when there is one, else bn.
  const from = name !== '' ? { key: 'n', at } : { key: 'bn', at: baseNameAt };
  if (captures.deviceId) {
    const sensor = name || captures.sensor || lastSegment(full);
    const sensorFrom = name || !captures.sensor ? { sensorKey: from.key, sensorAt: from.at } : {};
    if (sensor) return { deviceId: captures.deviceId, sensor, ...sensorFrom };
  }
  const cut = Math.max(full.lastIndexOf(':'), full.lastIndexOf('/'));
  if (cut <= 0 || cut === full.length - 1) return undefined;
  return { deviceId: full.slice(0, cut), sensor: full.slice(cut + 1), idKey: from.key, idAt: from.at, sensorKey: from.key, sensorAt: from.at };
}

function lastSegment(name: string): string {
  const trimmed = name.replace(/[:/]$/, '');
  return trimmed.slice(Math.max(trimmed.lastIndexOf(':'), trimmed.lastIndexOf('/')) + 1);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (Buffer.isBuffer(value)) return 'a Buffer';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (typeof value === 'object') return 'an object';
  // String() of any other primitive never throws (JSON.stringify does on a BigInt).
  const text = typeof value === 'string' ? JSON.stringify(value.slice(0, 41)) : String(value);
  return `${typeof value} ${text.length > 40 ? text.slice(0, 40) + '…' : text}`;
}
