/** Reading the shapes of an input message; which of them applies is the engine's call (it knows the correlations). */
import { isPlainObject } from './json';
import { explanationText, type Prediction } from './rules';
import type { StateReport } from './state-match';
import { normaliseTimestamp } from '../ingest/timestamps';
import { readChoice, readCorrectionTs } from './corrections';

const INPUT_BOUNDS = {
  maxDeviceIdLength: 1024,
  maxDetailLength: 500,
  /** String and Buffer payloads longer than this are not parsed as JSON. */
  maxParsedPayloadBytes: 1024 * 1024,
};

/** Most predictions (an array payload) or state fields (an object payload) one message may carry. */
export const MAX_ITEMS_PER_MESSAGE = 10_000;

export type PredictionInput =
  /** `at`: the prediction's own time (its window's `end`, else `ts`), when it carries one. */
  | { ok: true; deviceId: string; prediction: Prediction; at?: number }
  | { ok: false; deviceId: string | null; detail: 'bad-input' | 'bad-value'; message: string };

/**
 * `msg.override = { deviceId, until?, command?, ts? }`: `pause` says whether to set (`until` a time) or end (`until`
 * null, 0 or false) the pause; without `until` (only with `command`) the pause is left as it is. `chosen`: the
 * values the person chose (a correction).
 */
export type OverrideInput =
  | { ok: true; deviceId: string; pause: boolean; until: number | undefined; chosen?: Record<string, unknown>; ts?: number }
  | { ok: false; message: string };

export interface ReplyInput {
  ok: boolean;
  detail?: string;
}

export function readDeviceId(raw: unknown): string | undefined {
  if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw);
  if (typeof raw !== 'string' || raw === '' || raw.length > INPUT_BOUNDS.maxDeviceIdLength) return undefined;
  return raw;
}

