/** A source of "now" in epoch milliseconds that never goes back. */
export interface Clock {
  now(): number;
}

export interface ClockSources {
  /** The host's wall clock (default `Date.now`): it may step either way. */
  wall?: () => number;
  /** A monotonic clock in ms from any origin (default `performance.now`): it never steps. */
  monotonic?: () => number;
  /** Never read earlier than this (e.g. the latest arrival in a restored state), even if the wall clock is behind it. */
  notBefore?: number;
}

/**
 * Wall-clock time that never goes back: it starts at the wall clock and advances by the monotonic clock.
 * When the wall clock steps forward (NTP correction, resume from suspend) it is followed at once, as if that
 * time had passed; when it steps back, the clock keeps its own pace and ignores the step (it stays ahead of the
 * wall clock by the step, and follows the wall clock again once that is ahead). So windows never see time run
 * backwards, and a step never stalls them.
 */
export function createClock(sources: ClockSources = {}): Clock {
  const wall = sources.wall ?? Date.now;
  const monotonic = sources.monotonic ?? (() => performance.now());
  let last = Math.max(wall(), sources.notBefore ?? -Infinity);
  let lastMonotonic = monotonic();
  return {
    now(): number {
      const tick = monotonic();
      // A monotonic clock does not go back, but guard anyway: time must not.
      last = Math.max(last + Math.max(0, tick - lastMonotonic), wall());
      lastMonotonic = tick;
      return last;
    },
  };
}
