import type { DoneFn, Node, NodeMessage, SendFn } from './red';

type Input = [NodeMessage, SendFn, DoneFn];

/**
 * Node state kept in a persistent context store (`persist`): loaded once at start (inputs wait in order until
 * it is back, so nothing is handled twice or lost), saved at most once per `intervalMs` after a change (within
 * `urgentMs` after an urgent one), and on close. With no store named, it only passes inputs through.
 */
export class PersistedState {
  private queue: Input[] | undefined;
  private saveTimer: NodeJS.Timeout | undefined;
  /** When the scheduled save runs (epoch ms). */
  private saveAt = 0;

  constructor(
    protected readonly node: Pick<Node, 'context' | 'warn'>,
    protected readonly store: string,
    protected readonly key: string,
    private readonly snapshot: () => unknown,
    private readonly intervalMs = 1000,
    private readonly urgentMs = 50,
  ) {}

  get enabled(): boolean {
    return this.store !== '';
  }

  /** Reads the saved state and hands it to `restore` (not called when nothing was saved), then releases inputs. */
  load(restore: (saved: unknown) => void, handle: (...input: Input) => void, after?: () => void): void {
    if (!this.enabled) return;
    this.queue = [];
    this.read((err, saved) => {
      if (err) this.node.warn(`could not load saved state from context store "${this.store}": ${err.message}`);
      else if (saved !== undefined) {
        try {
          restore(saved);
        } catch (restoreError) {
          this.node.warn(`saved state not used: ${(restoreError as Error).message}`);
        }
      }
      const waiting = this.queue ?? [];
      this.queue = undefined;
      for (const input of waiting) handle(...input);
      after?.();
    });
  }

  /** Reads what was saved (undefined: nothing). */
  protected read(callback: (err: Error | undefined, saved: unknown) => void): void {
    this.node.context().get(this.key, this.store, (err, saved) => callback(err ?? undefined, saved));
  }

  /** Handles an input now, or queues it while the saved state is still loading. */
  accept(handle: (...input: Input) => void, msg: NodeMessage, send: SendFn, done: DoneFn): void {
    if (this.queue) this.queue.push([msg, send, done]);
    else handle(msg, send, done);
  }

  /**
   * Schedules a save. `urgent`: a change whose loss would repeat something after a restart (an ack that a
   * `kill -9` forgot re-sends the command): saved within `urgentMs`, still coalesced so a burst costs one save.
   */
  changed(urgent = false): void {
    if (!this.enabled) return;
    const delay = urgent ? this.urgentMs : this.intervalMs;
    if (this.saveTimer && this.saveAt <= Date.now() + delay) return;
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveAt = Date.now() + delay;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      this.save();
    }, delay);
  }

  save(callback?: () => void): void {
    if (!this.enabled) return callback?.();
    this.node.context().set(this.key, this.snapshot(), this.store, (err) => {
      if (err) this.node.warn(`could not save state to context store "${this.store}": ${err.message}`);
      callback?.();
    });
  }

  /** Clears the timer and writes the state one last time. */
  close(done: () => void): void {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    this.save(done);
  }
}

/** Sends messages for a two-output node only when there is something to send. */
export function sendBoth(send: SendFn, first: NodeMessage[], second: NodeMessage[]): void {
  if (first.length > 0 || second.length > 0) send([first, second]);
}

/** State too large to write whole every second: a header plus numbered slices, only changed ones written. */
export interface SlicedSource {
  /** Bounded work towards the next write; true while there is more (the caller yields to the event loop between). */
  step(): boolean;
  /** The header (its `slices` is how many slice keys there are) and the slices changed since the last call. */
  writes(): { header: { slices: number }; slices: Array<[number, unknown]> };
}

/** Most slice keys read back at load (a bound on what a tampered header can ask for). */
const MAX_SLICES = 4096;

/**
 * PersistedState for a {@link SlicedSource}: the header under `key`, slice i under `key_i`, all that changed in
 * one `set` (so a store that writes a file per node writes a consistent whole). A save runs in steps, one per
 * turn of the event loop, so a large state never blocks the loop for long. `load` hands `{ header, slices }` to
 * restore; a value saved by an earlier, unsliced version comes back as the header with no slices.
 */
export class SlicedPersistedState extends PersistedState {
  private saving = false;
  private again = false;
  private waiting: Array<() => void> = [];

  constructor(node: Pick<Node, 'context' | 'warn'>, store: string, key: string, private readonly source: SlicedSource, intervalMs = 1000) {
    super(node, store, key, () => undefined, intervalMs);
  }

  protected override read(callback: (err: Error | undefined, saved: unknown) => void): void {
    this.node.context().get(this.key, this.store, (err, header) => {
      if (err || header === undefined) return callback(err ?? undefined, undefined);
      const count = (header as { slices?: unknown } | null)?.slices;
      if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > MAX_SLICES) return callback(undefined, { header, slices: [] });
      const keys = Array.from({ length: count }, (_, i) => `${this.key}_${i}`);
      this.node.context().get(keys, this.store, (sliceErr, ...slices: unknown[]) => callback(sliceErr ?? undefined, { header, slices }));
    });
  }

  override save(callback?: () => void): void {
    if (!this.enabled) return callback?.();
    if (callback) this.waiting.push(callback);
    if (this.saving) {
      this.again = true;
      return;
    }
    this.saving = true;
    const run = (): void => {
      if (this.source.step()) return void setImmediate(run);
      const { header, slices } = this.source.writes();
      const keys = [this.key, ...slices.map(([i]) => `${this.key}_${i}`)];
      const values = [header, ...slices.map(([, slice]) => slice)];
      this.node.context().set(keys, values, this.store, (err) => {
        if (err) this.node.warn(`could not save state to context store "${this.store}": ${err.message}`);
        this.saving = false;
        if (this.again) {
          this.again = false;
          return this.save();
        }
        for (const done of this.waiting.splice(0)) done();
      });
    };
    run();
  }
}
