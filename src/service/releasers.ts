import { describeError } from '../errors.js';
import type { Log } from '../pipeline/ports.js';

/**
 * Resources the service holds, released in the reverse order they were taken (the store
 * last, as it was taken first), each one even when another fails (graphile/worker's
 * `withReleasers`).
 */
export class Releasers {
  private readonly releasers: { name: string; release: () => unknown }[] = [];

  /** Registers how to release a resource just taken. */
  add(name: string, release: () => unknown): void {
    this.releasers.push({ name, release });
  }

  /** Releases everything, last taken first; a failure is logged and the rest go on. */
  async releaseAll(log: Log): Promise<void> {
    for (let r = this.releasers.pop(); r; r = this.releasers.pop()) {
      try {
        await r.release();
      } catch (err) {
        log.error({ resource: r.name, err: describeError(err) }, 'could not release a resource');
      }
    }
  }
}
