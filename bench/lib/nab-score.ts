/**
 * The NAB score of a streaming detector's alarms, written from its published definition: Lavin and Ahmad,
 * "Evaluating Real-time Anomaly Detection Algorithms — the Numenta Anomaly Benchmark", IEEE ICMLA 2015, section IV.
 *
 * - Each labelled anomaly sits in a window; an alarm inside it is a true positive worth A_TP·σ(y), where y is its
 *   position relative to the window's end (−1 at the start, 0 at the end) and σ(y) = 2/(1 + e^(5y)) − 1: early
 *   detection earns almost 1, detection at the very end almost 0. Only the first alarm in a window counts; later
 *   ones in the same window are neither rewarded nor charged.
 * - A window with no alarm costs A_FN.
 * - An alarm outside every window is a false positive: it costs A_FP·σ(y) with y its distance past the end of the
 *   preceding window in window lengths (a little just after a window, A_FP from 3 lengths on), or A_FP when no
 *   window precedes it.
 * - The first 15 % of each stream (at most 750 points) is probation: alarms there are ignored, and windows that
 *   end there are not scored.
 * - Raw scores are summed over the corpus and normalised: 100·(S − S_null)/(S_perfect − S_null), where the null
 *   detector never raises an alarm and the perfect one raises one alarm at the start of every window. So 0 is
 *   "never alarm", 100 is perfect, and a detector that only raises false alarms goes below 0.
 * Profiles (the paper's table I): standard (A_TP 1, A_FP 0.11, A_FN 1), reward low false positives (A_FP 0.22).
 */

export interface Profile {
  name: string;
  tp: number;
  fp: number;
  fn: number;
}

export const STANDARD: Profile = { name: 'standard', tp: 1, fp: 0.11, fn: 1 };
export const LOW_FP: Profile = { name: 'reward low FP', tp: 1, fp: 0.22, fn: 1 };
export const PROFILES: readonly Profile[] = [STANDARD, LOW_FP];

export type Window = readonly [number, number];

/** σ(y) = 2/(1 + e^(5y)) − 1, taken as −1 beyond 3 window lengths past the end. */
export function scaledSigmoid(y: number): number {
  if (y > 3) return -1;
  return 2 / (1 + Math.exp(5 * y)) - 1;
}

/** The length of the probation at the start of a stream of `n` points. */
export function probation(n: number): number {
  return Math.min(Math.floor(0.15 * n), 750);
}

/**
 * NAB's windows for a stream of `n` points with anomalies at the given [start, end] index ranges (points are
 * [i, i]): each is widened evenly about its centre to 10 % of the stream divided by the number of anomalies (a
 * labelled range longer than that is kept as it is); windows that overlap are merged.
 */
export function nabWindows(n: number, anomalies: readonly Window[]): Window[] {
  if (anomalies.length === 0) return [];
  const length = Math.floor((0.1 * n) / anomalies.length);
  const widened = anomalies
    .map(([start, end]): [number, number] => {
      const extra = Math.max(0, length - (end - start + 1));
      const before = Math.floor(extra / 2);
      return [Math.max(0, start - before), Math.min(n - 1, end + (extra - before))];
    })
    .sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const w of widened) {
    const last = merged[merged.length - 1];
    if (last && w[0] <= last[1] + 1) last[1] = Math.max(last[1], w[1]);
    else merged.push([w[0], w[1]]);
  }
  return merged;
}

export interface StreamScore {
  raw: number;
  perfect: number;
  none: number;
  truePositives: number;
  falseNegatives: number;
  falsePositives: number;
}

/** One stream's raw, perfect and null scores for alarms at the given (ascending) indices. */
export function scoreStream(n: number, windows: readonly Window[], alarms: readonly number[], profile: Profile): StreamScore {
  const start = probation(n);
  const scored = windows.filter(([, end]) => end >= start);
  const result: StreamScore = { raw: 0, perfect: 0, none: 0, truePositives: 0, falseNegatives: 0, falsePositives: 0 };
  const detected = new Array<boolean>(scored.length).fill(false);
  for (const [s, e] of scored) {
    result.perfect += profile.tp * scaledSigmoid((Math.max(s, start) - e) / (e - s + 1));
    result.none -= profile.fn;
  }
  let w = 0;
  for (const i of alarms) {
    if (i < start) continue;
    while (w < scored.length && scored[w][1] < i) w++;
    if (w < scored.length && scored[w][0] <= i) {
      if (!detected[w]) {
        detected[w] = true;
        const [s, e] = scored[w];
        result.raw += profile.tp * scaledSigmoid((i - e) / (e - s + 1));
        result.truePositives++;
      }
      continue;
    }
    result.falsePositives++;
    const previous = w > 0 ? scored[w - 1] : undefined;
    result.raw += previous ? profile.fp * scaledSigmoid((i - previous[1]) / (previous[1] - previous[0] + 1)) : -profile.fp;
  }
  for (let j = 0; j < scored.length; j++) {
    if (!detected[j]) {
      result.raw -= profile.fn;
      result.falseNegatives++;
    }
  }
  return result;
}

/** The corpus score, 0 (never alarm) to 100 (perfect), from the streams' scores. */
export function normalisedScore(scores: readonly StreamScore[]): number {
  let raw = 0;
  let perfect = 0;
  let none = 0;
  for (const s of scores) {
    raw += s.raw;
    perfect += s.perfect;
    none += s.none;
  }
  return perfect === none ? 0 : (100 * (raw - none)) / (perfect - none);
}
