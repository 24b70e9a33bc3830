/**
 * An anomaly session: one detector and one likelihood per stream (a device, or a device's sensor), learning from
 * every window, with alarms shaped into episodes. Pure: time comes in as each window's timestamp.
 *
 * Per window of a stream:
 *   surprise u  ← detector (scores against the past, then learns the window)
 *   likelihood  ← the stream's anomaly likelihood of u (likelihood.ts)
 *   label       = "anomaly" when the stream has learnt from `learn` windows and likelihood ≥ `threshold`
 *   episodeStart = true on an anomaly that is the stream's first for `refractory` windows and `refractoryTime` ms:
 *                  an alarm. Anomalies inside that span belong to the same episode.
 * Streams are kept to `maxKeys`, the least recently seen forgotten first.
 */
import { anomalyConfidence } from '../model/monitor/anomaly';
import type { DataError } from '../types';
import { pointer } from '../util/pointer';
import { RecencyLink, RecencyList } from '../util/recency';
import type { AnomalyConfig } from './config';
import { MAX_FEATURES } from './config';
import { createDetector, surpriseScore, type Detector, type StreamState } from './detectors';
import { DEFAULT_LIKELIHOOD, likelihoodSize, updateLikelihood, type LikelihoodParams } from './likelihood';

export const ANOMALY_STATE_FORMAT = 'iot-ai/anomaly-state@1';

export interface AnomalyPrediction {
  label: 'anomaly' | 'normal';
  score: number;
  likelihood: number;
  confidence: number;
  episodeStart?: true;
  model: { name: string };
}

export type ScoreResult = { ok: true; prediction: AnomalyPrediction; learning: boolean } | { ok: false; error: DataError };

export interface AnomalyStats {
  windows: number;
  alarms: number;
  rejected: number;
  evictions: number;
  streams: number;
  /** Streams still learning (fewer than `learn` windows seen). */
  learning: number;
  /** The most windows any stream still learning has seen (for "learning 37/100"). */
  learnt: number;
}

class Stream {
  readonly link = new RecencyLink<Stream>(this);
  readonly x: Float64Array;
  windows = 0;
  lastAlarmWindow = -Infinity;
  lastAlarmTs = -Infinity;

  constructor(
    readonly id: string,
    readonly names: readonly string[],
    readonly detector: StreamState,
    readonly likelihood: Float64Array,
  ) {
    this.x = new Float64Array(names.length);
  }
}

export interface StreamSnapshot {
  id: string;
  names: string[];
  /** [windows, lastAlarmWindow, lastAlarmTs] (may hold -Infinity as null). */
  clock: Array<number | null>;
  f64: string;
  f32?: string;
  likelihood: string;
}

export interface AnomalySnapshot {
  format: typeof ANOMALY_STATE_FORMAT;
  fingerprint: string;
  counters: { windows: number; alarms: number; rejected: number; evictions: number };
  /** Least recently seen first. */
  streams: StreamSnapshot[];
}

const LIKELIHOOD_FLOOR = DEFAULT_LIKELIHOOD.floor;
const LIKELIHOOD_WARMUP = DEFAULT_LIKELIHOOD.warmup;

/** The settings a saved state is valid for: what shapes the numbers kept per stream. */
export function anomalyStateFingerprint(config: AnomalyConfig): string {
  const { method, memory, smoothing, neighbours, reference, embed, average, features } = config;
  return JSON.stringify({ method, memory, smoothing, neighbours, reference, embed, average, features });
}

export class AnomalySession {
  readonly detector: Detector;
  readonly likelihoodParams: LikelihoodParams;
  private readonly streams = new Map<string, Stream>();
  private readonly recency = new RecencyList<Stream>();
  private counters = { windows: 0, alarms: 0, rejected: 0, evictions: 0 };

  constructor(readonly config: AnomalyConfig) {
    this.detector = createDetector(config.method, config);
    this.likelihoodParams = { average: config.average, memory: config.memory, floor: LIKELIHOOD_FLOOR, warmup: LIKELIHOOD_WARMUP };
  }

