import type { Summary, WindowSample } from './features';
import type { WindowSeries } from './series';

/*
 * A pane's doubles: its summary in `Summary` packed layout (n, mean, m2, min, max, tMean, tM2, coMoment; t
 * relative to the pane's own time base), that base, the position and value of its first and last reading in
 * window order, and, for count windows only (whose bounds are reading timestamps), those readings' ts.
 */
const TIME_BASE = 8;
const FIRST_POSITION = 9;
const FIRST_VALUE = 10;
const LAST_POSITION = 11;
const LAST_VALUE = 12;
const FIRST_TS = 13;
const LAST_TS = 14;

/**
 * Most panes a window may span for pane summaries to be used: a window's summary is merged from its panes when
 * it closes, O(panes) per window; beyond this the engine buffers readings (O(1) amortised whatever the overlap).
 */
export const MAX_PANES_PER_WINDOW = 16;

const EMPTY = new Float64Array(0);
/** Readings a series that keeps them starts with room for (more on demand). */
const INITIAL_READINGS = 16;

/** How aligned windows split into panes: pane p holds positions [p·width, (p + 1)·width). */
export interface PaneLayout {
  /** gcd(size, slide): every window bound is a pane bound. */
  readonly width: number;
  /** Panes one window spans (size / width). */
  readonly perWindow: number;
  /** Doubles per pane: 15 when positions are not timestamps and windows report reading ts (count), else 13. */
  readonly stride: number;
  /** Whether the readings' values are kept too, for features that read them (order statistics, shape, crossings). */
  readonly values: boolean;
}

/**
 * Pane layout for aligned windows (time or count, not sessions), or undefined when they must keep their readings
 * in a {@link SensorSeries}: sizes that are not whole numbers (bounds would not be exact), or windows spanning more
 * than {@link MAX_PANES_PER_WINDOW} panes. `timestamps`: windows report their readings' ts (count windows);
 * `values`: a selected feature reads the values.
 */
export function paneLayout(size: number, slide: number, keep: { timestamps: boolean; values: boolean }): PaneLayout | undefined {
  if (!Number.isSafeInteger(size) || !Number.isSafeInteger(slide) || size <= 0 || slide <= 0) return undefined;
  let a = size;
  let b = slide;
  while (b > 0) [a, b] = [b, a % b];
  const perWindow = size / a;
  if (perWindow > MAX_PANES_PER_WINDOW) return undefined;
  return { width: a, perWindow, stride: keep.timestamps ? 15 : 13, values: keep.values };
}

/**
 * The readings of one (device, sensor) as pane summaries, for aligned windows: per pane of gcd(size, slide)
 * positions, a Welford summary plus its first and last reading, in one Float64Array (no per-pane objects). A
 * window's summary is merged (Chan) from its panes when it closes, so with streaming features only a series holds
 * about size/slide panes instead of every reading, and nothing is ever subtracted.
 *
 * Non-empty panes only, sorted by pane, live in `[head, tail)`; `[head, aggregatedEnd)` are the panes of the
 * window being closed. Window bounds are pane bounds, so "position < bound" holds for a whole pane or none of it.
 *
 * When a feature reads the values, the readings' positions and values are kept as well, sorted by position (ties
 * in arrival order), in a second Float64Array: positions in its first half, values in its second. Pane n's tell
 * how many of them each pane holds, so evicting panes evicts their readings.
 */
export class PaneSeries implements WindowSeries {
  previousFeatures: Float64Array | undefined;
  private panes: Float64Array = EMPTY;
  private head = 0;
  private aggregatedEnd = 0;
  private tail = 0;
  private liveReadings = 0;
  /** Positions in [0, capacity), values in [capacity, 2·capacity); live from `readingsHead`, `liveReadings` long. */
  private readings: Float64Array = EMPTY;
  private readingsHead = 0;
  /** The newest pane's (at tail − 1) positions: [p·width, (p + 1)·width); an empty range when there is none. */
  private newestStart = Infinity;
  private newestEnd = -Infinity;
  /** From the layout, in the object itself for the per-reading path. */
  private readonly stride: number;
  private readonly width: number;
  private readonly keepsValues: boolean;
  /** Whether panes keep their first and last reading's ts (else those are the positions). */
  private readonly timestamps: boolean;

  constructor(
    readonly name: string,
    readonly featureKeys: readonly string[],
    private readonly maxReadings: number,
    private readonly layout: PaneLayout,
  ) {
    this.stride = layout.stride;
    this.width = layout.width;
    this.keepsValues = layout.values;
    this.timestamps = layout.stride > FIRST_TS;
  }

