import type { Node, NodeStatus } from './red';

/**
 * Live counts in a node's status without a status event per message: the text is refreshed at most every
 * `intervalMs`, and the timer is cleared on close. A fault status stays until the next `clearFault()`.
 */
export class StatusReporter {
  private timer: NodeJS.Timeout | undefined;
  private pending = false;
  private fault: string | undefined;

  constructor(
    private readonly node: Pick<Node, 'status'>,
    private readonly render: () => NodeStatus,
    private readonly intervalMs = 500,
  ) {}

  /** Something changed: show it now if idle, else at the end of the current interval. */
  update(): void {
    if (this.fault !== undefined) return;
    if (this.timer) {
      this.pending = true;
      return;
    }
    this.node.status(this.render());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.pending) {
        this.pending = false;
        this.update();
      }
    }, this.intervalMs);
  }

  /** A fault of the node itself (misconfiguration, unreadable model): red ring until cleared. */
  showFault(text: string): void {
    this.fault = text;
    this.node.status({ fill: 'red', shape: 'ring', text });
  }

  /** Not a fault: something the node waits for (a model still loading, a warm-up); grey ring until cleared. */
  showWaiting(text: string): void {
    this.fault = text;
    this.node.status({ fill: 'grey', shape: 'ring', text });
  }

  clearFault(): void {
    this.fault = undefined;
    this.update();
  }

  hasFault(): boolean {
    return this.fault !== undefined;
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = false;
  }
}

/** Status texts from counts: the core's (core/util/text.ts), so core sessions and glue write them alike. */
export { countsText } from '../../core/util/text';
