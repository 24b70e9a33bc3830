import type { WindowEngine } from './engine';
import { deviceHash, type WindowStateEntry, type WindowStateHeader } from './snapshot';

/** Lists a saved window state is split into; a device's list follows from a hash of its id. */
export const WINDOW_STATE_SLICES = 64;
/** Most devices encoded in one step of a save (the caller yields to the event loop between steps). */
export const DEVICES_PER_STEP = 128;

/**
 * The engine's state as the store holds it (`persist`): a header (counters, settings fingerprint, …) plus
 * WINDOW_STATE_SLICES lists of devices and evicted devices, each list a copy of what was last written. A save
 * encodes only the devices that changed, at most DEVICES_PER_STEP per {@link step}, and writes the header and
 * the lists that changed ({@link writes}); `assembleWindowState` puts a header and its lists together again.
 */
export class WindowStateSlices {
  private readonly lists: Array<Map<string, WindowStateEntry>>;
  private readonly dirty = new Set<number>();
  /** Changes this save still takes; undefined between saves. */
  private budget: number | undefined;
  private engine: WindowEngine | undefined;

  constructor(
    readonly count = WINDOW_STATE_SLICES,
    private readonly perStep = DEVICES_PER_STEP,
  ) {
    this.lists = Array.from({ length: count }, () => new Map());
  }

  private get attached(): WindowEngine {
    if (this.engine === undefined) throw new Error('WindowStateSlices: no engine attached');
    return this.engine;
  }

  /**
   * Follow this engine from now on. `saved`: the lists it was restored from (as assembled), which the store holds
   * already; without them every list is rewritten at the next save (a new engine, an older format, or state that
   * could not be used and must not linger).
   */
  attach(engine: WindowEngine, saved?: readonly unknown[]): void {
    this.engine = engine;
    this.budget = undefined;
    for (const list of this.lists) list.clear();
    this.dirty.clear();
    if (saved !== undefined && saved.length === this.count) {
      saved.forEach((slice, i) => {
        if (Array.isArray(slice)) for (const entry of slice as WindowStateEntry[]) this.lists[i].set(entry.id, entry);
      });
      engine.trackChanges(false);
      return;
    }
    for (let i = 0; i < this.count; i++) this.dirty.add(i);
    engine.trackChanges(true);
  }

  /** Encode up to DEVICES_PER_STEP changed devices; true while this save has more to encode. */
  step(): boolean {
    const engine = this.attached;
    this.budget ??= engine.pendingChanges;
    const { cleared, entries } = engine.takeChanges(Math.min(this.perStep, this.budget));
    if (cleared) {
      for (let i = 0; i < this.count; i++) {
        if (this.lists[i].size > 0) this.dirty.add(i);
        this.lists[i].clear();
      }
    }
    for (const [id, entry] of entries) {
      const i = deviceHash(id) % this.count;
      if (entry === undefined) this.lists[i].delete(id);
      else this.lists[i].set(id, entry);
      this.dirty.add(i);
    }
    this.budget -= entries.length;
    return this.budget > 0 && entries.length > 0;
  }

  /** The header and the lists changed since the last call, to write now; the next step starts a new save. */
  writes(): { header: WindowStateHeader; slices: Array<[number, WindowStateEntry[]]> } {
    this.budget = undefined;
    const slices = [...this.dirty].sort((a, b) => a - b).map((i): [number, WindowStateEntry[]] => [i, [...this.lists[i].values()]]);
    this.dirty.clear();
    return { header: this.attached.snapshotHeader(this.count), slices };
  }
}