  get length(): number {
    return this.liveReadings;
  }

  get aggregatedCount(): number {
    let n = 0;
    for (let i = this.head; i < this.aggregatedEnd; i++) n += this.panes[i * this.stride];
    return n;
  }

  earliestPosition(): number {
    return this.tail > this.head ? this.panes[this.head * this.stride + FIRST_POSITION] : Infinity;
  }

  aggregatedBounds(out: Float64Array): void {
    const first = this.head * this.stride;
    const last = (this.aggregatedEnd - 1) * this.stride;
    out[0] = this.panes[first + FIRST_POSITION];
    out[1] = this.panes[first + (this.timestamps ? FIRST_TS : FIRST_POSITION)];
    out[2] = this.panes[last + LAST_POSITION];
    out[3] = this.panes[last + (this.timestamps ? LAST_TS : LAST_POSITION)];
  }

  /** Add to its pane; false when the series already holds `maxReadings` readings. */
  insert(position: number, timestamp: number, value: number): boolean {
    if (this.liveReadings >= this.maxReadings) return false;
    this.addReading(position, timestamp, value);
    return true;
  }

  aggregateBefore(bound: number): void {
    const panes = this.panes;
    let end = this.aggregatedEnd;
    while (end < this.tail && panes[end * this.stride + FIRST_POSITION] < bound) end++;
    this.aggregatedEnd = end;
  }

  aggregateThrough(): void {
    throw new Error('session windows keep their readings');
  }

  evictBefore(bound: number): void {
    const panes = this.panes;
    while (this.head < this.tail && panes[this.head * this.stride + FIRST_POSITION] < bound) {
      this.liveReadings -= panes[this.head * this.stride];
      this.readingsHead += panes[this.head * this.stride];
      this.head++;
    }
    if (this.aggregatedEnd < this.head) this.aggregatedEnd = this.head;
    if (this.head === this.tail) this.clear();
  }

  dropAggregated(): void {
    const dropped = this.aggregatedCount;
    this.liveReadings -= dropped;
    this.readingsHead += dropped;
    this.head = this.aggregatedEnd;
    if (this.head === this.tail) this.clear();
  }

  clear(): void {
    this.head = this.tail = this.aggregatedEnd = 0;
    this.liveReadings = this.readingsHead = 0;
    this.newestStart = Infinity;
    this.newestEnd = -Infinity;
  }

  release(): void {
    this.clear();
    this.panes = this.readings = EMPTY;
  }

  /** The merged summary of the window's panes, t relative to the first pane's time base. */
  summarize(out: Summary): void {
    out.clear();
    const panes = this.panes;
    const base = this.head < this.aggregatedEnd ? panes[this.head * this.stride + TIME_BASE] : 0;
    for (let i = this.head; i < this.aggregatedEnd; i++) out.mergePacked(panes, i * this.stride, panes[i * this.stride + TIME_BASE] - base);
  }

  loadSample(sample: WindowSample): void {
    this.summarize(sample.summary);
    if (this.keepsValues) {
      const from = this.readings.length / 2 + this.readingsHead;
      // Positions are the readings' ts in event time, the only pane series spectral features read times from.
      sample.load(this.readings, from, from + this.aggregatedCount).loadTimes(this.readings, this.readingsHead);
      return;
    }
    const panes = this.panes;
    sample.loadEnds(panes[this.head * this.stride + FIRST_VALUE], panes[(this.aggregatedEnd - 1) * this.stride + LAST_VALUE]);
  }

  toState(): PaneSeriesState {
    const state: PaneSeriesState = {
      kind: 'panes',
      panes: this.panes.slice(this.head * this.stride, this.tail * this.stride),
      aggregated: this.aggregatedEnd - this.head,
      previousFeatures: this.previousFeatures?.slice(),
    };
    if (this.keepsValues) {
      const capacity = this.readings.length / 2;
      const end = this.readingsHead + this.liveReadings;
      state.positions = this.readings.slice(this.readingsHead, end);
      state.values = this.readings.slice(capacity + this.readingsHead, capacity + end);
    }
    return state;
  }