  /**
   * Scores one window of stream `id` (its features by name) at time `ts` (ms), and learns it. A window missing a
   * scored feature, or with one that is not a finite number, is refused (`features`) and learnt from not at all.
   */
  score(id: string, features: Readonly<Record<string, unknown>>, ts: number): ScoreResult {
    let stream = this.streams.get(id);
    if (stream === undefined) {
      const names = this.config.features.length > 0 ? this.config.features : numericNames(features);
      if (names.length === 0) return this.reject({ code: 'features', message: 'no numeric feature to score' });
      if (names.length > MAX_FEATURES) return this.reject({ code: 'features', message: `${names.length} features is over the ${MAX_FEATURES}-feature limit (choose some with \`features\`)` });
      const bad = readInto(new Float64Array(names.length), names, features);
      if (bad !== undefined) return this.reject(bad);
      stream = new Stream(id, names, this.detector.create(names.length), new Float64Array(likelihoodSize(this.likelihoodParams)));
      this.streams.set(id, stream);
      this.evictBeyond(this.config.maxKeys - 1);
    }
    const bad = readInto(stream.x, stream.names, features);
    if (bad !== undefined) return this.reject(bad);
    this.recency.touch(stream.link);
    return { ok: true, ...this.learn(stream, ts) };
  }

  private learn(stream: Stream, ts: number): { prediction: AnomalyPrediction; learning: boolean } {
    const config = this.config;
    const u = this.detector.update(stream.detector, stream.x);
    const computed = updateLikelihood(stream.likelihood, 0, this.likelihoodParams, u);
    stream.windows++;
    this.counters.windows++;
    const learning = stream.windows <= config.learn;
    const likelihood = learning ? 0.5 : computed;
    const anomalous = !learning && likelihood >= config.threshold;
    const prediction: AnomalyPrediction = {
      label: anomalous ? 'anomaly' : 'normal',
      score: surpriseScore(u),
      likelihood,
      confidence: anomalyConfidence(likelihood, config.threshold),
      model: { name: config.method },
    };
    if (anomalous && stream.windows - stream.lastAlarmWindow > config.refractory && !(ts - stream.lastAlarmTs < config.refractoryTime)) {
      prediction.episodeStart = true;
      stream.lastAlarmWindow = stream.windows;
      stream.lastAlarmTs = ts;
      this.counters.alarms++;
    }
    return { prediction, learning };
  }

  private reject(error: DataError): ScoreResult {
    this.counters.rejected++;
    return { ok: false, error };
  }

  private evictBeyond(limit: number): void {
    while (this.recency.size > limit) {
      const oldest = this.recency.oldest()!;
      this.recency.remove(oldest.link);
      this.streams.delete(oldest.id);
      this.counters.evictions++;
    }
  }

  /** Forgets one stream (or every stream with no id). */
  reset(id?: string): void {
    if (id === undefined) {
      this.streams.clear();
      this.recency.clear();
      return;
    }
    const stream = this.streams.get(id);
    if (stream === undefined) return;
    this.recency.remove(stream.link);
    this.streams.delete(id);
  }

  /** Also forgets every stream whose id starts with `prefix` (a device's sensors, when readings come in directly). */
  resetPrefix(prefix: string): void {
    for (const stream of [...this.recency]) if (stream.id.startsWith(prefix)) this.reset(stream.id);
  }

  get stats(): AnomalyStats {
    let learning = 0;
    let learnt = 0;
    for (const stream of this.streams.values()) {
      if (stream.windows < this.config.learn) {
        learning++;
        if (stream.windows > learnt) learnt = stream.windows;
      }
    }
    return { ...this.counters, streams: this.streams.size, learning, learnt };
  }

  /** Bytes of typed-array state one stream of `features` features holds. */
  streamBytes(features: number): number {
    return this.detector.bytes(features) + 8 * likelihoodSize(this.likelihoodParams) + 8 * features;
  }

