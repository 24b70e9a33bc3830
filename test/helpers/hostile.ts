/**
 * Hostile input for fuzzing the nodes in the runtime: random JSON, wrong types, non-finite and huge numbers, deep
 * nesting (100,000 levels as text; 1,000 as objects, as deep as Node-RED's cloneMessage goes), 10 MB strings and Buffers, `__proto__`/`constructor` own keys, binary garbage, and msg control
 * properties with odd values. The large and deep values are built once and shared: making 10 MB per case would
 * cost more than the node under test.
 */
import fc from 'fast-check';

export const TEN_MB = 10 * 1024 * 1024;

function deepArray(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

function deepObject(depth: number): unknown {
  let value: unknown = { v: 1 };
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

let shared: ReturnType<typeof build> | undefined;
function build() {
  const records = Array.from({ length: 2000 }, (_, i) => ({ n: `s${i}`, v: i }));
  return {
    bigText: 'x'.repeat(TEN_MB),
    bigJsonText: `[${'1,'.repeat(TEN_MB / 2 - 1)}1]`,
    bigBuffer: Buffer.alloc(TEN_MB, 0x7b),
    bigRandomBuffer: Buffer.from(Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + (i >> 3)) % 256)).toString('latin1').repeat(TEN_MB / 4096), 'latin1'),
    deepArrayText: `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
    deepObjectText: `${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`,
    deepArray: deepArray(1_000),
    deepObject: deepObject(1_000),
    wideObject: Object.fromEntries(Array.from({ length: 200_000 }, (_, i) => [`k${i}`, i])),
    wideArray: Array.from({ length: 200_000 }, (_, i) => i),
    manyRecords: records,
  };
}

/** The shared large and deep values (10 MB text and Buffers, deep text and objects, 200,000-key objects and arrays). */
export function largeValues(): ReturnType<typeof build> {
  shared ??= build();
  return shared;
}

/** Own `__proto__`, `constructor` and `prototype` keys, as JSON.parse makes them (an object literal would not). */
export const PROTO_JSON = [
  '{"__proto__": {"polluted": "yes"}}',
  '{"constructor": {"prototype": {"polluted": "yes"}}}',
  '{"__proto__": {"polluted": "yes"}, "deviceId": "__proto__", "sensor": "__proto__", "value": 1, "ts": 1700000000000}',
  '{"deviceId": "d1", "__proto__": 1, "constructor": 2, "prototype": 3, "hasOwnProperty": 4, "toString": 5}',
  '{"features": {"__proto__": 1, "constructor": 2, "toString": 3}, "label": "__proto__", "deviceId": "constructor"}',
  '{"bn": "__proto__:", "n": "constructor", "v": 1}',
  '[{"bn": "d:", "n": "__proto__", "v": 1}, {"n": "constructor", "v": 2}, {"n": "prototype", "v": 3}]',
  '{"deviceId": "__proto__", "prediction": {"label": "__proto__", "value": 1, "confidence": 1, "__proto__": {"polluted": "yes"}}}',
  '{"correlationId": "__proto__", "ok": true, "__proto__": {"polluted": "yes"}}',
];

export const protoValue: fc.Arbitrary<unknown> = fc.constantFrom(...PROTO_JSON).map((text) => JSON.parse(text) as unknown);

export const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(NaN, Infinity, -Infinity, -0, 0, 1e308, -1e308, 5e-324, Number.MAX_SAFE_INTEGER + 2, Number.MIN_SAFE_INTEGER - 2, 2 ** 28, 1e11, 8.64e15 + 1, -1),
  fc.double(),
  fc.integer(),
);

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('', ' ', '\u0000', '__proto__', 'constructor', 'prototype', 'NaN', 'Infinity', '1e999', '{', '[', '{"a":', 'null', 'true', '../../etc/passwd', '/etc/passwd', 'a/../../b', '#', '+', 'x'.repeat(2000), '\ud800', 'ON'),
  fc.json(),
);

const binaryBuffer: fc.Arbitrary<Buffer> = fc.uint8Array({ maxLength: 256 }).map((bytes) => Buffer.from(bytes));
const jsonBuffer: fc.Arbitrary<Buffer> = fc.json().map((text) => Buffer.from(text));

/** The large and deep values, as a case picks one. */
export const largeValue: fc.Arbitrary<unknown> = fc.constantFrom(
  'bigText',
  'bigJsonText',
  'bigBuffer',
  'bigRandomBuffer',
  'deepArrayText',
  'deepObjectText',
  'deepArray',
  'deepObject',
  'wideObject',
  'wideArray',
  'manyRecords',
).map((key) => largeValues()[key as keyof ReturnType<typeof build>]);

/**
 * Any value a message property could hold after a careless or malicious upstream node. Used inside records too,
 * so it leaves out the large values (a 200,000-key object in each of 20 records tests Node-RED's cloning, not us).
 */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue() },
  { weight: 3, arbitrary: fc.anything({ withBigInt: true, withBoxedValues: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withNullPrototype: true, withObjectString: true }) },
  { weight: 2, arbitrary: hostileNumber },
  { weight: 2, arbitrary: hostileString },
  { weight: 1, arbitrary: binaryBuffer },
  { weight: 1, arbitrary: jsonBuffer },
  { weight: 1, arbitrary: protoValue },
  { weight: 1, arbitrary: fc.constantFrom(undefined, null, true, false, [], {}, Object.create(null), new Array(5)) },
);

/** A whole payload or property: any hostile value, or one of the large and deep ones. */
export const hostileTopLevel: fc.Arbitrary<unknown> = fc.oneof({ weight: 8, arbitrary: hostileValue }, { weight: 1, arbitrary: largeValue });

/** A value that is right most of the time (all but one case of `every`) and hostile otherwise, to reach the code behind the first checks. */
export function mostly<T>(good: fc.Arbitrary<T>, every = 4): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: every - 1, arbitrary: good }, { weight: 1, arbitrary: hostileValue });
}

export const CONTROL_PROPERTIES = ['reset', 'flush', 'override', 'train', 'export', 'rollback', 'promote'] as const;

/**
 * Some of the control properties every node may see, with odd values (never for this node, or wrongly typed). Not
 * the large values: a node that sends n messages for one input sends n copies of its other properties (Node-RED
 * clones every message after the first), so a 200,000-key `msg.reset` beside a 2,000-record batch measures
 * Node-RED's cloning, not the node. The large values come as payloads.
 */
export const controlProperties: fc.Arbitrary<Record<string, unknown>> = fc
  .record(
    Object.fromEntries(CONTROL_PROPERTIES.map((name) => [name, hostileValue])) as Record<(typeof CONTROL_PROPERTIES)[number], fc.Arbitrary<unknown>>,
    { requiredKeys: [] },
  )
  .map((props) => props as Record<string, unknown>);

/** `arbitrary` in about one case of `every`, otherwise undefined (fc.option's `freq` is the other way round). */
export function sometimes<T>(arbitrary: fc.Arbitrary<T>, every: number): fc.Arbitrary<T | undefined> {
  return fc.oneof({ weight: every - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary });
}

/**
 * A whole hostile message: a payload; a topic (by default a hostile one, every other case); control properties
 * with odd values in about one case of ten; each `extra` property in about one case of six. Rare enough that
 * most cases still reach the code behind them.
 */
export function hostileMessage(
  payload: fc.Arbitrary<unknown>,
  options: { topic?: fc.Arbitrary<unknown>; extra?: Record<string, fc.Arbitrary<unknown>> } = {},
): fc.Arbitrary<Record<string, unknown>> {
  const extra = Object.fromEntries(Object.entries(options.extra ?? {}).map(([key, arbitrary]) => [key, sometimes(arbitrary, 6)]));
  return fc
    .tuple(payload, options.topic ?? sometimes(fc.oneof(hostileString, hostileValue), 2), sometimes(controlProperties, 10), fc.record(extra))
    .map(([body, topic, control, more]) => {
      const msg: Record<string, unknown> = { payload: body };
      if (topic !== undefined) msg.topic = topic;
      for (const [key, value] of Object.entries({ ...control, ...more })) if (value !== undefined) msg[key] = value;
      return msg;
    });
}

/** JSON text of a generated value, as a device would send it (a BigInt becomes a plain, maybe huge, number). */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)) ?? 'null';
}

/** Own properties of the built-in prototypes, to prove afterwards that nothing was added to them. */
export function prototypeFingerprint(): string {
  const protos = [Object.prototype, Array.prototype, Function.prototype, String.prototype, Number.prototype, Boolean.prototype, Buffer.prototype, Map.prototype, Set.prototype];
  return protos.map((proto) => Reflect.ownKeys(proto).map(String).sort().join(',')).join('|');
}
