import type { ConfigResult } from '../util/config';
import Ajv from 'ajv';
import Ajv2019 from 'ajv/dist/2019';
import Ajv2020 from 'ajv/dist/2020';
import { readNumberOption, toBoolean, toNumber } from '../util/numbers';
import { depthOf, isPlainObject, quoted, readJsonProperty } from './json';
import { brokenJsonObject, readTextCommand } from './template';
import { PROFILE_NAMES, PROFILES, type DeviceProfile, type ProfileName } from './profiles';
import { forbiddenInTopic } from './topic';
import { OUTPUT_MODES, type OutputMode } from '../types';
import type { AckMode, ActuatorRule, CommandTemplate, JsonObject, JsonValue, LimitMode, Limits, Range } from './types';
import { linearRegExp, linearUniqueItems } from '../util/schema-engine';

/** Checks a built command against the user's `commandSchema`: undefined when valid, else what is wrong. */
export type CommandValidator = (command: JsonValue) => string | undefined;

export interface ActuatorConfig {
  /** The ecosystem's conventions for topics, commands and acks (profiles.ts); `generic` is the node's own. */
  profile: DeviceProfile;
  rules: ActuatorRule[];
  /** Topic template used where a rule has none. */
  topic: string;
  hysteresis: number;
  minConfidence: number;
  /** ms per device between new commands. */
  cooldown: number;
  onChangeOnly: boolean;
  /** Act on predictions made with missing features (`prediction.missing`); false suppresses them. */
  allowMissing: boolean;
  limits?: Limits;
  limitMode: LimitMode;
  validateCommand?: CommandValidator;
  ack: AckMode;
  /** ms each attempt waits for its reply before a retry (or the final `timeout`). */
  ackTimeout: number;
  retries: number;
  replyTopic: string;
  /** Bound on commands waiting for an ack; the oldest is given up (`timeout`, detail `evicted`) past it. */
  maxPending: number;
  /** Bound on devices with remembered state (latches, cooldown, last command, override). */
  maxDevices: number;
  /**
   * ms after an automatic command during which a person's contrary state, override or "that was wrong" counts as
   * a correction of it (output 3); 0: corrections are not looked for.
   */
  correctionWindow: number;
  /**
   * ms after which an automatic command the device took and nobody corrected counts as kept: one feedback event per
   * field with `source: "kept"` (weak agreement, corrections.ts); 0 (default): off. Needs correctionWindow > 0.
   */
  keptAfter: number;
  /** Outcomes: `each` one message per outcome; `batch` the outcomes of one input (or one timer run) as one message. */
  output: OutputMode;
}

/** The node's properties as saved in a flow; editor fields may hold numbers as strings and JSON as text. */
export interface RawActuatorConfig {
  profile?: unknown;
  rules?: unknown;
  topic?: unknown;
  hysteresis?: unknown;
  minConfidence?: unknown;
  cooldown?: unknown;
  onChangeOnly?: unknown;
  allowMissing?: unknown;
  limits?: unknown;
  limitMode?: unknown;
  commandSchema?: unknown;
  ack?: unknown;
  ackTimeout?: unknown;
  retries?: unknown;
  replyTopic?: unknown;
  maxPending?: unknown;
  maxDevices?: unknown;
  output?: unknown;
  correctionWindow?: unknown;
  keptAfter?: unknown;
}

/** `warnings`: settings of an older flow that were changed to fit a bound (the node warns once at deploy). */
export type ActuatorConfigResult = ConfigResult<ActuatorConfig>;

export const ACTUATOR_DEFAULTS = {
  topic: '{deviceId}/set',
  replyTopic: '{topic}/reply',
  hysteresis: 0,
  minConfidence: 0,
  cooldown: 0,
  ackTimeout: 5000,
  retries: 0,
  maxPending: 1000,
  maxDevices: 10000,
  /** 15 minutes: long enough for someone to walk to a switch or a thermostat, short enough to be about that command. */
  correctionWindow: 15 * 60 * 1000,
  maxRules: 1000,
  maxRetries: 10,
  /**
   * Shortest ackTimeout (#27.6): pending × retries re-sends every 1 ms blocked the event loop. Saved flows below it
   * are raised to it with a warning, not refused.
   */
  minAckTimeout: 100,
  /** Most commands one timer run re-sends or ends; the rest wait for the next run (#27.6). */
  maxPerTick: 1000,
  /** A command template or schema this large or deep is a mistake, not a device command. */
  maxTemplateBytes: 16 * 1024,
  maxSchemaBytes: 64 * 1024,
  maxJsonDepth: 32,
} as const;

