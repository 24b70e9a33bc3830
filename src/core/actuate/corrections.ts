/**
 * Corrections (issue #29, docs/nodes/actuator-command.md "Corrections"): what a person does against the node's last
 * automatic command for a device, turned into feedback events for model-train. Pure: the engine calls these with
 * its own device state and time.
 *
 * A correction is one of three things, within `correctionWindow` ms of the automatic command:
 * - `state`: a state report whose field differs from what the command set, after the device had taken the command
 *   (acked, or that field reported equal to it); never a report on the command's own topic (our echo);
 * - `override`: `msg.override = { deviceId, until?, command }`, `command` holding the values the person chose;
 * - `wrong`: `msg.wrong = { deviceId, commandId?, chosen? }`, "that was wrong", from a dashboard button or a voice
 *   assistant.
 * Each contradicted field of a command yields exactly one feedback event, whichever source sees it first.
 */
import { isJsonObject, isPlainObject } from './json';
import { normaliseTimestamp } from '../ingest/timestamps';
import type { ActuatorRule, JsonObject, JsonValue } from './types';

export type CorrectionSource = 'state' | 'override' | 'wrong';
/** Not a correction: an automatic command that stood `keptAfter` ms uncorrected (opt-in, weak agreement). */
export const KEPT = 'kept';

/** `msg.payload` of output 3 ("feedback"): one contradicted field of one automatic command. */
export interface FeedbackEvent {
  deviceId: string;
  /** When the person corrected (epoch ms): the report's or message's own `ts` when it carries one, else the node's clock. */
  ts: number;
  /** The command field contradicted; `command` for a bare (text or number) command. */
  field: string;
  /** What the automatic command set the field to. */
  automatic: JsonValue;
  /** What the person chose; null when a `wrong` message names no choice. */
  chosen: JsonValue;
  /** The automatic command's public id (`msg.command.correlationId`). */
  commandId: string;
  source: CorrectionSource | typeof KEPT;
  /** `kept` only: when the command was sent (epoch ms); the windows since then are the ones it speaks for. */
  since?: number;
  /** The rule label that sends `chosen` for this field, when exactly one rule does (for a classifier whose labels are not field values). */
  label?: string;
}

/** The field name a bare (text or number) command is reported under. */
export const BARE_FIELD = 'command';

/** The last automatic command of a device, as corrections need it. */
export interface AutomaticCommand {
  commandId: string;
  /** Sent at (epoch ms, the engine's clock). */
  ts: number;
  topic: string;
  /** The command as the rule built it (filled, limited). */
  command: JsonValue;
  /** The device took it: an ack (any mode) or every field reported equal. */
  acked: boolean;
  /** Fields the device has reported equal to the command (it took them). */
  seen: Set<string>;
  /** Fields already corrected: never a second event for them. */
  corrected: Set<string>;
  /** `keptAfter` has passed (its kept events, if any, were sent). */
  kept?: boolean;
  /** The time of the prediction that made it (its window's end), and of the device's latest prediction since: the stream's own clock, which kept events are stamped in. */
  at?: number;
  lastAt?: number;
}

/** The fields a command sets, by name: an object's top-level fields, or `command` for a bare one. */
export function commandFields(command: JsonValue): JsonObject {
  return isJsonObject(command) ? command : { [BARE_FIELD]: command };
}

/** Equal, or primitives with the same text (devices echo `200` for `"200"`, `"true"` for `true`). */
export function sameFieldValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const primitive = (v: unknown): boolean => v === null || ['string', 'number', 'boolean'].includes(typeof v);
  if (primitive(a) && primitive(b)) return String(a) === String(b);
  try {
    return JSON.stringify(a) === JSON.stringify(b);
  } catch {
    // A value JSON cannot hold (a BigInt, a cycle) is never a state equal to a command.
    return false;
  }
}

/**
 * The label of the one rule that sends `chosen` in `field` (a fixed value equal to it, or exactly `"{label}"`,
 * which gives `chosen` itself as the label); undefined when none or several labels do.
 */
export function labelForChoice(rules: readonly ActuatorRule[], field: string, chosen: JsonValue, same: (chosen: unknown, sent: unknown) => boolean = sameFieldValue): string | undefined {
  if (chosen === null || typeof chosen === 'object') return undefined;
  const labels = new Set<string>();
  for (const rule of rules) {
    const sent = commandFields(rule.command as JsonValue)[field];
    if (sent === undefined) continue;
    if (sent === '{label}') labels.add(String(chosen));
    else if (rule.label !== undefined && typeof sent !== 'object' && !(typeof sent === 'string' && sent.includes('{')) && same(chosen, sent)) labels.add(rule.label);
  }
  return labels.size === 1 ? [...labels][0] : undefined;
}

export interface CorrectionContext {
  deviceId: string;
  automatic: AutomaticCommand;
  rules: readonly ActuatorRule[];
  ts: number;
  source: CorrectionSource;
  /** The fields the command set, as compared (a profile's as the device reports them); default commandFields(command). */
  commanded?: JsonObject;
}

/**
 * The events of the fields `chosen` contradicts (fields the command did not set are ignored), marking them
 * corrected. `requireSeen` (state reports): only fields the device had taken; a field reported equal is marked seen.
 */
