import { Summary, SUMMARY_WIDTH, type WindowSample } from './features';
import type { PaneSeriesState } from './panes';

/**
 * What the engine needs of one (device, sensor)'s window state: {@link SensorSeries} (the readings themselves)
 * or `PaneSeries` (summaries per pane). Positions are event ts, arrival ms, or reading numbers.
 */
export interface WindowSeries {
  readonly name: string;
  /** `<sensor>.<feature>` output names, in configured feature order. */
  readonly featureKeys: readonly string[];
  /** Feature values of the last window output for this sensor (fill: previous). */
  previousFeatures: Float64Array | undefined;
  /** Live readings. */
  readonly length: number;
  /** Readings in the window being closed. */
  readonly aggregatedCount: number;
  /** Position of the earliest live reading; Infinity when there is none. */
  earliestPosition(): number;
  /** [first position, its ts, last position, its ts] of the window being closed (aggregatedCount > 0). */
  aggregatedBounds(out: Float64Array): void;
  /** False when the series already holds `maxReadings` readings. */
  insert(position: number, timestamp: number, value: number): boolean;
  /** Put readings with position < bound into the window being closed. */
  aggregateBefore(bound: number): void;
  /** Put readings with position ≤ bound into the window being closed (sessions). */
  aggregateThrough(bound: number): void;
  /** Drop readings with position < bound (they belong to no window still open). */
  evictBefore(bound: number): void;
  /** Drop the window being closed (a session was emitted). */
  dropAggregated(): void;
  /** Forget every reading (keeps `previousFeatures`). */
  clear(): void;
  /** Release the memory too (the device went idle). */
  release(): void;
  /** Load the window being closed into the sample for the features. */
  loadSample(sample: WindowSample): void;
  /** Plain-data form for snapshots. */
  toState(): SeriesState | PaneSeriesState;
}

const INITIAL_CAPACITY = 16;
const EMPTY = new Float64Array(0);
/** Working summary for flips, shared: the engine is single-threaded and a flip does not re-enter. */
const flipSummary = new Summary();

/**
 * The buffered readings of one (device, sensor): parallel Float64Arrays of window position, timestamp and value,
 * kept sorted by position (ties in arrival order), live in `[head, tail)`.
 *
 * `[head, aggregatedEnd)` is the part inside the current window, summarised by a two-stacks sliding aggregate:
 * a front stack of suffix summaries packed in a Float64Array plus one running back summary. Readings join at the
 * back and leave at the front, each is merged O(1) times (amortised), and nothing is ever subtracted, so long
 * sliding runs do not drift.
 */
export class SensorSeries implements WindowSeries {
  /** Window positions: event ts, arrival ms, or the device's reading number for count windows. */
  positions: Float64Array = EMPTY;
  timestamps: Float64Array = EMPTY;
  values: Float64Array = EMPTY;
  head = 0;
  /** End of the readings merged into the aggregate. */
  aggregatedEnd = 0;
  tail = 0;
  /** Timestamps enter the summary relative to this, so slope sums keep their precision. */
  timeBase = 0;
  /** Feature values of the last window output for this sensor (fill: previous). */
  previousFeatures: Float64Array | undefined;

  /** Front stack: entry j summarises the j + 1 newest front readings, so the top covers [head, head + frontSize). */
  private frontStack: Float64Array = EMPTY;
  private frontSize = 0;
  private readonly back = new Summary();

  constructor(
    readonly name: string,
    /** `<sensor>.<feature>` output names, in configured feature order. */
    readonly featureKeys: readonly string[],
    private readonly maxReadings: number,
  ) {}

  get length(): number {
    return this.tail - this.head;
  }

  get aggregatedCount(): number {
    return this.aggregatedEnd - this.head;
  }

  earliestPosition(): number {
    return this.tail > this.head ? this.positions[this.head] : Infinity;
  }

  aggregatedBounds(out: Float64Array): void {
    out[0] = this.positions[this.head];
    out[1] = this.timestamps[this.head];
    out[2] = this.positions[this.aggregatedEnd - 1];
    out[3] = this.timestamps[this.aggregatedEnd - 1];
  }

