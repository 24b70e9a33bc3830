/**
 * What the editors share with the runtime: feature names, choices, defaults and limits, read from src/core. The build
 * (scripts/build.js) writes `editorCoreScript()` into every node's editor script, after editor-helpers.js, so the
 * dialogs read `IotAiEditor.core` instead of copies that could drift (issue #20). test/core/editor-core.test.ts
 * checks the built script against core.
 */
import { ACK_MODES, ACTUATOR_DEFAULTS, LIMIT_MODES } from '../../core/actuate/config';
import { PROFILE_NAMES, PROFILES as ACTUATOR_PROFILES } from '../../core/actuate/profiles';
import { ANOMALY_DEFAULTS } from '../../core/anomaly/config';
import { DETECTOR_METHODS } from '../../core/anomaly/detectors';
import { INGEST_DEFAULTS, INGEST_FORMATS } from '../../core/ingest/config';
import { NAME_POLICIES } from '../../core/ingest/names';
import { INGEST_PROFILES, PROFILE_SETTINGS } from '../../core/ingest/profiles';
import { DEFAULT_SHARD_TOPIC, MAX_SHARDS } from '../../core/scale/shard';
import { ANOMALY_METHODS } from '../../core/model/monitor/anomaly';
import { HORIZON_PATTERN } from '../../core/model/data/horizon';
import { PROMOTE_MODES } from '../../core/model/train/promotion';
import { TRAIN_NUMBERS, TRAIN_SCOPES, MODEL_KINDS, TRAIN_TASKS, TRAIN_UPDATES } from '../../core/model/train/train-config';
import { DRIFT_SCOPES, MISSING_MODES, PREDICT_NUMBERS } from '../../core/model/monitor/predict-session';
import { SIM_BUDGET, SIM_LIMITS } from '../../core/sim/config';
import { SCENARIO_MODELS, SIM_DEFAULTS } from '../../core/sim/scenario';
import { ALL_SIM_FORMATS, SCENARIOS } from '../../core/sim/types';
import { OUTPUT_MODES } from '../../core/types';
import { DEFAULT_FEATURES, DEFAULT_MAX_JUMP, DEFAULT_MAX_KEYS, FILL_MODES, TIME_MODES, WINDOW_KINDS, WINDOW_LIMITS, WINDOW_UNITS } from '../../core/window/config';
import { FEATURE_NAMES } from '../../core/window/features';
import { BAND_EDGE_PATTERN, DEFAULT_BANDS_TEXT, DEFAULT_FFT_COEFFICIENTS, DEFAULT_SPECTRAL_POINTS, SPECTRAL_FEATURE_NAMES, SPECTRAL_LIMITS } from '../../core/window/spectral';
import { CALENDAR_FEATURE } from '../../core/window/calendar';

/** How many device ids of each scenario the sensor-sim dialog previews. */
const PREVIEW_IDS = 3;