export const ACK_MODES: readonly AckMode[] = ['none', 'payload', 'mqtt5', 'state'];
export const LIMIT_MODES: readonly LimitMode[] = ['clamp', 'refuse'];

const RULE_SHAPE = '{ label?, above?, below?, command, commandType?, topic? }';

/** `json`: an object; `text`: sent as text. A rule saved without it is read by what its command parses as. */
const COMMAND_TYPES = ['json', 'text'] as const;
type CommandType = (typeof COMMAND_TYPES)[number];

class ConfigError extends Error {}

export function parseActuatorConfig(raw: unknown): ActuatorConfigResult {
  try {
    const config = readConfig(isPlainObject(raw) ? (raw as RawActuatorConfig) : {});
    const saved = toNumber((raw as RawActuatorConfig | null)?.ackTimeout);
    if (saved === undefined || saved >= ACTUATOR_DEFAULTS.minAckTimeout) return { ok: true, config };
    return { ok: true, config, warnings: [`ackTimeout ${saved} ms is below the ${ACTUATOR_DEFAULTS.minAckTimeout} ms minimum: ${ACTUATOR_DEFAULTS.minAckTimeout} ms is used`] };
  } catch (err) {
    if (err instanceof ConfigError) return { ok: false, error: err.message };
    throw err;
  }
}

function readConfig(raw: RawActuatorConfig): ActuatorConfig {
  const profile = PROFILES[readChoice<ProfileName>(raw.profile, 'profile', PROFILE_NAMES, 'generic')];
  // A profile fills what the dialog left blank (or at the generic default, for topics); what the user set wins.
  const ack = readChoice(raw.ack, 'ack', ACK_MODES, profile.ack);
  const topic = profileTopic(readTopicTemplate(raw.topic, 'topic'), ACTUATOR_DEFAULTS.topic, profile.topic);
  const replyTopic = profileTopic(readTopicTemplate(raw.replyTopic, 'replyTopic'), ACTUATOR_DEFAULTS.replyTopic, profile.replyTopic);
  const reply = ack === 'payload' ? profile.reply : undefined;
  const replyProblem = reply?.fixedReplyTopic ? undefined : reply?.checkReplyTopic?.(replyTopic);
  if (replyProblem) throw new ConfigError(`replyTopic ${quoted(replyTopic)} ${replyProblem} (profile ${profile.name})`);
  const rules = readRules(raw.rules, ack);
  rules.forEach((rule, index) => {
    const problem = reply?.checkCommand?.(rule.command);
    if (problem) throw new ConfigError(`rules[${index}].command ${problem} (profile ${profile.name})`);
  });
  return {
    profile,
    rules,
    topic,
    hysteresis: readNumber(raw.hysteresis, 'hysteresis', ACTUATOR_DEFAULTS.hysteresis, { min: 0 }),
    minConfidence: readNumber(raw.minConfidence, 'minConfidence', ACTUATOR_DEFAULTS.minConfidence, { min: 0, max: 1 }),
    cooldown: readNumber(raw.cooldown, 'cooldown', ACTUATOR_DEFAULTS.cooldown, { min: 0 }),
    onChangeOnly: toBoolean(raw.onChangeOnly, false),
    allowMissing: toBoolean(raw.allowMissing, false),
    limits: readLimits(raw.limits),
    limitMode: readChoice(raw.limitMode, 'limitMode', LIMIT_MODES, 'clamp'),
    validateCommand: readCommandSchema(raw.commandSchema),
    ack,
    ackTimeout: Math.max(ACTUATOR_DEFAULTS.minAckTimeout, readNumber(raw.ackTimeout, 'ackTimeout', ACTUATOR_DEFAULTS.ackTimeout, { min: 1 })),
    retries: readNumber(raw.retries, 'retries', ACTUATOR_DEFAULTS.retries, {
      min: 0,
      max: ACTUATOR_DEFAULTS.maxRetries,
      integer: true,
    }),
    replyTopic,
    maxPending: readNumber(raw.maxPending, 'maxPending', ACTUATOR_DEFAULTS.maxPending, {
      min: 1,
      max: 100000,
      integer: true,
    }),
    maxDevices: readNumber(raw.maxDevices, 'maxDevices', ACTUATOR_DEFAULTS.maxDevices, {
      min: 1,
      max: 1000000,
      integer: true,
    }),
    output: readChoice<OutputMode>(raw.output, 'output', OUTPUT_MODES, 'each'),
    correctionWindow: readNumber(raw.correctionWindow, 'correctionWindow', ACTUATOR_DEFAULTS.correctionWindow, { min: 0, max: 7 * 24 * 3600 * 1000 }),
    keptAfter: readNumber(raw.keptAfter, 'keptAfter', 0, { min: 0, max: 7 * 24 * 3600 * 1000 }),
  };
}

