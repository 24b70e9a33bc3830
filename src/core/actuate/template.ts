import { isJsonObject, quoted } from './json';
import { limitValue } from './limits';
import type { CommandTemplate, JsonObject, JsonValue, LimitMode, Limits } from './types';

export interface TemplateVars {
  deviceId: string;
  label?: string;
  value?: number;
  /** Only for `replyTopic`: the command's topic. */
  topic?: string;
}

/** Why a template could not be filled: the detail of the `refused` outcome. */
export type RenderDetail = 'no-value' | 'limits' | 'template';

export type Rendered<T> = { ok: true; value: T; clamped: string[] } | { ok: false; detail: RenderDetail; message: string };

class RenderError extends Error {
  constructor(
    readonly detail: RenderDetail,
    message: string,
  ) {
    super(message);
  }
}

const PLACEHOLDER = /\{(deviceId|label|value|topic)\}/g;
const WHOLE_VALUE = '{value}';
const BARE_PLACEHOLDER = /^\{(?:deviceId|label|value|correlationId)\}/;

/**
 * What a label or deviceId may hold to be written into a plain text command: letters, marks, digits, `_`, `-`, `.`.
 * Anything else (a space, `;`, a quote, a brace, a line break) could add an argument or a field to the command.
 */
const SAFE_IN_TEXT = /^[\p{L}\p{M}\p{N}_.-]*$/u;

interface Filling {
  vars: TemplateVars;
  limits: Limits | undefined;
  mode: LimitMode;
  clamped: string[];
}

/** The value as written into a string at `path`: limited first, since no check after rendering can see it. */
function valueFor(filling: Filling, path: string[]): number {
  const { value } = filling.vars;
  if (value === undefined) throw new RenderError('no-value', 'a template uses {value} but the prediction has none');
  const limited = limitValue(value, filling.limits, filling.mode, path);
  if (!limited.ok) throw new RenderError('limits', limited.reason);
  if (limited.clamped) filling.clamped.push(limited.clamped);
  return limited.value;
}

/** One pass over the template, so a deviceId or label containing `{value}` is never expanded again. */
function fillText(template: string, filling: Filling, path: string[], plainText: boolean): string {
  return template.replace(PLACEHOLDER, (whole, name: keyof TemplateVars) => {
    // `+ 0`: -0 is written as 0.
    if (name === 'value') return String(valueFor(filling, path) + 0);
    const text = name === 'label' ? (filling.vars.label ?? '') : filling.vars[name];
    if (text === undefined) return whole;
    if (plainText && !SAFE_IN_TEXT.test(text)) {
      throw new RenderError(
        'template',
        `${name} ${quoted(text)} would change the text command: only letters, digits, "_", "-" and "." are written into one`,
      );
    }
    return text;
  });
}

function run<T>(filling: Filling, render: () => T): Rendered<T> {
  try {
    return { ok: true, value: render(), clamped: filling.clamped };
  } catch (err) {
    if (err instanceof RenderError) return { ok: false, detail: err.detail, message: err.message };
    throw err;
  }
}

/**
 * Fills a topic template. A value written into it is limited as a field named `topic`; what the topic may hold
 * is checked on the result (topic.ts).
 */
export function renderTopic(template: string, vars: TemplateVars, limits: Limits | undefined, mode: LimitMode): Rendered<string> {
  const filling: Filling = { vars, limits, mode, clamped: [] };
  return run(filling, () => fillText(template, filling, ['topic'], false));
}

/**
 * Fills a command. A JSON command is filled string by string, so its structure is the template's whatever is
 * written in; a string that is exactly `"{value}"` becomes the number (limited after rendering, with the other
 * numbers). A plain text command takes labels and deviceIds only when they cannot change it (SAFE_IN_TEXT).
 * `{value}` inside any string is limited before it is written, by the range of the field the string sits in.
 */
export function renderCommand(
  template: CommandTemplate,
  vars: TemplateVars,
  limits: Limits | undefined,
  mode: LimitMode,
): Rendered<JsonValue> {
  const filling: Filling = { vars, limits, mode, clamped: [] };
  const visit = (node: JsonValue, path: string[], plainText: boolean): JsonValue => {
    if (typeof node === 'string') {
      if (node !== WHOLE_VALUE) return fillText(node, filling, path, plainText);
      if (vars.value === undefined) throw new RenderError('no-value', 'the command is {value} but the prediction has none');
      return vars.value;
    }
    if (Array.isArray(node)) return node.map((item, i) => visit(item, [...path, String(i)], false));
    if (isJsonObject(node)) {
      const filled: JsonObject = {};
      for (const [key, item] of Object.entries(node)) filled[key] = visit(item, [...path, key], false);
      return filled;
    }
    return node;
  };
  return run(filling, () => visit(template, [], true));
}

/** Puts quotes around `{deviceId}`, `{label}` and `{value}` where they stand outside a JSON string. */
function quoteBarePlaceholders(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (inString) {
      if (char === '\\') {
        out += text.slice(i, i + 2);
        i++;
        continue;
      }
      if (char === '"') inString = false;
    } else if (char === '"') {
      inString = true;
    } else if (char === '{') {
      const bare = BARE_PLACEHOLDER.exec(text.slice(i, i + 15));
      if (bare) {
        out += `"${bare[0]}"`;
        i += bare[0].length - 1;
        continue;
      }
    }
    out += char;
  }
  return out;
}

/**
 * A text command that is a JSON object but for bare placeholders (`{"brightness": {value}}`, as a person writes a
 * number) is read as that object, each bare placeholder standing for one value: then nothing written into it can
 * change its fields, and its numbers are limited. Any other text stays text.
 */
export function readTextCommand(text: string): CommandTemplate {
  if (text === WHOLE_VALUE || !text.trimStart().startsWith('{')) return text;
  try {
    const parsed: unknown = JSON.parse(quoteBarePlaceholders(text));
    return isJsonObject(parsed) ? parsed : text;
  } catch {
    return text;
  }
}

/**
 * Why a text command is refused: it is written as a JSON object (braces at both ends once bare placeholders are
 * quoted) but is not valid JSON, such as `{light: ON}`. Sent as text, a device would get it verbatim (#18.8).
 * Undefined for valid JSON objects and for any other text (`{label}`, `{label}-{value}`, `ON`).
 */
export function brokenJsonObject(text: string): string | undefined {
  const quotedText = quoteBarePlaceholders(text.trim());
  if (!quotedText.startsWith('{') || !quotedText.endsWith('}')) return undefined;
  try {
    JSON.parse(quotedText);
    return undefined;
  } catch (err) {
    return `is written as a JSON object but is not valid JSON (${(err as Error).message}): quote names and text values, as in {"light": "ON"}`;
  }
}

const CORRELATION = /\{correlationId\}/g;

/**
 * Writes the correlation the device must echo (the reply token, or the public id where no reply is taken) into
 * every string of a built command: string by string, so the command's structure stays the template's.
 */
export function fillCorrelation(command: JsonValue, id: string): JsonValue {
  if (typeof command === 'string') return command.includes('{correlationId}') ? command.replace(CORRELATION, id) : command;
  if (Array.isArray(command)) return command.map((item) => fillCorrelation(item, id));
  if (isJsonObject(command)) {
    const filled: JsonObject = {};
    for (const [key, item] of Object.entries(command)) filled[key] = fillCorrelation(item, id);
    return filled;
  }
  return command;
}
