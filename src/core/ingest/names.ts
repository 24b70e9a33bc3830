/**
 * What a device id or sensor name may hold (docs/nodes/sensor-ingest.md, "Device ids and sensor names"). Ids end
 * up in MQTT topics (`<deviceId>/<sensor>`, actuator-command's `{deviceId}/set`): a control character, a
 * noncharacter or broken UTF-16 there makes a broker such as mosquitto drop the connection, and `+`/`#` are not
 * allowed in a topic one publishes to.
 */
export type NamePolicy = 'text' | 'topic' | 'level';
export const NAME_POLICIES: readonly NamePolicy[] = ['text', 'topic', 'level'];

/** Longest id or name, in UTF-16 code units (feature-window's bound too). */
export const MAX_NAME_LENGTH = 1024;

// \p{Cc}: C0 and C1 controls and DEL; \p{Cs} with the u flag: a surrogate not part of a pair. One class: linear.
const UNSAFE: Record<NamePolicy, RegExp> = {
  text: /[\p{Cc}\p{Cs}\p{Noncharacter_Code_Point}]/u,
  topic: /[\p{Cc}\p{Cs}\p{Noncharacter_Code_Point}+#]/u,
  level: /[\p{Cc}\p{Cs}\p{Noncharacter_Code_Point}+#/]/u,
};

/** Why `name` breaks the policy, or undefined when it passes. The message never carries the bad character itself. */
export function nameProblem(name: string, policy: NamePolicy): string | undefined {
  if (name.length > MAX_NAME_LENGTH) return `is ${name.length} characters long, over the ${MAX_NAME_LENGTH} limit`;
  const found = UNSAFE[policy].exec(name);
  if (!found) return undefined;
  const cp = found[0].codePointAt(0)!;
  const code = 'U+' + cp.toString(16).toUpperCase().padStart(4, '0');
  let what: string;
  if (found[0] === '+' || found[0] === '#') what = `"${found[0]}", an MQTT wildcard`;
  else if (found[0] === '/') what = '"/", an MQTT topic level separator';
  else if (cp >= 0xd800 && cp <= 0xdfff) what = `${code}, half of a surrogate pair (not well-formed text)`;
  else if (cp <= 0x9f) what = `${code}, a control character`;
  else what = `${code}, a Unicode noncharacter`;
  return `holds ${what} at position ${found.index} (name policy ${policy})`;
}