function readNumber(
  raw: unknown,
  name: string,
  fallback: number,
  bounds: { min?: number; max?: number; integer?: boolean },
): number {
  const result = readNumberOption(raw, name, fallback, bounds);
  if ('error' in result) throw new ConfigError(result.error);
  return result.value;
}

function isBlank(raw: unknown): boolean {
  return raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '');
}

function readOptionalNumber(raw: unknown, name: string): number | undefined {
  if (isBlank(raw)) return undefined;
  const n = toNumber(raw);
  if (n === undefined) throw new ConfigError(`${name} must be a number, got ${JSON.stringify(raw)}`);
  return n;
}

function readChoice<T extends string>(raw: unknown, name: string, choices: readonly T[], fallback: T): T {
  if (isBlank(raw)) return fallback;
  const choice = choices.find((c) => c === raw);
  if (choice === undefined) {
    throw new ConfigError(`${name} must be one of ${choices.join(', ')}, got ${JSON.stringify(raw)}`);
  }
  return choice;
}

function readTopicTemplate(raw: unknown, name: string): string | undefined {
  if (isBlank(raw)) return undefined;
  if (typeof raw !== 'string') throw new ConfigError(`${name} must be a string`);
  // Only what a template holds itself: what fills it is checked on each filled topic (topic.ts).
  const forbidden = forbiddenInTopic(raw);
  if (forbidden) throw new ConfigError(`${name} must not contain ${forbidden}: ${quoted(raw)}`);
  // The reply token is a command field only: in a topic it would defeat per-topic cooldowns and onChangeOnly.
  if (raw.includes('{correlationId}')) throw new ConfigError(`${name}: {correlationId} is a command field, not a topic field`);
  return raw.trim();
}

/** The user's topic, else the profile's; the generic default counts as unset, since it is what the dialog starts with. */
function profileTopic(set: string | undefined, genericDefault: string, profileDefault: string): string {
  return set === undefined || set === genericDefault ? profileDefault : set;
}

function readJson(raw: unknown, name: string): unknown {
  const result = readJsonProperty(raw, name);
  if ('error' in result) throw new ConfigError(result.error);
  return result.value;
}

function readRules(raw: unknown, ack: AckMode): ActuatorRule[] {
  const list = readJson(raw, 'rules');
  if (!Array.isArray(list)) throw new ConfigError(`rules must be a list of ${RULE_SHAPE}`);
  if (list.length === 0) throw new ConfigError('rules is empty: add at least one rule');
  if (list.length > ACTUATOR_DEFAULTS.maxRules) {
    throw new ConfigError(`rules has ${list.length} entries; at most ${ACTUATOR_DEFAULTS.maxRules} are allowed`);
  }
  return list.map((entry, index) => readRule(entry, `rules[${index}]`, ack));
}