  loadSample(sample: WindowSample): void {
    this.summarize(sample.summary);
    sample.load(this.values, this.head, this.aggregatedEnd).loadTimes(this.timestamps, this.head);
  }

  /** Insert in position order; false when the series already holds `maxReadings` readings. */
  insert(position: number, timestamp: number, value: number): boolean {
    if (this.head === this.tail) {
      this.head = this.tail = this.aggregatedEnd = 0;
    } else if (this.tail - this.head >= this.maxReadings) {
      return false;
    }
    if (this.tail === this.positions.length) this.makeRoom();
    const positions = this.positions;
    let at = this.tail;
    if (at > this.head && positions[at - 1] > position) {
      // Out of order: binary search after equal positions; never inside the aggregate (those are all earlier).
      let low = this.aggregatedEnd;
      let high = at;
      while (low < high) {
        const mid = (low + high) >>> 1;
        if (positions[mid] <= position) low = mid + 1;
        else high = mid;
      }
      at = low;
      positions.copyWithin(at + 1, at, this.tail);
      this.timestamps.copyWithin(at + 1, at, this.tail);
      this.values.copyWithin(at + 1, at, this.tail);
    }
    positions[at] = position;
    this.timestamps[at] = timestamp;
    this.values[at] = value;
    this.tail++;
    return true;
  }

  /** Merge readings with position < bound into the aggregate. */
  aggregateBefore(bound: number): void {
    const positions = this.positions;
    let end = this.aggregatedEnd;
    if (end === this.head && end < this.tail) this.timeBase = this.timestamps[end];
    while (end < this.tail && positions[end] < bound) this.back.add(this.values[end], this.timestamps[end++] - this.timeBase);
    this.aggregatedEnd = end;
  }

  /** Merge readings with position ≤ bound into the aggregate. */
  aggregateThrough(bound: number): void {
    const positions = this.positions;
    let end = this.aggregatedEnd;
    if (end === this.head && end < this.tail) this.timeBase = this.timestamps[end];
    while (end < this.tail && positions[end] <= bound) this.back.add(this.values[end], this.timestamps[end++] - this.timeBase);
    this.aggregatedEnd = end;
  }

  /** Drop readings with position < bound (they belong to no window still open). */
  evictBefore(bound: number): void {
    const positions = this.positions;
    if (this.aggregatedEnd > this.head && positions[this.aggregatedEnd - 1] < bound) {
      this.dropAggregated();
    } else {
      while (this.head < this.aggregatedEnd && positions[this.head] < bound) this.popFront();
    }
    if (this.head === this.aggregatedEnd) {
      while (this.head < this.tail && positions[this.head] < bound) this.head++;
      this.aggregatedEnd = this.head;
    }
    if (this.head === this.tail) this.clear();
  }

  /** Drop every aggregated reading at once (a tumbling or session window was emitted). */
  dropAggregated(): void {
    this.head = this.aggregatedEnd;
    this.frontSize = 0;
    this.back.clear();
    if (this.head === this.tail) this.clear();
  }

  /** Forget every buffered reading (keeps `previousFeatures`). */
  clear(): void {
    this.head = this.tail = this.aggregatedEnd = 0;
    this.frontSize = 0;
    this.back.clear();
  }

  /** Release the buffers' memory too (the device went idle). */
  release(): void {
    this.clear();
    this.positions = this.timestamps = this.values = this.frontStack = EMPTY;
  }

  /** The summary of the aggregated readings `[head, aggregatedEnd)`. */
  summarize(out: Summary): void {
    if (this.frontSize > 0) out.loadPacked(this.frontStack, (this.frontSize - 1) * SUMMARY_WIDTH);
    else out.clear();
    if (this.back.n > 0) out.merge(this.back);
  }

  private popFront(): void {
    if (this.frontSize === 0) this.flip();
    this.frontSize--;
    this.head++;
  }