export function contradictions(ctx: CorrectionContext, chosen: Record<string, unknown>, requireSeen: boolean, same = sameFieldValue): FeedbackEvent[] {
  const events: FeedbackEvent[] = [];
  const { automatic } = ctx;
  for (const [field, commanded] of Object.entries(ctx.commanded ?? commandFields(automatic.command))) {
    if (!Object.prototype.hasOwnProperty.call(chosen, field)) continue;
    const value = chosen[field];
    if (same(value, commanded)) {
      automatic.seen.add(field);
      continue;
    }
    if (automatic.corrected.has(field)) continue;
    if (requireSeen && !automatic.acked && !automatic.seen.has(field)) continue;
    const json = toJsonValue(value);
    if (json === undefined) continue;
    automatic.corrected.add(field);
    events.push(feedbackEvent(ctx, field, commanded, json, same));
  }
  return events;
}

/**
 * The command stood: one `kept` event per field the device took (acked, or reported equal; any field with ack
 * `none`) that nobody corrected, `chosen` equal to what the command set. Stamped `ts` = sent + keptAfter and `since`
 * = sent; or, when the predictions carried their time, `since` = the deciding prediction's and `ts` = the device's
 * latest prediction's (so they meet the windows of a replayed or sped-up stream).
 */
export function keptEvents(deviceId: string, automatic: AutomaticCommand, rules: readonly ActuatorRule[], due: number, taken: boolean): FeedbackEvent[] {
  const events: FeedbackEvent[] = [];
  automatic.kept = true;
  // In the predictions' clock when they carry one (a replayed or sped-up stream): the windows since the command.
  const since = automatic.at ?? automatic.ts;
  const ts = automatic.at === undefined ? due : Math.max(automatic.at, automatic.lastAt ?? automatic.at);
  for (const [field, commanded] of Object.entries(commandFields(automatic.command))) {
    if (automatic.corrected.has(field) || !(taken || automatic.acked || automatic.seen.has(field))) continue;
    const value = structuredClone(commanded);
    const event: FeedbackEvent = { deviceId, ts, field, automatic: value, chosen: structuredClone(commanded), commandId: automatic.commandId, source: KEPT, since };
    const label = labelForChoice(rules, field, commanded);
    if (label !== undefined) event.label = label;
    events.push(event);
  }
  return events;
}

/** `msg.wrong` with no choice: every field not yet corrected, `chosen: null`. */
export function wrongWithoutChoice(ctx: CorrectionContext): FeedbackEvent[] {
  const events: FeedbackEvent[] = [];
  for (const [field, commanded] of Object.entries(commandFields(ctx.automatic.command))) {
    if (ctx.automatic.corrected.has(field)) continue;
    ctx.automatic.corrected.add(field);
    events.push(feedbackEvent(ctx, field, commanded, null));
  }
  return events;
}

function feedbackEvent(ctx: CorrectionContext, field: string, automatic: JsonValue, chosen: JsonValue, same?: (chosen: unknown, sent: unknown) => boolean): FeedbackEvent {
  const event: FeedbackEvent = { deviceId: ctx.deviceId, ts: ctx.ts, field, automatic: structuredClone(automatic), chosen, commandId: ctx.automatic.commandId, source: ctx.source };
  const label = labelForChoice(ctx.rules, field, chosen, same);
  if (label !== undefined) event.label = label;
  return event;
}

/** A reported or chosen value as JSON (a primitive or a small structure); undefined for what JSON cannot hold. */
function toJsonValue(value: unknown): JsonValue | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  try {
    const text = JSON.stringify(value);
    return text === undefined || text.length > MAX_CHOICE_BYTES ? undefined : (JSON.parse(text) as JsonValue);
  } catch {
    return undefined;
  }
}

/** Largest chosen value (as JSON text) kept in an event; larger ones are not a device state. */
const MAX_CHOICE_BYTES = 4096;
/** Most fields a chosen command may hold. */
const MAX_CHOICE_FIELDS = 100;

/** What the person chose, by field: an object's fields, or a bare value as `command`. */
export type Choice = { ok: true; fields: Record<string, unknown> } | { ok: false; message: string };

export function readChoice(raw: unknown, name: string): Choice {
  if (isPlainObject(raw)) {
    const keys = Object.keys(raw);
    if (keys.length === 0) return { ok: false, message: `${name} is empty` };
    if (keys.length > MAX_CHOICE_FIELDS) return { ok: false, message: `${name} has more than ${MAX_CHOICE_FIELDS} fields` };
    if (toJsonValue(raw) === undefined) return { ok: false, message: `${name} is larger than ${MAX_CHOICE_BYTES} bytes of JSON or not JSON` };
    return { ok: true, fields: raw };
  }
  if (typeof raw === 'string' || typeof raw === 'boolean' || (typeof raw === 'number' && Number.isFinite(raw))) {
    if (typeof raw === 'string' && raw.length > MAX_CHOICE_BYTES) return { ok: false, message: `${name} is longer than ${MAX_CHOICE_BYTES} characters` };
    return { ok: true, fields: { [BARE_FIELD]: raw } };
  }
  return { ok: false, message: `${name} must be an object of the fields the person chose, or a bare value` };
}

/** The time a correction message or report carries (`ts`, epoch ms or ISO 8601), or undefined. */
export function readCorrectionTs(raw: unknown): number | undefined {
  return raw === undefined || raw === null ? undefined : normaliseTimestamp(raw);
}
