import type { CanonicalReading, DataError, ReadingValue } from '../types';
import { pointer } from '../util/pointer';
import { INGEST_DEFAULTS, type IngestConfig } from './config';
import { nameProblem } from './names';
import { isOffsetLess, normaliseTimestamp, senmlTimeToMs, zoneProblem } from './timestamps';
import { convertUnit, senmlUnitOf } from './units';
import { IPSO_OBJECTS, IPSO_VALUE_RESOURCES } from './profiles';
import { decodeSenmlCbor, looksLikeCbor } from './senml-cbor';

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
  /** Full JSON Pointers of the time and device fields, when they are nested (they win over tsKey and idKey). */
  tsPath?: string;
  idPath?: string;
  /** The time was an ISO time without an offset, read in the configured time zone. */
  offsetLess?: boolean;
  /** Where the device id and sensor name came from, the same way (no key: the topic; no `…At`: the record). */
  idKey?: string;
  idAt?: string;
  sensorKey?: string;
  sensorAt?: string;
}

const valuePathOf = (c: Candidate) => (c.valueKey === undefined ? c.at : c.at + pointer(c.valueKey));
const tsPathOf = (c: Candidate) => c.tsPath ?? (c.tsKey === undefined ? c.at : c.at + pointer(c.tsKey));
const idPathOf = (c: Candidate) => c.idPath ?? (c.idKey === undefined ? '' : (c.idAt ?? c.at) + pointer(c.idKey));
const sensorPathOf = (c: Candidate) => (c.sensorKey === undefined ? '' : (c.sensorAt ?? c.at) + pointer(c.sensorKey));

const SENML_VALUE_FIELDS = ['v', 'vb', 'vs', 'vd'] as const;
const SENML_BASE_FIELDS = ['bn', 'bt', 'bu', 'bv', 'bs', 'bver'] as const;
/** The type each SenML field must have. */
const SENML_FIELD_TYPES: Record<string, string> = { bn: 'string', bt: 'number', bu: 'string', bv: 'number', bs: 'number', bver: 'number', n: 'string', t: 'number', u: 'string', v: 'number', vb: 'boolean', vs: 'string', vd: 'string', s: 'number' };
const SENML_FIELD_KEYS = Object.keys(SENML_FIELD_TYPES);

/** Deepest nesting of a JSON payload that is read (a bound on the walk; deeper objects are a `type` reject). */
export const MAX_NESTING = 32;
interface WalkState {
  found: number;
  arrays: string[];
  tooDeep: string | undefined;
}
/** Tasmota's one-letter temperature units as SenML symbols. */
const UNIT_LETTERS: Record<string, string> = { C: 'Cel', F: 'degF', K: 'K' };

/** Whether a sensor name (a dot path) is named by a list entry: equal, ending in `.entry`, or under `entry.`. */
function fieldMatches(sensor: string, entry: string, subtree: boolean): boolean {
  if (sensor === entry || sensor.endsWith('.' + entry)) return true;
  return subtree && (sensor.startsWith(entry + '.') || sensor.includes('.' + entry + '.'));
}

/** A field by name, or by dot path into nested objects; with its JSON Pointer. A key holding the dot wins. */
function lookup(record: Record<string, unknown>, path: string): { value: unknown; pointer: string } | undefined {
  if (own(record, path)) return { value: record[path], pointer: pointer(path) };
  if (!path.includes('.')) return undefined;
  let at: unknown = record;
  const segments = path.split('.');
  for (const segment of segments) {
    if (!isObject(at) || !own(at, segment)) return undefined;
    at = at[segment];
  }
  return { value: at, pointer: pointer(...segments) };
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x) && !Buffer.isBuffer(x);
const own = (o: object, key: string) => Object.prototype.hasOwnProperty.call(o, key);

/** Turns any sensor payload into canonical readings and rejects (docs/nodes/sensor-ingest.md). */
/** Most names remembered as passing the name policy; past it the memory starts afresh (a bound, not an LRU). */
const MAX_CHECKED_NAMES = 4096;

export class Ingestor {
  /** Device ids and sensor names that passed the name policy: the same few come in every payload. */
  private readonly checkedNames = new Set<string>();

  constructor(readonly config: IngestConfig) {}