  /** Move the back stack to the front: suffix summaries from the newest reading down to `head`. */
  private flip(): void {
    const count = this.aggregatedEnd - this.head;
    if (this.frontStack.length < count * SUMMARY_WIDTH) {
      // Sized to need: a sliding window flips about the same count each time.
      this.frontStack = new Float64Array(Math.max(count, Math.ceil((this.frontStack.length / SUMMARY_WIDTH) * 1.5)) * SUMMARY_WIDTH);
    }
    // Nothing else holds relative times now, so re-base them on the oldest reading to keep slopes precise.
    this.timeBase = this.timestamps[this.head];
    const running = flipSummary;
    running.clear();
    for (let j = 0, i = this.aggregatedEnd - 1; i >= this.head; i--, j++) {
      running.add(this.values[i], this.timestamps[i] - this.timeBase);
      running.writePacked(this.frontStack, j * SUMMARY_WIDTH);
    }
    this.frontSize = count;
    this.back.clear();
  }

  /** Compact when at least half the buffer is dead, else double it (amortised O(1) per reading). */
  private makeRoom(): void {
    const live = this.tail - this.head;
    const capacity = this.positions.length;
    if (capacity > 0 && this.head >= capacity / 2) {
      this.positions.copyWithin(0, this.head, this.tail);
      this.timestamps.copyWithin(0, this.head, this.tail);
      this.values.copyWithin(0, this.head, this.tail);
    } else {
      const grown = Math.max(INITIAL_CAPACITY, capacity * 2);
      this.positions = moveInto(new Float64Array(grown), this.positions, this.head, this.tail);
      this.timestamps = moveInto(new Float64Array(grown), this.timestamps, this.head, this.tail);
      this.values = moveInto(new Float64Array(grown), this.values, this.head, this.tail);
    }
    this.aggregatedEnd -= this.head;
    this.tail = live;
    this.head = 0;
  }

  /** Plain-data form for snapshots (live readings only). */
  toState(): SeriesState {
    const aggregate = new Float64Array((this.frontSize + 1) * SUMMARY_WIDTH);
    aggregate.set(this.frontStack.subarray(0, this.frontSize * SUMMARY_WIDTH));
    this.back.writePacked(aggregate, this.frontSize * SUMMARY_WIDTH);
    return {
      kind: 'readings',
      positions: this.positions.slice(this.head, this.tail),
      timestamps: this.timestamps.slice(this.head, this.tail),
      values: this.values.slice(this.head, this.tail),
      aggregated: this.aggregatedEnd - this.head,
      timeBase: this.timeBase,
      aggregate,
      previousFeatures: this.previousFeatures?.slice(),
    };
  }

  /** Reload from {@link toState}; results continue bit for bit. */
  loadState(state: SeriesState): void {
    const live = state.values.length;
    if (state.positions.length !== live || state.timestamps.length !== live) throw new Error('series arrays differ in length');
    if (!(state.aggregated >= 0 && state.aggregated <= live)) throw new Error('series aggregate is out of range');
    if (state.aggregate.length % SUMMARY_WIDTH !== 0 || state.aggregate.length === 0) throw new Error('series aggregate is malformed');
    const capacity = Math.max(INITIAL_CAPACITY, live * 2);
    this.positions = moveInto(new Float64Array(capacity), state.positions, 0, live);
    this.timestamps = moveInto(new Float64Array(capacity), state.timestamps, 0, live);
    this.values = moveInto(new Float64Array(capacity), state.values, 0, live);
    this.head = 0;
    this.tail = live;
    this.aggregatedEnd = state.aggregated;
    this.timeBase = state.timeBase;
    this.frontSize = state.aggregate.length / SUMMARY_WIDTH - 1;
    this.frontStack = state.aggregate.slice(0, this.frontSize * SUMMARY_WIDTH);
    this.back.loadPacked(state.aggregate, this.frontSize * SUMMARY_WIDTH);
    this.previousFeatures = state.previousFeatures?.slice();
  }
}

export interface SeriesState {
  kind: 'readings';
  positions: Float64Array;
  timestamps: Float64Array;
  values: Float64Array;
  /** How many of the live readings (from the first) are in the aggregate. */
  aggregated: number;
  timeBase: number;
  /** The front stack's suffix summaries followed by the back summary, SUMMARY_WIDTH doubles each. */
  aggregate: Float64Array;
  previousFeatures: Float64Array | undefined;
}

function moveInto(target: Float64Array, source: Float64Array, from: number, to: number): Float64Array {
  target.set(source.subarray(from, to));
  return target;
}
