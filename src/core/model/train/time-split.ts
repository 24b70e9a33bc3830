/**
 * Time-ordered validation (README, "Honest scores"): rows that carry a time are tested on the *last* part of
 * each device's time line, never on a random share. Neighbouring windows overlap and slow signals make rows close
 * in time near copies of each other, so a random split tests a model on its training rows' neighbours and reports
 * an accuracy users never see (measured: 99.6 % reported, 93 % on the following days).
 *
 * - {@link timeHoldout}: per device, the newest `testFraction` of its rows are the test rows; the training rows
 *   are that device's rows at least `gap` ms before its first test row (a window of size `gap` ending there would
 *   straddle the cut, sharing readings with a test window).
 * - {@link timeFolds}: per device, its time line in `k` contiguous blocks; fold j tests block j of every device and
 *   trains on the rest, less the rows within `gap` of the block on either side.
 *
 * Rows of a device with a single row are training rows only (nothing of it can be tested on its future). Rows are
 * ordered by time, ties by their index. Both are pure and deterministic (no seed: the order is the time's).
 */

export interface TimeLine {
  /** Each row's time (epoch ms; for a window, its end). Every value must be finite. */
  time: ArrayLike<number>;
  /** Each row's device; absent: one device. */
  device?: ArrayLike<string>;
  /** ms kept free of training rows before (and, for folds, after) the test rows: the window size; default 0. */
  gap?: number;
}

export interface TimeSplit {
  train: Int32Array;
  test: Int32Array;
  /** Rows in neither: inside the gap. */
  gapped: number;
}

/** The rows of each device, in time order (ties: row index). */
function timeLinesByDevice(line: TimeLine): Int32Array[] {
  const n = line.time.length;
  if (line.device !== undefined && line.device.length !== n) throw new RangeError('device must have one entry per row');
  for (let i = 0; i < n; i++) if (!Number.isFinite(line.time[i])) throw new RangeError(`row ${i} has no finite time`);
  const gap = line.gap ?? 0;
  if (!(gap >= 0) || !Number.isFinite(gap)) throw new RangeError(`gap must be a finite number of ms ≥ 0, got ${gap}`);
  const groups = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const key = line.device === undefined ? '' : String(line.device[i]);
    let group = groups.get(key);
    if (group === undefined) groups.set(key, (group = []));
    group.push(i);
  }
  return [...groups.values()].map((group) => Int32Array.from(group.sort((a, b) => line.time[a] - line.time[b] || a - b)));
}

function ascending(values: number[]): Int32Array {
  return Int32Array.from(values.sort((a, b) => a - b));
}

/** The newest `testFraction` of each device's time line as test rows; training rows end `gap` ms before them. */
export function timeHoldout(line: TimeLine, testFraction: number): TimeSplit {
  if (!(testFraction > 0 && testFraction < 1)) throw new RangeError(`testFraction must be in (0, 1), got ${testFraction}`);
  const gap = line.gap ?? 0;
  const train: number[] = [];
  const test: number[] = [];
  let gapped = 0;
  for (const rows of timeLinesByDevice(line)) {
    const testCount = Math.min(rows.length - 1, Math.round(rows.length * testFraction));
    if (testCount <= 0) {
      train.push(...rows);
      continue;
    }
    const firstTest = rows.length - testCount;
    const cut = line.time[rows[firstTest]];
    for (let k = 0; k < rows.length; k++) {
      if (k >= firstTest) test.push(rows[k]);
      else if (line.time[rows[k]] <= cut - gap) train.push(rows[k]);
      else gapped++;
    }
  }
  return { train: ascending(train), test: ascending(test), gapped };
}

/**
 * k contiguous time blocks per device; fold j tests block j of every device. Training rows of a fold exclude those
 * within `gap` ms of its test block (before its first row, after its last). Devices with fewer than k rows give
 * their rows to the earliest blocks only.
 */
export function timeFolds(line: TimeLine, k: number): TimeSplit[] {
  const n = line.time.length;
  if (!(Number.isInteger(k) && k >= 2 && k <= n)) throw new RangeError(`folds must be an integer in [2, ${n}], got ${k}`);
  const gap = line.gap ?? 0;
  const devices = timeLinesByDevice(line);
  const folds: TimeSplit[] = [];
  for (let j = 0; j < k; j++) {
    const train: number[] = [];
    const test: number[] = [];
    let gapped = 0;
    for (const rows of devices) {
      // Block j of this device: rows [from, to) of its time line (sizes differ by one at most).
      const from = Math.floor((j * rows.length) / k);
      const to = Math.floor(((j + 1) * rows.length) / k);
      if (to <= from) {
        train.push(...rows);
        continue;
      }
      const start = line.time[rows[from]];
      const end = line.time[rows[to - 1]];
      for (let r = 0; r < rows.length; r++) {
        const t = line.time[rows[r]];
        if (r >= from && r < to) test.push(rows[r]);
        else if ((r < from && t <= start - gap) || (r >= to && t >= end + gap)) train.push(rows[r]);
        else gapped++;
      }
    }
    folds.push({ train: ascending(train), test: ascending(test), gapped });
  }
  return folds;
}