function readRule(raw: unknown, name: string, ack: AckMode): ActuatorRule {
  if (!isPlainObject(raw)) throw new ConfigError(`${name} must be an object ${RULE_SHAPE}`);
  const commandType = isBlank(raw.commandType)
    ? undefined
    : readChoice(raw.commandType, `${name}.commandType`, COMMAND_TYPES, 'json');
  const rule: ActuatorRule = { command: readCommandTemplate(raw.command, commandType, `${name}.command`) };
  if (!isBlank(raw.label)) {
    if (!['string', 'number', 'boolean'].includes(typeof raw.label)) {
      throw new ConfigError(`${name}.label must be a string or a number`);
    }
    rule.label = String(raw.label);
  }
  const above = readOptionalNumber(raw.above, `${name}.above`);
  const below = readOptionalNumber(raw.below, `${name}.below`);
  if (above !== undefined) rule.above = above;
  if (below !== undefined) rule.below = below;
  if (above !== undefined && below !== undefined && above >= below) {
    throw new ConfigError(
      `${name}: with both, above (${above}) must be less than below (${below}); the rule matches between them`,
    );
  }
  const topic = readTopicTemplate(raw.topic, `${name}.topic`);
  if (topic !== undefined) rule.topic = topic;
  // The device echoes correlationId from the command object; a string or bare number has nowhere to carry it.
  if (ack === 'payload' && (typeof rule.command !== 'object' || rule.command === null)) {
    throw new ConfigError(
      `${name}.command must be an object with ack "payload" (use ack "mqtt5" or "state" for string commands)`,
    );
  }
  return rule;
}

/**
 * A command as the rule sends it: an object (JSON) or a string (text). Before `commandType` existed, a string
 * was text whatever it held: it is now JSON when it parses as an object, so its numbers are limited.
 */
function readCommandTemplate(raw: unknown, type: CommandType | undefined, name: string): CommandTemplate {
  if (raw === '') throw new ConfigError(`${name} is empty`);
  if (type === 'text') {
    if (typeof raw !== 'string') throw new ConfigError(`${name} must be a string: the command type is text`);
    return readText(raw, name);
  }
  if (typeof raw === 'string') {
    if (type === undefined) return readText(raw, name);
    const parsed = readJson(raw, name);
    if (!isPlainObject(parsed)) {
      throw new ConfigError(`${name} must be a JSON object (for plain text, choose the command type text)`);
    }
    return readObjectCommand(parsed, name);
  }
  if (!isPlainObject(raw)) throw new ConfigError(`${name} must be an object or a string`);
  return readObjectCommand(raw, name);
}

function readText(text: string, name: string): CommandTemplate {
  if (text.length > ACTUATOR_DEFAULTS.maxTemplateBytes) {
    throw new ConfigError(`${name} is larger than ${ACTUATOR_DEFAULTS.maxTemplateBytes} bytes`);
  }
  const command = readTextCommand(text);
  if (typeof command !== 'string') return readObjectCommand(command, name);
  const broken = brokenJsonObject(command);
  if (broken !== undefined) throw new ConfigError(`${name} ${quoted(command)} ${broken}`);
  return command;
}

function readObjectCommand(raw: Record<string, unknown>, name: string): JsonObject {
  const text = JSON.stringify(raw);
  if (text.length > ACTUATOR_DEFAULTS.maxTemplateBytes) {
    throw new ConfigError(`${name} is larger than ${ACTUATOR_DEFAULTS.maxTemplateBytes} bytes`);
  }
  if (depthOf(raw, ACTUATOR_DEFAULTS.maxJsonDepth) > ACTUATOR_DEFAULTS.maxJsonDepth) {
    throw new ConfigError(`${name} is nested deeper than ${ACTUATOR_DEFAULTS.maxJsonDepth} levels`);
  }
  // Through JSON so functions, undefined and class instances never reach a device.
  return JSON.parse(text) as JsonObject;
}

function readRange(raw: unknown, name: string): Range {
  if (!isPlainObject(raw)) throw new ConfigError(`${name} must be { min?, max? }`);
  const extra = Object.keys(raw).filter((key) => key !== 'min' && key !== 'max');
  if (extra.length > 0) throw new ConfigError(`${name} has unknown keys ${extra.join(', ')}; expected { min?, max? }`);
  const range: Range = {};
  const min = readOptionalNumber(raw.min, `${name}.min`);
  const max = readOptionalNumber(raw.max, `${name}.max`);
  // `+ 0` turns -0 into 0: a command clamped to a bound goes out as JSON, which has no -0.
  if (min !== undefined) range.min = min + 0;
  if (max !== undefined) range.max = max + 0;
  if (min === undefined && max === undefined) throw new ConfigError(`${name} needs min, max or both`);
  if (min !== undefined && max !== undefined && min > max) {
    throw new ConfigError(`${name}: min (${min}) is greater than max (${max})`);
  }
  return range;
}

