/**
 * The one timing helper: variants measured in alternating rounds (A B, then B A, ...) so that drift on a shared,
 * noisy machine falls on both sides, each figure summarised by its median and spread, and ratios taken round by
 * round between variants that ran side by side.
 */

/** The median of a figure over the rounds, and its range. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(samples: readonly number[]): Spread {
  if (samples.length === 0) throw new Error('no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: quantile(sorted, 0.5), min: sorted[0], max: sorted[sorted.length - 1] };
}

/** The q-quantile of sorted values, interpolated linearly. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  const high = Math.ceil(at);
  return sorted[low] + (sorted[high] - sorted[low]) * (at - low);
}

/** One side of a comparison: `measure` returns what one run measured (a rate, seconds, a set of figures, ...). */
export interface Variant<T = number> {
  name: string;
  measure: () => T | Promise<T>;
}

export interface RoundOptions {
  rounds: number;
  /** Unrecorded runs of every variant first (JIT, caches). Default 1. */
  warmUp?: number;
}

/**
 * Runs every variant once per round, in alternating order; returns each variant's results, round by round.
 * No forced garbage collection between runs: V8 throws away optimised code in a full collection, which would
 * make the next short run several times slower than it is in a running process.
 */
export async function alternate<T>(variants: readonly Variant<T>[], options: RoundOptions): Promise<Record<string, T[]>> {
  const results: Record<string, T[]> = Object.fromEntries(variants.map((v) => [v.name, [] as T[]]));
  for (let w = 0; w < (options.warmUp ?? 1); w++) for (const variant of variants) await variant.measure();
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? variants : [...variants].reverse();
    for (const variant of order) results[variant.name].push(await variant.measure());
  }
  return results;
}

/**
 * Round-by-round ratios of two sides' figures, A's over B's. Rounds ran side by side, so each ratio compares
 * runs made under the same load.
 */
export function ratios(a: readonly number[], b: readonly number[]): Spread {
  if (a.length !== b.length || a.length === 0) throw new Error('ratios need the same number of rounds on both sides');
  return spread(a.map((value, i) => value / b[i]));
}

export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
}

/** Wall-clock seconds of synchronous `work`, returning its result too (so nothing is optimised away). */
export function timeSync<T>(work: () => T): { seconds: number; result: T } {
  const started = process.hrtime.bigint();
  const result = work();
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, result };
}
