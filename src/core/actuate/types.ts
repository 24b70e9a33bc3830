/** Shapes shared by the actuator core and the `actuator-command` glue. */
import type { FeedbackEvent } from './corrections';

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export type AckMode = 'none' | 'payload' | 'mqtt5' | 'state';
export type LimitMode = 'clamp' | 'refuse';

export interface Range {
  min?: number;
  max?: number;
}

/** `{ min, max }` for every numeric field, or one range per field (by key name or dotted path). */
export type Limits = { kind: 'every-number'; range: Range } | { kind: 'per-field'; fields: Map<string, Range> };

/** What a rule sends: an object (a JSON command, filled string by string) or a string (a text command; exactly `"{value}"` sends the number). */
export type CommandTemplate = string | JsonObject;

export interface ActuatorRule {
  /** Compared with `prediction.label` as strings. */
  label?: string;
  above?: number;
  below?: number;
  command: CommandTemplate;
  topic?: string;
}

export type OutcomeStatus = 'sent' | 'suppressed' | 'refused' | 'acked' | 'nacked' | 'timeout';

/** `msg.payload` of output 2. */
export interface Outcome {
  deviceId: string | null;
  correlationId: string | null;
  status: OutcomeStatus;
  detail: string;
}

/** `msg.command` of output 1. */
export interface CommandInfo {
  deviceId: string;
  /** The public id, as in the command's outcomes; not the reply token the device gets. */
  correlationId: string;
  /** When the command was first sent (epoch ms); retries keep it. */
  ts: number;
  /** Which rule fired and why, e.g. `rule 2: value 31.5 above 30`. */
  reason: string;
}

/** A message for output 1. */
export interface CommandEffect {
  kind: 'command';
  topic: string;
  /** The command exactly as the device receives it (with `correlationId`/`replyTo` in `payload` ack mode). */
  payload: JsonValue;
  command: CommandInfo;
  /** `mqtt5` ack: for the core `mqtt out` node. */
  responseTopic?: string;
  correlationData?: Buffer;
  /** Present on re-sends only: 1 for the first retry, 2 for the second, ... */
  retry?: number;
}

/** A message for output 2. `error` is set for bad input, for `msg.error = { code, message }`. */
export interface OutcomeEffect {
  kind: 'outcome';
  payload: Outcome;
  /** For bad input; `path` (`/<index>`) names the bad prediction of an array. */
  error?: { code: string; message: string; path?: string };
}

export type WarnCode = 'late-reply' | 'bad-reply' | 'reply-topic' | 'own-command' | 'override-dropped' | 'topic-refused' | 'correction-unmatched';

/** For `node.warn`: `code` is stable (an i18n key suffix), `message` a readable English default. */
export interface WarnEffect {
  kind: 'warn';
  code: WarnCode;
  message: string;
}

/** A message for output 3 ("feedback"): one correction of an automatic command (corrections.ts). */
export interface FeedbackEffect {
  kind: 'feedback';
  payload: FeedbackEvent;
}

export type ActuatorEffect = CommandEffect | OutcomeEffect | WarnEffect | FeedbackEffect;

export interface ActuatorStats {
  predictions: number;
  sent: number;
  retried: number;
  suppressed: number;
  refused: number;
  acked: number;
  nacked: number;
  timeouts: number;
  warnings: number;
  /** Feedback events (corrections of automatic commands) sent on output 3. */
  corrections: number;
  /** Kept events (`keptAfter`: automatic commands that stood uncorrected) sent on output 3. */
  kept: number;
  /** Commands waiting for their final outcome right now. */
  pending: number;
}

export interface ActuatorDeps {
  /**
   * A fresh, unique public id for each new command (e.g. `crypto.randomUUID`), for outcomes and `msg.command`. The
   * secret the device replies with is not this: the engine makes it itself.
   */
  newCorrelationId(): string;
}