function readLimits(raw: unknown): Limits | undefined {
  const value = readJson(raw, 'limits');
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) throw new ConfigError('limits must be { min, max } or { <field>: { min, max } }');
  const keys = Object.keys(value);
  if (keys.length === 0) return undefined;
  // A field may itself be called "min": the per-field form is told apart by its values being objects.
  if (keys.every((key) => isPlainObject(value[key]))) {
    const fields = new Map<string, Range>();
    for (const key of keys) fields.set(key, readRange(value[key], `limits.${key}`));
    return { kind: 'per-field', fields };
  }
  return { kind: 'every-number', range: readRange(value, 'limits') };
}

const LOCAL_REF_KEYWORDS = ['$ref', '$dynamicRef', '$recursiveRef'];

/** Finds a `$ref` that would need fetching: only references inside the schema itself are allowed. */
function findNonLocalRef(schema: unknown, path: string): string | undefined {
  if (Array.isArray(schema)) {
    for (let i = 0; i < schema.length; i++) {
      const found = findNonLocalRef(schema[i], `${path}/${i}`);
      if (found) return found;
    }
  } else if (isPlainObject(schema)) {
    for (const [key, child] of Object.entries(schema)) {
      if (LOCAL_REF_KEYWORDS.includes(key) && typeof child === 'string' && !child.startsWith('#')) {
        return `${path}/${key} = ${child}`;
      }
      const found = findNonLocalRef(child, `${path}/${key}`);
      if (found) return found;
    }
  }
  return undefined;
}

function ajvFor(schema: unknown): Ajv {
  // No loadSchema and no added schemas: nothing is ever fetched, and each config owns its compiled validator.
  // Patterns run on a linear-time engine and uniqueItems checks each item once, as in sensor-ingest: a value a
  // model or device chose can't make a pattern backtrack for seconds.
  const options = { strict: false, allErrors: false, logger: false as const, addUsedSchema: false, code: { regExp: linearRegExp } };
  const dialect = isPlainObject(schema) && typeof schema.$schema === 'string' ? schema.$schema : '';
  const ajv = dialect.includes('2020-12') ? new Ajv2020(options) : dialect.includes('2019-09') ? new Ajv2019(options) : new Ajv(options);
  ajv.removeKeyword('uniqueItems');
  ajv.addKeyword(linearUniqueItems);
  return ajv;
}

function readCommandSchema(raw: unknown): CommandValidator | undefined {
  const schema = readJson(raw, 'commandSchema');
  if (schema === undefined || schema === null) return undefined;
  if (!isPlainObject(schema) && typeof schema !== 'boolean') {
    throw new ConfigError('commandSchema must be a JSON Schema object');
  }
  if (JSON.stringify(schema).length > ACTUATOR_DEFAULTS.maxSchemaBytes) {
    throw new ConfigError(`commandSchema is larger than ${ACTUATOR_DEFAULTS.maxSchemaBytes} bytes`);
  }
  if (depthOf(schema, ACTUATOR_DEFAULTS.maxJsonDepth) > ACTUATOR_DEFAULTS.maxJsonDepth) {
    throw new ConfigError(`commandSchema is nested deeper than ${ACTUATOR_DEFAULTS.maxJsonDepth} levels`);
  }
  const remote = findNonLocalRef(schema, '');
  if (remote) throw new ConfigError(`commandSchema: only local $ref ("#...") is allowed, found ${remote}`);
  const ajv = ajvFor(schema);
  let validate: ReturnType<Ajv['compile']>;
  try {
    validate = ajv.compile(schema);
  } catch (err) {
    throw new ConfigError(`commandSchema is not a valid JSON Schema: ${(err as Error).message}`);
  }
  return (command) => (validate(command) ? undefined : ajv.errorsText(validate.errors, { dataVar: 'command' }));
}
