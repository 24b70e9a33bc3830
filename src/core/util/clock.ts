/**
 * An arrival clock that survives the host clock stepping (NTP, a manual `date`, a Pi booting with a stale clock).
 *
 * Rule: time is the wall clock at creation plus the monotonic time elapsed since. When the wall clock is found
 * ahead of that (a step forward, or slow drift), the clock re-anchors to it at once. A step back is not followed:
 * the clock keeps counting from where it was, ahead of the wall clock by the step, until the wall clock catches up
 * (or the process restarts). So `now()` never goes back, never stands still while time passes, and is never behind
 * the wall clock: a future guard comparing with it can only get more lenient after a step, never silence a device.
 */
export interface Clock {
  /** Epoch milliseconds (an integer). */
  now(): number;
}

export interface ClockSources {
  /** The wall clock, epoch ms (default Date.now). */
  wall?: () => number;
  /** A monotonic clock in ms from any origin (default performance.now). */
  mono?: () => number;
  /** Never read earlier than this (e.g. the latest arrival in a restored window state, ahead after a step back). */
  notBefore?: number;
}

export function createClock(sources: ClockSources = {}): Clock {
  const wall = sources.wall ?? (() => Date.now());
  const mono = sources.mono ?? (() => performance.now());
  let anchorWall = Math.max(wall(), sources.notBefore ?? -Infinity);
  let anchorMono = mono();
  return {
    now(): number {
      const m = mono();
      const w = wall();
      const t = anchorWall + (m - anchorMono);
      if (w > t) {
        anchorWall = w;
        anchorMono = m;
        return Math.floor(w);
      }
      return Math.floor(t);
    },
  };
}