/** The tables, as plain JSON. */
export function editorCore() {
  return {
    window: {
      /** Per-sensor features, the spectral ones, then `calendar` (once per window: hour and weekday as sin/cos in `timeZone`). */
      features: [...FEATURE_NAMES, ...SPECTRAL_FEATURE_NAMES, CALENDAR_FEATURE],
      /** The spectral features (src/core/window/spectral.ts): their settings' defaults and bounds. */
      spectral: {
        features: [...SPECTRAL_FEATURE_NAMES],
        bands: DEFAULT_BANDS_TEXT,
        bandEdgePattern: BAND_EDGE_PATTERN,
        points: DEFAULT_SPECTRAL_POINTS,
        coefficients: DEFAULT_FFT_COEFFICIENTS,
        limits: { ...SPECTRAL_LIMITS },
      },
      defaultFeatures: [...DEFAULT_FEATURES],
      kinds: [...WINDOW_KINDS],
      units: [...WINDOW_UNITS],
      timeModes: [...TIME_MODES],
      fillModes: [...FILL_MODES],
      maxJump: DEFAULT_MAX_JUMP,
      maxKeys: DEFAULT_MAX_KEYS,
      limits: { ...WINDOW_LIMITS },
      outputs: [...OUTPUT_MODES],
    },
    anomaly: {
      methods: [...DETECTOR_METHODS],
      defaults: {
        method: ANOMALY_DEFAULTS.method,
        memory: ANOMALY_DEFAULTS.memory,
        threshold: ANOMALY_DEFAULTS.threshold,
        learn: ANOMALY_DEFAULTS.learn,
        refractory: ANOMALY_DEFAULTS.refractory,
        refractoryTime: ANOMALY_DEFAULTS.refractoryTime,
        average: ANOMALY_DEFAULTS.average,
        smoothing: ANOMALY_DEFAULTS.smoothing,
        neighbours: ANOMALY_DEFAULTS.neighbours,
        reference: ANOMALY_DEFAULTS.reference,
        embed: ANOMALY_DEFAULTS.embed,
        maxKeys: ANOMALY_DEFAULTS.maxKeys,
      },
    },
    train: {
      tasks: [...TRAIN_TASKS],
      /** Each number's default (null: blank) and bounds. */
      numbers: Object.fromEntries(Object.entries(TRAIN_NUMBERS).map(([name, n]) => [name, { default: n.default ?? null, bounds: { ...n.bounds } }])),
      updates: [...TRAIN_UPDATES],
      scopes: [...TRAIN_SCOPES],
      promote: [...PROMOTE_MODES],
      /** model-train's learners (the config property `learner`): forest first, the default. */
      learners: [...MODEL_KINDS],
      /** model-train's anomaly methods: auto, then the core's. */
      anomalyMethods: ['auto', ...ANOMALY_METHODS],
      /** What a horizon may be (core/model/data/horizon.ts parseHorizon): ms, or a number with s, min or h. */
      horizonPattern: HORIZON_PATTERN,
    },
    predict: {
      missing: [...MISSING_MODES],
      driftScopes: [...DRIFT_SCOPES],
      /** Each number's default (null: blank) and bounds. */
      numbers: Object.fromEntries(Object.entries(PREDICT_NUMBERS).map(([name, n]) => [name, { default: n.default ?? null, bounds: { ...n.bounds } }])),
    },
    sim: {
      scenarios: [...SCENARIOS],
      formats: [...ALL_SIM_FORMATS],
      defaults: { devices: SIM_DEFAULTS.devices, interval: SIM_DEFAULTS.interval, seed: SIM_DEFAULTS.seed, speed: SIM_DEFAULTS.speed, format: SIM_DEFAULTS.format },
      limits: { ...SIM_LIMITS },
      readingsPerSecond: SIM_BUDGET.readingsPerSecond,
      /** The first device ids of each scenario, as the simulator names them. */
      deviceIds: Object.fromEntries(SCENARIOS.map((s) => [s, Array.from({ length: PREVIEW_IDS }, (_, i) => SCENARIO_MODELS[s].deviceId(i))])),
    },
    ingest: {
      formats: [...INGEST_FORMATS],
      namePolicies: [...NAME_POLICIES],
      profiles: Object.fromEntries(INGEST_PROFILES.map((p) => [p, { ...PROFILE_SETTINGS[p] }])),
      maxFutureMs: INGEST_DEFAULTS.maxFutureMs,
      maxPayloadBytes: INGEST_DEFAULTS.maxPayloadBytes,
      maxPayloadBytesLimit: INGEST_DEFAULTS.maxPayloadBytesLimit,
      maxRecords: INGEST_DEFAULTS.maxRecords,
      maxRecordsLimit: INGEST_DEFAULTS.maxRecordsLimit,
      outputs: [...OUTPUT_MODES],
      maxShards: MAX_SHARDS,
      shardTopic: DEFAULT_SHARD_TOPIC,
    },
    actuate: {
      ackModes: [...ACK_MODES],
      limitModes: [...LIMIT_MODES],
      topic: ACTUATOR_DEFAULTS.topic,
      replyTopic: ACTUATOR_DEFAULTS.replyTopic,
      ackTimeout: ACTUATOR_DEFAULTS.ackTimeout,
      minAckTimeout: ACTUATOR_DEFAULTS.minAckTimeout,
      maxRetries: ACTUATOR_DEFAULTS.maxRetries,
      correctionWindow: ACTUATOR_DEFAULTS.correctionWindow,
      outputs: [...OUTPUT_MODES],
      /** What choosing a device profile fills in (the dialog adds example rules of its own). */
      profiles: Object.fromEntries(
        PROFILE_NAMES.map((name) => [name, { topic: ACTUATOR_PROFILES[name].topic, ack: ACTUATOR_PROFILES[name].ack, replyTopic: ACTUATOR_PROFILES[name].replyTopic }]),
      ),
    },
  };
}

export type EditorCore = ReturnType<typeof editorCore>;

export const EDITOR_CORE_HEADER = '// generated by scripts/build.js from src/core (src/nodes/shared/editor-core.ts): do not edit';

/** The block the build puts after editor-helpers.js in each node's editor script. */
export function editorCoreScript(): string {
  return `${EDITOR_CORE_HEADER}\nwindow.IotAiEditor.core = ${JSON.stringify(editorCore())};\n`;
}
