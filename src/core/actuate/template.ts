import { isJsonObject } from './json';
import type { JsonValue } from './types';

export interface TemplateVars {
  deviceId: string;
  label?: string;
  value?: number;
  /** Only for `replyTopic`: the command's topic. */
  topic?: string;
}

/** Thrown when a template needs `{value}` and the prediction has none. */
export class MissingValueError extends Error {}

/** MQTT wildcards and NUL are not allowed in a topic one publishes to. */
const NOT_IN_PUBLISH_TOPIC = /[+#\u0000]/;
const MAX_TOPIC_LENGTH = 65535;

export function isPublishableTopic(topic: string): boolean {
  return topic !== '' && topic.length <= MAX_TOPIC_LENGTH && !NOT_IN_PUBLISH_TOPIC.test(topic);
}

/** Checked on templates at config time: a filled topic is checked again with isPublishableTopic. */
export function hasTopicWildcard(template: string): boolean {
  return NOT_IN_PUBLISH_TOPIC.test(template);
}

const PLACEHOLDER = /\{(deviceId|label|value|topic)\}/g;
const WHOLE_VALUE = '{value}';

/** One pass over the template, so a deviceId or label containing `{value}` is never expanded again. */
export function fillString(template: string, vars: TemplateVars): string {
  return template.replace(PLACEHOLDER, (whole, name: keyof TemplateVars) => {
    if (name === 'value') {
      if (vars.value === undefined) throw new MissingValueError('a template uses {value} but the prediction has none');
      return String(vars.value);
    }
    if (name === 'label') return vars.label ?? '';
    return vars[name] ?? whole;
  });
}

/** Fills every string of a command deeply; a string that is exactly `"{value}"` becomes the number. */
export function fillCommand(template: JsonValue, vars: TemplateVars): JsonValue {
  if (typeof template === 'string') {
    if (template === WHOLE_VALUE) {
      if (vars.value === undefined) throw new MissingValueError('the command is {value} but the prediction has none');
      return vars.value;
    }
    return fillString(template, vars);
  }
  if (Array.isArray(template)) return template.map((item) => fillCommand(item, vars));
  if (isJsonObject(template)) {
    const filled: { [key: string]: JsonValue } = {};
    for (const [key, item] of Object.entries(template)) filled[key] = fillCommand(item, vars);
    return filled;
  }
  return template;
}
