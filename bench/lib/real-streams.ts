/**
 * The labelled real streams of the anomaly benchmark (bench/data/real-streams.json.gz, made by
 * bench/data/extract.js; sources and licences in bench/data/README.md), how they are split, and how a detector is
 * run over them and scored (nab-score.ts).
 *
 * Split: the NASA channels alternate between a tuning half (even positions in labeled_anomalies.csv) and a held-out
 * half (odd positions); the UCR series are held out too. Defaults were chosen on the tuning half only.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { ANOMALY_DEFAULTS, AnomalySession, type AnomalyConfig } from '../../src/core/anomaly';
import { nabWindows, normalisedScore, scoreStream, type Profile, type StreamScore, type Window } from './nab-score';

export interface RealStream {
  name: string;
  source: 'nasa' | 'ucr';
  values: number[];
  anomalies: Window[];
  windows: Window[];
  part: 'tune' | 'held-out';
}

export function loadRealStreams(): RealStream[] {
  const file = path.join(__dirname, '..', 'data', 'real-streams.json.gz');
  const data = JSON.parse(zlib.gunzipSync(fs.readFileSync(file)).toString('utf8')) as { streams: Omit<RealStream, 'windows' | 'part'>[] };
  let nasa = 0;
  return data.streams.map((s) => ({
    ...s,
    windows: nabWindows(s.values.length, s.anomalies),
    part: s.source === 'nasa' && nasa++ % 2 === 0 ? 'tune' : 'held-out',
  }));
}

/** Per window of a stream: the likelihood (or any score) and whether it raised an alarm under the config. */
export interface Trace {
  likelihood: Float64Array;
  alarms: number[];
}

/** Runs one session over a stream, one window per value, a minute apart. */
export function runSession(stream: RealStream, overrides: Partial<AnomalyConfig>): Trace {
  const session = new AnomalySession({ ...ANOMALY_DEFAULTS, ...overrides });
  const likelihood = new Float64Array(stream.values.length);
  const alarms: number[] = [];
  const features = { value: 0 };
  for (let i = 0; i < stream.values.length; i++) {
    features.value = stream.values[i];
    const result = session.score('s', features, i * 60_000);
    if (!result.ok) throw new Error(result.error.message);
    likelihood[i] = result.learning ? 0 : result.prediction.likelihood;
    if (result.prediction.episodeStart) alarms.push(i);
  }
  return { likelihood, alarms };
}

/** Alarms from scores with a threshold and a refractory period (in windows), as the session raises them. */
export function alarmsAt(scores: Float64Array, threshold: number, refractory: number): number[] {
  const alarms: number[] = [];
  let last = -Infinity;
  for (let i = 0; i < scores.length; i++) {
    if (scores[i] >= threshold && i - last > refractory) {
      alarms.push(i);
      last = i;
    }
  }
  return alarms;
}

/**
 * NAB's windowed Gaussian (its `windowedGaussian` detector): the mean and standard deviation of the last `size`
 * values, the score of a value 1 − Q(|z|)... as a two-sided tail: 1 − 2·Q(|z|). No refractory, no calibration.
 */
export function windowedGaussianScores(values: readonly number[], size = 6400): Float64Array {
  const scores = new Float64Array(values.length);
  let sum = 0;
  let squares = 0;
  for (let i = 0; i < values.length; i++) {
    const n = Math.min(i, size);
    if (n >= 2) {
      const mean = sum / n;
      const std = Math.sqrt(Math.max(0, squares / n - mean * mean));
      const z = std > 0 ? Math.abs(values[i] - mean) / std : values[i] === mean ? 0 : Infinity;
      scores[i] = z === Infinity ? 1 : 1 - erfcHalf(z);
    }
    sum += values[i];
    squares += values[i] * values[i];
    if (i >= size) {
      sum -= values[i - size];
      squares -= values[i - size] * values[i - size];
    }
  }
  return scores;
}

/** 2·Q(z) = erfc(z/√2), for z ≥ 0. */
function erfcHalf(z: number): number {
  const x = z / Math.SQRT2;
  const t = 1 / (1 + 0.5 * x);
  return (
    t *
    Math.exp(
      -x * x -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    )
  );
}

export function corpusScore(streams: readonly RealStream[], alarms: readonly (readonly number[])[], profile: Profile): { score: number; parts: StreamScore[] } {
  const parts = streams.map((s, i) => scoreStream(s.values.length, s.windows, alarms[i], profile));
  return { score: normalisedScore(parts), parts };
}

/** The best corpus score over thresholds (NAB's own optimiser does this per detector): an upper bound, not a default. */
export function bestThreshold(streams: readonly RealStream[], scores: readonly Float64Array[], refractory: number, profile: Profile, thresholds: readonly number[]): { threshold: number; score: number } {
  let best = { threshold: NaN, score: -Infinity };
  for (const threshold of thresholds) {
    const score = corpusScore(streams, scores.map((s) => alarmsAt(s, threshold, refractory)), profile).score;
    if (score > best.score) best = { threshold, score };
  }
  return best;
}