  /** Reload from {@link toState}; results continue bit for bit. */
  loadState(state: PaneSeriesState): void {
    const { panes, aggregated } = state;
    const count = panes.length / this.stride;
    if (!Number.isInteger(count)) throw new Error('series panes are malformed');
    if (!(aggregated >= 0 && aggregated <= count)) throw new Error('series aggregate is out of range');
    let live = 0;
    for (let i = 0; i < count; i++) {
      const n = panes[i * this.stride];
      if (!(Number.isInteger(n) && n > 0)) throw new Error('series panes are malformed');
      if (i > 0 && !(this.paneOf(panes[i * this.stride + FIRST_POSITION]) > this.paneOf(panes[(i - 1) * this.stride + FIRST_POSITION]))) {
        throw new Error('series panes are out of order');
      }
      live += n;
    }
    const { positions, values } = state;
    if (this.keepsValues) {
      if (positions === undefined || values === undefined || positions.length !== live || values.length !== live) {
        throw new Error('series readings do not match its panes');
      }
      this.readings = new Float64Array(2 * Math.max(live, INITIAL_READINGS));
      this.readings.set(positions);
      this.readings.set(values, this.readings.length / 2);
    } else if (positions !== undefined || values !== undefined) {
      throw new Error('series keeps readings these settings do not');
    }
    this.clear();
    this.panes = new Float64Array(Math.max(count, this.initialPanes()) * this.stride);
    this.panes.set(panes);
    this.head = 0;
    this.tail = count;
    this.aggregatedEnd = aggregated;
    this.liveReadings = live;
    if (count > 0) this.setNewest(this.paneOf(panes[(count - 1) * this.stride + FIRST_POSITION]));
    this.previousFeatures = state.previousFeatures?.slice();
  }

  /**
   * Reload from readings kept by a {@link SensorSeries} (a snapshot written before pane summaries, or by a run
   * that buffered readings): each goes into its pane again. The old aggregate needs no carrying over: the next
   * window to close aggregates the same readings from the panes.
   */
  loadReadings(positions: Float64Array, timestamps: Float64Array, values: Float64Array, previousFeatures: Float64Array | undefined): void {
    this.release();
    for (let i = 0; i < values.length; i++) this.addReading(positions[i], timestamps[i], values[i]);
    this.previousFeatures = previousFeatures?.slice();
  }

  // ---- panes -----------------------------------------------------------------------------------------------

  /** Index of the pane holding `position`, settled exactly (the division may round across a pane bound). */
  private paneOf(position: number): number {
    const width = this.width;
    let p = Math.floor(position / width);
    if (p * width > position) p--;
    else if ((p + 1) * width <= position) p++;
    return p;
  }

  private addReading(position: number, timestamp: number, value: number): void {
    if (this.keepsValues) this.keepReading(position, value);
    if (position >= this.newestStart && position < this.newestEnd) {
      // In the newest pane: the common case, no division.
      this.addToPane((this.tail - 1) * this.stride, position, timestamp, value);
      this.liveReadings++;
    } else {
      this.addToOtherPane(position, timestamp, value);
    }
  }

  /** A reading for a new pane, or (out of order) for an older one. */
  private addToOtherPane(position: number, timestamp: number, value: number): void {
    let at = this.tail;
    const pane = this.paneOf(position);
    if (position < this.newestStart && at > this.head) {
      // Out of order (within lateness): find its pane, or the place for a new one.
      let low = this.head;
      let high = at;
      while (low < high) {
        const mid = (low + high) >>> 1;
        if (this.paneOf(this.panes[mid * this.stride + FIRST_POSITION]) < pane) low = mid + 1;
        else high = mid;
      }
      at = low;
      if (this.paneOf(this.panes[at * this.stride + FIRST_POSITION]) === pane) {
        this.addToPane(at * this.stride, position, timestamp, value);
        this.liveReadings++;
        return;
      }
    }
    if (this.tail * this.stride === this.panes.length) at -= this.makeRoom();
    const panes = this.panes;
    if (at < this.tail) panes.copyWithin((at + 1) * this.stride, at * this.stride, this.tail * this.stride);
    if (at < this.aggregatedEnd) this.aggregatedEnd++;
    if (at === this.tail) this.setNewest(pane);
    this.tail++;
    const o = at * this.stride;
    panes[o] = 1;
    panes[o + 1] = value;
    panes[o + 2] = 0;
    panes[o + 3] = value;
    panes[o + 4] = value;
    panes[o + 5] = 0;
    panes[o + 6] = 0;
    panes[o + 7] = 0;
    panes[o + TIME_BASE] = timestamp;
    panes[o + FIRST_POSITION] = panes[o + LAST_POSITION] = position;
    panes[o + FIRST_VALUE] = panes[o + LAST_VALUE] = value;
    if (this.timestamps) panes[o + FIRST_TS] = panes[o + LAST_TS] = timestamp;
    this.liveReadings++;
  }

  private setNewest(pane: number): void {
    this.newestStart = pane * this.width;
    this.newestEnd = (pane + 1) * this.width;
  }

