/** A place in one {@link RecencyList}; the owner embeds one per list it can be in. */
export class RecencyLink<T> {
  older: RecencyLink<T> | undefined;
  newer: RecencyLink<T> | undefined;
  linked = false;

  constructor(readonly owner: T) {}
}

/**
 * Items from least to most recently touched, as an intrusive doubly-linked list: touching and removing are O(1)
 * pointer moves (a Map re-insert per reading costs several times more).
 */
export class RecencyList<T> {
  private oldestLink: RecencyLink<T> | undefined;
  private newestLink: RecencyLink<T> | undefined;
  private count = 0;

  get size(): number {
    return this.count;
  }

  oldest(): T | undefined {
    return this.oldestLink?.owner;
  }

  /** Make `link` the most recent, adding it if needed; false when it already was. */
  touch(link: RecencyLink<T>): boolean {
    if (this.newestLink === link) return false;
    if (link.linked) this.remove(link);
    link.older = this.newestLink;
    link.newer = undefined;
    if (this.newestLink) this.newestLink.newer = link;
    else this.oldestLink = link;
    this.newestLink = link;
    link.linked = true;
    this.count++;
    return true;
  }

  remove(link: RecencyLink<T>): void {
    if (!link.linked) return;
    if (link.older) link.older.newer = link.newer;
    else this.oldestLink = link.newer;
    if (link.newer) link.newer.older = link.older;
    else this.newestLink = link.older;
    link.older = link.newer = undefined;
    link.linked = false;
    this.count--;
  }

  clear(): void {
    for (let link = this.oldestLink; link; ) {
      const next = link.newer;
      link.older = link.newer = undefined;
      link.linked = false;
      link = next;
    }
    this.oldestLink = this.newestLink = undefined;
    this.count = 0;
  }

  /** Oldest first; the current item may be removed while iterating. */
  *[Symbol.iterator](): IterableIterator<T> {
    for (let link = this.oldestLink; link; ) {
      const next = link.newer;
      yield link.owner;
      link = next;
    }
  }
}
