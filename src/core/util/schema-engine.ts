/**
 * The Ajv that checks user JSON Schemas against messages, with every data-dependent cost linear in the message:
 * `pattern` and `patternProperties` run on RE2 (re2js, pure JavaScript: no backtracking, no native addon), and
 * `uniqueItems` compares canonical forms in a Map instead of Ajv's pairwise deep-equal (quadratic in the items).
 */
import Ajv, { type FuncKeywordDefinition, type SchemaValidateFunction } from 'ajv';
import { RE2JS } from 're2js';

/** What Ajv needs of a compiled pattern. toString is Ajv's cache key for it: it must differ between patterns. */
interface LinearPattern {
  test(text: string): boolean;
  toString(): string;
}

/**
 * Ajv's `code.regExp`: a JSON Schema pattern (ECMAScript syntax) on RE2. Backreferences and lookahead have no
 * linear-time meaning: such a schema is refused when the node is deployed, saying why. RE2's own differences: `\s`
 * is ASCII white space only and `.` also matches `\r`, `\u2028` and `\u2029`.
 */
export const linearRegExp = Object.assign(
  (pattern: string, _flags: string): LinearPattern => {
    let compiled: RE2JS;
    try {
      // Lookbehinds are linear in re2js too (captureless); ECMAScript spellings such as (?<name>) and \u{…} translated.
      compiled = RE2JS.compile(RE2JS.translateRegExp(pattern), RE2JS.LOOKBEHINDS);
    } catch (err) {
      throw new Error(`pattern ${JSON.stringify(pattern)} cannot run on the linear-time engine (RE2: no backreferences, no lookahead): ${(err as Error).message}`);
    }
    return { test: (text: string) => compiled.test(text), toString: () => `re2:${pattern}` };
  },
  { code: 're2js' },
);

/** `uniqueItems` in one pass: each item's canonical form (keys sorted) in a Map, so n items cost n, not n²/2. */
const checkUniqueItems: SchemaValidateFunction = function (schema: boolean, data: unknown[]): boolean {
  if (!schema) return true;
  const seen = new Map<string, number>();
  for (let i = 0; i < data.length; i++) {
    const key = canonical(data[i]);
    const j = seen.get(key);
    if (j !== undefined) {
      // Ajv reads the errors of a failed check from the function, then adds instancePath and schemaPath.
      checkUniqueItems.errors = [{ keyword: 'uniqueItems', message: `must NOT have duplicate items (items ## ${j} and ${i} are identical)`, params: { i, j } }];
      return false;
    }
    seen.set(key, i);
  }
  return true;
};

export const linearUniqueItems: FuncKeywordDefinition = { keyword: 'uniqueItems', type: 'array', schemaType: 'boolean', errors: true, validate: checkUniqueItems };

/** One text per JSON value such that equal values (in JSON Schema's sense) and only they get the same text. */
function canonical(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      // String(-0) is "0": JSON Schema (and Ajv) count 0 and -0 as equal.
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (Array.isArray(value)) return '[' + value.map(canonical).join(',') + ']';
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      let text = '{';
      for (let k = 0; k < keys.length; k++) text += (k ? ',' : '') + JSON.stringify(keys[k]) + ':' + canonical(record[keys[k]]);
      return text + '}';
    }
    default:
      // Not JSON (undefined, a BigInt from a function node): kept apart from every JSON value by its type.
      return `${typeof value}:${String(value)}`;
  }
}

/**
 * One Ajv per schema: a shared one would remember every schema compiled (growing on each redeploy) and refuse a
 * schema whose `$id` it has seen before. No loadSchema, so a remote `$ref` is refused, never fetched.
 */
export function userSchemaAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false, validateSchema: true, addUsedSchema: false, code: { regExp: linearRegExp } });
  ajv.removeKeyword('uniqueItems');
  ajv.addKeyword(linearUniqueItems);
  return ajv;
}
