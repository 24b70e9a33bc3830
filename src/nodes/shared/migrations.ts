/**
 * Config migrations (docs/reliability.md#old-saved-flows-keep-their-meaning): every node's config carries a hidden
 * `version`. A flow saved before a property existed lacks it; the runtime fills it here, before the node reads its
 * config, with the value the node had before (each migration below says which), and the editor's dialog shows the
 * same (editor-helpers.js `IotAiEditor.defaults`). One test per migration: test/nodes/migrations.test.ts.
 */
import type { NodeDef } from './red';

/** The dialog defaults of each node (its editor.js `defaults`); a test keeps them equal. */
export const NODE_DEFAULTS: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  'sensor-ingest': {
    name: '', profile: 'generic', format: 'auto', topicPattern: '', deviceIdField: 'deviceId', tsField: 'ts', namePolicy: 'topic',
    deviceFrom: 'payload', valuesField: '', include: '', exclude: '', units: '', stateWords: '', timeZone: '', lwm2mNames: false,
    output: 'each', schema: '', sensors: [], convertUnits: false, maxFutureMs: 300000, maxPayloadBytes: 1048576, maxRecords: 10000,
    shards: 0, shardTopic: 'iot/shard/{shard}/{deviceId}',
  },
  'feature-window': {
    name: '', window: 'tumbling', size: 60, slide: 10, gap: 30, unit: 's', time: 'event', lateness: 0, maxJump: 10000, idleTimeout: 0,
    sensors: '', features: ['mean', 'std', 'min', 'max', 'last', 'count'], timeZone: 'UTC', minCount: 0, fill: 'none', maxKeys: 10000, persist: '',
    output: 'each', bands: '0-0.5, 0.5-3, 3-8, 8-25', spectralPoints: 64, fftCoefficients: 4,
  },
  'ml-model': { name: '', bundled: '', path: '', watch: true, featureNames: '', labels: '' },
  'model-predict': {
    name: '', model: '', property: 'payload.features', threshold: '', likelihood: false, likelihoodThreshold: 0.9999, missing: 'reject', drift: true, driftThreshold: 0.2, driftWindow: 500,
    driftScope: 'model', driftOutput: false, outputs: 2,
    explain: 0,
  },
  'anomaly-detect': {
    name: '', method: 'forecast', memory: 1000, threshold: 0.9999, learn: 100, refractory: 100, refractoryTime: 0, average: 10, smoothing: 0.9,
    neighbours: 5, reference: 64, embed: 3, features: '', maxKeys: 10000, persist: '',
  },
  'model-train': {
    name: '', model: '', modelName: '', task: 'classification', every: 0, maxSamples: 10000, maxMemory: 128, promote: 'better', trees: 50,
    maxDepth: '', seed: 1, testFraction: 0.2, keepVersions: 5, exportPath: 'training-data.csv', warmup: 100, update: 'frozen', adaptAfter: 100,
    scope: 'shared', maxDevices: 100, method: 'auto', contamination: 0.01, threshold: '', target: '', horizon: '',
    tune: false, feedbackLookback: 600000, feedbackWeight: 1, feedbackCap: 20, feedbackField: '', keptWeight: 0.5, learner: 'forest',
  },
  'actuator-command': {
    name: '', profile: 'generic', rules: [{ label: 'on', command: { state: 'ON' } }, { label: 'off', command: { state: 'OFF' } }],
    topic: '{deviceId}/set', hysteresis: 0, minConfidence: 0, cooldown: 0, onChangeOnly: true, allowMissing: false, limits: '',
    limitMode: 'clamp', commandSchema: '', ack: 'none', ackTimeout: 5000, retries: 0, replyTopic: '{topic}/reply', persist: '',
    output: 'each', correctionWindow: 900000, keptAfter: 0,
  },
  'sensor-sim': {
    name: '', scenario: 'home', devices: 3, interval: 5000, seed: 1, speed: 1, format: 'senml', startTime: '', autostart: true, faults: true,
    anomalies: 0, people: false,
  },
};

