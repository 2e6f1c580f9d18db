/** What the keeper needs of a session: whether it still works, and how to end it. */
export interface KeptSession {
  /** False once the connection dropped, stalled or was closed. */
  readonly alive: boolean;
  close(): Promise<void>;
}

/**
 * Keeps one SSH session across the service's polls, so that a poll does not pay for a
 * connection (about 12 round trips: TCP, key exchange, authentication, the SFTP channel).
 * A session is reused while it is alive; one that failed is closed and the next poll
 * connects again (with the service's backoff); one left unused for `idleMs` is closed, so an
 * hourly poll holds no session between polls.
 */
export class SessionKeeper<S extends KeptSession> {
  private current: S | undefined;
  private idle: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly connect: () => Promise<S>,
    private readonly idleMs: number,
  ) {}

  /**
   * The session to use now: the kept one while it is alive, else a new one. `reused` says
   * which: a failure on a reused session may only mean the server dropped it while idle.
   */
  async acquire(): Promise<{ session: S; reused: boolean }> {
    this.stopIdleTimer();
    await this.closing;
    if (this.current?.alive) return { session: this.current, reused: true };
    await this.drop();
    this.current = await this.connect();
    return { session: this.current, reused: false };
  }

  /**
   * The poll is done with the session: kept for the next one (closed after `idleMs` unused),
   * or, when it failed, closed now.
   */
  async release(failed: boolean): Promise<void> {
    if (failed || this.idleMs <= 0 || !this.current?.alive) return this.drop();
    this.stopIdleTimer();
    this.idle = setTimeout(() => void this.drop(), this.idleMs);
    this.idle.unref();
  }

  /**
   * The kept session for code that closes what it is given (retention's `connect`): its
   * `close()` hands the session back to the keeper instead of ending it.
   */
  async lease(): Promise<S> {
    const { session } = await this.acquire();
    return new Proxy(session, {
      get: (target, key) => {
        if (key === 'close') return () => this.release(false);
        const value = Reflect.get(target, key, target) as unknown;
        return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
      },
    });
  }

  /** Closes the kept session, if any (at shutdown). */
  async close(): Promise<void> {
    this.stopIdleTimer();
    await this.drop();
  }

  private stopIdleTimer(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = undefined;
  }

  private async drop(): Promise<void> {
    const session = this.current;
    this.current = undefined;
    if (!session) return this.closing;
    this.closing = session.close().catch(() => undefined);
    await this.closing;
    this.closing = undefined;
  }
}
