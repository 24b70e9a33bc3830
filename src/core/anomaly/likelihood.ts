/**
 * The anomaly likelihood of Numenta's HTM (Ahmad, Lavin, Purdy and Agha, "Unsupervised real-time anomaly detection
 * for streaming data", Neurocomputing 262, 2017, section 4.2): how unusual the recent scores of one stream are
 * against that stream's own long-term score distribution.
 *
 *     m̃_t = mean of the last `average` surprises          (the short-term mean)
 *     μ_t, σ_t = mean and spread of m̃ over the last ~`memory` windows   (the long-term distribution)
 *     L_t = 1 − Q((m̃_t − μ_t) / σ_t)                        (Q: the tail of the standard normal)
 *
 * Differences from the paper, each for a stated reason:
 * - Scores enter as a surprise u = −ln(1 − score) (nats) rather than the score in [0, 1]: a score near 1 means very
 *   different things on a calm stream and a bursty one, and the log keeps the scale of rare scores apart. A raw
 *   HTM score (a share of unpredicted columns) is mostly 0, so the two agree where the paper's scores live.
 * - μ and σ² are exponentially weighted (span `memory`) instead of a sliding window of 8 640 scores: the state is
 *   a fixed handful of numbers per stream (`likelihoodSize`), and old behaviour still fades out.
 * - σ is floored at `floor` nats, so a stream whose scores never moved does not call a tiny wobble certain.
 * - A single window far beyond the stream's usual single-window surprises is not left to the short-term mean to
 *   find `average` windows later: the likelihood is the larger of the paper's and Φ(z₁/2), z₁ that window's
 *   surprise against the long-term mean and spread of single surprises. A 12σ spike is then an anomaly on its own
 *   window; on the tuning streams of the benchmark this costs 57.0 → 53.5 NAB points (docs/anomaly.md).
 * Until `warmup` scores are in, the likelihood is 0.5 ("don't know"), as HTM reports during its learning period.
 *
 * The state lives in a caller's Float64Array at an offset (so a session packs one array per device); a fresh
 * state is all zeros. `AnomalyLikelihood` wraps one stream for callers that score one model's output.
 */

export interface LikelihoodParams {
  /** Scores in the short-term mean (HTM: 10). */
  average: number;
  /** Span, in scores, of the long-term mean and variance. */
  memory: number;
  /** Least spread (nats) of the long-term distribution. */
  floor: number;
  /** Scores seen before the likelihood says anything but 0.5. */
  warmup: number;
}

export const DEFAULT_LIKELIHOOD: LikelihoodParams = { average: 10, memory: 1000, floor: 0.02, warmup: 20 };

/** A single window counts as (z / 2) of its own surprise against the long-term distribution of single surprises. */
const POINT_Z_SCALE = 2;

// Layout: [count, sum of the ring, ring position, long-term mean and variance of the short-term mean, long-term mean
// and variance of single surprises, ring of `average` surprises].
const COUNT = 0;
const SUM = 1;
const POS = 2;
const MEAN = 3;
const VAR = 4;
const POINT_MEAN = 5;
const POINT_VAR = 6;
const RING = 7;

/** Floats of state per stream. */
export function likelihoodSize(params: LikelihoodParams): number {
  return RING + params.average;
}

/** The surprise of a score in [0, 1]: −ln(1 − score), capped where float64 rounds 1 − score to 0. */
export function surprise(score: number): number {
  if (!(score > 0)) return 0;
  return score >= 1 ? 37 : -Math.log1p(-score);
}

/** Feeds one surprise (≥ 0) and returns the likelihood of the short-term mean, before it joins the long-term one. */
export function updateLikelihood(state: Float64Array, offset: number, params: LikelihoodParams, u: number): number {
  const n = state[offset + COUNT];
  const slot = offset + RING + state[offset + POS];
  // The ring's running sum is recomputed now and then so rounding never builds up over a long life.
  let sum = state[offset + SUM] + u - state[slot];
  state[slot] = u;
  state[offset + POS] = (state[offset + POS] + 1) % params.average;
  if (state[offset + POS] === 0) {
    sum = 0;
    for (let i = 0; i < params.average; i++) sum += state[offset + RING + i];
  }
  state[offset + SUM] = sum;
  const shortMean = sum / Math.min(n + 1, params.average);

  const mean = state[offset + MEAN];
  const variance = state[offset + VAR];
  const pointMean = state[offset + POINT_MEAN];
  const pointVariance = state[offset + POINT_VAR];
  let likelihood = 0.5;
  if (n >= params.warmup) {
    const spread = Math.sqrt(variance + params.floor * params.floor);
    likelihood = normalCdf((shortMean - mean) / spread);
    const pointSpread = Math.sqrt(pointVariance + params.floor * params.floor);
    likelihood = Math.max(likelihood, normalCdf((u - pointMean) / (POINT_Z_SCALE * pointSpread)));
  }
  // Exponentially weighted mean and variance (West's update); plain averages until `memory` scores are in.
  const alpha = Math.max(1 / (n + 1), 2 / (params.memory + 1));
  const delta = shortMean - mean;
  state[offset + MEAN] = mean + alpha * delta;
  state[offset + VAR] = (1 - alpha) * (variance + alpha * delta * delta);
  const pointDelta = u - pointMean;
  state[offset + POINT_MEAN] = pointMean + alpha * pointDelta;
  state[offset + POINT_VAR] = (1 - alpha) * (pointVariance + alpha * pointDelta * pointDelta);
  state[offset + COUNT] = n + 1;
  return likelihood;
}

/** Φ(z), the standard normal distribution function, with a relative error below 1.2e-7 in both tails. */
export function normalCdf(z: number): number {
  const tail = 0.5 * erfc(Math.abs(z) / Math.SQRT2);
  return z >= 0 ? 1 - tail : tail;
}

/** The complementary error function for x ≥ 0 (Chebyshev fit, fractional error < 1.2e-7; Press et al., Numerical Recipes §6.2). */
function erfc(x: number): number {
  const t = 1 / (1 + 0.5 * x);
  const poly =
    -1.26551223 +
    t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  return t * Math.exp(-x * x + poly);
}

/** One stream's likelihood, for scores in [0, 1] from any detector (e.g. a model file's anomaly scores). */
export class AnomalyLikelihood {
  readonly state: Float64Array;

  constructor(
    readonly params: LikelihoodParams = DEFAULT_LIKELIHOOD,
    state?: ArrayLike<number>,
  ) {
    this.state = new Float64Array(likelihoodSize(params));
    if (state !== undefined) {
      if (state.length !== this.state.length) throw new RangeError(`likelihood state needs ${this.state.length} numbers, got ${state.length}`);
      this.state.set(state);
    }
  }

  /** Scores seen so far. */
  get count(): number {
    return this.state[COUNT];
  }

  /** The likelihood of this score given the stream so far; the score then joins the stream's history. */
  update(score: number): number {
    return updateLikelihood(this.state, 0, this.params, surprise(score));
  }

  snapshot(): number[] {
    return Array.from(this.state);
  }
}