/**
 * Properties whose meaning when absent differs from the dialog's default for a new node: what an old flow did
 * without them stays what it does. Shared with the editor (a node opened with the property missing shows this).
 */
export const LEGACY_VALUES: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  // Before version 1 a missing onChangeOnly meant off (the dialog's default was off); new nodes have it on.
  'actuator-command': { onChangeOnly: false },
  // ml-model reloaded only with watch set: a config without it never watched its file.
  'ml-model': { watch: false },
};

/**
 * Properties a device profile supplies when the flow lacks them (src/core/ingest/profiles.ts,
 * src/core/actuate/profiles.ts): filled with the node's (generic) default only when the profile is generic.
 */
export const PROFILE_KEYS: Readonly<Record<string, readonly string[]>> = {
  'sensor-ingest': ['topicPattern', 'deviceFrom', 'deviceIdField', 'tsField', 'valuesField', 'exclude', 'include', 'units', 'stateWords', 'lwm2mNames'],
  'actuator-command': ['ack', 'topic', 'replyTopic'],
};

/** Whether a missing `key` of a `type` config takes a default at all (not when its profile supplies it). */
function fillable(type: string, key: string, def: Record<string, unknown>): boolean {
  if (key === 'name') return false;
  if (!(PROFILE_KEYS[type] ?? []).includes(key)) return true;
  return def.profile === undefined || def.profile === null || def.profile === '' || def.profile === 'generic';
}

export interface Migration {
  /** The version a config has after this migration. */
  to: number;
  description: string;
  up(def: Record<string, unknown>): Record<string, unknown>;
}

const clone = <T>(value: T): T => (value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T));

/** Version 1 (every node): each property a flow saved before it existed lacks takes the value it meant then. */
function fillMissing(type: string): Migration {
  return {
    to: 1,
    description: `${type}: a property missing from a flow saved before it existed takes its default (${Object.keys(LEGACY_VALUES[type] ?? {}).map((key) => `${key}: ${JSON.stringify(LEGACY_VALUES[type][key])} as before`).join(', ') || 'the node\'s defaults'})`,
    up: (def) => {
      const out = { ...def };
      const legacy = LEGACY_VALUES[type] ?? {};
      for (const [key, value] of Object.entries(NODE_DEFAULTS[type] ?? {})) {
        if (out[key] !== undefined || !fillable(type, key, out)) continue;
        out[key] = clone(Object.prototype.hasOwnProperty.call(legacy, key) ? legacy[key] : value);
      }
      return out;
    },
  };
}

/** Each node type's migrations, in order; the last one's `to` is the version new nodes are saved with. */
export const MIGRATIONS: Readonly<Record<string, readonly Migration[]>> = Object.fromEntries(Object.keys(NODE_DEFAULTS).map((type) => [type, [fillMissing(type)]]));

export function currentVersion(type: string): number {
  const list = MIGRATIONS[type] ?? [];
  return list.length === 0 ? 0 : list[list.length - 1].to;
}

/** The version a saved config says it has: a missing or unreadable one is 0 (saved before versions existed). */
export function savedVersion(def: Record<string, unknown>): number {
  const version = typeof def.version === 'string' && def.version.trim() !== '' ? Number(def.version) : def.version;
  return typeof version === 'number' && Number.isInteger(version) && version >= 0 ? version : 0;
}

/**
 * `def` brought to the current version of its type: each migration past its saved version in turn, then any
 * property still missing (a hand-written flow of the current version) takes the node's default. Returns a copy.
 */
export function migrateConfig<T extends NodeDef>(def: T): T & { version: number } {
  let out: Record<string, unknown> = { ...def };
  const from = savedVersion(def);
  for (const migration of MIGRATIONS[def.type] ?? []) if (migration.to > from) out = migration.up(out);
  for (const [key, value] of Object.entries(NODE_DEFAULTS[def.type] ?? {})) if (out[key] === undefined && fillable(def.type, key, out)) out[key] = clone(value);
  out.version = Math.max(from, currentVersion(def.type));
  return out as T & { version: number };
}
