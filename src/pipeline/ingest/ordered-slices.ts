/**
 * Puts work that is done in any order (files fetched many at a time) back in listing order,
 * and cuts it into slices to commit: a slice goes as soon as it holds `sliceEvents` events,
 * or when `mustFlush` says the bytes it holds are wanted back (the byte budget has waiters),
 * and at the end. The slot of a file keeps no reference once its work moved to the slice:
 * parsed events must not outlive their commit.
 */
export class OrderedSlices<W> {
  private readonly done: (W | null | undefined)[];
  private readonly held: number[];
  private next = 0;
  private slice: W[] = [];
  private sliceBytes = 0;
  private sliceEvents = 0;

  constructor(
    count: number,
    private readonly opts: {
      sliceEvents: number;
      /** The events a piece of work adds to its slice. */
      eventsOf: (work: W) => number;
      /** True when the slice must go now, whatever it holds. */
      mustFlush: () => boolean;
      /** Commits a slice, in order; `bytes` were held by its files until now. */
      commit: (work: W[], bytes: number) => void;
    },
  ) {
    this.done = new Array<W | null | undefined>(count);
    this.held = new Array<number>(count).fill(0);
  }

  /** Bytes item `j` holds until its slice is committed. */
  hold(j: number, bytes: number): void {
    this.held[j] = bytes;
  }

  /** Item `j` is done (`null`: nothing to commit); every item before it in order moves on. */
  settle(j: number, work: W | null): void {
    this.done[j] = work;
    while (this.next < this.done.length && this.done[this.next] !== undefined) {
      const w = this.done[this.next];
      this.done[this.next] = null;
      if (w) {
        this.slice.push(w);
        this.sliceEvents += this.opts.eventsOf(w);
      }
      this.sliceBytes += this.held[this.next] ?? 0;
      this.next++;
    }
    if (this.sliceEvents >= this.opts.sliceEvents || this.opts.mustFlush()) this.flush();
  }

  /** Commits what the slice holds now. */
  flush(): void {
    if (!this.slice.length && !this.sliceBytes) return;
    const work = this.slice;
    const bytes = this.sliceBytes;
    this.slice = [];
    this.sliceBytes = 0;
    this.sliceEvents = 0;
    this.opts.commit(work, bytes);
  }
}
