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
    private readonly node: Pick<Node, 'context' | 'warn'>,
    private readonly store: string,
    private readonly key: string,
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
    this.node.context().get(this.key, this.store, (err, saved) => {
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