  /** `nameProblem` under the node's policy, remembering the names that pass. */
  private namePolicyProblem(name: string): string | undefined {
    if (this.checkedNames.has(name)) return undefined;
    const problem = nameProblem(name, this.config.namePolicy);
    if (problem === undefined) {
      if (this.checkedNames.size >= MAX_CHECKED_NAMES) this.checkedNames.clear();
      this.checkedNames.add(name);
    }
    return problem;
  }

  ingest(payload: unknown, topic: string | undefined, nowMs: number): IngestResult {
    const result: IngestResult = { readings: [], rejects: [] };
    // A topic that itself names a field the config leaves out (statestream's .../last_updated or .../friendly_name,
    // Shelly's <id>/status/sys) is skipped whole, before its payload is read: such payloads are often not readings at
    // all (an ISO time as bare text), and a left-out field is no reject.
    if (this.topicNamesExcluded(topic)) return result;
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
      // SenML CBOR (RFC 8428 section 6) arrives as bytes that no JSON text starts with.
      if (this.config.format !== 'json' && this.config.format !== 'value' && looksLikeCbor(payload)) {
        try {
          return decodeSenmlCbor(payload);
        } catch (err) {
          addReject(result, 'parse', `payload is neither JSON nor SenML CBOR: ${(err as Error).message}`);
          return NOTHING;
        }
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
      // A bare word such as ON or open is a string value when the format says the payload is a bare value; a state
      // word (ESPHome's ON, Home Assistant's off) is one in auto too.
      if (this.config.format === 'value') return trimmed;
      if (this.config.format === 'auto' && this.stateWord(trimmed) !== undefined) return trimmed;
      const word = this.config.format === 'auto' && /^[A-Za-z_][\w-]{0,31}$/.test(trimmed) ? ` and ${JSON.stringify(trimmed)} is not a known state word (add it to stateWords)` : '';
      addReject(result, 'parse', `payload is not JSON${word}: ${(err as Error).message}`);
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
      // A topic that names the reading (statestream's .../supported_color_modes, ESPHome's .../state) carrying a
      // JSON array of plain values is a list, not a SenML pack: one reject that says so, not one per element.
      const named = captures.sensor || captures.prefix;
      if (named && format === 'auto' && parsed.every((item) => !isObject(item))) {
        addReject(result, 'type', `${JSON.stringify(named)} holds an array of values: values inside arrays are not read (leave the field out with exclude)`);
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

    if (format === 'auto' && (typeof parsed === 'number' || typeof parsed === 'boolean' || (typeof parsed === 'string' && (this.stateWord(parsed) !== undefined || captures.prefix !== undefined)))) {
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
    // A topic level named {prefix} names a bare value as {sensor} does (ESPHome's <component>/<name>/state).
    const sensor = captures.sensor || captures.prefix;
    if (!captures.deviceId || !sensor) {
      addReject(result, 'missing-field', `a bare value needs deviceId and sensor from the topic pattern ${this.config.topicPattern ? `"${this.config.topicPattern.source}"` : '(none set)'}`);
      return;
    }
    if (this.isExcluded(sensor, true)) return;
    if (typeof value === 'string') {
      const word = this.stateWord(value);
      if (word !== undefined) value = word;
      else if (this.config.format !== 'value') {
        addReject(result, 'type', `${describe(value)} is not a number and not a known state word (such as ON, off, open, closed): add it to stateWords`);
        return;
      }
    }
    this.finish({ deviceId: captures.deviceId, sensor, value: value as ReadingValue, ts: nowMs, at: '', unit: this.unitOf(sensor, {}) }, nowMs, result);
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
    const idAt = lookup(record, deviceIdField);
    const rawDevice = idAt?.value;
    let deviceId: string | undefined;
    const topicFirst = this.config.deviceFrom === 'topic' && captures.deviceId;
    if (topicFirst) deviceId = captures.deviceId;
    else if (typeof rawDevice === 'string' && rawDevice !== '') deviceId = rawDevice;
    else if (typeof rawDevice === 'number' && Number.isFinite(rawDevice)) deviceId = String(rawDevice);
    else if (rawDevice !== undefined && rawDevice !== null) {
      addReject(result, 'type', `${deviceIdField} must be a string or number, got ${describe(rawDevice)}`, base + idAt!.pointer);
      return;
    } else deviceId = captures.deviceId;
    if (!deviceId) {
      addReject(result, 'missing-field', `no ${deviceIdField} in the payload and none from the topic pattern`, base + (idAt?.pointer ?? pointer(deviceIdField)));
      return;
    }
    const idKey = topicFirst || rawDevice === undefined || rawDevice === null ? undefined : deviceIdField;
    const idPointer = idKey === undefined ? undefined : idAt!.pointer;

    let ts = nowMs;
    const tsAt = lookup(record, tsField);
    let offsetLess = false;
    if (tsAt !== undefined && tsAt.value !== null) {
      const parsedTs = normaliseTimestamp(tsAt.value, this.config.timeZone);
      if (parsedTs === undefined) {
        const zone = zoneProblem(tsAt.value, this.config.timeZone);
        addReject(result, 'type', zone ? `${tsField} ${zone}` : `${tsField} must be epoch seconds, epoch milliseconds or an ISO 8601 string, got ${describe(tsAt.value)}`, base + tsAt.pointer);
        return;
      }
      ts = parsedTs;
      offsetLess = isOffsetLess(tsAt.value);
    }
    const tsPointer = tsAt?.pointer;

    // A single reading spelled out: { sensor?, value, unit? } (the sensor may come from the topic).
    const namedSensor = typeof record.sensor === 'string' && record.sensor !== '' ? record.sensor : undefined;
    if (own(record, 'value') && (namedSensor || captures.sensor)) {
      const unit = typeof record.unit === 'string' && record.unit !== '' ? record.unit : undefined;
      const value = this.stateWord(record.value) ?? record.value;
      this.finish({ deviceId, sensor: (namedSensor ?? captures.sensor)!, value: value as ReadingValue, unit, ts, at: base, valueKey: 'value', tsPath: tsPointer === undefined ? undefined : base + tsPointer, idPath: idPointer === undefined ? undefined : base + idPointer, sensorKey: namedSensor ? 'sensor' : undefined, offsetLess }, nowMs, result);
      return;
    }

    // The readings may sit in one field of the record (TTN's uplink_message.decoded_payload, Shelly's params).
    let values: Record<string, unknown> = record;
    let valuesAt = base;
    if (this.config.valuesField !== '') {
      const found = lookup(record, this.config.valuesField);
      if (found !== undefined) {
        if (!isObject(found.value)) {
          addReject(result, 'type', `${this.config.valuesField} must be an object of readings, got ${describe(found.value)}`, base + found.pointer);
          return;
        }
        values = found.value;
        valuesAt = base + found.pointer;
      }
    }
    const units = isObject(values.units) ? values.units : undefined;
    const sharedUnit = typeof values.unit === 'string' && values.unit !== '' ? values.unit : undefined;
    const prefix = captures.prefix ? captures.prefix + '.' : '';
    // Paths to skip: the device and time fields wherever they sit.
    const skipId = idAt ? base + idAt.pointer : undefined;
    const skipTs = tsAt ? base + tsAt.pointer : undefined;
    const walk: WalkState = { found: 0, arrays: [], tooDeep: undefined };
    const visit = (object: Record<string, unknown>, at: string, path: string, depth: number): void => {
      for (const key in object) {
        if (!own(object, key)) continue;
        if (depth === 0 && (key === 'unit' || key === 'units' || key === 'sensor')) continue;
        const keyAt = at + pointer(key);
        if (keyAt === skipId || keyAt === skipTs) continue;
        const name = path + key;
        let value = object[key];
        if (this.isExcluded(prefix + name, !isObject(value))) continue;
        if (isObject(value)) {
          if (depth + 1 >= MAX_NESTING) {
            walk.tooDeep ??= keyAt;
            continue;
          }
          visit(value, keyAt, name + '.', depth + 1);
          continue;
        }
        if (Array.isArray(value)) {
          if (walk.arrays.length < 3) walk.arrays.push(keyAt);
          continue;
        }
        if (typeof value === 'string') {
          const word = this.stateWord(value);
          if (word !== undefined) value = word;
          else if (this.config.sensors.has(prefix + name)) {
            // A listed sensor sent as text ("21.5") is still that sensor's reading.
            const n = value.trim() === '' ? NaN : Number(value);
            if (!Number.isFinite(n)) {
              walk.found++;
              addReject(result, 'type', `${name} must be a number, got ${JSON.stringify(value)}`, keyAt);
              continue;
            }
            value = n;
          }
        }
        if (typeof value !== 'number' && typeof value !== 'boolean') continue;
        walk.found++;
        if (key === '') {
          addReject(result, 'missing-field', 'a field with an empty name cannot name a sensor', keyAt);
          continue;
        }
        const sensor = prefix + name;
        const unitOfKey = (depth === 0 && units && typeof units[key] === 'string' ? (units[key] as string) : undefined) ?? this.unitOf(sensor, record) ?? sharedUnit;
        this.finish({ deviceId: deviceId!, sensor, value, unit: unitOfKey, ts, at, valueKey: key, tsPath: tsPointer === undefined ? undefined : base + tsPointer, idPath: idPointer === undefined ? undefined : base + idPointer, sensorKey: key, offsetLess }, nowMs, result);
      }
    };
    visit(values, valuesAt, '', 0);
    if (walk.tooDeep !== undefined) {
      addReject(result, 'type', `nesting deeper than ${MAX_NESTING} levels is not read`, walk.tooDeep);
    }
    if (walk.found === 0 && walk.tooDeep === undefined) {
      const why = walk.arrays.length > 0 ? ` (values inside arrays are not read: ${walk.arrays.join(', ')})` : '';
      addReject(result, 'missing-field', `the object has no numeric, boolean or state-word field to read, nested objects included${why}`, valuesAt);
    }
  }

  /** A state word (ON, off, open, …) as a boolean; undefined for any other value. */
  private stateWord(value: unknown): boolean | undefined {
    if (typeof value !== 'string' || value.length > 32) return undefined;
    return this.config.stateWords.get(value.trim().toLowerCase());
  }

  private topicNamesExcluded(topic: string | undefined): boolean {
    const { exclude, topicPattern } = this.config;
    if (topic === undefined || !topicPattern || exclude.length === 0) return false;
    const captures = topicPattern.match(topic);
    const named = captures && (captures.sensor || captures.prefix);
    return !!named && exclude.some((entry) => fieldMatches(named, entry, true));
  }

  /** Whether the config leaves a field out: excluded (with all under it), or a value not on the include list. */
  private isExcluded(sensor: string, leaf: boolean): boolean {
    const { include, exclude } = this.config;
    if (exclude.length > 0 && exclude.some((entry) => fieldMatches(sensor, entry, true))) return true;
    return leaf && include.length > 0 && !include.some((entry) => fieldMatches(sensor, entry, true));
  }

  /** The unit the config gives a field; `$Field` reads it from the payload (C, F, K as Tasmota's TempUnit). */
  private unitOf(sensor: string, record: Record<string, unknown>): string | undefined {
    if (this.config.units.size === 0) return undefined;
    for (const [entry, unit] of this.config.units) {
      if (!fieldMatches(sensor, entry, false)) continue;
      if (!unit.startsWith('$')) return unit;
      const named = lookup(record, unit.slice(1))?.value;
      if (typeof named !== 'string' || named === '') return undefined;
      return UNIT_LETTERS[named] ?? named;
    }
    return undefined;
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
    // Rejects and readings in the order of the records; the readings' names are settled once the pack is read.
    const events: Array<Candidate | DataError> = [];
    const sink: IngestResult = { readings: [], rejects: [] };
    const step = (record: unknown, index: number): void => {
      const at = singleRecord ? '' : pointer(index);
      const failure = schemaFailures.get(index);
      if (failure) {
        addReject(sink, failure.code, failure.message, failure.path);
        return;
      }
      if (!isObject(record)) {
        addReject(sink, 'type', `SenML record ${index} must be an object, got ${describe(record)}`, at);
        return;
      }
      // Base fields apply to this record and every later one (RFC 8428 section 4.5.1).
      for (const key of SENML_FIELD_KEYS) {
        if (!own(record, key)) continue;
        const value = record[key];
        if (typeof value !== SENML_FIELD_TYPES[key] || (typeof value === 'number' && !Number.isFinite(value))) {
          addReject(sink, 'type', `SenML field ${key} must be a ${SENML_FIELD_TYPES[key] === 'number' ? 'finite number' : SENML_FIELD_TYPES[key]}, got ${describe(value)}`, at + pointer(key));
          return;
        }
      }
      const mustUnderstand = Object.keys(record).find((key) => key.endsWith('_'));
      if (mustUnderstand) {
        addReject(sink, 'type', `SenML field ${mustUnderstand} must be understood and is not supported`, at + pointer(mustUnderstand));
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
        addReject(sink, 'type', `SenML record ${index} has more than one value field (${valueFields.join(', ')})`, at);
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
        if (!onlyBase) addReject(sink, 'missing-field', `SenML record ${index} has no value (v, vb, vs, vd or s)`, at + pointer('v'));
        return;
      }

      const name = (own(record, 'n') ? (record.n as string) : '');
      const identity = resolveSenmlIdentity(baseName, baseNameAt, name, at, captures, this.config.deviceFrom === 'topic', this.config.lwm2mNames);
      if (!identity) {
        addReject(sink, 'missing-field', `SenML record ${index} has no device: give bn, a name with a separator, or a topic pattern with {deviceId}`, at + pointer(name ? 'n' : 'bn'));
        return;
      }
      const time = baseTime + (own(record, 't') ? (record.t as number) : 0);
      const ts = senmlTimeToMs(time, nowMs);
      if (ts === undefined) {
        addReject(sink, 'type', `SenML record ${index} has an unreadable time`, at + pointer('t'));
        return;
      }
      const unit = (own(record, 'u') ? (record.u as string) || undefined : baseUnit) ?? identity.unit;
      delete identity.unit;
      if (this.isExcluded(identity.sensor, true)) return;
      events.push({ ...identity, value, unit, ts, at, valueKey, tsKey: own(record, 't') ? 't' : 'bt' });
    };
    records.forEach((record, index) => {
      step(record, index);
      for (const reject of sink.rejects.splice(0)) events.push(reject);
    });
    // Records that share a name but not a quantity are different series (RFC 8428's %RH, lat and lon of one device):
    // each is named <name>.<unit>. A name with one quantity in the pack keeps its name: units the converter maps to
    // one SenML unit (degF and Cel) are one quantity.
    const quantity = (unit: string | undefined) => (unit === undefined ? undefined : senmlUnitOf(unit) ?? unit);
    const unitsOf = new Map<string, Set<string | undefined>>();
    const candidates = events.filter((e): e is Candidate => 'deviceId' in e);
    for (const c of candidates) {
      const key = c.deviceId + '\u0000' + c.sensor;
      let set = unitsOf.get(key);
      if (!set) unitsOf.set(key, (set = new Set()));
      set.add(quantity(c.unit));
    }
    for (const c of events) {
      if (!('deviceId' in c)) {
        result.rejects.push(c);
        continue;
      }
      if (c.unit !== undefined && unitsOf.get(c.deviceId + '\u0000' + c.sensor)!.size > 1) c.sensor = `${c.sensor}.${c.unit}`;
      this.finish(c, nowMs, result);
    }
  }

  /** The checks every reading passes, whatever its format: names, value type, time, unit, range. */
  private finish(candidate: Candidate, nowMs: number, result: IngestResult): void {
    const idProblem = this.namePolicyProblem(candidate.deviceId);
    if (idProblem !== undefined) {
      addReject(result, 'device-id', `deviceId ${idProblem}`, idPathOf(candidate));
      return;
    }
    const sensorProblem = this.namePolicyProblem(candidate.sensor);
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
      // An offset-less time read in the wrong zone is the usual cause: say so.
      const zone = candidate.offsetLess ? ` (its time has no offset and is read in time zone ${this.config.timeZone}: set timeZone to the device's zone)` : '';
      addReject(result, 'future', `${candidate.sensor} is timed ${new Date(candidate.ts).toISOString()}, more than ${this.config.maxFutureMs} ms ahead of now${zone}`, tsPathOf(candidate));
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
  if (!Array.isArray(parsed)) return ownFields(parsed, limit);
  let count = 0;
  for (const record of parsed) {
    count += ownFields(record, limit - count);
    if (count > limit) break;
  }
  return count;
}

/**
 * Counted in place (for...in over own keys) rather than through an Object.keys array; the fields of nested objects
 * count too (they are read as readings), to the nesting depth that is read, stopping once past `limit`.
 */
function ownFields(record: unknown, limit = INGEST_DEFAULTS.maxFields, depth = 0): number {
  let count = 0;
  if (!isObject(record)) return 0;
  for (const key in record) {
    if (!own(record, key)) continue;
    count++;
    const value = record[key];
    if (isObject(value) && depth + 1 < MAX_NESTING) count += ownFields(value, limit - count, depth + 1);
    if (count > limit) break;
  }
  return count;
}

function isSenmlRecord(record: Record<string, unknown>): boolean {
  const hasName = typeof record.n === 'string' || typeof record.bn === 'string';
  return hasName && (SENML_VALUE_FIELDS.some((key) => own(record, key)) || own(record, 's'));
}

/** Identity of a SenML reading, with the fields it came from (for rejects), and a unit its name implies. */
type SenmlIdentity = Pick<Candidate, 'deviceId' | 'sensor' | 'idKey' | 'idAt' | 'sensorKey' | 'sensorAt' | 'unit'>;

/** RFC 8428's device URNs (RFC 9039: urn:dev:mac, ow, org, os, ops), with what follows them. */
const DEVICE_URN = /^(urn:dev:[a-z]+:[^:/]+)(?:[:/](.*))?$/i;

/**
 * deviceId and sensor of a SenML record (docs/nodes/sensor-ingest.md): bn without its separator and n; a device
 * URN; the topic; else the name split at its last separator. With `topicFirst` the topic's device wins and the
 * whole name (bn + n, an LwM2M path such as 3303/0/5700) is the sensor.
 */
function resolveSenmlIdentity(baseName: string, baseNameAt: string, name: string, at: string, captures: Record<string, string>, topicFirst: boolean, lwm2mNames: boolean): SenmlIdentity | undefined {
  const full = baseName + name;
  // What is left is read from one field: n when there is one, else bn.
  const from = name !== '' ? { key: 'n', at } : { key: 'bn', at: baseNameAt };
  if (topicFirst && captures.deviceId) {
    const path = full.replace(/^\/+/, '').replace(/\/+$/, '');
    const sensor = path || captures.sensor || captures.prefix;
    if (!sensor) return undefined;
    const named = lwm2mNames ? lwm2mName(path) : undefined;
    return { deviceId: captures.deviceId, sensor: named?.name ?? sensor, unit: named?.unit, ...(path ? { sensorKey: from.key, sensorAt: from.at } : {}) };
  }
  if (baseName !== '' && name !== '') {
    const deviceId = baseName.replace(/[:/]$/, '');
    if (deviceId !== '') return { deviceId, sensor: name, idKey: 'bn', idAt: baseNameAt, sensorKey: 'n', sensorAt: at };
  }
  if (captures.deviceId) {
    const sensor = name || captures.sensor || lastSegment(full);
    const sensorFrom = name || !captures.sensor ? { sensorKey: from.key, sensorAt: from.at } : {};
    if (sensor) return { deviceId: captures.deviceId, sensor, ...sensorFrom };
  }
  const urn = DEVICE_URN.exec(full.replace(/[:/]$/, ''));
  if (urn) return { deviceId: urn[1], sensor: urn[2] || 'value', idKey: from.key, idAt: from.at, sensorKey: from.key, sensorAt: from.at };
  const cut = Math.max(full.lastIndexOf(':'), full.lastIndexOf('/'));
  if (cut <= 0 || cut === full.length - 1) return undefined;
  return { deviceId: full.slice(0, cut), sensor: full.slice(cut + 1), idKey: from.key, idAt: from.at, sensorKey: from.key, sensorAt: from.at };
}

/** An LwM2M object path's name in words for a well-known IPSO object's value: 3303/0/5700 → temperature. */
function lwm2mName(path: string): { name: string; unit?: string } | undefined {
  const m = /^(\d+)\/(\d+)\/(\d+)$/.exec(path);
  if (!m || !IPSO_VALUE_RESOURCES.has(m[3])) return undefined;
  const object = IPSO_OBJECTS[m[1]];
  if (!object) return undefined;
  return { name: m[2] === '0' ? object.name : `${object.name}.${m[2]}`, unit: object.unit };
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