  snapshot(): AnomalySnapshot {
    const streams: StreamSnapshot[] = [];
    for (const stream of this.recency) {
      const saved: StreamSnapshot = {
        id: stream.id,
        names: [...stream.names],
        clock: [stream.windows, finiteOrNull(stream.lastAlarmWindow), finiteOrNull(stream.lastAlarmTs)],
        f64: encode(stream.detector.f64),
        likelihood: encode(stream.likelihood),
      };
      if (stream.detector.f32) saved.f32 = encode(stream.detector.f32);
      streams.push(saved);
    }
    return { format: ANOMALY_STATE_FORMAT, fingerprint: anomalyStateFingerprint(this.config), counters: { ...this.counters }, streams };
  }

  /** A session continuing from `saved`; throws when it was written for other settings or is not a state at all. */
  static restore(config: AnomalyConfig, saved: unknown): AnomalySession {
    const session = new AnomalySession(config);
    const state = saved as Partial<AnomalySnapshot> | null;
    if (state === null || typeof state !== 'object' || state.format !== ANOMALY_STATE_FORMAT) throw new Error('not an anomaly-detect state');
    if (state.fingerprint !== anomalyStateFingerprint(config)) throw new Error('it was saved with other detector settings');
    if (!Array.isArray(state.streams)) throw new Error('the saved state has no streams');
    const counters = state.counters ?? { windows: 0, alarms: 0, rejected: 0, evictions: 0 };
    session.counters = { windows: +counters.windows || 0, alarms: +counters.alarms || 0, rejected: +counters.rejected || 0, evictions: +counters.evictions || 0 };
    for (const saved of state.streams) {
      const names = saved.names.map(String);
      const fresh = session.detector.create(names.length);
      const f64 = decode(saved.f64, Float64Array, fresh.f64.length);
      const f32 = fresh.f32 ? decode(saved.f32, Float32Array, fresh.f32.length) : undefined;
      const likelihood = decode(saved.likelihood, Float64Array, likelihoodSize(session.likelihoodParams));
      const stream = new Stream(String(saved.id), names, { f64, f32 }, likelihood);
      const [windows, lastWindow, lastTs] = saved.clock;
      stream.windows = Number(windows) || 0;
      stream.lastAlarmWindow = lastWindow === null ? -Infinity : Number(lastWindow);
      stream.lastAlarmTs = lastTs === null ? -Infinity : Number(lastTs);
      session.streams.set(stream.id, stream);
      session.recency.touch(stream.link);
    }
    session.evictBeyond(config.maxKeys);
    return session;
  }
}

function numericNames(features: Readonly<Record<string, unknown>>): string[] {
  return Object.keys(features)
    .filter((name) => typeof features[name] === 'number' || typeof features[name] === 'boolean')
    .sort();
}

/** Fills `x` with the named features (booleans as 0/1); returns the problem with the first that is unusable. */
function readInto(x: Float64Array, names: readonly string[], features: Readonly<Record<string, unknown>>): DataError | undefined {
  for (let f = 0; f < names.length; f++) {
    const value = features[names[f]];
    const number = typeof value === 'boolean' ? (value ? 1 : 0) : value;
    if (typeof number !== 'number' || !Number.isFinite(number)) {
      const what = value === undefined ? 'is missing' : `is not a finite number (${typeof value === 'number' ? value : typeof value})`;
      return { code: 'features', message: `feature "${names[f]}" ${what}`, path: pointer(names[f]) };
    }
    x[f] = number;
  }
  return undefined;
}

function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

function encode(values: Float64Array | Float32Array): string {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
}

function decode<T extends Float64Array | Float32Array>(text: unknown, type: { new (n: number): T; BYTES_PER_ELEMENT: number }, length: number): T {
  if (typeof text !== 'string') throw new Error('a saved stream is missing its numbers');
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length !== length * type.BYTES_PER_ELEMENT) throw new Error('a saved stream has the wrong number of numbers');
  const out = new type(length);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}