  /** Welford update of the pane at offset `o`; ties in position keep arrival order (first stays, last moves). */
  private addToPane(o: number, position: number, timestamp: number, value: number): void {
    const panes = this.panes;
    const n = panes[o] + 1;
    let mean = panes[o + 1];
    const dx = value - mean;
    mean += dx / n;
    panes[o + 1] = mean;
    panes[o + 2] += dx * (value - mean);
    if (value < panes[o + 3]) panes[o + 3] = value;
    if (value > panes[o + 4]) panes[o + 4] = value;
    const t = timestamp - panes[o + TIME_BASE];
    let tMean = panes[o + 5];
    const dt = t - tMean;
    tMean += dt / n;
    panes[o + 5] = tMean;
    panes[o + 6] += dt * (t - tMean);
    panes[o + 7] += dt * (value - mean);
    panes[o] = n;
    // first ≤ last, so a reading moves at most one end (in order: the last).
    if (position >= panes[o + LAST_POSITION]) {
      panes[o + LAST_POSITION] = position;
      panes[o + LAST_VALUE] = value;
      if (this.timestamps) panes[o + LAST_TS] = timestamp;
    } else if (position < panes[o + FIRST_POSITION]) {
      panes[o + FIRST_POSITION] = position;
      panes[o + FIRST_VALUE] = value;
      if (this.timestamps) panes[o + FIRST_TS] = timestamp;
    }
  }

  /** Insert into the kept readings in position order, after equal positions. */
  private keepReading(position: number, value: number): void {
    if (this.readingsHead + this.liveReadings === this.readings.length / 2) this.makeReadingRoom();
    const readings = this.readings;
    const capacity = readings.length / 2;
    const head = this.readingsHead;
    const tail = head + this.liveReadings;
    let at = tail;
    if (at > head && readings[at - 1] > position) {
      let low = head;
      let high = at;
      while (low < high) {
        const mid = (low + high) >>> 1;
        if (readings[mid] <= position) low = mid + 1;
        else high = mid;
      }
      at = low;
      readings.copyWithin(at + 1, at, tail);
      readings.copyWithin(capacity + at + 1, capacity + at, capacity + tail);
    }
    readings[at] = position;
    readings[capacity + at] = value;
  }

  /** Compact when a quarter of the kept readings are dead, else grow by half (amortised O(1) per reading). */
  private makeReadingRoom(): void {
    const capacity = this.readings.length / 2;
    const head = this.readingsHead;
    const live = this.liveReadings;
    if (head > 0 && head >= capacity / 4) {
      this.readings.copyWithin(0, head, head + live);
      this.readings.copyWithin(capacity, capacity + head, capacity + head + live);
    } else {
      const grown = capacity === 0 ? INITIAL_READINGS : Math.ceil(capacity * 1.5);
      const readings = new Float64Array(2 * grown);
      readings.set(this.readings.subarray(head, head + live));
      readings.set(this.readings.subarray(capacity + head, capacity + head + live), grown);
      this.readings = readings;
    }
    this.readingsHead = 0;
  }

  /** Panes a new series starts with: a window's worth plus the one that closes it (more on demand, for lateness). */
  private initialPanes(): number {
    return this.layout.perWindow + 1;
  }

  /**
   * Room for one more pane: compact when there is dead room (a small buffer) or a quarter of it is dead, else
   * grow by half. Amortised O(1) per pane; a small buffer's compaction costs at most 32 panes' worth of copying.
   */
  private makeRoom(): number {
    const capacity = this.panes.length / this.stride;
    const shift = this.head;
    if (shift > 0 && (capacity <= 32 || shift >= capacity / 4)) {
      this.panes.copyWithin(0, shift * this.stride, this.tail * this.stride);
    } else {
      const grown = capacity === 0 ? this.initialPanes() : Math.ceil(capacity * 1.5);
      const panes = new Float64Array(grown * this.stride);
      panes.set(this.panes.subarray(shift * this.stride, this.tail * this.stride));
      this.panes = panes;
    }
    this.tail -= shift;
    this.aggregatedEnd -= shift;
    this.head = 0;
    return shift;
  }
}

export interface PaneSeriesState {
  kind: 'panes';
  /** Live panes, `PaneLayout.stride` doubles each, in pane order. */
  panes: Float64Array;
  /** How many of the live panes (from the first) belong to the window being closed. */
  aggregated: number;
  /** The live readings' positions and values in window order, when a selected feature reads the values. */
  positions?: Float64Array;
  values?: Float64Array;
  previousFeatures: Float64Array | undefined;
}