/** String and Buffer payloads (an `mqtt in` without JSON parsing) that hold JSON are read as JSON. */
export function readPayload(raw: unknown): unknown {
  const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : raw;
  if (typeof text !== 'string') return raw;
  const trimmed = text.trim();
  if (trimmed.length > INPUT_BOUNDS.maxParsedPayloadBytes || !/^[[{]/.test(trimmed)) return text;
  try {
    return JSON.parse(trimmed) as unknown;
  } catch {
    return text;
  }
}

/** The correlation a message carries: `msg.correlationData` (MQTT v5) or `payload.correlationId`. */
export function readCorrelation(msg: Record<string, unknown>, payload: unknown): string | undefined {
  const data = msg.correlationData;
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
  if (typeof data === 'string' && data !== '') return data;
  const id = isPlainObject(payload) ? payload.correlationId : undefined;
  if ((typeof id === 'string' && id !== '') || typeof id === 'number') return String(id);
  return undefined;
}

export function looksLikePrediction(payload: unknown): boolean {
  return isPlainObject(payload) && 'prediction' in payload;
}

const REPLY_OK = new Map<unknown, boolean>([
  [true, true],
  ['true', true],
  [false, false],
  ['false', false],
]);

/** `{ ok, detail? }` of a reply; `ok` as a boolean (or its text). */
export function readReply(payload: unknown): ReplyInput | undefined {
  if (!isPlainObject(payload)) return undefined;
  const ok = REPLY_OK.get(payload.ok);
  if (ok === undefined) return undefined;
  return payload.detail === undefined || payload.detail === null ? { ok } : { ok, detail: detailText(payload.detail) };
}

/** Reply details are the device's words: kept, but as bounded text. */
function detailText(detail: unknown): string {
  const text = typeof detail === 'string' ? detail : safeJsonText(detail);
  return text.length > INPUT_BOUNDS.maxDetailLength ? `${text.slice(0, INPUT_BOUNDS.maxDetailLength)}…` : text;
}

/** JSON text of a device's value, or a plain description when it has none (a BigInt, a cycle, nesting too deep). */
function safeJsonText(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

export function readPrediction(payload: unknown): PredictionInput {
  if (!isPlainObject(payload)) return bad(null, 'bad-input', 'the payload is not an object');
  const deviceId = readDeviceId(payload.deviceId) ?? null;
  if (deviceId === null) return bad(null, 'bad-input', 'payload.deviceId must be a non-empty string');
  const raw = payload.prediction;
  if (!isPlainObject(raw)) return bad(deviceId, 'bad-input', 'payload.prediction must be an object');
  const prediction: Prediction = {};
  if (raw.label !== undefined && raw.label !== null) {
    if (!['string', 'number', 'boolean'].includes(typeof raw.label)) {
      return bad(deviceId, 'bad-input', 'prediction.label must be a string or a number');
    }
    prediction.label = String(raw.label);
  }
  if (raw.value !== undefined) {
    if (typeof raw.value !== 'number' || !Number.isFinite(raw.value)) {
      const shown = typeof raw.value === 'number' ? String(raw.value) : safeJsonText(raw.value);
      return bad(deviceId, 'bad-value', `prediction.value must be a finite number, got ${shown.length > 40 ? `${shown.slice(0, 40)}…` : shown}`);
    }
    prediction.value = raw.value;
  }
  if (raw.confidence !== undefined) {
    if (typeof raw.confidence !== 'number') return bad(deviceId, 'bad-input', 'prediction.confidence must be a number');
    prediction.confidence = raw.confidence;
  }
  // Anything in `missing` but an empty list (or false) counts: a doubtful flag errs on the side of not acting.
  const missing = raw.missing;
  if (Array.isArray(missing) ? missing.length > 0 : missing !== undefined && missing !== null && missing !== false) prediction.missing = true;
  const why = explanationText(raw.explanation);
  if (why !== undefined) prediction.why = why;
  if (prediction.label === undefined && prediction.value === undefined) {
    return bad(deviceId, 'bad-input', 'the prediction has neither a label nor a value');
  }
  const at = [payload.end, payload.ts].find((t): t is number => typeof t === 'number' && Number.isFinite(t));
  return at === undefined ? { ok: true, deviceId, prediction } : { ok: true, deviceId, prediction, at };
}

function bad(deviceId: string | null, detail: 'bad-input' | 'bad-value', message: string): PredictionInput {
  return { ok: false, deviceId, detail, message };
}

/** `msg.override = { deviceId, until?, command?, ts? }`; `until` null, 0 or false ends an override. */
export function readOverride(raw: unknown): OverrideInput {
  if (!isPlainObject(raw)) return { ok: false, message: 'msg.override must be { deviceId, until, command? }' };
  const deviceId = readDeviceId(raw.deviceId);
  if (deviceId === undefined) return { ok: false, message: 'msg.override.deviceId must be a non-empty string' };
  const extra: { chosen?: Record<string, unknown>; ts?: number } = {};
  if (raw.command !== undefined && raw.command !== null) {
    const chosen = readChoice(raw.command, 'msg.override.command');
    if (!chosen.ok) return chosen;
    extra.chosen = chosen.fields;
  }
  if (raw.ts !== undefined && raw.ts !== null) {
    const ts = readCorrectionTs(raw.ts);
    if (ts === undefined) return { ok: false, message: 'msg.override.ts must be epoch milliseconds (or an ISO 8601 date)' };
    extra.ts = ts;
  }
  if (raw.until === undefined && extra.chosen !== undefined) return { ok: true, deviceId, pause: false, until: undefined, ...extra };
  if (raw.until === null || raw.until === 0 || raw.until === false) return { ok: true, deviceId, pause: true, until: undefined, ...extra };
  const until = readEpochMs(raw.until);
  if (until === undefined) {
    return { ok: false, message: 'msg.override.until must be epoch milliseconds (or an ISO 8601 date)' };
  }
  return { ok: true, deviceId, pause: true, until, ...extra };
}

function readEpochMs(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : undefined;
  if (typeof raw !== 'string' || raw.trim() === '') return undefined;
  const n = Number(raw);
  if (Number.isFinite(n)) return n;
  // ISO 8601 read as sensor-ingest reads it: without an offset it is UTC, never the host's zone (Date.parse).
  return normaliseTimestamp(raw);
}

/** A state report and the device it names, if it names one (else the engine looks at `msg.topic`). */
export function readStateReport(payload: unknown): { deviceId?: string; report: StateReport } | undefined {
  if (isPlainObject(payload)) {
    const deviceId = readDeviceId(payload.deviceId);
    if (deviceId !== undefined && typeof payload.sensor === 'string' && 'value' in payload) {
      return { deviceId, report: { kind: 'reading', sensor: payload.sensor, value: payload.value } };
    }
    return { deviceId, report: { kind: 'object', fields: payload } };
  }
  if (['string', 'number', 'boolean'].includes(typeof payload)) return { report: { kind: 'scalar', value: payload } };
  return undefined;
}

/** `msg.wrong = { deviceId, commandId?, chosen?, ts? }`. */
export type WrongInput =
  | { ok: true; deviceId: string; commandId?: string; chosen?: Record<string, unknown>; ts?: number }
  | { ok: false; message: string };

export function readWrong(raw: unknown): WrongInput {
  if (raw === true) return { ok: false, message: 'msg.wrong must be { deviceId, commandId?, chosen? }: name the device' };
  if (!isPlainObject(raw)) return { ok: false, message: 'msg.wrong must be { deviceId, commandId?, chosen? }' };
  const deviceId = readDeviceId(raw.deviceId);
  if (deviceId === undefined) return { ok: false, message: 'msg.wrong.deviceId must be a non-empty string' };
  const out: { ok: true; deviceId: string; commandId?: string; chosen?: Record<string, unknown>; ts?: number } = { ok: true, deviceId };
  if (raw.commandId !== undefined && raw.commandId !== null) {
    if (typeof raw.commandId !== 'string' || raw.commandId === '' || raw.commandId.length > 1024) return { ok: false, message: 'msg.wrong.commandId must be a command id (msg.command.correlationId)' };
    out.commandId = raw.commandId;
  }
  if (raw.chosen !== undefined && raw.chosen !== null) {
    const chosen = readChoice(raw.chosen, 'msg.wrong.chosen');
    if (!chosen.ok) return chosen;
    out.chosen = chosen.fields;
  }
  if (raw.ts !== undefined && raw.ts !== null) {
    const ts = readCorrectionTs(raw.ts);
    if (ts === undefined) return { ok: false, message: 'msg.wrong.ts must be epoch milliseconds (or an ISO 8601 date)' };
    out.ts = ts;
  }
  return out;
}
