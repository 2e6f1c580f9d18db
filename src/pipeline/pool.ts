/**
 * Maps `items` through `fn` with at most `limit` calls in flight, keeping results in order.
 * Each result is either the value or the error, so one failure does not stop the rest.
 */
export async function mapPool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<({ ok: true; value: R } | { ok: false; error: unknown })[]> {
  const results = new Array<{ ok: true; value: R } | { ok: false; error: unknown }>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = { ok: true, value: await fn(items[i] as T, i) };
      } catch (error) {
        results[i] = { ok: false, error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * A budget of bytes shared by concurrent work, granted first come first served. A request
 * larger than the whole budget is granted the whole budget once nothing else holds any.
 */
export class ByteBudget {
  private used = 0;
  private readonly waiters: { bytes: number; grant: () => void }[] = [];

  constructor(private readonly capacity: number) {}

  /** True while some work waits for bytes: holders should give theirs back soon. */
  hasWaiters(): boolean {
    return this.waiters.length > 0;
  }

  /** Resolves with the bytes granted (the request, or the whole budget if it was larger). */
  acquire(bytes: number): Promise<number> {
    const want = Math.min(bytes, this.capacity);
    if (!this.waiters.length && this.used + want <= this.capacity) {
      this.used += want;
      return Promise.resolve(want);
    }
    return new Promise((resolve) => this.waiters.push({ bytes: want, grant: () => resolve(want) }));
  }

  /** Gives back bytes that `acquire` granted. */
  release(bytes: number): void {
    this.used -= bytes;
    for (let w = this.waiters[0]; w && this.used + w.bytes <= this.capacity; w = this.waiters[0]) {
      this.waiters.shift();
      this.used += w.bytes;
      w.grant();
    }
  }
}
